use crate::api::codes::{CreateTransferCode, RevokeTransferCode, list_transfer_codes};
use crate::components::DocumentsPanel;
use crate::components::form::{Field, FormAlert, Submit, action_error};
use crate::components::session::{RequireSession, use_auth};
use crate::components::{QrCode, use_refresh};
use crate::i18n::{Lang, Text, use_i18n};
use crate::model::codes::{CodeStatus, CodeView};
use crate::time_format::{date_time, date_time_with_zone};
use leptos::prelude::*;

/// The pharmacy's working page: what patients sent, and transfer codes to hand to
/// patients.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let user = move || auth.current().map(|s| s.user);
    view! {
        <RequireSession>
            <section class="page">
                <h1>{i18n.t(Text::DashboardHeading)}</h1>
                <p class="greeting">
                    {move || user().map(|u| format!("{} {} · {}", i18n.t(Text::Hello)(), u.full_name, u.pharmacy_name))}
                </p>
                <p>{i18n.t(Text::DashboardIntro)}</p>
            </section>
            <DocumentsPanel />
            <TransferCodesPanel />
        </RequireSession>
    }
}

/// Lifetimes offered for a new code, in hours, and how they read.
const LIFETIMES: [(u32, Text); 6] = [
    (1, Text::OneHour),
    (4, Text::FourHours),
    (24, Text::OneDay),
    (72, Text::ThreeDays),
    (168, Text::SevenDays),
    (720, Text::ThirtyDays),
];

#[component]
fn TransferCodesPanel() -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateTransferCode>::new();
    let revoke = ServerAction::<RevokeTransferCode>::new();
    let create_error = action_error(create.value());
    let revoke_error = action_error(revoke.value());
    // The form reads its default once; the list refreshes itself, so that codes used
    // by patients meanwhile move to the history without a reload.
    let defaults = Resource::new(|| (), |_| list_transfer_codes());
    let refresh = use_refresh();
    let codes = Resource::new(
        move || (create.version().get(), revoke.version().get(), refresh.get()),
        |_| list_transfer_codes(),
    );
    // The view may still read the answer while the page is torn down (a logout from it):
    // the answer's signal is taken now, and read only while it lasts.
    let answer = create.value();
    let created = move || answer.try_get().flatten().and_then(Result::ok);
    // The form starts afresh for the next patient: no note of the previous one left in it.
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move || {
        if let (Some(Ok(_)), Some(form)) = (create.value().get(), form.get_untracked()) {
            form.reset();
        }
    });
    // The code's status as the list last saw it: once used up, expired or revoked, the
    // sheet stops offering it.
    let status_of = move |id: &str| {
        codes.get().and_then(Result::ok).and_then(|codes| {
            codes
                .active
                .iter()
                .chain(&codes.history)
                .find(|listed| listed.id == id)
                .map(|listed| listed.status)
        })
    };
    view! {
        <section class="page narrow no-print" aria-labelledby="new-code-heading">
            <h2 id="new-code-heading">{i18n.t(Text::NewCodeHeading)}</h2>
            <ActionForm action=create node_ref=form attr:class="form">
                <div class="field">
                    <label for="field-lifetime_hours">{i18n.t(Text::CodeLifetime)}</label>
                    <Transition>
                        {move || Suspend::new(async move {
                            defaults.await.map(|codes| view! { <LifetimeSelect default_hours=codes.default_lifetime_hours /> })
                        })}
                    </Transition>
                </div>
                <div class="field">
                    <label for="field-max_uses">{i18n.t(Text::CodeMaxUses)}</label>
                    <select id="field-max_uses" name="max_uses">
                        {(1..=20).map(|n| view! { <option value=n.to_string()>{n}</option> }).collect_view()}
                    </select>
                </div>
                <Field name="note" label=Text::CodeNote hint=Text::CodeNoteHint required=false error=create_error />
                <FormAlert error=create_error />
                <Submit label=Text::CreateCode pending=create.pending() />
            </ActionForm>
        </section>
        {move || {
            created()
                .map(|code| {
                    let id = code.id.clone();
                    let status = Signal::derive(move || status_of(&id).unwrap_or(CodeStatus::Active));
                    view! { <PatientSheet code status /> }
                })
        }}
        <section class="page no-print" aria-labelledby="codes-heading">
            <h2 id="codes-heading">{i18n.t(Text::ActiveCodesHeading)}</h2>
            <div role="alert" class="form-alert">{move || revoke_error.get().map(|e| e.message(i18n.lang.get()))}</div>
            <Transition fallback=move || view! { <p class="loading">{i18n.t(Text::Loading)}</p> }>
                {move || Suspend::new(async move {
                    codes.await.map(|codes| {
                        let active = codes.active;
                        let history = codes.history;
                        view! {
                            {active.is_empty().then(|| view! { <p>{i18n.t(Text::NoActiveCodes)}</p> })}
                            <ul class="codes-list" data-testid="active-codes">
                                {active.into_iter().map(|code| view! { <CodeRow code revoke /> }).collect_view()}
                            </ul>
                            <h3>{i18n.t(Text::CodeHistoryHeading)}</h3>
                            <ul class="codes-list" data-testid="code-history">
                                {history.into_iter().map(|code| view! { <CodeRow code revoke /> }).collect_view()}
                            </ul>
                        }
                    })
                })}
            </Transition>
        </section>
    }
}

/// The lifetimes offered, the configured default among them and chosen.
#[component]
fn LifetimeSelect(default_hours: u32) -> impl IntoView {
    let i18n = use_i18n();
    let mut choices: Vec<(u32, Option<Text>)> = LIFETIMES.iter().map(|&(hours, text)| (hours, Some(text))).collect();
    if !choices.iter().any(|(hours, _)| *hours == default_hours) {
        choices.push((default_hours, None));
        choices.sort_by_key(|(hours, _)| *hours);
    }
    view! {
        <select id="field-lifetime_hours" name="lifetime_hours">
            {choices
                .into_iter()
                .map(|(hours, text)| {
                    let label = move || text.map_or_else(|| format!("{hours} h"), |t| i18n.lang.get().text(t).to_owned());
                    view! { <option value=hours.to_string() selected=hours == default_hours>{label}</option> }
                })
                .collect_view()}
        </select>
    }
}

fn status_text(status: CodeStatus) -> Text {
    match status {
        CodeStatus::Active => Text::StatusActive,
        CodeStatus::UsedUp => Text::StatusUsedUp,
        CodeStatus::Expired => Text::StatusExpired,
        CodeStatus::Revoked => Text::StatusRevoked,
    }
}

#[component]
fn CodeRow(code: CodeView, revoke: ServerAction<RevokeTransferCode>) -> impl IntoView {
    let i18n = use_i18n();
    let zone = use_auth().time_zone();
    let CodeView {
        id,
        code,
        note,
        max_uses,
        current_uses,
        expires_at,
        status,
        ..
    } = code;
    let confirm_revoke = move |_| {
        let question = i18n.lang.get_untracked().text(Text::RevokeConfirm);
        if window().confirm_with_message(question).unwrap_or(false) {
            revoke.dispatch(RevokeTransferCode { code_id: id.clone() });
        }
    };
    view! {
        <li>
            <code class="code">{code}</code>
            {note.map(|note| view! { <span class="note">{note}</span> })}
            <span>{format!("{current_uses} / {max_uses}")} " " {i18n.t(Text::DocumentsSent)}</span>
            <span>{i18n.t(Text::ExpiresAt)} " " {date_time(expires_at, zone)}</span>
            <span class="badge">{i18n.t(status_text(status))}</span>
            {(status == CodeStatus::Active)
                .then(|| view! { <button type="button" class="button" on:click=confirm_revoke>{i18n.t(Text::Revoke)}</button> })}
        </li>
    }
}

/// The new code, large, with its QR code, laid out to be printed for the patient with
/// instructions in French and English. It comes into view when made, and once the code
/// can no longer be used it says so instead.
#[component]
fn PatientSheet(code: CodeView, status: Signal<CodeStatus>) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let pharmacy = move || auth.current().map(|s| s.user.pharmacy_name);
    let CodeView {
        code,
        upload_url,
        send_address: address,
        expires_at,
        ..
    } = code;
    let expires = date_time_with_zone(expires_at, auth.time_zone());
    let ended_code = code.clone();
    let instructions = move |lang: Lang| {
        let address = address.clone();
        view! {
            <li>{lang.text(Text::SheetStepScan)} " " <strong class="send-address">{address}</strong></li>
            <li>{lang.text(Text::SheetStepPhotograph)}</li>
            <li>{lang.text(Text::SheetStepSend)}</li>
        }
    };
    let sheet = NodeRef::<leptos::html::Section>::new();
    Effect::new(move || {
        if let Some(sheet) = sheet.get() {
            sheet.scroll_into_view();
        }
    });
    let usable = move || status.get() == CodeStatus::Active;
    view! {
        <section class="page patient-sheet" aria-labelledby="sheet-heading" role="status" node_ref=sheet>
            <h2 id="sheet-heading">{i18n.t(Text::CodeForPatient)}</h2>
            <Show
                when=usable
                fallback=move || view! {
                    <p class="notice">
                        <strong class="code">{ended_code.clone()}</strong> " : " {i18n.t(status_text(status.get()))} ". "
                        {i18n.t(Text::SheetCodeEnded)}
                    </p>
                }
            >
                <p class="sheet-pharmacy">{pharmacy}</p>
                <QrCode text=upload_url.clone() label=i18n.t(Text::UploadQrLabel) />
                <p class="big-code" data-testid="new-code">{code.clone()}</p>
                <p>{i18n.t(Text::ValidUntil)} " " {expires.clone()}</p>
                <ol lang="fr">{instructions(Lang::Fr)}</ol>
                <ol lang="en">{instructions(Lang::En)}</ol>
                <button type="button" class="button primary no-print" on:click=move |_| { let _ = window().print(); }>
                    {i18n.t(Text::PrintSheet)}
                </button>
            </Show>
        </section>
    }
}
