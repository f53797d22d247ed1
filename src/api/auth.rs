//! Registering a pharmacy, logging in and out, and who is signed in.

use crate::error::AppError;
use crate::model::session::{PscInvitation, Session, SessionStage};
use leptos::prelude::*;

/// Creates a pharmacy and its first admin, and signs that admin in.
#[server]
pub async fn register_pharmacy(
    pharmacy_name: String,
    address: String,
    full_name: String,
    email: String,
    password: String,
) -> Result<SessionStage, AppError> {
    use crate::server::http::web;
    use crate::server::{accounts, session};
    web::answer(async {
        let (state, meta) = web::context()?;
        let form = accounts::Registration {
            pharmacy_name: &pharmacy_name,
            address: &address,
            full_name: &full_name,
            email: &email,
            password: &password,
        };
        let (stage, token) = accounts::register(&state, &meta, form).await?;
        web::set_cookie(&session::session_cookie(&state.settings, &token));
        Ok(stage)
    })
    .await
}

/// Checks the password; the answer says what the session must do next.
#[server]
pub async fn login(email: String, password: String) -> Result<SessionStage, AppError> {
    use crate::server::http::web;
    use crate::server::{accounts, session};
    web::answer(async {
        let (state, meta) = web::context()?;
        let (stage, token) = accounts::login(&state, &meta, &email, &password).await?;
        web::set_cookie(&session::session_cookie(&state.settings, &token));
        Ok(stage)
    })
    .await
}

/// The second step of a login: a code from the authenticator app, or a recovery code.
#[server]
pub async fn verify_second_factor(code: String) -> Result<SessionStage, AppError> {
    use crate::server::http::web;
    use crate::server::{accounts, session};
    web::answer(async {
        let (state, meta) = web::context()?;
        let caller = session::caller_at(&state, &meta, &[SessionStage::SecondFactor]).await?;
        let (stage, token) = accounts::verify_second_factor(&state, &caller, &meta, &code).await?;
        web::set_cookie(&session::session_cookie(&state.settings, &token));
        Ok(stage)
    })
    .await
}

/// Ends the session. A session opened with Pro Santé Connect answers where the browser
/// goes to end the provider's session too, when the provider offers that.
#[server]
pub async fn logout() -> Result<Option<String>, AppError> {
    use crate::server::http::web;
    use crate::server::{accounts, pro_sante_connect, session};
    web::answer(async {
        let (state, meta) = web::context()?;
        web::set_cookie(&session::expired_cookie(&state.settings));
        match session::caller(&state, &meta).await {
            Ok(caller) => {
                accounts::logout(&state, &caller).await?;
                Ok(pro_sante_connect::provider_logout(&state, &caller).await)
            }
            Err(AppError::Unauthorized) => Ok(None),
            Err(error) => Err(error),
        }
    })
    .await
}

/// The signed-in user and the stage of their session; `None` when signed out.
#[server]
pub async fn current_session() -> Result<Option<Session>, AppError> {
    use crate::server::http::web;
    use crate::server::{accounts, session};
    web::answer(async {
        let (state, meta) = web::context()?;
        match session::caller(&state, &meta).await {
            Ok(caller) => Ok(Some(accounts::current(&caller))),
            Err(AppError::Unauthorized) => Ok(None),
            Err(error) => Err(error),
        }
    })
    .await
}

/// The invitations waiting for the professional Pro Santé Connect just vouched for, who
/// has no linked account yet.
#[server]
pub async fn psc_invitations() -> Result<Vec<PscInvitation>, AppError> {
    use crate::server::http::web;
    use crate::server::pro_sante_connect;
    web::answer(async {
        let (state, meta) = web::context()?;
        pro_sante_connect::invitations(&state, &meta).await
    })
    .await
}

/// The professional accepts the invitation of account `user_id` and is signed in to it.
#[server]
pub async fn accept_psc_invitation(user_id: String) -> Result<SessionStage, AppError> {
    use crate::server::http::web;
    use crate::server::{pro_sante_connect, session};
    web::answer(async {
        let (state, meta) = web::context()?;
        let (stage, token) = pro_sante_connect::accept(&state, &meta, &user_id).await?;
        web::set_cookie(&pro_sante_connect::spent_invitation_cookie(&state.settings));
        web::set_cookie(&session::session_cookie(&state.settings, &token));
        Ok(stage)
    })
    .await
}
