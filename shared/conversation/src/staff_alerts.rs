//! Telling staff: the [`StaffAlerts`] port, its adapters, and the dispatch of
//! a recorded alert.
//!
//! An alert is recorded in the turn's transaction (`smsbot_store::staff_alerts`)
//! and dispatched after commit: claimed under a lease (one worker at a time),
//! handed to the port, marked sent with the channel's receipt. A redelivered
//! inbound message dispatches its alert again, which does nothing once sent.
//! Adapters: an SNS topic (AWS: staff subscribe by e-mail, SMS or a chat hook),
//! an SMS to the staff phone through the outbox (recorded as an internal
//! message, so it is texted at most once), and memory (tests, and a process
//! with neither configured: the alert is logged and the admin API lists the
//! conversation). Must not decide when staff are needed or what they are told:
//! the handoff does.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use smsbot_aws::SnsTopic;
use smsbot_config::metrics::{self, Metric};
use smsbot_domain::{PhoneNumber, SmsBody, StaffAlertId, StaffReason};
use smsbot_outbox::{Clock, Delivery, Outbox};
use smsbot_store::staff_alerts::{self, AlertClaim};
use smsbot_store::{Pool, StoreError, outbound};

/// One alert as a channel sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub id: StaffAlertId,
    pub reason: StaffReason,
    /// A line without personal data.
    pub subject: String,
    /// Who (with their number: it goes to staff), why, their last messages.
    pub body: String,
}

/// What a channel answered for an alert it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// `sns`, `sms` or `memory`.
    pub channel: &'static str,
    /// The channel's id for it (the SNS MessageId, the SMS's message row).
    pub id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// The channel did not take it this time; a later attempt may.
    #[error("the staff alert channel is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The channel refused it and will again (a wrong topic, no permission,
    /// a staff number that cannot take SMS): a configuration to fix.
    #[error("the staff alert channel refused the alert")]
    Refused(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Where staff alerts go.
#[async_trait]
pub trait StaffAlerts: Send + Sync {
    async fn send(&self, alert: &Alert) -> Result<Receipt, AlertError>;
}

/// Alerts published to an SNS topic.
pub struct SnsStaffAlerts {
    topic: SnsTopic,
}

impl SnsStaffAlerts {
    pub fn new(topic: SnsTopic) -> Self {
        Self { topic }
    }
}

#[async_trait]
impl StaffAlerts for SnsStaffAlerts {
    async fn send(&self, alert: &Alert) -> Result<Receipt, AlertError> {
        match self.topic.publish(&alert.subject, &alert.body).await {
            Ok(message_id) => Ok(Receipt {
                channel: "sns",
                id: Some(message_id),
            }),
            Err(err) if err.is_transient() => Err(AlertError::Unavailable(Box::new(err))),
            Err(err) => Err(AlertError::Refused(Box::new(err))),
        }
    }
}

/// Alerts texted to the staff phone through the outbox.
pub struct SmsStaffAlerts {
    pool: Pool,
    outbox: Outbox,
    to: PhoneNumber,
}

impl SmsStaffAlerts {
    pub fn new(pool: Pool, outbox: Outbox, to: PhoneNumber) -> Self {
        Self { pool, outbox, to }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct NotSent(String);

#[async_trait]
impl StaffAlerts for SmsStaffAlerts {
    async fn send(&self, alert: &Alert) -> Result<Receipt, AlertError> {
        let body =
            SmsBody::parse(alert.body.clone()).map_err(|e| AlertError::Refused(Box::new(e)))?;
        let client = self
            .pool
            .get()
            .await
            .map_err(|e| AlertError::Unavailable(Box::new(e)))?;
        let message = outbound::record_staff_alert(&client, alert.id, &self.to, &body)
            .await
            .map_err(store_failure)?;
        drop(client);
        let receipt = Receipt {
            channel: "sms",
            id: Some(message.to_string()),
        };
        match self.outbox.deliver(message).await {
            // Sent now, or sent (or refused) by an earlier attempt.
            Ok(Delivery::Sent(_) | Delivery::NotClaimed) => Ok(receipt),
            Ok(Delivery::Refused(failure)) => Err(AlertError::Refused(Box::new(failure))),
            Ok(Delivery::Retry(failure)) => Err(AlertError::Unavailable(Box::new(failure))),
            Ok(Delivery::Busy) => Err(AlertError::Unavailable(Box::new(NotSent(
                "another worker is sending the alert".to_owned(),
            )))),
            Ok(Delivery::Deferred(until)) => Err(AlertError::Unavailable(Box::new(NotSent(
                format!("deferred until {until}"),
            )))),
            Err(err) if err.is_transient() => Err(AlertError::Unavailable(Box::new(err))),
            Err(err) => Err(AlertError::Refused(Box::new(err))),
        }
    }
}

fn store_failure(err: StoreError) -> AlertError {
    if err.is_transient() {
        AlertError::Unavailable(Box::new(err))
    } else {
        AlertError::Refused(Box::new(err))
    }
}

/// Alerts kept in this process (and logged without the contact's details):
/// tests read them; a process with no channel configured at least says so.
#[derive(Default)]
pub struct InMemoryStaffAlerts {
    sent: Mutex<Vec<Alert>>,
}

impl InMemoryStaffAlerts {
    /// Every alert taken so far, oldest first.
    pub fn sent(&self) -> Vec<Alert> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[async_trait]
impl StaffAlerts for InMemoryStaffAlerts {
    async fn send(&self, alert: &Alert) -> Result<Receipt, AlertError> {
        tracing::warn!(
            alert_id = alert.id.get(),
            reason = alert.reason.as_str(),
            "staff alert kept in memory: set STAFF_ALERT_TOPIC_ARN or STAFF_PHONE to reach staff"
        );
        self.sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(alert.clone());
        Ok(Receipt {
            channel: "memory",
            id: None,
        })
    }
}

/// Why an alert could not be dispatched yet.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("recording the staff alert failed")]
    Store(#[from] StoreError),
    #[error("the staff alert could not be sent yet")]
    SendLater(#[source] AlertError),
    #[error("another worker is sending the staff alert")]
    Busy,
}

impl DispatchError {
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Store(err) => err.is_transient(),
            Self::SendLater(_) | Self::Busy => true,
        }
    }
}

/// How long one worker may hold an alert before another may try it: longer
/// than any channel's call (SNS calls end within 4 s; the outbox holds its
/// own lease on the SMS).
const ALERT_LEASE_SECONDS: f64 = 30.0;

/// Sends a recorded alert through `alerts` unless it was sent already. A
/// refusal is logged and counted, and the alert stays unsent: retrying would
/// be refused again, and the conversation is listed for staff all the same.
pub async fn dispatch(
    pool: &Pool,
    alerts: &Arc<dyn StaffAlerts>,
    clock: &Arc<dyn Clock>,
    id: StaffAlertId,
) -> Result<(), DispatchError> {
    let claimed = match staff_alerts::claim(pool, id, clock.now(), ALERT_LEASE_SECONDS).await? {
        AlertClaim::Claimed(claimed) => claimed,
        AlertClaim::Busy => return Err(DispatchError::Busy),
        AlertClaim::Done => return Ok(()),
    };
    let alert = Alert {
        id: claimed.id,
        reason: claimed.reason,
        subject: claimed.subject,
        body: claimed.body,
    };
    match alerts.send(&alert).await {
        Ok(receipt) => {
            staff_alerts::mark_sent(
                pool,
                id,
                receipt.channel,
                receipt.id.as_deref(),
                clock.now(),
            )
            .await?;
            tracing::info!(
                alert_id = id.get(),
                channel = receipt.channel,
                "staff alerted"
            );
            metrics::count(Metric::StaffAlertsSent, 1);
            Ok(())
        }
        Err(AlertError::Refused(err)) => {
            tracing::error!(alert_id = id.get(), error = %err, "staff alert refused; staff were not told");
            metrics::count(Metric::StaffAlertsFailed, 1);
            staff_alerts::release(pool, id).await?;
            Ok(())
        }
        Err(err) => {
            tracing::warn!(alert_id = id.get(), error = %err, "staff alert not sent yet; retried");
            staff_alerts::release(pool, id).await?;
            Err(DispatchError::SendLater(err))
        }
    }
}
