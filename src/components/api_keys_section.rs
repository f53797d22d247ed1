//! The admin's API keys, on the staff page: create one with a scope (its secret is
//! shown once), see when each was last used, revoke it.

use crate::api::api_keys::{CreateApiKey, RevokeApiKey, list_api_keys};
use crate::components::form::{Field, FormAlert, Submit, action_error};
use crate::components::session::use_auth;
use crate::i18n::{Text, use_i18n};
use crate::model::api_keys::{ApiKeyView, KeyScope};
use crate::time_format::date_time;
use leptos::prelude::*;
use strum::VariantArray;

#[component]
pub fn ApiKeysSection() -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let create_error = action_error(create.value());
    let revoke_error = action_error(revoke.value());
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_keys(),
    );
    // The view may still read the answer while the page is torn down (a logout from it):
    // the answer's signal is taken now, and read only while it lasts.
    let answer = create.value();
    let created = move || answer.try_get().flatten().and_then(Result::ok);
    view! {
        <section class="page narrow" aria-labelledby="api-keys-heading">
            <h2 id="api-keys-heading">{i18n.t(Text::ApiKeysHeading)}</h2>
            <p class="hint">{i18n.t(Text::ApiKeysHint)}</p>
            <ActionForm action=create attr:class="form">
                <Field name="name" label=Text::KeyName error=create_error />
                <div class="field">
                    <label for="field-scope">{i18n.t(Text::KeyScopeLabel)}</label>
                    <select id="field-scope" name="scope">
                        {KeyScope::VARIANTS
                            .iter()
                            .map(|scope| view! { <option value=format!("{scope:?}")>{i18n.t(scope.text())}</option> })
                            .collect_view()}
                    </select>
                </div>
                <FormAlert error=create_error />
                <Submit label=Text::CreateKey pending=create.pending() />
            </ActionForm>
            {move || {
                created()
                    .map(|key| {
                        view! {
                            <div class="notice" role="status">
                                <p>{i18n.t(Text::KeyShownOnce)} " " <strong>{key.name}</strong></p>
                                <p><code data-testid="api-key-secret">{key.secret}</code></p>
                            </div>
                        }
                    })
            }}
            <FormAlert error=revoke_error />
            <Transition fallback=move || view! { <p class="loading">{i18n.t(Text::Loading)}</p> }>
                {move || Suspend::new(async move {
                    keys.await.map(|keys| {
                        view! {
                            <ul class="staff" data-testid="api-keys">
                                {keys.into_iter().map(|key| view! { <KeyRow key revoke /> }).collect_view()}
                            </ul>
                        }
                        .into_any()
                    })
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn KeyRow(key: ApiKeyView, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    let i18n = use_i18n();
    let zone = use_auth().time_zone();
    let ApiKeyView {
        id,
        name,
        scope,
        created_at,
        created_by,
        last_used_at,
    } = key;
    let confirm_revoke = move |_| {
        let question = i18n.lang.get_untracked().text(Text::RevokeKeyConfirm);
        if window().confirm_with_message(question).unwrap_or(false) {
            revoke.dispatch(RevokeApiKey { key_id: id.clone() });
        }
    };
    let last_used = move || match last_used_at {
        Some(at) => format!("{} {}", i18n.t(Text::KeyLastUsed)(), date_time(at, zone)),
        None => i18n.t(Text::KeyNeverUsed)().to_owned(),
    };
    view! {
        <li>
            <div>
                <strong>{name}</strong>
                " "
                <span class="badge">{i18n.t(scope.text())}</span>
            </div>
            <div class="hint">{created_by} " · " {date_time(created_at, zone)} " · " {last_used}</div>
            <div class="row-actions">
                <button type="button" class="button" on:click=confirm_revoke>{i18n.t(Text::RevokeKey)}</button>
            </div>
        </li>
    }
}
