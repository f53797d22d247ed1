use crate::i18n::{Text, use_i18n};
use leptos::prelude::*;
use leptos_router::components::A;

/// Any unknown address (the server answers it with status 404).
#[component]
pub fn NotFoundPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="page">
            <h1>{i18n.t(Text::NotFoundHeading)}</h1>
            <p>{i18n.t(Text::NotFoundBody)}</p>
            <A href="/">{i18n.t(Text::BackHome)}</A>
        </section>
    }
}
