//! Calendar feeds: a provider's appointments and a customer's one
//! appointment as `.ics` files at secret public URLs, read back with a real
//! iCalendar parser, with nine in the morning staying nine in the morning
//! across both of New York's daylight saving changes.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc, Weekday};
use http_body_util::BodyExt;
use icalendar::{
    Calendar, CalendarComponent, CalendarDateTime, Component, DatePerhapsTime, Event, EventStatus,
};
use serde_json::json;
use smsbot_domain::AppointmentId;
use tower::ServiceExt;

use crate::support::{Admin, PUBLIC_BASE_URL, assert_not_found};

const ZONE: &str = "America/New_York";

/// A public GET, without the admin key: status, Content-Type and body.
async fn fetch(admin: &Admin, path: &str) -> (StatusCode, String, String) {
    let request = Request::get(path).body(Body::empty()).unwrap();
    let response = admin.router().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

/// Fetches an `.ics` that must be there, and parses it.
async fn calendar_at(admin: &Admin, path: &str) -> (String, Calendar) {
    let (status, content_type, text) = fetch(admin, path).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(content_type, "text/calendar; charset=utf-8");
    assert!(text.ends_with("END:VCALENDAR\r\n"), "{text}");
    let calendar: Calendar = text.parse().unwrap_or_else(|e| panic!("{e}: {text}"));
    (text, calendar)
}

fn events(calendar: &Calendar) -> Vec<&Event> {
    calendar
        .components
        .iter()
        .filter_map(CalendarComponent::as_event)
        .collect()
}

/// The `n`th Sunday of `month` (the US changes: second of March, first of
/// November).
fn nth_sunday(year: i32, month: u32, n: u32) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap();
    let days_to_sunday = (7 - first.weekday().num_days_from_sunday()) % 7;
    let sunday = first + Duration::days(i64::from(days_to_sunday + 7 * (n - 1)));
    assert_eq!(sunday.weekday(), Weekday::Sun);
    sunday
}

/// The next day of change after the next few days: `(month, nth Sunday)`.
fn next_change(month: u32, n: u32) -> NaiveDate {
    let soon = (Utc::now() + Duration::days(3)).date_naive();
    let this_year = nth_sunday(soon.year(), month, n);
    if this_year > soon {
        this_year
    } else {
        nth_sunday(soon.year() + 1, month, n)
    }
}

/// Nine in the morning in New York on `day`, written as the UTC instant it
/// is: `utc_hour` is 14 in winter, 13 in summer.
fn nine_in_new_york(day: NaiveDate, utc_hour: u32) -> String {
    format!("{day}T{utc_hour:02}:00:00Z")
}

/// The provider "Dana", offering a half-hour "Haircut".
async fn dana(admin: &Admin) -> (i64, i64) {
    let dana = admin.provider("Dana").await;
    let haircut: i64 = admin
        .sql_rows(
            "INSERT INTO services (name, duration_minutes) VALUES ('Haircut', 30) RETURNING id",
            &[],
        )
        .await[0]
        .get(0);
    admin
        .sql(
            "INSERT INTO provider_services (provider_id, service_id) VALUES ($1, $2)",
            &[&dana, &haircut],
        )
        .await;
    (dana, haircut)
}

/// A haircut with `provider` at `starts_at` booked at the front desk for a
/// new customer "Maria Lopez" at `phone`.
async fn book(admin: &Admin, provider: i64, haircut: i64, starts_at: &str, phone: &str) -> i64 {
    let slot = admin.slot_for_one(provider, starts_at).await;
    let (status, body) = admin
        .post(
            "/api/appointments",
            json!({"phone": phone, "name": "Maria Lopez", "slot_id": slot,
                   "service_id": haircut}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["appointment"]["id"].as_i64().unwrap()
}

/// A new feed of `provider`: its path, from the answer that shows it once.
async fn new_feed(admin: &Admin, provider: i64) -> (i64, String) {
    let (status, body) = admin
        .command(&format!("/api/providers/{provider}/calendar-feeds"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let path = body["path"].as_str().unwrap().to_owned();
    assert!(path.starts_with("/api/calendars/feeds/") && path.ends_with(".ics"));
    assert_eq!(body["url"], format!("{PUBLIC_BASE_URL}{path}"));
    assert_eq!(body["provider_id"], provider);
    assert!(body["revoked_at"].is_null());
    (body["id"].as_i64().unwrap(), path)
}

/// One offset of a VTIMEZONE, from its onset (UTC) on.
struct Observance {
    onset: NaiveDateTime,
    offset: Duration,
}

fn utc_offset(text: &str) -> Duration {
    let sign = if text.starts_with('-') { -1 } else { 1 };
    let hours: i64 = text[1..3].parse().unwrap();
    let minutes: i64 = text[3..5].parse().unwrap();
    Duration::minutes(sign * (hours * 60 + minutes))
}

/// The observances of the calendar's VTIMEZONE named `tzid`, by onset.
fn observances(calendar: &Calendar, tzid: &str) -> Vec<Observance> {
    let zone = calendar
        .components
        .iter()
        .find_map(|c| match c {
            CalendarComponent::Other(o)
                if o.component_kind() == "VTIMEZONE" && o.property_value("TZID") == Some(tzid) =>
            {
                Some(o)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("a VTIMEZONE for {tzid}"));
    let mut list: Vec<Observance> = zone
        .components()
        .iter()
        .map(|o| {
            let local = NaiveDateTime::parse_from_str(
                o.property_value("DTSTART").unwrap(),
                "%Y%m%dT%H%M%S",
            )
            .unwrap();
            Observance {
                onset: local - utc_offset(o.property_value("TZOFFSETFROM").unwrap()),
                offset: utc_offset(o.property_value("TZOFFSETTO").unwrap()),
            }
        })
        .collect();
    list.sort_by_key(|o| o.onset);
    list
}

/// The instant a local time of the calendar's own VTIMEZONE stands for:
/// read from the feed alone, not from a timezone database.
fn instant_by_the_feeds_timezone(
    calendar: &Calendar,
    tzid: &str,
    local: NaiveDateTime,
) -> DateTime<Utc> {
    let list = observances(calendar, tzid);
    for (i, observance) in list.iter().enumerate() {
        let candidate = local - observance.offset;
        let next_onset = list.get(i + 1).map(|next| next.onset);
        if candidate >= observance.onset && next_onset.is_none_or(|next| candidate < next) {
            return candidate.and_utc();
        }
    }
    panic!("{local} is outside the VTIMEZONE of {tzid}");
}

fn local_start(event: &Event) -> (NaiveDateTime, String) {
    match event.get_start() {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid })) => {
            (date_time, tzid)
        }
        other => panic!("a local start with a TZID, not {other:?}"),
    }
}

#[tokio::test]
async fn nine_in_the_morning_stays_nine_across_both_daylight_saving_changes() {
    let admin = Admin::start().await;
    let (dana, haircut) = dana(&admin).await;
    let spring = next_change(3, 2);
    let fall = next_change(11, 1);
    // (day, the UTC hour of 09:00 in New York that day)
    let visits = [
        (spring - Duration::days(1), 14),
        (spring, 13),
        (spring + Duration::days(1), 13),
        (fall - Duration::days(1), 13),
        (fall, 14),
        (fall + Duration::days(1), 14),
    ];
    let mut booked = Vec::new();
    for (i, (day, utc_hour)) in visits.iter().enumerate() {
        let phone = format!("(415) 555-01{i:02}");
        let id = book(
            &admin,
            dana,
            haircut,
            &nine_in_new_york(*day, *utc_hour),
            &phone,
        )
        .await;
        booked.push((id, *day, *utc_hour));
    }
    let (_, path) = new_feed(&admin, dana).await;

    let (text, calendar) = calendar_at(&admin, &path).await;
    let events = events(&calendar);
    assert_eq!(events.len(), visits.len(), "{text}");
    for (id, day, utc_hour) in booked {
        let uid = format!("appointment-{id}@api.example.com");
        let event = events
            .iter()
            .find(|e| e.get_uid() == Some(uid.as_str()))
            .unwrap_or_else(|| panic!("{uid} in {text}"));
        let (local, tzid) = local_start(event);
        assert_eq!(tzid, ZONE);
        assert_eq!(local, day.and_hms_opt(9, 0, 0).unwrap(), "{uid}");
        let expected: DateTime<Utc> = nine_in_new_york(day, utc_hour).parse().unwrap();
        assert_eq!(
            instant_by_the_feeds_timezone(&calendar, &tzid, local),
            expected,
            "{day}: by the VTIMEZONE in the feed"
        );
        let by_the_parser = match event.get_start() {
            Some(DatePerhapsTime::DateTime(start)) => start.try_into_utc(),
            _ => None,
        };
        assert_eq!(by_the_parser, Some(expected), "{day}: by the parser");
        assert_eq!(event.get_summary(), Some("Haircut - Maria"));
        assert_eq!(event.get_status(), Some(EventStatus::Confirmed));
        assert!(event.get_timestamp().is_some(), "DTSTAMP");
    }
    assert_eq!(calendar.get_timezone(), Some(ZONE));
    assert_eq!(calendar.get_name(), Some("Dana"));
}

#[tokio::test]
async fn a_feed_shows_first_names_and_no_phone_numbers() {
    let admin = Admin::start().await;
    let (dana, haircut) = dana(&admin).await;
    let day = (Utc::now() + Duration::days(10)).date_naive();
    book(
        &admin,
        dana,
        haircut,
        &format!("{day}T15:00:00Z"),
        "(415) 555-0142",
    )
    .await;
    let (_, path) = new_feed(&admin, dana).await;

    let (text, calendar) = calendar_at(&admin, &path).await;
    assert_eq!(events(&calendar).len(), 1, "{text}");
    assert!(text.contains("Maria"), "{text}");
    for personal in ["Lopez", "555", "0142", "+1415"] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
}

#[tokio::test]
async fn a_revoked_feed_and_an_unknown_token_are_not_found() {
    let admin = Admin::start().await;
    let (dana, _) = dana(&admin).await;
    let (feed, path) = new_feed(&admin, dana).await;
    let (_, second_path) = new_feed(&admin, dana).await;
    assert_ne!(path, second_path, "every feed has its own token");
    assert_eq!(fetch(&admin, &path).await.0, StatusCode::OK);

    assert_eq!(
        admin.delete(&format!("/api/calendar-feeds/{feed}")).await.0,
        StatusCode::NO_CONTENT
    );
    let (status, _, body) = fetch(&admin, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("revoked"), "says nothing more: {body}");
    // Revoking again changes nothing; the other feed still works.
    assert_eq!(
        admin.delete(&format!("/api/calendar-feeds/{feed}")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(fetch(&admin, &second_path).await.0, StatusCode::OK);

    let (status, listed) = admin
        .get(&format!("/api/providers/{dana}/calendar-feeds"))
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[0]["id"], feed);
    assert!(listed[0]["revoked_at"].is_string(), "{listed}");
    assert!(listed[1]["revoked_at"].is_null(), "{listed}");
    let token = path
        .trim_start_matches("/api/calendars/feeds/")
        .trim_end_matches(".ics");
    assert!(
        !listed.to_string().contains(token),
        "the list shows no secret"
    );
    assert!(!listed.to_string().contains("url"), "{listed}");

    let unknown = "A".repeat(43);
    for path in [
        format!("/api/calendars/feeds/{unknown}.ics"),
        "/api/calendars/feeds/short.ics".to_owned(),
        format!("/api/calendars/feeds/{token}"),
        format!("/api/calendars/appointments/{token}.ics"),
        format!("/api/calendars/appointments/{unknown}.ics"),
    ] {
        assert_eq!(
            fetch(&admin, &path).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[tokio::test]
async fn feeds_of_an_unknown_provider_or_feed_are_not_found() {
    let admin = Admin::start().await;
    assert_not_found(&admin.command("/api/providers/999/calendar-feeds").await);
    assert_not_found(&admin.get("/api/providers/999/calendar-feeds").await);
    assert_not_found(&admin.delete("/api/calendar-feeds/999").await);
}

#[tokio::test]
async fn a_cancelled_visit_leaves_the_feed_and_its_own_file_shows_it_cancelled() {
    let admin = Admin::start().await;
    let (dana, haircut) = dana(&admin).await;
    let day = (Utc::now() + Duration::days(5)).date_naive();
    let id = book(
        &admin,
        dana,
        haircut,
        &format!("{day}T15:00:00Z"),
        "(415) 555-0142",
    )
    .await;
    let (_, feed) = new_feed(&admin, dana).await;
    let token = {
        let db = admin.pool().get().await.unwrap();
        smsbot_store::calendars::create_appointment_link(&db, AppointmentId::new(id), Utc::now())
            .await
            .unwrap()
            .expect("the appointment exists")
    };
    let file = smsbot_domain::calendar_links::appointment_path(token.expose());

    let (text, calendar) = calendar_at(&admin, &file).await;
    let event = events(&calendar)[0];
    assert_eq!(event.get_status(), Some(EventStatus::Confirmed), "{text}");
    assert_eq!(event.get_summary(), Some("Haircut"));
    assert_eq!(event.get_description(), Some("With Dana"));
    assert!(!text.contains("555"), "{text}");

    let (status, body) = admin.on_appointment(id, "cancel").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (text, calendar) = calendar_at(&admin, &feed).await;
    assert!(events(&calendar).is_empty(), "{text}");
    let (text, calendar) = calendar_at(&admin, &file).await;
    assert_eq!(
        events(&calendar)[0].get_status(),
        Some(EventStatus::Cancelled),
        "{text}"
    );
}
