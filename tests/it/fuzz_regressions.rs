//! Replays the inputs kept in `fuzz/regressions/TARGET/` through the same checks the fuzz targets run
//! (`fuzz/fuzz_targets/common/`), so that every input a fuzzer ever broke storyhash with stays fixed.

use std::path::PathBuf;

#[path = "../../fuzz/fuzz_targets/common/body.rs"]
mod body;
#[path = "../../fuzz/fuzz_targets/common/csv.rs"]
mod csv;
#[path = "../../fuzz/fuzz_targets/common/lines.rs"]
mod lines;
#[path = "../../fuzz/fuzz_targets/common/text.rs"]
mod text;

/// The kept inputs of one target.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "{} holds no input", dir.display());
    out
}

fn replay(target: &str, check: impl Fn(&[u8])) {
    for (path, bytes) in inputs(target) {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&bytes)));
        assert!(outcome.is_ok(), "{} fails again", path.display());
    }
}

#[test]
fn normalize_shingle_inputs_stay_fixed() {
    replay("normalize_shingle", text::check);
}

#[test]
fn read_jsonl_inputs_stay_fixed() {
    replay("read_jsonl", |d| {
        lines::check(storyhash::io::Format::Jsonl, d)
    });
}

#[test]
fn read_text_inputs_stay_fixed() {
    replay("read_text", |d| {
        lines::check(storyhash::io::Format::Text, d)
    });
}

#[test]
fn read_csv_inputs_stay_fixed() {
    replay("read_csv", csv::check);
}

#[test]
fn http_body_inputs_stay_fixed() {
    replay("http_body", body::check);
}
