//! S3 only: a backend that is down or hangs makes calls fail as `Unavailable` (retryable)
//! within the configured timeout, and the same `Storage` works again once it is back.

use std::time::{Duration, Instant};

use storage::{Error, ListQuery, Storage};

use crate::helpers::*;

#[track_caller]
fn unavailable<T: std::fmt::Debug>(what: &str, result: Result<T, Error>) {
    match result {
        Err(e @ Error::Unavailable(_)) => assert!(e.is_retryable(), "{what}"),
        other => panic!("{what}: expected Unavailable, got {other:?}"),
    }
}

fn listing() -> ListQuery {
    ListQuery {
        page_size: 10,
        ..ListQuery::default()
    }
}

async fn every_operation_is_unavailable(t: &TestStorage, storage: &Storage) {
    let key = t.key("kept.txt");
    unavailable("stat", storage.stat(&t.files, &key).await);
    unavailable("read", storage.read(&t.files, &key, None).await);
    unavailable("list", storage.list(&t.files, &listing()).await);
    unavailable(
        "write",
        storage
            .write(
                &t.files,
                &t.key("new.txt"),
                chunks(vec![b"new".to_vec()]),
                None,
            )
            .await,
    );
    unavailable("delete", storage.delete(&t.files, &key).await);
    unavailable("policy", storage.policy(&t.files).await);
    let checks = storage.check().await;
    assert!(
        checks
            .iter()
            .all(|(_, r)| matches!(r, Err(Error::Unavailable(_)))),
        "{checks:?}"
    );
}

async fn everything_works(t: &TestStorage, storage: &Storage) {
    let body = storage
        .read(&t.files, &t.key("kept.txt"), None)
        .await
        .expect("readable again");
    assert_eq!(collect(body).await, b"kept".to_vec());
    storage
        .write(
            &t.files,
            &t.key("new.txt"),
            chunks(vec![b"new".to_vec()]),
            None,
        )
        .await
        .expect("writable again");
    let page = storage.list(&t.files, &listing()).await.expect("listable");
    assert_eq!(page.items.len(), 2);
    assert!(storage.check().await.iter().all(|(_, r)| r.is_ok()));
}

#[tokio::test]
async fn a_stopped_backend_is_unavailable_at_once_and_serves_again_when_back() {
    let mut t = spawn(Backend::S3);
    t.put(&t.files, "kept.txt", b"kept".to_vec()).await;
    let storage = t.instance(|s| {
        s.timeout_secs = 2;
        s.retries = 1;
    });
    t.s3_mut().stop();

    let started = Instant::now();
    every_operation_is_unavailable(&t, &storage).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a refused connection fails fast: {:?}",
        started.elapsed()
    );

    t.s3_mut().resume();

    everything_works(&t, &storage).await;
}

#[tokio::test]
async fn a_hanging_backend_is_unavailable_after_the_timeout_and_serves_again_when_back() {
    let mut t = spawn(Backend::S3);
    t.put(&t.files, "kept.txt", b"kept".to_vec()).await;
    let storage = t.instance(|s| {
        s.timeout_secs = 1;
        s.retries = 1;
    });
    t.s3_mut().freeze();

    let started = Instant::now();
    let stat = storage.stat(&t.files, &t.key("kept.txt")).await;
    let elapsed = started.elapsed();

    unavailable("stat", stat);
    // Two tries sharing the one-second budget, and a short pause between them.
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
    t.s3_mut().thaw();
    everything_works(&t, &storage).await;
}

/// A request the backend refuses (bad credentials) is the operator's mistake: answered at once
/// as an internal error, not retried and not reported as an outage.
#[tokio::test]
async fn a_refused_request_is_not_retried_and_is_not_an_outage() {
    let t = spawn(Backend::S3);
    let mut table = t.table.clone();
    if let Some(files) = table.get_mut("files")
        && let storage::BackendSettings::S3(remote) = &mut files.backend
    {
        remote.secret_access_key = Some(secrecy::SecretString::from("not-the-secret"));
    }
    let mut settings = t.settings();
    settings.retries = 3;
    let storage = Storage::new(&settings, &table, signing_key()).expect("valid settings");

    let started = Instant::now();
    let result = storage.stat(&t.files, &t.key("kept.txt")).await;
    let elapsed = started.elapsed();

    assert!(matches!(result, Err(Error::Internal(_))), "{result:?}");
    // Three retries would wait at least 0.1 + 0.2 + 0.4 s.
    assert!(elapsed < Duration::from_millis(300), "retried: {elapsed:?}");
}
