use std::time::Duration;

use storage::{Error, MAX_SIGN_SECS};

use crate::helpers::*;

#[tokio::test]
async fn a_signed_link_verifies_for_its_bucket_and_key_only() {
    let t = spawn();
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

#[tokio::test]
async fn another_instance_with_the_same_key_accepts_the_link() {
    let t = spawn();
    let key = t.key("a/cat.png");
    let url = t
        .storage
        .sign(&t.files, &key, Duration::from_secs(60))
        .expect("valid expiry");

    let other = open(t.dir.path());

    assert!(
        other
            .verify(&t.files, &key, url.expires, &url.signature)
            .is_ok()
    );
}

#[tokio::test]
async fn an_expired_link_is_refused() {
    let t = spawn();
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

#[tokio::test]
async fn expiry_is_between_one_second_and_seven_days() {
    let t = spawn();
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
