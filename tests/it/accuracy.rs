//! Accuracy on real news: the labelled UCI sample and the seed page a crawler saw.

use std::collections::HashMap;

use storyhash::eval::pairwise;
use storyhash::{Article, Engine, EngineConfig, Status};

/// The UCI sample with its publication times, as `storyhash eval` reads it: `(article, gold story)`.
fn uci_articles() -> Vec<(Article<'static>, String)> {
    let text = std::fs::read_to_string(crate::repo_data("uci-stories-dev.jsonl")).unwrap();
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let field = |f: &str| v[f].as_str().unwrap().to_string();
            let article = Article::new(field("id"), field("title"))
                .with_source(field("source"))
                .with_published(field("published"));
            (article, field("story"))
        })
        .collect()
}

/// The measured figures of docs/ACCURACY.md, each pinned to within 0.02: near-duplicate precision and
/// story-level F1 on the UCI sample (gold: its stories).
#[test]
fn uci_figures_hold_at_both_levels() {
    let rows = uci_articles();
    let engine = Engine::in_memory(EngineConfig::default()).unwrap();
    let articles: Vec<Article<'_>> = rows.iter().map(|(a, _)| a.borrowed()).collect();
    let verdicts: Vec<_> = engine
        .ingest_batch(&articles)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let near = pairwise(
        verdicts
            .iter()
            .zip(&rows)
            .map(|(v, (_, gold))| (engine.resolve(v.cluster), gold.clone())),
    );
    let story = pairwise(
        verdicts
            .iter()
            .zip(&rows)
            .map(|(v, (_, gold))| (engine.resolve_story(v.story), gold.clone())),
    );
    assert!(
        near.precision >= 0.9736 - 0.02,
        "near-duplicate precision {near:?}"
    );
    assert!(story.f1 >= 0.8607 - 0.02, "story F1 {story:?}");
    assert!(
        story.precision >= 0.9796 - 0.02,
        "story precision {story:?}"
    );
    // A near-duplicate cluster whose copies all come within a day (the story gap) lies inside one
    // story; copies that return after their story closed may start another (Titanfall's reviews, two
    // days apart in this sample).
    let mut span_of_cluster: HashMap<u64, (i64, i64, Vec<u64>)> = HashMap::new();
    for (v, (article, _)) in verdicts.iter().zip(&rows) {
        let time = storyhash::Timestamp::parse(article.published.as_deref().unwrap())
            .unwrap()
            .unix_seconds();
        let entry =
            span_of_cluster
                .entry(engine.resolve(v.cluster))
                .or_insert((time, time, Vec::new()));
        entry.0 = entry.0.min(time);
        entry.1 = entry.1.max(time);
        entry.2.push(engine.resolve_story(v.story));
    }
    let mut within_a_day = 0;
    for (cluster, (first, last, stories)) in &span_of_cluster {
        if last - first <= 86_400 {
            within_a_day += 1;
            assert!(
                stories.iter().all(|&s| s == stories[0]),
                "cluster {cluster} spans stories {stories:?}"
            );
        }
    }
    assert!(within_a_day > 2_000, "{within_a_day}");
}

#[test]
fn stories_are_the_same_streamed_in_batches_or_one_at_a_time_and_across_a_reopen() {
    let rows = uci_articles();
    let articles: Vec<Article<'_>> = rows.iter().map(|(a, _)| a.borrowed()).collect();
    let one = Engine::in_memory(EngineConfig::default()).unwrap();
    let single: Vec<_> = articles.iter().map(|a| one.ingest(a).unwrap()).collect();
    // Half, close, reopen, the other half: the story state is rebuilt from the store.
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = articles.split_at(articles.len() / 2);
    let mut stored = Vec::new();
    {
        let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
        stored.extend(engine.ingest_batch(first).into_iter().map(Result::unwrap));
        engine.flush().unwrap();
    }
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    stored.extend(engine.ingest_batch(second).into_iter().map(Result::unwrap));
    let stories = |vs: &[storyhash::Verdict]| vs.iter().map(|v| v.story).collect::<Vec<_>>();
    assert_eq!(stories(&single), stories(&stored));
    assert_eq!(single, stored);
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

#[test]
fn uci_spelling_variants_share_a_cluster_and_clusters_are_precise() {
    let rows = crate::uci_rows();
    let engine = Engine::in_memory(EngineConfig::default()).unwrap();
    let articles: Vec<Article<'_>> = rows
        .iter()
        .map(|(id, title, _)| Article::new(id.as_str(), title.as_str()))
        .collect();
    for r in engine.ingest_batch(&articles) {
        r.unwrap();
    }
    let cluster_of = |title: &str| {
        let (id, _, _) = rows
            .iter()
            .find(|(_, t, _)| t == title)
            .expect("title in the sample");
        engine.get(id).unwrap().unwrap().cluster
    };
    assert_eq!(
        cluster_of("ECB unlikely to end sterilisation of SMP purchases - traders"),
        cluster_of("ECB unlikely to end sterilization of SMP purchases: traders")
    );
    // Pairwise precision: of all pairs that share a cluster, the share that share a gold story.
    let mut joint: HashMap<(u64, &str), u64> = HashMap::new();
    let mut by_cluster: HashMap<u64, u64> = HashMap::new();
    for (id, _, story) in &rows {
        let c = engine.get(id).unwrap().unwrap().cluster;
        *joint.entry((c, story.as_str())).or_default() += 1;
        *by_cluster.entry(c).or_default() += 1;
    }
    let true_pairs: u64 = joint.values().map(|&n| pairs(n)).sum();
    let predicted_pairs: u64 = by_cluster.values().map(|&n| pairs(n)).sum();
    assert!(
        predicted_pairs > 500,
        "only {predicted_pairs} pairs clustered"
    );
    let precision = true_pairs as f64 / predicted_pairs as f64;
    assert!(
        precision >= 0.95,
        "pairwise precision {precision:.3} over {predicted_pairs} pairs"
    );
}

/// The seed page's non-empty lines.
fn seed_lines() -> Option<Vec<String>> {
    let path = crate::shared_data("seed/devdiscourse-2025-05-20.txt")?;
    let text = std::fs::read_to_string(path).expect("read the seed page");
    Some(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
    )
}

#[test]
fn seed_page_headlines_printed_twice_share_a_cluster() {
    let Some(lines) = seed_lines() else { return };
    let engine = Engine::in_memory(EngineConfig::default()).unwrap();
    let mut verdicts = HashMap::new();
    for (i, line) in lines.iter().enumerate() {
        let v = engine
            .ingest(&Article::new(i.to_string(), line.as_str()))
            .unwrap();
        verdicts
            .entry(line.clone())
            .or_insert_with(Vec::new)
            .push(v);
    }
    for headline in [
        "High-Stakes Diplomacy: U.S.-Russia Prisoner Exchange Negotiations",
        "Portugal's Political Earthquake: A Surge in Populism",
        "Portugal's Democratic Alliance Stands Firm on Governance",
        "Milei's Libertarian Surge: Buenos Aires Votes for Freedom",
        "Dollar Downturn Amid Credit Downgrade and Trade Tensions",
    ] {
        let vs = &verdicts[headline];
        assert_eq!(vs.len(), 2, "{headline} is printed twice");
        assert_eq!(vs[0].cluster, vs[1].cluster, "{headline}");
        assert_eq!(vs[1].status, Status::Duplicate, "{headline}");
    }
    let populism = &verdicts["Portugal's Political Earthquake: A Surge in Populism"][0];
    let alliance = &verdicts["Portugal's Democratic Alliance Stands Firm on Governance"][0];
    assert_ne!(
        populism.cluster, alliance.cluster,
        "different Portugal stories are not near-duplicates"
    );
    // At the story level they share only "Portugal": one shared word, however rare, is not a story
    // (a country's name alone would otherwise gather all its news). The trending box's other headlines
    // stay apart too.
    assert_ne!(populism.story, alliance.story, "{populism:?} {alliance:?}");
    let milei = &verdicts["Milei's Libertarian Surge: Buenos Aires Votes for Freedom"][0];
    let dollar = &verdicts["Dollar Downturn Amid Credit Downgrade and Trade Tensions"][0];
    assert_ne!(milei.story, populism.story);
    assert_ne!(dollar.story, populism.story);
}

#[test]
fn seed_article_body_with_and_without_desk_and_credit_lines_is_one_near_duplicate() {
    let Some(lines) = seed_lines() else { return };
    let title = "High-Stakes Diplomacy: U.S.-Russia Prisoner Exchange Negotiations";
    let desk = lines
        .iter()
        .find(|l| l.contains("News Desk"))
        .expect("desk line")
        .clone();
    let start = lines
        .iter()
        .position(|l| l.starts_with("In a significant"))
        .expect("body start");
    let credit = lines
        .iter()
        .position(|l| l.starts_with("(With inputs from"))
        .expect("credit line");
    let paragraphs = &lines[start..credit];
    let with_boilerplate = format!("{desk}\n\n{}\n\n{}", paragraphs.join("\n\n"), lines[credit]);
    let bare = paragraphs.join("\n\n");
    let engine = Engine::in_memory(EngineConfig::default()).unwrap();
    let a = engine
        .ingest(&Article::new("page", title).with_body(with_boilerplate))
        .unwrap();
    let b = engine
        .ingest(&Article::new("wire", title).with_body(bare.clone()))
        .unwrap();
    assert_ne!(b.status, Status::New);
    assert_eq!(a.cluster, b.cluster);
    // A rewritten headline over the same wire body is still the same article.
    let c = engine
        .ingest(
            &Article::new(
                "rewrite",
                "Trump and Putin weigh swap of nine prisoners each",
            )
            .with_body(bare),
        )
        .unwrap();
    assert_eq!(c.cluster, a.cluster, "{c:?}");
    assert_eq!(c.status, Status::NearDuplicate);
}

/// STS headline pairs (positive: score >= 4): F1 of "the second lands in the first's cluster", pinned to
/// within 0.02 of the figure in docs/ACCURACY.md.
#[test]
fn sts_pair_decisions_hold() {
    let Some(path) = crate::shared_data("sts-headlines-dev.jsonl") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let outcomes: Vec<(bool, bool)> = text
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let engine = Engine::in_memory(EngineConfig::default()).unwrap();
            let a = engine
                .ingest(&Article::new("a", v["sentence_a"].as_str().unwrap()))
                .unwrap();
            let b = engine
                .query(&Article::new("b", v["sentence_b"].as_str().unwrap()))
                .unwrap();
            (b.cluster == a.cluster, v["score"].as_f64().unwrap() >= 4.0)
        })
        .collect();
    let scores = storyhash::eval::decisions(outcomes);
    assert!(scores.f1 >= 0.4519 - 0.02, "{scores:?}");
}

/// STS headline pairs at the story level: every headline through one engine in file order (as `storyhash
/// eval --level story` runs them), the share of pairs scored >= 4 that share a story and of pairs scored
/// < 1 that do: the first pinned to within 0.02 of docs/ACCURACY.md, the second to its target.
#[test]
fn sts_story_level_pairs_hold() {
    let Some(path) = crate::shared_data("sts-headlines-dev.jsonl") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let rows: Vec<(String, String, f64)> = text
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let field = |name: &str| v[name].as_str().unwrap().to_string();
            let score = v["score"].as_f64().unwrap();
            (field("sentence_a"), field("sentence_b"), score)
        })
        .collect();
    let engine = Engine::in_memory(EngineConfig::default()).unwrap();
    let articles: Vec<Article<'_>> = rows
        .iter()
        .enumerate()
        .flat_map(|(i, (a, b, _))| {
            [
                Article::new(format!("a{i}"), a.as_str()),
                Article::new(format!("b{i}"), b.as_str()),
            ]
        })
        .collect();
    let stories: Vec<u64> = engine
        .ingest_batch(&articles)
        .into_iter()
        .map(|v| engine.resolve_story(v.unwrap().story))
        .collect();
    let share_together = |keep: &dyn Fn(f64) -> bool| {
        let pairs: Vec<bool> = rows
            .iter()
            .zip(stories.chunks(2))
            .filter(|((_, _, score), _)| keep(*score))
            .map(|(_, ab)| ab[0] == ab[1])
            .collect();
        pairs.iter().filter(|&&t| t).count() as f64 / pairs.len() as f64
    };
    let positives = share_together(&|score| score >= 4.0);
    let negatives = share_together(&|score| score < 1.0);
    assert!(positives >= 0.9112 - 0.02, "positives together {positives}");
    // At most one pair in ten scored below 1 in one story: the target (the figure is 18 of 205), tighter
    // than the 0.02 the other figures are pinned to.
    assert!(negatives <= 0.10, "negatives together {negatives}");
}
