//! Lambda entry point for the conversation worker (SQS FIFO event source with
//! `ReportBatchItemFailures`).
//!
//! Wiring only: telemetry, settings (secrets fetched once per container), the
//! production conversation, then the shared batch handler.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use smsbot_conversation::{handle_batch, wiring};

#[tokio::main]
async fn main() -> Result<(), Error> {
    smsbot_config::telemetry::init();
    let sdk = smsbot_aws::sdk_config().await;
    let settings = smsbot_aws::load_settings(&sdk).await?;
    let outbox = wiring::outbox(&settings, false)?;
    let conversation = wiring::conversation(&settings, outbox.sender())?;
    let conversation = &conversation;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, Error>(handle_batch(conversation, event.payload).await)
    }))
    .await
}
