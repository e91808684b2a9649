//! The local stand-in for a phone: prints each SMS and keeps it per recipient
//! until the chat simulator takes it. Local development and tests only.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use smsbot_domain::{MessageSid, PhoneNumber};
use smsbot_twilio::MessageStatus;

use crate::port::{SendFailure, SendOptions, SentSms, SmsSender};

#[derive(Default)]
pub struct ConsoleSender {
    outbox: Mutex<HashMap<String, Vec<String>>>,
    /// Everything ever sent, for `find_sent` (the outbox above is emptied by
    /// the chat simulator).
    log: Mutex<Vec<Logged>>,
    counter: AtomicU64,
    quiet: bool,
}

struct Logged {
    to: String,
    body: String,
    sent: SentSms,
    at: DateTime<Utc>,
}

impl ConsoleSender {
    /// A sender that does not print (tests).
    pub fn quiet() -> Self {
        Self {
            quiet: true,
            ..Self::default()
        }
    }

    /// How many messages were sent in all.
    pub fn sent_count(&self) -> u64 {
        self.counter.load(Ordering::Relaxed)
    }

    /// Removes and returns the messages sent to `to` so far.
    pub fn take(&self, to: &str) -> Vec<String> {
        self.messages().remove(to).unwrap_or_default()
    }

    /// Everything sent so far, per recipient (without removing it).
    pub fn all(&self) -> HashMap<String, Vec<String>> {
        self.messages().clone()
    }

    fn messages(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<String>>> {
        // A panic elsewhere while holding the lock leaves the map usable.
        self.outbox.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl SmsSender for ConsoleSender {
    /// The console delivers at once: a validity period has nothing to expire.
    async fn send(
        &self,
        to: &PhoneNumber,
        body: &str,
        _options: &SendOptions,
    ) -> Result<SentSms, SendFailure> {
        self.counter.fetch_add(1, Ordering::Relaxed);
        let sid = MessageSid::parse(&format!("SM{}", uuid::Uuid::new_v4().simple()))
            .map_err(|e| SendFailure::Transient(Box::new(e)))?;
        if !self.quiet {
            // Local development only: the console is the recipient's phone.
            println!("[sms to {}] {body}", to.masked());
        }
        self.messages()
            .entry(to.as_e164().to_owned())
            .or_default()
            .push(body.to_owned());
        let sent = SentSms {
            sid,
            status: MessageStatus::Queued,
        };
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Logged {
                to: to.as_e164().to_owned(),
                body: body.to_owned(),
                sent: sent.clone(),
                at: Utc::now(),
            });
        Ok(sent)
    }

    async fn find_sent(
        &self,
        to: &PhoneNumber,
        body: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<SentSms>, SendFailure> {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        Ok(log
            .iter()
            .rev()
            .filter(|m| m.to == to.as_e164() && m.body == body && m.at >= since)
            .map(|m| m.sent.clone())
            .collect())
    }
}
