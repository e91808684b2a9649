//! Campaigns: drafting, validation, the status transitions an operator may
//! make, editing until the campaign starts, and listing.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    Admin, assert_bad_request, assert_conflict, assert_invalid_transition, assert_not_found,
    assert_validation_failed, draft, ids,
};

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
    admin
        .assert_refused_as_invalid(
            "/api/campaigns",
            [
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
            ],
        )
        .await;
}

#[tokio::test]
async fn a_campaign_moves_only_through_valid_transitions_and_others_are_409() {
    let admin = Admin::start().await;
    let id = admin.draft_campaign().await;

    for refused in ["pause", "resume"] {
        assert_invalid_transition(&admin.on_campaign(id, refused).await);
    }
    let (status, body) = admin.on_campaign(id, "launch").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "scheduled");
    assert!(
        body["starts_at"].is_string(),
        "launched without a start: starts now"
    );
    assert_invalid_transition(&admin.on_campaign(id, "launch").await);

    let (_, body) = admin.on_campaign(id, "pause").await;
    assert_eq!(body["status"], "paused");
    let (_, body) = admin.on_campaign(id, "resume").await;
    assert_eq!(
        body["status"], "scheduled",
        "it never started, so it is scheduled again"
    );

    let (_, body) = admin.on_campaign(id, "cancel").await;
    assert_eq!(body["status"], "cancelled");
    for refused in ["launch", "pause", "resume", "cancel"] {
        assert_invalid_transition(&admin.on_campaign(id, refused).await);
    }
}

#[tokio::test]
async fn a_paused_campaign_that_had_started_resumes_running() {
    let admin = Admin::start().await;
    let id = admin.draft_campaign().await;
    admin.on_campaign(id, "launch").await;
    // The dispatcher picks recipients and starts sending.
    admin
        .sql(
            "UPDATE campaigns SET status = 'running', recipients_materialised_at = now(),
                    targeted = 3, sent = 2 WHERE id = $1",
            &[&id],
        )
        .await;
    let (_, body) = admin.on_campaign(id, "pause").await;
    assert_eq!(body["status"], "paused");
    assert_eq!(body["counters"]["targeted"], 3);
    assert_eq!(body["counters"]["sent"], 2);
    let (_, body) = admin.on_campaign(id, "resume").await;
    assert_eq!(body["status"], "running");
    assert!(body["started_at"].is_string());

    admin
        .sql(
            "UPDATE campaigns SET status = 'completed' WHERE id = $1",
            &[&id],
        )
        .await;
    assert_invalid_transition(&admin.on_campaign(id, "cancel").await);
}

#[tokio::test]
async fn a_campaign_can_be_edited_until_it_starts() {
    let admin = Admin::start().await;
    let id = admin.draft_campaign().await;
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
    assert_validation_failed(&admin.patch(&uri, json!({"quiet_end": "21:00"})).await);

    admin.on_campaign(id, "launch").await;
    let (status, _) = admin.patch(&uri, json!({"name": "Still editable"})).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a scheduled campaign has not started"
    );

    admin.on_campaign(id, "pause").await;
    assert_conflict(
        &admin.patch(&uri, json!({"name": "Too late"})).await,
        "campaign_not_editable",
    );
}

#[tokio::test]
async fn a_campaign_that_does_not_exist_is_404_on_every_route() {
    let admin = Admin::start().await;
    assert_not_found(&admin.get("/api/campaigns/7").await);
    assert_not_found(&admin.patch("/api/campaigns/7", json!({"name": "x"})).await);
    for action in ["launch", "pause", "resume", "cancel"] {
        assert_not_found(&admin.on_campaign(7, action).await);
    }
}

#[tokio::test]
async fn campaigns_are_listed_page_by_page_and_filtered_by_status() {
    let admin = Admin::start().await;
    let mut all = Vec::new();
    for _ in 0..3 {
        all.push(admin.draft_campaign().await);
    }
    admin.on_campaign(all[1], "launch").await;
    assert_eq!(
        admin.pages("/api/campaigns", 2).await,
        vec![all[0..2].to_vec(), all[2..3].to_vec()]
    );
    let (_, scheduled) = admin.get("/api/campaigns?status=scheduled").await;
    assert_eq!(ids(&scheduled["items"]), vec![all[1]]);
    assert_bad_request(&admin.get("/api/campaigns?status=sleeping").await);
}
