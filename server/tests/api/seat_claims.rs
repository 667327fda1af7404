//! Claiming invitations (claim info, claim, expiry, single use under 20 parallel claims), resend,
//! immediate claim, benefit grants and their revocation, member removal, the audit log and the
//! outbox rows each change writes.

use serde_json::{Value, json};

use crate::{
    both_backends,
    helpers::seats::{
        assign, assign_body, buy, invitation_token, pay_for, pool_query, seat_path, seats,
    },
    helpers::*,
};

/// A monthly product with a note benefit and a license-key benefit, and a paid pool of `seats`.
async fn pool_with_benefits(app: &TestApp, org: &TestOrg, seats: u32) -> Value {
    let note = json!({"type": "custom", "description": "Onboarding", "properties": {"note": "Book at cal.example"}});
    let (_, note) = json(app.post_as(&org.token, "/v1/benefits", &note).await).await;
    let keys = json!({"type": "license_keys", "description": "License key", "properties": {"prefix": "ACME"}});
    let (_, keys) = json(app.post_as(&org.token, "/v1/benefits", &keys).await).await;
    let product = json!({
        "name": "Team plan",
        "recurring_interval": "month",
        "prices": [{"amount_type": "seat_based", "seat_tiers": {"tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}]
    });
    let (_, product) = json(app.post_as(&org.token, "/v1/products", &product).await).await;
    let path = format!("/v1/products/{}/benefits", product["id"].as_str().unwrap());
    let (status, _) = json(
        app.post_as(
            &org.token,
            &path,
            &json!({"benefits": [note["id"], keys["id"]]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    pay_for(app, org, &product, seats).await
}

async fn claim(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json(
        "/v1/customer-seats/claim",
        &json!({"invitation_token": token}),
    )
    .await
}

async fn event_kinds(app: &TestApp, org: &TestOrg) -> Vec<String> {
    app.store()
        .events(org.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

async fn grants(app: &TestApp, org: &TestOrg, query: &str) -> Vec<Value> {
    let (status, list) = json(
        app.get_as(&org.token, &format!("/v1/benefit-grants?{query}"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    list["items"].as_array().unwrap().clone()
}

async fn audit_actions(app: &TestApp, org: &TestOrg, paid: &Value) -> Vec<(String, String)> {
    let query = format!(
        "subscription_id={}",
        paid["subscription_id"].as_str().unwrap()
    );
    let (status, log) = json(
        app.get_as(&org.token, &format!("/v1/customer-seats/audit-log?{query}"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{log}");
    log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor_type"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn an_invitation_email_is_queued_with_the_seat_and_names_the_product_and_link(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = pool_with_benefits(&app, &org, 2).await;
    assign(&app, &org, &paid, "jane@globex.example").await;
    let emails = app.store().recent_emails(10).await.unwrap();
    assert_eq!(emails.len(), 1);
    let mail = &emails[0];
    assert_eq!(mail.to, "jane@globex.example");
    assert_eq!(mail.subject, "You've been invited to access Team plan");
    let link = format!("{}/acme/portal/claim?token=skp_inv_", app.url(""));
    assert!(mail.text_body.contains(&link), "{}", mail.text_body);
    assert!(mail.html_body.contains(">Claim seat</a>"));
    assert!(mail.text_body.contains("billing@globex.example"));
    assert!(mail.text_body.contains("expires in 24 hours"));
    assert!(mail.text_body.contains("Org acme"));
}

async fn claim_info_describes_the_invitation_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = pool_with_benefits(&app, &org, 2).await;
    let seat = assign(&app, &org, &paid, "jane@globex.example").await;
    let token = invitation_token(&app, "jane@globex.example").await;
    let events = event_kinds(&app, &org).await.len();
    for _ in 0..2 {
        let (status, info) =
            json(app.get(&format!("/v1/customer-seats/claim/{token}")).await).await;
        assert_eq!(status, 200, "{info}");
        assert_eq!(info["product_name"], "Team plan");
        assert_eq!(info["organization_name"], "Org acme");
        assert_eq!(info["organization_slug"], "acme");
        assert_eq!(info["customer_email"], "jane@globex.example");
        assert_eq!(info["can_claim"], true);
    }
    let (_, again) = json(app.get_as(&org.token, &seat_path(&seat)).await).await;
    assert_eq!(again["status"], "pending");
    assert_eq!(
        event_kinds(&app, &org).await.len(),
        events,
        "reading a link emits nothing"
    );
    assert_error(
        app.get("/v1/customer-seats/claim/skp_inv_unknown").await,
        404,
        "InvalidInvitationToken",
    )
    .await;
    assert_error(
        app.get("/v1/customer-seats/claim/not-a-token").await,
        404,
        "InvalidInvitationToken",
    )
    .await;
}

async fn claiming_grants_every_benefit_and_opens_a_member_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = pool_with_benefits(&app, &org, 2).await;
    let seat = assign(&app, &org, &paid, "jane@globex.example").await;
    let token = invitation_token(&app, "jane@globex.example").await;
    let (status, claimed) = json(claim(&app, &token).await).await;
    assert_eq!(status, 200, "{claimed}");
    assert_eq!(claimed["seat"]["id"], seat["id"]);
    assert_eq!(claimed["seat"]["status"], "claimed");
    assert!(claimed["seat"]["claimed_at"].is_string());
    assert!(claimed["seat"]["invitation_token_expires_at"].is_null());
    let session = claimed["customer_session_token"].as_str().unwrap();
    assert!(session.starts_with("skp_cst_"));

    let member = seat["member_id"].as_str().unwrap();
    let granted = grants(&app, &org, &format!("member_id={member}")).await;
    assert_eq!(granted.len(), 2);
    assert!(
        granted
            .iter()
            .all(|g| g["is_granted"] == true && g["seat_id"] == seat["id"])
    );
    let properties = granted
        .iter()
        .map(|g| &g["properties"])
        .find(|p| p["license_key_id"].is_string())
        .expect("a license-key grant");
    assert!(
        properties.get("license_key").is_none(),
        "a grant shows no whole key: {properties}"
    );
    let (status, key) = json(
        app.get_as(
            &org.token,
            &format!(
                "/v1/license-keys/{}",
                properties["license_key_id"].as_str().unwrap()
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{key}");
    let whole = key["key"].as_str().unwrap();
    assert!(whole.starts_with("ACME-"), "{whole}");
    assert_eq!(
        properties["display_key"].as_str().unwrap(),
        format!("****-{}", &whole[whole.len() - 6..])
    );
    assert_eq!(key["member_id"], seat["member_id"]);
    assert_eq!(key["status"], "granted");
    assert!(
        granted
            .iter()
            .any(|g| g["properties"]["note"] == "Book at cal.example")
    );
    let billing_manager = paid["customer_id"].as_str().unwrap();
    let owner_grants = grants(&app, &org, &format!("customer_id={billing_manager}")).await;
    assert!(
        owner_grants
            .iter()
            .all(|g| g["member_id"] == seat["member_id"]),
        "the billing manager gets no benefit without a seat"
    );

    let kinds = event_kinds(&app, &org).await;
    assert_eq!(
        &kinds[kinds.len() - 3..],
        [
            "customer_seat.claimed",
            "benefit_grant.created",
            "benefit_grant.created"
        ]
    );

    let (status, subscriptions) = json(
        app.get_as(session, "/v1/customer-portal/seats/subscriptions")
            .await,
    )
    .await;
    assert_eq!(status, 200, "{subscriptions}");
    assert_eq!(subscriptions["items"][0]["id"], paid["subscription_id"]);

    assert_error(claim(&app, &token).await, 400, "InvalidInvitationToken").await;
    assert_error(
        app.get(&format!("/v1/customer-seats/claim/{token}")).await,
        404,
        "InvalidInvitationToken",
    )
    .await;
    assert_eq!(
        audit_actions(&app, &org, &paid).await,
        [
            ("assigned".into(), "organization".into()),
            ("claimed".into(), "member".into())
        ]
    );
}

async fn twenty_parallel_claims_of_one_link_have_exactly_one_winner(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = pool_with_benefits(&app, &org, 1).await;
    assign(&app, &org, &paid, "jane@globex.example").await;
    let token = invitation_token(&app, "jane@globex.example").await;
    let url = app.url("/v1/customer-seats/claim");
    let handles: Vec<_> = (0..20)
        .map(|_| {
            let client = app.client.clone();
            let url = url.clone();
            let body = json!({"invitation_token": token});
            tokio::spawn(async move {
                let response = client.post(url).json(&body).send().await.unwrap();
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap();
                (status, body["error"].as_str().map(str::to_owned))
            })
        })
        .collect();
    let mut won = 0;
    let mut lost = 0;
    for handle in handles {
        match handle.await.unwrap() {
            (200, _) => won += 1,
            (400, Some(error)) if error == "InvalidInvitationToken" => lost += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!((won, lost), (1, 19));
    assert_eq!(
        grants(&app, &org, "").await.len(),
        2,
        "one claim's grants, not twenty"
    );
    let kinds = event_kinds(&app, &org).await;
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "customer_seat.claimed")
            .count(),
        1
    );
}

async fn an_invitation_expires_after_the_organizations_ttl_and_keeps_its_seat(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = pool_with_benefits(&app, &org, 1).await;
    let seat = assign(&app, &org, &paid, "jane@globex.example").await;
    let token = invitation_token(&app, "jane@globex.example").await;
    let (status, _) = json(app.advance_clock(&json!({"seconds": 24 * 3600 + 1})).await).await;
    assert_eq!(status, 200);
    assert_error(
        app.get(&format!("/v1/customer-seats/claim/{token}")).await,
        404,
        "InvalidInvitationToken",
    )
    .await;
    assert_error(claim(&app, &token).await, 400, "InvalidInvitationToken").await;
    let list = seats(&app, &org, &paid).await;
    assert_eq!(list["seats"][0]["status"], "pending");
    assert_eq!(
        list["available_seats"], 0,
        "an expired invitation keeps its seat"
    );

    let (status, resent) = json(
        app.post_as(
            &org.token,
            &format!("{}/resend", seat_path(&seat)),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{resent}");
    assert!(
        resent["invitation_token_expires_at"].as_str()
            > seat["invitation_token_expires_at"].as_str()
    );
    let fresh = invitation_token(&app, "jane@globex.example").await;
    assert_ne!(fresh, token);
    assert_eq!(claim(&app, &fresh).await.status(), 200);
}

async fn resend_rotates_the_link_and_only_works_on_pending_seats(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = pool_with_benefits(&app, &org, 2).await;
    let seat = assign(&app, &org, &paid, "jane@globex.example").await;
    let old = invitation_token(&app, "jane@globex.example").await;
    let (status, resent) = json(
        app.post_as(
            &org.token,
            &format!("{}/resend", seat_path(&seat)),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{resent}");
    assert_eq!(resent["status"], "pending");
    let new = invitation_token(&app, "jane@globex.example").await;
    assert_ne!(new, old);
    assert_eq!(app.store().recent_emails(10).await.unwrap().len(), 2);
    assert_error(claim(&app, &old).await, 400, "InvalidInvitationToken").await;
    assert_eq!(claim(&app, &new).await.status(), 200);
    let again = app
        .post_as(
            &org.token,
            &format!("{}/resend", seat_path(&seat)),
            &json!({}),
        )
        .await;
    assert_error(again, 400, "SeatNotPending").await;
    let unknown = format!("/v1/customer-seats/{}/resend", uuid::Uuid::now_v7());
    assert_error(
        app.post_as(&org.token, &unknown, &json!({})).await,
        404,
        "ResourceNotFound",
    )
    .await;
    let actions: Vec<String> = audit_actions(&app, &org, &paid)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(actions, ["assigned", "resent", "claimed"]);
}

async fn revoking_a_claimed_seat_revokes_its_grants_and_a_pending_one_kills_its_link(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = pool_with_benefits(&app, &org, 2).await;
    let seat = assign(&app, &org, &paid, "jane@globex.example").await;
    let token = invitation_token(&app, "jane@globex.example").await;
    assert_eq!(claim(&app, &token).await.status(), 200);
    let response = app
        .client
        .delete(app.url(&seat_path(&seat)))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let all = grants(&app, &org, "").await;
    assert!(all.iter().all(|g| g["is_granted"] == false
        && g["is_revoked"] == true
        && g["revoked_at"].is_string()));
    assert_eq!(grants(&app, &org, "is_granted=true").await.len(), 0);
    let kinds = event_kinds(&app, &org).await;
    assert_eq!(
        &kinds[kinds.len() - 3..],
        [
            "benefit_grant.revoked",
            "benefit_grant.revoked",
            "customer_seat.revoked"
        ]
    );

    let pending = assign(&app, &org, &paid, "joe@globex.example").await;
    let link = invitation_token(&app, "joe@globex.example").await;
    let response = app
        .client
        .delete(app.url(&seat_path(&pending)))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_error(claim(&app, &link).await, 400, "InvalidInvitationToken").await;
    assert_eq!(seats(&app, &org, &paid).await["available_seats"], 2);
}

async fn immediate_claim_claims_at_once_without_an_invitation(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = pool_with_benefits(&app, &org, 2).await;
    let mut body = assign_body(&paid, "jane@globex.example");
    body["immediate_claim"] = json!(true);
    let (status, seat) = json(app.post_as(&org.token, "/v1/customer-seats", &body).await).await;
    assert_eq!(status, 200, "{seat}");
    assert_eq!(seat["status"], "claimed");
    assert!(seat["claimed_at"].is_string());
    assert!(seat["invitation_token_expires_at"].is_null());
    assert!(
        app.store().recent_emails(10).await.unwrap().is_empty(),
        "no invitation email"
    );
    assert_eq!(grants(&app, &org, "is_granted=true").await.len(), 2);
    let kinds = event_kinds(&app, &org).await;
    assert!(!kinds.contains(&"customer_seat.assigned".to_owned()));
    assert_eq!(
        &kinds[kinds.len() - 4..],
        [
            "member.created",
            "customer_seat.claimed",
            "benefit_grant.created",
            "benefit_grant.created"
        ]
    );
    let resend = app
        .post_as(
            &org.token,
            &format!("{}/resend", seat_path(&seat)),
            &json!({}),
        )
        .await;
    assert_error(resend, 400, "SeatNotPending").await;
}

async fn removing_a_member_revokes_their_seats_and_benefits(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = pool_with_benefits(&app, &org, 2).await;
    let mut body = assign_body(&paid, "jane@globex.example");
    body["immediate_claim"] = json!(true);
    let (_, seat) = json(app.post_as(&org.token, "/v1/customer-seats", &body).await).await;
    let path = format!(
        "/v1/customers/{}/members/{}",
        paid["customer_id"].as_str().unwrap(),
        seat["member_id"].as_str().unwrap()
    );
    let response = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let (_, after) = json(app.get_as(&org.token, &seat_path(&seat)).await).await;
    assert_eq!(after["status"], "revoked");
    assert_eq!(
        after["member"]["email"], "jane@globex.example",
        "history still names the holder"
    );
    assert_eq!(grants(&app, &org, "is_granted=true").await.len(), 0);
    assert_eq!(seats(&app, &org, &paid).await["available_seats"], 2);
    let log = audit_actions(&app, &org, &paid).await;
    assert_eq!(
        log.last().unwrap(),
        &("revoked".to_owned(), "system".to_owned())
    );
    let kinds = event_kinds(&app, &org).await;
    assert_eq!(kinds.last().unwrap(), "member.deleted");
}

async fn a_claim_body_without_a_token_is_a_validation_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.post_json("/v1/customer-seats/claim", &json!({})).await;
    assert_validation(response, json!(["body", "invitation_token"]), "missing").await;
    assert_error(claim(&app, "").await, 400, "InvalidInvitationToken").await;
}

async fn deleting_the_billing_customer_revokes_every_seat_and_benefit(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = pool_with_benefits(&app, &org, 3).await;
    let mut body = assign_body(&paid, "jane@globex.example");
    body["immediate_claim"] = json!(true);
    let (_, claimed) = json(app.post_as(&org.token, "/v1/customer-seats", &body).await).await;
    let pending = assign(&app, &org, &paid, "joe@globex.example").await;
    let path = format!("/v1/customers/{}", paid["customer_id"].as_str().unwrap());
    let response = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    for seat in [&claimed, &pending] {
        let (_, after) = json(app.get_as(&org.token, &seat_path(seat)).await).await;
        assert_eq!(after["status"], "revoked", "{after}");
    }
    assert_eq!(grants(&app, &org, "is_granted=true").await.len(), 0);
}

async fn a_customer_deleted_while_seats_are_being_assigned_keeps_no_active_seat_and_takes_no_more(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 60, Some("month")).await;
    let assigning: Vec<_> = (0..40)
        .map(|i| {
            let client = app.client.clone();
            let url = app.url("/v1/customer-seats");
            let token = org.token.clone();
            let body = assign_body(&paid, &format!("p{i}@globex.example"));
            tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let path = format!("/v1/customers/{}", paid["customer_id"].as_str().unwrap());
    let response = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    for attempt in assigning {
        let status = attempt.await.unwrap();
        assert!(status == 200 || status == 400 || status == 404, "{status}");
    }
    let (_, list) = json(
        app.get_as(
            &org.token,
            &format!("/v1/customer-seats?{}", pool_query(&paid)),
        )
        .await,
    )
    .await;
    let active = list["seats"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] != "revoked")
        .count();
    assert_eq!(
        active, 0,
        "every seat assigned before the deletion was revoked with it: {list}"
    );
    let late = app
        .post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&paid, "late@globex.example"),
        )
        .await;
    assert_error(late, 400, "SeatNotAvailable").await;
}

both_backends!(
    an_invitation_email_is_queued_with_the_seat_and_names_the_product_and_link,
    claim_info_describes_the_invitation_and_changes_nothing,
    claiming_grants_every_benefit_and_opens_a_member_session,
    twenty_parallel_claims_of_one_link_have_exactly_one_winner,
    an_invitation_expires_after_the_organizations_ttl_and_keeps_its_seat,
    resend_rotates_the_link_and_only_works_on_pending_seats,
    revoking_a_claimed_seat_revokes_its_grants_and_a_pending_one_kills_its_link,
    immediate_claim_claims_at_once_without_an_invitation,
    removing_a_member_revokes_their_seats_and_benefits,
    a_claim_body_without_a_token_is_a_validation_error,
    deleting_the_billing_customer_revokes_every_seat_and_benefit,
    a_customer_deleted_while_seats_are_being_assigned_keeps_no_active_seat_and_takes_no_more,
);
