//! What the daemon's request-body decoder must do with any bytes, as JSON and as NDJSON: articles or an
//! error that says what, never a panic; one object is one article, and NDJSON keeps a line per article. A
//! body whose ids may be left out (a query's) takes whatever a body whose ids are required takes, as the
//! same articles.

use storyhash::io::{DocumentIds, FieldNames};
use storyhash::server::routes::decode_articles;

pub fn check(data: &[u8]) {
    // Every field read from its own key, and from keys named otherwise (the id from `url`, which the
    // URL is read from too; the body from `title`, which the title is no longer read from).
    let mut renamed = FieldNames::default();
    for assignment in ["id=url", "title=headline", "body=title"] {
        renamed.set(assignment).expect("a good naming");
    }
    for (ndjson, names) in [false, true]
        .into_iter()
        .flat_map(|n| [(n, FieldNames::default()), (n, renamed.clone())])
    {
        let optional = decode_articles(data, ndjson, &names, DocumentIds::Optional);
        match decode_articles(data, ndjson, &names, DocumentIds::Required) {
            Ok(decoded) => {
                let optional = optional.expect("what takes ids takes them when they are optional");
                assert_eq!(optional.articles, decoded.articles);
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
