//! How webhook failures answer Twilio.
//!
//! 403 for a missing or forged signature, 400 for a form we cannot read, 413 for a
//! body larger than any Twilio form (refused before it is read), 503 when the
//! message could be neither queued nor parked, or is being handed on right now
//! (Twilio retries it when the URL carries connection overrides, else calls the
//! fallback URL). The body is a short fixed text: internals never reach the
//! caller; details go to the log.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("signature rejected")]
    Signature(#[from] smsbot_twilio::SignatureError),
    #[error("malformed request: {0}")]
    Malformed(String),
    /// Larger than `limit` bytes: no form Twilio sends comes near it.
    #[error("request body over {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the same message is being processed right now")]
    InProgress,
    #[error("dependency unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl IntoResponse for WebhookError {
    fn into_response(self) -> Response {
        let (status, text) = match &self {
            Self::Signature(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::Malformed(_) => (StatusCode::BAD_REQUEST, "malformed request"),
            Self::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "request too large"),
            Self::InProgress | Self::Unavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "temporarily unavailable")
            }
        };
        match &self {
            Self::Unavailable(source) => {
                tracing::error!(error = %self, cause = %source, "webhook dependency failed")
            }
            _ => tracing::warn!(error = %self, "webhook request refused"),
        }
        let mut response = (status, text).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}
