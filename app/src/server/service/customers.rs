//! Customers. A customer is created with its owner member (the customer's email, or `owner` when
//! given); deleting a customer deletes its members. Members are in `members.rs`, sessions in
//! `sessions.rs`.

use crate::{
    model::{
        CustomerId, ListResource, MemberId, PageRequest, Scope, ValidationIssue,
        customer::{Customer, CustomerCreate, CustomerType, CustomerUpdate, Member, MemberRole},
    },
    server::store::{Constraint, CustomerFilter, CustomerRecord, MemberRecord, StoreError},
};

use super::{
    OrganizationCaller, ServiceError, Services,
    text::{clean_text, validated},
};

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

/// A unique index refused a write: say which value is taken, in the words of the resource.
pub(super) fn taken(resource: &str, err: StoreError) -> ServiceError {
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
            let revokes = self.revoke_writes(&system, &record, seats).await?;
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
}
