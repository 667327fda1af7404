//! Pure business rules: no IO, no clock, no database. Compiled into the server and into the browser,
//! so a page can preview exactly what the server will charge.

pub mod catalog;
pub mod checkout;
pub mod pricing;
pub mod renewals;
pub mod seat_changes;
pub mod seats;
