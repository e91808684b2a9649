//! Availability: adding slots for a provider and listing them with the places
//! that remain.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{Admin, assert_conflict, ids};

#[tokio::test]
async fn a_slot_is_added_and_listed_with_its_remaining_places() {
    let admin = Admin::start().await;
    let provider = admin.provider("Dr Who").await;
    let (status, body) = admin
        .post(
            "/api/availability",
            json!({"provider_id": provider, "starts_at": "2030-03-01T09:00:00-05:00",
                   "ends_at": "2030-03-01T09:30:00-05:00", "capacity": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["starts_at"], "2030-03-01T14:00:00Z");
    assert_eq!(body["capacity"], 2);
    assert_eq!(body["remaining"], 2);
    assert_eq!(body["service_id"], Value::Null);
    let (_, list) = admin.get("/api/availability").await;
    assert_eq!(list["items"][0], body);
}

#[tokio::test]
async fn an_invalid_slot_is_422_and_an_overlapping_one_is_409() {
    let admin = Admin::start().await;
    let provider = admin.provider("Dr Who").await;
    admin
        .slot(provider, "2030-03-01T09:00:00Z", "2030-03-01T10:00:00Z", 1)
        .await;
    let answer = admin
        .post(
            "/api/availability",
            json!({"provider_id": provider, "starts_at": "2030-03-01T09:30:00Z",
                   "ends_at": "2030-03-01T10:30:00Z"}),
        )
        .await;
    assert_conflict(&answer, "slot_overlaps");

    admin
        .assert_refused_as_invalid(
            "/api/availability",
            [
                json!({"provider_id": provider, "starts_at": "2030-03-02T10:00:00Z", "ends_at": "2030-03-02T09:00:00Z"}),
                json!({"provider_id": provider, "starts_at": "2030-03-02T10:00:00Z", "ends_at": "2030-03-02T10:00:00Z"}),
                json!({"provider_id": provider, "starts_at": "2030-03-02T10:00:00Z", "ends_at": "2030-03-02T11:00:00Z", "capacity": 0}),
                json!({"provider_id": provider + 100, "starts_at": "2030-03-02T10:00:00Z", "ends_at": "2030-03-02T11:00:00Z"}),
                json!({"provider_id": provider, "service_id": 999, "starts_at": "2030-03-02T10:00:00Z", "ends_at": "2030-03-02T11:00:00Z"}),
                json!({"provider_id": 0, "starts_at": "2030-03-02T10:00:00Z", "ends_at": "2030-03-02T11:00:00Z"}),
                json!({"provider_id": provider, "starts_at": "tomorrow", "ends_at": "2030-03-02T11:00:00Z"}),
                json!({"provider_id": provider, "starts_at": "2030-03-02T10:00:00Z"}),
            ],
        )
        .await;
}

#[tokio::test]
async fn slots_are_listed_page_by_page_in_time_order_and_filtered() {
    let admin = Admin::start().await;
    let a = admin.provider("A").await;
    let b = admin.provider("B").await;
    // Added out of order: the list is by start time, then id.
    let s3 = admin.slot_for_one(a, "2030-03-01T11:00:00Z").await;
    let s1 = admin.slot_for_one(a, "2030-03-01T09:00:00Z").await;
    let s2 = admin.slot_for_one(b, "2030-03-01T09:00:00Z").await;
    let s4 = admin.slot_for_one(b, "2030-03-01T12:00:00Z").await;
    assert_eq!(
        admin.pages("/api/availability", 3).await,
        vec![vec![s1, s2, s3], vec![s4]]
    );
    assert_eq!(
        admin
            .pages(&format!("/api/availability?provider_id={b}"), 1)
            .await,
        vec![vec![s2], vec![s4]]
    );
    let (_, window) = admin
        .get("/api/availability?from=2030-03-01T10:00:00%2B00:00&to=2030-03-01T12:00:00Z")
        .await;
    assert_eq!(ids(&window["items"]), vec![s3]);

    let contact = admin.contact("+14155550300").await;
    admin.appointment(contact, s1).await;
    let (_, open) = admin.get("/api/availability?available=true").await;
    assert_eq!(ids(&open["items"]), vec![s2, s3, s4]);

    admin
        .assert_bad_requests(&[
            "/api/availability?from=yesterday",
            "/api/availability?from=2030-03-02T00:00:00Z&to=2030-03-01T00:00:00Z",
            "/api/availability?provider_id=0",
            "/api/availability?available=perhaps",
            "/api/availability?cursor=aTox",
        ])
        .await;
}
