//! The public health check, and what any route answers while the database is down.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use smsbot_admin::router;

use crate::support::{Admin, KEY, assert_error, health, send};

#[tokio::test]
async fn health_is_green_without_a_key_when_the_database_and_dynamodb_answer() {
    let admin = Admin::start().await;
    assert_eq!(
        health(admin.state()).await,
        (
            StatusCode::OK,
            json!({"status": "green", "db": "ok", "dynamodb": "ok"})
        )
    );
}

#[tokio::test]
async fn health_is_red_with_503_naming_the_part_that_is_down() {
    let admin = Admin::start().await;

    assert_eq!(
        health(admin.with_the_database_down()).await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "red", "db": "down", "dynamodb": "ok"})
        )
    );
    assert_eq!(
        health(admin.with_dynamodb_down().await).await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "red", "db": "ok", "dynamodb": "down"})
        )
    );

    let (status, body) = health(admin.without_the_idempotency_table()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["dynamodb"], "down");
}

#[tokio::test]
async fn a_request_needing_the_database_while_it_is_down_is_503_without_internals() {
    let admin = Admin::start().await;
    let request = Request::get("/api/contacts")
        .header("x-api-key", KEY)
        .body(Body::empty())
        .unwrap();
    let answer = send(router(admin.with_the_database_down()), request).await;
    assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    let message = answer.1["error"]["message"].as_str().unwrap();
    assert!(
        !message.contains("127.0.0.1") && !message.contains("postgres"),
        "{message}"
    );
}
