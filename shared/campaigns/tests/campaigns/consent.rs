//! Consent, checked when the audience is picked, at dispatch and again right
//! before each send; carrier refusals recorded.

use crate::support::{Engine, all, utc};

#[tokio::test]
async fn a_contact_who_opts_out_between_dispatch_and_send_receives_nothing() {
    let engine = Engine::start(utc("2026-03-02T15:00:00Z")).await;
    let stays = engine.contact("+12125550101", Some("Ana"), None).await;
    let leaves = engine.contact("+12125550102", Some("Ben"), None).await;
    let campaign = engine.campaign("Hi {first_name}", all(), 10).await;

    let report = engine.tick().await;
    assert_eq!(report.queued, 2);
    // Ben texts STOP while his message waits on the queue.
    engine.opt_out(leaves).await;
    engine.drain().await;

    assert_eq!(engine.sent_to(), vec!["+12125550101".to_owned()]);
    assert_eq!(engine.recipient_status(campaign, stays).await, "sent");
    assert_eq!(
        engine.recipient_status(campaign, leaves).await,
        "skipped_consent"
    );
    let counters = engine.assert_counters_add_up(campaign).await;
    assert_eq!((counters.sent, counters.skipped_consent), (1, 1));
}

#[tokio::test]
async fn contacts_who_opted_out_before_the_start_are_never_targeted() {
    let engine = Engine::start(utc("2026-03-02T15:00:00Z")).await;
    engine.contact("+12125550101", None, None).await;
    let out = engine.contact("+12125550102", None, None).await;
    engine.opt_out(out).await;
    let campaign = engine
        .campaign("Hello from {business_name}", all(), 10)
        .await;
    engine.tick().await;
    engine.drain().await;
    assert_eq!(engine.sent_to(), vec!["+12125550101".to_owned()]);
    assert_eq!(engine.twilio.sent()[0].body, "Hello from Bright Smile");
    assert_eq!(engine.campaign_row(campaign).await.targeted, 1);
}

#[tokio::test]
async fn twilio_21610_opts_the_contact_out_and_an_invalid_number_is_marked() {
    let engine = Engine::start(utc("2026-03-02T15:00:00Z")).await;
    let unsubscribed = engine.contact("+12125550101", None, None).await;
    let invalid = engine.contact("+12125550102", None, None).await;
    let landline = engine.contact("+12125550103", None, None).await;
    engine.contact("+12125550104", None, None).await;
    engine.twilio.reject_recipient("+12125550101", 21610);
    engine.twilio.reject_recipient("+12125550102", 21211);
    engine.twilio.reject_recipient("+12125550103", 21614);
    let campaign = engine.campaign("Hi", all(), 10).await;
    engine.tick().await;
    engine.drain().await;

    assert_eq!(
        engine.recipient_status(campaign, unsubscribed).await,
        "skipped_consent"
    );
    assert_eq!(
        engine.recipient_status(campaign, invalid).await,
        "invalid_number"
    );
    assert_eq!(
        engine.recipient_status(campaign, landline).await,
        "invalid_number"
    );
    let client = engine.db.pool.get().await.unwrap();
    let consent = smsbot_store::consent::consent_of(&client, unsubscribed)
        .await
        .unwrap();
    assert_eq!(consent, smsbot_domain::ConsentState::OptedOut);
    let marked: Option<i32> = client
        .query_one(
            "SELECT phone_invalid_code FROM contacts WHERE id = $1",
            &[&invalid],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(marked, Some(21211));

    // The next campaign leaves out the opted-out and the invalid numbers.
    let next = engine.campaign("Again", all(), 10).await;
    engine.tick().await;
    assert_eq!(engine.campaign_row(next).await.targeted, 1);
    let counters = engine.assert_counters_add_up(campaign).await;
    assert_eq!(
        (counters.sent, counters.skipped_consent, counters.failed),
        (1, 1, 2)
    );
}
