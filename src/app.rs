//! The HTML shell, the root component and the routes.

use crate::components::session::Auth;
use crate::components::{Footer, Header};
use crate::i18n::{I18n, LANG_COOKIE, Lang, Text};
use crate::pages::{
    AccountPage, AuditPage, ChangePasswordPage, DashboardPage, HomePage, LoginPage, NotFoundPage, RegisterPage,
    SecondFactorPage, SendPage, StaffPage,
};
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos_meta::{Html, Link, Meta, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let i18n = I18n {
        lang: RwSignal::new(initial_lang()),
    };
    provide_context(i18n);
    Auth::provide();

    // Effects run in the browser only: remember the language, then tell end-to-end
    // tests that the page is interactive.
    Effect::new(move || remember_lang(i18n.lang.get()));
    Effect::new(|| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Html attr:lang=move || i18n.lang.get().code() />
        <Title text="Santhium" />
        <Meta name="description" content=i18n.t(Text::Tagline) />
        <Meta name="referrer" content="no-referrer" />
        <Link rel="icon" href="/favicon.ico" sizes="32x32" />
        <Link rel="icon" href="/icons/icon.svg" type_="image/svg+xml" />
        <Link rel="apple-touch-icon" href="/icons/apple-touch-icon.png" />
        <Link rel="manifest" href="/manifest.webmanifest" />
        <Meta name="theme-color" content="#0b5d57" />
        <Meta name="color-scheme" content="light dark" />
        <Stylesheet id="leptos" href="/pkg/santhium.css" />
        <Router>
            <Header />
            <main id="main" tabindex="-1">
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=HomePage />
                    <Route path=path!("/send") view=SendPage />
                    <Route path=path!("/login") view=LoginPage />
                    <Route path=path!("/register") view=RegisterPage />
                    // Pages behind a login render once the session is known, so the server
                    // can answer a redirect to the login form.
                    <Route path=path!("/dashboard") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/account/password") view=ChangePasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/account/second-factor") view=SecondFactorPage ssr=SsrMode::Async />
                    <Route path=path!("/staff") view=StaffPage ssr=SsrMode::Async />
                    <Route path=path!("/audit") view=AuditPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <Footer />
        </Router>
    }
}

/// The language the server rendered with: read from the request's cookie on the
/// server, and carried to the browser in the page so hydration starts identical.
fn initial_lang() -> Lang {
    SharedValue::new(|| {
        #[cfg(feature = "ssr")]
        if let Some(parts) = use_context::<http::request::Parts>() {
            return crate::server::http::web::RequestMeta::from_parts(&parts).lang();
        }
        Lang::default()
    })
    .into_inner()
}

fn remember_lang(lang: Lang) {
    if let Ok(document) = document().dyn_into::<web_sys::HtmlDocument>() {
        let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code());
        let _ = document.set_cookie(&cookie);
    }
}
