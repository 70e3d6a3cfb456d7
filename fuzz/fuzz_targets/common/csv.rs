//! What the CSV reader must do with any bytes: a file-level error or one result per row (data rows start
//! after the header), never a panic.

pub fn check(data: &[u8]) {
    if let Ok(rows) = storyhash::io::read_csv(data, "fuzz.csv") {
        for record in rows.into_iter().flatten() {
            assert!(record.line >= 2, "data rows start after the header");
        }
    }
}
