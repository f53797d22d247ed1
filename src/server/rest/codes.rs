//! `/codes`: pharmacies generate and list transfer codes; patients' clients check one.

use super::ErrorJson;
use super::extract::{Bearer, Body, Meta};
use crate::error::AppError;
use crate::i18n::{Lang, Text};
use crate::model::api_keys::KeyScope;
use crate::model::codes::{CodeStatus, CodeView};
use crate::server::state::AppState;
use crate::server::{transfer_codes, upload_access};
use crate::time_format::iso_8601;
use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub(super) struct CodeJson {
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
pub(super) struct GenerateJson {
    expiration_hours: Option<u32>,
    max_uses: Option<u32>,
    note: Option<String>,
}

/// A new transfer code for the pharmacy.
#[utoipa::path(post, path = "/codes/generate", tag = "codes", request_body = GenerateJson, security(("bearer" = [])),
    responses((status = 200, body = CodeJson), (status = 400, body = ErrorJson), (status = 401, body = ErrorJson),
        (status = 403, body = ErrorJson)))]
pub(super) async fn generate_code(
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
pub(super) struct ValidJson {
    valid: bool,
    message: String,
}

#[derive(Deserialize, IntoParams)]
pub(super) struct CodeQuery {
    code: String,
}

#[derive(Deserialize, IntoParams)]
pub(super) struct ProofQuery {
    /// `challenge:counter`, answering a 429 that carried a `challenge`: SHA-256 of
    /// that text must start with `bits` zero bits. Each challenge serves once.
    pub proof: Option<String>,
}

/// A refusal for too many attempts. While the service's budget of failed code look-ups
/// is spent, it carries a proof-of-work challenge to answer with `proof`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub(super) struct LimitedJson {
    detail: String,
    challenge: Option<String>,
    bits: Option<u8>,
}

/// Whether a patient's code is usable, within the same guessing limits as the page.
#[utoipa::path(post, path = "/codes/validate", tag = "codes", params(CodeQuery, ProofQuery),
    responses((status = 200, body = ValidJson), (status = 400, body = ErrorJson), (status = 429, body = LimitedJson)))]
pub(super) async fn validate_code(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Query(query): Query<CodeQuery>,
    Query(work): Query<ProofQuery>,
) -> Result<Json<ValidJson>, AppError> {
    upload_access::find_usable(&state, &meta, &query.code, work.proof.as_deref()).await?;
    Ok(Json(ValidJson {
        valid: true,
        message: Lang::Fr.text(Text::ApiCodeValid).to_owned(),
    }))
}

/// The pharmacy's codes a patient can still use.
#[utoipa::path(get, path = "/codes/active", tag = "codes", security(("bearer" = [])),
    responses((status = 200, body = Vec<CodeJson>), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson)))]
pub(super) async fn active_codes(
    State(state): State<AppState>,
    bearer: Bearer,
) -> Result<Json<Vec<CodeJson>>, AppError> {
    let codes = transfer_codes::list(&state, bearer.allowed(KeyScope::CodesAndDocuments)?).await?;
    Ok(Json(codes.active.into_iter().map(CodeJson::from).collect()))
}
