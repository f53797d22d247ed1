//! The REST API under `/api/v1` as an integration client speaks it: JSON in, JSON out,
//! bearer tokens. On SQLite and PostgreSQL.

use crate::on_both_databases;
use crate::support::{Part, TestApp, TestResponse, form};
use crate::uploads::{patient, prescription};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use santhium::server::config::Backend;
use serde_json::{Value, json};

on_both_databases!(
    an_integration_registers_generates_lists_downloads_and_deletes,
    requests_without_a_usable_token_are_refused_alike,
    refresh_tokens_rotate_and_a_reused_one_revokes_its_family,
    another_pharmacy_sees_nothing,
    disabling_a_user_or_a_new_password_revokes_their_tokens,
    patients_validate_codes_and_upload_through_the_api,
    api_keys_act_within_their_scope_until_revoked,
    accounts_with_a_second_factor_log_in_with_their_code,
);

const PASSWORD: &str = "vélo citron orage 92";

pub(crate) async fn api(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> TestResponse {
    crate::support::api_from(app, None, method, path, token, body).await
}

/// A pharmacy registered through the API; its access and refresh tokens.
pub(crate) async fn registered(app: &TestApp, email: &str) -> (String, String) {
    let body = json!({ "email": email, "password": PASSWORD, "pharmacy_name": "Pharmacie du Port", "full_name": "Camille Martin" });
    let answer = api(app, "POST", "/auth/register", None, Some(body)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let json = answer.json();
    assert_eq!(json["token_type"], "bearer");
    assert_eq!(json["user"]["email"], email);
    (
        json["access_token"].as_str().expect("access token").to_owned(),
        json["refresh_token"].as_str().expect("refresh token").to_owned(),
    )
}

/// A code for `max_uses` documents, generated through the API.
pub(crate) async fn generated_code(app: &TestApp, token: &str, max_uses: u32) -> String {
    let code = api(
        app,
        "POST",
        "/codes/generate",
        Some(token),
        Some(json!({ "max_uses": max_uses })),
    )
    .await
    .json();
    code["code"].as_str().expect("code").to_owned()
}

/// A document a patient sent with a code generated through the API; its id.
async fn sent_document(app: &TestApp, token: &str) -> String {
    let code = api(app, "POST", "/codes/generate", Some(token), Some(json!({})))
        .await
        .json();
    let (sender, _) = patient(app, code["code"].as_str().expect("code")).await;
    sender
        .send_file("Ordonnance été.pdf", &prescription())
        .await
        .expect("sent");
    let listed = api(app, "GET", "/documents", Some(token), None).await.json();
    listed["documents"][0]["id"].as_str().expect("a document").to_owned()
}

async fn refresh_with(app: &TestApp, refresh_token: &str) -> TestResponse {
    api(
        app,
        "POST",
        "/auth/refresh",
        None,
        Some(json!({ "refresh_token": refresh_token })),
    )
    .await
}

fn assert_unauthorized(answer: &TestResponse, why: &str) {
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{why}: {}", answer.body);
    assert_eq!(answer.header("www-authenticate"), "Bearer", "{why}");
    assert!(answer.json()["detail"].is_string(), "{why}");
}

async fn an_integration_registers_generates_lists_downloads_and_deletes(backend: Backend) {
    let app = crate::support::spawn_app_on(backend, &[]).await;
    let root = api(&app, "GET", "", None, None).await.json();
    assert_eq!(root["documentation"], "/docs");
    assert_eq!(
        api(&app, "GET", "/health", None, None).await.json()["status"],
        "healthy"
    );

    registered(&app, "port@pharmacie.fr").await;
    let wrong = api(
        &app,
        "POST",
        "/auth/login",
        None,
        Some(json!({ "email": "port@pharmacie.fr", "password": "non" })),
    )
    .await;
    assert_unauthorized(&wrong, "wrong password");
    let login = api(
        &app,
        "POST",
        "/auth/login",
        None,
        Some(json!({ "email": "Port@Pharmacie.fr", "password": PASSWORD })),
    )
    .await;
    assert_eq!(login.status, StatusCode::OK);
    let token = login.json()["access_token"].as_str().expect("token").to_owned();

    let code = api(
        &app,
        "POST",
        "/codes/generate",
        Some(&token),
        Some(json!({ "expiration_hours": 2, "max_uses": 2, "note": "Mme Leroy" })),
    )
    .await;
    assert_eq!(code.status, StatusCode::OK, "{}", code.body);
    let code = code.json();
    assert_eq!(code["max_uses"], 2);
    assert_eq!(code["current_uses"], 0);
    assert_eq!(code["is_active"], true);
    assert!(code["expiration_date"].as_str().expect("date").ends_with('Z'));
    let refused = api(
        &app,
        "POST",
        "/codes/generate",
        Some(&token),
        Some(json!({ "expiration_hours": 0 })),
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.json()["detail"].is_string());
    let malformed = api(&app, "POST", "/codes/generate", Some(&token), None).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST, "{}", malformed.body);

    let (sender, _) = patient(&app, code["code"].as_str().expect("code")).await;
    sender
        .send_file("Ordonnance été.pdf", &prescription())
        .await
        .expect("sent");
    sender.send_file("mutuelle.pdf", &prescription()).await.expect("sent");
    let active = api(&app, "GET", "/codes/active", Some(&token), None).await.json();
    assert_eq!(
        active.as_array().map(Vec::len),
        Some(0),
        "a used-up code is not active: {active}"
    );

    let listed = api(&app, "GET", "/documents", Some(&token), None).await.json();
    assert_eq!(listed["total"], 2);
    let first_page = api(&app, "GET", "/documents?skip=0&limit=1", Some(&token), None)
        .await
        .json();
    assert_eq!(first_page["documents"].as_array().map(Vec::len), Some(1));
    assert_eq!(first_page["total"], 2);
    let document = listed["documents"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["original_filename"] == "Ordonnance été.pdf"))
        .expect("the prescription")
        .clone();
    assert_eq!(document["file_type"], "application/pdf");
    assert_eq!(document["is_viewed"], false);
    assert_eq!(document["code_id"], code["id"]);
    let id = document["id"].as_str().expect("id");

    let download = api(&app, "GET", &format!("/documents/{id}/download"), Some(&token), None).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.bytes, prescription());
    assert_eq!(
        download.header("content-disposition"),
        "attachment; filename=\"Ordonnance _t_.pdf\"; filename*=UTF-8''Ordonnance%20%C3%A9t%C3%A9.pdf"
    );
    assert_eq!(download.header("x-content-type-options"), "nosniff");
    assert_eq!(download.header("cache-control"), "no-store");
    let listed = api(&app, "GET", "/documents", Some(&token), None).await.json();
    assert!(
        listed["documents"]
            .as_array()
            .expect("list")
            .iter()
            .any(|d| d["id"] == id && d["is_viewed"] == true)
    );

    let deleted = api(&app, "DELETE", &format!("/documents/{id}"), Some(&token), None).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert!(deleted.json()["message"].is_string());
    for (method, path) in [
        ("GET", format!("/documents/{id}/download")),
        ("DELETE", format!("/documents/{id}")),
    ] {
        let gone = api(&app, method, &path, Some(&token), None).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert!(gone.json()["detail"].is_string());
    }
    assert_eq!(
        api(&app, "GET", "/documents", Some(&token), None).await.json()["total"],
        1
    );
}

async fn requests_without_a_usable_token_are_refused_alike(backend: Backend) {
    let app = crate::support::spawn_app_on(backend, &[("ACCESS_TOKEN_EXPIRE_MINUTES", "15")]).await;
    let (token, _) = registered(&app, "port@pharmacie.fr").await;
    assert_unauthorized(&api(&app, "GET", "/documents", None, None).await, "no token");
    assert_unauthorized(
        &api(&app, "GET", "/documents", Some("not-a-token"), None).await,
        "a bad token",
    );
    assert_eq!(
        api(&app, "GET", "/documents", Some(&token), None).await.status,
        StatusCode::OK
    );
    app.state.clock.advance(15 * 60);
    assert_unauthorized(
        &api(&app, "GET", "/documents", Some(&token), None).await,
        "an expired token",
    );

    let login = json!({ "email": "port@pharmacie.fr", "password": PASSWORD });
    let token = api(&app, "POST", "/auth/login", None, Some(login)).await.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(
        api(&app, "GET", "/codes/active", Some(&token), None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        api(&app, "POST", "/auth/logout", Some(&token), None).await.status,
        StatusCode::OK
    );
    assert_unauthorized(
        &api(&app, "GET", "/codes/active", Some(&token), None).await,
        "a revoked token",
    );
}

async fn refresh_tokens_rotate_and_a_reused_one_revokes_its_family(backend: Backend) {
    let app = crate::support::spawn_app_on(backend, &[]).await;
    let (_, refresh) = registered(&app, "port@pharmacie.fr").await;
    let rotated = refresh_with(&app, &refresh).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let rotated = rotated.json();
    let access = rotated["access_token"].as_str().expect("access").to_owned();
    let next_refresh = rotated["refresh_token"].as_str().expect("refresh").to_owned();
    assert_ne!(next_refresh, refresh, "rotated");
    assert_eq!(
        api(&app, "GET", "/documents", Some(&access), None).await.status,
        StatusCode::OK
    );

    // The old refresh token again: someone copied it. The whole family goes.
    let reused = refresh_with(&app, &refresh).await;
    assert_unauthorized(&reused, "a used refresh token");
    assert_unauthorized(
        &api(&app, "GET", "/documents", Some(&access), None).await,
        "the family is revoked",
    );
    let next = refresh_with(&app, &next_refresh).await;
    assert_unauthorized(&next, "its newest refresh token too");
    let reuses: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'refresh_token_reused'")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(reuses, 1);

    // A new login is a new family, unaffected.
    let login = json!({ "email": "port@pharmacie.fr", "password": PASSWORD });
    let fresh = api(&app, "POST", "/auth/login", None, Some(login)).await.json();
    let token = fresh["access_token"].as_str().expect("token");
    assert_eq!(
        api(&app, "GET", "/documents", Some(token), None).await.status,
        StatusCode::OK
    );
}

async fn another_pharmacy_sees_nothing(backend: Backend) {
    let app = crate::support::spawn_app_on(backend, &[]).await;
    let (ours, _) = registered(&app, "port@pharmacie.fr").await;
    let id = sent_document(&app, &ours).await;
    let (theirs, _) = registered(&app, "marche@pharmacie.fr").await;
    assert_eq!(
        api(&app, "GET", "/documents", Some(&theirs), None).await.json()["total"],
        0
    );
    for (method, path) in [
        ("GET", format!("/documents/{id}/download")),
        ("DELETE", format!("/documents/{id}")),
    ] {
        let answer = api(&app, method, &path, Some(&theirs), None).await;
        let missing = api(&app, method, &path.replace(&id, "no-such-id"), Some(&theirs), None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(answer.body, missing.body, "exactly as a missing one");
    }
    assert_eq!(
        api(&app, "GET", "/codes/active", Some(&theirs), None).await.json(),
        json!([])
    );
    assert_eq!(
        api(&app, "GET", "/documents", Some(&ours), None).await.json()["total"],
        1
    );
}

async fn disabling_a_user_or_a_new_password_revokes_their_tokens(backend: Backend) {
    use santhium::api::staff::{CreateStaff, SetStaffActive};
    use santhium::model::staff::NewStaffAccount;
    let app = crate::support::spawn_app_on(backend, &[]).await;
    let mut admin = crate::accounts::register(&app, "Pharmacie du Port", "port@pharmacie.fr").await;

    // A temporary password must be changed in the browser before the API opens.
    let form = [
        ("email", "nouveau@port.fr"),
        ("full_name", "Dominique Petit"),
        ("role", "Pharmacist"),
    ];
    let account: NewStaffAccount = admin.call::<CreateStaff, _>(&form).await.expect("created");
    let temporary = json!({ "email": "nouveau@port.fr", "password": account.temporary_password });
    assert_eq!(
        api(&app, "POST", "/auth/login", None, Some(temporary)).await.status,
        StatusCode::FORBIDDEN
    );

    crate::accounts::pharmacist(&app, &mut admin, "pharmacien@port.fr").await;
    let login = json!({ "email": "pharmacien@port.fr", "password": crate::accounts::NEW_PASSWORD });
    let signed_in = api(&app, "POST", "/auth/login", None, Some(login)).await.json();
    let token = signed_in["access_token"].as_str().expect("token");
    let refresh = signed_in["refresh_token"].as_str().expect("refresh");
    let user_id = signed_in["user"]["id"].as_str().expect("id");
    assert_eq!(
        api(&app, "GET", "/documents", Some(token), None).await.status,
        StatusCode::OK
    );

    admin
        .call::<SetStaffActive, ()>(&[("user_id", user_id), ("active", "false")])
        .await
        .expect("disabled");
    assert_unauthorized(
        &api(&app, "GET", "/documents", Some(token), None).await,
        "a disabled user",
    );
    let refreshed = refresh_with(&app, refresh).await;
    assert_unauthorized(&refreshed, "a disabled user's refresh token");
}

/// `POST /documents/upload` as the original's clients send it: the code, then the file;
/// with a proof of work when given.
pub async fn upload(app: &TestApp, proof: Option<&str>, code: &str, filename: &str, content: &[u8]) -> TestResponse {
    upload_form(app, proof, &[Part::Text("code", code), Part::File(filename, content)]).await
}

/// `POST /documents/upload` with the parts given.
pub async fn upload_form(app: &TestApp, proof: Option<&str>, parts: &[Part<'_>]) -> TestResponse {
    let (content_type, body) = form(parts);
    let query = proof.map(|proof| format!("?proof={proof}")).unwrap_or_default();
    let request = Request::post(format!("/api/v1/documents/upload{query}"))
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("request");
    app.send(request).await
}

fn assert_refused(answer: &TestResponse, status: StatusCode, why: &str) {
    assert_eq!(answer.status, status, "{why}: {}", answer.body);
    assert!(answer.json()["detail"].is_string(), "{why}: {}", answer.body);
}

async fn patients_validate_codes_and_upload_through_the_api(backend: Backend) {
    let app = crate::support::spawn_app_on(backend, &[("MAX_FILE_SIZE_MB", "1")]).await;
    let (token, _) = registered(&app, "port@pharmacie.fr").await;
    let code = generated_code(&app, &token, 1).await;

    let valid = api(&app, "POST", &format!("/codes/validate?code={code}"), None, None).await;
    assert_eq!(valid.status, StatusCode::OK);
    assert_eq!(valid.json()["valid"], true);
    let unknown = api(&app, "POST", "/codes/validate?code=ZZZZZZ", None, None).await;
    assert_refused(&unknown, StatusCode::BAD_REQUEST, "an unknown code");

    assert_refused(
        &upload(&app, None, "ZZZZZZ", "ordonnance.pdf", &prescription()).await,
        StatusCode::BAD_REQUEST,
        "a bad code",
    );
    assert_refused(
        &upload(&app, None, &code, "virus.exe", b"MZ...").await,
        StatusCode::BAD_REQUEST,
        "a disallowed type",
    );
    let big = vec![b'%'; 2 * 1024 * 1024];
    assert_refused(
        &upload(&app, None, &code, "gros.pdf", &big).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "an oversized file",
    );

    let sent = upload(&app, None, &code, "Ordonnance été.pdf", &prescription()).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    let document = sent.json();
    assert_eq!(document["original_filename"], "Ordonnance été.pdf");
    assert_eq!(document["file_type"], "application/pdf");
    assert_eq!(document["file_size"], prescription().len());
    assert_eq!(document["is_viewed"], false);
    let id = document["id"].as_str().expect("id");
    let download = api(&app, "GET", &format!("/documents/{id}/download"), Some(&token), None).await;
    assert_eq!(download.bytes, prescription());

    let used_up = upload(&app, None, &code, "encore.pdf", &prescription()).await;
    assert_refused(&used_up, StatusCode::BAD_REQUEST, "a used-up code");
    let invalid = api(&app, "POST", &format!("/codes/validate?code={code}"), None, None).await;
    assert_refused(&invalid, StatusCode::BAD_REQUEST, "a used-up code");
    assert_eq!(
        api(&app, "GET", "/documents", Some(&token), None).await.json()["total"],
        1,
        "nothing else kept"
    );
}

async fn api_keys_act_within_their_scope_until_revoked(backend: Backend) {
    use santhium::api::api_keys::{CreateApiKey, ListApiKeys, RevokeApiKey};
    use santhium::model::api_keys::{ApiKeyView, NewApiKey};
    let app = crate::support::spawn_app_on(backend, &[]).await;
    let mut admin = crate::accounts::register(&app, "Pharmacie du Port", "port@pharmacie.fr").await;
    let mut key = async |name: &str, scope: &str| -> NewApiKey {
        admin
            .call::<CreateApiKey, NewApiKey>(&[("name", name), ("scope", scope)])
            .await
            .expect("created")
    };
    let reader = key("Logiciel de caisse", "ReadDocuments").await.secret;
    let writer = key("Borne", "CodesAndDocuments").await.secret;
    assert!(reader.starts_with("sk_santhium_"));

    let code = api(
        &app,
        "POST",
        "/codes/generate",
        Some(&writer),
        Some(json!({ "max_uses": 3 })),
    )
    .await;
    assert_eq!(code.status, StatusCode::OK, "{}", code.body);
    let (sender, _) = patient(&app, code.json()["code"].as_str().expect("code")).await;
    sender.send_file("ordonnance.pdf", &prescription()).await.expect("sent");
    let listed = api(&app, "GET", "/documents", Some(&reader), None).await;
    assert_eq!(listed.status, StatusCode::OK);
    let id = listed.json()["documents"][0]["id"].as_str().expect("id").to_owned();
    let download = api(&app, "GET", &format!("/documents/{id}/download"), Some(&reader), None).await;
    assert_eq!(download.bytes, prescription());

    // Reading only: no codes, no deletion.
    for (method, path, body) in [
        ("POST", "/codes/generate".to_owned(), Some(json!({}))),
        ("GET", "/codes/active".to_owned(), None),
        ("DELETE", format!("/documents/{id}"), None),
        ("POST", "/auth/logout".to_owned(), None),
    ] {
        let refused = api(&app, method, &path, Some(&reader), body).await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            refused.body
        );
    }
    assert_eq!(
        api(&app, "DELETE", &format!("/documents/{id}"), Some(&writer), None)
            .await
            .status,
        StatusCode::OK
    );

    let keys: Vec<ApiKeyView> = admin.call::<ListApiKeys, _>(&[]).await.expect("listed");
    assert_eq!(keys.len(), 2);
    assert!(
        keys.iter()
            .all(|k| k.last_used_at.is_some() && k.created_by == "Camille Martin")
    );
    let reader_id = keys
        .iter()
        .find(|k| k.name == "Logiciel de caisse")
        .expect("reader")
        .id
        .clone();
    admin
        .call::<RevokeApiKey, ()>(&[("key_id", &reader_id)])
        .await
        .expect("revoked");
    assert_unauthorized(
        &api(&app, "GET", "/documents", Some(&reader), None).await,
        "a revoked key",
    );
    assert_eq!(
        api(&app, "GET", "/documents", Some(&writer), None).await.status,
        StatusCode::OK
    );
    assert_unauthorized(
        &api(&app, "GET", "/documents", Some("sk_santhium_forged"), None).await,
        "an unknown key",
    );

    // Another pharmacy's admin cannot revoke it, nor see its documents with their own.
    let mut other = crate::accounts::register(&app, "Pharmacie du Marché", "marche@pharmacie.fr").await;
    let writer_id = keys.iter().find(|k| k.name == "Borne").expect("writer").id.clone();
    let refused = other
        .call::<RevokeApiKey, ()>(&[("key_id", &writer_id)])
        .await
        .expect_err("not theirs");
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let theirs: NewApiKey = other
        .call::<CreateApiKey, _>(&[("name", "Caisse"), ("scope", "ReadDocuments")])
        .await
        .expect("created");
    let seen = api(&app, "GET", "/documents", Some(&theirs.secret), None).await.json();
    assert_eq!(seen["total"], 0);
    let nameless = other
        .call::<CreateApiKey, NewApiKey>(&[("name", " "), ("scope", "ReadDocuments")])
        .await;
    assert_eq!(nameless.expect_err("a name is needed").error.field(), Some("name"));
}

#[tokio::test]
async fn the_openapi_document_is_valid_and_describes_every_route() {
    let app = crate::support::spawn_app(&[]).await;
    let answer = api(&app, "GET", "/openapi.json", None, None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let document = answer.json();
    assert!(document["openapi"].as_str().expect("version").starts_with("3."));

    // A standard validator says it is a valid OpenAPI document.
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), &answer.bytes).expect("written");
    let checked = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(file.path())
        .output()
        .expect("python3 -m openapi_spec_validator (scripts/install.sh --test installs it)");
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stdout));

    // Every route the issue names is described, and every described route is served.
    let paths = document["paths"].as_object().expect("paths");
    let mut described: Vec<String> = Vec::new();
    for (path, item) in paths {
        for method in ["get", "post", "delete"] {
            if item[method].is_object() {
                described.push(format!("{} {path}", method.to_uppercase()));
                let answer = api(&app, &method.to_uppercase(), &path.replace("{id}", "x"), None, None).await;
                assert!(
                    !matches!(answer.status, StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED),
                    "{method} {path} is described but not served: {}",
                    answer.status
                );
            }
        }
    }
    described.sort();
    let mut expected = [
        "GET /",
        "GET /health",
        "GET /openapi.json",
        "POST /auth/register",
        "POST /auth/login",
        "POST /auth/refresh",
        "POST /auth/logout",
        "POST /codes/generate",
        "POST /codes/validate",
        "GET /codes/active",
        "POST /documents/upload",
        "GET /documents",
        "GET /documents/{id}/download",
        "DELETE /documents/{id}",
    ];
    expected.sort();
    assert_eq!(described, expected);

    // The page for people covers the same routes, with nothing from elsewhere.
    let docs = app.get("/docs").await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(docs.header("content-type").starts_with("text/html"));
    assert!(
        docs.header("content-security-policy")
            .starts_with("default-src 'none'; style-src 'self'")
    );
    for route in expected {
        let (method, path) = route.split_once(' ').expect("method and path");
        assert!(
            docs.body.contains(&format!("{method} /api/v1{path}")),
            "{route} on /docs"
        );
    }
    assert!(
        !docs.body.contains("http://") && !docs.body.contains("https://"),
        "no external asset"
    );
}

async fn accounts_with_a_second_factor_log_in_with_their_code(backend: Backend) {
    let app = crate::support::spawn_app_on(backend, &[]).await;
    let mut admin = crate::accounts::register(&app, "Pharmacie du Port", "port@pharmacie.fr").await;
    let (enrolment, recovery_codes) = crate::accounts::enrol(&app, &mut admin).await;
    let login = |totp: Option<&str>| {
        let mut body = json!({ "email": "port@pharmacie.fr", "password": PASSWORD });
        if let Some(code) = totp {
            body["totp"] = json!(code);
        }
        body
    };
    assert_unauthorized(
        &api(&app, "POST", "/auth/login", None, Some(login(None))).await,
        "no code",
    );
    assert_unauthorized(
        &api(&app, "POST", "/auth/login", None, Some(login(Some("000000")))).await,
        "a wrong code",
    );
    app.state.clock.advance(30);
    let code = crate::accounts::totp_code(&app, &enrolment, 0);
    let signed_in = api(&app, "POST", "/auth/login", None, Some(login(Some(&code)))).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    let again = api(&app, "POST", "/auth/login", None, Some(login(Some(&code)))).await;
    assert_unauthorized(&again, "a code used once");
    let recovered = api(&app, "POST", "/auth/login", None, Some(login(Some(&recovery_codes[0])))).await;
    assert_eq!(recovered.status, StatusCode::OK, "a recovery code: {}", recovered.body);
}
