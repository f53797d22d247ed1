use crate::model::staff::Role;
use crate::server::repo::{Flag, new_id};
use sqlx::{Any, Executor, FromRow};

/// A staff account. The password hash and TOTP secrets stay on the server: never
/// serialised, and left out of its `Debug` (logs, panics).
#[derive(Clone, PartialEq, Eq, FromRow)]
pub struct User {
    pub id: String,
    pub pharmacy_id: String,
    pub email: String,
    pub full_name: String,
    pub password_hash: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    #[sqlx(try_from = "Flag")]
    pub is_active: bool,
    #[sqlx(try_from = "Flag")]
    pub must_change_password: bool,
    pub password_expires_at: Option<i64>,
    /// Sealed by the master key.
    pub totp_secret: Option<Vec<u8>>,
    pub totp_pending_secret: Option<Vec<u8>>,
    /// The RPPS number of the professional who signs in with Pro Santé Connect.
    pub rpps: Option<String>,
    /// The RPPS number an admin invited the account with, until its holder accepts.
    pub invited_rpps: Option<String>,
    pub created_at: i64,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = |secret: &Option<Vec<u8>>| secret.as_ref().map(|_| "<sealed>");
        f.debug_struct("User")
            .field("id", &self.id)
            .field("pharmacy_id", &self.pharmacy_id)
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .field("password_hash", &"<redacted>")
            .field("role", &self.role)
            .field("is_active", &self.is_active)
            .field("must_change_password", &self.must_change_password)
            .field("password_expires_at", &self.password_expires_at)
            .field("totp_secret", &kept(&self.totp_secret))
            .field("totp_pending_secret", &kept(&self.totp_pending_secret))
            .field("rpps", &self.rpps)
            .field("invited_rpps", &self.invited_rpps)
            .field("created_at", &self.created_at)
            .finish()
    }
}

pub struct NewUser<'a> {
    pub pharmacy_id: &'a str,
    /// Already normalised (trimmed, lower-cased) by the caller.
    pub email: &'a str,
    pub full_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    /// A temporary password: changed at first login, unusable after this time.
    pub temporary_until: Option<i64>,
    /// Invited by the RPPS number of the professional, who accepts with Pro Santé Connect.
    pub invited_rpps: Option<&'a str>,
}

const COLUMNS: &str = "id, pharmacy_id, email, full_name, password_hash, role, is_active, must_change_password, \
                       password_expires_at, totp_secret, totp_pending_secret, rpps, invited_rpps, created_at";

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    new: &NewUser<'_>,
    now: i64,
) -> Result<User, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO users (id, pharmacy_id, email, full_name, password_hash, role, is_active, must_change_password,
                            password_expires_at, invited_rpps, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10, $10) RETURNING {COLUMNS}"
    ))
    .bind(new_id())
    .bind(new.pharmacy_id)
    .bind(new.email)
    .bind(new.full_name)
    .bind(new.password_hash)
    .bind(new.role.as_ref())
    .bind(i64::from(new.temporary_until.is_some()))
    .bind(new.temporary_until)
    .bind(new.invited_rpps)
    .bind(now)
    .fetch_one(db)
    .await
}

pub async fn find<'e>(db: impl Executor<'e, Database = Any>, id: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The account linked to Pro Santé Connect identity `rpps`, in whichever pharmacy.
pub async fn find_by_rpps<'e>(db: impl Executor<'e, Database = Any>, rpps: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE rpps = $1"))
        .bind(rpps)
        .fetch_optional(db)
        .await
}

/// Links the account to the Pro Santé Connect identity `rpps` while it is linked to none
/// (one statement: two links at once cannot both win). False when it already was; fails
/// with a unique violation when another account holds that number.
pub async fn link_rpps<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    rpps: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("UPDATE users SET rpps = $2, updated_at = $3 WHERE id = $1 AND rpps IS NULL")
        .bind(id)
        .bind(rpps)
        .bind(now)
        .execute(db)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// The active accounts an admin invited by RPPS number `rpps`, in whichever pharmacy.
pub async fn invited_as<'e>(db: impl Executor<'e, Database = Any>, rpps: &str) -> Result<Vec<User>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE invited_rpps = $1 AND is_active = 1 ORDER BY created_at"
    ))
    .bind(rpps)
    .fetch_all(db)
    .await
}

/// The professional numbered `rpps` accepts the invitation of account `id`: the number
/// becomes its link, and the temporary password the admin saw gives way to
/// `password_hash`. False when the account holds no such invitation any more; fails with
/// a unique violation when another account is linked to that number.
pub async fn accept_invitation<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    rpps: &str,
    password_hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE users SET rpps = $2, invited_rpps = NULL, password_hash = $3, must_change_password = 0,
                          password_expires_at = NULL, updated_at = $4
         WHERE id = $1 AND invited_rpps = $2 AND rpps IS NULL AND is_active = 1",
    )
    .bind(id)
    .bind(rpps)
    .bind(password_hash)
    .bind(now)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Unlinks the account from Pro Santé Connect, or withdraws its invitation; false when
/// it had neither.
pub async fn unlink_rpps<'e>(db: impl Executor<'e, Database = Any>, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE users SET rpps = NULL, invited_rpps = NULL, updated_at = $2
         WHERE id = $1 AND (rpps IS NOT NULL OR invited_rpps IS NOT NULL)",
    )
    .bind(id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn find_by_email<'e>(
    db: impl Executor<'e, Database = Any>,
    email: &str,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
        .bind(email)
        .fetch_optional(db)
        .await
}

/// A pharmacy's staff, by name.
pub async fn list_for_pharmacy<'e>(
    db: impl Executor<'e, Database = Any>,
    pharmacy_id: &str,
) -> Result<Vec<User>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE pharmacy_id = $1 ORDER BY full_name, email"
    ))
    .bind(pharmacy_id)
    .fetch_all(db)
    .await
}

/// A new password hash; `temporary_until` marks one set by an admin.
pub async fn set_password<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    password_hash: &str,
    temporary_until: Option<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET password_hash = $2, must_change_password = $3, password_expires_at = $4, updated_at = $5
         WHERE id = $1",
    )
    .bind(id)
    .bind(password_hash)
    .bind(i64::from(temporary_until.is_some()))
    .bind(temporary_until)
    .bind(now)
    .execute(db)
    .await
    .map(drop)
}

/// A secret being enrolled, not yet confirmed by a first code.
pub async fn set_pending_totp<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    sealed: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET totp_pending_secret = $2 WHERE id = $1")
        .bind(id)
        .bind(sealed)
        .execute(db)
        .await
        .map(drop)
}

/// The confirmed secret; `step` is the time step of the code that confirmed it.
pub async fn enable_totp<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    sealed: &[u8],
    step: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET totp_secret = $2, totp_pending_secret = NULL, totp_last_step = $3 WHERE id = $1")
        .bind(id)
        .bind(sealed)
        .bind(step)
        .execute(db)
        .await
        .map(drop)
}

pub async fn clear_totp<'e>(db: impl Executor<'e, Database = Any>, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_last_step = 0 WHERE id = $1")
        .bind(id)
        .execute(db)
        .await
        .map(drop)
}

/// Records the time step of an accepted code; false when that step, or a later one,
/// was already used (a replayed code).
pub async fn use_totp_step<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    step: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2")
        .bind(id)
        .bind(step)
        .execute(db)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Another active admin of the pharmacy remains besides `$1`.
const ANOTHER_ADMIN_REMAINS: &str = "EXISTS (SELECT 1 FROM users other WHERE other.pharmacy_id = $2 AND other.id <> $1
                                     AND other.role = 'admin' AND other.is_active = 1)";

/// Changes a staff member's role, unless that would leave the pharmacy without an
/// active admin. False when nothing changed (no such user in this pharmacy, or the
/// last admin).
pub async fn set_role<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    pharmacy_id: &str,
    role: Role,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(&format!(
        "UPDATE users SET role = $3, updated_at = $4 WHERE id = $1 AND pharmacy_id = $2
         AND ($3 = 'admin' OR role <> 'admin' OR {ANOTHER_ADMIN_REMAINS})"
    ))
    .bind(id)
    .bind(pharmacy_id)
    .bind(role.as_ref())
    .bind(now)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Enables or disables a staff member, never the pharmacy's last active admin.
pub async fn set_active<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    pharmacy_id: &str,
    active: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(&format!(
        "UPDATE users SET is_active = $3, updated_at = $4 WHERE id = $1 AND pharmacy_id = $2
         AND ($3 = 1 OR role <> 'admin' OR {ANOTHER_ADMIN_REMAINS})"
    ))
    .bind(id)
    .bind(pharmacy_id)
    .bind(i64::from(active))
    .bind(now)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_shows_no_hash_and_no_secret() {
        let user = User {
            id: "u1".into(),
            pharmacy_id: "p1".into(),
            email: "camille@pharmacie.fr".into(),
            full_name: "Camille Martin".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2VsZGVtZXI$aGFjaGU".into(),
            role: Role::Admin,
            is_active: true,
            must_change_password: false,
            password_expires_at: None,
            totp_secret: Some(vec![0xAB; 40]),
            totp_pending_secret: None,
            rpps: None,
            invited_rpps: None,
            created_at: 0,
        };
        let shown = format!("{user:?}");
        assert!(shown.contains("camille@pharmacie.fr"), "{shown}");
        assert!(!shown.contains("argon2") && !shown.contains("171"), "{shown}");
        assert!(shown.contains("totp_secret: Some(\"<sealed>\")"), "{shown}");
    }
}
