//! Server-only code (feature `ssr`): persistence, services, time and secrets. The REST handlers of the
//! `server` crate and the `#[server]` functions of [`crate::api`] both call [`service::Services`], so
//! each rule lives in one place.

pub mod clock;
pub mod payment;
pub mod service;
pub mod store;
pub mod token;
