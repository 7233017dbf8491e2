use std::collections::BTreeMap;

use secrecy::SecretString;
use storage::{BackendSettings, BucketSettings, Error, Settings, Storage};

use rstest::rstest;

use crate::helpers::*;

fn build(table: BTreeMap<String, BucketSettings>) -> Result<Storage, Error> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let settings = Settings::on_disk(dir.path().to_owned());
    Storage::new(&settings, &table, signing_key())
}

fn config_error(result: Result<Storage, Error>) -> String {
    match result {
        Err(Error::Config(message)) => message,
        Err(other) => panic!("expected a config error, got {other:?}"),
        Ok(_) => panic!("expected a config error, got a storage"),
    }
}

#[test]
fn a_bad_bucket_name_stops_startup_naming_the_key() {
    let mut table = bucket_table();
    let images = table.remove("images").expect("in the table");
    table.insert("My_Images".to_owned(), images);

    let message = config_error(build(table));

    assert!(message.contains("buckets.My_Images"), "{message}");
}

#[test]
fn a_bad_type_pattern_or_zero_limit_stops_startup() {
    let mut table = bucket_table();
    if let Some(images) = table.get_mut("images") {
        images.allowed_types = vec!["image".to_owned()];
    }
    assert!(config_error(build(table)).contains("buckets.images.allowed_types"));

    let mut table = bucket_table();
    if let Some(files) = table.get_mut("files") {
        files.max_object_bytes = 0;
    }
    assert!(config_error(build(table)).contains("buckets.files.max_object_bytes"));
}

#[test]
fn overlapping_roots_stop_startup() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut table = bucket_table();
    if let Some(files) = table.get_mut("files") {
        files.backend = BackendSettings::Fs {
            root: Some(dir.path().join("images/inner")),
        };
    }
    let settings = Settings::on_disk(dir.path().to_owned());

    let message = config_error(Storage::new(&settings, &table, signing_key()));

    assert!(message.contains("overlap"), "{message}");
    let mut table = bucket_table();
    if let Some(files) = table.get_mut("files") {
        files.backend = BackendSettings::Fs {
            root: Some(".".into()),
        };
    }
    assert!(config_error(Storage::new(&settings, &table, signing_key())).contains("overlap"));
}

#[test]
fn an_empty_signing_key_stops_startup() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let settings = Settings::on_disk(dir.path().to_owned());

    let result = Storage::new(
        &settings,
        &bucket_table(),
        SecretString::from(String::new()),
    );

    config_error(result);
}

#[tokio::test]
async fn buckets_live_under_the_data_dir_and_a_custom_root_is_honoured() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut table = bucket_table();
    if let Some(files) = table.get_mut("files") {
        files.backend = BackendSettings::Fs {
            root: Some("elsewhere/files".into()),
        };
    }
    let settings = Settings::on_disk(dir.path().to_owned());
    let storage = Storage::new(&settings, &table, signing_key()).expect("valid");

    let key = storage::ObjectKey::parse("x.png").expect("valid");
    storage
        .write(&bucket("images"), &key, chunks(vec![png(10)]), None)
        .await
        .expect("stored");
    storage
        .write(&bucket("files"), &key, chunks(vec![png(10)]), None)
        .await
        .expect("stored");

    assert!(dir.path().join("images/x.png").is_file());
    assert!(dir.path().join("elsewhere/files/x.png").is_file());
}

/// Accounts rely on this: two registrations of one phone never both succeed. On S3 the
/// system area is a remote bucket (`storage.system`), and the create is a conditional PUT.
#[rstest]
#[tokio::test]
async fn the_system_area_creates_exclusively(#[values(Backend::Fs, Backend::S3)] backend: Backend) {
    let t = spawn(backend);
    let system = t.storage.system_operator();

    system
        .write_with("accounts/a.json", "{}")
        .if_not_exists(true)
        .await
        .expect("created");
    let again = system
        .write_with("accounts/a.json", "{\"second\": true}")
        .if_not_exists(true)
        .await;

    assert_eq!(
        again.map_err(|e| e.kind()).err(),
        Some(opendal::ErrorKind::ConditionNotMatch)
    );
    assert_eq!(t.system_documents("accounts/"), vec!["a.json"]);
    let kept = system.read("accounts/a.json").await.expect("readable");
    assert_eq!(kept.to_vec(), b"{}".to_vec(), "the first document stays");
    let on_disk = t.dir.path().join(".system/accounts/a.json").is_file();
    assert_eq!(
        on_disk,
        backend == Backend::Fs,
        "the system area is where configured"
    );
}
