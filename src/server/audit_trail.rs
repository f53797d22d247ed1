//! Reading the audit trail: pages for the admin's page, and the CSV export, streamed in
//! batches, quoted, UTF-8 with a byte-order mark (so spreadsheets read the accents) and
//! a header row, every cell that a spreadsheet would take for a formula neutralised.
//! Both name actions and objects in words; the export keeps the identifiers beside them.

use crate::error::AppError;
use crate::i18n::Lang;
use crate::model::audit::{Action, AuditEventView, AuditFilter, AuditPage};
use crate::server::documents::reference;
use crate::server::keys::bound_to;
use crate::server::repo::audit::{self, EventFilter, ListedEvent};
use crate::server::session::Staff;
use crate::server::state::AppState;
use crate::server::transfer_codes::open_text;
use crate::time_format::iso_8601;
use axum::body::Bytes;
use futures::Stream;
use std::io;

const PAGE: i64 = 50;
const EXPORT_BATCH: i64 = 500;
const HEADER: [&str; 11] = [
    "time (UTC)",
    "user",
    "email",
    "ip",
    "action",
    "action (words)",
    "object type",
    "object id",
    "object",
    "details",
    "event",
];

/// The object of an event as the pharmacy knows it, while it is kept: a document's file
/// name (its reference once deleted), a code as the dashboard shows it, a member's, a
/// key's or the pharmacy's name; a failed login's shortened address, a count of ended
/// sessions.
fn object(state: &AppState, event: &ListedEvent) -> Option<String> {
    let id = event.object_id.as_deref()?;
    match event.object_type.as_deref()? {
        "transfer_code" => {
            let sealed = event.code_ciphertext.as_deref()?;
            open_text(state, sealed, &bound_to::transfer_code(id)).ok()
        }
        "document" => Some(event.object_name.clone().unwrap_or_else(|| reference(id))),
        "account" | "sessions" => Some(id.to_owned()),
        _ => event.object_name.clone(),
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
            object: object(state, &event),
            user: event.user_name,
            id: event.id,
            occurred_at: event.occurred_at,
            ip: event.ip,
            action: event.action,
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

/// Events with their objects in words, as CSV rows.
fn csv_rows(events: &[(ListedEvent, Option<String>)], lang: Lang, with_header: bool) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    if with_header {
        writer.write_record(HEADER)?;
    }
    for (event, object) in events {
        let cells = [
            iso_8601(event.occurred_at),
            event.user_name.clone().unwrap_or_default(),
            event.user_email.clone().unwrap_or_default(),
            event.ip.clone().unwrap_or_default(),
            event.action.clone(),
            Action::words(&event.action, lang),
            event.object_type.clone().unwrap_or_default(),
            event.object_id.clone().unwrap_or_default(),
            object.clone().unwrap_or_default(),
            event.details.clone().unwrap_or_default(),
            event.id.to_string(),
        ];
        writer.write_record(cells.iter().map(|cell| neutralised(cell)))?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// The pharmacy's trail as CSV, newest first, read from the database in batches as it
/// streams out; `filter` narrows it as on the page, and the words are in `lang`.
pub fn csv_export(
    state: AppState,
    admin: &Staff,
    filter: AuditFilter,
    lang: Lang,
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
            let next = (events.len() as i64 == EXPORT_BATCH)
                .then(|| events.last().map(|e| e.id))
                .flatten();
            let described: Vec<_> = events
                .into_iter()
                .map(|event| {
                    let object = object(&state, &event);
                    (event, object)
                })
                .collect();
            bytes.extend(csv_rows(&described, lang, first).map_err(io::Error::other)?);
            Ok(Some((Bytes::from(bytes), next)))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(user_name: &str, details: &str) -> (ListedEvent, Option<String>) {
        let event = ListedEvent {
            id: 7,
            occurred_at: 1_795_245_845,
            user_name: Some(user_name.into()),
            user_email: Some("camille@pharmacie.fr".into()),
            ip: Some("203.0.113.9".into()),
            action: "user_created".into(),
            object_type: Some("user".into()),
            object_id: Some("u-1".into()),
            details: Some(details.into()),
            object_name: Some("Léa Dubois".into()),
            code_ciphertext: None,
        };
        (event, Some("Léa Dubois".into()))
    }

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        let rows = [
            event("=HYPERLINK(\"http://evil\")", "a,b"),
            event("Zoé \"la\" pharmacienne", "line\nbreak"),
            event("@SUM(A1)", "-2+3"),
        ];
        let csv = String::from_utf8(csv_rows(&rows, Lang::Fr, true).expect("written")).expect("UTF-8");
        let lines: Vec<&str> = csv.split_inclusive('\n').collect();
        assert_eq!(
            lines[0],
            "time (UTC),user,email,ip,action,action (words),object type,object id,object,details,event\n"
        );
        assert_eq!(
            lines[1],
            "2026-11-21T07:24:05Z,\"'=HYPERLINK(\"\"http://evil\"\")\",camille@pharmacie.fr,203.0.113.9,user_created,Compte créé,user,u-1,Léa Dubois,\"a,b\",7\n"
        );
        assert!(csv.contains("\"Zoé \"\"la\"\" pharmacienne\""));
        assert!(csv.contains("\"line\nbreak\""));
        assert!(csv.contains(",'@SUM(A1),") && csv.contains(",'-2+3,"));
    }

    #[test]
    fn actions_read_in_words_in_each_language_and_unknown_ones_as_stored() {
        assert_eq!(Action::words("document_downloaded", Lang::Fr), "Document téléchargé");
        assert_eq!(Action::words("document_downloaded", Lang::En), "Document downloaded");
        assert_eq!(Action::words("something_newer", Lang::Fr), "something_newer");
    }
}
