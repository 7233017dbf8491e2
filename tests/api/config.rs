use gateway::Settings;

#[test]
fn a_bad_value_stops_start_up_naming_the_key() {
    let err = Settings::from_toml_layers(&["[server]\nport = \"eighty\"\n"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("server.port"), "{err}");
    let err = Settings::from_toml_layers(&["[buckets.images]\npolicy = \"open\"\n"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("buckets.images.policy"), "{err}");
    let err =
        Settings::from_toml_layers(&["[server]\npublic_url = \"https://cdn.example.com/p?x=1\"\n"])
            .unwrap_err()
            .to_string();
    assert!(err.contains("server.public_url"), "{err}");
    let err =
        Settings::from_toml_layers(&["[buckets.images]\nkey_template = \"{folder}/{nam}\"\n"])
            .unwrap_err()
            .to_string();
    assert!(
        err.contains("key_template") && err.contains("{nam}"),
        "{err}"
    );
}

#[test]
fn production_mode_refuses_to_start_without_redis_or_a_jwt_secret() {
    let err = Settings::from_toml_layers(&["mode = \"production\"\n"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("redis.url"), "{err}");
    let err = Settings::from_toml_layers(&[
        "mode = \"production\"\n[redis]\nurl = \"redis://127.0.0.1:1\"\n",
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("auth.jwt_secret"), "{err}");
    assert!(
        Settings::from_toml_layers(&[
            "mode = \"production\"\n[redis]\nurl = \"redis://127.0.0.1:1\"\n[auth]\njwt_secret = \"s3cret-s3cret-s3cret-s3cret-s3cret\"\n"
        ])
        .is_ok()
    );
}

#[test]
fn the_embedded_defaults_are_the_documented_ones() {
    let s = Settings::from_toml_layers(&[]).unwrap();
    assert_eq!(s.server.host, "127.0.0.1");
    assert_eq!(s.server.port, 8080);
    assert_eq!(s.storage.data_dir, std::path::PathBuf::from("./data"));
    assert!(s.redis.url.is_none());
    assert_eq!(s.buckets["images"].max_object_bytes, 20 * 1024 * 1024);
    assert_eq!(s.buckets["files"].max_object_bytes, 1024 * 1024 * 1024);
}

#[test]
fn a_secret_can_come_from_a_file_but_not_from_both() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwt");
    std::fs::write(&path, "from-a-file-secret-of-at-least-32-bytes\n").unwrap();
    let layer = format!("[auth]\njwt_secret_file = \"{}\"\n", path.display());
    let s = Settings::from_toml_layers(&[&layer]).unwrap();
    use secrecy::ExposeSecret;
    assert_eq!(
        s.auth.jwt_secret.as_ref().unwrap().expose_secret(),
        "from-a-file-secret-of-at-least-32-bytes"
    );
    let both = format!("{layer}jwt_secret = \"x\"\n");
    let err = Settings::from_toml_layers(&[&both])
        .unwrap_err()
        .to_string();
    assert!(err.contains("jwt_secret_file"), "{err}");
}

#[test]
fn backend_credentials_can_come_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let (id, key) = (dir.path().join("id"), dir.path().join("key"));
    std::fs::write(&id, "AKIDfromfile\n").unwrap();
    std::fs::write(&key, "secret-from-file\n").unwrap();
    let layer = format!(
        "[buckets.images.backend]\ntype = \"s3\"\nendpoint = \"http://127.0.0.1:9\"\nbucket = \"pics\"\naccess_key_id_file = \"{}\"\nsecret_access_key_file = \"{}\"\n",
        id.display(),
        key.display()
    );
    let s = Settings::from_toml_layers(&[&layer]).unwrap();
    let storage::BackendSettings::S3(remote) = &s.buckets["images"].backend else {
        panic!("an s3 backend")
    };
    use secrecy::ExposeSecret;
    assert_eq!(
        remote.access_key_id.as_ref().unwrap().expose_secret(),
        "AKIDfromfile"
    );
    assert_eq!(
        remote.secret_access_key.as_ref().unwrap().expose_secret(),
        "secret-from-file"
    );
    assert!(
        !format!("{s:?}").contains("secret-from-file"),
        "secrets stay out of Debug"
    );
    let both = format!("{layer}secret_access_key = \"inline\"\n");
    let err = Settings::from_toml_layers(&[&both])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("buckets.images.backend.secret_access_key_file"),
        "{err}"
    );
}

#[test]
fn an_unknown_backend_type_or_field_names_the_key() {
    let err = Settings::from_toml_layers(&["[buckets.images.backend]\ntype = \"ftp\"\n"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("buckets.images.backend"), "{err}");
    let err = Settings::from_toml_layers(&[
        "[buckets.images.backend]\ntype = \"s3\"\nbucket = \"pics\"\nsecret = \"x\"\n",
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("buckets.images.backend"), "{err}");
}
