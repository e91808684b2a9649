//! Twilio adapter.
//!
//! Owns: webhook signature validation ([`signature`]), the webhook URL's
//! connection overrides ([`overrides`]), Twilio error-code
//! classification ([`error_code`]) and sending SMS through the Messages REST
//! API ([`rest`]), with how long Twilio may queue one ([`validity`]). Delivery
//! statuses are the domain's `MessageStatus`, read from Twilio with
//! `MessageStatus::from_twilio`.
//!
//! Must not: do I/O outside [`rest`] (the other modules are pure: no HTTP, no
//! clock, no environment, no secrets lookup, no logging); [`rest`] makes the one
//! HTTP call and logs only masked numbers. Phone numbers and message bodies pass
//! through as opaque data and must never be written unmasked to logs or error
//! values by this crate.

pub mod error_code;
pub mod overrides;
pub mod rest;
pub mod signature;
pub mod validity;

pub use error_code::{ErrorClass, InvalidErrorCode, TwilioErrorCode, classify_response};
pub use overrides::{ConnectionOverrides, OverridesError};
pub use rest::{
    ClientConfigError, OutboundMessage, SendError, Sender, SentMessage, TransientCause,
    TwilioClient, mask_phone,
};
pub use signature::{AuthToken, RequestValidator, SignatureError, TokenError, body_sha256_hex};
/// Message statuses are a domain vocabulary (stored, ranked); Twilio reports them.
pub use smsbot_domain::MessageStatus;
pub use validity::{ValidityPeriod, ValidityPeriodError};
