//! Session listing and revocation, and password changes.

use auth::{Device, Error};

use crate::support::{Backend, PASSWORD, TestAuth, no_device};

both_backends!(
    a_user_lists_their_sessions_with_devices_and_the_current_one_marked,
    a_user_revokes_one_of_their_sessions_but_not_anyone_elses,
    changing_the_password_keeps_this_session_and_revokes_the_others,
    changing_the_password_by_login_revokes_every_session,
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
        .change_password(&p, "not my password", "brand new pw")
        .await;
    assert!(matches!(wrong, Err(Error::InvalidCredentials)));
    let too_long = t.auth.change_password(&p, PASSWORD, &"x".repeat(73)).await;
    assert!(
        matches!(&too_long, Err(Error::Validation(e)) if e[0].field == "newPassword" && e[0].reason.contains("at most 72 bytes")),
        "{too_long:?}"
    );
    t.principal(&elsewhere).await; // nothing changed yet

    t.auth
        .change_password(&p, PASSWORD, "brand new pw")
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
        .change_password_by_login("13812345678", "bad password", "brand new pw")
        .await;
    assert!(matches!(wrong, Err(Error::InvalidCredentials)));
    t.auth
        .change_password_by_login("13812345678", PASSWORD, "brand new pw")
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
