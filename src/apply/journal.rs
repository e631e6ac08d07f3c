//! `journal.jsonl`: what `apply` did, one JSON object per line, appended
//! and synced to disk before the next call goes out. An `intent` line is
//! written before every state-changing call and an `outcome` line after it,
//! so that after a crash a rerun knows, for every step, whether it is done,
//! not applied, or unknown (an intent without outcome, or a failure after
//! which the request may still have been carried out); unknown steps are
//! resolved by looking at the live profiles before anything is sent again.
//!
//! The first line is a header that binds the journal to what it did: the
//! plan's hash, the Sailplay base URL and department it ran against, and
//! the tool version and decisions' hash of its first run. A journal is
//! only ever continued against the same plan and target, so that a
//! rehearsal's journal cannot make the real run skip clusters.
//!
//! Once a write fails (a full disk), the journal refuses every later
//! write: a line after a lost one would make a gap a rerun could not see,
//! and a call may only go out once its intent is on disk.
//!
//! The journal never holds a credential: the client's parameters are the
//! plan's step parameters, which carry none, and every free text (error
//! details, differences, reasons) goes through the run's redactor.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::redact::{SharedRedactor, redact_shared};
use crate::ids::ClusterId;

pub const JOURNAL_FILE: &str = "journal.jsonl";
pub const LOCK_FILE: &str = "apply.lock";
/// Version 2 added the header line; version 1 journals have none.
pub const JOURNAL_VERSION: u32 = 2;

/// What a journal is bound to: the first line of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalHeader {
    pub journal_version: u32,
    pub created_at: String,
    pub plan_hash: String,
    /// The base URL as `display_url` shows it (no credentials, no query).
    pub base_url: String,
    pub department_id: String,
    pub tool_version: String,
    /// SHA-256 of decisions.json when the journal was started; decisions
    /// may grow between runs, so this is recorded, not enforced.
    pub decisions_hash: String,
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum JournalEntry {
    Header(JournalHeader),
    RunStarted {
        at: String,
        plan_hash: String,
        pid: u32,
        dry_run: bool,
        #[serde(default)]
        run: u32,
        #[serde(default)]
        tool_version: String,
        #[serde(default)]
        decisions_hash: String,
    },
    /// The live state before a cluster's first unsent step.
    Preflight {
        at: String,
        cluster_id: ClusterId,
        steps_done: u32,
        matches: bool,
        differences: Vec<String>,
    },
    Intent {
        at: String,
        cluster_id: ClusterId,
        step: u32,
        attempt: u32,
        method: String,
        params: BTreeMap<String, String>,
    },
    Outcome {
        at: String,
        cluster_id: ClusterId,
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
        cluster_id: ClusterId,
        step: u32,
        /// `None` when the live state fits neither "done" nor "not done".
        applied: Option<bool>,
        detail: String,
    },
    Verified {
        at: String,
        cluster_id: ClusterId,
        matches: bool,
        differences: Vec<String>,
    },
    ClusterFinished {
        at: String,
        cluster_id: ClusterId,
        status: ClusterStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    RunFinished {
        at: String,
        run: u32,
        merged: usize,
        stale: usize,
        failed: usize,
        not_reached: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        aborted: Option<String>,
    },
}

impl JournalEntry {
    /// The entry with every free text passed through `redact`. Identifiers
    /// (cluster ids, step parameters) are left alone: they come from the
    /// plan, and a rerun finds its place by them.
    pub fn redacted(self, redact: impl Fn(&str) -> String) -> JournalEntry {
        let all = |texts: Vec<String>| texts.iter().map(|text| redact(text)).collect();
        match self {
            JournalEntry::Preflight {
                at,
                cluster_id,
                steps_done,
                matches,
                differences,
            } => JournalEntry::Preflight {
                at,
                cluster_id,
                steps_done,
                matches,
                differences: all(differences),
            },
            JournalEntry::Outcome {
                at,
                cluster_id,
                step,
                attempt,
                result,
                may_have_applied,
                detail,
            } => JournalEntry::Outcome {
                at,
                cluster_id,
                step,
                attempt,
                result,
                may_have_applied,
                detail: detail.map(|text| redact(&text)),
            },
            JournalEntry::Resolution {
                at,
                cluster_id,
                step,
                applied,
                detail,
            } => JournalEntry::Resolution {
                at,
                cluster_id,
                step,
                applied,
                detail: redact(&detail),
            },
            JournalEntry::Verified {
                at,
                cluster_id,
                matches,
                differences,
            } => JournalEntry::Verified {
                at,
                cluster_id,
                matches,
                differences: all(differences),
            },
            JournalEntry::ClusterFinished {
                at,
                cluster_id,
                status,
                reason,
            } => JournalEntry::ClusterFinished {
                at,
                cluster_id,
                status,
                reason: reason.map(|text| redact(&text)),
            },
            JournalEntry::RunFinished {
                at,
                run,
                merged,
                stale,
                failed,
                not_reached,
                aborted,
            } => JournalEntry::RunFinished {
                at,
                run,
                merged,
                stale,
                failed,
                not_reached,
                aborted: aborted.map(|text| redact(&text)),
            },
            other => other,
        }
    }
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

/// A cluster's last word in the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterRecord {
    pub status: ClusterStatus,
    pub reason: Option<String>,
    /// The run (1-based) that wrote it.
    pub run: u32,
}

/// One run as the journal tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunRecord {
    pub run: u32,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub dry_run: bool,
}

/// The journal folded into what a rerun needs.
#[derive(Debug, Default)]
pub struct JournalState {
    pub header: Option<JournalHeader>,
    steps: HashMap<(ClusterId, u32), StepState>,
    verified: HashSet<ClusterId>,
    clusters: HashMap<ClusterId, ClusterRecord>,
    pub runs: Vec<RunRecord>,
    pub lines: usize,
    /// A last line cut short by a crash, ignored.
    pub torn_last_line: bool,
}

impl JournalState {
    pub fn step(&self, cluster_id: &str, step: u32) -> Option<StepState> {
        self.steps.get(&(cluster_id.into(), step)).copied()
    }

    /// The cluster's result was checked against the plan and matched.
    pub fn is_verified(&self, cluster_id: &str) -> bool {
        self.verified.contains(cluster_id)
    }

    /// The last `cluster_finished` of a cluster.
    pub fn cluster(&self, cluster_id: &str) -> Option<&ClusterRecord> {
        self.clusters.get(cluster_id)
    }

    /// The number the next run gets.
    pub fn next_run(&self) -> u32 {
        self.runs.last().map_or(1, |last| last.run + 1)
    }

    fn current_run(&self) -> u32 {
        self.runs.last().map_or(0, |last| last.run)
    }

    pub fn record(&mut self, entry: &JournalEntry) {
        self.lines += 1;
        match entry {
            JournalEntry::Header(header) => self.header = Some(header.clone()),
            JournalEntry::RunStarted { at, dry_run, .. } => {
                let run = self.next_run();
                self.runs.push(RunRecord {
                    run,
                    started_at: at.clone(),
                    finished_at: None,
                    dry_run: *dry_run,
                });
            }
            JournalEntry::RunFinished { at, .. } => {
                if let Some(last) = self.runs.last_mut() {
                    last.finished_at = Some(at.clone());
                }
            }
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
                    let run = self.current_run();
                    self.clusters.insert(
                        cluster_id.clone(),
                        ClusterRecord {
                            status: ClusterStatus::Merged,
                            reason: None,
                            run,
                        },
                    );
                } else {
                    self.verified.remove(cluster_id);
                }
            }
            JournalEntry::ClusterFinished {
                cluster_id,
                status,
                reason,
                ..
            } => {
                let run = self.current_run();
                self.clusters.insert(
                    cluster_id.clone(),
                    ClusterRecord {
                        status: *status,
                        reason: reason.clone(),
                        run,
                    },
                );
            }
            JournalEntry::Preflight { .. } => {}
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

    /// Why this journal cannot be continued by a run bound to `expected`,
    /// if it cannot: another plan, another Sailplay, another department,
    /// or no header to tell (a journal of an older sailmerge).
    pub fn binding_problem(&self, expected: &JournalHeader) -> Option<String> {
        if self.lines == 0 {
            return None;
        }
        let Some(header) = &self.header else {
            return Some(
                "it has no header (it was written by an older sailmerge), so it cannot tell which plan and which Sailplay it was for".into(),
            );
        };
        let mut differences = Vec::new();
        if header.plan_hash != expected.plan_hash {
            differences.push(format!(
                "plan {} (this plan.json is {})",
                short_hash(&header.plan_hash),
                short_hash(&expected.plan_hash)
            ));
        }
        if header.base_url != expected.base_url {
            differences.push(format!(
                "base URL {} (this run: {})",
                header.base_url, expected.base_url
            ));
        }
        if header.department_id != expected.department_id {
            differences.push(format!(
                "store_department_id {} (this run: {})",
                header.department_id, expected.department_id
            ));
        }
        (!differences.is_empty()).then(|| format!("it was written for {}", differences.join(", ")))
    }
}

fn short_hash(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

/// Where journal lines go: a file in a run, a failing writer in tests.
pub trait JournalSink: Write + Send {
    /// Makes what was written durable.
    fn sync(&mut self) -> std::io::Result<()>;
}

impl JournalSink for File {
    fn sync(&mut self) -> std::io::Result<()> {
        self.sync_data()
    }
}

struct JournalWriter {
    sink: Box<dyn JournalSink>,
    /// Set by the first failed write; every later write fails with it.
    broken: Option<String>,
}

/// Appends entries, each flushed and synced before `append` returns.
/// Shared by the workers of a run.
pub struct Journal {
    writer: Mutex<JournalWriter>,
    path: PathBuf,
    redactor: SharedRedactor,
}

impl Journal {
    /// Opens `DIR/journal.jsonl` for appending, cutting a torn last line,
    /// and writes `header` first when the file is new or empty.
    pub fn open(dir: &Path, header: &JournalHeader, redactor: SharedRedactor) -> Result<Journal> {
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
            text.truncate(keep);
        }
        let journal = Journal::with_sink(Box::new(file), path, redactor);
        if text.is_empty() {
            journal.append(&JournalEntry::Header(header.clone()))?;
        }
        Ok(journal)
    }

    /// A journal writing to `sink`; `path` names it in messages.
    pub fn with_sink(
        sink: Box<dyn JournalSink>,
        path: PathBuf,
        redactor: SharedRedactor,
    ) -> Journal {
        Journal {
            writer: Mutex::new(JournalWriter { sink, broken: None }),
            path,
            redactor,
        }
    }

    pub fn append(&self, entry: &JournalEntry) -> Result<()> {
        let entry = entry
            .clone()
            .redacted(|text| redact_shared(&self.redactor, text));
        let mut line = serde_json::to_vec(&entry)?;
        line.push(b'\n');
        let mut writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(broken) = &writer.broken {
            bail!(
                "cannot write to {}: an earlier write failed ({broken})",
                self.path.display()
            );
        }
        let written = writer
            .sink
            .write_all(&line)
            .and_then(|()| writer.sink.flush())
            .and_then(|()| writer.sink.sync());
        if let Err(error) = written {
            writer.broken = Some(error.to_string());
            return Err(error).with_context(|| format!("cannot write to {}", self.path.display()));
        }
        Ok(())
    }
}

/// Moves `DIR/journal.jsonl` aside as `DIR/journal-<time>.jsonl`, so that
/// a new journal can start; returns where it went.
pub fn archive_journal(dir: &Path) -> Result<PathBuf> {
    let from = dir.join(JOURNAL_FILE);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut to = dir.join(format!("journal-{stamp}.jsonl"));
    let mut suffix = 2;
    while to.exists() {
        to = dir.join(format!("journal-{stamp}-{suffix}.jsonl"));
        suffix += 1;
    }
    std::fs::rename(&from, &to)
        .with_context(|| format!("cannot move {} aside to {}", from.display(), to.display()))?;
    Ok(to)
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
    use crate::apply::redact::{Redactor, Secret};
    use std::sync::{Arc, RwLock};

    fn redactor() -> SharedRedactor {
        Arc::new(RwLock::new(Redactor::default()))
    }

    fn header() -> JournalHeader {
        JournalHeader {
            journal_version: JOURNAL_VERSION,
            created_at: now(),
            plan_hash: "a".repeat(64),
            base_url: "https://api.sailplay.ru/".into(),
            department_id: "14864".into(),
            tool_version: "0.1.0".into(),
            decisions_hash: "b".repeat(64),
        }
    }

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
        let journal = Journal::open(dir.path(), &header(), redactor()).unwrap();
        journal.append(&intent(1)).unwrap();
        drop(journal);
        let path = dir.path().join(JOURNAL_FILE);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"event\":\"outc").unwrap();
        let state = JournalState::read(dir.path()).unwrap();
        assert!(state.torn_last_line);
        assert_eq!(state.step("c1", 1), Some(StepState::Unknown));
        let journal = Journal::open(dir.path(), &header(), redactor()).unwrap();
        journal.append(&outcome(1, OutcomeKind::Ok, false)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 3, "{text}");
        let state = JournalState::read(dir.path()).unwrap();
        assert!(!state.torn_last_line);
        assert_eq!(
            state.header,
            Some(header()).map(|mut h| {
                h.created_at = state.header.as_ref().unwrap().created_at.clone();
                h
            })
        );
        assert_eq!(state.step("c1", 1), Some(StepState::Done));
    }

    #[test]
    fn a_journal_for_another_plan_or_target_is_named_as_such() {
        let mut state = JournalState::default();
        assert_eq!(state.binding_problem(&header()), None, "an empty journal");
        state.record(&intent(1));
        assert!(
            state
                .binding_problem(&header())
                .unwrap()
                .contains("older sailmerge")
        );
        let mut state = JournalState::default();
        state.record(&JournalEntry::Header(header()));
        assert_eq!(state.binding_problem(&header()), None);
        let mut production = header();
        production.base_url = "http://127.0.0.1:8085/".into();
        production.plan_hash = "c".repeat(64);
        let problem = state.binding_problem(&production).unwrap();
        assert!(
            problem
                .contains("base URL https://api.sailplay.ru/ (this run: http://127.0.0.1:8085/)")
                && problem.contains("plan aaaaaaaaaaaa (this plan.json is cccccccccccc)"),
            "{problem}"
        );
        let mut department = header();
        department.department_id = "1".into();
        assert!(
            state
                .binding_problem(&department)
                .unwrap()
                .contains("store_department_id 14864")
        );
        // Another set of decisions on the same plan continues the journal.
        let mut decisions = header();
        decisions.decisions_hash = "d".repeat(64);
        assert_eq!(state.binding_problem(&decisions), None);
    }

    /// Accepts `room` bytes, then fails as a full disk does.
    struct FullDisk {
        written: Arc<Mutex<Vec<u8>>>,
        room: usize,
    }

    impl Write for FullDisk {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let mut written = self.written.lock().unwrap();
            let left = self.room.saturating_sub(written.len());
            if left == 0 {
                return Err(std::io::Error::from_raw_os_error(28));
            }
            let taken = left.min(bytes.len());
            written.extend_from_slice(&bytes[..taken]);
            Ok(taken)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl JournalSink for FullDisk {
        fn sync(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn after_a_failed_write_every_later_write_fails_too() {
        let written = Arc::new(Mutex::new(Vec::new()));
        let journal = Journal::with_sink(
            Box::new(FullDisk {
                written: written.clone(),
                room: 300,
            }),
            PathBuf::from("journal.jsonl"),
            redactor(),
        );
        let mut appended = 0;
        let error = loop {
            match journal.append(&intent(1)) {
                Ok(()) => appended += 1,
                Err(error) => break error,
            }
        };
        assert!(appended >= 1);
        assert!(format!("{error:#}").contains("No space left"), "{error:#}");
        let torn = written.lock().unwrap().len();
        // Room is made, yet nothing more is written after the gap.
        let later = journal.append(&intent(2)).unwrap_err();
        assert!(format!("{later:#}").contains("an earlier write failed"));
        assert_eq!(written.lock().unwrap().len(), torn);
    }

    #[test]
    fn free_texts_are_redacted_and_identifiers_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let redactor = redactor();
        crate::apply::redact::add_shared(&redactor, &Secret::new("c1".into()));
        crate::apply::redact::add_shared(&redactor, &Secret::new("s3cret".into()));
        let journal = Journal::open(dir.path(), &header(), redactor).unwrap();
        journal
            .append(&JournalEntry::ClusterFinished {
                at: now(),
                cluster_id: "c1".into(),
                status: ClusterStatus::Failed,
                reason: Some("echo: token=s3cret".into()),
            })
            .unwrap();
        let text = std::fs::read_to_string(dir.path().join(JOURNAL_FILE)).unwrap();
        let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(last["cluster_id"], "c1");
        assert_eq!(last["reason"], "echo: token=<redacted>");
    }

    #[test]
    fn a_second_lock_on_one_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let first = ApplyLock::acquire(dir.path()).unwrap();
        assert!(ApplyLock::acquire(dir.path()).is_err());
        drop(first);
        ApplyLock::acquire(dir.path()).unwrap();
    }

    #[test]
    fn runs_and_cluster_outcomes_are_remembered() {
        let mut state = JournalState::default();
        let started = |run| JournalEntry::RunStarted {
            at: now(),
            plan_hash: String::new(),
            pid: 1,
            dry_run: false,
            run,
            tool_version: String::new(),
            decisions_hash: String::new(),
        };
        state.record(&started(1));
        state.record(&JournalEntry::ClusterFinished {
            at: now(),
            cluster_id: "c2".into(),
            status: ClusterStatus::Stale,
            reason: Some("changed".into()),
        });
        state.record(&started(2));
        state.record(&JournalEntry::Verified {
            at: now(),
            cluster_id: "c1".into(),
            matches: true,
            differences: vec![],
        });
        assert_eq!(state.next_run(), 3);
        assert_eq!(state.cluster("c2").unwrap().run, 1);
        assert_eq!(state.cluster("c2").unwrap().status, ClusterStatus::Stale);
        assert_eq!(state.cluster("c1").unwrap().run, 2);
        assert!(state.is_verified("c1"));
    }
}
