//! Stories are events: they end when they go quiet or have run for a week, stories of one event merge,
//! and merges hold after a reopen, in `dedupe`'s output and in the library's answers.

use storyhash::{Article, Engine, EngineConfig, Verdict};

use crate::cli::{lines, storyhash, write};

/// A headline published `hours` after midnight on 2025-06-01 (UTC).
fn at(id: &str, title: &str, hours: u32) -> Article<'static> {
    let (day, hour) = (1 + hours / 24, hours % 24);
    Article::new(id.to_string(), title.to_string())
        .with_published(format!("2025-06-{day:02}T{hour:02}:00:00Z"))
}

#[test]
fn a_story_ends_after_a_quiet_day_and_a_copy_of_its_headline_weeks_later_stays_in_it() {
    let engine = Engine::in_memory(EngineConfig::default()).unwrap();
    let ingest = |a: Article<'_>| engine.ingest(&a).unwrap();
    let first = ingest(at("1", "Wildfire forces evacuations near Los Angeles", 0));
    let follow = ingest(at(
        "2",
        "Los Angeles wildfire evacuations widen as winds rise",
        10,
    ));
    assert_eq!(follow.story, first.story, "ten hours later: one event");
    // Thirty-eight quiet hours later (more than the one-day gap): a new story.
    let later = ingest(at("3", "Los Angeles wildfire evacuations lifted", 48));
    assert_ne!(later.story, first.story);
    // A copy of the first headline while its story is quiet but within its week is judged by its
    // words, as the first of a new burst: it joins the open story of its day.
    let copy_that_day = ingest(at("4", "Wildfire forces evacuations near Los Angeles", 60));
    assert_eq!(copy_that_day.cluster, first.cluster);
    assert_eq!(copy_that_day.story, later.story);
    // Three weeks on, both stories have run their week. A copy of the first headline keeps the story
    // its text is in, as the library's query says beforehand; that story still takes no other article.
    let late = at("5", "Wildfire forces evacuations near Los Angeles", 21 * 24);
    assert_eq!(engine.query(&late).unwrap().story, later.story);
    let copy = ingest(late);
    assert_eq!(copy.cluster, first.cluster);
    assert_eq!(copy.story, later.story);
    let news = ingest(at(
        "6",
        "Los Angeles wildfire evacuations ordered again",
        21 * 24 + 1,
    ));
    assert_ne!(news.story, later.story);
    assert_ne!(news.story, first.story);
}

#[test]
fn a_story_runs_for_a_week_at_most_however_busy() {
    let engine = Engine::in_memory(EngineConfig::default()).unwrap();
    let mut stories = Vec::new();
    for day in 0..10u32 {
        let v = engine
            .ingest(&at(
                &day.to_string(),
                &format!(
                    "Los Angeles wildfire evacuations continue on day {}",
                    day + 1
                ),
                day * 24,
            ))
            .unwrap();
        stories.push(engine.resolve_story(v.story));
    }
    assert!(stories[..8].iter().all(|&s| s == stories[0]), "{stories:?}");
    assert_ne!(stories[8], stories[0], "{stories:?}");
}

/// Two stories of one event, kept apart because each names one contestant, and an article naming both.
fn finale() -> Vec<Article<'static>> {
    vec![
        at("nikki", "Last night Nikki Ferrell won the final rose", 0),
        at(
            "clare",
            "After the final rose Clare Crawley is heartbroken",
            1,
        ),
        at(
            "both",
            "Final rose goes to Nikki Ferrell and leaves a heartbroken Clare Crawley",
            2,
        ),
        at("later", "Clare Crawley speaks after the final rose", 3),
    ]
}

fn check_merged(engine: &Engine, verdicts: &[Verdict]) {
    let story = verdicts[0].story;
    assert_ne!(verdicts[1].story, story, "apart until the bridge");
    assert_eq!(verdicts[2].story, story, "the bridge joins the older story");
    assert_eq!(engine.resolve_story(verdicts[1].story), story);
    for id in ["nikki", "clare", "both"] {
        assert_eq!(engine.get(id).unwrap().unwrap().story, story, "{id}");
    }
    let detail = engine
        .story_detail(verdicts[1].story, 0, 10)
        .unwrap()
        .unwrap();
    assert_eq!(detail.id, story);
    assert_eq!(detail.story, story);
    let members: Vec<&str> = detail.members.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(&members[..3], ["nikki", "clare", "both"]);
}

#[test]
fn a_headline_repeated_for_weeks_stays_in_its_story_across_a_reopen() {
    // One content word: no copy can join a story by its words, only by following an earlier copy.
    let copy = |i: u32| at(&i.to_string(), "Earthquake!", i * 12);
    let dir = tempfile::tempdir().unwrap();
    let mut stories = Vec::new();
    {
        let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
        for i in 0..=30 {
            stories.push(engine.ingest(&copy(i)).unwrap().story);
        }
        engine.flush().unwrap();
    }
    // Past the story's week (copy 15 on) and across a reopen, the copies keep the story of the first.
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    for i in 31..=40 {
        stories.push(engine.ingest(&copy(i)).unwrap().story);
    }
    assert!(stories.iter().all(|&s| s == stories[0]), "{stories:?}");
    let detail = engine.story_detail(stories[0], 0, 1).unwrap().unwrap();
    assert_eq!(detail.size, 41);
}

#[test]
fn a_copy_whose_first_copy_in_the_batch_has_a_closed_story_is_decided_by_its_words() {
    // The copy comes three days after the first, in the same batch: the first's story is closed to it,
    // so it founds a story with its own words, which the follow-up then joins.
    let articles = [
        at("first", "Earthquake shakes Chile coast", 0),
        at("copy", "Earthquake shakes Chile coast", 72),
        at("follow-up", "Chile coast earthquake toll rises", 73),
    ];
    let one_by_one = Engine::in_memory(EngineConfig::default()).unwrap();
    let alone: Vec<Verdict> = articles
        .iter()
        .map(|a| one_by_one.ingest(a).unwrap())
        .collect();
    assert_ne!(alone[1].story, alone[0].story);
    assert_eq!(alone[2].story, alone[1].story);
    let batched = Engine::in_memory(EngineConfig::default()).unwrap();
    assert_eq!(ingest_all(&batched, &articles), alone);
}

#[test]
fn merged_stories_stay_merged_across_a_reopen() {
    let articles = finale();
    let memory = Engine::in_memory(EngineConfig::default()).unwrap();
    let mut all: Vec<Verdict> = articles[..2]
        .iter()
        .map(|a| memory.ingest(a).unwrap())
        .collect();
    // Listed before the merge, the two stories are apart; the listing follows the merge as it happens.
    let clare = memory.story_detail(all[1].story, 0, 10).unwrap().unwrap();
    assert_eq!((clare.id, clare.size), (all[1].story, 1));
    all.extend(articles[2..].iter().map(|a| memory.ingest(a).unwrap()));
    check_merged(&memory, &all);
    assert_eq!(
        all[3].story, all[0].story,
        "later articles find the merged story"
    );

    let dir = tempfile::tempdir().unwrap();
    let mut stored = Vec::new();
    {
        let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
        stored.extend(articles[..3].iter().map(|a| engine.ingest(a).unwrap()));
        engine.flush().unwrap();
    }
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    check_merged(&engine, &stored);
    stored.push(engine.ingest(&articles[3]).unwrap());
    assert_eq!(stored, all);
}

#[test]
fn dedupe_writes_each_article_s_story_as_it_stands_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let input: String = finale()
        .iter()
        .map(|a| {
            serde_json::json!({
                "id": a.id,
                "title": a.title,
                "published": a.published.as_deref(),
            })
            .to_string()
                + "\n"
        })
        .collect();
    let path = write(dir.path(), "finale.jsonl", input.as_bytes());
    let out = storyhash(&["dedupe", &path, "--quiet"]);
    assert!(out.status.success(), "{out:?}");
    let verdicts = lines(&out.stdout);
    assert_eq!(verdicts.len(), 4);
    assert!(
        verdicts.iter().all(|v| v["story"] == verdicts[0]["story"]),
        "{verdicts:?}"
    );
}

/// `articles` ingested as one batch, each accepted.
fn ingest_all(engine: &Engine, articles: &[Article<'_>]) -> Vec<Verdict> {
    engine
        .ingest_batch(articles)
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

/// The first `n` headlines of the real news archive (`news-archive-headlines.jsonl.gz`), with their
/// sources and, if `timed`, their first-seen times as publication times.
fn news_archive(n: usize, timed: bool) -> Option<Vec<Article<'static>>> {
    let path = crate::shared_data("news-archive-headlines.jsonl.gz")?;
    let out = std::process::Command::new("gzip")
        .arg("-dc")
        .arg(&path)
        .output()
        .expect("run gzip");
    assert!(out.status.success(), "gzip -dc {}", path.display());
    let text = String::from_utf8_lossy(&out.stdout);
    let articles: Vec<Article<'static>> = text
        .lines()
        .take(n)
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let field = |f: &str| v[f].as_str().expect("a text field").to_string();
            let article =
                Article::new(v["id"].to_string(), field("title")).with_source(field("source"));
            if timed {
                article.with_published(field("first_seen") + ":00Z")
            } else {
                article
            }
        })
        .collect();
    assert_eq!(articles.len(), n, "the archive is shorter than {n}");
    Some(articles)
}

#[test]
fn a_store_reopened_anywhere_goes_on_deciding_as_if_never_closed() {
    // A busy real feed: stories merge, and common words list more stories than each word keeps.
    let Some(articles) = news_archive(5_000, true) else {
        return;
    };
    reopened_anywhere_decides_alike(&articles, &EngineConfig::default());
    // The same without times, stories ending by the count of articles: a reopen counts from where the
    // store left off.
    let Some(untimed) = news_archive(5_000, false) else {
        return;
    };
    let counted = EngineConfig {
        story_gap_articles: Some(150),
        ..EngineConfig::default()
    };
    reopened_anywhere_decides_alike(&untimed, &counted);
}

#[test]
fn a_feed_shown_again_weeks_later_decides_alike_across_reopens() {
    // Real headlines, then each again ten days on (or, untimed, thousands of articles on): every copy
    // keeps the story of its text, which has run its span, including copies that come after a reopen.
    let Some(first) = news_archive(2_500, true) else {
        return;
    };
    let again = |a: &Article<'static>| {
        let published = a.published.as_deref().expect("timed");
        let time = storyhash::time::parse_timestamp(published).expect("an RFC 3339 time");
        Article::new(format!("again-{}", a.id), a.title.to_string())
            .with_source(a.source.as_deref().unwrap_or_default().to_string())
            .with_published(storyhash::time::format_rfc3339(time + 10 * 86_400))
    };
    let mut articles = first.clone();
    articles.extend(first.iter().map(again));
    reopened_anywhere_decides_alike(&articles, &EngineConfig::default());
    let memory = Engine::in_memory(EngineConfig::default()).unwrap();
    let verdicts = ingest_all(&memory, &articles);
    let kept = (0..2_500)
        .filter(|&i| verdicts[i + 2_500].status == storyhash::Status::Duplicate)
        .filter(|&i| verdicts[i + 2_500].story == verdicts[i].story)
        .count();
    assert!(
        kept > 2_000,
        "{kept} of 2,500 copies kept their text's story"
    );
    let untimed: Vec<Article<'static>> = articles
        .iter()
        .map(|a| Article::new(a.id.to_string(), a.title.to_string()))
        .collect();
    let counted = EngineConfig {
        story_gap_articles: Some(150),
        ..EngineConfig::default()
    };
    reopened_anywhere_decides_alike(&untimed, &counted);
}

/// Checks that `articles`, ingested into a store closed and reopened at three points, get the verdicts
/// and end in the clusters and stories of one engine that never closed.
fn reopened_anywhere_decides_alike(articles: &[Article<'_>], config: &EngineConfig) {
    let memory = Engine::in_memory(config.clone()).unwrap();
    let all = ingest_all(&memory, articles);
    for split in [1_250, 2_500, 3_750] {
        let dir = tempfile::tempdir().unwrap();
        {
            let engine = Engine::open(dir.path(), config.clone()).unwrap();
            ingest_all(&engine, &articles[..split]);
            engine.flush().unwrap();
        }
        let engine = Engine::open(dir.path(), config.clone()).unwrap();
        let after = ingest_all(&engine, &articles[split..]);
        for (v, w) in after.iter().zip(&all[split..]) {
            assert_eq!(v, w, "reopened after {split} articles");
        }
        // Stories as they stand at the end are those of the engine never closed.
        for a in articles {
            let got = engine.get(&a.id).unwrap().unwrap();
            let want = memory.get(&a.id).unwrap().unwrap();
            assert_eq!(
                (got.cluster, got.story),
                (want.cluster, want.story),
                "{}",
                a.id
            );
        }
    }
}

#[test]
fn without_times_a_file_s_order_can_end_its_stories() {
    // A story, then 250 articles about other things, then the story again. Without times, `dedupe`
    // takes the articles as arriving together: one story, unless told to count articles as time.
    let mut text = String::from("Wildfire forces evacuations near Los Angeles\n");
    for n in 0..250 {
        text.push_str(&format!("Council {n} approves budget for district {n}\n"));
    }
    text.push_str("Los Angeles wildfire evacuations grow as winds rise\n");
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.txt", text.as_bytes());
    let run = |flags: &[&str]| {
        let mut args = vec!["dedupe", input.as_str(), "-o", "-"];
        args.extend_from_slice(flags);
        let out = storyhash(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = lines(&out.stdout);
        let said = String::from_utf8_lossy(&out.stderr).into_owned();
        (v[0]["story"] == v[251]["story"], said)
    };
    let (together, said) = run(&[]);
    assert!(together, "arrival times alone: one story");
    assert!(said.contains("--story-gap-articles N"), "{said}");
    let (together, said) = run(&["--story-gap-articles", "200"]);
    assert!(!together, "250 articles later: a new story");
    assert!(said.contains("once 200 articles came after"), "{said}");
    let (together, _) = run(&["--story-gap-articles", "300"]);
    assert!(together);
    // A bad count is refused, naming the flag.
    let out = storyhash(&["dedupe", input.as_str(), "--story-gap-articles", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--story-gap-articles"));
}
