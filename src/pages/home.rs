use crate::i18n::{Text, use_i18n};
use leptos::prelude::*;
use leptos_router::components::A;

/// The landing page: where patients and pharmacists each go next.
#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="hero">
            <h1>{i18n.t(Text::Tagline)}</h1>
        </section>
        <div class="cards">
            <section class="card" aria-labelledby="patient-heading">
                <h2 id="patient-heading">{i18n.t(Text::PatientHeading)}</h2>
                <p>{i18n.t(Text::PatientIntro)}</p>
                <A href="/send" attr:class="button primary">{i18n.t(Text::NavSend)}</A>
            </section>
            <section class="card" aria-labelledby="pharmacy-heading">
                <h2 id="pharmacy-heading">{i18n.t(Text::PharmacyHeading)}</h2>
                <p>{i18n.t(Text::PharmacyIntro)}</p>
                <A href="/login" attr:class="button">{i18n.t(Text::NavPharmacy)}</A>
            </section>
        </div>
    }
}
