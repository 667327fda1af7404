//! Where "now" comes from. Services never call `Utc::now()` themselves: they ask the injected
//! [`Clock`], so tests and `seatkeeper serve --test-clock` can move time forward (invitation expiry,
//! renewals) the way Stripe's test clocks do.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Wall-clock time shifted by an offset that only grows. Cheap to clone; clones share the offset.
#[derive(Clone, Debug, Default)]
pub struct TestClock {
    offset: Arc<Mutex<TimeDelta>>,
}

impl TestClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves time forward by `by`. Negative durations are ignored: time never goes back.
    pub fn advance(&self, by: TimeDelta) -> DateTime<Utc> {
        let mut offset = self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        if by > TimeDelta::zero() {
            *offset += by;
        }
        Utc::now() + *offset
    }

    /// How far this clock runs ahead of the wall clock.
    pub fn offset(&self) -> TimeDelta {
        *self.offset.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_a_test_clock_moves_now_forward_for_every_clone() {
        let clock = TestClock::new();
        let other = clock.clone();
        let before = other.now();
        clock.advance(TimeDelta::hours(25));
        assert!(other.now() - before >= TimeDelta::hours(25));
    }

    #[test]
    fn a_test_clock_never_goes_back() {
        let clock = TestClock::new();
        clock.advance(TimeDelta::hours(-3));
        assert_eq!(clock.offset(), TimeDelta::zero());
    }
}
