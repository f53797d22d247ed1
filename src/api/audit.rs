//! The pharmacy's audit trail, for its admin: pages of events, and a CSV export at
//! `GET /audit/export.csv`.

use crate::error::AppError;
use crate::model::audit::{AuditFilter, AuditPage};
use leptos::prelude::*;

/// Up to 50 events older than `before` (from the newest without it) that `filter`
/// keeps.
#[server]
pub async fn list_audit_events(
    before: Option<i64>,
    #[server(default)] filter: AuditFilter,
) -> Result<AuditPage, AppError> {
    use crate::server::http::web;
    use crate::server::{audit_trail, session};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        audit_trail::page(&state, &admin, before, &filter).await
    })
    .await
}
