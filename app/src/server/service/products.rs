//! Products: create with prices (one seat-based, optionally one fixed), read, list, update (prices
//! are replaced: the old ones are archived), archive, and attach benefits.

use std::collections::HashSet;

use crate::{
    domain::catalog::{ValidPrices, validate_interval, validate_prices},
    model::{
        ListResource, LocSegment, PageRequest, PriceId, ProductId, Scope, ValidationIssue,
        benefit::Benefit,
        metadata::Metadata,
        product::{
            FixedPrice, PriceCommon, Product, ProductBenefitsUpdate, ProductCreate, ProductPrice,
            ProductUpdate, SeatBasedPrice, SeatTiersOutput,
        },
    },
    server::store::{PriceKind, PriceRecord, ProductFilter, ProductRecord},
};

use super::{OrganizationCaller, ServiceError, Services, text};

const MAX_NAME_LEN: usize = 256;

impl From<PriceRecord> for ProductPrice {
    fn from(p: PriceRecord) -> Self {
        let common = PriceCommon {
            id: p.id,
            created_at: p.created_at,
            modified_at: None,
            source: "catalog".into(),
            price_currency: p.currency,
            tax_behavior: None,
            is_archived: false,
            product_id: p.product_id,
        };
        match p.kind {
            PriceKind::Fixed(amount) => Self::Fixed(FixedPrice {
                common,
                price_amount: amount,
            }),
            PriceKind::SeatBased(tiers) => Self::SeatBased(SeatBasedPrice {
                common,
                seat_tiers: SeatTiersOutput {
                    seat_tier_type: tiers.tier_type(),
                    minimum_seats: tiers.minimum_seats(),
                    maximum_seats: tiers.declared_maximum_seats(),
                    tiers: tiers.tiers().to_vec(),
                },
            }),
        }
    }
}

impl From<ProductRecord> for Product {
    fn from(r: ProductRecord) -> Self {
        Self {
            id: r.id,
            created_at: r.created_at,
            modified_at: r.modified_at,
            trial_interval: None,
            trial_interval_count: None,
            name: r.name,
            description: r.description,
            visibility: "public".into(),
            recurring_interval: r.recurring_interval,
            recurring_interval_count: r.recurring_interval.map(|_| 1),
            meter_interval: None,
            meter_interval_count: None,
            is_recurring: r.recurring_interval.is_some(),
            is_archived: r.is_archived,
            organization_id: r.organization_id,
            metadata: r.metadata,
            is_deletable: false,
            prices: r.prices.into_iter().map(ProductPrice::from).collect(),
            benefits: r
                .benefits
                .into_iter()
                .filter(|b| b.deleted_at.is_none())
                .map(Benefit::from)
                .collect(),
            medias: Vec::new(),
            attached_custom_fields: Vec::new(),
        }
    }
}

fn check_name(name: &str, issues: &mut Vec<ValidationIssue>) {
    if !(1..=MAX_NAME_LEN).contains(&name.trim().chars().count()) {
        issues.push(ValidationIssue::in_body(
            ["name"],
            format!("name must be 1 to {MAX_NAME_LEN} characters"),
            "string_length",
        ));
    }
}

fn check_metadata(metadata: &Metadata, issues: &mut Vec<ValidationIssue>) {
    if let Err(msg) = metadata.validate() {
        issues.push(ValidationIssue::in_body(["metadata"], msg, "value_error"));
    }
}

impl Services {
    /// The price records of validated prices: the seat-based price first.
    fn price_records(&self, product_id: ProductId, prices: ValidPrices) -> Vec<PriceRecord> {
        let now = self.now();
        let mut records = vec![PriceRecord {
            id: PriceId::new(),
            product_id,
            created_at: now,
            currency: prices.currency.clone(),
            kind: PriceKind::SeatBased(prices.seat_tiers),
        }];
        if let Some(amount) = prices.fixed {
            records.push(PriceRecord {
                id: PriceId::new(),
                product_id,
                created_at: now,
                currency: prices.currency,
                kind: PriceKind::Fixed(amount),
            });
        }
        records
    }

    #[tracing::instrument(skip_all, fields(organization_id = %caller.organization_id), err(level = "info"))]
    pub async fn create_product(
        &self,
        caller: &OrganizationCaller,
        input: ProductCreate,
    ) -> Result<Product, ServiceError> {
        caller.require_any(&[Scope::ProductsWrite])?;
        let mut issues = Vec::new();
        check_name(&input.name, &mut issues);
        let description = text::clean(
            "description",
            input.description,
            text::MAX_LONG_TEXT_LEN,
            &mut issues,
        );
        check_metadata(&input.metadata, &mut issues);
        if let Err(issue) =
            validate_interval(input.recurring_interval, input.recurring_interval_count)
        {
            issues.push(issue);
        }
        let prices = validate_prices(&input.prices).map_err(|mut more| {
            issues.append(&mut more);
            ServiceError::Validation(std::mem::take(&mut issues))
        })?;
        if !issues.is_empty() {
            return Err(ServiceError::Validation(issues));
        }
        let id = ProductId::new();
        let record = ProductRecord {
            id,
            organization_id: caller.organization_id,
            created_at: self.now(),
            modified_at: None,
            name: input.name.trim().to_owned(),
            description,
            recurring_interval: input.recurring_interval,
            is_archived: false,
            metadata: input.metadata,
            prices: self.price_records(id, prices),
            benefits: Vec::new(),
        };
        let product = Product::from(record.clone());
        let event = self.event(caller.organization_id, "product.created", &product)?;
        self.store().insert_product(&record, &event).await?;
        Ok(product)
    }

    async fn product_record(
        &self,
        caller: &OrganizationCaller,
        id: ProductId,
    ) -> Result<ProductRecord, ServiceError> {
        self.store()
            .product(caller.organization_id, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Product"))
    }

    pub async fn get_product(
        &self,
        caller: &OrganizationCaller,
        id: ProductId,
    ) -> Result<Product, ServiceError> {
        caller.require_any(&[Scope::ProductsRead, Scope::ProductsWrite])?;
        Ok(self.product_record(caller, id).await?.into())
    }

    pub async fn list_products(
        &self,
        caller: &OrganizationCaller,
        filter: ProductFilter,
        page: PageRequest,
    ) -> Result<ListResource<Product>, ServiceError> {
        caller.require_any(&[Scope::ProductsRead, Scope::ProductsWrite])?;
        let (records, total) = self
            .store()
            .list_products(caller.organization_id, &filter, page)
            .await?;
        Ok(ListResource::new(
            records.into_iter().map(Product::from).collect(),
            total,
            page,
        ))
    }

    #[tracing::instrument(skip_all, fields(product_id = %id), err(level = "info"))]
    pub async fn update_product(
        &self,
        caller: &OrganizationCaller,
        id: ProductId,
        input: ProductUpdate,
    ) -> Result<Product, ServiceError> {
        caller.require_any(&[Scope::ProductsWrite])?;
        let mut record = self.product_record(caller, id).await?;
        let mut issues = Vec::new();
        if let Some(name) = &input.name {
            check_name(name, &mut issues);
            record.name = name.trim().to_owned();
        }
        if let Some(metadata) = input.metadata {
            check_metadata(&metadata, &mut issues);
            record.metadata = metadata;
        }
        if input.description.is_some() {
            record.description = text::clean(
                "description",
                input.description,
                text::MAX_LONG_TEXT_LEN,
                &mut issues,
            );
        }
        if let Some(archived) = input.is_archived {
            record.is_archived = archived;
        }
        let replace_prices = match &input.prices {
            Some(prices) => match validate_prices(prices) {
                Ok(valid) => {
                    record.prices = self.price_records(id, valid);
                    true
                }
                Err(mut more) => {
                    issues.append(&mut more);
                    false
                }
            },
            None => false,
        };
        if !issues.is_empty() {
            return Err(ServiceError::Validation(issues));
        }
        record.modified_at = Some(self.now());
        let product = Product::from(record.clone());
        let event = self.event(caller.organization_id, "product.updated", &product)?;
        self.store()
            .update_product(&record, replace_prices, &event)
            .await?;
        Ok(product)
    }

    /// Replaces the product's benefits with `input.benefits`, in that order.
    #[tracing::instrument(skip_all, fields(product_id = %id), err(level = "info"))]
    pub async fn set_product_benefits(
        &self,
        caller: &OrganizationCaller,
        id: ProductId,
        input: ProductBenefitsUpdate,
    ) -> Result<Product, ServiceError> {
        caller.require_any(&[Scope::ProductsWrite])?;
        let mut record = self.product_record(caller, id).await?;
        let mut seen = HashSet::new();
        let mut benefits = Vec::with_capacity(input.benefits.len());
        for (i, benefit_id) in input.benefits.iter().enumerate() {
            let loc = [LocSegment::from("benefits"), LocSegment::Index(i as u64)];
            if !seen.insert(*benefit_id) {
                return Err(ServiceError::Validation(vec![ValidationIssue::in_body(
                    loc.clone(),
                    format!("benefit {benefit_id} is listed twice"),
                    "value_error",
                )]));
            }
            match self.live_benefit(caller, *benefit_id).await {
                Ok(benefit) => benefits.push(benefit),
                Err(ServiceError::NotFound { .. }) => {
                    return Err(ServiceError::Validation(vec![ValidationIssue::in_body(
                        loc.clone(),
                        format!("benefit {benefit_id} does not exist in this organization"),
                        "value_error",
                    )]));
                }
                Err(other) => return Err(other),
            }
        }
        record.benefits = benefits;
        record.modified_at = Some(self.now());
        let product = Product::from(record.clone());
        let event = self.event(caller.organization_id, "product.updated", &product)?;
        self.store().update_product(&record, false, &event).await?;
        Ok(product)
    }
}
