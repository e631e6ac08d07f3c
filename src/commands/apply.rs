use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::apply::client::{
    CallError, DryRunClient, HttpClient, LoginCredentials, SailplayClient, Secret, TransportKind,
    display_url,
};
use crate::apply::credentials::{
    DEPARTMENT_ID_ENV, DEPARTMENT_KEY_ENV, PIN_ENV, TOKEN_ENV, from_env,
};
use crate::apply::journal::{
    ApplyLock, ClusterStatus, JOURNAL_FILE, JOURNAL_VERSION, Journal, JournalHeader, JournalState,
    archive_journal, now,
};
use crate::apply::redact::{Redactor, SharedRedactor, redact_shared};
use crate::apply::retry::{Jitter, RetryPolicy, Verdict};
use crate::apply::{
    ApplyOptions, ApplySummary, ClusterProblem, DEFAULT_CONCURRENCY, RunInfo, apply_plan,
    check_decisions,
};
use crate::decisions::{DECISIONS_FILE, Decision, Decisions};
use crate::exit::ExitStatus;
use crate::ids::ClusterId;
use crate::plan::MergePlan;
use crate::printer::Printer;

/// Where every approved cluster stands after all runs so far.
pub const SUMMARY_FILE: &str = "apply_summary.json";
/// One summary per run, never overwritten.
pub const RUNS_DIR: &str = "apply_runs";

/// Carry out the approved merges of a plan against Sailplay, safely.
///
/// Reads DIR/plan.json and DIR/decisions.json (which must carry the plan's
/// hash) and runs the approved clusters only, several at once, each
/// cluster's steps in plan order, at most --rate-limit requests per second
/// (slowing down when Sailplay answers 429). Before a cluster, every member
/// is looked up: a cluster whose live state is not the export's is skipped
/// as stale. Every call is journalled in DIR/journal.jsonl before and after
/// it is sent; a rerun skips what is done and settles unknown outcomes by
/// users/info, so a merge is never sent twice. After a cluster the
/// survivor is compared with the plan's result.
///
/// The journal is bound to the plan, --base-url and the department it was
/// started with: a journal for another target or plan is refused (a
/// rehearsal's journal would make the real run skip clusters), unless
/// --new-journal moves it aside.
///
/// Writes DIR/apply_runs/run-N-TIME.json (what this run did, with start
/// and end times) and DIR/apply_summary.json (where every approved cluster
/// stands after all runs). Exit code 0 when every approved cluster is
/// merged and verified; 1 when the run stopped early or anything is stale,
/// failed or could not be written, merges sent or not (see the summary);
/// 2 when it was refused before anything was sent.
///
/// Credentials come from the environment only: SAILPLAY_TOKEN, or
/// SAILPLAY_DEPARTMENT_KEY and SAILPLAY_PIN (login, and a new login when
/// the token is refused); the department from --department-id or
/// SAILPLAY_DEPARTMENT_ID. They are never written anywhere.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sailmerge apply out/ --base-url https://api.sailplay.ru --dry-run
  SAILPLAY_TOKEN=... SAILPLAY_DEPARTMENT_ID=14864 sailmerge apply out/ \\
    --base-url https://api.sailplay.ru
  SAILPLAY_TOKEN=test sailmerge apply out/ --base-url http://127.0.0.1:8085 \\
    --department-id 1 --rate-limit 20 --concurrency 4")]
pub struct ApplyArgs {
    /// The directory holding plan.json and decisions.json.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Sailplay's address, e.g. https://api.sailplay.ru or a sandbox's.
    #[arg(long, value_name = "URL")]
    pub base_url: String,
    /// Requests per second at most (Sailplay allows 50 per partner); the
    /// same flag as the sandbox's.
    #[arg(long, alias = "rps", value_name = "N", default_value_t = 50.0, value_parser = parse_rate)]
    pub rate_limit: f64,
    /// Clusters applied at once (each cluster's calls stay in order).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY, value_parser = parse_concurrency)]
    pub concurrency: usize,
    /// Print the calls that would be sent, one line each led by its cluster
    /// id and step (without the token); send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// store_department_id [env: SAILPLAY_DEPARTMENT_ID].
    #[arg(long, value_name = "ID")]
    pub department_id: Option<String>,
    /// Attempts per call on timeouts, dropped connections, 5xx and 429.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,
    /// Seconds to wait for an answer.
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = parse_timeout)]
    pub timeout: f64,
    /// Move a journal that was written for another plan or target (or any
    /// journal) aside as journal-TIME.jsonl, and start a new one. Safe:
    /// clusters merged before show up as stale, never merged twice.
    #[arg(long)]
    pub new_journal: bool,
    /// Seconds between status lines when stderr is not a terminal.
    #[arg(long, value_name = "SECS", default_value_t = 5.0, value_parser = parse_status_interval)]
    pub status_interval: f64,
}

/// A number in `range`, for a flag: finite, and clear about the bounds.
fn parse_bounded(
    text: &str,
    range: std::ops::RangeInclusive<f64>,
    unit: &str,
) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if !value.is_finite() || !range.contains(&value) {
        return Err(format!(
            "must be between {} and {} {unit}, got {text}",
            range.start(),
            range.end()
        ));
    }
    Ok(value)
}

fn parse_rate(text: &str) -> Result<f64, String> {
    // Below one request per 100 s a run would never end; above 10,000 a
    // second no API would keep up.
    parse_bounded(text, 0.01..=10_000.0, "requests per second")
}

fn parse_timeout(text: &str) -> Result<f64, String> {
    parse_bounded(text, 0.1..=3600.0, "seconds")
}

fn parse_status_interval(text: &str) -> Result<f64, String> {
    parse_bounded(text, 0.1..=3600.0, "seconds")
}

fn parse_concurrency(text: &str) -> Result<usize, String> {
    let value: usize = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a whole number"))?;
    if !(1..=256).contains(&value) {
        return Err(format!("must be between 1 and 256 clusters, got {value}"));
    }
    Ok(value)
}

pub fn run(args: ApplyArgs, printer: &Printer) -> Result<ExitStatus> {
    let base_url = parse_base_url(&args.base_url)?;
    let plan = MergePlan::read(&args.dir)?;
    let decisions_path = args.dir.join(DECISIONS_FILE);
    if !decisions_path.exists() {
        bail!(
            "no {} beside the plan: approve clusters first (sailmerge approve {} --all, or the review page)",
            decisions_path.display(),
            args.dir.display()
        );
    }
    let decisions = Decisions::read(&args.dir)?;
    check_decisions(&plan, &decisions)?;
    let decisions_hash = hex::encode(Sha256::digest(
        std::fs::read(&decisions_path)
            .with_context(|| format!("cannot read {}", decisions_path.display()))?,
    ));
    let department_id = args
        .department_id
        .clone()
        .or_else(|| from_env(DEPARTMENT_ID_ENV));
    let options = ApplyOptions {
        retry: RetryPolicy {
            max_attempts: args.max_attempts,
            ..RetryPolicy::default()
        },
        concurrency: args.concurrency,
        jitter_seed: std::process::id() as u64,
        status_interval: Duration::from_secs_f64(args.status_interval),
    };
    let redactor: SharedRedactor = Arc::new(RwLock::new(Redactor::default()));
    let header = JournalHeader {
        journal_version: JOURNAL_VERSION,
        created_at: now(),
        plan_hash: plan.plan_hash.clone(),
        base_url: display_url(&base_url),
        department_id: department_id.clone().unwrap_or_default(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        decisions_hash: decisions_hash.clone(),
    };
    let info = |state: &JournalState| RunInfo {
        run: state.next_run(),
        base_url: display_url(&base_url),
        department_id: department_id.clone(),
        decisions_hash: decisions_hash.clone(),
    };

    if args.dry_run {
        let mut state = JournalState::read(&args.dir)?;
        // A dry run may leave the department out: it sends nothing, and
        // only the journal's plan and address matter to what it prints.
        let mut header = header.clone();
        if department_id.is_none()
            && let Some(journal) = &state.header
        {
            header.department_id = journal.department_id.clone();
        }
        if let Some(problem) = state.binding_problem(&header) {
            if !args.new_journal {
                bail!(refusal(&args.dir, &problem));
            }
            printer.warn(format!(
                "{} is not this run's ({problem}); the dry run ignores it",
                args.dir.join(JOURNAL_FILE).display()
            ));
            state = JournalState::default();
        }
        let run_info = info(&state);
        let client = DryRunClient::new(std::io::stdout(), display_url(&base_url), department_id);
        let (summary, _) = apply_plan(
            &plan, &decisions, &client, None, state, run_info, &options, printer, &redactor,
        )?;
        print_summary(&summary, printer, None);
        return Ok(ExitStatus::Success);
    }

    let Some(department_id) = department_id.clone() else {
        bail!("no store_department_id: set {DEPARTMENT_ID_ENV} or add --department-id ID");
    };
    let login = match (from_env(DEPARTMENT_KEY_ENV), from_env(PIN_ENV)) {
        (Some(key), Some(pin)) => Some(LoginCredentials {
            department_key: Secret::new(key),
            pin: Secret::new(pin),
        }),
        _ => None,
    };
    let token = from_env(TOKEN_ENV);
    if token.is_none() && login.is_none() {
        bail!(
            "no Sailplay credentials: set {TOKEN_ENV}, or {DEPARTMENT_KEY_ENV} and {PIN_ENV} to log in (never on the command line)"
        );
    }
    let _lock = ApplyLock::acquire(&args.dir)?;
    let mut state = JournalState::read(&args.dir)?;
    let binding = state.binding_problem(&header);
    if let Some(problem) = &binding
        && !args.new_journal
    {
        bail!(refusal(&args.dir, problem));
    }
    if args.new_journal && state.lines > 0 {
        let archived = archive_journal(&args.dir)?;
        printer.warn(format!(
            "moved {} aside to {}{}; a new journal starts",
            args.dir.join(JOURNAL_FILE).display(),
            archived.display(),
            binding.map_or(String::new(), |problem| format!(" ({problem})"))
        ));
        state = JournalState::default();
    }
    if state.torn_last_line {
        printer.warn(format!(
            "the last line of {} was cut short by a crash; it is dropped, and the step it concerned is settled from the live state",
            args.dir.join(JOURNAL_FILE).display()
        ));
    }
    let client = HttpClient::new(
        base_url.clone(),
        Secret::new(token.clone().unwrap_or_default()),
        login,
        department_id,
        args.rate_limit,
        Duration::from_secs_f64(args.timeout),
        redactor.clone(),
    )?;
    if token.is_none() {
        log_in(&client, &options.retry, options.jitter_seed).map_err(|error| {
            anyhow::anyhow!(
                "cannot log in at {}api/v2/login/: {}",
                display_url(&base_url),
                redact_shared(&redactor, &error.to_string())
            )
        })?;
    }
    let journal = Journal::open(&args.dir, &header, redactor.clone())?;
    printer.info(format!(
        "applying {} to {} ({} requests/s at most, {} clusters at once); journal {}",
        args.dir.join("plan.json").display(),
        display_url(&base_url),
        args.rate_limit,
        args.concurrency,
        args.dir.join(JOURNAL_FILE).display()
    ));
    let run_info = info(&state);
    let (mut summary, state) = apply_plan(
        &plan,
        &decisions,
        &client,
        Some(&journal),
        state,
        run_info,
        &options,
        printer,
        &redactor,
    )?;
    let run_file = run_file_path(&args.dir, &summary);
    let status = ApplyStatus::of(&plan, &decisions, &state, &summary, &run_file, &args.dir);
    let written = write_summaries(&args.dir, &run_file, &mut summary, &status, &redactor);
    print_summary(&summary, printer, written.then_some(&run_file));
    if !written {
        let json = serde_json::to_string_pretty(&summary)?;
        printer.warn(format!(
            "the summary could not be written; here it is:\n{}",
            redact_shared(&redactor, &json)
        ));
    }
    Ok(if summary.has_failures() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// Why a journal is refused, and what to do.
fn refusal(dir: &Path, problem: &str) -> String {
    format!(
        "{} is not this run's journal: {problem}. Continuing it would skip clusters it records as merged although this target never saw them. Plan into a new directory (sailmerge plan ... --out NEW), or pass --new-journal to move it aside and start a new one (clusters it merged then show up as stale, never merged twice)",
        dir.join(JOURNAL_FILE).display()
    )
}

/// The login call, retried by the run's retry policy (it changes nothing,
/// so resending it is harmless).
fn log_in(client: &HttpClient, policy: &RetryPolicy, seed: u64) -> Result<(), CallError> {
    let mut jitter = Jitter::new(seed);
    let mut attempt = 1;
    loop {
        let error = match client.login() {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        match policy.verdict(attempt, &error, client.has_answered(), jitter.draw()) {
            Verdict::RetryAfter(pause) => {
                std::thread::sleep(pause);
                attempt += 1;
            }
            Verdict::Permanent if error.is_connection_refused() => {
                return Err(CallError::Transport {
                    kind: TransportKind::Connect,
                    message: format!(
                        "{error}; nothing answers at that address: check --base-url, and that Sailplay (or the sandbox) is up"
                    ),
                });
            }
            Verdict::Permanent | Verdict::Exhausted => return Err(error),
        }
    }
}

fn parse_base_url(text: &str) -> Result<reqwest::Url> {
    let mut url = reqwest::Url::parse(text).with_context(|| {
        format!("--base-url {text:?} is not a URL (e.g. https://api.sailplay.ru)")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!(
            "--base-url must be http:// or https://, got {}",
            url.scheme()
        );
    }
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
        bail!("--base-url must not carry credentials or a query: they come from the environment");
    }
    if url.fragment().is_some() {
        bail!(
            "--base-url must not end in a #fragment (it is never sent, and the journal would bind to an address with it): got {text:?}"
        );
    }
    // Joined paths must land under the base, not replace its last segment.
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// `apply_runs/run-0003-20260102T101500Z.json`: the run's number and the
/// second it started (`started_at` in RFC 3339).
fn run_file_name(run: u32, started_at: &str) -> String {
    let stamp: String = started_at
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .take(15)
        .collect();
    format!("{RUNS_DIR}/run-{run:04}-{stamp}Z.json")
}

/// Where this run's summary goes, with a suffix if a run of the same
/// number started within the same second (after --new-journal).
fn run_file_path(dir: &Path, summary: &ApplySummary) -> PathBuf {
    let name = run_file_name(summary.run, &summary.started_at);
    let mut path = dir.join(&name);
    let mut suffix = 2;
    while path.exists() {
        path = dir.join(name.replace(".json", &format!("-{suffix}.json")));
        suffix += 1;
    }
    path
}

/// Writes the run's summary and the status of every cluster; a failure is
/// recorded in the summary (and printed), never hidden. False if either
/// could not be written.
fn write_summaries(
    dir: &Path,
    run_file: &Path,
    summary: &mut ApplySummary,
    status: &ApplyStatus,
    redactor: &SharedRedactor,
) -> bool {
    let status_written = pretty_json(status, redactor)
        .and_then(|bytes| crate::fsutil::write_bytes_atomically(&dir.join(SUMMARY_FILE), &bytes));
    if let Err(error) = status_written {
        summary.write_errors.push(format!("{error:#}"));
    }
    let run_written = std::fs::create_dir_all(dir.join(RUNS_DIR))
        .with_context(|| format!("cannot create {}", dir.join(RUNS_DIR).display()))
        .and_then(|()| pretty_json(&*summary, redactor))
        .and_then(|bytes| crate::fsutil::write_bytes_atomically(run_file, &bytes));
    if let Err(error) = run_written {
        summary.write_errors.push(format!("{error:#}"));
    }
    summary.write_errors.is_empty()
}

/// Pretty JSON with a final newline, every secret redacted.
fn pretty_json<T: Serialize>(value: &T, redactor: &SharedRedactor) -> Result<Vec<u8>> {
    let mut bytes = redact_shared(redactor, &serde_json::to_string_pretty(value)?).into_bytes();
    bytes.push(b'\n');
    Ok(bytes)
}

/// `DIR/apply_summary.json`: where every approved cluster stands after all
/// runs of this journal, so that a rerun with nothing left to do does not
/// hide what the runs before it did.
#[derive(Debug, Serialize)]
pub struct ApplyStatus {
    pub plan_hash: String,
    pub base_url: String,
    pub department_id: Option<String>,
    pub updated_at: String,
    pub approved: usize,
    /// Merged and verified, by any run.
    pub merged: Vec<ClusterId>,
    /// Last found stale, not merged since.
    pub stale: Vec<ClusterProblem>,
    /// Last failed, not merged since.
    pub failed: Vec<ClusterProblem>,
    /// Approved, not finished by any run yet.
    pub pending: Vec<ClusterId>,
    pub rejected: Vec<ClusterId>,
    pub undecided: Vec<ClusterId>,
    /// Every run of this journal, oldest first.
    pub runs: Vec<RunEntry>,
}

#[derive(Debug, Serialize)]
pub struct RunEntry {
    pub run: u32,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// The run's own summary, relative to DIR (known for this run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

impl ApplyStatus {
    fn of(
        plan: &MergePlan,
        decisions: &Decisions,
        state: &JournalState,
        summary: &ApplySummary,
        run_file: &Path,
        dir: &Path,
    ) -> ApplyStatus {
        let mut status = ApplyStatus {
            plan_hash: plan.plan_hash.clone(),
            base_url: summary.base_url.clone(),
            department_id: summary.department_id.clone(),
            updated_at: now(),
            approved: 0,
            merged: Vec::new(),
            stale: Vec::new(),
            failed: Vec::new(),
            pending: Vec::new(),
            rejected: summary.rejected.clone(),
            undecided: summary.undecided.clone(),
            runs: Vec::new(),
        };
        // This run's own word, in case the journal could not take it.
        let this_run = |id: &str| -> Option<(ClusterStatus, Option<String>)> {
            if summary.merged.iter().any(|merged| merged == id) {
                return Some((ClusterStatus::Merged, None));
            }
            let problem = |list: &[ClusterProblem]| {
                list.iter()
                    .find(|problem| problem.cluster_id == id)
                    .map(|problem| problem.reason.clone())
            };
            problem(&summary.stale)
                .map(|reason| (ClusterStatus::Stale, Some(reason)))
                .or_else(|| {
                    problem(&summary.failed).map(|reason| (ClusterStatus::Failed, Some(reason)))
                })
        };
        for cluster in &plan.clusters {
            let id = &cluster.cluster_id;
            if !matches!(decisions.clusters.get(id), Some(d) if d.decision == Decision::Approve) {
                continue;
            }
            status.approved += 1;
            let word = if state.is_verified(id) {
                Some((ClusterStatus::Merged, None))
            } else {
                this_run(id).or_else(|| {
                    state
                        .cluster(id)
                        .map(|record| (record.status, record.reason.clone()))
                })
            };
            match word {
                Some((ClusterStatus::Merged, _)) => status.merged.push(id.clone()),
                Some((ClusterStatus::Stale, reason)) => status.stale.push(ClusterProblem {
                    cluster_id: id.clone(),
                    reason: reason.unwrap_or_default(),
                }),
                Some((ClusterStatus::Failed, reason)) => status.failed.push(ClusterProblem {
                    cluster_id: id.clone(),
                    reason: reason.unwrap_or_default(),
                }),
                None => status.pending.push(id.clone()),
            }
        }
        let relative = run_file
            .strip_prefix(dir)
            .unwrap_or(run_file)
            .display()
            .to_string();
        status.runs = state
            .runs
            .iter()
            .map(|run| RunEntry {
                run: run.run,
                started_at: run.started_at.clone(),
                finished_at: run.finished_at.clone(),
                summary: if run.run == summary.run {
                    Some(relative.clone())
                } else {
                    Some(run_file_name(run.run, &run.started_at))
                        .filter(|name| dir.join(name).exists())
                },
            })
            .collect();
        if status
            .runs
            .last()
            .is_none_or(|last| last.run != summary.run)
        {
            status.runs.push(RunEntry {
                run: summary.run,
                started_at: summary.started_at.clone(),
                finished_at: Some(summary.finished_at.clone()),
                summary: Some(relative),
            });
        }
        status
    }
}

fn print_summary(summary: &ApplySummary, printer: &Printer, run_file: Option<&PathBuf>) {
    if summary.dry_run {
        printer.info(format!(
            "dry run: printed the calls of {} approved clusters ({} already merged by an earlier run); {} rejected, {} undecided; nothing sent",
            summary.printed.len(),
            summary.already_merged.len(),
            summary.rejected.len(),
            summary.undecided.len()
        ));
        return;
    }
    printer.info(format!(
        "merged {} clusters ({} more by an earlier run); skipped as stale {}; rejected {}; undecided {}; failed {}{}",
        summary.merged.len(),
        summary.already_merged.len(),
        summary.stale.len(),
        summary.rejected.len(),
        summary.undecided.len(),
        summary.failed.len(),
        if summary.not_reached.is_empty() {
            String::new()
        } else {
            format!("; not finished {}", summary.not_reached.len())
        }
    ));
    printer.info(format!(
        "{} HTTP requests ({} merge/update calls) in {:.1} s: {:.1} clusters/s, {:.1} requests/s; {} retries, {} answered 429, {} outcomes settled by users/info",
        summary.http_requests,
        summary.step_calls,
        summary.wall_seconds,
        summary.clusters_per_second,
        summary.requests_per_second,
        summary.retries,
        summary.throttled,
        summary.resolutions
    ));
    if let Some(run_file) = run_file {
        printer.info(format!(
            "this run: {}; every cluster: {}",
            run_file.display(),
            run_file
                .parent()
                .and_then(Path::parent)
                .map_or(PathBuf::from(SUMMARY_FILE), |dir| dir.join(SUMMARY_FILE))
                .display()
        ));
    }
    for stale in &summary.stale {
        printer.warn(format!("stale {}: {}", stale.cluster_id, stale.reason));
    }
    if !summary.stale.is_empty() {
        printer.warn(
            "stale clusters were changed in Sailplay after the export: plan them again from a fresh export, or reject them",
        );
    }
    for failed in &summary.failed {
        printer.warn(format!("failed {}: {}", failed.cluster_id, failed.reason));
    }
    for error in &summary.write_errors {
        printer.warn(format!("could not write: {error}"));
    }
    if let Some(abort) = &summary.aborted {
        printer.warn(format!(
            "the run stopped early ({} merge/update calls had been sent): {}",
            summary.step_calls, abort.reason
        ));
        printer.warn(format!("next: {}", abort.advice()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_keeps_its_path_and_refuses_credentials_and_fragments() {
        let url = parse_base_url("http://127.0.0.1:8085/sailplay").unwrap();
        assert_eq!(
            url.join("api/v2/users/info/").unwrap().path(),
            "/sailplay/api/v2/users/info/"
        );
        assert!(parse_base_url("https://user:pw@api.sailplay.ru").is_err());
        assert!(parse_base_url("https://api.sailplay.ru/?token=x").is_err());
        assert!(parse_base_url("ftp://x").is_err());
        let fragment = parse_base_url("https://api.sailplay.ru/#prod").unwrap_err();
        assert!(fragment.to_string().contains("#fragment"), "{fragment}");
        assert!(parse_base_url("https://api.sailplay.ru/#").is_err());
    }

    #[test]
    fn numeric_flags_are_bounded_with_a_clear_message() {
        assert_eq!(parse_rate("50"), Ok(50.0));
        assert_eq!(parse_rate("0.5"), Ok(0.5));
        for bad in ["0", "-3", "1e-300", "inf", "NaN", "1e9", "fast"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
        assert!(
            parse_rate("0")
                .unwrap_err()
                .contains("between 0.01 and 10000")
        );
        assert_eq!(parse_timeout("30"), Ok(30.0));
        for bad in ["0", "1e20", "1e308", "-1", "inf"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_concurrency("16"), Ok(16));
        assert!(parse_concurrency("0").is_err());
        assert!(parse_concurrency("100000").is_err());
        assert!(parse_status_interval("0").is_err());
    }
}
