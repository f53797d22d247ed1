use crate::api::account::{BeginSecondFactor, ConfirmSecondFactor, RemoveSecondFactor};
use crate::components::QrCode;
use crate::components::form::{Field, FormAlert, SecondFactorCode, Submit, action_error};
use crate::components::session::{RequireSession, use_auth};
use crate::i18n::{Text, use_i18n};
use crate::model::session::SessionStage;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// Setting up, or removing, the second factor (TOTP). Also where a login goes when the
/// pharmacy requires one that the user has not set up.
#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let session = move || auth.current();
    let enabled = move || session().is_some_and(|s| s.user.second_factor_enabled);
    view! {
        <RequireSession stages=&[SessionStage::Active, SessionStage::EnrolSecondFactor]>
            <section class="page narrow">
                <h1>{i18n.t(Text::SecondFactorHeading)}</h1>
                {move || {
                    session()
                        .filter(|s| s.stage == SessionStage::EnrolSecondFactor)
                        .map(|_| view! { <p class="notice">{i18n.t(Text::SecondFactorRequiredNotice)}</p> })
                }}
                <Show when=enabled fallback=Enrolment>
                    <Removal />
                </Show>
            </section>
        </RequireSession>
    }
}

#[component]
fn Enrolment() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let begin = ServerAction::<BeginSecondFactor>::new();
    let confirm = ServerAction::<ConfirmSecondFactor>::new();
    let begin_error = action_error(begin.value());
    let confirm_error = action_error(confirm.value());
    let enrolment = move || begin.value().get().and_then(Result::ok);
    let recovery_codes = move || {
        confirm
            .value()
            .get()
            .and_then(Result::ok)
            .map(|enabled| enabled.recovery_codes)
    };
    let navigate = use_navigate();
    let finish = move |_| {
        auth.refresh();
        navigate("/account", Default::default());
    };
    view! {
        <Show
            when=move || recovery_codes().is_none()
            fallback=move || {
                view! {
                    <div class="recovery-codes" role="status">
                        <h2>{i18n.t(Text::RecoveryCodesHeading)}</h2>
                        <p>{i18n.t(Text::RecoveryCodesIntro)}</p>
                        <ol class="codes">
                            {recovery_codes().unwrap_or_default().into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                        </ol>
                        <button type="button" class="button primary" on:click=finish.clone()>
                            {i18n.t(Text::RecoveryCodesSaved)}
                        </button>
                    </div>
                }
            }
        >
            <p>{i18n.t(Text::SecondFactorIntro)}</p>
            <Show
                when=move || enrolment().is_some()
                fallback=move || {
                    view! {
                        <FormAlert error=begin_error />
                        <button
                            type="button"
                            class="button primary"
                            on:click=move |_| { begin.dispatch(BeginSecondFactor {}); }
                        >
                            {i18n.t(Text::SetUpSecondFactor)}
                        </button>
                    }
                }
            >
                {move || {
                    enrolment()
                        .map(|e| {
                            view! {
                                <QrCode text=e.otpauth_uri.clone() label=i18n.t(Text::QrCodeLabel) />
                                <p>{i18n.t(Text::ManualKey)}</p>
                                <p><code class="secret" data-testid="totp-secret">{e.secret_text}</code></p>
                            }
                        })
                }}
                <ActionForm action=confirm attr:class="form">
                    <SecondFactorCode
                        hint=Text::FirstCodeHint
                        submit=Text::Confirm
                        error=confirm_error
                        pending=confirm.pending()
                    />
                </ActionForm>
            </Show>
        </Show>
    }
}

#[component]
fn Removal() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let remove = ServerAction::<RemoveSecondFactor>::new();
    let error = action_error(remove.value());
    Effect::new(move || {
        if let Some(Ok(())) = remove.value().get() {
            auth.refresh();
        }
    });
    view! {
        <p>{i18n.t(Text::SecondFactorOn)}</p>
        <ActionForm action=remove attr:class="form">
            <Field name="password" label=Text::Password kind="password" autocomplete="current-password" error=error />
            <FormAlert error=error />
            <Submit label=Text::RemoveSecondFactor pending=remove.pending() />
        </ActionForm>
    }
}
