//! Plain-text records: owns the reading of one line as one headline, trimmed of surrounding white space, whose
//! id is its line number. It hands on a [`Record`] borrowing the headline from the line, or a
//! [`RecordError`] for a line that is not UTF-8, to the block parser in the parent module.

use std::borrow::Cow;

use super::{line_text, FieldNames, Record, RecordError};
use crate::model::Article;

/// Parses one line (without its `\n`), given as `text` too when it is known to be UTF-8 (checked with
/// the rest of its block); `None` for a blank line.
pub(super) fn parse_checked_line<'a>(
    line: &'a [u8],
    text: Option<&'a str>,
    line_no: u64,
    source_name: &str,
    _names: &FieldNames,
) -> Option<Result<Record<'a>, RecordError>> {
    let title = match line_text(line, text, line_no, source_name)? {
        // A byte order mark opening a later line (files joined with `cat`, each with its mark) is no
        // part of the headline, as in JSON Lines.
        Ok(text) => text.strip_prefix('\u{feff}').unwrap_or(text).trim(),
        Err(e) => return Some(Err(e)),
    };
    if title.is_empty() {
        return None;
    }
    Some(Ok(Record {
        line: line_no,
        article: Article::new(line_no.to_string(), Cow::Borrowed(title)),
        id_from_line: true,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{parse_block, Block, BlockReader, Format};

    fn parse(bytes: &[u8]) -> Vec<Result<(u64, String, String), RecordError>> {
        let mut reader = BlockReader::new(bytes, 8);
        let mut out = Vec::new();
        while let Some(block) = reader.next_block().expect("slice") {
            out.extend(
                parse_block(Format::Text, &block, "h.txt")
                    .into_iter()
                    .map(|r| {
                        r.map(|r| {
                            (
                                r.line,
                                r.article.id.into_owned(),
                                r.article.title.into_owned(),
                            )
                        })
                    }),
            );
        }
        out
    }

    #[test]
    fn one_headline_per_line_with_line_number_ids() {
        // The second file of a `cat` opens with its own byte order mark.
        let results = parse(
            b"\xEF\xBB\xBFFirst headline\r\n\r\n  Second one  \n\t\nThird\n\xEF\xBB\xBFFourth\n\xEF\xBB\xBF\n",
        );
        let expected = vec![
            Ok((1, "1".into(), "First headline".into())),
            Ok((3, "3".into(), "Second one".into())),
            Ok((5, "5".into(), "Third".into())),
            Ok((6, "6".into(), "Fourth".into())),
        ];
        assert_eq!(results, expected);
    }

    #[test]
    fn headline_borrows_from_the_block() {
        let block = Block::new(b"  A headline \r\n".to_vec(), 9);
        let results: Vec<_> = parse_block(Format::Text, &block, "h.txt")
            .into_iter()
            .collect();
        let record = results[0].as_ref().expect("valid");
        assert!(matches!(record.article.title, Cow::Borrowed("A headline")));
        assert_eq!(record.article.id, "9");
        assert_eq!(record.article.body, None);
    }

    #[test]
    fn invalid_utf8_is_an_error_for_that_line_only() {
        let results = parse(b"good one\nbad \xC3\x28 line\ngood two\n");
        assert_eq!(results.len(), 3);
        assert_eq!(results[0], Ok((1, "1".into(), "good one".into())));
        let e = results[1].as_ref().expect_err("invalid");
        assert_eq!(e.line, 2);
        assert!(
            e.to_string()
                .starts_with("h.txt:2: invalid UTF-8 at byte 5: storyhash reads UTF-8"),
            "{e}"
        );
        assert_eq!(results[2], Ok((3, "3".into(), "good two".into())));
    }

    #[test]
    fn a_line_holding_a_nul_is_refused_and_long_lines_pass_through() {
        let long = "w".repeat(1 << 20);
        let input = format!("a\0b\n{long}\n");
        let results = parse(input.as_bytes());
        let e = results[0].as_ref().expect_err("no headline holds a NUL");
        assert!(e.message.starts_with("byte 2 is NUL"), "{}", e.message);
        assert_eq!(results[1], Ok((2, "2".into(), long)));
    }
}
