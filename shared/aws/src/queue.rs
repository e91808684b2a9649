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
