//! Validations of license keys, counted in this process and written in batches. A validation is
//! the call a merchant's app makes on every start; writing its count (`validations`,
//! `last_validated_at`) on the key's row in every request would make each one a write. Instead
//! a validation without `increment_usage` is checked with a read and counted here, and the
//! counts are added to the rows about every second (`seatkeeper serve` runs the flush, and once
//! more when it stops). Every answer of this process counts what it has not written yet, so a
//! key reads the same before and after a flush. With several processes each adds its own counts
//! (sums stay exact); a killed process loses at most its last second of counts, never a usage or
//! an activation (those are written in their request, under their limits).

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
};

use chrono::{DateTime, Utc};

use crate::model::LicenseKeyId;

/// Validations of one key not written yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingValidations {
    pub count: u32,
    pub last_at: DateTime<Utc>,
}

impl PendingValidations {
    fn merge(&mut self, other: Self) {
        self.count = self.count.saturating_add(other.count);
        self.last_at = self.last_at.max(other.last_at);
    }
}

#[derive(Default)]
struct Counts {
    /// Counted, not yet taken by a flush.
    pending: HashMap<LicenseKeyId, PendingValidations>,
    /// Taken by the flush under way, not yet committed.
    in_flight: HashMap<LicenseKeyId, PendingValidations>,
}

#[derive(Default)]
pub struct ValidationCounts {
    counts: Mutex<Counts>,
    /// One flush at a time.
    flushing: tokio::sync::Mutex<()>,
}

impl ValidationCounts {
    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one validation of `key` at `at`.
    pub fn add(&self, key: LicenseKeyId, at: DateTime<Utc>) {
        let one = PendingValidations {
            count: 1,
            last_at: at,
        };
        self.counts()
            .pending
            .entry(key)
            .and_modify(|p| p.merge(one))
            .or_insert(one);
    }

    /// What this process counted for `key` and has not committed yet.
    pub fn of(&self, key: LicenseKeyId) -> Option<PendingValidations> {
        let counts = self.counts();
        match (counts.pending.get(&key), counts.in_flight.get(&key)) {
            (Some(a), Some(b)) => {
                let mut sum = *a;
                sum.merge(*b);
                Some(sum)
            }
            (a, b) => a.or(b).copied(),
        }
    }

    /// The flush lock: held while one batch is taken, written and settled.
    pub async fn flushing(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.flushing.lock().await
    }

    /// Takes every pending count for a flush (they stay visible until settled).
    pub fn take(&self) -> Vec<(LicenseKeyId, PendingValidations)> {
        let mut counts = self.counts();
        let taken: Vec<_> = counts.pending.drain().collect();
        counts.in_flight.extend(taken.iter().copied());
        taken
    }

    /// The taken counts are written (`true`) or not (`false`: they are counted again, for the
    /// next flush).
    pub fn settle(&self, written: bool) {
        let mut counts = self.counts();
        let in_flight: Vec<_> = counts.in_flight.drain().collect();
        if !written {
            for (key, taken) in in_flight {
                counts
                    .pending
                    .entry(key)
                    .and_modify(|p| p.merge(taken))
                    .or_insert(taken);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn counts_stay_visible_while_a_flush_writes_them_and_come_back_if_it_fails() {
        let counts = ValidationCounts::default();
        let key = LicenseKeyId::new();
        let t0 = Utc::now();
        counts.add(key, t0);
        counts.add(key, t0 + TimeDelta::seconds(1));
        assert_eq!(counts.of(key).map(|p| p.count), Some(2));
        let taken = counts.take();
        assert_eq!(taken.len(), 1);
        counts.add(key, t0 + TimeDelta::seconds(2));
        let seen = counts.of(key).unwrap();
        assert_eq!((seen.count, seen.last_at), (3, t0 + TimeDelta::seconds(2)));
        counts.settle(false);
        assert_eq!(
            counts.of(key).map(|p| p.count),
            Some(3),
            "a failed write is kept"
        );
        assert_eq!(counts.take()[0].1.count, 3);
        counts.settle(true);
        assert_eq!(counts.of(key), None);
        assert!(counts.take().is_empty());
    }
}
