//! Single-use recovery codes for the second factor, stored as keyed hashes.

use sqlx::{Any, Executor};

/// Replaces a user's codes with new ones (hashes only).
pub async fn replace_for_user(db: &sqlx::AnyPool, user_id: &str, code_hashes: &[String]) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    for hash in code_hashes {
        sqlx::query("INSERT INTO recovery_codes (id, user_id, code_hash) VALUES ($1, $2, $3)")
            .bind(super::new_id())
            .bind(user_id)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Uses a code once: true the first time, false ever after or for an unknown code.
pub async fn use_code<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    code_hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let result =
        sqlx::query("UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL")
            .bind(user_id)
            .bind(code_hash)
            .bind(now)
            .execute(db)
            .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn delete_for_user<'e>(db: impl Executor<'e, Database = Any>, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(db)
        .await
        .map(drop)
}
