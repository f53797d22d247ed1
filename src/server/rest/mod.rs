//! The REST API under `/api/v1`, compatible with the original backend: its routes,
//! methods, JSON shapes and status codes, errors as `{"detail": "..."}`. Every handler
//! calls the same services as the pages: one set of rules.
//!
//! Where the original was wrong, this one differs (and the API documentation says so):
//! ids are random strings, the active-code list leaves out used-up codes, downloads
//! carry safe headers and any file name, and logins return a refresh token too.

mod auth;
mod codes;
mod documents;
pub mod extract;
pub mod service;

use crate::i18n::{Lang, Text};
use crate::server::http::web::RequestMeta;
use crate::server::rate_limit::{self, Limit, address_key};
use crate::server::state::AppState;
use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Middleware: at most `RATE_LIMIT_PER_MINUTE` requests a minute from one client
/// address, counted before the request is served.
pub async fn per_client_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let address = RequestMeta::from_parts(&parts)
        .ip
        .as_deref()
        .map(address_key)
        .unwrap_or_default();
    let limit = Limit {
        scope: "api",
        max: state.settings.rate_limit_per_minute,
        window_secs: 60,
    };
    match rate_limit::take(&state, &[(limit, address.as_str())]).await {
        // Kept: every request counts.
        Ok(_) => next.run(Request::from_parts(parts, body)).await,
        Err(error) => error.into_response(),
    }
}

/// Every error: what went wrong, in French as the original API.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub(super) struct ErrorJson {
    detail: String,
}

#[derive(Serialize, ToSchema)]
pub(super) struct MessageJson {
    message: String,
}

/// A message of the API, in French as the original's.
pub(super) fn message(text: Text) -> Json<MessageJson> {
    Json(MessageJson {
        message: Lang::Fr.text(text).to_owned(),
    })
}

/// Where the OpenAPI document and the documentation page are served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";
pub const DOCS_PATH: &str = "/docs";

#[derive(OpenApi)]
#[openapi(
    info(title = "Santhium API", description = "Patients send prescriptions to their pharmacy; pharmacies read them. \
        Ids are random strings (the original API had integers). Dates are ISO 8601 in UTC. Errors are `{\"detail\": \"...\"}`. \
        While many typed codes fail, /codes/validate and /documents/upload may answer 429 with a `challenge` and `bits`: \
        find a counter such that SHA-256 of `challenge:counter` starts with `bits` zero bits, and send the request again \
        with `?proof=challenge:counter`."),
    servers((url = "/api/v1")),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An access token from /auth/login, or an API key (sk_santhium_...) created by an admin",
                ))
                .build(),
        );
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", scheme);
    }
}

/// The OpenAPI document, built once from the routes.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| routes().1)
}

/// The routes under `/api/v1`, and the OpenAPI document describing exactly them.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(service::root))
        .routes(routes!(service::openapi_json))
        .routes(routes!(service::api_health))
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(codes::generate_code))
        .routes(routes!(codes::validate_code))
        .routes(routes!(codes::active_codes))
        // The file's size is counted as it streams in, against MAX_FILE_SIZE_MB.
        .routes(routes!(documents::upload_document))
        .routes(routes!(documents::list_documents))
        .routes(routes!(documents::download_document))
        .routes(routes!(documents::delete_document))
        .split_for_parts()
}
