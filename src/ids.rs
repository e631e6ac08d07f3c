//! User ids (Sailplay's key of a profile) and cluster ids: `C-<user_id>`
//! for a planned cluster, `B-<user_id>` for a candidate of the review band,
//! `<user_id>` the smallest member's. Distinct types so that a cluster id
//! is never passed where a user id is meant; both read and write as the
//! plain string in every file.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// The prefix of the ids of planned clusters.
pub const PLANNED_PREFIX: &str = "C";
/// The prefix of the ids of the review band's candidate clusters.
pub const CANDIDATE_PREFIX: &str = "B";

/// A profile's user_id. Ordered numerically when both are numbers
/// (Sailplay's are), else as text: the order that picks a cluster's
/// smallest member, so it fixes cluster ids and must not change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The order of [`UserId`] on plain strings. Equal only for equal strings
/// (`007` sorts before `7`), so it agrees with `Eq` and `Hash`.
pub fn compare_user_ids(a: &str, b: &str) -> Ordering {
    let numeric = |id: &str| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
    if numeric(a) && numeric(b) {
        let (x, y) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
        x.len()
            .cmp(&y.len())
            .then_with(|| x.cmp(y))
            .then_with(|| a.cmp(b))
    } else {
        a.cmp(b)
    }
}

impl Ord for UserId {
    fn cmp(&self, other: &UserId) -> Ordering {
        compare_user_ids(&self.0, &other.0)
    }
}

impl PartialOrd for UserId {
    fn partial_cmp(&self, other: &UserId) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClusterId(String);

impl ClusterId {
    /// `<prefix>-<user_id>`.
    pub fn new(prefix: &str, user_id: &str) -> ClusterId {
        ClusterId(format!("{prefix}-{user_id}"))
    }

    /// The candidate's id for the planned cluster's: `B-7` for `C-7`.
    pub fn as_candidate(&self) -> ClusterId {
        let user_id = self
            .0
            .strip_prefix(PLANNED_PREFIX)
            .and_then(|rest| rest.strip_prefix('-'))
            .unwrap_or(&self.0);
        ClusterId::new(CANDIDATE_PREFIX, user_id)
    }

    /// The key a typed id is matched on: a person may type `c-1042` or
    /// ` C-1042 ` for `C-1042`.
    pub fn folded(typed: &str) -> String {
        typed.trim().to_lowercase()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Reading an id as the string it is, and comparing it with strings, the
/// same for both kinds of id.
macro_rules! string_id {
    ($id:ident) => {
        impl Deref for $id {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $id {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $id {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $id {
            fn from(id: String) -> $id {
                $id(id)
            }
        }

        impl From<&str> for $id {
            fn from(id: &str) -> $id {
                $id(id.to_string())
            }
        }

        impl From<$id> for String {
            fn from(id: $id) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $id {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $id {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $id {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$id> for str {
            fn eq(&self, other: &$id) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$id> for &str {
            fn eq(&self, other: &$id) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$id> for String {
            fn eq(&self, other: &$id) -> bool {
                *self == other.0
            }
        }
    };
}

string_id!(ClusterId);
string_id!(UserId);

// Not for UserId: a map keyed by user ids and looked up by `str` would
// order them as text, not as `UserId`'s `Ord` does.
impl Borrow<str> for ClusterId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_ids_follow_the_planned_ids() {
        let planned = ClusterId::new(PLANNED_PREFIX, "1042");
        assert_eq!(planned, "C-1042");
        assert_eq!(planned.as_candidate(), "B-1042");
        assert_eq!(ClusterId::from("odd").as_candidate(), "B-odd");
    }

    #[test]
    fn typed_ids_fold_case_and_spaces() {
        assert_eq!(ClusterId::folded(" c-1042 "), ClusterId::folded("C-1042"));
        assert_ne!(ClusterId::folded("C-1042"), ClusterId::folded("C-1043"));
    }

    #[test]
    fn user_ids_order_numbers_numerically_else_as_text() {
        let sorted = |ids: &[&str]| {
            let mut ids: Vec<UserId> = ids.iter().map(|&id| UserId::from(id)).collect();
            ids.sort();
            ids.iter().map(|id| id.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(
            sorted(&["10", "9", "10000017", "9999999"]),
            ["9", "10", "9999999", "10000017"]
        );
        assert_eq!(sorted(&["7", "007", "07"]), ["007", "07", "7"]);
        assert_eq!(sorted(&["b", "a10", "10", "-5"]), ["-5", "10", "a10", "b"]);
        assert_eq!(
            UserId::from("7").cmp(&UserId::from("007")),
            Ordering::Greater
        );
        assert_eq!(UserId::from("7").cmp(&UserId::from("7")), Ordering::Equal);
    }

    #[test]
    fn user_ids_read_and_write_as_the_plain_string() {
        let id = UserId::from("0042");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"0042\"");
        assert_eq!(serde_json::from_str::<UserId>("\"0042\"").unwrap(), id);
    }

    #[test]
    fn reads_and_writes_as_the_plain_string() {
        let id = ClusterId::new(PLANNED_PREFIX, "7");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"C-7\"");
        assert_eq!(serde_json::from_str::<ClusterId>("\"C-7\"").unwrap(), id);
    }
}
