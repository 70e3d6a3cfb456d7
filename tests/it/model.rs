//! Model-based property test: random sequences of ingest, query, remove, flush and reopen applied to a
//! real store-backed engine and to a small, obviously correct model (brute-force exact Jaccard over every
//! stored article). Verdicts must agree wherever the model's similarity is clear of the threshold by a
//! margin MinHash error cannot cross, the engine's bookkeeping must match the model's exactly, and a
//! reopened store must show every article with the same cluster, status, best match and counters.
//!
//! And a second property: random articles cut into random batches, each prepared before or after the
//! batch ahead of it commits, decide exactly as the same articles ingested one at a time.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use storyhash::normalize::normalize_title;
use storyhash::shingle::shingle_hashes;
use storyhash::{Article, EarlierTexts, Engine, EngineConfig, Linkage, ShingleKind, Status};

/// Distinct real-looking headlines; variants of one are near-duplicates, different ones are not.
const BASES: [&str; 6] = [
    "Central bank holds interest rates steady as inflation cools across the euro zone",
    "Wildfire forces thousands to flee homes in northern California overnight",
    "Parliament approves budget after marathon session amid protests outside",
    "Tech giant unveils new smartphone with faster chip and longer battery life",
    "Floods cut off mountain villages after days of heavy rain in the Alps",
    "Striking dock workers reach pay deal with port operators after two weeks",
];

/// How a text is made from a base headline.
#[derive(Clone, Debug)]
enum Variant {
    /// The base as is.
    Same,
    /// Different case and punctuation and an agency suffix: the same text after normalisation.
    Restyled,
    /// One word appended: a near-duplicate.
    Extended(&'static str),
}

#[derive(Clone, Debug)]
enum Op {
    Ingest {
        id: u8,
        base: usize,
        variant: Variant,
    },
    Query {
        base: usize,
        variant: Variant,
    },
    Remove {
        id: u8,
    },
    Flush,
    Reopen,
}

fn text(base: usize, variant: &Variant) -> String {
    let b = BASES[base];
    match variant {
        Variant::Same => b.to_string(),
        Variant::Restyled => format!("{}! - Reuters", b.to_uppercase()),
        Variant::Extended(word) => format!("{b} {word}"),
    }
}

fn variant() -> impl Strategy<Value = Variant> {
    prop_oneof![
        Just(Variant::Same),
        Just(Variant::Restyled),
        prop::sample::select(vec!["today", "officials", "report", "again"])
            .prop_map(Variant::Extended),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..8, 0..3usize, variant()).prop_map(|(id, base, variant)| Op::Ingest { id, base, variant }),
        2 => (0..BASES.len(), variant()).prop_map(|(base, variant)| Op::Query { base, variant }),
        2 => (0u8..8).prop_map(|id| Op::Remove { id }),
        1 => Just(Op::Flush),
        1 => Just(Op::Reopen),
    ]
}

fn shingles(title: &str) -> BTreeSet<u64> {
    let mut v = Vec::new();
    shingle_hashes(&normalize_title(title, None), ShingleKind::Char(5), &mut v);
    v.into_iter().collect()
}

fn jaccard(a: &BTreeSet<u64>, b: &BTreeSet<u64>) -> f64 {
    a.intersection(b).count() as f64 / a.union(b).count() as f64
}

/// The model: live articles in ingest order, by id.
#[derive(Default)]
struct Model {
    live: BTreeMap<u64, (String, String)>, // order -> (id, title)
    next: u64,
}

impl Model {
    fn find(&self, id: &str) -> Option<(u64, &String)> {
        self.live
            .iter()
            .find(|(_, (i, _))| i == id)
            .map(|(o, (_, t))| (*o, t))
    }

    /// Expected status of a new text: Some(status) where the margin makes it certain.
    fn expect(&self, title: &str) -> (Option<Status>, Option<String>) {
        let norm = normalize_title(title, None);
        if let Some((_, (id, _))) = self
            .live
            .iter()
            .find(|(_, (_, t))| normalize_title(t, None) == norm)
        {
            return (Some(Status::Duplicate), Some(id.clone()));
        }
        let mine = shingles(title);
        let best = self
            .live
            .values()
            .map(|(_, t)| jaccard(&mine, &shingles(t)))
            .fold(0.0, f64::max);
        if best >= 0.8 {
            (Some(Status::NearDuplicate), None)
        } else if best <= 0.2 {
            (Some(Status::New), None)
        } else {
            (None, None)
        }
    }
}

fn check_against_model(engine: &Engine, model: &Model) {
    assert_eq!(engine.stats().articles as usize, model.live.len());
    let mut members_seen = BTreeSet::new();
    for (id, title) in model.live.values() {
        let got = engine
            .get(id)
            .unwrap()
            .unwrap_or_else(|| panic!("`{id}` is live in the model"));
        assert_eq!(&got.article.title, title);
        let cluster = engine
            .cluster(got.cluster)
            .unwrap()
            .expect("its cluster exists");
        assert!(cluster.members.contains(id));
        assert_eq!(cluster.size as usize, cluster.members.len());
        members_seen.extend(cluster.members);
    }
    let live: BTreeSet<String> = model.live.values().map(|(id, _)| id.clone()).collect();
    assert_eq!(
        members_seen, live,
        "clusters hold exactly the live articles"
    );
}

/// Everything a caller can see of the live articles: each one's cluster, status and best match, and
/// the counters.
fn visible_state(engine: &Engine, model: &Model) -> (Vec<String>, storyhash::Stats) {
    let articles = model
        .live
        .values()
        .map(|(id, _)| {
            let got = engine.get(id).unwrap().unwrap();
            format!(
                "{id} {} {:?} {:?} {:?}",
                got.cluster, got.status, got.duplicate_of, got.similarity
            )
        })
        .collect();
    // The counts of articles stored without a readable time are of this opening only.
    let mut stats = engine.stats();
    stats.unreadable_times = 0;
    stats.untimed = 0;
    (articles, stats)
}

/// The cases a property runs: `in_ci`, unless `STORYHASH_MODEL_CASES` sets more for a long run.
fn cases(in_ci: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("STORYHASH_MODEL_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(in_ci),
        ..ProptestConfig::default()
    }
}

/// The settings of the properties over batches: a 3-day window or none, best or single linkage.
fn batch_config(window: bool, single_linkage: bool) -> EngineConfig {
    EngineConfig {
        window: window.then(|| std::time::Duration::from_secs(3 * 86_400)),
        linkage: if single_linkage {
            Linkage::Single
        } else {
            Linkage::Best
        },
        ..EngineConfig::default()
    }
}

proptest! {
    #![proptest_config(cases(200))]

    #[test]
    fn engine_agrees_with_a_brute_force_model(ops in prop::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let mut engine = Some(Engine::open(dir.path(), EngineConfig::default()).unwrap());
        let mut model = Model::default();
        for op in ops {
            let e = engine.as_ref().unwrap();
            match op {
                Op::Ingest { id, base, variant } => {
                    let id = format!("a{id}");
                    let title = text(base, &variant);
                    let result = e.ingest(&Article::new(id.as_str(), title.as_str()));
                    match model.find(&id) {
                        Some((_, stored)) if normalize_title(stored, None) == normalize_title(&title, None) => {
                            prop_assert!(result.is_ok(), "re-ingesting the same text is idempotent");
                        }
                        Some(_) => prop_assert!(result.is_err(), "a changed text under a stored id is refused"),
                        None => {
                            let (status, dup_of) = model.expect(&title);
                            let v = result.unwrap();
                            if let Some(status) = status {
                                prop_assert_eq!(v.status, status, "{}", title);
                            }
                            if let Some(dup_of) = dup_of {
                                prop_assert_eq!(v.duplicate_of, Some(dup_of));
                            }
                            model.live.insert(model.next, (id, title));
                            model.next += 1;
                        }
                    }
                }
                Op::Query { base, variant } => {
                    let title = text(base, &variant);
                    let before = e.stats();
                    let v = e.query(&Article::new("q-never-stored", title.as_str())).unwrap();
                    let (status, _) = model.expect(&title);
                    if let Some(status) = status {
                        prop_assert_eq!(v.status, status);
                    }
                    prop_assert_eq!(e.stats(), before, "a query stores nothing");
                }
                Op::Remove { id } => {
                    let id = format!("a{id}");
                    let removed = e.remove(&id).unwrap();
                    let order = model.find(&id).map(|(o, _)| o);
                    prop_assert_eq!(removed, order.is_some());
                    if let Some(order) = order {
                        model.live.remove(&order);
                    }
                }
                Op::Flush => e.flush().unwrap(),
                Op::Reopen => {
                    e.flush().unwrap();
                    let before = visible_state(e, &model);
                    drop(engine.take());
                    let reopened = Engine::open(dir.path(), EngineConfig::default()).unwrap();
                    prop_assert_eq!(visible_state(&reopened, &model), before, "reopen changes nothing a caller sees");
                    engine = Some(reopened);
                }
            }
            check_against_model(engine.as_ref().unwrap(), &model);
        }
    }
}

/// Texts for the batch property: two headlines, a copy and a near-copy of each, and texts too short
/// for the band tables (fewer than three shingles) with a longer one that shares their shingles.
const TEXTS: [&str; 8] = [
    BASES[0],
    "CENTRAL BANK HOLDS INTEREST RATES STEADY AS INFLATION COOLS ACROSS THE EURO ZONE! - Reuters",
    "Central bank holds interest rates steady as inflation cools across the euro zone today",
    BASES[1],
    "Wildfire forces thousands to flee homes in northern California overnight officials say",
    "Brexit",
    "Brexits",
    "Hi",
];

/// One article of the batch property: an id from a small pool (so that ids come back, with their text
/// or another), a text, and a day of January 2024.
fn dated_article() -> impl Strategy<Value = (u8, usize, u32)> {
    (0u8..12, 0..TEXTS.len(), 1u32..29)
}

/// The article of [`dated_article`]'s row: every other id comes from a site that gives all its items
/// one body, so that its items are compared by title once the body has come with enough titles.
fn dated(id: u8, text: usize, day: u32) -> Article<'static> {
    let mut a = Article::new(format!("a{id}"), TEXTS[text]);
    a.published = Some(format!("2024-01-{day:02}T12:00:00Z").into());
    if id.is_multiple_of(2) {
        a = a.with_source("site.example").with_body(
            "The site's own description of itself, given to every item it publishes, whatever the item.",
        );
    }
    a
}

/// Each article's verdict (or its error's message) and the counters, for `articles` ingested one at a
/// time, or in batches of the sizes `cuts` gives (cycled), each prepared before the batch ahead of it
/// commits when `early`, as `storyhash dedupe` prepares them.
pub fn decided(
    config: &EngineConfig,
    articles: &[Article<'_>],
    cuts: Option<(&[usize], bool)>,
) -> (Vec<Result<storyhash::Verdict, String>>, storyhash::Stats) {
    let engine = Engine::in_memory(config.clone()).unwrap();
    let mut out = Vec::new();
    match cuts {
        None => out.extend(articles.iter().map(|a| engine.ingest(a))),
        Some((sizes, early)) => {
            let mut batches = Vec::new();
            let mut rest = articles;
            for &size in sizes.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (batch, after) = rest.split_at(size.min(rest.len()));
                batches.push(batch);
                rest = after;
            }
            let earlier = EarlierTexts::new();
            let prepare = |n: usize| engine.prepare_batch_after(batches[n], &earlier, n as u64);
            let mut next = early.then(|| prepare(0));
            for n in 0..batches.len() {
                let prepared = next.take().unwrap_or_else(|| prepare(n));
                if early && n + 1 < batches.len() {
                    next = Some(prepare(n + 1));
                }
                out.extend(engine.commit_batch(batches[n], prepared));
            }
        }
    }
    let out = out
        .into_iter()
        .map(|r| r.map_err(|e| e.to_string()))
        .collect();
    (out, engine.stats())
}

proptest! {
    #![proptest_config(cases(200))]

    #[test]
    fn batches_decide_as_one_at_a_time(
        rows in prop::collection::vec(dated_article(), 1..40),
        sizes in prop::collection::vec(1usize..12, 1..5),
        early in any::<bool>(),
        window in any::<bool>(),
        single_linkage in any::<bool>(),
    ) {
        let config = batch_config(window, single_linkage);
        let articles: Vec<Article<'_>> = rows
            .iter()
            .map(|&(id, text, day)| dated(id, text, day))
            .collect();
        let one_by_one = decided(&config, &articles, None);
        let in_batches = decided(&config, &articles, Some((&sizes, early)));
        prop_assert_eq!(one_by_one, in_batches);
    }
}

/// One step of the reopen property.
#[derive(Clone, Debug)]
enum Step {
    /// Articles ingested together (one at a time on the engine compared with).
    Batch(Vec<(u8, usize, u32)>),
    Remove(u8),
    /// Articles published before this day of January 2024 pruned.
    Prune(u32),
    /// The store closed and opened again (the engine compared with stays open).
    Reopen,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => prop::collection::vec(dated_article(), 1..10).prop_map(Step::Batch),
        2 => (0u8..12).prop_map(Step::Remove),
        1 => (1u32..29).prop_map(Step::Prune),
        2 => Just(Step::Reopen),
    ]
}

/// What a step answered: each article's verdict or error, a removal's or a prune's count.
fn answered<T: std::fmt::Debug>(result: storyhash::Result<T>) -> String {
    match result {
        Ok(v) => format!("{v:?}"),
        Err(e) => e.to_string(),
    }
}

proptest! {
    #![proptest_config(cases(100))]

    /// A store ingested in batches, with removals and prunes, and closed and opened again anywhere,
    /// answers and holds what an engine that took the same articles one at a time and never closed
    /// does.
    #[test]
    fn a_store_in_batches_reopened_anywhere_decides_as_one_at_a_time_never_closed(
        steps in prop::collection::vec(step(), 1..16),
        window in any::<bool>(),
        single_linkage in any::<bool>(),
    ) {
        let config = batch_config(window, single_linkage);
        let day = |d: u32| format!("2024-01-{d:02}T12:00:00Z");
        let dir = tempfile::tempdir().unwrap();
        let open = || Engine::open(dir.path(), config.clone()).unwrap();
        let mut stored = Some(open());
        let single = Engine::in_memory(config.clone()).unwrap();
        let mut ids = BTreeSet::new();
        for step in steps {
            let engine = stored.as_ref().unwrap();
            match step {
                Step::Batch(rows) => {
                    let articles: Vec<Article<'_>> = rows
                        .iter()
                        .map(|&(id, text, d)| {
                            ids.insert(format!("a{id}"));
                            dated(id, text, d)
                        })
                        .collect();
                    let in_batch: Vec<String> =
                        engine.ingest_batch(&articles).into_iter().map(answered).collect();
                    let alone: Vec<String> =
                        articles.iter().map(|a| answered(single.ingest(a))).collect();
                    prop_assert_eq!(in_batch, alone);
                }
                Step::Remove(id) => {
                    let id = format!("a{id}");
                    prop_assert_eq!(answered(engine.remove(&id)), answered(single.remove(&id)));
                }
                Step::Prune(d) => {
                    let before = storyhash::Timestamp::parse(&day(d)).unwrap();
                    prop_assert_eq!(
                        answered(engine.prune_at(before, before)),
                        answered(single.prune_at(before, before))
                    );
                }
                Step::Reopen => {
                    engine.flush().unwrap();
                    drop(stored.take());
                    stored = Some(open());
                }
            }
            let engine = stored.as_ref().unwrap();
            prop_assert_eq!(engine.stats(), single.stats());
            for id in &ids {
                prop_assert_eq!(answered(engine.get(id)), answered(single.get(id)), "{}", id);
            }
        }
    }
}

/// Three copies of a headline, each outside the window of the one before: the last stands for the
/// text. Once it is removed, a reopened store gives the text to the copy before it, so the engine that
/// removed it must too: a copy a day after that one is its duplicate, not a new article.
#[test]
fn a_removed_copy_hands_its_text_to_the_copy_a_reopened_store_picks() {
    let config = EngineConfig {
        window: Some(std::time::Duration::from_secs(3 * 86_400)),
        ..EngineConfig::default()
    };
    let dated = |id: &str, day: u32| {
        let mut a = Article::new(id.to_string(), BASES[0]);
        a.published = Some(format!("2024-01-{day:02}T12:00:00Z").into());
        a
    };
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), config.clone()).unwrap();
    for article in [dated("a", 1), dated("c", 10), dated("e", 20)] {
        engine.ingest(&article).unwrap();
    }
    assert!(engine.remove("e").unwrap());
    let kept_open = engine.query(&dated("f", 11)).unwrap();
    engine.flush().unwrap();
    drop(engine);
    let reopened = Engine::open(dir.path(), config).unwrap();
    let after_reopen = reopened.query(&dated("f", 11)).unwrap();
    assert_eq!(kept_open, after_reopen);
    assert_eq!(after_reopen.duplicate_of.as_deref(), Some("c"));
}

/// Two headlines of one ECB story, the earlier-dated one pruned. A third headline shares two words with
/// the pruned one ("ECB", "euro") and one with the one left ("ECB"): the story is no candidate for it,
/// as in the store opened again, because the words the story no longer holds no longer list it.
#[test]
fn a_removed_headlines_words_no_longer_lead_to_its_story() {
    let rows = crate::uci_rows();
    let dated = |id: &str, n: usize, day: u32| {
        let mut a = Article::new(id.to_string(), rows[n].1.as_str());
        a.published = Some(format!("2024-01-{day:02}T12:00:00Z").into());
        a
    };
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    for article in [dated("a", 20, 24), dated("b", 21, 23)] {
        engine.ingest(&article).unwrap();
    }
    let before = storyhash::Timestamp::parse("2024-01-24T00:00:00Z").unwrap();
    assert_eq!(engine.prune_at(before, before).unwrap(), 1);
    let kept_open = engine.query(&dated("c", 30, 23)).unwrap();
    engine.flush().unwrap();
    drop(engine);
    let reopened = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    assert_eq!(kept_open, reopened.query(&dated("c", 30, 23)).unwrap());
}
