use storage::Error;

use crate::helpers::*;

#[tokio::test]
async fn a_deleted_object_is_gone() {
    let t = spawn();
    t.put(&t.images, "a/cat.png", png(100)).await;

    t.storage
        .delete(&t.images, &t.key("a/cat.png"))
        .await
        .expect("deleted");

    let stat = t.storage.stat(&t.images, &t.key("a/cat.png")).await;
    assert!(matches!(stat, Err(Error::NotFound { .. })));
    t.assert_no_files(&t.images);
}

#[tokio::test]
async fn deleting_a_missing_object_or_a_folder_is_not_found() {
    let t = spawn();
    t.put(&t.files, "a/b.txt", b"x".to_vec()).await;

    for key in ["missing.png", "a"] {
        let result = t.storage.delete(&t.files, &t.key(key)).await;
        assert!(
            matches!(result, Err(Error::NotFound { .. })),
            "{key}: {result:?}"
        );
    }
    assert_eq!(t.get(&t.files, "a/b.txt").await, b"x".to_vec());
}

#[tokio::test]
async fn delete_many_reports_each_key_in_order() {
    let t = spawn();
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
