//! `picgate upload`, run as Typora runs it: the real binary against a running picgate, one
//! link a line on stdout and nothing else, a failure named on stderr with a non-zero exit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const PASSWORD: &str = "upload command password 1";
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn picgate(data: &Path, port: u16) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_picgate"));
    cmd.env("PICGATE__STORAGE__DATA_DIR", data)
        .env("PICGATE__SERVER__PORT", port.to_string())
        .env("PICGATE__AUTH__BCRYPT_COST", "4")
        .env("RUST_LOG", "warn");
    cmd
}

fn upload(data: &Path, port: u16, token: &str, files: &[&Path]) -> Output {
    picgate(data, port)
        .arg("upload")
        .args(["--server", &format!("http://127.0.0.1:{port}")])
        .args(files)
        .env("PICGATE_TOKEN", token)
        .output()
        .unwrap()
}

async fn post_json(
    client: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
    body: Value,
) -> Value {
    let mut request = client.post(url).json(&body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn upload_prints_one_working_link_a_line_and_fails_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = testkit::free_port();
    let created = picgate(&data, port)
        .args([
            "user",
            "create",
            "--phone",
            "13700001111",
            "--email",
            "typora@example.com",
        ])
        .env("PICGATE_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    let _server = Server(picgate(&data, port).arg("serve").spawn().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "picgate did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let login = post_json(
        &client,
        &format!("{base}/api/v1/auth/login"),
        None,
        json!({"login": "typora@example.com", "password": PASSWORD}),
    )
    .await;
    let access = login["data"]["accessToken"].as_str().unwrap();
    let minted = post_json(
        &client,
        &format!("{base}/api/v1/auth/tokens"),
        Some(access),
        json!({"name": "Typora", "scopes": ["upload"]}),
    )
    .await;
    let token = minted["data"]["token"].as_str().unwrap().to_owned();

    let shot = dir.path().join("shot.png");
    let chinese = dir.path().join("截图 1.png");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&shot, PNG).unwrap();
    std::fs::write(&chinese, [PNG, b"second"].concat()).unwrap();
    std::fs::write(&notes, b"not an image").unwrap();

    let ok = upload(&data, port, &token, &[&shot, &chinese]);
    assert!(ok.status.success(), "{ok:?}");
    let stdout = String::from_utf8(ok.stdout).unwrap();
    let links: Vec<&str> = stdout.lines().collect();
    assert_eq!(links.len(), 2, "{stdout:?}");
    for (link, bytes) in links.iter().zip([PNG.to_vec(), [PNG, b"second"].concat()]) {
        let res = client.get(*link).send().await.unwrap();
        assert_eq!(res.status(), 200, "{link}");
        assert_eq!(res.bytes().await.unwrap().to_vec(), bytes, "{link}");
    }

    // A text file into the image bucket: named on stderr, the good file still uploaded.
    let mixed = upload(&data, port, &token, &[&notes, &shot]);
    assert!(!mixed.status.success());
    let stdout = String::from_utf8(mixed.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout:?}");
    assert!(
        stdout.starts_with(&format!("{base}/f/images/")),
        "{stdout:?}"
    );
    let stderr = String::from_utf8(mixed.stderr).unwrap();
    assert!(
        stderr.contains("notes.txt") && stderr.contains("unsupported_media_type"),
        "{stderr}"
    );

    // A bad token: every file named, nothing on stdout.
    let refused = upload(&data, port, "pgt_bad", &[&shot]);
    assert!(!refused.status.success());
    assert!(refused.stdout.is_empty());
    assert!(
        String::from_utf8(refused.stderr)
            .unwrap()
            .contains("invalid_token")
    );
}
