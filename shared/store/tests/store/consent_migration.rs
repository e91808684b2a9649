//! Migration V8 (two kinds of consent) on a database that already holds
//! contacts: what they could receive before, they can receive after, and
//! nobody has marketing consent without proof.

use smsbot_store::migrate::{self, SchemaVersion};
use smsbot_test_support::TestDatabase;

/// A database at V7 with the contacts of a business that ran for a while:
/// one who texted in, one who texted STOP, one an operator imported (opted
/// in, no proof of anything), one the carrier blocks.
async fn business_at_v7() -> TestDatabase {
    let db = TestDatabase::create_unmigrated(2).await;
    let report = migrate::apply_up_to(&db.pool, SchemaVersion::from(7))
        .await
        .unwrap();
    assert_eq!(report.current.unwrap().0, SchemaVersion::from(7));
    let client = db.pool.get().await.unwrap();
    client
        .batch_execute(
            "INSERT INTO contacts (id, phone, consent, consent_source, consent_changed_at)
             OVERRIDING SYSTEM VALUE VALUES
                 (1, '+12125550101', 'opted_in', 'inbound', '2026-01-05T10:00:00Z'),
                 (2, '+12125550102', 'opted_out', 'keyword', '2026-01-06T10:00:00Z'),
                 (3, '+12125550103', 'opted_in', 'admin', '2026-01-07T10:00:00Z'),
                 (4, '+12125550104', 'opted_out', 'carrier_opt_out', '2026-01-08T10:00:00Z');
             INSERT INTO consent_events (contact_id, consent, source, detail, occurred_at) VALUES
                 (2, 'opted_out', 'keyword', 'STOP', '2026-01-06T10:00:00Z'),
                 (3, 'opted_in', 'admin', 'contact created', '2026-01-07T10:00:00Z'),
                 (4, 'opted_out', 'carrier_opt_out', 'twilio error 21610', '2026-01-08T10:00:00Z');",
        )
        .await
        .unwrap();
    db
}

async fn rows(db: &TestDatabase, sql: &str) -> Vec<Vec<Option<String>>> {
    let client = db.pool.get().await.unwrap();
    client
        .query(sql, &[])
        .await
        .unwrap()
        .iter()
        .map(|row| (0..row.len()).map(|i| row.get(i)).collect())
        .collect()
}

fn owned(table: &[&[Option<&str>]]) -> Vec<Vec<Option<String>>> {
    table
        .iter()
        .map(|row| row.iter().map(|v| v.map(str::to_owned)).collect())
        .collect()
}

#[tokio::test]
async fn every_contact_keeps_its_service_consent_and_nobody_has_marketing_consent() {
    let db = business_at_v7().await;
    let report = migrate::apply(&db.pool).await.unwrap();
    assert!(
        report
            .applied
            .iter()
            .any(|m| m.starts_with("V8__consent_kinds")),
        "{report:?}"
    );
    assert_eq!(
        rows(
            &db,
            "SELECT consent, consent_source, marketing_consent FROM contacts ORDER BY id"
        )
        .await,
        owned(&[
            &[Some("opted_in"), Some("inbound"), None],
            &[Some("opted_out"), Some("keyword"), None],
            // Imported by an operator without proof: service, never marketing.
            &[Some("opted_in"), Some("admin"), None],
            &[Some("opted_out"), Some("carrier_opt_out"), None],
        ])
    );
}

#[tokio::test]
async fn the_audit_trail_gets_kinds_and_actors_and_starts_for_every_contact() {
    let db = business_at_v7().await;
    migrate::apply(&db.pool).await.unwrap();
    assert_eq!(
        rows(
            &db,
            "SELECT contact_id::text, kind, consent, source, actor, detail
               FROM consent_events ORDER BY contact_id, id"
        )
        .await,
        owned(&[
            // Texted in before V8, which wrote no event then: recorded now.
            &[
                Some("1"),
                Some("service"),
                Some("opted_in"),
                Some("inbound"),
                Some("customer"),
                Some("recorded by migration V8 from the contact row"),
            ],
            &[
                Some("2"),
                Some("service"),
                Some("opted_out"),
                Some("keyword"),
                Some("customer"),
                Some("STOP"),
            ],
            &[
                Some("3"),
                Some("service"),
                Some("opted_in"),
                Some("admin"),
                Some("admin"),
                Some("contact created"),
            ],
            &[
                Some("4"),
                Some("service"),
                Some("opted_out"),
                Some("carrier_opt_out"),
                Some("carrier"),
                Some("twilio error 21610"),
            ],
        ])
    );
}
