//! Services: added, listed by name, read and replaced (a field left out
//! taking its default), every refusal (a value out of bounds, an unknown
//! field, a taken name, an unknown id, no key), and the services the
//! conversation may offer.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use smsbot_domain::ServiceId;

use crate::support::{
    Admin, Answer, assert_bad_request, assert_conflict, assert_error, assert_not_found,
    assert_validation_failed, send,
};

const SERVICES: &str = "/api/services";

async fn put(admin: &Admin, uri: &str, body: Value) -> Answer {
    admin.call(Method::PUT, uri, Some(body)).await
}

/// Adds a service, expecting 201; its body.
async fn add(admin: &Admin, body: Value) -> Value {
    let (status, created) = admin.post(SERVICES, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

/// Adds a service of half an hour, expecting 201; its id.
async fn service(admin: &Admin, name: &str, active: bool) -> i64 {
    let body = add(
        admin,
        json!({"name": name, "duration_minutes": 30, "active": active}),
    )
    .await;
    body["id"].as_i64().unwrap()
}

fn names(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap())
        .collect()
}

/// Asserts a 422 whose message names `field`.
fn assert_refused_naming(answer: &Answer, field: &str) {
    assert_validation_failed(answer);
    let message = answer.1["error"]["message"].as_str().unwrap();
    assert!(message.contains(field), "{field}: {message}");
}

#[tokio::test]
async fn a_service_added_is_listed_by_name_and_read_back_as_stored() {
    let admin = Admin::start().await;

    let whitening = add(
        &admin,
        json!({"name": " Whitening ", "duration_minutes": 60, "buffer_before_minutes": 5,
               "buffer_after_minutes": 15, "price_cents": 12000,
               "description": "Brighter teeth in one visit."}),
    )
    .await;
    let cleaning = add(&admin, json!({"name": "Cleaning", "duration_minutes": 30})).await;

    assert!(whitening["id"].as_i64().unwrap() > 0, "{whitening}");
    assert_eq!(whitening["name"], "Whitening", "the name is trimmed");
    assert_eq!(whitening["duration_minutes"], 60);
    assert_eq!(whitening["buffer_before_minutes"], 5);
    assert_eq!(whitening["buffer_after_minutes"], 15);
    assert_eq!(whitening["price_cents"], 12000);
    assert_eq!(whitening["description"], "Brighter teeth in one visit.");
    assert_eq!(whitening["active"], true);
    assert!(whitening["created_at"].is_string(), "{whitening}");
    assert_eq!(whitening["created_at"], whitening["updated_at"]);
    assert_eq!(cleaning["buffer_before_minutes"], 0, "buffers default to 0");
    assert_eq!(cleaning["buffer_after_minutes"], 0);
    assert_eq!(cleaning["price_cents"], Value::Null);
    assert_eq!(cleaning["description"], Value::Null);
    assert_eq!(cleaning["active"], true, "a new service is active");

    let (status, list) = admin.get(SERVICES).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(names(&list), ["Cleaning", "Whitening"]);
    assert_eq!(list["items"][0], cleaning, "listed as stored");

    let (status, read) = admin.get(&format!("{SERVICES}/{}", whitening["id"])).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read, whitening);
}

#[tokio::test]
async fn a_put_replaces_every_field_and_one_left_out_takes_its_default() {
    let admin = Admin::start().await;
    let created = add(
        &admin,
        json!({"name": "Haircut", "duration_minutes": 45, "buffer_after_minutes": 10,
               "price_cents": 3500, "description": "Wash, cut and dry."}),
    )
    .await;
    let uri = format!("{SERVICES}/{}", created["id"]);
    admin.clock.advance(chrono::Duration::minutes(5));

    let (status, replaced) = put(
        &admin,
        &uri,
        json!({"name": "Long haircut", "duration_minutes": 75, "buffer_before_minutes": 5,
               "price_cents": 0, "active": false}),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["id"], created["id"]);
    assert_eq!(replaced["name"], "Long haircut");
    assert_eq!(replaced["duration_minutes"], 75);
    assert_eq!(replaced["buffer_before_minutes"], 5);
    assert_eq!(
        replaced["buffer_after_minutes"], 0,
        "a buffer left out is 0 again"
    );
    assert_eq!(replaced["price_cents"], 0, "a free service is a price");
    assert_eq!(
        replaced["description"],
        Value::Null,
        "a description left out is cleared"
    );
    assert_eq!(replaced["active"], false, "deactivated, not deleted");
    assert_eq!(replaced["created_at"], created["created_at"]);
    assert_ne!(replaced["updated_at"], created["updated_at"]);
    assert_eq!(admin.get(&uri).await.1, replaced, "stored as answered");

    let (status, list) = admin.get(SERVICES).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        names(&list),
        ["Long haircut"],
        "an inactive service is still listed"
    );

    let (status, same_name) = put(
        &admin,
        &uri,
        json!({"name": "Long haircut", "duration_minutes": 80, "active": true}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "keeping its own name is no conflict"
    );
    assert_eq!(same_name["active"], true);
}

#[tokio::test]
async fn a_service_value_that_is_not_acceptable_is_refused_with_422_naming_its_field() {
    let admin = Admin::start().await;
    let valid = json!({"name": "Check-up", "duration_minutes": 30});
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let cases = [
        (with("duration_minutes", json!(0)), "duration_minutes"),
        (with("duration_minutes", json!(-30)), "duration_minutes"),
        (with("duration_minutes", json!(1441)), "duration_minutes"),
        (
            with("duration_minutes", json!(i64::MAX)),
            "duration_minutes",
        ),
        (
            with("buffer_before_minutes", json!(-1)),
            "buffer_before_minutes",
        ),
        (
            with("buffer_after_minutes", json!(241)),
            "buffer_after_minutes",
        ),
        (with("price_cents", json!(-1)), "price_cents"),
        (with("price_cents", json!(3_000_000_000_i64)), "price_cents"),
        (with("name", json!("")), "name"),
        (with("name", json!("   ")), "name"),
        (with("name", json!("x".repeat(101))), "name"),
        (with("name", json!("Check\u{7}up")), "name"),
        (with("description", json!("")), "description"),
        (with("description", json!("d".repeat(301))), "description"),
        (with("description", json!("two\nlines")), "description"),
        (with("colour", json!("blue")), "colour"),
        (with("duration_minutes", json!("30")), "duration_minutes"),
        (with("duration_minutes", json!(30.5)), "duration_minutes"),
        (json!({"name": "Check-up"}), "duration_minutes"),
        (json!({"duration_minutes": 30}), "name"),
    ];
    for (body, field) in &cases {
        assert_refused_naming(&admin.post(SERVICES, body.clone()).await, field);
    }
    assert_validation_failed(&admin.post(SERVICES, json!([valid])).await);
    let (status, list) = admin.get(SERVICES).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"], json!([]), "nothing was added");

    let stored = add(&admin, valid.clone()).await;
    let uri = format!("{SERVICES}/{}", stored["id"]);
    for (body, field) in cases {
        assert_refused_naming(&put(&admin, &uri, body).await, field);
    }
    assert_eq!(admin.get(&uri).await.1, stored, "nothing was changed");

    let longest = add(
        &admin,
        json!({"name": "n".repeat(100), "duration_minutes": 1440,
               "buffer_before_minutes": 240, "buffer_after_minutes": 240,
               "description": "d".repeat(300), "price_cents": i32::MAX}),
    )
    .await;
    assert_eq!(longest["duration_minutes"], 1440, "the bounds are allowed");
}

#[tokio::test]
async fn a_second_service_with_a_taken_name_is_refused_with_409() {
    let admin = Admin::start().await;
    add(&admin, json!({"name": "Cleaning", "duration_minutes": 30})).await;
    let other = add(&admin, json!({"name": "Whitening", "duration_minutes": 60})).await;

    let duplicate = admin
        .post(
            SERVICES,
            json!({"name": " Cleaning ", "duration_minutes": 45}),
        )
        .await;
    assert_conflict(&duplicate, "name_taken");
    assert!(
        duplicate.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Cleaning"),
        "{}",
        duplicate.1
    );

    let uri = format!("{SERVICES}/{}", other["id"]);
    assert_conflict(
        &put(
            &admin,
            &uri,
            json!({"name": "Cleaning", "duration_minutes": 60}),
        )
        .await,
        "name_taken",
    );
    assert_eq!(admin.get(&uri).await.1, other, "nothing was changed");
    assert_eq!(
        names(&admin.get(SERVICES).await.1),
        ["Cleaning", "Whitening"]
    );
}

#[tokio::test]
async fn a_service_that_does_not_exist_is_404_to_read_and_to_replace() {
    let admin = Admin::start().await;
    let body = json!({"name": "Cleaning", "duration_minutes": 30});

    assert_not_found(&admin.get(&format!("{SERVICES}/999")).await);
    assert_not_found(&put(&admin, &format!("{SERVICES}/999"), body.clone()).await);
    assert_not_found(&admin.get(&format!("{SERVICES}/-1")).await);
    assert_bad_request(&admin.get(&format!("{SERVICES}/cleaning")).await);
    assert_bad_request(&put(&admin, &format!("{SERVICES}/1.5"), body).await);
    assert_eq!(
        admin.get(SERVICES).await.1["items"],
        json!([]),
        "a PUT creates nothing"
    );
}

#[tokio::test]
async fn every_service_route_requires_the_admin_key() {
    let admin = Admin::start().await;
    for (method, uri) in [
        ("GET", "/api/services"),
        ("POST", "/api/services"),
        ("GET", "/api/services/1"),
        ("PUT", "/api/services/1"),
    ] {
        for (key, status, code) in [
            (None, StatusCode::UNAUTHORIZED, "unauthorized"),
            (Some("wrong-key"), StatusCode::FORBIDDEN, "forbidden"),
        ] {
            let mut request = Request::builder()
                .method(method)
                .uri(uri)
                .header("content-type", "application/json");
            if let Some(key) = key {
                request = request.header("x-api-key", key);
            }
            let body = Body::from(r#"{"name": "Cleaning", "duration_minutes": 30}"#);
            let answer = send(admin.router(), request.body(body).unwrap()).await;
            assert_error(&answer, status, code);
        }
    }
    assert_eq!(
        admin.get(SERVICES).await.1["items"],
        json!([]),
        "nothing was added without the key"
    );
}

#[tokio::test]
async fn the_services_offered_are_the_active_ones_an_active_provider_offers_by_name() {
    let admin = Admin::start().await;
    let whitening = service(&admin, "Whitening", true).await;
    let cleaning = service(&admin, "Cleaning", true).await;
    let retired = service(&admin, "Retired", false).await;
    service(&admin, "Nobody offers this", true).await;
    let only_inactive = service(&admin, "Only an inactive provider", true).await;
    for (name, active, services) in [
        ("Dana", true, json!([whitening, cleaning, retired])),
        ("Sam", false, json!([only_inactive])),
    ] {
        let (status, body) = admin
            .post(
                "/api/providers",
                json!({"name": name, "active": active, "service_ids": services}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    let db = admin.pool().get().await.unwrap();
    let offered = smsbot_store::services::active_offered(&db).await.unwrap();

    let offered: Vec<(ServiceId, &str)> = offered.iter().map(|s| (s.id, s.name.as_str())).collect();
    assert_eq!(
        offered,
        [
            (ServiceId::new(cleaning), "Cleaning"),
            (ServiceId::new(whitening), "Whitening")
        ]
    );
}
