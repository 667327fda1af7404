//! `seatkeeper serve --demo`: on an empty database, create a demo organization and print, once, its
//! access token and the URLs to open. On later starts the demo already exists and nothing is printed
//! but a reminder (the token cannot be shown again: only its hash is stored).

use app::{
    model::Slug,
    server::service::{CreateOrganization, Services},
};
use secrecy::ExposeSecret;

/// The demo organization's slug.
pub const DEMO_SLUG: &str = "demo";

/// Creates the demo organization when the database has no organization at all.
pub async fn ensure_demo(services: &Services) -> anyhow::Result<()> {
    let url = services.public_url();
    if services.store().count_organizations().await? > 0 {
        println!("Seatkeeper demo: the database already has data; open {url}/");
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
    let id = created.organization.id;
    println!();
    println!("  Seatkeeper demo is ready.");
    println!("  Open:          {url}/");
    println!("  Organization:  Demo Company ({id})");
    println!("  Access token:  {}", created.access_token.expose_secret());
    println!("                 (shown only this once: only its hash is stored)");
    println!(
        "  Try the API:   curl -H \"Authorization: Bearer <token>\" {url}/v1/organizations/{id}"
    );
    println!();
    Ok(())
}

fn anyhow_from(err: app::server::service::ServiceError) -> anyhow::Error {
    anyhow::anyhow!(err.body().detail_text())
}
