//! Reusable UI pieces.

pub mod hydration;
pub mod theme;
