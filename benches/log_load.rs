//! End-to-end load on several `storyhash serve --log` nodes sharing one Redis (release build), three
//! figures in one run:
//!
//! 1. durable ingest: `--clients` keep-alive connections, spread over the `--nodes` nodes, post batches of
//!    `--batch` new articles for `--seconds`; articles per second over all nodes, every one answered 200
//!    (so appended to a Redis with `appendfsync always` and applied and flushed on the node that answered);
//! 2. latency: single-article POSTs at a fixed `--rate` per second over all nodes (open loop: latency
//!    counts from each request's scheduled time), p50/p99/max;
//! 3. catch-up: a new node with an empty store replays the whole log written by phases 1 and 2; articles
//!    per second from its start to `/readyz`.
//!
//! It starts its own `redis-server` (on a free loopback port, in a temporary directory, `appendonly yes`,
//! `appendfsync always`) and its nodes, and stops them by pid.
//!
//! `cargo bench --bench log_load -- --corpus FILE` (see docs/BENCHMARKS.md).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[allow(dead_code)]
#[path = "../tests/it/http.rs"]
mod http;
mod load;
#[allow(dead_code)]
#[path = "../tests/it/redis_server.rs"]
mod redis_server;

use http::Server;
use load::{corpus, open_loop, percentile};
use redis_server::Redis;

struct Options {
    corpus: PathBuf,
    nodes: usize,
    clients: usize,
    batch: usize,
    seconds: u64,
    rate: u64,
}

fn options() -> Options {
    let mut o = Options {
        corpus: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/uci-stories-dev.jsonl"),
        nodes: 3,
        clients: 12,
        batch: 100,
        seconds: 20,
        rate: 500,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--corpus" => o.corpus = PathBuf::from(value()),
            "--nodes" => o.nodes = value().parse().expect("--nodes N"),
            "--clients" => o.clients = value().parse().expect("--clients N"),
            "--batch" => o.batch = value().parse().expect("--batch N"),
            "--seconds" => o.seconds = value().parse().expect("--seconds N"),
            "--rate" => o.rate = value().parse().expect("--rate N"),
            // cargo bench passes --bench; anything else is a filter meant for other benches.
            _ => {}
        }
    }
    o
}

/// Redis's `used_memory`, in bytes.
fn redis_memory(redis: &Redis) -> Option<u64> {
    let info = redis.command(&["INFO", "memory"]).ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
}

/// Bytes of the files under `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_bytes(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn main() {
    let o = options();
    let articles = Arc::new(corpus(&o.corpus));
    assert!(!articles.is_empty(), "the corpus holds no article");
    let scratch = tempfile::tempdir().expect("temporary directory");
    let redis = Redis::start().expect("redis-server on the PATH");
    let url = redis.url();
    let nodes: Vec<Server> = (0..o.nodes)
        .map(|i| Server::ready(&scratch.path().join(format!("node{i}")), &["--log", &url]))
        .collect();
    println!(
        "corpus {} ({} articles), {} nodes, Redis at {url} (appendfsync always)",
        o.corpus.display(),
        articles.len(),
        o.nodes
    );
    let run_id = std::process::id();

    // 1. Durable ingest in batches, closed loop, clients spread over the nodes.
    let addrs: Vec<_> = nodes.iter().map(|n| n.addr).collect();
    let run = load::ingest(&addrs, o.clients, o.batch, o.seconds, &articles, run_id);
    println!(
        "ingest: {} articles in {:.1} s = {:.0} articles/s durable over {} nodes ({} clients, batches of {}); batch latency p50 {:.1} ms, p99 {:.1} ms",
        run.articles,
        run.seconds,
        run.articles as f64 / run.seconds,
        o.nodes,
        o.clients,
        o.batch,
        percentile(&run.latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&run.latencies, 0.99).as_secs_f64() * 1e3,
    );

    // 2. Single-article requests at a fixed rate, open loop, spread over the nodes.
    let addrs: Vec<_> = nodes.iter().map(|n| n.addr).collect();
    let latencies = open_loop(&addrs, &articles, o.rate, o.seconds, run_id);
    println!(
        "latency: {} single-article requests at {} req/s over {} nodes: p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        latencies.len(),
        o.rate,
        o.nodes,
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        percentile(&latencies, 0.999).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );

    // 3. A new node replays the whole log (once the others have applied all of it).
    std::thread::sleep(Duration::from_secs(1));
    let total = nodes[0].get("/readyz").json()["articles"]
        .as_u64()
        .unwrap_or(0);
    let started = Instant::now();
    let fresh = Server::ready(&scratch.path().join("fresh"), &["--log", &url]);
    let took = started.elapsed().as_secs_f64();
    let caught = fresh.get("/readyz").json()["articles"]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(caught, total, "the new node holds what the others hold");
    println!(
        "catch-up: a new node replayed {caught} articles in {took:.2} s = {:.0} articles/s (start to /readyz)",
        caught as f64 / took
    );
    println!(
        "size: Redis used_memory {:.0} MiB, append-only files {:.0} MiB, one node's store {:.0} MiB, for {caught} articles",
        redis_memory(&redis).unwrap_or(0) as f64 / (1 << 20) as f64,
        dir_bytes(&redis.dir().join("appendonlydir")) as f64 / (1 << 20) as f64,
        dir_bytes(&scratch.path().join("node0")) as f64 / (1 << 20) as f64,
    );
    for node in nodes.into_iter().chain([fresh]) {
        assert_eq!(node.terminate().code(), Some(0), "a node stops cleanly");
    }
}
