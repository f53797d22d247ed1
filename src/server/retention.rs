//! The retention sweep: documents past their deletion date are deleted (when
//! `AUTO_DELETE_ENABLED`), and codes that ended more than `ENDED_CODE_GRACE_DAYS` ago
//! are purged, with their sealed note. A document's row goes first and its content
//! after, so an interrupted sweep leaves at most content without a row; running it again
//! finishes the work. Uploads whose reservation expired (their instance died) give their
//! code's use back and leave nothing; blobs without a row, older than any upload can
//! last, are removed. Rate-limit hits too old to count in any window go too. It runs
//! on one instance at a time (see `jobs`), and logs counts, never names.

use crate::error::AppError;
use crate::server::blob_store::{self, storage_error};
use crate::server::jobs;
use crate::server::rate_limit::LONGEST_WINDOW_SECS;
use crate::server::repo::{documents, rate_limits, transfer_codes, upload_reservations};
use crate::server::state::AppState;
use std::collections::HashSet;

/// Documents deleted per round, so that one sweep never holds a long transaction.
const BATCH: i64 = 500;

/// What one sweep removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub documents: u64,
    pub codes: u64,
    /// Uploads abandoned by an instance that died.
    pub uploads: u64,
    /// Blobs no document or upload holds.
    pub orphans: u64,
}

pub async fn sweep(state: &AppState) -> Result<Swept, AppError> {
    let now = state.clock.now();
    let mut swept = Swept::default();
    if state.settings.auto_delete_enabled {
        loop {
            let due = documents::due_for_deletion(&state.db, now, BATCH).await?;
            for id in &due {
                if documents::delete_due(&state.db, id, now).await? {
                    swept.documents += 1;
                }
                if let Err(error) = state.blobs.delete(id).await {
                    blob_store::report(&error, "the content of a deleted document stays until the orphan sweep");
                }
            }
            if (due.len() as i64) < BATCH {
                break;
            }
        }
    }
    let cutoff = now - i64::from(state.settings.ended_code_grace_days) * 86_400;
    swept.codes = transfer_codes::purge_ended_before(&state.db, cutoff).await?;
    rate_limits::prune(&state.db, now - LONGEST_WINDOW_SECS).await?;
    swept.uploads = end_abandoned_uploads(state, now).await?;
    swept.orphans = remove_orphans(state, now).await?;
    if swept != Swept::default() {
        tracing::info!(
            documents = swept.documents,
            codes = swept.codes,
            uploads = swept.uploads,
            orphans = swept.orphans,
            "retention sweep"
        );
    }
    Ok(swept)
}

/// Ends the reservations that expired: each gives its code's use back, once, and its
/// upload is aborted and its content removed. A reservation ended otherwise meanwhile
/// (its document was committed just in time) is left alone, with its content.
async fn end_abandoned_uploads(state: &AppState, now: i64) -> Result<u64, AppError> {
    let mut ended = 0;
    for reservation in upload_reservations::expired(&state.db, now, BATCH).await? {
        let mut tx = state.db.begin().await?;
        let removed = upload_reservations::remove(&mut *tx, &reservation.id).await?;
        if removed {
            transfer_codes::give_back_use(&mut *tx, &reservation.code_id).await?;
        }
        tx.commit().await?;
        if !removed {
            continue;
        }
        ended += 1;
        if let Some(upload) = &reservation.upload_id
            && let Err(error) = state.blobs.abort(&reservation.id, upload).await
        {
            blob_store::report(
                &error,
                "an abandoned upload could not be aborted; the bucket's lifecycle rule will",
            );
        }
        if let Err(error) = state.blobs.delete(&reservation.id).await {
            blob_store::report(
                &error,
                "the content of an abandoned upload stays until the orphan sweep",
            );
        }
    }
    Ok(ended)
}

/// Removes the blobs that no document or upload holds and that are older than any
/// upload can last: never one another instance is still writing.
async fn remove_orphans(state: &AppState, now: i64) -> Result<u64, AppError> {
    let cutoff = now - state.settings.longest_upload_secs();
    let candidates = state.blobs.list().await.map_err(storage_error)?;
    // Uploads first: one committed between the two reads is then among the documents.
    let mut known: HashSet<String> = upload_reservations::all_ids(&state.db).await?.into_iter().collect();
    known.extend(documents::all_ids(&state.db).await?);
    let mut removed = 0;
    for (id, written_at) in candidates {
        if written_at < cutoff && !known.contains(&id) {
            state.blobs.delete(&id).await.map_err(storage_error)?;
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::warn!(
            removed,
            "removed documents left without a row by an interrupted upload or deletion"
        );
    }
    Ok(removed)
}

/// Sweeps every `RETENTION_SWEEP_MINUTES` on one of the instances, from start until the
/// server stops.
pub async fn run(state: AppState) {
    let period = i64::from(state.settings.retention_sweep_minutes) * 60;
    jobs::every(state, "retention", period, |state| async move {
        sweep(&state).await.map(drop)
    })
    .await;
}
