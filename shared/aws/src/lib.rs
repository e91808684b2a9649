//! AWS adapters: SQS, DynamoDB idempotency claims and Secrets Manager.
//!
//! Owns the SDK calls and the mapping of their failures to errors a caller can act
//! on. Must not hold business rules: what to enqueue or claim is decided elsewhere.
//! The endpoint comes from the SDK's standard configuration (`AWS_ENDPOINT_URL`),
//! so nothing here knows whether it talks to AWS or to a local emulator.

pub mod batch;
pub mod idempotency;
pub mod provision;
pub mod queue;
pub mod secrets;

pub use batch::batch_response;
pub use idempotency::{Claim, IdempotencyError, IdempotencyStore};
pub use queue::{FifoMessage, QueueError, SqsQueue};
pub use secrets::{SecretsError, load_settings, load_settings_from};

/// Loads the shared SDK configuration from the standard environment.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}
