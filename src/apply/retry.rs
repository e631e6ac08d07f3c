//! The one retry policy of `apply`: how many attempts a call gets, how long
//! to pause between them, and which failures are worth another attempt.
//! The executor's lookups and steps and the login of `commands/apply.rs`
//! all ask it, so that a change of policy happens in one place.
//!
//! A failed connection to a server that never answered in this run is not
//! retried: nothing listens at that address, and 8 attempts with backoff
//! would only hide a wrong `--base-url` for twenty seconds. Once Sailplay
//! has answered, a refused connection is a restart or a blip, and is
//! retried like any transient failure.

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::client::{CallError, TransportKind};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per call before giving up (the first one included).
    pub max_attempts: u32,
    /// First retry pause; doubled after each failure, up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Pause this long, then try again.
    RetryAfter(Duration),
    /// A transient failure, but the attempts are used up.
    Exhausted,
    /// Not worth another attempt (a business error, refused credentials,
    /// a server that was never reached).
    Permanent,
}

impl RetryPolicy {
    /// The exponential pause before attempt `attempt + 1`, scaled by
    /// `jitter` in [0.5, 1] and never shorter than the Retry-After the
    /// server asked for.
    pub fn pause(&self, attempt: u32, error: &CallError, jitter: f64) -> Duration {
        let exponential = self
            .base_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.max_backoff);
        let jittered = exponential.mul_f64(jitter.clamp(0.5, 1.0));
        error
            .retry_after()
            .map_or(jittered, |asked| asked.max(jittered))
    }

    /// Whether attempt `attempt` (1-based) of a call that failed with
    /// `error` gets another one. `answered_before`: Sailplay has answered
    /// at least one request of this run.
    pub fn verdict(
        &self,
        attempt: u32,
        error: &CallError,
        answered_before: bool,
        jitter: f64,
    ) -> Verdict {
        let never_reached = matches!(
            error,
            CallError::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ) && !answered_before;
        if !error.is_retryable() || never_reached {
            Verdict::Permanent
        } else if attempt >= self.max_attempts {
            Verdict::Exhausted
        } else {
            Verdict::RetryAfter(self.pause(attempt, error, jitter))
        }
    }
}

/// One worker's source of jitter: seeded, so a run's pauses can be
/// replayed, and separate per worker, so workers do not retry in step.
#[derive(Debug)]
pub struct Jitter(ChaCha8Rng);

impl Jitter {
    pub fn new(seed: u64) -> Jitter {
        Jitter(ChaCha8Rng::seed_from_u64(seed))
    }

    /// A factor in [0.5, 1].
    pub fn draw(&mut self) -> f64 {
        self.0.random_range(0.5..=1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, retry_after: Option<u64>) -> CallError {
        CallError::Status {
            status,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    fn refused() -> CallError {
        CallError::Transport {
            kind: TransportKind::Connect,
            message: "connection refused".into(),
        }
    }

    #[test]
    fn pauses_double_up_to_the_cap_and_honour_retry_after() {
        let policy = RetryPolicy::default();
        let error = status(503, None);
        assert_eq!(policy.pause(1, &error, 1.0), Duration::from_millis(200));
        assert_eq!(policy.pause(2, &error, 1.0), Duration::from_millis(400));
        assert_eq!(policy.pause(3, &error, 0.5), Duration::from_millis(400));
        assert_eq!(policy.pause(30, &error, 1.0), Duration::from_secs(10));
        assert_eq!(
            policy.pause(1, &status(429, Some(3)), 1.0),
            Duration::from_secs(3)
        );
    }

    #[test]
    fn a_refused_connection_is_retried_only_once_the_server_has_answered() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.verdict(1, &refused(), false, 1.0),
            Verdict::Permanent
        );
        assert_eq!(
            policy.verdict(1, &refused(), true, 1.0),
            Verdict::RetryAfter(Duration::from_millis(200))
        );
        assert_eq!(policy.verdict(8, &refused(), true, 1.0), Verdict::Exhausted);
        let business = CallError::Business {
            code: -5102,
            message: String::new(),
        };
        assert_eq!(policy.verdict(1, &business, true, 1.0), Verdict::Permanent);
        // A lost connection may have been a request that got through: it
        // is retried (and settled) even before any answer was seen.
        let lost = CallError::Transport {
            kind: TransportKind::ConnectionLost,
            message: String::new(),
        };
        assert!(matches!(
            policy.verdict(1, &lost, false, 1.0),
            Verdict::RetryAfter(_)
        ));
    }

    #[test]
    fn jitter_is_in_range_and_replayable() {
        let mut first = Jitter::new(7);
        let mut second = Jitter::new(7);
        for _ in 0..100 {
            let value = first.draw();
            assert!((0.5..=1.0).contains(&value));
            assert_eq!(value, second.draw());
        }
    }
}
