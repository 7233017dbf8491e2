//! `picgate healthcheck`, the container's HEALTHCHECK: 0 while the server configured the same
//! way answers, 1 once it is gone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::Duration;

use tempfile::TempDir;

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_asks_the_configured_port_and_fails_once_the_server_is_gone() {
    let data = TempDir::new().unwrap();
    let mut app = common::start(data.path(), &[], Stdio::null()).await;
    let port = app.port.to_string();
    let check = |env: &[(&str, &str)]| {
        common::picgate(data.path(), env)
            .arg("healthcheck")
            .status()
            .unwrap()
    };
    // The port comes from the configuration `serve` uses, here the environment.
    assert!(check(&[("PICGATE__SERVER__PORT", &port)]).success());
    // Elsewhere nothing answers.
    let other = testkit::free_port().to_string();
    assert_eq!(check(&[("PICGATE__SERVER__PORT", &other)]).code(), Some(1));
    // An explicit URL wins.
    let url = app.url("/healthz");
    assert!(
        check(&[
            ("PICGATE__SERVER__PORT", &other),
            ("PICGATE_HEALTHCHECK_URL", &url)
        ])
        .success()
    );
    app.signal("TERM");
    app.exit_within(Duration::from_secs(10));
    assert_eq!(check(&[("PICGATE__SERVER__PORT", &port)]).code(), Some(1));
}
