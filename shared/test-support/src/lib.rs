//! Test fixtures: a fresh database per test, fresh AWS resources in the emulator,
//! the sample events of `events/`, local stand-ins for Twilio
//! ([`twilio_standin`]), OpenRouter ([`openrouter_standin`]) and the pre-signed
//! URL a CloudFormation custom resource answers to ([`cloudformation_standin`]),
//! and the Lambda Runtime API stand-in that runs the function binaries
//! ([`lambda_runtime_standin`]).
//!
//! The environment comes from `scripts/test` (or `scripts/dev-env`): `DATABASE_URL`
//! names a server where tests may create databases, `AWS_ENDPOINT_URL` the local AWS
//! emulator. Nothing here may reach a real AWS account or a shared database.

pub mod cloudformation_standin;
pub mod lambda_runtime_standin;
pub mod openrouter_standin;
pub mod twilio_standin;

use std::path::PathBuf;

use smsbot_store::Pool;

fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests through scripts/test (or scripts/dev-env -- cargo test)")
    })
}

/// A database of its own for one test, migrated with the real migrations.
pub struct TestDatabase {
    pub pool: Pool,
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        Self::create_with_pool(8).await
    }

    /// A database whose pool holds at most `size` connections: with one, a use
    /// case that waits for a second connection while holding the first hangs,
    /// which a test bounded in time then reports.
    pub async fn create_with_pool(size: usize) -> Self {
        let db = Self::create_unmigrated(size).await;
        smsbot_store::migrate::run(&db.pool)
            .await
            .expect("migrations apply");
        db
    }

    /// Opens one 30-minute slot at `starts_at` for `capacity` customers with
    /// the provider named `provider` (made if missing), and gives its id.
    pub async fn open_slot(
        &self,
        provider: &str,
        starts_at: chrono::DateTime<chrono::Utc>,
        capacity: i32,
    ) -> smsbot_domain::SlotId {
        use smsbot_store::availability::{self, NewSlot};
        let client = self.pool.get().await.expect("a connection");
        let provider = availability::ensure_provider(&client, provider)
            .await
            .expect("the provider");
        let slot = NewSlot {
            starts_at,
            ends_at: starts_at + chrono::Duration::minutes(30),
            capacity,
        };
        availability::insert_missing(&client, provider, &[slot])
            .await
            .expect("the slot");
        client
            .query_one(
                "SELECT id FROM availability_slots WHERE provider_id = $1 AND starts_at = $2",
                &[&provider, &starts_at],
            )
            .await
            .expect("the slot's id")
            .get(0)
    }

    /// A practice that has been open a while: `visits` completed past
    /// appointments (ten to an hourly slot in 2025, with a provider of their
    /// own) spread over the first `customers` contacts, which must exist, and
    /// statistics on every table, as autovacuum keeps them. Against empty
    /// tables a plan kept for a connection is the empty tables' plan.
    pub async fn seed_past_visits(&self, visits: i32, customers: i32) {
        let client = self.pool.get().await.expect("a connection");
        client
            .execute(
                "WITH history AS (INSERT INTO providers (name) VALUES ('Past visits') RETURNING id),
                      past AS (
                        INSERT INTO availability_slots (provider_id, starts_at, ends_at, capacity)
                        SELECT history.id, timestamptz '2025-01-06 14:00Z' + make_interval(hours => i),
                               timestamptz '2025-01-06 14:30Z' + make_interval(hours => i), 10
                          FROM history, generate_series(0, ($1::integer + 9) / 10 - 1) i
                        RETURNING id, provider_id, starts_at, ends_at)
                 INSERT INTO appointments (contact_id, slot_id, provider_id, status, starts_at, ends_at)
                 SELECT (SELECT min(id) FROM contacts) + (past.id * 10 + k) % $2::integer,
                        past.id, past.provider_id, 'completed', past.starts_at, past.ends_at
                   FROM past, generate_series(0, 9) k",
                &[&visits, &customers],
            )
            .await
            .expect("past visits");
        client.batch_execute("ANALYZE").await.expect("analyze");
    }

    /// An empty database (no migrations applied), for the migrations' own tests.
    pub async fn create_unmigrated(size: usize) -> Self {
        let server = required_env("DATABASE_URL");
        let name = format!("smsbot_test_{}", uuid::Uuid::new_v4().simple());
        let (admin, connection) = tokio_postgres::connect(&server, tokio_postgres::NoTls)
            .await
            .expect("connect to the test server");
        tokio::spawn(connection);
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test database");
        let mut url = url::Url::parse(&server).expect("DATABASE_URL must be a URL");
        url.set_path(&name);
        let url = url.to_string();
        let pool = smsbot_store::connect(&url, size).expect("pool");
        Self { pool, name, url }
    }
}

/// Every test makes a database: without dropping them the server's disk fills
/// (a full suite run left ~600 databases and ~5 GB behind). Dropped from a
/// thread of its own, since `drop` cannot await, with FORCE for the pool's
/// connections; a failure only leaves the database behind.
impl Drop for TestDatabase {
    fn drop(&mut self) {
        self.pool.close();
        let Ok(server) = std::env::var("DATABASE_URL") else {
            return;
        };
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok((client, connection)) =
                    tokio_postgres::connect(&server, tokio_postgres::NoTls).await
                {
                    tokio::spawn(connection);
                    let _ = client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        });
        let _ = dropped.join();
    }
}

impl TestDatabase {
    async fn admin(&self) -> tokio_postgres::Client {
        let (admin, connection) =
            tokio_postgres::connect(&required_env("DATABASE_URL"), tokio_postgres::NoTls)
                .await
                .expect("connect to the test server");
        tokio::spawn(connection);
        admin
    }

    /// Takes this database away: open connections are killed and new ones refused,
    /// as when the server goes down.
    pub async fn outage(&self) {
        self.admin()
            .await
            .batch_execute(&format!(
                "ALTER DATABASE {name} ALLOW_CONNECTIONS false;
                 SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                  WHERE datname = '{name}' AND pid <> pg_backend_pid();",
                name = self.name
            ))
            .await
            .expect("take the database down");
    }

    /// Ends an `outage`.
    pub async fn restore(&self) {
        self.admin()
            .await
            .batch_execute(&format!(
                "ALTER DATABASE {} ALLOW_CONNECTIONS true",
                self.name
            ))
            .await
            .expect("bring the database back");
    }
}

/// SDK configuration for the emulator, with a unique suffix for resource names.
pub async fn aws() -> aws_config::SdkConfig {
    required_env("AWS_ENDPOINT_URL");
    smsbot_aws::sdk_config().await
}

/// An SDK configuration pointing at a closed port: every call fails to connect,
/// as when the service is down.
pub async fn unreachable_aws() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url("http://127.0.0.1:9")
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .load()
        .await
}

/// An SDK configuration pointing at a server that accepts connections and never
/// answers, with the production call timeouts: every call hangs until they end
/// it, as when a service has a bad minute rather than being down.
pub async fn hanging_aws() -> aws_config::SdkConfig {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket); // keep it open, say nothing
        }
    });
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(format!("http://{addr}"))
        .timeout_config(smsbot_aws::call_timeouts())
        .load()
        .await
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// A FIFO queue of its own for one test.
pub async fn create_fifo_queue(sdk: &aws_config::SdkConfig, prefix: &str) -> String {
    smsbot_aws::provision::fifo_queue(sdk, &format!("{}.fifo", unique(prefix)))
        .await
        .expect("create FIFO queue")
}

/// An idempotency table of its own for one test.
pub async fn create_idempotency_table(sdk: &aws_config::SdkConfig) -> String {
    let name = unique("idempotency");
    smsbot_aws::provision::idempotency_table(sdk, &name)
        .await
        .expect("create idempotency table");
    name
}

/// An app secret of its own for one test (a JSON object, as the template's
/// `AppSecret`); returns its ARN, for `APP_SECRETS_ARN`.
pub async fn create_app_secret(sdk: &aws_config::SdkConfig, values: &serde_json::Value) -> String {
    let created = aws_sdk_secretsmanager::Client::new(sdk)
        .create_secret()
        .name(unique("smsbot/test/app"))
        .secret_string(values.to_string())
        .send()
        .await
        .expect("create the app secret");
    created.arn().expect("the secret's ARN").to_owned()
}

/// An SNS topic of its own for one test, with a standard queue subscribed
/// to it, so what is published can be read back: `(topic ARN, queue URL)`.
pub async fn create_subscribed_topic(sdk: &aws_config::SdkConfig) -> (String, String) {
    let topic = smsbot_aws::provision::topic(sdk, &unique("staff-alerts"))
        .await
        .expect("create the topic");
    let queue = smsbot_aws::provision::standard_queue(sdk, &unique("staff-inbox"))
        .await
        .expect("create the subscriber queue");
    let queue_arn = aws_sdk_sqs::Client::new(sdk)
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("read the queue's ARN")
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .cloned()
        .expect("the queue's ARN");
    aws_sdk_sns::Client::new(sdk)
        .subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await
        .expect("subscribe the queue to the topic");
    (topic, queue)
}

/// Every message currently visible on the queue (drains it).
pub async fn drain_queue(
    sdk: &aws_config::SdkConfig,
    url: &str,
) -> Vec<aws_sdk_sqs::types::Message> {
    let client = aws_sdk_sqs::Client::new(sdk);
    let mut all = Vec::new();
    loop {
        let batch = client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await
            .expect("receive");
        let messages = batch.messages.unwrap_or_default();
        if messages.is_empty() {
            return all;
        }
        for m in &messages {
            client
                .delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete");
        }
        all.extend(messages);
    }
}

/// The team's NLU dev corpora (`../shared/testdata/nlu` beside the repository)
/// that exist; empty in a clone without the team folder, where the tests that
/// read them say so and skip.
pub fn nlu_dev_corpora() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/nlu");
    let files: Vec<PathBuf> = ["sgd-train.jsonl", "hasd-dev.jsonl"]
        .iter()
        .map(|f| dir.join(f))
        .filter(|p| p.exists())
        .collect();
    if files.is_empty() {
        eprintln!("skipping: NLU corpora not found at {}", dir.display());
    }
    files
}

/// The repository's `events/` folder.
pub fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

/// A sample event as text.
pub fn event_text(name: &str) -> String {
    std::fs::read_to_string(events_dir().join(name))
        .unwrap_or_else(|e| panic!("events/{name}: {e}"))
}

/// An API Gateway event from `events/`, converted the way the Lambda runtime does.
pub fn http_event(name: &str) -> lambda_http::Request {
    lambda_http::request::from_str(&event_text(name)).expect("a valid API Gateway event")
}

/// The auth token and public URL the sample events are signed for (events/README.md).
pub const EVENTS_AUTH_TOKEN: &str = "local-dev-auth-token";
pub const EVENTS_PUBLIC_BASE_URL: &str = "https://abc123.execute-api.us-east-1.amazonaws.com";
