//! Request extractors whose rejections are API errors.
//!
//! Axum's own extractors answer malformed input with plain-text bodies; these wrap
//! them so every refusal has the JSON error shape: unreadable JSON, query strings
//! and path parameters are 400, JSON of the wrong shape is 422, a body that is not
//! declared as JSON is 415. Must not validate meaning: handlers do that.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON request body.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // Every body is a JSON object: serde would otherwise read a struct
        // from an array by position, so `[null, null]` would pass as a
        // partial update.
        let value = axum::Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(rejected)?
            .0;
        if !value.is_object() {
            return Err(ApiError::invalid("body", "must be a JSON object"));
        }
        let bytes = serde_json::to_vec(&value)
            .map_err(|_| ApiError::bad_request("the request body could not be read"))?;
        axum::Json::<T>::from_bytes(&bytes)
            .map(|axum::Json(value)| Self(value))
            .map_err(rejected)
    }
}

fn rejected(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(err) => {
            ApiError::invalid("body", strip_axum_prefix(&err.body_text()))
        }
        JsonRejection::JsonSyntaxError(_) => {
            ApiError::bad_request("the request body is not valid JSON")
        }
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
        _ => ApiError::bad_request("the request body could not be read"),
    }
}

/// Query string parameters.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|err: QueryRejection| {
                ApiError::bad_request(strip_axum_prefix(&err.body_text()))
            })
    }
}

/// Path parameters (ids).
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Self(value))
            .map_err(|_: PathRejection| {
                ApiError::bad_request("the id in the path must be a positive integer")
            })
    }
}

/// Axum prefixes serde's explanation with its own sentence; keep serde's part,
/// which names the offending field.
fn strip_axum_prefix(text: &str) -> String {
    text.split_once(": ")
        .map(|(_, rest)| rest)
        .unwrap_or(text)
        .to_owned()
}

/// For PATCH fields that may be cleared: absent is `None` (leave as is), `null`
/// is `Some(None)` (clear), a value is `Some(Some(value))`. Use with
/// `#[serde(default, deserialize_with = "crate::extract::patch_field")]`.
pub fn patch_field<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}
