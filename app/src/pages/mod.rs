//! One module per page.

pub mod checkout;
pub mod claim;
pub mod dashboard;
pub mod home;
pub mod my_seats;
pub mod not_found;
pub mod portal;
