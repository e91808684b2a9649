//! Housekeeping's drain moves parked messages to the FIFO queue exactly as the
//! webhook would have sent them, deletes a row only once SQS took it, keeps each
//! contact's order, and never moves a row twice when runs overlap.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_sdk_sqs::types::MessageSystemAttributeName as Attribute;
use smsbot_aws::{FifoMessage, SqsQueue};
use smsbot_domain::InboundSms;
use smsbot_store::parked_inbound;
use smsbot_test_support as support;
use smsbot_webhook::ports::fifo_message;
use smsbot_webhook::{DrainReport, InboundQueue, ParkedDrain, WebhookError, WebhookMetric};

use crate::support::{TestWebhook, closed_database};

const ANA: &str = "+14155550101";
const BEN: &str = "+14155550102";

fn sid(n: u32) -> String {
    format!("SM{n:032x}")
}

/// Parks a text from `from` as the webhook parks it when SQS is down.
async fn park(app: &TestWebhook, from: &str, sid: &str) -> FifoMessage {
    let form: Vec<(String, String)> = [
        ("MessageSid", sid),
        ("From", from),
        ("To", "+14155550199"),
        ("Body", "book me in"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let message = fifo_message(&InboundSms::from_form(&form).unwrap()).unwrap();
    let client = app.db.pool.get().await.unwrap();
    parked_inbound::park(&client, sid, &message.group_id, &message.body)
        .await
        .unwrap();
    message
}

impl TestWebhook {
    fn drain_to(&self, queue: Arc<dyn InboundQueue>) -> ParkedDrain {
        ParkedDrain::new(self.db.pool.clone(), queue, self.metrics.clone())
    }

    fn drain(&self) -> ParkedDrain {
        self.drain_to(Arc::new(self.queue(&self.sdk)))
    }

    async fn attempts(&self) -> Vec<(String, i32)> {
        let client = self.db.pool.get().await.unwrap();
        client
            .query(
                "SELECT message_sid, attempts FROM parked_inbound ORDER BY id",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    }
}

/// The real queue, except that it refuses the MessageSids listed, and notes
/// every message it was asked to send.
struct Picky {
    queue: SqsQueue,
    refuses: Vec<String>,
    asked: Mutex<Vec<String>>,
    sent: AtomicUsize,
}

impl Picky {
    fn new(queue: SqsQueue, refuses: &[&str]) -> Arc<Self> {
        Arc::new(Self {
            queue,
            refuses: refuses.iter().map(|s| s.to_string()).collect(),
            asked: Mutex::default(),
            sent: AtomicUsize::new(0),
        })
    }
}

#[async_trait]
impl InboundQueue for Picky {
    async fn enqueue(&self, message: &FifoMessage) -> Result<(), WebhookError> {
        let sid = message.deduplication_id.clone();
        self.asked.lock().unwrap().push(sid.clone());
        if self.refuses.contains(&sid) {
            return Err(WebhookError::Unavailable(format!("refused {sid}").into()));
        }
        self.sent.fetch_add(1, Ordering::SeqCst);
        self.queue.enqueue(message).await
    }
}

#[tokio::test]
async fn parked_messages_reach_the_queue_as_the_webhook_would_have_sent_them_and_are_deleted() {
    let app = TestWebhook::start().await;
    let first = park(&app, ANA, &sid(1)).await;
    let second = park(&app, BEN, &sid(2)).await;

    let report = app.drain().run().await.unwrap();

    assert_eq!(
        report,
        DrainReport {
            moved: 2,
            failed: 0
        }
    );
    assert!(app.parked().await.is_empty());
    let queued = app.enqueued().await;
    assert_eq!(queued.len(), 2);
    for (sent, parked) in queued.iter().zip([first, second]) {
        let attributes = sent.attributes().unwrap();
        assert_eq!(sent.body(), Some(parked.body.as_str()));
        assert_eq!(attributes[&Attribute::MessageGroupId], parked.group_id);
        assert_eq!(
            attributes[&Attribute::MessageDeduplicationId],
            parked.deduplication_id
        );
    }
    assert_eq!(app.metrics.get(WebhookMetric::InboundDrained), 2);
}

#[tokio::test]
async fn a_message_sqs_still_refuses_stays_parked_with_one_more_attempt() {
    let app = TestWebhook::start().await;
    park(&app, ANA, &sid(1)).await;
    let down = support::unreachable_aws().await;

    let report = app
        .drain_to(Arc::new(app.queue(&down)))
        .run()
        .await
        .unwrap();

    assert_eq!(
        report,
        DrainReport {
            moved: 0,
            failed: 1
        }
    );
    assert_eq!(app.attempts().await, vec![(sid(1), 1)]);
    assert_eq!(app.metrics.get(WebhookMetric::InboundDrainFailed), 1);

    let report = app.drain().run().await.unwrap();
    assert_eq!(
        report,
        DrainReport {
            moved: 1,
            failed: 0
        }
    );
    assert_eq!(app.enqueued().await.len(), 1);
}

#[tokio::test]
async fn three_refusals_in_a_row_end_the_run_and_leave_the_rest_untried() {
    let app = TestWebhook::start().await;
    for n in 1..=5 {
        park(&app, &format!("+1415555011{n}"), &sid(n)).await;
    }
    let down = support::unreachable_aws().await;

    let report = app
        .drain_to(Arc::new(app.queue(&down)))
        .run()
        .await
        .unwrap();

    assert_eq!(
        report,
        DrainReport {
            moved: 0,
            failed: 3
        }
    );
    let attempts: Vec<i32> = app.attempts().await.into_iter().map(|(_, a)| a).collect();
    assert_eq!(attempts, vec![1, 1, 1, 0, 0]);
}

#[tokio::test]
async fn a_refused_message_holds_back_its_contacts_later_ones_but_not_other_contacts() {
    let app = TestWebhook::start().await;
    park(&app, ANA, &sid(1)).await;
    park(&app, BEN, &sid(2)).await;
    park(&app, ANA, &sid(3)).await;
    let queue = Picky::new(app.queue(&app.sdk), &[&sid(1)]);

    let report = app.drain_to(queue.clone()).run().await.unwrap();

    assert_eq!(
        report,
        DrainReport {
            moved: 1,
            failed: 1
        }
    );
    assert_eq!(*queue.asked.lock().unwrap(), vec![sid(1), sid(2)]);
    assert_eq!(app.attempts().await, vec![(sid(1), 1), (sid(3), 0)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_runs_move_every_message_exactly_once() {
    let app = TestWebhook::start().await;
    for n in 1..=60 {
        park(&app, &format!("+1415555{:04}", 100 + n), &sid(n)).await;
    }
    let queue = Picky::new(app.queue(&app.sdk), &[]);

    let runs = (0..3).map(|_| {
        let drain = app.drain_to(queue.clone());
        tokio::spawn(async move { drain.run().await.unwrap() })
    });
    let moved: u64 = futures::future::join_all(runs)
        .await
        .into_iter()
        .map(|r| r.unwrap().moved)
        .sum();

    assert_eq!(moved, 60);
    assert_eq!(
        queue.sent.load(Ordering::SeqCst),
        60,
        "no message sent twice"
    );
    assert!(app.parked().await.is_empty());
    assert_eq!(app.enqueued().await.len(), 60);
}

#[tokio::test]
async fn with_postgres_down_the_drain_reports_a_transient_failure() {
    let app = TestWebhook::start().await;
    let drain = ParkedDrain::new(
        closed_database(),
        Arc::new(app.queue(&app.sdk)),
        app.metrics.clone(),
    );

    let err = drain.run().await.unwrap_err();

    assert!(err.is_transient(), "{err}");
}
