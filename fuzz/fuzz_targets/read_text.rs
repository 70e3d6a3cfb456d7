//! The plain-text reader (one headline per line) on arbitrary bytes (see `common/lines.rs`).
#![no_main]

#[path = "common/lines.rs"]
mod lines;

libfuzzer_sys::fuzz_target!(|data: &[u8]| lines::check(storyhash::io::Format::Text, data));
