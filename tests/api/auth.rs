use serde_json::json;

use crate::helpers::{
    Backend, PASSWORD, TestApp, rand_digits, spawn_app, spawn_app_on, spawn_embedded_app,
};

#[tokio::test]
async fn register_creates_a_user_without_exposing_the_password() {
    let app = spawn_app().await;
    let res = app.register("13800000001", "a@example.com", PASSWORD).await;
    res.assert_ok(201);
    assert_eq!(res.data()["phone"], "+8613800000001");
    assert_eq!(res.data()["email"], "a@example.com");
    let text = res.body.to_string();
    assert!(!text.contains(PASSWORD) && !text.contains("hash"), "{text}");
    let on_disk = read_all(&app.data_dir);
    assert!(
        !on_disk.contains(PASSWORD),
        "the password is stored in clear"
    );
}

fn read_all(dir: &std::path::Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.push_str(&read_all(&path));
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            out.push_str(&text);
        }
    }
    out
}

/// `[storage.system] type = "s3"`: accounts are documents in the S3 server, nothing on disk;
/// register, login and the uniqueness of phones and emails work the same.
#[tokio::test]
async fn accounts_live_in_an_s3_system_area() {
    let app = spawn_app_on(Backend::S3).await;
    let s3 = app.s3.as_ref().unwrap();

    app.register("13800000009", "s3@example.com", PASSWORD)
        .await
        .assert_ok(201);
    let login = app.login("s3@example.com", PASSWORD).await;
    app.register("13800000009", "other@example.com", PASSWORD)
        .await
        .assert_error(409, "account_exists");
    app.register("13800000010", "S3@Example.com", PASSWORD)
        .await
        .assert_error(409, "account_exists");

    login.assert_ok(200);
    let token = login.data()["accessToken"].as_str().unwrap();
    let me = app.get_auth("/api/v1/me", token).await;
    me.assert_ok(200);
    assert_eq!(me.data()["email"], "s3@example.com");
    let documents = s3.objects(s3.bucket(), "system/");
    let count = |dir: &str| documents.iter().filter(|d| d.starts_with(dir)).count();
    assert_eq!(
        (
            count("users/"),
            count("index/phone/"),
            count("index/email/")
        ),
        (1, 1, 1),
        "{documents:?}"
    );
    let user_doc = std::fs::read_to_string(
        s3.data_dir()
            .join(s3.bucket())
            .join("system")
            .join(documents.iter().find(|d| d.starts_with("users/")).unwrap()),
    )
    .unwrap();
    assert!(user_doc.contains("$2"), "a bcrypt hash: {user_doc}");
    assert!(
        !user_doc.contains(PASSWORD),
        "the password is stored in clear"
    );
    assert!(
        !app.data_dir.join(".system").exists(),
        "nothing of the system area is on disk"
    );
}

#[tokio::test]
async fn a_taken_phone_or_email_is_a_409() {
    let app = spawn_app().await;
    app.register("13800000002", "b@example.com", PASSWORD)
        .await
        .assert_ok(201);
    app.register("13800000002", "other@example.com", PASSWORD)
        .await
        .assert_error(409, "account_exists");
    app.register("13800000003", "B@Example.com", PASSWORD)
        .await
        .assert_error(409, "account_exists");
}

#[tokio::test]
async fn concurrent_registrations_of_one_phone_never_both_succeed() {
    let app = spawn_app().await;
    let attempts = (0..8).map(|i| {
        let app = &app;
        async move {
            app.register("13800000004", &format!("c{i}@example.com"), PASSWORD)
                .await
                .status
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn invalid_fields_are_a_422_with_reasons_per_field() {
    let app = spawn_app().await;
    let res = app.register("12", "not-an-email", "short").await;
    res.assert_error(422, "validation_failed");
    let fields: Vec<String> = res.data()["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect();
    for f in ["phone", "email", "password"] {
        assert!(fields.iter().any(|x| x == f), "{fields:?}");
    }
}

#[tokio::test]
async fn a_password_over_72_bytes_is_refused_not_truncated() {
    let app = spawn_app().await;
    let long = "a1".repeat(37);
    let res = app.register("13800000005", "d@example.com", &long).await;
    res.assert_error(422, "validation_failed");
    assert!(res.body.to_string().contains("72"), "{}", res.body);
}

#[tokio::test]
async fn login_works_by_phone_and_by_email() {
    let app = spawn_app().await;
    app.register("13800000006", "e@example.com", PASSWORD)
        .await
        .assert_ok(201);
    for login in ["13800000006", "+8613800000006", "E@example.com"] {
        let res = app.login(login, PASSWORD).await;
        res.assert_ok(200);
        assert_eq!(res.data()["tokenType"], "Bearer");
        assert!(res.data()["expiresIn"].as_u64().unwrap() > 0);
        assert_eq!(res.data()["user"]["email"], "e@example.com");
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    app.register("13800000007", "f@example.com", PASSWORD)
        .await
        .assert_ok(201);
    let wrong = app.login("13800000007", "wrong password 1").await;
    let unknown = app.login("13800000099", "wrong password 1").await;
    wrong.assert_error(401, "invalid_credentials");
    unknown.assert_error(401, "invalid_credentials");
    assert_eq!(wrong.body["msg"], unknown.body["msg"]);
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_429() {
    let app = spawn_app().await;
    app.register("13800000008", "g@example.com", PASSWORD)
        .await
        .assert_ok(201);
    let mut last = None;
    for _ in 0..8 {
        last = Some(app.login("13800000008", "wrong password 1").await);
    }
    let last = last.unwrap();
    last.assert_error(429, "too_many_attempts");
    assert!(last.headers.contains_key("retry-after"));
    app.login("13800000008", PASSWORD)
        .await
        .assert_error(429, "too_many_attempts");
}

#[tokio::test]
async fn me_needs_a_token() {
    let app = spawn_app().await;
    app.get("/api/v1/me")
        .await
        .assert_error(401, "missing_token");
    let user = app.user().await;
    let me = app.get_auth("/api/v1/me", &user.access).await;
    me.assert_ok(200);
    assert_eq!(me.data()["email"], user.email);
}

#[tokio::test]
async fn tampered_and_forged_tokens_are_rejected() {
    let app = spawn_app().await;
    let user = app.user().await;
    let mut tampered = user.access.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    app.get_auth("/api/v1/me", &tampered)
        .await
        .assert_error(401, "invalid_token");
    app.get_auth("/api/v1/me", "not.a.jwt")
        .await
        .assert_error(401, "invalid_token");
    // alg "none" with the same claims.
    let claims = user.access.split('.').nth(1).unwrap();
    let none = format!("{}.{claims}.", b64(br#"{"alg":"none","typ":"JWT"}"#));
    app.get_auth("/api/v1/me", &none)
        .await
        .assert_error(401, "invalid_token");
    // HS512 signed with the right secret: the algorithm is pinned.
    let forged = sign(
        &app,
        jsonwebtoken::Algorithm::HS512,
        claims_of(&user.access),
    );
    app.get_auth("/api/v1/me", &forged)
        .await
        .assert_error(401, "invalid_token");
}

#[tokio::test]
async fn an_expired_token_is_a_401_token_expired() {
    let app = spawn_app().await;
    let user = app.user().await;
    let mut claims = claims_of(&user.access);
    let past = time_now() - 3600;
    claims["iat"] = json!(past - 60);
    claims["exp"] = json!(past);
    let expired = sign(&app, jsonwebtoken::Algorithm::HS256, claims);
    app.get_auth("/api/v1/me", &expired)
        .await
        .assert_error(401, "token_expired");
}

fn time_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn claims_of(token: &str) -> serde_json::Value {
    use base64::Engine;
    let part = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn sign(app: &TestApp, alg: jsonwebtoken::Algorithm, claims: serde_json::Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(app.jwt_secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn refresh_rotates_and_reusing_a_spent_token_revokes_the_session() {
    let app = spawn_app().await;
    let user = app.user().await;
    let first = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refreshToken": user.refresh}),
            None,
        )
        .await;
    first.assert_ok(200);
    let new_access = first.data()["accessToken"].as_str().unwrap().to_owned();
    let new_refresh = first.data()["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, user.refresh);
    app.get_auth("/api/v1/me", &new_access).await.assert_ok(200);
    // The spent token comes back: the whole session ends.
    app.post_json(
        "/api/v1/auth/refresh",
        &json!({"refreshToken": user.refresh}),
        None,
    )
    .await
    .assert_error(401, "session_revoked");
    app.get_auth("/api/v1/me", &new_access)
        .await
        .assert_error(401, "session_revoked");
    app.post_json(
        "/api/v1/auth/refresh",
        &json!({"refreshToken": new_refresh}),
        None,
    )
    .await
    .assert_error(401, "session_revoked");
}

#[tokio::test]
async fn logout_revokes_the_token_at_once() {
    let app = spawn_app().await;
    let user = app.user().await;
    app.post_json("/api/v1/auth/logout", &json!({}), Some(&user.access))
        .await
        .assert_ok(200);
    app.get_auth("/api/v1/me", &user.access)
        .await
        .assert_error(401, "session_revoked");
}

#[tokio::test]
async fn changing_the_password_revokes_other_sessions_but_keeps_this_one() {
    let app = spawn_app().await;
    let user = app.user().await;
    let other = app.login(&user.email, PASSWORD).await;
    let other_token = other.data()["accessToken"].as_str().unwrap().to_owned();
    let res = app
        .client
        .put(app.url("/api/v1/auth/password"))
        .bearer_auth(&user.access)
        .json(&json!({"oldPassword": PASSWORD, "newPassword": "another pass 77"}))
        .send()
        .await
        .unwrap();
    crate::helpers::Answer::from(res).await.assert_ok(200);
    app.get_auth("/api/v1/me", &user.access)
        .await
        .assert_ok(200);
    app.get_auth("/api/v1/me", &other_token)
        .await
        .assert_error(401, "session_revoked");
    app.login(&user.email, PASSWORD)
        .await
        .assert_error(401, "invalid_credentials");
    app.login(&user.email, "another pass 77")
        .await
        .assert_ok(200);
}

#[tokio::test]
async fn a_wrong_old_password_changes_nothing() {
    let app = spawn_app().await;
    let user = app.user().await;
    let res = app
        .client
        .put(app.url("/api/v1/auth/password"))
        .bearer_auth(&user.access)
        .json(&json!({"oldPassword": "not it 1234", "newPassword": "another pass 77"}))
        .send()
        .await
        .unwrap();
    crate::helpers::Answer::from(res)
        .await
        .assert_error(401, "invalid_credentials");
    app.login(&user.email, PASSWORD).await.assert_ok(200);
}

#[tokio::test]
async fn the_embedded_session_store_serves_the_same_flow() {
    let app = spawn_embedded_app().await;
    let user = app.user().await;
    app.get_auth("/api/v1/me", &user.access)
        .await
        .assert_ok(200);
    app.post_json("/api/v1/auth/logout", &json!({}), Some(&user.access))
        .await
        .assert_ok(200);
    app.get_auth("/api/v1/me", &user.access)
        .await
        .assert_error(401, "session_revoked");
    let again = app.login(&user.phone, PASSWORD).await;
    again.assert_ok(200);
    let _ = rand_digits();
}

#[tokio::test]
async fn with_registration_closed_only_the_cli_creates_accounts() {
    let app = crate::helpers::spawn_app_with(
        crate::helpers::Sessions::Embedded,
        "[auth]\nregistration = \"closed\"\n",
    )
    .await;
    app.register("13800000010", "closed@example.com", PASSWORD)
        .await
        .assert_error(403, "registration_closed");
    let seed = app
        .post_json(
            "/imagepic/auth/register",
            &json!({"email": "closed@example.com", "phone": "13800000010", "upwd": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(seed.body["code"], "-1");
    assert_eq!(seed.body["data"]["errCode"], "registration_closed");
    let admin = app.admin().await;
    app.get_auth("/api/v1/me", &admin.access)
        .await
        .assert_ok(200);
}

#[tokio::test]
async fn refresh_rejects_garbage_and_tokens_of_ended_sessions() {
    let app = spawn_app().await;
    app.post_json(
        "/api/v1/auth/refresh",
        &json!({"refreshToken": "garbage"}),
        None,
    )
    .await
    .assert_error(401, "invalid_token");
    let user = app.user().await;
    app.post_json("/api/v1/auth/logout", &json!({}), Some(&user.access))
        .await
        .assert_ok(200);
    app.post_json(
        "/api/v1/auth/refresh",
        &json!({"refreshToken": user.refresh}),
        None,
    )
    .await
    .assert_error(401, "session_revoked");
}
