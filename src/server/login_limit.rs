//! At most `LOGIN_MAX_FAILURES` failed logins per account and per client address in a
//! sliding window. The account is keyed by the email as typed, so the answer is the
//! same whether or not the account exists.

use crate::error::AppError;
use crate::server::AppState;
use crate::server::repo::login_failures::{self, Scope};

/// What failures are counted against: the account typed, and the client address.
pub struct LoginKeys {
    keys: Vec<(Scope, String)>,
}

impl LoginKeys {
    pub fn new(state: &AppState, email: &str, ip: Option<&str>) -> LoginKeys {
        let secret = &state.settings.secret_key;
        let mut keys = vec![(Scope::Account, secret.keyed_hash("login-account", email.as_bytes()))];
        if let Some(ip) = ip {
            keys.push((Scope::Ip, secret.keyed_hash("login-ip", ip.as_bytes())));
        }
        LoginKeys { keys }
    }
}

fn window_secs(state: &AppState) -> i64 {
    i64::from(state.settings.login_limit.window_minutes) * 60
}

/// Refuses with the time to wait once either key reached the limit.
pub async fn check(state: &AppState, keys: &LoginKeys) -> Result<(), AppError> {
    let now = state.clock.now();
    let window = window_secs(state);
    let mut retry_after = 0;
    for (scope, key) in &keys.keys {
        let (failures, oldest) = login_failures::since(&state.db, *scope, key, now - window).await?;
        if failures >= i64::from(state.settings.login_limit.max_failures) {
            retry_after = retry_after.max(oldest.unwrap_or(now) + window - now);
        }
    }
    if retry_after > 0 {
        return Err(AppError::RateLimited {
            retry_after_secs: u64::try_from(retry_after).unwrap_or(1).max(1),
        });
    }
    Ok(())
}

pub async fn record_failure(state: &AppState, keys: &LoginKeys) -> Result<(), AppError> {
    let now = state.clock.now();
    login_failures::prune(&state.db, now - window_secs(state)).await?;
    for (scope, key) in &keys.keys {
        login_failures::record(&state.db, *scope, key, now).await?;
    }
    Ok(())
}

/// A successful login forgets the account's failures (not the address's).
pub async fn record_success(state: &AppState, keys: &LoginKeys) -> Result<(), AppError> {
    for (scope, key) in keys.keys.iter().filter(|(scope, _)| *scope == Scope::Account) {
        login_failures::clear(&state.db, *scope, key).await?;
    }
    Ok(())
}
