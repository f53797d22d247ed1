//! `GET /health`: the original backend's answer, plus a real round trip to the database
//! and to the document store; 503 naming the one that does not answer.

use crate::error::AppError;
use crate::i18n::Lang;
use crate::server::db;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

const SERVICE: &str = "santhium-api";

fn answer(ok: bool) -> &'static str {
    if ok { "ok" } else { "unavailable" }
}

pub async fn health(State(state): State<AppState>) -> Response {
    let (database, storage) = tokio::join!(db::ping(&state.db), state.blobs.ping());
    if let Err(error) = &database {
        tracing::error!(%error, "health: the database does not answer");
    }
    if let Err(error) = &storage {
        tracing::error!(%error, "health: the document store does not answer");
    }
    let healthy = database.is_ok() && storage.is_ok();
    let mut body = serde_json::json!({
        "status": if healthy { "healthy" } else { "unhealthy" },
        "service": SERVICE,
        "database": answer(database.is_ok()),
        "storage": answer(storage.is_ok()),
    });
    let status = if healthy {
        StatusCode::OK
    } else {
        body["detail"] = AppError::Unavailable.message(Lang::Fr).into();
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}
