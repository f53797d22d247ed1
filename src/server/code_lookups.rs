//! Guessing typed transfer codes: each client address may look up a few codes a minute,
//! and all clients together may fail a budget of look-ups an hour. A look-up takes its
//! hits before the code is searched; one that finds a usable code gives its hit on the
//! failure budget back. Counted in the database, across instances. Once the budget is
//! spent, a look-up needs a proof of work instead (a few seconds in a phone's browser),
//! so that real patients still get through while someone guesses from many addresses.
//! QR links carry a token of their own and never come here.

use crate::error::AppError;
use crate::server::code_work;
use crate::server::rate_limit::{self, Hits, Limit, address_key, site_key};
use crate::server::state::AppState;

/// The budget of failures is shared by every client.
const EVERY_CLIENT: &str = "*";

fn per_address(state: &AppState) -> Limit {
    Limit {
        scope: "code-lookup",
        max: state.settings.code_lookups.per_client_per_minute,
        window_secs: 60,
    }
}

/// An IPv6 /48 may hold 65,536 /64 addresses: together they get ten addresses' worth.
fn per_site(state: &AppState) -> Limit {
    Limit {
        scope: "code-lookup-site",
        max: state.settings.code_lookups.per_client_per_minute.saturating_mul(10),
        window_secs: 60,
    }
}

fn failure_budget(state: &AppState) -> Limit {
    Limit {
        scope: "code-lookup-failure",
        max: state.settings.code_lookups.failures_per_hour,
        window_secs: 3600,
    }
}

/// Admits a look-up by the client at `ip`, or refuses it. The hits returned count a
/// failure unless `found` is called.
pub async fn admit(state: &AppState, ip: Option<&str>, proof: Option<&str>) -> Result<Hits, AppError> {
    let address = ip.map(address_key).unwrap_or_default();
    let site = ip.and_then(site_key);
    // A look-up counts against its address (and its IPv6 site) whether it finds a code
    // or not.
    let mut limits = vec![(per_address(state), address.as_str())];
    if let Some(site) = &site {
        limits.push((per_site(state), site.as_str()));
    }
    let _ = rate_limit::take(state, &limits).await?;
    match rate_limit::take(state, &[(failure_budget(state), EVERY_CLIENT)]).await {
        Err(AppError::RateLimited { .. }) => match proof {
            Some(proof) if code_work::accepted(state, proof).await? => Ok(Hits::default()),
            _ => Err(code_work::required(state)),
        },
        taken => taken,
    }
}

/// The look-up found a usable code: it was no failure.
pub async fn found(state: &AppState, hits: Hits) -> Result<(), AppError> {
    rate_limit::release(state, hits).await
}
