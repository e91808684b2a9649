//! Appointment reminders: one per booked appointment (and start time), N hours
//! before it, never inside the contact's quiet hours (sent earlier instead).
//!
//! Owns when a reminder is due ([`send_at`], [`is_due`], pure) and sending it: in
//! one transaction the reminder row is claimed (unique per appointment time, so
//! overlapping runs send once), the message recorded and the conversation put in
//! `ReminderSent`, so a bare C, R or X is understood; then the outbox delivers
//! it (consent checked in the same statement as the claim). A reminder whose
//! send failed transiently is retried by the next run. Must not decide what C, R
//! or X do: the conversation does.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use smsbot_conversation::replies;
use smsbot_conversation::state::{Listed, State};
use smsbot_domain::SmsBody;
use smsbot_outbox::{Delivery, Outbox};
use smsbot_store::messages::MessageId;
use smsbot_store::outbound::{self, NewOutbound, Purpose};
use smsbot_store::reminders::{self, ReminderCandidate};
use smsbot_store::{Pool, StoreError, business_profile, conversations};

use crate::plan::Zones;
use crate::quiet::QuietHours;

#[derive(Debug, Clone)]
pub struct ReminderConfig {
    pub hours_before: i64,
    /// The schedule's period: a reminder due before the next run goes now, so a
    /// reminder moved to the minute before quiet hours is not missed.
    pub lookahead: Duration,
    pub quiet: QuietHours,
    pub business_name: String,
    pub business_timezone: Tz,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReminderReport {
    pub sent: usize,
    /// Claimed by this run but not sent (Twilio unavailable): retried next run.
    pub pending: usize,
    pub refused: usize,
}

/// When the reminder of an appointment starting at `starts_at` goes out: `hours`
/// before, or, if that is quiet for the contact, the last allowed minute before.
pub fn send_at(starts_at: DateTime<Utc>, hours: i64, quiet: &QuietHours, tz: Tz) -> DateTime<Utc> {
    quiet.last_allowed_at_or_before(starts_at - Duration::hours(hours), tz)
}

/// Whether to send the reminder now: its time comes before `now + lookahead`
/// (the next run), it is not quiet now
/// where the contact is, the appointment is still ahead, and it was booked
/// before the nominal reminder time (a booking made inside the reminder window
/// got its confirmation just now).
pub fn is_due(
    candidate: &ReminderCandidate,
    now: DateTime<Utc>,
    lookahead: Duration,
    hours: i64,
    quiet: &QuietHours,
    tz: Tz,
) -> bool {
    let nominal = candidate.starts_at - Duration::hours(hours);
    candidate.created_at < nominal
        && send_at(candidate.starts_at, hours, quiet, tz) <= now + lookahead
        && now < candidate.starts_at
        && !quiet.is_quiet(now, tz)
}

#[derive(Clone)]
pub struct Reminders {
    pool: Pool,
    outbox: Outbox,
    config: ReminderConfig,
}

impl Reminders {
    pub fn new(pool: Pool, outbox: Outbox, config: ReminderConfig) -> Self {
        Self {
            pool,
            outbox,
            config,
        }
    }

    /// Sends the reminders due at `now`, then retries unsent ones.
    pub async fn run(&self, now: DateTime<Utc>) -> Result<ReminderReport, StoreError> {
        let hours = self.config.hours_before;
        let client = self
            .pool
            .get()
            .await
            .map_err(|e| pool_error("reading reminders", e))?;
        // A quiet window moves a reminder earlier by less than a day.
        let candidates =
            reminders::candidates(&client, now, now + Duration::hours(hours + 24)).await?;
        let unsent = reminders::unsent(&client, now).await?;
        drop(client);
        let mut zones = Zones::new(self.config.business_timezone);
        let mut report = ReminderReport::default();
        for candidate in candidates {
            let tz = zones.of(candidate.contact_timezone.as_deref());
            let lookahead = self.config.lookahead;
            if !is_due(&candidate, now, lookahead, hours, &self.config.quiet, tz) {
                continue;
            }
            if let Some(message) = self.record(&candidate, now).await? {
                self.deliver(message, &mut report).await?;
            }
        }
        for message in unsent {
            self.deliver(message, &mut report).await?;
        }
        Ok(report)
    }

    /// Claims the reminder and records its message; `None` if another run did.
    async fn record(
        &self,
        candidate: &ReminderCandidate,
        now: DateTime<Utc>,
    ) -> Result<Option<MessageId>, StoreError> {
        const CONTEXT: &str = "recording a reminder";
        let mut client = self.pool.get().await.map_err(|e| pool_error(CONTEXT, e))?;
        let tx = client
            .transaction()
            .await
            .map_err(|e| db_error(CONTEXT, e))?;
        if !reminders::claim(&tx, candidate.appointment_id, candidate.starts_at).await? {
            return Ok(None);
        }
        // The name the front desk set through the admin API wins.
        let business = business_profile::stored_name(&tx)
            .await?
            .unwrap_or_else(|| self.config.business_name.clone());
        let text = replies::reminder(
            &business,
            candidate.starts_at,
            self.config.business_timezone,
        );
        let body = SmsBody::parse(text).map_err(|e| StoreError::Corrupt {
            what: "reminder text",
            detail: e.to_string(),
        })?;
        let message = outbound::record(
            &tx,
            &NewOutbound {
                contact_id: candidate.contact_id,
                body: &body,
                purpose: Purpose::Reminder(candidate.appointment_id),
            },
        )
        .await?;
        reminders::attach_message(&tx, candidate.appointment_id, candidate.starts_at, message)
            .await?;
        // Put the conversation in the reminder's context, unless the customer is
        // in the middle of something else.
        let stored = conversations::lock(&tx, candidate.contact_id).await?;
        let current = State::from_payload(&stored.payload);
        let live = current != State::Idle && stored.expires_at.is_some_and(|at| at > now);
        if !live || matches!(current, State::ReminderSent { .. }) {
            let next = State::ReminderSent {
                appointment: Listed {
                    appointment_id: candidate.appointment_id,
                    starts_at: candidate.starts_at,
                    // Answers to a reminder are about this one appointment.
                    service_id: None,
                },
            };
            conversations::save(
                &tx,
                candidate.contact_id,
                stored.version,
                next.name(),
                &next.to_payload(),
                Some(candidate.starts_at),
            )
            .await?;
        }
        tx.commit().await.map_err(|e| db_error(CONTEXT, e))?;
        Ok(Some(message))
    }

    async fn deliver(
        &self,
        message: MessageId,
        report: &mut ReminderReport,
    ) -> Result<(), StoreError> {
        let delivery = self.outbox.deliver(message).await.map_err(|e| e.0)?;
        match delivery {
            Delivery::Sent(_) => report.sent += 1,
            Delivery::NotClaimed => {}
            // Quiet hours, another worker, or the provider: the next run retries.
            Delivery::Busy | Delivery::Deferred(_) | Delivery::Retry(_) => report.pending += 1,
            Delivery::Refused(_) => report.refused += 1,
        }
        Ok(())
    }
}

fn pool_error(context: &'static str, err: deadpool_postgres::PoolError) -> StoreError {
    StoreError::Unavailable {
        context,
        source: Box::new(err),
    }
}

fn db_error(context: &'static str, err: deadpool_postgres::tokio_postgres::Error) -> StoreError {
    StoreError::Unavailable {
        context,
        source: Box::new(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ny(s: &str) -> DateTime<Utc> {
        chrono_tz::America::New_York
            .from_local_datetime(&s.parse().unwrap())
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_reminder_that_would_land_in_quiet_hours_goes_the_evening_before() {
        let tz = chrono_tz::America::New_York;
        let at = send_at(ny("2026-03-04T07:30:00"), 24, &QuietHours::default(), tz);
        assert_eq!(at, ny("2026-03-02T20:59:00"));
        let at = send_at(ny("2026-03-04T15:00:00"), 24, &QuietHours::default(), tz);
        assert_eq!(at, ny("2026-03-03T15:00:00"));
    }
}
