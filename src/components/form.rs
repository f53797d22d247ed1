//! Form pieces shared by every page: labelled fields whose errors sit next to them and
//! are announced, and a banner for errors that belong to no field.

use crate::error::AppError;
use crate::i18n::{Text, use_i18n};
use crate::time_format::{Tz, day};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// The error of a server action's last answer. A lost session (the user was signed out
/// or disabled meanwhile) sends the page to the login form instead.
pub fn action_error<T, S>(value: S) -> Signal<Option<AppError>>
where
    T: Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Clone + Send + Sync + 'static,
{
    let navigate = use_navigate();
    let answer = value.clone();
    Effect::new(move || {
        if let Some(Err(AppError::Unauthorized)) = answer.get() {
            navigate("/login", Default::default());
        }
    });
    Signal::derive(move || value.get().and_then(Result::err))
}

/// A labelled input; `name` is the server function's argument it fills.
#[component]
pub fn Field(
    name: &'static str,
    label: Text,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(default = true)] required: bool,
    #[prop(optional)] hint: Option<Text>,
    /// What the input holds at first.
    #[prop(optional, into)]
    value: Option<String>,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = format!("field-{name}");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let message = move || {
        error
            .get()
            .filter(|e| e.field() == Some(name))
            .map(|e| e.message(i18n.lang.get()))
    };
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let ids: Vec<&str> = [
                hint.is_some().then_some(hint_id.as_str()),
                message().is_some().then_some(error_id.as_str()),
            ]
            .into_iter()
            .flatten()
            .collect();
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field">
            <label for=id.clone()>{i18n.t(label)}</label>
            {hint.map(|hint| view! { <p class="hint" id=hint_id.clone()>{i18n.t(hint)}</p> })}
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                required=required
                value=value
                aria-invalid=move || message().is_some().then_some("true")
                aria-describedby=described_by
            />
            <p class="field-error" id=error_id role="alert">{message}</p>
        </div>
    }
}

/// Errors that belong to no field: wrong credentials, too many attempts, no network.
#[component]
pub fn FormAlert(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let message = move || {
        error
            .get()
            .filter(|e| e.field().is_none())
            .map(|e| e.message(i18n.lang.get()))
    };
    view! {
        <div class="form-alert" role="alert">
            {move || message().map(|m| view! { <p>{m}</p> })}
        </div>
    }
}

/// A submit button that says when it is working and cannot be pressed twice.
#[component]
pub fn Submit(label: Text, #[prop(into)] pending: Signal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <button type="submit" class="button primary" disabled=pending aria-busy=move || pending.get().to_string()>
            {move || if pending.get() { i18n.t(Text::Working)() } else { i18n.t(label)() }}
        </button>
    }
}

/// Days picked in two date inputs, for a filter; the last day is included.
#[derive(Clone, Copy, Default)]
pub struct DayRange {
    from: RwSignal<String>,
    until: RwSignal<String>,
}

impl DayRange {
    /// In Unix seconds: the start of the first day, and the end of the last (excluded),
    /// days as in `zone`.
    pub fn bounds(self, zone: Tz) -> (Option<i64>, Option<i64>) {
        (
            day(&self.from.get(), zone).map(|(start, _)| start),
            day(&self.until.get(), zone).map(|(_, end)| end),
        )
    }
}

/// The two date inputs of a `DayRange`; `id` prefixes their element ids.
#[component]
pub fn DayRangeFields(range: DayRange, id: &'static str, from_label: Text, until_label: Text) -> impl IntoView {
    let i18n = use_i18n();
    [(from_label, "from", range.from), (until_label, "until", range.until)]
        .into_iter()
        .map(|(label, end, value)| {
            let input_id = format!("{id}-{end}");
            view! {
                <div class="field">
                    <label for=input_id.clone()>{i18n.t(label)}</label>
                    <input id=input_id type="date" on:change=move |ev| value.set(event_target_value(&ev)) />
                </div>
            }
        })
        .collect_view()
}

/// The fields of a second-factor code form, at login and when setting one up: the code
/// (the browser may fill it from a one-time-code source), what went wrong, the button.
#[component]
pub fn SecondFactorCode(
    hint: Text,
    submit: Text,
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(into)] pending: Signal<bool>,
) -> impl IntoView {
    view! {
        <Field name="code" label=Text::VerificationCode hint=hint autocomplete="one-time-code" error=error />
        <FormAlert error=error />
        <Submit label=submit pending=pending />
    }
}
