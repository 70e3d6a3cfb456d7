//! The library engine: verdicts, idempotency, removal, queries, persistence and parameter checks.

use std::sync::Arc;

use storyhash::{
    Article, ArticleError, EarlierTexts, Engine, EngineConfig, Error, ShingleKind, Status,
    StoreError, Verdict,
};

fn memory() -> Engine {
    Engine::in_memory(EngineConfig::default()).expect("in-memory engine")
}

#[test]
fn engine_is_send_and_sync() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<Engine>();
    // And it works across threads.
    let engine = Arc::new(memory());
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let engine = Arc::clone(&engine);
            std::thread::spawn(move || {
                for i in 0..50 {
                    let id = format!("{t}-{i}");
                    let title = format!("Thread {t} reports storm number {i} hits the coast");
                    engine.ingest(&Article::new(id, title)).expect("ingest");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    assert_eq!(engine.stats().articles, 200);
}

#[test]
fn duplicates_near_duplicates_and_new_stories() {
    let engine = memory();
    let a = engine
        .ingest(&Article::new(
            "a",
            "Fed holds interest rates steady as inflation cools",
        ))
        .unwrap();
    let b = engine
        .ingest(&Article::new(
            "b",
            "Fed holds interest rates steady as inflation cools - Reuters",
        ))
        .unwrap();
    let c = engine
        .ingest(&Article::new(
            "c",
            "Fed holds interest rates steady as US inflation cools",
        ))
        .unwrap();
    let d = engine
        .ingest(&Article::new(
            "d",
            "Wildfire forces thousands to flee in northern California",
        ))
        .unwrap();
    assert_eq!(a.status, Status::New);
    assert_eq!((a.cluster_size, a.duplicate_of.as_deref()), (1, None));
    assert_eq!(b.status, Status::Duplicate);
    assert_eq!(b.duplicate_of.as_deref(), Some("a"));
    assert_eq!(b.similarity, Some(1.0));
    assert_eq!(c.status, Status::NearDuplicate);
    assert_eq!(c.cluster, a.cluster);
    assert_eq!(c.cluster_size, 3);
    assert!(c.similarity.unwrap() >= 0.5 && c.similarity.unwrap() < 1.0);
    assert_eq!(d.status, Status::New);
    assert_ne!(d.cluster, a.cluster);
    let stats = engine.stats();
    assert_eq!(
        (
            stats.articles,
            stats.clusters,
            stats.duplicates,
            stats.near_duplicates,
            stats.new
        ),
        (4, 2, 1, 1, 2)
    );
}

#[test]
fn reingesting_an_id_is_idempotent_and_a_changed_text_is_a_conflict() {
    let engine = memory();
    let first = engine
        .ingest(&Article::new("x", "Storm closes schools across the region"))
        .unwrap();
    // Again, with a source that differs: the stored verdict, marked as a repeat, and nothing stored.
    let again = engine
        .ingest(&Article::new("x", "Storm closes schools across the region").with_source("Other"))
        .unwrap();
    assert!(!first.repeat && again.repeat, "{first:?} {again:?}");
    assert_eq!(
        Verdict {
            repeat: false,
            ..again
        },
        first
    );
    assert_eq!(engine.stats().articles, 1);
    assert_eq!(engine.get("x").unwrap().unwrap().article.source, None);
    // In a batch, the second of two alike is the repeat, and the query of a stored id says so too.
    let batch = engine.ingest_batch(&[
        Article::new("y", "Flood warning lifted for the valley"),
        Article::new("y", "Flood warning lifted for the valley"),
    ]);
    let repeats: Vec<bool> = batch.iter().map(|v| v.as_ref().unwrap().repeat).collect();
    assert_eq!(repeats, [false, true]);
    let asked = engine
        .query(&Article::new("y", "Flood warning lifted for the valley"))
        .unwrap();
    assert!(asked.repeat);
    let unseen = engine
        .query(&Article::new("z", "Flood warning lifted for the valley"))
        .unwrap();
    assert!(!unseen.repeat);
    let err = engine
        .ingest(&Article::new("x", "A different headline entirely"))
        .unwrap_err();
    assert!(
        matches!(err, Error::Article(ArticleError::IdConflict { ref id }) if id == "x"),
        "{err}"
    );
    assert!(err.to_string().contains("`x`"));
}

#[test]
fn bad_articles_are_rejected_with_their_id_and_nothing_else_is_lost() {
    let engine = memory();
    engine
        .ingest(&Article::new("ok", "Markets rally after jobs report"))
        .unwrap();
    let err = engine.ingest(&Article::new("blank", "   ")).unwrap_err();
    assert!(
        err.to_string().contains("`blank`") && err.to_string().contains("title"),
        "{err}"
    );
    let err = engine.ingest(&Article::new("", "No id")).unwrap_err();
    assert!(err.to_string().contains("id"), "{err}");
    let results = engine.ingest_batch(&[
        Article::new("1", "Markets rally after jobs report"),
        Article::new("2", ""),
        Article::new("3", "Volcano erupts in Iceland again"),
    ]);
    assert!(results[0].is_ok() && results[1].is_err() && results[2].is_ok());
    assert_eq!(engine.stats().articles, 3);
    assert!(engine.get("ok").unwrap().is_some());
}

#[test]
fn query_stores_nothing() {
    let engine = memory();
    engine
        .ingest(&Article::new(
            "a",
            "Apple unveils new iPhone with faster chip",
        ))
        .unwrap();
    let q = engine
        .query(&Article::new(
            "q",
            "Apple unveils new iPhone with a faster chip",
        ))
        .unwrap();
    assert_eq!(q.status, Status::NearDuplicate);
    assert_eq!(q.duplicate_of.as_deref(), Some("a"));
    assert_eq!(q.cluster_size, 2);
    assert!(engine.get("q").unwrap().is_none());
    assert_eq!(engine.stats().articles, 1);
    let fresh = engine
        .query(&Article::new("z", "Earthquake shakes Tokyo"))
        .unwrap();
    assert_eq!(fresh.status, Status::New);
}

/// A headline asked about without an id gets the verdict a fresh id would, whatever stored article an id
/// might name; its verdict's id is empty, `null` in JSON.
#[test]
fn a_text_is_asked_about_without_an_id() {
    let engine = memory();
    let stored = "Apple unveils new iPhone with faster chip";
    engine.ingest(&Article::new("a", stored)).unwrap();
    let edited = "Apple unveils new iPhone with a faster chip";
    let unnamed = engine.query_text(&Article::new("", edited)).unwrap();
    let named = engine.query(&Article::new("q", edited)).unwrap();
    assert_eq!(unnamed.id, "");
    assert_eq!(
        (
            unnamed.status,
            unnamed.duplicate_of.as_deref(),
            unnamed.cluster
        ),
        (named.status, named.duplicate_of.as_deref(), named.cluster)
    );
    assert_eq!(unnamed.status, Status::NearDuplicate);
    let json = serde_json::to_value(&unnamed).unwrap();
    assert_eq!(json["id"], serde_json::Value::Null);
    let back: storyhash::Verdict = serde_json::from_value(json).unwrap();
    assert_eq!(back, unnamed);
    // The id is not looked up: a stored id with another text is no conflict, its text is judged.
    let other = engine
        .query_text(&Article::new("a", "Earthquake shakes Tokyo"))
        .unwrap();
    assert_eq!((other.status, other.id.as_str()), (Status::New, "a"));
    assert!(engine
        .query(&Article::new("a", "Earthquake shakes Tokyo"))
        .is_err());
    // The text is still checked.
    let empty = engine.query_text(&Article::new("", " ")).unwrap_err();
    assert!(
        empty.to_string().contains("field `title` is empty"),
        "{empty}"
    );
    assert_eq!(engine.stats().articles, 1);
}

/// A query answers what ingesting the same article would, also for copies of a stored text within the
/// time window (an exact copy) and outside it (where the signature decides).
#[test]
fn a_query_answers_as_the_ingest_of_the_same_article() {
    let engine = Engine::in_memory(EngineConfig {
        window: Some(std::time::Duration::from_secs(86_400)),
        ..EngineConfig::default()
    })
    .unwrap();
    let dated = |id: &'static str, title: &'static str, day: u32| {
        let mut a = Article::new(id, title);
        a.published = Some(format!("2024-01-{day:02}T12:00:00Z").into());
        a
    };
    let first = "Volcano erupts near the airport in southern Iceland";
    let edited = "Volcano erupts near airport in southern Iceland";
    for article in [
        dated("a", first, 1),
        // Nine days on: `a` lies outside the window, so this founds a cluster of its own.
        dated("b", edited, 10),
        // A copy of `a`'s text outside the window: its signature finds `b`.
        dated("c", first, 10),
        // A copy of `b`'s text within the window, and a new headline.
        dated("d", edited, 10),
        dated("e", "Central bank holds interest rates steady", 10),
    ] {
        let asked = engine.query(&article).unwrap();
        let ingested = engine.ingest(&article).unwrap();
        assert_eq!(asked, ingested, "{}", article.id);
        match ingested.id.as_str() {
            "b" => assert_eq!(ingested.status, Status::New),
            "c" => {
                assert_eq!(ingested.status, Status::NearDuplicate);
                assert_eq!(ingested.duplicate_of.as_deref(), Some("b"));
            }
            "d" => assert_eq!(ingested.status, Status::Duplicate),
            _ => {}
        }
    }
}

#[test]
fn get_cluster_and_remove() {
    let engine = memory();
    let a = engine
        .ingest(
            &Article::new("a", "Tesla recalls two million cars over autopilot")
                .with_source("Reuters")
                .with_url("https://example.com/a"),
        )
        .unwrap();
    engine
        .ingest(&Article::new(
            "b",
            "Tesla recalls 2 million cars over autopilot",
        ))
        .unwrap();
    engine
        .ingest(&Article::new(
            "c",
            "Tesla recalls two million cars over autopilot",
        ))
        .unwrap();
    let got = engine.get("a").unwrap().expect("stored");
    assert_eq!(got.article.source.as_deref(), Some("Reuters"));
    assert_eq!(got.article.url.as_deref(), Some("https://example.com/a"));
    assert_eq!(got.cluster, a.cluster);
    let cluster = engine.cluster(a.cluster).unwrap().expect("cluster");
    assert_eq!(cluster.members, vec!["a", "b", "c"]);
    // A member's number is no cluster id: asked for, it gives none, as the detail routes do, rather
    // than the cluster it joined.
    let member = a.cluster + 1;
    assert!(engine.cluster(member).unwrap().is_none());
    assert!(engine.cluster_detail(member, 0, 10).unwrap().is_none());
    assert_eq!(
        cluster.representative,
        "Tesla recalls two million cars over autopilot"
    );
    assert!(engine.remove("a").unwrap());
    assert!(!engine.remove("a").unwrap());
    assert!(engine.get("a").unwrap().is_none());
    let cluster = engine
        .cluster(a.cluster)
        .unwrap()
        .expect("cluster keeps its id");
    assert_eq!(cluster.members, vec!["b", "c"]);
    // "c" had the same text as "a": a new copy still finds it as an exact duplicate.
    let d = engine
        .ingest(&Article::new(
            "d",
            "Tesla recalls two million cars over autopilot",
        ))
        .unwrap();
    assert_eq!(d.status, Status::Duplicate);
    assert_eq!(d.duplicate_of.as_deref(), Some("c"));
    // Remove every copy: the text is forgotten, the near-duplicate "b" still matches.
    engine.remove("c").unwrap();
    engine.remove("d").unwrap();
    let e = engine
        .ingest(&Article::new(
            "e",
            "Tesla recalls two million cars over autopilot",
        ))
        .unwrap();
    assert_eq!(e.status, Status::NearDuplicate);
    assert_eq!(e.duplicate_of.as_deref(), Some("b"));
    // A removed id can be used again.
    let a2 = engine
        .ingest(&Article::new("a", "Something else happened today in Paris"))
        .unwrap();
    assert_eq!(a2.status, Status::New);
}

#[test]
fn a_bridging_article_merges_clusters_and_old_ids_resolve() {
    let engine = memory();
    let left = engine
        .ingest(&Article::new(
            "l",
            "alpha bravo charlie delta echo foxtrot golf hotel",
        ))
        .unwrap();
    let right = engine
        .ingest(&Article::new(
            "r",
            "india juliett kilo lima mike november oscar papa",
        ))
        .unwrap();
    assert_ne!(left.cluster, right.cluster);
    let bridge = engine
        .ingest(&Article::new("b", "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november oscar papa"))
        .unwrap();
    if bridge.status == Status::NearDuplicate
        && engine.get("r").unwrap().unwrap().cluster == left.cluster
    {
        assert_eq!(
            engine.resolve(right.cluster),
            left.cluster,
            "the younger cluster points to the older"
        );
        assert_eq!(
            engine.cluster(right.cluster).unwrap().unwrap().id,
            left.cluster
        );
    }
    // Whatever the linkage, every id given out still resolves to a live cluster holding its members.
    for id in ["l", "r", "b"] {
        let got = engine.get(id).unwrap().unwrap();
        let cluster = engine.cluster(got.cluster).unwrap().unwrap();
        assert!(cluster.members.iter().any(|m| m == id));
    }
}

#[test]
fn batch_and_single_ingest_agree_on_the_uci_sample() {
    let rows = crate::uci_rows();
    let articles: Vec<Article<'_>> = rows
        .iter()
        .map(|(id, title, _)| Article::new(id.as_str(), title.as_str()))
        .collect();
    let single = memory();
    let one_by_one: Vec<_> = articles.iter().map(|a| single.ingest(a).unwrap()).collect();
    let batched = memory();
    let mut in_batches = Vec::new();
    for chunk in articles.chunks(700) {
        in_batches.extend(batched.ingest_batch(chunk).into_iter().map(|r| r.unwrap()));
    }
    assert_eq!(one_by_one, in_batches);
    assert_eq!(single.stats(), batched.stats());
}

/// A batch reads a repeated headline's words once; every copy, even one after a refused copy, decides as
/// it would ingested alone.
#[test]
fn repeated_headlines_in_a_batch_decide_as_one_at_a_time() {
    let event = "Apple unveils iPhone 6 at Cupertino event";
    let follow_up = "iPhone 6 launch: Apple shares rise";
    let articles = vec![
        Article::new("", event),
        Article::new("a", event),
        Article::new("b", follow_up),
        Article::new("c", event),
        Article::new("d", follow_up),
    ];
    let single = memory();
    let one_by_one: Vec<_> = articles.iter().map(|a| single.ingest(a).ok()).collect();
    let batched = memory();
    let in_batch: Vec<_> = batched
        .ingest_batch(&articles)
        .into_iter()
        .map(Result::ok)
        .collect();
    assert_eq!(one_by_one, in_batch);
    assert!(in_batch[0].is_none(), "an article without an id is refused");
    let (a, b) = (in_batch[1].as_ref().unwrap(), in_batch[2].as_ref().unwrap());
    assert_eq!(
        a.story, b.story,
        "the follow-up joins the story its words share"
    );
}

/// A large batch is verified on the pool while its articles are decided in order, and which articles
/// will want their story words is guessed before any is decided, without reading the story level.
/// Copies and near-copies that come back after their match's story closed are guessed wrong; they still
/// decide as they would one at a time.
#[test]
fn a_large_batch_decides_as_one_at_a_time_when_copies_return_after_their_stories_closed() {
    let dated = |id: String, title: String, day: u32| {
        let mut article = Article::new(id, title);
        article.published = Some(format!("2024-03-{day:02}T12:00:00Z").into());
        article
    };
    let rows = crate::uci_rows();
    let first: Vec<(&str, &str)> = rows
        .iter()
        .take(700)
        .map(|(id, title, _)| (id.as_str(), title.as_str()))
        .collect();
    let mut articles: Vec<Article<'_>> = first
        .iter()
        .map(|(id, title)| dated(id.to_string(), title.to_string(), 1))
        .collect();
    // Three days later, when every story of the first day has closed: exact copies of half the
    // headlines, and edited copies of all of them.
    for (n, (id, title)) in first.iter().enumerate() {
        if n % 2 == 0 {
            articles.push(dated(format!("{id}-again"), title.to_string(), 4));
        }
        articles.push(dated(
            format!("{id}-edited"),
            format!("{title} as markets watch"),
            4,
        ));
    }
    let single = memory();
    let one_by_one: Vec<_> = articles.iter().map(|a| single.ingest(a).unwrap()).collect();
    let batched = memory();
    let in_batch: Vec<_> = batched
        .ingest_batch(&articles)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(one_by_one, in_batch);
    // The case is there: edited copies that matched a first-day headline and, its story closed,
    // went to another story.
    let story_of: std::collections::HashMap<&str, u64> =
        in_batch.iter().map(|v| (v.id.as_str(), v.story)).collect();
    let moved_on = in_batch
        .iter()
        .filter(|v| v.id.ends_with("-edited") && v.status == Status::NearDuplicate)
        .filter(|v| {
            let matched = v
                .duplicate_of
                .as_deref()
                .expect("a near-duplicate names its match");
            !matched.ends_with("-again") && story_of[matched] != v.story
        })
        .count();
    assert!(
        moved_on > 100,
        "{moved_on} edited copies left a closed story"
    );
}

/// `dedupe` prepares a batch while the one before it commits: what the index holds of the earlier batch
/// is not known yet when the later one is signed, and the texts the earlier batch brings are left
/// unsigned on its word. Decisions must not depend on that, nor on whether a text too short for the band
/// tables was signed: copies within and outside the time window, of long and of short texts, and of
/// texts whose earlier copy was refused (so that the index does not hold them after all), decide as when
/// each batch is prepared after the one before commits.
#[test]
fn a_batch_prepared_before_the_one_before_it_commits_decides_the_same() {
    let config = EngineConfig {
        window: Some(std::time::Duration::from_secs(86_400)),
        ..EngineConfig::default()
    };
    let dated = |id: String, title: &str, day: u32| {
        let mut a = Article::new(id, title.to_string());
        a.published = Some(format!("2024-01-{day:02}T12:00:00Z").into());
        a
    };
    let rows = crate::uci_rows();
    let titles: Vec<&str> = rows.iter().map(|(_, t, _)| t.as_str()).take(400).collect();
    let short = ["Go now", "Oh no", "Hi"];
    // Ids stored beforehand with other texts: their articles in the first batch, a long and a short
    // text, are refused.
    let taken = [("taken0", titles[399]), ("taken1", "Yo")];
    let refused_texts = ["A text refused for its id", "Ya"];
    let mut first: Vec<Article<'_>> = titles[..200]
        .iter()
        .enumerate()
        .map(|(i, t)| dated(format!("a{i}"), t, 1))
        .collect();
    first.extend(
        short
            .iter()
            .enumerate()
            .map(|(i, t)| dated(format!("s{i}"), t, 1)),
    );
    for ((id, _), text) in taken.iter().zip(refused_texts) {
        first.push(dated(id.to_string(), text, 1));
    }
    // The second batch: new headlines, copies a day later (inside the window) and ten days later
    // (outside it), of long and of short texts, and copies of the refused texts.
    let mut second: Vec<Article<'_>> = titles[200..]
        .iter()
        .enumerate()
        .map(|(i, t)| dated(format!("b{i}"), t, 1))
        .collect();
    for (i, t) in titles[..25].iter().chain(&short[..1]).enumerate() {
        second.push(dated(format!("in{i}"), t, 2));
    }
    for (i, t) in titles[25..50].iter().chain(&short[1..]).enumerate() {
        second.push(dated(format!("out{i}"), t, 11));
    }
    for (i, text) in refused_texts.iter().enumerate() {
        second.push(dated(format!("again{i}"), text, 1));
    }
    #[derive(Clone, Copy)]
    enum Prepared {
        AfterCommit,
        Early,
        EarlyAfterEarlierTexts,
    }
    let verdicts = |prepared: Prepared| {
        let engine = Engine::in_memory(config.clone()).unwrap();
        for (id, title) in taken {
            engine.ingest(&dated(id.to_string(), title, 1)).unwrap();
        }
        let earlier = EarlierTexts::new();
        let (first_prepared, early) = match prepared {
            Prepared::AfterCommit => (engine.prepare_batch(&first), None),
            Prepared::Early => (
                engine.prepare_batch(&first),
                Some(engine.prepare_batch(&second)),
            ),
            Prepared::EarlyAfterEarlierTexts => (
                engine.prepare_batch_after(&first, &earlier, 0),
                Some(engine.prepare_batch_after(&second, &earlier, 1)),
            ),
        };
        let mut out = engine.commit_batch(&first, first_prepared);
        let second_prepared = early.unwrap_or_else(|| engine.prepare_batch(&second));
        out.extend(engine.commit_batch(&second, second_prepared));
        let out: Vec<_> = out
            .into_iter()
            .map(|r| r.map_err(|e| e.to_string()))
            .collect();
        (out, engine.stats())
    };
    let (after, stats) = verdicts(Prepared::AfterCommit);
    let refused = after.iter().filter(|v| v.is_err()).count();
    assert_eq!(
        refused,
        taken.len(),
        "the articles with taken ids are refused"
    );
    for prepared in [Prepared::Early, Prepared::EarlyAfterEarlierTexts] {
        let (before, early_stats) = verdicts(prepared);
        assert_eq!(after, before);
        assert_eq!(stats, early_stats);
    }
    let outside = after[first.len()..]
        .iter()
        .flatten()
        .filter(|v| v.id.starts_with("out") && v.status == Status::New)
        .count();
    assert!(outside > 0, "copies outside the window start afresh");
    let again = after[after.len() - refused_texts.len()..].iter();
    let statuses: Vec<_> = again.map(|v| v.as_ref().map(|v| v.status)).collect();
    assert_eq!(
        statuses,
        [Ok(Status::New); 2],
        "the refused texts were not stored"
    );
}

/// An engine that keeps no articles decides as one that does; it only has nothing to read back.
#[test]
fn an_engine_without_articles_gives_the_same_verdicts_and_refuses_removal() {
    let rows = crate::uci_rows();
    let articles: Vec<Article<'_>> = rows
        .iter()
        .map(|(id, title, _)| Article::new(id.as_str(), title.as_str()))
        .collect();
    let full = memory();
    let lean = Engine::in_memory_without_articles(EngineConfig::default()).unwrap();
    for chunk in articles.chunks(600) {
        let a: Vec<_> = full
            .ingest_batch(chunk)
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        let b: Vec<_> = lean
            .ingest_batch(chunk)
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(a, b);
    }
    assert_eq!(full.stats(), lean.stats());
    let first = &rows[0].0;
    assert!(full.get(first).unwrap().is_some());
    assert!(lean.get(first).unwrap().is_none());
    let refused = lean.remove(first).unwrap_err().to_string();
    assert!(refused.contains("keeps no articles"), "{refused}");
    // Nothing changed: the article is still there to match.
    let again = lean.ingest(&articles[0]).unwrap();
    assert_eq!(again.cluster, full.ingest(&articles[0]).unwrap().cluster);
}

/// A pipeline that keeps article numbers and reads the verdicts at the end gets what `commit_batch`
/// answered, with each cluster and story as it stands at the end.
#[test]
fn verdicts_read_by_number_are_the_committed_verdicts_as_they_stand() {
    let rows = crate::uci_rows();
    let articles: Vec<Article<'_>> = rows
        .iter()
        .map(|(id, title, _)| Article::new(id.as_str(), title.as_str()))
        .collect();
    let config = EngineConfig {
        linkage: storyhash::Linkage::Single,
        ..EngineConfig::default()
    };
    let by_verdict = Engine::in_memory(config.clone()).unwrap();
    let by_number = Engine::in_memory(config.clone()).unwrap();
    // An engine that keeps no articles takes each batch's story steps beside the next batch's commit:
    // whatever is read in between, and at the end, is as if they had been taken at once.
    let lean = Engine::in_memory_without_articles(config).unwrap();
    let as_they_stand = |engine: &Engine, numbers: &[storyhash::ArticleNumber]| {
        let mut read = Vec::new();
        engine.verdicts(numbers, |v| {
            read.push((
                v.id.to_string(),
                v.cluster,
                v.story,
                v.status,
                v.duplicate_of.map(str::to_string),
                v.similarity,
                v.cluster_size,
            ))
        });
        read
    };
    let mut verdicts = Vec::new();
    let mut numbers = Vec::new();
    let mut lean_numbers = Vec::new();
    for (n, chunk) in articles.chunks(500).enumerate() {
        let committed = by_verdict.commit_batch(chunk, by_verdict.prepare_batch(chunk));
        verdicts.extend(committed.into_iter().map(|r| r.unwrap()));
        let committed = by_number.commit_batch_numbers(chunk, by_number.prepare_batch(chunk));
        numbers.extend(committed.into_iter().map(|r| r.unwrap()));
        let committed = lean.commit_batch_numbers(chunk, lean.prepare_batch(chunk));
        lean_numbers.extend(committed.into_iter().map(|r| r.unwrap()));
        if n % 3 == 1 {
            assert_eq!(
                as_they_stand(&lean, &lean_numbers),
                as_they_stand(&by_number, &numbers),
                "after batch {n}"
            );
        }
    }
    let read = as_they_stand(&by_number, &numbers);
    assert_eq!(as_they_stand(&lean, &lean_numbers), read);
    let expected: Vec<_> = verdicts
        .iter()
        .map(|v| {
            let cluster = by_verdict.resolve(v.cluster);
            let size = by_verdict.cluster(cluster).unwrap().unwrap().size;
            (
                v.id.clone(),
                cluster,
                by_verdict.resolve_story(v.story),
                v.status,
                v.duplicate_of.clone(),
                v.similarity,
                size,
            )
        })
        .collect();
    assert_eq!(read, expected);
    // Single linkage merged clusters on this sample, so "as it stands" differs from "as answered".
    assert!(verdicts
        .iter()
        .any(|v| by_verdict.resolve(v.cluster) != v.cluster));
    // The ids verdicts gave before a merge are listed as the earlier ids of the group they resolve to,
    // and only those: clusters and stories alike.
    type Resolve = fn(&Engine, u64) -> u64;
    type Merged = fn(&Engine, &[u64]) -> std::collections::HashMap<u64, Vec<u64>>;
    let kinds: [(Resolve, Merged, Vec<u64>); 2] = [
        (
            Engine::resolve,
            Engine::merged_clusters,
            verdicts.iter().map(|v| v.cluster).collect(),
        ),
        (
            Engine::resolve_story,
            Engine::merged_stories,
            verdicts.iter().map(|v| v.story).collect(),
        ),
    ];
    for (resolve, merged_into, given) in kinds {
        let resolve = |g| resolve(&by_verdict, g);
        let mut now: Vec<u64> = given.iter().map(|&g| resolve(g)).collect();
        now.sort_unstable();
        now.dedup();
        let merged = merged_into(&by_verdict, &now);
        assert!(!merged.is_empty());
        for &g in &given {
            let into = resolve(g);
            if into != g {
                assert!(merged[&into].contains(&g), "{g} -> {into}");
            }
        }
        for (into, earlier) in &merged {
            assert!(earlier.windows(2).all(|w| w[0] < w[1]));
            for e in earlier {
                assert_eq!(resolve(*e), *into);
                assert!(given.contains(e), "{e} was never given");
            }
        }
    }
}

/// A crawler sees the same headlines again and again with a counter appended: every copy is a
/// near-duplicate of hundreds before it, and full buckets make it a hot article, under either linkage and
/// with the fewer, longer bands of a higher threshold.
#[test]
fn headlines_repeated_with_a_counter_stay_in_their_clusters_batch_or_not() {
    let rows = crate::uci_rows();
    let heads: Vec<&str> = rows.iter().take(40).map(|(_, t, _)| t.as_str()).collect();
    let titles: Vec<(usize, String)> = (1..=150)
        .flat_map(|round| {
            heads
                .iter()
                .enumerate()
                .map(move |(h, t)| (h, format!("{t} {round}")))
        })
        .collect();
    let articles: Vec<Article<'_>> = titles
        .iter()
        .enumerate()
        .map(|(i, (_, t))| Article::new(i.to_string(), t.as_str()))
        .collect();
    for config in [
        EngineConfig::default(),
        EngineConfig {
            linkage: storyhash::Linkage::Single,
            ..EngineConfig::default()
        },
        EngineConfig {
            threshold: Some(0.7),
            ..EngineConfig::default()
        },
    ] {
        let settings = format!("{:?} at {:?}", config.linkage, config.threshold);
        let single = Engine::in_memory(config.clone()).unwrap();
        let one_by_one: Vec<_> = articles.iter().map(|a| single.ingest(a).unwrap()).collect();
        let batched = Engine::in_memory(config).unwrap();
        let mut in_batches = Vec::new();
        for chunk in articles.chunks(1000) {
            in_batches.extend(batched.ingest_batch(chunk).into_iter().map(|r| r.unwrap()));
        }
        assert_eq!(one_by_one, in_batches, "{settings}");
        // Only first sightings found clusters; every later copy joins the cluster of its headline's.
        let mut cluster_of = vec![None; heads.len()];
        for ((h, title), v) in titles.iter().zip(&one_by_one) {
            let first = *cluster_of[*h].get_or_insert(single.resolve(v.cluster));
            assert_eq!(single.resolve(v.cluster), first, "{settings}: {title}");
            if v.status == Status::New {
                assert!(
                    title.ends_with(" 1"),
                    "{settings}: {title} found a cluster of its own"
                );
            }
        }
        // A query answers what an ingest would.
        let next = Article::new("next", format!("{} 151", heads[0]));
        let asked = single.query(&next).unwrap();
        let ingested = single.ingest(&next).unwrap();
        assert_eq!(
            (asked.cluster, asked.status, asked.duplicate_of.as_deref()),
            (
                ingested.cluster,
                ingested.status,
                ingested.duplicate_of.as_deref()
            ),
            "{settings}"
        );
    }
}

#[test]
fn a_store_keeps_articles_and_clusters_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let rows = crate::uci_rows();
    let articles: Vec<Article<'_>> = rows
        .iter()
        .take(1500)
        .map(|(id, title, _)| Article::new(id.as_str(), title.as_str()))
        .collect();
    let (first_half, second_half) = articles.split_at(800);
    let reference = memory();
    let expected: Vec<_> = articles
        .iter()
        .map(|a| reference.ingest(a).unwrap())
        .collect();
    {
        let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
        for r in engine.ingest_batch(first_half) {
            r.unwrap();
        }
        engine.flush().unwrap();
    }
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    assert_eq!(engine.stats().articles, 800);
    for (a, v) in first_half.iter().zip(&expected) {
        let got = engine.get(&a.id).unwrap().expect("survives reopen");
        assert_eq!(got.article.title, a.title);
        assert_eq!(got.status, v.status, "{}", a.id);
    }
    // Continuing after reopen decides like an engine that never stopped (same clusters as sets).
    let continued: Vec<_> = second_half
        .iter()
        .map(|a| engine.ingest(a).unwrap())
        .collect();
    assert_eq!(continued, expected[800..].to_vec());
    // A stored id with the same text is answered from the store.
    assert_eq!(
        engine.ingest(&first_half[3]).unwrap(),
        reference.ingest(&first_half[3]).unwrap()
    );
}

#[test]
fn a_store_refuses_other_signature_parameters_and_names_them() {
    let dir = tempfile::tempdir().unwrap();
    drop(Engine::open(dir.path(), EngineConfig::default()).unwrap());
    let other = EngineConfig {
        shingle: Some(ShingleKind::Word(2)),
        ..EngineConfig::default()
    };
    let err = Engine::open(dir.path(), other).unwrap_err();
    match &err {
        Error::Store(StoreError::ParamMismatch {
            field,
            stored,
            requested,
            ..
        }) => {
            assert_eq!(
                (*field, stored.as_str(), requested.as_str()),
                ("shingle", "char5", "word2")
            );
        }
        other => panic!("expected a parameter mismatch, got {other}"),
    }
    assert!(err.to_string().contains("shingle"));
    // The matching parameters still open it.
    Engine::open(dir.path(), EngineConfig::default()).unwrap();
}

#[test]
fn a_store_in_use_or_a_file_path_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let err = Engine::open(&file, EngineConfig::default()).unwrap_err();
    assert!(err.to_string().contains("plain-file"), "{err}");
}

#[test]
fn invalid_configuration_names_the_setting() {
    let err = Engine::in_memory(EngineConfig {
        permutations: Some(3),
        ..EngineConfig::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("permutations"), "{err}");
}

#[test]
fn removed_articles_keep_their_numbers_across_reopen() {
    // Single linkage stores a merge link; removing the newest articles and reopening must not hand their
    // numbers (and with them that link or their cluster ids) to new articles.
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        linkage: storyhash::Linkage::Single,
        ..EngineConfig::default()
    };
    let (left, right) = {
        let engine = Engine::open(dir.path(), config.clone()).unwrap();
        let left = engine
            .ingest(&Article::new(
                "l",
                "parliament approves budget after marathon session amid",
            ))
            .unwrap();
        let right = engine
            .ingest(&Article::new(
                "r",
                "marathon session amid protests outside building tonight",
            ))
            .unwrap();
        assert_ne!(left.cluster, right.cluster);
        let bridge = engine
            .ingest(&Article::new(
                "b",
                "parliament approves budget after marathon session amid protests outside building tonight",
            ))
            .unwrap();
        assert_eq!(bridge.cluster, left.cluster);
        assert_eq!(
            engine.resolve(right.cluster),
            left.cluster,
            "the bridge merged the two clusters"
        );
        engine.remove("r").unwrap();
        engine.remove("b").unwrap();
        engine.flush().unwrap();
        (left, right)
    };
    let engine = Engine::open(dir.path(), config.clone()).unwrap();
    let fresh = engine
        .ingest(&Article::new(
            "x",
            "Volcano erupts near the airport in Iceland",
        ))
        .unwrap();
    assert!(
        fresh.cluster > right.cluster,
        "a removed article's number was handed out again"
    );
    engine.flush().unwrap();
    drop(engine);
    let engine = Engine::open(dir.path(), config).unwrap();
    let x = engine.get("x").unwrap().unwrap();
    assert_eq!(
        x.cluster, fresh.cluster,
        "an old merge link moved a new article"
    );
    assert_eq!(
        engine.cluster(left.cluster).unwrap().unwrap().members,
        vec!["l"]
    );
}

#[test]
fn a_removed_best_match_is_still_named_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
        engine
            .ingest(&Article::new(
                "a",
                "Wildfire forces thousands to flee in northern California",
            ))
            .unwrap();
        let b = engine
            .ingest(&Article::new(
                "b",
                "Wildfire forces thousands to flee northern California",
            ))
            .unwrap();
        assert_eq!(b.duplicate_of.as_deref(), Some("a"));
        engine.remove("a").unwrap();
        engine.flush().unwrap();
    }
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    assert!(engine.get("a").unwrap().is_none());
    assert_eq!(
        engine.get("b").unwrap().unwrap().duplicate_of.as_deref(),
        Some("a")
    );
    assert_eq!(engine.stats().articles, 1);
}

#[test]
fn titles_of_only_invisible_characters_are_empty() {
    let engine = memory();
    for (id, title) in [
        ("zw", "\u{200b}\u{200d}"),
        ("nul", "\u{0}"),
        ("bom", "\u{feff} \t"),
    ] {
        let err = engine.ingest(&Article::new(id, title)).unwrap_err();
        assert!(err.to_string().contains("title"), "{id}: {err}");
    }
    // Punctuation or emoji alone is still a title (it normalises to something).
    assert!(engine.ingest(&Article::new("e", "🔥🔥")).is_ok());
    assert_eq!(engine.stats().articles, 1);
}

#[test]
fn query_of_a_stored_id_with_another_text_is_a_conflict() {
    let engine = memory();
    engine
        .ingest(&Article::new("a", "Storm closes schools across the region"))
        .unwrap();
    let err = engine
        .query(&Article::new("a", "Different text"))
        .unwrap_err();
    assert!(
        matches!(err, Error::Article(ArticleError::IdConflict { .. })),
        "{err}"
    );
}

#[test]
fn hostile_credit_lines_do_not_stall_normalisation() {
    // Many unclosed "(via " openers once made the credit-line scan quadratic.
    let engine = memory();
    let title = "(via ".repeat(200_000);
    let v = engine
        .ingest(&Article::new("h", title.as_str()).with_body(title.as_str()))
        .unwrap();
    assert_eq!(v.status, Status::New);
}

#[test]
fn a_store_held_by_another_process_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(["ingest", "--db"])
        .arg(&db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn storyhash ingest");
    // Once it has answered a line, it holds the store.
    let mut stdin = child.stdin.take().unwrap();
    use std::io::{BufRead, Write};
    writeln!(stdin, "{{\"id\":\"a\",\"title\":\"Storm hits the coast\"}}").unwrap();
    let mut answer = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut answer)
        .unwrap();
    assert!(answer.contains("\"new\""), "{answer}");
    let err = Engine::open(&db, EngineConfig::default()).unwrap_err();
    assert!(
        err.to_string().contains("in use by another process"),
        "{err}"
    );
    drop(stdin);
    assert!(child.wait().unwrap().success());
    // Released: it opens now and holds what the other process stored.
    let engine = Engine::open(&db, EngineConfig::default()).unwrap();
    assert!(engine.get("a").unwrap().is_some());
}

#[test]
fn a_reingest_answers_the_cluster_size_as_it_is_now() {
    let engine = memory();
    let first = engine
        .ingest(&Article::new("x", "Storm closes schools across the region"))
        .unwrap();
    assert_eq!(first.cluster_size, 1);
    engine
        .ingest(&Article::new(
            "y",
            "Storm closes schools across the region - Reuters",
        ))
        .unwrap();
    let again = engine
        .ingest(&Article::new("x", "Storm closes schools across the region"))
        .unwrap();
    assert_eq!((again.cluster, again.cluster_size), (first.cluster, 2));
    assert_eq!(engine.stats().articles, 2);
}

#[test]
fn times_in_and_out_of_the_api_are_system_times() {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};
    use storyhash::Timestamp;

    let engine = memory();
    let published = UNIX_EPOCH + Duration::from_secs(1_394_469_125);
    let old = Article::new(
        "old",
        "ECB unlikely to end sterilisation of SMP purchases - traders",
    )
    .with_published_time(published);
    assert_eq!(old.published.as_deref(), Some("2014-03-10T16:32:05Z"));
    let v = engine.ingest(&old).unwrap();
    engine
        .ingest(&Article::new(
            "now",
            "ECB unlikely to end sterilization of SMP purchases: traders",
        ))
        .unwrap();
    let detail = engine.cluster_detail(v.cluster, 0, 10).unwrap().unwrap();
    assert_eq!(SystemTime::from(detail.first_seen), published);
    assert_eq!(detail.members[0].time, Timestamp::from(published));
    assert!(detail.last_seen >= Timestamp::now().before(Duration::from_secs(60)));
    // Trending since a day ago counts the article that arrived now, not the one from 2014.
    let day_ago = SystemTime::now() - Duration::from_secs(86_400);
    let trends = engine.trending(day_ago, 10).unwrap();
    assert_eq!((trends.len(), trends[0].growth, trends[0].size), (1, 1, 2));
    // Pruning a year back drops the 2014 article only.
    let year_ago = SystemTime::now() - Duration::from_secs(365 * 86_400);
    assert_eq!(engine.prune(year_ago).unwrap(), 1);
    assert!(engine.get("old").unwrap().is_none());
    assert!(engine.get("now").unwrap().is_some());
}

#[test]
fn a_window_is_a_duration() {
    let config = EngineConfig {
        window: Some(std::time::Duration::from_secs(7 * 86_400)),
        ..EngineConfig::default()
    };
    let engine = Engine::in_memory(config).unwrap();
    assert_eq!(
        engine.config().window(),
        Some(std::time::Duration::from_secs(604_800))
    );
    let title = "Volcano erupts near Reykjavik airport";
    engine
        .ingest(&Article::new("a", title).with_published("2014-03-10"))
        .unwrap();
    let later = engine
        .ingest(&Article::new("b", title).with_published("2014-04-10"))
        .unwrap();
    assert_ne!(later.duplicate_of.as_deref(), Some("a"), "a month apart");
    let err = Engine::in_memory(EngineConfig {
        window: Some(std::time::Duration::from_millis(500)),
        ..EngineConfig::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("window"), "{err}");
}

/// What lets several daemons apply one shared log alike: with arrival times given, two stores fed the
/// same groups give the same verdicts, keep the given arrival as the time of an undated article, and a
/// window or a prune sees that time rather than the clock of the machine that applied them.
#[test]
fn given_arrival_times_decide_alike_on_every_engine() {
    use storyhash::Timestamp;
    let config = EngineConfig {
        window: Some(std::time::Duration::from_secs(86_400)),
        ..EngineConfig::default()
    };
    let title = "Volcano erupts near Reykjavik airport";
    let articles = vec![
        Article::new("a", title),
        Article::new("b", "Volcano erupts near Reykjavik airport, flights halted"),
        Article::new("c", title),
    ];
    // `c` arrives ten days after `a` and `b`: outside the one-day window.
    let groups = [0..2, 2..3];
    let arrivals = [
        Timestamp::from_unix_seconds(1_700_000_000),
        Timestamp::from_unix_seconds(1_700_000_000 + 10 * 86_400),
    ];
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut answers = Vec::new();
    for dir in &dirs {
        let engine = Engine::open(dir.path(), config.clone()).unwrap();
        let results = engine.ingest_groups_at(&articles, &groups, &arrivals);
        let verdicts: Vec<_> = results
            .into_iter()
            .flat_map(|r| r.expect("group stored"))
            .collect();
        assert_eq!(verdicts[1].duplicate_of.as_deref(), Some("a"));
        assert_eq!(
            verdicts[2].status,
            Status::New,
            "ten days apart: {verdicts:?}"
        );
        let detail = engine
            .cluster_detail(verdicts[0].cluster, 0, 10)
            .unwrap()
            .unwrap();
        assert_eq!(detail.first_seen, arrivals[0]);
        // A prune at a given time removes what arrived before it, whatever the clock says.
        assert!(engine.remove_at("b", arrivals[1]).unwrap());
        assert_eq!(engine.prune_at(arrivals[1], arrivals[1]).unwrap(), 1);
        assert!(engine.get("a").unwrap().is_none());
        assert!(engine.get("c").unwrap().is_some());
        engine.set_log_position("p 1-1").unwrap();
        engine.flush().unwrap();
        drop(engine);
        let engine = Engine::open(dir.path(), config.clone()).unwrap();
        assert_eq!(engine.log_position().unwrap().as_deref(), Some("p 1-1"));
        answers.push(verdicts);
    }
    assert_eq!(answers[0], answers[1]);
}

/// After a removal or a prune, the engine that made it and the same store opened again can give later
/// articles other stories; `reload` brings the engine to exactly the reopened state, which is what lets
/// nodes of a shared log that restart at different moments go on deciding alike.
#[test]
fn a_reloaded_engine_decides_like_its_store_opened_again() {
    use storyhash::Timestamp;
    let rows = crate::uci_rows();
    let articles: Vec<Article<'_>> = rows
        .iter()
        .step_by(3)
        .take(400)
        .enumerate()
        .map(|(n, (id, title, _))| {
            let a = Article::new(id.as_str(), title.as_str());
            if n.is_multiple_of(2) {
                a.with_published(format!("2014-03-{:02}T10:00:00Z", 10 + n % 15))
            } else {
                a
            }
        })
        .collect();
    let now = Timestamp::from_unix_seconds(1_900_000_000);
    let removals: [&dyn Fn(&Engine); 2] = [
        &|e| {
            for a in articles[..300].iter().step_by(3) {
                assert!(e.remove_at(&a.id, now).unwrap());
            }
        },
        &|e| {
            let year = std::time::Duration::from_secs(365 * 86_400);
            assert!(e.prune_at(now.before(year * 10), now).unwrap() > 0);
        },
    ];
    for remove in removals {
        let later = |reopen: bool| {
            let dir = tempfile::tempdir().unwrap();
            let mut engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
            let first =
                engine.ingest_groups_at(&articles[..300], std::slice::from_ref(&(0..300)), &[now]);
            assert!(first[0].is_ok());
            remove(&engine);
            engine.flush().unwrap();
            if reopen {
                drop(engine);
                engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
            } else {
                engine.reload().unwrap();
            }
            let verdicts = engine
                .ingest_groups_at(&articles[300..], std::slice::from_ref(&(0..100)), &[now])
                .pop()
                .unwrap()
                .unwrap();
            (verdicts, engine.overview())
        };
        assert_eq!(later(false), later(true));
    }
}

#[test]
fn an_exact_copy_stands_for_its_text_once_the_first_copy_is_gone_across_reopen() {
    // A store keeps no signature for exact copies: the copy that takes its text's place when the first
    // copy is removed must still find near-duplicates after a reopen, as in the engine that removed it.
    let dir = tempfile::tempdir().unwrap();
    let first = "Volcano erupts near the main airport in southern Iceland as flights are halted";
    let later = "Volcano erupts near the main airport of southern Iceland as flights are halted";
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    // In one batch and one at a time: a batch signs only the first copy of a text.
    engine
        .ingest_batch(&[
            Article::new("a", first),
            Article::new("b", first),
            Article::new("short", "Hi"),
            Article::new("short-copy", "Hi"),
        ])
        .into_iter()
        .for_each(|v| drop(v.unwrap()));
    let c = engine.ingest(&Article::new("c", first)).unwrap();
    assert_eq!(
        (c.status, c.duplicate_of.as_deref()),
        (Status::Duplicate, Some("a"))
    );
    assert!(engine.remove("a").unwrap());
    assert!(engine.remove("short").unwrap());
    let live = engine.ingest(&Article::new("n1", later)).unwrap();
    assert_eq!(live.status, Status::NearDuplicate);
    engine.flush().unwrap();
    drop(engine);

    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let reopened = engine.ingest(&Article::new("n2", later)).unwrap();
    assert_eq!(reopened.status, Status::Duplicate, "n1 holds this text now");
    let other = "Volcano erupts near the main airport in southern Iceland and flights are halted";
    let near = engine.ingest(&Article::new("n3", other)).unwrap();
    assert_eq!(near.status, Status::NearDuplicate);
    assert_eq!(near.cluster, c.cluster, "{near:?}");
    // The copy of a text too short to sign stays out of the band tables, and still takes exact copies.
    let copy = engine.ingest(&Article::new("short-again", "Hi")).unwrap();
    assert_eq!(
        (copy.status, copy.duplicate_of.as_deref()),
        (Status::Duplicate, Some("short-copy"))
    );
    // With every earlier copy gone, the text's place goes to "b": a near-duplicate of it matches b.
    for id in ["n1", "n2", "n3"] {
        assert!(engine.remove(id).unwrap());
    }
    engine.flush().unwrap();
    drop(engine);
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let again = engine.ingest(&Article::new("n4", later)).unwrap();
    assert_eq!(again.status, Status::NearDuplicate, "{again:?}");
    assert_eq!(again.duplicate_of.as_deref(), Some("b"));
}

/// A store opened again with a smaller `max_field_bytes` than its articles came in under still signs
/// the exact copy that stands for its text (its first copy gone): the limit refuses new articles, not
/// the ones the store holds.
#[test]
fn an_exact_copy_is_signed_again_under_a_smaller_field_limit() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Volcano erupts near the main airport in southern Iceland as flights are halted";
    let near = "Volcano erupts near the main airport of southern Iceland as flights are halted";
    let url = format!("https://example.com/{}", "long-path/".repeat(40));
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    for id in ["a", "b"] {
        engine
            .ingest(&Article::new(id, text).with_url(url.as_str()))
            .unwrap();
    }
    assert!(engine.remove("a").unwrap());
    engine.flush().unwrap();
    drop(engine);

    let smaller = EngineConfig {
        max_field_bytes: 200,
        ..EngineConfig::default()
    };
    assert!(url.len() > smaller.max_field_bytes);
    let engine = Engine::open(dir.path(), smaller).unwrap();
    let matched = engine.ingest(&Article::new("n1", near)).unwrap();
    assert_eq!(
        (matched.status, matched.duplicate_of.as_deref()),
        (Status::NearDuplicate, Some("b"))
    );
}

/// Pruning many articles at once, copies of one text among them, leaves the engine as removing the
/// same articles one by one does: the copy that takes a removed copy's place is the same, so later
/// copies of those texts get the same verdicts.
#[test]
fn pruning_many_copies_at_once_leaves_the_engine_as_removing_them_one_by_one() {
    use storyhash::Timestamp;
    let rows = crate::uci_rows();
    let texts: Vec<&str> = rows
        .iter()
        .step_by(7)
        .take(60)
        .map(|(_, t, _)| t.as_str())
        .collect();
    // Each text printed on many days, the early copies older than the cut.
    let articles: Vec<Article<'_>> = (0..600)
        .map(|n| {
            let day = 1 + n % 28;
            Article::new(format!("a{n}"), texts[(n * 7) % texts.len()])
                .with_published(format!("2014-02-{day:02}T10:00:00Z"))
        })
        .collect();
    let cut = Timestamp::parse("2014-02-15T00:00:00Z").unwrap();
    let now = Timestamp::from_unix_seconds(1_900_000_000);
    let later: Vec<Article<'_>> = texts
        .iter()
        .enumerate()
        .map(|(n, t)| Article::new(format!("b{n}"), *t).with_published("2014-02-28T12:00:00Z"))
        .collect();
    let after = |prune: bool| {
        let engine = Engine::in_memory(EngineConfig::default()).unwrap();
        for verdict in engine.ingest_batch(&articles) {
            verdict.unwrap();
        }
        if prune {
            assert!(engine.prune_at(cut, now).unwrap() > 0);
        } else {
            for a in &articles {
                let published = Timestamp::parse(a.published.as_deref().unwrap()).unwrap();
                if published.unix_seconds() < cut.unix_seconds() {
                    assert!(engine.remove_at(&a.id, now).unwrap());
                }
            }
        }
        let verdicts: Vec<_> = engine
            .ingest_batch(&later)
            .into_iter()
            .map(|v| v.unwrap())
            .collect();
        (verdicts, engine.overview())
    };
    let (pruned, removed) = (after(true), after(false));
    assert!(pruned.0.iter().any(|v| v.duplicate_of.is_some()));
    assert_eq!(pruned, removed);
}

/// A text of fewer shingles than `min_shingles` is matched on its exact text only, however its copies
/// come: one at a time, or in a batch, where a copy's shingles go uncounted. Its copy ten days on,
/// outside the window, starts afresh and stays out of the band tables, so a longer headline that shares
/// its shingles founds its own cluster.
#[test]
fn a_short_text_stays_exact_only_whether_its_copies_come_singly_or_in_a_batch() {
    let config = EngineConfig {
        window: Some(std::time::Duration::from_secs(86_400)),
        ..EngineConfig::default()
    };
    let dated = |id: &str, title: &str, day: u32| {
        let mut a = Article::new(id.to_string(), title.to_string());
        a.published = Some(format!("2024-01-{day:02}T12:00:00Z").into());
        a
    };
    // "Brexit" gives two 5-character shingles, and "Brexits" those two and one more (Jaccard 2/3).
    let articles = [
        dated("a", "Brexit", 1),
        dated("b", "Brexit", 11),
        dated("c", "Brexits", 11),
        dated("d", "Brexit", 12),
    ];
    let one_by_one = crate::model::decided(&config, &articles, None);
    let in_batch = crate::model::decided(&config, &articles, Some((&[articles.len()], false)));
    assert_eq!(one_by_one, in_batch);
    let status: Vec<_> = in_batch
        .0
        .iter()
        .map(|v| v.as_ref().unwrap().status)
        .collect();
    assert_eq!(
        status,
        [Status::New, Status::New, Status::New, Status::Duplicate],
        "the short text is matched on its exact text only"
    );
}

/// The editions of a dated series (a daily horoscope, a night's police summary) differ by little more
/// than their date: headlines that name different dates are not near-duplicates, in a batch, one at a
/// time, in a query and after a reopen; the same date written another way, or no date, still matches.
#[test]
fn headlines_naming_different_dates_are_not_near_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let edition = |date: &str| format!("Your daily horoscope for every sign of the zodiac: {date}");
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let batch: Vec<String> = ["October 3, 2025", "October 13, 2025", "October 14, 2025"]
        .map(edition)
        .into();
    let verdicts: Vec<_> = engine
        .ingest_batch(&[
            Article::new("oct3", batch[0].as_str()),
            Article::new("oct13", batch[1].as_str()),
            Article::new("oct14", batch[2].as_str()),
        ])
        .into_iter()
        .map(Result::unwrap)
        .collect();
    for v in &verdicts {
        assert_eq!(v.status, Status::New, "{v:?}");
    }
    let oct15 = engine
        .ingest(&Article::new("oct15", edition("October 15, 2025")))
        .unwrap();
    assert_eq!(oct15.status, Status::New, "{oct15:?}");
    let other_way = engine
        .ingest(&Article::new("oct13-eu", edition("13 October 2025")))
        .unwrap();
    assert_eq!(
        (other_way.status, other_way.duplicate_of.as_deref()),
        (Status::NearDuplicate, Some("oct13"))
    );
    let query = engine
        .query(&Article::new("q", edition("October 23, 2025")))
        .unwrap();
    assert_eq!(query.status, Status::New, "{query:?}");
    engine.flush().unwrap();
    drop(engine);

    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let oct23 = engine
        .ingest(&Article::new("oct23", edition("October 23, 2025")))
        .unwrap();
    assert_eq!(oct23.status, Status::New, "{oct23:?}");
    let again = engine
        .ingest(&Article::new("oct14-again", edition("Oct. 14, 2025")))
        .unwrap();
    assert_eq!(
        (again.status, again.duplicate_of.as_deref()),
        (Status::NearDuplicate, Some("oct14"))
    );
    let undated = engine
        .ingest(&Article::new(
            "undated",
            "Your daily horoscope for every sign of the zodiac: 2025",
        ))
        .unwrap();
    assert_eq!(undated.status, Status::NearDuplicate, "{undated:?}");
}

/// A numbered series ("Week 6 fantasy rankings", "free games for May 2025", "roundup 9/15", "update
/// 20.3.0") differs from one edition to the next by its number, month, date or version: headlines that
/// number the same kind of edition differently, name different months of a year, different dates
/// written with a slash or different versions are not near-duplicates, in a batch, one at a time and after a reopen. The same edition reworded still
/// matches, and so does a number a crawler appended at a headline's end.
#[test]
fn headlines_numbering_different_editions_are_not_near_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let week = |n: u32| {
        format!("Week {n} fantasy football rankings: sleepers and starts at every position")
    };
    let month = |m: &str| {
        format!("PlayStation Plus free games for {m} 2025 revealed, three titles to claim")
    };
    let counted =
        |n: u32| format!("EU finance ministers aim for a deal on failing banks next week {n}");
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let roundup = |day: &str| {
        format!("Fantasy baseball starting pitcher roundup {day}: who to start and sit")
    };
    let update = |version: &str| {
        format!(
            "Nintendo Switch 2 and Switch system update {version} out now, the full patch notes"
        )
    };
    let texts = [
        week(6),
        week(8),
        month("May"),
        month("August"),
        counted(1),
        roundup("9/15"),
        roundup("3/29"),
        update("20.1.5"),
        update("20.3.0"),
    ];
    let articles: Vec<Article> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| Article::new(format!("b{i}"), t.as_str()))
        .collect();
    for v in engine.ingest_batch(&articles) {
        let v = v.unwrap();
        assert_eq!(v.status, Status::New, "{v:?}");
    }
    let week_9 = engine.ingest(&Article::new("w9", week(9))).unwrap();
    assert_eq!(week_9.status, Status::New, "{week_9:?}");
    let reworded = engine
        .ingest(&Article::new(
            "w8-again",
            "Week 8 fantasy football rankings: sleepers and starts at each position",
        ))
        .unwrap();
    assert_eq!(
        (reworded.status, reworded.duplicate_of.as_deref()),
        (Status::NearDuplicate, Some("b1"))
    );
    let counter = engine.ingest(&Article::new("c2", counted(2))).unwrap();
    assert_eq!(
        (counter.status, counter.duplicate_of.as_deref()),
        (Status::NearDuplicate, Some("b4"))
    );
    engine.flush().unwrap();
    drop(engine);

    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let september = engine
        .ingest(&Article::new("sep", month("September")))
        .unwrap();
    assert_eq!(september.status, Status::New, "{september:?}");
    let may_again = engine
        .ingest(&Article::new(
            "may-again",
            month("May").replace("three", "3"),
        ))
        .unwrap();
    assert_eq!(
        (may_again.status, may_again.duplicate_of.as_deref()),
        (Status::NearDuplicate, Some("b2"))
    );
    let week_10 = engine.ingest(&Article::new("w10", week(10))).unwrap();
    assert_eq!(week_10.status, Status::New, "{week_10:?}");
    let next_update = engine
        .ingest(&Article::new("u4", update("20.4.0")))
        .unwrap();
    assert_eq!(next_update.status, Status::New, "{next_update:?}");
    let update_again = engine
        .ingest(&Article::new(
            "u3-again",
            update("20.3.0").replace("out now", "is out now"),
        ))
        .unwrap();
    assert_eq!(
        (update_again.status, update_again.duplicate_of.as_deref()),
        (Status::NearDuplicate, Some("b8"))
    );
}

/// A series whose every edition carries one title names its date in the body (a game's recap: "…
/// between Cincinnati Reds and Atlanta Braves on May 6, 2025"): with bodies compared, articles whose
/// titles name no date and whose bodies name different dates are not near-duplicates, in a batch, one at
/// a time and after a reopen; the same date, a revised title over one body, one wire text under datelines
/// of two days, or titles alone still match.
#[test]
fn bodies_naming_different_dates_under_undated_titles_are_not_near_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let title = "Cincinnati Reds vs. Atlanta Braves Results, Stats, and Recap";
    let recap = |id: &'static str, date: &str| {
        Article::new(id, title).with_body(format!(
            "CBS Sports brings you live coverage, scoring, expert picks and stats for the MLB \
             matchup between Cincinnati Reds and Atlanta Braves on {date}"
        ))
    };
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let verdicts: Vec<_> = engine
        .ingest_batch(&[recap("may6", "May 6, 2025"), recap("may7", "May 7, 2025")])
        .into_iter()
        .map(Result::unwrap)
        .collect();
    for v in &verdicts {
        assert_eq!(v.status, Status::New, "{v:?}");
    }
    let may8 = engine.ingest(&recap("may8", "May 8, 2025")).unwrap();
    assert_eq!(may8.status, Status::New, "{may8:?}");
    // The same game's page again, its date written another way.
    let again = engine.ingest(&recap("may7-again", "7 May 2025")).unwrap();
    assert_eq!(
        (again.status, again.duplicate_of.as_deref()),
        (Status::NearDuplicate, Some("may7"))
    );
    engine.flush().unwrap();
    drop(engine);

    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let may9 = engine.ingest(&recap("may9", "May 9, 2025")).unwrap();
    assert_eq!(may9.status, Status::New, "{may9:?}");
    let revised = engine
        .ingest(
            &Article::new("may6-revised", "Reds vs. Braves: Results, Stats and Recap").with_body(
                "CBS Sports brings you live coverage, scoring, expert picks and stats for the MLB \
                 matchup between Cincinnati Reds and Atlanta Braves on May 6, 2025",
            ),
        )
        .unwrap();
    assert_eq!(
        (revised.status, revised.duplicate_of.as_deref()),
        (Status::NearDuplicate, Some("may6"))
    );
    // One wire text sent on two days under a revised title: its dateline and its time-stamp line are
    // no dates of the text.
    let wire = |id: &'static str, title: &'static str, day: u32| {
        Article::new(id, title).with_body(format!(
            "WASHINGTON, May {day} (Reuters) - The Federal Reserve held interest rates steady, \
             saying inflation had cooled further.\nUpdated: May {day}, 2025 4:11 PM"
        ))
    };
    let first = engine
        .ingest(&wire("fed", "Fed holds rates steady as inflation cools", 6))
        .unwrap();
    assert_eq!(first.status, Status::New, "{first:?}");
    let resent = engine
        .ingest(&wire(
            "fed-2",
            "Fed holds rates steady, says inflation cools",
            7,
        ))
        .unwrap();
    assert_eq!(
        (resent.status, resent.duplicate_of.as_deref()),
        (Status::NearDuplicate, Some("fed"))
    );
    drop(engine);

    // Compared by title alone, the body's date plays no part: a revised title still matches.
    let titles = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        use_body: Some(false),
        ..EngineConfig::default()
    };
    let engine = Engine::open(titles.path(), config).unwrap();
    engine.ingest(&recap("may6", "May 6, 2025")).unwrap();
    let may7 = engine
        .ingest(
            &Article::new(
                "may7",
                "Cincinnati Reds vs. Atlanta Braves Results, Stats and Game Recap",
            )
            .with_body("… between Cincinnati Reds and Atlanta Braves on May 7, 2025"),
        )
        .unwrap();
    assert_eq!(
        (may7.status, may7.duplicate_of.as_deref()),
        (Status::NearDuplicate, Some("may6"))
    );
}

/// Ingests `articles` as one batch, every one of which must be taken.
fn ingest_all(engine: &Engine, articles: &[Article<'_>]) -> Vec<Verdict> {
    engine
        .ingest_batch(articles)
        .into_iter()
        .enumerate()
        .map(|(i, v)| v.unwrap_or_else(|e| panic!("article {i} of the batch: {e}")))
        .collect()
}

/// The statuses of `verdicts`, in order.
fn statuses(verdicts: &[Verdict]) -> Vec<Status> {
    verdicts.iter().map(|v| v.status).collect()
}

/// nasawatch.com's description of every item, its tagline.
const NASAWATCH_TAGLINE: &str = "This is not a NASA website. You might learn something. It's YOUR \
                                 space agency. Get involved. Take it back. Make it work - for YOU. \
                                 Independent news since 1996.";

/// A site that gives every item the same description (its tagline) does not make its items
/// near-duplicates once it has given that body to three titles: from then on its items are compared by
/// title, in a batch, one at a time, in a query and after a reopen, while a revised headline still
/// matches and another outlet's copy of the body still counts it. Removals take a title away from the
/// count, and a reopened store counts as the index that made them.
#[test]
fn a_sites_tagline_body_does_not_make_its_items_near_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let tagline = NASAWATCH_TAGLINE;
    let item = |id: &'static str, title: &'static str| {
        Article::new(id, title)
            .with_body(tagline)
            .with_source("nasawatch.com")
    };
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let first = ingest_all(
        &engine,
        &[
            item("a", "Laid Off With Honor At Goddard"),
            item("b", "Another Protest Planned On Monday"),
            item("c", "Budget Memo Leaks From Headquarters"),
        ],
    );
    assert_eq!(
        statuses(&first),
        [Status::New, Status::NearDuplicate, Status::NearDuplicate],
        "until the body has come with three titles it counts"
    );
    let d = engine
        .ingest(&item("d", "Shuttle Display Moves To Houston"))
        .unwrap();
    assert_eq!(d.status, Status::New, "{d:?}");
    let later = ingest_all(
        &engine,
        &[
            item("e", "Science Town Hall Is Postponed"),
            item("f", "Science Town Hall Is Postponed Again"),
            item("g", "Moon Rover Contract Awarded Today"),
        ],
    );
    assert_eq!(later[0].status, Status::New, "{:?}", later[0]);
    assert_eq!(
        (later[1].status, later[1].duplicate_of.as_deref()),
        (Status::NearDuplicate, Some("e")),
        "a revised headline matches by its title"
    );
    // The similarity it reports is its title's (the whole texts' is above 0.9), the one the threshold
    // was held to.
    let similarity = later[1].similarity.unwrap();
    assert!((0.5..0.9).contains(&similarity), "{similarity}");
    assert_eq!(later[2].status, Status::New, "{:?}", later[2]);
    let query = engine
        .query(&item("q", "Workforce Numbers Drop Again In May"))
        .unwrap();
    assert_eq!(query.status, Status::New, "{query:?}");
    let elsewhere = engine
        .query(
            &Article::new("wire", "Agency Budget Faces Deep Cuts")
                .with_body(tagline)
                .with_source("spacenews.com"),
        )
        .unwrap();
    assert_eq!(
        elsewhere.status,
        Status::NearDuplicate,
        "the body is one source's own: another's copy of it counts it"
    );
    engine.flush().unwrap();
    drop(engine);

    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let h = engine
        .ingest(&item("h", "Employee Location Tracking Begins"))
        .unwrap();
    assert_eq!(h.status, Status::New, "{h:?}");
    // Eight titles of the site are live. Removing all but two of them makes the body count again, live
    // and after a reopen alike.
    for id in ["a", "b", "c", "d", "e", "f"] {
        assert!(engine.remove(id).unwrap(), "{id}");
    }
    let probe = item("p", "Earth Science Data Goes Dark");
    let live = engine.query(&probe).unwrap();
    assert_eq!(live.status, Status::NearDuplicate, "{live:?}");
    engine.flush().unwrap();
    drop(engine);
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    assert_eq!(engine.query(&probe).unwrap(), live);
}

/// A crawl that writes one site both with and without `www.` (`bgr.com` and `www.bgr.com` in the
/// gnews crawl) gives the site's tagline to three titles under the two names together: one source.
#[test]
fn a_site_written_with_and_without_www_is_one_source_to_its_tagline() {
    let tagline = NASAWATCH_TAGLINE;
    let item = |id: &'static str, title: &'static str, source: &'static str| {
        Article::new(id, title)
            .with_body(tagline)
            .with_source(source)
    };
    let engine = Engine::in_memory(EngineConfig::default()).unwrap();
    let verdicts = ingest_all(
        &engine,
        &[
            item("a", "Laid Off With Honor At Goddard", "nasawatch.com"),
            item(
                "b",
                "Another Protest Planned On Monday",
                "www.nasawatch.com",
            ),
            item("c", "Budget Memo Leaks From Headquarters", "nasawatch.com"),
            item("d", "Shuttle Display Moves To Houston", "www.NASAWatch.com"),
        ],
    );
    assert_eq!(
        statuses(&verdicts),
        [
            Status::New,
            Status::NearDuplicate,
            Status::NearDuplicate,
            Status::New
        ],
        "three titles under the two names make the body the site's own"
    );
}

/// A crawl's export without sources (a link, a title and a description) gives a site's tagline to its
/// items as well: the site of each link stands for the source, so that the items of one site are not
/// joined by it, while another site's copy of the body still counts it and a record without a link or a
/// source compares its body as before.
#[test]
fn a_sites_tagline_body_is_told_by_the_links_site_when_there_is_no_source() {
    let tagline = NASAWATCH_TAGLINE;
    let item = |id: &'static str, title: &'static str, url: &'static str| {
        Article::new(id, title).with_body(tagline).with_url(url)
    };
    let engine = Engine::in_memory(EngineConfig::default()).unwrap();
    let verdicts = ingest_all(
        &engine,
        &[
            item(
                "a",
                "Laid Off With Honor At Goddard",
                "https://nasawatch.com/a",
            ),
            item(
                "b",
                "Another Protest Planned On Monday",
                "https://www.nasawatch.com/b",
            ),
            item(
                "c",
                "Budget Memo Leaks From Headquarters",
                "http://nasawatch.com:80/c?x=1",
            ),
            item(
                "d",
                "Shuttle Display Moves To Houston",
                "https://nasawatch.com/d",
            ),
        ],
    );
    assert_eq!(
        statuses(&verdicts),
        [
            Status::New,
            Status::NearDuplicate,
            Status::NearDuplicate,
            Status::New
        ],
        "three titles under one site's links make the body the site's own"
    );
    let elsewhere = engine
        .query(&item(
            "wire",
            "Agency Budget Faces Deep Cuts",
            "https://spacenews.com/w",
        ))
        .unwrap();
    assert_eq!(elsewhere.status, Status::NearDuplicate, "{elsewhere:?}");
    let unlinked = engine
        .query(&Article::new("bare", "Workforce Numbers Drop Again").with_body(tagline))
        .unwrap();
    assert_eq!(unlinked.status, Status::NearDuplicate, "{unlinked:?}");
}

/// A live blog that ends every headline with its own long tail ("… – Senaste nytt om kriget mellan Iran,
/// USA och Israel") does not make headlines of different events near-duplicates once its source has given
/// the tail to three headlines: from then on they are compared by what comes before it, in a batch, one
/// at a time and after a reopen, while a revised headline still matches, the blog's bare name matches
/// none of them (but may one of the first three), and another source's headline with the same tail
/// still counts it.
#[test]
fn a_live_blogs_tail_does_not_make_its_headlines_near_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let tail = "Senaste nytt om kriget mellan Iran, USA och Israel";
    let item = |id: &'static str, head: &str| {
        Article::new(id, format!("{head} – {tail}")).with_source("SVT Nyheter")
    };
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let first = ingest_all(
        &engine,
        &[
            item("a", "Oljan stiger"),
            item("b", "Kuwait larmar"),
            item("c", "Nato möts"),
        ],
    );
    assert_eq!(
        statuses(&first),
        [Status::New, Status::NearDuplicate, Status::NearDuplicate],
        "until the tail has come with three headlines it counts"
    );
    // The shortest head yet: the bare name below would match it best if compared whole.
    let d = engine.ingest(&item("d", "FN möts")).unwrap();
    assert_eq!(d.status, Status::New, "{d:?}");
    let later = ingest_all(
        &engine,
        &[
            item("e", "Tre svenskar dödade i Libanon"),
            item("f", "Fyra svenskar dödade i Libanon"),
            item("g", "Sju döda i Beirut"),
            Article::new("bare", tail).with_source("SVT Nyheter"),
        ],
    );
    assert_eq!(later[0].status, Status::New, "{:?}", later[0]);
    assert_eq!(
        (later[1].status, later[1].duplicate_of.as_deref()),
        (Status::NearDuplicate, Some("e")),
        "a revised headline matches by what comes before the tail"
    );
    assert_eq!(later[2].status, Status::New, "{:?}", later[2]);
    // The bare name matches no headline that came once the tail was the site's own; one of the first
    // three, compared whole when they came, it may.
    assert!(
        matches!(
            later[3].duplicate_of.as_deref(),
            None | Some("a" | "b" | "c")
        ),
        "the bare name: {:?}",
        later[3]
    );

    let elsewhere = engine
        .query(&Article::new("x", format!("Iran stänger sundet – {tail}")).with_source("Expressen"))
        .unwrap();
    assert_eq!(
        elsewhere.status,
        Status::NearDuplicate,
        "the tail is one source's own: another's counts it"
    );
    engine.flush().unwrap();
    drop(engine);

    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let i = engine.ingest(&item("i", "Iran svarar")).unwrap();
    assert_eq!(i.status, Status::New, "after a reopen: {i:?}");
}

/// Ingests `count` headlines about nothing in common, each made into an article by `item` from an id and
/// a headline: a source's label given to that many titles.
fn ingest_fillers(engine: &Engine, count: usize, item: impl Fn(String, &str) -> Article<'static>) {
    let articles: Vec<_> = (0..count)
        .map(|i| {
            let headline = format!("Filler headline number {i} about item {}", i * 7);
            item(format!("f{i}"), &headline)
        })
        .collect();
    ingest_all(engine, &articles);
}

/// Ingests a headline and a revision of it, each made into an article by `item` from an id and a
/// headline, and asserts that the revision matches the headline.
fn assert_a_revision_matches(
    engine: &Engine,
    item: impl Fn(String, &str) -> Article<'static>,
    why: &str,
) {
    let storm = "Storm closes the harbour in Gothenburg";
    engine.ingest(&item("storm".into(), storm)).unwrap();
    let revised = engine
        .ingest(&item("storm2".into(), &format!("{storm} again")))
        .unwrap();
    assert_eq!(
        (revised.status, revised.duplicate_of.as_deref()),
        (Status::NearDuplicate, Some("storm")),
        "{why}"
    );
}

/// A crawl of page titles, each "Headline | Example News" from the source `example.com`: a label shorter
/// than its headlines is compared with them (it may be a headline's own news, which revisions keep)
/// until the source has given it to more titles than revisions make; from then on two headlines alike
/// only through it are told apart, in a batch, in a query and after a reopen, while a revision still
/// matches.
#[test]
fn a_short_label_after_every_headline_is_the_sites_own_once_given_to_many_titles() {
    let label = "Example News";
    let item = |id: String, head: &str| {
        Article::new(id, format!("{head} | {label}")).with_source("example.com")
    };
    let (school, library) = (
        "Council approves budget for new school",
        "Council approves budget for new library",
    );

    let young = Engine::in_memory(EngineConfig::default()).unwrap();
    ingest_fillers(&young, 3, item);
    let pair = ingest_all(
        &young,
        &[
            item("school".into(), school),
            item("library".into(), library),
        ],
    );
    assert_eq!(
        (pair[1].status, pair[1].duplicate_of.as_deref()),
        (Status::NearDuplicate, Some("school")),
        "given to a few titles, a label shorter than the headlines counts"
    );

    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    ingest_fillers(&engine, 40, item);
    let pair = ingest_all(
        &engine,
        &[
            item("school".into(), school),
            item("library".into(), library),
        ],
    );
    assert_eq!(statuses(&pair), [Status::New, Status::New], "{pair:?}");
    assert_a_revision_matches(
        &engine,
        item,
        "a revised headline matches by what comes before the label",
    );
    engine.flush().unwrap();
    drop(engine);

    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let harbour = engine
        .query(&item("q".into(), "Council approves budget for new harbour"))
        .unwrap();
    assert_eq!(harbour.status, Status::New, "after a reopen: {harbour:?}");
}

/// A label before every headline ("Example News Live – Headline"), counted as a tail is: once the
/// source has given it to more titles than revisions make, two headlines alike only through it are told
/// apart, while a revision still matches; a head longer than its tail ("… – CFO 7", a headline with a
/// counter after it) is no label, and the copies stay one cluster.
#[test]
fn a_label_before_every_headline_is_the_sites_own_once_given_to_many_titles() {
    let label = "Example News Live";
    let item = |id: String, rest: &str| {
        Article::new(id, format!("{label} – {rest}")).with_source("example.com")
    };
    let (peru, chad) = ("Bus crash kills 15 in Peru", "Bus crash kills 25 in Chad");
    let pair = |engine: &Engine| {
        ingest_all(
            engine,
            &[item("peru".into(), peru), item("chad".into(), chad)],
        )
    };

    let young = Engine::in_memory(EngineConfig::default()).unwrap();
    ingest_fillers(&young, 3, item);
    let early = pair(&young);
    assert_eq!(
        (early[1].status, early[1].duplicate_of.as_deref()),
        (Status::NearDuplicate, Some("peru")),
        "given to a few titles, the label counts"
    );

    let engine = Engine::in_memory(EngineConfig::default()).unwrap();
    ingest_fillers(&engine, 40, item);
    assert_eq!(statuses(&pair(&engine)), [Status::New, Status::New]);
    assert_a_revision_matches(
        &engine,
        item,
        "a revised headline matches by what comes after the label",
    );

    // One headline's copies with a counter after a short tail: the head, given to as many titles as
    // copies, is longer than the tails it would leave, so the copies are compared whole.
    let copies: Vec<_> = (0..40)
        .map(|i| {
            Article::new(
                format!("c{i}"),
                format!("Bank may sell its Ukraine unit within a year – CFO {i}"),
            )
            .with_source("example.com")
        })
        .collect();
    let verdicts = ingest_all(&engine, &copies);
    let clusters: std::collections::HashSet<_> = verdicts.iter().map(|v| v.cluster).collect();
    assert_eq!(clusters.len(), 1, "{verdicts:?}");
}

/// A site with one description for all its items fills every bucket its body decides with its own
/// items, so each new item is a hot article compared by title, whose newest candidates are all turned
/// down: it goes on to the others, and an item that revises the title of one published hundreds of
/// items before finds it.
#[test]
fn a_revised_item_of_a_site_with_one_description_finds_its_original_among_hundreds() {
    let engine = Engine::in_memory(EngineConfig::default()).unwrap();
    // A body five times as long as a title decides about a third of the bands alone, whose buckets fill with
    // the site's items: well past what makes an article hot.
    let body = "Independent news and commentary about the space agency since 1996, by people who worked \
                there. Budgets, launches, contracts and the people behind them, told plainly. This is \
                not the agency's own website; it is yours to read and to argue with, every day.";
    let mut state = 7u64;
    let mut word = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        // Words that share no five letters with the body: a title's shingles that the body also has
        // would read as shared by every title.
        const WORDS: [&str; 12] = [
            "alpha", "bravo", "delta", "kilo", "lima", "oscar", "quebec", "romeo", "sierra",
            "tango", "victor", "zulu",
        ];
        format!(
            "{}{}",
            WORDS[(state >> 60) as usize % 12],
            (state >> 40) % 500
        )
    };
    let titles: Vec<String> = (0..600)
        .map(|_| (0..5).map(|_| word()).collect::<Vec<_>>().join(" "))
        .collect();
    let items: Vec<Article<'_>> = titles
        .iter()
        .enumerate()
        .map(|(n, title)| {
            Article::new(format!("item{n}"), title.as_str())
                .with_body(body)
                .with_source("spacesite.example")
        })
        .collect();
    let verdicts: Vec<_> = engine
        .ingest_batch(&items)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let near = verdicts
        .iter()
        .filter(|v| v.status == Status::NearDuplicate)
        .count();
    // The first three count the body; after them, under a body this long, the titles' estimate rests on
    // the few values the titles decide, and a pair of unrelated titles may pass now and then.
    assert!(
        near <= 10,
        "the site's items are new articles: {near} of 600 matched"
    );
    let revised = format!("{} update", titles[20]);
    let revision = engine
        .ingest(
            &Article::new("revision", revised.as_str())
                .with_body(body)
                .with_source("spacesite.example"),
        )
        .unwrap();
    assert_eq!(
        (revision.status, revision.duplicate_of.as_deref()),
        (Status::NearDuplicate, Some("item20"))
    );
}

/// A dated series polled again and again with a counter: its copies are hot articles, which verify the
/// newest members of their buckets first and the rest only when none of those matches. A copy of one
/// date still finds its own date's copies among many of other dates, under either linkage, and a new
/// date founds its own cluster.
#[test]
fn a_hot_dated_series_keeps_its_dates_apart_under_either_linkage() {
    use storyhash::Linkage;
    for linkage in [Linkage::Best, Linkage::Single] {
        let engine = Engine::in_memory(EngineConfig {
            linkage,
            ..EngineConfig::default()
        })
        .unwrap();
        let copy = |date: &str, k: usize| {
            format!("Live updates: markets and news for {date}, 2025 - page {k}")
        };
        let mut articles = Vec::new();
        for k in 0..300 {
            articles.push((format!("oct3-{k}"), copy("October 3", k)));
        }
        for k in 0..40 {
            articles.push((format!("oct4-{k}"), copy("October 4", k)));
        }
        let batch: Vec<Article<'_>> = articles
            .iter()
            .map(|(id, title)| Article::new(id.as_str(), title.as_str()))
            .collect();
        let verdicts: Vec<_> = engine
            .ingest_batch(&batch)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let (oct3, oct4) = (verdicts[0].cluster, verdicts[300].cluster);
        assert_eq!(verdicts[300].status, Status::New, "{linkage:?}");
        assert!(
            verdicts[..300].iter().all(|v| v.cluster == oct3),
            "{linkage:?}"
        );
        assert!(
            verdicts[300..].iter().all(|v| v.cluster == oct4),
            "{linkage:?}"
        );
        let again = engine
            .ingest(&Article::new("oct3-again", copy("October 3", 999)))
            .unwrap();
        assert_eq!(
            (again.status, again.cluster),
            (Status::NearDuplicate, oct3),
            "{linkage:?}: {again:?}"
        );
        let oct5 = engine
            .ingest(&Article::new("oct5", copy("October 5", 1)))
            .unwrap();
        assert_eq!(oct5.status, Status::New, "{linkage:?}: {oct5:?}");
    }
}

/// A crawler's rayon tasks that call the engine (a `par_iter` over its batches, lookups among them,
/// and a thread of its own ingesting meanwhile) all finish: the engine's parallel work runs on a pool of
/// its own, which a task's thread waiting inside the engine cannot be asked to take up. Without it, a
/// pool thread holding the engine's lock took up another task calling the engine, and waited for itself
/// (1 run in 3 of an 8-thread pool).
#[test]
fn batches_ingested_from_the_tasks_of_a_rayon_pool_all_finish() {
    use rayon::prelude::*;
    const BATCHES: usize = 64;
    const PER_BATCH: usize = 600;
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let engine = Engine::in_memory(EngineConfig::default()).unwrap();
        let batch = |b: usize| -> Vec<Article<'static>> {
            (0..PER_BATCH)
                .map(|i| {
                    Article::new(
                        format!("{b}-{i}"),
                        format!(
                            "headline number {i} of batch {b} about things {}",
                            i * 7919 % 1000
                        ),
                    )
                })
                .collect()
        };
        let batches: Vec<_> = (0..BATCHES).map(batch).collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(8)
            .build()
            .unwrap();
        std::thread::scope(|scope| {
            // A thread outside the pool ingests meanwhile.
            scope.spawn(|| {
                for result in engine.ingest_batch(&batch(BATCHES)) {
                    result.unwrap();
                }
            });
            pool.install(|| {
                batches.par_iter().enumerate().for_each(|(b, batch)| {
                    for result in engine.ingest_batch(batch) {
                        result.unwrap();
                    }
                    if b % 8 == 0 {
                        engine.overview();
                    }
                })
            });
        });
        let _ = done.send(engine.stats().articles);
    });
    let articles = finished
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("every task finished: none waited for ever inside the engine");
    assert_eq!(articles, ((BATCHES + 1) * PER_BATCH) as u64);
}
