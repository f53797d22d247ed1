//! The HTML shell, the root component and the routes.

use crate::components::pro_sante_connect::provide_psc_name;
use crate::components::session::Auth;
use crate::components::{Footer, Header};
use crate::i18n::{I18n, LANG_COOKIE, Lang, Text};
use crate::pages::{
    AccountPage, AuditPage, ChangePasswordPage, DashboardPage, HomePage, LoginPage, NotFoundPage, PscInvitationsPage,
    RegisterPage, SecondFactorPage, SendPage, StaffPage,
};
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos_meta::{Html, Link, Meta, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{Lazy, LazyRoute, SsrMode, lazy_route, path};

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
    provide_psc_name();

    // Effects run in the browser only.
    Effect::new(move || remember_lang(i18n.lang.get()));

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
                <Routes fallback=|| interactive(view! { <NotFoundPage /> })>
                    // Each page is a WASM module of its own, which the browser loads with
                    // the page: the patient's phone does not download the dashboard's code.
                    // Each is rendered whole once its data is known, never streamed: the
                    // header's links or a code's details would otherwise replace their
                    // placeholders after the first paint and move the page, and a page
                    // behind a login can answer a redirect to the login form.
                    <Route path=path!("/") view={Lazy::<HomeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/send") view={Lazy::<SendRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} ssr=SsrMode::Async />
                    <Route
                        path=path!("/login/invitations")
                        view={Lazy::<PscInvitationsRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/register") view={Lazy::<RegisterRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/dashboard") view={Lazy::<DashboardRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/account") view={Lazy::<AccountRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/account/password") view={Lazy::<ChangePasswordRoute>::new()} ssr=SsrMode::Async />
                    <Route
                        path=path!("/account/second-factor")
                        view={Lazy::<SecondFactorRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/staff") view={Lazy::<StaffRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/audit") view={Lazy::<AuditRoute>::new()} ssr=SsrMode::Async />
                </Routes>
            </main>
            <Footer />
        </Router>
    }
}

/// `page`, telling end-to-end tests when it is interactive: its effects run in the
/// browser once it is hydrated, which for a page whose code loads apart comes after the
/// rest of the app.
fn interactive(page: impl IntoView) -> impl IntoView {
    Effect::new(|| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    page
}

/// A page as a route whose code the browser loads when the page opens.
macro_rules! lazy_page {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                interactive(view! { <$page /> }).into_any()
            }
        }
    )*};
}

lazy_page! {
    HomeRoute => HomePage,
    SendRoute => SendPage,
    LoginRoute => LoginPage,
    PscInvitationsRoute => PscInvitationsPage,
    RegisterRoute => RegisterPage,
    DashboardRoute => DashboardPage,
    AccountRoute => AccountPage,
    ChangePasswordRoute => ChangePasswordPage,
    SecondFactorRoute => SecondFactorPage,
    StaffRoute => StaffPage,
    AuditRoute => AuditPage,
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
