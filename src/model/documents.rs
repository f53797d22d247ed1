//! Received documents as the pharmacy sees them: views, filters, pages.

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
    /// The pages the server put together into this PDF, when it did.
    pub page_count: Option<u32>,
    /// The texts of the QR codes found in it (an electronic prescription's number).
    pub qr_codes: Vec<String>,
    /// The code it came with, while that code is kept.
    pub code_id: Option<String>,
    pub code: Option<String>,
    pub note: Option<String>,
    pub viewed_at: Option<i64>,
    pub viewed_by: Option<String>,
    pub deletion_date: i64,
}

/// Where document `document_id` downloads: a plain link, which works before the page is
/// hydrated and from "save link as".
pub fn download_path(document_id: &str) -> String {
    format!("/documents/{document_id}/download")
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
