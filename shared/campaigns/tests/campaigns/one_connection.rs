//! The engine's use cases hold at most one pooled connection at a time: with a
//! pool of one, dispatching, sending, retrying and giving up all finish.

use std::time::Duration as StdDuration;

use chrono::Duration;

use crate::support::{Engine, all, phone, utc};

#[tokio::test]
async fn dispatch_send_retry_and_give_up_work_with_a_pool_of_one_connection() {
    let engine = Engine::with_one_connection(utc("2026-03-02T15:00:00Z"), 1).await;
    for i in 0..3 {
        engine.contact(&phone(i), None, None).await;
    }
    let campaign = engine.campaign("Offer", all(), 10).await;
    // One recipient is throttled: with one attempt allowed, it is given up
    // (the path that used to wait for a second connection while holding one).
    engine.twilio.rate_limit_next(1);

    let run = async {
        for _ in 0..4 {
            engine.tick().await;
            engine.drain().await;
            engine.advance(Duration::minutes(2));
        }
        engine.tick().await;
    };
    tokio::time::timeout(StdDuration::from_secs(60), run)
        .await
        .expect("no use case waits for a second connection");

    assert_eq!(engine.sent_to().len(), 2);
    let c = engine.assert_counters_add_up(campaign).await;
    assert_eq!(c.failed, 1, "given up after its throttled attempt");
}
