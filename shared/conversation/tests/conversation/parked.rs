//! A text that arrives while SQS is down is parked by the webhook, moved to the
//! queue by housekeeping's drain, and answered once, however often it is
//! delivered again: by Twilio (the webhook's claim), by SQS within its
//! deduplication window, or after it (the worker's unique MessageSid).

use std::sync::Arc;

use axum::http::StatusCode;
use smsbot_aws::SqsQueue;
use smsbot_conversation::handle_batch;
use smsbot_test_support as support;
use smsbot_webhook::ParkedDrain;
use smsbot_webhook::metrics::Tally;

use crate::support::{TestBot, event, record};

const ANA: &str = "+14155550101";
const TEXT: &str = "what are your hours";

impl TestBot {
    async fn sqs_down(&self) -> SqsQueue {
        let down = support::unreachable_aws().await;
        SqsQueue::new(aws_sdk_sqs::Client::new(&down), self.queue.url())
    }

    /// Housekeeping's drain of parked messages; how many it moved.
    async fn drain_parked(&self) -> u64 {
        ParkedDrain::new(
            self.db.pool.clone(),
            Arc::new(self.queue.clone()),
            Arc::new(Tally::default()),
        )
        .run()
        .await
        .unwrap()
        .moved
    }
}

#[tokio::test]
async fn a_text_parked_while_sqs_was_down_is_answered_once_after_housekeeping_moves_it() {
    let bot = TestBot::start().await;
    let sid = bot.next_sid();

    let parked = bot.post_to(bot.router_to(bot.sqs_down().await), ANA, TEXT, &sid);
    assert_eq!(parked.await, StatusCode::OK);
    bot.work().await;
    assert!(bot.phone.take(ANA).is_empty(), "nothing was queued yet");

    // Twilio delivers it again while it is parked.
    assert_eq!(bot.post(ANA, TEXT, &sid).await, StatusCode::OK);
    bot.work().await;
    assert!(bot.phone.take(ANA).is_empty());

    assert_eq!(bot.drain_parked().await, 1);
    bot.work().await;
    let replies = bot.phone.take(ANA);
    assert_eq!(replies.len(), 1, "{replies:?}");

    // And again after it was answered.
    assert_eq!(bot.post(ANA, TEXT, &sid).await, StatusCode::OK);
    bot.work().await;
    assert!(bot.phone.take(ANA).is_empty());
    assert_eq!(bot.drain_parked().await, 0);
}

#[tokio::test]
async fn a_parked_text_that_reaches_the_worker_twice_is_answered_once() {
    let bot = TestBot::start().await;
    let sid = bot.next_sid();
    let parked = bot.post_to(bot.router_to(bot.sqs_down().await), ANA, TEXT, &sid);
    assert_eq!(parked.await, StatusCode::OK);
    assert_eq!(bot.drain_parked().await, 1);
    bot.work().await;
    assert_eq!(bot.phone.take(ANA).len(), 1);

    // Past SQS's five-minute deduplication window the same MessageSid can be
    // delivered again (parked again while DynamoDB was down too): the worker
    // recognises it.
    let again = event(vec![record("redelivered", ANA, TEXT, &sid)]);
    let response = handle_batch(&bot.conversation, again).await;

    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert!(bot.phone.take(ANA).is_empty(), "no second reply");
}
