//! What the line readers (JSON Lines, plain text) must do with any bytes: every non-blank line becomes an
//! article or an error naming its line, line numbers stay within the input, and nothing panics.

use storyhash::io::{parse_block, Block, Format};

pub fn check(format: Format, data: &[u8]) {
    let block = Block::new(data.to_vec(), 1);
    let lines = data.split(|&b| b == b'\n').count() as u64;
    for record in parse_block(format, &block, "fuzz") {
        let line = match record {
            Ok(r) => r.line,
            Err(e) => e.line,
        };
        assert!((1..=lines).contains(&line), "line {line} of {lines}");
    }
}
