//! Counters: targeted = sent + skipped + failed + pending at every step, and
//! delivery outcomes counted once per message.

use chrono::Duration;

use crate::support::{Engine, all, utc};

#[tokio::test]
async fn counters_add_up_at_every_step_and_callbacks_count_once() {
    // 15:00 UTC: 10:00 in New York, 07:00 in Los Angeles (quiet).
    let engine = Engine::start(utc("2026-03-02T15:00:00Z")).await;
    let ny = Some("America/New_York");
    let la = Some("America/Los_Angeles");
    let ana = engine.contact("+12125550101", Some("Ana"), ny).await;
    engine.contact("+12125550102", Some("Ben"), ny).await;
    engine.contact("+12125550103", Some("Cal"), ny).await;
    let dee = engine.contact("+12125550104", Some("Dee"), ny).await;
    engine.contact("+13105550105", Some("Eve"), la).await;
    engine.contact("+13105550106", Some("Fay"), la).await;
    engine.twilio.reject_recipient("+12125550103", 21211);
    let campaign = engine.campaign("Hi {first_name}", all(), 10).await;

    engine.tick().await;
    engine.assert_counters_add_up(campaign).await;
    engine.opt_out(dee).await;
    engine.drain().await;
    let c = engine.assert_counters_add_up(campaign).await;
    assert_eq!(
        (
            c.targeted,
            c.sent,
            c.skipped_consent,
            c.failed,
            c.deferred_quiet
        ),
        (6, 2, 1, 1, 2)
    );

    engine.callback("+12125550101", "delivered", None).await;
    engine.callback("+12125550101", "delivered", None).await;
    engine
        .callback("+12125550102", "undelivered", Some(30003))
        .await;
    let c = engine.assert_counters_add_up(campaign).await;
    assert_eq!((c.sent, c.delivered, c.failed), (1, 1, 2));
    assert_eq!(engine.recipient_status(campaign, ana).await, "delivered");

    engine.advance(Duration::hours(1));
    engine.tick().await;
    engine.drain().await;
    engine.tick().await;
    let c = engine.assert_counters_add_up(campaign).await;
    assert_eq!(
        (c.sent, c.delivered, c.failed, c.skipped_consent),
        (3, 1, 2, 1)
    );
    assert_eq!(c.status, smsbot_store::campaigns::CampaignStatus::Completed);
}
