//! A human in the loop, inside a turn: when the bot steps back and what it
//! records when it does.
//!
//! A conversation goes to staff when the customer asks for a person or a
//! call, complains (`human_request`), or when the bot's reply would be "Sorry,
//! I didn't get that" for the second time in a row. The bot then says who will
//! follow up and when (from the opening hours), opens a handoff (the bot stays
//! quiet for the contact until staff release it or the quiet time passes) and
//! records an alert for staff, in the turn's transaction; the turn dispatches
//! the alert after commit. "Running late", "I'm here", "on my way" are
//! acknowledged and passed on to staff without a handoff.
//! Must not send anything, commit, or hold SQL: the turn and the store do.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use deadpool_postgres::GenericClient;
use smsbot_domain::{ContactId, MessageDirection, MessageId, StaffAlertId, StaffReason};
use smsbot_store::handoffs::{self, NewHandoff};
use smsbot_store::messages::{self, StoredMessage};
use smsbot_store::staff_alerts::{self, NewAlert};
use smsbot_store::{StoreError, appointments, contacts};

use crate::policy::Policy;
use crate::replies;
use crate::staff_alerts::{InMemoryStaffAlerts, StaffAlerts};

/// How the bot hands conversations to staff, and where it tells them.
#[derive(Clone)]
pub struct Handoff {
    /// How long the bot stays quiet unless staff release the contact sooner.
    pub quiet: Duration,
    pub alerts: Arc<dyn StaffAlerts>,
}

impl Handoff {
    pub fn new(quiet: Duration, alerts: Arc<dyn StaffAlerts>) -> Self {
        Self { quiet, alerts }
    }
}

/// Quiet for a day; alerts kept in memory (and logged) until a channel is set.
impl Default for Handoff {
    fn default() -> Self {
        Self::new(
            Duration::hours(24),
            Arc::new(InMemoryStaffAlerts::default()),
        )
    }
}

/// What the handoff answers instead of the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Handed {
    pub reason: StaffReason,
    pub reply: String,
    pub alert: StaffAlertId,
}

/// How many of the contact's last messages an alert quotes.
const QUOTED: i64 = 4;
/// How much of each.
const QUOTED_CHARS: usize = 120;

/// One turn's view of the handoff.
pub(crate) struct HandoffStep<'a, C> {
    pub db: &'a C,
    pub policy: &'a Policy,
    pub handoff: &'a Handoff,
    pub contact: ContactId,
    /// The message this turn answers.
    pub inbound: MessageId,
    pub now: DateTime<Utc>,
}

impl<C: GenericClient> HandoffStep<'_, C> {
    /// Whether the conversation is with staff: the bot records and stays quiet.
    pub async fn with_staff(&self) -> Result<bool, StoreError> {
        Ok(handoffs::open_at(self.db, self.contact, self.now)
            .await?
            .is_some())
    }

    /// Hands the conversation over for `reason`, or (a notice) passes it on.
    pub async fn raise(&self, reason: StaffReason) -> Result<Handed, StoreError> {
        let handoff = if reason.hands_off() {
            let opened = handoffs::open(
                self.db,
                &NewHandoff {
                    contact_id: self.contact,
                    reason,
                    since: self.now,
                    quiet_until: self.now + self.handoff.quiet,
                    trigger: Some(self.inbound),
                },
            )
            .await?;
            tracing::info!(
                reason = reason.as_str(),
                handoff_id = opened.id.get(),
                "conversation handed to staff"
            );
            Some(opened.id)
        } else {
            tracing::info!(reason = reason.as_str(), "notice passed to staff");
            None
        };
        let alert = self.record_alert(reason, handoff).await?;
        let reply = if reason.hands_off() {
            let local = self.now.with_timezone(&self.policy.timezone).naive_local();
            let when = replies::follow_up_when(self.policy.profile.hours.as_ref(), local);
            replies::handed_off(reason, &self.policy.business_name, &when)
        } else {
            replies::passed_on().to_owned()
        };
        Ok(Handed {
            reason,
            reply,
            alert,
        })
    }

    /// After the bot's own step: its second "didn't get that" in a row hands
    /// the conversation over instead.
    pub async fn after(&self, reply: &str) -> Result<Option<Handed>, StoreError> {
        if !replies::is_not_understood(reply) {
            return Ok(None);
        }
        let previous = messages::last_outbound_before(self.db, self.contact, self.inbound).await?;
        if !previous.is_some_and(|text| replies::is_not_understood(&text)) {
            return Ok(None);
        }
        Ok(Some(self.raise(StaffReason::NotUnderstood).await?))
    }

    async fn record_alert(
        &self,
        reason: StaffReason,
        handoff: Option<smsbot_domain::HandoffId>,
    ) -> Result<StaffAlertId, StoreError> {
        let contact = contacts::find_active(self.db, self.contact)
            .await?
            .ok_or(StoreError::NotFound("contact"))?;
        let recent = messages::recent_for_contact(self.db, self.contact, QUOTED).await?;
        // An appointment that may have started already (running late).
        let appointment =
            appointments::upcoming(self.db, self.contact, self.now - Duration::hours(2))
                .await?
                .first()
                .map(|a| a.starts_at);
        let business = &self.policy.business_name;
        let subject = format!("{business}: a customer {}", reason.describe());
        let who = match &contact.name {
            Some(name) => format!("{name} ({})", contact.phone.as_e164()),
            None => contact.phone.as_e164().to_owned(),
        };
        let body = alert_body(&AlertFacts {
            business,
            who: &who,
            contact: self.contact,
            reason,
            appointment,
            recent: &recent,
            tz: self.policy.timezone,
        });
        staff_alerts::record(
            self.db,
            &NewAlert {
                contact_id: self.contact,
                inbound: self.inbound,
                handoff,
                reason,
                subject: &subject,
                body: &body,
                at: self.now,
            },
        )
        .await
    }
}

/// What an alert tells staff.
struct AlertFacts<'a> {
    business: &'a str,
    /// The contact's name and number.
    who: &'a str,
    contact: ContactId,
    reason: StaffReason,
    appointment: Option<DateTime<Utc>>,
    recent: &'a [StoredMessage],
    tz: Tz,
}

/// The alert: who, why, their appointment, their last messages, and how to
/// answer (a few SMS segments at most).
fn alert_body(facts: &AlertFacts<'_>) -> String {
    let mut lines = vec![format!(
        "{}: {} {}.",
        facts.business,
        facts.who,
        facts.reason.describe()
    )];
    if let Some(at) = facts.appointment {
        lines.push(format!("Appointment: {}.", replies::when(at, facts.tz)));
    }
    let quoted: Vec<String> = facts
        .recent
        .iter()
        .filter_map(|m| {
            let body = m.body.as_deref()?;
            let who = match (m.direction, &m.staff_author) {
                (MessageDirection::Inbound, _) => "them".to_owned(),
                (_, Some(author)) => format!("staff ({author})"),
                _ => "bot".to_owned(),
            };
            Some(format!("{who}: {}", clip(body)))
        })
        .collect();
    if !quoted.is_empty() {
        lines.push("Last messages:".to_owned());
        lines.extend(quoted);
    }
    lines.push(format!(
        "Answer through the admin API (contact {}), or call them.",
        facts.contact
    ));
    lines.join("\n")
}

/// A quoted message cut to a line.
fn clip(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= QUOTED_CHARS {
        return one_line;
    }
    let cut: String = one_line.chars().take(QUOTED_CHARS - 3).collect();
    format!("{}...", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use smsbot_domain::{MessageStatus, SmsBody};

    fn message(direction: MessageDirection, body: &str, author: Option<&str>) -> StoredMessage {
        let at: DateTime<Utc> = "2026-03-02T14:00:00Z".parse().unwrap();
        StoredMessage {
            id: MessageId::new(1),
            contact_id: Some(ContactId::new(7)),
            direction,
            body: Some(body.to_owned()),
            twilio_sid: None,
            status: MessageStatus::Received,
            error_code: None,
            segments: 1,
            campaign_id: None,
            appointment_id: None,
            staff_author: author.map(str::to_owned),
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn an_alert_names_the_contact_the_reason_the_appointment_and_the_last_messages() {
        let recent = [
            message(MessageDirection::Inbound, "book fri 10", None),
            message(
                MessageDirection::Outbound,
                "Fri Mar 6, 10:00 AM is open.",
                None,
            ),
            message(MessageDirection::Outbound, "we can do 11 too", Some("Dana")),
            message(
                MessageDirection::Inbound,
                "running 10 min late, sorry!",
                None,
            ),
        ];
        let body = alert_body(&AlertFacts {
            business: "Test Salon",
            who: "Ana (+14155550101)",
            contact: ContactId::new(7),
            reason: StaffReason::RunningLate,
            appointment: Some("2026-03-06T15:00:00Z".parse().unwrap()),
            recent: &recent,
            tz: "America/New_York".parse().unwrap(),
        });
        assert_eq!(
            body,
            "Test Salon: Ana (+14155550101) is running late.\n\
             Appointment: Fri Mar 6, 10:00 AM.\n\
             Last messages:\n\
             them: book fri 10\n\
             bot: Fri Mar 6, 10:00 AM is open.\n\
             staff (Dana): we can do 11 too\n\
             them: running 10 min late, sorry!\n\
             Answer through the admin API (contact 7), or call them."
        );
    }

    #[test]
    fn a_long_rant_is_quoted_in_a_line_and_the_alert_stays_a_short_sms() {
        let rant = "this is ridiculous ".repeat(40);
        let recent: Vec<StoredMessage> = (0..4)
            .map(|_| message(MessageDirection::Inbound, &rant, None))
            .collect();
        let body = alert_body(&AlertFacts {
            business: "Bright Smile Dental Clinic of Springfield",
            who: "Anastasia Papadopoulou-Smith (+14155550101)",
            contact: ContactId::new(123_456),
            reason: StaffReason::Complaint,
            appointment: None,
            recent: &recent,
            tz: "America/New_York".parse().unwrap(),
        });
        assert!(body.lines().all(|l| l.chars().count() <= 130), "{body}");
        assert!(
            SmsBody::parse(body.clone()).unwrap().segments() <= 5,
            "{body}"
        );
    }
}
