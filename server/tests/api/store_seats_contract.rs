//! The seat part of the `Store` contract, called directly on the store (not through the API), on
//! SQLite and PostgreSQL: the two backends run different code to assign (a transaction on SQLite,
//! one statement on PostgreSQL), so each guarantee is checked on both. The pool is bought through the
//! API; everything after that goes straight to the store.

use app::{
    model::{
        Email, MemberId, SeatId, SubscriptionId,
        customer::MemberRole,
        seat::{SeatPool, SeatStatus},
    },
    server::{
        store::{
            CallerRecord, Constraint, CredentialHash, MemberRecord, NewCustomerSession, PoolRead,
            SeatAssignment, SeatClaimWrite, SeatRecord, SeatRevokeWrite, StoreError,
        },
        token::{self, TokenHash},
    },
};
use chrono::{TimeDelta, Utc};

use crate::{
    both_backends,
    helpers::{seats::buy, *},
};

/// A server with a paid two-seat subscription: the app, the pool, and the org id.
struct Pool {
    app: TestApp,
    org: TestOrg,
    pool: SeatPool,
    customer_id: app::model::CustomerId,
}

async fn two_seat_pool(backend: Backend) -> Pool {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    let subscription: SubscriptionId = paid["subscription_id"].as_str().unwrap().parse().unwrap();
    let customer_id = paid["customer_id"].as_str().unwrap().parse().unwrap();
    Pool {
        app,
        org,
        pool: SeatPool::Subscription(subscription),
        customer_id,
    }
}

impl Pool {
    /// The assignment of a pending seat to a new member with `email`, and its invitation token.
    fn assignment(&self, email: &str) -> (SeatAssignment, token::NewToken) {
        let now = Utc::now();
        let email = Email::parse(email).unwrap();
        let member = MemberRecord {
            id: MemberId::new(),
            customer_id: self.customer_id,
            organization_id: self.org.id,
            created_at: now,
            modified_at: None,
            email: email.clone(),
            name: None,
            external_id: None,
            role: MemberRole::Member,
            deleted_at: None,
        };
        let invitation = token::generate("skp_inv_");
        let seat = SeatRecord {
            id: SeatId::new(),
            organization_id: self.org.id,
            created_at: now,
            modified_at: None,
            pool: self.pool,
            status: SeatStatus::Pending,
            customer_id: self.customer_id,
            member_id: member.id,
            email,
            invitation_token_expires_at: Some(now + TimeDelta::hours(24)),
            claimed_at: None,
            revoked_at: None,
            metadata: Default::default(),
        };
        let assignment = SeatAssignment {
            seat,
            invitation: Some(invitation.hash.clone()),
            new_member: Some(member),
            grants: Vec::new(),
            license_keys: Vec::new(),
            email: None,
            audit: Vec::new(),
            events: Vec::new(),
        };
        (assignment, invitation)
    }

    async fn used(&self) -> u32 {
        self.app
            .store()
            .pool_context(self.org.id, self.pool)
            .await
            .unwrap()
            .unwrap()
            .used_seats
    }

    fn claim(&self, seat: &SeatRecord, invitation: TokenHash) -> SeatClaimWrite {
        let now = Utc::now();
        SeatClaimWrite {
            seat_id: seat.id,
            invitation,
            now,
            grants: Vec::new(),
            license_keys: Vec::new(),
            session: NewCustomerSession {
                id: app::model::CustomerSessionId::new(),
                organization_id: self.org.id,
                customer_id: self.customer_id,
                member_id: seat.member_id,
                hash: token::generate("skp_cst_").hash,
                created_at: now,
                expires_at: now + TimeDelta::hours(1),
                return_url: None,
            },
            audit: audit(seat, app::model::seat::SeatAction::Claimed),
            events: Vec::new(),
        }
    }
}

fn audit(
    seat: &SeatRecord,
    action: app::model::seat::SeatAction,
) -> app::server::store::AuditRecord {
    app::server::store::AuditRecord {
        id: app::model::SeatAuditId::new(),
        organization_id: seat.organization_id,
        created_at: Utc::now(),
        seat_id: seat.id,
        pool: seat.pool,
        action,
        actor_type: app::model::seat::ActorType::Organization,
        actor_id: None,
        email: seat.email.clone(),
        transferred_to: None,
    }
}

async fn a_full_pool_refuses_a_seat_and_writes_nothing(backend: Backend) {
    let pool = two_seat_pool(backend).await;
    let store = pool.app.store();
    for email in ["a@globex.example", "b@globex.example"] {
        store.assign_seat(&pool.assignment(email).0).await.unwrap();
    }
    let (third, _) = pool.assignment("c@globex.example");
    let err = store.assign_seat(&third).await.unwrap_err();
    assert!(matches!(err, StoreError::NoCapacity), "{err:?}");
    assert_eq!(pool.used().await, 2);
    assert_eq!(store.seat(pool.org.id, third.seat.id).await.unwrap(), None);
    let new_member = third.new_member.unwrap();
    assert_eq!(
        store.member(pool.customer_id, new_member.id).await.unwrap(),
        None,
        "the member of a refused seat is not created either"
    );
}

async fn a_subscription_that_is_no_longer_active_takes_no_seat_whatever_was_read_before(
    backend: Backend,
) {
    let pool = two_seat_pool(backend).await;
    let store = pool.app.store();
    let SeatPool::Subscription(id) = pool.pool else {
        unreachable!("the pool is a subscription")
    };
    // As if the subscription ended between the request's read and its write.
    let cancel = "UPDATE subscriptions SET status = 'canceled' WHERE id = $1";
    match backend {
        Backend::Sqlite => {
            let db = sqlx::SqlitePool::connect(&pool.app.database_url)
                .await
                .unwrap();
            sqlx::query(cancel)
                .bind(id.as_uuid())
                .execute(&db)
                .await
                .unwrap();
        }
        Backend::Postgres => {
            let db = sqlx::PgPool::connect(&pool.app.database_url).await.unwrap();
            sqlx::query(cancel)
                .bind(id.as_uuid())
                .execute(&db)
                .await
                .unwrap();
        }
    }
    let (seat, _) = pool.assignment("late@globex.example");
    let err = store.assign_seat(&seat).await.unwrap_err();
    assert!(matches!(err, StoreError::NoCapacity), "{err:?}");
    assert_eq!(pool.used().await, 0);
    assert_eq!(store.seat(pool.org.id, seat.seat.id).await.unwrap(), None);
}

async fn an_email_holds_one_active_seat_per_pool(backend: Backend) {
    let pool = two_seat_pool(backend).await;
    let store = pool.app.store();
    let (first, _) = pool.assignment("a@globex.example");
    store.assign_seat(&first).await.unwrap();
    // The same email again, as another member (the member index would refuse the same member).
    let (mut second, _) = pool.assignment("a@globex.example");
    second.new_member = None;
    second.seat.member_id = first.seat.member_id;
    let err = store.assign_seat(&second).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                constraint: Constraint::SeatHolder
            }
        ),
        "{err:?}"
    );
    assert_eq!(pool.used().await, 1, "the refused seat gave its place back");
}

async fn a_seat_is_claimed_once_with_its_own_token(backend: Backend) {
    let pool = two_seat_pool(backend).await;
    let store = pool.app.store();
    let (assignment, invitation) = pool.assignment("a@globex.example");
    store.assign_seat(&assignment).await.unwrap();
    let seat = &assignment.seat;
    let wrong = pool.claim(seat, TokenHash::of("skp_inv_not-the-token"));
    assert!(
        !store.claim_seat(&wrong).await.unwrap(),
        "a wrong token claims nothing"
    );
    let claims: Vec<_> = (0..4)
        .map(|_| {
            let (store, claim) = (store.clone(), pool.claim(seat, invitation.hash.clone()));
            tokio::spawn(async move { store.claim_seat(&claim).await.unwrap() })
        })
        .collect();
    let mut won = 0;
    for claim in claims {
        won += usize::from(claim.await.unwrap());
    }
    assert_eq!(won, 1, "exactly one of four parallel claims wins");
    let stored = store.seat(pool.org.id, seat.id).await.unwrap().unwrap();
    assert_eq!(stored.status, SeatStatus::Claimed);
    assert!(stored.invitation_token_expires_at.is_none());
}

async fn revoking_frees_the_place_once(backend: Backend) {
    let pool = two_seat_pool(backend).await;
    let store = pool.app.store();
    let (assignment, _) = pool.assignment("a@globex.example");
    store.assign_seat(&assignment).await.unwrap();
    let revoke = SeatRevokeWrite {
        seat: assignment.seat.clone(),
        now: Utc::now(),
        audit: audit(&assignment.seat, app::model::seat::SeatAction::Revoked),
        events: Vec::new(),
    };
    assert!(store.revoke_seat(&revoke).await.unwrap());
    assert_eq!(pool.used().await, 0);
    assert!(
        !store.revoke_seat(&revoke).await.unwrap(),
        "a second revoke changes nothing"
    );
    assert_eq!(pool.used().await, 0, "and frees no second place");
    let stored = store
        .seat(pool.org.id, assignment.seat.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, SeatStatus::Revoked);
    // The freed place takes a new seat, for the same member too (a new member with the same email
    // would be a second member: the members index refuses it).
    let (mut again, _) = pool.assignment("a@globex.example");
    let err = store.assign_seat(&again).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                constraint: Constraint::MemberEmail
            }
        ),
        "{err:?}"
    );
    again.new_member = None;
    again.seat.member_id = assignment.seat.member_id;
    store.assign_seat(&again).await.unwrap();
    assert_eq!(pool.used().await, 1);
}

/// One read authenticates a credential and reads a pool: the caller is found whatever the pool,
/// the pool only when it is the caller's organization's, a stamp read and a context read agree on
/// the stamp, the stamp moves with a seat, and a dead credential finds nothing.
async fn a_callers_read_of_a_pool_sees_only_its_own_organizations_pools(backend: Backend) {
    let pool = two_seat_pool(backend).await;
    let store = pool.app.store();
    let now = Utc::now();
    let token = CredentialHash::AccessToken(TokenHash::of(&pool.org.token));
    let mut stamps = Vec::new();
    for read in [PoolRead::Stamp, PoolRead::Context] {
        let found = store
            .caller_on_pool(&token, now, pool.pool, read)
            .await
            .unwrap()
            .expect("a live token is found");
        assert!(
            matches!(&found.caller, CallerRecord::AccessToken(t) if t.organization_id == pool.org.id)
        );
        let seen = found.pool.expect("its own organization's pool is seen");
        assert_eq!(seen.stamp().customer_id, pool.customer_id);
        assert_eq!(seen.stamp().seats, 2);
        assert_eq!(seen.context().is_some(), read == PoolRead::Context);
        stamps.push(seen.stamp());
    }
    assert_eq!(stamps[0], stamps[1]);

    let other = pool.app.create_org("other").await;
    let theirs = CredentialHash::AccessToken(TokenHash::of(&other.token));
    for read in [PoolRead::Stamp, PoolRead::Context] {
        let found = store
            .caller_on_pool(&theirs, now, pool.pool, read)
            .await
            .unwrap()
            .expect("the other organization's token is live");
        assert!(
            found.pool.is_none(),
            "another organization's pool is not seen"
        );
    }
    for dead in [
        CredentialHash::AccessToken(TokenHash::of("skp_oat_unknown")),
        CredentialHash::Session(TokenHash::of(&pool.org.token)),
    ] {
        let found = store
            .caller_on_pool(&dead, now, pool.pool, PoolRead::Stamp)
            .await
            .unwrap();
        assert!(found.is_none(), "no caller for an unknown credential");
    }

    store
        .assign_seat(&pool.assignment("ann@example.com").0)
        .await
        .unwrap();
    let after = store
        .caller_on_pool(&token, now, pool.pool, PoolRead::Stamp)
        .await
        .unwrap()
        .and_then(|found| found.pool)
        .unwrap()
        .stamp();
    assert_ne!(after, stamps[0], "a new seat moves the stamp");
}

both_backends!(
    a_callers_read_of_a_pool_sees_only_its_own_organizations_pools,
    a_full_pool_refuses_a_seat_and_writes_nothing,
    a_subscription_that_is_no_longer_active_takes_no_seat_whatever_was_read_before,
    an_email_holds_one_active_seat_per_pool,
    a_seat_is_claimed_once_with_its_own_token,
    revoking_frees_the_place_once,
);
