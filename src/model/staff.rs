//! Roles and staff members, as the admin manages them.

use crate::i18n::Text;
use crate::time_format::Tz;
use serde::{Deserialize, Serialize};

/// What a member of a pharmacy's staff may do; stored as `pharmacist` or `admin`, and
/// offered in this order.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::AsRefStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    Pharmacist,
    Admin,
}

impl Role {
    pub fn text(self) -> Text {
        match self {
            Role::Admin => Text::RoleAdmin,
            Role::Pharmacist => Text::RolePharmacist,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    pub id: String,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub is_active: bool,
    pub second_factor_enabled: bool,
    /// Still on the temporary password an admin gave.
    pub must_change_password: bool,
    /// The RPPS number they sign in with through Pro Santé Connect, when linked or invited.
    pub rpps: Option<String>,
    /// Invited by that number, and not yet accepted.
    pub rpps_invited: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffOverview {
    pub members: Vec<StaffMember>,
    pub second_factor_required: bool,
    /// Days the pharmacy keeps a document.
    pub retention_days: u32,
    /// Where arrival emails go, if anywhere.
    pub notification_email: Option<String>,
    /// Whether this server can send email at all.
    pub notifications_available: bool,
    pub time_zone: Tz,
}

/// A created account and its temporary password, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewStaffAccount {
    pub email: String,
    pub temporary_password: String,
    pub expires_at: i64,
}
