//! Twilio adapter: the pure part.
//!
//! Owns: webhook signature validation ([`signature`]), message delivery statuses
//! ([`status`]) and Twilio error-code classification ([`error_code`]).
//!
//! Must not: do I/O (no HTTP, no clock, no environment, no secrets lookup) or log.
//! Phone numbers and message bodies pass through as opaque data and must never be
//! written to logs or error values by this crate.

pub mod error_code;
pub mod signature;
pub mod status;

pub use error_code::{ErrorClass, InvalidErrorCode, TwilioErrorCode, classify_response};
pub use signature::{AuthToken, RequestValidator, SignatureError, TokenError, body_sha256_hex};
pub use status::{MessageStatus, UnknownStatus};
