//! `seatkeeper dev seed`: the bulk-written pools read back through the API as pools the system made
//! itself would, and keep enforcing their capacity.

use app::{model::Slug, server::service::SeedRequest};
use serde_json::json;

use crate::{
    both_backends,
    helpers::{seats::*, *},
};

async fn seeded_pools_read_back_through_the_api_and_keep_their_capacity(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let request = SeedRequest {
        organization: Some(Slug::parse("acme").unwrap()),
        pools: 3,
        seats_per_pool: 10,
    };
    let seeded = app.services.seed(request, |_| {}).await.unwrap();
    assert!(
        seeded.access_token.is_none(),
        "an existing org gets no new token to show"
    );
    let counts = seeded.counts;
    assert_eq!((counts.pools, counts.seats), (3, 30));
    assert_eq!(counts.members, 33, "an owner and ten members per pool");
    assert_eq!(counts.grants, 21, "one grant per claimed seat");
    assert_eq!(counts.audit_entries, 30 + 21 + 3);
    assert_eq!(counts.emails, 30);

    let (status, subscriptions) = json(app.get_as(&org.token, "/v1/subscriptions").await).await;
    assert_eq!(status, 200, "{subscriptions}");
    let items = subscriptions["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{subscriptions}");
    let pool = json!({"subscription_id": items[0]["id"]});
    assert_eq!(items[0]["status"], "active");
    assert_eq!(items[0]["seats"], 10);

    let list = seats(&app, &org, &pool).await;
    let statuses: Vec<&str> = list["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    let count = |status| statuses.iter().filter(|s| **s == status).count();
    assert_eq!(
        (count("claimed"), count("pending"), count("revoked")),
        (7, 2, 1),
        "{list}"
    );
    assert_eq!(list["total_seats"], 10);
    assert_eq!(list["available_seats"], 1);

    let one_more = app
        .post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&pool, "new@x.example"),
        )
        .await;
    assert_eq!(one_more.status(), 200);
    let full = app
        .post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&pool, "late@x.example"),
        )
        .await;
    assert_error(full, 400, "SeatNotAvailable").await;
    let after = seats(&app, &org, &pool).await;
    assert_eq!(
        after["available_seats"], 0,
        "the list saw the new seat: {after}"
    );
}

async fn seeding_an_unknown_organization_is_refused_and_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let request = SeedRequest {
        organization: Some(Slug::parse("nobody").unwrap()),
        pools: 2,
        seats_per_pool: 3,
    };
    let err = app.services.seed(request, |_| {}).await.unwrap_err();
    assert_eq!(err.status(), 404);
    assert!(err.body().detail_text().contains("\"nobody\""));
    let (_, subscriptions) = json(app.get_as(&org.token, "/v1/subscriptions").await).await;
    assert_eq!(subscriptions["items"].as_array().unwrap().len(), 0);
}

both_backends!(
    seeded_pools_read_back_through_the_api_and_keep_their_capacity,
    seeding_an_unknown_organization_is_refused_and_writes_nothing,
);
