use storage::Error;

use rstest::rstest;

use crate::helpers::*;

#[rstest]
#[tokio::test]
async fn a_deleted_object_is_gone(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let t = spawn(backend);
    t.put(&t.images, "a/cat.png", png(100)).await;

    t.storage
        .delete(&t.images, &t.key("a/cat.png"))
        .await
        .expect("deleted");

    let stat = t.storage.stat(&t.images, &t.key("a/cat.png")).await;
    assert!(matches!(stat, Err(Error::NotFound { .. })));
    t.assert_no_files(&t.images);
}

#[rstest]
#[tokio::test]
async fn deleting_a_missing_object_or_a_folder_is_not_found(
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
        let result = t.storage.delete(&t.files, &t.key(key)).await;
        assert!(
            matches!(result, Err(Error::NotFound { .. })),
            "{key}: {result:?}"
        );
    }
    assert_eq!(t.get(&t.files, "a/b.txt").await, b"x".to_vec());
}

#[rstest]
#[tokio::test]
async fn delete_many_reports_each_key_in_order(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    t.put(&t.files, "one", b"1".to_vec()).await;
    t.put(&t.files, "three", b"3".to_vec()).await;
    let keys = vec![t.key("one"), t.key("two"), t.key("three")];

    let results = t
        .storage
        .delete_many(&t.files, keys.clone())
        .await
        .expect("bucket exists");

    let outcome: Vec<(String, bool)> = results
        .iter()
        .map(|(k, r)| (k.to_string(), r.is_ok()))
        .collect();
    assert_eq!(
        outcome,
        vec![
            ("one".into(), true),
            ("two".into(), false),
            ("three".into(), true)
        ]
    );
    assert!(matches!(results[1].1, Err(Error::NotFound { .. })));
    let unknown = t.storage.delete_many(&bucket("nope"), keys).await;
    assert!(matches!(unknown, Err(Error::NoSuchBucket(_))));
}
