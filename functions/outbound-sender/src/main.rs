//! Lambda entry point for the outbound sender (SQS standard queue event source
//! with `ReportBatchItemFailures`).
//!
//! Wiring only: telemetry, settings (secrets fetched once per container), the
//! production sender (Twilio with the status callback URL), then the batch handler.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use smsbot_campaigns::{EngineSettings, wiring};

#[tokio::main]
async fn main() -> Result<(), Error> {
    smsbot_config::telemetry::init();
    let sdk = smsbot_aws::sdk_config().await;
    let settings = smsbot_aws::load_settings(&sdk).await?;
    let engine = EngineSettings::from_env()?;
    let sender = wiring::sender(&settings, &engine, wiring::twilio(&settings)?)?;
    let sender = &sender;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, Error>(sender.handle_batch(event.payload).await)
    }))
    .await
}
