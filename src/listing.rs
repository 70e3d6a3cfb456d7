//! What the read routes list, kept ready so that none of them scans every article: the live members of each
//! cluster and of each story in ingest order, every live article in time order, each group's latest member
//! time, the groups ranked by size, and each article's headline, source (interned) and URL (where it gave
//! one), so that a listing reads no record from the store. `engine` keeps it in step with
//! each commit's decisions (cluster joined, clusters merged, story, time, source) and with removals, and
//! builds it from the index when it is first needed (at open, for the daemon); `cluster` and `story` know
//! nothing of it. It answers in terms of article numbers and group ids; `engine` turns them into views.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};

use crate::cluster::Index;
use crate::lsh::MixState;
use crate::story::StoryMerge;

const NONE: u32 = u32::MAX;

/// The live members of a group, in ingest order; a group of one needs no allocation.
#[derive(Clone, Debug, Default)]
enum Members {
    #[default]
    Empty,
    One(u32),
    Many(Vec<u32>),
}

impl Members {
    fn as_slice(&self) -> &[u32] {
        match self {
            Members::Empty => &[],
            Members::One(m) => std::slice::from_ref(m),
            Members::Many(v) => v,
        }
    }

    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn insert(&mut self, seq: u32) {
        match self {
            Members::Empty => *self = Members::One(seq),
            Members::One(m) => {
                let m = *m;
                *self = Members::Many(if m < seq { vec![m, seq] } else { vec![seq, m] });
            }
            Members::Many(v) => {
                // New articles are numbered last: almost always a push.
                match v.last() {
                    Some(&last) if last > seq => {
                        let at = v.partition_point(|&x| x < seq);
                        v.insert(at, seq);
                    }
                    _ => v.push(seq),
                }
            }
        }
    }

    fn remove(&mut self, seq: u32) -> bool {
        match self {
            Members::Empty => false,
            Members::One(m) if *m == seq => {
                *self = Members::Empty;
                true
            }
            Members::One(_) => false,
            Members::Many(v) => match v.binary_search(&seq) {
                Ok(i) => {
                    v.remove(i);
                    if v.len() == 1 {
                        *self = Members::One(v[0]);
                    }
                    true
                }
                Err(_) => false,
            },
        }
    }

    /// Merges `other` in, keeping ingest order.
    fn absorb(&mut self, other: Members) {
        let (a, b) = (self.as_slice(), other.as_slice());
        if b.is_empty() {
            return;
        }
        let mut merged = Vec::with_capacity(a.len() + b.len());
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            if a[i] < b[j] {
                merged.push(a[i]);
                i += 1;
            } else {
                merged.push(b[j]);
                j += 1;
            }
        }
        merged.extend_from_slice(&a[i..]);
        merged.extend_from_slice(&b[j..]);
        *self = if merged.len() == 1 {
            Members::One(merged[0])
        } else {
            Members::Many(merged)
        };
    }
}

/// A group's place in the size ranking: largest first, then latest activity, then lower id.
type Rank = (u32, i64, Reverse<u32>);

/// The groups ranked by size, smallest first, brought up to date when read rather than on every change:
/// a commit only notes which groups changed, and the next reader sorts those and merges them in. Reads
/// are rare next to the changes a busy stream makes (four per article, clusters and stories).
#[derive(Debug, Default)]
struct Ranking {
    /// Every live group as of the last read (some changed since: `changed` lists them).
    sorted: Vec<Rank>,
    /// Groups changed since, each once, and per group id whether it is among them.
    changed: Vec<u32>,
    marked: Vec<bool>,
}

impl Ranking {
    /// Notes that group `id`'s place may have moved.
    fn touch(&mut self, id: u32) {
        let i = id as usize;
        if self.marked.len() <= i {
            self.marked.resize(i + 1, false);
        }
        if !self.marked[i] {
            self.marked[i] = true;
            self.changed.push(id);
        }
    }

    /// Brings the ranking up to date, `key` giving each changed group's place now (`None`: gone).
    fn refresh(&mut self, key: impl Fn(u32) -> Option<Rank>) {
        if self.changed.is_empty() {
            return;
        }
        let mut fresh: Vec<Rank> = self.changed.iter().filter_map(|&id| key(id)).collect();
        fresh.sort_unstable();
        // A ranking built whole (at open) holds groups never touched since, beyond `marked`'s end.
        let marked = &self.marked;
        let kept = std::mem::take(&mut self.sorted)
            .into_iter()
            .filter(|&(_, _, Reverse(id))| !marked.get(id as usize).is_some_and(|&m| m));
        let mut merged = Vec::with_capacity(kept.size_hint().1.unwrap_or(0) + fresh.len());
        let mut fresh = fresh.into_iter().peekable();
        for rank in kept {
            while let Some(f) = fresh.next_if(|f| *f < rank) {
                merged.push(f);
            }
            merged.push(rank);
        }
        merged.extend(fresh);
        self.sorted = merged;
        for id in self.changed.drain(..) {
            self.marked[id as usize] = false;
        }
    }
}

/// One level of grouping (clusters or stories): members, latest member time and the ranking by size.
#[derive(Debug, Default)]
struct Groups {
    members: Vec<Members>,
    last: Vec<i64>,
    /// Behind a lock so that a reader can bring it up to date.
    rank: Mutex<Ranking>,
    live: u64,
}

impl Groups {
    /// The groups of the live articles below `n`, article `seq` in group `group_of(seq)`, ranked.
    /// Members first, the ranking once at the end: far cheaper than a ranking update per article.
    fn build(index: &Index, n: u32, group_of: impl Fn(u32) -> u32) -> Groups {
        let mut groups = Groups::default();
        groups.ensure(n.saturating_sub(1));
        for seq in (0..n).filter(|&seq| index.is_alive(seq)) {
            let id = group_of(seq);
            groups.ensure(id);
            let g = id as usize;
            match &mut groups.members[g] {
                Members::Many(v) => v.push(seq),
                m @ Members::One(_) => {
                    let first = m.as_slice()[0];
                    *m = Members::Many(vec![first, seq]);
                }
                m @ Members::Empty => *m = Members::One(seq),
            }
            groups.last[g] = groups.last[g].max(index.time(seq));
        }
        let mut ranked: Vec<Rank> = (0..groups.members.len() as u32)
            .filter_map(|id| groups.key(id))
            .collect();
        groups.live = ranked.len() as u64;
        ranked.sort_unstable();
        groups.rank_mut().sorted = ranked;
        groups
    }

    fn ensure(&mut self, id: u32) {
        let n = id as usize + 1;
        if self.members.len() < n {
            self.members.resize_with(n, Members::default);
            self.last.resize(n, i64::MIN);
        }
    }

    fn key(&self, id: u32) -> Option<Rank> {
        let g = id as usize;
        let size = self.members.get(g)?.len();
        (size > 0).then(|| (size as u32, self.last[g], Reverse(id)))
    }

    fn members(&self, id: u32) -> &[u32] {
        self.members.get(id as usize).map_or(&[], Members::as_slice)
    }

    fn size(&self, id: u32) -> usize {
        self.members(id).len()
    }

    fn last(&self, id: u32) -> i64 {
        self.last.get(id as usize).copied().unwrap_or(i64::MIN)
    }

    /// Updates group `id` through `change`, keeping the ranking and the live count right.
    fn update(&mut self, id: u32, change: impl FnOnce(&mut Members, &mut i64)) {
        self.ensure(id);
        let before = self.key(id);
        let g = id as usize;
        change(&mut self.members[g], &mut self.last[g]);
        let after = self.key(id);
        if before == after {
            return;
        }
        match (before, after) {
            (None, Some(_)) => self.live += 1,
            (Some(_), None) => self.live -= 1,
            _ => {}
        }
        self.rank_mut().touch(id);
    }

    fn rank_mut(&mut self) -> &mut Ranking {
        self.rank.get_mut().unwrap_or_else(|e| e.into_inner())
    }

    /// The live groups ranked by size, smallest first (ties: earlier latest activity, then higher id).
    fn ranked(&self) -> MutexGuard<'_, Ranking> {
        let mut rank = self.rank.lock().unwrap_or_else(|e| e.into_inner());
        rank.refresh(|id| self.key(id));
        rank
    }

    fn add(&mut self, id: u32, seq: u32, time: i64) {
        self.update(id, |m, last| {
            m.insert(seq);
            *last = (*last).max(time);
        });
    }

    fn remove(&mut self, id: u32, seq: u32, time: i64, time_of: impl Fn(u32) -> i64) {
        self.update(id, |m, last| {
            if m.remove(seq) && time >= *last {
                *last = m
                    .as_slice()
                    .iter()
                    .map(|&s| time_of(s))
                    .max()
                    .unwrap_or(i64::MIN);
            }
        });
    }

    fn merge(&mut self, from: u32, into: u32) {
        self.ensure(from.max(into));
        let before = self.key(from);
        let taken = std::mem::take(&mut self.members[from as usize]);
        let taken_last = std::mem::replace(&mut self.last[from as usize], i64::MIN);
        if before.is_some() {
            self.rank_mut().touch(from);
            self.live -= 1;
        }
        self.update(into, |m, last| {
            m.absorb(taken);
            *last = (*last).max(taken_last);
        });
    }
}

/// Source names, each stored once.
#[derive(Debug, Default)]
struct Sources {
    names: Vec<Box<str>>,
    ids: HashMap<Box<str>, u32, MixState>,
}

impl Sources {
    fn intern(&mut self, name: Option<&str>) -> u32 {
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return NONE;
        };
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }
}

/// Live articles in time order: a sorted run and a tree of recent additions merged into it now and then.
/// Removed articles are skipped when read and dropped at the next merge.
#[derive(Debug, Default)]
struct TimeOrder {
    sorted: Vec<(i64, u32)>,
    recent: BTreeSet<(i64, u32)>,
    stale: usize,
}

impl TimeOrder {
    fn insert(&mut self, time: i64, seq: u32) {
        self.recent.insert((time, seq));
    }

    fn remove(&mut self, time: i64, seq: u32) {
        if !self.recent.remove(&(time, seq)) {
            self.stale += 1;
        }
    }

    /// Folds the recent additions into the sorted run once they are many, dropping the entries
    /// `alive` refuses.
    fn settle(&mut self, alive: impl Fn(u32) -> bool) {
        let limit = (self.sorted.len() / 8).max(4096);
        if self.recent.len() < limit && self.stale < limit {
            return;
        }
        let recent = std::mem::take(&mut self.recent);
        let old = std::mem::take(&mut self.sorted);
        let mut merged = Vec::with_capacity(old.len() + recent.len());
        let mut a = old.into_iter().filter(|&(_, s)| alive(s)).peekable();
        let mut b = recent.into_iter().filter(|&(_, s)| alive(s)).peekable();
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x <= y => a.next(),
                (Some(_), Some(_)) => b.next(),
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            merged.extend(next);
        }
        self.sorted = merged;
        self.stale = 0;
    }

    /// About how many entries lie at or after `since` (removed ones not yet dropped included).
    fn count_from(&self, since: i64) -> usize {
        let sorted = self.sorted.len() - self.sorted.partition_point(|&(t, _)| t < since);
        sorted + self.recent.range((since, 0)..).count()
    }

    fn len(&self) -> usize {
        self.sorted.len() + self.recent.len()
    }

    /// Every entry at or after `since` (`after`) or before it, in no particular order.
    fn each(&self, since: i64, after: bool, mut f: impl FnMut(i64, u32)) {
        let cut = self.sorted.partition_point(|&(t, _)| t < since);
        let (part, range) = if after {
            (&self.sorted[cut..], self.recent.range((since, 0)..))
        } else {
            (&self.sorted[..cut], self.recent.range(..(since, 0)))
        };
        for &(t, s) in part {
            f(t, s);
        }
        for &(t, s) in range {
            f(t, s);
        }
    }

    fn first(&self) -> Option<i64> {
        let a = self.sorted.first().map(|&(t, _)| t);
        let b = self.recent.first().map(|&(t, _)| t);
        a.into_iter().chain(b).min()
    }

    fn last(&self) -> Option<i64> {
        let a = self.sorted.last().map(|&(t, _)| t);
        let b = self.recent.last().map(|&(t, _)| t);
        a.into_iter().chain(b).max()
    }
}

thread_local! {
    /// Per-group counts for [`Listing::trending`] (all zero between calls) and the groups touched.
    static COUNTS: std::cell::RefCell<(Vec<u32>, Vec<u32>)> = const {
        std::cell::RefCell::new((Vec::new(), Vec::new()))
    };
}

/// Which grouping a listing question is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Near-duplicate clusters.
    Cluster,
    /// Stories.
    Story,
}

/// A group that grew: its id, members at or after the time asked about, and latest member time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Growth {
    /// Cluster or story id.
    pub id: u32,
    /// Live members whose time is at or after the time asked about.
    pub growth: u64,
    /// Latest live member time.
    pub last: i64,
}

/// Headlines by article number, in one growing arena (a removed article's text stays until the next
/// rebuild).
#[derive(Debug, Default)]
struct Titles {
    text: String,
    spans: Vec<(u64, u32)>,
}

impl Titles {
    fn set(&mut self, seq: u32, title: &str) {
        let s = seq as usize;
        if self.spans.len() <= s {
            self.spans.resize(s + 1, (0, 0));
        }
        self.spans[s] = (self.text.len() as u64, title.len() as u32);
        self.text.push_str(title);
    }

    fn get(&self, seq: u32) -> &str {
        match self.spans.get(seq as usize) {
            Some(&(start, len)) => {
                let start = start as usize;
                self.text.get(start..start + len as usize).unwrap_or("")
            }
            None => "",
        }
    }
}

/// The listing state of an engine.
#[derive(Debug, Default)]
pub struct Listing {
    clusters: Groups,
    stories: Groups,
    by_time: TimeOrder,
    texts: ListingTexts,
}

/// The merges one decision made: clusters, `(from, into)`, and stories.
#[derive(Clone, Copy, Debug, Default)]
pub struct Merges<'a> {
    /// Clusters merged.
    pub clusters: &'a [(u32, u32)],
    /// Stories merged.
    pub stories: &'a [StoryMerge],
}

/// What the listing keeps of one article besides its numbers: headline, source and URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shown {
    /// The headline.
    pub title: String,
    /// The publisher, when given.
    pub source: Option<String>,
    /// The URL, when given.
    pub url: Option<String>,
}

/// The headlines, sources and URLs of a listing's articles, gathered apart from its index (while a
/// store is read) and then made into a listing by [`Listing::build_from`].
#[derive(Debug, Default)]
pub struct ListingTexts {
    sources: Sources,
    source_of: Vec<u32>,
    titles: Titles,
    /// The articles' URLs, where given (articles that gave none keep no room for them).
    urls: Titles,
}

impl ListingTexts {
    /// Records live article `seq`'s headline, source and URL.
    pub fn add(&mut self, seq: u32, title: &str, source: Option<&str>, url: Option<&str>) {
        let s = seq as usize;
        if self.source_of.len() <= s {
            self.source_of.resize(s + 1, NONE);
        }
        self.source_of[s] = self.sources.intern(source);
        self.titles.set(seq, title);
        if let Some(url) = url {
            self.urls.set(seq, url);
        }
    }
}

impl Listing {
    /// Builds the listing of every live article of `index`; `shown(seq)` gives an article's headline and
    /// source.
    pub fn build(index: &Index, shown: impl FnMut(u32) -> Shown) -> Listing {
        Listing::build_from(index, Listing::texts_of(index, shown))
    }

    /// Builds this listing afresh for the live articles of `index` (after many removals: cheaper than
    /// one by one). Their texts are copied out first and the old listing let go before the new one is
    /// built, so that the two, each sized by every article number given, are never held at once.
    pub fn rebuild(&mut self, index: &Index) {
        let texts = Listing::texts_of(index, |seq| self.shown(seq));
        *self = Listing::default();
        *self = Listing::build_from(index, texts);
    }

    /// The headlines, sources and URLs of the live articles of `index`, as `shown(seq)` gives them.
    fn texts_of(index: &Index, mut shown: impl FnMut(u32) -> Shown) -> ListingTexts {
        let mut texts = ListingTexts::default();
        for seq in 0..index.next_seq() {
            if index.is_alive(seq) {
                let Shown { title, source, url } = shown(seq);
                texts.add(seq, &title, source.as_deref(), url.as_deref());
            }
        }
        texts
    }

    /// Builds the listing of every live article of `index`, whose headlines, sources and URLs `texts`
    /// holds.
    pub fn build_from(index: &Index, mut texts: ListingTexts) -> Listing {
        let n = index.next_seq();
        texts.source_of.resize(n as usize, NONE);
        let mut listing = Listing {
            texts,
            ..Listing::default()
        };
        // The clusters, the stories and the time order are built side by side (a daemon answers
        // `/readyz` only once they are).
        let (clusters, (stories, times)) = crate::pool::run(|| {
            rayon::join(
                || Groups::build(index, n, |seq| index.root(seq)),
                || {
                    rayon::join(
                        || Groups::build(index, n, |seq| index.story_of(seq).unwrap_or(seq)),
                        || {
                            let mut times = Vec::with_capacity(index.stats().articles as usize);
                            times.extend(
                                (0..n)
                                    .filter(|&seq| index.is_alive(seq))
                                    .map(|seq| (index.time(seq), seq)),
                            );
                            times.sort_unstable();
                            times
                        },
                    )
                },
            )
        });
        listing.clusters = clusters;
        listing.stories = stories;
        listing.by_time.sorted = times;
        listing
    }

    /// Records a fresh decision: article `seq` at `time` from `source` joined `cluster` and `story`
    /// (after the cluster and story merges `(from, into)` it caused).
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        seq: u32,
        cluster: u32,
        story: u32,
        merges: Merges<'_>,
        time: i64,
        title: &str,
        source: Option<&str>,
        url: Option<&str>,
    ) {
        self.merge(merges);
        self.clusters.add(cluster, seq, time);
        self.stories.add(story, seq, time);
        self.by_time.insert(time, seq);
        self.texts.add(seq, title, source, url);
    }

    /// Records merges of clusters and of stories (also those that came without a
    /// stored article: its write failed after the merge was made).
    pub fn merge(&mut self, merges: Merges<'_>) {
        for &(from, into) in merges.clusters {
            self.clusters.merge(from, into);
        }
        for m in merges.stories {
            self.stories.merge(m.from, m.into);
        }
    }

    /// Takes live article `seq` out; call before the index forgets it.
    pub fn remove(&mut self, index: &Index, seq: u32) {
        let time = index.time(seq);
        let time_of = |s: u32| index.time(s);
        self.clusters.remove(index.root(seq), seq, time, time_of);
        let story = index.story_of(seq).unwrap_or(seq);
        self.stories.remove(story, seq, time, time_of);
        self.by_time.remove(time, seq);
        if let Some(s) = self.texts.source_of.get_mut(seq as usize) {
            *s = NONE;
        }
    }

    /// Lets the time order fold in what was added; `index` tells which articles still live.
    pub fn settle(&mut self, index: &Index) {
        self.by_time.settle(|s| index.is_alive(s));
    }

    fn groups(&self, level: Level) -> &Groups {
        match level {
            Level::Cluster => &self.clusters,
            Level::Story => &self.stories,
        }
    }

    /// Live members of group `id`, in ingest order.
    pub fn members(&self, level: Level, id: u32) -> &[u32] {
        self.groups(level).members(id)
    }

    /// Groups with live members.
    pub fn live(&self, level: Level) -> u64 {
        self.groups(level).live
    }

    /// Earliest and latest time of the live articles.
    pub fn span(&self) -> Option<(i64, i64)> {
        Some((self.by_time.first()?, self.by_time.last()?))
    }

    /// The source of live article `seq`.
    pub fn source(&self, seq: u32) -> Option<&str> {
        match self.texts.source_of.get(seq as usize) {
            Some(&id) if id != NONE => Some(&self.texts.sources.names[id as usize]),
            _ => None,
        }
    }

    /// The headline of live article `seq`.
    pub fn title(&self, seq: u32) -> &str {
        self.texts.titles.get(seq)
    }

    /// The URL of live article `seq`, when it gave one.
    pub fn url(&self, seq: u32) -> Option<&str> {
        Some(self.texts.urls.get(seq)).filter(|url| !url.is_empty())
    }

    /// What the listing keeps of article `seq`, to build it again.
    pub fn shown(&self, seq: u32) -> Shown {
        Shown {
            title: self.title(seq).to_string(),
            source: self.source(seq).map(str::to_string),
            url: self.url(seq).map(str::to_string),
        }
    }

    /// The interned source of article `seq` (`None` without one), for counting distinct sources.
    pub fn source_id(&self, seq: u32) -> Option<u32> {
        self.texts
            .source_of
            .get(seq as usize)
            .copied()
            .filter(|&s| s != NONE)
    }

    /// Number of live groups of each size: `(size, groups)`, smallest first.
    pub fn size_counts(&self, level: Level) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        for &(size, _, _) in &self.groups(level).ranked().sorted {
            match out.last_mut() {
                Some((s, n)) if *s == size as u64 => *n += 1,
                _ => out.push((size as u64, 1)),
            }
        }
        out
    }

    /// The groups with the most live members whose time is at or after `since`, most first (ties: latest
    /// activity first, then lower id), at most `limit`. Reads only the articles on the smaller side of
    /// `since`: those after it, or (when most are after it) those before it, set against the groups
    /// ranked by size.
    pub fn trending(&self, index: &Index, level: Level, since: i64, limit: usize) -> Vec<Growth> {
        let groups = self.groups(level);
        let group_of = |seq: u32| match level {
            Level::Cluster => index.root(seq),
            Level::Story => index.story_of(seq).unwrap_or(seq),
        };
        let order = |a: &Growth, b: &Growth| {
            b.growth
                .cmp(&a.growth)
                .then(b.last.cmp(&a.last))
                .then(a.id.cmp(&b.id))
        };
        let inside = self.by_time.count_from(since);
        let after = inside <= self.by_time.len() - inside;
        // Count per group on the smaller side, in a dense array indexed by group id (far cheaper than a
        // hash map for the hundreds of thousands of articles a period can hold); only the entries
        // touched are read back and reset.
        let counts = COUNTS.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let (counts, touched) = &mut *scratch;
            if counts.len() < index.next_seq() as usize {
                counts.resize(index.next_seq() as usize, 0);
            }
            // Groups are looked up a batch at a time, before any count is touched: the lookups of a
            // batch are independent, so their cache misses overlap.
            let mut batch = [NONE; 64];
            let mut filled = 0;
            let mut count = |seqs: &mut [u32]| {
                for seq in seqs.iter_mut() {
                    if !index.is_alive(*seq) {
                        *seq = NONE;
                    }
                }
                for seq in seqs.iter_mut().filter(|s| **s != NONE) {
                    *seq = group_of(*seq);
                }
                for &g in seqs.iter().filter(|&&g| g != NONE) {
                    let g = g as usize;
                    if counts[g] == 0 {
                        touched.push(g as u32);
                    }
                    counts[g] += 1;
                }
            };
            self.by_time.each(since, after, |_, seq| {
                batch[filled] = seq;
                filled += 1;
                if filled == batch.len() {
                    count(&mut batch);
                    filled = 0;
                }
            });
            count(&mut batch[..filled]);
            let out: Vec<(u32, u64)> = touched
                .iter()
                .map(|&g| (g, u64::from(std::mem::take(&mut counts[g as usize]))))
                .collect();
            touched.clear();
            out
        });
        if after {
            let mut ranked: Vec<Growth> = counts
                .into_iter()
                .map(|(id, growth)| Growth {
                    id,
                    growth,
                    last: groups.last(id),
                })
                .collect();
            // Only the first `limit` are sorted: the period may have touched thousands of groups.
            if ranked.len() > limit && limit > 0 {
                ranked.select_nth_unstable_by(limit - 1, order);
                ranked.truncate(limit);
            }
            ranked.sort_unstable_by(order);
            ranked.truncate(limit);
            return ranked;
        }
        // Most articles are at or after `since`: a group's growth is its size less its members before.
        let before: HashMap<u32, u64, MixState> = counts.iter().copied().collect();
        let mut touched: Vec<Growth> = counts
            .iter()
            .filter_map(|&(id, n)| {
                let growth = (groups.size(id) as u64).saturating_sub(n);
                (growth > 0).then(|| Growth {
                    id,
                    growth,
                    last: groups.last(id),
                })
            })
            .collect();
        touched.sort_unstable_by(order);
        let ranked = groups.ranked();
        let mut untouched = ranked
            .sorted
            .iter()
            .rev()
            .filter(|(_, _, Reverse(id))| !before.contains_key(id))
            .map(|&(size, last, Reverse(id))| Growth {
                id,
                growth: size as u64,
                last,
            })
            .peekable();
        let mut touched = touched.into_iter().peekable();
        let mut out = Vec::with_capacity(limit.min(1024));
        while out.len() < limit {
            let next = match (untouched.peek(), touched.peek()) {
                (Some(a), Some(b)) if order(a, b).is_le() => untouched.next(),
                (Some(_), Some(_)) => touched.next(),
                (Some(_), None) => untouched.next(),
                (None, Some(_)) => touched.next(),
                (None, None) => break,
            };
            out.extend(next);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_stay_in_ingest_order_through_merges_and_removals() {
        let mut m = Members::default();
        for s in [3, 1, 7] {
            m.insert(s);
        }
        assert_eq!(m.as_slice(), &[1, 3, 7]);
        let mut other = Members::One(5);
        other.insert(2);
        m.absorb(other);
        assert_eq!(m.as_slice(), &[1, 2, 3, 5, 7]);
        assert!(m.remove(3));
        assert!(!m.remove(3));
        assert_eq!(m.as_slice(), &[1, 2, 5, 7]);
    }

    #[test]
    fn the_time_order_reads_both_sides_of_a_time_across_merges() {
        let mut t = TimeOrder::default();
        for s in 0..10_000u32 {
            t.insert(i64::from(s % 100), s);
        }
        t.settle(|s| s % 2 == 0);
        assert_eq!(t.len(), 5_000);
        t.insert(50, 10_001);
        let mut after = 0;
        t.each(50, true, |time, _| {
            assert!(time >= 50);
            after += 1;
        });
        let mut before = 0;
        t.each(50, false, |time, _| {
            assert!(time < 50);
            before += 1;
        });
        assert_eq!((after, before), (2_501, 2_500));
        assert_eq!(t.count_from(50), 2_501);
        assert_eq!((t.first(), t.last()), (Some(0), Some(98)));
    }

    #[test]
    fn the_ranking_read_after_any_changes_is_the_groups_sorted_by_size() {
        let mut g = Groups::default();
        let mut times = HashMap::new();
        let mut state: u64 = 7;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) % n
        };
        for step in 0..4_000u32 {
            let group = next(50) as u32;
            match next(10) {
                0..=5 => {
                    let time = next(1_000) as i64;
                    times.insert(step, time);
                    g.add(group, step, time);
                }
                6 | 7 => {
                    if let Some(&seq) = g.members(group).first() {
                        g.remove(group, seq, times[&seq], |s| times[&s]);
                    }
                }
                _ => {
                    let into = next(50) as u32;
                    if into != group {
                        g.merge(group, into);
                    }
                }
            }
            // Read now and then, as the routes do: in between, changes only pile up.
            if step % 97 == 0 || step == 3_999 {
                let mut want: Vec<Rank> = (0..50).filter_map(|id| g.key(id)).collect();
                want.sort_unstable();
                assert_eq!(g.ranked().sorted, want, "after step {step}");
                assert_eq!(g.live, want.len() as u64);
            }
        }
    }
}
