use tokio::io::AsyncWriteExt;

use rstest::rstest;

use crate::helpers::{Answer, Backend, PNG, Sessions, spawn_app_on, spawn_app_on_with};

#[rstest]
#[tokio::test]
async fn an_image_upload_answers_ready_to_paste_links(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let res = app
        .upload(&user.access, "images", "cat.png", PNG.to_vec())
        .await;
    res.assert_ok(201);
    let data = res.data();
    assert_eq!(data["key"], "cat.png");
    assert_eq!(data["contentType"], "image/png");
    assert_eq!(data["size"], PNG.len());
    let url = data["url"].as_str().unwrap();
    assert_eq!(url, app.url("/f/images/cat.png"));
    assert_eq!(data["markdown"], format!("![cat.png]({url})"));
    assert_eq!(
        data["markdownWithLink"],
        format!("[![cat.png]({url})]({url})")
    );
    assert_eq!(data["html"], format!("<img src=\"{url}\" alt=\"cat.png\">"));
    assert_eq!(data["bbcode"], format!("[img]{url}[/img]"));
    let fetched = app.client.get(url).send().await.unwrap();
    assert_eq!(fetched.headers()["content-type"], "image/png");
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), PNG);
    assert_eq!(app.stored_files(), ["images/cat.png"]);
}

#[tokio::test]
async fn other_files_answer_links_rather_than_embeds() {
    let app = spawn_app_on(Backend::Fs).await;
    let user = app.user().await;
    let res = app
        .upload(
            &user.access,
            "files",
            "notes [v2].txt",
            b"plain text".to_vec(),
        )
        .await;
    res.assert_ok(201);
    let data = res.data();
    let url = data["url"].as_str().unwrap();
    assert_eq!(data["markdown"], format!("[notes \\[v2\\].txt]({url})"));
    assert_eq!(data["markdownWithLink"], data["markdown"]);
    assert_eq!(
        data["html"],
        format!("<a href=\"{url}\">notes [v2].txt</a>")
    );
    assert_eq!(data["bbcode"], format!("[url={url}]notes (v2).txt[/url]"));
}

#[rstest]
#[tokio::test]
async fn the_content_type_comes_from_the_bytes_not_the_name(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let res = app
        .upload(&user.access, "files", "notes.txt", PNG.to_vec())
        .await;
    res.assert_ok(201);
    assert_eq!(res.data()["contentType"], "image/png");
    app.upload(
        &user.access,
        "images",
        "fake.png",
        b"just some text, not an image".to_vec(),
    )
    .await
    .assert_error(415, "unsupported_media_type");
    assert!(
        app.stored_files().is_empty() || !app.stored_files().iter().any(|f| f.contains("fake"))
    );
}

#[rstest]
#[tokio::test]
async fn an_upload_over_the_bucket_limit_is_413_and_stores_nothing(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on_with(
        backend,
        Sessions::Embedded,
        "[buckets.images]\nmax_object_bytes = 1024\n",
    )
    .await;
    let user = app.user().await;
    let mut big = PNG.to_vec();
    big.resize(64 * 1024, 0);
    app.upload(&user.access, "images", "big.png", big.clone())
        .await
        .assert_error(413, "payload_too_large");
    app.put(&user.access, "images", "big-raw.png", big)
        .await
        .assert_error(413, "payload_too_large");
    assert_eq!(app.stored_files(), Vec::<String>::new());
}

#[rstest]
#[tokio::test]
async fn a_streamed_body_without_length_is_cut_at_the_limit(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on_with(
        backend,
        Sessions::Embedded,
        "[buckets.images]\nmax_object_bytes = 1024\n",
    )
    .await;
    let user = app.user().await;
    let mut chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![Ok(PNG.to_vec())];
    chunks.extend((0..64).map(|_| Ok(vec![0u8; 1024])));
    let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
    let res = app
        .client
        .put(app.url("/api/v1/buckets/images/objects/chunked.png"))
        .bearer_auth(&user.access)
        .body(body)
        .send()
        .await
        .unwrap();
    Answer::from(res)
        .await
        .assert_error(413, "payload_too_large");
    assert_eq!(app.stored_files(), Vec::<String>::new());
}

#[rstest]
#[tokio::test]
async fn raw_put_stores_the_body_at_the_key(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let res = app
        .put(&user.access, "files", "docs/readme.txt", b"hello".to_vec())
        .await;
    res.assert_ok(201);
    assert_eq!(res.data()["key"], "docs/readme.txt");
    assert_eq!(res.data()["contentType"], "text/plain");
    let got = app
        .client
        .get(app.url("/api/v1/buckets/files/objects/docs/readme.txt"))
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.text().await.unwrap(), "hello");
}

#[rstest]
#[tokio::test]
async fn uploads_need_a_session(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let app = spawn_app_on(backend).await;
    let part = reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("a.png");
    let res = app
        .client
        .post(app.url("/api/v1/buckets/images/objects"))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    Answer::from(res).await.assert_error(401, "missing_token");
    assert!(app.stored_files().is_empty());
}

#[rstest]
#[tokio::test]
async fn a_multipart_body_without_a_file_is_a_400(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let res = app
        .client
        .post(app.url("/api/v1/buckets/images/objects"))
        .bearer_auth(&user.access)
        .multipart(reqwest::multipart::Form::new().text("folder", "x"))
        .send()
        .await
        .unwrap();
    Answer::from(res)
        .await
        .assert_error(400, "invalid_multipart");
}

#[rstest]
#[tokio::test]
async fn several_files_and_a_folder_in_one_request(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let form = reqwest::multipart::Form::new()
        .text("folder", "2026/album")
        .part(
            "file",
            reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("a.png"),
        )
        .part(
            "file",
            reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("b.png"),
        );
    let res = app
        .client
        .post(app.url("/api/v1/buckets/images/objects"))
        .bearer_auth(&user.access)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let res = Answer::from(res).await;
    res.assert_ok(201);
    assert_eq!(res.item_keys(), ["2026/album/a.png", "2026/album/b.png"]);
}

#[rstest]
#[tokio::test]
async fn traversal_and_malformed_keys_are_400_and_write_nothing_outside(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    for key in [
        "..%2F..%2Fescape.txt",
        "a%5C..%5Cb.txt",
        "a/%2E%2E%2Fb.txt",
        "ctl%01.txt",
    ] {
        app.put(&user.access, "files", key, b"x".to_vec())
            .await
            .assert_error(400, "invalid_object_key");
    }
    let part = reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("../../escape.png");
    let res = app
        .client
        .post(app.url("/api/v1/buckets/images/objects"))
        .bearer_auth(&user.access)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    // A client path in the file name keeps only its last segment, inside the bucket.
    let stored = Answer::from(res).await;
    stored.assert_ok(201);
    assert_eq!(stored.data()["key"], "escape.png");
    let root = app.data_dir.parent().unwrap();
    assert!(!root.join("escape.txt").exists() && !root.join("escape.png").exists());
    assert_eq!(app.stored_files(), ["images/escape.png"]);
}

/// The client announces 30 MB, sends 20 MB and drops the connection. The write was under way
/// (a temporary file on fs; on S3 a multipart upload with stored parts, uploads going multipart
/// from 8 MiB): afterwards there is no object, no temporary file and no dangling upload.
#[rstest]
#[tokio::test]
async fn an_upload_cut_off_midway_leaves_nothing(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let head = format!(
        "PUT /api/v1/buckets/files/objects/partial.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nContent-Length: 30000000\r\n\r\n",
        user.access
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![7u8; 1_000_000];
    for _ in 0..20 {
        stream.write_all(&chunk).await.unwrap();
    }
    stream.flush().await.unwrap();
    let under_way = app
        .stored_files_eventually(|files| match backend {
            Backend::Fs => files.iter().any(|f| f.starts_with(".tmp/")),
            Backend::S3 => files.iter().any(|f| f.contains(".part-")),
        })
        .await;
    assert!(
        under_way
            .iter()
            .any(|f| f.starts_with(".tmp/") || f.contains(".part-")),
        "the upload never reached the storage: {under_way:?}"
    );

    drop(stream);

    let left = app.stored_files_eventually(<[String]>::is_empty).await;
    assert!(left.is_empty(), "left behind: {left:?}");
    let res = app
        .client
        .get(app.url("/api/v1/buckets/files/info/partial.bin"))
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    Answer::from(res)
        .await
        .assert_error(404, "object_not_found");
}

/// Several files in one request: each has its own outcome. The good ones are stored, a text
/// file in the image bucket and a part without a file name are refused alone with nothing
/// stored for them, a name already taken (the caller's own object or another user's) goes to a
/// key of its own, and the answer is a 207 listing every file in order.
#[rstest]
#[tokio::test]
async fn each_file_of_a_mixed_upload_gets_its_own_outcome(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let other = app.user().await;
    app.upload(&user.access, "images", "keep.png", PNG.to_vec())
        .await
        .assert_ok(201);
    app.upload(&other.access, "images", "theirs.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let mut second = PNG.to_vec();
    second.extend_from_slice(b"second");
    let part = |bytes: Vec<u8>, name: &str| {
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned())
    };
    let form = reqwest::multipart::Form::new()
        .part("file", part(second.clone(), "keep.png"))
        .part("file", part(b"just some notes".to_vec(), "notes.txt"))
        .part("file", part(second.clone(), "theirs.png"))
        .part("file", reqwest::multipart::Part::bytes(PNG.to_vec()))
        .part("file", part(PNG.to_vec(), "new.png"));
    let res = app
        .client
        .post(app.url("/api/v1/buckets/images/objects"))
        .bearer_auth(&user.access)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let answer = Answer::from(res).await;
    answer.assert_error(207, "some_files_failed");
    let items = answer.data()["items"].as_array().unwrap();
    let outcomes: Vec<(&str, bool, u64, &str)> = items
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap(),
                i["stored"].as_bool().unwrap(),
                i["status"].as_u64().unwrap(),
                i["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("keep.png", true, 201, ""),
            ("notes.txt", false, 415, "unsupported_media_type"),
            ("theirs.png", true, 201, ""),
            ("", false, 400, "invalid_multipart"),
            ("new.png", true, 201, ""),
        ],
        "{}",
        answer.body
    );
    assert!(items[1]["msg"].as_str().is_some_and(|m| !m.is_empty()));
    // Taken names went to keys of their own and say which they asked for.
    for (i, asked) in [(0, "keep.png"), (2, "theirs.png")] {
        assert_eq!(items[i]["requestedKey"], asked, "{}", items[i]);
        assert_ne!(items[i]["key"], asked, "{}", items[i]);
    }
    assert!(items[4].get("requestedKey").is_none());
    let renamed_own = items[0]["key"].as_str().unwrap().to_owned();
    let renamed_theirs = items[2]["key"].as_str().unwrap().to_owned();

    let fetch = |path: String| {
        let app = &app;
        async move {
            let res = app.client.get(app.url(&path)).send().await.unwrap();
            (res.status().as_u16(), res.bytes().await.unwrap().to_vec())
        }
    };
    // Nothing was replaced.
    assert_eq!(
        fetch("/f/images/keep.png".into()).await,
        (200, PNG.to_vec())
    );
    assert_eq!(
        fetch("/f/images/theirs.png".into()).await,
        (200, PNG.to_vec())
    );
    assert_eq!(
        fetch(format!("/f/images/{renamed_own}")).await,
        (200, second.clone())
    );
    assert_eq!(
        fetch(format!("/f/images/{renamed_theirs}")).await,
        (200, second.clone())
    );
    assert_eq!(fetch("/f/images/new.png".into()).await, (200, PNG.to_vec()));
    assert_eq!(fetch("/f/images/notes.txt".into()).await.0, 404);
    let mut stored = app.stored_files();
    stored.retain(|f| !f.starts_with('.'));
    let mut expected = vec![
        "images/keep.png".to_owned(),
        "images/new.png".to_owned(),
        "images/theirs.png".to_owned(),
        format!("images/{renamed_own}"),
        format!("images/{renamed_theirs}"),
    ];
    expected.sort();
    assert_eq!(stored, expected);
}

/// Two people pasting a screenshot named `image.png` into the same folder both keep theirs;
/// a bucket whose `key_template` holds `{uuid}` never needs to rename.
#[tokio::test]
async fn two_users_uploading_image_png_both_keep_their_picture() {
    let app = spawn_app_on_with(
        Backend::Fs,
        crate::helpers::Sessions::Redis,
        "[buckets.files]\nmax_object_bytes = 1048576\nkey_template = \"{folder}/{yyyy}/{mm}/{dd}/{uuid}.{ext}\"\n",
    )
    .await;
    let alice = app.user().await;
    let bob = app.user().await;
    let mut bobs = PNG.to_vec();
    bobs.extend_from_slice(b"bob");
    let first = app
        .upload(&alice.access, "images", "image.png", PNG.to_vec())
        .await;
    let second = app
        .upload(&bob.access, "images", "image.png", bobs.clone())
        .await;
    first.assert_ok(201);
    second.assert_ok(201);
    assert_eq!(first.data()["key"], "image.png");
    let bob_key = second.data()["key"].as_str().unwrap().to_owned();
    assert_ne!(bob_key, "image.png");
    for (key, bytes) in [("image.png".to_owned(), PNG.to_vec()), (bob_key, bobs)] {
        let res = app
            .client
            .get(app.url(&format!("/f/images/{key}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.bytes().await.unwrap().to_vec(), bytes, "{key}");
    }

    // Dated, random names: `2026/11/30/<32 hex>.png`, never the same twice.
    let today = app
        .upload(&alice.access, "files", "image.png", PNG.to_vec())
        .await;
    today.assert_ok(201);
    let key = today.data()["key"].as_str().unwrap();
    let parts: Vec<&str> = key.split('/').collect();
    assert_eq!(parts.len(), 4, "{key}");
    assert!(
        parts[0].len() == 4 && parts[1].len() == 2 && parts[2].len() == 2,
        "{key}"
    );
    assert!(parts[3].ends_with(".png") && parts[3].len() == 36, "{key}");
    assert!(today.data().get("requestedKey").is_none());
}

/// Several files, all stored: 201, one item per file.
#[tokio::test]
async fn a_multi_file_upload_that_fully_succeeds_is_a_201_with_every_file() {
    let app = spawn_app_on(Backend::Fs).await;
    let user = app.user().await;
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("a.png"),
        )
        .part(
            "file",
            reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("b.png"),
        );
    let res = app
        .client
        .post(app.url("/api/v1/buckets/images/objects"))
        .bearer_auth(&user.access)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let answer = Answer::from(res).await;
    answer.assert_ok(201);
    assert_eq!(answer.item_keys(), ["a.png", "b.png"]);
    for item in answer.data()["items"].as_array().unwrap() {
        assert_eq!(item["stored"], true, "{item}");
        assert_eq!(item["status"], 201, "{item}");
        assert!(item["bbcode"].as_str().is_some(), "{item}");
    }
}

/// A body that breaks off is a failure of the whole request: what it created is removed, what
/// it replaced keeps its new, complete content.
#[rstest]
#[tokio::test]
async fn an_upload_whose_body_breaks_off_removes_what_it_created(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let part = |name: &str| {
        format!(
            "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: image/png\r\n\r\n"
        )
    };
    // The second file never ends: no closing boundary follows it.
    let body = [
        part("first.png").as_bytes(),
        PNG,
        b"\r\n",
        part("second.png").as_bytes(),
        PNG,
    ]
    .concat();
    let res = app
        .client
        .post(app.url("/api/v1/buckets/images/objects"))
        .bearer_auth(&user.access)
        .header("content-type", "multipart/form-data; boundary=B")
        .body(body)
        .send()
        .await
        .unwrap();
    let answer = Answer::from(res).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(answer.body["success"], false);
    app.get("/f/images/first.png")
        .await
        .assert_error(404, "object_not_found");
    app.get("/f/images/second.png")
        .await
        .assert_error(404, "object_not_found");
}

/// RFC 6266 names: `filename*` (UTF-8, percent-encoded) wins over `filename`; a Windows path
/// keeps its last segment; the download names the file in UTF-8 again.
#[rstest]
#[tokio::test]
async fn file_names_arrive_in_utf_8_and_without_client_paths(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let user = app.user().await;
    let pdf = "%PDF-1.4\n%%EOF\n";
    let body = format!(
        "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"fallback.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%C3%A9.pdf\r\n\r\n{pdf}\r\n\
         --B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"C:\\Users\\x\\shot.png\"\r\n\r\n{pdf}\r\n--B--\r\n"
    );
    let res = app
        .client
        .post(app.url("/api/v1/buckets/files/objects"))
        .bearer_auth(&user.access)
        .header("content-type", "multipart/form-data; boundary=B")
        .body(body)
        .send()
        .await
        .unwrap();
    let stored = Answer::from(res).await;
    stored.assert_ok(201);
    assert_eq!(stored.item_keys(), ["报告 é.pdf", "shot.png"]);

    let download = app
        .client
        .get(app.url("/f/files/%E6%8A%A5%E5%91%8A%20%C3%A9.pdf"))
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    let disposition = download.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.ends_with("filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%C3%A9.pdf"),
        "{disposition}"
    );
}

/// Uploaded file names are stored in NFC, so a decomposed name from macOS and a composed link
/// find the same object; keys given explicitly (PUT) are taken byte for byte.
#[tokio::test]
async fn uploaded_names_are_composed_and_explicit_keys_are_kept_as_given() {
    let app = crate::helpers::spawn_app().await;
    let user = app.user().await;
    let body = "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.txt\"; filename*=UTF-8''cafe%CC%81.txt\r\n\r\nbonjour\r\n--B--\r\n";
    let res = app
        .client
        .post(app.url("/api/v1/buckets/files/objects"))
        .bearer_auth(&user.access)
        .header("content-type", "multipart/form-data; boundary=B")
        .body(body)
        .send()
        .await
        .unwrap();
    let stored = Answer::from(res).await;
    stored.assert_ok(201);
    assert_eq!(stored.data()["key"], "caf\u{e9}.txt");
    let composed = "/api/v1/buckets/files/info/caf%C3%A9.txt";
    app.get_auth(composed, &user.access).await.assert_ok(200);

    app.put(&user.access, "files", "cafe%CC%81-put.txt", b"x".to_vec())
        .await
        .assert_ok(201);
    let decomposed = "/api/v1/buckets/files/info/cafe%CC%81-put.txt";
    app.get_auth(decomposed, &user.access).await.assert_ok(200);
    app.get_auth("/api/v1/buckets/files/info/caf%C3%A9-put.txt", &user.access)
        .await
        .assert_error(404, "object_not_found");
}

/// Percent-encoded bytes that are not UTF-8 make no key: the router would read them as U+FFFD
/// and alias different keys, so they are a 400 and nothing is stored or served.
#[tokio::test]
async fn a_key_or_prefix_that_is_not_utf_8_is_refused() {
    let app = spawn_app_on(Backend::Fs).await;
    let user = app.user().await;
    app.put(&user.access, "images", "%FE.png", PNG.to_vec())
        .await
        .assert_error(400, "invalid_object_key");
    app.put(&user.access, "images", "\u{FFFD}.png", PNG.to_vec())
        .await
        .assert_ok(201);
    app.get("/f/images/%FF.png")
        .await
        .assert_error(400, "invalid_object_key");
    let served = app
        .client
        .get(app.url("/f/images/%EF%BF%BD.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    let res = app
        .client
        .get(app.url("/api/v1/buckets/images/objects?prefix=%FF"))
        .bearer_auth(&user.access)
        .send()
        .await
        .unwrap();
    Answer::from(res).await.assert_error(400, "invalid_query");
    assert_eq!(app.stored_files(), ["images/\u{FFFD}.png"]);
}

/// An unknown `fields=` name is refused before anything is stored or deleted.
#[tokio::test]
async fn a_bad_fields_name_refuses_a_write_before_it_happens() {
    let app = spawn_app_on(Backend::Fs).await;
    let user = app.user().await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("f.png"),
    );
    let res = app
        .client
        .post(app.url("/api/v1/buckets/images/objects?fields=bogus"))
        .bearer_auth(&user.access)
        .multipart(form)
        .send()
        .await
        .unwrap();
    Answer::from(res).await.assert_error(400, "unknown_field");
    let res = app
        .client
        .put(app.url("/api/v1/buckets/images/objects/p.png?fields=bogus"))
        .bearer_auth(&user.access)
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    Answer::from(res).await.assert_error(400, "unknown_field");
    assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());

    app.put(&user.access, "images", "kept.png", PNG.to_vec())
        .await
        .assert_ok(201);
    let res = app
        .client
        .post(app.url("/api/v1/buckets/images/delete?fields=bogus"))
        .bearer_auth(&user.access)
        .json(&serde_json::json!({"keys": ["kept.png"]}))
        .send()
        .await
        .unwrap();
    Answer::from(res).await.assert_error(400, "unknown_field");
    assert_eq!(app.stored_files(), ["images/kept.png"]);
}
