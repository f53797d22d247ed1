use crate::api::auth::Logout;
use crate::components::LanguageSwitch;
use crate::components::session::use_auth;
use crate::i18n::{Text, use_i18n};
use crate::model::staff::Role;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

/// The banner on every page: brand, navigation for who is signed in, language switch.
#[component]
pub fn Header() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let logout = ServerAction::<Logout>::new();
    let navigate = use_navigate();
    Effect::new(move || {
        let Some(Ok(provider)) = logout.value().get() else {
            return;
        };
        // Signed in with Pro Santé Connect: its session ends at the provider too, which
        // sends the browser back to the login page.
        let left = provider.is_some_and(|provider| window().location().assign(&provider).is_ok());
        if !left {
            auth.refresh();
            navigate("/login", Default::default());
        }
    });
    let links = move || {
        let session = auth.current();
        match session {
            Some(session) => {
                let admin = session.user.role == Role::Admin;
                view! {
                    <li><A href="/dashboard">{i18n.t(Text::DashboardHeading)}</A></li>
                    <li><A href="/account">{i18n.t(Text::AccountHeading)}</A></li>
                    {admin.then(|| view! { <li><A href="/staff">{i18n.t(Text::StaffHeading)}</A></li> })}
                    {admin.then(|| view! { <li><A href="/audit">{i18n.t(Text::AuditHeading)}</A></li> })}
                    <li>
                        <button type="button" class="link-button" on:click=move |_| { logout.dispatch(Logout {}); }>
                            {i18n.t(Text::LogOut)}
                        </button>
                    </li>
                }
                .into_any()
            }
            None => view! {
                <li><A href="/send">{i18n.t(Text::NavSend)}</A></li>
                <li><A href="/login">{i18n.t(Text::NavPharmacy)}</A></li>
            }
            .into_any(),
        }
    };
    view! {
        <a class="skip-link" href="#main">{i18n.t(Text::SkipToContent)}</a>
        <header class="site-header">
            <A href="/" attr:class="brand">"Santhium"</A>
            <nav aria-label=i18n.t(Text::MainNavigation)>
                <ul>
                    <Transition>{links}</Transition>
                </ul>
            </nav>
            <LanguageSwitch />
        </header>
    }
}
