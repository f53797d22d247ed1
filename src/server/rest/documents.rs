//! `/documents`: patients' clients upload with a code; pharmacies list, download and
//! delete.

use super::codes::{LimitedJson, ProofQuery};
use super::extract::Bearer;
use super::{ErrorJson, MessageJson, message};
use crate::error::AppError;
use crate::i18n::Text;
use crate::model::api_keys::KeyScope;
use crate::model::documents::{DocumentFilter, DocumentView, MAX_PAGE};
use crate::server::documents;
use crate::server::downloads::{Delivery, deliver};
use crate::server::state::AppState;
use crate::server::upload_access::{self, CodeFrom};
use crate::time_format::iso_8601;
use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::request::Parts;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub(super) struct DocumentJson {
    id: String,
    filename: String,
    original_filename: String,
    file_size: u64,
    file_type: String,
    uploaded_at: String,
    is_viewed: bool,
    code_id: Option<String>,
    /// Pages the server put together into this PDF (`combine=true`), when it did.
    page_count: Option<u32>,
    /// The texts of the QR codes found in it (an electronic prescription's number);
    /// empty when none.
    qr_codes: Vec<String>,
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
            page_count: document.page_count,
            qr_codes: document.qr_codes,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(super) struct DocumentListJson {
    documents: Vec<DocumentJson>,
    /// Documents of the pharmacy, on every page.
    total: u64,
}

#[derive(Deserialize, IntoParams)]
pub(super) struct Page {
    skip: Option<u32>,
    limit: Option<u32>,
}

/// The pharmacy's documents, newest first.
#[utoipa::path(get, path = "/documents", tag = "documents", params(Page), security(("bearer" = [])),
    responses((status = 200, body = DocumentListJson), (status = 401, body = ErrorJson)))]
pub(super) async fn list_documents(
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
pub(super) struct UploadForm {
    /// The transfer code, before the file.
    code: String,
    /// `true`, before the files: every `file` field that follows is a page (JPEG or PNG,
    /// at most 20), and the pages become one PDF document.
    combine: Option<String>,
    /// With `combine`, before the files: the document's name (".pdf" is added);
    /// "Ordonnance.pdf" without it.
    name: Option<String>,
    /// The file; with `combine`, repeated, one field a page, in order.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// A patient's file with its code (multipart fields `code`, then `file`); or photos as
/// the pages of one PDF (`code`, `combine=true`, optionally `name`, then one `file` a page).
#[utoipa::path(post, path = "/documents/upload", tag = "documents", params(ProofQuery),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = DocumentJson), (status = 400, body = ErrorJson), (status = 413, body = ErrorJson),
        (status = 429, body = LimitedJson)))]
pub(super) async fn upload_document(
    State(state): State<AppState>,
    Query(work): Query<ProofQuery>,
    request: Request,
) -> Result<Json<DocumentJson>, AppError> {
    let from = CodeFrom::Field {
        proof: work.proof.as_deref(),
    };
    let (meta, multipart) = upload_access::multipart(request)?;
    let received = upload_access::receive(&state, &meta, multipart, from).await?;
    Ok(Json(DocumentJson {
        filename: received.id.clone(),
        id: received.id,
        original_filename: received.receipt.filename,
        file_size: received.receipt.size,
        file_type: received.mime_type.to_owned(),
        uploaded_at: iso_8601(received.receipt.received_at),
        is_viewed: false,
        code_id: Some(received.code_id),
        page_count: received.receipt.page_count,
        qr_codes: received.qr_codes,
    }))
}

/// The decrypted file, as an attachment.
#[utoipa::path(get, path = "/documents/{id}/download", tag = "documents", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, description = "The byte range asked for with `Range`", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 401, body = ErrorJson), (status = 404, body = ErrorJson),
        (status = 416, description = "The range is outside the document")))]
pub(super) async fn download_document(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    request: Parts,
) -> Result<Response, AppError> {
    let staff = bearer.allowed(KeyScope::ReadDocuments)?;
    deliver(&state, staff, &id, Delivery::Download, &request).await
}

/// Deletes a document: its key and its content.
#[utoipa::path(delete, path = "/documents/{id}", tag = "documents", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = MessageJson), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson),
        (status = 404, body = ErrorJson)))]
pub(super) async fn delete_document(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<Json<MessageJson>, AppError> {
    let staff = bearer.allowed(KeyScope::CodesAndDocuments)?;
    if documents::delete(&state, staff, std::slice::from_ref(&id)).await? == 0 {
        return Err(AppError::NotFound);
    }
    Ok(message(Text::ApiDocumentDeleted))
}
