//! `GET /health`: the original backend's answer, plus a real database round trip.

use crate::error::AppError;
use crate::i18n::Lang;
use crate::server::db;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sqlx::AnyPool;

const SERVICE: &str = "santhium-api";

pub async fn health(State(pool): State<AnyPool>) -> Response {
    let response = match db::ping(&pool).await.map_err(AppError::from) {
        Ok(()) => {
            Json(serde_json::json!({ "status": "healthy", "service": SERVICE, "database": "ok" })).into_response()
        }
        Err(error) => (
            error.status(),
            Json(serde_json::json!({
                "status": "unhealthy",
                "service": SERVICE,
                "database": "unavailable",
                "detail": error.message(Lang::Fr),
            })),
        )
            .into_response(),
    };
    ([(header::CACHE_CONTROL, "no-store")], response).into_response()
}
