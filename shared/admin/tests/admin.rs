//! The admin router against a real Postgres database and the AWS emulator,
//! called the way API Gateway's Lambda integration or the local process calls it.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use secrecy::SecretString;
use serde_json::{Value, json};
use smsbot_admin::{AdminState, router};
use smsbot_domain::Region;
use smsbot_test_support::{self as support, TestDatabase};
use tower::ServiceExt;

const KEY: &str = "test-admin-key-0123456789";

struct Admin {
    db: TestDatabase,
    sdk: aws_config::SdkConfig,
    table: String,
}

impl Admin {
    async fn start() -> Self {
        let sdk = support::aws().await;
        Self {
            db: TestDatabase::create().await,
            table: support::create_idempotency_table(&sdk).await,
            sdk,
        }
    }

    fn state(&self) -> AdminState {
        AdminState {
            pool: self.db.pool.clone(),
            api_key: Arc::new(SecretString::from(KEY.to_owned())),
            default_region: Region::US,
            dynamodb: aws_sdk_dynamodb::Client::new(&self.sdk),
            idempotency_table: self.table.clone(),
        }
    }

    fn router(&self) -> Router {
        router(self.state())
    }

    /// A request with the admin key and, when given, a JSON body.
    async fn call(&self, method: Method, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
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

    async fn get(&self, uri: &str) -> (StatusCode, Value) {
        self.call(Method::GET, uri, None).await
    }

    async fn post(&self, uri: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, uri, Some(body)).await
    }

    async fn patch(&self, uri: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, uri, Some(body)).await
    }

    async fn command(&self, uri: &str) -> (StatusCode, Value) {
        self.call(Method::POST, uri, None).await
    }

    async fn contact(&self, phone: &str) -> i64 {
        let (status, body) = self.post("/api/contacts", json!({"phone": phone})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }

    async fn sql(&self, statement: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) {
        let client = self.db.pool.get().await.unwrap();
        client.execute(statement, params).await.unwrap();
    }

    async fn sql_rows(
        &self,
        query: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Vec<tokio_postgres::Row> {
        let client = self.db.pool.get().await.unwrap();
        client.query(query, params).await.unwrap()
    }

    async fn provider(&self, name: &str) -> i64 {
        let client = self.db.pool.get().await.unwrap();
        smsbot_store::availability::ensure_provider(&client, name)
            .await
            .unwrap()
    }

    async fn slot(&self, provider: i64, starts_at: &str, ends_at: &str, capacity: i32) -> i64 {
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

    /// A booked appointment, inserted the way the scheduling engine leaves one.
    async fn appointment(&self, contact: i64, slot: i64) -> i64 {
        let rows = self
            .sql_rows(
                "INSERT INTO appointments (contact_id, slot_id, starts_at, ends_at)
                 SELECT $1, id, starts_at, ends_at FROM availability_slots WHERE id = $2
                 RETURNING id",
                &[&contact, &slot],
            )
            .await;
        rows[0].get(0)
    }

    /// Walks a list through every page with `limit`, returning the pages' ids.
    async fn pages(&self, base: &str, limit: u32) -> Vec<Vec<i64>> {
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
}

async fn send(router: Router, request: Request<Body>) -> (StatusCode, Value) {
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

fn ids(items: &Value) -> Vec<i64> {
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
fn assert_error(answer: &(StatusCode, Value), status: StatusCode, expected_code: &str) {
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

/// Every protected operation with a path that exists in a fresh database or not.
const PROTECTED: &[(&str, &str)] = &[
    ("GET", "/api/contacts"),
    ("POST", "/api/contacts"),
    ("GET", "/api/contacts/1"),
    ("PATCH", "/api/contacts/1"),
    ("DELETE", "/api/contacts/1"),
    ("GET", "/api/campaigns"),
    ("POST", "/api/campaigns"),
    ("GET", "/api/campaigns/1"),
    ("PATCH", "/api/campaigns/1"),
    ("POST", "/api/campaigns/1/launch"),
    ("POST", "/api/campaigns/1/pause"),
    ("POST", "/api/campaigns/1/resume"),
    ("POST", "/api/campaigns/1/cancel"),
    ("GET", "/api/appointments"),
    ("POST", "/api/appointments/1/cancel"),
    ("POST", "/api/appointments/1/no-show"),
    ("GET", "/api/availability"),
    ("POST", "/api/availability"),
    ("GET", "/api/messages?contact_id=1"),
    ("GET", "/api/openapi.json"),
];

// --- Authorization ------------------------------------------------------------------

#[tokio::test]
async fn every_protected_route_answers_401_without_a_key_and_403_with_a_wrong_one() {
    let admin = Admin::start().await;
    for (method, uri) in PROTECTED {
        for (key, status, expected) in [
            (None, StatusCode::UNAUTHORIZED, "unauthorized"),
            (Some(""), StatusCode::UNAUTHORIZED, "unauthorized"),
            (Some("wrong-key"), StatusCode::FORBIDDEN, "forbidden"),
            (
                Some(&KEY[..KEY.len() - 1]),
                StatusCode::FORBIDDEN,
                "forbidden",
            ),
        ] {
            let mut request = Request::builder()
                .method(*method)
                .uri(*uri)
                .header("content-type", "application/json");
            if let Some(key) = key {
                request = request.header("X-API-Key", key);
            }
            let answer = send(admin.router(), request.body(Body::from("{}")).unwrap()).await;
            assert_error(&answer, status, expected);
        }
    }
}

#[test]
fn the_key_check_accepts_only_the_exact_admin_key() {
    use smsbot_admin::{AuthError, check_api_key};
    let key = SecretString::from(KEY.to_owned());
    assert_eq!(check_api_key(&key, Some(KEY.as_bytes())), Ok(()));
    assert_eq!(check_api_key(&key, None), Err(AuthError::Missing));
    assert_eq!(check_api_key(&key, Some(b"")), Err(AuthError::Missing));
    for wrong in [format!("{KEY}x"), KEY.to_uppercase(), KEY[1..].to_owned()] {
        assert_eq!(
            check_api_key(&key, Some(wrong.as_bytes())),
            Err(AuthError::Wrong)
        );
    }
    let unset = SecretString::from(String::new());
    assert_eq!(check_api_key(&unset, Some(b"x")), Err(AuthError::Wrong));
}

#[tokio::test]
async fn an_unknown_path_is_a_json_404() {
    let admin = Admin::start().await;
    let answer = admin.get("/api/nothing-here").await;
    assert_error(&answer, StatusCode::NOT_FOUND, "not_found");
}

// --- Health -------------------------------------------------------------------------

#[tokio::test]
async fn health_is_green_without_a_key_when_the_database_and_dynamodb_answer() {
    let admin = Admin::start().await;
    let request = Request::get("/api/health").body(Body::empty()).unwrap();
    let (status, body) = send(admin.router(), request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"status": "green", "db": "ok", "dynamodb": "ok"})
    );
}

#[tokio::test]
async fn health_is_red_with_503_naming_the_part_that_is_down() {
    let admin = Admin::start().await;

    let mut db_down = admin.state();
    db_down.pool = smsbot_store::connect("postgres://postgres@127.0.0.1:9/none", 1).unwrap();
    let (status, body) = send(
        router(db_down),
        Request::get("/api/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body,
        json!({"status": "red", "db": "down", "dynamodb": "ok"})
    );

    let mut dynamodb_down = admin.state();
    dynamodb_down.dynamodb = aws_sdk_dynamodb::Client::new(&support::unreachable_aws().await);
    let (status, body) = send(
        router(dynamodb_down),
        Request::get("/api/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body,
        json!({"status": "red", "db": "ok", "dynamodb": "down"})
    );

    let mut no_table = admin.state();
    no_table.idempotency_table = "no-such-table".to_owned();
    let (status, body) = send(
        router(no_table),
        Request::get("/api/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["dynamodb"], "down");
}

#[tokio::test]
async fn a_request_needing_the_database_while_it_is_down_is_503_without_internals() {
    let admin = Admin::start().await;
    let mut down = admin.state();
    down.pool = smsbot_store::connect("postgres://postgres@127.0.0.1:9/none", 1).unwrap();
    let request = Request::get("/api/contacts")
        .header("x-api-key", KEY)
        .body(Body::empty())
        .unwrap();
    let answer = send(router(down), request).await;
    assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    let message = answer.1["error"]["message"].as_str().unwrap();
    assert!(
        !message.contains("127.0.0.1") && !message.contains("postgres"),
        "{message}"
    );
}

// --- Contacts -----------------------------------------------------------------------

#[tokio::test]
async fn a_contact_added_with_a_national_number_is_stored_in_e164_and_answered_201() {
    let admin = Admin::start().await;
    let (status, body) = admin
        .post(
            "/api/contacts",
            json!({"phone": "(415) 555-0100", "name": " Ada Lovelace ",
                   "timezone": "America/Los_Angeles", "tags": ["vip", "vip", "new"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["phone"], "+14155550100");
    assert_eq!(body["name"], "Ada Lovelace");
    assert_eq!(body["timezone"], "America/Los_Angeles");
    assert_eq!(body["tags"], json!(["vip", "new"]));
    assert_eq!(body["consent"], "opted_in");
    assert_eq!(body["consent_source"], "admin");
    let created_at = body["created_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created_at).is_ok(),
        "{created_at}"
    );

    let id = body["id"].as_i64().unwrap();
    let (status, read) = admin.get(&format!("/api/contacts/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, body);

    let events = admin
        .sql_rows(
            "SELECT consent, source FROM consent_events WHERE contact_id = $1",
            &[&id],
        )
        .await;
    assert_eq!(events.len(), 1, "the initial consent is on the audit trail");
    assert_eq!(events[0].get::<_, String>(1), "admin");
}

#[tokio::test]
async fn a_contact_with_an_invalid_phone_name_timezone_or_field_is_refused_with_422() {
    let admin = Admin::start().await;
    for body in [
        json!({"phone": "not a number"}),
        json!({"phone": "+1 555"}),
        json!({"phone": ""}),
        json!({"phone": "+14155550100", "timezone": "Mars/Olympus_Mons"}),
        json!({"phone": "+14155550100", "name": "   "}),
        json!({"phone": "+14155550100", "name": "nul\u{0}byte"}),
        json!({"phone": "+14155550100", "tags": [""]}),
        json!({"phone": "+14155550100", "consent": "maybe"}),
        json!({"phone": "+14155550100", "phone_number": "x"}),
        json!({"name": "no phone"}),
        json!({"phone": 4155550100_i64}),
    ] {
        let answer = admin.post("/api/contacts", body.clone()).await;
        assert_error(
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
    }
}

#[tokio::test]
async fn a_second_contact_with_the_same_number_in_another_form_is_a_409() {
    let admin = Admin::start().await;
    admin.contact("+14155550100").await;
    let answer = admin
        .post("/api/contacts", json!({"phone": "415-555-0100"}))
        .await;
    assert_error(&answer, StatusCode::CONFLICT, "phone_taken");
}

#[tokio::test]
async fn malformed_requests_are_400_and_a_body_that_is_not_json_is_415() {
    let admin = Admin::start().await;
    for uri in [
        "/api/contacts?limit=0",
        "/api/contacts?limit=201",
        "/api/contacts?limit=ten",
        "/api/contacts?cursor=not-a-cursor",
        "/api/contacts?consent=sometimes",
        "/api/contacts/abc",
        "/api/contacts/99999999999999999999",
        "/api/messages",
        "/api/messages?contact_id=x",
    ] {
        assert_error(
            &admin.get(uri).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        );
    }
    let broken = Request::post("/api/contacts")
        .header("x-api-key", KEY)
        .header("content-type", "application/json")
        .body(Body::from("{\"phone\": "))
        .unwrap();
    assert_error(
        &send(admin.router(), broken).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    let form = Request::post("/api/contacts")
        .header("x-api-key", KEY)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("phone=%2B14155550100"))
        .unwrap();
    assert_error(
        &send(admin.router(), form).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
}

#[tokio::test]
async fn a_contact_that_does_not_exist_is_404_on_every_route() {
    let admin = Admin::start().await;
    assert_error(
        &admin.get("/api/contacts/42").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &admin.patch("/api/contacts/42", json!({"name": "x"})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &admin.call(Method::DELETE, "/api/contacts/42", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &admin.get("/api/messages?contact_id=42").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

#[tokio::test]
async fn patching_a_contact_changes_name_timezone_tags_and_records_consent_from_admin() {
    let admin = Admin::start().await;
    let id = admin.contact("+14155550101").await;
    let uri = format!("/api/contacts/{id}");
    let (status, body) = admin
        .patch(
            &uri,
            json!({"name": "Grace", "timezone": "Europe/Paris", "tags": ["b", "a"],
                   "consent": "opted_out"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Grace");
    assert_eq!(body["timezone"], "Europe/Paris");
    assert_eq!(body["tags"], json!(["b", "a"]));
    assert_eq!(body["consent"], "opted_out");
    assert_eq!(body["consent_source"], "admin");

    let (status, body) = admin.patch(&uri, json!({"name": null})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], Value::Null, "null clears");
    assert_eq!(body["timezone"], "Europe/Paris", "absent leaves as is");

    let events = admin
        .sql_rows(
            "SELECT consent, source FROM consent_events WHERE contact_id = $1 ORDER BY id",
            &[&id],
        )
        .await;
    let last = events.last().unwrap();
    assert_eq!(last.get::<_, String>(0), "opted_out");
    assert_eq!(last.get::<_, String>(1), "admin");

    for bad in [
        json!({"timezone": "Nowhere/Land"}),
        json!({"name": ""}),
        json!({"tags": ["x\ny"]}),
        json!({"consent": "unknown"}),
        json!({"phone": "+14155550199"}),
    ] {
        assert_error(
            &admin.patch(&uri, bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
    }
}

#[tokio::test]
async fn deleting_a_contact_erases_personal_data_and_message_text_but_keeps_consent_history() {
    let admin = Admin::start().await;
    let id = admin.contact("+14155550102").await;
    admin
        .patch(
            &format!("/api/contacts/{id}"),
            json!({"name": "Erin", "consent": "opted_out"}),
        )
        .await;
    admin
        .sql(
            "INSERT INTO messages (contact_id, direction, body, twilio_sid, status)
             VALUES ($1, 'inbound', 'my secret', 'SM0123456789abcdef0123456789abcdef', 'received')",
            &[&id],
        )
        .await;

    let (status, body) = admin
        .call(Method::DELETE, &format!("/api/contacts/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    let row = &admin
        .sql_rows(
            "SELECT phone, name, erased_at IS NOT NULL FROM contacts WHERE id = $1",
            &[&id],
        )
        .await[0];
    assert_eq!(row.get::<_, Option<String>>(0), None);
    assert_eq!(row.get::<_, Option<String>>(1), None);
    assert!(row.get::<_, bool>(2));
    let bodies = admin
        .sql_rows("SELECT body FROM messages WHERE contact_id = $1", &[&id])
        .await;
    assert_eq!(bodies[0].get::<_, Option<String>>(0), None);
    let events = admin
        .sql_rows(
            "SELECT consent FROM consent_events WHERE contact_id = $1",
            &[&id],
        )
        .await;
    assert_eq!(
        events.len(),
        2,
        "created opted in, then opted out: both kept"
    );

    assert_error(
        &admin.get(&format!("/api/contacts/{id}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &admin
            .call(Method::DELETE, &format!("/api/contacts/{id}"), None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (_, list) = admin.get("/api/contacts").await;
    assert!(ids(&list["items"]).is_empty());
    // The number is free again for a new contact.
    admin.contact("+14155550102").await;
}

#[tokio::test]
async fn contacts_are_listed_page_by_page_and_filtered_by_consent_and_tag() {
    let admin = Admin::start().await;
    let mut all = Vec::new();
    for n in 0..5 {
        all.push(admin.contact(&format!("+1415555020{n}")).await);
    }
    assert_eq!(
        admin.pages("/api/contacts", 2).await,
        vec![all[0..2].to_vec(), all[2..4].to_vec(), all[4..5].to_vec()]
    );
    let (_, one) = admin.get("/api/contacts?limit=200").await;
    assert_eq!(ids(&one["items"]), all);
    assert_eq!(one["next_cursor"], Value::Null);

    admin
        .patch(
            &format!("/api/contacts/{}", all[1]),
            json!({"consent": "opted_out", "tags": ["vip"]}),
        )
        .await;
    admin
        .patch(
            &format!("/api/contacts/{}", all[3]),
            json!({"tags": ["vip", "x"]}),
        )
        .await;
    let (_, out) = admin.get("/api/contacts?consent=opted_out").await;
    assert_eq!(ids(&out["items"]), vec![all[1]]);
    assert_eq!(
        admin.pages("/api/contacts?tag=vip", 1).await,
        vec![vec![all[1]], vec![all[3]]]
    );
    assert_error(
        &admin.get("/api/contacts?tag=").await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
}

// --- Campaigns ----------------------------------------------------------------------

fn draft() -> Value {
    json!({"name": "Spring reminder", "template": "Time for your spring check-up! Reply BOOK."})
}

#[tokio::test]
async fn a_drafted_campaign_is_answered_201_with_defaults_and_zero_counters() {
    let admin = Admin::start().await;
    let (status, body) = admin.post("/api/campaigns", draft()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "draft");
    assert_eq!(body["kind"], "broadcast");
    assert_eq!(body["audience"], json!({"type": "all_opted_in"}));
    assert_eq!(body["quiet_start"], "21:00");
    assert_eq!(body["quiet_end"], "08:00");
    assert_eq!(body["rate_per_second"], 1);
    assert_eq!(body["starts_at"], Value::Null);
    assert_eq!(
        body["counters"],
        json!({"targeted": 0, "sent": 0, "delivered": 0, "failed": 0,
               "skipped_consent": 0, "deferred_quiet": 0})
    );
    let id = body["id"].as_i64().unwrap();
    let (status, read) = admin.get(&format!("/api/campaigns/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, body);

    let (status, body) = admin
        .post(
            "/api/campaigns",
            json!({"name": "VIPs", "template": "Hi", "kind": "reminder",
                   "audience": {"type": "tags", "tags": ["vip"]},
                   "starts_at": "2030-05-01T09:00:00-04:00", "quiet_start": "20:30",
                   "quiet_end": "09:15", "rate_per_second": 10}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["starts_at"], "2030-05-01T13:00:00Z");
    assert_eq!(body["audience"], json!({"type": "tags", "tags": ["vip"]}));
}

#[tokio::test]
async fn a_campaign_with_invalid_values_is_refused_with_422() {
    let admin = Admin::start().await;
    let with = |patch: Value| {
        let mut body = draft();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    for body in [
        with(json!({"template": ""})),
        with(json!({"template": "x".repeat(1601)})),
        with(json!({"name": " "})),
        with(json!({"quiet_start": "9pm"})),
        with(json!({"quiet_start": "24:00"})),
        with(json!({"quiet_start": "08:00", "quiet_end": "08:00"})),
        with(json!({"rate_per_second": 0})),
        with(json!({"rate_per_second": 1001})),
        with(json!({"rate_per_second": 99999999999_i64})),
        with(json!({"audience": {"type": "tags", "tags": []}})),
        with(json!({"audience": {"type": "everyone"}})),
        with(json!({"kind": "spam"})),
        with(json!({"starts_at": "2030-05-01T09:00:00"})),
        with(json!({"starts_at": "0001-01-01T00:00:00Z"})),
        with(json!({"colour": "red"})),
        json!({"name": "no template"}),
    ] {
        let answer = admin.post("/api/campaigns", body.clone()).await;
        assert_error(
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
    }
}

#[tokio::test]
async fn a_campaign_moves_only_through_valid_transitions_and_others_are_409() {
    let admin = Admin::start().await;
    let (_, body) = admin.post("/api/campaigns", draft()).await;
    let id = body["id"].as_i64().unwrap();
    let act = |action: &str| format!("/api/campaigns/{id}/{action}");

    for refused in ["pause", "resume"] {
        assert_error(
            &admin.command(&act(refused)).await,
            StatusCode::CONFLICT,
            "invalid_transition",
        );
    }
    let (status, body) = admin.command(&act("launch")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "scheduled");
    assert!(
        body["starts_at"].is_string(),
        "launched without a start: starts now"
    );
    assert_error(
        &admin.command(&act("launch")).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    );

    let (_, body) = admin.command(&act("pause")).await;
    assert_eq!(body["status"], "paused");
    let (_, body) = admin.command(&act("resume")).await;
    assert_eq!(
        body["status"], "scheduled",
        "it never started, so it is scheduled again"
    );

    let (_, body) = admin.command(&act("cancel")).await;
    assert_eq!(body["status"], "cancelled");
    for refused in ["launch", "pause", "resume", "cancel"] {
        assert_error(
            &admin.command(&act(refused)).await,
            StatusCode::CONFLICT,
            "invalid_transition",
        );
    }
}

#[tokio::test]
async fn a_paused_campaign_that_had_started_resumes_running() {
    let admin = Admin::start().await;
    let (_, body) = admin.post("/api/campaigns", draft()).await;
    let id = body["id"].as_i64().unwrap();
    admin.command(&format!("/api/campaigns/{id}/launch")).await;
    // The dispatcher picks recipients and starts sending.
    admin
        .sql(
            "UPDATE campaigns SET status = 'running', recipients_materialised_at = now(),
                    targeted = 3, sent = 2 WHERE id = $1",
            &[&id],
        )
        .await;
    let (_, body) = admin.command(&format!("/api/campaigns/{id}/pause")).await;
    assert_eq!(body["status"], "paused");
    assert_eq!(body["counters"]["targeted"], 3);
    assert_eq!(body["counters"]["sent"], 2);
    let (_, body) = admin.command(&format!("/api/campaigns/{id}/resume")).await;
    assert_eq!(body["status"], "running");
    assert!(body["started_at"].is_string());

    admin
        .sql(
            "UPDATE campaigns SET status = 'completed' WHERE id = $1",
            &[&id],
        )
        .await;
    assert_error(
        &admin.command(&format!("/api/campaigns/{id}/cancel")).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    );
}

#[tokio::test]
async fn a_campaign_can_be_edited_until_it_starts() {
    let admin = Admin::start().await;
    let (_, body) = admin.post("/api/campaigns", draft()).await;
    let id = body["id"].as_i64().unwrap();
    let uri = format!("/api/campaigns/{id}");

    let (status, body) = admin
        .patch(
            &uri,
            json!({"template": "New text", "starts_at": "2030-01-01T10:00:00+01:00"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["template"], "New text");
    assert_eq!(body["starts_at"], "2030-01-01T09:00:00Z");
    assert_eq!(body["name"], "Spring reminder");
    let (_, body) = admin.patch(&uri, json!({"starts_at": null})).await;
    assert_eq!(body["starts_at"], Value::Null);
    assert_error(
        &admin.patch(&uri, json!({"quiet_end": "21:00"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );

    admin.command(&format!("{uri}/launch")).await;
    let (status, _) = admin.patch(&uri, json!({"name": "Still editable"})).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a scheduled campaign has not started"
    );

    admin.command(&format!("{uri}/pause")).await;
    assert_error(
        &admin.patch(&uri, json!({"name": "Too late"})).await,
        StatusCode::CONFLICT,
        "campaign_not_editable",
    );
}

#[tokio::test]
async fn a_campaign_that_does_not_exist_is_404_on_every_route() {
    let admin = Admin::start().await;
    assert_error(
        &admin.get("/api/campaigns/7").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &admin.patch("/api/campaigns/7", json!({"name": "x"})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    for action in ["launch", "pause", "resume", "cancel"] {
        assert_error(
            &admin.command(&format!("/api/campaigns/7/{action}")).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
}

#[tokio::test]
async fn campaigns_are_listed_page_by_page_and_filtered_by_status() {
    let admin = Admin::start().await;
    let mut all = Vec::new();
    for _ in 0..3 {
        let (_, body) = admin.post("/api/campaigns", draft()).await;
        all.push(body["id"].as_i64().unwrap());
    }
    admin
        .command(&format!("/api/campaigns/{}/launch", all[1]))
        .await;
    assert_eq!(
        admin.pages("/api/campaigns", 2).await,
        vec![all[0..2].to_vec(), all[2..3].to_vec()]
    );
    let (_, scheduled) = admin.get("/api/campaigns?status=scheduled").await;
    assert_eq!(ids(&scheduled["items"]), vec![all[1]]);
    assert_error(
        &admin.get("/api/campaigns?status=sleeping").await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
}

// --- Availability -------------------------------------------------------------------

#[tokio::test]
async fn a_slot_is_added_and_listed_with_its_remaining_places() {
    let admin = Admin::start().await;
    let provider = admin.provider("Dr Who").await;
    let (status, body) = admin
        .post(
            "/api/availability",
            json!({"provider_id": provider, "starts_at": "2030-03-01T09:00:00-05:00",
                   "ends_at": "2030-03-01T09:30:00-05:00", "capacity": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["starts_at"], "2030-03-01T14:00:00Z");
    assert_eq!(body["capacity"], 2);
    assert_eq!(body["remaining"], 2);
    assert_eq!(body["service_id"], Value::Null);
    let (_, list) = admin.get("/api/availability").await;
    assert_eq!(list["items"][0], body);
}

#[tokio::test]
async fn an_invalid_slot_is_422_and_an_overlapping_one_is_409() {
    let admin = Admin::start().await;
    let provider = admin.provider("Dr Who").await;
    admin
        .slot(provider, "2030-03-01T09:00:00Z", "2030-03-01T10:00:00Z", 1)
        .await;
    let answer = admin
        .post(
            "/api/availability",
            json!({"provider_id": provider, "starts_at": "2030-03-01T09:30:00Z",
                   "ends_at": "2030-03-01T10:30:00Z"}),
        )
        .await;
    assert_error(&answer, StatusCode::CONFLICT, "slot_overlaps");

    for body in [
        json!({"provider_id": provider, "starts_at": "2030-03-02T10:00:00Z", "ends_at": "2030-03-02T09:00:00Z"}),
        json!({"provider_id": provider, "starts_at": "2030-03-02T10:00:00Z", "ends_at": "2030-03-02T10:00:00Z"}),
        json!({"provider_id": provider, "starts_at": "2030-03-02T10:00:00Z", "ends_at": "2030-03-02T11:00:00Z", "capacity": 0}),
        json!({"provider_id": provider + 100, "starts_at": "2030-03-02T10:00:00Z", "ends_at": "2030-03-02T11:00:00Z"}),
        json!({"provider_id": provider, "service_id": 999, "starts_at": "2030-03-02T10:00:00Z", "ends_at": "2030-03-02T11:00:00Z"}),
        json!({"provider_id": 0, "starts_at": "2030-03-02T10:00:00Z", "ends_at": "2030-03-02T11:00:00Z"}),
        json!({"provider_id": provider, "starts_at": "tomorrow", "ends_at": "2030-03-02T11:00:00Z"}),
        json!({"provider_id": provider, "starts_at": "2030-03-02T10:00:00Z"}),
    ] {
        let answer = admin.post("/api/availability", body.clone()).await;
        assert_error(
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
    }
}

#[tokio::test]
async fn slots_are_listed_page_by_page_in_time_order_and_filtered() {
    let admin = Admin::start().await;
    let a = admin.provider("A").await;
    let b = admin.provider("B").await;
    // Added out of order: the list is by start time, then id.
    let s3 = admin
        .slot(a, "2030-03-01T11:00:00Z", "2030-03-01T11:30:00Z", 1)
        .await;
    let s1 = admin
        .slot(a, "2030-03-01T09:00:00Z", "2030-03-01T09:30:00Z", 1)
        .await;
    let s2 = admin
        .slot(b, "2030-03-01T09:00:00Z", "2030-03-01T09:30:00Z", 1)
        .await;
    let s4 = admin
        .slot(b, "2030-03-01T12:00:00Z", "2030-03-01T12:30:00Z", 1)
        .await;
    assert_eq!(
        admin.pages("/api/availability", 3).await,
        vec![vec![s1, s2, s3], vec![s4]]
    );
    assert_eq!(
        admin
            .pages(&format!("/api/availability?provider_id={b}"), 1)
            .await,
        vec![vec![s2], vec![s4]]
    );
    let (_, window) = admin
        .get("/api/availability?from=2030-03-01T10:00:00%2B00:00&to=2030-03-01T12:00:00Z")
        .await;
    assert_eq!(ids(&window["items"]), vec![s3]);

    let contact = admin.contact("+14155550300").await;
    admin.appointment(contact, s1).await;
    let (_, open) = admin.get("/api/availability?available=true").await;
    assert_eq!(ids(&open["items"]), vec![s2, s3, s4]);

    for uri in [
        "/api/availability?from=yesterday",
        "/api/availability?from=2030-03-02T00:00:00Z&to=2030-03-01T00:00:00Z",
        "/api/availability?provider_id=0",
        "/api/availability?available=perhaps",
        "/api/availability?cursor=aTox",
    ] {
        assert_error(
            &admin.get(uri).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        );
    }
}

// --- Appointments -------------------------------------------------------------------

#[tokio::test]
async fn appointments_are_listed_page_by_page_and_filtered_by_contact_status_and_time() {
    let admin = Admin::start().await;
    let provider = admin.provider("Dr A").await;
    let ann = admin.contact("+14155550400").await;
    let bob = admin.contact("+14155550401").await;
    let mut appointments = Vec::new();
    for (hour, contact) in [(9, ann), (10, bob), (11, ann)] {
        let slot = admin
            .slot(
                provider,
                &format!("2030-04-01T{hour:02}:00:00Z"),
                &format!("2030-04-01T{hour:02}:30:00Z"),
                1,
            )
            .await;
        appointments.push(admin.appointment(contact, slot).await);
    }
    assert_eq!(
        admin.pages("/api/appointments", 2).await,
        vec![appointments[0..2].to_vec(), appointments[2..3].to_vec()]
    );
    let (_, anns) = admin
        .get(&format!("/api/appointments?contact_id={ann}"))
        .await;
    assert_eq!(ids(&anns["items"]), vec![appointments[0], appointments[2]]);
    assert_eq!(anns["items"][0]["status"], "booked");
    assert_eq!(anns["items"][0]["provider_id"], provider);
    assert_eq!(anns["items"][0]["starts_at"], "2030-04-01T09:00:00Z");

    let (_, window) = admin
        .get("/api/appointments?from=2030-04-01T10:00:00Z&to=2030-04-01T11:00:00Z")
        .await;
    assert_eq!(ids(&window["items"]), vec![appointments[1]]);

    admin
        .command(&format!("/api/appointments/{}/cancel", appointments[1]))
        .await;
    let (_, cancelled) = admin.get("/api/appointments?status=cancelled").await;
    assert_eq!(ids(&cancelled["items"]), vec![appointments[1]]);

    for uri in [
        "/api/appointments?status=lost",
        "/api/appointments?from=2030-04-02T00:00:00Z&to=2030-04-01T00:00:00Z",
        "/api/appointments?to=noon",
        "/api/appointments?contact_id=-1",
        "/api/appointments?from=99999-01-01T00:00:00Z",
    ] {
        assert_error(
            &admin.get(uri).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        );
    }
}

#[tokio::test]
async fn cancelling_a_booked_appointment_frees_its_place_and_a_second_cancel_is_409() {
    let admin = Admin::start().await;
    let provider = admin.provider("Dr C").await;
    let contact = admin.contact("+14155550500").await;
    let slot = admin
        .slot(provider, "2030-05-01T09:00:00Z", "2030-05-01T09:30:00Z", 1)
        .await;
    let appointment = admin.appointment(contact, slot).await;
    let (_, before) = admin.get("/api/availability").await;
    assert_eq!(before["items"][0]["remaining"], 0);

    let (status, body) = admin
        .command(&format!("/api/appointments/{appointment}/cancel"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "cancelled");
    assert!(body["cancelled_at"].is_string());
    let (_, after) = admin.get("/api/availability").await;
    assert_eq!(after["items"][0]["remaining"], 1);
    let events = admin
        .sql_rows(
            "SELECT kind FROM appointment_events WHERE appointment_id = $1",
            &[&appointment],
        )
        .await;
    assert_eq!(events.last().unwrap().get::<_, String>(0), "cancelled");

    assert_error(
        &admin
            .command(&format!("/api/appointments/{appointment}/cancel"))
            .await,
        StatusCode::CONFLICT,
        "invalid_transition",
    );
    assert_error(
        &admin
            .command(&format!("/api/appointments/{appointment}/no-show"))
            .await,
        StatusCode::CONFLICT,
        "invalid_transition",
    );
}

#[tokio::test]
async fn a_no_show_is_refused_before_the_appointment_starts_and_recorded_after() {
    let admin = Admin::start().await;
    let provider = admin.provider("Dr N").await;
    let contact = admin.contact("+14155550600").await;
    let future = admin
        .slot(provider, "2030-06-01T09:00:00Z", "2030-06-01T09:30:00Z", 1)
        .await;
    let past = admin
        .slot(provider, "2024-06-01T09:00:00Z", "2024-06-01T09:30:00Z", 1)
        .await;
    let upcoming = admin.appointment(contact, future).await;
    let missed = admin.appointment(contact, past).await;

    assert_error(
        &admin
            .command(&format!("/api/appointments/{upcoming}/no-show"))
            .await,
        StatusCode::CONFLICT,
        "appointment_not_started",
    );
    let (status, body) = admin
        .command(&format!("/api/appointments/{missed}/no-show"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "no_show");
    assert_error(
        &admin
            .command(&format!("/api/appointments/{missed}/no-show"))
            .await,
        StatusCode::CONFLICT,
        "invalid_transition",
    );
}

#[tokio::test]
async fn an_appointment_that_does_not_exist_is_404() {
    let admin = Admin::start().await;
    for action in ["cancel", "no-show"] {
        assert_error(
            &admin
                .command(&format!("/api/appointments/5/{action}"))
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
}

// --- Messages -----------------------------------------------------------------------

#[tokio::test]
async fn a_contacts_messages_are_listed_oldest_first_page_by_page() {
    let admin = Admin::start().await;
    let contact = admin.contact("+14155550700").await;
    let other = admin.contact("+14155550701").await;
    let client = admin.db.pool.get().await.unwrap();
    let mut sent = Vec::new();
    for text in ["one", "two", "three"] {
        sent.push(
            smsbot_store::messages::record_outbound(
                &client,
                &smsbot_store::messages::NewOutbound {
                    contact_id: contact,
                    body: text,
                    segments: 1,
                    reply_to: None,
                    correlation_id: None,
                },
            )
            .await
            .unwrap(),
        );
    }
    smsbot_store::messages::record_outbound(
        &client,
        &smsbot_store::messages::NewOutbound {
            contact_id: other,
            body: "not theirs",
            segments: 1,
            reply_to: None,
            correlation_id: None,
        },
    )
    .await
    .unwrap();

    assert_eq!(
        admin
            .pages(&format!("/api/messages?contact_id={contact}"), 2)
            .await,
        vec![sent[0..2].to_vec(), sent[2..3].to_vec()]
    );
    let (_, page) = admin
        .get(&format!("/api/messages?contact_id={contact}"))
        .await;
    let first = &page["items"][0];
    assert_eq!(first["body"], "one");
    assert_eq!(first["direction"], "outbound");
    assert_eq!(first["status"], "pending");
    assert_eq!(first["twilio_sid"], Value::Null);
}

// --- OpenAPI ------------------------------------------------------------------------

fn checked_in_path() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi.json")
}

#[test]
fn the_checked_in_openapi_document_matches_the_code() {
    let generated =
        serde_json::to_string_pretty(&smsbot_admin::openapi::document()).unwrap() + "\n";
    let path = checked_in_path();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "shared/admin/openapi.json is out of date: regenerate it with \
         `UPDATE_OPENAPI=1 cargo test -p smsbot-admin --test admin the_checked_in_openapi_document` \
         and commit the result"
    );
}

#[tokio::test]
async fn the_served_openapi_document_is_the_generated_one_and_declares_every_route() {
    let admin = Admin::start().await;
    let (status, served) = admin.get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        served,
        serde_json::to_value(smsbot_admin::openapi::document()).unwrap()
    );
    for (method, uri) in PROTECTED {
        let path = uri.split('?').next().unwrap().replace("/1", "/{id}");
        let operation = &served["paths"][&path][method.to_lowercase()];
        assert!(operation.is_object(), "{method} {path} is not documented");
        for status in ["401", "403", "500", "503"] {
            assert!(
                operation["responses"][status].is_object(),
                "{method} {path} lacks {status}"
            );
        }
        assert_eq!(operation["security"], json!([{"api_key": []}]));
    }
    let health = &served["paths"]["/api/health"]["get"];
    assert!(health["security"].is_null(), "health is public");
    assert!(health["responses"]["503"].is_object());
}

#[tokio::test]
async fn each_enum_keeps_its_own_schema_name_in_the_document() {
    let doc = serde_json::to_value(smsbot_admin::openapi::document()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let values = |name: &str| schemas[name]["enum"].clone();
    assert_eq!(
        values("CampaignStatus"),
        json!([
            "draft",
            "scheduled",
            "running",
            "paused",
            "completed",
            "cancelled"
        ])
    );
    assert_eq!(
        values("AppointmentStatus"),
        json!(["booked", "cancelled", "completed", "no_show"])
    );
    assert_eq!(values("HealthStatus"), json!(["green", "red"]));
}

#[tokio::test]
async fn a_method_a_route_does_not_have_is_405_and_names_the_allowed_ones() {
    let admin = Admin::start().await;
    let request = Request::builder()
        .method(Method::PUT)
        .uri("/api/contacts")
        .header("x-api-key", KEY)
        .body(Body::empty())
        .unwrap();
    let response = admin.router().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
}

#[test]
fn every_operation_has_its_own_id() {
    let doc = serde_json::to_value(smsbot_admin::openapi::document()).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            let id = operation["operationId"].as_str().unwrap().to_owned();
            assert!(seen.insert(id.clone()), "{id} is used twice");
        }
    }
    assert!(seen.contains("contacts_list") && seen.contains("health_check"));
}
