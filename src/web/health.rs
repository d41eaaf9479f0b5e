//! `GET /healthz`: 200 `ok` when the database can take writes; 503 with the reason (in Japanese, plain
//! text) when it does not answer, its file was deleted or replaced, or the disk is full — so a load
//! balancer stops sending traffic that would be acknowledged and lost.

use crate::web::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.storage.check(&state.db).await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(problem) => (StatusCode::SERVICE_UNAVAILABLE, problem.health_reason()),
    }
}
