//! `GET /v1/organizations/{id}` and `GET /v1/organizations` in Polar's shape.

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

both_backends!(
    an_organization_carries_every_field_the_polar_sdk_requires,
    listing_returns_only_the_callers_organization_paginated,
    listing_by_another_slug_finds_nothing,
);
