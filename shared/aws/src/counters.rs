//! Counters in DynamoDB that expire by themselves, for fixed-window limits.
//!
//! A counter is one item in the idempotency table (hash key `id`, TTL attribute
//! `expiration`) whose key starts with [`KEY_PREFIX`], so it never meets a
//! MessageSid claim and an IAM policy can confine a function to counters
//! (`dynamodb:LeadingKeys` like `counter#*`). One atomic `UpdateItem` adds one
//! and answers the new count: no read-modify-write, no race between workers.
//!
//! Owns that call and the mapping of its failures. Must not decide what is
//! counted, which window a key names or what a count means: callers build keys
//! (one per window) and compare counts with their limits.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};

/// What every counter's key starts with.
pub const KEY_PREFIX: &str = "counter#";

#[derive(Debug, thiserror::Error)]
pub enum CounterError {
    #[error("DynamoDB did not count")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("DynamoDB answered without a count")]
    NoCount,
}

#[derive(Clone)]
pub struct DynamoCounters {
    client: Client,
    table: String,
}

impl DynamoCounters {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Adds one to the counter `key` (a new counter starts at zero), keeps it
    /// until `expires_at` (DynamoDB's TTL removes it some time after), and
    /// answers the count with this one included.
    pub async fn add_one(&self, key: &str, expires_at: DateTime<Utc>) -> Result<u64, CounterError> {
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(format!("{KEY_PREFIX}{key}")))
            .update_expression("ADD #hits :one SET #expiration = :expiration")
            .expression_attribute_names("#hits", "hits")
            .expression_attribute_names("#expiration", "expiration")
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
            .expression_attribute_values(
                ":expiration",
                AttributeValue::N(expires_at.timestamp().to_string()),
            )
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| CounterError::Unavailable(Box::new(e)))?;
        match updated.attributes().and_then(|a| a.get("hits")) {
            Some(AttributeValue::N(n)) => n.parse().map_err(|_| CounterError::NoCount),
            _ => Err(CounterError::NoCount),
        }
    }
}
