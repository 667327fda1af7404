//! SQL of customers, members and customer sessions, and the implementation of
//! [`CustomerStore`](super::CustomerStore) shared by both backends.

macro_rules! customer_columns {
    () => {
        "id, organization_id, created_at, modified_at, type, email, name, external_id, metadata, deleted_at"
    };
}

macro_rules! member_columns {
    () => {
        "id, customer_id, organization_id, created_at, modified_at, email, name, external_id, role, deleted_at"
    };
}

pub(super) const CUSTOMER_COLUMNS: &str = customer_columns!();
pub(super) const MEMBER_COLUMNS: &str = member_columns!();

pub(super) const INSERT_CUSTOMER: &str = concat!(
    "INSERT INTO customers (",
    customer_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
);

pub(super) const UPDATE_CUSTOMER: &str = "UPDATE customers SET modified_at = $3, type = $4, email = $5, name = $6, \
     external_id = $7, metadata = $8, deleted_at = $9 WHERE id = $1 AND organization_id = $2";

pub(super) const SELECT_CUSTOMER: &str = concat!(
    "SELECT ",
    customer_columns!(),
    " FROM customers WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL"
);

pub(super) const SELECT_CUSTOMER_EVEN_DELETED: &str = concat!(
    "SELECT ",
    customer_columns!(),
    " FROM customers WHERE id = $1 AND organization_id = $2"
);

pub(super) const SELECT_CUSTOMER_BY_EXTERNAL_ID: &str = concat!(
    "SELECT ",
    customer_columns!(),
    " FROM customers WHERE external_id = $1 AND organization_id = $2 AND deleted_at IS NULL"
);

pub(super) const INSERT_MEMBER: &str = concat!(
    "INSERT INTO members (",
    member_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
);

pub(super) const UPDATE_MEMBER: &str = "UPDATE members SET modified_at = $3, email = $4, name = $5, \
     external_id = $6, role = $7, deleted_at = $8 WHERE id = $1 AND customer_id = $2";

pub(super) const SELECT_MEMBER: &str = concat!(
    "SELECT ",
    member_columns!(),
    " FROM members WHERE id = $1 AND customer_id = $2 AND deleted_at IS NULL"
);

pub(super) const SELECT_MEMBER_BY_EXTERNAL_ID: &str = concat!(
    "SELECT ",
    member_columns!(),
    " FROM members WHERE external_id = $1 AND customer_id = $2 AND deleted_at IS NULL"
);

pub(super) const SELECT_OWNER: &str = concat!(
    "SELECT ",
    member_columns!(),
    " FROM members WHERE customer_id = $1 AND role = 'owner' AND deleted_at IS NULL"
);

pub(super) const DELETE_MEMBERS_OF_CUSTOMER: &str = "UPDATE members SET deleted_at = $2, modified_at = $2 WHERE customer_id = $1 AND deleted_at IS NULL";

pub(super) const INSERT_CUSTOMER_SESSION: &str = "INSERT INTO customer_sessions \
     (id, organization_id, customer_id, member_id, token_hash, created_at, expires_at, return_url) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Implements [`CustomerStore`](super::CustomerStore) for a store with a `pool: sqlx::Pool<$db>`.
macro_rules! customer_store {
    ($store:ident, $db:ty, $begin_write:literal) => {
        impl $store {
            async fn write_customer_with<'e, E>(
                executor: E,
                customer: &$crate::server::store::CustomerRecord,
                insert: bool,
            ) -> Result<(), $crate::server::store::StoreError>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                use $crate::server::store::{catalog::to_json, customers_sql as sql};
                let query = if insert {
                    sqlx::query(sql::INSERT_CUSTOMER)
                        .bind(customer.id)
                        .bind(customer.organization_id)
                        .bind(customer.created_at)
                } else {
                    sqlx::query(sql::UPDATE_CUSTOMER)
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

            async fn insert_customer_session_with<'e, E>(
                executor: E,
                session: &$crate::server::store::NewCustomerSession,
            ) -> Result<(), $crate::server::store::StoreError>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                sqlx::query($crate::server::store::customers_sql::INSERT_CUSTOMER_SESSION)
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
            fn bind_member<'q>(
                query: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>,
                member: &$crate::server::store::MemberRecord,
            ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments> {
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

            async fn write_member_with<'e, E>(
                executor: E,
                member: &$crate::server::store::MemberRecord,
                insert: bool,
            ) -> Result<(), $crate::server::store::StoreError>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                use $crate::server::store::customers_sql as sql;
                let query = if insert {
                    Self::bind_member(sqlx::query(sql::INSERT_MEMBER), member)
                } else {
                    sqlx::query(sql::UPDATE_MEMBER)
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
        impl $crate::server::store::CustomerStore for $store {
            async fn insert_customer(
                &self,
                customer: &$crate::server::store::CustomerRecord,
                owner: &$crate::server::store::MemberRecord,
                events: &[$crate::server::store::NewEvent],
            ) -> Result<(), $crate::server::store::StoreError> {
                let mut tx = self.pool.begin_with($begin_write).await?;
                Self::write_customer_with(&mut *tx, customer, true).await?;
                Self::write_member_with(&mut *tx, owner, true).await?;
                for event in events {
                    Self::insert_event_with(&mut *tx, event).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn update_customer(
                &self,
                customer: &$crate::server::store::CustomerRecord,
                events: &[$crate::server::store::NewEvent],
            ) -> Result<(), $crate::server::store::StoreError> {
                use $crate::server::store::customers_sql as sql;
                let mut tx = self.pool.begin_with($begin_write).await?;
                Self::write_customer_with(&mut *tx, customer, false).await?;
                if let Some(deleted_at) = customer.deleted_at {
                    sqlx::query(sql::DELETE_MEMBERS_OF_CUSTOMER)
                        .bind(customer.id)
                        .bind(deleted_at)
                        .execute(&mut *tx)
                        .await?;
                }
                for event in events {
                    Self::insert_event_with(&mut *tx, event).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn customer(
                &self,
                organization_id: $crate::model::OrganizationId,
                id: $crate::model::CustomerId,
            ) -> Result<
                Option<$crate::server::store::CustomerRecord>,
                $crate::server::store::StoreError,
            > {
                use $crate::server::store::{customers::CustomerRow, customers_sql as sql};
                self.find_by::<CustomerRow, _, _, _>(sql::SELECT_CUSTOMER, id, organization_id)
                    .await
            }

            async fn customer_even_deleted(
                &self,
                organization_id: $crate::model::OrganizationId,
                id: $crate::model::CustomerId,
            ) -> Result<
                Option<$crate::server::store::CustomerRecord>,
                $crate::server::store::StoreError,
            > {
                use $crate::server::store::{customers::CustomerRow, customers_sql as sql};
                self.find_by::<CustomerRow, _, _, _>(
                    sql::SELECT_CUSTOMER_EVEN_DELETED,
                    id,
                    organization_id,
                )
                .await
            }

            async fn customer_by_external_id(
                &self,
                organization_id: $crate::model::OrganizationId,
                external_id: &str,
            ) -> Result<
                Option<$crate::server::store::CustomerRecord>,
                $crate::server::store::StoreError,
            > {
                use $crate::server::store::{customers::CustomerRow, customers_sql as sql};
                self.find_by::<CustomerRow, _, _, _>(
                    sql::SELECT_CUSTOMER_BY_EXTERNAL_ID,
                    external_id,
                    organization_id,
                )
                .await
            }

            async fn list_customers(
                &self,
                organization_id: $crate::model::OrganizationId,
                filter: &$crate::server::store::CustomerFilter,
                page: $crate::model::PageRequest,
            ) -> Result<
                (Vec<$crate::server::store::CustomerRecord>, u64),
                $crate::server::store::StoreError,
            > {
                use $crate::server::store::{Store, customers::CustomerRow, customers_sql as sql};
                let list = filter.sql(organization_id, self.backend());
                self.run_list::<CustomerRow, _>(&list, sql::CUSTOMER_COLUMNS, "customers", page)
                    .await
            }

            async fn insert_member(
                &self,
                member: &$crate::server::store::MemberRecord,
                event: &$crate::server::store::NewEvent,
            ) -> Result<(), $crate::server::store::StoreError> {
                let mut tx = self.pool.begin_with($begin_write).await?;
                Self::write_member_with(&mut *tx, member, true).await?;
                Self::insert_event_with(&mut *tx, event).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn update_member(
                &self,
                member: &$crate::server::store::MemberRecord,
                event: &$crate::server::store::NewEvent,
            ) -> Result<(), $crate::server::store::StoreError> {
                let mut tx = self.pool.begin_with($begin_write).await?;
                Self::write_member_with(&mut *tx, member, false).await?;
                Self::insert_event_with(&mut *tx, event).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn member(
                &self,
                customer_id: $crate::model::CustomerId,
                id: $crate::model::MemberId,
            ) -> Result<
                Option<$crate::server::store::MemberRecord>,
                $crate::server::store::StoreError,
            > {
                use $crate::server::store::{customers::MemberRow, customers_sql as sql};
                self.find_by::<MemberRow, _, _, _>(sql::SELECT_MEMBER, id, customer_id)
                    .await
            }

            async fn member_by_external_id(
                &self,
                customer_id: $crate::model::CustomerId,
                external_id: &str,
            ) -> Result<
                Option<$crate::server::store::MemberRecord>,
                $crate::server::store::StoreError,
            > {
                use $crate::server::store::{customers::MemberRow, customers_sql as sql};
                self.find_by::<MemberRow, _, _, _>(
                    sql::SELECT_MEMBER_BY_EXTERNAL_ID,
                    external_id,
                    customer_id,
                )
                .await
            }

            async fn owner(
                &self,
                customer_id: $crate::model::CustomerId,
            ) -> Result<
                Option<$crate::server::store::MemberRecord>,
                $crate::server::store::StoreError,
            > {
                use $crate::server::store::{customers::MemberRow, customers_sql as sql};
                let row: Option<MemberRow> = sqlx::query_as(sql::SELECT_OWNER)
                    .bind(customer_id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn list_members(
                &self,
                customer_id: $crate::model::CustomerId,
                filter: &$crate::server::store::MemberFilter,
                page: $crate::model::PageRequest,
            ) -> Result<
                (Vec<$crate::server::store::MemberRecord>, u64),
                $crate::server::store::StoreError,
            > {
                use $crate::server::store::{customers::MemberRow, customers_sql as sql};
                let list = filter.sql(customer_id);
                self.run_list::<MemberRow, _>(&list, sql::MEMBER_COLUMNS, "members", page)
                    .await
            }

            async fn insert_customer_session(
                &self,
                session: &$crate::server::store::NewCustomerSession,
            ) -> Result<(), $crate::server::store::StoreError> {
                Self::insert_customer_session_with(&self.pool, session).await
            }
        }
    };
}

pub(super) use customer_store;
