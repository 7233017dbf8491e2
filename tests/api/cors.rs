//! Browser pages on other origins: file links are readable from anywhere; the API answers only
//! the origins in `server.cors.allowed_origins` (or, with `["*"]`, public reads from anywhere).

use gateway::settings::Settings;
use reqwest::Method;

use crate::helpers::{PNG, Sessions, TestApp, spawn_app, spawn_app_with};

const APP: &str = "https://app.example.com";
const OTHER: &str = "https://evil.example.net";

async fn preflight(
    app: &TestApp,
    path: &str,
    origin: &str,
    method: &str,
    headers: &str,
) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url(path))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", headers)
        .send()
        .await
        .unwrap()
}

async fn get_from(app: &TestApp, path: &str, origin: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("origin", origin)
        .send()
        .await
        .unwrap()
}

fn allow_origin(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_owned())
}

fn no_credentials(res: &reqwest::Response) {
    assert!(
        res.headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
}

#[tokio::test]
async fn by_default_any_page_reads_file_links_and_none_calls_the_api() {
    let app = spawn_app().await;
    let user = app.user().await;
    app.put(&user.access, "images", "c.png", PNG.to_vec())
        .await
        .assert_ok(201);

    let file = get_from(&app, "/f/images/c.png", OTHER).await;
    assert_eq!(file.status(), 200);
    assert_eq!(allow_origin(&file).as_deref(), Some("*"));
    no_credentials(&file);
    let pre = preflight(&app, "/f/images/c.png", OTHER, "GET", "range").await;
    assert_eq!(allow_origin(&pre).as_deref(), Some("*"));
    no_credentials(&pre);

    let api = get_from(&app, "/api/v1/buckets", APP).await;
    assert_eq!(
        api.status(),
        200,
        "same-origin and non-browser calls still work"
    );
    assert_eq!(allow_origin(&api), None);
    let pre = preflight(&app, "/api/v1/buckets", APP, "GET", "authorization").await;
    assert_eq!(allow_origin(&pre), None);
    let seed = preflight(
        &app,
        "/imagepic/object/listObjects",
        APP,
        "POST",
        "content-type",
    )
    .await;
    assert_eq!(allow_origin(&seed), None);
}

#[tokio::test]
async fn listed_origins_may_call_the_api_with_tokens_and_others_may_not() {
    let app = spawn_app_with(
        Sessions::Redis,
        &format!("[server.cors]\nallowed_origins = [\"{APP}\"]\n"),
    )
    .await;
    let user = app.user().await;

    let pre = preflight(
        &app,
        "/api/v1/buckets/images/objects/a.png",
        APP,
        "PUT",
        "authorization, content-type, x-client",
    )
    .await;
    assert!(pre.status().is_success(), "{}", pre.status());
    assert_eq!(allow_origin(&pre).as_deref(), Some(APP));
    let methods = pre.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        methods.contains("PUT") && methods.contains("DELETE"),
        "{methods}"
    );
    let headers = pre.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        headers.contains("authorization") && headers.contains("x-client"),
        "{headers}"
    );
    no_credentials(&pre);

    let put = app
        .client
        .put(app.url("/api/v1/buckets/images/objects/a.png"))
        .header("origin", APP)
        .bearer_auth(&user.access)
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201);
    assert_eq!(allow_origin(&put).as_deref(), Some(APP));
    let vary: Vec<String> = put
        .headers()
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap().to_lowercase())
        .collect();
    assert!(vary.join(", ").contains("origin"), "{vary:?}");
    let exposed = put.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(exposed.contains("x-request-id"), "{exposed}");
    no_credentials(&put);

    let other = preflight(
        &app,
        "/api/v1/buckets/images/objects/a.png",
        OTHER,
        "PUT",
        "authorization",
    )
    .await;
    assert_eq!(allow_origin(&other), None);
    // Refused in the envelope, not in plain text, and varying by origin.
    let vary: Vec<String> = other
        .headers()
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap().to_lowercase())
        .collect();
    assert!(vary.join(", ").contains("origin"), "{vary:?}");
    let refused = crate::helpers::Answer::from(other).await;
    refused.assert_error(400, "cors_rejected");
    let other_get = get_from(&app, "/api/v1/buckets", OTHER).await;
    assert_eq!(allow_origin(&other_get), None);
}

#[tokio::test]
async fn a_star_lets_any_page_read_without_a_token_and_nothing_more() {
    let app = spawn_app_with(
        Sessions::Redis,
        "[server.cors]\nallowed_origins = [\"*\"]\n",
    )
    .await;
    let read = get_from(&app, "/api/v1/buckets", OTHER).await;
    assert_eq!(allow_origin(&read).as_deref(), Some("*"));
    no_credentials(&read);
    let write = preflight(
        &app,
        "/api/v1/buckets/images/objects/a.png",
        OTHER,
        "PUT",
        "content-type",
    )
    .await;
    assert_eq!(allow_origin(&write), None);
    let token = preflight(&app, "/api/v1/buckets", OTHER, "GET", "authorization").await;
    assert_eq!(allow_origin(&token), None);
}

#[test]
fn origins_must_be_exact_and_a_star_stands_alone() {
    for bad in [
        "[\"*\", \"https://a.example\"]",
        "[\"https://a.example/\"]",
        "[\"a.example\"]",
        "[\"https://*.example\"]",
    ] {
        let toml = format!("[server.cors]\nallowed_origins = {bad}\n");
        let err = Settings::from_toml_layers(&[&toml])
            .unwrap_err()
            .to_string();
        assert!(err.contains("server.cors.allowed_origins"), "{bad}: {err}");
    }
    let ok =
        "[server.cors]\nallowed_origins = [\"https://a.example\", \"http://localhost:5173\"]\n";
    assert!(Settings::from_toml_layers(&[ok]).is_ok());
}

/// A page can use what the API hands out: revalidate with the ETags it gets, send compressed
/// JSON, call the seed's `putObject` with its `bucket` and `folder` headers, read `Retry-After`,
/// and read a private file with its bearer token. An origin configured in capitals matches the
/// lowercase origin browsers send.
#[tokio::test]
async fn pages_may_send_the_headers_the_api_uses_and_read_the_ones_it_answers() {
    let app = spawn_app_with(
        Sessions::Redis,
        "[server.cors]\nallowed_origins = [\"https://APP.example.com\"]\n",
    )
    .await;
    for (path, method, headers) in [
        ("/api/v1/buckets", "GET", "if-none-match, x-client"),
        (
            "/api/v1/auth/login",
            "POST",
            "content-type, content-encoding",
        ),
        (
            "/imagepic/object/putObject",
            "POST",
            "authorization, bucket, folder",
        ),
    ] {
        let pre = preflight(&app, path, APP, method, headers).await;
        assert!(pre.status().is_success(), "{path}: {}", pre.status());
        assert_eq!(allow_origin(&pre).as_deref(), Some(APP), "{path}");
    }
    let files = preflight(&app, "/f/files/a.pdf", OTHER, "GET", "authorization, range").await;
    assert!(files.status().is_success(), "{}", files.status());
    let get = get_from(&app, "/api/v1/buckets", APP).await;
    let exposed = get.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("retry-after") && exposed.contains("etag"),
        "{exposed}"
    );
}

/// A page revalidating with the ETag it was given reads the 304 too: it carries the CORS
/// answer of its 200.
#[tokio::test]
async fn a_304_answers_the_page_that_revalidates() {
    let app = spawn_app_with(
        Sessions::Redis,
        &format!("[server.cors]\nallowed_origins = [\"{APP}\"]\n"),
    )
    .await;
    let first = get_from(&app, "/api/v1/buckets", APP).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = app
        .client
        .get(app.url("/api/v1/buckets"))
        .header("origin", APP)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(allow_origin(&again).as_deref(), Some(APP));
    assert!(
        again
            .headers()
            .contains_key("access-control-expose-headers")
    );
}
