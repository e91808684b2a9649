//! The scheduling engine with services, buffers, providers and closures:
//! what is offered is what can be booked, a long visit never overlaps the
//! next booking, and closures hold against bookings racing them.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use smsbot_domain::{ContactId, PhoneNumber, ProviderId, ServiceId, SlotId};
use smsbot_store::appointments::{
    self, BookingOutcome, BookingRequest, BookingRules, RescheduleOutcome, Unfit,
};
use smsbot_store::availability::{self, NewSlot, Wanted};
use smsbot_store::closures::{self, NewClosure};
use smsbot_store::contacts;
use smsbot_test_support::TestDatabase;

pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap()
}

/// 09:00 UTC on the day after `now`.
fn nine() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 3, 9, 0, 0).unwrap()
}

fn at(minutes_after_nine: i64) -> DateTime<Utc> {
    nine() + Duration::minutes(minutes_after_nine)
}

pub(crate) fn rules() -> BookingRules {
    BookingRules {
        earliest: now(),
        latest: now() + Duration::days(60),
        max_open: 5,
        now: now(),
    }
}

/// A clinic with Dr. Lee working 09:00-12:00 in 30-minute slots, a 60-minute
/// check-up followed by 10 minutes of clean-up, and a 30-minute cleaning.
struct Clinic {
    db: TestDatabase,
    lee: ProviderId,
    check_up: ServiceId,
    cleaning: ServiceId,
}

impl Clinic {
    async fn open() -> Self {
        let db = TestDatabase::create().await;
        let client = db.pool.get().await.unwrap();
        let lee = availability::ensure_provider(&client, "Dr. Lee")
            .await
            .unwrap();
        let slots: Vec<NewSlot> = (0..6)
            .map(|i| NewSlot {
                starts_at: at(30 * i),
                ends_at: at(30 * i + 30),
                capacity: 1,
            })
            .collect();
        availability::insert_missing(&client, lee, &slots)
            .await
            .unwrap();
        let check_up = service(&client, "Check-up", 60, 10).await;
        let cleaning = service(&client, "Cleaning", 30, 0).await;
        for s in [check_up, cleaning] {
            client
                .execute(
                    "INSERT INTO provider_services (provider_id, service_id) VALUES ($1, $2)",
                    &[&lee, &s],
                )
                .await
                .unwrap();
        }
        Self {
            db,
            lee,
            check_up,
            cleaning,
        }
    }

    async fn contact(&self, n: u32) -> ContactId {
        let client = self.db.pool.get().await.unwrap();
        let phone = PhoneNumber::parse_e164(&format!("+1202555{n:04}")).unwrap();
        contacts::find_or_create_by_phone(&client, &phone)
            .await
            .unwrap()
    }

    async fn slot(&self, starts_at: DateTime<Utc>) -> SlotId {
        let client = self.db.pool.get().await.unwrap();
        client
            .query_one(
                "SELECT id FROM availability_slots WHERE starts_at = $1",
                &[&starts_at],
            )
            .await
            .unwrap()
            .get(0)
    }

    async fn book(
        &self,
        contact: ContactId,
        starts_at: DateTime<Utc>,
        service: ServiceId,
    ) -> BookingOutcome {
        let slot_id = self.slot(starts_at).await;
        let mut client = self.db.pool.get().await.unwrap();
        let tx = client.transaction().await.unwrap();
        let request = BookingRequest {
            contact_id: contact,
            slot_id,
            service_id: Some(service),
        };
        let outcome = appointments::book_service(&tx, &request, &rules())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        outcome
    }

    /// Start times offered for `service` that day, as minutes after nine.
    async fn offered(&self, service: ServiceId) -> Vec<i64> {
        let client = self.db.pool.get().await.unwrap();
        let wanted = Wanted {
            service: Some(service),
            provider: None,
        };
        availability::open_after(&client, wanted, nine(), at(24 * 60), 50)
            .await
            .unwrap()
            .iter()
            .map(|s| (s.starts_at - nine()).num_minutes())
            .collect()
    }
}

async fn service(
    client: &deadpool_postgres::Object,
    name: &str,
    minutes: i32,
    buffer_after: i32,
) -> ServiceId {
    client
        .query_one(
            "INSERT INTO services (name, duration_minutes, buffer_after_minutes)
             VALUES ($1, $2, $3) RETURNING id",
            &[&name, &minutes, &buffer_after],
        )
        .await
        .unwrap()
        .get(0)
}

fn booked(outcome: BookingOutcome) -> appointments::Appointment {
    match outcome {
        BookingOutcome::Booked(a) => a,
        other => panic!("expected a booking, got {other:?}"),
    }
}

#[tokio::test]
async fn a_sixty_minute_check_up_blocks_the_next_slot_and_its_clean_up_time() {
    let clinic = Clinic::open().await;
    let first = booked(
        clinic
            .book(clinic.contact(1).await, at(0), clinic.check_up)
            .await,
    );
    assert_eq!(first.ends_at, at(60), "a check-up lasts an hour");
    assert_eq!(first.service_id, Some(clinic.check_up));

    // 09:30 is inside the visit, 10:00 inside its ten minutes of clean-up.
    assert_eq!(clinic.offered(clinic.cleaning).await, vec![90, 120, 150]);
    let second = clinic.contact(2).await;
    for taken in [30, 60] {
        assert_eq!(
            clinic.book(second, at(taken), clinic.cleaning).await,
            BookingOutcome::Unfit(Unfit::Overlaps),
            "a cleaning at {taken} minutes past nine would overlap the check-up"
        );
    }
    booked(clinic.book(second, at(90), clinic.cleaning).await);
}

#[tokio::test]
async fn a_check_up_is_not_offered_where_it_would_run_into_a_later_booking_or_past_closing() {
    let clinic = Clinic::open().await;
    booked(
        clinic
            .book(clinic.contact(1).await, at(90), clinic.cleaning)
            .await,
    );
    // 09:00 fits (ends 10:00, clean-up to 10:10 before the 10:30 cleaning);
    // 09:30 would run into it; 11:30 would run past noon.
    assert_eq!(clinic.offered(clinic.check_up).await, vec![0, 120]);
    let late = clinic.contact(2).await;
    assert_eq!(
        clinic.book(late, at(150), clinic.check_up).await,
        BookingOutcome::Unfit(Unfit::DoesNotFit)
    );
    assert_eq!(
        clinic.book(late, at(30), clinic.check_up).await,
        BookingOutcome::Unfit(Unfit::Overlaps)
    );
}

#[tokio::test]
async fn racing_bookings_of_overlapping_visits_in_different_slots_end_with_one() {
    let clinic = Clinic::open().await;
    for round in 0..10u32 {
        let client = clinic.db.pool.get().await.unwrap();
        client
            .execute("UPDATE appointments SET status = 'cancelled'", &[])
            .await
            .unwrap();
        let (a, b) = (
            clinic.contact(100 + round).await,
            clinic.contact(200 + round).await,
        );
        let (first, second) = tokio::join!(
            clinic.book(a, at(0), clinic.check_up),
            clinic.book(b, at(30), clinic.cleaning),
        );
        let bookings = [&first, &second]
            .iter()
            .filter(|o| matches!(o, BookingOutcome::Booked(_)))
            .count();
        assert_eq!(bookings, 1, "round {round}: {first:?} / {second:?}");
    }
}

#[tokio::test]
async fn a_closure_hides_its_slots_and_refuses_bookings_inside_it() {
    let clinic = Clinic::open().await;
    let mut client = clinic.db.pool.get().await.unwrap();
    let tx = client.transaction().await.unwrap();
    closures::add(
        &tx,
        &NewClosure {
            provider_id: None,
            starts_at: at(60),
            ends_at: at(120),
            reason: "Staff training".to_owned(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // A cleaning at 09:30 ends at 10:00 and fits; a check-up at 09:30 would
    // run into the closure, one at 11:00 starts as it ends.
    assert_eq!(clinic.offered(clinic.cleaning).await, vec![0, 30, 120, 150]);
    assert_eq!(clinic.offered(clinic.check_up).await, vec![0, 120]);
    assert_eq!(
        clinic
            .book(clinic.contact(1).await, at(30), clinic.check_up)
            .await,
        BookingOutcome::Unfit(Unfit::Closed)
    );
}

#[tokio::test]
async fn a_booking_waiting_on_a_closure_being_added_is_refused_once_it_commits() {
    let clinic = Clinic::open().await;
    let contact = clinic.contact(1).await;
    let mut client = clinic.db.pool.get().await.unwrap();
    let closing = client.transaction().await.unwrap();
    closures::add(
        &closing,
        &NewClosure {
            provider_id: Some(clinic.lee),
            starts_at: at(0),
            ends_at: at(180),
            reason: "Dr. Lee away".to_owned(),
        },
    )
    .await
    .unwrap();
    let booking = tokio::spawn({
        let clinic_pool = clinic.db.pool.clone();
        let slot = clinic.slot(at(0)).await;
        let service = clinic.cleaning;
        async move {
            let client = clinic_pool.get().await.unwrap();
            let request = BookingRequest {
                contact_id: contact,
                slot_id: slot,
                service_id: Some(service),
            };
            appointments::book_service(&client, &request, &rules())
                .await
                .unwrap()
        }
    });
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    assert!(!booking.is_finished(), "the booking waits for the closure");
    closing.commit().await.unwrap();
    assert_eq!(booking.await.unwrap(), BookingOutcome::Unfit(Unfit::Closed));
}

#[tokio::test]
async fn a_closure_added_while_a_booking_is_in_flight_lists_that_booking_for_staff() {
    let clinic = Clinic::open().await;
    let contact = clinic.contact(1).await;
    let slot = clinic.slot(at(0)).await;
    let mut client = clinic.db.pool.get().await.unwrap();
    let booking = client.transaction().await.unwrap();
    let request = BookingRequest {
        contact_id: contact,
        slot_id: slot,
        service_id: Some(clinic.cleaning),
    };
    let appointment = booked(
        appointments::book_service(&booking, &request, &rules())
            .await
            .unwrap(),
    );
    let closing = tokio::spawn({
        let pool = clinic.db.pool.clone();
        async move {
            let mut client = pool.get().await.unwrap();
            let tx = client.transaction().await.unwrap();
            let added = closures::add(
                &tx,
                &NewClosure {
                    provider_id: None,
                    starts_at: at(0),
                    ends_at: at(24 * 60),
                    reason: "Snow day".to_owned(),
                },
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            added
        }
    });
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    assert!(!closing.is_finished(), "the closure waits for the booking");
    booking.commit().await.unwrap();
    let (_, affected) = closing.await.unwrap();
    assert_eq!(
        affected
            .iter()
            .map(|a| a.appointment_id)
            .collect::<Vec<_>>(),
        vec![appointment.id]
    );
    assert_eq!(affected[0].phone.as_deref(), Some("+12025550001"));
}

#[tokio::test]
async fn an_inactive_provider_is_neither_offered_nor_bookable() {
    let clinic = Clinic::open().await;
    let client = clinic.db.pool.get().await.unwrap();
    client
        .execute(
            "UPDATE providers SET active = false WHERE id = $1",
            &[&clinic.lee],
        )
        .await
        .unwrap();
    assert!(clinic.offered(clinic.cleaning).await.is_empty());
    assert_eq!(
        clinic
            .book(clinic.contact(1).await, at(0), clinic.cleaning)
            .await,
        BookingOutcome::Unfit(Unfit::ProviderInactive)
    );
}

#[tokio::test]
async fn with_two_services_a_booking_must_say_which() {
    let clinic = Clinic::open().await;
    let slot_id = clinic.slot(at(0)).await;
    let contact = clinic.contact(1).await;
    let client = clinic.db.pool.get().await.unwrap();
    assert_eq!(
        appointments::book(&client, contact, slot_id, &rules())
            .await
            .unwrap(),
        BookingOutcome::Unfit(Unfit::ServiceRequired)
    );
}

#[tokio::test]
async fn moving_a_check_up_keeps_its_length_and_never_onto_another_booking() {
    let clinic = Clinic::open().await;
    let owner = clinic.contact(1).await;
    let check_up = booked(clinic.book(owner, at(0), clinic.check_up).await);
    booked(
        clinic
            .book(clinic.contact(2).await, at(150), clinic.cleaning)
            .await,
    );
    let mut client = clinic.db.pool.get().await.unwrap();
    let tx = client.transaction().await.unwrap();
    // 10:30-11:30 would end just before the cleaning, but its clean-up would not.
    let onto = clinic.slot(at(90)).await;
    assert_eq!(
        appointments::reschedule(&tx, owner, check_up.id, onto, &rules())
            .await
            .unwrap(),
        RescheduleOutcome::Unfit(Unfit::Overlaps)
    );
    // Moving half an hour later overlaps only itself.
    let later = clinic.slot(at(30)).await;
    let RescheduleOutcome::Rescheduled(moved) =
        appointments::reschedule(&tx, owner, check_up.id, later, &rules())
            .await
            .unwrap()
    else {
        panic!("an appointment may move onto its own time");
    };
    tx.commit().await.unwrap();
    assert_eq!((moved.starts_at, moved.ends_at), (at(30), at(90)));
}
