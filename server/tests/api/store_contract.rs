//! The `Store` contract, written once and run against SQLite and PostgreSQL.

use app::{
    model::{AccessTokenId, OrganizationId, Scope, Scopes, Slug, organization::ProrationBehavior},
    server::{
        store::{Constraint, NewAccessToken, NewOrganization, StoreError},
        token::{self, TokenHash},
    },
};
use chrono::{TimeDelta, Utc};

use crate::{both_backends, helpers::*};

fn new_org(slug: &str) -> NewOrganization {
    NewOrganization {
        id: OrganizationId::new(),
        created_at: Utc::now(),
        name: format!("Org {slug}"),
        slug: Slug::parse(slug).unwrap(),
        email: Some("billing@example.com".into()),
        invitation_ttl_seconds: 86_400,
        proration_behavior: ProrationBehavior::Prorate,
    }
}

fn new_token(org: OrganizationId, hash: TokenHash) -> NewAccessToken {
    NewAccessToken {
        id: AccessTokenId::new(),
        organization_id: org,
        hash,
        scopes: [Scope::OrganizationsRead, Scope::CustomerSeatsWrite]
            .into_iter()
            .collect(),
        comment: "contract".into(),
        created_at: Utc::now(),
        expires_at: None,
    }
}

async fn a_created_organization_reads_back_by_id_and_by_slug(backend: Backend) {
    let (store, _db) = fresh_store(backend).await;
    let org = new_org("acme");
    let created = store
        .create_organization(&org, &new_token(org.id, token::generate("t_").hash))
        .await
        .unwrap();
    assert_eq!(created.id, org.id);
    assert_eq!(created.slug.as_str(), "acme");
    assert_eq!(created.invitation_ttl_seconds, 86_400);
    // Timestamps survive the round trip to the microsecond on both backends.
    assert!(
        (created.created_at - org.created_at)
            .num_microseconds()
            .unwrap()
            .abs()
            <= 1
    );
    assert_eq!(
        store.organization(org.id).await.unwrap(),
        Some(created.clone())
    );
    assert_eq!(
        store.organization_by_slug("acme").await.unwrap(),
        Some(created)
    );
    assert_eq!(
        store.organization(OrganizationId::new()).await.unwrap(),
        None
    );
    assert_eq!(store.count_organizations().await.unwrap(), 1);
}

async fn a_duplicate_slug_is_a_conflict_and_leaves_nothing_behind(backend: Backend) {
    let (store, _db) = fresh_store(backend).await;
    let first = new_org("acme");
    store
        .create_organization(&first, &new_token(first.id, token::generate("t_").hash))
        .await
        .unwrap();
    let second = new_org("acme");
    let second_token = token::generate("t_");
    let err = store
        .create_organization(&second, &new_token(second.id, second_token.hash.clone()))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                constraint: Constraint::OrganizationSlug
            }
        ),
        "{err:?}"
    );
    assert_eq!(store.count_organizations().await.unwrap(), 1);
    assert_eq!(
        store
            .access_token_by_hash(&second_token.hash, Utc::now())
            .await
            .unwrap(),
        None
    );
}

async fn a_token_is_found_by_its_hash_with_its_scopes(backend: Backend) {
    let (store, _db) = fresh_store(backend).await;
    let org = new_org("acme");
    let secret = token::generate("t_");
    let row = new_token(org.id, secret.hash.clone());
    store.create_organization(&org, &row).await.unwrap();
    let found = store
        .access_token_by_hash(&TokenHash::of(secret.expose()), Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, row.id);
    assert_eq!(found.organization_id, org.id);
    assert_eq!(found.scopes, row.scopes);
    assert_eq!(
        store
            .access_token_by_hash(&TokenHash::of("t_other"), Utc::now())
            .await
            .unwrap(),
        None
    );
}

async fn an_expired_token_is_no_longer_live(backend: Backend) {
    let (store, _db) = fresh_store(backend).await;
    let org = new_org("acme");
    store
        .create_organization(&org, &new_token(org.id, token::generate("t_").hash))
        .await
        .unwrap();
    let secret = token::generate("t_");
    let mut expiring = new_token(org.id, secret.hash.clone());
    let now = Utc::now();
    expiring.expires_at = Some(now + TimeDelta::hours(1));
    store.insert_access_token(&expiring).await.unwrap();
    assert!(
        store
            .access_token_by_hash(&secret.hash, now)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .access_token_by_hash(&secret.hash, now + TimeDelta::hours(2))
            .await
            .unwrap()
            .is_none()
    );
}

async fn two_tokens_cannot_share_a_hash(backend: Backend) {
    let (store, _db) = fresh_store(backend).await;
    let org = new_org("acme");
    let secret = token::generate("t_");
    store
        .create_organization(&org, &new_token(org.id, secret.hash.clone()))
        .await
        .unwrap();
    let err = store
        .insert_access_token(&new_token(org.id, secret.hash.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
}

async fn a_token_needs_an_existing_organization(backend: Backend) {
    let (store, _db) = fresh_store(backend).await;
    let orphan = new_token(OrganizationId::new(), token::generate("t_").hash);
    assert!(store.insert_access_token(&orphan).await.is_err());
}

async fn migrating_twice_changes_nothing(backend: Backend) {
    let (store, _db) = fresh_store(backend).await;
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
}

async fn all_scopes_round_trip_through_storage(backend: Backend) {
    let (store, _db) = fresh_store(backend).await;
    let org = new_org("acme");
    let secret = token::generate("t_");
    let mut row = new_token(org.id, secret.hash.clone());
    row.scopes = Scopes::all();
    store.create_organization(&org, &row).await.unwrap();
    let found = store
        .access_token_by_hash(&secret.hash, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.scopes, Scopes::all());
}

both_backends!(
    a_created_organization_reads_back_by_id_and_by_slug,
    a_duplicate_slug_is_a_conflict_and_leaves_nothing_behind,
    a_token_is_found_by_its_hash_with_its_scopes,
    an_expired_token_is_no_longer_live,
    two_tokens_cannot_share_a_hash,
    a_token_needs_an_existing_organization,
    migrating_twice_changes_nothing,
    all_scopes_round_trip_through_storage,
);
