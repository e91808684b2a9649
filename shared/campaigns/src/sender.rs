//! The outbound sender: one campaign message per SQS record, idempotent per
//! (campaign, contact).
//!
//! Per record: lock the recipient (waiting for a dispatcher still writing it);
//! act only if it is queued and its campaign running (a paused campaign's queued
//! recipients go back to pending, so resume continues where it stopped); defer
//! it if the record arrives in the contact's quiet hours; skip a contact who
//! opted out; render and record the message once; claim the send
//! under a lease with consent checked again in the same statement; send through
//! the `SmsSender` port; record the outcome. Twilio's 21610 opts the contact out,
//! an invalid number is marked on the recipient and the contact, 429 and 5xx put
//! the recipient back to pending with a growing backoff (the dispatcher enqueues
//! it again, so nobody is lost and sending slows down). Delivered and failed
//! counts follow status callbacks through the database (migration V3).
//! Must not decide who is in a campaign or when: the dispatcher does.

use std::sync::Arc;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use smsbot_conversation::{Clock, SendFailure, SmsSender};
use smsbot_domain::{ConsentSource, ConsentState, PhoneNumber, SmsBody};
use smsbot_store::campaign_recipients::{self as recipients, Reachability, SendContext, Unsent};
use smsbot_store::messages::{self, LinkedOutbound, MessageId};
use smsbot_store::{Pool, StoreError, appointments, contacts};

use crate::audience;
use crate::outbound::OutboundMessage;
use crate::quiet::QuietHours;
use smsbot_domain::campaign::{RenderContext, Template};

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Retry the record later (the database is unavailable, or another worker
    /// holds this send's lease).
    #[error("transient: {0}")]
    Transient(String),
}

impl From<StoreError> for SendError {
    fn from(err: StoreError) -> Self {
        Self::Transient(err.to_string())
    }
}

impl From<deadpool_postgres::PoolError> for SendError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        Self::Transient(err.to_string())
    }
}

impl From<deadpool_postgres::tokio_postgres::Error> for SendError {
    fn from(err: deadpool_postgres::tokio_postgres::Error) -> Self {
        Self::Transient(err.to_string())
    }
}

/// What happened to one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Sent,
    /// Sent before (a redelivery); nothing done.
    AlreadyDone,
    /// The campaign is not running: back to pending.
    Paused,
    /// Quiet hours where the contact is (the record came late): pending until then.
    Deferred(DateTime<Utc>),
    SkippedConsent,
    InvalidNumber,
    Failed(String),
    /// Twilio was unavailable or throttling: pending again at this instant.
    RetryAt(DateTime<Utc>),
}

#[derive(Debug, Clone)]
pub struct SenderConfig {
    pub business_name: String,
    pub business_timezone: Tz,
    pub lease_seconds: f64,
    /// Transient failures after which a recipient is given up as failed.
    pub max_attempts: i32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
}

impl SenderConfig {
    pub fn new(business_name: String, business_timezone: Tz) -> Self {
        Self {
            business_name,
            business_timezone,
            lease_seconds: 30.0,
            max_attempts: 8,
            backoff_base: Duration::seconds(30),
            backoff_max: Duration::minutes(15),
        }
    }

    /// How long to wait after the `attempts`-th transient failure.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let doublings = attempts.clamp(1, 16) - 1;
        let wait = self.backoff_base * 2_i32.pow(doublings as u32);
        wait.min(self.backoff_max)
    }
}

#[derive(Clone)]
pub struct OutboundSender {
    pub pool: Pool,
    pub sms: Arc<dyn SmsSender>,
    pub clock: Arc<dyn Clock>,
    pub config: SenderConfig,
}

/// The recipient is ready: this message may be claimed and sent.
enum Prepared {
    Ready(MessageId),
    Done(SendOutcome),
}

const INVALID_NUMBER_CODES: [i32; 4] = [21211, 21612, 21614, 21635];

impl OutboundSender {
    /// The SQS batch handler (standard queue, `ReportBatchItemFailures`).
    pub async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse {
        let work = event.records.into_iter().map(|record| async move {
            let id = record.message_id.clone().unwrap_or_default();
            let parsed = record
                .body
                .as_deref()
                .map(serde_json::from_str::<OutboundMessage>);
            match parsed {
                Some(Ok(message)) => match self.send(message).await {
                    Ok(outcome) => {
                        tracing::info!(campaign_id = message.campaign_id, contact_id = message.contact_id, ?outcome, "campaign record handled");
                        None
                    }
                    Err(err) => {
                        tracing::warn!(campaign_id = message.campaign_id, error = %err, "campaign record will be retried");
                        Some(id)
                    }
                },
                _ => {
                    tracing::error!(sqs_message_id = %id, "unreadable outbound record acknowledged");
                    None
                }
            }
        });
        let failed = futures::future::join_all(work).await;
        let mut response = SqsBatchResponse::default();
        for id in failed.into_iter().flatten() {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
        response
    }

    /// Sends one recipient's message unless it was sent already or must not be.
    pub async fn send(&self, message: OutboundMessage) -> Result<SendOutcome, SendError> {
        let message_id = match self.prepare(message).await? {
            Prepared::Ready(id) => id,
            Prepared::Done(outcome) => return Ok(outcome),
        };
        let Some(claimed) =
            messages::claim_campaign_send(&self.pool, message_id, self.config.lease_seconds)
                .await?
        else {
            // Something changed since `prepare` (an opt-out, a pause), or another
            // worker holds the lease: look again.
            return match self.prepare(message).await? {
                Prepared::Done(outcome) => Ok(outcome),
                Prepared::Ready(_) => Err(SendError::Transient(
                    "another worker is sending this message".to_owned(),
                )),
            };
        };
        let Ok(to) = PhoneNumber::parse_e164(&claimed.to_e164) else {
            return self
                .refused(message, message_id, Some(21211), Unsent::InvalidNumber)
                .await;
        };
        match self.sms.send(&to, &claimed.body).await {
            Ok(sent) => {
                messages::attach_sid(
                    &self.pool,
                    message_id,
                    sent.sid.as_str(),
                    sent.status.as_str(),
                    i16::from(sent.status.rank()),
                )
                .await?;
                let client = self.pool.get().await?;
                recipients::mark_sent(&client, message.campaign_id, message.contact_id).await?;
                Ok(SendOutcome::Sent)
            }
            Err(SendFailure::Transient(err)) => {
                tracing::warn!(error = %err, "Twilio unavailable or throttling");
                self.retry_later(message, message_id).await
            }
            Err(SendFailure::OptedOut) => {
                self.refused(message, message_id, Some(21610), Unsent::SkippedConsent)
                    .await
            }
            Err(SendFailure::Refused { code }) => {
                let outcome = match code {
                    Some(c) if INVALID_NUMBER_CODES.contains(&c) => Unsent::InvalidNumber,
                    _ => Unsent::Failed,
                };
                self.refused(message, message_id, code, outcome).await
            }
        }
    }

    /// Under the recipient's lock: decide whether to send, and record the message
    /// (once) when so.
    async fn prepare(&self, message: OutboundMessage) -> Result<Prepared, SendError> {
        let now = self.clock.now();
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let (campaign_id, contact_id) = (message.campaign_id, message.contact_id);
        let Some(ctx) = recipients::lock_for_send(&tx, campaign_id, contact_id).await? else {
            return Ok(Prepared::Done(SendOutcome::AlreadyDone));
        };
        if ctx.recipient_status != "queued" {
            return Ok(Prepared::Done(SendOutcome::AlreadyDone));
        }
        if ctx.message_sent {
            // Twilio took it before a crash: only the bookkeeping is missing.
            recipients::mark_sent(&tx, campaign_id, contact_id).await?;
            tx.commit().await?;
            return Ok(Prepared::Done(SendOutcome::AlreadyDone));
        }
        if ctx.campaign_status != "running" {
            recipients::back_to_pending(&tx, campaign_id, contact_id, now, false, None).await?;
            tx.commit().await?;
            return Ok(Prepared::Done(SendOutcome::Paused));
        }
        let tz = ctx
            .contact_timezone
            .as_deref()
            .and_then(|name| name.trim().parse::<Tz>().ok())
            .unwrap_or(self.config.business_timezone);
        let quiet = QuietHours::new(ctx.quiet_start, ctx.quiet_end);
        if ctx.reachability == Reachability::Reachable && quiet.is_quiet(now, tz) {
            let at = quiet.next_allowed(now, tz);
            recipients::defer_quiet(&tx, campaign_id, contact_id, at).await?;
            tx.commit().await?;
            return Ok(Prepared::Done(SendOutcome::Deferred(at)));
        }
        let unsent = match ctx.reachability {
            Reachability::Reachable => None,
            Reachability::OptedOut | Reachability::Erased => {
                Some((Unsent::SkippedConsent, "opted out before sending"))
            }
            Reachability::InvalidNumber => {
                Some((Unsent::InvalidNumber, "number refused as invalid before"))
            }
        };
        if let Some((outcome, reason)) = unsent {
            recipients::finish_unsent(&tx, campaign_id, contact_id, outcome, reason).await?;
            if let Some(id) = ctx.message_id {
                messages::abandon_unsent(&tx, id, None).await?;
            }
            tx.commit().await?;
            return Ok(Prepared::Done(match outcome {
                Unsent::SkippedConsent => SendOutcome::SkippedConsent,
                Unsent::InvalidNumber => SendOutcome::InvalidNumber,
                Unsent::Failed => SendOutcome::Failed(reason.to_owned()),
            }));
        }
        if let Some(id) = ctx.message_id {
            tx.commit().await?;
            return Ok(Prepared::Ready(id));
        }
        let body = match self.render(&tx, &ctx, contact_id, now).await? {
            Ok(body) => body,
            Err(reason) => {
                recipients::finish_unsent(&tx, campaign_id, contact_id, Unsent::Failed, &reason)
                    .await?;
                tx.commit().await?;
                return Ok(Prepared::Done(SendOutcome::Failed(reason)));
            }
        };
        let id = messages::record_linked_outbound(
            &tx,
            &LinkedOutbound {
                contact_id,
                body: body.as_str(),
                segments: body.segments() as i32,
                campaign_id: Some(campaign_id),
                appointment_id: None,
                correlation_id: None,
            },
        )
        .await?;
        recipients::attach_message(&tx, campaign_id, contact_id, id).await?;
        tx.commit().await?;
        Ok(Prepared::Ready(id))
    }

    /// The message text, or why there can be none.
    async fn render(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        ctx: &SendContext,
        contact_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Result<SmsBody, String>, SendError> {
        let template = match Template::parse(&ctx.template) {
            Ok(t) => t,
            Err(err) => return Ok(Err(format!("template: {err}"))),
        };
        let appointment = if template.needs_appointment() {
            let range = audience::appointment_range(&ctx.audience);
            appointments::upcoming(tx, contact_id, now)
                .await?
                .into_iter()
                .map(|a| a.starts_at)
                .find(|at| range.is_none_or(|(from, to)| *at >= from && *at < to))
        } else {
            None
        };
        let text = template.render(&RenderContext {
            contact_name: ctx.contact_name.as_deref(),
            business_name: &self.config.business_name,
            appointment,
            tz: self.config.business_timezone,
        });
        Ok(match text {
            Ok(text) => SmsBody::parse(text).map_err(|e| format!("message: {e}")),
            Err(err) => Err(format!("template: {err}")),
        })
    }

    async fn retry_later(
        &self,
        message: OutboundMessage,
        message_id: MessageId,
    ) -> Result<SendOutcome, SendError> {
        messages::release_send(&self.pool, message_id).await?;
        let client = self.pool.get().await?;
        let attempts = recipients::lock_for_send(&client, message.campaign_id, message.contact_id)
            .await?
            .map_or(0, |c| c.attempts)
            + 1;
        if attempts >= self.config.max_attempts {
            let reason = format!("gave up after {attempts} transient failures");
            return self
                .refused(message, message_id, None, Unsent::Failed)
                .await
                .map(|_| SendOutcome::Failed(reason));
        }
        let at = self.clock.now() + self.config.backoff(attempts);
        recipients::back_to_pending(
            &client,
            message.campaign_id,
            message.contact_id,
            at,
            true,
            Some("twilio unavailable or throttling"),
        )
        .await?;
        Ok(SendOutcome::RetryAt(at))
    }

    /// Twilio refused for good: end the recipient, the message, and (21610, an
    /// invalid number) mark the contact.
    async fn refused(
        &self,
        message: OutboundMessage,
        message_id: MessageId,
        code: Option<i32>,
        outcome: Unsent,
    ) -> Result<SendOutcome, SendError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let (campaign_id, contact_id) = (message.campaign_id, message.contact_id);
        let reason = code.map_or_else(|| "refused".to_owned(), |c| format!("twilio error {c}"));
        // The recipient first: the message's failure would otherwise count it as
        // a delivery failure (trigger of migration V3).
        recipients::finish_unsent(&tx, campaign_id, contact_id, outcome, &reason).await?;
        messages::abandon_unsent(&tx, message_id, code).await?;
        match outcome {
            Unsent::SkippedConsent => {
                contacts::set_consent(
                    &tx,
                    contact_id,
                    ConsentState::OptedOut,
                    ConsentSource::CarrierOptOut,
                    Some("twilio error 21610"),
                )
                .await?;
            }
            Unsent::InvalidNumber => contacts::mark_phone_invalid(&tx, contact_id, code).await?,
            Unsent::Failed => {}
        }
        tx.commit().await?;
        Ok(match outcome {
            Unsent::SkippedConsent => SendOutcome::SkippedConsent,
            Unsent::InvalidNumber => SendOutcome::InvalidNumber,
            Unsent::Failed => SendOutcome::Failed(reason),
        })
    }
}
