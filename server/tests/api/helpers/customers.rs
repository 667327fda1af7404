//! Customers and members through the API.

use serde_json::Value;

use super::{TestApp, TestOrg, json};

pub async fn create_customer(app: &TestApp, org: &TestOrg, body: Value) -> Value {
    let (status, customer) = json(app.post_as(&org.token, "/v1/customers", &body).await).await;
    assert_eq!(status, 201, "{customer}");
    customer
}

pub async fn create_member(
    app: &TestApp,
    org: &TestOrg,
    customer_id: &Value,
    body: Value,
) -> Value {
    let path = format!("/v1/customers/{}/members", customer_id.as_str().unwrap());
    let (status, member) = json(app.post_as(&org.token, &path, &body).await).await;
    assert_eq!(status, 201, "{member}");
    member
}

pub async fn members_of(app: &TestApp, org: &TestOrg, customer_id: &Value) -> Vec<Value> {
    let path = format!(
        "/v1/customers/{}/members?limit=100",
        customer_id.as_str().unwrap()
    );
    let (status, list) = json(app.get_as(&org.token, &path).await).await;
    assert_eq!(status, 200, "{list}");
    list["items"].as_array().unwrap().clone()
}
