//! A customer's members: unique per customer by email and by external id; exactly one owner, who
//! cannot be removed.

use crate::{
    model::{
        CustomerId, ListResource, MemberId, PageRequest, Scope, ValidationIssue,
        customer::{Member, MemberCreate, MemberRole, MemberUpdate},
    },
    server::store::{MemberFilter, MemberRecord},
};

use super::{
    OrganizationCaller, ServiceError, Services,
    text::{clean_text, validated},
};

use super::customers::taken;

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

impl Services {
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
}
