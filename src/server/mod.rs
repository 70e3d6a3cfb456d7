//! The HTTP/JSON daemon behind `storyhash serve`. [`serve`] takes a bound listener, a [`ServerConfig`], a
//! store already taken and checked ([`LockedStore`]) and a shutdown signal; it rebuilds the index in the
//! background (so that `/healthz` answers at once and `/readyz` once the index is rebuilt), serves
//! HTTP/1.1 connections on tokio through the axum router of [`routes`], and on shutdown stops accepting,
//! finishes the requests in flight, commits what is queued, flushes and returns. [`run`] does both steps.
//! Writes go through one commit thread ([`commit`]) that shares a flush among all waiting requests;
//! [`metrics`] counts what happens; [`page`] is the page at `GET /`. A thin shell over [`Engine`], like
//! the CLI. In multi-node mode (feature `redis-log`, [`ServerConfig::log`]) writes go instead through
//! [`replica`], which appends them to the shared log of [`redis_log`] and applies that log in order,
//! read through a connection of its own (`stream_reader`).

pub mod commit;
pub mod metrics;
pub mod page;
#[cfg(feature = "redis-log")]
pub mod redis_log;
#[cfg(feature = "redis-log")]
pub mod replica;
mod retention;
pub mod routes;
#[cfg(feature = "redis-log")]
mod stream_reader;
mod write_deadline;

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::config::EngineConfig;
use crate::engine::{Engine, LockedStore};
use crate::error::Error;
use commit::Committer;
use metrics::Metrics;

/// How long a stopping node lets its writes wait on the shared log before it answers them: a Redis
/// that answers has by then.
#[cfg(feature = "redis-log")]
const STOPPING_WRITES_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Limits that keep one client from taking the daemon down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Most articles in one request.
    pub max_batch: usize,
    /// Most articles waiting to be committed; past it, writes are answered 503.
    pub queue_articles: usize,
    /// Most articles committed (and flushed) together.
    pub group_articles: usize,
    /// Most open connections; more wait to be accepted.
    pub max_connections: usize,
    /// Time allowed to send the request headers.
    pub header_timeout: Duration,
    /// Time allowed to send the request body.
    pub body_timeout: Duration,
    /// Time in-flight requests get to finish at shutdown.
    pub shutdown_grace: Duration,
    /// Time an answer may wait for the client to read any of it before the connection is closed.
    pub answer_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 << 20,
            max_batch: 10_000,
            queue_articles: 100_000,
            group_articles: 10_000,
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
            answer_timeout: Duration::from_secs(30),
        }
    }
}

/// What the daemon serves and how.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Store directory.
    pub db: PathBuf,
    /// Matching settings.
    pub engine: EngineConfig,
    /// Bearer token that write routes require, if any.
    pub token: Option<String>,
    /// Request limits.
    pub limits: Limits,
    /// The keys of a posted article its fields are read from (`id`, `title`, ... unless named otherwise).
    pub fields: crate::io::FieldNames,
    /// Articles older than this (by publication time, else arrival) are pruned as the daemon runs:
    /// once the store is open, then every `retain / 24` (a minute to an hour apart). `None` keeps all.
    pub retain: Option<Duration>,
    /// The shared log this node applies with others (multi-node mode); `None` serves alone.
    #[cfg(feature = "redis-log")]
    pub log: Option<redis_log::LogConfig>,
}

/// The last few trending answers, valid while the engine's generation is the one they were made at: a
/// page polled by many readers costs one computation per change.
#[derive(Debug, Default)]
pub struct ListCache {
    entries: Mutex<Vec<(u64, String, Bytes)>>,
}

impl ListCache {
    const KEEP: usize = 32;

    fn get(&self, generation: u64, key: &str) -> Option<Bytes> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .iter()
            .find(|(g, k, _)| *g == generation && k == key)
            .map(|(_, _, body)| body.clone())
    }

    fn put(&self, generation: u64, key: String, body: Bytes) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|(g, k, _)| *g == generation && *k != key);
        if entries.len() == Self::KEEP {
            entries.remove(0);
        }
        entries.push((generation, key, body));
    }
}

/// What every request handler shares.
#[derive(Debug)]
pub struct State {
    config: ServerConfig,
    /// The page at `GET /`, for the keys the daemon reads.
    page: Bytes,
    engine: OnceLock<Arc<Engine>>,
    committer: OnceLock<Committer>,
    #[cfg(feature = "redis-log")]
    replica: OnceLock<replica::Replica>,
    metrics: Arc<Metrics>,
    lists: Arc<ListCache>,
    /// The articles and clusters `/readyz` last counted, said again while a write holds the index.
    ready_counts: std::sync::Mutex<(u64, u64)>,
    /// The overview `/metrics` last took, given again while a write holds the index.
    metric_counts: Arc<std::sync::Mutex<Option<crate::model::Overview>>>,
    /// Whether a count for `/metrics` is under way (at most one waits for a write at a time).
    metrics_counting: Arc<AtomicBool>,
}

impl State {
    fn new(config: ServerConfig) -> State {
        State {
            metrics: Arc::new(Metrics::new(config.log_mode())),
            page: Bytes::from(page::html(&config.fields)),
            config,
            engine: OnceLock::new(),
            committer: OnceLock::new(),
            #[cfg(feature = "redis-log")]
            replica: OnceLock::new(),
            lists: Arc::default(),
            ready_counts: std::sync::Mutex::new((0, 0)),
            metric_counts: Arc::default(),
            metrics_counting: Arc::default(),
        }
    }

    /// The engine's overview for `/metrics`: counted now, unless a write holds the engine for longer
    /// than `wait` (a prune may for seconds); then the last count stands, and this one, once taken, is
    /// the next scrape's (the counts at open before any scrape). One count at a time waits for a write.
    pub async fn metric_counts(
        &self,
        engine: Arc<Engine>,
        wait: Duration,
    ) -> Option<crate::model::Overview> {
        let last = self
            .metric_counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let under_way = self.metrics_counting.swap(true, Ordering::AcqRel);
        if let (true, Some(last)) = (under_way, &last) {
            return Some(last.clone());
        }
        let mut counting = {
            let (counts, counting) = (
                Arc::clone(&self.metric_counts),
                Arc::clone(&self.metrics_counting),
            );
            tokio::task::spawn_blocking(move || {
                let overview = engine.overview();
                *counts.lock().unwrap_or_else(|e| e.into_inner()) = Some(overview.clone());
                counting.store(false, Ordering::Release);
                overview
            })
        };
        match tokio::time::timeout(wait, &mut counting).await {
            Ok(counted) => counted.ok(),
            Err(_) => match last {
                Some(last) => Some(last),
                None => counting.await.ok(),
            },
        }
    }

    /// The articles and clusters of the index, or while a write holds it (a prune may for seconds),
    /// those last counted (at open, if not since): a readiness probe answers at once rather than after
    /// the write.
    pub fn ready_counts(&self, engine: &Engine) -> (u64, u64) {
        let mut last = self.ready_counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(stats) = engine.try_stats() {
            *last = (stats.articles, stats.clusters);
        }
        *last
    }

    /// Serves `engine` from now on, with `stats` (its counts at open) and its overview as the counts last
    /// taken: a probe or scrape that comes while a write holds the index for seconds (the first prune of
    /// `--retain`, right after the open) answers with them at once rather than after the write.
    fn opened(&self, engine: Arc<Engine>, stats: &crate::model::Stats) {
        *self.ready_counts.lock().unwrap_or_else(|e| e.into_inner()) =
            (stats.articles, stats.clusters);
        *self.metric_counts.lock().unwrap_or_else(|e| e.into_inner()) = Some(engine.overview());
        let _ = self.engine.set(engine);
    }

    /// The engine once the store is open.
    pub fn engine(&self) -> Option<&Arc<Engine>> {
        self.engine.get()
    }

    /// Whether a write or flush of the store failed: the daemon takes no more writes until restarted.
    pub fn store_failed(&self) -> bool {
        self.metrics.store_failed.load(Ordering::Acquire)
    }

    /// Whether the store is open and writable (in multi-node mode: and the node has caught up with the
    /// shared log as it stood when the node started, and still applies it).
    pub fn ready(&self) -> bool {
        self.engine.get().is_some() && !self.store_failed() && self.replica_ready()
    }

    #[cfg(feature = "redis-log")]
    fn replica_ready(&self) -> bool {
        match (&self.config.log, self.replica.get()) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(_), Some(r)) => r.ready(),
        }
    }

    #[cfg(not(feature = "redis-log"))]
    fn replica_ready(&self) -> bool {
        true
    }
}

impl ServerConfig {
    /// Whether this node applies a shared log with others.
    pub fn log_mode(&self) -> bool {
        #[cfg(feature = "redis-log")]
        return self.log.is_some();
        #[cfg(not(feature = "redis-log"))]
        false
    }
}

/// What [`serve`] hands back once the daemon has stopped and everything it acknowledged is durable: the
/// engine. Dropping it frees the index and releases the store, which takes seconds for a store of
/// millions of articles; a process about to exit can skip that (`std::mem::forget`), one that goes on
/// drops it to release the store. A node of a shared log stopped while Redis hung leaves its log
/// threads waiting on Redis, holding the engine until their commands time out: the store is released
/// only then.
#[derive(Debug)]
pub struct Stopped {
    /// The engine, when the store was opened.
    pub engine: Option<Arc<Engine>>,
}

/// Takes the store (failing at once when another process holds it or it was written with other
/// parameters), then [`serve`]s.
pub async fn run(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<Stopped, Error> {
    let (db, engine) = (config.db.clone(), config.engine.clone());
    #[cfg(feature = "redis-log")]
    let log = config.log.clone();
    let locked = tokio::task::spawn_blocking(move || {
        #[cfg(feature = "redis-log")]
        let engine = {
            // A new node takes the settings recorded beside the log for those it leaves to the store.
            let mut engine = engine;
            if let Some(log) = &log {
                redis_log::adopt_settings(log, &mut engine).map_err(|e| {
                    Error::Store(crate::error::StoreError::Backend {
                        operation: "join the shared log",
                        message: e.to_string(),
                        os_code: None,
                    })
                })?;
            }
            engine
        };
        Engine::lock_store(&db, engine)
    })
    .await
    .map_err(|e| {
        Error::Store(crate::error::StoreError::Backend {
            operation: "open",
            message: e.to_string(),
            os_code: None,
        })
    })??;
    serve(listener, config, locked, shutdown).await
}

/// Serves `listener` over the store `locked` (taken from `config.db`) until `shutdown` completes, then
/// drains and flushes. Fails when rebuilding the index from the store fails (a corrupt record).
pub async fn serve(
    listener: TcpListener,
    config: ServerConfig,
    locked: LockedStore,
    shutdown: impl Future<Output = ()>,
) -> Result<Stopped, Error> {
    let state = Arc::new(State::new(config));
    let opening = {
        let state = Arc::clone(&state);
        tokio::task::spawn_blocking(move || -> Result<(), Error> {
            let started = Instant::now();
            #[cfg(feature = "redis-log")]
            let joined = match &state.config.log {
                Some(log) => Some(redis_log::join(log, &locked).map_err(|e| {
                    Error::Store(crate::error::StoreError::Backend {
                        operation: "join the shared log",
                        message: e.to_string(),
                        os_code: None,
                    })
                })?),
                None => None,
            };
            let engine = Arc::new(locked.open_listed()?);
            let limits = &state.config.limits;
            let stats = engine.stats();
            #[cfg(feature = "redis-log")]
            if let (Some(log), Some(joined)) = (&state.config.log, joined) {
                engine.follow_log();
                // A store that joins a log follows it from now on, before any entry is applied: restarted
                // with a mistyped --log-stream, it is refused rather than beginning another log.
                if joined.is_start() {
                    let stored =
                        redis_log::Joined::stored(&joined.log_id, joined.position, joined.ordinal);
                    if engine.log_position()?.as_deref() != Some(&stored) {
                        engine.set_log_position(&stored)?;
                        engine.flush()?;
                    }
                }
                // Said before the log's entries are applied, whose end says "ready".
                tracing::info!(
                    articles = stats.articles,
                    clusters = stats.clusters,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "store open; applying the shared log (ready once caught up)"
                );
                tracing::info!(
                    stream = %log.stream,
                    position = %joined.position,
                    head = %joined.head,
                    "applying the shared log"
                );
                let replica = replica::Replica::start(
                    Arc::clone(&engine),
                    Arc::clone(&state.metrics),
                    log.clone(),
                    joined,
                    limits.group_articles,
                    limits.queue_articles,
                );
                let _ = state.replica.set(replica);
            }
            if !state.config.log_mode() {
                // A node's store served alone: its first write leaves the log for good.
                if let Ok(Some(position)) = engine.log_position() {
                    if position != crate::engine::LEFT_LOG {
                        tracing::warn!(
                            "this store followed a shared log and is served without --log: its first \
                             write leaves that log for good (the node can then rejoin only with an \
                             empty store); start it with the --log it had to stay a node"
                        );
                    }
                }
                let committer = Committer::start(
                    Arc::clone(&engine),
                    Arc::clone(&state.metrics),
                    limits.queue_articles,
                    limits.group_articles,
                );
                let _ = state.committer.set(committer);
            }
            state.opened(engine, &stats);
            if !state.config.log_mode() {
                tracing::info!(
                    articles = stats.articles,
                    clusters = stats.clusters,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "store open; ready"
                );
            }
            Ok(())
        })
    };
    let mut opening = Some(opening);
    let (stop_retaining, retaining_stopped) = tokio::sync::watch::channel(false);
    let retaining = state
        .config
        .retain
        .map(|age| tokio::spawn(retention::run(Arc::clone(&state), age, retaining_stopped)));
    let router = routes::router(Arc::clone(&state));
    let connections = Arc::new(Semaphore::new(state.config.limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(state.config.limits.header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    let mut failure = None;
    // What opening the store came to: `None` once it is open, the error when it failed.
    let settle = |opened: Result<Result<(), Error>, tokio::task::JoinError>| match opened {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(e) => Some(Error::Store(crate::error::StoreError::Backend {
            operation: "open",
            message: e.to_string(),
            os_code: None,
        })),
    };
    loop {
        // A connection slot, then a connection (accepting is cancel-safe: nothing is lost when the
        // store's opening or the shutdown wins the race).
        let next = async {
            let permit = Arc::clone(&connections).acquire_owned().await;
            (permit, listener.accept().await)
        };
        let (permit, accepted) = tokio::select! {
            () = &mut shutdown => break,
            opened = async { opening.as_mut().expect("polled only while opening").await }, if opening.is_some() => {
                opening = None;
                failure = settle(opened);
                if failure.is_some() { break; }
                continue;
            }
            (permit, accepted) = next => match permit {
                Ok(permit) => (permit, accepted),
                Err(_) => break,
            },
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: wait a little rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let stream = write_deadline::WriteDeadline::new(stream, state.config.limits.answer_timeout);
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    drop(router);
    // Writes still waiting on the shared log a moment later (a retention's prune among them) wait on a
    // Redis that does not answer: they are answered then, not at their timeout.
    #[cfg(feature = "redis-log")]
    let giving_up = {
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            tokio::time::sleep(STOPPING_WRITES_WAIT).await;
            if let Some(replica) = state.replica.get() {
                replica.give_up_waiting();
            }
        })
    };
    // No prune starts after this, and one under way finishes before the last flush.
    let _ = stop_retaining.send(true);
    if let Some(retaining) = retaining {
        let _ = retaining.await;
    }
    if let Some(e) = failure {
        tracing::error!(error = %e, "cannot open the store");
        return Err(e);
    }
    tracing::info!("shutting down: finishing requests in flight");
    let grace = state.config.limits.shutdown_grace;
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_s = grace.as_secs(),
            "requests still open after the grace period"
        );
    }
    #[cfg(feature = "redis-log")]
    giving_up.abort();
    if let Some(opening) = opening {
        // Shut down while the store was still opening: let it finish so that it closes cleanly.
        let _ = opening.await;
    }
    let state_for_close = Arc::clone(&state);
    tokio::task::spawn_blocking(move || -> Result<(), Error> {
        if let Some(committer) = state_for_close.committer.get() {
            committer.finish();
        }
        #[cfg(feature = "redis-log")]
        if let Some(replica) = state_for_close.replica.get() {
            replica.finish();
        }
        if let Some(engine) = state_for_close.engine.get() {
            engine.flush()?;
        }
        Ok(())
    })
    .await
    .map_err(|e| {
        Error::Store(crate::error::StoreError::Backend {
            operation: "shutdown",
            message: e.to_string(),
            os_code: None,
        })
    })??;
    tracing::info!("stopped");
    Ok(Stopped {
        engine: state.engine.get().cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Article;

    /// A readiness probe and a metrics scrape that come while a write holds the index (the first prune
    /// of `--retain` starts right after the open) answer with the counts taken at open, rather than
    /// after the write.
    #[tokio::test]
    async fn probes_and_scrapes_during_the_first_long_write_answer_with_the_counts_at_open() {
        let engine = Arc::new(Engine::in_memory(EngineConfig::default()).expect("an engine"));
        engine
            .ingest(&Article::new("a", "Harbour reopens after storm"))
            .expect("ingested");
        let state = State::new(ServerConfig {
            db: PathBuf::new(),
            engine: EngineConfig::default(),
            token: None,
            limits: Limits::default(),
            fields: Default::default(),
            retain: None,
            #[cfg(feature = "redis-log")]
            log: None,
        });
        state.opened(Arc::clone(&engine), &engine.stats());
        // A write that holds the index until told to let go.
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let writer = {
            let engine = Arc::clone(&engine);
            std::thread::spawn(move || {
                let _writing = engine.write();
                held_tx.send(()).expect("the test waits");
                let _ = release_rx.recv();
            })
        };
        held_rx.recv().expect("the write holds the index");
        assert_eq!(state.ready_counts(&engine), (1, 1));
        // Bounded, so that a scrape that waits for the write fails here rather than waiting for ever
        // (the write is held until after it).
        let scraped = tokio::time::timeout(
            Duration::from_secs(10),
            state.metric_counts(Arc::clone(&engine), Duration::from_millis(1)),
        )
        .await
        .expect("the scrape answers while the write holds the index")
        .expect("counts");
        assert_eq!((scraped.articles, scraped.clusters), (1, 1));
        release_tx.send(()).expect("the write waits");
        writer.join().expect("the write let go");
    }
}
