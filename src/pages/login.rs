use crate::api::auth::{Login, VerifySecondFactor};
use crate::components::form::{Field, FormAlert, SecondFactorCode, Submit, action_error};
use crate::components::pro_sante_connect::{PscLoginButton, PscNotice, use_psc_name};
use crate::components::session::use_auth;
use crate::i18n::{Text, use_i18n};
use crate::model::session::SessionStage;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

/// Where pharmacy staff sign in: with Pro Santé Connect when the server offers it, or
/// email and password, then the second factor if set up.
#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let login = ServerAction::<Login>::new();
    let verify = ServerAction::<VerifySecondFactor>::new();
    let login_error = action_error(login.value());
    let verify_error = action_error(verify.value());
    let code_step = RwSignal::new(false);

    // A reload at the code step, or a password just accepted, shows the code form.
    Effect::new(move || {
        if let Some(Ok(Some(session))) = auth.session.get() {
            code_step.set(session.stage == SessionStage::SecondFactor);
        }
    });
    let navigate = use_navigate();
    Effect::new(move || {
        let stage = match (login.value().get(), verify.value().get()) {
            (_, Some(Ok(stage))) | (Some(Ok(stage)), None) => stage,
            _ => return,
        };
        if stage == SessionStage::SecondFactor {
            code_step.set(true);
        } else {
            auth.refresh();
            navigate(stage.next_path(), Default::default());
        }
    });

    view! {
        <section class="page narrow">
            <h1>{i18n.t(Text::LoginHeading)}</h1>
            <Show
                when=move || code_step.get()
                fallback=move || {
                    view! {
                        <p>{i18n.t(Text::LoginIntro)}</p>
                        <PscNotice />
                        {use_psc_name()
                            .map(|name| {
                                view! {
                                    <PscLoginButton name />
                                    <p class="divider">{i18n.t(Text::PscOr)}</p>
                                }
                            })}
                        <ActionForm action=login attr:class="form">
                            <Field name="email" label=Text::Email kind="email" autocomplete="username" error=login_error />
                            <Field
                                name="password"
                                label=Text::Password
                                kind="password"
                                autocomplete="current-password"
                                error=login_error
                            />
                            <FormAlert error=login_error />
                            <Submit label=Text::LogIn pending=login.pending() />
                        </ActionForm>
                        <p>{i18n.t(Text::NoAccountYet)} " " <A href="/register">{i18n.t(Text::RegisterLink)}</A></p>
                    }
                }
            >
                <p>{i18n.t(Text::SecondFactorPrompt)}</p>
                <ActionForm action=verify attr:class="form">
                    <SecondFactorCode
                        hint=Text::VerificationCodeHint
                        submit=Text::Verify
                        error=verify_error
                        pending=verify.pending()
                    />
                </ActionForm>
            </Show>
        </section>
    }
}
