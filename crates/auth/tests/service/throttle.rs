//! Login throttling.

use auth::{Device, Error};

use crate::support::{Backend, MAX_FAILURES, PASSWORD, TestAuth, WINDOW_SECS, no_device};

both_backends!(
    too_many_failures_lock_the_identifier_even_for_the_right_password,
    a_success_clears_the_identifiers_counter,
    unknown_identifiers_are_throttled_like_known_ones,
    wrong_old_passwords_on_change_are_throttled,
);

async fn too_many_failures_lock_the_identifier_even_for_the_right_password(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    t.register("13900000000", "bob@example.com").await;
    for _ in 0..MAX_FAILURES {
        let r = t
            .auth
            .login("alice@example.com", "wrong-password", no_device(), None)
            .await;
        assert!(matches!(r, Err(Error::InvalidCredentials)));
    }
    // Same account by another identifier form is the same counter.
    for login in ["alice@example.com", "ALICE@example.com"] {
        let err = t
            .auth
            .login(login, PASSWORD, no_device(), None)
            .await
            .expect_err("throttled");
        let Error::TooManyAttempts { retry_after_secs } = err else {
            panic!("expected TooManyAttempts, got {err:?}");
        };
        assert!((1..=WINDOW_SECS).contains(&retry_after_secs));
    }
    // Others are not affected.
    t.auth
        .login("bob@example.com", PASSWORD, no_device(), None)
        .await
        .expect("bob logs in");
}

async fn a_success_clears_the_identifiers_counter(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    let device = || Device {
        user_agent: None,
        ip: Some("192.0.2.1".into()),
    };
    for _ in 0..2 {
        for _ in 0..MAX_FAILURES - 1 {
            let r = t
                .auth
                .login("13812345678", "wrong-password", device(), None)
                .await;
            assert!(matches!(r, Err(Error::InvalidCredentials)));
        }
        t.auth
            .login("13812345678", PASSWORD, device(), None)
            .await
            .expect("a success before the limit");
    }
}

async fn unknown_identifiers_are_throttled_like_known_ones(b: Backend) {
    let t = TestAuth::spawn(b).await;
    for _ in 0..MAX_FAILURES {
        let r = t
            .auth
            .login("ghost@example.com", PASSWORD, no_device(), None)
            .await;
        assert!(matches!(r, Err(Error::InvalidCredentials)));
    }
    let r = t
        .auth
        .login("ghost@example.com", PASSWORD, no_device(), None)
        .await;
    assert!(matches!(r, Err(Error::TooManyAttempts { .. })));
}

async fn wrong_old_passwords_on_change_are_throttled(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    let p = t.principal(&t.login("alice@example.com").await).await;
    for _ in 0..MAX_FAILURES {
        let r = t
            .auth
            .change_password(&p, "guess-guess", "new password 1")
            .await;
        assert!(matches!(r, Err(Error::InvalidCredentials)));
    }
    let r = t.auth.change_password(&p, PASSWORD, "new password 1").await;
    assert!(matches!(r, Err(Error::TooManyAttempts { .. })));
}
