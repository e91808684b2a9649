//! The scheduled functions inside `smsbot serve`: the campaign dispatcher every
//! minute, the outbound sender draining its queue, housekeeping every 15 minutes.
//!
//! The same engine objects the Lambdas build, driven by timers instead of
//! EventBridge, with the local process's SMS sender.

use std::sync::Arc;
use std::time::Duration;

use smsbot_aws::SqsQueue;
use smsbot_campaigns::{EngineSettings, wiring};
use smsbot_conversation::SmsSender;

pub fn spawn(
    settings: &smsbot_config::Settings,
    sdk: &aws_config::SdkConfig,
    sms: Arc<dyn SmsSender>,
) -> anyhow::Result<()> {
    let engine = EngineSettings::from_env()?;
    let queue = SqsQueue::new(
        aws_sdk_sqs::Client::new(sdk),
        settings
            .outbound_queue_url
            .clone()
            .ok_or_else(|| anyhow::anyhow!("OUTBOUND_QUEUE_URL is not set"))?,
    );
    let dispatcher = wiring::dispatcher(settings, &engine, Arc::new(queue.clone()))?;
    let sender = wiring::sender(settings, &engine, sms.clone())?;
    let housekeeping = wiring::housekeeping(settings, &engine, sms)?;

    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            if let Err(err) = dispatcher.tick(chrono::Utc::now()).await {
                tracing::warn!(error = %err, "dispatch tick failed");
            }
        }
    });
    tokio::spawn(async move {
        loop {
            match queue.receive_event(10, 1).await {
                Ok(event) if !event.records.is_empty() => {
                    let response = sender.handle_batch(event.clone()).await;
                    if let Err(err) = queue.acknowledge(&event, &response).await {
                        tracing::warn!(error = %err, "could not delete sent campaign messages");
                    }
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "could not poll the outbound queue");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(15 * 60));
        loop {
            every.tick().await;
            if let Err(err) = housekeeping.run(chrono::Utc::now()).await {
                tracing::warn!(error = %err, "housekeeping failed");
            }
        }
    });
    Ok(())
}
