//! The patient's side: what an open code allows, and the receipt of each document sent.

use crate::time_format::Tz;
use serde::{Deserialize, Serialize};

/// Why a QR code's link did not open its code, as `/send?link=...` tells the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::AsRefStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum LinkRefusal {
    Invalid,
    Limited,
}

/// What a patient holding a code may do, and what this browser sent with it: nothing
/// else of the code is shown.
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
    /// The pharmacy's: the page shows times in it.
    pub time_zone: Tz,
    /// What this browser sent with the code already, oldest first.
    pub sent: Vec<DocumentReceipt>,
}

/// The send page's state: no code yet, a code that no longer works, an open one, or
/// one that can send no more after this browser sent documents with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SendAccess {
    NoCode,
    Closed,
    Open(SendStatus),
    Sent(SendStatus),
}

/// What the patient keeps of one document sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentReceipt {
    /// The reference the pharmacy can find the document by.
    pub reference: String,
    pub filename: String,
    pub size: u64,
    pub received_at: i64,
    /// Of the bytes as they arrived, in lower-case hexadecimal; for pages the server
    /// put together, of the PDF it stored.
    pub sha256: String,
    /// The pages the server put together into one PDF, when it did.
    pub page_count: Option<u32>,
}
