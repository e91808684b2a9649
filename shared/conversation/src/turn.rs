//! One inbound SMS, handled end to end: the conversation worker's use case.
//!
//! In one transaction: record the inbound message (its unique Twilio SID makes a
//! redelivery harmless), find the contact, apply compliance keywords or take one
//! conversation step, and record the reply. Only after commit is the reply handed
//! to the outbox, which sends it at most once. A redelivered message finds its
//! reply already recorded and only finishes delivering it.
//!
//! Compliance keywords come first, then the sender's rate limit, then
//! understanding: a message over the limit is recorded but neither understood
//! (no LLM) nor answered, while a STOP always works. A message for a person
//! ("talk to someone", a complaint, "running late") is not understood either:
//! it goes to staff (`handoff`), and while a conversation is with staff the
//! bot records it and answers compliance keywords only. A staff alert the turn
//! records is dispatched after commit, after the reply.
//!
//! Each turn first reads the business profile operators stored over the
//! settings' (one query): the name, hours, address, website and FAQ it
//! answers with. A question the profile answers ("what are your hours",
//! "do you take walk-ins?") is understood offline, never by the LLM.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use smsbot_domain::{
    ConsentSource, ConsentState, ContactId, InboundSms, SlotId, SmsBody, SmsBodyError,
    StaffAlertId, StaffReason,
};
use smsbot_nlu::{Understander, Understanding};
use smsbot_outbox::{Clock, DeliverError, Delivery, Outbox, SendFailure};
use smsbot_store::messages::{self, InboundRecord, MessageId};
use smsbot_store::outbound::{self, NewOutbound, Purpose};
use smsbot_store::{
    Pool, StoreError, business_profile, consent, contacts, conversations, handoffs, staff_alerts,
};

use smsbot_config::metrics::{self, Metric};

use crate::business_questions;
use crate::compliance::Keyword;
use crate::dialogue::{Next, Step};
use crate::handoff::{Handed, Handoff, HandoffStep};
use crate::human_request;
use crate::policy::Policy;
use crate::rate_limit::{Admission, InboundRateLimiter};
use crate::replies;
use crate::staff_alerts::{self as alerts, DispatchError};
use crate::state::State;
use crate::visit::{self, Visit};
use crate::waitlist_offers::WaitlistOffers;

#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    /// No connection or transaction could be had: retry later.
    #[error("the database is unavailable")]
    Unavailable(#[source] deadpool_postgres::PoolError),
    /// Beginning or committing the turn's transaction failed.
    #[error("the turn's transaction failed")]
    Transaction(#[source] deadpool_postgres::tokio_postgres::Error),
    /// A statement failed: retried when the store says it may pass (a lost
    /// connection, a serialization failure, a deadlock); otherwise (a
    /// constraint, corrupt data) the customer is told and the group moves on.
    #[error("the turn's database work failed")]
    Store(#[from] StoreError),
    /// The reply was recorded but the provider could not take it yet.
    #[error("the reply could not be sent yet")]
    SendLater(#[source] SendFailure),
    /// Another worker holds the reply's send (or waits to learn its outcome).
    #[error("the reply is being sent by another worker")]
    ReplyBusy,
    /// Recording the send's outcome failed.
    #[error(transparent)]
    Deliver(#[from] DeliverError),
    /// A reply text this code built is not a valid SMS: a bug, never retried.
    #[error("the reply is not a valid SMS")]
    InvalidReply(#[source] SmsBodyError),
    /// The staff alert was recorded but could not be sent yet.
    #[error(transparent)]
    Alert(#[from] DispatchError),
}

impl TurnError {
    /// Whether SQS should deliver the message again: the same input may pass
    /// later. The others fail the same way every time.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Store(err) => err.is_transient(),
            Self::Deliver(err) => err.is_transient(),
            Self::Alert(err) => err.is_transient(),
            Self::Unavailable(_) | Self::Transaction(_) | Self::SendLater(_) | Self::ReplyBusy => {
                true
            }
            Self::InvalidReply(_) => false,
        }
    }
}

impl From<deadpool_postgres::PoolError> for TurnError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        Self::Unavailable(err)
    }
}

/// What a turn did, for logs, metrics and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnOutcome {
    Replied {
        state: &'static str,
    },
    OptedOut,
    NoReply,
    /// Over the sender's rate limit: recorded, not understood, not answered.
    RateLimited,
    Duplicate,
    /// The turn failed for good; the customer was told so.
    Apologised,
    /// The conversation went to staff: the customer was told who follows up
    /// and when, staff were alerted, the bot is quiet for the contact.
    HandedOff(StaffReason),
    /// A notice ("running late") acknowledged and passed to staff.
    PassedToStaff(StaffReason),
    /// The conversation is with staff: recorded, not answered.
    WithStaff,
}

/// What the customer's message is, for this turn.
enum Heard {
    /// A compliance keyword that decides the turn on its own (never YES).
    Keyword(Keyword),
    /// Words for the conversation; `yes` (a bare YES) also re-subscribes a
    /// contact who opted out.
    Words {
        understanding: Understanding,
        yes: bool,
    },
    /// Over the sender's rate limit, so not understood; `yes` as for words.
    Limited { yes: bool },
    /// For a person, not the bot: not understood.
    Staff(StaffReason),
    /// Staff have the conversation: not understood (no LLM); `yes` as for words.
    WithStaff { yes: bool },
}

/// What a turn's transaction does after recording the inbound message.
enum Attempt {
    /// Keywords or a conversation step.
    Converse { heard: Heard, now: DateTime<Utc> },
    /// The conversing attempt failed for good: answer with an apology.
    Apologise,
}

/// What the turn answers, before the reply is recorded.
struct Answer {
    outcome: TurnOutcome,
    reply: Option<String>,
    booked: bool,
    /// The reply goes whatever the contact's consent (carrier rules allow it).
    consent_exempt: bool,
    /// A staff alert recorded in the turn, to dispatch after commit.
    alert: Option<StaffAlertId>,
    /// A place the turn freed (a cancellation, a move away), to offer to
    /// the waitlist after commit.
    freed: Option<SlotId>,
}

impl Answer {
    fn silent(outcome: TurnOutcome) -> Self {
        Self {
            outcome,
            reply: None,
            booked: false,
            consent_exempt: false,
            alert: None,
            freed: None,
        }
    }

    fn idle_reply(text: String) -> Self {
        Self {
            outcome: TurnOutcome::Replied { state: "idle" },
            reply: Some(text),
            booked: false,
            consent_exempt: false,
            alert: None,
            freed: None,
        }
    }

    /// A reply carrier rules let us send to a contact who opted out.
    fn compliance_reply(outcome: TurnOutcome, text: String) -> Self {
        Self {
            outcome,
            reply: Some(text),
            booked: false,
            consent_exempt: true,
            alert: None,
            freed: None,
        }
    }

    /// Staff take over (or are told): the handoff's reply and alert.
    fn handed(handed: Handed) -> Self {
        let outcome = if handed.reason.hands_off() {
            TurnOutcome::HandedOff(handed.reason)
        } else {
            TurnOutcome::PassedToStaff(handed.reason)
        };
        Self {
            outcome,
            reply: Some(handed.reply),
            booked: false,
            consent_exempt: false,
            alert: Some(handed.alert),
            freed: None,
        }
    }
}

/// The conversation worker's dependencies.
#[derive(Clone)]
pub struct Conversation {
    pool: Pool,
    understander: Arc<dyn Understander>,
    outbox: Outbox,
    clock: Arc<dyn Clock>,
    policy: Policy,
    rate_limit: Option<InboundRateLimiter>,
    handoff: Handoff,
    /// Offers time a cancellation by text frees to the waitlist.
    waitlist: Option<Arc<WaitlistOffers>>,
}

/// A committed turn: its outcome, and the reply (and staff alert) to deliver.
struct Decided {
    outcome: TurnOutcome,
    reply: Option<MessageId>,
    booked: bool,
    alert: Option<StaffAlertId>,
    freed: Option<SlotId>,
}

impl Conversation {
    pub fn new(
        pool: Pool,
        understander: Arc<dyn Understander>,
        outbox: Outbox,
        clock: Arc<dyn Clock>,
        policy: Policy,
    ) -> Self {
        Self {
            pool,
            understander,
            outbox,
            clock,
            policy,
            rate_limit: None,
            waitlist: None,
            handoff: Handoff::default(),
        }
    }

    /// The same conversation, handing over to staff as `handoff` says (by
    /// default: quiet for a day, alerts kept in memory).
    pub fn with_handoff(mut self, handoff: Handoff) -> Self {
        self.handoff = handoff;
        self
    }

    /// The same conversation, offering time freed by text to the waitlist.
    pub fn with_waitlist(mut self, offers: WaitlistOffers) -> Self {
        self.waitlist = Some(Arc::new(offers));
        self
    }

    /// The same conversation, limiting how many messages a number may send.
    pub fn with_rate_limit(mut self, rate_limit: InboundRateLimiter) -> Self {
        self.rate_limit = Some(rate_limit);
        self
    }

    pub async fn handle(&self, sms: &InboundSms) -> Result<TurnOutcome, TurnError> {
        match self.with_stored_profile().await {
            Some(turn) => turn.take_turn(sms).await,
            None => self.take_turn(sms).await,
        }
    }

    /// This conversation with the business profile operators stored over
    /// the settings' (one query, every turn, so a change through the admin
    /// API applies at the next message); `None` when nothing is stored. A
    /// database that does not answer leaves the settings' profile: the
    /// turn's own transaction fails then, and retries.
    async fn with_stored_profile(&self) -> Option<Self> {
        let client = self.pool.get().await.ok()?;
        match business_profile::load(&client).await {
            Ok(stored) if stored.is_empty() => None,
            Ok(stored) => Some(Self {
                policy: self.policy.with_stored(&stored),
                ..self.clone()
            }),
            Err(error) => {
                tracing::warn!(%error, "the stored business profile could not be read");
                None
            }
        }
    }

    async fn take_turn(&self, sms: &InboundSms) -> Result<TurnOutcome, TurnError> {
        let now = self.clock.now();
        let heard = self.hear(sms, now).await;
        let decided = match self.decide(sms, Attempt::Converse { heard, now }).await {
            Ok(decided) => decided,
            Err(err) if !err.is_transient() => {
                // Retrying would fail the same way and hold the contact's
                // later messages back: record the message (the failed
                // transaction rolled back), tell the customer, move on.
                tracing::error!(error = %err, "turn failed for good; the customer is told");
                self.decide(sms, Attempt::Apologise).await?
            }
            Err(err) => return Err(err),
        };
        if decided.booked {
            metrics::count(Metric::Bookings, 1);
        }
        match decided.outcome {
            TurnOutcome::OptedOut => metrics::count(Metric::OptOuts, 1),
            TurnOutcome::HandedOff(_) => metrics::count(Metric::Handoffs, 1),
            TurnOutcome::PassedToStaff(_) => metrics::count(Metric::StaffNotices, 1),
            _ => {}
        }
        if let Some(reply) = decided.reply {
            self.deliver(reply).await?;
        }
        if let Some(alert) = decided.alert {
            alerts::dispatch(&self.pool, &self.handoff.alerts, &self.clock, alert).await?;
        }
        // The customer has their answer; a failure here must not send it
        // again, so it is logged (the freed time stays bookable by anyone).
        if let (Some(slot), Some(waitlist)) = (decided.freed, &self.waitlist)
            && let Err(error) = waitlist.slot_freed(slot).await
        {
            tracing::warn!(%error, "freed time not offered to the waitlist");
        }
        Ok(decided.outcome)
    }

    /// Keywords first, then the rate limit; anything else is understood.
    /// Understanding may call an LLM, so it happens before the turn takes any lock.
    async fn hear(&self, sms: &InboundSms, now: DateTime<Utc>) -> Heard {
        let keyword = self
            .policy
            .marketing
            .classify(sms.body.as_str(), sms.opt_out_type.as_deref());
        let yes = match keyword {
            Some(Keyword::Yes) => true,
            None => false,
            Some(other) => return Heard::Keyword(other),
        };
        if let Some(limit) = &self.rate_limit
            && limit.admit(&sms.from, now).await == Admission::Limited
        {
            return Heard::Limited { yes };
        }
        // With staff, or for a person: no understanding (and no LLM) needed.
        if self.with_staff(sms, now).await {
            return Heard::WithStaff { yes };
        }
        if let Some(reason) = human_request::asked(sms.body.as_str()) {
            return Heard::Staff(reason);
        }
        let local_now = now.with_timezone(&self.policy.timezone);
        // Answered from the business profile: the offline rules suffice.
        if business_questions::answered_from(sms.body.as_str(), &self.policy.profile) {
            return Heard::Words {
                understanding: smsbot_nlu::understand(sms.body.as_str(), local_now),
                yes,
            };
        }
        Heard::Words {
            understanding: self
                .understander
                .understand(sms.body.as_str(), local_now)
                .await,
            yes,
        }
    }

    /// Whether staff have the sender's conversation. A database that does not
    /// answer says no: the turn's own transaction fails then, and retries.
    async fn with_staff(&self, sms: &InboundSms, now: DateTime<Utc>) -> bool {
        let Ok(client) = self.pool.get().await else {
            return false;
        };
        handoffs::open_for_phone(&client, &sms.from, now)
            .await
            .unwrap_or(false)
    }

    /// The turn's one transaction: the inbound message, its answer, the reply row.
    async fn decide(&self, sms: &InboundSms, attempt: Attempt) -> Result<Decided, TurnError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await.map_err(TurnError::Transaction)?;
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
                let alert = staff_alerts::raised_by(&tx, id).await?;
                tx.commit().await.map_err(TurnError::Transaction)?;
                return Ok(Decided {
                    outcome: TurnOutcome::Duplicate,
                    reply,
                    booked: false,
                    alert,
                    freed: None,
                });
            }
        };
        let answer = match attempt {
            Attempt::Converse { heard, now } => {
                self.answer(&tx, contact, inbound_id, sms, heard, now)
                    .await?
            }
            Attempt::Apologise => Answer {
                outcome: TurnOutcome::Apologised,
                ..Answer::idle_reply(replies::something_went_wrong(&self.policy.business_name))
            },
        };
        let reply = match answer.reply {
            Some(text) => Some(
                self.record_reply(&tx, contact, inbound_id, sms, text, answer.consent_exempt)
                    .await?,
            ),
            None => None,
        };
        tx.commit().await.map_err(TurnError::Transaction)?;
        Ok(Decided {
            outcome: answer.outcome,
            reply,
            booked: answer.booked,
            alert: answer.alert,
            freed: answer.freed,
        })
    }

    /// Compliance keywords decide alone; an opted-out contact hears nothing but
    /// the confirmations (opt-in, and an opt-out asked for in words Twilio does
    /// not know); a conversation with staff hears nothing else either; a
    /// message for a person goes to staff; everything else is one
    /// conversation step (whose second "didn't get that" in a row goes to
    /// staff instead).
    async fn answer(
        &self,
        tx: &Transaction<'_>,
        contact: ContactId,
        inbound: MessageId,
        sms: &InboundSms,
        heard: Heard,
        now: DateTime<Utc>,
    ) -> Result<Answer, TurnError> {
        let word = || sms.body.as_str().trim().to_ascii_uppercase();
        let current = consent::consent_of(tx, contact).await?;
        let answer = match (heard, current) {
            (Heard::Keyword(Keyword::OptOut), _) => {
                consent::set_consent(
                    tx,
                    contact,
                    ConsentState::OptedOut,
                    ConsentSource::Keyword,
                    Some(&word()),
                )
                .await?;
                // Twilio (or the carrier) confirms the opt-out itself.
                Answer::silent(TurnOutcome::OptedOut)
            }
            (Heard::Keyword(Keyword::OptOutRequest), current) => {
                consent::set_consent(
                    tx,
                    contact,
                    ConsentState::OptedOut,
                    ConsentSource::Keyword,
                    Some(sms.body.as_str().trim()),
                )
                .await?;
                // Twilio does not know these words: confirm once, ourselves.
                match current {
                    ConsentState::OptedIn => Answer::compliance_reply(
                        TurnOutcome::OptedOut,
                        replies::opted_out(&self.policy.business_name),
                    ),
                    ConsentState::OptedOut => Answer::silent(TurnOutcome::NoReply),
                }
            }
            // JOIN: marketing consent (and service consent), confirmed with the
            // business, the frequency and how to stop, whatever the consent was.
            (Heard::Keyword(Keyword::MarketingOptIn), _) => Answer::compliance_reply(
                TurnOutcome::Replied { state: "idle" },
                self.policy
                    .marketing
                    .record(tx, contact, sms, &self.policy.business_name, now)
                    .await?,
            ),
            (Heard::Keyword(Keyword::OptIn), _)
            | (Heard::Words { yes: true, .. }, ConsentState::OptedOut)
            | (Heard::Limited { yes: true }, ConsentState::OptedOut)
            | (Heard::WithStaff { yes: true }, ConsentState::OptedOut) => {
                consent::set_consent(
                    tx,
                    contact,
                    ConsentState::OptedIn,
                    ConsentSource::Keyword,
                    Some(&word()),
                )
                .await?;
                Answer::idle_reply(replies::opted_in().to_owned())
            }
            (Heard::Limited { .. }, _) => Answer::silent(TurnOutcome::RateLimited),
            (Heard::WithStaff { .. }, ConsentState::OptedIn) => {
                Answer::silent(TurnOutcome::WithStaff)
            }
            // Nothing else reaches an opted-out number: Twilio would refuse it
            // (21610) and answers HELP from a blocked number itself.
            (_, ConsentState::OptedOut) => Answer::silent(TurnOutcome::NoReply),
            // HELP (a bare YES is heard as words).
            (Heard::Keyword(_), ConsentState::OptedIn) => {
                Answer::idle_reply(replies::help(&self.policy.business_name))
            }
            (Heard::Staff(reason), ConsentState::OptedIn) => {
                let handoff = self.handoff_step(tx, contact, inbound, now);
                if handoff.with_staff().await? {
                    Answer::silent(TurnOutcome::WithStaff)
                } else {
                    Answer::handed(handoff.raise(reason).await?)
                }
            }
            (Heard::Words { understanding, .. }, ConsentState::OptedIn) => {
                let handoff = self.handoff_step(tx, contact, inbound, now);
                if handoff.with_staff().await? {
                    return Ok(Answer::silent(TurnOutcome::WithStaff));
                }
                let next = self
                    .converse(tx, contact, &understanding, sms.body.as_str(), now)
                    .await?;
                match handoff.after(&next.reply).await? {
                    Some(handed) => Answer::handed(handed),
                    None => Answer {
                        outcome: TurnOutcome::Replied {
                            state: next.state.name(),
                        },
                        reply: Some(next.reply),
                        booked: next.booked,
                        consent_exempt: false,
                        alert: None,
                        freed: next.freed,
                    },
                }
            }
        };
        Ok(answer)
    }

    fn handoff_step<'a, 't>(
        &'a self,
        tx: &'a Transaction<'t>,
        contact: ContactId,
        inbound: MessageId,
        now: DateTime<Utc>,
    ) -> HandoffStep<'a, Transaction<'t>> {
        HandoffStep {
            db: tx,
            policy: &self.policy,
            handoff: &self.handoff,
            contact,
            inbound,
            now,
        }
    }

    /// Loads (and locks) the state, takes one dialogue step, saves the result.
    async fn converse(
        &self,
        tx: &Transaction<'_>,
        contact: ContactId,
        u: &Understanding,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<Next, TurnError> {
        let stored = conversations::lock(tx, contact).await?;
        let mut state = State::from_payload(&stored.payload);
        let expired = state != State::Idle && stored.expires_at.is_none_or(|at| at <= now);
        if expired {
            // Never act on a stale offer: start over and say so.
            state = State::Idle;
        }
        // The service and provider chosen live as long as the exchange does.
        let visit = if expired {
            Visit::default()
        } else {
            visit::stored_in(&stored.payload)
        };
        let step = Step {
            db: tx,
            policy: &self.policy,
            contact_id: contact,
            now,
            text,
            visit: visit.clone(),
            catalog: Default::default(),
        };
        let mut next = step.respond(state, u).await?;
        if expired {
            next.reply = format!("{} {}", replies::expired_prefix(), next.reply);
        }
        let ongoing = next.state != State::Idle;
        let expires_at = ongoing.then(|| now + self.policy.conversation_ttl);
        let mut payload = next.state.to_payload();
        if ongoing {
            visit::store_in(&mut payload, next.visit.as_ref().unwrap_or(&visit));
        }
        conversations::save(
            tx,
            contact,
            stored.version,
            next.state.name(),
            &payload,
            expires_at,
        )
        .await?;
        Ok(next)
    }

    async fn record_reply(
        &self,
        tx: &Transaction<'_>,
        contact: ContactId,
        inbound: MessageId,
        sms: &InboundSms,
        text: String,
        consent_exempt: bool,
    ) -> Result<MessageId, TurnError> {
        let body = SmsBody::parse(text).map_err(TurnError::InvalidReply)?;
        let correlation_id = sms.message_sid.as_str();
        let purpose = if consent_exempt {
            Purpose::ComplianceReply {
                inbound,
                correlation_id,
            }
        } else {
            Purpose::Reply {
                inbound,
                correlation_id,
            }
        };
        let reply = NewOutbound {
            contact_id: contact,
            body: &body,
            purpose,
        };
        Ok(outbound::record(tx, &reply).await?)
    }

    /// Hands the recorded reply to the outbox; a reply that cannot go yet
    /// (the provider is down, its outcome is unknown, another worker holds it)
    /// makes SQS deliver the inbound message again, which finds the reply
    /// recorded and only finishes delivering it.
    async fn deliver(&self, reply: MessageId) -> Result<(), TurnError> {
        match self.outbox.deliver(reply).await? {
            Delivery::Sent(_) | Delivery::NotClaimed | Delivery::Refused(_) => Ok(()),
            // Replies have no quiet hours; a deferral would be a bug, not a reason
            // to hold the contact's messages back.
            Delivery::Deferred(_) => Ok(()),
            Delivery::Busy => Err(TurnError::ReplyBusy),
            Delivery::Retry(failure) => Err(TurnError::SendLater(failure)),
        }
    }
}
