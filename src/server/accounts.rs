//! Registering a pharmacy, logging in (password, then second factor, then whatever the
//! account still owes), and what users manage of their own account.

use crate::error::AppError;
use crate::i18n::Text;
use crate::model::account::{SecondFactorEnabled, SessionInfo, TotpEnrolment};
use crate::model::audit::Action;
use crate::model::session::{CurrentUser, Session, SessionStage, SignIn};
use crate::model::staff::Role;
use crate::server::audit::{self, Actor};
use crate::server::http::web::RequestMeta;
use crate::server::keys::Sealed;
use crate::server::keys::bound_to;
use crate::server::login_limit::{self, Factor};
use crate::server::passwords::{self, Verified};
use crate::server::pro_sante_connect;
use crate::server::rate_limit::{self, Limit, address_key};
use crate::server::repo::pharmacies::{self, NewPharmacy};
use crate::server::repo::users::{self, NewUser, User};
use crate::server::repo::{api_tokens, recovery_codes, sessions};
use crate::server::session::{self, Caller, Staff};
use crate::server::state::AppState;
use crate::server::totp;

pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A plausible address: one `@`, a dotted domain, no spaces, at most 254 characters.
pub fn check_email(field: &str, email: &str) -> Result<(), AppError> {
    let plausible = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.split('.').count() >= 2
                && !domain.split('.').any(str::is_empty)
        });
    if plausible {
        Ok(())
    } else {
        Err(AppError::invalid(field, Text::EmailInvalid))
    }
}

/// A required line of text, trimmed, at most `max` characters.
pub fn required_text<'a>(field: &str, value: &'a str, max: usize) -> Result<&'a str, AppError> {
    let value = value.trim();
    if value.is_empty() {
        Err(AppError::invalid(field, Text::Required))
    } else if value.chars().count() > max || value.contains(char::is_control) {
        Err(AppError::invalid(field, Text::TooLong))
    } else {
        Ok(value)
    }
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    error.as_database_error().is_some_and(|e| e.is_unique_violation())
}

/// Moves the caller to `stage`, proven by `proof`, with a new session token (privileges
/// changed).
async fn advance(
    state: &AppState,
    caller: &Caller,
    (proof, stage): (SignIn, SessionStage),
    meta: &RequestMeta,
) -> Result<String, AppError> {
    sessions::delete(&state.db, &caller.session.id, &caller.user.id).await?;
    session::open(state, &caller.user, proof, stage, meta).await
}

pub struct Registration<'a> {
    pub pharmacy_name: &'a str,
    pub address: &'a str,
    pub full_name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
}

/// A new pharmacy and its first admin, signed in (to set up a second factor first when
/// new pharmacies require one). Returns the stage and the session token.
pub async fn register(
    state: &AppState,
    meta: &RequestMeta,
    form: Registration<'_>,
) -> Result<(SessionStage, String), AppError> {
    let admin = register_pharmacy(state, meta, form).await?;
    let stage = session::owed_stage(&admin.user, &admin.pharmacy, SignIn::Password);
    Ok((
        stage,
        session::open(state, &admin.user, SignIn::Password, stage, meta).await?,
    ))
}

/// Takes a registration's hits, per address and for all clients. Every valid attempt
/// counts, accepted or not, so finding out which emails have an account through
/// "already taken" costs as much as registering.
async fn registration_limits(state: &AppState, meta: &RequestMeta) -> Result<(), AppError> {
    let limits = state.settings.registrations;
    let per_address = Limit {
        scope: "registration-address",
        max: limits.per_address_per_day,
        window_secs: 86_400,
    };
    let everyone = Limit {
        scope: "registration",
        max: limits.per_hour,
        window_secs: 3600,
    };
    let address = meta.ip.as_deref().map(address_key).unwrap_or_default();
    // Kept: each attempt counts.
    let _ = rate_limit::take(state, &[(per_address, address.as_str()), (everyone, "*")]).await?;
    Ok(())
}

/// A new pharmacy and its first admin, for the pages and the API alike.
pub async fn register_pharmacy(
    state: &AppState,
    meta: &RequestMeta,
    form: Registration<'_>,
) -> Result<Staff, AppError> {
    let pharmacy_name = required_text("pharmacy_name", form.pharmacy_name, 200)?;
    let address = Some(form.address.trim()).filter(|a| !a.is_empty());
    if address.is_some_and(|a| a.chars().count() > 300) {
        return Err(AppError::invalid("address", Text::TooLong));
    }
    let full_name = required_text("full_name", form.full_name, 200)?;
    let email = normalise_email(form.email);
    check_email("email", &email)?;
    passwords::check_policy(form.password, &[&email, full_name, pharmacy_name])
        .map_err(|t| AppError::invalid("password", t))?;
    registration_limits(state, meta).await?;
    if users::find_by_email(&state.db, &email).await?.is_some() {
        return Err(AppError::invalid("email", Text::EmailTaken));
    }
    let password_hash = state.hasher.hash(form.password).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let new_pharmacy = NewPharmacy {
        name: pharmacy_name,
        address,
        retention_days: i64::from(state.settings.data_retention_days),
        require_second_factor: state.settings.new_pharmacies_require_second_factor,
    };
    let pharmacy = pharmacies::insert(&mut *tx, &new_pharmacy, now).await?;
    let new_user = NewUser {
        pharmacy_id: &pharmacy.id,
        email: &email,
        full_name,
        password_hash: &password_hash,
        role: Role::Admin,
        temporary_until: None,
        invited_rpps: None,
    };
    let user = match users::insert(&mut *tx, &new_user, now).await {
        Err(error) if is_unique_violation(&error) => return Err(AppError::invalid("email", Text::EmailTaken)),
        other => other?,
    };
    tx.commit().await?;
    let admin = Staff {
        user,
        pharmacy,
        ip: meta.ip.clone(),
    };
    audit::record(
        state,
        (&admin).into(),
        Action::PharmacyRegistered,
        Some(("pharmacy", &admin.pharmacy.id)),
    )
    .await?;
    Ok(admin)
}

/// Checks email and password, for the pages and the API alike. Unknown account, wrong
/// password and disabled account all answer the same, in about the same time.
pub async fn authenticate(
    state: &AppState,
    meta: &RequestMeta,
    email: &str,
    password: &str,
) -> Result<Staff, AppError> {
    let email = normalise_email(email);
    let hits = login_limit::attempt(state, Factor::Password, &email, meta.ip.as_deref()).await?;
    let user = users::find_by_email(&state.db, &email).await?;
    let verified = match state
        .hasher
        .verify(user.as_ref().map(|u| u.password_hash.as_str()), password)
        .await
    {
        Ok(verified) => verified,
        Err(error) => {
            login_limit::not_a_failure(state, hits).await?;
            return Err(error);
        }
    };
    let user = match (user, verified) {
        (Some(user), Verified::Right { upgrade }) if user.is_active => {
            login_limit::not_a_failure(state, hits).await?;
            if upgrade {
                let hash = state.hasher.hash(password).await?;
                users::set_password(&state.db, &user.id, &hash, user.password_expires_at, state.clock.now()).await?;
            }
            user
        }
        (user, _) => {
            // The attempt's hits stay: they count this failure.
            let actor = Actor {
                pharmacy_id: user.as_ref().map(|u| u.pharmacy_id.as_str()),
                user_id: None,
                ip: meta.ip.as_deref(),
            };
            audit::record(
                state,
                actor,
                Action::LoginFailed,
                Some(("account", &audit::shortened_email(&email))),
            )
            .await?;
            return Err(AppError::InvalidCredentials);
        }
    };
    if user.must_change_password && user.password_expires_at.is_some_and(|until| until <= state.clock.now()) {
        return Err(AppError::invalid("password", Text::TemporaryPasswordExpired));
    }
    if user.totp_secret.is_none() {
        login_limit::completed(state, &email).await?;
    }
    let pharmacy = pharmacies::find(&state.db, &user.pharmacy_id)
        .await?
        .ok_or(AppError::Internal)?;
    Ok(Staff {
        user,
        pharmacy,
        ip: meta.ip.clone(),
    })
}

/// A browser's login. Returns the stage and session token.
pub async fn login(
    state: &AppState,
    meta: &RequestMeta,
    email: &str,
    password: &str,
) -> Result<(SessionStage, String), AppError> {
    let staff = authenticate(state, meta, email, password).await?;
    let stage = if staff.user.totp_secret.is_some() {
        SessionStage::SecondFactor
    } else {
        audit::record(state, (&staff).into(), Action::LoginSucceeded, None).await?;
        session::owed_stage(&staff.user, &staff.pharmacy, SignIn::Password)
    };
    Ok((
        stage,
        session::open(state, &staff.user, SignIn::Password, stage, meta).await?,
    ))
}

fn open_totp_secret(state: &AppState, user_id: &str, blob: &[u8]) -> Result<Vec<u8>, AppError> {
    let sealed = Sealed::from_blob(blob).ok_or(AppError::Internal)?;
    let secret = state
        .settings
        .encryption_key
        .open(&sealed, &bound_to::totp_secret(user_id))
        .map_err(|error| {
            tracing::error!(%error, "a TOTP secret does not open");
            AppError::Internal
        })?;
    Ok(secret.to_vec())
}

/// The second step of a browser's login. Returns the next stage and the new session
/// token.
pub async fn verify_second_factor(
    state: &AppState,
    caller: &Caller,
    meta: &RequestMeta,
    code: &str,
) -> Result<(SessionStage, String), AppError> {
    accept_second_factor(state, caller, meta, code).await?;
    let stage = session::owed_stage(&caller.user, &caller.pharmacy, SignIn::SecondFactor);
    Ok((
        stage,
        advance(state, caller, (SignIn::SecondFactor, stage), meta).await?,
    ))
}

/// Checks a TOTP code (each time step once) or a recovery code (each once), within the
/// login limits, and records the login.
pub async fn accept_second_factor(
    state: &AppState,
    staff: &Staff,
    meta: &RequestMeta,
    code: &str,
) -> Result<(), AppError> {
    let hits = login_limit::attempt(state, Factor::SecondFactor, &staff.user.email, meta.ip.as_deref()).await?;
    let user = &staff.user;
    let now = state.clock.now();
    let code = totp::normalise_code(code);
    let accepted = if totp::is_totp_code(&code) {
        let blob = user.totp_secret.as_deref().ok_or(AppError::Forbidden)?;
        let secret = open_totp_secret(state, &user.id, blob)?;
        match totp::matching_step(&secret, &code, now) {
            Some(step) => users::use_totp_step(&state.db, &user.id, step).await?,
            None => false,
        }
    } else {
        let hash = state
            .settings
            .secret_key
            .keyed_hash("recovery-code", totp::normalise_recovery_code(&code).as_bytes());
        let used = recovery_codes::use_code(&state.db, &user.id, &hash, now).await?;
        if used {
            audit::record(state, staff.into(), Action::RecoveryCodeUsed, None).await?;
        }
        used
    };
    if !accepted {
        // The attempt's hits stay: they count this failure.
        return Err(AppError::invalid("code", Text::CodeInvalid));
    }
    login_limit::not_a_failure(state, hits).await?;
    login_limit::completed(state, &user.email).await?;
    audit::record(state, staff.into(), Action::LoginSucceeded, None).await
}

pub async fn logout(state: &AppState, caller: &Caller) -> Result<(), AppError> {
    sessions::delete(&state.db, &caller.session.id, &caller.user.id).await?;
    audit::record(state, caller.into(), Action::Logout, None).await
}

pub fn current(caller: &Caller) -> Session {
    let user = &caller.user;
    Session {
        user: CurrentUser {
            id: user.id.clone(),
            email: user.email.clone(),
            full_name: user.full_name.clone(),
            role: user.role,
            pharmacy_name: caller.pharmacy.name.clone(),
            second_factor_enabled: user.totp_secret.is_some(),
            second_factor_required: caller.pharmacy.require_second_factor,
            time_zone: caller.pharmacy.zone(),
            rpps: user.rpps.clone(),
        },
        stage: caller.session.stage,
        may_link_psc: pro_sante_connect::may_link(caller),
    }
}

/// Unlinks the caller's own account from Pro Santé Connect.
pub async fn unlink_pro_sante_connect(state: &AppState, caller: &Caller) -> Result<(), AppError> {
    pro_sante_connect::unlink(state, caller, &caller.user).await
}

/// A new password, the current one being proven. Every other session ends; this one
/// gets a new token. Returns the next stage and that token.
pub async fn change_password(
    state: &AppState,
    caller: &Caller,
    meta: &RequestMeta,
    current_password: &str,
    new_password: &str,
) -> Result<(SessionStage, String), AppError> {
    let user = &caller.user;
    if state.hasher.verify(Some(&user.password_hash), current_password).await? == Verified::Wrong {
        return Err(AppError::invalid("current_password", Text::PasswordWrong));
    }
    passwords::check_policy(new_password, &[&user.email, &user.full_name, &caller.pharmacy.name])
        .map_err(|t| AppError::invalid("new_password", t))?;
    if new_password == current_password {
        return Err(AppError::invalid("new_password", Text::PasswordUnchanged));
    }
    let hash = state.hasher.hash(new_password).await?;
    users::set_password(&state.db, &user.id, &hash, None, state.clock.now()).await?;
    sessions::delete_for_user(&state.db, &user.id, Some(&caller.session.id)).await?;
    api_tokens::revoke_for_user(&state.db, &user.id, state.clock.now()).await?;
    audit::record(state, caller.into(), Action::PasswordChanged, None).await?;
    let changed = User {
        must_change_password: false,
        ..user.clone()
    };
    let stage = match caller.session.stage {
        SessionStage::ChangePassword => session::owed_stage(&changed, &caller.pharmacy, caller.session.proof),
        stage => stage,
    };
    Ok((
        stage,
        advance(state, caller, (caller.session.proof, stage), meta).await?,
    ))
}

/// Starts setting up a second factor: a new secret, kept pending until a first code
/// confirms that the user's app has it.
pub async fn begin_second_factor(state: &AppState, caller: &Caller) -> Result<TotpEnrolment, AppError> {
    let user = &caller.user;
    if user.totp_secret.is_some() {
        return Err(AppError::invalid("code", Text::SecondFactorAlreadyEnabled));
    }
    let secret = totp::new_secret();
    let (secret_text, otpauth_uri) = totp::enrolment(&secret, &user.email).ok_or(AppError::Internal)?;
    let sealed = state
        .settings
        .encryption_key
        .seal(&secret, &bound_to::totp_secret(&user.id));
    users::set_pending_totp(&state.db, &user.id, &sealed.to_blob()).await?;
    Ok(TotpEnrolment {
        secret_text,
        otpauth_uri,
    })
}

/// Confirms the pending secret with a code from the app; returns ten recovery codes,
/// shown this once, and a new session token when the session moved on.
pub async fn confirm_second_factor(
    state: &AppState,
    caller: &Caller,
    meta: &RequestMeta,
    code: &str,
) -> Result<(SecondFactorEnabled, Option<String>), AppError> {
    let user = &caller.user;
    let blob = user
        .totp_pending_secret
        .as_deref()
        .ok_or_else(|| AppError::invalid("code", Text::SecondFactorNotStarted))?;
    let secret = open_totp_secret(state, &user.id, blob)?;
    let step = totp::matching_step(&secret, &totp::normalise_code(code), state.clock.now())
        .ok_or_else(|| AppError::invalid("code", Text::CodeInvalid))?;
    users::enable_totp(&state.db, &user.id, blob, step).await?;
    let codes = totp::new_recovery_codes();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| {
            state
                .settings
                .secret_key
                .keyed_hash("recovery-code", totp::normalise_recovery_code(c).as_bytes())
        })
        .collect();
    recovery_codes::replace_for_user(&state.db, &user.id, &hashes).await?;
    // Whatever signed in with the password alone (a session elsewhere, API tokens) must
    // now sign in again, with the second factor.
    sessions::delete_for_user(&state.db, &user.id, Some(&caller.session.id)).await?;
    api_tokens::revoke_for_user(&state.db, &user.id, state.clock.now()).await?;
    audit::record(state, caller.into(), Action::SecondFactorEnrolled, None).await?;
    let token = match caller.session.stage {
        SessionStage::EnrolSecondFactor => {
            Some(advance(state, caller, (caller.session.proof, SessionStage::Active), meta).await?)
        }
        _ => None,
    };
    Ok((SecondFactorEnabled { recovery_codes: codes }, token))
}

/// Removes the second factor, the password being proven; not while the pharmacy
/// requires one.
pub async fn remove_second_factor(state: &AppState, caller: &Caller, password: &str) -> Result<(), AppError> {
    if caller.pharmacy.require_second_factor {
        return Err(AppError::invalid("password", Text::SecondFactorRequiredByPharmacy));
    }
    if state.hasher.verify(Some(&caller.user.password_hash), password).await? == Verified::Wrong {
        return Err(AppError::invalid("password", Text::PasswordWrong));
    }
    users::clear_totp(&state.db, &caller.user.id).await?;
    recovery_codes::delete_for_user(&state.db, &caller.user.id).await?;
    audit::record(state, caller.into(), Action::SecondFactorRemoved, None).await
}

pub async fn list_sessions(state: &AppState, caller: &Caller) -> Result<Vec<SessionInfo>, AppError> {
    let parser = woothee::parser::Parser::new();
    let rows = sessions::list_for_user(&state.db, &caller.user.id).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let device = row
                .user_agent
                .as_deref()
                .and_then(|ua| parser.parse(ua))
                .and_then(|found| {
                    let (browser, os) = (found.name, found.os);
                    (browser != "UNKNOWN").then(|| {
                        if os == "UNKNOWN" {
                            browser.to_owned()
                        } else {
                            format!("{browser}, {os}")
                        }
                    })
                });
            SessionInfo {
                current: row.id == caller.session.id,
                id: row.id,
                device,
                ip: row.ip,
                created_at: row.created_at,
                last_seen_at: row.last_seen_at,
            }
        })
        .collect())
}

/// Ends one of the caller's own sessions; another user's session id is not found.
pub async fn end_session(state: &AppState, caller: &Caller, session_id: &str) -> Result<(), AppError> {
    if !sessions::delete(&state.db, session_id, &caller.user.id).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        state,
        caller.into(),
        Action::SessionEnded,
        Some(("session", session_id)),
    )
    .await
}

/// Ends every session of the caller but this one; returns how many ended.
pub async fn end_other_sessions(state: &AppState, caller: &Caller) -> Result<u64, AppError> {
    let ended = sessions::delete_for_user(&state.db, &caller.user.id, Some(&caller.session.id)).await?;
    audit::record(
        state,
        caller.into(),
        Action::SessionEnded,
        Some(("sessions", &ended.to_string())),
    )
    .await?;
    Ok(ended)
}
