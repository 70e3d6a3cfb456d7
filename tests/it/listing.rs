//! The trending and detail lookups read listings kept up to date commit by commit (and rebuilt at open);
//! these tests hold them against a scan of every stored article, through merges, removals, a prune and a
//! reopen.

use std::collections::{BTreeMap, HashMap};

use storyhash::{Article, Engine, EngineConfig, Linkage};

/// Articles of the UCI sample with times spread over 60 days (a fixed pseudo-random walk), so that a
/// period cuts through stories.
fn articles() -> Vec<(String, String, String, i64)> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    crate::uci_rows()
        .into_iter()
        .map(|(id, title, _)| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let time = 1_400_000_000 + (x % (60 * 86_400)) as i64;
            let source = format!("source-{}", x % 37);
            (id, title, source, time)
        })
        .collect()
}

/// The URL an article of these tests gives: none for ids that end in 0 or 5, so that some have none.
fn url_of(id: &str) -> Option<String> {
    (!id.ends_with('0') && !id.ends_with('5')).then(|| format!("https://example.com/{id}"))
}

fn published(t: i64) -> String {
    storyhash::time::format_rfc3339(t)
}

/// The trending list as a scan of every live article computes it: `(id, growth, last)`.
fn scanned(
    engine: &Engine,
    live: &[(String, i64)],
    since: i64,
    story: bool,
) -> Vec<(u64, u64, i64)> {
    let mut groups: HashMap<u64, (u64, i64)> = HashMap::new();
    for (id, time) in live {
        let a = engine.get(id).unwrap().expect("live article");
        let g = if story { a.story } else { a.cluster };
        let e = groups.entry(g).or_insert((0, i64::MIN));
        if *time >= since {
            e.0 += 1;
        }
        e.1 = e.1.max(*time);
    }
    let mut ranked: Vec<(u64, u64, i64)> = groups
        .into_iter()
        .filter(|(_, (n, _))| *n > 0)
        .map(|(g, (n, last))| (g, n, last))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    ranked
}

fn check(engine: &Engine, live: &[(String, i64)]) {
    let times: Vec<i64> = live.iter().map(|(_, t)| *t).collect();
    let (lo, hi) = (*times.iter().min().unwrap(), *times.iter().max().unwrap());
    // Periods on both sides of the middle: the listing reads whichever side is smaller.
    for since in [
        i64::MIN,
        lo,
        lo + (hi - lo) / 10,
        (lo + hi) / 2,
        hi - (hi - lo) / 10,
        hi,
        hi + 1,
    ] {
        let want = scanned(engine, live, since, false);
        let got: Vec<(u64, u64, i64)> = engine
            .trending(since, 25)
            .unwrap()
            .into_iter()
            .map(|t| (t.id, t.growth, t.last_seen.unix_seconds()))
            .collect();
        assert_eq!(
            got,
            want.into_iter().take(25).collect::<Vec<_>>(),
            "clusters since {since}"
        );
        let want = scanned(engine, live, since, true);
        // Bins divide `since..hi` when there is such a period.
        let bins = if since < hi { 4 } else { 0 };
        let got: Vec<(u64, u64, i64)> = engine
            .trending_stories(since, hi, 25, bins)
            .unwrap()
            .into_iter()
            .map(|t| (t.id, t.growth, t.last_seen.unix_seconds()))
            .collect();
        assert_eq!(
            got,
            want.into_iter().take(25).collect::<Vec<_>>(),
            "stories since {since}"
        );
    }
    // A story's latest headline is that of its member of the latest time (of those alike, the last to
    // arrive).
    for story in engine.trending_stories(i64::MIN, hi, 25, 0).unwrap() {
        let (latest, _) = live
            .iter()
            .filter(|(id, _)| engine.get(id).unwrap().unwrap().story == story.id)
            .max_by_key(|(_, t)| *t)
            .expect("a listed story has a live member");
        let title = engine.get(latest).unwrap().unwrap().article.title;
        assert_eq!(story.latest, title, "story {}", story.id);
    }
    // Every cluster and story lists exactly its live members, in ingest order.
    let mut clusters: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    let mut stories: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for (id, _) in live {
        let a = engine.get(id).unwrap().unwrap();
        clusters.entry(a.cluster).or_default().push(id.clone());
        stories.entry(a.story).or_default().push(id.clone());
    }
    let order: HashMap<&str, usize> = live
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.as_str(), i))
        .collect();
    for (groups, story) in [(&mut clusters, false), (&mut stories, true)] {
        for (&g, ids) in groups.iter_mut() {
            ids.sort_by_key(|id| order[id.as_str()]);
            let detail = if story {
                engine.story_detail(g, 0, 10_000).unwrap()
            } else {
                engine.cluster_detail(g, 0, 10_000).unwrap()
            }
            .unwrap_or_else(|| panic!("group {g} has members"));
            for m in &detail.members {
                let stored = engine.get(&m.id).unwrap().unwrap().article;
                assert_eq!(
                    (m.title.as_str(), m.source.as_deref(), m.url.as_deref()),
                    (
                        &*stored.title,
                        stored.source.as_deref(),
                        stored.url.as_deref()
                    )
                );
                assert_eq!(m.url, url_of(&m.id));
            }
            let listed: Vec<String> = detail.members.into_iter().map(|m| m.id).collect();
            assert_eq!(
                &listed,
                ids,
                "members of {} {g}",
                if story { "story" } else { "cluster" }
            );
        }
    }
    let overview = engine.overview();
    assert_eq!(overview.articles as usize, live.len());
    assert_eq!(overview.clusters as usize, clusters.len());
    assert_eq!(overview.stories as usize, stories.len());
    assert_eq!(
        engine.story_count() as usize,
        stories.len(),
        "counted alone"
    );
    assert_eq!(
        (overview.oldest, overview.newest),
        (Some(lo.into()), Some(hi.into()))
    );
    let sizes: u64 = engine
        .cluster_sizes()
        .iter()
        .map(|(size, n)| size * n)
        .sum();
    assert_eq!(sizes as usize, live.len());
}

fn exercise(linkage: Linkage) {
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        linkage,
        ..EngineConfig::default()
    };
    let rows = articles();
    let engine = Engine::open(dir.path().join("db"), config.clone()).unwrap();
    // Built empty, then kept up to date through every commit.
    engine.prepare_listing();
    let mut live: Vec<(String, i64)> = Vec::new();
    for chunk in rows.chunks(300) {
        let batch: Vec<Article> = chunk
            .iter()
            .map(|(id, title, source, t)| {
                Article::new(id.as_str(), title.as_str())
                    .with_source(source.as_str())
                    .with_url_opt(url_of(id))
                    .with_published(published(*t))
            })
            .collect();
        for r in engine.ingest_batch(&batch) {
            r.unwrap();
        }
        live.extend(chunk.iter().map(|(id, _, _, t)| (id.clone(), *t)));
    }
    check(&engine, &live);
    // Removals, among them founders of clusters and stories.
    for (id, _, _, _) in rows.iter().step_by(7) {
        assert!(engine.remove(id).unwrap());
    }
    live.retain(|(id, _)| engine.get(id).unwrap().is_some());
    check(&engine, &live);
    // A prune drops the oldest quarter.
    let mut times: Vec<i64> = live.iter().map(|(_, t)| *t).collect();
    times.sort_unstable();
    let cut = times[times.len() / 4];
    engine.prune(cut).unwrap();
    live.retain(|(_, t)| *t >= cut);
    check(&engine, &live);
    engine.flush().unwrap();
    drop(engine);
    // Rebuilt at open, with the sources read from the records.
    let engine = Engine::lock_store(dir.path().join("db"), config)
        .unwrap()
        .open_listed()
        .unwrap();
    check(&engine, &live);
    // Changed after the rebuild: a removal and a copy that touch the oldest groups, whose ids lie far
    // below those the rebuilt ranking holds.
    let (oldest, _) = live[0].clone();
    assert!(engine.remove(&oldest).unwrap());
    live.remove(0);
    check(&engine, &live);
    let (_, title, source, t) = rows
        .iter()
        .find(|(id, ..)| *id == live[0].0)
        .unwrap()
        .clone();
    engine
        .ingest(
            &Article::new("copy-of-the-oldest", title.as_str())
                .with_source(source.as_str())
                .with_url_opt(url_of("copy-of-the-oldest"))
                .with_published(published(t)),
        )
        .unwrap();
    live.push(("copy-of-the-oldest".to_string(), t));
    check(&engine, &live);
    let story = engine.trending_stories(i64::MIN, i64::MAX, 1, 0).unwrap()[0].id;
    let folded = engine.story_clusters(story, 100, 100).unwrap().unwrap();
    let in_clusters: u64 = folded.clusters.iter().map(|c| c.size).sum();
    assert_eq!(
        in_clusters, folded.size,
        "the story's clusters hold all its members"
    );
    for c in &folded.clusters {
        let repeats: u64 = c.members.iter().map(|m| m.repeats).sum();
        assert!(repeats <= c.size);
        assert_eq!(c.members.len() as u64, c.texts.min(100));
        assert!(c.sources >= 1 && c.sources <= c.size);
    }
}

#[test]
fn listings_match_a_scan_of_every_article_with_best_linkage() {
    exercise(Linkage::Best);
}

#[test]
fn listings_match_a_scan_of_every_article_through_merges() {
    exercise(Linkage::Single);
}

#[test]
fn a_repeated_headline_is_one_line_with_its_count() {
    let engine = Engine::in_memory(EngineConfig::default()).unwrap();
    let title = "Portugal's Democratic Alliance Stands Firm on Governance";
    for n in 0..5 {
        engine
            .ingest(&Article::new(format!("crawl-{n}"), title).with_source("Devdiscourse"))
            .unwrap();
    }
    engine
        .ingest(
            &Article::new(
                "other",
                "Portugal's Democratic Alliance stands firm on governance, says leader",
            )
            .with_source("Reuters"),
        )
        .unwrap();
    let story = engine.get("crawl-0").unwrap().unwrap().story;
    let folded = engine.story_clusters(story, 10, 10).unwrap().unwrap();
    let cluster = &folded.clusters[0];
    assert_eq!(cluster.members[0].repeats, 5);
    assert_eq!(cluster.members[0].title, title);
    assert_eq!(
        cluster.members.iter().filter(|m| m.title == title).count(),
        1
    );
    assert_eq!(folded.sources, 2);
}
