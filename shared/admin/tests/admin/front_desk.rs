//! The front desk: booking and moving appointments for customers on the
//! phone, the day sheet, and the same engine's refusals.

use axum::http::StatusCode;
use chrono::{Duration, SubsecRound, Utc};
use serde_json::{Value, json};

use crate::support::{Admin, assert_conflict, assert_not_found, assert_validation_failed};

/// An RFC 3339 UTC instant `days` days from now at `hh:mm` UTC.
fn day_at(days: i64, hh: u32, mm: u32) -> String {
    let day = (Utc::now() + Duration::days(days)).date_naive();
    day.and_hms_opt(hh, mm, 0)
        .unwrap()
        .and_utc()
        .trunc_subsecs(0)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn service(admin: &Admin, name: &str, minutes: i32, provider: i64) -> i64 {
    let id: i64 = admin
        .sql_rows(
            "INSERT INTO services (name, duration_minutes) VALUES ($1, $2) RETURNING id",
            &[&name, &minutes],
        )
        .await[0]
        .get(0);
    admin
        .sql(
            "INSERT INTO provider_services (provider_id, service_id) VALUES ($1, $2)",
            &[&provider, &id],
        )
        .await;
    id
}

fn status_of(answer: &(StatusCode, Value)) -> StatusCode {
    answer.0
}

#[tokio::test]
async fn the_desk_books_a_caller_by_phone_and_texts_them_the_time() {
    let admin = Admin::start().await;
    let lee = admin.provider("Dr. Lee").await;
    let slot = admin.slot_for_one(lee, &day_at(3, 15, 0)).await;
    let (status, body) = admin
        .post(
            "/api/appointments",
            json!({"phone": "(415) 555-0142", "name": "Maria Lopez", "slot_id": slot,
                   "notify": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["notification"], "sent");
    assert_eq!(body["appointment"]["status"], "booked");
    assert_eq!(body["appointment"]["slot_id"], slot);
    assert_eq!(body["appointment"]["provider_id"], lee);
    let texts = admin.phone.take("+14155550142");
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(texts[0].contains("You're booked for"), "{}", texts[0]);
    assert!(
        texts[0].contains(
            "Add it to your calendar: https://api.example.com/prod/api/calendars/appointments/"
        ),
        "{}",
        texts[0]
    );
    assert!(
        texts[0].contains("11:00 AM") || texts[0].contains("10:00 AM"),
        "{}",
        texts[0]
    );

    let named = admin
        .sql_rows(
            "SELECT name FROM contacts WHERE phone = '+14155550142'",
            &[],
        )
        .await;
    assert_eq!(
        named[0].get::<_, Option<String>>(0).as_deref(),
        Some("Maria Lopez")
    );
    // The slot is gone for everyone now.
    let again = admin
        .post(
            "/api/appointments",
            json!({"phone": "+14155550143", "slot_id": slot}),
        )
        .await;
    assert_conflict(&again, "slot_full");
}

#[tokio::test]
async fn without_notify_the_desk_books_silently_and_an_opted_out_customer_is_never_texted() {
    let admin = Admin::start().await;
    let lee = admin.provider("Dr. Lee").await;
    let quiet = admin.contact("+14155550150").await;
    let slot = admin.slot_for_one(lee, &day_at(2, 14, 0)).await;
    let (status, body) = admin
        .post(
            "/api/appointments",
            json!({"contact_id": quiet, "slot_id": slot}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["notification"], "not_requested");
    assert!(admin.phone.take("+14155550150").is_empty());

    let opted_out = admin.contact("+14155550151").await;
    admin
        .sql(
            "UPDATE contacts SET consent = 'opted_out' WHERE id = $1",
            &[&opted_out],
        )
        .await;
    let other = admin.slot_for_one(lee, &day_at(2, 15, 0)).await;
    let (status, body) = admin
        .post(
            "/api/appointments",
            json!({"contact_id": opted_out, "slot_id": other, "notify": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["notification"], "no_consent");
    assert!(admin.phone.take("+14155550151").is_empty());
}

#[tokio::test]
async fn the_desk_is_refused_what_the_engine_refuses_with_a_code_saying_why() {
    let admin = Admin::start().await;
    let lee = admin.provider("Dr. Lee").await;
    let contact = admin.contact("+14155550160").await;
    let past = admin.slot_for_one(lee, &day_at(-1, 15, 0)).await;
    assert_conflict(
        &admin
            .post(
                "/api/appointments",
                json!({"contact_id": contact, "slot_id": past}),
            )
            .await,
        "slot_in_past",
    );
    // Two services and none named.
    let slot = admin.slot_for_one(lee, &day_at(4, 15, 0)).await;
    service(&admin, "Cleaning", 30, lee).await;
    let check_up = service(&admin, "Check-up", 60, lee).await;
    assert_validation_failed(
        &admin
            .post(
                "/api/appointments",
                json!({"contact_id": contact, "slot_id": slot}),
            )
            .await,
    );
    // A 60-minute check-up in a lone half-hour slot runs past Dr. Lee's time.
    assert_conflict(
        &admin
            .post(
                "/api/appointments",
                json!({"contact_id": contact, "slot_id": slot, "service_id": check_up}),
            )
            .await,
        "does_not_fit",
    );
    let (status, _) = admin
        .post(
            "/api/closures",
            json!({"starts_at": day_at(4, 0, 0), "ends_at": day_at(5, 0, 0),
                   "reason": "Public holiday"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let cleaning_slot = admin.slot_for_one(lee, &day_at(4, 16, 0)).await;
    let cleaning: i64 = admin
        .sql_rows("SELECT id FROM services WHERE name = 'Cleaning'", &[])
        .await[0]
        .get(0);
    assert_conflict(
        &admin
            .post(
                "/api/appointments",
                json!({"contact_id": contact, "slot_id": cleaning_slot, "service_id": cleaning}),
            )
            .await,
        "closed",
    );
    assert_validation_failed(
        &admin
            .post(
                "/api/appointments",
                json!({"contact_id": contact, "slot_id": 999_999}),
            )
            .await,
    );
    assert_not_found(
        &admin
            .post(
                "/api/appointments",
                json!({"contact_id": 999_999, "slot_id": slot}),
            )
            .await,
    );
    admin
        .assert_refused_as_invalid(
            "/api/appointments",
            [
                json!({"contact_id": contact, "phone": "+14155550160", "slot_id": slot}),
                json!({"slot_id": slot}),
                json!({"phone": "not a phone", "slot_id": slot}),
                json!({"contact_id": contact, "slot_id": 0}),
                json!({"contact_id": contact, "slot_id": slot, "service_id": -4}),
                json!({"phone": "+14155550161", "name": "", "slot_id": slot}),
            ],
        )
        .await;
    let unknown_field = admin
        .post(
            "/api/appointments",
            json!({"contact_id": contact, "slot_id": slot, "when": "now"}),
        )
        .await;
    assert!(
        status_of(&unknown_field).is_client_error(),
        "{unknown_field:?}"
    );
}

#[tokio::test]
async fn the_desk_moves_an_appointment_and_texts_the_new_time_but_never_onto_a_taken_slot() {
    let admin = Admin::start().await;
    let lee = admin.provider("Dr. Lee").await;
    let contact = admin.contact("+14155550170").await;
    let appointment = admin.booked(contact, lee, &day_at(3, 14, 0)).await;
    let free = admin.slot_for_one(lee, &day_at(3, 16, 0)).await;
    let (status, body) = admin
        .post(
            &format!("/api/appointments/{appointment}/reschedule"),
            json!({"slot_id": free, "notify": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["appointment"]["slot_id"], free);
    assert_eq!(body["appointment"]["starts_at"], day_at(3, 16, 0));
    assert_eq!(body["notification"], "sent");
    let texts = admin.phone.take("+14155550170");
    assert!(
        texts[0].starts_with("Done, your appointment is now"),
        "{texts:?}"
    );

    let someone = admin.contact("+14155550171").await;
    let taken = admin.slot_for_one(lee, &day_at(3, 17, 0)).await;
    admin.appointment(someone, taken).await;
    assert_conflict(
        &admin
            .post(
                &format!("/api/appointments/{appointment}/reschedule"),
                json!({"slot_id": taken}),
            )
            .await,
        "slot_full",
    );
    admin.on_appointment(appointment, "cancel").await;
    assert_conflict(
        &admin
            .post(
                &format!("/api/appointments/{appointment}/reschedule"),
                json!({"slot_id": free}),
            )
            .await,
        "invalid_transition",
    );
    assert_not_found(
        &admin
            .post(
                "/api/appointments/999999/reschedule",
                json!({"slot_id": free}),
            )
            .await,
    );
}

#[tokio::test]
async fn the_day_sheet_shows_a_local_day_with_names_phones_providers_services_and_status() {
    let admin = Admin::start().await;
    let lee = admin.provider("Dr. Lee").await;
    let kim = admin.provider("Dr. Kim").await;
    let cleaning = service(&admin, "Cleaning", 30, lee).await;
    admin
        .sql(
            "INSERT INTO provider_services (provider_id, service_id) VALUES ($1, $2)",
            &[&kim, &cleaning],
        )
        .await;
    // New York day 2028-01-15 runs 05:00Z to 05:00Z the next day.
    let maria = admin.contact("+14155550180").await;
    admin
        .sql(
            "UPDATE contacts SET name = 'Maria' WHERE id = $1",
            &[&maria],
        )
        .await;
    let joe = admin.contact("+14155550181").await;
    let mut booked = Vec::new();
    for (contact, provider, at) in [
        (maria, lee, "2028-01-15T14:00:00Z"),
        (joe, kim, "2028-01-15T14:00:00Z"),
        (joe, lee, "2028-01-16T04:30:00Z"), // 23:30 in New York: same day
        (maria, lee, "2028-01-16T05:00:00Z"), // midnight: the next day
        (maria, kim, "2028-01-15T04:30:00Z"), // 23:30 the day before
    ] {
        let slot = admin.slot_for_one(provider, at).await;
        let (status, body) = admin
            .post(
                "/api/appointments",
                json!({"contact_id": contact, "slot_id": slot, "service_id": cleaning}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        booked.push(body["appointment"]["id"].as_i64().unwrap());
    }
    admin.on_appointment(booked[1], "cancel").await;

    let (status, sheet) = admin.get("/api/appointments/day?date=2028-01-15").await;
    assert_eq!(status, StatusCode::OK, "{sheet}");
    assert_eq!(sheet["timezone"], "America/New_York");
    let lines = sheet["appointments"].as_array().unwrap();
    let ids: Vec<i64> = lines
        .iter()
        .map(|l| l["appointment_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![booked[1], booked[0], booked[2]], "{sheet}");
    assert_eq!(lines[1]["contact_name"], "Maria");
    assert_eq!(lines[1]["phone"], "+14155550180");
    assert_eq!(lines[1]["provider_name"], "Dr. Lee");
    assert_eq!(lines[1]["service_name"], "Cleaning");
    assert_eq!(lines[0]["status"], "cancelled");

    let (_, kims) = admin
        .get(&format!(
            "/api/appointments/day?date=2028-01-15&provider_id={kim}"
        ))
        .await;
    assert_eq!(kims["appointments"].as_array().unwrap().len(), 1);
    admin
        .assert_bad_requests(&[
            "/api/appointments/day",
            "/api/appointments/day?date=15/01/2031",
            "/api/appointments/day?date=2028-02-30",
            "/api/appointments/day?date=2028-01-15&provider_id=x",
            "/api/appointments/day?date=2028-01-15&provider_id=0",
        ])
        .await;
}

#[tokio::test]
async fn the_desk_approves_a_pencilled_in_booking_and_the_customer_is_told() {
    let admin = Admin::start().await;
    let lee = admin.provider("Dr. Lee").await;
    let contact = admin.contact("+14155550190").await;
    let appointment = admin.booked(contact, lee, &day_at(5, 15, 0)).await;
    admin
        .sql(
            "UPDATE appointments SET needs_approval = true WHERE id = $1",
            &[&appointment],
        )
        .await;
    let (_, listed) = admin
        .get(&format!("/api/appointments?contact_id={contact}"))
        .await;
    assert_eq!(listed["items"][0]["awaiting_approval"], true);

    let uri = format!("/api/appointments/{appointment}/approve");
    let (status, body) = admin.command(&uri).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["appointment"]["awaiting_approval"], false);
    assert_eq!(body["notification"], "sent");
    let texts = admin.phone.take("+14155550190");
    assert!(texts[0].starts_with("You're confirmed for"), "{texts:?}");

    // Again: nothing waits, nobody is texted twice.
    let (status, body) = admin.command(&uri).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["notification"], "not_requested");
    assert!(admin.phone.take("+14155550190").is_empty());

    admin.on_appointment(appointment, "cancel").await;
    assert_conflict(&admin.command(&uri).await, "invalid_transition");
    assert_not_found(&admin.command("/api/appointments/999999/approve").await);
}

/// Twilio timing out after it may have taken the text.
struct TimesOut;

#[async_trait::async_trait]
impl smsbot_outbox::SmsSender for TimesOut {
    async fn send(
        &self,
        _to: &smsbot_domain::PhoneNumber,
        _body: &str,
        _options: &smsbot_outbox::SendOptions,
    ) -> Result<smsbot_outbox::SentSms, smsbot_outbox::SendFailure> {
        Err(smsbot_outbox::SendFailure::OutcomeUnknown(
            "timed out".into(),
        ))
    }

    async fn find_sent(
        &self,
        _to: &smsbot_domain::PhoneNumber,
        _body: &str,
        _since: chrono::DateTime<Utc>,
    ) -> Result<Vec<smsbot_outbox::SentSms>, smsbot_outbox::SendFailure> {
        Err(smsbot_outbox::SendFailure::Transient("still down".into()))
    }
}

#[tokio::test]
async fn a_desk_booking_stands_when_the_confirmation_text_times_out_and_a_retry_books_nothing_twice()
 {
    let admin = Admin::start().await;
    let lee = admin.provider("Dr. Lee").await;
    let slot = admin.slot_for_one(lee, &day_at(3, 15, 0)).await;
    let mut state = admin.state();
    state.staff.outbox = smsbot_outbox::Outbox::new(
        admin.pool().clone(),
        std::sync::Arc::new(TimesOut),
        admin.clock.clone(),
        "America/New_York".parse().unwrap(),
    );
    let request = json!({"phone": "+14155550195", "slot_id": slot, "notify": true});
    let post = || {
        axum::http::Request::post("/api/appointments")
            .header("x-api-key", crate::support::KEY)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(request.to_string()))
            .unwrap()
    };
    let (status, body) = crate::support::send(smsbot_admin::router(state.clone()), post()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["notification"], "failed", "in doubt: never sent twice");
    // The desk clicks again: the customer already holds the slot.
    let again = crate::support::send(smsbot_admin::router(state), post()).await;
    assert_conflict(&again, "already_held");
    let booked: i64 = admin
        .sql_rows(
            "SELECT count(*) FROM appointments WHERE status = 'booked'",
            &[],
        )
        .await[0]
        .get(0);
    assert_eq!(booked, 1);
}

#[tokio::test]
async fn with_the_database_down_the_desk_gets_503_and_nothing_is_half_done() {
    let admin = Admin::start().await;
    let lee = admin.provider("Dr. Lee").await;
    let slot = admin.slot_for_one(lee, &day_at(3, 15, 0)).await;
    let down = admin.with_the_database_down();
    let request = axum::http::Request::post("/api/appointments")
        .header("x-api-key", crate::support::KEY)
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            json!({"phone": "+14155550196", "slot_id": slot}).to_string(),
        ))
        .unwrap();
    let (status, _) = crate::support::send(smsbot_admin::router(down), request).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(admin.phone.take("+14155550196").is_empty());
}
