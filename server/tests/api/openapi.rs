//! `GET /openapi.json`: an OpenAPI 3.1 document that matches the router.

use crate::{both_backends, helpers::*};

async fn the_openapi_document_describes_the_api_in_version_3_1(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, doc) = json(app.get("/openapi.json").await).await;
    assert_eq!(status, 200);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let get_org = &doc["paths"]["/v1/organizations/{id}"]["get"];
    assert!(get_org["responses"]["200"].is_object(), "{get_org}");
    assert!(
        get_org["security"][0]["access_token"].is_array(),
        "{get_org}"
    );
    for schema in ["Organization", "ErrorBody", "ValidationIssue", "Pagination"] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema} missing"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["access_token"]["scheme"],
        "bearer"
    );
}

async fn every_documented_operation_is_routed(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let (_, doc) = json(app.get("/openapi.json").await).await;
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 4, "{paths:?}");
    for (path, operations) in paths {
        let concrete = path.replace("{id}", &org.id.to_string());
        for method in operations.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app
                .client
                .request(method.clone(), app.url(&concrete))
                .bearer_auth(&org.token)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            assert!(
                status != 405 && !body.contains("no API endpoint"),
                "{method} {path} is documented but not routed: {status} {body}"
            );
        }
    }
}

both_backends!(
    the_openapi_document_describes_the_api_in_version_3_1,
    every_documented_operation_is_routed,
);
