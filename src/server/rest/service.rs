//! What the API is, whether it is up, and its OpenAPI document.

use super::{DOCS_PATH, openapi};
use crate::i18n::{Lang, Text};
use crate::server::health;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct RootJson {
    message: &'static str,
    name: &'static str,
    version: &'static str,
    /// Where the human-readable documentation is.
    documentation: &'static str,
}

/// What this API is and where its documentation is.
#[utoipa::path(get, path = "/", tag = "service", responses((status = 200, body = RootJson)))]
pub async fn root() -> Json<RootJson> {
    Json(RootJson {
        message: Lang::Fr.text(Text::ApiWelcome),
        name: "Santhium",
        version: env!("CARGO_PKG_VERSION"),
        documentation: DOCS_PATH,
    })
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub(super) struct HealthJson {
    status: String,
    service: String,
    database: String,
    storage: String,
}

/// Whether the service, its database and its document store answer (503 when one does not).
#[utoipa::path(get, path = "/health", tag = "service",
    responses((status = 200, body = HealthJson), (status = 503, body = HealthJson)))]
pub(super) async fn api_health(state: State<AppState>) -> Response {
    health::health(state).await
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "service",
    responses((status = 200, description = "The OpenAPI 3 document of this API", content_type = "application/json")))]
pub(super) async fn openapi_json() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(openapi())
}
