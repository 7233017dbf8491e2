use storage::{Detail, Entry, Error, ListPage, ListQuery, PageNumber};

use rstest::rstest;

use crate::helpers::*;

fn query(prefix: &str, delimiter: bool, page_size: usize, cursor: Option<String>) -> ListQuery {
    ListQuery {
        prefix: prefix.to_owned(),
        delimiter,
        page_size,
        cursor,
        detail: Detail::Listed,
    }
}

/// Names of a page in sequence order: objects and folders merged.
fn names(page: &ListPage) -> Vec<String> {
    let mut all: Vec<String> = page.items.iter().map(|m| m.key.to_string()).collect();
    all.extend(page.folders.iter().cloned());
    all.sort();
    all
}

async fn seed(t: &TestStorage, keys: &[&str]) {
    for key in keys {
        t.put(&t.files, key, key.as_bytes().to_vec()).await;
    }
}

/// Every page of a listing, following cursors.
async fn all_pages(t: &TestStorage, prefix: &str, delimiter: bool, size: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = t
            .storage
            .list(&t.files, &query(prefix, delimiter, size, cursor))
            .await
            .expect("listable");
        assert!(page.items.len() + page.folders.len() <= size);
        seen.extend(names(&page));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return seen,
        }
    }
}

#[rstest]
#[tokio::test]
async fn a_delimited_listing_merges_objects_and_folders_in_byte_order(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    seed(
        &t,
        &[
            "a/b.png",
            "a/b/x.png",
            "a/b0",
            "a/bc/y/z.png",
            "a/c.png",
            "a/B.png",
            "top.png",
        ],
    )
    .await;

    let page = t
        .storage
        .list(&t.files, &query("a/", true, 100, None))
        .await
        .expect("listable");

    let items: Vec<_> = page.items.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(items, vec!["a/B.png", "a/b.png", "a/b0", "a/c.png"]);
    assert_eq!(page.folders, vec!["a/b/".to_owned(), "a/bc/".to_owned()]);
    assert_eq!(page.next_cursor, None);
    // The list response alone gives what a stat would, but for the content type and owner
    // (and the ETag where the server lists none: s3s-fs does not; S3 and COS do).
    for item in &page.items {
        let stat = t.storage.stat(&t.files, &item.key).await.expect("stat");
        let secs = |t: time::OffsetDateTime| t.unix_timestamp();
        assert_eq!(
            (item.size, secs(item.last_modified)),
            (stat.size, secs(stat.last_modified)),
            "{}",
            item.key
        );
        let expected_etag = (backend == Backend::Fs).then_some(&stat.etag);
        assert_eq!(item.etag.as_ref(), expected_etag, "{}", item.key);
        assert!(item.size > 0 && item.detail.is_none());
    }
    let stated = t
        .storage
        .list(
            &t.files,
            &ListQuery {
                detail: Detail::Stat,
                ..query("a/", true, 100, None)
            },
        )
        .await
        .expect("listable");
    assert_eq!(stated.items.len(), 4);
    assert!(stated.items.iter().all(|m| {
        m.detail
            .as_ref()
            .is_some_and(|d| d.content_type == "text/plain")
    }));
}

#[rstest]
#[tokio::test]
async fn a_prefix_need_not_end_in_a_slash(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let t = spawn(backend);
    seed(
        &t,
        &["a/b.png", "a/b/x.png", "a/bc/y.png", "a/c.png", "ab.png"],
    )
    .await;

    let delimited = t
        .storage
        .list(&t.files, &query("a/b", true, 100, None))
        .await
        .expect("ok");
    let flat = t
        .storage
        .list(&t.files, &query("a/b", false, 100, None))
        .await
        .expect("ok");
    let top = t
        .storage
        .list(&t.files, &query("a", true, 100, None))
        .await
        .expect("ok");

    assert_eq!(names(&delimited), vec!["a/b.png", "a/b/", "a/bc/"]);
    assert_eq!(names(&flat), vec!["a/b.png", "a/b/x.png", "a/bc/y.png"]);
    assert_eq!(names(&top), vec!["a/", "ab.png"]);
}

#[rstest]
#[tokio::test]
async fn pages_concatenate_to_exactly_the_sorted_listing(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let mut keys: Vec<String> = (0..23)
        .map(|i| format!("p/{:02}-{}.txt", (i * 7) % 23, i))
        .collect();
    keys.extend([
        "p/sub/1.txt".to_owned(),
        "p/sub/2.txt".to_owned(),
        "p/zz/3.txt".to_owned(),
    ]);
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    seed(&t, &refs).await;
    let mut sorted = keys.clone();
    sorted.sort();

    for size in [1, 4, 5, 26, 27, 100] {
        assert_eq!(
            all_pages(&t, "p/", false, size).await,
            sorted,
            "page size {size}"
        );
    }
    let mut delimited: Vec<String> = keys
        .iter()
        .filter(|k| k.matches('/').count() == 1)
        .cloned()
        .collect();
    delimited.extend(["p/sub/".to_owned(), "p/zz/".to_owned()]);
    delimited.sort();
    for size in [1, 3, 10] {
        assert_eq!(
            all_pages(&t, "p/", true, size).await,
            delimited,
            "page size {size}"
        );
    }
}

#[rstest]
#[tokio::test]
async fn changes_between_pages_never_skip_or_repeat_a_survivor(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let keys: Vec<String> = (0..30).map(|i| format!("k{i:02}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    seed(&t, &refs).await;

    let mut seen: Vec<String> = Vec::new();
    let mut deleted = Vec::new();
    let mut cursor = None;
    let mut round = 0;
    loop {
        let page = t
            .storage
            .list(&t.files, &query("", false, 4, cursor))
            .await
            .expect("ok");
        seen.extend(names(&page));
        // Between pages: delete one object not yet seen and one already seen, add two.
        let victim = format!("k{:02}", 29 - round);
        if t.storage.delete(&t.files, &t.key(&victim)).await.is_ok() {
            deleted.push(victim);
        }
        let _ = t
            .storage
            .delete(&t.files, &t.key(&format!("k{:02}", round)))
            .await;
        deleted.push(format!("k{round:02}"));
        t.put(&t.files, &format!("k{:02}x", round * 3), b"new".to_vec())
            .await;
        t.put(
            &t.files,
            &format!("a{round}"),
            b"before the cursor".to_vec(),
        )
        .await;
        round += 1;
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }

    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "repeated or out of order: {seen:?}"
    );
    for survivor in keys.iter().filter(|k| !deleted.contains(k)) {
        assert!(seen.contains(survivor), "skipped {survivor}");
    }
}

#[rstest]
#[tokio::test]
async fn folders_emptied_by_deletes_disappear(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    seed(&t, &["d/gone/x.txt", "d/kept/y.txt", "d/z.txt"]).await;
    t.storage
        .delete(&t.files, &t.key("d/gone/x.txt"))
        .await
        .expect("deleted");
    let failed = t
        .storage
        .write(
            &t.files,
            &t.key("d/failed/x.txt"),
            failing_after(vec![b"x".to_vec()]),
            None,
        )
        .await;
    assert!(failed.is_err());

    let page = t
        .storage
        .list(&t.files, &query("d/", true, 1, None))
        .await
        .expect("ok");
    let rest = all_pages(&t, "d/", true, 1).await;
    let numbered = t
        .storage
        .list_numbered(&t.files, "d/", true, PageNumber::All, Detail::Listed)
        .await
        .expect("ok");

    assert_eq!(page.folders, vec!["d/kept/".to_owned()]);
    assert!(page.next_cursor.is_some());
    assert_eq!(rest, vec!["d/kept/", "d/z.txt"]);
    assert_eq!(numbered.total, 2);
}

#[rstest]
#[tokio::test]
async fn files_that_are_not_valid_keys_are_not_listed(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    seed(&t, &["ok.txt"]).await;
    t.put_foreign(&t.files, "back\\slash", b"x".to_vec()).await;
    t.put_foreign(&t.files, "bell\u{7}.txt", b"x".to_vec())
        .await;
    if backend == Backend::Fs {
        // The S3 client used here (OpenDAL) trims the name itself.
        t.put_foreign(&t.files, " padded", b"x".to_vec()).await;
    }

    let page = t
        .storage
        .list(&t.files, &query("", false, 10, None))
        .await
        .expect("ok");

    assert_eq!(names(&page), vec!["ok.txt"]);
}

#[rstest]
#[tokio::test]
async fn bad_cursors_and_prefixes_are_refused(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    seed(&t, &["a/1", "a/2", "b/1"]).await;
    let first = t
        .storage
        .list(&t.files, &query("a/", false, 1, None))
        .await
        .expect("ok");
    let cursor = first.next_cursor.expect("more pages");

    let garbage = t
        .storage
        .list(&t.files, &query("a/", false, 1, Some("%%%".into())))
        .await;
    let other_prefix = t
        .storage
        .list(&t.files, &query("b/", false, 1, Some(cursor)))
        .await;
    let traversal = t
        .storage
        .list(&t.files, &query("../", false, 1, None))
        .await;
    let unknown = t
        .storage
        .list(&bucket("nope"), &query("", false, 1, None))
        .await;

    assert!(matches!(garbage, Err(Error::InvalidCursor)));
    assert!(matches!(other_prefix, Err(Error::InvalidCursor)));
    assert!(matches!(traversal, Err(Error::InvalidKey(_))));
    assert!(matches!(unknown, Err(Error::NoSuchBucket(_))));
}

#[rstest]
#[tokio::test]
async fn an_empty_or_missing_prefix_lists_nothing(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);

    let page = t
        .storage
        .list(&t.files, &query("nothing/here/", true, 10, None))
        .await
        .expect("ok");

    assert_eq!(
        page,
        ListPage {
            items: vec![],
            folders: vec![],
            next_cursor: None
        }
    );
}

#[rstest]
#[tokio::test]
async fn numbered_pages_follow_the_same_sequence_with_a_total(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    seed(&t, &["n/a", "n/b", "n/c/d", "n/e", "n/f/g", "n/h"]).await;

    let all = t
        .storage
        .list_numbered(&t.files, "n/", true, PageNumber::All, Detail::Listed)
        .await
        .expect("ok");
    let second = t
        .storage
        .list_numbered(
            &t.files,
            "n/",
            true,
            PageNumber::Page { size: 2, number: 2 },
            Detail::Listed,
        )
        .await
        .expect("ok");
    let beyond = t
        .storage
        .list_numbered(
            &t.files,
            "n/",
            true,
            PageNumber::Page { size: 2, number: 9 },
            Detail::Listed,
        )
        .await
        .expect("ok");
    let flat = t
        .storage
        .list_numbered(&t.files, "n/", false, PageNumber::All, Detail::Listed)
        .await
        .expect("ok");

    let name = |e: &Entry| match e {
        Entry::Object(m) => m.key.to_string(),
        Entry::Folder(f) => f.clone(),
    };
    assert_eq!(all.total, 6);
    assert_eq!(
        all.entries.iter().map(name).collect::<Vec<_>>(),
        vec!["n/a", "n/b", "n/c/", "n/e", "n/f/", "n/h"]
    );
    assert_eq!(second.total, 6);
    assert_eq!(
        second.entries.iter().map(name).collect::<Vec<_>>(),
        vec!["n/c/", "n/e"]
    );
    assert!(beyond.entries.is_empty());
    assert_eq!(flat.total, 6);
    assert_eq!(
        flat.entries.iter().map(name).collect::<Vec<_>>(),
        vec!["n/a", "n/b", "n/c/d", "n/e", "n/f/g", "n/h"]
    );
}

/// On S3 a page is one listing request that starts after the cursor in the server's key
/// order (fs walks and sorts itself). Names around the folder separator in byte order
/// (`-` < `.` < `/` < `0`), a folder with more objects than a page, one holding only a deeper
/// folder, and non-ASCII names: one-entry pages still concatenate to the sorted sequence.
#[rstest]
#[tokio::test]
async fn one_entry_pages_follow_byte_order_around_folders(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let mut keys: Vec<String> = ["o/a-b", "o/a.b", "o/a0", "o/b/x/y", "o/z", "o/é", "o/猫"]
        .map(String::from)
        .to_vec();
    keys.extend((0..12).map(|i| format!("o/a/{i:02}")));
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    seed(&t, &refs).await;

    let delimited = all_pages(&t, "o/", true, 1).await;
    let flat = all_pages(&t, "o/", false, 1).await;
    let after_folder = t
        .storage
        .list(&t.files, &query("o/", true, 2, None))
        .await
        .expect("ok");
    let next = t
        .storage
        .list(
            &t.files,
            &query("o/", true, 2, after_folder.next_cursor.clone()),
        )
        .await
        .expect("ok");

    assert_eq!(
        delimited,
        [
            "o/a-b", "o/a.b", "o/a/", "o/a0", "o/b/", "o/z", "o/é", "o/猫"
        ]
    );
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(flat, sorted);
    assert_eq!(names(&after_folder), ["o/a-b", "o/a.b"]);
    assert_eq!(names(&next), ["o/a/", "o/a0"], "the folder is one entry");
}

/// Skipped entries (names that are not keys) must not make a page reach into the next list
/// response, whose folders come before its objects: every page still holds the smallest names.
#[rstest]
#[tokio::test]
async fn pages_stay_in_order_when_entries_are_skipped_among_folders(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    seed(
        &t,
        &["p/b.png", "p/c.png", "p/d/x.png", "p/f/x.png", "p/g.png"],
    )
    .await;
    t.put_foreign(&t.files, "p/a\u{1}", b"x".to_vec()).await;
    t.put_foreign(&t.files, "p/a\u{2}", b"x".to_vec()).await;

    for size in 1..=4 {
        let listed = all_pages(&t, "p/", true, size).await;

        assert_eq!(
            listed,
            vec!["p/b.png", "p/c.png", "p/d/", "p/f/", "p/g.png"],
            "page size {size}"
        );
    }
}
