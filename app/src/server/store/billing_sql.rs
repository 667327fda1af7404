//! SQL of checkouts, subscriptions and orders, and the implementation of
//! [`BillingStore`](super::BillingStore) shared by both backends.

macro_rules! checkout_columns {
    () => {
        "id, organization_id, created_at, modified_at, client_secret, status, expires_at, product_id, price_id, \
         seats, min_seats, max_seats, amount, currency, customer_id, customer_email, customer_name, \
         external_customer_id, success_url, metadata, subscription_id, order_id"
    };
}

macro_rules! subscription_columns {
    () => {
        "id, organization_id, created_at, modified_at, customer_id, product_id, price_id, checkout_id, status, seats, \
         amount, currency, recurring_interval, current_period_start, current_period_end, cancel_at_period_end, \
         canceled_at, started_at, ended_at, metadata"
    };
}

/// `$1` member, `$2` limit, `$3` offset: subscriptions where the member holds a claimed seat.
pub(super) const CLAIMED_SUBSCRIPTIONS: &str = concat!(
    "SELECT ",
    subscription_columns!(),
    " FROM subscriptions WHERE id IN (SELECT subscription_id FROM customer_seats WHERE member_id = $1 \
     AND status = 'claimed') ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
);

pub(super) const COUNT_CLAIMED_SUBSCRIPTIONS: &str = "SELECT COUNT(*) FROM subscriptions WHERE id IN \
     (SELECT subscription_id FROM customer_seats WHERE member_id = $1 AND status = 'claimed')";

macro_rules! order_columns {
    () => {
        "id, organization_id, created_at, modified_at, customer_id, product_id, subscription_id, checkout_id, status, \
         billing_reason, seats, subtotal_amount, total_amount, currency, items, metadata"
    };
}

pub(super) const UPSERT_CHECKOUT: &str = concat!(
    "INSERT INTO checkouts (",
    checkout_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) \
     ON CONFLICT (id) DO UPDATE SET modified_at = excluded.modified_at, status = excluded.status, \
     seats = excluded.seats, amount = excluded.amount, customer_id = excluded.customer_id, \
     customer_email = excluded.customer_email, customer_name = excluded.customer_name, \
     subscription_id = excluded.subscription_id, order_id = excluded.order_id"
);

pub(super) const SELECT_CHECKOUT: &str = concat!(
    "SELECT ",
    checkout_columns!(),
    " FROM checkouts WHERE id = $1 AND organization_id = $2"
);

pub(super) const SELECT_CHECKOUT_BY_SECRET: &str = concat!(
    "SELECT ",
    checkout_columns!(),
    " FROM checkouts WHERE client_secret = $1"
);

pub(super) const LIST_CHECKOUTS: &str = concat!(
    "SELECT ",
    checkout_columns!(),
    " FROM checkouts WHERE organization_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
);

pub(super) const COUNT_CHECKOUTS: &str =
    "SELECT COUNT(*) FROM checkouts WHERE organization_id = $1";

/// `$1` id, `$2` expected status, `$3` new status, `$4` now: one conditional update.
pub(super) const TRANSITION_CHECKOUT: &str =
    "UPDATE checkouts SET status = $3, modified_at = $4 WHERE id = $1 AND status = $2";

pub(super) const INSERT_SUBSCRIPTION: &str = concat!(
    "INSERT INTO subscriptions (",
    subscription_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
);

pub(super) const SELECT_SUBSCRIPTION: &str = concat!(
    "SELECT ",
    subscription_columns!(),
    " FROM subscriptions WHERE id = $1 AND organization_id = $2"
);

/// `$1` organization, `$2` customer, `$3` product, `$4` status; NULL = any.
macro_rules! subscription_filter {
    () => {
        "organization_id = $1 AND ($2 IS NULL OR customer_id = $2) AND ($3 IS NULL OR product_id = $3) \
         AND ($4 IS NULL OR status = $4)"
    };
}

pub(super) const LIST_SUBSCRIPTIONS: &str = concat!(
    "SELECT ",
    subscription_columns!(),
    " FROM subscriptions WHERE ",
    subscription_filter!(),
    " ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6"
);

pub(super) const COUNT_SUBSCRIPTIONS: &str = concat!(
    "SELECT COUNT(*) FROM subscriptions WHERE ",
    subscription_filter!()
);

pub(super) const INSERT_ORDER: &str = concat!(
    "INSERT INTO orders (",
    order_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
);

pub(super) const SELECT_ORDER: &str = concat!(
    "SELECT ",
    order_columns!(),
    " FROM orders WHERE id = $1 AND organization_id = $2"
);

macro_rules! order_filter {
    () => {
        "organization_id = $1 AND ($2 IS NULL OR customer_id = $2) AND ($3 IS NULL OR product_id = $3)"
    };
}

pub(super) const LIST_ORDERS: &str = concat!(
    "SELECT ",
    order_columns!(),
    " FROM orders WHERE ",
    order_filter!(),
    " ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
);

pub(super) const COUNT_ORDERS: &str =
    concat!("SELECT COUNT(*) FROM orders WHERE ", order_filter!());

/// Implements [`BillingStore`](super::BillingStore) for a store with a `pool: sqlx::Pool<$db>`.
macro_rules! billing_store {
    ($store:ident, $db:ty, $begin_write:literal) => {
        impl $store {
            async fn write_checkout_with<'e, E>(
                executor: E,
                c: &$crate::server::store::CheckoutRecord,
            ) -> Result<(), $crate::server::store::StoreError>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                use $crate::server::store::{billing_sql as sql, catalog::to_json};
                sqlx::query(sql::UPSERT_CHECKOUT)
                    .bind(c.id)
                    .bind(c.organization_id)
                    .bind(c.created_at)
                    .bind(c.modified_at)
                    .bind(&c.client_secret)
                    .bind(c.status.as_str())
                    .bind(c.expires_at)
                    .bind(c.product_id)
                    .bind(c.price_id)
                    .bind(i64::from(c.seats))
                    .bind(i64::from(c.min_seats))
                    .bind(i64::from(c.max_seats))
                    .bind(c.amount.get())
                    .bind(c.currency.as_str())
                    .bind(c.customer_id)
                    .bind(c.customer_email.as_ref().map(|e| e.as_str()))
                    .bind(c.customer_name.as_deref())
                    .bind(c.external_customer_id.as_deref())
                    .bind(c.success_url.as_deref())
                    .bind(to_json(&c.metadata)?)
                    .bind(c.subscription_id)
                    .bind(c.order_id)
                    .execute(executor)
                    .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::server::store::BillingStore for $store {
            async fn save_checkout(
                &self,
                checkout: &$crate::server::store::CheckoutRecord,
                event: &$crate::server::store::NewEvent,
            ) -> Result<(), $crate::server::store::StoreError> {
                let mut tx = self.pool.begin_with($begin_write).await?;
                Self::write_checkout_with(&mut *tx, checkout).await?;
                Self::insert_event_with(&mut *tx, event).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn checkout(
                &self,
                organization_id: $crate::model::OrganizationId,
                id: $crate::model::CheckoutId,
            ) -> Result<Option<$crate::server::store::CheckoutRecord>, $crate::server::store::StoreError> {
                use $crate::server::store::{billing::CheckoutRow, billing_sql as sql};
                self.find_by::<CheckoutRow, _, _, _>(sql::SELECT_CHECKOUT, id, organization_id).await
            }

            async fn checkout_by_client_secret(
                &self,
                client_secret: &str,
            ) -> Result<Option<$crate::server::store::CheckoutRecord>, $crate::server::store::StoreError> {
                use $crate::server::store::{billing::CheckoutRow, billing_sql as sql};
                let row: Option<CheckoutRow> =
                    sqlx::query_as(sql::SELECT_CHECKOUT_BY_SECRET).bind(client_secret).fetch_optional(&self.pool).await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn list_checkouts(
                &self,
                organization_id: $crate::model::OrganizationId,
                page: $crate::model::PageRequest,
            ) -> Result<(Vec<$crate::server::store::CheckoutRecord>, u64), $crate::server::store::StoreError> {
                use $crate::server::store::{billing::CheckoutRow, billing_sql as sql};
                let rows: Vec<CheckoutRow> = sqlx::query_as(sql::LIST_CHECKOUTS)
                    .bind(organization_id)
                    .bind(i64::from(page.limit()))
                    .bind(i64::try_from(page.offset()).unwrap_or(i64::MAX))
                    .fetch_all(&self.pool)
                    .await?;
                let total: i64 = sqlx::query_scalar(sql::COUNT_CHECKOUTS).bind(organization_id).fetch_one(&self.pool).await?;
                let records = rows.into_iter().map(TryInto::try_into).collect::<Result<Vec<_>, _>>()?;
                Ok((records, u64::try_from(total).unwrap_or_default()))
            }

            async fn transition_checkout(
                &self,
                id: $crate::model::CheckoutId,
                from: $crate::model::billing::CheckoutStatus,
                to: $crate::model::billing::CheckoutStatus,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::server::store::StoreError> {
                let result = sqlx::query($crate::server::store::billing_sql::TRANSITION_CHECKOUT)
                    .bind(id)
                    .bind(from.as_str())
                    .bind(to.as_str())
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(result.rows_affected() == 1)
            }

            async fn complete_purchase(
                &self,
                purchase: &$crate::server::store::Purchase,
            ) -> Result<(), $crate::server::store::StoreError> {
                use $crate::server::store::{billing_sql as sql, catalog::to_json, CustomerWrite};
                let mut tx = self.pool.begin_with($begin_write).await?;
                match &purchase.customer {
                    CustomerWrite::Insert(customer, owner) => {
                        Self::write_customer_with(&mut *tx, customer, true).await?;
                        Self::write_member_with(&mut *tx, owner, true).await?;
                    }
                    CustomerWrite::Update(customer) => {
                        Self::write_customer_with(&mut *tx, customer, false).await?;
                    }
                }
                if let Some(s) = &purchase.subscription {
                    sqlx::query(sql::INSERT_SUBSCRIPTION)
                        .bind(s.id)
                        .bind(s.organization_id)
                        .bind(s.created_at)
                        .bind(s.modified_at)
                        .bind(s.customer_id)
                        .bind(s.product_id)
                        .bind(s.price_id)
                        .bind(s.checkout_id)
                        .bind(s.status.as_str())
                        .bind(i64::from(s.seats))
                        .bind(s.amount.get())
                        .bind(s.currency.as_str())
                        .bind(s.recurring_interval.as_str())
                        .bind(s.current_period_start)
                        .bind(s.current_period_end)
                        .bind(s.cancel_at_period_end)
                        .bind(s.canceled_at)
                        .bind(s.started_at)
                        .bind(s.ended_at)
                        .bind(to_json(&s.metadata)?)
                        .execute(&mut *tx)
                        .await?;
                }
                let o = &purchase.order;
                sqlx::query(sql::INSERT_ORDER)
                    .bind(o.id)
                    .bind(o.organization_id)
                    .bind(o.created_at)
                    .bind(o.modified_at)
                    .bind(o.customer_id)
                    .bind(o.product_id)
                    .bind(o.subscription_id)
                    .bind(o.checkout_id)
                    .bind(o.status.as_str())
                    .bind(o.billing_reason.as_str())
                    .bind(i64::from(o.seats))
                    .bind(o.subtotal_amount.get())
                    .bind(o.total_amount.get())
                    .bind(o.currency.as_str())
                    .bind(to_json(&o.items)?)
                    .bind(to_json(&o.metadata)?)
                    .execute(&mut *tx)
                    .await?;
                Self::write_checkout_with(&mut *tx, &purchase.checkout).await?;
                for event in &purchase.events {
                    Self::insert_event_with(&mut *tx, event).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn subscription(
                &self,
                organization_id: $crate::model::OrganizationId,
                id: $crate::model::SubscriptionId,
            ) -> Result<Option<$crate::server::store::SubscriptionRecord>, $crate::server::store::StoreError> {
                use $crate::server::store::{billing::SubscriptionRow, billing_sql as sql};
                self.find_by::<SubscriptionRow, _, _, _>(sql::SELECT_SUBSCRIPTION, id, organization_id).await
            }

            async fn list_subscriptions(
                &self,
                organization_id: $crate::model::OrganizationId,
                filter: &$crate::server::store::BillingFilter,
                page: $crate::model::PageRequest,
            ) -> Result<(Vec<$crate::server::store::SubscriptionRecord>, u64), $crate::server::store::StoreError> {
                use $crate::server::store::{billing::SubscriptionRow, billing_sql as sql};
                let status = filter.status.map(|s| s.as_str());
                let rows: Vec<SubscriptionRow> = sqlx::query_as(sql::LIST_SUBSCRIPTIONS)
                    .bind(organization_id)
                    .bind(filter.customer_id)
                    .bind(filter.product_id)
                    .bind(status)
                    .bind(i64::from(page.limit()))
                    .bind(i64::try_from(page.offset()).unwrap_or(i64::MAX))
                    .fetch_all(&self.pool)
                    .await?;
                let total: i64 = sqlx::query_scalar(sql::COUNT_SUBSCRIPTIONS)
                    .bind(organization_id)
                    .bind(filter.customer_id)
                    .bind(filter.product_id)
                    .bind(status)
                    .fetch_one(&self.pool)
                    .await?;
                let records = rows.into_iter().map(TryInto::try_into).collect::<Result<Vec<_>, _>>()?;
                Ok((records, u64::try_from(total).unwrap_or_default()))
            }

            async fn order(
                &self,
                organization_id: $crate::model::OrganizationId,
                id: $crate::model::OrderId,
            ) -> Result<Option<$crate::server::store::OrderRecord>, $crate::server::store::StoreError> {
                use $crate::server::store::{billing::OrderRow, billing_sql as sql};
                self.find_by::<OrderRow, _, _, _>(sql::SELECT_ORDER, id, organization_id).await
            }

            async fn list_orders(
                &self,
                organization_id: $crate::model::OrganizationId,
                filter: &$crate::server::store::BillingFilter,
                page: $crate::model::PageRequest,
            ) -> Result<(Vec<$crate::server::store::OrderRecord>, u64), $crate::server::store::StoreError> {
                use $crate::server::store::{billing::OrderRow, billing_sql as sql};
                let rows: Vec<OrderRow> = sqlx::query_as(sql::LIST_ORDERS)
                    .bind(organization_id)
                    .bind(filter.customer_id)
                    .bind(filter.product_id)
                    .bind(i64::from(page.limit()))
                    .bind(i64::try_from(page.offset()).unwrap_or(i64::MAX))
                    .fetch_all(&self.pool)
                    .await?;
                let total: i64 = sqlx::query_scalar(sql::COUNT_ORDERS)
                    .bind(organization_id)
                    .bind(filter.customer_id)
                    .bind(filter.product_id)
                    .fetch_one(&self.pool)
                    .await?;
                let records = rows.into_iter().map(TryInto::try_into).collect::<Result<Vec<_>, _>>()?;
                Ok((records, u64::try_from(total).unwrap_or_default()))
            }
        }
    };
}

pub(super) use billing_store;
