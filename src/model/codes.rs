//! Transfer codes as the pharmacy sees them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodeStatus {
    Active,
    UsedUp,
    Expired,
    Revoked,
}

/// A code as the pharmacy sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeView {
    pub id: String,
    pub code: String,
    /// Where the QR code leads the patient.
    pub upload_url: String,
    /// Where the patient can type the code instead, as printed: `pharmacie.fr/send`.
    pub send_address: String,
    pub note: Option<String>,
    pub max_uses: u32,
    pub current_uses: u32,
    pub expires_at: i64,
    pub created_at: i64,
    pub status: CodeStatus,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferCodes {
    /// The lifetime the form offers first (`CODE_EXPIRATION_HOURS`).
    pub default_lifetime_hours: u32,
    /// Codes a patient can still use.
    pub active: Vec<CodeView>,
    /// Used up, expired or revoked codes.
    pub history: Vec<CodeView>,
}
