//! Named API keys for integrations: their scopes, and how the admin sees them.

use crate::i18n::Text;
use serde::{Deserialize, Serialize};

/// What a key may do through the REST API; stored by the names below, offered in this
/// order.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::AsRefStr,
    strum::EnumString,
    strum::VariantArray,
)]
pub enum KeyScope {
    /// List and download documents.
    #[strum(serialize = "documents:read")]
    ReadDocuments,
    /// Also create codes, list active codes and delete documents.
    #[strum(serialize = "codes+documents")]
    CodesAndDocuments,
}

impl KeyScope {
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
