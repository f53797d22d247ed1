//! Pro Santé Connect on the login and account pages: the button, and how a login or a
//! link that came back from the provider ended (`?psc=...`).

use crate::i18n::{Text, use_i18n};
use crate::model::session::{PSC_LOGIN_PATH, PscOutcome};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The name on the PSC button, when the server has a PSC client.
#[derive(Clone)]
struct PscName(Option<String>);

/// Reads the name once, on the server, when the app starts in the browser: it is part
/// of the first page, so the button is there before any code runs, and on pages reached
/// later without a request of their own.
pub fn provide_psc_name() {
    let name = SharedValue::new(|| {
        #[cfg(feature = "ssr")]
        if let Some(state) = use_context::<crate::server::state::AppState>() {
            return state
                .pro_sante_connect
                .as_ref()
                .map(|psc| psc.display_name().to_owned());
        }
        None
    })
    .into_inner();
    provide_context(PscName(name));
}

pub fn use_psc_name() -> Option<String> {
    use_context::<PscName>().and_then(|name| name.0)
}

/// The login button: a link (a full page load, off to the provider) with PSC's name.
#[component]
pub fn PscLoginButton(name: String) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <a class="button psc" href=PSC_LOGIN_PATH rel="external">
            {i18n.t(Text::PscLogIn)} " " {name}
        </a>
    }
}

/// How the last PSC login or link ended, from the address the server sent the browser to.
#[component]
pub fn PscNotice() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let outcome = move || {
        query
            .read()
            .get("psc")
            .and_then(|value| value.parse::<PscOutcome>().ok())
    };
    move || {
        outcome().map(|outcome| {
            let role = if outcome == PscOutcome::Linked {
                "status"
            } else {
                "alert"
            };
            view! {
                <div class="form-alert" role=role>
                    <p>{i18n.t(outcome.text())}</p>
                </div>
            }
        })
    }
}
