//! Transfer codes. The code and the note are stored sealed; `lookup_hash` finds a code
//! typed by a patient, `link_hash` one whose QR link was opened.

use sqlx::{Any, Executor, FromRow};

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct CodeRow {
    pub id: String,
    pub pharmacy_id: String,
    pub created_by: Option<String>,
    pub code_ciphertext: Vec<u8>,
    pub note_ciphertext: Option<Vec<u8>>,
    pub max_uses: i64,
    pub current_uses: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

const COLUMNS: &str = "id, pharmacy_id, created_by, code_ciphertext, note_ciphertext, max_uses, current_uses, \
                       expires_at, revoked_at, created_at, last_used_at";

pub struct NewCode<'a> {
    pub id: &'a str,
    pub pharmacy_id: &'a str,
    pub created_by: &'a str,
    pub lookup_hash: &'a str,
    pub link_hash: &'a str,
    pub code_ciphertext: &'a [u8],
    pub note_ciphertext: Option<Vec<u8>>,
    pub max_uses: i64,
    pub expires_at: i64,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    new: &NewCode<'_>,
    now: i64,
) -> Result<CodeRow, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO transfer_codes (id, pharmacy_id, created_by, lookup_hash, link_hash, code_ciphertext,
                                     note_ciphertext, max_uses, current_uses, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10) RETURNING {COLUMNS}"
    ))
    .bind(new.id)
    .bind(new.pharmacy_id)
    .bind(new.created_by)
    .bind(new.lookup_hash)
    .bind(new.link_hash)
    .bind(new.code_ciphertext)
    .bind(new.note_ciphertext.as_deref())
    .bind(new.max_uses)
    .bind(new.expires_at)
    .bind(now)
    .fetch_one(db)
    .await
}

/// A pharmacy's most recent codes, newest first.
pub async fn list_for_pharmacy<'e>(
    db: impl Executor<'e, Database = Any>,
    pharmacy_id: &str,
    limit: i64,
) -> Result<Vec<CodeRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM transfer_codes WHERE pharmacy_id = $1 ORDER BY created_at DESC, id LIMIT $2"
    ))
    .bind(pharmacy_id)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Revokes a code of this pharmacy that is not revoked yet; false otherwise.
pub async fn revoke<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    pharmacy_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE transfer_codes SET revoked_at = $3 WHERE id = $1 AND pharmacy_id = $2 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(pharmacy_id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn find<'e>(db: impl Executor<'e, Database = Any>, id: &str) -> Result<Option<CodeRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM transfer_codes WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn find_by_lookup_hash<'e>(
    db: impl Executor<'e, Database = Any>,
    lookup_hash: &str,
) -> Result<Option<CodeRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM transfer_codes WHERE lookup_hash = $1"))
        .bind(lookup_hash)
        .fetch_optional(db)
        .await
}

pub async fn find_by_link_hash<'e>(
    db: impl Executor<'e, Database = Any>,
    link_hash: &str,
) -> Result<Option<CodeRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM transfer_codes WHERE link_hash = $1"))
        .bind(link_hash)
        .fetch_optional(db)
        .await
}

/// Codes created before links had their own token.
pub async fn ids_without_link<'e>(db: impl Executor<'e, Database = Any>) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM transfer_codes WHERE link_hash IS NULL")
        .fetch_all(db)
        .await
}

pub async fn set_link_hash<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    link_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE transfer_codes SET link_hash = $2 WHERE id = $1 AND link_hash IS NULL")
        .bind(id)
        .bind(link_hash)
        .execute(db)
        .await
        .map(drop)
}

/// Takes one use of a code that is neither revoked, expired nor used up, in a single
/// conditional update: of parallel callers, only as many as there are uses left succeed.
/// Returns the code's pharmacy.
pub async fn take_use<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE transfer_codes SET current_uses = current_uses + 1, last_used_at = $2
         WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2 AND current_uses < max_uses
         RETURNING pharmacy_id",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(db)
    .await
}

/// Gives back a use taken for an upload that failed.
pub async fn give_back_use<'e>(db: impl Executor<'e, Database = Any>, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE transfer_codes SET current_uses = current_uses - 1 WHERE id = $1 AND current_uses > 0")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes codes that ended (revoked, expired or used up) before `cutoff`.
pub async fn purge_ended_before<'e>(db: impl Executor<'e, Database = Any>, cutoff: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query(
        "DELETE FROM transfer_codes
         WHERE revoked_at <= $1 OR expires_at <= $1 OR (current_uses >= max_uses AND last_used_at <= $1)",
    )
    .bind(cutoff)
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}
