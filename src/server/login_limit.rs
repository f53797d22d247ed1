//! At most `LOGIN_MAX_FAILURES` failed attempts in a sliding window, per account for the
//! password, per account (separately) for second-factor codes, and per client address
//! for both. An attempt takes its hits before the password is hashed or the code
//! checked; a right answer gives them back. The account is keyed by the email as typed,
//! so the answer is the same whether or not the account exists. Pro Santé Connect's
//! answers count against the address's limit.

use crate::error::AppError;
use crate::server::rate_limit::{self, Hits, Limit, address_key};
use crate::server::state::AppState;

/// What is being tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Factor {
    Password,
    SecondFactor,
}

fn limit(state: &AppState, scope: &'static str) -> Limit {
    Limit {
        scope,
        max: state.settings.login_limit.max_failures,
        window_secs: i64::from(state.settings.login_limit.window_minutes) * 60,
    }
}

fn account_limit(state: &AppState, factor: Factor) -> Limit {
    match factor {
        Factor::Password => limit(state, "login-password"),
        Factor::SecondFactor => limit(state, "login-second-factor"),
    }
}

/// Takes an attempt's hits (the account's for this factor, and the address's) before
/// anything is checked; refused with the time to wait when either is spent.
pub async fn attempt(state: &AppState, factor: Factor, email: &str, ip: Option<&str>) -> Result<Hits, AppError> {
    let address = ip.map(address_key);
    let mut limits = vec![(account_limit(state, factor), email)];
    if let Some(address) = &address {
        limits.push((limit(state, "login-address"), address.as_str()));
    }
    rate_limit::take(state, &limits).await
}

/// Takes a Pro Santé Connect answer's hit on its address's limit, before anything is
/// checked: whose account it is, nobody knows until the provider has vouched for it.
pub async fn provider_answer(state: &AppState, ip: Option<&str>) -> Result<Hits, AppError> {
    let address = ip.map(address_key);
    let limits: Vec<_> = address
        .iter()
        .map(|address| (limit(state, "login-address"), address.as_str()))
        .collect();
    rate_limit::take(state, &limits).await
}

/// The attempt was right, or was never checked (the server was busy): not a failure.
pub async fn not_a_failure(state: &AppState, hits: Hits) -> Result<(), AppError> {
    rate_limit::release(state, hits).await
}

/// The whole login succeeded: the account's failures, of the password and of the
/// second factor, are forgotten (not the address's).
pub async fn completed(state: &AppState, email: &str) -> Result<(), AppError> {
    for factor in [Factor::Password, Factor::SecondFactor] {
        rate_limit::clear(state, account_limit(state, factor), email).await?;
    }
    Ok(())
}
