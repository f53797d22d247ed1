//! Staff management, for a pharmacy's admins: accounts with temporary passwords, roles,
//! disabling, and requiring the second factor. Another pharmacy's user answers exactly
//! as a missing one.

use crate::error::AppError;
use crate::i18n::Text;
use crate::model::audit::Action;
use crate::model::staff::Role;
use crate::model::staff::{NewStaffAccount, StaffMember, StaffOverview};
use crate::server::accounts::{check_email, normalise_email, required_text};
use crate::server::audit;
use crate::server::pro_sante_connect;
use crate::server::repo::users::{self, NewUser, User};
use crate::server::repo::{api_tokens, documents, pharmacies, sessions};
use crate::server::session::Staff;
use crate::server::state::AppState;
use crate::time_format::pharmacy_zone;
use rand::Rng;

/// Letters and digits without look-alikes, for passwords read aloud or copied by hand.
const TEMPORARY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// 20 characters from 54 symbols: about 115 bits, in groups of five.
fn temporary_password() -> String {
    let mut rng = rand::rngs::OsRng;
    let chars: Vec<char> = (0..20)
        .map(|_| char::from(TEMPORARY_ALPHABET[rng.gen_range(0..TEMPORARY_ALPHABET.len())]))
        .collect();
    chars
        .chunks(5)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

fn member(user: User) -> StaffMember {
    StaffMember {
        second_factor_enabled: user.totp_secret.is_some(),
        id: user.id,
        email: user.email,
        full_name: user.full_name,
        role: user.role,
        is_active: user.is_active,
        must_change_password: user.must_change_password,
        rpps_invited: user.rpps.is_none() && user.invited_rpps.is_some(),
        rpps: user.rpps.or(user.invited_rpps),
    }
}

/// A user of the admin's own pharmacy, or `NotFound`.
async fn colleague(state: &AppState, admin: &Staff, user_id: &str) -> Result<User, AppError> {
    users::find(&state.db, user_id)
        .await?
        .filter(|u| u.pharmacy_id == admin.pharmacy.id)
        .ok_or(AppError::NotFound)
}

pub async fn overview(state: &AppState, admin: &Staff) -> Result<StaffOverview, AppError> {
    let members = users::list_for_pharmacy(&state.db, &admin.pharmacy.id).await?;
    Ok(StaffOverview {
        members: members.into_iter().map(member).collect(),
        second_factor_required: admin.pharmacy.require_second_factor,
        retention_days: u32::try_from(admin.pharmacy.retention_days).unwrap_or(0),
        notification_email: admin.pharmacy.notification_email.clone(),
        notifications_available: state.settings.smtp.is_some(),
        time_zone: admin.pharmacy.zone(),
    })
}

/// A new account with a temporary password, shown this once to the admin.
pub async fn create(state: &AppState, admin: &Staff, invitation: Invitation<'_>) -> Result<NewStaffAccount, AppError> {
    let email = normalise_email(invitation.email);
    check_email("email", &email)?;
    let full_name = required_text("full_name", invitation.full_name, 200)?;
    let invited_rpps = Some(invitation.rpps.trim()).filter(|rpps| !rpps.is_empty());
    if invited_rpps.is_some_and(|rpps| !pro_sante_connect::is_rpps(rpps)) {
        return Err(AppError::invalid("rpps", Text::RppsInvalid));
    }
    let password = temporary_password();
    let password_hash = state.hasher.hash(&password).await?;
    let now = state.clock.now();
    let expires_at = now + i64::from(state.settings.temporary_password_hours) * 3600;
    let new = NewUser {
        pharmacy_id: &admin.pharmacy.id,
        email: &email,
        full_name,
        password_hash: &password_hash,
        role: invitation.role,
        temporary_until: Some(expires_at),
        invited_rpps,
    };
    let user = match users::insert(&state.db, &new, now).await {
        Err(error) if error.as_database_error().is_some_and(|e| e.is_unique_violation()) => {
            return Err(AppError::invalid("email", Text::EmailTaken));
        }
        other => other?,
    };
    audit::record(state, admin.into(), Action::UserCreated, Some(("user", &user.id))).await?;
    Ok(NewStaffAccount {
        email,
        temporary_password: password,
        expires_at,
    })
}

/// Who an admin invites: their email, name and role, and their RPPS number (blank when
/// they will not sign in with Pro Santé Connect, or will link their account themselves),
/// which links the account once they accept the invitation signed in with PSC.
pub struct Invitation<'a> {
    pub email: &'a str,
    pub full_name: &'a str,
    pub role: Role,
    pub rpps: &'a str,
}

/// Unlinks a colleague's account from Pro Santé Connect, or withdraws its invitation. A
/// number is only ever linked by its holder: accepting an invitation, or linking their
/// own account.
pub async fn unlink_rpps(state: &AppState, admin: &Staff, user_id: &str) -> Result<(), AppError> {
    let user = colleague(state, admin, user_id).await?;
    pro_sante_connect::unlink(state, admin, &user).await
}

/// A role change, never leaving the pharmacy without an active admin: the pharmacy's
/// row is locked first, so two admins demoting each other at once cannot both succeed.
pub async fn set_role(state: &AppState, admin: &Staff, user_id: &str, role: Role) -> Result<(), AppError> {
    let user = colleague(state, admin, user_id).await?;
    let mut tx = state.db.begin().await?;
    pharmacies::lock(&mut *tx, &admin.pharmacy.id).await?;
    if !users::set_role(&mut *tx, &user.id, &admin.pharmacy.id, role, state.clock.now()).await? {
        return Err(AppError::invalid("role", Text::LastAdmin));
    }
    tx.commit().await?;
    audit::record(state, admin.into(), Action::RoleChanged, Some(("user", &user.id))).await
}

/// Disabling ends every session of the user at once.
pub async fn set_active(state: &AppState, admin: &Staff, user_id: &str, active: bool) -> Result<(), AppError> {
    let user = colleague(state, admin, user_id).await?;
    let mut tx = state.db.begin().await?;
    pharmacies::lock(&mut *tx, &admin.pharmacy.id).await?;
    if !users::set_active(&mut *tx, &user.id, &admin.pharmacy.id, active, state.clock.now()).await? {
        return Err(AppError::invalid("active", Text::LastAdmin));
    }
    tx.commit().await?;
    if !active {
        sessions::delete_for_user(&state.db, &user.id, None).await?;
        api_tokens::revoke_for_user(&state.db, &user.id, state.clock.now()).await?;
    }
    let action = if active {
        Action::UserEnabled
    } else {
        Action::UserDisabled
    };
    audit::record(state, admin.into(), action, Some(("user", &user.id))).await
}

/// The longest retention an admin may choose, in days.
pub const MAX_RETENTION_DAYS: u32 = 90;

/// Sets the pharmacy's retention, and moves its documents' deletion dates with it.
pub async fn set_retention_days(state: &AppState, admin: &Staff, days: u32) -> Result<(), AppError> {
    if !(1..=MAX_RETENTION_DAYS).contains(&days) {
        return Err(AppError::invalid("days", Text::RetentionOutOfRange));
    }
    let mut tx = state.db.begin().await?;
    pharmacies::set_retention_days(&mut *tx, &admin.pharmacy.id, i64::from(days)).await?;
    documents::reschedule_deletion(&mut *tx, &admin.pharmacy.id, i64::from(days)).await?;
    tx.commit().await?;
    audit::record(
        state,
        admin.into(),
        Action::RetentionChanged,
        Some(("pharmacy", &admin.pharmacy.id)),
    )
    .await
}

/// Sets the zone the pharmacy's pages show times in, one of `PHARMACY_ZONES`.
pub async fn set_time_zone(state: &AppState, admin: &Staff, name: &str) -> Result<(), AppError> {
    let zone = pharmacy_zone(name).ok_or_else(|| AppError::invalid("time_zone", Text::TimeZoneUnknown))?;
    pharmacies::set_time_zone(&state.db, &admin.pharmacy.id, zone).await?;
    audit::record(
        state,
        admin.into(),
        Action::TimeZoneChanged,
        Some(("pharmacy", &admin.pharmacy.id)),
    )
    .await
}

/// Sets the address arrival emails go to; an empty one stops them.
pub async fn set_notification_email(state: &AppState, admin: &Staff, email: &str) -> Result<(), AppError> {
    let email = normalise_email(email);
    let email = if email.is_empty() {
        None
    } else {
        check_email("notification_email", &email)?;
        email
            .parse::<lettre::Address>()
            .map_err(|_| AppError::invalid("notification_email", Text::EmailInvalid))?;
        Some(email)
    };
    // Like a sent email, the mark leaves the current second to the next one.
    let through = state.clock.now() - 1;
    pharmacies::set_notification_email(&state.db, &admin.pharmacy.id, email.as_deref(), through).await?;
    audit::record(
        state,
        admin.into(),
        Action::NotificationEmailChanged,
        Some(("pharmacy", &admin.pharmacy.id)),
    )
    .await
}

/// Users without a second factor must set one up before anything else, at once (their
/// sessions and API tokens included). The admin sets up their own first.
pub async fn require_second_factor(state: &AppState, admin: &Staff, required: bool) -> Result<(), AppError> {
    if required && admin.user.totp_secret.is_none() {
        return Err(AppError::invalid("required", Text::SecondFactorYoursFirst));
    }
    pharmacies::set_require_second_factor(&state.db, &admin.pharmacy.id, required).await?;
    audit::record(
        state,
        admin.into(),
        Action::SecondFactorRequirementChanged,
        Some(("pharmacy", &admin.pharmacy.id)),
    )
    .await
}
