//! The domain's campaign rules as the admin API enforces them: a template the
//! sender could not fill is refused when it is written, and every lifecycle
//! command the domain's table forbids is a 409 that leaves the campaign as it
//! was.

use axum::http::StatusCode;
use serde_json::{Value, json};
use smsbot_domain::campaign::{CampaignStatus, Event};

use crate::support::{Admin, assert_invalid_transition, assert_validation_failed, draft};

fn draft_with(template: &str, kind: &str) -> Value {
    let mut body = draft();
    body["template"] = json!(template);
    body["kind"] = json!(kind);
    body
}

/// Asserts a 422 on the template whose message names `placeholder`.
fn assert_template_refused(answer: &(StatusCode, Value), placeholder: &str) {
    assert_validation_failed(answer);
    let message = answer.1["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("template:") && message.contains(&format!("{{{placeholder}}}")),
        "the message should name the template's {{{placeholder}}}: {message}"
    );
}

#[tokio::test]
async fn a_template_with_an_unknown_placeholder_is_refused_with_422_naming_it() {
    let admin = Admin::start().await;
    let answer = admin
        .post("/api/campaigns", draft_with("Hi {bogus}", "broadcast"))
        .await;
    assert_template_refused(&answer, "bogus");
    let (_, list) = admin.get("/api/campaigns").await;
    assert_eq!(list["items"], json!([]), "nothing was stored");
}

#[tokio::test]
async fn appointment_placeholders_are_refused_in_a_broadcast_and_accepted_in_a_reminder() {
    let admin = Admin::start().await;
    let template = "See you {appointment_date} at {appointment_time}";
    let answer = admin
        .post("/api/campaigns", draft_with(template, "broadcast"))
        .await;
    assert_template_refused(&answer, "appointment_date");
    let (status, body) = admin
        .post("/api/campaigns", draft_with(template, "reminder"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn an_edit_cannot_bring_in_a_template_or_kind_the_sender_could_not_fill() {
    let admin = Admin::start().await;
    let id = admin.draft_campaign().await;
    let uri = format!("/api/campaigns/{id}");
    let answer = admin
        .patch(&uri, json!({"template": "Hello {first_name} {surname}"}))
        .await;
    assert_template_refused(&answer, "surname");
    let answer = admin
        .patch(&uri, json!({"template": "Hi {first_name"}))
        .await;
    assert_validation_failed(&answer);

    // A reminder template stays valid only as long as the campaign is a reminder.
    let (status, body) = admin
        .patch(
            &uri,
            json!({"kind": "reminder", "template": "At {appointment_time}"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let answer = admin.patch(&uri, json!({"kind": "broadcast"})).await;
    assert_template_refused(&answer, "appointment_time");
    let (_, read) = admin.get(&uri).await;
    assert_eq!(read["kind"], "reminder");
    assert_eq!(read["template"], "At {appointment_time}");
}

/// A campaign in `status` (set directly: running, completed and paused-after-
/// starting are reached only through the dispatcher).
async fn campaign_in(admin: &Admin, status: CampaignStatus, started: bool) -> i64 {
    let id = admin.draft_campaign().await;
    admin
        .sql(
            "UPDATE campaigns
                SET status = $2,
                    recipients_materialised_at = CASE WHEN $3 THEN now() END
              WHERE id = $1",
            &[&id, &status.as_str(), &started],
        )
        .await;
    id
}

/// Sends `event` to a campaign in `status`; checks the answer against the
/// domain's table: a forbidden command is a 409 that changes nothing.
async fn command_follows_the_table(status: CampaignStatus, started: bool, event: Event) {
    let admin = Admin::start().await;
    let id = campaign_in(&admin, status, started).await;
    let answer = admin.on_campaign(id, event.verb()).await;
    let (_, read) = admin.get(&format!("/api/campaigns/{id}")).await;
    match status.next(started, event) {
        None => {
            assert_invalid_transition(&answer);
            assert_eq!(read["status"], status.as_str(), "unchanged");
        }
        Some(next) => {
            assert_eq!(answer.0, StatusCode::OK, "{}", answer.1);
            assert_eq!(answer.1["status"], next.as_str());
            assert_eq!(read["status"], next.as_str());
        }
    }
}

macro_rules! forbidden {
    ($($name:ident: $event:ident from $status:ident;)+) => {$(
        #[tokio::test]
        async fn $name() {
            let (status, event) = (CampaignStatus::$status, Event::$event);
            for started in [false, true] {
                assert_eq!(status.next(started, event), None, "the table forbids it");
            }
            command_follows_the_table(status, status != CampaignStatus::Draft, event).await;
        }
    )+};
}

forbidden! {
    launching_a_scheduled_campaign_is_409: Launch from Scheduled;
    launching_a_running_campaign_is_409: Launch from Running;
    launching_a_paused_campaign_is_409: Launch from Paused;
    launching_a_completed_campaign_is_409: Launch from Completed;
    launching_a_cancelled_campaign_is_409: Launch from Cancelled;
    pausing_a_draft_is_409: Pause from Draft;
    pausing_a_paused_campaign_is_409: Pause from Paused;
    pausing_a_completed_campaign_is_409: Pause from Completed;
    pausing_a_cancelled_campaign_is_409: Pause from Cancelled;
    resuming_a_draft_is_409: Resume from Draft;
    resuming_a_scheduled_campaign_is_409: Resume from Scheduled;
    resuming_a_running_campaign_is_409: Resume from Running;
    resuming_a_completed_campaign_is_409: Resume from Completed;
    resuming_a_cancelled_campaign_is_409: Resume from Cancelled;
    cancelling_a_completed_campaign_is_409: Cancel from Completed;
    cancelling_a_cancelled_campaign_is_409: Cancel from Cancelled;
}

#[tokio::test]
async fn every_operator_command_from_every_status_does_what_the_domain_table_says() {
    for &status in CampaignStatus::ALL {
        for started in [false, true] {
            if status == CampaignStatus::Draft && started {
                continue; // a draft has never started
            }
            for event in Event::OPERATOR {
                command_follows_the_table(status, started, event).await;
            }
        }
    }
}
