//! The auth counters on `/metrics`, as dashboards and alert rules read them: logins by outcome,
//! sessions ended early by reason, refresh-token reuse, and requests let in by credential kind
//! and the scope the operation needed. Each test drives real requests and checks that exactly
//! the expected series moved, by exactly the expected amount.

use serde_json::{Value, json};

use crate::helpers::{Answer, PASSWORD, PNG, Sessions, TestApp, spawn_app, spawn_app_with};

pub const LOGINS: &str = "picgate_auth_logins_total";
const REVOCATIONS: &str = "picgate_auth_session_revocations_total";
const REUSE: &str = "picgate_auth_refresh_token_reuse_total";
const TOKEN_USES: &str = "picgate_auth_token_uses_total";

/// The sum of the samples of `metric` whose labels include every pair of `labels` (a missing
/// series counts 0).
pub fn sum(scrape: &str, metric: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (name, rest) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.strip_suffix('}')?),
                None => (series, ""),
            };
            if name != metric {
                return None;
            }
            let has =
                |(k, v): &(&str, &str)| rest.split(',').any(|pair| pair == format!("{k}=\"{v}\""));
            labels.iter().all(has).then(|| value.parse::<f64>().ok())?
        })
        .sum()
}

/// The auth counters at one moment, to compare with a later one.
struct Counters(String);

impl Counters {
    async fn of(app: &TestApp) -> Self {
        Self(app.scrape().await)
    }

    fn get(&self, metric: &str, labels: &[(&str, &str)]) -> f64 {
        sum(&self.0, metric, labels)
    }

    /// How much each of `moved` grew since `self` (`now`), and asserts every other series of
    /// `metric` stayed put.
    #[track_caller]
    fn assert_moved(&self, now: &Counters, metric: &str, moved: &[(&[(&str, &str)], f64)]) {
        for (labels, by) in moved {
            assert_eq!(
                now.get(metric, labels) - self.get(metric, labels),
                *by,
                "{metric}{labels:?}\n{}",
                now.0
            );
        }
        let total: f64 = moved.iter().map(|(_, by)| by).sum();
        assert_eq!(
            now.get(metric, &[]) - self.get(metric, &[]),
            total,
            "{metric} moved elsewhere too\n{}",
            now.0
        );
    }
}

async fn put_json(app: &TestApp, path: &str, body: &Value, token: &str) -> Answer {
    let req = app.client.put(app.url(path)).bearer_auth(token).json(body);
    Answer::from(req.send().await.unwrap()).await
}

/// Mints an API token with `scopes` for the user behind `session`.
async fn mint(app: &TestApp, session: &str, scopes: &[&str]) -> String {
    let res = app
        .post_json(
            "/api/v1/auth/tokens",
            &json!({"name": "metrics", "scopes": scopes}),
            Some(session),
        )
        .await;
    res.assert_ok(201);
    res.data()["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_auth_series_is_exposed_from_the_start() {
    let app = spawn_app().await;
    let start = Counters::of(&app).await;
    for (metric, label, values) in [
        (LOGINS, "outcome", &["success", "failure", "throttled"][..]),
        (
            REVOCATIONS,
            "reason",
            &[
                "logout",
                "revoked",
                "password_change",
                "admin",
                "evicted",
                "refresh_token_reuse",
            ][..],
        ),
    ] {
        for value in values {
            let line = format!("{metric}{{{label}=\"{value}\"}} 0");
            assert!(start.0.lines().any(|l| l == line), "{line}\n{}", start.0);
        }
    }
    assert!(
        start.0.lines().any(|l| l == format!("{REUSE} 0")),
        "{}",
        start.0
    );
    for kind in ["session", "api_token"] {
        for scope in ["read", "upload", "delete", "admin", "none"] {
            let line = format!("{TOKEN_USES}{{kind=\"{kind}\",scope=\"{scope}\"}} 0");
            assert!(start.0.lines().any(|l| l == line), "{line}\n{}", start.0);
        }
    }
}

#[tokio::test]
async fn logins_count_successes_failures_and_throttled_attempts() {
    let app = spawn_app().await;
    let user = app.user().await;
    let before = Counters::of(&app).await;

    app.login(&user.phone, PASSWORD).await.assert_ok(200);
    app.login(&user.email, "wrong password 1")
        .await
        .assert_error(401, "invalid_credentials");
    app.login("13700000000", "no such account 1")
        .await
        .assert_error(401, "invalid_credentials");
    let after = Counters::of(&app).await;
    before.assert_moved(
        &after,
        LOGINS,
        &[
            (&[("outcome", "success")], 1.0),
            (&[("outcome", "failure")], 2.0),
        ],
    );

    // Wrong passwords until the throttle answers, then the right one: refused unchecked.
    let (mut failures, mut throttled) = (0.0, 0.0);
    while throttled == 0.0 {
        assert!(failures < 20.0, "never throttled");
        let res = app.login(&user.phone, "wrong password 2").await;
        match res.status {
            401 => failures += 1.0,
            429 => throttled += 1.0,
            _ => panic!("{}", res.body),
        }
    }
    app.login(&user.phone, PASSWORD)
        .await
        .assert_error(429, "too_many_attempts");
    let throttled_too = Counters::of(&app).await;
    after.assert_moved(
        &throttled_too,
        LOGINS,
        &[
            (&[("outcome", "failure")], failures),
            (&[("outcome", "throttled")], throttled + 1.0),
        ],
    );
}

#[tokio::test]
async fn seed_and_upload_tool_logins_count_as_logins() {
    let app = spawn_app().await;
    let user = app.user().await;
    let before = Counters::of(&app).await;

    let seed = app
        .client
        .post(app.url("/imagepic/auth/login"))
        .json(&json!({"phone": user.phone, "upwd": PASSWORD}))
        .send()
        .await
        .unwrap();
    let seed: Value = seed.json().await.unwrap();
    assert_eq!(seed["code"], "0", "{seed}");
    let wrong = app
        .client
        .post(app.url("/imagepic/auth/login"))
        .json(&json!({"phone": user.phone, "upwd": "wrong password 3"}))
        .send()
        .await
        .unwrap();
    let wrong: Value = wrong.json().await.unwrap();
    assert_eq!(wrong["data"]["errCode"], "invalid_credentials", "{wrong}");
    let lsky = app
        .client
        .post(app.url("/api/v1/tokens"))
        .header("accept", "application/json")
        .json(&json!({"email": user.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let lsky = Answer::from(lsky).await;
    assert_eq!(lsky.body["status"], true, "{}", lsky.body);

    let after = Counters::of(&app).await;
    before.assert_moved(
        &after,
        LOGINS,
        &[
            (&[("outcome", "success")], 2.0),
            (&[("outcome", "failure")], 1.0),
        ],
    );
}

#[tokio::test]
async fn a_password_change_is_no_login_and_ends_the_other_sessions_once() {
    let app = spawn_app().await;
    let user = app.user().await;
    app.login(&user.phone, PASSWORD).await.assert_ok(200);
    let before = Counters::of(&app).await;

    put_json(
        &app,
        "/api/v1/auth/password",
        &json!({"oldPassword": "not it 1234", "newPassword": "another pass 77"}),
        &user.access,
    )
    .await
    .assert_error(401, "invalid_credentials");
    put_json(
        &app,
        "/api/v1/auth/password",
        &json!({"oldPassword": PASSWORD, "newPassword": "another pass 77"}),
        &user.access,
    )
    .await
    .assert_ok(200);

    let after = Counters::of(&app).await;
    before.assert_moved(&after, LOGINS, &[]);
    before.assert_moved(
        &after,
        REVOCATIONS,
        &[(&[("reason", "password_change")], 1.0)],
    );
}

#[tokio::test]
async fn a_logout_counts_one_logout() {
    let app = spawn_app().await;
    let user = app.user().await;
    let before = Counters::of(&app).await;

    app.post_json("/api/v1/auth/logout", &json!({}), Some(&user.access))
        .await
        .assert_ok(200);
    app.get_auth("/api/v1/me", &user.access)
        .await
        .assert_error(401, "session_revoked");

    let after = Counters::of(&app).await;
    before.assert_moved(&after, REVOCATIONS, &[(&[("reason", "logout")], 1.0)]);
}

#[tokio::test]
async fn revoking_one_of_ones_sessions_counts_one_revoked() {
    let app = spawn_app().await;
    let user = app.user().await;
    app.login(&user.phone, PASSWORD).await.assert_ok(200);
    let list = app.get_auth("/api/v1/auth/sessions", &user.access).await;
    let other = list.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .and_then(|s| s["id"].as_str())
        .unwrap()
        .to_owned();
    let before = Counters::of(&app).await;

    app.delete_auth(&format!("/api/v1/auth/sessions/{other}"), &user.access)
        .await
        .assert_ok(200);
    app.delete_auth(&format!("/api/v1/auth/sessions/{other}"), &user.access)
        .await
        .assert_error(404, "session_not_found");

    let after = Counters::of(&app).await;
    before.assert_moved(&after, REVOCATIONS, &[(&[("reason", "revoked")], 1.0)]);
}

#[tokio::test]
async fn reusing_a_spent_refresh_token_counts_the_reuse_and_the_session_it_ends() {
    let app = spawn_app().await;
    let user = app.user().await;
    let before = Counters::of(&app).await;

    let refresh = |token: String| {
        let app = &app;
        async move {
            app.post_json(
                "/api/v1/auth/refresh",
                &json!({"refreshToken": token}),
                None,
            )
            .await
        }
    };
    refresh(user.refresh.clone()).await.assert_ok(200);
    let after_rotation = Counters::of(&app).await;
    before.assert_moved(&after_rotation, REUSE, &[]);
    before.assert_moved(&after_rotation, REVOCATIONS, &[]);

    refresh(user.refresh.clone())
        .await
        .assert_error(401, "session_revoked");
    // The session is gone now: presenting the token again is no reuse of a live session.
    refresh(user.refresh.clone())
        .await
        .assert_error(401, "session_revoked");

    let after = Counters::of(&app).await;
    before.assert_moved(&after, REUSE, &[(&[], 1.0)]);
    before.assert_moved(
        &after,
        REVOCATIONS,
        &[(&[("reason", "refresh_token_reuse")], 1.0)],
    );
}

#[tokio::test]
async fn logins_beyond_the_session_limit_count_the_evicted_sessions() {
    let app = spawn_app_with(Sessions::Redis, "[auth]\nmax_sessions_per_user = 2\n").await;
    let user = app.user().await;
    app.login(&user.phone, PASSWORD).await.assert_ok(200);
    let before = Counters::of(&app).await;

    app.login(&user.phone, PASSWORD).await.assert_ok(200);
    app.login(&user.phone, PASSWORD).await.assert_ok(200);
    app.get_auth("/api/v1/me", &user.access)
        .await
        .assert_error(401, "session_revoked");

    let after = Counters::of(&app).await;
    before.assert_moved(&after, REVOCATIONS, &[(&[("reason", "evicted")], 2.0)]);
}

#[tokio::test]
async fn disabling_or_deleting_an_account_counts_one_admin_revocation_each() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let alice = app.user().await;
    let bob = app.user().await;
    let alice_id = app.user_id(&alice.access).await;
    let bob_id = app.user_id(&bob.access).await;
    let before = Counters::of(&app).await;

    let res = app
        .patch_auth(
            &format!("/api/v1/admin/users/{alice_id}"),
            &json!({"disabled": true}),
            &admin.access,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let res = app
        .delete_auth(&format!("/api/v1/admin/users/{bob_id}"), &admin.access)
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    app.get_auth("/api/v1/me", &alice.access)
        .await
        .assert_error(401, "session_revoked");

    let after = Counters::of(&app).await;
    before.assert_moved(&after, REVOCATIONS, &[(&[("reason", "admin")], 2.0)]);
    before.assert_moved(
        &after,
        TOKEN_USES,
        &[(&[("kind", "session"), ("scope", "admin")], 2.0)],
    );
}

#[tokio::test]
async fn requests_let_in_count_by_credential_kind_and_needed_scope() {
    let app = spawn_app().await;
    let user = app.user().await;
    let uploader = mint(&app, &user.access, &["upload"]).await;
    let before = Counters::of(&app).await;

    // An API token uploads.
    app.upload(&uploader, "files", "a.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let after_upload = Counters::of(&app).await;
    before.assert_moved(
        &after_upload,
        TOKEN_USES,
        &[(&[("kind", "api_token"), ("scope", "upload")], 1.0)],
    );

    // A login session lists its sessions (no scope) and a private bucket (`read`).
    app.get_auth("/api/v1/auth/sessions", &user.access)
        .await
        .assert_ok(200);
    app.get_auth("/api/v1/buckets/files/objects", &user.access)
        .await
        .assert_ok(200);
    let after_lists = Counters::of(&app).await;
    after_upload.assert_moved(
        &after_lists,
        TOKEN_USES,
        &[
            (&[("kind", "session"), ("scope", "none")], 1.0),
            (&[("kind", "session"), ("scope", "read")], 1.0),
        ],
    );

    // Refused requests are no use: a token without `read`, a token managing the account, no
    // credential, a public bucket that needs none.
    app.get_auth("/api/v1/buckets/files/objects", &uploader)
        .await
        .assert_error(403, "insufficient_scope");
    app.get_auth("/api/v1/auth/sessions", &uploader)
        .await
        .assert_error(403, "session_required");
    app.get("/api/v1/buckets/files/objects")
        .await
        .assert_error(401, "missing_token");
    app.get_auth("/api/v1/buckets/images/objects", &uploader)
        .await
        .assert_ok(200);
    let after_refusals = Counters::of(&app).await;
    after_lists.assert_moved(&after_refusals, TOKEN_USES, &[]);

    // An upload tool's upload is one use, though access is checked on the way more than once.
    for path in ["/api/v1/upload", "/api/v1/tools/upload"] {
        let part = reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("shot.png");
        let res = app
            .client
            .post(app.url(path))
            .bearer_auth(&uploader)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .expect("tool upload");
        assert_eq!(res.status(), 200, "{path}");
    }
    let after_tools = Counters::of(&app).await;
    after_refusals.assert_moved(
        &after_tools,
        TOKEN_USES,
        &[(&[("kind", "api_token"), ("scope", "upload")], 2.0)],
    );
}
