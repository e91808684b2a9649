//! The waitlist engine: a freed slot goes to the first waiting customer it
//! suits, with a hold that keeps it from everyone else (offers and bookings)
//! until it runs out and passes to the next; accepting books through the
//! same locks as any booking, so a waitlist acceptance and a fresh request
//! racing for the place end with exactly one booking.
//!
//! The days are in 2031: `slot_fit` judges holds by the database clock, so
//! a hold in these tests is live for what availability offers.

use chrono::{DateTime, Duration, TimeZone, Utc};
use smsbot_domain::{ContactId, PhoneNumber, ProviderId, ServiceId, SlotId};
use smsbot_store::appointments::{
    self, Appointment, BookingOutcome, BookingRequest, BookingRules, CancelOutcome, Unfit,
};
use smsbot_store::availability::{self, NewSlot, Wanted};
use smsbot_store::contacts;
use smsbot_store::waitlist::{
    self, AcceptOutcome, EntryFilter, JoinOutcome, NewEntry, Offer, WaitlistStatus,
};
use smsbot_test_support::TestDatabase;

const HOLD: Duration = Duration::minutes(15);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2031, 3, 2, 12, 0, 0).unwrap()
}

/// 09:00 UTC on the day after `now`.
fn nine() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2031, 3, 3, 9, 0, 0).unwrap()
}

fn at(minutes_after_nine: i64) -> DateTime<Utc> {
    nine() + Duration::minutes(minutes_after_nine)
}

fn rules_at(now: DateTime<Utc>) -> BookingRules {
    BookingRules {
        earliest: now,
        latest: now + Duration::days(60),
        max_open: 5,
        now,
    }
}

/// Dr. Lee and Dr. Kim both work 09:00-12:00 in 30-minute slots; a 60-minute
/// check-up and a 30-minute cleaning, both offered by both (so an entry
/// names its service: a slot implies none).
struct Clinic {
    db: TestDatabase,
    lee: ProviderId,
    kim: ProviderId,
    check_up: ServiceId,
    cleaning: ServiceId,
}

impl Clinic {
    async fn open() -> Self {
        let db = TestDatabase::create().await;
        let client = db.pool.get().await.unwrap();
        let check_up = service(&client, "Check-up", 60).await;
        let cleaning = service(&client, "Cleaning", 30).await;
        let mut providers = Vec::new();
        for name in ["Dr. Lee", "Dr. Kim"] {
            let provider = availability::ensure_provider(&client, name).await.unwrap();
            let slots: Vec<NewSlot> = (0..6)
                .map(|i| NewSlot {
                    starts_at: at(30 * i),
                    ends_at: at(30 * i + 30),
                    capacity: 1,
                })
                .collect();
            availability::insert_missing(&client, provider, &slots)
                .await
                .unwrap();
            for s in [check_up, cleaning] {
                client
                    .execute(
                        "INSERT INTO provider_services (provider_id, service_id) VALUES ($1, $2)",
                        &[&provider, &s],
                    )
                    .await
                    .unwrap();
            }
            providers.push(provider);
        }
        Self {
            db,
            lee: providers[0],
            kim: providers[1],
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

    async fn slot(&self, provider: ProviderId, starts_at: DateTime<Utc>) -> SlotId {
        let client = self.db.pool.get().await.unwrap();
        client
            .query_one(
                "SELECT id FROM availability_slots WHERE provider_id = $1 AND starts_at = $2",
                &[&provider, &starts_at],
            )
            .await
            .unwrap()
            .get(0)
    }

    async fn book_at(
        &self,
        contact: ContactId,
        slot_id: SlotId,
        service: ServiceId,
        now: DateTime<Utc>,
    ) -> BookingOutcome {
        let mut client = self.db.pool.get().await.unwrap();
        let tx = client.transaction().await.unwrap();
        let request = BookingRequest {
            contact_id: contact,
            slot_id,
            service_id: Some(service),
        };
        let outcome = appointments::book_service(&tx, &request, &rules_at(now))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        outcome
    }

    /// Books the slot for a customer who then cancels: the slot is free again.
    async fn free_up(&self, slot_id: SlotId, who: u32) {
        let contact = self.contact(who).await;
        let appointment = booked(self.book_at(contact, slot_id, self.cleaning, now()).await);
        let mut client = self.db.pool.get().await.unwrap();
        let tx = client.transaction().await.unwrap();
        let cancelled = appointments::cancel(&tx, contact, appointment.id, now())
            .await
            .unwrap();
        assert!(matches!(cancelled, CancelOutcome::Cancelled(_)));
        tx.commit().await.unwrap();
    }

    async fn join(
        &self,
        contact: ContactId,
        service: Option<ServiceId>,
        provider: Option<ProviderId>,
        window: (i64, i64),
    ) -> JoinOutcome {
        let mut client = self.db.pool.get().await.unwrap();
        let tx = client.transaction().await.unwrap();
        let joined = waitlist::join(
            &tx,
            &NewEntry {
                contact_id: contact,
                service_id: service,
                provider_id: provider,
                wanted_from: at(window.0),
                wanted_to: at(window.1),
            },
            now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        joined
    }

    async fn offer_freed(&self, slot_id: SlotId, now: DateTime<Utc>) -> Option<Offer> {
        let mut client = self.db.pool.get().await.unwrap();
        let tx = client.transaction().await.unwrap();
        let offer = waitlist::offer_freed(&tx, slot_id, now, HOLD)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        offer
    }

    async fn accept(&self, contact: ContactId, now: DateTime<Utc>) -> AcceptOutcome {
        let mut client = self.db.pool.get().await.unwrap();
        let tx = client.transaction().await.unwrap();
        let outcome = waitlist::accept(&tx, contact, &rules_at(now))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        outcome
    }

    async fn status_of(&self, contact: ContactId) -> Vec<WaitlistStatus> {
        let client = self.db.pool.get().await.unwrap();
        let filter = EntryFilter {
            contact_id: Some(contact),
            ..EntryFilter::default()
        };
        waitlist::list(&client, filter, None, 50)
            .await
            .unwrap()
            .into_iter()
            .map(|v| v.entry.status)
            .collect()
    }

    async fn bookings_in(&self, slot_id: SlotId) -> Vec<ContactId> {
        let client = self.db.pool.get().await.unwrap();
        client
            .query(
                "SELECT contact_id FROM appointments WHERE slot_id = $1 AND status = 'booked'",
                &[&slot_id],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    /// Start times (minutes after nine) of Dr. Lee's slots offered for a cleaning.
    async fn offered_with_lee(&self) -> Vec<i64> {
        let client = self.db.pool.get().await.unwrap();
        let wanted = Wanted {
            service: Some(self.cleaning),
            provider: Some(self.lee),
        };
        availability::open_after(&client, wanted, nine(), at(24 * 60), 50)
            .await
            .unwrap()
            .iter()
            .map(|s| (s.starts_at - nine()).num_minutes())
            .collect()
    }
}

async fn service(client: &deadpool_postgres::Object, name: &str, minutes: i32) -> ServiceId {
    client
        .query_one(
            "INSERT INTO services (name, duration_minutes) VALUES ($1, $2) RETURNING id",
            &[&name, &minutes],
        )
        .await
        .unwrap()
        .get(0)
}

fn booked(outcome: BookingOutcome) -> Appointment {
    match outcome {
        BookingOutcome::Booked(a) => a,
        other => panic!("expected a booking, got {other:?}"),
    }
}

#[tokio::test]
async fn a_freed_slot_is_held_for_the_first_waiting_customer_it_suits() {
    let clinic = Clinic::open().await;
    let late_slot = clinic.slot(clinic.lee, at(150)).await;
    let (too_early, too_long, other_doctor, first, second) = (
        clinic.contact(1).await,
        clinic.contact(2).await,
        clinic.contact(3).await,
        clinic.contact(4).await,
        clinic.contact(5).await,
    );
    // In queue order: a window that ends before 11:30; a check-up, which
    // would run past noon from 11:30; Dr. Kim only; then two who fit.
    clinic
        .join(too_early, Some(clinic.cleaning), None, (0, 150))
        .await;
    clinic
        .join(too_long, Some(clinic.check_up), None, (0, 180))
        .await;
    clinic
        .join(
            other_doctor,
            Some(clinic.cleaning),
            Some(clinic.kim),
            (0, 180),
        )
        .await;
    clinic
        .join(first, Some(clinic.cleaning), Some(clinic.lee), (120, 180))
        .await;
    clinic
        .join(second, Some(clinic.cleaning), None, (0, 180))
        .await;

    clinic.free_up(late_slot, 100).await;
    let offer = clinic
        .offer_freed(late_slot, now())
        .await
        .expect("someone is waiting for 11:30");
    assert_eq!(offer.contact_id, first);
    assert_eq!(offer.slot_id, late_slot);
    assert_eq!(offer.starts_at, at(150));
    assert_eq!(offer.held_until, now() + HOLD);
    assert_eq!(offer.service_id, Some(clinic.cleaning));
    assert_eq!(clinic.status_of(first).await, [WaitlistStatus::Offered]);
    for later in [too_early, too_long, other_doctor, second] {
        assert_eq!(clinic.status_of(later).await, [WaitlistStatus::Waiting]);
    }
    assert_eq!(
        clinic
            .offer_freed(late_slot, now() + Duration::minutes(1))
            .await,
        None,
        "the one free place is held already"
    );
}

#[tokio::test]
async fn a_held_slot_is_offered_to_nobody_and_refused_to_others_but_booked_by_its_holder() {
    let clinic = Clinic::open().await;
    let slot = clinic.slot(clinic.lee, at(60)).await;
    let (holder, other) = (clinic.contact(1).await, clinic.contact(2).await);
    clinic
        .join(holder, Some(clinic.cleaning), None, (0, 180))
        .await;
    clinic.free_up(slot, 100).await;
    assert!(clinic.offered_with_lee().await.contains(&60));
    let offer = clinic.offer_freed(slot, now()).await.unwrap();
    assert_eq!(offer.contact_id, holder);

    assert!(
        !clinic.offered_with_lee().await.contains(&60),
        "a held slot is not offered"
    );
    assert_eq!(
        clinic
            .book_at(other, slot, clinic.cleaning, now() + Duration::minutes(5))
            .await,
        BookingOutcome::Unfit(Unfit::Held)
    );
    {
        let client = clinic.db.pool.get().await.unwrap();
        let live = waitlist::live_offer_for(&client, holder, now() + Duration::minutes(5))
            .await
            .unwrap();
        assert_eq!(live, Some(offer.clone()));
    }

    let AcceptOutcome::Booked { appointment, .. } =
        clinic.accept(holder, now() + Duration::minutes(10)).await
    else {
        panic!("the holder takes the held slot");
    };
    assert_eq!(appointment.slot_id, slot);
    assert_eq!(clinic.bookings_in(slot).await, [holder]);
    assert_eq!(clinic.status_of(holder).await, [WaitlistStatus::Booked]);
    let client = clinic.db.pool.get().await.unwrap();
    assert_eq!(
        waitlist::live_offer_for(&client, holder, now() + Duration::minutes(10))
            .await
            .unwrap(),
        None,
        "booking released the hold"
    );
}

#[tokio::test]
async fn a_hold_that_runs_out_passes_to_the_next_and_a_late_yes_is_refused_cleanly() {
    let clinic = Clinic::open().await;
    let slot = clinic.slot(clinic.lee, at(30)).await;
    let (slow, next) = (clinic.contact(1).await, clinic.contact(2).await);
    clinic
        .join(slow, Some(clinic.cleaning), None, (0, 180))
        .await;
    clinic
        .join(next, Some(clinic.cleaning), None, (0, 180))
        .await;
    clinic.free_up(slot, 100).await;
    let offer = clinic.offer_freed(slot, now()).await.unwrap();
    assert_eq!(offer.contact_id, slow);

    // After the hold, before the sweep: the yes comes too late.
    let late = offer.held_until + Duration::minutes(1);
    assert!(matches!(
        clinic.accept(slow, late).await,
        AcceptOutcome::Expired(ref o) if o.slot_id == slot
    ));
    assert!(clinic.bookings_in(slot).await.is_empty());

    let swept = {
        let mut client = clinic.db.pool.get().await.unwrap();
        let tx = client.transaction().await.unwrap();
        let swept = waitlist::pass_on_expired(&tx, late, HOLD).await.unwrap();
        tx.commit().await.unwrap();
        swept
    };
    assert_eq!(swept.expired.len(), 1);
    assert_eq!(swept.offers.len(), 1);
    assert_eq!(swept.offers[0].contact_id, next);
    assert_eq!(swept.offers[0].held_until, late + HOLD);
    assert_eq!(clinic.status_of(slow).await, [WaitlistStatus::Expired]);
    assert_eq!(clinic.status_of(next).await, [WaitlistStatus::Offered]);

    // The slow customer's yes after the sweep is still refused, and books nothing.
    assert!(matches!(
        clinic.accept(slow, late).await,
        AcceptOutcome::Expired(_)
    ));
    assert!(matches!(
        clinic.accept(next, late + Duration::minutes(1)).await,
        AcceptOutcome::Booked { .. }
    ));
    assert_eq!(clinic.bookings_in(slot).await, [next]);
}

#[tokio::test]
async fn a_declined_offer_goes_to_the_next_and_the_decliner_waits_on() {
    let clinic = Clinic::open().await;
    let slot = clinic.slot(clinic.lee, at(0)).await;
    let (picky, next) = (clinic.contact(1).await, clinic.contact(2).await);
    clinic
        .join(picky, Some(clinic.cleaning), None, (0, 180))
        .await;
    clinic
        .join(next, Some(clinic.cleaning), None, (0, 180))
        .await;
    clinic.free_up(slot, 100).await;
    assert_eq!(
        clinic.offer_freed(slot, now()).await.unwrap().contact_id,
        picky
    );
    let mut client = clinic.db.pool.get().await.unwrap();
    let tx = client.transaction().await.unwrap();
    let declined = waitlist::decline(&tx, picky, now()).await.unwrap().unwrap();
    let passed = waitlist::offer_freed(&tx, declined.slot_id, now(), HOLD)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(passed.contact_id, next);
    assert_eq!(clinic.status_of(picky).await, [WaitlistStatus::Waiting]);
    assert_eq!(
        clinic.accept(picky, now()).await,
        AcceptOutcome::NoOffer,
        "a declined offer cannot be taken back"
    );
}

#[tokio::test]
async fn joining_again_for_an_overlapping_window_updates_the_entry_and_keeps_its_place() {
    let clinic = Clinic::open().await;
    let ana = clinic.contact(1).await;
    let JoinOutcome::Joined(first) = clinic.join(ana, Some(clinic.cleaning), None, (0, 60)).await
    else {
        panic!("a first join adds an entry");
    };
    let JoinOutcome::Updated(again) = clinic
        .join(ana, Some(clinic.cleaning), None, (30, 120))
        .await
    else {
        panic!("an overlapping window updates the entry");
    };
    assert_eq!(again.id, first.id);
    assert_eq!(again.created_at, first.created_at);
    assert_eq!((again.wanted_from, again.wanted_to), (at(30), at(120)));
    assert_eq!(again.service_id, Some(clinic.cleaning));
    assert!(matches!(
        clinic
            .join(ana, Some(clinic.cleaning), None, (24 * 60, 25 * 60))
            .await,
        JoinOutcome::Joined(_)
    ));
    assert_eq!(
        clinic
            .join(ana, Some(clinic.cleaning), None, (-24 * 60, -23 * 60))
            .await,
        JoinOutcome::WindowPassed
    );
    let client = clinic.db.pool.get().await.unwrap();
    assert_eq!(
        waitlist::live_entries_for(&client, ana)
            .await
            .unwrap()
            .len(),
        2
    );
    let mut client = clinic.db.pool.get().await.unwrap();
    let tx = client.transaction().await.unwrap();
    let withdrawn = waitlist::withdraw(&tx, ana, now()).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(withdrawn.entries, 2);
    assert!(withdrawn.released.is_empty());
}

/// Resets the slot and the waitlist between rounds.
async fn reset(clinic: &Clinic) {
    let client = clinic.db.pool.get().await.unwrap();
    client
        .batch_execute(
            "UPDATE appointments SET status = 'cancelled' WHERE status = 'booked';
             UPDATE slot_holds SET released_at = now(), released_because = 'withdrawn'
              WHERE released_at IS NULL;
             UPDATE waitlist_entries SET status = 'withdrawn'
              WHERE status IN ('waiting', 'offered');",
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_waitlist_offer_raced_by_a_fresh_booking_request_ends_with_exactly_one_booking() {
    let clinic = Clinic::open().await;
    let slot = clinic.slot(clinic.lee, at(90)).await;
    let mut waitlist_won = 0;
    for round in 0..24u32 {
        reset(&clinic).await;
        let (waiting, fresh) = (
            clinic.contact(1000 + round).await,
            clinic.contact(2000 + round).await,
        );
        clinic
            .join(waiting, Some(clinic.cleaning), None, (0, 180))
            .await;
        let offered_before = round % 2 == 1;
        if offered_before {
            // The offer was texted already: the yes races the fresh request.
            assert!(clinic.offer_freed(slot, now()).await.is_some());
        }
        let later = now() + Duration::minutes(2);
        let (taken, fresh_outcome) = tokio::join!(
            async {
                if !offered_before && clinic.offer_freed(slot, now()).await.is_none() {
                    return None;
                }
                Some(clinic.accept(waiting, later).await)
            },
            clinic.book_at(fresh, slot, clinic.cleaning, later),
        );
        let bookings = clinic.bookings_in(slot).await;
        assert_eq!(
            bookings.len(),
            1,
            "round {round}: {taken:?} / {fresh_outcome:?}"
        );
        match bookings[0] {
            c if c == waiting => {
                waitlist_won += 1;
                assert!(matches!(taken, Some(AcceptOutcome::Booked { .. })));
                assert!(
                    matches!(
                        fresh_outcome,
                        BookingOutcome::Unfit(Unfit::Held) | BookingOutcome::SlotFull
                    ),
                    "round {round}: {fresh_outcome:?}"
                );
            }
            c => {
                assert_eq!(c, fresh);
                assert!(
                    !offered_before,
                    "a held place never goes to a fresh request"
                );
                assert!(
                    matches!(
                        taken,
                        None | Some(AcceptOutcome::Refused {
                            outcome: BookingOutcome::SlotFull,
                            ..
                        })
                    ),
                    "round {round}: {taken:?}"
                );
            }
        }
        // The slot's count agrees with its appointments.
        let client = clinic.db.pool.get().await.unwrap();
        let count: i32 = client
            .query_one(
                "SELECT booked_count FROM availability_slots WHERE id = $1",
                &[&slot],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(count, 1);
    }
    assert!(
        waitlist_won >= 12,
        "every pre-offered round goes to the waitlist"
    );
}

#[tokio::test]
async fn a_hold_keeps_one_place_of_a_group_slot_and_leaves_the_others_bookable() {
    let clinic = Clinic::open().await;
    let client = clinic.db.pool.get().await.unwrap();
    let room = availability::ensure_provider(&client, "Group room")
        .await
        .unwrap();
    client
        .execute(
            "INSERT INTO provider_services (provider_id, service_id) VALUES ($1, $2)",
            &[&room, &clinic.cleaning],
        )
        .await
        .unwrap();
    availability::insert_missing(
        &client,
        room,
        &[NewSlot {
            starts_at: at(0),
            ends_at: at(30),
            capacity: 2,
        }],
    )
    .await
    .unwrap();
    drop(client);
    let class = clinic.slot(room, at(0)).await;
    let (waiting, first, second) = (
        clinic.contact(1).await,
        clinic.contact(2).await,
        clinic.contact(3).await,
    );
    clinic
        .join(waiting, Some(clinic.cleaning), Some(room), (0, 60))
        .await;
    // One place booked, the other freed by a cancellation: that one is held.
    clinic.free_up(class, 100).await;
    booked(
        clinic
            .book_at(clinic.contact(101).await, class, clinic.cleaning, now())
            .await,
    );
    let offer = clinic.offer_freed(class, now()).await.unwrap();
    assert_eq!(offer.contact_id, waiting);
    assert_eq!(
        clinic.book_at(first, class, clinic.cleaning, now()).await,
        BookingOutcome::Unfit(Unfit::Held)
    );

    // The booked place is cancelled too: a second free place, not held.
    let other = clinic.bookings_in(class).await[0];
    let mut client = clinic.db.pool.get().await.unwrap();
    let tx = client.transaction().await.unwrap();
    let appointment = appointments::upcoming(&tx, other, now()).await.unwrap()[0].id;
    appointments::cancel(&tx, other, appointment, now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    booked(clinic.book_at(first, class, clinic.cleaning, now()).await);
    assert_eq!(
        clinic.book_at(second, class, clinic.cleaning, now()).await,
        BookingOutcome::Unfit(Unfit::Held),
        "the last place is the held one"
    );
    assert!(matches!(
        clinic.accept(waiting, now() + Duration::minutes(1)).await,
        AcceptOutcome::Booked { .. }
    ));
}
