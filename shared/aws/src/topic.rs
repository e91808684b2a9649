//! Publishing to an SNS topic: how staff alerts reach people in AWS.
//!
//! Owns the Publish call and the sorting of its failures into those a retry may
//! cure (SNS or the network had a bad moment, throttling) and those it cannot
//! (no such topic, no permission, a message SNS refuses). Must not decide what
//! is published or to whom: subscribers are the topic's business.

use aws_sdk_sns::Client;
use aws_sdk_sns::error::SdkError;
use aws_sdk_sns::operation::publish::PublishError as SnsPublishError;

/// The longest subject SNS takes (e-mail subscribers see it).
pub const MAX_SUBJECT_CHARS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// SNS did not take the message this time; a later attempt may.
    #[error("SNS unavailable while publishing")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// SNS refused the message and will refuse it again (no such topic, no
    /// permission, an invalid message): a configuration to fix, not to retry.
    #[error("SNS refused the message: {code}")]
    Refused {
        code: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl PublishError {
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

#[derive(Clone)]
pub struct SnsTopic {
    client: Client,
    arn: String,
}

impl SnsTopic {
    pub fn new(client: Client, arn: impl Into<String>) -> Self {
        Self {
            client,
            arn: arn.into(),
        }
    }

    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// Publishes `message` with `subject` (cut to what SNS takes); answers the
    /// MessageId SNS gave it.
    pub async fn publish(&self, subject: &str, message: &str) -> Result<String, PublishError> {
        let subject: String = subject
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_SUBJECT_CHARS)
            .collect();
        let published = self
            .client
            .publish()
            .topic_arn(&self.arn)
            .subject(subject)
            .message(message)
            .send()
            .await
            .map_err(classify)?;
        Ok(published.message_id().unwrap_or_default().to_owned())
    }
}

fn classify(err: SdkError<SnsPublishError>) -> PublishError {
    let refused = match &err {
        SdkError::ServiceError(service) => match service.err() {
            SnsPublishError::InternalErrorException(_)
            | SnsPublishError::KmsThrottlingException(_) => None,
            other => {
                use aws_sdk_sns::error::ProvideErrorMetadata;
                let code = other.code().unwrap_or("unknown").to_owned();
                // Throttling arrives as an unmodelled error code.
                (!code.contains("Throttl")).then_some(code)
            }
        },
        _ => None,
    };
    match refused {
        Some(code) => PublishError::Refused {
            code,
            source: Box::new(err),
        },
        None => PublishError::Unavailable(Box::new(err)),
    }
}
