//! Appointments: listing them, and the cancel and no-show commands.

use axum::http::StatusCode;

use crate::support::{Admin, assert_conflict, assert_invalid_transition, assert_not_found, ids};

#[tokio::test]
async fn appointments_are_listed_page_by_page_and_filtered_by_contact_status_and_time() {
    let admin = Admin::start().await;
    let provider = admin.provider("Dr A").await;
    let ann = admin.contact("+14155550400").await;
    let bob = admin.contact("+14155550401").await;
    let mut appointments = Vec::new();
    for (hour, contact) in [(9, ann), (10, bob), (11, ann)] {
        let starts_at = format!("2030-04-01T{hour:02}:00:00Z");
        appointments.push(admin.booked(contact, provider, &starts_at).await);
    }
    assert_eq!(
        admin.pages("/api/appointments", 2).await,
        vec![appointments[0..2].to_vec(), appointments[2..3].to_vec()]
    );
    let (_, anns) = admin
        .get(&format!("/api/appointments?contact_id={ann}"))
        .await;
    assert_eq!(ids(&anns["items"]), vec![appointments[0], appointments[2]]);
    assert_eq!(anns["items"][0]["status"], "booked");
    assert_eq!(anns["items"][0]["provider_id"], provider);
    assert_eq!(anns["items"][0]["starts_at"], "2030-04-01T09:00:00Z");

    let (_, window) = admin
        .get("/api/appointments?from=2030-04-01T10:00:00Z&to=2030-04-01T11:00:00Z")
        .await;
    assert_eq!(ids(&window["items"]), vec![appointments[1]]);

    admin.on_appointment(appointments[1], "cancel").await;
    let (_, cancelled) = admin.get("/api/appointments?status=cancelled").await;
    assert_eq!(ids(&cancelled["items"]), vec![appointments[1]]);

    admin
        .assert_bad_requests(&[
            "/api/appointments?status=lost",
            "/api/appointments?from=2030-04-02T00:00:00Z&to=2030-04-01T00:00:00Z",
            "/api/appointments?to=noon",
            "/api/appointments?contact_id=-1",
            "/api/appointments?from=99999-01-01T00:00:00Z",
        ])
        .await;
}

#[tokio::test]
async fn cancelling_a_booked_appointment_frees_its_place_and_a_second_cancel_is_409() {
    let admin = Admin::start().await;
    let provider = admin.provider("Dr C").await;
    let contact = admin.contact("+14155550500").await;
    let appointment = admin
        .booked(contact, provider, "2030-05-01T09:00:00Z")
        .await;
    let (_, before) = admin.get("/api/availability").await;
    assert_eq!(before["items"][0]["remaining"], 0);

    let (status, body) = admin.on_appointment(appointment, "cancel").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "cancelled");
    assert!(body["cancelled_at"].is_string());
    let (_, after) = admin.get("/api/availability").await;
    assert_eq!(after["items"][0]["remaining"], 1);
    let events = admin
        .sql_rows(
            "SELECT kind FROM appointment_events WHERE appointment_id = $1",
            &[&appointment],
        )
        .await;
    assert_eq!(events.last().unwrap().get::<_, String>(0), "cancelled");

    assert_invalid_transition(&admin.on_appointment(appointment, "cancel").await);
    assert_invalid_transition(&admin.on_appointment(appointment, "no-show").await);
}

#[tokio::test]
async fn a_no_show_is_refused_before_the_appointment_starts_and_recorded_after() {
    let admin = Admin::start().await;
    let provider = admin.provider("Dr N").await;
    let contact = admin.contact("+14155550600").await;
    let upcoming = admin
        .booked(contact, provider, "2030-06-01T09:00:00Z")
        .await;
    let missed = admin
        .booked(contact, provider, "2024-06-01T09:00:00Z")
        .await;

    assert_conflict(
        &admin.on_appointment(upcoming, "no-show").await,
        "appointment_not_started",
    );
    let (_, before) = admin.get(&format!("/api/contacts/{contact}")).await;
    assert_eq!(before["no_show_count"], 0);
    let (status, body) = admin.on_appointment(missed, "no-show").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "no_show");
    assert_invalid_transition(&admin.on_appointment(missed, "no-show").await);
    let (_, after) = admin.get(&format!("/api/contacts/{contact}")).await;
    assert_eq!(after["no_show_count"], 1, "the contact's count of no-shows");
}

#[tokio::test]
async fn an_appointment_that_does_not_exist_is_404() {
    let admin = Admin::start().await;
    for action in ["cancel", "no-show"] {
        assert_not_found(&admin.on_appointment(5, action).await);
    }
}

#[tokio::test]
async fn an_appointment_that_has_started_cannot_be_cancelled_and_keeps_its_place() {
    let admin = Admin::start().await;
    let provider = admin.provider("Dr S").await;
    let contact = admin.contact("+14155550700").await;
    let started = (chrono::Utc::now() - chrono::Duration::minutes(5))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let in_progress = admin.booked(contact, provider, &started).await;
    let long_past = admin
        .booked(contact, provider, "2024-06-01T09:00:00Z")
        .await;

    for appointment in [in_progress, long_past] {
        let answer = admin.on_appointment(appointment, "cancel").await;
        assert_conflict(&answer, "appointment_started");
        let message = answer.1["error"]["message"].as_str().unwrap();
        assert!(message.contains("already started"), "{message}");
    }
    let rows = admin
        .sql_rows(
            "SELECT a.status, s.booked_count,
                    (SELECT count(*) FROM appointment_events e
                      WHERE e.appointment_id = a.id AND e.kind = 'cancelled')
               FROM appointments a JOIN availability_slots s ON s.id = a.slot_id
              WHERE a.id = $1",
            &[&in_progress],
        )
        .await;
    assert_eq!(rows[0].get::<_, String>(0), "booked", "left as it was");
    assert_eq!(rows[0].get::<_, i32>(1), 1, "its place is still taken");
    assert_eq!(rows[0].get::<_, i64>(2), 0, "no cancellation recorded");

    // What an operator can do with it instead.
    let (status, body) = admin.on_appointment(in_progress, "no-show").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
