//! All human output goes through one `Printer`: messages to stderr unless
//! `--quiet`, progress bars only when stderr is a terminal (never in pipes
//! or CI) and not switched off. Stdout is left for data.
//!
//! Invariants: printing never fails the run and never panics. A stderr
//! that is closed or a broken pipe (`plan … 2>&1 | head -1`) only silences
//! the messages; the run goes on and writes its outputs. Values from an
//! export reach the terminal escaped: control characters (an ESC starting
//! a terminal escape sequence, a carriage return that overwrites the line)
//! and the bidirectional-text controls that reorder what is shown
//! (U+202A–U+202E, U+2066–U+2069) are printed as `\u{…}` escapes, so that a
//! name cannot recolour, rewrite or reverse the lines around it.

use std::borrow::Cow;
use std::fmt;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    quiet: bool,
    /// Nothing at all, not even warnings and errors: library callers.
    silent: bool,
    progress: bool,
}

impl Printer {
    pub fn new(quiet: bool, no_progress: bool) -> Printer {
        let progress = !quiet
            && !no_progress
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none();
        Printer {
            quiet,
            silent: false,
            progress,
        }
    }

    /// A printer that says nothing; for library callers and tests.
    pub fn silent() -> Printer {
        Printer {
            quiet: true,
            silent: true,
            progress: false,
        }
    }

    /// The same printer with no progress bars: for work that runs beside a
    /// stage whose bar is already drawn.
    pub fn without_bars(&self) -> Printer {
        Printer {
            progress: false,
            ..*self
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
            write_line("", message.as_ref());
        }
    }

    /// A warning; shown even with `--quiet`.
    pub fn warn(&self, message: impl AsRef<str>) {
        if !self.silent {
            write_line("warning: ", message.as_ref());
        }
    }

    /// The error that ends a run, and the errors that caused it; shown even
    /// with `--quiet`.
    pub fn error(&self, error: &anyhow::Error) {
        if self.silent {
            return;
        }
        write_line("error: ", &error.to_string());
        for cause in error.chain().skip(1) {
            write_line("  caused by: ", &cause.to_string());
        }
    }

    /// A bar counting `len` units of a stage; hidden unless on a terminal.
    pub fn bar(&self, stage: &str, len: u64, unit: Unit) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        bar.set_style(bar_style(unit));
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

/// What a progress bar counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Bytes read: `12.5 MiB/96.0 MiB 48.2 MiB/s`.
    Bytes,
    /// Things, named in the plural: `1,200,000/4,543,493 pairs 3.1M pairs/s`.
    Items(&'static str),
}

/// The look of a bar: position and length with their unit, the rate in
/// words a person reads at a glance (`3.1M pairs/s`, not
/// `3,101,562.0761/s`), and the time left.
fn bar_style(unit: Unit) -> ProgressStyle {
    let counts = match unit {
        Unit::Bytes => "{binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec}".to_string(),
        Unit::Items(name) => format!("{{human_pos}}/{{human_len}} {name} {{rate}}"),
    };
    ProgressStyle::with_template(&format!("{{prefix:>10}} [{{bar:30}}] {counts} eta {{eta}}"))
        .expect("the template is built from fixed parts")
        .with_key(
            "rate",
            move |state: &ProgressState, out: &mut dyn fmt::Write| {
                if let Unit::Items(name) = unit {
                    let _ = write!(out, "{}", human_rate(state.per_sec(), name));
                }
            },
        )
        .progress_chars("=> ")
}

/// `per_second` things called `unit` a second, with three significant
/// figures at most and a k/M/G suffix: `8.5 clusters/s`, `412 clusters/s`,
/// `59.9M pairs/s`.
pub fn human_rate(per_second: f64, unit: &str) -> String {
    if !per_second.is_finite() || per_second < 0.0 {
        return format!("? {unit}/s");
    }
    let (value, suffix) = [(1e9, "G"), (1e6, "M"), (1e3, "k")]
        .into_iter()
        .find(|(scale, _)| per_second >= *scale)
        .map_or((per_second, ""), |(scale, suffix)| {
            (per_second / scale, suffix)
        });
    let number = if value < 10.0 {
        format!("{value:.1}")
    } else if suffix.is_empty() || value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    };
    format!("{number}{suffix} {unit}/s")
}

/// One line to stderr, escaped; a failed write (closed stderr, broken pipe)
/// is ignored: messages are for people, and there is no one to tell.
fn write_line(prefix: &str, message: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{prefix}{}", escape_for_terminal(message));
}

/// Whether `c` changes how a terminal shows the text around it: C0 and C1
/// control characters (but the line feed and tab that lay a message out),
/// DEL, and the bidirectional embeddings, overrides and isolates.
pub fn is_unsafe_for_display(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every character [`is_unsafe_for_display`] written as a
/// `\u{…}` escape; borrowed when there is none (nearly always).
pub fn escape_for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_for_display) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe_for_display(c) {
            escaped.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_and_bidi_controls_are_escaped() {
        assert_eq!(
            escape_for_terminal("Анна\u{1b}[2J\u{202e}анна\r"),
            "Анна\\u{1b}[2J\\u{202e}анна\\u{d}"
        );
        assert_eq!(
            escape_for_terminal("a\u{2066}b\u{2069}\u{9b}"),
            "a\\u{2066}b\\u{2069}\\u{9b}"
        );
    }

    #[test]
    fn rates_read_at_a_glance() {
        assert_eq!(human_rate(59_967_690.076_1, "pairs"), "60.0M pairs/s");
        assert_eq!(human_rate(3_101_562.0, "pairs"), "3.1M pairs/s");
        assert_eq!(human_rate(412.4, "clusters"), "412 clusters/s");
        assert_eq!(human_rate(8.46, "clusters"), "8.5 clusters/s");
        assert_eq!(human_rate(0.0, "clusters"), "0.0 clusters/s");
        assert_eq!(human_rate(12_345.0, "profiles"), "12.3k profiles/s");
        assert_eq!(human_rate(512_300.0, "profiles"), "512k profiles/s");
        assert_eq!(human_rate(2.5e9, "pairs"), "2.5G pairs/s");
        assert_eq!(human_rate(f64::INFINITY, "passes"), "? passes/s");
        assert_eq!(human_rate(f64::NAN, "passes"), "? passes/s");
    }

    #[test]
    fn every_unit_makes_a_valid_bar_style() {
        for unit in [Unit::Bytes, Unit::Items("pairs")] {
            let bar = ProgressBar::hidden();
            bar.set_style(bar_style(unit));
        }
    }

    #[test]
    fn ordinary_text_line_feeds_and_tabs_are_kept() {
        let text = "invalid settings:\n  a\tb «ё» №5 — 😀";
        assert!(matches!(escape_for_terminal(text), Cow::Borrowed(_)));
    }
}
