//! The one rate limiter every request of a run goes through, shared by all
//! workers. It spaces requests evenly at the current rate (never above
//! `--rate-limit`) and adapts to the server:
//!
//! - a 429 holds every request until its Retry-After has passed, cuts the
//!   rate to 80 %, and lowers a ceiling to 95 % of the rate at which the
//!   429 came (at most once per second, as a burst of 429s is one event);
//! - without 429s the rate climbs back to the ceiling at 5 % of the limit
//!   per second, and the ceiling itself back to the limit at 1 % per 10 s.
//!
//! So a server whose real limit is below the configured one is found in a
//! few 429s, and one at exactly the configured limit (a fixed one-second
//! window, where the jitter of the network makes an evenly spaced client
//! overflow now and then) settles a little under it instead of hitting it
//! every few seconds.
//!
//! Why not `governor`: its quota is fixed when the limiter is built, and it
//! has no notion of holding everyone for a Retry-After; adapting would mean
//! rebuilding limiters and losing their state, more code than this.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The lowest rate the limiter falls to: one request per 10 s.
const MIN_RATE: f64 = 0.1;

#[derive(Debug)]
pub struct RateLimiter {
    state: Mutex<LimiterState>,
}

#[derive(Debug, Clone)]
pub struct LimiterState {
    limit: f64,
    rate: f64,
    ceiling: f64,
    next: Option<Instant>,
    hold_until: Option<Instant>,
    last_cut: Option<Instant>,
    last_update: Option<Instant>,
}

impl LimiterState {
    pub fn new(limit: f64) -> LimiterState {
        LimiterState {
            limit,
            rate: limit,
            ceiling: limit,
            next: None,
            hold_until: None,
            last_cut: None,
            last_update: None,
        }
    }

    /// The current rate, requests per second.
    #[cfg(test)]
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Lets the rate and the ceiling grow back for the time since the
    /// last call.
    fn recover(&mut self, now: Instant) {
        if let Some(last) = self.last_update {
            let seconds = now.saturating_duration_since(last).as_secs_f64();
            self.ceiling = (self.ceiling + self.limit * 0.001 * seconds).min(self.limit);
            self.rate = (self.rate + self.limit * 0.05 * seconds).min(self.ceiling);
        }
        self.last_update = Some(now);
    }

    /// How long a request at `now` waits for its slot; books the slot.
    pub fn reserve(&mut self, now: Instant) -> Duration {
        self.recover(now);
        let mut slot = self.next.map_or(now, |next| next.max(now));
        if let Some(hold) = self.hold_until {
            slot = slot.max(hold);
        }
        self.next = Some(slot + Duration::from_secs_f64(1.0 / self.rate));
        slot - now
    }

    /// A 429 answered at `now`, asking for `retry_after`.
    pub fn throttled(&mut self, now: Instant, retry_after: Option<Duration>) {
        self.recover(now);
        if let Some(pause) = retry_after {
            let until = now + pause;
            self.hold_until = Some(self.hold_until.map_or(until, |hold| hold.max(until)));
        }
        let cut_recently = self
            .last_cut
            .is_some_and(|cut| now.saturating_duration_since(cut) < Duration::from_secs(1));
        if !cut_recently {
            self.ceiling = (self.rate * 0.95).max(MIN_RATE.min(self.limit));
            self.rate = (self.rate * 0.8).max(MIN_RATE.min(self.limit));
            self.last_cut = Some(now);
        }
    }
}

impl RateLimiter {
    /// At most `per_second` requests per second (positive and finite: the
    /// command line checks it).
    pub fn new(per_second: f64) -> RateLimiter {
        RateLimiter {
            state: Mutex::new(LimiterState::new(per_second)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LimiterState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Blocks until this request's slot.
    pub fn wait(&self) {
        let pause = self.lock().reserve(Instant::now());
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    }

    pub fn throttled(&self, retry_after: Option<Duration>) {
        self.lock().throttled(Instant::now(), retry_after);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_spaced_evenly_and_a_quiet_spell_carries_no_debt() {
        let mut limiter = LimiterState::new(50.0);
        let start = Instant::now();
        assert_eq!(limiter.reserve(start), Duration::ZERO);
        assert_eq!(limiter.reserve(start), Duration::from_millis(20));
        assert_eq!(limiter.reserve(start), Duration::from_millis(40));
        let later = start + Duration::from_secs(5);
        assert_eq!(limiter.reserve(later), Duration::ZERO);
    }

    #[test]
    fn a_429_holds_everyone_for_retry_after_and_cuts_the_rate_once_per_second() {
        let mut limiter = LimiterState::new(50.0);
        let start = Instant::now();
        limiter.reserve(start);
        limiter.throttled(start, Some(Duration::from_secs(1)));
        assert!((limiter.rate() - 40.0).abs() < 1e-9);
        // The rest of the burst of 429s from the same window: no more cuts.
        limiter.throttled(
            start + Duration::from_millis(10),
            Some(Duration::from_secs(1)),
        );
        assert!((limiter.rate() - 40.0).abs() < 1.0);
        let wait = limiter.reserve(start + Duration::from_millis(20));
        assert!(wait >= Duration::from_millis(990), "{wait:?}");
    }

    #[test]
    fn the_rate_climbs_back_to_a_ceiling_below_the_rate_that_was_refused() {
        let mut limiter = LimiterState::new(50.0);
        let start = Instant::now();
        limiter.reserve(start);
        limiter.throttled(start, None);
        let mut now = start;
        for _ in 0..100 {
            now += Duration::from_millis(100);
            limiter.reserve(now);
        }
        // 10 s later: back at the ceiling (95 % of 50, plus its slow
        // recovery), not at the limit that was refused.
        assert!(
            limiter.rate() > 47.0 && limiter.rate() < 48.5,
            "{}",
            limiter.rate()
        );
        for _ in 0..6000 {
            now += Duration::from_millis(100);
            limiter.reserve(now);
        }
        assert!((limiter.rate() - 50.0).abs() < 1e-9, "{}", limiter.rate());
    }

    #[test]
    fn a_server_with_a_lower_limit_drives_the_rate_down_to_it() {
        let mut limiter = LimiterState::new(50.0);
        let start = Instant::now();
        let mut now = start;
        // A server that allows 20/s answers 429 whenever we go faster.
        for _ in 0..600 {
            now += Duration::from_millis(50);
            limiter.reserve(now);
            if limiter.rate() > 20.0 {
                limiter.throttled(now, None);
            }
        }
        assert!(
            limiter.rate() <= 20.0 && limiter.rate() > 12.0,
            "{}",
            limiter.rate()
        );
    }
}
