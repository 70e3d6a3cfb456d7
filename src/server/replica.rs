//! The write path of multi-node mode. A [`Replica`] runs three threads beside the daemon. The appender
//! takes the writes waiting at one moment and appends them to the shared log in one round trip (then waits
//! for Redis replicas when asked to). A reader reads the log in order from the store's position and decodes
//! its entries ahead; the apply loop applies what it hands over to the local engine in group commits:
//! consecutive article entries in one `ingest_groups_at` (each entry all or nothing), removals and prunes
//! in their place, then the position of the last entry written into the store before the one flush that
//! makes it all durable. A request handler hands its checked write to [`Replica::write`], which answers
//! once the entry has been applied here, with the outcome computed here — the one every node computes,
//! since every node applies the same entries in the same order and applying reads no clock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::metrics::Metrics;
use super::redis_log::{
    lost_entries, trimmed_past, Appended, Entry, EntryError, Joined, LogConfig, LogError, Position,
    RedisLog,
};
use crate::engine::{Engine, GroupResult};
use crate::error::Error;
use crate::model::Article;
use crate::time::{self, Timestamp};

/// Entries read from the log at most at once: a read is applied in one flush, so a node catching up a
/// log of single-article requests flushes once per this many articles.
const READ_COUNT: usize = 16_384;
/// Bytes a read aims at: the count read at once halves above four times this and doubles below it, so
/// that a log of large requests (up to `--max-body` each) is not read thousands of entries at a time.
const READ_BYTES: usize = 16 << 20;
/// How long a read waits for new entries before it looks whether the node is stopping.
const READ_BLOCK: Duration = Duration::from_millis(500);
/// Writes appended in one round trip at most.
const APPEND_BATCH: usize = 1024;

/// A write a request asks for, checked by the node that received it.
#[derive(Debug)]
pub enum Write {
    /// Store these articles, all or nothing.
    Articles(Vec<Article<'static>>),
    /// Remove the article with this id.
    Delete(String),
    /// Drop the articles whose time is before this (Unix seconds).
    Prune {
        /// Unix seconds.
        before: i64,
    },
}

/// What applying a write's entry came to on this node.
#[derive(Debug)]
pub enum Applied {
    /// The articles' verdicts, or the position of the article that refused the request and why; for an
    /// id conflict, the request's articles handed back beside it (to find its other conflicts).
    Articles(GroupResult, Vec<Article<'static>>),
    /// Whether the article was there to remove.
    Removed(bool),
    /// How many articles went, and the time they were older than.
    Pruned {
        /// Articles dropped.
        count: u64,
        /// Unix seconds.
        before: i64,
    },
}

/// Why a write got no outcome.
#[derive(Debug, PartialEq, Eq)]
pub enum WriteError {
    /// The log could not take the entry in time; it may or may not have been appended. Retrying is safe
    /// for articles (a stored id with the same text answers its verdict).
    Unavailable(String),
    /// Too many articles of this node's writes are waiting already; nothing was appended.
    Full,
    /// The entry is in the log and will take effect on every node, but it was not confirmed (by the
    /// replicas asked for, or by this node's apply loop) in time; retrying gets its answer.
    Pending(String),
    /// This node is shutting down; another may take the write.
    Stopped(String),
    /// This node stopped on an error and takes no write until an operator acts (its log's URL unusable,
    /// entries it needs trimmed, its store failed): a retry here cannot succeed.
    Halted(String),
}

struct AppendJob {
    fields: Vec<(&'static str, Vec<u8>)>,
    deadline: Instant,
    reply: oneshot::Sender<Result<Position, WriteError>>,
}

/// What the threads and the request handlers share.
struct Shared {
    engine: Arc<Engine>,
    metrics: Arc<Metrics>,
    /// Writes of this node waiting for their entry to be applied, by request key.
    waiters: Mutex<HashMap<String, oneshot::Sender<Applied>>>,
    /// Whether the node has applied the log as far as its head when the node joined.
    caught_up: AtomicBool,
    /// Why the apply loop stopped, once it has.
    halted: Mutex<Option<String>>,
    stop: AtomicBool,
    /// The last entry applied, for `/readyz`.
    applied_ms: AtomicU64,
    applied_seq: AtomicU64,
    /// How many of the log's entries are applied, for the lag.
    applied_ordinal: AtomicU64,
    /// How many of the entries read the reader has since found the log still to count: a write is
    /// answered only once its entry is among them, so that none is acknowledged on a log that lost what
    /// came before it (its key deleted or evicted, Redis flushed) while the node stayed connected.
    verified_ordinal: Mutex<u64>,
    verified: Condvar,
    /// Whether the last command of either thread reached Redis.
    connected: AtomicBool,
    /// Whether the apply loop is applying a read (set before it looks at `stop`), which a stopping node
    /// waits for.
    applying: AtomicBool,
}

impl Shared {
    fn halt(&self, message: String) {
        tracing::error!(error = %message, "stopped applying the shared log; this node refuses writes");
        if let Some(m) = self.log_metrics() {
            m.halted.set(1);
        }
        *self.halted.lock().unwrap_or_else(|e| e.into_inner()) = Some(message);
        // Waiting writes are told at once rather than at their deadline.
        self.waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Records that the log still counts the first `ordinal` entries.
    fn verify_up_to(&self, ordinal: u64) {
        let mut verified = self
            .verified_ordinal
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if *verified < ordinal {
            *verified = ordinal;
            self.verified.notify_all();
        }
    }

    /// Waits until the log is known still to count the first `ordinal` entries; false when the node
    /// halts first. A node stopping answers what it applied without waiting (its reader has stopped).
    fn wait_verified(&self, ordinal: u64) -> bool {
        let mut verified = self
            .verified_ordinal
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        while *verified < ordinal {
            if self.halted().is_some() {
                return false;
            }
            if self.stop.load(Ordering::Acquire) {
                return true;
            }
            verified = self
                .verified
                .wait_timeout(verified, Duration::from_millis(10))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    fn halted(&self) -> Option<String> {
        self.halted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn log_metrics(&self) -> Option<&super::metrics::LogMetrics> {
        self.metrics.log.as_ref()
    }
}

/// Removes a write's waiter when the write is done with it (answered, timed out or abandoned).
struct Waiting<'a> {
    shared: &'a Shared,
    key: String,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.shared
            .waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.key);
    }
}

/// This node's part in the shared log: the appender and the apply loop.
pub struct Replica {
    shared: Arc<Shared>,
    config: LogConfig,
    head: Position,
    /// Prefix of this node's request keys, unique to this run.
    node: String,
    counter: AtomicU64,
    appender: Mutex<Option<mpsc::Sender<AppendJob>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Most articles of this node's writes waiting to be appended and applied at once.
    capacity: u64,
    /// Set once the node stops and has given its writes a moment: those still waiting on Redis (one
    /// that hangs) are answered then rather than at their timeout.
    give_up: tokio::sync::watch::Sender<bool>,
}

/// Takes a write's articles off the count of those waiting when the write is done.
struct Queued<'a> {
    depth: &'a AtomicU64,
    articles: u64,
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.depth.fetch_sub(self.articles, Ordering::AcqRel);
    }
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica")
            .field("stream", &self.config.stream)
            .field("head", &self.head)
            .finish_non_exhaustive()
    }
}

impl Replica {
    /// Starts the appender and the apply loop for a node that [`join`](super::redis_log::join)ed the
    /// log at `joined`. Consecutive article entries are applied together up to `group_articles`
    /// articles; at most `capacity` articles of this node's writes wait at once (more are refused).
    pub fn start(
        engine: Arc<Engine>,
        metrics: Arc<Metrics>,
        config: LogConfig,
        joined: Joined,
        group_articles: usize,
        capacity: usize,
    ) -> Replica {
        let shared = Arc::new(Shared {
            engine,
            metrics,
            waiters: Mutex::new(HashMap::new()),
            caught_up: AtomicBool::new(false),
            halted: Mutex::new(None),
            stop: AtomicBool::new(false),
            applied_ms: AtomicU64::new(joined.position.ms),
            applied_seq: AtomicU64::new(joined.position.seq),
            applied_ordinal: AtomicU64::new(joined.ordinal),
            verified_ordinal: Mutex::new(joined.ordinal),
            verified: Condvar::new(),
            connected: AtomicBool::new(true),
            applying: AtomicBool::new(false),
        });
        if joined.position >= joined.head {
            note_caught_up(&shared);
        }
        let (sender, jobs) = mpsc::channel::<AppendJob>();
        let appender = {
            let (shared, config) = (Arc::clone(&shared), config.clone());
            std::thread::Builder::new()
                .name("storyhash-append".into())
                .spawn(move || append_loop(&config, &shared, &jobs))
                .expect("the append thread starts")
        };
        let head = joined.head;
        let applier = {
            let (shared, config) = (Arc::clone(&shared), config.clone());
            std::thread::Builder::new()
                .name("storyhash-apply".into())
                .spawn(move || {
                    let mut apply = ApplyLoop {
                        shared: &shared,
                        config: &config,
                        log_id: joined.log_id,
                        position: joined.position,
                        ordinal: joined.ordinal,
                        head: joined.head,
                        group_articles: group_articles.max(1),
                    };
                    apply.run();
                })
                .expect("the apply thread starts")
        };
        Replica {
            shared,
            config,
            head,
            node: super::redis_log::unique_id()[..16].to_string(),
            counter: AtomicU64::new(0),
            appender: Mutex::new(Some(sender)),
            threads: Mutex::new(vec![appender, applier]),
            capacity: capacity as u64,
            give_up: tokio::sync::watch::Sender::new(false),
        }
    }

    /// Whether the node has caught up with the log as it stood when the node joined and still applies it.
    pub fn ready(&self) -> bool {
        self.shared.caught_up.load(Ordering::Acquire) && self.shared.halted().is_none()
    }

    /// Why the node does not serve writes, when it does not.
    pub fn not_ready_reason(&self) -> Option<String> {
        if let Some(halted) = self.shared.halted() {
            return Some(format!(
                "this node stopped applying the shared log: {halted}"
            ));
        }
        if !self.shared.caught_up.load(Ordering::Acquire) {
            let at = Position {
                ms: self.shared.applied_ms.load(Ordering::Relaxed),
                seq: self.shared.applied_seq.load(Ordering::Relaxed),
            };
            return Some(format!(
                "catching up with the shared log: applied up to {at} of {}",
                self.head
            ));
        }
        None
    }

    /// Whether this node stopped applying the log on an error, for good.
    pub fn is_halted(&self) -> bool {
        self.shared.halted().is_some()
    }

    /// Whether the last Redis command reached Redis.
    pub fn connected(&self) -> bool {
        self.shared.connected.load(Ordering::Relaxed)
    }

    /// The last entry applied here.
    pub fn applied(&self) -> Position {
        Position {
            ms: self.shared.applied_ms.load(Ordering::Relaxed),
            seq: self.shared.applied_seq.load(Ordering::Relaxed),
        }
    }

    /// Appends a write to the log and answers once this node has applied it, within the log's timeout.
    pub async fn write(&self, write: Write) -> Result<Applied, WriteError> {
        if let Some(halted) = self.shared.halted() {
            return Err(WriteError::Halted(format!(
                "this node stopped applying the shared log: {halted}"
            )));
        }
        let articles = match &write {
            Write::Articles(a) => a.len() as u64,
            Write::Delete(_) | Write::Prune { .. } => 1,
        };
        let depth = &self.shared.metrics.queue_depth;
        let mut current = depth.load(Ordering::Relaxed);
        loop {
            // A write larger than the whole queue still goes through when nothing waits.
            if current > 0 && current + articles > self.capacity {
                self.shared.metrics.shed.inc();
                return Err(WriteError::Full);
            }
            match depth.compare_exchange_weak(
                current,
                current + articles,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => current = now,
            }
        }
        let _queued = Queued { depth, articles };
        let timeout = self.config.timeout;
        let deadline = Instant::now() + timeout;
        let key = format!(
            "{}-{}",
            self.node,
            self.counter.fetch_add(1, Ordering::Relaxed)
        );
        // Fixed here, before the entry is appended: every node applies the same time.
        let at = time::now();
        let entry = match write {
            Write::Articles(articles) => Entry::Articles {
                key: key.clone(),
                at,
                articles,
            },
            Write::Delete(id) => Entry::Delete {
                key: key.clone(),
                at,
                id,
            },
            Write::Prune { before } => Entry::Prune {
                key: key.clone(),
                at,
                before,
            },
        };
        let fields = entry.fields();
        drop(entry);
        let (applied_tx, applied_rx) = oneshot::channel();
        self.shared
            .waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.clone(), applied_tx);
        let _waiting = Waiting {
            shared: &self.shared,
            key,
        };
        let (reply, appended) = oneshot::channel();
        let sent = self
            .appender
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|s| {
                s.send(AppendJob {
                    fields,
                    deadline,
                    reply,
                })
                .is_ok()
            });
        if sent != Some(true) {
            return Err(WriteError::Stopped("the daemon is shutting down".into()));
        }
        let seconds = timeout.as_secs_f64();
        let mut give_up = self.give_up.subscribe();
        let gave_up = async move {
            let _ = give_up.wait_for(|given_up| *given_up).await;
        };
        tokio::pin!(gave_up);
        let appended = tokio::select! {
            appended = tokio::time::timeout_at(deadline.into(), appended) => appended,
            () = &mut gave_up => {
                return Err(WriteError::Unavailable(
                    "the daemon is stopping and Redis has not answered the write; it may still take \
                     it, and the write then takes effect on every node: send it again to another node \
                     (the same articles again are answered as a repeat)"
                        .into(),
                ))
            }
        };
        match appended {
            Ok(Ok(Ok(_position))) => {}
            Ok(Ok(Err(e))) => return Err(e),
            Ok(Err(_)) => return Err(WriteError::Stopped("the daemon is shutting down".into())),
            Err(_) => {
                // Sent and unanswered, Redis may still append it: the client cannot be told it was not.
                return Err(WriteError::Unavailable(format!(
                    "Redis did not answer the write within {seconds} s; it may still take it, and the \
                     write then takes effect on every node: send it again (the same articles again are \
                     answered as a repeat)"
                )));
            }
        }
        let applied = tokio::select! {
            applied = tokio::time::timeout_at(deadline.into(), applied_rx) => applied,
            () = &mut gave_up => {
                return Err(WriteError::Pending(
                    "the write is in the shared log but the daemon is stopping before it applied it; \
                     it takes effect on every node: retry to get its answer"
                        .into(),
                ))
            }
        };
        match applied {
            Ok(Ok(applied)) => Ok(applied),
            // The apply loop ended before it answered: halted on an error, or the daemon stopping.
            Ok(Err(_)) => match self.shared.halted() {
                Some(_) => Err(WriteError::Halted(
                    self.not_ready_reason()
                        .unwrap_or_else(|| "this node stopped applying the shared log".into()),
                )),
                None => Err(WriteError::Stopped("the daemon is shutting down".into())),
            },
            Err(_) => Err(WriteError::Pending(format!(
                "the write is in the shared log but this node did not apply it within {seconds} s; it \
                 takes effect on every node: retry to get its answer"
            ))),
        }
    }

    /// Answers the writes still waiting (on a Redis that hangs) as the node stops, a moment after it was
    /// told to.
    pub fn give_up_waiting(&self) {
        self.give_up.send_replace(true);
    }

    /// Stops taking writes, lets the appender answer those it holds, and stops the apply loop after the
    /// batch it is applying (which it flushes). Threads still waiting on Redis a moment later (a Redis
    /// that hangs, whose commands take up to the request timeout each) are left to end with the
    /// process, as a kill would end them, once no read is being applied: the requests they served are
    /// answered, and what they had not done was never acknowledged.
    pub fn finish(&self) {
        self.appender
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        self.shared.stop.store(true, Ordering::SeqCst);
        let mut threads =
            std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        // Longer than a read of an idle log waits, so that a node whose Redis answers stops cleanly.
        let patience = Instant::now() + READ_BLOCK * 2;
        while !threads.is_empty() {
            let (done, running): (Vec<_>, Vec<_>) =
                threads.into_iter().partition(|t| t.is_finished());
            for thread in done {
                let _ = thread.join();
            }
            threads = running;
            if !threads.is_empty()
                && Instant::now() >= patience
                && !self.shared.applying.load(Ordering::SeqCst)
            {
                tracing::warn!(
                    threads = threads.len(),
                    "stopping without waiting for Redis to answer the shared log's commands under way"
                );
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Counts the connections `redis` made again since `seen`.
fn count_reconnects(shared: &Shared, redis: &RedisLog, seen: &mut u64) {
    let now = redis.reconnects();
    if now > *seen {
        if let Some(m) = shared.log_metrics() {
            m.reconnects.inc_by(now - *seen);
        }
        tracing::info!(url = redis.url(), "reconnected to Redis");
        *seen = now;
    }
}

/// Where an append trims the log to keep `retain` (`--log-retain`): that long before the newest entry
/// this node appended, by Redis's clock, which times every entry; `None` before the first append. A
/// node's own clock is not read: one running ahead of Redis's by more than `retain` would trim every
/// entry, its own just appended with them, and halt every node.
fn trim_before(retain: Option<Duration>, newest: Option<Position>) -> Option<u64> {
    Some(newest?.ms.saturating_sub(retain?.as_millis() as u64))
}

fn append_loop(config: &LogConfig, shared: &Shared, jobs: &mpsc::Receiver<AppendJob>) {
    let mut redis = match RedisLog::new(config) {
        Ok(r) => Some(r),
        Err(e) => {
            shared.halt(e.to_string());
            None
        }
    };
    let mut reconnects = 0;
    // Writes refused since the last batch Redis took whole.
    let refused_since = std::cell::Cell::new(0u64);
    // The newest entry this node appended, as Redis timed it: trims are measured from it.
    let mut newest: Option<Position> = None;
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < APPEND_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let now = Instant::now();
        let (live, late): (Vec<AppendJob>, Vec<AppendJob>) =
            batch.into_iter().partition(|j| j.deadline > now);
        for job in late {
            let _ = job.reply.send(Err(WriteError::Unavailable(
                "the write waited for Redis past its time".into(),
            )));
        }
        let Some(redis) = redis.as_mut() else {
            for job in live {
                let _ = job.reply.send(Err(WriteError::Halted(
                    "the shared log's URL is unusable".into(),
                )));
            }
            continue;
        };
        let Some(budget) = live.iter().map(|j| j.deadline - now).min() else {
            continue;
        };
        let trim_before_ms = trim_before(config.retain, newest);
        let (entries, replies): (Vec<_>, Vec<_>) =
            live.into_iter().map(|j| (j.fields, j.reply)).unzip();
        let appended = redis.append(&entries, config.replicas, trim_before_ms, budget);
        if let Ok(a) = &appended {
            let positions = a.positions.iter().filter_map(|p| p.as_ref().ok());
            newest = newest.into_iter().chain(positions.copied()).max();
        }
        count_reconnects(shared, redis, &mut reconnects);
        // Connected: Redis reached, and taking writes.
        let taking = appended
            .as_ref()
            .is_ok_and(|a| a.positions.iter().all(Result::is_ok));
        shared.connected.store(taking, Ordering::Relaxed);
        // Once a batch (a Redis at its memory limit refuses every entry of it), and warned of once an
        // outage: the writes refused meanwhile are counted, and said when Redis takes them again.
        let refused_now = std::cell::Cell::new(false);
        let refused = |message: &str, count: usize| {
            refused_now.set(true);
            if let Some(m) = shared.log_metrics() {
                m.redis_errors.inc();
            }
            match refused_since.replace(refused_since.get() + count as u64) {
                0 => {
                    tracing::warn!(error = %message, writes = count, "cannot append to the shared log")
                }
                _ => {
                    tracing::debug!(error = %message, writes = count, "cannot append to the shared log")
                }
            }
        };
        match appended {
            Ok(Appended {
                positions,
                confirmed,
            }) => {
                if let Some(Err(why)) = &confirmed {
                    refused(&format!("WAIT: {why}"), positions.len());
                }
                let mut failed = positions.iter().filter_map(|p| p.as_ref().err());
                if let Some(first) = failed.next() {
                    refused(first, 1 + failed.count());
                }
                for (reply, position) in replies.into_iter().zip(positions) {
                    let answer = match (position, &confirmed) {
                        (Err(message), _) => Err(WriteError::Unavailable(message)),
                        (Ok(position), Some(Ok(n))) if *n < u64::from(config.replicas) => {
                            Err(WriteError::Pending(format!(
                                "the write is in the shared log (entry {position}) but only {n} of \
                                 the {} Redis replicas asked for (--log-replicas) confirmed it within \
                                 {:.1} s; it takes effect on every node: retry to get its answer",
                                config.replicas,
                                budget.as_secs_f64()
                            )))
                        }
                        (Ok(position), Some(Err(why))) => Err(WriteError::Pending(format!(
                            "the write is in the shared log (entry {position}) but Redis did not say \
                             how many of its replicas hold it (--log-replicas): WAIT answered {why}; it \
                             takes effect on every node: retry to get its answer"
                        ))),
                        (Ok(position), _) => Ok(position),
                    };
                    let _ = reply.send(answer);
                }
            }
            Err(e) => {
                let message = match e {
                    LogError::Refused { message, .. } => {
                        format!("Redis refused the write: {message}")
                    }
                    other => other.to_string(),
                };
                refused(&message, replies.len());
                for reply in replies {
                    let _ = reply.send(Err(WriteError::Unavailable(message.clone())));
                }
            }
        }
        // A batch Redis took whole, and whose replicas (--log-replicas) it said, ends a spell.
        if taking && !refused_now.get() {
            if let refused @ 1.. = refused_since.replace(0) {
                tracing::info!(
                    refused_writes = refused,
                    "appending to the shared log again"
                );
            }
        }
    }
}

/// Rebuilds the engine's index from its store after a removal: a node restarted later rebuilds it
/// from the store too, and the story level decides later articles alike only from a rebuilt state (see
/// [`Engine::reload`]). Every node reloads at the same entries, so all decide alike.
fn reload(engine: &Engine) -> Result<(), String> {
    let started = Instant::now();
    engine
        .reload()
        .map_err(|e| format!("cannot rebuild the index after a removal: {e}"))?;
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "index rebuilt after a removal"
    );
    Ok(())
}

/// The apply loop's state.
struct ApplyLoop<'a> {
    shared: &'a Shared,
    config: &'a LogConfig,
    log_id: String,
    position: Position,
    ordinal: u64,
    head: Position,
    group_articles: usize,
}

/// An entry as the reader hands it to the apply loop: decoded, or why it could not be.
type Read = Result<Entry, EntryError>;

/// The thread that reads the log for the apply loop: from the position after the last entry it read,
/// each read decoded and handed over whole, an empty one when nothing follows. It checks the log behind
/// every new connection before reading on it.
struct Reader<'a> {
    shared: &'a Shared,
    config: &'a LogConfig,
    log_id: String,
    /// The last entry read, and how many entries the log held up to it.
    position: Position,
    ordinal: u64,
}

impl Reader<'_> {
    fn run(mut self, reads: &mpsc::SyncSender<Vec<(Position, Read)>>) {
        let shared = self.shared;
        let mut redis = match RedisLog::new(self.config) {
            Ok(r) => r,
            Err(e) => return shared.halt(e.to_string()),
        };
        let mut reconnects = 0;
        // The connection's reconnect count when the log behind it was last checked to be this one.
        let mut checked: Option<u64> = None;
        let mut pause = Duration::from_millis(50);
        let mut count = 16;
        // Failed tries since the last read: an outage is warned of once, and its end said.
        let failures = std::cell::Cell::new(0u64);
        while !shared.stop.load(Ordering::Acquire) && shared.halted().is_none() {
            let failed = |e: LogError, pause: &mut Duration| {
                if let Some(m) = shared.log_metrics() {
                    m.redis_errors.inc();
                }
                shared.connected.store(false, Ordering::Relaxed);
                match failures.replace(failures.get() + 1) {
                    0 => tracing::warn!(error = %e, "cannot read the shared log; retrying"),
                    _ => tracing::debug!(error = %e, "cannot read the shared log; retrying"),
                }
                std::thread::sleep(*pause);
                *pause = (*pause * 2).min(Duration::from_secs(1));
            };
            if !redis.is_connected() || checked != Some(redis.reconnects()) {
                let verified = self.verify(&mut redis);
                count_reconnects(shared, &redis, &mut reconnects);
                match verified {
                    Ok(()) => checked = Some(redis.reconnects()),
                    Err(LogError::Unjoinable { reason, .. }) => return shared.halt(reason),
                    Err(e) => {
                        failed(e, &mut pause);
                        continue;
                    }
                }
            }
            // Checked before every read, not only on a new connection: a node that fell behind the
            // log's retention while connected would otherwise read on after a gap, saying nothing.
            // The same answer gives the lag metric below.
            let info = match redis.info() {
                Ok(info) => info,
                Err(e) => {
                    failed(e, &mut pause);
                    continue;
                }
            };
            if checked != Some(redis.reconnects()) {
                // Answered on a connection made just now (a quiet one was found closed): the log
                // behind it is checked to be this one first.
                continue;
            }
            if let Some(reason) = trimmed_past(&info, self.position, self.ordinal)
                .or_else(|| lost_entries(&info, self.position, self.ordinal))
            {
                return shared.halt(reason);
            }
            // The entries read so far are still the log's: their writes may be answered (this check,
            // made as the apply loop applies the last read, is what their answers wait for).
            shared.verify_up_to(self.ordinal);
            let behind = info.last_generated > self.position;
            if behind {
                trim_before_read_if_asked(&mut redis, self.position);
            }
            let read = redis.read(self.position, count, READ_BLOCK);
            count_reconnects(shared, &redis, &mut reconnects);
            let entries = match read {
                Ok(entries) => entries,
                Err(e) => {
                    failed(e, &mut pause);
                    continue;
                }
            };
            if checked != Some(redis.reconnects()) {
                // Read on a connection made since the last check: check the log first.
                continue;
            }
            if behind && !entries.is_empty() {
                // Entries that another node's append trimmed between the check and the read leave a
                // gap the read does not show: it starts at the first entry left. Trimmed no further
                // than this node's position before the read, even now, none were trimmed before the
                // read. A node at the trim's edge (behind the log by what it keeps) stops here, before
                // it applies a read that may follow a gap, as it would at its next check; one at the
                // log's end reads entries appended since the check, which no trim reaches.
                let after = match redis.info() {
                    Ok(after) => after,
                    Err(e) => {
                        failed(e, &mut pause);
                        continue;
                    }
                };
                if checked != Some(redis.reconnects()) {
                    continue;
                }
                if let Some(reason) = trimmed_past(&after, self.position, self.ordinal) {
                    return shared.halt(reason);
                }
            }
            pause = Duration::from_millis(50);
            shared.connected.store(true, Ordering::Relaxed);
            if let tries @ 1.. = failures.replace(0) {
                tracing::info!(failed_tries = tries, "reading the shared log again");
            }
            let bytes: usize = entries
                .iter()
                .flat_map(|(_, fields)| fields.iter().map(|(_, v)| v.len()))
                .sum();
            if bytes > 4 * READ_BYTES {
                count = (count / 2).max(1);
            } else if bytes < READ_BYTES && entries.len() == count {
                count = (count * 2).min(READ_COUNT);
            }
            if let Some((last, _)) = entries.last() {
                self.position = *last;
                self.ordinal += entries.len() as u64;
            }
            let entries = entries
                .into_iter()
                .map(|(position, fields)| (position, Entry::decode(&fields)))
                .collect();
            if reads.send(entries).is_err() {
                return;
            }
            if let Some(m) = shared.log_metrics() {
                let applied = shared.applied_ordinal.load(Ordering::Relaxed);
                m.lag_entries
                    .set(info.entries_added.saturating_sub(applied) as i64);
            }
        }
    }

    /// Checks that the log behind a new connection is the one the node joined and still holds what the
    /// node read of it (Redis restarted without its data would hand out a new log under the old name).
    fn verify(&self, redis: &mut RedisLog) -> Result<(), LogError> {
        let url = redis.url().to_string();
        let unjoinable = |reason: String| LogError::Unjoinable {
            stream: self.config.stream.clone(),
            url: url.clone(),
            reason,
        };
        let settings = redis.settings()?.unwrap_or_default();
        let log_id = settings
            .lines()
            .find_map(|l| l.strip_prefix("log_id="))
            .unwrap_or("");
        if log_id != self.log_id {
            let found = if log_id.is_empty() {
                "are gone".to_string()
            } else {
                format!("belong to another log (id {log_id})")
            };
            return Err(unjoinable(format!(
                "the log's recorded settings {found}, where this node follows the log with id {}: was \
                 Redis restarted without its append-only file, or another Redis put in its place? Once \
                 Redis holds this log again, restart the node; if the log is lost, start every node \
                 with an empty store to begin a new one",
                self.log_id
            )));
        }
        match redis.cannot_follow(self.position, self.ordinal)? {
            Some(reason) => Err(unjoinable(reason)),
            None => Ok(()),
        }
    }
}

/// Article entries waiting to be applied together.
#[derive(Default)]
struct Run {
    keys: Vec<String>,
    arrivals: Vec<Timestamp>,
    groups: Vec<std::ops::Range<usize>>,
    articles: Vec<Article<'static>>,
}

/// Unsets its flag when dropped.
struct Unset<'a>(&'a AtomicBool);

impl Drop for Unset<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// Marks the node caught up with the log as it stood when the node joined, saying so the first time.
fn note_caught_up(shared: &Shared) {
    if !shared.caught_up.swap(true, Ordering::AcqRel) {
        tracing::info!("caught up with the shared log; ready");
    }
}

impl ApplyLoop<'_> {
    /// Applies what the reader thread reads, a read at a time, until the node stops or the log cannot
    /// be applied any further. Reading the next entries from Redis (a round trip and the parsing of the
    /// answer) overlaps applying the entries read before.
    fn run(&mut self) {
        let shared = self.shared;
        let (sender, reads) = mpsc::sync_channel::<Vec<(Position, Read)>>(1);
        let reader = Reader {
            shared,
            config: self.config,
            log_id: self.log_id.clone(),
            position: self.position,
            ordinal: self.ordinal,
        };
        std::thread::scope(|scope| {
            let started = std::thread::Builder::new()
                .name("storyhash-read".into())
                .spawn_scoped(scope, move || reader.run(&sender));
            if let Err(e) = started {
                return shared.halt(format!("cannot start the thread that reads the log: {e}"));
            }
            // Ends when the reader stops (the node stops, or the log cannot be followed); a halt here
            // stops the reader at its next read.
            for entries in reads {
                // Applying from here: a stopping node that sees this unset after setting `stop` knows
                // no read is applied after.
                shared.applying.store(true, Ordering::SeqCst);
                let _applied = Unset(&shared.applying);
                if shared.stop.load(Ordering::SeqCst) || shared.halted().is_some() {
                    break;
                }
                let log = shared.log_metrics();
                let Some((first, _)) = entries.first() else {
                    // Nothing after the reader's position: everything appended so far is applied.
                    note_caught_up(shared);
                    if let Some(m) = log {
                        m.lag_entries.set(0);
                        m.lag_seconds.set(0.0);
                    }
                    continue;
                };
                if let Some(m) = log {
                    let now_ms = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_millis() as u64)
                        .unwrap_or(0);
                    m.lag_seconds
                        .set(now_ms.saturating_sub(first.ms) as f64 / 1000.0);
                }
                if let Err(message) = self.apply(entries) {
                    shared.halt(message);
                    break;
                }
                if self.position >= self.head {
                    note_caught_up(shared);
                }
            }
        });
    }

    /// Applies the entries of `run` in one commit and queues their outcomes; an error other than a
    /// refused request is a store failure, which stops the loop.
    fn commit_run(
        &self,
        run: &mut Run,
        outcomes: &mut Vec<(String, Applied)>,
    ) -> Result<(), String> {
        if run.keys.is_empty() {
            return Ok(());
        }
        let Run {
            keys,
            arrivals,
            groups,
            mut articles,
        } = std::mem::take(run);
        let results = self
            .shared
            .engine
            .ingest_groups_at(&articles, &groups, &arrivals);
        let metrics = &self.shared.metrics;
        for ((key, result), range) in keys.into_iter().zip(results).zip(groups) {
            match &result {
                Ok(group) => {
                    for v in group {
                        if v.repeat {
                            metrics.replayed.inc();
                        } else {
                            metrics.ingested(v.status);
                        }
                    }
                }
                Err((_, Error::Article(_))) => {
                    metrics.rejected.inc();
                }
                Err((_, e)) => return Err(self.store_failed(format!("cannot store articles: {e}"))),
            }
            let handed_back = match &result {
                Err((_, e)) => super::commit::handed_back(e, &mut articles[range]),
                Ok(_) => Vec::new(),
            };
            outcomes.push((key, Applied::Articles(result, handed_back)));
        }
        Ok(())
    }

    /// Records, durably, that the first `count` entries of the read being applied are applied, up to
    /// `position`, where the read turns from articles to a removal or from a removal to articles. The
    /// store's writes may reach the disk before the position stored at the read's end, and a node that
    /// crashed after them would apply again the entries after the position stored before: articles a
    /// removal then took out would be stored again under new numbers, and an article stored again after
    /// its removal would be taken out by the removal applied again and stored once more; either way every
    /// later article, cluster and story numbered otherwise than on the other nodes. With the position
    /// recorded at each turn, the entries after it are all articles (stored already: repeats, which
    /// change nothing) or all removals (which remove nothing more).
    fn record_applied(&self, position: Position, count: u64) -> Result<(), String> {
        self.shared
            .engine
            .set_log_position(&Joined::stored(
                &self.log_id,
                position,
                self.ordinal + count,
            ))
            .and_then(|()| self.shared.engine.flush())
            .map_err(|e| self.store_failed(format!("cannot flush the store: {e}")))
    }

    /// `message`, a store's failure, with the daemon marked as holding a failed store (`/healthz` 503,
    /// as a daemon without a log says it): restarting it once the cause is fixed is what helps.
    fn store_failed(&self, message: String) -> String {
        self.shared
            .metrics
            .store_failed
            .store(true, Ordering::Release);
        message
    }

    /// Applies entries read from the log, in order, records the position of the last one and flushes
    /// once; then answers the writes of this node among them. Where the read turns between articles and
    /// removals, what it applied before the turn is recorded too ([`record_applied`](Self::record_applied)).
    fn apply(&mut self, entries: Vec<(Position, Read)>) -> Result<(), String> {
        let engine = &self.shared.engine;
        let mut outcomes: Vec<(String, Applied)> = Vec::new();
        let mut run = Run::default();
        let mut position = self.position;
        let mut count = 0u64;
        let mut stop_at: Option<String> = None;
        // A removal leaves the index to be rebuilt before the next articles are decided. Removals in a
        // row share one rebuild: the store they leave is the same, and a rebuild reads only the store.
        let mut stale = false;
        // What was applied since the position was last recorded: articles, which a removal records
        // first, or removals, which articles record first (see `record_applied`).
        let mut articles_unrecorded = false;
        let mut removals_unrecorded = false;
        let mut removed_any = false;
        for (at_position, entry) in entries {
            match entry {
                Err(EntryError::Newer(v)) => {
                    stop_at = Some(format!("entry {at_position} was {}", EntryError::Newer(v)));
                    break;
                }
                Err(EntryError::Malformed(message)) => {
                    // Every node skips it alike.
                    tracing::error!(entry = %at_position, error = %message, "skipping an unreadable log entry");
                }
                Ok(Entry::Articles { key, at, articles }) => {
                    if std::mem::take(&mut removals_unrecorded) {
                        // The run is empty here too: the removal committed it.
                        self.record_applied(position, count)?;
                    }
                    if stale {
                        // The run is empty here: every removal committed the run before it.
                        reload(engine)?;
                        stale = false;
                    }
                    if !run.keys.is_empty()
                        && run.articles.len() + articles.len() > self.group_articles
                    {
                        self.commit_run(&mut run, &mut outcomes)?;
                    }
                    let start = run.articles.len();
                    run.articles.extend(articles);
                    run.groups.push(start..run.articles.len());
                    run.arrivals.push(Timestamp::from_unix_seconds(at));
                    run.keys.push(key);
                    articles_unrecorded = true;
                }
                Ok(Entry::Delete { key, at, id }) => {
                    self.commit_run(&mut run, &mut outcomes)?;
                    if std::mem::take(&mut articles_unrecorded) {
                        self.record_applied(position, count)?;
                    }
                    let removed = engine
                        .remove_at(&id, Timestamp::from_unix_seconds(at))
                        .map_err(|e| {
                            self.store_failed(format!(
                                "cannot remove `{}`: {e}",
                                crate::error::shown_id(&id)
                            ))
                        })?;
                    stale |= removed;
                    removals_unrecorded = true;
                    removed_any = true;
                    outcomes.push((key, Applied::Removed(removed)));
                }
                Ok(Entry::Prune { key, at, before }) => {
                    self.commit_run(&mut run, &mut outcomes)?;
                    if std::mem::take(&mut articles_unrecorded) {
                        self.record_applied(position, count)?;
                    }
                    let count = engine
                        .prune_at(
                            Timestamp::from_unix_seconds(before),
                            Timestamp::from_unix_seconds(at),
                        )
                        .map_err(|e| self.store_failed(format!("cannot prune: {e}")))?;
                    self.shared.metrics.pruned(count, at);
                    stale |= count > 0;
                    removals_unrecorded = true;
                    removed_any = true;
                    outcomes.push((key, Applied::Pruned { count, before }));
                }
            }
            position = at_position;
            count += 1;
        }
        self.commit_run(&mut run, &mut outcomes)?;
        if stale {
            // Between reads every node stands as a reopened store would.
            reload(engine)?;
        }
        if removed_any {
            crash_before_position_if_asked(engine);
        }
        if count > 0 {
            let started = Instant::now();
            engine
                .set_log_position(&Joined::stored(
                    &self.log_id,
                    position,
                    self.ordinal + count,
                ))
                .and_then(|()| engine.flush())
                .map_err(|e| self.store_failed(format!("cannot flush the store: {e}")))?;
            let metrics = &self.shared.metrics;
            metrics.flush.observe(started.elapsed().as_secs_f64());
            metrics.commits.inc();
            if let Some(m) = self.shared.log_metrics() {
                m.applied.inc_by(count);
            }
            self.position = position;
            self.ordinal += count;
            self.shared
                .applied_ordinal
                .store(self.ordinal, Ordering::Relaxed);
            self.shared.applied_ms.store(position.ms, Ordering::Relaxed);
            self.shared
                .applied_seq
                .store(position.seq, Ordering::Relaxed);
            // Caught up once the log as it stood at the join is applied, before the check that the
            // log still holds these entries: that check waits for Redis, and a node that applied
            // everything is ready for reads however long Redis is away (a halt unreadies it).
            if self.position >= self.head {
                note_caught_up(self.shared);
            }
        }
        if !outcomes.is_empty() && !self.shared.wait_verified(self.ordinal) {
            // Halted (the log lost entries): the writes are told so, not answered.
            return Ok(());
        }
        let mut waiters = self
            .shared
            .waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for (key, outcome) in outcomes {
            if let Some(waiter) = waiters.remove(&key) {
                let _ = waiter.send(outcome);
            }
        }
        drop(waiters);
        match stop_at {
            Some(message) => Err(message),
            None => Ok(()),
        }
    }
}

/// Fault injection for the trim tests, in debug builds only: with `STORYHASH_TRIM_BEFORE_READ` set, the
/// reader trims the log through the entry after `position` before it reads on, as another node's append
/// (`XADD … MINID`) may between its check of the log and its read.
fn trim_before_read_if_asked(redis: &mut RedisLog, position: Position) {
    if cfg!(debug_assertions) && std::env::var_os("STORYHASH_TRIM_BEFORE_READ").is_some() {
        if let Err(e) = redis.trim_through_next(position) {
            tracing::error!(error = %e, "cannot trim the log as asked");
        }
    }
}

/// Fault injection for the crash tests, in debug builds only: with `STORYHASH_CRASH_BEFORE_POSITION`
/// set, the node flushes its store and aborts once it has applied a read that held a removal, before it
/// records the read's position, as a kill would leave it had the store's background flush written the
/// read's changes out first.
fn crash_before_position_if_asked(engine: &Engine) {
    if cfg!(debug_assertions) && std::env::var_os("STORYHASH_CRASH_BEFORE_POSITION").is_some() {
        let _ = engine.flush();
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_trimmed_by_redis_s_clock_from_the_newest_entry_appended() {
        let hour = Some(Duration::from_secs(3600));
        let newest = Position {
            ms: 1_765_000_000_000,
            seq: 3,
        };
        assert_eq!(
            trim_before(hour, Some(newest)),
            Some(1_765_000_000_000 - 3_600_000)
        );
        // Nothing is trimmed before this node appended once, nor without --log-retain.
        assert_eq!(trim_before(hour, None), None);
        assert_eq!(trim_before(None, Some(newest)), None);
        // A log younger than the retention keeps everything.
        let early = Position { ms: 1_000, seq: 0 };
        assert_eq!(trim_before(hour, Some(early)), Some(0));
    }
}
