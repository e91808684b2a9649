//! The functions as `sam build` builds them from template.yaml, run by
//! `sam local invoke` in Lambda's own container with the events of `events/`,
//! and what they did: the queue, the database, the Twilio stand-in.
//!
//! Ignored by a plain `cargo test`: it needs Docker and a `sam build`, which
//! scripts/sam-local (a step of scripts/test) prepares before it runs these with
//! `--run-ignored only`, passing
//! - `SMSBOT_SAM_TEMPLATE`: the built template (`<build dir>/template.yaml`),
//! - `SMSBOT_SAM_IMAGE`: the local image to run `provided.al2023` functions in,
//! - `SMSBOT_SAM_HOST_IP`: where containers reach this machine (the Docker
//!   bridge's gateway).
//!
//! The containers see only what the template declares plus `--env-vars`, as in
//! AWS: the secrets come from the emulated Secrets Manager through
//! `APP_SECRETS_ARN`. PostgreSQL, the emulator and the Twilio stand-in listen on
//! loopback, so each test opens relays to them on the gateway address for its
//! own containers.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use smsbot_test_support::twilio_standin::TwilioStandIn;
use smsbot_test_support::{
    self as support, EVENTS_AUTH_TOKEN, EVENTS_PUBLIC_BASE_URL, TestDatabase,
};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

const NEEDS: &str = "needs Docker and a sam build: run by scripts/sam-local";
const BUSINESS_NUMBER: &str = "+14155550199";

/// A TCP relay on the gateway address to a service on loopback, for containers.
struct Relay {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn open(host_ip: &str, target: SocketAddr) -> Self {
        let listener = TcpListener::bind((host_ip, 0))
            .await
            .unwrap_or_else(|e| panic!("listening on {host_ip}: {e}"));
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self { addr, task }
    }

    /// `url` with its host and port replaced by this relay's.
    fn rewrite(&self, url: &str) -> String {
        let mut url = Url::parse(url).unwrap();
        url.set_host(Some(&self.addr.ip().to_string())).unwrap();
        url.set_port(Some(self.addr.port())).unwrap();
        url.to_string().trim_end_matches('/').to_owned()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The loopback address a URL names.
fn socket_of(url: &str) -> SocketAddr {
    let url = Url::parse(url).unwrap();
    let host = url.host_str().unwrap();
    let port = url.port_or_known_default().unwrap();
    format!("{host}:{port}")
        .parse()
        .unwrap_or_else(|e| panic!("{host}:{port} is not a loopback address: {e}"))
}

fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set ({NEEDS})"))
}

/// One deployment: a database and an app secret of its own, reached by the
/// containers through relays.
struct Deployment {
    host_ip: String,
    db: TestDatabase,
    sdk: aws_config::SdkConfig,
    aws: Relay,
    _db_relay: Relay,
    secret_arn: String,
}

impl Deployment {
    async fn create(twilio_auth_token: &str) -> Self {
        let host_ip = required("SMSBOT_SAM_HOST_IP");
        let sdk = support::aws().await;
        let db = TestDatabase::create().await;
        let db_relay = Relay::open(&host_ip, socket_of(&db.url)).await;
        let aws = Relay::open(&host_ip, socket_of(&required("AWS_ENDPOINT_URL"))).await;
        let secret_arn = support::create_app_secret(
            &sdk,
            &json!({
                "DATABASE_URL": db_relay.rewrite(&db.url),
                "TWILIO_AUTH_TOKEN": twilio_auth_token,
                "TWILIO_SECONDARY_AUTH_TOKEN": "",
                "OPENROUTER_API_KEY": "",
                "ADMIN_API_KEY": "sam-local-admin-key",
            }),
        )
        .await;
        Self {
            host_ip,
            db,
            sdk,
            aws,
            _db_relay: db_relay,
            secret_arn,
        }
    }

    /// What every function gets besides its own variables.
    fn globals(&self) -> serde_json::Map<String, Value> {
        let mut env = serde_json::Map::new();
        env.insert(
            "AWS_ENDPOINT_URL".into(),
            self.aws.rewrite(&required("AWS_ENDPOINT_URL")).into(),
        );
        env.insert("APP_SECRETS_ARN".into(), self.secret_arn.clone().into());
        env.insert("RUST_LOG".into(), "info".into());
        env.insert("DATABASE_POOL_SIZE".into(), "2".into());
        env
    }

    /// `sam local invoke FUNCTION -e events/EVENT` with `variables` on top of
    /// the globals; the function's answer.
    async fn invoke(&self, function: &str, event: &str, variables: Value) -> Value {
        let mut env = self.globals();
        env.extend(
            variables
                .as_object()
                .expect("variables are an object")
                .clone(),
        );
        let env_file = tempfile_with(&json!({ function: env }));
        let event_path = support::events_dir().join(event);
        let function = function.to_owned();
        let output = tokio::task::spawn_blocking(move || {
            Command::new("sam")
                .args(["local", "invoke", &function])
                .arg("--template-file")
                .arg(required("SMSBOT_SAM_TEMPLATE"))
                .arg("--event")
                .arg(&event_path)
                .arg("--env-vars")
                .arg(&env_file)
                .args([
                    "--invoke-image",
                    &required("SMSBOT_SAM_IMAGE"),
                    "--skip-pull-image",
                ])
                .args(["--parameter-overrides", "Architecture=x86_64"])
                .env("SAM_CLI_TELEMETRY", "0")
                .output()
                .expect("sam runs (scripts/sam-local puts it on PATH)")
        })
        .await
        .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "sam local invoke failed:\n{stderr}\n{stdout}"
        );
        // SAM prints the function's answer as the last line of its stdout.
        let answer = stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default();
        serde_json::from_str(answer).unwrap_or_else(|e| {
            panic!("the answer is JSON ({e}):\n{stdout}\n--- stderr ---\n{stderr}")
        })
    }

    /// A queue URL the containers can use.
    fn for_containers(&self, queue_url: &str) -> String {
        self.aws.rewrite(queue_url)
    }
}

/// A file holding `value`, removed when the process ends.
fn tempfile_with(value: &Value) -> PathBuf {
    let path = std::env::temp_dir().join(format!("{}.json", support::unique("sam-env-vars")));
    std::fs::write(&path, value.to_string()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Docker and a sam build: run by scripts/sam-local"]
async fn the_built_webhook_queues_a_signed_inbound_sms_and_refuses_a_forged_one() {
    let stack = Deployment::create(EVENTS_AUTH_TOKEN).await;
    let queue = support::create_fifo_queue(&stack.sdk, "inbound").await;
    let table = support::create_idempotency_table(&stack.sdk).await;
    let variables = json!({
        "PUBLIC_BASE_URL": EVENTS_PUBLIC_BASE_URL,
        "INBOUND_QUEUE_URL": stack.for_containers(&queue),
        "IDEMPOTENCY_TABLE": table,
    });

    let answer = stack
        .invoke("WebhookFunction", "webhook-inbound.json", variables.clone())
        .await;
    let forged = stack
        .invoke("WebhookFunction", "webhook-inbound-forged.json", variables)
        .await;

    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(forged["statusCode"], 403, "{forged}");
    let queued = support::drain_queue(&stack.sdk, &queue).await;
    assert_eq!(queued.len(), 1, "the signed SMS and only it is queued");
    let message: Value = serde_json::from_str(queued[0].body().unwrap()).unwrap();
    let form = posted_form("webhook-inbound.json");
    assert_eq!(message["message_sid"], form["MessageSid"], "{message}");
    assert_eq!(message["from"], form["From"], "{message}");
}

/// The form Twilio posted, from an API Gateway event's base64 body.
fn posted_form(event: &str) -> Value {
    use base64::Engine as _;
    let event: Value = serde_json::from_str(&support::event_text(event)).unwrap();
    let body = base64::engine::general_purpose::STANDARD
        .decode(event["body"].as_str().unwrap())
        .unwrap();
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap();
    fields
        .into_iter()
        .map(|(k, v)| (k, Value::from(v)))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Docker and a sam build: run by scripts/sam-local"]
async fn the_built_worker_stores_an_inbound_sms_and_replies_through_twilio() {
    let twilio = TwilioStandIn::start().await;
    let stack = Deployment::create(&twilio.auth_token).await;
    let twilio_relay = Relay::open(&stack.host_ip, socket_of(twilio.base_url.as_str())).await;
    let event: Value =
        serde_json::from_str(&support::event_text("conversation-worker-sqs.json")).unwrap();
    let sms: Value = serde_json::from_str(event["Records"][0]["body"].as_str().unwrap()).unwrap();
    let table = support::create_idempotency_table(&stack.sdk).await;
    // In AWS `!Ref StaffAlertTopic` is the topic's ARN; sam local passes the
    // logical id, which the worker rightly refuses at start-up.
    let staff_topic = smsbot_aws::provision::topic(&stack.sdk, &support::unique("staff-alerts"))
        .await
        .unwrap();

    let answer = stack
        .invoke(
            "ConversationWorkerFunction",
            "conversation-worker-sqs.json",
            json!({
                "PUBLIC_BASE_URL": EVENTS_PUBLIC_BASE_URL,
                "TWILIO_ACCOUNT_SID": twilio.account_sid,
                "TWILIO_PHONE_NUMBER": BUSINESS_NUMBER,
                "TWILIO_MESSAGING_SERVICE_SID": "",
                "TWILIO_API_BASE": twilio_relay.rewrite(twilio.base_url.as_str()),
                "IDEMPOTENCY_TABLE": table,
                "STAFF_ALERT_TOPIC_ARN": staff_topic,
            }),
        )
        .await;

    assert_eq!(answer, json!({"batchItemFailures": []}));
    let sent = twilio.sent();
    assert!(
        sent.iter().any(|m| m.to == sms["from"]),
        "a reply to the sender among {sent:?}"
    );
    let db = stack.db.pool.get().await.unwrap();
    let stored: i64 = db
        .query_one(
            "SELECT count(*) FROM messages WHERE twilio_sid = $1 AND direction = 'inbound'",
            &[&sms["message_sid"].as_str().unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 1, "the inbound SMS is stored once");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Docker and a sam build: run by scripts/sam-local"]
async fn the_built_dispatcher_queues_a_due_campaign_for_its_opted_in_contact() {
    let stack = Deployment::create(EVENTS_AUTH_TOKEN).await;
    let outbound = smsbot_aws::provision::standard_queue(&stack.sdk, &support::unique("outbound"))
        .await
        .unwrap();
    seed_due_campaign(&stack.db).await;

    let report = stack
        .invoke(
            "CampaignDispatcherFunction",
            "scheduled-tick.json",
            json!({
                "OUTBOUND_QUEUE_URL": stack.for_containers(&outbound),
                "DISPATCH_TICK_SECONDS": "60",
            }),
        )
        .await;

    assert_eq!(report["queued"], 1, "{report}");
    let queued = support::drain_queue(&stack.sdk, &outbound).await;
    assert_eq!(
        queued.len(),
        1,
        "one campaign message on the outbound queue"
    );
}

/// A timezone where it is daytime now (between 10:00 and 19:00), so that a
/// marketing text may go out whenever the suite runs: the legal window is 8:00 to
/// 21:00 in the recipient's zone. Offsets here are at most five hours apart.
fn a_zone_in_daytime() -> chrono_tz::Tz {
    use chrono::Timelike;
    let zones = [
        chrono_tz::Pacific::Kiritimati,
        chrono_tz::Pacific::Auckland,
        chrono_tz::Asia::Tokyo,
        chrono_tz::Asia::Kolkata,
        chrono_tz::Europe::Berlin,
        chrono_tz::America::Sao_Paulo,
        chrono_tz::America::New_York,
        chrono_tz::America::Los_Angeles,
        chrono_tz::Pacific::Honolulu,
    ];
    zones
        .into_iter()
        .find(|tz| (10..19).contains(&Utc::now().with_timezone(tz).hour()))
        .expect("some zone is in daytime")
}

/// One contact with marketing consent, in a zone where it is daytime, and a
/// broadcast to everyone, due a minute ago, with its own quiet window an hour
/// from now there (so the tick sends whatever the time of day).
async fn seed_due_campaign(db: &TestDatabase) {
    use smsbot_domain::{CampaignKind, ConsentEvidence, ConsentSource, ConsentState, PhoneNumber};
    use smsbot_store::campaigns::{self, CampaignStatus, NewCampaign};
    use smsbot_store::contacts::{self, NewContact};

    let client = db.pool.get().await.unwrap();
    let phone = PhoneNumber::parse_e164("+14155550123").unwrap();
    let zone = a_zone_in_daytime();
    // A broadcast reaches only contacts who agreed to marketing, with proof.
    let proof = ConsentEvidence::new(
        Some("sign-up form at the front desk"),
        Some("Yes, text me offers from the clinic."),
        Some(Utc::now() - Duration::days(1)),
        Utc::now(),
    )
    .unwrap();
    contacts::insert(
        &client,
        &NewContact {
            phone: &phone,
            name: Some("Ada"),
            timezone: Some(zone.name()),
            tags: &[],
            consent: ConsentState::OptedIn,
            source: ConsentSource::Admin,
            marketing: Some(&proof),
        },
    )
    .await
    .unwrap();
    let local_now = Utc::now().with_timezone(&zone).time();
    let created = campaigns::create(
        &client,
        &NewCampaign {
            name: "sam local",
            kind: CampaignKind::Broadcast,
            template: "Hello from the clinic",
            audience: &json!({"type": "all_opted_in"}),
            starts_at: Some(Utc::now() - Duration::minutes(1)),
            quiet_start: local_now + Duration::hours(1),
            quiet_end: local_now + Duration::hours(2),
            rate_per_second: 10,
        },
    )
    .await
    .unwrap();
    campaigns::set_status(
        &client,
        created.id,
        CampaignStatus::Draft,
        CampaignStatus::Scheduled,
    )
    .await
    .unwrap()
    .expect("a fresh draft is scheduled");
}
