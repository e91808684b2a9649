//! The `smsbot` binary, run as an operator runs it.

use std::io::Write;
use std::process::{Command, Stdio};

use smsbot_test_support::TestDatabase;

fn smsbot(db: &TestDatabase, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_smsbot"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("BUSINESS_TIMEZONE", "America/Chicago")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run smsbot");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

async fn slot_count(db: &TestDatabase) -> i64 {
    let client = db.pool.get().await.unwrap();
    client
        .query_one("SELECT count(*) FROM availability_slots", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn migrating_an_up_to_date_database_changes_nothing() {
    let db = TestDatabase::create().await;

    let (ok, out) = smsbot(&db, &["migrate"]);

    assert!(ok, "{out}");
    assert!(out.contains("database is up to date"), "{out}");
}

#[tokio::test]
async fn seeding_availability_twice_creates_no_duplicates() {
    let db = TestDatabase::create().await;
    let args = ["seed-availability", "--weeks", "2", "--hours", "mon-fri 09:00-12:00", "--slot-minutes", "60"];

    let (ok, first) = smsbot(&db, &args);
    assert!(ok, "{first}");
    let after_first = slot_count(&db).await;
    let (ok, second) = smsbot(&db, &args);
    assert!(ok, "{second}");

    assert_eq!(after_first, 2 * 5 * 3, "two weeks of three morning slots: {first}");
    assert_eq!(slot_count(&db).await, after_first);
    assert!(second.starts_with("0 new slots"), "{second}");
}

#[tokio::test]
async fn seeding_with_unreadable_hours_fails_with_an_example() {
    let db = TestDatabase::create().await;

    let (ok, out) = smsbot(&db, &["seed-availability", "--hours", "whenever"]);

    assert!(!ok);
    assert!(out.contains("mon-fri 09:00-17:00"), "{out}");
    assert_eq!(slot_count(&db).await, 0);
}

#[test]
fn nlu_parse_answers_each_json_line_in_order() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smsbot"))
        .args(["nlu", "parse"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run smsbot nlu parse");
    let input = concat!(
        r#"{"text": "can I come in tomorrow at 3pm?", "now": "2019-03-01T09:00:00", "timezone": "America/Los_Angeles"}"#,
        "\n",
        r#"{"text": "cancel my appt pls", "now": "2019-03-01T09:00:00", "timezone": "America/Los_Angeles"}"#,
        "\n",
        "not json\n",
    );
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();

    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["intent"], "book");
    assert_eq!(lines[0]["date"], "2019-03-02");
    assert_eq!(lines[0]["time"], "15:00");
    assert_eq!(lines[1]["intent"], "cancel");
    assert_eq!(lines[1]["date"], serde_json::Value::Null);
    assert!(lines[2]["error"].is_string(), "a bad line answers with an error, in place");
}
