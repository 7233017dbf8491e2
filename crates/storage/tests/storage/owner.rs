//! Object ownership: `write_as` records the writer, every stat returns it, and it goes away
//! with the object (user metadata on S3, a record in the system area on fs).

use std::time::Duration;

use rstest::rstest;
use storage::{Detail, Entry, Error, ListQuery, ListedObject, PageNumber};

use crate::helpers::*;

const ALICE: &str = "0b9e7c1e-5d0c-4e7a-9a57-1f0d8e0b6a11";
const BOB: &str = "7f3c2a90-1b44-4c1e-8d2f-6a5b4c3d2e10";

/// The owner `stat` reports for `key`.
async fn owner(t: &TestStorage, bucket: &storage::BucketName, key: &str) -> Option<String> {
    t.storage
        .stat(bucket, &t.key(key))
        .await
        .expect("object exists")
        .owner
}

/// Owner records in the system area (fs buckets only keep them there).
fn records(t: &TestStorage) -> usize {
    t.system_documents("owners/")
        .iter()
        .filter(|d| d.ends_with(".owner"))
        .count()
}

#[rstest]
#[tokio::test]
async fn a_written_owner_comes_back_from_write_stat_and_both_listings(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);

    let written = t.put_as(&t.images, "a/cat.png", ALICE, png(100)).await;

    assert_eq!(written.owner.as_deref(), Some(ALICE));
    let stat = t
        .storage
        .stat(&t.images, &t.key("a/cat.png"))
        .await
        .expect("stored");
    assert_eq!(stat, written);
    let query = ListQuery {
        prefix: "a/".to_owned(),
        page_size: 10,
        detail: Detail::Stat,
        ..ListQuery::default()
    };
    let page = t.storage.list(&t.images, &query).await.expect("listed");
    let owner = |m: &ListedObject| m.detail.as_ref().and_then(|d| d.owner.clone());
    let owners: Vec<_> = page.items.iter().map(owner).collect();
    assert_eq!(owners, vec![Some(ALICE.to_owned())]);
    let numbered = t
        .storage
        .list_numbered(&t.images, "", true, PageNumber::All, Detail::Listed)
        .await
        .expect("listed");
    assert_eq!(numbered.total, 1, "owner records are not listed");
    let nested = t
        .storage
        .list_numbered(&t.images, "a/", false, PageNumber::All, Detail::Stat)
        .await
        .expect("listed");
    match nested.entries.as_slice() {
        [Entry::Object(meta)] => assert_eq!(owner(meta).as_deref(), Some(ALICE)),
        other => panic!("expected one object, got {other:?}"),
    }
}

#[rstest]
#[tokio::test]
async fn a_multipart_upload_records_its_owner_too(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);

    // 9 MiB: two parts of a multipart upload on S3 (parts are 8 MiB).
    let written = t
        .storage
        .write_as(
            &t.files,
            &t.key("big.png"),
            Some(ALICE),
            chunks(mebibytes(9)),
            None,
        )
        .await
        .expect("upload succeeds");

    if backend == Backend::S3 {
        // A multipart ETag ends in the number of parts.
        assert!(written.etag.ends_with("-2\""), "{}", written.etag);
    }
    assert_eq!(owner(&t, &t.files, "big.png").await.as_deref(), Some(ALICE));
    t.assert_nothing_in_flight();
}

#[tokio::test]
async fn on_s3_the_owner_is_the_objects_x_amz_meta_owner_and_no_record_is_kept() {
    let t = spawn(Backend::S3);

    t.put_as(&t.images, "cat.png", ALICE, png(100)).await;
    t.storage
        .write_as(
            &t.files,
            &t.key("big.png"),
            Some(BOB),
            chunks(mebibytes(9)),
            None,
        )
        .await
        .expect("upload succeeds");

    for (bucket, key, who) in [(&t.images, "cat.png", ALICE), (&t.files, "big.png", BOB)] {
        let seen = t
            .foreign_client(bucket)
            .stat(key)
            .await
            .expect("another client sees the object");
        let meta = seen.user_metadata().expect("user metadata");
        assert_eq!(meta.get("owner"), Some(who), "{key}");
    }
    assert_eq!(records(&t), 0);
}

#[tokio::test]
async fn on_fs_the_owner_is_one_record_in_the_system_area_not_in_the_bucket() {
    let t = spawn(Backend::Fs);

    t.put_as(&t.images, "a/cat.png", ALICE, png(100)).await;
    t.put_as(&t.images, "a/cat.png", BOB, png(120)).await;

    assert_eq!(records(&t), 1);
    assert_eq!(t.stored(&t.images), vec!["a/cat.png"]);
    t.assert_nothing_in_flight();
    let temporary = t
        .system_documents("owners/")
        .into_iter()
        .filter(|d| d.ends_with(".tmp"))
        .count();
    assert_eq!(temporary, 0, "temporary record files left");
}

#[rstest]
#[tokio::test]
async fn a_replace_records_the_new_writer(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let t = spawn(backend);
    t.put_as(&t.images, "cat.png", ALICE, png(100)).await;

    let replaced = t.put_as(&t.images, "cat.png", BOB, png(100)).await;

    assert_eq!(replaced.owner.as_deref(), Some(BOB));
    assert_eq!(owner(&t, &t.images, "cat.png").await.as_deref(), Some(BOB));
}

#[rstest]
#[tokio::test]
async fn objects_written_without_an_owner_have_none(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    t.put_as(&t.images, "owned.png", ALICE, png(100)).await;

    let anonymous = t.put(&t.images, "anonymous.png", png(100)).await;
    let disowned = t.put(&t.images, "owned.png", png(100)).await;
    t.put_foreign(&t.images, "foreign.png", png(100)).await;

    assert_eq!(anonymous.owner, None);
    assert_eq!(disowned.owner, None);
    for key in ["anonymous.png", "owned.png", "foreign.png"] {
        assert_eq!(owner(&t, &t.images, key).await, None, "{key}");
    }
    assert_eq!(records(&t), 0, "the replaced object's record is removed");
}

#[rstest]
#[tokio::test]
async fn an_object_replaced_behind_picgates_back_has_no_owner(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    t.put_as(&t.images, "longer.png", ALICE, png(100)).await;
    t.put_as(&t.images, "same-size.png", ALICE, png(100)).await;

    // On fs: rewritten in place (same file, same inode), once with another size, once with
    // the same size a little later (the ETag is size + mtime).
    t.put_foreign(&t.images, "longer.png", png(101)).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    t.put_foreign(&t.images, "same-size.png", vec![7; 100])
        .await;

    assert_eq!(owner(&t, &t.images, "longer.png").await, None);
    assert_eq!(owner(&t, &t.images, "same-size.png").await, None);
}

#[rstest]
#[tokio::test]
async fn deleting_an_object_removes_its_owner(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    t.put_as(&t.images, "one.png", ALICE, png(100)).await;
    t.put_as(&t.images, "two.png", ALICE, png(100)).await;
    t.put_as(&t.images, "three.png", ALICE, png(100)).await;

    t.storage
        .delete(&t.images, &t.key("one.png"))
        .await
        .expect("deleted");
    let many = t
        .storage
        .delete_many(&t.images, vec![t.key("two.png"), t.key("three.png")])
        .await
        .expect("bucket exists");

    assert!(many.iter().all(|(_, r)| r.is_ok()), "{many:?}");
    assert_eq!(records(&t), 0);
    t.assert_no_files(&t.images);
    // A new object under the same key starts without the old owner.
    t.put(&t.images, "one.png", png(100)).await;
    assert_eq!(owner(&t, &t.images, "one.png").await, None);
}

#[rstest]
#[tokio::test]
async fn keys_whose_record_names_could_clash_keep_their_own_owners(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);

    t.put_as(&t.images, "cat", ALICE, png(100)).await;
    t.put_as(&t.images, "cat.owner/x.png", BOB, png(100)).await;

    assert_eq!(owner(&t, &t.images, "cat").await.as_deref(), Some(ALICE));
    assert_eq!(
        owner(&t, &t.images, "cat.owner/x.png").await.as_deref(),
        Some(BOB)
    );
}

#[rstest]
#[tokio::test]
async fn another_instance_sees_the_owner(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let t = spawn(backend);
    t.put_as(&t.images, "cat.png", ALICE, png(100)).await;

    let other = t.reopen();

    let meta = other
        .stat(&t.images, &t.key("cat.png"))
        .await
        .expect("stored");
    assert_eq!(meta.owner.as_deref(), Some(ALICE));
}

#[rstest]
#[tokio::test]
async fn an_invalid_owner_id_is_refused_before_anything_is_written(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);

    for bad in ["", "a/b", "x-amz-meta-evil: 1\r\n", &"a".repeat(65)] {
        let result = t
            .storage
            .write_as(
                &t.images,
                &t.key("cat.png"),
                Some(bad),
                chunks(vec![png(100)]),
                None,
            )
            .await;
        assert!(
            matches!(result, Err(Error::Internal(_))),
            "{bad:?}: {result:?}"
        );
    }

    t.assert_no_files(&t.images);
    assert_eq!(records(&t), 0);
}

#[rstest]
#[tokio::test]
async fn a_failed_upload_records_no_owner(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let t = spawn(backend);
    t.put_as(&t.images, "cat.png", ALICE, png(100)).await;

    let too_large = t
        .storage
        .write_as(
            &t.images,
            &t.key("cat.png"),
            Some(BOB),
            chunks(vec![png(IMAGE_LIMIT as usize + 1)]),
            None,
        )
        .await;
    let broken = t
        .storage
        .write_as(
            &t.images,
            &t.key("cat.png"),
            Some(BOB),
            failing_after(vec![png(20_000)]),
            None,
        )
        .await;

    assert!(matches!(too_large, Err(Error::TooLarge { .. })));
    assert!(matches!(broken, Err(Error::Body(_))));
    assert_eq!(
        owner(&t, &t.images, "cat.png").await.as_deref(),
        Some(ALICE)
    );
    t.assert_nothing_in_flight();
}

#[tokio::test]
async fn on_fs_an_owner_that_cannot_be_recorded_fails_the_upload_and_the_object_has_no_owner() {
    let t = spawn(Backend::Fs);
    // A file where the bucket's record directory belongs.
    let owners = t.dir.path().join(".system").join("owners");
    std::fs::create_dir_all(&owners).expect("writable");
    std::fs::write(owners.join("images"), b"in the way").expect("writable");

    let result = t
        .storage
        .write_as(
            &t.images,
            &t.key("cat.png"),
            Some(ALICE),
            chunks(vec![png(100)]),
            None,
        )
        .await;

    assert!(matches!(result, Err(Error::Internal(_))), "{result:?}");
    assert_eq!(owner(&t, &t.images, "cat.png").await, None);
}

#[rstest]
#[tokio::test]
async fn a_checked_delete_sees_the_owner_and_a_refusal_leaves_object_and_owner(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    t.put_as(&t.images, "mine.png", ALICE, png(50)).await;
    let key = t.key("mine.png");
    let current = t.storage.current(&t.images, &key).await.expect("readable");
    assert_eq!(current.and_then(|c| c.owner).as_deref(), Some(ALICE));

    let refused = t
        .storage
        .delete_checked(&t.images, &key, |now| match now.owner.as_deref() {
            Some(BOB) => Ok(()),
            _ => Err(Error::InvalidSignature),
        })
        .await;

    assert!(
        matches!(refused, Err(Error::InvalidSignature)),
        "{refused:?}"
    );
    assert_eq!(
        owner(&t, &t.images, "mine.png").await.as_deref(),
        Some(ALICE)
    );
    let mut seen = None;
    t.storage
        .delete_checked(&t.images, &key, |now| {
            seen = now.owner.clone();
            Ok::<(), Error>(())
        })
        .await
        .expect("deleted");
    assert_eq!(seen.as_deref(), Some(ALICE));
    assert_eq!(
        t.storage.current(&t.images, &key).await.expect("readable"),
        None
    );
}

/// A body that sends `first`, waits until `gate` opens, then sends `rest`: a slow client.
fn held_body(
    first: Vec<u8>,
    rest: Vec<u8>,
    gate: tokio::sync::oneshot::Receiver<()>,
) -> impl futures::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Unpin {
    use futures::StreamExt;
    let tail = futures::stream::once(async move {
        let _ = gate.await;
        Ok(bytes::Bytes::from(rest))
    });
    futures::stream::once(async move { Ok(bytes::Bytes::from(first)) })
        .chain(tail)
        .boxed()
}

#[rstest]
#[tokio::test]
async fn a_slow_create_does_not_overwrite_a_key_someone_else_created_meanwhile(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let key = t.key("race.png");
    let (open, gate) = tokio::sync::oneshot::channel();
    let slow = t.storage.write_if(
        &t.images,
        &key,
        Some(BOB),
        storage::Precondition::Absent,
        held_body(png(9000), vec![0; 100], gate),
        None,
    );
    let fast = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let written = t.put_as(&t.images, "race.png", ALICE, png(300)).await;
        let _ = open.send(());
        written
    };

    let (slow, fast) = tokio::join!(slow, fast);

    assert!(matches!(slow, Err(Error::AlreadyExists { .. })), "{slow:?}");
    assert_eq!(
        owner(&t, &t.images, "race.png").await.as_deref(),
        Some(ALICE)
    );
    assert_eq!(t.get(&t.images, "race.png").await, png(300));
    assert_eq!(fast.size, 300);
}

#[rstest]
#[tokio::test]
async fn a_replace_of_a_version_that_changed_meanwhile_stores_nothing(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let key = t.key("doc.png");
    let first = t.put_as(&t.images, "doc.png", ALICE, png(100)).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    t.put_as(&t.images, "doc.png", ALICE, png(200)).await;

    let stale = storage::Precondition::Unchanged { etag: first.etag };
    let late = t
        .storage
        .write_if(
            &t.images,
            &key,
            Some(BOB),
            stale,
            chunks(vec![png(50)]),
            None,
        )
        .await;

    assert!(matches!(late, Err(Error::Changed { .. })), "{late:?}");
    assert_eq!(t.get(&t.images, "doc.png").await, png(200));
    let now = t.storage.current(&t.images, &key).await.expect("readable");
    let fresh = storage::Precondition::Unchanged {
        etag: now.expect("exists").etag,
    };
    t.storage
        .write_if(
            &t.images,
            &key,
            Some(ALICE),
            fresh,
            chunks(vec![png(60)]),
            None,
        )
        .await
        .expect("the checked version is still there");
    assert_eq!(t.get(&t.images, "doc.png").await, png(60));
}
