//! Providers: added with the services they offer, listed by name, read and
//! replaced (their services as a whole), every refusal (an unknown service,
//! a value out of bounds, an unknown field, a taken name, an unknown id, no
//! key), the providers the conversation may book a service with, and the
//! routes in the OpenAPI document.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use smsbot_domain::{ProviderId, ServiceId};

use crate::support::{
    Admin, Answer, assert_bad_request, assert_conflict, assert_error, assert_not_found,
    assert_validation_failed, send,
};

const PROVIDERS: &str = "/api/providers";

async fn put(admin: &Admin, uri: &str, body: Value) -> Answer {
    admin.call(Method::PUT, uri, Some(body)).await
}

/// Adds a service of half an hour, expecting 201; its id.
async fn service(admin: &Admin, name: &str) -> i64 {
    let (status, body) = admin
        .post(
            "/api/services",
            json!({"name": name, "duration_minutes": 30}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().unwrap()
}

/// Adds a provider, expecting 201; its body.
async fn add(admin: &Admin, body: Value) -> Value {
    let (status, created) = admin.post(PROVIDERS, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

/// The services `provider` offers, as stored.
async fn stored_services(admin: &Admin, provider: &Value) -> Vec<i64> {
    admin
        .sql_rows(
            "SELECT service_id FROM provider_services WHERE provider_id = $1 ORDER BY service_id",
            &[&provider["id"].as_i64().unwrap()],
        )
        .await
        .iter()
        .map(|row| row.get(0))
        .collect()
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
async fn a_provider_added_with_services_is_listed_by_name_and_read_back_as_stored() {
    let admin = Admin::start().await;
    let cleaning = service(&admin, "Cleaning").await;
    let whitening = service(&admin, "Whitening").await;

    let sam = add(
        &admin,
        json!({"name": " Sam ", "service_ids": [whitening, cleaning, whitening]}),
    )
    .await;
    let dana = add(&admin, json!({"name": "Dana", "active": false})).await;

    assert!(sam["id"].as_i64().unwrap() > 0, "{sam}");
    assert_eq!(sam["name"], "Sam", "the name is trimmed");
    assert_eq!(sam["active"], true, "a new provider is active");
    assert_eq!(
        sam["service_ids"],
        json!([cleaning, whitening]),
        "in id order, a repeat counted once"
    );
    assert!(sam["created_at"].is_string(), "{sam}");
    assert_eq!(sam["created_at"], sam["updated_at"]);
    assert_eq!(stored_services(&admin, &sam).await, [cleaning, whitening]);
    assert_eq!(dana["active"], false);
    assert_eq!(dana["service_ids"], json!([]), "no services by default");

    let (status, list) = admin.get(PROVIDERS).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(names(&list), ["Dana", "Sam"], "inactive ones too, by name");
    assert_eq!(list["items"][1], sam, "listed as stored");

    let (status, read) = admin.get(&format!("{PROVIDERS}/{}", sam["id"])).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read, sam);
}

#[tokio::test]
async fn a_put_replaces_a_providers_name_activity_and_the_services_they_offer() {
    let admin = Admin::start().await;
    let cleaning = service(&admin, "Cleaning").await;
    let whitening = service(&admin, "Whitening").await;
    let braces = service(&admin, "Braces").await;
    let created = add(
        &admin,
        json!({"name": "Dana", "service_ids": [cleaning, whitening]}),
    )
    .await;
    let uri = format!("{PROVIDERS}/{}", created["id"]);
    admin.clock.advance(chrono::Duration::minutes(5));

    let (status, replaced) = put(
        &admin,
        &uri,
        json!({"name": "Dana R.", "active": false, "service_ids": [braces, whitening]}),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["id"], created["id"]);
    assert_eq!(replaced["name"], "Dana R.");
    assert_eq!(replaced["active"], false, "deactivated, not deleted");
    assert_eq!(replaced["service_ids"], json!([whitening, braces]));
    assert_eq!(replaced["created_at"], created["created_at"]);
    assert_ne!(replaced["updated_at"], created["updated_at"]);
    assert_eq!(
        stored_services(&admin, &created).await,
        [whitening, braces],
        "cleaning is no longer offered"
    );
    assert_eq!(admin.get(&uri).await.1, replaced, "stored as answered");

    let (status, emptied) = put(&admin, &uri, json!({"name": "Dana R."})).await;
    assert_eq!(status, StatusCode::OK, "{emptied}");
    assert_eq!(
        emptied["service_ids"],
        json!([]),
        "service_ids left out is none"
    );
    assert_eq!(emptied["active"], true, "active left out is true");
    assert!(stored_services(&admin, &created).await.is_empty());

    let other = add(&admin, json!({"name": "Sam", "service_ids": [cleaning]})).await;
    assert_eq!(
        stored_services(&admin, &other).await,
        [cleaning],
        "another provider's services are their own"
    );
}

#[tokio::test]
async fn an_unknown_service_id_is_refused_with_422_and_nothing_changes() {
    let admin = Admin::start().await;
    let cleaning = service(&admin, "Cleaning").await;

    let unknown = admin
        .post(
            PROVIDERS,
            json!({"name": "Dana", "service_ids": [cleaning, 9999]}),
        )
        .await;
    assert_refused_naming(&unknown, "service_ids");
    assert!(
        unknown.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("9999"),
        "{}",
        unknown.1
    );
    assert_eq!(
        admin.get(PROVIDERS).await.1["items"],
        json!([]),
        "no provider was added"
    );

    let dana = add(&admin, json!({"name": "Dana", "service_ids": [cleaning]})).await;
    let uri = format!("{PROVIDERS}/{}", dana["id"]);
    let unknown = put(
        &admin,
        &uri,
        json!({"name": "Dana R.", "service_ids": [9998, 9999]}),
    )
    .await;
    assert_refused_naming(&unknown, "9998, 9999");
    assert_eq!(admin.get(&uri).await.1, dana, "nothing was changed");
    assert_eq!(stored_services(&admin, &dana).await, [cleaning]);
}

#[tokio::test]
async fn a_provider_value_that_is_not_acceptable_is_refused_with_422_naming_its_field() {
    let admin = Admin::start().await;
    let valid = json!({"name": "Dana"});
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let too_many: Vec<i64> = (1..=201).collect();
    let cases = [
        (with("name", json!("")), "name"),
        (with("name", json!("  ")), "name"),
        (with("name", json!("x".repeat(101))), "name"),
        (with("name", json!("Da\u{1b}[31mna")), "name"),
        (with("service_ids", json!([0])), "service_ids"),
        (with("service_ids", json!([-1])), "service_ids"),
        (with("service_ids", json!(["1"])), "service_ids"),
        (with("service_ids", json!(1)), "service_ids"),
        (with("service_ids", json!(too_many)), "service_ids"),
        (with("active", json!("yes")), "active"),
        (with("services", json!([1])), "services"),
        (json!({"service_ids": []}), "name"),
    ];
    for (body, field) in &cases {
        assert_refused_naming(&admin.post(PROVIDERS, body.clone()).await, field);
    }
    assert_eq!(
        admin.get(PROVIDERS).await.1["items"],
        json!([]),
        "nothing was added"
    );

    let stored = add(&admin, valid.clone()).await;
    let uri = format!("{PROVIDERS}/{}", stored["id"]);
    for (body, field) in cases {
        assert_refused_naming(&put(&admin, &uri, body).await, field);
    }
    assert_eq!(admin.get(&uri).await.1, stored, "nothing was changed");

    let longest = add(&admin, json!({"name": "n".repeat(100)})).await;
    assert_eq!(longest["name"].as_str().unwrap().len(), 100);
}

#[tokio::test]
async fn a_second_provider_with_a_taken_name_is_refused_with_409() {
    let admin = Admin::start().await;
    let cleaning = service(&admin, "Cleaning").await;
    add(&admin, json!({"name": "Dana"})).await;
    let sam = add(&admin, json!({"name": "Sam", "service_ids": [cleaning]})).await;

    let duplicate = admin.post(PROVIDERS, json!({"name": "Dana "})).await;
    assert_conflict(&duplicate, "name_taken");
    assert!(
        duplicate.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Dana"),
        "{}",
        duplicate.1
    );

    let uri = format!("{PROVIDERS}/{}", sam["id"]);
    assert_conflict(
        &put(&admin, &uri, json!({"name": "Dana", "service_ids": []})).await,
        "name_taken",
    );
    assert_eq!(admin.get(&uri).await.1, sam, "nothing was changed");
    assert_eq!(
        stored_services(&admin, &sam).await,
        [cleaning],
        "the services were not replaced either"
    );
    assert_eq!(names(&admin.get(PROVIDERS).await.1), ["Dana", "Sam"]);
}

#[tokio::test]
async fn a_provider_that_does_not_exist_is_404_to_read_and_to_replace() {
    let admin = Admin::start().await;
    let cleaning = service(&admin, "Cleaning").await;
    let body = json!({"name": "Dana", "service_ids": [cleaning]});

    assert_not_found(&admin.get(&format!("{PROVIDERS}/999")).await);
    assert_not_found(&put(&admin, &format!("{PROVIDERS}/999"), body.clone()).await);
    assert_not_found(
        &put(
            &admin,
            &format!("{PROVIDERS}/999"),
            json!({"name": "Dana", "service_ids": [9999]}),
        )
        .await,
    );
    assert_bad_request(&admin.get(&format!("{PROVIDERS}/dana")).await);
    assert_bad_request(&put(&admin, &format!("{PROVIDERS}/99999999999999999999"), body).await);
    assert_eq!(
        admin.get(PROVIDERS).await.1["items"],
        json!([]),
        "a PUT creates nothing"
    );
}

#[tokio::test]
async fn every_provider_route_requires_the_admin_key() {
    let admin = Admin::start().await;
    for (method, uri) in [
        ("GET", "/api/providers"),
        ("POST", "/api/providers"),
        ("GET", "/api/providers/1"),
        ("PUT", "/api/providers/1"),
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
            let body = Body::from(r#"{"name": "Dana"}"#);
            let answer = send(admin.router(), request.body(body).unwrap()).await;
            assert_error(&answer, status, code);
        }
    }
    assert_eq!(
        admin.get(PROVIDERS).await.1["items"],
        json!([]),
        "nothing was added without the key"
    );
}

#[tokio::test]
async fn the_providers_offering_a_service_are_the_active_ones_by_name() {
    let admin = Admin::start().await;
    let cleaning = service(&admin, "Cleaning").await;
    let whitening = service(&admin, "Whitening").await;
    let mut ids = Vec::new();
    for (name, active, services) in [
        ("Sam", true, json!([cleaning, whitening])),
        ("Dana", true, json!([cleaning])),
        ("Lee", false, json!([cleaning])),
        ("Kim", true, json!([whitening])),
    ] {
        let body = add(
            &admin,
            json!({"name": name, "active": active, "service_ids": services}),
        )
        .await;
        ids.push(ProviderId::new(body["id"].as_i64().unwrap()));
    }

    let db = admin.pool().get().await.unwrap();
    let offering = smsbot_store::providers::offering(&db, ServiceId::new(cleaning))
        .await
        .unwrap();

    let offering: Vec<(ProviderId, &str)> =
        offering.iter().map(|p| (p.id, p.name.as_str())).collect();
    assert_eq!(offering, [(ids[1], "Dana"), (ids[0], "Sam")]);
    assert_eq!(
        smsbot_store::providers::services_of(&db, ids[0])
            .await
            .unwrap(),
        [ServiceId::new(cleaning), ServiceId::new(whitening)]
    );
    assert!(
        smsbot_store::providers::offering(&db, ServiceId::new(9999))
            .await
            .unwrap()
            .is_empty()
    );
}

#[test]
fn the_openapi_document_declares_the_service_and_provider_routes_behind_the_key() {
    let doc = serde_json::to_value(smsbot_admin::openapi::document()).unwrap();
    for (path, methods, tag) in [
        ("/api/services", ["get", "post"], "services"),
        ("/api/services/{id}", ["get", "put"], "services"),
        ("/api/providers", ["get", "post"], "providers"),
        ("/api/providers/{id}", ["get", "put"], "providers"),
    ] {
        for method in methods {
            let operation = &doc["paths"][path][method];
            assert!(operation.is_object(), "{method} {path} is not documented");
            assert_eq!(operation["tags"], json!([tag]), "{method} {path}");
            assert_eq!(operation["security"], json!([{"api_key": []}]));
            for status in ["401", "403", "500", "503"] {
                assert!(
                    operation["responses"][status].is_object(),
                    "{method} {path} lacks {status}"
                );
            }
        }
    }
    for (path, method) in [
        ("/api/services/{id}", "get"),
        ("/api/services/{id}", "put"),
        ("/api/providers/{id}", "get"),
        ("/api/providers/{id}", "put"),
    ] {
        assert!(doc["paths"][path][method]["responses"]["404"].is_object());
    }
    for (path, method) in [
        ("/api/services", "post"),
        ("/api/services/{id}", "put"),
        ("/api/providers", "post"),
        ("/api/providers/{id}", "put"),
    ] {
        let responses = &doc["paths"][path][method]["responses"];
        assert!(responses["409"].is_object(), "{method} {path} lacks 409");
        assert!(responses["422"].is_object(), "{method} {path} lacks 422");
    }
}
