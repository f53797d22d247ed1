use crate::api::auth::{AcceptPscInvitation, psc_invitations};
use crate::components::form::{FormAlert, action_error};
use crate::components::session::use_auth;
use crate::i18n::{Text, use_i18n};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

/// Where a professional signed in with Pro Santé Connect, with no linked account yet,
/// accepts an admin's invitation: nothing is linked before they say which pharmacy they
/// work for, so a number invited by someone else leads nobody anywhere.
#[component]
pub fn PscInvitationsPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let accept = ServerAction::<AcceptPscInvitation>::new();
    let error = action_error(accept.value());
    let invitations = Resource::new_blocking(|| (), |()| psc_invitations());
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(stage)) = accept.value().get() {
            auth.refresh();
            navigate(stage.next_path(), Default::default());
        }
    });
    view! {
        <section class="page narrow">
            <h1>{i18n.t(Text::PscInvitationsHeading)}</h1>
            <Transition>
                {move || Suspend::new(async move {
                    match invitations.await {
                        Ok(invitations) if !invitations.is_empty() => view! {
                            <p>{i18n.t(Text::PscInvitationsIntro)}</p>
                            <ul class="invitations">
                                {invitations
                                    .into_iter()
                                    .map(|invitation| view! {
                                        <li>
                                            <ActionForm action=accept attr:class="form inline">
                                                <input type="hidden" name="user_id" value=invitation.user_id />
                                                <p>
                                                    <strong>{invitation.pharmacy_name.clone()}</strong>
                                                    " · " {invitation.full_name}
                                                </p>
                                                <button type="submit" class="button primary">
                                                    {i18n.t(Text::PscJoin)} " " {invitation.pharmacy_name}
                                                </button>
                                            </ActionForm>
                                        </li>
                                    })
                                    .collect_view()}
                            </ul>
                            <FormAlert error=error />
                            <p>{i18n.t(Text::PscNotMe)} " " <A href="/login">{i18n.t(Text::LogIn)}</A></p>
                        }
                        .into_any(),
                        _ => view! {
                            <p class="form-alert" role="alert">{i18n.t(Text::PscAbandoned)}</p>
                            <p><A href="/login">{i18n.t(Text::LogIn)}</A></p>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
