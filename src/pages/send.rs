//! The patient's page, mobile first: open a code (scanned, or typed here), choose
//! photos or PDFs, send them with a progress bar each, and keep the receipt.

use crate::api::send::{OpenTransferCode, SendDocument, send_page_access};
use crate::components::form::{Field, FormAlert, Submit, action_error};
use crate::error::AppError;
use crate::i18n::{Text, use_i18n};
use crate::model::send::{DocumentReceipt, LinkRefusal, SendAccess, SendStatus};
use crate::proof_of_work;
use crate::time_format::{Tz, date_time};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;
use send_wrapper::SendWrapper;
use sha2::{Digest, Sha256};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{File, FileList, ProgressEvent, Url, XmlHttpRequest};

#[component]
pub fn SendPage() -> impl IntoView {
    let i18n = use_i18n();
    let open = ServerAction::<OpenTransferCode>::new();
    let working = prove_when_asked(open);
    let access = Resource::new(move || open.version().get(), |_| send_page_access());
    let query = use_query_map();
    let link_refusal = move || {
        query
            .read()
            .get("link")
            .and_then(|value| value.parse::<LinkRefusal>().ok())
    };
    view! {
        <section class="page narrow printable send-page">
            <h1 class="no-print">{i18n.t(Text::SendHeading)}</h1>
            <Transition fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match access.await {
                        Ok(SendAccess::Open(status)) => view! { <Uploader status /> }.into_any(),
                        // The receipts, and room for the next code the patient is given.
                        Ok(SendAccess::Sent(status)) => view! {
                            <Uploader status />
                            <div class="no-print another-code">
                                <h2>{i18n.t(Text::AnotherCode)}</h2>
                                <CodeForm open notice=None working />
                            </div>
                        }
                        .into_any(),
                        Ok(access) => {
                            let notice = match (access, link_refusal()) {
                                (_, Some(LinkRefusal::Limited)) => Some(AppError::RateLimited { retry_after_secs: 60 }),
                                (SendAccess::Closed, _) | (_, Some(LinkRefusal::Invalid)) => Some(AppError::Invalid {
                                    field: "code".into(),
                                    text: Text::TransferCodeUnusable,
                                }),
                                _ => None,
                            };
                            view! { <CodeForm open notice working /> }.into_any()
                        }
                        Err(error) => view! { <p class="form-alert" role="alert">{move || error.message(i18n.lang.get())}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The typed code. `notice` explains why the patient is here (a link that did not open)
/// until the form is sent. While the service asks for a proof of work (many failed
/// look-ups of late), the browser finds one and sends the code again by itself.
#[component]
fn CodeForm(open: ServerAction<OpenTransferCode>, notice: Option<AppError>, working: Signal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let answer = action_error(open.value());
    let error = Signal::derive(move || {
        answer
            .get()
            .or_else(|| open.value().with(Option::is_none).then(|| notice.clone()).flatten())
    });
    view! {
        <p>{i18n.t(Text::SendIntro)}</p>
        <ActionForm action=open attr:class="form">
            <Field name="code" label=Text::TransferCode hint=Text::TransferCodeHint error=error />
            <FormAlert error=error />
            <Submit label=Text::Continue pending=Signal::derive(move || open.pending().get() || working.get()) />
        </ActionForm>
    }
}

/// Sends a typed code again with a proof of work whenever the server asks for one; true
/// while the browser is finding it. Lives with the page, not the form, which is drawn
/// anew after every answer.
fn prove_when_asked(open: ServerAction<OpenTransferCode>) -> Signal<bool> {
    let last_code = RwSignal::new(String::new());
    Effect::new(move || {
        if let Some(input) = open.input().get() {
            last_code.set(input.code);
        }
    });
    let working = RwSignal::new(false);
    Effect::new(move || {
        if let Some(Err(AppError::ProofOfWorkRequired { challenge, bits })) = open.value().get() {
            let code = last_code.get_untracked();
            working.set(true);
            leptos::task::spawn_local(async move {
                let counter = prove(&challenge, bits).await;
                working.try_set(false);
                open.dispatch(OpenTransferCode {
                    code,
                    proof: Some(proof_of_work::proof(&challenge, counter)),
                });
            });
        }
    });
    working.into()
}

/// Finds the proof of work for `challenge`, a slice at a time so the page stays alive.
async fn prove(challenge: &str, bits: u8) -> u64 {
    const SLICE: u64 = 20_000;
    let mut from = 0;
    loop {
        if let Some(counter) = proof_of_work::search(challenge, bits, from..from + SLICE) {
            return counter;
        }
        from += SLICE;
        gloo_timers::future::TimeoutFuture::new(0).await;
    }
}

/// Why a chosen file will not be sent, found in the browser before sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Problem {
    TypeNotAllowed,
    TooLarge,
    TooMany,
    TooManyPages,
}

/// Most pages one document may have; the server holds to it too.
const MAX_PAGES: usize = 20;

#[derive(Clone, Debug, PartialEq)]
enum FileState {
    Ready,
    Sending(u32),
    Sent(DocumentReceipt),
    Failed(AppError),
}

/// A photo taken as a page of the document being put together.
#[derive(Clone)]
struct PagePhoto {
    file: SendWrapper<File>,
    preview: String,
}

/// A document to send. Files are only ever chosen in the browser, whose one thread the
/// `SendWrapper` around each `File` never leaves.
#[derive(Clone)]
struct Chosen {
    id: usize,
    content: Content,
    /// Found when it was chosen: a page too many or too large is found as pages come.
    problem: Option<Problem>,
    state: RwSignal<FileState>,
}

#[derive(Clone)]
enum Content {
    /// A file chosen as it is, sent as it is.
    File {
        file: SendWrapper<File>,
        preview: Option<String>,
    },
    /// Photos taken one after the other: the pages of one document, which the server
    /// puts together into a PDF (one photo alone is sent as it is).
    Pages {
        pages: RwSignal<Vec<PagePhoto>>,
        name: RwSignal<String>,
    },
}

impl Chosen {
    fn files(&self) -> Vec<File> {
        match &self.content {
            Content::File { file, .. } => vec![(**file).clone()],
            Content::Pages { pages, .. } => pages.with(|p| p.iter().map(|page| (*page.file).clone()).collect()),
        }
    }

    fn size(&self) -> u64 {
        self.files().iter().map(|file| file.size() as u64).sum()
    }

    /// Why it will not be sent, if it will not; tracked, as pages come and go.
    fn problem(&self, max_bytes: u64) -> Option<Problem> {
        let pages = match &self.content {
            Content::Pages { pages, .. } => pages.with(Vec::len),
            Content::File { .. } => 1,
        };
        self.problem.or_else(|| {
            if pages > MAX_PAGES {
                Some(Problem::TooManyPages)
            } else if self.size() > max_bytes {
                Some(Problem::TooLarge)
            } else {
                None
            }
        })
    }

    fn sendable(&self, max_bytes: u64) -> bool {
        let open = matches!(self.state.get_untracked(), FileState::Ready | FileState::Failed(_));
        open && self.problem(max_bytes).is_none() && !self.files().is_empty()
    }

    /// The object URLs of its thumbnails, to give back when it goes.
    fn previews(&self) -> Vec<String> {
        match &self.content {
            Content::File { preview, .. } => preview.iter().cloned().collect(),
            Content::Pages { pages, .. } => {
                pages.with_untracked(|p| p.iter().map(|page| page.preview.clone()).collect())
            }
        }
    }
}

/// The name a document put together from `count` pages is given unless the patient
/// gives another.
fn pages_name(lang: crate::i18n::Lang, count: usize) -> String {
    format!("{} - {}", lang.text(Text::Prescription), lang.page_count(count as u32))
}

#[component]
fn Uploader(status: SendStatus) -> impl IntoView {
    let i18n = use_i18n();
    let chosen = RwSignal::new(Vec::<Chosen>::new());
    let next_id = StoredValue::new(0usize);
    let sending = RwSignal::new(false);
    let status = StoredValue::new(status);
    let accept = status.with_value(|s| {
        s.extensions
            .iter()
            .map(|e| format!(".{e}"))
            .collect::<Vec<_>>()
            .join(",")
    });
    let max_bytes = status.with_value(|s| s.max_file_bytes);
    // Each file's state belongs to this uploader, not to whichever part of the page
    // happened to run the picker's handler (that part disappears once all is sent).
    let owner = StoredValue::new(Owner::current().unwrap_or_default());

    let new_id = move || {
        let id = next_id.get_value();
        next_id.set_value(id + 1);
        id
    };
    let in_state = move |state: FileState| owner.with_value(|owner| owner.with(|| RwSignal::new(state)));
    // Documents that may still be sent, beside those to add.
    let taken = move || chosen.with_untracked(|c| c.iter().filter(|c| c.problem.is_none()).count());
    let no_use_left = move |adding: usize| taken() + adding >= status.with_value(|s| s.remaining as usize);
    let add = move |list: FileList| {
        let mut added = Vec::new();
        for file in (0..list.length()).filter_map(|i| list.get(i)) {
            let extension = file
                .name()
                .rsplit_once('.')
                .map(|(_, e)| e.to_ascii_lowercase())
                .unwrap_or_default();
            let allowed = status.with_value(|s| s.extensions.contains(&extension));
            let problem = if !allowed {
                Some(Problem::TypeNotAllowed)
            } else if no_use_left(added.len()) {
                Some(Problem::TooMany)
            } else {
                None
            };
            let preview = (allowed && extension != "pdf")
                .then(|| Url::create_object_url_with_blob(&file).ok())
                .flatten();
            added.push(Chosen {
                id: new_id(),
                content: Content::File {
                    file: SendWrapper::new(file),
                    preview,
                },
                problem,
                state: in_state(FileState::Ready),
            });
        }
        chosen.update(|c| c.extend(added));
    };
    // A photo taken is the next page of the document being put together, if one is.
    let add_pages = move |list: FileList| {
        let photos: Vec<PagePhoto> = (0..list.length())
            .filter_map(|i| list.get(i))
            .filter_map(|file| {
                let preview = Url::create_object_url_with_blob(&file).ok()?;
                Some(PagePhoto {
                    file: SendWrapper::new(file),
                    preview,
                })
            })
            .collect();
        let open = chosen.with_untracked(|c| {
            c.iter().rev().find_map(|c| match &c.content {
                Content::Pages { pages, .. } if matches!(c.state.get_untracked(), FileState::Ready) => Some(*pages),
                _ => None,
            })
        });
        match open {
            Some(pages) => pages.update(|p| p.extend(photos)),
            None => {
                let problem = no_use_left(0).then_some(Problem::TooMany);
                let document = Chosen {
                    id: new_id(),
                    content: Content::Pages {
                        pages: owner.with_value(|owner| owner.with(|| RwSignal::new(photos))),
                        name: owner.with_value(|owner| owner.with(|| RwSignal::new(String::new()))),
                    },
                    problem,
                    state: in_state(FileState::Ready),
                };
                chosen.update(|c| c.push(document));
            }
        }
    };
    // The input's list of files is live: it is read before the input is cleared (so that
    // the same photo can be picked again).
    let picked = move |ev: leptos::ev::Event, take: &dyn Fn(FileList)| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        if let Some(list) = input.files() {
            take(list);
        }
        input.set_value("");
    };
    let on_pick = move |ev: leptos::ev::Event| picked(ev, &add);
    let on_photo = move |ev: leptos::ev::Event| picked(ev, &add_pages);
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        if let Some(list) = ev.data_transfer().and_then(|d| d.files()) {
            add(list);
        }
    };
    let remove = move |id: usize| {
        chosen.update(|c| {
            for preview in c.iter().filter(|c| c.id == id).flat_map(Chosen::previews) {
                let _ = Url::revoke_object_url(&preview);
            }
            c.retain(|c| c.id != id);
        });
    };
    let send = move |only: Option<usize>| {
        let queue: Vec<Chosen> = chosen.with_untracked(|c| {
            c.iter()
                .filter(|c| c.sendable(max_bytes) && only.is_none_or(|id| id == c.id))
                .cloned()
                .collect()
        });
        sending.set(true);
        leptos::task::spawn_local(async move {
            for item in queue {
                item.state.set(FileState::Sending(0));
                let name = match &item.content {
                    Content::Pages { name, pages } => {
                        let typed = name.get_untracked();
                        let count = pages.with_untracked(Vec::len);
                        Some(
                            Some(typed)
                                .filter(|t| !t.trim().is_empty())
                                .unwrap_or_else(|| pages_name(i18n.lang.get_untracked(), count)),
                        )
                    }
                    Content::File { .. } => None,
                };
                item.state.set(upload(&item.files(), name, item.state).await);
            }
            sending.set(false);
        });
    };
    // What this browser sent with the code before (the page was reloaded), then what it
    // sent now: beside each file sent as it is, whose fingerprint this page has checked,
    // `true`.
    let receipts = move || {
        let earlier = status.with_value(|s| s.sent.iter().map(|r| (r.clone(), false)).collect::<Vec<_>>());
        let now = chosen.with(|c| {
            c.iter()
                .filter_map(|c| match c.state.get() {
                    FileState::Sent(receipt) => {
                        let checked = receipt.page_count.is_none();
                        Some((receipt, checked))
                    }
                    _ => None,
                })
                .collect::<Vec<_>>()
        });
        [earlier, now].concat()
    };
    let sent_now = move || chosen.with(|c| c.iter().filter(|c| matches!(c.state.get(), FileState::Sent(_))).count());
    let remaining = move || status.with_value(|s| s.remaining as usize).saturating_sub(sent_now());
    let nothing_to_send = move || !chosen.with(|c| c.iter().any(|c| c.sendable(max_bytes)));
    let all_sent = move || remaining() == 0;
    let zone = status.with_value(|s| s.time_zone);

    view! {
        <div class="no-print">
            <dl class="facts">
                <dt>{i18n.t(Text::SendTo)}</dt>
                <dd class="pharmacy-name">{status.with_value(|s| s.pharmacy_name.clone())}</dd>
                <dt>{i18n.t(Text::SendRemaining)}</dt>
                <dd class="remaining">{remaining}</dd>
                <dt>{i18n.t(Text::SendUntil)}</dt>
                <dd>{status.with_value(|s| date_time(s.expires_at, zone))}</dd>
            </dl>
            <Show when=move || !all_sent()>
                // Type-erased here and below: the page's full view type is too deep to compile.
                {view! {
                <ul class="send-tips">
                    <li>{i18n.t(Text::TipWholePage)}</li>
                    <li>{i18n.t(Text::TipOneDocument)}</li>
                    <li>{i18n.t(Text::TipWhatNext)}</li>
                </ul>
                <div class="drop-zone" on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
                    <div class="pickers">
                        <input
                            id="take-photo"
                            class="visually-hidden"
                            type="file"
                            accept="image/jpeg,image/png"
                            capture="environment"
                            on:change=on_photo
                        />
                        <label class="button primary" for="take-photo">{i18n.t(Text::TakePhoto)}</label>
                        <input
                            id="choose-files"
                            class="visually-hidden"
                            type="file"
                            multiple
                            accept=accept.clone()
                            on:change=on_pick
                        />
                        <label class="button" for="choose-files">{i18n.t(Text::ChooseFiles)}</label>
                    </div>
                    <p class="hint">
                        {move || format!("{} {}", i18n.t(Text::DropHint)(), i18n.lang.get().file_size(max_bytes))}
                    </p>
                </div>
                }.into_any()}
            </Show>
            <Show when=move || chosen.with(|c| !c.is_empty())>
                <h2>{i18n.t(Text::ChosenFiles)}</h2>
                <ul class="chosen-files">
                    <For each=move || chosen.get() key=|c| c.id let:item>
                        <ChosenFile item=item.clone() max_bytes sending remove send />
                    </For>
                </ul>
                <Show when=move || sending.get() || !nothing_to_send()>
                    <button
                        type="button"
                        class="button primary send-button"
                        disabled=sending
                        aria-busy=move || sending.get().to_string()
                        on:click=move |_| send(None)
                    >
                        {move || if sending.get() { i18n.t(Text::Sending)() } else { i18n.t(Text::SendFiles)() }}
                    </button>
                </Show>
            </Show>
            <Show when=all_sent>
                <div class="notice" role="status">
                    <p><strong>{i18n.t(Text::AllSent)}</strong></p>
                    <p>{i18n.t(Text::AskForNewCode)}</p>
                </div>
            </Show>
        </div>
        <Show when=move || !receipts().is_empty()>
            <Receipt
                receipts=Signal::derive(receipts)
                pharmacy=status.with_value(|s| s.pharmacy_name.clone())
                retention_days=status.with_value(|s| s.retention_days)
                zone
            />
        </Show>
    }
}

#[component]
fn ChosenFile(
    item: Chosen,
    max_bytes: u64,
    sending: RwSignal<bool>,
    remove: impl Fn(usize) + Copy + Send + Sync + 'static,
    send: impl Fn(Option<usize>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = item.id;
    let state = item.state;
    let problem = {
        let item = item.clone();
        Signal::derive(move || item.problem(max_bytes))
    };
    let problem_message = move |problem: Problem| {
        let lang = i18n.lang.get();
        match problem {
            Problem::TypeNotAllowed => lang.text(Text::FileTypeNotAllowed).to_owned(),
            Problem::TooLarge => format!("{} {}", lang.text(Text::FileTooLarge), lang.file_size(max_bytes)),
            Problem::TooMany => lang.text(Text::TooManyFiles).to_owned(),
            Problem::TooManyPages => lang.text(Text::TooManyPages).to_owned(),
        }
    };
    let progress = move || match state.get() {
        FileState::Sending(percent) => Some(percent),
        FileState::Sent(_) => Some(100),
        _ => None,
    };
    let announced = move || match state.get() {
        FileState::Sent(_) => Some(i18n.t(Text::FileSent)().to_owned()),
        FileState::Failed(error) => Some(error.message(i18n.lang.get())),
        _ => None,
    };
    let failed = move || matches!(state.get(), FileState::Failed(_));
    let editable = move || matches!(state.get(), FileState::Ready | FileState::Failed(_)) && !sending.get();
    let size = {
        let item = item.clone();
        move || i18n.lang.get().file_size(item.size())
    };
    let (name, thumbnail, pages) = match item.content {
        Content::File { file, preview } => {
            let name = file.name();
            let thumbnail = match preview {
                Some(url) => view! { <img class="thumbnail" src=url alt="" /> }.into_any(),
                None => view! { <span class="thumbnail pdf" aria-hidden="true">"PDF"</span> }.into_any(),
            };
            (Signal::derive(move || name.clone()), thumbnail, None)
        }
        Content::Pages { pages, name } => {
            let shown = Signal::derive(move || {
                let count = pages.with(Vec::len);
                match (count, pages.with(|p| p.first().map(|page| page.file.name()))) {
                    (1, Some(alone)) => alone,
                    _ => Some(name.get())
                        .filter(|n| !n.trim().is_empty())
                        .unwrap_or_else(|| pages_name(i18n.lang.get(), count)),
                }
            });
            let first = move || {
                pages
                    .with(|p| p.first().map(|page| page.preview.clone()))
                    .unwrap_or_default()
            };
            let thumbnail = view! { <img class="thumbnail" src=first alt="" /> }.into_any();
            (shown, thumbnail, Some((pages, name)))
        }
    };
    view! {
        <li class="chosen-file" class:refused=move || problem.get().is_some() class:failed=failed>
            {thumbnail}
            <div class="file-facts">
                <span class="file-name">{name}</span>
                <span class="file-size">{size}</span>
                {move || problem.get().map(|p| view! { <span class="field-error">{move || problem_message(p)}</span> })}
                {move || progress().map(|p| view! {
                    <progress max="100" value=p aria-label=name.get()>{format!("{p} %")}</progress>
                })}
                <span class="file-status" role="status">{announced}</span>
            </div>
            {pages.map(|(pages, name)| view! { <PageList pages name editable=Signal::derive(editable) /> })}
            <div class="row-actions">
                <Show when=failed>
                    <button type="button" class="button retry" disabled=move || sending.get() on:click=move |_| send(Some(id))>
                        {i18n.t(Text::Retry)}
                    </button>
                </Show>
                <Show when=editable>
                    <button type="button" class="button" on:click=move |_| remove(id)>
                        {i18n.t(Text::RemoveFile)}
                    </button>
                </Show>
            </div>
        </li>
    }
    .into_any()
}

/// The pages of a document being put together, in order: each can move up or down a
/// place or go (with buttons, which a thumb and a keyboard both reach), and the whole
/// can be named. Drawn again whole when a page moves: there are only a few.
#[component]
fn PageList(pages: RwSignal<Vec<PagePhoto>>, name: RwSignal<String>, editable: Signal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let list = move || {
        let lang = i18n.lang.get();
        let count = pages.with(Vec::len);
        let locked = !editable.get();
        let naming = (count > 1).then(|| {
            view! {
                <label class="pages-name">
                    <span>{lang.text(Text::DocumentName)}</span>
                    <input
                        type="text"
                        maxlength="120"
                        prop:value=name.get_untracked()
                        placeholder=pages_name(lang, count)
                        disabled=locked
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                </label>
            }
        });
        let button = move |at: usize,
                           action: Text,
                           symbol: &'static str,
                           disabled: bool,
                           change: fn(&mut Vec<PagePhoto>, usize)| {
            let label = format!("{} {} : {}", lang.text(Text::PageLabel), at + 1, lang.text(action));
            view! {
                <button type="button" class="button" aria-label=label disabled=locked || disabled on:click=move |_| pages.update(|p| change(p, at))>
                    {symbol}
                </button>
            }
        };
        let items = pages.with(|p| {
            p.iter()
                .enumerate()
                .map(|(at, page)| {
                    view! {
                        <li class="page-photo">
                            <img class="thumbnail" src=page.preview.clone() alt=format!("{} {}", lang.text(Text::PageLabel), at + 1) />
                            <span class="page-number" aria-hidden="true">{at + 1}</span>
                            {button(at, Text::MoveUp, "↑", at == 0, |p, at| p.swap(at, at - 1))}
                            {button(at, Text::MoveDown, "↓", at + 1 == count, |p, at| p.swap(at, at + 1))}
                            {button(at, Text::RemoveFile, "✕", count == 1, |p, at| {
                                let _ = Url::revoke_object_url(&p.remove(at).preview);
                            })}
                        </li>
                    }
                })
                .collect_view()
        });
        view! {
            {naming}
            <ol class="pages">{items}</ol>
        }
    };
    list.into_any()
}

/// The receipt of each document sent: `true` beside one whose fingerprint this page
/// checked as it sent it (not one sent before a reload).
#[component]
fn Receipt(
    receipts: Signal<Vec<(DocumentReceipt, bool)>>,
    pharmacy: String,
    retention_days: u32,
    zone: Tz,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="receipt" aria-labelledby="receipt-heading">
            <h2 id="receipt-heading">{i18n.t(Text::ReceiptHeading)}</h2>
            <p class="receipt-pharmacy">{pharmacy}</p>
            <ul class="receipt-list">
                <For each=move || receipts.get() key=|(r, _)| r.reference.clone() let((receipt, checked))>
                    <li>
                        <dl class="facts">
                            <dt>{i18n.t(Text::File)}</dt>
                            <dd class="receipt-name">{receipt.filename.clone()}</dd>
                            {receipt.page_count.map(|count| view! {
                                <dt>{i18n.t(Text::PagesHeading)}</dt>
                                <dd class="receipt-pages">{move || i18n.lang.get().page_count(count)}</dd>
                            })}
                            <dt>{i18n.t(Text::Size)}</dt>
                            <dd>{move || i18n.lang.get().file_size(receipt.size)}</dd>
                            <dt>{i18n.t(Text::ReceivedAt)}</dt>
                            <dd>{date_time(receipt.received_at, zone)}</dd>
                            <dt>{i18n.t(Text::Reference)}</dt>
                            <dd class="receipt-reference">{receipt.reference.clone()}</dd>
                            <dt>{i18n.t(Text::Fingerprint)}</dt>
                            <dd>
                                <code class="receipt-sha256">{receipt.sha256.clone()}</code>
                                {checked.then(|| view! { " ✓ " {i18n.t(Text::FingerprintConfirmed)} })}
                                {receipt.page_count.map(|_| view! { <br /><span class="hint">{i18n.t(Text::FingerprintOfAssembled)}</span> })}
                            </dd>
                        </dl>
                    </li>
                </For>
            </ul>
            <p>{move || format!("{} {retention_days} {}.", i18n.t(Text::ReceiptNext)(), i18n.t(Text::Days)())}</p>
            <button type="button" class="button no-print" on:click=|_| { let _ = window().print(); }>
                {i18n.t(Text::PrintReceipt)}
            </button>
        </section>
    }
    .into_any()
}

/// Sends a document with its progress reported as it goes: one file as it is, whose
/// fingerprint the server's must match; or several photos as the pages of one PDF, which
/// the server puts together (so only it can tell the fingerprint), named `name`.
async fn upload(files: &[File], name: Option<String>, state: RwSignal<FileState>) -> FileState {
    let fingerprint = match files {
        [file] => match gloo_file::futures::read_as_bytes(&gloo_file::Blob::from(file.clone())).await {
            Ok(bytes) => Some(format!("{:x}", Sha256::digest(&bytes))),
            Err(_) => return FileState::Failed(AppError::Communication("unreadable file".into())),
        },
        _ => None,
    };
    let answer = match post_files(files, name.filter(|_| fingerprint.is_none()), state).await {
        Ok(answer) => answer,
        Err(_) => return FileState::Failed(AppError::Communication("no answer".into())),
    };
    match answer {
        (200, body) => match serde_json::from_str::<DocumentReceipt>(&body) {
            Ok(receipt) if fingerprint.as_ref().is_none_or(|f| *f == receipt.sha256) => FileState::Sent(receipt),
            Ok(_) => FileState::Failed(AppError::Invalid {
                field: "file".into(),
                text: Text::FingerprintMismatch,
            }),
            Err(error) => FileState::Failed(AppError::Communication(error.to_string())),
        },
        (_, body) => FileState::Failed(
            serde_json::from_str::<AppError>(&body).unwrap_or_else(|e| AppError::Communication(e.to_string())),
        ),
    }
}

/// POSTs the files as multipart with an XMLHttpRequest, whose upload progress events
/// `fetch` does not offer; with a `name`, as pages to put together. Returns the status
/// and body.
async fn post_files(
    files: &[File],
    name: Option<String>,
    state: RwSignal<FileState>,
) -> Result<(u16, String), wasm_bindgen::JsValue> {
    let request = XmlHttpRequest::new()?;
    request.open("POST", <SendDocument as ServerFn>::PATH)?;
    let form = web_sys::FormData::new()?;
    if let Some(name) = name {
        form.append_with_str("combine", "true")?;
        form.append_with_str("name", &name)?;
    }
    for file in files {
        form.append_with_blob_and_filename("file", file, &file.name())?;
    }
    let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |event: ProgressEvent| {
        if event.length_computable() && event.total() > 0.0 {
            state.set(FileState::Sending(
                (event.loaded() / event.total() * 100.0).round() as u32
            ));
        }
    });
    request
        .upload()?
        .set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    let (done, finished) = futures::channel::oneshot::channel::<()>();
    let on_end = Closure::once(move || {
        let _ = done.send(());
    });
    request.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
    request.send_with_opt_form_data(Some(&form))?;
    let _ = finished.await;
    Ok((request.status()?, request.response_text()?.unwrap_or_default()))
}
