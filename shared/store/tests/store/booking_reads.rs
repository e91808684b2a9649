//! What a booking reads must not grow with the bookings made before it: a
//! booking's plans are kept for the connection's life, so a plan chosen from
//! statistics that saw few booked appointments must still read only the
//! customer's own. Counted with PostgreSQL's own statistics (tuples read from
//! the appointments table and its indexes), not timed.

use chrono::Duration;
use smsbot_domain::ContactId;
use smsbot_store::appointments::{self, BookingOutcome, BookingRequest};
use smsbot_test_support::TestDatabase;

use crate::scheduling::{now, rules};

const BOOKINGS: i64 = 300;

/// Tuples read so far from `appointments` and its indexes, as the server
/// counts them for this database.
async fn appointment_rows_read(client: &deadpool_postgres::Client) -> i64 {
    // Statistics reach shared memory when a backend reports them: make
    // this one report now, and read afresh.
    client
        .batch_execute("SELECT pg_stat_force_next_flush(); SELECT pg_stat_clear_snapshot();")
        .await
        .unwrap();
    client
        .query_one(
            "SELECT (SELECT coalesce(seq_tup_read, 0) FROM pg_stat_user_tables
                      WHERE relname = 'appointments')
                  + (SELECT coalesce(sum(idx_tup_read), 0)::bigint FROM pg_stat_user_indexes
                      WHERE relname = 'appointments')",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_booking_reads_only_its_customers_appointments_however_many_are_booked() {
    let db = TestDatabase::create().await;
    let client = db.pool.get().await.unwrap();
    let slot_id = db
        .open_slot("Dr. Lee", now() + Duration::days(1), 10_000)
        .await;
    // A practice open for a while: past visits, none booked ahead yet, and
    // statistics that say so (the worst case for a kept plan).
    client
        .batch_execute(
            "INSERT INTO contacts (phone)
             SELECT '+1202' || lpad(n::text, 7, '0') FROM generate_series(1, 2000) n",
        )
        .await
        .unwrap();
    db.seed_past_visits(2000, 2000).await;
    let customers: Vec<ContactId> = client
        .query("SELECT id FROM contacts ORDER BY id LIMIT $1", &[&BOOKINGS])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();

    let before = appointment_rows_read(&client).await;
    for contact_id in customers {
        let request = BookingRequest {
            contact_id,
            slot_id,
            service_id: None,
        };
        let outcome = appointments::book_service(&client, &request, &rules())
            .await
            .unwrap();
        assert!(matches!(outcome, BookingOutcome::Booked(_)), "{outcome:?}");
    }
    let read = appointment_rows_read(&client).await - before;

    // Each customer has ten past visits at most, and each booking reads its
    // history row's appointment once: a few dozen rows a booking. Reading
    // every booking made before would be about BOOKINGS² / 2 = 45,000.
    assert!(
        read < 20 * BOOKINGS,
        "{BOOKINGS} bookings read {read} appointment rows"
    );
}
