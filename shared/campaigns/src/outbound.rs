//! The outbound queue between the dispatcher and the sender: one message per
//! (campaign, contact), sent in batches of ten. The port lets the benchmark and
//! tests count without SQS; production uses [`smsbot_aws::SqsQueue`].

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use smsbot_aws::SqsQueue;
use smsbot_aws::queue::BatchEntry;
use smsbot_domain::{CampaignId, ContactId};

/// What the sender receives: which recipient to send. Nothing else travels, so a
/// message redelivered late still acts on the current state in Postgres.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundMessage {
    pub campaign_id: CampaignId,
    pub contact_id: ContactId,
}

/// One message and how long SQS should hold it back (pacing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paced {
    pub message: OutboundMessage,
    pub delay_seconds: i32,
}

#[async_trait]
pub trait OutboundQueue: Send + Sync {
    /// Enqueues `messages`; returns the indexes of those that were not taken.
    async fn enqueue(&self, messages: &[Paced]) -> Vec<usize>;
}

#[async_trait]
impl OutboundQueue for SqsQueue {
    async fn enqueue(&self, messages: &[Paced]) -> Vec<usize> {
        let mut entries = Vec::with_capacity(messages.len());
        let mut unreadable = Vec::new();
        for (i, paced) in messages.iter().enumerate() {
            match serde_json::to_string(&paced.message) {
                Ok(body) => entries.push(BatchEntry {
                    id: i.to_string(),
                    body,
                    delay_seconds: paced.delay_seconds,
                }),
                Err(_) => unreadable.push(i),
            }
        }
        let failed = self.send_batch(&entries).await;
        unreadable.extend(failed.iter().filter_map(|f| f.id.parse::<usize>().ok()));
        unreadable
    }
}

/// Takes everything and keeps nothing (benchmarks of the planning alone).
pub struct DiscardingQueue;

#[async_trait]
impl OutboundQueue for DiscardingQueue {
    async fn enqueue(&self, _messages: &[Paced]) -> Vec<usize> {
        Vec::new()
    }
}
