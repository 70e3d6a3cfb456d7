//! The daemon's request-body decoder on arbitrary bytes, as JSON and as NDJSON: articles or an error
//! naming where, never a panic; one object is one
//! article, and NDJSON keeps a line number per article.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storyhash::server::routes::decode_articles;

fuzz_target!(|data: &[u8]| {
    for ndjson in [false, true] {
        match decode_articles(data, ndjson) {
            Ok(decoded) => {
                if ndjson {
                    assert_eq!(decoded.lines.len(), decoded.articles.len());
                } else if data.trim_ascii_start().first() == Some(&b'{') {
                    assert_eq!(decoded.articles.len(), 1, "one object is one article");
                }
            }
            Err(e) => assert!(!e.message.is_empty()),
        }
    }
});
