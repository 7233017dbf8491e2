//! The web console: `/` is its page, `/console/<version>/<path>` its embedded assets, with a
//! strict CSP, no framing, hashed names cached for a year, and revalidation by `ETag`.

use std::io::Read;

use reqwest::header::HeaderMap;
use reqwest::{Method, Response};

use crate::helpers::{Answer, Sessions, TestApp, spawn_app_with};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

async fn request(app: &TestApp, method: Method, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = app.client.request(method, app.url(path));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap()
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (u16, HeaderMap, Vec<u8>) {
    let res = request(app, Method::GET, path, headers).await;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

#[track_caller]
fn assert_security_headers(headers: &HeaderMap, csp: &str) {
    assert_eq!(header(headers, "content-security-policy"), csp);
    assert_eq!(header(headers, "x-frame-options"), "DENY");
    assert_eq!(header(headers, "x-content-type-options"), "nosniff");
    assert_eq!(header(headers, "referrer-policy"), "same-origin");
}

/// The asset base the page names: `/console/<12 hex>`.
fn asset_base(page: &str) -> String {
    let at = page
        .find("/console/")
        .expect("the page names /console/<version>");
    let version: String = page[at + "/console/".len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(version.len(), 12, "{page}");
    assert!(
        page[at..].starts_with(&format!("/console/{version}/")),
        "{page}"
    );
    format!("/console/{version}")
}

/// Every tag of an HTML page, lower-cased, from `<` to `>`.
fn tags(page: &str) -> Vec<String> {
    page.to_ascii_lowercase()
        .split('<')
        .skip(1)
        .filter_map(|rest| rest.split_once('>').map(|(tag, _)| tag.to_owned()))
        .collect()
}

/// The attribute names of a tag (its text between `<` and `>`), values skipped whether quoted
/// or not.
fn attribute_names(tag: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut chars = tag.chars().skip_while(|c| !c.is_whitespace()).peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == '/').is_some() {}
        let name: String =
            std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace() && *c != '=')).collect();
        if name.is_empty() {
            return names;
        }
        names.push(name);
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next_if_eq(&'=').is_some() {
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            match chars.next_if(|c| *c == '"' || *c == '\'') {
                Some(quote) => while chars.next().is_some_and(|c| c != quote) {},
                None => while chars.next_if(|c| !c.is_whitespace()).is_some() {},
            }
        }
    }
}

fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out),
        "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut out),
        other => panic!("unexpected coding {other}"),
    }
    .unwrap();
    out
}

#[tokio::test]
async fn the_root_is_the_console_page_with_a_strict_policy_and_no_inline_code() {
    let app = spawn_app_with(Sessions::Embedded, "").await;

    let (status, headers, body) = get(&app, "/", &[]).await;

    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&headers, "cache-control"), "no-cache");
    assert_security_headers(&headers, CSP);
    let page = String::from_utf8(body).unwrap();
    assert!(!page.contains("{{ASSETS}}"), "{page}");
    let base = asset_base(&page);
    assert!(page.contains(&format!("{base}/app.js")), "{page}");
    let lower = page.to_ascii_lowercase();
    for (at, _) in lower.match_indices("<script") {
        let open = &lower[at..at + lower[at..].find('>').unwrap()];
        assert!(open.contains(" src="), "an inline script: {open}");
        let after = &lower[at + open.len() + 1..];
        let inner = &after[..after.find("</script>").unwrap_or(0)];
        assert!(inner.trim().is_empty(), "a script with a body: {inner}");
    }
    assert!(!lower.contains("<style"), "an inline <style>");
    for tag in tags(&page) {
        for name in attribute_names(&tag) {
            assert!(!name.starts_with("on"), "an inline handler: <{tag}>");
            assert_ne!(name, "style", "an inline style: <{tag}>");
        }
    }
}

#[tokio::test]
async fn an_asset_is_immutable_under_its_version_and_revalidates_by_its_tag() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    let (_, _, page) = get(&app, "/", &[]).await;
    let app_js = format!("{}/app.js", asset_base(&String::from_utf8(page).unwrap()));

    let (status, headers, body) = get(&app, &app_js, &[]).await;

    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(header(&headers, "cache-control"), IMMUTABLE);
    assert_security_headers(&headers, CSP);
    let on_disk = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../console/assets/app.js"
    ))
    .unwrap();
    assert_eq!(body, on_disk, "the embedded app.js is the repository's");
    let etag = header(&headers, "etag").to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
        "a strong tag: {etag}"
    );

    let (status, again, body) = get(&app, &app_js, &[("if-none-match", &etag)]).await;
    assert_eq!(status, 304);
    assert!(body.is_empty());
    assert_eq!(header(&again, "etag"), etag);
    assert_eq!(header(&again, "cache-control"), IMMUTABLE);

    let other = format!("\"x\", W/{etag}");
    let (status, _, _) = get(&app, &app_js, &[("if-none-match", &other)]).await;
    assert_eq!(status, 304, "a list, weakly compared");
    let (status, _, _) = get(&app, &app_js, &[("if-none-match", "\"not-it\"")]).await;
    assert_eq!(status, 200);
}

/// Text is sent compressed when the client accepts it, each coding with a tag of its own; a
/// coding the console does not offer gets the file as it is, never recompressed under the
/// same tag.
#[tokio::test]
async fn the_page_and_text_assets_are_compressed_when_asked_each_coding_with_its_own_tag() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    let (_, plain_headers, plain_page) = get(&app, "/", &[]).await;
    let app_js = format!(
        "{}/app.js",
        asset_base(&String::from_utf8(plain_page.clone()).unwrap())
    );
    let (_, _, plain_js) = get(&app, &app_js, &[]).await;
    let mut paths = vec![("/", plain_page)];
    // Large enough for a compressed form to be smaller (the real console's entry is).
    if plain_js.len() >= 1024 {
        paths.push((app_js.as_str(), plain_js));
    }

    for (path, plain) in paths {
        let (_, identity_headers, _) = get(&app, path, &[]).await;
        let identity_tag = header(&identity_headers, "etag").to_owned();
        for coding in ["br", "gzip"] {
            let (status, headers, body) = get(&app, path, &[("accept-encoding", coding)]).await;
            assert_eq!(status, 200, "{path} {coding}");
            assert_eq!(header(&headers, "content-encoding"), coding, "{path}");
            assert!(
                header(&headers, "vary")
                    .to_ascii_lowercase()
                    .contains("accept-encoding"),
                "{path} {coding}"
            );
            assert!(body.len() < plain.len(), "{path} {coding}");
            assert_eq!(decode(coding, &body), plain, "{path} {coding}");
            let tag = header(&headers, "etag").to_owned();
            assert_ne!(tag, identity_tag, "{path} {coding}");

            let (status, _, _) = get(
                &app,
                path,
                &[("accept-encoding", coding), ("if-none-match", &tag)],
            )
            .await;
            assert_eq!(status, 304, "{path} {coding}");
        }
        let (status, headers, body) = get(&app, path, &[("accept-encoding", "deflate")]).await;
        assert_eq!(status, 200);
        assert!(
            matches!(header(&headers, "content-encoding"), "" | "identity"),
            "{path}: {:?}",
            headers.get("content-encoding")
        );
        assert_eq!(body, plain, "{path}");
        assert_eq!(header(&headers, "etag"), identity_tag, "{path}");
    }
    assert!(!header(&plain_headers, "etag").is_empty());
}

#[tokio::test]
async fn another_version_or_an_unknown_file_is_a_404_in_the_envelope() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    let (_, _, page) = get(&app, "/", &[]).await;
    let base = asset_base(&String::from_utf8(page).unwrap());

    for path in [
        "/console/000000000000/app.js".to_owned(),
        format!("{base}/no-such-file.js"),
        format!("{base}/"),
        format!("{base}/index.html"),
        format!("{base}/tests/package.json"),
        "/console".to_owned(),
        "/console/".to_owned(),
        "/index.html".to_owned(),
    ] {
        Answer::from(request(&app, Method::GET, &path, &[]).await)
            .await
            .assert_error(404, "route_not_found");
    }
}

#[tokio::test]
async fn head_answers_the_page_and_assets_without_a_body_and_other_methods_are_405() {
    let app = spawn_app_with(Sessions::Embedded, "").await;
    let (_, _, page) = get(&app, "/", &[]).await;
    let app_js = format!("{}/app.js", asset_base(&String::from_utf8(page).unwrap()));

    for (path, content_type) in [
        ("/", "text/html; charset=utf-8"),
        (app_js.as_str(), "text/javascript; charset=utf-8"),
    ] {
        let res = request(&app, Method::HEAD, path, &[]).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(header(res.headers(), "content-type"), content_type);
        assert_security_headers(res.headers(), CSP);
        assert!(!header(res.headers(), "etag").is_empty());
        assert!(res.bytes().await.unwrap().is_empty(), "{path}");
    }

    let res = request(&app, Method::POST, "/", &[]).await;
    assert_eq!(header(res.headers(), "allow"), "GET, HEAD");
    Answer::from(res)
        .await
        .assert_error(405, "method_not_allowed");
}

#[tokio::test]
async fn with_a_public_url_its_origin_may_serve_images() {
    let app = spawn_app_with(
        Sessions::Embedded,
        "[server]\npublic_url = \"https://img.example.com/pics\"\n",
    )
    .await;

    let (status, headers, _) = get(&app, "/", &[]).await;

    assert_eq!(status, 200);
    let csp = CSP.replace(
        "img-src 'self' data: blob:;",
        "img-src 'self' data: blob: https://img.example.com;",
    );
    assert_security_headers(&headers, &csp);
}

/// The console takes `/` only: the API, file links, the docs and health keep their paths.
#[tokio::test]
async fn the_api_and_the_other_pages_keep_their_paths() {
    let app = spawn_app_with(Sessions::Embedded, "").await;

    app.get("/api/v1/nope")
        .await
        .assert_error(404, "route_not_found");
    let (status, headers, _) = get(&app, "/docs", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-security-policy"),
        "default-src 'none'; style-src 'unsafe-inline'"
    );
    let (status, _, _) = get(&app, "/healthz", &[]).await;
    assert_eq!(status, 200);
    let (status, _, spec) = get(&app, "/api/v1/openapi.json", &[]).await;
    assert_eq!(status, 200);
    let spec: serde_json::Value = serde_json::from_slice(&spec).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    assert!(
        !paths.keys().any(|p| p == "/" || p.starts_with("/console")),
        "the console is not part of the API document"
    );
}

#[test]
fn attribute_names_skip_values_even_when_they_look_like_attributes() {
    assert_eq!(
        attribute_names(r#"meta name="x" content='a onload=b' data-x=1 hidden"#),
        ["name", "content", "data-x", "hidden"]
    );
    assert_eq!(attribute_names("button onclick=go()"), ["onclick"]);
    assert_eq!(attribute_names("br/"), Vec::<String>::new());
}
