//! Apply: carries out the approved clusters of a plan against Sailplay,
//! safely and at the API's pace. Invariants:
//!
//! - Only clusters approved in a `decisions.json` bound to this plan's hash
//!   run, and their steps run in plan order.
//! - Clusters run concurrently (`--concurrency` workers), but a cluster's
//!   calls are sent one after the other, and no two clusters in flight
//!   share a profile ([`schedule`]). Every request goes through one shared
//!   rate limiter that adapts to 429s ([`limiter`]).
//! - Before a cluster's first unsent step, every member is looked up once
//!   (`users/info`); a cluster whose live state is not the state the plan
//!   expects at that point is not touched (stale before any step; failed
//!   when it drifted half-way).
//! - Every state-changing call has an `intent` line in the journal before
//!   it is sent and an `outcome` line after. A step whose fate is unknown
//!   (a crash, a timeout, a dropped connection, a 5xx) is settled by looking
//!   at the live profiles before anything is sent again, so a merge is
//!   never sent twice: "from gone and to present" means done.
//! - After a cluster, the survivor is looked up once and compared with the
//!   plan's `result`.
//! - Once the journal cannot be written, nothing more is sent, and the run
//!   still returns its summary: what went out is never reported as nothing.
//!
//! `client` holds the Sailplay client (HTTP or dry run), `journal` the
//! journal and the per-directory lock, `retry` the one retry policy,
//! `redact` the secrets and the redactor, `progress` the bar and status
//! lines.

pub mod client;
pub mod credentials;
pub mod journal;
pub mod limiter;
pub mod progress;
pub mod redact;
pub mod retry;
pub mod schedule;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde::Serialize;

use crate::decisions::{Decision, Decisions};
use crate::ids::{ClusterId, UserId};
use crate::plan::{MergePlan, Method, PlannedCluster, Step};
use crate::printer::Printer;
use crate::profile::{Field, Profile};
use client::{CallError, SailplayClient};
use journal::{ClusterStatus, Journal, JournalEntry, JournalState, OutcomeKind, StepState, now};
use progress::{Finished, Progress};
use redact::{SharedRedactor, redact_shared};
use retry::{Jitter, RetryPolicy, Verdict};
use schedule::Scheduler;

/// Clusters applied at once by default: behind 60 ms of latency a worker
/// sends about 15 requests a second, so 16 keep a 50/s limit busy with
/// room for workers waiting out a retry.
pub const DEFAULT_CONCURRENCY: usize = 16;

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub retry: RetryPolicy,
    /// Clusters applied at once (a dry run prints them in order, one by
    /// one).
    pub concurrency: usize,
    /// Seed of the retry jitter; each worker draws from its own stream.
    pub jitter_seed: u64,
    /// Time between status lines when no progress bar is drawn.
    pub status_interval: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            retry: RetryPolicy::default(),
            concurrency: DEFAULT_CONCURRENCY,
            jitter_seed: 0,
            status_interval: Duration::from_secs(5),
        }
    }
}

/// What a run is bound to, as its summary records it.
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    /// 1-based, counted in the journal.
    pub run: u32,
    pub base_url: String,
    pub department_id: Option<String>,
    pub decisions_hash: String,
}

/// Why a cluster was not merged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterProblem {
    pub cluster_id: ClusterId,
    pub reason: String,
}

/// Why a run stopped before it went through every approved cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AbortKind {
    /// Sailplay refused the credentials, and they could not be renewed.
    Credentials,
    /// Sailplay could not be reached, or stopped answering.
    Unreachable,
    /// The journal could not be written: nothing more may be sent.
    Journal,
    /// Sailplay answered a lookup with something no cluster can go on
    /// after (a proxy's page, an undocumented error).
    Unexpected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Abort {
    pub kind: AbortKind,
    pub reason: String,
}

impl Abort {
    /// What to do before running the same command again.
    pub fn advice(&self) -> &'static str {
        match self.kind {
            AbortKind::Credentials => {
                "fix the credentials (SAILPLAY_TOKEN, or SAILPLAY_DEPARTMENT_KEY and SAILPLAY_PIN, and --department-id), then run the same command again: the journal keeps what was done"
            }
            AbortKind::Unreachable => {
                "check --base-url and that Sailplay answers, then run the same command again: the journal keeps what was done, and unknown outcomes are settled before anything is resent"
            }
            AbortKind::Journal => {
                "make the journal writable (free disk space), then run the same command again: calls whose outcome was not written are settled from the live state before anything is resent"
            }
            AbortKind::Unexpected => {
                "check --base-url (a proxy or another service answered?), then run the same command again"
            }
        }
    }
}

/// What one run did; written to `DIR/apply_runs/` and printed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ApplySummary {
    pub run: u32,
    pub started_at: String,
    pub finished_at: String,
    pub plan_hash: String,
    pub base_url: String,
    pub department_id: Option<String>,
    pub decisions_hash: String,
    pub tool_version: String,
    pub dry_run: bool,
    pub concurrency: usize,
    pub approved: usize,
    /// Merged and verified in this run.
    pub merged: Vec<ClusterId>,
    /// Merged and verified by an earlier run (from the journal).
    pub already_merged: Vec<ClusterId>,
    /// Dry run: clusters whose calls were printed.
    pub printed: Vec<ClusterId>,
    pub stale: Vec<ClusterProblem>,
    pub failed: Vec<ClusterProblem>,
    pub rejected: Vec<ClusterId>,
    pub undecided: Vec<ClusterId>,
    /// Why the run stopped early, if it did.
    pub aborted: Option<Abort>,
    /// Approved clusters this run did not finish because it stopped early.
    pub not_reached: Vec<ClusterId>,
    /// What the run could not write once it had begun (journal lines, the
    /// summary files); the summary printed on stderr still tells all.
    pub write_errors: Vec<String>,
    pub http_requests: u64,
    /// State-changing calls sent (merges and updates, attempts included).
    pub step_calls: u64,
    pub retries: u64,
    /// Answers 429 (too many requests).
    pub throttled: u64,
    /// Unknown step outcomes settled by looking at the live state.
    pub resolutions: u64,
    pub wall_seconds: f64,
    /// Clusters this run finished (merged, stale or failed) per second.
    pub clusters_per_second: f64,
    pub requests_per_second: f64,
}

impl ApplySummary {
    /// Anything approved that is not merged and verified, or anything the
    /// run could not do or write.
    pub fn has_failures(&self) -> bool {
        !self.failed.is_empty()
            || !self.stale.is_empty()
            || self.aborted.is_some()
            || !self.not_reached.is_empty()
            || !self.write_errors.is_empty()
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
    /// The whole run stops.
    Run(Abort),
    /// The run is stopping (another worker's `Run`): this cluster is left
    /// where it is, for the next run.
    Interrupted,
}

enum ClusterResult {
    Merged,
    Printed,
    Stale(String),
}

/// How a cluster of this run ended.
#[derive(Debug, Clone)]
enum Outcome {
    Merged,
    Printed,
    Stale(String),
    Failed(String),
    Interrupted,
}

/// The user_ids a step addresses, found by replaying the plan's states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepParties {
    /// The merged-away profile (merges only).
    pub from: Option<String>,
    /// The profile that is merged into or updated.
    pub target: String,
}

fn same_value(field: Field, left: &str, right: &str) -> bool {
    if field == Field::Email {
        left.trim().eq_ignore_ascii_case(right.trim())
    } else {
        left.trim() == right.trim()
    }
}

/// The one profile in `state` an identifier addresses.
fn find_party(
    state: &BTreeMap<String, Profile>,
    field: Field,
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
fn addressed(step: &Step, prefix: &str) -> Result<(Field, String), String> {
    let mut found = Vec::new();
    for (name, value) in &step.params {
        let parameter = match prefix {
            "" => Some(name.as_str()),
            _ => name.strip_prefix(prefix),
        };
        if let Some(field) = parameter.and_then(Field::of_identifier_parameter) {
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
        .map(|profile| (profile.user_id.to_string(), profile.clone()))
        .collect();
    let mut parties = Vec::with_capacity(cluster.steps.len());
    for step in &cluster.steps {
        let party = match step.method {
            Method::Merge => {
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
            Method::Update => {
                let (field, value) = addressed(step, "")?;
                StepParties {
                    from: None,
                    target: find_party(&state, field, &value)?,
                }
            }
        };
        let mut after = step.after.clone();
        after.user_id = UserId::from(party.target.as_str());
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
        .map(|profile| (profile.user_id.to_string(), Some(profile.clone())))
        .collect();
    for (step, party) in cluster.steps.iter().zip(parties).take(done) {
        if let Some(from) = &party.from {
            state.insert(from.clone(), None);
        }
        state.insert(party.target.clone(), Some(step.after.clone()));
    }
    state
}

/// `field: expected X, live Y` for every tracked field that differs.
pub fn differences(expected: &Profile, live: &Profile) -> Vec<String> {
    // Custom attributes are not part of the documented `users/info` answer.
    Field::tracked()
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
/// (nothing is written); `state` is what the journal already holds, and
/// comes back with what this run added.
/// Returns an error only when nothing was sent (the decisions belong to
/// another plan, the first journal line cannot be written); from then on
/// every problem ends up in the summary.
#[allow(clippy::too_many_arguments)]
pub fn apply_plan(
    plan: &MergePlan,
    decisions: &Decisions,
    client: &dyn SailplayClient,
    journal: Option<&Journal>,
    state: JournalState,
    info: RunInfo,
    options: &ApplyOptions,
    printer: &Printer,
    redactor: &SharedRedactor,
) -> Result<(ApplySummary, JournalState)> {
    check_decisions(plan, decisions)?;
    let started = Instant::now();
    let dry_run = !client.reaches_sailplay();
    let mut summary = ApplySummary {
        run: info.run,
        started_at: now(),
        plan_hash: plan.plan_hash.clone(),
        base_url: info.base_url,
        department_id: info.department_id,
        decisions_hash: info.decisions_hash.clone(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        dry_run,
        ..ApplySummary::default()
    };
    let mut approved = Vec::new();
    for cluster in &plan.clusters {
        match decisions.clusters.get(&cluster.cluster_id) {
            Some(decision) if decision.decision == Decision::Approve => approved.push(cluster),
            Some(_) => summary.rejected.push(cluster.cluster_id.clone()),
            None => summary.undecided.push(cluster.cluster_id.clone()),
        }
    }
    summary.approved = approved.len();
    let (done_before, to_do): (Vec<&PlannedCluster>, Vec<&PlannedCluster>) = approved
        .into_iter()
        .partition(|cluster| state.is_verified(&cluster.cluster_id));
    summary.already_merged = done_before
        .iter()
        .map(|cluster| cluster.cluster_id.clone())
        .collect();
    let concurrency = if dry_run {
        // Printed calls come out in plan order.
        1
    } else {
        options.concurrency.clamp(1, to_do.len().max(1))
    };
    summary.concurrency = concurrency;

    let progress = Progress::new(printer, to_do.len() as u64);
    let run = Run {
        client,
        journal,
        state: Mutex::new(state),
        options,
        redactor,
        progress: &progress,
        printer,
        abort: Mutex::new(None),
        retries: AtomicU64::new(0),
        resolutions: AtomicU64::new(0),
        step_calls: AtomicU64::new(0),
        throttled: AtomicU64::new(0),
    };
    if let Err(stop) = run.log(JournalEntry::RunStarted {
        at: summary.started_at.clone(),
        plan_hash: plan.plan_hash.clone(),
        pid: std::process::id(),
        dry_run,
        run: info.run,
        tool_version: summary.tool_version.clone(),
        decisions_hash: info.decisions_hash,
    }) {
        let reason = match stop {
            Stop::Run(abort) => abort.reason,
            Stop::Cluster(reason) => reason,
            Stop::Interrupted => "interrupted".into(),
        };
        bail!("nothing was sent: {reason}");
    }

    let scheduler = Scheduler::new(
        to_do
            .iter()
            .map(|cluster| {
                let mut members = cluster.members.clone();
                members.push(cluster.survivor.clone());
                members.sort();
                members.dedup();
                members
            })
            .collect(),
    );
    let outcomes: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; to_do.len()]);
    std::thread::scope(|scope| {
        let (stop_ticks, ticks) = channel::<()>();
        if progress.wants_status_lines() && !dry_run && !to_do.is_empty() {
            let (progress, run) = (&progress, &run);
            let interval = options.status_interval;
            scope.spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = ticks.recv_timeout(interval) {
                    run.printer
                        .info(progress.status(run.client.requests_sent()));
                }
            });
        }
        let workers: Vec<_> = (0..concurrency)
            .map(|index| {
                let (run, scheduler, outcomes, to_do) = (&run, &scheduler, &outcomes, &to_do);
                let seed = options.jitter_seed.wrapping_add(index as u64);
                scope.spawn(move || {
                    let mut worker = Worker::new(run, seed);
                    while let Some(position) = scheduler.next() {
                        let outcome = worker.finish_cluster(to_do[position]);
                        if matches!(outcome, Outcome::Interrupted) {
                            scheduler.stop();
                        }
                        lock(outcomes)[position] = Some(outcome);
                        scheduler.finish(position);
                    }
                })
            })
            .collect();
        for worker in workers {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        drop(stop_ticks);
    });
    progress.finish();

    let outcomes = outcomes.into_inner().unwrap_or_else(|p| p.into_inner());
    for (cluster, outcome) in to_do.iter().zip(outcomes) {
        let id = cluster.cluster_id.clone();
        match outcome {
            Some(Outcome::Merged) => summary.merged.push(id),
            Some(Outcome::Printed) => summary.printed.push(id),
            Some(Outcome::Stale(reason)) => summary.stale.push(ClusterProblem {
                cluster_id: id,
                reason,
            }),
            Some(Outcome::Failed(reason)) => summary.failed.push(ClusterProblem {
                cluster_id: id,
                reason,
            }),
            Some(Outcome::Interrupted) | None => summary.not_reached.push(id),
        }
    }
    summary.aborted = lock(&run.abort).clone();
    summary.http_requests = client.requests_sent();
    summary.step_calls = run.step_calls.load(Ordering::Relaxed);
    summary.retries = run.retries.load(Ordering::Relaxed);
    summary.throttled = run.throttled.load(Ordering::Relaxed);
    summary.resolutions = run.resolutions.load(Ordering::Relaxed);
    summary.wall_seconds = started.elapsed().as_secs_f64();
    let seconds = summary.wall_seconds.max(1e-3);
    let finished = summary.merged.len() + summary.stale.len() + summary.failed.len();
    summary.clusters_per_second = finished as f64 / seconds;
    summary.requests_per_second = summary.http_requests as f64 / seconds;
    summary.finished_at = now();
    let journal_broken = summary
        .aborted
        .as_ref()
        .is_some_and(|abort| abort.kind == AbortKind::Journal);
    if !journal_broken
        && let Err(Stop::Run(abort)) = run.log(JournalEntry::RunFinished {
            at: summary.finished_at.clone(),
            run: summary.run,
            merged: summary.merged.len(),
            stale: summary.stale.len(),
            failed: summary.failed.len(),
            not_reached: summary.not_reached.len(),
            aborted: summary.aborted.as_ref().map(|abort| abort.reason.clone()),
        })
    {
        summary.write_errors.push(abort.reason);
    }
    let state = run
        .state
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Ok((summary, state))
}

/// A lock that survives a panicked holder.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the workers of a run share.
struct Run<'a> {
    client: &'a dyn SailplayClient,
    journal: Option<&'a Journal>,
    state: Mutex<JournalState>,
    options: &'a ApplyOptions,
    redactor: &'a SharedRedactor,
    progress: &'a Progress,
    printer: &'a Printer,
    abort: Mutex<Option<Abort>>,
    retries: AtomicU64,
    resolutions: AtomicU64,
    step_calls: AtomicU64,
    throttled: AtomicU64,
}

impl Run<'_> {
    /// Appends to the journal (if any), then to the state. A journal that
    /// cannot be written stops the run.
    fn log(&self, entry: JournalEntry) -> Result<(), Stop> {
        if let Some(journal) = self.journal {
            journal.append(&entry).map_err(|error| {
                Stop::Run(Abort {
                    kind: AbortKind::Journal,
                    reason: format!(
                        "the journal could not be written, so nothing more was sent: {error:#}"
                    ),
                })
            })?;
        }
        lock(&self.state).record(&entry);
        Ok(())
    }

    fn step_state(&self, cluster_id: &str, step: u32) -> Option<StepState> {
        lock(&self.state).step(cluster_id, step)
    }

    fn is_stopping(&self) -> bool {
        lock(&self.abort).is_some()
    }

    /// The first reason to stop wins; the others are its echoes.
    fn stop(&self, abort: Abort) {
        let mut slot = lock(&self.abort);
        if slot.is_none() {
            *slot = Some(Abort {
                kind: abort.kind,
                reason: self.redact(&abort.reason),
            });
        }
    }

    fn redact(&self, text: &str) -> String {
        redact_shared(self.redactor, text)
    }

    fn count_error(&self, error: &CallError) {
        if matches!(error, CallError::Status { status: 429, .. }) {
            self.throttled.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Why a call that changes nothing stopped the run.
fn abort_for(what: &str, error: &CallError) -> Abort {
    match error {
        CallError::Auth { .. } => Abort {
            kind: AbortKind::Credentials,
            reason: format!("{what}: {error}"),
        },
        error if error.is_connection_refused() => Abort {
            kind: AbortKind::Unreachable,
            reason: format!(
                "{what}: no connection could be made ({error}); nothing answers at that address: check --base-url, and that Sailplay (or the sandbox) is up"
            ),
        },
        // users/info by user_id has one legitimate error, -4000, which the
        // client answers as `None`. Anything else (a proxy's page, an
        // undocumented error) would fail every cluster alike.
        _ => Abort {
            kind: AbortKind::Unexpected,
            reason: format!("{what}: {error}"),
        },
    }
}

/// One worker: takes clusters from the scheduler and runs them.
struct Worker<'r, 'a> {
    run: &'r Run<'a>,
    policy: &'a RetryPolicy,
    jitter: Jitter,
    /// Live profiles looked up since the cluster's last state-changing
    /// call: a resolution's lookups serve the preflight that follows.
    lookups: HashMap<String, Option<Profile>>,
}

impl<'r, 'a> Worker<'r, 'a> {
    fn new(run: &'r Run<'a>, seed: u64) -> Worker<'r, 'a> {
        Worker {
            run,
            policy: &run.options.retry,
            jitter: Jitter::new(seed),
            lookups: HashMap::new(),
        }
    }

    /// Runs a cluster and journals and counts how it ended.
    fn finish_cluster(&mut self, cluster: &PlannedCluster) -> Outcome {
        let id = &cluster.cluster_id;
        let finished = |status, reason: Option<String>| JournalEntry::ClusterFinished {
            at: now(),
            cluster_id: id.clone(),
            status,
            reason,
        };
        let (outcome, entry) = match self.run_cluster(cluster) {
            Ok(ClusterResult::Printed) => {
                self.run.progress.cluster_finished(Finished::Printed);
                return Outcome::Printed;
            }
            Ok(ClusterResult::Merged) => {
                self.run.progress.cluster_finished(Finished::Merged);
                (Outcome::Merged, finished(ClusterStatus::Merged, None))
            }
            Ok(ClusterResult::Stale(reason)) => {
                let reason = self.run.redact(&reason);
                self.run.progress.cluster_finished(Finished::Stale);
                (
                    Outcome::Stale(reason.clone()),
                    finished(ClusterStatus::Stale, Some(reason)),
                )
            }
            Err(Stop::Cluster(reason)) => {
                let reason = self.run.redact(&reason);
                self.run.progress.cluster_finished(Finished::Failed);
                self.run.progress.suspend(|| {
                    self.run
                        .printer
                        .warn(format!("cluster {id} failed: {reason}"));
                });
                (
                    Outcome::Failed(reason.clone()),
                    finished(ClusterStatus::Failed, Some(reason)),
                )
            }
            Err(Stop::Run(abort)) => {
                self.run.stop(abort);
                return Outcome::Interrupted;
            }
            Err(Stop::Interrupted) => return Outcome::Interrupted,
        };
        if let Err(Stop::Run(abort)) = self.run.log(entry) {
            self.run.stop(abort);
        }
        outcome
    }

    fn pause(&mut self, pause: Duration) {
        self.run.retries.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(pause);
    }

    /// A read-only call, retried on transient failures; any other failure
    /// stops the run.
    fn read<T>(
        &mut self,
        what: &str,
        call: impl Fn(&dyn SailplayClient) -> Result<T, CallError>,
    ) -> Result<T, Stop> {
        let mut attempt = 1;
        loop {
            if self.run.is_stopping() {
                return Err(Stop::Interrupted);
            }
            let error = match call(self.run.client) {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            self.run.count_error(&error);
            let jitter = self.jitter.draw();
            match self
                .policy
                .verdict(attempt, &error, self.run.client.has_answered(), jitter)
            {
                Verdict::RetryAfter(pause) => {
                    self.pause(pause);
                    attempt += 1;
                }
                Verdict::Exhausted => {
                    return Err(Stop::Run(Abort {
                        kind: AbortKind::Unreachable,
                        reason: format!(
                            "{what}: Sailplay did not answer after {attempt} attempts (last: {error})"
                        ),
                    }));
                }
                Verdict::Permanent => return Err(Stop::Run(abort_for(what, &error))),
            }
        }
    }

    fn info(&mut self, user_id: &str) -> Result<Option<Profile>, Stop> {
        if let Some(known) = self.lookups.get(user_id) {
            return Ok(known.clone());
        }
        let live = self.read(&format!("users/info of user_id {user_id}"), |client| {
            client.info_by_user_id(user_id)
        })?;
        self.lookups.insert(user_id.to_string(), live.clone());
        Ok(live)
    }

    fn run_cluster(&mut self, cluster: &PlannedCluster) -> Result<ClusterResult, Stop> {
        self.lookups.clear();
        let id = &cluster.cluster_id;
        let parties = step_parties(cluster)
            .map_err(|reason| Stop::Cluster(format!("the plan is inconsistent: {reason}")))?;
        let live = self.run.client.reaches_sailplay();
        // Settle what a crash or a lost answer left unknown, before
        // anything is sent.
        for (step, party) in cluster.steps.iter().zip(&parties) {
            if live && self.run.step_state(id, step.index) == Some(StepState::Unknown) {
                self.resolve(cluster, step, party)?;
            }
        }
        let done = cluster
            .steps
            .iter()
            .take_while(|step| self.run.step_state(id, step.index) == Some(StepState::Done))
            .count();
        if let Some(later) = cluster.steps[done..]
            .iter()
            .find(|step| self.run.step_state(id, step.index) == Some(StepState::Done))
        {
            return Err(Stop::Cluster(format!(
                "the journal has step {} done but step {} not: it does not belong to this plan",
                later.index,
                done + 1
            )));
        }
        if !live {
            for step in &cluster.steps[done..] {
                self.run
                    .client
                    .send_step(id, step)
                    .map_err(|error| Stop::Cluster(error.to_string()))?;
            }
            return Ok(ClusterResult::Printed);
        }
        if done < cluster.steps.len() {
            let differences = self.compare_live(&expected_state(cluster, &parties, done))?;
            self.run.log(JournalEntry::Preflight {
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

    /// The survivor, looked up once after the last step, against the
    /// plan's result. The merged-away members are not looked up: each
    /// merge answered ok (or was found done: from gone, to present).
    fn verify(&mut self, cluster: &PlannedCluster) -> Result<ClusterResult, Stop> {
        let expected =
            BTreeMap::from([(cluster.survivor.to_string(), Some(cluster.result.clone()))]);
        let differences = self.compare_live(&expected)?;
        self.run.log(JournalEntry::Verified {
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
        self.run.resolutions.fetch_add(1, Ordering::Relaxed);
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
        self.run.log(JournalEntry::Resolution {
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
            if self.run.is_stopping() {
                return Err(Stop::Interrupted);
            }
            self.run.log(JournalEntry::Intent {
                at: now(),
                cluster_id: id.clone(),
                step: step.index,
                attempt,
                method: step.method.path().to_string(),
                params: step.params.clone(),
            })?;
            self.run.step_calls.fetch_add(1, Ordering::Relaxed);
            let result = self.run.client.send_step(id, step);
            // Whatever the answer, what was looked up before may be stale.
            self.lookups.clear();
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
            self.run.log(JournalEntry::Outcome {
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
            self.run.count_error(&error);
            let what = format!("step {} ({})", step.index, step.method);
            match &error {
                CallError::Auth { .. } => {
                    return Err(Stop::Run(Abort {
                        kind: AbortKind::Credentials,
                        reason: format!("{what}: {error}"),
                    }));
                }
                // A slow server may have carried out an earlier attempt after
                // we looked: then from is gone and this one answers -4000.
                CallError::Business { code: -4000, .. }
                    if step.method == Method::Merge
                        && earlier_attempt_may_have_applied
                        && self.resolve(cluster, step, party)? =>
                {
                    return Ok(());
                }
                CallError::Business { .. } => {
                    return Err(Stop::Cluster(format!("{what} refused: {error}")));
                }
                _ => {}
            }
            let jitter = self.jitter.draw();
            match self
                .policy
                .verdict(attempt, &error, self.run.client.has_answered(), jitter)
            {
                Verdict::Permanent if error.is_connection_refused() => {
                    return Err(Stop::Run(abort_for(&what, &error)));
                }
                Verdict::Permanent => return Err(Stop::Cluster(format!("{what}: {error}"))),
                Verdict::Exhausted => {
                    if error.may_have_been_applied() && self.resolve(cluster, step, party)? {
                        return Ok(());
                    }
                    return Err(Stop::Run(Abort {
                        kind: AbortKind::Unreachable,
                        reason: format!(
                            "{what}: Sailplay did not answer after {attempt} attempts (last: {error})"
                        ),
                    }));
                }
                Verdict::RetryAfter(pause) => {
                    earlier_attempt_may_have_applied |= error.may_have_been_applied();
                    self.pause(pause);
                    attempt += 1;
                    // An update sets values: sending it again is harmless. A
                    // merge is not: look first.
                    if step.method == Method::Merge
                        && error.may_have_been_applied()
                        && self.resolve(cluster, step, party)?
                    {
                        return Ok(());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(user_id: &str, fields: &[(Field, &str)]) -> Profile {
        let mut profile = Profile {
            user_id: user_id.into(),
            ..Profile::default()
        };
        for (field, value) in fields {
            profile.set(*field, Some(value.to_string()));
        }
        profile
    }

    fn step(index: u32, method: Method, params: &[(&str, &str)], after: Profile) -> Step {
        Step {
            index,
            method,
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            after,
        }
    }

    fn cluster() -> PlannedCluster {
        let a = profile(
            "1",
            &[(Field::Phone, "79990000001"), (Field::FirstName, "Иван")],
        );
        let b = profile("2", &[(Field::Email, "b@example.ru")]);
        let c = profile("3", &[(Field::OriginUserId, "card-3")]);
        let after_first = profile(
            "1",
            &[
                (Field::Phone, "79990000001"),
                (Field::Email, "b@example.ru"),
                (Field::FirstName, "Иван"),
            ],
        );
        let after_second = profile(
            "1",
            &[
                (Field::Phone, "79990000001"),
                (Field::Email, "b@example.ru"),
                (Field::FirstName, "Иван"),
                (Field::OriginUserId, "card-3"),
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
                    Method::Merge,
                    &[("from_email", "b@example.ru"), ("to_phone", "79990000001")],
                    after_first,
                ),
                step(
                    2,
                    Method::Merge,
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
            &[
                (Field::Email, "A@x.ru"),
                (Field::Points, "5"),
                (Field::FirstName, "Иван"),
            ],
        );
        let live = profile(
            "1",
            &[
                (Field::Email, "a@x.ru"),
                (Field::Points, "7"),
                (Field::LastName, "Петров"),
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
