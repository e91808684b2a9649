//! The webhook's ports: one small trait per capability, and their adapters.
//!
//! Handlers see only these traits, so tests can put a failing dependency in place;
//! the adapters translate each infrastructure error into `WebhookError`.

use async_trait::async_trait;
use smsbot_aws::{Claim, FifoMessage, IdempotencyStore, SqsQueue};
use smsbot_domain::{InboundSms, MessageSid};
use smsbot_store::messages::{self, StatusUpdate};
use smsbot_store::parked_inbound;
use smsbot_twilio::{MessageStatus, TwilioErrorCode};

use crate::WebhookError;

pub use smsbot_aws::Claim as ClaimOutcome;
pub use smsbot_store::parked_inbound::Parking;

/// Remembers which MessageSids were handed on already.
#[async_trait]
pub trait MessageClaims: Send + Sync {
    async fn claim(&self, key: &str) -> Result<Claim, WebhookError>;
    async fn complete(&self, key: &str) -> Result<(), WebhookError>;
    async fn release(&self, key: &str) -> Result<(), WebhookError>;
}

/// Hands an inbound SMS (as its FIFO message, see [`fifo_message`]) to the
/// conversation worker.
#[async_trait]
pub trait InboundQueue: Send + Sync {
    async fn enqueue(&self, message: &FifoMessage) -> Result<(), WebhookError>;
}

/// Keeps a FIFO message the queue did not take, until housekeeping moves it.
#[async_trait]
pub trait ParkedMessages: Send + Sync {
    async fn park(&self, message: &FifoMessage) -> Result<Parking, WebhookError>;
}

/// A parsed delivery status callback.
#[derive(Debug, Clone)]
pub struct StatusCallback {
    pub message_sid: MessageSid,
    pub status: MessageStatus,
    pub error_code: Option<TwilioErrorCode>,
    pub recipient_opted_out: bool,
}

/// Applies delivery statuses to stored messages.
#[async_trait]
pub trait DeliveryStatuses: Send + Sync {
    async fn apply(&self, callback: &StatusCallback) -> Result<(), WebhookError>;
}

fn unavailable(err: impl std::error::Error + Send + Sync + 'static) -> WebhookError {
    WebhookError::Unavailable(Box::new(err))
}

#[async_trait]
impl MessageClaims for IdempotencyStore {
    async fn claim(&self, key: &str) -> Result<Claim, WebhookError> {
        IdempotencyStore::claim(self, key)
            .await
            .map_err(unavailable)
    }
    async fn complete(&self, key: &str) -> Result<(), WebhookError> {
        IdempotencyStore::complete(self, key)
            .await
            .map_err(unavailable)
    }
    async fn release(&self, key: &str) -> Result<(), WebhookError> {
        IdempotencyStore::release(self, key)
            .await
            .map_err(unavailable)
    }
}

/// The FIFO message for an inbound SMS: one group per contact (a hash, never the
/// number itself) keeps each conversation in order; the MessageSid deduplicates.
pub fn fifo_message(sms: &InboundSms) -> Result<FifoMessage, serde_json::Error> {
    Ok(FifoMessage {
        body: escape_for_sqs(&serde_json::to_string(sms)?),
        group_id: sms.from.pseudonym(),
        deduplication_id: sms.message_sid.as_str().to_owned(),
    })
}

/// SQS accepts only XML's characters (tab, LF, CR, U+0020–U+D7FF,
/// U+E000–U+FFFD, U+10000 and above); JSON already escapes the control
/// characters, so only the two noncharacters U+FFFE and U+FFFF are left to
/// write as `\uXXXX` escapes, which read back as the same text.
fn escape_for_sqs(json: &str) -> String {
    if !json.contains(['\u{fffe}', '\u{ffff}']) {
        return json.to_owned();
    }
    json.replace('\u{fffe}', "\\ufffe")
        .replace('\u{ffff}', "\\uffff")
}

#[async_trait]
impl InboundQueue for SqsQueue {
    async fn enqueue(&self, message: &FifoMessage) -> Result<(), WebhookError> {
        self.send_fifo(message).await.map_err(unavailable)
    }
}

#[async_trait]
impl ParkedMessages for smsbot_store::Pool {
    async fn park(&self, message: &FifoMessage) -> Result<Parking, WebhookError> {
        let client = self.get().await.map_err(unavailable)?;
        parked_inbound::park(
            &client,
            &message.deduplication_id,
            &message.group_id,
            &message.body,
        )
        .await
        .map_err(unavailable)
    }
}

#[async_trait]
impl DeliveryStatuses for smsbot_store::Pool {
    async fn apply(&self, callback: &StatusCallback) -> Result<(), WebhookError> {
        let update = StatusUpdate {
            twilio_sid: callback.message_sid.as_str(),
            status: callback.status,
            error_code: callback.error_code.map(|c| c.get() as i32),
            recipient_opted_out: callback.recipient_opted_out,
        };
        let outcome = messages::apply_status(self, &update)
            .await
            .map_err(unavailable)?;
        tracing::info!(status = %update.status, ?outcome, "delivery status recorded");
        Ok(())
    }
}
