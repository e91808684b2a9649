//! The migrate binary under a local Lambda Runtime API, invoked with the custom
//! resource requests of `events/` (their `ResponseURL` pointed at a local stand-in
//! for CloudFormation's pre-signed S3 URL), against a fresh database that has no
//! migrations yet and the emulator's app secret (its only source of
//! `DATABASE_URL`, as in AWS).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use smsbot_test_support::cloudformation_standin::{Answer, CloudFormationStandIn};
use smsbot_test_support::lambda_runtime_standin::{LambdaFunction, Stack};
use smsbot_test_support::{self as support, EVENTS_AUTH_TOKEN, TestDatabase};

/// How long a test waits for an answer that should already be there.
const PROMPTLY: Duration = Duration::from_secs(5);

/// A sample request whose answer goes to `cloudformation`.
fn request(name: &str, cloudformation: &CloudFormationStandIn) -> Value {
    let mut event: Value = serde_json::from_str(&support::event_text(name)).expect("JSON");
    let request_id = event["RequestId"].as_str().expect("a RequestId").to_owned();
    event["ResponseURL"] = json!(cloudformation.response_url(&request_id));
    event
}

/// (count, highest version) of the repository's migrations.
fn repository_migrations() -> (usize, i64) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let versions: Vec<i64> = std::fs::read_dir(dir)
        .expect("migrations/")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".sql")?
                .strip_prefix('V')?
                .split_once("__")?
                .0
                .parse()
                .ok()
        })
        .collect();
    (
        versions.len(),
        versions.into_iter().max().expect("a migration"),
    )
}

async fn tables_in(db: &TestDatabase) -> i64 {
    let client = db.pool.get().await.expect("a connection");
    client
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .await
        .expect("count tables")
        .get(0)
}

async fn migrate_function(stack: &Stack) -> LambdaFunction {
    stack
        .function("migrate", env!("CARGO_BIN_EXE_migrate"))
        .start()
        .await
}

/// The one answer CloudFormation got, checked for what every answer needs.
async fn the_answer(cloudformation: &CloudFormationStandIn, sent: &Value) -> Answer {
    let answer = cloudformation
        .first_answer(PROMPTLY)
        .await
        .expect("CloudFormation got an answer");
    assert_eq!(cloudformation.answers().len(), 1, "answered once");
    assert_eq!(
        answer.content_type.as_deref(),
        Some(""),
        "empty Content-Type"
    );
    assert!(answer.path_and_query.contains("X-Amz-Signature="));
    for field in ["StackId", "RequestId", "LogicalResourceId"] {
        assert_eq!(answer.body[field], sent[field], "{field} echoed");
    }
    answer
}

#[tokio::test]
async fn a_create_request_migrates_a_fresh_database_and_answers_success_with_its_version() {
    let cloudformation = CloudFormationStandIn::start().await;
    let stack =
        Stack::with_database(TestDatabase::create_unmigrated(2).await, EVENTS_AUTH_TOKEN).await;
    let migrate = migrate_function(&stack).await;
    let create = request("migrate-create.json", &cloudformation);

    let returned = migrate.invoke(&create).await.expect("the function answers");

    let answer = the_answer(&cloudformation, &create).await;
    let (count, latest) = repository_migrations();
    assert_eq!(answer.body["Status"], "SUCCESS", "{:?}", answer.body);
    assert_eq!(
        answer.body["PhysicalResourceId"],
        "smsbot-database-migrations"
    );
    assert_eq!(answer.body["Data"]["AppliedCount"], count.to_string());
    assert_eq!(answer.body["Data"]["SchemaVersion"], latest.to_string());
    assert_eq!(returned, answer.body, "the function returns what it sent");
    assert!(tables_in(&stack.db).await > 1, "the schema is there");
}

#[tokio::test]
async fn an_update_of_an_up_to_date_database_applies_nothing_and_keeps_the_physical_id() {
    let cloudformation = CloudFormationStandIn::start().await;
    let stack = Stack::create(EVENTS_AUTH_TOKEN).await; // migrated already
    let migrate = migrate_function(&stack).await;
    let update = request("migrate-update.json", &cloudformation);

    migrate.invoke(&update).await.expect("the function answers");

    let answer = the_answer(&cloudformation, &update).await;
    assert_eq!(answer.body["Status"], "SUCCESS", "{:?}", answer.body);
    assert_eq!(
        answer.body["PhysicalResourceId"],
        update["PhysicalResourceId"]
    );
    assert_eq!(answer.body["Data"]["AppliedCount"], "0");
    assert_eq!(
        answer.body["Data"]["SchemaVersion"],
        repository_migrations().1.to_string()
    );
}

#[tokio::test]
async fn a_delete_request_answers_success_and_leaves_the_database_untouched() {
    let cloudformation = CloudFormationStandIn::start().await;
    let stack =
        Stack::with_database(TestDatabase::create_unmigrated(2).await, EVENTS_AUTH_TOKEN).await;
    let migrate = migrate_function(&stack).await;
    let delete = request("migrate-delete.json", &cloudformation);

    migrate.invoke(&delete).await.expect("the function answers");

    let answer = the_answer(&cloudformation, &delete).await;
    assert_eq!(answer.body["Status"], "SUCCESS", "{:?}", answer.body);
    assert_eq!(
        answer.body["PhysicalResourceId"],
        delete["PhysicalResourceId"]
    );
    assert_eq!(tables_in(&stack.db).await, 0, "nothing was created");
}

/// A function whose app secret names `database_url`, with Lambda's `timeout`.
async fn with_database_url(database_url: &str, timeout: Duration) -> LambdaFunction {
    let sdk = support::aws().await;
    let secret_arn = support::create_app_secret(
        &sdk,
        &json!({"DATABASE_URL": database_url, "TWILIO_AUTH_TOKEN": "REPLACE_ME"}),
    )
    .await;
    LambdaFunction::builder("migrate", env!("CARGO_BIN_EXE_migrate"))
        .env("APP_SECRETS_ARN", secret_arn)
        .env("RUST_LOG", "info")
        .timeout(timeout)
        .start()
        .await
}

#[tokio::test]
async fn a_database_that_never_answers_gets_a_failed_answer_before_the_lambda_deadline() {
    // Takes connections and says nothing: a security group that drops packets,
    // a proxy whose target is gone.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let url = format!("postgres://smsbot:hunter2-not-for-logs@127.0.0.1:{port}/smsbot");
    let lambda_timeout = Duration::from_secs(15);
    let migrate = with_database_url(&url, lambda_timeout).await;
    let cloudformation = CloudFormationStandIn::start().await;
    let create = request("migrate-create.json", &cloudformation);

    let started = Instant::now();
    migrate
        .invoke(&create)
        .await
        .expect("the function answers within Lambda's timeout");

    assert!(started.elapsed() < lambda_timeout);
    let answer = the_answer(&cloudformation, &create).await;
    assert_eq!(answer.body["Status"], "FAILED", "{:?}", answer.body);
    let reason = answer.body["Reason"].as_str().expect("a reason");
    assert!(reason.contains("Lambda deadline"), "{reason}");
    assert!(reason.contains("database unavailable"), "{reason}");
    assert!(
        !reason.contains("hunter2") && !reason.contains(&url),
        "{reason}"
    );
    assert!(!migrate.log().contains("hunter2"), "nor in the logs");
    held.abort();
}

#[tokio::test]
async fn a_database_url_still_holding_the_templates_placeholder_gets_a_failed_answer_naming_it() {
    let migrate = with_database_url(
        "postgres://REPLACE_ME@db.invalid:5432/smsbot?sslmode=require",
        Duration::from_secs(30),
    )
    .await;
    let cloudformation = CloudFormationStandIn::start().await;
    let create = request("migrate-create.json", &cloudformation);

    migrate.invoke(&create).await.expect("the function answers");

    let answer = the_answer(&cloudformation, &create).await;
    assert_eq!(answer.body["Status"], "FAILED", "{:?}", answer.body);
    let reason = answer.body["Reason"].as_str().expect("a reason");
    assert!(
        reason.contains("DATABASE_URL still holds the placeholder"),
        "{reason}"
    );
    assert!(
        reason.contains("put the real value in the app secret"),
        "{reason}"
    );
    assert!(
        !reason.contains("REPLACE_ME") && !reason.contains("db.invalid"),
        "{reason}"
    );
}
