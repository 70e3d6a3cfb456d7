//! JSON Lines records: owns the reading of one line as one JSON object into an [`Article`] that borrows every
//! string written without escapes from the line, with a hand-written serde visitor so that unknown fields are
//! skipped without allocating and every error names its field. It hands on a [`Record`] or a
//! [`RecordError`] per non-blank line to the block parser in the parent module.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::fields::{Field, FieldNames, Fields, STANDARD};
use super::{line_text, Record, RecordError};
use crate::model::Article;

/// [`parse_checked_line`] for a line not checked as UTF-8 yet.
#[cfg(test)]
pub(super) fn parse_line<'a>(
    line: &'a [u8],
    line_no: u64,
    source_name: &str,
) -> Option<Result<Record<'a>, RecordError>> {
    parse_checked_line(line, None, line_no, source_name, &STANDARD)
}

/// Parses one line (without its `\n`), given as `text` too when it is known to be UTF-8 (checked with
/// the rest of its block), reading each field from its key in `names`; `None` for a blank line.
pub(super) fn parse_checked_line<'a>(
    line: &'a [u8],
    text: Option<&'a str>,
    line_no: u64,
    source_name: &str,
    names: &FieldNames,
) -> Option<Result<Record<'a>, RecordError>> {
    let text = match line_text(line, text, line_no, source_name)? {
        Ok(text) => text,
        Err(e) => return Some(Err(e)),
    };
    // A byte order mark opening a later line (files joined with `cat`, each with its mark) is no part of
    // the record, as the input's own is not.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Some(
        parse_object(text, line_no, names)
            .map(|(article, id_from_line)| Record {
                line: line_no,
                article,
                id_from_line,
            })
            .map_err(|(field, message)| RecordError::new(source_name, line_no, field, message)),
    )
}

/// Reads `text` as one line of JSON Lines is read by `dedupe`: one article object, whose id is `line_no`
/// when it has none (or `"id": null`), with whether it had none. The error is the message `dedupe`
/// gives after the line's place.
pub fn parse_jsonl_object(text: &str, line_no: u64) -> Result<(Article<'_>, bool), String> {
    parse_jsonl_object_named(text, line_no, &STANDARD)
}

/// [`parse_jsonl_object`] with each field read from the key `names` gives it (`id` from `url`).
pub fn parse_jsonl_object_named<'a>(
    text: &'a str,
    line_no: u64,
    names: &FieldNames,
) -> Result<(Article<'a>, bool), String> {
    parse_object(text, line_no, names).map_err(|(_, message)| message)
}

/// What is wrong with a record: the field at fault where there is one, and the message.
pub(super) type Problem = (Option<&'static str>, String);

/// Why a JSON document of articles (one object, or an array of them) was refused: the array index and the
/// field at fault where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentError {
    /// The element of the array at fault (0-based); `None` for the document as a whole or a lone object.
    pub index: Option<usize>,
    /// The field at fault.
    pub field: Option<&'static str>,
    /// What is wrong.
    pub message: String,
}

/// Reads a JSON document holding one article object or an array of them. Every article must carry its
/// own `id` (there is no line number to stand in for it). The first problem refuses the whole document.
pub fn parse_document(text: &str) -> Result<Vec<Article<'_>>, DocumentError> {
    parse_document_named(text, &STANDARD)
}

/// [`parse_document`] with each field read from the key `names` gives it (`--body-field description`).
pub fn parse_document_named<'a>(
    text: &'a str,
    names: &FieldNames,
) -> Result<Vec<Article<'a>>, DocumentError> {
    parse_document_with(text, names, DocumentIds::Required)
}

/// Whether the articles of a document must carry their ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentIds {
    /// Every article names its own id: it is stored under it.
    Required,
    /// An article may leave its id out (or give `null`): one that is only asked about, never stored,
    /// needs none. Such an article's id is empty.
    Optional,
}

/// [`parse_document_named`], with ids required or not as `ids` says.
pub fn parse_document_with<'a>(
    text: &'a str,
    names: &FieldNames,
    ids: DocumentIds,
) -> Result<Vec<Article<'a>>, DocumentError> {
    let whole = |message: String| DocumentError {
        index: None,
        field: None,
        message,
    };
    let trimmed = text.trim_start_matches([' ', '\t', '\r', '\n']);
    let mut de = serde_json::Deserializer::from_str(text);
    if trimmed.starts_with('{') {
        let raw = (&mut de)
            .deserialize_map(RawVisitor(names))
            .and_then(|raw| de.end().map(|()| raw))
            .map_err(|e| whole(format!("{e}{}", non_finite_hint(text, &e))))?;
        return raw
            .into_document_article(names, ids)
            .map(|a| vec![a])
            .map_err(|(field, message)| DocumentError {
                index: None,
                field,
                // Which keys the object has, so that a title or id under another name shows.
                message: match message.starts_with("missing field") {
                    true => format!("{message}; {}", keys_of(text)),
                    false => message,
                },
            });
    }
    if !trimmed.starts_with('[') {
        return Err(
            match IgnoredAny::deserialize(&mut de).and_then(|_| de.end()) {
                Err(e) => whole(format!("{NOT_JSON}{e}")),
                Ok(()) => whole("expected an article object or an array of them".to_owned()),
            },
        );
    }
    // Elements read whole so far, and whether the next was begun: a syntax error lies in that one, or
    // between elements.
    let (read, begun) = (std::cell::Cell::new(0), std::cell::Cell::new(false));
    let elements = (&mut de)
        .deserialize_seq(ElementsVisitor {
            read: &read,
            begun: &begun,
            names,
        })
        .map_err(|e| {
            let cut = if e.is_eof() {
                "; the array is not closed: was the body cut short?"
            } else {
                ""
            };
            match (begun.get(), read.get()) {
                (true, index) => DocumentError {
                    index: Some(index),
                    field: None,
                    message: format!("{e}{cut}{}", non_finite_hint(text, &e)),
                },
                (false, 0) => whole(format!("{e} (before the first element{cut})")),
                (false, after) => whole(format!("{e} (after element {}{cut})", after - 1)),
            }
        })?;
    de.end().map_err(|e| whole(e.to_string()))?;
    elements
        .into_iter()
        .enumerate()
        .map(|(index, element)| {
            let at = |(field, message): Problem| DocumentError {
                index: Some(index),
                field,
                message,
            };
            match element {
                Element::Object(raw) => {
                    raw.into_document_article(names, ids)
                        .map_err(
                            |(field, message)| match message.starts_with("missing field") {
                                // Which keys the element has, so that a title or id under another name shows
                                // (the document is read again only for the first fault, which refuses it).
                                true => {
                                    at((field, format!("{message}; {}", element_keys(text, index))))
                                }
                                false => at((field, message)),
                            },
                        )
                }
                Element::Other(kind) => Err(at((
                    None,
                    format!("expected an article object, found {kind}"),
                ))),
            }
        })
        .collect()
}

/// One element of an array of articles.
enum Element<'a> {
    Object(Raw<'a>),
    Other(&'static str),
}

/// Reads one element, its fields from the keys the names give them.
struct ElementVisitor<'n>(&'n FieldNames);

impl<'de> Visitor<'de> for ElementVisitor<'_> {
    type Value = Element<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an article object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        RawVisitor(self.0).visit_map(map).map(Element::Object)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        ValueVisitor.visit_seq(seq).map(|_| Element::Other("array"))
    }

    fn visit_borrowed_str<E: de::Error>(self, _: &'de str) -> Result<Self::Value, E> {
        Ok(Element::Other("string"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Element::Other("string"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Element::Other("integer"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Element::Other("integer"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Element::Other("number"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Element::Other("bool"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Element::Other("null"))
    }
}

/// The elements of an array of articles, as read.
struct ElementsVisitor<'c> {
    /// How many elements have been read whole.
    read: &'c std::cell::Cell<usize>,
    /// Whether the element after them was begun.
    begun: &'c std::cell::Cell<bool>,
    /// The keys the fields are read from.
    names: &'c FieldNames,
}

/// An element read from the array, saying that it was begun.
struct ElementSeed<'c>(&'c std::cell::Cell<bool>, &'c FieldNames);

impl<'de> DeserializeSeed<'de> for ElementSeed<'_> {
    type Value = Element<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.0.set(true);
        deserializer.deserialize_any(ElementVisitor(self.1))
    }
}

impl<'de> Visitor<'de> for ElementsVisitor<'_> {
    type Value = Vec<Element<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of article objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(element) = seq.next_element_seed(ElementSeed(self.begun, self.names))? {
            out.push(element);
            self.read.set(out.len());
            self.begun.set(false);
        }
        Ok(out)
    }
}

/// Reads `text` as one JSON object: the article, and whether its id is the line number. A flat object
/// of plain strings (the usual record) is read without the general parser.
fn parse_object<'a>(
    text: &'a str,
    line_no: u64,
    names: &FieldNames,
) -> Result<(Article<'a>, bool), Problem> {
    match super::plain_json::read(text, line_no, names) {
        Some(found) => Ok(found),
        None => parse_any_object(text, line_no, names),
    }
}

/// [`parse_object`] by the general parser, for any line.
pub(super) fn parse_any_object<'a>(
    text: &'a str,
    line_no: u64,
    names: &FieldNames,
) -> Result<(Article<'a>, bool), Problem> {
    let mut de = serde_json::Deserializer::from_str(text);
    let first = text
        .trim_start_matches([' ', '\t', '\r', '\n'])
        .as_bytes()
        .first()
        .copied();
    if first != Some(b'{') {
        // Tell invalid JSON from JSON that is not an object.
        return Err(
            match IgnoredAny::deserialize(&mut de).and_then(|_| de.end()) {
                // An array that does not close on its line: a pretty-printed array of articles.
                Err(e) if first == Some(b'[') && e.is_eof() => (
                    None,
                    format!("expected a JSON object, found the start of an array: {AN_ARRAY}"),
                ),
                Err(e) => (None, format!("{NOT_JSON}{}", json_message(&e))),
                Ok(()) => (None, not_an_object(first)),
            },
        );
    }
    let raw = (&mut de)
        .deserialize_map(RawVisitor(names))
        .and_then(|raw| de.end().map(|()| raw))
        .map_err(|e| {
            let message = json_message(&e);
            if e.is_eof() {
                // An object that does not close on its line: most often a pretty-printed file, whose
                // lines end between values; one ending inside a string was cut short.
                match message.starts_with("EOF while parsing a string") {
                    false => (None, format!("{message}: {PRETTY_PRINTED}")),
                    true => (None, format!("{message}: {CUT_SHORT}")),
                }
            } else if e.is_syntax() {
                // An object whose text breaks off into something else: said as such, not left to
                // read as a field's complaint.
                (
                    None,
                    format!("invalid JSON: {message}{}", non_finite_hint(text, &e)),
                )
            } else {
                (None, format!("{message}{}", non_finite_hint(text, &e)))
            }
        })?;
    raw.into_article(line_no, names)
        .map_err(
            |(field, message)| match message.starts_with("missing field") {
                // Which keys the record has, so that a title or id under another name shows.
                true => {
                    let wrapped = wrapper_hint(text, names.key(Field::Title));
                    (field, format!("{message}{wrapped}; {}", keys_of(text)))
                }
                false => (field, message),
            },
        )
}

/// One key as a step of a `jq` path: `.title`, or `."pub-date"` for a key that is not a plain name (a
/// key of digits too, which jq would read as a number).
pub fn jq_key(key: &str) -> String {
    let plain = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match plain {
        true => format!(".{key}"),
        false => format!(".{key:?}"),
    }
}

/// What the messages of a record that every record of its input is like (an API's wrapper, a source
/// object) say before the `jq` command that writes the records in the form read: skipping the record, or
/// reading another key, would not help.
pub const SAYS_HOW_TO_REWRITE: [&str; 2] = [
    "(the record holds its articles in an array under `",
    "(a source given as an object, as feedparser and news APIs give it: `",
];

/// For an object that holds its articles in an array under a key (an API's response, `{"status": "ok",
/// "articles": [{…}, …]}`: objects with a `title_key`), the `jq` command that writes them one per line;
/// else nothing (a feed entry's `authors` or `tags` are no articles).
fn wrapper_hint(text: &str, title_key: &str) -> String {
    let Ok(map) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text) else {
        return String::new();
    };
    let wrapping = map.iter().find(|(_, v)| {
        v.as_array()
            .and_then(|items| items.first())
            .and_then(serde_json::Value::as_object)
            .is_some_and(|first| first.contains_key(title_key))
    });
    match wrapping {
        Some((key, _)) => {
            let path = format!("{}[]", jq_key(key));
            format!(
                " (the record holds its articles in an array under `{key}`: `jq -c '{path}'` \
                 writes them one per line)"
            )
        }
        None => String::new(),
    }
}

/// The keys of the object `text` holds, as a message says them: `the record's keys: id, headline`.
fn keys_of(text: &str) -> String {
    let keys = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
        .map(|map| map.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    keys_said(&keys)
}

/// The keys of element `index` of the array of objects `text` holds, as [`keys_of`] says them: the
/// elements before it are skipped unread, and of it only its keys are kept.
fn element_keys(text: &str, index: usize) -> String {
    struct KeysOf(usize);
    impl<'de> Visitor<'de> for KeysOf {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of article objects")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            for _ in 0..self.0 {
                seq.next_element::<IgnoredAny>()?;
            }
            let keys = seq
                .next_element::<std::collections::BTreeMap<String, IgnoredAny>>()?
                .map(|map| map.into_keys().collect())
                .unwrap_or_default();
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(keys)
        }
    }
    let keys = serde_json::Deserializer::from_str(text)
        .deserialize_seq(KeysOf(index))
        .unwrap_or_default();
    keys_said(&keys)
}

/// A record's keys as a message says them (`the record's keys: headline, id`), the first twelve by
/// name, in the order given.
pub fn keys_said(keys: &[String]) -> String {
    const SHOWN: usize = 12;
    match keys.len() {
        0 => "the record has no keys".to_owned(),
        n if n > SHOWN => format!(
            "the record's keys: {}, and {} more",
            keys[..SHOWN].join(", "),
            n - SHOWN
        ),
        _ => format!("the record's keys: {}", keys.join(", ")),
    }
}

/// What the messages for a JSON array and for an object spread over several lines say about the form
/// JSON Lines takes.
const AN_ARRAY: &str =
    "JSON Lines holds one article object per line (`jq -c '.[]'` writes an array's articles so)";
const PRETTY_PRINTED: &str =
    "JSON Lines holds each article object whole on one line (`jq -c .` writes a pretty-printed file so)";

const CUT_SHORT: &str =
    "the line ends before its object closes (a writer stopped in the middle of the line leaves it so)";

/// Whether a record's message finds it a JSON array: at an input's first line, the whole input is one.
/// (An object cut short at the first line may be a pretty-printed file's or one broken line.)
pub(super) fn names_an_array(message: &str) -> bool {
    message.contains(AN_ARRAY)
}

/// The message for a line of valid JSON that is not an object, saying what it is by its `first` byte.
pub fn not_an_object(first: Option<u8>) -> String {
    let found = match first {
        Some(b'[') => return format!("expected a JSON object, found an array: {AN_ARRAY}"),
        Some(b'"') => "a string",
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        _ => "a number",
    };
    format!("expected a JSON object, found {found}")
}

/// How the message for a line that is not JSON at all begins (a plain headline, a CSV row, a log line),
/// before `serde_json`'s own words for where it stopped.
pub const NOT_JSON: &str = "not JSON: ";

/// `serde_json`'s message for one line of text, with its position given as a column (the line is
/// always 1 there).
pub fn json_message(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match message.strip_suffix(&suffix) {
        Some(head) => format!("{} at column {}", plain_words(head), e.column()),
        None => message,
    }
}

/// What to write instead when a syntax error `e` in `text` lies at a bare `NaN`, `Infinity` or
/// `-Infinity` (which Python's `json.dumps` writes for such floats, and JSON has no words for); empty
/// otherwise.
pub fn non_finite_hint(text: &str, e: &serde_json::Error) -> &'static str {
    // A text cut short ends where it ends, maybe after a title's "Infinity": no word is at fault there.
    if e.is_eof() {
        return "";
    }
    const HINT: &str = "; JSON has no NaN or Infinity (Python's json.dumps writes them for such a \
                        float): write null, or leave the field out";
    let Some(line) = text.split('\n').nth(e.line().saturating_sub(1)) else {
        return "";
    };
    // The error points into the word (serde_json reads `nan` as far as `na`, `-Infinity` to its `I`):
    // back to where it starts.
    let mut at = e.column().saturating_sub(1).min(line.len());
    while at > 0 && line.as_bytes()[at - 1].is_ascii_alphabetic() {
        at -= 1;
    }
    let rest = line.get(at..).unwrap_or_default().trim_start_matches('-');
    let word: String = rest
        .bytes()
        .take_while(u8::is_ascii_alphabetic)
        .map(|b| b.to_ascii_lowercase() as char)
        .collect();
    match word.as_str() {
        "nan" | "infinity" | "inf" => HINT,
        _ => "",
    }
}

/// `serde_json`'s words for a `\u` escape of half a UTF-16 surrogate pair without its other half
/// ("\ud800" alone) read as an escape cut short; said as what it is.
fn plain_words(message: &str) -> &str {
    match message {
        "unexpected end of hex escape" | "lone leading surrogate in hex escape" => {
            "a lone surrogate: a \\uD800-\\uDBFF escape must be followed by a \\uDC00-\\uDFFF one, \
             and neither stands alone"
        }
        other => other,
    }
}

/// Reads an object key as the fields it feeds (none for any other key), without allocating.
struct KeySeed<'n>(&'n FieldNames);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Fields;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Fields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.fields_of(v))
    }
}

/// A known field's value, kept as read so that a wrong type can be reported with the field's name.
#[derive(Debug, Clone)]
enum Value<'a> {
    Str(Cow<'a, str>),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Bool,
    Null,
    Array,
    Object,
}

impl Value<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Unsigned(_) | Value::Signed(_) => "integer",
            Value::Float(_) => "number",
            Value::Bool => "bool",
            Value::Null => "null",
            Value::Array => "array",
            Value::Object => "object",
        }
    }
}

impl<'de> Deserialize<'de> for Value<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Owned(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Value::Unsigned(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Value::Signed(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Value::Bool)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Value::Object)
    }
}

/// The known fields of one object as read, and the first repeated one.
struct Raw<'a> {
    values: [Option<Value<'a>>; 6],
    duplicate: Option<Field>,
}

/// Reads an object's fields from their keys in the names it holds.
struct RawVisitor<'n>(&'n FieldNames);

impl<'de> Visitor<'de> for RawVisitor<'_> {
    type Value = Raw<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut raw = Raw {
            values: Default::default(),
            duplicate: None,
        };
        while let Some(fields) = map.next_key_seed(KeySeed(self.0))? {
            if fields.is_empty() || raw.duplicate.is_some() {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if let Some(field) = fields.iter().find(|f| raw.values[*f as usize].is_some()) {
                raw.duplicate = Some(field);
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let value = map.next_value::<Value<'de>>()?;
            // A key that feeds two fields (`--id-field url`) gives the second a copy.
            let mut fed = fields.iter();
            if let Some(first) = fed.next() {
                for field in fed {
                    raw.values[field as usize] = Some(value.clone());
                }
                raw.values[first as usize] = Some(value);
            }
        }
        Ok(raw)
    }
}

impl<'a> Raw<'a> {
    /// The article of a JSON document: with its own id, or with an empty one where `ids` lets it leave
    /// the id out.
    fn into_document_article(
        mut self,
        names: &FieldNames,
        ids: DocumentIds,
    ) -> Result<Article<'a>, Problem> {
        let id = &mut self.values[Field::Id as usize];
        if ids == DocumentIds::Optional && matches!(id, None | Some(Value::Null)) {
            *id = Some(Value::Str(Cow::Borrowed("")));
        }
        self.into_required_article(names).map(|(a, _)| a)
    }

    /// The article, which must name its own id.
    fn into_required_article(self, names: &FieldNames) -> Result<(Article<'a>, bool), Problem> {
        if self.duplicate.is_none() {
            let key = names.key(Field::Id);
            match self.values[Field::Id as usize] {
                None => return Err((Some("id"), format!("missing field `{key}`"))),
                Some(Value::Null) => {
                    return Err((
                        Some("id"),
                        format!("field `{key}` is null; every article needs an id"),
                    ))
                }
                Some(_) => {}
            }
        }
        self.into_article(0, names)
    }

    /// The article, and whether it took `line_no` as its id for want of one (an `id` of `null` is none,
    /// as a `null` optional field is absent).
    fn into_article(
        self,
        line_no: u64,
        names: &FieldNames,
    ) -> Result<(Article<'a>, bool), Problem> {
        if let Some(field) = self.duplicate {
            return Err((
                Some(field.name()),
                format!("duplicate field `{}`", names.key(field)),
            ));
        }
        let [id, title, body, source, url, published] = self.values;
        if id.is_none() {
            if let Some(key) = names.named(Field::Id) {
                // The key was named for the id (`--id-field url`): a record without it is more likely a
                // misspelt key than one to number by its line. (A `null` id is still none.)
                return Err((
                    Some("id"),
                    format!("missing field `{key}`, which the id is read from"),
                ));
            }
        }
        let id_from_line = matches!(id, None | Some(Value::Null));
        let id = match id {
            None | Some(Value::Null) => Cow::Owned(line_no.to_string()),
            Some(Value::Str(s)) => s,
            Some(Value::Unsigned(n)) => Cow::Owned(n.to_string()),
            Some(Value::Signed(n)) => Cow::Owned(n.to_string()),
            Some(Value::Float(n)) if n.fract() == 0.0 && n.abs() >= 2f64.powi(63) => {
                // An integer past 64 bits reads as a float, and would lose its last digits.
                return Err((
                    Some(Field::Id.name()),
                    format!(
                        "field `{}`: an integer id must fit in 64 bits; write a longer one as a string",
                        names.key(Field::Id)
                    ),
                ));
            }
            Some(other) => {
                return Err(wrong_type(
                    Field::Id,
                    "a string or an integer",
                    &other,
                    names,
                ))
            }
        };
        let title = match title {
            None => {
                return Err((
                    Some("title"),
                    format!("missing field `{}`", names.key(Field::Title)),
                ))
            }
            Some(Value::Str(s)) => s,
            Some(other) => return Err(wrong_type(Field::Title, "a string", &other, names)),
        };
        let article = Article {
            id,
            title,
            body: optional(Field::Body, body, names)?,
            source: optional(Field::Source, source, names)?,
            url: optional(Field::Url, url, names)?,
            published: published_time(published, names)?,
        };
        Ok((article, id_from_line))
    }
}

/// The `published` field: a string as written, or a JSON number of Unix seconds (milliseconds when too
/// large to be seconds) kept as its digits, a fraction of a second dropped.
fn published_time<'a>(
    value: Option<Value<'a>>,
    names: &FieldNames,
) -> Result<Option<Cow<'a, str>>, Problem> {
    match value {
        Some(Value::Unsigned(n)) => Ok(Some(Cow::Owned(n.to_string()))),
        Some(Value::Signed(n)) => Ok(Some(Cow::Owned(n.to_string()))),
        // Below 2^53 every whole number is exact; beyond it (or negative, or not finite) the text is kept
        // as written and counts as unreadable.
        Some(Value::Float(f)) if (0.0..9_007_199_254_740_992.0).contains(&f) => {
            Ok(Some(Cow::Owned((f.floor() as u64).to_string())))
        }
        Some(Value::Float(f)) => Ok(Some(Cow::Owned(f.to_string()))),
        Some(Value::Str(s)) => Ok(Some(s)),
        None | Some(Value::Null) => Ok(None),
        Some(other) => Err(wrong_type(
            Field::Published,
            "a string, a number or null",
            &other,
            names,
        )),
    }
}

/// Reads an article from any self-describing serde format (JSON above all) into owned fields, by the
/// rules of the JSON Lines reader: `id` (a string or an integer) and `title` are required; `body`,
/// `source`, `url` may be strings or null; `published` a string, a number (Unix seconds, or milli-,
/// micro- or nanoseconds, as [`Timestamp::parse`](crate::Timestamp::parse) reads it), or null; other
/// fields are ignored. Errors name the field.
///
/// ```
/// use storyhash::Article;
///
/// let a: Article = serde_json::from_str(r#"{"id": 7, "title": "Storm hits the coast", "published": 1394469125, "lang": "en"}"#)?;
/// assert_eq!(a, Article::new("7", "Storm hits the coast").with_published("1394469125"));
/// let e = serde_json::from_str::<Article>(r#"{"id": "x", "title": 5}"#).unwrap_err();
/// assert!(e.to_string().contains("field `title`: expected a string, found integer"));
/// # Ok::<(), serde_json::Error>(())
/// ```
impl<'de, 'a> Deserialize<'de> for Article<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = deserializer.deserialize_map(RawVisitor(&STANDARD))?;
        raw.into_required_article(&STANDARD)
            .map(|(article, _)| article.into_owned())
            .map_err(|(_, message)| de::Error::custom(message))
    }
}

fn optional<'a>(
    field: Field,
    value: Option<Value<'a>>,
    names: &FieldNames,
) -> Result<Option<Cow<'a, str>>, Problem> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s)),
        Some(Value::Object) if field == Field::Source => {
            let (at, message) = wrong_type(field, "a string or null", &Value::Object, names);
            let path = jq_key(names.key(field));
            Err((
                at,
                format!(
                    "{message} (a source given as an object, as feedparser and news APIs give it: \
                     `jq -c '{path} |= (.name // .title)'` writes its name in its place)"
                ),
            ))
        }
        Some(other) => Err(wrong_type(field, "a string or null", &other, names)),
    }
}

fn wrong_type(field: Field, expected: &str, found: &Value<'_>, names: &FieldNames) -> Problem {
    (
        Some(field.name()),
        format!(
            "field `{}`: expected {expected}, found {}",
            names.key(field),
            found.kind()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{parse_block, Block, Format};

    fn block(text: &str) -> Block {
        Block::new(text.as_bytes().to_vec(), 1)
    }

    fn one(line: &str) -> Result<Record<'_>, RecordError> {
        parse_line(line.as_bytes(), 1, "t.jsonl").expect("line is not blank")
    }

    fn err(line: &str) -> RecordError {
        match one(line) {
            Ok(record) => panic!("expected an error for {line:?}, got {record:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn an_api_response_is_told_how_to_unwrap_its_articles_but_not_an_entry_s_authors() {
        let wrapped =
            err(r#"{"status":"ok","articles":[{"title":"Storm","source":{"name":"AP"}}]}"#);
        assert!(
            wrapped.message.starts_with(
                "missing field `title` (the record holds its articles in an array under \
                 `articles`: `jq -c '.articles[]'` writes them one per line); the record's keys:"
            ),
            "{}",
            wrapped.message
        );
        let quoted = err(r#"{"2024":[{"title":"Storm"}]}"#);
        assert!(
            quoted.message.contains(r#"`jq -c '."2024"[]'`"#),
            "{}",
            quoted.message
        );
        let entry = err(r#"{"id":"1","name":"Storm","authors":[{"name":"Ann"}]}"#);
        assert!(!entry.message.contains("jq"), "{}", entry.message);
    }

    #[test]
    fn good_records() {
        let b = block(concat!(
            r#"{"id":"a1","title":"Plain title","body":"B","source":"Reuters","url":"http://x","published":"2024-01-02T03:04:05Z"}"#,
            "\n",
            r#"{"id":42,"title":"Int id","body":null,"source":null,"url":null,"published":null}"#,
            "\n",
            r#"{"id":-7,"story":{"deep":[1,2,{"x":null}]},"title":"Esc \"q\" caf\u00e9 \\ \/","base":"b","lang":"en"}"#,
            "\n",
        ));
        let records: Vec<Record> = parse_block(Format::Jsonl, &b, "t.jsonl")
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("all valid");
        assert_eq!(records.len(), 3);
        let a = &records[0].article;
        assert_eq!(records[0].line, 1);
        assert_eq!(
            *a,
            Article::new("a1", "Plain title")
                .with_body("B")
                .with_source("Reuters")
                .with_url("http://x")
                .with_published("2024-01-02T03:04:05Z")
        );
        assert!(matches!(a.title, Cow::Borrowed(_)));
        assert!(matches!(a.id, Cow::Borrowed(_)));
        assert!(matches!(a.body, Some(Cow::Borrowed(_))));
        assert_eq!(records[1].article, Article::new("42", "Int id"));
        assert_eq!(records[1].line, 2);
        assert_eq!(records[2].article.id, "-7");
        assert_eq!(records[2].article.title, "Esc \"q\" café \\ /");
        assert!(matches!(records[2].article.title, Cow::Owned(_)));
        assert_eq!(records[2].article.body, None);
    }

    #[test]
    fn missing_id_is_line_number() {
        let b = Block::new(b"{\"title\":\"a\"}\n{\"title\":\"b\"}\n".to_vec(), 16);
        let ids: Vec<String> = parse_block(Format::Jsonl, &b, "t")
            .into_iter()
            .map(|r| r.expect("valid").article.id.into_owned())
            .collect();
        assert_eq!(ids, ["16", "17"]);
    }

    #[test]
    fn crlf_and_blank_lines() {
        let b =
            block("{\"title\":\"a\"}\r\n\r\n   \n\t\r\n\n{\"title\":\"b\"}\r\n{\"title\":\"c\"}");
        let records: Vec<(u64, String)> = parse_block(Format::Jsonl, &b, "t")
            .into_iter()
            .map(|r| {
                let r = r.expect("valid");
                (r.line, r.article.title.into_owned())
            })
            .collect();
        assert_eq!(records, [(1, "a".into()), (6, "b".into()), (7, "c".into())]);
    }

    #[test]
    fn bom_is_dropped_by_block_reader() {
        let input = b"\xEF\xBB\xBF{\"title\":\"first\"}\n{\"title\":\"second\"}\n";
        let mut reader = crate::io::BlockReader::new(&input[..], 1 << 16);
        let b = reader.next_block().expect("slice").expect("a block");
        let titles: Vec<String> = parse_block(Format::Jsonl, &b, "t")
            .into_iter()
            .map(|r| r.expect("valid").article.title.into_owned())
            .collect();
        assert_eq!(titles, ["first", "second"]);
    }

    #[test]
    fn missing_title() {
        let e = err(r#"{"id":"x","body":"no title"}"#);
        assert_eq!(e.field, Some("title"));
        assert_eq!(
            e.message,
            "missing field `title`; the record's keys: body, id"
        );
        assert_eq!(
            e.to_string(),
            "t.jsonl:1: missing field `title`; the record's keys: body, id"
        );
        let e = err(r#"{}"#);
        assert_eq!(e.message, "missing field `title`; the record has no keys");
        let many: Vec<String> = (0..14).map(|i| format!(r#""k{i:02}":{i}"#)).collect();
        let e = err(&format!("{{{}}}", many.join(",")));
        assert!(e.message.ends_with("k10, k11, and 2 more"), "{}", e.message);
    }

    #[test]
    fn an_object_left_open_is_told_pretty_printed_or_cut_short() {
        for line in ["{", r#"{"id": "1","#, r#"{"title":"#, r#"{"title": "x""#] {
            assert!(
                err(line).message.contains("jq -c"),
                "{line}: {}",
                err(line).message
            );
        }
        for line in [
            r#"{"id":"nl2","title":"trunc"#,
            r#"{"id":"n","title":"a","body":"Some te"#,
        ] {
            let e = err(line);
            assert!(
                e.message.contains("ends before its object closes"),
                "{line}: {}",
                e.message
            );
            assert!(!e.message.contains("jq"), "{line}: {}", e.message);
        }
    }

    #[test]
    fn title_of_wrong_type() {
        for (value, kind) in [
            ("5", "integer"),
            ("[\"a\"]", "array"),
            ("{\"a\":1}", "object"),
            ("true", "bool"),
            ("null", "null"),
            ("1.5", "number"),
        ] {
            let e = err(&format!("{{\"title\":{value}}}"));
            assert_eq!(e.field, Some("title"));
            assert_eq!(
                e.message,
                format!("field `title`: expected a string, found {kind}")
            );
        }
    }

    #[test]
    fn a_null_id_is_no_id_and_takes_the_line_number() {
        let record = parse_line(br#"{"id":null,"title":"t"}"#, 7, "t.jsonl")
            .expect("not blank")
            .unwrap();
        assert_eq!(record.article.id, "7");
        assert!(record.id_from_line);
    }

    #[test]
    fn id_of_wrong_type() {
        for value in ["1.5", "true", "[1]", "{}"] {
            let e = err(&format!("{{\"id\":{value},\"title\":\"t\"}}"));
            assert_eq!(e.field, Some("id"), "{value}");
            assert!(e
                .message
                .starts_with("field `id`: expected a string or an integer"));
        }
        // An integer past 64 bits is said as such, not as a number of the wrong kind.
        let e = err(r#"{"id":123456789012345678901234,"title":"t"}"#);
        assert_eq!(e.field, Some("id"));
        assert!(e.message.contains("must fit in 64 bits"), "{}", e.message);
    }

    #[test]
    fn optional_fields_of_wrong_type() {
        for field in ["body", "source", "url"] {
            let e = err(&format!("{{\"title\":\"t\",\"{field}\":3}}"));
            assert_eq!(e.field, Some(field));
            assert_eq!(
                e.message,
                format!("field `{field}`: expected a string or null, found integer")
            );
        }
        for (value, kind) in [("true", "bool"), ("[1]", "array"), ("{}", "object")] {
            let e = err(&format!("{{\"title\":\"t\",\"published\":{value}}}"));
            assert_eq!(e.field, Some("published"));
            assert_eq!(
                e.message,
                format!("field `published`: expected a string, a number or null, found {kind}")
            );
        }
    }

    #[test]
    fn published_as_a_number_is_unix_seconds_or_milliseconds() {
        for (value, kept) in [
            ("1394469125", "1394469125"),
            ("1394469125000", "1394469125000"),
            ("1394469125.75", "1394469125"),
            ("1.394469125e12", "1394469125000"),
            ("-5", "-5"),
        ] {
            let line = format!("{{\"title\":\"t\",\"published\":{value}}}");
            let record = one(&line).expect("a number is a time");
            assert_eq!(record.article.published.as_deref(), Some(kept), "{value}");
        }
        let record = one(r#"{"title":"t","published":1394469125}"#).unwrap();
        assert_eq!(
            crate::prepare::published(&record.article),
            Some(1_394_469_125)
        );
        // The daemon's body decoder reads numbers alike.
        let articles =
            parse_document(r#"[{"id":"a","title":"t","published":1394469125000}]"#).unwrap();
        assert_eq!(articles[0].published.as_deref(), Some("1394469125000"));
    }

    #[test]
    fn a_bare_nan_or_infinity_is_told_to_be_null() {
        const SAID: &str =
            "; JSON has no NaN or Infinity (Python's json.dumps writes them for such a \
                            float): write null, or leave the field out";
        for value in ["NaN", "Infinity", "-Infinity", "nan", "-inf"] {
            let line = format!(r#"{{"id":"a","title":"Café – storm","published":{value}}}"#);
            let e = err(&line);
            assert!(e.message.ends_with(SAID), "{value}: {e:?}");
            let e = parse_document(&line).unwrap_err();
            assert!(e.message.ends_with(SAID), "{value}: {e:?}");
            let array = format!("[{{\"id\":\"b\",\"title\":\"t\"}},\n{line}]");
            let e = parse_document(&array).unwrap_err();
            assert_eq!(e.index, Some(1), "{e:?}");
            assert!(e.message.ends_with(SAID), "{value}: {e:?}");
        }
        // A text cut short after a title's "Infinity" is told it was cut short, not this.
        for cut in [
            r#"{"id":"a","title":"Avengers: Infinity"#,
            r#"[{"id":"a","title":"Avengers: Infinity"#,
        ] {
            let e = parse_document(cut).unwrap_err();
            assert!(!e.message.contains("NaN"), "{cut}: {e:?}");
        }
        // Other syntax errors, and words that only begin alike, are not told so.
        for line in [
            r#"{"id":"a","title":"t","published":Nancy}"#,
            r#"{"id":"a","title":"t",}"#,
            r#"{"id":"a","title":"t","published":nul}"#,
        ] {
            let e = err(line);
            assert!(!e.message.contains("NaN"), "{line}: {e:?}");
        }
    }

    #[test]
    fn a_syntax_error_in_an_array_names_the_element_it_lies_in() {
        let e = parse_document(r#"[{"id":"a","title":"x"},{"id":"b","title":"y",}]"#).unwrap_err();
        assert_eq!(e.index, Some(1), "{e:?}");
        assert!(e.message.starts_with("trailing comma"), "{e:?}");
        let e = parse_document(r#"[{"id":"a","title":"x"},{"id":"b","title""#).unwrap_err();
        assert_eq!(e.index, Some(1), "{e:?}");
        assert!(e.message.ends_with("was the body cut short?"), "{e:?}");
        // Between elements, no element is at fault: the place is said.
        let e = parse_document(r#"[{"id":"a","title":"x"},]"#).unwrap_err();
        assert_eq!(e.index, None, "{e:?}");
        assert!(e.message.ends_with("(after element 0)"), "{e:?}");
        let e = parse_document(r#"[{"id":"a","title":"x"}"#).unwrap_err();
        assert_eq!(e.index, None, "{e:?}");
        assert!(
            e.message
                .ends_with("(after element 0; the array is not closed: was the body cut short?)"),
            "{e:?}"
        );
        // After the array closed, the error is the document's.
        let e = parse_document(r#"[{"id":"a","title":"x"}] x"#).unwrap_err();
        assert_eq!(e.index, None, "{e:?}");
    }

    #[test]
    fn a_record_knows_whether_its_id_is_its_line_number() {
        let b = block(
            "{\"title\":\"a\"}\n{\"id\":\"2\",\"title\":\"b\"}\n{\"id\":3,\"title\":\"c\"}\n",
        );
        let given: Vec<(String, bool)> = parse_block(Format::Jsonl, &b, "t")
            .into_iter()
            .map(|r| {
                let r = r.unwrap();
                (r.article.id.into_owned(), r.id_from_line)
            })
            .collect();
        assert_eq!(
            given,
            [
                ("1".to_string(), true),
                ("2".to_string(), false),
                ("3".to_string(), false)
            ]
        );
    }

    #[test]
    fn articles_deserialize_by_the_reader_s_rules() {
        let a: Article = serde_json::from_str(
            r#"{"id":"r1","title":"ECB \u00e9","body":null,"source":"Reuters","url":"http://x","published":"2014-03-10","extra":[1]}"#,
        )
        .unwrap();
        assert_eq!(
            a,
            Article::new("r1", "ECB é")
                .with_source("Reuters")
                .with_url("http://x")
                .with_published("2014-03-10")
        );
        // Owned: it outlives the text it came from.
        let owned: Article<'static> = {
            let text = String::from(r#"{"id":1,"title":"t"}"#);
            serde_json::from_str(&text).unwrap()
        };
        assert_eq!(owned, Article::new("1", "t"));
        for (text, says) in [
            (r#"{"title":"t"}"#, "missing field `id`"),
            (
                r#"{"id":null,"title":"t"}"#,
                "field `id` is null; every article needs an id",
            ),
            (r#"{"id":"a"}"#, "missing field `title`"),
            (
                r#"{"id":"a","title":"t","url":5}"#,
                "field `url`: expected a string or null",
            ),
            (
                r#"{"id":"a","title":"t","title":"u"}"#,
                "duplicate field `title`",
            ),
        ] {
            let e = serde_json::from_str::<Article>(text).unwrap_err();
            assert!(e.to_string().contains(says), "{text}: {e}");
        }
        // A list of articles, as a crawler might keep them.
        let list: Vec<Article> =
            serde_json::from_str(r#"[{"id":"a","title":"x"},{"id":"b","title":"y"}]"#).unwrap();
        assert_eq!(list.len(), 2);
    }

    #[test]
    fn invalid_json_reports_column() {
        let e = err(r#"{"title": "unterminated"#);
        assert_eq!(e.field, None);
        assert!(e.message.contains("column"), "{}", e.message);
        assert!(!e.message.contains("line 1"), "{}", e.message);
        let e = err(r#"{"title":"a"} trailing"#);
        assert!(
            e.message.contains("trailing characters at column"),
            "{}",
            e.message
        );
        // An object that breaks off into something else says the JSON is invalid.
        let e = err(r#"{"id":"a2","title": broken json"#);
        assert_eq!(e.message, "invalid JSON: expected value at column 21");
        let e = err("not json");
        assert!(e.message.starts_with(NOT_JSON), "{}", e.message);
        assert!(e.message.contains("expected"), "{}", e.message);
        assert!(e.message.contains("column"), "{}", e.message);
        // JSON that is not an object says what it is instead.
        assert_eq!(err("42").message, "expected a JSON object, found a number");
        // A type error followed by a syntax error is reported as the syntax error.
        let e = err(r#"{"title":5,"#);
        assert_eq!(e.field, None);
        // Half a surrogate pair, leading or trailing, alone or before another escape, is said as such.
        for line in [
            r#"{"title":"\ud800 lone"}"#,
            r#"{"title":"\ud800"}"#,
            r#"{"title":"\ud800\u0041"}"#,
            r#"{"title":"\udc00 lone"}"#,
        ] {
            let e = err(line);
            assert!(
                e.message
                    .contains("a lone surrogate: a \\uD800-\\uDBFF escape")
                    && e.message.contains("at column"),
                "{line}: {}",
                e.message
            );
        }
        // A paired one reads.
        assert!(one(r#"{"title":"\ud83d\ude00 x"}"#).is_ok());
    }

    #[test]
    fn json_that_is_not_an_object_is_named() {
        for (line, found) in [
            ("\"title\"", "a string"),
            ("42", "a number"),
            ("-1.5e3", "a number"),
            ("null", "null"),
            (" true ", "a boolean"),
            ("false", "a boolean"),
        ] {
            let e = err(line);
            assert_eq!(
                e.message,
                format!("expected a JSON object, found {found}"),
                "{line}"
            );
            assert_eq!(e.field, None);
        }
        let e = err(r#"[{"id":"a","title":"x"},{"id":"b","title":"y"}]"#);
        assert!(
            e.message
                .starts_with("expected a JSON object, found an array: JSON Lines holds one"),
            "{}",
            e.message
        );
        assert!(e.message.contains("jq -c '.[]'"), "{}", e.message);
    }

    #[test]
    fn an_object_that_does_not_close_on_its_line_points_at_json_lines() {
        for line in ["{", r#"{"id": "a","#, r#"  {"title": "x""#] {
            let e = err(line);
            assert!(e.message.starts_with("EOF while parsing"), "{}", e.message);
            assert!(
                e.message.contains("each article object whole on one line"),
                "{}",
                e.message
            );
        }
        // A line that closes but is broken says only what is broken.
        let e = err(r#"{"title": "x",}"#);
        assert!(!e.message.contains("one line"), "{}", e.message);
    }

    #[test]
    fn duplicate_key() {
        let e = err(r#"{"title":"a","id":"1","title":"b"}"#);
        assert_eq!(e.field, Some("title"));
        assert_eq!(e.message, "duplicate field `title`");
    }

    #[test]
    fn fields_read_from_the_keys_named_for_them_by_both_readers() {
        let names = FieldNames::given(&["id=url", "title=headline", "published=fetched_at"]);
        let read = |line: &'static str| {
            let plain = super::super::plain_json::read(line, 3, &names);
            let general = parse_any_object(line, 3, &names);
            if let Some(plain) = &plain {
                assert_eq!(Ok(plain), general.as_ref(), "{line}");
            }
            general
        };
        // The plain reader reads a plain line with renamed keys itself.
        let plain = r#"{"url":"http://x/1","headline":"Storm hits"}"#;
        assert!(super::super::plain_json::read(plain, 3, &names).is_some());
        // The plain reader and the general one (an escape) agree; a key can feed two fields.
        for line in [
            r#"{"url":"http://x/1","headline":"Storm hits","fetched_at":"2025-04-30T10:23+08:00","title":"ignored","id":"ignored"}"#,
            r#"{"url":"http:\/\/x\/1","headline":"Storm hits","fetched_at":"2025-04-30T10:23+08:00","title":5}"#,
        ] {
            let (article, id_from_line) = read(line).expect("a record");
            assert!(!id_from_line);
            assert_eq!(article.id, "http://x/1");
            assert_eq!(article.url.as_deref(), Some("http://x/1"));
            assert_eq!(article.title, "Storm hits");
            assert_eq!(article.published.as_deref(), Some("2025-04-30T10:23+08:00"));
        }
        // Messages name the key read, not the field's own name.
        for (line, message) in [
            (
                r#"{"url":"u","title":"a"}"#,
                "missing field `headline`; the record's keys: title, url",
            ),
            (
                r#"{"url":"u","headline":7}"#,
                "field `headline`: expected a string, found integer",
            ),
            (
                r#"{"url":"u","headline":"a","fetched_at":true}"#,
                "field `fetched_at`: expected a string, a number or null, found bool",
            ),
            (
                r#"{"headline":"a","headline":"b"}"#,
                "duplicate field `headline`",
            ),
            // Without the key named for the id: an error, not the line number (a misspelt key).
            (
                r#"{"headline":"a"}"#,
                "missing field `url`, which the id is read from; the record's keys: headline",
            ),
        ] {
            let (_, said) = read(line).expect_err(line);
            assert_eq!(said, message, "{line}");
        }
        // A `null` id is none: the line number.
        let (article, id_from_line) = read(r#"{"url":null,"headline":"a"}"#).expect("a record");
        assert_eq!((article.id.as_ref(), id_from_line), ("3", true));
    }

    #[test]
    fn bad_line_does_not_affect_neighbours() {
        let b = Block::new(b"{\"title\":\"a\"}\n{\"title\":\n{\"title\":7}\n\xFF\xFE{\"title\":\"x\"}\n[]\n{\"title\":\"b\"}\n"
                .to_vec(), 10);
        let results: Vec<_> = parse_block(Format::Jsonl, &b, "in.jsonl")
            .into_iter()
            .collect();
        assert_eq!(results.len(), 6);
        let ok = |i: usize| results[i].as_ref().expect("valid").article.title.clone();
        let bad = |i: usize| results[i].as_ref().expect_err("invalid").clone();
        assert_eq!(ok(0), "a");
        assert_eq!(bad(1).line, 11);
        assert!(bad(1).to_string().starts_with("in.jsonl:11: "));
        assert_eq!(bad(2).line, 12);
        assert_eq!(bad(2).field, Some("title"));
        assert_eq!(bad(3).line, 13);
        assert!(bad(3).message.starts_with("invalid UTF-8 at byte 1: "));
        assert_eq!(bad(4).line, 14);
        assert_eq!(ok(5), "b");
        assert_eq!(results[5].as_ref().expect("valid").line, 15);
    }

    #[test]
    fn invalid_utf8_position_and_what_to_do_about_it() {
        let e = parse_line(b"{\"title\":\"caf\xE9\"}", 3, "t")
            .expect("not blank")
            .expect_err("invalid");
        assert!(
            e.message
                .starts_with("invalid UTF-8 at byte 14: storyhash reads UTF-8"),
            "{}",
            e.message
        );
        assert!(e.message.contains("iconv -f WINDOWS-1252"), "{}", e.message);
        assert_eq!(e.line, 3);
        assert_eq!(e.field, None);
        let e = parse_line(b"\xFF\xFE{\x00}\x00", 1, "t")
            .expect("not blank")
            .expect_err("UTF-16");
        assert!(e.message.contains("the input is UTF-16"), "{}", e.message);
        // A UTF-8 byte order mark opening a later line (inputs joined with `cat`) is no part of it.
        let joined = parse_line(b"\xEF\xBB\xBF{\"id\":\"b1\",\"title\":\"a\"}", 3, "t")
            .expect("not blank")
            .expect("a record");
        assert_eq!(
            (joined.article.id.as_ref(), joined.article.title.as_ref()),
            ("b1", "a")
        );
        // A UTF-16 byte order mark is only a mark at the start of the input.
        let e = parse_line(b"\xFF\xFE{\x00}\x00", 2, "t")
            .expect("not blank")
            .expect_err("not UTF-8");
        assert!(!e.message.contains("UTF-16"), "{}", e.message);
        // Compressed input says which program reads it.
        for (start, program) in [
            (&b"\x1f\x8b\x08\x00\xff"[..], "zcat"),
            (b"\x28\xb5\x2f\xfd\xff", "zstdcat"),
            (b"\xfd7zXZ\x00\x00\xff", "xzcat"),
        ] {
            let e = parse_line(start, 1, "t")
                .expect("not blank")
                .expect_err("compressed");
            assert!(
                e.message.contains(&format!("`{program} FILE |")),
                "{}",
                e.message
            );
        }
    }

    #[test]
    fn deeply_nested_json_is_skipped_or_an_error_not_a_crash() {
        let depth = 10_000;
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        // In an ignored field it is skipped (serde_json skips values without recursing).
        let line = format!("{{\"title\":\"t\",\"story\":{nested}}}");
        let b = block(&format!(
            "{line}\n{{\"title\":{nested}}}\n{nested}\n{{\"title\":\"after\"}}\n"
        ));
        let results: Vec<_> = parse_block(Format::Jsonl, &b, "deep.jsonl")
            .into_iter()
            .collect();
        assert_eq!(results.len(), 4);
        assert_eq!(results[0].as_ref().expect("skipped").article.title, "t");
        // In a known field it is skipped too, and the wrong type reported for that line.
        let e = results[1].as_ref().expect_err("wrong type");
        assert_eq!(e.line, 2);
        assert_eq!(e.message, "field `title`: expected a string, found array");
        // Deep JSON that is not an object.
        let e = results[2].as_ref().expect_err("not an object");
        assert_eq!(e.line, 3);
        assert_eq!(results[3].as_ref().expect("valid").article.title, "after");
        // Deep objects, and unbalanced nesting, which is invalid JSON.
        let depth = 100_000;
        let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        let line = format!("{{\"story\":{objects},\"title\":\"deep\"}}");
        assert_eq!(one(&line).expect("skipped").article.title, "deep");
        let line = format!("{{\"title\":\"t\",\"story\":{}}}", "[".repeat(depth));
        assert_eq!(err(&line).field, None);
        // A few levels are fine.
        let line = r#"{"title":"t","story":[[[{"a":[[1]]}]]]}"#;
        assert_eq!(one(line).expect("valid").article.title, "t");
    }

    #[test]
    fn long_title_and_nul() {
        let title = "é".repeat(500_000);
        let line = format!("{{\"title\":\"{title}\"}}");
        let record = one(&line).expect("valid");
        assert_eq!(record.article.title.len(), 1_000_000);
        assert!(matches!(record.article.title, Cow::Borrowed(_)));
        let record = one(r#"{"title":"a\u0000b"}"#).expect("NUL passes through");
        assert_eq!(record.article.title, "a\0b");
        let record = one(r#"{"title":"   "}"#).expect("empty titles are the engine's business");
        assert_eq!(record.article.title, "   ");
    }

    #[test]
    fn unicode_blank_line_is_skipped() {
        assert!(parse_line("\u{3000}\u{a0}".as_bytes(), 1, "t").is_none());
    }
}
