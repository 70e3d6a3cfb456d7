//! The CSV reader on arbitrary bytes (see `common/csv.rs`).
#![no_main]

#[path = "common/csv.rs"]
mod csv;

libfuzzer_sys::fuzz_target!(|data: &[u8]| csv::check(data));
