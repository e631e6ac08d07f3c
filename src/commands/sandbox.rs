use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::apply::credentials::{
    DEPARTMENT_ID_ENV, DEPARTMENT_KEY_ENV, PIN_ENV, TOKEN_ENV, from_env,
};
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::profile::Profile;
use crate::sandbox::state::StateFile;
use crate::sandbox::store::{AttributeRule, PointsRule, RegisterDateRule};
use crate::sandbox::{AuthConfig, FaultConfig, MergeRules, Store};
use crate::settings::load::LoadSettings;

/// Run a local Sailplay sandbox loaded from an export, to rehearse `apply`.
///
/// Serves /api/v2/users/info/, users/add/, users/update/, users/merge/ and
/// /api/v2/login/ (form-encoded POST or GET with a query string) with the
/// documented bodies, error codes (-4000, -5100, -5102, -5103, -5122) and
/// merge precedence, and GET / for health. Sandbox-only: GET
/// /_sandbox/stats (requests, faults, merges per pair) and GET
/// /_sandbox/profiles (the current profiles, the format --profiles reads).
///
/// --latency-ms holds every API request as a network would, so a rehearsal
/// takes the time the real run will. --state FILE keeps the store on disk
/// as it changes: started again with the same FILE (and address), the
/// sandbox serves the profiles and merge counts it had, so a restart is a
/// fault a rehearsal or a test can inject. Tokens handed out by the login
/// flow do not survive a restart (clients must log in again).
///
/// Credentials come from the environment only: SAILPLAY_TOKEN is the
/// accepted token; SAILPLAY_DEPARTMENT_KEY and SAILPLAY_PIN enable the login
/// flow. Prints the bound address (http://IP:PORT) on stdout, then serves
/// until interrupted.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  SAILPLAY_TOKEN=test sailmerge sandbox --load datasets/demo/export.csv --listen 127.0.0.1:8085
  SAILPLAY_TOKEN=test sailmerge sandbox --load export.csv --listen 127.0.0.1:0 \\
    --fail-rate 0.05 --drop-rate 0.05 --rate-limit 50 --seed 7
  SAILPLAY_TOKEN=test sailmerge sandbox --load export.csv --latency-ms 60 \\
    --rate-limit 50 --state sandbox-state.jsonl
  SAILPLAY_DEPARTMENT_KEY=k SAILPLAY_PIN=1234 sailmerge sandbox --profiles state.json \\
    --department-id 14864
  curl -s http://127.0.0.1:8085/_sandbox/stats")]
pub struct SandboxArgs {
    /// Export files to load (the formats `plan` reads).
    #[arg(long = "load", value_name = "EXPORT", num_args = 1..)]
    pub exports: Vec<PathBuf>,
    /// A JSON array of profiles, as GET /_sandbox/profiles answers it.
    #[arg(long, value_name = "FILE")]
    pub profiles: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:8085")]
    pub listen: SocketAddr,
    /// Share of API requests answered 503 without doing anything.
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Share of API requests carried out, then left unanswered (the
    /// connection is closed without a response).
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    pub drop_rate: f64,
    /// API requests admitted per second; above it, 429 with Retry-After.
    /// Sailplay's own limit is 50 per second per partner. The same flag as
    /// apply's.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub rate_limit: Option<u32>,
    /// Hold every API request this many milliseconds before answering it.
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub latency_ms: u64,
    /// Keep the store in FILE: created from --load/--profiles on the first
    /// start, resumed from (and --load/--profiles not read) on the next.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Seed of the fault generator, for reproducible faults.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// The store_department_id every request must carry [env:
    /// SAILPLAY_DEPARTMENT_ID]; any is accepted when unset.
    #[arg(long, value_name = "ID")]
    pub department_id: Option<String>,
    /// register_date when both merged profiles have one (the docs are silent).
    #[arg(long, value_enum, default_value_t = RegisterDateRule::Earliest)]
    pub register_date: RegisterDateRule,
    /// Points when both merged profiles have a balance.
    #[arg(long, value_enum, default_value_t = PointsRule::Sum)]
    pub points: PointsRule,
    /// Custom attributes filled in both merged profiles.
    #[arg(long, value_enum, default_value_t = AttributeRule::To)]
    pub attributes: AttributeRule,
}

fn check_rate(flag: &str, rate: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&rate) {
        bail!("{flag} must be a share between 0 and 1, got {rate}");
    }
    Ok(())
}

fn read_profiles(args: &SandboxArgs, printer: &Printer) -> Result<Vec<Profile>> {
    let mut profiles = Vec::new();
    if !args.exports.is_empty() {
        let loaded = crate::load::load_exports(&args.exports, &LoadSettings::default(), printer)?;
        profiles.extend(crate::load::profiles_from_frame(&loaded.frame)?);
    }
    if let Some(path) = &args.profiles {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let more: Vec<Profile> = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a JSON array of profiles (the format of GET /_sandbox/profiles)",
                path.display()
            )
        })?;
        profiles.extend(more);
    }
    Ok(profiles)
}

pub fn run(args: SandboxArgs, printer: &Printer) -> Result<ExitStatus> {
    check_rate("--fail-rate", args.fail_rate)?;
    check_rate("--drop-rate", args.drop_rate)?;
    let resume = args.state.as_ref().filter(|path| path.exists());
    if args.exports.is_empty() && args.profiles.is_none() && resume.is_none() {
        bail!(
            "nothing to serve: give --load EXPORT... or --profiles FILE (or an existing --state FILE)"
        );
    }
    let auth = AuthConfig {
        token: from_env(TOKEN_ENV),
        department_id: args
            .department_id
            .clone()
            .or_else(|| from_env(DEPARTMENT_ID_ENV)),
        department_key: from_env(DEPARTMENT_KEY_ENV),
        pin: from_env(PIN_ENV),
    };
    if auth.token.is_none() && (auth.department_key.is_none() || auth.pin.is_none()) {
        bail!(
            "the sandbox needs credentials to check: set {TOKEN_ENV}, or {DEPARTMENT_KEY_ENV} and {PIN_ENV} for the login flow"
        );
    }
    let rules = MergeRules {
        register_date: args.register_date,
        points: args.points,
        attributes: args.attributes,
    };
    let (store, persistence) = match (&args.state, resume) {
        (_, Some(path)) => {
            let (file, replayed) = StateFile::open(path)?;
            if !args.exports.is_empty() || args.profiles.is_some() {
                printer.info(format!(
                    "resuming from {}; --load and --profiles are not read",
                    path.display()
                ));
            }
            let mut store = Store::new(replayed.profiles.clone(), rules)?;
            store.reserve_user_ids_through(replayed.max_user_id);
            (store, Some((file, Some(replayed))))
        }
        (Some(path), None) => {
            let profiles = read_profiles(&args, printer)?;
            let store = Store::new(profiles.clone(), rules)?;
            (store, Some((StateFile::create(path, &profiles)?, None)))
        }
        (None, None) => (Store::new(read_profiles(&args, printer)?, rules)?, None),
    };
    if store.shared_identifiers() > 0 {
        printer.warn(format!(
            "{} loaded profiles repeat a phone, email or origin_user_id of an earlier one; lookups by such a value find the first",
            store.shared_identifiers()
        ));
    }
    let faults = FaultConfig {
        fail_rate: args.fail_rate,
        drop_rate: args.drop_rate,
        rate_limit: args.rate_limit,
        seed: args.seed,
        latency: Duration::from_millis(args.latency_ms),
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {} (--listen)", args.listen))?;
        let address = listener.local_addr()?;
        // Stdout carries the address alone, so scripts and tests can read it.
        let mut stdout = std::io::stdout();
        writeln!(stdout, "http://{address}")?;
        stdout.flush()?;
        printer.info(format!(
            "sandbox: {} profiles on http://{address} (fail rate {}, drop rate {}, rate limit {}, latency {} ms{}); Ctrl-C stops it",
            store.len(),
            faults.fail_rate,
            faults.drop_rate,
            faults.rate_limit.map_or("none".to_string(), |n| format!("{n}/s")),
            args.latency_ms,
            args.state
                .as_ref()
                .map_or(String::new(), |path| format!(", state in {}", path.display())),
        ));
        crate::sandbox::serve(listener, store, auth, faults, persistence, shutdown_signal())
            .await
            .context("the sandbox server failed")
    })?;
    Ok(ExitStatus::Success)
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate =
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = interrupt.await;
                return;
            }
        };
    tokio::select! {
        _ = interrupt => {}
        _ = terminate.recv() => {}
    }
}
