//! Administration: disabling, roles, deletion and the account listing.

use auth::{Error, Role, Scope};

use crate::support::{Backend, PASSWORD, TestAuth};

both_backends!(
    disabling_ends_sessions_and_tokens_at_once_and_refuses_logins,
    re_enabling_allows_login_again_but_old_sessions_and_tokens_stay_dead,
    a_role_change_applies_at_once_to_existing_sessions_and_tokens,
    deleting_a_user_ends_everything_and_frees_the_phone_and_email,
    every_account_is_listed_by_creation_time,
    a_document_written_before_the_disabled_field_loads_as_enabled,
    admin_changes_to_an_unknown_user_are_user_not_found,
);

async fn disabling_ends_sessions_and_tokens_at_once_and_refuses_logins(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let alice = t.register("13812345678", "alice@example.com").await;
    let pair = t.login("alice@example.com").await;
    let p = t.principal(&pair).await;
    let token = t
        .auth
        .create_token(&p, "ci", vec![Scope::Read], None)
        .await
        .expect("token");

    let disabled = t.auth.set_disabled(alice.id, true).await.expect("disable");

    assert!(disabled.disabled);
    assert!(t.auth.user(alice.id).await.expect("user").disabled);
    for credential in [&pair.access_token, &token.secret] {
        let r = t.auth.authenticate(credential).await;
        assert!(matches!(r, Err(Error::SessionRevoked)), "{r:?}");
    }
    let r = t.auth.refresh(&pair.refresh_token).await;
    assert!(matches!(r, Err(Error::SessionRevoked)), "{r:?}");
    let right = t.try_login("alice@example.com", PASSWORD, None).await;
    assert!(matches!(right, Err(Error::AccountDisabled)), "{right:?}");
    let wrong = t
        .try_login("alice@example.com", "wrong password", None)
        .await;
    assert!(matches!(wrong, Err(Error::InvalidCredentials)), "{wrong:?}");
    let change = t
        .auth
        .change_password_by_login("alice@example.com", PASSWORD, "a new passphrase", None)
        .await;
    assert!(matches!(change, Err(Error::AccountDisabled)), "{change:?}");
}

async fn re_enabling_allows_login_again_but_old_sessions_and_tokens_stay_dead(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let alice = t.register("13812345678", "alice@example.com").await;
    let pair = t.login("alice@example.com").await;
    let p = t.principal(&pair).await;
    let token = t
        .auth
        .create_token(&p, "ci", vec![Scope::Read], None)
        .await
        .expect("token");
    t.auth.set_disabled(alice.id, true).await.expect("disable");

    let enabled = t.auth.set_disabled(alice.id, false).await.expect("enable");

    assert!(!enabled.disabled);
    let fresh = t.login("alice@example.com").await;
    t.principal(&fresh).await;
    for credential in [&pair.access_token, &token.secret] {
        let r = t.auth.authenticate(credential).await;
        assert!(matches!(r, Err(Error::SessionRevoked)), "{r:?}");
    }
    assert!(t.auth.tokens(alice.id).await.expect("tokens").is_empty());
}

async fn a_role_change_applies_at_once_to_existing_sessions_and_tokens(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let alice = t.register("13812345678", "alice@example.com").await;
    let pair = t.login("alice@example.com").await;
    let p = t.principal(&pair).await;
    let token = t
        .auth
        .create_token(&p, "ci", vec![Scope::Read], None)
        .await
        .expect("token");
    assert_eq!(p.role, Role::User);

    let user = t.auth.set_role(alice.id, Role::Admin).await.expect("role");

    assert_eq!(user.role, Role::Admin);
    assert_eq!(t.principal(&pair).await.role, Role::Admin);
    let via_token = t.auth.authenticate(&token.secret).await.expect("token");
    assert_eq!(via_token.role, Role::Admin);
    t.auth.set_role(alice.id, Role::User).await.expect("role");
    assert_eq!(t.principal(&pair).await.role, Role::User);
}

async fn deleting_a_user_ends_everything_and_frees_the_phone_and_email(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let alice = t.register("13812345678", "alice@example.com").await;
    let pair = t.login("alice@example.com").await;
    let p = t.principal(&pair).await;
    let token = t
        .auth
        .create_token(&p, "ci", vec![Scope::Read], None)
        .await
        .expect("token");

    t.auth.delete_user(alice.id).await.expect("delete");

    for credential in [&pair.access_token, &token.secret] {
        let r = t.auth.authenticate(credential).await;
        assert!(matches!(r, Err(Error::SessionRevoked)), "{r:?}");
    }
    assert!(matches!(
        t.auth.user(alice.id).await,
        Err(Error::UserNotFound)
    ));
    let r = t.try_login("alice@example.com", PASSWORD, None).await;
    assert!(matches!(r, Err(Error::InvalidCredentials)), "{r:?}");
    let again = t.register("13812345678", "alice@example.com").await;
    assert_ne!(again.id, alice.id);
    let fresh = t.login("13812345678").await;
    assert_eq!(t.principal(&fresh).await.user_id, again.id);
    let twice = t.auth.delete_user(alice.id).await;
    assert!(matches!(twice, Err(Error::UserNotFound)), "{twice:?}");
}

async fn every_account_is_listed_by_creation_time(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let first = t.register("13812345678", "alice@example.com").await;
    let second = t.register("13900000000", "bob@example.com").await;
    let third = t.register("13700000000", "carol@example.com").await;
    t.auth.set_disabled(second.id, true).await.expect("disable");

    let users = t.auth.users().await.expect("users");

    let ids: Vec<_> = users.iter().map(|u| u.id).collect();
    assert_eq!(ids, [first.id, second.id, third.id]);
    assert!(users[1].disabled);
    assert!(!users[0].disabled && !users[2].disabled);
}

async fn a_document_written_before_the_disabled_field_loads_as_enabled(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let alice = t.register("13812345678", "alice@example.com").await;
    let path = t.dir.path().join(format!("users/{}.json", alice.id));
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    doc.as_object_mut().expect("object").remove("disabled");
    std::fs::write(&path, serde_json::to_vec(&doc).expect("json")).expect("write");

    let user = t.auth.user(alice.id).await.expect("user");

    assert!(!user.disabled);
    t.login("alice@example.com").await;
}

async fn admin_changes_to_an_unknown_user_are_user_not_found(b: Backend) {
    let t = TestAuth::spawn(b).await;
    let nobody = uuid::Uuid::new_v4();

    let disable = t.auth.set_disabled(nobody, true).await;
    let role = t.auth.set_role(nobody, Role::Admin).await;
    let delete = t.auth.delete_user(nobody).await;

    assert!(matches!(disable, Err(Error::UserNotFound)), "{disable:?}");
    assert!(matches!(role, Err(Error::UserNotFound)), "{role:?}");
    assert!(matches!(delete, Err(Error::UserNotFound)), "{delete:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_on_a_second_instance_ends_sessions_and_tokens_on_the_first_at_once() {
    let t = TestAuth::spawn(Backend::Redis).await;
    let other = t.sibling().await;
    let alice = t.register("13812345678", "alice@example.com").await;
    let pair = t.login("alice@example.com").await;
    let p = t.principal(&pair).await;
    let token = t
        .auth
        .create_token(&p, "ci", vec![Scope::Read], None)
        .await
        .expect("token");

    other.set_disabled(alice.id, true).await.expect("disable");

    for credential in [&pair.access_token, &token.secret] {
        let r = t.auth.authenticate(credential).await;
        assert!(matches!(r, Err(Error::SessionRevoked)), "{r:?}");
    }
    let r = t.try_login("alice@example.com", PASSWORD, None).await;
    assert!(matches!(r, Err(Error::AccountDisabled)), "{r:?}");
    other.set_disabled(alice.id, false).await.expect("enable");
    let fresh = t.login("alice@example.com").await;
    t.principal(&fresh).await;
    let old = t.auth.authenticate(&pair.access_token).await;
    assert!(matches!(old, Err(Error::SessionRevoked)), "{old:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_change_on_a_second_instance_applies_at_once_on_the_first() {
    let t = TestAuth::spawn(Backend::Redis).await;
    let other = t.sibling().await;
    let alice = t.register("13812345678", "alice@example.com").await;
    let pair = t.login("alice@example.com").await;
    assert_eq!(t.principal(&pair).await.role, Role::User);

    other.set_role(alice.id, Role::Admin).await.expect("role");

    assert_eq!(t.principal(&pair).await.role, Role::Admin);
}
