//! API tokens: creation (secret shown once, only a hash stored), use, listing, revocation,
//! expiry, scopes and limits.

use std::sync::Arc;
use std::time::Duration;

use auth::{Auth, Error, MemoryStore, Principal, Scope, Settings, Via};
use time::OffsetDateTime;

use crate::support::{Backend, PASSWORD, TestAuth, account, no_device, operator, settings};

both_backends!(
    a_new_token_works_at_once_and_its_secret_is_stored_nowhere,
    tokens_are_listed_newest_first_with_created_last_used_and_expiry,
    a_revoked_token_is_refused_at_once,
    an_expired_token_is_token_expired_and_no_longer_listed,
    a_wrong_secret_is_an_invalid_token,
    scopes_round_trip_without_duplicates,
    bad_token_input_is_rejected_naming_each_field,
    a_user_cannot_hold_more_than_max_tokens_per_user,
    only_the_owner_can_revoke_a_token,
    logging_out_with_a_token_changes_nothing,
);

async fn alice(t: &TestAuth) -> Principal {
    t.register("13812345678", "alice@example.com").await;
    t.principal(&t.login("alice@example.com").await).await
}

/// The part of a token after `pgt_<id>_`.
/// The secret of `pgt_<id>_<secret>`: the id is hex, the secret base64url (which may itself
/// hold `_`), so it is everything after the second `_`.
fn secret_part(token: &str) -> &str {
    token
        .strip_prefix("pgt_")
        .and_then(|rest| rest.split_once('_'))
        .map_or(token, |(_, s)| s)
}

async fn a_new_token_works_at_once_and_its_secret_is_stored_nowhere(b: Backend) {
    // In memory: an Auth over a store this test can inspect.
    let t = TestAuth::spawn(b).await;
    let memory = Arc::new(MemoryStore::new());
    let auth = match b {
        Backend::Redis => t.auth.clone(),
        Backend::Memory => Auth::with_store(&t.settings, operator(&t.dir), memory.clone())
            .await
            .expect("auth"),
    };
    let user = auth
        .register(account("13812345678", "alice@example.com"))
        .await
        .expect("register");
    let (_, pair) = auth
        .login("alice@example.com", PASSWORD, no_device(), None)
        .await
        .expect("login");
    let p = auth.authenticate(&pair.access_token).await.expect("p");

    let created = auth
        .create_token(&p, "ci upload", vec![Scope::Upload], None)
        .await
        .expect("token");

    assert!(created.secret.starts_with("pgt_"));
    assert!(created.secret.contains(&created.token.id));
    let via = auth
        .authenticate(&created.secret)
        .await
        .expect("token works");
    assert_eq!(via.user_id, user.id);
    assert_eq!(
        via.via,
        Via::Token {
            id: created.token.id.clone(),
            scopes: vec![Scope::Upload]
        }
    );
    assert_eq!(via.session_id(), None);
    let secret = secret_part(&created.secret);
    let stored = match b {
        Backend::Redis => t.redis_dump().await,
        Backend::Memory => format!("{memory:?}"),
    };
    assert!(
        stored.contains(&created.token.id),
        "the scan sees the token"
    );
    assert!(!stored.contains(secret), "secret stored: {stored}");
    for file in walk(t.dir.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).expect("read")).into_owned();
        assert!(!text.contains(secret), "secret in {}", file.display());
    }
    assert!(!format!("{created:?}").contains(secret));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

async fn tokens_are_listed_newest_first_with_created_last_used_and_expiry(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let p = alice(&t).await;
    let before = OffsetDateTime::now_utc().replace_nanosecond(0).expect("ns");
    let forever = t
        .auth
        .create_token(&p, "forever", vec![Scope::Read], None)
        .await
        .expect("token");
    let day = Duration::from_secs(24 * 3600);
    let daily = t
        .auth
        .create_token(&p, "daily", vec![Scope::Read], Some(day))
        .await
        .expect("token");
    t.auth.authenticate(&forever.secret).await.expect("use");

    let listed = t.auth.tokens(p.user_id).await.expect("tokens");

    let names: Vec<_> = listed.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["daily", "forever"], "newest first");
    let (d, f) = (&listed[0], &listed[1]);
    assert!(f.created_at >= before && d.created_at >= f.created_at);
    assert!(f.last_used.is_some_and(|u| u >= f.created_at), "{f:?}");
    assert_eq!(d.last_used, None);
    assert_eq!(f.expires_at, None);
    assert_eq!(d.expires_at, Some(d.created_at + day));
    assert_eq!(d, &daily.token);
}

async fn a_revoked_token_is_refused_at_once(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let p = alice(&t).await;
    let token = t
        .auth
        .create_token(&p, "ci", vec![Scope::Read], None)
        .await
        .expect("token");
    t.auth.authenticate(&token.secret).await.expect("works");

    t.auth
        .revoke_token(p.user_id, &token.token.id)
        .await
        .expect("revoke");

    let r = t.auth.authenticate(&token.secret).await;
    assert!(matches!(r, Err(Error::SessionRevoked)), "{r:?}");
    assert!(t.auth.tokens(p.user_id).await.expect("tokens").is_empty());
    let again = t.auth.revoke_token(p.user_id, &token.token.id).await;
    assert!(matches!(again, Err(Error::TokenNotFound)), "{again:?}");
}

async fn an_expired_token_is_token_expired_and_no_longer_listed(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let p = alice(&t).await;
    let token = t
        .auth
        .create_token(&p, "short", vec![Scope::Read], Some(Duration::from_secs(1)))
        .await
        .expect("token");
    t.auth.authenticate(&token.secret).await.expect("works");

    tokio::time::sleep(Duration::from_millis(2100)).await;

    let r = t.auth.authenticate(&token.secret).await;
    assert!(matches!(r, Err(Error::TokenExpired)), "{r:?}");
    assert!(t.auth.tokens(p.user_id).await.expect("tokens").is_empty());
}

async fn a_wrong_secret_is_an_invalid_token(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let p = alice(&t).await;
    let token = t
        .auth
        .create_token(&p, "ci", vec![Scope::Read], None)
        .await
        .expect("token");
    let secret = secret_part(&token.secret);
    let mut flipped = secret.to_owned().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let wrong = format!(
        "pgt_{}_{}",
        token.token.id,
        String::from_utf8(flipped).expect("ascii")
    );

    let r = t.auth.authenticate(&wrong).await;

    assert!(matches!(r, Err(Error::InvalidToken)), "{r:?}");
    for garbage in ["pgt_", "pgt_x_y", &format!("pgt_{}", token.token.id)] {
        let r = t.auth.authenticate(garbage).await;
        assert!(matches!(r, Err(Error::InvalidToken)), "{garbage}: {r:?}");
    }
    t.auth
        .authenticate(&token.secret)
        .await
        .expect("still works");
}

async fn scopes_round_trip_without_duplicates(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let p = alice(&t).await;

    let token = t
        .auth
        .create_token(
            &p,
            "many",
            vec![Scope::Upload, Scope::Read, Scope::Upload, Scope::Admin],
            None,
        )
        .await
        .expect("token");

    let expected = vec![Scope::Upload, Scope::Read, Scope::Admin];
    assert_eq!(token.token.scopes, expected);
    let via = t.auth.authenticate(&token.secret).await.expect("works").via;
    assert!(matches!(via, Via::Token { scopes, .. } if scopes == expected));
    let listed = t.auth.tokens(p.user_id).await.expect("tokens");
    assert_eq!(listed[0].scopes, expected);
}

/// Name, scopes, lifetime, and the fields expected to be rejected.
type TokenCase<'a> = (&'a str, Vec<Scope>, Option<Duration>, &'a [&'a str]);

async fn bad_token_input_is_rejected_naming_each_field(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let p = alice(&t).await;
    let long = "n".repeat(65);
    let cases: [TokenCase; 4] = [
        (
            "",
            vec![],
            Some(Duration::ZERO),
            &["name", "scopes", "expiresIn"],
        ),
        (&long, vec![Scope::Read], None, &["name"]),
        ("tab\there", vec![Scope::Read], None, &["name"]),
        (
            "ok",
            vec![Scope::Read],
            Some(Duration::from_millis(10)),
            &["expiresIn"],
        ),
    ];
    for (name, scopes, expires_in, fields) in cases {
        let r = t.auth.create_token(&p, name, scopes, expires_in).await;

        let Err(Error::Validation(errors)) = r else {
            panic!("{name:?}: expected validation errors, got {r:?}");
        };
        let got: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(got, fields, "{name:?}");
    }
    assert!(t.auth.tokens(p.user_id).await.expect("tokens").is_empty());
    let longest = "n".repeat(auth::MAX_TOKEN_NAME_CHARS);
    t.auth
        .create_token(&p, &longest, vec![Scope::Read], None)
        .await
        .expect("64 characters is allowed");
}

async fn a_user_cannot_hold_more_than_max_tokens_per_user(b: Backend) {
    let t = TestAuth::spawn_with(
        b,
        Settings {
            max_tokens_per_user: 2,
            ..settings()
        },
    )
    .await;
    let p = alice(&t).await;
    let first = t
        .auth
        .create_token(&p, "1", vec![Scope::Read], None)
        .await
        .expect("1");
    t.auth
        .create_token(&p, "2", vec![Scope::Read], None)
        .await
        .expect("2");

    let third = t.auth.create_token(&p, "3", vec![Scope::Read], None).await;

    assert!(
        matches!(&third, Err(Error::Validation(e)) if e[0].field == "name" && e[0].reason.contains("limit")),
        "{third:?}"
    );
    t.auth
        .revoke_token(p.user_id, &first.token.id)
        .await
        .expect("revoke");
    t.auth
        .create_token(&p, "3", vec![Scope::Read], None)
        .await
        .expect("room again");
}

async fn only_the_owner_can_revoke_a_token(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let p = alice(&t).await;
    let bob = t.register("13900000000", "bob@example.com").await;
    let token = t
        .auth
        .create_token(&p, "ci", vec![Scope::Read], None)
        .await
        .expect("token");

    let by_bob = t.auth.revoke_token(bob.id, &token.token.id).await;
    let malformed = t.auth.revoke_token(p.user_id, "../../etc").await;

    assert!(matches!(by_bob, Err(Error::TokenNotFound)), "{by_bob:?}");
    assert!(
        matches!(malformed, Err(Error::TokenNotFound)),
        "{malformed:?}"
    );
    t.auth
        .authenticate(&token.secret)
        .await
        .expect("still works");
}

async fn logging_out_with_a_token_changes_nothing(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let p = alice(&t).await;
    let token = t
        .auth
        .create_token(&p, "ci", vec![Scope::Read], None)
        .await
        .expect("token");
    let via_token = t.auth.authenticate(&token.secret).await.expect("works");

    t.auth.logout(&via_token).await.expect("logout");

    t.auth
        .authenticate(&token.secret)
        .await
        .expect("still works");
    assert_eq!(t.auth.sessions(&p).await.expect("sessions").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_on_a_second_instance_is_refused_on_the_first_at_once() {
    let t = TestAuth::spawn(Backend::Redis).await;
    let other = t.sibling().await;
    let p = alice(&t).await;
    let token = t
        .auth
        .create_token(&p, "ci", vec![Scope::Read], None)
        .await
        .expect("token");
    t.auth.authenticate(&token.secret).await.expect("works");

    other
        .revoke_token(p.user_id, &token.token.id)
        .await
        .expect("revoke");

    let r = t.auth.authenticate(&token.secret).await;
    assert!(matches!(r, Err(Error::SessionRevoked)), "{r:?}");
}
