//! Who a campaign reaches, by the consent its kind needs, through the whole
//! engine: the conversation a customer texts, the dispatcher, the sender,
//! appointment reminders, all sending through the Twilio stand-in. Broadcasts
//! reach only contacts who opted in to marketing (JOIN, or an import with
//! proof); texting in to book gives service consent only. After STOP nothing
//! of any kind arrives; START brings back service messages, and broadcasts
//! wait for a new JOIN.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Duration;
use smsbot_campaigns::{QuietHours, ReminderConfig, Reminders};
use smsbot_conversation::{Conversation, Policy};
use smsbot_domain::{
    CampaignId, CampaignKind, ContactId, InboundSms, MessageSid, PhoneNumber, SmsBody,
};
use smsbot_nlu::OfflineUnderstander;
use smsbot_outbox::Outbox;
use smsbot_store::appointments::{self, BookingOutcome, BookingRules};
use smsbot_store::campaigns::{self, CampaignStatus, NewCampaign};
use smsbot_store::contacts::{self, NewContact};

use crate::support::{BUSINESS, Engine, add_contact, all, business_tz, hm, twilio_sender, utc};

const ANA: &str = "+12125550101";
const BEN: &str = "+12125550102";
const CARA: &str = "+12125550103";

/// A business on Monday 10:00 in New York: the campaign engine, the
/// conversation and the reminders, one phone line.
struct Business {
    engine: Engine,
    conversation: Conversation,
    reminders: Reminders,
    sids: AtomicU64,
}

impl Business {
    async fn open() -> Self {
        let engine = Engine::start(utc("2026-03-02T15:00:00Z")).await;
        let outbox = || {
            Outbox::new(
                engine.db.pool.clone(),
                twilio_sender(&engine.twilio),
                engine.clock.clone(),
                business_tz(),
            )
        };
        let conversation = Conversation::new(
            engine.db.pool.clone(),
            Arc::new(OfflineUnderstander),
            outbox(),
            engine.clock.clone(),
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
        let reminders = Reminders::new(
            engine.db.pool.clone(),
            outbox(),
            ReminderConfig {
                hours_before: 24,
                lookahead: Duration::minutes(15),
                quiet: QuietHours::default(),
                business_name: BUSINESS.to_owned(),
                business_timezone: business_tz(),
            },
        );
        Self {
            engine,
            conversation,
            reminders,
            sids: AtomicU64::new(1),
        }
    }

    /// Everything the phone line sent to `phone`, in order.
    fn texts_to(&self, phone: &str) -> Vec<String> {
        self.engine
            .twilio
            .sent()
            .into_iter()
            .filter(|s| s.to == phone)
            .map(|s| s.body)
            .collect()
    }

    /// The customer texts the business; what it texted back.
    async fn text(&self, phone: &str, body: &str) -> Vec<String> {
        let before = self.texts_to(phone).len();
        let n = self.sids.fetch_add(1, Ordering::Relaxed);
        let sms = InboundSms {
            message_sid: MessageSid::parse(&format!("SM{n:032x}")).unwrap(),
            account_sid: None,
            from: PhoneNumber::parse_e164(phone).unwrap(),
            to: PhoneNumber::parse_e164("+14155550199").unwrap(),
            body: SmsBody::parse(body.to_owned()).unwrap(),
            num_media: 0,
            opt_out_type: None,
        };
        self.conversation.handle(&sms).await.unwrap();
        self.texts_to(phone).split_off(before)
    }

    /// A broadcast to everyone it may reach, dispatched and sent.
    async fn broadcast(&self, template: &str) -> CampaignId {
        let id = self.engine.campaign(template, all(), 10).await;
        self.engine.tick().await;
        self.engine.drain().await;
        id
    }

    /// A reminder campaign to everyone it may reach, dispatched and sent.
    async fn reminder_campaign(&self) -> CampaignId {
        let client = self.engine.db.pool.get().await.unwrap();
        let created = campaigns::create(
            &client,
            &NewCampaign {
                name: "see you soon",
                kind: CampaignKind::Reminder,
                template: "See you {appointment_time}!",
                audience: &all(),
                starts_at: Some(self.engine.now()),
                quiet_start: hm(21, 0),
                quiet_end: hm(8, 0),
                rate_per_second: 10,
            },
        )
        .await
        .unwrap();
        campaigns::set_status(
            &client,
            created.id,
            CampaignStatus::Draft,
            CampaignStatus::Scheduled,
        )
        .await
        .unwrap()
        .unwrap();
        self.engine.tick().await;
        self.engine.drain().await;
        created.id
    }

    /// Appointment reminders due now, sent.
    async fn remind(&self) -> usize {
        self.reminders.run(self.engine.now()).await.unwrap().sent
    }

    async fn contact(&self, phone: &str) -> ContactId {
        let client = self.engine.db.pool.get().await.unwrap();
        contacts::find_or_create_by_phone(&client, &PhoneNumber::parse_e164(phone).unwrap())
            .await
            .unwrap()
    }

    /// Books `phone` (last week) a day and ten minutes from now: its reminder is due.
    async fn book_tomorrow(&self, phone: &str) {
        let contact = self.contact(phone).await;
        let starts_at = self.engine.now() + Duration::hours(24) + Duration::minutes(10);
        let slot = self.engine.db.open_slot("Alex", starts_at, 5).await;
        let mut client = self.engine.db.pool.get().await.unwrap();
        let now = self.engine.now();
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
            panic!("the slot is free");
        };
        // Booked last week: its reminder is due a day before, as usual.
        tx.execute(
            "UPDATE appointments SET created_at = $2 WHERE id = $1",
            &[&appointment.id, &(now - Duration::days(7))],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

fn is_join_confirmation(text: &str) -> bool {
    text.starts_with(BUSINESS)
        && text.contains("up to 4 msgs/month")
        && text.contains("Msg&data rates may apply")
        && text.contains("Reply STOP to opt out")
}

#[tokio::test]
async fn a_contact_who_only_texted_to_book_is_never_a_broadcast_recipient() {
    let business = Business::open().await;
    let asked = business.text(ANA, "can I book tomorrow at 3pm?").await;
    assert_eq!(asked.len(), 1, "answered: {asked:?}");
    // Imported by an operator: once without proof of marketing consent, once with.
    let client = business.engine.db.pool.get().await.unwrap();
    contacts::insert(
        &client,
        &NewContact {
            phone: &PhoneNumber::parse_e164(BEN).unwrap(),
            name: Some("Ben"),
            timezone: None,
            tags: &[],
            consent: smsbot_domain::ConsentState::OptedIn,
            source: smsbot_domain::ConsentSource::Admin,
            marketing: None,
        },
    )
    .await
    .unwrap();
    add_contact(&business.engine.db, CARA, Some("Cara"), None, &[]).await;

    let campaign = business.broadcast("Spring whitening: 20% off!").await;

    assert_eq!(business.engine.campaign_row(campaign).await.targeted, 1);
    assert_eq!(business.texts_to(CARA), vec!["Spring whitening: 20% off!"]);
    assert_eq!(business.texts_to(ANA), asked, "no broadcast for Ana");
    assert!(business.texts_to(BEN).is_empty());
}

#[tokio::test]
async fn join_is_confirmed_with_the_terms_and_makes_the_contact_a_broadcast_recipient() {
    let business = Business::open().await;
    business.text(ANA, "can I book tomorrow at 3pm?").await;

    let confirmation = business.text(ANA, "Join!").await;

    assert_eq!(confirmation.len(), 1);
    assert!(
        is_join_confirmation(&confirmation[0]),
        "{}",
        confirmation[0]
    );
    business.broadcast("Spring whitening: 20% off!").await;
    assert_eq!(
        business.texts_to(ANA).last().unwrap(),
        "Spring whitening: 20% off!"
    );
}

#[tokio::test]
async fn after_stop_nothing_of_any_kind_reaches_the_contact() {
    let business = Business::open().await;
    business.text(ANA, "JOIN").await;
    business.book_tomorrow(ANA).await;

    assert!(
        business.text(ANA, "STOP").await.is_empty(),
        "Twilio confirms its own keyword"
    );
    let sent_before = business.texts_to(ANA).len();

    assert!(business.text(ANA, "book friday at 10am").await.is_empty());
    assert_eq!(business.remind().await, 0);
    let broadcast = business.broadcast("Spring whitening: 20% off!").await;
    let reminders = business.reminder_campaign().await;
    assert_eq!(business.texts_to(ANA).len(), sent_before, "nothing at all");
    assert_eq!(business.engine.campaign_row(broadcast).await.targeted, 0);
    assert_eq!(business.engine.campaign_row(reminders).await.targeted, 0);
}

#[tokio::test]
async fn start_brings_back_service_messages_and_broadcasts_wait_for_a_new_join() {
    let business = Business::open().await;
    business.text(ANA, "join").await;
    business.book_tomorrow(ANA).await;
    business.text(ANA, "stop pls").await;

    let back = business.text(ANA, "START").await;
    assert_eq!(back.len(), 1);
    assert!(
        back[0].starts_with("You're subscribed again"),
        "{}",
        back[0]
    );
    assert_eq!(
        business.remind().await,
        1,
        "the reminder of her appointment"
    );
    let sent = business.texts_to(ANA).len();
    business.broadcast("Spring whitening: 20% off!").await;
    assert_eq!(
        business.texts_to(ANA).len(),
        sent,
        "no broadcast after START"
    );

    let confirmation = business.text(ANA, "JOIN ").await;
    assert!(is_join_confirmation(&confirmation[0]), "{confirmation:?}");
    business.broadcast("Summer cleaning: book now!").await;
    assert_eq!(
        business.texts_to(ANA).last().unwrap(),
        "Summer cleaning: book now!"
    );
}

#[tokio::test]
async fn a_reminder_campaign_reaches_contacts_with_an_appointment_on_service_consent() {
    let business = Business::open().await;
    business.text(ANA, "hi").await;
    business.text(BEN, "hi").await;
    business.book_tomorrow(ANA).await;

    let campaign = business.reminder_campaign().await;

    assert_eq!(business.engine.campaign_row(campaign).await.targeted, 1);
    let last = business.texts_to(ANA).pop().unwrap();
    assert!(last.starts_with("See you "), "{last}");
    assert_eq!(business.texts_to(BEN).len(), 1, "only the answer to hi");
}

#[tokio::test]
async fn a_broadcast_names_the_business_as_the_front_desk_set_it() {
    let business = Business::open().await;
    add_contact(&business.engine.db, CARA, Some("Cara"), None, &[]).await;
    let client = business.engine.db.pool.get().await.unwrap();
    client
        .execute(
            "UPDATE business_profile SET name = 'Bright Smile Dental' WHERE id = 1",
            &[],
        )
        .await
        .unwrap();

    business
        .broadcast("{business_name}: spring whitening, 20% off!")
        .await;

    assert_eq!(
        business.texts_to(CARA),
        vec!["Bright Smile Dental: spring whitening, 20% off!"]
    );
}
