//! SQL of customers, members and customer sessions, and the implementation of
//! [`CustomerStore`](super::CustomerStore) shared by both backends.

use const_format::concatcp;

use super::{
    CustomerFilter, CustomerRecord, CustomerStore, MemberFilter, MemberRecord, NewCustomerSession,
    NewEvent, NewSessionCode, SessionRecord, SessionToOpen, SignInHolder, SqlStore, Store,
    StoreError,
    catalog::to_json,
    customers::CustomerRow,
    db::{On, Query, query, query_as},
};
use crate::{
    model::{CustomerId, Email, MemberId, Named, OrganizationId, PageRequest},
    server::token::TokenHash,
};

pub(super) const CUSTOMER_COLUMNS: &str = "id, organization_id, created_at, modified_at, type, email, name, external_id, metadata, deleted_at";

pub(super) const MEMBER_COLUMNS: &str = "id, customer_id, organization_id, created_at, modified_at, email, name, external_id, role, deleted_at";

pub(super) const INSERT_CUSTOMER: &str = concatcp!(
    "INSERT INTO customers (",
    CUSTOMER_COLUMNS,
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
);

pub(super) const UPDATE_CUSTOMER: &str = "UPDATE customers SET modified_at = $3, type = $4, email = $5, name = $6, \
     external_id = $7, metadata = $8, deleted_at = $9 WHERE id = $1 AND organization_id = $2";

pub(super) const SELECT_CUSTOMER: &str = concatcp!(
    "SELECT ",
    CUSTOMER_COLUMNS,
    " FROM customers WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL"
);

pub(super) const SELECT_CUSTOMER_EVEN_DELETED: &str = concatcp!(
    "SELECT ",
    CUSTOMER_COLUMNS,
    " FROM customers WHERE id = $1 AND organization_id = $2"
);

pub(super) const SELECT_CUSTOMER_BY_EXTERNAL_ID: &str = concatcp!(
    "SELECT ",
    CUSTOMER_COLUMNS,
    " FROM customers WHERE external_id = $1 AND organization_id = $2 AND deleted_at IS NULL"
);

pub(super) const INSERT_MEMBER: &str = concatcp!(
    "INSERT INTO members (",
    MEMBER_COLUMNS,
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
);

pub(super) const UPDATE_MEMBER: &str = "UPDATE members SET modified_at = $3, email = $4, name = $5, \
     external_id = $6, role = $7, deleted_at = $8 WHERE id = $1 AND customer_id = $2";

pub(super) const SELECT_MEMBER: &str = concatcp!(
    "SELECT ",
    MEMBER_COLUMNS,
    " FROM members WHERE id = $1 AND customer_id = $2 AND deleted_at IS NULL"
);

pub(super) const SELECT_MEMBER_BY_EXTERNAL_ID: &str = concatcp!(
    "SELECT ",
    MEMBER_COLUMNS,
    " FROM members WHERE external_id = $1 AND customer_id = $2 AND deleted_at IS NULL"
);

pub(super) const SELECT_OWNER: &str = concatcp!(
    "SELECT ",
    MEMBER_COLUMNS,
    " FROM members WHERE customer_id = $1 AND role = 'owner' AND deleted_at IS NULL"
);

pub(super) const DELETE_MEMBERS_OF_CUSTOMER: &str = "UPDATE members SET deleted_at = $2, modified_at = $2 WHERE customer_id = $1 AND deleted_at IS NULL";

pub(super) const INSERT_CUSTOMER_SESSION: &str = "INSERT INTO customer_sessions \
     (id, organization_id, customer_id, member_id, token_hash, created_at, expires_at, return_url) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

pub(super) const SELECT_MEMBER_BY_EMAIL: &str = "SELECT id, customer_id, organization_id, created_at, modified_at, \
     email, name, external_id, role, deleted_at FROM members WHERE customer_id = $1 AND email = $2 AND deleted_at IS NULL";

pub(super) const SELECT_MEMBER_EVEN_REMOVED: &str = "SELECT id, customer_id, organization_id, created_at, \
     modified_at, email, name, external_id, role, deleted_at FROM members WHERE id = $1 AND customer_id = $2";

pub(super) const ALL_MEMBERS_OF_CUSTOMER: &str = "SELECT id, customer_id, organization_id, created_at, modified_at, \
     email, name, external_id, role, deleted_at FROM members WHERE customer_id = $1";

/// `$1` token hash, `$2` now: a live session of a live member.
const LIVE_SESSION: &str = " FROM customer_sessions s JOIN members m ON m.id = s.member_id \
     WHERE s.token_hash = $1 AND s.expires_at > $2 AND m.deleted_at IS NULL";

/// The holder of a live session.
pub(super) const SELECT_LIVE_SESSION: &str = const_format::concatcp!(
    "SELECT s.organization_id, s.customer_id, s.member_id, m.role",
    LIVE_SESSION
);

/// `$1` token hash, `$2` now: a live session ends now.
pub(super) const END_SESSION: &str =
    "UPDATE customer_sessions SET expires_at = $2 WHERE token_hash = $1 AND expires_at > $2";

/// When a live session ends and where it returns to.
pub(super) const SELECT_LIVE_SESSION_TERMS: &str =
    const_format::concatcp!("SELECT s.expires_at, s.return_url", LIVE_SESSION);

impl SqlStore {
    pub(super) async fn write_customer_with(
        executor: impl Into<On<'_>>,
        customer: &CustomerRecord,
        insert: bool,
    ) -> Result<(), StoreError> {
        let query = if insert {
            query(INSERT_CUSTOMER)
                .bind(customer.id)
                .bind(customer.organization_id)
                .bind(customer.created_at)
        } else {
            query(UPDATE_CUSTOMER)
                .bind(customer.id)
                .bind(customer.organization_id)
        };
        query
            .bind(customer.modified_at)
            .bind(customer.kind.as_str())
            .bind(customer.email.as_ref().map(|e| e.as_str()))
            .bind(customer.name.as_deref())
            .bind(customer.external_id.as_deref())
            .bind(to_json(&customer.metadata)?)
            .bind(customer.deleted_at)
            .execute(executor)
            .await?;
        Ok(())
    }

    pub(super) async fn insert_customer_session_with(
        executor: impl Into<On<'_>>,
        session: &NewCustomerSession,
    ) -> Result<(), StoreError> {
        query(INSERT_CUSTOMER_SESSION)
            .bind(session.id)
            .bind(session.organization_id)
            .bind(session.customer_id)
            .bind(session.member_id)
            .bind(session.hash.as_bytes())
            .bind(session.created_at)
            .bind(session.expires_at)
            .bind(session.return_url.as_deref())
            .execute(executor)
            .await?;
        Ok(())
    }

    /// Binds the parameters of `INSERT_MEMBER` onto `query`.
    pub(super) fn bind_member<'q>(query: Query<'q>, member: &'q MemberRecord) -> Query<'q> {
        query
            .bind(member.id)
            .bind(member.customer_id)
            .bind(member.organization_id)
            .bind(member.created_at)
            .bind(member.modified_at)
            .bind(member.email.as_str())
            .bind(member.name.as_deref())
            .bind(member.external_id.as_deref())
            .bind(member.role.as_str())
            .bind(member.deleted_at)
    }

    pub(super) async fn write_member_with(
        executor: impl Into<On<'_>>,
        member: &MemberRecord,
        insert: bool,
    ) -> Result<(), StoreError> {
        let query = if insert {
            Self::bind_member(query(INSERT_MEMBER), member)
        } else {
            query(UPDATE_MEMBER)
                .bind(member.id)
                .bind(member.customer_id)
                .bind(member.modified_at)
                .bind(member.email.as_str())
                .bind(member.name.as_deref())
                .bind(member.external_id.as_deref())
                .bind(member.role.as_str())
                .bind(member.deleted_at)
        };
        query.execute(executor).await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl CustomerStore for SqlStore {
    async fn insert_customer(
        &self,
        customer: &CustomerRecord,
        owner: &MemberRecord,
        events: &[NewEvent],
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        Self::write_customer_with(&mut tx, customer, true).await?;
        Self::write_member_with(&mut tx, owner, true).await?;
        Self::commit_with_events(tx, events).await
    }

    async fn update_customer(
        &self,
        customer: &CustomerRecord,
        events: &[NewEvent],
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        Self::write_customer_with(&mut tx, customer, false).await?;
        if let Some(deleted_at) = customer.deleted_at {
            query(DELETE_MEMBERS_OF_CUSTOMER)
                .bind(customer.id)
                .bind(deleted_at)
                .execute(&mut tx)
                .await?;
        }
        Self::commit_with_events(tx, events).await
    }

    async fn customer(
        &self,
        organization_id: OrganizationId,
        id: CustomerId,
    ) -> Result<Option<CustomerRecord>, StoreError> {
        self.find_by::<CustomerRow, _>(SELECT_CUSTOMER, id, organization_id)
            .await
    }

    async fn customer_even_deleted(
        &self,
        organization_id: OrganizationId,
        id: CustomerId,
    ) -> Result<Option<CustomerRecord>, StoreError> {
        self.find_by::<CustomerRow, _>(SELECT_CUSTOMER_EVEN_DELETED, id, organization_id)
            .await
    }

    async fn customer_by_external_id(
        &self,
        organization_id: OrganizationId,
        external_id: &str,
    ) -> Result<Option<CustomerRecord>, StoreError> {
        self.find_by::<CustomerRow, _>(SELECT_CUSTOMER_BY_EXTERNAL_ID, external_id, organization_id)
            .await
    }

    async fn list_customers(
        &self,
        organization_id: OrganizationId,
        filter: &CustomerFilter,
        page: PageRequest,
    ) -> Result<(Vec<CustomerRecord>, u64), StoreError> {
        let list = filter.sql(organization_id, self.backend());
        self.run_list::<CustomerRow, _>(&list, CUSTOMER_COLUMNS, "customers", page)
            .await
    }

    async fn insert_member(
        &self,
        member: &MemberRecord,
        event: &NewEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        Self::write_member_with(&mut tx, member, true).await?;
        Self::commit_with_events(tx, std::slice::from_ref(event)).await
    }

    async fn update_member(
        &self,
        member: &MemberRecord,
        event: &NewEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        Self::write_member_with(&mut tx, member, false).await?;
        Self::commit_with_events(tx, std::slice::from_ref(event)).await
    }

    async fn member(
        &self,
        customer_id: CustomerId,
        id: MemberId,
    ) -> Result<Option<MemberRecord>, StoreError> {
        self.find_by::<MemberRecord, _>(SELECT_MEMBER, id, customer_id)
            .await
    }

    async fn member_by_external_id(
        &self,
        customer_id: CustomerId,
        external_id: &str,
    ) -> Result<Option<MemberRecord>, StoreError> {
        self.find_by::<MemberRecord, _>(SELECT_MEMBER_BY_EXTERNAL_ID, external_id, customer_id)
            .await
    }

    async fn owner(&self, customer_id: CustomerId) -> Result<Option<MemberRecord>, StoreError> {
        Ok(query_as(SELECT_OWNER)
            .bind(customer_id)
            .fetch_optional(&self.db)
            .await?)
    }

    async fn list_members(
        &self,
        customer_id: CustomerId,
        filter: &MemberFilter,
        page: PageRequest,
    ) -> Result<(Vec<MemberRecord>, u64), StoreError> {
        let list = filter.sql(customer_id);
        self.run_list::<MemberRecord, _>(&list, MEMBER_COLUMNS, "members", page)
            .await
    }

    async fn insert_customer_session(
        &self,
        session: &NewCustomerSession,
    ) -> Result<(), StoreError> {
        Self::insert_customer_session_with(&self.db.writer().await?, session).await
    }

    async fn live_session(
        &self,
        hash: &TokenHash,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<SessionRecord>, StoreError> {
        Ok(query_as(SELECT_LIVE_SESSION)
            .bind(hash.as_bytes())
            .bind(now)
            .fetch_optional(&self.db)
            .await?)
    }

    async fn end_session(
        &self,
        hash: &TokenHash,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        let ended = query(END_SESSION)
            .bind(hash.as_bytes())
            .bind(now)
            .execute(&self.db.writer().await?)
            .await?;
        Ok(ended.rows_affected() == 1)
    }

    async fn live_session_terms(
        &self,
        hash: &TokenHash,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<(chrono::DateTime<chrono::Utc>, Option<String>)>, StoreError> {
        Ok(query_as(SELECT_LIVE_SESSION_TERMS)
            .bind(hash.as_bytes())
            .bind(now)
            .fetch_optional(&self.db)
            .await?)
    }

    async fn member_by_email(
        &self,
        customer_id: CustomerId,
        email: &Email,
    ) -> Result<Option<MemberRecord>, StoreError> {
        self.find_by::<MemberRecord, _>(SELECT_MEMBER_BY_EMAIL, customer_id, email.as_str())
            .await
    }

    async fn member_even_removed(
        &self,
        customer_id: CustomerId,
        id: MemberId,
    ) -> Result<Option<MemberRecord>, StoreError> {
        self.find_by::<MemberRecord, _>(SELECT_MEMBER_EVEN_REMOVED, id, customer_id)
            .await
    }

    async fn all_members(&self, customer_id: CustomerId) -> Result<Vec<MemberRecord>, StoreError> {
        Ok(query_as(ALL_MEMBERS_OF_CUSTOMER)
            .bind(customer_id)
            .fetch_all(&self.db)
            .await?)
    }

    async fn sign_in_holder(
        &self,
        organization_id: OrganizationId,
        email: &Email,
    ) -> Result<Option<SignInHolder>, StoreError> {
        self.sign_in_holder_impl(organization_id, email).await
    }

    async fn insert_session_code(&self, code: &NewSessionCode) -> Result<(), StoreError> {
        self.insert_session_code_impl(code).await
    }

    async fn redeem_session_code(
        &self,
        hash: &TokenHash,
        now: chrono::DateTime<chrono::Utc>,
        organization_id: Option<OrganizationId>,
        session: &SessionToOpen,
    ) -> Result<Option<NewCustomerSession>, StoreError> {
        self.redeem_session_code_impl(hash, now, organization_id, session)
            .await
    }
}
