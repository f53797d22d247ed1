//! Pharmacist accounts through the server functions the pages call, on SQLite and
//! PostgreSQL: registration, login, the second factor, sessions, staff and the guard.

use crate::on_both_databases;
use crate::support::{Refused, TestApp, Visitor, invalid, spawn_app_on};
use axum::body::Body;
use axum::http::StatusCode;
use santhium::api::account::{
    BeginSecondFactor, ChangePassword, ConfirmSecondFactor, EndOtherSessions, EndSession, ListSessions,
    RemoveSecondFactor,
};
use santhium::api::api_keys::{CreateApiKey, ListApiKeys, RevokeApiKey};
use santhium::api::audit::ListAuditEvents;
use santhium::api::auth::{CurrentSession, Login, Logout, RegisterPharmacy, VerifySecondFactor};
use santhium::api::codes::CreateTransferCode;
use santhium::api::documents::{DeleteDocuments, ListDocuments, PreviewDocument, SetDocumentViewed};
use santhium::api::staff::{
    CreateStaff, ListStaff, RequireSecondFactor, SetNotificationEmail, SetRetentionDays, SetStaffActive, SetStaffRole,
    SetTimeZone,
};
use santhium::error::AppError;
use santhium::i18n::Text;
use santhium::model::account::{SecondFactorEnabled, SessionInfo, TotpEnrolment};
use santhium::model::api_keys::{ApiKeyView, NewApiKey};
use santhium::model::audit::{AuditPage, EXPORT_PATH};
use santhium::model::codes::CodeView;
use santhium::model::documents::DocumentPage;
use santhium::model::documents::download_path;
use santhium::model::session::{Session, SessionStage};
use santhium::model::staff::Role;
use santhium::model::staff::{NewStaffAccount, StaffOverview};
use santhium::server::config::Backend;
use santhium::server::repo::{audit, users};
use santhium::time_format::Tz;

pub(crate) const PASSWORD: &str = "vélo citron orage 92";
pub(crate) const NEW_PASSWORD: &str = "marée basse au phare 17";

fn refused(status: StatusCode, error: AppError) -> Refused {
    Refused { status, error }
}

pub(crate) async fn register<'a>(app: &'a TestApp, pharmacy: &str, email: &str) -> Visitor<'a> {
    let mut admin = app.visitor();
    let form = [
        ("pharmacy_name", pharmacy),
        ("address", ""),
        ("full_name", "Camille Martin"),
        ("email", email),
        ("password", PASSWORD),
    ];
    let stage: SessionStage = admin.call::<RegisterPharmacy, _>(&form).await.expect("registered");
    assert_eq!(stage, SessionStage::Active);
    admin
}

pub(crate) async fn login<'a>(
    app: &'a TestApp,
    email: &str,
    password: &str,
) -> (Visitor<'a>, Result<SessionStage, Refused>) {
    let mut visitor = app.visitor();
    let result = visitor
        .call::<Login, _>(&[("email", email), ("password", password)])
        .await;
    (visitor, result)
}

async fn session(visitor: &mut Visitor<'_>) -> Option<Session> {
    visitor
        .call::<CurrentSession, _>(&[])
        .await
        .expect("current session answers")
}

/// A pharmacist created by `admin`, who has already replaced the temporary password.
pub(crate) async fn pharmacist<'a>(app: &'a TestApp, admin: &mut Visitor<'_>, email: &str) -> Visitor<'a> {
    let form = [
        ("email", email),
        ("full_name", "Dominique Petit"),
        ("role", "Pharmacist"),
    ];
    let account: NewStaffAccount = admin.call::<CreateStaff, _>(&form).await.expect("created");
    let (mut visitor, stage) = login(app, email, &account.temporary_password).await;
    assert_eq!(stage, Ok(SessionStage::ChangePassword));
    replace_temporary_password(&mut visitor, &account.temporary_password).await;
    visitor
}

/// Replaces the temporary password an invitation came with by `NEW_PASSWORD`, which
/// leaves nothing owed.
pub(crate) async fn replace_temporary_password(visitor: &mut Visitor<'_>, temporary_password: &str) {
    let form = [("current_password", temporary_password), ("new_password", NEW_PASSWORD)];
    assert_eq!(
        visitor.call::<ChangePassword, SessionStage>(&form).await,
        Ok(SessionStage::Active)
    );
}

/// The code an authenticator app shows `steps` time steps from the server's now.
pub(crate) fn totp_code(app: &TestApp, enrolment: &TotpEnrolment, steps: i64) -> String {
    let secret = totp_rs::Secret::Encoded(enrolment.secret_text.clone())
        .to_bytes()
        .expect("base32 key");
    let totp = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        secret,
        Some("Santhium".into()),
        "t".into(),
    )
    .expect("valid TOTP");
    totp.generate(u64::try_from(app.state.clock.now() + steps * 30).expect("positive time"))
}

pub(crate) async fn enrol(app: &TestApp, visitor: &mut Visitor<'_>) -> (TotpEnrolment, Vec<String>) {
    let enrolment: TotpEnrolment = visitor
        .call::<BeginSecondFactor, _>(&[])
        .await
        .expect("enrolment starts");
    let code = totp_code(app, &enrolment, 0);
    let enabled: SecondFactorEnabled = visitor
        .call::<ConfirmSecondFactor, _>(&[("code", &code)])
        .await
        .expect("confirmed");
    (enrolment, enabled.recovery_codes)
}

async fn audit_actions(app: &TestApp, visitor: &mut Visitor<'_>) -> Vec<String> {
    let user = session(visitor).await.expect("signed in").user;
    let pharmacy_id = users::find(&app.state.db, &user.id)
        .await
        .expect("query")
        .expect("user")
        .pharmacy_id;
    let events = audit::page_before(
        &app.state.db,
        &pharmacy_id,
        i64::MAX,
        &audit::EventFilter::default(),
        100,
    )
    .await
    .expect("audit");
    events.into_iter().rev().map(|e| e.action).collect()
}

on_both_databases!(
    registration_signs_in_an_admin_and_explains_refusals,
    unknown_account_wrong_password_and_disabled_account_look_the_same,
    logout_ends_the_session_and_every_login_gets_a_new_token,
    second_factor_enrolment_login_replay_and_recovery_codes,
    login_limiter_engages_per_account_and_per_address_then_releases,
    temporary_password_must_be_changed_first,
    disabling_a_user_ends_their_sessions_at_once,
    the_last_active_admin_cannot_be_demoted_or_disabled,
    a_required_second_factor_must_be_set_up_at_next_login,
    sessions_end_when_idle_or_too_old,
    changing_the_password_ends_the_other_sessions,
    users_list_and_end_their_own_sessions_only,
    outdated_password_hashes_are_upgraded_at_login,
    authorisation_matrix,
    the_admin_sets_the_time_zone_every_page_shows_times_in,
    the_audit_page_names_actions_and_objects_as_the_pharmacy_knows_them,
);

async fn the_admin_sets_the_time_zone_every_page_shows_times_in(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let mut admin = register(&app, "Pharmacie du Port", "admin@port.fr").await;
    let user = session(&mut admin).await.expect("signed in").user;
    assert_eq!(user.time_zone, Tz::Europe__Paris, "the default");

    admin
        .call::<SetTimeZone, ()>(&[("time_zone", "Indian/Reunion")])
        .await
        .expect("set");
    let overview: StaffOverview = admin.call::<ListStaff, _>(&[]).await.expect("listed");
    assert_eq!(overview.time_zone, Tz::Indian__Reunion);
    assert_eq!(
        session(&mut admin).await.expect("signed in").user.time_zone,
        Tz::Indian__Reunion
    );
    let code: CodeView = admin
        .call::<CreateTransferCode, _>(&[("lifetime_hours", "24"), ("max_uses", "1"), ("note", "")])
        .await
        .expect("created");
    let (_, status) = crate::uploads::patient(&app, &code.code).await;
    assert_eq!(status.time_zone, Tz::Indian__Reunion, "the patient's page too");

    for unknown in ["Asia/Tokyo", "UTC", "", "Europe/Paris\n"] {
        assert_eq!(
            admin.call::<SetTimeZone, ()>(&[("time_zone", unknown)]).await,
            Err(invalid("time_zone", Text::TimeZoneUnknown)),
            "{unknown:?}"
        );
    }
    assert!(
        audit_actions(&app, &mut admin)
            .await
            .contains(&"time_zone_changed".to_owned())
    );
}

async fn the_audit_page_names_actions_and_objects_as_the_pharmacy_knows_them(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let mut admin = register(&app, "Pharmacie du Port", "admin@port.fr").await;
    pharmacist(&app, &mut admin, "lea@port.fr").await;
    let code: CodeView = admin
        .call::<CreateTransferCode, _>(&[("lifetime_hours", "24"), ("max_uses", "1"), ("note", "")])
        .await
        .expect("created");
    let (patient, _) = crate::uploads::patient(&app, &code.code).await;
    let receipt = patient
        .send_file("Ordonnance.pdf", &crate::uploads::prescription())
        .await
        .expect("sent");
    let document = sqlx::query_scalar::<_, String>("SELECT id FROM documents")
        .fetch_one(&app.state.db)
        .await
        .expect("document");
    let download = app
        .send(admin.request("GET", &download_path(&document), Body::empty()))
        .await;
    assert_eq!(download.status, StatusCode::OK);

    let page: AuditPage = admin.call::<ListAuditEvents, _>(&[]).await.expect("listed");
    let object_of = |action: &str| {
        page.events
            .iter()
            .find(|event| event.action == action)
            .unwrap_or_else(|| panic!("{action}"))
            .object
            .clone()
    };
    assert_eq!(object_of("code_created"), Some(code.code.clone()));
    assert_eq!(object_of("user_created").as_deref(), Some("Dominique Petit"));
    assert_eq!(object_of("document_downloaded").as_deref(), Some("Ordonnance.pdf"));
    assert_eq!(object_of("pharmacy_registered").as_deref(), Some("Pharmacie du Port"));
    let downloaded = page
        .events
        .iter()
        .find(|e| e.action == "document_downloaded")
        .expect("event");
    assert_eq!(downloaded.user.as_deref(), Some("Camille Martin"));

    // Deleted, a document is named by its receipt's reference.
    admin
        .call::<DeleteDocuments, u64>(&[("document_ids[0]", &document)])
        .await
        .expect("deleted");
    let page: AuditPage = admin.call::<ListAuditEvents, _>(&[]).await.expect("listed");
    let deleted = page
        .events
        .iter()
        .find(|e| e.action == "document_deleted")
        .expect("event");
    assert_eq!(deleted.object.as_deref(), Some(receipt.reference.as_str()));
}

async fn registration_signs_in_an_admin_and_explains_refusals(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let mut visitor = app.visitor();
    let form = |pharmacy: &'static str, email: &'static str, password: &'static str| {
        [
            ("pharmacy_name", pharmacy),
            ("address", "2 rue Haute"),
            ("full_name", "Camille Martin"),
            ("email", email),
            ("password", password),
        ]
    };
    let weak = visitor
        .call::<RegisterPharmacy, SessionStage>(&form("Pharmacie", "a@pharmacie.fr", "password1234"))
        .await;
    assert_eq!(weak, Err(invalid("password", Text::PasswordCommon)));
    let short = visitor
        .call::<RegisterPharmacy, SessionStage>(&form("Pharmacie", "a@pharmacie.fr", "court"))
        .await;
    assert_eq!(short, Err(invalid("password", Text::PasswordTooShort)));
    let email = visitor
        .call::<RegisterPharmacy, SessionStage>(&form("Pharmacie", "pas-une-adresse", PASSWORD))
        .await;
    assert_eq!(email, Err(invalid("email", Text::EmailInvalid)));
    let unnamed = visitor
        .call::<RegisterPharmacy, SessionStage>(&form("  ", "a@pharmacie.fr", PASSWORD))
        .await;
    assert_eq!(unnamed, Err(invalid("pharmacy_name", Text::Required)));
    assert_eq!(session(&mut visitor).await, None, "nothing was created");

    let mut admin = register(&app, "Pharmacie du Centre", "  Camille.Martin@Pharmacie.FR ").await;
    let user = session(&mut admin).await.expect("signed in").user;
    assert_eq!(
        user.email, "camille.martin@pharmacie.fr",
        "emails are trimmed and lower-cased"
    );
    assert_eq!(
        (user.role, user.pharmacy_name.as_str()),
        (Role::Admin, "Pharmacie du Centre")
    );
    let taken = app
        .visitor()
        .call::<RegisterPharmacy, SessionStage>(&form("Autre", "camille.martin@pharmacie.fr", PASSWORD))
        .await;
    assert_eq!(taken, Err(invalid("email", Text::EmailTaken)));
    assert_eq!(audit_actions(&app, &mut admin).await, ["pharmacy_registered"]);
}

async fn unknown_account_wrong_password_and_disabled_account_look_the_same(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let mut admin = register(&app, "Pharmacie du Port", "admin@port.fr").await;
    pharmacist(&app, &mut admin, "parti@port.fr").await;
    let staff: StaffOverview = admin.call::<ListStaff, _>(&[]).await.expect("staff");
    let leaver = staff
        .members
        .iter()
        .find(|m| m.email == "parti@port.fr")
        .expect("listed")
        .id
        .clone();
    admin
        .call::<SetStaffActive, ()>(&[("user_id", &leaver), ("active", "false")])
        .await
        .expect("disabled");

    let expected = Err(refused(StatusCode::UNAUTHORIZED, AppError::InvalidCredentials));
    assert_eq!(login(&app, "nobody@port.fr", PASSWORD).await.1, expected);
    assert_eq!(
        login(&app, "admin@port.fr", "pas le bon mot de passe").await.1,
        expected
    );
    assert_eq!(login(&app, "parti@port.fr", NEW_PASSWORD).await.1, expected);
    assert_eq!(
        login(&app, "ADMIN@port.fr ", PASSWORD).await.1,
        Ok(SessionStage::Active)
    );
    let actions = audit_actions(&app, &mut admin).await;
    assert_eq!(
        actions.iter().filter(|a| *a == "login_failed").count(),
        2,
        "failures on this pharmacy's accounts: {actions:?}"
    );
}

async fn logout_ends_the_session_and_every_login_gets_a_new_token(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    register(&app, "Pharmacie des Halles", "halles@pharmacie.fr").await;
    let (mut first, _) = login(&app, "halles@pharmacie.fr", PASSWORD).await;
    let (second, _) = login(&app, "halles@pharmacie.fr", PASSWORD).await;
    assert_ne!(first.cookie, second.cookie);
    let cookie = first.cookie.clone();
    first.call::<Logout, ()>(&[]).await.expect("logged out");
    assert_eq!(first.cookie, None, "the cookie is cleared");
    first.cookie = cookie;
    assert_eq!(session(&mut first).await, None, "the old token no longer works");
}

async fn second_factor_enrolment_login_replay_and_recovery_codes(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let mut admin = register(&app, "Pharmacie de la Gare", "gare@pharmacie.fr").await;
    let enrolment: TotpEnrolment = admin.call::<BeginSecondFactor, _>(&[]).await.expect("started");
    assert!(
        enrolment
            .otpauth_uri
            .starts_with("otpauth://totp/Santhium:gare%40pharmacie.fr?")
    );
    let wrong = admin
        .call::<ConfirmSecondFactor, SecondFactorEnabled>(&[("code", "000000")])
        .await;
    assert_eq!(wrong, Err(invalid("code", Text::CodeInvalid)));
    let code = totp_code(&app, &enrolment, 0);
    let enabled: SecondFactorEnabled = admin
        .call::<ConfirmSecondFactor, _>(&[("code", &code)])
        .await
        .expect("on");
    assert_eq!(enabled.recovery_codes.len(), 10);
    assert!(session(&mut admin).await.expect("signed in").user.second_factor_enabled);

    let (mut visitor, stage) = login(&app, "gare@pharmacie.fr", PASSWORD).await;
    assert_eq!(stage, Ok(SessionStage::SecondFactor));
    assert_eq!(
        visitor.call::<ListSessions, Vec<SessionInfo>>(&[]).await,
        Err(refused(StatusCode::FORBIDDEN, AppError::Forbidden)),
        "nothing but the code until it is given"
    );
    let used_at_enrolment = visitor
        .call::<VerifySecondFactor, SessionStage>(&[("code", &code)])
        .await;
    assert_eq!(
        used_at_enrolment,
        Err(invalid("code", Text::CodeInvalid)),
        "a code is accepted once"
    );
    let next = totp_code(&app, &enrolment, 1);
    assert_eq!(
        visitor
            .call::<VerifySecondFactor, SessionStage>(&[("code", &next)])
            .await,
        Ok(SessionStage::Active)
    );
    assert!(visitor.call::<ListSessions, Vec<SessionInfo>>(&[]).await.is_ok());

    let (mut replay, _) = login(&app, "gare@pharmacie.fr", PASSWORD).await;
    let again = replay
        .call::<VerifySecondFactor, SessionStage>(&[("code", &next)])
        .await;
    assert_eq!(
        again,
        Err(invalid("code", Text::CodeInvalid)),
        "a replayed code is refused"
    );
    let recovery = enabled.recovery_codes[3].to_lowercase();
    assert_eq!(
        replay
            .call::<VerifySecondFactor, SessionStage>(&[("code", &recovery)])
            .await,
        Ok(SessionStage::Active)
    );
    let (mut reuse, _) = login(&app, "gare@pharmacie.fr", PASSWORD).await;
    let reused = reuse
        .call::<VerifySecondFactor, SessionStage>(&[("code", &recovery)])
        .await;
    assert_eq!(
        reused,
        Err(invalid("code", Text::CodeInvalid)),
        "a recovery code works once"
    );

    let removed = admin
        .call::<RemoveSecondFactor, ()>(&[("password", "mauvais mot de passe")])
        .await;
    assert_eq!(removed, Err(invalid("password", Text::PasswordWrong)));
    admin
        .call::<RemoveSecondFactor, ()>(&[("password", PASSWORD)])
        .await
        .expect("removed");
    assert_eq!(
        login(&app, "gare@pharmacie.fr", PASSWORD).await.1,
        Ok(SessionStage::Active)
    );
    let actions = audit_actions(&app, &mut admin).await;
    for action in [
        "second_factor_enrolled",
        "recovery_code_used",
        "second_factor_removed",
        "login_succeeded",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} missing from {actions:?}");
    }
}

async fn login_limiter_engages_per_account_and_per_address_then_releases(backend: Backend) {
    let app = spawn_app_on(
        backend,
        &[("LOGIN_MAX_FAILURES", "3"), ("LOGIN_FAILURE_WINDOW_MINUTES", "15")],
    )
    .await;
    register(&app, "Pharmacie du Marché", "marche@pharmacie.fr").await;
    for _ in 0..3 {
        assert_eq!(
            login(&app, "marche@pharmacie.fr", "mauvais")
                .await
                .1
                .map_err(|r| r.status),
            Err(StatusCode::UNAUTHORIZED)
        );
    }
    let limited = login(&app, "marche@pharmacie.fr", PASSWORD)
        .await
        .1
        .expect_err("limited even with the right password");
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let AppError::RateLimited { retry_after_secs } = limited.error else {
        panic!("{limited:?}")
    };
    assert!((840..=900).contains(&retry_after_secs), "{retry_after_secs}");
    let unknown = login(&app, "inconnu@pharmacie.fr", PASSWORD).await.1;
    assert_eq!(
        unknown.map_err(|r| r.status),
        Err(StatusCode::UNAUTHORIZED),
        "other accounts are not limited"
    );

    app.state.clock.advance(15 * 60 + 1);
    assert_eq!(
        login(&app, "marche@pharmacie.fr", PASSWORD).await.1,
        Ok(SessionStage::Active),
        "released"
    );

    let mut attacker = app.visitor();
    attacker.ip = Some("203.0.113.9".parse().expect("address"));
    for n in 0..3 {
        let email = format!("essai{n}@pharmacie.fr");
        let _ = attacker
            .call::<Login, SessionStage>(&[("email", &email), ("password", "mauvais")])
            .await;
    }
    let blocked = attacker
        .call::<Login, SessionStage>(&[("email", "marche@pharmacie.fr"), ("password", PASSWORD)])
        .await;
    assert_eq!(
        blocked.map_err(|r| r.status),
        Err(StatusCode::TOO_MANY_REQUESTS),
        "the address is limited"
    );
}

async fn temporary_password_must_be_changed_first(backend: Backend) {
    let app = spawn_app_on(backend, &[("TEMPORARY_PASSWORD_HOURS", "72")]).await;
    let mut admin = register(&app, "Pharmacie Saint-Roch", "roch@pharmacie.fr").await;
    let form = [
        ("email", "Nouveau@Roch.fr"),
        ("full_name", "Alex Bernard"),
        ("role", "Pharmacist"),
    ];
    let account: NewStaffAccount = admin.call::<CreateStaff, _>(&form).await.expect("created");
    assert_eq!(account.email, "nouveau@roch.fr");
    assert_eq!(account.temporary_password.len(), 23);
    let duplicate = admin.call::<CreateStaff, NewStaffAccount>(&form).await;
    assert_eq!(duplicate, Err(invalid("email", Text::EmailTaken)));

    let (mut newcomer, stage) = login(&app, "nouveau@roch.fr", &account.temporary_password).await;
    assert_eq!(stage, Ok(SessionStage::ChangePassword));
    let blocked = newcomer.call::<ListSessions, Vec<SessionInfo>>(&[]).await;
    assert_eq!(blocked, Err(refused(StatusCode::FORBIDDEN, AppError::Forbidden)));
    let same = [
        ("current_password", account.temporary_password.as_str()),
        ("new_password", account.temporary_password.as_str()),
    ];
    assert_eq!(
        newcomer.call::<ChangePassword, SessionStage>(&same).await,
        Err(invalid("new_password", Text::PasswordUnchanged))
    );
    let form = [
        ("current_password", account.temporary_password.as_str()),
        ("new_password", NEW_PASSWORD),
    ];
    assert_eq!(
        newcomer.call::<ChangePassword, SessionStage>(&form).await,
        Ok(SessionStage::Active)
    );
    let staff = newcomer.call::<ListStaff, StaffOverview>(&[]).await;
    assert_eq!(
        staff,
        Err(refused(StatusCode::FORBIDDEN, AppError::Forbidden)),
        "pharmacists cannot manage staff"
    );

    let late: NewStaffAccount = admin
        .call::<CreateStaff, _>(&[
            ("email", "tard@roch.fr"),
            ("full_name", "Sam Roy"),
            ("role", "Pharmacist"),
        ])
        .await
        .expect("created");
    app.state.clock.advance(72 * 3600);
    let expired = login(&app, "tard@roch.fr", &late.temporary_password).await.1;
    assert_eq!(expired, Err(invalid("password", Text::TemporaryPasswordExpired)));
}

async fn disabling_a_user_ends_their_sessions_at_once(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let mut admin = register(&app, "Pharmacie du Lac", "lac@pharmacie.fr").await;
    let mut staff_member = pharmacist(&app, &mut admin, "employe@lac.fr").await;
    let id = session(&mut staff_member).await.expect("signed in").user.id;
    admin
        .call::<SetStaffActive, ()>(&[("user_id", &id), ("active", "false")])
        .await
        .expect("disabled");
    assert_eq!(session(&mut staff_member).await, None);
    let next_action = staff_member.call::<ListSessions, Vec<SessionInfo>>(&[]).await;
    assert_eq!(
        next_action,
        Err(refused(StatusCode::UNAUTHORIZED, AppError::Unauthorized))
    );
    admin
        .call::<SetStaffActive, ()>(&[("user_id", &id), ("active", "true")])
        .await
        .expect("enabled");
    assert_eq!(
        login(&app, "employe@lac.fr", NEW_PASSWORD).await.1,
        Ok(SessionStage::Active)
    );
}

async fn the_last_active_admin_cannot_be_demoted_or_disabled(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let mut admin = register(&app, "Pharmacie du Pont", "pont@pharmacie.fr").await;
    let me = session(&mut admin).await.expect("signed in").user.id;
    let demote = admin
        .call::<SetStaffRole, ()>(&[("user_id", &me), ("role", "Pharmacist")])
        .await;
    assert_eq!(demote, Err(invalid("role", Text::LastAdmin)));
    let disable = admin
        .call::<SetStaffActive, ()>(&[("user_id", &me), ("active", "false")])
        .await;
    assert_eq!(disable, Err(invalid("active", Text::LastAdmin)));

    let mut colleague = pharmacist(&app, &mut admin, "collegue@pont.fr").await;
    let colleague_id = session(&mut colleague).await.expect("signed in").user.id;
    admin
        .call::<SetStaffRole, ()>(&[("user_id", &colleague_id), ("role", "Admin")])
        .await
        .expect("promoted");
    admin
        .call::<SetStaffRole, ()>(&[("user_id", &me), ("role", "Pharmacist")])
        .await
        .expect("now allowed");
    assert_eq!(
        session(&mut admin).await.expect("signed in").user.role,
        Role::Pharmacist
    );
    assert_eq!(
        admin.call::<ListStaff, StaffOverview>(&[]).await.map_err(|r| r.status),
        Err(StatusCode::FORBIDDEN)
    );
}

async fn a_required_second_factor_must_be_set_up_at_next_login(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let mut admin = register(&app, "Pharmacie de l'Église", "eglise@pharmacie.fr").await;
    pharmacist(&app, &mut admin, "equipe@eglise.fr").await;
    assert_eq!(
        admin.call::<RequireSecondFactor, ()>(&[("required", "true")]).await,
        Err(invalid("required", Text::SecondFactorYoursFirst)),
        "the admin sets up their own first"
    );
    enrol(&app, &mut admin).await;
    admin
        .call::<RequireSecondFactor, ()>(&[("required", "true")])
        .await
        .expect("required");
    assert!(
        admin
            .call::<ListStaff, StaffOverview>(&[])
            .await
            .expect("staff")
            .second_factor_required
    );

    let (mut member, stage) = login(&app, "equipe@eglise.fr", NEW_PASSWORD).await;
    assert_eq!(stage, Ok(SessionStage::EnrolSecondFactor));
    let blocked = member.call::<ListSessions, Vec<SessionInfo>>(&[]).await;
    assert_eq!(
        blocked.map_err(|r| r.status),
        Err(StatusCode::FORBIDDEN),
        "nothing else before enrolling"
    );
    let before = member.cookie.clone();
    enrol(&app, &mut member).await;
    assert_ne!(member.cookie, before, "the session token changes with its privileges");
    assert_eq!(
        session(&mut member).await.expect("signed in").stage,
        SessionStage::Active
    );
    let removal = member
        .call::<RemoveSecondFactor, ()>(&[("password", NEW_PASSWORD)])
        .await;
    assert_eq!(removal, Err(invalid("password", Text::SecondFactorRequiredByPharmacy)));
}

async fn sessions_end_when_idle_or_too_old(backend: Backend) {
    let app = spawn_app_on(backend, &[("SESSION_IDLE_MINUTES", "30"), ("SESSION_MAX_HOURS", "12")]).await;
    let mut admin = register(&app, "Pharmacie du Parc", "parc@pharmacie.fr").await;
    app.state.clock.advance(29 * 60);
    assert!(session(&mut admin).await.is_some(), "29 minutes idle");
    app.state.clock.advance(30 * 60);
    assert_eq!(session(&mut admin).await, None, "30 minutes idle");

    let (mut busy, _) = login(&app, "parc@pharmacie.fr", PASSWORD).await;
    for _ in 0..35 {
        app.state.clock.advance(20 * 60);
        assert!(session(&mut busy).await.is_some(), "active every 20 minutes");
    }
    app.state.clock.advance(20 * 60);
    assert_eq!(session(&mut busy).await, None, "12 hours after login, however active");
}

async fn changing_the_password_ends_the_other_sessions(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let mut here = register(&app, "Pharmacie du Nord", "nord@pharmacie.fr").await;
    let (mut elsewhere, _) = login(&app, "nord@pharmacie.fr", PASSWORD).await;
    let wrong = [
        ("current_password", "pas celui-là du tout"),
        ("new_password", NEW_PASSWORD),
    ];
    assert_eq!(
        here.call::<ChangePassword, SessionStage>(&wrong).await,
        Err(invalid("current_password", Text::PasswordWrong))
    );
    let weak = [("current_password", PASSWORD), ("new_password", "motdepasse123")];
    assert!(
        matches!(here.call::<ChangePassword, SessionStage>(&weak).await, Err(r) if r.status == StatusCode::BAD_REQUEST)
    );
    let form = [("current_password", PASSWORD), ("new_password", NEW_PASSWORD)];
    assert_eq!(
        here.call::<ChangePassword, SessionStage>(&form).await,
        Ok(SessionStage::Active)
    );
    assert!(session(&mut here).await.is_some());
    assert_eq!(session(&mut elsewhere).await, None);
    assert_eq!(
        login(&app, "nord@pharmacie.fr", PASSWORD).await.1.map_err(|r| r.status),
        Err(StatusCode::UNAUTHORIZED)
    );
    assert_eq!(
        login(&app, "nord@pharmacie.fr", NEW_PASSWORD).await.1,
        Ok(SessionStage::Active)
    );
}

async fn users_list_and_end_their_own_sessions_only(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let mut admin = register(&app, "Pharmacie du Sud", "sud@pharmacie.fr").await;
    let (mut laptop, _) = login(&app, "sud@pharmacie.fr", PASSWORD).await;
    let (mut phone, _) = login(&app, "sud@pharmacie.fr", PASSWORD).await;
    let sessions: Vec<SessionInfo> = admin.call::<ListSessions, _>(&[]).await.expect("listed");
    assert_eq!(sessions.len(), 3);
    assert_eq!(sessions.iter().filter(|s| s.current).count(), 1);
    assert!(
        sessions.iter().all(|s| s.device.as_deref() == Some("Chrome, Linux")),
        "{sessions:?}"
    );

    let phone_id = phone
        .call::<ListSessions, Vec<SessionInfo>>(&[])
        .await
        .expect("listed")
        .into_iter()
        .find(|s| s.current)
        .expect("current")
        .id;
    let mut stranger = register(&app, "Autre pharmacie", "autre@pharmacie.fr").await;
    let foreign = stranger.call::<EndSession, ()>(&[("session_id", &phone_id)]).await;
    assert_eq!(foreign, Err(refused(StatusCode::NOT_FOUND, AppError::NotFound)));
    assert!(session(&mut phone).await.is_some());

    laptop
        .call::<EndSession, ()>(&[("session_id", &phone_id)])
        .await
        .expect("ended");
    assert_eq!(session(&mut phone).await, None);
    assert_eq!(laptop.call::<EndOtherSessions, u64>(&[]).await, Ok(1));
    assert_eq!(session(&mut admin).await, None);
    assert!(session(&mut laptop).await.is_some());
}

async fn outdated_password_hashes_are_upgraded_at_login(backend: Backend) {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let app = spawn_app_on(backend, &[]).await;
    let mut admin = register(&app, "Pharmacie Ancienne", "ancienne@pharmacie.fr").await;
    let id = session(&mut admin).await.expect("signed in").user.id;
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2i,
        argon2::Version::V0x13,
        argon2::Params::new(8192, 1, 1, None).expect("params"),
    );
    let old = weak
        .hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng))
        .expect("hash")
        .to_string();
    users::set_password(&app.state.db, &id, &old, None, 0)
        .await
        .expect("stored");

    assert_eq!(
        login(&app, "ancienne@pharmacie.fr", PASSWORD).await.1,
        Ok(SessionStage::Active)
    );
    let stored = users::find(&app.state.db, &id)
        .await
        .expect("query")
        .expect("user")
        .password_hash;
    assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
    assert_eq!(
        login(&app, "ancienne@pharmacie.fr", PASSWORD).await.1,
        Ok(SessionStage::Active)
    );
}

/// Who calls, in the matrix.
#[derive(Clone, Copy, Debug)]
enum Caller {
    Anonymous,
    Pharmacist,
    Admin,
    OtherPharmacyAdmin,
    DisabledUser,
    ExpiredSession,
}

/// What the caller gets: the call goes through, or this status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Done,
    Refused(StatusCode),
}

const OK: Answer = Answer::Done;
const E400: Answer = Answer::Refused(StatusCode::BAD_REQUEST);
const E401: Answer = Answer::Refused(StatusCode::UNAUTHORIZED);
const E403: Answer = Answer::Refused(StatusCode::FORBIDDEN);
const E404: Answer = Answer::Refused(StatusCode::NOT_FOUND);

/// Every server function of the accounts feature, for every kind of caller. Objects
/// belong to the first pharmacy; for its admin they exist, for the other pharmacy's
/// admin they answer exactly as missing ones.
async fn authorisation_matrix(backend: Backend) {
    use Caller::*;
    let callers = [
        Anonymous,
        Pharmacist,
        Admin,
        OtherPharmacyAdmin,
        DisabledUser,
        ExpiredSession,
    ];
    #[rustfmt::skip]
    let rows: [(&str, [Answer; 6]); 25] = [
        //                        anon  pharm admin other disab expired
        ("list_sessions",        [E401, OK,   OK,   OK,   E401, E401]),
        ("end_session",          [E401, E404, OK,   E404, E401, E401]),
        ("end_other_sessions",   [E401, OK,   OK,   OK,   E401, E401]),
        ("change_password",      [E401, E400, E400, E400, E401, E401]),
        ("begin_second_factor",  [E401, OK,   OK,   OK,   E401, E401]),
        ("verify_second_factor", [E401, E403, E403, E403, E401, E401]),
        ("remove_second_factor", [E401, E400, E400, E400, E401, E401]),
        ("list_staff",           [E401, E403, OK,   OK,   E401, E401]),
        ("create_staff",         [E401, E403, OK,   OK,   E401, E401]),
        ("set_staff_role",       [E401, E403, OK,   E404, E401, E401]),
        ("set_staff_active",     [E401, E403, OK,   E404, E401, E401]),
        ("require_second_factor",[E401, E403, OK,   OK,   E401, E401]),
        ("set_retention_days",   [E401, E403, OK,   OK,   E401, E401]),
        ("set_notification_email",[E401, E403, OK,  OK,   E401, E401]),
        ("set_time_zone",        [E401, E403, OK,   OK,   E401, E401]),
        ("list_audit_events",    [E401, E403, OK,   OK,   E401, E401]),
        ("list_api_keys",        [E401, E403, OK,   OK,   E401, E401]),
        ("create_api_key",       [E401, E403, OK,   OK,   E401, E401]),
        ("revoke_api_key",       [E401, E403, OK,   E404, E401, E401]),
        ("export_audit",         [E401, E403, OK,   OK,   E401, E401]),
        ("list_documents",       [E401, OK,   OK,   OK,   E401, E401]),
        ("download_document",    [E401, OK,   OK,   E404, E401, E401]),
        ("preview_document",     [E401, OK,   OK,   E404, E401, E401]),
        ("set_document_viewed",  [E401, OK,   OK,   E404, E401, E401]),
        ("delete_documents",     [E401, OK,   OK,   E404, E401, E401]),
    ];
    for (function, expected) in rows {
        for (caller, expected) in callers.into_iter().zip(expected) {
            // A fresh world for each cell: the calls change state.
            let app = spawn_app_on(backend, &[]).await;
            let mut admin = register(&app, "Pharmacie A", "admin@a.fr").await;
            let mut colleague = pharmacist(&app, &mut admin, "pharmacien@a.fr").await;
            let target = session(&mut colleague).await.expect("signed in").user.id;
            let admin_session = admin.call::<ListSessions, Vec<SessionInfo>>(&[]).await.expect("listed")[0]
                .id
                .clone();
            let document = received_document(&app, &mut admin).await;
            admin
                .call::<CreateApiKey, NewApiKey>(&[("name", "Borne"), ("scope", "CodesAndDocuments")])
                .await
                .expect("created");
            let api_key = admin.call::<ListApiKeys, Vec<ApiKeyView>>(&[]).await.expect("listed")[0]
                .id
                .clone();
            let mut visitor = match caller {
                Anonymous => app.visitor(),
                Pharmacist => colleague,
                Admin => admin,
                OtherPharmacyAdmin => register(&app, "Pharmacie B", "admin@b.fr").await,
                DisabledUser => {
                    let (mut leaver, _) = login(&app, "pharmacien@a.fr", NEW_PASSWORD).await;
                    let id = session(&mut leaver).await.expect("signed in").user.id;
                    admin
                        .call::<SetStaffActive, ()>(&[("user_id", &id), ("active", "false")])
                        .await
                        .expect("disabled");
                    leaver
                }
                ExpiredSession => {
                    app.state.clock.advance(31 * 60);
                    colleague
                }
            };
            let targets = Targets {
                user: &target,
                admin_session: &admin_session,
                document: &document,
                api_key: &api_key,
            };
            let answer = call(&app, &mut visitor, caller, function, &targets).await;
            assert_eq!(answer, expected, "{function} called by {caller:?}");
        }
    }
}

/// The objects of the first pharmacy that calls act on.
struct Targets<'a> {
    user: &'a str,
    admin_session: &'a str,
    document: &'a str,
    api_key: &'a str,
}

/// The id of a document a patient sent to the admin's pharmacy.
async fn received_document(app: &TestApp, admin: &mut Visitor<'_>) -> String {
    let form = [("lifetime_hours", "24"), ("max_uses", "1"), ("note", "")];
    let code = admin
        .call::<CreateTransferCode, CodeView>(&form)
        .await
        .expect("created");
    let (patient, _) = crate::uploads::patient(app, &code.code).await;
    patient
        .send_file("ordonnance.pdf", &crate::uploads::prescription())
        .await
        .expect("sent");
    sqlx::query_scalar("SELECT id FROM documents")
        .fetch_one(&app.state.db)
        .await
        .expect("a document")
}

async fn call(
    app: &TestApp,
    visitor: &mut Visitor<'_>,
    caller: Caller,
    function: &str,
    targets: &Targets<'_>,
) -> Answer {
    let (target_user, admin_session, document) = (targets.user, targets.admin_session, targets.document);
    let wrong_password = [
        ("current_password", "pas le bon mot de passe"),
        ("new_password", NEW_PASSWORD),
    ];
    let answer = match function {
        "list_sessions" => visitor.call::<ListSessions, Vec<SessionInfo>>(&[]).await.map(drop),
        "end_session" => visitor.call::<EndSession, ()>(&[("session_id", admin_session)]).await,
        "end_other_sessions" => visitor.call::<EndOtherSessions, u64>(&[]).await.map(drop),
        "change_password" => visitor
            .call::<ChangePassword, SessionStage>(&wrong_password)
            .await
            .map(drop),
        "begin_second_factor" => visitor.call::<BeginSecondFactor, TotpEnrolment>(&[]).await.map(drop),
        "verify_second_factor" => visitor
            .call::<VerifySecondFactor, SessionStage>(&[("code", "123456")])
            .await
            .map(drop),
        "remove_second_factor" => {
            visitor
                .call::<RemoveSecondFactor, ()>(&[("password", "pas le bon")])
                .await
        }
        "list_staff" => visitor.call::<ListStaff, StaffOverview>(&[]).await.map(|overview| {
            let listed = overview.members.iter().any(|m| m.id == target_user);
            assert_eq!(
                listed,
                matches!(caller, Caller::Admin),
                "only the user's own pharmacy lists them"
            );
        }),
        "create_staff" => {
            let form = [
                ("email", "nouveau@a.fr"),
                ("full_name", "Nouvel Employé"),
                ("role", "Pharmacist"),
            ];
            visitor.call::<CreateStaff, NewStaffAccount>(&form).await.map(drop)
        }
        "set_staff_role" => {
            visitor
                .call::<SetStaffRole, ()>(&[("user_id", target_user), ("role", "Admin")])
                .await
        }
        "set_staff_active" => {
            visitor
                .call::<SetStaffActive, ()>(&[("user_id", target_user), ("active", "false")])
                .await
        }
        // Requiring it asks the admin's own first; lifting it checks the same rights.
        "require_second_factor" => visitor.call::<RequireSecondFactor, ()>(&[("required", "false")]).await,
        "set_retention_days" => visitor.call::<SetRetentionDays, ()>(&[("days", "14")]).await,
        "set_time_zone" => {
            visitor
                .call::<SetTimeZone, ()>(&[("time_zone", "Indian/Reunion")])
                .await
        }
        "set_notification_email" => {
            visitor
                .call::<SetNotificationEmail, ()>(&[("notification_email", "officine@a.fr")])
                .await
        }
        "preview_document" => {
            match visitor
                .call::<PreviewDocument, String>(&[("document_id", document)])
                .await
            {
                // The address shows the document, to this caller only while signed in.
                Ok(address) => {
                    let path = address
                        .strip_prefix("http://localhost:3000")
                        .expect("on the preview origin");
                    let request = axum::http::Request::get(path)
                        .header("host", "localhost:3000")
                        .body(Body::empty())
                        .expect("request");
                    assert_eq!(app.send(request).await.status, StatusCode::OK);
                    Ok(())
                }
                Err(refused) => Err(refused),
            }
        }
        "list_documents" => visitor
            .call::<ListDocuments, DocumentPage>(&[("skip", "0"), ("limit", "20")])
            .await
            .map(|page| {
                let listed = page.documents.iter().any(|d| d.id == document);
                assert_eq!(
                    listed,
                    !matches!(caller, Caller::OtherPharmacyAdmin),
                    "own pharmacy only"
                );
            }),
        "list_audit_events" => visitor.call::<ListAuditEvents, AuditPage>(&[]).await.map(drop),
        "list_api_keys" => visitor.call::<ListApiKeys, Vec<ApiKeyView>>(&[]).await.map(|keys| {
            assert_eq!(
                keys.len(),
                usize::from(matches!(caller, Caller::Admin)),
                "own pharmacy only"
            )
        }),
        "create_api_key" => visitor
            .call::<CreateApiKey, NewApiKey>(&[("name", "Caisse"), ("scope", "ReadDocuments")])
            .await
            .map(drop),
        "revoke_api_key" => visitor.call::<RevokeApiKey, ()>(&[("key_id", targets.api_key)]).await,
        "download_document" | "export_audit" => {
            let path = match function {
                "export_audit" => EXPORT_PATH.to_owned(),
                _ => download_path(document),
            };
            let response = app.send(visitor.request("GET", &path, Body::empty())).await;
            if response.status == StatusCode::OK {
                Ok(())
            } else {
                Err(Refused {
                    status: response.status,
                    error: AppError::NotFound,
                })
            }
        }
        "set_document_viewed" => {
            visitor
                .call::<SetDocumentViewed, ()>(&[("document_id", document), ("viewed", "true")])
                .await
        }
        "delete_documents" => visitor
            .call::<DeleteDocuments, u64>(&[("document_ids[0]", document)])
            .await
            .map(drop),
        other => panic!("no such server function in the matrix: {other}"),
    };
    match answer {
        Ok(()) => Answer::Done,
        Err(refused) => Answer::Refused(refused.status),
    }
}

#[tokio::test]
async fn cross_site_posts_to_server_functions_are_refused() {
    use axum::body::Body;
    use axum::http::Request;
    use leptos::server_fn::ServerFn;
    let app = crate::support::spawn_app(&[]).await;
    for (header, value) in [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")] {
        let request = Request::post(Login::PATH)
            .header("content-type", "application/x-www-form-urlencoded")
            .header(header, value)
            .body(Body::from("email=a%40b.fr&password=x"))
            .expect("request");
        let response = app.send(request).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{header}: {value}");
        assert_eq!(response.header("set-cookie"), "");
    }
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_host_prefixed_over_tls() {
    use axum::body::Body;
    use axum::http::Request;
    use leptos::server_fn::ServerFn;
    for (public_url, name, secure) in [
        ("http://127.0.0.1:3000", "santhium_session=", false),
        ("https://pharmacie.example.fr", "__Host-santhium_session=", true),
    ] {
        let app = crate::support::spawn_app(&[("PUBLIC_URL", public_url)]).await;
        let body = format!(
            "pharmacy_name=P&address=&full_name=Camille+Martin&email=c%40p.fr&password={}",
            PASSWORD.replace(' ', "+").replace('é', "%C3%A9")
        );
        let request = Request::post(RegisterPharmacy::PATH)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", public_url)
            .body(Body::from(body))
            .expect("request");
        let response = app.send(request).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        let cookie = response.header("set-cookie");
        assert!(cookie.starts_with(name), "{cookie}");
        let token = cookie.trim_start_matches(name).split(';').next().unwrap_or_default();
        assert!(token.len() >= 43, "at least 256 bits of token: {cookie}");
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
        }
        assert_eq!(cookie.contains("Secure"), secure, "{cookie}");
    }
}
