//! The campaign engine's integration tests, against Postgres and the AWS emulator:
//! one binary, one module per theme.

mod concurrency;
mod consent;
mod counters;
mod leases;
mod lifecycle;
mod marketing_consent;
mod marketing_limits;
mod one_connection;
mod property;
mod quiet_hours;
mod rate_limit;
mod reminders;
mod support;
