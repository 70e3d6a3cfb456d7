//! The sequential core: decides each article's verdict and keeps the in-memory state that decision needs —
//! the exact-text map, the band tables, the signatures of indexed articles and the cluster union-find.
//!
//! An article is a `duplicate` when an earlier live article has the same normalised text, a
//! `near_duplicate` when band-table candidates verify (estimated Jaccard at or above the threshold), and
//! `new` otherwise. It joins the cluster of its best match (`Linkage::Best`, the default); under
//! `Linkage::Single` it joins every cluster it matched and they merge, the link always pointing from the
//! younger root to the older, so a cluster id stays valid forever and the clusters are the connected
//! components of the verified matches. Articles are numbered in ingest order
//! (`seq`); a cluster's id is its founder's `seq`. `engine` drives it and persists what it decides.
//! `matching` verifies candidates; `handover` passes a batch's verified units to the decisions in order;
//! `keymap` holds the exact-text and id maps; `story_steps` holds a batch's story steps when they are
//! taken after its clusters.

use std::borrow::Cow;
use std::collections::HashMap;

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use crate::config::{Linkage, ValidConfig};
use crate::error::ArticleError;
use crate::lsh::{band_keys, band_keys_of_bytes, prefetch, BandTables, MemberKeys};
use crate::model::{Stats, Status};
use crate::prepare::Prepared;
use crate::rows::Rows;
use crate::site_body::SiteBody;
use crate::story::{Moment, StoryIndex, StoryMerge};
use crate::title_dates::TitleDates;
use site_bodies::SiteBodies;

mod copies;
mod handover;
mod keymap;
mod matching;
mod site_bodies;
mod story_steps;
use copies::{Columns, Copies};
use handover::Handover;
use keymap::KeyMap;
use matching::{Matching, Probe, Scratch, Verified};
pub use story_steps::WriteHeadline;
use story_steps::{take_step, StorySteps};

const NONE: u32 = u32::MAX;

/// Removed articles' slots held before they are taken out of the band tables together (120 bytes of keys
/// each at 30 bands). A debug build (the tests') takes them out every few removals, so that a prune's
/// removals are checked both ways: settled part way and all at the end.
const LEAVING_SLOTS: usize = if cfg!(debug_assertions) { 8 } else { 1 << 18 };

/// Offers per unit of a batch: a unit's inserts are verified as one task and handed to the in-order
/// decisions as one (see [`Unit`]).
const VERIFY_CHUNK: usize = 512;

/// A unit of a batch's offers (`VERIFY_CHUNK` of them), verified: the matches of its inserts, which
/// start at the batch's insert `first_insert`, and the deferred story terms read for its articles.
#[derive(Default)]
struct Unit {
    first_insert: usize,
    verified: Verified,
    words: Vec<Option<Vec<u32>>>,
}

/// Whether an article's deferred story terms are read while its unit is verified: never, always, or
/// when its insert (a number in the batch) verifies no match.
#[derive(Clone, Copy)]
enum Wanted {
    Never,
    Always,
    Unmatched(u32),
}

/// How many articles ahead a run of verdicts asks for each one's cluster and where its best match's id
/// is kept (see [`Index::prefetch_verdicts_ahead`]).
const VERDICT_AHEAD: usize = 16;
/// How many articles ahead a run of verdicts asks for each one's best match's id.
const VERDICT_ID_AHEAD: usize = 8;

/// Buffers of [`Index::commit_batch`], kept from one batch to the next.
#[derive(Debug, Default)]
struct Batch {
    /// Band keys of the offers, `bands` per offer: made on all cores for those that came signed, and by
    /// phase 1 for those it signs.
    signed_keys: Vec<u64>,
    /// The xxh3 of each offer's id, its key in the id map.
    id_hashes: Vec<u64>,
    /// Slots of the articles that go into the band tables, with the offers they come from (their band
    /// keys are those offers' rows of `signed_keys`) and their times, and how many bucket members each
    /// saw.
    inserts: Vec<u32>,
    insert_offers: Vec<u32>,
    insert_times: Vec<i64>,
    totals: Vec<u32>,
    /// The results of the batch before, emptied, for this one's (see [`Index::recycle_commits`]).
    results: Vec<Result<Commit, ArticleError>>,
}

impl Batch {
    /// The most memory a buffer kept from one batch to the next may hold.
    const KEEP_BYTES: usize = 64 << 20;

    /// Lets go of buffers a very large batch left behind.
    fn trim(&mut self) {
        if self.signed_keys.capacity() * 8 > Self::KEEP_BYTES {
            *self = Batch::default();
        }
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
    /// Stories merged by it.
    pub story_merges: Vec<StoryMerge>,
}

/// Where an article stood at a moment: its number, its cluster (a root), that cluster's size and its
/// story.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    /// The article's number.
    pub seq: u32,
    /// Its cluster.
    pub cluster: u32,
    /// That cluster's size.
    pub cluster_size: u32,
    /// Its story.
    pub story: u32,
}

/// The outcome of offering an article to the index.
#[derive(Clone, Debug, PartialEq)]
pub enum Commit {
    /// A new article, decided now.
    Fresh(Decision),
    /// The id was already stored with the same text: nothing changed. Where its article stood when the
    /// offer's turn came, as a single ingest at that point would answer.
    Replay(Standing),
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
    /// Whether it has no publication time (its time is its arrival): the story level then also counts by
    /// its number.
    pub untimed: bool,
}

impl Offer<'_> {
    /// When article `seq` of this offer is decided, for the story level.
    fn moment(&self, seq: u32) -> Moment {
        Moment {
            time: self.time,
            untimed: self.untimed.then_some(seq),
        }
    }
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
    /// Refused.
    Refused(ArticleError),
    /// Stored already with the same text: answered where its article stands when its turn comes.
    Replay {
        seq: u32,
    },
    Duplicate {
        seq: u32,
        rep: u32,
        eligible: bool,
    },
    Alone {
        seq: u32,
    },
    Indexed {
        seq: u32,
        insert: usize,
    },
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
    /// How many values its stored signature holds (none for an exact copy): the values themselves are
    /// read into its chunk (see [`BandShape::key`]).
    pub signature_len: usize,
    /// The calendar dates and editions it names (its title's, or its body's days:
    /// [`prepare::dates`](crate::prepare::dates)).
    pub dates: TitleDates,
    /// Its source's and body's key and shingle counts (see [`SiteBody`]).
    pub site_body: SiteBody,
}

/// A chunk of stored articles for [`Index::restore`], with the band keys and the low halves of the
/// signature of each that carries a full one, read ahead (see [`BandShape::key`]) so that taking the
/// chunk in does not wait for them.
#[derive(Debug, Default)]
pub struct RestoredChunk {
    /// The articles, in number order.
    pub articles: Vec<Restored>,
    /// One key per band for each article in turn: its signature's when it has a full one, else unused.
    keys: Vec<u64>,
    /// The low 16 bits of each value of each article's signature in turn (as the index keeps them),
    /// when it has a full one, else unused.
    low: Vec<u16>,
    /// The xxh3 of each article's id, its key in the id map.
    id_hashes: Vec<u64>,
}

/// How an index cuts signatures into band keys, to key restored articles away from the index itself.
#[derive(Clone, Copy, Debug)]
pub struct BandShape {
    permutations: usize,
    bands: usize,
    rows: usize,
}

impl BandShape {
    /// `articles` with the band keys and low halves of their full signatures, read on all cores from
    /// `signatures`: each article's stored signature bytes (its values little-endian, four bytes each).
    pub fn key(&self, articles: Vec<Restored>, signatures: &[&[u8]]) -> RestoredChunk {
        let k = self.permutations;
        let mut keys = vec![0; articles.len() * self.bands];
        let mut low = vec![0; articles.len() * k];
        crate::pool::run(|| {
            keys.par_chunks_mut(self.bands.max(1))
                .zip(low.par_chunks_mut(k.max(1)))
                .zip(articles.par_iter().zip(signatures))
                .with_min_len(256)
                .for_each(|((keys, low), (a, bytes))| {
                    if a.signature_len == k {
                        band_keys_of_bytes(bytes, self.bands, self.rows, keys);
                        for (v, value) in low.iter_mut().zip(bytes.chunks_exact(4)) {
                            *v = u16::from_le_bytes([value[0], value[1]]);
                        }
                    }
                })
        });
        let id_hashes = articles.iter().map(|a| xxh3_64(a.id.as_bytes())).collect();
        RestoredChunk {
            articles,
            keys,
            low,
            id_hashes,
        }
    }
}

/// What the story level replays of one stored article: its number, story, counted terms and time.
type StoryPart = (u32, u32, Vec<u32>, i64);

/// What [`Index::restore`] carries from one chunk of records to the next.
#[derive(Default)]
struct Restoring {
    /// Names of numbers without a record, from the articles that matched them.
    hole_names: HashMap<u32, String>,
    /// A chunk's articles that go into the band tables (slots), and their band keys.
    inserts: Vec<u32>,
    keys: Vec<u64>,
}

/// A verified match: the earlier article's number and its estimated similarity.
type Match = (u32, f32);

/// Follows the links of `parent` from `x` to its root.
fn root_in(parent: &[u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        x = parent[x as usize];
    }
    x
}

/// Like [`root_in`], pointing every article on the way at the root.
fn find_root(parent: &mut [u32], x: u32) -> u32 {
    let root = root_in(parent, x);
    let mut y = x;
    while parent[y as usize] != root {
        let next = parent[y as usize];
        parent[y as usize] = root;
        y = next;
    }
    root
}

/// Records `copy` as the latest exact copy of `rep`'s text, growing `latest_copy` as far as `rep`.
fn set_latest_copy(latest_copy: &mut Vec<u32>, rep: u32, copy: u32) {
    let r = rep as usize;
    if latest_copy.len() <= r {
        latest_copy.resize(r + 1, NONE);
    }
    latest_copy[r] = copy;
}

/// [`Index::followed_story`] over the story level and the latest copies it reads.
fn followed_story(
    stories: &StoryIndex,
    latest_copy: &[u32],
    best: Option<u32>,
    found: &[(u32, f32)],
    at: Moment,
) -> Option<u32> {
    let best = best?;
    let open = |m: u32| stories.story_of(m).and_then(|s| stories.open(s, at));
    if let Some(story) = open(best) {
        return Some(story);
    }
    let copy = latest_copy.get(best as usize).copied().unwrap_or(NONE);
    if copy != NONE {
        if let Some(story) = open(copy) {
            return Some(story);
        }
    }
    let mut rest: Vec<(u32, f32)> = found.iter().copied().filter(|&(m, _)| m != best).collect();
    rest.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    rest.into_iter().find_map(|(m, _)| open(m))
}

/// The story an exact copy of `rep`'s text at `at` keeps when no story it could follow is open (see
/// [`StoryIndex::keep_copy`]): that of the text's latest live copy (else of `rep`), if it has run its
/// span. A story that went quiet within its span keeps no copy: the copy is judged by its words, as
/// the first of a new burst may be.
fn copied_story(stories: &StoryIndex, latest_copy: &[u32], rep: u32, at: Moment) -> Option<u32> {
    let copy = latest_copy.get(rep as usize).copied().unwrap_or(NONE);
    let story = (copy != NONE)
        .then(|| stories.story_of(copy))
        .flatten()
        .or_else(|| stories.story_of(rep))?;
    stories.spent(story, at)
}

/// What the in-order decisions of a batch change: the clusters' union-find, each article's verdict, the
/// latest copies and the story level. It borrows nothing verification reads (see [`Matching`]), and the
/// batch's articles are numbered before it is made, so its per-article slices do not grow.
struct Deciding<'a> {
    parent: &'a mut [u32],
    size: &'a mut [u32],
    status: &'a mut [Status],
    best: &'a mut [u32],
    sim: &'a mut [f32],
    eligible: &'a mut [bool],
    story: StoryWork<'a>,
    stats: &'a mut Stats,
    linkage: Linkage,
}

/// When the decisions take each article's story step.
enum StoryWork<'a> {
    /// With its cluster decision, changing the story level and the latest copy of each text.
    Now {
        stories: &'a mut StoryIndex,
        latest_copy: &'a mut Vec<u32>,
    },
    /// Later: left in `steps` (see [`StorySteps`]); `headline(i, text)` appends the headline offer `i`'s
    /// terms are read from, if they are unread.
    Later {
        steps: &'a mut StorySteps,
        headline: &'a WriteHeadline<'a>,
    },
}

impl Deciding<'_> {
    fn find(&mut self, x: u32) -> u32 {
        find_root(self.parent, x)
    }

    /// Where article `seq` stands now (its story as its number while story steps are left to take).
    fn standing(&mut self, seq: u32) -> Standing {
        let cluster = self.find(seq);
        let story = match &self.story {
            StoryWork::Now { stories, .. } => stories.story_of(seq),
            StoryWork::Later { .. } => None,
        };
        Standing {
            seq,
            cluster,
            cluster_size: self.size[cluster as usize],
            story: story.unwrap_or(seq),
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
        let Some((best, similarity)) = Index::best_of(found) else {
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

    /// The best match `plan` will have, if it is known now: the first copy of a duplicate's text, or the
    /// best verified match of an insert of `unit`.
    fn best_planned(plan: Option<&Plan>, unit: &Unit) -> Option<u32> {
        match *plan? {
            Plan::Duplicate { rep, .. } => Some(rep),
            Plan::Indexed { insert, .. } => insert
                .checked_sub(unit.first_insert)
                .filter(|&n| n < unit.verified.len())
                .and_then(|n| Index::best_of(unit.verified.of(n)))
                .map(|(best, _)| best),
            Plan::Refused(_) | Plan::Replay { .. } | Plan::Alone { .. } => None,
        }
    }

    /// Decides a batch's articles in order, from their `plans`: joins or founds their clusters and
    /// assigns their stories. `take(u)` gives unit `u` verified (see [`Unit`]); `words(i)` reads offer
    /// `i`'s story terms when they were deferred and its unit did not read them.
    fn decide(
        &mut self,
        mut plans: Vec<Plan>,
        offers: &[Offer<'_>],
        mut take: impl FnMut(usize) -> Unit,
        words: &impl Fn(usize) -> Vec<u32>,
        mut results: Vec<Result<Commit, ArticleError>>,
    ) -> Vec<Result<Commit, ArticleError>> {
        results.clear();
        results.reserve(plans.len());
        let mut unit = Unit::default();
        // The best matches of the next three articles, as far as known, at their number modulo four.
        let mut ahead = [None; 4];
        for (i, offer) in offers.iter().enumerate().take(plans.len()) {
            let in_unit = i % VERIFY_CHUNK;
            if in_unit == 0 {
                unit = take(i / VERIFY_CHUNK);
            }
            // The story step of the next articles reads scattered word entries: ask for them ahead,
            // the word table's for the article after next, the words' own for the next. So are the
            // stories of the next articles' best matches: whether one is open is asked first.
            ahead[(i + 3) % 4] = Self::best_planned(plans.get(i + 3), &unit);
            if let StoryWork::Now { stories, .. } = &self.story {
                if let Some(Some(ahead)) = unit.words.get(in_unit + 2) {
                    stories.prefetch_slots(ahead);
                }
                if let Some(Some(next)) = unit.words.get(in_unit + 1) {
                    stories.prefetch_words(next);
                }
                for step in 0..3 {
                    if let Some(best) = ahead[(i + 3 - step) % 4] {
                        stories.prefetch_story(best, step as u8);
                    }
                }
            }
            // The cluster the next articles join is found from their best match's parent link, read
            // for the article after next, and the parent's own link and size for the next.
            if let Some(parent) = ahead[(i + 2) % 4].and_then(|b| self.parent.get(b as usize)) {
                prefetch(parent);
            }
            if let Some(&parent) = ahead[(i + 1) % 4].and_then(|b| self.parent.get(b as usize)) {
                if let Some(grand) = self.parent.get(parent as usize) {
                    prefetch(grand);
                }
                if let Some(size) = self.size.get(parent as usize) {
                    prefetch(size);
                }
            }
            let plan = std::mem::replace(&mut plans[i], Plan::Alone { seq: NONE });
            let mut matched: &[Match] = &[];
            let mut copy_of = None;
            let mut decision = match plan {
                Plan::Refused(e) => {
                    results.push(Err(e));
                    continue;
                }
                Plan::Replay { seq } => {
                    results.push(Ok(Commit::Replay(self.standing(seq))));
                    continue;
                }
                Plan::Duplicate { seq, rep, eligible } => {
                    copy_of = Some(rep);
                    self.join_duplicate(seq, rep, eligible)
                }
                Plan::Alone { seq } => self.found(seq, false),
                Plan::Indexed { seq, insert } => {
                    matched = unit.verified.of(insert - unit.first_insert);
                    self.join_matches(seq, matched)
                }
            };
            let at = offer.moment(decision.seq);
            let read = unit.words.get_mut(in_unit).and_then(Option::take);
            let (stories, latest_copy) = match &mut self.story {
                StoryWork::Now {
                    stories,
                    latest_copy,
                } => (&mut **stories, &mut **latest_copy),
                StoryWork::Later { steps, headline } => {
                    // Left to take later, with the terms as far as they are read, else the headline
                    // they are read from if the step needs them (most follow their match's story).
                    let cluster = (decision.best, matched, copy_of);
                    match (&offer.prepared.terms, &read) {
                        (Some(terms), _) => {
                            steps.push_read(decision.seq, cluster, at, terms, false)
                        }
                        (None, Some(read)) => {
                            steps.push_read(decision.seq, cluster, at, read, true)
                        }
                        (None, None) => {
                            steps.push_unread(decision.seq, cluster, at, |text| headline(i, text))
                        }
                    }
                    results.push(Ok(Commit::Fresh(decision)));
                    continue;
                }
            };
            let terms = || match (&offer.prepared.terms, read) {
                (Some(terms), _) => Cow::Borrowed(&terms[..]),
                (None, Some(read)) => Cow::Owned(read),
                (None, None) => Cow::Owned(words(i)),
            };
            let assigned = take_step(
                stories,
                latest_copy,
                decision.seq,
                (decision.best, matched, copy_of),
                at,
                terms,
            );
            decision.story = assigned.story;
            decision.story_terms = assigned.counted;
            decision.story_merges = assigned.merges;
            results.push(Ok(Commit::Fresh(decision)));
        }
        results
    }
}

/// What verification reads of an index, as a [`Matching`]: a macro rather than a method, so that it
/// borrows only those fields and [`Index::split`] can lend the others to the decisions beside it.
macro_rules! matching_of {
    ($index:expr) => {
        Matching {
            tables: &$index.tables,
            signatures: &$index.signatures,
            slot_seq: &$index.slot_seq,
            time: &$index.time,
            dates: &$index.dates,
            site_bodies: &$index.site_bodies,
            permutations: $index.permutations,
            min_equal: $index.min_equal,
            window: $index.window,
        }
    };
}

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
    tables: BandTables,
    // Per article (seq).
    id_text: String,
    id_ends: Vec<usize>,
    text_hash: Vec<u64>,
    time: Vec<i64>,
    /// The calendar dates and editions each article names (see [`TitleDates`]).
    dates: Vec<TitleDates>,
    /// The site bodies of the articles that have a source and a body, and how many titles each body
    /// comes with (see [`SiteBodies`]).
    site_bodies: SiteBodies,
    parent: Vec<u32>,
    size: Vec<u32>,
    status: Vec<Status>,
    best: Vec<u32>,
    sim: Vec<f32>,
    slot: Vec<u32>,
    alive: Vec<bool>,
    eligible: Vec<bool>,
    /// The latest exact duplicate of the article's text taken as its duplicate (`NONE`, or past the end:
    /// none yet). A copy whose first copy's story has closed follows the story of the copy before it,
    /// and keeps it once it has run its span.
    /// Nothing that numbers a batch writes it, only the story steps (see [`set_latest_copy`]), removals
    /// and the restore, so that a batch's steps can be taken while the next batch is numbered.
    latest_copy: Vec<u32>,
    // Per indexed article (slot): signatures keep the low 16 bits of each value (b-bit MinHash), enough to
    // verify a candidate and half the memory.
    signatures: Rows<u16>,
    slot_seq: Vec<u32>,
    free_slots: Vec<u32>,
    /// Slots of removed articles still in the band tables, with their band keys (low 32 bits, a row of
    /// them per slot): taken out together by [`settle_removals`](Index::settle_removals), then free.
    leaving_slots: Vec<u32>,
    leaving_keys: Vec<u32>,
    /// The copies of each text, built for the first removal that needs them: a removed copy's heirs.
    copies: Option<Copies>,
    // Lookups.
    exact: KeyMap,
    ids: KeyMap,
    id_collisions: HashMap<Box<str>, u32>,
    stats: Stats,
    stories: StoryIndex,
    /// The story steps a batch committed with them left for later (see [`StorySteps`]), and an emptied
    /// list kept for the next such batch.
    pending_steps: StorySteps,
    spare_steps: StorySteps,
    batch: Batch,
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
            tables: BandTables::new(p.bands),
            id_text: String::new(),
            id_ends: Vec::new(),
            text_hash: Vec::new(),
            time: Vec::new(),
            dates: Vec::new(),
            site_bodies: SiteBodies::default(),
            parent: Vec::new(),
            size: Vec::new(),
            status: Vec::new(),
            best: Vec::new(),
            sim: Vec::new(),
            slot: Vec::new(),
            alive: Vec::new(),
            eligible: Vec::new(),
            latest_copy: Vec::new(),
            signatures: Rows::new(k),
            slot_seq: Vec::new(),
            free_slots: Vec::new(),
            leaving_slots: Vec::new(),
            leaving_keys: Vec::new(),
            copies: None,
            exact: KeyMap::default(),
            ids: KeyMap::default(),
            id_collisions: HashMap::new(),
            stats: Stats::default(),
            stories: StoryIndex::new(config.story_settings()),
            pending_steps: StorySteps::default(),
            spare_steps: StorySteps::default(),
            batch: Batch::default(),
        }
    }

    /// The most buckets any one band table holds: what [`reserve_band_tables`](Self::reserve_band_tables)
    /// wants to hear before a rebuild of this index.
    pub fn band_buckets(&self) -> usize {
        self.tables.buckets()
    }

    /// The most entries any one band table has room for.
    #[cfg(test)]
    pub(crate) fn band_room(&self) -> usize {
        self.tables.room()
    }

    /// Takes back the results of [`commit_batch`](Self::commit_batch), emptied or not, so that the next
    /// batch decides into memory already in use rather than fresh pages the kernel must zero (a
    /// block's results are megabytes). Very large ones are let go.
    pub fn recycle_commits(&mut self, mut commits: Vec<Result<Commit, ArticleError>>) {
        commits.clear();
        let bytes = commits.capacity() * std::mem::size_of::<Result<Commit, ArticleError>>();
        if bytes <= Batch::KEEP_BYTES {
            self.batch.results = commits;
        }
    }

    /// Makes room in every band table for `buckets` buckets, ahead of taking in stored articles that
    /// fill about as many (changes no decision: only how often the tables grow).
    pub fn reserve_band_tables(&mut self, buckets: usize) {
        self.tables.reserve(buckets);
    }

    /// How this index cuts signatures into band keys.
    pub fn band_shape(&self) -> BandShape {
        BandShape {
            permutations: self.permutations,
            bands: self.bands,
            rows: self.rows,
        }
    }

    /// Reserves room for `additional` more articles.
    pub fn reserve(&mut self, additional: usize) {
        use crate::populate::reserve as room;
        room(&mut self.text_hash, additional);
        room(&mut self.time, additional);
        room(&mut self.dates, additional);
        room(&mut self.parent, additional);
        room(&mut self.size, additional);
        room(&mut self.status, additional);
        room(&mut self.best, additional);
        room(&mut self.sim, additional);
        room(&mut self.slot, additional);
        room(&mut self.alive, additional);
        room(&mut self.eligible, additional);
        room(&mut self.id_ends, additional);
        self.ids.reserve(additional);
        self.site_bodies.reserve(self.text_hash.len(), additional);
    }

    /// Number of article numbers handed out (live or removed).
    pub fn next_seq(&self) -> u32 {
        self.text_hash.len() as u32
    }

    /// The id of article `seq`.
    pub fn id(&self, seq: u32) -> &str {
        let s = seq as usize;
        &self.id_text[self.id_start(s)..self.id_ends[s]]
    }

    /// Where article `s`'s id starts in `id_text`.
    fn id_start(&self, s: usize) -> usize {
        s.checked_sub(1).map_or(0, |before| self.id_ends[before])
    }

    /// In a run of verdicts, at the `i`th: asks the CPU to bring in what later ones read out of number
    /// order, `seq_at(j)` being the article of the `j`th (if any). Their cluster and where their best
    /// match's id is kept come [`VERDICT_AHEAD`] ahead; the id itself, whose place must be read first,
    /// [`VERDICT_ID_AHEAD`] ahead.
    pub fn prefetch_verdicts_ahead(&self, i: usize, seq_at: impl Fn(usize) -> Option<u32>) {
        if let Some(later) = seq_at(i + VERDICT_AHEAD) {
            self.prefetch_verdict(later);
        }
        if let Some(later) = seq_at(i + VERDICT_ID_AHEAD) {
            self.prefetch_best_id(later);
        }
    }

    /// Asks the CPU to bring in what the verdict of article `seq` reads out of number order: its parent
    /// in the clusters (usually the root) and that cluster's size, and where its best match's id is
    /// kept. Then [`prefetch_best_id`](Self::prefetch_best_id), a few articles later, asks for the id.
    fn prefetch_verdict(&self, seq: u32) {
        let s = seq as usize;
        if let Some(&parent) = self.parent.get(s) {
            if let Some(p) = self.parent.get(parent as usize) {
                prefetch(p);
            }
            if let Some(size) = self.size.get(parent as usize) {
                prefetch(size);
            }
        }
        // Where the id ends; where it starts is the entry before, nearly always on the same line.
        if let Some(&best) = self.best.get(s).filter(|&&b| b != NONE) {
            if let Some(end) = self.id_ends.get(best as usize) {
                prefetch(end);
            }
        }
    }

    /// Asks the CPU to bring in the id of article `seq`'s best match, once
    /// [`prefetch_verdict`](Self::prefetch_verdict) has brought in where it is kept.
    fn prefetch_best_id(&self, seq: u32) {
        // A best match is an indexed article: its id is in `id_text`.
        let Some(&best) = self.best.get(seq as usize).filter(|&&b| b != NONE) else {
            return;
        };
        if let Some(byte) = self.id_text.as_bytes().get(self.id_start(best as usize)) {
            prefetch(byte);
        }
    }

    /// The live article with this id.
    pub fn lookup(&self, id: &str) -> Option<u32> {
        self.lookup_hashed(id, xxh3_64(id.as_bytes()))
    }

    /// [`lookup`](Self::lookup) of an id whose xxh3 is `hash`.
    fn lookup_hashed(&self, id: &str, hash: u64) -> Option<u32> {
        match self.ids.get(hash) {
            Some(seq) if self.id(seq) == id => Some(seq),
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

    /// Whether article `seq` founded a cluster (its number is, or was, a cluster id).
    pub fn founded_a_cluster(&self, seq: u32) -> bool {
        self.status.get(seq as usize) == Some(&Status::New)
    }

    /// The cluster a cluster id (or article number) now belongs to.
    pub fn root(&self, x: u32) -> u32 {
        if x as usize >= self.parent.len() {
            return x;
        }
        root_in(&self.parent, x)
    }

    fn find(&mut self, x: u32) -> u32 {
        find_root(&mut self.parent, x)
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
        self.exact.contains_key(text_hash)
    }

    /// True when an article with this many shingles goes into the band tables.
    pub fn is_eligible(&self, shingles: u32) -> bool {
        shingles >= self.min_shingles
    }

    /// Appends one article number with its per-article state.
    fn push_slot(&mut self, id: &str, text_hash: u64, alive: bool) -> u32 {
        let seq = self.next_seq();
        self.id_text.push_str(id);
        self.id_ends.push(self.id_text.len());
        self.text_hash.push(text_hash);
        self.time.push(0);
        self.dates.push(TitleDates::NONE);
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

    /// Numbers a live article and registers its id, whose xxh3 is `h`.
    fn push_article(&mut self, id: &str, h: u64, text_hash: u64) -> u32 {
        let seq = self.push_slot(id, text_hash, true);
        if let Some(other) = self.ids.get(h) {
            if other != seq && self.alive[other as usize] {
                self.id_collisions.insert(id.into(), seq);
                return seq;
            }
        }
        self.ids.insert(h, seq);
        seq
    }

    fn new_slot(&mut self, seq: u32, signature: &[u32]) -> u32 {
        self.new_slot_of_low(seq, signature.iter().map(|&v| v as u16))
    }

    /// [`new_slot`](Self::new_slot), given the low 16 bits of each value of the signature.
    fn new_slot_of_low(&mut self, seq: u32, low: impl Iterator<Item = u16>) -> u32 {
        if let Some(slot) = self.free_slots.pop() {
            let s = slot as usize;
            for (dst, v) in self.signatures.row_mut(s).iter_mut().zip(low) {
                *dst = v;
            }
            self.slot_seq[s] = seq;
            self.slot[seq as usize] = slot;
            return slot;
        }
        let slot = self.slot_seq.len() as u32;
        self.signatures.push_row(low, 0);
        self.slot_seq.push(seq);
        self.slot[seq as usize] = slot;
        slot
    }

    /// What verifying candidates reads of this index.
    fn matching(&self) -> Matching<'_> {
        matching_of!(self)
    }

    /// Whether article `seq` lies within the time window of an article at `time` (always, without one).
    fn within_window(&self, seq: u32, time: i64) -> bool {
        self.matching().within_window(seq, time)
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
    /// `sign(i)` computes offer `i`'s shingle count and signature when its `prepared` lacks a signature
    /// and it is needed; `words(i)` its story terms when they were deferred and the story level needs
    /// them.
    ///
    /// The work runs in phases: number the articles and settle exact duplicates (sequential, cheap);
    /// query and fill the band tables, one band per task; verify candidates a unit of offers per task;
    /// and join or merge clusters and assign stories in order, on the calling thread, each unit as soon
    /// as it is verified. Each band table sees the articles in order, so every article sees exactly the
    /// bucket members it would have seen alone, and nothing a decision changes is read by verification.
    ///
    /// With `later` (`later(i, text)` appends the headline `words(i)` reads), the story steps are left to
    /// take after the clusters (see [`StorySteps`]): the results then hold each article's number for its
    /// story and no story terms or merges, and the steps of this batch are taken on a thread of their own
    /// beside the next batch committed with `later`, or by [`settle_stories`](Self::settle_stories),
    /// which anything that reads or changes a story must call first. Without it, steps left before are
    /// taken first.
    pub fn commit_batch(
        &mut self,
        offers: &[Offer<'_>],
        sign: impl Fn(usize) -> (u32, Vec<u32>) + Sync,
        words: impl Fn(usize) -> Vec<u32> + Sync,
        later: Option<&WriteHeadline<'_>>,
    ) -> Vec<Result<Commit, ArticleError>> {
        let Some(headline) = later else {
            self.settle_stories();
            return self.commit_phases(offers, sign, words, None);
        };
        let mut earlier = std::mem::take(&mut self.pending_steps);
        if earlier.is_empty() {
            self.spare_steps = earlier;
            return self.commit_phases(offers, sign, words, Some(headline));
        }
        // The steps the batch before left are taken on a thread of their own from the start, beside
        // every phase of this one, which read and change nothing of the story level: the story level
        // and the latest copies are lent to that thread meanwhile (an empty story level stands in).
        let settings = self.stories.settings();
        let mut stories = std::mem::replace(&mut self.stories, StoryIndex::new(settings));
        let mut latest_copy = std::mem::take(&mut self.latest_copy);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            std::thread::scope(|threads| {
                let taking = threads.spawn(|| {
                    earlier.take_all(&mut stories, &mut latest_copy);
                    earlier
                });
                let results = self.commit_phases(offers, sign, words, Some(headline));
                let taken = taking.join();
                (results, taken)
            })
        }));
        // Given back whatever happened, so that a panic leaves the story level as the steps left it.
        self.stories = stories;
        self.latest_copy = latest_copy;
        match outcome {
            Ok((results, Ok(emptied))) => {
                self.spare_steps = emptied;
                results
            }
            Ok((_, Err(panic))) | Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// The phases of [`commit_batch`](Self::commit_batch), the story steps taken with the decisions
    /// (`later` is `None`) or left in `pending_steps`.
    fn commit_phases(
        &mut self,
        offers: &[Offer<'_>],
        sign: impl Fn(usize) -> (u32, Vec<u32>) + Sync,
        words: impl Fn(usize) -> Vec<u32> + Sync,
        later: Option<&WriteHeadline<'_>>,
    ) -> Vec<Result<Commit, ArticleError>> {
        // Band keys of the offers that come signed, on all cores ahead of the sequential phase 1.
        let mut batch = std::mem::take(&mut self.batch);
        let (k, bands, rows) = (self.permutations, self.bands, self.rows);
        if batch.signed_keys.len() < offers.len() * bands {
            batch.signed_keys.resize(offers.len() * bands, 0);
        }
        let parallel = offers.len() >= 256;
        let key_chunk = |(c, out): (usize, &mut [u64])| {
            for (j, keys) in out.chunks_mut(bands).enumerate() {
                let signature = &offers[c * VERIFY_CHUNK + j].prepared.signature;
                if signature.len() == k {
                    band_keys(signature, bands, rows, keys);
                }
            }
        };
        let signed = &mut batch.signed_keys[..offers.len() * bands];
        if parallel {
            crate::pool::run(|| {
                signed
                    .par_chunks_mut(VERIFY_CHUNK * bands)
                    .enumerate()
                    .for_each(key_chunk)
            });
        } else {
            signed
                .chunks_mut(VERIFY_CHUNK * bands)
                .enumerate()
                .for_each(key_chunk);
        }
        // Phase 1: numbers, exact duplicates, signatures and band keys of the articles that go into the
        // band tables.
        let mut plans = Vec::with_capacity(offers.len());
        batch.inserts.clear();
        batch.insert_offers.clear();
        batch.insert_times.clear();
        // Where each unit of offers (see phase 3) starts among the inserts.
        let mut unit_inserts = Vec::with_capacity(offers.len().div_ceil(VERIFY_CHUNK) + 1);
        batch.id_hashes.clear();
        batch
            .id_hashes
            .extend(offers.iter().map(|o| xxh3_64(o.id.as_bytes())));
        // Each offer reads both maps at keys spread over them: their lines are asked for a few offers
        // ahead. The first few offers' lines, and the home groups of their band keys, are asked for
        // together here, so that a single ingest waits for its scattered reads at once rather than one
        // after another.
        const MAPS_AHEAD: usize = 8;
        for (i, offer) in offers.iter().enumerate().take(MAPS_AHEAD) {
            self.ids.prefetch(batch.id_hashes[i]);
            self.exact.prefetch(offer.prepared.text_hash);
            self.site_bodies
                .prefetch(offer.prepared.site_body, offer.prepared.text_hash);
            if offer.prepared.signature.len() == k {
                self.tables
                    .prefetch_homes(&batch.signed_keys[i * bands..(i + 1) * bands]);
            }
        }
        for (i, offer) in offers.iter().enumerate() {
            if let Some(ahead) = offers.get(i + MAPS_AHEAD) {
                self.ids.prefetch(batch.id_hashes[i + MAPS_AHEAD]);
                self.exact.prefetch(ahead.prepared.text_hash);
                self.site_bodies
                    .prefetch(ahead.prepared.site_body, ahead.prepared.text_hash);
            }
            if i % VERIFY_CHUNK == 0 {
                unit_inserts.push(batch.inserts.len());
            }
            plans.push(self.plan(i, offer, &sign, &mut batch));
        }
        unit_inserts.push(batch.inserts.len());
        let Batch {
            signed_keys,
            inserts,
            insert_offers,
            insert_times,
            totals,
            results: recycled,
            ..
        } = &mut batch;
        let recycled = std::mem::take(recycled);
        let mut steps = std::mem::take(&mut self.spare_steps);
        let story = match later {
            Some(headline) => StoryWork::Later {
                steps: &mut steps,
                headline,
            },
            None => StoryWork::Now {
                stories: &mut self.stories,
                latest_copy: &mut self.latest_copy,
            },
        };
        // Phase 2: each band table takes its articles in order, each seeing its buckets as they are.
        let parallel = inserts.len() >= 256;
        let keys = MemberKeys::by_row(signed_keys, insert_offers, bands);
        self.tables
            .insert_keyed(inserts, keys, self.bucket_cap, parallel, Some(totals));
        // Which articles will want their deferred story terms, as far as can be told before any is
        // decided; the few others that turn out to want them read them when decided.
        let deferred = offers.iter().any(|o| o.prepared.terms.is_none());
        let wants = if deferred {
            Self::words_wanted(&plans, offers)
        } else {
            Vec::new()
        };
        // Phases 3 and 4: the candidates of each unit of offers verified (and the story terms its
        // articles will want read), while the units verified before it are decided in order.
        let units = offers.len().div_ceil(VERIFY_CHUNK);
        let matching = matching_of!(self);
        let mut deciding = Deciding {
            parent: &mut self.parent,
            size: &mut self.size,
            status: &mut self.status,
            best: &mut self.best,
            sim: &mut self.sim,
            eligible: &mut self.eligible,
            story,
            stats: &mut self.stats,
            linkage: self.linkage,
        };
        let (inserts, totals): (&[u32], &[u32]) = (inserts, totals);
        let verify_unit = |unit: usize| {
            let offered = unit * VERIFY_CHUNK..((unit + 1) * VERIFY_CHUNK).min(offers.len());
            let range = unit_inserts[unit]..unit_inserts[unit + 1];
            let verified = matching.verify_inserts(range.clone(), inserts, totals, insert_times);
            let words = offered
                .map(|i| match wants.get(i) {
                    Some(Wanted::Always) => Some(words(i)),
                    Some(&Wanted::Unmatched(insert)) => verified
                        .of(insert as usize - range.start)
                        .is_empty()
                        .then(|| words(i)),
                    Some(Wanted::Never) | None => None,
                })
                .collect();
            Unit {
                first_insert: range.start,
                verified,
                words,
            }
        };
        // Units are verified on the pool while this thread decides: that needs this thread outside
        // the pool (it waits for units without taking pool work), and two pool threads or more.
        // Otherwise each unit is verified when its turn comes.
        let overlap = (units >= 2 && inserts.len() >= 256)
            .then(crate::pool::scope_threads)
            .flatten();
        let results = if let Some(threads) = overlap {
            let handover = Handover::new(units);
            crate::pool::in_place_scope(|scope| {
                for _ in 0..threads {
                    scope.spawn(|_| handover.work(verify_unit));
                }
                deciding.decide(
                    plans,
                    offers,
                    |unit| handover.take(unit, &verify_unit),
                    &words,
                    recycled,
                )
            })
        } else {
            deciding.decide(plans, offers, verify_unit, &words, recycled)
        };
        if later.is_some() {
            self.pending_steps = steps;
        } else {
            self.spare_steps = steps;
        }
        batch.trim();
        self.batch = batch;
        results
    }

    /// Takes the story steps a batch committed with `later` left (see [`commit_batch`](Self::commit_batch)).
    pub fn settle_stories(&mut self) {
        if !self.pending_steps.is_empty() {
            self.pending_steps
                .take_all(&mut self.stories, &mut self.latest_copy);
        }
    }

    /// Whether story steps are left to take.
    pub fn has_unsettled_stories(&self) -> bool {
        !self.pending_steps.is_empty()
    }

    fn plan(
        &mut self,
        i: usize,
        offer: &Offer<'_>,
        sign: &(impl Fn(usize) -> (u32, Vec<u32>) + Sync),
        batch: &mut Batch,
    ) -> Plan {
        let prepared = offer.prepared;
        let id_hash = batch.id_hashes[i];
        if let Some(seq) = self.lookup_hashed(offer.id, id_hash) {
            if self.text_hash[seq as usize] == prepared.text_hash {
                return Plan::Replay { seq };
            }
            return Plan::Refused(ArticleError::IdConflict {
                id: offer.id.to_string(),
            });
        }
        if self.next_seq() >= NONE - 1 {
            return Plan::Refused(ArticleError::Capacity {
                id: offer.id.to_string(),
            });
        }
        let text_hash = prepared.text_hash;
        let seq = self.push_article(offer.id, id_hash, text_hash);
        self.time[seq as usize] = offer.time;
        self.dates[seq as usize] = prepared.dates;
        self.site_bodies.add(seq, prepared.site_body, text_hash);
        // A text the index holds is as eligible for the band tables as the copy that holds it (the same
        // text): whether its preparation counted its shingles depends on what the preparation knew of the
        // index, and the decision must not.
        let held = self.exact.get(text_hash);
        if let Some(rep) = held {
            if self.within_window(rep, offer.time) {
                let eligible = self.eligible[rep as usize];
                return Plan::Duplicate { seq, rep, eligible };
            }
            // The same text outside the window starts afresh and stands for the text from now on.
        }
        self.exact.insert(text_hash, seq);
        let owned;
        let (shingles, signature): (u32, &[u32]) = if prepared.signature.len() == self.permutations
        {
            (prepared.shingles, &prepared.signature)
        } else {
            let (counted, signed) = sign(i);
            owned = signed;
            (counted, &owned)
        };
        let eligible = match held {
            Some(rep) => self.eligible[rep as usize],
            None if shingles == u32::MAX => {
                // A signature without its count: eligible when a signature could be made (an empty text
                // signs as all u32::MAX and is never eligible).
                signature.len() == self.permutations && signature.iter().any(|&v| v != u32::MAX)
            }
            None => self.is_eligible(shingles),
        };
        self.eligible[seq as usize] = eligible;
        if !eligible || signature.len() != self.permutations {
            self.eligible[seq as usize] = false;
            return Plan::Alone { seq };
        }
        let slot = self.new_slot(seq, signature);
        if prepared.signature.len() != self.permutations {
            // Signed here: its keys go where those of an offer that came signed are.
            let bands = self.bands;
            band_keys(
                signature,
                bands,
                self.rows,
                &mut batch.signed_keys[i * bands..(i + 1) * bands],
            );
        }
        batch.insert_offers.push(i as u32);
        batch.inserts.push(slot);
        batch.insert_times.push(offer.time);
        Plan::Indexed {
            seq,
            insert: batch.inserts.len() - 1,
        }
    }

    /// What a commit would decide for `prepared` at `time`, changing nothing.
    pub fn query(&self, prepared: &Prepared, time: i64, untimed: bool) -> Query {
        let (status, best, cluster, found) = self.query_cluster(prepared, time);
        let at = Moment {
            time,
            untimed: untimed.then(|| self.next_seq()),
        };
        let via = self.followed_story(best.map(|(b, _)| b), &found, at);
        // An exact copy keeps its text's story once that has run its span.
        let kept = match (via, status, best) {
            (None, Status::Duplicate, Some((rep, _))) => {
                copied_story(&self.stories, &self.latest_copy, rep, at)
            }
            _ => None,
        };
        // A query's article is prepared alone, with its terms read.
        let terms = prepared.terms.as_deref().unwrap_or_default();
        let story = kept.or_else(|| self.stories.query(terms, at, via));
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
        if let Some(rep) = self.exact.get(prepared.text_hash) {
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
        let mut heads = Vec::new();
        let total = self.tables.query(&keys, &mut heads);
        let low: Vec<u16> = prepared.signature.iter().map(|&v| v as u16).collect();
        let mut found = Vec::new();
        let probe = Probe {
            signature: &low,
            time,
            dates: prepared.dates,
            site_body: self.site_bodies.judged(prepared.site_body),
        };
        self.matching().verify(
            &probe,
            total,
            |limit, out| self.tables.visit(&heads, limit, |m| out.push(m)),
            &mut Scratch::default(),
            &mut found,
        );
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

    /// Which of a batch's articles will want their story terms, told without reading the story level
    /// (which the decisions change while units are verified): one that founds a cluster alone, or an
    /// indexed one that verifies no match. An exact copy, or a match, whose story has closed by the
    /// article's time turns out to want them too, and reads them when it is decided: on edits-1m about
    /// 11,700 of the 128,000 articles that read their terms.
    fn words_wanted(plans: &[Plan], offers: &[Offer<'_>]) -> Vec<Wanted> {
        plans
            .iter()
            .zip(offers)
            .map(|(plan, offer)| match plan {
                _ if offer.prepared.terms.is_some() => Wanted::Never,
                Plan::Alone { .. } => Wanted::Always,
                Plan::Indexed { insert, .. } => Wanted::Unmatched(*insert as u32),
                Plan::Refused(_) | Plan::Replay { .. } | Plan::Duplicate { .. } => Wanted::Never,
            })
            .collect()
    }

    /// The story a matched article follows, if any is open to it at `at`: that of its best match
    /// `best`, else that of the latest exact copy of `best`'s text, else that of its next best verified
    /// match (of `found`) whose story is open. A cluster's copies that come back after its first story
    /// closed so follow the first of them to arrive, and a headline repeated for weeks the story its
    /// copies went on to, rather than each deciding alone.
    fn followed_story(&self, best: Option<u32>, found: &[(u32, f32)], at: Moment) -> Option<u32> {
        followed_story(&self.stories, &self.latest_copy, best, found, at)
    }

    /// The story of article `seq`, if it is live.
    pub fn story_of(&self, seq: u32) -> Option<u32> {
        self.stories.story_of(seq)
    }

    /// How many stories the live articles are in: one pass over the article numbers, a bit per story.
    pub fn live_stories(&self) -> u64 {
        let mut seen = vec![0u64; (self.next_seq() as usize).div_ceil(64)];
        let mut count = 0;
        for story in (0..self.next_seq()).filter_map(|seq| self.story_of(seq)) {
            if let Some(word) = seen.get_mut(story as usize / 64) {
                let bit = 1u64 << (story % 64);
                count += u64::from(*word & bit == 0);
                *word |= bit;
            }
        }
        count
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
        let removed = self.remove_unsettled(seq, signature, terms);
        self.settle_removals();
        removed
    }

    /// Settles what removals by [`remove_unsettled`](Self::remove_unsettled) leave to be done once for all of
    /// them: the removed articles' slots taken out of the band tables, and the time spans of the stories
    /// that lost a member at an end of theirs.
    pub fn settle_removals(&mut self) {
        self.free_leaving_slots();
        let time = &self.time;
        self.stories.settle_spans(|seq| time[seq as usize]);
    }

    /// Takes the slots of removed articles out of the band tables, all at once (each bucket walked
    /// once), and frees them in the order they were removed.
    fn free_leaving_slots(&mut self) {
        if self.leaving_slots.is_empty() {
            return;
        }
        self.tables
            .remove_many(&self.leaving_slots, &self.leaving_keys);
        self.free_slots.append(&mut self.leaving_slots);
        self.leaving_keys.clear();
    }

    /// Like [`remove`](Self::remove), leaving to [`settle_removals`](Self::settle_removals) what is done
    /// once for all of a run of removals (a prune's).
    pub fn remove_unsettled(&mut self, seq: u32, signature: &[u32], terms: &[u32]) -> bool {
        if !self.is_alive(seq) {
            return false;
        }
        self.stories.remove(seq, terms, self.time[seq as usize]);
        let s = seq as usize;
        self.alive[s] = false;
        let text_hash = self.text_hash[s];
        self.site_bodies.remove(seq, text_hash);
        let mut slot = std::mem::replace(&mut self.slot[s], NONE);
        let holds = self.exact.get(text_hash) == Some(seq);
        let rep = self.best[s];
        let latest_copy =
            self.status[s] == Status::Duplicate && self.latest_copy.get(rep as usize) == Some(&seq);
        // The copies that take the removed one's places, looked up only when it has any: a copy neither
        // the latest of its text, nor in the band tables, nor standing for its text has none.
        let (mut copy_before, mut first, mut stands) = (None, None, None);
        if latest_copy || slot != NONE || holds {
            let columns = Columns {
                alive: &self.alive,
                text_hash: &self.text_hash,
                status: &self.status,
            };
            let copies = match &mut self.copies {
                Some(copies) => {
                    copies.keep_up(&columns);
                    copies
                }
                None => self.copies.insert(Copies::build(&columns)),
            };
            if latest_copy {
                copy_before = copies.before(text_hash, seq).find(|&o| {
                    let o = o as usize;
                    self.alive[o] && self.status[o] == Status::Duplicate && self.best[o] == rep
                });
            }
            if slot != NONE || holds {
                first = copies.oldest(text_hash, seq, &columns);
            }
            // A text with no copy left has no heir.
            if holds && first.is_some() {
                stands = copies.standing(text_hash, seq, &columns).or(first);
            }
        }
        // The latest copy of a text hands its place to the copy before it, as a rebuild would find it.
        if latest_copy {
            self.latest_copy[rep as usize] = copy_before.unwrap_or(NONE);
        }
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
            self.ids.remove(h);
        }
        // What a rebuild makes of a text's live copies, in number order: the first, and each that took no
        // earlier copy as its duplicate (it came outside the window of the one before), are in the band
        // tables (when the text is eligible), and the last of those stands for the text. Removing a copy
        // keeps that so: its slot goes to the copy that becomes the first, if that one has none, or out
        // of the band tables.
        if let Some(first) = first.filter(|&f| f > seq) {
            if slot != NONE && self.slot[first as usize] == NONE && self.eligible[first as usize] {
                self.slot[first as usize] = slot;
                self.slot_seq[slot as usize] = first;
                slot = NONE;
            }
        }
        if holds {
            match stands {
                Some(heir) => self.exact.insert(text_hash, heir),
                None => self.exact.remove(text_hash),
            };
        }
        if slot != NONE {
            self.slot_seq[slot as usize] = NONE;
            // Without the signature the slot stays in its buckets, never to match again.
            if signature.len() == self.permutations {
                let mut keys = vec![0; self.bands];
                band_keys(signature, self.bands, self.rows, &mut keys);
                self.leaving_slots.push(slot);
                self.leaving_keys.extend(keys.iter().map(|&k| k as u32));
                // Bounded: a prune of millions takes its slots out a few times rather than holding
                // every key.
                if self.leaving_slots.len() >= LEAVING_SLOTS {
                    self.free_leaving_slots();
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

    /// Rebuilds the index from stored articles and tombstones and the merge links: `next` hands the
    /// records over in number order, a chunk at a time, and `None` after the last. Each chunk is taken
    /// into the index (numbers, band tables) as it comes, and its story parts are replayed on another
    /// thread meanwhile, so that no more than a chunk of records is held at once. Stored numbers that break
    /// the index's invariants (a cluster or best match younger than its article, a link that does not
    /// point to an older cluster, a number used twice or out of order) are reported, never trusted.
    ///
    /// A record that goes into the band tables without a signature (an exact copy that now stands for its
    /// text) takes the one `sign` gives for its number; none (its text is too short to sign) leaves it
    /// out of the band tables.
    pub fn restore(
        &mut self,
        links: &[(u32, u32)],
        story_links: &[StoryMerge],
        sign: impl Fn(u32) -> Vec<u32>,
        mut next: impl FnMut() -> Option<RestoredChunk>,
    ) -> Result<(), String> {
        for link in story_links {
            let (from, into) = (link.from, link.into);
            if into >= from {
                return Err(format!(
                    "story merge link {from} -> {into} does not point to an older story"
                ));
            }
            if let Some((article, joined)) = link.made_by {
                if article <= from || (joined != from && joined != into) {
                    return Err(format!(
                        "story merge link {from} -> {into} names article {article} joining story \
                         {joined}, which could not have made it"
                    ));
                }
            }
        }
        // The stories are independent of the clusters: rebuild them on another thread meanwhile.
        let mut stories = std::mem::take(&mut self.stories);
        let (parts, replayed) = std::sync::mpsc::sync_channel::<Vec<StoryPart>>(4);
        let (stories, restored) = std::thread::scope(|scope| {
            let replay = scope.spawn(move || {
                stories.replay(replayed, story_links)?;
                Ok(stories)
            });
            let mut restoring = Restoring::default();
            let mut restored = Ok(());
            while let Some(chunk) = next() {
                let mut story_parts = Vec::with_capacity(chunk.articles.len());
                restored = self.restore_chunk(&mut restoring, chunk, &sign, &mut story_parts);
                // A replay that stopped has its error to report.
                if restored.is_err() || parts.send(story_parts).is_err() {
                    break;
                }
            }
            drop(parts);
            if restored.is_ok() {
                restored = self.finish_restore(restoring, links);
            }
            (replay.join(), restored)
        });
        restored?;
        match stories {
            Ok(Ok(stories)) => self.stories = stories,
            Ok(Err(seq)) => {
                return Err(format!("article `{}` names a younger story", self.id(seq)))
            }
            Err(_) => return Err("rebuilding the stories failed".into()),
        }
        Ok(())
    }

    /// Takes one chunk of [`restore`](Self::restore)'s records into the index: numbers and per-article
    /// state, the exact-text map, signatures and band tables; appends their story parts to `story_parts`.
    fn restore_chunk(
        &mut self,
        restoring: &mut Restoring,
        chunk: RestoredChunk,
        sign: &impl Fn(u32) -> Vec<u32>,
        story_parts: &mut Vec<StoryPart>,
    ) -> Result<(), String> {
        let (inserts, keys) = (&mut restoring.inserts, &mut restoring.keys);
        inserts.clear();
        keys.clear();
        let RestoredChunk {
            mut articles,
            keys: chunk_keys,
            low: chunk_low,
            id_hashes,
        } = chunk;
        let (k, p) = (self.bands, self.permutations);
        if chunk_keys.len() != articles.len() * k
            || chunk_low.len() != articles.len() * p
            || id_hashes.len() != articles.len()
        {
            return Err(
                "a restored chunk's band keys, signature halves or id hashes do not match its articles".into(),
            );
        }
        // As in a commit's first phase, the maps' lines are asked for a few articles ahead, and so is
        // whether the best match is alive (an older article anywhere).
        const MAPS_AHEAD: usize = 16;
        for i in 0..articles.len() {
            if let Some(ahead) = articles.get(i + MAPS_AHEAD) {
                self.ids.prefetch(id_hashes[i + MAPS_AHEAD]);
                self.exact.prefetch(ahead.text_hash);
                self.site_bodies.prefetch(ahead.site_body, ahead.text_hash);
                if let Some(alive) = ahead.best.and_then(|b| self.alive.get(b as usize)) {
                    prefetch(alive);
                }
            }
            let a = &mut articles[i];
            if a.seq >= NONE - 1 {
                return Err(format!("article number {} is out of range", a.seq));
            }
            if (a.seq as usize) < self.next_seq() as usize {
                return Err(format!(
                    "article number {} is used twice or out of order (id `{}`)",
                    a.seq, a.id
                ));
            }
            if !a.removed && (a.cluster > a.seq || a.best.is_some_and(|b| b >= a.seq)) {
                return Err(format!("article `{}` points to a younger article", a.id));
            }
            // Numbers with no record left (the article was pruned) keep the name the articles that
            // matched them recorded.
            while self.next_seq() < a.seq {
                self.push_dead("");
            }
            if let (Some(best), Some(name)) = (a.best.filter(|&b| b < a.seq), &a.best_id) {
                if !self.alive[best as usize] && self.id(best).is_empty() {
                    restoring.hole_names.insert(best, name.clone());
                }
            }
            if a.removed {
                self.push_dead(&a.id);
                continue;
            }
            let seq = self.push_article(&a.id, id_hashes[i], a.text_hash);
            let s = seq as usize;
            self.parent[s] = a.cluster;
            self.time[s] = a.time;
            self.dates[s] = a.dates;
            self.site_bodies.add(seq, a.site_body, a.text_hash);
            self.status[s] = a.status;
            self.best[s] = a.best.unwrap_or(NONE);
            self.sim[s] = a.similarity.unwrap_or(0.0);
            self.eligible[s] = a.eligible;
            if let (Status::Duplicate, Some(rep)) = (a.status, a.best) {
                set_latest_copy(&mut self.latest_copy, rep, seq);
            }
            story_parts.push((seq, a.story, std::mem::take(&mut a.terms), a.time));
            // The first live copy of a text stands for it, or a later one that did not take it as its
            // duplicate (it came outside the time window of the first).
            if self.exact.contains_key(a.text_hash) && a.status == Status::Duplicate {
                continue;
            }
            self.exact.insert(a.text_hash, seq);
            if !a.eligible {
                continue;
            }
            if a.signature_len == p {
                let low = chunk_low[i * p..(i + 1) * p].iter().copied();
                let slot = self.new_slot_of_low(seq, low);
                keys.extend_from_slice(&chunk_keys[i * k..(i + 1) * k]);
                inserts.push(slot);
                continue;
            }
            // An article stored without a signature (an exact copy that now stands for its text) is
            // signed again; one with a signature of another length (none is stored so) stays out.
            if a.signature_len != 0 {
                continue;
            }
            let signed = sign(seq);
            if signed.is_empty() {
                self.eligible[s] = false;
            }
            if signed.len() != self.permutations {
                continue;
            }
            let slot = self.new_slot(seq, &signed);
            let start = keys.len();
            keys.resize(start + self.bands, 0);
            band_keys(&signed, self.bands, self.rows, &mut keys[start..]);
            inserts.push(slot);
        }
        let parallel = inserts.len() >= 256;
        self.tables
            .insert(inserts, keys, self.bucket_cap, parallel, None);
        Ok(())
    }

    /// The end of [`restore`](Self::restore): names of numbers without a record, merge links, cluster
    /// sizes and counts.
    fn finish_restore(&mut self, restoring: Restoring, links: &[(u32, u32)]) -> Result<(), String> {
        if !restoring.hole_names.is_empty() {
            let mut id_text = String::with_capacity(self.id_text.len());
            let mut id_ends = Vec::with_capacity(self.id_ends.len());
            for seq in 0..self.next_seq() {
                let name = match restoring.hole_names.get(&seq) {
                    Some(name) => name.as_str(),
                    None => self.id(seq),
                };
                id_text.push_str(name);
                id_ends.push(id_text.len());
            }
            self.id_text = id_text;
            self.id_ends = id_ends;
        }
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
        }
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
