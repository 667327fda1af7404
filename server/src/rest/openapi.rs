//! The OpenAPI 3.1 document's frame (title, tags, security scheme). Its paths and schemas come from
//! the routes registered with `utoipa_axum::routes!` (see [`super::router`]), so the document cannot
//! drift from the code.

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Seatkeeper API",
        description = "Self-hosted seat-based pricing, wire-compatible with Polar's customer-seats API.",
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "health", description = "Liveness and readiness probes."),
        (name = "organizations", description = "The organization an access token belongs to."),
        (name = "products", description = "The catalog: products with seat-tier prices."),
        (name = "benefits", description = "What a seat holder gets: notes and license keys."),
        (name = "customers", description = "Buyers and their members (the people who may hold seats)."),
        (name = "customer-sessions", description = "Portal sessions for a customer's members."),
        (name = "checkouts", description = "Purchase sessions: seats, amount, payment."),
        (name = "subscriptions", description = "Recurring seat pools."),
        (name = "orders", description = "Payments; a paid one-time order is a perpetual seat pool."),
        (name = "customer-seats", description = "Seats of a pool: assign by email, list, revoke."),
    )
)]
pub struct ApiDoc;

/// Declares the `access_token` security scheme: `Authorization: Bearer skp_oat_...`.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "access_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("Organization access token (`skp_oat_...`)."))
                    .build(),
            ),
        );
    }
}
