//! The access table of the README ("Who may do what"), walked against the running app on both
//! API surfaces: every operation, for a stranger, the owner, another user, an administrator and
//! API tokens of each scope.

use futures::StreamExt;
use rstest::rstest;
use serde_json::{Value, json};

use crate::helpers::{Backend, PNG, Sessions, TestApp, spawn_app_on, spawn_app_with};

/// Who calls, in the order of the expectation rows below.
const ACTORS: [&str; 8] = [
    "anonymous",
    "owner (alice)",
    "another user (bob)",
    "admin",
    "alice's `read` token",
    "alice's `upload` token",
    "alice's `delete` token",
    "admin's `upload` token",
];

#[derive(Debug, Clone, Copy)]
enum Op {
    ListBuckets,
    GetPolicy,
    ListPublic,
    SignPublic,
    ListPrivate,
    StatPrivate,
    ReadFile,
    ReadVariant,
    Sign,
    UploadNew,
    Replace,
    Delete,
    DeleteMany,
    SetPolicy,
    Notifications,
    DeadLetters,
    AdminUsers,
    RebuildUsage,
    Me,
    ListTokens,
    Overview,
    OverviewOwners,
    SeedList,
    SeedStat,
    SeedPresign,
    SeedPut,
    SeedRemove,
    SeedSetPolicy,
    SeedGetNotification,
    SeedListBuckets,
}

const OK: &str = "ok";
const MISSING: &str = "missing_token";
const SCOPE: &str = "insufficient_scope";
const ADMIN: &str = "admin_required";
const OWNER: &str = "not_owner";
const SESSION: &str = "session_required";
/// Answered, without the part asked about (the overview's `owners`).
const HIDDEN: &str = "not_shown";

/// The README's table, one row per operation; columns as [`ACTORS`].
const TABLE: &[(Op, [&str; 8])] = &[
    (Op::ListBuckets, [OK, OK, OK, OK, OK, OK, OK, OK]),
    (Op::GetPolicy, [OK, OK, OK, OK, OK, OK, OK, OK]),
    (Op::ListPublic, [OK, OK, OK, OK, OK, OK, OK, OK]),
    (Op::SignPublic, [OK, OK, OK, OK, OK, OK, OK, OK]),
    (
        Op::ListPrivate,
        [MISSING, OK, OK, OK, OK, SCOPE, SCOPE, SCOPE],
    ),
    (
        Op::StatPrivate,
        [MISSING, OK, OK, OK, OK, SCOPE, SCOPE, SCOPE],
    ),
    (Op::ReadFile, [MISSING, OK, OK, OK, OK, SCOPE, SCOPE, SCOPE]),
    (
        Op::ReadVariant,
        [MISSING, OK, OK, OK, OK, SCOPE, SCOPE, SCOPE],
    ),
    (Op::Sign, [MISSING, OK, OK, OK, OK, SCOPE, SCOPE, SCOPE]),
    (Op::UploadNew, [MISSING, OK, OK, OK, SCOPE, OK, SCOPE, OK]),
    (Op::Replace, [MISSING, OK, OWNER, OK, SCOPE, OK, SCOPE, OK]),
    (
        Op::Delete,
        [MISSING, OK, OWNER, OK, SCOPE, SCOPE, OK, SCOPE],
    ),
    (
        Op::DeleteMany,
        [MISSING, OK, OWNER, OK, SCOPE, SCOPE, OK, SCOPE],
    ),
    (
        Op::SetPolicy,
        [MISSING, ADMIN, ADMIN, OK, ADMIN, ADMIN, ADMIN, SCOPE],
    ),
    (
        Op::Notifications,
        [MISSING, ADMIN, ADMIN, OK, ADMIN, ADMIN, ADMIN, SCOPE],
    ),
    (
        Op::DeadLetters,
        [MISSING, ADMIN, ADMIN, OK, ADMIN, ADMIN, ADMIN, SCOPE],
    ),
    (
        Op::AdminUsers,
        [MISSING, ADMIN, ADMIN, OK, ADMIN, ADMIN, ADMIN, SCOPE],
    ),
    (
        Op::RebuildUsage,
        [MISSING, ADMIN, ADMIN, OK, ADMIN, ADMIN, ADMIN, SCOPE],
    ),
    (Op::Me, [MISSING, OK, OK, OK, OK, OK, OK, OK]),
    (
        Op::ListTokens,
        [MISSING, OK, OK, OK, SESSION, SESSION, SESSION, SESSION],
    ),
    (
        Op::Overview,
        [MISSING, OK, OK, OK, SESSION, SESSION, SESSION, SESSION],
    ),
    (
        Op::OverviewOwners,
        [
            MISSING, HIDDEN, HIDDEN, OK, SESSION, SESSION, SESSION, SESSION,
        ],
    ),
    (Op::SeedListBuckets, [OK, OK, OK, OK, OK, OK, OK, OK]),
    (Op::SeedList, [MISSING, OK, OK, OK, OK, SCOPE, SCOPE, SCOPE]),
    (Op::SeedStat, [MISSING, OK, OK, OK, OK, SCOPE, SCOPE, SCOPE]),
    (
        Op::SeedPresign,
        [MISSING, OK, OK, OK, OK, SCOPE, SCOPE, SCOPE],
    ),
    (Op::SeedPut, [MISSING, OK, OWNER, OK, SCOPE, OK, SCOPE, OK]),
    (
        Op::SeedRemove,
        [MISSING, OK, OWNER, OK, SCOPE, SCOPE, OK, SCOPE],
    ),
    (
        Op::SeedSetPolicy,
        [MISSING, ADMIN, ADMIN, OK, ADMIN, ADMIN, ADMIN, SCOPE],
    ),
    (
        Op::SeedGetNotification,
        [MISSING, ADMIN, ADMIN, OK, ADMIN, ADMIN, ADMIN, SCOPE],
    ),
];

/// Mints an API token for the holder of `session` with `scopes`.
pub async fn token(app: &TestApp, session: &str, scopes: &[&str]) -> String {
    let res = app
        .post_json(
            "/api/v1/auth/tokens",
            &json!({"name": format!("{scopes:?}"), "scopes": scopes}),
            Some(session),
        )
        .await;
    res.assert_ok(201);
    res.data()["token"].as_str().unwrap().to_owned()
}

/// The outcome of a native answer: "ok" or its error code.
fn native(status: u16, body: &Value) -> String {
    if body["success"] == true {
        assert!(status < 300, "{status} {body}");
        return OK.into();
    }
    body["code"].as_str().unwrap_or("?").to_owned()
}

/// The outcome of a seed answer (always HTTP 200): "ok" or its `errCode`.
fn seed(body: &Value) -> String {
    if body["code"] == "0" {
        return OK.into();
    }
    body["data"]["errCode"].as_str().unwrap_or("?").to_owned()
}

async fn send(req: reqwest::RequestBuilder, token: Option<&str>, bare: bool) -> (u16, Value) {
    let req = match (token, bare) {
        (Some(t), true) => req.header("authorization", t),
        (Some(t), false) => req.bearer_auth(t),
        (None, _) => req,
    };
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let bytes = res.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body)
}

/// Runs `op` as the holder of `token` against alice's object `key` in the private bucket.
async fn run(app: &TestApp, op: Op, token: Option<&str>, key: &str) -> String {
    let c = &app.client;
    let file = |name: &str| {
        reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(PNG.to_vec()).file_name(name.to_owned()),
        )
    };
    let objects = app.url("/api/v1/buckets/files/objects");
    match op {
        Op::ListBuckets => {
            let (s, b) = send(c.get(app.url("/api/v1/buckets")), token, false).await;
            native(s, &b)
        }
        Op::GetPolicy => {
            let (s, b) = send(c.get(app.url("/api/v1/buckets/files/policy")), token, false).await;
            native(s, &b)
        }
        Op::ListPublic => {
            let url = app.url("/api/v1/buckets/images/objects");
            let (s, b) = send(c.get(url), token, false).await;
            native(s, &b)
        }
        Op::SignPublic => {
            let url = app.url("/api/v1/buckets/images/sign/logo.png");
            let (s, b) = send(c.post(url).json(&json!({})), token, false).await;
            native(s, &b)
        }
        Op::ListPrivate => {
            let (s, b) = send(c.get(&objects), token, false).await;
            native(s, &b)
        }
        Op::StatPrivate => {
            let url = app.url(&format!("/api/v1/buckets/files/info/{key}"));
            let (s, b) = send(c.get(url), token, false).await;
            native(s, &b)
        }
        Op::ReadFile => {
            let (s, b) = send(c.get(app.url(&format!("/f/files/{key}"))), token, false).await;
            if s == 200 { OK.into() } else { native(s, &b) }
        }
        Op::ReadVariant => {
            let url = app.url(&format!("/f/files/{key}?w=160&fmt=webp"));
            let (s, b) = send(c.get(url), token, false).await;
            if s == 200 { OK.into() } else { native(s, &b) }
        }
        Op::Sign => {
            let url = app.url(&format!("/api/v1/buckets/files/sign/{key}"));
            let (s, b) = send(c.post(url).json(&json!({})), token, false).await;
            native(s, &b)
        }
        Op::UploadNew => {
            let name = format!("new-{}.png", uuid::Uuid::new_v4().simple());
            let (s, b) = send(c.post(&objects).multipart(file(&name)), token, false).await;
            native(s, &b)
        }
        Op::Replace => {
            let url = app.url(&format!("/api/v1/buckets/files/objects/{key}"));
            let (s, b) = send(c.put(url).body(PNG.to_vec()), token, false).await;
            native(s, &b)
        }
        Op::Delete => {
            let url = app.url(&format!("/api/v1/buckets/files/objects/{key}"));
            let (s, b) = send(c.delete(url), token, false).await;
            native(s, &b)
        }
        Op::DeleteMany => {
            let url = app.url("/api/v1/buckets/files/delete");
            let (s, b) = send(c.post(url).json(&json!({"keys": [key]})), token, false).await;
            match native(s, &b).as_str() {
                OK => {
                    let item = &b["data"]["items"][0];
                    if item["deleted"] == true {
                        OK.into()
                    } else {
                        item["code"].as_str().unwrap_or("?").to_owned()
                    }
                }
                other => other.to_owned(),
            }
        }
        Op::SetPolicy => {
            let url = app.url("/api/v1/buckets/files/policy");
            let (s, b) = send(c.put(url).json(&json!({"policy": "private"})), token, false).await;
            native(s, &b)
        }
        Op::Notifications => {
            let url = app.url("/api/v1/buckets/files/notifications");
            let (s, b) = send(c.get(url), token, false).await;
            native(s, &b)
        }
        Op::DeadLetters => {
            let (s, b) = send(c.get(app.url("/api/v1/notify/dead")), token, false).await;
            native(s, &b)
        }
        Op::AdminUsers => {
            let (s, b) = send(c.get(app.url("/api/v1/admin/users")), token, false).await;
            native(s, &b)
        }
        Op::RebuildUsage => {
            let url = app.url("/api/v1/admin/usage/rebuild");
            let (s, b) = send(c.post(url).json(&json!({})), token, false).await;
            native(s, &b)
        }
        Op::Me => {
            let (s, b) = send(c.get(app.url("/api/v1/me")), token, false).await;
            native(s, &b)
        }
        Op::Overview => {
            let (s, b) = send(c.get(app.url("/api/v1/overview")), token, false).await;
            native(s, &b)
        }
        Op::OverviewOwners => {
            let (s, b) = send(c.get(app.url("/api/v1/overview")), token, false).await;
            match native(s, &b) {
                ok if ok == OK && b["data"].get("owners").is_none() => HIDDEN.into(),
                outcome => outcome,
            }
        }
        Op::ListTokens => {
            let (s, b) = send(c.get(app.url("/api/v1/auth/tokens")), token, false).await;
            native(s, &b)
        }
        Op::SeedListBuckets => {
            let url = app.url("/imagepic/bucket/listBuckets");
            seed(&send(c.get(url), token, true).await.1)
        }
        Op::SeedList => {
            let url = app.url("/imagepic/object/listObjects");
            let body = json!({"bucketName": "files", "prefix": "", "pageSize": 10, "pageNum": 1});
            seed(&send(c.post(url).json(&body), token, true).await.1)
        }
        Op::SeedStat => {
            let url = app.url("/imagepic/object/statObject");
            let body = json!({"bucketName": "files", "objectName": key});
            seed(&send(c.post(url).json(&body), token, true).await.1)
        }
        Op::SeedPresign => {
            let url = app.url("/imagepic/object/presignedGetObject");
            let body = json!({"bucketName": "files", "objectName": key, "expiry": 60});
            seed(&send(c.post(url).json(&body), token, true).await.1)
        }
        Op::SeedPut => {
            let url = app.url("/imagepic/object/putObject");
            let (folder, name) = key.rsplit_once('/').unwrap_or(("", key));
            let req = c
                .post(url)
                .header("bucket", "files")
                .header("folder", folder)
                .multipart(file(name));
            seed(&send(req, token, true).await.1)
        }
        Op::SeedRemove => {
            let url = app.url("/imagepic/object/removeObject");
            let body = json!({"bucketName": "files", "objectName": key});
            seed(&send(c.post(url).json(&body), token, true).await.1)
        }
        Op::SeedSetPolicy => {
            let url = app.url("/imagepic/policy/setBucketPolicy");
            let body = json!({"bucketName": "files", "policy": "private"});
            seed(&send(c.post(url).json(&body), token, true).await.1)
        }
        Op::SeedGetNotification => {
            let url = app.url("/imagepic/notification/getBucketNotification");
            let body = json!({"bucketName": "files"});
            seed(&send(c.post(url).json(&body), token, true).await.1)
        }
    }
}

#[rstest]
#[tokio::test]
async fn the_access_table_holds_for_every_operation_caller_and_surface(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let alice = app.user().await;
    let bob = app.user().await;
    let admin = app.admin().await;
    let tokens = [
        token(&app, &alice.access, &["read"]).await,
        token(&app, &alice.access, &["upload"]).await,
        token(&app, &alice.access, &["delete"]).await,
        token(&app, &admin.access, &["upload"]).await,
    ];
    let callers: [Option<&str>; 8] = [
        None,
        Some(&alice.access),
        Some(&bob.access),
        Some(&admin.access),
        Some(&tokens[0]),
        Some(&tokens[1]),
        Some(&tokens[2]),
        Some(&tokens[3]),
    ];
    app.put(&alice.access, "images", "logo.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let mut wrong = Vec::new();
    for (op, expected) in TABLE {
        for (i, caller) in callers.iter().enumerate() {
            // A fresh object of alice's for every try, so that a replace or delete before
            // does not change what the next caller finds.
            let key = format!("t/{}.png", uuid::Uuid::new_v4().simple());
            app.put(&alice.access, "files", &key, PNG.to_vec())
                .await
                .assert_ok(201);
            let got = run(&app, *op, *caller, &key).await;
            if got != expected[i] {
                wrong.push(format!(
                    "{op:?} as {}: expected {}, got {got}",
                    ACTORS[i], expected[i]
                ));
            }
            let still_there = app
                .get_auth(&format!("/api/v1/buckets/files/info/{key}"), &alice.access)
                .await
                .status
                == 200;
            let removed = got == OK && matches!(op, Op::Delete | Op::DeleteMany | Op::SeedRemove);
            assert_eq!(still_there, !removed, "{op:?} as {}", ACTORS[i]);
        }
    }
    assert!(
        wrong.is_empty(),
        "the access table does not hold:\n{}",
        wrong.join("\n")
    );
}

#[rstest]
#[tokio::test]
async fn a_refused_replace_leaves_the_owners_bytes_untouched(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let alice = app.user().await;
    let bob = app.user().await;
    app.put(
        &alice.access,
        "files",
        "report.txt",
        b"alice's words".to_vec(),
    )
    .await
    .assert_ok(201);

    app.put(&bob.access, "files", "report.txt", b"bob was here".to_vec())
        .await
        .assert_error(403, "not_owner");
    // A POST upload never replaces: Bob's file goes to a key of its own and says so.
    let again = app
        .upload(&bob.access, "files", "report.txt", b"bob again".to_vec())
        .await;
    again.assert_ok(201);
    assert_eq!(again.data()["requestedKey"], "report.txt");
    let bobs = again.data()["key"].as_str().unwrap().to_owned();
    assert!(
        bobs.starts_with("report-")
            && bobs.ends_with(".txt")
            && bobs.len() == "report-123456.txt".len(),
        "{bobs}"
    );

    let res = app
        .client
        .get(app.url("/f/files/report.txt"))
        .bearer_auth(&alice.access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"alice's words");
}

#[tokio::test]
async fn an_object_put_there_behind_the_gateways_back_is_for_admins_only() {
    let app = spawn_app_with(Sessions::Redis, "").await;
    let alice = app.user().await;
    let admin = app.admin().await;
    let dir = app.data_dir.join("files");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("stray.txt"), b"copied in by rsync").unwrap();

    app.client
        .delete(app.url("/api/v1/buckets/files/objects/stray.txt"))
        .bearer_auth(&alice.access)
        .send()
        .await
        .map(|r| assert_eq!(r.status(), 403))
        .unwrap();
    let res = app
        .client
        .delete(app.url("/api/v1/buckets/files/objects/stray.txt"))
        .bearer_auth(&admin.access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn in_a_shared_bucket_every_member_may_replace_and_delete() {
    let team =
        "[buckets.team]\npolicy = \"private\"\nmax_object_bytes = 1048576\nwrite = \"shared\"\n";
    let app = spawn_app_with(Sessions::Redis, team).await;
    let alice = app.user().await;
    let bob = app.user().await;
    app.put(&alice.access, "team", "plan.txt", b"v1".to_vec())
        .await
        .assert_ok(201);
    app.put(&bob.access, "team", "plan.txt", b"v2".to_vec())
        .await
        .assert_ok(201);
    let res = app
        .client
        .delete(app.url("/api/v1/buckets/team/objects/plan.txt"))
        .bearer_auth(&alice.access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let buckets = app.get("/api/v1/buckets").await;
    let team = buckets.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "team")
        .cloned()
        .unwrap();
    assert_eq!(team["write"], "shared");
}

#[rstest]
#[tokio::test]
async fn a_slow_upload_cannot_take_over_a_key_another_user_created_meanwhile(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let alice = app.user().await;
    let bob = app.user().await;
    let (open, gate) = tokio::sync::oneshot::channel::<()>();
    let held = futures::stream::once(async { Ok::<_, std::io::Error>(vec![b'B'; 9000]) }).chain(
        futures::stream::once(async move {
            let _ = gate.await;
            Ok(vec![b'B'; 100])
        }),
    );
    let slow = app
        .client
        .put(app.url("/api/v1/buckets/files/objects/race/k.txt"))
        .bearer_auth(&bob.access)
        .body(reqwest::Body::wrap_stream(held))
        .send();
    let meanwhile = async {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        app.put(&alice.access, "files", "race/k.txt", b"alice's".to_vec())
            .await
            .assert_ok(201);
        let _ = open.send(());
    };

    let (slow, ()) = tokio::join!(slow, meanwhile);

    // Refused at commit (409), or, on a machine slow enough that Bob's request is read after
    // Alice's upload, at the first check (403): either way nothing of Bob's is stored.
    let refused = crate::helpers::Answer::from(slow.unwrap()).await;
    match refused.status {
        409 => refused.assert_error(409, "object_exists"),
        _ => refused.assert_error(403, "not_owner"),
    }
    let res = app
        .client
        .get(app.url("/f/files/race/k.txt"))
        .bearer_auth(&alice.access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"alice's");
}

#[rstest]
#[tokio::test]
async fn a_failed_batch_upload_never_removes_what_someone_else_stored_under_its_keys(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let alice = app.user().await;
    let bob = app.user().await;
    let (open, gate) = tokio::sync::oneshot::channel::<()>();
    let head = b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"k.txt\"\r\n\r\nalice's k\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.txt\"\r\n\r\n".to_vec();
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(head) }).chain(
        futures::stream::once(async move {
            let _ = gate.await;
            Err(std::io::Error::other("the client goes away"))
        }),
    );
    let batch = app
        .client
        .post(app.url("/api/v1/buckets/files/objects"))
        .bearer_auth(&alice.access)
        .header("content-type", "multipart/form-data; boundary=B")
        .body(reqwest::Body::wrap_stream(body))
        .send();
    let meanwhile = async {
        let info = "/api/v1/buckets/files/info/k.txt";
        while app.get_auth(info, &alice.access).await.status != 200 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let res = app
            .client
            .delete(app.url("/api/v1/buckets/files/objects/k.txt"))
            .bearer_auth(&alice.access)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        app.put(&bob.access, "files", "k.txt", b"bob's k".to_vec())
            .await
            .assert_ok(201);
        let _ = open.send(());
    };

    let (batch, ()) = tokio::join!(batch, meanwhile);
    assert!(batch.map_or(true, |r| r.status() != 201));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let res = app
        .client
        .get(app.url("/f/files/k.txt"))
        .bearer_auth(&bob.access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "bob's object was removed");
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"bob's k");
}
