//! The audit trail as the admin reads it: events, filters, pages, and the CSV export's address.

use crate::i18n::{Lang, Text};
use serde::{Deserialize, Serialize};

pub const EXPORT_PATH: &str = "/audit/export.csv";

/// Every action the trail records, stored in snake case (`login_failed`...); the audit
/// page offers them in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::AsRefStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Action {
    PharmacyRegistered,
    LoginSucceeded,
    /// Signed in with Pro Santé Connect.
    LoginPsc,
    LoginFailed,
    Logout,
    /// An account linked to a Pro Santé Connect identity, or unlinked from it.
    PscLinked,
    PscUnlinked,
    SecondFactorEnrolled,
    SecondFactorRemoved,
    RecoveryCodeUsed,
    PasswordChanged,
    SessionEnded,
    UserCreated,
    UserDisabled,
    UserEnabled,
    RoleChanged,
    SecondFactorRequirementChanged,
    CodeCreated,
    CodeRevoked,
    DocumentReceived,
    DocumentDownloaded,
    DocumentPreviewed,
    DocumentMarkedViewed,
    DocumentMarkedNew,
    DocumentDeleted,
    RetentionChanged,
    NotificationEmailChanged,
    TimeZoneChanged,
    RefreshTokenReused,
    ApiKeyCreated,
    ApiKeyRevoked,
}

impl Action {
    /// A stored action in words, in `lang`; one this version does not know, as stored.
    pub fn words(stored: &str, lang: Lang) -> String {
        stored
            .parse::<Action>()
            .map_or_else(|_| stored.to_owned(), |known| lang.text(known.text()).to_owned())
    }

    /// The action in words, as the page and the export show it.
    pub fn text(self) -> Text {
        match self {
            Action::PharmacyRegistered => Text::AuditPharmacyRegistered,
            Action::LoginSucceeded => Text::AuditLoginSucceeded,
            Action::LoginPsc => Text::AuditLoginPsc,
            Action::LoginFailed => Text::AuditLoginFailed,
            Action::Logout => Text::AuditLogout,
            Action::PscLinked => Text::AuditPscLinked,
            Action::PscUnlinked => Text::AuditPscUnlinked,
            Action::SecondFactorEnrolled => Text::AuditSecondFactorEnrolled,
            Action::SecondFactorRemoved => Text::AuditSecondFactorRemoved,
            Action::RecoveryCodeUsed => Text::AuditRecoveryCodeUsed,
            Action::PasswordChanged => Text::AuditPasswordChanged,
            Action::SessionEnded => Text::AuditSessionEnded,
            Action::UserCreated => Text::AuditUserCreated,
            Action::UserDisabled => Text::AuditUserDisabled,
            Action::UserEnabled => Text::AuditUserEnabled,
            Action::RoleChanged => Text::AuditRoleChanged,
            Action::SecondFactorRequirementChanged => Text::AuditSecondFactorRequirementChanged,
            Action::CodeCreated => Text::AuditCodeCreated,
            Action::CodeRevoked => Text::AuditCodeRevoked,
            Action::DocumentReceived => Text::AuditDocumentReceived,
            Action::DocumentDownloaded => Text::AuditDocumentDownloaded,
            Action::DocumentPreviewed => Text::AuditDocumentPreviewed,
            Action::DocumentMarkedViewed => Text::AuditDocumentMarkedViewed,
            Action::DocumentMarkedNew => Text::AuditDocumentMarkedNew,
            Action::DocumentDeleted => Text::AuditDocumentDeleted,
            Action::RetentionChanged => Text::AuditRetentionChanged,
            Action::NotificationEmailChanged => Text::AuditNotificationEmailChanged,
            Action::TimeZoneChanged => Text::AuditTimeZoneChanged,
            Action::RefreshTokenReused => Text::AuditRefreshTokenReused,
            Action::ApiKeyCreated => Text::AuditApiKeyCreated,
            Action::ApiKeyRevoked => Text::AuditApiKeyRevoked,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEventView {
    pub id: i64,
    pub occurred_at: i64,
    /// The member of staff's name; none for patients and failed logins.
    pub user: Option<String>,
    pub ip: Option<String>,
    /// As stored (`document_downloaded`): `Action`'s name.
    pub action: String,
    /// The object as the pharmacy knows it: a document's file name (its reference once
    /// deleted), a code as the dashboard shows it, a member's or a key's name.
    pub object: Option<String>,
}

/// Which events to show: of one action, and from a time (Unix seconds, included) until
/// another (excluded).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub from: Option<i64>,
    pub until: Option<i64>,
}

impl AuditFilter {
    /// The CSV export of the events this filter keeps.
    pub fn export_path(&self) -> String {
        let mut query = Vec::new();
        if let Some(action) = self.action.as_deref().filter(|a| a.parse::<Action>().is_ok()) {
            query.push(format!("action={action}"));
        }
        query.extend(self.from.map(|from| format!("from={from}")));
        query.extend(self.until.map(|until| format!("until={until}")));
        if query.is_empty() {
            EXPORT_PATH.to_owned()
        } else {
            format!("{EXPORT_PATH}?{}", query.join("&"))
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEventView>,
    /// Where the next, older page starts; none on the last page.
    pub older: Option<i64>,
}
