//! What users manage of their own account: password, second factor, sessions.

use crate::api::SessionStage;
use crate::error::AppError;
use leptos::prelude::*;
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

/// Replaces the password; every other session ends.
#[server]
pub async fn change_password(current_password: String, new_password: String) -> Result<SessionStage, AppError> {
    use crate::server::{accounts, session, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let stages = [SessionStage::Active, SessionStage::ChangePassword];
        let caller = session::caller_at(&state, &meta, &stages).await?;
        let (stage, token) =
            accounts::change_password(&state, &caller, &meta, &current_password, &new_password).await?;
        web::set_cookie(&session::session_cookie(&state.settings, &token));
        Ok(stage)
    })
    .await
}

#[server]
pub async fn begin_second_factor() -> Result<TotpEnrolment, AppError> {
    use crate::server::{accounts, session, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let stages = [SessionStage::Active, SessionStage::EnrolSecondFactor];
        let caller = session::caller_at(&state, &meta, &stages).await?;
        accounts::begin_second_factor(&state, &caller).await
    })
    .await
}

#[server]
pub async fn confirm_second_factor(code: String) -> Result<SecondFactorEnabled, AppError> {
    use crate::server::{accounts, session, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let stages = [SessionStage::Active, SessionStage::EnrolSecondFactor];
        let caller = session::caller_at(&state, &meta, &stages).await?;
        let (enabled, token) = accounts::confirm_second_factor(&state, &caller, &meta, &code).await?;
        if let Some(token) = token {
            web::set_cookie(&session::session_cookie(&state.settings, &token));
        }
        Ok(enabled)
    })
    .await
}

#[server]
pub async fn remove_second_factor(password: String) -> Result<(), AppError> {
    use crate::server::{accounts, session, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        accounts::remove_second_factor(&state, &caller, &password).await
    })
    .await
}

#[server]
pub async fn list_sessions() -> Result<Vec<SessionInfo>, AppError> {
    use crate::server::{accounts, session, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        accounts::list_sessions(&state, &caller).await
    })
    .await
}

#[server]
pub async fn end_session(session_id: String) -> Result<(), AppError> {
    use crate::server::{accounts, session, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        accounts::end_session(&state, &caller, &session_id).await
    })
    .await
}

/// Ends every session of the user but the current one; returns how many ended.
#[server]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    use crate::server::{accounts, session, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        accounts::end_other_sessions(&state, &caller).await
    })
    .await
}
