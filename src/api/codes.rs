//! Transfer codes, from the pharmacist's side: create, list, revoke.

use crate::error::AppError;
use crate::model::codes::{CodeView, TransferCodes};
use leptos::prelude::*;

/// A new code valid `lifetime_hours` for `max_uses` documents, with an optional note.
#[server]
pub async fn create_transfer_code(lifetime_hours: u32, max_uses: u32, note: String) -> Result<CodeView, AppError> {
    use crate::server::http::web;
    use crate::server::{session, transfer_codes};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        transfer_codes::create(&state, &caller, lifetime_hours, max_uses, &note).await
    })
    .await
}

#[server]
pub async fn list_transfer_codes() -> Result<TransferCodes, AppError> {
    use crate::server::http::web;
    use crate::server::{session, transfer_codes};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        transfer_codes::list(&state, &caller).await
    })
    .await
}

#[server]
pub async fn revoke_transfer_code(code_id: String) -> Result<(), AppError> {
    use crate::server::http::web;
    use crate::server::{session, transfer_codes};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        transfer_codes::revoke(&state, &caller, &code_id).await
    })
    .await
}
