//! What patients sent, on the dashboard: newest first, filtered and paged, refreshed
//! every few seconds; the count of new documents shows in the heading and the tab title.

use crate::api::documents::{DeleteDocuments, PreviewDocument, SetDocumentViewed, list_documents};
use crate::components::form::{DayRange, DayRangeFields, action_error};
use crate::components::session::use_auth;
use crate::components::{FoundCodes, use_refresh};
use crate::i18n::{Text, use_i18n};
use crate::model::documents::{DocumentFilter, DocumentPage, DocumentView, download_path};
use crate::time_format::date_time;
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::BTreeSet;

const PAGE_SIZE: u32 = 20;

/// A transfer code the list is narrowed to: its id, and the code as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
struct CodeChoice {
    id: String,
    code: String,
}

/// What a row can do to the panel around it.
#[derive(Clone, Copy)]
struct RowActions {
    selected: RwSignal<BTreeSet<String>>,
    code: RwSignal<Option<CodeChoice>>,
    mark: ServerAction<SetDocumentViewed>,
    preview: ServerAction<PreviewDocument>,
    /// The name of the document previewed, while its preview is open.
    previewing: RwSignal<Option<String>>,
}

#[component]
pub fn DocumentsPanel() -> impl IntoView {
    let i18n = use_i18n();
    let zone = use_auth().time_zone();
    let refresh = use_refresh();
    let shown = RwSignal::new(String::from("all"));
    let search = RwSignal::new(String::new());
    let days = DayRange::default();
    let skip = RwSignal::new(0u32);
    let actions = RowActions {
        selected: RwSignal::new(BTreeSet::new()),
        code: RwSignal::new(None),
        mark: ServerAction::new(),
        preview: ServerAction::new(),
        previewing: RwSignal::new(None),
    };
    let RowActions {
        selected,
        code,
        mark,
        preview,
        previewing,
    } = actions;
    let delete = ServerAction::<DeleteDocuments>::new();
    let mark_error = action_error(mark.value());
    let delete_error = action_error(delete.value());
    let preview_error = action_error(preview.value());
    let filter = move || {
        let (received_from, received_before) = days.bounds(zone);
        DocumentFilter {
            viewed: match shown.get().as_str() {
                "new" => Some(false),
                "viewed" => Some(true),
                _ => None,
            },
            code_id: code.get().map(|c| c.id),
            received_from,
            received_before,
            search: Some(search.get()).filter(|s| !s.trim().is_empty()),
        }
    };
    let page = Resource::new(
        move || {
            (
                filter(),
                skip.get(),
                refresh.get(),
                mark.version().get(),
                delete.version().get(),
                preview.version().get(),
            )
        },
        |(filter, skip, ..)| list_documents(filter, skip, PAGE_SIZE),
    );
    // A new filter starts again from the first page.
    Effect::new(move || {
        filter();
        skip.set(0);
    });
    let delete_selected = move |_| {
        let question = i18n.lang.get_untracked().text(Text::DeleteConfirm);
        if window().confirm_with_message(question).unwrap_or(false) {
            let document_ids = selected.get_untracked().into_iter().collect();
            delete.dispatch(DeleteDocuments { document_ids });
            selected.set(BTreeSet::new());
        }
    };
    let error = move || {
        mark_error
            .get()
            .or_else(|| delete_error.get())
            .or_else(|| preview_error.get())
            .map(|e| e.message(i18n.lang.get()))
    };

    view! {
        <section class="page no-print documents" aria-labelledby="documents-heading">
            <h2 id="documents-heading">{i18n.t(Text::DocumentsHeading)}</h2>
            <div class="filters">
                <div class="field">
                    <label for="documents-shown">{i18n.t(Text::Show)}</label>
                    <select id="documents-shown" on:change=move |ev| shown.set(event_target_value(&ev))>
                        <option value="all">{i18n.t(Text::AllDocuments)}</option>
                        <option value="new">{i18n.t(Text::OnlyNew)}</option>
                        <option value="viewed">{i18n.t(Text::OnlyViewed)}</option>
                    </select>
                </div>
                <div class="field">
                    <label for="documents-search">{i18n.t(Text::SearchByName)}</label>
                    <input id="documents-search" type="search" on:input=move |ev| search.set(event_target_value(&ev)) />
                </div>
                <DayRangeFields range=days id="documents" from_label=Text::ReceivedFrom until_label=Text::ReceivedUntil />
                {move || {
                    code.get()
                        .map(|chosen| {
                            view! {
                                <p class="field code-filter">
                                    {i18n.t(Text::CodeFilter)} " " <code class="code">{chosen.code}</code> " "
                                    <button type="button" class="button" on:click=move |_| code.set(None)>
                                        {i18n.t(Text::AllCodes)}
                                    </button>
                                </p>
                            }
                        })
                }}
            </div>
            <div role="alert" class="form-alert">{error}</div>
            <Transition fallback=move || view! { <p class="loading">{i18n.t(Text::Loading)}</p> }>
                {move || Suspend::new(async move {
                    page.await.map(|page| view! { <DocumentList page skip actions /> }.into_any())
                })}
            </Transition>
            <button
                type="button"
                class="button"
                disabled=move || selected.with(BTreeSet::is_empty) || delete.pending().get()
                on:click=delete_selected
            >
                {move || format!("{} ({})", i18n.t(Text::DeleteSelected)(), selected.with(BTreeSet::len))}
            </button>
            <PreviewFrame preview previewing />
        </section>
    }
}

/// The document being previewed, framed from the preview origin (see
/// `server::previews`); the frame is never given the site's origin.
#[component]
fn PreviewFrame(preview: ServerAction<PreviewDocument>, previewing: RwSignal<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    // Escape closes it wherever the focus is on the page (not inside the frame, whose
    // keys belong to the preview origin).
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            previewing.set(None);
        }
    });
    on_cleanup(move || escape.remove());
    move || {
        let address = preview.value().get().and_then(Result::ok);
        previewing.get().zip(address).map(|(filename, address)| {
            let label = format!("{} {filename}", i18n.lang.get_untracked().text(Text::PreviewOf));
            let frame_title = label.clone();
            // Keyboard users land on the close button.
            let close = NodeRef::<leptos::html::Button>::new();
            Effect::new(move || {
                if let Some(button) = close.get() {
                    let _ = button.focus();
                }
            });
            view! {
                <div class="preview" role="dialog" aria-label=label>
                    <div class="preview-bar">
                        <span>{filename}</span>
                        <button type="button" class="button" node_ref=close on:click=move |_| previewing.set(None)>
                            {i18n.t(Text::ClosePreview)}
                        </button>
                    </div>
                    <iframe src=address title=frame_title referrerpolicy="no-referrer"></iframe>
                </div>
            }
        })
    }
}

#[component]
fn DocumentList(page: DocumentPage, skip: RwSignal<u32>, actions: RowActions) -> impl IntoView {
    let i18n = use_i18n();
    let DocumentPage {
        documents,
        total,
        new_count,
        previews,
    } = page;
    let first = skip.get_untracked();
    let shown_to = u64::from(first) + documents.len() as u64;
    let tab_title = if new_count > 0 {
        format!("({new_count}) Santhium")
    } else {
        "Santhium".to_owned()
    };
    view! {
        <Title text=tab_title />
        <p class="documents-summary">
            <span class="badge new-count" data-testid="new-count">
                {move || format!("{new_count} {}", i18n.t(Text::NewDocuments)())}
            </span>
            " "
            {move || {
                (total > 0).then(|| format!("{}–{shown_to} {} {total}", u64::from(first) + 1, i18n.t(Text::Of)()))
            }}
        </p>
        {documents.is_empty().then(|| view! { <p>{i18n.t(Text::NoDocuments)}</p> })}
        <ul class="documents-list" data-testid="documents">
            {documents.into_iter().map(|document| view! { <DocumentRow document previews actions /> }).collect_view()}
        </ul>
        <div class="row-actions" hidden={first == 0 && shown_to >= total}>
            <button
                type="button"
                class="button"
                disabled={first == 0}
                on:click=move |_| skip.update(|s| *s = s.saturating_sub(PAGE_SIZE))
            >
                {i18n.t(Text::Previous)}
            </button>
            <button
                type="button"
                class="button"
                disabled={shown_to >= total}
                on:click=move |_| skip.update(|s| *s += PAGE_SIZE)
            >
                {i18n.t(Text::Next)}
            </button>
        </div>
    }
    .into_any()
}

#[component]
fn DocumentRow(document: DocumentView, previews: bool, actions: RowActions) -> impl IntoView {
    let i18n = use_i18n();
    let zone = use_auth().time_zone();
    let RowActions {
        selected,
        code: code_filter,
        mark,
        preview,
        previewing,
    } = actions;
    let download = download_path(&document.id);
    let DocumentView {
        id,
        reference,
        filename,
        mime_type,
        size,
        received_at,
        page_count,
        qr_codes,
        code_id,
        code,
        note,
        viewed_at,
        viewed_by,
        deletion_date,
    } = document;
    let is_new = viewed_at.is_none();
    let filename_label = filename.clone();
    let kind = mime_type.rsplit('/').next().unwrap_or_default().to_uppercase();
    let select = {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            let checked = event_target_checked(&ev);
            selected.update(|s| {
                if checked {
                    s.insert(id.clone());
                } else {
                    s.remove(&id);
                }
            });
        }
    };
    let toggle = {
        let id = id.clone();
        move |_| {
            mark.dispatch(SetDocumentViewed {
                document_id: id.clone(),
                viewed: is_new,
            });
        }
    };
    let checked = {
        let id = id.clone();
        move || selected.with(|s| s.contains(&id))
    };
    let show_preview = {
        let (id, filename) = (id.clone(), filename.clone());
        move |_| {
            previewing.set(Some(filename.clone()));
            preview.value().set(None);
            preview.dispatch(PreviewDocument {
                document_id: id.clone(),
            });
        }
    };
    let code = code_id.zip(code).map(|(id, code)| {
        let chosen = CodeChoice { id, code: code.clone() };
        view! {
            " · "
            <button
                type="button"
                class="code link-button"
                title=i18n.lang.get_untracked().text(Text::FilterByCode)
                on:click=move |_| code_filter.set(Some(chosen.clone()))
            >
                {code}
            </button>
        }
    });
    let viewed = move || {
        let lang = i18n.lang.get();
        match (viewed_at, &viewed_by) {
            (Some(at), by) => format!(
                "{} {} {} {}",
                lang.text(Text::ViewedBy),
                by.as_deref().unwrap_or("—"),
                lang.text(Text::On),
                date_time(at, zone)
            ),
            (None, _) => lang.text(Text::NewBadge).to_owned(),
        }
    };
    view! {
        <li class:new=is_new>
            <input type="checkbox" aria-label=format!("{filename} ({reference})") prop:checked=checked on:change=select />
            <div class="document-facts">
                <a class="document-name" href=download.clone() download>{filename.clone()}</a>
                <span>
                    {kind}
                    {page_count.map(|count| view! { " · " <span class="page-count">{move || i18n.lang.get().page_count(count)}</span> })}
                    " · " {move || i18n.lang.get().file_size(size)} " · " {i18n.t(Text::ReceivedAt)} " " {date_time(received_at, zone)}
                </span>
                <span>{i18n.t(Text::Reference)} " " {reference.clone()} {code} {note.map(|note| view! { " · " <span class="note">{note}</span> })}</span>
                {(!qr_codes.is_empty()).then(|| view! { <FoundCodes codes=qr_codes /> })}
                <span class="badge viewed-status">{viewed}</span>
                <span class="hint">{i18n.t(Text::DeletedOn)} " " {date_time(deletion_date, zone)}</span>
            </div>
            <div class="row-actions">
                <a class="button" href=download download aria-label=move || format!("{} {filename_label}", i18n.t(Text::Download)())>
                    {i18n.t(Text::Download)}
                </a>
                {previews.then(|| view! {
                    <button type="button" class="button" on:click=show_preview>{i18n.t(Text::Preview)}</button>
                })}
                <button type="button" class="button" on:click=toggle>
                    {i18n.t(if is_new { Text::MarkViewed } else { Text::MarkNew })}
                </button>
            </div>
        </li>
    }
    .into_any()
}
