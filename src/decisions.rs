//! `decisions.json`: approve or reject per cluster, bound to the plan it was
//! made on by the plan's hash, each decision with its own reviewer, time
//! and note (the audit trail).
//!
//! The file is the single source of truth. Every writer (`approve`, the
//! review page through `review`, a second `review` on the same directory,
//! `plan` carrying approvals forward) changes it only through [`edit`],
//! which takes an exclusive lock on `DIR/decisions.lock`, re-reads the
//! file, applies only that writer's own changes and writes it atomically.
//! A change made against a decision the writer had not seen (the page
//! still shows "undecided" while `approve --reject` has since rejected the
//! cluster) is refused whole, never written over. `apply` reads the file
//! and refuses one made on another plan.
//!
//! Schema version 2; a version 1 file (one reviewer for the whole file) is
//! read with that reviewer on every decision and written back as version 2.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::ids::{ClusterId, UserId};
use crate::plan::MergePlan;

pub const DECISIONS_FILE: &str = "decisions.json";
/// Held while a writer re-reads and writes decisions.json.
pub const LOCK_FILE: &str = "decisions.lock";
pub const SCHEMA_VERSION: u32 = 2;
/// Notes longer than this are refused: a note explains one decision.
pub const MAX_NOTE_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decisions {
    pub schema_version: u32,
    pub plan_hash: String,
    /// RFC 3339, UTC: when the file last changed.
    pub decided_at: String,
    /// Keyed by cluster_id. A cluster that is absent is undecided, and
    /// `apply` does not run it.
    pub clusters: BTreeMap<ClusterId, ClusterDecision>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterDecision {
    pub decision: Decision,
    /// Who made this decision.
    pub reviewer: String,
    /// RFC 3339, UTC.
    pub decided_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For an approval made on an earlier plan and carried into this one
    /// (same members, same values): where it was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carried_from: Option<CarriedFrom>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarriedFrom {
    pub plan_hash: String,
    pub cluster_id: ClusterId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub fn name(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
        }
    }
}

/// The file as any schema version wrote it.
#[derive(Deserialize)]
struct StoredDecisions {
    schema_version: u32,
    plan_hash: String,
    /// Version 1: the one reviewer of every decision.
    #[serde(default)]
    reviewer: Option<String>,
    decided_at: String,
    clusters: BTreeMap<ClusterId, StoredDecision>,
}

#[derive(Deserialize)]
struct StoredDecision {
    decision: Decision,
    #[serde(default)]
    reviewer: Option<String>,
    decided_at: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    carried_from: Option<CarriedFrom>,
}

impl Decisions {
    pub fn empty(plan_hash: &str, now: &str) -> Decisions {
        Decisions {
            schema_version: SCHEMA_VERSION,
            plan_hash: plan_hash.to_string(),
            decided_at: now.to_string(),
            clusters: BTreeMap::new(),
        }
    }

    pub fn read(dir: &Path) -> Result<Decisions> {
        let path = dir.join(DECISIONS_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Decisions::parse(&text)
            .with_context(|| format!("{} is not a valid decisions file", path.display()))
    }

    /// `DIR/decisions.json`, or `None` when there is none.
    pub fn read_if_exists(dir: &Path) -> Result<Option<Decisions>> {
        if dir.join(DECISIONS_FILE).exists() {
            Decisions::read(dir).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Parses either schema version into the current one.
    pub fn parse(text: &str) -> Result<Decisions> {
        let stored: StoredDecisions = serde_json::from_str(text)?;
        if !(1..=SCHEMA_VERSION).contains(&stored.schema_version) {
            bail!(
                "schema version {}; this sailmerge reads versions 1 to {SCHEMA_VERSION}",
                stored.schema_version
            );
        }
        let file_reviewer = stored.reviewer.unwrap_or_default();
        let clusters = stored
            .clusters
            .into_iter()
            .map(|(id, d)| {
                let reviewer = d
                    .reviewer
                    .filter(|r| !r.trim().is_empty())
                    .unwrap_or_else(|| file_reviewer.clone());
                (
                    id,
                    ClusterDecision {
                        decision: d.decision,
                        reviewer,
                        decided_at: d.decided_at,
                        note: d.note,
                        carried_from: d.carried_from,
                    },
                )
            })
            .collect();
        Ok(Decisions {
            schema_version: SCHEMA_VERSION,
            plan_hash: stored.plan_hash,
            decided_at: stored.decided_at,
            clusters,
        })
    }

    /// Writes `DIR/decisions.json` atomically. Only [`edit`] and tests call
    /// this: writers go through `edit` so that the lock is held.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        crate::fsutil::write_bytes_atomically(&dir.join(DECISIONS_FILE), &bytes)
    }

    pub fn is_approved(&self, cluster_id: &str) -> bool {
        self.decision(cluster_id) == Some(Decision::Approve)
    }

    pub fn decision(&self, cluster_id: &str) -> Option<Decision> {
        self.clusters.get(cluster_id).map(|d| d.decision)
    }

    /// `(approved, rejected)`.
    pub fn counts(&self) -> (usize, usize) {
        let approved = self
            .clusters
            .values()
            .filter(|d| d.decision == Decision::Approve)
            .count();
        (approved, self.clusters.len() - approved)
    }
}

/// The current time as decisions record it: RFC 3339, UTC, seconds.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The reviewer's name: the one given (`--reviewer`), else the login name
/// (`$USER`, `$USERNAME`, `$LOGNAME`); `approve` and `review` both ask here.
pub fn resolve_reviewer(given: Option<&str>) -> Result<String> {
    let from_environment = || {
        ["USER", "USERNAME", "LOGNAME"]
            .iter()
            .find_map(|name| std::env::var(name).ok())
    };
    let name = given
        .map(str::to_string)
        .or_else(from_environment)
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty());
    match name {
        Some(name) if name.chars().count() <= 120 => Ok(name),
        Some(_) => bail!("--reviewer is longer than 120 characters"),
        None => bail!("who is deciding? $USER is not set: add --reviewer NAME"),
    }
}

/// A note as stored: trimmed, `None` when empty; refused when too long.
pub fn clean_note(note: Option<&str>) -> Result<Option<String>> {
    let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if note.chars().count() > MAX_NOTE_CHARS {
        bail!("a note is at most {MAX_NOTE_CHARS} characters");
    }
    Ok(Some(note.to_string()))
}

/// The cluster ids of a plan (its clusters and its review band's
/// candidates), looked up without regard to case: `c-1042` names `C-1042`.
pub struct ClusterIds {
    exact: HashMap<ClusterId, ClusterKind>,
    folded: HashMap<String, Option<ClusterId>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterKind {
    /// A cluster `apply` runs once approved.
    Planned,
    /// A candidate of the review band: approving it plans its merges in
    /// the next plan; `apply` never runs it.
    Candidate,
}

impl ClusterIds {
    pub fn of_plan(plan: &MergePlan) -> ClusterIds {
        let planned = plan.clusters.iter().map(|c| (c, ClusterKind::Planned));
        let candidates = plan.candidates.iter().map(|c| (c, ClusterKind::Candidate));
        ClusterIds::new(
            planned
                .chain(candidates)
                .map(|(c, kind)| (&c.cluster_id, kind)),
        )
    }

    pub fn new<'a>(ids: impl IntoIterator<Item = (&'a ClusterId, ClusterKind)>) -> ClusterIds {
        let mut exact = HashMap::new();
        let mut folded: HashMap<String, Option<ClusterId>> = HashMap::new();
        for (id, kind) in ids {
            exact.insert(id.clone(), kind);
            folded
                .entry(ClusterId::folded(id))
                .and_modify(|seen| {
                    // Two ids differing only in case: only exact spellings name them.
                    if seen.as_ref() != Some(id) {
                        *seen = None;
                    }
                })
                .or_insert_with(|| Some(id.clone()));
        }
        ClusterIds { exact, folded }
    }

    /// The plan's spelling of `given` (trimmed, any case), if it names one.
    pub fn resolve(&self, given: &str) -> Option<&ClusterId> {
        let given = given.trim();
        if let Some((id, _)) = self.exact.get_key_value(given) {
            return Some(id);
        }
        self.folded.get(&ClusterId::folded(given))?.as_ref()
    }

    pub fn kind(&self, id: &str) -> Option<ClusterKind> {
        self.exact.get(id).copied()
    }

    pub fn len(&self) -> usize {
        self.exact.len()
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }
}

/// One change a writer asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The plan's spelling of the id.
    pub cluster_id: ClusterId,
    /// `None` clears the decision (the cluster becomes undecided).
    pub decision: Option<Decision>,
    pub condition: Condition,
    pub note: Option<String>,
}

/// When an edit applies, given the cluster's decision in the file now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Whatever it is now: the writer named this cluster explicitly.
    Always,
    /// Only when it is undecided now; otherwise the edit is skipped
    /// (`approve --all` never overrides a decision).
    IfUndecided,
    /// Only when it is now what the writer saw; otherwise the whole
    /// request is refused (the review page, whose view may be stale).
    Expect(Option<Decision>),
}

/// A decision another writer changed since this writer saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub cluster_id: ClusterId,
    /// What the writer expected.
    pub expected: Option<Decision>,
    /// What the file holds now.
    pub current: Option<ClusterDecision>,
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(
        "{path} holds decisions made on another plan ({found}), not on this plan.json ({expected}); move it away, or carry them into a new plan with `sailmerge plan EXPORT --out NEW_DIR --previous DIR`"
    )]
    OtherPlan {
        path: String,
        found: String,
        expected: String,
    },
    #[error("{} changed since this view of it: {}", .0.len(), describe_conflicts(.0))]
    Conflicts(Vec<Conflict>),
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

fn describe_conflicts(conflicts: &[Conflict]) -> String {
    let mut parts: Vec<String> = conflicts
        .iter()
        .take(5)
        .map(|c| match &c.current {
            Some(now) => format!(
                "{} is now {} (by {} at {})",
                c.cluster_id,
                now.decision.name(),
                now.reviewer,
                now.decided_at
            ),
            None => format!("{} is now undecided", c.cluster_id),
        })
        .collect();
    if conflicts.len() > 5 {
        parts.push(format!("and {} more", conflicts.len() - 5));
    }
    parts.join("; ")
}

/// Who writes and when.
#[derive(Debug, Clone, Copy)]
pub struct Writer<'a> {
    pub reviewer: &'a str,
    pub at: &'a str,
}

/// What an edit did.
#[derive(Debug, Clone)]
pub struct Edited {
    /// The file as written (or as found, when nothing changed).
    pub decisions: Decisions,
    /// Clusters whose decision changed.
    pub changed: Vec<ClusterId>,
    /// `Condition::IfUndecided` edits skipped because a decision stood.
    pub skipped: usize,
}

/// What to do with a decisions.json made on another plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherPlan {
    Refuse,
    /// Start a new file in its place (`approve --force`, `plan` writing a
    /// new plan into its own `--previous` directory).
    Replace,
}

/// Re-reads `DIR/decisions.json` under the lock, applies `edits` (all or
/// nothing) and writes it, if anything changed, before releasing the lock.
pub fn edit(
    dir: &Path,
    plan_hash: &str,
    edits: &[Edit],
    writer: Writer,
    other_plan: OtherPlan,
) -> Result<Edited, EditError> {
    let _lock = DecisionsLock::acquire(dir)?;
    let path = dir.join(DECISIONS_FILE);
    let mut decisions = match Decisions::read_if_exists(dir)? {
        Some(existing) if existing.plan_hash == plan_hash => existing,
        Some(existing) if other_plan == OtherPlan::Refuse => {
            return Err(EditError::OtherPlan {
                path: path.display().to_string(),
                found: existing.plan_hash,
                expected: plan_hash.to_string(),
            });
        }
        _ => Decisions::empty(plan_hash, writer.at),
    };
    let fresh = !path.exists() || decisions.clusters.is_empty();
    let (changed, skipped) =
        apply_edits(&mut decisions, edits, writer).map_err(EditError::Conflicts)?;
    if !changed.is_empty() || fresh {
        decisions
            .write(dir)
            .with_context(|| format!("cannot save {}", path.display()))?;
    }
    Ok(Edited {
        decisions,
        changed,
        skipped,
    })
}

/// Applies `edits` to `decisions` in memory: all of them, or none when one
/// `Condition::Expect` does not hold. Returns the changed cluster ids and
/// how many `IfUndecided` edits were skipped. A decision set again as it
/// stands, with no new note, keeps its reviewer and time.
pub fn apply_edits(
    decisions: &mut Decisions,
    edits: &[Edit],
    writer: Writer,
) -> Result<(Vec<ClusterId>, usize), Vec<Conflict>> {
    let conflicts: Vec<Conflict> = edits
        .iter()
        .filter_map(|edit| match edit.condition {
            Condition::Expect(expected) if decisions.decision(&edit.cluster_id) != expected => {
                Some(Conflict {
                    cluster_id: edit.cluster_id.clone(),
                    expected,
                    current: decisions.clusters.get(&edit.cluster_id).cloned(),
                })
            }
            _ => None,
        })
        .collect();
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    let mut changed = Vec::new();
    let mut skipped = 0;
    for edit in edits {
        let current = decisions.clusters.get(&edit.cluster_id);
        if edit.condition == Condition::IfUndecided && current.is_some() {
            skipped += 1;
            continue;
        }
        match edit.decision {
            Some(decision) => {
                let restated = current.is_some_and(|now| {
                    now.decision == decision && (edit.note.is_none() || edit.note == now.note)
                });
                if restated {
                    continue;
                }
                decisions.clusters.insert(
                    edit.cluster_id.clone(),
                    ClusterDecision {
                        decision,
                        reviewer: writer.reviewer.to_string(),
                        decided_at: writer.at.to_string(),
                        note: edit.note.clone(),
                        carried_from: None,
                    },
                );
            }
            None => {
                if decisions.clusters.remove(&edit.cluster_id).is_none() {
                    continue;
                }
            }
        }
        changed.push(edit.cluster_id.clone());
    }
    if !changed.is_empty() {
        decisions.decided_at = writer.at.to_string();
    }
    Ok((changed, skipped))
}

/// Writes a new decisions.json for a new plan, starting with decisions
/// carried from earlier plans (as they were made: reviewer, time, note),
/// under the lock. Replaces a file made on another plan: the caller
/// (`plan`) has read what it carries from it.
pub fn start_with(
    dir: &Path,
    plan_hash: &str,
    carried: BTreeMap<ClusterId, ClusterDecision>,
    now: &str,
) -> Result<Decisions> {
    let _lock = DecisionsLock::acquire(dir)?;
    let decisions = Decisions {
        schema_version: SCHEMA_VERSION,
        plan_hash: plan_hash.to_string(),
        decided_at: now.to_string(),
        clusters: carried,
    };
    decisions.write(dir)?;
    Ok(decisions)
}

/// An exclusive lock on `DIR/decisions.lock`, released on drop (and by the
/// operating system when the process ends, even by SIGKILL).
pub struct DecisionsLock {
    file: File,
}

impl DecisionsLock {
    /// Waits for the lock: writers hold it for the few milliseconds a
    /// read and a write take.
    pub fn acquire(dir: &Path) -> Result<DecisionsLock> {
        let path: PathBuf = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        file.lock()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(DecisionsLock { file })
    }
}

impl Drop for DecisionsLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// Writes the decisions of every cluster and candidate of `plan` as CSV
/// for auditors: UTF-8 with a byte-order mark (so that Excel reads the
/// Cyrillic right), one row per cluster, undecided ones included, and
/// every cell that a spreadsheet would read as a formula neutralised.
pub fn write_csv(path: &Path, plan: &MergePlan, decisions: &Decisions) -> Result<()> {
    crate::fsutil::write_atomically(path, |out| {
        out.write_all("\u{feff}".as_bytes())?;
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record([
            "cluster_id",
            "kind",
            "decision",
            "reviewer",
            "decided_at",
            "note",
            "carried_from_plan",
            "carried_from_cluster",
            "status",
            "risk_level",
            "risk_score",
            "members",
            "survivor",
        ])?;
        let planned = plan.clusters.iter().map(|c| (c, "cluster"));
        let candidates = plan.candidates.iter().map(|c| (c, "candidate"));
        for (cluster, kind) in planned.chain(candidates) {
            let decided = decisions.clusters.get(&cluster.cluster_id);
            let text = |value: Option<&str>| value.unwrap_or("").to_string();
            let row = [
                cluster.cluster_id.to_string(),
                kind.to_string(),
                decided
                    .map_or("undecided", |d| d.decision.name())
                    .to_string(),
                text(decided.map(|d| d.reviewer.as_str())),
                text(decided.map(|d| d.decided_at.as_str())),
                text(decided.and_then(|d| d.note.as_deref())),
                text(decided.and_then(|d| d.carried_from.as_ref().map(|c| c.plan_hash.as_str()))),
                text(decided.and_then(|d| d.carried_from.as_ref().map(|c| c.cluster_id.as_str()))),
                cluster.triage.status.name().to_string(),
                cluster.triage.risk.level.clone(),
                format!("{:.1}", cluster.triage.risk.score),
                cluster
                    .members
                    .iter()
                    .map(UserId::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
                cluster.survivor.to_string(),
            ];
            writer.write_record(row.iter().map(|cell| neutralise_formula(cell).into_owned()))?;
        }
        writer.flush()
    })
}

/// A cell a spreadsheet would run as a formula (it starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return) gets a leading apostrophe, which
/// Excel and LibreOffice show as text and do not evaluate.
pub fn neutralise_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Writer = Writer {
        reviewer: "Анна",
        at: "2026-01-01T10:00:00Z",
    };
    const B: Writer = Writer {
        reviewer: "Борис",
        at: "2026-01-02T10:00:00Z",
    };

    fn edit(id: &str, decision: Option<Decision>, condition: Condition) -> Edit {
        Edit {
            cluster_id: id.into(),
            decision,
            condition,
            note: None,
        }
    }

    #[test]
    fn each_decision_keeps_its_own_reviewer_time_and_note() {
        let mut decisions = Decisions::empty("h", "T0");
        let mut rejected = edit("C-2", Some(Decision::Reject), Condition::Always);
        rejected.note = Some("father and son".into());
        apply_edits(
            &mut decisions,
            &[
                edit("C-1", Some(Decision::Approve), Condition::Always),
                rejected,
            ],
            A,
        )
        .unwrap();
        // B approves everything undecided: A's decisions stay A's.
        let all: Vec<Edit> = ["C-1", "C-2", "C-3"]
            .iter()
            .map(|id| edit(id, Some(Decision::Approve), Condition::IfUndecided))
            .collect();
        let (changed, skipped) = apply_edits(&mut decisions, &all, B).unwrap();
        assert_eq!((changed, skipped), (vec![ClusterId::from("C-3")], 2));
        let c1 = &decisions.clusters["C-1"];
        assert_eq!((c1.reviewer.as_str(), c1.decided_at.as_str()), A_STAMP);
        let c2 = &decisions.clusters["C-2"];
        assert_eq!(c2.decision, Decision::Reject);
        assert_eq!(c2.note.as_deref(), Some("father and son"));
        let c3 = &decisions.clusters["C-3"];
        assert_eq!((c3.reviewer.as_str(), c3.note.as_deref()), ("Борис", None));
        assert_eq!(decisions.decided_at, B.at);
    }

    const A_STAMP: (&str, &str) = ("Анна", "2026-01-01T10:00:00Z");

    #[test]
    fn restating_a_decision_keeps_who_made_it_first() {
        let mut decisions = Decisions::empty("h", "T0");
        apply_edits(
            &mut decisions,
            &[edit("C-1", Some(Decision::Approve), Condition::Always)],
            A,
        )
        .unwrap();
        let (changed, _) = apply_edits(
            &mut decisions,
            &[edit("C-1", Some(Decision::Approve), Condition::Always)],
            B,
        )
        .unwrap();
        assert!(changed.is_empty());
        let c1 = &decisions.clusters["C-1"];
        assert_eq!((c1.reviewer.as_str(), c1.decided_at.as_str()), A_STAMP);
    }

    #[test]
    fn a_stale_view_cannot_revert_a_rejection() {
        let mut decisions = Decisions::empty("h", "T0");
        apply_edits(
            &mut decisions,
            &[edit("C-10", Some(Decision::Reject), Condition::Always)],
            A,
        )
        .unwrap();
        // The page still shows C-10 undecided and approves it, with another.
        let before = decisions.clone();
        let conflicts = apply_edits(
            &mut decisions,
            &[
                edit("C-11", Some(Decision::Approve), Condition::Expect(None)),
                edit("C-10", Some(Decision::Approve), Condition::Expect(None)),
            ],
            B,
        )
        .unwrap_err();
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].cluster_id, "C-10");
        assert_eq!(
            conflicts[0].current.as_ref().map(|c| c.decision),
            Some(Decision::Reject)
        );
        assert_eq!(decisions, before, "all or nothing");
        let error = EditError::Conflicts(conflicts).to_string();
        assert!(error.contains("C-10 is now reject (by Анна"), "{error}");
    }

    #[test]
    fn clearing_removes_the_decision() {
        let mut decisions = Decisions::empty("h", "T0");
        apply_edits(
            &mut decisions,
            &[edit("C-1", Some(Decision::Approve), Condition::Always)],
            A,
        )
        .unwrap();
        let (changed, _) = apply_edits(
            &mut decisions,
            &[edit(
                "C-1",
                None,
                Condition::Expect(Some(Decision::Approve)),
            )],
            B,
        )
        .unwrap();
        assert_eq!(changed, ["C-1"]);
        assert!(decisions.clusters.is_empty());
    }

    #[test]
    fn version_one_files_read_with_their_reviewer_on_each_decision() {
        let v1 = r#"{"schema_version":1,"plan_hash":"h","reviewer":"Анна","decided_at":"T",
            "clusters":{"c000001":{"decision":"approve","decided_at":"T1"},
                        "c000002":{"decision":"reject","decided_at":"T2","note":"twins"}}}"#;
        let decisions = Decisions::parse(v1).unwrap();
        assert_eq!(decisions.schema_version, SCHEMA_VERSION);
        assert_eq!(decisions.clusters["c000001"].reviewer, "Анна");
        assert_eq!(decisions.clusters["c000002"].note.as_deref(), Some("twins"));
        let back = Decisions::parse(&serde_json::to_string(&decisions).unwrap()).unwrap();
        assert_eq!(back, decisions);
        assert!(
            Decisions::parse(&v1.replace("\"schema_version\":1", "\"schema_version\":9")).is_err()
        );
    }

    #[test]
    fn ids_resolve_in_any_case_unless_ambiguous() {
        let known = [
            ("C-1042", ClusterKind::Planned),
            ("B-77", ClusterKind::Candidate),
            ("x-1", ClusterKind::Planned),
            ("X-1", ClusterKind::Planned),
        ]
        .map(|(id, kind)| (ClusterId::from(id), kind));
        let ids = ClusterIds::new(known.iter().map(|(id, kind)| (id, *kind)));
        let resolve = |typed| ids.resolve(typed).map(ClusterId::as_str);
        assert_eq!(resolve(" c-1042 "), Some("C-1042"));
        assert_eq!(resolve("b-77"), Some("B-77"));
        assert_eq!(ids.kind("B-77"), Some(ClusterKind::Candidate));
        assert_eq!(resolve("X-1"), Some("X-1"));
        assert_eq!(resolve("x-1"), Some("x-1"));
        assert_eq!(resolve("C-9"), None);
    }

    #[test]
    fn formula_cells_are_neutralised() {
        for (cell, expected) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+7 999", "'+7 999"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("Анна", "Анна"),
            ("", ""),
            ("1+1", "1+1"),
        ] {
            assert_eq!(neutralise_formula(cell), expected, "{cell:?}");
        }
    }

    #[test]
    fn a_second_writer_waits_for_the_lock_and_sees_the_first_ones_decision() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().to_path_buf();
        let held = DecisionsLock::acquire(&dir).unwrap();
        let writer_dir = dir.clone();
        let second = std::thread::spawn(move || {
            super::edit(
                &writer_dir,
                "h",
                &[super::tests::edit(
                    "C-1",
                    Some(Decision::Approve),
                    Condition::Expect(None),
                )],
                B,
                OtherPlan::Refuse,
            )
        });
        // While the lock is held, the first writer rejects C-1.
        std::thread::sleep(std::time::Duration::from_millis(100));
        let mut first = Decisions::empty("h", "T0");
        apply_edits(
            &mut first,
            &[super::tests::edit(
                "C-1",
                Some(Decision::Reject),
                Condition::Always,
            )],
            A,
        )
        .unwrap();
        first.write(&dir).unwrap();
        drop(held);
        let result = second.join().unwrap();
        assert!(matches!(result, Err(EditError::Conflicts(_))), "{result:?}");
        assert_eq!(
            Decisions::read(&dir).unwrap().decision("C-1"),
            Some(Decision::Reject)
        );
    }

    #[test]
    fn a_file_of_another_plan_is_refused_unless_replaced() {
        let dir = tempfile::tempdir().unwrap();
        Decisions::empty("old", "T").write(dir.path()).unwrap();
        let approve = [edit("C-1", Some(Decision::Approve), Condition::Always)];
        let error = super::edit(dir.path(), "new", &approve, A, OtherPlan::Refuse).unwrap_err();
        assert!(matches!(error, EditError::OtherPlan { .. }), "{error}");
        assert!(error.to_string().contains("--previous"), "{error}");
        let edited = super::edit(dir.path(), "new", &approve, A, OtherPlan::Replace).unwrap();
        assert_eq!(edited.decisions.plan_hash, "new");
        assert!(Decisions::read(dir.path()).unwrap().is_approved("C-1"));
    }
}
