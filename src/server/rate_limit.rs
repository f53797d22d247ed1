//! Limits that count before they admit. An action takes a hit against each of its limits
//! before any work is done (one `INSERT`), then counts the hits in the window, its own
//! and those of requests still in flight included; over the limit, it gives its hit back
//! and is refused. (A key already at its limit is refused on a first count, writing
//! nothing.) So N parallel attempts count as N, on every instance sharing the
//! database. A hit that turns out not to count (a right password) is released.

use crate::error::AppError;
use crate::server::meters;
use crate::server::repo::rate_limits;
use crate::server::state::AppState;
use std::net::IpAddr;

/// At most `max` hits per key in a sliding window of `window_secs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub scope: &'static str,
    pub max: u32,
    pub window_secs: i64,
}

/// Hits that were admitted; they count unless released.
#[must_use = "hits count unless released"]
#[derive(Debug, Default)]
pub struct Hits(Vec<i64>);

/// No window is longer than this; older hits are pruned by the retention sweep.
pub const LONGEST_WINDOW_SECS: i64 = 2 * 86_400;

fn key_hash(state: &AppState, scope: &str, key: &str) -> String {
    state
        .settings
        .secret_key
        .keyed_hash("rate-limit", format!("{scope}\n{key}").as_bytes())
}

/// The /48 network of an IPv6 address, which one site or tunnel subscriber may hold
/// whole (65,536 /64s): limits that matter count it too. None for IPv4.
pub fn site_key(ip: &str) -> Option<String> {
    match ip.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(IpAddr::V6(v6)) => {
            let segments = v6.segments();
            Some(format!("{:x}:{:x}:{:x}::/48", segments[0], segments[1], segments[2]))
        }
        _ => None,
    }
}

/// A client address as limits count it: an IPv4 address, or the /64 network of an IPv6
/// one (a single subscriber usually holds a whole /64).
pub fn address_key(ip: &str) -> String {
    match ip.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(IpAddr::V6(v6)) => {
            let segments = v6.segments();
            format!(
                "{:x}:{:x}:{:x}:{:x}::/64",
                segments[0], segments[1], segments[2], segments[3]
            )
        }
        Ok(v4) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

/// Takes one hit against each `(limit, key)`, or none: refused with the time to wait as
/// soon as one of them is over its limit.
pub async fn take(state: &AppState, limits: &[(Limit, &str)]) -> Result<Hits, AppError> {
    let mut hits = Hits::default();
    for (limit, key) in limits {
        match take_one(state, *limit, key).await {
            Ok(id) => hits.0.push(id),
            Err(error) => {
                release(state, hits).await?;
                return Err(error);
            }
        }
    }
    Ok(hits)
}

async fn take_one(state: &AppState, limit: Limit, key: &str) -> Result<i64, AppError> {
    let now = state.clock.now();
    let hash = key_hash(state, limit.scope, key);
    let window_start = now - limit.window_secs + 1;
    let max = i64::from(limit.max);
    // Already spent: refused without writing anything, so a flood of refused requests
    // costs the database one read each.
    let (hits, oldest) = rate_limits::since(&state.db, limit.scope, &hash, window_start).await?;
    if hits >= max {
        return Err(refusal(limit, oldest, now));
    }
    let id = rate_limits::hit(&state.db, limit.scope, &hash, now).await?;
    // Counted again with this hit: requests in flight since the first count are in it.
    let (hits, oldest) = rate_limits::since(&state.db, limit.scope, &hash, window_start).await?;
    if hits <= max {
        if hits == max {
            tracing::warn!(
                scope = limit.scope,
                "a rate limit is spent: further hits are refused for a while"
            );
        }
        return Ok(id);
    }
    rate_limits::release(&state.db, id).await?;
    Err(refusal(limit, oldest, now))
}

/// Refused until the oldest hit in the window leaves it.
fn refusal(limit: Limit, oldest: Option<i64>, now: i64) -> AppError {
    metrics::counter!(meters::REFUSALS, "limit" => limit.scope).increment(1);
    let retry_after = oldest.unwrap_or(now) + limit.window_secs - now;
    AppError::RateLimited {
        retry_after_secs: u64::try_from(retry_after).unwrap_or(1).max(1),
    }
}

/// The hits do not count after all.
pub async fn release(state: &AppState, hits: Hits) -> Result<(), AppError> {
    for id in hits.0 {
        rate_limits::release(&state.db, id).await?;
    }
    Ok(())
}

/// Forgets every hit of `key` under `limit`.
pub async fn clear(state: &AppState, limit: Limit, key: &str) -> Result<(), AppError> {
    rate_limits::clear(&state.db, limit.scope, &key_hash(state, limit.scope, key))
        .await
        .map_err(AppError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_by_their_64_network() {
        assert_eq!(address_key("192.0.2.7"), "192.0.2.7");
        assert_eq!(address_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(address_key("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
        assert_ne!(address_key("2001:db8:1:3::1"), address_key("2001:db8:1:2::1"));
        assert_eq!(address_key("::ffff:192.0.2.7"), "192.0.2.7", "IPv4 mapped into IPv6");
        assert_eq!(site_key("2001:db8:1:2:aaaa::1").as_deref(), Some("2001:db8:1::/48"));
        assert_eq!(site_key("192.0.2.7"), None);
    }
}
