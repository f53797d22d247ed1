//! What patients sent, from the pharmacy's side: list, download, preview, mark viewed
//! or new, delete.

use crate::error::AppError;
use crate::model::documents::{DocumentFilter, DocumentPage};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::{ByteStream, GetUrl, Streaming};

/// A page of the pharmacy's documents, newest first, `skip` and `limit` as in the
/// original API.
#[server]
pub async fn list_documents(
    #[server(default)] filter: DocumentFilter,
    skip: u32,
    limit: u32,
) -> Result<DocumentPage, AppError> {
    use crate::server::{documents, session, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        documents::list(&state, &caller, &filter, skip, limit).await
    })
    .await
}

#[server]
pub async fn set_document_viewed(document_id: String, viewed: bool) -> Result<(), AppError> {
    use crate::server::{documents, session, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        documents::set_viewed(&state, &caller, &document_id, viewed).await
    })
    .await
}

/// The address, on the preview origin, that shows the document for a few minutes.
#[server]
pub async fn preview_document(document_id: String) -> Result<String, AppError> {
    use crate::server::{previews, session, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        previews::link(&state, &caller, &document_id).await
    })
    .await
}

/// Deletes documents of the pharmacy; returns how many were deleted.
#[server]
pub async fn delete_documents(document_ids: Vec<String>) -> Result<u64, AppError> {
    use crate::server::{documents, session, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        documents::delete(&state, &caller, &document_ids).await
    })
    .await
}

/// A document of the caller's pharmacy as a file to save, decrypted as it streams. A
/// plain GET link (`download_path`), so it works before the page is hydrated and from
/// "save link as". Another pharmacy's document answers as a missing one; the first
/// download marks it viewed.
#[server(input = GetUrl, output = Streaming, endpoint = "download_document")]
pub async fn download_document(document_id: String) -> Result<ByteStream<AppError>, AppError> {
    use crate::server::downloads::{self, Delivery};
    use crate::server::{session, web};
    use futures::TryStreamExt;
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        let delivered = downloads::deliver(&state, &caller, &document_id, Delivery::Download).await?;
        web::set_headers(delivered.headers);
        Ok(ByteStream::new(delivered.content.map_err(|_| AppError::Internal)))
    })
    .await
}

/// Where document `document_id` downloads.
pub fn download_path(document_id: &str) -> String {
    format!("{}?document_id={document_id}", <DownloadDocument as ServerFn>::PATH)
}
