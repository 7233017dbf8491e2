//! The command line, run in process the way `main` runs it.

use clap::Parser;
use gateway::cli::{Cli, run};

use crate::helpers::{PASSWORD, Sessions, spawn_app_with};

fn config_file(
    dir: &std::path::Path,
    data_dir: &std::path::Path,
    extra: &str,
) -> std::path::PathBuf {
    let path = dir.join("picgate.toml");
    std::fs::write(
        &path,
        format!(
            "[storage]\ndata_dir = \"{}\"\n[auth]\nbcrypt_cost = 4\n{extra}",
            data_dir.display()
        ),
    )
    .unwrap();
    path
}

#[tokio::test]
async fn user_create_admin_makes_an_account_that_can_change_policies() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), &app.data_dir, "");
    let cli = Cli::try_parse_from([
        "picgate",
        "--config",
        config.to_str().unwrap(),
        "user",
        "create",
        "--admin",
        "--phone",
        "13700000001",
        "--email",
        "root@example.com",
        "--password",
        PASSWORD,
    ])
    .unwrap();
    run(cli).await.unwrap();

    let login = app.login("root@example.com", PASSWORD).await;
    login.assert_ok(200);
    assert_eq!(login.data()["user"]["role"], "admin");
    let token = login.data()["accessToken"].as_str().unwrap();
    let res = app
        .client
        .put(app.url("/api/v1/buckets/images/policy"))
        .bearer_auth(token)
        .json(&serde_json::json!({"policy": "private"}))
        .send()
        .await
        .unwrap();
    crate::helpers::Answer::from(res).await.assert_ok(200);
}

#[tokio::test]
async fn user_create_reports_invalid_fields() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), &dir.path().join("data"), "");
    let cli = Cli::try_parse_from([
        "picgate",
        "--config",
        config.to_str().unwrap(),
        "user",
        "create",
        "--phone",
        "1",
        "--email",
        "nope",
        "--password",
        "short",
    ])
    .unwrap();
    let err = format!("{:#}", run(cli).await.unwrap_err());
    assert!(
        err.contains("phone") && err.contains("email") && err.contains("password"),
        "{err}"
    );
}

#[tokio::test]
async fn check_config_accepts_a_good_file_and_names_the_key_of_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let good = config_file(dir.path(), &dir.path().join("data"), "");
    let cli = Cli::try_parse_from([
        "picgate",
        "--config",
        good.to_str().unwrap(),
        "check-config",
    ])
    .unwrap();
    run(cli).await.unwrap();

    let bad = config_file(
        dir.path(),
        &dir.path().join("data"),
        "[buckets.images]\nmax_object_bytes = -5\n",
    );
    let cli = Cli::try_parse_from(["picgate", "--config", bad.to_str().unwrap(), "check-config"])
        .unwrap();
    let err = format!("{:#}", run(cli).await.unwrap_err());
    assert!(err.contains("buckets.images.max_object_bytes"), "{err}");
}
