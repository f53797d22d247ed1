//! Named API keys for integrations, managed by the pharmacy's admin: created with a
//! scope, shown once, listed with their last use, revoked.

use crate::error::AppError;
use crate::i18n::Text;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What a key may do through the REST API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyScope {
    /// List and download documents.
    ReadDocuments,
    /// Also create codes, list active codes and delete documents.
    CodesAndDocuments,
}

impl KeyScope {
    pub const ALL: [KeyScope; 2] = [KeyScope::ReadDocuments, KeyScope::CodesAndDocuments];

    /// How the scope is stored.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyScope::ReadDocuments => "documents:read",
            KeyScope::CodesAndDocuments => "codes+documents",
        }
    }

    pub fn from_stored(value: &str) -> Option<KeyScope> {
        KeyScope::ALL.into_iter().find(|scope| scope.as_str() == value)
    }

    /// Whether a key of this scope may do what `needs` names.
    pub fn covers(self, needs: KeyScope) -> bool {
        self == KeyScope::CodesAndDocuments || needs == KeyScope::ReadDocuments
    }

    pub fn text(self) -> Text {
        match self {
            KeyScope::ReadDocuments => Text::ScopeReadDocuments,
            KeyScope::CodesAndDocuments => Text::ScopeCodesAndDocuments,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub scope: KeyScope,
    pub created_at: i64,
    pub created_by: String,
    pub last_used_at: Option<i64>,
}

/// A key just created: the secret is shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKey {
    pub name: String,
    pub secret: String,
}

/// The pharmacy's keys that are not revoked, newest first.
#[server]
pub async fn list_api_keys() -> Result<Vec<ApiKeyView>, AppError> {
    use crate::server::{api_keys, session, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        api_keys::list(&state, &admin).await
    })
    .await
}

#[server]
pub async fn create_api_key(name: String, scope: KeyScope) -> Result<NewApiKey, AppError> {
    use crate::server::{api_keys, session, web};
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
    use crate::server::{api_keys, session, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        api_keys::revoke(&state, &admin, &key_id).await
    })
    .await
}
