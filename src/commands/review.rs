use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;

use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::review::{self, ReviewSession};

/// Serve the review report on this machine and save decisions as you click.
///
/// Reads DIR/plan.json (refusing one whose hash does not match its content),
/// serves the report at the URL it prints on stdout, and writes
/// DIR/decisions.json on every approve, reject or undo, so that closing the
/// tab loses nothing. Decisions already in DIR/decisions.json for the same
/// plan are shown; a decisions.json made on another plan is left alone and
/// the command stops. Each decision records the reviewer, its time and its
/// note. The file stays the only record: a decision made meanwhile by
/// `approve` or by another review of the same directory is never reverted
/// by a click on a page that had not seen it.
///
/// Only loopback addresses are served, and only to requests carrying the
/// random key in the printed URL: keep the URL to yourself. Ctrl-C stops
/// the server. `sailmerge apply` runs only approved clusters.
///
/// Without this command, open DIR/report.html directly: the page keeps
/// decisions in the browser and downloads the same decisions.json.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  sailmerge review out/
  sailmerge review out/ --listen 127.0.0.1:0 --reviewer \"Ирина Петрова\"
  sailmerge review out/ --listen [::1]:9000")]
pub struct ReviewArgs {
    /// Directory holding plan.json, as written by `sailmerge plan --out DIR`.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Loopback address and port to serve on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8737")]
    pub listen: SocketAddr,
    /// Name recorded as the reviewer of each decision made here
    /// [default: $USER].
    #[arg(long, value_name = "NAME")]
    pub reviewer: Option<String>,
}

pub fn run(args: ReviewArgs, printer: &Printer) -> Result<ExitStatus> {
    review::check_loopback(args.listen)?;
    let session = Arc::new(ReviewSession::open(&args.dir, args.reviewer.as_deref())?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the review server's runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen).await.with_context(|| {
            format!(
                "cannot listen on {}: is another review running? --listen 127.0.0.1:0 picks a free port",
                args.listen
            )
        })?;
        let bound = listener.local_addr().context("cannot read the bound address")?;
        let url = format!("http://{bound}/{}/", session.key());
        let decided = session.decided_clusters(&session.decisions()?);
        printer.info(format!(
            "reviewing {} clusters and {} candidates of plan {} as {}; {decided} clusters decided so far",
            session.cluster_count(),
            session.candidate_count(),
            &session.plan_hash()[..12.min(session.plan_hash().len())],
            session.reviewer(),
        ));
        printer.info(format!(
            "decisions are saved to {} as you click; Ctrl-C stops the server",
            session.decisions_path().display()
        ));
        // The URL is the command's output: scripts (and the browser test)
        // read it from stdout. It carries the session's key, so it goes to
        // stdout only, never into a log line.
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{url}")?;
        stdout.flush()?;
        drop(stdout);
        review::serve(listener, session.clone(), review::shutdown_signal()).await
    })?;
    let decisions = session.decisions()?;
    printer.info(format!(
        "stopped; {} of {} clusters decided in {}",
        session.decided_clusters(&decisions),
        session.cluster_count(),
        session.decisions_path().display()
    ));
    Ok(ExitStatus::Success)
}
