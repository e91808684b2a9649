//! Sending to SQS queues (FIFO and standard).
//!
//! Owns the SendMessage/SendMessageBatch calls. A FIFO message carries a group id
//! (ordering per contact) and a deduplication id (SQS drops repeats within five
//! minutes). Must not decide what the body contains.

use aws_sdk_sqs::Client;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FifoMessage {
    pub body: String,
    pub group_id: String,
    pub deduplication_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("SQS unavailable while {context}")]
    Unavailable {
        context: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

#[derive(Clone)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn send_fifo(&self, message: &FifoMessage) -> Result<(), QueueError> {
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(&message.body)
            .message_group_id(&message.group_id)
            .message_deduplication_id(&message.deduplication_id)
            .send()
            .await
            .map_err(|e| QueueError::Unavailable {
                context: "sending a FIFO message",
                source: Box::new(e),
            })?;
        Ok(())
    }
}

impl SqsQueue {
    /// Receives up to `max` messages (long-polling up to `wait_seconds`) in the shape
    /// Lambda's SQS event source delivers them, so the local process can call the
    /// very handler the Lambda runs.
    pub async fn receive_event(
        &self,
        max: i32,
        wait_seconds: i32,
    ) -> Result<aws_lambda_events::sqs::SqsEvent, QueueError> {
        let received = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max)
            .wait_time_seconds(wait_seconds)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| QueueError::Unavailable {
                context: "receiving messages",
                source: Box::new(e),
            })?;
        let mut event = aws_lambda_events::sqs::SqsEvent::default();
        for message in received.messages.unwrap_or_default() {
            let mut record = aws_lambda_events::sqs::SqsMessage::default();
            record.message_id = message.message_id;
            record.receipt_handle = message.receipt_handle;
            record.body = message.body;
            record.md5_of_body = message.md5_of_body;
            record.event_source = Some("aws:sqs".to_owned());
            record.attributes = message
                .attributes
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k.as_str().to_owned(), v))
                .collect();
            event.records.push(record);
        }
        Ok(event)
    }

    /// Deletes the records of `event` that are not listed as failures, as the Lambda
    /// event source mapping does after a partial batch response.
    pub async fn acknowledge(
        &self,
        event: &aws_lambda_events::sqs::SqsEvent,
        response: &aws_lambda_events::sqs::SqsBatchResponse,
    ) -> Result<(), QueueError> {
        for record in &event.records {
            let failed = response
                .batch_item_failures
                .iter()
                .any(|f| Some(&f.item_identifier) == record.message_id.as_ref());
            let Some(handle) = record.receipt_handle.as_deref() else {
                continue;
            };
            if failed {
                continue;
            }
            self.client
                .delete_message()
                .queue_url(&self.url)
                .receipt_handle(handle)
                .send()
                .await
                .map_err(|e| QueueError::Unavailable {
                    context: "deleting a handled message",
                    source: Box::new(e),
                })?;
        }
        Ok(())
    }
}

/// One message for a standard queue's batch send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEntry {
    /// Unique within one call; reported back for the entries that failed.
    pub id: String,
    pub body: String,
    /// Held back this long before it becomes visible (0 to 900).
    pub delay_seconds: i32,
}

/// An entry SQS did not take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedEntry {
    pub id: String,
    pub code: String,
    /// SQS blamed the caller (the entry is malformed), not itself.
    pub sender_fault: bool,
}

impl SqsQueue {
    /// The most entries one SendMessageBatch call takes.
    pub const MAX_BATCH: usize = 10;

    /// Sends `entries` to a standard queue with SendMessageBatch, ten per call.
    /// Returns the entries SQS refused (whole calls that failed count all theirs
    /// as refused with code `Unavailable`), so the caller can keep them for later.
    pub async fn send_batch(&self, entries: &[BatchEntry]) -> Vec<FailedEntry> {
        let mut failed = Vec::new();
        for chunk in entries.chunks(Self::MAX_BATCH) {
            let mut request = self.client.send_message_batch().queue_url(&self.url);
            for entry in chunk {
                match aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                    .id(&entry.id)
                    .message_body(&entry.body)
                    .delay_seconds(entry.delay_seconds.clamp(0, 900))
                    .build()
                {
                    Ok(built) => request = request.entries(built),
                    Err(_) => failed.push(FailedEntry {
                        id: entry.id.clone(),
                        code: "Invalid".to_owned(),
                        sender_fault: true,
                    }),
                }
            }
            match request.send().await {
                Ok(output) => failed.extend(output.failed.into_iter().map(|f| FailedEntry {
                    id: f.id,
                    code: f.code,
                    sender_fault: f.sender_fault,
                })),
                Err(err) => {
                    tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&err), "SendMessageBatch failed");
                    failed.extend(chunk.iter().map(|e| FailedEntry {
                        id: e.id.clone(),
                        code: "Unavailable".to_owned(),
                        sender_fault: false,
                    }));
                }
            }
        }
        failed
    }
}

impl SqsQueue {
    /// Moves up to `max` messages from the dead-letter queue `dlq` back onto this
    /// queue, keeping each FIFO message's group (so a contact's order holds) and
    /// giving it a fresh deduplication id (the original one may still be inside
    /// SQS's five-minute window). A message is deleted from the DLQ only after it
    /// was sent here. Consumers are idempotent, so a crash mid-way duplicates at most
    /// one message harmlessly. Returns how many moved.
    pub async fn redrive_from(&self, dlq: &SqsQueue, max: usize) -> Result<usize, QueueError> {
        use aws_sdk_sqs::types::MessageSystemAttributeName as Attr;
        let unavailable = |context| {
            move |e: Box<dyn std::error::Error + Send + Sync>| QueueError::Unavailable {
                context,
                source: e,
            }
        };
        let fifo = self.url.ends_with(".fifo");
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let mut moved = 0;
        while moved < max {
            let batch = dlq
                .client
                .receive_message()
                .queue_url(&dlq.url)
                .max_number_of_messages(10.min((max - moved) as i32))
                .message_system_attribute_names(Attr::All)
                .send()
                .await
                .map_err(|e| unavailable("receiving from the dead-letter queue")(Box::new(e)))?;
            let messages = batch.messages.unwrap_or_default();
            if messages.is_empty() {
                break;
            }
            for message in messages {
                let attributes = message.attributes.clone().unwrap_or_default();
                let mut send = self
                    .client
                    .send_message()
                    .queue_url(&self.url)
                    .message_body(message.body().unwrap_or_default());
                if fifo {
                    let id = attributes
                        .get(&Attr::MessageDeduplicationId)
                        .or(message.message_id.as_ref())
                        .cloned()
                        .unwrap_or_default();
                    send = send
                        .message_group_id(
                            attributes
                                .get(&Attr::MessageGroupId)
                                .cloned()
                                .unwrap_or_else(|| "redrive".to_owned()),
                        )
                        .message_deduplication_id(format!("{id}-redrive-{stamp}"));
                }
                send.send()
                    .await
                    .map_err(|e| unavailable("sending a redriven message")(Box::new(e)))?;
                dlq.client
                    .delete_message()
                    .queue_url(&dlq.url)
                    .receipt_handle(message.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .map_err(|e| unavailable("deleting a redriven message")(Box::new(e)))?;
                moved += 1;
            }
        }
        Ok(moved)
    }
}
