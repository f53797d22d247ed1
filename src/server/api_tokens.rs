//! Bearer tokens for the REST API. A login issues a pair: a short-lived access token
//! (`ACCESS_TOKEN_EXPIRE_MINUTES`) and a refresh token (`REFRESH_TOKEN_EXPIRE_DAYS`),
//! both random, stored as keyed hashes and checked against the database at every
//! request, so a revocation takes effect at once. A refresh token is used up when it
//! gives a new pair (rotation); presenting it a second time means it was copied, and
//! revokes the whole family of tokens born of that login.

use crate::error::AppError;
use crate::model::audit::Action;
use crate::server::audit;
use crate::server::http::web::RequestMeta;
use crate::server::repo::api_tokens::{self, NewToken, TokenKind, TokenRow};
use crate::server::repo::{new_id, users};
use crate::server::session::{self, Staff, fully_signed_in};
use crate::server::state::AppState;
use base64::Engine;
use rand::RngCore;

/// What a login or a refresh hands out.
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds the access token lives.
    pub expires_in: i64,
}

fn token_hash(state: &AppState, token: &str) -> String {
    state.settings.secret_key.keyed_hash("api-token", token.as_bytes())
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A new pair for `user_id`, in `family` (a new one for a login).
async fn issue(state: &AppState, user_id: &str, family_id: &str) -> Result<TokenPair, AppError> {
    let now = state.clock.now();
    let expires_in = i64::from(state.settings.access_token_expire_minutes) * 60;
    let pair = TokenPair {
        access_token: random_token(),
        refresh_token: random_token(),
        expires_in,
    };
    let mut tx = state.db.begin().await?;
    for (kind, token, lifetime) in [
        (TokenKind::Access, &pair.access_token, expires_in),
        (
            TokenKind::Refresh,
            &pair.refresh_token,
            i64::from(state.settings.refresh_token_expire_days) * 86_400,
        ),
    ] {
        let new = NewToken {
            user_id,
            family_id,
            kind,
            token_hash: &token_hash(state, token),
            expires_at: now + lifetime,
        };
        api_tokens::insert(&mut *tx, &new, now).await?;
    }
    tx.commit().await?;
    Ok(pair)
}

/// A temporary password to change, or a second factor to set up (in the browser) first:
/// refused with a detail saying so, whatever the credential.
pub fn owes_nothing(staff: &Staff) -> Result<(), AppError> {
    if fully_signed_in(staff) {
        Ok(())
    } else {
        Err(AppError::SetupRequired)
    }
}

/// Tokens for a member of staff who just proved who they are.
pub async fn login(state: &AppState, staff: &Staff) -> Result<TokenPair, AppError> {
    owes_nothing(staff)?;
    issue(state, &staff.user.id, &new_id()).await
}

/// The hash of the token in an `Authorization: Bearer` header.
fn bearer_hash(state: &AppState, authorization: Option<&str>) -> Option<String> {
    let token = authorization?.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then(|| token_hash(state, token))
}

async fn find_live(state: &AppState, kind: TokenKind, hash: &str) -> Result<Option<TokenRow>, AppError> {
    let now = state.clock.now();
    Ok(api_tokens::find(&state.db, kind, hash)
        .await?
        .filter(|t| t.revoked_at.is_none() && t.expires_at > now))
}

/// The member of staff an API request acts for; `Unauthorized` without a usable
/// access token, or when the user was disabled. Returns the token's family too.
pub async fn bearer(
    state: &AppState,
    meta: &RequestMeta,
    authorization: Option<&str>,
) -> Result<(Staff, String), AppError> {
    let hash = bearer_hash(state, authorization).ok_or(AppError::Unauthorized)?;
    let token = find_live(state, TokenKind::Access, &hash)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let staff = session::active_staff(state, &token.user_id, meta).await?;
    Ok((staff, token.family_id))
}

/// A new pair for a refresh token, which is used up, and whom it is for. A refresh
/// token used before revokes its whole family.
pub async fn refresh(
    state: &AppState,
    meta: &RequestMeta,
    refresh_token: &str,
) -> Result<(TokenPair, Staff), AppError> {
    let now = state.clock.now();
    let hash = token_hash(state, refresh_token.trim());
    let token = api_tokens::find(&state.db, TokenKind::Refresh, &hash)
        .await?
        .ok_or(AppError::Unauthorized)?;
    // Before the token is used up: refused now, it still works once the account is set up.
    let staff = session::active_staff(state, &token.user_id, meta).await?;
    owes_nothing(&staff)?;
    if !api_tokens::use_up(&state.db, &token.id, now).await? {
        if token.used_at.is_some() && token.revoked_at.is_none() {
            api_tokens::revoke_family(&state.db, &token.family_id, now).await?;
            let user = users::find(&state.db, &token.user_id).await?;
            let actor = audit::Actor {
                pharmacy_id: user.as_ref().map(|u| u.pharmacy_id.as_str()),
                user_id: Some(&token.user_id),
                ip: meta.ip.as_deref(),
            };
            tracing::warn!("a used refresh token was presented again; its family is revoked");
            audit::record(state, actor, Action::RefreshTokenReused, None).await?;
        }
        return Err(AppError::Unauthorized);
    }
    Ok((issue(state, &token.user_id, &token.family_id).await?, staff))
}

/// Ends an API login: every token of the family goes.
pub async fn logout(state: &AppState, staff: &Staff, family_id: &str) -> Result<(), AppError> {
    api_tokens::revoke_family(&state.db, family_id, state.clock.now()).await?;
    audit::record(state, staff.into(), Action::Logout, None).await
}
