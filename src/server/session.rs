//! Signed-in sessions: a random 256-bit token in a cookie, a keyed hash of it in the
//! database, idle and absolute timeouts, and the guard every server function calls.

use crate::error::AppError;
use crate::model::session::{SessionStage, SignIn};
use crate::model::staff::Role;
use crate::server::config::{SessionPolicy, Settings};
use crate::server::http::web::{RequestMeta, SiteCookie};
use crate::server::repo::pharmacies::{self, Pharmacy};
use crate::server::repo::sessions::{self, NewSession, SessionRow};
use crate::server::repo::users::{self, User};
use crate::server::state::AppState;
use base64::Engine;
use rand::RngCore;

/// Seconds between two updates of a session's last activity: fewer writes, same timeouts.
const TOUCH_EVERY_SECS: i64 = 60;

/// A member of staff acting for their pharmacy, however they proved it: a browser
/// session or an API token. Services take this.
#[derive(Clone, Debug)]
pub struct Staff {
    pub user: User,
    pub pharmacy: Pharmacy,
    pub ip: Option<String>,
}

/// Who is calling from a browser, as the session guard established it.
#[derive(Clone, Debug)]
pub struct Caller {
    pub staff: Staff,
    pub session: SessionRow,
}

impl std::ops::Deref for Caller {
    type Target = Staff;

    fn deref(&self) -> &Staff {
        &self.staff
    }
}

const SESSION_COOKIE: SiteCookie = SiteCookie("santhium_session");

pub fn session_cookie(settings: &Settings, token: &str) -> String {
    SESSION_COOKIE.set(settings, token, i64::from(settings.sessions.max_hours) * 3600)
}

pub fn expired_cookie(settings: &Settings) -> String {
    SESSION_COOKIE.set(settings, "", 0)
}

fn token_hash(state: &AppState, token: &str) -> String {
    state.settings.secret_key.keyed_hash("session", token.as_bytes())
}

/// Alive: used within the idle timeout, and younger than the absolute lifetime.
pub fn is_live(session: &SessionRow, policy: SessionPolicy, now: i64) -> bool {
    now - session.last_seen_at < i64::from(policy.idle_minutes) * 60 && now < session.expires_at
}

/// The stage an account signed in by `proof` owes before acting fully: a temporary
/// password to replace, or a second factor its pharmacy requires to set up. Pro Santé
/// Connect is strong authentication and owes no second factor; but an invitation is
/// taken up with the temporary password it came with, whatever the login, which proves
/// that the professional is the one the admin invited.
pub fn owed_stage(user: &User, pharmacy: &Pharmacy, proof: SignIn) -> SessionStage {
    if user.must_change_password {
        SessionStage::ChangePassword
    } else if proof == SignIn::ProSanteConnect {
        SessionStage::Active
    } else if pharmacy.require_second_factor && user.totp_secret.is_none() {
        SessionStage::EnrolSecondFactor
    } else {
        SessionStage::Active
    }
}

/// Whether the account, signed in with its password, may act fully, owing nothing.
pub fn fully_signed_in(staff: &Staff) -> bool {
    owed_stage(&staff.user, &staff.pharmacy, SignIn::Password) == SessionStage::Active
}

/// Opens a session signed in by `proof` at `stage` and returns its token, for the cookie.
pub async fn open(
    state: &AppState,
    user: &User,
    proof: SignIn,
    stage: SessionStage,
    meta: &RequestMeta,
) -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let now = state.clock.now();
    let new = NewSession {
        token_hash: &token_hash(state, &token),
        user_id: &user.id,
        stage,
        proof,
        ip: meta.ip.as_deref(),
        user_agent: meta.user_agent.as_deref(),
        expires_at: now + i64::from(state.settings.sessions.max_hours) * 3600,
    };
    sessions::insert(&state.db, &new, now).await?;
    Ok(token)
}

/// The caller's session, whatever its stage; `Unauthorized` without a live one.
pub async fn caller(state: &AppState, meta: &RequestMeta) -> Result<Caller, AppError> {
    let token = meta
        .cookie(&SESSION_COOKIE.name(&state.settings))
        .filter(|t| !t.is_empty())
        .ok_or(AppError::Unauthorized)?;
    let session = sessions::find_by_token_hash(&state.db, &token_hash(state, token))
        .await?
        .ok_or(AppError::Unauthorized)?;
    caller_in(state, session, meta).await
}

/// The member of staff signed in by session `session_id`, fully: for requests that
/// carry a grant naming the session rather than its cookie (previews).
pub async fn staff_in_session(state: &AppState, session_id: &str, meta: &RequestMeta) -> Result<Caller, AppError> {
    let session = sessions::find(&state.db, session_id)
        .await?
        .filter(|s| s.stage == SessionStage::Active)
        .ok_or(AppError::Unauthorized)?;
    let caller = caller_in(state, session, meta).await?;
    if caller.session.stage != SessionStage::Active {
        return Err(AppError::Unauthorized);
    }
    Ok(caller)
}

/// The caller of a session found by one of the above, while it is live and its user
/// active.
async fn caller_in(state: &AppState, mut session: SessionRow, meta: &RequestMeta) -> Result<Caller, AppError> {
    let now = state.clock.now();
    if !is_live(&session, state.settings.sessions, now) {
        sessions::delete(&state.db, &session.id, &session.user_id).await?;
        return Err(AppError::Unauthorized);
    }
    let staff = active_staff(state, &session.user_id, meta).await?;
    if session.stage == SessionStage::Active {
        // A requirement set since login (the pharmacy now requires a second factor)
        // applies at once.
        session.stage = owed_stage(&staff.user, &staff.pharmacy, session.proof);
    }
    if now - session.last_seen_at >= TOUCH_EVERY_SECS {
        sessions::touch(&state.db, &session.id, now).await?;
    }
    Ok(Caller { staff, session })
}

/// User `user_id` with their pharmacy, while the account is active; `Unauthorized`
/// otherwise. Whatever proved who they are is the caller's business.
pub async fn active_staff(state: &AppState, user_id: &str, meta: &RequestMeta) -> Result<Staff, AppError> {
    let user = users::find(&state.db, user_id)
        .await?
        .filter(|u| u.is_active)
        .ok_or(AppError::Unauthorized)?;
    let pharmacy = pharmacies::find(&state.db, &user.pharmacy_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(Staff {
        user,
        pharmacy,
        ip: meta.ip.clone(),
    })
}

/// The caller, whose session must be at one of `stages`.
pub async fn caller_at(state: &AppState, meta: &RequestMeta, stages: &[SessionStage]) -> Result<Caller, AppError> {
    let caller = caller(state, meta).await?;
    if stages.contains(&caller.session.stage) {
        Ok(caller)
    } else {
        Err(AppError::Forbidden)
    }
}

/// A fully signed-in member of staff.
pub async fn staff(state: &AppState, meta: &RequestMeta) -> Result<Caller, AppError> {
    caller_at(state, meta, &[SessionStage::Active]).await
}

/// A fully signed-in admin of their pharmacy.
pub async fn admin(state: &AppState, meta: &RequestMeta) -> Result<Caller, AppError> {
    let caller = staff(state, meta).await?;
    if caller.user.role == Role::Admin {
        Ok(caller)
    } else {
        Err(AppError::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_end_after_the_idle_timeout_or_the_absolute_lifetime() {
        let policy = SessionPolicy {
            idle_minutes: 30,
            max_hours: 12,
        };
        let start = 1_800_000_000;
        let mut session = SessionRow {
            id: "s".into(),
            user_id: "u".into(),
            stage: SessionStage::Active,
            proof: SignIn::Password,
            ip: None,
            user_agent: None,
            created_at: start,
            last_seen_at: start,
            expires_at: start + 12 * 3600,
        };
        assert!(is_live(&session, policy, start + 29 * 60));
        assert!(!is_live(&session, policy, start + 30 * 60), "idle for 30 minutes");
        session.last_seen_at = start + 12 * 3600 - 60;
        assert!(is_live(&session, policy, start + 12 * 3600 - 1));
        assert!(
            !is_live(&session, policy, start + 12 * 3600),
            "12 hours old, however active"
        );
    }
}
