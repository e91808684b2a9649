//! `Outbox::deliver`: claim → send → record, the same for every kind of message.

use std::sync::Arc;

use smsbot_config::metrics::{self, Metric};
use smsbot_domain::PhoneNumber;
use smsbot_store::messages::MessageId;
use smsbot_store::outbound::{self, Refusal};
use smsbot_store::{Pool, StoreError};

use crate::port::{SendFailure, SentSms, SmsSender};

/// How long one worker may hold an unsent message before another may retry it.
/// Longer than the provider client's timeout, so a slow send is never doubled.
const SEND_LEASE_SECONDS: f64 = 30.0;

/// What became of a message handed to the outbox.
#[derive(Debug)]
pub enum Delivery {
    /// The provider took it; its SID is recorded.
    Sent(SentSms),
    /// Nothing done: it was sent or refused before, another worker holds it, or
    /// it must not go now (no consent, the campaign stopped, no number).
    NotClaimed,
    /// A transient failure: the claim is released and the message may be
    /// delivered again later.
    Retry(SendFailure),
    /// Refused for good and recorded: the message failed, and a carrier opt-out
    /// or an invalid number was recorded on the contact (and campaign recipient).
    Refused(SendFailure),
}

/// Recording the outcome failed; the message stays claimed until its lease ends.
#[derive(Debug, thiserror::Error)]
#[error("recording a send's outcome failed")]
pub struct DeliverError(#[from] pub StoreError);

impl DeliverError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        self.0.is_transient()
    }
}

/// The one send path. Cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    pool: Pool,
    sender: Arc<dyn SmsSender>,
}

impl Outbox {
    pub fn new(pool: Pool, sender: Arc<dyn SmsSender>) -> Self {
        Self { pool, sender }
    }

    /// Sends a recorded outbound message unless it was sent already, must not
    /// go, or another worker is sending it; records what the provider answered.
    pub async fn deliver(&self, message: MessageId) -> Result<Delivery, DeliverError> {
        let Some(claimed) = outbound::claim(&self.pool, message, SEND_LEASE_SECONDS).await? else {
            return Ok(Delivery::NotClaimed);
        };
        let Ok(to) = PhoneNumber::parse_e164(&claimed.to_e164) else {
            // The database holds the E.164 shape; a number the phone library
            // refuses cannot be texted either.
            let failure = SendFailure::InvalidRecipient { code: Some(21211) };
            return self.refuse(message, failure).await;
        };
        match self.sender.send(&to, &claimed.body).await {
            Ok(sent) => {
                outbound::attach_sid(&self.pool, message, sent.sid.as_str(), sent.status).await?;
                tracing::info!(message_id = message.get(), sid = %sent.sid, "sms sent");
                metrics::count(Metric::MessagesOut, 1);
                Ok(Delivery::Sent(sent))
            }
            Err(failure) if failure.is_retryable() => {
                tracing::warn!(message_id = message.get(), error = %failure, "sms not sent yet");
                outbound::release(&self.pool, message).await?;
                Ok(Delivery::Retry(failure))
            }
            Err(failure) => self.refuse(message, failure).await,
        }
    }

    /// Ends a message that will not be retried any more (e.g. too many
    /// transient failures), with its campaign recipient.
    pub async fn give_up(&self, message: MessageId) -> Result<(), DeliverError> {
        outbound::refuse(&self.pool, message, Refusal::Failed, None).await?;
        Ok(())
    }

    async fn refuse(
        &self,
        message: MessageId,
        failure: SendFailure,
    ) -> Result<Delivery, DeliverError> {
        let refusal = match failure {
            SendFailure::OptedOutAtCarrier => Refusal::OptedOutAtCarrier,
            SendFailure::InvalidRecipient { .. } => Refusal::InvalidNumber,
            _ => Refusal::Failed,
        };
        tracing::warn!(message_id = message.get(), error = %failure, "sms refused");
        outbound::refuse(&self.pool, message, refusal, failure.code()).await?;
        Ok(Delivery::Refused(failure))
    }
}
