//! Conversations handed to staff: listed with their last messages, answered
//! by staff through the outbox, released back to the bot.

use std::sync::Arc;

use async_trait::async_trait;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use smsbot_domain::{ContactId, PhoneNumber, StaffReason};
use smsbot_outbox::{Clock, SendFailure, SendOptions, SentSms, SmsSender};
use smsbot_store::handoffs::{self, NewHandoff};
use smsbot_store::messages::{self, InboundRecord};

use crate::support::{Admin, assert_conflict, assert_not_found, assert_validation_failed};

const ANA: &str = "+14155550801";
const BEN: &str = "+14155550802";
const CY: &str = "+14155550803";

impl Admin {
    /// A text from `contact`, recorded as the conversation worker records it.
    async fn texted(&self, contact: i64, body: &str) {
        let client = self.pool().get().await.unwrap();
        let sid = format!("SM{}", uuid_like(contact, body));
        let recorded =
            messages::record_inbound(&client, ContactId::new(contact), &sid, body, 1).await;
        assert!(
            matches!(recorded, Ok(InboundRecord::New(_))),
            "{recorded:?}"
        );
    }

    /// `contact`'s conversation handed to staff at `since` for a day.
    async fn handed_over(&self, contact: i64, reason: StaffReason, since: DateTime<Utc>) {
        let client = self.pool().get().await.unwrap();
        handoffs::open(
            &client,
            &NewHandoff {
                contact_id: ContactId::new(contact),
                reason,
                since,
                quiet_until: since + Duration::hours(24),
                trigger: None,
            },
        )
        .await
        .unwrap();
    }

    async fn needing_human(&self) -> Vec<Value> {
        let (status, body) = self.get("/api/conversations/needing-human").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"].as_array().unwrap().clone()
    }

    async fn write(&self, contact: i64, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/conversations/{contact}/messages"), body)
            .await
    }
}

/// A Twilio-shaped SID unique to a contact and a text.
fn uuid_like(contact: i64, body: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (contact, body).hash(&mut hasher);
    format!("{:016x}{:016x}", contact, hasher.finish())
}

#[tokio::test]
async fn conversations_with_staff_are_listed_with_the_contact_the_reason_and_the_last_messages() {
    let admin = Admin::start().await;
    let now = admin.clock.now();
    let (ana, ben, cy) = (
        admin.contact(ANA).await,
        admin.contact(BEN).await,
        admin.contact(CY).await,
    );
    admin.texted(ana, "book friday 10").await;
    admin.texted(ana, "can i talk to a real person??").await;
    admin.texted(ben, "this is ridiculous").await;
    admin.texted(cy, "book me tmrw").await;
    admin
        .handed_over(ana, StaffReason::AskedForPerson, now - Duration::hours(2))
        .await;
    admin
        .handed_over(ben, StaffReason::Complaint, now - Duration::hours(1))
        .await;
    // Cy's handoff ended yesterday: the bot answers Cy again.
    admin
        .handed_over(cy, StaffReason::NotUnderstood, now - Duration::hours(30))
        .await;

    let listed = admin.needing_human().await;

    assert_eq!(listed.len(), 2, "{listed:#?}");
    assert_eq!(listed[0]["contact_id"], ana);
    assert_eq!(listed[0]["phone"], ANA);
    assert_eq!(listed[0]["reason"], "asked_for_person");
    let since = listed[0]["since"].as_str().unwrap();
    assert_eq!(
        DateTime::parse_from_rfc3339(since).unwrap(),
        now - Duration::hours(2)
    );
    let recent: Vec<&str> = listed[0]["recent_messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(recent, ["book friday 10", "can i talk to a real person??"]);
    assert_eq!(listed[1]["contact_id"], ben);
    assert_eq!(listed[1]["reason"], "complaint");
}

#[tokio::test]
async fn staff_write_to_a_contact_through_the_outbox_with_their_name_on_it() {
    let admin = Admin::start().await;
    let ana = admin.contact(ANA).await;
    admin.texted(ana, "call me pls").await;

    let (status, sent) = admin
        .write(
            ana,
            json!({"body": "Hi Ana, it's Dana from the salon. Calling you in 5!", "author": "Dana"}),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["author"], "Dana");
    assert_eq!(sent["direction"], "outbound");
    assert!(sent["twilio_sid"].as_str().is_some(), "{sent}");
    assert_eq!(
        admin.phone.take(ANA),
        ["Hi Ana, it's Dana from the salon. Calling you in 5!"]
    );
    let (_, page) = admin.get(&format!("/api/messages?contact_id={ana}")).await;
    let authors: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["author"])
        .collect();
    assert_eq!(authors, [&Value::Null, &json!("Dana")]);
    // Staff are talking to Ana now: the bot stays out of it.
    let listed = admin.needing_human().await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["reason"], "staff_message");
}

#[tokio::test]
async fn a_staff_message_keeps_the_bot_quiet_a_full_quiet_time_from_then() {
    let admin = Admin::start().await;
    let start = admin.clock.now();
    let ana = admin.contact(ANA).await;
    admin
        .handed_over(ana, StaffReason::AskedForCall, start)
        .await;
    admin.clock.advance(Duration::hours(20));

    let (status, _) = admin
        .write(ana, json!({"body": "sorry for the wait!", "author": "Sam"}))
        .await;

    assert_eq!(status, StatusCode::CREATED);
    let listed = admin.needing_human().await;
    assert_eq!(listed[0]["reason"], "asked_for_call");
    let until = listed[0]["quiet_until"].as_str().unwrap();
    assert_eq!(
        DateTime::parse_from_rfc3339(until).unwrap(),
        start + Duration::hours(44)
    );
}

#[tokio::test]
async fn a_staff_message_to_a_contact_who_opted_out_is_refused_and_nothing_is_sent() {
    let admin = Admin::start().await;
    let ana = admin.contact(ANA).await;
    let (status, _) = admin
        .patch(
            &format!("/api/contacts/{ana}"),
            json!({"consent": "opted_out"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let answer = admin
        .write(
            ana,
            json!({"body": "are you still coming?", "author": "Dana"}),
        )
        .await;

    assert_conflict(&answer, "no_service_consent");
    assert!(admin.phone.take(ANA).is_empty());
    let rows = admin
        .sql_rows(
            "SELECT count(*) FROM messages WHERE direction = 'outbound'",
            &[],
        )
        .await;
    assert_eq!(rows[0].get::<_, i64>(0), 0);
}

#[tokio::test]
async fn a_staff_message_needs_a_known_contact_a_text_and_an_author() {
    let admin = Admin::start().await;
    let ana = admin.contact(ANA).await;

    assert_not_found(
        &admin
            .write(999_999, json!({"body": "hi", "author": "Dana"}))
            .await,
    );
    for body in [
        json!({"body": "   ", "author": "Dana"}),
        json!({"body": "hi", "author": " "}),
        json!({"body": "x".repeat(1601), "author": "Dana"}),
        json!({"body": "hi"}),
        json!({"body": "hi", "author": "Dana", "cc": "boss"}),
    ] {
        assert_validation_failed(&admin.write(ana, body).await);
    }
    assert!(admin.phone.take(ANA).is_empty());
}

/// A provider that refuses every number as unable to take SMS.
struct RefusingProvider;

#[async_trait]
impl SmsSender for RefusingProvider {
    async fn send(
        &self,
        _to: &PhoneNumber,
        _body: &str,
        _options: &SendOptions,
    ) -> Result<SentSms, SendFailure> {
        Err(SendFailure::InvalidRecipient { code: Some(21614) })
    }

    async fn find_sent(
        &self,
        _to: &PhoneNumber,
        _body: &str,
        _since: DateTime<Utc>,
    ) -> Result<Vec<SentSms>, SendFailure> {
        Ok(Vec::new())
    }
}

#[tokio::test]
async fn a_staff_message_the_provider_refuses_is_a_conflict_recorded_as_failed() {
    let admin = Admin::start().await;
    let ana = admin.contact(ANA).await;
    let mut state = admin.state();
    state.staff.outbox = smsbot_outbox::Outbox::new(
        admin.pool().clone(),
        Arc::new(RefusingProvider),
        admin.clock.clone(),
        "America/New_York".parse().unwrap(),
    );
    let request = axum::http::Request::post(format!("/api/conversations/{ana}/messages"))
        .header("x-api-key", crate::support::KEY)
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            json!({"body": "hello?", "author": "Dana"}).to_string(),
        ))
        .unwrap();

    let answer = crate::support::send(smsbot_admin::router(state), request).await;

    assert_conflict(&answer, "sms_refused");
    let rows = admin
        .sql_rows(
            "SELECT status, error_code, staff_author FROM messages WHERE direction = 'outbound'",
            &[],
        )
        .await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<_, String>(0), "failed");
    assert_eq!(rows[0].get::<_, Option<i32>>(1), Some(21614));
    assert_eq!(rows[0].get::<_, String>(2), "Dana");
}

#[tokio::test]
async fn releasing_gives_the_conversation_back_to_the_bot_once() {
    let admin = Admin::start().await;
    let now = admin.clock.now();
    let ana = admin.contact(ANA).await;
    admin
        .handed_over(ana, StaffReason::Complaint, now - Duration::minutes(10))
        .await;

    let (status, released) = admin
        .command(&format!("/api/conversations/{ana}/release"))
        .await;

    assert_eq!(status, StatusCode::OK, "{released}");
    assert_eq!(released["contact_id"], ana);
    assert_eq!(released["reason"], "complaint");
    assert!(admin.needing_human().await.is_empty());
    assert_conflict(
        &admin
            .command(&format!("/api/conversations/{ana}/release"))
            .await,
        "not_needing_human",
    );
    assert_not_found(&admin.command("/api/conversations/999999/release").await);
}

#[tokio::test]
async fn a_conversation_whose_quiet_time_passed_is_no_longer_with_staff() {
    let admin = Admin::start().await;
    let ana = admin.contact(ANA).await;
    admin
        .handed_over(ana, StaffReason::AskedForPerson, admin.clock.now())
        .await;
    assert_eq!(admin.needing_human().await.len(), 1);

    admin.clock.advance(Duration::hours(24));

    assert!(admin.needing_human().await.is_empty());
    assert_conflict(
        &admin
            .command(&format!("/api/conversations/{ana}/release"))
            .await,
        "not_needing_human",
    );
}
