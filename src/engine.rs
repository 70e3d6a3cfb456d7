//! The one place that drives both `cluster` and `store`: prepares articles (on all cores for a batch),
//! lets the index decide under a write lock, persists each decision, and answers lookups. The CLI and the
//! daemon are thin shells over [`Engine`].

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use rayon::prelude::*;

use crate::cluster::{Commit, Index, Offer, Restored, RestoredChunk, Standing};
use crate::config::{EngineConfig, Recorded, ValidConfig};
use crate::earlier_texts::EarlierTexts;
use crate::error::{ArticleError, ConfigError, Error, Result, StoreError};
use crate::listing::{Level, Listing, ListingTexts, Merges, Shown};
use crate::model::{
    Article, ClusterDetail, ClusterFold, ClusterId, ClusterInfo, FoldedMember, Member, Overview,
    Stats, Status, StoredArticle, StoryClusters, StoryTrend, Trend, Verdict,
};
use crate::prepare::{self, Prepared};
use crate::signature::MinHasher;
use crate::site_body::SiteBody;
use crate::store::codec::{self, Record};
use crate::store::memory::MemoryStore;
use crate::store::sled_store::SledStore;
use crate::store::{RecordBatch, RecordChunk, Store};
use crate::time::{self, Timestamp};
use crate::title_dates::TitleDates;

/// The least batch whose prepared articles a commit hands to a pool thread to free. The pipelines
/// commit blocks of thousands, where the frees showed; a single ingest or a small request frees its
/// few in place, without a task for the pool.
const FREE_ON_POOL: usize = 256;

/// A stored article's headline, source and URL, borrowed from its record.
type StoredText<'a> = (Cow<'a, str>, Option<Cow<'a, str>>, Option<Cow<'a, str>>);

/// The live articles of `index` whose time (publication, else arrival) is before `before`: what a prune
/// removes.
fn older_than(index: &Index, before: i64) -> impl Iterator<Item = u32> + '_ {
    (0..index.next_seq()).filter(move |&seq| index.is_alive(seq) && index.time(seq) < before)
}

/// A stored record as the index takes it back, with its headline, source and URL when the listings are
/// built too, and its signature's stored bytes. `position` is its place among the store's records in their
/// order (the store's own keys hold packs of records), which names a record that cannot be read.
fn decode_stored<'b>(
    bytes: &'b [u8],
    position: usize,
    listed: bool,
    config: &ValidConfig,
) -> Result<(Restored, Option<StoredText<'b>>, &'b [u8]), StoreError> {
    let (r, signature) =
        codec::decode_signature_apart(bytes).map_err(|message| StoreError::Corrupt {
            key: format!("records/#{position} (in the store's order)"),
            message,
        })?;
    let time = article_time(&r.article, r.seen);
    // A tombstone's fields are no article's: it compares with nothing.
    let (site_body, dates) = if r.removed {
        (SiteBody::NONE, TitleDates::NONE)
    } else {
        (
            prepare::site_body(&r.article, config),
            prepare::dates(&r.article, config),
        )
    };
    let restored = Restored {
        seq: r.seq,
        id: r.article.id.into_owned(),
        text_hash: r.text_hash,
        status: r.status,
        best: r.best,
        best_id: r.best_id.map(Cow::into_owned),
        similarity: r.best.map(|_| r.similarity),
        cluster: r.cluster,
        time,
        story: r.story,
        terms: r.terms.into_owned(),
        eligible: r.eligible,
        removed: r.removed,
        signature_len: signature.len() / 4,
        dates,
        site_body,
    };
    let shown =
        (listed && !r.removed).then_some((r.article.title, r.article.source, r.article.url));
    Ok((restored, shown, signature))
}

/// A stored article's time: its publication time when it has one this understands and takes (see
/// [`prepare::taken_published`]), else its arrival `seen`. A record of the first layout kept no arrival
/// (`seen` 0): its publication time is taken as it is, as when it was stored.
fn article_time(article: &Article<'_>, seen: i64) -> i64 {
    let published = prepare::published(article);
    if seen == 0 {
        return published.unwrap_or(0);
    }
    prepare::taken_published(published, seen).unwrap_or(seen)
}

/// What [`Engine::ingest_groups`] answers for one group: its verdicts in order (a replay, an id already
/// stored with the same text, answered with its verdict marked [`repeat`](Verdict::repeat) and storing
/// nothing), or the position of the first article that refused it and why.
pub type GroupResult = std::result::Result<Vec<Verdict>, (usize, Error)>;

/// A store this process holds, with its signature parameters checked, whose index is not rebuilt yet:
/// the first, quick half of [`Engine::open`]. Everything that can refuse a store without reading all of
/// it (another process holds it, other parameters) has been checked; [`open`](LockedStore::open) reads
/// it and rebuilds the index.
pub struct LockedStore {
    config: ValidConfig,
    store: Box<dyn Store>,
}

impl std::fmt::Debug for LockedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockedStore")
            .field("params", &self.config.params)
            .finish_non_exhaustive()
    }
}

impl LockedStore {
    /// The settings the engine will run with (the caller's, else the store's, else the defaults).
    pub fn config(&self) -> &ValidConfig {
        &self.config
    }

    /// Whether the store holds no article yet.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.store.is_empty()?)
    }

    /// The shared-log position the store was last brought to (see [`Engine::set_log_position`]).
    pub fn log_position(&self) -> Result<Option<String>> {
        Ok(self.store.log_position()?)
    }

    /// Reads every record and rebuilds the index: the second half of [`Engine::open`].
    pub fn open(self) -> Result<Engine> {
        Engine::rebuild(self.config, self.store, false)
    }

    /// Like [`open`](Self::open), and builds the listings that the trending and detail lookups read
    /// (taking each article's source while the records go by), so that the first lookup does not wait.
    pub fn open_listed(self) -> Result<Engine> {
        Engine::rebuild(self.config, self.store, true)
    }
}

/// The number an engine gave an accepted article (see [`Engine::commit_batch_numbers`]); its verdict as
/// it stands later comes from that engine's [`Engine::verdicts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArticleNumber(u32);

/// The number as a count: articles are numbered from 0 in the order an engine first takes them, so a
/// number at or past [`Engine::numbered`] as it was before a call is one that call gave; a repeat
/// (the same id and text again) answers the number of the article it repeats.
impl From<ArticleNumber> for u64 {
    fn from(number: ArticleNumber) -> u64 {
        u64::from(number.0)
    }
}

/// A verdict as it stands now, borrowing its strings from the engine (see [`Engine::verdicts`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VerdictRef<'a> {
    /// The article's id.
    pub id: &'a str,
    /// The cluster it belongs to now.
    pub cluster: ClusterId,
    /// New, duplicate or near-duplicate.
    pub status: Status,
    /// The best-matching earlier article, if any.
    pub duplicate_of: Option<&'a str>,
    /// Estimated Jaccard similarity to `duplicate_of` (1.0 for exact duplicates).
    pub similarity: Option<f32>,
    /// Number of articles in the cluster now.
    pub cluster_size: u64,
    /// The story it belongs to.
    pub story: ClusterId,
}

/// Articles checked, normalised and signed by [`Engine::prepare_batch`], ready for
/// [`Engine::commit_batch`].
#[derive(Debug)]
pub struct PreparedBatch {
    items: Vec<Result<Prepared, ArticleError>>,
}

impl PreparedBatch {
    /// Number of articles in the batch.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the batch holds no article.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// The deduplication engine: `Send + Sync`, so threads and the daemon share one.
///
/// Decisions are taken one at a time, in the order articles reach the engine: an article is compared
/// with every article decided before it. Threads that ingest concurrently are decided in the order they
/// take the write lock, so their clusters can differ from those of a sequential run over the same
/// articles in another order (the same order always gives the same clusters). To reproduce a run, feed
/// it in one order, for example through one thread or [`ingest_batch`](Engine::ingest_batch).
///
/// The engine does the parallel work it does under its lock on a thread pool of its own (as many threads
/// as rayon's global pool), so that it may be called from anywhere, the tasks of a rayon pool included: a
/// caller on a thread of another pool waits for the engine's work without taking up that pool's tasks
/// meanwhile. Preparing a batch (normalising and signing it, before the lock) runs on the pool of the
/// thread that calls it, rayon's global pool from a plain thread, beside the caller's own work there.
///
/// Dropping the engine closes it: its store is let go of, so that it can be opened again, once the drop
/// returns (which, for a store of millions of articles, takes a second or more while the index's memory
/// is freed). A drop writes out what was ingested too, but a write that fails there goes unreported:
/// call [`flush`](Self::flush) first, whose `Ok` means that everything ingested before it is durable.
///
/// ```
/// use storyhash::{Article, Engine, EngineConfig, Status};
///
/// let engine = Engine::in_memory(EngineConfig::default())?;
/// let first = engine.ingest(&Article::new("1", "ECB unlikely to end sterilisation of SMP purchases - traders"))?;
/// let second = engine.ingest(&Article::new("2", "ECB unlikely to end sterilization of SMP purchases: traders"))?;
/// assert_eq!(first.status, Status::New);
/// assert_eq!(second.status, Status::NearDuplicate);
/// assert_eq!(second.cluster, first.cluster);
/// assert_eq!(second.duplicate_of.as_deref(), Some("1"));
/// # Ok::<(), storyhash::Error>(())
/// ```
pub struct Engine {
    config: ValidConfig,
    hasher: MinHasher,
    index: RwLock<Index>,
    store: Box<dyn Store>,
    /// Built when first needed (or at open), then kept in step under the index's write lock.
    listing: OnceLock<RwLock<Listing>>,
    /// Counts changes to what the engine holds, for callers that cache answers.
    generation: AtomicU64,
    /// Articles stored since open whose `published` field could not be read.
    unreadable_times: AtomicU64,
    /// Articles stored since open with no `published` (see [`Stats::untimed`]).
    untimed: AtomicU64,
    /// How full the band tables were when this engine last recorded it in the store (0: not yet; see
    /// [`flush`](Self::flush)).
    recorded_buckets: AtomicU64,
    /// Whether the store followed a shared log that this engine does not apply (see
    /// [`follow_log`](Self::follow_log)): its first write marks the store as having left that log.
    outside_log: AtomicBool,
}

/// The log position of a store written outside the shared log it followed: a node cannot go on applying
/// that log from it, as the store holds writes the log does not.
pub const LEFT_LOG: &str = "left";

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("params", &self.config.params)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Most arrival bins [`trending_stories`](Self::trending_stories) counts per story.
    pub const MAX_BINS: usize = 10_000;

    /// Whether directory `path` holds a store (which [`Engine::open`] would open rather than create):
    /// known by the store's own files (its `conf`, or its `db` beside the count of its flushes), not by
    /// files that only bear their names.
    pub fn store_exists(path: impl AsRef<Path>) -> bool {
        crate::store::sled_store::holds_store(path.as_ref())
    }

    /// Removes the store in directory `path` (its files, and the directory once nothing else is left),
    /// such as one a refused start has just made. Refused, removing nothing, when the directory holds no
    /// store ([`store_exists`](Self::store_exists); `ErrorKind::InvalidInput`) or the store is open,
    /// here or in another process, after a wait of up to 3 seconds for a handle just dropped to let go
    /// (`ErrorKind::WouldBlock`).
    pub fn remove_store(path: impl AsRef<Path>) -> std::io::Result<()> {
        crate::store::sled_store::remove_store(path.as_ref())
    }

    /// Removes the store in directory `path` but not the directory: its own files go, and whatever
    /// else the directory holds stays (a directory made for the store beforehand, a volume's mount
    /// point). Refused as [`remove_store`](Self::remove_store) is.
    pub fn remove_store_files(path: impl AsRef<Path>) -> std::io::Result<()> {
        crate::store::sled_store::remove_store_files(path.as_ref())
    }

    /// Opens (or creates) a durable engine whose store lives in directory `path`. A new store's directory
    /// is made, but not the directories above it: a path whose parent is missing is a
    /// [`StoreError::Open`], so that a mistyped path is not taken for a new, empty store.
    ///
    /// A new store records the parameters that shape its signatures (shingles, fields, permutations,
    /// bands and rows, seed) and the threshold. Opening it again, every setting `config` leaves `None`
    /// takes the store's value, so `EngineConfig::default()` reopens any store with the signatures and
    /// threshold it was created with; a setting given that shapes signatures differently is a
    /// [`StoreError::ParamMismatch`] naming the first that differs. The other settings (`linkage`,
    /// `window`, the story settings, `min_shingles`, `bucket_cap`, `max_field_bytes`) are not recorded:
    /// each open takes them from `config`. A store that another process, or an engine still alive in
    /// this one, holds is a [`StoreError::InUse`].
    ///
    /// ```
    /// use storyhash::{Engine, EngineConfig, ShingleKind};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let words = EngineConfig { shingle: Some(ShingleKind::Word(1)), ..EngineConfig::default() };
    /// drop(Engine::open(dir.path(), words)?);
    /// // Reopened without a word about shingles, it keeps the store's.
    /// let engine = Engine::open(dir.path(), EngineConfig::default())?;
    /// assert_eq!(engine.config().params.shingle, ShingleKind::Word(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>, config: EngineConfig) -> Result<Engine> {
        Engine::lock_store(path, config)?.open()
    }

    /// The bands, rows and threshold the store in directory `path` was created with, read without
    /// rebuilding its index, for a message that tells a caller what to give to match it; `None` when it
    /// cannot be taken (another process holds it, or it is unreadable) or there is none.
    pub fn store_bands(path: impl AsRef<Path>) -> Option<(usize, usize, f64)> {
        if !Engine::store_exists(&path) {
            return None;
        }
        let locked = Engine::lock_store(path, EngineConfig::default()).ok()?;
        let config = locked.config();
        Some((config.params.bands, config.params.rows, config.threshold()))
    }

    /// The quick first half of [`open`](Self::open): takes the store in directory `path` (creating it if
    /// missing) and checks its parameters, without reading its records. The daemon does this before it
    /// says it is listening, and the rest in the background.
    pub fn lock_store(path: impl AsRef<Path>, config: EngineConfig) -> Result<LockedStore> {
        let path = path.as_ref();
        // Settings that cannot work are refused before anything is made on disk.
        config.check_given()?;
        let store = SledStore::open(path)?;
        let config = Engine::settle_params(&config, &store, Some(path))?;
        Ok(LockedStore {
            config,
            store: Box::new(store),
        })
    }

    /// An engine that keeps everything in memory, for one-off runs and tests.
    pub fn in_memory(config: EngineConfig) -> Result<Engine> {
        Engine::in_memory_with(config, MemoryStore::new())
    }

    /// An engine in memory that keeps its index but not the articles themselves, for runs that want
    /// verdicts only: it decides exactly as [`in_memory`](Self::in_memory) does and answers the same
    /// verdicts, clusters and stories, in less memory and time. Whatever reads an article back finds
    /// none: [`get`](Self::get) answers `None`, cluster and story representatives are empty, and
    /// [`remove`](Self::remove) and [`prune`](Self::prune) refuse to take out an article the engine
    /// holds, with a [`StoreError::Backend`] whose `os_code` is `None` (taking an article out needs its
    /// text); an id it does not hold is `Ok(false)` and a prune with nothing old enough `Ok(0)`, as
    /// elsewhere.
    ///
    /// ```
    /// use storyhash::{Article, Engine, EngineConfig, Status};
    ///
    /// let engine = Engine::in_memory_without_articles(EngineConfig::default())?;
    /// engine.ingest(&Article::new("1", "ECB unlikely to end sterilisation of SMP purchases - traders"))?;
    /// let second = engine.ingest(&Article::new("2", "ECB unlikely to end sterilization of SMP purchases: traders"))?;
    /// assert_eq!(second.status, Status::NearDuplicate);
    /// assert!(engine.get("1")?.is_none());
    /// # Ok::<(), storyhash::Error>(())
    /// ```
    pub fn in_memory_without_articles(config: EngineConfig) -> Result<Engine> {
        Engine::in_memory_with(config, MemoryStore::without_records())
    }

    fn in_memory_with(config: EngineConfig, store: MemoryStore) -> Result<Engine> {
        config.check_given()?;
        let config = Engine::settle_params(&config, &store, None)?;
        Engine::rebuild(config, Box::new(store), false)
    }

    /// The settings of an engine on `store`: those `asked` gives, the store's recorded ones for the rest.
    /// Refuses settings that shape signatures otherwise than the store's; records them in a new store.
    fn settle_params(
        asked: &EngineConfig,
        store: &dyn Store,
        path: Option<&Path>,
    ) -> Result<ValidConfig> {
        let recorded = match store.params()? {
            Some(fields) => {
                Some(
                    Recorded::from_fields(&fields).map_err(|message| StoreError::Corrupt {
                        key: "params".into(),
                        message,
                    })?,
                )
            }
            None => None,
        };
        let config = asked.resolve(recorded.as_ref())?;
        match &recorded {
            Some(recorded) => {
                let stored = recorded.params.fields();
                for ((field, requested), (_, found)) in config.params.fields().iter().zip(&stored) {
                    if requested != found {
                        // Bands and rows follow from the threshold unless set: say so.
                        let derived =
                            matches!(*field, "bands" | "rows") && config.config.bands_derived;
                        let requested = if derived {
                            format!(
                                "{requested} (derived from threshold {})",
                                config.config.threshold
                            )
                        } else {
                            requested.clone()
                        };
                        return Err(StoreError::ParamMismatch {
                            path: path.map(Path::to_path_buf).unwrap_or_default(),
                            field,
                            stored: found.clone(),
                            requested,
                        }
                        .into());
                    }
                }
            }
            None => {
                store.set_params(&Recorded::fields(&config))?;
                store.flush()?;
            }
        }
        Ok(config)
    }

    /// Reads every record of `store` and rebuilds the index (and, with `listed`, the listings).
    fn rebuild(config: ValidConfig, store: Box<dyn Store>, listed: bool) -> Result<Engine> {
        let hasher = MinHasher::new(config.params.permutations, config.params.seed);
        let (index, built) = Engine::load_index(&config, &hasher, store.as_ref(), listed)?;
        let listing = OnceLock::new();
        if let Some(built) = built {
            let _ = listing.set(RwLock::new(built));
        }
        let followed_a_log = store.log_position()?.is_some_and(|p| p != LEFT_LOG);
        // The hint as stored, so that a flush after removals that emptied the tables records the drop (a
        // pruned store reopened with room made for the buckets it once held kept them in memory).
        let recorded_buckets = store.index_buckets()?.unwrap_or(0);
        Ok(Engine {
            config,
            hasher,
            index: RwLock::new(index),
            store,
            listing,
            generation: AtomicU64::new(0),
            unreadable_times: AtomicU64::new(0),
            untimed: AtomicU64::new(0),
            recorded_buckets: AtomicU64::new(recorded_buckets),
            outside_log: AtomicBool::new(followed_a_log),
        })
    }

    /// Builds the index from every record of `store` (and, with `listed`, the listings).
    fn load_index(
        config: &ValidConfig,
        hasher: &MinHasher,
        store: &dyn Store,
        listed: bool,
    ) -> Result<(Index, Option<Listing>)> {
        let mut index = Index::new(config);
        // An exact copy's record holds no signature: one that stands for its text (its first copy gone)
        // is signed again from its record, and has none when its text has too few shingles.
        let sign = |seq: u32| -> Vec<u32> {
            let Ok(Some(bytes)) = store.get("", seq) else {
                return Vec::new();
            };
            let Ok(record) = codec::decode(&bytes) else {
                return Vec::new();
            };
            match prepare::sign_stored(&record.article, config, hasher) {
                Some((shingles, signature)) if shingles >= config.config.min_shingles as u32 => {
                    signature
                }
                _ => Vec::new(),
            }
        };
        let links = store.links()?;
        if let Some(buckets) = store.index_buckets()? {
            index.reserve_band_tables(buckets as usize);
        }
        let shape = index.band_shape();
        // A pipeline of chunks: one thread scans the store, one decodes each chunk it read (on all
        // cores) and computes its band keys, while the index takes in the chunk decoded before. A chunk
        // is freed once taken in.
        type Decoded = Result<RestoredChunk, StoreError>;
        let mut texts = ListingTexts::default();
        let (sender, chunks) = std::sync::mpsc::sync_channel::<RecordChunk>(2);
        let (decoded_sender, decoded) = std::sync::mpsc::sync_channel::<Decoded>(1);
        std::thread::scope(|scope| -> Result<(), StoreError> {
            let store = &store;
            let loader = scope.spawn(move || {
                store.load(&mut |chunk| {
                    sender.send(chunk).map_err(|_| StoreError::Backend {
                        operation: "load",
                        message: "decoding stopped".into(),
                        os_code: None,
                    })
                })
            });
            let decoder = scope.spawn(move || {
                let mut texts = ListingTexts::default();
                let mut before = 0;
                for chunk in chunks {
                    let records: Result<Vec<_>, StoreError> = crate::pool::run(|| {
                        (0..chunk.len())
                            .into_par_iter()
                            .map(|i| decode_stored(chunk.get(i), before + i, listed, config))
                            .collect()
                    });
                    before += chunk.len();
                    let keyed = records.map(|mut records| {
                        let mut signatures = Vec::with_capacity(records.len());
                        let mut articles = Vec::with_capacity(records.len());
                        // The texts were decoded on other cores: the listing's first touch of each
                        // would wait for it, so the texts of the record 8 ahead are asked for.
                        const AHEAD: usize = 8;
                        for i in 0..records.len() {
                            if let Some((_, Some((title, source, _)), _)) = records.get(i + AHEAD) {
                                crate::lsh::prefetch_address(title.as_ptr());
                                if let Some(source) = source {
                                    crate::lsh::prefetch_address(source.as_ptr());
                                }
                            }
                            let (r, shown, signature) = &mut records[i];
                            if let Some((title, source, url)) = shown.take() {
                                texts.add(r.seq, &title, source.as_deref(), url.as_deref());
                            }
                            signatures.push(std::mem::take(signature));
                        }
                        articles.extend(records.into_iter().map(|(r, _, _)| r));
                        shape.key(articles, &signatures)
                    });
                    drop(chunk);
                    let failed = keyed.is_err();
                    // A stopped index, or a record that could not be read, stops the scan too.
                    if decoded_sender.send(keyed).is_err() || failed {
                        break;
                    }
                }
                texts
            });
            let mut failed = None;
            let rebuilt = index.restore(&links.clusters, &links.stories, sign, || {
                match decoded.recv().ok()? {
                    Ok(chunk) => Some(chunk),
                    Err(e) => {
                        failed = Some(e);
                        None
                    }
                }
            });
            drop(decoded);
            let loaded = loader.join().map_err(|_| StoreError::Backend {
                operation: "load",
                message: "the loading thread panicked".into(),
                os_code: None,
            })?;
            texts = decoder.join().map_err(|_| StoreError::Backend {
                operation: "load",
                message: "the decoding thread panicked".into(),
                os_code: None,
            })?;
            if let Some(e) = failed {
                return Err(e);
            }
            // A rebuild that stopped at a bad record stopped the scan too: its error is the one to tell.
            rebuilt.map_err(|message| StoreError::Corrupt {
                key: "articles".into(),
                message,
            })?;
            loaded
        })?;
        let listing = listed.then(|| Listing::build_from(&index, texts));
        Ok((index, listing))
    }

    /// Rebuilds the index (and the listings, if built) from the store, as opening it again would. Lookups
    /// go on against the old index meanwhile; writes wait.
    ///
    /// After a removal or a prune, the story state of an engine that made it can differ from that of the
    /// same store opened again: a story keeps the norm it last computed with the document counts of then,
    /// which included articles since removed, and a word's list of recent stories, once full, dropped older
    /// stories to list those of articles since removed. Later articles can then be given other stories. A
    /// process that must decide exactly as any other opening of its store would — a node applying a shared
    /// log — reloads after removing. It costs what opening costs (seconds for a million articles). An
    /// engine in memory has nothing to rebuild from: its index is all it holds, and it keeps it.
    pub fn reload(&self) -> Result<()> {
        if !self.store.reloads() {
            return Ok(());
        }
        let listed = self.listing.get().is_some();
        // Loaded under the read lock, so that nothing is written meanwhile and lookups go on.
        let (loaded, seen) = {
            let _index = self.read();
            let seen = self.generation();
            (
                Engine::load_index(&self.config, &self.hasher, self.store.as_ref(), listed)?,
                seen,
            )
        };
        let mut index = self.write();
        let (fresh, listing) = if self.generation() == seen {
            loaded
        } else {
            // Written between the two locks: load again.
            Engine::load_index(&self.config, &self.hasher, self.store.as_ref(), listed)?
        };
        *index = fresh;
        if let (Some(listing), Some(mut current)) = (listing, self.listing_mut()) {
            *current = listing;
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// The validated configuration and derived parameters.
    pub fn config(&self) -> &ValidConfig {
        &self.config
    }

    /// The index to read, its story steps all taken (see
    /// [`commit_batch_numbers`](Self::commit_batch_numbers)).
    fn read(&self) -> RwLockReadGuard<'_, Index> {
        loop {
            let index = self.index.read().unwrap_or_else(|e| e.into_inner());
            // Steps are left and taken under the write lock only: none left now stays so while this
            // is held.
            if !index.has_unsettled_stories() {
                return index;
            }
            drop(index);
            drop(self.write());
        }
    }

    /// The index to change, its story steps all taken.
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Index> {
        let mut index = self.write_unsettled();
        index.settle_stories();
        index
    }

    /// The index to change, with any story steps left for later still left.
    fn write_unsettled(&self) -> RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The listings, built from `index` (a guard of this engine's index) the first time they are needed.
    fn listing(&self, index: &Index) -> RwLockReadGuard<'_, Listing> {
        self.listing
            .get_or_init(|| {
                RwLock::new(Listing::build(index, |seq| {
                    self.load_article(index, seq)
                        .ok()
                        .flatten()
                        .map(|a| Shown {
                            title: a.title.into_owned(),
                            source: a.source.map(Cow::into_owned),
                            url: a.url.map(Cow::into_owned),
                        })
                        .unwrap_or_default()
                }))
            })
            .read()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The listings for an update, if they have been built (under the index's write lock).
    fn listing_mut(&self) -> Option<std::sync::RwLockWriteGuard<'_, Listing>> {
        self.listing
            .get()
            .map(|l| l.write().unwrap_or_else(|e| e.into_inner()))
    }

    /// Builds the listings now if they are not built yet, so that the first lookup does not wait.
    pub fn prepare_listing(&self) {
        let index = self.read();
        drop(self.listing(&index));
    }

    /// A number that changes whenever what the engine holds changes (an article stored or removed), for
    /// callers that cache answers.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The verdict of stored article `seq` as it stands now, asked for again under `id`: a repeat.
    fn verdict(&self, index: &Index, seq: u32, id: &str) -> Verdict {
        Self::verdict_of(index, &Self::as_it_stands(index, seq), id, true)
    }

    /// Article `seq`'s cluster, the cluster's size and its story as they stand now.
    fn as_it_stands(index: &Index, seq: u32) -> Standing {
        let cluster = index.root(seq);
        Standing {
            seq,
            cluster,
            cluster_size: index.cluster_size(cluster),
            story: index.story_of(seq).unwrap_or(seq),
        }
    }

    /// The verdict of a committed article: what the index decided for it, with the cluster, size and story
    /// `c` gives; `repeat` when the article was stored before (the same id and text).
    fn verdict_of(index: &Index, c: &Standing, id: &str, repeat: bool) -> Verdict {
        let (status, best, similarity) = index.decided(c.seq);
        Verdict {
            id: id.to_string(),
            cluster: c.cluster as ClusterId,
            status,
            duplicate_of: best.map(|b| index.id(b).to_string()),
            similarity,
            cluster_size: c.cluster_size as u64,
            story: c.story as ClusterId,
            repeat,
        }
    }

    /// Decides on a batch under the write lock and persists every fresh decision, in order. `arrivals[i]`
    /// is article `i`'s arrival time: its time when it has no readable publication time. Nothing here
    /// reads a clock.
    fn commit(
        &self,
        index: &mut Index,
        articles: &[&Article<'_>],
        prepared: &[&Prepared],
        arrivals: &[i64],
        later: bool,
    ) -> Vec<Result<(Standing, bool)>> {
        let offers: Vec<Offer<'_>> = articles
            .iter()
            .zip(prepared)
            .zip(arrivals)
            .map(|((a, &p), &arrival)| {
                let published = prepare::taken_published(p.published, arrival);
                Offer {
                    id: &a.id,
                    prepared: p,
                    time: published.unwrap_or(arrival),
                    untimed: published.is_none(),
                }
            })
            .collect();
        // An article's shingle count and signature, for one whose preparation left them out.
        let counted_signature = |i: usize| {
            prepare::prepare(articles[i], &self.config, &self.hasher)
                .map(|p| (p.shingles, p.signature))
                .unwrap_or_default()
        };
        let full_signature = |i: usize| counted_signature(i).1;
        let words = |i: usize| {
            // Most articles that need their words are followed by another that does: its title has
            // long left the cache since it was normalised.
            if let Some(first) = articles.get(i + 1).and_then(|a| a.title.as_bytes().first()) {
                crate::lsh::prefetch(first);
            }
            prepare::story_terms(articles[i], prepared[i].headline)
        };
        // With the story steps left for later, what an article's would read of its headline.
        let headline = |i: usize, text: &mut String| {
            text.push_str(&prepare::story_headline(articles[i], prepared[i].headline));
        };
        let later = later.then_some(&headline as &crate::cluster::WriteHeadline<'_>);
        let mut commits = index.commit_batch(&offers, counted_signature, words, later);
        // The records of the fresh decisions, encoded on all cores a chunk at a time; each chunk is stored
        // whole, in order.
        let fresh: Vec<usize> = commits
            .iter()
            .enumerate()
            .filter_map(|(i, c)| matches!(c, Ok(Commit::Fresh(_))).then_some(i))
            .collect();
        let keep_signatures = self.store.keeps_signatures();
        let permutations = self.config.params.permutations;
        let decided: &Index = index;
        let encode = |chunk: &[usize]| {
            let mut batch = RecordBatch::with_capacity(chunk.len());
            for &i in chunk {
                let Ok(Commit::Fresh(decision)) = &commits[i] else {
                    continue;
                };
                // An exact copy is never in the band tables while its text's first copy is, and the store
                // keeps that copy's signature: a copy that must stand for its text at open (its first
                // copy gone) is signed again then.
                let signature: Cow<'_, [u32]> =
                    if !keep_signatures || decision.status == Status::Duplicate {
                        Cow::Borrowed(&[])
                    } else if prepared[i].signature.len() == permutations {
                        Cow::Borrowed(&prepared[i].signature)
                    } else {
                        Cow::Owned(full_signature(i))
                    };
                let record = Record {
                    seq: decision.seq,
                    text_hash: prepared[i].text_hash,
                    status: decision.status,
                    best: decision.best,
                    best_id: decision.best.map(|b| Cow::Borrowed(decided.id(b))),
                    similarity: decision.similarity.unwrap_or(0.0),
                    cluster: decision.cluster,
                    seen: arrivals[i],
                    story: decision.story,
                    eligible: decision.eligible,
                    removed: false,
                    article: articles[i].borrowed(),
                    signature: Cow::Borrowed(&signature),
                    terms: Cow::Borrowed(&decision.story_terms),
                };
                for &(from, into) in &decision.merges {
                    batch.link_clusters(from, into);
                }
                for &merge in &decision.story_merges {
                    batch.link_stories(merge);
                }
                batch.push(decision.seq, &articles[i].id, |out| {
                    codec::encode(&record, out)
                });
            }
            batch
        };
        const RECORDS_PER_CHUNK: usize = 4096;
        let batches: Vec<RecordBatch> = if !self.store.keeps_records() {
            Vec::new()
        } else if fresh.len() >= 2 * RECORDS_PER_CHUNK {
            crate::pool::run(|| fresh.par_chunks(RECORDS_PER_CHUNK).map(encode).collect())
        } else {
            fresh.chunks(RECORDS_PER_CHUNK).map(encode).collect()
        };
        // After a store failure nothing from the article it refused on is acknowledged, replays included
        // (the article they repeat may be one that failed).
        let mut refused_from = commits.len();
        let mut failure = None;
        for (batch, chunk) in batches.into_iter().zip(fresh.chunks(RECORDS_PER_CHUNK)) {
            // A store that followed a shared log is marked as left before its first write here.
            if let Err(e) = self.leave_log().and_then(|()| self.store.put_batch(batch)) {
                refused_from = chunk[0];
                // Said once: the error built below names the operation again.
                failure = Some(match e {
                    StoreError::Backend {
                        message, os_code, ..
                    } => (message, os_code),
                    other => (other.to_string(), other.os_code()),
                });
                break;
            }
        }
        let mut out = Vec::with_capacity(articles.len());
        let mut untimed = 0;
        let mut listing = self.listing_mut();
        let mut changed = false;
        for (i, commit) in commits.drain(..).enumerate() {
            let article = articles[i];
            let decision = match commit {
                Err(e) => {
                    out.push(Err(e.into()));
                    continue;
                }
                Ok(Commit::Replay(_)) if i >= refused_from => {
                    out.push(Err(StoreError::Backend {
                        operation: "write article",
                        message: "an earlier write in this batch failed".into(),
                        os_code: failure.as_ref().and_then(|(_, code)| *code),
                    }
                    .into()));
                    continue;
                }
                Ok(Commit::Replay(standing)) => {
                    out.push(Ok((standing, true)));
                    continue;
                }
                Ok(Commit::Fresh(d)) => d,
            };
            changed = true;
            let merges = Merges {
                clusters: &decision.merges,
                stories: &decision.story_merges,
            };
            if i >= refused_from {
                // The index keeps the merges this article made; so do the listings.
                if let Some(listing) = listing.as_mut() {
                    listing.merge(merges);
                }
                let signature = if prepared[i].signature.len() == permutations {
                    prepared[i].signature.clone()
                } else {
                    full_signature(i)
                };
                index.remove(decision.seq, &signature, &decision.story_terms);
                let (e, os_code) = failure
                    .as_ref()
                    .map_or(("", None), |(message, code)| (message.as_str(), *code));
                let message = if i == refused_from {
                    format!(
                        "article `{}` not stored: {e}",
                        crate::error::shown_id(&article.id)
                    )
                } else {
                    format!("an earlier write in this batch failed: {e}")
                };
                out.push(Err(StoreError::Backend {
                    operation: "write article",
                    message,
                    os_code,
                }
                .into()));
                continue;
            }
            if offers[i].untimed {
                if article
                    .published
                    .as_deref()
                    .is_some_and(|p| !p.trim().is_empty())
                {
                    self.unreadable_times.fetch_add(1, Ordering::Relaxed);
                } else {
                    untimed += 1;
                }
            }
            if let Some(listing) = listing.as_mut() {
                listing.add(
                    decision.seq,
                    decision.cluster,
                    decision.story,
                    merges,
                    index.time(decision.seq),
                    &article.title,
                    article.source.as_deref(),
                    article.url.as_deref(),
                );
            }
            out.push(Ok((
                Standing {
                    seq: decision.seq,
                    cluster: decision.cluster,
                    cluster_size: decision.cluster_size,
                    story: decision.story,
                },
                false,
            )));
        }
        if let Some(listing) = listing.as_mut() {
            listing.settle(index);
        }
        // The next batch decides into the same memory rather than fresh pages.
        index.recycle_commits(commits);
        if untimed > 0 {
            self.untimed.fetch_add(untimed, Ordering::Relaxed);
        }
        if changed {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        out
    }

    /// Decides on one article and stores it. Re-ingesting a stored id with the same text returns its
    /// verdict as it stands now (its cluster's current id and size) and changes nothing; with a different
    /// text it is an [`ArticleError::IdConflict`].
    ///
    /// The article is durable after the next [`flush`](Self::flush). Called from several threads at once,
    /// articles are decided in the order they take the engine's write lock (see [`Engine`]).
    ///
    /// The article's time is its `published` field read by [`Timestamp::parse`] (a time without a zone
    /// is UTC). A time that does not read, or lies more than a day after the article's arrival (a wrong
    /// clock or zone), is not an error: the article takes its arrival as its time, and
    /// [`unreadable_times`](Self::unreadable_times) counts it; an article without `published` takes
    /// its arrival too ([`Stats::untimed`](crate::Stats::untimed)). The window, the stories and
    /// [`prune`](Self::prune) go by that time: check a feed's times with [`Timestamp::parse`] first if
    /// they matter.
    pub fn ingest(&self, article: &Article<'_>) -> Result<Verdict> {
        // An exact copy of a text the index holds is not signed (most of a crawl's repeats), unless a
        // commit holds the index: the commit signs it if the text has gone by then.
        let held = |text_hash| {
            self.index
                .try_read()
                .is_ok_and(|index| index.has_text(text_hash))
        };
        let prepared = prepare::prepare_unless_held(article, &self.config, &self.hasher, held)?;
        let mut index = self.write();
        let committed = self
            .commit(&mut index, &[article], &[&prepared], &[time::now()], false)
            .pop()
            .expect("commit answers every article")?;
        Ok(Self::verdict_of(
            &index,
            &committed.0,
            &article.id,
            committed.1,
        ))
    }

    /// Checks an article against the engine's limits (an id, a title that is not blank, no field over
    /// [`EngineConfig::max_field_bytes`]) without deciding anything: what [`ingest`](Self::ingest) would
    /// refuse before looking at other articles.
    pub fn check(&self, article: &Article<'_>) -> Result<(), ArticleError> {
        prepare::check(article, &self.config)
    }

    /// The positions in `articles` whose id would be refused as an [`ArticleError::IdConflict`] if they
    /// were ingested in that order: stored with a different text, or given earlier in `articles` with a
    /// different text (an id repeated with the same text is not one). An article refused for its fields
    /// ([`check`](Self::check)) takes no part. Stores nothing: for telling a caller every conflict of a
    /// batch at once rather than the first alone.
    ///
    /// ```
    /// use storyhash::{Article, Engine, EngineConfig};
    ///
    /// let engine = Engine::in_memory(EngineConfig::default())?;
    /// engine.ingest(&Article::new("u1", "Storm hits the coast"))?;
    /// let batch = [
    ///     Article::new("u1", "Storm hits the coast, thousands flee"), // revised
    ///     Article::new("u2", "Markets rally"),
    ///     Article::new("u2", "Markets rally"),                        // a repeat
    ///     Article::new("u2", "Markets fall"),                         // another text
    /// ];
    /// assert_eq!(engine.id_conflicts(&batch), [0, 3]);
    /// # Ok::<(), storyhash::Error>(())
    /// ```
    pub fn id_conflicts(&self, articles: &[Article<'_>]) -> Vec<usize> {
        let hashes: Vec<Option<u64>> = articles
            .iter()
            .map(|a| {
                prepare::check(a, &self.config)
                    .ok()
                    .map(|()| prepare::normalize(a, &self.config).text_hash)
            })
            .collect();
        let index = self.read();
        let mut first_text: HashMap<&str, u64> = HashMap::new();
        let mut out = Vec::new();
        for (pos, (article, hash)) in articles.iter().zip(hashes).enumerate() {
            let Some(hash) = hash else { continue };
            let id: &str = &article.id;
            let text = match index.lookup(id) {
                Some(seq) => index.text_hash(seq),
                None => *first_text.entry(id).or_insert(hash),
            };
            if text != hash {
                out.push(pos);
            }
        }
        out
    }

    /// Ingests many articles: prepared on all cores, then decided in order, exactly as the same articles
    /// ingested one at a time. One result per article; a rejected article does not stop the others.
    /// As with [`ingest`](Self::ingest), the articles are durable after the next
    /// [`flush`](Self::flush).
    pub fn ingest_batch(&self, articles: &[Article<'_>]) -> Vec<Result<Verdict>> {
        let prepared = self.prepare_batch(articles);
        self.commit_batch(articles, prepared)
    }

    /// The first half of [`ingest_batch`](Self::ingest_batch): checks, normalises and signs articles on
    /// all cores without deciding anything, so that a pipeline can prepare the next batch while the
    /// previous one is committed. Only the first copy of a text the engine has not seen is signed; the
    /// commit signs whatever it finds missing. The story terms are read by the commit, for the articles
    /// that need them.
    pub fn prepare_batch(&self, articles: &[Article<'_>]) -> PreparedBatch {
        self.prepare_batch_in(articles, None)
    }

    /// [`prepare_batch`](Self::prepare_batch) for a pipeline that prepares batch number `batch` while
    /// the batches before it commit: the texts of those batches (as `earlier` records them) need no
    /// signature either, and this batch's texts are recorded there for the batches after it. Batches are
    /// numbered in the order they are committed; the commit signs whatever it finds missing, so the
    /// verdicts are those of [`prepare_batch`](Self::prepare_batch).
    pub fn prepare_batch_after(
        &self,
        articles: &[Article<'_>],
        earlier: &EarlierTexts,
        batch: u64,
    ) -> PreparedBatch {
        self.prepare_batch_in(articles, Some((earlier, batch)))
    }

    fn prepare_batch_in(
        &self,
        articles: &[Article<'_>],
        earlier: Option<(&EarlierTexts, u64)>,
    ) -> PreparedBatch {
        let normalized = prepare::normalize_batch(articles, &self.config);
        // Only the first copy of a text needs a signature (a store keeps none for exact copies), and
        // texts the index will hold when this batch commits need none (if one turns out not to be held,
        // the commit signs it). The index is asked only when no commit holds it: this batch is prepared
        // while the one before commits. A pipeline's earlier batches say which texts they bring.
        let needs_signature: Vec<bool> = {
            let index = self.index.try_read().ok();
            let held = |text_hash| index.as_ref().is_some_and(|i| i.has_text(text_hash));
            let text_hashes = normalized
                .iter()
                .map(|n| n.as_ref().ok().map(|n| n.text_hash));
            match earlier {
                Some((texts, batch)) => texts
                    .first_copies(batch, text_hashes)
                    .into_iter()
                    .zip(&normalized)
                    .map(|(first, n)| first && n.as_ref().is_ok_and(|n| !held(n.text_hash)))
                    .collect(),
                None => {
                    let mut seen = HashSet::with_capacity(articles.len());
                    text_hashes
                        .map(|h| h.is_some_and(|h| !held(h) && seen.insert(h)))
                        .collect()
                }
            }
        };
        // The story terms are left to the commit: it reads them only for the articles that follow no
        // earlier article's story.
        let prepare_one = |scratch: &mut Vec<u64>,
                           ((n, &needs), a): (
            (Result<prepare::Normalized, ArticleError>, &bool),
            &Article<'_>,
        )| {
            let n = n?;
            if !needs {
                // Shingle count unknown: a text the index holds is as eligible as the copy that
                // holds it, and the commit counts the shingles of one it turns out to sign.
                return Ok(Prepared {
                    text_hash: n.text_hash,
                    shingles: u32::MAX,
                    signature: Vec::new(),
                    terms: None,
                    published: prepare::published(a),
                    headline: n.headline,
                    dates: n.dates,
                    site_body: n.site_body,
                });
            }
            let (shingles, signature) = prepare::sign(&n, &self.config, &self.hasher, scratch);
            Ok(Prepared {
                text_hash: n.text_hash,
                shingles,
                signature,
                terms: None,
                published: prepare::published(a),
                headline: n.headline,
                dates: n.dates,
                site_body: n.site_body,
            })
        };
        let items: Vec<Result<Prepared, ArticleError>> = if articles.len() >= prepare::PARALLEL_FROM
        {
            normalized
                .into_par_iter()
                .zip(needs_signature.par_iter())
                .zip(articles.par_iter())
                .map_init(Vec::new, prepare_one)
                .collect()
        } else {
            let mut scratch = Vec::new();
            normalized
                .into_iter()
                .zip(needs_signature.iter())
                .zip(articles.iter())
                .map(|item| prepare_one(&mut scratch, item))
                .collect()
        };
        PreparedBatch { items }
    }

    /// The second half of [`ingest_batch`](Self::ingest_batch): decides on articles prepared by
    /// [`prepare_batch`](Self::prepare_batch), in order, and stores them. `articles` must be the slice
    /// the batch was prepared from, by this engine: a batch of another length is rejected whole, but
    /// other articles of the same number are not told apart (that would cost the commit a second pass
    /// over every text) and get the verdicts of the texts prepared.
    pub fn commit_batch(
        &self,
        articles: &[Article<'_>],
        prepared: PreparedBatch,
    ) -> Vec<Result<Verdict>> {
        self.commit_prepared(articles, prepared, true, |index, c, repeat, article| {
            Self::verdict_of(index, c, &article.id, repeat)
        })
    }

    /// Like [`commit_batch`](Self::commit_batch), for a pipeline that reads its verdicts later: answers
    /// each accepted article's number instead of its verdict, making no string. [`verdicts`](Self::verdicts)
    /// reads them out as they stand then. On an engine that keeps no articles
    /// ([`in_memory_without_articles`](Self::in_memory_without_articles)) the batch's story steps are
    /// taken on a thread of their own beside the next such call, or before anything else reads or
    /// changes the engine: every answer and verdict is as if they had been taken at once.
    pub fn commit_batch_numbers(
        &self,
        articles: &[Article<'_>],
        prepared: PreparedBatch,
    ) -> Vec<Result<ArticleNumber>> {
        self.commit_prepared(articles, prepared, false, |_, c, _, _| ArticleNumber(c.seq))
    }

    /// Calls `each` with the verdict of every numbered article as it stands now: its cluster's current id
    /// and size (the article itself included), under one read lock. A number past the newest this
    /// engine gave is skipped; a number is not tied to its engine, and another engine's number reads
    /// whichever article holds it here. `each` must not call this engine (an `ingest`, a `remove`, even
    /// a lookup while a writer waits): the read lock is held meanwhile, and the call would wait for
    /// itself.
    pub fn verdicts(&self, numbers: &[ArticleNumber], mut each: impl FnMut(VerdictRef<'_>)) {
        let index = self.read();
        for (i, &ArticleNumber(seq)) in numbers.iter().enumerate() {
            index.prefetch_verdicts_ahead(i, |j| numbers.get(j).map(|n| n.0));
            if seq >= index.next_seq() {
                continue;
            }
            let now = Self::as_it_stands(&index, seq);
            let (status, best, similarity) = index.decided(seq);
            each(VerdictRef {
                id: index.id(seq),
                cluster: now.cluster as ClusterId,
                status,
                duplicate_of: best.map(|b| index.id(b)),
                similarity,
                cluster_size: now.cluster_size as u64,
                story: now.story as ClusterId,
            });
        }
    }

    /// Answers each committed article (`articles[i]` committed as `committed[i]`) in order with
    /// `answer(index, committed, replayed, article)`. `verdicts`: the answers read what a verdict reads
    /// out of number order (the cluster, the best match's id), which is then asked for a few articles
    /// ahead.
    fn answer_in_order<T>(
        index: &Index,
        committed: Vec<Result<(Standing, bool)>>,
        articles: &[&Article<'_>],
        verdicts: bool,
        answer: impl Fn(&Index, &Standing, bool, &Article<'_>) -> T,
    ) -> Vec<Result<T>> {
        let numbers: Vec<Option<u32>> = if verdicts {
            committed
                .iter()
                .map(|c| c.as_ref().ok().map(|(c, _)| c.seq))
                .collect()
        } else {
            Vec::new()
        };
        committed
            .into_iter()
            .zip(articles)
            .enumerate()
            .map(|(i, (c, article))| {
                index.prefetch_verdicts_ahead(i, |j| numbers.get(j).copied().flatten());
                c.map(|(c, replayed)| answer(index, &c, replayed, article))
            })
            .collect()
    }

    /// Commits a prepared batch and answers each accepted article with `answer(index, committed,
    /// replayed, article)`, made under the write lock; `verdicts` as
    /// [`answer_in_order`](Self::answer_in_order) takes it.
    fn commit_prepared<T>(
        &self,
        articles: &[Article<'_>],
        prepared: PreparedBatch,
        verdicts: bool,
        answer: impl Fn(&Index, &Standing, bool, &Article<'_>) -> T,
    ) -> Vec<Result<T>> {
        if prepared.items.len() != articles.len() {
            let message = format!(
                "a batch prepared for {} articles was committed with {}",
                prepared.items.len(),
                articles.len()
            );
            return articles
                .iter()
                .map(|_| {
                    Err(ConfigError {
                        field: "batch",
                        message: message.clone(),
                    }
                    .into())
                })
                .collect();
        }
        // Rejected articles drop out here and are put back in place below. The prepared articles are
        // lent to the commit where they lie, not moved (a block's are megabytes).
        let items = prepared.items;
        let results: Vec<Option<Result<T>>> = items
            .iter()
            .map(|p| p.as_ref().err().map(|e| Err(e.clone().into())))
            .collect();
        let mut accepted_articles = Vec::with_capacity(articles.len());
        let mut accepted = Vec::with_capacity(articles.len());
        for (article, p) in articles.iter().zip(&items) {
            if let Ok(p) = p {
                accepted_articles.push(article);
                accepted.push(p);
            }
        }
        // Answers that read no story, from an engine that keeps no records and no listings, need no
        // story decided before they are given: the story steps are left for later (see
        // `Index::commit_batch`), taken beside the next such commit or before the index is next used.
        let later = !verdicts && !self.store.keeps_records() && self.listing.get().is_none();
        let mut index = if later {
            self.write_unsettled()
        } else {
            self.write()
        };
        index.reserve(accepted.len());
        let now = time::now();
        let arrivals = vec![now; accepted.len()];
        let committed = self.commit(&mut index, &accepted_articles, &accepted, &arrivals, later);
        let mut answers =
            Self::answer_in_order(&index, committed, &accepted_articles, verdicts, answer)
                .into_iter();
        drop(index);
        // A pipeline commits its blocks one after another, and freeing a block's prepared articles (a
        // signature each) here took about 2 % of that chain (docs/BENCHMARKS.md): a pool thread frees
        // them instead.
        if accepted.len() >= FREE_ON_POOL {
            drop(accepted);
            crate::pool::spawn(move || drop(items));
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    answers
                        .next()
                        .expect("commit answers every accepted article")
                })
            })
            .collect()
    }

    /// Ingests several groups of articles in one commit, each group all or nothing: a group holding a
    /// rejected article (a bad field, an id stored with another text, or one id with two texts) stores
    /// nothing and answers with the position of the first such article within the group and why. The
    /// other groups are decided in order exactly as [`ingest_batch`](Self::ingest_batch) would decide
    /// their articles. The daemon commits the requests waiting at one moment this way. A store failure
    /// is not a rejection: it fails every group from the records it refused on, and a failed group's
    /// earlier articles may be stored already (ingesting them again answers their verdicts).
    ///
    /// # Panics
    ///
    /// When `groups` are not disjoint ranges within `articles` (a caller's mistake, not bad data: the
    /// ranges are the caller's own cut of its slice).
    pub fn ingest_groups(
        &self,
        articles: &[Article<'_>],
        groups: &[Range<usize>],
    ) -> Vec<GroupResult> {
        let now = Timestamp::now();
        self.ingest_groups_at(articles, groups, &vec![now; groups.len()])
    }

    /// Like [`ingest_groups`](Self::ingest_groups), with the arrival time of each group given rather than
    /// read from the clock: an article without a readable publication time, or with one more than a day
    /// after its group's arrival, takes that arrival as its time (a backfill
    /// given old arrivals loses the later publication times). The same articles, groups and arrivals
    /// give the same verdicts and the same store on any machine, which is what lets several daemons
    /// apply one shared log alike. `arrivals` holds one time per group; a missing one is taken as the
    /// last given (or now, when none is).
    pub fn ingest_groups_at(
        &self,
        articles: &[Article<'_>],
        groups: &[Range<usize>],
        arrivals: &[Timestamp],
    ) -> Vec<GroupResult> {
        let arrival_of = |g: usize| {
            arrivals
                .get(g)
                .or(arrivals.last())
                .map_or_else(time::now, |t| t.unix_seconds())
        };
        let prepared = self.prepare_batch(articles);
        let mut items: Vec<Option<Result<Prepared, ArticleError>>> =
            prepared.items.into_iter().map(Some).collect();
        let mut out: Vec<Option<GroupResult>> = groups.iter().map(|_| None).collect();
        let mut index = self.write();
        // Ids taken by the groups accepted so far, with their texts.
        let mut taken: HashMap<&str, u64> = HashMap::new();
        let mut accepted_articles: Vec<&Article<'_>> = Vec::new();
        let mut accepted: Vec<Prepared> = Vec::new();
        let mut accepted_arrivals: Vec<i64> = Vec::new();
        let mut spans: Vec<(usize, Range<usize>)> = Vec::new();
        'groups: for (g, range) in groups.iter().enumerate() {
            let mut mine: HashMap<&str, u64> = HashMap::new();
            for (pos, i) in range.clone().enumerate() {
                let article = &articles[i];
                let text_hash = match &items[i] {
                    Some(Ok(p)) => p.text_hash,
                    Some(Err(e)) => {
                        out[g] = Some(Err((pos, e.clone().into())));
                        continue 'groups;
                    }
                    None => unreachable!("each article belongs to one group"),
                };
                let stored = index.lookup(&article.id).map(|seq| index.text_hash(seq));
                let earlier = taken.get(article.id.as_ref()).copied();
                let before = mine.insert(&article.id, text_hash);
                if [stored, earlier, before]
                    .into_iter()
                    .flatten()
                    .any(|h| h != text_hash)
                {
                    out[g] = Some(Err((
                        pos,
                        ArticleError::IdConflict {
                            id: article.id.to_string(),
                        }
                        .into(),
                    )));
                    continue 'groups;
                }
            }
            taken.extend(mine);
            let start = accepted.len();
            let arrival = arrival_of(g);
            for i in range.clone() {
                accepted_articles.push(&articles[i]);
                if let Some(Ok(p)) = items[i].take() {
                    accepted.push(p);
                    accepted_arrivals.push(arrival);
                }
            }
            spans.push((g, start..accepted.len()));
        }
        index.reserve(accepted.len());
        let committed = self.commit(
            &mut index,
            &accepted_articles,
            &accepted.iter().collect::<Vec<_>>(),
            &accepted_arrivals,
            false,
        );
        let mut verdicts = Self::answer_in_order(
            &index,
            committed,
            &accepted_articles,
            true,
            |index, c, replayed, article| Self::verdict_of(index, c, &article.id, replayed),
        )
        .into_iter();
        drop(index);
        for (g, span) in spans {
            let mut group = Vec::with_capacity(span.len());
            let mut failed = None;
            for pos in 0..span.len() {
                match verdicts.next() {
                    Some(Ok(v)) => group.push(v),
                    Some(Err(e)) => {
                        failed.get_or_insert((pos, e));
                    }
                    None => unreachable!("commit answers every accepted article"),
                }
            }
            out[g] = Some(match failed {
                Some(f) => Err(f),
                None => Ok(group),
            });
        }
        out.into_iter()
            .map(|o| o.expect("every group is answered"))
            .collect()
    }

    /// The verdict `article` would get, storing nothing. For an article that would found a cluster,
    /// `cluster` is the id it would take if ingested next. `story` is the story it would join: an
    /// article that also bridges that story to another makes the younger merge into the older when it
    /// is ingested, and the ingest then reports the older ([`resolve_story`](Self::resolve_story) of
    /// the queried story gives it afterwards; 30 of the UCI sample's 3,257 headlines, queried then
    /// ingested one by one).
    pub fn query(&self, article: &Article<'_>) -> Result<Verdict> {
        let mut prepared = prepare::prepare(article, &self.config, &self.hasher)?;
        prepared.terms = Some(prepare::story_terms(article, prepared.headline));
        let index = self.read();
        if let Some(seq) = index.lookup(&article.id) {
            if index.text_hash(seq) != prepared.text_hash {
                return Err(ArticleError::IdConflict {
                    id: article.id.to_string(),
                }
                .into());
            }
            return Ok(self.verdict(&index, seq, &article.id));
        }
        Ok(self.query_prepared(&index, article, &prepared))
    }

    /// The verdict `article`'s text would get, storing nothing, as [`query`](Self::query) gives it
    /// for an id not stored: the id is neither looked up nor checked, and the verdict carries it as
    /// given. For a headline asked about without an id (`/v1/query` without one): an empty id, which
    /// a verdict writes in JSON as `null`.
    pub fn query_text(&self, article: &Article<'_>) -> Result<Verdict> {
        let mut prepared = prepare::prepare_text(article, &self.config, &self.hasher)?;
        prepared.terms = Some(prepare::story_terms(article, prepared.headline));
        Ok(self.query_prepared(&self.read(), article, &prepared))
    }

    /// The verdict of a prepared article that no stored id names.
    fn query_prepared(&self, index: &Index, article: &Article<'_>, prepared: &Prepared) -> Verdict {
        let now = time::now();
        let published = prepare::taken_published(prepared.published, now);
        let found = index.query(prepared, published.unwrap_or(now), published.is_none());
        let (status, best) = (found.status, found.best);
        let (cluster, cluster_size) = match (status, found.cluster) {
            (Status::New, _) | (_, None) => (index.next_seq(), 1),
            (_, Some(c)) => (c, index.cluster_size(c) + 1),
        };
        let story = found.story.unwrap_or(index.next_seq());
        Verdict {
            id: article.id.to_string(),
            cluster: cluster as ClusterId,
            status,
            duplicate_of: best.map(|(b, _)| index.id(b).to_string()),
            similarity: best.map(|(_, s)| s),
            cluster_size: cluster_size as u64,
            story: story as ClusterId,
            repeat: false,
        }
    }

    fn load_article(&self, index: &Index, seq: u32) -> Result<Option<Article<'static>>> {
        self.load_article_at(index.id(seq), seq)
    }

    /// [`load_article`](Self::load_article) of the article numbered `seq` under `id`, without the
    /// index: `None` once it is gone.
    fn load_article_at(&self, id: &str, seq: u32) -> Result<Option<Article<'static>>> {
        let Some(bytes) = self.store.get(id, seq)? else {
            return Ok(None);
        };
        let record = codec::decode(&bytes).map_err(|message| StoreError::Corrupt {
            key: format!("articles/{id}"),
            message,
        })?;
        if record.removed || record.seq != seq {
            return Ok(None);
        }
        Ok(Some(record.article.into_owned()))
    }

    /// The stored article with this id and where it stands now.
    pub fn get(&self, id: &str) -> Result<Option<StoredArticle>> {
        let index = self.read();
        let Some(seq) = index.lookup(id) else {
            return Ok(None);
        };
        let Some(article) = self.load_article(&index, seq)? else {
            return Ok(None);
        };
        let (status, best, similarity) = index.decided(seq);
        Ok(Some(StoredArticle {
            article,
            cluster: index.root(seq) as ClusterId,
            story: index.story_of(seq).unwrap_or(seq) as ClusterId,
            status,
            duplicate_of: best.map(|b| index.id(b).to_string()),
            similarity,
        }))
    }

    /// The cluster a cluster id given earlier belongs to now (itself unless it merged).
    pub fn resolve(&self, cluster: ClusterId) -> ClusterId {
        match u32::try_from(cluster) {
            Ok(c) => self.read().root(c) as ClusterId,
            Err(_) => cluster,
        }
    }

    /// The story a story id given earlier belongs to now (itself unless it merged into an older one).
    pub fn resolve_story(&self, story: ClusterId) -> ClusterId {
        match u32::try_from(story) {
            Ok(s) => self.read().story_root(s) as ClusterId,
            Err(_) => story,
        }
    }

    /// The earlier ids of each of `stories` (current ids, as [`resolve_story`](Self::resolve_story)
    /// gives): the story ids given before that merged into it, ascending; a story nothing merged into
    /// is left out. One pass over the article numbers, for a report rather than per request.
    pub fn merged_stories(&self, stories: &[ClusterId]) -> HashMap<ClusterId, Vec<ClusterId>> {
        let index = self.read();
        // An article number that is no story id is its own root.
        merged_ids(index.next_seq(), stories, |s| Some(index.story_root(s)))
    }

    /// As [`merged_stories`](Self::merged_stories), for clusters (merged under `--linkage single`).
    pub fn merged_clusters(&self, clusters: &[ClusterId]) -> HashMap<ClusterId, Vec<ClusterId>> {
        let index = self.read();
        // Every member's number leads to its cluster: only founders' numbers were cluster ids.
        merged_ids(index.next_seq(), clusters, |c| {
            index.founded_a_cluster(c).then(|| index.root(c))
        })
    }

    /// The article that names group `id` (a cluster or a story): its founder while it lives, else
    /// `oldest()`, its oldest live member.
    fn namer(index: &Index, id: u32, oldest: impl FnOnce() -> Option<u32>) -> u32 {
        if index.is_alive(id) {
            id
        } else {
            oldest().unwrap_or(id)
        }
    }

    /// The headline of article `seq` (empty once it is gone).
    fn title_of(&self, index: &Index, seq: u32) -> Result<String> {
        Ok(self
            .load_article(index, seq)?
            .map(|a| a.title.into_owned())
            .unwrap_or_default())
    }

    fn cluster_info(&self, index: &Index, root: u32, members: &[u32]) -> Result<ClusterInfo> {
        let founder = Self::namer(index, root, || members.first().copied());
        let representative = self.title_of(index, founder)?;
        Ok(ClusterInfo {
            id: root as ClusterId,
            size: members.len() as u64,
            representative,
            members: members.iter().map(|&m| index.id(m).to_string()).collect(),
        })
    }

    /// The cluster with this id (or the one it merged into), with its live members; `None` when it has
    /// none, or when the number never was a cluster id (a member's, not its founder's), as
    /// [`cluster_detail`](Self::cluster_detail) says.
    pub fn cluster(&self, cluster: ClusterId) -> Result<Option<ClusterInfo>> {
        let index = self.read();
        let Some(root) = Self::group_id(&index, Level::Cluster, cluster) else {
            return Ok(None);
        };
        let listing = self.listing(&index);
        let members = listing.members(Level::Cluster, root);
        if members.is_empty() {
            return Ok(None);
        }
        self.cluster_info(&index, root, members).map(Some)
    }

    /// Every cluster with live members, ordered by id.
    pub fn clusters(&self) -> Result<Vec<ClusterInfo>> {
        // What the index says is taken under its lock; the founders' headlines are read from the store
        // after it, so that ingests meanwhile do not wait for a store's worth of reads (a founder removed
        // in between: its cluster is named as one whose founder was removed before is).
        let listed: Vec<(u32, u32, String, Vec<String>)> = {
            let index = self.read();
            index
                .clusters()
                .iter()
                .map(|(root, members)| {
                    let founder = Self::namer(&index, *root, || members.first().copied());
                    let ids = members.iter().map(|&m| index.id(m).to_string()).collect();
                    (*root, founder, index.id(founder).to_string(), ids)
                })
                .collect()
        };
        listed
            .into_iter()
            .map(|(root, founder, founder_id, members)| {
                let representative = match self.load_article_at(&founder_id, founder)? {
                    Some(a) => a.title.into_owned(),
                    None => self
                        .cluster(ClusterId::from(root))?
                        .map(|c| c.representative)
                        .unwrap_or_default(),
                };
                Ok(ClusterInfo {
                    id: root as ClusterId,
                    size: members.len() as u64,
                    representative,
                    members,
                })
            })
            .collect()
    }

    /// The signature article `seq` was indexed with (the stored one where the store keeps it, else the
    /// article signed again by this same process: the band keys to leave come from it) and the content
    /// terms it counted towards its story (stored with it: what to take out of its story).
    fn indexed_parts(&self, id: &str, seq: u32) -> Result<(Vec<u32>, Vec<u32>)> {
        if !self.store.keeps_records() {
            return Err(StoreError::Backend {
                operation: "remove",
                message: format!(
                    "this engine keeps no articles (in_memory_without_articles), so it cannot take \
                     `{}` out",
                    crate::error::shown_id(id)
                ),
                os_code: None,
            }
            .into());
        }
        let Some(bytes) = self.store.get(id, seq)? else {
            return Ok((Vec::new(), Vec::new()));
        };
        let record = codec::decode(&bytes).map_err(|message| StoreError::Corrupt {
            key: format!("articles/{id}"),
            message,
        })?;
        let terms = record.terms.into_owned();
        if record.signature.len() == self.config.params.permutations {
            return Ok((record.signature.into_owned(), terms));
        }
        let signature = prepare::sign_stored(&record.article, &self.config, &self.hasher)
            .map(|(_, signature)| signature)
            .unwrap_or_default();
        Ok((signature, terms))
    }

    /// Removes an article from its cluster and the index; the store keeps a tombstone in its place, so
    /// that its number is never handed out again. Returns whether it was there. The removal is durable
    /// after the next [`flush`](Self::flush). An article whose text was revised under the same id (an
    /// [`ArticleError::IdConflict`](crate::ArticleError::IdConflict)) goes in again by a removal and
    /// then an ingest, as a new article with a new number and verdict.
    pub fn remove(&self, id: &str) -> Result<bool> {
        self.remove_at(id, Timestamp::now())
    }

    /// Like [`remove`](Self::remove), with the time of the removal (kept in the tombstone) given rather
    /// than read from the clock.
    pub fn remove_at(&self, id: &str, at: impl Into<Timestamp>) -> Result<bool> {
        let at = at.into().unix_seconds();
        let mut index = self.write();
        let Some(seq) = index.lookup(id) else {
            return Ok(false);
        };
        let (signature, terms) = self.indexed_parts(id, seq)?;
        self.leave_log()?;
        self.store.put(id, seq, &codec::tombstone(seq, id, at))?;
        if let Some(mut listing) = self.listing_mut() {
            listing.remove(&index, seq);
            listing.settle(&index);
        }
        index.remove(seq, &signature, &terms);
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(true)
    }

    /// Drops every article whose time (publication, else arrival) is before `before` (a
    /// [`SystemTime`](std::time::SystemTime) or a [`Timestamp`]) from the index and deletes its record
    /// (the store reuses its room for later writes; its files do not shrink); returns how many went. The
    /// newest article number keeps a tombstone so that numbers are never handed out twice. Durable after
    /// the next [`flush`](Self::flush).
    pub fn prune(&self, before: impl Into<Timestamp>) -> Result<u64> {
        self.prune_at(before, Timestamp::now())
    }

    /// How many articles [`prune`](Self::prune) with `before` would remove now (those whose time,
    /// publication else arrival, is older), counted without removing any.
    pub fn count_older_than(&self, before: impl Into<Timestamp>) -> u64 {
        older_than(&self.read(), before.into().unix_seconds()).count() as u64
    }

    /// Like [`prune`](Self::prune), with the time of the pruning (kept in the newest number's tombstone)
    /// given rather than read from the clock.
    pub fn prune_at(&self, before: impl Into<Timestamp>, at: impl Into<Timestamp>) -> Result<u64> {
        self.prune_chunks(
            before.into().unix_seconds(),
            at.into().unix_seconds(),
            || true,
        )
    }

    /// Like [`prune`](Self::prune), asking `go_on` before each chunk of 4,096 articles: once it answers
    /// false, the prune stops there, what went before it settled as after a whole prune (a prune run
    /// again takes the rest). For a caller that stops on a signal; returns how many went.
    pub fn prune_while(
        &self,
        before: impl Into<Timestamp>,
        go_on: impl FnMut() -> bool,
    ) -> Result<u64> {
        let at = Timestamp::now().unix_seconds();
        self.prune_chunks(before.into().unix_seconds(), at, go_on)
    }

    /// [`prune_at`](Self::prune_at) in Unix seconds, asking `go_on` before each chunk.
    fn prune_chunks(&self, before: i64, at: i64, mut go_on: impl FnMut() -> bool) -> Result<u64> {
        let mut index = self.write();
        let newest = index.next_seq().checked_sub(1);
        let mut dropped = 0;
        let old: Vec<u32> = older_than(&index, before).collect();
        // A chunk's records are deleted at once, then taken out of the index: a failure leaves the
        // index as the store is.
        const PRUNE_CHUNK: usize = 4096;
        let mut remove_all = || -> Result<()> {
            for (n, chunk) in old.chunks(PRUNE_CHUNK).enumerate() {
                if !go_on() {
                    break;
                }
                if n == 0 {
                    // A store that follows a shared log leaves it with its first removal, not before.
                    self.leave_log()?;
                }
                let mut parts = Vec::with_capacity(chunk.len());
                for &seq in chunk {
                    let id = index.id(seq).to_string();
                    let (signature, terms) = self.indexed_parts(&id, seq)?;
                    parts.push((seq, id, signature, terms));
                }
                let (kept, deleted): (Vec<_>, Vec<_>) =
                    parts.into_iter().partition(|p| Some(p.0) == newest);
                let gone: Vec<(&str, u32)> = deleted
                    .iter()
                    .map(|(seq, id, _, _)| (id.as_str(), *seq))
                    .collect();
                self.store.delete_batch(&gone)?;
                for (seq, id, signature, terms) in deleted.into_iter().chain(kept) {
                    if Some(seq) == newest {
                        self.store.put(&id, seq, &codec::tombstone(seq, &id, at))?;
                    }
                    index.remove_unsettled(seq, &signature, &terms);
                    dropped += 1;
                }
            }
            Ok(())
        };
        // Removals made before a failure are settled all the same.
        let removed = remove_all();
        index.settle_removals();
        // What was taken out before a failure is out of the index: the listings and the generation
        // follow it either way, and the error is told after.
        if dropped > 0 {
            // Many removals at once: building the listings afresh is cheaper than one by one.
            if let Some(mut listing) = self.listing_mut() {
                listing.rebuild(&index);
            }
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        removed?;
        Ok(dropped)
    }

    /// Cluster `cluster` (or the one it merged into) with its time span, sources, and its members from
    /// `offset` on, at most `limit` of them; `None` when it has no live member.
    pub fn cluster_detail(
        &self,
        cluster: ClusterId,
        offset: usize,
        limit: usize,
    ) -> Result<Option<ClusterDetail>> {
        self.group_detail(Level::Cluster, cluster, offset, limit)
    }

    /// Story `story` with its time span, sources, and its members from `offset` on, at most `limit` of
    /// them; `None` when it has no live member. Its `story` field is itself.
    pub fn story_detail(
        &self,
        story: ClusterId,
        offset: usize,
        limit: usize,
    ) -> Result<Option<ClusterDetail>> {
        self.group_detail(Level::Story, story, offset, limit)
    }

    /// The group id that `id` names at `level` now (a merged cluster or story resolves to its root);
    /// `None` for a number that never was a cluster id (a member's, not its founder's), as a story's
    /// lookup finds no members for a number that never was a story.
    fn group_id(index: &Index, level: Level, id: ClusterId) -> Option<u32> {
        let id = u32::try_from(id).ok().filter(|&id| id < index.next_seq())?;
        match level {
            Level::Cluster => index.founded_a_cluster(id).then(|| index.root(id)),
            Level::Story => Some(index.story_root(id)),
        }
    }

    fn group_detail(
        &self,
        level: Level,
        id: ClusterId,
        offset: usize,
        limit: usize,
    ) -> Result<Option<ClusterDetail>> {
        let index = self.read();
        let Some(id) = Self::group_id(&index, level, id) else {
            return Ok(None);
        };
        let listing = self.listing(&index);
        let members = listing.members(level, id);
        let Some(&first) = members.first() else {
            return Ok(None);
        };
        const SOURCES: usize = 100;
        let times = members.iter().map(|&m| index.time(m));
        let first_seen = times.clone().min().unwrap_or(0);
        let last_seen = times.max().unwrap_or(0);
        let mut sources: Vec<&str> = Vec::new();
        for &m in members {
            if sources.len() == SOURCES {
                break;
            }
            if let Some(source) = listing.source(m) {
                if !sources.contains(&source) {
                    sources.push(source);
                }
            }
        }
        let page = members
            .iter()
            .skip(offset)
            .take(limit)
            .map(|&m| Member {
                id: index.id(m).to_string(),
                title: listing.title(m).to_string(),
                source: listing.source(m).map(str::to_string),
                url: listing.url(m).map(str::to_string),
                time: Timestamp::from_unix_seconds(index.time(m)),
            })
            .collect();
        let founder = Self::namer(&index, id, || Some(first));
        Ok(Some(ClusterDetail {
            id: id as ClusterId,
            size: members.len() as u64,
            representative: listing.title(founder).to_string(),
            first_seen: Timestamp::from_unix_seconds(first_seen),
            last_seen: Timestamp::from_unix_seconds(last_seen),
            sources: sources.into_iter().map(str::to_string).collect(),
            members: page,
            story: index.story_of(founder).unwrap_or(founder) as ClusterId,
        }))
    }

    /// The clusters with the most members whose time is at or after `since` (a
    /// [`SystemTime`](std::time::SystemTime) or a [`Timestamp`]), most first (ties: latest activity
    /// first, then lower id), at most `limit` of them.
    pub fn trending(&self, since: impl Into<Timestamp>, limit: usize) -> Result<Vec<Trend>> {
        let since = since.into().unix_seconds();
        let index = self.read();
        let listing = self.listing(&index);
        listing
            .trending(&index, Level::Cluster, since, limit)
            .into_iter()
            .map(|g| {
                let members = listing.members(Level::Cluster, g.id);
                let founder = Self::namer(&index, g.id, || members.first().copied());
                Ok(Trend {
                    id: g.id as ClusterId,
                    story: index.story_of(founder).unwrap_or(g.id) as ClusterId,
                    growth: g.growth,
                    size: members.len() as u64,
                    representative: listing.title(founder).to_string(),
                    last_seen: Timestamp::from_unix_seconds(g.last),
                })
            })
            .collect()
    }

    /// The stories with the most members whose time is at or after `since` (a
    /// [`SystemTime`](std::time::SystemTime) or a [`Timestamp`]), most first (ties: latest activity first,
    /// then lower id), at most `limit`, each with its counts and, with `bins > 0`, its arrivals over
    /// `since..until` in that many equal bins (a member after `until` counts in none; at most
    /// [`MAX_BINS`](Self::MAX_BINS), more are taken as that many). With bins, an `until` at or before
    /// `since` leaves no period to divide: a [`ConfigError`] naming `until`.
    pub fn trending_stories(
        &self,
        since: impl Into<Timestamp>,
        until: impl Into<Timestamp>,
        limit: usize,
        bins: usize,
    ) -> Result<Vec<StoryTrend>> {
        let bins = bins.min(Self::MAX_BINS);
        let (since, until) = (since.into(), until.into());
        if bins > 0 && until <= since {
            return Err(ConfigError {
                field: "until",
                message: format!(
                    "{until} is not after `since` ({since}), which leaves no period for the arrivals' \
                     {bins} bins"
                ),
            }
            .into());
        }
        let (since, until) = (since.unix_seconds(), until.unix_seconds());
        let index = self.read();
        let listing = self.listing(&index);
        let span = (i128::from(until) - i128::from(since)).max(1);
        listing
            .trending(&index, Level::Story, since, limit)
            .into_iter()
            .map(|g| {
                let members = listing.members(Level::Story, g.id);
                let founder = Self::namer(&index, g.id, || members.first().copied());
                let mut arrivals = vec![0u64; bins];
                let mut first_seen = i64::MAX;
                let mut latest = (i64::MIN, founder);
                let mut sources = Vec::new();
                let mut clusters = Vec::new();
                for &m in members {
                    let t = index.time(m);
                    first_seen = first_seen.min(t);
                    // Members come in number order: of those alike in time, the last to arrive.
                    if t >= latest.0 {
                        latest = (t, m);
                    }
                    sources.extend(listing.source_id(m));
                    clusters.push(index.root(m));
                    // Only members within since..until count in the arrivals; later ones are past
                    // the period shown, not in its last part.
                    if bins > 0 && t >= since && t <= until {
                        let bin =
                            ((i128::from(t) - i128::from(since)) * bins as i128 / span) as usize;
                        arrivals[bin.min(bins - 1)] += 1;
                    }
                }
                Ok(StoryTrend {
                    id: g.id as ClusterId,
                    growth: g.growth,
                    size: members.len() as u64,
                    sources: distinct(&mut sources),
                    clusters: distinct(&mut clusters),
                    representative: listing.title(founder).to_string(),
                    latest: listing.title(latest.1).to_string(),
                    first_seen: Timestamp::from_unix_seconds(first_seen),
                    last_seen: Timestamp::from_unix_seconds(g.last),
                    arrivals,
                })
            })
            .collect()
    }

    /// Story `story` as its clusters, largest first (at most `max_clusters`), each with its members folded:
    /// one line per distinct text with its repeat count, at most `max_members` lines per cluster. `None`
    /// when the story has no live member.
    pub fn story_clusters(
        &self,
        story: ClusterId,
        max_clusters: usize,
        max_members: usize,
    ) -> Result<Option<StoryClusters>> {
        let index = self.read();
        let Some(id) = Self::group_id(&index, Level::Story, story) else {
            return Ok(None);
        };
        let listing = self.listing(&index);
        let members = listing.members(Level::Story, id);
        let Some(&first) = members.first() else {
            return Ok(None);
        };
        // Members of the story by cluster, in ingest order within each.
        let mut by_cluster: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut sources = Vec::with_capacity(members.len());
        for &m in members {
            by_cluster.entry(index.root(m)).or_default().push(m);
            sources.extend(listing.source_id(m));
        }
        let mut groups: Vec<(u32, Vec<u32>)> = by_cluster.into_iter().collect();
        groups.sort_unstable_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        let clusters_total = groups.len() as u64;
        let mut clusters = Vec::new();
        for (root, in_story) in groups.into_iter().take(max_clusters) {
            clusters.push(Self::fold_cluster(
                &index,
                &listing,
                root,
                &in_story,
                max_members,
            ));
        }
        let times = members.iter().map(|&m| index.time(m));
        let founder = Self::namer(&index, id, || Some(first));
        Ok(Some(StoryClusters {
            id: id as ClusterId,
            size: members.len() as u64,
            representative: listing.title(founder).to_string(),
            first_seen: Timestamp::from_unix_seconds(times.clone().min().unwrap_or(0)),
            last_seen: Timestamp::from_unix_seconds(times.max().unwrap_or(0)),
            sources: distinct(&mut sources),
            clusters_total,
            clusters,
        }))
    }

    /// Cluster `id` (or the one it merged into) as the report shows it: one line per distinct text with
    /// its repeat count and the URL of its first copy, at most `max_members` lines. `None` when it has
    /// no live member.
    pub fn cluster_folded(&self, id: ClusterId, max_members: usize) -> Result<Option<ClusterFold>> {
        let index = self.read();
        let Some(root) = Self::group_id(&index, Level::Cluster, id) else {
            return Ok(None);
        };
        let listing = self.listing(&index);
        let members = listing.members(Level::Cluster, root);
        if members.is_empty() {
            return Ok(None);
        }
        Ok(Some(Self::fold_cluster(
            &index,
            &listing,
            root,
            members,
            max_members,
        )))
    }

    /// Cluster `root` with `members` (all of its own, or those in one story), one line per distinct
    /// text.
    fn fold_cluster(
        index: &Index,
        listing: &Listing,
        root: u32,
        members: &[u32],
        max_members: usize,
    ) -> ClusterFold {
        let mut texts: Vec<(u64, u32, u64)> = Vec::new(); // (text, first member, repeats)
        let mut seen: HashMap<u64, usize> = HashMap::new();
        let mut sources = Vec::with_capacity(members.len());
        // (text, source) of each member with a source whose text is shown, for the sources behind a
        // repeated text.
        let mut text_sources: Vec<(usize, u32)> = Vec::with_capacity(members.len());
        for &m in members {
            let source = listing.source_id(m);
            sources.extend(source);
            let text = index.text_hash(m);
            let i = match seen.get(&text) {
                Some(&i) => {
                    texts[i].2 += 1;
                    i
                }
                None => {
                    seen.insert(text, texts.len());
                    texts.push((text, m, 1));
                    texts.len() - 1
                }
            };
            if i < max_members {
                text_sources.extend(source.map(|s| (i, s)));
            }
        }
        text_sources.sort_unstable();
        text_sources.dedup();
        let mut sources_of_text = vec![0u64; texts.len().min(max_members)];
        for &(i, _) in &text_sources {
            if let Some(n) = sources_of_text.get_mut(i) {
                *n += 1;
            }
        }
        let distinct_texts = texts.len() as u64;
        let mut folded = Vec::new();
        for (&(_, m, repeats), &sources) in texts.iter().zip(&sources_of_text) {
            folded.push(FoldedMember {
                id: index.id(m).to_string(),
                title: listing.title(m).to_string(),
                source: listing.source(m).map(str::to_string),
                url: listing.url(m).map(str::to_string),
                time: Timestamp::from_unix_seconds(index.time(m)),
                repeats,
                sources,
            });
        }
        let times = members.iter().map(|&m| index.time(m));
        let founder = Self::namer(index, root, || members.first().copied());
        ClusterFold {
            id: root as ClusterId,
            size: members.len() as u64,
            sources: distinct(&mut sources),
            representative: listing.title(founder).to_string(),
            first_seen: Timestamp::from_unix_seconds(times.clone().min().unwrap_or(0)),
            last_seen: Timestamp::from_unix_seconds(times.max().unwrap_or(0)),
            texts: distinct_texts,
            members: folded,
        }
    }

    /// What the engine holds at a glance: live articles, clusters and stories, and the time span.
    pub fn overview(&self) -> Overview {
        let index = self.read();
        let listing = self.listing(&index);
        let span = listing.span();
        Overview {
            articles: index.stats().articles,
            clusters: listing.live(Level::Cluster),
            stories: listing.live(Level::Story),
            oldest: span.map(|s| Timestamp::from_unix_seconds(s.0)),
            newest: span.map(|s| Timestamp::from_unix_seconds(s.1)),
        }
    }

    /// How many clusters have each size: `(size, clusters)`, smallest size first.
    pub fn cluster_sizes(&self) -> Vec<(u64, u64)> {
        let index = self.read();
        self.listing(&index).size_counts(Level::Cluster)
    }

    /// Makes everything ingested so far durable.
    pub fn flush(&self) -> Result<()> {
        // How full the band tables are, so that a reopen makes room for them at once: recorded at the
        // first flush, then again once it moved by a sixty-fourth, as a write at every flush would cost a
        // daemon that flushes each request group a page of the store each time.
        let buckets = self.read().band_buckets() as u64;
        let recorded = self.recorded_buckets.load(Ordering::Relaxed);
        if buckets.abs_diff(recorded) > recorded / 64 {
            self.store.set_index_buckets(buckets)?;
            self.recorded_buckets.store(buckets, Ordering::Relaxed);
        }
        self.store.flush()?;
        Ok(())
    }

    /// The position in a shared log of the last entry this engine's store applied, as last set with
    /// [`set_log_position`](Self::set_log_position); `None` for a store that never followed a log.
    pub fn log_position(&self) -> Result<Option<String>> {
        Ok(self.store.log_position()?)
    }

    /// Whether the store follows a shared log (a `serve --log` node's store, not written outside the log
    /// since): a write from an engine that does not apply that log would take it out of the log.
    pub fn follows_a_log(&self) -> Result<bool> {
        Ok(self.log_position()?.is_some_and(|p| p != LEFT_LOG))
    }

    /// Declares that this engine applies the shared log its store follows (the daemon's `--log` mode):
    /// its writes then leave the store's log position to [`set_log_position`](Self::set_log_position).
    /// Without it, the first write to a store that followed a log marks the store as written outside
    /// that log (its log position becomes `left`), so that no node goes on applying the log from it.
    pub fn follow_log(&self) {
        self.outside_log.store(false, Ordering::Release);
    }

    /// Before a write: marks a store that followed a shared log this engine does not apply as left.
    fn leave_log(&self) -> std::result::Result<(), StoreError> {
        // Read first: on every commit but the first after open this is all it does.
        if self.outside_log.load(Ordering::Acquire)
            && self.outside_log.swap(false, Ordering::AcqRel)
        {
            if let Err(e) = self.store.set_log_position(LEFT_LOG) {
                self.outside_log.store(true, Ordering::Release);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Records the position in a shared log of the last entry applied. It is kept in the store and
    /// becomes durable together with everything written before it, at the next [`flush`](Self::flush):
    /// a node that sets it after applying entries and then flushes resumes after them, and after nothing
    /// that the flush did not cover.
    pub fn set_log_position(&self, position: &str) -> Result<()> {
        Ok(self.store.set_log_position(position)?)
    }

    /// The number of the live article stored under `id`, if one is (what [`commit_batch_numbers`]
    /// answered for it), so that a caller that kept where each number's article came from can say where
    /// the text an id conflicts with came from.
    ///
    /// [`commit_batch_numbers`]: Self::commit_batch_numbers
    pub fn number_of(&self, id: &str) -> Option<ArticleNumber> {
        self.read().lookup(id).map(ArticleNumber)
    }

    /// How many article numbers the engine has given, to live articles and removed ones: every
    /// cluster and story id lies below it.
    pub fn numbered(&self) -> u64 {
        u64::from(self.read().next_seq())
    }

    /// How many stories the live articles are in (as [`overview`](Self::overview) counts them, without
    /// building the listings: one pass over the article numbers).
    pub fn story_count(&self) -> u64 {
        self.read().live_stories()
    }

    /// Counters of what the engine holds.
    pub fn stats(&self) -> Stats {
        let stats = self.read().stats();
        self.with_counters(stats)
    }

    /// [`stats`](Self::stats) as the index stands, if it can be read at once: `None` while a write holds
    /// it (a batch being committed, a prune), for a caller that must not wait (a readiness probe).
    pub fn try_stats(&self) -> Option<Stats> {
        let stats = match self.index.try_read() {
            Ok(index) => index.stats(),
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner().stats(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        Some(self.with_counters(stats))
    }

    /// Articles stored since open whose publication time could not be read or lay more than a day
    /// after their arrival ([`Stats::unreadable_times`]), without reading the index.
    pub fn unreadable_times(&self) -> u64 {
        self.unreadable_times.load(Ordering::Relaxed)
    }

    /// `stats` with the counters the engine keeps beside the index.
    fn with_counters(&self, mut stats: Stats) -> Stats {
        stats.unreadable_times = self.unreadable_times();
        stats.untimed = self.untimed.load(Ordering::Relaxed);
        stats
    }
}

/// Sorts `items` and counts the distinct ones.
fn distinct(items: &mut [u32]) -> u64 {
    items.sort_unstable();
    let mut n = 0;
    let mut previous = None;
    for &x in items.iter() {
        if previous != Some(x) {
            n += 1;
            previous = Some(x);
        }
    }
    n
}

/// The ids below `numbers` other than each of `groups` that `root` takes to it (`None`: no group id),
/// ascending, by group.
fn merged_ids(
    numbers: u32,
    groups: &[ClusterId],
    root: impl Fn(u32) -> Option<u32>,
) -> HashMap<ClusterId, Vec<ClusterId>> {
    let wanted: HashSet<ClusterId> = groups.iter().copied().collect();
    let mut merged: HashMap<ClusterId, Vec<ClusterId>> = HashMap::new();
    for id in 0..numbers {
        let Some(group) = root(id).map(ClusterId::from) else {
            continue;
        };
        if group != id as ClusterId && wanted.contains(&group) {
            merged.entry(group).or_default().push(id as ClusterId);
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::LOAD_CHUNK;

    /// An engine on a new store in `dir` that ingested `articles` and flushed.
    fn stored(dir: &Path, articles: &[Article<'_>]) -> Engine {
        let engine = Engine::open(dir, EngineConfig::default()).expect("a store");
        for verdict in engine.ingest_batch(articles) {
            verdict.expect("a sample article is ingested");
        }
        engine.flush().expect("flush");
        engine
    }

    /// `n` articles of 40 harbours' reopenings, each with a text of its own.
    fn harbours(n: usize) -> Vec<Article<'static>> {
        (0..n)
            .map(|i| {
                Article::new(
                    format!("a{i}"),
                    format!("Harbour {} reopens after storm {i}", i % 40),
                )
            })
            .collect()
    }

    #[test]
    fn a_store_s_bands_are_read_without_making_a_store_where_there_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none");
        assert_eq!(Engine::store_bands(&missing), None);
        assert!(!missing.exists(), "no store made");
        let config = EngineConfig {
            threshold: Some(0.8),
            ..EngineConfig::default()
        };
        let engine = Engine::open(dir.path().join("db"), config).unwrap();
        let params = engine.config().params.clone();
        drop(engine);
        assert_eq!(
            Engine::store_bands(dir.path().join("db")),
            Some((params.bands, params.rows, 0.8))
        );
    }

    /// [`harbours`], published on 2020-01-01: old enough for any prune.
    fn harbours_of_2020(n: usize) -> Vec<Article<'static>> {
        harbours(n)
            .into_iter()
            .map(|a| a.with_published("2020-01-01T00:00:00Z"))
            .collect()
    }

    /// In memory there is nothing to rebuild from: a reload keeps what the engine holds.
    #[test]
    fn a_reload_in_memory_keeps_every_article() {
        let engine = Engine::in_memory(EngineConfig::default()).unwrap();
        engine
            .ingest(&Article::new("a", "Markets rally as rates hold"))
            .unwrap();
        engine
            .ingest(&Article::new("b", "Volcano erupts near Reykjavik"))
            .unwrap();
        engine.reload().unwrap();
        assert_eq!(engine.stats().articles, 2);
        assert!(engine.get("a").unwrap().is_some());
        let again = engine
            .ingest(&Article::new("a", "Markets rally as rates hold"))
            .unwrap();
        assert_eq!(
            again.cluster_size, 1,
            "the stored article answers, not a new one"
        );
        assert_eq!(engine.stats().articles, 2);
    }

    /// A store in `dir` holding one article, that followed a shared log up to "log 1-0 1".
    fn a_log_s_store(dir: &Path) {
        let engine = stored(dir, &[Article::new("a", "Markets rally as rates hold")]);
        engine.set_log_position("log 1-0 1").unwrap();
        engine.flush().unwrap();
    }

    /// A store that followed a shared log keeps its position while it is only read or written under the
    /// log, and is marked as having left the log by the first write of an engine that does not follow it.
    #[test]
    fn the_first_write_outside_the_log_marks_the_store_as_having_left_it() {
        let dir = tempfile::tempdir().unwrap();
        a_log_s_store(dir.path());
        let followed = Engine::open(dir.path(), EngineConfig::default()).unwrap();
        followed.follow_log();
        followed
            .ingest(&Article::new("b", "Volcano erupts near Reykjavik"))
            .unwrap();
        assert_eq!(
            followed.log_position().unwrap().as_deref(),
            Some("log 1-0 1")
        );
        drop(followed);
        for write in [
            |e: &Engine| {
                drop(
                    e.ingest(&Article::new("c", "Storm hits the coast"))
                        .unwrap(),
                )
            },
            |e: &Engine| assert!(e.remove("a").unwrap()),
            |e: &Engine| {
                assert_eq!(
                    e.prune(Timestamp::from_unix_seconds(i64::MAX / 4)).unwrap(),
                    1
                )
            },
        ] {
            let dir = tempfile::tempdir().unwrap();
            a_log_s_store(dir.path());
            let alone = Engine::open(dir.path(), EngineConfig::default()).unwrap();
            assert!(
                alone.get("a").unwrap().is_some(),
                "reading leaves the position"
            );
            assert_eq!(alone.log_position().unwrap().as_deref(), Some("log 1-0 1"));
            write(&alone);
            alone.flush().unwrap();
            drop(alone);
            let again = Engine::open(dir.path(), EngineConfig::default()).unwrap();
            assert_eq!(again.log_position().unwrap().as_deref(), Some(LEFT_LOG));
        }
    }

    /// A flush records how full the band tables are (the most buckets one holds), which a reopen makes
    /// room for before it takes the store in; the rebuilt tables hold as many again.
    #[test]
    fn a_flush_tells_a_reopen_how_full_the_band_tables_are() {
        let articles = harbours(3_000);
        let dir = tempfile::tempdir().expect("a temporary directory");
        let engine = stored(dir.path(), &articles);
        let buckets = engine.read().band_buckets();
        assert!(buckets > 0);
        let Engine { config, store, .. } = engine;
        assert_eq!(store.index_buckets().expect("read"), Some(buckets as u64));
        let hasher = MinHasher::new(config.params.permutations, config.params.seed);
        let (index, _) =
            Engine::load_index(&config, &hasher, store.as_ref(), false).expect("reopen");
        assert_eq!(index.band_buckets(), buckets);
    }

    /// Removing the exact copy that stands for its text, in a store opened with a smaller
    /// `max_field_bytes` than it came in under, takes its band keys out of the tables: the copy is
    /// signed again from its record without the limit's check (which would leave the keys behind).
    #[test]
    fn a_copy_removed_under_a_smaller_field_limit_leaves_no_band_keys() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let text = "Volcano erupts near the main airport in southern Iceland as flights are halted";
        let url = format!("https://example.com/{}", "long-path/".repeat(40));
        let engine = stored(
            dir.path(),
            &[
                Article::new("a", text).with_url(url.as_str()),
                Article::new("b", text).with_url(url.as_str()),
            ],
        );
        assert!(engine.remove("a").expect("remove"));
        engine.flush().expect("flush");
        drop(engine);
        let smaller = EngineConfig {
            max_field_bytes: 200,
            ..EngineConfig::default()
        };
        let engine = Engine::open(dir.path(), smaller).expect("reopen");
        assert!(engine.read().band_buckets() > 0, "b stands for the text");
        assert!(engine.remove("b").expect("remove"));
        assert_eq!(engine.read().band_buckets(), 0);
    }

    /// A story's arrivals fall into the bins of `since..until` (a member after `until` in none); bins
    /// over a period that ends where it starts, or before, are refused rather than counted into one.
    #[test]
    fn trending_stories_bins_the_period_and_refuses_an_empty_one() {
        let engine = Engine::in_memory(EngineConfig::default()).expect("an engine");
        let at = |hour: i64| time::format_rfc3339(1_700_000_000 + hour * 3600);
        for (id, title, hour) in [
            ("a", "Harbour reopens after the storm damage is cleared", 0),
            (
                "b",
                "Harbour reopens after storm damage is cleared, port says",
                1,
            ),
            (
                "c",
                "Harbour reopens after the storm damage is cleared today",
                5,
            ),
            (
                "d",
                "Harbour reopens after storm damage is cleared at last",
                9,
            ),
        ] {
            engine
                .ingest(&Article::new(id, title).with_published(at(hour)))
                .expect("ingest");
        }
        let since = Timestamp::from_unix_seconds(1_700_000_000);
        let until = Timestamp::from_unix_seconds(1_700_000_000 + 8 * 3600);
        let stories = engine
            .trending_stories(since, until, 10, 4)
            .expect("trending");
        assert_eq!(stories.len(), 1, "{stories:?}");
        assert_eq!(
            (stories[0].size, stories[0].arrivals.clone()),
            (4, vec![2, 0, 1, 0])
        );
        for until in [since, Timestamp::from_unix_seconds(1_600_000_000)] {
            let refused = engine.trending_stories(since, until, 10, 4);
            assert!(
                matches!(&refused, Err(Error::Config(e)) if e.field == "until"),
                "{refused:?}"
            );
            // Without bins `until` plays no part.
            let ranked = engine
                .trending_stories(since, until, 10, 0)
                .expect("trending");
            assert_eq!(ranked.len(), 1);
        }
    }

    /// A publication time far ahead of the arrival (a feed's wrong clock) is taken as no time: the
    /// article takes its arrival, is counted as having an unreadable time, and goes with the prunes of
    /// its arrival, in the live index and in one rebuilt from the store. A day ahead is taken.
    #[test]
    fn a_publication_time_far_in_the_future_is_taken_as_the_arrival() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let now = time::now();
        let tomorrow = time::format_rfc3339(now + 20 * 3600);
        let engine = Engine::open(dir.path(), EngineConfig::default()).expect("a store");
        for (id, title, published) in [
            ("far", "Harbour reopens after storm", "9999-12-31T23:59:59Z"),
            ("soon", "Council approves new budget", tomorrow.as_str()),
        ] {
            engine
                .ingest(&Article::new(id, title).with_published(published))
                .expect("ingest");
        }
        assert_eq!(engine.stats().unreadable_times, 1);
        engine.flush().expect("flush");
        drop(engine);
        let engine = Engine::open(dir.path(), EngineConfig::default()).expect("reopen");
        // A prune of everything before the next hour takes the far one (its time is its arrival) and
        // keeps the one of tomorrow.
        assert_eq!(engine.prune(now + 3600).expect("prune"), 1);
        assert!(engine.get("far").expect("read").is_none());
        assert!(engine.get("soon").expect("read").is_some());
    }

    /// A stored article's time as the rebuild takes it: its publication time, unless it lies more than a
    /// day after the arrival the record keeps; a record of the first layout, which keeps no arrival,
    /// keeps its publication time whatever it is.
    #[test]
    fn a_stored_time_is_taken_against_the_arrival_its_record_keeps() {
        let march_2014 = 1_394_409_600;
        let arrival = 1_764_979_200; // 2025-12-06
        let dated = |published: &'static str| {
            Article::new("a", "Harbour reopens").with_published(published)
        };
        let in_2014 = dated("2014-03-10T00:00:00Z");
        let far = dated("9999-12-31T23:59:59Z");
        assert_eq!(article_time(&in_2014, arrival), march_2014);
        assert_eq!(article_time(&far, arrival), arrival);
        assert_eq!(article_time(&in_2014, 0), march_2014);
        assert_eq!(
            article_time(&Article::new("b", "Harbour reopens"), arrival),
            arrival
        );
    }

    /// Counting without waiting: while a write holds the index (a prune may for seconds), `try_stats`
    /// answers at once with nothing, and with the counts once the write is done.
    #[test]
    fn stats_that_must_not_wait_are_none_while_a_write_holds_the_index() {
        let engine = Engine::in_memory(EngineConfig::default()).unwrap();
        engine
            .ingest(&Article::new("a", "Harbour reopens after storm"))
            .unwrap();
        let writing = engine.write();
        assert!(engine.try_stats().is_none());
        drop(writing);
        let stats = engine.try_stats().expect("the index is free");
        assert_eq!((stats.articles, stats.clusters), (1, 1));
    }

    /// A prune told to stop between chunks stops there: the articles of the chunks taken are gone, on
    /// disk too, the rest are whole, and a prune run again takes them, ending where a whole prune does.
    #[test]
    fn a_prune_stopped_between_chunks_keeps_the_rest_whole_and_a_prune_again_takes_it() {
        let old = harbours_of_2020(5_000);
        let fresh = Article::new("new", "Ferry service resumes across the bay")
            .with_published("2026-01-01T00:00:00Z");
        let (dir, whole) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let cut = 1_609_459_200_i64; // 2021-01-01
        let mut asked = 0;
        let stopped = {
            let engine = stored(dir.path(), &old);
            engine.ingest(&fresh).unwrap();
            let pruned = engine
                .prune_while(cut, || {
                    asked += 1;
                    asked == 1
                })
                .unwrap();
            engine.flush().unwrap();
            pruned
        };
        assert_eq!((stopped, asked), (4_096, 2));
        let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
        assert_eq!(engine.stats().articles, 5_000 - 4_096 + 1);
        assert!(engine.get("a0").unwrap().is_none());
        assert!(engine.get("a4999").unwrap().is_some());
        assert_eq!(engine.prune(cut).unwrap(), 5_000 - 4_096);
        let pruned_whole = stored(whole.path(), &old);
        pruned_whole.ingest(&fresh).unwrap();
        assert_eq!(pruned_whole.prune(cut).unwrap(), 5_000);
        assert_eq!(engine.stats(), pruned_whole.stats());
        assert_eq!(engine.overview(), pruned_whole.overview());
    }

    /// A store pruned empty after a reopen records that its band tables hold nothing, so that the next
    /// reopen makes no room for the buckets they once held.
    #[test]
    fn a_store_pruned_empty_after_a_reopen_is_reopened_without_room_for_what_it_held() {
        let articles = harbours_of_2020(3_000);
        let dir = tempfile::tempdir().expect("a temporary directory");
        let held = stored(dir.path(), &articles).read().band_buckets();
        assert!(held > 0);
        let engine = Engine::open(dir.path(), EngineConfig::default()).expect("reopen");
        assert_eq!(engine.prune(1_609_459_200_i64).expect("prune"), 3_000);
        engine.flush().expect("flush");
        assert_eq!(engine.store.index_buckets().expect("read"), Some(0));
        drop(engine);
        let engine = Engine::open(dir.path(), EngineConfig::default()).expect("reopen");
        assert!(engine.read().band_room() < held, "room made for what went");
        assert_eq!(engine.store.index_buckets().expect("read"), Some(0));
    }

    /// Opening reads the store through a pipeline of threads (scan, decode, index): a record that cannot
    /// be decoded, in the first chunk or in a later one, fails the open with the record named, and
    /// neither hangs nor panics; the intact store opens as it was.
    #[test]
    fn a_damaged_record_in_any_chunk_fails_the_open_naming_it() {
        let (places, events) = (
            ["Oslo", "Lagos", "Quito", "Hanoi", "Perth", "Cusco", "Tunis"],
            [
                "floods", "strike", "election", "fire", "summit", "storm", "vote", "trial",
            ],
        );
        let articles: Vec<Article> = (0..LOAD_CHUNK + 500)
            .map(|i| {
                let (place, event) = (places[i % 7], events[(i / 7) % 8]);
                Article::new(format!("a{i}"), format!("{place} {event}: update {i}"))
            })
            .collect();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let engine = stored(dir.path(), &articles);
        // What a reopen restores (the untimed count is of this process's arrivals).
        let stats = Stats {
            untimed: 0,
            ..engine.stats()
        };
        let Engine { config, store, .. } = engine;
        let hasher = MinHasher::new(config.params.permutations, config.params.seed);
        let open = || Engine::load_index(&config, &hasher, store.as_ref(), false);
        let (index, _) = open().expect("the intact store opens");
        assert_eq!(index.stats(), stats);
        for seq in [7, LOAD_CHUNK as u32 + 300] {
            let id = format!("a{seq}");
            let good = store
                .get(&id, seq)
                .expect("read")
                .expect("the record is stored");
            store.put(&id, seq, b"\x09damaged").expect("write");
            let message = match open() {
                Ok(_) => panic!("a store with record {seq} damaged opened"),
                Err(e) => e.to_string(),
            };
            // Every record is there, in number order: the damaged one is named by its place.
            assert!(
                message.contains(&format!("records/#{seq} ")) && message.contains("version 9"),
                "record {seq}: {message}"
            );
            store.put(&id, seq, &good).expect("write back");
        }
        let (index, _) = open().expect("the repaired store opens");
        assert_eq!(index.stats(), stats);
    }
}
