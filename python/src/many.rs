//! `Engine.ingest_many`: reads any iterable of records in chunks and streams them through a pipeline
//! like the CLI's. While the calling thread reads the next chunk from Python (it needs the interpreter),
//! a second thread prepares the chunk before it on all cores ([`Engine::prepare_batch_after`]) and a
//! third decides and stores the one before that ([`Engine::commit_batch`]); none of them holds the
//! interpreter, and the calling thread lets it go whenever it waits. An input of one chunk (a page's
//! few items) has nothing to overlap: it is prepared and decided on the calling thread, without the
//! interpreter and without starting those threads. The verdicts are those of the same records ingested
//! one at a time, in order.
//!
//! A record that cannot be read (wrong type, a missing or empty field, a field over the limit) ends the
//! input: the records before it are stored, it and those after it are not. A record the engine refuses
//! while deciding (an id stored with another text) ends it too, after its chunk: the rest of that chunk
//! is stored, as ingesting it again would answer the same verdicts (marked as repeats). The records
//! taken from the iterable after the one that ended it go back to the caller with the exception,
//! rebuilt from the chunks in flight as dicts of the fields read, so that a generator's records are not
//! lost; so do the verdicts when the iterable itself raises (or Ctrl-C interrupts).
//!
//! The caller's objects are let go of as soon as they are read, not kept until their chunk is decided:
//! a chunk's worth of records freed at once empties whole arenas of Python's allocator, which hands
//! them back to the system only to map them again, page by page, for the next records, and the calling
//! thread (which the interpreter keeps busy reading) pays for it. Freed as soon as it is read, a
//! record's memory serves the next one.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::mpsc;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyMapping, PyString, PyTuple};

use storyhash::io::{FieldNames, NumberedIds};
use storyhash::{Article, EarlierTexts, Engine, PreparedBatch, Verdict};

use crate::convert::{self, Bad};
use crate::errors;
use crate::values::PyVerdict;

/// The fields of an article, in the order the records' fields are kept in.
const FIELDS: [&str; 6] = ["id", "title", "body", "source", "url", "published"];

/// The keys a call reads its records' fields from: their own names, or those its `fields` named.
pub struct Keys {
    names: FieldNames,
    /// Per field of [`FIELDS`], its key as a Python string, made once.
    keys: [Py<PyString>; 6],
}

impl Keys {
    /// The keys of `names`.
    pub fn new(py: Python<'_>, names: FieldNames) -> Keys {
        let keys = FIELDS
            .map(|field| PyString::new(py, names.key_named_for(field).unwrap_or(field)).unbind());
        Keys { names, keys }
    }

    /// The key field `i` of [`FIELDS`] is read from.
    fn key<'py>(&self, py: Python<'py>, i: usize) -> &Bound<'py, PyString> {
        self.keys[i].bind(py)
    }

    /// The key field `i` of [`FIELDS`] is read from, as text.
    fn name(&self, i: usize) -> &str {
        self.names.key_named_for(FIELDS[i]).unwrap_or(FIELDS[i])
    }
}

/// Records read from Python, their text copied into one buffer.
struct Chunk {
    /// Position in the caller's iterable of the first record taken.
    first: usize,
    /// How many records were taken from the iterable (blank lines, which hold no record, included).
    taken: usize,
    /// Per record kept, its position in the iterable (counted from 0).
    positions: Vec<usize>,
    /// Per record kept, whether its id is its line number (JSON text without an `id`).
    numbered: Vec<bool>,
    text: String,
    /// Per record: id, title, body, source, url, published.
    fields: Vec<[Option<Range<usize>>; 6]>,
}

impl Chunk {
    fn new(first: usize) -> Chunk {
        Chunk {
            first,
            taken: 0,
            positions: Vec::new(),
            numbered: Vec::new(),
            text: String::new(),
            fields: Vec::new(),
        }
    }

    /// The records after position `index`, as dicts of the fields read under the keys they were read
    /// from: what `pending` holds for them. A key that fed several fields (`url` for the id and the
    /// url) gave each the same value, which it holds once, the id's first: an id that is a record's
    /// line number, from a key that held `null`, goes back as that number, so that the record keeps it
    /// (and the other field reads it too). A pair's id and title read again under keys that feed
    /// other fields feed those too.
    fn records_after<'py>(
        &self,
        py: Python<'py>,
        index: usize,
        keys: &Keys,
        out: &mut Vec<Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        for (fields, &position) in self.fields.iter().zip(&self.positions) {
            if position <= index {
                continue;
            }
            let record = PyDict::new(py);
            for (i, field) in fields.iter().enumerate() {
                let key = keys.key(py, i);
                if let Some(value) = self
                    .get(field)
                    .filter(|_| !record.contains(key).unwrap_or(false))
                {
                    record.set_item(key, value.as_ref())?;
                }
            }
            out.push(record.into_any());
        }
        Ok(())
    }

    /// Empties a chunk decided earlier to hold the records from position `first` on, keeping its
    /// buffers: a chunk's text and fields are some megabytes, which fresh memory would have the kernel
    /// clear page by page for every chunk.
    fn reuse(mut self, first: usize) -> Chunk {
        self.first = first;
        self.taken = 0;
        self.positions.clear();
        self.numbered.clear();
        self.text.clear();
        self.fields.clear();
        self
    }

    /// How many records it holds.
    fn len(&self) -> usize {
        self.fields.len()
    }

    /// The position after the last record taken.
    fn end(&self) -> usize {
        self.first + self.taken
    }

    fn put(&mut self, s: Option<&str>) -> Option<Range<usize>> {
        let s = s?;
        let start = self.text.len();
        self.text.push_str(s);
        Some(start..self.text.len())
    }

    fn push(&mut self, a: &Article<'_>) {
        let fields = [
            self.put(Some(&a.id)),
            self.put(Some(&a.title)),
            self.put(a.body.as_deref()),
            self.put(a.source.as_deref()),
            self.put(a.url.as_deref()),
            self.put(a.published.as_deref()),
        ];
        self.fields.push(fields);
    }

    fn get(&self, r: &Option<Range<usize>>) -> Option<Cow<'_, str>> {
        r.as_ref().map(|r| Cow::Borrowed(&self.text[r.clone()]))
    }

    /// The records as articles borrowing from the buffer.
    fn articles(&self) -> Vec<Article<'_>> {
        self.fields
            .iter()
            .map(|[id, title, body, source, url, published]| Article {
                id: self.get(id).unwrap_or_default(),
                title: self.get(title).unwrap_or_default(),
                body: self.get(body),
                source: self.get(source),
                url: self.get(url),
                published: self.get(published),
            })
            .collect()
    }
}

/// One field of a mapping: `None` when absent. A `dict` subclass is read through its own `[]`, as any
/// mapping, so that its `__missing__` or `__getitem__` has its say.
fn field<'py>(
    record: &Bound<'py, PyAny>,
    key: &Bound<'py, PyString>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    if let Ok(d) = record.cast_exact::<PyDict>() {
        return d.get_item(key);
    }
    let m = record.cast::<PyMapping>()?;
    match m.get_item(key) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyKeyError>(record.py()) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether a record is text holding nothing but white space (a blank line of a file), which, as the
/// JSON Lines reader does, is no record at all.
fn is_blank_text(record: &Bound<'_, PyAny>) -> bool {
    if let Ok(b) = record.cast::<PyBytes>() {
        return b.as_bytes().iter().all(u8::is_ascii_whitespace);
    }
    if let Ok(s) = record.cast::<PyString>() {
        return s.to_str().is_ok_and(|t| t.trim().is_empty());
    }
    false
}

/// Reads a record given as text: one JSON article object, as a line of JSON Lines (`str` or `bytes`,
/// its line end included or not, a byte order mark before it dropped), and whether its id is its line
/// number (it has none). `None` when the record is not text.
fn json_record<'a>(
    record: &'a Bound<'_, PyAny>,
    position: usize,
    names: &FieldNames,
) -> Option<Result<(Article<'a>, bool), Bad>> {
    let bad = |message: String| Bad {
        type_error: false,
        message,
    };
    let (kind, text) = if let Ok(s) = record.cast::<PyString>() {
        let text = s
            .to_str()
            .map_err(|_| bad("the text is not valid Unicode".into()));
        ("str", text)
    } else if let Ok(b) = record.cast::<PyBytes>() {
        let text = std::str::from_utf8(b.as_bytes()).map_err(|e| {
            bad(format!(
                "the line is not UTF-8 (invalid at byte {})",
                e.valid_up_to() + 1
            ))
        });
        ("bytes", text)
    } else {
        return None;
    };
    let text = match text {
        Ok(t) => t.strip_prefix('\u{feff}').unwrap_or(t),
        Err(bad) => return Some(Err(bad)),
    };
    let trimmed = text.trim();
    if !trimmed.starts_with('{') {
        let found: String = trimmed.chars().take(40).collect();
        // Text that is no JSON is most often half of a pair given as two records (`["x", "t"]`), or a
        // title without its id.
        let hint = match kind {
            "str" => {
                " (each record is one article: a pair goes in as one tuple, `[(id, title), …]`)"
            }
            _ => "",
        };
        return Some(Err(Bad {
            type_error: true,
            message: format!(
                "expected a dict, an (id, title) pair or a JSON article object (a line of JSON \
                 Lines), found {kind} `{found}`{hint}"
            ),
        }));
    }
    // Text that starts an object reads as one article, or fails; without an id it takes its position
    // counted from 1, a file's line number, as `dedupe` does.
    Some(storyhash::io::parse_jsonl_object_named(trimmed, position as u64 + 1, names).map_err(bad))
}

/// Reads one record (a mapping with `id` and `title`, an `(id, title)` pair, or a JSON article object as
/// `str` or `bytes`) and checks it against the engine's limits, then copies it into `chunk`.
fn read_record(
    py: Python<'_>,
    engine: &Engine,
    keys: &Keys,
    record: &Bound<'_, PyAny>,
    chunk: &mut Chunk,
) -> PyResult<Result<(), Bad>> {
    if let Some(read) = json_record(record, chunk.end(), &keys.names) {
        return Ok(read.and_then(|(article, numbered)| keep(engine, &article, numbered, chunk)));
    }
    // Which keys the mapping has, so that a title or id under another name shows (as `dedupe` says).
    let missing = |i: usize| Bad {
        type_error: false,
        message: match keys.name(i) {
            key if key == FIELDS[i] => format!("missing field `{key}`; {}", keys_of(record)),
            key => format!(
                "missing field `{key}`, which the {} is read from; {}",
                FIELDS[i],
                keys_of(record)
            ),
        },
    };
    let is_mapping = record.cast::<PyDict>().is_ok()
        || (!record.is_instance_of::<PyTuple>()
            && !record.is_instance_of::<PyString>()
            && record.cast::<PyMapping>().is_ok());
    let (id, title, body, source, url, published);
    if is_mapping {
        id = field(record, keys.key(py, 0))?;
        title = field(record, keys.key(py, 1))?;
        body = field(record, keys.key(py, 2))?;
        source = field(record, keys.key(py, 3))?;
        url = field(record, keys.key(py, 4))?;
        published = field(record, keys.key(py, 5))?;
    } else if let Ok(t) = record
        .cast::<PyTuple>()
        .map(|t| t.as_sequence().clone())
        .or_else(|_| record.cast::<PyList>().map(|l| l.as_sequence().clone()))
    {
        if t.len()? != 2 {
            return Ok(Err(Bad {
                type_error: true,
                message: format!(
                    "expected a dict or an (id, title) pair, found a sequence of {}",
                    t.len()?
                ),
            }));
        }
        id = Some(t.get_item(0)?);
        title = Some(t.get_item(1)?);
        (body, source, url, published) = (None, None, None, None);
    } else {
        return Ok(Err(Bad {
            type_error: true,
            message: {
                let found = convert::type_name(record);
                let hint = convert::frame_rows_hint(&found);
                format!("expected a dict or an (id, title) pair, found {found}{hint}")
            },
        }));
    }
    // What is wrong with a field says the key it was read from, as the JSON text's reader says it.
    let named = |i: usize| {
        move |mut bad: Bad| {
            let (field, key) = (FIELDS[i], keys.name(i));
            if let Some(rest) = bad.message.strip_prefix(&format!("field `{field}`")) {
                if key != field {
                    bad.message = format!("field `{key}`{rest}");
                }
            }
            bad
        }
    };
    let read = || -> Result<Article<'_>, Bad> {
        let id = id.as_ref().ok_or_else(|| missing(0))?;
        let title = title.as_ref().ok_or_else(|| missing(1))?;
        Ok(Article {
            id: convert::id(id).map_err(named(0))?,
            title: Cow::Borrowed(convert::title(title).map_err(named(1))?),
            body: convert::optional("body", body.as_ref())
                .map_err(named(2))?
                .map(Cow::Borrowed),
            source: convert::optional("source", source.as_ref())
                .map_err(named(3))?
                .map(Cow::Borrowed),
            url: convert::optional("url", url.as_ref())
                .map_err(named(4))?
                .map(Cow::Borrowed),
            published: convert::published(published.as_ref()).map_err(named(5))?,
        })
    };
    Ok(read().and_then(|article| keep(engine, &article, false, chunk)))
}

/// The keys of a mapping, as the messages of `storyhash dedupe` say them: `the record's keys: headline,
/// id` (sorted).
fn keys_of(record: &Bound<'_, PyAny>) -> String {
    let mut keys: Vec<String> = record
        .cast::<PyMapping>()
        .ok()
        .and_then(|m| m.keys().ok())
        .map(|keys| keys.iter().map(|k| k.to_string()).collect())
        .unwrap_or_default();
    keys.sort();
    storyhash::io::keys_said(&keys)
}

/// Checks a record read against the engine's limits and copies it into `chunk`; `numbered` when its
/// id is its line number.
fn keep(
    engine: &Engine,
    article: &Article<'_>,
    numbered: bool,
    chunk: &mut Chunk,
) -> Result<(), Bad> {
    engine.check(article).map_err(|e| Bad {
        type_error: false,
        message: e.to_string(),
    })?;
    chunk.push(article);
    chunk.positions.push(chunk.end());
    chunk.numbered.push(numbered);
    Ok(())
}

/// How reading a chunk ended.
enum Read {
    /// The chunk is full; more may follow.
    Full,
    /// The iterable is exhausted.
    End,
    /// The record at this position (the object given) cannot be ingested.
    Bad(usize, Bad, Py<PyAny>),
    /// The iterable itself raised (or a signal interrupted), at this position.
    Raised(usize, PyErr),
}

/// How many records are read between two checks for a signal (Ctrl-C).
const SIGNAL_EVERY: usize = 1024;

/// Reads records into `chunk` until it holds `size`.
fn read_chunk(
    py: Python<'_>,
    engine: &Engine,
    keys: &Keys,
    items: &Bound<'_, pyo3::types::PyIterator>,
    chunk: &mut Chunk,
    size: usize,
) -> Read {
    while chunk.len() < size {
        let position = chunk.end();
        if position % SIGNAL_EVERY == SIGNAL_EVERY - 1 {
            if let Err(e) = py.check_signals() {
                return Read::Raised(position, e);
            }
        }
        let record = match items.clone().next() {
            None => return Read::End,
            Some(Err(e)) => return Read::Raised(position, e),
            Some(Ok(r)) => r,
        };
        let read = if is_blank_text(&record) {
            Ok(Ok(()))
        } else {
            read_record(py, engine, keys, &record, chunk)
        };
        chunk.taken += 1;
        match read {
            Ok(Ok(())) => {}
            Ok(Err(bad)) => return Read::Bad(position, bad, record.unbind()),
            Err(e) => return Read::Raised(position, e),
        }
    }
    Read::Full
}

/// What the committing thread hands back: a chunk (whose buffers serve again) and its records' results.
type Decided = (Chunk, Vec<storyhash::Result<Verdict>>);

/// The first record the engine refused: its position, why, and whether its id is its line number.
type Refused = (usize, storyhash::Error, bool);

/// Verdicts as they come back, the first refusal, and the decided chunks.
struct Collected {
    verdicts: Vec<Py<PyVerdict>>,
    refused: Option<Refused>,
    /// The lines (positions counted from 1) of the records without an id stored under them, for the
    /// refusal of a later record that gives such a number as its own id.
    numbered: NumberedIds,
    /// Decided chunks, to hold the next records; once a record is refused, the chunks from its own on,
    /// whose records after it go back to the caller.
    spare: Vec<Chunk>,
}

impl Collected {
    fn take(&mut self, py: Python<'_>, (chunk, results): Decided) -> PyResult<()> {
        for (k, r) in results.into_iter().enumerate() {
            if self.refused.is_some() {
                break;
            }
            match r {
                Ok(v) => {
                    // A repeat of an article stored under that id before is not the record's doing.
                    if chunk.numbered[k] && !v.repeat {
                        self.numbered.insert(chunk.positions[k] as u64 + 1);
                    }
                    self.verdicts.push(PyVerdict::untracked(py, v)?)
                }
                Err(e) => self.refused = Some((chunk.positions[k], e, chunk.numbered[k])),
            }
        }
        self.spare.push(chunk);
        Ok(())
    }

    /// A chunk for the records from position `first` on, with a decided chunk's buffers when there is
    /// one. Records are read only while none is refused.
    fn chunk(&mut self, first: usize) -> Chunk {
        debug_assert!(self.refused.is_none());
        match self.spare.pop() {
            Some(chunk) => chunk.reuse(first),
            None => Chunk::new(first),
        }
    }

    /// The records read after position `index` (once a record is refused), as dicts, in order.
    fn records_after<'py>(
        &mut self,
        py: Python<'py>,
        index: usize,
        keys: &Keys,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        self.spare.sort_by_key(|chunk| chunk.first);
        let mut after = Vec::new();
        for chunk in &self.spare {
            chunk.records_after(py, index, keys, &mut after)?;
        }
        Ok(after)
    }
}

/// Runs `ingest_many` over `items` in chunks of `size` records. Once `closing` says the engine is being
/// closed (by another thread, which waits for this call), no further chunk is read.
pub fn ingest_many(
    py: Python<'_>,
    engine: &Engine,
    items: &Bound<'_, PyAny>,
    size: usize,
    keys: &Keys,
    closing: &dyn Fn() -> bool,
) -> PyResult<Vec<Py<PyVerdict>>> {
    // A frame iterates its column names, which would be refused as records one by one.
    if convert::is_pandas_frame(items) {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "a pandas DataFrame iterates its column names, not its rows: give \
             `df.to_dict(\"records\")`",
        ));
    }
    let items = items.try_iter()?;
    let mut collected = Collected {
        verdicts: Vec::new(),
        refused: None,
        numbered: NumberedIds::for_a_file(),
        spare: Vec::new(),
    };
    let mut stop: Option<Read> = None;
    let mut broken = false;
    // The first chunk is read before any thread starts: when it is the whole input (a page's items, a
    // short list) nothing can overlap, and it is decided on this thread without the interpreter, for
    // about what one `ingest` per record costs rather than the pipeline's start (some 75 µs a call).
    let mut first = Chunk::new(0);
    let first_read = read_chunk(py, engine, keys, &items, &mut first, size);
    // The position after the last record read from the iterable.
    let mut position = first.end();
    let mut first = Some(first);
    if !matches!(first_read, Read::Full) {
        stop = Some(first_read);
        if let Some(chunk) = first.take().filter(|c| c.len() > 0) {
            let decided = py.detach(|| {
                let results = engine.ingest_batch(&chunk.articles());
                (chunk, results)
            });
            collected.take(py, decided)?;
        }
    }
    std::thread::scope(|scope| -> PyResult<()> {
        if first.is_none() {
            return Ok(());
        }
        let (to_prepare, prepare_rx) = mpsc::sync_channel::<Chunk>(1);
        let (to_commit, commit_rx) = mpsc::sync_channel::<(Chunk, PreparedBatch)>(1);
        let (decided_tx, decided_rx) = mpsc::channel::<Decided>();
        scope.spawn(move || {
            // The texts of the chunks before, which the engine holds by the time a chunk commits.
            let earlier = EarlierTexts::new();
            for chunk in prepare_rx {
                let number = chunk.first as u64;
                let prepared = engine.prepare_batch_after(&chunk.articles(), &earlier, number);
                if to_commit.send((chunk, prepared)).is_err() {
                    break;
                }
            }
        });
        scope.spawn(move || {
            let mut refused = false;
            for (chunk, prepared) in commit_rx {
                // Nothing after a refused record is stored: the chunks after its own come back with no
                // results, their records to go back to the caller.
                let results = if refused {
                    Vec::new()
                } else {
                    engine.commit_batch(&chunk.articles(), prepared)
                };
                refused |= results.iter().any(Result::is_err);
                if decided_tx.send((chunk, results)).is_err() {
                    break;
                }
            }
        });
        let mut failed: PyResult<()> = Ok(());
        while stop.is_none() && collected.refused.is_none() {
            if first.is_none() && closing() {
                stop = Some(Read::Raised(
                    position,
                    pyo3::exceptions::PyValueError::new_err(
                        "the engine was closed while ingest_many ran: the records before `index` are \
                         stored (their verdicts in `verdicts`); any after them were not taken",
                    ),
                ));
                break;
            }
            let (chunk, read) = match first.take() {
                // Read before the threads started.
                Some(chunk) => (chunk, Read::Full),
                None => {
                    let mut chunk = collected.chunk(position);
                    let read = read_chunk(py, engine, keys, &items, &mut chunk, size);
                    (chunk, read)
                }
            };
            position = chunk.end();
            if chunk.len() > 0 && py.detach(|| to_prepare.send(chunk)).is_err() {
                broken = true;
                break;
            }
            while let Ok(decided) = decided_rx.try_recv() {
                if let Err(e) = collected.take(py, decided) {
                    failed = Err(e);
                }
            }
            if !matches!(read, Read::Full) {
                stop = Some(read);
            }
        }
        drop(to_prepare);
        // Wait for the chunks in flight without holding the interpreter.
        let rest: Vec<Decided> = py.detach(move || decided_rx.iter().collect());
        for decided in rest {
            if let Err(e) = collected.take(py, decided) {
                failed = Err(e);
            }
        }
        failed
    })?;
    if broken {
        return Err(PyRuntimeError::new_err(
            "ingest_many: a worker thread stopped unexpectedly",
        ));
    }
    let (index, err, pending) = match (collected.refused.take(), stop) {
        (Some((index, e, numbered)), stop) => {
            let mut pending = collected.records_after(py, index, keys)?;
            // A record that could not be read, after the refused one, goes back as it was given.
            if let Some(Read::Bad(_, _, object)) = stop {
                pending.push(object.into_bound(py));
            }
            let mut message = format!("record {index}: {e}");
            if let storyhash::Error::Article(storyhash::ArticleError::IdConflict { id }) = &e {
                // Records read from text without an id are numbered from 1 in each call, as lines.
                if numbered {
                    message.push_str(
                        " (a record without an `id` takes its line number, counted from 1 in each \
                         call: a record of an earlier call may hold it; give each record an id)",
                    );
                } else if let Some(line) = collected.numbered.line_taking(id) {
                    // The caller never wrote that id: a record of this call without one took it.
                    message.push_str(&format!(
                        " (record {}, line {line} of a file, has no `id` and took its line number \
                         as its id: give each record one)",
                        line - 1
                    ));
                }
            }
            (index, errors::with_message(py, &e, message), pending)
        }
        (None, Some(Read::Bad(index, bad, object))) => {
            // A record given as JSON text is most often a file's line, which a reader counts from 1.
            let text = object.bind(py).is_instance_of::<PyString>()
                || object.bind(py).is_instance_of::<PyBytes>();
            let at = match text {
                true => format!("record {index} (line {} of a file)", index + 1),
                false => format!("record {index}"),
            };
            (index, bad.into_err(py, Some(&at)), Vec::new())
        }
        (None, Some(Read::Raised(index, e))) => (index, e, Vec::new()),
        // A signal (Ctrl-C) that came while the last records were decided without the interpreter
        // would be raised as the call returns, its verdicts lost: raised here with them, every record
        // stored.
        (None, _) => match py.check_signals() {
            Ok(()) => return Ok(collected.verdicts),
            Err(e) => (position, e, Vec::new()),
        },
    };
    let value = err.value(py);
    // An exception of the caller's own (from the iterable) may refuse attributes: it is raised as it is
    // then.
    let _ = value
        .setattr("index", index)
        .and_then(|()| value.setattr("verdicts", PyList::new(py, collected.verdicts)?))
        .and_then(|()| value.setattr("pending", PyList::new(py, pending)?));
    Err(err)
}
