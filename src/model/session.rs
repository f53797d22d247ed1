//! Who is signed in, and where their session stands.

use crate::model::staff::Role;
use crate::time_format::Tz;
use serde::{Deserialize, Serialize};

/// Where a signed-in session stands, which decides the page it may see next.
/// Stored in snake case (`second_factor`...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, strum::AsRefStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum SessionStage {
    /// The password was right; a TOTP or recovery code is still due.
    SecondFactor,
    /// The password is a temporary one and must be replaced first.
    ChangePassword,
    /// The pharmacy requires a second factor that this user has not set up yet.
    EnrolSecondFactor,
    Active,
}

impl SessionStage {
    /// The page where a session at this stage continues.
    pub fn next_path(self) -> &'static str {
        match self {
            SessionStage::SecondFactor => "/login",
            SessionStage::ChangePassword => "/account/password",
            SessionStage::EnrolSecondFactor => "/account/second-factor",
            SessionStage::Active => "/dashboard",
        }
    }
}

/// The signed-in user, as pages show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: String,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub pharmacy_name: String,
    pub second_factor_enabled: bool,
    pub second_factor_required: bool,
    /// The pharmacy's: pages show times in it.
    pub time_zone: Tz,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user: CurrentUser,
    pub stage: SessionStage,
}
