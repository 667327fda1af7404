//! SQL of the catalog and of the outbox, and the implementation of [`CatalogStore`] shared by both
//! backends (see `sql.rs` for the approach).
//!
//! [`CatalogStore`]: super::CatalogStore

use super::{
    BenefitFilter, BenefitRecord, CatalogStore, EventRecord, KeyTermsChange, NewEvent,
    ProductFilter, ProductRecord, SqlStore, Store, StoreError,
    catalog::{
        BenefitRow, PriceRow, ProductBenefitRow, ProductRow, benefit_properties_json,
        price_columns, to_json,
    },
    db::{On, Query, Tx, query, query_as},
};
use crate::model::{BenefitId, Named, OrganizationId, PageRequest, ProductId};
use std::collections::HashMap;

pub(super) const BENEFIT_COLUMNS: &str = "id, organization_id, created_at, modified_at, type, description, properties, metadata, deleted_at";

pub(super) const PRODUCT_COLUMNS: &str = "id, organization_id, created_at, modified_at, name, description, \
     recurring_interval, is_archived, metadata";

/// The live prices of products; the caller adds `AND product_id IN (...)`.
pub(super) const LIVE_PRICES: &str = "SELECT id, product_id, created_at, amount_type, price_currency, \
     price_amount, seat_tier_type, seat_tiers FROM product_prices WHERE is_archived = FALSE";

/// The benefits of products; the caller adds `WHERE pb.product_id IN (...)`.
pub(super) const PRODUCT_BENEFITS: &str = "SELECT pb.product_id, b.id, b.organization_id, b.created_at, \
     b.modified_at, b.type, b.description, b.properties, b.metadata, b.deleted_at \
     FROM product_benefits pb JOIN benefits b ON b.id = pb.benefit_id";

pub(super) const INSERT_BENEFIT: &str = "INSERT INTO benefits \
     (id, organization_id, created_at, modified_at, type, description, properties, metadata, deleted_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

pub(super) const UPDATE_BENEFIT: &str = "UPDATE benefits SET modified_at = $3, description = $4, \
     properties = $5, metadata = $6, deleted_at = $7 WHERE id = $1 AND organization_id = $2";

pub(super) const SELECT_BENEFIT: &str = "SELECT b.id, b.organization_id, b.created_at, b.modified_at, \
     b.type, b.description, b.properties, b.metadata, b.deleted_at FROM benefits b \
     WHERE b.id = $1 AND b.organization_id = $2";

pub(super) const INSERT_PRODUCT: &str = "INSERT INTO products \
     (id, organization_id, created_at, modified_at, name, description, recurring_interval, is_archived, metadata) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

pub(super) const UPDATE_PRODUCT: &str = "UPDATE products SET modified_at = $3, name = $4, description = $5, \
     is_archived = $6, metadata = $7 WHERE id = $1 AND organization_id = $2";

pub(super) const SELECT_PRODUCT: &str = "SELECT id, organization_id, created_at, modified_at, name, description, \
     recurring_interval, is_archived, metadata FROM products WHERE id = $1 AND organization_id = $2";

pub(super) const INSERT_PRICE: &str = "INSERT INTO product_prices \
     (id, product_id, created_at, amount_type, price_currency, price_amount, seat_tier_type, seat_tiers, is_archived) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE)";

pub(super) const ARCHIVE_PRICES: &str = "UPDATE product_prices SET is_archived = TRUE, modified_at = $2 WHERE product_id = $1 AND is_archived = FALSE";

pub(super) const SELECT_PRICES_OF_PRODUCT: &str = "SELECT id, product_id, created_at, amount_type, price_currency, \
     price_amount, seat_tier_type, seat_tiers FROM product_prices \
     WHERE product_id = $1 AND is_archived = FALSE ORDER BY created_at, id";

pub(super) const SELECT_BENEFITS_OF_PRODUCT: &str = "SELECT pb.product_id, b.id, b.organization_id, b.created_at, \
     b.modified_at, b.type, b.description, b.properties, b.metadata, b.deleted_at \
     FROM product_benefits pb JOIN benefits b ON b.id = pb.benefit_id \
     WHERE pb.product_id = $1 ORDER BY pb.position";

pub(super) const DELETE_PRODUCT_BENEFITS: &str =
    "DELETE FROM product_benefits WHERE product_id = $1";

pub(super) const INSERT_PRODUCT_BENEFIT: &str =
    "INSERT INTO product_benefits (product_id, benefit_id, position) VALUES ($1, $2, $3)";

pub(super) const INSERT_EVENT: &str = "INSERT INTO webhook_events (id, organization_id, type, payload, created_at) VALUES ($1, $2, $3, $4, $5)";

pub(super) const LIST_EVENTS: &str = "SELECT id, organization_id, type, payload, created_at FROM webhook_events \
     WHERE organization_id = $1 ORDER BY created_at, id";

impl SqlStore {
    /// Writes `events` to the outbox inside `tx`, then commits: a change commits with its events.
    pub(super) async fn commit_with_events(
        mut tx: Tx,
        events: &[NewEvent],
    ) -> Result<(), StoreError> {
        for event in events {
            Self::insert_event_with(&mut tx, event).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn insert_event_with(
        executor: impl Into<On<'_>>,
        event: &NewEvent,
    ) -> Result<(), StoreError> {
        Self::bind_event(query(INSERT_EVENT), event)?
            .execute(executor)
            .await?;
        Ok(())
    }

    /// Binds the parameters of `INSERT_EVENT` onto `query`.
    pub(super) fn bind_event<'q>(
        query: Query<'q>,
        event: &'q NewEvent,
    ) -> Result<Query<'q>, StoreError> {
        Ok(query
            .bind(event.id)
            .bind(event.organization_id)
            .bind(event.kind)
            .bind(to_json(&event.payload)?)
            .bind(event.created_at))
    }

    /// Prices and benefits of products, grouped by product id.
    pub(super) fn assemble_products(
        rows: Vec<ProductRow>,
        prices: Vec<PriceRow>,
        benefits: Vec<ProductBenefitRow>,
    ) -> Result<Vec<ProductRecord>, StoreError> {
        let mut prices_by: HashMap<_, Vec<_>> = HashMap::new();
        for price in prices {
            let product_id = price.product_id;
            prices_by
                .entry(product_id)
                .or_default()
                .push(price.try_into()?);
        }
        let mut benefits_by: HashMap<_, Vec<_>> = HashMap::new();
        for row in benefits {
            benefits_by
                .entry(row.product_id)
                .or_default()
                .push(row.benefit.try_into()?);
        }
        rows.into_iter()
            .map(|row| {
                let id = row.id;
                row.into_record(
                    prices_by.remove(&id).unwrap_or_default(),
                    benefits_by.remove(&id).unwrap_or_default(),
                )
            })
            .collect()
    }

    pub(super) async fn write_product_children(
        tx: &mut Tx,
        product: &ProductRecord,
        replace_prices: bool,
    ) -> Result<(), StoreError> {
        if replace_prices {
            query(ARCHIVE_PRICES)
                .bind(product.id)
                .bind(product.modified_at.unwrap_or(product.created_at))
                .execute(&mut *tx)
                .await?;
            for price in &product.prices {
                let (amount_type, amount, tier_type, tiers) = price_columns(&price.kind)?;
                query(INSERT_PRICE)
                    .bind(price.id)
                    .bind(product.id)
                    .bind(price.created_at)
                    .bind(amount_type)
                    .bind(price.currency.as_str())
                    .bind(amount)
                    .bind(tier_type)
                    .bind(tiers)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        query(DELETE_PRODUCT_BENEFITS)
            .bind(product.id)
            .execute(&mut *tx)
            .await?;
        for (position, benefit) in product.benefits.iter().enumerate() {
            query(INSERT_PRODUCT_BENEFIT)
                .bind(product.id)
                .bind(benefit.id)
                .bind(i64::try_from(position).unwrap_or(i64::MAX))
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl CatalogStore for SqlStore {
    async fn insert_benefit(
        &self,
        benefit: &BenefitRecord,
        event: &NewEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        query(INSERT_BENEFIT)
            .bind(benefit.id)
            .bind(benefit.organization_id)
            .bind(benefit.created_at)
            .bind(benefit.modified_at)
            .bind(benefit.properties.type_name())
            .bind(&benefit.description)
            .bind(benefit_properties_json(&benefit.properties)?)
            .bind(to_json(&benefit.metadata)?)
            .bind(benefit.deleted_at)
            .execute(&mut tx)
            .await?;
        Self::commit_with_events(tx, std::slice::from_ref(event)).await
    }

    async fn update_benefit(
        &self,
        benefit: &BenefitRecord,
        event: Option<&NewEvent>,
        keys: Option<&KeyTermsChange>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        if let (Some(keys), Some(now)) = (keys, benefit.modified_at) {
            Self::apply_key_terms_with(&mut tx, benefit.id, keys, now).await?;
        }
        query(UPDATE_BENEFIT)
            .bind(benefit.id)
            .bind(benefit.organization_id)
            .bind(benefit.modified_at)
            .bind(&benefit.description)
            .bind(benefit_properties_json(&benefit.properties)?)
            .bind(to_json(&benefit.metadata)?)
            .bind(benefit.deleted_at)
            .execute(&mut tx)
            .await?;
        if let Some(event) = event {
            Self::insert_event_with(&mut tx, event).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn benefit(
        &self,
        organization_id: OrganizationId,
        id: BenefitId,
    ) -> Result<Option<BenefitRecord>, StoreError> {
        self.find_by::<BenefitRow, _>(SELECT_BENEFIT, id, organization_id)
            .await
    }

    async fn list_benefits(
        &self,
        organization_id: OrganizationId,
        filter: &BenefitFilter,
        page: PageRequest,
    ) -> Result<(Vec<BenefitRecord>, u64), StoreError> {
        let list = filter.sql(organization_id, self.backend());
        self.run_list::<BenefitRow, _>(&list, BENEFIT_COLUMNS, "benefits", page)
            .await
    }

    async fn insert_product(
        &self,
        product: &ProductRecord,
        event: &NewEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        query(INSERT_PRODUCT)
            .bind(product.id)
            .bind(product.organization_id)
            .bind(product.created_at)
            .bind(product.modified_at)
            .bind(&product.name)
            .bind(product.description.as_deref())
            .bind(product.recurring_interval.map(Named::as_str))
            .bind(product.is_archived)
            .bind(to_json(&product.metadata)?)
            .execute(&mut tx)
            .await?;
        Self::write_product_children(&mut tx, product, true).await?;
        Self::commit_with_events(tx, std::slice::from_ref(event)).await
    }

    async fn update_product(
        &self,
        product: &ProductRecord,
        replace_prices: bool,
        event: &NewEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        query(UPDATE_PRODUCT)
            .bind(product.id)
            .bind(product.organization_id)
            .bind(product.modified_at)
            .bind(&product.name)
            .bind(product.description.as_deref())
            .bind(product.is_archived)
            .bind(to_json(&product.metadata)?)
            .execute(&mut tx)
            .await?;
        Self::write_product_children(&mut tx, product, replace_prices).await?;
        Self::commit_with_events(tx, std::slice::from_ref(event)).await
    }

    async fn product(
        &self,
        organization_id: OrganizationId,
        id: ProductId,
    ) -> Result<Option<ProductRecord>, StoreError> {
        let row: Option<ProductRow> = query_as(SELECT_PRODUCT)
            .bind(id)
            .bind(organization_id)
            .fetch_optional(&self.db)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let prices: Vec<PriceRow> = query_as(SELECT_PRICES_OF_PRODUCT)
            .bind(id)
            .fetch_all(&self.db)
            .await?;
        let benefits: Vec<ProductBenefitRow> = query_as(SELECT_BENEFITS_OF_PRODUCT)
            .bind(id)
            .fetch_all(&self.db)
            .await?;
        Ok(Self::assemble_products(vec![row], prices, benefits)?.pop())
    }

    async fn list_products(
        &self,
        organization_id: OrganizationId,
        filter: &ProductFilter,
        page: PageRequest,
    ) -> Result<(Vec<ProductRecord>, u64), StoreError> {
        let list = filter.sql(organization_id, self.backend());
        let (rows, total) = self
            .run_list_rows::<ProductRow>(&list, PRODUCT_COLUMNS, "products", page)
            .await?;
        if rows.is_empty() {
            return Ok((Vec::new(), total));
        }
        let ids = super::sql::placeholders(rows.len());
        let mut prices = query_as::<PriceRow>(sqlx::AssertSqlSafe(format!(
            "{} AND product_id IN ({ids}) ORDER BY created_at, id",
            LIVE_PRICES
        )));
        let mut benefits = query_as::<ProductBenefitRow>(sqlx::AssertSqlSafe(format!(
            "{} WHERE pb.product_id IN ({ids}) ORDER BY pb.product_id, pb.position",
            PRODUCT_BENEFITS
        )));
        for row in &rows {
            prices = prices.bind(row.id);
            benefits = benefits.bind(row.id);
        }
        let prices = prices.fetch_all(&self.db).await?;
        let benefits = benefits.fetch_all(&self.db).await?;
        Ok((Self::assemble_products(rows, prices, benefits)?, total))
    }

    async fn events(
        &self,
        organization_id: OrganizationId,
    ) -> Result<Vec<EventRecord>, StoreError> {
        Ok(query_as(LIST_EVENTS)
            .bind(organization_id)
            .fetch_all(&self.db)
            .await?)
    }
}
