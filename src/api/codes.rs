//! Transfer codes, from the pharmacist's side: create, list, revoke.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodeStatus {
    Active,
    UsedUp,
    Expired,
    Revoked,
}

/// A code as the pharmacy sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeView {
    pub id: String,
    pub code: String,
    /// Where the QR code leads the patient.
    pub upload_url: String,
    pub note: Option<String>,
    pub max_uses: u32,
    pub current_uses: u32,
    pub expires_at: i64,
    pub created_at: i64,
    pub status: CodeStatus,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferCodes {
    /// The lifetime the form offers first (`CODE_EXPIRATION_HOURS`).
    pub default_lifetime_hours: u32,
    /// Codes a patient can still use.
    pub active: Vec<CodeView>,
    /// Used up, expired or revoked codes.
    pub history: Vec<CodeView>,
}

/// A new code valid `lifetime_hours` for `max_uses` documents, with an optional note.
#[server]
pub async fn create_transfer_code(lifetime_hours: u32, max_uses: u32, note: String) -> Result<CodeView, AppError> {
    use crate::server::{session, transfer_codes, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        transfer_codes::create(&state, &caller, lifetime_hours, max_uses, &note).await
    })
    .await
}

#[server]
pub async fn list_transfer_codes() -> Result<TransferCodes, AppError> {
    use crate::server::{session, transfer_codes, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        transfer_codes::list(&state, &caller).await
    })
    .await
}

#[server]
pub async fn revoke_transfer_code(code_id: String) -> Result<(), AppError> {
    use crate::server::{session, transfer_codes, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        transfer_codes::revoke(&state, &caller, &code_id).await
    })
    .await
}
