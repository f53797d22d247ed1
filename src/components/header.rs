use crate::components::LanguageSwitch;
use crate::i18n::{Text, use_i18n};
use leptos::prelude::*;
use leptos_router::components::A;

/// The banner on every page: brand, main navigation and language switch.
#[component]
pub fn Header() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <a class="skip-link" href="#main">{i18n.t(Text::SkipToContent)}</a>
        <header class="site-header">
            <A href="/" attr:class="brand">"Santhium"</A>
            <nav aria-label=i18n.t(Text::MainNavigation)>
                <ul>
                    <li><A href="/send">{i18n.t(Text::NavSend)}</A></li>
                    <li><A href="/login">{i18n.t(Text::NavPharmacy)}</A></li>
                </ul>
            </nav>
            <LanguageSwitch />
        </header>
    }
}
