//! `journal.jsonl`: what `apply` did, one JSON object per line, appended
//! and synced to disk before the next call goes out. An `intent` line is
//! written before every state-changing call and an `outcome` line after it,
//! so that after a crash a rerun knows, for every step, whether it is done,
//! not applied, or unknown (an intent without outcome, or a failure after
//! which the request may still have been carried out); unknown steps are
//! resolved by looking at the live profiles before anything is sent again.
//!
//! The journal never holds a credential: the client's parameters are the
//! plan's step parameters, which carry none, and error texts are redacted
//! by the client before they get here.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

pub const JOURNAL_FILE: &str = "journal.jsonl";
pub const LOCK_FILE: &str = "apply.lock";

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum JournalEntry {
    RunStarted {
        at: String,
        plan_hash: String,
        pid: u32,
        dry_run: bool,
    },
    /// The live state before a cluster's first unsent step.
    Preflight {
        at: String,
        cluster_id: String,
        steps_done: u32,
        matches: bool,
        differences: Vec<String>,
    },
    Intent {
        at: String,
        cluster_id: String,
        step: u32,
        attempt: u32,
        method: String,
        params: BTreeMap<String, String>,
    },
    Outcome {
        at: String,
        cluster_id: String,
        step: u32,
        attempt: u32,
        result: OutcomeKind,
        /// True when the call failed in a way that leaves open whether
        /// Sailplay carried it out (timeout, lost connection, 5xx).
        may_have_applied: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// The live state, looked up to settle a step whose outcome is unknown.
    Resolution {
        at: String,
        cluster_id: String,
        step: u32,
        /// `None` when the live state fits neither "done" nor "not done".
        applied: Option<bool>,
        detail: String,
    },
    Verified {
        at: String,
        cluster_id: String,
        matches: bool,
        differences: Vec<String>,
    },
    ClusterFinished {
        at: String,
        cluster_id: String,
        status: ClusterStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    Ok,
    BusinessError,
    RetryableError,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterStatus {
    Merged,
    Stale,
    Failed,
}

/// What the journal says of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    /// Carried out (answered ok, or found done in the live state).
    Done,
    /// Not carried out: safe to send.
    NotApplied,
    /// Perhaps carried out: look at the live state before sending.
    Unknown,
}

/// The journal folded into what a rerun needs.
#[derive(Debug, Default)]
pub struct JournalState {
    steps: HashMap<(String, u32), StepState>,
    verified: HashSet<String>,
    pub lines: usize,
    /// A last line cut short by a crash, ignored.
    pub torn_last_line: bool,
}

impl JournalState {
    pub fn step(&self, cluster_id: &str, step: u32) -> Option<StepState> {
        self.steps.get(&(cluster_id.to_string(), step)).copied()
    }

    /// The cluster's result was checked against the plan and matched.
    pub fn is_verified(&self, cluster_id: &str) -> bool {
        self.verified.contains(cluster_id)
    }

    pub fn record(&mut self, entry: &JournalEntry) {
        self.lines += 1;
        match entry {
            JournalEntry::Intent {
                cluster_id, step, ..
            } => {
                self.steps
                    .insert((cluster_id.clone(), *step), StepState::Unknown);
            }
            JournalEntry::Outcome {
                cluster_id,
                step,
                result,
                may_have_applied,
                ..
            } => {
                let state = match (result, may_have_applied) {
                    (OutcomeKind::Ok, _) => StepState::Done,
                    (_, true) => StepState::Unknown,
                    (_, false) => StepState::NotApplied,
                };
                self.steps.insert((cluster_id.clone(), *step), state);
            }
            JournalEntry::Resolution {
                cluster_id,
                step,
                applied,
                ..
            } => {
                let state = match applied {
                    Some(true) => StepState::Done,
                    Some(false) => StepState::NotApplied,
                    None => StepState::Unknown,
                };
                self.steps.insert((cluster_id.clone(), *step), state);
            }
            JournalEntry::Verified {
                cluster_id,
                matches,
                ..
            } => {
                if *matches {
                    self.verified.insert(cluster_id.clone());
                } else {
                    self.verified.remove(cluster_id);
                }
            }
            JournalEntry::RunStarted { .. }
            | JournalEntry::Preflight { .. }
            | JournalEntry::ClusterFinished { .. } => {}
        }
    }

    /// Reads `DIR/journal.jsonl` (absent: empty). A malformed line is an
    /// error naming it, except a torn last line, which a crash in the
    /// middle of a write leaves and which is ignored.
    pub fn read(dir: &Path) -> Result<JournalState> {
        let path = dir.join(JOURNAL_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(JournalState::default());
            }
            Err(error) => {
                return Err(error).with_context(|| format!("cannot read {}", path.display()));
            }
        };
        let mut state = JournalState::default();
        let lines: Vec<&str> = text.split('\n').collect();
        for (index, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<JournalEntry>(line) {
                Ok(entry) => state.record(&entry),
                // Only the very last piece, without its newline, can be torn.
                Err(_) if index + 1 == lines.len() => state.torn_last_line = true,
                Err(error) => bail!(
                    "{}:{}: not a journal entry ({error}); the journal must not be edited by hand",
                    path.display(),
                    index + 1
                ),
            }
        }
        Ok(state)
    }
}

/// Appends entries, each flushed and synced before `append` returns.
pub struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    pub fn open(dir: &Path) -> Result<Journal> {
        let path = dir.join(JOURNAL_FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)
            .with_context(|| format!("cannot open {} for appending", path.display()))?;
        // A torn last line (a crash in the middle of a write) is cut off,
        // so the next entry starts on a line of its own.
        let mut text = Vec::new();
        file.read_to_end(&mut text)?;
        if text.last().is_some_and(|last| *last != b'\n') {
            let keep = text
                .iter()
                .rposition(|byte| *byte == b'\n')
                .map_or(0, |end| end + 1);
            file.set_len(keep as u64)
                .with_context(|| format!("cannot cut the torn last line of {}", path.display()))?;
        }
        Ok(Journal { file, path })
    }

    pub fn append(&mut self, entry: &JournalEntry) -> Result<()> {
        let mut line = serde_json::to_vec(entry)?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.flush())
            .and_then(|()| self.file.sync_data())
            .with_context(|| format!("cannot write to {}", self.path.display()))
    }
}

/// Held while `apply` runs on a directory; the operating system releases
/// it when the process ends, even by SIGKILL.
pub struct ApplyLock {
    _file: File,
}

impl ApplyLock {
    pub fn acquire(dir: &Path) -> Result<ApplyLock> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => bail!(
                "another sailmerge apply is running on {} (it holds {}); wait for it to finish",
                dir.display(),
                path.display()
            ),
            Err(std::fs::TryLockError::Error(error)) => {
                return Err(error).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        file.set_len(0)?;
        writeln!(file, "{}", std::process::id())?;
        Ok(ApplyLock { _file: file })
    }
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(step: u32) -> JournalEntry {
        JournalEntry::Intent {
            at: now(),
            cluster_id: "c1".into(),
            step,
            attempt: 1,
            method: "users/merge".into(),
            params: BTreeMap::new(),
        }
    }

    fn outcome(step: u32, result: OutcomeKind, may_have_applied: bool) -> JournalEntry {
        JournalEntry::Outcome {
            at: now(),
            cluster_id: "c1".into(),
            step,
            attempt: 1,
            result,
            may_have_applied,
            detail: None,
        }
    }

    #[test]
    fn step_states_follow_the_last_word() {
        let mut state = JournalState::default();
        state.record(&intent(1));
        assert_eq!(state.step("c1", 1), Some(StepState::Unknown));
        state.record(&outcome(1, OutcomeKind::RetryableError, true));
        assert_eq!(state.step("c1", 1), Some(StepState::Unknown));
        state.record(&JournalEntry::Resolution {
            at: now(),
            cluster_id: "c1".into(),
            step: 1,
            applied: Some(false),
            detail: String::new(),
        });
        assert_eq!(state.step("c1", 1), Some(StepState::NotApplied));
        state.record(&intent(1));
        state.record(&outcome(1, OutcomeKind::Ok, false));
        assert_eq!(state.step("c1", 1), Some(StepState::Done));
        state.record(&intent(2));
        state.record(&outcome(2, OutcomeKind::BusinessError, false));
        assert_eq!(state.step("c1", 2), Some(StepState::NotApplied));
        assert_eq!(state.step("c1", 3), None);
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_the_next_entry_starts_clean() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::open(dir.path()).unwrap();
        journal.append(&intent(1)).unwrap();
        drop(journal);
        let path = dir.path().join(JOURNAL_FILE);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"event\":\"outc").unwrap();
        let state = JournalState::read(dir.path()).unwrap();
        assert!(state.torn_last_line);
        assert_eq!(state.step("c1", 1), Some(StepState::Unknown));
        let mut journal = Journal::open(dir.path()).unwrap();
        journal.append(&outcome(1, OutcomeKind::Ok, false)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        let state = JournalState::read(dir.path()).unwrap();
        assert!(!state.torn_last_line);
        assert_eq!(state.step("c1", 1), Some(StepState::Done));
    }

    #[test]
    fn a_second_lock_on_one_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let first = ApplyLock::acquire(dir.path()).unwrap();
        assert!(ApplyLock::acquire(dir.path()).is_err());
        drop(first);
        ApplyLock::acquire(dir.path()).unwrap();
    }
}
