//! Limits that hold against an attacker with parallel connections and many addresses,
//! on SQLite and PostgreSQL: logins and second-factor codes, registrations, code
//! look-ups, the REST API, password hashing, the second-factor requirement and the
//! last admin.

use crate::accounts::{NEW_PASSWORD, PASSWORD, enrol, login, register, totp_code};
use crate::on_both_databases;
use crate::support::{Refused, TestApp, Visitor, spawn_app_on};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures_util::future::join_all;
use leptos::server_fn::ServerFn;
use santhium::api::account::{ChangePassword, ListSessions};
use santhium::api::auth::{CurrentSession, Login, RegisterPharmacy, VerifySecondFactor};
use santhium::api::send::OpenTransferCode;
use santhium::api::staff::{CreateStaff, RequireSecondFactor, SetStaffRole};
use santhium::error::AppError;
use santhium::model::account::{SessionInfo, TotpEnrolment};
use santhium::model::send::SendStatus;
use santhium::model::session::Session;
use santhium::model::session::SessionStage;
use santhium::model::staff::NewStaffAccount;
use santhium::server::config::Backend;
use serde_json::{Value, json};
use std::net::IpAddr;

on_both_databases!(
    a_burst_of_wrong_passwords_counts_every_attempt,
    a_right_password_never_clears_second_factor_failures,
    a_burst_of_second_factor_codes_counts_every_attempt,
    ipv6_clients_count_by_their_64_network,
    an_ipv6_site_guesses_codes_as_ten_addresses_at_most,
    registrations_are_limited_per_address_and_overall,
    code_look_ups_in_parallel_and_on_two_instances_count_alike,
    the_rest_api_limits_each_client_per_minute,
    a_required_second_factor_reaches_sessions_and_tokens_at_once,
    rest_login_keeps_the_status_of_each_second_factor_outcome,
    parallel_demotions_always_leave_an_admin,
    a_full_hashing_queue_answers_503_at_once,
    a_thousand_guessing_addresses_lock_out_no_patient,
    new_pharmacies_can_require_the_second_factor_from_the_start,
);

fn address(text: &str) -> Option<IpAddr> {
    Some(text.parse().expect("an address"))
}

fn statuses<T>(answers: &[Result<T, Refused>]) -> (usize, usize, usize) {
    let count = |status: StatusCode| {
        answers
            .iter()
            .filter(|a| matches!(a, Err(r) if r.status == status))
            .count()
    };
    (
        answers.iter().filter(|a| a.is_ok()).count(),
        count(StatusCode::UNAUTHORIZED) + count(StatusCode::BAD_REQUEST),
        count(StatusCode::TOO_MANY_REQUESTS),
    )
}

/// `attempts` visitors at `ip` calling `F` with `form` all at once.
async fn burst<F: ServerFn, T: serde::de::DeserializeOwned>(
    app: &TestApp,
    attempts: usize,
    ip: &str,
    form: &[(&str, &str)],
    cookie: Option<&str>,
) -> Vec<Result<T, Refused>> {
    let mut visitors: Vec<Visitor<'_>> = (0..attempts)
        .map(|_| {
            let mut visitor = app.visitor();
            visitor.ip = address(ip);
            visitor.cookie = cookie.map(str::to_owned);
            visitor
        })
        .collect();
    join_all(visitors.iter_mut().map(|v| v.call::<F, T>(form))).await
}

async fn a_burst_of_wrong_passwords_counts_every_attempt(backend: Backend) {
    let app = spawn_app_on(backend, &[("LOGIN_MAX_FAILURES", "10")]).await;
    register(&app, "Pharmacie du Marché", "marche@pharmacie.fr").await;
    let form = [("email", "marche@pharmacie.fr"), ("password", "mauvais mot de passe")];
    let answers = burst::<Login, SessionStage>(&app, 30, "203.0.113.5", &form, None).await;
    let (accepted, checked, limited) = statuses(&answers);
    assert_eq!(accepted, 0);
    assert!(
        checked <= 10,
        "at most 10 of 30 parallel attempts were checked: {checked}"
    );
    assert_eq!(checked + limited, 30, "the others were refused: {answers:?}");
    // Refused attempts count nothing; one at a time, the guesser gets the rest of the ten.
    let mut later = 0;
    while login_from(&app, "203.0.113.5", &form).await == Err(StatusCode::UNAUTHORIZED) {
        later += 1;
    }
    assert_eq!(checked + later, 10, "ten wrong passwords checked in all");
    let right = [("email", "marche@pharmacie.fr"), ("password", PASSWORD)];
    assert_eq!(
        login_from(&app, "192.0.2.1", &right).await,
        Err(StatusCode::TOO_MANY_REQUESTS),
        "the account is limited, even for the right password"
    );
}

async fn login_from(app: &TestApp, ip: &str, form: &[(&str, &str)]) -> Result<SessionStage, StatusCode> {
    let mut visitor = app.visitor();
    visitor.ip = address(ip);
    visitor.call::<Login, SessionStage>(form).await.map_err(|r| r.status)
}

/// A pharmacy whose admin has a second factor; its TOTP enrolment.
async fn with_second_factor(app: &TestApp) -> TotpEnrolment {
    let mut admin = register(app, "Pharmacie du Port", "port@pharmacie.fr").await;
    let (enrolment, _) = enrol(app, &mut admin).await;
    enrolment
}

async fn user_id(visitor: &mut Visitor<'_>) -> String {
    let session: Option<Session> = visitor.call::<CurrentSession, _>(&[]).await.expect("answers");
    session.expect("signed in").user.id
}

/// A member of staff created by `admin` with `role`, past the temporary password.
async fn colleague<'a>(app: &'a TestApp, admin: &mut Visitor<'_>, email: &str, role: &str) -> Visitor<'a> {
    let form = [("email", email), ("full_name", "Dominique Petit"), ("role", role)];
    let account: NewStaffAccount = admin.call::<CreateStaff, _>(&form).await.expect("created");
    let (mut visitor, _) = login(app, email, &account.temporary_password).await;
    let form = [
        ("current_password", account.temporary_password.as_str()),
        ("new_password", NEW_PASSWORD),
    ];
    visitor
        .call::<ChangePassword, SessionStage>(&form)
        .await
        .expect("changed");
    visitor
}

/// Logs in with the right password from `ip`, reaching the second-factor step.
async fn password_step<'a>(app: &'a TestApp, ip: &str) -> Visitor<'a> {
    let mut visitor = app.visitor();
    visitor.ip = address(ip);
    let stage = visitor
        .call::<Login, SessionStage>(&[("email", "port@pharmacie.fr"), ("password", PASSWORD)])
        .await;
    assert_eq!(stage, Ok(SessionStage::SecondFactor), "from {ip}");
    visitor
}

async fn a_right_password_never_clears_second_factor_failures(backend: Backend) {
    let app = spawn_app_on(backend, &[("LOGIN_MAX_FAILURES", "3")]).await;
    let enrolment = with_second_factor(&app).await;
    // Someone who knows the password guesses codes, each time from a new address.
    for n in 0..3 {
        let mut guesser = password_step(&app, &format!("198.51.100.{n}")).await;
        let guess = guesser
            .call::<VerifySecondFactor, SessionStage>(&[("code", "000000")])
            .await;
        assert_eq!(guess.map_err(|r| r.status), Err(StatusCode::BAD_REQUEST));
    }
    let mut guesser = password_step(&app, "198.51.100.9").await;
    let right_code = totp_code(&app, &enrolment, 0);
    let limited = guesser
        .call::<VerifySecondFactor, SessionStage>(&[("code", &right_code)])
        .await;
    assert_eq!(
        limited.map_err(|r| r.status),
        Err(StatusCode::TOO_MANY_REQUESTS),
        "three wrong codes limit the account's second factor, whatever the address"
    );
    app.state.clock.advance(15 * 60 + 30);
    let mut owner = password_step(&app, "192.0.2.1").await;
    let code = totp_code(&app, &enrolment, 0);
    assert_eq!(
        owner.call::<VerifySecondFactor, SessionStage>(&[("code", &code)]).await,
        Ok(SessionStage::Active),
        "released after the window"
    );
}

async fn a_burst_of_second_factor_codes_counts_every_attempt(backend: Backend) {
    let app = spawn_app_on(backend, &[("LOGIN_MAX_FAILURES", "5")]).await;
    with_second_factor(&app).await;
    let step = password_step(&app, "203.0.113.7").await;
    let cookie = step.cookie.clone();
    let answers =
        burst::<VerifySecondFactor, SessionStage>(&app, 20, "203.0.113.7", &[("code", "123456")], cookie.as_deref())
            .await;
    let (accepted, checked, limited) = statuses(&answers);
    assert_eq!(accepted, 0);
    assert!(checked <= 5, "at most 5 of 20 parallel codes were checked: {checked}");
    assert_eq!(checked + limited, 20, "{answers:?}");
}

async fn ipv6_clients_count_by_their_64_network(backend: Backend) {
    let app = spawn_app_on(backend, &[("LOGIN_MAX_FAILURES", "3")]).await;
    let wrong = |email: &'static str| [("email", email), ("password", "mauvais")];
    for n in 1..=3 {
        let answer = login_from(&app, &format!("2001:db8:7:8::{n}"), &wrong("essai@pharmacie.fr")).await;
        assert_eq!(answer, Err(StatusCode::UNAUTHORIZED));
    }
    let same_network = login_from(&app, "2001:db8:7:8:ffff:1:2:3", &wrong("autre@pharmacie.fr")).await;
    assert_eq!(same_network, Err(StatusCode::TOO_MANY_REQUESTS));
    let next_network = login_from(&app, "2001:db8:7:9::1", &wrong("autre@pharmacie.fr")).await;
    assert_eq!(next_network, Err(StatusCode::UNAUTHORIZED));
}

async fn an_ipv6_site_guesses_codes_as_ten_addresses_at_most(backend: Backend) {
    let app = spawn_app_on(backend, &[("CODE_LOOKUPS_PER_MINUTE", "1")]).await;
    let guess = |ip: String| {
        let app = &app;
        async move {
            let mut guesser = app.visitor();
            guesser.ip = address(&ip);
            guesser
                .call::<OpenTransferCode, SendStatus>(&[("code", "ABCDEF")])
                .await
                .map_err(|r| r.status)
        }
    };
    // One /48 holds 65,536 /64s: each of them may look up one code a minute...
    for network in 0..10 {
        assert_eq!(
            guess(format!("2001:db8:5:{network:x}::1")).await,
            Err(StatusCode::BAD_REQUEST)
        );
    }
    // ...but the site as a whole ten.
    assert_eq!(
        guess("2001:db8:5:a::1".into()).await,
        Err(StatusCode::TOO_MANY_REQUESTS)
    );
    assert_eq!(
        guess("2001:db8:6:a::1".into()).await,
        Err(StatusCode::BAD_REQUEST),
        "another site"
    );
}

fn registration(email: &str) -> [(&'static str, String); 5] {
    [
        ("pharmacy_name", "Pharmacie de la Gare".to_owned()),
        ("address", String::new()),
        ("full_name", "Camille Martin".to_owned()),
        ("email", email.to_owned()),
        ("password", PASSWORD.to_owned()),
    ]
}

async fn register_from(app: &TestApp, ip: &str, email: &str) -> Result<SessionStage, Refused> {
    let mut visitor = app.visitor();
    visitor.ip = address(ip);
    let form = registration(email);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    visitor.call::<RegisterPharmacy, SessionStage>(&form).await
}

async fn registrations_are_limited_per_address_and_overall(backend: Backend) {
    let app = spawn_app_on(
        backend,
        &[
            ("REGISTRATIONS_PER_ADDRESS_PER_DAY", "2"),
            ("REGISTRATIONS_PER_HOUR", "5"),
        ],
    )
    .await;
    assert!(register_from(&app, "203.0.113.1", "a@gare.fr").await.is_ok());
    // Asking whether an email has an account costs a registration too.
    let taken = register_from(&app, "203.0.113.1", "a@gare.fr").await;
    assert_eq!(taken.map_err(|r| r.status), Err(StatusCode::BAD_REQUEST));
    let limited = register_from(&app, "203.0.113.1", "b@gare.fr").await;
    assert_eq!(limited.map_err(|r| r.status), Err(StatusCode::TOO_MANY_REQUESTS));

    // In parallel from many addresses: the hourly budget holds.
    let emails: Vec<String> = (0..10).map(|n| format!("p{n}@gare.fr")).collect();
    let answers = join_all(emails.iter().enumerate().map(|(n, email)| {
        let app = &app;
        async move { register_from(app, &format!("198.51.100.{n}"), email).await }
    }))
    .await;
    let accepted = answers.iter().filter(|a| a.is_ok()).count();
    assert!(accepted <= 3, "5 an hour, 2 already spent: {accepted} accepted");
    assert!(
        answers
            .iter()
            .all(|a| a.is_ok() || matches!(a, Err(r) if r.status == StatusCode::TOO_MANY_REQUESTS))
    );
}

async fn code_look_ups_in_parallel_and_on_two_instances_count_alike(backend: Backend) {
    let app = spawn_app_on(backend, &[("CODE_LOOKUPS_PER_MINUTE", "10")]).await;
    let answers = burst::<OpenTransferCode, SendStatus>(&app, 30, "203.0.113.20", &[("code", "ABCDEF")], None).await;
    let (_, checked, limited) = statuses(&answers);
    assert!(
        checked <= 10,
        "at most 10 of 30 parallel look-ups were checked: {checked}"
    );
    assert_eq!(checked + limited, 30);

    // A second instance on the same database sees the same counts: the rest of the ten.
    let other = app.restarted(&[("CODE_LOOKUPS_PER_MINUTE", "10")]).await;
    let mut later = 0;
    loop {
        let mut guesser = other.visitor();
        guesser.ip = address("203.0.113.20");
        match guesser
            .call::<OpenTransferCode, SendStatus>(&[("code", "ABCDEF")])
            .await
        {
            Err(refused) if refused.status == StatusCode::BAD_REQUEST => later += 1,
            Err(refused) => {
                assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
                break;
            }
            Ok(_) => panic!("no such code"),
        }
    }
    assert_eq!(checked + later, 10, "ten look-ups a minute across both instances");
}

/// A REST call from `ip`: its status, `Retry-After` and JSON body.
async fn rest(
    app: &TestApp,
    ip: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, String, Value) {
    let answer = crate::support::api_from(app, address(ip), method, path, token, body).await;
    let json = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    (answer.status, answer.header("retry-after").to_owned(), json)
}

async fn the_rest_api_limits_each_client_per_minute(backend: Backend) {
    let app = spawn_app_on(backend, &[("RATE_LIMIT_PER_MINUTE", "5")]).await;
    let answers = join_all((0..8).map(|_| rest(&app, "203.0.113.30", "GET", "/health", None, None))).await;
    let served = answers.iter().filter(|(s, _, _)| *s == StatusCode::OK).count();
    let limited = answers.len() - served;
    assert!(served <= 5 && limited >= 3, "{answers:?}");
    let mut later = 0;
    let refusal = loop {
        let answer = rest(&app, "203.0.113.30", "GET", "/health", None, None).await;
        if answer.0 != StatusCode::OK {
            break answer;
        }
        later += 1;
    };
    assert_eq!(served + later, 5, "five requests a minute");
    let (status, retry_after, body) = refusal;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        retry_after.parse::<u64>().is_ok_and(|s| (1..=60).contains(&s)),
        "{retry_after}"
    );
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("Trop de tentatives"))
    );
    let (other, _, _) = rest(&app, "203.0.113.31", "GET", "/health", None, None).await;
    assert_eq!(other, StatusCode::OK, "another client is not limited");
    app.state.clock.advance(61);
    let (later, _, _) = rest(&app, "203.0.113.30", "GET", "/health", None, None).await;
    assert_eq!(later, StatusCode::OK, "the next minute");
}

async fn a_required_second_factor_reaches_sessions_and_tokens_at_once(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let mut admin = register(&app, "Pharmacie du Lac", "lac@pharmacie.fr").await;
    let mut member = colleague(&app, &mut admin, "equipe@lac.fr", "Pharmacist").await;
    let login_body = json!({ "email": "equipe@lac.fr", "password": NEW_PASSWORD });
    let (status, _, tokens) = rest(&app, "192.0.2.40", "POST", "/auth/login", None, Some(login_body)).await;
    assert_eq!(status, StatusCode::OK);
    let access = tokens["access_token"].as_str().expect("access token").to_owned();
    let refresh = tokens["refresh_token"].as_str().expect("refresh token").to_owned();
    assert_eq!(
        rest(&app, "192.0.2.40", "GET", "/documents", Some(&access), None)
            .await
            .0,
        StatusCode::OK
    );

    enrol(&app, &mut admin).await;
    admin
        .call::<RequireSecondFactor, ()>(&[("required", "true")])
        .await
        .expect("required");

    let (status, _, body) = rest(&app, "192.0.2.40", "GET", "/documents", Some(&access), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("double authentification")),
        "{body}"
    );
    let (status, _, _) = rest(
        &app,
        "192.0.2.40",
        "POST",
        "/auth/refresh",
        None,
        Some(json!({ "refresh_token": refresh })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no new tokens either");
    let session: Option<Session> = member.call::<CurrentSession, _>(&[]).await.expect("answers");
    assert_eq!(
        session.expect("signed in").stage,
        SessionStage::EnrolSecondFactor,
        "the open browser session must set it up before anything else"
    );
    let sessions = member.call::<ListSessions, Vec<SessionInfo>>(&[]).await;
    assert_eq!(sessions.map_err(|r| r.status), Err(StatusCode::FORBIDDEN));
}

async fn rest_login_keeps_the_status_of_each_second_factor_outcome(backend: Backend) {
    let app = spawn_app_on(backend, &[("LOGIN_MAX_FAILURES", "2")]).await;
    with_second_factor(&app).await;
    let body = json!({ "email": "port@pharmacie.fr", "password": PASSWORD, "totp": "000000" });
    for _ in 0..2 {
        let (status, _, _) = rest(&app, "198.51.100.60", "POST", "/auth/login", None, Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "a wrong code");
    }
    let (status, retry_after, detail) = rest(&app, "198.51.100.61", "POST", "/auth/login", None, Some(body)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{detail}");
    assert!(retry_after.parse::<u64>().is_ok_and(|s| s > 60), "{retry_after}");
}

async fn parallel_demotions_always_leave_an_admin(backend: Backend) {
    let app = spawn_app_on(backend, &[]).await;
    let mut first = register(&app, "Pharmacie du Pont", "pont@pharmacie.fr").await;
    let mut second = colleague(&app, &mut first, "second@pont.fr", "Admin").await;
    let (first_id, second_id) = (user_id(&mut first).await, user_id(&mut second).await);
    for round in 0..10 {
        // Each demotes the other at the same instant.
        let demote_second = [("user_id", second_id.as_str()), ("role", "Pharmacist")];
        let demote_first = [("user_id", first_id.as_str()), ("role", "Pharmacist")];
        let (a, b) = futures_util::join!(
            first.call::<SetStaffRole, ()>(&demote_second),
            second.call::<SetStaffRole, ()>(&demote_first),
        );
        assert!(a.is_err() || b.is_err(), "round {round}: both demotions succeeded");
        let admins = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users WHERE role = 'admin' AND is_active = 1")
            .fetch_one(&app.state.db)
            .await
            .expect("count");
        assert_eq!(admins, 1, "round {round}");
        // The demoted one is promoted again by the remaining admin.
        let (admin, demoted) = if a.is_ok() {
            (&mut first, &second_id)
        } else {
            (&mut second, &first_id)
        };
        admin
            .call::<SetStaffRole, ()>(&[("user_id", demoted), ("role", "Admin")])
            .await
            .expect("promoted again");
    }
}

async fn a_full_hashing_queue_answers_503_at_once(backend: Backend) {
    let app = spawn_app_on(backend, &[("PASSWORD_HASH_QUEUE", "1"), ("LOGIN_MAX_FAILURES", "100")]).await;
    let form = [("email", "personne@pharmacie.fr"), ("password", "mauvais mot de passe")];
    let answers = burst::<Login, SessionStage>(&app, 12, "203.0.113.70", &form, None).await;
    let busy = answers
        .iter()
        .filter(
            |a| matches!(a, Err(r) if r.status == StatusCode::SERVICE_UNAVAILABLE && r.error == AppError::Unavailable),
        )
        .count();
    assert!(busy > 0, "some were turned away at once: {answers:?}");
    let (_, checked, _) = statuses(&answers);
    assert_eq!(checked + busy, 12);
    // Turned away unchecked, they are no failures of the account.
    let failures: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rate_limit_hits WHERE scope = 'login-password'")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(failures, i64::try_from(checked).expect("small"));
}

async fn new_pharmacies_can_require_the_second_factor_from_the_start(backend: Backend) {
    let app = spawn_app_on(backend, &[("NEW_PHARMACIES_REQUIRE_SECOND_FACTOR", "true")]).await;
    let stage = register_from(&app, "192.0.2.80", "neuve@pharmacie.fr").await;
    assert_eq!(stage, Ok(SessionStage::EnrolSecondFactor));
}

#[tokio::test]
async fn malformed_server_function_arguments_answer_400_in_the_users_words() {
    let app = crate::support::spawn_app(&[]).await;
    let request = Request::post(Login::PATH)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", app.state.settings.public_url.as_str())
        .body(Body::from("email=a%40b.fr"))
        .expect("request");
    let answer = app.send(request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    let error: AppError = serde_json::from_str(&answer.body).expect("an application error");
    assert_eq!(error, AppError::BadRequest);
    assert_eq!(
        error.message(santhium::i18n::Lang::Fr),
        "La requête est mal formée. Rechargez la page et réessayez."
    );
}

#[tokio::test]
async fn the_client_address_is_believed_from_trusted_proxies_only() {
    let app = crate::support::spawn_app(&[("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")]).await;
    register(&app, "Pharmacie du Quai", "quai@pharmacie.fr").await;
    let address_seen = |peer: &str, forwarded_for: &str| {
        let app = &app;
        let (peer, forwarded_for) = (peer.to_owned(), forwarded_for.to_owned());
        async move {
            let mut visitor = app.visitor();
            visitor.ip = address(&peer);
            visitor.forwarded_for = Some(forwarded_for);
            visitor
                .call::<Login, SessionStage>(&[("email", "quai@pharmacie.fr"), ("password", PASSWORD)])
                .await
                .expect("signed in");
            let sessions = visitor
                .call::<ListSessions, Vec<SessionInfo>>(&[])
                .await
                .expect("listed");
            sessions.into_iter().find(|s| s.current).and_then(|s| s.ip)
        }
    };
    assert_eq!(
        address_seen("127.0.0.1", "203.0.113.50").await.as_deref(),
        Some("203.0.113.50"),
        "from the proxy, the client it names"
    );
    assert_eq!(
        address_seen("10.1.2.3", "6.6.6.6, 203.0.113.51, 127.0.0.1")
            .await
            .as_deref(),
        Some("203.0.113.51"),
        "the right-most address that is not a trusted proxy; what the client wrote before it is ignored"
    );
    assert_eq!(
        address_seen("198.51.100.9", "203.0.113.52").await.as_deref(),
        Some("198.51.100.9"),
        "a forged header from anyone else is ignored"
    );
    let untrusting = crate::support::spawn_app(&[]).await;
    register(&untrusting, "Pharmacie du Quai", "quai@pharmacie.fr").await;
    let mut visitor = untrusting.visitor();
    visitor.ip = address("127.0.0.1");
    visitor.forwarded_for = Some("203.0.113.53".into());
    visitor
        .call::<Login, SessionStage>(&[("email", "quai@pharmacie.fr"), ("password", PASSWORD)])
        .await
        .expect("signed in");
    let sessions = visitor
        .call::<ListSessions, Vec<SessionInfo>>(&[])
        .await
        .expect("listed");
    assert_eq!(
        sessions.into_iter().find(|s| s.current).and_then(|s| s.ip).as_deref(),
        Some("127.0.0.1"),
        "without TRUSTED_PROXIES, the TCP peer is the client"
    );
}

async fn a_thousand_guessing_addresses_lock_out_no_patient(backend: Backend) {
    let app = spawn_app_on(
        backend,
        &[
            ("CODE_FAILED_LOOKUPS_PER_HOUR", "500"),
            ("CODE_PROOF_OF_WORK_BITS", "10"),
        ],
    )
    .await;
    let (_staff, code) = crate::uploads::new_code(&app, "3").await;
    // 1,000 addresses guess one code each, 50 at a time: the hourly budget is spent.
    for batch in 0..20 {
        let mut guessers: Vec<Visitor<'_>> = (0..50)
            .map(|n| {
                let mut guesser = app.visitor();
                guesser.ip = address(&format!("10.{batch}.{n}.1"));
                guesser
            })
            .collect();
        join_all(
            guessers
                .iter_mut()
                .map(|g| g.call::<OpenTransferCode, SendStatus>(&[("code", "ZZZZZZ")])),
        )
        .await;
    }

    // The patient with the QR code gets through at once.
    let link = code
        .upload_url
        .strip_prefix(&app.state.settings.public_url)
        .expect("on this site");
    let scanned = app.get(link).await;
    assert_eq!(scanned.header("location"), "/send", "the QR link opens");

    // The patient who types the code is asked for a little work, done by the page.
    let mut patient = app.visitor();
    patient.ip = address("198.51.100.200");
    let form = [("code", code.code.as_str())];
    let refused = patient
        .call::<OpenTransferCode, SendStatus>(&form)
        .await
        .expect_err("the budget is spent");
    let AppError::ProofOfWorkRequired { challenge, bits } = refused.error else {
        panic!("{refused:?}")
    };
    assert_eq!((refused.status, bits), (StatusCode::TOO_MANY_REQUESTS, 10));
    let counter = santhium::proof_of_work::search(&challenge, bits, 0..u64::MAX).expect("a solution");
    let proof = santhium::proof_of_work::proof(&challenge, counter);
    let wrong = santhium::proof_of_work::proof(&challenge, counter + 1);
    let with = |proof: &str| [("code", code.code.clone()), ("proof", proof.to_owned())];
    let answer = |form: [(&'static str, String); 2]| {
        let mut visitor = app.visitor();
        visitor.ip = address("198.51.100.200");
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            visitor.call::<OpenTransferCode, SendStatus>(&form).await
        }
    };
    if !santhium::proof_of_work::solves(&challenge, counter + 1, bits) {
        let refused = answer(with(&wrong)).await.expect_err("not a solution");
        assert!(matches!(refused.error, AppError::ProofOfWorkRequired { .. }));
    }
    let opened = answer(with(&proof)).await.expect("the typed code opens with its proof");
    assert_eq!(opened.remaining, 3, "opening takes no use");
    let replayed = answer(with(&proof)).await.expect_err("a proof works once");
    assert!(matches!(replayed.error, AppError::ProofOfWorkRequired { .. }));

    // An integrator's client gets the same challenge as JSON, and answers it alike.
    let validate = format!("/codes/validate?code={}", code.code);
    let (status, _, refusal) = rest(&app, "198.51.100.201", "POST", &validate, None, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{refusal}");
    let proof = solved(&refusal);
    let with_proof = format!("{validate}&proof={proof}");
    let (status, _, valid) = rest(&app, "198.51.100.201", "POST", &with_proof, None, None).await;
    assert_eq!(
        (status, valid["valid"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{valid}"
    );
    let (status, _, replayed) = rest(&app, "198.51.100.201", "POST", &with_proof, None, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "a proof works once: {replayed}");

    let pdf = crate::uploads::prescription();
    let refused = crate::api::upload(&app, None, &code.code, "ordonnance.pdf", &pdf).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.body);
    let proof = solved(&refused.json());
    let sent = crate::api::upload(&app, Some(&proof), &code.code, "ordonnance.pdf", &pdf).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert_eq!(sent.json()["original_filename"], "ordonnance.pdf");
}

/// The proof answering a REST refusal's challenge, found as an integrator would.
fn solved(refusal: &Value) -> String {
    let challenge = refusal["challenge"].as_str().expect("a challenge");
    assert!(refusal["detail"].is_string(), "{refusal}");
    let bits = refusal["bits"]
        .as_u64()
        .and_then(|b| u8::try_from(b).ok())
        .expect("bits");
    let counter = santhium::proof_of_work::search(challenge, bits, 0..u64::MAX).expect("a solution");
    santhium::proof_of_work::proof(challenge, counter)
}
