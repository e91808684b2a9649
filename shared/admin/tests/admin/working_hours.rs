//! A provider's working hours through the admin API: setting them opens the
//! provider's slots for the coming weeks, changing them removes unused slots
//! outside the new hours and never a booked one.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{Admin, assert_not_found, assert_validation_failed};

async fn slots_of(admin: &Admin, provider: i64) -> i64 {
    admin
        .sql_rows(
            "SELECT count(*) FROM availability_slots WHERE provider_id = $1",
            &[&provider],
        )
        .await[0]
        .get(0)
}

#[tokio::test]
async fn working_hours_open_the_providers_slots_and_new_hours_keep_booked_ones() {
    let admin = Admin::start().await;
    let lee = admin.provider("Dr. Lee").await;
    let uri = format!("/api/providers/{lee}/working-hours");
    let (status, body) = admin.get(&uri).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["hours"], serde_json::Value::Null);

    let (status, body) = admin
        .call(
            axum::http::Method::PUT,
            &uri,
            Some(json!({"hours": "tue 09:00-11:00; thu 14:00-15:00", "weeks": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Two weeks of four Tuesday and two Thursday half-hours, less any
    // already past today.
    let opened = body["slots_opened"].as_i64().unwrap();
    assert!((6..=12).contains(&opened), "{body}");
    assert_eq!(slots_of(&admin, lee).await, opened);
    assert_eq!(
        admin.get(&uri).await.1["hours"],
        "tue 09:00-11:00; thu 14:00-15:00"
    );

    // Book one Thursday slot, then drop Thursdays: the booked one stays.
    let booked_slot: i64 = admin
        .sql_rows(
            "SELECT id FROM availability_slots WHERE provider_id = $1
              AND extract(dow FROM starts_at AT TIME ZONE 'America/New_York') = 4
              AND starts_at > now() ORDER BY starts_at DESC LIMIT 1",
            &[&lee],
        )
        .await[0]
        .get(0);
    let contact = admin.contact("+14155550300").await;
    admin.appointment(contact, booked_slot).await;
    let (status, body) = admin
        .call(
            axum::http::Method::PUT,
            &uri,
            Some(json!({"hours": "tue 09:00-11:00", "weeks": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["slots_opened"], 0);
    assert!(body["slots_removed"].as_i64().unwrap() >= 1, "{body}");
    let thursdays: i64 = admin
        .sql_rows(
            "SELECT count(*) FROM availability_slots WHERE provider_id = $1
              AND extract(dow FROM starts_at AT TIME ZONE 'America/New_York') = 4",
            &[&lee],
        )
        .await[0]
        .get(0);
    assert_eq!(thursdays, 1, "only the booked Thursday slot is left");
}

#[tokio::test]
async fn hours_that_do_not_read_are_refused_and_an_unknown_provider_is_404() {
    let admin = Admin::start().await;
    let lee = admin.provider("Dr. Lee").await;
    let uri = format!("/api/providers/{lee}/working-hours");
    for body in [
        json!({"hours": "whenever"}),
        json!({"hours": "mon 17:00-09:00"}),
        json!({"hours": ""}),
        json!({"hours": "mon 09:00-17:00", "weeks": 0}),
        json!({"hours": "mon 09:00-17:00", "weeks": 27}),
        json!({"hours": "mon 09:00-17:00", "slot_minutes": 1}),
        json!({"hours": "mon 09:00-17:00", "capacity": 0}),
    ] {
        assert_validation_failed(
            &admin
                .call(axum::http::Method::PUT, &uri, Some(body.clone()))
                .await,
        );
    }
    assert_eq!(slots_of(&admin, lee).await, 0);
    assert_not_found(&admin.get("/api/providers/999999/working-hours").await);
    assert_not_found(
        &admin
            .call(
                axum::http::Method::PUT,
                "/api/providers/999999/working-hours",
                Some(json!({"hours": "mon 09:00-17:00"})),
            )
            .await,
    );
}
