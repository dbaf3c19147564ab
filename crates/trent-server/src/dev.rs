//! Dev mode's controls: reset the whole store, read the clock, move the clock forward. These routes exist only
//! with `--dev`; otherwise they are 404.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use trent_domain::Clock;

use crate::app::AppState;

fn clock_body(state: &AppState) -> serde_json::Value {
    let now = state.clock.now();
    json!({ "now": now.epoch_seconds(), "now_millis": now.0, "wall_millis": state.clock.wall_now().0 })
}

/// `POST /_trent/reset`: wipes every key, alias and record in every account and region.
pub async fn reset(State(state): State<Arc<AppState>>) -> Response {
    match state.service.reset().await {
        Ok(()) => Json(json!({ "reset": true })).into_response(),
        Err(error) => {
            tracing::error!(%error, "reset failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": "reset failed" }))).into_response()
        }
    }
}

/// `GET /_trent/clock`: the lifecycle clock.
pub async fn clock(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(clock_body(&state))
}

/// The body of `POST /_trent/clock`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Advance {
    /// Seconds to move the clock forward; never backward.
    pub advance_seconds: i64,
}

/// `POST /_trent/clock` with `{"advance_seconds": N}`: moves the lifecycle clock forward and wakes the workers.
pub async fn advance_clock(State(state): State<Arc<AppState>>, body: axum::body::Bytes) -> Response {
    let advance: Advance = match serde_json::from_slice(&body) {
        Ok(advance) => advance,
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": "expected {\"advance_seconds\": N} with N a whole number of seconds" })),
            )
                .into_response()
        }
    };
    let Some(millis) = advance.advance_seconds.checked_mul(1000).filter(|m| *m >= 0) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "advance_seconds must be zero or positive; the clock never moves backwards" })),
        )
            .into_response();
    };
    state.clock.advance(millis);
    state.service.clock_moved();
    Json(clock_body(&state)).into_response()
}
