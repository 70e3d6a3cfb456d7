//! The JSON Lines reader on arbitrary bytes (see `common/lines.rs`).
#![no_main]

#[path = "common/lines.rs"]
mod lines;

libfuzzer_sys::fuzz_target!(|data: &[u8]| lines::check(storyhash::io::Format::Jsonl, data));
