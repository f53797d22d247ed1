use crate::i18n::{Text, use_i18n};
use leptos::prelude::*;

/// Where pharmacy staff sign in.
#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="page">
            <h1>{i18n.t(Text::LoginHeading)}</h1>
            <p>{i18n.t(Text::LoginIntro)}</p>
        </section>
    }
}
