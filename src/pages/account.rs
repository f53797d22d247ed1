use crate::api::account::{BeginPscLink, EndOtherSessions, EndSession, UnlinkProSanteConnect, list_sessions};
use crate::components::form::{FormAlert, action_error};
use crate::components::pro_sante_connect::{PscNotice, use_psc_name};
use crate::components::session::{RequireSession, use_auth};
use crate::i18n::{Text, use_i18n};
use crate::model::session::Session;
use crate::time_format::date_time;
use leptos::prelude::*;
use leptos_router::components::A;

/// The signed-in user's own account: password, second factor, open sessions.
#[component]
pub fn AccountPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let user = move || auth.current().map(|s| s.user);
    view! {
        <RequireSession>
            <section class="page">
                <h1>{i18n.t(Text::AccountHeading)}</h1>
                {move || {
                    user()
                        .map(|u| {
                            view! {
                                <dl class="facts">
                                    <dt>{i18n.t(Text::FullName)}</dt>
                                    <dd>{u.full_name}</dd>
                                    <dt>{i18n.t(Text::Email)}</dt>
                                    <dd>{u.email}</dd>
                                    <dt>{i18n.t(Text::Role)}</dt>
                                    <dd>{i18n.t(u.role.text())}</dd>
                                    <dt>{i18n.t(Text::PharmacyName)}</dt>
                                    <dd>{u.pharmacy_name}</dd>
                                    <dt>{i18n.t(Text::SecondFactorHeading)}</dt>
                                    <dd>
                                        {i18n.t(if u.second_factor_enabled { Text::Enabled } else { Text::Disabled })}
                                    </dd>
                                </dl>
                            }
                        })
                }}
                <ul class="actions">
                    <li><A href="/account/password" attr:class="button">{i18n.t(Text::ChangePasswordLink)}</A></li>
                    <li><A href="/account/second-factor" attr:class="button">{i18n.t(Text::ManageSecondFactor)}</A></li>
                </ul>
            </section>
            {move || auth.current().map(|session| view! { <ProSanteConnectLink session /> })}
            <Sessions />
        </RequireSession>
    }
}

/// The account's link to Pro Santé Connect, when the server offers it: the RPPS number
/// it signs in with and a way to unlink it, or a way to link it.
#[component]
fn ProSanteConnectLink(session: Session) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let name = use_psc_name()?;
    let unlink = ServerAction::<UnlinkProSanteConnect>::new();
    let begin = ServerAction::<BeginPscLink>::new();
    let begin_error = action_error(begin.value());
    // Off to the provider, where the professional signs in to be linked.
    Effect::new(move || {
        if let Some(Ok(provider)) = begin.value().get() {
            let _ = window().location().assign(&provider);
        }
    });
    let unlink_error = action_error(unlink.value());
    Effect::new(move || {
        if let Some(Ok(())) = unlink.value().get() {
            auth.refresh();
        }
    });
    let state = match (session.user.rpps, session.may_link_psc) {
        (Some(rpps), _) => view! {
            <p>{i18n.t(Text::PscLinkedTo)} " " <strong class="rpps">{rpps}</strong></p>
            <ActionForm action=unlink attr:class="form inline">
                <button type="submit" class="button">{i18n.t(Text::PscUnlink)}</button>
            </ActionForm>
            <FormAlert error=unlink_error />
        }
        .into_any(),
        (None, true) => view! {
            <p>{i18n.t(Text::PscLinkHint)}</p>
            <button
                type="button"
                class="button psc"
                disabled=move || begin.pending().get()
                on:click=move |_| { begin.dispatch(BeginPscLink {}); }
            >
                {i18n.t(Text::PscLinkWith)}
                " "
                {name}
            </button>
            <FormAlert error=begin_error />
        }
        .into_any(),
        (None, false) => view! { <p>{i18n.t(Text::PscLinkNeedsSecondFactor)}</p> }.into_any(),
    };
    Some(view! {
        <section class="page" aria-labelledby="psc-heading">
            <h2 id="psc-heading">"Pro Santé Connect"</h2>
            <PscNotice />
            {state}
        </section>
    })
}

/// The user's sessions, each of which can be ended, or all but this one.
#[component]
fn Sessions() -> impl IntoView {
    let i18n = use_i18n();
    let zone = use_auth().time_zone();
    let end = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let end_error = action_error(end.value());
    let others_error = action_error(end_others.value());
    let sessions = Resource::new(
        move || (end.version().get(), end_others.version().get()),
        |_| list_sessions(),
    );
    let error = move || {
        end_error
            .get()
            .or(others_error.get())
            .map(|e| e.message(i18n.lang.get()))
    };
    view! {
        <section class="page" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">{i18n.t(Text::SessionsHeading)}</h2>
            <div role="alert" class="form-alert">{error}</div>
            <Transition fallback=move || view! { <p class="loading">{i18n.t(Text::Loading)}</p> }>
                {move || Suspend::new(async move {
                    sessions.await.map(|list| {
                        view! {
                            <ul class="sessions">
                                {list
                                    .into_iter()
                                    .map(|session| {
                                        let id = session.id.clone();
                                        view! {
                                            <li>
                                                <strong>{session.device.unwrap_or_else(|| i18n.t(Text::UnknownDevice)().to_owned())}</strong>
                                                <span>{session.ip.unwrap_or_default()}</span>
                                                <span>{i18n.t(Text::LastActivity)} " " {date_time(session.last_seen_at, zone)}</span>
                                                {if session.current {
                                                    view! { <span class="badge">{i18n.t(Text::ThisSession)}</span> }.into_any()
                                                } else {
                                                    view! {
                                                        <button
                                                            type="button"
                                                            class="button"
                                                            on:click=move |_| {
                                                                end.dispatch(EndSession { session_id: id.clone() });
                                                            }
                                                        >
                                                            {i18n.t(Text::EndSession)}
                                                        </button>
                                                    }
                                                        .into_any()
                                                }}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                    })
                })}
            </Transition>
            <button type="button" class="button" on:click=move |_| { end_others.dispatch(EndOtherSessions {}); }>
                {i18n.t(Text::EndOtherSessions)}
            </button>
        </section>
    }
}
