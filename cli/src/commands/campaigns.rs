//! The scheduled functions inside `smsbot serve`: the campaign dispatcher every
//! minute, the outbound sender draining its queue, housekeeping every 15 minutes.
//!
//! The same engine objects the Lambdas build, driven by timers instead of
//! EventBridge, with the local process's SMS sender.

use std::sync::Arc;
use std::time::Duration;

use smsbot_bootstrap::App;
use smsbot_outbox::Outbox;

/// Starts the dispatcher, the outbound sender and housekeeping on their local
/// schedules, built by the same `App` as everything else in the process.
pub fn spawn(app: &App, outbox: Outbox) -> anyhow::Result<()> {
    let queue = app.outbound_queue()?;
    let dispatcher = app.dispatcher(Arc::new(queue.clone()))?;
    let sender = app.outbound_sender(outbox.clone())?;
    let waitlist = app.waitlist_offers(outbox.clone())?;
    let housekeeping = app.housekeeping(outbox)?;

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
            if let Err(err) = waitlist.sweep().await {
                tracing::warn!(error = %err, "waitlist sweep failed");
            }
        }
    });
    Ok(())
}
