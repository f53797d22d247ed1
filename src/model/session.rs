//! Who is signed in, and where their session stands.

use crate::i18n::Text;
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

/// How a session was opened. Stored in snake case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::AsRefStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum SignIn {
    /// A password alone (the account has no second factor, or owes one).
    Password,
    /// A password, then a second-factor code in this same session.
    SecondFactor,
    /// Pro Santé Connect (e-CPS app or CPS card): strong authentication in itself.
    ProSanteConnect,
}

/// Where a Pro Santé Connect login begins (a link to follow, off to the provider).
pub const PSC_LOGIN_PATH: &str = "/auth/psc/login";
/// Where Pro Santé Connect sends the browser back.
pub const PSC_CALLBACK_PATH: &str = "/auth/psc/callback";

/// How a Pro Santé Connect login or link ended when it did not open a session, as
/// `/login?psc=...` and `/account?psc=...` tell the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::AsRefStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum PscOutcome {
    /// The account is now linked (on the account page).
    Linked,
    /// The provider could not be reached, or its answer did not hold.
    Failed,
    /// The login was cancelled at the provider, or started too long ago.
    Abandoned,
    /// No account is linked to this professional.
    UnknownAccount,
    /// The professional is not a pharmacist (or of a profession the service lets in).
    Profession,
    Disabled,
    /// Too many failed logins from this address.
    Limited,
    /// Another account is linked to this professional.
    AlreadyLinked,
}

impl PscOutcome {
    pub fn text(self) -> Text {
        match self {
            PscOutcome::Linked => Text::PscLinked,
            PscOutcome::Failed => Text::PscFailed,
            PscOutcome::Abandoned => Text::PscAbandoned,
            PscOutcome::UnknownAccount => Text::PscUnknownAccount,
            PscOutcome::Profession => Text::PscProfession,
            PscOutcome::Disabled => Text::PscDisabled,
            PscOutcome::Limited => Text::ErrorRateLimited,
            PscOutcome::AlreadyLinked => Text::PscAlreadyLinked,
        }
    }
}

/// An admin's invitation waiting for the professional Pro Santé Connect vouched for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PscInvitation {
    pub user_id: String,
    /// The name the admin invited them under.
    pub full_name: String,
    pub pharmacy_name: String,
}

/// Where a professional with invitations and no linked account accepts one.
pub const PSC_INVITATIONS_PATH: &str = "/login/invitations";

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
    /// The RPPS number this account signs in with through Pro Santé Connect, if linked.
    pub rpps: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user: CurrentUser,
    pub stage: SessionStage,
    /// This session may link the account to Pro Santé Connect: it was opened with the
    /// password and a second factor, and the account is not linked yet.
    pub may_link_psc: bool,
}
