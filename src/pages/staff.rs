use crate::api::staff::{
    CreateStaff, RequireSecondFactor, SetNotificationEmail, SetRetentionDays, SetStaffActive, SetStaffRole,
    SetTimeZone, UnlinkStaffRpps, list_staff,
};
use crate::components::ApiKeysSection;
use crate::components::form::{Field, FormAlert, Submit, action_error};
use crate::components::session::{RequireSession, use_auth};
use crate::i18n::{Text, use_i18n};
use crate::model::staff::Role;
use crate::model::staff::StaffMember;
use crate::time_format::{PHARMACY_ZONES, date_time};
use leptos::prelude::*;
use strum::VariantArray;

/// Staff management, for the pharmacy's administrators.
#[component]
pub fn StaffPage() -> impl IntoView {
    view! {
        <RequireSession admin=true>
            <StaffManagement />
            <ApiKeysSection />
        </RequireSession>
    }
}

#[component]
fn StaffManagement() -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateStaff>::new();
    let set_role = ServerAction::<SetStaffRole>::new();
    let set_active = ServerAction::<SetStaffActive>::new();
    let unlink_rpps = ServerAction::<UnlinkStaffRpps>::new();
    let require = ServerAction::<RequireSecondFactor>::new();
    let retention = ServerAction::<SetRetentionDays>::new();
    let retention_error = action_error(retention.value());
    let zone = ServerAction::<SetTimeZone>::new();
    let zone_error = action_error(zone.value());
    let notify = ServerAction::<SetNotificationEmail>::new();
    let notify_error = action_error(notify.value());
    let create_error = action_error(create.value());
    let change_errors = [
        action_error(set_role.value()),
        action_error(set_active.value()),
        action_error(unlink_rpps.value()),
        action_error(require.value()),
    ];
    let staff = Resource::new(
        move || {
            (
                create.version().get(),
                set_role.version().get(),
                set_active.version().get(),
                unlink_rpps.version().get(),
                require.version().get(),
                retention.version().get(),
                notify.version().get(),
                zone.version().get(),
            )
        },
        |_| list_staff(),
    );
    let change_error = move || {
        change_errors
            .iter()
            .find_map(|e| e.get())
            .map(|e| e.message(i18n.lang.get()))
    };
    // The view may still read the answer while the page is torn down (a logout from it):
    // the answer's signal is taken now, and read only while it lasts.
    let answer = create.value();
    let created = move || answer.try_get().flatten().and_then(Result::ok);
    let auth = use_auth();
    // Every page shows times in the new zone from now on.
    Effect::new(move || {
        if let Some(Ok(())) = zone.value().get() {
            auth.refresh();
        }
    });

    view! {
        <section class="page">
            <h1>{i18n.t(Text::StaffHeading)}</h1>
            <div role="alert" class="form-alert">{change_error}</div>
            <Transition fallback=move || view! { <p class="loading">{i18n.t(Text::Loading)}</p> }>
                {move || Suspend::new(async move {
                    staff.await.map(|overview| {
                        let required = overview.second_factor_required;
                        let days = overview.retention_days;
                        let notifications_available = overview.notifications_available;
                        view! {
                            <p class="switch">
                                <input
                                    id="field-require-second-factor"
                                    type="checkbox"
                                    prop:checked=required
                                    on:change=move |ev| { require.dispatch(RequireSecondFactor { required: event_target_checked(&ev) }); }
                                />
                                <label for="field-require-second-factor">{i18n.t(Text::RequireSecondFactor)}</label>
                            </p>
                            <ActionForm action=retention attr:class="form retention-form">
                                <div class="field">
                                    <label for="field-days">{i18n.t(Text::RetentionDays)}</label>
                                    <p class="hint" id="field-days-hint">{i18n.t(Text::RetentionHint)}</p>
                                    <input
                                        id="field-days"
                                        name="days"
                                        type="number"
                                        min="1"
                                        max="90"
                                        required
                                        value=days.to_string()
                                        aria-describedby="field-days-hint"
                                    />
                                    <p class="field-error" role="alert">
                                        {move || retention_error.get().filter(|e| e.field() == Some("days")).map(|e| e.message(i18n.lang.get()))}
                                    </p>
                                </div>
                                <FormAlert error=retention_error />
                                <Submit label=Text::Save pending=retention.pending() />
                            </ActionForm>
                            <ActionForm action=zone attr:class="form time-zone-form">
                                <div class="field">
                                    <label for="field-time_zone">{i18n.t(Text::TimeZone)}</label>
                                    <p class="hint" id="field-time_zone-hint">{i18n.t(Text::TimeZoneHint)}</p>
                                    <select id="field-time_zone" name="time_zone" aria-describedby="field-time_zone-hint">
                                        {PHARMACY_ZONES
                                            .iter()
                                            .map(|choice| {
                                                view! { <option value=choice.name() selected=*choice == overview.time_zone>{choice.name()}</option> }
                                            })
                                            .collect_view()}
                                    </select>
                                </div>
                                <FormAlert error=zone_error />
                                <Submit label=Text::Save pending=zone.pending() />
                            </ActionForm>
                            {notifications_available.then(|| view! {
                            <ActionForm action=notify attr:class="form notification-form">
                                <Field
                                    name="notification_email"
                                    label=Text::NotificationEmail
                                    kind="email"
                                    required=false
                                    hint=Text::NotificationEmailHint
                                    value=overview.notification_email.unwrap_or_default()
                                    error=notify_error
                                />
                                <FormAlert error=notify_error />
                                <Submit label=Text::Save pending=notify.pending() />
                            </ActionForm>
                            })}
                            <ul class="staff">
                                {overview
                                    .members
                                    .into_iter()
                                    .map(|member| view! { <MemberRow member set_role set_active unlink_rpps /> })
                                    .collect_view()}
                            </ul>
                        }
                    })
                })}
            </Transition>
        </section>
        <section class="page narrow" aria-labelledby="new-staff-heading">
            <h2 id="new-staff-heading">{i18n.t(Text::NewStaffHeading)}</h2>
            <ActionForm action=create attr:class="form">
                <Field name="full_name" label=Text::FullName error=create_error />
                <Field name="email" label=Text::Email kind="email" error=create_error />
                <Field name="rpps" label=Text::Rpps required=false hint=Text::RppsHint error=create_error />
                <div class="field">
                    <label for="field-role">{i18n.t(Text::Role)}</label>
                    <select id="field-role" name="role">
                        {Role::VARIANTS
                            .iter()
                            .map(|role| view! { <option value=format!("{role:?}")>{i18n.t(role.text())}</option> })
                            .collect_view()}
                    </select>
                </div>
                <FormAlert error=create_error />
                <Submit label=Text::CreateStaff pending=create.pending() />
            </ActionForm>
            {move || {
                created()
                    .map(|account| {
                        view! {
                            <div class="notice" role="status">
                                <p>{i18n.t(Text::StaffCreated)} " " <strong>{account.email}</strong></p>
                                <p>
                                    {i18n.t(Text::TemporaryPasswordIs)} " "
                                    <code data-testid="temporary-password">{account.temporary_password}</code>
                                </p>
                                <p>{i18n.t(Text::TemporaryPasswordValidUntil)} " " {date_time(account.expires_at, auth.time_zone())}</p>
                            </div>
                        }
                    })
            }}
        </section>
    }
}

#[component]
fn MemberRow(
    member: StaffMember,
    set_role: ServerAction<SetStaffRole>,
    set_active: ServerAction<SetStaffActive>,
    unlink_rpps: ServerAction<UnlinkStaffRpps>,
) -> impl IntoView {
    let i18n = use_i18n();
    let StaffMember {
        id,
        email,
        full_name,
        role,
        is_active,
        second_factor_enabled,
        must_change_password,
        rpps,
        rpps_invited,
    } = member;
    let other_role = if role == Role::Admin {
        Role::Pharmacist
    } else {
        Role::Admin
    };
    let role_label = if role == Role::Admin {
        Text::RemoveAdmin
    } else {
        Text::MakeAdmin
    };
    let role_id = id.clone();
    let rpps_id = id.clone();
    let linked = rpps.is_some();
    view! {
        <li class:inactive=!is_active>
            <div>
                <strong>{full_name}</strong>
                " "
                <span>{email}</span>
            </div>
            <div class="tags">
                <span class="badge">{i18n.t(role.text())}</span>
                <span class="badge">{i18n.t(if is_active { Text::Active } else { Text::Deactivated })}</span>
                {second_factor_enabled.then(|| view! { <span class="badge">{i18n.t(Text::SecondFactorShort)}</span> })}
                {must_change_password.then(|| view! { <span class="badge">{i18n.t(Text::TemporaryPasswordBadge)}</span> })}
                {rpps.map(|rpps| {
                    view! {
                        <span class="badge">
                            "RPPS " {rpps} {rpps_invited.then(|| i18n.t(Text::PscInvitedBadge))}
                        </span>
                    }
                })}
            </div>
            <div class="row-actions">
                <button
                    type="button"
                    class="button"
                    on:click=move |_| { set_role.dispatch(SetStaffRole { user_id: role_id.clone(), role: other_role }); }
                >
                    {i18n.t(role_label)}
                </button>
                <button
                    type="button"
                    class="button"
                    on:click=move |_| { set_active.dispatch(SetStaffActive { user_id: id.clone(), active: !is_active }); }
                >
                    {i18n.t(if is_active { Text::Deactivate } else { Text::Reactivate })}
                </button>
                {linked.then(|| view! {
                    <button
                        type="button"
                        class="button"
                        on:click=move |_| { unlink_rpps.dispatch(UnlinkStaffRpps { user_id: rpps_id.clone() }); }
                    >
                        {i18n.t(Text::PscUnlink)}
                    </button>
                })}
            </div>
        </li>
    }
}
