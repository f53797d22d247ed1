//! The retention sweep: documents past their deletion date are deleted (when
//! `AUTO_DELETE_ENABLED`), and codes that ended more than `ENDED_CODE_GRACE_DAYS` ago
//! are purged, with their sealed note. A document's row goes first and its content
//! after, so an interrupted sweep leaves at most content without a row, which the next
//! start removes; running it again finishes the work. Rate-limit hits too old to count
//! in any window go too. It logs counts, never names.

use crate::server::rate_limit::LONGEST_WINDOW_SECS;
use crate::server::repo::{documents, rate_limits, transfer_codes};
use crate::server::state::AppState;
use std::time::Duration;

/// Documents deleted per round, so that one sweep never holds a long transaction.
const BATCH: i64 = 500;

/// What one sweep removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub documents: u64,
    pub codes: u64,
}

pub async fn sweep(state: &AppState) -> Result<Swept, sqlx::Error> {
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
                    tracing::error!(%error, "the content of a deleted document stays until the next start");
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
    if swept != Swept::default() {
        tracing::info!(documents = swept.documents, codes = swept.codes, "retention sweep");
    }
    Ok(swept)
}

/// Sweeps every `RETENTION_SWEEP_MINUTES`, from start until the server stops.
pub async fn run(state: AppState) {
    let every = Duration::from_secs(u64::from(state.settings.retention_sweep_minutes) * 60);
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        if let Err(error) = sweep(&state).await {
            tracing::error!(%error, "the retention sweep failed; it will run again");
        }
    }
}
