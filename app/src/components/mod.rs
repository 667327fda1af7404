//! Reusable UI pieces.

pub mod hydration;
