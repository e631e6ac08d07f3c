//! The decisions ledger: what reviewers decided and what `apply` carried
//! out, kept from one plan to the next, keyed by user_id (which Sailplay
//! never changes except through a merge).
//!
//! Every plan writes `DIR/ledger.json`: the ledger it was made with (the
//! never-merge constraints and applied merges of earlier runs) and a
//! snapshot of its own clusters and candidates (members with a fingerprint
//! of their values). `plan EXPORT --out DIR2 --previous DIR1` reads DIR1's
//! ledger.json, decisions.json and journal.jsonl and carries forward:
//!
//! - each rejection, as never-merge constraints on every pair of the
//!   rejected cluster's members: no later plan links two of them while
//!   neither profile has changed (a component that would join them is split
//!   at its weakest links, and its clusters name the constraint);
//! - each approval of a cluster not yet applied, into DIR2/decisions.json
//!   with its reviewer, time and note, when a cluster of DIR2 has the same
//!   members with the same values (bound to DIR2's plan hash, marked
//!   `carried_from`);
//! - each approved candidate of the review band, as links DIR2 makes
//!   although they score below the threshold;
//! - what `apply` merged (from the journal): a merged-away profile still in
//!   the new export is reported (the export is older than the apply), and
//!   a survivor is recognised, its merged values being the plan's result.
//!
//! `--ledger FILE` keeps the same ledger in one place for a team: read
//! before the plan, written back (with DIR1's decisions and applies added)
//! after it.
//!
//! A profile "changed" when its fingerprint differs: SHA-256 of the fields
//! matching and the planner look at (points move with every purchase and
//! are left out, as are custom attributes), first 64 bits in hex. The
//! ledger holds fingerprints, not values, so keeping it in a shared place
//! spreads no phone or e-mail.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::apply::journal::{JournalState, StepState};
use crate::constraints::LinkConstraints;
use crate::decisions::{CarriedFrom, ClusterDecision, Decision, Decisions};
use crate::ids::{ClusterId, UserId};
use crate::plan::{
    AppliedBefore, ClusterStatus, EarlierCluster, KeptApart, MergePlan, Method, PlanHistory,
    PlannedCluster,
};
use crate::profile::{Field, Profile};

pub const LEDGER_FILE: &str = "ledger.json";
pub const SCHEMA_VERSION: u32 = 1;

/// A profile as a decision saw it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProfileRef {
    pub user_id: UserId,
    pub fingerprint: String,
}

/// Two profiles a reviewer kept apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeverMerge {
    pub a: ProfileRef,
    pub b: ProfileRef,
    /// The plan and the rejected cluster (or candidate).
    pub plan_hash: String,
    pub cluster_id: ClusterId,
    pub reviewer: String,
    pub decided_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A cluster whose merges `apply` carried out (all of them, or the first
/// ones when it stopped half-way).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedMerge {
    pub plan_hash: String,
    pub cluster_id: ClusterId,
    pub survivor: UserId,
    /// The survivor's fingerprint before the merges.
    pub survivor_before: String,
    /// The profiles merged into it.
    pub merged: Vec<UserId>,
    /// The fingerprint of the plan's simulated result, which `apply`
    /// verified; absent when the cluster stopped half-way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}

/// The ledger proper: what outlives plans.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ledger {
    pub never_merge: Vec<NeverMerge>,
    pub applied: Vec<AppliedMerge>,
}

/// `DIR/ledger.json`: the ledger a plan was made with, and the plan's own
/// clusters as the next plan needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanLedger {
    pub schema_version: u32,
    pub plan_hash: String,
    #[serde(flatten)]
    pub ledger: Ledger,
    pub clusters: Vec<ClusterSnapshot>,
}

/// `--ledger FILE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct TeamLedger {
    schema_version: u32,
    #[serde(flatten)]
    ledger: Ledger,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSnapshot {
    pub cluster_id: ClusterId,
    /// A candidate of the review band rather than a planned cluster.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub candidate: bool,
    pub members: Vec<ProfileRef>,
    pub survivor: UserId,
    /// The profiles merged, in the order of the plan's merge steps (step
    /// 1 merges the first).
    pub merge_order: Vec<UserId>,
    /// The fingerprint of the simulated result.
    pub result: String,
    /// For a candidate: the pairs that link it (evidence), by user_id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<(UserId, UserId)>,
}

/// Hex of the first 64 bits of SHA-256 over the tracked fields:
/// enough to tell a changed profile from the same one (a chance collision
/// is one in 2^64 per comparison), and short, since the ledger holds one
/// per profile in a cluster.
pub fn fingerprint(profile: &Profile) -> String {
    let mut hasher = Sha256::new();
    for field in Field::tracked() {
        hasher.update(field.name().as_bytes());
        hasher.update([0x1f]);
        if let Some(value) = profile.get(field) {
            hasher.update([1]);
            hasher.update(value.as_bytes());
        } else {
            hasher.update([0]);
        }
        hasher.update([0x1e]);
    }
    hex::encode(&hasher.finalize()[..8])
}

fn profile_ref(profile: &Profile) -> ProfileRef {
    ProfileRef {
        user_id: profile.user_id.clone(),
        fingerprint: fingerprint(profile),
    }
}

fn snapshot(cluster: &PlannedCluster, candidate: bool) -> ClusterSnapshot {
    ClusterSnapshot {
        cluster_id: cluster.cluster_id.clone(),
        candidate,
        members: cluster.profiles.iter().map(profile_ref).collect(),
        survivor: cluster.survivor.clone(),
        merge_order: cluster
            .steps
            .iter()
            .filter(|step| step.method == Method::Merge)
            .filter_map(|step| merged_profile(&step.params).map(UserId::from))
            .collect(),
        result: fingerprint(&cluster.result),
        links: if candidate {
            cluster
                .evidence
                .iter()
                .map(|pair| (pair.left.clone(), pair.right.clone()))
                .collect()
        } else {
            Vec::new()
        },
    }
}

/// The user_id a merge step merges away (`from_uid`).
fn merged_profile(params: &BTreeMap<String, String>) -> Option<&str> {
    params.get("from_uid").map(String::as_str)
}

impl PlanLedger {
    /// The file `plan` writes beside plan.json.
    pub fn of_plan(plan: &MergePlan, ledger: &Ledger) -> PlanLedger {
        let planned = plan.clusters.par_iter().map(|c| snapshot(c, false));
        let candidates = plan.candidates.par_iter().map(|c| snapshot(c, true));
        PlanLedger {
            schema_version: SCHEMA_VERSION,
            plan_hash: plan.plan_hash.clone(),
            ledger: ledger.clone(),
            clusters: planned.chain(candidates).collect(),
        }
    }

    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(LEDGER_FILE);
        crate::fsutil::write_atomically(&path, |out| {
            serde_json::to_writer(&mut *out, self)?;
            out.write_all(b"\n")
        })
    }

    /// `DIR/ledger.json`; for a plan written before there was one, the same
    /// built from `DIR/plan.json` (with an empty ledger).
    pub fn read(dir: &Path) -> Result<PlanLedger> {
        let path = dir.join(LEDGER_FILE);
        if !path.exists() {
            let plan = MergePlan::read(dir).with_context(|| {
                format!(
                    "{} has neither ledger.json nor a readable plan.json",
                    dir.display()
                )
            })?;
            return Ok(PlanLedger::of_plan(&plan, &Ledger::default()));
        }
        let text =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let ledger: PlanLedger = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a valid ledger", path.display()))?;
        if ledger.schema_version != SCHEMA_VERSION {
            bail!(
                "{} has schema version {}, this sailmerge reads version {SCHEMA_VERSION}",
                path.display(),
                ledger.schema_version
            );
        }
        Ok(ledger)
    }
}

/// Reads a team ledger; an absent file is an empty ledger.
pub fn read_team_ledger(path: &Path) -> Result<Ledger> {
    if !path.exists() {
        return Ok(Ledger::default());
    }
    let text =
        std::fs::read(path).with_context(|| format!("cannot read --ledger {}", path.display()))?;
    let team: TeamLedger = serde_json::from_slice(&text)
        .with_context(|| format!("--ledger {} is not a sailmerge ledger", path.display()))?;
    if team.schema_version != SCHEMA_VERSION {
        bail!(
            "--ledger {} has schema version {}, this sailmerge reads version {SCHEMA_VERSION}",
            path.display(),
            team.schema_version
        );
    }
    Ok(team.ledger)
}

pub fn write_team_ledger(path: &Path, ledger: &Ledger) -> Result<()> {
    let team = TeamLedger {
        schema_version: SCHEMA_VERSION,
        ledger: ledger.clone(),
    };
    crate::fsutil::write_atomically(path, |out| {
        serde_json::to_writer_pretty(&mut *out, &team)?;
        out.write_all(b"\n")
    })
    .with_context(|| format!("cannot write --ledger {}", path.display()))
}

impl Ledger {
    /// Adds `other`'s records this ledger lacks, keeping the first of equal
    /// ones.
    pub fn absorb(&mut self, other: Ledger) {
        let seen: HashSet<(UserId, UserId, String)> = self
            .never_merge
            .iter()
            .map(|n| {
                (
                    n.a.user_id.clone(),
                    n.b.user_id.clone(),
                    n.plan_hash.clone(),
                )
            })
            .collect();
        for record in other.never_merge {
            let key = (
                record.a.user_id.clone(),
                record.b.user_id.clone(),
                record.plan_hash.clone(),
            );
            if !seen.contains(&key) {
                self.never_merge.push(record);
            }
        }
        let applied: HashSet<(String, ClusterId)> = self
            .applied
            .iter()
            .map(|a| (a.plan_hash.clone(), a.cluster_id.clone()))
            .collect();
        for record in other.applied {
            if !applied.contains(&(record.plan_hash.clone(), record.cluster_id.clone())) {
                self.applied.push(record);
            }
        }
    }
}

/// An approval of the previous plan, to be carried forward.
#[derive(Debug, Clone)]
struct Approval {
    snapshot: usize,
    decision: ClusterDecision,
}

/// Everything a new plan takes from earlier runs.
pub struct History {
    /// The ledger the new plan is made with.
    pub ledger: Ledger,
    previous: Option<Previous>,
}

/// The previous plan (`--previous DIR1`).
struct Previous {
    plan_hash: String,
    clusters: Vec<ClusterSnapshot>,
    decisions: Decisions,
    /// Snapshot positions of clusters `apply` merged (wholly or in part).
    applied: HashSet<usize>,
    approvals: Vec<Approval>,
}

impl History {
    /// Reads `--ledger FILE` (if any) and the previous plan directory (if
    /// any), and folds the previous plan's rejections and applied merges
    /// into the ledger.
    pub fn read(previous: Option<&Path>, team: Option<&Path>) -> Result<History> {
        let mut ledger = match team {
            Some(path) => read_team_ledger(path)?,
            None => Ledger::default(),
        };
        let Some(dir) = previous else {
            return Ok(History {
                ledger,
                previous: None,
            });
        };
        let plan_ledger = PlanLedger::read(dir)?;
        let decisions = match Decisions::read_if_exists(dir)? {
            Some(decisions) if decisions.plan_hash == plan_ledger.plan_hash => decisions,
            Some(decisions) => bail!(
                "--previous {}: decisions.json was made on plan {}, but the directory's plan is {}; its decisions cannot be carried",
                dir.display(),
                decisions.plan_hash,
                plan_ledger.plan_hash
            ),
            None => Decisions::empty(&plan_ledger.plan_hash, ""),
        };
        let journal = JournalState::read(dir)
            .with_context(|| format!("--previous {}: cannot read its journal", dir.display()))?;
        ledger.absorb(plan_ledger.ledger.clone());
        let mut applied = HashSet::new();
        let mut approvals = Vec::new();
        let mut new_records = Ledger::default();
        let planned_cluster_of: HashMap<&str, usize> = plan_ledger
            .clusters
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.candidate)
            .flat_map(|(position, c)| {
                c.members
                    .iter()
                    .map(move |m| (m.user_id.as_str(), position))
            })
            .collect();
        for (position, cluster) in plan_ledger.clusters.iter().enumerate() {
            if !cluster.candidate
                && let Some(merge) = applied_merge(&plan_ledger.plan_hash, cluster, &journal)
            {
                applied.insert(position);
                new_records.applied.push(merge);
                continue;
            }
            let Some(decided) = decisions.clusters.get(&cluster.cluster_id) else {
                continue;
            };
            match decided.decision {
                Decision::Reject => {
                    // A rejected candidate rejects what the band added, not
                    // the planned clusters it contains.
                    let together = |a: &str, b: &str| {
                        cluster.candidate
                            && planned_cluster_of.contains_key(a)
                            && planned_cluster_of.get(a) == planned_cluster_of.get(b)
                    };
                    new_records.never_merge.extend(never_merge_pairs(
                        &plan_ledger.plan_hash,
                        cluster,
                        decided,
                        together,
                    ))
                }
                Decision::Approve => approvals.push(Approval {
                    snapshot: position,
                    decision: ClusterDecision {
                        carried_from: Some(decided.carried_from.clone().unwrap_or(CarriedFrom {
                            plan_hash: plan_ledger.plan_hash.clone(),
                            cluster_id: cluster.cluster_id.clone(),
                        })),
                        ..decided.clone()
                    },
                }),
            }
        }
        ledger.absorb(new_records);
        Ok(History {
            ledger,
            previous: Some(Previous {
                plan_hash: plan_ledger.plan_hash,
                clusters: plan_ledger.clusters,
                decisions,
                applied,
                approvals,
            }),
        })
    }

    pub fn previous_plan_hash(&self) -> Option<&str> {
        self.previous.as_ref().map(|p| p.plan_hash.as_str())
    }
}

/// Every pair of a rejected cluster's members (the reviewer said they are
/// not one person, and cannot have said which of them belong together),
/// less the pairs `together` exempts.
fn never_merge_pairs(
    plan_hash: &str,
    cluster: &ClusterSnapshot,
    decided: &ClusterDecision,
    together: impl Fn(&str, &str) -> bool,
) -> Vec<NeverMerge> {
    let mut pairs = Vec::new();
    for (position, a) in cluster.members.iter().enumerate() {
        for b in &cluster.members[position + 1..] {
            if together(&a.user_id, &b.user_id) {
                continue;
            }
            pairs.push(NeverMerge {
                a: a.clone(),
                b: b.clone(),
                plan_hash: plan_hash.to_string(),
                cluster_id: cluster.cluster_id.clone(),
                reviewer: decided.reviewer.clone(),
                decided_at: decided.decided_at.clone(),
                note: decided.note.clone(),
            });
        }
    }
    pairs
}

/// What the journal says `apply` merged of `cluster`, if anything.
fn applied_merge(
    plan_hash: &str,
    cluster: &ClusterSnapshot,
    journal: &JournalState,
) -> Option<AppliedMerge> {
    let merged: Vec<UserId> = cluster
        .merge_order
        .iter()
        .enumerate()
        .filter(|(index, _)| {
            journal.step(&cluster.cluster_id, *index as u32 + 1) == Some(StepState::Done)
        })
        .map(|(_, user_id)| user_id.clone())
        .collect();
    let verified = journal.is_verified(&cluster.cluster_id);
    if merged.is_empty() && !verified {
        return None;
    }
    let survivor_before = cluster
        .members
        .iter()
        .find(|m| m.user_id == cluster.survivor)
        .map(|m| m.fingerprint.clone())
        .unwrap_or_default();
    Some(AppliedMerge {
        plan_hash: plan_hash.to_string(),
        cluster_id: cluster.cluster_id.clone(),
        survivor: cluster.survivor.clone(),
        survivor_before,
        merged: if verified {
            cluster.merge_order.clone()
        } else {
            merged
        },
        result: verified.then(|| cluster.result.clone()),
    })
}

/// The ledger's records against one export: which rows its constraints
/// name, and what it says of each profile.
pub struct Resolved {
    pub constraints: LinkConstraints,
    /// Row of each user_id the ledger names that is in the export.
    rows: HashMap<UserId, u32>,
    /// Active never-merge records by row pair (smaller row first).
    active: Vec<((u32, u32), usize)>,
    pub summary: PlanHistory,
}

/// What an applied merge made of a profile.
struct AppliedFate<'a> {
    merge: &'a AppliedMerge,
    merged_away: bool,
}

impl History {
    fn applied_fates(&self) -> HashMap<&str, AppliedFate<'_>> {
        let mut fates = HashMap::new();
        for merge in &self.ledger.applied {
            fates.insert(
                merge.survivor.as_str(),
                AppliedFate {
                    merge,
                    merged_away: false,
                },
            );
            for merged in &merge.merged {
                fates.insert(
                    merged.as_str(),
                    AppliedFate {
                        merge,
                        merged_away: true,
                    },
                );
            }
        }
        fates
    }

    /// Finds the profiles the ledger names in `profiles` and turns its
    /// records into constraints on rows.
    pub fn resolve(&self, profiles: &[Profile]) -> Resolved {
        let fates = self.applied_fates();
        let mut named: HashSet<&str> = HashSet::new();
        for record in &self.ledger.never_merge {
            named.insert(record.a.user_id.as_str());
            named.insert(record.b.user_id.as_str());
        }
        for merge in &self.ledger.applied {
            named.insert(merge.survivor.as_str());
            named.extend(merge.merged.iter().map(UserId::as_str));
        }
        let approved_candidates = self.approved_candidates();
        for snapshot in &approved_candidates {
            named.extend(snapshot.members.iter().map(|m| m.user_id.as_str()));
        }
        let rows: HashMap<UserId, u32> = profiles
            .iter()
            .enumerate()
            .filter(|(_, p)| !named.is_empty() && named.contains(p.user_id.as_str()))
            .map(|(row, p)| (p.user_id.clone(), row as u32))
            .collect();
        let fingerprints: HashMap<u32, String> = rows
            .values()
            .map(|&row| (row, fingerprint(&profiles[row as usize])))
            .collect();
        let locate = |reference: &ProfileRef| -> Option<u32> {
            locate(reference, &rows, &fingerprints, &fates)
        };

        let mut summary = PlanHistory {
            previous_plan_hash: self.previous_plan_hash().map(str::to_string),
            applied_merges: self.ledger.applied.len() as u64,
            ..PlanHistory::default()
        };
        let mut active = Vec::new();
        for (index, record) in self.ledger.never_merge.iter().enumerate() {
            match (locate(&record.a), locate(&record.b)) {
                (Some(a), Some(b)) if a != b => {
                    active.push(((a.min(b), a.max(b)), index));
                    summary.never_merge_applied += 1;
                }
                _ => summary.never_merge_lapsed += 1,
            }
        }
        let mut must = Vec::new();
        for snapshot in &approved_candidates {
            let unchanged = snapshot.members.iter().all(|m| locate(m).is_some());
            if !unchanged {
                continue;
            }
            for (left, right) in &snapshot.links {
                if let (Some(&a), Some(&b)) = (rows.get(left), rows.get(right)) {
                    must.push((a, b));
                    summary.band_links_approved += 1;
                }
            }
        }
        let mut merged_away: Vec<&UserId> = self
            .ledger
            .applied
            .iter()
            .flat_map(|m| &m.merged)
            .filter(|id| rows.contains_key(*id))
            .collect();
        merged_away.sort();
        merged_away.dedup();
        summary.merged_away_in_export = merged_away.len() as u64;
        summary.merged_away_examples = merged_away.into_iter().take(20).cloned().collect();
        Resolved {
            constraints: LinkConstraints::new(active.iter().map(|(pair, _)| *pair), must),
            rows,
            active,
            summary,
        }
    }

    fn approved_candidates(&self) -> Vec<&ClusterSnapshot> {
        let Some(previous) = &self.previous else {
            return Vec::new();
        };
        previous
            .approvals
            .iter()
            .map(|a| &previous.clusters[a.snapshot])
            .filter(|s| s.candidate)
            .collect()
    }

    /// Fills in each cluster's and candidate's triage against the previous
    /// plan and the ledger, and returns the approvals carried into the new
    /// plan's decisions.json, by cluster id.
    pub fn triage(
        &self,
        resolved: &mut Resolved,
        clusters: &mut [PlannedCluster],
        candidates: &mut [PlannedCluster],
    ) -> BTreeMap<ClusterId, ClusterDecision> {
        let fates = self.applied_fates();
        let kept_apart = self.kept_apart_by_user(resolved);
        let mut carried = BTreeMap::new();
        let (mut new, mut changed, mut carried_over) = (0, 0, 0);
        let previous = self.previous.as_ref();
        let index = previous.map(|p| SnapshotIndex::new(&p.clusters));
        for (cluster, is_candidate) in clusters
            .iter_mut()
            .map(|c| (c, false))
            .chain(candidates.iter_mut().map(|c| (c, true)))
        {
            let fingerprints: Vec<String> = cluster.profiles.iter().map(fingerprint).collect();
            let (status, earlier) = match (previous, &index) {
                (Some(previous), Some(index)) => {
                    index.status(previous, &cluster.members, &fingerprints)
                }
                _ => (ClusterStatus::New, None),
            };
            match status {
                ClusterStatus::New => new += 1,
                ClusterStatus::Changed => changed += 1,
                ClusterStatus::CarriedOver => carried_over += 1,
            }
            let triage = &mut cluster.triage;
            triage.status = status;
            if let (Some(previous), Some(position)) = (previous, earlier) {
                let snapshot = &previous.clusters[position];
                let decided = previous.decisions.clusters.get(&snapshot.cluster_id);
                triage.previous = Some(EarlierCluster {
                    plan_hash: previous.plan_hash.clone(),
                    cluster_id: snapshot.cluster_id.clone(),
                    decision: decided.map(|d| d.decision),
                    reviewer: decided.map(|d| d.reviewer.clone()),
                    decided_at: decided.map(|d| d.decided_at.clone()),
                    note: decided.and_then(|d| d.note.clone()),
                });
                let approval = previous.approvals.iter().find(|a| a.snapshot == position);
                let already_applied = previous.applied.contains(&position);
                if !is_candidate
                    && status == ClusterStatus::CarriedOver
                    && !already_applied
                    && let Some(approval) = approval
                {
                    carried.insert(cluster.cluster_id.clone(), approval.decision.clone());
                }
            }
            triage.kept_apart = cluster
                .members
                .iter()
                .flat_map(|member| kept_apart.get(member).into_iter().flatten())
                .cloned()
                .collect();
            triage.applied_before = cluster
                .members
                .iter()
                .filter_map(|member| {
                    let fate = fates.get(member.as_str())?;
                    Some(AppliedBefore {
                        user_id: member.clone(),
                        survivor: fate.merge.survivor.clone(),
                        cluster_id: fate.merge.cluster_id.clone(),
                        plan_hash: fate.merge.plan_hash.clone(),
                    })
                })
                .collect();
        }
        let summary = &mut resolved.summary;
        summary.new = new;
        summary.changed = changed;
        summary.carried_over = carried_over;
        if let Some(previous) = previous {
            let planned_approvals = previous
                .approvals
                .iter()
                .filter(|a| !previous.clusters[a.snapshot].candidate)
                .count() as u64;
            summary.approvals_carried = carried.len() as u64;
            summary.approvals_not_carried = planned_approvals.saturating_sub(carried.len() as u64);
        }
        carried
    }

    /// The active never-merge records, as each member's `kept_apart`.
    fn kept_apart_by_user(&self, resolved: &Resolved) -> HashMap<UserId, Vec<KeptApart>> {
        let user_of_row: HashMap<u32, &UserId> =
            resolved.rows.iter().map(|(id, &row)| (row, id)).collect();
        let mut by_user: HashMap<UserId, Vec<KeptApart>> = HashMap::new();
        for &((a, b), index) in &resolved.active {
            let record = &self.ledger.never_merge[index];
            let (Some(&a), Some(&b)) = (user_of_row.get(&a), user_of_row.get(&b)) else {
                continue;
            };
            for (member, other) in [(a, b), (b, a)] {
                by_user.entry(member.clone()).or_default().push(KeptApart {
                    user_id: member.clone(),
                    other: other.clone(),
                    cluster_id: record.cluster_id.clone(),
                    reviewer: record.reviewer.clone(),
                    decided_at: record.decided_at.clone(),
                    note: record.note.clone(),
                });
            }
        }
        by_user
    }
}

/// The row a reference names now, if the profile is unchanged: the same
/// user_id with the same fingerprint, or, after an applied merge, the
/// survivor holding the plan's verified result.
fn locate(
    reference: &ProfileRef,
    rows: &HashMap<UserId, u32>,
    fingerprints: &HashMap<u32, String>,
    fates: &HashMap<&str, AppliedFate<'_>>,
) -> Option<u32> {
    let holds = |user_id: &UserId, fingerprint: &str| {
        let row = *rows.get(user_id)?;
        (fingerprints.get(&row).map(String::as_str) == Some(fingerprint)).then_some(row)
    };
    if let Some(row) = holds(&reference.user_id, &reference.fingerprint) {
        return Some(row);
    }
    let fate = fates.get(reference.user_id.as_str())?;
    let result = fate.merge.result.as_deref()?;
    let before = if fate.merged_away {
        true
    } else {
        fate.merge.survivor_before == reference.fingerprint
    };
    before
        .then(|| holds(&fate.merge.survivor, result))
        .flatten()
}

/// The previous plan's clusters and candidates by member.
struct SnapshotIndex {
    containing: HashMap<UserId, Vec<usize>>,
}

impl SnapshotIndex {
    fn new(clusters: &[ClusterSnapshot]) -> SnapshotIndex {
        let mut containing: HashMap<UserId, Vec<usize>> = HashMap::new();
        for (position, cluster) in clusters.iter().enumerate() {
            for member in &cluster.members {
                containing
                    .entry(member.user_id.clone())
                    .or_default()
                    .push(position);
            }
        }
        SnapshotIndex { containing }
    }

    /// The status of a cluster with these members and fingerprints, and the
    /// previous cluster or candidate it continues: the one with the same
    /// members, else the one sharing most (a planned cluster before a
    /// candidate, then the earliest).
    fn status(
        &self,
        previous: &Previous,
        members: &[UserId],
        fingerprints: &[String],
    ) -> (ClusterStatus, Option<usize>) {
        let mut shared: BTreeMap<usize, usize> = BTreeMap::new();
        for member in members {
            for &position in self.containing.get(member).into_iter().flatten() {
                *shared.entry(position).or_default() += 1;
            }
        }
        for (&position, &count) in &shared {
            let snapshot = &previous.clusters[position];
            if count != members.len() || snapshot.members.len() != members.len() {
                continue;
            }
            let before: HashMap<&str, &str> = snapshot
                .members
                .iter()
                .map(|m| (m.user_id.as_str(), m.fingerprint.as_str()))
                .collect();
            let unchanged = members
                .iter()
                .zip(fingerprints)
                .all(|(m, f)| before.get(m.as_str()) == Some(&f.as_str()));
            let status = if unchanged {
                ClusterStatus::CarriedOver
            } else {
                ClusterStatus::Changed
            };
            return (status, Some(position));
        }
        let most = shared.iter().max_by(|(a, a_count), (b, b_count)| {
            let planned = |p: usize| !previous.clusters[p].candidate;
            a_count
                .cmp(b_count)
                .then(planned(**a).cmp(&planned(**b)))
                .then(b.cmp(a))
        });
        match most {
            Some((&position, _)) => (ClusterStatus::Changed, Some(position)),
            None => (ClusterStatus::New, None),
        }
    }
}

/// Canonical form of a directory for comparing `--out` and `--previous`.
pub fn same_directory(a: &Path, b: &Path) -> bool {
    let canonical =
        |p: &Path| -> PathBuf { std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()) };
    canonical(a) == canonical(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decisions::Decision;

    fn person(user_id: &str, phone: &str) -> Profile {
        Profile {
            user_id: user_id.into(),
            phone: Some(phone.into()),
            first_name: Some("Анна".into()),
            ..Profile::default()
        }
    }

    fn snapshot_of(id: &str, members: &[&Profile], candidate: bool) -> ClusterSnapshot {
        ClusterSnapshot {
            cluster_id: id.into(),
            candidate,
            members: members.iter().map(|p| profile_ref(p)).collect(),
            survivor: members[0].user_id.clone(),
            merge_order: members[1..].iter().map(|p| p.user_id.clone()).collect(),
            result: fingerprint(members[0]),
            links: if candidate {
                members
                    .windows(2)
                    .map(|w| (w[0].user_id.clone(), w[1].user_id.clone()))
                    .collect()
            } else {
                Vec::new()
            },
        }
    }

    /// A previous plan directory holding `clusters` and these decisions.
    fn previous_dir(
        clusters: Vec<ClusterSnapshot>,
        decided: &[(&str, Decision, &str)],
    ) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        PlanLedger {
            schema_version: SCHEMA_VERSION,
            plan_hash: "h1".into(),
            ledger: Ledger::default(),
            clusters,
        }
        .write(dir.path())
        .unwrap();
        let mut decisions = Decisions::empty("h1", "T");
        for (id, decision, reviewer) in decided {
            decisions.clusters.insert(
                ClusterId::from(*id),
                ClusterDecision {
                    decision: *decision,
                    reviewer: reviewer.to_string(),
                    decided_at: "2026-06-01T10:00:00Z".into(),
                    note: Some("why".into()),
                    carried_from: None,
                },
            );
        }
        decisions.write(dir.path()).unwrap();
        dir
    }

    #[test]
    fn a_rejection_keeps_every_pair_apart_until_a_profile_changes() {
        let (a, b, c) = (
            person("1", "79990000001"),
            person("2", "79990000002"),
            person("3", "79990000003"),
        );
        let dir = previous_dir(
            vec![snapshot_of("C-1", &[&a, &b, &c], false)],
            &[("C-1", Decision::Reject, "Анна")],
        );
        let history = History::read(Some(dir.path()), None).unwrap();
        assert_eq!(history.ledger.never_merge.len(), 3);
        let mut changed = c.clone();
        changed.phone = Some("79990000009".into());
        let resolved = history.resolve(&[a.clone(), b.clone(), changed]);
        assert!(resolved.constraints.forbids(0, 1));
        assert!(!resolved.constraints.forbids(0, 2) && !resolved.constraints.forbids(1, 2));
        assert_eq!(
            (
                resolved.summary.never_merge_applied,
                resolved.summary.never_merge_lapsed
            ),
            (1, 2)
        );
    }

    #[test]
    fn a_rejected_candidate_keeps_apart_only_what_the_band_added() {
        let (a, b, c) = (
            person("1", "79990000001"),
            person("2", "79990000002"),
            person("3", "79990000003"),
        );
        let dir = previous_dir(
            vec![
                snapshot_of("C-1", &[&a, &b], false),
                snapshot_of("B-1", &[&a, &b, &c], true),
            ],
            &[("B-1", Decision::Reject, "Анна")],
        );
        let history = History::read(Some(dir.path()), None).unwrap();
        let pairs: Vec<(&str, &str)> = history
            .ledger
            .never_merge
            .iter()
            .map(|n| (n.a.user_id.as_str(), n.b.user_id.as_str()))
            .collect();
        assert_eq!(pairs, [("1", "3"), ("2", "3")]);
    }

    #[test]
    fn an_approved_candidate_becomes_required_links() {
        let (a, b) = (person("1", "79990000001"), person("2", "79990000002"));
        let dir = previous_dir(
            vec![snapshot_of("B-1", &[&a, &b], true)],
            &[("B-1", Decision::Approve, "Анна")],
        );
        let history = History::read(Some(dir.path()), None).unwrap();
        let resolved = history.resolve(&[person("9", "79990000009"), b.clone(), a.clone()]);
        assert!(resolved.constraints.requires(1, 2));
        assert_eq!(resolved.summary.band_links_approved, 1);
    }

    #[test]
    fn approvals_carry_to_the_same_members_with_the_same_values_only() {
        let (a, b, c, d) = (
            person("1", "79990000001"),
            person("2", "79990000002"),
            person("3", "79990000003"),
            person("4", "79990000004"),
        );
        let dir = previous_dir(
            vec![
                snapshot_of("C-1", &[&a, &b], false),
                snapshot_of("C-3", &[&c, &d], false),
            ],
            &[
                ("C-1", Decision::Approve, "Анна"),
                ("C-3", Decision::Approve, "Борис"),
            ],
        );
        let history = History::read(Some(dir.path()), None).unwrap();
        let mut changed_d = d.clone();
        changed_d.phone = Some("79990000044".into());
        let planned = |id: &str, members: Vec<Profile>| PlannedCluster {
            cluster_id: id.into(),
            members: members.iter().map(|m| m.user_id.clone()).collect(),
            survivor: members[0].user_id.clone(),
            survivor_reason: String::new(),
            golden: Profile::default(),
            steps: Vec::new(),
            result: Profile::default(),
            lost: Vec::new(),
            warnings: Vec::new(),
            evidence: Vec::new(),
            min_probability: 0.99,
            triage: Default::default(),
            profiles: members,
        };
        let mut clusters = vec![
            planned("C-1", vec![a.clone(), b.clone()]),
            planned("C-3", vec![c.clone(), changed_d]),
        ];
        let mut resolved = history.resolve(&[a, b, c, d]);
        let carried = history.triage(&mut resolved, &mut clusters, &mut []);
        assert_eq!(carried.keys().collect::<Vec<_>>(), ["C-1"]);
        let decision = &carried["C-1"];
        assert_eq!(
            (decision.reviewer.as_str(), decision.note.as_deref()),
            ("Анна", Some("why"))
        );
        assert_eq!(decision.carried_from.as_ref().unwrap().plan_hash, "h1");
        assert_eq!(clusters[0].triage.status, ClusterStatus::CarriedOver);
        assert_eq!(clusters[1].triage.status, ClusterStatus::Changed);
        assert_eq!(
            clusters[1]
                .triage
                .previous
                .as_ref()
                .unwrap()
                .reviewer
                .as_deref(),
            Some("Борис")
        );
        assert_eq!(
            (
                resolved.summary.approvals_carried,
                resolved.summary.approvals_not_carried
            ),
            (1, 1)
        );
    }

    #[test]
    fn a_survivor_is_found_by_the_result_its_merge_verified() {
        let (survivor, merged) = (person("1", "79990000001"), person("2", "79990000002"));
        let mut result = survivor.clone();
        result.email = Some("anna@example.ru".into());
        let merge = AppliedMerge {
            plan_hash: "h1".into(),
            cluster_id: "C-1".into(),
            survivor: "1".into(),
            survivor_before: fingerprint(&survivor),
            merged: vec!["2".into()],
            result: Some(fingerprint(&result)),
        };
        let fates: HashMap<&str, AppliedFate> = [
            (
                "1",
                AppliedFate {
                    merge: &merge,
                    merged_away: false,
                },
            ),
            (
                "2",
                AppliedFate {
                    merge: &merge,
                    merged_away: true,
                },
            ),
        ]
        .into();
        let rows: HashMap<UserId, u32> = [(UserId::from("1"), 0)].into();
        let now: HashMap<u32, String> = [(0, fingerprint(&result))].into();
        // Decisions made before the merge name the survivor as it was, and
        // the merged-away profile: both are the survivor now.
        assert_eq!(
            locate(&profile_ref(&survivor), &rows, &now, &fates),
            Some(0)
        );
        assert_eq!(locate(&profile_ref(&merged), &rows, &now, &fates), Some(0));
        // A survivor changed since is another profile.
        let later: HashMap<u32, String> = [(0, fingerprint(&person("1", "79990000077")))].into();
        assert_eq!(locate(&profile_ref(&survivor), &rows, &later, &fates), None);
    }

    #[test]
    fn a_team_ledger_reads_back_and_absorbs_without_repeats() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("team.json");
        assert_eq!(read_team_ledger(&path).unwrap(), Ledger::default());
        let (a, b) = (person("1", "79990000001"), person("2", "79990000002"));
        let record = NeverMerge {
            a: profile_ref(&a),
            b: profile_ref(&b),
            plan_hash: "h1".into(),
            cluster_id: "C-1".into(),
            reviewer: "Анна".into(),
            decided_at: "T".into(),
            note: None,
        };
        let mut ledger = Ledger {
            never_merge: vec![record.clone()],
            applied: Vec::new(),
        };
        write_team_ledger(&path, &ledger).unwrap();
        assert_eq!(read_team_ledger(&path).unwrap(), ledger);
        ledger.absorb(Ledger {
            never_merge: vec![record],
            applied: Vec::new(),
        });
        assert_eq!(ledger.never_merge.len(), 1);
        assert_eq!(fingerprint(&a).len(), 16);
        assert_ne!(fingerprint(&a), fingerprint(&b));
    }
}
