//! The conversation worker's integration tests: one binary, one module per theme.

mod dialogue;
mod faults;
mod one_connection;
mod poison;
mod races;
mod started;
mod support;
