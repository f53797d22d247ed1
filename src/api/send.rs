//! The patient's side: open a transfer code, then send documents with it.

use crate::error::AppError;
use crate::model::send::{DocumentReceipt, SendAccess, SendStatus};
use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

#[server]
pub async fn send_page_access() -> Result<SendAccess, AppError> {
    use crate::server::http::web;
    use crate::server::upload_access;
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
    use crate::server::http::web;
    use crate::server::upload_access;
    web::answer(async {
        let (state, meta) = web::context()?;
        let (status, cookie) = upload_access::open(&state, &meta, &code, proof.as_deref()).await?;
        web::set_cookie(&cookie);
        Ok(status)
    })
    .await
}

/// One document, as multipart field `file`, for the code the upload cookie opens. The
/// page posts its form to this function's URL itself, with an `XMLHttpRequest` (which,
/// unlike `fetch`, reports upload progress); the answer is the receipt, or the error as
/// JSON. The file's size is counted as it streams in.
#[server(input = MultipartFormData, endpoint = "send_document")]
pub async fn send_document(data: MultipartData) -> Result<DocumentReceipt, AppError> {
    use crate::server::http::web;
    use crate::server::upload_access::{self, CodeFrom};
    web::answer(async {
        let (state, meta) = web::context()?;
        let multipart = data.into_inner().ok_or(AppError::BadRequest)?;
        let received = upload_access::receive(&state, &meta, multipart, CodeFrom::Cookie).await?;
        Ok(received.receipt)
    })
    .await
}
