//! The waitlist through the admin API: a staff cancellation texts the first
//! waitlisted customer the freed time suits, with a hold; `GET /api/waitlist`
//! lists who waits for what, in queue order.

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Timelike, Utc};
use smsbot_conversation::waitlist_offers::{DEFAULT_HOLD, WaitlistOffers};
use smsbot_domain::ContactId;
use smsbot_outbox::Clock;
use smsbot_store::waitlist::{self, JoinOutcome, NewEntry};

use crate::support::{Admin, assert_bad_request, ids};

const ANA: &str = "+14155550200";
const BEN: &str = "+14155550201";
const CY: &str = "+14155550202";

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

/// Moves the admin's clock to the next 18:00 UTC (10 or 11 AM in
/// California): offers, like reminders, are not texted in quiet hours.
fn to_daytime(admin: &Admin) -> DateTime<Utc> {
    let now = admin.clock.now();
    let today = now.date_naive().and_hms_opt(18, 0, 0).unwrap().and_utc();
    let target = if today > now {
        today
    } else {
        today + Duration::days(1)
    };
    admin.clock.advance(target - now);
    assert_eq!(admin.clock.now().hour(), 18);
    target
}

async fn join(admin: &Admin, contact: i64, from: &str, to: &str) {
    let mut client = admin.pool().get().await.unwrap();
    let tx = client.transaction().await.unwrap();
    let joined = waitlist::join(
        &tx,
        &NewEntry {
            contact_id: ContactId::new(contact),
            service_id: None,
            provider_id: None,
            wanted_from: utc(from),
            wanted_to: utc(to),
        },
        admin.clock.now(),
    )
    .await
    .unwrap();
    assert!(matches!(joined, JoinOutcome::Joined(_)), "{joined:?}");
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn cancelling_an_appointment_texts_the_first_waitlisted_customer_it_suits() {
    let admin = Admin::start().await;
    let now = to_daytime(&admin);
    let lee = admin.provider("Dr. Lee").await;
    let (ana, ben, cy) = (
        admin.contact(ANA).await,
        admin.contact(BEN).await,
        admin.contact(CY).await,
    );
    let slot = admin.slot_for_one(lee, "2028-02-02T15:00:00Z").await;
    let appointment = admin.appointment(cy, slot).await;
    // Ana wants the afternoon only; Ben the whole day; Cy too, but later.
    join(&admin, ana, "2028-02-02T17:00:00Z", "2028-02-02T23:00:00Z").await;
    join(&admin, ben, "2028-02-02T12:00:00Z", "2028-02-02T23:00:00Z").await;

    let (status, body) = admin.on_appointment(appointment, "cancel").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let texts = admin.phone.take(BEN);
    assert_eq!(texts.len(), 1, "{texts:?}");
    // 15:00 UTC is 10:00 AM in New York, the business's timezone.
    let deadline = (now + Duration::minutes(15))
        .with_timezone(&chrono_tz::America::New_York)
        .format("%-I:%M %p")
        .to_string();
    assert_eq!(
        texts[0],
        format!(
            "Good news: Wed Feb 2, 10:00 AM just opened up. Reply YES by {deadline} to take it, or NO to pass."
        )
    );
    assert!(admin.phone.take(ANA).is_empty(), "her window starts later");

    let (status, listed) = admin.get("/api/waitlist").await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{listed}");
    assert_eq!(items[0]["contact_id"], ana, "queue order: who joined first");
    assert_eq!(items[0]["status"], "waiting");
    assert_eq!(items[0]["phone"], ANA);
    assert!(items[0]["offer"].is_null());
    assert_eq!(items[1]["contact_id"], ben);
    assert_eq!(items[1]["status"], "offered");
    assert_eq!(items[1]["wanted_from"], "2028-02-02T12:00:00Z");
    assert_eq!(items[1]["offer"]["slot_id"], slot);
    assert_eq!(
        utc(items[1]["offer"]["held_until"].as_str().unwrap()),
        now + Duration::minutes(15)
    );
    assert_eq!(
        utc(items[1]["offer"]["starts_at"].as_str().unwrap()),
        utc("2028-02-02T15:00:00Z")
    );

    // The freed place is held for Ben: nobody else can book it meanwhile.
    let (status, body) = admin
        .post(
            "/api/appointments",
            serde_json::json!({"contact_id": ana, "slot_id": slot}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "held", "{body}");
}

#[tokio::test]
async fn the_waitlist_filters_by_status_and_contact_and_refuses_what_it_does_not_know() {
    let admin = Admin::start().await;
    to_daytime(&admin);
    let ana = admin.contact(ANA).await;
    let ben = admin.contact(BEN).await;
    join(&admin, ana, "2028-02-02T12:00:00Z", "2028-02-02T23:00:00Z").await;
    join(&admin, ben, "2028-02-02T12:00:00Z", "2028-02-02T23:00:00Z").await;
    join(&admin, ben, "2028-02-03T12:00:00Z", "2028-02-03T23:00:00Z").await;

    let (_, all) = admin.get("/api/waitlist?limit=2").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    assert!(all["next_cursor"].is_string(), "{all}");
    let pages = admin.pages("/api/waitlist", 1).await;
    assert_eq!(pages.len(), 3);
    let (_, bens) = admin.get(&format!("/api/waitlist?contact_id={ben}")).await;
    assert_eq!(ids(&bens["items"]).len(), 2);
    let (_, waiting) = admin.get("/api/waitlist?status=waiting").await;
    assert_eq!(ids(&waiting["items"]).len(), 3);
    let (_, offered) = admin.get("/api/waitlist?status=offered").await;
    assert!(ids(&offered["items"]).is_empty());

    assert_bad_request(&admin.get("/api/waitlist?status=sleeping").await);
    assert_bad_request(&admin.get("/api/waitlist?contact_id=0").await);
    assert_bad_request(&admin.get("/api/waitlist?cursor=nonsense").await);
}

/// The sweep housekeeping runs, with the admin's outbox and clock.
fn sweeper(admin: &Admin) -> WaitlistOffers {
    WaitlistOffers::new(
        admin.pool().clone(),
        admin.state().staff.outbox,
        admin.clock.clone(),
        DEFAULT_HOLD,
    )
}

async fn status_of(admin: &Admin, contact: i64) -> String {
    let (_, listed) = admin
        .get(&format!("/api/waitlist?contact_id={contact}"))
        .await;
    listed["items"][0]["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_offer_left_unanswered_passes_to_the_next_customer_at_the_sweep() {
    let admin = Admin::start().await;
    to_daytime(&admin);
    let lee = admin.provider("Dr. Lee").await;
    let (ana, ben, cy) = (
        admin.contact(ANA).await,
        admin.contact(BEN).await,
        admin.contact(CY).await,
    );
    let slot = admin.slot_for_one(lee, "2028-02-02T15:00:00Z").await;
    let appointment = admin.appointment(cy, slot).await;
    join(&admin, ben, "2028-02-02T12:00:00Z", "2028-02-02T23:00:00Z").await;
    join(&admin, ana, "2028-02-02T12:00:00Z", "2028-02-02T23:00:00Z").await;
    admin.on_appointment(appointment, "cancel").await;
    assert_eq!(admin.phone.take(BEN).len(), 1);

    // Within the hold, the sweep leaves it alone.
    admin.clock.advance(Duration::minutes(10));
    let report = sweeper(&admin).sweep().await.unwrap();
    assert_eq!(report.expired, 0);
    assert!(admin.phone.take(ANA).is_empty());

    admin.clock.advance(Duration::minutes(6));
    let report = sweeper(&admin).sweep().await.unwrap();
    assert_eq!(report.expired, 1, "{report:?}");
    assert_eq!(report.offers.texted, 1, "{report:?}");
    let texts = admin.phone.take(ANA);
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(texts[0].starts_with("Good news: Wed Feb 2, 10:00 AM"));
    assert!(admin.phone.take(BEN).is_empty());
    assert_eq!(status_of(&admin, ben).await, "expired");
    assert_eq!(status_of(&admin, ana).await, "offered");
}

#[tokio::test]
async fn an_offer_freed_in_quiet_hours_is_texted_when_they_end_with_the_whole_hold() {
    let admin = Admin::start().await;
    // 08:00 UTC: 3 or 4 AM in New York, the business's timezone.
    let night = to_daytime(&admin) + Duration::hours(14);
    admin.clock.advance(Duration::hours(14));
    let lee = admin.provider("Dr. Lee").await;
    let (ben, cy) = (admin.contact(BEN).await, admin.contact(CY).await);
    let slot = admin.slot_for_one(lee, "2028-02-02T15:00:00Z").await;
    let appointment = admin.appointment(cy, slot).await;
    join(&admin, ben, "2028-02-02T12:00:00Z", "2028-02-02T23:00:00Z").await;

    let (status, _) = admin.on_appointment(appointment, "cancel").await;
    assert_eq!(status, StatusCode::OK);
    assert!(admin.phone.take(BEN).is_empty(), "not at night");
    let eight = night
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive()
        .and_hms_opt(8, 0, 0)
        .unwrap()
        .and_local_timezone(chrono_tz::America::New_York)
        .unwrap()
        .to_utc();
    let (_, listed) = admin.get("/api/waitlist").await;
    assert_eq!(listed["items"][0]["status"], "offered");
    assert_eq!(
        utc(listed["items"][0]["offer"]["held_until"].as_str().unwrap()),
        eight + Duration::minutes(15),
        "the place stays held overnight, and the hold counts from the text"
    );

    // The morning's first sweep after eight texts it, and the hold restarts.
    admin.clock.advance(eight - night + Duration::minutes(20));
    let report = sweeper(&admin).sweep().await.unwrap();
    assert_eq!(report.expired, 0, "{report:?}");
    assert_eq!(report.offers.texted, 1, "{report:?}");
    assert_eq!(admin.phone.take(BEN).len(), 1);
    let (_, listed) = admin.get("/api/waitlist").await;
    assert_eq!(
        utc(listed["items"][0]["offer"]["held_until"].as_str().unwrap()),
        admin.clock.now() + Duration::minutes(15)
    );
}

#[tokio::test]
async fn a_desk_move_offers_the_time_left_behind_to_the_waitlist() {
    let admin = Admin::start().await;
    to_daytime(&admin);
    let lee = admin.provider("Dr. Lee").await;
    let (ben, cy) = (admin.contact(BEN).await, admin.contact(CY).await);
    let slot = admin.slot_for_one(lee, "2028-02-02T15:00:00Z").await;
    let later = admin.slot_for_one(lee, "2028-02-02T19:00:00Z").await;
    let appointment = admin.appointment(cy, slot).await;
    join(&admin, ben, "2028-02-02T12:00:00Z", "2028-02-02T17:00:00Z").await;

    let (status, body) = admin
        .post(
            &format!("/api/appointments/{appointment}/reschedule"),
            serde_json::json!({"slot_id": later}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let texts = admin.phone.take(BEN);
    assert_eq!(texts.len(), 1, "the freed 10:00 AM goes to Ben: {texts:?}");
    assert!(texts[0].contains("10:00 AM just opened up"), "{}", texts[0]);
}
