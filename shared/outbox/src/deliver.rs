//! `Outbox::deliver`: claim → (look up an earlier attempt) → check the moment
//! (quiet hours; for a marketing text the frequency cap, the window in every
//! zone the recipient may be in and its validity period) → send → record, the
//! same for every kind of message.
//!
//! At most one SMS per recorded message: a claim marks the message in doubt
//! before the send, and only an answer that proves the provider did not take
//! it (no connection, throttled, a refusal) clears the doubt without a SID.
//! A message claimed in doubt is first looked up at the provider (same number,
//! same text, since the doubt began, a SID no other message has); found, it is
//! recorded as sent; not found, it is sent. An unknown outcome keeps the lease,
//! so the lookup happens only after the provider has surely finished.

use std::sync::Arc;

use chrono::Duration;
use chrono_tz::Tz;
use smsbot_config::metrics::{self, Metric};
use smsbot_domain::{MarketingRules, MessageId, PhoneNumber};
use smsbot_store::outbound::{self, Claim, ClaimedSend, Refusal};
use smsbot_store::{Pool, StoreError, marketing};

use crate::clock::Clock;
use crate::moment::{Moment, moment};
use crate::port::{SendFailure, SentSms, SmsSender};

/// How long one worker may hold an unsent message before another may retry it.
/// Longer than the provider client's timeout, so the provider has finished
/// with any request of the holder before the message is looked up.
const SEND_LEASE_SECONDS: f64 = 30.0;

/// How far before the doubt began a provider's message may be dated and still
/// be ours: the provider's clock and the database's are not the same clock.
const CLOCK_SKEW: Duration = Duration::minutes(2);

/// What became of a message handed to the outbox.
#[derive(Debug)]
pub enum Delivery {
    /// The provider took it; its SID is recorded.
    Sent(SentSms),
    /// Nothing done: it was sent or refused before, or it must not go (no
    /// consent, the campaign stopped, no number).
    NotClaimed,
    /// Another worker is sending it (or its outcome is being waited for):
    /// ask again later.
    Busy,
    /// Not now: quiet hours where the contact is, until this instant.
    Deferred(chrono::DateTime<chrono::Utc>),
    /// A transient failure; the message may be delivered again later (after
    /// being looked up at the provider when the outcome is unknown).
    Retry(SendFailure),
    /// Refused for good and recorded: the message failed, and a carrier opt-out
    /// or an invalid number was recorded on the contact (and campaign recipient);
    /// or a marketing limit stopped it before it was sent
    /// ([`SendFailure::Limited`], recorded on its recipient with the reason).
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
    clock: Arc<dyn Clock>,
    /// Where a contact is when their own timezone is unknown (and, for a
    /// marketing text, their number says nothing either).
    business_timezone: Tz,
    marketing: MarketingRules,
}

impl Outbox {
    pub fn new(
        pool: Pool,
        sender: Arc<dyn SmsSender>,
        clock: Arc<dyn Clock>,
        business_timezone: Tz,
    ) -> Self {
        Self {
            pool,
            sender,
            clock,
            business_timezone,
            marketing: MarketingRules::default(),
        }
    }

    /// The timezone times in messages are written in when the contact's own
    /// is unknown.
    pub fn business_timezone(&self) -> Tz {
        self.business_timezone
    }

    /// The same outbox under these marketing limits (by default 08:00–21:00
    /// and four texts in thirty days).
    pub fn with_marketing(mut self, rules: MarketingRules) -> Self {
        self.marketing = rules;
        self
    }

    /// Sends a recorded outbound message unless it was sent already, must not
    /// go now, or another worker is sending it; records what the provider said.
    pub async fn deliver(&self, message: MessageId) -> Result<Delivery, DeliverError> {
        let now = self.clock.now();
        let claimed = match outbound::claim(&self.pool, message, now, SEND_LEASE_SECONDS).await? {
            Claim::Claimed(claimed) => claimed,
            Claim::Busy => return Ok(Delivery::Busy),
            Claim::Closed => return Ok(Delivery::NotClaimed),
        };
        let Ok(to) = PhoneNumber::parse_e164(&claimed.to_e164) else {
            // The database holds the E.164 shape; a number the phone library
            // refuses cannot be texted either.
            let failure = SendFailure::InvalidRecipient { code: Some(21211) };
            return self.refuse(message, failure).await;
        };
        if let Some(since) = claimed.in_doubt_since {
            match self.look_up(&claimed, &to, since).await {
                Ok(Some(sent)) => {
                    tracing::warn!(
                        message_id = message.get(),
                        sid = %sent.sid,
                        "an earlier send had reached the provider; recorded, not resent"
                    );
                    return self.sent(message, sent).await;
                }
                Ok(None) => {}
                Err(failure) => {
                    // Still in doubt: the next attempt looks it up again.
                    tracing::warn!(message_id = message.get(), error = %failure, "cannot look up an earlier send");
                    return Ok(Delivery::Retry(failure));
                }
            }
        }
        let options = match moment(
            &self.pool,
            &self.marketing,
            self.business_timezone,
            &claimed,
            now,
        )
        .await?
        {
            Moment::Now { options, marketing } => {
                if marketing {
                    marketing::stamp_sent_at(&self.pool, message, now).await?;
                }
                options
            }
            Moment::Later(until) => {
                outbound::release(&self.pool, message).await?;
                return Ok(Delivery::Deferred(until));
            }
            Moment::Never(reason) => {
                tracing::info!(message_id = message.get(), %reason, "marketing text stopped by a limit");
                marketing::skip_message(&self.pool, message, &reason.to_string()).await?;
                return Ok(Delivery::Refused(SendFailure::Limited(reason)));
            }
        };
        match self.sender.send(&to, &claimed.body, &options).await {
            Ok(sent) => self.sent(message, sent).await,
            Err(failure) if failure.may_have_been_sent() => {
                // The lease and the doubt stay: a retry waits for the lease to
                // end, then looks the message up before sending it.
                tracing::warn!(message_id = message.get(), error = %failure, "sms outcome unknown");
                Ok(Delivery::Retry(failure))
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

    /// The provider's message that an earlier claim sent, if any.
    async fn look_up(
        &self,
        claimed: &ClaimedSend,
        to: &PhoneNumber,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<SentSms>, SendFailure> {
        let candidates = self
            .sender
            .find_sent(to, &claimed.body, since - CLOCK_SKEW)
            .await?;
        for candidate in candidates {
            // The same text may have gone to the same number for another
            // message (two identical replies); that one has its SID recorded.
            let taken = outbound::sid_recorded(&self.pool, candidate.sid.as_str())
                .await
                .map_err(|e| SendFailure::Transient(Box::new(e)))?;
            if !taken {
                return Ok(Some(candidate));
            }
        }
        Ok(None)
    }

    async fn sent(&self, message: MessageId, sent: SentSms) -> Result<Delivery, DeliverError> {
        outbound::attach_sid(&self.pool, message, sent.sid.as_str(), sent.status).await?;
        tracing::info!(message_id = message.get(), sid = %sent.sid, "sms sent");
        metrics::count(Metric::MessagesOut, 1);
        Ok(Delivery::Sent(sent))
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
