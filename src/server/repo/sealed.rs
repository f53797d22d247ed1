//! Every column holding values sealed with a master key, read and replaced one value at
//! a time, for moving them to a new master key.

use sqlx::{Any, Executor, FromRow};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealedColumn {
    DocumentKey,
    DocumentQrCodes,
    TransferCode,
    TransferCodeNote,
    TotpSecret,
    PendingTotpSecret,
}

/// A sealed value, with what its context is made of.
#[derive(Debug, FromRow)]
pub struct SealedValue {
    pub id: String,
    pub pharmacy_id: String,
    /// For a document, the master key it arrived under (part of its context); empty
    /// otherwise.
    pub key_id: String,
    pub blob: Vec<u8>,
}

impl SealedColumn {
    pub const ALL: [SealedColumn; 6] = [
        SealedColumn::DocumentKey,
        SealedColumn::DocumentQrCodes,
        SealedColumn::TransferCode,
        SealedColumn::TransferCodeNote,
        SealedColumn::TotpSecret,
        SealedColumn::PendingTotpSecret,
    ];

    /// Table, column, and the expression giving `key_id`. Constants, never input.
    fn sql_names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            SealedColumn::DocumentKey => ("documents", "wrapped_key", "key_id"),
            SealedColumn::DocumentQrCodes => ("documents", "qr_codes_ciphertext", "''"),
            SealedColumn::TransferCode => ("transfer_codes", "code_ciphertext", "''"),
            SealedColumn::TransferCodeNote => ("transfer_codes", "note_ciphertext", "''"),
            SealedColumn::TotpSecret => ("users", "totp_secret", "''"),
            SealedColumn::PendingTotpSecret => ("users", "totp_pending_secret", "''"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SealedColumn::DocumentKey => "document keys",
            SealedColumn::DocumentQrCodes => "documents' QR codes",
            SealedColumn::TransferCode => "transfer codes",
            SealedColumn::TransferCodeNote => "transfer code notes",
            SealedColumn::TotpSecret => "second-factor secrets",
            SealedColumn::PendingTotpSecret => "pending second-factor secrets",
        }
    }
}

pub async fn list<'e>(
    db: impl Executor<'e, Database = Any>,
    column: SealedColumn,
) -> Result<Vec<SealedValue>, sqlx::Error> {
    let (table, name, key_id) = column.sql_names();
    sqlx::query_as(&format!(
        "SELECT id, pharmacy_id, {key_id} AS key_id, {name} AS blob FROM {table} WHERE {name} IS NOT NULL ORDER BY id"
    ))
    .fetch_all(db)
    .await
}

/// Replaces a value if it has not changed meanwhile; false if it has.
pub async fn replace<'e>(
    db: impl Executor<'e, Database = Any>,
    column: SealedColumn,
    id: &str,
    old: &[u8],
    new: &[u8],
) -> Result<bool, sqlx::Error> {
    let (table, name, _) = column.sql_names();
    let result = sqlx::query(&format!("UPDATE {table} SET {name} = $3 WHERE id = $1 AND {name} = $2"))
        .bind(id)
        .bind(old)
        .bind(new)
        .execute(db)
        .await?;
    Ok(result.rows_affected() == 1)
}
