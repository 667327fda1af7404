//! Seat lists answered from memory while they are current.
//!
//! A pool's seat list (the seat widget, the portal and the merchant's own app poll it) is read far
//! more often than it changes, and building one means reading every seat and member of the pool
//! and rendering tens of kilobytes of JSON. So a rendered list is kept with the [`PoolStamp`] it
//! was built under. A later request reads the pool's current stamp and answers the kept JSON when
//! the stamps agree.
//!
//! Both the merchant API and the portal read the stamp in the same query that checks their token,
//! so a list answered from memory costs one indexed read; identical reads that overlap share one
//! query that started after all of them arrived (see `shared_reads`).
//!
//! Database triggers move the stamp on every change a list shows (a seat inserted or updated, the
//! customer or one of its members updated; the pool's size is part of the stamp), whichever
//! process made the change, so every request sees changes committed before its own read of the
//! stamp, as without a cache. The stamp is read before the list is built, so a list kept under a
//! stamp is never older than that stamp.

use std::{
    collections::HashMap,
    io::Write,
    sync::{Arc, Mutex, OnceLock, PoisonError},
};

use axum::body::Bytes;

use crate::{
    model::{
        OrganizationId, PageRequest,
        seat::{SeatPool, SeatStatus},
    },
    server::{
        store::{AccessTokenRecord, PoolStamp, SessionRecord, StoreError},
        token::TokenHash,
    },
};

use super::{
    OrganizationCaller, PortalCaller, SeatCaller, ServiceError, Services,
    auth::{access_token_hash, session_token_hash},
    seats::pool_not_found,
    shared_reads::SharedReads,
};

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

/// A rendered `SeatsList`: its JSON, and the same JSON gzip-compressed, made once on first demand
/// (browsers ask for it; compressing ~76 KB on every request would cost more than the rest).
#[derive(Debug)]
pub struct RenderedList {
    json: Bytes,
    gzip: OnceLock<Bytes>,
}

impl RenderedList {
    fn new(json: Bytes) -> Self {
        Self {
            json,
            gzip: OnceLock::new(),
        }
    }

    /// The list's JSON.
    pub fn json(&self) -> Bytes {
        self.json.clone()
    }

    /// The list's JSON, gzip-compressed (`Content-Encoding: gzip`).
    pub fn gzip(&self) -> Bytes {
        self.gzip
            .get_or_init(|| {
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                // Writing to memory cannot fail.
                let _ = encoder.write_all(&self.json);
                Bytes::from(encoder.finish().unwrap_or_default())
            })
            .clone()
    }
}

struct Kept {
    stamp: PoolStamp,
    list: Arc<RenderedList>,
    /// When it was stored, in store operations: the smallest goes first when over budget.
    stored: u64,
}

#[derive(Default)]
struct Lists {
    kept: HashMap<ListKey, Kept>,
    bytes: usize,
    stores: u64,
}

/// An access token, and the stamp of a pool when the token's organization has it.
type TokenStamp = Option<(AccessTokenRecord, Option<PoolStamp>)>;
/// A live session, and the stamp of a pool when the session's organization has it.
type SessionStamp = Option<(SessionRecord, Option<PoolStamp>)>;

/// The rendered seat lists of this process, and the reads of their stamps under way. Shared by
/// every clone of [`Services`].
#[derive(Default)]
pub struct SeatListCache {
    lists: Mutex<Lists>,
    token_stamps: SharedReads<(TokenHash, SeatPool), TokenStamp>,
    session_stamps: SharedReads<(TokenHash, SeatPool), SessionStamp>,
}

impl SeatListCache {
    /// The kept list of `key`, if it was built under `stamp`.
    fn get(&self, key: &ListKey, stamp: &PoolStamp) -> Option<Arc<RenderedList>> {
        let lists = self.lists.lock().unwrap_or_else(PoisonError::into_inner);
        lists
            .kept
            .get(key)
            .filter(|kept| kept.stamp == *stamp)
            .map(|kept| kept.list.clone())
    }

    /// Keeps `list` as the list of `key` under `stamp`, evicting the oldest lists beyond the budget
    /// (counted in JSON bytes; a gzip copy adds about a tenth).
    fn put(&self, key: ListKey, stamp: PoolStamp, list: Arc<RenderedList>) {
        if list.json.len() > LARGEST_KEPT {
            return;
        }
        let mut lists = self.lists.lock().unwrap_or_else(PoisonError::into_inner);
        lists.stores += 1;
        let stored = lists.stores;
        lists.bytes += list.json.len();
        if let Some(old) = lists.kept.insert(
            key,
            Kept {
                stamp,
                list,
                stored,
            },
        ) {
            lists.bytes -= old.list.json.len();
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
                lists.bytes -= gone.list.json.len();
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
    /// The merchant API's seat list of a pool, as the JSON of a `SeatsList`: the access token and
    /// the pool's stamp are read together, then the kept list answers or a fresh one is built.
    pub async fn seat_list_json_for_token(
        &self,
        token: &str,
        pool: SeatPool,
        status: Option<SeatStatus>,
        page: PageRequest,
    ) -> Result<Arc<RenderedList>, ServiceError> {
        let hash = access_token_hash(token)?;
        let found = self
            .seat_lists
            .token_stamps
            .read((hash.clone(), pool), || {
                self.store()
                    .access_token_with_pool_stamp(&hash, self.now(), pool)
            })
            .await?;
        let (record, stamp) = found.map_or((None, None), |(record, stamp)| (Some(record), stamp));
        let caller = SeatCaller::Organization(OrganizationCaller::of_live_token(record)?);
        self.stamped_seat_list_json(&caller, pool, status, page, stamp)
            .await
    }

    /// The portal's seat list of a pool, as the JSON of a `SeatsList`: the session and the pool's
    /// stamp are read together, then the kept list answers or a fresh one is built.
    pub async fn seat_list_json_for_session(
        &self,
        token: &str,
        pool: SeatPool,
        status: Option<SeatStatus>,
        page: PageRequest,
    ) -> Result<Arc<RenderedList>, ServiceError> {
        let hash = session_token_hash(token)?;
        let found = self
            .seat_lists
            .session_stamps
            .read((hash.clone(), pool), || {
                self.store()
                    .live_session_with_pool_stamp(&hash, self.now(), pool)
            })
            .await?;
        let (session, stamp) =
            found.map_or((None, None), |(session, stamp)| (Some(session), stamp));
        let caller = SeatCaller::Portal(PortalCaller::of_live_session(session)?);
        self.stamped_seat_list_json(&caller, pool, status, page, stamp)
            .await
    }

    async fn stamped_seat_list_json(
        &self,
        caller: &SeatCaller,
        pool: SeatPool,
        status: Option<SeatStatus>,
        page: PageRequest,
        stamp: Option<PoolStamp>,
    ) -> Result<Arc<RenderedList>, ServiceError> {
        caller.require_read()?;
        let stamp = stamp
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
        let list = self.list_seats(caller, pool, status, page).await?;
        let json =
            Bytes::from(serde_json::to_vec(&list).map_err(|e| {
                ServiceError::Internal(StoreError::Corrupt(format!("seat list: {e}")))
            })?);
        let list = Arc::new(RenderedList::new(json));
        self.seat_lists.put(key, stamp, list.clone());
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CustomerId, SubscriptionId};

    fn rendered(json: Bytes) -> Arc<RenderedList> {
        Arc::new(RenderedList::new(json))
    }

    #[test]
    fn a_rendered_list_is_compressed_once_and_decompresses_to_its_json() {
        use std::io::Read;
        let json = Bytes::from(format!("[{}]", vec!["{\"seat\":1}"; 500].join(",")));
        let list = RenderedList::new(json.clone());
        let gzip = list.gzip();
        assert!(
            gzip.len() < json.len() / 10,
            "{} of {}",
            gzip.len(),
            json.len()
        );
        assert_eq!(list.gzip().as_ptr(), gzip.as_ptr(), "made once");
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&gzip[..])
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, json);
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
