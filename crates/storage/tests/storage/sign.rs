use std::time::Duration;

use storage::{Error, MAX_SIGN_SECS, SignedLink};

use rstest::rstest;

use crate::helpers::*;

#[rstest]
#[tokio::test]
async fn a_signed_link_verifies_for_its_bucket_and_key_only(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let key = t.key("a/cat.png");

    let url = t
        .storage
        .sign(&t.files, &key, Duration::from_secs(600))
        .expect("valid expiry");

    assert!(
        t.storage
            .verify(&t.files, &key, url.expires, &url.signature)
            .is_ok()
    );
    let other_key = t
        .storage
        .verify(&t.files, &t.key("a/dog.png"), url.expires, &url.signature);
    let other_bucket = t
        .storage
        .verify(&t.images, &key, url.expires, &url.signature);
    let later = t
        .storage
        .verify(&t.files, &key, url.expires + 3600, &url.signature);
    let mut tampered = url.signature.clone();
    tampered.replace_range(..1, if tampered.starts_with('a') { "b" } else { "a" });
    let bad_sig = t.storage.verify(&t.files, &key, url.expires, &tampered);
    for result in [other_key, other_bucket, later, bad_sig] {
        assert!(matches!(result, Err(Error::InvalidSignature)), "{result:?}");
    }
}

#[rstest]
#[tokio::test]
async fn another_instance_with_the_same_key_accepts_the_link(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let key = t.key("a/cat.png");
    let url = t
        .storage
        .sign(&t.files, &key, Duration::from_secs(60))
        .expect("valid expiry");

    let other = t.reopen();

    assert!(
        other
            .verify(&t.files, &key, url.expires, &url.signature)
            .is_ok()
    );
}

#[rstest]
#[tokio::test]
async fn an_expired_link_is_refused(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let t = spawn(backend);
    let key = t.key("a/cat.png");
    let url = t
        .storage
        .sign(&t.files, &key, Duration::from_secs(1))
        .expect("valid expiry");

    tokio::time::sleep(Duration::from_millis(2100)).await;

    let result = t
        .storage
        .verify(&t.files, &key, url.expires, &url.signature);
    assert!(matches!(result, Err(Error::SignatureExpired)), "{result:?}");
}

#[rstest]
#[tokio::test]
async fn expiry_is_between_one_second_and_seven_days(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    let key = t.key("k");

    for bad in [
        Duration::ZERO,
        Duration::from_millis(999),
        Duration::from_secs(MAX_SIGN_SECS + 1),
    ] {
        let result = t.storage.sign(&t.files, &key, bad);
        assert!(
            matches!(
                result,
                Err(Error::InvalidExpiry {
                    max_secs: MAX_SIGN_SECS
                })
            ),
            "{bad:?}"
        );
    }
    assert!(
        t.storage
            .sign(&t.files, &key, Duration::from_secs(MAX_SIGN_SECS))
            .is_ok()
    );
    assert!(matches!(
        t.storage
            .sign(&bucket("nope"), &key, Duration::from_secs(5)),
        Err(Error::NoSuchBucket(_))
    ));
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The URL of a link the backend signed itself.
fn native(link: SignedLink) -> String {
    match link {
        SignedLink::Native { url, .. } => url,
        other => panic!("expected a native presigned URL, got {other:?}"),
    }
}

#[rstest]
#[tokio::test]
async fn a_signed_link_grants_reading_that_object_until_it_expires(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    t.put(&t.files, "a/plan.txt", b"top secret".to_vec()).await;
    let key = t.key("a/plan.txt");

    let link = t
        .storage
        .signed_link(&t.files, &key, Duration::from_secs(600))
        .await
        .expect("signed");

    assert!((link.expires() - (now() + 600)).abs() <= 2, "{link:?}");
    match (backend, link) {
        // The gateway checks its own signature when the `/f` link is fetched.
        (Backend::Fs, SignedLink::Gateway(url)) => {
            t.storage
                .verify(&t.files, &key, url.expires, &url.signature)
                .expect("the gateway accepts its link");
        }
        // The backend signed it: any HTTP client can fetch it from the S3 server directly.
        (Backend::S3, link) => {
            let url = native(link);
            assert!(url.starts_with(&t.s3().endpoint()), "{url}");
            let res = reqwest::get(&url).await.expect("the S3 server answers");
            assert_eq!(res.status(), 200);
            assert_eq!(res.text().await.expect("body"), "top secret");
            let unsigned = url.split('?').next().expect("a path");
            let res = reqwest::get(unsigned).await.expect("the S3 server answers");
            assert_eq!(
                res.status(),
                403,
                "the object is private without the signature"
            );
        }
        (_, link) => panic!("{backend}: unexpected link {link:?}"),
    }
}

#[rstest]
#[tokio::test]
async fn signed_link_lifetimes_are_between_one_second_and_seven_days(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    t.put(&t.files, "k", b"x".to_vec()).await;
    let key = t.key("k");

    for bad in [Duration::ZERO, Duration::from_secs(MAX_SIGN_SECS + 1)] {
        let result = t.storage.signed_link(&t.files, &key, bad).await;
        assert!(
            matches!(
                result,
                Err(Error::InvalidExpiry {
                    max_secs: MAX_SIGN_SECS
                })
            ),
            "{bad:?}: {result:?}"
        );
    }
    let longest = t
        .storage
        .signed_link(&t.files, &key, Duration::from_secs(MAX_SIGN_SECS))
        .await
        .expect("seven days is allowed");
    assert!(longest.expires() >= now() + MAX_SIGN_SECS as i64 - 2);
    let unknown = t
        .storage
        .signed_link(&bucket("nope"), &key, Duration::from_secs(5))
        .await;
    assert!(
        matches!(unknown, Err(Error::NoSuchBucket(_))),
        "{unknown:?}"
    );
}

/// The S3 server, not picgate, refuses a presigned URL that was changed in any part.
#[tokio::test]
async fn a_tampered_presigned_url_is_refused_by_the_s3_server() {
    let t = spawn(Backend::S3);
    t.put(&t.files, "a/plan.txt", b"top secret".to_vec()).await;
    t.put(&t.files, "a/other.txt", b"also secret".to_vec())
        .await;
    let url = native(
        t.storage
            .signed_link(&t.files, &t.key("a/plan.txt"), Duration::from_secs(600))
            .await
            .expect("signed"),
    );
    let (_, signature) = url.split_once("X-Amz-Signature=").expect("a signature");
    let signature = &signature[..64];
    let mut flipped = signature.to_owned();
    flipped.replace_range(..1, if signature.starts_with('a') { "b" } else { "a" });
    let (_, expires) = url.split_once("X-Amz-Expires=").expect("an expiry");
    let expires: String = expires.chars().take_while(char::is_ascii_digit).collect();

    let tampered = [
        url.replace("a/plan.txt", "a/other.txt"),
        url.replace(signature, &flipped),
        url.replace(
            &format!("X-Amz-Expires={expires}"),
            &format!("X-Amz-Expires={}", MAX_SIGN_SECS),
        ),
    ];

    assert_eq!(reqwest::get(&url).await.expect("answers").status(), 200);
    for bad in tampered {
        assert_ne!(bad, url);
        let res = reqwest::get(&bad).await.expect("the S3 server answers");
        assert_eq!(res.status(), 403, "{bad}");
        let body = res.text().await.expect("body");
        assert!(!body.contains("secret"), "{body}");
    }
}

#[tokio::test]
async fn an_expired_presigned_url_is_refused_by_the_s3_server() {
    let t = spawn(Backend::S3);
    t.put(&t.files, "soon.txt", b"gone soon".to_vec()).await;
    let url = native(
        t.storage
            .signed_link(&t.files, &t.key("soon.txt"), Duration::from_secs(2))
            .await
            .expect("signed"),
    );
    // Two seconds, not one: S3 counts from the signing time cut to whole seconds.
    assert_eq!(reqwest::get(&url).await.expect("answers").status(), 200);

    tokio::time::sleep(Duration::from_millis(3100)).await;

    let res = reqwest::get(&url).await.expect("the S3 server answers");
    assert_eq!(res.status(), 403);
    let body = res.text().await.expect("body");
    assert!(body.contains("expired"), "{body}");
}

/// A presigned URL points at the storage's origin: active content must come as a download
/// there too, images inline.
#[tokio::test]
async fn a_presigned_link_serves_active_content_as_a_download() {
    let t = spawn(Backend::S3);
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>"#.to_vec();
    t.put(&t.files, "x.svg", svg).await;
    t.put(&t.files, "x.png", png(100)).await;
    let link = |name: &'static str| {
        let storage = t.storage.clone();
        let (bucket, key) = (t.files.clone(), t.key(name));
        async move {
            native(
                storage
                    .signed_link(&bucket, &key, Duration::from_secs(600))
                    .await
                    .expect("signed"),
            )
        }
    };

    let svg = reqwest::get(link("x.svg").await).await.expect("answers");
    let image = reqwest::get(link("x.png").await).await.expect("answers");

    assert_eq!(svg.status(), 200);
    let disposition = svg
        .headers()
        .get("content-disposition")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    assert_eq!(disposition.as_deref(), Some("attachment"));
    assert_eq!(image.status(), 200);
    assert!(image.headers().get("content-disposition").is_none());
}

#[rstest]
#[tokio::test]
async fn a_link_to_a_missing_object_is_refused(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);

    let link = t
        .storage
        .signed_link(&t.files, &t.key("nothing.txt"), Duration::from_secs(60))
        .await;

    assert!(matches!(link, Err(Error::NotFound { .. })), "{link:?}");
}
