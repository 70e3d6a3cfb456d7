//! One `Engine::ingest` call per article, in memory, the way a crawler that links the library (or the
//! Python package's `ingest`) calls it: the rate of single calls, with each article's `published` time
//! and without one (an article without a time arrives "now", so in a tight loop no story closes).
//!
//! `cargo bench --bench single_calls -- --corpus FILE [--limit N] [--untimed]` reads the first `N`
//! (200,000) articles of a JSON Lines file (`title` and optional `published`; ids are made up here)
//! before timing, then times the loop alone and prints the calls per second: the single calls of
//! `bench/python_compare.py`, `ingest(id, title, published=...)`, without Python. Run two builds side by
//! side, one process per core, to compare them on a machine whose speed drifts (docs/BENCHMARKS.md).

use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;
use storyhash::{Article, Engine, EngineConfig};

// As in the `storyhash` binary and the Python package.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut corpus = None;
    let mut limit = 200_000;
    let mut timed = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--corpus" => corpus = args.next().map(PathBuf::from),
            "--limit" => limit = args.next().and_then(|v| v.parse().ok()).expect("--limit N"),
            "--untimed" => timed = false,
            // `cargo bench` passes this to every bench.
            "--bench" => {}
            other => panic!("unknown argument {other}; see the top of benches/single_calls.rs"),
        }
    }
    let corpus = corpus.expect("--corpus FILE");
    let text = std::fs::read_to_string(&corpus)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", corpus.display()));
    // Lines that are not JSON objects with a `title` are skipped, as in the other load benches.
    let field = |r: &Value, name: &str| r[name].as_str().map(str::to_string);
    let articles: Vec<(String, String, Option<String>)> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|r| Some((field(&r, "title")?, r)))
        .take(limit)
        .enumerate()
        .map(|(i, (title, r))| {
            (
                i.to_string(),
                title,
                field(&r, "published").filter(|_| timed),
            )
        })
        .collect();
    let engine = Engine::in_memory(EngineConfig::default()).expect("an engine in memory");
    let started = Instant::now();
    for (id, title, published) in &articles {
        let mut article = Article::new(id.as_str(), title.as_str());
        if let Some(published) = published {
            article = article.with_published(published.as_str());
        }
        engine.ingest(&article).expect("a verdict");
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} single calls {} in {seconds:.2} s = {:.0} calls/s",
        articles.len(),
        if timed { "with times" } else { "without times" },
        articles.len() as f64 / seconds
    );
}
