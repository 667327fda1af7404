//! License keys: given with a claimed seat, read and changed by the merchant, validated, activated
//! and deactivated by the app they unlock (with the merchant's token or with the key alone), and
//! revoked with the seat.

use serde_json::{Value, json};

use crate::{
    both_backends,
    helpers::{entitlements::*, seats::*, *},
};

both_backends!(
    a_license_key_benefit_refuses_limits_and_lifetimes_a_key_could_not_have,
    a_key_the_merchant_revokes_loses_its_activations_and_stays_revoked,
    a_claimed_seat_gives_its_holder_a_key_the_merchant_can_read_and_list,
    a_key_validates_counts_its_validations_and_keeps_its_usage_within_the_limit,
    activations_stop_at_the_limit_and_deactivating_frees_a_place,
    parallel_activations_of_a_key_with_limit_two_let_exactly_two_through,
    parallel_validations_each_count_once_and_usage_stops_exactly_at_its_limit,
    validation_conditions_must_match_the_activations,
    a_revoked_seats_key_answers_not_found_and_loses_its_activations,
    the_key_alone_validates_without_a_token_and_only_in_its_organization,
    the_merchant_changes_a_keys_limits_status_and_expiry,
    a_one_time_orders_key_expires_after_the_benefits_ttl,
    a_session_sees_its_own_keys_and_a_billing_manager_the_teams,
    license_keys_need_their_scopes_and_stay_in_their_organization,
    one_key_used_too_often_by_its_holders_is_slowed_while_others_go_on,
    a_benefits_new_terms_apply_to_the_keys_it_gave_that_are_not_revoked,
);

async fn use_key(app: &TestApp, org: &TestOrg, action: &str, body: Value) -> reqwest::Response {
    app.post_as(&org.token, &format!("/v1/license-keys/{action}"), &body)
        .await
}

fn key_body(org: &TestOrg, key: &Value) -> Value {
    json!({"key": key["key"], "organization_id": org.id.to_string()})
}

fn with(mut body: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

async fn a_claimed_seat_gives_its_holder_a_key_the_merchant_can_read_and_list(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(
        &app,
        &org,
        json!({"prefix": "acme", "activations": {"limit": 2, "enable_customer_admin": false}, "limit_usage": 5}),
        3,
        Some("month"),
    )
    .await;
    let jane = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let key = key_of(&app, &org, &jane).await;
    let whole = key["key"].as_str().unwrap();
    assert!(whole.starts_with("ACME-"), "{whole}");
    assert_eq!(
        key["display_key"],
        format!("****-{}", &whole[whole.len() - 6..])
    );
    assert_eq!(key["customer_id"], paid["customer_id"]);
    assert_eq!(key["member"]["email"], "jane@globex.example");
    assert_eq!(key["customer"]["id"], paid["customer_id"]);
    assert_eq!(
        (key["limit_activations"].clone(), key["limit_usage"].clone()),
        (json!(2), json!(5))
    );
    assert_eq!(
        (key["usage"].clone(), key["validations"].clone()),
        (json!(0), json!(0))
    );
    assert!(
        key["expires_at"].is_null(),
        "a subscription's key follows it"
    );
    for field in ["modified_at", "last_validated_at", "expires_at"] {
        assert!(
            key.get(field).is_some(),
            "{field} is present even when null"
        );
    }

    let (status, one) = json(
        app.get_as(
            &org.token,
            &format!("/v1/license-keys/{}", key["id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["key"], key["key"]);
    assert_eq!(one["activations"], json!([]));

    // The grant names the key without showing it.
    let (_, grants) = json(
        app.get_as(
            &org.token,
            &format!(
                "/v1/benefit-grants?member_id={}",
                jane["member_id"].as_str().unwrap()
            ),
        )
        .await,
    )
    .await;
    let properties = &grants["items"][0]["properties"];
    assert_eq!(properties["license_key_id"], key["id"]);
    assert_eq!(properties["display_key"], key["display_key"]);
    assert!(
        !grants.to_string().contains(whole),
        "the whole key is not in a grant"
    );

    let john = claimed_seat(&app, &org, &paid, "john@globex.example").await;
    let (_, list) = json(
        app.get_as(
            &org.token,
            &format!(
                "/v1/license-keys?benefit_id={}&status=granted",
                properties_benefit(&one)
            ),
        )
        .await,
    )
    .await;
    assert_eq!(list["pagination"]["total_count"], 2, "{list}");
    assert_ne!(key_of(&app, &org, &john).await["key"], key["key"]);
    let (_, none) = json(
        app.get_as(&org.token, "/v1/license-keys?status=revoked")
            .await,
    )
    .await;
    assert_eq!(none["items"], json!([]));
    assert_validation(
        app.get_as(&org.token, "/v1/license-keys?status=lost").await,
        json!(["query", "status", 0]),
        "value_error",
    )
    .await;
}

fn properties_benefit(key: &Value) -> String {
    key["benefit_id"].as_str().unwrap().to_owned()
}

async fn a_key_validates_counts_its_validations_and_keeps_its_usage_within_the_limit(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(&app, &org, json!({"limit_usage": 5}), 1, Some("month")).await;
    let seat = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let key = key_of(&app, &org, &seat).await;

    let (status, validated) =
        json(use_key(&app, &org, "validate", key_body(&org, &key)).await).await;
    assert_eq!(status, 200, "{validated}");
    assert_eq!(validated["status"], "granted");
    assert_eq!(validated["validations"], 1);
    assert!(validated["last_validated_at"].is_string());
    assert!(validated.get("activation").is_none());

    let (status, used) = json(
        use_key(
            &app,
            &org,
            "validate",
            with(key_body(&org, &key), json!({"increment_usage": 4})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{used}");
    assert_eq!(
        (used["usage"].clone(), used["validations"].clone()),
        (json!(4), json!(2))
    );
    let refused = assert_error(
        use_key(
            &app,
            &org,
            "validate",
            with(key_body(&org, &key), json!({"increment_usage": 2})),
        )
        .await,
        400,
        "BadRequest",
    )
    .await;
    assert!(
        refused["detail"].as_str().unwrap().contains("1 more"),
        "{refused}"
    );
    // Exactly to the limit is fine; without an increment a used-up key still validates.
    let (status, full) = json(
        use_key(
            &app,
            &org,
            "validate",
            with(key_body(&org, &key), json!({"increment_usage": 1})),
        )
        .await,
    )
    .await;
    assert_eq!((status, full["usage"].clone()), (200, json!(5)));
    let (status, _) = json(use_key(&app, &org, "validate", key_body(&org, &key)).await).await;
    assert_eq!(status, 200);

    for (extra, what) in [
        (
            json!({"benefit_id": paid["customer_id"]}),
            "another benefit",
        ),
        (
            json!({"customer_id": org.id.to_string()}),
            "another customer",
        ),
    ] {
        assert_error(
            use_key(&app, &org, "validate", with(key_body(&org, &key), extra)).await,
            404,
            "ResourceNotFound",
        )
        .await;
        let _ = what;
    }
    let (status, matching) = json(
        use_key(
            &app,
            &org,
            "validate",
            with(
                key_body(&org, &key),
                json!({"benefit_id": key["benefit_id"], "customer_id": paid["customer_id"]}),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{matching}");
    assert_error(
        use_key(
            &app,
            &org,
            "validate",
            json!({"key": "ACME-NOPE", "organization_id": org.id.to_string()}),
        )
        .await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_validation(
        use_key(&app, &org, "validate", json!({"key": key["key"]})).await,
        json!(["body", "organization_id"]),
        "missing",
    )
    .await;
}

async fn activations_stop_at_the_limit_and_deactivating_frees_a_place(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(
        &app,
        &org,
        json!({"activations": {"limit": 2, "enable_customer_admin": true}}),
        1,
        Some("month"),
    )
    .await;
    let seat = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let key = key_of(&app, &org, &seat).await;
    let activate = |label: &str| {
        with(
            key_body(&org, &key),
            json!({"label": label, "meta": {"os": "linux"}}),
        )
    };
    let (status, laptop) = json(use_key(&app, &org, "activate", activate("laptop")).await).await;
    assert_eq!(status, 200, "{laptop}");
    assert_eq!(laptop["label"], "laptop");
    assert_eq!(laptop["meta"], json!({"os": "linux"}));
    assert_eq!(laptop["license_key"]["id"], key["id"]);
    assert!(
        laptop.get("conditions").is_none(),
        "conditions are never shown"
    );
    let (status, _) = json(use_key(&app, &org, "activate", activate("desktop")).await).await;
    assert_eq!(status, 200);
    let full = assert_error(
        use_key(&app, &org, "activate", activate("phone")).await,
        403,
        "NotPermitted",
    )
    .await;
    assert!(full["detail"].as_str().unwrap().contains("limit"), "{full}");

    let key_path = format!("/v1/license-keys/{}", key["id"].as_str().unwrap());
    let (_, with_activations) = json(app.get_as(&org.token, &key_path).await).await;
    assert_eq!(with_activations["activations"].as_array().unwrap().len(), 2);
    let activation_path = format!("{key_path}/activations/{}", laptop["id"].as_str().unwrap());
    let (status, one) = json(app.get_as(&org.token, &activation_path).await).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["license_key"]["key"], key["key"]);

    // The activation validates with its id.
    let (status, validated) = json(
        use_key(
            &app,
            &org,
            "validate",
            with(key_body(&org, &key), json!({"activation_id": laptop["id"]})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{validated}");
    assert_eq!(validated["activation"]["id"], laptop["id"]);

    let deactivate = with(key_body(&org, &key), json!({"activation_id": laptop["id"]}));
    let response = use_key(&app, &org, "deactivate", deactivate.clone()).await;
    assert_eq!(response.status().as_u16(), 204);
    assert_error(
        use_key(&app, &org, "deactivate", deactivate).await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_error(
        app.get_as(&org.token, &activation_path).await,
        404,
        "ResourceNotFound",
    )
    .await;
    let (status, _) = json(use_key(&app, &org, "activate", activate("phone")).await).await;
    assert_eq!(status, 200, "a freed place is taken again");

    // A key without activations refuses them.
    let plain = keyed_pool(&app, &org, json!({}), 1, Some("month")).await;
    let john = claimed_seat(&app, &org, &plain, "john@globex.example").await;
    let no_activations = key_of(&app, &org, &john).await;
    let refused = assert_error(
        use_key(
            &app,
            &org,
            "activate",
            with(key_body(&org, &no_activations), json!({"label": "laptop"})),
        )
        .await,
        403,
        "NotPermitted",
    )
    .await;
    assert!(
        refused["detail"].as_str().unwrap().contains("/validate"),
        "{refused}"
    );
}

async fn parallel_activations_of_a_key_with_limit_two_let_exactly_two_through(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(
        &app,
        &org,
        json!({"activations": {"limit": 2, "enable_customer_admin": false}}),
        1,
        Some("month"),
    )
    .await;
    let seat = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let key = key_of(&app, &org, &seat).await;
    let attempts = (0..16).map(|n| {
        let body = with(
            key_body(&org, &key),
            json!({"label": format!("device {n}")}),
        );
        let (app, org) = (&app, &org);
        async move { json(use_key(app, org, "activate", body).await).await }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let granted = answers.iter().filter(|(status, _)| *status == 200).count();
    let refused = answers
        .iter()
        .filter(|(status, body)| *status == 403 && body["error"] == "NotPermitted")
        .count();
    assert_eq!((granted, refused), (2, 14), "{answers:?}");
    let (_, now) = json(
        app.get_as(
            &org.token,
            &format!("/v1/license-keys/{}", key["id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    assert_eq!(now["activations"].as_array().unwrap().len(), 2);
}

/// Validations answered together (SQLite commits the ones waiting for its writer in one
/// transaction) are still each their own guarded update: every answer shows its own count, the
/// usage limit lets exactly its worth through, and every count is in the database when answered.
async fn parallel_validations_each_count_once_and_usage_stops_exactly_at_its_limit(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(&app, &org, json!({"limit_usage": 10}), 1, Some("month")).await;
    let seat = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let key = key_of(&app, &org, &seat).await;
    let validate_all = |count: usize, increment: u32| {
        let attempts = (0..count).map(|_| {
            let body = with(key_body(&org, &key), json!({"increment_usage": increment}));
            let app = &app;
            async move {
                json(
                    app.post_json("/v1/customer-portal/license-keys/validate", &body)
                        .await,
                )
                .await
            }
        });
        futures_util::future::join_all(attempts)
    };
    let counted = |answers: &[(u16, Value)], field: &str| {
        let mut values: Vec<i64> = answers
            .iter()
            .filter(|(status, _)| *status == 200)
            .map(|(_, body)| body[field].as_i64().unwrap())
            .collect();
        values.sort_unstable();
        values
    };

    let answers = validate_all(24, 1).await;
    let refused = answers
        .iter()
        .filter(|(status, body)| *status == 400 && body["error"] == "BadRequest")
        .count();
    assert_eq!(counted(&answers, "usage"), (1..=10).collect::<Vec<_>>());
    assert_eq!(
        counted(&answers, "validations"),
        (1..=10).collect::<Vec<_>>()
    );
    assert_eq!(refused, 14, "{answers:?}");

    let answers = validate_all(16, 0).await;
    assert_eq!(
        counted(&answers, "validations"),
        (11..=26).collect::<Vec<_>>()
    );
    assert_eq!(counted(&answers, "usage"), vec![10; 16]);
    // The test's database holds this one key.
    assert_eq!(
        app.integers("SELECT validations FROM license_keys").await,
        vec![26]
    );
}

async fn validation_conditions_must_match_the_activations(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(
        &app,
        &org,
        json!({"activations": {"limit": 3, "enable_customer_admin": false}}),
        1,
        Some("month"),
    )
    .await;
    let seat = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let key = key_of(&app, &org, &seat).await;
    let conditions = json!({"major_version": 3, "machine": "abc"});
    let (status, bound) = json(
        use_key(
            &app,
            &org,
            "activate",
            with(
                key_body(&org, &key),
                json!({"label": "laptop", "conditions": conditions}),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{bound}");
    let validate = |conditions: Value| {
        with(
            key_body(&org, &key),
            json!({"activation_id": bound["id"], "conditions": conditions}),
        )
    };
    let (status, _) =
        json(use_key(&app, &org, "validate", validate(conditions.clone())).await).await;
    assert_eq!(status, 200);
    for wrong in [
        json!({"major_version": 4, "machine": "abc"}),
        json!({"machine": "abc"}),
        json!({}),
    ] {
        let refused = assert_error(
            use_key(&app, &org, "validate", validate(wrong)).await,
            404,
            "ResourceNotFound",
        )
        .await;
        assert!(
            refused["detail"].as_str().unwrap().contains("conditions"),
            "{refused}"
        );
    }
    // An activation without conditions accepts any.
    let (_, free) = json(
        use_key(
            &app,
            &org,
            "activate",
            with(key_body(&org, &key), json!({"label": "desktop"})),
        )
        .await,
    )
    .await;
    let (status, _) = json(
        use_key(
            &app,
            &org,
            "validate",
            with(
                key_body(&org, &key),
                json!({"activation_id": free["id"], "conditions": {"x": 1}}),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
}

async fn a_revoked_seats_key_answers_not_found_and_loses_its_activations(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(
        &app,
        &org,
        json!({"activations": {"limit": 2, "enable_customer_admin": false}}),
        1,
        Some("month"),
    )
    .await;
    let seat = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let key = key_of(&app, &org, &seat).await;
    let (status, activation) = json(
        use_key(
            &app,
            &org,
            "activate",
            with(key_body(&org, &key), json!({"label": "laptop"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let response = app.delete_as(&org.token, &seat_path(&seat)).await;
    assert_eq!(response.status().as_u16(), 200);

    let gone = assert_error(
        use_key(&app, &org, "validate", key_body(&org, &key)).await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert!(
        gone["detail"]
            .as_str()
            .unwrap()
            .contains("no longer active"),
        "{gone}"
    );
    assert_error(
        use_key(
            &app,
            &org,
            "activate",
            with(key_body(&org, &key), json!({"label": "x"})),
        )
        .await,
        403,
        "NotPermitted",
    )
    .await;
    let key_path = format!("/v1/license-keys/{}", key["id"].as_str().unwrap());
    let (_, revoked) = json(app.get_as(&org.token, &key_path).await).await;
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["activations"], json!([]));
    assert_error(
        app.get_as(
            &org.token,
            &format!(
                "{key_path}/activations/{}",
                activation["id"].as_str().unwrap()
            ),
        )
        .await,
        404,
        "ResourceNotFound",
    )
    .await;
    // The merchant cannot grant it again; a new seat for the same person brings a new key.
    let refused = json(
        app.patch_as(&org.token, &key_path, &json!({"status": "granted"}))
            .await,
    )
    .await;
    assert_eq!(refused.0, 422, "{}", refused.1);
    let again = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let fresh = key_of(&app, &org, &again).await;
    assert_ne!(fresh["key"], key["key"]);
    assert_eq!(fresh["status"], "granted");
}

async fn the_key_alone_validates_without_a_token_and_only_in_its_organization(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let other = app.create_org("globex").await;
    let paid = keyed_pool(
        &app,
        &org,
        json!({"activations": {"limit": 1, "enable_customer_admin": false}}),
        1,
        Some("month"),
    )
    .await;
    let seat = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let key = key_of(&app, &org, &seat).await;
    let public = |action: &str| format!("/v1/customer-portal/license-keys/{action}");

    let (status, validated) = json(
        app.post_json(&public("validate"), &key_body(&org, &key))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{validated}");
    assert_eq!(validated["validations"], 1);
    // Whatever bearer the app's client sends is not looked at.
    let (status, _) = json(
        app.post_as("not-a-token", &public("validate"), &key_body(&org, &key))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let (status, activation) = json(
        app.post_json(
            &public("activate"),
            &with(key_body(&org, &key), json!({"label": "laptop"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{activation}");
    let response = app
        .post_json(
            &public("deactivate"),
            &with(
                key_body(&org, &key),
                json!({"activation_id": activation["id"]}),
            ),
        )
        .await;
    assert_eq!(response.status().as_u16(), 204);

    // Named under another organization, the key does not exist.
    let elsewhere = json!({"key": key["key"], "organization_id": other.id.to_string()});
    assert_error(
        app.post_json(&public("validate"), &elsewhere).await,
        404,
        "ResourceNotFound",
    )
    .await;
    // Nor with another organization's token naming the key's organization.
    assert_error(
        app.post_as(
            &other.token,
            "/v1/license-keys/validate",
            &key_body(&org, &key),
        )
        .await,
        404,
        "ResourceNotFound",
    )
    .await;
}

async fn the_merchant_changes_a_keys_limits_status_and_expiry(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(
        &app,
        &org,
        json!({"activations": {"limit": 1, "enable_customer_admin": false}, "limit_usage": 3}),
        1,
        Some("month"),
    )
    .await;
    let seat = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let key = key_of(&app, &org, &seat).await;
    let path = format!("/v1/license-keys/{}", key["id"].as_str().unwrap());

    let (status, changed) = json(
        app.patch_as(
            &org.token,
            &path,
            &json!({"limit_activations": 3, "limit_usage": null, "usage": 2}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["limit_activations"], 3);
    assert!(changed["limit_usage"].is_null());
    assert_eq!(changed["usage"], 2);
    assert_eq!(changed["key"], key["key"], "a change keeps the key");

    let (status, disabled) = json(
        app.patch_as(&org.token, &path, &json!({"status": "disabled"}))
            .await,
    )
    .await;
    assert_eq!(
        (status, disabled["status"].clone()),
        (200, json!("disabled"))
    );
    assert_error(
        use_key(&app, &org, "validate", key_body(&org, &key)).await,
        404,
        "ResourceNotFound",
    )
    .await;
    let (status, _) = json(
        app.patch_as(&org.token, &path, &json!({"status": "granted"}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "a disabled key is granted again");

    let past = (chrono::Utc::now() - chrono::TimeDelta::days(1)).to_rfc3339();
    let (status, _) = json(
        app.patch_as(&org.token, &path, &json!({"expires_at": past}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let expired = assert_error(
        use_key(&app, &org, "validate", key_body(&org, &key)).await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert!(
        expired["detail"].as_str().unwrap().contains("expired"),
        "{expired}"
    );
    let (status, _) = json(
        app.patch_as(&org.token, &path, &json!({"expires_at": null}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = json(use_key(&app, &org, "validate", key_body(&org, &key)).await).await;
    assert_eq!(status, 200, "a cleared expiry validates again");

    for bad in [
        json!({"limit_activations": 0}),
        json!({"limit_usage": 3_000_000_000_u64}),
        json!({"status": null}),
        json!({"usage": null}),
        json!({"status": "lost"}),
        json!({"usage": -1}),
        json!({"color": "red"}),
    ] {
        let (status, body) = json(app.patch_as(&org.token, &path, &bad).await).await;
        assert_eq!(status, 422, "{bad} gave {body}");
    }
    assert_error(
        app.patch_as(
            &org.token,
            &format!("/v1/license-keys/{}", uuid::Uuid::now_v7()),
            &json!({"usage": 1}),
        )
        .await,
        404,
        "ResourceNotFound",
    )
    .await;
}

async fn a_one_time_orders_key_expires_after_the_benefits_ttl(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(
        &app,
        &org,
        json!({"expires": {"ttl": 2, "timeframe": "day"}}),
        1,
        None,
    )
    .await;
    let seat = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let key = key_of(&app, &org, &seat).await;
    let expires_at: chrono::DateTime<chrono::Utc> =
        key["expires_at"].as_str().unwrap().parse().unwrap();
    let granted: chrono::DateTime<chrono::Utc> =
        key["created_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires_at - granted, chrono::TimeDelta::days(2));
    let (status, _) = json(use_key(&app, &org, "validate", key_body(&org, &key)).await).await;
    assert_eq!(status, 200);
    app.advance_clock(&json!({"seconds": 2 * 86_400 + 1})).await;
    let expired = assert_error(
        use_key(&app, &org, "validate", key_body(&org, &key)).await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert!(
        expired["detail"].as_str().unwrap().contains("expired"),
        "{expired}"
    );
}

async fn a_session_sees_its_own_keys_and_a_billing_manager_the_teams(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(&app, &org, json!({}), 3, Some("month")).await;
    let jane = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let john = claimed_seat(&app, &org, &paid, "john@globex.example").await;
    let jane_key = key_of(&app, &org, &jane).await;
    let john_key = key_of(&app, &org, &john).await;
    let session = |member: &Value| {
        let body = json!({"customer_id": paid["customer_id"], "member_id": member});
        let (app, org) = (&app, &org);
        async move {
            let (status, session) = json(
                app.post_as(&org.token, "/v1/customer-sessions", &body)
                    .await,
            )
            .await;
            assert_eq!(status, 201, "{session}");
            session["token"].as_str().unwrap().to_owned()
        }
    };
    let jane_session = session(&jane["member_id"]).await;
    let (status, own) = json(
        app.get_as(&jane_session, "/v1/customer-portal/license-keys")
            .await,
    )
    .await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["pagination"]["total_count"], 1);
    assert_eq!(own["items"][0]["key"], jane_key["key"]);
    let johns = format!(
        "/v1/customer-portal/license-keys/{}",
        john_key["id"].as_str().unwrap()
    );
    assert_error(
        app.get_as(&jane_session, &johns).await,
        404,
        "ResourceNotFound",
    )
    .await;

    // The owner (the billing manager who bought) sees the team's keys.
    let (_, members) = json(
        app.get_as(
            &org.token,
            &format!(
                "/v1/customers/{}/members",
                paid["customer_id"].as_str().unwrap()
            ),
        )
        .await,
    )
    .await;
    let owner = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "owner")
        .unwrap()["id"]
        .clone();
    let owner_session = session(&owner).await;
    let (_, team) = json(
        app.get_as(&owner_session, "/v1/customer-portal/license-keys")
            .await,
    )
    .await;
    assert_eq!(team["pagination"]["total_count"], 2, "{team}");
    let (status, one) = json(app.get_as(&owner_session, &johns).await).await;
    assert_eq!((status, one["key"].clone()), (200, john_key["key"].clone()));
    assert_error(
        app.get("/v1/customer-portal/license-keys").await,
        401,
        "Unauthorized",
    )
    .await;
}

async fn license_keys_need_their_scopes_and_stay_in_their_organization(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let other = app.create_org("globex").await;
    let paid = keyed_pool(&app, &org, json!({}), 1, Some("month")).await;
    let seat = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let key = key_of(&app, &org, &seat).await;
    let path = format!("/v1/license-keys/{}", key["id"].as_str().unwrap());
    assert_error(
        app.get_as(&other.token, &path).await,
        404,
        "ResourceNotFound",
    )
    .await;
    let (_, theirs) = json(app.get_as(&other.token, "/v1/license-keys").await).await;
    assert_eq!(theirs["items"], json!([]));
    let (_, named) = json(
        app.get_as(
            &other.token,
            &format!("/v1/license-keys?organization_id={}", org.id),
        )
        .await,
    )
    .await;
    assert_eq!(
        named["items"],
        json!([]),
        "naming another organization shows nothing"
    );
    assert_error(
        app.patch_as(&other.token, &path, &json!({"status": "disabled"}))
            .await,
        404,
        "ResourceNotFound",
    )
    .await;

    let reader = app.token_with(&org, "license_keys:read").await;
    let (status, _) = json(app.get_as(&reader, &path).await).await;
    assert_eq!(status, 200);
    assert_error(
        app.post_as(&reader, "/v1/license-keys/validate", &key_body(&org, &key))
            .await,
        403,
        "NotPermitted",
    )
    .await;
    let seats_only = app.token_with(&org, "customer_seats:write").await;
    assert_error(app.get_as(&seats_only, &path).await, 403, "NotPermitted").await;
}

async fn a_license_key_benefit_refuses_limits_and_lifetimes_a_key_could_not_have(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    for properties in [
        json!({"activations": {"limit": 0, "enable_customer_admin": false}}),
        json!({"limit_usage": 0}),
        json!({"expires": {"ttl": 0, "timeframe": "day"}}),
        json!({"expires": {"ttl": 458, "timeframe": "year"}}),
        json!({"expires": {"ttl": 36_501, "timeframe": "day"}}),
    ] {
        let body = json!({"type": "license_keys", "description": "Key", "properties": properties});
        let (status, refused) = json(app.post_as(&org.token, "/v1/benefits", &body).await).await;
        assert_eq!(status, 422, "{properties} gave {refused}");
    }
    let body = json!({"type": "license_keys", "description": "Key",
        "properties": {"expires": {"ttl": 457, "timeframe": "year"}, "limit_usage": 1}});
    let (status, _) = json(app.post_as(&org.token, "/v1/benefits", &body).await).await;
    assert_eq!(status, 201);
}

async fn a_key_the_merchant_revokes_loses_its_activations_and_stays_revoked(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(
        &app,
        &org,
        json!({"activations": {"limit": 2, "enable_customer_admin": false}}),
        1,
        Some("month"),
    )
    .await;
    let seat = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let key = key_of(&app, &org, &seat).await;
    let (status, _) = json(
        use_key(
            &app,
            &org,
            "activate",
            with(key_body(&org, &key), json!({"label": "laptop"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let path = format!("/v1/license-keys/{}", key["id"].as_str().unwrap());
    let (status, revoked) = json(
        app.patch_as(&org.token, &path, &json!({"status": "revoked"}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    let (_, now) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(
        (now["status"].clone(), now["activations"].clone()),
        (json!("revoked"), json!([]))
    );
    for status in ["granted", "disabled"] {
        let (code, body) = json(
            app.patch_as(&org.token, &path, &json!({"status": status}))
                .await,
        )
        .await;
        assert_eq!(code, 422, "{body}");
    }
    let (status, _) = json(app.patch_as(&org.token, &path, &json!({"usage": 1})).await).await;
    assert_eq!(status, 200, "other fields of a revoked key may change");
    // Revoking the seat afterwards leaves nothing behind.
    let response = app.delete_as(&org.token, &seat_path(&seat)).await;
    assert_eq!(response.status().as_u16(), 200);
}

async fn one_key_used_too_often_by_its_holders_is_slowed_while_others_go_on(backend: Backend) {
    let app = spawn_app_with(
        backend,
        AppOptions {
            rate_limit: Some(8),
            ..AppOptions::default()
        },
    )
    .await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(&app, &org, json!({}), 2, Some("month")).await;
    let jane = key_of(
        &app,
        &org,
        &claimed_seat(&app, &org, &paid, "jane@globex.example").await,
    )
    .await;
    let john = key_of(
        &app,
        &org,
        &claimed_seat(&app, &org, &paid, "john@globex.example").await,
    )
    .await;
    let validate = |key: &Value| {
        let body = key_body(&org, key);
        let app = &app;
        async move {
            app.post_json("/v1/customer-portal/license-keys/validate", &body)
                .await
        }
    };
    // 8 a minute per key (one more every 7.5 s), in bursts of 10; the address's own budget for
    // these calls (ten times the public rate, in bursts of 20) is not spent.
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(validate(&jane).await.status().as_u16());
    }
    assert_eq!(statuses[..10], [200; 10]);
    assert_eq!(statuses[10..], [429, 429]);
    let refused = validate(&jane).await;
    assert!(refused.headers().get("retry-after").is_some());
    assert_error(refused, 429, "TooManyRequests").await;
    assert_eq!(validate(&john).await.status(), 200, "another key goes on");
    // The merchant's own calls with its token are not the key holders'.
    assert_eq!(
        use_key(&app, &org, "validate", key_body(&org, &jane))
            .await
            .status(),
        200
    );
}

async fn a_benefits_new_terms_apply_to_the_keys_it_gave_that_are_not_revoked(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let terms = json!({"expires": {"ttl": 7, "timeframe": "day"}, "activations": {"limit": 1, "enable_customer_admin": false}});
    let order = keyed_pool(&app, &org, terms, 2, None).await;
    let jane = claimed_seat(&app, &org, &order, "jane@globex.example").await;
    let john = claimed_seat(&app, &org, &order, "john@globex.example").await;
    let janes = key_of(&app, &org, &jane).await;
    let johns = key_of(&app, &org, &john).await;
    let (status, _) = json(
        app.post_json(
            "/v1/customer-portal/license-keys/activate",
            &with(key_body(&org, &janes), json!({"label": "laptop"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let jane_session = session_of(&app, &org, &order["customer_id"], &jane["member_id"]).await;
    let portal_key = format!(
        "/v1/customer-portal/license-keys/{}",
        janes["id"].as_str().unwrap()
    );
    let (_, seen) = json(app.get_as(&jane_session, &portal_key).await).await;
    assert_eq!(
        seen["activations"],
        json!([]),
        "the holder sees no activations unless the benefit lets holders manage them"
    );
    let response = app.delete_as(&org.token, &seat_path(&john)).await;
    assert_eq!(response.status().as_u16(), 200);

    let benefit = format!("/v1/benefits/{}", janes["benefit_id"].as_str().unwrap());
    let terms = json!({"type": "license_keys", "properties": {
        "expires": {"ttl": 30, "timeframe": "day"},
        "activations": {"limit": 3, "enable_customer_admin": true},
        "limit_usage": 5
    }});
    let (status, body) = json(app.patch_as(&org.token, &benefit, &terms).await).await;
    assert_eq!(status, 200, "{body}");
    let read = |key: &Value| {
        let path = format!("/v1/license-keys/{}", key["id"].as_str().unwrap());
        let (app, org) = (&app, &org);
        async move { json(app.get_as(&org.token, &path).await).await.1 }
    };
    let now = read(&janes).await;
    assert_eq!(now["limit_activations"], 3);
    assert_eq!(now["limit_usage"], 5);
    let granted: chrono::DateTime<chrono::Utc> =
        janes["created_at"].as_str().unwrap().parse().unwrap();
    let expires: chrono::DateTime<chrono::Utc> =
        now["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        expires - granted,
        chrono::TimeDelta::days(30),
        "re-dated from the grant"
    );
    assert_eq!(
        now["activations"].as_array().unwrap().len(),
        1,
        "activations are kept"
    );
    let (_, seen) = json(app.get_as(&jane_session, &portal_key).await).await;
    assert_eq!(seen["activations"].as_array().unwrap().len(), 1);
    let revoked = read(&johns).await;
    assert_eq!(
        revoked["limit_activations"], 1,
        "a revoked key keeps what it had"
    );
    assert_eq!(revoked["status"], "revoked");

    // Terms removed: no limits, no expiry.
    let (status, _) = json(
        app.patch_as(
            &org.token,
            &benefit,
            &json!({"type": "license_keys", "properties": {}}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let now = read(&janes).await;
    assert!(now["limit_activations"].is_null() && now["limit_usage"].is_null());
    assert!(now["expires_at"].is_null());
    // A description alone changes no key (a minute later, a key it touched would say so).
    let response = app.advance_clock(&json!({"seconds": 60})).await;
    assert_eq!(response.status().as_u16(), 200);
    let (status, _) = json(
        app.patch_as(
            &org.token,
            &benefit,
            &json!({"type": "license_keys", "description": "App"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(read(&janes).await["modified_at"], now["modified_at"]);
}
