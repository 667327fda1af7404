//! Seat lists answered from memory while they are current.
//!
//! A pool's seat list (the seat widget, the portal and the merchant's own app poll it) is read far
//! more often than it changes, and building one means reading every seat and member of the pool
//! and rendering tens of kilobytes of JSON. So a rendered list is kept with the [`PoolStamp`] it
//! was built under. A later request reads the pool's current stamp and answers the kept JSON when
//! the stamps agree.
//!
//! A request with a token reads the pool's stamp in the same query that checks the token
//! ([`Services::caller_on_pool`] with `PoolRead::Stamp`), so a list answered from memory costs one
//! indexed read; identical reads that overlap share one query that started after all of them
//! arrived (see `shared_reads`). Compressing a kept list for the wire is the HTTP layer's business.
//!
//! Database triggers move the stamp on every change a list shows (a seat inserted or updated, the
//! customer or one of its members updated; the pool's size is part of the stamp), whichever
//! process made the change, so every request sees changes committed before its own read of the
//! stamp, as without a cache. The stamp is read before the list is built, so a list kept under a
//! stamp is never older than that stamp.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use axum::body::Bytes;

use crate::{
    model::{
        OrganizationId, PageRequest,
        seat::{SeatPool, SeatStatus},
    },
    server::store::{PoolRead, PoolStamp, StoreError},
};

use super::{Credential, ServiceError, Services, seats::pool_not_found};

/// At most this much JSON is kept; beyond it, the least recently stored lists go first.
const BUDGET_BYTES: usize = 32 * 1024 * 1024;
/// A list larger than this is answered but not kept (it would push out too many others).
const LARGEST_KEPT: usize = BUDGET_BYTES / 8;

/// One cached answer: a page of a pool's list, as seen by one organization, with one status filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct ListKey {
    organization_id: OrganizationId,
    pool: SeatPool,
    status: Option<SeatStatus>,
    page: PageRequest,
}

/// A rendered `SeatsList`, as kept. Each rendering is its own allocation, so a caller may tell
/// two apart by the `Arc` (the HTTP layer keeps one compressed copy per rendering).
#[derive(Debug)]
pub struct SeatListJson(Bytes);

impl SeatListJson {
    /// A rendering of `json`.
    pub fn new(json: Bytes) -> Self {
        Self(json)
    }

    /// The list's JSON.
    pub fn json(&self) -> Bytes {
        self.0.clone()
    }
}

struct Kept {
    stamp: PoolStamp,
    list: Arc<SeatListJson>,
    /// When it was stored, in store operations: the smallest goes first when over budget.
    stored: u64,
}

#[derive(Default)]
struct Lists {
    kept: HashMap<ListKey, Kept>,
    bytes: usize,
    stores: u64,
}

/// The rendered seat lists of this process. Shared by every clone of [`Services`].
#[derive(Default)]
pub struct SeatListCache {
    lists: Mutex<Lists>,
}

impl SeatListCache {
    /// The kept list of `key`, if it was built under `stamp`.
    fn get(&self, key: &ListKey, stamp: &PoolStamp) -> Option<Arc<SeatListJson>> {
        let lists = self.lists.lock().unwrap_or_else(PoisonError::into_inner);
        lists
            .kept
            .get(key)
            .filter(|kept| kept.stamp == *stamp)
            .map(|kept| kept.list.clone())
    }

    /// Keeps `list` as the list of `key` under `stamp`, evicting the oldest lists beyond the budget
    /// (counted in JSON bytes).
    fn put(&self, key: ListKey, stamp: PoolStamp, list: Arc<SeatListJson>) {
        if list.0.len() > LARGEST_KEPT {
            return;
        }
        let mut lists = self.lists.lock().unwrap_or_else(PoisonError::into_inner);
        lists.stores += 1;
        let stored = lists.stores;
        lists.bytes += list.0.len();
        if let Some(old) = lists.kept.insert(
            key,
            Kept {
                stamp,
                list,
                stored,
            },
        ) {
            lists.bytes -= old.list.0.len();
        }
        while lists.bytes > BUDGET_BYTES {
            let Some(oldest) = lists
                .kept
                .iter()
                .min_by_key(|(_, kept)| kept.stored)
                .map(|(key, _)| *key)
            else {
                break;
            };
            if let Some(gone) = lists.kept.remove(&oldest) {
                lists.bytes -= gone.list.0.len();
            }
        }
    }

    /// How many lists are kept, and their bytes.
    #[cfg(test)]
    fn size(&self) -> (usize, usize) {
        let lists = self.lists.lock().unwrap_or_else(PoisonError::into_inner);
        (lists.kept.len(), lists.bytes)
    }
}

impl Services {
    /// A pool's seat list as the JSON of a `SeatsList`, for whoever presents `credential`: the
    /// caller and the pool's context (with its stamp) are read together, then the kept list
    /// answers or a fresh one is built and kept.
    pub async fn seat_list_json(
        &self,
        credential: Credential<'_>,
        pool: SeatPool,
        status: Option<SeatStatus>,
        page: PageRequest,
    ) -> Result<Arc<SeatListJson>, ServiceError> {
        let (caller, seen) = self
            .caller_on_pool(credential, pool, PoolRead::Stamp)
            .await?;
        caller.require_read()?;
        let stamp = seen
            .map(|seen| seen.stamp())
            .filter(|stamp| caller.may_see_customer(stamp.customer_id))
            .ok_or_else(|| pool_not_found(pool))?;
        let key = ListKey {
            organization_id: caller.organization_id(),
            pool,
            status,
            page,
        };
        if let Some(list) = self.seat_lists.get(&key, &stamp) {
            return Ok(list);
        }
        // Not kept: read the whole context (its stamp is at least as new as the one above), then
        // the seats, so the list kept under the context's stamp is never older than that stamp.
        let context = self
            .store()
            .pool_context(caller.organization_id(), pool)
            .await?
            .filter(|context| caller.may_see_customer(context.customer.id))
            .ok_or_else(|| pool_not_found(pool))?;
        let list = self.seat_list_of(&context, pool, status, page).await?;
        let json =
            Bytes::from(serde_json::to_vec(&list).map_err(|e| {
                ServiceError::Internal(StoreError::Corrupt(format!("seat list: {e}")))
            })?);
        let list = Arc::new(SeatListJson(json));
        self.seat_lists.put(key, context.stamp, list.clone());
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CustomerId, SubscriptionId};

    fn rendered(json: Bytes) -> Arc<SeatListJson> {
        Arc::new(SeatListJson(json))
    }

    fn key() -> ListKey {
        ListKey {
            organization_id: OrganizationId::new(),
            pool: SeatPool::Subscription(SubscriptionId::new()),
            status: None,
            page: PageRequest::default(),
        }
    }

    fn stamp(seats_version: i64) -> PoolStamp {
        PoolStamp {
            customer_id: CustomerId::new(),
            seats: 10,
            seats_version,
            view_version: 0,
        }
    }

    #[test]
    fn a_kept_list_answers_only_under_the_stamp_it_was_built_under() {
        let cache = SeatListCache::default();
        let (key, built) = (key(), stamp(3));
        cache.put(key, built, rendered(Bytes::from_static(b"{}")));
        assert_eq!(
            cache.get(&key, &built).map(|list| list.json()),
            Some(Bytes::from_static(b"{}"))
        );
        let moved = PoolStamp {
            seats_version: 4,
            ..built
        };
        assert_eq!(cache.get(&key, &moved).map(|list| list.json()), None);
        let resized = PoolStamp { seats: 11, ..built };
        assert_eq!(cache.get(&key, &resized).map(|list| list.json()), None);
        let renamed_member = PoolStamp {
            view_version: 1,
            ..built
        };
        assert!(cache.get(&key, &renamed_member).is_none());
    }

    #[test]
    fn another_filter_or_organization_is_another_list() {
        let cache = SeatListCache::default();
        let (all, built) = (key(), stamp(1));
        cache.put(all, built, rendered(Bytes::from_static(b"all")));
        let pending = ListKey {
            status: Some(SeatStatus::Pending),
            ..all
        };
        let elsewhere = ListKey {
            organization_id: OrganizationId::new(),
            ..all
        };
        assert_eq!(cache.get(&pending, &built).map(|list| list.json()), None);
        assert_eq!(cache.get(&elsewhere, &built).map(|list| list.json()), None);
    }

    #[test]
    fn storing_beyond_the_budget_evicts_the_oldest_lists_first() {
        let cache = SeatListCache::default();
        let (body, built) = (Bytes::from(vec![b' '; LARGEST_KEPT]), stamp(0));
        let keys: Vec<ListKey> = (0..9).map(|_| key()).collect();
        for key in &keys {
            cache.put(*key, built, rendered(body.clone()));
        }
        assert_eq!(cache.size(), (8, BUDGET_BYTES));
        assert!(cache.get(&keys[0], &built).is_none());
        assert!(cache.get(&keys[8], &built).is_some());
    }

    #[test]
    fn a_list_too_large_to_keep_is_not_kept() {
        let cache = SeatListCache::default();
        cache.put(
            key(),
            stamp(0),
            rendered(Bytes::from(vec![b' '; LARGEST_KEPT + 1])),
        );
        assert_eq!(cache.size(), (0, 0));
    }

    #[test]
    fn replacing_a_list_counts_its_bytes_once() {
        let cache = SeatListCache::default();
        let (key, newer) = (key(), stamp(1));
        cache.put(key, stamp(0), rendered(Bytes::from_static(b"older")));
        cache.put(key, newer, rendered(Bytes::from_static(b"new")));
        assert_eq!(cache.size(), (1, 3));
        assert_eq!(
            cache.get(&key, &newer).map(|list| list.json()),
            Some(Bytes::from_static(b"new"))
        );
    }
}
