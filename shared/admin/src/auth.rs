//! The admin API key check, shared by the Lambda authorizer and the router.
//!
//! Owns comparing a presented `X-API-Key` with the admin key in constant time and
//! the middleware that applies it to every protected route. Must not log or echo
//! either key. The same `check_api_key` runs in API Gateway's authorizer and in
//! the admin function, so the local process enforces exactly what production does.

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::AdminState;
use crate::error::ApiError;

/// The header operators send the key in (HTTP header names are case-insensitive).
pub const API_KEY_HEADER: &str = "x-api-key";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no API key was presented")]
    Missing,
    #[error("the presented API key is not the admin key")]
    Wrong,
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Missing => ApiError::MissingApiKey,
            AuthError::Wrong => ApiError::WrongApiKey,
        }
    }
}

/// Compares the presented key with the expected one without leaking, through
/// timing, how much of it matched or how long the real key is: both sides are
/// hashed to 32 bytes first, then compared in constant time. An empty expected
/// key never matches (a misconfiguration must not open the API).
pub fn check_api_key(expected: &SecretString, presented: Option<&[u8]>) -> Result<(), AuthError> {
    let presented = match presented {
        Some(key) if !key.is_empty() => key,
        _ => return Err(AuthError::Missing),
    };
    let expected = expected.expose_secret().as_bytes();
    let same = Sha256::digest(expected).ct_eq(&Sha256::digest(presented));
    if bool::from(same) && !expected.is_empty() {
        Ok(())
    } else {
        Err(AuthError::Wrong)
    }
}

/// The key check applied to a request's headers.
pub fn check_headers(expected: &SecretString, headers: &HeaderMap) -> Result<(), AuthError> {
    check_api_key(
        expected,
        headers.get(API_KEY_HEADER).map(|value| value.as_bytes()),
    )
}

/// Router middleware: 401 without a key, 403 with a wrong one.
pub async fn require_api_key(
    State(state): State<AdminState>,
    request: Request,
    next: Next,
) -> Response {
    match check_headers(&state.api_key, request.headers()) {
        Ok(()) => next.run(request).await,
        Err(err) => ApiError::from(err).into_response(),
    }
}
