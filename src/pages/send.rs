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
}

#[derive(Clone, Debug, PartialEq)]
enum FileState {
    Ready,
    Sending(u32),
    Sent(DocumentReceipt),
    Failed(AppError),
}

/// A chosen file. Files are only ever chosen in the browser, whose one thread the
/// `SendWrapper` around the `File` never leaves.
#[derive(Clone)]
struct Chosen {
    id: usize,
    file: SendWrapper<File>,
    name: String,
    size: u64,
    preview: Option<String>,
    problem: Option<Problem>,
    state: RwSignal<FileState>,
}

impl Chosen {
    fn sendable(&self) -> bool {
        self.problem.is_none() && matches!(self.state.get_untracked(), FileState::Ready | FileState::Failed(_))
    }
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

    let add = move |list: FileList| {
        let mut added = Vec::new();
        for file in (0..list.length()).filter_map(|i| list.get(i)) {
            let id = next_id.get_value();
            next_id.set_value(id + 1);
            let name = file.name();
            let extension = name
                .rsplit_once('.')
                .map(|(_, e)| e.to_ascii_lowercase())
                .unwrap_or_default();
            let allowed = status.with_value(|s| s.extensions.contains(&extension));
            let size = file.size() as u64;
            let taken = chosen.with_untracked(|c| c.iter().filter(|c| c.problem.is_none()).count()) + added.len();
            let problem = if !allowed {
                Some(Problem::TypeNotAllowed)
            } else if size > max_bytes {
                Some(Problem::TooLarge)
            } else if taken >= status.with_value(|s| s.remaining as usize) {
                Some(Problem::TooMany)
            } else {
                None
            };
            let preview = (allowed && extension != "pdf")
                .then(|| Url::create_object_url_with_blob(&file).ok())
                .flatten();
            added.push(Chosen {
                id,
                file: SendWrapper::new(file),
                name,
                size,
                preview,
                problem,
                state: owner.with_value(|owner| owner.with(|| RwSignal::new(FileState::Ready))),
            });
        }
        chosen.update(|c| c.extend(added));
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        if let Some(list) = input.files() {
            add(list);
        }
        input.set_value("");
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        if let Some(list) = ev.data_transfer().and_then(|d| d.files()) {
            add(list);
        }
    };
    let remove = move |id: usize| {
        chosen.update(|c| {
            if let Some(preview) = c.iter().find(|c| c.id == id).and_then(|c| c.preview.clone()) {
                let _ = Url::revoke_object_url(&preview);
            }
            c.retain(|c| c.id != id);
        });
    };
    let send = move |only: Option<usize>| {
        let queue: Vec<(File, Chosen)> = chosen.with_untracked(|c| {
            c.iter()
                .filter(|c| c.sendable() && only.is_none_or(|id| id == c.id))
                .map(|c| ((*c.file).clone(), c.clone()))
                .collect()
        });
        sending.set(true);
        leptos::task::spawn_local(async move {
            for (file, item) in queue {
                item.state.set(FileState::Sending(0));
                item.state.set(upload(&file, item.state).await);
            }
            sending.set(false);
        });
    };
    // What this browser sent with the code before (the page was reloaded), then what it
    // sent now, whose fingerprint this page has checked.
    let receipts = move || {
        let earlier = status.with_value(|s| s.sent.iter().map(|r| (r.clone(), false)).collect::<Vec<_>>());
        let now = chosen.with(|c| {
            c.iter()
                .filter_map(|c| match c.state.get() {
                    FileState::Sent(receipt) => Some((receipt, true)),
                    _ => None,
                })
                .collect::<Vec<_>>()
        });
        [earlier, now].concat()
    };
    let sent_now = move || chosen.with(|c| c.iter().filter(|c| matches!(c.state.get(), FileState::Sent(_))).count());
    let remaining = move || status.with_value(|s| s.remaining as usize).saturating_sub(sent_now());
    let nothing_to_send = move || !chosen.with(|c| c.iter().any(Chosen::sendable));
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
                            on:change=on_pick
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
    let Chosen {
        id,
        file: _,
        name,
        size,
        preview,
        problem,
        state,
    } = item;
    let problem_message = move |problem: Problem| {
        let lang = i18n.lang.get();
        match problem {
            Problem::TypeNotAllowed => lang.text(Text::FileTypeNotAllowed).to_owned(),
            Problem::TooLarge => format!("{} {}", lang.text(Text::FileTooLarge), lang.file_size(max_bytes)),
            Problem::TooMany => lang.text(Text::TooManyFiles).to_owned(),
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
    let removable = move || matches!(state.get(), FileState::Ready | FileState::Failed(_)) && !sending.get();
    let label = name.clone();
    view! {
        <li class="chosen-file" class:refused=problem.is_some() class:failed=failed>
            {match preview {
                Some(url) => view! { <img class="thumbnail" src=url alt="" /> }.into_any(),
                None => view! { <span class="thumbnail pdf" aria-hidden="true">"PDF"</span> }.into_any(),
            }}
            <div class="file-facts">
                <span class="file-name">{name}</span>
                <span class="file-size">{move || i18n.lang.get().file_size(size)}</span>
                {problem.map(|p| view! { <span class="field-error">{move || problem_message(p)}</span> })}
                {move || progress().map(|p| view! {
                    <progress max="100" value=p aria-label=label.clone()>{format!("{p} %")}</progress>
                })}
                <span class="file-status" role="status">{announced}</span>
            </div>
            <div class="row-actions">
                <Show when=failed>
                    <button type="button" class="button retry" disabled=move || sending.get() on:click=move |_| send(Some(id))>
                        {i18n.t(Text::Retry)}
                    </button>
                </Show>
                <Show when=removable>
                    <button type="button" class="button" on:click=move |_| remove(id)>
                        {i18n.t(Text::RemoveFile)}
                    </button>
                </Show>
            </div>
        </li>
    }
    .into_any()
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

/// Sends one file with its progress reported as it goes; the server's fingerprint must
/// match the one computed here.
async fn upload(file: &File, state: RwSignal<FileState>) -> FileState {
    let fingerprint = match gloo_file::futures::read_as_bytes(&gloo_file::Blob::from(file.clone())).await {
        Ok(bytes) => format!("{:x}", Sha256::digest(&bytes)),
        Err(_) => return FileState::Failed(AppError::Communication("unreadable file".into())),
    };
    let answer = match post_file(file, state).await {
        Ok(answer) => answer,
        Err(_) => return FileState::Failed(AppError::Communication("no answer".into())),
    };
    match answer {
        (200, body) => match serde_json::from_str::<DocumentReceipt>(&body) {
            Ok(receipt) if receipt.sha256 == fingerprint => FileState::Sent(receipt),
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

/// POSTs the file as multipart with an XMLHttpRequest, whose upload progress events
/// `fetch` does not offer; returns the status and body.
async fn post_file(file: &File, state: RwSignal<FileState>) -> Result<(u16, String), wasm_bindgen::JsValue> {
    let request = XmlHttpRequest::new()?;
    request.open("POST", <SendDocument as ServerFn>::PATH)?;
    let form = web_sys::FormData::new()?;
    form.append_with_blob_and_filename("file", file, &file.name())?;
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
