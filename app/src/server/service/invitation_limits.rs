//! How often invitations may be re-sent: an invitation email lands in a real person's inbox, so a
//! billing manager (or a merchant's buggy integration) clicking "Resend" in a loop must not flood
//! it. Governor's keyed limiters (a kept crate), in this process's memory: one seat may be re-sent
//! a few times in a row, then about every ten minutes; one organization's resends are bounded as a
//! whole (`--resend-limit` per hour). With several processes, each keeps its own count.

use std::{
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

use crate::model::{OrganizationId, SeatId};

use super::ServiceError;

/// Re-sends of one seat in a row before the pace applies.
const SEAT_BURST: u32 = 3;
/// After the burst, one re-send of a seat per this long.
const SEAT_PACE: Duration = Duration::from_secs(10 * 60);
/// Re-sends per hour of one organization, by default.
pub const DEFAULT_ORGANIZATION_PER_HOUR: u32 = 300;

pub struct InvitationLimits {
    per_seat: DefaultKeyedRateLimiter<SeatId>,
    per_organization: Option<DefaultKeyedRateLimiter<OrganizationId>>,
    checks: AtomicU64,
}

/// Every this many checks, seats and organizations whose budget is full again are forgotten.
const PRUNE_EVERY: u64 = 1024;

impl Default for InvitationLimits {
    fn default() -> Self {
        Self::new(DEFAULT_ORGANIZATION_PER_HOUR)
    }
}

impl InvitationLimits {
    /// `per_hour` re-sends per organization per hour (bursts of a quarter of it); 0: no limit per
    /// organization (the per-seat limit stays).
    pub fn new(per_hour: u32) -> Self {
        let seat_quota = Quota::with_period(SEAT_PACE)
            .unwrap_or_else(|| Quota::per_hour(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(SEAT_BURST).unwrap_or(NonZeroU32::MIN));
        let per_organization = NonZeroU32::new(per_hour).map(|rate| {
            let burst = NonZeroU32::new((per_hour / 4).max(1)).unwrap_or(NonZeroU32::MIN);
            RateLimiter::keyed(Quota::per_hour(rate).allow_burst(burst))
        });
        Self {
            per_seat: RateLimiter::keyed(seat_quota),
            per_organization,
            checks: AtomicU64::new(0),
        }
    }

    /// Counts a re-send of `seat` of `organization`, or says how long to wait. The seat's own
    /// limit is checked first, so re-sends it refuses do not spend the organization's budget.
    pub fn check(&self, organization: OrganizationId, seat: SeatId) -> Result<(), ServiceError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.per_seat.retain_recent();
            if let Some(limiter) = &self.per_organization {
                limiter.retain_recent();
            }
        }
        let now = DefaultClock::default().now();
        if let Err(not_until) = self.per_seat.check_key(&seat) {
            return Err(too_many(
                not_until.wait_time_from(now),
                "this invitation was re-sent several times just now",
            ));
        }
        if let Some(limiter) = &self.per_organization
            && let Err(not_until) = limiter.check_key(&organization)
        {
            return Err(too_many(
                not_until.wait_time_from(now),
                "this organization re-sent too many invitations",
            ));
        }
        Ok(())
    }
}

fn too_many(wait: Duration, why: &str) -> ServiceError {
    let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ServiceError::RateLimited {
        retry_after_secs,
        detail: format!("{why}; try again in {retry_after_secs} seconds"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seat_may_be_re_sent_three_times_in_a_row_then_must_wait() {
        let limits = InvitationLimits::default();
        let (org, seat) = (OrganizationId::new(), SeatId::new());
        for _ in 0..SEAT_BURST {
            assert!(limits.check(org, seat).is_ok());
        }
        let ServiceError::RateLimited {
            retry_after_secs, ..
        } = limits.check(org, seat).unwrap_err()
        else {
            panic!("expected a rate limit");
        };
        assert!(
            (500..=600).contains(&retry_after_secs),
            "{retry_after_secs}"
        );
        assert!(
            limits.check(org, SeatId::new()).is_ok(),
            "another seat is free"
        );
    }

    #[test]
    fn an_organization_s_resends_are_bounded_as_a_whole() {
        let limits = InvitationLimits::new(8);
        let org = OrganizationId::new();
        let sent = (0..5)
            .filter(|_| limits.check(org, SeatId::new()).is_ok())
            .count();
        assert_eq!(sent, 2, "bursts of a quarter of the hourly rate");
        assert!(limits.check(OrganizationId::new(), SeatId::new()).is_ok());
    }
}
