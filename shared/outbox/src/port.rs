//! The `SmsSender` port and the failures a send can end in, sorted by what the
//! outbox must do about them.

use std::time::Duration;

use async_trait::async_trait;
use smsbot_domain::{MessageSid, PhoneNumber};
use smsbot_twilio::{ErrorClass, MessageStatus, SendError, TwilioErrorCode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSms {
    pub sid: MessageSid,
    pub status: MessageStatus,
}

/// Why a message did not go out.
#[derive(Debug, thiserror::Error)]
pub enum SendFailure {
    /// The number cannot take SMS from us; retrying will not help.
    #[error("the recipient's number cannot receive this SMS (code {code:?})")]
    InvalidRecipient { code: Option<i32> },
    /// The recipient replied STOP at the carrier (Twilio 21610).
    #[error("the recipient has opted out at the carrier")]
    OptedOutAtCarrier,
    /// The provider asks us to slow down; retry later.
    #[error("the SMS provider is throttling (retry after {retry_after:?})")]
    Throttled { retry_after: Option<Duration> },
    /// The provider or the network failed before taking the message; retry.
    #[error("the SMS provider is unavailable")]
    Transient(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The provider refused this message for good (e.g. an account setting).
    #[error("the SMS provider rejected the message (code {code:?})")]
    Rejected { code: Option<i32> },
    /// The provider may have taken the message but its answer could not be
    /// read: sending again could text the customer twice, so it is not retried.
    #[error("the outcome of the send is unknown")]
    OutcomeUnknown(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl SendFailure {
    /// Whether sending the same message later may succeed unchanged.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Throttled { .. } | Self::Transient(_))
    }

    /// The provider's error code, stored on the message.
    pub fn code(&self) -> Option<i32> {
        match self {
            Self::InvalidRecipient { code } | Self::Rejected { code } => *code,
            Self::OptedOutAtCarrier => Some(TwilioErrorCode::UNSUBSCRIBED_RECIPIENT.get() as i32),
            _ => None,
        }
    }

    /// A failure for a Twilio error code, by the code's class.
    pub fn from_code(code: TwilioErrorCode) -> Self {
        let raw = Some(code.get() as i32);
        match code.class() {
            ErrorClass::OptedOut => Self::OptedOutAtCarrier,
            ErrorClass::InvalidRecipient => Self::InvalidRecipient { code: raw },
            ErrorClass::RateLimited => Self::Throttled { retry_after: None },
            ErrorClass::DeliveryFailed | ErrorClass::Other => Self::Rejected { code: raw },
        }
    }
}

impl From<SendError> for SendFailure {
    fn from(err: SendError) -> Self {
        match err {
            SendError::OptedOut => Self::OptedOutAtCarrier,
            SendError::InvalidRecipient { code } => Self::from_code(code),
            SendError::RateLimited { retry_after } => Self::Throttled { retry_after },
            SendError::Transient(_) => Self::Transient(Box::new(err)),
            SendError::Rejected {
                code: Some(code), ..
            } => Self::from_code(code),
            SendError::Rejected { code: None, .. } => Self::Rejected { code: None },
            SendError::UnreadableResponse { .. } => Self::OutcomeUnknown(Box::new(err)),
        }
    }
}

/// How an SMS leaves: Twilio in production, the console locally, doubles in tests.
#[async_trait]
pub trait SmsSender: Send + Sync {
    async fn send(&self, to: &PhoneNumber, body: &str) -> Result<SentSms, SendFailure>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(n: u32) -> TwilioErrorCode {
        TwilioErrorCode(n)
    }

    #[test]
    fn twilio_codes_become_the_failure_their_class_says() {
        assert!(matches!(
            SendFailure::from_code(code(21610)),
            SendFailure::OptedOutAtCarrier
        ));
        assert!(matches!(
            SendFailure::from_code(code(21211)),
            SendFailure::InvalidRecipient { code: Some(21211) }
        ));
        assert!(SendFailure::from_code(code(20429)).is_retryable());
        assert!(matches!(
            SendFailure::from_code(code(21408)),
            SendFailure::Rejected { code: Some(21408) }
        ));
    }

    #[test]
    fn an_unreadable_answer_is_never_retried_and_a_timeout_is() {
        let unknown = SendFailure::from(SendError::UnreadableResponse { status: 201 });
        assert!(matches!(unknown, SendFailure::OutcomeUnknown(_)));
        assert!(!unknown.is_retryable());
        let timeout =
            SendFailure::from(SendError::Transient(smsbot_twilio::TransientCause::Timeout));
        assert!(timeout.is_retryable());
        assert_eq!(SendFailure::OptedOutAtCarrier.code(), Some(21610));
    }
}
