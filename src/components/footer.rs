use crate::i18n::{Text, use_i18n};
use leptos::prelude::*;

/// The reminder of how documents are handled, on every page.
#[component]
pub fn Footer() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <footer class="site-footer">
            <p>{i18n.t(Text::SafetyNote)}</p>
        </footer>
    }
}
