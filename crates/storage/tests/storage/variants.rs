//! The variant cache inside each bucket (`.picgate/variants/…`): round trips, addressing by
//! key, ETag and name, prefix deletes, the reserved folder kept out of keys and listings, and
//! the sweep; on fs and on S3.

use std::time::Duration;

use bytes::Bytes;
use rstest::rstest;
use sha2::{Digest, Sha256};
use storage::{
    BucketName, Detail, Entry, Error, ListQuery, ObjectKey, ObjectKeyError, PageNumber,
    RESERVED_FOLDER, SweepReport,
};
use time::OffsetDateTime;

use crate::helpers::*;

const ETAG: &str = "\"5-1a2b\"";
const WEBP: &str = "image/webp";

/// The bytes a variant takes in storage: on fs a header line naming its type comes first.
fn stored_size(t: &TestStorage, len: usize, content_type: &str) -> u64 {
    let header = match t.backend {
        Backend::Fs => "picgate-variant/1 ".len() + content_type.len() + 1,
        Backend::S3 => 0,
    };
    (len + header) as u64
}

fn hex_sha256(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Where the variant `name` of `key` at `etag` is stored, relative to the bucket's root.
fn variant_path(key: &str, etag: &str, name: &str) -> String {
    let kh = hex_sha256(key);
    let eh = &hex_sha256(etag)[..32];
    format!(".picgate/variants/{}/{kh}/{eh}/{name}", &kh[..2])
}

async fn write(
    t: &TestStorage,
    bucket: &BucketName,
    key: &str,
    etag: &str,
    name: &str,
    bytes: &[u8],
) {
    t.storage
        .write_variant(
            bucket,
            &t.key(key),
            etag,
            name,
            Bytes::copy_from_slice(bytes),
            WEBP,
        )
        .await
        .expect("variant stored");
}

async fn read(
    t: &TestStorage,
    bucket: &BucketName,
    key: &str,
    etag: &str,
    name: &str,
) -> Option<Vec<u8>> {
    t.storage
        .read_variant(bucket, &t.key(key), etag, name)
        .await
        .expect("variant readable")
        .map(|v| v.bytes.to_vec())
}

/// How long to wait so that two writes get distinct stored times (S3 keeps whole seconds).
fn tick(t: &TestStorage) -> Duration {
    match t.backend {
        Backend::Fs => Duration::from_millis(50),
        Backend::S3 => Duration::from_millis(1100),
    }
}

#[rstest]
#[tokio::test]
async fn a_variant_reads_back_with_its_type_and_time(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    // `images` sits at the root of its S3 bucket, `files` under a root.
    for bucket in [t.images.clone(), t.files.clone()] {
        let key = t.key("2024/cat.png");
        let before = OffsetDateTime::now_utc();
        t.storage
            .write_variant(
                &bucket,
                &key,
                ETAG,
                "w640.avif",
                Bytes::from_static(b"\0\0\0 ftypavif..."),
                "image/avif",
            )
            .await
            .expect("stored");
        let after = OffsetDateTime::now_utc();

        let variant = t
            .storage
            .read_variant(&bucket, &key, ETAG, "w640.avif")
            .await
            .expect("readable")
            .expect("cached");

        assert_eq!(&variant.bytes[..], b"\0\0\0 ftypavif...");
        assert_eq!(variant.content_type, "image/avif");
        let second = time::Duration::seconds(1);
        assert!(
            variant.created >= before - second && variant.created <= after + second,
            "{} not in {before}..{after}",
            variant.created
        );
        // A bare ETag names the same entry as its quoted form.
        let bare = t
            .storage
            .read_variant(&bucket, &key, "5-1a2b", "w640.avif")
            .await
            .expect("readable");
        assert_eq!(bare.map(|v| v.bytes), Some(variant.bytes.clone()));
        assert_eq!(
            t.stored(&bucket),
            vec![variant_path("2024/cat.png", ETAG, "w640.avif")]
        );
    }
    t.assert_nothing_in_flight();
}

#[rstest]
#[tokio::test]
async fn another_etag_name_or_key_reads_nothing(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    write(&t, &t.files, "a.png", ETAG, "w640.webp", b"v").await;

    assert_eq!(
        read(&t, &t.files, "a.png", "\"other\"", "w640.webp").await,
        None
    );
    assert_eq!(read(&t, &t.files, "a.png", ETAG, "w320.webp").await, None);
    assert_eq!(read(&t, &t.files, "b.png", ETAG, "w640.webp").await, None);
    assert_eq!(read(&t, &t.images, "a.png", ETAG, "w640.webp").await, None);
    let facts = t
        .storage
        .read_facts(&t.files, &t.key("a.png"), ETAG)
        .await
        .expect("readable");
    assert_eq!(facts, None);
    assert_eq!(
        read(&t, &t.files, "a.png", ETAG, "w640.webp").await,
        Some(b"v".to_vec())
    );
}

#[rstest]
#[tokio::test]
async fn writes_replace_and_concurrent_writes_all_succeed(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    write(&t, &t.files, "a.png", ETAG, "w1.webp", b"first").await;
    write(&t, &t.files, "a.png", ETAG, "w1.webp", b"second").await;
    assert_eq!(
        read(&t, &t.files, "a.png", ETAG, "w1.webp").await,
        Some(b"second".to_vec())
    );

    // Two tasks of this instance and one of another, at once, with the same bytes.
    let other = t.reopen();
    let bytes = Bytes::from(vec![7u8; 50_000]);
    let key = t.key("a.png");
    let put = |storage: &storage::Storage| {
        let storage = storage.clone();
        let (files, key, bytes) = (t.files.clone(), key.clone(), bytes.clone());
        async move {
            storage
                .write_variant(&files, &key, ETAG, "w2.webp", bytes, WEBP)
                .await
        }
    };
    let (a, b, c) = tokio::join!(put(&t.storage), put(&t.storage), put(&other));
    assert!(a.is_ok() && b.is_ok() && c.is_ok(), "{a:?} {b:?} {c:?}");
    let read_back = t
        .storage
        .read_variant(&t.files, &key, ETAG, "w2.webp")
        .await
        .expect("readable")
        .expect("cached");
    assert_eq!(read_back.bytes, bytes);
    t.assert_nothing_in_flight();
}

#[rstest]
#[tokio::test]
async fn delete_variants_removes_every_etag_of_the_key_and_nothing_else(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let facts = serde_json::json!({"width": 640});
    for etag in [ETAG, "\"second\""] {
        write(&t, &t.files, "a/cat.png", etag, "w1.webp", b"1").await;
        write(&t, &t.files, "a/cat.png", etag, "w2.webp", b"2").await;
        t.storage
            .write_facts(&t.files, &t.key("a/cat.png"), etag, &facts)
            .await
            .expect("facts stored");
    }
    write(
        &t,
        &t.files,
        "a/cat.png.webp",
        ETAG,
        "w1.webp",
        b"other key",
    )
    .await;
    write(&t, &t.files, "a", ETAG, "w1.webp", b"another").await;
    write(&t, &t.images, "a/cat.png", ETAG, "w1.webp", b"other bucket").await;

    t.storage
        .delete_variants(&t.files, &t.key("a/cat.png"))
        .await
        .expect("deleted");

    for etag in [ETAG, "\"second\""] {
        for name in ["w1.webp", "w2.webp"] {
            assert_eq!(read(&t, &t.files, "a/cat.png", etag, name).await, None);
        }
        let left = t
            .storage
            .read_facts(&t.files, &t.key("a/cat.png"), etag)
            .await
            .expect("readable");
        assert_eq!(left, None);
    }
    assert_eq!(
        read(&t, &t.files, "a/cat.png.webp", ETAG, "w1.webp").await,
        Some(b"other key".to_vec())
    );
    assert_eq!(
        read(&t, &t.files, "a", ETAG, "w1.webp").await,
        Some(b"another".to_vec())
    );
    assert_eq!(
        read(&t, &t.images, "a/cat.png", ETAG, "w1.webp").await,
        Some(b"other bucket".to_vec())
    );
    // Nothing (left) to delete is fine.
    for key in ["a/cat.png", "never/cached.png"] {
        t.storage
            .delete_variants(&t.files, &t.key(key))
            .await
            .expect("nothing to delete");
    }
}

#[rstest]
#[tokio::test]
async fn facts_round_trip_per_etag(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let t = spawn(backend);
    let key = t.key("a.png");
    let facts = serde_json::json!({"width": 1920, "height": 1080, "animated": false});
    t.storage
        .write_facts(&t.files, &key, ETAG, &facts)
        .await
        .expect("stored");

    let read = t
        .storage
        .read_facts(&t.files, &key, ETAG)
        .await
        .expect("readable");
    assert_eq!(read, Some(facts.clone()));
    let other = t
        .storage
        .read_facts(&t.files, &key, "\"other\"")
        .await
        .expect("readable");
    assert_eq!(other, None);
    // The record names its original.
    let path = variant_path("a.png", ETAG, "facts.json");
    assert_eq!(t.stored(&t.files), vec![path.clone()]);
    let raw = match &t.s3 {
        None => std::fs::read(t.root(&t.files).join(&path)).expect("on disk"),
        Some(_) => t
            .foreign_client(&t.files)
            .read(&path)
            .await
            .expect("on S3")
            .to_vec(),
    };
    let record: serde_json::Value = serde_json::from_slice(&raw).expect("JSON");
    assert_eq!(
        record,
        serde_json::json!({"key": "a.png", "etag": ETAG, "facts": facts})
    );
}

#[rstest]
#[tokio::test]
async fn a_key_of_1024_bytes_keeps_its_cache_paths_short(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let segment = "s".repeat(storage::MAX_SEGMENT_BYTES);
    let mut long = format!("{segment}/").repeat(4);
    long.push_str(&"t".repeat(storage::MAX_KEY_BYTES - long.len()));
    assert_eq!(long.len(), 1024);
    // s3s-fs names a file after the base64 of the whole stored key when the object has a
    // content type, which must fit NAME_MAX (255): there the longest name would not fit (real
    // S3 and COS take keys of 1024 bytes).
    let name = match backend {
        Backend::Fs => "n".repeat(storage::MAX_VARIANT_NAME_BYTES),
        Backend::S3 => "w640.webp".to_owned(),
    };

    write(&t, &t.files, &long, ETAG, &name, b"v").await;
    t.storage
        .write_facts(&t.files, &t.key(&long), ETAG, &serde_json::json!(1))
        .await
        .expect("facts stored");

    assert_eq!(
        read(&t, &t.files, &long, ETAG, &name).await,
        Some(b"v".to_vec())
    );
    let stored = t.stored(&t.files);
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|p| p.len() <= 219), "{stored:?}");
    t.storage
        .delete_variants(&t.files, &t.key(&long))
        .await
        .expect("deleted");
    assert_eq!(read(&t, &t.files, &long, ETAG, &name).await, None);
}

#[rstest]
#[tokio::test]
async fn invalid_names_types_and_etags_are_refused(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let key = t.key("a.png");
    let long = "n".repeat(101);
    for name in [
        "",
        ".w1.webp",
        "W1.webp",
        "a/b",
        "a b",
        "facts.json",
        "é",
        long.as_str(),
    ] {
        let written = t
            .storage
            .write_variant(&t.files, &key, ETAG, name, Bytes::from_static(b"x"), WEBP)
            .await;
        assert!(
            matches!(written, Err(Error::Internal(_))),
            "{name:?}: {written:?}"
        );
        let read = t.storage.read_variant(&t.files, &key, ETAG, name).await;
        assert!(
            matches!(read, Err(Error::Internal(_))),
            "{name:?}: {read:?}"
        );
    }
    for content_type in ["", "webp", "image/webp\r\nx-evil: 1", " image/webp"] {
        let written = t
            .storage
            .write_variant(&t.files, &key, ETAG, "w1.webp", Bytes::new(), content_type)
            .await;
        assert!(
            matches!(written, Err(Error::Internal(_))),
            "{content_type:?}"
        );
    }
    let written = t
        .storage
        .write_variant(&t.files, &key, "", "w1.webp", Bytes::new(), WEBP)
        .await;
    assert!(matches!(written, Err(Error::Internal(_))), "{written:?}");
    let unknown = t
        .storage
        .read_variant(&bucket("nope"), &key, ETAG, "w1.webp")
        .await;
    assert!(
        matches!(unknown, Err(Error::NoSuchBucket(_))),
        "{unknown:?}"
    );
    let swept = t
        .storage
        .sweep_variants(&bucket("nope"), OffsetDateTime::now_utc(), None)
        .await;
    assert!(matches!(swept, Err(Error::NoSuchBucket(_))), "{swept:?}");
    assert_eq!(t.stored(&t.files), Vec::<String>::new());
}

#[rstest]
#[tokio::test]
async fn the_reserved_folder_is_no_object_key_and_no_prefix(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    write(&t, &t.files, "a.png", ETAG, "w1.webp", b"v").await;
    let stored = variant_path("a.png", ETAG, "w1.webp");

    assert_eq!(RESERVED_FOLDER, ".picgate");
    for key in [".picgate", ".picgate/x.png", stored.as_str()] {
        assert_eq!(
            ObjectKey::parse(key),
            Err(ObjectKeyError::Reserved),
            "{key}"
        );
    }
    assert_eq!(
        ObjectKey::join(".picgate/variants", "x.png"),
        Err(ObjectKeyError::Reserved)
    );
    // So no write, read, stat or delete of a user object can reach the cache; and listings
    // refuse the folder as a prefix.
    for prefix in [".picgate/", ".picgate/variants/"] {
        for delimiter in [true, false] {
            let q = ListQuery {
                prefix: prefix.to_owned(),
                delimiter,
                page_size: 10,
                ..ListQuery::default()
            };
            let listed = t.storage.list(&t.files, &q).await;
            assert!(
                matches!(listed, Err(Error::InvalidKey(ObjectKeyError::Reserved))),
                "{prefix}: {listed:?}"
            );
            let numbered = t
                .storage
                .list_numbered(&t.files, prefix, delimiter, PageNumber::All, Detail::Listed)
                .await;
            assert!(
                matches!(numbered, Err(Error::InvalidKey(ObjectKeyError::Reserved))),
                "{prefix}: {numbered:?}"
            );
        }
    }
    // Only the exact first segment is reserved.
    for key in [".picgate0", ".picgate-x/y.png", "a/.picgate/b.png"] {
        t.put(&t.files, key, key.as_bytes().to_vec()).await;
        assert_eq!(t.get(&t.files, key).await, key.as_bytes().to_vec());
    }
    assert_eq!(
        read(&t, &t.files, "a.png", ETAG, "w1.webp").await,
        Some(b"v".to_vec())
    );
}

#[rstest]
#[tokio::test]
async fn deleting_objects_leaves_their_variants_to_the_caller(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let meta = t.put(&t.images, "cat.png", png(100)).await;
    let other = t.put(&t.images, "dog.png", png(120)).await;
    write(&t, &t.images, "cat.png", &meta.etag, "w1.webp", b"cat").await;
    write(&t, &t.images, "dog.png", &other.etag, "w1.webp", b"dog").await;

    t.storage
        .delete(&t.images, &t.key("cat.png"))
        .await
        .expect("deleted");
    let results = t
        .storage
        .delete_many(&t.images, vec![t.key("dog.png")])
        .await
        .expect("bucket exists");
    assert!(results.iter().all(|(_, r)| r.is_ok()));

    assert_eq!(
        read(&t, &t.images, "cat.png", &meta.etag, "w1.webp").await,
        Some(b"cat".to_vec())
    );
    assert_eq!(
        read(&t, &t.images, "dog.png", &other.etag, "w1.webp").await,
        Some(b"dog".to_vec())
    );
}

/// User objects around the reserved folder in byte order (`.a` and `.picgate-x` before it,
/// `.picgate0` right after), and 30 cache entries plus a facts record.
async fn seed_around_the_cache(t: &TestStorage) -> Vec<String> {
    let mut keys: Vec<String> = [
        ".a",
        ".picgate-x",
        ".picgate0",
        "a/1.png",
        "a/2.png",
        "b.png",
    ]
    .iter()
    .map(|k| (*k).to_owned())
    .collect();
    keys.extend((0..9).map(|i| format!("p{i}.png")));
    for key in &keys {
        t.put(&t.files, key, key.as_bytes().to_vec()).await;
    }
    for i in 0..30 {
        write(
            t,
            &t.files,
            &format!("p{}.png", i % 9),
            &format!("\"{i}\""),
            "w1.webp",
            b"v",
        )
        .await;
    }
    t.storage
        .write_facts(&t.files, &t.key("b.png"), ETAG, &serde_json::json!({}))
        .await
        .expect("facts stored");
    keys.sort();
    keys
}

/// Every page of a listing of `files`, following cursors: the names on each page.
async fn pages(t: &TestStorage, prefix: &str, delimiter: bool, size: usize) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let q = ListQuery {
            prefix: prefix.to_owned(),
            delimiter,
            page_size: size,
            cursor,
            detail: Detail::Listed,
        };
        let page = t.storage.list(&t.files, &q).await.expect("listable");
        let mut names: Vec<String> = page.items.iter().map(|m| m.key.to_string()).collect();
        names.extend(page.folders.iter().cloned());
        names.sort();
        pages.push(names);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return pages,
        }
    }
}

#[rstest]
#[tokio::test]
async fn listings_never_show_the_cache(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let t = spawn(backend);
    let keys = seed_around_the_cache(&t).await;
    assert!(t.stored(&t.files).len() > keys.len() + 30);

    // Flat, in pages of 5 (and 1, and all at once): every page but the last is full of user
    // objects.
    for size in [1, 5, 1000] {
        let pages = pages(&t, "", false, size).await;
        let (last, full) = pages.split_last().expect("a page");
        assert!(full.iter().all(|p| p.len() == size), "{size}: {pages:?}");
        assert!(last.len() <= size);
        assert_eq!(pages.concat(), keys, "{size}");
    }
    // The top level with a delimiter: no `.picgate/` folder.
    let top: Vec<String> = keys
        .iter()
        .filter(|k| !k.starts_with("a/"))
        .cloned()
        .chain(["a/".to_owned()])
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for size in [1, 2, 5, 100] {
        let pages = pages(&t, "", true, size).await;
        let (_, full) = pages.split_last().expect("a page");
        assert!(full.iter().all(|p| p.len() == size), "{size}: {pages:?}");
        assert_eq!(pages.concat(), top, "{size}");
    }
    // Prefixes the reserved folder starts with list the user objects only.
    for prefix in [".", ".p", ".picgate"] {
        let expected: Vec<String> = keys
            .iter()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect();
        for delimiter in [false, true] {
            for size in [1, 5] {
                let listed = pages(&t, prefix, delimiter, size).await.concat();
                assert_eq!(listed, expected, "{prefix} {delimiter} {size}");
            }
        }
    }
    // Numbered pages and their totals.
    let all = t
        .storage
        .list_numbered(&t.files, "", false, PageNumber::All, Detail::Listed)
        .await
        .expect("listable");
    assert_eq!(all.total, keys.len());
    let second = t
        .storage
        .list_numbered(
            &t.files,
            "",
            false,
            PageNumber::Page { size: 5, number: 2 },
            Detail::Stat,
        )
        .await
        .expect("listable");
    let names: Vec<String> = second
        .entries
        .iter()
        .map(|e| match e {
            Entry::Object(o) => o.key.to_string(),
            Entry::Folder(f) => f.clone(),
        })
        .collect();
    assert_eq!(names, keys[5..10].to_vec());
    let delimited = t
        .storage
        .list_numbered(&t.files, "", true, PageNumber::All, Detail::Listed)
        .await
        .expect("listable");
    assert_eq!(delimited.total, top.len());
}

#[rstest]
#[tokio::test]
async fn the_sweep_deletes_variants_older_than_the_cutoff(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let original = t.put(&t.files, "a.png", b"original".to_vec()).await;
    for (name, len) in [("w1.webp", 10), ("w2.webp", 20), ("w3.webp", 30)] {
        write(&t, &t.files, "a.png", &original.etag, name, &vec![1; len]).await;
    }
    t.storage
        .write_facts(
            &t.files,
            &t.key("a.png"),
            &original.etag,
            &serde_json::json!(1),
        )
        .await
        .expect("facts stored");
    let all_bytes =
        stored_size(&t, 10, WEBP) + stored_size(&t, 20, WEBP) + stored_size(&t, 30, WEBP);

    let an_hour_ago = OffsetDateTime::now_utc() - time::Duration::hours(1);
    let young = t
        .storage
        .sweep_variants(&t.files, an_hour_ago, None)
        .await
        .expect("swept");
    assert_eq!(
        young,
        SweepReport {
            variants_kept: 3,
            bytes_kept: all_bytes,
            ..SweepReport::default()
        }
    );

    let soon = OffsetDateTime::now_utc() + time::Duration::seconds(1);
    let old = t
        .storage
        .sweep_variants(&t.files, soon, None)
        .await
        .expect("swept");
    assert_eq!(
        old,
        SweepReport {
            variants_deleted: 3,
            bytes_deleted: all_bytes,
            ..SweepReport::default()
        }
    );
    for name in ["w1.webp", "w2.webp", "w3.webp"] {
        assert_eq!(
            read(&t, &t.files, "a.png", &original.etag, name).await,
            None
        );
    }
    // The facts of a current original stay, however old.
    let facts = t
        .storage
        .read_facts(&t.files, &t.key("a.png"), &original.etag)
        .await
        .expect("readable");
    assert_eq!(facts, Some(serde_json::json!(1)));
    assert_eq!(t.get(&t.files, "a.png").await, b"original".to_vec());
}

#[rstest]
#[tokio::test]
async fn the_size_cap_deletes_the_oldest_first(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let names = ["oldest.webp", "middle.webp", "newest.webp"];
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(tick(&t)).await;
        }
        write(&t, &t.files, "a.png", ETAG, name, &[9; 100]).await;
    }
    let one = stored_size(&t, 100, WEBP);
    let an_hour_ago = OffsetDateTime::now_utc() - time::Duration::hours(1);

    let capped = t
        .storage
        .sweep_variants(&t.files, an_hour_ago, Some(2 * one + 1))
        .await
        .expect("swept");

    assert_eq!(
        capped,
        SweepReport {
            variants_deleted: 1,
            bytes_deleted: one,
            variants_kept: 2,
            bytes_kept: 2 * one,
            facts_deleted: 0,
        }
    );
    assert_eq!(read(&t, &t.files, "a.png", ETAG, "oldest.webp").await, None);
    assert!(
        read(&t, &t.files, "a.png", ETAG, "middle.webp")
            .await
            .is_some()
    );

    let again = t
        .storage
        .sweep_variants(&t.files, an_hour_ago, Some(one))
        .await
        .expect("swept");
    assert_eq!((again.variants_deleted, again.variants_kept), (1, 1));
    assert_eq!(read(&t, &t.files, "a.png", ETAG, "middle.webp").await, None);
    assert!(
        read(&t, &t.files, "a.png", ETAG, "newest.webp")
            .await
            .is_some()
    );

    let none = t
        .storage
        .sweep_variants(&t.files, an_hour_ago, Some(0))
        .await
        .expect("swept");
    assert_eq!((none.variants_deleted, none.bytes_kept), (1, 0));
    assert_eq!(t.stored(&t.files), Vec::<String>::new());
    if backend == Backend::Fs {
        // The folders emptied go too (the fan-out folder stays).
        let fan = t
            .root(&t.files)
            .join(".picgate/variants")
            .join(&hex_sha256("a.png")[..2]);
        let left: Vec<_> = std::fs::read_dir(&fan).expect("fan-out folder").collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

#[rstest]
#[tokio::test]
async fn the_sweep_removes_facts_of_deleted_or_replaced_originals(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let kept = t.put(&t.files, "kept.png", b"kept".to_vec()).await;
    let gone = t.put(&t.files, "gone.png", b"gone".to_vec()).await;
    let old = t.put(&t.files, "replaced.png", b"first".to_vec()).await;
    for (key, etag) in [
        ("kept.png", &kept.etag),
        ("gone.png", &gone.etag),
        ("replaced.png", &old.etag),
    ] {
        t.storage
            .write_facts(&t.files, &t.key(key), etag, &serde_json::json!(key))
            .await
            .expect("facts stored");
    }
    t.storage
        .delete(&t.files, &t.key("gone.png"))
        .await
        .expect("deleted");
    let new = t
        .put(&t.files, "replaced.png", b"second, longer".to_vec())
        .await;
    assert_ne!(new.etag, old.etag);
    t.storage
        .write_facts(
            &t.files,
            &t.key("replaced.png"),
            &new.etag,
            &serde_json::json!("new"),
        )
        .await
        .expect("facts stored");
    let facts = |key: &'static str, etag: String| {
        let t = &t;
        async move {
            t.storage
                .read_facts(&t.files, &t.key(key), &etag)
                .await
                .expect("readable")
        }
    };

    // Young records stay, stale or not.
    let an_hour_ago = OffsetDateTime::now_utc() - time::Duration::hours(1);
    let young = t
        .storage
        .sweep_variants(&t.files, an_hour_ago, None)
        .await
        .expect("swept");
    assert_eq!(young, SweepReport::default());
    assert!(facts("gone.png", gone.etag.clone()).await.is_some());

    let soon = OffsetDateTime::now_utc() + time::Duration::seconds(1);
    let swept = t
        .storage
        .sweep_variants(&t.files, soon, None)
        .await
        .expect("swept");

    assert_eq!(
        swept,
        SweepReport {
            facts_deleted: 2,
            ..SweepReport::default()
        }
    );
    assert_eq!(
        facts("kept.png", kept.etag.clone()).await,
        Some(serde_json::json!("kept.png"))
    );
    assert_eq!(facts("gone.png", gone.etag.clone()).await, None);
    assert_eq!(facts("replaced.png", old.etag.clone()).await, None);
    assert_eq!(
        facts("replaced.png", new.etag.clone()).await,
        Some(serde_json::json!("new"))
    );
}

#[rstest]
#[tokio::test]
async fn sweeping_an_empty_cache_reports_nothing(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    t.put(&t.files, "a.png", b"not a variant".to_vec()).await;
    let soon = OffsetDateTime::now_utc() + time::Duration::seconds(1);

    for cap in [None, Some(0)] {
        let report = t
            .storage
            .sweep_variants(&t.files, soon, cap)
            .await
            .expect("swept");
        assert_eq!(report, SweepReport::default());
    }
    assert_eq!(t.stored(&t.files), vec!["a.png".to_owned()]);
}

/// S3 only: a backend that is down makes every cache call fail as `Unavailable`.
#[tokio::test]
async fn a_stopped_backend_makes_cache_calls_unavailable() {
    let mut t = spawn(Backend::S3);
    write(&t, &t.files, "a.png", ETAG, "w1.webp", b"v").await;
    let storage = t.instance(|s| {
        s.timeout_secs = 2;
        s.retries = 1;
    });
    t.s3_mut().stop();
    let key = t.key("a.png");
    let unavailable = |what: &str, e: Option<Error>| {
        assert!(
            matches!(e, Some(Error::Unavailable(_))),
            "{what}: expected Unavailable, got {e:?}"
        );
    };

    unavailable(
        "read",
        storage
            .read_variant(&t.files, &key, ETAG, "w1.webp")
            .await
            .err(),
    );
    unavailable(
        "write",
        storage
            .write_variant(&t.files, &key, ETAG, "w1.webp", Bytes::new(), WEBP)
            .await
            .err(),
    );
    unavailable(
        "delete",
        storage.delete_variants(&t.files, &key).await.err(),
    );
    unavailable(
        "facts",
        storage.read_facts(&t.files, &key, ETAG).await.err(),
    );
    unavailable(
        "sweep",
        storage
            .sweep_variants(&t.files, OffsetDateTime::now_utc(), None)
            .await
            .err(),
    );

    t.s3_mut().resume();
    let variant = storage
        .read_variant(&t.files, &key, ETAG, "w1.webp")
        .await
        .expect("readable again");
    assert_eq!(variant.map(|v| v.bytes.to_vec()), Some(b"v".to_vec()));
}

/// S3 only, counted by a proxy in front of the server: a variant read is one `GET`, a write one
/// `PUT`, and a listing jumps past the cache instead of reading it: a page of 5 user objects
/// around 30 cache entries, and the whole sequence, cost two list requests each.
#[tokio::test]
async fn on_s3_the_cache_costs_no_extra_requests() {
    let t = spawn(Backend::S3);
    let keys = seed_around_the_cache(&t).await;
    let proxy = testkit::CountingProxy::start(t.s3().port());
    let mut table = t.table.clone();
    if let Some(files) = table.get_mut("files")
        && let storage::BackendSettings::S3(remote) = &mut files.backend
    {
        remote.endpoint = Some(proxy.endpoint());
    }
    let storage =
        storage::Storage::new(&t.settings(), &table, signing_key()).expect("valid settings");
    let key = t.key("p1.png");

    proxy.reset();
    let variant = storage
        .read_variant(&t.files, &key, "\"1\"", "w1.webp")
        .await
        .expect("readable")
        .expect("cached");
    assert_eq!(variant.content_type, WEBP);
    assert_eq!((proxy.count("GET"), proxy.count("HEAD")), (1, 0));

    proxy.reset();
    storage
        .write_variant(
            &t.files,
            &key,
            "\"1\"",
            "w2.webp",
            Bytes::from_static(b"v"),
            WEBP,
        )
        .await
        .expect("stored");
    assert_eq!((proxy.count("PUT"), proxy.count("POST")), (1, 0));

    proxy.reset();
    let q = ListQuery {
        page_size: 5,
        ..ListQuery::default()
    };
    let page = storage.list(&t.files, &q).await.expect("listable");
    let names: Vec<String> = page.items.iter().map(|m| m.key.to_string()).collect();
    assert_eq!(names, keys[..5].to_vec());
    assert_eq!(proxy.count("GET"), 2, "list requests for a page");

    proxy.reset();
    let all = storage
        .list_numbered(&t.files, "", false, PageNumber::All, Detail::Listed)
        .await
        .expect("listable");
    assert_eq!(all.total, keys.len());
    assert_eq!(proxy.count("GET"), 2, "list requests for everything");
}
