//! The OpenAPI document is a contract: schemathesis generates requests from it against the
//! running app (fs storage, a real Redis) and checks every answer against it (`--checks all`).

use std::path::PathBuf;
use std::process::Stdio;

use crate::helpers::spawn_app;

/// Where schemathesis is: `$SCHEMATHESIS`, else the venv `.ci/run` makes under `target/`,
/// else `schemathesis` on `PATH`.
fn schemathesis() -> PathBuf {
    crate::helpers::find_tool(
        "SCHEMATHESIS",
        "target/schemathesis/bin/schemathesis",
        "schemathesis",
        "python3 -m venv target/schemathesis && target/schemathesis/bin/pip install schemathesis==4.32.5",
    )
}

/// Runs schemathesis with `--checks all` and the given extra arguments; panics with its output
/// when it reports anything.
async fn run(schemathesis: &PathBuf, address: &str, token: &str, extra: &[&str]) {
    let workdir = tempfile::tempdir().unwrap();
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("api/openapi/schemathesis.toml");
    let output = tokio::process::Command::new(schemathesis)
        .current_dir(workdir.path())
        .arg("--config-file")
        .arg(&config)
        .arg("--no-color")
        .arg("run")
        .arg(format!("{address}/api/v1/openapi.json"))
        .args(["--checks", "all"])
        .args(["--max-examples", "10", "--seed", "1"])
        // JSON Schema counts characters, passwords are limited in bytes (72): ASCII makes them
        // the same.
        .args(["--generation-codec", "ascii"])
        .args(["--generation-database", "none"])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", schemathesis.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "schemathesis reported failures ({}):\n{stdout}\n{stderr}",
        output.status
    );
}

#[tokio::test]
async fn every_operation_answers_as_the_openapi_document_says() {
    let schemathesis = schemathesis();
    let app = spawn_app().await;
    let admin = app.admin().await;
    // Logging out and changing the password end or spend the caller's session: they run
    // apart, with a session of their own, so that the rest keeps a live token.
    let own = ["/api/v1/auth/logout", "/api/v1/auth/password"];
    let mut rest = Vec::new();
    for path in own {
        rest.extend(["--exclude-path", path]);
    }
    run(&schemathesis, &app.address, &admin.access, &rest).await;

    let second = app.login(&admin.email, &admin.password).await;
    second.assert_ok(200);
    let token = second.data()["accessToken"].as_str().unwrap().to_owned();
    let mut only = Vec::new();
    for path in own {
        only.extend(["--include-path", path]);
    }
    run(&schemathesis, &app.address, &token, &only).await;
}

/// What a generated client relies on beyond the answers' shapes: the bearer scheme and which
/// operations need it, every error as the envelope, and 304 where JSON is revalidated.
#[tokio::test]
async fn the_document_says_who_may_call_and_how_every_answer_looks() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        serde_json::json!({"type": "http", "scheme": "bearer"})
    );
    let op = |path: &str, method: &str| doc["paths"][path][method].clone();
    assert_eq!(
        op("/api/v1/me", "get")["security"],
        serde_json::json!([{"bearer": []}])
    );
    // Public buckets are read without a token.
    assert_eq!(
        op("/f/{bucket}/{key}", "get")["security"],
        serde_json::json!([{}, {"bearer": []}])
    );
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/imagepic") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            for (status, answer) in op["responses"].as_object().unwrap() {
                if status.starts_with('4') || status.starts_with('5') {
                    seen += 1;
                    let schema = &answer["content"]["application/json"]["schema"];
                    assert!(
                        schema.to_string().contains("ErrorEnvelope"),
                        "{method} {path} {status}: {answer}"
                    );
                }
            }
            let json_200 = op["responses"]["200"]["content"]["application/json"].is_object();
            if method == "get" && path.starts_with("/api/v1/") && json_200 {
                assert!(
                    op["responses"]["304"].is_object(),
                    "{method} {path}: no 304"
                );
            }
        }
    }
    assert!(seen > 100, "only {seen} error answers documented");
}
