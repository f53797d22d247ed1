//! The patient's side: open a transfer code, then send documents with it. Files go to
//! `POST /send/files` (a plain multipart route, so the browser can report upload
//! progress); the rest are server functions.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Where the files go.
pub const UPLOAD_PATH: &str = "/send/files";

/// Why a QR code's link did not open its code, as `/send?link=...` tells the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkRefusal {
    Invalid,
    Limited,
}

impl LinkRefusal {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkRefusal::Invalid => "invalid",
            LinkRefusal::Limited => "limited",
        }
    }

    pub fn parse(value: &str) -> Option<LinkRefusal> {
        [LinkRefusal::Invalid, LinkRefusal::Limited]
            .into_iter()
            .find(|refusal| refusal.as_str() == value)
    }
}

/// What a patient holding an open code may do: nothing else of the code is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendStatus {
    pub pharmacy_name: String,
    /// Documents that can still be sent with the code.
    pub remaining: u32,
    pub expires_at: i64,
    pub max_file_bytes: u64,
    /// Lower-cased, without the dot.
    pub extensions: Vec<String>,
    /// Days the pharmacy keeps a document before it is deleted.
    pub retention_days: u32,
}

/// The send page's state: no code yet, a code that no longer works, or an open one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SendAccess {
    NoCode,
    Closed,
    Open(SendStatus),
}

/// What the patient keeps of one document sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentReceipt {
    /// The reference the pharmacy can find the document by.
    pub reference: String,
    pub filename: String,
    pub size: u64,
    pub received_at: i64,
    /// Of the bytes as they arrived, in lower-case hexadecimal.
    pub sha256: String,
}

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
