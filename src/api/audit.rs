//! The pharmacy's audit trail, for its admin: pages of events, and a CSV export at
//! `GET /audit/export.csv`.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const EXPORT_PATH: &str = "/audit/export.csv";

/// Every action the trail records, as it names them (the audit page's filter).
pub const ACTIONS: [&str; 27] = [
    "pharmacy_registered",
    "login_succeeded",
    "login_failed",
    "logout",
    "second_factor_enrolled",
    "second_factor_removed",
    "recovery_code_used",
    "password_changed",
    "session_ended",
    "user_created",
    "user_disabled",
    "user_enabled",
    "role_changed",
    "second_factor_requirement_changed",
    "code_created",
    "code_revoked",
    "document_received",
    "document_downloaded",
    "document_previewed",
    "document_marked_viewed",
    "document_marked_new",
    "document_deleted",
    "retention_changed",
    "notification_email_changed",
    "refresh_token_reused",
    "api_key_created",
    "api_key_revoked",
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEventView {
    pub id: i64,
    pub occurred_at: i64,
    /// The member of staff, by name and email; none for patients and failed logins.
    pub user: Option<String>,
    pub ip: Option<String>,
    pub action: String,
    pub object: Option<String>,
    pub details: Option<String>,
}

/// Which events to show: of one action, and from a time (Unix seconds, included) until
/// another (excluded).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub from: Option<i64>,
    pub until: Option<i64>,
}

impl AuditFilter {
    /// The CSV export of the events this filter keeps.
    pub fn export_path(&self) -> String {
        let mut query = Vec::new();
        if let Some(action) = self.action.as_deref().filter(|a| ACTIONS.contains(a)) {
            query.push(format!("action={action}"));
        }
        query.extend(self.from.map(|from| format!("from={from}")));
        query.extend(self.until.map(|until| format!("until={until}")));
        if query.is_empty() {
            EXPORT_PATH.to_owned()
        } else {
            format!("{EXPORT_PATH}?{}", query.join("&"))
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEventView>,
    /// Where the next, older page starts; none on the last page.
    pub older: Option<i64>,
}

/// Up to 50 events older than `before` (from the newest without it) that `filter`
/// keeps.
#[server]
pub async fn list_audit_events(
    before: Option<i64>,
    #[server(default)] filter: AuditFilter,
) -> Result<AuditPage, AppError> {
    use crate::server::{audit_trail, session, web};
    web::answer(async {
        let (state, meta) = web::context()?;
        let admin = session::admin(&state, &meta).await?;
        audit_trail::page(&state, &admin, before, &filter).await
    })
    .await
}
