//! The admin's view of the pharmacy's audit trail: who did what, when, from where, on
//! what; filtered by action and dates, 50 to a page, and exported as CSV with the same
//! filter.

use crate::api::audit::list_audit_events;
use crate::components::form::{DayRange, DayRangeFields};
use crate::components::session::{RequireSession, use_auth};
use crate::i18n::{Text, use_i18n};
use crate::model::audit::{Action, AuditEventView, AuditFilter, AuditPage};
use crate::time_format::date_time;
use leptos::prelude::*;
use strum::VariantArray;

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <RequireSession admin=true>
            <AuditTrail />
        </RequireSession>
    }
}

#[component]
fn AuditTrail() -> impl IntoView {
    let i18n = use_i18n();
    let zone = use_auth().time_zone();
    let action = RwSignal::new(String::new());
    let days = DayRange::default();
    // The cursors of the pages shown before this one, to go back.
    let cursors = RwSignal::new(Vec::<Option<i64>>::new());
    let before = RwSignal::new(None::<i64>);
    let filter = move || {
        let (from, until) = days.bounds(zone);
        AuditFilter {
            action: Some(action.get()).filter(|a| !a.is_empty()),
            from,
            until,
        }
    };
    let page = Resource::new(
        move || (before.get(), filter()),
        |(before, filter)| list_audit_events(before, filter),
    );
    // A new filter starts again from the newest events.
    Effect::new(move || {
        filter();
        before.set(None);
        cursors.set(Vec::new());
    });
    view! {
        <section class="page">
            <h1>{i18n.t(Text::AuditHeading)}</h1>
            <p>
                <a class="button" href=move || filter().export_path() download>{i18n.t(Text::ExportCsv)}</a>
            </p>
            <div class="filters">
                <div class="field">
                    <label for="audit-action">{i18n.t(Text::AuditAction)}</label>
                    <select id="audit-action" on:change=move |ev| action.set(event_target_value(&ev))>
                        <option value="">{i18n.t(Text::AllDocuments)}</option>
                        {Action::VARIANTS.iter().map(|a| view! { <option value=a.as_ref()>{i18n.t(a.text())}</option> }).collect_view()}
                    </select>
                </div>
                <DayRangeFields range=days id="audit" from_label=Text::OccurredFrom until_label=Text::OccurredUntil />
            </div>
            <Transition fallback=move || view! { <p class="loading">{i18n.t(Text::Loading)}</p> }>
                {move || Suspend::new(async move {
                    page.await.map(|AuditPage { events, older }| {
                        view! {
                            <ul class="audit-events" data-testid="audit-events">
                                {events.into_iter().map(|event| view! { <EventRow event /> }).collect_view()}
                            </ul>
                            <div class="row-actions" hidden=move || older.is_none() && cursors.with(Vec::is_empty)>
                                <button
                                    type="button"
                                    class="button"
                                    disabled=move || cursors.with(Vec::is_empty)
                                    on:click=move |_| before.set(cursors.write().pop().flatten())
                                >
                                    {i18n.t(Text::Previous)}
                                </button>
                                <button
                                    type="button"
                                    class="button"
                                    disabled=older.is_none()
                                    on:click=move |_| {
                                        cursors.write().push(before.get_untracked());
                                        before.set(older);
                                    }
                                >
                                    {i18n.t(Text::Next)}
                                </button>
                            </div>
                        }
                        .into_any()
                    })
                })}
            </Transition>
        </section>
    }
}

#[component]
fn EventRow(event: AuditEventView) -> impl IntoView {
    let i18n = use_i18n();
    let zone = use_auth().time_zone();
    let stored = event.action;
    let words = move || Action::words(&stored, i18n.lang.get());
    view! {
        <li>
            <span>{date_time(event.occurred_at, zone)}</span>
            <strong>{words}</strong>
            <span>{event.user.unwrap_or_else(|| "—".to_owned())}</span>
            <span class="audit-object">{event.object.unwrap_or_default()}</span>
            <span class="hint">{event.ip.unwrap_or_default()}</span>
        </li>
    }
}
