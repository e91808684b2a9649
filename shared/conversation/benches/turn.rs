//! Benchmark: a whole conversation turn in the worker, and booking under contention.
//!
//! 1. One inbound SMS through the batch handler (parse, compliance, offline
//!    understanding, state load/save, slot search, reply recorded and "sent" to the
//!    console) against the local PostgreSQL at DATABASE_URL.
//! 2. Bookings per second with 8 concurrent workers all locking the same slot,
//!    with a service (60 minutes, buffers before and after) and its provider in
//!    place, next to `pgbench` running a transaction with the same lock pattern
//!    (lock the slot row, update it, commit) on the same server. Each booking
//!    is one statement (`book_appointment`), its own transaction, for a
//!    customer whose contact exists (they texted first). Like pgbench, the
//!    workers connect before the clock starts and book for a fixed time.
//!
//! Run: `scripts/dev-env -- cargo bench -p smsbot-conversation --bench turn`.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use chrono::{TimeZone, Utc};
use smsbot_conversation::{Conversation, Policy, handle_batch};
use smsbot_nlu::OfflineUnderstander;
use smsbot_outbox::{ConsoleSender, ManualClock, Outbox};
use smsbot_store::appointments::{self, BookingOutcome, BookingRequest};
use smsbot_store::availability::{self, NewSlot};
use smsbot_test_support::TestDatabase;

/// Workers booking the one slot at once, and for how long (pgbench below
/// runs as many clients for as long).
const WORKERS: usize = 8;
const BOOKING_RUN: Duration = Duration::from_secs(5);

fn policy() -> Policy {
    Policy {
        timezone: chrono_tz::America::New_York,
        business_name: "Bench Salon".to_owned(),
        lead_time: chrono::Duration::hours(1),
        horizon: chrono::Duration::days(60),
        max_open_appointments: 3,
        conversation_ttl: chrono::Duration::minutes(30),
        offers_per_reply: 3,
        min_confidence: 0.5,
        profile: Default::default(),
        marketing: Default::default(),
        no_show_limit: None,
        links_base: None,
    }
}

fn record(n: usize, from: &str, body: &str) -> SqsEvent {
    let mut record = SqsMessage::default();
    record.message_id = Some(format!("m{n}"));
    record.body = Some(
        serde_json::json!({
            "message_sid": format!("SM{n:032x}"), "account_sid": null, "from": from,
            "to": "+14155550199", "body": body, "num_media": 0, "opt_out_type": null,
        })
        .to_string(),
    );
    record
        .attributes
        .insert("MessageGroupId".to_owned(), from.to_owned());
    let mut event = SqsEvent::default();
    event.records.push(record);
    event
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let db = TestDatabase::create().await;
    let client = db.pool.get().await.unwrap();
    let provider = availability::ensure_provider(&client, "Bench")
        .await
        .unwrap();
    let now = Utc.with_ymd_and_hms(2026, 3, 2, 14, 0, 0).unwrap();
    let slots: Vec<NewSlot> = (0..400)
        .map(|i| NewSlot {
            starts_at: now + chrono::Duration::hours(2) + chrono::Duration::minutes(30 * i),
            ends_at: now + chrono::Duration::hours(2) + chrono::Duration::minutes(30 * i + 30),
            capacity: 100_000,
        })
        .collect();
    availability::insert_missing(&client, provider, &slots)
        .await
        .unwrap();

    // 1. Turns: a three-turn booking conversation, many contacts one after another.
    let clock = Arc::new(ManualClock::at(now));
    let outbox = Outbox::new(
        db.pool.clone(),
        Arc::new(ConsoleSender::quiet()),
        clock.clone(),
        policy().timezone,
    );
    let conversation = Conversation::new(
        db.pool.clone(),
        Arc::new(OfflineUnderstander),
        outbox,
        clock,
        policy(),
    );
    let script = ["hi there", "can I book tomorrow at 3pm?", "yes"];
    let mut samples = Vec::new();
    let mut n = 0;
    for contact in 0..150 {
        let from = format!("+1415555{:04}", 1000 + contact);
        for body in script {
            n += 1;
            let event = record(n, &from, body);
            let start = Instant::now();
            let response = handle_batch(&conversation, event).await;
            samples.push(start.elapsed());
            assert!(response.batch_item_failures.is_empty());
        }
    }
    let turn = median(samples[30..].to_vec());
    println!(
        "conversation turn (batch handler, offline NLU, local Postgres): median {:.2} ms over {} turns",
        turn.as_secs_f64() * 1e3,
        samples.len() - 30
    );

    // 2. Booking throughput with 8 workers contending for one slot's row lock.
    let slot_id: smsbot_domain::SlotId = client
        .query_one("SELECT min(id) FROM availability_slots", &[])
        .await
        .unwrap()
        .get(0);
    let service: smsbot_domain::ServiceId = client
        .query_one(
            "INSERT INTO services (name, duration_minutes, buffer_before_minutes, buffer_after_minutes)
             VALUES ('Bench check-up', 60, 5, 10) RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    client
        .execute(
            "INSERT INTO provider_services (provider_id, service_id) VALUES ($1, $2)",
            &[&provider, &service],
        )
        .await
        .unwrap();
    // Customers text before they book: their contacts exist already, as in
    // the product, so the timed part is the booking alone. More than the
    // workers can book in the time.
    let customers: Vec<smsbot_domain::ContactId> = client
        .query(
            "INSERT INTO contacts (phone)
             SELECT '+1202' || lpad(n::text, 7, '0') FROM generate_series(1, 40000) n
             RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    // A practice that has been booking for a while: 20,000 past visits with
    // another provider, and statistics on every table.
    db.seed_past_visits(20_000, 40_000).await;
    // As pgbench does: every worker connected before the clock starts, all
    // busy until it stops (a worker left alone at the end would measure a
    // lone client, not contention).
    drop(client);
    let customers = Arc::new(customers);
    let next = Arc::new(AtomicUsize::new(0));
    let ready = Arc::new(tokio::sync::Barrier::new(WORKERS + 1));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (pool, customers, next, ready) = (
                db.pool.clone(),
                customers.clone(),
                next.clone(),
                ready.clone(),
            );
            tokio::spawn(async move {
                let client = pool.get().await.unwrap();
                ready.wait().await;
                let deadline = Instant::now() + BOOKING_RUN;
                let mut booked = 0usize;
                while Instant::now() < deadline {
                    let contact_id = customers[next.fetch_add(1, Ordering::Relaxed)];
                    let request = BookingRequest {
                        contact_id,
                        slot_id,
                        service_id: Some(service),
                    };
                    // One statement, its own transaction: the slot's lock is
                    // held for no network round trip.
                    let outcome =
                        appointments::book_service(&client, &request, &policy().booking_rules(now))
                            .await
                            .unwrap();
                    assert!(matches!(outcome, BookingOutcome::Booked(_)), "{outcome:?}");
                    booked += 1;
                }
                booked
            })
        })
        .collect();
    ready.wait().await;
    let start = Instant::now();
    let mut booked = 0;
    for worker in futures::future::join_all(workers).await {
        booked += worker.unwrap();
    }
    let elapsed = start.elapsed();
    println!(
        "booking under contention ({WORKERS} workers, one slot): {:.0} bookings/s ({booked} bookings in {:.2} s)",
        booked as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );

    let script_path =
        std::env::temp_dir().join(format!("smsbot-pgbench-{}.sql", std::process::id()));
    std::fs::write(
        &script_path,
        format!(
            "BEGIN;\nSELECT booked_count FROM availability_slots WHERE id = {slot_id} FOR UPDATE;\n\
             UPDATE availability_slots SET booked_count = booked_count WHERE id = {slot_id};\nCOMMIT;\n"
        ),
    )
    .unwrap();
    let mut pgbench = Command::new("pgbench");
    // The workers' connections are plain text on loopback (the store's
    // `prefer`); libpq's `prefer` would negotiate TLS and make the bare
    // pattern slower than it is. A URL that names its sslmode keeps it.
    if !db.url.contains("sslmode=") {
        pgbench.env("PGSSLMODE", "disable");
    }
    match pgbench
        .args(["-n", "-j", "2", "-c", &WORKERS.to_string()])
        .args(["-T", &BOOKING_RUN.as_secs().to_string(), "-f"])
        .arg(&script_path)
        .arg(&db.url)
        .output()
    {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let tps = text
                .lines()
                .find(|l| l.starts_with("tps"))
                .unwrap_or("tps = ? (pgbench printed no tps line)");
            println!("pgbench, same lock pattern ({WORKERS} clients, one row): {tps}");
        }
        Ok(out) => println!("pgbench failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(err) => println!("pgbench not available ({err}); comparison skipped"),
    }
    let _ = std::fs::remove_file(script_path);
}
