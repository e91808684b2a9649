//! The campaign dispatcher: one tick of the EventBridge schedule.
//!
//! No transaction or row lock is held while SQS is called. For each due campaign:
//!
//! 1. Claim it with a lease (one statement sets a token and an expiry on the
//!    row, migration V5), so an overlapping tick passes it over and takes other
//!    campaigns or nothing; a tick that died leaves a lease that runs out.
//! 2. If it is scheduled, start it in a short transaction that locks the row
//!    afresh: recipients picked once, status to running.
//! 3. Page by page, up to the campaign's rate × the tick length: in a short
//!    transaction, lock the next due recipients (`SKIP LOCKED`), plan them (send,
//!    defer to the next allowed minute, skip; a marketing campaign's by the
//!    marketing rules, with each contact's number and marketing texts read in
//!    the same transaction), record every decision (sends as
//!    queued, due again after `requeue_after`) and renew the lease, which also
//!    checks this tick still holds it; commit. Then enqueue the sends ten per
//!    SendMessageBatch, with no transaction open, and put the ones SQS refused
//!    back to pending in another short transaction.
//! 4. Complete it if nobody is pending or queued, and release the lease.
//!
//! Status callbacks (whose counter triggers update the campaign row) and
//! operators therefore never wait on SQS. A tick that dies between recording
//! sends and enqueueing them leaves them queued: they are due again after
//! `requeue_after`, like a message lost to the dead-letter queue, and the sender
//! is idempotent. Must not send SMS: the outbound sender does, after checking
//! consent once more.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use smsbot_store::campaign_recipients::{self, DispatchOutcome, DueRecipient};
use smsbot_store::campaigns::{self, Campaign, CampaignStatus, LeaseToken};
use smsbot_store::{Pool, StoreError, marketing};

use crate::audience;
use crate::outbound::{OutboundMessage, OutboundQueue, Paced};
use crate::plan::{self, Decision, Zones};
use crate::quiet::QuietHours;
use smsbot_config::EngineSettings;
use smsbot_domain::campaign::Event;
use smsbot_domain::marketing::LimitReason;
use smsbot_domain::{CampaignId, ConsentKind, ContactId, MarketingRules};

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
    /// The limits on marketing campaigns (broadcasts).
    pub marketing: MarketingRules,
}

impl DispatcherConfig {
    pub fn from_settings(settings: &EngineSettings, business_timezone: Tz) -> Self {
        Self {
            tick_seconds: settings.dispatch_tick_seconds,
            requeue_after: settings.requeue_after,
            business_timezone,
            pace: true,
            page_size: 2_000,
            marketing: MarketingRules::default(),
        }
    }

    /// How long a claim on a campaign lasts without renewal: two ticks, at least
    /// a minute, at most fifteen (the longest a Lambda runs). Renewed with every
    /// page, so it only has to outlast one page and its SQS calls.
    pub fn lease(&self) -> chrono::Duration {
        chrono::Duration::seconds((self.tick_seconds.max(1) * 2).clamp(60, 900))
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
    /// Stopped by a marketing limit (frequency cap, no common window).
    pub skipped_limit: usize,
    pub invalid_number: usize,
    /// Sends SQS did not take: pending again, due again next tick.
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
        self.skipped_limit += other.skipped_limit;
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

/// A tick's clock: the `now` it was called with, moved on by the time it has run
/// (leases are renewed against it; decisions all use `now`).
struct TickClock {
    now: DateTime<Utc>,
    started: Instant,
}

impl TickClock {
    fn current(&self) -> DateTime<Utc> {
        self.now + chrono::Duration::from_std(self.started.elapsed()).unwrap_or_default()
    }
}

/// One claimed campaign: what the tick read at the claim and its lease.
struct Claim {
    campaign: Campaign,
    token: LeaseToken,
}

/// A running campaign as a tick works through it, page by page.
struct Run {
    campaign: Campaign,
    token: LeaseToken,
    quiet: QuietHours,
    zones: Zones,
    /// The key of the last recipient read: paging never rereads one it moved.
    after: Option<(DateTime<Utc>, ContactId)>,
    /// Sends this tick, enqueued or refused (the rate budget counts both).
    sent: i64,
}

/// What one page did, and whether the tick goes on with the campaign.
struct PageOutcome {
    report: TickReport,
    /// Recipients locked in the page (0: nobody due any more).
    locked: i64,
    /// The lease was lost: another tick has the campaign now.
    lost: bool,
}

impl Dispatcher {
    /// One tick at `now`.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<TickReport, DispatchError> {
        let clock = TickClock {
            now,
            started: Instant::now(),
        };
        let mut report = TickReport::default();
        let mut after = CampaignId::new(0);
        loop {
            let claimed = {
                let client = self.pool.get().await?;
                let until = clock.current() + self.config.lease();
                campaigns::claim_next_due(&client, now, after, until).await?
            };
            let Some((campaign, token)) = claimed else {
                return Ok(report);
            };
            after = campaign.id;
            let id = campaign.id;
            let done = self.dispatch(Claim { campaign, token }, &clock).await;
            // Released whatever happened, so the next tick need not wait for the
            // lease to run out (if the database is down, it runs out).
            let released = self.release(id, token).await;
            let done = done?;
            released?;
            report.add(&done);
        }
    }

    async fn release(&self, id: CampaignId, token: LeaseToken) -> Result<(), DispatchError> {
        let client = self.pool.get().await?;
        if !campaigns::release_lease(&client, id, token).await? {
            tracing::warn!(campaign_id = %id, "dispatch lease ran out before the tick ended");
        }
        Ok(())
    }

    async fn dispatch(&self, claim: Claim, clock: &TickClock) -> Result<TickReport, DispatchError> {
        let Claim {
            mut campaign,
            token,
        } = claim;
        let now = clock.now;
        let mut report = TickReport {
            campaigns: 1,
            ..TickReport::default()
        };
        if campaign.status == CampaignStatus::Scheduled {
            match self.start(campaign.id, token, now).await? {
                Some(started) => {
                    campaign = started;
                    report.started = 1;
                }
                None => return Ok(report),
            }
        }
        if !campaign.status.sends() {
            return Ok(report);
        }
        let budget = i64::from(campaign.rate_per_second.max(1)) * self.config.tick_seconds.max(1);
        let mut run = Run {
            quiet: QuietHours::new(campaign.quiet_start, campaign.quiet_end),
            zones: Zones::new(self.config.business_timezone),
            campaign,
            token,
            after: None,
            sent: 0,
        };
        while run.sent < budget {
            let limit = (budget - run.sent).min(self.config.page_size.max(1));
            let page = self.page(&mut run, clock, limit).await?;
            if page.lost {
                tracing::warn!(campaign_id = %run.campaign.id, "dispatch lease lost; another tick carries on");
                return Ok(report);
            }
            run.sent += (page.report.queued + page.report.enqueue_failed) as i64;
            report.add(&page.report);
            if page.locked < limit || page.report.enqueue_failed > 0 {
                break;
            }
        }
        let campaign = run.campaign;
        let client = self.pool.get().await?;
        if campaign_recipients::complete_if_done(&client, campaign.id).await? {
            report.completed = 1;
            tracing::info!(campaign_id = %campaign.id, "campaign completed");
        }
        Ok(report)
    }

    /// Starts a scheduled campaign (recipients picked once) in a short
    /// transaction that holds its row, read afresh: an operator may have paused
    /// or edited it since the claim. `None` when it is not to be started.
    async fn start(
        &self,
        id: CampaignId,
        token: LeaseToken,
        now: DateTime<Utc>,
    ) -> Result<Option<Campaign>, DispatchError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let Some(campaign) = campaigns::lock_leased(&tx, id, token).await? else {
            return Ok(None);
        };
        let due = campaign.starts_at.is_none_or(|at| at <= now);
        if campaign.status != CampaignStatus::Scheduled || !due {
            return Ok(None);
        }
        let filter = match audience::parse(&campaign.audience) {
            Ok(filter) => filter,
            Err(err) => {
                tracing::error!(campaign_id = %campaign.id, error = %err, "campaign not started: unreadable audience");
                return Ok(None);
            }
        };
        let picked = campaign_recipients::materialise(&tx, campaign.id, &filter, now).await?;
        let Some(next) = campaign.status.next(true, Event::Start) else {
            return Ok(None);
        };
        let Some(started) = campaigns::set_status(&tx, campaign.id, campaign.status, next).await?
        else {
            return Ok(None);
        };
        tx.commit().await?;
        tracing::info!(campaign_id = %campaign.id, targeted = ?picked, "campaign started");
        Ok(Some(started))
    }

    /// One page: lock, plan and record in a short transaction; enqueue after it
    /// committed; put back what SQS refused.
    async fn page(
        &self,
        run: &mut Run,
        clock: &TickClock,
        limit: i64,
    ) -> Result<PageOutcome, DispatchError> {
        let now = clock.now;
        let id = run.campaign.id;
        let requeue_at = now + self.config.requeue_after;
        let (sends, report, locked) = {
            let mut client = self.pool.get().await?;
            let tx = client.transaction().await?;
            let due = campaign_recipients::lock_due(&tx, id, now, run.after, limit).await?;
            let Some(last) = due.last() else {
                return Ok(PageOutcome {
                    report: TickReport::default(),
                    locked: 0,
                    lost: false,
                });
            };
            let next_after = Some((last.due_at, last.contact_id));
            let due_at: HashMap<ContactId, DateTime<Utc>> =
                due.iter().map(|r| (r.contact_id, r.due_at)).collect();
            let mut outcome = DispatchOutcome {
                requeue_at: Some(requeue_at),
                ..DispatchOutcome::default()
            };
            let mut limited: Vec<(LimitReason, Vec<ContactId>)> = Vec::new();
            for (contact_id, decision) in self.plan(&tx, run, &due, now).await? {
                match decision {
                    Decision::Send => outcome.queued.push(contact_id),
                    Decision::Defer(at) => outcome.deferred.push((contact_id, at)),
                    Decision::SkipConsent => outcome.skipped_consent.push(contact_id),
                    Decision::InvalidNumber => outcome.invalid_number.push(contact_id),
                    Decision::SkipLimit(reason) => {
                        match limited.iter_mut().find(|(r, _)| *r == reason) {
                            Some((_, ids)) => ids.push(contact_id),
                            None => limited.push((reason, vec![contact_id])),
                        }
                    }
                }
            }
            campaign_recipients::apply_dispatch(&tx, id, &outcome).await?;
            let mut skipped_limit = 0;
            for (reason, ids) in &limited {
                skipped_limit +=
                    marketing::skip_recipients(&tx, id, ids, &reason.to_string()).await?;
            }
            // Last, so the campaign row is held only for the commit: the check
            // that this tick still has the campaign, and the lease for the page's
            // SQS calls.
            let until = clock.current() + self.config.lease();
            if !campaigns::renew_lease(&tx, id, run.token, until).await? {
                return Ok(PageOutcome {
                    report: TickReport::default(),
                    locked: 0,
                    lost: true,
                });
            }
            tx.commit().await?;
            run.after = next_after;
            // Each send with the time it was due, to be due again if SQS refuses it.
            let sends: Vec<(ContactId, DateTime<Utc>)> = outcome
                .queued
                .iter()
                .map(|id| (*id, due_at.get(id).copied().unwrap_or(now)))
                .collect();
            let report = TickReport {
                deferred: outcome.deferred.len(),
                skipped_consent: outcome.skipped_consent.len(),
                skipped_limit: skipped_limit as usize,
                invalid_number: outcome.invalid_number.len(),
                ..TickReport::default()
            };
            (sends, report, due.len() as i64)
        };
        // No transaction is open and no connection held from here to the end of
        // the SQS calls.
        let failed = self.enqueue(&run.campaign, &sends, run.sent as usize).await;
        if !failed.is_empty() {
            tracing::warn!(
                campaign_id = %id,
                failed = failed.len(),
                "SQS refused some sends; they are pending again"
            );
            let refused: Vec<(ContactId, DateTime<Utc>)> = failed
                .iter()
                .filter_map(|i| sends.get(*i).copied())
                .collect();
            let client = self.pool.get().await?;
            campaign_recipients::unqueue(&client, id, requeue_at, &refused).await?;
        }
        Ok(PageOutcome {
            report: TickReport {
                queued: sends.len() - failed.len(),
                enqueue_failed: failed.len(),
                ..report
            },
            locked,
            lost: false,
        })
    }

    /// A page's decisions: a marketing campaign's by the marketing rules, with
    /// what they need read in the page's transaction.
    async fn plan(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        run: &mut Run,
        due: &[DueRecipient],
        now: DateTime<Utc>,
    ) -> Result<Vec<(ContactId, Decision)>, DispatchError> {
        if run.campaign.kind.consent_needed() != ConsentKind::Marketing {
            return Ok(plan::plan(due, now, &run.quiet, &mut run.zones));
        }
        let rules = &self.config.marketing;
        let ids: Vec<ContactId> = due.iter().map(|r| r.contact_id).collect();
        let known = marketing::recipients(tx, &ids, rules.counts_since(now)).await?;
        Ok(plan::plan_marketing(
            due,
            now,
            &run.quiet,
            rules,
            self.config.business_timezone,
            &known,
        ))
    }

    /// Enqueues a page's sends; returns the indexes SQS did not take.
    async fn enqueue(
        &self,
        campaign: &Campaign,
        sends: &[(ContactId, DateTime<Utc>)],
        already_sent: usize,
    ) -> Vec<usize> {
        if sends.is_empty() {
            return Vec::new();
        }
        let paced: Vec<Paced> = sends
            .iter()
            .enumerate()
            .map(|(i, (contact_id, _))| Paced {
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
        let mut failed = self.queue.enqueue(&paced).await;
        failed.sort_unstable();
        failed.dedup();
        failed.retain(|i| *i < sends.len());
        failed
    }
}
