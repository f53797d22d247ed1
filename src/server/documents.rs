//! Documents as the pharmacy handles them: list, filter and page them, mark them viewed
//! or new, delete them. Receiving one is `intake`; reading one is `downloads`.

use crate::error::AppError;
use crate::model::audit::Action;
use crate::model::documents::{DocumentFilter, DocumentPage, DocumentView, MAX_PAGE};
use crate::server::blob_store::storage_error;
use crate::server::keys::bound_to;
use crate::server::repo::documents::{self, ListFilter};
use crate::server::session::Staff;
use crate::server::state::AppState;
use crate::server::transfer_codes as codes;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The short reference a patient's receipt shows for a document.
pub fn reference(document_id: &str) -> String {
    document_id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(10)
        .collect::<String>()
        .to_ascii_uppercase()
}

/// A file name as searched: lower-case, without accents or other combining marks, so
/// that both databases match alike ("emilie" finds "Émilie.pdf").
pub fn search_name(name: &str) -> String {
    name.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase()
}

/// Gives documents received before names were indexed for search their search name.
pub async fn index_older_names(state: &AppState) -> Result<(), sqlx::Error> {
    for (id, name) in documents::without_search_name(&state.db).await? {
        documents::set_search_name(&state.db, &id, &search_name(&name)).await?;
    }
    Ok(())
}

/// What was typed in the search field, as a `LIKE` pattern on search names with `\\`
/// escaping `%`, `_` and `\\`.
fn like_pattern(search: &str) -> String {
    let mut pattern = String::from("%");
    for c in search_name(search.trim()).chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A page of the pharmacy's documents, newest first.
pub async fn list(
    state: &AppState,
    caller: &Staff,
    filter: &DocumentFilter,
    skip: u32,
    limit: u32,
) -> Result<DocumentPage, AppError> {
    let search = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let listed = ListFilter {
        pharmacy_id: &caller.pharmacy.id,
        viewed: filter.viewed.map(i64::from),
        code_id: filter.code_id.as_deref(),
        received_from: filter.received_from,
        received_before: filter.received_before,
        name_like: search.map(like_pattern),
    };
    let limit = i64::from(limit.clamp(1, MAX_PAGE));
    let rows = documents::list(&state.db, &listed, i64::from(skip), limit).await?;
    let total = documents::count(&state.db, &listed).await?;
    let new = ListFilter {
        viewed: Some(0),
        code_id: None,
        received_from: None,
        received_before: None,
        name_like: None,
        ..listed
    };
    let new_count = documents::count(&state.db, &new).await?;
    let documents = rows
        .into_iter()
        .map(|row| {
            // The code and its note, while the code is kept.
            let reveal = |blob: &Option<Vec<u8>>, context: fn(&str) -> Vec<u8>| match (&row.code_id, blob) {
                (Some(id), Some(blob)) => codes::open_text(state, blob, &context(id)).map(Some),
                _ => Ok(None),
            };
            let code = reveal(&row.code_ciphertext, bound_to::transfer_code)?;
            let note = reveal(&row.note_ciphertext, bound_to::code_note)?;
            let qr_codes = match &row.qr_codes_ciphertext {
                Some(blob) => {
                    let json = codes::open_text(state, blob, &bound_to::document_qr_codes(&row.id))?;
                    serde_json::from_str(&json).map_err(|_| AppError::Internal)?
                }
                None => Vec::new(),
            };
            Ok(DocumentView {
                reference: reference(&row.id),
                id: row.id,
                code_id: row.code_id,
                filename: row.original_filename,
                mime_type: row.mime_type,
                size: u64::try_from(row.file_size).unwrap_or(0),
                received_at: row.uploaded_at,
                page_count: row.page_count.and_then(|count| u32::try_from(count).ok()),
                qr_codes,
                code,
                note,
                viewed_at: row.viewed_at,
                viewed_by: row.viewed_by,
                deletion_date: row.deletion_date,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(DocumentPage {
        documents,
        total: u64::try_from(total).unwrap_or(0),
        new_count: u64::try_from(new_count).unwrap_or(0),
        previews: state.settings.preview_url.is_some(),
    })
}

/// Marks one of the pharmacy's documents viewed (by the caller, now) or new again.
pub async fn set_viewed(state: &AppState, caller: &Staff, document_id: &str, viewed: bool) -> Result<(), AppError> {
    documents::find_for_pharmacy(&state.db, document_id, &caller.pharmacy.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let action = if viewed {
        documents::mark_viewed(&state.db, document_id, &caller.user.id, state.clock.now()).await?;
        Action::DocumentMarkedViewed
    } else {
        documents::mark_new(&state.db, document_id).await?;
        Action::DocumentMarkedNew
    };
    crate::server::audit::record(state, caller.into(), action, Some(("document", document_id))).await
}

/// Deletes documents of the pharmacy: the row (with its wrapped key), then the content.
/// Ids of other pharmacies, or of no document, are passed over; none at all found is
/// `NotFound`.
pub async fn delete(state: &AppState, caller: &Staff, document_ids: &[String]) -> Result<u64, AppError> {
    let mut deleted = 0;
    for id in document_ids {
        if !documents::delete_for_pharmacy(&state.db, id, &caller.pharmacy.id).await? {
            continue;
        }
        deleted += 1;
        state.blobs.delete(id).await.map_err(storage_error)?;
        crate::server::audit::record(state, caller.into(), Action::DocumentDeleted, Some(("document", id))).await?;
    }
    if deleted == 0 {
        return Err(AppError::NotFound);
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_match_literally() {
        assert_eq!(like_pattern(" Ordo "), "%ordo%");
        assert_eq!(like_pattern("100%_a\\b"), "%100\\%\\_a\\\\b%");
        assert_eq!(like_pattern("Émilie"), "%emilie%");
        assert_eq!(search_name("ÉMILIE Ordonnance.pdf"), "emilie ordonnance.pdf");
        assert_eq!(search_name("Ça coûte"), "ca coute");
    }

    #[test]
    fn references_are_short_and_uppercase() {
        assert_eq!(reference("3f9a2c1b-7d4e-4b8a-9c3d-2e1f0a9b8c7d"), "3F9A2C1B7D");
    }
}
