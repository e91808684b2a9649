//! The `SmsSender` port and the failures a send can end in, sorted by what the
//! outbox must do about them.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use smsbot_domain::marketing::LimitReason;
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
    /// The provider or the network failed, and the provider certainly did not
    /// take the message (no connection, an explicit refusal to process); retry.
    #[error("the SMS provider is unavailable")]
    Transient(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The provider refused this message for good (e.g. an account setting).
    #[error("the SMS provider rejected the message (code {code:?})")]
    Rejected { code: Option<i32> },
    /// The provider may have taken the message (no answer in time, a broken
    /// connection, a 5xx, an unreadable answer): it is sent again only after
    /// the provider says it does not have it.
    #[error("the outcome of the send is unknown")]
    OutcomeUnknown(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Not sent, by our own rule: a marketing limit stops this text (the
    /// frequency cap, or no window common to every zone the recipient may be in).
    #[error("{0}")]
    Limited(LimitReason),
}

impl SendFailure {
    /// Whether the message is to be tried again later (after reconciling,
    /// when its outcome is unknown); the others are final refusals.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Throttled { .. } | Self::Transient(_) | Self::OutcomeUnknown(_)
        )
    }

    /// Whether the provider may hold the message although it did not say so.
    pub fn may_have_been_sent(&self) -> bool {
        matches!(self, Self::OutcomeUnknown(_))
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
        if err.may_have_been_accepted() {
            return Self::OutcomeUnknown(Box::new(err));
        }
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

/// How a message is to be sent, beyond its recipient and text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendOptions {
    /// How long the provider may hold the message before giving up on it (a
    /// marketing text must not arrive after the recipient's window closed);
    /// `None`: the provider's default.
    pub valid_for: Option<Duration>,
}

/// How an SMS leaves: Twilio in production, the console locally, doubles in tests.
#[async_trait]
pub trait SmsSender: Send + Sync {
    async fn send(
        &self,
        to: &PhoneNumber,
        body: &str,
        options: &SendOptions,
    ) -> Result<SentSms, SendFailure>;

    /// Messages the provider holds to `to` with exactly `body`, created at or
    /// after `since`, newest first: asked before a message whose earlier send
    /// may have reached the provider is sent again.
    async fn find_sent(
        &self,
        to: &PhoneNumber,
        body: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<SentSms>, SendFailure>;
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
    fn anything_twilio_may_have_taken_is_an_unknown_outcome_and_only_a_failed_connect_is_not() {
        use smsbot_twilio::TransientCause::{Connection, Interrupted, Server, Timeout};
        for err in [
            SendError::UnreadableResponse { status: 201 },
            SendError::Transient(Timeout),
            SendError::Transient(Interrupted),
            SendError::Transient(Server {
                status: 500,
                code: None,
            }),
        ] {
            assert!(SendFailure::from(err).may_have_been_sent());
        }
        let refused_to_connect = SendFailure::from(SendError::Transient(Connection));
        assert!(refused_to_connect.is_retryable() && !refused_to_connect.may_have_been_sent());
        let throttled = SendFailure::from(SendError::RateLimited { retry_after: None });
        assert!(throttled.is_retryable() && !throttled.may_have_been_sent());
        assert_eq!(SendFailure::OptedOutAtCarrier.code(), Some(21610));
    }
}
