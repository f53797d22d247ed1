//! What the audit trail records: who, what, when, from where. Never document content,
//! codes or passwords.

use crate::error::AppError;
use crate::server::AppState;
use crate::server::repo::audit::{self, NewAuditEvent};
use crate::server::session::{Caller, Staff};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    PharmacyRegistered,
    LoginSucceeded,
    LoginFailed,
    Logout,
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
    RefreshTokenReused,
    ApiKeyCreated,
    ApiKeyRevoked,
}

impl Action {
    pub const ALL: [Action; 27] = [
        Action::PharmacyRegistered,
        Action::LoginSucceeded,
        Action::LoginFailed,
        Action::Logout,
        Action::SecondFactorEnrolled,
        Action::SecondFactorRemoved,
        Action::RecoveryCodeUsed,
        Action::PasswordChanged,
        Action::SessionEnded,
        Action::UserCreated,
        Action::UserDisabled,
        Action::UserEnabled,
        Action::RoleChanged,
        Action::SecondFactorRequirementChanged,
        Action::CodeCreated,
        Action::CodeRevoked,
        Action::DocumentReceived,
        Action::DocumentDownloaded,
        Action::DocumentPreviewed,
        Action::DocumentMarkedViewed,
        Action::DocumentMarkedNew,
        Action::DocumentDeleted,
        Action::RetentionChanged,
        Action::NotificationEmailChanged,
        Action::RefreshTokenReused,
        Action::ApiKeyCreated,
        Action::ApiKeyRevoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::PharmacyRegistered => "pharmacy_registered",
            Action::LoginSucceeded => "login_succeeded",
            Action::LoginFailed => "login_failed",
            Action::Logout => "logout",
            Action::SecondFactorEnrolled => "second_factor_enrolled",
            Action::SecondFactorRemoved => "second_factor_removed",
            Action::RecoveryCodeUsed => "recovery_code_used",
            Action::PasswordChanged => "password_changed",
            Action::SessionEnded => "session_ended",
            Action::UserCreated => "user_created",
            Action::UserDisabled => "user_disabled",
            Action::UserEnabled => "user_enabled",
            Action::RoleChanged => "role_changed",
            Action::SecondFactorRequirementChanged => "second_factor_requirement_changed",
            Action::CodeCreated => "code_created",
            Action::CodeRevoked => "code_revoked",
            Action::DocumentReceived => "document_received",
            Action::DocumentDownloaded => "document_downloaded",
            Action::DocumentPreviewed => "document_previewed",
            Action::DocumentMarkedViewed => "document_marked_viewed",
            Action::DocumentMarkedNew => "document_marked_new",
            Action::DocumentDeleted => "document_deleted",
            Action::RetentionChanged => "retention_changed",
            Action::NotificationEmailChanged => "notification_email_changed",
            Action::RefreshTokenReused => "refresh_token_reused",
            Action::ApiKeyCreated => "api_key_created",
            Action::ApiKeyRevoked => "api_key_revoked",
        }
    }
}

/// Who acted: a signed-in user, or an anonymous client (a failed login).
pub struct Actor<'a> {
    pub pharmacy_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
    pub ip: Option<&'a str>,
}

impl<'a> From<&'a Staff> for Actor<'a> {
    fn from(staff: &'a Staff) -> Actor<'a> {
        Actor {
            pharmacy_id: Some(&staff.pharmacy.id),
            user_id: Some(&staff.user.id),
            ip: staff.ip.as_deref(),
        }
    }
}

impl<'a> From<&'a Caller> for Actor<'a> {
    fn from(caller: &'a Caller) -> Actor<'a> {
        (&caller.staff).into()
    }
}

/// The object acted on, as a type and an id.
pub type Object<'a> = Option<(&'a str, &'a str)>;

pub async fn record(state: &AppState, actor: Actor<'_>, action: Action, object: Object<'_>) -> Result<(), AppError> {
    let event = NewAuditEvent {
        pharmacy_id: actor.pharmacy_id,
        user_id: actor.user_id,
        ip: actor.ip,
        action: action.as_str(),
        object_type: object.map(|(kind, _)| kind),
        object_id: object.map(|(_, id)| id),
        details: None,
    };
    audit::append(&state.db, &event, state.clock.now()).await?;
    Ok(())
}

/// An email as typed at a failed login, shortened so the trail names no one in full:
/// `camille.martin@pharmacie.fr` becomes `cam…@pharmacie.fr`.
pub fn shortened_email(email: &str) -> String {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    let start: String = local.chars().take(3).collect();
    let domain: String = domain.chars().take(64).collect();
    format!("{start}…@{domain}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_page_offers_every_action() {
        let offered: Vec<&str> = crate::api::audit::ACTIONS.to_vec();
        let recorded: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(offered, recorded);
    }
}
