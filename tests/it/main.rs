//! Integration tests of storyhash, one module per area, compiled into one binary.

mod accuracy;
mod bad_input;
mod browser;
mod cli;
mod crash;
mod docs;
mod engine;
mod eval;
mod fuzz_regressions;
mod golden;
mod http;
mod inputs;
mod listing;
mod model;
mod recorded;
#[cfg(feature = "redis-log")]
mod redis_server;
#[cfg(feature = "redis-log")]
mod scaleout;
mod scripts;
mod serve;
mod stories;
mod usage;

use std::path::PathBuf;

/// A file in the repository's `data/` directory.
pub fn repo_data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

/// A file of the project's shared data set (outside the repository): `$STORYHASH_SHARED_DATA` or
/// `../shared/data`. Tests that need it skip with a note when it is absent, except under CI, where it
/// must be there.
pub fn shared_data(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("STORYHASH_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    let path = dir.join(name);
    if path.exists() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() {
        panic!("shared data file {} is missing", path.display());
    }
    eprintln!(
        "note: {} not found; skipping the checks that need it",
        path.display()
    );
    None
}

/// The labelled UCI sample as (id, title, story) triples.
pub fn uci_rows() -> Vec<(String, String, String)> {
    let text =
        std::fs::read_to_string(repo_data("uci-stories-dev.jsonl")).expect("read the UCI sample");
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("UCI line is JSON");
            (
                v["id"].as_str().expect("id").to_string(),
                v["title"].as_str().expect("title").to_string(),
                v["story"].as_str().expect("story").to_string(),
            )
        })
        .collect()
}
