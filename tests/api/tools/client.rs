//! The clients' HTTP calls, made with `reqwest`: minting a token, multipart uploads as PicList,
//! PicGo and ShareX send them, PicList's delete, and fetching a link as an image viewer does.

use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp};

/// GETs a link as an image viewer does: no token, no cookie. The status and the bytes.
pub(super) async fn fetch(url: &str) -> (u16, Vec<u8>) {
    let res = reqwest::Client::new().get(url).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.bytes().await.unwrap().to_vec())
}

/// Mints an API token for the holder of `session`, as the user does in the web UI.
pub(super) async fn api_token(app: &TestApp, session: &str, scopes: &[&str]) -> String {
    let res = app
        .post_json(
            "/api/v1/auth/tokens",
            &json!({"name": format!("tools {scopes:?}"), "scopes": scopes}),
            Some(session),
        )
        .await;
    res.assert_ok(201);
    res.data()["token"].as_str().unwrap().to_owned()
}

/// `token` with its last character changed: well-formed, but a token nobody holds.
pub(super) fn wrong(token: &str) -> String {
    let mut wrong = token.to_owned();
    let last = wrong.pop().unwrap_or('a');
    wrong.push(if last == 'a' { 'b' } else { 'a' });
    wrong
}

/// A multipart upload as PicList, PicGo and ShareX send it: `field` holds the file (declared
/// `image/png`, as form-data guesses from the name), then `fields`.
pub(super) async fn multipart_post(
    app: &TestApp,
    path: &str,
    authorization: &str,
    field: &str,
    name: &str,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
) -> Answer {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("image/png")
        .unwrap();
    let mut form = reqwest::multipart::Form::new().part(field.to_owned(), part);
    for (k, v) in fields {
        form = form.text((*k).to_owned(), (*v).to_owned());
    }
    let res = app
        .client
        .post(app.url(path))
        .header("accept", "application/json")
        .header("authorization", authorization)
        .multipart(form)
        .send()
        .await
        .unwrap();
    Answer::from(res).await
}

/// PicList's Lsky V2 upload: `file`, `ssl=true`, then `fields`; `Authorization` verbatim.
pub(super) async fn lsky_v2(
    app: &TestApp,
    authorization: &str,
    name: &str,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
) -> Answer {
    let fields = [&[("ssl", "true")][..], fields].concat();
    multipart_post(
        app,
        "/api/v1/upload",
        authorization,
        "file",
        name,
        bytes,
        &fields,
    )
    .await
}

/// PicList's delete: `DELETE /api/v1/images/{key}`, the key pasted raw into the path.
pub(super) async fn lsky_delete(app: &TestApp, key: &str, token: &str) -> Answer {
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/images/{key}")))
        .header("accept", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    Answer::from(res).await
}

/// An upload to the ShareX route, `file` with a bearer token.
pub(super) async fn tools_upload(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>) -> Answer {
    let bearer = format!("Bearer {token}");
    multipart_post(
        app,
        "/api/v1/tools/upload",
        &bearer,
        "file",
        name,
        bytes,
        &[],
    )
    .await
}

#[track_caller]
pub(super) fn assert_has_message(body: &Value) {
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| !m.trim().is_empty()),
        "no message for the user: {body}"
    );
}
