//! Signed-in sessions. Only a keyed hash of the cookie's token is stored.

use crate::model::session::{SessionStage, SignIn};
use sqlx::{Any, Executor, FromRow};

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    #[sqlx(try_from = "String")]
    pub stage: SessionStage,
    #[sqlx(try_from = "String")]
    pub proof: SignIn,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

const COLUMNS: &str = "id, user_id, stage, proof, ip, user_agent, created_at, last_seen_at, expires_at";

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: &'a str,
    pub stage: SessionStage,
    pub proof: SignIn,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub expires_at: i64,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    new: &NewSession<'_>,
    now: i64,
) -> Result<SessionRow, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO sessions (id, token_hash, user_id, stage, proof, ip, user_agent, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) RETURNING {COLUMNS}"
    ))
    .bind(super::new_id())
    .bind(new.token_hash)
    .bind(new.user_id)
    .bind(new.stage.as_ref())
    .bind(new.proof.as_ref())
    .bind(new.ip)
    .bind(new.user_agent)
    .bind(now)
    .bind(new.expires_at)
    .fetch_one(db)
    .await
}

pub async fn find_by_token_hash<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM sessions WHERE token_hash = $1"))
        .bind(token_hash)
        .fetch_optional(db)
        .await
}

pub async fn find<'e>(db: impl Executor<'e, Database = Any>, id: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM sessions WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Newest activity first.
pub async fn list_for_user<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY last_seen_at DESC"
    ))
    .bind(user_id)
    .fetch_all(db)
    .await
}

pub async fn touch<'e>(db: impl Executor<'e, Database = Any>, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(db)
        .await
        .map(drop)
}

pub async fn set_stage<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    stage: SessionStage,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET stage = $2 WHERE id = $1")
        .bind(id)
        .bind(stage.as_ref())
        .execute(db)
        .await
        .map(drop)
}

/// Ends one of a user's sessions; false when the user has no such session.
pub async fn delete<'e>(db: impl Executor<'e, Database = Any>, id: &str, user_id: &str) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Ends the user's sessions opened by `proof`.
pub async fn delete_signed_in_by<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    proof: SignIn,
) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND proof = $2")
        .bind(user_id)
        .bind(proof.as_ref())
        .execute(db)
        .await?;
    Ok(result.rows_affected())
}

/// Ends every session of a user but `keep`, and says how many ended.
pub async fn delete_for_user<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    keep: Option<&str>,
) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(db)
        .await?;
    Ok(result.rows_affected())
}
