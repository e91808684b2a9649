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
    let args = [
        "seed-availability",
        "--weeks",
        "2",
        "--hours",
        "mon-fri 09:00-12:00",
        "--slot-minutes",
        "60",
    ];

    let (ok, first) = smsbot(&db, &args);
    assert!(ok, "{first}");
    let after_first = slot_count(&db).await;
    let (ok, second) = smsbot(&db, &args);
    assert!(ok, "{second}");

    assert_eq!(
        after_first,
        2 * 5 * 3,
        "two weeks of three morning slots: {first}"
    );
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
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
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
    assert!(
        lines[2]["error"].is_string(),
        "a bad line answers with an error, in place"
    );
}

#[test]
fn nlu_eval_exits_non_zero_below_a_threshold_given_as_a_flag() {
    let dir = std::env::temp_dir().join(format!("smsbot-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cases.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"id":"a","text":"cancel my appointment please","now":"2019-03-01T09:00:00","timezone":"America/Los_Angeles","expect":{"intents":["cancel"],"date":null,"time":null}}"#,
            "\n",
            r#"{"id":"b","text":"book me friday at 3pm","now":"2019-03-01T09:00:00","timezone":"America/Los_Angeles","expect":{"intents":["book"],"date":"2019-03-01","time":"15:00"}}"#,
            "\n",
        ),
    )
    .unwrap();
    let eval = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_smsbot"))
            .args(["nlu", "eval"])
            .arg(&file)
            .args(extra)
            .output()
            .unwrap()
    };

    let lenient = eval(&["--min-intent", "0.5"]);
    let impossible = eval(&["--min-intent", "1.01"]);

    assert!(
        lenient.status.success(),
        "{}",
        String::from_utf8_lossy(&lenient.stderr)
    );
    assert!(String::from_utf8_lossy(&lenient.stdout).contains("intent"));
    assert!(!impossible.status.success());
    assert!(String::from_utf8_lossy(&impossible.stderr).contains("below threshold"));
}

/// The README's first command, end to end: `smsbot serve` with its local defaults,
/// and a conversation piped into `smsbot chat`.
#[tokio::test]
async fn a_newcomer_books_by_piping_a_conversation_into_chat() {
    let db = TestDatabase::create().await;
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (ok, out) = smsbot(
        &db,
        &[
            "seed-availability",
            "--weeks",
            "2",
            "--hours",
            "mon-sun 08:00-20:00",
        ],
    );
    assert!(ok, "{out}");
    let mut serve = Command::new(env!("CARGO_BIN_EXE_smsbot"))
        .args(["serve", "--port", &port.to_string()])
        .env("DATABASE_URL", &db.url)
        .env("BUSINESS_TIMEZONE", "America/Chicago")
        .env("RUST_LOG", "warn")
        // Each run gets its own queue and table in the shared emulator.
        .env(
            "INBOUND_QUEUE_URL",
            smsbot_test_support::create_fifo_queue(&smsbot_test_support::aws().await, "chat").await,
        )
        .env(
            "IDEMPOTENCY_TABLE",
            smsbot_test_support::create_idempotency_table(&smsbot_test_support::aws().await).await,
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start smsbot serve");
    let ready = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(ready, "smsbot serve did not start listening");

    let mut chat = Command::new(env!("CARGO_BIN_EXE_smsbot"))
        .args([
            "chat",
            "--from",
            "+15555550123",
            "--port",
            &port.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start smsbot chat");
    chat.stdin
        .take()
        .unwrap()
        .write_all(b"hi\ncan I book tomorrow at 10am?\nyes\n")
        .unwrap();
    let output = chat.wait_with_output().unwrap();
    let _ = serve.kill();
    let _ = serve.wait();
    let transcript = String::from_utf8_lossy(&output.stdout);

    assert!(output.status.success(), "{transcript}");
    assert!(transcript.contains("bot> Hi!"), "{transcript}");
    assert!(
        transcript.contains("10:00 AM is open. Shall I book it?"),
        "{transcript}"
    );
    assert!(
        transcript.contains("bot> You're booked for"),
        "{transcript}"
    );
    let client = db.pool.get().await.unwrap();
    let booked: i64 = client
        .query_one(
            "SELECT count(*) FROM appointments WHERE status = 'booked'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(booked, 1);
}

#[tokio::test]
async fn dlq_redrive_puts_dead_lettered_messages_back_in_their_fifo_groups() {
    let sdk = smsbot_test_support::aws().await;
    let source = smsbot_test_support::create_fifo_queue(&sdk, "redrive-source").await;
    let dlq = smsbot_test_support::create_fifo_queue(&sdk, "redrive-dlq").await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    for (n, group) in [(1, "a"), (2, "a"), (3, "b")] {
        sqs.send_message()
            .queue_url(&dlq)
            .message_body(format!("message {n}"))
            .message_group_id(group)
            .message_deduplication_id(format!("d{n}"))
            .send()
            .await
            .unwrap();
    }

    let output = Command::new(env!("CARGO_BIN_EXE_smsbot"))
        .args(["dlq", "redrive", "--from", &dlq, "--to", &source])
        .output()
        .unwrap();

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("moved 3 messages back"));
    let back = smsbot_test_support::drain_queue(&sdk, &source).await;
    let mut groups: Vec<(String, String)> = back
        .iter()
        .map(|m| {
            let group = m.attributes().unwrap()
                [&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId]
                .clone();
            (group, m.body().unwrap().to_owned())
        })
        .collect();
    groups.sort();
    assert_eq!(
        groups,
        vec![
            ("a".to_owned(), "message 1".to_owned()),
            ("a".to_owned(), "message 2".to_owned()),
            ("b".to_owned(), "message 3".to_owned()),
        ]
    );
    assert!(
        smsbot_test_support::drain_queue(&sdk, &dlq)
            .await
            .is_empty()
    );
}
