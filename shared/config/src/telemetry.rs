//! Structured JSON logs through `tracing`.
//!
//! One line of JSON per event, flattened, with the span context (Lambda's request
//! id, our correlation id). Level from `RUST_LOG`, default `info`. Message bodies
//! are logged at `debug` at most, and phone numbers only masked, by the callers.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Safe to call twice (the second is ignored), so
/// tests and the local process can share entry code.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
}
