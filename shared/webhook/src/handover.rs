//! Handing an inbound SMS on: claim its MessageSid, put its FIFO message on the
//! queue or, when SQS does not take it, park it in PostgreSQL, then complete the
//! claim. No message is lost to one dependency's bad minute:
//!
//! - DynamoDB down (not a conflict): the message goes on unclaimed. SQS drops a
//!   repeat of its deduplication id (the MessageSid) for five minutes, and the
//!   worker recognises a MessageSid it has recorded, so a duplicate stays harmless.
//! - SQS down: the message is parked, exactly as it would have been sent, and
//!   answered 200; housekeeping moves it to the queue later.
//! - SQS and PostgreSQL down: the claim is released and Twilio gets a 503, which
//!   it retries when the webhook URL carries connection overrides.
//!
//! Must not read the message: it hands on what the form said.

use smsbot_aws::FifoMessage;

use crate::WebhookState;
use crate::error::WebhookError;
use crate::metrics::WebhookMetric;
use crate::ports::{ClaimOutcome, Parking};

/// Where a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Handed {
    Enqueued,
    Parked,
    /// Handed on before: nothing done.
    Duplicate,
}

pub(crate) async fn hand_over(
    state: &WebhookState,
    message: &FifoMessage,
) -> Result<Handed, WebhookError> {
    let sid = message.deduplication_id.as_str();
    let claimed = match state.claims.claim(sid).await {
        Ok(ClaimOutcome::Acquired) => true,
        Ok(ClaimOutcome::AlreadyCompleted) => return Ok(Handed::Duplicate),
        Ok(ClaimOutcome::InProgress) => return Err(WebhookError::InProgress),
        Err(err) => {
            tracing::warn!(error = %err, cause = %cause(&err), "claims unavailable: handing on unclaimed");
            state.metrics.count(WebhookMetric::ClaimsUnavailable, 1);
            false
        }
    };
    let handed = match enqueue_or_park(state, message).await {
        Ok(handed) => handed,
        Err(err) => {
            // Give the claim back so Twilio's retry is not taken for a duplicate.
            // If that fails too, the claim's lease runs out and a later retry works.
            if claimed && let Err(release) = state.claims.release(sid).await {
                tracing::error!(error = %release, "could not release the claim");
            }
            return Err(err);
        }
    };
    if claimed && let Err(err) = state.claims.complete(sid).await {
        // Handed on already: SQS deduplication and the worker's unique MessageSid
        // keep a redelivery harmless, so this is not worth a 5xx.
        tracing::warn!(error = %err, cause = %cause(&err), "handed on but could not complete the claim");
    }
    Ok(handed)
}

async fn enqueue_or_park(
    state: &WebhookState,
    message: &FifoMessage,
) -> Result<Handed, WebhookError> {
    let Err(queue_err) = state.queue.enqueue(message).await else {
        return Ok(Handed::Enqueued);
    };
    match state.parking.park(message).await {
        Ok(parking) => {
            tracing::warn!(error = %queue_err, cause = %cause(&queue_err), ?parking, "SQS did not take the message: parked");
            if parking == Parking::Parked {
                state.metrics.count(WebhookMetric::InboundParked, 1);
            }
            Ok(Handed::Parked)
        }
        Err(park_err) => {
            tracing::error!(error = %queue_err, cause = %cause(&queue_err), "SQS did not take the message and it could not be parked");
            state.metrics.count(WebhookMetric::InboundRefused, 1);
            Err(park_err)
        }
    }
}

/// The underlying errors' text, for the log (the variant's own is generic).
fn cause(err: &WebhookError) -> String {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(err);
    while let Some(err) = source {
        causes.push(err.to_string());
        source = err.source();
    }
    causes.join(": ")
}
