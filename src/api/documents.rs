//! What patients sent, from the pharmacy's side: list, preview, mark viewed or new,
//! delete. Downloads go through `GET /documents/{id}/download`, a plain link.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Most documents a page lists.
pub const MAX_PAGE: u32 = 100;

/// A received document as the pharmacy sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentView {
    pub id: String,
    /// The reference on the patient's receipt.
    pub reference: String,
    pub filename: String,
    pub mime_type: String,
    pub size: u64,
    pub received_at: i64,
    /// The code it came with, while that code is kept.
    pub code_id: Option<String>,
    pub code: Option<String>,
    pub note: Option<String>,
    pub viewed_at: Option<i64>,
    pub viewed_by: Option<String>,
    pub deletion_date: i64,
}

impl DocumentView {
    pub fn download_path(&self) -> String {
        format!("/documents/{}/download", self.id)
    }
}

/// Which documents to list: `viewed` true or false keeps only viewed or new ones; the
/// dates are Unix seconds, `search` part of a file name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentFilter {
    pub viewed: Option<bool>,
    pub code_id: Option<String>,
    pub received_from: Option<i64>,
    pub received_before: Option<i64>,
    pub search: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentPage {
    pub documents: Vec<DocumentView>,
    /// Documents matching the filter, on every page.
    pub total: u64,
    /// Documents of the pharmacy not viewed yet, whatever the filter.
    pub new_count: u64,
    /// Whether the server shows previews (it has a preview origin).
    pub previews: bool,
}

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
