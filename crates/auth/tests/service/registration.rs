//! Self-service sign-up: registration modes, invitations and the per-IP throttle.

use std::time::{Duration, Instant};

use auth::{Auth, Error, Registration, Role, Settings};

use crate::support::{Backend, MAX_FAILURES, TestAuth, account, operator, refused, settings};

both_backends!(
    open_registration_creates_plain_users_whatever_role_is_asked,
    closed_registration_refuses_every_sign_up,
    invite_registration_needs_a_valid_unused_code,
    one_invitation_code_admits_exactly_one_of_two_concurrent_sign_ups,
    an_expired_invitation_is_refused_and_not_listed,
    a_failed_sign_up_does_not_use_up_the_invitation,
    invitation_lifetimes_outside_one_second_to_thirty_days_are_rejected,
    a_revoked_invitation_no_longer_admits_anyone,
    the_registration_throttle_answers_before_account_exists_once_over_the_limit,
    successful_sign_ups_give_their_attempt_back,
);

fn mode(registration: Registration) -> Settings {
    Settings {
        registration,
        ..settings()
    }
}

async fn open_registration_creates_plain_users_whatever_role_is_asked(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let mut a = account("13812345678", "alice@example.com");
    a.role = Role::Admin;

    let user = t
        .auth
        .sign_up(a, None, Some("192.0.2.1"))
        .await
        .expect("sign up");

    assert_eq!(user.role, Role::User);
    t.login("alice@example.com").await;
}

async fn closed_registration_refuses_every_sign_up(b: Backend) {
    let t = TestAuth::spawn_with(b, mode(Registration::Closed)).await;
    let admin = uuid::Uuid::new_v4();
    let code = t.auth.create_invitation(admin, None).await.expect("code");

    let plain = t
        .auth
        .sign_up(account("13812345678", "a@example.com"), None, None)
        .await;
    let invited = t
        .auth
        .sign_up(
            account("13812345678", "a@example.com"),
            Some(&code.code),
            None,
        )
        .await;

    assert!(matches!(plain, Err(Error::RegistrationClosed)), "{plain:?}");
    assert!(
        matches!(invited, Err(Error::RegistrationClosed)),
        "{invited:?}"
    );
    t.register("13812345678", "a@example.com").await; // operators still can
}

async fn invite_registration_needs_a_valid_unused_code(b: Backend) {
    let t = TestAuth::spawn_with(b, mode(Registration::Invite)).await;
    let admin = uuid::Uuid::new_v4();
    let code = t.auth.create_invitation(admin, None).await.expect("code");
    assert_eq!(
        t.auth.invitations().await.expect("list"),
        std::slice::from_ref(&code)
    );
    let sign_up = |phone: &str, email: &str, code: Option<&str>| {
        let (auth, a, code) = (
            t.auth.clone(),
            account(phone, email),
            code.map(str::to_owned),
        );
        async move { auth.sign_up(a, code.as_deref(), None).await }
    };

    let none = sign_up("13812345678", "a@example.com", None).await;
    let unknown = sign_up(
        "13812345678",
        "a@example.com",
        Some("AAAAAAAAAAAAAAAAAAAAAA"),
    )
    .await;
    let garbage = sign_up("13812345678", "a@example.com", Some("../../x")).await;
    let valid = sign_up("13812345678", "a@example.com", Some(&code.code)).await;
    let reused = sign_up("13900000000", "b@example.com", Some(&code.code)).await;

    assert!(matches!(none, Err(Error::InvitationRequired)), "{none:?}");
    assert!(
        matches!(unknown, Err(Error::InvalidInvitation)),
        "{unknown:?}"
    );
    assert!(
        matches!(garbage, Err(Error::InvalidInvitation)),
        "{garbage:?}"
    );
    assert_eq!(valid.expect("invited").email, "a@example.com");
    assert!(
        matches!(reused, Err(Error::InvalidInvitation)),
        "{reused:?}"
    );
    assert!(t.auth.invitations().await.expect("list").is_empty());
    let expected = t.settings.invitation_ttl_secs;
    let ttl = (code.expires_at - code.created_at).whole_seconds();
    assert_eq!(u64::try_from(ttl).expect("positive"), expected);
    assert_eq!(code.created_by, admin);
}

async fn one_invitation_code_admits_exactly_one_of_two_concurrent_sign_ups(b: Backend) {
    let t = TestAuth::spawn_with(b, mode(Registration::Invite)).await;
    // On Redis the two racers are two instances; in memory, one instance shared.
    let second = match b {
        Backend::Redis => t.sibling().await,
        Backend::Memory => t.auth.clone(),
    };
    for round in 0..10 {
        let code = t
            .auth
            .create_invitation(uuid::Uuid::new_v4(), None)
            .await
            .expect("code")
            .code;
        let tasks = [t.auth.clone(), second.clone()]
            .into_iter()
            .enumerate()
            .map(|(i, auth)| {
                let code = code.clone();
                tokio::spawn(async move {
                    let a = account(
                        &format!("+44770{round:02}0000{i}"),
                        &format!("u{round}-{i}@example.com"),
                    );
                    auth.sign_up(a, Some(&code), None).await
                })
            });

        let results = futures::future::join_all(tasks).await;

        let mut won = 0;
        for r in results {
            match r.expect("task") {
                Ok(_) => won += 1,
                Err(Error::InvalidInvitation) => {}
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(won, 1, "round {round}: exactly one sign-up wins the code");
    }
}

async fn an_expired_invitation_is_refused_and_not_listed(b: Backend) {
    let t = TestAuth::spawn_with(b, mode(Registration::Invite)).await;
    let code = t
        .auth
        .create_invitation(uuid::Uuid::new_v4(), Some(Duration::from_secs(1)))
        .await
        .expect("code");

    tokio::time::sleep(Duration::from_millis(1200)).await;
    let r = t
        .auth
        .sign_up(
            account("13812345678", "a@example.com"),
            Some(&code.code),
            None,
        )
        .await;

    assert!(matches!(r, Err(Error::InvalidInvitation)), "{r:?}");
    assert!(t.auth.invitations().await.expect("list").is_empty());
}

async fn a_failed_sign_up_does_not_use_up_the_invitation(b: Backend) {
    let t = TestAuth::spawn_with(b, mode(Registration::Invite)).await;
    t.register("13812345678", "taken@example.com").await;
    let code = t
        .auth
        .create_invitation(uuid::Uuid::new_v4(), None)
        .await
        .expect("code");

    let taken = t
        .auth
        .sign_up(
            account("13812345678", "new@example.com"),
            Some(&code.code),
            None,
        )
        .await;
    let invalid = t
        .auth
        .sign_up(account("123", "new@example.com"), Some(&code.code), None)
        .await;
    let good = t
        .auth
        .sign_up(
            account("13900000000", "new@example.com"),
            Some(&code.code),
            None,
        )
        .await;

    assert!(matches!(taken, Err(Error::AccountExists)), "{taken:?}");
    assert!(matches!(invalid, Err(Error::Validation(_))), "{invalid:?}");
    good.expect("the code still works");
}

async fn invitation_lifetimes_outside_one_second_to_thirty_days_are_rejected(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let admin = uuid::Uuid::new_v4();
    for ttl in [
        Duration::ZERO,
        Duration::from_millis(500),
        Duration::from_secs(auth::MAX_INVITATION_TTL_SECS + 1),
    ] {
        let r = t.auth.create_invitation(admin, Some(ttl)).await;

        assert!(
            matches!(&r, Err(Error::Validation(e)) if e[0].field == "expiresIn"),
            "{ttl:?}: {r:?}"
        );
    }
    let longest = Duration::from_secs(auth::MAX_INVITATION_TTL_SECS);
    t.auth
        .create_invitation(admin, Some(longest))
        .await
        .expect("30 days is allowed");
}

async fn a_revoked_invitation_no_longer_admits_anyone(b: Backend) {
    let t = TestAuth::spawn_with(b, mode(Registration::Invite)).await;
    let admin = uuid::Uuid::new_v4();
    let older = t.auth.create_invitation(admin, None).await.expect("code");
    let newer = t.auth.create_invitation(admin, None).await.expect("code");
    assert_eq!(
        t.auth.invitations().await.expect("list"),
        [newer.clone(), older.clone()],
        "newest first"
    );

    t.auth.revoke_invitation(&older.code).await.expect("revoke");

    let r = t
        .auth
        .sign_up(
            account("13812345678", "a@example.com"),
            Some(&older.code),
            None,
        )
        .await;
    assert!(matches!(r, Err(Error::InvalidInvitation)), "{r:?}");
    for code in [older.code.as_str(), "nope", "AAAAAAAAAAAAAAAAAAAAAA"] {
        let again = t.auth.revoke_invitation(code).await;
        assert!(matches!(again, Err(Error::InvitationNotFound)), "{again:?}");
    }
    assert_eq!(t.auth.invitations().await.expect("list"), [newer]);
}

async fn the_registration_throttle_answers_before_account_exists_once_over_the_limit(b: Backend) {
    let t = TestAuth::spawn(b).await;
    t.register("13812345678", "alice@example.com").await;
    let duplicate = || account("13812345678", "alice@example.com");
    for _ in 0..2 * MAX_FAILURES {
        let r = t.auth.sign_up(duplicate(), None, Some("192.0.2.1")).await;
        assert!(matches!(r, Err(Error::AccountExists)), "{r:?}");
    }

    let over = t.auth.sign_up(duplicate(), None, Some("192.0.2.1")).await;
    let elsewhere = t.auth.sign_up(duplicate(), None, Some("192.0.2.2")).await;

    refused(over);
    assert!(
        matches!(elsewhere, Err(Error::AccountExists)),
        "{elsewhere:?}"
    );
}

async fn successful_sign_ups_give_their_attempt_back(b: Backend) {
    let t = TestAuth::spawn(b).await;

    for i in 0..3 * MAX_FAILURES {
        let a = account(&format!("+4477009{i:05}"), &format!("u{i}@example.com"));
        let r = t.auth.sign_up(a, None, Some("192.0.2.1")).await;
        assert!(r.is_ok(), "sign-up {i}: {r:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uniqueness_is_checked_before_the_password_is_hashed() {
    let t = TestAuth::spawn(Backend::Memory).await;
    t.register("13812345678", "alice@example.com").await;
    let slow = Settings {
        bcrypt_cost: 16,
        ..settings()
    };
    let auth = Auth::new(&slow, operator(&t.dir), auth::SessionBackend::Memory)
        .await
        .expect("auth");
    let started = Instant::now();

    let signed_up = auth
        .sign_up(
            account("13812345678", "bob@example.com"),
            None,
            Some("192.0.2.1"),
        )
        .await;
    let registered = auth
        .register(account("13900000000", "alice@example.com"))
        .await;

    assert!(
        matches!(signed_up, Err(Error::AccountExists)),
        "{signed_up:?}"
    );
    assert!(
        matches!(registered, Err(Error::AccountExists)),
        "{registered:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}: hashed before checking",
        started.elapsed()
    );
}
