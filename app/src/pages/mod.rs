//! One module per page.

pub mod checkout;
pub mod claim;
pub mod home;
pub mod not_found;
