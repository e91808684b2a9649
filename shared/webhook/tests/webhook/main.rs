//! The webhook router against the real emulator and a real Postgres database,
//! fed with the sample events of `events/`: one binary, one module per theme.
//! Faults are injected at each external call (DynamoDB, SQS, PostgreSQL) by
//! pointing that one client at a closed port.

mod drain;
mod inbound;
mod outages;
mod signatures;
mod status;
mod support;
