//! REST API access and refresh tokens, by keyed hash; see migration 0005.

use sqlx::{Any, Executor, FromRow};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct TokenRow {
    pub id: String,
    pub user_id: String,
    pub family_id: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub struct NewToken<'a> {
    pub user_id: &'a str,
    pub family_id: &'a str,
    pub kind: TokenKind,
    pub token_hash: &'a str,
    pub expires_at: i64,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    new: &NewToken<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, family_id, kind, token_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(super::new_id())
    .bind(new.user_id)
    .bind(new.family_id)
    .bind(new.kind.as_str())
    .bind(new.token_hash)
    .bind(now)
    .bind(new.expires_at)
    .execute(db)
    .await
    .map(drop)
}

/// The token of `kind` with this hash, whatever its state.
pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    kind: TokenKind,
    token_hash: &str,
) -> Result<Option<TokenRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, user_id, family_id, expires_at, used_at, revoked_at FROM api_tokens
         WHERE kind = $1 AND token_hash = $2",
    )
    .bind(kind.as_str())
    .bind(token_hash)
    .fetch_optional(db)
    .await
}

/// Uses a refresh token up, if it is still usable; says whether this call did.
pub async fn use_up<'e>(db: impl Executor<'e, Database = Any>, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let used = sqlx::query(
        "UPDATE api_tokens SET used_at = $2
         WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(used.rows_affected() == 1)
}

/// Revokes every token of a family (a login and its refreshes).
pub async fn revoke_family<'e>(
    db: impl Executor<'e, Database = Any>,
    family_id: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL")
        .bind(family_id)
        .bind(now)
        .execute(db)
        .await
        .map(|done| done.rows_affected())
}

/// Revokes every token of a user (disabled, or a new password).
pub async fn revoke_for_user<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
        .bind(user_id)
        .bind(now)
        .execute(db)
        .await
        .map(|done| done.rows_affected())
}
