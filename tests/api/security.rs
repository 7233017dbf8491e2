//! Hardening: bounded request bodies, throttling counted before the password is checked,
//! password changes that end racing sessions, bounded sessions, metric labels clients cannot
//! invent, and active content served only as a download.

use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{Answer, PASSWORD, Sessions, TestApp, spawn_app, spawn_app_with};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

async fn post_raw(app: &TestApp, path: &str, encoding: &str, body: Vec<u8>) -> Answer {
    let res = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .header("content-encoding", encoding)
        .body(body)
        .send()
        .await
        .unwrap();
    Answer::from(res).await
}

#[tokio::test]
async fn a_compressed_json_bomb_is_a_413_on_both_surfaces_and_a_small_gzip_body_works() {
    let app = spawn_app().await;
    let bomb = gzip(&vec![b' '; 32 * 1024 * 1024]);
    assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
    post_raw(&app, "/api/v1/auth/login", "gzip", bomb.clone())
        .await
        .assert_error(413, "payload_too_large");
    let seed = post_raw(&app, "/imagepic/auth/login", "gzip", bomb).await;
    assert_eq!(seed.body["data"]["errCode"], "payload_too_large");

    let user = app.user().await;
    let body = json!({"login": user.email, "password": PASSWORD}).to_string();
    post_raw(&app, "/api/v1/auth/login", "gzip", gzip(body.as_bytes()))
        .await
        .assert_ok(200);
    post_raw(&app, "/api/v1/auth/login", "zstd", body.into_bytes())
        .await
        .assert_error(415, "unsupported_encoding");
}

#[tokio::test]
async fn a_body_dribbled_byte_by_byte_is_cut_off_by_the_body_timeout() {
    let app = spawn_app_with(Sessions::Embedded, "[server]\nbody_timeout_secs = 2\n").await;
    let body = br#"{"login":"someone@example.com","password":"correct horse 42"}"#;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let dribble = async {
        for byte in body {
            if stream.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    // The body would take 30 s; the answer must come after about 2 s.
    let _ = tokio::time::timeout(Duration::from_secs(6), dribble).await;
    let mut answer = vec![0; 4096];
    let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut answer))
        .await
        .expect("an answer before the body ended")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(8));
}

#[tokio::test]
async fn concurrent_wrong_guesses_get_no_more_tries_than_sequential_ones() {
    // bcrypt slow enough that every guess is still being checked when the right one arrives.
    let app = spawn_app_with(Sessions::Redis, "[auth]\nbcrypt_cost = 10\n").await;
    let victim = app.user().await;
    let mut guesses = Vec::new();
    for i in 0..50 {
        let (client, url, login) = (
            app.client.clone(),
            app.url("/api/v1/auth/login"),
            victim.email.clone(),
        );
        guesses.push(tokio::spawn(async move {
            let body = json!({"login": login, "password": format!("wrong guess {i}")});
            client
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    // Once the guesses have tripped the throttle (the sixth must wait 1 s after the fifth),
    // and well within that second, the right password comes.
    let tripped = Instant::now();
    loop {
        let scrape = app.scrape().await;
        let throttled = crate::auth_metrics::sum(
            &scrape,
            crate::auth_metrics::LOGINS,
            &[("outcome", "throttled")],
        );
        if throttled >= 1.0 {
            break;
        }
        assert!(
            tripped.elapsed() < Duration::from_secs(10),
            "50 concurrent wrong guesses never tripped the login throttle"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let right = app.login(&victim.email, PASSWORD).await;
    right.assert_error(429, "too_many_attempts");
    assert!(right.headers.get("retry-after").is_some());
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.unwrap());
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(
        checked <= 6,
        "{checked} passwords were checked: {statuses:?}"
    );
}

#[tokio::test]
async fn a_password_change_ends_sessions_of_logins_racing_it() {
    // A change checks the old password and hashes the new one (two bcrypt runs, 2T); a login
    // started between T and 2T after it has read the old hash and finishes checking it after
    // the change is done. Its session must not survive.
    let app = spawn_app_with(Sessions::Redis, "[auth]\nbcrypt_cost = 10\n").await;
    let user = app.user().await;
    let started = Instant::now();
    app.login(&user.email, PASSWORD).await.assert_ok(200);
    let t = started.elapsed();
    let mut password = PASSWORD.to_owned();
    for (round, offset) in [1.1, 1.3, 1.5, 1.7, 1.2, 1.4, 1.6, 1.8]
        .into_iter()
        .enumerate()
    {
        let new = format!("new password {round}");
        let change = app
            .client
            .put(app.url("/api/v1/auth/password"))
            .bearer_auth(&user.access)
            .json(&json!({"oldPassword": password, "newPassword": new}))
            .send();
        let login = async {
            tokio::time::sleep(t.mul_f64(offset)).await;
            app.login(&user.email, &password).await
        };
        let (changed, login) = tokio::join!(change, login);
        assert_eq!(changed.unwrap().status(), 200, "round {round}");
        // Refused (it lost the race) or given a session that has already ended.
        if let Some(token) = login.data()["accessToken"].as_str() {
            let me = app.get_auth("/api/v1/me", token).await;
            assert_eq!(
                me.status, 401,
                "round {round}: a login with the old password outlived the change"
            );
        }
        password = new;
        app.get_auth("/api/v1/me", &user.access)
            .await
            .assert_ok(200);
    }
}

#[tokio::test]
async fn a_user_keeps_a_bounded_number_of_sessions_and_logging_in_never_trips_the_throttle() {
    let app = spawn_app_with(Sessions::Redis, "[auth]\nmax_sessions_per_user = 3\n").await;
    let user = app.user().await;
    let mut tokens = vec![user.access.clone()];
    for _ in 0..12 {
        let login = app.login(&user.phone, PASSWORD).await;
        login.assert_ok(200);
        tokens.push(login.data()["accessToken"].as_str().unwrap().to_owned());
    }
    let sessions = app
        .get_auth("/api/v1/auth/sessions", tokens.last().unwrap())
        .await;
    assert_eq!(sessions.data()["items"].as_array().unwrap().len(), 3);
    assert_eq!(app.get_auth("/api/v1/me", &tokens[0]).await.status, 401);
    app.get_auth("/api/v1/me", tokens.last().unwrap())
        .await
        .assert_ok(200);
}

#[tokio::test]
async fn an_invented_http_method_is_counted_as_other() {
    let app = spawn_app().await;
    for i in 0..20 {
        let method = reqwest::Method::from_bytes(format!("FLOOD{i}").as_bytes()).unwrap();
        app.client
            .request(method, app.url("/api/v1/buckets"))
            .send()
            .await
            .unwrap();
    }
    let metrics = app.scrape().await;
    assert!(!metrics.contains("FLOOD"), "client text became a label");
    assert!(metrics.contains("method=\"other\""));
}

#[tokio::test]
async fn a_pdf_is_served_as_a_sandboxed_download() {
    let app = spawn_app().await;
    let user = app.user().await;
    let pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec();
    app.put(&user.access, "files", "doc.pdf", pdf)
        .await
        .assert_ok(201);
    let res = app
        .client
        .get(app.url("/f/files/doc.pdf"))
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("sandbox"), "{csp}");
}

#[tokio::test]
async fn a_seed_session_ends_with_its_token() {
    let app = spawn_app_with(Sessions::Redis, "[auth]\ncompat_token_ttl_secs = 2\n").await;
    let user = app.user().await;
    let seed = app
        .post_json(
            "/imagepic/auth/login",
            &json!({"phone": user.phone, "upwd": PASSWORD}),
            None,
        )
        .await;
    let token = seed.body["data"]["token"].as_str().unwrap().to_owned();
    let sessions = app.get_auth("/api/v1/auth/sessions", &user.access).await;
    assert_eq!(sessions.data()["items"].as_array().unwrap().len(), 2);
    tokio::time::sleep(Duration::from_secs(4)).await;
    let sessions = app.get_auth("/api/v1/auth/sessions", &user.access).await;
    assert_eq!(
        sessions.data()["items"].as_array().unwrap().len(),
        1,
        "{}",
        sessions.body
    );
    assert_eq!(app.get_auth("/api/v1/me", &token).await.status, 401);
}
