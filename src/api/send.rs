//! The patient's side: open a transfer code, then send documents with it. Files go to
//! `POST /send/files` (a plain multipart route, so the browser can report upload
//! progress); the rest are server functions.

use crate::error::AppError;
use crate::model::send::{SendAccess, SendStatus};
use leptos::prelude::*;

#[server]
pub async fn send_page_access() -> Result<SendAccess, AppError> {
    use crate::server::{upload_access, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        upload_access::access(&state, &meta).await
    })
    .await
}

/// Opens the code a patient typed (any case, spaces and dashes allowed). `proof` is the
/// answer to a `ProofOfWorkRequired` refusal, when one came.
#[server]
pub async fn open_transfer_code(code: String, proof: Option<String>) -> Result<SendStatus, AppError> {
    use crate::server::{upload_access, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let (status, cookie) = upload_access::open(&state, &meta, &code, proof.as_deref()).await?;
        web::set_cookie(&cookie);
        Ok(status)
    })
    .await
}
