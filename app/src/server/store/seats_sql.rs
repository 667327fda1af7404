//! SQL of customer seats and the implementation of [`SeatStore`](super::SeatStore) shared by both
//! backends. Capacity is one conditional update on the pool's counter inside the assigning
//! transaction; the unique partial indexes refuse a second active seat for an email or a member.

macro_rules! seat_columns {
    () => {
        "id, organization_id, created_at, modified_at, subscription_id, order_id, status, customer_id, member_id, \
         email, invitation_token_expires_at, claimed_at, revoked_at, seat_metadata"
    };
}

pub(super) const INSERT_SEAT: &str = concat!(
    "INSERT INTO customer_seats (",
    seat_columns!(),
    ", invitation_token_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
);

pub(super) const SELECT_SEAT: &str = concat!(
    "SELECT ",
    seat_columns!(),
    " FROM customer_seats WHERE id = $1 AND organization_id = $2"
);

pub(super) const SEATS_OF_SUBSCRIPTION: &str = concat!(
    "SELECT ",
    seat_columns!(),
    " FROM customer_seats WHERE subscription_id = $1 ORDER BY created_at, id"
);

pub(super) const SEATS_OF_ORDER: &str = concat!(
    "SELECT ",
    seat_columns!(),
    " FROM customer_seats WHERE order_id = $1 ORDER BY created_at, id"
);

pub(super) const TAKE_SUBSCRIPTION_SEAT: &str =
    "UPDATE subscriptions SET used_seats = used_seats + 1 WHERE id = $1 AND used_seats < seats";
pub(super) const TAKE_ORDER_SEAT: &str =
    "UPDATE orders SET used_seats = used_seats + 1 WHERE id = $1 AND used_seats < seats";
pub(super) const FREE_SUBSCRIPTION_SEAT: &str =
    "UPDATE subscriptions SET used_seats = used_seats - 1 WHERE id = $1 AND used_seats > 0";
pub(super) const FREE_ORDER_SEAT: &str =
    "UPDATE orders SET used_seats = used_seats - 1 WHERE id = $1 AND used_seats > 0";

pub(super) const SUBSCRIPTION_USAGE: &str =
    "SELECT seats, used_seats FROM subscriptions WHERE id = $1 AND organization_id = $2";
pub(super) const ORDER_USAGE: &str =
    "SELECT seats, used_seats FROM orders WHERE id = $1 AND organization_id = $2";

/// `$1` seat, `$2` now: one conditional update, so a second revoke changes nothing.
pub(super) const REVOKE_SEAT: &str = "UPDATE customer_seats SET status = 'revoked', revoked_at = $2, modified_at = $2, \
     invitation_token_hash = NULL, invitation_token_expires_at = NULL WHERE id = $1 AND status IN ('pending', 'claimed')";

pub(super) const SELECT_MEMBER_BY_EMAIL: &str = "SELECT id, customer_id, organization_id, created_at, modified_at, \
     email, name, external_id, role, deleted_at FROM members WHERE customer_id = $1 AND email = $2 AND deleted_at IS NULL";

pub(super) const ALL_MEMBERS_OF_CUSTOMER: &str = "SELECT id, customer_id, organization_id, created_at, modified_at, \
     email, name, external_id, role, deleted_at FROM members WHERE customer_id = $1";

/// Implements [`SeatStore`](super::SeatStore) for a store with a `pool: sqlx::Pool<$db>`.
macro_rules! seat_store {
    ($store:ident, $db:ty, $begin_write:literal) => {
        #[async_trait::async_trait]
        impl $crate::server::store::SeatStore for $store {
            async fn assign_seat(
                &self,
                seat: &$crate::server::store::SeatRecord,
                invitation: Option<&$crate::server::token::TokenHash>,
                new_member: Option<&$crate::server::store::MemberRecord>,
                events: &[$crate::server::store::NewEvent],
            ) -> Result<(), $crate::server::store::StoreError> {
                use $crate::server::store::{SeatPool, StoreError, catalog::to_json, seats_sql as sql};
                let mut tx = self.pool.begin_with($begin_write).await?;
                if let Some(member) = new_member {
                    Self::write_member_with(&mut *tx, member, true).await?;
                }
                let taken = match seat.pool {
                    SeatPool::Subscription(id) => sqlx::query(sql::TAKE_SUBSCRIPTION_SEAT).bind(id).execute(&mut *tx).await?,
                    SeatPool::Order(id) => sqlx::query(sql::TAKE_ORDER_SEAT).bind(id).execute(&mut *tx).await?,
                };
                if taken.rows_affected() != 1 {
                    return Err(StoreError::NoCapacity);
                }
                sqlx::query(sql::INSERT_SEAT)
                    .bind(seat.id)
                    .bind(seat.organization_id)
                    .bind(seat.created_at)
                    .bind(seat.modified_at)
                    .bind(seat.pool.subscription_id())
                    .bind(seat.pool.order_id())
                    .bind(seat.status.as_str())
                    .bind(seat.customer_id)
                    .bind(seat.member_id)
                    .bind(seat.email.as_str())
                    .bind(seat.invitation_token_expires_at)
                    .bind(seat.claimed_at)
                    .bind(seat.revoked_at)
                    .bind(to_json(&seat.metadata)?)
                    .bind(invitation.map(|h| h.as_bytes()))
                    .execute(&mut *tx)
                    .await?;
                for event in events {
                    Self::insert_event_with(&mut *tx, event).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn revoke_seat(
                &self,
                seat: &$crate::server::store::SeatRecord,
                now: chrono::DateTime<chrono::Utc>,
                events: &[$crate::server::store::NewEvent],
            ) -> Result<bool, $crate::server::store::StoreError> {
                use $crate::server::store::{SeatPool, seats_sql as sql};
                let mut tx = self.pool.begin_with($begin_write).await?;
                let revoked = sqlx::query(sql::REVOKE_SEAT).bind(seat.id).bind(now).execute(&mut *tx).await?;
                if revoked.rows_affected() != 1 {
                    return Ok(false);
                }
                match seat.pool {
                    SeatPool::Subscription(id) => sqlx::query(sql::FREE_SUBSCRIPTION_SEAT).bind(id).execute(&mut *tx).await?,
                    SeatPool::Order(id) => sqlx::query(sql::FREE_ORDER_SEAT).bind(id).execute(&mut *tx).await?,
                };
                for event in events {
                    Self::insert_event_with(&mut *tx, event).await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn seat(
                &self,
                organization_id: $crate::model::OrganizationId,
                id: $crate::model::SeatId,
            ) -> Result<Option<$crate::server::store::SeatRecord>, $crate::server::store::StoreError> {
                use $crate::server::store::{seats::SeatRow, seats_sql as sql};
                self.find_by::<SeatRow, _, _, _>(sql::SELECT_SEAT, id, organization_id).await
            }

            async fn seats_of(
                &self,
                pool: $crate::server::store::SeatPool,
            ) -> Result<Vec<$crate::server::store::SeatRecord>, $crate::server::store::StoreError> {
                use $crate::server::store::{SeatPool, seats::SeatRow, seats_sql as sql};
                let rows: Vec<SeatRow> = match pool {
                    SeatPool::Subscription(id) => sqlx::query_as(sql::SEATS_OF_SUBSCRIPTION).bind(id).fetch_all(&self.pool).await?,
                    SeatPool::Order(id) => sqlx::query_as(sql::SEATS_OF_ORDER).bind(id).fetch_all(&self.pool).await?,
                };
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn pool_usage(
                &self,
                organization_id: $crate::model::OrganizationId,
                pool: $crate::server::store::SeatPool,
            ) -> Result<Option<$crate::server::store::PoolUsage>, $crate::server::store::StoreError> {
                use $crate::server::store::{PoolUsage, SeatPool, StoreError, seats::UsageRow, seats_sql as sql};
                let row: Option<UsageRow> = match pool {
                    SeatPool::Subscription(id) => {
                        sqlx::query_as(sql::SUBSCRIPTION_USAGE).bind(id).bind(organization_id).fetch_optional(&self.pool).await?
                    }
                    SeatPool::Order(id) => {
                        sqlx::query_as(sql::ORDER_USAGE).bind(id).bind(organization_id).fetch_optional(&self.pool).await?
                    }
                };
                row.map(|r| {
                    Ok(PoolUsage {
                        seats: u32::try_from(r.seats).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        used: u32::try_from(r.used_seats).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    })
                })
                .transpose()
            }

            async fn member_by_email(
                &self,
                customer_id: $crate::model::CustomerId,
                email: &$crate::model::Email,
            ) -> Result<Option<$crate::server::store::MemberRecord>, $crate::server::store::StoreError> {
                use $crate::server::store::{customers::MemberRow, seats_sql as sql};
                self.find_by::<MemberRow, _, _, _>(sql::SELECT_MEMBER_BY_EMAIL, customer_id, email.as_str()).await
            }

            async fn all_members(
                &self,
                customer_id: $crate::model::CustomerId,
            ) -> Result<Vec<$crate::server::store::MemberRecord>, $crate::server::store::StoreError> {
                use $crate::server::store::{customers::MemberRow, seats_sql as sql};
                let rows: Vec<MemberRow> =
                    sqlx::query_as(sql::ALL_MEMBERS_OF_CUSTOMER).bind(customer_id).fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }
        }
    };
}

pub(super) use seat_store;
