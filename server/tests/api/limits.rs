//! What keeps one client from exhausting the server or reading what it should not: the rate limit
//! of the public capability endpoints (never of merchant traffic), the body limit, the request and
//! header timeouts, length limits on free text, and the headers that keep tokens out of caches,
//! referrers and other origins' frames.

use std::time::Duration;

use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::{both_backends, helpers::*};

async fn app_with(backend: Backend, options: AppOptions) -> TestApp {
    spawn_app_with(backend, options).await
}

async fn the_public_claim_and_checkout_endpoints_are_rate_limited_per_address_and_merchant_calls_are_not(
    backend: Backend,
) {
    let app = app_with(
        backend,
        AppOptions {
            rate_limit: Some(40),
            ..AppOptions::default()
        },
    )
    .await;
    let org = app.create_org("acme").await;
    let mut statuses = Vec::new();
    for _ in 0..14 {
        statuses.push(
            app.get("/v1/customer-seats/claim/skp_inv_guessing")
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(
        statuses[..10],
        [404; 10],
        "a burst of a quarter of the rate passes: {statuses:?}"
    );
    assert!(statuses[10..].iter().all(|s| *s == 429), "{statuses:?}");
    let limited = app.get("/v1/checkouts/client/skp_chk_guessing").await;
    assert_eq!(
        limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap(),
        2
    );
    assert_error(limited, 429, "TooManyRequests").await;

    for _ in 0..30 {
        assert_eq!(
            app.get_as(&org.token, "/v1/products").await.status(),
            200,
            "merchant calls are never limited"
        );
    }
}

async fn a_body_over_the_limit_is_refused_with_413_whether_declared_or_streamed(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let big = json!({"name": "x".repeat(server::limits::MAX_BODY_BYTES), "prices": []});
    let declared = app.post_as(&org.token, "/v1/products", &big).await;
    assert_error(declared, 413, "PayloadTooLarge").await;

    // Chunked, with no length declared: cut off once past the limit.
    let body = big.to_string();
    let mut stream = TcpStream::connect(app.address).await.unwrap();
    let head = format!(
        "POST /v1/products HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        org.token,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("PayloadTooLarge"), "{answer}");
    assert_eq!(
        app.get_as(&org.token, "/v1/products").await.status(),
        200,
        "the server is fine"
    );
}

async fn free_text_over_its_length_is_a_422_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let product = product(&app, &org, None).await;
    let body = json!({"products": [product["id"]], "customer_name": "n".repeat(257)});
    assert_validation(
        app.post_as(&org.token, "/v1/checkouts", &body).await,
        json!(["body", "customer_name"]),
        "string_too_long",
    )
    .await;
    let open = checkout(&app, &org, &product, json!({})).await;
    let edit = app
        .client
        .patch(app.url(&client_path(&open)))
        .json(&json!({"customer_name": "n".repeat(300)}))
        .send()
        .await
        .unwrap();
    assert_validation(edit, json!(["body", "customer_name"]), "string_too_long").await;
    let body = json!({"name": "Plan", "description": "d".repeat(4097), "prices": [{"amount_type": "seat_based", "seat_tiers": {"seat_tier_type": "volume", "tiers": [{"min_seats": 1, "price_per_seat": 100}]}}]});
    assert_validation(
        app.post_as(&org.token, "/v1/products", &body).await,
        json!(["body", "description"]),
        "string_too_long",
    )
    .await;
    let body = json!({"email": "a@example.com", "name": "n".repeat(257)});
    assert_validation(
        app.post_as(&org.token, "/v1/customers", &body).await,
        json!(["body", "name"]),
        "string_too_long",
    )
    .await;
}

async fn a_request_that_takes_too_long_is_abandoned_with_a_503(backend: Backend) {
    let timeouts = server::limits::Timeouts {
        request: Duration::from_secs(1),
        ..Default::default()
    };
    let app = app_with(
        backend,
        AppOptions {
            timeouts,
            ..AppOptions::default()
        },
    )
    .await;
    let org = app.create_org("acme").await;
    let product = product(&app, &org, None).await;
    let open = checkout(
        &app,
        &org,
        &product,
        json!({"customer_email": "buyer@example.com"}),
    )
    .await;
    // The slow test card answers after five seconds.
    let started = std::time::Instant::now();
    let response = app
        .post_json(
            &format!("{}/confirm", client_path(&open)),
            &json!({"confirmation_token_id": "tok_visa_slow"}),
        )
        .await;
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_error(response, 503, "RequestTimeout").await;
}

async fn a_connection_that_does_not_finish_its_headers_or_stays_idle_is_closed(backend: Backend) {
    let timeouts = server::limits::Timeouts {
        header: Duration::from_secs(1),
        ..Default::default()
    };
    let app = app_with(
        backend,
        AppOptions {
            timeouts,
            ..AppOptions::default()
        },
    )
    .await;
    for first in [
        &b"GET /healthz HTTP/1.1\r\nHost: x\r\n"[..],
        &b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"[..],
    ] {
        let mut stream = TcpStream::connect(app.address).await.unwrap();
        stream.write_all(first).await.unwrap();
        let mut received = Vec::new();
        let closed =
            tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received)).await;
        assert!(
            closed.is_ok(),
            "the server closed the connection within the header timeout"
        );
    }
}

async fn pages_api_answers_and_the_mailbox_carry_no_store_no_referrer_and_a_content_security_policy(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let page = app.get("/acme/portal/claim?token=skp_inv_nope").await;
    let headers = page.headers().clone();
    let html = page.text().await.unwrap();
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    let policy = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains("frame-ancestors 'none'")
            && policy.contains("'wasm-unsafe-eval'")
            && policy.contains("object-src 'none'"),
        "{policy}"
    );
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap();
    assert!(nonce.len() >= 16, "{policy}");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the page's own scripts carry the nonce"
    );
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let again = app.get("/acme/portal/claim?token=skp_inv_nope").await;
    assert_ne!(
        again.headers()["content-security-policy"],
        headers["content-security-policy"],
        "a nonce per response"
    );

    let mailbox = app.get("/dev/mailbox").await;
    assert_eq!(mailbox.headers()["referrer-policy"], "no-referrer");
    assert!(
        mailbox.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
}

async fn re_sending_one_invitation_in_a_loop_is_slowed_down(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = crate::helpers::seats::buy(&app, &org, 2, Some("month")).await;
    let seat = crate::helpers::seats::assign(&app, &org, &paid, "jane@example.com").await;
    let path = format!("/v1/customer-seats/{}/resend", seat["id"].as_str().unwrap());
    for _ in 0..3 {
        assert_eq!(
            app.post_as(&org.token, &path, &json!({})).await.status(),
            200
        );
    }
    let limited = app.post_as(&org.token, &path, &json!({})).await;
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((500..=600).contains(&wait), "{wait}");
    assert_error(limited, 429, "TooManyRequests").await;
    let emails = app.store().recent_emails(50).await.unwrap();
    assert_eq!(
        emails.iter().filter(|e| e.to == "jane@example.com").count(),
        4,
        "assign + 3 re-sends"
    );
}

/// The nonce a page's policy names, and whether every inline script of the page carries it.
fn page_nonce_is_kept(policy: &str, html: &str) -> bool {
    let Some(nonce) = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
    else {
        return false;
    };
    let attribute = format!("nonce=\"{nonce}\"");
    let mut tags = html
        .split("<script")
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or_default())
        .peekable();
    nonce.len() >= 16 && tags.peek().is_some() && tags.all(|tag| tag.contains(&attribute))
}

async fn every_page_of_many_requested_in_parallel_carries_its_own_policy_naming_its_own_nonce(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let paths = [
        "/",
        "/acme/portal/claim?token=skp_inv_nope",
        "/acme/portal/seats",
        "/checkout/nope",
        "/no/such/page",
    ];
    let mut handles = Vec::new();
    for round in 0..200 {
        let client = app.client.clone();
        let url = app.url(paths[round % paths.len()]);
        handles.push(tokio::spawn(async move {
            let response = client.get(&url).send().await.unwrap();
            let policy = response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_owned();
            let html = response.text().await.unwrap();
            (url, policy.clone(), page_nonce_is_kept(&policy, &html))
        }));
    }
    for handle in handles {
        let (url, policy, kept) = handle.await.unwrap();
        assert!(kept, "{url}: {policy}");
    }
}

async fn a_form_on_another_site_cannot_sign_a_browser_in_to_the_dashboard(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let sign_in = |origin: &'static str| {
        app.client
            .post(app.url("/api/dashboard_sign_in"))
            .header("origin", origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={}", org.token))
            .send()
    };
    let refused = sign_in("https://evil.example").await.unwrap();
    // What a browser sends from another site's form (its page's origin, or `null`).
    let from_a_form = app
        .client
        .post(app.url("/api/dashboard_sign_in"))
        .header("origin", "null")
        .header("sec-fetch-site", "cross-site")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={}", org.token))
        .send()
        .await
        .unwrap();
    assert_eq!(from_a_form.status(), 403);
    assert_eq!(refused.status(), 403);
    assert!(
        refused.headers().get("set-cookie").is_none(),
        "no cookie set"
    );
    assert_eq!(
        refused.json::<serde_json::Value>().await.unwrap()["error"],
        "CrossSiteRequest"
    );
    let own = format!("http://{}", app.address);
    let accepted = app
        .client
        .post(app.url("/api/dashboard_sign_in"))
        .header("origin", own)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={}", org.token))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    let cookie = accepted.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("seatkeeper_dashboard="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
}

both_backends!(
    a_form_on_another_site_cannot_sign_a_browser_in_to_the_dashboard,
    every_page_of_many_requested_in_parallel_carries_its_own_policy_naming_its_own_nonce,
    the_public_claim_and_checkout_endpoints_are_rate_limited_per_address_and_merchant_calls_are_not,
    a_body_over_the_limit_is_refused_with_413_whether_declared_or_streamed,
    free_text_over_its_length_is_a_422_naming_the_field,
    a_request_that_takes_too_long_is_abandoned_with_a_503,
    a_connection_that_does_not_finish_its_headers_or_stays_idle_is_closed,
    pages_api_answers_and_the_mailbox_carry_no_store_no_referrer_and_a_content_security_policy,
    re_sending_one_invitation_in_a_loop_is_slowed_down,
);
