//! Extracting a form body whose Twilio signature has been checked.
//!
//! The signature is checked before any field is interpreted, so a forged request is
//! refused the same way whatever it contains.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, Uri, header};
use smsbot_twilio::SignatureError;

use crate::metrics::WebhookMetric;
use crate::{MAX_BODY_BYTES, WebhookError, WebhookState};

/// The request body, at most [`MAX_BODY_BYTES`]: one declared larger is
/// refused before any of it is read, one that turns out larger (no or a wrong
/// `Content-Length`) once the limit is passed; both as the webhook's 413.
pub(crate) struct LimitedBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for LimitedBody {
    type Rejection = WebhookError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let too_large = WebhookError::TooLarge {
            limit: MAX_BODY_BYTES,
        };
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            return Err(too_large);
        }
        // Read here with the limit, rather than through a layer on every
        // request: one less allocation per request on the hot path.
        let _ = state;
        axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map(Self)
            .map_err(|err| {
                let source = err.into_inner();
                if source.is::<http_body_util::LengthLimitError>() {
                    too_large
                } else {
                    // The client went away mid-body: nothing to answer it.
                    WebhookError::Malformed(format!("body could not be read: {source}"))
                }
            })
    }
}

const SIGNATURE_HEADER: &str = "x-twilio-signature";

/// Decodes the urlencoded body and verifies its signature for `path`, signed
/// over the URL without or with the configured connection overrides. Every
/// refusal for the signature is counted.
pub(crate) fn verify(
    state: &WebhookState,
    path: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Vec<(String, String)>, WebhookError> {
    let refused = |err: SignatureError| {
        state.metrics.count(WebhookMetric::SignatureRejected, 1);
        WebhookError::Signature(err)
    };
    let signature = headers
        .get(SIGNATURE_HEADER)
        .map(|v| v.to_str())
        .transpose()
        .map_err(|_| refused(SignatureError::Malformed))?
        .ok_or_else(|| refused(SignatureError::Missing))?;
    let params: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|e| WebhookError::Malformed(format!("form body: {e}")))?;
    let url = state.signed_url(path, uri.query());
    state
        .validator
        .validate_form_with_overrides(&url, &state.connection_overrides, &params, Some(signature))
        .map_err(refused)?;
    Ok(params)
}
