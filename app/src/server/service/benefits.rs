//! Benefits: create, read, list, update, delete (soft: a deleted benefit disappears from lists and
//! products but its grants keep their history).

use crate::model::{
    BenefitId, ListResource, PageRequest, Scope, ValidationIssue,
    benefit::{
        Benefit, BenefitCreate, BenefitProperties, BenefitUpdate, CustomProperties,
        LicenseKeysProperties, Timeframe,
    },
};
use crate::server::store::{BenefitFilter, BenefitRecord};

use super::{OrganizationCaller, ServiceError, Services, license_keys::key_terms, text};

const DESCRIPTION_LEN: std::ops::RangeInclusive<usize> = 3..=42;
const MAX_PREFIX_LEN: usize = 16;

impl From<BenefitRecord> for Benefit {
    fn from(r: BenefitRecord) -> Self {
        Self {
            id: r.id,
            created_at: r.created_at,
            modified_at: r.modified_at,
            properties: r.properties,
            description: r.description,
            selectable: true,
            deletable: true,
            is_deleted: r.deleted_at.is_some(),
            organization_id: r.organization_id,
            metadata: r.metadata,
            visibility: "public".into(),
            visibility_configurable: false,
        }
    }
}

/// The longest key lifetimes Polar accepts, per timeframe.
const MAX_TTL_DAYS: u32 = 36_500;
const MAX_TTL_MONTHS: u32 = 1_200;
const MAX_TTL_YEARS: u32 = 457;
/// Limits are 32-bit signed integers on the wire (Polar's `Int32`).
const MAX_LIMIT: u32 = i32::MAX as u32;

/// A license-key benefit's limits: each greater than 0 (no limit is `null`), and a lifetime
/// within Polar's bounds (a key expired when granted, or one whose expiry cannot be computed, is
/// a mistake to refuse, not to store).
fn license_key_limits(keys: &LicenseKeysProperties, issues: &mut Vec<ValidationIssue>) {
    let mut limit = |name: &str, value: Option<u32>| {
        if value.is_some_and(|v| v == 0 || v > MAX_LIMIT) {
            issues.push(ValidationIssue::in_body(
                ["properties", name],
                format!("{name} must be between 1 and {MAX_LIMIT}, or null for no limit"),
                "value_error",
            ));
        }
    };
    limit("activations", keys.activations.as_ref().map(|a| a.limit));
    limit("limit_usage", keys.limit_usage);
    if let Some(expires) = &keys.expires {
        let most = match expires.timeframe {
            Timeframe::Day => MAX_TTL_DAYS,
            Timeframe::Month => MAX_TTL_MONTHS,
            Timeframe::Year => MAX_TTL_YEARS,
        };
        if expires.ttl == 0 || expires.ttl > most {
            issues.push(ValidationIssue::in_body(
                ["properties", "expires"],
                format!("expires.ttl must be 1 to {most} for this timeframe"),
                "value_error",
            ));
        }
    }
}

/// Checks the fields a person types; every problem is reported.
fn validate(
    description: &str,
    properties: &BenefitProperties,
    metadata: &crate::model::metadata::Metadata,
) -> Result<(), ServiceError> {
    let mut issues = Vec::new();
    if !DESCRIPTION_LEN.contains(&description.trim().chars().count()) {
        issues.push(ValidationIssue::in_body(
            ["description"],
            format!(
                "description must be {} to {} characters",
                DESCRIPTION_LEN.start(),
                DESCRIPTION_LEN.end()
            ),
            "string_length",
        ));
    }
    if let BenefitProperties::LicenseKeys(LicenseKeysProperties {
        prefix: Some(prefix),
        ..
    }) = properties
        && (prefix.is_empty()
            || prefix.chars().count() > MAX_PREFIX_LEN
            || !prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        issues.push(ValidationIssue::in_body(
            ["properties"],
            format!("prefix must be 1 to {MAX_PREFIX_LEN} letters, digits, '-' or '_'"),
            "value_error",
        ));
    }
    if let BenefitProperties::LicenseKeys(keys) = properties {
        license_key_limits(keys, &mut issues);
    }
    if let BenefitProperties::Custom(custom) = properties
        && let Some(note) = &custom.note
    {
        text::check_len("properties", note, text::MAX_LONG_TEXT_LEN, &mut issues);
    }
    if let Err(msg) = metadata.validate() {
        issues.push(ValidationIssue::in_body(["metadata"], msg, "value_error"));
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Validation(issues))
    }
}

impl Services {
    #[tracing::instrument(skip_all, fields(organization_id = %caller.organization_id), err(level = "info"))]
    pub async fn create_benefit(
        &self,
        caller: &OrganizationCaller,
        input: BenefitCreate,
    ) -> Result<Benefit, ServiceError> {
        caller.require_any(&[Scope::BenefitsWrite])?;
        validate(&input.description, &input.properties, &input.metadata)?;
        let record = BenefitRecord {
            id: BenefitId::new(),
            organization_id: caller.organization_id,
            created_at: self.now(),
            modified_at: None,
            description: input.description.trim().to_owned(),
            properties: input.properties,
            metadata: input.metadata,
            deleted_at: None,
        };
        let benefit = Benefit::from(record.clone());
        let event = self.event(caller.organization_id, "benefit.created", &benefit)?;
        self.store().insert_benefit(&record, &event).await?;
        Ok(benefit)
    }

    /// A live benefit of the caller's organization (deleted ones are not found).
    pub(super) async fn live_benefit(
        &self,
        caller: &OrganizationCaller,
        id: BenefitId,
    ) -> Result<BenefitRecord, ServiceError> {
        self.store()
            .benefit(caller.organization_id, id)
            .await?
            .filter(|b| b.deleted_at.is_none())
            .ok_or_else(|| ServiceError::not_found("Benefit"))
    }

    pub async fn get_benefit(
        &self,
        caller: &OrganizationCaller,
        id: BenefitId,
    ) -> Result<Benefit, ServiceError> {
        caller.require_any(&[Scope::BenefitsRead, Scope::BenefitsWrite])?;
        Ok(self.live_benefit(caller, id).await?.into())
    }

    pub async fn list_benefits(
        &self,
        caller: &OrganizationCaller,
        filter: BenefitFilter,
        page: PageRequest,
    ) -> Result<ListResource<Benefit>, ServiceError> {
        caller.require_any(&[Scope::BenefitsRead, Scope::BenefitsWrite])?;
        let (records, total) = self
            .store()
            .list_benefits(caller.organization_id, &filter, page)
            .await?;
        Ok(ListResource::new(
            records.into_iter().map(Benefit::from).collect(),
            total,
            page,
        ))
    }

    #[tracing::instrument(skip_all, fields(benefit_id = %id), err(level = "info"))]
    pub async fn update_benefit(
        &self,
        caller: &OrganizationCaller,
        id: BenefitId,
        input: BenefitUpdate,
    ) -> Result<Benefit, ServiceError> {
        caller.require_any(&[Scope::BenefitsWrite])?;
        let mut record = self.live_benefit(caller, id).await?;
        if input.kind != record.properties.type_name() {
            return Err(ServiceError::Validation(vec![ValidationIssue::in_body(
                ["type"],
                format!(
                    "this benefit is of type {:?}; its type cannot change",
                    record.properties.type_name()
                ),
                "value_error",
            )]));
        }
        if let Some(description) = input.description {
            record.description = description.trim().to_owned();
        }
        let properties_before = record.properties.clone();
        if let Some(raw) = input.properties {
            record.properties = parse_properties(record.properties.type_name(), raw)?;
        }
        if let Some(metadata) = input.metadata {
            record.metadata = metadata;
        }
        validate(&record.description, &record.properties, &record.metadata)?;
        record.modified_at = Some(self.now());
        // New key terms apply to the keys already given (as Polar does).
        let keys = match &record.properties {
            BenefitProperties::LicenseKeys(properties)
                if record.properties != properties_before =>
            {
                let order_keys = self.store().order_keys_of_benefit(record.id).await?;
                Some(key_terms(properties, order_keys))
            }
            _ => None,
        };
        let benefit = Benefit::from(record.clone());
        let event = self.event(caller.organization_id, "benefit.updated", &benefit)?;
        self.store()
            .update_benefit(&record, Some(&event), keys.as_ref())
            .await?;
        Ok(benefit)
    }

    /// Deletes a benefit: it leaves lists and products; existing grants keep their history.
    #[tracing::instrument(skip_all, fields(benefit_id = %id), err(level = "info"))]
    pub async fn delete_benefit(
        &self,
        caller: &OrganizationCaller,
        id: BenefitId,
    ) -> Result<(), ServiceError> {
        caller.require_any(&[Scope::BenefitsWrite])?;
        let mut record = self.live_benefit(caller, id).await?;
        let now = self.now();
        record.deleted_at = Some(now);
        record.modified_at = Some(now);
        let event = self.event(
            caller.organization_id,
            "benefit.updated",
            &Benefit::from(record.clone()),
        )?;
        self.store()
            .update_benefit(&record, Some(&event), None)
            .await?;
        Ok(())
    }
}

/// Properties of an update, read as the benefit's own type.
fn parse_properties(kind: &str, raw: serde_json::Value) -> Result<BenefitProperties, ServiceError> {
    let invalid = |e: serde_json::Error| {
        ServiceError::Validation(vec![ValidationIssue::in_body(
            ["properties"],
            e.to_string(),
            "value_error",
        )])
    };
    Ok(match kind {
        "custom" => BenefitProperties::Custom(
            serde_json::from_value::<CustomProperties>(raw).map_err(invalid)?,
        ),
        _ => BenefitProperties::LicenseKeys(
            serde_json::from_value::<LicenseKeysProperties>(raw).map_err(invalid)?,
        ),
    })
}
