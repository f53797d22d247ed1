//! Staff management, for admins only; the guard runs on the server in every function.

use crate::error::AppError;
use crate::model::staff::Role;
use crate::model::staff::{NewStaffAccount, StaffOverview};
use leptos::prelude::*;

#[server]
pub async fn list_staff() -> Result<StaffOverview, AppError> {
    use crate::server::http::web;
    use crate::server::{session, staff};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        staff::overview(&state, &admin).await
    })
    .await
}

/// Invites a member of staff with a temporary password, and with their RPPS number
/// when they will sign in with Pro Santé Connect.
#[server]
pub async fn create_staff(
    email: String,
    full_name: String,
    role: Role,
    #[server(default)] rpps: String,
) -> Result<NewStaffAccount, AppError> {
    use crate::server::http::web;
    use crate::server::{session, staff};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        let invitation = staff::Invitation {
            email: &email,
            full_name: &full_name,
            role,
            rpps: &rpps,
        };
        staff::create(&state, &admin, invitation).await
    })
    .await
}

/// Unlinks a colleague's account from Pro Santé Connect.
#[server]
pub async fn unlink_staff_rpps(user_id: String) -> Result<(), AppError> {
    use crate::server::http::web;
    use crate::server::{session, staff};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        staff::unlink_rpps(&state, &admin, &user_id).await
    })
    .await
}

#[server]
pub async fn set_staff_role(user_id: String, role: Role) -> Result<(), AppError> {
    use crate::server::http::web;
    use crate::server::{session, staff};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        staff::set_role(&state, &admin, &user_id, role).await
    })
    .await
}

/// Enables or disables an account; disabling ends its sessions at once.
#[server]
pub async fn set_staff_active(user_id: String, active: bool) -> Result<(), AppError> {
    use crate::server::http::web;
    use crate::server::{session, staff};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        staff::set_active(&state, &admin, &user_id, active).await
    })
    .await
}

/// Sets how many days the pharmacy keeps documents (1 to 90); documents already
/// received follow the new period too.
#[server]
pub async fn set_retention_days(days: u32) -> Result<(), AppError> {
    use crate::server::http::web;
    use crate::server::{session, staff};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        staff::set_retention_days(&state, &admin, days).await
    })
    .await
}

/// Sets the time zone the pharmacy's pages show times in (an IANA name it offers).
#[server]
pub async fn set_time_zone(time_zone: String) -> Result<(), AppError> {
    use crate::server::http::web;
    use crate::server::{session, staff};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        staff::set_time_zone(&state, &admin, &time_zone).await
    })
    .await
}

/// Sets where arrival emails go; an empty address stops them.
#[server]
pub async fn set_notification_email(notification_email: String) -> Result<(), AppError> {
    use crate::server::http::web;
    use crate::server::{session, staff};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        staff::set_notification_email(&state, &admin, &notification_email).await
    })
    .await
}

#[server]
pub async fn require_second_factor(required: bool) -> Result<(), AppError> {
    use crate::server::http::web;
    use crate::server::{session, staff};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        staff::require_second_factor(&state, &admin, required).await
    })
    .await
}
