//! Fuzz target of the admin API's JSON bodies: arbitrary JSON values (nested,
//! huge numbers, long and odd strings) and raw bytes POSTed and PATCHed to every
//! route that takes a body (a marketing opt-in's proof and a staff member's
//! message to a contact included), through the
//! router against a real database. Never
//! a 5xx, never a panic, every answer JSON of the documented shapes, and what
//! a 2xx stored reads back with a 200. Each case is a few database round
//! trips, so the default case count is modest. Corpora:
//! `fuzz/corpus/{common,admin_json,phone,template}.txt`; how to run longer:
//! `fuzz/README.md`.

#[path = "../../../../fuzz/support.rs"]
mod fuzz_support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use crate::support::{Admin, KEY};
use fuzz_support as fz;

/// Cases by default (each one request and a read-back or two).
const CASES: u32 = 300;

/// A route that takes a JSON body, and the fields its body knows.
#[derive(Debug, Clone, Copy)]
enum Route {
    CreateContact,
    PatchContact,
    CreateCampaign,
    PatchCampaign,
    CreateSlot,
    MarketingOptIn,
    StaffMessage,
}

const ROUTES: [Route; 7] = [
    Route::CreateContact,
    Route::PatchContact,
    Route::CreateCampaign,
    Route::PatchCampaign,
    Route::CreateSlot,
    Route::MarketingOptIn,
    Route::StaffMessage,
];

impl Route {
    fn fields(self) -> &'static [&'static str] {
        match self {
            Route::CreateContact => &[
                "phone",
                "name",
                "timezone",
                "tags",
                "consent",
                "marketing_consent",
            ],
            Route::PatchContact => &["phone", "name", "timezone", "tags", "consent"],
            Route::MarketingOptIn => &["source", "consent_text", "obtained_at"],
            Route::StaffMessage => &["body", "author"],
            Route::CreateCampaign | Route::PatchCampaign => &[
                "name",
                "kind",
                "template",
                "audience",
                "starts_at",
                "quiet_start",
                "quiet_end",
                "rate_per_second",
            ],
            Route::CreateSlot => &[
                "provider_id",
                "service_id",
                "starts_at",
                "ends_at",
                "capacity",
            ],
        }
    }
}

/// The ids the routes are called with: the fixtures' own, and some that name
/// nothing or are not ids at all.
struct Ids {
    contact: i64,
    campaign: i64,
    provider: i64,
}

fn method_and_uri(route: Route, ids: &Ids, path_id: &PathId) -> (Method, String) {
    let id = |own: i64| match path_id {
        PathId::Own => own.to_string(),
        PathId::Other(s) => s.clone(),
    };
    match route {
        Route::CreateContact => (Method::POST, "/api/contacts".to_owned()),
        Route::PatchContact => (Method::PATCH, format!("/api/contacts/{}", id(ids.contact))),
        Route::CreateCampaign => (Method::POST, "/api/campaigns".to_owned()),
        Route::PatchCampaign => (
            Method::PATCH,
            format!("/api/campaigns/{}", id(ids.campaign)),
        ),
        Route::CreateSlot => (Method::POST, "/api/availability".to_owned()),
        Route::MarketingOptIn => (
            Method::POST,
            format!("/api/contacts/{}/consent/marketing", id(ids.contact)),
        ),
        Route::StaffMessage => (
            Method::POST,
            format!("/api/conversations/{}/messages", id(ids.contact)),
        ),
    }
}

#[derive(Debug, Clone)]
enum PathId {
    Own,
    Other(String),
}

fn path_id() -> impl Strategy<Value = PathId> {
    prop_oneof![
        8 => Just(PathId::Own),
        1 => prop::sample::select(vec!["0", "-1", "9223372036854775807", "9223372036854775808",
                                       "99999999999999999999", "abc", "1.5", "%F0%9F%98%80"])
            .prop_map(|s| PathId::Other(s.to_owned())),
    ]
}

/// Any JSON value: nested arrays and objects, big and odd numbers, strings
/// from the corpora and arbitrary Unicode.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        (-3_i64..3).prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        fz::mutated(fz::corpus("common")).prop_map(Value::String),
        ("[a😀é]", 0_usize..3000).prop_map(|(c, n)| Value::String(c.repeat(n))),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// An RFC 3339-ish timestamp: valid, at chrono's and Postgres's edges, or
/// broken.
fn timestamp() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => (1900_i32..2200, 1_u32..13, 1_u32..29, 0_u32..24, 0_u32..60)
            .prop_map(|(y, mo, d, h, mi)| json!(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:00Z"))),
        2 => ("[+-]?[0-9]{4,6}", 0_u32..15, 0_u32..35, 0_u32..26, 0_u32..62,
              prop::sample::select(vec!["Z", "+00:00", "-23:59", "+14:00", "+99:99", ""]))
            .prop_map(|(y, mo, d, h, mi, off)| json!(format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:00{off}"))),
        1 => prop::sample::select(vec![
            "+262143-12-31T23:59:59Z", "-262143-01-01T00:00:00Z", "294276-12-31T23:59:59Z",
            "-4713-11-24T00:00:00Z", "0000-01-01T00:00:00Z", "1969-12-31T23:59:60Z",
            "9999-12-31T23:59:59.999999999+14:00",
        ]).prop_map(|s| json!(s)),
        1 => any_json(),
    ]
}

/// A value for `field`: mostly plausible, sometimes anything.
fn value_for(field: &'static str, provider: i64) -> BoxedStrategy<Value> {
    let plausible: BoxedStrategy<Value> = match field {
        "phone" => prop_oneof![
            "\\+1[2-9][0-9]{9}".prop_map(Value::String),
            prop::sample::select(fz::corpus("phone")).prop_map(Value::String),
        ]
        .boxed(),
        "name" => fz::text(fz::corpus("common"))
            .prop_map(Value::String)
            .boxed(),
        "timezone" => prop::sample::select(vec![
            "America/New_York",
            "Europe/London",
            "Asia/Kathmandu",
            "Pacific/Apia",
            "UTC",
            "Etc/GMT+12",
            "america/new_york",
            " UTC ",
            "Mars/Olympus_Mons",
            "",
        ])
        .prop_map(|s| json!(s))
        .boxed(),
        "tags" | "audience_tags" => prop::collection::vec(fz::text(fz::corpus("common")), 0..60)
            .prop_map(|v| json!(v))
            .boxed(),
        "consent" => prop::sample::select(vec!["opted_in", "opted_out", "OPTED_IN", "pending", ""])
            .prop_map(|s| json!(s))
            .boxed(),
        "kind" => prop::sample::select(vec!["broadcast", "reminder", "Reminder", ""])
            .prop_map(|s| json!(s))
            .boxed(),
        "template" => fz::text(fz::seeds("template"))
            .prop_map(Value::String)
            .boxed(),
        "audience" => prop_oneof![
            Just(json!({"type": "all_opted_in"})),
            prop::collection::vec(fz::text(fz::corpus("common")), 0..60)
                .prop_map(|tags| json!({"type": "tags", "tags": tags})),
            any_json().prop_map(|v| json!({"type": "tags", "tags": v})),
        ]
        .boxed(),
        "starts_at" | "ends_at" | "obtained_at" => timestamp().boxed(),
        "source" | "consent_text" | "body" | "author" => fz::text(fz::corpus("common"))
            .prop_map(Value::String)
            .boxed(),
        "marketing_consent" => (
            prop::option::weighted(0.8, fz::text(fz::corpus("common"))),
            prop::option::weighted(0.8, fz::text(fz::corpus("common"))),
            prop::option::weighted(0.8, timestamp()),
        )
            .prop_map(|(source, text, at)| {
                let mut proof = Map::new();
                for (k, v) in [
                    ("source", source.map(Value::String)),
                    ("consent_text", text.map(Value::String)),
                    ("obtained_at", at),
                ] {
                    if let Some(v) = v {
                        proof.insert(k.to_owned(), v);
                    }
                }
                Value::Object(proof)
            })
            .boxed(),
        "quiet_start" | "quiet_end" => (0_u32..30, 0_u32..70, any::<bool>())
            .prop_map(|(h, m, pad)| {
                if pad {
                    json!(format!("{h:02}:{m:02}"))
                } else {
                    json!(format!("{h}:{m}"))
                }
            })
            .boxed(),
        "rate_per_second" | "capacity" | "service_id" => prop_oneof![
            (-2_i64..1100).prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
        ]
        .boxed(),
        "provider_id" => prop_oneof![
            4 => Just(json!(provider)),
            1 => any::<i64>().prop_map(Value::from),
        ]
        .boxed(),
        _ => any_json().boxed(),
    };
    prop_oneof![5 => plausible, 1 => any_json()].boxed()
}

/// A body for `route`: an object of its fields (some left out, sometimes an
/// unknown one), any JSON at all, a raw numeric literal no JSON number type
/// holds, or raw bytes.
fn body_for(route: Route, provider: i64) -> impl Strategy<Value = Vec<u8>> {
    let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = route
        .fields()
        .iter()
        .map(|f| {
            prop::option::weighted(0.75, value_for(f, provider))
                .prop_map(move |v| v.map(|v| (f.to_string(), v)))
                .boxed()
        })
        .collect();
    let object = (
        fields,
        prop::option::weighted(0.1, (any::<String>(), any_json())),
    )
        .prop_map(|(fields, extra)| {
            let mut map: Map<String, Value> = fields.into_iter().flatten().collect();
            if let Some((k, v)) = extra {
                map.insert(k, v);
            }
            Value::Object(map).to_string().into_bytes()
        });
    let field_names = route.fields();
    let raw_number = (
        prop::sample::select(field_names),
        "-?[0-9]{1,40}(\\.[0-9]{1,5})?([eE][+-]?[0-9]{1,4})?",
    )
        .prop_map(|(f, lit)| format!("{{\"{f}\": {lit}}}").into_bytes());
    prop_oneof![
        8 => object,
        2 => any_json().prop_map(|v| v.to_string().into_bytes()),
        1 => raw_number,
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

fn request(method: Method, uri: &str, body: Vec<u8>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("x-api-key", KEY)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("a valid request")
}

/// Sends, and checks what every answer must be: not 5xx, JSON (or empty), an
/// error of the documented shape for a 4xx.
async fn send(admin: &Admin, request: Request<Body>) -> Result<(StatusCode, Value), String> {
    let what = format!("{} {}", request.method(), request.uri());
    let response = admin.router().oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if status.is_server_error() {
        return Err(format!("{what} answered {status}: {text}"));
    }
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).map_err(|_| format!("{what}: not JSON: {text}"))?
    };
    if status.is_client_error() {
        let shaped = body["error"]["code"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
            && body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty());
        if !shaped {
            return Err(format!("{what}: {status} without an error shape: {text}"));
        }
    }
    Ok((status, body))
}

/// One case: the request, then reading back what a 2xx stored. True when
/// the body was accepted.
async fn exercise(
    admin: &Admin,
    ids: &Ids,
    route: Route,
    path_id: &PathId,
    body: Vec<u8>,
) -> Result<bool, String> {
    let (method, uri) = method_and_uri(route, ids, path_id);
    let (status, answer) = send(admin, request(method.clone(), &uri, body)).await?;
    if !status.is_success() {
        return Ok(false);
    }
    let read_back = match route {
        Route::CreateContact | Route::PatchContact => {
            let id = answer["id"]
                .as_i64()
                .ok_or(format!("{uri}: no id in {answer}"))?;
            vec![
                format!("/api/contacts/{id}"),
                "/api/contacts?limit=5".to_owned(),
            ]
        }
        Route::CreateCampaign | Route::PatchCampaign => {
            let id = answer["id"]
                .as_i64()
                .ok_or(format!("{uri}: no id in {answer}"))?;
            vec![format!("/api/campaigns/{id}"), "/api/campaigns".to_owned()]
        }
        Route::CreateSlot => vec![format!("/api/availability?provider_id={}", ids.provider)],
        Route::MarketingOptIn => {
            let id = answer["contact_id"]
                .as_i64()
                .ok_or(format!("{uri}: no contact_id in {answer}"))?;
            vec![
                format!("/api/contacts/{id}/consent"),
                format!("/api/contacts/{id}"),
            ]
        }
        Route::StaffMessage => {
            let id = answer["contact_id"]
                .as_i64()
                .ok_or(format!("{uri}: no contact_id in {answer}"))?;
            vec![
                format!("/api/messages?contact_id={id}"),
                "/api/conversations/needing-human".to_owned(),
            ]
        }
    };
    for uri in read_back {
        let (status, body) = send(admin, request(Method::GET, &uri, Vec::new())).await?;
        if status != StatusCode::OK {
            return Err(format!(
                "stored by {method}, then GET {uri} answered {status}: {body}"
            ));
        }
    }
    Ok(true)
}

/// A body the route accepts.
fn valid_body(route: Route, provider: i64) -> Map<String, Value> {
    let body = match route {
        Route::CreateContact | Route::PatchContact => {
            json!({"phone": "+14155550123", "name": "Ana", "timezone": "Europe/London",
                   "tags": ["vip"], "consent": "opted_in"})
        }
        Route::CreateCampaign | Route::PatchCampaign => json!({
            "name": "Spring", "kind": "broadcast", "template": "Hi {first_name}",
            "audience": {"type": "all_opted_in"}, "starts_at": "2030-01-01T10:00:00Z",
            "quiet_start": "21:00", "quiet_end": "08:00", "rate_per_second": 1}),
        Route::CreateSlot => json!({"provider_id": provider, "starts_at": "2030-01-01T10:00:00Z",
                                    "ends_at": "2030-01-01T10:30:00Z", "capacity": 1}),
        Route::MarketingOptIn => json!({"source": "paper form, front desk",
                                        "consent_text": "Yes, text me offers.",
                                        "obtained_at": "2026-01-01T10:00:00Z"}),
        Route::StaffMessage => json!({"body": "we can fit you in at 4, ok?", "author": "Dana"}),
    };
    match body {
        Value::Object(map) => map,
        _ => unreachable!("an object literal"),
    }
}

async fn fixtures(admin: &Admin) -> Ids {
    Ids {
        contact: admin.contact("+14155550100").await,
        campaign: admin.draft_campaign().await,
        provider: admin.provider("Dr. Fuzz").await,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn fuzz_admin_every_seed_body_to_every_route_is_answered_without_5xx() {
    let rt = runtime();
    rt.block_on(async {
        let admin = Admin::start().await;
        let ids = fixtures(&admin).await;
        let mut failures = Vec::new();
        let mut cases: Vec<(Route, Vec<u8>)> = fz::corpus_bytes("admin_json")
            .into_iter()
            .flat_map(|body| ROUTES.map(|route| (route, body.clone())))
            .collect();
        // Every common seed in each field of each route, the other fields valid.
        for (i, s) in fz::corpus("common").into_iter().enumerate() {
            for route in ROUTES {
                let mut body = valid_body(route, ids.provider);
                let fields = route.fields();
                body.insert(
                    fields[i % fields.len()].to_owned(),
                    Value::String(s.clone()),
                );
                cases.push((route, Value::Object(body).to_string().into_bytes()));
            }
        }
        for (route, body) in cases {
            if let Err(e) = exercise(&admin, &ids, route, &PathId::Own, body.clone()).await {
                failures.push(format!("{route:?} {}: {e}", String::from_utf8_lossy(&body)));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    });
}

#[test]
fn fuzz_admin_json_bodies_never_get_a_5xx_or_a_panic() {
    let rt = runtime();
    let (admin, ids) = rt.block_on(async {
        let admin = Admin::start().await;
        let ids = fixtures(&admin).await;
        (admin, ids)
    });
    let provider = ids.provider;
    let case = prop::sample::select(ROUTES.to_vec()).prop_flat_map(move |route| {
        (
            Just(route),
            path_id(),
            body_for(route, provider).prop_map(RawBody),
        )
    });
    let mut runner = TestRunner::new(fz::config_scaled(CASES, 100));
    let stored = std::sync::atomic::AtomicUsize::new(0);
    let result = runner.run(&case, |(route, path_id, body)| {
        let ok = rt
            .block_on(exercise(&admin, &ids, route, &path_id, body.0))
            .map_err(TestCaseError::fail)?;
        stored.fetch_add(usize::from(ok), std::sync::atomic::Ordering::Relaxed);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let stored = stored.into_inner();
    assert!(
        stored > 0,
        "no body was ever accepted: the target only tests refusals"
    );
}

/// A body, shown as text in failure reports.
#[derive(Clone)]
struct RawBody(Vec<u8>);

impl std::fmt::Debug for RawBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}
