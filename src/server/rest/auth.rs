//! `/auth`: register, log in (with a second factor when the account has one), refresh
//! and log out, with access and refresh tokens.

use super::extract::{Bearer, Body, Credential, Meta};
use super::{ErrorJson, MessageJson, message};
use crate::error::AppError;
use crate::i18n::Text;
use crate::server::accounts::{self, Registration};
use crate::server::api_tokens::{self, TokenPair};
use crate::server::session::Staff;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub(super) struct UserJson {
    id: String,
    email: String,
    full_name: String,
    pharmacy_id: String,
}

#[derive(Serialize, ToSchema)]
pub(super) struct TokenJson {
    access_token: String,
    token_type: &'static str,
    /// Seconds the access token lives.
    expires_in: i64,
    refresh_token: String,
    user: UserJson,
}

pub(super) fn token_json(pair: TokenPair, staff: &Staff) -> Json<TokenJson> {
    Json(TokenJson {
        access_token: pair.access_token,
        token_type: "bearer",
        expires_in: pair.expires_in,
        refresh_token: pair.refresh_token,
        user: UserJson {
            id: staff.user.id.clone(),
            email: staff.user.email.clone(),
            full_name: staff.user.full_name.clone(),
            pharmacy_id: staff.pharmacy.id.clone(),
        },
    })
}

#[derive(Deserialize, ToSchema)]
pub(super) struct RegisterJson {
    email: String,
    password: String,
    pharmacy_name: Option<String>,
    full_name: Option<String>,
}

/// A new pharmacy and its admin, signed in.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterJson,
    responses((status = 200, body = TokenJson), (status = 400, body = ErrorJson)))]
pub(super) async fn register(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Body(form): Body<RegisterJson>,
) -> Result<Response, AppError> {
    // The original took only an email and a password; the names then default to it.
    let full_name = form.full_name.unwrap_or_else(|| form.email.clone());
    let pharmacy_name = form.pharmacy_name.unwrap_or_else(|| form.email.clone());
    let registration = Registration {
        pharmacy_name: &pharmacy_name,
        address: "",
        full_name: &full_name,
        email: &form.email,
        password: &form.password,
    };
    let admin = accounts::register_pharmacy(&state, &meta, registration).await?;
    let pair = api_tokens::login(&state, &admin).await?;
    Ok(token_json(pair, &admin).into_response())
}

#[derive(Deserialize, ToSchema)]
pub(super) struct LoginJson {
    email: String,
    password: String,
    /// The authenticator's code (or a recovery code), for accounts with a second factor.
    totp: Option<String>,
}

/// Tokens for an account's email and password (and second factor).
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginJson,
    responses((status = 200, body = TokenJson), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson),
        (status = 429, body = ErrorJson)))]
pub(super) async fn login(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Body(form): Body<LoginJson>,
) -> Result<Response, AppError> {
    let staff = accounts::authenticate(&state, &meta, &form.email, &form.password).await?;
    if staff.user.totp_secret.is_some() {
        let code = form.totp.as_deref().unwrap_or_default();
        // A wrong or missing code is refused like a wrong password; a limit or an
        // outage keeps its own status.
        accounts::accept_second_factor(&state, &staff, &meta, code)
            .await
            .map_err(|error| match error {
                AppError::Invalid { .. } | AppError::Forbidden => AppError::InvalidCredentials,
                other => other,
            })?;
    }
    let pair = api_tokens::login(&state, &staff).await?;
    Ok(token_json(pair, &staff).into_response())
}

#[derive(Deserialize, ToSchema)]
pub(super) struct RefreshJson {
    refresh_token: String,
}

/// A new pair of tokens for a refresh token, which is used up.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshJson,
    responses((status = 200, body = TokenJson), (status = 401, body = ErrorJson)))]
pub(super) async fn refresh(
    State(state): State<AppState>,
    Meta(meta): Meta,
    Body(form): Body<RefreshJson>,
) -> Result<Response, AppError> {
    let (pair, staff) = api_tokens::refresh(&state, &meta, &form.refresh_token).await?;
    Ok(token_json(pair, &staff).into_response())
}

/// Revokes the tokens of this login.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MessageJson), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson)))]
pub(super) async fn logout(State(state): State<AppState>, bearer: Bearer) -> Result<Json<MessageJson>, AppError> {
    match &bearer.credential {
        Credential::Login { family_id } => api_tokens::logout(&state, &bearer.staff, family_id).await?,
        // A key is revoked by an admin in the dashboard, not by logging out.
        Credential::Key(_) => return Err(AppError::Forbidden),
    }
    Ok(message(Text::ApiLoggedOut))
}
