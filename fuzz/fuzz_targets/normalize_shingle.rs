//! Normalisation, shingling, content terms and ingest on arbitrary text (see `common/text.rs`).
#![no_main]

#[path = "common/text.rs"]
mod text;

libfuzzer_sys::fuzz_target!(|data: &[u8]| text::check(data));
