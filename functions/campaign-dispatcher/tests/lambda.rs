//! The campaign-dispatcher binary under a local Lambda Runtime API, invoked with
//! the scheduled tick of `events/`, against a fresh database, the emulator's
//! outbound queue and app secret (its only source of `DATABASE_URL`, as in AWS).

use smsbot_test_support::lambda_runtime_standin::{Failure, LambdaFunction, Stack};
use smsbot_test_support::{self as support, EVENTS_AUTH_TOKEN};

/// The dispatcher as the template deploys it, with an outbound queue of its own.
async fn deploy(stack: &Stack) -> (LambdaFunction, String) {
    let outbound = smsbot_aws::provision::standard_queue(&stack.sdk, &support::unique("outbound"))
        .await
        .unwrap();
    let dispatcher = stack
        .function(
            "campaign-dispatcher",
            env!("CARGO_BIN_EXE_campaign-dispatcher"),
        )
        .env("OUTBOUND_QUEUE_URL", &outbound)
        .env("DISPATCH_TICK_SECONDS", "60")
        .start()
        .await;
    (dispatcher, outbound)
}

#[tokio::test]
async fn a_scheduled_tick_on_a_fresh_database_reports_that_nothing_was_dispatched() {
    let stack = Stack::create(EVENTS_AUTH_TOKEN).await;
    let (dispatcher, outbound) = deploy(&stack).await;

    let report = dispatcher
        .invoke_event("scheduled-tick.json")
        .await
        .expect("the dispatcher answers");

    assert_eq!(
        report,
        serde_json::json!({"campaigns": 0, "queued": 0, "deferred": 0, "completed": 0})
    );
    assert!(support::drain_queue(&stack.sdk, &outbound).await.is_empty());
}

#[tokio::test]
async fn a_tick_while_the_database_is_down_fails_and_lambda_is_told_so() {
    let stack = Stack::create(EVENTS_AUTH_TOKEN).await;
    let (dispatcher, _) = deploy(&stack).await;
    stack.db.outage().await;

    let failed = dispatcher
        .invoke_event("scheduled-tick.json")
        .await
        .expect_err("no database, no tick");

    assert!(matches!(failed.failure, Failure::Function(_)), "{failed}");
    stack.db.restore().await;
    dispatcher
        .invoke_event("scheduled-tick.json")
        .await
        .expect("the same container ticks again once the database is back");
}
