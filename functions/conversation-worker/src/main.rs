//! Lambda entry point for the conversation worker (SQS FIFO "inbound",
//! `ReportBatchItemFailures`).
//!
//! Wiring only: telemetry, the app, Twilio as the SMS channel, then the shared
//! batch handler from `smsbot-conversation`.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use smsbot_bootstrap::App;
use smsbot_conversation::handle_batch;

#[tokio::main]
async fn main() -> Result<(), Error> {
    smsbot_config::telemetry::init();
    let app = App::load().await?;
    let outbox = app.outbox(&app.sms_channel(false)?)?;
    let conversation = app.conversation(outbox)?;
    let conversation = &conversation;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, Error>(handle_batch(conversation, event.payload).await)
    }))
    .await
}
