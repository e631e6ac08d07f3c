//! Progress of a run: a bar on a terminal, and without one a status line
//! every few seconds (cron logs, CI), both counting only the clusters this
//! run has to do. Clusters an earlier run merged are not counted as done
//! work: a resumed run's rate and ETA are those of the work left.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;

use crate::printer::Printer;

pub struct Progress {
    bar: ProgressBar,
    total: u64,
    done: AtomicU64,
    stale: AtomicU64,
    failed: AtomicU64,
    started: Instant,
    /// Print status lines (no bar is drawn, and the printer is not quiet).
    lines: bool,
}

/// How a cluster of this run ended, for the counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    Merged,
    Stale,
    Failed,
    /// A dry run printed its calls.
    Printed,
}

impl Progress {
    /// Progress over the `total` clusters this run has to do.
    pub fn new(printer: &Printer, total: u64) -> Progress {
        Progress {
            bar: printer.bar("apply", total, crate::printer::Unit::Items("clusters")),
            total,
            done: AtomicU64::new(0),
            stale: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            started: Instant::now(),
            lines: !printer.draws_bars() && !printer.is_quiet(),
        }
    }

    /// Whether a status line should be printed every few seconds.
    pub fn wants_status_lines(&self) -> bool {
        self.lines
    }

    pub fn cluster_finished(&self, how: Finished) {
        self.done.fetch_add(1, Ordering::Relaxed);
        match how {
            Finished::Stale => {
                self.stale.fetch_add(1, Ordering::Relaxed);
            }
            Finished::Failed => {
                self.failed.fetch_add(1, Ordering::Relaxed);
            }
            Finished::Merged | Finished::Printed => {}
        }
        self.bar.inc(1);
    }

    /// Runs `print` with the bar out of the way.
    pub fn suspend(&self, print: impl FnOnce()) {
        self.bar.suspend(print);
    }

    /// The line a status tick prints, with `requests` sent so far.
    pub fn status(&self, requests: u64) -> String {
        status_line(
            self.done.load(Ordering::Relaxed),
            self.total,
            self.stale.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
            requests,
            self.started.elapsed(),
        )
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `apply: 340/1016 clusters (2 stale, 0 failed), 9.6 clusters/s,
/// 46.1 requests/s, eta 1m10s`.
pub fn status_line(
    done: u64,
    total: u64,
    stale: u64,
    failed: u64,
    requests: u64,
    elapsed: Duration,
) -> String {
    let seconds = elapsed.as_secs_f64().max(1e-3);
    let eta = if done == 0 {
        "eta unknown".to_string()
    } else {
        let left = total.saturating_sub(done) as f64 * seconds / done as f64;
        format!("eta {}", short_duration(Duration::from_secs_f64(left)))
    };
    format!(
        "apply: {done}/{total} clusters ({stale} stale, {failed} failed), {:.1} clusters/s, {:.1} requests/s, {eta}",
        done as f64 / seconds,
        requests as f64 / seconds
    )
}

/// `45s`, `3m05s`, `2h14m`.
pub fn short_duration(duration: Duration) -> String {
    let seconds = duration.as_secs_f64().round() as u64;
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m{:02}s", seconds / 60, seconds % 60),
        _ => format!("{}h{:02}m", seconds / 3600, seconds % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_line_tells_rates_and_the_time_left() {
        assert_eq!(
            status_line(100, 1000, 2, 1, 480, Duration::from_secs(10)),
            "apply: 100/1000 clusters (2 stale, 1 failed), 10.0 clusters/s, 48.0 requests/s, eta 1m30s"
        );
        assert_eq!(
            status_line(0, 1000, 0, 0, 3, Duration::from_secs(1)),
            "apply: 0/1000 clusters (0 stale, 0 failed), 0.0 clusters/s, 3.0 requests/s, eta unknown"
        );
    }

    #[test]
    fn a_resumed_run_counts_only_its_own_work() {
        // 900 of 1000 clusters were merged by an earlier run: this run has
        // 100 to do, and after 10 of them in 2 s has 18 s left, not 0.
        let line = status_line(10, 100, 0, 0, 50, Duration::from_secs(2));
        assert!(line.ends_with("eta 18s"), "{line}");
    }

    #[test]
    fn durations_are_short() {
        assert_eq!(short_duration(Duration::from_secs(45)), "45s");
        assert_eq!(short_duration(Duration::from_secs(185)), "3m05s");
        assert_eq!(short_duration(Duration::from_secs(8040)), "2h14m");
    }
}
