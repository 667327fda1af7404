//! Seatkeeper's application crate, compiled twice: with `ssr` for the server (services, persistence,
//! server-side rendering) and with `hydrate` for the browser (the same pages, hydrated).
//!
//! - [`model`]: wire and UI types shared with the browser (ids, organization, money, errors).
//! - [`domain`]: pure rules (seat-tier pricing), also compiled into the browser.
//! - [`server`]: server-only code: the `Store` and its two backends, services, clock, tokens.
//! - [`api`]: `#[server]` functions, thin wrappers over services.
//! - [`pages`] and [`components`]: the Leptos UI.

pub mod api;
pub mod components;
pub mod domain;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

mod shell;

#[cfg(feature = "ssr")]
pub use shell::page_policy;
pub use shell::{App, shell};

/// The sentence to show a person for a failed server function.
pub fn server_fn_error_text(err: &model::AppError) -> String {
    err.detail.clone()
}
