//! `POST /webhooks/sms/inbound`: hand an inbound SMS to the conversation queue.
//!
//! Claim the MessageSid (a duplicate delivery is answered without a second enqueue),
//! enqueue to the FIFO queue, complete the claim. If the enqueue fails the claim is
//! released and Twilio gets a 503, so a retry starts from scratch.

use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use axum::response::IntoResponse;
use smsbot_domain::InboundSms;
use tracing::Instrument;

use crate::ports::ClaimOutcome;
use crate::signed_form::LimitedBody;
use crate::{INBOUND_PATH, WebhookError, WebhookState, signed_form};

/// Twilio sends no reply when the TwiML is empty; the worker replies later.
pub const EMPTY_TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#;

pub(crate) async fn receive(
    State(state): State<WebhookState>,
    uri: Uri,
    headers: HeaderMap,
    LimitedBody(body): LimitedBody,
) -> Result<impl IntoResponse, WebhookError> {
    let params = signed_form::verify(&state, INBOUND_PATH, &uri, &headers, &body)?;
    let sms = InboundSms::from_form(&params).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let sid = sms.message_sid.as_str().to_owned();
    let span = tracing::info_span!("inbound_sms", correlation_id = %sid, from = %sms.from.masked());
    hand_over(&state, &sms, &sid).instrument(span).await
}

/// Claim, enqueue, complete: the part that talks to AWS.
async fn hand_over(
    state: &WebhookState,
    sms: &InboundSms,
    sid: &str,
) -> Result<impl IntoResponse + use<>, WebhookError> {
    match state.claims.claim(sid).await? {
        ClaimOutcome::Acquired => {}
        ClaimOutcome::AlreadyCompleted => {
            tracing::info!("duplicate delivery answered without enqueueing");
            return Ok(twiml());
        }
        ClaimOutcome::InProgress => return Err(WebhookError::InProgress),
    }
    if let Err(err) = state.queue.enqueue(sms).await {
        // Give the claim back so Twilio's retry is not mistaken for a duplicate.
        // If that fails too, the claim's lease runs out and a later retry works.
        if let Err(release) = state.claims.release(sid).await {
            tracing::error!(error = %release, "could not release claim after enqueue failure");
        }
        return Err(err);
    }
    if let Err(err) = state.claims.complete(sid).await {
        // Enqueued already: the FIFO deduplication id and the worker's unique
        // MessageSid keep a redelivery harmless, so this is not worth a 5xx.
        tracing::warn!(error = %err, "enqueued but could not mark the claim completed");
    }
    tracing::info!(segments = sms.body.segments(), "inbound SMS enqueued");
    smsbot_config::metrics::count(smsbot_config::metrics::Metric::MessagesIn, 1);
    Ok(twiml())
}

fn twiml() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        EMPTY_TWIML,
    )
}
