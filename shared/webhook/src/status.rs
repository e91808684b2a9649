//! `POST /webhooks/sms/status`: apply a delivery status callback.
//!
//! The update is monotonic in the store (a late `sent` never replaces `delivered`);
//! `failed`/`undelivered` keep Twilio's ErrorCode, and 21610 marks the contact opted
//! out. A callback for a SID we do not know yet is kept and applied later.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use smsbot_domain::MessageSid;
use smsbot_twilio::{ErrorClass, MessageStatus, TwilioErrorCode};
use tracing::Instrument;

use crate::ports::StatusCallback;
use crate::signed_form::LimitedBody;
use crate::{STATUS_PATH, WebhookError, WebhookState, signed_form};

pub(crate) async fn receive(
    State(state): State<WebhookState>,
    uri: Uri,
    headers: HeaderMap,
    LimitedBody(body): LimitedBody,
) -> Result<StatusCode, WebhookError> {
    let params = signed_form::verify(&state, STATUS_PATH, &uri, &headers, &body)?;
    let callback = parse(&params)?;
    let span = tracing::info_span!("status_callback", correlation_id = %callback.message_sid);
    state.statuses.apply(&callback).instrument(span).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn parse(params: &[(String, String)]) -> Result<StatusCallback, WebhookError> {
    let field = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let malformed = |what: &str| WebhookError::Malformed(what.to_owned());
    let sid = field("MessageSid")
        .or_else(|| field("SmsSid"))
        .ok_or_else(|| malformed("MessageSid missing"))?;
    let status = field("MessageStatus")
        .or_else(|| field("SmsStatus"))
        .ok_or_else(|| malformed("MessageStatus missing"))?;
    let error_code = field("ErrorCode")
        .filter(|v| !v.is_empty())
        .map(|v| v.parse::<TwilioErrorCode>())
        .transpose()
        .map_err(|_| malformed("ErrorCode is not a number"))?;
    // Twilio's codes have five digits; the store keeps them as a 32-bit
    // integer, where a larger one would wrap to a negative code.
    if error_code.is_some_and(|c| i32::try_from(c.get()).is_err()) {
        return Err(malformed("ErrorCode is out of range"));
    }
    Ok(StatusCallback {
        message_sid: MessageSid::parse(sid).map_err(|e| malformed(&e.to_string()))?,
        status: MessageStatus::from_twilio(status).map_err(|e| malformed(&e.to_string()))?,
        recipient_opted_out: error_code.is_some_and(|c| c.class() == ErrorClass::OptedOut),
        error_code,
    })
}
