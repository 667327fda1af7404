//! Organizations: creating one (with its first access token), reading it back and changing its
//! settings.

use secrecy::SecretString;

use crate::{
    model::{
        AccessTokenId, ListResource, Organization, OrganizationId, PageRequest, Scope, Scopes,
        Slug, ValidationIssue,
        organization::{CheckoutOrganization, OrganizationUpdate, ProrationBehavior},
    },
    server::{
        store::{
            Constraint, NewAccessToken, NewOrganization, OrganizationFilter, OrganizationRecord,
            StoreError,
        },
        token::{self, ACCESS_TOKEN_PREFIX},
    },
};

use super::{
    OrganizationCaller, ServiceError, Services,
    text::{clean_text, validated},
};

/// Default lifetime of an invitation link: 24 hours.
pub const DEFAULT_INVITATION_TTL_SECONDS: i64 = 24 * 60 * 60;

/// Longest organization name accepted.
const MAX_NAME_LEN: usize = 256;

/// Input of [`Services::create_organization`].
#[derive(Clone, Debug)]
pub struct CreateOrganization {
    pub name: String,
    pub slug: Slug,
    pub email: Option<String>,
}

/// A new organization and the secret of its first access token (shown once).
#[derive(Debug)]
pub struct CreatedOrganization {
    pub organization: Organization,
    pub access_token: SecretString,
}

impl From<&OrganizationRecord> for CheckoutOrganization {
    fn from(record: &OrganizationRecord) -> Self {
        Self {
            created_at: record.created_at,
            modified_at: record.modified_at,
            id: record.id,
            name: record.name.clone(),
            slug: record.slug.clone(),
            avatar_url: None,
            proration_behavior: record.proration_behavior,
            allow_customer_updates: true,
        }
    }
}

impl From<OrganizationRecord> for Organization {
    fn from(record: OrganizationRecord) -> Self {
        let (grace, reminder) = (record.past_due_grace_days, record.renewal_reminder_days);
        let mut organization = Self::new(CheckoutOrganization::from(&record), record.email);
        let settings = &mut organization.subscription_settings;
        settings.benefit_revocation_grace_period = grace;
        settings.renewal_reminder_days = reminder;
        organization
    }
}

/// An organization's name, trimmed, or the 422 issue that says why it is refused.
fn organization_name(raw: &str) -> Result<String, ValidationIssue> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(ValidationIssue::in_body(
            ["name"],
            format!("name must be between 1 and {MAX_NAME_LEN} characters"),
            "string_length",
        ));
    }
    Ok(name.to_owned())
}

/// The longest grace period of a past-due subscription, in days.
const MAX_GRACE_DAYS: i64 = 60;
/// The earliest a renewal reminder is sent, in days before the renewal.
const MAX_REMINDER_DAYS: i64 = 60;

/// A `subscription_settings` key Seatkeeper keeps at `kept`: asking for another value is an issue.
fn keep_fixed<T: PartialEq + std::fmt::Display>(
    field: &'static str,
    asked: Option<T>,
    kept: T,
    issues: &mut Vec<ValidationIssue>,
) {
    if let Some(asked) = asked.filter(|asked| *asked != kept) {
        issues.push(ValidationIssue::in_body(
            ["subscription_settings", field],
            format!("Seatkeeper keeps {field} at {kept}; it cannot be {asked}"),
            "value_error",
        ));
    }
}

/// A fresh token for `organization_id`: the row to store and the secret to show once.
pub(super) fn new_access_token(
    organization_id: OrganizationId,
    scopes: Scopes,
    comment: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> (NewAccessToken, SecretString) {
    let token = token::generate(ACCESS_TOKEN_PREFIX);
    let row = NewAccessToken {
        id: AccessTokenId::new(),
        organization_id,
        hash: token.hash,
        scopes,
        comment: comment.to_owned(),
        created_at: now,
        expires_at: None,
    };
    (row, token.secret)
}

impl Services {
    /// Creates an organization and an access token with every scope, in one transaction.
    #[tracing::instrument(skip_all, fields(slug = %input.slug), err(level = "info"))]
    pub async fn create_organization(
        &self,
        input: CreateOrganization,
    ) -> Result<CreatedOrganization, ServiceError> {
        let name = organization_name(&input.name)
            .map_err(|issue| ServiceError::Validation(vec![issue]))?;
        let now = self.now();
        let organization = NewOrganization {
            id: OrganizationId::new(),
            created_at: now,
            name,
            slug: input.slug,
            email: input.email,
            invitation_ttl_seconds: DEFAULT_INVITATION_TTL_SECONDS,
            proration_behavior: ProrationBehavior::Prorate,
        };
        let (access_token, secret) = new_access_token(
            organization.id,
            Scopes::all(),
            "created with the organization",
            now,
        );
        let record = self
            .store()
            .create_organization(&organization, &access_token)
            .await
            .map_err(|err| match err {
                StoreError::Conflict {
                    constraint: Constraint::OrganizationSlug,
                } => ServiceError::Rejected {
                    error: "OrganizationSlugTaken",
                    detail: format!(
                        "an organization with the slug {:?} already exists; choose another slug",
                        organization.slug.as_str()
                    ),
                },
                other => other.into(),
            })?;
        Ok(CreatedOrganization {
            organization: record.into(),
            access_token: secret,
        })
    }

    /// Issues another access token for an organization, limited to `scopes`. The secret is returned
    /// once; only its hash is stored.
    #[tracing::instrument(skip_all, fields(organization_id = %organization_id), err(level = "info"))]
    pub async fn create_access_token(
        &self,
        organization_id: OrganizationId,
        scopes: Scopes,
        comment: &str,
    ) -> Result<SecretString, ServiceError> {
        let (access_token, secret) = new_access_token(organization_id, scopes, comment, self.now());
        self.store().insert_access_token(&access_token).await?;
        Ok(secret)
    }

    /// The caller's own organization. Any other id is "not found", whether or not it exists.
    #[tracing::instrument(skip_all, fields(organization_id = %id), err(level = "debug"))]
    pub async fn get_organization(
        &self,
        caller: &OrganizationCaller,
        id: OrganizationId,
    ) -> Result<Organization, ServiceError> {
        caller.require_any(&[Scope::OrganizationsRead, Scope::OrganizationsWrite])?;
        if id != caller.organization_id {
            return Err(ServiceError::not_found("Organization"));
        }
        self.store()
            .organization(id)
            .await?
            .map(Organization::from)
            .ok_or_else(|| ServiceError::not_found("Organization"))
    }

    /// Changes the caller's own organization: its name, contact email and default proration
    /// behavior. Settings Seatkeeper keeps fixed are accepted only at the value it reports.
    #[tracing::instrument(skip_all, fields(organization_id = %id), err(level = "info"))]
    pub async fn update_organization(
        &self,
        caller: &OrganizationCaller,
        id: OrganizationId,
        input: OrganizationUpdate,
    ) -> Result<Organization, ServiceError> {
        caller.require_any(&[Scope::OrganizationsWrite])?;
        if id != caller.organization_id {
            return Err(ServiceError::not_found("Organization"));
        }
        let mut record = self
            .store()
            .organization(id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Organization"))?;
        let reported = Organization::from(record.clone()).subscription_settings;
        let mut issues: Vec<ValidationIssue> = input
            .unsupported()
            .into_iter()
            .map(|field| {
                ValidationIssue::in_body(
                    [field],
                    format!("Seatkeeper keeps no {field} setting; leave it out or null"),
                    "value_error",
                )
            })
            .collect();
        if let Some(name) = input.name {
            match organization_name(&name) {
                Ok(name) => record.name = name,
                Err(issue) => issues.push(issue),
            }
        }
        if input.email.is_some() {
            record.email = clean_text("email", input.email, &mut issues);
        }
        if let Some(settings) = input.subscription_settings {
            keep_fixed(
                "allow_multiple_subscriptions",
                settings.allow_multiple_subscriptions,
                reported.allow_multiple_subscriptions,
                &mut issues,
            );
            match settings.benefit_revocation_grace_period {
                Some(days) if (0..=MAX_GRACE_DAYS).contains(&days) => {
                    record.past_due_grace_days = days;
                }
                Some(_) => issues.push(ValidationIssue::in_body(
                    ["subscription_settings", "benefit_revocation_grace_period"],
                    format!(
                        "the days a past-due subscription keeps its seats: 0 to {MAX_GRACE_DAYS}"
                    ),
                    "value_error",
                )),
                None => {}
            }
            match settings.renewal_reminder_days {
                Some(days) if (0..=MAX_REMINDER_DAYS).contains(&days) => {
                    record.renewal_reminder_days = days;
                }
                Some(_) => issues.push(ValidationIssue::in_body(
                    ["subscription_settings", "renewal_reminder_days"],
                    format!(
                        "the days before a changed renewal its billing manager is reminded: 0 (none) to {MAX_REMINDER_DAYS}"
                    ),
                    "value_error",
                )),
                None => {}
            }
            keep_fixed(
                "prevent_trial_abuse",
                settings.prevent_trial_abuse,
                reported.prevent_trial_abuse,
                &mut issues,
            );
            keep_fixed(
                "allow_customer_updates",
                settings.allow_customer_updates,
                reported.allow_customer_updates,
                &mut issues,
            );
            if let Some(behavior) = settings.proration_behavior {
                record.proration_behavior = behavior;
            }
        }
        validated(issues)?;
        record.modified_at = Some(self.now());
        let wire = Organization::from(record.clone());
        let event = self.event(id, "organization.updated", &wire)?;
        self.store().update_organization(&record, &[event]).await?;
        Ok(wire)
    }

    /// The organizations the caller can see (its own), optionally filtered by slug.
    pub async fn list_organizations(
        &self,
        caller: &OrganizationCaller,
        filter: OrganizationFilter,
        page: PageRequest,
    ) -> Result<ListResource<Organization>, ServiceError> {
        let own = self
            .get_organization(caller, caller.organization_id)
            .await?;
        let visible =
            filter.slugs.is_empty() || filter.slugs.iter().any(|s| s == own.summary.slug.as_str());
        Ok(page.slice(if visible { vec![own] } else { Vec::new() }))
    }

    /// The organization with this slug, if any (for pages addressed by slug).
    pub async fn organization_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<Organization>, ServiceError> {
        Ok(self
            .store()
            .organization_by_slug(slug)
            .await?
            .map(Organization::from))
    }
}
