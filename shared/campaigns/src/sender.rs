//! The outbound sender: one campaign message per SQS record, idempotent per
//! (campaign, contact).
//!
//! Per record: lock the recipient (waiting for a dispatcher still writing it);
//! act only if it is queued and its campaign running (a paused campaign's queued
//! recipients go back to pending, so resume continues where it stopped); defer
//! it if the record arrives in the contact's quiet hours (for a marketing
//! campaign: outside the marketing rules' window in any zone the contact's
//! number may be in); skip a contact who opted out, or is at the marketing
//! frequency cap; render and record the message once; hand it to the outbox,
//! which claims it with consent and campaign state checked in the same
//! statement, checks the marketing limits once more, sends it and records a
//! refusal on the recipient and the contact. A transient
//! failure puts the recipient back to pending with a growing backoff (the
//! dispatcher enqueues it again, so nobody is lost and sending slows down).
//! Delivered and failed counts follow status callbacks through the database
//! (migration V3).
//! Must not decide who is in a campaign or when: the dispatcher does.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use futures::FutureExt;
use smsbot_config::metrics::{self, Metric};
use smsbot_domain::campaign::{RenderContext, Template};
use smsbot_domain::{
    CampaignKind, ConsentKind, ContactId, MarketingRules, MarketingVerdict, RecipientZones, SmsBody,
};
use smsbot_outbox::{Clock, DeliverError, Delivery, Outbox, SendFailure};
use smsbot_store::campaign_recipients::{self as recipients, Reachability, SendContext, Unsent};
use smsbot_store::messages::MessageId;
use smsbot_store::outbound::{self, NewOutbound, Purpose};
use smsbot_store::{Pool, StoreError, appointments, business_profile, marketing};

use crate::audience;
use crate::outbound::OutboundMessage;
use crate::quiet::QuietHours;

/// Why a record is to be retried later (every variant is: the queue redelivers).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("the database is unavailable")]
    Unavailable(#[from] deadpool_postgres::PoolError),
    #[error("the sender's transaction failed")]
    Transaction(#[from] deadpool_postgres::tokio_postgres::Error),
    #[error("the sender's database work failed")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Deliver(#[from] DeliverError),
    /// Another worker holds this message's send lease.
    #[error("another worker is sending this message")]
    Busy,
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
    /// A marketing limit stops it (the reason is recorded on the recipient).
    SkippedLimit(String),
    InvalidNumber,
    Failed(String),
    /// Twilio was unavailable or throttling: pending again at this instant.
    RetryAt(DateTime<Utc>),
}

#[derive(Debug, Clone)]
pub struct SenderConfig {
    pub business_name: String,
    pub business_timezone: Tz,
    /// Transient failures after which a recipient is given up as failed.
    pub max_attempts: i32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// The limits on marketing campaigns (broadcasts).
    pub marketing: MarketingRules,
}

impl SenderConfig {
    pub fn new(business_name: String, business_timezone: Tz) -> Self {
        Self {
            business_name,
            business_timezone,
            max_attempts: 8,
            backoff_base: Duration::seconds(30),
            backoff_max: Duration::minutes(15),
            marketing: MarketingRules::default(),
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
    pool: Pool,
    outbox: Outbox,
    clock: Arc<dyn Clock>,
    config: SenderConfig,
}

/// Whether the recipient may be texted now.
enum Moment {
    Now,
    Later(DateTime<Utc>),
    /// Never: a marketing limit stops it, for this reason.
    Never(String),
}

/// The recipient is ready: this message may be claimed and sent.
enum Prepared {
    Ready(MessageId),
    Done(SendOutcome),
}

impl OutboundSender {
    pub fn new(pool: Pool, outbox: Outbox, clock: Arc<dyn Clock>, config: SenderConfig) -> Self {
        Self {
            pool,
            outbox,
            clock,
            config,
        }
    }

    /// The SQS batch handler (standard queue, `ReportBatchItemFailures`).
    pub async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse {
        let work = event.records.into_iter().map(|record| async move {
            let id = record.message_id.clone().unwrap_or_default();
            let parsed = record
                .body
                .as_deref()
                .map(serde_json::from_str::<OutboundMessage>);
            match parsed {
                // A panic on one record fails that record only; the rest of
                // the batch is sent.
                Some(Ok(message)) => match AssertUnwindSafe(self.send(message)).catch_unwind().await {
                    Ok(Ok(outcome)) => {
                        tracing::info!(campaign_id = %message.campaign_id, contact_id = %message.contact_id, ?outcome, "campaign record handled");
                        None
                    }
                    Ok(Err(err)) => {
                        tracing::warn!(campaign_id = %message.campaign_id, error = %err, "campaign record will be retried");
                        Some(id)
                    }
                    Err(_) => {
                        tracing::error!(campaign_id = %message.campaign_id, sqs_message_id = %id, "campaign record panicked; it will be retried");
                        metrics::count(Metric::HandlerPanics, 1);
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
        smsbot_aws::batch_response(failed.into_iter().flatten())
    }

    /// Sends one recipient's message unless it was sent already or must not be.
    pub async fn send(&self, message: OutboundMessage) -> Result<SendOutcome, SendError> {
        let message_id = match self.prepare(message).await? {
            Prepared::Ready(id) => id,
            Prepared::Done(outcome) => return Ok(outcome),
        };
        match self.outbox.deliver(message_id).await? {
            Delivery::Sent(_) => Ok(SendOutcome::Sent),
            // Something changed since `prepare` (an opt-out, a pause), or another
            // worker holds the lease: look again.
            Delivery::NotClaimed => match self.prepare(message).await? {
                Prepared::Done(outcome) => Ok(outcome),
                Prepared::Ready(_) => Err(SendError::Busy),
            },
            Delivery::Busy => Err(SendError::Busy),
            Delivery::Deferred(at) => {
                let client = self.pool.get().await?;
                recipients::defer_quiet(&client, message.campaign_id, message.contact_id, at)
                    .await?;
                Ok(SendOutcome::Deferred(at))
            }
            Delivery::Retry(failure) => self.retry_later(message, message_id, &failure).await,
            Delivery::Refused(failure) => Ok(match failure {
                SendFailure::OptedOutAtCarrier => SendOutcome::SkippedConsent,
                SendFailure::InvalidRecipient { .. } => SendOutcome::InvalidNumber,
                SendFailure::Limited(reason) => SendOutcome::SkippedLimit(reason.to_string()),
                other => SendOutcome::Failed(other.to_string()),
            }),
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
        if !ctx.campaign_status.sends() {
            recipients::back_to_pending(&tx, campaign_id, contact_id, now, false, None).await?;
            tx.commit().await?;
            return Ok(Prepared::Done(SendOutcome::Paused));
        }
        if ctx.reachability == Reachability::Reachable {
            match self.moment(&tx, &ctx, contact_id, now).await? {
                Moment::Now => {}
                Moment::Later(at) => {
                    recipients::defer_quiet(&tx, campaign_id, contact_id, at).await?;
                    tx.commit().await?;
                    return Ok(Prepared::Done(SendOutcome::Deferred(at)));
                }
                Moment::Never(reason) => {
                    marketing::skip_recipients(&tx, campaign_id, &[contact_id], &reason).await?;
                    tx.commit().await?;
                    return Ok(Prepared::Done(SendOutcome::SkippedLimit(reason)));
                }
            }
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
                outbound::abandon_unsent(&tx, id, None).await?;
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
        let id = outbound::record(
            &tx,
            &NewOutbound {
                contact_id,
                body: &body,
                purpose: Purpose::Campaign(campaign_id),
            },
        )
        .await?;
        recipients::attach_message(&tx, campaign_id, contact_id, id).await?;
        tx.commit().await?;
        Ok(Prepared::Ready(id))
    }

    /// Whether the recipient may be texted now: a marketing campaign's by the
    /// marketing rules (counted afresh in the caller's transaction), any
    /// other's by its quiet hours in the contact's zone.
    async fn moment(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        ctx: &SendContext,
        contact_id: ContactId,
        now: DateTime<Utc>,
    ) -> Result<Moment, SendError> {
        let quiet = QuietHours::new(ctx.quiet_start, ctx.quiet_end);
        let business = self.config.business_timezone;
        let is_marketing = CampaignKind::parse(&ctx.kind)
            .is_ok_and(|kind| kind.consent_needed() == ConsentKind::Marketing);
        if !is_marketing {
            let tz = ctx
                .contact_timezone
                .as_deref()
                .and_then(|name| name.trim().parse::<Tz>().ok())
                .unwrap_or(business);
            return Ok(if quiet.is_quiet(now, tz) {
                Moment::Later(quiet.next_allowed(now, tz))
            } else {
                Moment::Now
            });
        }
        let rules = &self.config.marketing;
        let known = marketing::recipients(tx, &[contact_id], rules.counts_since(now)).await?;
        let facts = known.get(&contact_id);
        let zones = RecipientZones::resolve(
            facts.and_then(|f| f.timezone.as_deref()),
            facts.and_then(|f| f.phone.as_deref()),
            business,
        );
        let already = facts.map_or(0, |f| f.marketing_sent);
        Ok(match rules.verdict(now, quiet, &zones, already) {
            MarketingVerdict::Send { .. } => Moment::Now,
            MarketingVerdict::Wait(at) => Moment::Later(at),
            MarketingVerdict::Skip(reason) => Moment::Never(reason.to_string()),
        })
    }

    /// The message text, or why there can be none.
    async fn render(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        ctx: &SendContext,
        contact_id: ContactId,
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
        // The name the front desk set through the admin API wins.
        let business = business_profile::stored_name(tx)
            .await?
            .unwrap_or_else(|| self.config.business_name.clone());
        let text = template.render(&RenderContext {
            contact_name: ctx.contact_name.as_deref(),
            business_name: &business,
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
        failure: &SendFailure,
    ) -> Result<SendOutcome, SendError> {
        // One pooled connection at a time: `give_up` takes its own, and waiting
        // for it while holding this one would hang a pool of one.
        let client = self.pool.get().await?;
        let attempts = recipients::lock_for_send(&client, message.campaign_id, message.contact_id)
            .await?
            .map_or(0, |c| c.attempts)
            + 1;
        if attempts >= self.config.max_attempts {
            drop(client);
            self.outbox.give_up(message_id).await?;
            return Ok(SendOutcome::Failed(format!(
                "gave up after {attempts} transient failures"
            )));
        }
        let at = self.clock.now() + self.config.backoff(attempts);
        recipients::back_to_pending(
            &client,
            message.campaign_id,
            message.contact_id,
            at,
            true,
            Some(&failure.to_string()),
        )
        .await?;
        Ok(SendOutcome::RetryAt(at))
    }
}
