//! A crawler's use of the library: a store opened once, each fetched page's articles ingested as one
//! batch (decided in order, durable once `flush` returns), the verdicts read to skip what was seen, and
//! a story looked up. Give it a store directory and a JSON Lines file of articles (`id`, `title`, and
//! optionally `body`, `source`, `url`, `published`):
//!
//! ```text
//! cargo run --release --example crawler -- /tmp/news.db data/uci-stories-dev.jsonl
//! ```
//!
//! Run it twice on the same store: the second run finds every article stored already, and ingests none.

use std::io::BufRead;

use storyhash::{Article, Engine, EngineConfig, Status};

/// Articles per batch, as a page of a feed might hold.
const PAGE: usize = 100;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let (Some(db), Some(input)) = (args.next(), args.next()) else {
        return Err("usage: crawler STORE_DIR ARTICLES.jsonl".into());
    };
    // A new store takes the defaults; an existing one keeps the settings it recorded.
    let engine = Engine::open(&db, EngineConfig::default())?;
    let before = engine.stats().articles;
    let reader = std::io::BufReader::new(std::fs::File::open(&input)?);
    let (mut fresh, mut seen, mut stored, mut refused) = (0, 0, 0, 0);
    let mut page: Vec<Article<'static>> = Vec::with_capacity(PAGE);
    let mut lines = reader.lines().enumerate().peekable();
    while let Some((number, line)) = lines.next() {
        let line = line?;
        match serde_json::from_str::<Article<'_>>(&line) {
            _ if line.trim().is_empty() => {}
            Ok(article) => page.push(article.into_owned()),
            Err(e) => {
                eprintln!("{}:{}: {e}", input.to_string_lossy(), number + 1);
                refused += 1;
            }
        }
        if page.len() < PAGE && lines.peek().is_some() {
            continue;
        }
        for (article, verdict) in page.iter().zip(engine.ingest_batch(&page)) {
            match verdict {
                // An id stored before with this text (a crawl sees its pages again, or a page lists an
                // article twice): its stored verdict, nothing changed.
                Ok(v) if v.repeat => stored += 1,
                // New to the store: worth fetching the whole article.
                Ok(v) if v.status == Status::New => fresh += 1,
                // A copy of, or a near-duplicate of, one stored before: `duplicate_of` names it.
                Ok(_) => seen += 1,
                // A bad field, or an id stored before with another text.
                Err(storyhash::Error::Article(e)) => {
                    eprintln!("{}: {e}", article.id);
                    refused += 1;
                }
                // The store failed (a full disk): nothing after this is taken.
                Err(e) => return Err(e.into()),
            }
        }
        // Everything ingested so far is durable once this returns.
        engine.flush()?;
        page.clear();
    }
    let stats = engine.stats();
    println!(
        "{fresh} new, {seen} copies or near-copies of earlier ones, {stored} stored before, {refused} \
         refused; the store holds {} articles in {} clusters ({} before this run)",
        stats.articles, stats.clusters, before
    );
    // The story that grew most in the week before its newest article.
    if let Some(newest) = engine.overview().newest {
        let since = newest.before(std::time::Duration::from_secs(7 * 86_400));
        if let Some(top) = engine.trending_stories(since, newest, 1, 0)?.first() {
            println!(
                "the week's largest story: {} articles that week ({} in all), \"{}\"",
                top.growth, top.size, top.representative
            );
        }
    }
    Ok(())
}
