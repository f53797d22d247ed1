//! What users manage of their own account: password, second factor, sessions.

use crate::error::AppError;
use crate::model::account::{SecondFactorEnabled, SessionInfo, TotpEnrolment};
use crate::model::session::SessionStage;
use leptos::prelude::*;

/// Replaces the password; every other session ends.
#[server]
pub async fn change_password(current_password: String, new_password: String) -> Result<SessionStage, AppError> {
    use crate::server::http::web;
    use crate::server::{accounts, session};
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
    use crate::server::http::web;
    use crate::server::{accounts, session};
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
    use crate::server::http::web;
    use crate::server::{accounts, session};
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
    use crate::server::http::web;
    use crate::server::{accounts, session};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        accounts::remove_second_factor(&state, &caller, &password).await
    })
    .await
}

#[server]
pub async fn list_sessions() -> Result<Vec<SessionInfo>, AppError> {
    use crate::server::http::web;
    use crate::server::{accounts, session};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        accounts::list_sessions(&state, &caller).await
    })
    .await
}

#[server]
pub async fn end_session(session_id: String) -> Result<(), AppError> {
    use crate::server::http::web;
    use crate::server::{accounts, session};
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
    use crate::server::http::web;
    use crate::server::{accounts, session};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        accounts::end_other_sessions(&state, &caller).await
    })
    .await
}

/// Unlinks the signed-in user's account from Pro Santé Connect.
#[server]
pub async fn unlink_pro_sante_connect() -> Result<(), AppError> {
    use crate::server::http::web;
    use crate::server::{accounts, session};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        accounts::unlink_pro_sante_connect(&state, &caller).await
    })
    .await
}

/// Begins linking the signed-in user's account to Pro Santé Connect, when it may be
/// linked: where the browser goes to sign in at the provider. A server function, so
/// another site cannot start a link.
#[server]
pub async fn begin_psc_link() -> Result<String, AppError> {
    use crate::server::http::web;
    use crate::server::{pro_sante_connect, session};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::staff(&state, &meta).await?;
        if !pro_sante_connect::may_link(&caller) {
            return Err(AppError::Forbidden);
        }
        let (provider, cookie) = pro_sante_connect::begin(&state, Some(&caller.user))
            .await
            .map_err(|_| AppError::Unavailable)?;
        web::set_cookie(&cookie);
        Ok(provider)
    })
    .await
}
