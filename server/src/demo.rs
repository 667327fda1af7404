//! `seatkeeper serve --demo`: on an empty database, create a demo organization with a seat-based
//! product (which gives each seat holder a license key and an onboarding note) and an open checkout,
//! and print, once, the access token and the URLs to open, the development mailbox among them. On
//! later starts the demo already exists and only a reminder is printed (the token cannot be shown
//! again: only its hash is stored).

use app::{
    model::{
        Slug,
        benefit::BenefitCreate,
        billing::CheckoutCreate,
        product::{ProductBenefitsUpdate, ProductCreate},
    },
    server::service::{CreateOrganization, Services},
};
use secrecy::ExposeSecret;

/// The demo organization's slug.
pub const DEMO_SLUG: &str = "demo";

/// Creates the demo organization when the database has no organization at all.
pub async fn ensure_demo(services: &Services) -> anyhow::Result<()> {
    let url = services.public_url();
    if services.organization_count().await? > 0 {
        println!("Seatkeeper demo: the database already has data; open {url}/");
        println!("  Mailbox:       {url}/dev/mailbox   (invitation emails land here)");
        if services
            .organization_by_slug(DEMO_SLUG)
            .await
            .map_err(anyhow_from)?
            .is_some()
        {
            println!("(the demo organization's access token was printed when it was created)");
        }
        return Ok(());
    }
    let created = services
        .create_organization(CreateOrganization {
            name: "Demo Company".into(),
            slug: Slug::parse(DEMO_SLUG)?,
            email: Some("support@demo.example".into()),
        })
        .await
        .map_err(anyhow_from)?;
    let id = created.organization.summary.id;
    let checkout_url = demo_checkout(services, created.access_token.expose_secret()).await?;
    println!();
    println!("  Seatkeeper demo is ready.");
    println!("  Open:          {url}/");
    println!("  Organization:  Demo Company ({id})");
    println!("  Access token:  {}", created.access_token.expose_secret());
    println!("                 (shown only this once: only its hash is stored)");
    println!(
        "  Try the API:   curl -H \"Authorization: Bearer <token>\" {url}/v1/organizations/{id}"
    );
    println!("  Buy seats:     {checkout_url}");
    println!("                 (a checkout of the demo product, open for one hour)");
    println!("  Mailbox:       {url}/dev/mailbox");
    println!("                 (invitation emails land here: assign a seat, then follow its link)");
    println!();
    Ok(())
}

/// The demo product (tiers 1–4 @ $10, 5–9 @ $9, 10+ @ $8 a month) and a checkout of 5 seats.
async fn demo_checkout(services: &Services, token: &str) -> anyhow::Result<String> {
    let caller = services
        .authenticate_access_token(token)
        .await
        .map_err(anyhow_from)?;
    let product: ProductCreate = serde_json::from_value(serde_json::json!({
        "name": "Team plan",
        "description": "Everything your team needs, billed per seat.",
        "recurring_interval": "month",
        "prices": [{"amount_type": "seat_based", "price_currency": "usd", "seat_tiers": {
            "seat_tier_type": "volume",
            "tiers": [
                {"min_seats": 1, "max_seats": 4, "price_per_seat": 1000},
                {"min_seats": 5, "max_seats": 9, "price_per_seat": 900},
                {"min_seats": 10, "price_per_seat": 800}
            ]
        }}]
    }))?;
    let product = services
        .create_product(&caller, product)
        .await
        .map_err(anyhow_from)?;
    // What a seat gives: a license key per holder and an onboarding note.
    let mut benefits = Vec::new();
    for benefit in [
        serde_json::json!({"type": "license_keys", "description": "Team plan license key",
            "properties": {"prefix": "DEMO"}}),
        serde_json::json!({"type": "custom", "description": "Getting started",
            "properties": {"note": "Welcome aboard! Your license key works on every device; the team guide is at https://demo.example/guide."}}),
    ] {
        let input: BenefitCreate = serde_json::from_value(benefit)?;
        let created = services
            .create_benefit(&caller, input)
            .await
            .map_err(anyhow_from)?;
        benefits.push(created.id);
    }
    let product = services
        .set_product_benefits(&caller, product.id, ProductBenefitsUpdate { benefits })
        .await
        .map_err(anyhow_from)?;
    let checkout = CheckoutCreate {
        products: vec![product.id],
        seats: Some(5),
        ..Default::default()
    };
    let checkout = services
        .create_checkout(&caller, checkout)
        .await
        .map_err(anyhow_from)?;
    Ok(checkout.url)
}

fn anyhow_from(err: app::server::service::ServiceError) -> anyhow::Error {
    anyhow::anyhow!(err.body().detail_text())
}
