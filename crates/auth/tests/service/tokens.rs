//! Access tokens, refresh rotation and logout.

use std::time::Duration;

use auth::Error;

use crate::support::{Backend, PASSWORD, TestAuth, no_device};

both_backends!(
    a_refresh_rotates_the_pair_within_the_same_session,
    reusing_a_spent_refresh_token_revokes_the_session,
    concurrent_refreshes_of_one_token_let_exactly_one_through,
    logout_revokes_the_session_at_once,
    tokens_from_another_secret_or_garbage_are_invalid,
    seed_clients_get_the_access_lifetime_they_ask_for,
);

async fn a_refresh_rotates_the_pair_within_the_same_session(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let user = t.register("13812345678", "alice@example.com").await;
    let first = t.login("alice@example.com").await;
    let second = t.auth.refresh(&first.refresh_token).await.expect("refresh");
    assert_eq!(second.session_id, first.session_id);
    assert_ne!(second.refresh_token, first.refresh_token);
    let p = t.principal(&second).await;
    assert_eq!(p.user_id, user.id);
    // The old access token still names a live session until it expires.
    t.principal(&first).await;
    let third = t
        .auth
        .refresh(&second.refresh_token)
        .await
        .expect("refresh again");
    assert_eq!(third.session_id, first.session_id);
}

async fn reusing_a_spent_refresh_token_revokes_the_session(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    let first = t.login("alice@example.com").await;
    let second = t.auth.refresh(&first.refresh_token).await.expect("refresh");

    let reuse = t.auth.refresh(&first.refresh_token).await;
    assert!(matches!(reuse, Err(Error::SessionRevoked)));
    // Everyone holding this session is out: the thief and the legitimate client.
    let access = t.auth.authenticate(&second.access_token).await;
    assert!(matches!(access, Err(Error::SessionRevoked)));
    let refresh = t.auth.refresh(&second.refresh_token).await;
    assert!(matches!(refresh, Err(Error::SessionRevoked)));

    let malformed = t.auth.refresh("not-a-refresh-token").await;
    assert!(matches!(malformed, Err(Error::InvalidToken)));
}

async fn concurrent_refreshes_of_one_token_let_exactly_one_through(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    let pair = t.login("alice@example.com").await;
    let attempts = (0..8).map(|_| {
        let auth = t.auth.clone();
        let token = pair.refresh_token.clone();
        tokio::spawn(async move { auth.refresh(&token).await })
    });
    let results = futures::future::join_all(attempts).await;
    let mut ok = 0;
    for r in results {
        match r.expect("task") {
            Ok(_) => ok += 1,
            Err(Error::SessionRevoked) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ok, 1);
}

async fn logout_revokes_the_session_at_once(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    let pair = t.login("alice@example.com").await;
    let other = t.login("alice@example.com").await;
    let p = t.principal(&pair).await;

    t.auth.logout(&p).await.expect("logout");

    let access = t.auth.authenticate(&pair.access_token).await;
    assert!(matches!(access, Err(Error::SessionRevoked)));
    let refresh = t.auth.refresh(&pair.refresh_token).await;
    assert!(matches!(refresh, Err(Error::SessionRevoked)));
    t.principal(&other).await; // other sessions are untouched
    t.auth.logout(&p).await.expect("logging out twice is fine");
}

async fn tokens_from_another_secret_or_garbage_are_invalid(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let other = TestAuth::spawn(Backend::Memory).await;
    other.register("13812345678", "alice@example.com").await;
    let foreign = other.login("alice@example.com").await;
    let r = t.auth.authenticate(&foreign.access_token).await;
    assert!(matches!(r, Err(Error::InvalidToken)));
    for garbage in ["", "x", "a.b.c"] {
        assert!(matches!(
            t.auth.authenticate(garbage).await,
            Err(Error::InvalidToken)
        ));
    }
}

async fn seed_clients_get_the_access_lifetime_they_ask_for(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    let ttl = Duration::from_secs(t.settings.compat_token_ttl_secs);
    let (_, pair) = t
        .auth
        .login("13812345678", PASSWORD, no_device(), Some(ttl))
        .await
        .expect("login");
    assert_eq!(pair.expires_in, t.settings.compat_token_ttl_secs);
    t.principal(&pair).await;
}
