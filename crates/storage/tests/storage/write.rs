use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use storage::Error;

use rstest::rstest;

use crate::helpers::*;

#[rstest]
#[tokio::test]
async fn an_upload_is_stored_and_typed_by_its_bytes_not_its_name(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let bytes = png(3000);

    let meta = t.put(&t.images, "2024/cat.txt", bytes.clone()).await;

    assert_eq!(meta.content_type, "image/png");
    assert_eq!(meta.size, 3000);
    assert_eq!(meta.key.as_str(), "2024/cat.txt");
    assert_eq!(t.get(&t.images, "2024/cat.txt").await, bytes);
    let stat = t
        .storage
        .stat(&t.images, &t.key("2024/cat.txt"))
        .await
        .expect("stored");
    assert_eq!(stat, meta);
    assert_eq!(t.stored(&t.images), vec!["2024/cat.txt"]);
    t.assert_nothing_in_flight();
}

#[rstest]
#[tokio::test]
async fn a_body_in_many_small_chunks_is_written_whole(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let bytes = png(3 * 1024 * 1024 + 17);
    let pieces: Vec<Vec<u8>> = bytes.chunks(1000).map(<[u8]>::to_vec).collect();

    let meta = t
        .storage
        .write(
            &t.files,
            &t.key("big.png"),
            chunks(pieces),
            Some(bytes.len() as u64),
        )
        .await
        .expect("upload succeeds");

    assert_eq!(meta.size, bytes.len() as u64);
    assert_eq!(meta.content_type, "image/png");
    assert_eq!(t.get(&t.files, "big.png").await, bytes);
}

#[rstest]
#[tokio::test]
async fn an_empty_upload_is_an_empty_octet_stream(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);

    let meta = t.put(&t.files, "empty", Vec::new()).await;

    assert_eq!(
        (meta.size, meta.content_type.as_str()),
        (0, "application/octet-stream")
    );
    assert_eq!(t.get(&t.files, "empty").await, Vec::<u8>::new());
}

#[rstest]
#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_reading(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    // A body that fails if read: the refusal must come first.
    let body = failing_after(vec![]);

    let result = t
        .storage
        .write(&t.images, &t.key("big.png"), body, Some(IMAGE_LIMIT + 1))
        .await;

    assert!(
        matches!(result, Err(Error::TooLarge { limit: IMAGE_LIMIT })),
        "{result:?}"
    );
    t.assert_no_files(&t.images);
}

#[rstest]
#[tokio::test]
async fn a_streamed_body_over_the_limit_is_refused_and_leaves_nothing(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let bytes = png(IMAGE_LIMIT as usize + 1);
    let pieces: Vec<Vec<u8>> = bytes.chunks(4096).map(<[u8]>::to_vec).collect();

    let result = t
        .storage
        .write(&t.images, &t.key("a/b/big.png"), chunks(pieces), None)
        .await;

    assert!(matches!(result, Err(Error::TooLarge { .. })), "{result:?}");
    t.assert_no_files(&t.images);
    assert!(matches!(
        t.storage.stat(&t.images, &t.key("a/b/big.png")).await,
        Err(Error::NotFound { .. })
    ));
}

#[rstest]
#[tokio::test]
async fn a_body_over_the_limit_within_the_sniffed_prefix_is_refused(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn_with(backend, |table| {
        if let Some(images) = table.get_mut("images") {
            images.max_object_bytes = 100;
        }
    });

    let result = t
        .storage
        .write(&t.images, &t.key("x.png"), chunks(vec![png(101)]), None)
        .await;

    assert!(
        matches!(result, Err(Error::TooLarge { limit: 100 })),
        "{result:?}"
    );
    t.assert_no_files(&t.images);
    let exact = t
        .storage
        .write(&t.images, &t.key("x.png"), chunks(vec![png(100)]), None)
        .await;
    assert_eq!(exact.map(|m| m.size).ok(), Some(100));
}

#[rstest]
#[tokio::test]
async fn a_disallowed_type_is_refused_and_nothing_is_written(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);

    let result = t
        .storage
        .write(
            &t.images,
            &t.key("notes.png"),
            chunks(vec![b"just text".to_vec()]),
            None,
        )
        .await;

    match result {
        Err(Error::UnsupportedType {
            content_type,
            allowed,
        }) => {
            assert_eq!(content_type, "text/plain");
            assert_eq!(allowed, vec!["image/*".to_owned()]);
        }
        other => panic!("expected UnsupportedType, got {other:?}"),
    }
    t.assert_no_files(&t.images);
}

#[rstest]
#[tokio::test]
async fn svg_and_html_are_recognised_as_active_content(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let svg = b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";

    let meta = t.put(&t.files, "x.png", svg.to_vec()).await;
    let html = t
        .put(
            &t.files,
            "y.png",
            b"<!DOCTYPE html><html><script>x</script>".to_vec(),
        )
        .await;

    assert_eq!(meta.content_type, "image/svg+xml");
    assert_eq!(html.content_type, "text/html");
}

#[rstest]
#[tokio::test]
async fn a_body_that_fails_midway_is_a_body_error_and_leaves_nothing(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let body = failing_after(vec![png(20_000), vec![7; 20_000]]);

    let result = t
        .storage
        .write(&t.images, &t.key("broken.png"), body, None)
        .await;

    match result {
        Err(Error::Body(source)) => assert!(source.to_string().contains("client went away")),
        other => panic!("expected a body error, got {other:?}"),
    }
    t.assert_no_files(&t.images);
}

#[rstest]
#[tokio::test]
async fn a_body_that_fails_before_the_type_is_known_leaves_nothing(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);

    let result = t
        .storage
        .write(
            &t.images,
            &t.key("broken.png"),
            failing_after(vec![png(100)]),
            None,
        )
        .await;

    assert!(matches!(result, Err(Error::Body(_))), "{result:?}");
    t.assert_no_files(&t.images);
}

#[rstest]
#[tokio::test]
async fn an_overwrite_replaces_the_object_once_complete(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let first = t.put(&t.images, "cat.png", png(1000)).await;
    // Make sure the modification time can differ.
    tokio::time::sleep(Duration::from_millis(10)).await;

    let second = t.put(&t.images, "cat.png", png(2000)).await;

    assert_eq!(t.get(&t.images, "cat.png").await, png(2000));
    assert_ne!(first.etag, second.etag);
}

#[rstest]
#[tokio::test]
async fn a_failed_overwrite_keeps_the_old_object(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let old = t.put(&t.images, "cat.png", png(1000)).await;

    let too_large = t
        .storage
        .write(
            &t.images,
            &t.key("cat.png"),
            chunks(vec![png(IMAGE_LIMIT as usize + 10)]),
            None,
        )
        .await;
    let broken = t
        .storage
        .write(
            &t.images,
            &t.key("cat.png"),
            failing_after(vec![png(50_000)]),
            None,
        )
        .await;
    let wrong_type = t
        .storage
        .write(
            &t.images,
            &t.key("cat.png"),
            chunks(vec![b"text".to_vec()]),
            None,
        )
        .await;

    assert!(matches!(too_large, Err(Error::TooLarge { .. })));
    assert!(matches!(broken, Err(Error::Body(_))));
    assert!(matches!(wrong_type, Err(Error::UnsupportedType { .. })));
    assert_eq!(t.get(&t.images, "cat.png").await, png(1000));
    let stat = t
        .storage
        .stat(&t.images, &t.key("cat.png"))
        .await
        .expect("still there");
    assert_eq!(stat, old);
    assert_eq!(t.stored(&t.images), vec!["cat.png"]);
    t.assert_nothing_in_flight();
}

/// The upload's task is cancelled while its body stalls: on fs a temporary file is being
/// written; on S3, past 8 MiB, a multipart upload is under way. Neither may survive.
#[rstest]
#[tokio::test]
async fn an_upload_dropped_half_way_leaves_nothing(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let sent = match backend {
        Backend::Fs => vec![png(20_000), vec![1; 600_000]],
        Backend::S3 => mebibytes(20),
    };
    let body = stalling_after(sent);
    let (storage, bucket, key) = (t.storage.clone(), t.files.clone(), t.key("gone.png"));
    let upload = tokio::spawn(async move { storage.write(&bucket, &key, body, None).await });
    // fs: the temporary file exists. S3: a multipart upload has its first part stored, and
    // the writer waits for the body holding the rest.
    let under_way = |in_flight: Vec<String>| match backend {
        Backend::Fs => !in_flight.is_empty(),
        Backend::S3 => in_flight.iter().any(|f| f.ends_with(".part-1")),
    };
    assert!(
        eventually(|| under_way(t.in_flight())).await,
        "no write under way while the body stalls: {:?}",
        t.in_flight()
    );

    upload.abort();

    assert!(upload.await.is_err_and(|e| e.is_cancelled()));
    assert!(
        eventually(|| t.in_flight().is_empty()).await,
        "left behind: {:?}",
        t.in_flight()
    );
    assert_eq!(t.stored(&t.files), Vec::<String>::new());
    assert!(matches!(
        t.storage.stat(&t.files, &t.key("gone.png")).await,
        Err(Error::NotFound { .. })
    ));
}

/// fs only: on disk a folder and an object cannot share a name. S3 has no folders (`a` and
/// `a/b.txt` are unrelated keys), and s3s-fs, which keeps objects as files, cannot model that.
#[tokio::test]
async fn a_key_clashing_with_a_folder_or_running_through_an_object_is_a_conflict() {
    let t = spawn(Backend::Fs);
    t.put(&t.files, "a/b.txt", b"x".to_vec()).await;

    let onto_folder = t
        .storage
        .write(&t.files, &t.key("a"), chunks(vec![b"y".to_vec()]), None)
        .await;
    let through_object = t
        .storage
        .write(
            &t.files,
            &t.key("a/b.txt/c"),
            chunks(vec![b"z".to_vec()]),
            None,
        )
        .await;

    assert!(
        matches!(onto_folder, Err(Error::AlreadyExists { .. })),
        "{onto_folder:?}"
    );
    assert!(
        matches!(through_object, Err(Error::AlreadyExists { .. })),
        "{through_object:?}"
    );
    t.assert_nothing_in_flight();
}

#[rstest]
#[tokio::test]
async fn writing_to_an_unknown_bucket_is_no_such_bucket(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);

    let result = t
        .storage
        .write(
            &bucket("nope"),
            &t.key("a.png"),
            chunks(vec![png(10)]),
            None,
        )
        .await;

    assert!(matches!(result, Err(Error::NoSuchBucket(name)) if name == "nope"));
}

/// ~20 MiB reach the backend before the body fails, and a body passes the limit after more
/// than that: on S3 both are multipart uploads with parts already stored. Nothing may be left:
/// no object, no temporary file, no upload that was never completed or aborted.
#[rstest]
#[tokio::test]
async fn failures_after_data_reached_the_backend_leave_nothing(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let in_flight_at_failure = Arc::new(Mutex::new(Vec::new()));
    let seen = in_flight_at_failure.clone();
    let probe = match &t.s3 {
        Some(s3) => s3.data_dir(),
        None => t.tmp(),
    };
    let broken = futures::stream::iter(mebibytes(20).into_iter().map(|c| Ok(Bytes::from(c))))
        .chain(futures::stream::once(async move {
            // What the backend holds of this upload at the moment the body breaks.
            *seen.lock().expect("not poisoned") = files_under(&probe);
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "client went away",
            ))
        }))
        .boxed();
    let mut too_much = mebibytes(20);
    too_much.extend(mebibytes(5));

    let broken = t
        .storage
        .write(&t.files, &t.key("big/broken.png"), broken, None)
        .await;
    let too_large = t
        .storage
        .write(&t.files, &t.key("big/huge.png"), chunks(too_much), None)
        .await;

    assert!(matches!(broken, Err(Error::Body(_))), "{broken:?}");
    assert!(
        matches!(too_large, Err(Error::TooLarge { limit: FILE_LIMIT })),
        "{too_large:?}"
    );
    let at_failure = in_flight_at_failure.lock().expect("not poisoned").clone();
    assert!(
        !at_failure.is_empty(),
        "the data never reached the backend before the failure"
    );
    if backend == Backend::S3 {
        assert!(
            at_failure
                .iter()
                .any(|p| p.to_string_lossy().contains(".part-")),
            "no multipart upload was under way: {at_failure:?}"
        );
    }
    t.assert_no_files(&t.files);
}

/// An error that cannot cross threads, like actix-web's.
#[derive(Debug)]
struct LocalError(std::rc::Rc<str>);

impl std::fmt::Display for LocalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LocalError {}

#[rstest]
#[tokio::test]
async fn a_body_stream_need_not_be_send(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let t = spawn(backend);
    let marker = std::rc::Rc::new(());
    let ok = futures::stream::iter(vec![png(100)]).map(move |c| {
        let _still_here = &marker;
        Ok::<_, LocalError>(bytes::Bytes::from(c))
    });
    let failing = futures::stream::iter(vec![Err(LocalError("payload error".into()))]);

    let stored = t
        .storage
        .write(&t.images, &t.key("local.png"), ok, None)
        .await;
    let broken = t
        .storage
        .write(&t.images, &t.key("broken.png"), failing, None)
        .await;

    assert_eq!(stored.map(|m| m.size).ok(), Some(100));
    match broken {
        Err(Error::Body(source)) => assert_eq!(source.to_string(), "payload error"),
        other => panic!("expected a body error, got {other:?}"),
    }
}

/// A stream that panics if polled again after it ended, as actix multipart fields do.
struct EndsOnce {
    chunks: Vec<Vec<u8>>,
    ended: bool,
}

impl futures::Stream for EndsOnce {
    type Item = Result<bytes::Bytes, LocalError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        assert!(!self.ended, "polled after completion");
        if self.chunks.is_empty() {
            self.ended = true;
            return std::task::Poll::Ready(None);
        }
        let chunk = self.chunks.remove(0);
        std::task::Poll::Ready(Some(Ok(bytes::Bytes::from(chunk))))
    }
}

#[rstest]
#[tokio::test]
async fn a_body_is_never_polled_after_its_end(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    for body in [
        vec![png(100)],
        vec![png(20_000)],
        vec![png(100), vec![1; 10_000]],
    ] {
        let size: usize = body.iter().map(Vec::len).sum();
        let stream = EndsOnce {
            chunks: body,
            ended: false,
        };

        let meta = t
            .storage
            .write(&t.images, &t.key("once.png"), stream, None)
            .await
            .expect("stored");

        assert_eq!(meta.size, size as u64);
    }
}
