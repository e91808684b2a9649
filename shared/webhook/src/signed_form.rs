//! Extracting a form body whose Twilio signature has been checked.
//!
//! The signature is checked before any field is interpreted, so a forged request is
//! refused the same way whatever it contains.

use axum::body::Bytes;
use axum::http::{HeaderMap, Uri};

use crate::{WebhookError, WebhookState};

const SIGNATURE_HEADER: &str = "x-twilio-signature";

/// Decodes the urlencoded body and verifies its signature for `path`.
pub(crate) fn verify(
    state: &WebhookState,
    path: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Vec<(String, String)>, WebhookError> {
    let signature = headers
        .get(SIGNATURE_HEADER)
        .map(|v| v.to_str())
        .transpose()
        .map_err(|_| WebhookError::Signature(smsbot_twilio::SignatureError::Malformed))?;
    if signature.is_none() {
        return Err(smsbot_twilio::SignatureError::Missing.into());
    }
    let params: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|e| WebhookError::Malformed(format!("form body: {e}")))?;
    let url = state.signed_url(path, uri.query());
    state.validator.validate_form(&url, &params, signature)?;
    Ok(params)
}
