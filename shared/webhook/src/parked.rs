//! Moving parked inbound messages to the FIFO queue (run by housekeeping).
//!
//! Rows are taken oldest first, a batch at a time, each batch locked in its own
//! transaction (`FOR UPDATE SKIP LOCKED`: overlapping runs take different rows).
//! Each message is sent as the webhook would have sent it (same body, group id,
//! MessageSid as deduplication id) and its row deleted only after SQS took it; a
//! row SQS refused stays, with one more attempt counted. A refusal holds back that
//! contact's later rows for this run, so their order holds, and three refusals in
//! a row end the run (SQS is having a bad minute; the next run tries again). A
//! crash between a send and the commit sends that message again at worst, which
//! SQS deduplication and the worker's unique MessageSid make harmless.
//! Must not change a message.

use std::collections::HashSet;
use std::sync::Arc;

use smsbot_aws::FifoMessage;
use smsbot_store::parked_inbound::{self, ParkedMessage};
use smsbot_store::{Pool, StoreError};

use crate::InboundQueue;
use crate::metrics::{Counter, WebhookMetric};

/// Rows locked per transaction.
const BATCH: i64 = 25;
/// Refusals in a row that end a run.
const GIVE_UP_AFTER: u32 = 3;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Messages the queue took (their rows are gone).
    pub moved: u64,
    /// Messages the queue refused (still parked, attempts counted).
    pub failed: u64,
}

/// Moves parked inbound messages from PostgreSQL to the inbound queue.
#[derive(Clone)]
pub struct ParkedDrain {
    pool: Pool,
    queue: Arc<dyn InboundQueue>,
    metrics: Arc<dyn Counter>,
}

impl ParkedDrain {
    pub fn new(pool: Pool, queue: Arc<dyn InboundQueue>, metrics: Arc<dyn Counter>) -> Self {
        Self {
            pool,
            queue,
            metrics,
        }
    }

    /// Moves every parked message it can; a database failure stops it (rows of
    /// the unfinished batch stay parked as they were).
    pub async fn run(&self) -> Result<DrainReport, StoreError> {
        let mut client = self.pool.get().await.map_err(|e| StoreError::Unavailable {
            context: "moving parked inbound messages",
            source: Box::new(e),
        })?;
        let mut report = DrainReport::default();
        let mut run = Run::default();
        let mut after = None;
        loop {
            let batch = parked_inbound::lock_next(&mut client, after, BATCH).await?;
            let Some(last) = batch.messages().last() else {
                break;
            };
            after = Some(last.id);
            let full = batch.messages().len() as i64 == BATCH;
            for parked in batch.messages() {
                if run.holds_back(parked) {
                    continue;
                }
                if self.send(parked).await {
                    batch.moved(parked.id).await?;
                    report.moved += 1;
                    run.refusals_in_a_row = 0;
                } else {
                    batch.not_moved(parked.id).await?;
                    report.failed += 1;
                    run.refused(parked);
                }
            }
            batch.commit().await?;
            if !full || run.given_up() {
                break;
            }
        }
        self.count(report);
        Ok(report)
    }

    async fn send(&self, parked: &ParkedMessage) -> bool {
        let message = FifoMessage {
            body: parked.payload.clone(),
            group_id: parked.group_id.clone(),
            deduplication_id: parked.message_sid.clone(),
        };
        match self.queue.enqueue(&message).await {
            Ok(()) => {
                tracing::info!(correlation_id = %parked.message_sid, "parked inbound message queued");
                true
            }
            Err(err) => {
                let cause = std::error::Error::source(&err).map(ToString::to_string);
                tracing::warn!(correlation_id = %parked.message_sid, attempts = parked.attempts + 1, error = %err, ?cause, "parked inbound message not queued");
                false
            }
        }
    }

    fn count(&self, report: DrainReport) {
        if report.moved > 0 {
            self.metrics
                .count(WebhookMetric::InboundDrained, report.moved);
        }
        if report.failed > 0 {
            self.metrics
                .count(WebhookMetric::InboundDrainFailed, report.failed);
        }
    }
}

/// What a run remembers between messages.
#[derive(Default)]
struct Run {
    held_back_groups: HashSet<String>,
    refusals_in_a_row: u32,
}

impl Run {
    fn refused(&mut self, parked: &ParkedMessage) {
        self.refusals_in_a_row += 1;
        self.held_back_groups.insert(parked.group_id.clone());
    }

    fn given_up(&self) -> bool {
        self.refusals_in_a_row >= GIVE_UP_AFTER
    }

    /// Not tried this run: SQS keeps refusing, or an earlier message of the same
    /// contact is still parked.
    fn holds_back(&self, parked: &ParkedMessage) -> bool {
        self.given_up() || self.held_back_groups.contains(&parked.group_id)
    }
}
