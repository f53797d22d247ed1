use crate::api::account::ChangePassword;
use crate::components::form::{Field, FormAlert, Submit, action_error};
use crate::components::session::{RequireSession, use_auth};
use crate::i18n::{Text, use_i18n};
use crate::model::session::SessionStage;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// Changing one's password; also the first stop after logging in with a temporary one.
#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let change = ServerAction::<ChangePassword>::new();
    let error = action_error(change.value());
    let forced = move || auth.current().is_some_and(|s| s.stage == SessionStage::ChangePassword);
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(next_stage)) = change.value().get() {
            auth.refresh();
            navigate(next_stage.next_path(), Default::default());
        }
    });
    view! {
        <RequireSession stages=&[SessionStage::Active, SessionStage::ChangePassword]>
            <section class="page narrow">
                <h1>{i18n.t(Text::ChangePasswordHeading)}</h1>
                <p>{move || i18n.t(if forced() { Text::TemporaryPasswordIntro } else { Text::ChangePasswordIntro })()}</p>
                <ActionForm action=change attr:class="form">
                    <Field
                        name="current_password"
                        label=Text::CurrentPassword
                        kind="password"
                        autocomplete="current-password"
                        error=error
                    />
                    <Field
                        name="new_password"
                        label=Text::NewPassword
                        kind="password"
                        autocomplete="new-password"
                        hint=Text::PasswordHint
                        error=error
                    />
                    <FormAlert error=error />
                    <Submit label=Text::ChangePasswordSubmit pending=change.pending() />
                </ActionForm>
            </section>
        </RequireSession>
    }
}
