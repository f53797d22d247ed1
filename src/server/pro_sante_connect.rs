//! Pro Santé Connect (PSC), the French state's OpenID Connect provider for health
//! professionals (the e-CPS app, the CPS card). A staff account linked to its holder's
//! RPPS number signs in with it, and that login is strong authentication in itself.
//!
//! The flow is the authorization code with PKCE (S256), `state` and `nonce`, asking for
//! `openid scope_all` at level `eidas1`. The provider is discovered at PSC's own path,
//! with its keys, at each step, so rotated keys are picked up at once. What a login must
//! remember until the provider answers (state, nonce, PKCE verifier, and the account
//! being linked, if any) travels in a ten-minute cookie signed with `SECRET_KEY`, so any
//! instance can finish a login another began. The `openidconnect` crate checks the ID
//! token (signature against the provider's keys, issuer, audience, expiry, nonce) and the
//! userinfo answer, JSON or signed JWT.

use crate::error::AppError;
use crate::i18n::Text;
use crate::model::audit::Action;
use crate::model::session::{PscInvitation, PscOutcome, SessionStage, SignIn};
use crate::server::audit::{self, Actor};
use crate::server::config::Settings;
use crate::server::http::web::{RequestMeta, SiteCookie};
use crate::server::login_limit;
use crate::server::repo::users::{self, User};
use crate::server::repo::{pharmacies, sessions};
use crate::server::session::{self, Caller, Staff};
use crate::server::state::AppState;
use openidconnect::core::{
    CoreAuthPrompt, CoreAuthenticationFlow, CoreGenderClaim, CoreIdTokenClaims, CoreTokenResponse,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClientId, CsrfToken, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, PostLogoutRedirectUrl, Scope, TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};

const PENDING_COOKIE: SiteCookie = SiteCookie("santhium_psc");
const PENDING_PURPOSE: &str = "psc-login";
const PENDING_SECS: i64 = 600;
/// The authentication level PSC is asked for, and must report in the ID token.
const EIDAS_SUBSTANTIAL: &str = "eidas1";

/// What a login in progress remembers until the provider answers.
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    /// The signed-in user linking their account; none for a login.
    linking: Option<String>,
}

impl Pending {
    fn cookie(&self, state: &AppState) -> String {
        let payload = [
            self.state.as_str(),
            self.nonce.as_str(),
            self.verifier.as_str(),
            self.linking.as_deref().unwrap_or_default(),
        ]
        .join(":");
        let expires_at = state.clock.now() + PENDING_SECS;
        let signed = state.settings.secret_key.grant(PENDING_PURPOSE, &payload, expires_at);
        PENDING_COOKIE.set(&state.settings, &signed, PENDING_SECS)
    }

    fn from_cookie(state: &AppState, meta: &RequestMeta) -> Option<Pending> {
        let signed = meta.cookie(&PENDING_COOKIE.name(&state.settings))?;
        let payload = state
            .settings
            .secret_key
            .granted(PENDING_PURPOSE, signed, state.clock.now())?;
        let mut parts = payload.split(':').map(str::to_owned);
        let (state, nonce, verifier, linking) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        Some(Pending {
            state,
            nonce,
            verifier,
            linking: Some(linking).filter(|id| !id.is_empty()),
        })
    }
}

/// The cookie a finished (or abandoned) login leaves: none.
pub fn cleared_cookie(settings: &Settings) -> String {
    PENDING_COOKIE.set(settings, "", 0)
}

/// Where to send the browser to sign in at the provider, and the cookie to set first.
/// `linking` names the signed-in user whose account is being linked.
pub async fn begin(state: &AppState, linking: Option<&User>) -> Result<(String, String), PscOutcome> {
    let connector = state.pro_sante_connect.as_ref().ok_or(PscOutcome::Failed)?;
    let client = connector.client(&state.settings.public_url, connector.metadata().await?)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("scope_all".into()))
        .add_extra_param("acr_values", EIDAS_SUBSTANTIAL)
        .set_pkce_challenge(challenge);
    if linking.is_some() {
        // Linking binds whoever signs in at PSC now to the account: never a PSC session
        // some earlier visitor of this browser left open.
        request = request.add_prompt(CoreAuthPrompt::Login);
    }
    let (url, csrf, nonce) = request.url();
    let pending = Pending {
        state: csrf.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
        linking: linking.map(|user| user.id.clone()),
    };
    Ok((url.to_string(), pending.cookie(state)))
}

/// The provider's answer, as the callback's query carries it.
#[derive(Debug, Default, Deserialize)]
pub struct Answer {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// Where a finished login or link lands: a session to open (its token), or a page
/// saying how it ended.
pub enum Landing {
    SignedIn {
        stage: SessionStage,
        token: String,
    },
    /// No account is linked, but admins invited this professional: the invitations page,
    /// with the cookie that names the professional.
    Invited {
        cookie: String,
    },
    Account(PscOutcome),
    Login(PscOutcome),
}

/// Who the provider vouches for.
#[derive(Debug, PartialEq, Eq)]
pub struct Professional {
    pub rpps: String,
    pub professions: Vec<String>,
}

/// Finishes a login or a link with the provider's answer. The answer takes a hit on
/// its address's login limit before anything is checked; only a professional the
/// provider vouched for gives it back.
pub async fn finish(state: &AppState, meta: &RequestMeta, answer: Answer) -> Result<Landing, AppError> {
    let hits = match login_limit::provider_answer(state, meta.ip.as_deref()).await {
        Err(AppError::RateLimited { .. }) => return Ok(Landing::Login(PscOutcome::Limited)),
        other => other?,
    };
    let Some(pending) = Pending::from_cookie(state, meta) else {
        return Ok(Landing::Login(PscOutcome::Abandoned));
    };
    let land = |outcome| match pending.linking {
        Some(_) => Landing::Account(outcome),
        None => Landing::Login(outcome),
    };
    if answer.error.is_some() {
        login_limit::not_a_failure(state, hits).await?;
        return Ok(land(PscOutcome::Abandoned));
    }
    let professional = match vouched(state, &pending, answer).await {
        Ok(professional) => professional,
        Err(outcome) => {
            record_failure(state, meta, None).await?;
            return Ok(land(outcome));
        }
    };
    login_limit::not_a_failure(state, hits).await?;
    let connector = state.pro_sante_connect.as_ref().ok_or(AppError::Internal)?;
    let allowed = professional
        .professions
        .iter()
        .any(|code| connector.settings.allowed_professions.contains(code));
    match &pending.linking {
        Some(user_id) => link(state, meta, user_id, &professional, allowed)
            .await
            .map(Landing::Account),
        None => sign_in(state, meta, &professional, allowed).await,
    }
}

/// The professional the provider's answer vouches for, every check passed: the state
/// is this browser's, the code is traded with the PKCE verifier, the ID token is signed
/// by the provider, for this client, unexpired, with this login's nonce and level
/// `eidas1`, and the userinfo is of the same subject.
async fn vouched(state: &AppState, pending: &Pending, answer: Answer) -> Result<Professional, PscOutcome> {
    use subtle::ConstantTimeEq;
    let connector = state.pro_sante_connect.as_ref().ok_or(PscOutcome::Failed)?;
    let refused = |what: &str| {
        tracing::warn!("Pro Santé Connect: {what}");
        PscOutcome::Failed
    };
    let same_state: bool = answer
        .state
        .unwrap_or_default()
        .as_bytes()
        .ct_eq(pending.state.as_bytes())
        .into();
    if !same_state {
        return Err(refused("the answer's state is not this browser's"));
    }
    let code = answer.code.ok_or_else(|| refused("the answer has no code"))?;
    let metadata = connector.with_keys(connector.metadata().await?).await?;
    let client = connector.client(&state.settings.public_url, metadata)?;
    let tokens: CoreTokenResponse = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|_| refused("the provider has no token endpoint"))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
        .request_async(&connector.http)
        .await
        .map_err(|e| refused(&format!("the code was not traded for tokens: {e}")))?;
    let id_token = tokens.id_token().ok_or_else(|| refused("no ID token"))?;
    let claims: &CoreIdTokenClaims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(pending.nonce.clone()))
        .map_err(|e| refused(&format!("the ID token does not hold: {e}")))?;
    if claims.auth_context_ref().map(|acr| acr.as_str()) != Some(EIDAS_SUBSTANTIAL) {
        return Err(refused("the ID token's level is not eidas1"));
    }
    let info: UserInfoClaims<PscClaims, CoreGenderClaim> = client
        .user_info(tokens.access_token().clone(), Some(claims.subject().clone()))
        .map_err(|_| refused("the provider has no userinfo endpoint"))?
        .request_async(&connector.http)
        .await
        .map_err(|e| refused(&format!("the userinfo does not hold: {e}")))?;
    let claims = info.additional_claims();
    let rpps = rpps_of(&claims.subject_name_id).ok_or(PscOutcome::UnknownAccount)?;
    Ok(Professional {
        rpps,
        professions: claims
            .subject_ref_pro
            .exercices
            .iter()
            .map(|practice| practice.code_profession.clone())
            .collect(),
    })
}

/// PSC's userinfo claims beyond the standard ones.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct PscClaims {
    /// The national identifier: `8` and the RPPS number for RPPS holders.
    #[serde(rename = "SubjectNameID")]
    subject_name_id: String,
    #[serde(rename = "SubjectRefPro", default)]
    subject_ref_pro: SubjectRefPro,
}

impl AdditionalClaims for PscClaims {}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct SubjectRefPro {
    #[serde(default)]
    exercices: Vec<Practice>,
}

/// One of the professional's practices (`exercice`).
#[derive(Clone, Debug, Deserialize, Serialize)]
struct Practice {
    #[serde(rename = "codeProfession", default)]
    code_profession: String,
}

/// The RPPS number (11 digits) in a national identifier (`8` and the RPPS number).
fn rpps_of(national_id: &str) -> Option<String> {
    national_id
        .strip_prefix('8')
        .filter(|rpps| is_rpps(rpps))
        .map(str::to_owned)
}

/// Eleven digits, as an RPPS number is written.
pub fn is_rpps(value: &str) -> bool {
    value.len() == 11 && value.bytes().all(|b| b.is_ascii_digit())
}

async fn record_failure(state: &AppState, meta: &RequestMeta, user: Option<&User>) -> Result<(), AppError> {
    let actor = Actor {
        pharmacy_id: user.map(|u| u.pharmacy_id.as_str()),
        user_id: user.map(|u| u.id.as_str()),
        ip: meta.ip.as_deref(),
    };
    audit::record(
        state,
        actor,
        Action::LoginFailed,
        Some(("account", "Pro Santé Connect")),
    )
    .await
}

/// A session for the account linked to `professional`, in its pharmacy.
async fn sign_in(
    state: &AppState,
    meta: &RequestMeta,
    professional: &Professional,
    allowed: bool,
) -> Result<Landing, AppError> {
    let user = users::find_by_rpps(&state.db, &professional.rpps).await?;
    let invited = match &user {
        Some(_) => false,
        None => !users::invited_as(&state.db, &professional.rpps).await?.is_empty(),
    };
    let refusal = match &user {
        None if !invited => Some(PscOutcome::UnknownAccount),
        _ if !allowed => Some(PscOutcome::Profession),
        Some(user) if !user.is_active => Some(PscOutcome::Disabled),
        _ => None,
    };
    if let Some(outcome) = refusal {
        record_failure(state, meta, user.as_ref()).await?;
        return Ok(Landing::Login(outcome));
    }
    let Some(user) = user else {
        return Ok(Landing::Invited {
            cookie: invitation_cookie(state, &professional.rpps),
        });
    };
    let staff = session::active_staff(state, &user.id, meta).await?;
    let (stage, token) = open_session(state, meta, &staff).await?;
    Ok(Landing::SignedIn { stage, token })
}

/// A session opened with PSC for `staff`, audited: its stage and token.
async fn open_session(state: &AppState, meta: &RequestMeta, staff: &Staff) -> Result<(SessionStage, String), AppError> {
    let stage = session::owed_stage(&staff.user, &staff.pharmacy, SignIn::ProSanteConnect);
    let token = session::open(state, &staff.user, SignIn::ProSanteConnect, stage, meta).await?;
    login_limit::completed(state, &staff.user.email).await?;
    audit::record(state, staff.into(), Action::LoginPsc, None).await?;
    Ok((stage, token))
}

const INVITATION_COOKIE: SiteCookie = SiteCookie("santhium_psc_invitation");
const INVITATION_PURPOSE: &str = "psc-invitation";

/// What the invitations page needs to know, for ten minutes: which professional PSC
/// vouched for (and let in by profession).
fn invitation_cookie(state: &AppState, rpps: &str) -> String {
    let expires_at = state.clock.now() + PENDING_SECS;
    let signed = state.settings.secret_key.grant(INVITATION_PURPOSE, rpps, expires_at);
    INVITATION_COOKIE.set(&state.settings, &signed, PENDING_SECS)
}

/// The professional the invitation cookie names; `Unauthorized` without a genuine one.
fn invited_professional<'a>(state: &AppState, meta: &'a RequestMeta) -> Result<&'a str, AppError> {
    let signed = meta
        .cookie(&INVITATION_COOKIE.name(&state.settings))
        .ok_or(AppError::Unauthorized)?;
    state
        .settings
        .secret_key
        .granted(INVITATION_PURPOSE, signed, state.clock.now())
        .ok_or(AppError::Unauthorized)
}

/// The invitations waiting for the professional PSC just vouched for.
pub async fn invitations(state: &AppState, meta: &RequestMeta) -> Result<Vec<PscInvitation>, AppError> {
    let rpps = invited_professional(state, meta)?;
    let mut invitations = Vec::new();
    for user in users::invited_as(&state.db, rpps).await? {
        let pharmacy = pharmacies::find(&state.db, &user.pharmacy_id)
            .await?
            .ok_or(AppError::Internal)?;
        invitations.push(PscInvitation {
            user_id: user.id,
            full_name: user.full_name,
            pharmacy_name: pharmacy.name,
        });
    }
    Ok(invitations)
}

/// The professional accepts the invitation of account `user_id`: it is linked to them,
/// its temporary password (which the admin saw) no longer opens it, and a session opens.
/// Returns the stage and the session's token.
pub async fn accept(state: &AppState, meta: &RequestMeta, user_id: &str) -> Result<(SessionStage, String), AppError> {
    let rpps = invited_professional(state, meta)?;
    let user = users::find(&state.db, user_id)
        .await?
        .filter(|user| user.invited_rpps.as_deref() == Some(rpps))
        .ok_or(AppError::NotFound)?;
    let unusable = state.hasher.hash(&uuid::Uuid::new_v4().to_string()).await?;
    let accepted = match users::accept_invitation(&state.db, &user.id, rpps, &unusable, state.clock.now()).await {
        Err(error) if error.as_database_error().is_some_and(|e| e.is_unique_violation()) => {
            return Err(AppError::invalid("rpps", Text::RppsTaken));
        }
        other => other?,
    };
    if !accepted {
        return Err(AppError::NotFound);
    }
    let staff = session::active_staff(state, &user.id, meta).await?;
    audit::record(state, (&staff).into(), Action::PscLinked, Some(("user", &user.id))).await?;
    open_session(state, meta, &staff).await
}

/// The invitation cookie, spent.
pub fn spent_invitation_cookie(settings: &Settings) -> String {
    INVITATION_COOKIE.set(settings, "", 0)
}

/// Links the signed-in user's account to `professional`. The session must be the one
/// that began the link, fully signed in with a password and a second factor.
async fn link(
    state: &AppState,
    meta: &RequestMeta,
    user_id: &str,
    professional: &Professional,
    allowed: bool,
) -> Result<PscOutcome, AppError> {
    let caller = session::staff(state, meta).await?;
    if caller.user.id != user_id || !may_link(&caller) {
        return Err(AppError::Forbidden);
    }
    if !allowed {
        return Ok(PscOutcome::Profession);
    }
    let linked = match users::link_rpps(&state.db, user_id, &professional.rpps, state.clock.now()).await {
        Err(error) if error.as_database_error().is_some_and(|e| e.is_unique_violation()) => false,
        other => other?,
    };
    if !linked {
        return Ok(PscOutcome::AlreadyLinked);
    }
    audit::record(state, (&caller).into(), Action::PscLinked, Some(("user", user_id))).await?;
    Ok(PscOutcome::Linked)
}

/// Unlinks `user`'s account from Pro Santé Connect, as `by` asks, and ends the sessions
/// it opened. Audited when there was a link.
pub async fn unlink(state: &AppState, by: &Staff, user: &User) -> Result<(), AppError> {
    if !users::unlink_rpps(&state.db, &user.id, state.clock.now()).await? {
        return Ok(());
    }
    sessions::delete_signed_in_by(&state.db, &user.id, SignIn::ProSanteConnect).await?;
    audit::record(state, by.into(), Action::PscUnlinked, Some(("user", &user.id))).await
}

/// Whether the caller may link their own account: in a session opened with their
/// password and a second-factor code, so that a stolen password alone cannot bind an
/// attacker's identity to it.
pub fn may_link(caller: &Caller) -> bool {
    caller.session.proof == SignIn::SecondFactor && caller.user.totp_secret.is_some() && caller.user.rpps.is_none()
}

/// Where the browser goes to end the provider's session too, after a PSC session is
/// closed here; none when the provider offers no end-session endpoint or cannot be
/// reached (the session here is closed all the same).
pub async fn provider_logout(state: &AppState, caller: &Caller) -> Option<String> {
    if caller.session.proof != SignIn::ProSanteConnect {
        return None;
    }
    let connector = state.pro_sante_connect.as_ref()?;
    let metadata = connector.metadata().await.ok()?;
    let end_session = metadata.additional_metadata().end_session_endpoint.clone()?;
    let back = PostLogoutRedirectUrl::new(format!("{}/login", state.settings.public_url)).ok()?;
    let request = openidconnect::LogoutRequest::from(end_session)
        .set_client_id(ClientId::new(connector.settings.client_id.clone()))
        .set_post_logout_redirect_uri(back);
    Some(request.http_get_url().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rpps_number_is_read_from_the_national_identifier() {
        assert_eq!(rpps_of("810001234567").as_deref(), Some("10001234567"));
        assert_eq!(rpps_of("010001234567"), None, "an ADELI-based identifier");
        assert_eq!(rpps_of("81000123456"), None, "too short");
        assert_eq!(rpps_of("8100012345a7"), None);
        assert!(is_rpps("10001234567"));
        assert!(!is_rpps("1000123456"));
    }
}
