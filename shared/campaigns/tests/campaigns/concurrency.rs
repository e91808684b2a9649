//! Overlapping dispatchers and redelivered messages: each recipient once.

use std::collections::HashMap;
use std::sync::Arc;

use smsbot_campaigns::OutboundMessage;

use crate::support::{Engine, all, dispatcher, phone, utc};

#[tokio::test]
async fn two_dispatchers_running_at_once_send_each_recipient_once() {
    let engine = Engine::start(utc("2026-03-02T15:00:00Z")).await;
    for i in 0..120 {
        engine.contact(&phone(i), None, None).await;
    }
    let first = engine.campaign("First", all(), 1).await;
    let second = engine.campaign("Second", all(), 1).await;
    // Two invocations of the schedule overlapping, on their own connections.
    let other = dispatcher(&engine.db, Arc::new(engine.queue.clone()), 60);
    for _ in 0..3 {
        let now = engine.now();
        let (a, b) = tokio::join!(engine.dispatcher.tick(now), other.tick(now));
        a.unwrap();
        b.unwrap();
        engine.drain().await;
        engine.advance(chrono::Duration::minutes(1));
    }
    engine.tick().await;

    let mut per_number: HashMap<(String, String), usize> = HashMap::new();
    for sent in engine.twilio.sent() {
        *per_number.entry((sent.to, sent.body)).or_default() += 1;
    }
    assert_eq!(per_number.len(), 240, "every recipient of both campaigns");
    assert!(per_number.values().all(|n| *n == 1), "nobody twice");
    for campaign in [first, second] {
        let c = engine.assert_counters_add_up(campaign).await;
        assert_eq!((c.targeted, c.sent), (120, 120));
    }
}

#[tokio::test]
async fn a_redelivered_message_never_sends_twice() {
    let engine = Engine::start(utc("2026-03-02T15:00:00Z")).await;
    let contact = engine.contact(&phone(1), None, None).await;
    let campaign = engine.campaign("Once", all(), 10).await;
    engine.tick().await;
    let message = OutboundMessage {
        campaign_id: campaign,
        contact_id: contact,
    };
    // The queued record, plus the same record delivered five more times at once.
    let redeliveries = futures::future::join_all((0..5).map(|_| engine.sender.send(message))).await;
    engine.drain().await;
    let sent = redeliveries
        .iter()
        .filter(|r| matches!(r, Ok(smsbot_campaigns::SendOutcome::Sent)))
        .count();
    assert!(sent <= 1);
    assert_eq!(engine.twilio.sent().len(), 1);
    assert_eq!(engine.recipient_status(campaign, contact).await, "sent");
}
