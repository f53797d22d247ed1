//! Background work that runs once per period across all instances. Every instance looks
//! every ten seconds; the one that takes a job's lease (one statement in the database) runs
//! it, and holds the lease for the period. An instance that dies mid-job lets another
//! take over once the lease has expired. Jobs are idempotent, so a job run twice (after
//! a lease expired under a slow run) does no harm.

use crate::server::meters;
use crate::server::repo::job_leases;
use crate::server::state::AppState;
use std::fmt::Display;
use std::sync::LazyLock;
use std::time::Duration;

/// How often an instance looks whether a job is due.
const LOOK_EVERY: Duration = Duration::from_secs(10);

/// This process, as lease holders are named.
static INSTANCE: LazyLock<String> = LazyLock::new(|| uuid::Uuid::new_v4().to_string());

/// Runs `job` once per `period_secs` across all instances, from start until the server
/// stops.
pub async fn every<F, E>(state: AppState, name: &'static str, period_secs: i64, job: impl Fn(AppState) -> F)
where
    F: Future<Output = Result<(), E>>,
    E: Display,
{
    let mut looks = tokio::time::interval(LOOK_EVERY);
    loop {
        looks.tick().await;
        let now = state.clock.now();
        match job_leases::take(&state.db, name, &INSTANCE, now, now + period_secs).await {
            Ok(true) => {
                let outcome = match job(state.clone()).await {
                    Ok(()) => "done",
                    Err(error) => {
                        tracing::error!(job = name, %error, "a background job failed; it will run again");
                        "failed"
                    }
                };
                metrics::counter!(meters::JOB_RUNS, "job" => name, "outcome" => outcome).increment(1);
            }
            Ok(false) => {}
            Err(error) => tracing::warn!(job = name, %error, "cannot tell whether a background job is due"),
        }
    }
}
