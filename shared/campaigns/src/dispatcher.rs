//! The campaign dispatcher: one tick of the EventBridge schedule.
//!
//! For each due campaign, in a transaction that holds the campaign's row lock
//! (`FOR UPDATE SKIP LOCKED`, so an overlapping tick takes other campaigns or
//! nothing): start it if it is scheduled (recipients picked once), then lock the
//! next due recipients page by page (`SKIP LOCKED` again), plan them (send, defer
//! to the next allowed minute, skip), enqueue the sends ten per SendMessageBatch
//! and mark them queued, up to the campaign's rate × the tick length. A running
//! campaign with nobody pending or queued completes. Must not send SMS: the
//! outbound sender does, after checking consent once more.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use smsbot_store::campaign_recipients::{self, DispatchOutcome};
use smsbot_store::campaigns::{self, Campaign, CampaignStatus};
use smsbot_store::{Pool, StoreError};

use crate::audience;
use crate::outbound::{OutboundMessage, OutboundQueue, Paced};
use crate::plan::{self, Decision, Zones};
use crate::quiet::QuietHours;
use smsbot_config::EngineSettings;
use smsbot_domain::campaign::Event;
use smsbot_domain::{CampaignId, ContactId};

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The database failed; the next tick carries on where this one stopped.
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database unavailable: {0}")]
    Database(#[from] deadpool_postgres::tokio_postgres::Error),
}

impl From<deadpool_postgres::PoolError> for DispatchError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        Self::Store(StoreError::Unavailable {
            context: "dispatching",
            source: Box::new(err),
        })
    }
}

#[derive(Debug, Clone)]
pub struct DispatcherConfig {
    /// How often the schedule runs: a tick sends at most rate × this.
    pub tick_seconds: i64,
    /// A queued recipient not finished by the sender after this long is enqueued
    /// again (its message may have reached the dead-letter queue).
    pub requeue_after: chrono::Duration,
    /// Contacts without a (valid) timezone are in this one.
    pub business_timezone: Tz,
    /// Spread a tick's sends over the tick with SQS delays (off in tests).
    pub pace: bool,
    /// Recipients locked and planned per round trip.
    pub page_size: i64,
}

impl DispatcherConfig {
    pub fn from_settings(settings: &EngineSettings, business_timezone: Tz) -> Self {
        Self {
            tick_seconds: settings.dispatch_tick_seconds,
            requeue_after: settings.requeue_after,
            business_timezone,
            pace: true,
            page_size: 2_000,
        }
    }
}

/// What one tick did, for logs, metrics and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    pub campaigns: usize,
    pub started: usize,
    pub queued: usize,
    pub deferred: usize,
    pub skipped_consent: usize,
    pub invalid_number: usize,
    /// Sends SQS did not take: still pending, due again next tick.
    pub enqueue_failed: usize,
    pub completed: usize,
}

impl TickReport {
    fn add(&mut self, other: &TickReport) {
        self.campaigns += other.campaigns;
        self.started += other.started;
        self.queued += other.queued;
        self.deferred += other.deferred;
        self.skipped_consent += other.skipped_consent;
        self.invalid_number += other.invalid_number;
        self.enqueue_failed += other.enqueue_failed;
        self.completed += other.completed;
    }
}

#[derive(Clone)]
pub struct Dispatcher {
    pub pool: Pool,
    pub queue: Arc<dyn OutboundQueue>,
    pub config: DispatcherConfig,
}

impl Dispatcher {
    /// One tick at `now`.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<TickReport, DispatchError> {
        let mut report = TickReport::default();
        let mut after = CampaignId::new(0);
        loop {
            let mut client = self.pool.get().await?;
            let tx = client.transaction().await?;
            let Some(campaign) = campaigns::lock_next_due(&tx, now, after).await? else {
                return Ok(report);
            };
            after = campaign.id;
            let done = self.dispatch(&tx, campaign, now).await?;
            tx.commit().await?;
            report.add(&done);
        }
    }

    async fn dispatch(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        mut campaign: Campaign,
        now: DateTime<Utc>,
    ) -> Result<TickReport, DispatchError> {
        let mut report = TickReport {
            campaigns: 1,
            ..TickReport::default()
        };
        if campaign.status == CampaignStatus::Scheduled {
            let filter = match audience::parse(&campaign.audience) {
                Ok(filter) => filter,
                Err(err) => {
                    tracing::error!(campaign_id = %campaign.id, error = %err, "campaign not started: unreadable audience");
                    return Ok(report);
                }
            };
            let picked = campaign_recipients::materialise(tx, campaign.id, &filter, now).await?;
            let Some(next) = campaign.status.next(true, Event::Start) else {
                return Ok(report);
            };
            if campaigns::set_status(tx, campaign.id, campaign.status, next)
                .await?
                .is_none()
            {
                return Ok(report);
            }
            campaign.status = next;
            report.started = 1;
            tracing::info!(campaign_id = %campaign.id, targeted = ?picked, "campaign started");
        }
        if !campaign.status.sends() {
            return Ok(report);
        }
        let quiet = QuietHours::new(campaign.quiet_start, campaign.quiet_end);
        let mut zones = Zones::new(self.config.business_timezone);
        let budget = i64::from(campaign.rate_per_second.max(1)) * self.config.tick_seconds.max(1);
        let mut sent = 0_i64;
        let mut after = None;
        while sent < budget {
            let limit = (budget - sent).min(self.config.page_size.max(1));
            let due = campaign_recipients::lock_due(tx, campaign.id, now, after, limit).await?;
            let Some(last) = due.last() else {
                break;
            };
            after = Some((last.due_at, last.contact_id));
            let page_len = due.len() as i64;
            let decisions = plan::plan(&due, now, &quiet, &mut zones);
            let page = self
                .apply_page(tx, &campaign, &decisions, now, sent as usize)
                .await?;
            sent += page.queued as i64 + page.enqueue_failed as i64;
            report.add(&TickReport {
                campaigns: 0,
                ..page
            });
            if page_len < limit || page.enqueue_failed > 0 {
                break;
            }
        }
        if campaign_recipients::complete_if_done(tx, campaign.id).await? {
            report.completed = 1;
            tracing::info!(campaign_id = %campaign.id, "campaign completed");
        }
        Ok(report)
    }

    /// Enqueues a page's sends and records every decision of the page.
    async fn apply_page(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        campaign: &Campaign,
        decisions: &[(ContactId, Decision)],
        now: DateTime<Utc>,
        already_sent: usize,
    ) -> Result<TickReport, DispatchError> {
        let mut outcome = DispatchOutcome {
            requeue_at: Some(now + self.config.requeue_after),
            ..DispatchOutcome::default()
        };
        let mut sends = Vec::new();
        for (contact_id, decision) in decisions {
            match decision {
                Decision::Send => sends.push(*contact_id),
                Decision::Defer(at) => outcome.deferred.push((*contact_id, *at)),
                Decision::SkipConsent => outcome.skipped_consent.push(*contact_id),
                Decision::InvalidNumber => outcome.invalid_number.push(*contact_id),
            }
        }
        let paced: Vec<Paced> = sends
            .iter()
            .enumerate()
            .map(|(i, contact_id)| Paced {
                message: OutboundMessage {
                    campaign_id: campaign.id,
                    contact_id: *contact_id,
                },
                delay_seconds: if self.config.pace {
                    plan::pacing_delay(
                        already_sent + i,
                        campaign.rate_per_second,
                        self.config.tick_seconds,
                    )
                } else {
                    0
                },
            })
            .collect();
        let failed = if paced.is_empty() {
            Vec::new()
        } else {
            self.queue.enqueue(&paced).await
        };
        if !failed.is_empty() {
            tracing::warn!(
                campaign_id = %campaign.id,
                failed = failed.len(),
                "SQS refused some sends; they stay pending"
            );
        }
        outcome.queued = sends
            .iter()
            .enumerate()
            .filter(|(i, _)| !failed.contains(i))
            .map(|(_, id)| *id)
            .collect();
        campaign_recipients::apply_dispatch(tx, campaign.id, &outcome).await?;
        Ok(TickReport {
            queued: outcome.queued.len(),
            deferred: outcome.deferred.len(),
            skipped_consent: outcome.skipped_consent.len(),
            invalid_number: outcome.invalid_number.len(),
            enqueue_failed: failed.len(),
            ..TickReport::default()
        })
    }
}
