//! Document metadata. The content is in the blob store under the document's id, sealed
//! with a data key that is stored here wrapped by the master key `key_id`.

use sqlx::{Any, Executor, FromRow};

pub struct NewDocument<'a> {
    pub id: &'a str,
    pub pharmacy_id: &'a str,
    pub code_id: &'a str,
    pub original_filename: &'a str,
    /// The file name as searched (see `documents::search_name`).
    pub search_name: &'a str,
    pub file_type: &'a str,
    pub mime_type: &'a str,
    pub file_size: i64,
    pub sha256: &'a str,
    pub key_id: &'a str,
    pub wrapped_key: &'a [u8],
    pub deletion_date: i64,
    /// The patient's upload cookie that sent it, for the page's receipt.
    pub sender: Option<&'a str>,
    /// Pages the server put together into this PDF, when it did.
    pub page_count: Option<i64>,
    /// The texts of the QR codes found in it, as a JSON list, sealed.
    pub qr_codes_ciphertext: Option<&'a [u8]>,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    new: &NewDocument<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO documents (id, pharmacy_id, code_id, original_filename, search_name, file_type, mime_type,
                                file_size, sha256, key_id, wrapped_key, uploaded_at, deletion_date, sender, page_count,
                                qr_codes_ciphertext)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(new.id)
    .bind(new.pharmacy_id)
    .bind(new.code_id)
    .bind(new.original_filename)
    .bind(new.search_name)
    .bind(new.file_type)
    .bind(new.mime_type)
    .bind(new.file_size)
    .bind(new.sha256)
    .bind(new.key_id)
    .bind(new.wrapped_key)
    .bind(now)
    .bind(new.deletion_date)
    .bind(new.sender)
    .bind(new.page_count)
    .bind(new.qr_codes_ciphertext)
    .execute(db)
    .await?;
    Ok(())
}

/// A document as its sender's receipt shows it.
#[derive(Debug, FromRow)]
pub struct SentDocument {
    pub id: String,
    pub original_filename: String,
    pub file_size: i64,
    pub sha256: String,
    pub uploaded_at: i64,
    pub page_count: Option<i64>,
}

/// The documents still kept at `now` that one upload cookie sent with a code, oldest
/// first (in any order within a second).
pub async fn sent_by<'e>(
    db: impl Executor<'e, Database = Any>,
    code_id: &str,
    sender: &str,
    now: i64,
) -> Result<Vec<SentDocument>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, original_filename, file_size, sha256, uploaded_at, page_count FROM documents
         WHERE code_id = $1 AND sender = $2 AND deletion_date > $3 ORDER BY uploaded_at, id",
    )
    .bind(code_id)
    .bind(sender)
    .bind(now)
    .fetch_all(db)
    .await
}

/// Id and file name of the documents received before names were indexed for search.
pub async fn without_search_name<'e>(
    db: impl Executor<'e, Database = Any>,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, original_filename FROM documents WHERE search_name IS NULL")
        .fetch_all(db)
        .await
}

pub async fn set_search_name<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    search_name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE documents SET search_name = $1 WHERE id = $2")
        .bind(search_name)
        .bind(id)
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

/// A document as the pharmacy's list shows it, with its code and viewer when kept.
#[derive(Debug, FromRow)]
pub struct ListedDocument {
    pub id: String,
    pub original_filename: String,
    pub mime_type: String,
    pub file_size: i64,
    pub uploaded_at: i64,
    pub page_count: Option<i64>,
    pub qr_codes_ciphertext: Option<Vec<u8>>,
    pub code_id: Option<String>,
    pub code_ciphertext: Option<Vec<u8>>,
    pub note_ciphertext: Option<Vec<u8>>,
    pub viewed_at: Option<i64>,
    pub viewed_by: Option<String>,
    pub deletion_date: i64,
}

/// Which of a pharmacy's documents to list; `None` does not filter.
pub struct ListFilter<'a> {
    pub pharmacy_id: &'a str,
    /// 1: viewed only, 0: new only.
    pub viewed: Option<i64>,
    pub code_id: Option<&'a str>,
    pub received_from: Option<i64>,
    pub received_before: Option<i64>,
    /// A `LIKE` pattern on the search name, `\` escaping.
    pub name_like: Option<String>,
}

const FILTERED: &str = "FROM documents d
     LEFT JOIN transfer_codes c ON c.id = d.code_id
     LEFT JOIN users u ON u.id = d.viewed_by
     WHERE d.pharmacy_id = $1
       AND ($2 IS NULL OR ($2 = 1) = (d.viewed_at IS NOT NULL))
       AND ($3 IS NULL OR d.code_id = $3)
       AND ($4 IS NULL OR d.uploaded_at >= $4)
       AND ($5 IS NULL OR d.uploaded_at < $5)
       AND ($6 IS NULL OR COALESCE(d.search_name, LOWER(d.original_filename)) LIKE $6 ESCAPE '\\')";

fn filtered<'q>(
    sql: &'q str,
    filter: &'q ListFilter<'q>,
) -> sqlx::query::Query<'q, Any, <Any as sqlx::Database>::Arguments<'q>> {
    sqlx::query(sql)
        .bind(filter.pharmacy_id)
        .bind(filter.viewed)
        .bind(filter.code_id)
        .bind(filter.received_from)
        .bind(filter.received_before)
        .bind(filter.name_like.as_deref())
}

/// A page of the filtered documents, newest first.
pub async fn list<'e>(
    db: impl Executor<'e, Database = Any>,
    filter: &ListFilter<'_>,
    skip: i64,
    limit: i64,
) -> Result<Vec<ListedDocument>, sqlx::Error> {
    let sql = format!(
        "SELECT d.id, d.original_filename, d.mime_type, d.file_size, d.uploaded_at, d.page_count, d.qr_codes_ciphertext, d.code_id,
                c.code_ciphertext, c.note_ciphertext, d.viewed_at, u.full_name AS viewed_by, d.deletion_date
         {FILTERED} ORDER BY d.uploaded_at DESC, d.id DESC LIMIT $7 OFFSET $8"
    );
    let rows = filtered(&sql, filter).bind(limit).bind(skip).fetch_all(db).await?;
    rows.iter().map(ListedDocument::from_row).collect()
}

/// How many documents the filter matches.
pub async fn count<'e>(db: impl Executor<'e, Database = Any>, filter: &ListFilter<'_>) -> Result<i64, sqlx::Error> {
    let sql = format!("SELECT COUNT(*) AS n {FILTERED}");
    let row = filtered(&sql, filter).fetch_one(db).await?;
    sqlx::Row::try_get(&row, "n")
}

/// Marks a document new again.
pub async fn mark_new<'e>(db: impl Executor<'e, Database = Any>, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE documents SET viewed_at = NULL, viewed_by = NULL WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes one of the pharmacy's documents; false if there is none by that id.
pub async fn delete_for_pharmacy<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    pharmacy_id: &str,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("DELETE FROM documents WHERE id = $1 AND pharmacy_id = $2")
        .bind(id)
        .bind(pharmacy_id)
        .execute(db)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Moves the deletion date of a pharmacy's documents to `days` after their arrival.
pub async fn reschedule_deletion<'e>(
    db: impl Executor<'e, Database = Any>,
    pharmacy_id: &str,
    days: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE documents SET deletion_date = uploaded_at + $2 * 86400 WHERE pharmacy_id = $1")
        .bind(pharmacy_id)
        .bind(days)
        .execute(db)
        .await?;
    Ok(())
}
