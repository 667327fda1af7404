//! The OpenAPI 3.1 document's frame (title, tags, security schemes). Its paths and schemas come from
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
        (name = "customer-seats", description = "Seats of a pool: assign, list, revoke, resend, transfer, audit log; claiming an invitation."),
        (name = "customer-portal", description = "The billing customer's portal (customer or member session): seats and claimed subscriptions."),
        (name = "benefit-grants", description = "Benefits given to members holding claimed seats."),
        (name = "webhooks", description = "Signed event deliveries to the merchant's endpoints, and their log."),
    )
)]
pub struct ApiDoc;

/// Declares the security schemes: `access_token` (`Bearer skp_oat_...`) and `customer_session`
/// (`Bearer skp_cst_...`).
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
        components.add_security_scheme(
            "customer_session",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "Customer or member session token (`skp_cst_...`), from the merchant's \
                         customer-sessions API or from claiming a seat.",
                    ))
                    .build(),
            ),
        );
    }
}
