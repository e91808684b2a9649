//! Configuration and telemetry shared by every entry point.
//!
//! Owns the one typed settings struct read from environment variables (and secret
//! values overlaid from AWS Secrets Manager by the caller), which refuses, by name,
//! a value the caller needs that still holds the deployment's placeholder; and the
//! JSON log setup.
//! Must not fetch anything itself: I/O belongs to the adapters that call it.

pub mod business;
mod engine;
pub mod handoff;
pub mod limits;
mod marketing;
pub mod metrics;
mod placeholder;
mod settings;
pub mod telemetry;

pub use engine::EngineSettings;
pub use handoff::HandoffSettings;
pub use limits::LimitSettings;
pub use marketing::MarketingSettings;
pub use placeholder::PLACEHOLDER_TOKEN;
pub use settings::{ConfigError, SECRET_KEYS, Sender, Settings};
