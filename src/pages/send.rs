use crate::i18n::{Text, use_i18n};
use leptos::prelude::*;

/// The patient's page: reached from the QR code or by typing the code.
#[component]
pub fn SendPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="page">
            <h1>{i18n.t(Text::SendHeading)}</h1>
            <p>{i18n.t(Text::SendIntro)}</p>
        </section>
    }
}
