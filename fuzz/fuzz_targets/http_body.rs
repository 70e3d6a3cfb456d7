//! The daemon's request-body decoder on arbitrary bytes (see `common/body.rs`).
#![no_main]

#[path = "common/body.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::check(data));
