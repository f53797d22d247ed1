//! What patients sent, from the pharmacy's side: list, preview, mark viewed or new,
//! delete. Downloads are a plain GET route (`downloads::download`): see there why.

use crate::error::AppError;
use crate::model::documents::{DocumentFilter, DocumentPage};
use leptos::prelude::*;

/// A page of the pharmacy's documents, newest first, `skip` and `limit` as in the
/// original API.
#[server]
pub async fn list_documents(
    #[server(default)] filter: DocumentFilter,
    skip: u32,
    limit: u32,
) -> Result<DocumentPage, AppError> {
    use crate::server::http::web;
    use crate::server::{documents, session};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        documents::list(&state, &caller, &filter, skip, limit).await
    })
    .await
}

#[server]
pub async fn set_document_viewed(document_id: String, viewed: bool) -> Result<(), AppError> {
    use crate::server::http::web;
    use crate::server::{documents, session};
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
    use crate::server::http::{previews, web};
    use crate::server::session;
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
    use crate::server::http::web;
    use crate::server::{documents, session};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        documents::delete(&state, &caller, &document_ids).await
    })
    .await
}
