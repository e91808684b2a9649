//! `GET /api/health`: can the system do its work right now?
//!
//! Owns probing PostgreSQL (a query on `contacts`) and DynamoDB (describing the
//! idempotency table the webhook claims messages in), each with a short timeout.
//!
//! This route is public (no API key), on purpose: load balancers, uptime monitors
//! and the deploy smoke test must be able to call it without holding the admin
//! secret, and it reveals nothing but "ok"/"down" per dependency: no data, no
//! versions, no error text. Both probes are single cheap calls, and API Gateway's
//! throttling bounds how often an anonymous caller can make them. Must not return
//! error details: they go to the log.

use std::future::Future;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AdminState;

pub const PATH: &str = "/api/health";

/// How long one probe may take before its dependency counts as down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = HealthStatus)]
pub enum Overall {
    Green,
    Red,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DependencyStatus)]
pub enum Part {
    Ok,
    Down,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: Overall,
    pub db: Part,
    pub dynamodb: Part,
}

/// Health of the database and DynamoDB (public: no API key needed).
#[utoipa::path(
    get,
    path = "/api/health",
    tag = "health",
    responses(
        (status = 200, description = "Everything is up", body = Health,
         example = json!({"status": "green", "db": "ok", "dynamodb": "ok"})),
        (status = 503, description = "A dependency is down", body = Health,
         example = json!({"status": "red", "db": "down", "dynamodb": "ok"})),
    )
)]
pub async fn check(State(state): State<AdminState>) -> (StatusCode, Json<Health>) {
    let (db, dynamodb) = tokio::join!(
        probe("db", async {
            let client = state.pool.get().await.map_err(|e| e.to_string())?;
            smsbot_store::contacts::probe(&client)
                .await
                .map_err(|e| e.to_string())
        }),
        probe("dynamodb", async {
            state
                .dynamodb
                .describe_table()
                .table_name(&state.idempotency_table)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())
        }),
    );
    let green = db == Part::Ok && dynamodb == Part::Ok;
    let (status, overall) = if green {
        (StatusCode::OK, Overall::Green)
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Overall::Red)
    };
    (
        status,
        Json(Health {
            status: overall,
            db,
            dynamodb,
        }),
    )
}

async fn probe(name: &'static str, check: impl Future<Output = Result<(), String>>) -> Part {
    match tokio::time::timeout(PROBE_TIMEOUT, check).await {
        Ok(Ok(())) => Part::Ok,
        Ok(Err(cause)) => {
            tracing::error!(dependency = name, %cause, "health probe failed");
            Part::Down
        }
        Err(_) => {
            tracing::error!(
                dependency = name,
                timeout_ms = PROBE_TIMEOUT.as_millis() as u64,
                "health probe timed out"
            );
            Part::Down
        }
    }
}
