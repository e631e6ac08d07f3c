use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::apply::client::{CallError, DryRunClient, HttpClient, Secret, display_url};
use crate::apply::credentials::{
    DEPARTMENT_ID_ENV, DEPARTMENT_KEY_ENV, PIN_ENV, TOKEN_ENV, from_env,
};
use crate::apply::journal::{ApplyLock, JOURNAL_FILE, Journal, JournalState};
use crate::apply::{ApplyOptions, ApplySummary, apply_plan, check_decisions};
use crate::decisions::{DECISIONS_FILE, Decisions};
use crate::exit::ExitStatus;
use crate::plan::MergePlan;
use crate::printer::Printer;

pub const SUMMARY_FILE: &str = "apply_summary.json";

/// Carry out the approved merges of a plan against Sailplay, safely.
///
/// Reads DIR/plan.json and DIR/decisions.json (which must carry the plan's
/// hash) and runs the approved clusters only, steps in plan order. Before a
/// cluster, every member is looked up: a cluster whose live state is not
/// the export's is skipped as stale. Every call is journalled in
/// DIR/journal.jsonl before and after it is sent; a rerun skips what is
/// done and settles unknown outcomes by users/info, so a merge is never
/// sent twice. After a cluster the survivor is compared with the plan's
/// result. Writes DIR/apply_summary.json; exit code 1 if anything failed.
///
/// Credentials come from the environment only: SAILPLAY_TOKEN, or
/// SAILPLAY_DEPARTMENT_KEY and SAILPLAY_PIN (login); the department from
/// --department-id or SAILPLAY_DEPARTMENT_ID. They are never written
/// anywhere.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sailmerge apply out/ --base-url https://api.sailplay.ru --dry-run
  SAILPLAY_TOKEN=... SAILPLAY_DEPARTMENT_ID=14864 sailmerge apply out/ --base-url https://api.sailplay.ru
  SAILPLAY_TOKEN=test sailmerge apply out/ --base-url http://127.0.0.1:8085 --department-id 1 --rps 20")]
pub struct ApplyArgs {
    /// The directory holding plan.json and decisions.json.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Sailplay's address, e.g. https://api.sailplay.ru or a sandbox's.
    #[arg(long, value_name = "URL")]
    pub base_url: String,
    /// Requests per second at most (Sailplay allows 50 per partner).
    #[arg(long, value_name = "N", default_value_t = 50.0)]
    pub rps: f64,
    /// Print the calls that would be sent (without the token); send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// store_department_id [env: SAILPLAY_DEPARTMENT_ID].
    #[arg(long, value_name = "ID")]
    pub department_id: Option<String>,
    /// Attempts per call on timeouts, dropped connections, 5xx and 429.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_attempts: u32,
    /// Seconds to wait for an answer.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,
}

pub fn run(args: ApplyArgs, printer: &Printer) -> Result<ExitStatus> {
    if !(args.rps > 0.0 && args.rps.is_finite()) {
        bail!("--rps must be a positive number, got {}", args.rps);
    }
    if args.max_attempts == 0 {
        bail!("--max-attempts must be at least 1");
    }
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        bail!(
            "--timeout must be a positive number of seconds, got {}",
            args.timeout
        );
    }
    let base_url = parse_base_url(&args.base_url)?;
    let plan = MergePlan::read(&args.dir)?;
    if !args.dir.join(DECISIONS_FILE).exists() {
        bail!(
            "no {} beside the plan: approve clusters first (sailmerge approve {} --all, or the review page)",
            args.dir.join(DECISIONS_FILE).display(),
            args.dir.display()
        );
    }
    let decisions = Decisions::read(&args.dir)?;
    check_decisions(&plan, &decisions)?;
    let department_id = args
        .department_id
        .clone()
        .or_else(|| from_env(DEPARTMENT_ID_ENV));
    let options = ApplyOptions {
        max_attempts: args.max_attempts,
        jitter_seed: std::process::id() as u64,
        ..ApplyOptions::default()
    };

    if args.dry_run {
        let state = JournalState::read(&args.dir)?;
        let stdout = std::io::stdout();
        let mut client = DryRunClient::new(stdout.lock(), display_url(&base_url), department_id);
        let summary = apply_plan(
            &plan,
            &decisions,
            &mut client,
            None,
            state,
            &options,
            printer,
        )?;
        print_summary(&summary, printer);
        return Ok(ExitStatus::Success);
    }

    let Some(department_id) = department_id else {
        bail!("no store_department_id: set {DEPARTMENT_ID_ENV} or add --department-id ID");
    };
    let _lock = ApplyLock::acquire(&args.dir)?;
    let state = JournalState::read(&args.dir)?;
    if state.torn_last_line {
        printer.warn(format!(
            "the last line of {} was cut short by a crash; it is dropped, and the step it concerned is settled from the live state",
            args.dir.join(JOURNAL_FILE).display()
        ));
    }
    let timeout = Duration::from_secs_f64(args.timeout);
    let mut client = match (
        from_env(TOKEN_ENV),
        from_env(DEPARTMENT_KEY_ENV),
        from_env(PIN_ENV),
    ) {
        (Some(token), _, _) => HttpClient::new(
            base_url.clone(),
            Secret::new(token),
            department_id,
            args.rps,
            timeout,
        )?,
        (None, Some(key), Some(pin)) => {
            let mut client = HttpClient::new(
                base_url.clone(),
                Secret::new(String::new()),
                department_id,
                args.rps,
                timeout,
            )?;
            log_in(
                &mut client,
                &Secret::new(key),
                &Secret::new(pin),
                args.max_attempts,
            )
            .with_context(|| format!("cannot log in at {}api/v2/login/", display_url(&base_url)))?;
            client
        }
        _ => bail!(
            "no Sailplay credentials: set {TOKEN_ENV}, or {DEPARTMENT_KEY_ENV} and {PIN_ENV} to log in (never on the command line)"
        ),
    };
    let mut journal = Journal::open(&args.dir)?;
    printer.info(format!(
        "applying {} to {} ({} requests/s at most); journal {}",
        args.dir.join("plan.json").display(),
        display_url(&base_url),
        args.rps,
        args.dir.join(JOURNAL_FILE).display()
    ));
    let summary = apply_plan(
        &plan,
        &decisions,
        &mut client,
        Some(&mut journal),
        state,
        &options,
        printer,
    )?;
    let mut bytes = serde_json::to_vec_pretty(&summary)?;
    bytes.push(b'\n');
    crate::fsutil::write_bytes_atomically(&args.dir.join(SUMMARY_FILE), &bytes)?;
    print_summary(&summary, printer);
    Ok(if summary.has_failures() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// The login call, retried like any other on transient failures (it
/// changes nothing, so resending it is harmless).
fn log_in(
    client: &mut HttpClient,
    department_key: &Secret,
    pin: &Secret,
    max_attempts: u32,
) -> Result<(), CallError> {
    let mut attempt = 1;
    loop {
        match client.login(department_key, pin) {
            Err(error) if error.is_retryable() && attempt < max_attempts => {
                let backoff = Duration::from_millis(200) * 2u32.pow(attempt.min(6) - 1);
                std::thread::sleep(
                    error
                        .retry_after()
                        .map_or(backoff, |asked| asked.max(backoff)),
                );
                attempt += 1;
            }
            result => return result,
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
    // Joined paths must land under the base, not replace its last segment.
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn print_summary(summary: &ApplySummary, printer: &Printer) {
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
        if summary.not_reached > 0 {
            format!("; not reached {}", summary.not_reached)
        } else {
            String::new()
        }
    ));
    printer.info(format!(
        "{} HTTP requests ({} merge/update calls), {} retries, {} outcomes settled by users/info, {:.1} s",
        summary.http_requests, summary.step_calls, summary.retries, summary.resolutions, summary.wall_seconds
    ));
    for stale in &summary.stale {
        printer.warn(format!("stale {}: {}", stale.cluster_id, stale.reason));
    }
    for failed in &summary.failed {
        printer.warn(format!("failed {}: {}", failed.cluster_id, failed.reason));
    }
    if let Some(reason) = &summary.aborted {
        printer.warn(format!(
            "the run stopped early: {reason}; run the same command again to continue"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_keeps_its_path_and_refuses_credentials() {
        let url = parse_base_url("http://127.0.0.1:8085/sailplay").unwrap();
        assert_eq!(
            url.join("api/v2/users/info/").unwrap().path(),
            "/sailplay/api/v2/users/info/"
        );
        assert!(parse_base_url("https://user:pw@api.sailplay.ru").is_err());
        assert!(parse_base_url("https://api.sailplay.ru/?token=x").is_err());
        assert!(parse_base_url("ftp://x").is_err());
    }
}
