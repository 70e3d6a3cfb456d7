//! `storyhash serve`: parses the daemon's flags, sets up logging, binds the listener, takes the store
//! (refusing at once one that another process holds or that was written with other parameters), prints
//! the address it listens on as its first line of standard output — so that scripts (and tests) can bind
//! port 0 and know the daemon will serve — and hands over to [`storyhash::server::serve`] with a shutdown
//! signal that fires on SIGINT or SIGTERM. With `--log`, it first takes the settings recorded beside the
//! shared log and checks that the store can follow that log, refusing before it listens when it cannot.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use clap::builder::TypedValueParser;
use clap::{Args, ValueEnum};

use storyhash::server::{self, Limits, ServerConfig};

use super::{BadInput, FieldArgs, MatchArgs};

/// Flags of `storyhash serve`.
#[derive(Args, Debug)]
#[command(after_help = concat!("\
Examples:
  storyhash serve --db news.db
  storyhash serve --db news.db --listen 0.0.0.0:7700 --token-file token.txt --window 7d --log-format json
  storyhash serve --db node1.db --listen 0.0.0.0:7700 --log redis://10.0.0.5:6379 --log-replicas 1
  storyhash serve --db news.db --id-field url --body-field description   # a crawler's own keys
  curl -s localhost:7700/v1/articles -d '{\"id\":\"r1\",\"title\":\"ECB unlikely to end sterilisation of SMP purchases\"}'

Exit status:
  0  stopped by SIGINT or SIGTERM after committing and flushing what it had accepted (with --log, a
     write still waiting on a Redis that does not answer a second after the signal gets 503)
  1  the address cannot be bound, the token file cannot be read, the store cannot be opened (held
     by another process for 3 s, read-only) or written, Redis cannot be reached (--log) or runs
     without its append-only file and no --log-replicas, or the store cannot follow the shared log (it
     holds articles not from the log, follows another log, or the log was trimmed past it)
  2  a bad flag, an empty token file, or a matching flag that contradicts what the store was created
     with (leave them out: the store's own are taken) or, with --log, the settings of the shared log
  130, 143  (as a shell reports a process a signal ended) a SIGINT or SIGTERM while it waits to start (for
     a store another process holds, or for Redis), or a second one, which ends it at once by itself, the
     requests still in flight unanswered"))]
pub struct ServeArgs {
    /// Store directory: created if missing (its parent must exist); an existing one is empty or a
    /// store's (one holding other files is refused).
    #[arg(long, value_name = "DIR")]
    db: PathBuf,

    /// Address to listen on: an IP address or a host name (`localhost:7700`) and a port. Loopback by
    /// default; 0.0.0.0 listens on every interface; port 0 picks a free port (printed at start).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7700", value_parser = listen_address)]
    listen: SocketAddr,

    /// File holding the bearer token that write routes (POST /v1/articles, DELETE, POST /v1/prune)
    /// require; without it they are open to anyone who can connect.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,

    /// Largest request body, in bytes (suffixes K, M, G allowed).
    #[arg(long, value_name = "BYTES", default_value = "16M", value_parser = parse_bytes)]
    max_body: usize,

    /// Most articles in one request.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_batch,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000).map(|n| n as usize))]
    max_batch: usize,

    /// Longest accepted field (title, body, id, ...), in bytes (suffixes K, M, G allowed).
    #[arg(long, value_name = "BYTES", default_value = "1M", value_parser = parse_bytes)]
    max_field: usize,

    /// Most articles waiting to be committed; writes beyond it are answered 503 with Retry-After (a
    /// request larger than the whole queue goes through when the queue is empty).
    #[arg(long, value_name = "N", default_value_t = Limits::default().queue_articles,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    queue: usize,

    /// Most open connections; one more waits to be accepted until another closes (an idle one is closed
    /// after --request-timeout). The daemon raises its open-files limit to fit them (up to the hard
    /// limit, `ulimit -Hn`) and warns when that is too low.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_connections,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    max_connections: usize,

    /// Time a client gets to send its request headers, and again its body (seconds, or a duration
    /// such as 30s or 2m); an answer it reads nothing of for as long closes its connection. From 1 s
    /// to a day.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = request_timeout)]
    request_timeout: u64,

    /// Keep this much news (e.g. 30d; units s, min, h, d, w, at least a minute; `6m` is refused as six
    /// months meant): articles older than it (by publication time, else arrival) are
    /// pruned as the daemon runs, once the store is open and then every twenty-fourth of it (a minute
    /// to an hour apart), as POST /v1/prune would; with --log, give it to one node (its prunes reach every
    /// node through the log). Default: keep all.
    #[arg(long, value_name = "DURATION", value_parser = storyhash::time::parse_prune_age)]
    retain: Option<u64>,

    /// Log format on standard error.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,

    /// Least severe log level shown: error, warn, info, debug or trace (debug logs every request).
    #[arg(long, value_name = "LEVEL", default_value = "info")]
    log_level: tracing::Level,

    /// Run as one of several nodes that share an ordered log in Redis: redis://HOST:PORT[/DB]. Every
    /// write is appended to the log and applied by every node in log order, so all nodes answer alike;
    /// reads answer from this node's store. Redis needs `appendonly yes` (a node refuses a Redis without
    /// it, unless --log-replicas is given) and should have `appendfsync always` (a node starts with a
    /// warning otherwise).
    #[cfg(feature = "redis-log")]
    #[arg(long, value_name = "URL", help_heading = "Multi-node")]
    log: Option<String>,

    /// Name of the Redis Stream that holds the shared log (its settings are kept under NAME:settings).
    #[cfg(feature = "redis-log")]
    #[arg(
        long,
        value_name = "NAME",
        default_value = "storyhash",
        requires = "log",
        help_heading = "Multi-node"
    )]
    log_stream: String,

    /// Redis replicas that must hold a write before it is answered (Redis WAIT), for deployments that
    /// must survive a Redis failover. 0 waits for none.
    #[cfg(feature = "redis-log")]
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        requires = "log",
        help_heading = "Multi-node"
    )]
    log_replicas: u32,

    /// Trim log entries older than this (e.g. 7d; at least 1h) as new ones are appended, by Redis's
    /// clock. A node stopped for longer, and every new node, must then start from a copy of another
    /// node's store. Default: keep all.
    #[cfg(feature = "redis-log")]
    #[arg(long, value_name = "DURATION", requires = "log", help_heading = "Multi-node",
          value_parser = retention)]
    log_retain: Option<u64>,

    /// How long a starting node waits for Redis to answer (it may be starting with the node, or
    /// loading its append-only file) before it gives up; 0s gives up at once. A Redis that refuses the
    /// node (a wrong password or database number) is not waited for.
    #[cfg(feature = "redis-log")]
    #[arg(long, value_name = "DURATION", default_value = "30s", requires = "log",
          help_heading = "Multi-node", value_parser = wait_time)]
    log_wait: u64,

    #[command(flatten)]
    matching: MatchArgs,

    #[command(flatten)]
    fields: FieldArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Parses a byte count such as `16M`, `512K` or `1048576`.
fn parse_bytes(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let (digits, scale) = match t.char_indices().last() {
        Some((i, 'K' | 'k')) => (&t[..i], 1usize << 10),
        Some((i, 'M' | 'm')) => (&t[..i], 1 << 20),
        Some((i, 'G' | 'g')) => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    let bytes = digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("`{text}` is not a byte count (such as 16M, 512K or 1048576)"))?;
    if bytes == 0 {
        return Err(format!("`{text}` is no bytes at all; give at least 1"));
    }
    Ok(bytes)
}

/// Logs to standard error. A line that cannot be written (a log collector that went away, a full disk
/// under a log file) is dropped: the subscriber's own report of it goes to standard error too, with
/// `eprintln!`, which panics where that fails, and a panic there would take down the task or the request
/// that logged (the retention task, with its next prune).
fn init_logging(format: LogFormat, level: tracing::Level) {
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .log_internal_errors(false)
        .with_max_level(level)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Runs `storyhash serve`. Whatever ends the daemon with an error (a refusal to start, a port in use, an
/// unreadable token file) ends the process with its message on standard error; JSON logs also get it as
/// a record of their own, so that a collector that parses each line sees why the daemon stopped (a text
/// log would only say it twice).
pub fn run(args: ServeArgs) -> Result<()> {
    init_logging(args.log_format, args.log_level);
    let json_logs = matches!(args.log_format, LogFormat::Json);
    let outcome = start_and_serve(args);
    if let (Err(e), true) = (&outcome, json_logs) {
        tracing::error!(error = %format!("{e:#}"), "stopping");
    }
    outcome
}

/// Open files the daemon needs beside its connections: the store's, the shared log's connections, the
/// runtime's and standard streams.
const FILES_BESIDE_CONNECTIONS: u64 = 256;

/// Raises the process's soft limit of open files (up to its hard limit) so that `max_connections`
/// connections fit beside the daemon's other files, and warns when they still do not: a connection
/// past the limit is not accepted until another closes, and the accept loop logs each failure.
fn make_room_for_connections(max_connections: usize) {
    let wanted = (max_connections as u64).saturating_add(FILES_BESIDE_CONNECTIONS);
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return;
    }
    if limit.rlim_cur < wanted && limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: wanted.min(limit.rlim_max),
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit reads the struct it is given; a soft limit up to the hard one is allowed.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit.rlim_cur = raised.rlim_cur;
        }
    }
    if limit.rlim_cur < wanted {
        tracing::warn!(
            open_files = limit.rlim_cur,
            max_connections,
            "the open-files limit leaves no room for --max-connections connections beside the \
             daemon's other files: connections past it wait to be accepted until others close \
             (raise the hard limit, `ulimit -Hn`, or lower --max-connections)"
        );
    }
}

/// Starts the daemon and serves until a signal stops it.
fn start_and_serve(args: ServeArgs) -> Result<()> {
    let token = match &args.token_file {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the token file {}", path.display()))?;
            let token = text.trim().to_string();
            if token.is_empty() {
                return Err(anyhow!(BadInput(format!(
                    "the token file {} is empty",
                    path.display()
                ))));
            }
            Some(token)
        }
    };
    let mut engine = args.matching.engine_config();
    engine.max_field_bytes = args.max_field;
    engine
        .validate()
        .map_err(|e| anyhow!(BadInput(super::in_flags(&storyhash::Error::Config(e)))))?;
    let matching = args.matching;
    let timeout = Duration::from_secs(args.request_timeout);
    #[cfg(feature = "redis-log")]
    let log = match args.log {
        None => None,
        Some(url) => {
            let log = server::redis_log::LogConfig {
                url,
                stream: args.log_stream,
                replicas: args.log_replicas,
                retain: args.log_retain.map(Duration::from_secs),
                timeout,
            };
            if log.stream.is_empty() {
                return Err(anyhow!(BadInput("--log-stream: the name is empty".into())));
            }
            if let Err(e) = server::redis_log::RedisLog::new(&log) {
                return Err(anyhow!(BadInput(format!("--log: {e}"))));
            }
            Some(log)
        }
    };
    make_room_for_connections(args.max_connections);
    let config = ServerConfig {
        db: args.db,
        engine,
        token,
        limits: Limits {
            max_body_bytes: args.max_body,
            max_batch: args.max_batch,
            queue_articles: args.queue,
            max_connections: args.max_connections,
            header_timeout: timeout,
            body_timeout: timeout,
            answer_timeout: timeout,
            ..Limits::default()
        },
        fields: args.fields.names()?,
        retain: args.retain.map(std::time::Duration::from_secs),
        #[cfg(feature = "redis-log")]
        log: log.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("storyhash-http")
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let local = listener.local_addr()?;
        let (db, asked) = (config.db.clone(), config.engine.clone());
        #[cfg(not(feature = "redis-log"))]
        let locked = answering_starting(
            &listener,
            tokio::task::spawn_blocking(move || storyhash::Engine::lock_store(&db, asked)),
            false,
        )
        .await
        .context("cannot open the store")?
        .map_err(|e| matching.open_error(e))?;
        #[cfg(feature = "redis-log")]
        let (wait, joining_log) = (Duration::from_secs(args.log_wait), log.is_some());
        #[cfg(feature = "redis-log")]
        let locked = answering_starting(
            &listener,
            tokio::task::spawn_blocking(move || lock_and_join(&db, asked, log.as_ref(), wait)),
            joining_log,
        )
        .await
        .context("cannot open the store")?
        .map_err(|e| match e {
            Refusal::Store(e) => matching.open_error(e),
            Refusal::Log(e) => match e {
                server::redis_log::LogError::Mismatch { .. } => {
                    anyhow!(BadInput(e.to_string()))
                }
                // Which store, beside the log the error names.
                server::redis_log::LogError::Unjoinable { .. } => {
                    anyhow!(e).context(config.db.display().to_string())
                }
                other => anyhow!(other),
            },
        })?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening on {local}")?;
            out.flush()?;
        }
        tracing::info!(address = %local, db = %config.db.display(), "listening");
        let stopped = server::serve(listener, config, locked, shutdown_signal())
            .await
            .map_err(|e| matching.open_error(e))?;
        // Everything is durable: the process exits without freeing the index and the store's caches one
        // by one (seconds for a million articles); the system takes the memory and the store's lock back.
        std::mem::forget(stopped);
        Ok(())
    })
}

/// Waits for `starting` (the store locked, the shared log joined: up to --log-wait) while answering
/// every connection as [`starting_answer`] says (`/healthz` 200, the rest 503), so that a probe is told
/// at once that the daemon is starting rather than left waiting on a port that takes no request. The
/// daemon says it listens only once started.
async fn answering_starting<T>(
    listener: &tokio::net::TcpListener,
    starting: tokio::task::JoinHandle<T>,
    joining_log: bool,
) -> Result<T, tokio::task::JoinError> {
    tokio::pin!(starting);
    loop {
        tokio::select! {
            started = &mut starting => return started,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(answer_starting(stream, joining_log));
                }
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
        }
    }
}

/// What a client sent from its request line on: the empty lines before it, which HTTP/1.1 lets a server
/// skip, left out.
fn from_request_line(seen: &[u8]) -> &[u8] {
    let start = seen
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n'))
        .unwrap_or(seen.len());
    &seen[start..]
}

/// Whether `seen` holds a request's whole head: its lines end in CRLF or a bare LF (as HTTP/1.1 lets a
/// server read them), after any empty lines before the request line.
fn headers_ended(seen: &[u8]) -> bool {
    let head = from_request_line(seen);
    head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n")
}

/// The answer to a request (`seen`, what it sent of its head) while the daemon starts: `/healthz` 200,
/// the process being alive and bound to end its start one way or the other (a liveness probe must not
/// restart a daemon that waits for its store or the shared log), anything else 503 with `Retry-After`.
/// A `HEAD` gets the head alone.
fn starting_answer(seen: &[u8], joining_log: bool) -> String {
    let request_line = from_request_line(seen)
        .split(|&b| b == b'\r' || b == b'\n')
        .next()
        .unwrap_or_default();
    let mut words = request_line.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let method = words.next().unwrap_or_default();
    let target = words.next().unwrap_or_default();
    // The absolute form a proxy sends (`http://host/healthz`) names the same path.
    let path = match target.windows(3).position(|w| w == b"://") {
        Some(scheme_end) => {
            let authority = &target[scheme_end + 3..];
            authority
                .iter()
                .position(|&b| b == b'/')
                .map_or(&b"/"[..], |slash| &authority[slash..])
        }
        None => target,
    };
    let path = path.split(|&b| b == b'?').next().unwrap_or_default();
    let doing = if joining_log {
        "taking its store and joining the shared log"
    } else {
        "taking its store"
    };
    let (status, retry, body) = if matches!(method, b"GET" | b"HEAD") && path == b"/healthz" {
        (
            "200 OK",
            "",
            format!(r#"{{"status":"starting","doing":"{doing}"}}"#),
        )
    } else {
        (
            "503 Service Unavailable",
            "Retry-After: 1\r\n",
            format!(r#"{{"error":"the daemon is starting: {doing}"}}"#),
        )
    };
    let sent = if method == b"HEAD" { "" } else { body.as_str() };
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{retry}Content-Length: {}\r\n\
         Connection: close\r\n\r\n{sent}",
        body.len()
    )
}

/// Answers one connection while the daemon starts, as [`starting_answer`] says, and closes it. The
/// request is read first (up to the end of its headers, for at most a second), so that closing does not
/// reset the connection before the client read the answer.
async fn answer_starting(stream: tokio::net::TcpStream, joining_log: bool) {
    let mut seen = Vec::new();
    let read_headers = async {
        let mut buf = [0u8; 4096];
        while stream.readable().await.is_ok() {
            match stream.try_read(&mut buf) {
                Ok(0) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(_) => break,
            }
            if headers_ended(&seen) || seen.len() > 65_536 {
                break;
            }
        }
    };
    // A client slower than that is answered on what it sent by then.
    let _ = tokio::time::timeout(Duration::from_secs(1), read_headers).await;
    let answer = starting_answer(&seen, joining_log);
    // Written within a second, or the connection is dropped.
    let write = async {
        let mut left = answer.as_bytes();
        while !left.is_empty() && stream.writable().await.is_ok() {
            match stream.try_write(left) {
                Ok(n) => left = &left[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(_) => break,
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
    if let Ok(stream) = stream.into_std() {
        let _ = stream.shutdown(std::net::Shutdown::Write);
    }
}

/// Why a node cannot start.
#[cfg(feature = "redis-log")]
enum Refusal {
    Store(storyhash::Error),
    Log(server::redis_log::LogError),
}

/// Takes the store; with a shared log, first waits up to `wait` for Redis to answer and takes the
/// settings recorded beside the log for those the flags leave to the store, and afterwards checks that
/// the store can follow the log.
#[cfg(feature = "redis-log")]
fn lock_and_join(
    db: &std::path::Path,
    mut asked: storyhash::EngineConfig,
    log: Option<&server::redis_log::LogConfig>,
    wait: Duration,
) -> Result<storyhash::LockedStore, Refusal> {
    let given = asked.clone();
    if let Some(log) = log {
        server::redis_log::wait_for_redis(log, wait).map_err(Refusal::Log)?;
        server::redis_log::check_redis(log).map_err(Refusal::Log)?;
        server::redis_log::adopt_settings(log, &mut asked).map_err(Refusal::Log)?;
    }
    // A store this start makes is removed again when the log refuses the node, so that the corrected
    // command does not meet a store made with the refused settings.
    let made_store = super::new_store::NewStore::at(db);
    let had_store = made_store.is_none();
    let adopted = asked != given;
    let locked = match storyhash::Engine::lock_store(db, asked) {
        Ok(locked) => locked,
        // The store refused a setting the log gave, not the flags: a store of another log, or of none,
        // which the log refuses by name rather than by a flag the user never gave.
        Err(e @ storyhash::Error::Store(storyhash::StoreError::ParamMismatch { .. }))
            if adopted && had_store =>
        {
            let refusal = log.and_then(|log| {
                let own = storyhash::Engine::lock_store(db, given).ok()?;
                server::redis_log::join(log, &own).err()
            });
            return Err(match refusal {
                Some(why @ server::redis_log::LogError::Unjoinable { .. }) => Refusal::Log(why),
                _ => Refusal::Store(e),
            });
        }
        Err(e) => return Err(Refusal::Store(e)),
    };
    if let Some(log) = log {
        if let Err(e) = server::redis_log::join(log, &locked) {
            // Not one that another process made, and filled, between the look and the lock.
            let still_empty = locked.is_empty().unwrap_or(false);
            drop(locked);
            if let (Some(made), true) = (made_store, still_empty) {
                if let Err(why) = made.remove_quietly(db) {
                    tracing::warn!(db = %db.display(), error = %why, "cannot remove the store this start made");
                }
            }
            return Err(Refusal::Log(e));
        }
    }
    Ok(locked)
}

/// Completes on SIGINT or SIGTERM. SIGHUP, which would end the process where nothing handles it (a
/// log rotation's `kill -HUP`, a closed terminal), is logged and ignored: the daemon logs to standard
/// error and has no file to reopen.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, Signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        // Without signal handlers the daemon runs until killed.
        std::future::pending::<()>().await;
        return;
    };
    let mut hangup = signal(SignalKind::hangup()).ok();
    async fn next(signal: &mut Option<Signal>) {
        if let Some(signal) = signal {
            if signal.recv().await.is_some() {
                return;
            }
        }
        std::future::pending().await
    }
    let first = loop {
        tokio::select! {
            _ = int.recv() => {
                tracing::info!("SIGINT received");
                break libc::SIGINT;
            }
            _ = term.recv() => {
                tracing::info!("SIGTERM received");
                break libc::SIGTERM;
            }
            _ = next(&mut hangup) => tracing::info!(
                "SIGHUP received and ignored: the log goes to standard error, with no file to reopen; \
                 SIGTERM or SIGINT stops the daemon"
            ),
        }
    };
    let taken = std::time::Instant::now();
    // A second signal ends the daemon at once, as it ends the other commands: what it answered is
    // durable already, and the requests still in flight get no answer. The first sent again at once
    // (GNU `timeout` signals the process, then its group) is the same request to stop.
    tokio::spawn(async move {
        let (signal, name) = loop {
            let (signal, name) = tokio::select! {
                _ = int.recv() => (libc::SIGINT, "SIGINT"),
                _ = term.recv() => (libc::SIGTERM, "SIGTERM"),
            };
            if super::interrupt::is_the_same_stop(first, signal, taken.elapsed()) {
                tracing::info!("{name} again: the same request to stop");
                continue;
            }
            break (signal, name);
        };
        tracing::warn!(
            "a second {name}: stopping at once; the requests in flight get no answer (what was \
             answered is stored)"
        );
        super::interrupt::end_by(signal);
    });
}

/// Reads `--request-timeout`: a number of seconds, or a duration with its unit, from 1 s to a day.
fn request_timeout(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let seconds = match t.parse::<u64>() {
        Ok(seconds) => seconds,
        Err(_) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => u64::MAX,
        Err(_) => storyhash::time::parse_duration(t)?,
    };
    match seconds {
        1..=86_400 => Ok(seconds),
        _ => Err(format!(
            "`{text}` is not from 1 second to a day (86400); e.g. 10, 30s or 2m"
        )),
    }
}

/// A duration flag's value of at least `least` seconds; `shorter` says what a shorter one would do.
fn duration_of_at_least(text: &str, least: u64, shorter: &str) -> Result<u64, String> {
    match storyhash::time::parse_duration(text)? {
        seconds if seconds < least => Err(format!("`{text}` {shorter}")),
        seconds => Ok(seconds),
    }
}

/// Reads `--log-retain`: a duration of at least an hour. Less would trim the entries a node stopped for a
/// restart or a deploy still needs, halting it for good (none would trim every entry as it is written).
#[cfg(feature = "redis-log")]
fn retention(text: &str) -> Result<u64, String> {
    duration_of_at_least(
        text,
        3600,
        "would trim entries that a node stopped for a restart or a deploy still needs, and it could \
         then only join from a copy of another node's store; keep the log at least an hour, and as \
         long as a node may be stopped (7d, 30d)",
    )
}

/// Reads `--log-wait`: a duration, or `0` (no unit needed for none).
#[cfg(feature = "redis-log")]
fn wait_time(text: &str) -> Result<u64, String> {
    if text.trim() == "0" {
        return Ok(0);
    }
    storyhash::time::parse_duration(text)
}

/// Reads `--listen`: an IP address and port, or a host name and port resolved to its first address.
fn listen_address(text: &str) -> Result<SocketAddr, String> {
    if let Ok(address) = text.parse() {
        return Ok(address);
    }
    let hint = "write a host and a port: 127.0.0.1:7700 (this machine), 0.0.0.0:7700 (every \
                interface) or localhost:7700";
    match text.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
            std::net::ToSocketAddrs::to_socket_addrs(text)
                .map_err(|e| format!("cannot resolve `{host}`: {e}"))?
                .next()
                .ok_or_else(|| format!("`{host}` resolves to no address"))
        }
        _ => Err(format!("`{text}` is not an address to listen on; {hint}")),
    }
}

#[cfg(test)]
mod tests {
    use super::{headers_ended, starting_answer};

    /// The status line and body of the answer to `request` while starting without a shared log.
    fn answered(request: &[u8]) -> (String, String) {
        let answer = starting_answer(request, false);
        let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
        (
            head.lines().next().unwrap_or_default().to_owned(),
            body.to_owned(),
        )
    }

    #[test]
    fn healthz_is_alive_while_starting_however_the_request_is_written() {
        for request in [
            &b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"[..],
            b"\r\nGET /healthz HTTP/1.1\r\n\r\n",
            b"GET /healthz HTTP/1.1\nHost: x\n\n",
            b"GET /healthz?verbose=1 HTTP/1.1\r\n\r\n",
            b"GET http://example.com:7700/healthz HTTP/1.1\r\n\r\n",
            // What a client slower than a second sent by then.
            b"GET /healthz HTTP/1.1\r\nHo",
        ] {
            let (status, body) = answered(request);
            assert_eq!(status, "HTTP/1.1 200 OK", "{request:?}");
            assert_eq!(body, r#"{"status":"starting","doing":"taking its store"}"#);
        }
        for request in [
            &b"GET /readyz HTTP/1.1\r\n\r\n"[..],
            b"POST /healthz HTTP/1.1\r\n\r\n",
            b"GET http://example.com HTTP/1.1\r\n\r\n",
            b"",
        ] {
            let (status, body) = answered(request);
            assert_eq!(status, "HTTP/1.1 503 Service Unavailable", "{request:?}");
            assert_eq!(
                body,
                r#"{"error":"the daemon is starting: taking its store"}"#
            );
        }
        // A HEAD is answered its head alone, which says the length a GET would get.
        let get = starting_answer(b"GET /healthz HTTP/1.1\r\n\r\n", true);
        let body = r#"{"status":"starting","doing":"taking its store and joining the shared log"}"#;
        assert!(get.ends_with(body), "{get}");
        let head = starting_answer(b"HEAD /healthz HTTP/1.1\r\n\r\n", true);
        assert_eq!(head, get.strip_suffix(body).unwrap_or_default());
        assert!(
            head.contains(&format!("Content-Length: {}\r\n", body.len())),
            "{head}"
        );
    }

    #[cfg(feature = "redis-log")]
    #[test]
    fn a_log_is_kept_at_least_an_hour() {
        assert_eq!(super::retention("1h"), Ok(3600));
        assert_eq!(super::retention("7d"), Ok(7 * 86_400));
        for short in ["0s", "1s", "59min"] {
            let e = super::retention(short).unwrap_err();
            assert!(
                e.contains(
                    "would trim entries that a node stopped for a restart or a deploy still needs"
                ),
                "{short}: {e}"
            );
        }
    }

    #[test]
    fn a_request_s_head_ends_at_an_empty_line_of_either_ending() {
        assert!(headers_ended(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert!(headers_ended(b"GET / HTTP/1.1\nHost: x\n\n"));
        assert!(headers_ended(b"\r\n\r\nGET / HTTP/1.1\r\n\r\n"));
        assert!(!headers_ended(b"\r\n\r\n"));
        assert!(!headers_ended(b"GET / HTTP/1.1\r\nHost: x\r\n"));
    }
}
