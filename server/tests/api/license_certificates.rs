//! Offline license certificates: signed statements of a key that an app checks with the
//! organization's published public key (as the README shows), for the merchant's token or the key
//! alone; refused for keys that no longer validate; the signing key rotated.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ring::signature::{ED25519, UnparsedPublicKey};
use serde_json::{Value, json};

use crate::{
    both_backends,
    helpers::{entitlements::*, seats::*, *},
};

both_backends!(
    a_certificate_states_the_key_and_verifies_with_the_published_public_key,
    the_key_alone_gets_a_certificate_for_its_device,
    a_key_that_no_longer_validates_gets_no_certificate,
    a_rotated_signing_key_stays_published_for_the_certificates_it_signed,
);

/// The payload of `certificate` if its signature verifies with `public_key` (base64url).
fn verified(certificate: &str, public_key: &str) -> Option<Value> {
    let (payload, signature) = certificate.split_once('.')?;
    let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let key = URL_SAFE_NO_PAD.decode(public_key).ok()?;
    UnparsedPublicKey::new(&ED25519, key)
        .verify(&payload, &signature)
        .ok()?;
    serde_json::from_slice(&payload).ok()
}

async fn public_keys(app: &TestApp, org: &TestOrg) -> Value {
    let (status, keys) = json(
        app.get(&format!("/v1/organizations/{}/license-public-key", org.id))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{keys}");
    keys
}

async fn certificate(app: &TestApp, org: &TestOrg, key: &Value) -> (u16, Value) {
    json(
        app.get_as(
            &org.token,
            &format!(
                "/v1/license-keys/{}/certificate",
                key["id"].as_str().unwrap()
            ),
        )
        .await,
    )
    .await
}

fn time(value: &Value) -> chrono::DateTime<chrono::Utc> {
    value.as_str().unwrap().parse().unwrap()
}

async fn a_certificate_states_the_key_and_verifies_with_the_published_public_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(
        &app,
        &org,
        json!({"activations": {"limit": 2, "enable_customer_admin": true}}),
        2,
        Some("month"),
    )
    .await;
    let seat = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let key = key_of(&app, &org, &seat).await;

    let (status, issued) = certificate(&app, &org, &key).await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["algorithm"], "Ed25519");
    let published = public_keys(&app, &org).await;
    assert_eq!(published["key_id"], issued["key_id"]);
    assert_eq!(published["organization_id"], org.id.to_string());
    assert_eq!(published["previous_keys"], json!([]));
    assert!(
        published["public_key_pem"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    let payload = verified(
        issued["certificate"].as_str().unwrap(),
        published["public_key"].as_str().unwrap(),
    )
    .expect("the certificate verifies with the published key");
    assert_eq!(payload, issued["payload"]);
    assert_eq!(payload["key"], key["key"]);
    assert_eq!(payload["license_key_id"], key["id"]);
    assert_eq!(payload["member_id"], seat["member_id"]);
    assert_eq!(payload["benefit_id"], key["benefit_id"]);
    assert_eq!(payload["limit_activations"], 2);
    assert!(
        payload["expires_at"].is_null(),
        "a subscription's key has no expiry"
    );
    assert_eq!(
        time(&payload["valid_until"]) - time(&payload["issued_at"]),
        chrono::TimeDelta::days(30),
        "good for 30 days"
    );

    // A forged payload does not verify.
    let (_, signature) = issued["certificate"]
        .as_str()
        .unwrap()
        .split_once('.')
        .unwrap();
    let mut forged = payload.clone();
    forged["limit_activations"] = json!(1000);
    let forged = format!(
        "{}.{signature}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap())
    );
    assert!(verified(&forged, published["public_key"].as_str().unwrap()).is_none());

    // Another organization neither reads the key's certificate nor shares the signing key.
    let other = app.create_org("globex").await;
    let (status, _) = certificate(&app, &other, &key).await;
    assert_eq!(status, 404);
    assert_ne!(
        public_keys(&app, &other).await["key_id"],
        published["key_id"]
    );
    let no_keys = app.token_with(&org, "customers:read").await;
    assert_error(
        app.get_as(
            &no_keys,
            &format!(
                "/v1/license-keys/{}/certificate",
                key["id"].as_str().unwrap()
            ),
        )
        .await,
        403,
        "NotPermitted",
    )
    .await;
    assert_error(
        app.get(&format!(
            "/v1/organizations/{}/license-public-key",
            uuid::Uuid::now_v7()
        ))
        .await,
        404,
        "ResourceNotFound",
    )
    .await;
}

async fn the_key_alone_gets_a_certificate_for_its_device(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(
        &app,
        &org,
        json!({"activations": {"limit": 2, "enable_customer_admin": false}}),
        2,
        Some("month"),
    )
    .await;
    let seat = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let key = key_of(&app, &org, &seat).await;
    let body = json!({"key": key["key"], "organization_id": org.id});
    let (status, activation) = json(
        app.post_json(
            "/v1/customer-portal/license-keys/activate",
            &json!({"key": key["key"], "organization_id": org.id, "label": "laptop"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{activation}");
    let mut for_device = body.clone();
    for_device["activation_id"] = activation["id"].clone();
    let (status, issued) = json(
        app.post_json("/v1/customer-portal/license-keys/certificate", &for_device)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{issued}");
    let published = public_keys(&app, &org).await;
    let payload = verified(
        issued["certificate"].as_str().unwrap(),
        published["public_key"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(payload["activation_id"], activation["id"]);

    // Not counted as a validation.
    let (_, read) = json(
        app.get_as(
            &org.token,
            &format!("/v1/license-keys/{}", key["id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    assert_eq!(read["validations"], 0);

    // A key limited to two devices is certified only for one of its activations.
    assert_error(
        app.post_json("/v1/customer-portal/license-keys/certificate", &body)
            .await,
        403,
        "NotPermitted",
    )
    .await;
    let mut unknown = body.clone();
    unknown["activation_id"] = json!(uuid::Uuid::now_v7());
    let mut wrong_org = body.clone();
    wrong_org["organization_id"] = json!(uuid::Uuid::now_v7());
    let mut wrong_key = body.clone();
    wrong_key["key"] = json!("NOT-A-KEY");
    for body in [unknown, wrong_org, wrong_key] {
        assert_error(
            app.post_json("/v1/customer-portal/license-keys/certificate", &body)
                .await,
            404,
            "ResourceNotFound",
        )
        .await;
    }
    let (status, _) = json(
        app.post_json(
            "/v1/customer-portal/license-keys/certificate",
            &json!({"key": key["key"]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
}

async fn a_key_that_no_longer_validates_gets_no_certificate(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(&app, &org, json!({}), 3, Some("month")).await;
    let jane = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let john = claimed_seat(&app, &org, &paid, "john@globex.example").await;
    let janes = key_of(&app, &org, &jane).await;
    let johns = key_of(&app, &org, &john).await;

    let path = format!("/v1/license-keys/{}", janes["id"].as_str().unwrap());
    let (status, _) = json(
        app.patch_as(&org.token, &path, &json!({"status": "disabled"}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let (status, refused) = certificate(&app, &org, &janes).await;
    assert_eq!(status, 404, "{refused}");
    assert_eq!(refused["detail"], "License key is no longer active.");

    let response = app.delete_as(&org.token, &seat_path(&john)).await;
    assert_eq!(response.status().as_u16(), 200);
    let (status, _) = certificate(&app, &org, &johns).await;
    assert_eq!(status, 404);
    assert_error(
        app.post_json(
            "/v1/customer-portal/license-keys/certificate",
            &json!({"key": johns["key"], "organization_id": org.id}),
        )
        .await,
        404,
        "ResourceNotFound",
    )
    .await;

    // A one-time order's key: the certificate runs out with the key.
    let order = keyed_pool(
        &app,
        &org,
        json!({"expires": {"ttl": 7, "timeframe": "day"}}),
        1,
        None,
    )
    .await;
    let seat = claimed_seat(&app, &org, &order, "ann@globex.example").await;
    let key = key_of(&app, &org, &seat).await;
    let (status, issued) = certificate(&app, &org, &key).await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(
        time(&issued["payload"]["valid_until"]),
        time(&key["expires_at"])
    );
}

async fn a_rotated_signing_key_stays_published_for_the_certificates_it_signed(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = keyed_pool(&app, &org, json!({}), 2, Some("month")).await;
    let seat = claimed_seat(&app, &org, &paid, "jane@globex.example").await;
    let key = key_of(&app, &org, &seat).await;
    let (_, before) = certificate(&app, &org, &key).await;
    let old = public_keys(&app, &org).await;

    let rotate = format!("/v1/organizations/{}/license-public-key/rotate", org.id);
    let (status, rotated) = json(app.post_as(&org.token, &rotate, &json!({})).await).await;
    assert_eq!(status, 200, "{rotated}");
    assert_ne!(rotated["key_id"], old["key_id"]);
    assert_eq!(rotated["previous_keys"][0]["key_id"], old["key_id"]);
    assert!(rotated["previous_keys"][0]["retired_at"].is_string());
    assert_eq!(public_keys(&app, &org).await, rotated);

    let (_, after) = certificate(&app, &org, &key).await;
    assert_eq!(after["key_id"], rotated["key_id"]);
    let new_key = rotated["public_key"].as_str().unwrap();
    let old_key = rotated["previous_keys"][0]["public_key"].as_str().unwrap();
    assert!(verified(after["certificate"].as_str().unwrap(), new_key).is_some());
    assert!(verified(before["certificate"].as_str().unwrap(), old_key).is_some());
    assert!(verified(before["certificate"].as_str().unwrap(), new_key).is_none());

    let reader = app.token_with(&org, "license_keys:read").await;
    assert_error(
        app.post_as(&reader, &rotate, &json!({})).await,
        403,
        "NotPermitted",
    )
    .await;
    let other = app.create_org("globex").await;
    assert_error(
        app.post_as(&other.token, &rotate, &json!({})).await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_error(
        app.post_json(&rotate, &json!({})).await,
        401,
        "Unauthorized",
    )
    .await;
}
