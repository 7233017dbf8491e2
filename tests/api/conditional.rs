//! Conditional requests as RFC 9110 §13 orders them: `If-None-Match` before `Range`, and a
//! `Range` that only holds while `If-Range` still names the current object.

use rstest::rstest;

use crate::helpers::{Backend, PNG, spawn_app_on};

#[rstest]
#[tokio::test]
async fn a_range_whose_if_range_no_longer_matches_gets_the_whole_current_object(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.put(&user.access, "images", "r.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let first = app
        .client
        .get(app.url("/f/images/r.png"))
        .send()
        .await
        .unwrap();
    let old_etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let old_date = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();

    // Still the same object: the range is served.
    let same = app
        .client
        .get(app.url("/f/images/r.png"))
        .header("range", "bytes=0-3")
        .header("if-range", &old_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 206);
    assert_eq!(same.bytes().await.unwrap().as_ref(), &PNG[..4]);

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let mut newer = PNG.to_vec();
    newer.extend_from_slice(b"trailing bytes of a newer version");
    app.put(&user.access, "images", "r.png", newer.clone())
        .await
        .assert_ok(201);

    for validator in [&old_etag, &old_date] {
        let res = app
            .client
            .get(app.url("/f/images/r.png"))
            .header("range", "bytes=10-")
            .header("if-range", validator)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "If-Range: {validator}");
        assert!(res.headers().get("content-range").is_none());
        assert_eq!(res.bytes().await.unwrap().as_ref(), newer.as_slice());
    }
}

/// A date is a strong validator only once a second has passed since the change: within that
/// second the object may change again under the same date (RFC 9110 §8.8.2.2).
#[rstest]
#[tokio::test]
async fn an_if_range_date_of_this_very_second_is_too_weak_for_a_range(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let stored = std::time::Instant::now();
    app.put(&user.access, "images", "d.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let ranged = |date: String| {
        app.client
            .get(app.url("/f/images/d.png"))
            .header("range", "bytes=0-3")
            .header("if-range", date)
            .send()
    };
    let head = app
        .client
        .head(app.url("/f/images/d.png"))
        .send()
        .await
        .unwrap();
    let date = head.headers()["last-modified"].to_str().unwrap().to_owned();
    let res = ranged(date.clone()).await.unwrap();
    // Only meaningful while the object is less than a second old (HTTP dates have whole
    // seconds, so it was stored at most a second before `stored` + elapsed).
    if stored.elapsed() < std::time::Duration::from_millis(900) {
        assert_eq!(res.status(), 200, "a date from the same second");
        assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
    }
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let res = ranged(date).await.unwrap();
    assert_eq!(res.status(), 206, "a settled date");
    assert_eq!(res.bytes().await.unwrap().as_ref(), &PNG[..4]);
}

#[rstest]
#[tokio::test]
async fn a_fresh_copy_is_304_even_when_its_range_is_unsatisfiable(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.put(&user.access, "images", "c.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let etag = app
        .client
        .head(app.url("/f/images/c.png"))
        .send()
        .await
        .unwrap()
        .headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();

    let res = app
        .client
        .get(app.url("/f/images/c.png"))
        .header("if-none-match", &etag)
        .header("range", "bytes=5000-6000")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);

    let stale = app
        .client
        .get(app.url("/f/images/c.png"))
        .header("if-none-match", "\"something-else\"")
        .header("range", "bytes=5000-6000")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 416);
}

#[rstest]
#[tokio::test]
async fn a_key_below_an_existing_object_is_not_found_everywhere(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    app.put(&user.access, "files", "r/a.txt", b"a".to_vec())
        .await
        .assert_ok(201);
    let below = "r/a.txt/inner.txt";

    app.get_auth(&format!("/api/v1/buckets/files/info/{below}"), &user.access)
        .await
        .assert_error(404, "object_not_found");
    let file = app
        .client
        .get(app.url(&format!("/f/files/{below}")))
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    crate::helpers::Answer::from(file)
        .await
        .assert_error(404, "object_not_found");
    app.post_json(
        &format!("/api/v1/buckets/files/sign/{below}"),
        &serde_json::json!({}),
        Some(&user.access),
    )
    .await
    .assert_error(404, "object_not_found");
    let deleted = app
        .client
        .delete(app.url(&format!("/api/v1/buckets/files/objects/{below}")))
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    crate::helpers::Answer::from(deleted)
        .await
        .assert_error(404, "object_not_found");
    let seed = app
        .post_json(
            "/imagepic/object/statObject",
            &serde_json::json!({"bucketName": "files", "objectName": below}),
            Some(&user.access),
        )
        .await;
    assert_eq!(seed.body["data"]["errCode"], "object_not_found");
}
