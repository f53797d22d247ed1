//! Signing in with Pro Santé Connect, against the fake provider of
//! `tests/fixtures/fake_psc.rs` on a real port: the browser's round trip (the server's
//! routes, the provider's sign-in page, back), on SQLite and PostgreSQL.

use crate::accounts::{NEW_PASSWORD, PASSWORD, enrol, login, pharmacist, register, totp_code};
use crate::fake_psc::{self, DOCTOR, FakePsc, PHARMACIST, Professional, SECOND_PHARMACIST, Spoil};
use crate::on_both_databases;
use crate::support::{TestApp, TestResponse, Visitor, invalid, spawn_app_on};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use leptos::server_fn::ServerFn;
use santhium::api::account::{BeginPscLink, UnlinkProSanteConnect};
use santhium::api::auth::{AcceptPscInvitation, CurrentSession, Logout, PscInvitations, VerifySecondFactor};
use santhium::api::staff::{CreateStaff, RequireSecondFactor, SetStaffActive, UnlinkStaffRpps};
use santhium::error::AppError;
use santhium::i18n::Text;
use santhium::model::session::{PSC_LOGIN_PATH, PscInvitation, Session, SessionStage};
use santhium::model::staff::NewStaffAccount;
use santhium::server::config::Backend;
use santhium::server::repo::{audit, users};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The application with a PSC client registered at `psc`, and extra settings.
async fn app_with(backend: Backend, psc: &FakePsc, vars: &[(&str, &str)]) -> TestApp {
    let settings = [
        ("OIDC_ISSUER", psc.issuer.as_str()),
        ("OIDC_CLIENT_ID", fake_psc::CLIENT_ID),
        ("OIDC_CLIENT_SECRET", fake_psc::CLIENT_SECRET),
    ];
    spawn_app_on(backend, &[&settings[..], vars].concat()).await
}

async fn fake_provider() -> FakePsc {
    fake_psc::start(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0)).await
}

/// A browser: its cookies for the site, its address, and its way to the provider.
struct Browser<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
    ip: IpAddr,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp, ip: [u8; 4]) -> Browser<'a> {
        Browser {
            app,
            cookies: BTreeMap::new(),
            ip: IpAddr::from(ip),
        }
    }

    /// A browser carrying `visitor`'s session.
    fn of(app: &'a TestApp, visitor: &Visitor<'_>, ip: [u8; 4]) -> Browser<'a> {
        let mut browser = Browser::new(app, ip);
        if let Some((name, value)) = visitor.cookie.as_deref().and_then(|c| c.split_once('=')) {
            browser.cookies.insert(name.into(), value.into());
        }
        browser
    }

    /// A request to the site from this browser (same-origin, as its own pages send),
    /// its cookies kept as a browser keeps them.
    async fn send(&mut self, method: &str, uri: &str, form: &[(&str, &str)]) -> TestResponse {
        let cookie: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("cookie", cookie.join("; "))
            .header("origin", self.app.state.settings.public_url.as_str())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(self.ip, 40000)));
        let response = self.app.send(request).await;
        for set in response.headers.get_all("set-cookie") {
            let pair = set.to_str().expect("cookie").split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').expect("name=value");
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.into(), value.into());
            }
        }
        response
    }

    async fn get(&mut self, uri: &str) -> TestResponse {
        self.send("GET", uri, &[]).await
    }

    /// The server's session, as its pages see it.
    async fn session(&self) -> Option<Session> {
        self.visitor()
            .call::<CurrentSession, _>(&[])
            .await
            .expect("the session answers")
    }

    /// A visitor calling server functions with this browser's session.
    fn visitor(&self) -> Visitor<'a> {
        let mut visitor = self.app.visitor();
        visitor.cookie = self
            .cookies
            .get("santhium_session")
            .map(|token| format!("santhium_session={token}"));
        visitor.ip = Some(self.ip);
        visitor
    }

    /// The login page's button, through the provider as `professional`: the callback's
    /// answer.
    async fn psc_login(&mut self, professional: Professional) -> TestResponse {
        let begun = self.get(PSC_LOGIN_PATH).await;
        assert_eq!(begun.status, StatusCode::SEE_OTHER, "{}", begun.body);
        let callback = at_provider(begun.header("location"), professional).await;
        self.get(&callback).await
    }

    /// Where the account page's link button sends the browser, or why not.
    async fn begin_link(&mut self) -> Result<String, AppError> {
        let answer = self.send("POST", BeginPscLink::PATH, &[]).await;
        answered(&answer)
    }

    /// The account page's link button, through the provider as `professional`.
    async fn psc_link(&mut self, professional: Professional) -> TestResponse {
        let provider = self.begin_link().await.expect("the provider's address");
        let callback = at_provider(&provider, professional).await;
        self.get(&callback).await
    }

    /// The invitations waiting after a PSC login with no linked account.
    async fn invitations(&mut self) -> Result<Vec<PscInvitation>, AppError> {
        let answer = self.send("POST", PscInvitations::PATH, &[]).await;
        answered(&answer)
    }

    /// Accepts the invitation of account `user_id`: the stage of the session it opens.
    async fn accept(&mut self, user_id: &str) -> Result<SessionStage, AppError> {
        let answer = self
            .send("POST", AcceptPscInvitation::PATH, &[("user_id", user_id)])
            .await;
        answered(&answer)
    }
}

/// A server function's value, or its error.
fn answered<T: serde::de::DeserializeOwned>(answer: &TestResponse) -> Result<T, AppError> {
    if answer.status == StatusCode::OK {
        Ok(serde_json::from_str(&answer.body).expect("a value"))
    } else {
        Err(serde_json::from_str(&answer.body).expect("an error"))
    }
}

/// Signs in at the provider's page (the authorization request as the server built it)
/// as `professional`; the address the provider sends the browser back to, on the site.
async fn at_provider(authorization: &str, professional: Professional) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = http.get(authorization).send().await.expect("the provider's page");
    assert_eq!(page.status(), 200, "{}", page.text().await.unwrap_or_default());
    let url = url::Url::parse(authorization).expect("an address");
    let query: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    let mut form: Vec<(&str, &str)> = ["redirect_uri", "state", "nonce", "code_challenge"]
        .iter()
        .map(|name| (*name, query.get(*name).map(String::as_str).unwrap_or_default()))
        .collect();
    form.push(("rpps", professional.rpps));
    let signed_in = http.post(url.as_str()).form(&form).send().await.expect("signed in");
    assert_eq!(signed_in.status(), 303);
    let back = url::Url::parse(
        signed_in
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("back"),
    )
    .expect("an address");
    format!("{}?{}", back.path(), back.query().unwrap_or_default())
}

/// The pharmacy's audit trail, oldest first, as `(action, object)`.
async fn trail(app: &TestApp, pharmacy_id: &str) -> Vec<(String, Option<String>)> {
    let events = audit::page_before(
        &app.state.db,
        pharmacy_id,
        i64::MAX,
        &audit::EventFilter::default(),
        200,
    )
    .await
    .expect("audit");
    events.into_iter().rev().map(|e| (e.action, e.object_id)).collect()
}

/// `admin`'s pharmacy, and a new pharmacist invited with their RPPS number.
async fn invite(admin: &mut Visitor<'_>, email: &str, rpps: &str) -> Result<NewStaffAccount, crate::support::Refused> {
    let form = [
        ("email", email),
        ("full_name", "Camille Martin"),
        ("role", "Pharmacist"),
        ("rpps", rpps),
    ];
    admin.call::<CreateStaff, _>(&form).await
}

async fn user_by_email(app: &TestApp, email: &str) -> users::User {
    users::find_by_email(&app.state.db, email)
        .await
        .expect("query")
        .expect("user")
}

fn landed(response: &TestResponse) -> &str {
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    response.header("location")
}

on_both_databases!(
    an_invited_pharmacist_signs_in_with_psc_without_password_or_second_factor,
    answers_that_do_not_hold_are_refused,
    the_login_limits_count_the_provider_answers_concurrently,
    unknown_professionals_other_professions_and_disabled_accounts_are_refused,
    staff_link_their_own_account_after_a_second_factor_login_and_unlink_it,
);

async fn an_invited_pharmacist_signs_in_with_psc_without_password_or_second_factor(backend: Backend) {
    let psc = fake_provider().await;
    let app = app_with(backend, &psc, &[]).await;
    let page = app.get("/login").await.body;
    assert!(
        page.contains(r#"href="/auth/psc/login""#) && page.contains("Pro Santé Connect"),
        "the login page shows the button"
    );
    let mut admin = register(&app, "Pharmacie du Port", "port@pharmacie.fr").await;
    enrol(&app, &mut admin).await;
    admin
        .call::<RequireSecondFactor, ()>(&[("required", "true")])
        .await
        .expect("the pharmacy requires a second factor");
    assert_eq!(
        invite(&mut admin, "camille@port.fr", "1000123456").await.map(|_| ()),
        Err(invalid("rpps", Text::RppsInvalid))
    );
    let invitation = invite(&mut admin, "camille@port.fr", PHARMACIST.rpps)
        .await
        .expect("invited by RPPS number");
    let user = user_by_email(&app, "camille@port.fr").await;

    // Signed in with PSC, the professional is shown the invitation and accepts it; then
    // no second factor is owed, and the temporary password the admin saw is void.
    let mut browser = Browser::new(&app, [10, 0, 0, 1]);
    let answer = browser.psc_login(PHARMACIST).await;
    assert_eq!(landed(&answer), "/login/invitations");
    assert!(
        !browser.cookies.contains_key("santhium_psc"),
        "the login's cookie is gone"
    );
    assert!(browser.session().await.is_none(), "nothing is open before accepting");
    let waiting = browser.invitations().await.expect("invitations");
    assert_eq!(
        waiting,
        [PscInvitation {
            user_id: user.id.clone(),
            full_name: "Camille Martin".into(),
            pharmacy_name: "Pharmacie du Port".into(),
        }]
    );
    assert_eq!(browser.accept(&user.id).await, Ok(SessionStage::Active));
    assert!(!browser.cookies.contains_key("santhium_psc_invitation"), "spent");
    assert_eq!(
        login(&app, "camille@port.fr", &invitation.temporary_password)
            .await
            .1
            .map_err(|r| r.error),
        Err(AppError::InvalidCredentials),
        "the temporary password no longer opens the account"
    );
    let session = browser.session().await.expect("signed in");
    assert_eq!(session.user.email, "camille@port.fr");
    assert_eq!(session.user.pharmacy_name, "Pharmacie du Port");
    assert_eq!(
        session.stage,
        SessionStage::Active,
        "no second factor to set up, though the pharmacy requires one"
    );
    assert!(!session.user.second_factor_enabled);
    assert_eq!(session.user.rpps.as_deref(), Some(PHARMACIST.rpps));

    let asked = psc
        .knobs()
        .authorizations
        .last()
        .cloned()
        .expect("an authorization request");
    let asked: BTreeMap<String, String> = url::form_urlencoded::parse(asked.as_bytes()).into_owned().collect();
    assert_eq!(asked["scope"], "openid scope_all");
    assert_eq!(asked["acr_values"], "eidas1");
    assert_eq!(asked["code_challenge_method"], "S256");
    assert_eq!(asked["redirect_uri"], "http://127.0.0.1:3000/auth/psc/callback");

    // The userinfo as a signed JWT does as well, and every login gets a new session.
    psc.knobs().userinfo_as_jwt = true;
    let first = browser.cookies["santhium_session"].clone();
    assert_eq!(landed(&browser.psc_login(PHARMACIST).await), "/dashboard");
    assert_ne!(browser.cookies["santhium_session"], first);

    // Logging out ends the provider's session too.
    let provider = browser
        .visitor()
        .call::<Logout, Option<String>>(&[])
        .await
        .expect("logged out")
        .expect("the provider's end-session address");
    assert!(provider.starts_with(&format!("{}/protocol/openid-connect/logout?", psc.issuer)));
    let logout: BTreeMap<String, String> = url::Url::parse(&provider)
        .expect("address")
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(logout["client_id"], fake_psc::CLIENT_ID);
    assert_eq!(logout["post_logout_redirect_uri"], "http://127.0.0.1:3000/login");
    assert_eq!(browser.session().await, None);

    let user = user_by_email(&app, "camille@port.fr").await;
    let actions: Vec<(String, Option<String>)> = trail(&app, &user.pharmacy_id)
        .await
        .into_iter()
        .filter(|(action, _)| action.contains("psc") || action == "logout")
        .collect();
    assert_eq!(
        actions,
        [
            ("psc_linked".to_owned(), Some(user.id.clone())),
            ("login_psc".to_owned(), None),
            ("login_psc".to_owned(), None),
            ("logout".to_owned(), None),
        ]
    );
}

async fn answers_that_do_not_hold_are_refused(backend: Backend) {
    let psc = fake_provider().await;
    let app = app_with(backend, &psc, &[("LOGIN_MAX_FAILURES", "50")]).await;
    let mut admin = register(&app, "Pharmacie du Quai", "quai@pharmacie.fr").await;
    invite(&mut admin, "camille@quai.fr", PHARMACIST.rpps)
        .await
        .expect("invited");
    let mut browser = Browser::new(&app, [10, 0, 0, 2]);
    for spoil in [
        Spoil::Signature,
        Spoil::Key,
        Spoil::Expired,
        Spoil::Audience,
        Spoil::Nonce,
        Spoil::Level,
    ] {
        psc.knobs().spoil = spoil;
        let answer = browser.psc_login(PHARMACIST).await;
        assert_eq!(landed(&answer), "/login?psc=failed", "{spoil:?}");
        assert!(!browser.cookies.contains_key("santhium_session"), "{spoil:?}");
    }
    psc.knobs().spoil = Spoil::Nothing;

    // Another browser's state: a login begun elsewhere cannot be finished here.
    let begun = browser.get(PSC_LOGIN_PATH).await;
    let callback = at_provider(begun.header("location"), PHARMACIST).await;
    let mut other = Browser::new(&app, [10, 0, 0, 3]);
    other.get(PSC_LOGIN_PATH).await;
    assert_eq!(landed(&other.get(&callback).await), "/login?psc=failed");
    assert!(other.session().await.is_none());
    // No login begun at all.
    let mut stranger = Browser::new(&app, [10, 0, 0, 4]);
    assert_eq!(landed(&stranger.get(&callback).await), "/login?psc=abandoned");
    // Cancelled at the provider.
    browser.get(PSC_LOGIN_PATH).await;
    assert_eq!(
        landed(&browser.get("/auth/psc/callback?error=access_denied&state=x").await),
        "/login?psc=abandoned"
    );

    // A wrong state alone is refused before the code is traded; the code is traded
    // once: the same answer replayed with the same cookie fails.
    let begun = browser.get(PSC_LOGIN_PATH).await;
    let pending = browser.cookies["santhium_psc"].clone();
    let callback = at_provider(begun.header("location"), PHARMACIST).await;
    let (path, query) = callback.split_once('?').expect("a query");
    let forged_state: Vec<&str> = query
        .split('&')
        .map(|pair| {
            if pair.starts_with("state=") {
                "state=forged"
            } else {
                pair
            }
        })
        .collect();
    let forged = format!("{path}?{}", forged_state.join("&"));
    assert_eq!(landed(&browser.get(&forged).await), "/login?psc=failed");
    browser.cookies.insert("santhium_psc".into(), pending.clone());
    assert_eq!(landed(&browser.get(&callback).await), "/login/invitations");
    browser.cookies.insert("santhium_psc".into(), pending);
    browser.cookies.remove("santhium_session");
    assert_eq!(landed(&browser.get(&callback).await), "/login?psc=failed");
    assert!(!browser.cookies.contains_key("santhium_session"));

    let pharmacy = user_by_email(&app, "camille@quai.fr").await.pharmacy_id;
    let failures = trail(&app, &pharmacy)
        .await
        .into_iter()
        .filter(|(action, _)| action == "login_failed")
        .count();
    // The spoiled tokens, the forged states and the replay name no account, so they are
    // in no pharmacy's trail; only the refusals of a known account are.
    assert_eq!(failures, 0);
    let everywhere: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'login_failed'")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(
        everywhere, 9,
        "six spoiled tokens, another browser's state, a forged state, a replayed code"
    );
}

async fn the_login_limits_count_the_provider_answers_concurrently(backend: Backend) {
    let psc = fake_provider().await;
    let app = app_with(backend, &psc, &[("LOGIN_MAX_FAILURES", "3")]).await;
    let mut admin = register(&app, "Pharmacie du Pont", "pont@pharmacie.fr").await;
    invite(&mut admin, "camille@pont.fr", PHARMACIST.rpps)
        .await
        .expect("invited");

    // Ten forged answers at once from one address: at most three are examined, the rest
    // refused before anything is checked.
    let attacker = Browser::new(&app, [10, 0, 1, 1]);
    let forged = (0..10).map(|n| {
        let mut attacker = Browser {
            app: &app,
            cookies: attacker.cookies.clone(),
            ip: attacker.ip,
        };
        async move {
            attacker
                .get(&format!("/auth/psc/callback?code=guess{n}&state=guess{n}"))
                .await
                .header("location")
                .to_owned()
        }
    });
    let landings = futures::future::join_all(forged).await;
    let examined = landings.iter().filter(|l| *l == "/login?psc=abandoned").count();
    let limited = landings.iter().filter(|l| *l == "/login?psc=limited").count();
    assert_eq!(examined + limited, 10, "{landings:?}");
    assert!(examined <= 3, "at most three examined: {landings:?}");
    // Parallel hits may refuse one another; one at a time, the places left are taken.
    let mut attacker = Browser::new(&app, [10, 0, 1, 1]);
    for _ in examined..3 {
        assert_eq!(
            landed(&attacker.get("/auth/psc/callback?code=x&state=y").await),
            "/login?psc=abandoned"
        );
    }
    assert_eq!(
        landed(&attacker.get("/auth/psc/callback?code=x&state=y").await),
        "/login?psc=limited"
    );

    // Even a genuine login from that address waits; another address signs in.
    let mut same_address = Browser::new(&app, [10, 0, 1, 1]);
    assert_eq!(landed(&same_address.psc_login(PHARMACIST).await), "/login?psc=limited");
    let mut elsewhere = Browser::new(&app, [10, 0, 1, 2]);
    assert_eq!(landed(&elsewhere.psc_login(PHARMACIST).await), "/login/invitations");
}

async fn unknown_professionals_other_professions_and_disabled_accounts_are_refused(backend: Backend) {
    let psc = fake_provider().await;
    let app = app_with(backend, &psc, &[]).await;
    let mut admin = register(&app, "Pharmacie des Halles", "halles@pharmacie.fr").await;
    let users_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    let mut browser = Browser::new(&app, [10, 0, 2, 1]);
    assert_eq!(
        landed(&browser.psc_login(SECOND_PHARMACIST).await),
        "/login?psc=unknown_account"
    );
    let users_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(users_after, users_before, "no account is created");

    invite(&mut admin, "jeanne@halles.fr", DOCTOR.rpps)
        .await
        .expect("invited");
    assert_eq!(landed(&browser.psc_login(DOCTOR).await), "/login?psc=profession");

    // RPPS numbers are public: another pharmacy invites this pharmacist's number too. The
    // professional, signed in with PSC, sees both invitations and joins only their own.
    invite(&mut admin, "camille@halles.fr", PHARMACIST.rpps)
        .await
        .expect("invited");
    let mut other_admin = register(&app, "Pharmacie d'Ailleurs", "ailleurs@pharmacie.fr").await;
    invite(&mut other_admin, "usurpe@ailleurs.fr", PHARMACIST.rpps)
        .await
        .expect("invited");
    let user = user_by_email(&app, "camille@halles.fr").await;
    let usurper = user_by_email(&app, "usurpe@ailleurs.fr").await;
    assert_eq!(landed(&browser.psc_login(PHARMACIST).await), "/login/invitations");
    let pharmacies: Vec<String> = browser
        .invitations()
        .await
        .expect("invitations")
        .into_iter()
        .map(|invitation| invitation.pharmacy_name)
        .collect();
    assert_eq!(pharmacies, ["Pharmacie des Halles", "Pharmacie d'Ailleurs"]);
    let jeanne = user_by_email(&app, "jeanne@halles.fr").await;
    assert_eq!(browser.accept(&jeanne.id).await, Err(AppError::NotFound), "not theirs");
    assert_eq!(browser.accept(&user.id).await, Ok(SessionStage::Active));
    assert_eq!(
        browser.accept(&usurper.id).await,
        Err(AppError::Unauthorized),
        "one invitation per PSC login"
    );
    assert_eq!(landed(&browser.psc_login(PHARMACIST).await), "/dashboard");
    assert_eq!(
        browser.session().await.expect("signed in").user.pharmacy_name,
        "Pharmacie des Halles",
        "linked now, PSC leads to their pharmacy only"
    );

    admin
        .call::<SetStaffActive, ()>(&[("user_id", &user.id), ("active", "false")])
        .await
        .expect("disabled");
    assert_eq!(browser.session().await, None, "the session ends with the account");
    assert_eq!(landed(&browser.psc_login(PHARMACIST).await), "/login?psc=disabled");
    assert!(browser.session().await.is_none());

    let failed: Vec<_> = trail(&app, &user.pharmacy_id)
        .await
        .into_iter()
        .filter(|(action, _)| action == "login_failed")
        .collect();
    assert_eq!(failed.len(), 1, "the disabled account: {failed:?}");

    // An admin cannot touch another pharmacy's staff.
    let elsewhere = other_admin.call::<UnlinkStaffRpps, ()>(&[("user_id", &user.id)]).await;
    assert_eq!(elsewhere.map_err(|r| r.error), Err(AppError::NotFound));

    // Without OIDC settings there is no button and no way in.
    let plain = spawn_app_on(backend, &[]).await;
    assert!(!plain.get("/login").await.body.contains("/auth/psc/login"), "no button");
    let mut browser = Browser::new(&plain, [10, 0, 2, 2]);
    assert_eq!(landed(&browser.get(PSC_LOGIN_PATH).await), "/login?psc=failed");
}

async fn staff_link_their_own_account_after_a_second_factor_login_and_unlink_it(backend: Backend) {
    let psc = fake_provider().await;
    let app = app_with(backend, &psc, &[]).await;
    let mut admin = register(&app, "Pharmacie du Marché", "marche@pharmacie.fr").await;
    let member = pharmacist(&app, &mut admin, "louis@marche.fr").await;

    // A password alone cannot link: the page offers no link, and the server begins none.
    let mut browser = Browser::of(&app, &member, [10, 0, 3, 1]);
    assert!(!browser.session().await.expect("signed in").may_link_psc);
    assert_eq!(browser.begin_link().await, Err(AppError::Forbidden));
    assert!(psc.knobs().authorizations.is_empty(), "never sent to the provider");

    // Setting up the second factor in this session is not signing in with it.
    let mut member = member;
    let (enrolment, _) = enrol(&app, &mut member).await;
    let browser = Browser::of(&app, &member, [10, 0, 3, 1]);
    assert!(!browser.session().await.expect("signed in").may_link_psc);

    // Someone invited this professional's number elsewhere first: an invitation claims
    // nothing until the professional accepts it.
    let mut stranger = register(&app, "Pharmacie d'Ailleurs", "ailleurs@pharmacie.fr").await;
    invite(&mut stranger, "usurpe@ailleurs.fr", SECOND_PHARMACIST.rpps)
        .await
        .expect("invited");

    // Signed in with password and code, the link goes through.
    let (mut member, stage) = login(&app, "louis@marche.fr", NEW_PASSWORD).await;
    assert_eq!(stage, Ok(SessionStage::SecondFactor));
    let code = totp_code(&app, &enrolment, 1);
    member
        .call::<VerifySecondFactor, SessionStage>(&[("code", &code)])
        .await
        .expect("second factor");
    let mut browser = Browser::of(&app, &member, [10, 0, 3, 1]);
    assert!(browser.session().await.expect("signed in").may_link_psc);
    assert_eq!(
        landed(&browser.psc_link(DOCTOR).await),
        "/account?psc=profession",
        "only a pharmacist's identity is linked"
    );
    assert_eq!(
        landed(&browser.psc_link(SECOND_PHARMACIST).await),
        "/account?psc=linked"
    );
    let asked = psc.knobs().authorizations.last().cloned().unwrap_or_default();
    assert!(asked.contains("prompt=login"), "PSC asks who signs in, afresh: {asked}");
    let session = browser.session().await.expect("still signed in");
    assert_eq!(session.user.rpps.as_deref(), Some(SECOND_PHARMACIST.rpps));
    assert!(!session.may_link_psc, "linked once");
    assert!(user_by_email(&app, "usurpe@ailleurs.fr").await.rpps.is_none());

    // Their PSC login now opens their account.
    let mut phone = Browser::new(&app, [10, 0, 3, 2]);
    assert_eq!(landed(&phone.psc_login(SECOND_PHARMACIST).await), "/dashboard");
    let signed_in = phone.session().await.expect("signed in");
    assert_eq!(signed_in.user.email, "louis@marche.fr");
    assert!(!signed_in.may_link_psc, "a PSC session links nothing");

    // Another account cannot link the same identity.
    let (enrolment, _) = enrol(&app, &mut admin).await;
    let (mut admin, _) = login(&app, "marche@pharmacie.fr", PASSWORD).await;
    let code = totp_code(&app, &enrolment, 1);
    admin
        .call::<VerifySecondFactor, SessionStage>(&[("code", &code)])
        .await
        .expect("second factor");
    let mut admin_browser = Browser::of(&app, &admin, [10, 0, 3, 3]);
    assert_eq!(
        landed(&admin_browser.psc_link(SECOND_PHARMACIST).await),
        "/account?psc=already_linked"
    );

    // Unlinked, the identity no longer opens the account (only the stranger's invitation,
    // still waiting, is offered), and the sessions it opened end.
    browser
        .visitor()
        .call::<UnlinkProSanteConnect, ()>(&[])
        .await
        .expect("unlinked");
    assert!(phone.session().await.is_none(), "the PSC session ended");
    assert!(browser.session().await.is_some(), "the password session goes on");
    assert_eq!(landed(&phone.psc_login(SECOND_PHARMACIST).await), "/login/invitations");
    let offered: Vec<String> = phone
        .invitations()
        .await
        .expect("invitations")
        .into_iter()
        .map(|invitation| invitation.pharmacy_name)
        .collect();
    assert_eq!(offered, ["Pharmacie d'Ailleurs"]);
    // Linked again by its holder, unlinked by the admin.
    assert_eq!(
        landed(&browser.psc_link(SECOND_PHARMACIST).await),
        "/account?psc=linked"
    );
    assert_eq!(landed(&phone.psc_login(SECOND_PHARMACIST).await), "/dashboard");
    let user = user_by_email(&app, "louis@marche.fr").await;
    admin
        .call::<UnlinkStaffRpps, ()>(&[("user_id", &user.id)])
        .await
        .expect("unlinked by the admin");
    assert!(user_by_email(&app, "louis@marche.fr").await.rpps.is_none());
    assert!(phone.session().await.is_none(), "the PSC session ended");
    admin
        .call::<UnlinkStaffRpps, ()>(&[("user_id", &user.id)])
        .await
        .expect("nothing to unlink");

    let links: Vec<_> = trail(&app, &user.pharmacy_id)
        .await
        .into_iter()
        .filter(|(action, object)| action.starts_with("psc_") && object.as_deref() == Some(&user.id))
        .map(|(action, _)| action)
        .collect();
    assert_eq!(links, ["psc_linked", "psc_unlinked", "psc_linked", "psc_unlinked"]);
}
