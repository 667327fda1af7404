//! `/v1/customer-portal/benefit-grants`: the benefits a seat holder was granted, as the official
//! SDK's `customer_portal.benefit_grants` reads them. A member sees their own; an owner or billing
//! manager the team's. Revoked grants are not shown (Polar's portal shows only what one has).

use app::{
    model::{
        BenefitGrantId, BenefitId, CheckoutId, ErrorBody, ListResource, MemberId, OrderId,
        SubscriptionId, entitlements::CustomerBenefitGrant,
    },
    server::store::{GrantFilter, filters::PORTAL_GRANT_SORTS},
};
use axum::{Json, extract::State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::lists;
use crate::{
    rest::{
        error::ApiError,
        extract::{ListQuery, Path, PortalAuth},
    },
    startup::AppState,
};

/// Polar's benefit types. Seatkeeper gives only `custom` and `license_keys`; a filter on another
/// one finds nothing.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum BenefitTypeParam {
    Custom,
    Discord,
    GithubRepository,
    Downloadables,
    LicenseKeys,
    MeterCredit,
    FeatureFlag,
    SlackSharedChannel,
}

impl BenefitTypeParam {
    const fn name(self) -> &'static str {
        match self {
            Self::Custom => "custom",
            Self::Discord => "discord",
            Self::GithubRepository => "github_repository",
            Self::Downloadables => "downloadables",
            Self::LicenseKeys => "license_keys",
            Self::MeterCredit => "meter_credit",
            Self::FeatureFlag => "feature_flag",
            Self::SlackSharedChannel => "slack_shared_channel",
        }
    }
}

/// The filters the official SDK sends (`customer_portal.benefit_grants.list`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    /// Text in the benefit's description.
    query: Option<String>,
    /// Benefit types (`custom`, `license_keys`, or another of Polar's, which finds nothing).
    #[serde(default, rename = "type")]
    #[param(rename = "type", value_type = Option<Vec<String>>)]
    kind: Vec<BenefitTypeParam>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    benefit_id: Vec<BenefitId>,
    /// Grants of what these checkouts bought.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    checkout_id: Vec<CheckoutId>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    order_id: Vec<OrderId>,
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    subscription_id: Vec<SubscriptionId>,
    /// Grants of these members (an owner or billing manager; a member sees only their own).
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    member_id: Vec<MemberId>,
    page: Option<u32>,
    limit: Option<u32>,
    /// `granted_at`, `type`, `organization` or `product_benefit` (the benefit's place in its
    /// product); `-` first for descending. Newest first by default.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    sorting: Vec<String>,
}

/// List the benefits granted to the session's member, or to its team for an owner or billing
/// manager.
#[utoipa::path(get, path = "/v1/customer-portal/benefit-grants", tag = "customer-portal", params(ListParams),
    responses((status = 200, body = ListResource<CustomerBenefitGrant>), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn list_benefit_grants(
    State(state): State<AppState>,
    PortalAuth(caller): PortalAuth,
    ListQuery { params, metadata }: ListQuery<ListParams>,
) -> Result<Json<ListResource<CustomerBenefitGrant>>, ApiError> {
    lists::no_metadata(&metadata)?;
    let page = lists::page(params.page, params.limit)?;
    let filter = GrantFilter {
        member_ids: params.member_id,
        benefit_ids: params.benefit_id,
        benefit_types: params.kind.iter().map(|k| k.name().to_owned()).collect(),
        benefit_query: params.query,
        subscription_ids: params.subscription_id,
        order_ids: params.order_id,
        checkout_ids: params.checkout_id,
        sorting: lists::sorting(PORTAL_GRANT_SORTS, &params.sorting)?,
        ..GrantFilter::default()
    };
    Ok(Json(
        state
            .services
            .portal_benefit_grants(&caller, filter, page)
            .await?,
    ))
}

/// One benefit grant the session may see.
#[utoipa::path(get, path = "/v1/customer-portal/benefit-grants/{id}", tag = "customer-portal",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = CustomerBenefitGrant), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("customer_session" = [])))]
pub(crate) async fn get_benefit_grant(
    State(state): State<AppState>,
    PortalAuth(caller): PortalAuth,
    Path(id): Path<BenefitGrantId>,
) -> Result<Json<CustomerBenefitGrant>, ApiError> {
    Ok(Json(
        state.services.portal_benefit_grant(&caller, id).await?,
    ))
}
