use crate::components::session::{RequireSession, use_auth};
use crate::i18n::{Text, use_i18n};
use leptos::prelude::*;

/// The pharmacy's view of what patients sent.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let user = move || auth.current().map(|s| s.user);
    view! {
        <RequireSession>
            <section class="page">
                <h1>{i18n.t(Text::DashboardHeading)}</h1>
                <p class="greeting">
                    {move || user().map(|u| format!("{} {} · {}", i18n.t(Text::Hello)(), u.full_name, u.pharmacy_name))}
                </p>
                <p>{i18n.t(Text::DashboardIntro)}</p>
            </section>
        </RequireSession>
    }
}
