//! Pause and resume through the domain's lifecycle table, against the real engine.

use chrono::Duration;
use smsbot_domain::campaign::Event;
use smsbot_store::campaigns::CampaignStatus;

use crate::support::{Engine, all, phone, utc};

#[tokio::test]
async fn pause_stops_sending_within_one_tick_and_resume_continues_where_it_stopped() {
    // rate 1 × 10-second ticks: ten a tick.
    let engine = Engine::start_with_tick(utc("2026-03-02T15:00:00Z"), 10).await;
    for i in 0..30 {
        engine.contact(&phone(i), None, None).await;
    }
    let campaign = engine.campaign("News", all(), 1).await;

    engine.tick().await;
    engine.drain().await;
    assert_eq!(engine.sent_to().len(), 10);

    // Ten more are queued, then the operator pauses before the sender runs.
    engine.advance(Duration::seconds(10));
    assert_eq!(engine.tick().await.queued, 10);
    engine.operator(campaign, Event::Pause).await;
    engine.drain().await;
    assert_eq!(engine.sent_to().len(), 10, "nothing more once paused");
    engine.advance(Duration::seconds(10));
    assert_eq!(engine.tick().await.queued, 0);
    assert_eq!(engine.open_recipients(campaign).await, 20);

    engine.operator(campaign, Event::Resume).await;
    assert_eq!(
        engine.campaign_row(campaign).await.status,
        CampaignStatus::Running
    );
    for _ in 0..3 {
        engine.advance(Duration::seconds(10));
        engine.tick().await;
        engine.drain().await;
    }
    engine.tick().await;
    let mut sent = engine.sent_to();
    sent.sort();
    sent.dedup();
    assert_eq!(sent.len(), 30);
    assert_eq!(engine.sent_to().len(), 30, "nobody twice");
    let c = engine.assert_counters_add_up(campaign).await;
    assert_eq!(c.status, CampaignStatus::Completed);
}
