//! The first records of a JSON Lines input, looked at again once a run is done for its notes: a key named
//! for an optional field that no record has (a mistyped `--body-field`), a body or a time under a key of
//! its own that is not read unless named. A regular file is read again from its start; standard input or
//! a pipe, which cannot be, keeps its first lines as they stream past ([`Tap`]), so that `zcat FILE |
//! storyhash dedupe -` gets the notes the file itself would.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How many records of an input are looked at.
pub(super) const SAMPLED_RECORDS: usize = 1_000;

/// Longest line the samples read; a longer one is read past, not held.
const SAMPLED_LINE_BYTES: usize = 1 << 20;

/// Most bytes a [`Tap`] keeps of a stream's start.
const KEPT_BYTES: usize = 4 << 20;

/// Keys a crawl or feed export often holds an article's body under (an RSS item's `description`).
const BODY_KEYS: [&str; 5] = ["description", "summary", "content", "text", "snippet"];

/// Keys a crawl or feed export often holds an article's site or outlet under.
const SOURCE_KEYS: [&str; 6] = [
    "domain",
    "site",
    "site_name",
    "publisher",
    "source_name",
    "outlet",
];

/// Where an input's first records are read again from.
pub(super) enum Sample {
    /// A regular file, read again from its start.
    File(PathBuf),
    /// A stream's first lines, as a [`Tap`] kept them.
    Kept(Arc<Mutex<Kept>>),
}

/// What a [`Tap`] kept of a stream's start.
#[derive(Default)]
pub(super) struct Kept {
    bytes: Vec<u8>,
    lines: usize,
    /// Whether the stream went on past what was kept.
    cut: bool,
}

/// A reader that keeps a copy of the first lines read through it (at most `2 ×` [`SAMPLED_RECORDS`],
/// and [`KEPT_BYTES`]), for a [`Sample::Kept`].
pub(super) struct Tap<R> {
    inner: R,
    kept: Arc<Mutex<Kept>>,
    /// How far it is, so that a read past what it keeps takes no lock.
    keeping: Keeping,
}

/// How far a [`Tap`] is with its keeping.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keeping {
    /// It keeps what is read.
    Lines,
    /// It kept all it keeps; nothing was read past it yet.
    Full,
    /// It read past what it kept ([`Kept::cut`] is set).
    Past,
}

/// Where a [`Tap`] keeps what the [`Sample::Kept`] made with it reads.
pub(super) struct Keeper(Arc<Mutex<Kept>>);

impl<R: Read> Tap<R> {
    /// Taps `inner`, keeping into what the returned sample reads.
    pub(super) fn new(inner: R) -> (Tap<R>, Sample) {
        let (sample, keeper) = Sample::kept();
        (Tap::keeping(inner, keeper), sample)
    }

    /// Taps `inner`, keeping into `keeper`.
    pub(super) fn keeping(inner: R, keeper: Keeper) -> Tap<R> {
        Tap {
            inner,
            kept: keeper.0,
            keeping: Keeping::Lines,
        }
    }
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 || self.keeping == Keeping::Past {
            return Ok(n);
        }
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let mut take = 0;
        if self.keeping == Keeping::Lines {
            take = n.min(KEPT_BYTES - kept.bytes.len());
            for (at, _) in buf[..take].iter().enumerate().filter(|(_, &b)| b == b'\n') {
                kept.lines += 1;
                if kept.lines == 2 * SAMPLED_RECORDS {
                    take = at + 1;
                    break;
                }
            }
            kept.bytes.extend_from_slice(&buf[..take]);
            if kept.lines == 2 * SAMPLED_RECORDS || kept.bytes.len() == KEPT_BYTES {
                self.keeping = Keeping::Full;
            }
        }
        if take < n {
            // Bytes past what was kept: the stream went on.
            kept.cut = true;
            self.keeping = Keeping::Past;
        }
        Ok(n)
    }
}

impl Sample {
    /// A sample of a stream, and what keeps its lines for it (to a [`Tap`] made elsewhere).
    pub(super) fn kept() -> (Sample, Keeper) {
        let kept = Arc::new(Mutex::new(Kept::default()));
        (Sample::Kept(Arc::clone(&kept)), Keeper(kept))
    }

    /// Whether a stream's sample holds all it will: its first lines kept in full.
    pub(super) fn is_complete(&self) -> bool {
        match self {
            Sample::File(_) => true,
            Sample::Kept(kept) => kept.lock().unwrap_or_else(|e| e.into_inner()).cut,
        }
    }

    /// The sample of input `path`, and its reader: a tapped one when the input cannot be read again.
    /// `None` for an input that is not JSON Lines (`json_lines` false).
    pub(super) fn of<'r>(
        path: &Path,
        json_lines: bool,
        reader: Box<dyn Read + Send + 'r>,
    ) -> (Option<Sample>, Box<dyn Read + Send + 'r>) {
        if !json_lines {
            return (None, reader);
        }
        let regular = path != Path::new("-") && std::fs::metadata(path).is_ok_and(|m| m.is_file());
        if regular {
            return (Some(Sample::File(path.to_path_buf())), reader);
        }
        let (tap, sample) = Tap::new(reader);
        (Some(sample), Box::new(tap))
    }

    /// Calls `visit` with each JSON object among the first `2 ×` [`SAMPLED_RECORDS`] lines, up to
    /// [`SAMPLED_RECORDS`] of them, until it says to stop (`false`); returns how many it visited and
    /// whether the input went on past them. `None` when a file cannot be read again. A line that is not
    /// a JSON object, not UTF-8 or over [`SAMPLED_LINE_BYTES`] is passed over.
    fn objects(
        &self,
        visit: impl FnMut(&serde_json::Map<String, serde_json::Value>) -> bool,
    ) -> Option<(usize, bool)> {
        match self {
            Sample::File(path) => {
                let file = std::fs::File::open(path).ok()?;
                objects_of(file, false, visit)
            }
            Sample::Kept(kept) => {
                let kept = kept.lock().unwrap_or_else(|e| e.into_inner());
                objects_of(kept.bytes.as_slice(), kept.cut, visit)
            }
        }
    }

    /// How many records the input begins with (at most [`SAMPLED_RECORDS`]) when none of them has `key`
    /// at its top, and whether the input goes on past them; `None` when one has, or none can be read.
    pub(super) fn lacking_key(&self, key: &str) -> Option<(usize, bool)> {
        let mut found = false;
        let sampled = self.objects(|object| {
            found = object.contains_key(key);
            !found
        })?;
        (!found && sampled.0 > 0).then_some(sampled)
    }

    /// The key of [`BODY_KEYS`] (other than one `names` reads for a field) that a sampled record holds
    /// a text under, when none of them has a `body`.
    pub(super) fn body_elsewhere(&self, names: &storyhash::io::FieldNames) -> Option<&'static str> {
        self.field_elsewhere("body", &BODY_KEYS, names)
    }

    /// The key of [`SOURCE_KEYS`] (other than one `names` reads for a field) that a sampled record holds
    /// a text under, when none of them has a `source`.
    pub(super) fn source_elsewhere(
        &self,
        names: &storyhash::io::FieldNames,
    ) -> Option<&'static str> {
        self.field_elsewhere("source", &SOURCE_KEYS, names)
    }

    /// The first of `keys` (other than one `names` reads for a field) that a sampled record holds a
    /// text under, when none of them has the key `field`.
    fn field_elsewhere(
        &self,
        field: &str,
        keys: &[&'static str],
        names: &storyhash::io::FieldNames,
    ) -> Option<&'static str> {
        let (mut found, mut has_field) = (None, false);
        self.objects(|object| {
            has_field = object.contains_key(field);
            found = found.or_else(|| {
                keys.iter().copied().find(|key| {
                    !read_for_a_field(names, key)
                        && object
                            .get(*key)
                            .and_then(serde_json::Value::as_str)
                            .is_some_and(|text| !text.trim().is_empty())
                })
            });
            !has_field
        })?;
        found.filter(|_| !has_field)
    }

    /// The key (other than one `names` reads for a field) under which most sampled records, and at
    /// least half of them, hold a text that reads as a time ([`TimeKeys`]).
    pub(super) fn time_elsewhere(&self, names: &storyhash::io::FieldNames) -> Option<String> {
        let mut keys = TimeKeys::default();
        let (sampled, _) = self.objects(|object| {
            keys.count(object, names);
            true
        })?;
        keys.most(sampled)
    }
}

/// The keys under which records hold a time that no field reads, counted record by record.
#[derive(Default)]
pub(super) struct TimeKeys {
    counts: Vec<(String, usize)>,
}

impl TimeKeys {
    /// Counts the keys of `object` (other than one `names` reads for a field) that hold a text that
    /// reads as a time: a date written out, not a bare number (an id of digits would read as Unix
    /// seconds).
    pub(super) fn count(
        &mut self,
        object: &serde_json::Map<String, serde_json::Value>,
        names: &storyhash::io::FieldNames,
    ) {
        for (key, value) in object {
            if read_for_a_field(names, key) {
                continue;
            }
            // A time is short: a title or a body is not looked at.
            let reads_as_time = value.as_str().is_some_and(|text| {
                let text = text.trim();
                text.len() <= 80
                    && !text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                    && storyhash::time::parse_timestamp(text).is_some()
            });
            if reads_as_time {
                match self.counts.iter_mut().find(|(k, _)| k == key) {
                    Some((_, n)) => *n += 1,
                    None => self.counts.push((key.clone(), 1)),
                }
            }
        }
    }

    /// The key most of the `counted` records, and at least half of them, hold a time under; the first
    /// such key in the records' order wins a tie.
    pub(super) fn most(self, counted: usize) -> Option<String> {
        let (key, n) = self.counts.into_iter().rev().max_by_key(|&(_, n)| n)?;
        (n * 2 >= counted && n > 0).then_some(key)
    }
}

/// The notes on the keys of the `sampled` inputs (each with its name as shown): a key named for an
/// optional field that no sampled record has (no error, as a record may lack it, but a mistyped one
/// would leave the field empty for all without a word), a source under a key of its own, and, where
/// bodies are compared (`use_body`) and none is named, a body under a key of its own.
pub(super) fn key_notes(
    sampled: &[(String, &Sample)],
    names: &storyhash::io::FieldNames,
    use_body: bool,
) -> Vec<String> {
    let mut notes = Vec::new();
    for (field, key) in ["body", "source", "url"]
        .into_iter()
        .filter_map(|field| Some((field, names.key_named_for(field)?)))
    {
        for (input, sample) in sampled {
            let Some(sampled) = sample.lacking_key(key) else {
                continue;
            };
            let them = if sampled.0 == 1 { "it" } else { "them" };
            notes.push(format!(
                "{}, which --{field}-field names, so no {field} was read from {them}",
                none_of(
                    sampled,
                    input,
                    &format!("no key `{key}`"),
                    &format!("the key `{key}`")
                )
            ));
        }
    }
    if names.key_named_for("source").is_none() {
        for (input, sample) in sampled {
            if let Some(key) = sample.source_elsewhere(names) {
                notes.push(format!(
                    "records of {input} have a `{key}` but no `source`; --source-field {key} reads it \
                     as the source, by which a site's trailing name, label or tagline is told from \
                     the news"
                ));
            }
        }
    }
    if use_body && names.key_named_for("body").is_none() {
        for (input, sample) in sampled {
            if let Some(key) = sample.body_elsewhere(names) {
                notes.push(format!(
                    "records of {input} have a `{key}` but no `body`; only `body` is read as the body \
                     (compared with the title under --fields title,body): --body-field {key} reads it"
                ));
            }
        }
    }
    notes
}

/// What to do about records without a `published` time, the `sampled` inputs' all: read the key they
/// hold a time under, where one is found.
pub(super) fn time_note(
    sampled: &[(String, &Sample)],
    names: &storyhash::io::FieldNames,
) -> String {
    let found = sampled
        .iter()
        .find_map(|(input, sample)| Some((input, sample.time_elsewhere(names)?)));
    match found {
        Some((input, key)) => format!(
            "records of {input} hold a time under `{key}`, which --published-field {key} reads as \
             the publication time"
        ),
        None => "a time under another key (`pubDate`, `date`, `created_at`) is read with \
                 --published-field KEY"
            .to_string(),
    }
}

/// What the first `records` of `input` (and whether it `goes_on` past them, as
/// [`Sample::lacking_key`] gives them) lack, said with `has_none` and `has_it` of what they lack:
/// "the record of a.jsonl has no key `url`", "none of the first 1000 records of a.jsonl has the key
/// `url`".
pub(super) fn none_of(
    (records, goes_on): (usize, bool),
    input: &str,
    has_none: &str,
    has_it: &str,
) -> String {
    match (records, goes_on) {
        (1, false) => format!("the record of {input} has {has_none}"),
        (1, true) => format!("the first record of {input} has {has_none}"),
        (n, true) => format!("none of the first {n} records of {input} has {has_it}"),
        (n, false) => format!("none of the {n} records of {input} has {has_it}"),
    }
}

/// Whether `key` is read for one of an article's fields: the key `names` names for it, else the field's
/// own name.
fn read_for_a_field(names: &storyhash::io::FieldNames, key: &str) -> bool {
    ["id", "title", "source", "url", "published", "body"]
        .into_iter()
        .any(|field| names.key_named_for(field).unwrap_or(field) == key)
}

/// [`Sample::objects`] over `reader` (its lines ended as the run reads them: by `\n`, `\r\n` or `\r`
/// alone); `goes_on` says whether the input goes on past what it holds.
fn objects_of(
    reader: impl Read,
    goes_on: bool,
    mut visit: impl FnMut(&serde_json::Map<String, serde_json::Value>) -> bool,
) -> Option<(usize, bool)> {
    let mut reader = std::io::BufReader::new(storyhash::io::LineEndings::new(reader));
    let (mut read, mut line) = (0, Vec::new());
    for _ in 0..SAMPLED_RECORDS * 2 {
        line.clear();
        match storyhash::io::read_line_capped(&mut reader, &mut line, SAMPLED_LINE_BYTES).ok()? {
            storyhash::io::LineRead::End => return Some((read, goes_on)),
            storyhash::io::LineRead::TooLong(_) => continue,
            storyhash::io::LineRead::Line => {}
        }
        let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(&line) else {
            continue;
        };
        read += 1;
        if !visit(&object) {
            return Some((read, true));
        }
        if read == SAMPLED_RECORDS {
            break;
        }
    }
    // Stopped on a count: whether anything follows.
    let more = reader.fill_buf().map_or(true, |rest| !rest.is_empty());
    Some((read, goes_on || more))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tapped(text: &[u8]) -> Sample {
        let (mut tap, sample) = Tap::new(text);
        std::io::copy(&mut tap, &mut std::io::sink()).expect("read");
        sample
    }

    #[test]
    fn a_stream_keeps_its_first_lines_for_the_notes() {
        let names = storyhash::io::FieldNames::default();
        let feed = tapped(
            b"{\"id\":\"1\",\"title\":\"Storm\",\"description\":\"Winds.\",\"seen\":\"2025-07-24T16:27:00Z\"}\n\
              {\"id\":\"2\",\"title\":\"Budget\",\"seen\":\"Mon, 10 Mar 2014 16:55:01 GMT\"}\n",
        );
        assert_eq!(feed.lacking_key("source"), Some((2, false)));
        assert_eq!(feed.lacking_key("title"), None);
        assert_eq!(feed.body_elsewhere(&names), Some("description"));
        assert_eq!(feed.time_elsewhere(&names).as_deref(), Some("seen"));
    }

    #[test]
    fn a_long_stream_keeps_only_its_start_and_says_it_went_on() {
        let line = b"{\"id\":\"1\",\"title\":\"Storm\"}\n";
        let many: Vec<u8> = line.repeat(5 * SAMPLED_RECORDS);
        let feed = tapped(&many);
        assert!(feed.is_complete());
        match &feed {
            Sample::Kept(kept) => {
                let kept = kept.lock().expect("not poisoned");
                assert_eq!(kept.lines, 2 * SAMPLED_RECORDS);
                assert_eq!(kept.bytes.len(), 2 * SAMPLED_RECORDS * line.len());
            }
            Sample::File(_) => unreachable!("a tap keeps"),
        }
        assert_eq!(feed.lacking_key("source"), Some((SAMPLED_RECORDS, true)));
        // Read in pieces that end where the kept lines end, it is the same; one that ends there is
        // whole, not cut.
        let whole = line.repeat(2 * SAMPLED_RECORDS);
        let (mut tap, sample) = Tap::new(whole.as_slice());
        let mut piece = vec![0; line.len()];
        while tap.read(&mut piece).expect("read") > 0 {}
        assert!(!sample.is_complete(), "nothing went on past the kept lines");
        let (mut tap, sample) = Tap::new(many.as_slice());
        while tap.read(&mut piece).expect("read") > 0 {}
        assert!(sample.is_complete());
        assert_eq!(sample.lacking_key("source"), Some((SAMPLED_RECORDS, true)));
    }

    #[test]
    fn a_stream_of_exactly_the_sampled_records_is_whole_and_its_lines_may_end_in_a_return() {
        let line = b"{\"id\":\"1\",\"title\":\"Storm\"}\n";
        let feed = tapped(&line.repeat(SAMPLED_RECORDS));
        assert_eq!(feed.lacking_key("source"), Some((SAMPLED_RECORDS, false)));
        let classic_mac =
            tapped(b"{\"id\":\"1\",\"title\":\"Storm\"}\r{\"id\":\"2\",\"title\":\"Budget\"}\r");
        assert_eq!(classic_mac.lacking_key("source"), Some((2, false)));
    }

    #[test]
    fn numbers_and_ids_of_digits_are_not_taken_for_times() {
        let names = storyhash::io::FieldNames::default();
        let feed = tapped(
            b"{\"id\":\"1394469125\",\"title\":\"Storm\",\"n\":\"1394469125\",\"t\":1394469125}\n",
        );
        assert_eq!(feed.time_elsewhere(&names), None);
        // Nor a time under a key read for a field.
        let feed = tapped(b"{\"id\":\"1\",\"title\":\"2025-07-24\"}\n");
        assert_eq!(feed.time_elsewhere(&names), None);
    }
}
