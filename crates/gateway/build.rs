//! Build facts the binary reports (`picgate_build_info`): the git revision it was built from,
//! from `PICGATE_REVISION` when set (release pipelines), else `git rev-parse`, else `unknown`.
//! Also reruns (and so rebuilds the crate) when the embedded console files change.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PICGATE_REVISION");
    println!("cargo:rerun-if-changed=../../.git/HEAD");
    println!("cargo:rerun-if-changed=../../.git/refs/heads");
    // The embedded console (`src/console/mod.rs`): a file added under `assets/` must rebuild
    // the binary too; `include_bytes!` tracks only the files that were there.
    println!("cargo:rerun-if-changed=../../console/index.html");
    println!("cargo:rerun-if-changed=../../console/assets");
    let revision = std::env::var("PICGATE_REVISION")
        .ok()
        .filter(|r| !r.is_empty())
        .or_else(git_revision)
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=PICGATE_REVISION={revision}");
}

fn git_revision() -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()?;
    let revision = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !revision.is_empty()).then_some(revision)
}
