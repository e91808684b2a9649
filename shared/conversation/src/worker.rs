//! The SQS FIFO batch handler, the same function in Lambda and in the local process.
//!
//! Records of one message group (one contact) are handled strictly in order; when
//! one fails transiently, it and every later record of its group are reported as
//! batch item failures, so SQS redelivers them in order. Groups run concurrently.
//! (The runtime's concurrent partial-batch example would break FIFO order.)
//! A record that can never succeed (unreadable body) is logged and acknowledged;
//! one that keeps failing reaches the dead-letter queue through the redrive policy.
//! A panic while handling a record is caught: it fails that record's group only
//! (logged with the correlation id and counted), never the whole batch.

use std::panic::AssertUnwindSafe;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::FutureExt;
use smsbot_config::metrics::{self, Metric};
use smsbot_domain::InboundSms;
use tracing::Instrument;

use crate::turn::Conversation;

const GROUP_ATTRIBUTE: &str = "MessageGroupId";

pub async fn handle_batch(conversation: &Conversation, event: SqsEvent) -> SqsBatchResponse {
    // Group the records, keeping their order within each group.
    let mut groups: Vec<(String, Vec<SqsMessage>)> = Vec::new();
    for record in event.records {
        let group = record
            .attributes
            .get(GROUP_ATTRIBUTE)
            .cloned()
            .unwrap_or_default();
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, records)) => records.push(record),
            None => groups.push((group, vec![record])),
        }
    }
    let results = futures::future::join_all(
        groups
            .into_iter()
            .map(|(_, records)| handle_group(conversation, records)),
    )
    .await;
    smsbot_aws::batch_response(results.into_iter().flatten())
}

/// Handles one group's records in order; returns the ids to report as failed.
async fn handle_group(conversation: &Conversation, records: Vec<SqsMessage>) -> Vec<String> {
    let mut failed: Vec<String> = Vec::new();
    for record in records {
        let id = record.message_id.clone().unwrap_or_default();
        if !failed.is_empty() {
            failed.push(id);
            continue;
        }
        let sms = match record
            .body
            .as_deref()
            .map(serde_json::from_str::<InboundSms>)
        {
            Some(Ok(sms)) => sms,
            Some(Err(err)) => {
                tracing::error!(sqs_message_id = %id, error = %err, "unreadable inbound record acknowledged");
                continue;
            }
            None => {
                tracing::error!(sqs_message_id = %id, "inbound record without a body acknowledged");
                continue;
            }
        };
        let span = tracing::info_span!("turn", correlation_id = %sms.message_sid, from = %sms.from.masked());
        let turn = AssertUnwindSafe(conversation.handle(&sms).instrument(span.clone()));
        let Ok(result) = turn.catch_unwind().await else {
            // Nothing of the turn committed (its transaction rolled back when
            // the panic dropped it): retry it with the rest of its group.
            span.in_scope(|| {
                tracing::error!("turn panicked; it and the rest of its group will be retried");
            });
            metrics::count(Metric::HandlerPanics, 1);
            failed.push(id);
            continue;
        };
        match result {
            Ok(outcome) => span.in_scope(|| tracing::info!(?outcome, "turn done")),
            Err(err) if !err.is_transient() => span.in_scope(|| {
                tracing::error!(error = %err, "turn failed permanently; acknowledged");
            }),
            Err(err) => {
                span.in_scope(|| {
                    tracing::warn!(error = %err, "turn failed; it and the rest of its group will be retried");
                });
                failed.push(id);
            }
        }
    }
    failed
}
