//! The `SmsSender` port: how a reply leaves. Twilio in production, the console (and
//! an in-memory outbox the chat simulator reads) locally.
//!
//! Failures are sorted the way the caller must act: transient ones are retried
//! through SQS, an opted-out recipient changes consent, others are recorded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use smsbot_domain::{MessageSid, PhoneNumber};
use smsbot_twilio::MessageStatus;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSms {
    pub sid: MessageSid,
    pub status: MessageStatus,
}

#[derive(Debug, thiserror::Error)]
pub enum SendFailure {
    #[error("the SMS provider is unavailable or throttling")]
    Transient(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the recipient has opted out at the carrier")]
    OptedOut,
    #[error("the SMS provider refused the message (code {code:?})")]
    Refused { code: Option<i32> },
}

#[async_trait]
pub trait SmsSender: Send + Sync {
    async fn send(&self, to: &PhoneNumber, body: &str) -> Result<SentSms, SendFailure>;
}

/// Prints replies and keeps them per recipient until the chat simulator takes them.
#[derive(Default)]
pub struct ConsoleSender {
    outbox: Mutex<HashMap<String, Vec<String>>>,
    counter: AtomicU64,
    quiet: bool,
}

impl ConsoleSender {
    /// How many messages were sent in all.
    pub fn sent_count(&self) -> u64 {
        self.counter.load(Ordering::Relaxed)
    }
}

impl ConsoleSender {
    /// A sender that does not print (tests).
    pub fn quiet() -> Self {
        Self {
            quiet: true,
            ..Self::default()
        }
    }

    /// Removes and returns the messages sent to `to` so far.
    pub fn take(&self, to: &str) -> Vec<String> {
        self.outbox
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(to)
            .unwrap_or_default()
    }

    /// Everything sent so far, per recipient (without removing it).
    pub fn all(&self) -> HashMap<String, Vec<String>> {
        self.outbox
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[async_trait]
impl SmsSender for ConsoleSender {
    async fn send(&self, to: &PhoneNumber, body: &str) -> Result<SentSms, SendFailure> {
        self.counter.fetch_add(1, Ordering::Relaxed);
        let sid = MessageSid::parse(&format!("SM{}", uuid::Uuid::new_v4().simple()))
            .map_err(|e| SendFailure::Transient(Box::new(e)))?;
        if !self.quiet {
            // Local development only: the console is the recipient's phone.
            println!("[sms to {}] {body}", to.masked());
        }
        self.outbox
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(to.as_e164().to_owned())
            .or_default()
            .push(body.to_owned());
        Ok(SentSms {
            sid,
            status: MessageStatus::Queued,
        })
    }
}

/// Sends through Twilio's Messages API, with our status callback URL.
pub struct TwilioSender {
    client: smsbot_twilio::TwilioClient,
    from: smsbot_twilio::Sender,
    status_callback: Option<url::Url>,
}

impl TwilioSender {
    pub fn new(
        client: smsbot_twilio::TwilioClient,
        from: smsbot_twilio::Sender,
        status_callback: Option<url::Url>,
    ) -> Self {
        Self {
            client,
            from,
            status_callback,
        }
    }
}

#[async_trait]
impl SmsSender for TwilioSender {
    async fn send(&self, to: &PhoneNumber, body: &str) -> Result<SentSms, SendFailure> {
        use smsbot_twilio::SendError;
        let message = smsbot_twilio::OutboundMessage {
            to: to.as_e164().to_owned(),
            from: self.from.clone(),
            body: body.to_owned(),
            status_callback: self.status_callback.clone(),
        };
        match self.client.send_message(&message).await {
            Ok(sent) => Ok(SentSms {
                sid: MessageSid::parse(&sent.sid)
                    .map_err(|e| SendFailure::Transient(Box::new(e)))?,
                status: sent.status,
            }),
            Err(SendError::OptedOut) => Err(SendFailure::OptedOut),
            Err(err) if err.is_retryable() => Err(SendFailure::Transient(Box::new(err))),
            // Not retried: the message may have gone out (unreadable 2xx) or never will.
            Err(err) => Err(SendFailure::Refused {
                code: err.code().map(|c| c.get() as i32),
            }),
        }
    }
}
