//! Paths and methods the API does not have: JSON errors, never a bare status.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use tower::ServiceExt;

use crate::support::{Admin, KEY, assert_not_found};

#[tokio::test]
async fn an_unknown_path_is_a_json_404() {
    let admin = Admin::start().await;
    assert_not_found(&admin.get("/api/nothing-here").await);
}

#[tokio::test]
async fn a_method_a_route_does_not_have_is_405_and_names_the_allowed_ones() {
    let admin = Admin::start().await;
    let request = Request::builder()
        .method(Method::PUT)
        .uri("/api/contacts")
        .header("x-api-key", KEY)
        .body(Body::empty())
        .unwrap();
    let response = admin.router().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
}
