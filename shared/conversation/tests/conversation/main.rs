//! The conversation worker's integration tests: one binary, one module per theme.

mod dialogue;
mod faults;
mod races;
mod support;
