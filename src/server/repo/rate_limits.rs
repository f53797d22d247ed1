//! Hits against rate limits, in a sliding window per scope and key. Kept in the database
//! so that every server instance counts the same hits.

use sqlx::{Any, Executor, Row};

/// Records a hit; returns its id, to release it if it turns out not to count.
pub async fn hit<'e>(
    db: impl Executor<'e, Database = Any>,
    scope: &str,
    key_hash: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query("INSERT INTO rate_limit_hits (scope, key_hash, at) VALUES ($1, $2, $3) RETURNING id")
        .bind(scope)
        .bind(key_hash)
        .bind(now)
        .fetch_one(db)
        .await?
        .try_get("id")
}

/// Hits since `since`, including those of requests still in flight: how many, and
/// when the oldest of them happened.
pub async fn since<'e>(
    db: impl Executor<'e, Database = Any>,
    scope: &str,
    key_hash: &str,
    since: i64,
) -> Result<(i64, Option<i64>), sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS hits, MIN(at) AS oldest FROM rate_limit_hits
         WHERE scope = $1 AND key_hash = $2 AND at >= $3",
    )
    .bind(scope)
    .bind(key_hash)
    .bind(since)
    .fetch_one(db)
    .await?;
    Ok((row.try_get("hits")?, row.try_get("oldest")?))
}

pub async fn release<'e>(db: impl Executor<'e, Database = Any>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM rate_limit_hits WHERE id = $1")
        .bind(id)
        .execute(db)
        .await
        .map(drop)
}

/// Forgets every hit of a key (an account that logged in).
pub async fn clear<'e>(db: impl Executor<'e, Database = Any>, scope: &str, key_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM rate_limit_hits WHERE scope = $1 AND key_hash = $2")
        .bind(scope)
        .bind(key_hash)
        .execute(db)
        .await
        .map(drop)
}

/// Drops hits too old to count in any window.
pub async fn prune<'e>(db: impl Executor<'e, Database = Any>, before: i64) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM rate_limit_hits WHERE at < $1")
        .bind(before)
        .execute(db)
        .await
        .map(|done| done.rows_affected())
}
