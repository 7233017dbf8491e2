//! The `SessionStore` contract, for both stores, and `last_seen` updates through `Auth`.

use std::sync::Arc;
use std::time::Duration;

use auth::{Auth, MemoryStore, RedisStore, Role, Rotation, Session, SessionStore};
use uuid::Uuid;

use crate::support::{Backend, RedisServer, TestAuth, operator};

both_backends!(
    a_session_rotates_only_with_the_current_hash_and_dies_on_a_stale_one,
    touching_a_deleted_session_does_not_bring_it_back,
    sessions_are_listed_and_deleted_per_user,
    failure_counters_count_within_a_window_and_clear,
    authenticate_updates_last_seen_at_most_once_a_minute,
);

const TTL: Duration = Duration::from_secs(600);

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
        role: Role::User,
        refresh_hash: hash.into(),
        user_agent: Some("ua".into()),
        ip: None,
        created_at: 1_700_000_000,
        last_seen: 1_700_000_000,
    }
}

async fn a_session_rotates_only_with_the_current_hash_and_dies_on_a_stale_one(b: Backend) {
    let (store, _server) = store(b);
    let s = session(Uuid::new_v4(), "h1");
    store.create(&s, TTL).await.expect("create");
    assert_eq!(store.get(&s.id).await.expect("get"), Some(s.clone()));

    let Rotation::Rotated(rotated) = store
        .rotate(&s.id, "h1", "h2", 42, TTL)
        .await
        .expect("rotate")
    else {
        panic!("expected rotation");
    };
    assert_eq!(rotated.refresh_hash, "h2");
    assert_eq!(rotated.last_seen, 42);

    let stale = store
        .rotate(&s.id, "h1", "h3", 43, TTL)
        .await
        .expect("rotate");
    assert_eq!(stale, Rotation::Reused);
    assert_eq!(store.get(&s.id).await.expect("get"), None);
    let gone = store
        .rotate(&s.id, "h2", "h3", 44, TTL)
        .await
        .expect("rotate");
    assert_eq!(gone, Rotation::Missing);
}

async fn touching_a_deleted_session_does_not_bring_it_back(b: Backend) {
    let (store, _server) = store(b);
    let s = session(Uuid::new_v4(), "h");
    store.create(&s, TTL).await.expect("create");
    store.touch(&s.id, 99).await.expect("touch");
    assert_eq!(
        store
            .get(&s.id)
            .await
            .expect("get")
            .expect("live")
            .last_seen,
        99
    );
    assert!(store.delete(&s.id).await.expect("delete"));
    assert!(!store.delete(&s.id).await.expect("delete again"));
    store.touch(&s.id, 100).await.expect("touch");
    assert_eq!(store.get(&s.id).await.expect("get"), None);
}

async fn sessions_are_listed_and_deleted_per_user(b: Backend) {
    let (store, _server) = store(b);
    let (alice, bob) = (Uuid::new_v4(), Uuid::new_v4());
    let a: Vec<Session> = (0..3).map(|_| session(alice, "h")).collect();
    let bs = session(bob, "h");
    for s in a.iter().chain([&bs]) {
        store.create(s, TTL).await.expect("create");
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

    store
        .delete_for_user(alice, Some(&a[0].id))
        .await
        .expect("delete all but one");
    let left = store.list_for_user(alice).await.expect("list");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, a[0].id);
    assert!(
        store.get(&bs.id).await.expect("get").is_some(),
        "bob untouched"
    );
    store
        .delete_for_user(alice, None)
        .await
        .expect("delete all");
    assert!(store.list_for_user(alice).await.expect("list").is_empty());
}

async fn failure_counters_count_within_a_window_and_clear(b: Backend) {
    let (store, _server) = store(b);
    assert_eq!(store.failures("k").await.expect("get").count, 0);
    let window = Duration::from_secs(60);
    for n in 1..=3 {
        let f = store.record_failure("k", window).await.expect("record");
        assert_eq!(f.count, n);
        assert!((1..=60).contains(&f.resets_in_secs));
    }
    assert_eq!(store.failures("k").await.expect("get").count, 3);
    assert_eq!(store.failures("other").await.expect("get").count, 0);
    store.clear_failures("k").await.expect("clear");
    assert_eq!(store.failures("k").await.expect("get").count, 0);

    store
        .record_failure("short", Duration::from_secs(1))
        .await
        .expect("record");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        store.failures("short").await.expect("get").count,
        0,
        "window over"
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
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
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
async fn a_users_session_set_is_pruned_when_it_grows() {
    let server = RedisServer::start();
    let store = RedisStore::new(&server.url(), "t:").expect("store");
    let user = Uuid::new_v4();
    for _ in 0..70 {
        let s = session(user, "h");
        store.create(&s, TTL).await.expect("create");
        store.delete(&s.id).await.expect("delete");
    }
    store
        .create(&session(user, "h"), TTL)
        .await
        .expect("create");
    let reply = server.command(&format!("SCARD t:user-sessions:{user}"));
    let count: u64 = reply.trim().trim_start_matches(':').parse().expect("int");
    assert!(count < 10, "set was pruned, has {count}");
}
