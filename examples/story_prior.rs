//! Builds `src/story/prior.bin`, the document frequencies the story level starts from
//! (`story::prior`), from headlines in JSON Lines (`title`, optional `source`) on standard input:
//!
//! ```text
//! zcat news-archive-headlines.jsonl.gz | cargo run --release --example story_prior -- src/story/prior.bin
//! ```
//!
//! Each headline's words are read as the story level reads them (`prepare::story_terms`); a word in at
//! least [`MIN_HEADLINES`] headlines is kept with [`WEIGHT`] times its counts, rounded: the headlines
//! that use it, its uses where case says something and the capitalised ones among those (as the story
//! level counts a stream's; none for a word capitalised in fewer than [`NAME_SHARE`] of those uses);
//! so is the number of headlines. Distinct titles are counted once.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};

use storyhash::story::Kind;

/// Headlines a word must appear in to be kept: rarer words are rare in any stream.
const MIN_HEADLINES: u32 = 10;

/// The share of its uses where case says something that a word must be capitalised in to count as a
/// name: places and people are written so nearly always.
const NAME_SHARE: f64 = 0.9;

/// What one reference headline counts for against one headline of the stream.
const WEIGHT: f64 = 0.3;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .ok_or("usage: story_prior OUT.bin < headlines.jsonl")?;
    // Per word: headlines that use it, uses where case says something, capitalised uses of those.
    let mut counts: HashMap<u32, [u32; 3]> = HashMap::new();
    let mut seen = HashSet::new();
    let mut headlines = 0u64;
    for (n, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line?;
        let v: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("line {}: {e}", n + 1))?;
        let Some(title) = v["title"].as_str() else {
            return Err(format!("line {}: no `title`", n + 1).into());
        };
        if !seen.insert(title.to_string()) {
            continue;
        }
        let mut article = storyhash::Article::new("reference", title);
        if let Some(source) = v["source"].as_str() {
            article = article.with_source(source);
        }
        let terms = storyhash::prepare::story_terms(&article, None);
        for &t in &terms {
            let (informative, name) = match storyhash::story::kind(t) {
                Kind::Lower => (1, 0),
                Kind::Name | Kind::Acronym => (1, 1),
                Kind::Plain | Kind::Capital | Kind::Judged => (0, 0),
            };
            let entry = counts.entry(storyhash::story::word(t)).or_default();
            entry[1] += informative;
            entry[2] += name;
        }
        let mut words: Vec<u32> = terms.into_iter().map(storyhash::story::word).collect();
        words.sort_unstable();
        words.dedup();
        for w in words {
            counts.entry(w).or_default()[0] += 1;
        }
        headlines += 1;
    }
    let weigh = |n: u32| (f64::from(n) * WEIGHT).round() as u32;
    let mut kept: Vec<(u32, [u32; 3])> = counts
        .into_iter()
        .filter(|&(_, [n, _, _])| n >= MIN_HEADLINES)
        .map(|(w, [n, informative, names])| {
            // A word not nearly always capitalised ("Here's why …" after a dash, the "Prime" of
            // "Prime Minister") is not a name: its capitalised uses count as lowercase ones.
            let names = if f64::from(names) >= NAME_SHARE * f64::from(informative) {
                names
            } else {
                0
            };
            (w, [n, informative, names].map(weigh))
        })
        .collect();
    kept.sort_unstable();
    let mut file = std::io::BufWriter::new(std::fs::File::create(&out)?);
    file.write_all(&((headlines as f64 * WEIGHT).round() as u32).to_le_bytes())?;
    for (w, n) in &kept {
        file.write_all(&w.to_le_bytes())?;
        for count in n {
            file.write_all(&count.to_le_bytes())?;
        }
    }
    file.flush()?;
    eprintln!("{headlines} headlines, {} words kept: {out}", kept.len());
    Ok(())
}
