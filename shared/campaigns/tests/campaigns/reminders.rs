//! Appointment reminders and housekeeping: one reminder per appointment, moved
//! out of quiet hours, answered with C, R or X.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use smsbot_aws::SqsQueue;
use smsbot_campaigns::housekeeping::{Housekeeping, HousekeepingConfig};
use smsbot_campaigns::{QuietHours, ReminderConfig, Reminders};
use smsbot_conversation::{Conversation, Policy, TurnOutcome};
use smsbot_domain::{AppointmentId, ContactId, ProviderId, SlotId};
use smsbot_domain::{InboundSms, MessageSid, PhoneNumber, SmsBody};
use smsbot_nlu::OfflineUnderstander;
use smsbot_outbox::{Clock, ConsoleSender, ManualClock, Outbox};
use smsbot_store::appointments::{self, BookingOutcome, BookingRules};
use smsbot_store::availability::{self, NewSlot};
use smsbot_test_support::TestDatabase;
use smsbot_webhook::ParkedDrain;
use smsbot_webhook::metrics::Tally;

use crate::support::{BUSINESS, add_contact, business_tz, local};

const ANA: &str = "+12125550101";

fn ny(s: &str) -> DateTime<Utc> {
    local(business_tz(), s)
}

struct Clinic {
    db: TestDatabase,
    clock: Arc<ManualClock>,
    phone: Arc<ConsoleSender>,
    reminders: Reminders,
    conversation: Conversation,
    provider: ProviderId,
    sids: std::sync::atomic::AtomicU64,
}

impl Clinic {
    async fn open(now: DateTime<Utc>) -> Self {
        let db = TestDatabase::create().await;
        let clock = Arc::new(ManualClock::at(now));
        let phone = Arc::new(ConsoleSender::quiet());
        let reminders = Reminders::new(
            db.pool.clone(),
            Outbox::new(db.pool.clone(), phone.clone(), clock.clone(), business_tz()),
            ReminderConfig {
                hours_before: 24,
                lookahead: Duration::minutes(15),
                quiet: QuietHours::default(),
                business_name: BUSINESS.to_owned(),
                business_timezone: business_tz(),
            },
        );
        let conversation = Conversation::new(
            db.pool.clone(),
            Arc::new(OfflineUnderstander),
            Outbox::new(db.pool.clone(), phone.clone(), clock.clone(), business_tz()),
            clock.clone(),
            Policy {
                timezone: business_tz(),
                business_name: BUSINESS.to_owned(),
                lead_time: Duration::hours(1),
                horizon: Duration::days(60),
                max_open_appointments: 3,
                conversation_ttl: Duration::minutes(30),
                offers_per_reply: 3,
                min_confidence: 0.5,
                profile: Default::default(),
                marketing: Default::default(),
                no_show_limit: None,
                links_base: None,
            },
        );
        let client = db.pool.get().await.unwrap();
        let provider = availability::ensure_provider(&client, "Alex")
            .await
            .unwrap();
        drop(client);
        Self {
            db,
            clock,
            phone,
            reminders,
            conversation,
            provider,
            sids: Default::default(),
        }
    }

    /// Books `contact` into a new 30-minute slot at `starts_at` (plus two free
    /// slots the next day, for rescheduling).
    async fn book(&self, contact: ContactId, starts_at: DateTime<Utc>) -> AppointmentId {
        let mut client = self.db.pool.get().await.unwrap();
        let slots: Vec<NewSlot> = [
            starts_at,
            starts_at + Duration::days(1),
            starts_at + Duration::days(1) + Duration::hours(1),
        ]
        .into_iter()
        .map(|s| NewSlot {
            starts_at: s,
            ends_at: s + Duration::minutes(30),
            capacity: 1,
        })
        .collect();
        availability::insert_missing(&client, self.provider, &slots)
            .await
            .unwrap();
        let slot: SlotId = client
            .query_one(
                "SELECT id FROM availability_slots WHERE starts_at = $1",
                &[&starts_at],
            )
            .await
            .unwrap()
            .get(0);
        let now = self.clock.now();
        let rules = BookingRules {
            earliest: now,
            latest: now + Duration::days(60),
            max_open: 3,
            now,
        };
        let tx = client.transaction().await.unwrap();
        let BookingOutcome::Booked(appointment) = appointments::book(&tx, contact, slot, &rules)
            .await
            .unwrap()
        else {
            panic!("booking failed");
        };
        // Booked now on the test's clock (the row's default is the server's).
        tx.execute(
            "UPDATE appointments SET created_at = $2 WHERE id = $1",
            &[&appointment.id, &now],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        appointment.id
    }

    async fn text(&self, body: &str) -> (TurnOutcome, Vec<String>) {
        let n = self.sids.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let sms = InboundSms {
            message_sid: MessageSid::parse(&format!("SM{:032x}", 0xabc0000 + n)).unwrap(),
            account_sid: None,
            from: PhoneNumber::parse_e164(ANA).unwrap(),
            to: PhoneNumber::parse_e164("+14155550199").unwrap(),
            body: SmsBody::parse(body.to_owned()).unwrap(),
            num_media: 0,
            opt_out_type: None,
        };
        let outcome = self.conversation.handle(&sms).await.unwrap();
        (outcome, self.phone.take(ANA))
    }

    async fn remind(&self) -> usize {
        self.reminders.run(self.clock.now()).await.unwrap().sent
    }

    async fn appointment_status(&self, id: AppointmentId) -> String {
        let client = self.db.pool.get().await.unwrap();
        client
            .query_one("SELECT status FROM appointments WHERE id = $1", &[&id])
            .await
            .unwrap()
            .get(0)
    }
}

#[tokio::test]
async fn a_reminder_is_sent_once_a_day_before_the_appointment() {
    let clinic = Clinic::open(ny("2031-03-03T09:00:00")).await;
    let ana = add_contact(&clinic.db, ANA, Some("Ana"), None, &[]).await;
    let appointment = clinic.book(ana, ny("2031-03-04T15:00:00")).await;

    clinic.clock.advance(Duration::hours(5)); // 14:00, a day and an hour before
    assert_eq!(clinic.remind().await, 0);
    clinic.clock.advance(Duration::minutes(50)); // 14:50: due before the next run
    let (a, b) = tokio::join!(clinic.remind(), clinic.remind());
    assert_eq!(a + b, 1, "overlapping runs send one reminder");
    clinic.clock.advance(Duration::minutes(15));
    assert_eq!(clinic.remind().await, 0);

    let texts = clinic.phone.take(ANA);
    assert_eq!(texts.len(), 1);
    assert_eq!(
        texts[0],
        "Reminder from Bright Smile: your appointment is Tue Mar 4, 3:00 PM. Reply C to confirm, R to reschedule, or X to cancel."
    );
    let client = clinic.db.pool.get().await.unwrap();
    assert_eq!(
        smsbot_store::reminders::count_for(&client, appointment)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn a_reminder_signs_with_the_name_the_front_desk_gave_the_business() {
    let clinic = Clinic::open(ny("2031-03-03T09:00:00")).await;
    let ana = add_contact(&clinic.db, ANA, Some("Ana"), None, &[]).await;
    clinic.book(ana, ny("2031-03-04T15:00:00")).await;
    let client = clinic.db.pool.get().await.unwrap();
    client
        .execute(
            "UPDATE business_profile SET name = 'Bright Smile Dental' WHERE id = 1",
            &[],
        )
        .await
        .unwrap();

    clinic.clock.advance(Duration::minutes(350));
    assert_eq!(clinic.remind().await, 1);

    let texts = clinic.phone.take(ANA);
    assert!(
        texts[0].starts_with("Reminder from Bright Smile Dental: "),
        "{texts:?}"
    );
}

#[tokio::test]
async fn a_reminder_that_would_fall_in_quiet_hours_is_sent_the_evening_before() {
    // 07:30 on Wednesday: 24 hours before is 07:30 on Tuesday, still quiet, so
    // the reminder goes on Monday evening before 21:00.
    let clinic = Clinic::open(ny("2031-03-03T12:00:00")).await;
    let ana = add_contact(&clinic.db, ANA, Some("Ana"), None, &[]).await;
    clinic.book(ana, ny("2031-03-05T07:30:00")).await;

    clinic.clock.advance(Duration::hours(8)); // 20:00
    assert_eq!(clinic.remind().await, 0);
    clinic.clock.advance(Duration::minutes(45)); // 20:45
    assert_eq!(clinic.remind().await, 1);
    clinic.clock.advance(Duration::hours(11)); // 07:45 Tuesday
    assert_eq!(clinic.remind().await, 0);
}

#[tokio::test]
async fn replying_c_confirms_the_appointment() {
    let clinic = Clinic::open(ny("2031-03-03T14:00:00")).await;
    let ana = add_contact(&clinic.db, ANA, Some("Ana"), None, &[]).await;
    let appointment = clinic.book(ana, ny("2031-03-04T15:00:00")).await;
    clinic.clock.advance(Duration::hours(1));
    assert_eq!(clinic.remind().await, 1);
    clinic.phone.take(ANA);

    let (_, replies) = clinic.text("c").await;
    assert_eq!(
        replies,
        vec!["Thanks, you're confirmed for Tue Mar 4, 3:00 PM. See you then!".to_owned()]
    );
    let client = clinic.db.pool.get().await.unwrap();
    let confirmed = appointments::confirmed_at(&client, appointment)
        .await
        .unwrap();
    assert_eq!(confirmed, Some(clinic.clock.now()));
}

#[tokio::test]
async fn replying_x_asks_before_cancelling_and_yes_cancels() {
    let clinic = Clinic::open(ny("2031-03-03T14:00:00")).await;
    let ana = add_contact(&clinic.db, ANA, Some("Ana"), None, &[]).await;
    let appointment = clinic.book(ana, ny("2031-03-04T15:00:00")).await;
    clinic.clock.advance(Duration::hours(1));
    assert_eq!(clinic.remind().await, 1);
    clinic.phone.take(ANA);

    let (_, replies) = clinic.text("X").await;
    assert_eq!(
        replies,
        vec!["Cancel your appointment on Tue Mar 4, 3:00 PM? Reply YES or NO.".to_owned()]
    );
    let (_, replies) = clinic.text("yes").await;
    assert_eq!(
        replies,
        vec!["Your Tue Mar 4, 3:00 PM appointment is cancelled.".to_owned()]
    );
    assert_eq!(clinic.appointment_status(appointment).await, "cancelled");
}

#[tokio::test]
async fn replying_r_offers_other_times_and_a_lone_cancel_still_opts_out() {
    let clinic = Clinic::open(ny("2031-03-03T14:00:00")).await;
    let ana = add_contact(&clinic.db, ANA, Some("Ana"), None, &[]).await;
    let appointment = clinic.book(ana, ny("2031-03-04T15:00:00")).await;
    clinic.clock.advance(Duration::hours(1));
    assert_eq!(clinic.remind().await, 1);
    clinic.phone.take(ANA);

    let (_, replies) = clinic.text("R").await;
    assert_eq!(replies.len(), 1);
    assert!(
        replies[0].starts_with("I have: 1) Wed Mar 5, 3:00 PM"),
        "{replies:?}"
    );

    let (outcome, replies) = clinic.text("CANCEL").await;
    assert_eq!(outcome, TurnOutcome::OptedOut);
    assert!(replies.is_empty());
    assert_eq!(clinic.appointment_status(appointment).await, "booked");
}

#[tokio::test]
async fn housekeeping_expires_stale_states_after_a_grace_and_completes_past_appointments() {
    let clinic = Clinic::open(ny("2031-03-03T15:00:00")).await;
    let ana = add_contact(&clinic.db, ANA, Some("Ana"), None, &[]).await;
    let appointment = clinic.book(ana, ny("2031-03-03T17:00:00")).await;
    let (_, replies) = clinic.text("cancel appointment").await;
    assert!(
        replies[0].starts_with("Cancel your appointment"),
        "{replies:?}"
    );

    let sdk = smsbot_test_support::aws().await;
    let inbound = smsbot_test_support::create_fifo_queue(&sdk, "inbound").await;
    let housekeeping = Housekeeping {
        pool: clinic.db.pool.clone(),
        parked_inbound: ParkedDrain::new(
            clinic.db.pool.clone(),
            Arc::new(SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), inbound)),
            Arc::new(Tally::default()),
        ),
        reminders: clinic.reminders.clone(),
        config: HousekeepingConfig {
            state_grace: Duration::hours(2),
            complete_after: Duration::hours(12),
        },
    };
    // The state expired 30 minutes after it was set; within the grace the
    // conversation still says it timed out.
    clinic.clock.advance(Duration::hours(1));
    let report = housekeeping.run(clinic.clock.now()).await.unwrap();
    assert_eq!(report.conversations_expired, 0);
    clinic.clock.advance(Duration::hours(2));
    let report = housekeeping.run(clinic.clock.now()).await.unwrap();
    assert_eq!(report.conversations_expired, 1);
    assert_eq!(
        report.appointments_completed, 0,
        "an operator may still mark a no-show"
    );
    clinic.clock.advance(Duration::hours(12));
    let report = housekeeping.run(clinic.clock.now()).await.unwrap();
    assert_eq!(report.appointments_completed, 1);
    assert_eq!(clinic.appointment_status(appointment).await, "completed");
}
