//! Uploads in progress, each holding one use of its code until its document is
//! committed or its reservation expires.

use sqlx::{Any, Executor, FromRow};

#[derive(Debug, FromRow)]
pub struct Reservation {
    pub id: String,
    pub code_id: String,
    pub upload_id: Option<String>,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    code_id: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO upload_reservations (id, code_id, expires_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(code_id)
        .bind(expires_at)
        .execute(db)
        .await?;
    Ok(())
}

/// Names the bucket's multipart upload the document is written through.
pub async fn set_upload_id<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    upload_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE upload_reservations SET upload_id = $2 WHERE id = $1")
        .bind(id)
        .bind(upload_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends a reservation; false when it was already gone (committed, or expired and swept).
pub async fn remove<'e>(db: impl Executor<'e, Database = Any>, id: &str) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("DELETE FROM upload_reservations WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Ends a reservation that has not expired at `now`, as its document is committed; false
/// when it expired (its use goes back through the sweep) or is gone.
pub async fn remove_unexpired<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("DELETE FROM upload_reservations WHERE id = $1 AND expires_at > $2")
        .bind(id)
        .bind(now)
        .execute(db)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Reservations that expired before `now`.
pub async fn expired<'e>(
    db: impl Executor<'e, Database = Any>,
    now: i64,
    limit: i64,
) -> Result<Vec<Reservation>, sqlx::Error> {
    sqlx::query_as("SELECT id, code_id, upload_id FROM upload_reservations WHERE expires_at < $1 LIMIT $2")
        .bind(now)
        .bind(limit)
        .fetch_all(db)
        .await
}

/// The ids of the documents being uploaded.
pub async fn all_ids<'e>(db: impl Executor<'e, Database = Any>) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM upload_reservations")
        .fetch_all(db)
        .await
}
