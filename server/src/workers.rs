//! The background workers of `seatkeeper serve`, and the loop they share.
//!
//! - the mailer ([`crate::mailer`]) sends the email outbox (when SMTP or the development mailbox is
//!   configured);
//! - the sweeper ([`app::server::service::Services::run_due_work`]) settles payments a crash left
//!   unsettled (and, later, what else becomes due with time).
//!
//! Each unit of work is leased or guarded in the database, not in memory, so several processes may
//! run the same workers on one database. A worker repeats its step while there is work, then sleeps
//! until its next poll or until shutdown.

use std::{future::Future, time::Duration};

use app::server::service::Services;
use tokio::sync::watch;

/// How often the sweeper runs.
pub const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// Runs `step` until `stop` turns true. `step` answers whether it found work (then it runs again at
/// once) or not (then the loop waits `poll`); an error is logged and waited out like no work.
pub async fn run_loop<F, Fut>(
    name: &'static str,
    poll: Duration,
    mut stop: watch::Receiver<bool>,
    mut step: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool, String>>,
{
    loop {
        if *stop.borrow() {
            break;
        }
        match step().await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(error) => tracing::warn!(worker = name, %error, "worker pass failed; retrying"),
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => {}
        }
    }
    tracing::info!(worker = name, "worker stopped");
}

/// The sweeper: runs the work that is due every [`SWEEP_EVERY`].
pub async fn sweep(services: Services, stop: watch::Receiver<bool>) {
    run_loop("sweeper", SWEEP_EVERY, stop, move || {
        let services = services.clone();
        async move {
            services
                .run_due_work()
                .await
                .map(|()| false)
                .map_err(|e| e.to_string())
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use super::*;

    #[tokio::test]
    async fn a_worker_repeats_while_it_finds_work_and_stops_when_told() {
        let (stop_tx, stop_rx) = watch::channel(false);
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let worker = tokio::spawn(run_loop(
            "test",
            Duration::from_secs(3600),
            stop_rx,
            move || {
                let n = counted.fetch_add(1, Ordering::SeqCst);
                async move { Ok(n < 4) }
            },
        ));
        // Five steps: four found work, the fifth did not, so the loop now sleeps its hour.
        while calls.load(Ordering::SeqCst) < 5 {
            tokio::task::yield_now().await;
        }
        stop_tx.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), worker)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    }
}
