//! Challenges for the proof of work typed codes need once the hourly budget of failed
//! look-ups is spent. A challenge is a grant signed with the server secret (no storage
//! until it is used), good for five minutes and for one look-up.

use crate::error::AppError;
use crate::proof_of_work;
use crate::server::rate_limit::{self, Limit};
use crate::server::state::AppState;
use base64::Engine;
use rand::RngCore;

const PURPOSE: &str = "code-lookup-work";
const LIFETIME_SECS: i64 = 300;

/// Refuses a look-up, asking for work on a new challenge.
pub fn required(state: &AppState) -> AppError {
    let mut nonce = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let nonce = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(nonce);
    let challenge = state
        .settings
        .secret_key
        .grant(PURPOSE, &nonce, state.clock.now() + LIFETIME_SECS);
    AppError::ProofOfWorkRequired {
        challenge,
        bits: state.settings.code_lookups.proof_of_work_bits,
    }
}

/// Whether `proof` solves a genuine, live challenge of ours not used before; using it
/// spends it.
pub async fn accepted(state: &AppState, proof: &str) -> Result<bool, AppError> {
    let Some((challenge, counter)) = proof_of_work::parse(proof) else {
        return Ok(false);
    };
    let genuine = state
        .settings
        .secret_key
        .granted(PURPOSE, challenge, state.clock.now())
        .is_some();
    if !genuine || !proof_of_work::solves(challenge, counter, state.settings.code_lookups.proof_of_work_bits) {
        return Ok(false);
    }
    let once = Limit {
        scope: "code-lookup-work",
        max: 1,
        window_secs: LIFETIME_SECS,
    };
    match rate_limit::take(state, &[(once, challenge)]).await {
        Ok(_) => Ok(true),
        Err(AppError::RateLimited { .. }) => Ok(false),
        Err(error) => Err(error),
    }
}
