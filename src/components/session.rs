//! Who is signed in, for every page: one resource, refreshed after logins and logouts,
//! and the gate protected pages stand behind.

use crate::api::auth::current_session;
use crate::error::AppError;
use crate::i18n::{Text, use_i18n};
use crate::model::session::{Session, SessionStage};
use crate::model::staff::Role;
use crate::time_format::{DEFAULT_ZONE, Tz};
use leptos::prelude::*;
use leptos_router::components::Redirect;

#[derive(Clone, Copy)]
pub struct Auth {
    pub session: Resource<Result<Option<Session>, AppError>>,
}

impl Auth {
    pub fn provide() -> Auth {
        let auth = Auth {
            session: Resource::new(|| (), |_| current_session()),
        };
        provide_context(auth);
        auth
    }

    /// The signed-in session, reactively; `None` while signed out (or not known yet).
    pub fn current(self) -> Option<Session> {
        self.session.get().and_then(Result::ok).flatten()
    }

    /// The zone pages show times in: the signed-in pharmacy's.
    pub fn time_zone(self) -> Tz {
        self.session
            .get_untracked()
            .and_then(Result::ok)
            .flatten()
            .map_or(DEFAULT_ZONE, |session| session.user.time_zone)
    }

    /// Re-reads the session after it changed (login, logout, password, second factor).
    pub fn refresh(self) {
        self.session.refetch();
    }
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// Shows `children` to a session at one of `stages` (and an admin, when `admin`);
/// sends anyone else where they belong: the login form, or the step their login owes.
#[component]
pub fn RequireSession(
    #[prop(default = &[SessionStage::Active])] stages: &'static [SessionStage],
    #[prop(optional)] admin: bool,
    children: ChildrenFn,
) -> impl IntoView {
    let auth = use_auth();
    let i18n = use_i18n();
    let children = StoredValue::new(children);
    view! {
        <Transition fallback=move || view! { <p class="loading">{i18n.t(Text::Loading)}</p> }>
            {move || Suspend::new(async move {
                match auth.session.await {
                    Ok(Some(session)) if !stages.contains(&session.stage) => {
                        view! { <Redirect path=session.stage.next_path() /> }.into_any()
                    }
                    Ok(Some(session)) if admin && session.user.role != Role::Admin => {
                        view! { <p class="form-alert" role="alert">{i18n.t(Text::ErrorForbidden)}</p> }.into_any()
                    }
                    Ok(Some(_)) => children.read_value()().into_any(),
                    _ => view! { <Redirect path="/login" /> }.into_any(),
                }
            })}
        </Transition>
    }
}
