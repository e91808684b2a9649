//! AWS adapters: SQS, DynamoDB idempotency claims and counters, Secrets Manager,
//! and the SNS topic staff alerts are published to.
//!
//! Owns the SDK calls and the mapping of their failures to errors a caller can act
//! on. Must not hold business rules: what to enqueue or claim is decided elsewhere.
//! The endpoint comes from the SDK's standard configuration (`AWS_ENDPOINT_URL`),
//! so nothing here knows whether it talks to AWS or to a local emulator.

pub mod batch;
pub mod counters;
pub mod idempotency;
pub mod provision;
pub mod queue;
pub mod secrets;
pub mod topic;

pub use batch::batch_response;
pub use counters::{CounterError, DynamoCounters};
pub use idempotency::{Claim, IdempotencyError, IdempotencyStore};
pub use queue::{FifoMessage, QueueError, SqsQueue};
pub use secrets::{SecretsError, load_settings, load_settings_from};
pub use topic::{PublishError, SnsTopic};

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;

/// Limits on every AWS call. The SDK has none by default, so an SQS or DynamoDB
/// endpoint that accepts and then hangs would hold the webhook until Lambda's
/// 10-second timeout, before it could park the message in PostgreSQL. Our calls
/// are small (one message, one item, a batch of ten): two seconds per attempt,
/// four for a call with its retries, leave the webhook time to claim (4 s),
/// fail over to parking and still answer.
pub fn call_timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(4))
        .build()
}

/// Loads the shared SDK configuration from the standard environment, with
/// [`call_timeouts`].
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(call_timeouts())
        .load()
        .await
}
