//! Document metadata. The content is in the blob store under the document's id, sealed
//! with a data key that is stored here wrapped by the master key `key_id`.

use sqlx::{Any, Executor, FromRow};

pub struct NewDocument<'a> {
    pub id: &'a str,
    pub pharmacy_id: &'a str,
    pub code_id: &'a str,
    pub original_filename: &'a str,
    pub file_type: &'a str,
    pub mime_type: &'a str,
    pub file_size: i64,
    pub sha256: &'a str,
    pub key_id: &'a str,
    pub wrapped_key: &'a [u8],
    pub deletion_date: i64,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    new: &NewDocument<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO documents (id, pharmacy_id, code_id, original_filename, file_type, mime_type, file_size,
                                sha256, key_id, wrapped_key, uploaded_at, deletion_date)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(new.id)
    .bind(new.pharmacy_id)
    .bind(new.code_id)
    .bind(new.original_filename)
    .bind(new.file_type)
    .bind(new.mime_type)
    .bind(new.file_size)
    .bind(new.sha256)
    .bind(new.key_id)
    .bind(new.wrapped_key)
    .bind(now)
    .bind(new.deletion_date)
    .execute(db)
    .await?;
    Ok(())
}

/// Every document id, to find blobs left without a row.
pub async fn all_ids<'e>(db: impl Executor<'e, Database = Any>) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM documents").fetch_all(db).await
}

/// What opening a document needs.
#[derive(Debug, FromRow)]
pub struct StoredDocument {
    pub id: String,
    pub pharmacy_id: String,
    pub original_filename: String,
    pub mime_type: String,
    pub key_id: String,
    pub wrapped_key: Vec<u8>,
}

/// One of the pharmacy's documents; another pharmacy's is not found.
pub async fn find_for_pharmacy<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    pharmacy_id: &str,
) -> Result<Option<StoredDocument>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, pharmacy_id, original_filename, mime_type, key_id, wrapped_key
         FROM documents WHERE id = $1 AND pharmacy_id = $2",
    )
    .bind(id)
    .bind(pharmacy_id)
    .fetch_optional(db)
    .await
}

/// Records the first view of a document; later views change nothing.
pub async fn mark_viewed<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    user_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE documents SET viewed_at = $3, viewed_by = $2 WHERE id = $1 AND viewed_at IS NULL")
        .bind(id)
        .bind(user_id)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// Documents whose deletion date has come, oldest first.
pub async fn due_for_deletion<'e>(
    db: impl Executor<'e, Database = Any>,
    now: i64,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM documents WHERE deletion_date <= $1 ORDER BY deletion_date, id LIMIT $2")
        .bind(now)
        .bind(limit)
        .fetch_all(db)
        .await
}

/// Deletes a document whose deletion date has come; false if it is gone already.
pub async fn delete_due<'e>(db: impl Executor<'e, Database = Any>, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("DELETE FROM documents WHERE id = $1 AND deletion_date <= $2")
        .bind(id)
        .bind(now)
        .execute(db)
        .await?;
    Ok(result.rows_affected() == 1)
}
