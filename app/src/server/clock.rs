//! Where "now" comes from. Services never call `Utc::now()` themselves: they ask the injected
//! [`Clock`], so tests and `seatkeeper serve --test-clock` can hold time still and move it forward
//! (invitation expiry, renewals) the way Stripe's test clocks do.

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

/// Why a test clock refused to move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("time only moves forward: the clock reads {now}, which is after {asked}")]
pub struct BackwardsInTime {
    pub now: DateTime<Utc>,
    pub asked: DateTime<Utc>,
}

/// A frozen clock that moves only when told, and only forward. Cheap to clone; clones share the
/// time.
#[derive(Clone, Debug)]
pub struct TestClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl Default for TestClock {
    fn default() -> Self {
        Self::new()
    }
}

impl TestClock {
    /// Frozen at the wall clock's time.
    pub fn new() -> Self {
        Self::frozen_at(Utc::now())
    }

    /// Frozen at `at`.
    pub fn frozen_at(at: DateTime<Utc>) -> Self {
        Self {
            now: Arc::new(Mutex::new(at)),
        }
    }

    /// Moves time forward by `by`.
    pub fn advance_by(&self, by: TimeDelta) -> Result<DateTime<Utc>, BackwardsInTime> {
        self.advance(|now| now.checked_add_signed(by).unwrap_or(now))
    }

    /// Moves time forward to `to` (staying put when `to` is now).
    pub fn advance_to(&self, to: DateTime<Utc>) -> Result<DateTime<Utc>, BackwardsInTime> {
        self.advance(|_| to)
    }

    /// Moves time to `to(now)`, unless that is earlier; the new time.
    fn advance(
        &self,
        to: impl FnOnce(DateTime<Utc>) -> DateTime<Utc>,
    ) -> Result<DateTime<Utc>, BackwardsInTime> {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        let asked = to(*now);
        if asked < *now {
            return Err(BackwardsInTime { now: *now, asked });
        }
        *now = asked;
        Ok(asked)
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn new_year() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn a_test_clock_stands_still_until_it_is_moved_and_every_clone_sees_the_move() {
        let clock = TestClock::frozen_at(new_year());
        let other = clock.clone();
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert_eq!(other.now(), new_year());
        clock.advance_by(TimeDelta::hours(25)).unwrap();
        assert_eq!(other.now(), new_year() + TimeDelta::hours(25));
        let later = Utc.with_ymd_and_hms(2027, 2, 1, 0, 0, 0).unwrap();
        assert_eq!(other.advance_to(later), Ok(later));
        assert_eq!(clock.now(), later);
    }

    #[test]
    fn a_test_clock_never_goes_back() {
        let clock = TestClock::frozen_at(new_year());
        let earlier = new_year() - TimeDelta::seconds(1);
        assert_eq!(
            clock.advance_to(earlier),
            Err(BackwardsInTime {
                now: new_year(),
                asked: earlier
            })
        );
        assert!(clock.advance_by(TimeDelta::hours(-3)).is_err());
        assert_eq!(clock.advance_to(new_year()), Ok(new_year()));
        assert_eq!(clock.now(), new_year());
    }
}
