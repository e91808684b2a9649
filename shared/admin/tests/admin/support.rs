//! The admin router against a real Postgres database and the AWS emulator,
//! called the way API Gateway's Lambda integration or the local process calls it,
//! with the setup and the assertions the feature modules share.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::{DateTime, Duration, SecondsFormat};
use http_body_util::BodyExt;
use secrecy::SecretString;
use serde_json::{Value, json};
use smsbot_admin::{AdminState, StaffDesk, router};
use smsbot_domain::Region;
use smsbot_outbox::{ConsoleSender, ManualClock, Outbox};
use smsbot_test_support::{self as test_support, TestDatabase};
use tokio_postgres::types::ToSql;
use tower::ServiceExt;

pub const KEY: &str = "test-admin-key-0123456789";

/// Where the API says it is reached (links to calendar feeds).
pub const PUBLIC_BASE_URL: &str = "https://api.example.com/prod";

/// Every protected operation with a path that exists in a fresh database or not.
pub const PROTECTED: &[(&str, &str)] = &[
    ("GET", "/api/contacts"),
    ("POST", "/api/contacts"),
    ("GET", "/api/contacts/1"),
    ("PATCH", "/api/contacts/1"),
    ("DELETE", "/api/contacts/1"),
    ("GET", "/api/contacts/1/consent"),
    ("POST", "/api/contacts/1/consent/marketing"),
    ("DELETE", "/api/contacts/1/consent/marketing"),
    ("GET", "/api/campaigns"),
    ("POST", "/api/campaigns"),
    ("GET", "/api/campaigns/1"),
    ("PATCH", "/api/campaigns/1"),
    ("POST", "/api/campaigns/1/launch"),
    ("POST", "/api/campaigns/1/pause"),
    ("POST", "/api/campaigns/1/resume"),
    ("POST", "/api/campaigns/1/cancel"),
    ("GET", "/api/appointments"),
    ("POST", "/api/appointments"),
    ("GET", "/api/appointments/day?date=2030-01-01"),
    ("POST", "/api/appointments/1/reschedule"),
    ("POST", "/api/appointments/1/approve"),
    ("POST", "/api/appointments/1/cancel"),
    ("POST", "/api/appointments/1/no-show"),
    ("GET", "/api/availability"),
    ("POST", "/api/availability"),
    ("GET", "/api/messages?contact_id=1"),
    ("GET", "/api/conversations/needing-human"),
    ("POST", "/api/conversations/1/messages"),
    ("POST", "/api/conversations/1/release"),
    ("GET", "/api/business-profile"),
    ("PUT", "/api/business-profile"),
    ("GET", "/api/business-profile/faq"),
    ("POST", "/api/business-profile/faq"),
    ("PUT", "/api/business-profile/faq/1"),
    ("DELETE", "/api/business-profile/faq/1"),
    ("GET", "/api/services"),
    ("POST", "/api/services"),
    ("GET", "/api/services/1"),
    ("PUT", "/api/services/1"),
    ("GET", "/api/providers"),
    ("POST", "/api/providers"),
    ("GET", "/api/providers/1"),
    ("PUT", "/api/providers/1"),
    ("GET", "/api/providers/1/working-hours"),
    ("PUT", "/api/providers/1/working-hours"),
    ("GET", "/api/closures"),
    ("POST", "/api/closures"),
    ("DELETE", "/api/closures/1"),
    ("GET", "/api/providers/1/calendar-feeds"),
    ("POST", "/api/providers/1/calendar-feeds"),
    ("DELETE", "/api/calendar-feeds/1"),
    ("GET", "/api/waitlist"),
    ("GET", "/api/openapi.json"),
];

/// What the API answered: the status and the JSON body (`Null` when empty).
pub type Answer = (StatusCode, Value);

/// A database URL nothing listens on.
const NO_DATABASE: &str = "postgres://postgres@127.0.0.1:9/none";

/// The admin API with a database and an idempotency table of its own, the
/// console as every phone and a clock the test moves.
pub struct Admin {
    db: TestDatabase,
    sdk: aws_config::SdkConfig,
    table: String,
    pub phone: Arc<ConsoleSender>,
    pub clock: Arc<ManualClock>,
}

impl Admin {
    pub async fn start() -> Self {
        let sdk = test_support::aws().await;
        Self {
            db: TestDatabase::create().await,
            table: test_support::create_idempotency_table(&sdk).await,
            sdk,
            phone: Arc::new(ConsoleSender::quiet()),
            // Whole seconds: the database keeps microseconds.
            clock: Arc::new(ManualClock::at(chrono::SubsecRound::trunc_subsecs(
                chrono::Utc::now(),
                0,
            ))),
        }
    }

    pub fn pool(&self) -> &smsbot_store::Pool {
        &self.db.pool
    }

    pub fn state(&self) -> AdminState {
        AdminState {
            pool: self.db.pool.clone(),
            api_key: Arc::new(SecretString::from(KEY.to_owned())),
            default_region: Region::US,
            dynamodb: aws_sdk_dynamodb::Client::new(&self.sdk),
            idempotency_table: self.table.clone(),
            staff: StaffDesk {
                outbox: Outbox::new(
                    self.db.pool.clone(),
                    self.phone.clone(),
                    self.clock.clone(),
                    "America/New_York".parse().unwrap(),
                ),
                clock: self.clock.clone(),
                quiet: Duration::hours(24),
            },
            business: Default::default(),
            public_base_url: Some(PUBLIC_BASE_URL.parse().unwrap()),
            waitlist_hold: Duration::minutes(15),
        }
    }

    pub fn router(&self) -> Router {
        router(self.state())
    }

    /// The same API with a database that does not answer.
    pub fn with_the_database_down(&self) -> AdminState {
        AdminState {
            pool: smsbot_store::connect(NO_DATABASE, 1).unwrap(),
            ..self.state()
        }
    }

    /// The same API with a DynamoDB endpoint that does not answer.
    pub async fn with_dynamodb_down(&self) -> AdminState {
        AdminState {
            dynamodb: aws_sdk_dynamodb::Client::new(&test_support::unreachable_aws().await),
            ..self.state()
        }
    }

    /// The same API pointed at an idempotency table that does not exist.
    pub fn without_the_idempotency_table(&self) -> AdminState {
        AdminState {
            idempotency_table: "no-such-table".to_owned(),
            ..self.state()
        }
    }

    /// A request with the admin key and, when given, a JSON body.
    pub async fn call(&self, method: Method, uri: &str, body: Option<Value>) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("x-api-key", KEY);
        let body = match body {
            Some(json) => {
                request = request.header("content-type", "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        send(self.router(), request.body(body).unwrap()).await
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.call(Method::GET, uri, None).await
    }

    pub async fn post(&self, uri: &str, body: Value) -> Answer {
        self.call(Method::POST, uri, Some(body)).await
    }

    pub async fn patch(&self, uri: &str, body: Value) -> Answer {
        self.call(Method::PATCH, uri, Some(body)).await
    }

    pub async fn delete(&self, uri: &str) -> Answer {
        self.call(Method::DELETE, uri, None).await
    }

    /// A POST without a body: a command such as `/api/campaigns/1/launch`.
    pub async fn command(&self, uri: &str) -> Answer {
        self.call(Method::POST, uri, None).await
    }

    /// A POST with the admin key of `body` exactly as given, as `content_type`.
    pub async fn post_raw(&self, uri: &str, content_type: &str, body: &'static str) -> Answer {
        let request = Request::post(uri)
            .header("x-api-key", KEY)
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        send(self.router(), request).await
    }

    /// A campaign command: "launch", "pause", "resume" or "cancel".
    pub async fn on_campaign(&self, campaign: i64, action: &str) -> Answer {
        self.command(&format!("/api/campaigns/{campaign}/{action}"))
            .await
    }

    /// An appointment command: "cancel" or "no-show".
    pub async fn on_appointment(&self, appointment: i64, action: &str) -> Answer {
        self.command(&format!("/api/appointments/{appointment}/{action}"))
            .await
    }

    /// A new opted-in contact with this number.
    pub async fn contact(&self, phone: &str) -> i64 {
        let (status, body) = self.post("/api/contacts", json!({"phone": phone})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }

    /// A new draft of the [`draft`] campaign.
    pub async fn draft_campaign(&self) -> i64 {
        let (status, body) = self.post("/api/campaigns", draft()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }

    /// A provider with this name.
    pub async fn provider(&self, name: &str) -> i64 {
        self.insert_returning_id(
            "INSERT INTO providers (name) VALUES ($1) RETURNING id",
            &[&name],
        )
        .await
    }

    pub async fn slot(&self, provider: i64, starts_at: &str, ends_at: &str, capacity: i32) -> i64 {
        let (status, body) = self
            .post(
                "/api/availability",
                json!({"provider_id": provider, "starts_at": starts_at, "ends_at": ends_at,
                       "capacity": capacity}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }

    /// A half-hour slot for one person with `provider`, starting at
    /// `starts_at` (RFC 3339 in UTC).
    pub async fn slot_for_one(&self, provider: i64, starts_at: &str) -> i64 {
        let ends_at = (DateTime::parse_from_rfc3339(starts_at).unwrap() + Duration::minutes(30))
            .to_rfc3339_opts(SecondsFormat::Secs, true);
        self.slot(provider, starts_at, &ends_at, 1).await
    }

    /// A booked appointment, inserted the way the scheduling engine leaves one.
    pub async fn appointment(&self, contact: i64, slot: i64) -> i64 {
        self.insert_returning_id(
            "INSERT INTO appointments (contact_id, slot_id, starts_at, ends_at)
             SELECT $1, id, starts_at, ends_at FROM availability_slots WHERE id = $2
             RETURNING id",
            &[&contact, &slot],
        )
        .await
    }

    /// `contact` booked into a new [`Admin::slot_for_one`] with `provider`.
    pub async fn booked(&self, contact: i64, provider: i64, starts_at: &str) -> i64 {
        let slot = self.slot_for_one(provider, starts_at).await;
        self.appointment(contact, slot).await
    }

    /// An outbound message to `contact` recorded and not yet sent, as the
    /// outbox leaves one before it hands it to Twilio.
    pub async fn outbound(&self, contact: i64, body: &str) -> i64 {
        self.insert_returning_id(
            "INSERT INTO messages (contact_id, direction, body, status, segments)
             VALUES ($1, 'outbound', $2, 'pending', 1)
             RETURNING id",
            &[&contact, &body],
        )
        .await
    }

    async fn insert_returning_id(&self, statement: &str, params: &[&(dyn ToSql + Sync)]) -> i64 {
        self.sql_rows(statement, params).await[0].get(0)
    }

    pub async fn sql(&self, statement: &str, params: &[&(dyn ToSql + Sync)]) {
        let client = self.db.pool.get().await.unwrap();
        client.execute(statement, params).await.unwrap();
    }

    pub async fn sql_rows(
        &self,
        query: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Vec<tokio_postgres::Row> {
        let client = self.db.pool.get().await.unwrap();
        client.query(query, params).await.unwrap()
    }

    /// Walks a list through every page with `limit`, returning the pages' ids.
    pub async fn pages(&self, base: &str, limit: u32) -> Vec<Vec<i64>> {
        let separator = if base.contains('?') { '&' } else { '?' };
        let mut pages = Vec::new();
        let mut uri = format!("{base}{separator}limit={limit}");
        loop {
            let (status, body) = self.get(&uri).await;
            assert_eq!(status, StatusCode::OK, "{uri}: {body}");
            pages.push(ids(&body["items"]));
            match body["next_cursor"].as_str() {
                Some(cursor) => uri = format!("{base}{separator}limit={limit}&cursor={cursor}"),
                None => return pages,
            }
            assert!(pages.len() < 50, "pagination does not end");
        }
    }

    /// Asserts that a GET of each of `uris` is a 400 bad request.
    pub async fn assert_bad_requests(&self, uris: &[&str]) {
        for uri in uris {
            assert_bad_request(&self.get(uri).await);
        }
    }

    /// Asserts that a POST of each of `bodies` to `uri` fails validation (422).
    pub async fn assert_refused_as_invalid(
        &self,
        uri: &str,
        bodies: impl IntoIterator<Item = Value>,
    ) {
        for body in bodies {
            assert_validation_failed(&self.post(uri, body).await);
        }
    }
}

/// The body of a valid campaign draft with every optional field left out.
pub fn draft() -> Value {
    json!({"name": "Spring reminder", "template": "Time for your spring check-up! Reply BOOK."})
}

pub async fn send(router: Router, request: Request<Body>) -> Answer {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)))
    };
    (status, body)
}

/// The public health check of an API with this state.
pub async fn health(state: AdminState) -> Answer {
    let request = Request::get("/api/health").body(Body::empty()).unwrap();
    send(router(state), request).await
}

pub fn ids(items: &Value) -> Vec<i64> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect()
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<no error code>")
}

/// Asserts an error answer: the status, the code and a message.
pub fn assert_error(answer: &Answer, status: StatusCode, expected_code: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(code(&answer.1), expected_code, "{}", answer.1);
    assert!(
        answer.1["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        answer.1
    );
}

pub fn assert_bad_request(answer: &Answer) {
    assert_error(answer, StatusCode::BAD_REQUEST, "bad_request");
}

pub fn assert_not_found(answer: &Answer) {
    assert_error(answer, StatusCode::NOT_FOUND, "not_found");
}

pub fn assert_validation_failed(answer: &Answer) {
    assert_error(
        answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
}

/// Asserts a 409 with this code.
pub fn assert_conflict(answer: &Answer, expected_code: &str) {
    assert_error(answer, StatusCode::CONFLICT, expected_code);
}

/// Asserts the 409 of a status change the resource's current status forbids.
pub fn assert_invalid_transition(answer: &Answer) {
    assert_conflict(answer, "invalid_transition");
}
