use crate::i18n::{Text, use_i18n};
use leptos::prelude::*;

/// The pharmacy's view of what patients sent.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="page">
            <h1>{i18n.t(Text::DashboardHeading)}</h1>
            <p>{i18n.t(Text::DashboardIntro)}</p>
        </section>
    }
}
