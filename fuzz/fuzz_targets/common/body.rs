//! What the daemon's request-body decoder must do with any bytes, as JSON and as NDJSON: articles or an
//! error that says what, never a panic; one object is one article, and NDJSON keeps a line per article.

use storyhash::server::routes::decode_articles;

pub fn check(data: &[u8]) {
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
}
