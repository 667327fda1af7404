//! The customer portal's page and server functions over real HTTP: the sign-in link's token moves
//! into a cookie, the page shows the team's pools, and the seat actions run as the session, only
//! for an owner or billing manager, only from this site's own pages.

use serde_json::{Value, json};

use crate::{
    both_backends,
    helpers::{entitlements::*, seats::*, *},
};

both_backends!(
    a_portal_link_signs_in_by_cookie_and_leaves_the_address_without_its_token,
    the_portal_invites_resends_and_revokes_as_the_session_and_refuses_other_sites,
    a_member_sees_no_seat_management_and_cannot_act_on_seats,
    the_portal_previews_a_seat_count_exactly_as_the_api_then_changes_it_and_cancels,
    a_pasted_list_is_invited_in_order_until_the_pool_is_full,
    the_portal_reassigns_a_seat_in_one_step_and_its_history_says_so,
    a_member_sees_their_license_key_and_where_it_is_activated,
    a_member_sees_no_activations_the_merchant_keeps_to_itself_and_no_one_else_s_key,
);

/// The `customer_portal_url` of a new session of the paid checkout's customer (its owner), as a
/// path; and the session's token.
async fn portal_link(
    app: &TestApp,
    org: &TestOrg,
    paid: &Value,
    member: Option<&Value>,
) -> (String, String) {
    let mut body = json!({"customer_id": paid["customer_id"]});
    if let Some(member) = member {
        body["member_id"] = member.clone();
    }
    let (status, session) = json(
        app.post_as(&org.token, "/v1/customer-sessions", &body)
            .await,
    )
    .await;
    assert_eq!(status, 201, "{session}");
    let url = session["customer_portal_url"].as_str().unwrap();
    let path = url.find("/acme/").map(|at| &url[at..]).unwrap();
    (
        path.to_owned(),
        session["token"].as_str().unwrap().to_owned(),
    )
}

fn header<'r>(response: &'r reqwest::Response, name: &str) -> &'r str {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

/// The page at `path` as the browser holding session `token` in its cookie gets it.
async fn page_as(app: &TestApp, path: &str, token: &str) -> String {
    app.client
        .get(app.url(path))
        .header("cookie", format!("seatkeeper_session={token}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Calls server function `name` with `form` as the browser's hydrated page does (same origin).
async fn call(
    app: &TestApp,
    name: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(&format!("/api/{name}")))
        .header("origin", app.url(""))
        .form(form);
    if let Some(token) = cookie {
        request = request.header("cookie", format!("seatkeeper_session={token}"));
    }
    request.send().await.unwrap()
}

async fn a_portal_link_signs_in_by_cookie_and_leaves_the_address_without_its_token(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    app.create_org("globex").await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    let (link, token) = portal_link(&app, &org, &paid, None).await;
    assert!(
        link.starts_with("/acme/portal?customer_session_token="),
        "{link}"
    );

    let signed_in = app.get(&link).await;
    assert_eq!(signed_in.status(), 303);
    assert_eq!(header(&signed_in, "location"), "/acme/portal");
    assert_eq!(header(&signed_in, "cache-control"), "no-store");
    let cookie = header(&signed_in, "set-cookie");
    assert!(
        cookie.starts_with(&format!("seatkeeper_session={token};")),
        "{cookie}"
    );
    for part in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }

    let page = app
        .client
        .get(app.url("/acme/portal"))
        .header("cookie", format!("seatkeeper_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Team plan"), "{html}");
    assert!(html.contains("0 of 3 seats used · 3 free"), "{html}");
    assert!(html.contains("billing@globex.example"), "{html}");
    assert!(
        !html.contains(&token),
        "the page never shows the session token"
    );

    // A dead token, or one of another organization, signs nobody in.
    for link in [
        "/acme/portal?customer_session_token=skp_cst_dead".to_owned(),
        format!("/globex/portal?customer_session_token={token}"),
    ] {
        let refused = app.get(&link).await;
        assert_eq!(refused.status(), 303, "{link}");
        assert!(header(&refused, "location").ends_with("/portal?signin=expired"));
        assert!(refused.headers().get("set-cookie").is_none(), "{link}");
    }
    // Signing out ends the session itself: the token (which travelled in a link) is dead.
    let (status, _) = json(
        app.get_as(&token, "/v1/customer-portal/subscriptions")
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let out = call(&app, "portal_sign_out", Some(&token), &[("org", "acme")]).await;
    assert_eq!(out.status(), 200);
    let dropped = header(&out, "set-cookie");
    assert!(
        dropped.starts_with("seatkeeper_session=;") && dropped.contains("Max-Age=0"),
        "{dropped}"
    );
    let (status, _) = json(
        app.get_as(&token, "/v1/customer-portal/subscriptions")
            .await,
    )
    .await;
    assert_eq!(status, 401);
    let again = app.get(&link).await;
    assert!(header(&again, "location").ends_with("?signin=expired"));

    let signed_out = app.get("/acme/portal?signin=expired").await;
    assert_eq!(signed_out.status(), 200);
    let html = signed_out.text().await.unwrap();
    assert!(
        html.contains("Sign in to your seats") && html.contains("has expired"),
        "{html}"
    );
}

async fn the_portal_invites_resends_and_revokes_as_the_session_and_refuses_other_sites(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    let (_, token) = portal_link(&app, &org, &paid, None).await;
    let pool = format!("subscription:{}", paid["subscription_id"].as_str().unwrap());
    let invite = |email: &'static str| {
        let (app, token, pool) = (&app, token.clone(), pool.clone());
        async move {
            json(
                call(
                    app,
                    "portal_invite",
                    Some(&token),
                    &[("org", "acme"), ("pool", &pool), ("email", email)],
                )
                .await,
            )
            .await
        }
    };

    let (status, said) = invite("jane@globex.example").await;
    assert_eq!((status, said), (200, json!("jane@globex.example")));
    let (status, said) = invite("not an email").await;
    assert_eq!(status, 422, "{said}");
    let list = seats(&app, &org, &paid).await;
    let jane = list["seats"][0].clone();
    assert_eq!(
        (
            jane["email"].as_str(),
            jane["status"].as_str(),
            list["seats"].as_array().unwrap().len()
        ),
        (Some("jane@globex.example"), Some("pending"), 1)
    );
    let jane_id = jane["id"].as_str().unwrap();

    let (status, said) = json(
        call(
            &app,
            "portal_resend",
            Some(&token),
            &[("org", "acme"), ("seat_id", jane_id)],
        )
        .await,
    )
    .await;
    assert_eq!((status, said), (200, json!("jane@globex.example")));

    // Another site's page cannot make the browser act, with or without the cookie.
    let forged = app
        .client
        .post(app.url("/api/portal_revoke"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .header("cookie", format!("seatkeeper_session={token}"))
        .form(&[("org", "acme"), ("seat_id", jane_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    // Without the session: not signed in.
    let (status, _) = json(
        call(
            &app,
            "portal_revoke",
            None,
            &[("org", "acme"), ("seat_id", jane_id)],
        )
        .await,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        seats(&app, &org, &paid).await["seats"][0]["status"],
        "pending"
    );

    let (status, said) = json(
        call(
            &app,
            "portal_revoke",
            Some(&token),
            &[("org", "acme"), ("seat_id", jane_id)],
        )
        .await,
    )
    .await;
    assert_eq!((status, said), (200, json!("jane@globex.example")));
    assert_eq!(
        seats(&app, &org, &paid).await["seats"][0]["status"],
        "revoked"
    );

    // A plain form (no JavaScript) comes back to the portal, which shows the new state.
    let plain = app
        .client
        .post(app.url("/api/portal_invite"))
        .header("origin", app.url(""))
        .header("accept", "text/html")
        .header("cookie", format!("seatkeeper_session={token}"))
        .form(&[
            ("org", "acme"),
            ("pool", pool.as_str()),
            ("email", "joe@globex.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 303);
    assert_eq!(header(&plain, "location"), "/acme/portal");
    let page = page_as(&app, "/acme/portal", &token).await;
    assert!(
        page.contains("joe@globex.example") && page.contains("1 of 2 seats used"),
        "{page}"
    );
    // The pool's orders and its seat history, newest first, as the session sees them.
    assert!(
        page.contains("Orders (1)") && page.contains("Subscription start"),
        "{page}"
    );
    let history = [
        "Invited: joe@globex.example by the billing manager",
        "Revoked: jane@globex.example by the billing manager",
        "Invitation resent: jane@globex.example by the billing manager",
        "Invited: jane@globex.example by the billing manager",
    ];
    let at: Vec<usize> = history
        .iter()
        .map(|entry| {
            page.find(entry)
                .unwrap_or_else(|| panic!("{entry} missing: {page}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "newest first: {at:?}");
    assert!(page.contains("The newest 4 of 4 changes."), "{page}");
}

async fn a_member_sees_no_seat_management_and_cannot_act_on_seats(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    let mut body = assign_body(&paid, "jane@globex.example");
    body["immediate_claim"] = json!(true);
    let (status, jane) = json(app.post_as(&org.token, "/v1/customer-seats", &body).await).await;
    assert_eq!(status, 200, "{jane}");
    let (_, token) = portal_link(&app, &org, &paid, Some(&jane["member_id"])).await;

    let (status, overview) =
        json(call(&app, "portal_overview", Some(&token), &[("org", "acme")]).await).await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(overview["manages_seats"], false);
    assert_eq!(overview["pools"], json!([]));
    let (status, refused) = json(
        call(
            &app,
            "portal_revoke",
            Some(&token),
            &[("org", "acme"), ("seat_id", jane["id"].as_str().unwrap())],
        )
        .await,
    )
    .await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(
        seats(&app, &org, &paid).await["seats"][0]["status"],
        "claimed"
    );
}

async fn the_portal_previews_a_seat_count_exactly_as_the_api_then_changes_it_and_cancels(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    let (_, token) = portal_link(&app, &org, &paid, None).await;
    let subscription = paid["subscription_id"].as_str().unwrap();
    let form = |seats: &'static str| {
        [
            ("org", "acme"),
            ("subscription_id", subscription),
            ("seats", seats),
        ]
    };

    let (status, preview) =
        json(call(&app, "portal_preview_seats", Some(&token), &form("4")).await).await;
    assert_eq!(status, 200, "{preview}");
    let (status, rest) = json(
        app.post_as(
            &token,
            &format!("/v1/customer-portal/subscriptions/{subscription}/change-preview"),
            &json!({"seats": 4}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{rest}");
    assert_eq!(preview, rest, "the page's preview is the API's");
    // The page asked for it by its address shows it, with the button that confirms it.
    let page = app
        .client
        .get(app.url(&format!("/acme/portal?preview={subscription}&seats=4")))
        .header("cookie", format!("seatkeeper_session={token}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("4 seats from now") && page.contains("Confirm change"),
        "{page}"
    );

    let (status, said) =
        json(call(&app, "portal_change_seats", Some(&token), &form("4")).await).await;
    assert_eq!((status, said), (200, json!("Team plan")));
    let path = format!("/v1/subscriptions/{subscription}");
    let (_, now) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(now["seats"], 4);
    let (status, _) = json(call(&app, "portal_change_seats", Some(&token), &form("0")).await).await;
    assert_eq!(status, 422);

    let cancel = |value: &'static str| {
        [
            ("org", "acme"),
            ("subscription_id", subscription),
            ("cancel", value),
        ]
    };
    let (status, said) =
        json(call(&app, "portal_cancellation", Some(&token), &cancel("true")).await).await;
    assert_eq!((status, said), (200, json!(["Team plan", true])));
    let (_, now) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(now["cancel_at_period_end"], true);
    let (status, said) =
        json(call(&app, "portal_cancellation", Some(&token), &cancel("false")).await).await;
    assert_eq!((status, said), (200, json!(["Team plan", false])));
    let (_, now) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(now["cancel_at_period_end"], false);

    // A member may look, not change.
    let mut body = assign_body(&paid, "jane@globex.example");
    body["immediate_claim"] = json!(true);
    let (_, jane) = json(app.post_as(&org.token, "/v1/customer-seats", &body).await).await;
    let (_, member) = portal_link(&app, &org, &paid, Some(&jane["member_id"])).await;
    let (status, _) =
        json(call(&app, "portal_change_seats", Some(&member), &form("5")).await).await;
    assert_eq!(status, 403);
    let (status, _) =
        json(call(&app, "portal_cancellation", Some(&member), &cancel("true")).await).await;
    assert_eq!(status, 403);
}

async fn a_pasted_list_is_invited_in_order_until_the_pool_is_full(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    assign(&app, &org, &paid, "ann@globex.example").await;
    let (_, token) = portal_link(&app, &org, &paid, None).await;
    let pool = format!("subscription:{}", paid["subscription_id"].as_str().unwrap());
    let list = "name,email\nAnn,ann@globex.example\nBob,bob@globex.example\nnope@\n\
                Cy,cy@globex.example\nDee,dee@globex.example\nbob@globex.example";
    let (status, outcome) = json(
        call(
            &app,
            "portal_invite_many",
            Some(&token),
            &[("org", "acme"), ("pool", &pool), ("emails", list)],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(
        outcome["invited"],
        json!(["bob@globex.example", "cy@globex.example"])
    );
    assert_eq!(outcome["no_seat_left"], json!(["dee@globex.example"]));
    // Ann already holds a seat: the pool refuses her, with why, and the list goes on.
    assert_eq!(outcome["failed"][0][0], "ann@globex.example");
    assert!(
        outcome["failed"][0][1]
            .as_str()
            .unwrap()
            .contains("already holds a seat"),
        "{outcome}"
    );
    assert_eq!(outcome["skipped"], json!(["nope@", "bob@globex.example"]));
    let list = seats(&app, &org, &paid).await;
    assert_eq!(
        (
            list["total_seats"].as_u64(),
            list["available_seats"].as_u64()
        ),
        (Some(3), Some(0))
    );
}

async fn the_portal_reassigns_a_seat_in_one_step_and_its_history_says_so(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 1, Some("month")).await;
    let jane = assign(&app, &org, &paid, "jane@globex.example").await;
    let (_, token) = portal_link(&app, &org, &paid, None).await;
    let jane_id = jane["id"].as_str().unwrap();
    let reassign = |email: &'static str| {
        let (app, token) = (&app, token.clone());
        async move {
            json(
                call(
                    app,
                    "portal_reassign",
                    Some(&token),
                    &[("org", "acme"), ("seat_id", jane_id), ("email", email)],
                )
                .await,
            )
            .await
        }
    };
    let (status, said) = reassign("not an email").await;
    assert_eq!(status, 422, "{said}");
    let (status, said) = reassign("jane@globex.example").await;
    assert_eq!(status, 400, "{said}");
    let (status, said) = reassign("joe@globex.example").await;
    assert_eq!((status, said), (200, json!("joe@globex.example")));
    let list = seats(&app, &org, &paid).await;
    let held: Vec<(&str, &str)> = list["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["email"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        held,
        [
            ("jane@globex.example", "revoked"),
            ("joe@globex.example", "pending")
        ]
    );
    let page = page_as(&app, "/acme/portal", &token).await;
    assert!(
        page.contains(
            "Reassigned: jane@globex.example → joe@globex.example by the billing manager"
        ),
        "{page}"
    );
}

async fn a_member_sees_their_license_key_and_where_it_is_activated(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(
        &app,
        &org,
        json!({"activations": {"limit": 3, "enable_customer_admin": true}}),
        1,
        Some("month"),
    )
    .await;
    let seat = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let key = key_of(&app, &org, &seat).await;
    let (_, token) = portal_link(&app, &org, &paid, Some(&seat["member_id"])).await;
    let html = page_as(&app, "/acme/portal/seats", &token).await;
    assert!(html.contains(key["key"].as_str().unwrap()), "{html}");
    assert!(
        html.contains("Not activated on any device yet (up to 3)."),
        "{html}"
    );
    let activate = json!({
        "key": key["key"],
        "organization_id": org.id.to_string(),
        "label": "Jane's <MacBook>",
    });
    let (status, body) = json(
        app.post_as(&org.token, "/v1/license-keys/activate", &activate)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let html = page_as(&app, "/acme/portal/seats", &token).await;
    assert!(html.contains("Activated on 1 of 3 devices."), "{html}");
    assert!(
        html.contains("Jane&#x27;s &lt;MacBook&gt;") || html.contains("Jane's &lt;MacBook&gt;"),
        "{html}"
    );
}

async fn a_member_sees_no_activations_the_merchant_keeps_to_itself_and_no_one_else_s_key(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(
        &app,
        &org,
        json!({"activations": {"limit": 3, "enable_customer_admin": false}}),
        2,
        Some("month"),
    )
    .await;
    let jane = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let john = claimed_seat(&app, &org, &paid, "john@globex.example").await;
    let (jane_key, john_key) = (
        key_of(&app, &org, &jane).await,
        key_of(&app, &org, &john).await,
    );
    let activate = json!({
        "key": jane_key["key"],
        "organization_id": org.id.to_string(),
        "label": "secret-laptop",
    });
    let (status, body) = json(
        app.post_as(&org.token, "/v1/license-keys/activate", &activate)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, token) = portal_link(&app, &org, &paid, Some(&jane["member_id"])).await;
    let html = page_as(&app, "/acme/portal/seats", &token).await;
    assert!(html.contains(jane_key["key"].as_str().unwrap()), "{html}");
    assert!(
        !html.contains("secret-laptop") && !html.contains("Activated on"),
        "{html}"
    );
    assert!(
        !html.contains(john_key["key"].as_str().unwrap()),
        "another member's key is not on the page"
    );
}
