//! `GET /api/v1/overview`: every section in one answer, figures kept current by uploads,
//! replaces and deletes (in Redis, or in the system area without it), a rebuild for objects
//! put behind picgate's back, a shape per client, and sections that fail alone.

use rstest::rstest;
use serde_json::{Value, json};

use crate::helpers::{Answer, Backend, PNG, Sessions, TestApp, spawn_app_on, spawn_app_on_with};

async fn overview(app: &TestApp, token: &str, client: &str) -> Answer {
    let res = app
        .client
        .get(app.url("/api/v1/overview"))
        .bearer_auth(token)
        .header("x-client", client)
        .send()
        .await
        .unwrap();
    Answer::from(res).await
}

/// The figures of bucket `name` in a pc overview: (objects, bytes, myObjects, myBytes).
fn figures(answer: &Answer, name: &str) -> (u64, u64, u64, u64) {
    let bucket = answer.data()["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .find(|b| b["name"] == name)
        .expect("the bucket");
    let n = |f: &str| {
        bucket[f]
            .as_u64()
            .unwrap_or_else(|| panic!("{f}: {bucket}"))
    };
    (n("objects"), n("bytes"), n("myObjects"), n("myBytes"))
}

fn recent_keys(answer: &Answer) -> Vec<String> {
    answer.data()["recent"]
        .as_array()
        .expect("recent")
        .iter()
        .map(|r| r["key"].as_str().unwrap().to_owned())
        .collect()
}

/// Writes an object straight into the bucket's storage, as another tool would.
fn put_behind_the_back(app: &TestApp, key: &str, bytes: &[u8]) {
    let path = match &app.s3 {
        Some(s3) => s3.data_dir().join(s3.bucket()).join("images").join(key),
        None => app.data_dir.join("images").join(key),
    };
    std::fs::write(path, bytes).unwrap();
}

#[rstest]
#[tokio::test]
async fn the_overview_answers_every_section_in_one_call(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let other = app.user().await;
    app.upload(&user.access, "images", "first.png", PNG.to_vec())
        .await
        .assert_ok(201);
    app.put(&user.access, "images", "shots/second.png", PNG.to_vec())
        .await
        .assert_ok(201);
    app.upload(&other.access, "images", "theirs.png", PNG.to_vec())
        .await
        .assert_ok(201);
    app.post_json(
        "/api/v1/auth/tokens",
        &json!({"name": "PicGo", "scopes": ["upload"]}),
        Some(&user.access),
    )
    .await
    .assert_ok(201);

    let pc = overview(&app, &user.access, "pc").await;
    pc.assert_ok(200);
    let data = pc.data();
    assert_eq!(data["complete"], true, "{data}");
    assert_eq!(data["errors"], json!([]));
    assert_eq!(data["user"]["role"], "user");
    assert_eq!(data["user"]["email"], user.email.as_str());
    let len = PNG.len() as u64;
    assert_eq!(figures(&pc, "images"), (3, 3 * len, 2, 2 * len));
    assert_eq!(figures(&pc, "files"), (0, 0, 0, 0));
    let images = data["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "images")
        .unwrap();
    assert_eq!(images["policy"], "public-read");
    assert_eq!(images["maxObjectBytes"], 20 * 1024 * 1024);
    assert_eq!(
        (data["objects"].as_u64(), data["bytes"].as_u64()),
        (Some(2), Some(2 * len))
    );
    assert_eq!(recent_keys(&pc), ["shots/second.png", "first.png"]);
    assert_eq!(
        data["recent"][0]["url"],
        app.url("/f/images/shots/second.png")
    );
    assert_eq!(data["tokens"]["count"], 1);
    assert!(data["tokens"]["lastUsed"].is_null());

    // A phone gets the name, the counts and the last uploads' links.
    let h5 = overview(&app, &user.access, "h5").await;
    h5.assert_ok(200);
    let keys: Vec<&String> = h5.data().as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["bytes", "complete", "errors", "name", "objects", "recent"]
    );
    assert_eq!(h5.data()["objects"], 2);
    assert_eq!(
        h5.data()["recent"],
        json!([
            {"url": app.url("/f/images/shots/second.png")},
            {"url": app.url("/f/images/first.png")}
        ])
    );
}

/// Uploads, replaces, deletes and batch deletes move the figures at once, without Redis too
/// (the system area keeps them); an object put behind picgate's back counts after a rebuild.
#[rstest]
#[tokio::test]
async fn the_figures_follow_every_write_and_a_rebuild_recounts_the_storage(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
    #[values(Sessions::Redis, Sessions::Embedded)] sessions: Sessions,
) {
    let app = spawn_app_on_with(backend, sessions, "").await;
    let user = app.user().await;
    let admin = app.admin().await;
    let len = PNG.len() as u64;
    let mut bigger = PNG.to_vec();
    bigger.extend_from_slice(&[0; 100]);

    app.upload(&user.access, "images", "a.png", PNG.to_vec())
        .await
        .assert_ok(201);
    app.upload(&user.access, "images", "b.png", PNG.to_vec())
        .await
        .assert_ok(201);
    app.put(&user.access, "images", "a.png", bigger.clone())
        .await
        .assert_ok(201);
    let now = overview(&app, &user.access, "pc").await;
    assert_eq!(
        figures(&now, "images"),
        (2, len + bigger.len() as u64, 2, len + bigger.len() as u64)
    );
    assert_eq!(recent_keys(&now), ["a.png", "b.png"]);

    // An admin's replace takes the object over: it moves to the admin's figures.
    app.put(&admin.access, "images", "b.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let now = overview(&app, &user.access, "pc").await;
    assert_eq!(figures(&now, "images").2, 1);
    assert_eq!(recent_keys(&now), ["a.png"]);

    let res = app
        .client
        .delete(app.url("/api/v1/buckets/images/objects/a.png"))
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    Answer::from(res).await.assert_ok(200);
    app.post_json(
        "/api/v1/buckets/images/delete",
        &json!({"keys": ["b.png", "missing.png"]}),
        Some(&admin.access),
    )
    .await
    .assert_ok(200);
    let now = overview(&app, &user.access, "pc").await;
    assert_eq!(figures(&now, "images"), (0, 0, 0, 0));
    assert_eq!(recent_keys(&now), Vec::<String>::new());

    // Behind picgate's back: not counted until a rebuild.
    app.upload(&user.access, "images", "kept.png", PNG.to_vec())
        .await
        .assert_ok(201);
    put_behind_the_back(&app, "dropped.png", &bigger);
    assert_eq!(
        figures(&overview(&app, &user.access, "pc").await, "images"),
        (1, len, 1, len)
    );
    app.post_json(
        "/api/v1/admin/usage/rebuild",
        &json!({}),
        Some(&user.access),
    )
    .await
    .assert_error(403, "admin_required");
    let rebuilt = app
        .post_json(
            "/api/v1/admin/usage/rebuild",
            &json!({}),
            Some(&admin.access),
        )
        .await;
    rebuilt.assert_ok(200);
    assert_eq!(
        rebuilt.data()["buckets"]["images"],
        json!({"objects": 2, "bytes": len + bigger.len() as u64})
    );
    let now = overview(&app, &user.access, "pc").await;
    assert_eq!(
        figures(&now, "images"),
        (2, len + bigger.len() as u64, 1, len)
    );
    assert_eq!(recent_keys(&now), ["kept.png"]);
}

/// With the storage (buckets and system area on S3) stopped, the sections that need it fail
/// and are named; the ones kept in Redis are still served.
#[tokio::test]
async fn a_failing_section_is_named_while_the_others_are_served() {
    let mut app = spawn_app_on(Backend::S3).await;
    let user = app.user().await;
    app.upload(&user.access, "images", "a.png", PNG.to_vec())
        .await
        .assert_ok(201);
    app.s3.as_mut().unwrap().stop();

    let started = std::time::Instant::now();
    let answer = overview(&app, &user.access, "pc").await;
    answer.assert_ok(200);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let data = answer.data();
    assert_eq!(data["complete"], false, "{data}");
    let failed: Vec<(&str, &str)> = data["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["section"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert!(
        failed.contains(&("user", "storage_unavailable")),
        "{failed:?}"
    );
    assert!(data["user"].is_null());
    assert_eq!(recent_keys(&answer), ["a.png"]);
    assert_eq!(data["tokens"]["count"], 0);
    for section in ["recent", "tokens", "usage"] {
        assert!(
            !failed.iter().any(|(s, _)| *s == section),
            "{section} failed: {failed:?}"
        );
    }
    app.s3.as_mut().unwrap().resume();
    let back = overview(&app, &user.access, "pc").await;
    assert_eq!(back.data()["complete"], true, "{}", back.body);
}

/// Administrators see what every owner has stored, per bucket, biggest first, on a desk and on
/// a phone; nobody else sees `owners` at all. Deleting a user leaves their objects counted
/// under their id, with no name.
#[rstest]
#[tokio::test]
async fn administrators_see_the_figures_of_every_owner(
    #[values(Sessions::Redis, Sessions::Embedded)] sessions: Sessions,
) {
    let app = spawn_app_on_with(Backend::Fs, sessions, "").await;
    let admin = app.admin().await;
    let big = app.user().await;
    let small = app.user().await;
    let len = PNG.len() as u64;
    for key in ["b1.png", "b2.png"] {
        app.upload(&big.access, "images", key, PNG.to_vec())
            .await
            .assert_ok(201);
    }
    let text = b"hello, files".to_vec();
    app.put(&big.access, "files", "notes.txt", text.clone())
        .await
        .assert_ok(201);
    app.upload(&small.access, "images", "s.png", PNG.to_vec())
        .await
        .assert_ok(201);
    // Gone again: no longer counted.
    app.upload(&small.access, "images", "gone.png", PNG.to_vec())
        .await
        .assert_ok(201);
    app.delete_auth("/api/v1/buckets/images/objects/gone.png", &small.access)
        .await
        .assert_ok(200);

    let me = |answer: &Answer, id: &str| -> Value {
        answer.data()["owners"]
            .as_array()
            .expect("owners")
            .iter()
            .find(|o| o["userId"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let (big_id, small_id) = (
        app.user_id(&big.access).await,
        app.user_id(&small.access).await,
    );

    for client in ["pc", "h5"] {
        let answer = overview(&app, &admin.access, client).await;
        answer.assert_ok(200);
        assert_eq!(answer.data()["complete"], true, "{}", answer.body);
        let owners = answer.data()["owners"].as_array().expect("owners").clone();
        assert_eq!(owners.len(), 2, "{client}: {owners:?}");
        assert_eq!(owners[0]["userId"], big_id.as_str(), "biggest first");
        let b = me(&answer, &big_id);
        assert_eq!(b["objects"], 3);
        assert_eq!(b["bytes"], 2 * len + text.len() as u64);
        assert_eq!(
            b["buckets"],
            json!([
                {"name": "files", "objects": 1, "bytes": text.len()},
                {"name": "images", "objects": 2, "bytes": 2 * len}
            ])
        );
        let s = me(&answer, &small_id);
        assert_eq!(
            (s["objects"].as_u64(), s["bytes"].as_u64()),
            (Some(1), Some(len))
        );
        assert!(s["name"].as_str().is_some_and(|n| !n.is_empty()), "{s}");
    }
    // Not for anyone else, on either client.
    for client in ["pc", "h5"] {
        let answer = overview(&app, &big.access, client).await;
        answer.assert_ok(200);
        assert!(answer.data().get("owners").is_none(), "{}", answer.body);
    }

    // A deleted user's objects stay counted, without a name.
    app.delete_auth(&format!("/api/v1/admin/users/{small_id}"), &admin.access)
        .await
        .assert_ok(200);
    let answer = overview(&app, &admin.access, "pc").await;
    let s = me(&answer, &small_id);
    assert_eq!(s["objects"], 1);
    assert_eq!(s["name"], "");
}

/// The overview is a dashboard's: API tokens (tools) are refused.
#[tokio::test]
async fn an_api_token_gets_no_overview() {
    let app = spawn_app_on(Backend::Fs).await;
    let user = app.user().await;
    let created = app
        .post_json(
            "/api/v1/auth/tokens",
            &json!({"name": "ci", "scopes": ["upload"]}),
            Some(&user.access),
        )
        .await;
    let token = created.data()["token"].as_str().unwrap().to_owned();
    overview(&app, &token, "pc")
        .await
        .assert_error(403, "session_required");
    let _: Value = created.body;
}

/// A deployment that had objects before it had figures (new, or upgraded) counts them at its
/// first start.
#[tokio::test]
async fn objects_stored_before_the_first_start_are_counted() {
    let app = spawn_app_on(Backend::Fs).await;
    let user = app.user().await;
    app.upload(&user.access, "images", "old.png", PNG.to_vec())
        .await
        .assert_ok(201);
    // Forget the figures, as a deployment from before them had none.
    let redis = app.redis.as_ref().unwrap();
    for key in ["usage-built", "usage:images", "recent-owners"] {
        redis.command(&format!("DEL picgate:{key}"));
    }
    let before = overview(&app, &user.access, "pc").await;
    assert_eq!(figures(&before, "images"), (0, 0, 0, 0));
    let twin = crate::helpers::spawn_twin_with(&app, "").await;
    let answer = overview(&twin, &user.access, "pc").await;
    let len = PNG.len() as u64;
    assert_eq!(figures(&answer, "images"), (1, len, 1, len));
    assert_eq!(recent_keys(&answer), ["old.png"]);
}

/// `?fields=` names the overview's own fields; the sections inside keep their profile's shape.
#[tokio::test]
async fn fields_narrow_the_overview_itself() {
    let app = spawn_app_on(Backend::Fs).await;
    let user = app.user().await;
    app.upload(&user.access, "images", "a.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let res = app
        .client
        .get(app.url("/api/v1/overview?fields=name,recent"))
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    let answer = Answer::from(res).await;
    answer.assert_ok(200);
    let keys: Vec<&String> = answer.data().as_object().unwrap().keys().collect();
    // Whether every section was served always comes along.
    assert_eq!(keys, ["complete", "errors", "name", "recent"]);
    assert_eq!(recent_keys(&answer), ["a.png"]);
    let res = app
        .client
        .get(app.url("/api/v1/overview?fields=url"))
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    Answer::from(res).await.assert_error(400, "unknown_field");
}

/// `picgate usage rebuild` while the service runs without Redis: the running service takes the
/// recount up, and later writes build on it.
#[tokio::test]
async fn a_rebuild_from_the_command_line_holds_while_the_service_runs() {
    let app = spawn_app_on_with(Backend::Fs, Sessions::Embedded, "").await;
    let user = app.user().await;
    let len = PNG.len() as u64;
    app.upload(&user.access, "images", "a.png", PNG.to_vec())
        .await
        .assert_ok(201);
    put_behind_the_back(&app, "dropped.png", PNG);
    app.cli_service().await.rebuild_usage().await.unwrap();
    let now = overview(&app, &user.access, "pc").await;
    assert_eq!(figures(&now, "images"), (2, 2 * len, 1, len));
    app.upload(&user.access, "images", "b.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let now = overview(&app, &user.access, "pc").await;
    assert_eq!(figures(&now, "images"), (3, 3 * len, 2, 2 * len));
}
