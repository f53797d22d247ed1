//! Staff management, for admins only; the guard runs on the server in every function.

use crate::api::Role;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    pub id: String,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub is_active: bool,
    pub second_factor_enabled: bool,
    /// Still on the temporary password an admin gave.
    pub must_change_password: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffOverview {
    pub members: Vec<StaffMember>,
    pub second_factor_required: bool,
    /// Days the pharmacy keeps a document.
    pub retention_days: u32,
    /// Where arrival emails go, if anywhere.
    pub notification_email: Option<String>,
    /// Whether this server can send email at all.
    pub notifications_available: bool,
}

/// A created account and its temporary password, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewStaffAccount {
    pub email: String,
    pub temporary_password: String,
    pub expires_at: i64,
}

#[server]
pub async fn list_staff() -> Result<StaffOverview, AppError> {
    use crate::server::{session, staff, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        staff::overview(&state, &admin).await
    })
    .await
}

#[server]
pub async fn create_staff(email: String, full_name: String, role: Role) -> Result<NewStaffAccount, AppError> {
    use crate::server::{session, staff, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        staff::create(&state, &admin, &email, &full_name, role).await
    })
    .await
}

#[server]
pub async fn set_staff_role(user_id: String, role: Role) -> Result<(), AppError> {
    use crate::server::{session, staff, web};
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
    use crate::server::{session, staff, web};
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
    use crate::server::{session, staff, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        staff::set_retention_days(&state, &admin, days).await
    })
    .await
}

/// Sets where arrival emails go; an empty address stops them.
#[server]
pub async fn set_notification_email(notification_email: String) -> Result<(), AppError> {
    use crate::server::{session, staff, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        staff::set_notification_email(&state, &admin, &notification_email).await
    })
    .await
}

#[server]
pub async fn require_second_factor(required: bool) -> Result<(), AppError> {
    use crate::server::{session, staff, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        staff::require_second_factor(&state, &admin, required).await
    })
    .await
}
