//! Registration, login and the account documents.

use std::sync::Arc;

use auth::{Error, Role};

use crate::support::{Backend, PASSWORD, TestAuth, account, no_device};

both_backends!(
    a_registered_user_logs_in_with_phone_or_email_and_gets_working_tokens,
    the_account_document_holds_a_bcrypt_hash_and_never_the_password,
    registering_a_taken_phone_or_email_fails_and_releases_what_it_claimed,
    concurrent_registrations_of_one_phone_or_email_admit_exactly_one,
    every_invalid_field_is_reported_and_long_passwords_are_rejected,
    an_unknown_user_gets_the_same_error_as_a_wrong_password,
    an_unknown_user_id_is_user_not_found,
);

async fn a_registered_user_logs_in_with_phone_or_email_and_gets_working_tokens(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let user = t.register("13812345678", "Alice@Example.com").await;
    assert_eq!(user.phone, "+8613812345678");
    assert_eq!(user.email, "alice@example.com");
    assert_eq!(user.role, Role::User);

    for login in ["13812345678", "+86 138 1234 5678", "ALICE@example.com"] {
        let (logged_in, pair) = t
            .auth
            .login(login, PASSWORD, no_device(), None)
            .await
            .expect("login");
        assert_eq!(logged_in, user);
        assert_eq!(pair.expires_in, t.settings.access_token_ttl_secs);
        let p = t.principal(&pair).await;
        assert_eq!(p.user_id, user.id);
        assert_eq!(p.session_id(), Some(pair.session_id.as_str()));
    }
    assert_eq!(t.auth.user(user.id).await.expect("user"), user);
}

async fn the_account_document_holds_a_bcrypt_hash_and_never_the_password(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let user = t.register("13812345678", "alice@example.com").await;
    let doc_path = t.dir.path().join(format!("users/{}.json", user.id));
    let doc = std::fs::read_to_string(doc_path).expect("user document");
    assert!(!doc.contains(PASSWORD));
    let json: serde_json::Value = serde_json::from_str(&doc).expect("json");
    assert!(
        json["password_hash"]
            .as_str()
            .expect("hash")
            .starts_with("$2")
    );
    assert_eq!(json["phone"], "+8613812345678");
    let index = t.dir.path().join("index/phone/+8613812345678");
    assert_eq!(
        std::fs::read_to_string(index).expect("phone index"),
        user.id.to_string()
    );
    // The JWT names the user and the session, nothing else.
    let pair = t.login("alice@example.com").await;
    let payload = pair.access_token.split('.').nth(1).expect("payload");
    let claims = base64_json(payload);
    let mut keys: Vec<_> = claims
        .as_object()
        .expect("claims")
        .keys()
        .cloned()
        .collect();
    keys.sort();
    assert_eq!(keys, ["exp", "iat", "sid", "sub"]);
}

fn base64_json(part: &str) -> serde_json::Value {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64");
    serde_json::from_slice(&bytes).expect("json")
}

async fn registering_a_taken_phone_or_email_fails_and_releases_what_it_claimed(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;

    let same_phone = t
        .auth
        .register(account("+8613812345678", "bob@example.com"))
        .await;
    assert!(matches!(same_phone, Err(Error::AccountExists)));
    let same_email = t
        .auth
        .register(account("13900000000", "ALICE@example.com"))
        .await;
    assert!(matches!(same_email, Err(Error::AccountExists)));

    // The failed attempts released the phone and email they had claimed.
    let bob = t.register("13900000000", "bob@example.com").await;
    assert_eq!(bob.phone, "+8613900000000");
}

async fn concurrent_registrations_of_one_phone_or_email_admit_exactly_one(b: Backend) {
    const TASKS: usize = 24;
    let t = TestAuth::spawn(b).await;
    // Three instances over one storage area, as three gateway processes would be.
    let instances = Arc::new([t.auth.clone(), t.sibling().await, t.sibling().await]);

    let same_phone = (0..TASKS).map(|i| {
        let instances = Arc::clone(&instances);
        tokio::spawn(async move {
            let a = account("13812345678", &format!("user{i}@example.com"));
            instances[i % 3].register(a).await
        })
    });
    let results = futures::future::join_all(same_phone).await;
    assert_exactly_one_succeeded(results);

    let same_email = (0..TASKS).map(|i| {
        let instances = Arc::clone(&instances);
        tokio::spawn(async move {
            let a = account(&format!("+44770090{i:04}"), "shared@example.com");
            instances[i % 3].register(a).await
        })
    });
    let results = futures::future::join_all(same_email).await;
    assert_exactly_one_succeeded(results);

    // Losers released their claims: their other phone numbers are still free.
    let loser_phone = (0..TASKS)
        .map(|i| format!("+44770090{i:04}"))
        .find(|p| std::fs::metadata(t.dir.path().join(format!("index/phone/{p}"))).is_err())
        .expect("a phone that lost the race");
    t.register(&loser_phone, "late@example.com").await;
}

fn assert_exactly_one_succeeded(
    results: Vec<Result<Result<auth::User, Error>, tokio::task::JoinError>>,
) {
    let mut ok = 0;
    for result in results {
        match result.expect("task") {
            Ok(_) => ok += 1,
            Err(Error::AccountExists) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(ok, 1, "exactly one registration must win");
}

async fn every_invalid_field_is_reported_and_long_passwords_are_rejected(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let mut bad = account("12345", "not-an-email");
    bad.password = "p".repeat(73);
    let Err(Error::Validation(errors)) = t.auth.register(bad).await else {
        panic!("expected validation errors");
    };
    let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
    assert_eq!(fields, ["phone", "email", "password"]);
    assert!(errors[2].reason.contains("at most 72 bytes"));

    let mut short = account("13812345678", "alice@example.com");
    short.password = "short".into();
    assert!(
        matches!(t.auth.register(short).await, Err(Error::Validation(e)) if e[0].field == "password")
    );

    // A 72-byte password is accepted whole: one more byte would not match.
    let mut max = account("13812345678", "alice@example.com");
    max.password = "p".repeat(72);
    t.auth.register(max).await.expect("72 bytes is allowed");
    let (exact, longer) = ("p".repeat(72), "p".repeat(73));
    let login = |pw| t.auth.login("alice@example.com", pw, no_device(), None);
    assert!(login(&exact).await.is_ok());
    assert!(matches!(
        login(&longer).await,
        Err(Error::InvalidCredentials)
    ));
}

async fn an_unknown_user_gets_the_same_error_as_a_wrong_password(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    let wrong_password = t
        .auth
        .login("alice@example.com", "wrong password", no_device(), None)
        .await;
    let unknown_email = t
        .auth
        .login("nobody@example.com", PASSWORD, no_device(), None)
        .await;
    let unknown_phone = t
        .auth
        .login("13900000000", PASSWORD, no_device(), None)
        .await;
    let nonsense = t
        .auth
        .login("not a login", PASSWORD, no_device(), None)
        .await;
    for result in [wrong_password, unknown_email, unknown_phone, nonsense] {
        let err = result.expect_err("must fail");
        assert!(matches!(err, Error::InvalidCredentials), "{err:?}");
        assert_eq!(err.to_string(), "invalid login or password");
    }
}

async fn an_unknown_user_id_is_user_not_found(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let result = t.auth.user(uuid::Uuid::new_v4()).await;
    assert!(matches!(result, Err(Error::UserNotFound)));
}
