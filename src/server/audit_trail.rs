//! Reading the audit trail: pages for the admin's page, and the CSV export, streamed in
//! batches, quoted, UTF-8 with a byte-order mark (so spreadsheets read the accents) and
//! a header row, every cell that a spreadsheet would take for a formula neutralised.

use crate::error::AppError;
use crate::model::audit::{AuditEventView, AuditFilter, AuditPage};
use crate::server::repo::audit::{self, EventFilter, ListedEvent};
use crate::server::session::Staff;
use crate::server::state::AppState;
use crate::time_format::iso_8601;
use axum::body::Bytes;
use futures::Stream;
use std::io;

const PAGE: i64 = 50;
const EXPORT_BATCH: i64 = 500;
const HEADER: [&str; 9] = [
    "time (UTC)",
    "user",
    "email",
    "ip",
    "action",
    "object type",
    "object id",
    "details",
    "event",
];

fn who(event: &ListedEvent) -> Option<String> {
    match (&event.user_name, &event.user_email) {
        (Some(name), Some(email)) => Some(format!("{name} <{email}>")),
        _ => None,
    }
}

fn event_filter(filter: &AuditFilter) -> EventFilter<'_> {
    EventFilter {
        action: filter.action.as_deref().filter(|a| !a.is_empty()),
        occurred_from: filter.from,
        occurred_before: filter.until,
    }
}

pub async fn page(
    state: &AppState,
    admin: &Staff,
    before: Option<i64>,
    filter: &AuditFilter,
) -> Result<AuditPage, AppError> {
    let before = before.unwrap_or(i64::MAX);
    let rows = audit::page_before(&state.db, &admin.pharmacy.id, before, &event_filter(filter), PAGE).await?;
    let older = (rows.len() as i64 == PAGE).then(|| rows.last().map(|e| e.id)).flatten();
    let events = rows
        .into_iter()
        .map(|event| AuditEventView {
            user: who(&event),
            object: event
                .object_type
                .as_ref()
                .map(|kind| format!("{kind} {}", event.object_id.as_deref().unwrap_or_default())),
            id: event.id,
            occurred_at: event.occurred_at,
            ip: event.ip,
            action: event.action,
            details: event.details,
        })
        .collect();
    Ok(AuditPage { events, older })
}

/// A cell as written to the file: one that a spreadsheet would run as a formula (it
/// begins with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`.
pub fn neutralised(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

fn csv_rows(events: &[ListedEvent], with_header: bool) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    if with_header {
        writer.write_record(HEADER)?;
    }
    for event in events {
        let cells = [
            iso_8601(event.occurred_at),
            event.user_name.clone().unwrap_or_default(),
            event.user_email.clone().unwrap_or_default(),
            event.ip.clone().unwrap_or_default(),
            event.action.clone(),
            event.object_type.clone().unwrap_or_default(),
            event.object_id.clone().unwrap_or_default(),
            event.details.clone().unwrap_or_default(),
            event.id.to_string(),
        ];
        writer.write_record(cells.iter().map(|cell| neutralised(cell)))?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// The pharmacy's trail as CSV, newest first, read from the database in batches as it
/// streams out; `filter` narrows it as on the page.
pub fn csv_export(
    state: AppState,
    admin: &Staff,
    filter: AuditFilter,
) -> impl Stream<Item = io::Result<Bytes>> + use<> {
    let pharmacy_id = admin.pharmacy.id.clone();
    futures::stream::try_unfold(Some(i64::MAX), move |cursor| {
        let (state, pharmacy_id, filter) = (state.clone(), pharmacy_id.clone(), filter.clone());
        async move {
            let Some(before) = cursor else {
                return Ok::<_, io::Error>(None);
            };
            let events = audit::page_before(&state.db, &pharmacy_id, before, &event_filter(&filter), EXPORT_BATCH)
                .await
                .map_err(io::Error::other)?;
            let first = before == i64::MAX;
            let mut bytes = if first {
                "\u{feff}".as_bytes().to_vec()
            } else {
                Vec::new()
            };
            bytes.extend(csv_rows(&events, first).map_err(io::Error::other)?);
            let next = (events.len() as i64 == EXPORT_BATCH)
                .then(|| events.last().map(|e| e.id))
                .flatten();
            Ok(Some((Bytes::from(bytes), next)))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(user_name: &str, details: &str) -> ListedEvent {
        ListedEvent {
            id: 7,
            occurred_at: 1_795_245_845,
            user_name: Some(user_name.into()),
            user_email: Some("camille@pharmacie.fr".into()),
            ip: Some("203.0.113.9".into()),
            action: "user_created".into(),
            object_type: Some("user".into()),
            object_id: Some("u-1".into()),
            details: Some(details.into()),
        }
    }

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        let rows = [
            event("=HYPERLINK(\"http://evil\")", "a,b"),
            event("Zoé \"la\" pharmacienne", "line\nbreak"),
            event("@SUM(A1)", "-2+3"),
        ];
        let csv = String::from_utf8(csv_rows(&rows, true).expect("written")).expect("UTF-8");
        let lines: Vec<&str> = csv.split_inclusive('\n').collect();
        assert_eq!(
            lines[0],
            "time (UTC),user,email,ip,action,object type,object id,details,event\n"
        );
        assert_eq!(
            lines[1],
            "2026-11-21T07:24:05Z,\"'=HYPERLINK(\"\"http://evil\"\")\",camille@pharmacie.fr,203.0.113.9,user_created,user,u-1,\"a,b\",7\n"
        );
        assert!(csv.contains("\"Zoé \"\"la\"\" pharmacienne\""));
        assert!(csv.contains("\"line\nbreak\""));
        assert!(csv.contains(",'@SUM(A1),") && csv.contains(",'-2+3,"));
    }
}
