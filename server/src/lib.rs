//! The Seatkeeper server: command line, configuration, the Axum router (REST API, server functions,
//! server-rendered pages) and start-up. Business rules live in the `app` crate's services; this crate
//! wires them to HTTP.

pub mod application;
pub mod cli;
pub mod config;
pub mod demo;
pub mod limits;
pub mod mailer;
pub mod portal_sign_in;
pub mod rest;
pub mod startup;
pub mod telemetry;
pub mod webhooks;
pub mod workers;
