//! The `SessionStore` contract, for both stores, and `last_seen` updates through `Auth`.

use std::sync::Arc;
use std::time::Duration;

use auth::{
    Auth, Counter, Invitation, MemoryStore, RedisStore, Reservation, Role, Rotation, Scope,
    Session, SessionCreated, SessionStore, StoredToken, UserState,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::support::{Backend, RedisServer, TestAuth, operator};

both_backends!(
    a_session_rotates_only_with_the_current_hash_and_dies_on_a_stale_one,
    touching_a_deleted_session_does_not_bring_it_back,
    ending_sessions_moves_the_epoch_on_and_keeps_only_the_one_asked_for,
    a_session_is_not_stored_under_a_stale_epoch_a_disabled_user_or_no_state,
    the_oldest_sessions_beyond_the_limit_are_evicted,
    initialising_user_state_never_overwrites_a_field_set_before,
    disabling_ends_sessions_and_tokens_and_enabling_keeps_them_dead,
    free_attempts_pass_then_each_waits_for_its_delay,
    the_account_delay_applies_only_once_its_gate_has_attempts,
    releasing_clears_and_gives_back_attempts,
    throttle_counters_are_forgotten_a_window_after_the_last_attempt,
    the_token_limit_counts_only_unexpired_tokens_and_deletion_checks_the_owner,
    an_invitation_is_taken_at_most_once,
    authenticate_updates_last_seen_at_most_once_a_minute,
);

const TTL: u64 = 600;

fn store(b: Backend) -> (Arc<dyn SessionStore>, Option<RedisServer>) {
    match b {
        Backend::Memory => (Arc::new(MemoryStore::new()), None),
        Backend::Redis => {
            let server = RedisServer::start();
            let store = RedisStore::new(&server.url(), "t:").expect("store");
            (Arc::new(store), Some(server))
        }
    }
}

fn session(user_id: Uuid, hash: &str) -> Session {
    Session {
        id: Uuid::new_v4().simple().to_string(),
        user_id,
        epoch: 0,
        refresh_hash: hash.into(),
        user_agent: Some("ua".into()),
        ip: None,
        created_at: 1_700_000_000,
        last_seen: 1_700_000_000,
        ttl_secs: TTL,
    }
}

const FRESH: UserState = UserState {
    epoch: 0,
    role: Role::User,
    disabled: false,
};

/// A user with state (epoch 0) and its store.
async fn user(store: &dyn SessionStore) -> Uuid {
    let id = Uuid::new_v4();
    store.init_user_state(id, &FRESH).await.expect("init");
    id
}

async fn created(store: &dyn SessionStore, s: &Session) {
    let r = store.create(s, 100).await.expect("create");
    assert!(matches!(r, SessionCreated::Created { .. }), "{r:?}");
}

async fn a_session_rotates_only_with_the_current_hash_and_dies_on_a_stale_one(b: Backend) {
    let (store, _server) = store(b);
    let s = session(user(store.as_ref()).await, "h1");
    created(store.as_ref(), &s).await;
    assert_eq!(store.get(&s.id).await.expect("get"), Some(s.clone()));

    let Rotation::Rotated(rotated) = store.rotate(&s.id, "h1", "h2", 42).await.expect("rotate")
    else {
        panic!("expected rotation");
    };
    assert_eq!(rotated.refresh_hash, "h2");
    assert_eq!(rotated.last_seen, 42);

    let stale = store.rotate(&s.id, "h1", "h3", 43).await.expect("rotate");
    assert_eq!(stale, Rotation::Reused);
    assert_eq!(store.get(&s.id).await.expect("get"), None);
    let gone = store.rotate(&s.id, "h2", "h3", 44).await.expect("rotate");
    assert_eq!(gone, Rotation::Missing);
}

async fn touching_a_deleted_session_does_not_bring_it_back(b: Backend) {
    let (store, _server) = store(b);
    let s = session(user(store.as_ref()).await, "h");
    created(store.as_ref(), &s).await;
    store.touch(&s.id, 99).await.expect("touch");
    let live = store.get(&s.id).await.expect("get").expect("live");
    assert_eq!(live.last_seen, 99);

    assert!(store.delete(&s.id).await.expect("delete"));
    assert!(!store.delete(&s.id).await.expect("delete again"));
    store.touch(&s.id, 100).await.expect("touch");

    assert_eq!(store.get(&s.id).await.expect("get"), None);
}

async fn ending_sessions_moves_the_epoch_on_and_keeps_only_the_one_asked_for(b: Backend) {
    let (store, _server) = store(b);
    let (alice, bob) = (user(store.as_ref()).await, user(store.as_ref()).await);
    let a: Vec<Session> = (0..3).map(|_| session(alice, "h")).collect();
    let bs = session(bob, "h");
    for s in a.iter().chain([&bs]) {
        created(store.as_ref(), s).await;
    }
    store.delete(&a[2].id).await.expect("delete");
    let mut listed: Vec<String> = store
        .list_for_user(alice)
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.id)
        .collect();
    listed.sort();
    let mut expected = vec![a[0].id.clone(), a[1].id.clone()];
    expected.sort();
    assert_eq!(listed, expected);

    let epoch = store
        .end_sessions(alice, Some(&a[0].id))
        .await
        .expect("end");

    assert_eq!(epoch, 1);
    let left = store.list_for_user(alice).await.expect("list");
    assert_eq!(left.len(), 1);
    assert_eq!((left[0].id.as_str(), left[0].epoch), (a[0].id.as_str(), 1));
    let state = store.user_state(alice).await.expect("state").expect("some");
    assert_eq!(state.epoch, 1);
    assert!(
        store.get(&bs.id).await.expect("get").is_some(),
        "bob untouched"
    );
    assert_eq!(store.end_sessions(alice, None).await.expect("end"), 2);
    assert!(store.list_for_user(alice).await.expect("list").is_empty());
}

async fn a_session_is_not_stored_under_a_stale_epoch_a_disabled_user_or_no_state(b: Backend) {
    let (store, _server) = store(b);
    let alice = user(store.as_ref()).await;
    store.end_sessions(alice, None).await.expect("epoch 1");
    let stale = session(alice, "h");
    let no_state = session(Uuid::new_v4(), "h");
    let bob = user(store.as_ref()).await;
    store.set_disabled(bob, true).await.expect("disable");
    let mut disabled = session(bob, "h");
    disabled.epoch = 1;

    for s in [&stale, &no_state, &disabled] {
        let r = store.create(s, 100).await.expect("create");
        assert_eq!(r, SessionCreated::Stale);
        assert_eq!(store.get(&s.id).await.expect("get"), None);
    }
    let mut current = session(alice, "h");
    current.epoch = 1;
    created(store.as_ref(), &current).await;
}

async fn the_oldest_sessions_beyond_the_limit_are_evicted(b: Backend) {
    let (store, _server) = store(b);
    let alice = user(store.as_ref()).await;
    let sessions: Vec<Session> = (0..5).map(|_| session(alice, "h")).collect();
    for s in &sessions[..3] {
        store.create(s, 3).await.expect("create");
    }

    let r = store.create(&sessions[3], 3).await.expect("create");
    let r2 = store.create(&sessions[4], 3).await.expect("create");

    assert_eq!(
        r,
        SessionCreated::Created {
            evicted: vec![sessions[0].id.clone()]
        }
    );
    assert_eq!(
        r2,
        SessionCreated::Created {
            evicted: vec![sessions[1].id.clone()]
        }
    );
    let mut left: Vec<String> = store
        .list_for_user(alice)
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.id)
        .collect();
    left.sort();
    let mut expected: Vec<String> = sessions[2..].iter().map(|s| s.id.clone()).collect();
    expected.sort();
    assert_eq!(left, expected);
}

async fn initialising_user_state_never_overwrites_a_field_set_before(b: Backend) {
    let (store, _server) = store(b);
    let id = Uuid::new_v4();
    assert_eq!(store.user_state(id).await.expect("state"), None);
    store.set_role(id, Role::Admin).await.expect("role");
    assert_eq!(
        store.user_state(id).await.expect("state"),
        None,
        "incomplete"
    );

    let state = store.init_user_state(id, &FRESH).await.expect("init");

    let expected = UserState {
        role: Role::Admin,
        ..FRESH
    };
    assert_eq!(state, expected);
    let again = UserState {
        epoch: 9,
        role: Role::User,
        disabled: true,
    };
    assert_eq!(
        store.init_user_state(id, &again).await.expect("init"),
        expected
    );
}

fn token(user_id: Uuid, expires_at: Option<i64>) -> StoredToken {
    StoredToken {
        id: Uuid::now_v7().simple().to_string(),
        user_id,
        name: "ci".into(),
        scopes: vec![Scope::Upload],
        secret_hash: "ab".repeat(32),
        created_at: 1_700_000_000,
        last_used: None,
        expires_at,
    }
}

async fn disabling_ends_sessions_and_tokens_and_enabling_keeps_them_dead(b: Backend) {
    let (store, _server) = store(b);
    let alice = user(store.as_ref()).await;
    let s = session(alice, "h");
    created(store.as_ref(), &s).await;
    let t = token(alice, None);
    assert!(store.create_token(&t, 10, 0, None).await.expect("token"));

    store.set_disabled(alice, true).await.expect("disable");
    store.set_disabled(alice, false).await.expect("enable");

    assert_eq!(store.get(&s.id).await.expect("get"), None);
    assert_eq!(store.token_with_state(&t.id).await.expect("token").0, None);
    let state = store.user_state(alice).await.expect("state").expect("some");
    assert_eq!((state.epoch, state.disabled), (1, false));
}

fn counter(key: &str, free: u32, max_delay_secs: u64, gated_by: Option<usize>) -> Counter {
    Counter {
        key: key.into(),
        free,
        max_delay_secs,
        gated_by,
    }
}

const WINDOW: Duration = Duration::from_secs(60);

async fn free_attempts_pass_then_each_waits_for_its_delay(b: Backend) {
    let (store, _server) = store(b);
    let c = [counter("a", 2, 1, None)];
    for _ in 0..2 {
        assert_eq!(
            store.reserve(&c, WINDOW).await.expect("reserve"),
            Reservation::Reserved
        );
    }

    let refused = store.reserve(&c, WINDOW).await.expect("reserve");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after_delay = store.reserve(&c, WINDOW).await.expect("reserve");
    let right_after = store.reserve(&c, WINDOW).await.expect("reserve");

    assert_eq!(
        refused,
        Reservation::Refused {
            retry_after_secs: 1
        }
    );
    assert_eq!(after_delay, Reservation::Reserved);
    assert_eq!(
        right_after,
        Reservation::Refused {
            retry_after_secs: 1
        },
        "capped at max_delay_secs"
    );
}

async fn the_account_delay_applies_only_once_its_gate_has_attempts(b: Backend) {
    let (store, _server) = store(b);
    let attacker = [
        counter("pair:x", 100, 60, None),
        counter("acct", 1, 60, Some(0)),
    ];
    let owner = [
        counter("pair:y", 100, 60, None),
        counter("acct", 1, 60, Some(0)),
    ];
    store.reserve(&attacker, WINDOW).await.expect("reserve");

    let attacker_again = store.reserve(&attacker, WINDOW).await.expect("reserve");
    let owner_first = store.reserve(&owner, WINDOW).await.expect("reserve");
    let owner_second = store.reserve(&owner, WINDOW).await.expect("reserve");

    assert!(matches!(attacker_again, Reservation::Refused { .. }));
    assert_eq!(
        owner_first,
        Reservation::Reserved,
        "clean pair: not delayed"
    );
    assert!(matches!(owner_second, Reservation::Refused { .. }));
}

async fn releasing_clears_and_gives_back_attempts(b: Backend) {
    let (store, _server) = store(b);
    let both = [counter("a", 1, 60, None), counter("ip", 2, 60, None)];
    let ip_only = [counter("ip", 2, 60, None)];
    store.reserve(&both, WINDOW).await.expect("reserve");
    store.reserve(&ip_only, WINDOW).await.expect("reserve");
    assert!(matches!(
        store.reserve(&both, WINDOW).await.expect("reserve"),
        Reservation::Refused { .. }
    ));

    store
        .release(&["a".into()], &["ip".into()])
        .await
        .expect("release");

    assert_eq!(
        store.reserve(&both, WINDOW).await.expect("reserve"),
        Reservation::Reserved
    );
    assert!(matches!(
        store.reserve(&ip_only, WINDOW).await.expect("reserve"),
        Reservation::Refused { .. }
    ));
}

async fn throttle_counters_are_forgotten_a_window_after_the_last_attempt(b: Backend) {
    let (store, _server) = store(b);
    let c = [counter("short", 1, 60, None)];
    store
        .reserve(&c, Duration::from_secs(1))
        .await
        .expect("reserve");
    let refused = store
        .reserve(&c, Duration::from_secs(1))
        .await
        .expect("reserve");

    tokio::time::sleep(Duration::from_millis(1200)).await;
    let later = store
        .reserve(&c, Duration::from_secs(1))
        .await
        .expect("reserve");

    assert!(matches!(refused, Reservation::Refused { .. }));
    assert_eq!(later, Reservation::Reserved, "window over");
}

async fn the_token_limit_counts_only_unexpired_tokens_and_deletion_checks_the_owner(b: Backend) {
    let (store, _server) = store(b);
    let alice = user(store.as_ref()).await;
    let now = 1_700_000_100;
    let expired = token(alice, Some(now - 1));
    let live = token(alice, Some(now + 100));
    let third = token(alice, None);
    let fourth = token(alice, None);
    assert!(store.create_token(&expired, 2, now, None).await.expect("1"));
    assert!(store.create_token(&live, 2, now, None).await.expect("2"));

    let third_ok = store.create_token(&third, 2, now, None).await.expect("3");
    let fourth_ok = store.create_token(&fourth, 2, now, None).await.expect("4");
    let by_other = store
        .delete_token(Uuid::new_v4(), &live.id)
        .await
        .expect("del");
    let by_owner = store.delete_token(alice, &live.id).await.expect("del");

    assert!(third_ok, "the expired token does not count");
    assert!(!fourth_ok, "limit reached");
    assert!(!by_other && by_owner);
    let mut ids: Vec<String> = store
        .tokens_for_user(alice)
        .await
        .expect("list")
        .into_iter()
        .map(|t| t.id)
        .collect();
    ids.sort();
    let mut expected = vec![expired.id, third.id];
    expected.sort();
    assert_eq!(ids, expected);
}

async fn an_invitation_is_taken_at_most_once(b: Backend) {
    let (store, _server) = store(b);
    let now = OffsetDateTime::now_utc();
    let invitation = Invitation {
        code: "abcdefghijklmnopqrstuv".into(),
        created_by: Uuid::new_v4(),
        created_at: now,
        expires_at: now + Duration::from_secs(60),
    };
    store.put_invitation(&invitation).await.expect("put");
    assert_eq!(
        store.invitations().await.expect("list"),
        std::slice::from_ref(&invitation)
    );

    let first = store.take_invitation(&invitation.code).await.expect("take");
    let second = store.take_invitation(&invitation.code).await.expect("take");

    assert_eq!(first, Some(invitation.clone()));
    assert_eq!(second, None);
    assert!(store.invitations().await.expect("list").is_empty());
    assert!(
        !store
            .delete_invitation(&invitation.code)
            .await
            .expect("del")
    );
}

async fn authenticate_updates_last_seen_at_most_once_a_minute(b: Backend) {
    let (store, _server) = store(b);
    let t = TestAuth::spawn(Backend::Memory).await;
    let auth = Auth::with_store(&t.settings, operator(&t.dir), store.clone())
        .await
        .expect("auth");
    auth.register(crate::support::account("13812345678", "alice@example.com"))
        .await
        .expect("register");
    let (_, pair) = auth
        .login(
            "alice@example.com",
            crate::support::PASSWORD,
            auth::Device::default(),
            None,
        )
        .await
        .expect("login");
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let last_seen = || async {
        store
            .get(&pair.session_id)
            .await
            .expect("get")
            .expect("live")
            .last_seen
    };

    store
        .touch(&pair.session_id, now - 30)
        .await
        .expect("touch");
    auth.authenticate(&pair.access_token).await.expect("auth");
    assert_eq!(
        last_seen().await,
        now - 30,
        "seen less than a minute ago: not written"
    );

    store
        .touch(&pair.session_id, now - 120)
        .await
        .expect("touch");
    auth.authenticate(&pair.access_token).await.expect("auth");
    assert!(last_seen().await >= now, "seen two minutes ago: updated");
}

#[tokio::test]
async fn a_users_session_set_drops_expired_sessions_when_over_the_limit() {
    let server = RedisServer::start();
    let store = RedisStore::new(&server.url(), "t:").expect("store");
    let user = user(&store).await;
    for _ in 0..5 {
        let mut s = session(user, "h");
        s.ttl_secs = 1;
        store.create(&s, 5).await.expect("create");
    }
    tokio::time::sleep(Duration::from_millis(2100)).await;

    let r = store.create(&session(user, "h"), 5).await.expect("create");
    let r2 = store.create(&session(user, "h"), 1).await.expect("create");

    assert_eq!(r, SessionCreated::Created { evicted: vec![] });
    assert!(matches!(r2, SessionCreated::Created { evicted } if evicted.len() == 1));
    let reply = server.command(&format!("ZCARD t:user-sessions:{user}"));
    let count: u64 = reply.trim().trim_start_matches(':').parse().expect("int");
    assert_eq!(
        count, 1,
        "expired ids were pruned, the oldest live one evicted"
    );
}
