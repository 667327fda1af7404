//! The customer portal's seat API (`/v1/customer-portal/seats*`) with customer and member sessions:
//! the owner manages its own pools, a member may only look, another customer sees nothing, and the
//! audit log names who acted. Also the customer's subscriptions (`/v1/customer-portal/subscriptions`)
//! and those where a member holds a claimed seat.

use serde_json::{Value, json};

use crate::{
    both_backends,
    helpers::checkouts::{checkout, confirm},
    helpers::seats::{assign_body, buy, invitation_token, pay_for, pool_query, seats},
    helpers::*,
};

const PORTAL: &str = "/v1/customer-portal/seats";

/// A portal session token of `customer_id` (its owner, or `member_id`).
async fn session(
    app: &TestApp,
    org: &TestOrg,
    customer_id: &Value,
    member_id: Option<&Value>,
) -> String {
    let mut body = json!({"customer_id": customer_id});
    if let Some(member_id) = member_id {
        body["member_id"] = member_id.clone();
    }
    let (status, session) = json(
        app.post_as(&org.token, "/v1/customer-sessions", &body)
            .await,
    )
    .await;
    assert_eq!(status, 201, "{session}");
    session["token"].as_str().unwrap().to_owned()
}

/// A new member of `customer_id` with `email` and `role`, and a portal session of theirs.
async fn member_session(
    app: &TestApp,
    org: &TestOrg,
    customer_id: &Value,
    email: &str,
    role: &str,
) -> (Value, String) {
    let member = create_member(app, org, customer_id, json!({"email": email, "role": role})).await;
    let token = session(app, org, customer_id, Some(&member["id"])).await;
    (member, token)
}

fn portal_seat(seat: &Value) -> String {
    format!("{PORTAL}/{}", seat["id"].as_str().unwrap())
}

fn portal_list(paid: &Value) -> String {
    format!("{PORTAL}?{}", pool_query(paid))
}

async fn resend_as(app: &TestApp, token: &str, seat: &Value) -> reqwest::Response {
    app.post_as(token, &format!("{}/resend", portal_seat(seat)), &json!({}))
        .await
}

/// `(action, actor_type)` of every entry of the pool's audit log, seen from the portal.
async fn audit(app: &TestApp, token: &str, paid: &Value) -> Vec<(String, String)> {
    let path = format!("{PORTAL}/audit-log?{}", pool_query(paid));
    let (status, log) = json(app.get_as(token, &path).await).await;
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

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

async fn the_owner_lists_assigns_resends_and_revokes_in_its_own_pool_and_the_audit_log_names_the_actor(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    let owner = session(&app, &org, &paid["customer_id"], None).await;

    let (status, list) = json(app.get_as(&owner, &portal_list(&paid)).await).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total_seats"], 3);
    assert_eq!(list["available_seats"], 3);

    let (status, seat) = json(
        app.post_as(&owner, PORTAL, &assign_body(&paid, "jane@globex.example"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{seat}");
    assert_eq!(seat["status"], "pending");
    assert_eq!(seat["customer_id"], paid["customer_id"]);
    assert!(
        !seat.to_string().contains("skp_inv_"),
        "no invitation token in the answer"
    );
    let first_token = invitation_token(&app, "jane@globex.example").await;

    let (status, resent) = json(resend_as(&app, &owner, &seat).await).await;
    assert_eq!(status, 200, "{resent}");
    assert_eq!(resent["id"], seat["id"]);
    assert_eq!(resent["status"], "pending");
    let second_token = invitation_token(&app, "jane@globex.example").await;
    assert_ne!(first_token, second_token, "a resend sends a new link");

    let (status, revoked) = json(app.delete_as(&owner, &portal_seat(&seat)).await).await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["status"], "revoked");

    // The merchant acts on the same pool with its organization token.
    let (status, _) = json(
        app.post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&paid, "bob@globex.example"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);

    let (_, list) = json(app.get_as(&owner, &portal_list(&paid)).await).await;
    let statuses: Vec<&str> = list["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["revoked", "pending"]);
    assert_eq!(list["available_seats"], 2);

    let expected = pairs(&[
        ("assigned", "customer"),
        ("resent", "customer"),
        ("revoked", "customer"),
        ("assigned", "organization"),
    ]);
    assert_eq!(audit(&app, &owner, &paid).await, expected);
    let path = format!("{PORTAL}/audit-log?{}", pool_query(&paid));
    let (_, log) = json(app.get_as(&owner, &path).await).await;
    assert_eq!(
        log["entries"][0]["actor_id"], paid["customer_id"],
        "the owner acts as the customer"
    );
    assert_eq!(log["entries"][0]["seat_id"], seat["id"]);
    assert_eq!(log["entries"][0]["email"], "jane@globex.example");
    assert_eq!(log["entries"][3]["email"], "bob@globex.example");
    // The merchant sees the same log.
    let (status, merchant) = json(
        app.get_as(
            &org.token,
            &format!("/v1/customer-seats/audit-log?{}", pool_query(&paid)),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{merchant}");
    assert_eq!(merchant, log);
}

async fn the_owner_manages_a_one_time_orders_pool_too(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 1, None).await;
    let owner = session(&app, &org, &paid["customer_id"], None).await;
    let (status, seat) = json(
        app.post_as(&owner, PORTAL, &assign_body(&paid, "jane@globex.example"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{seat}");
    assert_eq!(seat["order_id"], paid["order_id"]);
    let full = app
        .post_as(&owner, PORTAL, &assign_body(&paid, "bob@globex.example"))
        .await;
    assert_error(full, 400, "SeatNotAvailable").await;
    let (status, list) = json(app.get_as(&owner, &portal_list(&paid)).await).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["available_seats"], 0);
}

async fn another_customers_session_gets_404_on_this_customers_pool_and_seats(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    let (_, seat) = json(
        app.post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&paid, "jane@globex.example"),
        )
        .await,
    )
    .await;
    let (status, stranger) = json(
        app.post_as(
            &org.token,
            "/v1/customers",
            &json!({"email": "eve@initech.example"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{stranger}");
    let theirs = session(&app, &org, &stranger["id"], None).await;

    assert_error(
        app.get_as(&theirs, &portal_list(&paid)).await,
        404,
        "ResourceNotFound",
    )
    .await;
    let audit_path = format!("{PORTAL}/audit-log?{}", pool_query(&paid));
    assert_error(
        app.get_as(&theirs, &audit_path).await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_error(
        app.post_as(&theirs, PORTAL, &assign_body(&paid, "eve@initech.example"))
            .await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_error(
        resend_as(&app, &theirs, &seat).await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_error(
        app.delete_as(&theirs, &portal_seat(&seat)).await,
        404,
        "ResourceNotFound",
    )
    .await;

    let list = seats(&app, &org, &paid).await;
    assert_eq!(list["seats"].as_array().unwrap().len(), 1);
    assert_eq!(list["seats"][0]["status"], "pending", "nothing changed");

    // A session of another organization's customer sees nothing either.
    let other = app.create_org("other").await;
    let (_, foreign) = json(
        app.post_as(
            &other.token,
            "/v1/customers",
            &json!({"email": "billing@globex.example"}),
        )
        .await,
    )
    .await;
    let foreign = session(&app, &other, &foreign["id"], None).await;
    assert_error(
        app.get_as(&foreign, &portal_list(&paid)).await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_error(
        app.delete_as(&foreign, &portal_seat(&seat)).await,
        404,
        "ResourceNotFound",
    )
    .await;
}

async fn a_member_may_read_but_only_the_owner_or_a_billing_manager_may_change_seats(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    let (_, seat) = json(
        app.post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&paid, "jane@globex.example"),
        )
        .await,
    )
    .await;

    let (member, reader) = member_session(
        &app,
        &org,
        &paid["customer_id"],
        "bob@globex.example",
        "member",
    )
    .await;
    assert_eq!(member["role"], "member");
    let (status, list) = json(app.get_as(&reader, &portal_list(&paid)).await).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["seats"][0]["id"], seat["id"]);
    assert_eq!(
        audit(&app, &reader, &paid).await.len(),
        1,
        "a member may read the audit log"
    );
    assert_error(
        app.post_as(&reader, PORTAL, &assign_body(&paid, "carl@globex.example"))
            .await,
        403,
        "NotPermitted",
    )
    .await;
    assert_error(resend_as(&app, &reader, &seat).await, 403, "NotPermitted").await;
    assert_error(
        app.delete_as(&reader, &portal_seat(&seat)).await,
        403,
        "NotPermitted",
    )
    .await;
    assert_eq!(
        seats(&app, &org, &paid).await["seats"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let (manager, writer) = member_session(
        &app,
        &org,
        &paid["customer_id"],
        "mia@globex.example",
        "billing_manager",
    )
    .await;
    assert_eq!(manager["role"], "billing_manager");
    let (status, carl) = json(
        app.post_as(&writer, PORTAL, &assign_body(&paid, "carl@globex.example"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{carl}");
    assert_eq!(resend_as(&app, &writer, &carl).await.status(), 200);
    let (status, revoked) = json(app.delete_as(&writer, &portal_seat(&seat)).await).await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["status"], "revoked");

    let log = audit(&app, &writer, &paid).await;
    let expected = pairs(&[
        ("assigned", "organization"),
        ("assigned", "member"),
        ("resent", "member"),
        ("revoked", "member"),
    ]);
    assert_eq!(log, expected, "a billing manager acts as a member");

    // A member promoted to billing manager may write with the session it already has.
    let path = format!(
        "/v1/customers/{}/members/{}",
        paid["customer_id"].as_str().unwrap(),
        member["id"].as_str().unwrap()
    );
    let (status, promoted) = json(
        app.patch_as(&org.token, &path, &json!({"role": "billing_manager"}))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{promoted}");
    let (status, dan) = json(
        app.post_as(&reader, PORTAL, &assign_body(&paid, "dan@globex.example"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{dan}");
}

async fn immediate_claim_is_not_available_in_the_portal(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    let owner = session(&app, &org, &paid["customer_id"], None).await;
    let mut body = assign_body(&paid, "jane@globex.example");
    body["immediate_claim"] = json!(true);
    assert_validation(
        app.post_as(&owner, PORTAL, &body).await,
        json!(["body", "immediate_claim"]),
        "value_error",
    )
    .await;
    assert_eq!(
        seats(&app, &org, &paid).await["seats"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    body["immediate_claim"] = json!(false);
    assert_eq!(app.post_as(&owner, PORTAL, &body).await.status(), 200);
}

async fn the_portal_assigns_by_checkout_id_only_in_the_callers_own_pools(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    let owner = session(&app, &org, &paid["customer_id"], None).await;
    let body = json!({"checkout_id": paid["id"], "email": "jane@globex.example"});
    let (status, seat) = json(app.post_as(&owner, PORTAL, &body).await).await;
    assert_eq!(status, 200, "{seat}");
    assert_eq!(seat["subscription_id"], paid["subscription_id"]);

    let (_, stranger) = json(
        app.post_as(
            &org.token,
            "/v1/customers",
            &json!({"email": "eve@initech.example"}),
        )
        .await,
    )
    .await;
    let theirs = session(&app, &org, &stranger["id"], None).await;
    assert_error(
        app.post_as(&theirs, PORTAL, &body).await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert_eq!(seats(&app, &org, &paid).await["available_seats"], 1);
}

async fn a_removed_members_session_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    let (manager, token) = member_session(
        &app,
        &org,
        &paid["customer_id"],
        "mia@globex.example",
        "billing_manager",
    )
    .await;
    assert_eq!(app.get_as(&token, &portal_list(&paid)).await.status(), 200);
    let path = format!(
        "/v1/customers/{}/members/{}",
        paid["customer_id"].as_str().unwrap(),
        manager["id"].as_str().unwrap()
    );
    assert_eq!(app.delete_as(&org.token, &path).await.status(), 204);
    assert_error(
        app.get_as(&token, &portal_list(&paid)).await,
        401,
        "Unauthorized",
    )
    .await;
    assert_error(
        app.post_as(&token, PORTAL, &assign_body(&paid, "x@globex.example"))
            .await,
        401,
        "Unauthorized",
    )
    .await;
}

async fn the_portal_needs_a_live_customer_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    let list = portal_list(&paid);
    assert_error(app.get(&list).await, 401, "Unauthorized").await;
    assert_error(app.get_as(&org.token, &list).await, 401, "Unauthorized").await;
    assert_error(
        app.post_as(
            &org.token,
            PORTAL,
            &assign_body(&paid, "jane@globex.example"),
        )
        .await,
        401,
        "Unauthorized",
    )
    .await;
    let unknown = format!("skp_cst_{}", uuid::Uuid::new_v4().simple());
    assert_error(app.get_as(&unknown, &list).await, 401, "Unauthorized").await;
    assert_error(app.get_as("garbage", &list).await, 401, "Unauthorized").await;
    assert_error(
        app.get_as(&unknown, &format!("{PORTAL}/subscriptions"))
            .await,
        401,
        "Unauthorized",
    )
    .await;

    // A session token is not an organization token either.
    let owner = session(&app, &org, &paid["customer_id"], None).await;
    assert_error(
        app.get_as(&owner, &format!("/v1/customer-seats?{}", pool_query(&paid)))
            .await,
        401,
        "Unauthorized",
    )
    .await;

    // Sessions live one hour.
    assert_eq!(app.get_as(&owner, &list).await.status(), 200);
    let (status, _) = json(app.advance_clock(&json!({"seconds": 3601})).await).await;
    assert_eq!(status, 200);
    assert_error(app.get_as(&owner, &list).await, 401, "Unauthorized").await;
    assert_error(
        app.post_as(&owner, PORTAL, &assign_body(&paid, "jane@globex.example"))
            .await,
        401,
        "Unauthorized",
    )
    .await;
    let fresh = session(&app, &org, &paid["customer_id"], None).await;
    assert_eq!(app.get_as(&fresh, &list).await.status(), 200);
}

async fn claimed_subscriptions_lists_exactly_the_subscriptions_where_the_member_holds_a_claimed_seat(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let claimed_pool = buy(&app, &org, 2, Some("month")).await;
    let pending_pool = buy(&app, &org, 2, Some("month")).await;
    let (status, seat) = json(
        app.post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&claimed_pool, "jane@globex.example"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{seat}");
    let token = invitation_token(&app, "jane@globex.example").await;
    let (status, claim) = json(
        app.post_json(
            "/v1/customer-seats/claim",
            &json!({"invitation_token": token}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{claim}");
    assert_eq!(claim["seat"]["id"], seat["id"]);
    assert_eq!(claim["seat"]["status"], "claimed");
    let jane = claim["customer_session_token"].as_str().unwrap().to_owned();
    assert!(jane.starts_with("skp_cst_"), "{claim}");
    // A pending seat in another pool does not count.
    let (status, _) = json(
        app.post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&pending_pool, "jane@globex.example"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);

    let path = format!("{PORTAL}/subscriptions");
    let (status, list) = json(app.get_as(&jane, &path).await).await;
    assert_eq!(status, 200, "{list}");
    let ids: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["id"])
        .collect();
    assert_eq!(ids, [&claimed_pool["subscription_id"]], "{list}");
    assert_eq!(list["pagination"]["total_count"], 1);
    assert_eq!(list["items"][0]["customer_id"], claimed_pool["customer_id"]);
    assert_eq!(list["items"][0]["status"], "active");

    // The member session of the claim is a reader of the billing customer's pools.
    assert_eq!(
        app.get_as(&jane, &portal_list(&claimed_pool))
            .await
            .status(),
        200
    );
    assert_error(
        app.post_as(
            &jane,
            PORTAL,
            &assign_body(&claimed_pool, "x@globex.example"),
        )
        .await,
        403,
        "NotPermitted",
    )
    .await;

    let owner = session(&app, &org, &claimed_pool["customer_id"], None).await;
    let (status, none) = json(app.get_as(&owner, &path).await).await;
    assert_eq!(status, 200, "{none}");
    assert_eq!(none["items"], json!([]));
    assert_eq!(none["pagination"]["total_count"], 0);

    // Revoked, the seat no longer counts.
    let revoke = app
        .client
        .delete(app.url(&format!(
            "/v1/customer-seats/{}",
            seat["id"].as_str().unwrap()
        )))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    let (status, after) = json(app.get_as(&jane, &path).await).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["pagination"]["total_count"], 0, "{after}");
}

async fn claimed_subscriptions_are_customer_subscriptions_whose_product_names_its_organization(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    let (status, _) = json(
        app.post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&paid, "jane@globex.example"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let token = invitation_token(&app, "jane@globex.example").await;
    let (status, claim) = json(
        app.post_json(
            "/v1/customer-seats/claim",
            &json!({"invitation_token": token}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{claim}");
    let jane = claim["customer_session_token"].as_str().unwrap();
    let (status, list) = json(app.get_as(jane, &format!("{PORTAL}/subscriptions")).await).await;
    assert_eq!(status, 200, "{list}");
    let organization = &list["items"][0]["product"]["organization"];
    assert_eq!(organization["slug"], "acme", "{list}");
    assert_eq!(organization["name"], "Org acme");
    for field in [
        "id",
        "created_at",
        "modified_at",
        "avatar_url",
        "proration_behavior",
        "allow_customer_updates",
    ] {
        assert!(
            organization.get(field).is_some(),
            "{field} missing in {organization}"
        );
    }
    let settings = &organization["customer_portal_settings"];
    assert!(settings["usage"]["show"].is_boolean(), "{organization}");
    assert!(
        settings["subscription"]["update_seats"].is_boolean(),
        "{organization}"
    );
    assert!(
        settings["subscription"]["update_plan"].is_boolean(),
        "{organization}"
    );
}

async fn the_portal_may_name_only_its_own_customer_by_customer_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 3, Some("month")).await;
    let body = json!({"email": "other@initech.example", "external_id": "initech", "owner": {"email": "other@initech.example"}});
    let (status, other) = json(app.post_as(&org.token, "/v1/customers", &body).await).await;
    assert_eq!(status, 201, "{other}");
    let owner = session(&app, &org, &paid["customer_id"], None).await;
    let mut by_id = json!({"subscription_id": paid["subscription_id"], "customer_id": other["id"]});
    assert_error(
        app.post_as(&owner, PORTAL, &by_id).await,
        404,
        "CustomerNotFound",
    )
    .await;
    let by_external =
        json!({"subscription_id": paid["subscription_id"], "external_customer_id": "initech"});
    assert_error(
        app.post_as(&owner, PORTAL, &by_external).await,
        404,
        "CustomerNotFound",
    )
    .await;
    by_id["customer_id"] = paid["customer_id"].clone();
    let (status, seat) = json(app.post_as(&owner, PORTAL, &by_id).await).await;
    assert_eq!(status, 200, "{seat}");
    assert_eq!(seat["email"], "billing@globex.example");
}

/// A monthly product named `name` at `cents` per seat.
async fn plan(app: &TestApp, org: &TestOrg, name: &str, cents: i64) -> Value {
    let body = json!({
        "name": name,
        "recurring_interval": "month",
        "prices": [{"amount_type": "seat_based", "seat_tiers": {"tiers": [{"min_seats": 1, "price_per_seat": cents}]}}]
    });
    let (status, product) = json(app.post_as(&org.token, "/v1/products", &body).await).await;
    assert_eq!(status, 201, "{product}");
    product
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_portal_lists_and_gets_only_the_customers_own_subscriptions(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let team = plan(&app, &org, "Team plan", 1000).await;
    let enterprise = plan(&app, &org, "Enterprise plan", 3000).await;
    let small = pay_for(&app, &org, &team, 3).await;
    let big = pay_for(&app, &org, &enterprise, 5).await;
    let (small_id, big_id) = (
        small["subscription_id"].as_str().unwrap().to_owned(),
        big["subscription_id"].as_str().unwrap().to_owned(),
    );
    let theirs = checkout(
        &app,
        &org,
        &team,
        json!({"customer_email": "eve@initech.example"}),
    )
    .await;
    assert_eq!(
        confirm(&app, &theirs, json!({"confirmation_token_id": "tok_visa"}))
            .await
            .status(),
        200
    );
    let (_, theirs) = json(
        app.get(&format!(
            "/v1/checkouts/client/{}",
            theirs["client_secret"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    let owner = session(&app, &org, &small["customer_id"], None).await;
    let list = |query: &str| {
        let (app, owner) = (&app, &owner);
        let path = format!("/v1/customer-portal/subscriptions/{query}");
        async move {
            let (status, body) = json(app.get_as(owner, &path).await).await;
            assert_eq!(status, 200, "{path}: {body}");
            body
        }
    };

    let all = list("").await;
    assert_eq!(
        ids(&all),
        [big_id.as_str(), small_id.as_str()],
        "newest first"
    );
    assert_eq!(all["pagination"]["total_count"], 2);
    assert_eq!(all["items"][0]["product"]["name"], "Enterprise plan");
    assert_eq!(all["items"][0]["product"]["organization"]["slug"], "acme");
    assert_eq!(
        ids(&list(&format!("?product_id={}", team["id"].as_str().unwrap())).await),
        [small_id.as_str()]
    );
    assert_eq!(ids(&list("?query=ENTERPRISE").await), [big_id.as_str()]);
    assert_eq!(
        ids(&list("?query=org%20acme").await).len(),
        2,
        "the organization's name matches"
    );
    assert_eq!(ids(&list("?query=nothing").await).len(), 0);
    assert_eq!(ids(&list("?active=true").await).len(), 2);
    assert_eq!(ids(&list("?active=false").await).len(), 0);
    assert_eq!(
        ids(&list("?sorting=product").await),
        [big_id.as_str(), small_id.as_str()]
    );
    assert_eq!(
        ids(&list("?sorting=-product").await),
        [small_id.as_str(), big_id.as_str()]
    );
    assert_eq!(
        ids(&list("?sorting=amount").await),
        [small_id.as_str(), big_id.as_str()]
    );
    assert_eq!(ids(&list("?limit=1&page=2").await), [small_id.as_str()]);

    let (status, one) = json(
        app.get_as(
            &owner,
            &format!("/v1/customer-portal/subscriptions/{small_id}"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(
        (one["seats"].as_u64(), one["amount"].as_u64()),
        (Some(3), Some(3000))
    );
    let their_id = theirs["subscription_id"].as_str().unwrap();
    assert_error(
        app.get_as(
            &owner,
            &format!("/v1/customer-portal/subscriptions/{their_id}"),
        )
        .await,
        404,
        "ResourceNotFound",
    )
    .await;
    assert!(!ids(&list("").await).contains(&their_id.to_owned()));
    for bad in [
        "?sorting=email",
        "?customer_id=x",
        "?limit=101",
        "?metadata[a]=b",
    ] {
        let response = app
            .get_as(&owner, &format!("/v1/customer-portal/subscriptions{bad}"))
            .await;
        assert_eq!(response.status(), 422, "{bad}");
    }
    assert_error(
        app.get("/v1/customer-portal/subscriptions").await,
        401,
        "Unauthorized",
    )
    .await;
    assert_error(
        app.get_as(&org.token, "/v1/customer-portal/subscriptions")
            .await,
        401,
        "Unauthorized",
    )
    .await;
}

async fn a_member_may_read_the_customers_subscriptions(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    let (_, reader) = member_session(
        &app,
        &org,
        &paid["customer_id"],
        "bob@globex.example",
        "member",
    )
    .await;
    let (status, list) = json(
        app.get_as(&reader, "/v1/customer-portal/subscriptions")
            .await,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"][0]["id"], paid["subscription_id"]);
}

/// The product a paid checkout bought.
async fn one_product(app: &TestApp, org: &TestOrg, paid: &Value) -> String {
    let (_, order) = json(
        app.get_as(
            &org.token,
            &format!("/v1/orders/{}", paid["order_id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    order["product_id"].as_str().unwrap().to_owned()
}

async fn the_portal_lists_and_gets_the_customers_own_orders_each_one_time_order_a_pool(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let first = buy(&app, &org, 2, None).await;
    let second = buy(&app, &org, 3, None).await;
    let monthly = buy(&app, &org, 1, Some("month")).await;
    let (_, order) = json(
        app.get_as(
            &org.token,
            &format!("/v1/orders/{}", first["order_id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    let owner = session(&app, &org, &order["customer_id"], None).await;
    let ids = |page: &Value| -> Vec<Value> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].clone())
            .collect()
    };

    let (status, all) = json(app.get_as(&owner, "/v1/customer-portal/orders").await).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["pagination"]["total_count"], 3);
    assert!(
        all["items"][0]["product"]["organization"].is_object(),
        "a CustomerOrder"
    );
    let (_, pools) = json(
        app.get_as(
            &owner,
            "/v1/customer-portal/orders?product_billing_type=one_time&sorting=created_at",
        )
        .await,
    )
    .await;
    assert_eq!(
        ids(&pools),
        [first["order_id"].clone(), second["order_id"].clone()],
        "each purchase its own pool"
    );
    let (_, of_subscription) = json(
        app.get_as(
            &owner,
            &format!(
                "/v1/customer-portal/orders?subscription_id={}",
                monthly["subscription_id"].as_str().unwrap()
            ),
        )
        .await,
    )
    .await;
    assert_eq!(of_subscription["pagination"]["total_count"], 1);
    assert_eq!(
        of_subscription["items"][0]["subscription"]["id"],
        monthly["subscription_id"]
    );
    let (_, of_product) = json(
        app.get_as(
            &owner,
            &format!(
                "/v1/customer-portal/orders?product_id={}",
                one_product(&app, &org, &second).await
            ),
        )
        .await,
    )
    .await;
    assert_eq!(ids(&of_product), [second["order_id"].clone()]);
    let (_, none) = json(
        app.get_as(&owner, "/v1/customer-portal/orders?query=no%20such%20plan")
            .await,
    )
    .await;
    assert_eq!(none["pagination"]["total_count"], 0);
    let (_, by_amount) = json(
        app.get_as(&owner, "/v1/customer-portal/orders?sorting=-amount")
            .await,
    )
    .await;
    assert_eq!(by_amount["items"][0]["id"], second["order_id"]);
    assert_validation(
        app.get_as(&owner, "/v1/customer-portal/orders?sorting=status")
            .await,
        json!(["query", "sorting"]),
        "enum",
    )
    .await;
    let path = format!(
        "/v1/customer-portal/orders/{}",
        first["order_id"].as_str().unwrap()
    );
    let (status, one) = json(app.get_as(&owner, &path).await).await;
    assert_eq!(
        (status, one["seats"].clone(), one["billing_reason"].clone()),
        (200, json!(2), json!("purchase"))
    );

    let stranger = create_customer(&app, &org, json!({"email": "boss@initech.example"})).await;
    let stranger = session(&app, &org, &stranger["id"], None).await;
    assert_error(app.get_as(&stranger, &path).await, 404, "ResourceNotFound").await;
    let (_, theirs) = json(app.get_as(&stranger, "/v1/customer-portal/orders").await).await;
    assert_eq!(theirs["pagination"]["total_count"], 0);
    assert_error(
        app.get_as(&org.token, "/v1/customer-portal/orders").await,
        401,
        "Unauthorized",
    )
    .await;
}

both_backends!(
    the_portal_lists_and_gets_the_customers_own_orders_each_one_time_order_a_pool,
    the_owner_lists_assigns_resends_and_revokes_in_its_own_pool_and_the_audit_log_names_the_actor,
    the_owner_manages_a_one_time_orders_pool_too,
    another_customers_session_gets_404_on_this_customers_pool_and_seats,
    a_member_may_read_but_only_the_owner_or_a_billing_manager_may_change_seats,
    immediate_claim_is_not_available_in_the_portal,
    the_portal_assigns_by_checkout_id_only_in_the_callers_own_pools,
    a_removed_members_session_is_refused,
    the_portal_needs_a_live_customer_session,
    claimed_subscriptions_lists_exactly_the_subscriptions_where_the_member_holds_a_claimed_seat,
    claimed_subscriptions_are_customer_subscriptions_whose_product_names_its_organization,
    the_portal_may_name_only_its_own_customer_by_customer_id,
    the_portal_lists_and_gets_only_the_customers_own_subscriptions,
    a_member_may_read_the_customers_subscriptions,
);
