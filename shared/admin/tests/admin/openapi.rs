//! The OpenAPI document: checked in, served, and complete.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{Admin, PROTECTED};

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
        let path = uri.split('?').next().unwrap();
        let path = if path.starts_with("/api/conversations/") {
            path.replace("/1", "/{contact_id}")
        } else {
            path.replace("/1", "/{id}")
        };
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
