//! How often one license key may be used by anyone holding it (the public validate, activate,
//! deactivate and certificate calls): a leaked key hammered from many addresses is slowed down
//! here, where the per-address limit of the HTTP layer cannot see it. Governor's keyed limiter
//! (a kept crate), in this process's memory, keyed by the key's id, so only keys that exist take
//! room (calls with made-up keys are bounded by the per-address limit). With several processes,
//! each keeps its own count.

use std::{
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

use crate::model::LicenseKeyId;

use super::ServiceError;

/// Every this many checks, keys whose budget is full again are forgotten.
const PRUNE_EVERY: u64 = 4096;

pub struct LicenseKeyLimits {
    per_key: Option<DefaultKeyedRateLimiter<LicenseKeyId>>,
    checks: AtomicU64,
}

impl Default for LicenseKeyLimits {
    /// No limit (tests, and `--rate-limit 0`).
    fn default() -> Self {
        Self::new(0)
    }
}

impl LicenseKeyLimits {
    /// `per_minute` calls per key on average, in bursts of a quarter of it (at least 10); 0: no
    /// limit.
    pub fn new(per_minute: u32) -> Self {
        let per_key = NonZeroU32::new(per_minute).map(|rate| {
            let burst = NonZeroU32::new((per_minute / 4).max(10)).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst))
        });
        Self {
            per_key,
            checks: AtomicU64::new(0),
        }
    }

    /// Counts a call with `key`, or says how long to wait.
    pub fn check(&self, key: LicenseKeyId) -> Result<(), ServiceError> {
        let Some(limiter) = &self.per_key else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            limiter.retain_recent();
        }
        limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            ServiceError::RateLimited {
                retry_after_secs,
                detail: format!(
                    "this license key was used too often just now; try again in \
                     {retry_after_secs} seconds"
                ),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_is_slowed_after_its_burst_while_another_is_free() {
        let limits = LicenseKeyLimits::new(40);
        let key = LicenseKeyId::new();
        let passed = (0..20).filter(|_| limits.check(key).is_ok()).count();
        assert_eq!(passed, 10, "bursts of a quarter of the rate, at least 10");
        let ServiceError::RateLimited {
            retry_after_secs, ..
        } = limits.check(key).unwrap_err()
        else {
            panic!("expected a rate limit");
        };
        assert!(retry_after_secs >= 1);
        assert!(limits.check(LicenseKeyId::new()).is_ok());
    }

    #[test]
    fn no_rate_means_no_limit() {
        let limits = LicenseKeyLimits::default();
        let key = LicenseKeyId::new();
        assert!((0..1000).all(|_| limits.check(key).is_ok()));
    }
}
