//! The store against a real PostgreSQL server (a fresh database per test, from
//! `smsbot-test-support`): the pool's handling of connections that died while
//! they sat in it, the consent each send needs, the consent migration, and
//! what a booking reads as bookings pile up.

mod booking_reads;
mod consent_gates;
mod consent_migration;
mod pool;
mod relay;
mod scheduling;
mod scheduling_migration;
mod waitlist;
