//! What users see of their own account: their sessions and a second factor being set up.

use serde::{Deserialize, Serialize};

/// One of the user's signed-in sessions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: String,
    /// Browser and system, from the user agent, when recognised.
    pub device: Option<String>,
    pub ip: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// The session making this request.
    pub current: bool,
}

/// A second factor being set up: the key for the QR code and for typing by hand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    pub secret_text: String,
    pub otpauth_uri: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorEnabled {
    /// Shown once; only hashes are kept.
    pub recovery_codes: Vec<String>,
}
