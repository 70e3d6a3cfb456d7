//! The sequential core: decides each article's verdict and keeps the in-memory state that decision needs —
//! the exact-text map, the band tables, the signatures of indexed articles and the cluster union-find.
//!
//! An article is a `duplicate` when an earlier live article has the same normalised text, a
//! `near_duplicate` when band-table candidates verify (estimated Jaccard at or above the threshold), and
//! `new` otherwise. It joins the cluster of what it matched; when it matches several clusters they merge,
//! the link always pointing from the younger root to the older, so a cluster id stays valid forever and the
//! clusters are the connected components of the verified matches. Articles are numbered in ingest order
//! (`seq`); a cluster's id is its founder's `seq`. `engine` drives it and persists what it decides.

use std::collections::HashMap;

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use crate::config::{Linkage, ValidConfig};
use crate::error::ArticleError;
use crate::lsh::{band_keys, BandTable, MixState};
use crate::model::{Stats, Status};
use crate::prepare::Prepared;
use crate::story::StoryIndex;

const NONE: u32 = u32::MAX;

/// Asks the CPU to bring the cache line at `value` in ahead of use.
#[inline]
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint and never faults; the pointer comes from a reference.
    #[allow(unused_unsafe)]
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast::<i8>());
    }
}

/// What the index decided for a new article.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// The article's number.
    pub seq: u32,
    /// Its status.
    pub status: Status,
    /// Best-matching earlier article.
    pub best: Option<u32>,
    /// Estimated similarity to `best`.
    pub similarity: Option<f32>,
    /// The cluster it joined (a root).
    pub cluster: u32,
    /// That cluster's size with this article.
    pub cluster_size: u32,
    /// Clusters merged by this article: `(from, into)`.
    pub merges: Vec<(u32, u32)>,
    /// Whether it went into the band tables' eligible set (enough shingles).
    pub eligible: bool,
    /// The story it joined (see `story`).
    pub story: u32,
    /// The content terms it added to its story, kinds as decided (empty when it added none).
    pub story_terms: Vec<u32>,
    /// Stories merged by it: `(from, into)`.
    pub story_merges: Vec<(u32, u32)>,
}

/// The outcome of offering an article to the index.
#[derive(Clone, Debug, PartialEq)]
pub enum Commit {
    /// A new article, decided now.
    Fresh(Decision),
    /// The id was already stored with the same text: nothing changed.
    Replay(u32),
}

/// An article offered to the index: its id and what `prepare` made of it.
#[derive(Clone, Copy, Debug)]
pub struct Offer<'a> {
    /// The article id.
    pub id: &'a str,
    /// Its exact-text key, shingle count and signature.
    pub prepared: &'a Prepared,
    /// Its time (publication, else arrival), Unix seconds: with a window it only matches articles near it.
    pub time: i64,
}

/// What [`Index::query`] found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Query {
    /// The status the article would get.
    pub status: Status,
    /// Its best match and similarity.
    pub best: Option<(u32, f32)>,
    /// The cluster it would join (`None`: it would found one).
    pub cluster: Option<u32>,
    /// The story it would join (`None`: it would found one).
    pub story: Option<u32>,
}

/// Phase-1 outcome for one offer in a batch.
enum Plan {
    Done(Result<Commit, ArticleError>),
    Duplicate { seq: u32, rep: u32, eligible: bool },
    Alone { seq: u32 },
    Indexed { seq: u32, insert: usize },
}

/// An article as the store gives it back at open.
#[derive(Clone, Debug)]
pub struct Restored {
    /// Number.
    pub seq: u32,
    /// Id.
    pub id: String,
    /// Exact-text key.
    pub text_hash: u64,
    /// Status given at ingest.
    pub status: Status,
    /// Best match at ingest.
    pub best: Option<u32>,
    /// Its id.
    pub best_id: Option<String>,
    /// Similarity to it.
    pub similarity: Option<f32>,
    /// Cluster joined at ingest.
    pub cluster: u32,
    /// Its time (publication, else arrival), Unix seconds.
    pub time: i64,
    /// Story given at ingest.
    pub story: u32,
    /// The content terms it counted for its story.
    pub terms: Vec<u32>,
    /// Enough shingles for the band tables.
    pub eligible: bool,
    /// A tombstone: the article was removed; only its number and id count.
    pub removed: bool,
    /// Signature.
    pub signature: Vec<u32>,
}

/// A verified match: the earlier article's number and its estimated similarity.
type Match = (u32, f32);

/// The in-memory index.
#[derive(Debug)]
pub struct Index {
    permutations: usize,
    bands: usize,
    rows: usize,
    min_equal: usize,
    min_shingles: u32,
    bucket_cap: usize,
    linkage: Linkage,
    window: Option<i64>,
    tables: Vec<BandTable>,
    // Per article (seq).
    id_text: String,
    id_ends: Vec<usize>,
    text_hash: Vec<u64>,
    time: Vec<i64>,
    parent: Vec<u32>,
    size: Vec<u32>,
    status: Vec<Status>,
    best: Vec<u32>,
    sim: Vec<f32>,
    slot: Vec<u32>,
    alive: Vec<bool>,
    eligible: Vec<bool>,
    // Per indexed article (slot): signatures keep the low 16 bits of each value (b-bit MinHash), enough to
    // verify a candidate and half the memory.
    signatures: Vec<u16>,
    slot_seq: Vec<u32>,
    free_slots: Vec<u32>,
    // Lookups.
    exact: HashMap<u64, u32, MixState>,
    ids: HashMap<u64, u32, MixState>,
    id_collisions: HashMap<Box<str>, u32>,
    stats: Stats,
    stories: StoryIndex,
}

impl Index {
    /// An empty index for a validated configuration.
    pub fn new(config: &ValidConfig) -> Index {
        let p = &config.params;
        let k = p.permutations;
        Index {
            permutations: k,
            bands: p.bands,
            rows: p.rows,
            min_equal: ((config.config.threshold * k as f64) - 1e-9)
                .ceil()
                .max(1.0) as usize,
            min_shingles: config.config.min_shingles as u32,
            bucket_cap: config.config.bucket_cap,
            linkage: config.config.linkage,
            window: config.config.window.map(|w| w as i64),
            tables: vec![BandTable::default(); p.bands],
            id_text: String::new(),
            id_ends: Vec::new(),
            text_hash: Vec::new(),
            time: Vec::new(),
            parent: Vec::new(),
            size: Vec::new(),
            status: Vec::new(),
            best: Vec::new(),
            sim: Vec::new(),
            slot: Vec::new(),
            alive: Vec::new(),
            eligible: Vec::new(),
            signatures: Vec::new(),
            slot_seq: Vec::new(),
            free_slots: Vec::new(),
            exact: HashMap::default(),
            ids: HashMap::default(),
            id_collisions: HashMap::new(),
            stats: Stats::default(),
            stories: StoryIndex::new(config.story_settings()),
        }
    }

    /// Reserves room for `additional` more articles.
    pub fn reserve(&mut self, additional: usize) {
        self.text_hash.reserve(additional);
        self.time.reserve(additional);
        self.parent.reserve(additional);
        self.size.reserve(additional);
        self.status.reserve(additional);
        self.best.reserve(additional);
        self.sim.reserve(additional);
        self.slot.reserve(additional);
        self.alive.reserve(additional);
        self.eligible.reserve(additional);
        self.id_ends.reserve(additional);
        self.ids.reserve(additional);
    }

    /// Number of article numbers handed out (live or removed).
    pub fn next_seq(&self) -> u32 {
        self.text_hash.len() as u32
    }

    /// The id of article `seq`.
    pub fn id(&self, seq: u32) -> &str {
        let s = seq as usize;
        let start = if s == 0 { 0 } else { self.id_ends[s - 1] };
        &self.id_text[start..self.id_ends[s]]
    }

    /// The live article with this id.
    pub fn lookup(&self, id: &str) -> Option<u32> {
        match self.ids.get(&xxh3_64(id.as_bytes())) {
            Some(&seq) if self.id(seq) == id => Some(seq),
            Some(_) => self.id_collisions.get(id).copied(),
            None => None,
        }
    }

    /// True when article `seq` is stored and not removed.
    pub fn is_alive(&self, seq: u32) -> bool {
        self.alive.get(seq as usize).copied().unwrap_or(false)
    }

    /// The exact-text key of article `seq`.
    pub fn text_hash(&self, seq: u32) -> u64 {
        self.text_hash[seq as usize]
    }

    /// Status, best match and similarity given at ingest.
    pub fn decided(&self, seq: u32) -> (Status, Option<u32>, Option<f32>) {
        let s = seq as usize;
        let best = (self.best[s] != NONE).then_some(self.best[s]);
        (self.status[s], best, best.map(|_| self.sim[s]))
    }

    /// The cluster a cluster id (or article number) now belongs to.
    pub fn root(&self, mut x: u32) -> u32 {
        if x as usize >= self.parent.len() {
            return x;
        }
        while self.parent[x as usize] != x {
            x = self.parent[x as usize];
        }
        x
    }

    fn find(&mut self, x: u32) -> u32 {
        let root = self.root(x);
        let mut y = x;
        while self.parent[y as usize] != root {
            let next = self.parent[y as usize];
            self.parent[y as usize] = root;
            y = next;
        }
        root
    }

    /// Live size of cluster `root`.
    pub fn cluster_size(&self, root: u32) -> u32 {
        self.size.get(root as usize).copied().unwrap_or(0)
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        self.stats.clone()
    }

    /// True when the index holds an exact-text match for `text_hash`.
    pub fn has_text(&self, text_hash: u64) -> bool {
        self.exact.contains_key(&text_hash)
    }

    /// True when an article with this many shingles goes into the band tables.
    pub fn is_eligible(&self, shingles: u32) -> bool {
        shingles >= self.min_shingles
    }

    fn slot_signature(&self, slot: u32) -> &[u16] {
        let k = self.permutations;
        &self.signatures[slot as usize * k..(slot as usize + 1) * k]
    }

    /// Appends one article number with its per-article state.
    fn push_slot(&mut self, id: &str, text_hash: u64, alive: bool) -> u32 {
        let seq = self.next_seq();
        self.id_text.push_str(id);
        self.id_ends.push(self.id_text.len());
        self.text_hash.push(text_hash);
        self.time.push(0);
        self.parent.push(seq);
        self.size.push(0);
        self.status.push(Status::New);
        self.best.push(NONE);
        self.sim.push(0.0);
        self.slot.push(NONE);
        self.alive.push(alive);
        self.eligible.push(false);
        seq
    }

    /// Numbers a live article and registers its id.
    fn push_article(&mut self, id: &str, text_hash: u64) -> u32 {
        let seq = self.push_slot(id, text_hash, true);
        let h = xxh3_64(id.as_bytes());
        if let Some(&other) = self.ids.get(&h) {
            if other != seq && self.alive[other as usize] {
                self.id_collisions.insert(id.into(), seq);
                return seq;
            }
        }
        self.ids.insert(h, seq);
        seq
    }

    fn new_slot(&mut self, seq: u32, signature: &[u32]) -> u32 {
        let k = self.permutations;
        let low = signature.iter().map(|&v| v as u16);
        if let Some(slot) = self.free_slots.pop() {
            let s = slot as usize;
            for (dst, v) in self.signatures[s * k..(s + 1) * k].iter_mut().zip(low) {
                *dst = v;
            }
            self.slot_seq[s] = seq;
            self.slot[seq as usize] = slot;
            return slot;
        }
        let slot = self.slot_seq.len() as u32;
        self.signatures.extend(low);
        self.slot_seq.push(seq);
        self.slot[seq as usize] = slot;
        slot
    }

    /// Verified matches of `signature` among candidate slots: `(seq, similarity)`.
    /// A slot left in the band tables after its article went (`slot_seq` is `NONE`) never matches.
    fn matches(&self, signature: &[u16], time: i64, candidates: &[u32]) -> Vec<(u32, f32)> {
        const AHEAD: usize = 4;
        let k = self.permutations;
        let mut found = Vec::new();
        for (n, &slot) in candidates.iter().enumerate() {
            if let Some(&next) = candidates.get(n + AHEAD) {
                prefetch(&self.signatures[next as usize * k]);
            }
            let seq = self.slot_seq[slot as usize];
            if seq == NONE || !self.within_window(seq, time) {
                continue;
            }
            let other = self.slot_signature(slot);
            let equal = signature.iter().zip(other).filter(|(a, b)| a == b).count();
            if equal >= self.min_equal {
                found.push((seq, equal as f32 / k as f32));
            }
        }
        found
    }

    /// Whether article `seq` lies within the time window of an article at `time` (always, without one).
    fn within_window(&self, seq: u32, time: i64) -> bool {
        self.window
            .is_none_or(|w| self.time[seq as usize].abs_diff(time) <= w as u64)
    }

    /// The time article `seq` was given (publication, else arrival), Unix seconds.
    pub fn time(&self, seq: u32) -> i64 {
        self.time[seq as usize]
    }

    fn best_of(matches: &[Match]) -> Option<Match> {
        matches
            .iter()
            .copied()
            .fold(None, |best, (seq, s)| match best {
                Some((bseq, bs)) if bs > s || (bs == s && bseq < seq) => Some((bseq, bs)),
                _ => Some((seq, s)),
            })
    }

    /// Offers articles to the index, deciding each exactly as if they came one at a time in this order.
    /// `sign(i)` computes offer `i`'s signature when its `prepared` lacks one and it is needed.
    ///
    /// The work runs in phases: number the articles and settle exact duplicates (sequential, cheap);
    /// query and fill the band tables, one band per task; verify candidates, one article per task; then
    /// join or merge clusters in order. Each band table sees the articles in order, so every article sees
    /// exactly the bucket members it would have seen alone.
    pub fn commit_batch(
        &mut self,
        offers: &[Offer<'_>],
        sign: impl Fn(usize) -> Vec<u32> + Sync,
    ) -> Vec<Result<Commit, ArticleError>> {
        // Phase 1: numbers, exact duplicates, signatures and band keys of the articles that go into the
        // band tables.
        let mut plans = Vec::with_capacity(offers.len());
        let mut inserts: Vec<u32> = Vec::new();
        let mut keys: Vec<u64> = Vec::new();
        let mut signatures_low: Vec<u16> = Vec::new();
        let mut insert_times: Vec<i64> = Vec::new();
        for (i, offer) in offers.iter().enumerate() {
            plans.push(self.plan(
                i,
                offer,
                &sign,
                &mut inserts,
                &mut keys,
                &mut signatures_low,
            ));
            if inserts.len() > insert_times.len() {
                insert_times.push(offer.time);
            }
        }
        // Phase 2: each band table takes its articles in order; pairs come out sorted by insert.
        let per_band = self.fill_tables(&inserts, &keys, true);
        // Phase 3: gather each insert's candidates and verify them.
        let mut starts = vec![0usize; inserts.len() + 1];
        for pairs in &per_band {
            for &(n, _) in pairs {
                starts[n as usize + 1] += 1;
            }
        }
        for n in 0..inserts.len() {
            starts[n + 1] += starts[n];
        }
        let mut fill = starts.clone();
        let mut candidates = vec![0u32; starts[inserts.len()]];
        for pairs in per_band {
            for (n, m) in pairs {
                candidates[fill[n as usize]] = m;
                fill[n as usize] += 1;
            }
        }
        let k = self.permutations;
        let this = &*self;
        let verify = |n: usize| {
            let mut c = candidates[starts[n]..starts[n + 1]].to_vec();
            c.sort_unstable();
            c.dedup();
            this.matches(&signatures_low[n * k..(n + 1) * k], insert_times[n], &c)
        };
        let found: Vec<Vec<(u32, f32)>> = if inserts.len() >= 256 {
            (0..inserts.len()).into_par_iter().map(verify).collect()
        } else {
            (0..inserts.len()).map(verify).collect()
        };
        // Phase 4: clusters and stories, in order.
        plans
            .into_iter()
            .zip(offers)
            .map(|(plan, offer)| {
                let mut plan_matches = None;
                let mut decision = match plan {
                    Plan::Done(result) => return result,
                    Plan::Duplicate { seq, rep, eligible } => {
                        self.join_duplicate(seq, rep, eligible)
                    }
                    Plan::Alone { seq } => self.found(seq, false),
                    Plan::Indexed { seq, insert } => {
                        plan_matches = Some(insert);
                        self.join_matches(seq, &found[insert])
                    }
                };
                let matched: &[(u32, f32)] = match plan_matches {
                    Some(insert) => &found[insert],
                    None => &[],
                };
                let via = self.followed_story(decision.best, matched, offer.time);
                let assigned =
                    self.stories
                        .assign(decision.seq, &offer.prepared.terms, offer.time, via);
                decision.story = assigned.story;
                decision.story_terms = assigned.counted;
                decision.story_merges = assigned.merges;
                Ok(Commit::Fresh(decision))
            })
            .collect()
    }

    /// Adds slots `inserts` (with `bands` keys each in `keys`) to the band tables, one task per band,
    /// each taking them in order; with `collect`, returns per band the `(insert, member)` pairs each insert
    /// saw, sorted by insert.
    fn fill_tables(
        &mut self,
        inserts: &[u32],
        keys: &[u64],
        collect: bool,
    ) -> Vec<Vec<(u32, u32)>> {
        let bands = self.bands;
        let cap = self.bucket_cap;
        let run_band = |(band, table): (usize, &mut BandTable)| {
            let mut pairs: Vec<(u32, u32)> = Vec::new();
            table.reserve(inserts.len());
            const AHEAD: usize = 8;
            for (n, &slot) in inserts.iter().enumerate() {
                if let Some(k) = keys.get((n + AHEAD) * bands + band) {
                    table.prefetch(*k as u32);
                }
                let key = keys[n * bands + band] as u32;
                table.query_insert(key, slot, cap, |m| {
                    if collect {
                        pairs.push((n as u32, m))
                    }
                });
            }
            pairs
        };
        if inserts.len() >= 256 {
            self.tables
                .par_iter_mut()
                .enumerate()
                .map(run_band)
                .collect()
        } else {
            self.tables.iter_mut().enumerate().map(run_band).collect()
        }
    }

    fn plan(
        &mut self,
        i: usize,
        offer: &Offer<'_>,
        sign: &(impl Fn(usize) -> Vec<u32> + Sync),
        inserts: &mut Vec<u32>,
        keys: &mut Vec<u64>,
        signatures_low: &mut Vec<u16>,
    ) -> Plan {
        let prepared = offer.prepared;
        if let Some(seq) = self.lookup(offer.id) {
            if self.text_hash[seq as usize] == prepared.text_hash {
                return Plan::Done(Ok(Commit::Replay(seq)));
            }
            return Plan::Done(Err(ArticleError::IdConflict {
                id: offer.id.to_string(),
            }));
        }
        if self.next_seq() >= NONE - 1 {
            return Plan::Done(Err(ArticleError::Capacity {
                id: offer.id.to_string(),
            }));
        }
        let text_hash = prepared.text_hash;
        let seq = self.push_article(offer.id, text_hash);
        self.time[seq as usize] = offer.time;
        if let Some(&rep) = self.exact.get(&text_hash) {
            if self.within_window(rep, offer.time) {
                let eligible = prepared.shingles == u32::MAX || self.is_eligible(prepared.shingles);
                return Plan::Duplicate { seq, rep, eligible };
            }
            // The same text outside the window starts afresh and stands for the text from now on.
        }
        self.exact.insert(text_hash, seq);
        let owned;
        let signature: &[u32] = if prepared.signature.len() == self.permutations {
            &prepared.signature
        } else {
            owned = sign(i);
            &owned
        };
        // A prepared article without a signature may not know its shingle count: take it as eligible
        // when a signature could be made (an empty text signs as all u32::MAX and is never eligible).
        let eligible = if prepared.shingles == u32::MAX {
            signature.len() == self.permutations && signature.iter().any(|&v| v != u32::MAX)
        } else {
            self.is_eligible(prepared.shingles)
        };
        self.eligible[seq as usize] = eligible;
        if !eligible || signature.len() != self.permutations {
            self.eligible[seq as usize] = false;
            return Plan::Alone { seq };
        }
        let slot = self.new_slot(seq, signature);
        let start = keys.len();
        keys.resize(start + self.bands, 0);
        band_keys(signature, self.bands, self.rows, &mut keys[start..]);
        signatures_low.extend(signature.iter().map(|&v| v as u16));
        inserts.push(slot);
        Plan::Indexed {
            seq,
            insert: inserts.len() - 1,
        }
    }

    fn join_duplicate(&mut self, seq: u32, rep: u32, eligible: bool) -> Decision {
        let s = seq as usize;
        let cluster = self.find(rep);
        self.parent[s] = cluster;
        self.size[cluster as usize] += 1;
        self.status[s] = Status::Duplicate;
        self.best[s] = rep;
        self.sim[s] = 1.0;
        self.eligible[s] = eligible;
        self.stats.articles += 1;
        self.stats.duplicates += 1;
        Decision {
            seq,
            status: Status::Duplicate,
            best: Some(rep),
            similarity: Some(1.0),
            cluster,
            cluster_size: self.size[cluster as usize],
            merges: Vec::new(),
            eligible,
            story: seq,
            story_terms: Vec::new(),
            story_merges: Vec::new(),
        }
    }

    fn found(&mut self, seq: u32, eligible: bool) -> Decision {
        let s = seq as usize;
        self.size[s] = 1;
        self.stats.articles += 1;
        self.stats.new += 1;
        self.stats.clusters += 1;
        if !eligible {
            self.stats.exact_only += 1;
        }
        Decision {
            seq,
            status: Status::New,
            best: None,
            similarity: None,
            cluster: seq,
            cluster_size: 1,
            merges: Vec::new(),
            eligible,
            story: seq,
            story_terms: Vec::new(),
            story_merges: Vec::new(),
        }
    }

    fn join_matches(&mut self, seq: u32, found: &[(u32, f32)]) -> Decision {
        let Some((best, similarity)) = Self::best_of(found) else {
            return self.found(seq, true);
        };
        let s = seq as usize;
        let linked: &[(u32, f32)] = match self.linkage {
            Linkage::Single => found,
            Linkage::Best => &[(best, similarity)],
        };
        let mut roots: Vec<u32> = linked.iter().map(|&(m, _)| self.find(m)).collect();
        roots.sort_unstable();
        roots.dedup();
        let target = roots[0];
        let mut merges = Vec::new();
        for &r in &roots[1..] {
            self.parent[r as usize] = target;
            self.size[target as usize] += self.size[r as usize];
            self.size[r as usize] = 0;
            self.stats.clusters -= 1;
            merges.push((r, target));
        }
        self.parent[s] = target;
        self.size[target as usize] += 1;
        self.status[s] = Status::NearDuplicate;
        self.best[s] = best;
        self.sim[s] = similarity;
        self.stats.articles += 1;
        self.stats.near_duplicates += 1;
        Decision {
            seq,
            status: Status::NearDuplicate,
            best: Some(best),
            similarity: Some(similarity),
            cluster: target,
            cluster_size: self.size[target as usize],
            merges,
            eligible: true,
            story: seq,
            story_terms: Vec::new(),
            story_merges: Vec::new(),
        }
    }

    /// What a commit would decide for `prepared` at `time`, changing nothing.
    pub fn query(&self, prepared: &Prepared, time: i64) -> Query {
        let (status, best, cluster, found) = self.query_cluster(prepared, time);
        let via = self.followed_story(best.map(|(b, _)| b), &found, time);
        let story = self.stories.query(&prepared.terms, time, via);
        Query {
            status,
            best,
            cluster,
            story,
        }
    }

    fn query_cluster(
        &self,
        prepared: &Prepared,
        time: i64,
    ) -> (Status, Option<Match>, Option<u32>, Vec<Match>) {
        if let Some(&rep) = self.exact.get(&prepared.text_hash) {
            if self.within_window(rep, time) {
                let cluster = Some(self.root(rep));
                return (Status::Duplicate, Some((rep, 1.0)), cluster, Vec::new());
            }
        }
        if !self.is_eligible(prepared.shingles) || prepared.signature.len() != self.permutations {
            return (Status::New, None, None, Vec::new());
        }
        let mut keys = vec![0; self.bands];
        band_keys(&prepared.signature, self.bands, self.rows, &mut keys);
        let mut candidates = Vec::new();
        for (table, key) in self.tables.iter().zip(&keys) {
            table.query(*key as u32, |m| candidates.push(m));
        }
        candidates.sort_unstable();
        candidates.dedup();
        let low: Vec<u16> = prepared.signature.iter().map(|&v| v as u16).collect();
        let found = self.matches(&low, time, &candidates);
        match Self::best_of(&found) {
            Some(best) => {
                let cluster = match self.linkage {
                    Linkage::Single => found.iter().map(|&(m, _)| self.root(m)).min(),
                    Linkage::Best => Some(self.root(best.0)),
                };
                (Status::NearDuplicate, Some(best), cluster, found)
            }
            None => (Status::New, None, None, found),
        }
    }

    /// The story a matched article follows, if any is open to it at `time`: that of its best match
    /// `best`, else that of its next best verified match (of `found`) whose story is open. A cluster's
    /// copies that come back after its first story closed so follow the first of them to arrive, rather
    /// than each deciding alone.
    fn followed_story(&self, best: Option<u32>, found: &[(u32, f32)], time: i64) -> Option<u32> {
        let best = best?;
        let open = |m: u32| {
            self.stories
                .story_of(m)
                .and_then(|s| self.stories.open(s, time))
        };
        if let Some(story) = open(best) {
            return Some(story);
        }
        let mut rest: Vec<(u32, f32)> = found.iter().copied().filter(|&(m, _)| m != best).collect();
        rest.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        rest.into_iter().find_map(|(m, _)| open(m))
    }

    /// The story of article `seq`, if it is live.
    pub fn story_of(&self, seq: u32) -> Option<u32> {
        self.stories.story_of(seq)
    }

    /// The story a story id now belongs to.
    pub fn story_root(&self, story: u32) -> u32 {
        self.stories.root(story)
    }

    /// Removes article `seq` from its cluster, its story, the exact-text map and the band tables.
    /// `signature` is the article's full signature (the index keeps only part of it), needed to find its
    /// band buckets; `terms` the content terms it counted for its story (stored with it), needed to leave
    /// its story. Returns whether it was live.
    pub fn remove(&mut self, seq: u32, signature: &[u32], terms: &[u32]) -> bool {
        if !self.is_alive(seq) {
            return false;
        }
        self.stories.remove(seq, terms);
        let s = seq as usize;
        self.alive[s] = false;
        self.stats.articles -= 1;
        match self.status[s] {
            Status::New => self.stats.new -= 1,
            Status::Duplicate => self.stats.duplicates -= 1,
            Status::NearDuplicate => self.stats.near_duplicates -= 1,
        }
        if !self.eligible[s] && self.status[s] != Status::Duplicate {
            self.stats.exact_only -= 1;
        }
        let root = self.find(seq);
        self.size[root as usize] -= 1;
        if self.size[root as usize] == 0 {
            self.stats.clusters -= 1;
        }
        let id = self.id(seq).to_string();
        let h = xxh3_64(id.as_bytes());
        if self.id_collisions.remove(id.as_str()).is_none() {
            self.ids.remove(&h);
        }
        let text_hash = self.text_hash[s];
        if self.exact.get(&text_hash) == Some(&seq) {
            // Hand the text's place to another live copy, if any, so later copies still match it.
            let heir = (0..self.text_hash.len() as u32).find(|&o| {
                o != seq && self.alive[o as usize] && self.text_hash[o as usize] == text_hash
            });
            let slot = self.slot[s];
            self.slot[s] = NONE;
            match heir {
                Some(heir) => {
                    self.exact.insert(text_hash, heir);
                    if slot != NONE {
                        self.slot[heir as usize] = slot;
                        self.slot_seq[slot as usize] = heir;
                    }
                }
                None if slot == NONE => {
                    self.exact.remove(&text_hash);
                }
                None => {
                    self.exact.remove(&text_hash);
                    self.slot_seq[slot as usize] = NONE;
                    // Without the signature the slot stays in its buckets, never to match again.
                    if signature.len() == self.permutations {
                        let mut keys = vec![0; self.bands];
                        band_keys(signature, self.bands, self.rows, &mut keys);
                        for (table, key) in self.tables.iter_mut().zip(&keys) {
                            table.remove(*key as u32, slot);
                        }
                        self.free_slots.push(slot);
                    }
                }
            }
        }
        true
    }

    /// Numbers an article that is gone (a tombstone or a number never stored): its id stays readable for
    /// verdicts that name it, but it is not registered.
    fn push_dead(&mut self, id: &str) {
        self.push_slot(id, 0, false);
    }

    /// Rebuilds the index from stored articles and tombstones (any order) and merge links. Stored numbers
    /// that break the index's invariants (a cluster or best match younger than its article, a link that
    /// does not point to an older cluster, a number used twice) are reported, never trusted.
    pub fn restore(
        &mut self,
        mut articles: Vec<Restored>,
        links: &[(u32, u32)],
        story_links: &[(u32, u32)],
    ) -> Result<(), String> {
        if let Some(&(from, into)) = story_links.iter().find(|(from, into)| into >= from) {
            return Err(format!(
                "story merge link {from} -> {into} does not point to an older story"
            ));
        }
        articles.sort_unstable_by_key(|a| a.seq);
        if let Some(last) = articles.last() {
            if last.seq >= NONE - 1 {
                return Err(format!("article number {} is out of range", last.seq));
            }
        }
        let end = articles.last().map(|a| a.seq as usize + 1).unwrap_or(0);
        self.reserve(end);
        let mut signatures: Vec<Option<Vec<u32>>> = Vec::with_capacity(end);
        let mut story_parts: Vec<(u32, u32, Vec<u32>, i64)> = Vec::with_capacity(articles.len());
        // Numbers with no record left (an id reused after removal overwrites its tombstone, or the
        // article was pruned) keep the name the articles that matched them recorded.
        let holes = articles.len() < end;
        let named: HashMap<u32, String> = if holes {
            articles
                .iter()
                .filter_map(|a| Some((a.best?, a.best_id.clone()?)))
                .collect()
        } else {
            HashMap::new()
        };
        for a in articles {
            if (a.seq as usize) < self.next_seq() as usize {
                return Err(format!(
                    "article number {} is used twice (id `{}`)",
                    a.seq, a.id
                ));
            }
            if !a.removed && (a.cluster > a.seq || a.best.is_some_and(|b| b >= a.seq)) {
                return Err(format!("article `{}` points to a younger article", a.id));
            }
            while self.next_seq() < a.seq {
                let hole = self.next_seq();
                self.push_dead(named.get(&hole).map_or("", String::as_str));
                signatures.push(None);
            }
            if a.removed {
                self.push_dead(&a.id);
                signatures.push(None);
                continue;
            }
            let seq = self.push_article(&a.id, a.text_hash);
            let s = seq as usize;
            self.parent[s] = a.cluster;
            self.time[s] = a.time;
            self.status[s] = a.status;
            self.best[s] = a.best.unwrap_or(NONE);
            self.sim[s] = a.similarity.unwrap_or(0.0);
            self.eligible[s] = a.eligible;
            signatures.push(Some(a.signature));
            story_parts.push((seq, a.story, a.terms, a.time));
        }
        // The stories are independent of the clusters: rebuild them on another thread meanwhile.
        let mut stories = std::mem::take(&mut self.stories);
        let (stories, clusters) = std::thread::scope(|scope| {
            let replay = scope.spawn(move || {
                for (seq, story, terms, time) in story_parts {
                    if story > seq {
                        return Err(seq);
                    }
                    stories.add(seq, story, &terms, time);
                }
                for &(from, into) in story_links {
                    stories.merge(from, into);
                }
                Ok(stories)
            });
            let clusters = self.restore_clusters(links, signatures);
            (replay.join(), clusters)
        });
        clusters?;
        match stories {
            Ok(Ok(stories)) => self.stories = stories,
            Ok(Err(seq)) => {
                return Err(format!("article `{}` names a younger story", self.id(seq)))
            }
            Err(_) => return Err("rebuilding the stories failed".into()),
        }
        Ok(())
    }

    /// The second half of [`restore`](Self::restore): merge links, cluster sizes and counts, the exact-text
    /// map and the band tables.
    fn restore_clusters(
        &mut self,
        links: &[(u32, u32)],
        mut signatures: Vec<Option<Vec<u32>>>,
    ) -> Result<(), String> {
        for &(from, into) in links {
            if into >= from {
                return Err(format!(
                    "merge link {from} -> {into} does not point to an older cluster"
                ));
            }
            // A link from a number never handed out (or since lost) carries nothing.
            if let Some(p) = self.parent.get_mut(from as usize) {
                *p = into;
            }
        }
        let mut inserts = Vec::new();
        let mut keys = Vec::new();
        for seq in 0..self.next_seq() {
            if !self.alive[seq as usize] {
                continue;
            }
            let root = self.find(seq);
            if self.size[root as usize] == 0 {
                self.stats.clusters += 1;
            }
            self.size[root as usize] += 1;
            self.stats.articles += 1;
            match self.status[seq as usize] {
                Status::New => self.stats.new += 1,
                Status::Duplicate => self.stats.duplicates += 1,
                Status::NearDuplicate => self.stats.near_duplicates += 1,
            }
            if self.status[seq as usize] == Status::New && !self.eligible[seq as usize] {
                self.stats.exact_only += 1;
            }
            let text_hash = self.text_hash[seq as usize];
            // The first live copy of a text stands for it, or a later one that did not take it as its
            // duplicate (it came outside the time window of the first).
            if self.exact.contains_key(&text_hash) && self.status[seq as usize] == Status::Duplicate
            {
                continue;
            }
            self.exact.insert(text_hash, seq);
            if !self.eligible[seq as usize] {
                continue;
            }
            let Some(signature) = signatures[seq as usize].take() else {
                continue;
            };
            if signature.len() != self.permutations {
                continue;
            }
            let slot = self.new_slot(seq, &signature);
            let start = keys.len();
            keys.resize(start + self.bands, 0);
            band_keys(&signature, self.bands, self.rows, &mut keys[start..]);
            inserts.push(slot);
        }
        self.fill_tables(&inserts, &keys, false);
        Ok(())
    }

    /// Live members of every cluster, grouped by cluster (ordered by id), members in ingest order.
    pub fn clusters(&self) -> Vec<(u32, Vec<u32>)> {
        let mut by_root: HashMap<u32, Vec<u32>> = HashMap::new();
        for seq in 0..self.next_seq() {
            if self.alive[seq as usize] {
                by_root.entry(self.root(seq)).or_default().push(seq);
            }
        }
        let mut out: Vec<(u32, Vec<u32>)> = by_root.into_iter().collect();
        out.sort_unstable_by_key(|(root, _)| *root);
        out
    }
}
