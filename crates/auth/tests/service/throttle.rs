//! Login throttling: attempts are reserved before the password is checked.

use std::time::{Duration, Instant};

use auth::{Error, Settings};

use crate::support::{
    Backend, MAX_FAILURES, PASSWORD, TestAuth, from_ip, no_device, refused, settings,
};

both_backends!(
    too_many_failures_delay_even_the_right_password,
    a_success_clears_the_accounts_counter,
    unknown_identifiers_are_throttled_like_known_ones,
    phone_and_email_of_one_account_share_one_counter,
    wrong_old_passwords_on_change_are_throttled,
    fifty_concurrent_wrong_logins_evaluate_at_most_max_failures_plus_one_passwords,
    fifty_concurrent_wrong_logins_are_bounded_even_when_bcrypt_is_slow,
    the_owner_logs_in_at_once_from_a_clean_ip_while_another_ip_attacks,
    nobody_is_refused_longer_than_the_max_delay_by_the_account_counter,
    thirty_successful_logins_in_a_row_from_one_ip_are_never_throttled,
    many_accounts_guessed_from_one_ip_hit_the_ip_limit,
);

async fn too_many_failures_delay_even_the_right_password(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    t.register("13900000000", "bob@example.com").await;
    for _ in 0..MAX_FAILURES {
        let r = t
            .try_login("alice@example.com", "wrong-password", None)
            .await;
        assert!(matches!(r, Err(Error::InvalidCredentials)));
    }

    let right = t.try_login("ALICE@example.com", PASSWORD, None).await;
    let bob = t.try_login("bob@example.com", PASSWORD, None).await;

    let retry = refused(right);
    assert!((1..=t.settings.login_max_delay_secs).contains(&retry));
    bob.expect("bob is not alice");
}

async fn a_success_clears_the_accounts_counter(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    for _ in 0..2 {
        for _ in 0..MAX_FAILURES - 1 {
            let r = t
                .try_login("13812345678", "wrong-password", Some("192.0.2.1"))
                .await;
            assert!(matches!(r, Err(Error::InvalidCredentials)));
        }
        t.try_login("alice@example.com", PASSWORD, Some("192.0.2.1"))
            .await
            .expect("a success before the limit");
    }
}

async fn unknown_identifiers_are_throttled_like_known_ones(b: Backend) {
    let t = TestAuth::spawn(b).await;
    for _ in 0..MAX_FAILURES {
        let r = t.try_login("ghost@example.com", PASSWORD, None).await;
        assert!(matches!(r, Err(Error::InvalidCredentials)));
    }

    let r = t.try_login("Ghost@Example.com", PASSWORD, None).await;

    refused(r);
}

async fn phone_and_email_of_one_account_share_one_counter(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    for login in ["13812345678", "alice@example.com", "+86 138 1234 5678"] {
        let r = t
            .try_login(login, "wrong-password", Some("192.0.2.7"))
            .await;
        assert!(matches!(r, Err(Error::InvalidCredentials)));
    }

    let by_email = t
        .try_login("alice@example.com", PASSWORD, Some("192.0.2.7"))
        .await;
    let by_phone = t
        .try_login("13812345678", PASSWORD, Some("192.0.2.7"))
        .await;

    refused(by_email);
    refused(by_phone);
}

async fn wrong_old_passwords_on_change_are_throttled(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    let p = t.principal(&t.login("alice@example.com").await).await;
    for _ in 0..MAX_FAILURES {
        let r = t
            .auth
            .change_password(&p, "guess-guess", "new password 1", Some("192.0.2.9"))
            .await;
        assert!(matches!(r, Err(Error::InvalidCredentials)));
    }

    let r = t
        .auth
        .change_password(&p, PASSWORD, "new password 1", Some("192.0.2.9"))
        .await;

    refused(r);
}

/// 10 wrong logins start; a moment later the right password and 39 more wrong ones, all from
/// one IP and all at once. Returns (right password's result, number of passwords evaluated).
async fn attack(t: &TestAuth) -> (Result<(), Error>, usize) {
    let spawn = |password: &'static str| {
        let auth = t.auth.clone();
        tokio::spawn(async move {
            auth.login("alice@example.com", password, from_ip("203.0.113.5"), None)
                .await
                .map(drop)
        })
    };
    let mut tasks: Vec<_> = (0..10).map(|_| spawn("wrong-password")).collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let right = spawn(PASSWORD);
    tasks.extend((0..39).map(|_| spawn("wrong-password")));
    let right = right.await.expect("task");
    let mut evaluated = usize::from(!matches!(right, Err(Error::TooManyAttempts { .. })));
    for task in tasks {
        match task.await.expect("task") {
            Err(Error::InvalidCredentials) => evaluated += 1,
            Err(Error::TooManyAttempts { .. }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    (right, evaluated)
}

async fn fifty_concurrent_wrong_logins_evaluate_at_most_max_failures_plus_one_passwords(
    b: Backend,
) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;

    let (right, evaluated) = attack(&t).await;

    refused(right);
    assert!(
        evaluated <= MAX_FAILURES as usize + 1,
        "{evaluated} passwords evaluated"
    );
}

async fn fifty_concurrent_wrong_logins_are_bounded_even_when_bcrypt_is_slow(b: Backend) {
    let slow = Settings {
        bcrypt_cost: 10,
        ..settings()
    };
    let t = TestAuth::spawn_with(b, slow).await;
    t.register("13812345678", "alice@example.com").await;

    let (right, evaluated) = attack(&t).await;

    refused(right);
    assert!(
        evaluated <= MAX_FAILURES as usize + 1,
        "{evaluated} passwords evaluated"
    );
}

async fn the_owner_logs_in_at_once_from_a_clean_ip_while_another_ip_attacks(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    for _ in 0..3 * MAX_FAILURES {
        let _ = t
            .try_login("alice@example.com", "wrong-password", Some("203.0.113.5"))
            .await;
    }
    let attacker = t
        .try_login("alice@example.com", PASSWORD, Some("203.0.113.5"))
        .await;

    let owner = t
        .try_login("alice@example.com", PASSWORD, Some("198.51.100.1"))
        .await;
    let attacker_after = t
        .try_login("alice@example.com", PASSWORD, Some("203.0.113.5"))
        .await;

    refused(attacker);
    owner.expect("the owner on a clean IP is not delayed");
    refused(attacker_after);
}

async fn nobody_is_refused_longer_than_the_max_delay_by_the_account_counter(b: Backend) {
    let t = TestAuth::spawn_with(
        b,
        Settings {
            login_max_delay_secs: 2,
            ..settings()
        },
    )
    .await;
    t.register("13812345678", "alice@example.com").await;
    let (attacker, other) = (Some("203.0.113.5"), Some("198.51.100.1"));
    let r = t
        .try_login("alice@example.com", "wrong-password", other)
        .await;
    assert!(matches!(r, Err(Error::InvalidCredentials)));
    // Push the account counter well past the point where the delay would exceed 2 s.
    let mut failures = 1;
    let deadline = Instant::now() + Duration::from_secs(20);
    while failures < MAX_FAILURES + 3 {
        assert!(Instant::now() < deadline, "attack did not progress");
        match t.try_login("alice@example.com", "wrong", attacker).await {
            Err(Error::InvalidCredentials) => failures += 1,
            Err(Error::TooManyAttempts { retry_after_secs }) => {
                assert!(retry_after_secs <= 2, "{retry_after_secs}");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    let from_attacker = refused(t.try_login("alice@example.com", PASSWORD, attacker).await);
    let from_other = refused(t.try_login("alice@example.com", PASSWORD, other).await);
    tokio::time::sleep(Duration::from_secs(from_other.max(from_attacker))).await;
    let later = t.try_login("alice@example.com", PASSWORD, other).await;

    assert!(from_attacker <= 2, "{from_attacker}");
    assert!(from_other <= 2, "{from_other}");
    later.expect("after the capped delay the owner gets in");
}

async fn thirty_successful_logins_in_a_row_from_one_ip_are_never_throttled(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;

    for i in 0..30 {
        let r = t
            .try_login("alice@example.com", PASSWORD, Some("192.0.2.1"))
            .await;
        assert!(r.is_ok(), "login {i}: {r:?}");
    }
}

async fn many_accounts_guessed_from_one_ip_hit_the_ip_limit(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let free = MAX_FAILURES * auth::IP_LIMIT_FACTOR;
    for i in 0..free {
        let r = t
            .try_login(&format!("u{i}@example.com"), PASSWORD, Some("10.0.0.9"))
            .await;
        assert!(matches!(r, Err(Error::InvalidCredentials)), "{i}: {r:?}");
    }

    let same_ip = t
        .try_login("new@example.com", PASSWORD, Some("10.0.0.9"))
        .await;
    let other_ip = t
        .auth
        .login("new@example.com", PASSWORD, no_device(), None)
        .await;

    refused(same_ip);
    assert!(matches!(other_ip, Err(Error::InvalidCredentials)));
}
