//! Signing in to the portal by email (`/v1/customer-portal/customer-session/request` and
//! `authenticate`, and the page's server functions): who gets a code, single use under parallel
//! requests, expiry, replacement, limits, and the same answer for an unknown email.

use serde_json::{Value, json};

use crate::{
    both_backends,
    helpers::{entitlements::*, seats::*, *},
};

const REQUEST: &str = "/v1/customer-portal/customer-session/request";
const AUTHENTICATE: &str = "/v1/customer-portal/customer-session/authenticate";

async fn request(app: &TestApp, org: &TestOrg, email: &str) -> reqwest::Response {
    app.post_json(
        REQUEST,
        &json!({"email": email, "organization_id": org.id.to_string()}),
    )
    .await
}

/// The sign-in emails sent to `to`, newest first.
async fn sign_in_emails(app: &TestApp, to: &str) -> Vec<app::server::store::EmailRecord> {
    app.store()
        .recent_emails(500)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.to == to && m.kind == "portal_sign_in")
        .collect()
}

/// The code of the newest sign-in email to `to` (from its link).
async fn code_for(app: &TestApp, to: &str) -> String {
    let emails = sign_in_emails(app, to).await;
    let mail = emails
        .first()
        .unwrap_or_else(|| panic!("no sign-in email to {to}"));
    let start = mail.text_body.find("?code=").expect("a sign-in link") + "?code=".len();
    mail.text_body[start..start + 12].to_owned()
}

async fn authenticate(app: &TestApp, code: &str) -> (u16, Value) {
    json(app.post_json(AUTHENTICATE, &json!({"code": code})).await).await
}

async fn role_of(app: &TestApp, token: &str) -> String {
    let (status, user) = json(
        app.get_as(token, "/v1/customer-portal/customer-session/user")
            .await,
    )
    .await;
    assert_eq!(status, 200, "{user}");
    user["role"].as_str().unwrap().to_owned()
}

async fn a_customer_signs_in_once_with_the_code_from_the_email(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    buy(&app, &org, 2, Some("month")).await;
    let asked = request(&app, &org, "Billing@Globex.example").await;
    assert_eq!(asked.status(), 202);
    let code = code_for(&app, "billing@globex.example").await;
    let mail = &sign_in_emails(&app, "billing@globex.example").await[0];
    assert!(
        mail.subject.starts_with("Your sign-in code for"),
        "{}",
        mail.subject
    );
    assert!(mail.html_body.contains(&code));

    // Typed in lower case with a dash, as people do.
    let typed = format!("{}-{} {}", &code[..4], &code[4..8], &code[8..]).to_lowercase();
    let (status, session) = authenticate(&app, &typed).await;
    assert_eq!(status, 200, "{session}");
    let token = session["token"].as_str().unwrap();
    assert!(token.starts_with("skp_cst_"));
    assert_eq!(role_of(&app, token).await, "owner");

    let (status, again) = authenticate(&app, &code).await;
    assert_eq!(status, 401, "{again}");
    assert_eq!(again["error"], "CustomerSessionCodeInvalidOrExpired");
    let mail = &sign_in_emails(&app, "billing@globex.example").await[0];
    assert!(
        !mail.text_body.contains(&code) && !mail.html_body.contains(&code),
        "a spent code is erased from the outbox"
    );
}

async fn an_unknown_email_gets_the_same_answer_and_no_email(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    assign(&app, &org, &paid, "pending@globex.example").await;
    for email in ["nobody@globex.example", "pending@globex.example"] {
        let asked = request(&app, &org, email).await;
        assert_eq!(asked.status(), 202, "{email}");
        assert!(
            sign_in_emails(&app, email).await.is_empty(),
            "{email} signs nobody in: no email"
        );
    }
    let other = app.create_org("initech").await;
    let asked = request(&app, &other, "billing@globex.example").await;
    assert_eq!(asked.status(), 202);
    assert!(
        sign_in_emails(&app, "billing@globex.example")
            .await
            .is_empty()
    );

    let unknown_org = app
        .post_json(
            REQUEST,
            &json!({"email": "billing@globex.example", "organization_id": uuid::Uuid::new_v4()}),
        )
        .await;
    assert_eq!(unknown_org.status(), 404);
    let not_an_email = request(&app, &org, "not an email").await;
    assert_eq!(not_an_email.status(), 422);
    for code in ["", "ABC", "ABCDEFGH", "' OR 1=1 --"] {
        let (status, body) = authenticate(&app, code).await;
        assert_eq!(status, 401, "{code}: {body}");
    }
}

async fn a_seat_holder_signs_in_as_a_member_and_a_new_code_replaces_the_last(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    assert_eq!(
        request(&app, &org, "jane@globex.example").await.status(),
        202
    );
    let first = code_for(&app, "jane@globex.example").await;
    assert_eq!(
        request(&app, &org, "jane@globex.example").await.status(),
        202
    );
    let second = code_for(&app, "jane@globex.example").await;
    assert_ne!(first, second);
    let (status, _) = authenticate(&app, &first).await;
    assert_eq!(status, 401, "the newer code replaced the first");
    let (status, session) = authenticate(&app, &second).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(
        role_of(&app, session["token"].as_str().unwrap()).await,
        "member"
    );
}

async fn a_code_works_thirty_minutes_and_one_email_gets_three_in_a_row(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    buy(&app, &org, 1, Some("month")).await;
    assert_eq!(
        request(&app, &org, "billing@globex.example").await.status(),
        202
    );
    let code = code_for(&app, "billing@globex.example").await;
    app.advance_clock(&json!({"seconds": 30 * 60})).await;
    let (status, body) = authenticate(&app, &code).await;
    assert_eq!(status, 401, "{body}");

    assert_eq!(
        request(&app, &org, "billing@globex.example").await.status(),
        202
    );
    assert_eq!(
        request(&app, &org, "billing@globex.example").await.status(),
        202
    );
    let flood = request(&app, &org, "billing@globex.example").await;
    assert_eq!(flood.status(), 429);
    assert!(flood.headers().get("retry-after").is_some());
    // Counted for any email, known or not: a refusal tells nothing about who is a customer.
    for _ in 0..3 {
        assert_eq!(
            request(&app, &org, "ghost@globex.example").await.status(),
            202
        );
    }
    assert_eq!(
        request(&app, &org, "ghost@globex.example").await.status(),
        429
    );
}

async fn parallel_requests_with_one_code_open_one_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    buy(&app, &org, 1, Some("month")).await;
    request(&app, &org, "billing@globex.example").await;
    let code = code_for(&app, "billing@globex.example").await;
    let handles: Vec<_> = (0..12)
        .map(|_| {
            let client = app.client.clone();
            let url = app.url(AUTHENTICATE);
            let code = code.clone();
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&json!({"code": code}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [[200].as_slice(), &[401; 11]].concat());
}

async fn the_portal_page_signs_in_with_a_code_into_its_cookie(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    app.create_org("globex").await;
    buy(&app, &org, 1, Some("month")).await;
    let form = |name: &str, fields: &[(&str, &str)]| {
        app.client
            .post(app.url(&format!("/api/{name}")))
            .header("origin", app.url(""))
            .header("accept", "text/html")
            .form(fields)
    };
    let asked = form(
        "portal_request_code",
        &[("org", "acme"), ("email", "billing@globex.example")],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(asked.status(), 303);
    assert_eq!(
        asked.headers()["location"].to_str().unwrap(),
        "/acme/portal?code_sent=1"
    );
    let code = code_for(&app, "billing@globex.example").await;
    // The email's link leads to the page with the code filled in (reading it spends nothing).
    let page = app.get(&format!("/acme/portal?code={code}")).await;
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("value=\"{code}\"")), "{html}");

    // A code is good only on its own organization's pages.
    let elsewhere = form("portal_code_sign_in", &[("org", "globex"), ("code", &code)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        elsewhere.headers()["location"].to_str().unwrap(),
        "/globex/portal?failed=1"
    );
    assert!(elsewhere.headers().get("set-cookie").is_none());

    let signed_in = form("portal_code_sign_in", &[("org", "acme"), ("code", &code)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    assert_eq!(
        signed_in.headers()["location"].to_str().unwrap(),
        "/acme/portal"
    );
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("seatkeeper_session=skp_cst_") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_owned();
    let console = app
        .client
        .get(app.url("/acme/portal"))
        .header("cookie", session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(console.contains("0 of 1 seats used"), "{console}");
}

both_backends!(
    a_customer_signs_in_once_with_the_code_from_the_email,
    an_unknown_email_gets_the_same_answer_and_no_email,
    a_seat_holder_signs_in_as_a_member_and_a_new_code_replaces_the_last,
    a_code_works_thirty_minutes_and_one_email_gets_three_in_a_row,
    parallel_requests_with_one_code_open_one_session,
    the_portal_page_signs_in_with_a_code_into_its_cookie,
);
