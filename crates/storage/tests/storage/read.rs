use storage::{ByteRange, Error};

use rstest::rstest;

use crate::helpers::*;

#[rstest]
#[tokio::test]
async fn a_whole_read_streams_the_object_with_its_metadata(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
    // Below, at and above what fs reads with the metadata, and across several pieces.
    #[values(5000, 65_536, 65_537, 1_300_000)] size: usize,
) {
    let t = spawn(backend);
    let stored = t.put(&t.files, "a/cat.png", png(size)).await;

    let body = t
        .storage
        .read(&t.files, &t.key("a/cat.png"), None)
        .await
        .expect("exists");

    assert_eq!(body.meta, stored);
    assert_eq!(body.meta.content_type, "image/png");
    assert_eq!(body.range, None);
    assert_eq!(collect(body).await, png(size));
}

#[rstest]
#[tokio::test]
async fn ranges_select_the_requested_bytes(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let t = spawn(backend);
    let size = 1_200_000;
    let bytes = png(size);
    t.put(&t.files, "r.png", bytes.clone()).await;
    let key = t.key("r.png");

    let cases = [
        (ByteRange::From(1_199_990), 1_199_990..1_200_000),
        (ByteRange::FromTo(100, 199), 100..200),
        (ByteRange::FromTo(9_000, 2_000_000), 9_000..1_200_000),
        (ByteRange::FromTo(500_000, 600_000), 500_000..600_001),
        (ByteRange::Suffix(16), 1_199_984..1_200_000),
        (ByteRange::Suffix(5_000_000), 0..1_200_000),
    ];
    for (range, expected) in cases {
        let body = t
            .storage
            .read(&t.files, &key, Some(range))
            .await
            .expect("satisfiable");
        assert_eq!(body.range, Some(expected.clone()));
        assert_eq!(body.meta.size, size as u64);
        assert_eq!(body.meta.content_type, "image/png", "{range:?}");
        let expected_bytes = bytes[expected.start as usize..expected.end as usize].to_vec();
        assert_eq!(collect(body).await, expected_bytes, "{range:?}");
    }
}

#[rstest]
#[tokio::test]
async fn an_unsatisfiable_range_names_the_size(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    t.put(&t.files, "r.png", png(100)).await;

    let result = t
        .storage
        .read(&t.files, &t.key("r.png"), Some(ByteRange::From(100)))
        .await;

    assert!(
        matches!(result, Err(Error::RangeNotSatisfiable { size: 100 })),
        "{result:?}"
    );
}

#[rstest]
#[tokio::test]
async fn reading_a_missing_object_or_a_folder_is_not_found(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    t.put(&t.files, "a/b.txt", b"x".to_vec()).await;
    // A folder's name is not an object on fs. On S3 there are no folders, and s3s-fs (which
    // keeps objects as files) cannot stat a directory: only the missing key applies there.
    let keys: &[&str] = match backend {
        Backend::Fs => &["missing.png", "a"],
        Backend::S3 => &["missing.png"],
    };

    for &key in keys {
        let read = t.storage.read(&t.files, &t.key(key), None).await;
        let stat = t.storage.stat(&t.files, &t.key(key)).await;
        assert!(
            matches!(read, Err(Error::NotFound { .. })),
            "{key}: {read:?}"
        );
        match stat {
            Err(Error::NotFound { bucket, key: k }) => {
                assert_eq!((bucket.as_str(), k.as_str()), ("files", key))
            }
            other => panic!("{key}: {other:?}"),
        }
    }
}

#[rstest]
#[tokio::test]
async fn the_etag_is_quoted_and_follows_the_content(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let first = t.put(&t.files, "e.txt", b"hello".to_vec()).await;
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    let second = t.put(&t.files, "e.txt", b"hello!".to_vec()).await;

    assert!(first.etag.starts_with('"') && first.etag.ends_with('"'));
    match backend {
        // Derived from size and modification time.
        Backend::Fs => assert!(first.etag.starts_with("\"5-"), "{}", first.etag),
        // The server's: the MD5 of the content.
        Backend::S3 => assert_eq!(first.etag, "\"5d41402abc4b2a76b9719d911017c592\""),
    }
    assert_ne!(first.etag, second.etag);
    assert!(second.last_modified >= first.last_modified);
}
