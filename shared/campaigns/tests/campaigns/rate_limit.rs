//! Twilio throttling and outages: slower, never lossy.

use chrono::Duration;

use crate::support::{Engine, all, phone, utc};

#[tokio::test]
async fn twilio_429_slows_down_and_loses_nobody() {
    let engine = Engine::start(utc("2026-03-02T15:00:00Z")).await;
    for i in 0..20 {
        engine.contact(&phone(i), None, None).await;
    }
    let campaign = engine.campaign("Offer", all(), 10).await;
    engine.twilio.rate_limit_next(6);
    engine.twilio.fail_next(2, 503);

    engine.tick().await;
    engine.drain().await;
    let first_round = engine.sent_to().len();
    assert_eq!(first_round, 12, "eight throttled or failed");
    // The throttled ones wait for their backoff: not sent again at once.
    engine.tick().await;
    engine.drain().await;
    assert_eq!(engine.sent_to().len(), 12);
    assert_eq!(engine.open_recipients(campaign).await, 8);

    for _ in 0..4 {
        engine.advance(Duration::minutes(1));
        engine.tick().await;
        engine.drain().await;
    }
    let mut sent = engine.sent_to();
    assert_eq!(sent.len(), 20, "nobody twice");
    sent.sort();
    sent.dedup();
    assert_eq!(sent.len(), 20, "nobody lost");
    assert_eq!(engine.twilio.attempts(), 28);
    let client = engine.db.pool.get().await.unwrap();
    let retried: i64 = client
        .query_one(
            "SELECT count(*) FROM campaign_recipients WHERE campaign_id = $1 AND attempts = 2",
            &[&campaign],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(retried, 8);
    engine.tick().await;
    engine.assert_counters_add_up(campaign).await;
}
