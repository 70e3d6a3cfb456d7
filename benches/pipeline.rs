//! Criterion benches of each pipeline stage over the checked-in UCI sample (3,257 real headlines):
//! normalise, shingle, signature, the story level's content terms, and whole ingest (in memory, one at a
//! time and in a batch). Each bench first checks that the stage does its job on the sample, so a fast but
//! broken stage cannot pass.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use storyhash::normalize::{headline_text, normalize_title};
use storyhash::shingle::shingle_hashes;
use storyhash::signature::MinHasher;
use storyhash::{Article, Engine, EngineConfig, ShingleKind, Status};

fn titles() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/uci-stories-dev.jsonl");
    let text = std::fs::read_to_string(path).expect("read data/uci-stories-dev.jsonl");
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
            v["title"].as_str().expect("title").to_string()
        })
        .collect()
}

fn stages(c: &mut Criterion) {
    let titles = titles();
    let n = titles.len() as u64;
    let normalized: Vec<String> = titles.iter().map(|t| normalize_title(t, None)).collect();
    assert!(normalized.iter().all(|t| !t.is_empty()));
    let mut shingles = Vec::new();
    let per_title: Vec<Vec<u64>> = normalized
        .iter()
        .map(|t| {
            shingles.clear();
            shingle_hashes(t, ShingleKind::Char(5), &mut shingles);
            shingles.clone()
        })
        .collect();
    assert!(per_title.iter().all(|s| !s.is_empty()));

    let mut g = c.benchmark_group("stage");
    g.throughput(Throughput::Elements(n));
    g.bench_function("normalize", |b| {
        b.iter(|| {
            for t in &titles {
                black_box(normalize_title(black_box(t), None));
            }
        })
    });
    g.bench_function("shingle_char5", |b| {
        let mut out = Vec::with_capacity(256);
        b.iter(|| {
            for t in &normalized {
                out.clear();
                shingle_hashes(black_box(t), ShingleKind::Char(5), &mut out);
                black_box(&out);
            }
        })
    });
    let with_terms = titles
        .iter()
        .filter(|t| {
            let mut terms = Vec::new();
            storyhash::story::terms(&headline_text(t, None), &mut terms);
            !terms.is_empty()
        })
        .count();
    assert!(with_terms * 10 >= titles.len() * 9);
    g.bench_function("story_terms", |b| {
        let mut out = Vec::with_capacity(32);
        b.iter(|| {
            for t in &titles {
                storyhash::story::terms(&headline_text(black_box(t), None), &mut out);
                black_box(&out);
            }
        })
    });
    let hasher = MinHasher::new(128, storyhash::signature::DEFAULT_SEED);
    g.bench_function("signature_128", |b| {
        b.iter(|| {
            for s in &per_title {
                black_box(hasher.sign(black_box(s)));
            }
        })
    });
    g.finish();
}

fn ingest(c: &mut Criterion) {
    let titles = titles();
    let articles: Vec<Article<'_>> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| Article::new(i.to_string(), t.as_str()))
        .collect();
    let check = Engine::in_memory(EngineConfig::default()).unwrap();
    let verdicts: Vec<_> = check
        .ingest_batch(&articles)
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert!(verdicts.iter().any(|v| v.status == Status::NearDuplicate));

    let mut g = c.benchmark_group("ingest");
    g.throughput(Throughput::Elements(articles.len() as u64));
    g.sample_size(20);
    g.bench_function("batch_in_memory", |b| {
        b.iter(|| {
            let engine = Engine::in_memory(EngineConfig::default()).unwrap();
            black_box(engine.ingest_batch(&articles));
        })
    });
    g.bench_function("one_at_a_time_in_memory", |b| {
        b.iter(|| {
            let engine = Engine::in_memory(EngineConfig::default()).unwrap();
            for a in &articles {
                black_box(engine.ingest(a).unwrap());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, stages, ingest);
criterion_main!(benches);
