//! PostgreSQL: the system's source of truth.
//!
//! Owns the connection pool (TLS-capable for RDS), the migrations runner and one
//! module per aggregate that turns rows into domain values. All SQL of the project
//! lives in this crate; it must not hold business decisions beyond what the
//! database itself guarantees (constraints, row locks, monotonic updates).

pub mod appointments;
pub mod availability;
pub mod business_profile;
pub mod calendars;
pub mod campaign_recipients;
pub mod campaigns;
pub mod closures;
pub mod consent;
pub mod contacts;
pub mod conversations;
mod error;
pub mod handoffs;
pub mod marketing;
pub mod messages;
pub mod migrate;
pub mod outbound;
pub mod parked_inbound;
pub mod pool;
pub mod providers;
pub mod reminders;
pub mod services;
pub mod staff_alerts;
pub mod waitlist;
pub mod working_hours;

pub use error::StoreError;
pub use pool::{Pool, connect};
