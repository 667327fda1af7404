//! Customers and their members. A customer is created with its owner member (the customer's email,
//! or `owner` when given); members are unique per customer by email and by external id; exactly one
//! owner, who cannot be removed. Deleting a customer deletes its members.

use chrono::TimeDelta;

use crate::{
    model::{
        CustomerId, CustomerSessionId, ListResource, MemberId, PageRequest, Scope, ValidationIssue,
        customer::{
            Customer, CustomerCreate, CustomerSession, CustomerSessionCreate, CustomerType,
            CustomerUpdate, Member, MemberCreate, MemberRole, MemberUpdate,
        },
    },
    server::{
        store::{
            Constraint, CustomerFilter, CustomerRecord, MemberFilter, MemberRecord,
            NewCustomerSession, StoreError,
        },
        token,
    },
};

use super::{
    OrganizationCaller, ServiceError, Services,
    text::{self, clean_text, validated},
};

/// Prefix of customer and member session tokens.
pub const SESSION_TOKEN_PREFIX: &str = "skp_cst_";
/// How long a customer session lasts.
pub const SESSION_TTL: TimeDelta = TimeDelta::hours(1);
impl From<CustomerRecord> for Customer {
    fn from(r: CustomerRecord) -> Self {
        Self {
            id: r.id,
            created_at: r.created_at,
            modified_at: r.modified_at,
            metadata: r.metadata,
            external_id: r.external_id,
            email: r.email,
            email_verified: false,
            kind: r.kind,
            name: r.name,
            billing_name: None,
            billing_address: None,
            tax_id: None,
            locale: None,
            organization_id: r.organization_id,
            default_payment_method_id: None,
            deleted_at: r.deleted_at,
            first_user_event_at: None,
            avatar_url: None,
        }
    }
}

impl From<MemberRecord> for Member {
    fn from(r: MemberRecord) -> Self {
        Self {
            id: r.id,
            created_at: r.created_at,
            modified_at: r.modified_at,
            customer_id: r.customer_id,
            email: r.email,
            name: r.name,
            external_id: r.external_id,
            role: r.role,
        }
    }
}

/// A unique index refused a write: say which value is taken, in the words of the resource.
fn taken(resource: &str, err: StoreError) -> ServiceError {
    let StoreError::Conflict { constraint } = &err else {
        return err.into();
    };
    let (field, what) = match constraint {
        Constraint::CustomerExternalId | Constraint::MemberExternalId => {
            ("external_id", "external ID")
        }
        Constraint::MemberOwner => ("role", "owner: a customer has exactly one owner"),
        _ => ("email", "email address"),
    };
    let msg = if field == "role" {
        format!("this {resource} already has an {what}")
    } else {
        format!("a {resource} with this {what} already exists")
    };
    ServiceError::Validation(vec![ValidationIssue::in_body([field], msg, "value_error")])
}

impl Services {
    #[tracing::instrument(skip_all, fields(organization_id = %caller.organization_id), err(level = "info"))]
    pub async fn create_customer(
        &self,
        caller: &OrganizationCaller,
        input: CustomerCreate,
    ) -> Result<Customer, ServiceError> {
        caller.require_any(&[Scope::CustomersWrite])?;
        let mut issues = Vec::new();
        let name = clean_text("name", input.name, &mut issues);
        let external_id = clean_text("external_id", input.external_id, &mut issues);
        if let Err(msg) = input.metadata.validate() {
            issues.push(ValidationIssue::in_body(["metadata"], msg, "value_error"));
        }
        if input.kind == CustomerType::Individual && input.email.is_none() {
            issues.push(ValidationIssue::in_body(
                ["email"],
                "an individual customer needs an email",
                "missing",
            ));
        }
        let owner_email = input
            .owner
            .as_ref()
            .map(|o| o.email.clone())
            .or_else(|| input.email.clone());
        let Some(owner_email) = owner_email else {
            // An individual without an email is already reported above.
            if input.kind == CustomerType::Team {
                issues.push(ValidationIssue::in_body(
                    ["owner"],
                    "a team customer needs an email or an owner",
                    "missing",
                ));
            }
            return Err(ServiceError::Validation(issues));
        };
        validated(issues)?;
        let now = self.now();
        let customer = CustomerRecord {
            id: CustomerId::new(),
            organization_id: caller.organization_id,
            created_at: now,
            modified_at: None,
            kind: input.kind,
            email: input.email,
            name: name.clone(),
            external_id,
            metadata: input.metadata,
            deleted_at: None,
        };
        let owner = MemberRecord {
            id: MemberId::new(),
            customer_id: customer.id,
            organization_id: caller.organization_id,
            created_at: now,
            modified_at: None,
            email: owner_email,
            name: input.owner.as_ref().and_then(|o| o.name.clone()).or(name),
            external_id: input.owner.and_then(|o| o.external_id),
            role: MemberRole::Owner,
            deleted_at: None,
        };
        let wire = Customer::from(customer.clone());
        let events = [
            self.event(caller.organization_id, "customer.created", &wire)?,
            self.event(
                caller.organization_id,
                "member.created",
                &Member::from(owner.clone()),
            )?,
        ];
        self.store()
            .insert_customer(&customer, &owner, &events)
            .await
            .map_err(|e| taken("customer", e))?;
        Ok(wire)
    }

    /// A live customer of the caller's organization.
    pub(super) async fn customer_record(
        &self,
        caller: &OrganizationCaller,
        id: CustomerId,
    ) -> Result<CustomerRecord, ServiceError> {
        self.store()
            .customer(caller.organization_id, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Customer"))
    }

    pub async fn get_customer(
        &self,
        caller: &OrganizationCaller,
        id: CustomerId,
    ) -> Result<Customer, ServiceError> {
        caller.require_any(&[Scope::CustomersRead, Scope::CustomersWrite])?;
        Ok(self.customer_record(caller, id).await?.into())
    }

    pub async fn get_customer_by_external_id(
        &self,
        caller: &OrganizationCaller,
        external_id: &str,
    ) -> Result<Customer, ServiceError> {
        caller.require_any(&[Scope::CustomersRead, Scope::CustomersWrite])?;
        self.store()
            .customer_by_external_id(caller.organization_id, external_id)
            .await?
            .map(Customer::from)
            .ok_or_else(|| ServiceError::not_found("Customer"))
    }

    pub async fn list_customers(
        &self,
        caller: &OrganizationCaller,
        filter: CustomerFilter,
        page: PageRequest,
    ) -> Result<ListResource<Customer>, ServiceError> {
        caller.require_any(&[Scope::CustomersRead, Scope::CustomersWrite])?;
        let (records, total) = self
            .store()
            .list_customers(caller.organization_id, &filter, page)
            .await?;
        Ok(ListResource::new(
            records.into_iter().map(Customer::from).collect(),
            total,
            page,
        ))
    }

    #[tracing::instrument(skip_all, fields(customer_id = %id), err(level = "info"))]
    pub async fn update_customer(
        &self,
        caller: &OrganizationCaller,
        id: CustomerId,
        input: CustomerUpdate,
    ) -> Result<Customer, ServiceError> {
        caller.require_any(&[Scope::CustomersWrite])?;
        let mut record = self.customer_record(caller, id).await?;
        let mut issues = Vec::new();
        if input.name.is_some() {
            record.name = clean_text("name", input.name, &mut issues);
        }
        if input.external_id.is_some() {
            if record.external_id.is_some() {
                issues.push(ValidationIssue::in_body(
                    ["external_id"],
                    "the external ID of a customer cannot change once set",
                    "value_error",
                ));
            }
            record.external_id = clean_text("external_id", input.external_id, &mut issues);
        }
        if let Some(email) = input.email {
            record.email = Some(email);
        }
        if let Some(kind) = input.kind {
            if record.kind == CustomerType::Team && kind == CustomerType::Individual {
                issues.push(ValidationIssue::in_body(
                    ["type"],
                    "a team customer cannot become an individual again",
                    "value_error",
                ));
            }
            record.kind = kind;
        }
        if let Some(metadata) = input.metadata {
            if let Err(msg) = metadata.validate() {
                issues.push(ValidationIssue::in_body(["metadata"], msg, "value_error"));
            }
            record.metadata = metadata;
        }
        validated(issues)?;
        record.modified_at = Some(self.now());
        let wire = Customer::from(record.clone());
        let event = self.event(caller.organization_id, "customer.updated", &wire)?;
        self.store()
            .update_customer(&record, &[event])
            .await
            .map_err(|e| taken("customer", e))?;
        Ok(wire)
    }

    /// Deletes a customer and its members, revoking their seats (and so their benefits) and closing
    /// the customer's pools to new seats, in one transaction.
    #[tracing::instrument(skip_all, fields(customer_id = %id), err(level = "info"))]
    pub async fn delete_customer(
        &self,
        caller: &OrganizationCaller,
        id: CustomerId,
    ) -> Result<(), ServiceError> {
        caller.require_any(&[Scope::CustomersWrite])?;
        self.customer_record(caller, id).await?;
        // First its pools stop taking seats (committed), so the list of seats to revoke can only be
        // overtaken by assignments already under way; the deletion's transaction checks that none
        // was, and the list is made again if one was.
        self.store().close_pools_of_customer(id, true).await?;
        let outcome = self.delete_closed_customer(caller, id).await;
        if outcome.is_err() {
            // The customer stays: so do its pools' seats.
            if let Err(err) = self.store().close_pools_of_customer(id, false).await {
                tracing::error!(customer_id = %id, error = %err, "could not reopen the pools of a customer whose deletion failed");
            }
        }
        outcome
    }

    /// The rest of [`Services::delete_customer`], once the customer's pools are closed.
    async fn delete_closed_customer(
        &self,
        caller: &OrganizationCaller,
        id: CustomerId,
    ) -> Result<(), ServiceError> {
        let system = super::SeatCaller::System(caller.organization_id);
        for _ in 0..3 {
            let mut record = self.customer_record(caller, id).await?;
            let seats = self.store().active_seats_of_customer(id).await?;
            let members = self.store().all_members(id).await?;
            let mut revokes = Vec::new();
            for seat in seats {
                let member = members
                    .iter()
                    .find(|m| m.id == seat.member_id)
                    .cloned()
                    .ok_or_else(|| ServiceError::not_found("Member"))?;
                revokes.push(
                    self.revoke_write(&system, &seat, Member::from(member), &record)
                        .await?,
                );
            }
            let now = self.now();
            record.deleted_at = Some(now);
            record.modified_at = Some(now);
            let event = self.event(
                caller.organization_id,
                "customer.deleted",
                &Customer::from(record.clone()),
            )?;
            match self
                .store()
                .delete_customer(&record, &[event], &revokes)
                .await
            {
                Ok(()) => return Ok(()),
                Err(StoreError::Stale(_)) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(ServiceError::rejected(
            "CustomerBusy",
            "seats of this customer are being assigned right now; retry the deletion",
        ))
    }

    pub async fn list_members(
        &self,
        caller: &OrganizationCaller,
        customer_id: CustomerId,
        filter: MemberFilter,
        page: PageRequest,
    ) -> Result<ListResource<Member>, ServiceError> {
        caller.require_any(&[Scope::CustomersRead, Scope::CustomersWrite])?;
        self.customer_record(caller, customer_id).await?;
        let (records, total) = self
            .store()
            .list_members(customer_id, &filter, page)
            .await?;
        Ok(ListResource::new(
            records.into_iter().map(Member::from).collect(),
            total,
            page,
        ))
    }

    #[tracing::instrument(skip_all, fields(customer_id = %customer_id), err(level = "info"))]
    pub async fn create_member(
        &self,
        caller: &OrganizationCaller,
        customer_id: CustomerId,
        input: MemberCreate,
    ) -> Result<Member, ServiceError> {
        caller.require_any(&[Scope::CustomersWrite])?;
        self.customer_record(caller, customer_id).await?;
        let mut issues = Vec::new();
        let name = clean_text("name", input.name, &mut issues);
        let external_id = clean_text("external_id", input.external_id, &mut issues);
        if input.role == MemberRole::Owner {
            issues.push(ValidationIssue::in_body(
                ["role"],
                "a customer has exactly one owner, created with it",
                "value_error",
            ));
        }
        validated(issues)?;
        let member = MemberRecord {
            id: MemberId::new(),
            customer_id,
            organization_id: caller.organization_id,
            created_at: self.now(),
            modified_at: None,
            email: input.email,
            name,
            external_id,
            role: input.role,
            deleted_at: None,
        };
        let wire = Member::from(member.clone());
        let event = self.event(caller.organization_id, "member.created", &wire)?;
        self.store()
            .insert_member(&member, &event)
            .await
            .map_err(|e| taken("member", e))?;
        Ok(wire)
    }

    async fn member_record(
        &self,
        caller: &OrganizationCaller,
        customer_id: CustomerId,
        id: MemberId,
    ) -> Result<MemberRecord, ServiceError> {
        self.customer_record(caller, customer_id).await?;
        self.store()
            .member(customer_id, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Member"))
    }

    pub async fn get_member(
        &self,
        caller: &OrganizationCaller,
        customer_id: CustomerId,
        id: MemberId,
    ) -> Result<Member, ServiceError> {
        caller.require_any(&[Scope::CustomersRead, Scope::CustomersWrite])?;
        Ok(self.member_record(caller, customer_id, id).await?.into())
    }

    #[tracing::instrument(skip_all, fields(member_id = %id), err(level = "info"))]
    pub async fn update_member(
        &self,
        caller: &OrganizationCaller,
        customer_id: CustomerId,
        id: MemberId,
        input: MemberUpdate,
    ) -> Result<Member, ServiceError> {
        caller.require_any(&[Scope::CustomersWrite])?;
        let mut record = self.member_record(caller, customer_id, id).await?;
        let mut issues = Vec::new();
        if input.name.is_some() {
            record.name = clean_text("name", input.name, &mut issues);
        }
        if let Some(email) = input.email {
            record.email = email;
        }
        if let Some(role) = input.role
            && role != record.role
        {
            if record.role == MemberRole::Owner || role == MemberRole::Owner {
                issues.push(ValidationIssue::in_body(
                    ["role"],
                    "the owner's role cannot change, and there is exactly one owner",
                    "value_error",
                ));
            }
            record.role = role;
        }
        validated(issues)?;
        record.modified_at = Some(self.now());
        let wire = Member::from(record.clone());
        let event = self.event(caller.organization_id, "member.updated", &wire)?;
        self.store()
            .update_member(&record, &event)
            .await
            .map_err(|e| taken("member", e))?;
        Ok(wire)
    }

    /// Removes a member (the owner cannot be removed).
    #[tracing::instrument(skip_all, fields(member_id = %id), err(level = "info"))]
    pub async fn delete_member(
        &self,
        caller: &OrganizationCaller,
        customer_id: CustomerId,
        id: MemberId,
    ) -> Result<(), ServiceError> {
        caller.require_any(&[Scope::CustomersWrite])?;
        let mut record = self.member_record(caller, customer_id, id).await?;
        if record.role == MemberRole::Owner {
            return Err(ServiceError::Rejected {
                error: "NotPermitted",
                detail: "the owner of a customer cannot be removed".into(),
            });
        }
        let now = self.now();
        record.deleted_at = Some(now);
        record.modified_at = Some(now);
        // Removing a member revokes their seats (and so their benefits), in the same transaction.
        let system = super::SeatCaller::System(caller.organization_id);
        let customer = self
            .store()
            .customer_even_deleted(caller.organization_id, customer_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Customer"))?;
        let mut revokes = Vec::new();
        for seat in self.store().active_seats_of_member(record.id).await? {
            revokes.push(
                self.revoke_write(&system, &seat, Member::from(record.clone()), &customer)
                    .await?,
            );
        }
        let event = self.event(
            caller.organization_id,
            "member.deleted",
            &Member::from(record.clone()),
        )?;
        self.store()
            .remove_member(&record, &event, &revokes)
            .await?;
        Ok(())
    }

    /// Opens a portal session for a customer (by id or external id) and one of its members (the
    /// owner unless `member_id` or `external_member_id` names another).
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn create_customer_session(
        &self,
        caller: &OrganizationCaller,
        input: CustomerSessionCreate,
    ) -> Result<CustomerSession, ServiceError> {
        caller.require_any(&[Scope::CustomerSessionsWrite])?;
        let customer = match (input.customer_id, input.external_customer_id.as_deref()) {
            (Some(id), None) => self.customer_record(caller, id).await?,
            (None, Some(external)) => self
                .store()
                .customer_by_external_id(caller.organization_id, external)
                .await?
                .ok_or_else(|| ServiceError::not_found("Customer"))?,
            _ => {
                return Err(ServiceError::Validation(vec![ValidationIssue::in_body(
                    ["customer_id"],
                    "give exactly one of customer_id and external_customer_id",
                    "value_error",
                )]));
            }
        };
        let member = match (input.member_id, input.external_member_id.as_deref()) {
            (Some(id), None) => self.store().member(customer.id, id).await?,
            (None, Some(external)) => {
                self.store()
                    .member_by_external_id(customer.id, external)
                    .await?
            }
            (None, None) => self.store().owner(customer.id).await?,
            (Some(_), Some(_)) => {
                return Err(ServiceError::Validation(vec![ValidationIssue::in_body(
                    ["member_id"],
                    "give at most one of member_id and external_member_id",
                    "value_error",
                )]));
            }
        }
        .ok_or_else(|| ServiceError::not_found("Member"))?;
        let mut issues = Vec::new();
        let return_url = text::clean(
            "return_url",
            input.return_url,
            text::MAX_LONG_TEXT_LEN,
            &mut issues,
        );
        validated(issues)?;
        self.open_session(customer, &member, return_url).await
    }

    /// Stores a new session of `member` (of `customer`) and returns it with its token, shown once.
    pub(super) async fn open_session(
        &self,
        customer: CustomerRecord,
        member: &MemberRecord,
        return_url: Option<String>,
    ) -> Result<CustomerSession, ServiceError> {
        let organization = self
            .store()
            .organization(customer.organization_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Organization"))?;
        let secret = token::generate(SESSION_TOKEN_PREFIX);
        let now = self.now();
        let session = NewCustomerSession {
            id: CustomerSessionId::new(),
            organization_id: customer.organization_id,
            customer_id: customer.id,
            member_id: member.id,
            hash: secret.hash.clone(),
            created_at: now,
            expires_at: now + SESSION_TTL,
            return_url,
        };
        self.store().insert_customer_session(&session).await?;
        let token = secret.expose().to_owned();
        Ok(CustomerSession {
            created_at: now,
            modified_at: None,
            id: session.id,
            customer_portal_url: self.portal_url(&organization.slug, &token),
            token,
            expires_at: session.expires_at,
            return_url: session.return_url,
            customer_id: customer.id,
            customer: customer.into(),
        })
    }
}
