//! Failed logins in a sliding window, per account and per client address. Kept in the
//! database so that every server instance sees the same counts.

use sqlx::{Any, Executor, Row};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Account,
    Ip,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::Account => "account",
            Scope::Ip => "ip",
        }
    }
}

pub async fn record<'e>(
    db: impl Executor<'e, Database = Any>,
    scope: Scope,
    key_hash: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO login_failures (scope, key_hash, failed_at) VALUES ($1, $2, $3)")
        .bind(scope.as_str())
        .bind(key_hash)
        .bind(now)
        .execute(db)
        .await
        .map(drop)
}

/// Failures since `since`: how many, and when the oldest of them happened.
pub async fn since<'e>(
    db: impl Executor<'e, Database = Any>,
    scope: Scope,
    key_hash: &str,
    since: i64,
) -> Result<(i64, Option<i64>), sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS failures, MIN(failed_at) AS oldest FROM login_failures
         WHERE scope = $1 AND key_hash = $2 AND failed_at >= $3",
    )
    .bind(scope.as_str())
    .bind(key_hash)
    .bind(since)
    .fetch_one(db)
    .await?;
    Ok((row.try_get("failures")?, row.try_get("oldest")?))
}

/// Forgets an account's failures after it logs in.
pub async fn clear<'e>(db: impl Executor<'e, Database = Any>, scope: Scope, key_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE scope = $1 AND key_hash = $2")
        .bind(scope.as_str())
        .bind(key_hash)
        .execute(db)
        .await
        .map(drop)
}

/// Drops failures too old to count.
pub async fn prune<'e>(db: impl Executor<'e, Database = Any>, before: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE failed_at < $1")
        .bind(before)
        .execute(db)
        .await
        .map(drop)
}
