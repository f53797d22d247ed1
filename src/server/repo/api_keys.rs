//! Named API keys, by keyed hash; see migration 0006.

use sqlx::{Any, Executor, FromRow};

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct KeyRow {
    pub id: String,
    pub pharmacy_id: String,
    pub created_by: String,
    pub name: String,
    pub scope: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A key as listed: with the name of the admin who created it.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct ListedKey {
    pub id: String,
    pub name: String,
    pub scope: String,
    pub created_at: i64,
    pub creator_name: String,
    pub last_used_at: Option<i64>,
}

pub struct NewKey<'a> {
    pub pharmacy_id: &'a str,
    pub created_by: &'a str,
    pub name: &'a str,
    pub scope: &'a str,
    pub key_hash: &'a str,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    new: &NewKey<'_>,
    now: i64,
) -> Result<String, sqlx::Error> {
    let id = super::new_id();
    sqlx::query(
        "INSERT INTO api_keys (id, pharmacy_id, created_by, name, scope, key_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(new.pharmacy_id)
    .bind(new.created_by)
    .bind(new.name)
    .bind(new.scope)
    .bind(new.key_hash)
    .bind(now)
    .execute(db)
    .await?;
    Ok(id)
}

/// The key with this hash, unless revoked.
pub async fn find_live<'e>(
    db: impl Executor<'e, Database = Any>,
    key_hash: &str,
) -> Result<Option<KeyRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, pharmacy_id, created_by, name, scope, created_at, last_used_at FROM api_keys
         WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind(key_hash)
    .fetch_optional(db)
    .await
}

/// The pharmacy's keys that are not revoked, newest first.
pub async fn list_live<'e>(
    db: impl Executor<'e, Database = Any>,
    pharmacy_id: &str,
) -> Result<Vec<ListedKey>, sqlx::Error> {
    sqlx::query_as(
        "SELECT k.id, k.name, k.scope, k.created_at, u.full_name AS creator_name, k.last_used_at
         FROM api_keys k JOIN users u ON u.id = k.created_by
         WHERE k.pharmacy_id = $1 AND k.revoked_at IS NULL
         ORDER BY k.created_at DESC, k.id",
    )
    .bind(pharmacy_id)
    .fetch_all(db)
    .await
}

pub async fn touch<'e>(db: impl Executor<'e, Database = Any>, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(db)
        .await
        .map(drop)
}

/// Revokes a live key of the pharmacy; false when there is none such.
pub async fn revoke<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    pharmacy_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let revoked =
        sqlx::query("UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND pharmacy_id = $2 AND revoked_at IS NULL")
            .bind(id)
            .bind(pharmacy_id)
            .bind(now)
            .execute(db)
            .await?;
    Ok(revoked.rows_affected() == 1)
}
