use crate::api::auth::RegisterPharmacy;
use crate::components::form::{Field, FormAlert, Submit, action_error};
use crate::components::session::use_auth;
use crate::i18n::{Text, use_i18n};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

/// A pharmacy signs up; the person signing up becomes its administrator.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let register = ServerAction::<RegisterPharmacy>::new();
    let error = action_error(register.value());
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(stage)) = register.value().get() {
            auth.refresh();
            navigate(stage.next_path(), Default::default());
        }
    });
    view! {
        <section class="page narrow">
            <h1>{i18n.t(Text::RegisterHeading)}</h1>
            <p>{i18n.t(Text::RegisterIntro)}</p>
            <ActionForm action=register attr:class="form">
                <fieldset>
                    <legend>{i18n.t(Text::PharmacyLegend)}</legend>
                    <Field name="pharmacy_name" label=Text::PharmacyName autocomplete="organization" error=error />
                    <Field
                        name="address"
                        label=Text::PharmacyAddress
                        autocomplete="street-address"
                        required=false
                        error=error
                    />
                </fieldset>
                <fieldset>
                    <legend>{i18n.t(Text::AdministratorLegend)}</legend>
                    <Field name="full_name" label=Text::FullName autocomplete="name" error=error />
                    <Field name="email" label=Text::Email kind="email" autocomplete="email" error=error />
                    <Field
                        name="password"
                        label=Text::Password
                        kind="password"
                        autocomplete="new-password"
                        hint=Text::PasswordHint
                        error=error
                    />
                </fieldset>
                <FormAlert error=error />
                <Submit label=Text::RegisterSubmit pending=register.pending() />
            </ActionForm>
            <p>{i18n.t(Text::AlreadyRegistered)} " " <A href="/login">{i18n.t(Text::LogIn)}</A></p>
        </section>
    }
}
