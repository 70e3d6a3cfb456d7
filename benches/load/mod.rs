//! What the daemon load benches share: the corpus as article objects, ids, percentiles, and the closed
//! loop of clients posting batches for a while.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::http::Connection;

/// The corpus as article objects without ids.
pub fn corpus(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["title"].is_string())
        .map(|v| {
            let mut a = json!({ "title": v["title"] });
            for field in ["source", "published"] {
                if v[field].is_string() {
                    a[field] = v[field].clone();
                }
            }
            a
        })
        .collect()
}

/// `article` with id `id`.
pub fn with_id(article: &Value, id: String) -> Value {
    let mut a = article.clone();
    a["id"] = Value::String(id);
    a
}

/// The `p` quantile of sorted latencies (zero when there are none).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Single-article POSTs at a fixed total `rate` per second for `seconds`, open loop (latency counts from
/// each request's scheduled time, so a stall is not hidden), from up to 16 senders spread evenly over one
/// interval and over `addrs`; every answer must be 200. The latencies, sorted.
pub fn open_loop(
    addrs: &[SocketAddr],
    articles: &Arc<Vec<Value>>,
    rate: u64,
    seconds: u64,
    run_id: u32,
) -> Vec<Duration> {
    let senders = 16usize.min(rate as usize).max(1);
    let interval = Duration::from_secs_f64(senders as f64 / rate as f64);
    let total_per_sender = (seconds * rate) as usize / senders;
    let start_at = Instant::now() + Duration::from_millis(200);
    let threads: Vec<_> = (0..senders)
        .map(|s| {
            let articles = Arc::clone(articles);
            let addr = addrs[s % addrs.len()];
            std::thread::spawn(move || {
                let mut conn = Connection::open(addr).expect("connect");
                let mut latencies = Vec::with_capacity(total_per_sender);
                let offset = interval.mul_f64(s as f64 / senders as f64);
                for n in 0..total_per_sender {
                    let due = start_at + offset + interval * n as u32;
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let i = s * total_per_sender + n;
                    let body = with_id(
                        &articles[(i * 7919) % articles.len()],
                        format!("l{run_id}-{i}"),
                    )
                    .to_string();
                    let r = conn
                        .send("POST", "/v1/articles", &[], body.as_bytes())
                        .expect("post");
                    assert_eq!(r.status, 200, "{}", r.text());
                    latencies.push(due.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("sender"))
        .collect();
    latencies.sort_unstable();
    latencies
}

/// What a closed-loop ingest run did: articles acknowledged, seconds taken, batch latencies sorted.
pub struct Ingested {
    pub articles: u64,
    pub seconds: f64,
    pub latencies: Vec<Duration>,
}

/// `clients` clients, client `c` posting to `addrs[c % addrs.len()]`, each posting batches of `batch`
/// articles (ids `h{run_id}-{n}`, every answer must be 200) one after another for `seconds`.
pub fn ingest(
    addrs: &[SocketAddr],
    clients: usize,
    batch: usize,
    seconds: u64,
    articles: &Arc<Vec<Value>>,
    run_id: u32,
) -> Ingested {
    let next = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (next, stop, articles) =
                (Arc::clone(&next), Arc::clone(&stop), Arc::clone(articles));
            let addr = addrs[c % addrs.len()];
            std::thread::spawn(move || {
                let mut conn = Connection::open(addr).expect("connect");
                let mut done = 0u64;
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let first = next.fetch_add(batch as u64, Ordering::Relaxed);
                    let body: Vec<Value> = (first..first + batch as u64)
                        .map(|i| {
                            with_id(
                                &articles[i as usize % articles.len()],
                                format!("h{run_id}-{i}"),
                            )
                        })
                        .collect();
                    let body = Value::from(body).to_string();
                    let sent = Instant::now();
                    let r = conn
                        .send("POST", "/v1/articles", &[], body.as_bytes())
                        .expect("post");
                    latencies.push(sent.elapsed());
                    assert_eq!(r.status, 200, "{}", r.text());
                    done += batch as u64;
                }
                (done, latencies)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let mut ingested = Ingested {
        articles: 0,
        seconds: 0.0,
        latencies: Vec::new(),
    };
    for t in threads {
        let (n, l) = t.join().expect("client");
        ingested.articles += n;
        ingested.latencies.extend(l);
    }
    ingested.seconds = started.elapsed().as_secs_f64();
    ingested.latencies.sort_unstable();
    ingested
}
