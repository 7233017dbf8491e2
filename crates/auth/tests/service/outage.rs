//! Redis only: sharing between instances, key layout, outage and recovery.

use std::time::{Duration, Instant};

use auth::{Auth, Error, SessionBackend};

use crate::support::{Backend, PASSWORD, RedisServer, TestAuth, no_device, operator, settings};

/// Calls `f` until it succeeds or `limit` passes.
async fn eventually<T, F, Fut>(limit: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let deadline = Instant::now() + limit;
    loop {
        match f().await {
            Ok(v) => return v,
            Err(err) if Instant::now() < deadline => {
                assert!(matches!(err, Error::Unavailable(_)), "{err:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(err) => panic!("still failing after {limit:?}: {err:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_from_one_instance_is_seen_and_revoked_on_another() {
    let t = TestAuth::spawn(Backend::Redis).await;
    let other = t.sibling().await;
    t.register("13812345678", "alice@example.com").await;
    let pair = t.login("alice@example.com").await;
    let p = other.authenticate(&pair.access_token).await.expect("seen");
    other.logout(&p).await.expect("logout");
    let r = t.auth.authenticate(&pair.access_token).await;
    assert!(matches!(r, Err(Error::SessionRevoked)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_keys_live_under_the_prefix_and_expire() {
    let t = TestAuth::spawn(Backend::Redis).await;
    t.register("13812345678", "alice@example.com").await;
    let pair = t.login("alice@example.com").await;
    let redis = t.redis.as_ref().expect("redis");

    let key = format!("{}session:{}", t.key_prefix, pair.session_id);
    let ttl: u64 = redis
        .command(&format!("TTL {key}"))
        .trim()
        .trim_start_matches(':')
        .parse()
        .expect("integer reply");
    assert!(
        ttl > 0 && ttl <= t.settings.refresh_token_ttl_secs,
        "ttl {ttl}"
    );
    let hash = redis.command(&format!("HGETALL {key}"));
    assert!(!hash.contains(&pair.refresh_token), "only a hash is stored");
    assert!(!hash.contains(PASSWORD));

    let alice = t
        .auth
        .user(t.principal(&pair).await.user_id)
        .await
        .expect("user");
    let _ = t
        .try_login("alice@example.com", "wrong", Some("192.0.2.1"))
        .await;
    let keys = redis.command("KEYS *");
    for line in keys
        .lines()
        .filter(|l| !l.starts_with('*') && !l.starts_with('$'))
    {
        assert!(
            line.starts_with(&t.key_prefix),
            "key outside prefix: {line}"
        );
    }
    for key in [
        format!("user-sessions:{}", alice.id),
        format!("user-state:{}", alice.id),
        format!("throttle:account:{}", alice.id),
        format!("throttle:pair:account:{}:192.0.2.1", alice.id),
        "throttle:ip:192.0.2.1".to_owned(),
    ] {
        assert!(keys.contains(&key), "{key} missing in {keys}");
    }
    assert!(
        !keys.contains("alice@example.com"),
        "no identifier in a key"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_fails_closed_and_the_service_recovers_when_redis_returns() {
    let mut t = TestAuth::spawn(Backend::Redis).await;
    t.register("13812345678", "alice@example.com").await;
    let pair = t.login("alice@example.com").await;
    let p = t.principal(&pair).await;
    let api_token = t
        .auth
        .create_token(&p, "ci", vec![auth::Scope::Upload], None)
        .await
        .expect("token");
    t.auth
        .authenticate(&api_token.secret)
        .await
        .expect("token works");

    t.redis.as_mut().expect("redis").stop();

    let started = Instant::now();
    let r = t.auth.authenticate(&pair.access_token).await;
    assert!(matches!(r, Err(Error::Unavailable(_))), "{r:?}");
    let r = t.auth.authenticate(&api_token.secret).await;
    assert!(matches!(r, Err(Error::Unavailable(_))), "token: {r:?}");
    let r = t
        .auth
        .login("alice@example.com", PASSWORD, no_device(), None)
        .await;
    assert!(matches!(r, Err(Error::Unavailable(_))), "{r:?}");
    assert!(matches!(
        t.auth.refresh(&pair.refresh_token).await,
        Err(Error::Unavailable(_))
    ));
    assert!(matches!(t.auth.ping().await, Err(Error::Unavailable(_))));
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "calls fail fast"
    );

    t.redis.as_mut().expect("redis").restart();

    eventually(Duration::from_secs(10), || t.auth.ping()).await;
    // The restarted Redis is empty: old sessions and API tokens are gone, so they are refused.
    let r = t.auth.authenticate(&pair.access_token).await;
    assert!(matches!(r, Err(Error::SessionRevoked)), "{r:?}");
    let r = t.auth.authenticate(&api_token.secret).await;
    assert!(matches!(r, Err(Error::SessionRevoked)), "{r:?}");
    let (_, fresh) = t
        .auth
        .login("alice@example.com", PASSWORD, no_device(), None)
        .await
        .expect("login after recovery");
    t.principal(&fresh).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_starts_while_redis_is_down_and_works_once_it_is_up() {
    let port = testkit::free_port();
    let dir = tempfile::TempDir::new().expect("dir");
    let sessions = SessionBackend::Redis {
        url: RedisServer::url_for(port).into(),
        key_prefix: "picgate:".into(),
    };
    let auth = Auth::new(&settings(), operator(&dir), sessions)
        .await
        .expect("starts without redis");
    assert!(matches!(auth.ping().await, Err(Error::Unavailable(_))));

    let _server = RedisServer::on_port(port);

    eventually(Duration::from_secs(10), || auth.ping()).await;
    auth.register(crate::support::account("13812345678", "alice@example.com"))
        .await
        .expect("register");
    let (_, pair) = auth
        .login("alice@example.com", PASSWORD, no_device(), None)
        .await
        .expect("login");
    auth.authenticate(&pair.access_token)
        .await
        .expect("authenticate");
}
