//! API tests: the real router on a real port, a fresh database per test, both backends.
//!
//! Each test written with [`both_backends!`] runs twice: `…::sqlite` and `…::postgres`. PostgreSQL
//! tests use `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) to create a
//! database of their own. `make test` skips them, loudly, when no PostgreSQL is reachable
//! (`cargo test -- --skip ::postgres`); CI always runs them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod auth;
mod catalog;
mod checkout_payments;
mod checkouts;
mod cli;
mod customers;
mod entitlements;
mod errors;
mod health;
mod idempotency;
mod license_certificates;
mod license_keys;
mod limits;
mod list_filters;
mod mail;
mod openapi;
mod organizations;
mod pages;
mod portal;
mod portal_page;
mod refunds;
mod renewals;
mod seat_claims;
mod seat_holders;
mod seat_lists;
mod seat_transfers;
mod seats;
mod seed;
mod shutdown;
mod sign_in_codes;
mod store_contract;
mod store_seats_contract;
mod subscription_changes;
mod test_clock;
mod webhooks;
