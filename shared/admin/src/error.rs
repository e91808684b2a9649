//! How the admin API answers when it cannot do what was asked.
//!
//! Owns the one error type of the handlers and its JSON form,
//! `{"error": {"code": ..., "message": ...}}`, with the status a client can act on.
//! Must not put an internal detail (SQL, driver or SDK text) into a response: those
//! are logged here and the client gets a fixed message.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use smsbot_store::StoreError;
use utoipa::ToSchema;

/// Every error body the API returns.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code, e.g. `not_found`, `invalid_transition`.
    #[schema(example = "not_found")]
    pub code: String,
    /// A human-readable explanation, safe to show an operator.
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request itself is malformed: bad JSON, query or path parameter, cursor.
    #[error("{0}")]
    BadRequest(String),
    /// No `X-API-Key` header.
    #[error("an X-API-Key header is required")]
    MissingApiKey,
    /// An `X-API-Key` header that is not the admin key.
    #[error("the API key is not valid")]
    WrongApiKey,
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request is well formed but clashes with the current state.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("request bodies must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// Well-formed JSON whose values are not acceptable.
    #[error("{field}: {message}")]
    Validation {
        field: &'static str,
        message: String,
    },
    /// A dependency is down; retrying later may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A bug or corrupt data: logged, never described to the client.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Validation {
            field,
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::MissingApiKey => StatusCode::UNAUTHORIZED,
            Self::WrongApiKey => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::MissingApiKey => "unauthorized",
            Self::WrongApiKey => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict { code, .. } => code,
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Validation { .. } => "validation_failed",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }
}

/// Store failures as the client sees them. A constraint the handlers did not
/// foresee is a conflict with a generic message (the constraint name stays in the
/// log); corrupt rows and query bugs are internal errors.
impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::Conflict {
                context,
                constraint,
            } => {
                tracing::warn!(context, constraint, "admin change refused by a constraint");
                Self::conflict("conflict", "the change conflicts with data already stored")
            }
            err if err.is_transient() => Self::Unavailable(Box::new(err)),
            err => Self::Internal(Box::new(err)),
        }
    }
}

impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        Self::Unavailable(Box::new(err))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Unavailable(source) => {
                tracing::error!(error = %self, cause = %source, "admin dependency failed")
            }
            Self::Internal(source) => {
                tracing::error!(error = %self, cause = %source, "admin request failed")
            }
            _ => tracing::info!(
                status = status.as_u16(),
                code = self.code(),
                "admin request refused"
            ),
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: match &self {
                    Self::Unavailable(_) => "a dependency is unavailable; retry later".to_owned(),
                    Self::Internal(_) => "internal error".to_owned(),
                    other => other.to_string(),
                },
            },
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// The answer for paths no route matches.
pub async fn no_such_route() -> ApiError {
    ApiError::NotFound("route")
}
