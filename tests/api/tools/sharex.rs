//! ShareX: the `.sxcu` picgate hands out, and the deletion links it answers.

use serde_json::Value;

use super::client::{api_token, fetch, tools_upload};
use super::sharex_client::{browser_post, html_form, resolve, sharex_upload, tampered};
use rstest::rstest;

use crate::helpers::{Backend, PNG, spawn_app, spawn_app_on};

/// The `.sxcu` picgate hands out drives ShareX unmodified: the upload answers a link to the
/// picture; the deletion link, opened in a browser, shows a confirmation page and deletes
/// nothing; submitting its form deletes the picture. On the local disk and on S3 (the link
/// names the ETag the upload answered, which a later stat must report the same).
#[rstest]
#[tokio::test]
async fn sharex_uploads_and_deletes_with_the_sxcu_picgate_gives(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload", "delete"]).await;
    let res = app
        .client
        .get(app.url(&format!("/api/v1/tools/sharex.sxcu?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let disposition = res
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        disposition.starts_with("attachment") && disposition.contains("\"picgate.sxcu\""),
        "{disposition}"
    );
    let text = res.text().await.unwrap();
    let sxcu: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    // ShareX refuses a custom uploader without a Version, or of 12.3.1 or older.
    assert!(sxcu["Version"].as_str().is_some(), "{sxcu}");

    let (status, text) = sharex_upload(&sxcu, PNG).await;
    assert!((200..300).contains(&status), "{status} {text}");
    let reply: Value = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("ShareX wants the answer as JSON: {text}"));
    let url = resolve(sxcu["URL"].as_str().unwrap_or_default(), &reply);
    assert_eq!(fetch(&url).await, (200, PNG.to_vec()), "{url} from {reply}");
    let deletion = resolve(sxcu["DeletionURL"].as_str().unwrap_or_default(), &reply);
    assert!(deletion.starts_with("http"), "{deletion:?} from {reply}");

    // ShareX opens the deletion link in the user's browser: a GET with no headers.
    let page = reqwest::Client::new().get(&deletion).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let kind = page
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(kind.starts_with("text/html"), "{kind}");
    let html = page.text().await.unwrap();
    let form = html_form(&html).unwrap_or_else(|| panic!("no <form> on the page: {html}"));
    assert_eq!(fetch(&url).await, (200, PNG.to_vec()), "looking deleted it");

    assert!(form.method.eq_ignore_ascii_case("post"), "{html}");
    let action = reqwest::Url::parse(&deletion)
        .unwrap()
        .join(&form.action)
        .unwrap();
    let (status, page) = browser_post(&deletion, action.as_str(), &form.fields).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(fetch(&url).await.0, 404, "{url}");
    // Opened again, the link says the file is gone and offers no button.
    let again = reqwest::Client::new().get(&deletion).send().await.unwrap();
    assert_eq!(again.status(), 404);
    assert!(html_form(&again.text().await.unwrap()).is_none());
}

/// The `.sxcu` puts its token into a file that gets shared and copied to every machine, so it
/// is only made for an API token that may upload: not for a login session, not for a read-only
/// token, and not without a token.
#[tokio::test]
async fn the_sxcu_is_only_made_for_an_api_token_that_may_upload() {
    let app = spawn_app().await;
    let user = app.user().await;
    let read_only = api_token(&app, &user.access, &["read"]).await;
    let path = "/api/v1/tools/sharex.sxcu";
    app.get(&format!("{path}?token={}", user.access))
        .await
        .assert_error(403, "api_token_required");
    app.get_auth(path, &user.access)
        .await
        .assert_error(403, "api_token_required");
    app.get(&format!("{path}?token={read_only}"))
        .await
        .assert_error(403, "insufficient_scope");
    app.get(path).await.assert_error(401, "missing_token");
}

/// A deletion link someone altered deletes nothing; the real one still does.
#[tokio::test]
async fn a_tampered_deletion_link_deletes_nothing() {
    let app = spawn_app().await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload", "delete"]).await;
    let uploaded = tools_upload(&app, &token, "ShareX_abc.png", PNG.to_vec()).await;
    assert_eq!(uploaded.status, 200, "{}", uploaded.body);
    let url = uploaded.data()["links"]["url"].as_str().unwrap().to_owned();
    let deletion = uploaded.data()["delete_url"].as_str().unwrap().to_owned();

    let forged = tampered(&deletion);
    assert_ne!(forged, deletion);
    let (status, page) = browser_post(&forged, &forged, &[]).await;
    assert_eq!(status, 403, "{page}");
    assert_eq!(fetch(&url).await, (200, PNG.to_vec()));

    let (status, page) = browser_post(&deletion, &deletion, &[]).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(fetch(&url).await.0, 404);
}

/// A deletion link is for the picture it was made for: once its key holds other content, the
/// old link deletes nothing and the new content stays.
#[tokio::test]
async fn a_deletion_link_for_a_replaced_picture_deletes_nothing() {
    let app = spawn_app().await;
    let user = app.user().await;
    let token = api_token(&app, &user.access, &["upload", "delete"]).await;
    let uploaded = tools_upload(&app, &token, "ShareX_abc.png", PNG.to_vec()).await;
    assert_eq!(uploaded.status, 200, "{}", uploaded.body);
    assert_eq!(uploaded.data()["bucket"], "images", "{}", uploaded.body);
    let url = uploaded.data()["links"]["url"].as_str().unwrap().to_owned();
    let deletion = uploaded.data()["delete_url"].as_str().unwrap().to_owned();
    let pathname = uploaded.data()["pathname"].as_str().unwrap().to_owned();

    let newer = [PNG, &b"a newer picture"[..]].concat();
    let replaced = app
        .put(&user.access, "images", &pathname, newer.clone())
        .await;
    assert_eq!(replaced.body["success"], true, "{}", replaced.body);

    let page = reqwest::Client::new().get(&deletion).send().await.unwrap();
    assert_eq!(page.status(), 409, "the page says so before anyone presses");
    assert!(html_form(&page.text().await.unwrap()).is_none());
    let (status, page) = browser_post(&deletion, &deletion, &[]).await;
    assert_eq!(status, 409, "{page}");
    assert_eq!(fetch(&url).await, (200, newer));
}
