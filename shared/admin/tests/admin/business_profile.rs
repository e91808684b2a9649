//! The business profile: the settings' values shown with their source,
//! operators' overrides (and `null` giving a field back to the settings),
//! the FAQ taken over from the settings by the first entry added, its
//! entries changed and deleted, and every refusal.

// The fuzz target below shares the corpora and case counts of every target;
// `fuzz` includes the same file for its own (private) use.
#[allow(clippy::duplicate_mod)]
#[path = "../../../../fuzz/support.rs"]
mod fuzz_support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value, json};
use smsbot_admin::business_profile::SettingsProfile;
use smsbot_admin::router;
use smsbot_domain::{Faq, Website};

use crate::support::{
    Admin, Answer, KEY, assert_conflict, assert_not_found, assert_validation_failed, send,
};
use fuzz_support as fz;

const PROFILE: &str = "/api/business-profile";
const FAQ: &str = "/api/business-profile/faq";

/// What the settings say in these tests.
fn settings() -> SettingsProfile {
    SettingsProfile {
        name: "Maple Street Salon".to_owned(),
        address: Some("12 Maple St, Springfield".to_owned()),
        phone: None,
        website: Some(Website::parse("https://maplestreet.example").unwrap()),
        hours: Some("mon-fri 09:00-17:00; sat 10:00-14:00".to_owned()),
        faq: Faq::parse(&[
            ("Do you take walk-ins?", "Yes, weekdays before 3pm."),
            ("Is there parking?", "Free lot behind the salon."),
        ])
        .unwrap(),
    }
}

/// The admin API with a database of its own and the profile of [`settings`].
struct Desk {
    admin: Admin,
}

impl Desk {
    async fn start() -> Self {
        Self {
            admin: Admin::start().await,
        }
    }

    async fn call(&self, method: Method, uri: &str, body: Option<Value>) -> Answer {
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
        let state = self.admin.state().with_business_profile(settings());
        send(router(state), request.body(body).unwrap()).await
    }

    async fn get(&self, uri: &str) -> Answer {
        self.call(Method::GET, uri, None).await
    }

    async fn put(&self, uri: &str, body: Value) -> Answer {
        self.call(Method::PUT, uri, Some(body)).await
    }

    async fn post(&self, uri: &str, body: Value) -> Answer {
        self.call(Method::POST, uri, Some(body)).await
    }

    async fn delete(&self, uri: &str) -> Answer {
        self.call(Method::DELETE, uri, None).await
    }

    /// Adds an entry, expecting 201; its id.
    async fn add(&self, question: &str, answer: &str) -> i64 {
        let (status, body) = self
            .post(FAQ, json!({"question": question, "answer": answer}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }

    async fn questions(&self) -> (String, Vec<String>) {
        let (status, body) = self.get(FAQ).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let questions = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["question"].as_str().unwrap().to_owned())
            .collect();
        (body["source"].as_str().unwrap().to_owned(), questions)
    }
}

fn field(value: Value, source: &str) -> Value {
    json!({"value": value, "source": source})
}

#[tokio::test]
async fn a_profile_nobody_changed_is_the_settings_each_value_marked_as_such() {
    let desk = Desk::start().await;

    let (status, profile) = desk.get(PROFILE).await;

    assert_eq!(status, StatusCode::OK, "{profile}");
    assert_eq!(
        profile["name"],
        field(json!("Maple Street Salon"), "settings")
    );
    assert_eq!(
        profile["address"],
        field(json!("12 Maple St, Springfield"), "settings")
    );
    assert_eq!(profile["phone"], field(Value::Null, "settings"));
    assert_eq!(
        profile["website"],
        field(json!("https://maplestreet.example"), "settings")
    );
    assert_eq!(
        profile["hours"],
        field(json!("mon-fri 09:00-17:00; sat 10:00-14:00"), "settings")
    );
    assert_eq!(
        profile["hours_as_told"],
        "Mon-Fri 9:00 AM-5:00 PM, Sat 10:00 AM-2:00 PM"
    );
    assert_eq!(profile["faq"]["source"], "settings");
    assert_eq!(
        profile["faq"]["items"][0],
        json!({"id": null, "question": "Do you take walk-ins?",
               "answer": "Yes, weekdays before 3pm.", "created_at": null, "updated_at": null})
    );
    assert_eq!(profile["updated_at"], Value::Null);
}

#[tokio::test]
async fn a_change_overrides_only_the_fields_it_names_and_null_gives_one_back_to_the_settings() {
    let desk = Desk::start().await;

    let (status, changed) = desk
        .put(
            PROFILE,
            json!({"name": " Maple Street Salon & Spa ", "phone": "(555) 010-2030",
                   "website": "https://maple.example/book", "hours": "tue-sat 10:00-18:00"}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        changed["name"],
        field(json!("Maple Street Salon & Spa"), "admin")
    );
    assert_eq!(changed["phone"], field(json!("(555) 010-2030"), "admin"));
    assert_eq!(
        changed["website"],
        field(json!("https://maple.example/book"), "admin")
    );
    assert_eq!(changed["hours_as_told"], "Tue-Sat 10:00 AM-6:00 PM");
    assert_eq!(
        changed["address"],
        field(json!("12 Maple St, Springfield"), "settings"),
        "a field left out stays as it was"
    );
    assert!(changed["updated_at"].is_string(), "{changed}");
    assert_eq!(desk.get(PROFILE).await.1, changed, "stored as answered");

    let (status, cleared) = desk
        .put(PROFILE, json!({"website": null, "name": null}))
        .await;

    assert_eq!(status, StatusCode::OK, "{cleared}");
    assert_eq!(
        cleared["website"],
        field(json!("https://maplestreet.example"), "settings")
    );
    assert_eq!(
        cleared["name"],
        field(json!("Maple Street Salon"), "settings")
    );
    assert_eq!(cleared["phone"], field(json!("(555) 010-2030"), "admin"));

    let (status, same) = desk.put(PROFILE, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(same, cleared, "an empty change changes nothing");
}

#[tokio::test]
async fn a_profile_value_that_is_not_acceptable_is_refused_with_422_naming_its_field() {
    let desk = Desk::start().await;
    for (body, named) in [
        (json!({"name": "  "}), "name"),
        (json!({"name": "x".repeat(101)}), "name"),
        (json!({"address": "line one\u{1b}[31m"}), "address"),
        (json!({"phone": "call the front desk"}), "phone"),
        (json!({"website": "maplestreet.example"}), "website"),
        (json!({"website": "ftp://maplestreet.example"}), "website"),
        (json!({"website": "javascript:alert(1)"}), "website"),
        (json!({"hours": "whenever we feel like it"}), "hours"),
        (json!({"hours": "mon-fri 17:00-09:00"}), "hours"),
        (json!({"name": 42}), "body"),
        (json!({"faq": []}), "body"),
        // serde would read an array as the struct's fields by position.
        (json!([null, null]), "body"),
        (json!(["Maple", null, null, null, null]), "body"),
        (json!(null), "body"),
    ] {
        let answer = desk.put(PROFILE, body.clone()).await;
        assert_validation_failed(&answer);
        let message = answer.1["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(named), "{body}: {message}");
    }
    let (_, profile) = desk.get(PROFILE).await;
    assert_eq!(profile["name"]["source"], "settings", "nothing was stored");
}

#[tokio::test]
async fn the_first_entry_added_copies_the_settings_faq_in_and_makes_the_faq_the_operators() {
    let desk = Desk::start().await;

    let (status, added) = desk
        .post(
            FAQ,
            json!({"question": " Do you do kids' cuts? ", "answer": "Yes, under 12s are $15."}),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["question"], "Do you do kids' cuts?");
    assert!(added["id"].as_i64().is_some_and(|id| id > 0), "{added}");
    assert_eq!(added["created_at"], added["updated_at"]);
    let (source, questions) = desk.questions().await;
    assert_eq!(source, "admin");
    assert_eq!(
        questions,
        [
            "Do you take walk-ins?",
            "Is there parking?",
            "Do you do kids' cuts?"
        ]
    );
    let (_, list) = desk.get(FAQ).await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|item| item["id"].is_i64()),
        "the copied entries got ids: {list}"
    );
    assert_eq!(desk.get(PROFILE).await.1["faq"], list);
}

#[tokio::test]
async fn an_entry_can_be_changed_and_deleted_and_one_that_does_not_exist_is_404() {
    let desk = Desk::start().await;
    let id = desk
        .add("Do you sell gift cards?", "Yes, at the front desk.")
        .await;
    let uri = format!("{FAQ}/{id}");

    let (status, changed) = desk
        .put(
            &uri,
            json!({"answer": "Yes, at the front desk or by phone."}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["question"], "Do you sell gift cards?");
    assert_eq!(changed["answer"], "Yes, at the front desk or by phone.");

    let (status, body) = desk.delete(&uri).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(
        !desk
            .questions()
            .await
            .1
            .contains(&"Do you sell gift cards?".to_owned())
    );

    assert_not_found(&desk.delete(&uri).await);
    assert_not_found(&desk.put(&uri, json!({"answer": "no"})).await);
    assert_not_found(&desk.delete(&format!("{FAQ}/999999")).await);
}

#[tokio::test]
async fn an_entry_of_the_settings_has_no_id_to_change_until_the_faq_is_taken_over() {
    let desk = Desk::start().await;

    assert_not_found(&desk.put(&format!("{FAQ}/1"), json!({"answer": "no"})).await);
    assert_not_found(&desk.delete(&format!("{FAQ}/1")).await);

    assert_eq!(desk.questions().await.0, "settings", "still the settings'");
}

#[tokio::test]
async fn deleting_every_entry_leaves_no_faq_rather_than_bringing_the_settings_back() {
    let desk = Desk::start().await;
    desk.add("Do you take cards?", "Yes, all major cards.")
        .await;
    let (_, list) = desk.get(FAQ).await;

    for item in list["items"].as_array().unwrap() {
        let id = item["id"].as_i64().unwrap();
        assert_eq!(
            desk.delete(&format!("{FAQ}/{id}")).await.0,
            StatusCode::NO_CONTENT
        );
    }

    assert_eq!(desk.questions().await, ("admin".to_owned(), Vec::new()));
}

#[tokio::test]
async fn an_entry_that_breaks_a_bound_is_refused_with_422_naming_its_field() {
    let desk = Desk::start().await;
    let over_two_segments = format!("Yes! {}🙂", "a".repeat(200));
    for (body, named) in [
        (json!({"question": "", "answer": "yes"}), "question"),
        (
            json!({"question": "two\nlines?", "answer": "yes"}),
            "question",
        ),
        (
            json!({"question": "q".repeat(201), "answer": "yes"}),
            "question",
        ),
        (json!({"question": "parking?", "answer": " "}), "answer"),
        (
            json!({"question": "parking?", "answer": "a".repeat(307)}),
            "answer",
        ),
        (
            json!({"question": "parking?", "answer": over_two_segments}),
            "answer",
        ),
        (json!({"question": "parking?"}), "body"),
        (
            json!({"question": "parking?", "answer": "yes", "id": 3}),
            "body",
        ),
    ] {
        let answer = desk.post(FAQ, body.clone()).await;
        assert_validation_failed(&answer);
        let message = answer.1["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(named), "{body}: {message}");
    }
    assert_eq!(
        desk.questions().await.0,
        "settings",
        "nothing was taken over"
    );

    let id = desk.add("parking?", "Free lot behind the salon.").await;
    let answer = desk
        .put(&format!("{FAQ}/{id}"), json!({"answer": "a".repeat(307)}))
        .await;
    assert_validation_failed(&answer);
}

#[tokio::test]
async fn the_fifty_first_entry_is_refused_with_409_and_nothing_changes() {
    let desk = Desk::start().await;
    // Two come from the settings with the first addition.
    for n in 0..48 {
        desk.add(&format!("Question {n}?"), "An answer.").await;
    }
    assert_eq!(desk.questions().await.1.len(), 50);

    let answer = desk
        .post(FAQ, json!({"question": "One more?", "answer": "No."}))
        .await;

    assert_conflict(&answer, "faq_full");
    assert_eq!(desk.questions().await.1.len(), 50);
}

#[tokio::test]
async fn a_full_settings_faq_is_not_taken_over_by_an_addition_that_does_not_fit() {
    let admin = Admin::start().await;
    let pairs: Vec<(String, String)> = (0..50)
        .map(|n| (format!("Question {n}?"), "An answer.".to_owned()))
        .collect();
    let state = admin.state().with_business_profile(SettingsProfile {
        faq: Faq::parse(&pairs).unwrap(),
        ..settings()
    });
    let request = Request::post(FAQ)
        .header("x-api-key", KEY)
        .header("content-type", "application/json")
        .body(Body::from(r#"{"question": "One more?", "answer": "No."}"#))
        .unwrap();

    assert_conflict(&send(router(state), request).await, "faq_full");
    let stored = admin
        .sql_rows("SELECT count(*) FROM faq_entries", &[])
        .await;
    assert_eq!(stored[0].get::<_, i64>(0), 0, "rolled back, copies and all");
}

const PROFILE_FIELDS: &[&str] = &["phone", "name", "address", "website", "hours"];
const FAQ_FIELDS: &[&str] = &["question", "answer"];

/// A body of the business-profile routes: mostly plausible values, some odd.
fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => fz::text(fz::corpus("common")).prop_map(Value::String),
        2 => prop::sample::select(vec![
            "https://maplestreet.example", "mon-fri 09:00-17:00", "(555) 010-2030",
            "Do you take walk-ins?", "http://[::1]:8080/", "sat 25:00-26:00", "",
        ]).prop_map(|s| json!(s)),
        1 => Just(Value::Null),
        1 => any::<i64>().prop_map(Value::from),
        1 => ("[a😀é]", 0_usize..400).prop_map(|(c, n)| Value::String(c.repeat(n))),
    ]
}

fn body(fields: &'static [&'static str]) -> impl Strategy<Value = String> {
    let fields: Vec<_> = fields
        .iter()
        .map(|f| prop::option::weighted(0.7, value()).prop_map(move |v| v.map(|v| (*f, v))))
        .collect();
    prop_oneof![
        8 => fields.prop_map(|fields| {
            let map: Map<String, Value> = fields
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
            Value::Object(map).to_string()
        }),
        1 => fz::text(fz::corpus("common")),
    ]
}

#[test]
fn fuzz_admin_business_profile_bodies_never_get_a_5xx_and_what_is_stored_reads_back() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (desk, entry) = rt.block_on(async {
        let desk = Desk::start().await;
        let entry = desk.add("Do you take walk-ins?", "Yes.").await;
        (desk, entry)
    });
    let case = (
        0_usize..3,
        prop_oneof![Just(PROFILE_FIELDS), Just(FAQ_FIELDS)].prop_flat_map(body),
    );
    let mut runner = TestRunner::new(fz::config_scaled(60, 100));
    let result = runner.run(&case, |(route, body)| {
        let (method, uri) = match route {
            0 => (Method::PUT, PROFILE.to_owned()),
            1 => (Method::POST, FAQ.to_owned()),
            _ => (Method::PUT, format!("{FAQ}/{entry}")),
        };
        rt.block_on(async {
            let request = Request::builder()
                .method(method.clone())
                .uri(&uri)
                .header("x-api-key", KEY)
                .header("content-type", "application/json")
                .body(Body::from(body.clone()))
                .unwrap();
            let state = desk.admin.state().with_business_profile(settings());
            let (status, answer) = send(router(state), request).await;
            prop_assert!(
                !status.is_server_error(),
                "{method} {uri} {body}: {status} {answer}"
            );
            if status.is_client_error() {
                prop_assert!(answer["error"]["code"].is_string(), "{answer}");
            } else {
                let (read, profile) = desk.get(PROFILE).await;
                prop_assert_eq!(read, StatusCode::OK, "{}", profile);
            }
            // Keep room in the FAQ for the next cases.
            if route == 1 && status == StatusCode::CREATED {
                let id = answer["id"].as_i64().unwrap_or_default();
                desk.delete(&format!("{FAQ}/{id}")).await;
            }
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
