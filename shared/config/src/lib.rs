//! Configuration and telemetry shared by every entry point.
//!
//! Owns the one typed settings struct read from environment variables (and secret
//! values overlaid from AWS Secrets Manager by the caller), and the JSON log setup.
//! Must not fetch anything itself: I/O belongs to the adapters that call it.

mod engine;
pub mod metrics;
mod settings;
pub mod telemetry;

pub use engine::EngineSettings;
pub use settings::{ConfigError, SECRET_KEYS, Sender, Settings};
