//! Consent through the admin API: the audit trail of a contact, a marketing
//! opt-in only with its proof, and never an operator undoing the customer's
//! own STOP (409): only the customer's START or JOIN can.

use axum::http::StatusCode;
use serde_json::{Value, json};
use smsbot_domain::{ConsentSource, ConsentState};

use crate::support::{Admin, Answer, assert_conflict, assert_not_found, assert_validation_failed};

const PROOF_TEXT: &str =
    "Yes, text me offers from Bright Smile. Up to 4 msgs/month. Reply STOP to opt out.";

fn proof() -> Value {
    json!({
        "source": "paper sign-up form, front desk",
        "consent_text": PROOF_TEXT,
        "obtained_at": "2026-02-27T10:15:00-05:00",
    })
}

fn marketing(contact: i64) -> String {
    format!("/api/contacts/{contact}/consent/marketing")
}

fn consent(contact: i64) -> String {
    format!("/api/contacts/{contact}/consent")
}

/// The customer (or their carrier) changes consent, as the worker or the
/// status callback records it.
async fn customer(admin: &Admin, contact: i64, state: ConsentState, source: ConsentSource) {
    let client = admin.state().pool.get().await.unwrap();
    smsbot_store::consent::set_consent(
        &client,
        smsbot_domain::ContactId::new(contact),
        state,
        source,
        Some("by text"),
    )
    .await
    .unwrap();
}

fn states(answer: &Answer) -> (&str, &str) {
    (
        answer.1["service"]["state"].as_str().unwrap(),
        answer.1["marketing"]["state"].as_str().unwrap(),
    )
}

fn assert_only_the_customer_can(answer: &Answer) {
    assert_conflict(answer, "opted_out_by_customer");
    let message = answer.1["error"]["message"].as_str().unwrap();
    for word in ["START", "JOIN", "only the customer"] {
        assert!(message.contains(word), "{word} missing: {message}");
    }
}

#[tokio::test]
async fn a_marketing_opt_in_with_its_proof_is_recorded_and_shown_in_the_history() {
    let admin = Admin::start().await;
    let ana = admin.contact("+14155550100").await;

    let answer = admin.post(&marketing(ana), proof()).await;

    assert_eq!(answer.0, StatusCode::OK, "{}", answer.1);
    assert_eq!(states(&answer), ("opted_in", "opted_in"));
    assert_eq!(admin.get(&consent(ana)).await, answer);
    let history = answer.1["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(
        (
            &history[0]["kind"],
            &history[0]["state"],
            &history[0]["actor"]
        ),
        (&json!("service"), &json!("opted_in"), &json!("admin"))
    );
    assert!(history[0]["evidence"].is_null());
    let opt_in = &history[1];
    assert_eq!(opt_in["kind"], "marketing");
    assert_eq!(opt_in["state"], "opted_in");
    assert_eq!(opt_in["source"], "admin");
    assert_eq!(opt_in["actor"], "admin");
    assert_eq!(
        opt_in["evidence"],
        json!({
            "source": "paper sign-up form, front desk",
            "consent_text": PROOF_TEXT,
            "obtained_at": "2026-02-27T15:15:00Z",
        })
    );
    assert!(opt_in["occurred_at"].is_string());
    let (_, contact) = admin.get(&format!("/api/contacts/{ana}")).await;
    assert_eq!(contact["marketing_consent"], "opted_in");
}

#[tokio::test]
async fn a_marketing_opt_in_without_its_proof_is_refused_naming_what_is_missing() {
    let admin = Admin::start().await;
    let ana = admin.contact("+14155550100").await;
    let without = |field: &str| {
        let mut body = proof();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    for (body, named) in [
        (json!({}), "source"),
        (without("source"), "source"),
        (without("consent_text"), "consent_text"),
        (without("obtained_at"), "obtained_at"),
        (
            json!({"source": "  ", "consent_text": "yes", "obtained_at": "2026-02-27T10:15:00Z"}),
            "source",
        ),
        (
            json!({"source": "form", "consent_text": "yes", "obtained_at": "2999-01-01T00:00:00Z"}),
            "obtained_at",
        ),
    ] {
        let answer = admin.post(&marketing(ana), body.clone()).await;
        assert_validation_failed(&answer);
        let message = answer.1["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("{named}:")),
            "{body} → {message}"
        );
    }
    let answer = admin.get(&consent(ana)).await;
    assert_eq!(states(&answer), ("opted_in", "not_given"));
    assert_eq!(answer.1["history"].as_array().unwrap().len(), 1);
}

/// Found by the admin JSON fuzz target: a year the database cannot store
/// was a 500.
#[tokio::test]
async fn fuzz_regression_a_proof_dated_in_a_year_no_database_holds_is_refused_by_name() {
    let admin = Admin::start().await;
    let ana = admin.contact("+14155550100").await;

    let answer = admin
        .post(
            &marketing(ana),
            json!({"source": "A", "consent_text": "\u{1f860}", "obtained_at": "-262143-01-01T00:00:00Z"}),
        )
        .await;

    assert_validation_failed(&answer);
    let message = answer.1["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("obtained_at:"), "{message}");
}

#[tokio::test]
async fn an_operator_cannot_undo_a_customers_stop_of_either_kind() {
    let admin = Admin::start().await;
    let ana = admin.contact("+14155550100").await;
    admin.post(&marketing(ana), proof()).await;
    customer(&admin, ana, ConsentState::OptedOut, ConsentSource::Keyword).await;

    assert_only_the_customer_can(
        &admin
            .patch(
                &format!("/api/contacts/{ana}"),
                json!({"consent": "opted_in", "name": "Ana"}),
            )
            .await,
    );
    assert_only_the_customer_can(&admin.post(&marketing(ana), proof()).await);

    let answer = admin.get(&consent(ana)).await;
    assert_eq!(states(&answer), ("opted_out", "opted_out"));
    assert_eq!(answer.1["service"]["operator_may_opt_in"], false);
    assert_eq!(answer.1["marketing"]["operator_may_opt_in"], false);
    let (_, contact) = admin.get(&format!("/api/contacts/{ana}")).await;
    assert!(
        contact["name"].is_null(),
        "a refused change changes nothing"
    );
}

#[tokio::test]
async fn a_carrier_block_is_not_the_operators_to_lift_either() {
    let admin = Admin::start().await;
    let ana = admin.contact("+14155550100").await;
    customer(
        &admin,
        ana,
        ConsentState::OptedOut,
        ConsentSource::CarrierOptOut,
    )
    .await;
    let answer = admin
        .patch(
            &format!("/api/contacts/{ana}"),
            json!({"consent": "opted_in"}),
        )
        .await;
    assert_only_the_customer_can(&answer);
    assert!(
        answer.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("21610")
    );
}

#[tokio::test]
async fn after_the_customers_start_marketing_still_waits_for_their_join() {
    let admin = Admin::start().await;
    let ana = admin.contact("+14155550100").await;
    admin.post(&marketing(ana), proof()).await;
    customer(&admin, ana, ConsentState::OptedOut, ConsentSource::Keyword).await;
    customer(&admin, ana, ConsentState::OptedIn, ConsentSource::Keyword).await;

    let (status, body) = admin
        .patch(
            &format!("/api/contacts/{ana}"),
            json!({"consent": "opted_in"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "already opted in again: {body}");
    assert_only_the_customer_can(&admin.post(&marketing(ana), proof()).await);
}

#[tokio::test]
async fn an_operators_own_opt_out_may_be_undone_by_an_operator() {
    let admin = Admin::start().await;
    let ana = admin.contact("+14155550100").await;
    admin.post(&marketing(ana), proof()).await;

    let (status, body) = admin
        .patch(
            &format!("/api/contacts/{ana}"),
            json!({"consent": "opted_out"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["consent"].as_str(), body["marketing_consent"].as_str()),
        (Some("opted_out"), Some("opted_out")),
        "an opt-out revokes both kinds"
    );
    assert_conflict(
        &admin.post(&marketing(ana), proof()).await,
        "service_consent_revoked",
    );
    let (status, _) = admin
        .patch(
            &format!("/api/contacts/{ana}"),
            json!({"consent": "opted_in"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let answer = admin.post(&marketing(ana), proof()).await;
    assert_eq!(states(&answer), ("opted_in", "opted_in"));
}

#[tokio::test]
async fn an_operator_may_revoke_marketing_alone_and_service_messages_go_on() {
    let admin = Admin::start().await;
    let ana = admin.contact("+14155550100").await;
    admin.post(&marketing(ana), proof()).await;

    let answer = admin.delete(&marketing(ana)).await;

    assert_eq!(answer.0, StatusCode::OK, "{}", answer.1);
    assert_eq!(states(&answer), ("opted_in", "opted_out"));
    let last = answer.1["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (&last["kind"], &last["state"], &last["actor"]),
        (&json!("marketing"), &json!("opted_out"), &json!("admin"))
    );
}

#[tokio::test]
async fn a_contact_may_be_created_with_proof_of_marketing_consent_and_only_with_all_of_it() {
    let admin = Admin::start().await;
    let (status, body) = admin
        .post(
            "/api/contacts",
            json!({"phone": "+14155550100", "marketing_consent": proof()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["marketing_consent"], "opted_in");
    let id = body["id"].as_i64().unwrap();
    let history = admin.get(&consent(id)).await.1["history"].clone();
    assert_eq!(history[1]["evidence"]["consent_text"], PROOF_TEXT);

    let mut partial = proof();
    partial.as_object_mut().unwrap().remove("consent_text");
    for (body, named) in [
        (
            json!({"phone": "+14155550101", "marketing_consent": partial}),
            "marketing_consent.consent_text:",
        ),
        (
            json!({"phone": "+14155550101", "consent": "opted_out", "marketing_consent": proof()}),
            "marketing_consent:",
        ),
    ] {
        let answer = admin.post("/api/contacts", body).await;
        assert_validation_failed(&answer);
        let message = answer.1["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(named), "{message}");
    }
    let (_, page) = admin.get("/api/contacts").await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        1,
        "nothing created"
    );
}

#[tokio::test]
async fn a_contact_created_without_proof_has_no_marketing_consent() {
    let admin = Admin::start().await;
    let ana = admin.contact("+14155550100").await;
    let answer = admin.get(&consent(ana)).await;
    assert_eq!(answer.0, StatusCode::OK);
    assert_eq!(states(&answer), ("opted_in", "not_given"));
    assert_eq!(answer.1["marketing"]["operator_may_opt_in"], true);
}

#[tokio::test]
async fn consent_routes_of_a_contact_that_does_not_exist_or_was_erased_are_404() {
    let admin = Admin::start().await;
    let erased = admin.contact("+14155550100").await;
    assert_eq!(
        admin.delete(&format!("/api/contacts/{erased}")).await.0,
        StatusCode::NO_CONTENT
    );
    for id in [42, erased] {
        assert_not_found(&admin.get(&consent(id)).await);
        assert_not_found(&admin.post(&marketing(id), proof()).await);
        assert_not_found(&admin.delete(&marketing(id)).await);
    }
}
