//! `GET /v1/organizations/{id}`, `GET /v1/organizations` and `PATCH /v1/organizations/{id}` in
//! Polar's shape.

use serde_json::json;

use crate::{both_backends, helpers::*};

/// Fields the official Polar SDK requires on an organization.
const REQUIRED_FIELDS: &[&str] = &[
    "created_at",
    "modified_at",
    "id",
    "name",
    "slug",
    "avatar_url",
    "proration_behavior",
    "allow_customer_updates",
    "email",
    "website",
    "socials",
    "status",
    "details_submitted_at",
    "onboarding_resubmission_requested_at",
    "sso_enforced",
    "default_presentment_currency",
    "default_tax_behavior",
    "feature_settings",
    "subscription_settings",
    "customer_email_settings",
    "customer_portal_settings",
    "dispute_settings",
    "embed_hosts",
    "account_id",
    "payout_account_id",
    "capabilities",
];

async fn an_organization_carries_every_field_the_polar_sdk_requires(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme-inc").await;
    let (status, body) = json(
        app.get_as(&org.token, &format!("/v1/organizations/{}", org.id))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    for field in REQUIRED_FIELDS {
        assert!(body.get(field).is_some(), "missing {field} in {body}");
    }
    assert_eq!(body["slug"], "acme-inc");
    assert_eq!(body["name"], "Org acme-inc");
    assert_eq!(body["proration_behavior"], "prorate");
    assert_eq!(body["feature_settings"]["member_model_enabled"], true);
    let created = body["created_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok(),
        "{created}"
    );
}

async fn listing_returns_only_the_callers_organization_paginated(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    app.create_org("other").await;
    let (status, body) = json(app.get_as(&org.token, "/v1/organizations").await).await;
    assert_eq!(status, 200);
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    assert_eq!(body["items"][0]["id"], org.id.to_string());
    assert_eq!(body["pagination"]["total_count"], 1);
    assert_eq!(body["pagination"]["max_page"], 1);
}

async fn listing_by_another_slug_finds_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    app.create_org("other").await;
    let (_, body) = json(app.get_as(&org.token, "/v1/organizations?slug=other").await).await;
    assert_eq!(body["items"].as_array().unwrap().len(), 0);
    assert_eq!(body["pagination"]["total_count"], 0);
    let (_, body) = json(app.get_as(&org.token, "/v1/organizations?slug=acme").await).await;
    assert_eq!(body["pagination"]["total_count"], 1);
}

async fn an_organization_changes_its_name_email_and_default_proration(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let path = format!("/v1/organizations/{}", org.id);
    let body = json!({
        "name": "  Acme Corp ",
        "email": "billing@acme.example",
        "website": null,
        "subscription_settings": {
            "proration_behavior": "next_period",
            "allow_multiple_subscriptions": true,
            "benefit_revocation_grace_period": 14,
            "prevent_trial_abuse": false,
            "allow_customer_updates": true,
            "renewal_reminder_days": 3
        }
    });
    let (_, before) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(
        before["subscription_settings"]["benefit_revocation_grace_period"], 7,
        "a past-due subscription keeps its seats a week by default"
    );
    let (status, updated) = json(app.patch_as(&org.token, &path, &body).await).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        updated["subscription_settings"]["benefit_revocation_grace_period"],
        14
    );
    assert_eq!(updated["subscription_settings"]["renewal_reminder_days"], 3);
    assert_eq!(
        before["subscription_settings"]["renewal_reminder_days"], 7,
        "reminded a week before by default"
    );
    assert_eq!(updated["name"], "Acme Corp");
    assert_eq!(updated["email"], "billing@acme.example");
    assert_eq!(updated["proration_behavior"], "next_period");
    assert_eq!(
        updated["subscription_settings"]["proration_behavior"],
        "next_period"
    );
    assert!(updated["modified_at"].is_string());
    let (_, read) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(read, updated);
    let events = app.store().events(org.id).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind == "organization.updated")
            .count(),
        1
    );

    // Absent fields stay as they are.
    let (status, again) = json(
        app.patch_as(
            &org.token,
            &path,
            &json!({"subscription_settings": {"proration_behavior": "invoice"}}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (&again["name"], &again["proration_behavior"]),
        (&json!("Acme Corp"), &json!("invoice"))
    );
}

async fn an_organization_update_refuses_what_seatkeeper_does_not_keep(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let path = format!("/v1/organizations/{}", org.id);
    let refused = [
        (
            json!({"subscription_settings": {"allow_multiple_subscriptions": false}}),
            json!([
                "body",
                "subscription_settings",
                "allow_multiple_subscriptions"
            ]),
        ),
        (
            json!({"subscription_settings": {"proration_behavior": "reset"}}),
            json!(["body", "subscription_settings", "proration_behavior"]),
        ),
        (
            json!({"website": "https://acme.example"}),
            json!(["body", "website"]),
        ),
        (json!({"name": "   "}), json!(["body", "name"])),
        (json!({"slug": "other"}), json!(["body", "slug"])),
    ];
    for (body, loc) in refused {
        let response = app.patch_as(&org.token, &path, &body).await;
        let (status, error) = json(response).await;
        assert_eq!(status, 422, "{body}: {error}");
        assert_eq!(error["detail"][0]["loc"], loc, "{body}: {error}");
    }
    let (_, unchanged) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(unchanged["name"], "Org acme");
    assert_eq!(unchanged["proration_behavior"], "prorate");
}

async fn only_the_organizations_own_write_token_can_change_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let other = app.create_org("other").await;
    let path = format!("/v1/organizations/{}", org.id);
    let body = json!({"name": "Taken over"});
    assert_error(
        app.patch_as(&other.token, &path, &body).await,
        404,
        "ResourceNotFound",
    )
    .await;
    let read_only = app.token_with(&org, "organizations:read").await;
    assert_error(
        app.patch_as(&read_only, &path, &body).await,
        403,
        "NotPermitted",
    )
    .await;
    let response = app
        .client
        .patch(app.url(&path))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_error(response, 401, "Unauthorized").await;
    let (_, unchanged) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(unchanged["name"], "Org acme");
}

both_backends!(
    an_organization_carries_every_field_the_polar_sdk_requires,
    listing_returns_only_the_callers_organization_paginated,
    listing_by_another_slug_finds_nothing,
    an_organization_changes_its_name_email_and_default_proration,
    an_organization_update_refuses_what_seatkeeper_does_not_keep,
    only_the_organizations_own_write_token_can_change_it,
);
