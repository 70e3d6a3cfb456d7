//! The common shape of a JSON Lines record read without a general JSON parser: one flat object whose keys
//! and values are strings written without escapes (values may also be `null`, and fields storyhash does
//! not read numbers or truth values), as crawlers and `json.dumps(..., ensure_ascii=False)` write
//! headlines. [`read`] gives the article the serde reader of the parent module would give for such a
//! line, borrowing every string from it, and gives up (`None`) at anything else: an escape, a control
//! character, a number in a field it reads, a nested value, a repeated field, a missing title, trailing
//! characters. The serde reader then reads the line and reports any problem, so this
//! path decides nothing the other would not; it only skips the general machinery for the lines that
//! need none of it. The same scan tells a JSON writer which strings it may copy as they are
//! ([`needs_no_escape`]).

use std::borrow::Cow;

use super::fields::{Field, FieldNames};
use crate::model::Article;

/// The article of `text` and whether its id is `line_no` (it names none), when `text` is a flat object
/// of plain strings and nulls (and other fields' numbers and truth values) that the serde reader would
/// accept, each field read from its key in `names`; `None` otherwise.
pub(super) fn read<'a>(
    text: &'a str,
    line_no: u64,
    names: &FieldNames,
) -> Option<(Article<'a>, bool)> {
    let bytes = text.as_bytes();
    let mut at = skip_space(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at = skip_space(bytes, at + 1);
    // Per field: absent, `Some(None)` for null, `Some(Some(text))` for a string.
    let mut values: [Option<Option<&str>>; 6] = [None; 6];
    loop {
        let (key, next) = plain_string(text, at)?;
        at = skip_space(bytes, next);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        at = skip_space(bytes, at + 1);
        let fields = names.fields_of(key);
        let value = match bytes.get(at)? {
            b'"' => {
                let (value, next) = plain_string(text, at)?;
                at = next;
                Some(value)
            }
            b'n' if bytes[at..].starts_with(b"null") => {
                at += 4;
                None
            }
            // Another field's number or truth value, skipped by its syntax as the serde reader skips it.
            _ if fields.is_empty() => {
                at = skip_number_or_truth(bytes, at)?;
                None
            }
            _ => return None,
        };
        for field in fields.iter() {
            let slot = &mut values[field as usize];
            if slot.is_some() {
                return None;
            }
            *slot = Some(value);
        }
        at = skip_space(bytes, at);
        match bytes.get(at)? {
            b',' => at = skip_space(bytes, at + 1),
            b'}' => break,
            _ => return None,
        }
    }
    if skip_space(bytes, at + 1) != bytes.len() {
        return None;
    }
    let [id, title, body, source, url, published] = values;
    let (id, id_from_line) = match id {
        // A key named for the id that a record lacks is an error, which the full parser words.
        None if names.named(Field::Id).is_some() => return None,
        None => (Cow::Owned(line_no.to_string()), true),
        Some(Some(id)) => (Cow::Borrowed(id), false),
        Some(None) => return None,
    };
    let article = Article {
        id,
        title: Cow::Borrowed(title??),
        body: body.flatten().map(Cow::Borrowed),
        source: source.flatten().map(Cow::Borrowed),
        url: url.flatten().map(Cow::Borrowed),
        published: published.flatten().map(Cow::Borrowed),
    };
    Some((article, id_from_line))
}

/// The position after the JSON number, `true` or `false` at `at`.
fn skip_number_or_truth(bytes: &[u8], mut at: usize) -> Option<usize> {
    for word in [&b"true"[..], b"false"] {
        if bytes[at..].starts_with(word) {
            return Some(at + word.len());
        }
    }
    let digits = |mut at: usize| {
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        at
    };
    if bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    at = match bytes.get(at)? {
        b'0' => at + 1,
        b'1'..=b'9' => digits(at + 1),
        _ => return None,
    };
    if bytes.get(at) == Some(&b'.') {
        if !bytes.get(at + 1)?.is_ascii_digit() {
            return None;
        }
        at = digits(at + 1);
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        if let Some(b'+' | b'-') = bytes.get(at) {
            at += 1;
        }
        if !bytes.get(at)?.is_ascii_digit() {
            return None;
        }
        at = digits(at);
    }
    Some(at)
}

/// The first position at or after `at` that is not JSON white space.
fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(at) {
        at += 1;
    }
    at
}

/// The string that starts with the quote at `at`, and the position after its closing quote, when it
/// holds no escape and no control character (which JSON forbids unescaped).
fn plain_string(text: &str, at: usize) -> Option<(&str, usize)> {
    let bytes = text.as_bytes();
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let start = at + 1;
    let end = start + first_stop(bytes.get(start..)?)?;
    if bytes[end] != b'"' {
        return None;
    }
    Some((text.get(start..end)?, end + 1))
}

/// Whether `text` goes into a JSON string as it is: it holds no quote, backslash or control character,
/// the bytes JSON writes escaped (and the only ones `serde_json` escapes).
pub fn needs_no_escape(text: &str) -> bool {
    first_stop(text.as_bytes()).is_none()
}

/// The position of the first quote, backslash or control character in `bytes`, eight bytes at a time.
fn first_stop(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `v` that is zero. A borrow can mark bytes above the first zero byte
    // too, never one below it, so the lowest mark is exact.
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let mut words = bytes.chunks_exact(8);
    for (n, word) in words.by_ref().enumerate() {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let x = u64::from_le_bytes(eight);
        // Bytes below 0x20 by the same borrow as `zero` (exact for the lowest, as the bound is below 0x80).
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        let stops =
            zero(x ^ (ONES * u64::from(b'"'))) | zero(x ^ (ONES * u64::from(b'\\'))) | control;
        if stops != 0 {
            return Some(n * 8 + stops.trailing_zeros() as usize / 8);
        }
    }
    let done = bytes.len() - words.remainder().len();
    words
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|i| done + i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::fields::STANDARD;
    use crate::io::jsonl::parse_any_object;

    /// Lines made of pieces of records: every key and value shape, white space, escapes, control
    /// characters, repeats, truncations and trailing characters, in many combinations.
    fn lines() -> Vec<String> {
        let keys = [
            "id",
            "title",
            "body",
            "source",
            "url",
            "published",
            "base",
            "",
            "Title",
            "ti\\u0074le",
            "id ",
            "lang",
        ];
        let values = [
            "\"Storm hits the coast\"",
            "\"Trump’s ballroom: café, 北京 \u{7f}\"",
            "\"\"",
            "\"  \"",
            "null",
            "nul",
            "nullx",
            "42",
            "-7",
            "1.5e3",
            "true",
            "[1, \"a\"]",
            "{\"x\": \"y\"}",
            "\"with \\\"quote\\\"\"",
            "\"tab\there\"",
            "\"caf\\u00e9\"",
            "\"back\\\\slash\"",
            "\"unterminated",
            "\"a\"\"b\"",
            "\"0123456789abcdef0123456789\"",
            "\"ends in a long run of sixteen\"",
            "0",
            "01",
            "-",
            "-0.0E-2",
            "1.",
            "1e",
            "1e+5",
            "2.50",
            ".5",
            "0x1",
            "false",
            "truex",
            "fals",
        ];
        let spaces = ["", " ", "\t", "\r", "  \t "];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut out = Vec::new();
        for _ in 0..20_000 {
            let mut line = String::new();
            line.push_str(spaces[next(spaces.len())]);
            line.push('{');
            let fields = next(6);
            for f in 0..fields {
                if f > 0 {
                    line.push_str(spaces[next(spaces.len())]);
                    line.push(',');
                }
                line.push_str(spaces[next(spaces.len())]);
                // Mostly the fields of a record, so that many lines are whole records.
                let key = if next(3) > 0 {
                    f.min(5)
                } else {
                    next(keys.len())
                };
                line.push('"');
                line.push_str(keys[key]);
                line.push('"');
                line.push_str(spaces[next(spaces.len())]);
                line.push(':');
                line.push_str(spaces[next(spaces.len())]);
                let value = if next(3) > 0 {
                    next(3)
                } else {
                    next(values.len())
                };
                line.push_str(values[value]);
            }
            line.push_str(spaces[next(spaces.len())]);
            match next(12) {
                0 => {}
                1 => line.push_str("} x"),
                2 => line.push_str(",}"),
                3 => line.push_str("}}"),
                _ => line.push('}'),
            }
            line.push_str(spaces[next(spaces.len())]);
            if next(10) == 0 {
                let cut = next(line.len() + 1);
                line.truncate(line.floor_char_boundary(cut));
            }
            out.push(line);
        }
        out
    }

    #[test]
    fn reads_what_the_general_parser_reads_or_leaves_the_line_to_it() {
        let mut read_here = 0;
        for line in lines() {
            let Some(found) = read(&line, 7, &STANDARD) else {
                continue;
            };
            read_here += 1;
            let general = parse_any_object(&line, 7, &STANDARD);
            assert_eq!(Ok(found.clone()), general, "{line:?}");
            // Every string borrowed from the line, as the general parser borrows what needs no unescaping.
            let (article, _) = found;
            assert!(matches!(article.title, Cow::Borrowed(_)), "{line:?}");
        }
        assert!(read_here > 1_000, "only {read_here} lines read here");
    }

    #[test]
    fn leaves_escapes_numbers_and_bad_lines_to_the_general_parser() {
        for line in [
            r#"{"id": "1", "title": "caf\u00e9"}"#,
            r#"{"id": 1, "title": "a"}"#,
            r#"{"id": null, "title": "a"}"#,
            r#"{"id": "1", "title": null}"#,
            r#"{"id": "1"}"#,
            r#"{}"#,
            r#"{"title": "a", "title": "b"}"#,
            r#"{"title": "a"} {"#,
            r#"{"title": "a",}"#,
            r#"{"title": "a" "id": "1"}"#,
            r#"{"ti\u0074le": "a"}"#,
            "{\"title\": \"a\u{1}b\"}",
            "\u{feff}{\"title\": \"a\"}",
            r#"["title"]"#,
            r#"{"title": "a", "extra": 01}"#,
            r#"{"title": "a", "extra": 1.}"#,
            r#"{"title": "a", "extra": [3]}"#,
            r#"{"title": "a", "published": 1394469125}"#,
        ] {
            assert_eq!(read(line, 1, &STANDARD), None, "{line:?}");
        }
    }

    #[test]
    fn reads_the_usual_record_borrowing_every_field() {
        let line = r#" {"id": "0", "title": "Judge Orders Construction Stopped", "body": null, "source": "The New York Times", "url": "https://x.test/a", "published": "2026-04-01T00:19:00Z", "base": "83077"} "#;
        let (article, from_line) = read(line, 9, &STANDARD).expect("a plain record");
        assert!(!from_line);
        assert_eq!(
            article,
            Article::new("0", "Judge Orders Construction Stopped")
                .with_source("The New York Times")
                .with_url("https://x.test/a")
                .with_published("2026-04-01T00:19:00Z")
        );
        let (article, from_line) = read(
            r#"{"title":"No id","rank":-1.5e3,"live":true,"x":false}"#,
            9,
            &STANDARD,
        )
        .expect("plain");
        assert!(from_line);
        assert_eq!(article.id, "9");
    }

    #[test]
    fn finds_the_first_stop_byte_at_every_position() {
        for len in 0..40 {
            for at in 0..len {
                for stop in [b'"', b'\\', 0x00, 0x1f] {
                    // Bytes around the stop that borrow-based tests could mistake: high bytes, 0x20, 0x21.
                    let mut bytes: Vec<u8> = (0..len)
                        .map(|i| [0x20, 0x21, 0xe2, 0x80, 0x7f][i % 5])
                        .collect();
                    bytes[at] = stop;
                    if at + 1 < len {
                        bytes[at + 1] = b'"';
                    }
                    assert_eq!(first_stop(&bytes), Some(at), "{bytes:?}");
                }
            }
            let plain: Vec<u8> = (0..len)
                .map(|i| [0x20, 0x21, 0xe2, 0x80, 0x7f][i % 5])
                .collect();
            assert_eq!(first_stop(&plain), None);
        }
    }
}
