//! What the audit trail records: who, what, when, from where. Never document content,
//! codes or passwords.

use crate::error::AppError;
use crate::model::audit::Action;
use crate::server::repo::audit::{self, NewAuditEvent};
use crate::server::session::{Caller, Staff};
use crate::server::state::AppState;

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
        action: action.as_ref(),
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
