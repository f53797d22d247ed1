//! Named API keys: an admin creates one with a scope and sees its secret once; the
//! server keeps a keyed hash. A key acts for its pharmacy on behalf of the admin who
//! created it, so disabling that admin stops their keys too. Its last use is kept (to
//! the minute) so unused keys can be spotted and revoked.

use crate::error::AppError;
use crate::model::api_keys::{ApiKeyView, KeyScope, NewApiKey};
use crate::model::audit::Action;
use crate::server::accounts::required_text;
use crate::server::audit;
use crate::server::http::web::RequestMeta;
use crate::server::repo::api_keys::{self, NewKey};
use crate::server::repo::{pharmacies, users};
use crate::server::session::Staff;
use crate::server::state::AppState;
use base64::Engine;
use rand::RngCore;

/// What every key starts with, so it is recognised (and found by secret scanners).
pub const PREFIX: &str = "sk_santhium_";

/// Seconds between two records of a key's last use.
const TOUCH_EVERY_SECS: i64 = 60;

fn key_hash(state: &AppState, secret: &str) -> String {
    state.settings.secret_key.keyed_hash("api-key", secret.as_bytes())
}

pub async fn create(state: &AppState, admin: &Staff, name: &str, scope: KeyScope) -> Result<NewApiKey, AppError> {
    let name = required_text("name", name, 100)?;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let new = NewKey {
        pharmacy_id: &admin.pharmacy.id,
        created_by: &admin.user.id,
        name,
        scope: scope.as_ref(),
        key_hash: &key_hash(state, &secret),
    };
    let id = api_keys::insert(&state.db, &new, state.clock.now()).await?;
    audit::record(state, admin.into(), Action::ApiKeyCreated, Some(("api_key", &id))).await?;
    Ok(NewApiKey {
        name: name.to_owned(),
        secret,
    })
}

pub async fn list(state: &AppState, admin: &Staff) -> Result<Vec<ApiKeyView>, AppError> {
    let keys = api_keys::list_live(&state.db, &admin.pharmacy.id).await?;
    Ok(keys
        .into_iter()
        .filter_map(|key| {
            Some(ApiKeyView {
                scope: key.scope.parse::<KeyScope>().ok()?,
                id: key.id,
                name: key.name,
                created_at: key.created_at,
                created_by: key.creator_name,
                last_used_at: key.last_used_at,
            })
        })
        .collect())
}

pub async fn revoke(state: &AppState, admin: &Staff, key_id: &str) -> Result<(), AppError> {
    if !api_keys::revoke(&state.db, key_id, &admin.pharmacy.id, state.clock.now()).await? {
        return Err(AppError::NotFound);
    }
    audit::record(state, admin.into(), Action::ApiKeyRevoked, Some(("api_key", key_id))).await
}

/// The pharmacy and scope a key secret opens, acting as its creator while they are an
/// active admin of it; `None` for anything else.
pub async fn authenticate(
    state: &AppState,
    meta: &RequestMeta,
    secret: &str,
) -> Result<Option<(Staff, KeyScope)>, AppError> {
    let Some(key) = api_keys::find_live(&state.db, &key_hash(state, secret)).await? else {
        return Ok(None);
    };
    let Some(scope) = key.scope.parse::<KeyScope>().ok() else {
        return Ok(None);
    };
    let creator = users::find(&state.db, &key.created_by)
        .await?
        .filter(|u| u.is_active && u.pharmacy_id == key.pharmacy_id && u.role == crate::model::staff::Role::Admin);
    let (Some(user), Some(pharmacy)) = (creator, pharmacies::find(&state.db, &key.pharmacy_id).await?) else {
        return Ok(None);
    };
    let now = state.clock.now();
    if key.last_used_at.is_none_or(|at| now - at >= TOUCH_EVERY_SECS) {
        api_keys::touch(&state.db, &key.id, now).await?;
    }
    let staff = Staff {
        user,
        pharmacy,
        ip: meta.ip.clone(),
    };
    Ok(Some((staff, scope)))
}
