//! The Sailplay customer profile as the rest of the program sees it: the
//! canonical fields of the API, every value a string as the API sends it.
//!
//! `load` produces these from an export, `merge` simulates Sailplay's merge
//! on them, and `plan.json` carries them as the `after`/`result` of a step.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Canonical field names, in export and report order. These are the API's
/// names and the column names of the loaded frame.
pub const USER_ID: &str = "user_id";
pub const ORIGIN_USER_ID: &str = "origin_user_id";
pub const PHONE: &str = "phone";
pub const EMAIL: &str = "email";
pub const FIRST_NAME: &str = "first_name";
pub const MIDDLE_NAME: &str = "middle_name";
pub const LAST_NAME: &str = "last_name";
pub const BIRTH_DATE: &str = "birth_date";
pub const SEX: &str = "sex";
pub const REGISTER_DATE: &str = "register_date";
pub const POINTS: &str = "points";

pub const CANONICAL_FIELDS: [&str; 11] = [
    USER_ID,
    ORIGIN_USER_ID,
    PHONE,
    EMAIL,
    FIRST_NAME,
    MIDDLE_NAME,
    LAST_NAME,
    BIRTH_DATE,
    SEX,
    REGISTER_DATE,
    POINTS,
];

/// Frame columns added by `load` beside the canonical ones: which input file
/// a row came from, and its 1-based line (CSV) or row (other formats) there.
pub const SOURCE: &str = "source";
pub const SOURCE_ROW: &str = "source_row";

/// One profile. `None` is an empty field. Dates are `YYYY-MM-DD`, `sex` is
/// `"1"`, `"2"` or `"3"`, `points` an integer, as `load` leaves them.
/// `extra` holds the export's other columns (custom attributes), untouched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Profile {
    pub user_id: String,
    pub origin_user_id: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub register_date: Option<String>,
    pub points: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
}

impl Profile {
    /// The value of a canonical field by name (`user_id` included), or of an
    /// extra column.
    pub fn get(&self, field: &str) -> Option<&str> {
        match field {
            USER_ID => Some(self.user_id.as_str()),
            ORIGIN_USER_ID => self.origin_user_id.as_deref(),
            PHONE => self.phone.as_deref(),
            EMAIL => self.email.as_deref(),
            FIRST_NAME => self.first_name.as_deref(),
            MIDDLE_NAME => self.middle_name.as_deref(),
            LAST_NAME => self.last_name.as_deref(),
            BIRTH_DATE => self.birth_date.as_deref(),
            SEX => self.sex.as_deref(),
            REGISTER_DATE => self.register_date.as_deref(),
            POINTS => self.points.as_deref(),
            other => self.extra.get(other).map(String::as_str),
        }
    }

    /// Mutable access to an optional canonical field; `None` for `user_id`
    /// (never optional) and for extra columns.
    pub fn field_mut(&mut self, field: &str) -> Option<&mut Option<String>> {
        Some(match field {
            ORIGIN_USER_ID => &mut self.origin_user_id,
            PHONE => &mut self.phone,
            EMAIL => &mut self.email,
            FIRST_NAME => &mut self.first_name,
            MIDDLE_NAME => &mut self.middle_name,
            LAST_NAME => &mut self.last_name,
            BIRTH_DATE => &mut self.birth_date,
            SEX => &mut self.sex,
            REGISTER_DATE => &mut self.register_date,
            POINTS => &mut self.points,
            _ => return None,
        })
    }
}

/// Sex as Sailplay codes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Sex {
    Male = 1,
    Female = 2,
    Other = 3,
}

impl Sex {
    pub fn from_code(code: &str) -> Option<Sex> {
        match code {
            "1" => Some(Sex::Male),
            "2" => Some(Sex::Female),
            "3" => Some(Sex::Other),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "1",
            Sex::Female => "2",
            Sex::Other => "3",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_and_field_mut_cover_every_optional_canonical_field() {
        let mut profile = Profile {
            user_id: "1".into(),
            ..Profile::default()
        };
        for field in CANONICAL_FIELDS.iter().filter(|f| **f != USER_ID) {
            *profile.field_mut(field).unwrap() = Some(format!("v-{field}"));
        }
        for field in CANONICAL_FIELDS.iter().filter(|f| **f != USER_ID) {
            assert_eq!(profile.get(field), Some(format!("v-{field}").as_str()));
        }
        assert_eq!(profile.get(USER_ID), Some("1"));
        assert!(profile.field_mut(USER_ID).is_none());
    }

    #[test]
    fn sex_codes_round_trip() {
        for sex in [Sex::Male, Sex::Female, Sex::Other] {
            assert_eq!(Sex::from_code(sex.code()), Some(sex));
        }
        assert_eq!(Sex::from_code("0"), None);
    }
}
