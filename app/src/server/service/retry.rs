//! The retry rule of the outboxes (emails and webhooks): one place says how often a failed send is
//! tried again and when. Both workers lease their work in the database and record an attempt only
//! while their lease holds (see `EmailStore` and `WebhookStore`); this module says what a failure
//! leads to.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;

/// After this many failed attempts a send is given up.
pub const MAX_ATTEMPTS: u32 = 10;

/// The wait before attempt `attempts + 1`: 5 s doubling per attempt, at most an hour, plus up to
/// 20 % jitter so retries of many sends do not arrive together.
pub fn backoff(attempts: u32) -> Duration {
    let base = 5u64.saturating_mul(1u64 << attempts.saturating_sub(1).min(20));
    let capped = base.min(3_600);
    let jitter = rand::rng().random_range(0..=capped / 5);
    Duration::from_secs(capped + jitter)
}

/// When to try again after the `attempts`-th attempt failed at `now`; none once the send is given
/// up.
pub fn retry_at(attempts: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (attempts < MAX_ATTEMPTS)
        .then(|| now + TimeDelta::from_std(backoff(attempts)).unwrap_or(TimeDelta::hours(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_five_seconds_and_stops_at_an_hour() {
        for (attempt, base) in [(1, 5), (2, 10), (3, 20), (4, 40)] {
            let wait = backoff(attempt).as_secs();
            assert!(
                (base..=base + base / 5).contains(&wait),
                "attempt {attempt}: {wait}"
            );
        }
        assert!((3_600..=4_320).contains(&backoff(30).as_secs()));
    }

    #[test]
    fn a_send_is_retried_until_its_tenth_attempt_fails() {
        let now = Utc::now();
        for attempts in 1..MAX_ATTEMPTS {
            let at = retry_at(attempts, now).unwrap();
            assert!(at > now, "attempt {attempts}");
        }
        assert_eq!(retry_at(MAX_ATTEMPTS, now), None);
    }
}
