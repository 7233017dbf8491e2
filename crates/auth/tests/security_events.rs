//! Structured security events (tracing target `security`): emitted for each kind of change,
//! never carrying a password, token or secret. A test binary of its own, so that its global
//! subscriber sees every event (a thread-local one misses events while other tests run).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth::{Auth, Device, Error, NewAccount, Role, Scope, SessionBackend, Settings};

const PASSWORD: &str = "correct horse battery";
const MAX_FAILURES: u32 = 3;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn login(auth: &Auth, password: &str) -> Result<auth::TokenPair, Error> {
    let device = Device {
        user_agent: None,
        ip: Some("192.0.2.1".into()),
    };
    let (_, pair) = auth
        .login("alice@example.com", password, device, None)
        .await?;
    Ok(pair)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_events_are_logged_for_each_change_and_never_carry_secrets() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    let dir = tempfile::TempDir::new().expect("dir");
    let root = dir.path().to_str().expect("utf-8");
    let op = opendal::Operator::new(opendal::services::Fs::default().root(root)).expect("fs");
    let settings = Settings {
        bcrypt_cost: 4,
        login_max_failures: MAX_FAILURES,
        ..Settings::default()
    };
    let t = Auth::new(&settings, op, SessionBackend::Memory)
        .await
        .expect("auth");
    let alice = t
        .register(NewAccount {
            phone: "13812345678".into(),
            email: "alice@example.com".into(),
            password: PASSWORD.into(),
            ..NewAccount::default()
        })
        .await
        .expect("register");
    let pair = login(&t, PASSWORD).await.expect("login");
    let p = t.authenticate(&pair.access_token).await.expect("p");

    for _ in 0..=MAX_FAILURES {
        let _ = login(&t, "wrong password").await;
    }
    let token = t
        .create_token(&p, "ci", vec![Scope::Upload], None)
        .await
        .expect("token");
    t.revoke_token(alice.id, &token.token.id)
        .await
        .expect("revoke");
    let second = t.refresh(&pair.refresh_token).await.expect("refresh");
    let reuse = t.refresh(&pair.refresh_token).await;
    assert!(matches!(reuse, Err(Error::SessionRevoked)));
    tokio::time::sleep(Duration::from_millis(1100)).await; // past the throttle's delay
    let fresh = login(&t, PASSWORD).await.expect("login");
    let p = t.authenticate(&fresh.access_token).await.expect("p");
    t.change_password(&p, PASSWORD, "a brand new secret", Some("192.0.2.9"))
        .await
        .expect("change");
    t.set_role(alice.id, Role::Admin).await.expect("role");
    t.set_disabled(alice.id, true).await.expect("disable");
    t.set_disabled(alice.id, false).await.expect("enable");
    let invitation = t.create_invitation(alice.id, None).await.expect("code");
    t.revoke_invitation(&invitation.code).await.expect("revoke");
    t.delete_user(alice.id).await.expect("delete");

    let log = String::from_utf8(capture.0.lock().expect("lock").clone()).expect("utf-8");
    for event in [
        "login_failed",
        "lockout",
        "token_created",
        "token_revoked",
        "refresh_token_reuse",
        "password_changed",
        "role_changed",
        "user_disabled",
        "user_enabled",
        "invitation_created",
        "invitation_revoked",
        "user_deleted",
    ] {
        let line = log
            .lines()
            .find(|l| l.contains(&format!("event=\"{event}\"")))
            .unwrap_or_else(|| panic!("no {event} event in:\n{log}"));
        assert!(
            line.contains("security:"),
            "{event} not under target security: {line}"
        );
    }
    assert!(log.contains(&alice.id.to_string()), "events name the user");
    for secret in [
        PASSWORD,
        "wrong password",
        "a brand new secret",
        token.secret.as_str(),
        pair.refresh_token.as_str(),
        second.refresh_token.as_str(),
        invitation.code.as_str(),
    ] {
        assert!(!log.contains(secret), "{secret:?} was logged");
    }
}
