//! Identical reads that arrive together share one database query, and none of them sees older data
//! than it would have read alone.
//!
//! A hot seat list is polled by many clients at once with the same token, and each poll's only
//! database work is one read of the caller and the pool's context with its stamp (see
//! `seat_lists` and `auth.rs`). When such
//! reads pile up, one query can answer all of them, but only if that query *started after* each of
//! them arrived: its snapshot then holds every change committed before any of them came in, so
//! sharing it keeps a list as current as its own query would have made it. A query already running
//! when a read arrives may predate a commit the reader has seen, so the reader waits for the next
//! one instead.
//!
//! Per key, one query runs at a time. A read that arrives while none runs starts one at once. A
//! read that arrives while one runs joins the *next* round: the first such read leads it (it waits
//! for the running query to finish, lets the tasks that are ready run so the requests already
//! received can join, then starts the next), and the others wait for its answer, which reaches all
//! of them at once. So under load, every query answers all the reads that arrived while the one
//! before it ran; an idle server answers a lone read with its own query at once. Errors are not shared: when a round's query fails, or its leader
//! goes away (its client disconnected), each of its readers runs its own query.

use std::{
    collections::HashMap,
    future::Future,
    hash::Hash,
    sync::{Mutex, MutexGuard, PoisonError},
};

use tokio::sync::watch;

/// How many times the leader of a waiting round lets the runtime's other ready tasks run (which
/// includes reading requests that have arrived) before starting its query. Each yield is a few
/// microseconds when nothing else is ready; under load it gathers many reads into one query (the
/// benchmark's list: about 4 reads per query without it, tens with it).
const GATHERING_YIELDS: usize = 4;

/// One query and the readers waiting for it. Its leader holds the sending side.
#[derive(Clone)]
struct Round<V> {
    id: u64,
    answer: watch::Receiver<Option<V>>,
}

impl<V: Clone> Round<V> {
    fn new(id: u64) -> (Self, watch::Sender<Option<V>>) {
        let (sender, answer) = watch::channel(None);
        (Self { id, answer }, sender)
    }

    /// The round's answer; none when its query failed or its leader went away.
    async fn answer(mut self) -> Option<V> {
        let answer = self.answer.wait_for(Option::is_some).await;
        answer.ok().and_then(|answer| answer.clone())
    }
}

/// One key's rounds, and how many reads of it are under way.
struct Slot<V> {
    running: Option<Round<V>>,
    next: Option<Round<V>>,
    readers: usize,
}

struct State<K, V> {
    slots: HashMap<K, Slot<V>>,
    rounds: u64,
}

/// Reads by key, shared while they overlap. A key is forgotten when no read of it is under way.
pub struct SharedReads<K, V> {
    state: Mutex<State<K, V>>,
}

impl<K, V> Default for SharedReads<K, V> {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                slots: HashMap::new(),
                rounds: 0,
            }),
        }
    }
}

/// What a read does in its round.
enum Role<V> {
    /// Waits for the answer of a round that has not started yet.
    Join(Round<V>),
    /// Leads a new round: after `after` (the running round) finishes, if there is one.
    Lead {
        id: u64,
        sender: watch::Sender<Option<V>>,
        after: Option<Round<V>>,
    },
}

impl<K: Clone + Eq + Hash, V: Clone> SharedReads<K, V> {
    /// The answer of `query` for `key`, from a query that started after this call began: this
    /// call's own, or one it shares with the reads of `key` that overlap it.
    pub async fn read<E, Q, F>(&self, key: K, query: Q) -> Result<V, E>
    where
        Q: FnOnce() -> F,
        F: Future<Output = Result<V, E>>,
    {
        let mut reader = Reader {
            reads: self,
            key,
            leads: None,
        };
        match reader.enter() {
            Role::Join(round) => match round.answer().await {
                Some(answer) => Ok(answer),
                None => query().await,
            },
            Role::Lead { id, sender, after } => {
                reader.leads = Some(id);
                if let Some(running) = after {
                    // Its answer does not matter: this round's query must start after it.
                    let _ = running.answer().await;
                    // Requests the server has already received get their turn first, so those
                    // reading this key join this round rather than start one more query.
                    for _ in 0..GATHERING_YIELDS {
                        tokio::task::yield_now().await;
                    }
                    reader.start(id);
                }
                let answer = query().await;
                if let Ok(value) = &answer {
                    sender.send_replace(Some(value.clone()));
                }
                answer
            }
        }
    }

    fn state(&self) -> MutexGuard<'_, State<K, V>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many keys have a read under way.
    #[cfg(test)]
    fn keys(&self) -> usize {
        self.state().slots.len()
    }
}

/// A read under way. Dropping it (done, or cancelled midway because its client went away) ends the
/// round it leads, so its readers ask on their own, and forgets the key once nobody reads it.
struct Reader<'a, K: Clone + Eq + Hash, V: Clone> {
    reads: &'a SharedReads<K, V>,
    key: K,
    leads: Option<u64>,
}

impl<K: Clone + Eq + Hash, V: Clone> Reader<'_, K, V> {
    fn enter(&mut self) -> Role<V> {
        let mut state = self.reads.state();
        state.rounds += 1;
        let id = state.rounds;
        let slot = state.slots.entry(self.key.clone()).or_insert(Slot {
            running: None,
            next: None,
            readers: 0,
        });
        slot.readers += 1;
        if let Some(next) = &slot.next {
            return Role::Join(next.clone());
        }
        let (round, sender) = Round::new(id);
        let after = slot.running.clone();
        if after.is_some() {
            slot.next = Some(round);
        } else {
            slot.running = Some(round);
        }
        Role::Lead { id, sender, after }
    }

    /// Round `id` starts: from now on, readers that arrive join the round after it.
    fn start(&self, id: u64) {
        let mut state = self.reads.state();
        if let Some(slot) = state.slots.get_mut(&self.key)
            && slot.next.as_ref().is_some_and(|next| next.id == id)
        {
            slot.running = slot.next.take();
        }
    }
}

impl<K: Clone + Eq + Hash, V: Clone> Drop for Reader<'_, K, V> {
    fn drop(&mut self) {
        let mut state = self.reads.state();
        let Some(slot) = state.slots.get_mut(&self.key) else {
            return;
        };
        if let Some(id) = self.leads {
            if slot.running.as_ref().is_some_and(|round| round.id == id) {
                slot.running = None;
            }
            if slot.next.as_ref().is_some_and(|round| round.id == id) {
                slot.next = None;
            }
        }
        slot.readers -= 1;
        if slot.readers == 0 {
            state.slots.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{
            Arc,
            atomic::{AtomicUsize, Ordering},
        },
        time::Duration,
    };

    use tokio::{sync::oneshot, task::JoinHandle};

    use super::*;

    type Reads = Arc<SharedReads<u8, u8>>;
    type Answer = Result<u8, &'static str>;

    /// Starts a read of key 1 whose query runs until released, then answers `answer`; returns once
    /// that query is running.
    async fn running_read(
        reads: &Reads,
        answer: Answer,
    ) -> (JoinHandle<Answer>, oneshot::Sender<()>) {
        let (started, running) = oneshot::channel::<()>();
        let (release, released) = oneshot::channel::<()>();
        let reads = reads.clone();
        let read = tokio::spawn(async move {
            reads
                .read(1, || async move {
                    let _ = started.send(());
                    let _ = released.await;
                    answer
                })
                .await
        });
        running.await.ok();
        (read, release)
    }

    /// `count` reads of key 1 whose queries count themselves in `queries` and answer `answer(n)`
    /// for the n-th query (from 0).
    fn counted_reads(
        reads: &Reads,
        queries: &Arc<AtomicUsize>,
        count: usize,
        answer: fn(usize) -> Answer,
    ) -> Vec<JoinHandle<Answer>> {
        (0..count)
            .map(|_| {
                let (reads, queries) = (reads.clone(), queries.clone());
                tokio::spawn(async move {
                    reads
                        .read(1, || async move {
                            let n = queries.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            answer(n)
                        })
                        .await
                })
            })
            .collect()
    }

    async fn answers(reads: Vec<JoinHandle<Answer>>) -> Vec<Answer> {
        let mut answers = Vec::new();
        for read in reads {
            answers.extend(read.await.ok());
        }
        answers.sort();
        answers
    }

    /// Lets the reads just spawned arrive.
    async fn settle() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    #[tokio::test]
    async fn a_read_alone_runs_its_own_query_and_the_key_is_forgotten() {
        let reads = Reads::default();
        let queries = AtomicUsize::new(0);
        for expected in 1..=3 {
            let answer: Answer = reads
                .read(7, || async {
                    Ok(u8::try_from(queries.fetch_add(1, Ordering::SeqCst) + 1).unwrap_or(0))
                })
                .await;
            assert_eq!(answer, Ok(expected));
        }
        assert_eq!(queries.load(Ordering::SeqCst), 3);
        assert_eq!(reads.keys(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_arriving_during_a_query_share_the_next_one_not_the_running_one() {
        let reads = Reads::default();
        let (first, release) = running_read(&reads, Ok(1)).await;
        // Ten reads arrive while it runs: none may take its answer (it predates them).
        let queries = Arc::new(AtomicUsize::new(0));
        let later = counted_reads(&reads, &queries, 10, |_| Ok(2));
        settle().await;
        let _ = release.send(());
        assert_eq!(first.await.ok(), Some(Ok(1)));
        assert_eq!(answers(later).await, vec![Ok(2); 10]);
        assert_eq!(queries.load(Ordering::SeqCst), 1, "one query for the ten");
        assert_eq!(reads.keys(), 0);
    }

    #[tokio::test]
    async fn other_keys_do_not_share() {
        let reads = Reads::default();
        let a: Answer = reads.read(1, || async { Ok(10) }).await;
        let b: Answer = reads.read(2, || async { Ok(20) }).await;
        assert_eq!((a, b), (Ok(10), Ok(20)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_query_is_not_shared_and_the_next_reader_asks_again() {
        let reads = Reads::default();
        let (failing, release) = running_read(&reads, Err("down")).await;
        let queries = Arc::new(AtomicUsize::new(0));
        let waiting = counted_reads(&reads, &queries, 1, |_| Ok(5));
        settle().await;
        let _ = release.send(());
        assert_eq!(failing.await.ok(), Some(Err("down")));
        assert_eq!(answers(waiting).await, vec![Ok(5)]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn when_a_shared_query_fails_each_of_its_readers_asks_on_its_own() {
        let reads = Reads::default();
        let (first, release) = running_read(&reads, Ok(1)).await;
        // Three reads arrive while the first query runs: they share the next round, whose query
        // fails once (the leader's); the two others then ask on their own, and succeed.
        let queries = Arc::new(AtomicUsize::new(0));
        let later = counted_reads(&reads, &queries, 3, |n| {
            if n == 0 { Err("down") } else { Ok(2) }
        });
        settle().await;
        let _ = release.send(());
        assert_eq!(first.await.ok(), Some(Ok(1)));
        assert_eq!(answers(later).await, vec![Ok(2), Ok(2), Err("down")]);
        assert_eq!(queries.load(Ordering::SeqCst), 3);
        assert_eq!(reads.keys(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_read_lets_the_others_go_on_and_forgets_the_key() {
        let reads = Reads::default();
        let (cancelled, _never_released) = running_read(&reads, Ok(1)).await;
        let queries = Arc::new(AtomicUsize::new(0));
        let waiting = counted_reads(&reads, &queries, 1, |_| Ok(3));
        settle().await;
        cancelled.abort();
        assert_eq!(answers(waiting).await, vec![Ok(3)]);
        assert_eq!(reads.keys(), 0);
    }
}
