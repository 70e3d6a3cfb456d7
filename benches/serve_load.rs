//! End-to-end load on `storyhash serve` (release build), three figures in one run:
//!
//! 1. restart: a store already holding `--stored` articles (built with the library first if it holds
//!    fewer) — time from starting the daemon to `/readyz` answering 200;
//! 2. durable ingest: `--clients` keep-alive connections posting batches of `--batch` new articles for
//!    `--seconds`; articles per second, every one answered 200 (so flushed);
//! 3. latency: single-article POSTs at a fixed `--rate` per second (open loop: latency counts from each
//!    request's scheduled time, so a stall is not hidden), p50/p99/max.
//!
//! With `--load N`, a fourth phase: 32 clients post N more articles in batches of 100 as fast as they can
//! against a queue of `--queue` articles, retrying on 503; the daemon's memory is sampled throughout; then
//! it is killed with SIGKILL and every article that got a 200 is looked up in the reopened store.
//!
//! `cargo bench --bench serve_load -- --corpus FILE --stored 1000000` (see docs/BENCHMARKS.md).
//! Articles come from JSON Lines with `title` (and optional `source`, `published`); ids are made up here.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

#[allow(dead_code)]
#[path = "../tests/it/http.rs"]
mod http;
mod load;

use http::{Connection, Server};
use load::{corpus, open_loop, percentile, with_id};

struct Options {
    corpus: PathBuf,
    db: Option<PathBuf>,
    stored: usize,
    clients: usize,
    batch: usize,
    seconds: u64,
    rate: u64,
    load: usize,
    queue: usize,
}

fn options() -> Options {
    let mut o = Options {
        corpus: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/uci-stories-dev.jsonl"),
        db: None,
        stored: 100_000,
        clients: 8,
        batch: 100,
        seconds: 20,
        rate: 500,
        load: 0,
        queue: 100_000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--corpus" => o.corpus = PathBuf::from(value()),
            "--db" => o.db = Some(PathBuf::from(value())),
            "--stored" => o.stored = value().parse().expect("--stored N"),
            "--clients" => o.clients = value().parse().expect("--clients N"),
            "--batch" => o.batch = value().parse().expect("--batch N"),
            "--seconds" => o.seconds = value().parse().expect("--seconds N"),
            "--rate" => o.rate = value().parse().expect("--rate N"),
            "--load" => o.load = value().parse().expect("--load N"),
            "--queue" => o.queue = value().parse().expect("--queue N"),
            // cargo bench passes --bench; anything else is a filter meant for other benches.
            _ => {}
        }
    }
    o
}

/// Fills the store with the library until it holds `want` articles.
fn fill(db: &PathBuf, articles: &[Value], want: usize) {
    let engine =
        storyhash::Engine::open(db, storyhash::EngineConfig::default()).expect("open store");
    let have = engine.stats().articles as usize;
    if have >= want {
        println!("store: {have} articles already");
        return;
    }
    let started = Instant::now();
    let mut n = have;
    while n < want {
        let end = (n + 50_000).min(want);
        let batch: Vec<storyhash::Article<'static>> = (n..end)
            .map(|i| {
                let a = &articles[i % articles.len()];
                let mut article = storyhash::Article::new(
                    format!("s{i}"),
                    a["title"].as_str().unwrap_or_default().to_string(),
                );
                article.source = a["source"].as_str().map(|s| s.to_string().into());
                article.published = a["published"].as_str().map(|s| s.to_string().into());
                article
            })
            .collect();
        for r in engine.ingest_batch(&batch) {
            r.expect("ingest while filling");
        }
        n = end;
    }
    engine.flush().expect("flush");
    println!(
        "store: filled to {} articles in {:.1} s",
        engine.stats().articles,
        started.elapsed().as_secs_f64()
    );
}

fn peak_rss_mib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// Set in the child that fills the store: the store directory.
const FILL_ENV: &str = "STORYHASH_SERVE_LOAD_FILL";

fn main() {
    let o = options();
    if let Some(db) = std::env::var_os(FILL_ENV) {
        fill(&PathBuf::from(db), &corpus(&o.corpus), o.stored);
        return;
    }
    let articles = corpus(&o.corpus);
    assert!(!articles.is_empty(), "the corpus holds no article");
    let scratch = tempfile::tempdir().expect("temporary directory");
    let db = o.db.clone().unwrap_or_else(|| scratch.path().join("db"));
    println!(
        "corpus {} ({} articles), store {}",
        o.corpus.display(),
        articles.len(),
        db.display()
    );
    // Filled by a child process, so that the store is closed (its lock released) as after a real stop.
    let filled = std::process::Command::new(std::env::current_exe().expect("bench binary"))
        .args(std::env::args().skip(1))
        .env(FILL_ENV, &db)
        .status()
        .expect("run the filling child");
    assert!(filled.success(), "filling the store failed");

    // 1. Restart: start to /readyz.
    let started = Instant::now();
    let queue = o.queue.to_string();
    let server = Server::start(&db, &["--queue", &queue]);
    server.wait_ready();
    let ready = started.elapsed();
    let stored = server.get("/readyz").json()["articles"]
        .as_u64()
        .unwrap_or(0);
    println!(
        "restart: /readyz 200 after {:.2} s with {stored} articles stored",
        ready.as_secs_f64()
    );

    // 2. Durable ingest in batches, closed loop.
    let run_id = std::process::id();
    let articles = Arc::new(articles);
    let run = load::ingest(
        &[server.addr],
        o.clients,
        o.batch,
        o.seconds,
        &articles,
        run_id,
    );
    println!(
        "ingest: {} articles in {:.1} s = {:.0} articles/s durable ({} clients, batches of {}); batch latency p50 {:.1} ms, p99 {:.1} ms",
        run.articles,
        run.seconds,
        run.articles as f64 / run.seconds,
        o.clients,
        o.batch,
        percentile(&run.latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&run.latencies, 0.99).as_secs_f64() * 1e3,
    );

    // 3. Single-article requests at a fixed rate, open loop.
    let latencies = open_loop(&[server.addr], &articles, o.rate, o.seconds, run_id);
    println!(
        "latency: {} single-article requests at {} req/s: p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        latencies.len(),
        o.rate,
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        percentile(&latencies, 0.999).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    if let Some(rss) = peak_rss_mib(server.child.id()) {
        println!("daemon peak memory: {rss} MiB");
    }
    if o.load > 0 {
        load(&o, server, &articles, run_id, &db);
        return;
    }
    let status = server.terminate();
    assert_eq!(status.code(), Some(0), "the daemon stops cleanly");
}

fn rss_mib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// Phase 4: `--load` articles from 32 clients as fast as they go, then SIGKILL and check every 200.
fn load(o: &Options, mut server: Server, articles: &Arc<Vec<Value>>, run_id: u32, db: &PathBuf) {
    const CLIENTS: usize = 32;
    const BATCH: usize = 100;
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let pid = server.child.id();
    let sampler = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            while !done.load(Ordering::Relaxed) {
                samples.extend(rss_mib(pid));
                std::thread::sleep(Duration::from_millis(100));
            }
            samples
        })
    };
    let started = Instant::now();
    let threads: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (next, articles) = (Arc::clone(&next), Arc::clone(articles));
            let (addr, total) = (server.addr, o.load as u64);
            std::thread::spawn(move || {
                let mut conn = Connection::open(addr).expect("connect");
                let (mut acked, mut shed, mut other) = (Vec::new(), 0u64, 0u64);
                loop {
                    let first = next.fetch_add(BATCH as u64, Ordering::Relaxed);
                    if first >= total {
                        break;
                    }
                    let body: Vec<Value> = (first..(first + BATCH as u64).min(total))
                        .map(|i| {
                            with_id(
                                &articles[(i as usize * 31) % articles.len()],
                                format!("x{run_id}-{i}"),
                            )
                        })
                        .collect();
                    let body = Value::from(body).to_string();
                    loop {
                        let r = conn
                            .send("POST", "/v1/articles", &[], body.as_bytes())
                            .expect("post");
                        match r.status {
                            200 => {
                                for v in r.json().as_array().expect("verdicts") {
                                    acked.push((
                                        v["id"].as_str().unwrap_or_default().to_string(),
                                        v["cluster"].as_u64().unwrap_or(u64::MAX),
                                    ));
                                }
                                break;
                            }
                            503 => {
                                shed += 1;
                                std::thread::sleep(Duration::from_millis(5));
                            }
                            _ => {
                                other += 1;
                                break;
                            }
                        }
                    }
                }
                (acked, shed, other)
            })
        })
        .collect();
    let mut acked = Vec::with_capacity(o.load);
    let (mut shed, mut other) = (0, 0);
    for t in threads {
        let (a, s, f) = t.join().expect("client");
        acked.extend(a);
        shed += s;
        other += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let samples = sampler.join().expect("sampler");
    println!(
        "load: {} articles acknowledged in {elapsed:.1} s ({:.0}/s) by {CLIENTS} clients; {shed} requests answered 503 (retried), {other} other failures; daemon memory {}–{} MiB (queue {} articles)",
        acked.len(),
        acked.len() as f64 / elapsed,
        samples.iter().min().unwrap_or(&0),
        samples.iter().max().unwrap_or(&0),
        o.queue,
    );
    server.child.kill().expect("SIGKILL the daemon");
    server.child.wait().expect("reap");
    drop(server);
    let started = Instant::now();
    let engine =
        storyhash::Engine::open(db, storyhash::EngineConfig::default()).expect("reopen after kill");
    let lost = acked
        .iter()
        .filter(|(id, cluster)| engine.get(id).ok().flatten().map(|a| a.cluster) != Some(*cluster))
        .count();
    println!(
        "after SIGKILL: reopened in {:.1} s; {} of {} acknowledged articles missing or moved",
        started.elapsed().as_secs_f64(),
        lost,
        acked.len()
    );
    assert_eq!(lost, 0);
    assert_eq!(other, 0);
}
