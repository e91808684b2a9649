//! One inbound SMS, handled end to end: the conversation worker's use case.
//!
//! In one transaction: record the inbound message (its unique Twilio SID makes a
//! redelivery harmless), find the contact, apply compliance keywords, advance the
//! conversation, and record the reply. Only after commit is the reply handed to the
//! `SmsSender`, under a send lease, and its SID stored. A redelivered message finds
//! its reply already recorded and only finishes sending it if it was not sent.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use smsbot_domain::{ConsentSource, ConsentState, InboundSms, PhoneNumber, SmsBody};
use smsbot_nlu::Understander;
use smsbot_store::messages::{self, InboundRecord, MessageId, NewOutbound};
use smsbot_store::{Pool, StoreError, contacts, conversations};

use smsbot_config::metrics::{self, Metric};

use crate::clock::Clock;
use crate::compliance::{self, Keyword};
use crate::dialogue::Step;
use crate::policy::Policy;
use crate::replies;
use crate::sender::{SendFailure, SmsSender};
use crate::state::State;

/// How long one worker may hold an unsent reply before another may retry it.
const SEND_LEASE_SECONDS: f64 = 30.0;

#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    /// Retry later (through SQS): the database or the SMS provider is unavailable.
    #[error("transient failure: {0}")]
    Transient(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// This input can never succeed: record and acknowledge it.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

impl From<StoreError> for TurnError {
    /// Every store error is retried: a transient one will pass, and a persistent
    /// one ends in the dead-letter queue after the queue's receive limit.
    fn from(err: StoreError) -> Self {
        Self::Transient(Box::new(err))
    }
}

/// What a turn did, for logs, metrics and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnOutcome {
    Replied { state: &'static str },
    OptedOut,
    NoReply,
    Duplicate,
}

/// The conversation worker's dependencies.
#[derive(Clone)]
pub struct Conversation {
    pub pool: Pool,
    pub understander: Arc<dyn Understander>,
    pub sender: Arc<dyn SmsSender>,
    pub clock: Arc<dyn Clock>,
    pub policy: Policy,
}

struct Decided {
    outcome: TurnOutcome,
    reply: Option<MessageId>,
    booked: bool,
}

impl Conversation {
    pub async fn handle(&self, sms: &InboundSms) -> Result<TurnOutcome, TurnError> {
        let now = self.clock.now();
        let keyword = compliance::classify(sms.body.as_str(), sms.opt_out_type.as_deref());
        // Understanding may call an LLM: do it before taking any lock.
        let understanding = match keyword {
            None | Some(Keyword::Yes) => Some(
                self.understander
                    .understand(sms.body.as_str(), now.with_timezone(&self.policy.timezone))
                    .await,
            ),
            _ => None,
        };

        let decided = self
            .decide(sms, keyword, understanding.as_ref(), now)
            .await?;
        if decided.booked {
            metrics::count(Metric::Bookings, 1);
        }
        if decided.outcome == TurnOutcome::OptedOut {
            metrics::count(Metric::OptOuts, 1);
        }
        if let Some(reply) = decided.reply {
            self.deliver(reply, &sms.from).await?;
        }
        Ok(decided.outcome)
    }

    async fn decide(
        &self,
        sms: &InboundSms,
        keyword: Option<Keyword>,
        understanding: Option<&smsbot_nlu::Understanding>,
        now: DateTime<Utc>,
    ) -> Result<Decided, TurnError> {
        let mut client = self.pool.get().await.map_err(transient)?;
        let tx = client.transaction().await.map_err(transient)?;
        let contact = contacts::find_or_create_by_phone(&tx, &sms.from).await?;
        let inbound = messages::record_inbound(
            &tx,
            contact,
            sms.message_sid.as_str(),
            sms.body.as_str(),
            sms.body.segments() as i32,
        )
        .await?;
        let inbound_id = match inbound {
            InboundRecord::New(id) => id,
            InboundRecord::Duplicate(id) => {
                let reply = messages::reply_for(&tx, id).await?;
                tx.commit().await.map_err(transient)?;
                return Ok(Decided {
                    outcome: TurnOutcome::Duplicate,
                    reply,
                    booked: false,
                });
            }
        };
        let consent = contacts::consent_of(&tx, contact).await?;
        let mut booked = false;
        let (outcome, text) = match (keyword, consent) {
            (Some(Keyword::OptOut), _) => {
                let word = sms.body.as_str().trim().to_ascii_uppercase();
                contacts::set_consent(
                    &tx,
                    contact,
                    ConsentState::OptedOut,
                    ConsentSource::Keyword,
                    Some(&word),
                )
                .await?;
                // Twilio (or the carrier) confirms the opt-out itself.
                (TurnOutcome::OptedOut, None)
            }
            (Some(Keyword::OptIn), _) | (Some(Keyword::Yes), ConsentState::OptedOut) => {
                let word = sms.body.as_str().trim().to_ascii_uppercase();
                contacts::set_consent(
                    &tx,
                    contact,
                    ConsentState::OptedIn,
                    ConsentSource::Keyword,
                    Some(&word),
                )
                .await?;
                let text = replies::opted_in().to_owned();
                (TurnOutcome::Replied { state: "idle" }, Some(text))
            }
            // An opted-out contact gets no reply but the opt-in confirmation.
            (_, ConsentState::OptedOut) => (TurnOutcome::NoReply, None),
            (Some(Keyword::Help), _) => (
                TurnOutcome::Replied { state: "idle" },
                Some(replies::help(&self.policy.business_name)),
            ),
            (None | Some(Keyword::Yes), ConsentState::OptedIn) => {
                let Some(u) = understanding else {
                    return Err(TurnError::Permanent(
                        "no understanding for a message".into(),
                    ));
                };
                let (state, text, did_book) = self
                    .converse(&tx, contact, u, sms.body.as_str(), now)
                    .await?;
                booked = did_book;
                (TurnOutcome::Replied { state }, Some(text))
            }
        };
        let reply = match text {
            Some(text) => {
                let body = SmsBody::parse(text).map_err(|e| TurnError::Permanent(e.to_string()))?;
                Some(
                    messages::record_outbound(
                        &tx,
                        &NewOutbound {
                            contact_id: contact,
                            body: body.as_str(),
                            segments: body.segments() as i32,
                            reply_to: Some(inbound_id),
                            correlation_id: Some(sms.message_sid.as_str()),
                        },
                    )
                    .await?,
                )
            }
            None => None,
        };
        tx.commit().await.map_err(transient)?;
        Ok(Decided {
            outcome,
            reply,
            booked,
        })
    }

    /// Loads (and locks) the state, takes one dialogue step, saves the result.
    async fn converse(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        contact: i64,
        u: &smsbot_nlu::Understanding,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<(&'static str, String, bool), TurnError> {
        let stored = conversations::lock(tx, contact).await?;
        let mut state = State::from_payload(&stored.payload);
        let expired = state != State::Idle && stored.expires_at.is_none_or(|at| at <= now);
        if expired {
            // Never act on a stale offer: start over and say so.
            state = State::Idle;
        }
        let step = Step {
            db: tx,
            policy: &self.policy,
            contact_id: contact,
            now,
            text,
            booked: Default::default(),
        };
        let (next, mut text) = step.respond(state, u).await?;
        let booked = step.booked.load(std::sync::atomic::Ordering::Relaxed);
        if expired {
            text = format!("{} {text}", replies::expired_prefix());
        }
        let expires_at = (next != State::Idle).then(|| now + self.policy.conversation_ttl);
        conversations::save(
            tx,
            contact,
            stored.version,
            next.name(),
            &next.to_payload(),
            expires_at,
        )
        .await?;
        Ok((next.name(), text, booked))
    }

    /// Sends a recorded reply unless it was sent already or another worker holds it.
    async fn deliver(&self, message: MessageId, to: &PhoneNumber) -> Result<(), TurnError> {
        let Some(claimed) = messages::claim_send(&self.pool, message, SEND_LEASE_SECONDS).await?
        else {
            return Ok(());
        };
        match self.sender.send(to, &claimed.body).await {
            Ok(sent) => {
                messages::attach_sid(
                    &self.pool,
                    claimed.id,
                    sent.sid.as_str(),
                    sent.status.as_str(),
                    i16::from(sent.status.rank()),
                )
                .await?;
                tracing::info!(reply_sid = %sent.sid, "reply sent");
                metrics::count(Metric::MessagesOut, 1);
                Ok(())
            }
            Err(SendFailure::Transient(err)) => {
                messages::release_send(&self.pool, claimed.id).await?;
                Err(TurnError::Transient(err))
            }
            Err(SendFailure::OptedOut) => {
                messages::mark_send_failed(&self.pool, claimed.id, Some(21610)).await?;
                let client = self.pool.get().await.map_err(transient)?;
                let contact = contacts::find_or_create_by_phone(&client, to).await?;
                contacts::set_consent(
                    &client,
                    contact,
                    ConsentState::OptedOut,
                    ConsentSource::CarrierOptOut,
                    Some("twilio error 21610"),
                )
                .await?;
                tracing::warn!("reply refused: recipient opted out at the carrier");
                Ok(())
            }
            Err(SendFailure::Refused { code }) => {
                messages::mark_send_failed(&self.pool, claimed.id, code).await?;
                tracing::error!(?code, "reply refused by the SMS provider");
                Ok(())
            }
        }
    }
}

fn transient(err: impl std::error::Error + Send + Sync + 'static) -> TurnError {
    TurnError::Transient(Box::new(err))
}
