//! Apply: carries out the approved clusters of a plan against Sailplay,
//! safely. Invariants:
//!
//! - Only clusters approved in a `decisions.json` bound to this plan's hash
//!   run, and their steps run in plan order.
//! - Before a cluster's first unsent step, every member is looked up
//!   (`users/info`); a cluster whose live state is not the state the plan
//!   expects at that point is not touched (stale before any step; failed
//!   when it drifted half-way).
//! - Every state-changing call has an `intent` line in the journal before
//!   it is sent and an `outcome` line after. A step whose fate is unknown
//!   (a crash, a timeout, a dropped connection, a 5xx) is settled by looking
//!   at the live profiles before anything is sent again, so a merge is
//!   never sent twice: "from gone and to present" means done.
//! - After a cluster, the survivor's live state is compared with the plan's
//!   `result` and each merged-away member must answer -4000.
//!
//! `client` holds the Sailplay client (HTTP or dry run) and `journal` the
//! journal and the per-directory lock.

pub mod client;
pub mod credentials;
pub mod journal;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::decisions::{Decision, Decisions};
use crate::plan::{METHOD_MERGE, METHOD_UPDATE, MergePlan, PlannedCluster, Step};
use crate::printer::Printer;
use crate::profile::{
    BIRTH_DATE, EMAIL, FIRST_NAME, LAST_NAME, MIDDLE_NAME, ORIGIN_USER_ID, PHONE, Profile,
    REGISTER_DATE, SEX,
};
use client::{CallError, SailplayClient};
use journal::{ClusterStatus, Journal, JournalEntry, JournalState, OutcomeKind, StepState, now};

/// The fields compared between the live state and the plan. `points` is
/// left out: balances move with every purchase between export and apply,
/// and a merge adds them up whatever they are. Custom attributes are not
/// part of the documented `users/info` answer.
pub const COMPARED_FIELDS: [&str; 9] = [
    ORIGIN_USER_ID,
    PHONE,
    EMAIL,
    FIRST_NAME,
    MIDDLE_NAME,
    LAST_NAME,
    BIRTH_DATE,
    SEX,
    REGISTER_DATE,
];

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Attempts per call before giving up (the first one included).
    pub max_attempts: u32,
    /// First retry pause; doubled after each failure, up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// Seed of the retry jitter.
    pub jitter_seed: u64,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            max_attempts: 8,
            base_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            jitter_seed: 0,
        }
    }
}

/// Why a cluster was not merged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterProblem {
    pub cluster_id: String,
    pub reason: String,
}

/// What a run did; written to `DIR/apply_summary.json` and printed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ApplySummary {
    pub plan_hash: String,
    pub dry_run: bool,
    pub approved: usize,
    /// Merged and verified in this run.
    pub merged: Vec<String>,
    /// Merged and verified by an earlier run (from the journal).
    pub already_merged: Vec<String>,
    /// Dry run: clusters whose calls were printed.
    pub printed: Vec<String>,
    pub stale: Vec<ClusterProblem>,
    pub failed: Vec<ClusterProblem>,
    pub rejected: Vec<String>,
    pub undecided: Vec<String>,
    /// Why the run stopped early, if it did.
    pub aborted: Option<String>,
    /// Approved clusters the run did not reach because it stopped early.
    pub not_reached: usize,
    pub http_requests: u64,
    pub step_calls: u64,
    pub retries: u64,
    /// Unknown step outcomes settled by looking at the live state.
    pub resolutions: u64,
    pub wall_seconds: f64,
}

impl ApplySummary {
    pub fn has_failures(&self) -> bool {
        !self.failed.is_empty() || self.aborted.is_some()
    }
}

/// Refuses decisions made on another plan.
pub fn check_decisions(plan: &MergePlan, decisions: &Decisions) -> Result<()> {
    if decisions.plan_hash != plan.plan_hash {
        bail!(
            "decisions.json was made on another plan (plan_hash {}), not on this plan.json ({}): review or approve this plan again (sailmerge approve DIR ...)",
            decisions.plan_hash,
            plan.plan_hash
        );
    }
    Ok(())
}

/// Why a cluster or the whole run stops.
enum Stop {
    /// This cluster stops; the run goes on with the others.
    Cluster(String),
    /// The whole run stops (credentials refused, Sailplay unreachable).
    Run(String),
    /// The journal cannot be written: nothing more may be sent.
    Journal(anyhow::Error),
}

enum ClusterResult {
    Merged,
    AlreadyMerged,
    Printed,
    Stale(String),
}

/// The user_ids a step addresses, found by replaying the plan's states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepParties {
    /// The merged-away profile (merges only).
    pub from: Option<String>,
    /// The profile that is merged into or updated.
    pub target: String,
}

/// Which profile field an identifier parameter names.
fn identifier_field(parameter: &str) -> Option<&'static str> {
    Some(match parameter {
        "uid" | "user_id" => "user_id",
        "phone" | "user_phone" => PHONE,
        "email" => EMAIL,
        "oid" | "origin_user_id" => ORIGIN_USER_ID,
        _ => return None,
    })
}

fn same_value(field: &str, left: &str, right: &str) -> bool {
    if field == EMAIL {
        left.trim().eq_ignore_ascii_case(right.trim())
    } else {
        left.trim() == right.trim()
    }
}

/// The one profile in `state` an identifier addresses.
fn find_party(
    state: &BTreeMap<String, Profile>,
    field: &str,
    value: &str,
) -> Result<String, String> {
    let holders: Vec<&String> = state
        .iter()
        .filter(|(_, profile)| {
            profile
                .get(field)
                .is_some_and(|held| same_value(field, held, value))
        })
        .map(|(user_id, _)| user_id)
        .collect();
    match holders.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(format!("no member has {field} {value} at that point")),
        _ => Err(format!(
            "several members have {field} {value} at that point"
        )),
    }
}

/// `from_*`/`to_*` of a merge, or the addressing parameter of an update.
fn addressed(step: &Step, prefix: &str) -> Result<(&'static str, String), String> {
    let mut found = Vec::new();
    for (name, value) in &step.params {
        let parameter = match prefix {
            "" => Some(name.as_str()),
            _ => name.strip_prefix(prefix),
        };
        if let Some(field) = parameter.and_then(identifier_field) {
            found.push((field, value.clone()));
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(format!("step {} names no {prefix}identifier", step.index)),
        _ => Err(format!(
            "step {} names several {prefix}identifiers",
            step.index
        )),
    }
}

/// Replays the plan's states to name every step's parties by user_id, so
/// that live lookups use the one identifier that never changes.
pub fn step_parties(cluster: &PlannedCluster) -> Result<Vec<StepParties>, String> {
    let mut state: BTreeMap<String, Profile> = cluster
        .profiles
        .iter()
        .map(|profile| (profile.user_id.clone(), profile.clone()))
        .collect();
    let mut parties = Vec::with_capacity(cluster.steps.len());
    for step in &cluster.steps {
        let party = match step.method.as_str() {
            METHOD_MERGE => {
                let (from_field, from_value) = addressed(step, "from_")?;
                let (to_field, to_value) = addressed(step, "to_")?;
                let from = find_party(&state, from_field, &from_value)?;
                let target = find_party(&state, to_field, &to_value)?;
                if from == target {
                    return Err(format!(
                        "step {} merges user_id {from} into itself",
                        step.index
                    ));
                }
                state.remove(&from);
                StepParties {
                    from: Some(from),
                    target,
                }
            }
            METHOD_UPDATE => {
                let (field, value) = addressed(step, "")?;
                StepParties {
                    from: None,
                    target: find_party(&state, field, &value)?,
                }
            }
            other => {
                return Err(format!(
                    "step {} has an unknown method {other:?}",
                    step.index
                ));
            }
        };
        let mut after = step.after.clone();
        after.user_id = party.target.clone();
        state.insert(party.target.clone(), after);
        parties.push(party);
    }
    Ok(parties)
}

/// Every member's expected live state once the first `done` steps ran:
/// `None` for a profile merged away.
pub fn expected_state(
    cluster: &PlannedCluster,
    parties: &[StepParties],
    done: usize,
) -> BTreeMap<String, Option<Profile>> {
    let mut state: BTreeMap<String, Option<Profile>> = cluster
        .profiles
        .iter()
        .map(|profile| (profile.user_id.clone(), Some(profile.clone())))
        .collect();
    for (step, party) in cluster.steps.iter().zip(parties).take(done) {
        if let Some(from) = &party.from {
            state.insert(from.clone(), None);
        }
        state.insert(party.target.clone(), Some(step.after.clone()));
    }
    state
}

/// `field: expected X, live Y` for every compared field that differs.
pub fn differences(expected: &Profile, live: &Profile) -> Vec<String> {
    COMPARED_FIELDS
        .iter()
        .filter_map(|field| {
            let want = expected.get(field).map(str::trim).filter(|v| !v.is_empty());
            let have = live.get(field).map(str::trim).filter(|v| !v.is_empty());
            let equal = match (want, have) {
                (Some(want), Some(have)) => same_value(field, want, have),
                (None, None) => true,
                _ => false,
            };
            (!equal).then(|| {
                format!(
                    "{field}: expected {}, live {}",
                    want.unwrap_or("(empty)"),
                    have.unwrap_or("(empty)")
                )
            })
        })
        .collect()
}

/// Runs the approved clusters of `plan`. `journal` is `None` for a dry run
/// (nothing is written); `state` is what the journal already holds.
pub fn apply_plan(
    plan: &MergePlan,
    decisions: &Decisions,
    client: &mut dyn SailplayClient,
    journal: Option<&mut Journal>,
    state: JournalState,
    options: &ApplyOptions,
    printer: &Printer,
) -> Result<ApplySummary> {
    check_decisions(plan, decisions)?;
    let started = Instant::now();
    let mut summary = ApplySummary {
        plan_hash: plan.plan_hash.clone(),
        dry_run: !client.reaches_sailplay(),
        ..ApplySummary::default()
    };
    let approved: Vec<&PlannedCluster> = plan
        .clusters
        .iter()
        .filter(
            |cluster| match decisions.clusters.get(&cluster.cluster_id) {
                Some(decision) if decision.decision == Decision::Approve => true,
                Some(_) => {
                    summary.rejected.push(cluster.cluster_id.clone());
                    false
                }
                None => {
                    summary.undecided.push(cluster.cluster_id.clone());
                    false
                }
            },
        )
        .collect();
    summary.approved = approved.len();
    let bar = printer.bar("apply", approved.len() as u64);
    let mut executor = Executor {
        client,
        journal,
        state,
        options,
        jitter: ChaCha8Rng::seed_from_u64(options.jitter_seed),
        retries: 0,
        resolutions: 0,
        step_calls: 0,
    };
    executor.log(JournalEntry::RunStarted {
        at: now(),
        plan_hash: plan.plan_hash.clone(),
        pid: std::process::id(),
        dry_run: summary.dry_run,
    })?;
    for (position, cluster) in approved.iter().enumerate() {
        let id = cluster.cluster_id.clone();
        let outcome = executor.run_cluster(cluster);
        let finished = |status, reason: Option<String>| JournalEntry::ClusterFinished {
            at: now(),
            cluster_id: id.clone(),
            status,
            reason,
        };
        match outcome {
            Ok(ClusterResult::Merged) => {
                executor.log(finished(ClusterStatus::Merged, None))?;
                summary.merged.push(id);
            }
            Ok(ClusterResult::AlreadyMerged) => summary.already_merged.push(id),
            Ok(ClusterResult::Printed) => summary.printed.push(id),
            Ok(ClusterResult::Stale(reason)) => {
                executor.log(finished(ClusterStatus::Stale, Some(reason.clone())))?;
                summary.stale.push(ClusterProblem {
                    cluster_id: id,
                    reason,
                });
            }
            Err(Stop::Cluster(reason)) => {
                executor.log(finished(ClusterStatus::Failed, Some(reason.clone())))?;
                bar.suspend(|| printer.warn(format!("cluster {id} failed: {reason}")));
                summary.failed.push(ClusterProblem {
                    cluster_id: id,
                    reason,
                });
            }
            Err(Stop::Run(reason)) => {
                executor.log(finished(ClusterStatus::Failed, Some(reason.clone())))?;
                summary.failed.push(ClusterProblem {
                    cluster_id: id,
                    reason: reason.clone(),
                });
                summary.aborted = Some(reason);
                summary.not_reached = approved.len() - position - 1;
                break;
            }
            Err(Stop::Journal(error)) => return Err(error),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    summary.http_requests = executor.client.requests_sent();
    summary.step_calls = executor.step_calls;
    summary.retries = executor.retries;
    summary.resolutions = executor.resolutions;
    summary.wall_seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

struct Executor<'a> {
    client: &'a mut dyn SailplayClient,
    journal: Option<&'a mut Journal>,
    state: JournalState,
    options: &'a ApplyOptions,
    jitter: ChaCha8Rng,
    retries: u64,
    resolutions: u64,
    step_calls: u64,
}

impl Executor<'_> {
    fn log(&mut self, entry: JournalEntry) -> Result<()> {
        if let Some(journal) = self.journal.as_deref_mut() {
            journal.append(&entry)?;
        }
        self.state.record(&entry);
        Ok(())
    }

    fn log_or_stop(&mut self, entry: JournalEntry) -> Result<(), Stop> {
        self.log(entry).map_err(Stop::Journal)
    }

    /// Exponential backoff with jitter, never shorter than Retry-After.
    fn pause(&mut self, attempt: u32, error: &CallError) {
        let exponential = self
            .options
            .base_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.options.max_backoff);
        let jittered = exponential.mul_f64(self.jitter.random_range(0.5..=1.0));
        let pause = error
            .retry_after()
            .map_or(jittered, |asked| asked.max(jittered));
        std::thread::sleep(pause);
    }

    /// A read-only call, retried on transient failures; any other failure
    /// stops the run.
    fn read<T>(
        &mut self,
        what: &str,
        mut call: impl FnMut(&mut dyn SailplayClient) -> Result<T, CallError>,
    ) -> Result<T, Stop> {
        let mut attempt = 1;
        loop {
            match call(&mut *self.client) {
                Ok(value) => return Ok(value),
                Err(error @ CallError::Auth { .. }) => return Err(Stop::Run(error.to_string())),
                Err(error) if error.is_retryable() && attempt < self.options.max_attempts => {
                    self.retries += 1;
                    self.pause(attempt, &error);
                    attempt += 1;
                }
                Err(error) if error.is_retryable() => {
                    return Err(Stop::Run(format!(
                        "{what}: Sailplay did not answer after {attempt} attempts (last: {error})"
                    )));
                }
                // users/info by user_id has one legitimate error, -4000,
                // which the client answers as `None`. Anything else (an
                // API that answers a bad token with HTTP 200, a proxy's
                // page) would fail every cluster alike: stop the run.
                Err(error) => return Err(Stop::Run(format!("{what}: {error}"))),
            }
        }
    }

    fn info(&mut self, user_id: &str) -> Result<Option<Profile>, Stop> {
        self.read(&format!("users/info of user_id {user_id}"), |client| {
            client.info_by_user_id(user_id)
        })
    }

    fn run_cluster(&mut self, cluster: &PlannedCluster) -> Result<ClusterResult, Stop> {
        let id = &cluster.cluster_id;
        if self.state.is_verified(id) {
            return Ok(ClusterResult::AlreadyMerged);
        }
        let parties = step_parties(cluster)
            .map_err(|reason| Stop::Cluster(format!("the plan is inconsistent: {reason}")))?;
        let live = self.client.reaches_sailplay();
        // Settle what a crash or a lost answer left unknown, before
        // anything is sent.
        for (step, party) in cluster.steps.iter().zip(&parties) {
            if live && self.state.step(id, step.index) == Some(StepState::Unknown) {
                self.resolve(cluster, step, party)?;
            }
        }
        let done = cluster
            .steps
            .iter()
            .take_while(|step| self.state.step(id, step.index) == Some(StepState::Done))
            .count();
        if let Some(later) = cluster.steps[done..]
            .iter()
            .find(|step| self.state.step(id, step.index) == Some(StepState::Done))
        {
            return Err(Stop::Cluster(format!(
                "the journal has step {} done but step {} not: it does not belong to this plan",
                later.index,
                done + 1
            )));
        }
        if !live {
            for step in &cluster.steps[done..] {
                self.client
                    .send_step(&step.method, &step.params)
                    .map_err(|error| Stop::Cluster(error.to_string()))?;
            }
            return Ok(ClusterResult::Printed);
        }
        if done < cluster.steps.len() {
            let differences = self.compare_live(&expected_state(cluster, &parties, done))?;
            self.log_or_stop(JournalEntry::Preflight {
                at: now(),
                cluster_id: id.clone(),
                steps_done: done as u32,
                matches: differences.is_empty(),
                differences: differences.clone(),
            })?;
            if !differences.is_empty() {
                let reason = differences.join("; ");
                if done == 0 {
                    return Ok(ClusterResult::Stale(format!(
                        "live state differs from the export the plan was made from: {reason}"
                    )));
                }
                return Err(Stop::Cluster(format!(
                    "live state differs from the plan's state after step {done}: {reason}"
                )));
            }
            for (step, party) in cluster.steps.iter().zip(&parties).skip(done) {
                self.run_step(cluster, step, party)?;
            }
        }
        self.verify(cluster)
    }

    /// The differences between each member's expected and live state.
    fn compare_live(
        &mut self,
        expected: &BTreeMap<String, Option<Profile>>,
    ) -> Result<Vec<String>, Stop> {
        let mut found = Vec::new();
        for (user_id, expected) in expected {
            let live = self.info(user_id)?;
            match (expected, live) {
                (Some(expected), Some(live)) => found.extend(
                    differences(expected, &live)
                        .into_iter()
                        .map(|difference| format!("user_id {user_id}: {difference}")),
                ),
                (Some(_), None) => found.push(format!("user_id {user_id}: not found (-4000)")),
                (None, Some(_)) => found.push(format!(
                    "user_id {user_id}: still exists, expected merged away"
                )),
                (None, None) => {}
            }
        }
        Ok(found)
    }

    fn verify(&mut self, cluster: &PlannedCluster) -> Result<ClusterResult, Stop> {
        let mut expected: BTreeMap<String, Option<Profile>> = cluster
            .members
            .iter()
            .map(|member| (member.clone(), None))
            .collect();
        expected.insert(cluster.survivor.clone(), Some(cluster.result.clone()));
        let differences = self.compare_live(&expected)?;
        self.log_or_stop(JournalEntry::Verified {
            at: now(),
            cluster_id: cluster.cluster_id.clone(),
            matches: differences.is_empty(),
            differences: differences.clone(),
        })?;
        if differences.is_empty() {
            Ok(ClusterResult::Merged)
        } else {
            Err(Stop::Cluster(format!(
                "VERIFICATION MISMATCH: the merged profile is not the plan's result: {}",
                differences.join("; ")
            )))
        }
    }

    /// Looks at the live state to tell whether a step whose outcome is
    /// unknown was carried out, and journals the answer.
    fn resolve(
        &mut self,
        cluster: &PlannedCluster,
        step: &Step,
        party: &StepParties,
    ) -> Result<bool, Stop> {
        self.resolutions += 1;
        let target = self.info(&party.target)?;
        let (applied, detail) = match &party.from {
            Some(from) => {
                let from_live = self.info(from)?;
                match (from_live.is_some(), target.is_some()) {
                    (false, true) => (
                        Some(true),
                        format!(
                            "user_id {from} gone, user_id {} present: merged",
                            party.target
                        ),
                    ),
                    (true, true) => (
                        Some(false),
                        format!(
                            "user_id {from} and user_id {} both present: not merged",
                            party.target
                        ),
                    ),
                    (from_present, _) => (
                        None,
                        format!(
                            "user_id {} not found{}: neither merged nor unmerged",
                            party.target,
                            if from_present {
                                ""
                            } else {
                                &" and the from profile neither"
                            }
                        ),
                    ),
                }
            }
            None => match &target {
                Some(live) if differences(&step.after, live).is_empty() => (
                    Some(true),
                    format!("user_id {} already has the updated fields", party.target),
                ),
                Some(_) => (
                    Some(false),
                    format!(
                        "user_id {} does not have the updated fields yet",
                        party.target
                    ),
                ),
                None => (None, format!("user_id {} not found", party.target)),
            },
        };
        self.log_or_stop(JournalEntry::Resolution {
            at: now(),
            cluster_id: cluster.cluster_id.clone(),
            step: step.index,
            applied,
            detail: detail.clone(),
        })?;
        applied.ok_or_else(|| {
            Stop::Cluster(format!(
                "cannot tell whether step {} was carried out: {detail}",
                step.index
            ))
        })
    }

    /// Sends one step, retrying transient failures; a merge whose outcome
    /// is unknown is resolved from the live state, never blindly resent.
    fn run_step(
        &mut self,
        cluster: &PlannedCluster,
        step: &Step,
        party: &StepParties,
    ) -> Result<(), Stop> {
        let id = &cluster.cluster_id;
        let mut attempt = 1;
        let mut earlier_attempt_may_have_applied = false;
        loop {
            self.log_or_stop(JournalEntry::Intent {
                at: now(),
                cluster_id: id.clone(),
                step: step.index,
                attempt,
                method: step.method.clone(),
                params: step.params.clone(),
            })?;
            self.step_calls += 1;
            let result = self.client.send_step(&step.method, &step.params);
            let (kind, detail) = match &result {
                Ok(()) => (OutcomeKind::Ok, None),
                Err(error @ CallError::Business { .. }) => {
                    (OutcomeKind::BusinessError, Some(error.to_string()))
                }
                Err(error) if error.is_retryable() => {
                    (OutcomeKind::RetryableError, Some(error.to_string()))
                }
                Err(error) => (OutcomeKind::Error, Some(error.to_string())),
            };
            self.log_or_stop(JournalEntry::Outcome {
                at: now(),
                cluster_id: id.clone(),
                step: step.index,
                attempt,
                result: kind,
                may_have_applied: result
                    .as_ref()
                    .err()
                    .is_some_and(CallError::may_have_been_applied),
                detail,
            })?;
            let error = match result {
                Ok(()) => return Ok(()),
                Err(error) => error,
            };
            let what = format!("step {} ({})", step.index, step.method);
            match &error {
                CallError::Auth { .. } => return Err(Stop::Run(format!("{what}: {error}"))),
                // A slow server may have carried out an earlier attempt after
                // we looked: then from is gone and this one answers -4000.
                CallError::Business { code: -4000, .. }
                    if step.method == METHOD_MERGE
                        && earlier_attempt_may_have_applied
                        && self.resolve(cluster, step, party)? =>
                {
                    return Ok(());
                }
                CallError::Business { .. } => {
                    return Err(Stop::Cluster(format!("{what} refused: {error}")));
                }
                _ if !error.is_retryable() => {
                    return Err(Stop::Cluster(format!("{what}: {error}")));
                }
                _ if attempt >= self.options.max_attempts => {
                    if error.may_have_been_applied() && self.resolve(cluster, step, party)? {
                        return Ok(());
                    }
                    return Err(Stop::Run(format!(
                        "{what}: Sailplay did not answer after {attempt} attempts (last: {error})"
                    )));
                }
                _ => {}
            }
            earlier_attempt_may_have_applied |= error.may_have_been_applied();
            self.retries += 1;
            self.pause(attempt, &error);
            attempt += 1;
            // An update sets values: sending it again is harmless. A merge
            // is not: look first.
            if step.method == METHOD_MERGE
                && error.may_have_been_applied()
                && self.resolve(cluster, step, party)?
            {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(user_id: &str, fields: &[(&str, &str)]) -> Profile {
        let mut profile = Profile {
            user_id: user_id.into(),
            ..Profile::default()
        };
        for (field, value) in fields {
            *profile.field_mut(field).unwrap() = Some(value.to_string());
        }
        profile
    }

    fn step(index: u32, method: &str, params: &[(&str, &str)], after: Profile) -> Step {
        Step {
            index,
            method: method.into(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            after,
        }
    }

    fn cluster() -> PlannedCluster {
        let a = profile("1", &[("phone", "79990000001"), ("first_name", "Иван")]);
        let b = profile("2", &[("email", "b@example.ru")]);
        let c = profile("3", &[("origin_user_id", "card-3")]);
        let after_first = profile(
            "1",
            &[
                ("phone", "79990000001"),
                ("email", "b@example.ru"),
                ("first_name", "Иван"),
            ],
        );
        let after_second = profile(
            "1",
            &[
                ("phone", "79990000001"),
                ("email", "b@example.ru"),
                ("first_name", "Иван"),
                ("origin_user_id", "card-3"),
            ],
        );
        PlannedCluster {
            cluster_id: "c1".into(),
            members: vec!["1".into(), "2".into(), "3".into()],
            profiles: vec![a.clone(), b, c],
            survivor: "1".into(),
            survivor_reason: String::new(),
            golden: after_second.clone(),
            steps: vec![
                step(
                    1,
                    METHOD_MERGE,
                    &[("from_email", "b@example.ru"), ("to_phone", "79990000001")],
                    after_first,
                ),
                step(
                    2,
                    METHOD_MERGE,
                    &[("from_oid", "card-3"), ("to_email", "B@example.ru")],
                    after_second.clone(),
                ),
            ],
            result: after_second,
            lost: vec![],
            warnings: vec![],
            evidence: vec![],
            min_probability: 1.0,
            triage: Default::default(),
        }
    }

    #[test]
    fn parties_are_found_by_any_identifier_in_the_state_of_the_moment() {
        let parties = step_parties(&cluster()).unwrap();
        assert_eq!(
            parties,
            vec![
                StepParties {
                    from: Some("2".into()),
                    target: "1".into()
                },
                StepParties {
                    from: Some("3".into()),
                    target: "1".into()
                },
            ]
        );
        let mut broken = cluster();
        broken.steps[1].params = [
            ("from_oid".to_string(), "card-9".to_string()),
            ("to_uid".to_string(), "1".to_string()),
        ]
        .into();
        assert!(step_parties(&broken).unwrap_err().contains("card-9"));
    }

    #[test]
    fn expected_state_after_each_step() {
        let cluster = cluster();
        let parties = step_parties(&cluster).unwrap();
        let before = expected_state(&cluster, &parties, 0);
        assert!(before.values().all(Option::is_some));
        let after_one = expected_state(&cluster, &parties, 1);
        assert_eq!(after_one["2"], None);
        assert_eq!(
            after_one["1"].as_ref().unwrap().email.as_deref(),
            Some("b@example.ru")
        );
        assert!(after_one["3"].is_some());
        let after_all = expected_state(&cluster, &parties, 2);
        assert_eq!(after_all["1"].as_ref(), Some(&cluster.result));
    }

    #[test]
    fn differences_ignore_points_and_email_case() {
        let expected = profile(
            "1",
            &[("email", "A@x.ru"), ("points", "5"), ("first_name", "Иван")],
        );
        let live = profile(
            "1",
            &[
                ("email", "a@x.ru"),
                ("points", "7"),
                ("last_name", "Петров"),
            ],
        );
        assert_eq!(
            differences(&expected, &live),
            vec![
                "first_name: expected Иван, live (empty)",
                "last_name: expected (empty), live Петров"
            ]
        );
    }
}
