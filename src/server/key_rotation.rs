//! Moving every value sealed with an older master key to the current one: document
//! keys, transfer codes and notes, second-factor secrets. Run by `santhium rewrap-keys`
//! after a new `ENCRYPTION_KEY` is set and the old one moved to
//! `PREVIOUS_ENCRYPTION_KEYS`. Documents' content is not touched: only the data keys that
//! open it are re-wrapped. Each value is replaced only if unchanged meanwhile, so the
//! command can run beside the server, be interrupted and be run again.

use crate::server::keys::bound_to;
use crate::server::keys::{Keyring, ResealError};
use crate::server::repo::sealed::{self, SealedColumn, SealedValue};
use sqlx::AnyPool;

/// What happened to one kind of sealed value.
#[derive(Debug, PartialEq, Eq)]
pub struct Resealed {
    pub column: SealedColumn,
    /// Values moved to the current key by this run.
    pub moved: usize,
    pub total: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{column}: {source}")]
    Reseal { column: &'static str, source: ResealError },
}

fn context(column: SealedColumn, value: &SealedValue) -> Vec<u8> {
    match column {
        SealedColumn::DocumentKey => bound_to::document(&value.pharmacy_id, &value.id, &value.key_id),
        SealedColumn::DocumentQrCodes => bound_to::document_qr_codes(&value.id),
        SealedColumn::TransferCode => bound_to::transfer_code(&value.id),
        SealedColumn::TransferCodeNote => bound_to::code_note(&value.id),
        SealedColumn::TotpSecret | SealedColumn::PendingTotpSecret => bound_to::totp_secret(&value.id),
    }
}

pub async fn reseal_all(db: &AnyPool, keyring: &Keyring) -> Result<Vec<Resealed>, RotationError> {
    let mut report = Vec::new();
    for column in SealedColumn::ALL {
        let values = sealed::list(db, column).await?;
        let mut moved = 0;
        for value in &values {
            let resealed =
                keyring
                    .reseal(&value.blob, &context(column, value))
                    .map_err(|source| RotationError::Reseal {
                        column: column.name(),
                        source,
                    })?;
            if let Some(new) = resealed
                && sealed::replace(db, column, &value.id, &value.blob, &new).await?
            {
                moved += 1;
            }
        }
        report.push(Resealed {
            column,
            moved,
            total: values.len(),
        });
    }
    Ok(report)
}
