//! Wire and UI types shared by the server and the browser. Nothing here does IO; server-only derives
//! (`sqlx::Type`) are behind `cfg_attr(feature = "ssr")`.

pub mod benefit;
pub mod billing;
pub mod checkout_view;
pub mod claim_view;
pub mod customer;
pub mod dashboard;
pub mod email;
pub mod entitlements;
pub mod error;
pub mod ids;
pub mod license_certificate;
pub mod license_key;
pub mod metadata;
pub mod money;
pub mod named;
pub mod organization;
pub mod page;
pub mod portal_view;
pub mod product;
pub mod refund;
pub mod scope;
pub mod seat;
pub mod slug;
pub mod status;
pub mod subscription_update;
pub mod webhook;

pub use email::Email;
pub use error::{AppError, ErrorBody, ErrorDetail, LocSegment, ValidationIssue};
pub use ids::{
    AccessTokenId, BenefitGrantId, BenefitId, CheckoutId, CustomerId, CustomerSessionId, EmailId,
    EventId, LicenseKeyActivationId, LicenseKeyId, MemberId, OrderId, OrganizationId, PaymentId,
    PriceId, ProductId, RefundId, SeatAuditId, SeatId, SubscriptionId, TypedId, WebhookDeliveryId,
    WebhookEndpointId, WebhookSendId,
};
pub use money::{Currency, MinorUnits};
pub use named::Named;
pub use organization::Organization;
pub use page::{ListResource, PageRequest, Pagination};
pub use scope::{Scope, Scopes};
pub use slug::Slug;
pub use status::{DemoInfo, SystemStatus};
