//! What crosses the wire between browser and server: shared types, and the server
//! functions the pages call. Each server function authenticates and authorises itself,
//! then hands over to a service in `server::`.

pub mod account;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod codes;
pub mod documents;
pub mod send;
pub mod staff;

use crate::i18n::Text;
use serde::{Deserialize, Serialize};

/// What a member of a pharmacy's staff may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Admin,
    Pharmacist,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Pharmacist, Role::Admin];

    /// How the role is stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Pharmacist => "pharmacist",
        }
    }

    pub fn from_stored(value: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == value)
    }

    pub fn text(self) -> Text {
        match self {
            Role::Admin => Text::RoleAdmin,
            Role::Pharmacist => Text::RolePharmacist,
        }
    }
}

/// Where a signed-in session stands, which decides the page it may see next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStage::SecondFactor => "second_factor",
            SessionStage::ChangePassword => "change_password",
            SessionStage::EnrolSecondFactor => "enrol_second_factor",
            SessionStage::Active => "active",
        }
    }

    pub fn from_stored(value: &str) -> Option<SessionStage> {
        [
            SessionStage::SecondFactor,
            SessionStage::ChangePassword,
            SessionStage::EnrolSecondFactor,
            SessionStage::Active,
        ]
        .into_iter()
        .find(|stage| stage.as_str() == value)
    }

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
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user: CurrentUser,
    pub stage: SessionStage,
}
