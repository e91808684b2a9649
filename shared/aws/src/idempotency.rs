//! Idempotency claims in DynamoDB, in the spirit of Powertools' idempotency utility.
//!
//! A key is claimed with a conditional put (`IN_PROGRESS` with a short lease), then
//! marked `COMPLETED`, or released when the work failed so a retry can run it. Items
//! carry a TTL attribute (`expiration`) so the table cleans itself. An in-progress
//! claim whose lease ran out (the Lambda died mid-way) may be taken over.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Utc;

const IN_PROGRESS: &str = "IN_PROGRESS";
const COMPLETED: &str = "COMPLETED";

/// What a claim attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// We hold the key now and must complete or release it.
    Acquired,
    /// Someone finished this work already: a duplicate delivery.
    AlreadyCompleted,
    /// Someone is doing this work right now.
    InProgress,
}

#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    #[error("DynamoDB unavailable while {context}")]
    Unavailable {
        context: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

#[derive(Clone)]
pub struct IdempotencyStore {
    client: Client,
    table: String,
    /// How long a finished key is remembered (TTL).
    remember_for: Duration,
    /// How long an in-progress claim blocks others before it may be taken over.
    lease: Duration,
}

impl IdempotencyStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            remember_for: Duration::from_secs(24 * 3600),
            lease: Duration::from_secs(60),
        }
    }

    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    pub async fn claim(&self, key: &str) -> Result<Claim, IdempotencyError> {
        let now = Utc::now().timestamp();
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("id", AttributeValue::S(key.to_owned()))
            .item("status", AttributeValue::S(IN_PROGRESS.to_owned()))
            .item(
                "expiration",
                number(now + self.remember_for.as_secs() as i64),
            )
            .item("lease_expiry", number(now + self.lease.as_secs() as i64))
            .condition_expression(
                "attribute_not_exists(id) OR (#status = :in_progress AND lease_expiry < :now)",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":in_progress", AttributeValue::S(IN_PROGRESS.into()))
            .expression_attribute_values(":now", number(now))
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim::Acquired),
            Err(SdkError::ServiceError(err))
                if matches!(err.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                let PutItemError::ConditionalCheckFailedException(failed) = err.err() else {
                    unreachable!("guarded by the match arm")
                };
                match failed.item().and_then(status_of) {
                    Some(COMPLETED) => Ok(Claim::AlreadyCompleted),
                    Some(_) => Ok(Claim::InProgress),
                    // Emulators may not return the old item: read it.
                    None => self.read_claim(key).await,
                }
            }
            Err(err) => Err(unavailable("claiming a key", err)),
        }
    }

    async fn read_claim(&self, key: &str) -> Result<Claim, IdempotencyError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(key.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("reading a claim", e))?;
        Ok(match item.item().and_then(status_of) {
            Some(COMPLETED) => Claim::AlreadyCompleted,
            _ => Claim::InProgress,
        })
    }

    /// Marks the work for `key` done; later claims answer `AlreadyCompleted`.
    pub async fn complete(&self, key: &str) -> Result<(), IdempotencyError> {
        let now = Utc::now().timestamp();
        self.client
            .put_item()
            .table_name(&self.table)
            .item("id", AttributeValue::S(key.to_owned()))
            .item("status", AttributeValue::S(COMPLETED.to_owned()))
            .item(
                "expiration",
                number(now + self.remember_for.as_secs() as i64),
            )
            .send()
            .await
            .map_err(|e| unavailable("completing a claim", e))?;
        Ok(())
    }

    /// Gives the key back after failed work so a retry is not refused.
    pub async fn release(&self, key: &str) -> Result<(), IdempotencyError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(key.to_owned()))
            .condition_expression("#status = :in_progress")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":in_progress", AttributeValue::S(IN_PROGRESS.into()))
            .send()
            .await
            .map_err(|e| unavailable("releasing a claim", e))?;
        Ok(())
    }

    /// Whether DynamoDB answers (for health checks).
    pub async fn ping(&self) -> Result<(), IdempotencyError> {
        self.client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|e| unavailable("describing the table", e))?;
        Ok(())
    }
}

fn number(n: i64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn status_of(item: &HashMap<String, AttributeValue>) -> Option<&str> {
    match item.get("status") {
        Some(AttributeValue::S(s)) => Some(s.as_str()),
        _ => None,
    }
}

fn unavailable<E, R>(context: &'static str, err: SdkError<E, R>) -> IdempotencyError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    IdempotencyError::Unavailable {
        context,
        source: Box::new(err),
    }
}
