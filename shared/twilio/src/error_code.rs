//! Twilio error codes, sorted into what an SMS sender should do about them.
//!
//! Owns: `TwilioErrorCode` (the numeric code in REST error responses and the
//! `ErrorCode` field of status callbacks) and its small classification.
//!
//! Must not: do I/O, retry anything itself, or log; the caller decides. It sees
//! codes only, never phone numbers or message bodies.
//!
//! Codes not listed here are [`ErrorClass::Other`] on purpose: Twilio has hundreds,
//! and an unknown one should reach a human rather than be guessed at.

use std::fmt;
use std::str::FromStr;

/// A Twilio error code such as `21610` or `30003`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TwilioErrorCode(pub u32);

/// What kind of failure a code reports, as far as sending SMS is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The recipient replied STOP (21610). Send nothing more until they reply
    /// START; never retry.
    OptedOut,
    /// The `To` number cannot take SMS from us: not a valid number (21211), not a
    /// mobile number (21614), a landline (21635), or not routable from our sender
    /// (21612). Retrying the same number will not help.
    InvalidRecipient,
    /// Too many requests (20429, or any HTTP 429), the SMS send rate limit
    /// (14107) or a full sending queue (30001). Retry later with backoff.
    RateLimited,
    /// The carrier did not deliver the message (30003 to 30008: unreachable
    /// handset, blocked, unknown handset, landline or unreachable carrier,
    /// filtered as spam, unknown carrier error). Some are transient, some not;
    /// report it and do not resend automatically.
    DeliveryFailed,
    /// Anything else, including account problems such as 21408 (the destination
    /// country is disabled in the account's geo permissions: not the recipient's
    /// fault, an operator must act).
    Other,
}

impl TwilioErrorCode {
    /// The recipient has unsubscribed (replied STOP).
    pub const UNSUBSCRIBED_RECIPIENT: Self = Self(21610);
    /// Twilio's "Too Many Requests".
    pub const TOO_MANY_REQUESTS: Self = Self(20429);

    /// The class of this code.
    #[must_use]
    pub const fn class(self) -> ErrorClass {
        match self.0 {
            21610 => ErrorClass::OptedOut,
            21211 | 21612 | 21614 | 21635 => ErrorClass::InvalidRecipient,
            20429 | 14107 | 30001 => ErrorClass::RateLimited,
            30003..=30008 => ErrorClass::DeliveryFailed,
            _ => ErrorClass::Other,
        }
    }

    /// The number itself.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0
    }
}

/// Classifies a failed Twilio REST response: HTTP 429 is always
/// [`ErrorClass::RateLimited`], whatever code (if any) the body carried;
/// otherwise the code decides, and no code at all is [`ErrorClass::Other`].
#[must_use]
pub const fn classify_response(http_status: u16, code: Option<TwilioErrorCode>) -> ErrorClass {
    if http_status == 429 {
        return ErrorClass::RateLimited;
    }
    match code {
        Some(code) => code.class(),
        None => ErrorClass::Other,
    }
}

impl ErrorClass {
    /// Whether sending the same message again later may succeed without anyone
    /// changing anything: only for rate limiting.
    #[must_use]
    pub const fn is_retryable(self) -> bool {
        matches!(self, Self::RateLimited)
    }

    /// Whether no further messages should go to this recipient (until they opt
    /// back in or give a new number).
    #[must_use]
    pub const fn blocks_recipient(self) -> bool {
        matches!(self, Self::OptedOut | Self::InvalidRecipient)
    }
}

/// A Twilio `ErrorCode` field that is not a number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Twilio error code is not a number")]
pub struct InvalidErrorCode;

impl FromStr for TwilioErrorCode {
    type Err = InvalidErrorCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(Self).map_err(|_| InvalidErrorCode)
    }
}

impl fmt::Display for TwilioErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class_of(code: u32) -> ErrorClass {
        TwilioErrorCode(code).class()
    }

    #[test]
    fn an_unsubscribed_recipient_is_opted_out_and_blocks_further_messages() {
        assert_eq!(class_of(21610), ErrorClass::OptedOut);
        assert!(ErrorClass::OptedOut.blocks_recipient());
        assert!(!ErrorClass::OptedOut.is_retryable());
    }

    #[test]
    fn invalid_non_mobile_and_unroutable_numbers_are_invalid_recipients() {
        for code in [21211, 21612, 21614, 21635] {
            assert_eq!(class_of(code), ErrorClass::InvalidRecipient, "{code}");
        }
        assert!(ErrorClass::InvalidRecipient.blocks_recipient());
    }

    #[test]
    fn a_region_disabled_in_geo_permissions_is_not_blamed_on_the_recipient() {
        assert_eq!(class_of(21408), ErrorClass::Other);
        assert!(!ErrorClass::Other.blocks_recipient());
    }

    #[test]
    fn rate_limits_are_the_only_retryable_class() {
        for code in [20429, 14107, 30001] {
            assert_eq!(class_of(code), ErrorClass::RateLimited, "{code}");
        }
        assert!(ErrorClass::RateLimited.is_retryable());
        for class in [
            ErrorClass::OptedOut,
            ErrorClass::InvalidRecipient,
            ErrorClass::DeliveryFailed,
            ErrorClass::Other,
        ] {
            assert!(!class.is_retryable(), "{class:?}");
        }
    }

    #[test]
    fn an_http_429_is_rate_limited_whatever_the_body_says() {
        assert_eq!(classify_response(429, None), ErrorClass::RateLimited);
        assert_eq!(
            classify_response(429, Some(TwilioErrorCode(21211))),
            ErrorClass::RateLimited
        );
        assert_eq!(
            classify_response(400, Some(TwilioErrorCode(21211))),
            ErrorClass::InvalidRecipient
        );
        assert_eq!(classify_response(500, None), ErrorClass::Other);
    }

    #[test]
    fn carrier_errors_30003_to_30008_are_delivery_failures() {
        for code in 30003..=30008 {
            assert_eq!(class_of(code), ErrorClass::DeliveryFailed, "{code}");
        }
        assert_eq!(class_of(30002), ErrorClass::Other);
        assert_eq!(class_of(30009), ErrorClass::Other);
    }

    #[test]
    fn an_error_code_field_parses_from_its_decimal_string() {
        assert_eq!("30003".parse(), Ok(TwilioErrorCode(30003)));
        assert_eq!(
            " 21610 ".parse(),
            Ok(TwilioErrorCode::UNSUBSCRIBED_RECIPIENT)
        );
        assert_eq!("".parse::<TwilioErrorCode>(), Err(InvalidErrorCode));
        assert_eq!("abc".parse::<TwilioErrorCode>(), Err(InvalidErrorCode));
        assert_eq!(TwilioErrorCode(20429).to_string(), "20429");
    }
}
