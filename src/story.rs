//! The story level: a looser grouping on top of the near-duplicate clusters that puts different articles
//! about one event together. An article's content terms (the words of its normalised headline that are not
//! function words, hashed) are weighted by TF-IDF with document frequencies learned from the stream so
//! far, so that "portugal" weighs more than "says". A duplicate or near-duplicate takes the story of what it
//! matched and adds no words (only the articles that found a near-duplicate cluster are counted, so that
//! forty printings of one agency text do not outweigh the rest); any other article joins the story whose
//! term centroid is most similar (cosine at or above the story threshold, last active within the time
//! window), or founds a story of its own. Single pass and in order: the same articles in the same order give
//! the same stories, streaming or in batch, and a story id (its founder's number) never changes. `cluster` drives it in the decision step; the story of each article is
//! stored with it and the rest is rebuilt from the stored terms at open.

use std::collections::HashMap;
use std::sync::OnceLock;

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::lsh::MixState;

const NONE: u32 = u32::MAX;

/// Seed of the term hash. Terms are stored with each article: changing it changes the stored format.
pub const TERM_SEED: u64 = 0x7465_726d_7365_6564; // "termseed"

/// Most content terms taken from one headline.
pub const MAX_TERMS: usize = 32;

/// Most recent stories remembered per term for finding candidates.
const POSTINGS: usize = 32;

/// Candidate stories (those sharing the most term weight with an article) that get the full cosine.
const CANDIDATES: usize = 16;

/// Function words of English (and the commonest of the other languages seen in news feeds) and words that
/// say "this is news" rather than what about: they carry no story.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "after",
    "against",
    "all",
    "also",
    "amid",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "before",
    "being",
    "between",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "during",
    "for",
    "from",
    "had",
    "has",
    "have",
    "he",
    "her",
    "his",
    "how",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "may",
    "might",
    "more",
    "most",
    "new",
    "news",
    "no",
    "not",
    "now",
    "of",
    "off",
    "on",
    "one",
    "or",
    "our",
    "out",
    "over",
    "says",
    "said",
    "say",
    "she",
    "should",
    "so",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "to",
    "under",
    "up",
    "us",
    "via",
    "vs",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "update",
    "updated",
    "exclusive",
    "breaking",
    "report",
    "reports",
    "live",
    "video",
    "watch",
    "photos",
    "och",
    "att",
    "det",
    "som",
    "en",
    "på",
    "är",
    "av",
    "för",
    "med",
    "till",
    "den",
    "har",
    "de",
    "inte",
    "om",
    "ett",
    "der",
    "die",
    "das",
    "und",
    "le",
    "la",
    "les",
    "des",
    "et",
    "el",
    "los",
    "y",
];

/// The hashes of the stop words, sorted, for a binary search per word.
fn stop_hashes() -> &'static [u64] {
    static HASHES: OnceLock<Vec<u64>> = OnceLock::new();
    HASHES.get_or_init(|| {
        let mut h: Vec<u64> = STOP_WORDS
            .iter()
            .map(|w| xxh3_64_with_seed(w.as_bytes(), TERM_SEED))
            .collect();
        h.sort_unstable();
        h
    })
}

/// The content terms of a normalised headline, hashed (order kept, repeats kept, at most [`MAX_TERMS`]).
pub fn terms(normalized: &str, out: &mut Vec<u32>) {
    out.clear();
    let stop = stop_hashes();
    for word in normalized.split(|c: char| !c.is_alphanumeric()) {
        if out.len() == MAX_TERMS {
            break;
        }
        if word.len() < 2 || word.chars().nth(1).is_none() {
            continue;
        }
        let h = xxh3_64_with_seed(word.as_bytes(), TERM_SEED);
        if stop.binary_search(&h).is_err() {
            out.push(h as u32);
        }
    }
}

/// One story: how often each term occurs among its members, and when it was active.
#[derive(Clone, Debug, Default)]
struct Story {
    /// `(term, count)`, sorted by term.
    counts: Vec<(u32, u32)>,
    /// Squared norm of the TF-IDF centroid, kept up to date as members join (with the IDF of the moment).
    norm2: f64,
    /// Live members.
    size: u32,
    /// Earliest and latest member time.
    first: i64,
    last: i64,
}

impl Story {
    fn count(&self, term: u32) -> u32 {
        match self.counts.binary_search_by_key(&term, |&(t, _)| t) {
            Ok(i) => self.counts[i].1,
            Err(_) => 0,
        }
    }
}

/// What the index knows of one term: in how many counted articles it occurs, and the stories that took it
/// up most recently (first use counts), kept inline.
#[derive(Clone, Copy, Debug)]
struct Term {
    documents: u32,
    len: u8,
    recent: [u32; POSTINGS],
}

impl Default for Term {
    fn default() -> Self {
        Term {
            documents: 0,
            len: 0,
            recent: [0; POSTINGS],
        }
    }
}

impl Term {
    fn stories(&self) -> &[u32] {
        &self.recent[..self.len as usize]
    }

    /// Remembers `story` as a user of the term, forgetting the oldest when full.
    fn take_up(&mut self, story: u32) {
        if self.stories().contains(&story) {
            return;
        }
        if self.len as usize == POSTINGS {
            self.recent.copy_within(1.., 0);
            self.len -= 1;
        }
        self.recent[self.len as usize] = story;
        self.len += 1;
    }
}

/// The story state of an index. `Default` is an empty index with threshold and window zero, a placeholder.
#[derive(Debug, Default)]
pub struct StoryIndex {
    threshold: f64,
    window: i64,
    documents: u64,
    terms: HashMap<u32, Term, MixState>,
    stories: HashMap<u32, Story, MixState>,
    story_of: Vec<u32>,
}

impl StoryIndex {
    /// An empty story index: articles join a story at cosine `threshold` or above, within `window`
    /// seconds of its activity.
    pub fn new(threshold: f64, window: i64) -> StoryIndex {
        StoryIndex {
            threshold,
            window,
            documents: 0,
            terms: HashMap::default(),
            stories: HashMap::default(),
            story_of: Vec::new(),
        }
    }

    /// The story of article `seq` (`None` when it has none: removed, or never numbered).
    pub fn story_of(&self, seq: u32) -> Option<u32> {
        self.story_of
            .get(seq as usize)
            .copied()
            .filter(|&s| s != NONE)
    }

    /// Live members of story `story`.
    pub fn size(&self, story: u32) -> u32 {
        self.stories.get(&story).map_or(0, |s| s.size)
    }

    fn idf(&self, term: u32) -> f64 {
        let df = self.terms.get(&term).map_or(0, |t| t.documents);
        ((self.documents as f64 + 1.0) / (df as f64 + 1.0)).ln() + 1.0
    }

    /// The story an article with `terms` at `time` would join by content, if any reaches the threshold.
    pub fn best(&self, terms: &[u32], time: i64) -> Option<u32> {
        if terms.is_empty() {
            return None;
        }
        let mut tf: Vec<(u32, u32)> = Vec::with_capacity(terms.len());
        for &t in terms {
            match tf.iter_mut().find(|(x, _)| *x == t) {
                Some((_, n)) => *n += 1,
                None => tf.push((t, 1)),
            }
        }
        let weighted: Vec<(u32, f64, f64)> = tf
            .iter()
            .map(|&(t, n)| {
                let idf = self.idf(t);
                (t, n as f64 * idf, idf)
            })
            .collect();
        let norm = weighted.iter().map(|(_, w, _)| w * w).sum::<f64>().sqrt();
        // Candidates: the recent stories of each term, ranked by the weight of the terms they share with
        // the article; only the best few get the full cosine.
        let mut shared: Vec<(u32, f64)> = Vec::with_capacity(256);
        for &(t, w, idf) in &weighted {
            if let Some(term) = self.terms.get(&t) {
                shared.extend(term.stories().iter().map(|&s| (s, w * idf)));
            }
        }
        shared.sort_unstable_by_key(|&(s, _)| s);
        let mut ranked: Vec<(u32, f64)> = Vec::with_capacity(shared.len());
        for (s, weight) in shared {
            match ranked.last_mut() {
                Some((last, total)) if *last == s => *total += weight,
                _ => ranked.push((s, weight)),
            }
        }
        ranked.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let candidates = ranked.iter().take(CANDIDATES).map(|&(s, _)| s);
        let mut best: Option<(u32, f64)> = None;
        for id in candidates {
            let Some(story) = self.stories.get(&id) else {
                continue;
            };
            if story.size == 0
                || story.norm2 <= 0.0
                || time < story.first.saturating_sub(self.window)
                || time > story.last.saturating_add(self.window)
            {
                continue;
            }
            let dot: f64 = weighted
                .iter()
                .map(|&(t, w, idf)| w * story.count(t) as f64 * idf)
                .sum();
            let cosine = dot / (norm * story.norm2.sqrt());
            if best.is_none_or(|(_, b)| cosine > b) {
                best = Some((id, cosine));
            }
        }
        best.filter(|&(_, c)| c >= self.threshold).map(|(id, _)| id)
    }

    /// Decides the story of new article `seq`: `via` (the story of the earlier article it duplicates) when
    /// given, else the best story by content, else a story of its own. Returns the story id.
    pub fn assign(&mut self, seq: u32, terms: &[u32], time: i64, via: Option<u32>) -> u32 {
        let story = via
            .filter(|s| self.stories.contains_key(s))
            .or_else(|| self.best(terms, time))
            .unwrap_or(seq);
        self.add(seq, story, terms, time);
        story
    }

    /// Records article `seq` as a member of `story` (deciding nothing): used by `assign` and to rebuild the
    /// state from stored articles, in number order. `terms` may be empty (an exact duplicate counts as a
    /// member but adds no words).
    pub fn add(&mut self, seq: u32, story: u32, terms: &[u32], time: i64) {
        let s = seq as usize;
        if self.story_of.len() <= s {
            self.story_of.resize(s + 1, NONE);
        }
        self.story_of[s] = story;
        let terms = &terms[..terms.len().min(MAX_TERMS)];
        let mut idfs = [0f64; MAX_TERMS];
        for (idf, &t) in idfs.iter_mut().zip(terms) {
            *idf = self.idf(t);
        }
        let entry = self.stories.entry(story).or_insert_with(|| Story {
            first: time,
            last: time,
            ..Story::default()
        });
        entry.size += 1;
        entry.first = entry.first.min(time);
        entry.last = entry.last.max(time);
        for (&t, idf) in terms.iter().zip(idfs) {
            let old = match entry.counts.binary_search_by_key(&t, |&(x, _)| x) {
                Ok(i) => {
                    entry.counts[i].1 += 1;
                    entry.counts[i].1 - 1
                }
                Err(i) => {
                    entry.counts.insert(i, (t, 1));
                    0
                }
            };
            let new = old + 1;
            entry.norm2 += ((new * new - old * old) as f64) * idf * idf;
        }
        if terms.is_empty() {
            return;
        }
        let mut distinct = [0u32; MAX_TERMS];
        let distinct = &mut distinct[..terms.len()];
        distinct.copy_from_slice(terms);
        distinct.sort_unstable();
        let mut previous = None;
        for &t in distinct.iter() {
            if previous == Some(t) {
                continue;
            }
            previous = Some(t);
            let term = self.terms.entry(t).or_default();
            term.documents += 1;
            term.take_up(story);
        }
        self.documents += 1;
    }

    /// Takes article `seq` (with the `terms` it added: none for an exact duplicate) out of its story and the
    /// document frequencies.
    pub fn remove(&mut self, seq: u32, terms: &[u32]) {
        let Some(story) = self.story_of(seq) else {
            return;
        };
        self.story_of[seq as usize] = NONE;
        let idfs: Vec<f64> = terms.iter().map(|&t| self.idf(t)).collect();
        if let Some(entry) = self.stories.get_mut(&story) {
            entry.size = entry.size.saturating_sub(1);
            for (&t, idf) in terms.iter().zip(&idfs) {
                if let Ok(i) = entry.counts.binary_search_by_key(&t, |&(x, _)| x) {
                    let old = entry.counts[i].1;
                    let new = old - 1;
                    entry.norm2 -= ((old * old - new * new) as f64) * idf * idf;
                    if new == 0 {
                        entry.counts.remove(i);
                    } else {
                        entry.counts[i].1 = new;
                    }
                }
            }
            entry.norm2 = entry.norm2.max(0.0);
        }
        if terms.is_empty() {
            return;
        }
        let mut seen: Vec<u32> = terms.to_vec();
        seen.sort_unstable();
        seen.dedup();
        for t in seen {
            if let Some(term) = self.terms.get_mut(&t) {
                term.documents = term.documents.saturating_sub(1);
                if term.documents == 0 {
                    self.terms.remove(&t);
                }
            }
        }
        self.documents = self.documents.saturating_sub(1);
    }

    /// The story a story id now belongs to (stories do not merge yet: itself).
    pub fn root(&self, story: u32) -> u32 {
        story
    }

    /// Live members of story `story`, in number order.
    pub fn members(&self, story: u32) -> Vec<u32> {
        self.story_of
            .iter()
            .enumerate()
            .filter(|&(_, &s)| s == story)
            .map(|(seq, _)| seq as u32)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        terms(text, &mut out);
        out
    }

    #[test]
    fn function_words_and_single_letters_carry_no_story() {
        assert_eq!(t("the fed and a rate of 5"), t("fed rate"));
        assert!(t("the of and").is_empty());
    }

    #[test]
    fn articles_about_one_event_share_a_story_and_others_do_not() {
        let mut s = StoryIndex::new(0.1, 86_400);
        let a = s.assign(0, &t("apple unveils iphone 6 at cupertino event"), 0, None);
        let b = s.assign(1, &t("fed holds interest rates steady"), 10, None);
        let c = s.assign(2, &t("iphone 6 launch apple shares rise"), 20, None);
        assert_eq!((a, b), (0, 1));
        assert_eq!(c, a, "shares the rare words iphone and apple");
        // Outside the window the same words start a new story.
        let d = s.assign(3, &t("apple iphone 6 reviews"), 10 * 86_400, None);
        assert_eq!(d, 3);
        // A near-duplicate takes the story of what it matched.
        assert_eq!(s.assign(4, &t("rates"), 30, Some(b)), b);
        assert_eq!(s.size(a), 2);
        s.remove(2, &t("iphone 6 launch apple shares rise"));
        assert_eq!(s.size(a), 1);
        assert_eq!(s.members(b), vec![1, 4]);
    }
}
