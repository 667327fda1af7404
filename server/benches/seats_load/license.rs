//! The validate phase: `POST /v1/customer-portal/license-keys/validate` with only the key, the
//! call a merchant's app makes on every start. Each validation counts itself on the key's row (a
//! guarded update), so the phase writes; the clients rotate over [`VALIDATE_KEYS`] keys, one per
//! claimed seat, as many people starting their apps would.

use super::*;

/// Keys validated in turn: one per seat of one pool.
pub(crate) const VALIDATE_KEYS: usize = 100;

/// A product whose seats give a license key, one pool of [`VALIDATE_KEYS`] seats each claimed at
/// once (untimed); then the measured validations.
pub(crate) async fn validate_phase(
    config: &Config,
    server: &Arc<Server>,
) -> anyhow::Result<PhaseResult> {
    let benefit = json!({"type": "license_keys", "description": "Bench app", "properties": {}});
    let (status, benefit) = server.post("/v1/benefits", &benefit).await?;
    ensure!(status == 201, "benefit: {status} {benefit}");
    let benefit = id_of(&benefit, "id")?;
    let product = create_product(server).await?;
    let (status, body) = server
        .post(
            &format!("/v1/products/{product}/benefits"),
            &json!({"benefits": [benefit]}),
        )
        .await?;
    ensure!(status == 200, "product benefits: {status} {body}");
    let pools = buy_pools(server, &product, 1, VALIDATE_KEYS, "validate").await?;
    let subscription = pools.first().ok_or_else(|| anyhow!("no key pool"))?;
    for i in 0..VALIDATE_KEYS {
        let body = json!({
            "subscription_id": subscription,
            "email": format!("k{i}@keys.bench.example"),
            "immediate_claim": true,
        });
        let (status, seat) = server.post("/v1/customer-seats", &body).await?;
        ensure!(status == 200, "claimed seat: {status} {seat}");
    }
    let (status, keys) = server
        .get(&format!("/v1/license-keys?benefit_id={benefit}&limit=100"))
        .await?;
    ensure!(status == 200, "keys: {status} {keys}");
    let organization = id_of(&keys["items"][0], "organization_id")?;
    let bodies: Vec<Value> = keys["items"]
        .as_array()
        .ok_or_else(|| anyhow!("no keys in {keys}"))?
        .iter()
        .map(|key| json!({"key": key["key"], "organization_id": organization}))
        .collect();
    ensure!(bodies.len() == VALIDATE_KEYS, "{} keys", bodies.len());
    let op = {
        let server = server.clone();
        let url = server.url("/v1/customer-portal/license-keys/validate");
        let bodies = Arc::new(bodies);
        let next = Arc::new(AtomicUsize::new(0));
        move || {
            let body = &bodies[next.fetch_add(1, Ordering::Relaxed) % bodies.len()];
            send(server.client.post(&url).json(body), 200)
        }
    };
    measured("validate (public, key alone)", config, op).await
}
