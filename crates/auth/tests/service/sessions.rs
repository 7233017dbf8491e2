//! Session listing, revocation and limits, seed sessions, and password changes (with the
//! login/password-change race).

use std::time::{Duration, Instant};

use auth::{Device, Error, Scope, Settings};

use crate::support::{Backend, PASSWORD, TestAuth, from_ip, no_device, settings};

both_backends!(
    a_user_lists_their_sessions_with_devices_and_the_current_one_marked,
    a_user_revokes_one_of_their_sessions_but_not_anyone_elses,
    changing_the_password_keeps_this_session_and_revokes_the_others,
    changing_the_password_by_login_revokes_every_session,
    changing_the_password_keeps_api_tokens,
    a_login_racing_a_password_change_never_leaves_a_session_made_with_the_old_password,
    logging_in_beyond_max_sessions_per_user_ends_the_oldest_session,
    a_seed_login_session_ends_with_its_access_token,
);

async fn a_user_lists_their_sessions_with_devices_and_the_current_one_marked(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    t.register("13900000000", "bob@example.com").await;
    let pc = t.login_from("alice@example.com", "Mozilla/5.0 (X11)").await;
    let phone = t.login_from("13812345678", "Mozilla/5.0 (iPhone)").await;
    t.login("bob@example.com").await;
    let p = t.principal(&pc).await;

    let sessions = t.auth.sessions(&p).await.expect("sessions");

    assert_eq!(sessions.len(), 2, "bob's session is not listed");
    let current = sessions.iter().find(|s| s.current).expect("current");
    assert_eq!(current.id, pc.session_id);
    assert_eq!(current.user_agent.as_deref(), Some("Mozilla/5.0 (X11)"));
    assert_eq!(current.ip.as_deref(), Some("127.0.0.1"));
    let other = sessions.iter().find(|s| !s.current).expect("other");
    assert_eq!(other.id, phone.session_id);
    assert_eq!(other.user_agent.as_deref(), Some("Mozilla/5.0 (iPhone)"));
    assert!(other.last_seen >= other.created_at);
}

async fn a_user_revokes_one_of_their_sessions_but_not_anyone_elses(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    t.register("13900000000", "bob@example.com").await;
    let a1 = t.login("alice@example.com").await;
    let a2 = t.login("alice@example.com").await;
    let bob = t.login("bob@example.com").await;
    let p = t.principal(&a1).await;

    let r = t.auth.revoke_session(&p, &bob.session_id).await;
    assert!(matches!(r, Err(Error::SessionNotFound)));
    t.principal(&bob).await;
    for id in ["nope", "../../etc", &"0".repeat(32)] {
        let r = t.auth.revoke_session(&p, id).await;
        assert!(matches!(r, Err(Error::SessionNotFound)), "{id}");
    }

    t.auth
        .revoke_session(&p, &a2.session_id)
        .await
        .expect("revoke");
    let r = t.auth.authenticate(&a2.access_token).await;
    assert!(matches!(r, Err(Error::SessionRevoked)));
    let left = t.auth.sessions(&p).await.expect("sessions");
    assert_eq!(left.len(), 1);
    assert!(left[0].current);
}

async fn changing_the_password_keeps_this_session_and_revokes_the_others(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    let here = t.login("alice@example.com").await;
    let elsewhere = t.login("alice@example.com").await;
    let p = t.principal(&here).await;

    let wrong = t
        .auth
        .change_password(&p, "not my password", "brand new pw", None)
        .await;
    assert!(matches!(wrong, Err(Error::InvalidCredentials)));
    let too_long = t
        .auth
        .change_password(&p, PASSWORD, &"x".repeat(73), None)
        .await;
    assert!(
        matches!(&too_long, Err(Error::Validation(e)) if e[0].field == "newPassword" && e[0].reason.contains("at most 72 bytes")),
        "{too_long:?}"
    );
    t.principal(&elsewhere).await; // nothing changed yet

    t.auth
        .change_password(&p, PASSWORD, "brand new pw", None)
        .await
        .expect("change");

    t.principal(&here).await;
    let r = t.auth.authenticate(&elsewhere.access_token).await;
    assert!(matches!(r, Err(Error::SessionRevoked)));
    let old = t
        .auth
        .login("alice@example.com", PASSWORD, no_device(), None)
        .await;
    assert!(matches!(old, Err(Error::InvalidCredentials)));
    t.auth
        .login("alice@example.com", "brand new pw", no_device(), None)
        .await
        .expect("new password works");
}

async fn changing_the_password_by_login_revokes_every_session(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    let pair = t.login("alice@example.com").await;

    let wrong = t
        .auth
        .change_password_by_login("13812345678", "bad password", "brand new pw", None)
        .await;
    assert!(matches!(wrong, Err(Error::InvalidCredentials)));
    t.auth
        .change_password_by_login("13812345678", PASSWORD, "brand new pw", None)
        .await
        .expect("change");

    let r = t.auth.authenticate(&pair.access_token).await;
    assert!(matches!(r, Err(Error::SessionRevoked)));
    let device = Device::default();
    t.auth
        .login("13812345678", "brand new pw", device, None)
        .await
        .expect("new password works");
}

async fn changing_the_password_keeps_api_tokens(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    let p = t.principal(&t.login("alice@example.com").await).await;
    let token = t
        .auth
        .create_token(&p, "ci", vec![Scope::Upload], None)
        .await
        .expect("token");

    t.auth
        .change_password(&p, PASSWORD, "brand new pw", None)
        .await
        .expect("change");

    let via_token = t.auth.authenticate(&token.secret).await.expect("token");
    assert_eq!(via_token.user_id, p.user_id);
}

async fn a_login_racing_a_password_change_never_leaves_a_session_made_with_the_old_password(
    b: Backend,
) {
    const ROUNDS: u32 = 30;
    let t = TestAuth::spawn_with(
        b,
        Settings {
            login_max_failures: 1000,
            ..settings()
        },
    )
    .await;
    t.register("13812345678", "alice@example.com").await;
    let mine = t.login("alice@example.com").await;
    let p = t.principal(&mine).await;
    let started = Instant::now();
    t.login("alice@example.com").await;
    let one_login = started.elapsed();
    let mut current = PASSWORD.to_owned();
    let mut old_password_logins = 0;

    for round in 0..ROUNDS {
        let new = format!("new password {round}");
        // Spread the login's start over the whole change (verify, hash, write, end sessions).
        let delay = one_login * (round % 10) / 4;
        let login = {
            let (auth, old) = (t.auth.clone(), current.clone());
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                auth.login("alice@example.com", &old, from_ip("192.0.2.1"), None)
                    .await
            })
        };
        t.auth
            .change_password(&p, &current, &new, None)
            .await
            .expect("change");
        let login = login.await.expect("task");

        if let Ok((_, pair)) = login {
            old_password_logins += 1;
            let r = t.auth.authenticate(&pair.access_token).await;
            assert!(
                matches!(r, Err(Error::SessionRevoked)),
                "round {round}: a session made with the old password authenticates: {r:?}"
            );
        } else {
            assert!(matches!(login, Err(Error::InvalidCredentials)), "{login:?}");
        }
        t.principal(&mine).await; // the changer's own session stays valid
        current = new;
    }
    let sessions = t.auth.sessions(&p).await.expect("sessions");
    assert_eq!(sessions.len(), 1, "only the changer's session is left");
    assert!(old_password_logins > 0, "the race was never exercised");
    t.auth
        .login("alice@example.com", &current, no_device(), None)
        .await
        .expect("the current password works");
}

async fn logging_in_beyond_max_sessions_per_user_ends_the_oldest_session(b: Backend) {
    let t = TestAuth::spawn_with(
        b,
        Settings {
            max_sessions_per_user: 3,
            ..settings()
        },
    )
    .await;
    t.register("13812345678", "alice@example.com").await;
    let mut pairs = Vec::new();
    for _ in 0..3 {
        pairs.push(t.login("alice@example.com").await);
    }

    let newest = t.login("alice@example.com").await;

    let oldest = t.auth.authenticate(&pairs[0].access_token).await;
    assert!(matches!(oldest, Err(Error::SessionRevoked)), "{oldest:?}");
    for pair in &pairs[1..] {
        t.principal(pair).await;
    }
    let p = t.principal(&newest).await;
    assert_eq!(t.auth.sessions(&p).await.expect("sessions").len(), 3);
}

async fn a_seed_login_session_ends_with_its_access_token(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;

    let (_, pair) = t
        .auth
        .login(
            "13812345678",
            PASSWORD,
            no_device(),
            Some(Duration::from_secs(2)),
        )
        .await
        .expect("login");

    assert_eq!(pair.expires_in, 2);
    t.principal(&pair).await;
    if t.redis.is_some() {
        let ttl = t.redis_ttl(&format!("session:{}", pair.session_id));
        assert!((1..=2).contains(&ttl), "session ttl {ttl}");
    }
    tokio::time::sleep(Duration::from_millis(2200)).await;
    // The JWT is still within its leeway; the session is not.
    let r = t.auth.authenticate(&pair.access_token).await;
    assert!(matches!(r, Err(Error::SessionRevoked)), "{r:?}");
    let r = t.auth.refresh(&pair.refresh_token).await;
    assert!(matches!(r, Err(Error::SessionRevoked)), "{r:?}");
}
