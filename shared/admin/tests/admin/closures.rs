//! Closures through the admin API: adding one lists (and, when asked, texts)
//! the customers booked inside it; its time is not offered again until it is
//! removed.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{Admin, assert_conflict, assert_not_found, assert_validation_failed};

#[tokio::test]
async fn a_closure_over_booked_appointments_lists_them_and_texts_those_customers_when_asked() {
    let admin = Admin::start().await;
    let lee = admin.provider("Dr. Lee").await;
    let kim = admin.provider("Dr. Kim").await;
    let ana = admin.contact("+14155550200").await;
    let ben = admin.contact("+14155550201").await;
    let inside = admin.booked(ana, lee, "2028-02-02T15:00:00Z").await;
    admin.booked(ben, kim, "2028-02-02T15:00:00Z").await; // another provider
    admin.booked(ben, lee, "2028-02-03T15:00:00Z").await; // another day

    let (status, body) = admin
        .post(
            "/api/closures",
            json!({"provider_id": lee, "starts_at": "2028-02-02T13:00:00Z",
                   "ends_at": "2028-02-02T22:00:00Z", "reason": "Dr. Lee at a conference",
                   "notify": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let affected = body["affected_appointments"].as_array().unwrap();
    assert_eq!(affected.len(), 1, "{body}");
    assert_eq!(affected[0]["appointment_id"], inside);
    assert_eq!(affected[0]["phone"], "+14155550200");
    assert_eq!(affected[0]["notification"], "sent");
    let texts = admin.phone.take("+14155550200");
    assert!(texts[0].contains("Reply \"reschedule\""), "{texts:?}");
    assert!(admin.phone.take("+14155550201").is_empty());

    // Still booked: staff decide.
    let (_, listed) = admin
        .get(&format!("/api/appointments?contact_id={ana}"))
        .await;
    assert_eq!(listed["items"][0]["status"], "booked");

    let (_, closures) = admin
        .get("/api/closures?from=2028-02-01T00:00:00Z&to=2028-03-01T00:00:00Z")
        .await;
    assert_eq!(closures.as_array().unwrap().len(), 1);
    assert_eq!(closures[0]["provider_id"], lee);
    assert_eq!(closures[0]["reason"], "Dr. Lee at a conference");
}

#[tokio::test]
async fn a_removed_closure_frees_its_time_and_bad_closures_are_refused() {
    let admin = Admin::start().await;
    let lee = admin.provider("Dr. Lee").await;
    let contact = admin.contact("+14155550210").await;
    let slot = admin.slot_for_one(lee, "2028-03-03T15:00:00Z").await;
    let (_, body) = admin
        .post(
            "/api/closures",
            json!({"starts_at": "2028-03-03T00:00:00-05:00", "ends_at": "2028-03-04T00:00:00-05:00",
                   "reason": "Snow day"}),
        )
        .await;
    let closure = body["closure"]["id"].as_i64().unwrap();
    assert_eq!(body["closure"]["provider_id"], serde_json::Value::Null);
    let refused = admin
        .post(
            "/api/appointments",
            json!({"contact_id": contact, "slot_id": slot}),
        )
        .await;
    assert_conflict(&refused, "closed");

    let (status, _) = admin.delete(&format!("/api/closures/{closure}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_not_found(&admin.delete(&format!("/api/closures/{closure}")).await);
    let (status, body) = admin
        .post(
            "/api/appointments",
            json!({"contact_id": contact, "slot_id": slot}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    admin
        .assert_refused_as_invalid(
            "/api/closures",
            [
                json!({"starts_at": "2028-03-03T10:00:00Z", "ends_at": "2028-03-03T10:00:00Z", "reason": "x"}),
                json!({"starts_at": "2028-03-03T10:00:00Z", "ends_at": "2028-03-03T09:00:00Z", "reason": "x"}),
                json!({"starts_at": "2028-03-03T10:00:00Z", "ends_at": "2028-03-03T11:00:00Z", "reason": ""}),
                json!({"starts_at": "2028-03-03T10:00:00Z", "ends_at": "2028-03-03T11:00:00Z", "reason": "x".repeat(201)}),
                json!({"provider_id": 999_999, "starts_at": "2028-03-03T10:00:00Z", "ends_at": "2028-03-03T11:00:00Z", "reason": "x"}),
                json!({"provider_id": 0, "starts_at": "2028-03-03T10:00:00Z", "ends_at": "2028-03-03T11:00:00Z", "reason": "x"}),
            ],
        )
        .await;
    assert_validation_failed(
        &admin
            .post(
                "/api/closures",
                json!({"starts_at": "2028-03-03T10:00:00Z", "ends_at": "+99999-01-01T00:00:00Z", "reason": "x"}),
            )
            .await,
    );
    admin
        .assert_bad_requests(&[
            "/api/closures?from=2028-03-04T00:00:00Z&to=2028-03-03T00:00:00Z",
            "/api/closures?from=tomorrow",
        ])
        .await;
}
