//! Creating the queue and table the functions use, for the local process and tests.
//!
//! In AWS the SAM template creates these; locally (against the emulator) the local
//! process and the tests create them with the same attributes. Must not be called
//! by a Lambda.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;

#[derive(Debug, thiserror::Error)]
#[error("could not provision {what}")]
pub struct ProvisionError {
    what: &'static str,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

fn failed<E: std::error::Error + Send + Sync + 'static>(
    what: &'static str,
) -> impl FnOnce(E) -> ProvisionError {
    move |e| ProvisionError {
        what,
        source: Box::new(e),
    }
}

/// Creates (or finds) a FIFO queue named `name` (which must end in `.fifo`) and
/// returns its URL. Deduplication ids are always passed explicitly.
pub async fn fifo_queue(sdk: &aws_config::SdkConfig, name: &str) -> Result<String, ProvisionError> {
    let created = aws_sdk_sqs::Client::new(sdk)
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::VisibilityTimeout, "30")
        .send()
        .await
        .map_err(failed("the FIFO queue"))?;
    Ok(created.queue_url().unwrap_or_default().to_owned())
}

/// Creates (or finds) a standard queue and returns its URL.
pub async fn standard_queue(
    sdk: &aws_config::SdkConfig,
    name: &str,
) -> Result<String, ProvisionError> {
    let created = aws_sdk_sqs::Client::new(sdk)
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::VisibilityTimeout, "30")
        .send()
        .await
        .map_err(failed("the standard queue"))?;
    Ok(created.queue_url().unwrap_or_default().to_owned())
}

/// Creates the idempotency table as the template defines it (key `id`, TTL on
/// `expiration`, on-demand billing) unless it exists.
pub async fn idempotency_table(
    sdk: &aws_config::SdkConfig,
    name: &str,
) -> Result<(), ProvisionError> {
    let client = aws_sdk_dynamodb::Client::new(sdk);
    if client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .is_ok()
    {
        return Ok(());
    }
    let attribute = AttributeDefinition::builder()
        .attribute_name("id")
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(failed("the table's key attribute"))?;
    let key = KeySchemaElement::builder()
        .attribute_name("id")
        .key_type(KeyType::Hash)
        .build()
        .map_err(failed("the table's key"))?;
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute)
        .key_schema(key)
        .send()
        .await
        .map_err(failed("the idempotency table"))?;
    let ttl = TimeToLiveSpecification::builder()
        .attribute_name("expiration")
        .enabled(true)
        .build()
        .map_err(failed("the table's TTL"))?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(failed("the table's TTL"))?;
    Ok(())
}

/// Creates (or finds) an SNS topic named `name` and returns its ARN.
pub async fn topic(sdk: &aws_config::SdkConfig, name: &str) -> Result<String, ProvisionError> {
    let created = aws_sdk_sns::Client::new(sdk)
        .create_topic()
        .name(name)
        .send()
        .await
        .map_err(failed("the SNS topic"))?;
    Ok(created.topic_arn().unwrap_or_default().to_owned())
}
