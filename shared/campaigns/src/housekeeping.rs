//! Housekeeping on a schedule: inbound messages the webhook parked while SQS was
//! unavailable (moved to the queue first: a customer is waiting), appointment
//! reminders, stale conversation states, past appointments.
//!
//! A conversation state is reset to idle only `state_grace` after it expired:
//! until then the conversation itself finds it expired and tells the customer
//! "our last chat timed out"; after that a silent reset is kinder than a notice
//! about a chat from long ago. A booked appointment that ended more than
//! `complete_after` ago is completed, leaving operators that long to mark a
//! no-show. Must not send anything but reminders.

use chrono::{DateTime, Duration, Utc};
use smsbot_store::{Pool, StoreError, appointments, conversations};
use smsbot_webhook::{DrainReport, ParkedDrain};

use crate::reminders::{ReminderReport, Reminders};

#[derive(Debug, Clone)]
pub struct HousekeepingConfig {
    pub state_grace: Duration,
    pub complete_after: Duration,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HousekeepingReport {
    pub parked_inbound: DrainReport,
    pub reminders: ReminderReport,
    pub conversations_expired: u64,
    pub appointments_completed: u64,
}

#[derive(Clone)]
pub struct Housekeeping {
    pub pool: Pool,
    pub parked_inbound: ParkedDrain,
    pub reminders: Reminders,
    pub config: HousekeepingConfig,
}

impl Housekeeping {
    pub async fn run(&self, now: DateTime<Utc>) -> Result<HousekeepingReport, StoreError> {
        let parked_inbound = self.parked_inbound.run().await?;
        let reminders = self.reminders.run(now).await?;
        let client = self.pool.get().await.map_err(|e| StoreError::Unavailable {
            context: "housekeeping",
            source: Box::new(e),
        })?;
        let conversations_expired =
            conversations::expire_stale(&client, now - self.config.state_grace).await?;
        let appointments_completed =
            appointments::complete_past(&client, now - self.config.complete_after).await?;
        Ok(HousekeepingReport {
            parked_inbound,
            reminders,
            conversations_expired,
            appointments_completed,
        })
    }
}
