//! Migration V12 (services, providers, closures) on a database that already
//! takes bookings: today's slots and appointments map to a default service
//! offered by every provider, and booking goes on as before.

use chrono::{Duration, TimeZone, Utc};
use smsbot_domain::{ContactId, SlotId};
use smsbot_store::appointments::{self, BookingOutcome, BookingRules};
use smsbot_store::migrate::{self, SchemaVersion};
use smsbot_test_support::TestDatabase;

#[tokio::test]
async fn existing_appointments_map_to_a_default_service_and_their_provider() {
    let db = TestDatabase::create_unmigrated(2).await;
    migrate::apply_up_to(&db.pool, SchemaVersion::from(11))
        .await
        .unwrap();
    let client = db.pool.get().await.unwrap();
    client
        .batch_execute(
            "INSERT INTO providers (id, name) OVERRIDING SYSTEM VALUE VALUES (1, 'Alex'), (2, 'Sam');
             INSERT INTO availability_slots (id, provider_id, starts_at, ends_at, capacity)
             OVERRIDING SYSTEM VALUE VALUES
                 (1, 1, '2026-03-03T09:00Z', '2026-03-03T09:30Z', 1),
                 (2, 1, '2026-03-03T09:30Z', '2026-03-03T10:00Z', 1),
                 (3, 2, '2026-03-03T09:00Z', '2026-03-03T09:30Z', 1),
                 (4, 2, '2026-03-03T09:30Z', '2026-03-03T10:30Z', 1);
             INSERT INTO contacts (id, phone) OVERRIDING SYSTEM VALUE VALUES
                 (1, '+12125550101'), (2, '+12125550102');
             INSERT INTO appointments (contact_id, slot_id, starts_at, ends_at)
             VALUES (1, 1, '2026-03-03T09:00Z', '2026-03-03T09:30Z'),
                    (2, 4, '2026-03-03T09:30Z', '2026-03-03T10:30Z');",
        )
        .await
        .unwrap();
    migrate::apply(&db.pool).await.unwrap();

    let service: (i64, String, i32) = client
        .query_one("SELECT id, name, duration_minutes FROM services", &[])
        .await
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .unwrap();
    assert_eq!(
        (service.1.as_str(), service.2),
        ("Appointment", 30),
        "most slots last 30 minutes"
    );
    let offered: Vec<(i64, i64)> = client
        .query(
            "SELECT provider_id, service_id FROM provider_services ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(offered, vec![(1, service.0), (2, service.0)]);
    let kept: Vec<(i64, i64, bool)> = client
        .query(
            "SELECT service_id, provider_id,
                    blocked_from = starts_at AND blocked_until = ends_at
               FROM appointments ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(kept, vec![(service.0, 1, true), (service.0, 2, true)]);

    // Booking goes on with the default service, as the only one offered.
    let now = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
    let rules = BookingRules {
        earliest: now,
        latest: now + Duration::days(60),
        max_open: 3,
        now,
    };
    let outcome = appointments::book(&client, ContactId::new(1), SlotId::new(2), &rules)
        .await
        .unwrap();
    let BookingOutcome::Booked(a) = outcome else {
        panic!("the slot is free: {outcome:?}");
    };
    assert_eq!(a.service_id.map(|s| s.get()), Some(service.0));
}

#[tokio::test]
async fn a_new_database_has_no_services_and_books_the_slot_as_it_is() {
    let db = TestDatabase::create().await;
    let client = db.pool.get().await.unwrap();
    let services: i64 = client
        .query_one("SELECT count(*) FROM services", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(services, 0);
}
