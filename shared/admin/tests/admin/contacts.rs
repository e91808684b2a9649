//! Contacts: adding, reading, patching, erasing and listing them, and the
//! request errors of the contact and message routes.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    Admin, assert_bad_request, assert_error, assert_not_found, assert_validation_failed, ids,
};

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
    admin
        .assert_refused_as_invalid(
            "/api/contacts",
            [
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
            ],
        )
        .await;
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
    admin
        .assert_bad_requests(&[
            "/api/contacts?limit=0",
            "/api/contacts?limit=201",
            "/api/contacts?limit=ten",
            "/api/contacts?cursor=not-a-cursor",
            "/api/contacts?consent=sometimes",
            "/api/contacts/abc",
            "/api/contacts/99999999999999999999",
            "/api/messages",
            "/api/messages?contact_id=x",
        ])
        .await;
    assert_bad_request(
        &admin
            .post_raw("/api/contacts", "application/json", "{\"phone\": ")
            .await,
    );
    assert_error(
        &admin
            .post_raw(
                "/api/contacts",
                "application/x-www-form-urlencoded",
                "phone=%2B14155550100",
            )
            .await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
}

#[tokio::test]
async fn a_contact_that_does_not_exist_is_404_on_every_route() {
    let admin = Admin::start().await;
    assert_not_found(&admin.get("/api/contacts/42").await);
    assert_not_found(&admin.patch("/api/contacts/42", json!({"name": "x"})).await);
    assert_not_found(&admin.delete("/api/contacts/42").await);
    assert_not_found(&admin.get("/api/messages?contact_id=42").await);
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
        assert_validation_failed(&admin.patch(&uri, bad).await);
    }
}

#[tokio::test]
async fn deleting_a_contact_erases_personal_data_and_message_text_but_keeps_consent_history() {
    let admin = Admin::start().await;
    let id = admin.contact("+14155550102").await;
    let uri = format!("/api/contacts/{id}");
    admin
        .patch(&uri, json!({"name": "Erin", "consent": "opted_out"}))
        .await;
    admin
        .sql(
            "INSERT INTO messages (contact_id, direction, body, twilio_sid, status)
             VALUES ($1, 'inbound', 'my secret', 'SM0123456789abcdef0123456789abcdef', 'received')",
            &[&id],
        )
        .await;

    let (status, body) = admin.delete(&uri).await;
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

    assert_not_found(&admin.get(&uri).await);
    assert_not_found(&admin.delete(&uri).await);
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
    assert_bad_request(&admin.get("/api/contacts?tag=").await);
}
