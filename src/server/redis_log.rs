//! The shared log of multi-node mode: one Redis Stream that several daemons append their writes to and
//! apply in order. [`Entry`] is one write as the stream keeps it (articles with their arrival time, a
//! removal, a prune at an absolute time: nothing left for the applying node to read from its clock),
//! [`Position`] an entry's place in the stream, [`LogConfig`] where the log lives and how long a write may
//! wait for it, and [`RedisLog`] one connection to it with every command a node sends: append (XADD, and
//! WAIT for replicas), read (XREAD BLOCK), the stream's head and trim point (XINFO STREAM) and the
//! matching settings recorded beside the stream. [`join`] checks, before a node serves, that its settings
//! are the log's and that its store can follow the log from where it stands; [`adopt_settings`] lets a new
//! node take the log's. What is done with the entries is [`replica`](super::replica)'s business.

use std::fmt;
use std::time::{Duration, Instant};

use redis::Value;

use super::stream_reader::{ReadError, StreamReader};
use crate::config::{EngineConfig, Recorded, ValidConfig};
use crate::engine::LockedStore;
use crate::model::Article;

/// The version of the entry layout this build writes and reads. An entry of a higher version stops the
/// node that reads it (it cannot apply it as its writer meant) rather than being skipped.
pub const ENTRY_FORMAT: u32 = 1;

/// Where the shared log lives and how writes wait for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogConfig {
    /// Redis URL, `redis://HOST:PORT[/DB]` (with `user:password@` when Redis wants them).
    pub url: String,
    /// Name of the stream; the settings are recorded beside it, under `NAME:settings`.
    pub stream: String,
    /// Redis replicas that must hold an entry before its write is answered (Redis `WAIT`); 0 waits for
    /// none.
    pub replicas: u32,
    /// Entries older than this are trimmed from the stream as new ones are appended; `None` keeps all.
    pub retain: Option<Duration>,
    /// Time a write may take in all (appending, replicas, applying here); also the bound on each Redis
    /// command and connection attempt.
    pub timeout: Duration,
}

impl LogConfig {
    /// The log at `url` under the default stream name `storyhash`, waiting for no replica, keeping every
    /// entry, with 10 s for a write.
    pub fn new(url: impl Into<String>) -> LogConfig {
        LogConfig {
            url: url.into(),
            stream: "storyhash".into(),
            replicas: 0,
            retain: None,
            timeout: Duration::from_secs(10),
        }
    }

    fn settings_key(&self) -> String {
        format!("{}:settings", self.stream)
    }
}

/// Why the log could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// The URL is not one the Redis client takes.
    #[error("`{url}` is not a Redis URL (redis://HOST:PORT[/DB]): {message}")]
    Url {
        /// The URL (without password).
        url: String,
        /// Why.
        message: String,
    },
    /// Redis could not be reached or stopped answering.
    #[error("cannot reach Redis at {url}: {message}")]
    Unreachable {
        /// The Redis URL (without password).
        url: String,
        /// What went wrong.
        message: String,
    },
    /// Redis answered a command with an error.
    #[error("Redis at {url} refused {command}: {message}")]
    Refused {
        /// The Redis URL (without password).
        url: String,
        /// The command.
        command: &'static str,
        /// Redis's error.
        message: String,
    },
    /// This node's matching settings differ from those recorded beside the log.
    #[error(
        "the log `{stream}` records {field} = {log}, but this node runs with {field} = {node}; every \
         node must run with the log's matching settings: {hint}"
    )]
    Mismatch {
        /// The stream.
        stream: String,
        /// The setting that differs.
        field: String,
        /// The log's value.
        log: String,
        /// This node's value.
        node: String,
        /// What to give to run with the log's value, or why no flag sets it.
        hint: String,
    },
    /// The node's store cannot follow this log from where it stands.
    #[error("the store cannot follow the log `{stream}` at {url}: {reason}")]
    Unjoinable {
        /// The stream.
        stream: String,
        /// The Redis URL (without password).
        url: String,
        /// Why, and what to do.
        reason: String,
    },
    /// Something recorded in the log or the store is unreadable.
    #[error("{what} is unreadable: {message}")]
    Unreadable {
        /// What (the settings, an entry, the store's log position).
        what: String,
        /// Why.
        message: String,
    },
    /// The store failed while checking it.
    #[error(transparent)]
    Store(#[from] crate::error::Error),
}

/// The place of an entry in the stream: its id, `MILLISECONDS-SEQUENCE`, in the order Redis gave them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Redis's clock when the entry was appended, in Unix milliseconds.
    pub ms: u64,
    /// Order among the entries of that millisecond.
    pub seq: u64,
}

impl Position {
    /// Before every entry.
    pub const START: Position = Position { ms: 0, seq: 0 };

    /// Parses `1700000000000-3`.
    pub fn parse(text: &str) -> Option<Position> {
        let (ms, seq) = text.split_once('-')?;
        Some(Position {
            ms: ms.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// One write as the log keeps it. Everything a node could see differently is fixed in it: `at` is the
/// receiving node's clock when it appended the entry (the arrival time of articles without a readable
/// publication time, and the time kept in tombstones); a prune carries the absolute time it prunes
/// before.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    /// `POST /v1/articles`: the articles of one request, stored all or nothing.
    Articles {
        /// The request's key, unique among requests (the node that appended it waits for it).
        key: String,
        /// Arrival time, Unix seconds.
        at: i64,
        /// The articles, in request order.
        articles: Vec<Article<'static>>,
    },
    /// `DELETE /v1/articles/{id}`.
    Delete {
        /// The request's key.
        key: String,
        /// Time of the removal, Unix seconds.
        at: i64,
        /// The article's id.
        id: String,
    },
    /// `POST /v1/prune`.
    Prune {
        /// The request's key.
        key: String,
        /// Time of the prune, Unix seconds.
        at: i64,
        /// Articles whose time is before this (Unix seconds) go.
        before: i64,
    },
}

/// An entry's fields as Redis hands them over.
pub type Fields = Vec<(String, Vec<u8>)>;

/// How an article travels in an entry: the fields of the API, nulls left out.
#[derive(serde::Serialize)]
struct WireArticle<'a> {
    id: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<&'a str>,
}

/// Why an entry could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum EntryError {
    /// Written by a newer storyhash, in a layout this build does not know.
    Newer(u32),
    /// Not an entry this or any storyhash writes.
    Malformed(String),
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryError::Newer(v) => write!(
                f,
                "written in entry format {v} by a newer storyhash (this one reads format {ENTRY_FORMAT})"
            ),
            EntryError::Malformed(m) => f.write_str(m),
        }
    }
}

impl Entry {
    /// The request key.
    pub fn key(&self) -> &str {
        match self {
            Entry::Articles { key, .. } | Entry::Delete { key, .. } | Entry::Prune { key, .. } => {
                key
            }
        }
    }

    /// The stream fields of this entry.
    pub fn fields(&self) -> Vec<(&'static str, Vec<u8>)> {
        let mut fields = vec![("v", ENTRY_FORMAT.to_string().into_bytes())];
        let (kind, key, at) = match self {
            Entry::Articles { key, at, .. } => ("articles", key, at),
            Entry::Delete { key, at, .. } => ("delete", key, at),
            Entry::Prune { key, at, .. } => ("prune", key, at),
        };
        fields.push(("kind", kind.as_bytes().to_vec()));
        fields.push(("key", key.as_bytes().to_vec()));
        fields.push(("at", at.to_string().into_bytes()));
        match self {
            Entry::Articles { articles, .. } => {
                let wire: Vec<WireArticle<'_>> = articles
                    .iter()
                    .map(|a| WireArticle {
                        id: &a.id,
                        title: &a.title,
                        body: a.body.as_deref(),
                        source: a.source.as_deref(),
                        url: a.url.as_deref(),
                        published: a.published.as_deref(),
                    })
                    .collect();
                // Strings and options of strings always serialize.
                let json = serde_json::to_vec(&wire).unwrap_or_default();
                fields.push(("articles", json));
            }
            Entry::Delete { id, .. } => fields.push(("id", id.as_bytes().to_vec())),
            Entry::Prune { before, .. } => {
                fields.push(("before", before.to_string().into_bytes()));
            }
        }
        fields
    }

    /// Reads an entry from its stream fields.
    pub fn decode(fields: &Fields) -> Result<Entry, EntryError> {
        let get = |name: &str| -> Result<&[u8], EntryError> {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_slice())
                .ok_or_else(|| EntryError::Malformed(format!("field `{name}` is missing")))
        };
        let text = |name: &str| -> Result<&str, EntryError> {
            std::str::from_utf8(get(name)?)
                .map_err(|_| EntryError::Malformed(format!("field `{name}` is not UTF-8")))
        };
        let number = |name: &str| -> Result<i64, EntryError> {
            text(name)?
                .parse()
                .map_err(|_| EntryError::Malformed(format!("field `{name}` is not a whole number")))
        };
        let version: u32 = text("v")?
            .parse()
            .map_err(|_| EntryError::Malformed("field `v` is not a version number".into()))?;
        if version > ENTRY_FORMAT {
            return Err(EntryError::Newer(version));
        }
        let key = text("key")?.to_string();
        let at = number("at")?;
        match text("kind")? {
            "articles" => {
                let articles = crate::io::parse_document(text("articles")?)
                    .map_err(|e| {
                        EntryError::Malformed(format!(
                            "field `articles`{}: {}",
                            e.index.map(|i| format!(" [{i}]")).unwrap_or_default(),
                            e.message
                        ))
                    })?
                    .into_iter()
                    .map(Article::into_owned)
                    .collect();
                Ok(Entry::Articles { key, at, articles })
            }
            "delete" => Ok(Entry::Delete {
                key,
                at,
                id: text("id")?.to_string(),
            }),
            "prune" => Ok(Entry::Prune {
                key,
                at,
                before: number("before")?,
            }),
            other => Err(EntryError::Malformed(format!("unknown kind `{other}`"))),
        }
    }
}

/// What Redis answered to [`RedisLog::append`].
#[derive(Debug)]
pub struct Appended {
    /// Per entry: its position, or why it has none: Redis refused it (it is not in the log), or answered
    /// what is no entry id.
    pub positions: Vec<Result<Position, String>>,
    /// With replicas asked for: how many held the entries in time, or why WAIT gave no count.
    pub confirmed: Option<Result<u64, String>>,
}

/// What XINFO STREAM says about the stream (all zero when it does not exist yet).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamInfo {
    /// Entries in the stream now.
    pub length: u64,
    /// Entries ever appended.
    pub entries_added: u64,
    /// The newest entry's position (trimmed or not).
    pub last_generated: Position,
    /// The newest position deleted from the stream (XDEL; Redis 7.0 does not count trimming here).
    pub max_deleted: Position,
    /// The oldest entry's position (meaningful while the stream holds entries).
    pub first: Position,
}

impl StreamInfo {
    /// How many of the oldest entries were trimmed away (appended, and no longer in the stream).
    pub fn trimmed(&self) -> u64 {
        self.entries_added.saturating_sub(self.length)
    }
}

/// Why a node that applied the log's first `ordinal` entries, up to `position`, cannot read on, if it
/// cannot: more of the log's oldest entries were trimmed than it applied, so some of those after its
/// position are gone (the log is trimmed from its head only, so the count says it exactly).
pub fn trimmed_past(info: &StreamInfo, position: Position, ordinal: u64) -> Option<String> {
    (info.trimmed() > ordinal).then(|| {
        format!(
            "this node applied the log's first {ordinal} entries (up to {position}), but its {} oldest \
             were trimmed, so some of those that follow are gone (it fell further behind than \
             --log-retain keeps); start the node with a copy of a more recent store (another node's, \
             taken while it is stopped)",
            info.trimmed()
        )
    })
}

/// Why a node that read the log's first `ordinal` entries, up to `position`, cannot go on with the log as
/// `info` describes it, if it cannot: the log counts fewer entries than the node read, or ends before the
/// last of them, so it lost entries the node applied (its key deleted or evicted, Redis flushed, or
/// restarted without its data) and a node that joins it now would not hold them.
pub fn lost_entries(info: &StreamInfo, position: Position, ordinal: u64) -> Option<String> {
    (position > info.last_generated || info.entries_added < ordinal).then(|| {
        format!(
            "this node applied {ordinal} entries up to {position}, but the log ends at {} after {} \
             entries: the log lost entries (was its key deleted or evicted (maxmemory-policy), Redis \
             flushed, or restarted without its append-only file or with appendfsync everysec?); this \
             node holds writes the log no longer has",
            info.last_generated, info.entries_added
        )
    })
}

/// The URL without its password, for messages, with the port Redis is reached on when the URL leaves it
/// out (6379, the client's default), so that a message says where it looked.
fn shown_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(at) => (&url[..at], &url[at + 3..]),
        None => return url.to_string(),
    };
    // The user and password end at the last `@` before the path (a query may hold an `@` too).
    let authority = rest.find('/').map_or(rest, |at| &rest[..at]);
    let (hidden, rest) = match authority.rfind('@') {
        Some(at) => ("…@", &rest[at + 1..]),
        None => ("", rest),
    };
    let (host, path) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    // A query or fragment, which may hold a password, is only marked.
    let path = match path.find(['?', '#']) {
        Some(at) => format!("{}{}…", &path[..at], &path[at..at + 1]),
        None => path.to_string(),
    };
    // A port after the host (after the brackets of an IPv6 address).
    let has_port = host
        .rsplit_once(']')
        .map_or(host, |(_, after)| after)
        .contains(':');
    let port = if has_port || host.is_empty() || scheme != "redis" {
        ""
    } else {
        ":6379"
    };
    format!("{scheme}://{hidden}{host}{port}{path}")
}

/// One connection to the log, made when first needed and made again after it broke, and one for reading
/// the stream ([`read`](Self::read)). Every command is bounded in time; a command that fails on the
/// connection (rather than being refused by Redis) drops it, so that the next one reconnects.
pub struct RedisLog {
    client: redis::Client,
    con: Option<redis::Connection>,
    reader: Option<StreamReader>,
    reader_connected_once: bool,
    url: String,
    stream: String,
    settings_key: String,
    timeout: Duration,
    /// Connections made after the first.
    reconnects: u64,
    connected_once: bool,
    /// When the connection last answered a command.
    answered: Instant,
}

/// A connection that has answered nothing for this long is asked for a PING before the next command goes
/// on it, and made again when that fails: Redis (a restart, its `timeout` setting), a NAT or a proxy may
/// have closed it meanwhile, and a write sent on it would fail although Redis is there. A PING is safe to
/// send again; an XADD that fails on a dead connection is not (it may have been taken).
const IDLE_CHECK: Duration = Duration::from_secs(1);

impl fmt::Debug for RedisLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisLog")
            .field("url", &self.url)
            .field("stream", &self.stream)
            .field("connected", &self.con.is_some())
            .finish_non_exhaustive()
    }
}

impl RedisLog {
    /// A handle on the log; connects at the first command.
    pub fn new(log: &LogConfig) -> Result<RedisLog, LogError> {
        let url = shown_url(&log.url);
        // A query or fragment is no part of the form taken (the client reads a `protocol` there and
        // nothing else): refused rather than half read, so that a setting written there is not thought
        // to be in force. Not shown, as it may hold a password: a `#` or `?` in one, not written
        // %23 or %3F, begins such a part.
        if let Some(at) = log.url.find(['?', '#']) {
            let part = if log.url[at..].starts_with('?') {
                "what follows `?`"
            } else {
                "what follows `#`"
            };
            return Err(LogError::Url {
                url,
                message: format!(
                    "{part} is not read; leave it out (a database is given as /DB; a `#`, `?`, `/` \
                     or `@` in a password is written %23, %3F, %2F, %40)"
                ),
            });
        }
        let client = redis::Client::open(log.url.as_str()).map_err(|e| LogError::Url {
            url: url.clone(),
            message: e.to_string(),
        })?;
        Ok(RedisLog {
            client,
            con: None,
            reader: None,
            reader_connected_once: false,
            url,
            stream: log.stream.clone(),
            settings_key: log.settings_key(),
            timeout: log.timeout,
            reconnects: 0,
            connected_once: false,
            answered: Instant::now(),
        })
    }

    /// The URL, without its password.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether a connection is open.
    pub fn is_connected(&self) -> bool {
        self.con.is_some()
    }

    /// Connections made after the first one (after a connection broke or could not be made).
    pub fn reconnects(&self) -> u64 {
        self.reconnects
    }

    /// Drops the connections; the next command makes a new one.
    pub fn disconnect(&mut self) {
        self.con = None;
        self.reader = None;
    }

    /// What a server that answers, but not in Redis's protocol (an HTTP server at that port, say), is:
    /// refused at once, since waiting does not change what listens there.
    fn not_redis(&self, command: &'static str) -> LogError {
        LogError::Refused {
            url: self.url.clone(),
            command,
            message: "what answers there does not speak Redis's protocol (is --log the address of \
                      a Redis server?)"
                .into(),
        }
    }

    fn unreachable(&self, message: impl fmt::Display) -> LogError {
        LogError::Unreachable {
            url: self.url.clone(),
            message: message.to_string(),
        }
    }

    /// An error making a connection. Redis refusing this client (a wrong password, a database number
    /// it does not have, no permission) is [`LogError::Refused`]: it answers, and waiting does not
    /// change its answer. Anything else (not listening, a timeout, still loading its data) is
    /// [`LogError::Unreachable`].
    fn connect_error(&self, e: redis::RedisError, timeout: Duration) -> LogError {
        use redis::{ErrorKind, ServerErrorKind};
        if timed_out(&e) {
            return self.unreachable(format!(
                "the connection: no answer within {:.1} s",
                timeout.as_secs_f64()
            ));
        }
        if e.kind() == ErrorKind::Parse {
            return self.not_redis("the connection");
        }
        let refused = matches!(
            e.kind(),
            ErrorKind::AuthenticationFailed
                | ErrorKind::Server(ServerErrorKind::ResponseError | ServerErrorKind::NoPerm)
        );
        if refused {
            LogError::Refused {
                url: self.url.clone(),
                command: "the connection",
                message: e.to_string(),
            }
        } else {
            self.unreachable(e)
        }
    }

    /// Runs `work` on the connection (made first if needed) with `timeout` for each read and write. An
    /// error on the connection drops it; an error answer of Redis is [`LogError::Refused`].
    fn run<T>(
        &mut self,
        command: &'static str,
        timeout: Duration,
        work: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, LogError> {
        // One deadline for the check, the connection and the command: a write's answer waits no
        // longer for a PING and a reconnection than for the command alone.
        let deadline = Instant::now() + timeout.max(Duration::from_millis(10));
        let left = || {
            deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(10))
        };
        if let Some(con) = self
            .con
            .as_mut()
            .filter(|_| self.answered.elapsed() >= IDLE_CHECK)
        {
            let check = left().min(self.timeout);
            let alive = con
                .set_read_timeout(Some(check))
                .and_then(|()| con.set_write_timeout(Some(check)))
                .and_then(|()| redis::cmd("PING").query::<String>(con));
            if alive.is_err() {
                self.con = None;
            }
        }
        if self.con.is_none() {
            let within = left().min(self.timeout);
            let con = self
                .client
                .get_connection_with_timeout(within)
                .map_err(|e| self.connect_error(e, within))?;
            note_connection(&mut self.connected_once, &mut self.reconnects);
            self.con = Some(con);
        }
        let con = self.con.as_mut().expect("connected above");
        let timed = con
            .set_read_timeout(Some(left()))
            .and_then(|()| con.set_write_timeout(Some(left())));
        let result = timed.and_then(|()| work(con));
        match result {
            Ok(v) => {
                self.answered = Instant::now();
                Ok(v)
            }
            Err(e) if e.kind() == redis::ErrorKind::Parse => {
                self.con = None;
                Err(self.not_redis(command))
            }
            Err(e) => {
                let on_connection = e.is_io_error()
                    || e.is_timeout()
                    || e.is_connection_dropped()
                    || e.is_connection_refusal()
                    || e.is_unrecoverable_error();
                if on_connection {
                    self.con = None;
                    let said = match timed_out(&e) {
                        true => format!(
                            "{command}: no answer within {:.1} s",
                            timeout.max(Duration::from_millis(10)).as_secs_f64()
                        ),
                        false => format!("{command}: {e}"),
                    };
                    Err(self.unreachable(said))
                } else if matches!(e.retry_method(), redis::RetryMethod::WaitAndRetry) {
                    // Redis answers, but not yet: it is loading its data (LOADING), or a replica has
                    // lost its primary (MASTERDOWN). Like an unreachable Redis, this passes.
                    Err(self.unreachable(format!("{command}: {e}")))
                } else {
                    Err(LogError::Refused {
                        url: self.url.clone(),
                        command,
                        message: e.to_string(),
                    })
                }
            }
        }
    }

    /// Appends entries in one round trip (each an XADD, trimming entries older than `trim_before_ms`
    /// when given), then, with `replicas > 0`, waits up to `timeout` for that many Redis replicas to hold
    /// them. Returns each entry's position, or what Redis answered when it refused that one (at its
    /// memory limit, say, after taking the ones before), and, when replicas were asked for, how many
    /// confirmed or why Redis would not say.
    pub fn append(
        &mut self,
        entries: &[Vec<(&'static str, Vec<u8>)>],
        replicas: u32,
        trim_before_ms: Option<u64>,
        timeout: Duration,
    ) -> Result<Appended, LogError> {
        let mut pipe = redis::pipe();
        // One refused command does not fail the others' answers: each entry gets its own.
        pipe.ignore_errors();
        for fields in entries {
            let cmd = pipe.cmd("XADD").arg(&self.stream);
            if let Some(min) = trim_before_ms {
                cmd.arg("MINID").arg("~").arg(min);
            }
            cmd.arg("*");
            for (name, value) in fields {
                cmd.arg(*name).arg(value.as_slice());
            }
        }
        if replicas > 0 {
            // WAIT answers before the caller's time is up, so that a short count can be told apart from
            // a Redis that does not answer.
            let margin = (timeout / 4).min(Duration::from_millis(250));
            pipe.cmd("WAIT")
                .arg(replicas)
                .arg((timeout - margin).as_millis().max(1) as u64);
        }
        let values: Vec<Value> = self.run("XADD", timeout + Duration::from_millis(500), |con| {
            pipe.query(con)
        })?;
        let mut positions = Vec::with_capacity(entries.len());
        for at in 0..entries.len() {
            let position = match values.get(at) {
                Some(Value::ServerError(e)) => Err(format!("Redis refused the write: {e}")),
                // An answer that is no entry id leaves that entry's fate unknown, and its alone.
                Some(value) => as_text(value)
                    .and_then(|t| Position::parse(&t))
                    .ok_or_else(|| {
                        format!("Redis answered the write with {value:?}, not an entry id")
                    }),
                None => {
                    return Err(LogError::Unreadable {
                        what: "the answers to XADD".into(),
                        message: format!("{} answers to {} entries", values.len(), entries.len()),
                    })
                }
            };
            positions.push(position);
        }
        let confirmed = (replicas > 0).then(|| match values.get(entries.len()) {
            Some(Value::ServerError(e)) => Err(e.to_string()),
            Some(value) => as_int(value)
                .map(|n| n.max(0) as u64)
                .ok_or_else(|| format!("{value:?} is not a count of replicas")),
            None => Err("no answer".to_string()),
        });
        Ok(Appended {
            positions,
            confirmed,
        })
    }

    /// Up to `count` entries after `after`, waiting up to `block` for the first to come.
    pub fn read(
        &mut self,
        after: Position,
        count: usize,
        block: Duration,
    ) -> Result<Vec<(Position, Fields)>, LogError> {
        let timeout = (block + self.timeout).max(Duration::from_millis(10));
        if self.reader.is_none() {
            let reader =
                StreamReader::connect(self.client.get_connection_info(), self.timeout.min(timeout))
                    .map_err(|e| self.read_failed(e))?;
            note_connection(&mut self.reader_connected_once, &mut self.reconnects);
            self.reader = Some(reader);
        }
        let reader = self.reader.as_mut().expect("connected above");
        reader
            .xread(&self.stream, after, count, block, timeout)
            .map_err(|e| self.read_failed(e))
    }

    /// The error of a failed read; drops the reading connection unless Redis refused the command.
    fn read_failed(&mut self, error: ReadError) -> LogError {
        match error {
            ReadError::Refused(message) => LogError::Refused {
                url: self.url.clone(),
                command: "XREAD",
                message,
            },
            ReadError::SetupRefused { command, message } => LogError::Refused {
                url: self.url.clone(),
                command,
                message,
            },
            ReadError::Io(e) => {
                self.reader = None;
                // A read past its time says "Resource temporarily unavailable" (EAGAIN).
                match matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) {
                    true => self.unreachable("XREAD: no answer in time (--request-timeout)"),
                    false => self.unreachable(format!("XREAD: {e}")),
                }
            }
            ReadError::Unreadable(message) => {
                self.reader = None;
                LogError::Unreadable {
                    what: "the answer to XREAD".into(),
                    message,
                }
            }
        }
    }

    /// Whether the entry at `position` is in the stream.
    pub fn holds(&mut self, position: Position) -> Result<bool, LogError> {
        let stream = self.stream.clone();
        let id = position.to_string();
        let value: Value = self.run("XRANGE", self.timeout, |con| {
            redis::cmd("XRANGE")
                .arg(&stream)
                .arg(&id)
                .arg(&id)
                .arg("COUNT")
                .arg(1)
                .query(con)
        })?;
        parse_entries(&value)
            .map(|entries| !entries.is_empty())
            .map_err(|message| LogError::Unreadable {
                what: "the answer to XRANGE".into(),
                message,
            })
    }

    /// Why a node that applied the log's first `ordinal` entries, up to `position`, cannot go on
    /// applying it, if it cannot: the log lost entries it applied (the last one is gone although newer
    /// entries are kept, or gone without the trimming that takes it with every entry before it), or
    /// entries after it were trimmed.
    pub fn cannot_follow(
        &mut self,
        position: Position,
        ordinal: u64,
    ) -> Result<Option<String>, LogError> {
        let info = self.info()?;
        if let Some(reason) = lost_entries(&info, position, ordinal) {
            return Ok(Some(reason));
        }
        if position > Position::START && !self.holds(position)? {
            if info.length > 0 && position >= info.first {
                return Ok(Some(format!(
                    "the log no longer holds entry {position}, the last this node applied, although it \
                     holds entries from {} on: the log lost entries; this node holds writes the log no \
                     longer has",
                    info.first
                )));
            }
            if let Some(reason) = trimmed_past(&info, position, ordinal) {
                return Ok(Some(reason));
            }
            // Trimming takes the oldest entries: it took this node's last one only with all it applied
            // before. Fewer trimmed, the entry went another way: the stream was deleted and begun again
            // (on the settings left) since the node applied it.
            if info.trimmed() < ordinal {
                return Ok(Some(format!(
                    "the log does not hold entry {position}, the last this node applied, and {} of \
                     its entries were trimmed where this node applied {ordinal}: the stream was \
                     deleted and begun again since (or Redis lost its data), and this node holds \
                     writes the log does not have; start it with an empty store or a copy of a \
                     current node's store (taken while that node is stopped)",
                    info.trimmed()
                )));
            }
        }
        Ok(None)
    }

    /// The stream's length, count of entries ever added, newest position and trim point.
    pub fn info(&mut self) -> Result<StreamInfo, LogError> {
        let stream = self.stream.clone();
        let value = match self.run("XINFO STREAM", self.timeout, |con| {
            redis::cmd("XINFO")
                .arg("STREAM")
                .arg(&stream)
                .query::<Value>(con)
        }) {
            Ok(v) => v,
            // A stream that does not exist yet has no entries.
            Err(LogError::Refused { message, .. }) if message.contains("no such key") => {
                return Ok(StreamInfo::default())
            }
            Err(e) => return Err(e),
        };
        parse_info(&value).map_err(|message| LogError::Unreadable {
            what: "the answer to XINFO STREAM".into(),
            message,
        })
    }

    /// Trims the stream through the first entry after `after` (every entry up to it), as an append with
    /// `MINID` past it would: for the fault injection of the trim tests.
    pub(crate) fn trim_through_next(&mut self, after: Position) -> Result<(), LogError> {
        let stream = self.stream.clone();
        let next = self.run("XRANGE", self.timeout, |con| {
            redis::cmd("XRANGE")
                .arg(&stream)
                .arg(format!("({}-{}", after.ms, after.seq))
                .arg("+")
                .arg("COUNT")
                .arg(1)
                .query::<Value>(con)
        })?;
        let next = match &next {
            Value::Array(entries) => match entries.first() {
                Some(Value::Array(entry)) => entry.first().and_then(as_text),
                _ => None,
            },
            _ => None,
        };
        if let Some(next) = next.as_deref().and_then(Position::parse) {
            let past = format!("{}-{}", next.ms, next.seq + 1);
            self.run("XTRIM", self.timeout, |con| {
                redis::cmd("XTRIM")
                    .arg(&stream)
                    .arg("MINID")
                    .arg(past)
                    .query::<Value>(con)
            })?;
        }
        Ok(())
    }

    /// The settings recorded beside the stream (`name=value` lines), if any.
    pub fn settings(&mut self) -> Result<Option<String>, LogError> {
        let key = self.settings_key.clone();
        let value: Option<Vec<u8>> = self.run("GET", self.timeout, |con| {
            redis::cmd("GET").arg(&key).query(con)
        })?;
        value
            .map(|v| {
                String::from_utf8(v).map_err(|_| LogError::Unreadable {
                    what: format!("the settings under `{key}`"),
                    message: "not UTF-8".into(),
                })
            })
            .transpose()
    }

    /// One of Redis's settings (`CONFIG GET`), `None` where Redis does not say (a hosted Redis may refuse
    /// `CONFIG`).
    fn config_get(&mut self, name: &'static str) -> Result<Option<String>, LogError> {
        let answer = self.run("CONFIG GET", self.timeout, |con| {
            redis::cmd("CONFIG")
                .arg("GET")
                .arg(name)
                .query::<Vec<String>>(con)
        });
        match answer {
            Ok(pair) => Ok(pair.into_iter().nth(1)),
            Err(LogError::Refused { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Redis's `appendonly` and `appendfsync` settings, `None` where Redis does not say.
    pub fn persistence(&mut self) -> Result<(Option<String>, Option<String>), LogError> {
        Ok((
            self.config_get("appendonly")?,
            self.config_get("appendfsync")?,
        ))
    }

    /// Redis's clock (`TIME`) in Unix milliseconds, `None` where Redis refuses to say.
    pub fn clock_ms(&mut self) -> Result<Option<u64>, LogError> {
        let answer = self.run("TIME", self.timeout, |con| {
            redis::cmd("TIME").query::<(u64, u64)>(con)
        });
        match answer {
            Ok((seconds, micros)) => Ok(Some(seconds * 1000 + micros / 1000)),
            Err(LogError::Refused { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Redis's `maxmemory` and `maxmemory-policy`, `None` where Redis does not say.
    pub fn eviction(&mut self) -> Result<(Option<String>, Option<String>), LogError> {
        Ok((
            self.config_get("maxmemory")?,
            self.config_get("maxmemory-policy")?,
        ))
    }

    /// Refuses a Redis that will not take this node's appends: a read-only replica (`READONLY`), or a
    /// user without the right to XADD to the stream (`NOPERM`). The probe is an XADD at id 0-0, which
    /// Redis turns down after those checks and before it creates or changes anything. A Redis at its
    /// memory limit (`OOM`) is taken, with a warning: that passes.
    pub fn check_writable(&mut self) -> Result<(), LogError> {
        let stream = self.stream.clone();
        let probe = self.run("XADD", self.timeout, |con| {
            redis::cmd("XADD")
                .arg(&stream)
                .arg("0-0")
                .arg("probe")
                .arg("1")
                .query::<Value>(con)
        });
        match probe {
            Err(LogError::Refused { message, .. }) if message.contains("greater than 0-0") => {
                Ok(())
            }
            // Redis turns down any write at its memory limit, after the user's rights are checked: the
            // node serves reads meanwhile, and its writes once Redis has room. (The client quotes an
            // error code it does not know: `"OOM": command not allowed …`.)
            Err(LogError::Refused { message, .. })
                if message.trim_start_matches('"').starts_with("OOM") =>
            {
                tracing::warn!(
                    answer = %message,
                    "Redis is at its memory limit (maxmemory): writes are answered 503 until it has room"
                );
                Ok(())
            }
            Err(LogError::Refused { url, message, .. }) => Err(LogError::Refused {
                url,
                command: "XADD",
                message: format!(
                    "{message} (this node appends its writes to the stream: point --log at the \
                     primary, as a user allowed to XADD to `{stream}`)"
                ),
            }),
            Err(e) => Err(e),
            Ok(answer) => Err(LogError::Unreadable {
                what: "the answer to XADD at 0-0".into(),
                message: format!("{answer:?} where Redis refuses that id"),
            }),
        }
    }

    /// Asks Redis whether it answers commands (`PING`).
    pub fn ping(&mut self) -> Result<(), LogError> {
        self.ping_within(self.timeout)
    }

    /// [`ping`](Self::ping) waiting at most `timeout` (at most the request timeout) for the connection
    /// and the answer.
    fn ping_within(&mut self, timeout: Duration) -> Result<(), LogError> {
        self.run("PING", timeout.min(self.timeout), |con| {
            redis::cmd("PING").query::<String>(con)
        })
        .map(drop)
    }

    /// How many replicas Redis has attached (`connected_slaves` of `INFO replication`), `None` where
    /// Redis does not say.
    pub fn connected_replicas(&mut self) -> Result<Option<u64>, LogError> {
        let answer = self.run("INFO", self.timeout, |con| {
            redis::cmd("INFO").arg("replication").query::<String>(con)
        });
        match answer {
            Ok(text) => Ok(text.lines().find_map(|line| {
                line.strip_prefix("connected_slaves:")
                    .and_then(|n| n.trim().parse().ok())
            })),
            Err(LogError::Refused { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Records the settings unless some are recorded already; whether these were recorded.
    pub fn record_settings(&mut self, text: &str) -> Result<bool, LogError> {
        let key = self.settings_key.clone();
        let set: Option<String> = self.run("SET", self.timeout, |con| {
            redis::cmd("SET").arg(&key).arg(text).arg("NX").query(con)
        })?;
        Ok(set.is_some())
    }
}

/// Counts a connection just made: a reconnect when one of its kind was made before.
fn note_connection(connected_once: &mut bool, reconnects: &mut u64) {
    if *connected_once {
        *reconnects += 1;
    }
    *connected_once = true;
}

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(b) => String::from_utf8(b.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        _ => None,
    }
}

fn as_int(value: &Value) -> Option<i64> {
    match value {
        Value::Int(n) => Some(*n),
        other => as_text(other).and_then(|t| t.parse().ok()),
    }
}

/// Whether `e` is a read or write past its time, which the system says as "Resource temporarily
/// unavailable" (EAGAIN): a message says what it means instead.
fn timed_out(e: &redis::RedisError) -> bool {
    e.is_timeout()
        || std::error::Error::source(e)
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .is_some_and(|io| io.kind() == std::io::ErrorKind::WouldBlock)
        || e.to_string().contains("(os error 11)")
}

/// The items of an array, or the keys and values of a map in turn.
fn items(value: &Value) -> Option<Vec<&Value>> {
    match value {
        Value::Array(items) | Value::Set(items) => Some(items.iter().collect()),
        Value::Map(pairs) => Some(pairs.iter().flat_map(|(k, v)| [k, v]).collect()),
        _ => None,
    }
}

/// A list of entries, `[[id, [field, value, …]], …]` (XRANGE's answer; XREAD's is read by
/// [`StreamReader`]).
fn parse_entries(entries: &Value) -> Result<Vec<(Position, Fields)>, String> {
    let mut out = Vec::new();
    for entry in items(entries).ok_or("entries are not an array")? {
        let parts = items(entry).ok_or("an entry is not an array")?;
        let [id, fields] = parts[..] else {
            return Err("an entry is not [id, fields]".into());
        };
        let position = as_text(id)
            .and_then(|t| Position::parse(&t))
            .ok_or("an entry id is unreadable")?;
        let flat = items(fields).ok_or("entry fields are not an array")?;
        let mut fields = Vec::with_capacity(flat.len() / 2);
        for pair in flat.chunks(2) {
            let [name, value] = pair else {
                return Err("entry fields do not pair up".into());
            };
            let name = as_text(name).ok_or("a field name is not text")?;
            let value = match value {
                Value::BulkString(b) => b.clone(),
                other => as_text(other)
                    .ok_or("a field value is not a string")?
                    .into_bytes(),
            };
            fields.push((name, value));
        }
        out.push((position, fields));
    }
    Ok(out)
}

/// XINFO STREAM's answer: alternating names and values.
fn parse_info(value: &Value) -> Result<StreamInfo, String> {
    let flat = items(value).ok_or("not an array")?;
    let mut info = StreamInfo::default();
    for pair in flat.chunks(2) {
        let [name, value] = pair else { break };
        let Some(name) = as_text(name) else { continue };
        let position = || {
            as_text(value)
                .and_then(|t| Position::parse(&t))
                .ok_or_else(|| format!("`{name}` is unreadable"))
        };
        match name.as_str() {
            "length" => info.length = as_int(value).unwrap_or(0) as u64,
            "entries-added" => info.entries_added = as_int(value).unwrap_or(0) as u64,
            "last-generated-id" => info.last_generated = position()?,
            "max-deleted-entry-id" => info.max_deleted = position()?,
            "recorded-first-entry-id" => info.first = position()?,
            _ => {}
        }
    }
    Ok(info)
}

/// The recorded `story_gap_articles` when it is not set, as logs recorded before it existed read.
const NO_GAP_ARTICLES: &str = "off";

/// The settings every node of a log must share, as `(name, value)` pairs: those a store records (the
/// signature parameters and the threshold) and those chosen per run that decide matches (linkage,
/// window, the story settings, the limits an article is checked against).
pub fn settings_fields(config: &ValidConfig) -> Vec<(&'static str, String)> {
    let mut fields = Recorded::fields(config);
    let s = &config.config;
    fields.push(("linkage", s.linkage.name().to_string()));
    fields.push((
        "window",
        s.window
            .map_or_else(|| "none".to_string(), |w| format!("{w}s")),
    ));
    fields.push(("story_threshold", s.story_threshold.to_string()));
    fields.push(("story_merge", s.story_merge.to_string()));
    fields.push(("story_gap", format!("{}s", s.story_gap)));
    fields.push(("story_span", format!("{}s", s.story_span)));
    fields.push((
        "story_gap_articles",
        s.story_gap_articles
            .map_or_else(|| NO_GAP_ARTICLES.to_string(), |n| n.to_string()),
    ));
    fields.push(("min_shingles", s.min_shingles.to_string()));
    fields.push(("bucket_cap", s.bucket_cap.to_string()));
    fields.push(("max_field_bytes", s.max_field_bytes.to_string()));
    fields
}

/// What a node gives to run with a setting the log records as `value`, for messages: the flag and
/// the value as the flag takes it.
fn to_match(field: &str, value: &str) -> String {
    let Some(flag) = EngineConfig::flag_of(field) else {
        return "it is fixed in this build of storyhash: run the same build on every node".into();
    };
    let given = match field {
        "bands" | "rows" => return "give --threshold (or --bands and --rows) as the log's".into(),
        "use_body" if value == "true" => "title,body".to_string(),
        "use_body" => "title".to_string(),
        "window" | "story_gap_articles" if value == "none" || value == NO_GAP_ARTICLES => {
            return format!("leave {flag} out");
        }
        "window" | "story_gap" | "story_span" => {
            match value.strip_suffix('s').map(str::parse::<u64>) {
                Some(Ok(seconds)) => crate::time::format_duration(seconds),
                _ => value.to_string(),
            }
        }
        _ => value.to_string(),
    };
    format!("give {flag} {given}")
}

/// Reads `name=value` lines.
fn parse_lines(text: &str) -> Result<Vec<(String, String)>, String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            line.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| format!("line `{line}` is not name=value"))
        })
        .collect()
}

/// Fills the settings `config` leaves to the store (`None`) with the ones recorded beside the log, so
/// that a new node takes the log's as a reopened store takes its own. A log without recorded settings
/// leaves `config` as it is. Bands and rows are taken only when neither the threshold nor the signature
/// length is asked for, as when opening a store.
pub fn adopt_settings(log: &LogConfig, config: &mut EngineConfig) -> Result<(), LogError> {
    let mut redis = RedisLog::new(log)?;
    let Some(text) = redis.settings()? else {
        return Ok(());
    };
    let unreadable = |message: String| LogError::Unreadable {
        what: format!("the settings under `{}`", log.settings_key()),
        message,
    };
    let fields = parse_lines(&text).map_err(unreadable)?;
    let recorded = Recorded::from_fields(&fields).map_err(unreadable)?;
    let own_bands = config.threshold.is_some() || config.permutations.is_some();
    config.threshold = config.threshold.or(recorded.threshold);
    config.shingle = config.shingle.or(Some(recorded.params.shingle));
    config.permutations = config.permutations.or(Some(recorded.params.permutations));
    config.use_body = config.use_body.or(Some(recorded.params.use_body));
    config.seed = config.seed.or(Some(recorded.params.seed));
    if !own_bands && config.bands.is_none() {
        config.bands = Some((recorded.params.bands, recorded.params.rows));
    }
    Ok(())
}

/// Waits up to `wait` for Redis to answer: a node is often started together with its Redis, which may
/// not listen yet, or may still be loading its append-only file (it answers `LOADING` until it is done).
/// Any other answer (a wrong password, a refused command) ends the wait at once. Past `wait`, the error
/// says how long it waited and which flag sets that.
pub fn wait_for_redis(log: &LogConfig, wait: Duration) -> Result<(), LogError> {
    let mut redis = RedisLog::new(log)?;
    // A wait too long for the clock to hold (`--log-wait 9999999999w`) is a wait without end.
    let deadline = Instant::now().checked_add(wait);
    let mut pause = Duration::from_millis(100);
    let mut waited = false;
    // Each try within what is left of the wait, a second at least, the first two at most, each after
    // twice the one before, up to the request timeout: a Redis that takes connections but does not
    // answer (stopped, or swapping) would hold a first try of the request timeout, and the wait would
    // be said only after it, while a slow one still gets the time to answer.
    let mut try_for = Duration::from_secs(2);
    loop {
        let left = deadline.map_or(Duration::MAX, |d| {
            d.saturating_duration_since(Instant::now())
        });
        let answered = redis.ping_within(left.clamp(Duration::from_secs(1), try_for));
        try_for = try_for.saturating_mul(2);
        match answered {
            Ok(()) => {
                if waited {
                    tracing::info!(url = %redis.url(), "Redis answers");
                }
                return Ok(());
            }
            Err(LogError::Unreachable { url, message }) => {
                let left = deadline.map_or(Duration::MAX, |d| {
                    d.saturating_duration_since(Instant::now())
                });
                if left.is_zero() {
                    let message = if wait.is_zero() {
                        message
                    } else {
                        format!(
                            "{message}; waited {} for it (--log-wait)",
                            crate::time::format_duration(wait.as_secs())
                        )
                    };
                    return Err(LogError::Unreachable { url, message });
                }
                if waited {
                    tracing::debug!(url = %url, error = %message, "Redis does not answer yet");
                } else {
                    tracing::warn!(
                        url = %url,
                        error = %message,
                        wait = %crate::time::format_duration(wait.as_secs()),
                        "waiting for Redis to answer (--log-wait)"
                    );
                    waited = true;
                }
                std::thread::sleep(pause.min(left));
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Checks how Redis keeps the log before a node starts on it: refuses a Redis that will not take the
/// node's appends, or that keeps no append-only file when no replica holds the entries either, and warns
/// of one that does not write each entry to disk before it answers, that may evict the log at its memory
/// limit, or that has fewer replicas than `--log-replicas` asks for.
pub fn check_redis(log: &LogConfig) -> Result<(), LogError> {
    let mut redis = RedisLog::new(log)?;
    redis.check_writable()?;
    check_persistence(&mut redis, log)?;
    check_eviction(&mut redis)?;
    check_clock(&mut redis)?;
    check_replicas(&mut redis, log)
}

/// Warns of a node whose clock is more than a minute from Redis's: the log's entries, and its trims,
/// go by Redis's clock, but an article without a `published` time takes its arrival by the node's.
fn check_clock(redis: &mut RedisLog) -> Result<(), LogError> {
    let asked = std::time::SystemTime::now();
    let Some(redis_ms) = redis.clock_ms()? else {
        return Ok(());
    };
    let answered = std::time::SystemTime::now();
    let since_epoch = |t: std::time::SystemTime| {
        t.duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    };
    // The middle of the round trip, when Redis read its clock.
    let node_ms = (since_epoch(asked) + since_epoch(answered)) / 2;
    let ahead_ms = node_ms - redis_ms as i64;
    if ahead_ms.abs() > 60_000 {
        tracing::warn!(
            url = %redis.url(),
            node_ahead_seconds = ahead_ms / 1000,
            "this node's clock is more than a minute from Redis's: the log and its trims go by \
             Redis's, but an article without a `published` time takes its arrival by this node's, \
             so its story and prunes go by a wrong time; set the clocks (NTP)"
        );
    }
    Ok(())
}

/// Warns of a Redis that may evict any key when it reaches its memory limit (an `allkeys-*` policy with
/// `maxmemory` set): evicting the stream or its settings loses the log, and stops every node.
fn check_eviction(redis: &mut RedisLog) -> Result<(), LogError> {
    if let (Some(limit), Some(policy)) = redis.eviction()? {
        if limit != "0" && policy.starts_with("allkeys") {
            tracing::warn!(
                url = %redis.url(),
                maxmemory = %limit,
                policy = %policy,
                "Redis may evict the log when it reaches maxmemory, which loses it and stops every \
                 node: run it with maxmemory-policy noeviction (writes then get 503 when it is full)"
            );
        }
    }
    Ok(())
}

/// Refuses a Redis that keeps no append-only file when no replica holds the entries either (a restart
/// of Redis would empty the log, and every node would then refuse to go on), and warns of one that
/// does not write each entry to disk before it answers (`appendfsync` other than `always`).
fn check_persistence(redis: &mut RedisLog, log: &LogConfig) -> Result<(), LogError> {
    let (append_only, fsync) = redis.persistence()?;
    let url = redis.url().to_string();
    match (append_only.as_deref(), fsync.as_deref()) {
        (Some("no"), _) if log.replicas == 0 => Err(LogError::Unjoinable {
            stream: log.stream.clone(),
            url: url.clone(),
            reason: "Redis runs with appendonly no, so a restart of Redis empties the log and the \
                     writes nodes answered are gone from it; run it with appendonly yes and \
                     appendfsync always (redis-cli CONFIG SET appendonly yes, CONFIG SET appendfsync \
                     always, and the same in redis.conf), or give --log-replicas"
                .into(),
        }),
        (Some("yes"), Some("always")) => Ok(()),
        (None, _) | (_, None) => {
            tracing::warn!(
                url = %url,
                "Redis does not say how it keeps the log (CONFIG GET refused): it needs appendonly yes \
                 and appendfsync always for every answered write to survive a crash of Redis"
            );
            Ok(())
        }
        (Some(append_only), Some(fsync)) => {
            tracing::warn!(
                url = %url,
                appendonly = append_only,
                appendfsync = fsync,
                "Redis does not write each entry to disk before it answers: a crash of Redis can lose \
                 the latest answered writes from the log (appendfsync always keeps them)"
            );
            Ok(())
        }
    }
}

/// Warns when Redis has fewer replicas attached than `--log-replicas` asks for: every write then gets
/// 503 until they attach.
fn check_replicas(redis: &mut RedisLog, log: &LogConfig) -> Result<(), LogError> {
    if log.replicas == 0 {
        return Ok(());
    }
    if let Some(attached) = redis.connected_replicas()? {
        if attached < u64::from(log.replicas) {
            tracing::warn!(
                url = %redis.url(),
                attached,
                asked = log.replicas,
                "Redis has fewer replicas attached than --log-replicas asks for: every write gets 503 \
                 until they attach"
            );
        }
    }
    Ok(())
}

/// Where a node stands in the log once [`join`] accepted it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Joined {
    /// The log's identity, made when its settings were first recorded.
    pub log_id: String,
    /// The last entry the store holds the records of ([`Position::START`] for a new store).
    pub position: Position,
    /// How many entries the store has applied (or skipped) since the log began.
    pub ordinal: u64,
    /// The newest entry when the node joined: it is ready once it has applied this far.
    pub head: Position,
}

impl Joined {
    /// The text the store keeps as its log position: `LOG_ID POSITION ORDINAL`.
    pub fn stored(log_id: &str, position: Position, ordinal: u64) -> String {
        format!("{log_id} {position} {ordinal}")
    }

    /// Whether the store has applied nothing of the log yet: a new store's place in it.
    pub fn is_start(&self) -> bool {
        self.position == Position::START && self.ordinal == 0
    }
}

/// A fresh log identity: unlikely to repeat across logs and restarts.
pub(crate) fn unique_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let local = 0u8;
    let seed = format!(
        "{nanos} {} {:p}",
        std::process::id(),
        std::ptr::addr_of!(local)
    );
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(seed.as_bytes()))
}

/// A store's log position as [`Joined::stored`] writes it: the log's id, the position and the count of
/// entries applied; `None` for any other text.
fn parse_stored(stored: &str) -> Option<(&str, Position, u64)> {
    let mut parts = stored.split(' ');
    match (
        parts.next(),
        parts.next().and_then(Position::parse),
        parts.next().and_then(|n| n.parse::<u64>().ok()),
        parts.next(),
    ) {
        (Some(log), Some(position), Some(ordinal), None) => Some((log, position, ordinal)),
        _ => None,
    }
}

/// Checks that a node may follow the log with the store `locked`: records this node's settings beside
/// the log when none are recorded yet, else refuses settings that differ (naming the first); then
/// checks that the store either is new, or joined a log and applied nothing of it yet (and the log
/// was never trimmed, so that replaying it from the start rebuilds everything), or last applied an
/// entry of this same log that is still there, or followed by entries that are. Returns where the
/// node resumes.
pub fn join(log: &LogConfig, locked: &LockedStore) -> Result<Joined, LogError> {
    let mut redis = RedisLog::new(log)?;
    let ours = settings_fields(locked.config());
    let key = log.settings_key();
    let unreadable = |message: String| LogError::Unreadable {
        what: format!("the settings under `{key}`"),
        message,
    };
    let url = redis.url().to_string();
    let unjoinable = |reason: String| LogError::Unjoinable {
        stream: log.stream.clone(),
        url: url.clone(),
        reason,
    };
    // A store with articles but no log position took them from elsewhere: a log cannot continue it.
    let not_from_log = || {
        unjoinable(
            "the store holds articles that were not applied from this log; start the node with an \
             empty store (it replays the log) or a copy of another node's store; to bring its articles \
             into the log, post them to a node (POST /v1/articles)"
                .into(),
        )
    };
    let position = locked.log_position()?;
    // A store that joined a log and applied nothing of it: empty, as a new store is, but bound to the
    // log it joined, so that a mistyped stream at its restart does not begin another log.
    let joined_only = match position.as_deref().map(parse_stored) {
        Some(Some((log, Position::START, 0))) if locked.is_empty()? => Some(log.to_owned()),
        _ => None,
    };
    if position.as_deref() == Some(crate::engine::LEFT_LOG) {
        return Err(unjoinable(
            "the store was written outside the log after it followed it (served without --log, or \
             written by dedupe --db, ingest or Python), so it holds writes the log does not; start the \
             node with an empty store (it replays the log) or a copy of another node's store"
                .into(),
        ));
    }
    let text = match redis.settings()? {
        Some(text) => text,
        None => {
            // A log without settings is new, or its Redis lost its data. A store that followed a log,
            // or holds articles, cannot follow it; it is refused before this node's settings become
            // the log's.
            if let Some(log) = &joined_only {
                return Err(unjoinable(format!(
                    "the store joined a log (id {log}) and has applied nothing of it yet, but Redis \
                     at {} holds no settings under `{key}`: --log-stream or the URL's /DB names \
                     another log than the one it joined (or Redis lost its data). Give the URL and \
                     stream it joined, or any log that exists; to begin a new log, start the node \
                     with a new store",
                    redis.url()
                )));
            }
            if let Some(stored) = &position {
                let followed = stored.split(' ').next().unwrap_or_default().to_string();
                return Err(unjoinable(format!(
                    "the store followed a log (id {followed}), but Redis at {} holds no settings under \
                     `{key}`: Redis lost its data (restarted without its append-only file?), or \
                     --log-stream or the URL's /DB names another log. Give the URL and stream the \
                     store followed; if that log is gone, start every node with an empty store to begin \
                     a new one",
                    redis.url()
                )));
            }
            if !locked.is_empty()? {
                return Err(not_from_log());
            }
            // Entries are appended only under recorded settings: a stream that holds entries without
            // them is what is left of a log Redis lost (writes appended after it lost its data, before a
            // node found the loss, or settings evicted), unless another node recorded settings just now.
            let held = redis.info()?;
            if held.entries_added > 0 || held.length > 0 {
                match redis.settings()? {
                    Some(text) => text,
                    None => {
                        return Err(unjoinable(format!(
                            "the stream {} but Redis holds no settings under `{key}`: it is left \
                             from a log whose settings Redis lost (writes nodes appended after it lost \
                             its data, or the settings evicted), and a new log must not begin \
                             on it. Delete the stream (`DEL {}`) to begin a new log",
                            match held.length {
                                0 => format!("took {} entries (trimmed since)", held.entries_added),
                                1 => "holds 1 entry".to_owned(),
                                n => format!("holds {n} entries"),
                            },
                            log.stream
                        )))
                    }
                }
            } else {
                let mut text = format!("format={ENTRY_FORMAT}\nlog_id={}\n", unique_id());
                for (name, value) in &ours {
                    text.push_str(&format!("{name}={value}\n"));
                }
                if redis.record_settings(&text)? {
                    text
                } else {
                    // Another node recorded them first.
                    redis
                        .settings()?
                        .ok_or_else(|| unreadable("recorded and gone at once".into()))?
                }
            }
        }
    };
    let recorded = parse_lines(&text).map_err(unreadable)?;
    let get = |name: &str| {
        recorded
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let format: u32 = get("format")
        .and_then(|f| f.parse().ok())
        .ok_or_else(|| unreadable("field `format` is missing".into()))?;
    if format > ENTRY_FORMAT {
        return Err(LogError::Unjoinable {
            stream: log.stream.clone(),
            url: redis.url().to_string(),
            reason: format!(
                "it was made by a newer storyhash (entry format {format}; this one writes {ENTRY_FORMAT})"
            ),
        });
    }
    let log_id = get("log_id")
        .ok_or_else(|| unreadable("field `log_id` is missing".into()))?
        .to_string();
    // Which log the store followed comes before the settings: a store of another log, or of none,
    // differs in its settings too, and naming one of them would send the user after a flag.
    let followed = match &position {
        None if !locked.is_empty()? => return Err(not_from_log()),
        None => None,
        // Joined and applied nothing: it joins this log (another existing one too) as a new store does.
        Some(_) if joined_only.is_some() => None,
        Some(stored) => {
            let Some((their_log, position, ordinal)) = parse_stored(stored) else {
                return Err(LogError::Unreadable {
                    what: "the store's log position".into(),
                    message: format!("`{stored}` is not `LOG_ID POSITION COUNT`"),
                });
            };
            if their_log != log_id {
                return Err(unjoinable(format!(
                    "the store followed another log (id {their_log}; this one is {log_id}); start the \
                     node with an empty store or a copy of a store of this log"
                )));
            }
            Some((position, ordinal))
        }
    };
    // The threshold first: bands and rows derived from another threshold differ too, and the threshold
    // is what the user set.
    let mut compared: Vec<&(&'static str, String)> = ours.iter().collect();
    compared.sort_by_key(|(name, _)| *name != "threshold");
    for (name, value) in compared {
        let theirs = get(name).unwrap_or(match *name {
            "story_gap_articles" => NO_GAP_ARTICLES,
            _ => "(not recorded)",
        });
        if theirs != value {
            return Err(LogError::Mismatch {
                stream: log.stream.clone(),
                field: name.to_string(),
                log: theirs.to_string(),
                node: value.clone(),
                hint: to_match(name, theirs),
            });
        }
    }
    let info = redis.info()?;
    let Some((position, ordinal)) = followed else {
        if info.trimmed() > 0 || info.max_deleted > Position::START {
            return Err(unjoinable(format!(
                "its {} oldest entries were trimmed, so replaying it cannot rebuild the state; start the \
                 node with a copy of another node's store (taken while that node is stopped)",
                info.trimmed()
            )));
        }
        return Ok(Joined {
            log_id,
            position: Position::START,
            ordinal: 0,
            head: info.last_generated,
        });
    };
    if let Some(reason) = redis.cannot_follow(position, ordinal)? {
        return Err(unjoinable(reason));
    }
    Ok(Joined {
        log_id,
        position,
        ordinal,
        head: info.last_generated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_back_as_written() {
        let articles = vec![
            Article::new("a1", "Storm \"hits\" the coast\n").with_published("1394469125"),
            Article::new("a2", "Ölpreis steigt")
                .with_source("Reuters")
                .with_body("b")
                .with_url("https://example.com/x"),
        ];
        for entry in [
            Entry::Articles {
                key: "k1".into(),
                at: 1_700_000_000,
                articles: articles.into_iter().map(Article::into_owned).collect(),
            },
            Entry::Delete {
                key: "k2".into(),
                at: -5,
                id: "a1".into(),
            },
            Entry::Prune {
                key: "k3".into(),
                at: 7,
                before: 1_600_000_000,
            },
        ] {
            let fields: Fields = entry
                .fields()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            assert_eq!(Entry::decode(&fields).unwrap(), entry);
        }
    }

    #[test]
    fn unreadable_entries_say_why_and_newer_ones_are_told_apart() {
        let fields = |pairs: &[(&str, &str)]| -> Fields {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
                .collect()
        };
        let newer = fields(&[("v", "2"), ("kind", "merge"), ("key", "k"), ("at", "1")]);
        assert_eq!(Entry::decode(&newer), Err(EntryError::Newer(2)));
        let odd = fields(&[("v", "1"), ("kind", "merge"), ("key", "k"), ("at", "1")]);
        assert!(
            matches!(Entry::decode(&odd), Err(EntryError::Malformed(m)) if m.contains("merge"))
        );
        let bad = fields(&[
            ("v", "1"),
            ("kind", "articles"),
            ("key", "k"),
            ("at", "1"),
            ("articles", r#"[{"id":"a","title":7}]"#),
        ]);
        assert!(
            matches!(Entry::decode(&bad), Err(EntryError::Malformed(m)) if m.contains("[0]")),
            "{:?}",
            Entry::decode(&bad)
        );
        let missing = fields(&[("v", "1"), ("kind", "prune"), ("key", "k"), ("at", "1")]);
        assert!(
            matches!(Entry::decode(&missing), Err(EntryError::Malformed(m)) if m.contains("before"))
        );
    }

    #[test]
    fn positions_order_as_redis_orders_entry_ids() {
        let p = |t| Position::parse(t).unwrap();
        assert!(p("1700000000000-0") < p("1700000000000-1"));
        assert!(p("1700000000000-9") < p("1700000000001-0"));
        assert_eq!(p("5-3").to_string(), "5-3");
        assert_eq!(Position::parse("5"), None);
        assert_eq!(Position::parse("x-1"), None);
    }

    #[test]
    fn stream_answers_parse() {
        let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        let range = Value::Array(vec![Value::Array(vec![
            bulk("5-1"),
            Value::Array(vec![bulk("v"), bulk("1"), bulk("kind"), bulk("delete")]),
        ])]);
        let entries = parse_entries(&range).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].0, Position { ms: 5, seq: 1 });
        assert_eq!(entries[0].1[1], ("kind".to_string(), b"delete".to_vec()));
        let info = Value::Array(vec![
            bulk("length"),
            Value::Int(3),
            bulk("last-generated-id"),
            bulk("9-0"),
            bulk("max-deleted-entry-id"),
            bulk("2-0"),
            bulk("entries-added"),
            Value::Int(5),
            bulk("first-entry"),
            Value::Nil,
        ]);
        let info = parse_info(&info).unwrap();
        assert_eq!(
            (
                info.length,
                info.entries_added,
                info.last_generated,
                info.max_deleted
            ),
            (3, 5, Position { ms: 9, seq: 0 }, Position { ms: 2, seq: 0 })
        );
    }

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            shown_url("redis://user:secret@10.0.0.1:6379/2"),
            "redis://…@10.0.0.1:6379/2"
        );
        assert_eq!(
            shown_url("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
        // The port the client takes when the URL gives none.
        assert_eq!(shown_url("redis://127.0.0.1"), "redis://127.0.0.1:6379");
        assert_eq!(
            shown_url("redis://:pw@cache.internal/3"),
            "redis://…@cache.internal:6379/3"
        );
        assert_eq!(shown_url("redis://[::1]/0"), "redis://[::1]:6379/0");
        assert_eq!(shown_url("redis://[::1]:7000"), "redis://[::1]:7000");
        assert_eq!(
            shown_url("redis://10.0.0.1/2?password=secret"),
            "redis://10.0.0.1:6379/2?…"
        );
        assert_eq!(
            shown_url("redis://10.0.0.1#secret"),
            "redis://10.0.0.1:6379#…"
        );
        // An `@` in the query is not the end of a user's name.
        assert_eq!(shown_url("redis://u@h/0?x=a@b"), "redis://…@h:6379/0?…");
    }

    #[test]
    fn a_url_with_a_query_or_fragment_is_refused_not_read_in_part() {
        for url in [
            "redis://127.0.0.1:6391?foo=1",
            "redis://127.0.0.1:6391/2?password=secret",
            "redis://127.0.0.1:6391#x",
        ] {
            let Err(e) = RedisLog::new(&LogConfig::new(url)) else {
                panic!("{url} taken");
            };
            let e = e.to_string();
            assert!(e.contains("is not read; leave it out"), "{e}");
            assert!(!e.contains("secret") && !e.contains("foo"), "{e}");
        }
        assert!(RedisLog::new(&LogConfig::new("redis://127.0.0.1:6391/2")).is_ok());
    }
}
