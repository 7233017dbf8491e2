use storage::{Error, Policy};

use rstest::rstest;

use crate::helpers::*;

#[rstest]
#[tokio::test]
async fn buckets_are_listed_by_name_with_their_configuration(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);

    let buckets = t.storage.buckets();

    let names: Vec<_> = buckets.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, vec!["files", "images"]);
    let images = t.storage.bucket(&t.images).expect("configured");
    assert_eq!(images.policy, Policy::PublicRead);
    assert_eq!(images.max_object_bytes, IMAGE_LIMIT);
    assert_eq!(images.allowed_types, vec!["image/*".to_owned()]);
    assert_eq!(images.backend, backend.to_string());
    assert!(matches!(
        t.storage.bucket(&bucket("nope")),
        Err(Error::NoSuchBucket(_))
    ));
}

#[rstest]
#[tokio::test]
async fn a_policy_change_is_persisted_and_seen_by_other_instances(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);
    assert_eq!(
        t.storage.policy(&t.files).await.expect("readable"),
        Policy::Private
    );
    let other = t.reopen();
    assert_eq!(
        other.policy(&t.files).await.expect("readable"),
        Policy::Private
    );

    let info = t
        .storage
        .set_policy(&t.files, Policy::PublicRead)
        .await
        .expect("stored");

    assert_eq!(info.policy, Policy::PublicRead);
    assert_eq!(
        t.storage.policy(&t.files).await.expect("readable"),
        Policy::PublicRead
    );
    assert_eq!(
        t.storage.bucket(&t.files).expect("exists").policy,
        Policy::PublicRead
    );
    let fresh = t.reopen();
    assert_eq!(
        fresh.policy(&t.files).await.expect("readable"),
        Policy::PublicRead
    );
    assert_eq!(t.system_documents("policies/"), vec!["files.json"]);
}

#[rstest]
#[tokio::test]
async fn every_backend_and_the_system_area_report_ready(
    #[values(Backend::Fs, Backend::S3)] backend: Backend,
) {
    let t = spawn(backend);

    let checks = t.storage.check().await;

    let names: Vec<_> = checks.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["files", "images", "system"]);
    assert!(checks.iter().all(|(_, r)| r.is_ok()));
}
