//! `sandbox --state FILE`: the store kept on disk as it changes, so that a
//! restarted sandbox serves every profile, and counts every merge, as the
//! one before it left them. A restart is then a fault a test can inject:
//! kill the sandbox in the middle of an `apply`, start it again on the same
//! address with the same FILE, and check that no merge ran twice.
//!
//! The file is JSON lines: the profiles loaded at the first start, then one
//! line per change (added, updated, merged), each written before its answer
//! is sent. A change whose line was not written was never answered, so a
//! client treats it as an unknown outcome and looks before resending, as it
//! would after Sailplay lost a request. Lines are not fsynced: the fault is
//! a killed process, whose writes the kernel keeps. A torn last line (a
//! kill in the middle of a write) is dropped.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::profile::Profile;

/// One line of the state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum StateEvent {
    /// A profile of the first start's export.
    Loaded {
        profile: Profile,
    },
    Added {
        profile: Profile,
    },
    Updated {
        profile: Profile,
    },
    /// `from` was merged into `profile.user_id`, which became `profile`.
    Merged {
        from: String,
        profile: Profile,
    },
}

/// What a state file holds once its lines are replayed.
#[derive(Debug, Default, PartialEq)]
pub struct Replayed {
    /// Every live profile, in the order they were first loaded or added.
    pub profiles: Vec<Profile>,
    /// `"FROM->TO"` → merges carried out.
    pub merges: BTreeMap<String, u64>,
    pub merges_applied: u64,
    pub updates_applied: u64,
    pub users_added: u64,
    /// The largest numeric user_id ever seen, merged-away ones included:
    /// `users/add` must not hand one out again.
    pub max_user_id: u64,
}

/// Profiles by user_id, kept in first-seen order.
#[derive(Default)]
struct Ordered {
    slots: Vec<Option<Profile>>,
    position: HashMap<String, usize>,
}

impl Ordered {
    fn put(&mut self, profile: Profile) {
        match self.position.get(profile.user_id.as_str()) {
            Some(&at) => self.slots[at] = Some(profile),
            None => {
                self.position
                    .insert(profile.user_id.to_string(), self.slots.len());
                self.slots.push(Some(profile));
            }
        }
    }

    fn remove(&mut self, user_id: &str) {
        if let Some(at) = self.position.remove(user_id) {
            self.slots[at] = None;
        }
    }
}

/// Replays state lines.
pub fn replay(events: impl IntoIterator<Item = StateEvent>) -> Replayed {
    let mut ordered = Ordered::default();
    let mut replayed = Replayed::default();
    for event in events {
        let seen = match &event {
            StateEvent::Loaded { profile }
            | StateEvent::Added { profile }
            | StateEvent::Updated { profile } => profile.user_id.as_str(),
            StateEvent::Merged { from, .. } => from.as_str(),
        };
        if let Ok(number) = seen.parse::<u64>() {
            replayed.max_user_id = replayed.max_user_id.max(number);
        }
        match event {
            StateEvent::Loaded { profile } => ordered.put(profile),
            StateEvent::Added { profile } => {
                replayed.users_added += 1;
                ordered.put(profile);
            }
            StateEvent::Updated { profile } => {
                replayed.updates_applied += 1;
                ordered.put(profile);
            }
            StateEvent::Merged { from, profile } => {
                replayed.merges_applied += 1;
                *replayed
                    .merges
                    .entry(format!("{from}->{}", profile.user_id))
                    .or_default() += 1;
                ordered.remove(&from);
                ordered.put(profile);
            }
        }
    }
    replayed.profiles = ordered.slots.into_iter().flatten().collect();
    replayed
}

pub struct StateFile {
    file: File,
    path: PathBuf,
}

impl StateFile {
    /// Starts `path` with the profiles of the first start.
    pub fn create(path: &Path, profiles: &[Profile]) -> Result<StateFile> {
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot create the state file {}", path.display()))?;
        let mut state = StateFile {
            file,
            path: path.to_path_buf(),
        };
        let mut text = Vec::new();
        for profile in profiles {
            serde_json::to_writer(
                &mut text,
                &StateEvent::Loaded {
                    profile: profile.clone(),
                },
            )?;
            text.push(b'\n');
        }
        state
            .file
            .write_all(&text)
            .and_then(|()| state.file.sync_data())
            .with_context(|| format!("cannot write the state file {}", path.display()))?;
        Ok(state)
    }

    /// Opens an existing `path` and replays it.
    pub fn open(path: &Path) -> Result<(StateFile, Replayed)> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open the state file {}", path.display()))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let keep = if bytes.last().is_some_and(|last| *last != b'\n') {
            bytes
                .iter()
                .rposition(|byte| *byte == b'\n')
                .map_or(0, |end| end + 1)
        } else {
            bytes.len()
        };
        if keep < bytes.len() {
            file.set_len(keep as u64)
                .with_context(|| format!("cannot cut the torn last line of {}", path.display()))?;
        }
        let text = std::str::from_utf8(&bytes[..keep])
            .with_context(|| format!("{} is not UTF-8", path.display()))?;
        let mut events = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<StateEvent>(line) {
                Ok(event) => events.push(event),
                Err(error) => bail!(
                    "{}:{}: not a sandbox state line ({error})",
                    path.display(),
                    index + 1
                ),
            }
        }
        Ok((
            StateFile {
                file,
                path: path.to_path_buf(),
            },
            replay(events),
        ))
    }

    /// Appends one change.
    pub fn record(&mut self, event: &StateEvent) -> Result<()> {
        let mut line = serde_json::to_vec(event)?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .with_context(|| format!("cannot write the state file {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(user_id: &str, phone: &str) -> Profile {
        Profile {
            user_id: user_id.into(),
            phone: Some(phone.into()),
            ..Profile::default()
        }
    }

    #[test]
    fn a_replay_gives_the_live_profiles_in_load_order_and_the_merge_counts() {
        let replayed = replay([
            StateEvent::Loaded {
                profile: profile("3", "79990000003"),
            },
            StateEvent::Loaded {
                profile: profile("1", "79990000001"),
            },
            StateEvent::Loaded {
                profile: profile("2", "79990000002"),
            },
            StateEvent::Merged {
                from: "1".into(),
                profile: profile("2", "79990000002"),
            },
            StateEvent::Updated {
                profile: profile("3", "79990000009"),
            },
            StateEvent::Added {
                profile: profile("4", "79990000004"),
            },
        ]);
        assert_eq!(
            replayed.profiles,
            vec![
                profile("3", "79990000009"),
                profile("2", "79990000002"),
                profile("4", "79990000004")
            ]
        );
        assert_eq!(replayed.merges, BTreeMap::from([("1->2".to_string(), 1)]));
        assert_eq!(replayed.max_user_id, 4);
        assert_eq!(
            (
                replayed.merges_applied,
                replayed.updates_applied,
                replayed.users_added
            ),
            (1, 1, 1)
        );
    }

    #[test]
    fn a_state_file_survives_a_restart_and_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.jsonl");
        let mut state =
            StateFile::create(&path, &[profile("1", "79990000001"), profile("2", "7999")]).unwrap();
        state
            .record(&StateEvent::Merged {
                from: "1".into(),
                profile: profile("2", "79990000001"),
            })
            .unwrap();
        drop(state);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"event\":\"upd")
            .unwrap();
        let (mut state, replayed) = StateFile::open(&path).unwrap();
        assert_eq!(replayed.profiles, vec![profile("2", "79990000001")]);
        assert_eq!(replayed.merges_applied, 1);
        state
            .record(&StateEvent::Added {
                profile: profile("5", "79990000005"),
            })
            .unwrap();
        let (_, replayed) = StateFile::open(&path).unwrap();
        assert_eq!(replayed.profiles.len(), 2);
        assert_eq!(replayed.users_added, 1);
        assert!(StateFile::create(&path, &[]).is_err(), "never overwritten");
    }
}
