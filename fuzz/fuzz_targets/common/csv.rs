//! What the CSV reader must do with any bytes: a file-level error or one result per row (data rows start
//! after the header), never a panic; and the same rows and error read a chunk at a time, however small
//! the chunks, as read whole.

use storyhash::io::{read_csv, CsvReader, CsvRows, RecordError};

pub fn check(data: &[u8]) {
    let whole = read_csv(data, "fuzz.csv");
    if let Ok(rows) = &whole {
        for record in rows.iter().flatten() {
            assert!(record.line >= 2, "data rows start after the header");
        }
    }
    for bytes in [1, 7] {
        let chunked = || -> Result<CsvRows, RecordError> {
            let mut csv = CsvReader::new(data, "fuzz.csv")?;
            let mut rows = Vec::new();
            while let Some(chunk) = csv.next_rows(bytes)? {
                rows.extend(chunk);
            }
            Ok(rows)
        };
        assert_eq!(chunked(), whole, "read in chunks of {bytes} bytes");
    }
}
