//! A pooled connection that died while it sat in the pool is never handed out:
//! one idle past the threshold answers a round trip at checkout, and a dead one
//! is replaced; one used recently is handed out without a round trip.

use std::time::Duration;

use smsbot_store::Pool;
use smsbot_store::pool::{IdleCheck, connect_with};
use smsbot_test_support::TestDatabase;

use crate::relay::Relay;

/// Long enough for a test's checkout, and for a relayed connect, on a busy machine.
const CHECKOUT_LIMIT: Duration = Duration::from_secs(10);

fn checked_after(after: Duration) -> IdleCheck {
    IdleCheck {
        after,
        timeout: Duration::from_millis(500),
    }
}

async fn backend_pid(pool: &Pool) -> i32 {
    let client = tokio::time::timeout(CHECKOUT_LIMIT, pool.get())
        .await
        .expect("a checkout within the limit")
        .expect("a connection");
    let row = tokio::time::timeout(
        CHECKOUT_LIMIT,
        client.query_one("SELECT pg_backend_pid()", &[]),
    )
    .await
    .expect("an answer within the limit")
    .expect("the query runs");
    row.get(0)
}

/// `db`'s URL through the relay instead of straight to the server.
fn through(relay: &Relay, db: &TestDatabase) -> String {
    let mut url = url::Url::parse(&db.url).expect("a URL");
    url.set_host(Some("127.0.0.1")).expect("a host");
    url.set_port(Some(relay.port)).expect("a port");
    url.to_string()
}

fn server_address(db: &TestDatabase) -> String {
    let url = url::Url::parse(&db.url).expect("a URL");
    format!(
        "{}:{}",
        url.host_str().expect("a TCP server"),
        url.port().unwrap_or(5432)
    )
}

#[tokio::test]
async fn a_pooled_connection_terminated_by_the_server_is_replaced_at_the_next_checkout() {
    let db = TestDatabase::create().await;
    let pool = connect_with(&db.url, 1, checked_after(Duration::ZERO)).unwrap();
    let first = backend_pid(&pool).await;

    let (admin, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    admin
        .execute("SELECT pg_terminate_backend($1)", &[&first])
        .await
        .unwrap();

    let second = backend_pid(&pool).await;
    assert_ne!(first, second, "a new connection took the dead one's place");
}

#[tokio::test]
async fn an_idle_connection_that_went_silent_is_replaced_instead_of_hanging_the_caller() {
    let db = TestDatabase::create().await;
    let relay = Relay::start(server_address(&db)).await;
    let idle_after = Duration::from_millis(200);
    let pool = connect_with(&through(&relay, &db), 1, checked_after(idle_after)).unwrap();
    let first = backend_pid(&pool).await;

    relay.silence_open_connections(); // a NAT or proxy forgot it; we did not
    tokio::time::sleep(idle_after * 2).await; // the container was frozen

    let second = backend_pid(&pool).await;
    assert_ne!(first, second);
}

#[tokio::test]
async fn a_connection_used_moments_ago_is_handed_out_without_a_round_trip() {
    let db = TestDatabase::create().await;
    let relay = Relay::start(server_address(&db)).await;
    let pool = connect_with(
        &through(&relay, &db),
        1,
        checked_after(Duration::from_secs(60)),
    )
    .unwrap();
    backend_pid(&pool).await;

    let before = relay.bytes_from_clients();
    let client = pool.get().await.unwrap();
    assert_eq!(relay.bytes_from_clients(), before, "nothing was sent");
    drop(client);
}

#[tokio::test]
async fn a_connection_idle_past_the_threshold_answers_a_round_trip_at_checkout() {
    let db = TestDatabase::create().await;
    let relay = Relay::start(server_address(&db)).await;
    let pool = connect_with(&through(&relay, &db), 1, checked_after(Duration::ZERO)).unwrap();
    let first = backend_pid(&pool).await;

    let before = relay.bytes_from_clients();
    let client = pool.get().await.unwrap();
    assert!(
        relay.bytes_from_clients() > before,
        "the check reached the server"
    );
    drop(client);
    assert_eq!(backend_pid(&pool).await, first, "a live connection is kept");
}
