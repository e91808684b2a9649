//! `POST /webhooks/sms/inbound`: hand an inbound SMS to the conversation queue.
//!
//! Verify the signature, read the form, build the FIFO message and hand it on
//! ([`crate::handover`]: claimed, then queued or parked), answering empty TwiML.
//! A duplicate delivery is answered the same way without being handed on again.

use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use axum::response::IntoResponse;
use smsbot_domain::InboundSms;
use tracing::Instrument;

use crate::handover::{Handed, hand_over};
use crate::ports::fifo_message;
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
    let message = fifo_message(&sms).map_err(|e| WebhookError::Unavailable(Box::new(e)))?;
    let span = tracing::info_span!("inbound_sms", correlation_id = %sms.message_sid, from = %sms.from.masked());
    let handed = hand_over(&state, &message).instrument(span.clone()).await?;
    span.in_scope(|| match handed {
        Handed::Duplicate => tracing::info!("duplicate delivery answered without handing it on"),
        Handed::Enqueued | Handed::Parked => {
            tracing::info!(
                segments = sms.body.segments(),
                ?handed,
                "inbound SMS handed on"
            );
            smsbot_config::metrics::count(smsbot_config::metrics::Metric::MessagesIn, 1);
        }
    });
    Ok((
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        EMPTY_TWIML,
    ))
}
