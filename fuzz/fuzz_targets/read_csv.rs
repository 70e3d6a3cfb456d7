//! The CSV reader on arbitrary bytes: a file-level error or one result per row, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(rows) = storyhash::io::read_csv(data, "fuzz.csv") {
        for row in rows {
            if let Ok((line, _)) = row {
                assert!(line >= 2, "data rows start after the header");
            }
        }
    }
});
