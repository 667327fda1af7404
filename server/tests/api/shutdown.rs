//! Graceful shutdown: a request in flight when shutdown begins still gets its answer.

use std::time::Duration;

use axum::{Router, routing::get};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_completes_after_shutdown_begins() {
    let router = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(600)).await;
            "done"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::startup::serve(
        listener,
        router,
        async move {
            let _ = stopped.await;
        },
        10,
        Duration::from_secs(30),
    ));

    let request = tokio::spawn(async move { reqwest::get(format!("http://{address}/slow")).await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    stop.send(()).unwrap();

    let response = request.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "done");
    server.await.unwrap().unwrap();
    // New connections are refused once the server has stopped.
    assert!(
        reqwest::get(format!("http://{address}/slow"))
            .await
            .is_err()
    );
}
