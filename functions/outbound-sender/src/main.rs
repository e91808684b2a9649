//! Lambda entry point for the outbound sender (SQS "outbound",
//! `ReportBatchItemFailures`): one campaign message per record.
//!
//! Wiring only: telemetry, the app, Twilio as the SMS channel, then the shared
//! batch handler from `smsbot-campaigns`.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use smsbot_bootstrap::App;

#[tokio::main]
async fn main() -> Result<(), Error> {
    smsbot_config::telemetry::init();
    let app = App::load().await?;
    let sender = app.outbound_sender(app.outbox(&app.sms_channel(false)?)?)?;
    let sender = &sender;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, Error>(sender.handle_batch(event.payload).await)
    }))
    .await
}
