//! One-time sign-in codes of the portal (`customer_session_codes`): who an email signs in, a code
//! written with the email that carries it, and a code redeemed for a session. A code is kept only
//! as its hash; redeeming it deletes it and opens the session in the same transaction, so a code
//! opens at most one session however many requests present it at once.

use chrono::{DateTime, Utc};

use super::{
    NewCustomerSession, NewEmail, SqlStore, StoreError,
    db::{query, query_as},
    emails_sql::ERASE_EMAIL,
};
use crate::{
    model::{CustomerId, Email, EmailId, MemberId, OrganizationId},
    server::token::TokenHash,
};

/// The member an email signs in, and their customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SignInHolder {
    pub customer_id: CustomerId,
    pub member_id: MemberId,
}

/// A code to write, with the email that carries it.
#[derive(Clone, Debug)]
pub struct NewSessionCode {
    pub hash: TokenHash,
    pub organization_id: OrganizationId,
    pub holder: SignInHolder,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub email: NewEmail,
}

/// A session to open with a redeemed code (whose holder the code says).
#[derive(Clone, Debug)]
pub struct SessionToOpen {
    pub id: crate::model::CustomerSessionId,
    pub hash: TokenHash,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RedeemedCode {
    organization_id: OrganizationId,
    customer_id: CustomerId,
    member_id: MemberId,
    email_id: EmailId,
}

/// `$1` organization, `$2` email: the owner of the live customer with this email.
const OWNER_BY_CUSTOMER_EMAIL: &str = "SELECT m.customer_id, m.id AS member_id FROM customers c \
     JOIN members m ON m.customer_id = c.id AND m.role = 'owner' AND m.deleted_at IS NULL \
     WHERE c.organization_id = $1 AND c.email = $2 AND c.deleted_at IS NULL";

/// `$1` organization, `$2` email: a live owner or billing manager with this email, owners first.
const MANAGER_BY_EMAIL: &str = "SELECT m.customer_id, m.id AS member_id FROM members m \
     JOIN customers c ON c.id = m.customer_id AND c.deleted_at IS NULL \
     WHERE m.organization_id = $1 AND m.email = $2 AND m.role <> 'member' AND m.deleted_at IS NULL \
     ORDER BY CASE WHEN m.role = 'owner' THEN 0 ELSE 1 END, m.created_at LIMIT 1";

/// `$1` organization, `$2` email: the live member with this email who claimed a seat last.
const SEAT_HOLDER_BY_EMAIL: &str = "SELECT s.customer_id, s.member_id FROM customer_seats s \
     JOIN members m ON m.id = s.member_id AND m.deleted_at IS NULL \
     JOIN customers c ON c.id = s.customer_id AND c.deleted_at IS NULL \
     WHERE s.organization_id = $1 AND s.email = $2 AND s.status = 'claimed' \
     ORDER BY s.claimed_at DESC LIMIT 1";

/// `$1` now: codes past their expiry.
const SWEEP_EXPIRED_CODES: &str = "DELETE FROM customer_session_codes WHERE expires_at <= $1";

/// A new code replaces the member's earlier one (one live code per person, whatever requests
/// race: the unique key on `member_id`).
const UPSERT_CODE: &str = "INSERT INTO customer_session_codes \
     (code_hash, organization_id, customer_id, member_id, email_id, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (member_id) DO UPDATE SET code_hash = excluded.code_hash, \
     organization_id = excluded.organization_id, customer_id = excluded.customer_id, \
     email_id = excluded.email_id, created_at = excluded.created_at, expires_at = excluded.expires_at";

/// `$1` hash, `$2` now, `$3` the organization the code must belong to (NULL: any).
const REDEEM_CODE: &str = "DELETE FROM customer_session_codes \
     WHERE code_hash = $1 AND expires_at > $2 AND ($3 IS NULL OR organization_id = $3) \
     RETURNING organization_id, customer_id, member_id, email_id";

impl SqlStore {
    pub(super) async fn sign_in_holder_impl(
        &self,
        organization_id: OrganizationId,
        email: &Email,
    ) -> Result<Option<SignInHolder>, StoreError> {
        for sql in [
            OWNER_BY_CUSTOMER_EMAIL,
            MANAGER_BY_EMAIL,
            SEAT_HOLDER_BY_EMAIL,
        ] {
            let found = query_as::<SignInHolder>(sql)
                .bind(organization_id)
                .bind(email.as_str())
                .fetch_optional(&self.db)
                .await?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    pub(super) async fn insert_session_code_impl(
        &self,
        code: &NewSessionCode,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        query(SWEEP_EXPIRED_CODES)
            .bind(code.created_at)
            .execute(&mut tx)
            .await?;
        query(UPSERT_CODE)
            .bind(code.hash.as_bytes())
            .bind(code.organization_id)
            .bind(code.holder.customer_id)
            .bind(code.holder.member_id)
            .bind(code.email.id)
            .bind(code.created_at)
            .bind(code.expires_at)
            .execute(&mut tx)
            .await?;
        Self::insert_email_with(&mut tx, &code.email).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn redeem_session_code_impl(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
        organization_id: Option<OrganizationId>,
        session: &SessionToOpen,
    ) -> Result<Option<NewCustomerSession>, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let Some(code) = query_as::<RedeemedCode>(REDEEM_CODE)
            .bind(hash.as_bytes())
            .bind(now)
            .bind(organization_id)
            .fetch_optional(&mut tx)
            .await?
        else {
            return Ok(None);
        };
        let opened = NewCustomerSession {
            id: session.id,
            organization_id: code.organization_id,
            customer_id: code.customer_id,
            member_id: code.member_id,
            hash: session.hash.clone(),
            created_at: session.created_at,
            expires_at: session.expires_at,
            return_url: None,
        };
        Self::insert_customer_session_with(&mut tx, &opened).await?;
        // The code is spent: the email that carried it keeps no copy.
        query(ERASE_EMAIL)
            .bind(code.email_id)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Some(opened))
    }
}
