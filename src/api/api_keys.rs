//! Named API keys for integrations, managed by the pharmacy's admin: created with a
//! scope, shown once, listed with their last use, revoked.

use crate::error::AppError;
use crate::model::api_keys::{ApiKeyView, KeyScope, NewApiKey};
use leptos::prelude::*;

/// The pharmacy's keys that are not revoked, newest first.
#[server]
pub async fn list_api_keys() -> Result<Vec<ApiKeyView>, AppError> {
    use crate::server::http::web;
    use crate::server::{api_keys, session};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        api_keys::list(&state, &admin).await
    })
    .await
}

#[server]
pub async fn create_api_key(name: String, scope: KeyScope) -> Result<NewApiKey, AppError> {
    use crate::server::http::web;
    use crate::server::{api_keys, session};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        api_keys::create(&state, &admin, &name, scope).await
    })
    .await
}

/// Revokes a key of the pharmacy; it stops working at once.
#[server]
pub async fn revoke_api_key(key_id: String) -> Result<(), AppError> {
    use crate::server::http::web;
    use crate::server::{api_keys, session};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        api_keys::revoke(&state, &admin, &key_id).await
    })
    .await
}
