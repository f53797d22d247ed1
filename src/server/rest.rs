//! The REST API under `/api/v1`, compatible with the original backend: its routes,
//! methods, JSON shapes and status codes, errors as `{"detail": "..."}`. Every handler
//! calls the same services as the pages: one set of rules.
//!
//! Where the original was wrong, this one differs (and the API documentation says so):
//! ids are random strings, the active-code list leaves out used-up codes, downloads
//! carry safe headers and any file name, and logins return a refresh token too.

use crate::error::AppError;
use crate::i18n::Text;
use crate::model::api_keys::KeyScope;
use crate::model::codes::{CodeStatus, CodeView};
use crate::model::documents::{DocumentFilter, DocumentView, MAX_PAGE};
use crate::server::accounts::{self, Registration};
use crate::server::api_keys;
use crate::server::api_tokens::{self, TokenPair};
use crate::server::downloads::{Delivery, deliver};
use crate::server::rate_limit::{self, Limit, address_key};
use crate::server::session::Staff;
use crate::server::state::AppState;
use crate::server::upload_access::{self, CodeFrom};
use crate::server::web::RequestMeta;
use crate::server::{documents, health, transfer_codes};
use crate::time_format::iso_8601;
use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

/// A JSON body; a malformed one is a 400 with a `detail`, as every other error.
pub struct Body<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Body<T>, AppError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(malformed(&rejection)),
        }
    }
}

fn malformed(rejection: &JsonRejection) -> AppError {
    tracing::debug!(%rejection, "malformed JSON body");
    AppError::invalid("body", Text::MalformedRequest)
}

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

/// What a request proves with its `Authorization: Bearer` header: a login's access
/// token (everything the account may do) or a named API key (its scope).
enum Credential {
    Login { family_id: String },
    Key(KeyScope),
}

/// The member of staff a request acts for, and by which credential.
pub struct Bearer {
    staff: Staff,
    credential: Credential,
}

impl Bearer {
    /// The member of staff, if the credential allows what `needs` names; a key without
    /// it is refused with 403.
    fn allowed(&self, needs: KeyScope) -> Result<&Staff, AppError> {
        match self.credential {
            Credential::Key(scope) if !scope.covers(needs) => Err(AppError::Forbidden),
            _ => Ok(&self.staff),
        }
    }
}

impl FromRequestParts<AppState> for Bearer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Bearer, AppError> {
        let meta = RequestMeta::from_parts(parts);
        let authorization = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if let Some(secret) = authorization
            .and_then(|a| a.strip_prefix("Bearer "))
            .filter(|s| s.starts_with(api_keys::PREFIX))
        {
            let (staff, scope) = api_keys::authenticate(state, &meta, secret.trim())
                .await?
                .ok_or(AppError::Unauthorized)?;
            api_tokens::owes_nothing(&staff)?;
            return Ok(Bearer {
                staff,
                credential: Credential::Key(scope),
            });
        }
        let (staff, family_id) = api_tokens::bearer(state, &meta, authorization).await?;
        api_tokens::owes_nothing(&staff)?;
        Ok(Bearer {
            staff,
            credential: Credential::Login { family_id },
        })
    }
}

struct Meta(RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Meta, AppError> {
        Ok(Meta(RequestMeta::from_parts(parts)))
    }
}

/// Every error: what went wrong, in French as the original API.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
struct ErrorJson {
    detail: String,
}

#[derive(Serialize, ToSchema)]
struct MessageJson {
    message: String,
}

fn message(text: &str) -> Json<MessageJson> {
    Json(MessageJson {
        message: text.to_owned(),
    })
}

#[derive(Serialize, ToSchema)]
struct UserJson {
    id: String,
    email: String,
    full_name: String,
    pharmacy_id: String,
}

#[derive(Serialize, ToSchema)]
struct TokenJson {
    access_token: String,
    token_type: &'static str,
    /// Seconds the access token lives.
    expires_in: i64,
    refresh_token: String,
    user: UserJson,
}

fn token_json(pair: TokenPair, staff: &Staff) -> Json<TokenJson> {
    Json(TokenJson {
        access_token: pair.access_token,
        token_type: "bearer",
        expires_in: pair.expires_in,
        refresh_token: pair.refresh_token,
        user: UserJson {
            id: staff.user.id.clone(),
            email: staff.user.email.clone(),
            full_name: staff.user.full_name.clone(),
            pharmacy_id: staff.pharmacy.id.clone(),
        },
    })
}

#[derive(Deserialize, ToSchema)]
struct RegisterJson {
    email: String,
    password: String,
    pharmacy_name: Option<String>,
    full_name: Option<String>,
}

/// A new pharmacy and its admin, signed in.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterJson,
    responses((status = 200, body = TokenJson), (status = 400, body = ErrorJson)))]
async fn register(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Body(form): Body<RegisterJson>,
) -> Result<Response, AppError> {
    // The original took only an email and a password; the names then default to it.
    let full_name = form.full_name.unwrap_or_else(|| form.email.clone());
    let pharmacy_name = form.pharmacy_name.unwrap_or_else(|| form.email.clone());
    let registration = Registration {
        pharmacy_name: &pharmacy_name,
        address: "",
        full_name: &full_name,
        email: &form.email,
        password: &form.password,
    };
    let admin = accounts::register_pharmacy(&state, &meta, registration).await?;
    let pair = api_tokens::login(&state, &admin).await?;
    Ok(token_json(pair, &admin).into_response())
}

#[derive(Deserialize, ToSchema)]
struct LoginJson {
    email: String,
    password: String,
    /// The authenticator's code (or a recovery code), for accounts with a second factor.
    totp: Option<String>,
}

/// Tokens for an account's email and password (and second factor).
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginJson,
    responses((status = 200, body = TokenJson), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson),
        (status = 429, body = ErrorJson)))]
async fn login(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Body(form): Body<LoginJson>,
) -> Result<Response, AppError> {
    let staff = accounts::authenticate(&state, &meta, &form.email, &form.password).await?;
    if staff.user.totp_secret.is_some() {
        let code = form.totp.as_deref().unwrap_or_default();
        // A wrong or missing code is refused like a wrong password; a limit or an
        // outage keeps its own status.
        accounts::accept_second_factor(&state, &staff, &meta, code)
            .await
            .map_err(|error| match error {
                AppError::Invalid { .. } | AppError::Forbidden => AppError::InvalidCredentials,
                other => other,
            })?;
    }
    let pair = api_tokens::login(&state, &staff).await?;
    Ok(token_json(pair, &staff).into_response())
}

#[derive(Deserialize, ToSchema)]
struct RefreshJson {
    refresh_token: String,
}

/// A new pair of tokens for a refresh token, which is used up.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshJson,
    responses((status = 200, body = TokenJson), (status = 401, body = ErrorJson)))]
async fn refresh(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Body(form): Body<RefreshJson>,
) -> Result<Response, AppError> {
    let (pair, staff) = api_tokens::refresh(&state, &meta, &form.refresh_token).await?;
    Ok(token_json(pair, &staff).into_response())
}

/// Revokes the tokens of this login.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MessageJson), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson)))]
async fn logout(State(state): State<AppState>, bearer: Bearer) -> Result<Json<MessageJson>, AppError> {
    match &bearer.credential {
        Credential::Login { family_id } => api_tokens::logout(&state, &bearer.staff, family_id).await?,
        // A key is revoked by an admin in the dashboard, not by logging out.
        Credential::Key(_) => return Err(AppError::Forbidden),
    }
    Ok(message("Déconnecté"))
}

#[derive(Serialize, ToSchema)]
struct CodeJson {
    id: String,
    code: String,
    expiration_date: String,
    max_uses: u32,
    current_uses: u32,
    is_active: bool,
    created_at: String,
    note: Option<String>,
    upload_url: String,
}

impl From<CodeView> for CodeJson {
    fn from(code: CodeView) -> CodeJson {
        CodeJson {
            is_active: code.status == CodeStatus::Active,
            id: code.id,
            code: code.code,
            expiration_date: iso_8601(code.expires_at),
            max_uses: code.max_uses,
            current_uses: code.current_uses,
            created_at: iso_8601(code.created_at),
            note: code.note,
            upload_url: code.upload_url,
        }
    }
}

#[derive(Deserialize, ToSchema)]
struct GenerateJson {
    expiration_hours: Option<u32>,
    max_uses: Option<u32>,
    note: Option<String>,
}

/// A new transfer code for the pharmacy.
#[utoipa::path(post, path = "/codes/generate", tag = "codes", request_body = GenerateJson, security(("bearer" = [])),
    responses((status = 200, body = CodeJson), (status = 400, body = ErrorJson), (status = 401, body = ErrorJson),
        (status = 403, body = ErrorJson)))]
async fn generate_code(
    State(state): State<AppState>,
    bearer: Bearer,
    Body(form): Body<GenerateJson>,
) -> Result<Json<CodeJson>, AppError> {
    let hours = form.expiration_hours.unwrap_or(state.settings.code_expiration_hours);
    let note = form.note.unwrap_or_default();
    let staff = bearer.allowed(KeyScope::CodesAndDocuments)?;
    let code = transfer_codes::create(&state, staff, hours, form.max_uses.unwrap_or(1), &note).await?;
    Ok(Json(code.into()))
}

#[derive(Serialize, ToSchema)]
struct ValidJson {
    valid: bool,
    message: String,
}

#[derive(Deserialize, IntoParams)]
struct CodeQuery {
    code: String,
}

#[derive(Deserialize, IntoParams)]
struct ProofQuery {
    /// `challenge:counter`, answering a 429 that carried a `challenge`: SHA-256 of
    /// that text must start with `bits` zero bits. Each challenge serves once.
    proof: Option<String>,
}

/// A refusal for too many attempts. While the service's budget of failed code look-ups
/// is spent, it carries a proof-of-work challenge to answer with `proof`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
struct LimitedJson {
    detail: String,
    challenge: Option<String>,
    bits: Option<u8>,
}

/// Whether a patient's code is usable, within the same guessing limits as the page.
#[utoipa::path(post, path = "/codes/validate", tag = "codes", params(CodeQuery, ProofQuery),
    responses((status = 200, body = ValidJson), (status = 400, body = ErrorJson), (status = 429, body = LimitedJson)))]
async fn validate_code(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Query(query): Query<CodeQuery>,
    Query(work): Query<ProofQuery>,
) -> Result<Json<ValidJson>, AppError> {
    upload_access::find_usable(&state, &meta, &query.code, work.proof.as_deref()).await?;
    Ok(Json(ValidJson {
        valid: true,
        message: "Code valide".to_owned(),
    }))
}

/// The pharmacy's codes a patient can still use.
#[utoipa::path(get, path = "/codes/active", tag = "codes", security(("bearer" = [])),
    responses((status = 200, body = Vec<CodeJson>), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson)))]
async fn active_codes(State(state): State<AppState>, bearer: Bearer) -> Result<Json<Vec<CodeJson>>, AppError> {
    let codes = transfer_codes::list(&state, bearer.allowed(KeyScope::CodesAndDocuments)?).await?;
    Ok(Json(codes.active.into_iter().map(CodeJson::from).collect()))
}

#[derive(Serialize, ToSchema)]
struct DocumentJson {
    id: String,
    filename: String,
    original_filename: String,
    file_size: u64,
    file_type: String,
    uploaded_at: String,
    is_viewed: bool,
    code_id: Option<String>,
}

impl From<DocumentView> for DocumentJson {
    fn from(document: DocumentView) -> DocumentJson {
        DocumentJson {
            // The stored name is the id: nothing of the original name reaches the disk.
            filename: document.id.clone(),
            id: document.id,
            original_filename: document.filename,
            file_size: document.size,
            file_type: document.mime_type,
            uploaded_at: iso_8601(document.received_at),
            is_viewed: document.viewed_at.is_some(),
            code_id: document.code_id,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct DocumentListJson {
    documents: Vec<DocumentJson>,
    /// Documents of the pharmacy, on every page.
    total: u64,
}

#[derive(Deserialize, IntoParams)]
struct Page {
    skip: Option<u32>,
    limit: Option<u32>,
}

/// The pharmacy's documents, newest first.
#[utoipa::path(get, path = "/documents", tag = "documents", params(Page), security(("bearer" = [])),
    responses((status = 200, body = DocumentListJson), (status = 401, body = ErrorJson)))]
async fn list_documents(
    State(state): State<AppState>,
    bearer: Bearer,
    Query(page): Query<Page>,
) -> Result<Json<DocumentListJson>, AppError> {
    let skip = page.skip.unwrap_or(0);
    let limit = page.limit.unwrap_or(MAX_PAGE);
    let staff = bearer.allowed(KeyScope::ReadDocuments)?;
    let listed = documents::list(&state, staff, &DocumentFilter::default(), skip, limit).await?;
    let documents = listed.documents.into_iter().map(DocumentJson::from).collect();
    Ok(Json(DocumentListJson {
        documents,
        total: listed.total,
    }))
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
struct UploadForm {
    /// The transfer code, before the file.
    code: String,
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// A patient's file with its code (multipart fields `code`, then `file`).
#[utoipa::path(post, path = "/documents/upload", tag = "documents", params(ProofQuery),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = DocumentJson), (status = 400, body = ErrorJson), (status = 413, body = ErrorJson),
        (status = 429, body = LimitedJson)))]
async fn upload_document(
    State(state): State<AppState>,
    Query(work): Query<ProofQuery>,
    request: Request,
) -> Result<Json<DocumentJson>, AppError> {
    let from = CodeFrom::Field {
        proof: work.proof.as_deref(),
    };
    let received = upload_access::receive_upload(&state, request, from).await?;
    Ok(Json(DocumentJson {
        filename: received.id.clone(),
        id: received.id,
        original_filename: received.receipt.filename,
        file_size: received.receipt.size,
        file_type: received.mime_type.to_owned(),
        uploaded_at: iso_8601(received.receipt.received_at),
        is_viewed: false,
        code_id: Some(received.code_id),
    }))
}

/// The decrypted file, as an attachment.
#[utoipa::path(get, path = "/documents/{id}/download", tag = "documents", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 401, body = ErrorJson),
        (status = 404, body = ErrorJson)))]
async fn download_document(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    deliver(
        &state,
        bearer.allowed(KeyScope::ReadDocuments)?,
        &id,
        Delivery::Download,
    )
    .await
}

/// Deletes a document: its key and its content.
#[utoipa::path(delete, path = "/documents/{id}", tag = "documents", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = MessageJson), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson),
        (status = 404, body = ErrorJson)))]
async fn delete_document(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<Json<MessageJson>, AppError> {
    let staff = bearer.allowed(KeyScope::CodesAndDocuments)?;
    if documents::delete(&state, staff, std::slice::from_ref(&id)).await? == 0 {
        return Err(AppError::NotFound);
    }
    Ok(message("Document supprimé avec succès"))
}

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
        message: "Bienvenue sur l'API Santhium",
        name: "Santhium",
        version: env!("CARGO_PKG_VERSION"),
        documentation: DOCS_PATH,
    })
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
struct HealthJson {
    status: String,
    service: String,
    database: String,
}

/// Whether the service and its database answer (503 when the database does not).
#[utoipa::path(get, path = "/health", tag = "service",
    responses((status = 200, body = HealthJson), (status = 503, body = HealthJson)))]
async fn api_health(state: State<sqlx::AnyPool>) -> Response {
    health::health(state).await
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

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "service",
    responses((status = 200, description = "The OpenAPI 3 document of this API", content_type = "application/json")))]
async fn openapi_json() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(openapi())
}

/// The routes under `/api/v1`, and the OpenAPI document describing exactly them.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(root))
        .routes(routes!(openapi_json))
        .routes(routes!(api_health))
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(generate_code))
        .routes(routes!(validate_code))
        .routes(routes!(active_codes))
        // The file's size is counted as it streams in, against MAX_FILE_SIZE_MB.
        .routes(routes!(upload_document).layer(DefaultBodyLimit::disable()))
        .routes(routes!(list_documents))
        .routes(routes!(download_document))
        .routes(routes!(delete_document))
        .split_for_parts()
}
