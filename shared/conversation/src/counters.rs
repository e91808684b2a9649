//! The port the turn's limits count through: counters that expire by
//! themselves, one per key, each answering its count after adding one.
//!
//! Production counts in DynamoDB ([`smsbot_aws::DynamoCounters`]), each call
//! bounded by [`COUNTER_TIMEOUT`] so a DynamoDB that hangs delays a turn by
//! that much at most. Must not decide what a count means: the rate limit and
//! the LLM budget do.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use smsbot_aws::DynamoCounters;

/// How long one count may take before the limit is skipped (DynamoDB answers
/// in milliseconds when it is well).
pub const COUNTER_TIMEOUT: Duration = Duration::from_secs(1);

/// The counters did not answer (down, slow, or an answer without a count).
#[derive(Debug, thiserror::Error)]
#[error("the counters did not answer")]
pub struct CountersUnavailable(#[source] pub Box<dyn std::error::Error + Send + Sync>);

/// Counts events per key.
#[async_trait]
pub trait Counters: Send + Sync {
    /// Adds one to `key`'s count, keeps it until `expires_at`, answers the count.
    async fn add_one(
        &self,
        key: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<u64, CountersUnavailable>;
}

#[async_trait]
impl Counters for DynamoCounters {
    async fn add_one(
        &self,
        key: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<u64, CountersUnavailable> {
        match tokio::time::timeout(
            COUNTER_TIMEOUT,
            DynamoCounters::add_one(self, key, expires_at),
        )
        .await
        {
            Ok(Ok(count)) => Ok(count),
            Ok(Err(err)) => Err(CountersUnavailable(Box::new(err))),
            Err(elapsed) => Err(CountersUnavailable(Box::new(elapsed))),
        }
    }
}
