//! All human output goes through one `Printer`: messages to stderr unless
//! `--quiet`, progress bars only when stderr is a terminal (never in pipes
//! or CI) and not switched off. Stdout is left for data.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    quiet: bool,
    progress: bool,
}

impl Printer {
    pub fn new(quiet: bool, no_progress: bool) -> Printer {
        let progress = !quiet
            && !no_progress
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none();
        Printer { quiet, progress }
    }

    /// A printer that says nothing; for library callers and tests.
    pub fn silent() -> Printer {
        Printer {
            quiet: true,
            progress: false,
        }
    }

    /// Whether progress bars are drawn (stderr is a terminal, not CI, not
    /// switched off).
    pub fn draws_bars(&self) -> bool {
        self.progress
    }

    /// `--quiet`: nothing but warnings and errors.
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// A line for the person at the terminal (stderr).
    pub fn info(&self, message: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", message.as_ref());
        }
    }

    /// A warning; shown even with `--quiet`.
    pub fn warn(&self, message: impl AsRef<str>) {
        eprintln!("warning: {}", message.as_ref());
    }

    /// A bar counting `len` items of a stage; hidden unless on a terminal.
    pub fn bar(&self, stage: &str, len: u64) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>10} [{bar:30}] {human_pos}/{human_len} {per_sec} eta {eta}",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        bar.set_prefix(stage.to_string());
        bar
    }

    /// A spinner for a stage of unknown length; hidden unless on a terminal.
    pub fn spinner(&self, stage: &str) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        spinner.set_style(
            ProgressStyle::with_template("{prefix:>10} {spinner} {msg} {elapsed}")
                .expect("static template"),
        );
        spinner.set_prefix(stage.to_string());
        spinner.enable_steady_tick(Duration::from_millis(120));
        spinner
    }
}
