//! The consent each message needs, checked where every send starts: the
//! outbox's claim. A reply, a reminder and a broadcast message are recorded for
//! one contact, and the claim says which of them may go as the contact texts
//! JOIN, STOP, START and JOIN again.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use smsbot_domain::{
    CampaignKind, ConsentEvidence, ConsentKind, ConsentSource, ConsentState, ContactId, MessageId,
    PhoneNumber, SmsBody,
};
use smsbot_store::appointments::{self, BookingOutcome, BookingRules};
use smsbot_store::campaigns::{self, NewCampaign};
use smsbot_store::consent::{self, ConsentChange};
use smsbot_store::contacts;
use smsbot_store::messages::{self, InboundRecord};
use smsbot_store::outbound::{self, Claim, NewOutbound, Purpose};
use smsbot_test_support::TestDatabase;

fn now() -> DateTime<Utc> {
    "2026-03-02T15:00:00Z".parse().unwrap()
}

/// One contact, and one message of every purpose waiting to be sent to them.
struct Outbox {
    db: TestDatabase,
    contact: ContactId,
    reply: MessageId,
    compliance_reply: MessageId,
    reminder: MessageId,
    broadcast: MessageId,
    reminder_campaign: MessageId,
}

impl Outbox {
    /// A contact who texted in (service consent only) with a booked
    /// appointment, and the messages.
    async fn with_messages() -> Self {
        let db = TestDatabase::create().await;
        let client = db.pool.get().await.unwrap();
        let phone = PhoneNumber::parse_e164("+12125550101").unwrap();
        let contact = contacts::find_or_create_by_phone(&client, &phone)
            .await
            .unwrap();
        let body = SmsBody::parse("hello".to_owned()).unwrap();
        let record = |purpose| NewOutbound {
            contact_id: contact,
            body: &body,
            purpose,
        };
        let inbound = |sid: &'static str| {
            let client = &client;
            async move {
                match messages::record_inbound(client, contact, sid, "hi", 1)
                    .await
                    .unwrap()
                {
                    InboundRecord::New(id) | InboundRecord::Duplicate(id) => id,
                }
            }
        };
        let first = inbound("SM00000000000000000000000000000001").await;
        let second = inbound("SM00000000000000000000000000000002").await;
        let reply = outbound::record(
            &client,
            &record(Purpose::Reply {
                inbound: first,
                correlation_id: "c1",
            }),
        )
        .await
        .unwrap();
        let compliance_reply = outbound::record(
            &client,
            &record(Purpose::ComplianceReply {
                inbound: second,
                correlation_id: "c2",
            }),
        )
        .await
        .unwrap();
        let appointment = book(&db, contact).await;
        let reminder = outbound::record(&client, &record(Purpose::Reminder(appointment)))
            .await
            .unwrap();
        let broadcast = campaign_message(&db, contact, CampaignKind::Broadcast, &body).await;
        let reminder_campaign = campaign_message(&db, contact, CampaignKind::Reminder, &body).await;
        drop(client);
        Self {
            db,
            contact,
            reply,
            compliance_reply,
            reminder,
            broadcast,
            reminder_campaign,
        }
    }

    /// Whether the outbox may send `message` now (the lease is given back).
    async fn may_send(&self, message: MessageId) -> bool {
        match outbound::claim(&self.db.pool, message, now(), 30.0)
            .await
            .unwrap()
        {
            Claim::Claimed(_) => {
                outbound::release(&self.db.pool, message).await.unwrap();
                true
            }
            Claim::Closed => false,
            Claim::Busy => panic!("nothing else holds a lease here"),
        }
    }

    /// (reply, reminder, reminder campaign, broadcast): which may go.
    async fn sendable(&self) -> [bool; 4] {
        [
            self.may_send(self.reply).await,
            self.may_send(self.reminder).await,
            self.may_send(self.reminder_campaign).await,
            self.may_send(self.broadcast).await,
        ]
    }

    async fn texts(&self, state: ConsentState, word: &str) {
        let client = self.db.pool.get().await.unwrap();
        consent::set_consent(
            &client,
            self.contact,
            state,
            ConsentSource::Keyword,
            Some(word),
        )
        .await
        .unwrap();
    }

    async fn joins(&self) {
        let client = self.db.pool.get().await.unwrap();
        let proof = ConsentEvidence::texted(
            &smsbot_domain::MessageSid::parse("SM00000000000000000000000000000009").unwrap(),
            "Bright Smile: you're signed up for offers by text.",
            now(),
        );
        consent::record(
            &client,
            self.contact,
            &ConsentChange {
                kind: ConsentKind::Marketing,
                state: ConsentState::OptedIn,
                source: ConsentSource::Keyword,
                detail: Some("JOIN"),
                evidence: Some(&proof),
            },
        )
        .await
        .unwrap();
    }
}

async fn book(db: &TestDatabase, contact: ContactId) -> smsbot_domain::AppointmentId {
    let slot = db.open_slot("Alex", now() + Duration::days(1), 1).await;
    let mut client = db.pool.get().await.unwrap();
    let rules = BookingRules {
        earliest: now(),
        latest: now() + Duration::days(60),
        max_open: 3,
        now: now(),
    };
    let tx = client.transaction().await.unwrap();
    let BookingOutcome::Booked(appointment) = appointments::book(&tx, contact, slot, &rules)
        .await
        .unwrap()
    else {
        panic!("the slot is free");
    };
    tx.commit().await.unwrap();
    appointment.id
}

/// A running campaign of `kind` with `contact` queued and its message recorded.
async fn campaign_message(
    db: &TestDatabase,
    contact: ContactId,
    kind: CampaignKind,
    body: &SmsBody,
) -> MessageId {
    let client = db.pool.get().await.unwrap();
    let campaign = campaigns::create(
        &client,
        &NewCampaign {
            name: kind.as_str(),
            kind,
            template: "hello",
            audience: &serde_json::json!({"type": "all_opted_in"}),
            starts_at: Some(now()),
            quiet_start: NaiveTime::from_hms_opt(23, 59, 0).unwrap(),
            quiet_end: NaiveTime::from_hms_opt(0, 0, 0).unwrap(),
            rate_per_second: 10,
        },
    )
    .await
    .unwrap();
    client
        .execute(
            "UPDATE campaigns SET status = 'running', recipients_materialised_at = $2
              WHERE id = $1",
            &[&campaign.id, &now()],
        )
        .await
        .unwrap();
    let message = outbound::record(
        &client,
        &NewOutbound {
            contact_id: contact,
            body,
            purpose: Purpose::Campaign(campaign.id),
        },
    )
    .await
    .unwrap();
    client
        .execute(
            "INSERT INTO campaign_recipients (campaign_id, contact_id, status, message_id)
             VALUES ($1, $2, 'queued', $3)",
            &[&campaign.id, &contact, &message],
        )
        .await
        .unwrap();
    message
}

#[tokio::test]
async fn a_contact_who_texted_in_gets_replies_and_reminders_but_no_broadcast() {
    let outbox = Outbox::with_messages().await;
    assert_eq!(outbox.sendable().await, [true, true, true, false]);
}

#[tokio::test]
async fn after_join_the_broadcast_may_go_too() {
    let outbox = Outbox::with_messages().await;
    outbox.joins().await;
    assert_eq!(outbox.sendable().await, [true, true, true, true]);
}

#[tokio::test]
async fn after_stop_nothing_of_any_kind_goes_but_the_confirmation_of_the_stop() {
    let outbox = Outbox::with_messages().await;
    outbox.joins().await;
    outbox.texts(ConsentState::OptedOut, "STOP").await;
    assert_eq!(outbox.sendable().await, [false, false, false, false]);
    assert!(outbox.may_send(outbox.compliance_reply).await);
}

#[tokio::test]
async fn start_brings_back_service_messages_and_only_a_new_join_the_broadcast() {
    let outbox = Outbox::with_messages().await;
    outbox.joins().await;
    outbox.texts(ConsentState::OptedOut, "STOP").await;
    outbox.texts(ConsentState::OptedIn, "START").await;
    assert_eq!(outbox.sendable().await, [true, true, true, false]);
    outbox.joins().await;
    assert_eq!(outbox.sendable().await, [true, true, true, true]);
}

#[tokio::test]
async fn every_change_is_on_the_audit_trail_with_its_kind_actor_and_proof() {
    let outbox = Outbox::with_messages().await;
    outbox.joins().await;
    outbox.texts(ConsentState::OptedOut, "STOP").await;
    outbox.texts(ConsentState::OptedOut, "STOP").await; // redelivered: no new event
    outbox.texts(ConsentState::OptedIn, "START").await;
    let client = outbox.db.pool.get().await.unwrap();
    let history = consent::history(&client, outbox.contact).await.unwrap();
    let summary: Vec<(&str, &str, &str, &str, Option<&str>)> = history
        .iter()
        .map(|e| {
            (
                e.kind.as_str(),
                e.state.as_str(),
                e.source.as_str(),
                e.actor.as_str(),
                e.detail.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "service",
                "opted_in",
                "inbound",
                "customer",
                Some("first text message")
            ),
            ("marketing", "opted_in", "keyword", "customer", Some("JOIN")),
            ("service", "opted_out", "keyword", "customer", Some("STOP")),
            (
                "marketing",
                "opted_out",
                "keyword",
                "customer",
                Some("STOP")
            ),
            ("service", "opted_in", "keyword", "customer", Some("START")),
        ]
    );
    let proof = history[1]
        .evidence
        .as_ref()
        .expect("a marketing opt-in has proof");
    assert_eq!(
        proof.source(),
        "text message SM00000000000000000000000000000009 from the contact"
    );
    assert!(
        history
            .iter()
            .filter(|e| e.kind == ConsentKind::Service)
            .all(|e| e.evidence.is_none())
    );
}

#[tokio::test]
async fn the_database_refuses_a_marketing_opt_in_without_proof_or_without_service_consent() {
    let outbox = Outbox::with_messages().await;
    let client = outbox.db.pool.get().await.unwrap();
    let unproven = ConsentChange {
        kind: ConsentKind::Marketing,
        state: ConsentState::OptedIn,
        source: ConsentSource::Admin,
        detail: None,
        evidence: None,
    };
    let refused = consent::record(&client, outbox.contact, &unproven).await;
    assert!(
        matches!(refused, Err(smsbot_store::StoreError::Conflict { .. })),
        "{refused:?}"
    );
    outbox.texts(ConsentState::OptedOut, "STOP").await;
    let proof = ConsentEvidence::new(
        Some("paper form"),
        Some("Yes, text me offers."),
        Some(now()),
        now(),
    )
    .unwrap();
    let without_service = consent::record(
        &client,
        outbox.contact,
        &ConsentChange {
            evidence: Some(&proof),
            ..unproven
        },
    )
    .await;
    assert!(
        matches!(
            without_service,
            Err(smsbot_store::StoreError::Conflict { .. })
        ),
        "{without_service:?}"
    );
}
