//! The on-disk store, on sled: the only module that names sled types. Layout: tree `records` maps an
//! article number (u32, big-endian) to its encoded record (see `codec`), or to a pack of records numbered
//! from it on up to the next key (see [`pack`]), so that records arrive at the end of the tree as they
//! are numbered and a scan reads them in number order; tree `links` maps a merged cluster (u32,
//! big-endian) to the cluster it merged into, and a merged story (`s` then u32, big-endian) to the story
//! it merged into, the article that made the merge and the story that article joined (u32 each,
//! big-endian; older stores hold the first alone); the default tree holds `params`, the signature
//! parameters as `name=value` lines, `log_position`, the shared-log position of a node (text),
//! `index_buckets`, the most buckets a band table held at the last flush (a hint for the rebuild at open),
//! `flushes`, how many flushes the files hold (checked at open against the mark beside them, see
//! `flush_mark`), and `layout`, [`LAYOUT`]. Stores written before it kept records in a tree `articles`
//! under their ids; open moves them (see [`SledStore::open`]). sled writes in the background; only
//! [`Store::flush`] makes writes durable, and the engine acknowledges nothing durable before it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{codec, flush_mark, Links, RecordBatch, RecordChunk, Store, LOAD_CHUNK};
use crate::error::StoreError;
use crate::story::StoryMerge;

/// The value of the default tree's `layout` key in a store whose records are keyed by number. A store
/// without it is new, or keeps its records under their ids in tree `articles` (the layout before).
const LAYOUT: &str = "records by number";

/// The default tree's key for [`Store::index_buckets`] (u64, big-endian).
const INDEX_BUCKETS: &str = "index_buckets";

/// The default tree's key for the flushes made (u64, big-endian), which [`flush_mark`] marks beside the
/// files as each returns.
const FLUSHES: &str = "flushes";

/// The tree of records written before [`LAYOUT`], keyed by id.
const BY_ID: &str = "articles";

/// A record's key: its article number, big-endian, so that keys sort as numbers.
fn record_key(seq: u32) -> [u8; 4] {
    seq.to_be_bytes()
}

/// The first byte of a value of tree `records` that packs several records; a lone record's first byte
/// is its codec version (1 to 4).
const PACK: u8 = 0xFF;

/// Records of one batch packed into one value at most. sled copies a leaf's entries on every insert
/// and splits a leaf every sixteen entries: a pack costs that once for many records.
const PACK_RECORDS: usize = 64;

/// Bytes of records packed into one value at most (a record larger than this is stored alone). sled
/// writes a leaf of up to seventeen entries whole when it splits it, and any write over 128 KiB (a
/// quarter of its log segment) to a file of its own: seventeen packs must stay under that.
const PACK_BYTES: usize = 6 << 10;

/// Packs records, in increasing number order, into one value: [`PACK`], then per record its number
/// (u32, big-endian), its length (u32, big-endian) and its bytes. Stored under the first one's number.
fn pack<'a, I>(records: I) -> Vec<u8>
where
    I: IntoIterator<Item = (u32, &'a [u8])>,
    I::IntoIter: Clone,
{
    let records = records.into_iter();
    let bytes: usize = records.clone().map(|(_, r)| 8 + r.len()).sum();
    let mut value = Vec::with_capacity(1 + bytes);
    value.push(PACK);
    for (seq, record) in records {
        value.extend_from_slice(&seq.to_be_bytes());
        value.extend_from_slice(&(record.len() as u32).to_be_bytes());
        value.extend_from_slice(record);
    }
    value
}

/// The records of the value stored under `key` in tree `records`, `(number, record)` in number order:
/// a lone record (numbered by its key) or a pack. Nothing in a pack is trusted: a length that runs past
/// the value, or numbers out of order, is an error naming the key.
fn unpack<'a>(key: &[u8], value: &'a [u8]) -> Result<Vec<(u32, &'a [u8])>, StoreError> {
    let corrupt = |message: &str| StoreError::Corrupt {
        key: format!("records/{key:?}"),
        message: message.to_string(),
    };
    let first: [u8; 4] = key
        .try_into()
        .map_err(|_| corrupt("a record key is 4 bytes"))?;
    if value.first() != Some(&PACK) {
        return Ok(vec![(u32::from_be_bytes(first), value)]);
    }
    let mut records = Vec::new();
    let mut rest = &value[1..];
    while !rest.is_empty() {
        let number = |bytes: &[u8]| bytes.try_into().map(u32::from_be_bytes);
        let (Some(seq), Some(len)) = (
            rest.get(..4).and_then(|b| number(b).ok()),
            rest.get(4..8).and_then(|b| number(b).ok()),
        ) else {
            return Err(corrupt("a packed record's header is cut short"));
        };
        let record = rest
            .get(8..8 + len as usize)
            .ok_or_else(|| corrupt("a packed record runs past the end of its pack"))?;
        let in_order = match records.last() {
            Some(&(before, _)) => seq > before,
            None => seq == u32::from_be_bytes(first),
        };
        if !in_order {
            return Err(corrupt(
                "a pack's records are not numbered upward from its key",
            ));
        }
        records.push((seq, record));
        rest = &rest[8 + len as usize..];
    }
    if records.is_empty() {
        return Err(corrupt("an empty pack"));
    }
    Ok(records)
}

/// The first byte of a story link's key (a cluster link's key is the bare 4-byte number).
const STORY_LINK: u8 = b's';

/// A story link's value: the story merged into, then the article that made the merge and the story it
/// joined (each u32, big-endian). Stores written before the last two were recorded hold the first alone.
fn story_link_value(merge: &StoryMerge) -> Vec<u8> {
    let mut value = merge.into.to_be_bytes().to_vec();
    if let Some((article, joined)) = merge.made_by {
        value.extend_from_slice(&article.to_be_bytes());
        value.extend_from_slice(&joined.to_be_bytes());
    }
    value
}

/// Reads a story link's value (see [`story_link_value`]); `None` when it has neither length.
fn story_link(from: u32, value: &[u8]) -> Option<StoryMerge> {
    let number = |i: usize| Some(u32::from_be_bytes(value.get(i..i + 4)?.try_into().ok()?));
    let made_by = match value.len() {
        4 => None,
        12 => Some((number(4)?, number(8)?)),
        _ => return None,
    };
    Some(StoryMerge {
        from,
        into: number(0)?,
        made_by,
    })
}

/// A sled database opened at a directory.
pub struct SledStore {
    db: sled::Db,
    records: sled::Tree,
    links: sled::Tree,
    /// The store's directory (canonical), where its [`flush_mark`] lies.
    dir: PathBuf,
    /// Flushes made, as the files count them (key [`FLUSHES`]); held while one is made, so that the
    /// count the files hold and the mark only grow.
    flushes: Mutex<u64>,
    // Dropped after the database.
    _open: OpenHere,
}

/// The store directories open in this process (canonical paths), so that a second open in the same
/// process is told so at once instead of waiting for a lock this process holds.
static OPEN_HERE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// One directory's entry in [`OPEN_HERE`], removed when dropped.
struct OpenHere(PathBuf);

impl OpenHere {
    /// Enters `dir` (canonical); `None` when this process has it open already.
    fn enter(dir: PathBuf) -> Option<OpenHere> {
        let mut open = OPEN_HERE.lock().unwrap_or_else(|e| e.into_inner());
        if open.contains(&dir) {
            return None;
        }
        open.push(dir.clone());
        Some(OpenHere(dir))
    }
}

impl Drop for OpenHere {
    fn drop(&mut self) {
        let mut open = OPEN_HERE.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|d| *d != self.0);
    }
}

fn backend(operation: &'static str) -> impl Fn(sled::Error) -> StoreError {
    move |e| {
        let (message, os_code) = said(&e);
        StoreError::Backend {
            operation,
            message,
            os_code,
        }
    }
}

/// What sled said, an I/O error in the system's words ("No space left on device (os error 28)"), and the
/// system's error number when it was one. sled hands on a copy of an I/O error whose text is the
/// original's debug form (`Os { code: 28, kind: StorageFull, message: "No space left on device" }`): the
/// code it names is said again as the system says it.
fn said(e: &sled::Error) -> (String, Option<i32>) {
    let io = match e {
        sled::Error::Io(io) => io,
        // sled's own words ("Read corrupted data at file offset None backtrace ()") say neither what
        // happened to the user's store nor what to do.
        sled::Error::Corruption { .. } => return (DAMAGED.to_string(), None),
        _ => return (e.to_string(), None),
    };
    if let Some(code) = io.raw_os_error() {
        return (io.to_string(), Some(code));
    }
    let text = io.to_string();
    let code = text
        .strip_prefix("Os { code: ")
        .and_then(|rest| rest.split(',').next())
        .and_then(|code| code.parse::<i32>().ok());
    match code {
        Some(code) => (
            std::io::Error::from_raw_os_error(code).to_string(),
            Some(code),
        ),
        None => (text, None),
    }
}

/// What a store whose files fail sled's checks is said to be.
const DAMAGED: &str = "its files are damaged (they fail the store's checksums): restore the \
                       directory from a copy, or store the articles again in a new one";

/// sled's page cache. Its default (1 GiB) would double the memory of a large run; the engine keeps what
/// it reads often in its own index, so the store needs little.
const CACHE_BYTES: u64 = 128 << 20;

/// How long `open` waits for a store's lock: sled releases it from a background thread after the last
/// handle is dropped, so a store closed a moment ago in this process can still be locked.
const LOCK_WAIT: Duration = Duration::from_secs(3);

/// sled reports a held lock as an I/O error whose kind is `WouldBlock` or whose text says so.
fn is_lock_error(e: &sled::Error) -> bool {
    match e {
        sled::Error::Io(io) => {
            io.kind() == std::io::ErrorKind::WouldBlock
                || io.to_string().contains("could not acquire lock")
        }
        _ => false,
    }
}

/// The names of what a store keeps in its directory: sled's files, and the mark of its flushes.
fn is_store_file(name: &str) -> bool {
    matches!(
        name,
        "conf" | "db" | "blobs" | flush_mark::FILE | flush_mark::NEXT_FILE
    ) || name.starts_with("snap.")
}

/// How the configuration file that sled writes first in a store's directory, `conf`, begins (its
/// text `segment_size: 524288`, `use_compression: …`, `version: …`, then a checksum).
const SLED_CONF_START: &[u8] = b"segment_size: ";

/// Whether `path` is a directory that holds a store: its `conf` is sled's. Not a name alone: a user's
/// directory may hold a file called `db` or `conf`, or a folder called `blobs`, which a store opened or
/// removed there would write over or delete. A `conf` cut short (empty, or the start of sled's text) is
/// the store's too beside sled's `blobs` still empty: sled makes `blobs` first, then writes `conf`
/// without a sync, so a crash or a full disk while a store is made, or a store being made by another
/// process at this moment, leaves that; sled writes such a `conf` again when it opens. So is a
/// directory with sled's `db` beside the store's flush mark, whatever its `conf` (lost: sled writes it
/// again; garbled: sled refuses the files).
pub(crate) fn holds_store(path: &Path) -> bool {
    if path.join("db").is_file() && flush_mark::read(path).is_some() {
        return true;
    }
    let mut start = Vec::with_capacity(SLED_CONF_START.len());
    let Ok(conf) = std::fs::File::open(path.join("conf")) else {
        return false;
    };
    if std::io::Read::read_to_end(
        &mut std::io::Read::take(conf, SLED_CONF_START.len() as u64),
        &mut start,
    )
    .is_err()
    {
        return false;
    }
    start == SLED_CONF_START
        || (SLED_CONF_START.starts_with(&start) && is_empty_directory(&path.join("blobs")))
}

/// Whether `path` is a directory with nothing in it: sled's `blobs` as sled makes it, before its `conf`
/// (a value too large for its log, long after, is the first thing written there).
fn is_empty_directory(path: &Path) -> bool {
    std::fs::read_dir(path).is_ok_and(|mut inside| inside.next().is_none())
}

/// Removes a store's files from directory `path`, and the directory when nothing else is left in it.
pub(crate) fn remove_store(path: &Path) -> std::io::Result<()> {
    remove_store_files(path)?;
    if std::fs::read_dir(path)?.next().is_none() {
        std::fs::remove_dir(path)?;
    }
    Ok(())
}

/// Removes a store's files from directory `path`, leaving the directory and anything else in it.
/// Refused, removing nothing, when the directory holds no store ([`holds_store`]) or the store is open
/// (sled's lock on its `db` file is held, here or in another process, after [`LOCK_WAIT`]: a handle
/// just dropped lets go of it a moment later).
pub(crate) fn remove_store_files(path: &Path) -> std::io::Result<()> {
    if !holds_store(path) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} holds no store, so nothing was removed", path.display()),
        ));
    }
    // Held until the files are gone, so that no opener takes the store meanwhile.
    let _lock = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path.join("db"))
    {
        Ok(db) => Some(lock_within(db, LOCK_WAIT).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                format!(
                    "the store in {} is in use (open in this process or another), so nothing was \
                     removed",
                    path.display()
                ),
            )
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    // `conf` last: a removal cut short (a signal, a failing disk) leaves a store that is still known
    // as one, to open or to remove again.
    for entry in std::fs::read_dir(path)?.flatten() {
        let name = entry.file_name();
        if is_store_file(&name.to_string_lossy()) && name != "conf" {
            let p = entry.path();
            if p.is_dir() {
                std::fs::remove_dir_all(p)?;
            } else {
                std::fs::remove_file(p)?;
            }
        }
    }
    // A store known by its `db` and flush mark may have lost its `conf`.
    match std::fs::remove_file(path.join("conf")) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// `file` once its exclusive lock is taken, waiting up to `wait` for another holder to let go; the
/// file back when it is still held then.
fn lock_within(file: std::fs::File, wait: Duration) -> Result<std::fs::File, std::fs::File> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(_) if started.elapsed() < wait => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            Err(_) => return Err(file),
        }
    }
}

/// When `path` is a directory that holds files and no store ([`holds_store`]), some of their names (a
/// store opened there would be written among them, over a file of the same name: `--db ~/Documents` by
/// mistake, a project's `db` file). Hidden files and a file system's `lost+found` do not count, so a
/// store can have a volume of its own; nor does an empty `blobs`, which sled makes before its `conf`.
fn foreign_files(path: &Path) -> Option<String> {
    if holds_store(path) {
        return None;
    }
    let entries = std::fs::read_dir(path).ok()?;
    let mut names = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let sleds_first = name == "blobs" && is_empty_directory(&entry.path());
        if !name.starts_with('.') && name != "lost+found" && !sleds_first {
            names.push(name);
        }
    }
    if names.is_empty() {
        return None;
    }
    names.sort();
    let more = names.len().saturating_sub(3);
    names.truncate(3);
    let mut listed = names.join(", ");
    if more > 0 {
        listed.push_str(&format!(" and {more} more"));
    }
    Some(listed)
}

/// Removes the snapshot files sled left unfinished in store directory `path` (`snap.N.generating`: a
/// snapshot is written under that name and renamed once whole and synced, so one still so named was
/// cut short by a crash or a full disk, or is a whole copy of what the snapshot before and the log hold). sled 0.34 would read the newest-named snapshot file, this one, and call the
/// whole store damaged; without it, sled rebuilds from the snapshot before and its log, which hold
/// everything made durable. Done only while nothing else holds the store (sled's own lock on its `db`
/// file, taken here for a moment), so that no snapshot being written is taken away; false when
/// something does (another process, or a handle of this one that sled's thread has not let go yet).
fn drop_unfinished_snapshots(path: &Path) -> std::io::Result<bool> {
    let Ok(db) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path.join("db"))
    else {
        return Ok(true);
    };
    if db.try_lock().is_err() {
        return Ok(false);
    }
    for entry in std::fs::read_dir(path)?.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(true)
}

/// Opens sled's store in `path`, first dropping its unfinished snapshots, waiting up to [`LOCK_WAIT`]
/// for a lock held elsewhere. While the lock is held, sled is not asked to open either: once let go, it
/// would read a snapshot left unfinished that was not dropped.
fn open_with_retry(path: &Path) -> sled::Result<sled::Db> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        let waiting = started.elapsed() < LOCK_WAIT;
        if !drop_unfinished_snapshots(path)? && waiting {
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(200));
            continue;
        }
        // sled panics on some damage it meets while it recovers ("tried to serialize
        // Uninitialized"): that is files it cannot read, said as such, not a crash of the caller.
        let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            sled::Config::new()
                .path(path)
                .cache_capacity(CACHE_BYTES)
                .open()
        }))
        .unwrap_or(Err(sled::Error::Corruption { at: None, bt: () }));
        match opened {
            Err(e) if is_lock_error(&e) && waiting => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

/// The process that first entered sled (0: none yet). sled writes on threads of its own, which a fork
/// does not copy while it copies sled's count of them: a store opened in a forked child waits for ever
/// on its first write.
static SLED_ENTERED_IN: AtomicU32 = AtomicU32::new(0);

impl SledStore {
    /// Opens (or creates) the store in directory `path`.
    pub fn open(path: &Path) -> Result<SledStore, StoreError> {
        let open_err = |(message, os_code): (String, Option<i32>)| StoreError::Open {
            path: path.to_path_buf(),
            message,
            os_code,
        };
        let this_process = std::process::id();
        match SLED_ENTERED_IN.load(Ordering::Acquire) {
            0 => {}
            first if first == this_process => {}
            first => {
                return Err(open_err((
                    format!(
                        "this process was forked from process {first} after that one opened a store, \
                         and a store's writing threads do not survive a fork; open stores in processes \
                         started afresh (Python's multiprocessing with the 'spawn' or 'forkserver' \
                         start method), or fork before any store is opened"
                    ),
                    None,
                )))
            }
        }
        let system = |e: std::io::Error| (e.to_string(), e.raw_os_error());
        // Listing a file fails in the system's words ("Not a directory (os error 20)").
        let not_a_directory = |file: &Path| {
            std::fs::read_dir(file)
                .err()
                .map_or_else(|| ("not a directory".to_string(), None), system)
        };
        if path.exists() && !path.is_dir() {
            let (said, code) = not_a_directory(path);
            return Err(open_err((
                format!(
                    "a file, not a store's directory ({said}); give a new path, or the directory of a \
                     store"
                ),
                code,
            )));
        }
        let in_use = |this_process| StoreError::InUse {
            path: path.to_path_buf(),
            this_process,
        };
        if let Some(others) = foreign_files(path) {
            return Err(open_err((
                format!(
                    "the directory holds other files ({others}) and no store; give a new or empty \
                     directory, or the directory of a store"
                ),
                None,
            )));
        }
        // The store's own directory is made, not the ones above it: a mistyped path is refused rather
        // than opened as a new, empty store somewhere else.
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            // A file above the path, however far, is named rather than said missing.
            let file_above = || {
                parent
                    .ancestors()
                    .take_while(|a| !a.as_os_str().is_empty())
                    .find(|a| a.exists())
                    .filter(|a| !a.is_dir())
            };
            if let Some(file) = file_above().filter(|_| !path.exists()) {
                let (said, code) = not_a_directory(file);
                return Err(open_err((
                    format!(
                        "{} is a file, not a directory ({said}); a store's directory goes in a \
                         directory",
                        file.display()
                    ),
                    code,
                )));
            }
            if !path.exists() && !parent.is_dir() {
                return Err(open_err((
                    format!(
                        "{} does not exist; a new store's directory is made, but not the directories \
                         above it",
                        parent.display()
                    ),
                    None,
                )));
            }
        }
        std::fs::create_dir(path)
            .or_else(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => Ok(()),
                _ => Err(e),
            })
            .map_err(|e| open_err(system(e)))?;
        let dir = std::fs::canonicalize(path).map_err(|e| open_err(system(e)))?;
        let open_here = OpenHere::enter(dir.clone()).ok_or_else(|| in_use(true))?;
        let _ =
            SLED_ENTERED_IN.compare_exchange(0, this_process, Ordering::AcqRel, Ordering::Acquire);
        let db = open_with_retry(path).map_err(|e| {
            if is_lock_error(&e) {
                in_use(false)
            } else {
                open_err(said(&e))
            }
        })?;
        // Checked before anything is written: files that lost what they held are not made a store anew.
        let flushes = match db.get(FLUSHES).map_err(|e| open_err(said(&e)))? {
            Some(v) => {
                u64::from_be_bytes(v.as_ref().try_into().map_err(|_| StoreError::Corrupt {
                    key: FLUSHES.into(),
                    message: format!("{} bytes where 8 were written", v.len()),
                })?)
            }
            None => 0,
        };
        if let Some(marked) = flush_mark::read(&dir).filter(|&m| m > flushes) {
            return Err(open_err((
                format!(
                    "its files hold less than was made durable in them: they count {flushes} \
                     flushes, where the store made {marked} (files damaged on disk, which the store \
                     reads only up to their first failed checksum, or files put back from an older \
                     copy); restore the directory from a copy, or remove {} to open the files as \
                     they are",
                    flush_mark::path(&dir).display()
                ),
                None,
            )));
        }
        let records = db.open_tree("records").map_err(|e| open_err(said(&e)))?;
        let links = db.open_tree("links").map_err(|e| open_err(said(&e)))?;
        let store = SledStore {
            db,
            records,
            links,
            dir,
            flushes: Mutex::new(flushes),
            _open: open_here,
        };
        store.settle_layout()?;
        Ok(store)
    }

    /// Brings a store to [`LAYOUT`]. A store that keeps its records under their ids (tree `articles`) has
    /// them copied under their numbers, made durable, then marked and the old tree dropped: a crash before
    /// the mark leaves the old tree whole and the copy is made again at the next open; after it, the old
    /// tree is checked against the moved records (see [`check_left_behind`](Self::check_left_behind))
    /// and dropped.
    fn settle_layout(&self) -> Result<(), StoreError> {
        let marked = self
            .db
            .get("layout")
            .map_err(backend("read layout"))?
            .is_some_and(|v| v == LAYOUT.as_bytes());
        let has_old = self
            .db
            .tree_names()
            .iter()
            .any(|name| name == BY_ID.as_bytes());
        if !marked {
            if has_old {
                let old = self.db.open_tree(BY_ID).map_err(backend("open articles"))?;
                self.records.clear().map_err(backend("clear records"))?;
                let mut batch = sled::Batch::default();
                let mut in_batch = 0;
                for item in old.iter() {
                    let (id, record) = item.map_err(backend("scan articles"))?;
                    let seq = codec::decode(&record)
                        .map_err(|message| StoreError::Corrupt {
                            key: format!("articles/{}", String::from_utf8_lossy(&id)),
                            message,
                        })?
                        .seq;
                    batch.insert(&record_key(seq), record);
                    in_batch += 1;
                    if in_batch == LOAD_CHUNK {
                        self.records
                            .apply_batch(std::mem::take(&mut batch))
                            .map_err(backend("write record"))?;
                        in_batch = 0;
                    }
                }
                self.records
                    .apply_batch(batch)
                    .map_err(backend("write record"))?;
                self.flush()?;
            }
            self.db
                .insert("layout", LAYOUT.as_bytes())
                .map_err(backend("write layout"))?;
            self.flush()?;
        }
        if has_old {
            if marked {
                self.check_left_behind()?;
            }
            self.db.drop_tree(BY_ID).map_err(backend("drop articles"))?;
            self.flush()?;
        }
        Ok(())
    }

    /// The value whose records could hold number `seq` (the one under the greatest key not above it),
    /// with its key.
    fn covering(&self, seq: u32) -> Result<Option<(sled::IVec, sled::IVec)>, StoreError> {
        self.records
            .range(..=record_key(seq))
            .next_back()
            .transpose()
            .map_err(backend("read article"))
    }

    /// The number of the last record stored, if any.
    fn last_seq(&self) -> Result<Option<u32>, StoreError> {
        let Some((key, value)) = self.records.last().map_err(backend("read article"))? else {
            return Ok(None);
        };
        Ok(unpack(&key, &value)?.last().map(|&(seq, _)| seq))
    }

    /// Writes into `batch` what becomes of the value under `key`, which held `held`, once the records
    /// `gone` says of are deleted: the rest packed under the first one's number, or nothing.
    fn without(
        batch: &mut sled::Batch,
        key: &[u8],
        held: &[(u32, &[u8])],
        gone: impl Fn(u32) -> bool,
    ) {
        let kept: Vec<(u32, &[u8])> = held.iter().copied().filter(|&(s, _)| !gone(s)).collect();
        match kept.first() {
            Some(&(first, _)) => {
                if record_key(first) != key {
                    batch.remove(key);
                }
                batch.insert(&record_key(first), pack(kept));
            }
            None => batch.remove(key),
        }
    }

    /// In a store already moved, the tree of records under ids is only left when a crash came before it
    /// was dropped, and then holds what is under the numbers already. Anything else there was written
    /// after the move, by a version that keeps records under ids: refused, never dropped unread.
    fn check_left_behind(&self) -> Result<(), StoreError> {
        let old = self.db.open_tree(BY_ID).map_err(backend("open articles"))?;
        for item in old.iter() {
            let (id, record) = item.map_err(backend("scan articles"))?;
            let seq = codec::decode(&record).map(|r| r.seq).ok();
            let moved = match seq {
                Some(seq) => self.get("", seq)?,
                None => None,
            };
            if moved.as_deref() != Some(&record[..]) {
                return Err(StoreError::Corrupt {
                    key: format!("articles/{}", String::from_utf8_lossy(&id)),
                    message: "a record under its id in a store whose records are kept under their \
                              numbers: written after the move by an older storyhash; open the store \
                              with that version, or move what it wrote by hand"
                        .into(),
                });
            }
        }
        Ok(())
    }
}

impl Store for SledStore {
    fn params(&self) -> Result<Option<Vec<(String, String)>>, StoreError> {
        let Some(raw) = self.db.get("params").map_err(backend("read params"))? else {
            return Ok(None);
        };
        let text = std::str::from_utf8(&raw).map_err(|e| StoreError::Corrupt {
            key: "params".into(),
            message: e.to_string(),
        })?;
        let mut fields = Vec::new();
        for line in text.lines() {
            let (k, v) = line.split_once('=').ok_or_else(|| StoreError::Corrupt {
                key: "params".into(),
                message: format!("line `{line}` is not name=value"),
            })?;
            fields.push((k.to_string(), v.to_string()));
        }
        Ok(Some(fields))
    }

    fn set_params(&self, fields: &[(&'static str, String)]) -> Result<(), StoreError> {
        let text: String = fields.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        self.db
            .insert("params", text.as_bytes())
            .map_err(backend("write params"))?;
        Ok(())
    }

    fn put(&self, _id: &str, seq: u32, record: &[u8]) -> Result<(), StoreError> {
        // A number inside a pack's range goes into the pack (a lone record there would hide the pack's
        // later records from `get`); any other is stored alone.
        if let Some((key, value)) = self.covering(seq)? {
            let held = unpack(&key, &value)?;
            if value.first() == Some(&PACK) && held.last().is_some_and(|&(last, _)| last >= seq) {
                let mut records: Vec<(u32, &[u8])> =
                    held.into_iter().filter(|&(s, _)| s != seq).collect();
                let at = records.partition_point(|&(s, _)| s < seq);
                records.insert(at, (seq, record));
                self.records
                    .insert(key, pack(records))
                    .map_err(backend("write article"))?;
                return Ok(());
            }
        }
        self.records
            .insert(record_key(seq), record)
            .map_err(backend("write article"))?;
        Ok(())
    }

    fn get(&self, _id: &str, seq: u32) -> Result<Option<Vec<u8>>, StoreError> {
        let Some((key, value)) = self.covering(seq)? else {
            return Ok(None);
        };
        Ok(unpack(&key, &value)?
            .into_iter()
            .find(|&(s, _)| s == seq)
            .map(|(_, record)| record.to_vec()))
    }

    fn delete(&self, id: &str, seq: u32) -> Result<(), StoreError> {
        self.delete_batch(&[(id, seq)])
    }

    fn delete_batch(&self, records: &[(&str, u32)]) -> Result<(), StoreError> {
        let mut seqs: Vec<u32> = records.iter().map(|&(_, seq)| seq).collect();
        seqs.sort_unstable();
        seqs.dedup();
        let mut batch = sled::Batch::default();
        let mut i = 0;
        while i < seqs.len() {
            let Some((key, value)) = self.covering(seqs[i])? else {
                i += 1;
                continue;
            };
            let held = unpack(&key, &value)?;
            let last = held.last().map_or(0, |&(s, _)| s);
            if last < seqs[i] {
                // Not stored (deleted already, or never written).
                i += 1;
                continue;
            }
            let start = i;
            while i < seqs.len() && seqs[i] <= last {
                i += 1;
            }
            let gone = &seqs[start..i];
            let in_pack = |s: u32| gone.binary_search(&s).is_ok();
            if held.iter().any(|&(s, _)| in_pack(s)) {
                Self::without(&mut batch, &key, &held, in_pack);
            }
        }
        self.records
            .apply_batch(batch)
            .map_err(backend("delete article"))?;
        Ok(())
    }

    fn put_batch(&self, batch: RecordBatch) -> Result<(), StoreError> {
        for &(from, into) in &batch.cluster_links {
            self.links
                .insert(from.to_be_bytes(), &into.to_be_bytes())
                .map_err(backend("write link"))?;
        }
        for merge in &batch.story_links {
            let mut key = [STORY_LINK; 5];
            key[1..].copy_from_slice(&merge.from.to_be_bytes());
            self.links
                .insert(key, &story_link_value(merge)[..])
                .map_err(backend("write link"))?;
        }
        let numbers = || (0..batch.len()).map(|i| batch.get(i).0);
        let upward = numbers().zip(numbers().skip(1)).all(|(a, b)| a < b);
        let beyond = match (self.last_seq()?, numbers().next()) {
            (Some(last), Some(first)) => first > last,
            _ => true,
        };
        if batch.len() == 1 || !upward || !beyond {
            // One insert is atomic by itself (sled's batch first writes out its current log buffer,
            // which the next flush then writes again: two writes and two syncs for a single-article
            // request). Records among those stored already, which the engine never writes in one batch,
            // go one by one into their place.
            for i in 0..batch.len() {
                let (seq, id, record) = batch.get(i);
                self.put(id, seq, record)?;
            }
            return Ok(());
        }
        // Fresh numbers, beyond every stored one: packed, whole or not at all.
        let mut records = sled::Batch::default();
        let mut start = 0;
        while start < batch.len() {
            let mut end = start + 1;
            let mut bytes = batch.get(start).2.len();
            while end < batch.len() && end - start < PACK_RECORDS {
                bytes += batch.get(end).2.len();
                if bytes > PACK_BYTES {
                    break;
                }
                end += 1;
            }
            let value = pack((start..end).map(|i| {
                let (seq, _, record) = batch.get(i);
                (seq, record)
            }));
            records.insert(&record_key(batch.get(start).0), value);
            start = end;
        }
        self.records
            .apply_batch(records)
            .map_err(backend("write article"))?;
        Ok(())
    }

    fn load(
        &self,
        records: &mut dyn FnMut(RecordChunk) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut chunk = RecordChunk::with_capacity(LOAD_CHUNK);
        for item in self.records.iter() {
            let (key, value) = item.map_err(backend("scan articles"))?;
            let held = unpack(&key, &value)?;
            if chunk.len() + held.len() > LOAD_CHUNK && !chunk.is_empty() {
                records(std::mem::replace(
                    &mut chunk,
                    RecordChunk::with_capacity(LOAD_CHUNK),
                ))?;
            }
            for (_, record) in held {
                chunk.push(record);
            }
        }
        if !chunk.is_empty() {
            records(chunk)?;
        }
        Ok(())
    }

    fn links(&self) -> Result<Links, StoreError> {
        let mut links = Links::default();
        for item in self.links.iter() {
            let (k, v) = item.map_err(backend("scan links"))?;
            let corrupt = || StoreError::Corrupt {
                key: format!("links/{k:?}"),
                message:
                    "a cluster link key is 4 bytes and its value 4; a story link key is `s` and 4 \
                          bytes, its value 4 or 12"
                        .into(),
            };
            match (k.len(), k.first()) {
                (4, _) => {
                    let from = u32::from_be_bytes(k[..].try_into().map_err(|_| corrupt())?);
                    let into = u32::from_be_bytes(v[..].try_into().map_err(|_| corrupt())?);
                    links.clusters.push((from, into));
                }
                (5, Some(&STORY_LINK)) => {
                    let from = u32::from_be_bytes(k[1..].try_into().map_err(|_| corrupt())?);
                    let merge = story_link(from, &v).ok_or_else(corrupt)?;
                    links.stories.push(merge);
                }
                _ => return Err(corrupt()),
            }
        }
        // A story merge named by an article whose record never reached the disk is forgotten, here and
        // on disk: the link goes to its tree before the record goes to its own, and a crash between the
        // two leaves the link alone. Replayed, it would merge two stories that the article, decided
        // again or never, did not merge; and its number, given again to another article, would replay
        // the merge at that one's place. So is a cluster merge from a cluster whose first article's
        // record never reached the disk: its number, given again, would join that article's cluster to
        // the older one. The newest number always keeps a record (a tombstone once removed), so the
        // numbers given are those up to the last record's.
        // Counted in 64 bits: a damaged last key of 2³² − 1 is the open's to report, not an overflow.
        let numbered = self.last_seq()?.map_or(0, |seq| u64::from(seq) + 1);
        let given = |number: u32| u64::from(number) < numbered;
        for &(from, _) in links.clusters.iter().filter(|&&(from, _)| !given(from)) {
            self.links
                .remove(from.to_be_bytes())
                .map_err(backend("forget a cluster link"))?;
        }
        links.clusters.retain(|&(from, _)| given(from));
        let made = |m: &StoryMerge| m.made_by.is_none_or(|(article, _)| given(article));
        for orphan in links.stories.iter().filter(|m| !made(m)) {
            let mut key = [STORY_LINK; 5];
            key[1..].copy_from_slice(&orphan.from.to_be_bytes());
            self.links
                .remove(key)
                .map_err(backend("forget a story link"))?;
        }
        links.stories.retain(made);
        Ok(links)
    }

    fn flush(&self) -> Result<(), StoreError> {
        let mut flushes = self.flushes.lock().unwrap_or_else(|e| e.into_inner());
        let next = *flushes + 1;
        self.db
            .insert(FLUSHES, &next.to_be_bytes())
            .map_err(backend("write flush count"))?;
        self.db.flush().map_err(backend("flush"))?;
        *flushes = next;
        // The files hold `next` now. A mark that cannot be written says less than they hold, which
        // checks less at the next open and refuses nothing.
        let _ = flush_mark::write(&self.dir, next);
        Ok(())
    }

    fn keeps_signatures(&self) -> bool {
        true
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.records.is_empty())
    }

    fn log_position(&self) -> Result<Option<String>, StoreError> {
        let Some(raw) = self
            .db
            .get("log_position")
            .map_err(backend("read log position"))?
        else {
            return Ok(None);
        };
        String::from_utf8(raw.to_vec())
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                key: "log_position".into(),
                message: e.to_string(),
            })
    }

    fn set_log_position(&self, position: &str) -> Result<(), StoreError> {
        self.db
            .insert("log_position", position.as_bytes())
            .map_err(backend("write log position"))?;
        Ok(())
    }

    fn index_buckets(&self) -> Result<Option<u64>, StoreError> {
        let Some(raw) = self
            .db
            .get(INDEX_BUCKETS)
            .map_err(backend("read index buckets"))?
        else {
            return Ok(None);
        };
        // Only a hint of how much room to make: a value of another size is ignored rather than trusted,
        // and none is taken above the article numbers the store holds.
        let Ok(bytes) = <[u8; 8]>::try_from(&raw[..]) else {
            return Ok(None);
        };
        let numbers = match self
            .records
            .last()
            .map_err(backend("read the last record"))?
        {
            Some((key, _)) => <[u8; 4]>::try_from(&key[..]).map_or(0, |k| {
                u64::from(u32::from_be_bytes(k)) + PACK_RECORDS as u64
            }),
            None => 0,
        };
        Ok(Some(u64::from_be_bytes(bytes).min(numbers)))
    }

    fn set_index_buckets(&self, buckets: u64) -> Result<(), StoreError> {
        self.db
            .insert(INDEX_BUCKETS, &buckets.to_be_bytes())
            .map_err(backend("write index buckets"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_io_error_is_said_in_the_system_s_words_and_number_even_after_sled_copied_it() {
        let full = || std::io::Error::from_raw_os_error(28);
        let expected = (full().to_string(), Some(28));
        assert!(
            expected.0.starts_with("No space left on device"),
            "{expected:?}"
        );
        // sled keeps a copy of the first I/O error of its writer and hands that on.
        let copied = sled::Error::Io(full()).clone();
        assert!(copied.to_string().contains("Os {"), "{copied}");
        assert_eq!(said(&copied), expected);
        assert_eq!(said(&sled::Error::Io(full())), expected);
        let custom = sled::Error::Io(std::io::Error::other("lock held"));
        assert_eq!(said(&custom), ("lock held".to_string(), None));
        let other = sled::Error::Unsupported("changing the segment size".into());
        assert_eq!(said(&other), (other.to_string(), None));
        // A store that fails sled's checksums is said to be damaged, with what to do, and without
        // sled's internals ("Read corrupted data at file offset None backtrace ()").
        let corrupt = sled::Error::Corruption { at: None, bt: () };
        let (message, code) = said(&corrupt);
        assert!(
            message.contains("damaged") && message.contains("restore"),
            "{message}"
        );
        assert!(
            !message.contains("backtrace") && code.is_none(),
            "{message}"
        );
    }

    /// A directory holding a store of 2,000 records of 200 bytes, flushed and closed.
    fn closed_store_of_2000_records() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = SledStore::open(dir.path()).expect("a new store");
        let records: Vec<(u32, Vec<u8>)> =
            (0..2000).map(|seq| (seq, fake_record(seq, 200))).collect();
        store.put_batch(batch_of(&records)).expect("put");
        store.flush().expect("flush");
        dir
    }

    #[test]
    fn files_that_lost_flushed_writes_are_refused_not_opened_as_a_smaller_store() {
        let dir = closed_store_of_2000_records();
        // Whole, the files open, however often.
        for _ in 0..2 {
            let store = SledStore::open(dir.path()).expect("reopen");
            assert!(!store.is_empty().expect("read"));
        }
        // The files after their first few pages damaged, as a bad disk leaves them: sled reads them up
        // to the first failed checksum and would open an older, emptier store, saying nothing.
        let db = dir.path().join("db");
        let len = std::fs::metadata(&db).expect("the store's file").len() as usize;
        let mut bytes = std::fs::read(&db).expect("read");
        bytes[4096..len].fill(0xAA);
        std::fs::write(&db, bytes).expect("write");
        let Err(e) = SledStore::open(dir.path()) else {
            panic!("damaged files opened as a store");
        };
        let said = e.to_string();
        assert!(said.contains("restore the directory from a copy"), "{said}");
        // Once the mark is removed, as the message says, the files are taken as they are (sled may
        // still find them damaged).
        std::fs::remove_file(flush_mark::path(dir.path())).expect("remove the mark");
        if let Err(e) = SledStore::open(dir.path()) {
            assert!(!e.to_string().contains("made durable"), "{e}");
        }
    }

    #[test]
    fn a_snapshot_left_unfinished_by_a_crash_or_a_full_disk_does_not_make_the_store_damaged() {
        let dir = closed_store_of_2000_records();
        // What sled leaves when a snapshot's write is cut short: the file under its working name,
        // empty, named after every snapshot before it.
        let unfinished = dir.path().join("snap.FFFFFFFFFFFFFFFF.generating");
        std::fs::write(&unfinished, b"").expect("a file");
        let store = SledStore::open(dir.path()).expect("the store opens");
        assert_eq!(records_loaded(&store), 2000);
        assert!(!unfinished.exists());
        // While the store is open, another opener leaves sled's files alone and is told it is in use.
        std::fs::write(&unfinished, b"").expect("a file");
        assert!(matches!(drop_unfinished_snapshots(dir.path()), Ok(false)));
        assert!(unfinished.exists(), "a store in use keeps its files");
        std::fs::remove_file(&unfinished).expect("removed");
    }

    #[test]
    fn a_directory_of_other_files_is_not_made_a_store_but_an_empty_one_or_a_store_is_opened() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let documents = dir.path().join("Documents");
        std::fs::create_dir(&documents).expect("a directory");
        for name in ["notes.txt", "a.pdf", "b.pdf", "c.pdf", ".hidden"] {
            std::fs::write(documents.join(name), "mine").expect("a file");
        }
        let Err(e) = SledStore::open(&documents) else {
            panic!("a store was made among other files");
        };
        let message = e.to_string();
        assert!(
            message.contains("Documents") && message.contains("(a.pdf, b.pdf, c.pdf and 1 more)"),
            "{message}"
        );
        assert_eq!(e.os_code(), None);
        let left: Vec<_> = std::fs::read_dir(&documents)
            .expect("listed")
            .map(|e| e.expect("an entry").file_name())
            .collect();
        assert_eq!(left.len(), 5, "nothing written there: {left:?}");
        // An empty directory, or one with only a volume's `lost+found`, takes a store; the store then
        // reopens there.
        let volume = dir.path().join("volume");
        std::fs::create_dir_all(volume.join("lost+found")).expect("a directory");
        drop(SledStore::open(&volume).expect("an empty volume takes a store"));
        drop(SledStore::open(&volume).expect("the store reopens"));
    }

    #[test]
    fn files_that_only_bear_a_store_s_names_are_neither_opened_nor_removed() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        // A project's SQLite file called `db`, a crawler's pages under `blobs`, a tool's `conf`.
        let layouts: [&[(&str, &str)]; 5] = [
            &[("db", "SQLite format 3\0"), ("notes.txt", "mine")],
            &[("db", "SQLite format 3\0")],
            &[("blobs/page1.html", "<html>"), ("state.json", "{}")],
            &[("conf", "key=1"), ("notes.txt", "mine")],
            // An empty `conf` is sled's cut short only beside its `blobs` still empty.
            &[("conf", ""), ("blobs/page1.html", "<html>")],
        ];
        for (n, layout) in layouts.iter().enumerate() {
            let project = dir.path().join(format!("project{n}"));
            for (name, text) in layout.iter() {
                let file = project.join(name);
                std::fs::create_dir_all(file.parent().expect("a parent")).expect("a directory");
                std::fs::write(&file, text).expect("a file");
            }
            assert!(!holds_store(&project), "{layout:?}");
            let Err(e) = SledStore::open(&project) else {
                panic!("a store was opened among {layout:?}");
            };
            assert!(
                e.to_string().contains("holds other files"),
                "{layout:?}: {e}"
            );
            for removal in [remove_store_files, remove_store] {
                let e = removal(&project).expect_err("nothing to remove");
                assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{e}");
            }
            for (name, text) in layout.iter() {
                let kept = std::fs::read_to_string(project.join(name)).expect("still there");
                assert_eq!(&kept, text, "{name} of {layout:?} untouched");
            }
        }
    }

    #[test]
    fn a_store_whose_conf_was_cut_short_is_still_a_store() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        drop(SledStore::open(dir.path()).expect("a new store"));
        let conf = dir.path().join("conf");
        // What a crash or a full disk leaves of sled's unsynced `conf`: nothing, or its start. Up to 8
        // bytes sled writes it again; a longer start it finds damaged, which is then said, as of a
        // store.
        for cut in [&b""[..], b"segme"] {
            std::fs::write(&conf, cut).expect("cut short");
            assert!(holds_store(dir.path()), "{cut:?}");
            drop(SledStore::open(dir.path()).expect("opens, and sled writes its conf again"));
            assert!(std::fs::read(&conf)
                .expect("conf")
                .starts_with(SLED_CONF_START));
        }
        let whole = std::fs::read(&conf).expect("conf");
        std::fs::write(&conf, b"segment_si").expect("cut short");
        assert!(holds_store(dir.path()));
        let Err(e) = SledStore::open(dir.path()) else {
            panic!("a conf cut short past what sled writes again opened");
        };
        assert!(e.to_string().contains("damaged"), "{e}");
        std::fs::write(&conf, whole).expect("restored");
        drop(SledStore::open(dir.path()).expect("opens again"));
        // A store made no further than sled's first steps (its `blobs`, an empty `conf`) is one too.
        let begun = dir.path().join("begun");
        std::fs::create_dir_all(begun.join("blobs")).expect("a directory");
        std::fs::write(begun.join("conf"), b"").expect("a file");
        assert!(holds_store(&begun));
        drop(SledStore::open(&begun).expect("the store is made"));
        // A removal cut short after the other files went leaves `conf`, which is removed again.
        std::fs::remove_file(begun.join("db")).expect("db gone");
        std::fs::remove_dir_all(begun.join("blobs")).expect("blobs gone");
        remove_store(&begun).expect("removed");
        assert!(!begun.exists());
    }

    #[test]
    fn a_store_that_lost_its_conf_is_known_by_its_flush_mark_and_opens_whole() {
        let dir = closed_store_of_2000_records();
        assert!(flush_mark::read(dir.path()).is_some(), "a mark was written");
        assert!(!dir.path().join(flush_mark::NEXT_FILE).exists());
        std::fs::remove_file(dir.path().join("conf")).expect("conf gone");
        assert!(holds_store(dir.path()));
        let store = SledStore::open(dir.path()).expect("sled writes its conf again");
        assert_eq!(records_loaded(&store), 2000);
        drop(store);
        // Lost again, it is removed as any store is.
        std::fs::remove_file(dir.path().join("conf")).expect("conf gone");
        remove_store_files(dir.path()).expect("removed");
        assert!(!holds_store(dir.path()));
        assert_eq!(std::fs::read_dir(dir.path()).expect("listed").count(), 0);
    }

    /// How many records `store` loads.
    fn records_loaded(store: &SledStore) -> usize {
        let mut loaded = 0;
        store
            .load(&mut |chunk| {
                loaded += chunk.len();
                Ok(())
            })
            .expect("load");
        loaded
    }

    #[test]
    fn a_store_in_use_is_not_removed() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = SledStore::open(dir.path()).expect("a new store");
        assert!(holds_store(dir.path()));
        let e = remove_store_files(dir.path()).expect_err("the store is open");
        assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock, "{e}");
        assert!(e.to_string().contains("in use"), "{e}");
        assert!(holds_store(dir.path()), "nothing removed");
        drop(store);
        // Once let go, it goes, with its directory when nothing else is left.
        remove_store(dir.path()).expect("removed");
        assert!(!dir.path().exists());
    }

    #[test]
    fn a_file_where_the_store_should_be_is_refused_with_the_system_s_number() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let file = dir.path().join("news.db");
        std::fs::write(&file, "not a store").expect("a file");
        let Err(e) = SledStore::open(&file) else {
            panic!("a file opened as a store");
        };
        let message = e.to_string();
        assert!(message.contains("news.db"), "{message}");
        let code = e.os_code().expect("the system's number");
        let system = std::io::Error::from_raw_os_error(code);
        assert_eq!(
            system.kind(),
            std::io::ErrorKind::NotADirectory,
            "{message}"
        );
        assert!(message.contains(&system.to_string()), "{message}");
        assert!(
            message.contains("a file, not a store's directory"),
            "{message}"
        );
        assert_eq!(std::fs::read(&file).expect("the file"), b"not a store");
        // A path under a file says so too, rather than that the file does not exist.
        let Err(e) = SledStore::open(&file.join("x.db")) else {
            panic!("a store opened under a file");
        };
        let message = e.to_string();
        assert!(
            message.contains("news.db is a file, not a directory"),
            "{message}"
        );
        assert_eq!(e.os_code(), Some(code), "{message}");
        // However far under it.
        let Err(e) = SledStore::open(&file.join("a").join("x.db")) else {
            panic!("a store opened two directories under a file");
        };
        let message = e.to_string();
        assert!(
            message.contains("news.db is a file, not a directory"),
            "{message}"
        );
        assert_eq!(e.os_code(), Some(code), "{message}");
    }

    #[test]
    fn a_new_store_s_directory_is_made_but_not_a_missing_parent() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mistyped = dir.path().join("stroes").join("news.db");
        let Err(e) = SledStore::open(&mistyped) else {
            panic!("a store opened under a missing directory");
        };
        let message = e.to_string();
        assert!(
            message.contains("stroes does not exist; a new store's directory is made, but not"),
            "{message}"
        );
        assert!(!dir.path().join("stroes").exists());
        // The store's own directory is made, and opens again once it exists.
        let news = dir.path().join("news.db");
        drop(SledStore::open(&news).expect("a new store"));
        drop(SledStore::open(&news).expect("the store again"));
    }

    #[test]
    fn links_are_pinned_those_without_their_article_forgotten_and_older_ones_still_load() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = SledStore::open(dir.path()).expect("open the store");
        // Articles 0 to 9, the last of which made the merge below.
        let records: Vec<(u32, Vec<u8>)> = (0..10).map(|seq| (seq, fake_record(seq, 20))).collect();
        let mut batch = batch_of(&records);
        batch.link_clusters(5, 2);
        let made = StoryMerge {
            from: 7,
            into: 3,
            made_by: Some((9, 7)),
        };
        batch.link_stories(made);
        store.put_batch(batch).expect("store the links");
        let value = store
            .links
            .get([b's', 0, 0, 0, 7])
            .expect("read")
            .expect("a link");
        assert_eq!(&value[..], &[0, 0, 0, 3, 0, 0, 0, 9, 0, 0, 0, 7]);
        // As a store written before merges recorded their article holds it.
        let older = [b's', 0, 0, 0, 8];
        store.links.insert(older, &[0, 0, 0, 1]).expect("write");
        let links = store.links().expect("load");
        assert_eq!(links.clusters, vec![(5, 2)]);
        let older = StoryMerge {
            from: 8,
            into: 1,
            made_by: None,
        };
        assert_eq!(links.stories, vec![made, older]);
        // A merge named by an article without a record (a crash between the link's write and the
        // record's) is forgotten, on disk too, so that article 10, numbered again, does not inherit it.
        let orphan = StoryMerge {
            from: 6,
            into: 2,
            made_by: Some((10, 6)),
        };
        let mut batch = RecordBatch::with_capacity(0);
        batch.link_stories(orphan);
        // So is a cluster merge from a cluster that article 10 would have begun.
        batch.link_clusters(10, 4);
        store.put_batch(batch).expect("store the links alone");
        let links = store.links().expect("load");
        assert_eq!(links.stories, vec![made, older]);
        assert_eq!(links.clusters, vec![(5, 2)]);
        assert!(store.links.get([b's', 0, 0, 0, 6]).expect("read").is_none());
        assert!(store
            .links
            .get(10u32.to_be_bytes())
            .expect("read")
            .is_none());
        // Any other length is named as corrupt.
        store
            .links
            .insert([b's', 0, 0, 0, 9], &[0, 0, 1])
            .expect("write");
        let err = store.links().expect_err("a 3-byte value");
        assert!(err.to_string().contains("value 4 or 12"), "{err}");
    }

    /// A record-like value for article `seq`, `len` bytes long (the store reads none of it).
    fn fake_record(seq: u32, len: usize) -> Vec<u8> {
        let mut record = vec![4];
        record.extend_from_slice(&seq.to_le_bytes());
        record.resize(len.max(5), (seq % 251) as u8);
        record
    }

    fn batch_of(records: &[(u32, Vec<u8>)]) -> RecordBatch {
        let mut batch = RecordBatch::with_capacity(records.len());
        for (seq, record) in records {
            batch.push(*seq, &seq.to_string(), |out| out.extend_from_slice(record));
        }
        batch
    }

    /// Every number's record (`get`) and the whole scan (`load`) are what `model` holds.
    fn assert_holds(
        store: &SledStore,
        model: &std::collections::BTreeMap<u32, Vec<u8>>,
        when: &str,
    ) {
        for seq in 0..700 {
            let got = store.get("", seq).expect("get");
            assert_eq!(got.as_ref(), model.get(&seq), "{when}: record {seq}");
        }
        let mut loaded = Vec::new();
        store
            .load(&mut |chunk| {
                assert!(chunk.len() <= LOAD_CHUNK);
                loaded.extend((0..chunk.len()).map(|i| chunk.get(i).to_vec()));
                Ok(())
            })
            .expect("load");
        let expected: Vec<Vec<u8>> = model.values().cloned().collect();
        assert_eq!(loaded, expected, "{when}: the scan");
        assert_eq!(
            store.is_empty().expect("is_empty"),
            model.is_empty(),
            "{when}"
        );
    }

    #[test]
    fn the_index_buckets_hint_survives_a_reopen_within_the_article_numbers_held() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        {
            let store = SledStore::open(dir.path()).expect("open the store");
            assert_eq!(store.index_buckets().expect("read"), None, "a new store");
            store.set_index_buckets(40).expect("write");
            assert_eq!(
                store.index_buckets().expect("read"),
                Some(0),
                "no article number held: no room to make"
            );
            let records: Vec<(u32, Vec<u8>)> =
                (0..100).map(|seq| (seq, fake_record(seq, 60))).collect();
            store.put_batch(batch_of(&records)).expect("store");
            store.flush().expect("flush");
        }
        let store = SledStore::open(dir.path()).expect("reopen the store");
        assert_eq!(store.index_buckets().expect("read"), Some(40));
        store.set_index_buckets(1 << 40).expect("write");
        let held = store.index_buckets().expect("read").expect("a hint");
        assert!(
            (100..=100 + PACK_RECORDS as u64).contains(&held),
            "a hint beyond the numbers held is cut to them: {held}"
        );
        store
            .db
            .insert(INDEX_BUCKETS, &b"odd"[..])
            .expect("write a malformed hint");
        assert_eq!(store.index_buckets().expect("read"), None, "ignored");
    }

    #[test]
    fn packed_records_read_back_as_stored_through_puts_deletes_and_a_reopen() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut model = std::collections::BTreeMap::new();
        let store = SledStore::open(dir.path()).expect("open the store");
        // 300 fresh records of many sizes, one of them too large to share a pack.
        let fresh: Vec<(u32, Vec<u8>)> = (0..300)
            .map(|seq| {
                let len = if seq == 150 {
                    10_000
                } else {
                    40 + (seq as usize * 37) % 900
                };
                (seq, fake_record(seq, len))
            })
            .collect();
        store.put_batch(batch_of(&fresh)).expect("put the batch");
        model.extend(fresh);
        assert!(
            store.records.len() < 100,
            "{} values for 300 records",
            store.records.len()
        );
        assert_holds(&store, &model, "written");
        // Tombstones inside packs, and a record beyond them all.
        for (seq, len) in [(10, 30), (64, 20), (305, 70)] {
            store
                .put("", seq, &fake_record(seq + 1000, len))
                .expect("put");
            model.insert(seq, fake_record(seq + 1000, len));
        }
        assert_holds(&store, &model, "replaced");
        // Deleting a pack's first record moves the pack; absent numbers are no error.
        store.delete("", 0).expect("delete");
        model.remove(&0);
        let gone: Vec<u32> = [5, 6, 7, 303, 999].into_iter().chain(100..141).collect();
        let named: Vec<(&str, u32)> = gone.iter().map(|&seq| ("", seq)).collect();
        store.delete_batch(&named).expect("delete a batch");
        for seq in &gone {
            model.remove(seq);
        }
        assert_holds(&store, &model, "deleted");
        // A batch among the stored numbers (no engine writes one) goes in one by one, into the packs.
        let among: Vec<(u32, Vec<u8>)> = [5, 20, 120, 400, 401]
            .into_iter()
            .map(|seq| (seq, fake_record(seq + 2000, 60)))
            .collect();
        store.put_batch(batch_of(&among)).expect("put among");
        model.extend(among);
        let beyond: Vec<(u32, Vec<u8>)> =
            (500..600).map(|seq| (seq, fake_record(seq, 300))).collect();
        store.put_batch(batch_of(&beyond)).expect("put beyond");
        model.extend(beyond);
        assert_holds(&store, &model, "added");
        store.flush().expect("flush");
        drop(store);
        let store = SledStore::open(dir.path()).expect("reopen the store");
        assert_holds(&store, &model, "reopened");
        let all: Vec<(&str, u32)> = model.keys().map(|&seq| ("", seq)).collect();
        store.delete_batch(&all).expect("delete everything");
        model.clear();
        assert_holds(&store, &model, "emptied");
    }

    #[test]
    fn the_pack_layout_is_pinned_and_a_damaged_pack_is_named() {
        assert_eq!(
            pack([(7, &b"ab"[..]), (9, &b"c"[..])]),
            [0xFF, 0, 0, 0, 7, 0, 0, 0, 2, b'a', b'b', 0, 0, 0, 9, 0, 0, 0, 1, b'c']
        );
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = SledStore::open(dir.path()).expect("open the store");
        for (key, value, says) in [
            (9u32, vec![PACK, 0, 0, 0, 9, 0, 0, 1, 0, 1], "runs past"),
            (9, vec![PACK, 0, 0, 0, 9, 0, 0], "cut short"),
            (9, vec![PACK, 0, 0, 0, 8, 0, 0, 0, 0], "numbered upward"),
            (9, vec![PACK], "empty pack"),
        ] {
            store.records.insert(record_key(key), value).expect("write");
            let err = store.get("", 9).expect_err("a damaged pack");
            assert!(err.to_string().contains(says), "{err}");
            let err = store.load(&mut |_| Ok(())).expect_err("a damaged pack");
            assert!(err.to_string().contains("records/"), "{err}");
        }
    }

    /// Puts a store of this layout back as stores were written before it: records under their ids in
    /// tree `articles`, no `layout` mark; with `half_moved`, the records tree keeps some records, as
    /// when a move stopped midway.
    fn put_back_under_ids(dir: &Path, half_moved: bool) {
        let db = sled::open(dir).expect("open with sled");
        let records = db.open_tree("records").expect("records");
        let old = db.open_tree(BY_ID).expect("articles");
        for item in records.iter() {
            let (_, record) = item.expect("scan");
            let id = codec::decode(&record)
                .expect("decode")
                .article
                .id
                .into_owned();
            old.insert(id.as_bytes(), record).expect("write");
        }
        if half_moved {
            let keep: Vec<_> = records.iter().keys().step_by(2).collect();
            records.clear().expect("clear");
            for key in keep {
                records
                    .insert(key.expect("key"), &b"partial"[..])
                    .expect("write");
            }
        } else {
            records.clear().expect("clear");
        }
        db.remove("layout").expect("unmark");
        db.flush().expect("flush");
    }

    #[test]
    fn a_store_that_keeps_records_under_their_ids_opens_as_it_was_and_is_moved_once() {
        use crate::{Article, Engine, EngineConfig};
        let text = crate::sample::text();
        let articles: Vec<Article<'_>> = text
            .lines()
            .take(600)
            .flat_map(|line| crate::io::parse_document(line).expect("the sample parses"))
            .collect();
        let articles = &articles[..];
        for half_moved in [false, true] {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let (before, stats) = {
                let engine = Engine::open(dir.path(), EngineConfig::default()).expect("open");
                for a in articles {
                    engine.ingest(a).expect("ingest");
                }
                // A tombstone, an id that comes back with another text, and numbers pruned away.
                let gone = articles[3].id.to_string();
                assert!(engine.remove_at(&gone, 1_700_000_000).expect("remove"));
                engine
                    .ingest(&Article::new(gone, "A headline that came back rewritten"))
                    .expect("ingest again");
                let oldest = articles.iter().filter_map(|a| a.published.clone()).min();
                let cut = crate::Timestamp::parse(oldest.as_deref().expect("a time"))
                    .expect("a time")
                    .unix_seconds()
                    + 3_600;
                assert!(engine.prune_at(cut, 1_700_000_000).expect("prune") > 0);
                engine.flush().expect("flush");
                let got: Vec<_> = articles
                    .iter()
                    .map(|a| engine.get(&a.id).expect("get"))
                    .collect();
                (got, engine.stats())
            };
            put_back_under_ids(dir.path(), half_moved);
            {
                let engine = Engine::open(dir.path(), EngineConfig::default()).expect("reopen");
                let got: Vec<_> = articles
                    .iter()
                    .map(|a| engine.get(&a.id).expect("get"))
                    .collect();
                assert_eq!(got, before, "half moved: {half_moved}");
                let now = engine.stats();
                let counts = |s: &crate::Stats| {
                    (
                        s.articles,
                        s.clusters,
                        s.new,
                        s.duplicates,
                        s.near_duplicates,
                        s.exact_only,
                    )
                };
                assert_eq!(counts(&now), counts(&stats));
            }
            let store = SledStore::open(dir.path()).expect("open the store");
            assert!(!store.db.tree_names().iter().any(|n| n == BY_ID.as_bytes()));
            if !half_moved {
                drop(store);
            } else {
                // A crash after the mark, before the old tree was dropped: dropped at the next open.
                let first = store
                    .records
                    .iter()
                    .next()
                    .expect("a record")
                    .expect("read");
                let id = codec::decode(&first.1)
                    .expect("decode")
                    .article
                    .id
                    .into_owned();
                let old = store.db.open_tree(BY_ID).expect("articles");
                old.insert(id.as_bytes(), first.1.clone()).expect("write");
                drop((old, store));
                let store = SledStore::open(dir.path()).expect("open the store");
                assert!(!store.db.tree_names().iter().any(|n| n == BY_ID.as_bytes()));
                // Written under its id after the move (an older version): refused, nothing dropped.
                let old = store.db.open_tree(BY_ID).expect("articles");
                old.insert("late", &first.1[..1]).expect("write");
                drop((old, store));
                let err = SledStore::open(dir.path()).err().expect("refused");
                assert!(err.to_string().contains("articles/late"), "{err}");
                assert!(err.to_string().contains("older storyhash"), "{err}");
                let db = sled::open(dir.path()).expect("open with sled");
                let kept = db.open_tree(BY_ID).expect("articles");
                assert!(
                    kept.contains_key("late").expect("read"),
                    "the record was kept"
                );
                drop(kept);
                db.drop_tree(BY_ID).expect("drop");
                db.flush().expect("flush");
            }
            let store = SledStore::open(dir.path()).expect("open the store");
            let layout = store.db.get("layout").expect("read").expect("marked");
            assert_eq!(&layout[..], LAYOUT.as_bytes());
            let mut numbers = Vec::new();
            store
                .load(&mut |chunk| {
                    for i in 0..chunk.len() {
                        numbers.push(codec::decode(chunk.get(i)).expect("decode").seq);
                    }
                    Ok(())
                })
                .expect("load");
            assert!(numbers.windows(2).all(|w| w[0] < w[1]), "in number order");
            // Under ids, the article that came back had taken its tombstone's place.
            assert_eq!(numbers.len() as u64, stats.articles);
        }
    }
}
