//! The dispatcher holds no lock while it talks to SQS: status callbacks and
//! operators go through while a tick waits on the queue, overlapping ticks still
//! never work on one campaign at once, and a tick that dies mid-way loses nobody.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::Duration;
use smsbot_campaigns::OutboundQueue;
use smsbot_campaigns::dispatcher::{Dispatcher, TickReport};
use smsbot_campaigns::outbound::Paced;
use smsbot_domain::campaign::Event;
use smsbot_store::campaigns::CampaignStatus;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::support::{Engine, all, dispatcher, phone, utc};

/// Long enough for any statement that is not waiting on a lock.
const PROMPTLY: StdDuration = StdDuration::from_secs(5);

/// An outbound queue that stops every enqueue until the test opens it, then
/// hands the messages to the real queue.
struct GatedQueue {
    inner: Arc<dyn OutboundQueue>,
    entered: Notify,
    open: watch::Sender<bool>,
}

impl GatedQueue {
    fn new(inner: Arc<dyn OutboundQueue>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            entered: Notify::new(),
            open: watch::channel(false).0,
        })
    }

    /// Waits until a tick is inside `enqueue`.
    async fn wait_for_a_tick_inside(&self) {
        tokio::time::timeout(PROMPTLY, self.entered.notified())
            .await
            .expect("the tick reached its SQS call");
    }

    fn open(&self) {
        self.open.send_replace(true);
    }
}

#[async_trait]
impl OutboundQueue for GatedQueue {
    async fn enqueue(&self, messages: &[Paced]) -> Vec<usize> {
        self.entered.notify_one();
        let mut open = self.open.subscribe();
        open.wait_for(|open| *open).await.expect("gate kept");
        self.inner.enqueue(messages).await
    }
}

/// An outbound queue that refuses every other message.
struct RefusingQueue(Arc<dyn OutboundQueue>);

#[async_trait]
impl OutboundQueue for RefusingQueue {
    async fn enqueue(&self, messages: &[Paced]) -> Vec<usize> {
        let taken: Vec<Paced> = messages.iter().step_by(2).copied().collect();
        assert!(self.0.enqueue(&taken).await.is_empty());
        (1..messages.len()).step_by(2).collect()
    }
}

/// A dispatcher like the engine's (ten-second ticks) whose SQS calls wait on a gate.
fn gated(engine: &Engine) -> (Dispatcher, Arc<GatedQueue>) {
    let gate = GatedQueue::new(Arc::new(engine.queue.clone()));
    (dispatcher(&engine.db, gate.clone(), 10), gate)
}

fn tick_in_background(dispatcher: &Dispatcher, engine: &Engine) -> JoinHandle<TickReport> {
    let dispatcher = dispatcher.clone();
    let now = engine.now();
    tokio::spawn(async move { dispatcher.tick(now).await.expect("tick") })
}

#[tokio::test]
async fn a_status_callback_is_counted_while_a_tick_waits_on_sqs() {
    // rate 1 × 10-second ticks: ten a tick.
    let engine = Engine::start_with_tick(utc("2026-03-02T15:00:00Z"), 10).await;
    for i in 0..20 {
        engine.contact(&phone(i), None, None).await;
    }
    let campaign = engine.campaign("News", all(), 1).await;
    engine.tick().await;
    engine.drain().await;
    let first = engine.sent_to()[0].clone();

    let (blocked, gate) = gated(&engine);
    engine.advance(Duration::seconds(10));
    let tick = tick_in_background(&blocked, &engine);
    gate.wait_for_a_tick_inside().await;

    // The callback's counter trigger updates the campaign row the tick works on.
    tokio::time::timeout(PROMPTLY, engine.callback(&first, "delivered", None))
        .await
        .expect("the callback did not wait for the tick");
    let c = engine.campaign_row(campaign).await;
    assert_eq!((c.sent, c.delivered), (10, 1));

    gate.open();
    assert_eq!(tick.await.unwrap().queued, 10);
    engine.drain().await;
    let mut sent = engine.sent_to();
    sent.sort();
    sent.dedup();
    assert_eq!(sent.len(), 20);
    assert_eq!(engine.sent_to().len(), 20, "nobody twice");
    let c = engine.assert_counters_add_up(campaign).await;
    assert_eq!((c.sent, c.delivered), (20, 1));
}

#[tokio::test]
async fn an_operator_pauses_while_a_tick_waits_on_sqs_and_what_it_enqueued_is_not_sent() {
    let engine = Engine::start_with_tick(utc("2026-03-02T15:00:00Z"), 10).await;
    for i in 0..20 {
        engine.contact(&phone(i), None, None).await;
    }
    let campaign = engine.campaign("News", all(), 1).await;

    let (blocked, gate) = gated(&engine);
    let tick = tick_in_background(&blocked, &engine);
    gate.wait_for_a_tick_inside().await;
    tokio::time::timeout(PROMPTLY, engine.operator(campaign, Event::Pause))
        .await
        .expect("the pause did not wait for the tick");
    gate.open();
    let report = tick.await.unwrap();
    assert_eq!((report.started, report.queued), (1, 10));

    engine.drain().await;
    assert!(engine.sent_to().is_empty(), "nothing once paused");
    assert_eq!(engine.open_recipients(campaign).await, 20);

    engine.operator(campaign, Event::Resume).await;
    for _ in 0..2 {
        engine.advance(Duration::seconds(10));
        engine.tick().await;
        engine.drain().await;
    }
    engine.tick().await;
    let mut sent = engine.sent_to();
    sent.sort();
    sent.dedup();
    assert_eq!(sent.len(), 20);
    assert_eq!(engine.sent_to().len(), 20, "nobody twice");
    let c = engine.assert_counters_add_up(campaign).await;
    assert_eq!(c.status, CampaignStatus::Completed);
}

#[tokio::test]
async fn an_overlapping_tick_passes_over_the_campaign_another_tick_holds() {
    let engine = Engine::start_with_tick(utc("2026-03-02T15:00:00Z"), 10).await;
    for i in 0..8 {
        engine.contact(&phone(i), None, None).await;
    }
    let held = engine.campaign("First", all(), 1).await;
    let other = engine.campaign("Second", all(), 1).await;

    let (blocked, gate) = gated(&engine);
    let tick = tick_in_background(&blocked, &engine);
    gate.wait_for_a_tick_inside().await;
    // Same instant, while the first tick waits on SQS with the first campaign.
    let overlapping = tokio::time::timeout(PROMPTLY, engine.tick())
        .await
        .expect("the overlapping tick did not wait");
    assert_eq!((overlapping.campaigns, overlapping.queued), (1, 8));
    assert_eq!(engine.open_recipients(held).await, 8);

    gate.open();
    let report = tick.await.unwrap();
    assert_eq!(report.queued, 8, "only the first campaign's recipients");
    engine.drain().await;
    engine.tick().await;

    let mut bodies: Vec<(String, String)> = engine
        .twilio
        .sent()
        .into_iter()
        .map(|s| (s.to, s.body))
        .collect();
    assert_eq!(bodies.len(), 16);
    bodies.sort();
    bodies.dedup();
    assert_eq!(bodies.len(), 16, "nobody twice");
    for campaign in [held, other] {
        let c = engine.assert_counters_add_up(campaign).await;
        assert_eq!((c.sent, c.status), (8, CampaignStatus::Completed));
    }
}

#[tokio::test]
async fn a_tick_that_died_inside_its_sqs_call_holds_the_campaign_until_its_lease_runs_out_and_loses_nobody()
 {
    let engine = Engine::start_with_tick(utc("2026-03-02T15:00:00Z"), 10).await;
    for i in 0..10 {
        engine.contact(&phone(i), None, None).await;
    }
    let campaign = engine.campaign("News", all(), 1).await;

    let (doomed, gate) = gated(&engine);
    let tick = tick_in_background(&doomed, &engine);
    gate.wait_for_a_tick_inside().await;
    // The Lambda is killed: recipients recorded as queued, nothing enqueued.
    tick.abort();
    assert!(tick.await.unwrap_err().is_cancelled());

    assert_eq!(engine.tick().await.campaigns, 0, "the lease still holds");
    // The lease was renewed against the tick's own clock, a moment after `now`.
    engine.advance(engine.dispatcher.config.lease() + Duration::minutes(1));
    let report = engine.tick().await;
    assert_eq!(
        (report.campaigns, report.queued),
        (1, 0),
        "taken over; the queued ones are not due yet"
    );
    assert_eq!(engine.drain().await, 0);

    // Queued but never finished: enqueued again once `requeue_after` passed.
    engine.advance(Duration::minutes(15));
    assert_eq!(engine.tick().await.queued, 10);
    engine.drain().await;
    engine.tick().await;
    let mut sent = engine.sent_to();
    assert_eq!(sent.len(), 10);
    sent.sort();
    sent.dedup();
    assert_eq!(sent.len(), 10, "nobody twice");
    let c = engine.assert_counters_add_up(campaign).await;
    assert_eq!((c.sent, c.status), (10, CampaignStatus::Completed));
}

#[tokio::test]
async fn recipients_sqs_refused_are_pending_again_and_go_out_on_the_next_tick() {
    let engine = Engine::start_with_tick(utc("2026-03-02T15:00:00Z"), 10).await;
    for i in 0..10 {
        engine.contact(&phone(i), None, None).await;
    }
    let campaign = engine.campaign("News", all(), 1).await;
    let refusing = dispatcher(
        &engine.db,
        Arc::new(RefusingQueue(Arc::new(engine.queue.clone()))),
        10,
    );

    let report = refusing.tick(engine.now()).await.unwrap();
    assert_eq!((report.queued, report.enqueue_failed), (5, 5));
    let counts = smsbot_store::campaign_recipients::status_counts(
        &engine.db.pool.get().await.unwrap(),
        campaign,
    )
    .await
    .unwrap();
    assert_eq!(
        counts,
        vec![("pending".to_owned(), 5), ("queued".to_owned(), 5)]
    );
    engine.drain().await;
    assert_eq!(engine.sent_to().len(), 5);

    assert_eq!(engine.tick().await.queued, 5, "due again at once");
    engine.drain().await;
    engine.tick().await;
    let mut sent = engine.sent_to();
    assert_eq!(sent.len(), 10);
    sent.sort();
    sent.dedup();
    assert_eq!(sent.len(), 10, "nobody twice");
    let c = engine.assert_counters_add_up(campaign).await;
    assert_eq!((c.sent, c.status), (10, CampaignStatus::Completed));
}
