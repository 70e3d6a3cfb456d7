//! `storyhash.Engine`: one [`storyhash::Engine`] shared by every Python thread that holds the object.
//! Each call copies nothing it can borrow, lets the interpreter go while the engine works (so threads
//! run in parallel and the engine's locks never wait on the interpreter), and maps errors onto the
//! package's exceptions. `close()` (or leaving a `with` block) waits for the calls running in other
//! threads, then flushes and releases the store.

use std::borrow::Cow;
use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};

use pyo3::exceptions::PyRuntimeError;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use storyhash::{Article, Engine, EngineConfig, Linkage, ShingleKind};

use crate::convert::{self, Bad};
use crate::errors;
use crate::many;
use crate::values::{PyClusterInfo, PyGroup, PyStats, PyStoredArticle, PyTrend, PyVerdict};

/// The deduplication engine: in memory (``path=None``) or kept in a sled store directory, in the same
/// format as ``storyhash dedupe --db``, ``storyhash ingest`` and ``storyhash serve`` use. The directory
/// is made if missing; an existing one must be empty or a store's (one holding other files raises
/// ``StoreError``).
///
/// A new store records the settings that shape signatures (``shingle``, ``permutations``, ``bands``,
/// ``use_body``, ``seed``) and ``threshold``; reopened, every one of them left ``None`` takes the store's
/// value, and one given that would change the signatures or band keys raises ``StoreError`` (a
/// ``threshold`` of its own is taken when the bands it derives, or the ``bands`` given, are the store's). Unset in memory or for a new store:
/// ``threshold=0.5``, ``shingle="char5"`` (character 5-grams; ``"wordN"`` for word N-grams),
/// ``permutations=128``, bands derived from the threshold, ``use_body=True``. ``window`` (a
/// ``timedelta``, seconds or ``"7d"``) only lets articles match within that distance in time;
/// ``story_threshold`` is the cosine at which an article joins an open story, ``story_merge`` the
/// cosine between two stories' cores at which an article that matches both merges them, ``story_gap``
/// how long a story stays open after its latest article (one day when ``None``) and ``story_span`` after
/// its first (seven days), durations like ``window``; ``story_gap_articles`` (``None``: off), for articles
/// without ``published``, also closes a story to them once that many articles came after its latest
/// member (and ``story_span / story_gap`` times as many after its first): set it, to about a day's
/// articles, when feeding a file in time order whose articles have no times; ``linkage`` is ``"best"`` (join the best match's cluster) or ``"single"`` (merge
/// every cluster matched).
///
/// One engine is shared safely by many threads; a store is open in one engine at a time (a second
/// ``Engine`` on the same path raises ``StoreError``). Use it as a context manager, or call ``close()``,
/// to flush and release the store. Everything ingested is durable once ``flush()`` returns.
///
/// >>> import storyhash
/// >>> with storyhash.Engine() as engine:
/// ...     a = engine.ingest("a", "ECB unlikely to end sterilisation of SMP purchases - traders")
/// ...     b = engine.ingest("b", "ECB unlikely to end sterilization of SMP purchases: traders")
/// >>> b.status, b.duplicate_of, b.cluster == a.cluster
/// ('near_duplicate', 'a', True)
#[pyclass(frozen, module = "storyhash", name = "Engine")]
pub struct PyEngine {
    engine: RwLock<Option<Arc<Engine>>>,
    /// The calls running now, which `close()` waits for.
    calls: Calls,
    /// Held while `close()` runs, so that a second `close()` returns once the store is released.
    closing: Mutex<()>,
    path: Option<PathBuf>,
    /// The process that opened the engine. A process forked from it (`multiprocessing`'s default on
    /// Linux) holds a copy without the threads and with whatever locks they held: a call there would
    /// wait for ever, and a flush there would write the parent's buffers into the store a second time.
    opened_in: u32,
}

thread_local! {
    /// The engines (by the address of their `Calls`) with a call running on this thread: a `close()`
    /// from inside one of them (an iterable fed to `ingest_many` that closes its engine) would wait for
    /// itself.
    static RUNNING_HERE: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// How many calls of one engine are running, and a signal for when none is.
#[derive(Default)]
struct Calls {
    counts: Mutex<CallCounts>,
    idle: Condvar,
}

/// The calls running, and the `close()`s waiting for none to be: the last call to end signals only
/// when one waits (a signal is a system call, which every single `ingest` would otherwise pay).
#[derive(Default)]
struct CallCounts {
    running: usize,
    waiting: usize,
}

impl Calls {
    fn key(&self) -> usize {
        self as *const Calls as usize
    }

    /// Whether a call of this engine is running on the current thread.
    fn running_here(&self) -> bool {
        RUNNING_HERE.with(|r| r.borrow().contains(&self.key()))
    }

    /// Waits until no call is running.
    fn wait_idle(&self) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.waiting += 1;
        while counts.running > 0 {
            counts = self.idle.wait(counts).unwrap_or_else(|e| e.into_inner());
        }
        counts.waiting -= 1;
    }
}

/// One running call: the engine it works on, counted in [`Calls`] until it is dropped.
struct Call<'a> {
    /// Let go of before the call stops being counted, so that a `close()` waiting for the count finds
    /// the engine's last other holder gone. `None` only while dropped.
    engine: Option<Arc<Engine>>,
    calls: &'a Calls,
}

impl<'a> Call<'a> {
    fn begin(engine: Arc<Engine>, calls: &'a Calls) -> Call<'a> {
        calls
            .counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .running += 1;
        RUNNING_HERE.with(|r| r.borrow_mut().push(calls.key()));
        Call {
            engine: Some(engine),
            calls,
        }
    }

    /// The engine the call works on.
    fn engine(&self) -> &Engine {
        self.engine
            .as_deref()
            .expect("a call holds its engine until it is dropped")
    }
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        drop(self.engine.take());
        let key = self.calls.key();
        RUNNING_HERE.with(|r| {
            let mut r = r.borrow_mut();
            if let Some(i) = r.iter().rposition(|&k| k == key) {
                r.swap_remove(i);
            }
        });
        let mut counts = self.calls.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.running -= 1;
        if counts.running == 0 && counts.waiting > 0 {
            self.calls.idle.notify_all();
        }
    }
}

type Opt<'a, 'py> = Option<&'a Bound<'py, PyAny>>;

/// An optional argument's value, unless it was left out or given as `None`.
fn given<'py>(value: Opt<'_, 'py>) -> Option<Bound<'py, PyAny>> {
    value.filter(|v| !v.is_none()).cloned()
}

/// Setting `name` as `read` takes it, `None` when left out; a value of another type is a `TypeError`
/// naming the setting and what it takes (pyo3's own says neither).
fn setting<'py, T>(
    name: &str,
    expected: &str,
    value: Opt<'_, 'py>,
    read: impl FnOnce(&Bound<'py, PyAny>) -> PyResult<T>,
) -> PyResult<Option<T>> {
    given(value)
        .map(|v| {
            read(&v).map_err(|e| {
                if e.is_instance_of::<pyo3::exceptions::PyTypeError>(v.py()) {
                    pyo3::exceptions::PyTypeError::new_err(format!(
                        "`{name}`: expected {expected}, found {}",
                        convert::type_name(&v)
                    ))
                } else {
                    // The right type, a value it cannot take (an int past a float, a str that is
                    // not Unicode text).
                    errors::config(v.py(), name, e)
                }
            })
        })
        .transpose()
}

/// An article borrowing from the Python arguments.
fn article<'a>(
    id: &'a Bound<'_, PyAny>,
    title: &'a Bound<'_, PyAny>,
    body: Opt<'a, '_>,
    source: Opt<'a, '_>,
    url: Opt<'a, '_>,
    published: Opt<'a, '_>,
) -> Result<Article<'a>, Bad> {
    Ok(Article {
        id: convert::id(id)?,
        title: Cow::Borrowed(convert::title(title)?),
        body: convert::optional("body", body)?.map(Cow::Borrowed),
        source: convert::optional("source", source)?.map(Cow::Borrowed),
        url: convert::optional("url", url)?.map(Cow::Borrowed),
        published: convert::published(published)?,
    })
}

impl PyEngine {
    /// Whether this is a process forked from the one that opened the engine.
    fn forked(&self) -> bool {
        std::process::id() != self.opened_in
    }

    /// The error of a call in a forked process, which would otherwise wait for ever.
    fn refuse_forked(&self) -> PyResult<()> {
        if self.forked() {
            return Err(PyRuntimeError::new_err(format!(
                "this Engine was opened in process {}, and this process was forked from it \
                 (multiprocessing's default on Linux): an Engine cannot be shared across a fork; open \
                 one in each worker started with the 'spawn' or 'forkserver' start method",
                self.opened_in
            )));
        }
        Ok(())
    }

    /// The engine, or the closed-engine error.
    fn shared(&self) -> PyResult<Arc<Engine>> {
        self.refuse_forked()?;
        self.engine
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(errors::closed)
    }

    /// Starts a call on the engine, which `close()` waits for; the closed-engine error once closed.
    fn begin(&self) -> PyResult<Call<'_>> {
        self.refuse_forked()?;
        // Counted while the engine is read: a `close()` takes it under the write lock, so it either
        // finds this call counted or this call finds the engine closed.
        let engine = self.engine.read().unwrap_or_else(|e| e.into_inner());
        let shared = engine.clone().ok_or_else(errors::closed)?;
        Ok(Call::begin(shared, &self.calls))
    }

    /// Runs `f` on the engine without holding the interpreter, mapping its error.
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Engine) -> storyhash::Result<T> + Send,
    ) -> PyResult<T> {
        let call = self.begin()?;
        py.detach(move || f(call.engine()))
            .map_err(|e| errors::to_py(py, e))
    }

    /// `resolve(engine, id)` of a cluster or story id given as a Python number: an id beyond 64 bits,
    /// which no group ever had, is itself, as an id the engine never gave is.
    fn resolve_with<'py>(
        &self,
        py: Python<'py>,
        id: &Bound<'py, PyAny>,
        name: &str,
        resolve: fn(&Engine, u64) -> u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (small, whole) = convert::of_argument(py, name, convert::natural_within(id))?;
        match self.run(py, |e| Ok(small.map(|id| resolve(e, id))))? {
            Some(now) => Ok(now.into_pyobject(py)?.into_any()),
            None => Ok(whole),
        }
    }
}

/// The process that made the first `Engine` (0: none yet). The engine works on threads (a pool of them,
/// a store's writers) that a fork does not copy while it copies the bookkeeping of them: an `Engine`
/// made in a forked child would wait for ever on threads that are not there.
static ENGINES_MADE_IN: AtomicU32 = AtomicU32::new(0);

/// Why a store refused the settings asked for, in the keywords that asked for them: which to leave
/// out to take the store's (the library's message speaks of settings in general).
fn mismatch(
    path: &std::path::Path,
    field: &str,
    stored: &str,
    requested: &str,
    threshold: Option<f64>,
    bands_given: bool,
) -> String {
    let dir = path;
    let path = path.display();
    match field {
        "bands" | "rows" if bands_given => format!(
            "the store at {path} was created with {field} = {stored}, but `bands` gives {field} = \
             {requested}; leave `bands` out to take the store's, or use a new store"
        ),
        "bands" | "rows" => {
            let requested = requested.split(' ').next().unwrap_or(requested);
            // The store's own bands and rows and threshold, read from its settings alone.
            let own = Engine::store_bands(dir)
                .map(|(b, r, t)| format!(" (bands=({b}, {r}); its threshold is {t})"))
                .unwrap_or_default();
            format!(
                "the store at {path} was created with {field} = {stored}, but threshold={} gives \
                 {field} = {requested}; leave `threshold` out to take the store's, give `bands` to \
                 match the store{own}, or use a new store",
                threshold.unwrap_or_default()
            )
        }
        "shingle" | "permutations" | "use_body" | "seed" => format!(
            "the store at {path} was created with {field} = {stored}, but this engine asks for \
             {field} = {requested}; leave `{field}` out to take the store's, or use a new store"
        ),
        // Not a keyword (how texts are normalised): a store written by another storyhash.
        _ => format!(
            "the store at {path} was written with {field} = {stored}, but this storyhash uses \
             {field} = {requested}; open it with the storyhash that wrote it, or use a new store"
        ),
    }
}

#[pymethods]
impl PyEngine {
    #[new]
    // Integer settings are read in the body, so that one out of range is a `ConfigError` naming it
    // rather than an `OverflowError`; the text signature shows their defaults.
    #[pyo3(
        signature = (
            path=None, *, threshold=None, shingle=None, permutations=None, bands=None, use_body=None,
            seed=None, window=None, story_threshold=None, story_merge=None, story_gap=None,
            story_span=None, story_gap_articles=None, linkage=None, min_shingles=None,
            bucket_cap=None, max_field_bytes=None,
        ),
        text_signature = "(path=None, *, threshold=None, shingle=None, permutations=None, bands=None, \
            use_body=None, seed=None, window=None, story_threshold=0.15, story_merge=0.3, \
            story_gap=None, story_span=None, story_gap_articles=None, linkage='best', min_shingles=3, \
            bucket_cap=64, max_field_bytes=4194304)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        #[pyo3(from_py_with = convert::store_path)] path: Option<PathBuf>,
        threshold: Opt<'_, '_>,
        shingle: Opt<'_, '_>,
        permutations: Opt<'_, '_>,
        bands: Opt<'_, '_>,
        use_body: Opt<'_, '_>,
        seed: Opt<'_, '_>,
        window: Opt<'_, '_>,
        story_threshold: Opt<'_, '_>,
        story_merge: Opt<'_, '_>,
        story_gap: Opt<'_, '_>,
        story_span: Opt<'_, '_>,
        story_gap_articles: Opt<'_, '_>,
        linkage: Opt<'_, '_>,
        min_shingles: Opt<'_, '_>,
        bucket_cap: Opt<'_, '_>,
        max_field_bytes: Opt<'_, '_>,
    ) -> PyResult<PyEngine> {
        let this_process = std::process::id();
        match ENGINES_MADE_IN.load(Ordering::Acquire) {
            0 => {}
            first if first == this_process => {}
            first => {
                return Err(PyRuntimeError::new_err(format!(
                    "this process was forked from process {first} after that one made an Engine \
                     (multiprocessing's default on Linux): the engine's threads do not survive a \
                     fork, and an Engine made here would wait for ever on them; make Engines in \
                     workers started with the 'spawn' or 'forkserver' start method, or fork before \
                     the first Engine is made"
                )));
            }
        }
        let defaults = EngineConfig::default();
        // A number, but not `True` (a Python `bool` is an `int`, and would read as 1.0).
        let number = |v: &Bound<'_, PyAny>| -> PyResult<f64> {
            if v.is_instance_of::<pyo3::types::PyBool>() {
                return Err(pyo3::exceptions::PyTypeError::new_err("a bool"));
            }
            v.extract::<f64>()
        };
        let threshold = setting("threshold", "a number", threshold, number)?;
        let story_threshold = setting("story_threshold", "a number", story_threshold, number)?
            .unwrap_or(defaults.story_threshold);
        let story_merge = setting("story_merge", "a number", story_merge, number)?
            .unwrap_or(defaults.story_merge);
        let use_body = setting("use_body", "True or False", use_body, |v| {
            Ok(v.cast::<pyo3::types::PyBool>()?.is_true())
        })?;
        let shingle = setting("shingle", "a str", shingle, |v| v.extract::<String>())?;
        let linkage = setting("linkage", "a str", linkage, |v| v.extract::<String>())?;
        // An integer setting: `None` when not given, else within `0..=max`.
        let whole = |name: &str, value: Opt<'_, '_>, max: u64| -> PyResult<Option<u64>> {
            match value {
                Some(v) if !v.is_none() => {
                    Ok(Some(convert::whole(py, name, v, 0, max.into())? as u64))
                }
                _ => Ok(None),
            }
        };
        let most = usize::MAX as u64;
        let permutations = whole("permutations", permutations, most)?.map(|n| n as usize);
        let seed = whole("seed", seed, u64::MAX)?;
        let min_shingles = whole("min_shingles", min_shingles, most)?
            .map_or(defaults.min_shingles, |n| n as usize);
        let bucket_cap =
            whole("bucket_cap", bucket_cap, most)?.map_or(defaults.bucket_cap, |n| n as usize);
        let max_field_bytes = whole("max_field_bytes", max_field_bytes, most)?
            .map_or(defaults.max_field_bytes, |n| n as usize);
        // Bands and rows.
        let bands = match bands {
            Some(b) if !b.is_none() => {
                // Any sequence of two: a tuple, or a list as JSON gives it.
                let [bands, rows] = b.extract::<[Bound<'_, PyAny>; 2]>().map_err(|_| {
                    // A sequence of another length is named with its length: "found tuple" alone
                    // reads as if a tuple were wrong.
                    let found = match b.len() {
                        Ok(n) if !b.is_instance_of::<pyo3::types::PyString>() => {
                            format!("{} of {n}", convert::type_name(b))
                        }
                        _ => convert::type_name(b),
                    };
                    pyo3::exceptions::PyTypeError::new_err(format!(
                        "`bands`: expected (bands, rows), two integers, found {found}"
                    ))
                })?;
                Some((
                    convert::whole(py, "bands", &bands, 0, most.into())? as usize,
                    convert::whole(py, "bands", &rows, 0, most.into())? as usize,
                ))
            }
            _ => None,
        };
        let shingle = shingle
            .as_deref()
            .map(ShingleKind::parse)
            .transpose()
            .map_err(|e| errors::to_py(py, e.into()))?;
        let linkage = match linkage.as_deref().unwrap_or("best") {
            "best" => Linkage::Best,
            "single" => Linkage::Single,
            other => {
                return Err(errors::config(
                    py,
                    "linkage",
                    format!("`{other}` is not a linkage; use \"best\" or \"single\""),
                ))
            }
        };
        let window = match window {
            Some(w) if !w.is_none() => Some(convert::duration(py, "window", w)?),
            _ => None,
        };
        let story_gap_articles = match story_gap_articles {
            Some(n) if !n.is_none() => {
                Some(convert::whole(py, "story_gap_articles", n, 1, u32::MAX.into())? as u32)
            }
            _ => None,
        };
        let story_gap = match story_gap {
            Some(g) if !g.is_none() => convert::duration(py, "story_gap", g)?,
            _ => defaults.story_gap,
        };
        let story_span = match story_span {
            Some(s) if !s.is_none() => convert::duration(py, "story_span", s)?,
            _ => defaults.story_span,
        };
        let config = EngineConfig {
            threshold,
            shingle,
            permutations,
            bands,
            use_body,
            seed,
            min_shingles,
            bucket_cap,
            max_field_bytes,
            linkage,
            window,
            story_threshold,
            story_merge,
            story_gap,
            story_span,
            story_gap_articles,
        };
        let opened = py.detach(|| match &path {
            Some(p) => Engine::open(p, config),
            None => Engine::in_memory(config),
        });
        let engine = opened.map_err(|e| match &e {
            storyhash::Error::Store(storyhash::StoreError::ParamMismatch {
                path,
                field,
                stored,
                requested,
            }) => {
                let message = mismatch(path, field, stored, requested, threshold, bands.is_some());
                errors::with_message(py, &e, message)
            }
            _ => errors::to_py(py, e),
        })?;
        // Marked once an engine exists: a refused one (a bad setting, a store in use) started nothing.
        let _ =
            ENGINES_MADE_IN.compare_exchange(0, this_process, Ordering::AcqRel, Ordering::Acquire);
        Ok(PyEngine {
            engine: RwLock::new(Some(Arc::new(engine))),
            calls: Calls::default(),
            closing: Mutex::new(()),
            path,
            opened_in: std::process::id(),
        })
    }

    /// Decides on one article and stores it; returns its ``Verdict``.
    ///
    /// ``id`` is a string or an integer, unique within a store; ``title`` the headline; ``body`` (used
    /// for matching when present), ``source`` (a trailing " - Source" in the title is dropped when it
    /// names it), ``url`` and ``published`` are optional. ``published`` is a string (RFC 3339, RFC 2822
    /// as RSS writes it, a date such as ``2014-03-10`` or ``March 10, 2014``, Unix seconds,
    /// milliseconds, microseconds or nanoseconds), such a
    /// number, a ``datetime`` (naive ones are local time), a ``date`` or NumPy's ``datetime64`` (UTC);
    /// without one, the article's time
    /// is its arrival. So is it for a ``published`` text in no form read (``"yesterday"``), or a time
    /// more than a day ahead: stored as given, not raised, counted in ``stats().unreadable_times``.
    ///
    /// Ingesting a stored id again with the same text answers its verdict as it stands now, with
    /// ``repeat`` true, and changes nothing; with another text it raises ``ArticleError``. An empty id or title, or a field over
    /// ``max_field_bytes``, raises ``ArticleError``; a value of the wrong type ``TypeError``.
    #[pyo3(signature = (id, title, *, body=None, source=None, url=None, published=None))]
    // The arguments are the Python signature: an article's fields.
    #[allow(clippy::too_many_arguments)]
    fn ingest(
        &self,
        py: Python<'_>,
        id: &Bound<'_, PyAny>,
        title: &Bound<'_, PyAny>,
        body: Opt<'_, '_>,
        source: Opt<'_, '_>,
        url: Opt<'_, '_>,
        published: Opt<'_, '_>,
    ) -> PyResult<Py<PyVerdict>> {
        let article = article(id, title, body, source, url, published)
            .map_err(|bad| bad.into_err(py, None))?;
        let verdict = self.run(py, |e| e.ingest(&article))?;
        PyVerdict::untracked(py, verdict)
    }

    /// Ingests every record of an iterable (a list, a generator, a file read line by line …) and returns
    /// their verdicts in order, the same as ingesting them one at a time.
    ///
    /// A record is a dict (or any mapping) with ``id`` and ``title`` and optionally ``body``, ``source``,
    /// ``url`` and ``published``, other keys ignored, an ``(id, title)`` pair, or such an object as JSON
    /// text (``str`` or ``bytes``): the lines of a JSON Lines file opened in binary mode are read by the
    /// engine, with no ``json.loads`` in Python (``engine.ingest_many(open("crawl.jsonl", "rb"))``, or a
    /// queue's messages). As in the CLI, a line of white space alone is no record (it gets
    /// no verdict), a byte order mark before a line's object is dropped, and an object without an
    /// ``id`` (or with ``"id": null``) takes its position in the iterable counted from 1, a file's line
    /// number. ``fields`` names the key a field is read from where it is not the field's own name, in
    /// dicts and JSON text alike, as the CLI's ``--id-field`` and the others do:
    /// ``fields={"id": "url", "published": "fetched_at", "body": "description"}`` (a key may feed
    /// several fields; a record without the key named for its id is refused, not numbered by its
    /// position). Records are read in
    /// chunks of ``batch_size``, prepared on all cores and decided in order, without holding the
    /// interpreter while the engine works, so other threads run meanwhile; the iterable is never read
    /// whole into memory (the verdicts are). The default chunk, 50,000 records, is about what the CLI
    /// decides at a time; smaller chunks spend more of the run handing work between threads. A chunk is
    /// decided once it is full or the iterable ends: from an iterable that waits for its records (a
    /// queue's ``get``), none is stored, and ``close()`` from another thread waits, until a chunk's
    /// worth has come; there ``ingest`` each message as it comes, or give a small ``batch_size``.
    ///
    /// A record that cannot be ingested raises (``ArticleError``, or ``TypeError`` for a Python value of
    /// the wrong type; in JSON text a field of the wrong type is an ``ArticleError``) with a message
    /// starting ``record N:``, N its position in the iterable counted from 0, and the attributes
    /// ``index`` (N), ``verdicts`` (those of the records before it, all stored) and ``pending`` (the
    /// records taken from the iterable after it, which may or may not be stored: each as a dict of the
    /// fields read, ``id``,
    /// ``title`` and those given of ``body``, ``source``, ``url`` and ``published`` (under the keys
    /// ``fields`` names, so that they are read again alike), a time as its text,
    /// for a record's own object is let go of once read; a record that could not be read as it was
    /// given). A record that cannot be
    /// read stops everything after it; an id refused while deciding (stored with another text) lets the
    /// rest of its chunk be stored. Either way, feeding ``pending`` and then the rest of the iterable
    /// again is safe: a record stored already answers its verdict and changes nothing. When the iterable
    /// itself raises, or Ctrl-C interrupts, that exception propagates once the records taken before are
    /// stored, with the same three attributes (``index`` the position where it stopped); so does a
    /// ``ValueError`` when another thread calls ``close()``, which stops the call before its next chunk.
    #[pyo3(signature = (items, *, batch_size=None, fields=None), text_signature = "($self, items, *, batch_size=50000, fields=None)")]
    fn ingest_many(
        &self,
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        batch_size: Opt<'_, '_>,
        fields: Opt<'_, '_>,
    ) -> PyResult<Vec<Py<PyVerdict>>> {
        let batch_size = match batch_size {
            Some(b) if !b.is_none() => {
                convert::whole(py, "batch_size", b, 1, u32::MAX.into())? as usize
            }
            _ => 50_000,
        };
        let keys = many::Keys::new(py, field_names(py, fields)?);
        // A string or bytes is an iterable of characters: most often a file's name or its whole text.
        if items.is_instance_of::<pyo3::types::PyString>()
            || items.is_instance_of::<pyo3::types::PyBytes>()
            || items.is_instance_of::<pyo3::types::PyByteArray>()
            || items.is_instance_of::<pyo3::types::PyMemoryView>()
        {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "ingest_many takes an iterable of records, not one string: to read a JSON Lines file, \
                 pass the open file (`engine.ingest_many(open(path, \"rb\"))`); a text's lines as \
                 `text.splitlines()`",
            ));
        }
        if items.hasattr(pyo3::intern!(py, "__fspath__"))? {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "ingest_many takes an iterable of records, not a path: to read a JSON Lines file, pass \
                 the open file (`engine.ingest_many(open(path, \"rb\"))`)",
            ));
        }
        // A mapping is an iterable of its keys, and a pair of two strings one of them, neither JSON:
        // one record given alone.
        let one_pair = items.cast::<pyo3::types::PyTuple>().is_ok_and(|t| {
            t.len() == 2
                && t.iter().all(|item| {
                    item.cast::<pyo3::types::PyString>().is_ok_and(|s| {
                        s.to_str().is_ok_and(|s| {
                            // As a record's text is read: a byte order mark before it dropped.
                            !s.trim_start_matches('\u{feff}')
                                .trim_start()
                                .starts_with('{')
                        })
                    })
                })
        });
        if items.is_instance_of::<pyo3::types::PyDict>() || one_pair {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "ingest_many takes an iterable of records, not one record: pass a list of them \
                 (`[record]`), or call ingest",
            ));
        }
        let call = self.begin()?;
        // A `close()` takes the engine out before it waits for the calls running.
        many::ingest_many(py, call.engine(), items, batch_size, &keys, &|| {
            self.closed()
        })
    }

    /// The verdict this article would get, storing nothing. For an article that would found a cluster,
    /// ``cluster`` and ``story`` are the ids it would take if ingested next. ``story`` is the story it
    /// would join: an article that also bridges that story to another makes the younger merge into the
    /// older when it is ingested, and the ingest then answers the older (``resolve_story`` of the
    /// queried story gives it afterwards). With ``id`` ``None`` (or blank), the headline is judged by
    /// its text alone (no stored article's id is looked up) and the verdict's ``id`` is ``None``.
    #[pyo3(signature = (id, title, *, body=None, source=None, url=None, published=None))]
    // The arguments are the Python signature: an article's fields.
    #[allow(clippy::too_many_arguments)]
    fn query(
        &self,
        py: Python<'_>,
        id: &Bound<'_, PyAny>,
        title: &Bound<'_, PyAny>,
        body: Opt<'_, '_>,
        source: Opt<'_, '_>,
        url: Opt<'_, '_>,
        published: Opt<'_, '_>,
    ) -> PyResult<Py<PyVerdict>> {
        // No id, or a blank one: the text alone is asked about.
        let unnamed = id.is_none()
            || id
                .cast::<pyo3::types::PyString>()
                .is_ok_and(|s| s.to_str().is_ok_and(|s| s.trim().is_empty()));
        let no_id;
        let id = match unnamed {
            true => {
                no_id = pyo3::types::PyString::new(py, "").into_any();
                &no_id
            }
            false => id,
        };
        let article = article(id, title, body, source, url, published)
            .map_err(|bad| bad.into_err(py, None))?;
        let verdict = match unnamed {
            true => self.run(py, |e| e.query_text(&article))?,
            false => self.run(py, |e| e.query(&article))?,
        };
        PyVerdict::untracked(py, verdict)
    }

    /// The stored article with this id and where it stands now (a ``StoredArticle``), or ``None``.
    fn get(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<Option<PyStoredArticle>> {
        let id = convert::id(id).map_err(|bad| bad.into_err(py, None))?;
        self.run(py, |e| e.get(&id))
            .map(|s| s.map(PyStoredArticle::from))
    }

    /// Cluster ``id`` (or the one it merged into) as a ``Group``: its time span, sources and members
    /// from ``offset`` on, at most ``limit`` of them; ``None`` when it has no live member.
    #[pyo3(signature = (id, *, offset=0, limit=100))]
    fn cluster(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = convert::group_id)] id: u64,
        #[pyo3(from_py_with = convert::offset)] offset: usize,
        #[pyo3(from_py_with = convert::limit)] limit: usize,
    ) -> PyResult<Option<PyGroup>> {
        self.run(py, |e| e.cluster_detail(id, offset, limit))
            .map(|c| c.map(PyGroup::from))
    }

    /// Story ``id`` as a ``Group``: every article about one event, worded alike or not, with its time
    /// span, sources and members from ``offset`` on, at most ``limit``; ``None`` when it has none.
    #[pyo3(signature = (id, *, offset=0, limit=100))]
    fn story(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = convert::group_id)] id: u64,
        #[pyo3(from_py_with = convert::offset)] offset: usize,
        #[pyo3(from_py_with = convert::limit)] limit: usize,
    ) -> PyResult<Option<PyGroup>> {
        self.run(py, |e| e.story_detail(id, offset, limit))
            .map(|c| c.map(PyGroup::from))
    }

    /// Every cluster with at least ``min_size`` live members, ordered by id, as ``ClusterInfo``s (the
    /// lines of ``storyhash dedupe --clusters``).
    #[pyo3(signature = (*, min_size=1))]
    fn clusters(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = convert::min_size)] min_size: u64,
    ) -> PyResult<Vec<PyClusterInfo>> {
        let all = self.run(py, |e| e.clusters())?;
        Ok(all
            .into_iter()
            .filter(|c| c.size >= min_size)
            .map(PyClusterInfo::from)
            .collect())
    }

    /// The clusters with the most members whose time is at or after ``since``, most first, at most
    /// ``limit``, as ``Trend``s. ``since`` is a ``datetime``, a ``date``, Unix seconds (ten digits since
    /// 2001: a smaller positive number is refused as a likely age, 0 is the epoch), a ``timedelta`` or a
    /// duration string (``"24h"``, ``"7d"``) meaning that long ago, or an RFC 3339 string; by default 24
    /// hours ago.
    #[pyo3(signature = (since=None, *, limit=20))]
    fn trending(
        &self,
        py: Python<'_>,
        since: Opt<'_, '_>,
        #[pyo3(from_py_with = convert::limit)] limit: usize,
    ) -> PyResult<Vec<PyTrend>> {
        let since = match since {
            Some(s) if !s.is_none() => convert::point_in_time(py, "since", s)?,
            _ => storyhash::Timestamp::now().before(std::time::Duration::from_secs(86_400)),
        };
        let trends = self.run(py, |e| e.trending(since, limit))?;
        Ok(trends.into_iter().map(PyTrend::from).collect())
    }

    /// The cluster an earlier cluster id belongs to now (itself unless it merged into an older one).
    fn resolve<'py>(
        &self,
        py: Python<'py>,
        cluster: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.resolve_with(py, cluster, "cluster", Engine::resolve)
    }

    /// The story an earlier story id belongs to now (itself unless it merged into an older one).
    fn resolve_story<'py>(
        &self,
        py: Python<'py>,
        story: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.resolve_with(py, story, "story", Engine::resolve_story)
    }

    /// Removes an article from its cluster and the index (the store keeps a tombstone, so that its
    /// number is never reused); returns whether it was there.
    fn remove(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<bool> {
        let id = convert::id(id).map_err(|bad| bad.into_err(py, None))?;
        self.run(py, |e| e.remove(&id))
    }

    /// Drops every article whose time (publication, else arrival) is before ``before`` and returns how
    /// many went. ``before`` is a ``datetime``, a ``date`` (its midnight, UTC), a time as text in any
    /// form ``published`` takes (``"2025-09-01T00:00:00Z"``) or Unix seconds, or an age: a
    /// ``timedelta`` or a duration string such as ``"30d"`` (articles older than that go; at least a
    /// minute, as ``storyhash prune`` asks). Durable after the next ``flush()``.
    fn prune(&self, py: Python<'_>, before: &Bound<'_, PyAny>) -> PyResult<u64> {
        let before = convert::prune_point(py, "before", before)?;
        self.run(py, |e| e.prune(before))
    }

    /// Makes everything ingested so far durable.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        self.run(py, |e| e.flush())
    }

    /// Counters of what the engine holds, as ``Stats``.
    fn stats(&self, py: Python<'_>) -> PyResult<PyStats> {
        self.run(py, |e| Ok(e.stats())).map(PyStats::from)
    }

    /// What the engine holds at a glance, as a dict: ``articles``, ``clusters`` and ``stories`` with a
    /// live member, and the ``oldest`` and ``newest`` article times (UTC ``datetime``, ``None`` when
    /// empty). The first call on an opened store reads every article's listing once (as the daemon's
    /// first listing does); later calls are kept up to date as articles come and go.
    fn overview<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let o = self.run(py, |e| Ok(e.overview()))?;
        let d = PyDict::new(py);
        d.set_item("articles", o.articles)?;
        d.set_item("clusters", o.clusters)?;
        d.set_item("stories", o.stories)?;
        let time =
            |t: Option<storyhash::Timestamp>| t.map(|t| crate::values::datetime(py, t)).transpose();
        d.set_item("oldest", time(o.oldest)?)?;
        d.set_item("newest", time(o.newest)?)?;
        Ok(d)
    }

    /// The settings the engine runs with (the caller's, the store's, or the defaults), as a dict.
    #[getter]
    fn settings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        // Read as a call, which a `close()` waits for, then let go of.
        let config = self.begin()?.engine().config().clone();
        let config = &config;
        let p = &config.params;
        let d = PyDict::new(py);
        d.set_item("threshold", config.threshold())?;
        d.set_item("shingle", p.shingle.name())?;
        d.set_item("permutations", p.permutations)?;
        d.set_item("bands", (p.bands, p.rows))?;
        d.set_item("use_body", p.use_body)?;
        d.set_item("seed", p.seed)?;
        d.set_item("window", config.window().map(|w| w.as_secs()))?;
        d.set_item("story_threshold", config.story_threshold())?;
        d.set_item("story_merge", config.story_merge())?;
        d.set_item("story_gap", config.story_gap().as_secs())?;
        d.set_item("story_span", config.story_span().as_secs())?;
        d.set_item("story_gap_articles", config.story_gap_articles())?;
        d.set_item("linkage", config.linkage().name())?;
        d.set_item("min_shingles", config.min_shingles())?;
        d.set_item("bucket_cap", config.bucket_cap())?;
        d.set_item("max_field_bytes", config.max_field_bytes())?;
        Ok(d)
    }

    /// The store directory, or ``None`` in memory.
    #[getter]
    fn path(&self) -> Option<PathBuf> {
        self.path.clone()
    }

    /// True once ``close()`` has run.
    #[getter]
    fn closed(&self) -> bool {
        self.engine
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
    }

    /// Flushes and releases the store; later calls raise ``ValueError``. Closing twice does nothing.
    /// Calls running in other threads finish first: ``close()`` returns once they have and the store is
    /// released (a call that starts meanwhile raises ``ValueError``; an ``ingest_many`` stops after the
    /// chunks it has taken, raising ``ValueError`` with the ``index`` and ``verdicts`` of what it
    /// stored). If the flush fails, the store is
    /// released all the same and the ``StoreError`` raised: a store whose writes failed (a full disk)
    /// fails every later one until it is opened again, and what the last flush that returned made
    /// durable is there when it is. Calling ``close()`` from inside
    /// a call of the same engine (an iterable fed to ``ingest_many``) raises ``RuntimeError``.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        if self.calls.running_here() {
            return Err(PyRuntimeError::new_err(
                "close() called from inside a call of the same engine (an iterable fed to \
                 ingest_many?), which would wait for itself; close it after that call returns",
            ));
        }
        if self.forked() {
            // The copy a fork made is let go of without a flush: the store is the parent's to write.
            // (Not waited for: a lock the parent held at the fork stays held here.)
            if let Ok(mut guard) = self.engine.try_write() {
                std::mem::forget(guard.take());
            }
            return Ok(());
        }
        let (calls, closing, engine) = (&self.calls, &self.closing, &self.engine);
        py.detach(|| {
            let _closing = closing.lock().unwrap_or_else(|e| e.into_inner());
            let taken = engine.write().unwrap_or_else(|e| e.into_inner()).take();
            let Some(taken) = taken else { return Ok(()) };
            calls.wait_idle();
            // Released whether or not the flush succeeds: a store that failed a write (sled keeps its
            // first I/O error) fails every later one, so keeping it open would only keep it from being
            // opened again.
            let flushed = taken.flush();
            drop(taken);
            flushed
        })
        .map_err(|e| errors::to_py(py, e))
    }

    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        // As a closed file does: a closed engine is no context to enter.
        slf.get().shared()?;
        Ok(slf)
    }

    /// Flushes and closes the engine.
    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        let state = if self.closed() { ", closed" } else { "" };
        match &self.path {
            Some(p) => format!(
                "Engine(path={}{state})",
                crate::values::repr_str(&p.display().to_string())
            ),
            None => format!("Engine(in memory{state})"),
        }
    }
}

impl Drop for PyEngine {
    fn drop(&mut self) {
        // An engine dropped without close() still makes what it acknowledged durable, without holding
        // the interpreter meanwhile (no call is running: each holds the object).
        let taken = self
            .engine
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if self.forked() {
            // A forked process's copy: its threads are gone and the store is the parent's to write.
            std::mem::forget(taken);
            return;
        }
        if let Some(engine) = taken {
            Python::attach(|py| {
                py.detach(move || {
                    let _ = engine.flush();
                    drop(engine);
                })
            });
        }
    }
}

/// The keys `ingest_many`'s `fields` names (`{"id": "url", "published": "fetched_at"}`): each field
/// named is read from its key, the others from their own names.
fn field_names(py: Python<'_>, fields: Opt<'_, '_>) -> PyResult<storyhash::io::FieldNames> {
    let mut names = storyhash::io::FieldNames::default();
    let Some(fields) = fields.filter(|f| !f.is_none()) else {
        return Ok(names);
    };
    let Ok(mapping) = fields.cast::<pyo3::types::PyMapping>() else {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "`fields`: expected a dict of field to key, such as {{\"id\": \"url\"}}, found {}",
            convert::type_name(fields)
        )));
    };
    for pair in mapping.items()?.iter() {
        let (field, key): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair.extract()?;
        let text = |value: &Bound<'_, PyAny>, what: &str| -> PyResult<String> {
            value.extract::<String>().map_err(|_| {
                pyo3::exceptions::PyTypeError::new_err(format!(
                    "`fields`: expected {what} as a string, found {}",
                    convert::type_name(value)
                ))
            })
        };
        let (field, key) = (text(&field, "each field")?, text(&key, "each key")?);
        names
            .name(&field, &key)
            .map_err(|e| errors::config(py, "fields", e))?;
    }
    Ok(names)
}
