//! The story level: a looser grouping on top of the near-duplicate clusters that puts different articles
//! about one event together, and only for as long as the event lasts. `cluster` drives it in its decision
//! step; each article's story and the terms it counted are stored with it, and the state is rebuilt from
//! them (and the stored story merges) at open.
//!
//! A story is a burst of articles about one thing. An article's content terms (`terms`) are weighted by
//! TF-IDF, with document frequencies learned from the stream on top of reference counts of common words
//! (`prior`, which also knows which words are names where case says nothing), and names count double.
//! An article that duplicates or nearly duplicates an earlier one takes that article's story (or the
//! story of the latest copy of its text) while the story is open, and an exact copy keeps its text's
//! story once that story has run its whole span ([`StoryIndex::keep_copy`]);
//! any other article joins the open story whose core (the words carried by at least a tenth of its
//! members) is most similar by cosine, if that reaches the story threshold, or founds a story of its own.
//! The evidence has to add up: the article must share at least two words with the story (one shared
//! common word is not a story, and the two words of a name of common words, "White House", are one), one
//! of those in the story's core a name of at most one headline in fifty or a rare word (two common words
//! are not a story either, nor a name as common as "Trump" and a common word), and it must not name only
//! other things than a story whose members keep naming something it does not mention ("Suicide bomber
//! kills 21 in Pakistan" does not join a story about a bombing in Nigeria; a title such as "Prime
//! Minister" is not a name they share). A story is open to an article
//! whose time lies within [`StorySettings::gap`] of its latest member and within [`StorySettings::span`]
//! of its first, so a story ends when its event goes quiet or has run for long; the same words later
//! start a new story. For an article without a time of
//! its own, whose arrival time may say nothing (a file read at once), [`StorySettings::gap_articles`] can
//! count articles as time. When an article that joined one
//! story also matched another whose core is close to it, the two merge (the younger into the older, so a
//! story id, its founder's number, stays valid and resolves to the story it merged into).
//!
//! Single pass and in order: the same articles in the same order give the same stories, streaming or in
//! batch, and before or after a reopen.

mod chunked;
mod members;
mod prior;
mod tally;
pub mod terms;
mod word_set;
mod word_slots;

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, Ordering};

use chunked::Chunked;
use members::{Given, Members};
pub use terms::{
    is_name, kind, linked_terms, terms, with_kind, word, Kind, LINK, MAX_TERMS, TERM_SEED,
};
use word_set::WordSet;
use word_slots::WordSlots;

const NONE: u32 = u32::MAX;

/// At most this many stories to settle at once are settled from their members; more, from the articles.
const FEW_UNSETTLED: usize = 16;

/// Most recent stories remembered per word for finding candidates.
const POSTINGS: usize = 32;

// A word's closed stories are recorded a bit each in 32 bits.
const _: () = assert!(POSTINGS <= 32);

/// Weight of a name relative to another word, in an article and in a story's core.
const NAME_WEIGHT: f64 = 2.0;

/// Least number of words an article shares with a story it joins.
const MIN_SHARED: usize = 2;

/// Of the words an article shares with the core of a story it joins, one at least must be specific: a
/// name of at most one counted article in [`NAME_RARITY`], or any word of at most one counted article in
/// this many. Headlines that share only common words ("Man killed in …, police say") are not about one
/// event.
const SPECIFIC_RARITY: f64 = 400.0;

/// A name in more than one counted article in this many ("Obama", "China" in a year of news) is as
/// common as a common word: sharing it and a common word is not one event.
const NAME_RARITY: f64 = 50.0;

/// A word is in a story's core when at least this share of its counting members carry it (and two do),
/// once the story has three counting members; before that every word is.
const CORE_SHARE: f64 = 0.1;

/// A story of more words than this keeps a list of its core words (see `Story::core`) and a set of its
/// words (see `Story::held`).
const CORE_LISTED: usize = 64;

/// A name carried by at least this share of a story's counting members is one the story is about.
const DOMINANT_SHARE: f64 = 0.2;

/// When an article is decided, how its story level should be: the settings of [`StoryIndex::new`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StorySettings {
    /// Cosine (TF-IDF, against a story's core) at or above which an article joins a story.
    pub threshold: f64,
    /// Cosine between two stories' cores at or above which an article that matched both merges them.
    pub merge: f64,
    /// Seconds after its latest member during which a story stays open.
    pub gap: i64,
    /// Seconds after its first member during which a story stays open.
    pub span: i64,
    /// For an article with no time of its own (its time is its arrival, which in a batch says nothing
    /// of when it was published): articles of the stream after a story's latest member during which the
    /// story stays open to it, and `gap_articles × span / gap` after its first. `None`: its arrival time
    /// alone decides.
    pub gap_articles: Option<u32>,
}

/// When an article is decided: its time, and for an article with no time of its own, its number in the
/// stream, which the story level then also counts by ([`StorySettings::gap_articles`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moment {
    /// Unix seconds: its publication time, else its arrival.
    pub time: i64,
    /// Its number, when it has no publication time.
    pub untimed: Option<u32>,
}

impl From<i64> for Moment {
    /// An article published at `time`.
    fn from(time: i64) -> Moment {
        Moment {
            time,
            untimed: None,
        }
    }
}

/// What [`StoryIndex::assign`] decided for an article.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Assigned {
    /// The story it belongs to (after any merge it caused).
    pub story: u32,
    /// The terms it added to its story, with their kinds as decided (empty when it added none: it
    /// followed an earlier article's story). Stored with the article and given back to
    /// [`StoryIndex::add`] and [`StoryIndex::remove`].
    pub counted: Vec<u32>,
    /// Stories merged by it.
    pub merges: Vec<StoryMerge>,
}

/// Story `from` merged into story `into`, the older, as an article joined one of them. Stored, so that the
/// rebuild at open merges them at the same point of the stream as the live index did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoryMerge {
    /// The younger story, merged away.
    pub from: u32,
    /// The older story, which takes it in.
    pub into: u32,
    /// The article that made the merge and the story it joined just before (`from` or `into`); `None`
    /// for a merge loaded from a store written before merges recorded it (rebuilt after all articles).
    pub made_by: Option<(u32, u32)>,
}

/// What the index knows of one word (but its document frequency, kept apart). Laid out in declaration
/// order, so that the figures every article reads and a short list of stories sit together at the
/// entry's start, within one or two cache lines (most words list few stories).
#[derive(Debug, Default)]
#[repr(C)]
struct WordStats {
    /// Which of `stories` (bit `i` for the `i`th) were seen closed to every article at or after the
    /// newest (the low 32 bits), as of which reopening epoch (the high 32): in-order articles skip them
    /// without reading the list. Learnt by the candidate search, which only reads the index, hence atomic.
    closed: AtomicU64,
    /// Uses where its case said something (kind `Name`, `Lower` or `Acronym`), and of those, capitalised
    /// ones: the stream's on top of the reference headlines' ([`prior`]).
    informative: u32,
    names: u32,
    /// Stories whose members used it, most recent last (ids as given; resolved when read).
    stories: Postings,
}

impl WordStats {
    /// The stories known closed to in-order articles in `epoch`, a bit each.
    fn closed(&self, epoch: u32) -> u32 {
        let packed = self.closed.load(Ordering::Relaxed);
        if (packed >> 32) as u32 == epoch {
            packed as u32
        } else {
            0
        }
    }

    /// Records the stories known closed to in-order articles in `epoch`.
    fn set_closed(&self, epoch: u32, closed: u32) {
        self.closed.store(
            u64::from(epoch) << 32 | u64::from(closed),
            Ordering::Relaxed,
        );
    }

    /// Forgets the oldest story (the list is full).
    fn evict_oldest(&mut self, epoch: u32) {
        let closed = self.closed(epoch);
        self.stories.remove_oldest();
        self.set_closed(epoch, closed >> 1);
    }
}

/// A word's most recent stories, oldest first, at most [`POSTINGS`], held in place: the candidate search
/// reads them with the word's other figures rather than chasing a separate allocation. The length comes
/// first, next to the first stories.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
struct Postings {
    len: u8,
    /// Whether a story was ever dropped: until then every story holding the word is listed (by its id
    /// or that of a story merged into it), so a story not listed does not hold it.
    evicted: bool,
    ids: [u32; POSTINGS],
}

impl Postings {
    /// Adds a story as the most recent (the list must not be full).
    fn push(&mut self, story: u32) {
        self.ids[self.len as usize] = story;
        self.len += 1;
    }

    /// Keeps the stories `keep` says, in their order; answers whether any went.
    fn retain(&mut self, mut keep: impl FnMut(u32) -> bool) -> bool {
        let len = self.len as usize;
        let mut kept = 0;
        for i in 0..len {
            let id = self.ids[i];
            if keep(id) {
                self.ids[kept] = id;
                kept += 1;
            }
        }
        self.len = kept as u8;
        kept < len
    }

    /// Drops the oldest story.
    fn remove_oldest(&mut self) {
        let len = self.len as usize;
        if len > 0 {
            self.ids.copy_within(1..len, 0);
            self.len -= 1;
            self.evicted = true;
        }
    }
}

impl std::ops::Deref for Postings {
    type Target = [u32];

    fn deref(&self) -> &[u32] {
        &self.ids[..self.len as usize]
    }
}

/// One word of a story.
#[derive(Clone, Copy, Debug, Default)]
struct StoryWord {
    word: u32,
    /// Its slot in the index's word tables.
    slot: u32,
    /// Uses by counting members, of those the uses as a name, and of those the uses as an acronym.
    count: u32,
    names: u32,
    acronyms: u32,
}

/// One story.
#[derive(Clone, Debug)]
struct Story {
    /// Its words, sorted by word.
    words: Vec<StoryWord>,
    /// Live members, and of those the ones whose words count.
    size: u32,
    counting: u32,
    /// Earliest and latest member time, and lowest and highest member number.
    first: i64,
    last: i64,
    first_seq: u32,
    last_seq: u32,
    /// Norm of the core's TF-IDF vector, as of its last change and with the document frequencies of
    /// `norm_documents` counting articles; and the names it is about, as of its last change.
    core_norm: f64,
    norm_documents: u64,
    dominant: Vec<u32>,
    /// Its core words (see [`Story::in_core`]), copied and sorted by word, as of its last change, for a
    /// story of more than [`CORE_LISTED`] words: scoring then searches these rather than all the words
    /// a long story has gathered (a short one's words are searched as they are). Boxed, so that the
    /// many short stories stay small: one pointer rather than a vector's three words (unboxed, the
    /// story level's share of gnews-86k's samples rose by a few hundredths).
    #[allow(clippy::box_collection)]
    core: Option<Box<Vec<StoryWord>>>,
    /// Its words as a set, once it has more than [`CORE_LISTED`]: the names veto asks each candidate
    /// whether it holds an article's names, and a long story's word list answers that only by a binary
    /// search through cache lines scoring reads for nothing else. Kept exact as words come and go.
    held: Option<Box<WordSet>>,
}

impl Story {
    fn new(time: i64, seq: u32) -> Story {
        Story {
            words: Vec::new(),
            size: 0,
            counting: 0,
            first: time,
            last: time,
            first_seq: seq,
            last_seq: seq,
            core_norm: 0.0,
            norm_documents: 0,
            dominant: Vec::new(),
            core: None,
            held: None,
        }
    }

    /// Its core words, sorted by word.
    fn core(&self) -> impl Iterator<Item = &StoryWord> {
        let (words, listed) = if let Some(core) = &self.core {
            (&**core, true)
        } else {
            (&self.words, false)
        };
        words
            .iter()
            .filter(move |w| listed || Story::in_core(w.count, self.counting))
    }

    /// Word `word` of its core.
    fn find_core(&self, word: u32) -> Option<&StoryWord> {
        if let Some(core) = &self.core {
            core.binary_search_by_key(&word, |w| w.word)
                .ok()
                .map(|i| &core[i])
        } else {
            self.find(word)
                .filter(|w| Story::in_core(w.count, self.counting))
        }
    }

    /// Whether it holds word `word`.
    fn holds(&self, word: u32) -> bool {
        match &self.held {
            Some(held) => held.contains(word),
            None => self.find(word).is_some(),
        }
    }

    /// Brings [`Story::held`] up to its words after they changed other than one by one.
    fn rebuild_held(&mut self) {
        self.held = (self.words.len() > CORE_LISTED)
            .then(|| Box::new(WordSet::of(self.words.iter().map(|w| w.word))));
    }

    /// Asks for what scoring reads of it through its pointers first: its word set's and its core's own
    /// records, its names, and the words it searches when it keeps no core apart.
    fn prefetch_behind(&self) {
        if let Some(held) = &self.held {
            crate::lsh::prefetch(&**held);
        }
        match &self.core {
            Some(core) => crate::lsh::prefetch(&**core),
            None => crate::lsh::prefetch_lines(&self.words[..]),
        }
        if let Some(first) = self.dominant.first() {
            crate::lsh::prefetch(first);
        }
    }

    /// Then what scoring searches through them: where its word set would hold the article's names
    /// (those not known absent, `absent` as in [`StoryIndex::conflicts`]), and its core's words.
    fn prefetch_searched(&self, article: &[ArticleWord], absent: u32) {
        if let Some(held) = &self.held {
            for (i, a) in article.iter().enumerate() {
                if a.spelled_name && !a.mostly_lowercase && absent >> i & 1 == 0 {
                    held.prefetch(a.word);
                }
            }
        }
        if let Some(core) = &self.core {
            crate::lsh::prefetch_lines(&core[..]);
        }
    }

    fn find(&self, word: u32) -> Option<&StoryWord> {
        self.words
            .binary_search_by_key(&word, |w| w.word)
            .ok()
            .map(|i| &self.words[i])
    }

    /// Whether a word with this count is in the core of a story with `counting` counting members.
    fn in_core(count: u32, counting: u32) -> bool {
        if counting < 3 {
            count >= 1
        } else {
            count >= 2 && count as f64 >= CORE_SHARE * counting as f64
        }
    }

    /// Whether the story's members mostly use `w` as a name.
    fn named(w: &StoryWord) -> bool {
        w.names * 2 >= w.count
    }
}

/// The slot of each of an article's terms' words, where the index has seen the word.
type Slots = [Option<u32>; MAX_TERMS];

/// One distinct word of an article, weighted.
#[derive(Clone, Copy, Debug)]
struct ArticleWord {
    word: u32,
    /// Its slot in the index's word tables (`None`: a word the index has not seen).
    slot: Option<u32>,
    /// Its inverse document frequency when weighed.
    idf: f64,
    weight: f64,
    /// Used as a name that is not an acronym.
    spelled_name: bool,
    /// Used as a name but mostly written in lowercase where case says something ("Prime Minister",
    /// "Air Force"): sharing it does not make an article name what a story names.
    mostly_lowercase: bool,
}

/// A story an article was scored against.
#[derive(Clone, Copy, Debug)]
struct Scored {
    story: u32,
    cosine: f64,
}

/// The story state of an index.
#[derive(Debug)]
pub struct StoryIndex {
    settings: StorySettings,
    /// [`StorySettings::gap_articles`] and the span it gives, `gap_articles × span / gap`: how many
    /// articles after a story's latest and its first member it stays open to an untimed article.
    count: Option<(u32, u32)>,
    /// Counting articles.
    documents: u64,
    /// Each word seen, by its hash: its slot in `words` and `documents_of`.
    slots: WordSlots,
    words: Chunked<WordStats>,
    /// Per word slot, the articles that use it: its reference count ([`prior`]) and the counting articles
    /// of the stream. Small and dense, as every change to a story reads it for each of its core words.
    documents_of: Vec<u32>,
    stories: StoryTable,
    /// Per story id: the story it merged into, `NONE` when it did not merge (ids past the end did not).
    merged: Vec<u32>,
    /// The stories that merged, in the order they did.
    merge_log: Vec<u32>,
    /// Per story id, whether it merged (checked before `merged`, which most lookups then need not touch)
    /// and whether it closed to every article at or after `newest` (articles that come in time order
    /// need not look at it).
    flags: StoryFlags,
    /// The story each article was given (as given; resolve with `root`).
    story_of: Vec<u32>,
    /// The latest time of an article added so far.
    newest: i64,
    /// When stories close, earliest first: `(time, story)`. Every open story has an entry no later than
    /// the last time an article may join it: one is pushed when a story is founded, reopened, or its
    /// closing moves earlier, not when it moves later (as it does with nearly every member); an entry
    /// that comes due for a story that closes later is pushed again at that time.
    closing: BinaryHeap<Reverse<(i64, u32)>>,
    /// Moves on whenever a story closed to in-order articles may be reached by them again (it reopened,
    /// or merged into an open one): what the words learnt of their closed stories is then forgotten.
    epoch: u32,
    /// What scoring one article needs, kept from one to the next.
    buffers: Buffers,
    /// Stories that lost a member at an end of their time span, to be settled (see `settle_spans`; a
    /// story may be there more than once).
    unsettled: Vec<u32>,
    /// Each story's members, built for the first removal that must settle a few spans.
    members: Option<Members>,
}

/// The working lists of scoring an article: its weighted words, the candidate stories and their scores.
#[derive(Debug, Default)]
struct Buffers {
    article: Vec<ArticleWord>,
    phrases: Vec<(u8, u8)>,
    candidates: Vec<(u32, u32)>,
    scored: Vec<Scored>,
}

impl Default for StoryIndex {
    /// An empty index with threshold, merge, gap and span zero: a placeholder.
    fn default() -> Self {
        StoryIndex::new(StorySettings {
            threshold: 0.0,
            merge: 0.0,
            gap: 0,
            span: 0,
            gap_articles: None,
        })
    }
}

impl StoryIndex {
    /// An empty story index.
    pub fn new(settings: StorySettings) -> StoryIndex {
        let count = settings.gap_articles.map(|gap| {
            // In 128 bits: a long span times many articles does not fit in 64.
            let span = u128::from(gap) * settings.span.max(0) as u128 / settings.gap.max(1) as u128;
            (gap, span.min(u128::from(u32::MAX)) as u32)
        });
        StoryIndex {
            settings,
            count,
            documents: 0,
            slots: WordSlots::default(),
            words: Chunked::default(),
            documents_of: Vec::new(),
            stories: StoryTable::default(),
            merged: Vec::new(),
            merge_log: Vec::new(),
            flags: StoryFlags::default(),
            story_of: Vec::new(),
            newest: i64::MIN,
            closing: BinaryHeap::new(),
            epoch: 1,
            buffers: Buffers::default(),
            unsettled: Vec::new(),
            members: None,
        }
    }

    /// The settings it was made with.
    pub fn settings(&self) -> StorySettings {
        self.settings
    }

    /// The story a story id now belongs to (itself unless it merged).
    pub fn root(&self, story: u32) -> u32 {
        root_of(&self.merged, &self.flags, story)
    }

    fn has_merged(&self, story: u32) -> bool {
        self.flags.get(story).0
    }

    /// Whether story `story` (a root) closed to every article at or after the newest one.
    fn has_closed(&self, story: u32) -> bool {
        self.flags.get(story).1
    }

    /// The last time at which an article may join story `s`.
    fn closes_at(&self, s: &Story) -> i64 {
        s.last
            .saturating_add(self.settings.gap)
            .min(s.first.saturating_add(self.settings.span))
    }

    /// Marks the stories whose closing time the newest article passed as closed.
    fn close_stories(&mut self) {
        while let Some(&Reverse((at, story))) = self.closing.peek() {
            if at >= self.newest {
                break;
            }
            self.closing.pop();
            if self.has_merged(story) {
                continue;
            }
            let current = self
                .stories
                .get(&story)
                .map(|s| (s.size, self.closes_at(s)));
            match current {
                Some((size, closes)) if size > 0 && closes > at => {
                    self.closing.push(Reverse((closes, story)));
                }
                _ => self.flags.set(story, CLOSED, true),
            }
        }
    }

    /// Records story `story`'s closing time after a change, when it is new, moved earlier, or had passed
    /// (the story had closed, and may have no entry left; see `closing`).
    fn reschedule(&mut self, story: u32, before: Option<i64>) {
        let Some(s) = self.stories.get(&story) else {
            return;
        };
        let at = self.closes_at(s);
        if before.is_none_or(|before| at < before || before < self.newest) {
            self.closing.push(Reverse((at, story)));
        }
        let closed = at < self.newest;
        if !closed && self.has_closed(story) {
            self.forget_closed();
        }
        self.flags.set(story, CLOSED, closed);
    }

    /// Forgets which stories the words know closed, by moving to a new epoch (and, once in four billion
    /// times, clearing every word's record so that an old epoch's never comes back).
    fn forget_closed(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            for stats in self.words.iter_mut() {
                *stats.closed.get_mut() = 0;
            }
            self.epoch = 1;
        }
    }

    /// The story of article `seq` now (`None` when it has none: removed, or never numbered).
    pub fn story_of(&self, seq: u32) -> Option<u32> {
        self.story_of
            .get(seq as usize)
            .copied()
            .filter(|&s| s != NONE)
            .map(|s| self.root(s))
    }

    /// Live members of story `story`.
    pub fn size(&self, story: u32) -> u32 {
        self.stories.get(&self.root(story)).map_or(0, |s| s.size)
    }

    /// Live members of story `story` (or the one it merged into), in number order.
    pub fn members(&self, story: u32) -> Vec<u32> {
        let root = self.root(story);
        self.story_of
            .iter()
            .enumerate()
            .filter(|&(_, &s)| s != NONE && self.root(s) == root)
            .map(|(seq, _)| seq as u32)
            .collect()
    }

    /// What [`open`](Self::open) reads of article `seq`'s story is three reads of memory, each
    /// depending on the last: its entry in the table of articles' stories, the story's place in the
    /// table of stories, and the story. Asking for them in three steps an article apart, from three
    /// articles ahead of the one being decided (`step` 0, then 1, then 2), lets each arrive before the
    /// next is needed. Changes nothing.
    pub fn prefetch_story(&self, seq: u32, step: u8) {
        if step == 0 {
            if let Some(story) = self.story_of.get(seq as usize) {
                crate::lsh::prefetch(story);
            }
            return;
        }
        let Some(story) = self.story_of(seq) else {
            return;
        };
        if step == 1 {
            if let Some(at) = self.stories.at.get(story as usize) {
                crate::lsh::prefetch(at);
            }
        } else if let Some(s) = self.stories.get(&story) {
            crate::lsh::prefetch_lines(s);
        }
    }

    /// What [`add`](Self::add) reads first of story `story` when the stored articles are replayed,
    /// asked for in two steps some articles apart: its place in the table of stories (`step` 0), then
    /// the story (`step` 1). Changes nothing.
    fn prefetch_replayed(&self, story: u32, step: u8) {
        let story = self.root(story);
        if step == 0 {
            if let Some(at) = self.stories.at.get(story as usize) {
                crate::lsh::prefetch(at);
            }
        } else if let Some(s) = self.stories.get(&story) {
            crate::lsh::prefetch_lines(s);
        }
    }

    /// The slot of a word seen before.
    fn slot(&self, word: u32) -> Option<u32> {
        self.slots.get(word)
    }

    /// Asks the CPU to bring in the word-table entries a lookup of `terms`' words starts from: called
    /// for an article two ahead of the one being decided, so that they have arrived when
    /// [`prefetch_words`](Self::prefetch_words) looks them up. Changes nothing.
    pub fn prefetch_slots(&self, terms: &[u32]) {
        for &t in terms.iter().filter(|&&t| t != LINK).take(MAX_TERMS) {
            self.slots.prefetch(word(t));
        }
    }

    /// Asks the CPU to bring in what scoring an article with `terms` reads first of each word the index
    /// knows (its figures and its document count): called for the article after the one being decided.
    /// Changes nothing.
    pub fn prefetch_words(&self, terms: &[u32]) {
        for &t in terms.iter().filter(|&&t| t != LINK).take(MAX_TERMS) {
            if let Some(slot) = self.slot(word(t)) {
                crate::lsh::prefetch_lines(&self.words[slot as usize]);
                crate::lsh::prefetch(&self.documents_of[slot as usize]);
            }
        }
    }

    /// The slot of a word, given one if it is new.
    fn intern(&mut self, word: u32) -> u32 {
        let next = self.words.len() as u32;
        let slot = self.slots.get_or_insert(word, next);
        if slot == next {
            let reference = prior::reference(word);
            self.words.push(WordStats {
                informative: reference.informative,
                names: reference.names,
                ..WordStats::default()
            });
            self.documents_of.push(reference.documents);
        }
        slot
    }

    /// The inverse document frequency of `word`, whose slot is `slot` (`None`: a word the stream has
    /// not counted, known only to the reference counts).
    fn idf_of(&self, word: u32, slot: Option<u32>) -> f64 {
        let df = match slot {
            Some(slot) => self.documents_of[slot as usize],
            None => prior::documents_with(word),
        };
        idf(self.documents, df)
    }

    /// How often `word` (whose slot is `slot`) was written where case says something, and how often
    /// capitalised there: the stream's counts on top of the reference's, or the reference's alone for a
    /// word the stream has not counted.
    fn case_counts(&self, word: u32, slot: Option<u32>) -> (u32, u32) {
        match slot {
            Some(slot) => {
                let w = &self.words[slot as usize];
                (w.informative, w.names)
            }
            None => {
                let reference = prior::reference(word);
                (reference.informative, reference.names)
            }
        }
    }

    /// Whether story `s` is open to an article at `at`.
    fn is_open(&self, s: &Story, at: Moment) -> bool {
        let time = at.time;
        s.size > 0
            && time <= s.last.saturating_add(self.settings.gap)
            && time <= s.first.saturating_add(self.settings.span)
            && time >= s.first.saturating_sub(self.settings.gap)
            && self.is_open_by_count(s, at.untimed)
    }

    /// Whether story `s` is open to untimed article `seq` by the count of articles since its latest and
    /// its first member (always, for an article with a time or without a count set).
    fn is_open_by_count(&self, s: &Story, seq: Option<u32>) -> bool {
        let (Some(seq), Some((gap, span))) = (seq, self.count) else {
            return true;
        };
        seq <= s.last_seq.saturating_add(gap) && seq <= s.first_seq.saturating_add(span)
    }

    /// Gives `terms` (cut to [`MAX_TERMS`]) the kinds the index decides (a plain word that the stream
    /// mostly capitalises where case says something is taken for a name); answers the slot of each
    /// term's word where it has one.
    fn judge(&self, terms: &mut Vec<u32>) -> Slots {
        terms.truncate(MAX_TERMS);
        // The lookups miss the cache one after another otherwise: each word's table entry is asked for
        // first, then each word's figures, so that the misses overlap.
        self.prefetch_slots(terms);
        let mut slots = [None; MAX_TERMS];
        for (t, slot) in terms.iter().zip(&mut slots) {
            *slot = self.slot(word(*t));
            if let Some(slot) = *slot {
                crate::lsh::prefetch_lines(&self.words[slot as usize]);
                crate::lsh::prefetch(&self.documents_of[slot as usize]);
            }
        }
        for (t, slot) in terms.iter_mut().zip(&slots) {
            let capital = match kind(*t) {
                Kind::Plain => false,
                Kind::Capital => true,
                _ => continue,
            };
            let (informative, names) = self.case_counts(word(*t), *slot);
            // A capitalised word never seen where case says something is more likely a name (a new
            // person or place) than a common word, which the reference counts would know.
            let judged = mostly_capitalised(informative, names) || (capital && informative == 0);
            *t = with_kind(*t, if judged { Kind::Judged } else { Kind::Plain });
        }
        slots
    }

    /// The distinct words of judged `terms` (whose words are in `slots`, as [`judge`](Self::judge) gives
    /// them), weighted by TF-IDF (names double), into `weighted`; answers the vector's norm.
    fn weigh(&self, judged: &[u32], slots: &Slots, weighted: &mut Vec<ArticleWord>) -> f64 {
        weighted.clear();
        // How often each distinct word occurs, and whether as a name.
        let mut uses = [(0u32, false); MAX_TERMS];
        for (&t, &slot) in judged.iter().zip(slots) {
            let w = word(t);
            let spelled = is_name(t) && kind(t) != Kind::Acronym;
            match weighted.iter().position(|x| x.word == w) {
                Some(i) => {
                    uses[i].0 += 1;
                    uses[i].1 |= is_name(t);
                    weighted[i].spelled_name |= spelled;
                }
                None => {
                    uses[weighted.len()] = (1, is_name(t));
                    weighted.push(ArticleWord {
                        word: w,
                        slot,
                        idf: 0.0,
                        weight: 0.0,
                        spelled_name: spelled,
                        mostly_lowercase: false,
                    });
                }
            }
        }
        let mut norm2 = 0.0;
        for (a, &(n, name)) in weighted.iter_mut().zip(&uses) {
            a.idf = self.idf_of(a.word, a.slot);
            if a.spelled_name {
                let (informative, names) = self.case_counts(a.word, a.slot);
                a.mostly_lowercase = mostly_lowercase(informative, names);
            }
            a.weight = n as f64 * a.idf * if name { NAME_WEIGHT } else { 1.0 };
        }
        for a in weighted.iter() {
            norm2 += a.weight * a.weight;
        }
        f64::sqrt(norm2)
    }

    /// The names of common words among an article's words ("White House", "Wall Street"): for each link
    /// of judged `terms` (bit `j` of `links`: term `j` directly follows term `j - 1`, both capitalised)
    /// whose two terms the index takes for names, neither of them a rare word ([`SPECIFIC_RARITY`]), the
    /// pair of their words in `article` (as [`weigh`](Self::weigh) gave them), into `phrases`. Two
    /// words of such a name are one thing shared: many events happen at the White House. A rarer name
    /// ("Miley Cyrus") is left as its words: sharing it is already most of the evidence.
    fn phrases(terms: &[u32], links: u32, article: &[ArticleWord], phrases: &mut Vec<(u8, u8)>) {
        phrases.clear();
        let common_idf = SPECIFIC_RARITY.ln() + 1.0;
        let common_name = |t: u32| {
            let i = article.iter().position(|a| a.word == word(t))?;
            (is_name(t) && article[i].idf < common_idf).then_some(i as u8)
        };
        // Bit 0 links nothing: the first term follows none.
        let mut rest = links & !1;
        while rest != 0 {
            let j = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            let (Some(&first), Some(&second)) = (terms.get(j - 1), terms.get(j)) else {
                break;
            };
            if let (Some(a), Some(b)) = (common_name(first), common_name(second)) {
                if a != b {
                    phrases.push((a, b));
                }
            }
        }
    }

    /// How many things the words of `listed` (bit `i` for word `i` of an article) name: each word one,
    /// but the words of one name of several (joined by `phrases`) one together.
    fn named_things(listed: u32, phrases: &[(u8, u8)]) -> u32 {
        let mut things = listed.count_ones();
        // Each word's representative among the words found one name with it.
        let mut root: [u8; MAX_TERMS] = std::array::from_fn(|i| i as u8);
        let find = |root: &[u8; MAX_TERMS], mut i: u8| {
            while root[i as usize] != i {
                i = root[i as usize];
            }
            i
        };
        for &(a, b) in phrases {
            if listed >> a & 1 == 1 && listed >> b & 1 == 1 {
                let (ra, rb) = (find(&root, a), find(&root, b));
                if ra != rb {
                    root[ra as usize] = rb;
                    things -= 1;
                }
            }
        }
        things
    }

    /// The weight in its story's core of a core word `w` whose inverse document frequency is `idf`.
    fn core_weight_with(w: &StoryWord, idf: f64) -> f64 {
        w.count as f64 * idf * if Story::named(w) { NAME_WEIGHT } else { 1.0 }
    }

    /// Whether an article names only other things than story `s` (acronyms aside), whose members keep
    /// naming something it does not mention. `absent`: the article's words known not in `s` (bit `i`
    /// for word `i`), which are not looked up.
    fn conflicts(s: &Story, article: &[ArticleWord], absent: u32) -> bool {
        let mut names = article
            .iter()
            .enumerate()
            .filter(|(_, a)| a.spelled_name)
            .peekable();
        if names.peek().is_none() || s.dominant.is_empty() {
            return false;
        }
        if names.any(|(i, a)| !a.mostly_lowercase && absent >> i & 1 == 0 && s.holds(a.word)) {
            return false;
        }
        s.dominant
            .iter()
            .any(|d| !article.iter().any(|a| a.word == *d))
    }

    /// The open stories an article with these weighted words at `at` could join, each with its
    /// cosine, best first (ties: the older story), into `scored`; `candidates` is a buffer.
    fn score(
        &self,
        article: &[ArticleWord],
        phrases: &[(u8, u8)],
        norm: f64,
        at: Moment,
        candidates: &mut Vec<(u32, u32)>,
        scored: &mut Vec<Scored>,
    ) {
        scored.clear();
        if article.is_empty() || norm <= 0.0 {
            return;
        }
        // Candidates: the recent stories of each word, tallied per story; a story must share at least
        // two words. An article no older than the newest one can skip the stories closed to it; an older
        // one checks each candidate's times.
        let in_order = at.time >= self.newest;
        // The inverse document frequencies of a word in one counted article of `SPECIFIC_RARITY` and
        // of a name in one of `NAME_RARITY`.
        let specific_idf = SPECIFIC_RARITY.ln() + 1.0;
        let specific_name_idf = NAME_RARITY.ln() + 1.0;
        tally::stories_listed_by(MIN_SHARED as u32, candidates, |record| {
            self.list_stories(article, in_order, record)
        });
        // Two words of one name ("White House") are one thing shared, not two.
        if !phrases.is_empty() {
            candidates
                .retain(|&(_, listed)| Self::named_things(listed, phrases) >= MIN_SHARED as u32);
        }
        // Words whose lists never dropped a story list every story that holds them (a word the index
        // has not seen, none): a candidate they did not list does not hold them.
        let complete = article
            .iter()
            .enumerate()
            .filter(|(_, a)| {
                a.slot
                    .is_none_or(|slot| !self.words[slot as usize].stories.evicted)
            })
            .fold(0u32, |m, (i, _)| m | 1 << i);
        // Each candidate is a scattered read: all are asked for before the first is scored.
        for &(id, _) in candidates.iter() {
            if let Some(s) = self.stories.get(&id) {
                crate::lsh::prefetch_lines(s);
            }
        }
        // So is what scoring reads behind each candidate's pointers, a level at a time for all of them,
        // so that each level's misses overlap rather than come one candidate after another.
        if candidates.len() > 1 {
            for &(id, _) in candidates.iter() {
                if let Some(s) = self.stories.get(&id) {
                    s.prefetch_behind();
                }
            }
            for &(id, listed) in candidates.iter() {
                if let Some(s) = self.stories.get(&id) {
                    s.prefetch_searched(article, complete & !listed);
                }
            }
        }
        for &(id, listed) in candidates.iter() {
            let Some(s) = self.stories.get(&id) else {
                continue;
            };
            let absent = complete & !listed;
            if !self.is_open(s, at) || s.core_norm <= 0.0 || Self::conflicts(s, article, absent) {
                continue;
            }
            // A stale norm is computed afresh and not kept: the cache holds only what the rebuild at
            // open computes too (see `replay`).
            let core_norm = if self.is_stale(s) {
                self.core_norm(s)
            } else {
                s.core_norm
            };
            // The article's words were weighed with the document frequencies of now: their idf serves.
            let mut specific = false;
            let dot: f64 = article
                .iter()
                .enumerate()
                .filter_map(|(i, a)| {
                    if absent >> i & 1 == 1 {
                        return None;
                    }
                    let w = s.find_core(a.word)?;
                    specific |=
                        a.idf >= specific_idf || (a.spelled_name && a.idf >= specific_name_idf);
                    Some(a.weight * Self::core_weight_with(w, a.idf))
                })
                .sum();
            let cosine = dot / (norm * core_norm);
            if cosine > 0.0 && specific {
                scored.push(Scored { story: id, cosine });
            }
        }
        scored.sort_unstable_by(|a, b| b.cosine.total_cmp(&a.cosine).then(a.story.cmp(&b.story)));
    }

    /// Records, for each of an article's words the index has seen (word `i` of `article`), the recent
    /// stories it lists, each as the story it now belongs to; stories known closed to an in-order
    /// article are skipped, and those found closed are remembered for the next.
    fn list_stories(
        &self,
        article: &[ArticleWord],
        in_order: bool,
        record: &mut dyn FnMut(u32, u32),
    ) {
        for (i, a) in article.iter().enumerate() {
            let Some(stats) = a.slot.map(|slot| &self.words[slot as usize]) else {
                continue;
            };
            let known = if in_order {
                stats.closed(self.epoch)
            } else {
                0
            };
            let mut learnt = known;
            let listed = u32::MAX
                .checked_shr(32 - stats.stories.len() as u32)
                .unwrap_or(0);
            let mut unknown = !known & listed;
            while unknown != 0 {
                let at = unknown.trailing_zeros();
                unknown &= unknown - 1;
                let story = stats.stories[at as usize];
                let (merged, closed) = self.flags.get(story);
                let id = if merged { self.root(story) } else { story };
                if in_order && if merged { self.has_closed(id) } else { closed } {
                    learnt |= 1 << at;
                    continue;
                }
                record(id, i as u32);
            }
            if learnt != known {
                stats.set_closed(self.epoch, learnt);
            }
        }
    }

    /// The story an article with `terms` at `at` would join by its content, if any reaches the
    /// threshold (changing nothing).
    pub fn best(&self, terms: &[u32], at: impl Into<Moment>) -> Option<u32> {
        let mut judged = terms.to_vec();
        let links = terms::take_links(&mut judged);
        let slots = self.judge(&mut judged);
        let mut article = Vec::new();
        let norm = self.weigh(&judged, &slots, &mut article);
        let mut phrases = Vec::new();
        Self::phrases(&judged, links, &article, &mut phrases);
        let mut scored = Vec::new();
        self.score(
            &article,
            &phrases,
            norm,
            at.into(),
            &mut Vec::new(),
            &mut scored,
        );
        scored
            .first()
            .filter(|s| s.cosine >= self.settings.threshold)
            .map(|s| s.story)
    }

    /// The story an article would get (changing nothing): `via`'s story while it is open to it at `at`,
    /// else [`best`](Self::best); `None` when it would found its own.
    pub fn query(&self, terms: &[u32], at: impl Into<Moment>, via: Option<u32>) -> Option<u32> {
        let at = at.into();
        self.open_via(via, at).or_else(|| self.best(terms, at))
    }

    fn open_via(&self, via: Option<u32>, at: Moment) -> Option<u32> {
        self.open(via?, at)
    }

    /// The story `story` now belongs to, if it is open to an article at `at`.
    pub fn open(&self, story: u32, at: impl Into<Moment>) -> Option<u32> {
        let story = self.root(story);
        let s = self.stories.get(&story)?;
        self.is_open(s, at.into()).then_some(story)
    }

    /// The story `story` now belongs to, if it has run its whole span before an article at `at` (its
    /// first member longer than [`StorySettings::span`] ago, or for an untimed article with a count set,
    /// more articles ago than the span gives): closed to every later article but the copies
    /// [`keep_copy`](Self::keep_copy) adds (removals that take its first members can open it again, as a
    /// rebuild from the members left would find it).
    pub fn spent(&self, story: u32, at: impl Into<Moment>) -> Option<u32> {
        let (story, at) = (self.root(story), at.into());
        let s = self.stories.get(&story).filter(|s| s.size > 0)?;
        let by_time = at.time > s.first.saturating_add(self.settings.span);
        let by_count = match (at.untimed, self.count) {
            (Some(seq), Some((_, span))) => seq > s.first_seq.saturating_add(span),
            _ => false,
        };
        (by_time || by_count).then_some(story)
    }

    /// Adds new article `seq` at `time`, an exact copy of a text of story `story`, to that story although
    /// it has run its span ([`spent`](Self::spent)), adding no words: a text seen again a week after
    /// its event began is still that event, not a new one to be judged by its words (a headline a feed
    /// shows for months stays in its story rather than starting, every week, a story of whatever else is
    /// old and shown again). The story stays closed to every other article.
    pub fn keep_copy(&mut self, seq: u32, story: u32, time: i64) -> Assigned {
        let story = self.root(story);
        self.add(seq, story, &[], time);
        Assigned {
            story,
            counted: Vec::new(),
            merges: Vec::new(),
        }
    }

    /// Decides the story of new article `seq` with content `terms` at `at`: `via` (the story of the
    /// earlier article it duplicates or nearly duplicates) while that story is open, adding no words;
    /// else the best story by content, or a story of its own, adding its words.
    pub fn assign(
        &mut self,
        seq: u32,
        terms: &[u32],
        at: impl Into<Moment>,
        via: Option<u32>,
    ) -> Assigned {
        self.assign_with(seq, || Cow::Borrowed(terms), at.into(), via)
    }

    /// [`assign`](Self::assign), reading the article's terms only if it does not follow `via`'s story.
    pub fn assign_with<'t>(
        &mut self,
        seq: u32,
        terms: impl FnOnce() -> Cow<'t, [u32]>,
        at: Moment,
        via: Option<u32>,
    ) -> Assigned {
        let time = at.time;
        if let Some(story) = self.open_via(via, at) {
            self.add(seq, story, &[], time);
            return Assigned {
                story,
                counted: Vec::new(),
                merges: Vec::new(),
            };
        }
        let mut counted = terms().into_owned();
        let links = terms::take_links(&mut counted);
        let slots = self.judge(&mut counted);
        // Buffers kept from one article to the next.
        let mut buffers = std::mem::take(&mut self.buffers);
        let norm = self.weigh(&counted, &slots, &mut buffers.article);
        Self::phrases(&counted, links, &buffers.article, &mut buffers.phrases);
        self.score(
            &buffers.article,
            &buffers.phrases,
            norm,
            at,
            &mut buffers.candidates,
            &mut buffers.scored,
        );
        let scored = &buffers.scored;
        let threshold = self.settings.threshold;
        let joined = scored
            .first()
            .filter(|s| s.cosine >= threshold)
            .map(|s| s.story);
        let story = joined.unwrap_or(seq);
        self.add_known(seq, story, &counted, &slots, time);
        let mut merges = Vec::new();
        if joined.is_some() {
            let bridged = scored[1..].iter().filter(|s| s.cosine >= threshold);
            if let Some(other) = self.closest(story, bridged.map(|s| s.story), at) {
                let (into, from) = (story.min(other), story.max(other));
                self.merge(from, into);
                merges.push(StoryMerge {
                    from,
                    into,
                    made_by: Some((seq, story)),
                });
            }
        }
        self.buffers = buffers;
        Assigned {
            story: self.root(story),
            counted,
            merges,
        }
    }

    /// Of `others`, the open story whose core is closest to story `story`'s (cosine at or above the merge
    /// setting, at least two core words shared, and a name they are both about unless neither is about
    /// one).
    fn closest(&self, story: u32, others: impl Iterator<Item = u32>, at: Moment) -> Option<u32> {
        let s = self.stories.get(&story)?;
        // Its core is read once, and only when another story is open to compare with.
        let mut core: Option<Vec<(u32, f64)>> = None;
        let mut best: Option<(f64, u32)> = None;
        for id in others {
            let id = self.root(id);
            if id == story {
                continue;
            }
            let Some(o) = self.stories.get(&id) else {
                continue;
            };
            if !self.is_open(o, at) {
                continue;
            }
            let about_same = s.dominant.iter().any(|d| o.dominant.contains(d));
            if (!s.dominant.is_empty() || !o.dominant.is_empty()) && !about_same {
                continue;
            }
            let core = core.get_or_insert_with(|| self.core_vector(s));
            let other = self.core_vector(o);
            let (mut i, mut j, mut dot, mut shared) = (0, 0, 0.0, 0);
            while i < core.len() && j < other.len() {
                match core[i].0.cmp(&other[j].0) {
                    std::cmp::Ordering::Less => i += 1,
                    std::cmp::Ordering::Greater => j += 1,
                    std::cmp::Ordering::Equal => {
                        dot += core[i].1 * other[j].1;
                        shared += 1;
                        i += 1;
                        j += 1;
                    }
                }
            }
            if shared >= MIN_SHARED
                && dot >= self.settings.merge
                && best.is_none_or(|(b, bid)| dot > b || (dot == b && id < bid))
            {
                best = Some((dot, id));
            }
        }
        best.map(|(_, id)| id)
    }

    /// A story's core as a unit vector, sorted by word.
    fn core_vector(&self, s: &Story) -> Vec<(u32, f64)> {
        let mut v: Vec<(u32, f64)> = s
            .core()
            .map(|w| {
                (
                    w.word,
                    Self::core_weight_with(w, self.idf_of(w.word, Some(w.slot))),
                )
            })
            .filter(|&(_, x)| x > 0.0)
            .collect();
        let norm = v.iter().map(|(_, x)| x * x).sum::<f64>().sqrt();
        if norm > 0.0 {
            for (_, x) in &mut v {
                *x /= norm;
            }
        }
        v
    }

    /// Rebuilds the index from stored articles, `(seq, story, counted, time)` in number order, in
    /// chunks as the store is read, and the stored merges, each made where it was made live: right after
    /// its article joined the story it joined (a merge whose article was removed since, at its place all
    /// the same; merges stored without their article, after all articles). The index then decides the
    /// next article as the one that stored them would have. `Err(seq)`: article `seq` names a younger
    /// story.
    pub fn replay(
        &mut self,
        articles: impl IntoIterator<Item = Vec<(u32, u32, Vec<u32>, i64)>>,
        merges: &[StoryMerge],
    ) -> Result<(), u32> {
        let mut in_place: Vec<(u32, u32, u32, u32)> = merges
            .iter()
            .filter_map(|m| m.made_by.map(|(seq, joined)| (seq, joined, m.from, m.into)))
            .collect();
        in_place.sort_unstable();
        let mut next_merge = in_place.into_iter().peekable();
        // Each article's story and words lie anywhere in memory: what adding it reads is asked for a
        // few articles ahead, a level at a time (see `prefetch_replayed`).
        const AHEAD: usize = 8;
        for chunk in articles {
            for (i, (seq, story, counted, time)) in chunk.iter().enumerate() {
                if let Some((_, story, _, _)) = chunk.get(i + 2 * AHEAD) {
                    self.prefetch_replayed(*story, 0);
                }
                if let Some((_, story, counted, _)) = chunk.get(i + AHEAD) {
                    self.prefetch_replayed(*story, 1);
                    self.prefetch_slots(counted);
                }
                if let Some((_, _, counted, _)) = chunk.get(i + AHEAD / 2) {
                    self.prefetch_words(counted);
                }
                let (seq, story, time) = (*seq, *story, *time);
                if story > seq {
                    return Err(seq);
                }
                while let Some((_, _, from, into)) = next_merge.next_if(|m| m.0 < seq) {
                    self.merge(from, into);
                }
                match next_merge.next_if(|m| m.0 == seq) {
                    Some((_, joined, from, into)) => {
                        self.add(seq, joined, counted, time);
                        self.merge(from, into);
                    }
                    None => self.add(seq, story, counted, time),
                }
            }
        }
        for (_, _, from, into) in next_merge {
            self.merge(from, into);
        }
        for m in merges.iter().filter(|m| m.made_by.is_none()) {
            self.merge(m.from, m.into);
        }
        Ok(())
    }

    /// Records article `seq` as a member of `story`, counting `counted` (its terms with their decided
    /// kinds, or none), deciding nothing: used by `assign` and to rebuild the state from stored articles,
    /// in number order.
    pub fn add(&mut self, seq: u32, story: u32, counted: &[u32], time: i64) {
        self.add_known(seq, story, counted, &[None; MAX_TERMS], time);
    }

    /// [`add`](Self::add), with the slots of the words of `counted` already looked up (`None`: to look
    /// up, or a word not seen before).
    fn add_known(&mut self, seq: u32, story: u32, counted: &[u32], known: &Slots, time: i64) {
        let s = seq as usize;
        if self.story_of.len() <= s {
            self.story_of.resize(s + 1, NONE);
        }
        self.story_of[s] = story;
        let story = self.root(story);
        let counted = &counted[..counted.len().min(MAX_TERMS)];
        let closes_before = self.stories.get(&story).map(|s| self.closes_at(s));
        let founded = closes_before.is_none();
        {
            let entry = self
                .stories
                .get_or_insert_with(story, || Story::new(time, seq));
            entry.size += 1;
            entry.first = entry.first.min(time);
            entry.last = entry.last.max(time);
            entry.first_seq = entry.first_seq.min(seq);
            entry.last_seq = entry.last_seq.max(seq);
        }
        self.newest = self.newest.max(time);
        self.reschedule(story, closes_before);
        self.close_stories();
        if counted.is_empty() {
            return;
        }
        let mut slots = [0; MAX_TERMS];
        for ((slot, &t), &known) in slots.iter_mut().zip(counted).zip(known) {
            *slot = match known {
                Some(slot) => slot,
                None => self.intern(word(t)),
            };
        }
        let slots = &slots[..counted.len()];
        {
            let Some(entry) = self.stories.get_mut(&story) else {
                return;
            };
            entry.counting += 1;
            // Words the story has are counted in place; new ones are gathered, sorted, and merged in
            // with one pass rather than shifting the list once for each.
            let mut fresh = [StoryWord::default(); MAX_TERMS];
            let mut new_words = 0;
            let mut targets = [0u32; MAX_TERMS];
            for (target, &t) in targets.iter_mut().zip(counted) {
                *target = word(t);
            }
            let mut found = [Err(0); MAX_TERMS];
            search_words(&entry.words, &targets[..counted.len()], &mut found);
            for (((&t, &w), &slot), &at) in counted.iter().zip(&targets).zip(slots).zip(&found) {
                let counts = match at {
                    Ok(i) => &mut entry.words[i],
                    Err(_) => match fresh[..new_words].iter().position(|x| x.word == w) {
                        Some(i) => &mut fresh[i],
                        None => {
                            fresh[new_words] = StoryWord {
                                word: w,
                                slot,
                                ..StoryWord::default()
                            };
                            new_words += 1;
                            &mut fresh[new_words - 1]
                        }
                    },
                };
                counts.count += 1;
                counts.names += is_name(t) as u32;
                counts.acronyms += (kind(t) == Kind::Acronym) as u32;
            }
            merge_sorted_words(&mut entry.words, &mut fresh[..new_words]);
            match &mut entry.held {
                Some(held) => fresh[..new_words].iter().for_each(|w| held.insert(w.word)),
                None if entry.words.len() > CORE_LISTED => entry.rebuild_held(),
                None => {}
            }
        }
        for (i, (&t, &slot)) in counted.iter().zip(slots).enumerate() {
            let stats = &mut self.words[slot as usize];
            // A word the article uses twice counts one document and one posting.
            if !slots[..i].contains(&slot) {
                self.documents_of[slot as usize] += 1;
                // A story this article founded is in no list yet.
                if founded || !stats.stories.contains(&story) {
                    if stats.stories.len() == POSTINGS {
                        stats.evict_oldest(self.epoch);
                    }
                    stats.stories.push(story);
                }
            }
            let k = kind(t);
            if matches!(k, Kind::Name | Kind::Lower | Kind::Acronym) {
                stats.informative += 1;
                stats.names += (k != Kind::Lower) as u32;
            }
        }
        self.documents += 1;
        self.refresh(story, Some(counted));
    }

    /// Whether a story's cached core norm was computed with document frequencies too old to use: more
    /// than a tenth fewer counting articles than now (the IDF of every word moves as the stream grows).
    fn is_stale(&self, s: &Story) -> bool {
        self.documents > s.norm_documents + s.norm_documents / 10 + 1
    }

    /// The norm of story `s`'s core vector with the document frequencies of now.
    fn core_norm(&self, s: &Story) -> f64 {
        core_norm_with(s, &self.documents_of, self.documents)
    }

    /// Recomputes story `story`'s core, its cached core norm and the names it is about. `counted`: the
    /// terms of the one article just counted into it, after which its core and its names can only have
    /// lost words or gained some of its words (the others kept their counts while the shares asked of
    /// them grew), so a story that keeps its core apart reads only those again; `None` after any other
    /// change.
    fn refresh(&mut self, story: u32, counted: Option<&[u32]>) {
        let documents = self.documents;
        let documents_of = &self.documents_of;
        let Some(s) = self.stories.get_mut(&story) else {
            return;
        };
        let least = (DOMINANT_SHARE * s.counting as f64).max(1.0);
        let dominant_word = |w: &StoryWord| (w.names - w.acronyms) as f64 >= least;
        let Story {
            words,
            dominant,
            core,
            counting,
            ..
        } = &mut *s;
        let listed = *counting >= 3 && words.len() > CORE_LISTED;
        let in_core = |w: &StoryWord| Story::in_core(w.count, *counting);
        match (counted, core.as_deref_mut()) {
            (Some(counted), Some(core)) if listed => {
                let mut added = [0u32; MAX_TERMS];
                for (a, &t) in added.iter_mut().zip(counted) {
                    *a = word(t);
                }
                let added = &mut added[..counted.len().min(MAX_TERMS)];
                added.sort_unstable();
                let added = partition_dedup(added);
                let find = |word: u32| {
                    words
                        .binary_search_by_key(&word, |w| w.word)
                        .ok()
                        .map(|i| words[i])
                };
                // Both lists are rebuilt in place: what they held, as counted now, then the article's
                // words they did not hold.
                dominant.retain(|&d| find(d).is_some_and(|w| dominant_word(&w)));
                let held = dominant.len();
                for &a in added {
                    if dominant[..held].binary_search(&a).is_err()
                        && find(a).is_some_and(|w| dominant_word(&w))
                    {
                        dominant.push(a);
                    }
                }
                if dominant.len() > held {
                    dominant.sort_unstable();
                }
                // Only the article's words changed their counts: the others' copies are current
                // and need no lookup in the (long) word list.
                core.retain_mut(|w| {
                    if added.binary_search(&w.word).is_ok() {
                        match find(w.word) {
                            Some(now) => *w = now,
                            None => return false,
                        }
                    }
                    in_core(w)
                });
                let held = core.len();
                for &a in added {
                    if core[..held].binary_search_by_key(&a, |w| w.word).is_err() {
                        if let Some(w) = find(a).filter(|w| in_core(w)) {
                            core.push(w);
                        }
                    }
                }
                if core.len() > held {
                    core.sort_unstable_by_key(|w| w.word);
                }
            }
            _ => {
                dominant.clear();
                dominant.extend(words.iter().filter(|w| dominant_word(w)).map(|w| w.word));
                *core = listed
                    .then(|| Box::new(words.iter().copied().filter(|w| in_core(w)).collect()));
            }
        }
        s.core_norm = core_norm_with(s, documents_of, documents);
        s.norm_documents = documents;
    }

    /// Merges story `from` into story `into` (both as given; their roots merge).
    pub fn merge(&mut self, from: u32, into: u32) {
        let (from, into) = (self.root(from), self.root(into));
        if from == into {
            return;
        }
        let closes_before = self.stories.get(&into).map(|s| self.closes_at(s));
        // Words whose closed prefix holds `from` would lead in-order articles to `into` now.
        if self.has_closed(from) {
            self.forget_closed();
        }
        let Some(young) = self.stories.get_mut(&from) else {
            return;
        };
        if self.merged.len() <= from as usize {
            self.merged.resize(from as usize + 1, NONE);
        }
        self.merged[from as usize] = into;
        self.merge_log.push(from);
        self.flags.set(from, MERGED, true);
        let words = std::mem::take(&mut young.words);
        let (size, counting, first, last) = (young.size, young.counting, young.first, young.last);
        let (first_seq, last_seq) = (young.first_seq, young.last_seq);
        young.size = 0;
        young.counting = 0;
        young.dominant = Vec::new();
        young.core = None;
        young.held = None;
        let old = self
            .stories
            .get_or_insert_with(into, || Story::new(first, first_seq));
        old.size += size;
        old.counting += counting;
        old.first = old.first.min(first);
        old.last = old.last.max(last);
        old.first_seq = old.first_seq.min(first_seq);
        old.last_seq = old.last_seq.max(last_seq);
        let mut merged = Vec::with_capacity(old.words.len() + words.len());
        let (mut i, mut j) = (0, 0);
        while i < old.words.len() || j < words.len() {
            let take_old =
                j == words.len() || (i < old.words.len() && old.words[i].word <= words[j].word);
            let take_young =
                i == old.words.len() || (j < words.len() && words[j].word <= old.words[i].word);
            match (take_old, take_young) {
                (true, true) => {
                    let mut w = old.words[i];
                    w.count += words[j].count;
                    w.names += words[j].names;
                    w.acronyms += words[j].acronyms;
                    merged.push(w);
                    i += 1;
                    j += 1;
                }
                (true, false) => {
                    merged.push(old.words[i]);
                    i += 1;
                }
                _ => {
                    merged.push(words[j]);
                    j += 1;
                }
            }
        }
        old.words = merged;
        old.rebuild_held();
        for w in &words {
            if let Some(stats) = self.words.get_mut(w.slot as usize) {
                if !stats.stories.contains(&into) {
                    if stats.stories.len() == POSTINGS {
                        stats.evict_oldest(self.epoch);
                    }
                    stats.stories.push(into);
                }
            }
        }
        self.refresh(into, None);
        self.reschedule(into, closes_before);
    }

    /// Takes article `seq` (with the terms it counted: see [`Assigned::counted`]) out of its story and
    /// the document frequencies.
    pub fn remove(&mut self, seq: u32, counted: &[u32], time: i64) {
        let Some(story) = self.story_of(seq) else {
            return;
        };
        self.story_of[seq as usize] = NONE;
        let counted = &counted[..counted.len().min(MAX_TERMS)];
        // The slots of the words the story no longer holds.
        let mut dropped = [0u32; MAX_TERMS];
        let mut drops = 0;
        if let Some(entry) = self.stories.get_mut(&story) {
            entry.size = entry.size.saturating_sub(1);
            // A member at an end of the story's span: the span of the members left is found by
            // `settle_spans`.
            let at_an_end = time == entry.first
                || time == entry.last
                || seq == entry.first_seq
                || seq == entry.last_seq;
            if at_an_end && entry.size > 0 {
                self.unsettled.push(story);
            }
            if !counted.is_empty() {
                entry.counting = entry.counting.saturating_sub(1);
                for &t in counted {
                    if let Ok(i) = entry.words.binary_search_by_key(&word(t), |x| x.word) {
                        let w = &mut entry.words[i];
                        w.count -= 1;
                        w.names = w.names.saturating_sub(is_name(t) as u32);
                        w.acronyms = w.acronyms.saturating_sub((kind(t) == Kind::Acronym) as u32);
                        if w.count == 0 {
                            dropped[drops] = w.slot;
                            drops += 1;
                            entry.words.remove(i);
                            if let Some(held) = &mut entry.held {
                                held.remove(word(t));
                            }
                        }
                    }
                }
            }
        }
        // A word the story no longer holds no longer lists it, as a rebuild from the members left would
        // not: a story listed there counts towards the words a candidate must share. (Positions move, so
        // what the word knew of its stories' closing is forgotten.)
        let (merged, flags) = (&self.merged, &self.flags);
        for &slot in &dropped[..drops] {
            let stats = &mut self.words[slot as usize];
            if stats
                .stories
                .retain(|id| root_of(merged, flags, id) != story)
            {
                stats.set_closed(self.epoch, 0);
            }
        }
        if counted.is_empty() {
            return;
        }
        for &t in counted {
            let k = kind(t);
            if let Some(slot) = self.slot(word(t)) {
                let stats = &mut self.words[slot as usize];
                if matches!(k, Kind::Name | Kind::Lower | Kind::Acronym) {
                    stats.informative = stats.informative.saturating_sub(1);
                    stats.names = stats.names.saturating_sub((k != Kind::Lower) as u32);
                }
            }
        }
        let mut distinct: Vec<u32> = counted.iter().map(|&t| word(t)).collect();
        distinct.sort_unstable();
        distinct.dedup();
        for w in distinct {
            if let Some(slot) = self.slot(w) {
                let documents = &mut self.documents_of[slot as usize];
                *documents = documents.saturating_sub(1);
            }
        }
        self.documents = self.documents.saturating_sub(1);
        self.refresh(story, None);
    }

    /// Brings the time spans of the stories that lost a member at an end of theirs (see
    /// [`remove`](Self::remove)) to those of the members left, `time(seq)` giving a member's time, as a
    /// rebuild from the stored articles finds them. A few stories (a single removal's) are settled from
    /// their members ([`Members`]); many (a prune's, called once at the end) in one pass over the
    /// articles within their spans of numbers.
    pub fn settle_spans(&mut self, time: impl Fn(u32) -> i64 + Sync) {
        if self.unsettled.is_empty() {
            return;
        }
        let mut unsettled = std::mem::take(&mut self.unsettled);
        // Stories merged since they were noted settle as the story they merged into.
        for story in &mut unsettled {
            *story = self.root(*story);
        }
        unsettled.sort_unstable();
        unsettled.dedup();
        // (first, last, first_seq, last_seq) of each, over its live members.
        let mut spans = vec![(i64::MAX, i64::MIN, u32::MAX, 0u32); unsettled.len()];
        if unsettled.len() <= FEW_UNSETTLED {
            let given = Given {
                story_of: &self.story_of,
                time: &time,
            };
            let (merge_log, merged) = (&self.merge_log, &self.merged);
            let members = match &mut self.members {
                Some(members) => {
                    members.keep_up(&given, merge_log, merged);
                    members
                }
                None => self
                    .members
                    .insert(Members::build(&given, merge_log, merged)),
            };
            for (span, &story) in spans.iter_mut().zip(&unsettled) {
                if let Some(found) = members.span(story, &given) {
                    *span = found;
                }
            }
        } else {
            // A story's members lie within its span of numbers (spans only widen until settled), so
            // only the articles within the spans of these are read.
            let (from, to) = unsettled
                .iter()
                .filter_map(|story| self.stories.get(story))
                .fold((u32::MAX, 0u32), |(from, to), s| {
                    (from.min(s.first_seq), to.max(s.last_seq))
                });
            let to = (to as usize).min(self.story_of.len().saturating_sub(1));
            for (seq, &given) in self
                .story_of
                .iter()
                .enumerate()
                .take(to + 1)
                .skip(from as usize)
            {
                if given == NONE {
                    continue;
                }
                if let Ok(k) = unsettled.binary_search(&self.root(given)) {
                    let (seq, t) = (seq as u32, time(seq as u32));
                    let span = &mut spans[k];
                    *span = (
                        span.0.min(t),
                        span.1.max(t),
                        span.2.min(seq),
                        span.3.max(seq),
                    );
                }
            }
        }
        for (&story, &(first, last, first_seq, last_seq)) in unsettled.iter().zip(&spans) {
            let before = match self.stories.get(&story) {
                Some(entry) if first <= last => self.closes_at(entry),
                _ => continue,
            };
            if let Some(entry) = self.stories.get_mut(&story) {
                (entry.first, entry.last) = (first, last);
                (entry.first_seq, entry.last_seq) = (first_seq, last_seq);
            }
            self.reschedule(story, Some(before));
        }
    }
}

/// The stories by id (the number of the article that founded each): a table of positions indexed by id
/// in front of the stories themselves, so that finding one is two reads of memory rather than a hash
/// probe, and the candidate search finds many.
#[derive(Debug, Default)]
struct StoryTable {
    /// Per story id, its position in `stories` (`NONE`: no such story; ids past the end neither).
    at: Vec<u32>,
    stories: Chunked<Story>,
}

impl StoryTable {
    fn get(&self, id: &u32) -> Option<&Story> {
        let at = *self.at.get(*id as usize)?;
        self.stories.get(at as usize)
    }

    fn get_mut(&mut self, id: &u32) -> Option<&mut Story> {
        let at = *self.at.get(*id as usize)?;
        self.stories.get_mut(at as usize)
    }

    /// Story `id`, made by `new` if there is none.
    fn get_or_insert_with(&mut self, id: u32, new: impl FnOnce() -> Story) -> &mut Story {
        let i = id as usize;
        if self.at.len() <= i {
            self.at.resize(i + 1, NONE);
        }
        if self.at[i] == NONE {
            self.at[i] = self.stories.len() as u32;
            self.stories.push(new());
        }
        let at = self.at[i] as usize;
        &mut self.stories[at]
    }
}

/// Which of [`StoryFlags`]' two bits.
const MERGED: usize = 0;
const CLOSED: usize = 1;

/// Two bits per story id, whether it merged and whether it closed, kept side by side so that one memory
/// read answers both: the candidate search asks them of every story in an article's postings.
#[derive(Debug, Default)]
struct StoryFlags {
    /// Per 64 ids, the `MERGED` bits and the `CLOSED` bits.
    blocks: Vec<[u64; 2]>,
}

impl StoryFlags {
    /// Whether id `i` merged, and whether it closed.
    fn get(&self, i: u32) -> (bool, bool) {
        let bit = 1u64 << (i % 64);
        self.blocks
            .get(i as usize / 64)
            .map_or((false, false), |b| {
                (b[MERGED] & bit != 0, b[CLOSED] & bit != 0)
            })
    }

    /// Sets or clears one of id `i`'s bits, growing the set as needed.
    fn set(&mut self, i: u32, which: usize, on: bool) {
        let at = i as usize / 64;
        if self.blocks.len() <= at {
            if !on {
                return;
            }
            self.blocks.resize(at + 1, [0, 0]);
        }
        let bit = 1u64 << (i % 64);
        if on {
            self.blocks[at][which] |= bit;
        } else {
            self.blocks[at][which] &= !bit;
        }
    }
}

/// Merges `fresh`, words none of which `words` holds, into `words`, both kept sorted by word: `words`
/// grows once and each of its words moves once at most, from the back, a run between two new words at a
/// time.
fn merge_sorted_words(words: &mut Vec<StoryWord>, fresh: &mut [StoryWord]) {
    if fresh.is_empty() {
        return;
    }
    fresh.sort_unstable_by_key(|w| w.word);
    let old = words.len();
    words.resize(old + fresh.len(), StoryWord::default());
    // The largest new word first: the old words after it move up past it and the new words before it,
    // a block at a time.
    let mut end = old;
    for (j, new) in fresh.iter().enumerate().rev() {
        let at = words[..end].partition_point(|w| w.word < new.word);
        words.copy_within(at..end, at + j + 1);
        words[at + j] = *new;
        end = at;
    }
}

/// Where each word of `targets` is in `words` (sorted by word, each word once), as
/// `binary_search_by_key` would answer, into `found`: the searches take their steps side by side, so
/// that the cache misses of one step overlap rather than come one search after another.
fn search_words(words: &[StoryWord], targets: &[u32], found: &mut [Result<usize, usize>]) {
    let found = &mut found[..targets.len()];
    if words.is_empty() {
        found.fill(Err(0));
        return;
    }
    let mut base = [0usize; MAX_TERMS];
    let base = &mut base[..targets.len()];
    let mut size = words.len();
    while size > 1 {
        let half = size / 2;
        for (b, &target) in base.iter_mut().zip(targets) {
            let mid = *b + half;
            if words[mid].word <= target {
                *b = mid;
            }
        }
        size -= half;
    }
    for ((out, &b), &target) in found.iter_mut().zip(base.iter()).zip(targets) {
        let at = words[b].word;
        *out = match at.cmp(&target) {
            std::cmp::Ordering::Equal => Ok(b),
            std::cmp::Ordering::Less => Err(b + 1),
            std::cmp::Ordering::Greater => Err(b),
        };
    }
}

/// Whether a word written `informative` times where case says something, `names` of them capitalised,
/// is taken for a name where case says nothing.
fn mostly_capitalised(informative: u32, names: u32) -> bool {
    informative >= 2 && names * 2 >= informative
}

/// Whether a word written `informative` times where case says something, `names` of them capitalised,
/// is mostly written in lowercase there (seen so twice at least).
fn mostly_lowercase(informative: u32, names: u32) -> bool {
    informative >= 2 && !mostly_capitalised(informative, names)
}

/// The inverse document frequency of a word that `df` of `documents` counted articles use, the reference
/// counts (`prior`) included in both: `df` holds them from the word's first count.
fn idf(documents: u64, df: u32) -> f64 {
    ((documents as f64 + prior::documents() as f64 + 1.0) / (df as f64 + 1.0)).ln() + 1.0
}

/// The norm of story `s`'s core vector when `documents` articles were counted, `documents_of` of them
/// with each word.
fn core_norm_with(s: &Story, documents_of: &[u32], documents: u64) -> f64 {
    s.core()
        .map(|w| {
            StoryIndex::core_weight_with(w, idf(documents, documents_of[w.slot as usize])).powi(2)
        })
        .sum::<f64>()
        .sqrt()
}

/// The distinct values of sorted `values`, moved to its front.
fn partition_dedup(values: &mut [u32]) -> &[u32] {
    let mut len = 0;
    for i in 0..values.len() {
        if len == 0 || values[i] != values[len - 1] {
            values[len] = values[i];
            len += 1;
        }
    }
    &values[..len]
}

/// The story a story id belongs to, through the merges recorded in `merged` (flagged in `flags`).
fn root_of(merged: &[u32], flags: &StoryFlags, mut story: u32) -> u32 {
    while flags.get(story).0 {
        story = merged[story as usize];
    }
    story
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn index() -> StoryIndex {
        StoryIndex::new(StorySettings {
            threshold: 0.15,
            merge: 0.3,
            gap: 2 * DAY,
            span: 7 * DAY,
            gap_articles: None,
        })
    }

    /// An article's terms as the engine reads them (with links).
    fn t(text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        linked_terms(text, &mut out);
        out
    }

    #[test]
    fn articles_about_one_event_share_a_story_and_others_do_not() {
        let mut s = index();
        let a = s.assign(0, &t("Apple unveils iPhone 6 at Cupertino event"), 0, None);
        let b = s.assign(1, &t("Fed holds interest rates steady"), 10, None);
        let c = s.assign(2, &t("iPhone 6 launch: Apple shares rise"), 20, None);
        assert_eq!((a.story, b.story), (0, 1));
        assert_eq!(c.story, 0, "shares the words iphone, 6 and apple");
        // A near-duplicate takes the story of what it matched and adds no words.
        let d = s.assign(3, &t("Fed holds rates steady"), 30, Some(1));
        assert_eq!(d.story, 1);
        assert!(d.counted.is_empty());
        assert_eq!(s.size(0), 2);
        s.remove(2, &c.counted, 20);
        assert_eq!(s.size(0), 1);
        assert_eq!(s.members(1), vec![1, 3]);
    }

    proptest::proptest! {
        /// A story's words searched side by side are found where one search at a time finds them, and
        /// new words merged in keep the list sorted, each word once with its counts.
        #[test]
        fn words_searched_together_and_merged_agree_with_one_at_a_time(
            held in proptest::collection::btree_set(0u32..400, 0..120),
            asked in proptest::collection::vec(0u32..420, 0..MAX_TERMS),
        ) {
            let words: Vec<StoryWord> = held
                .iter()
                .map(|&word| StoryWord { word, count: word + 1, ..StoryWord::default() })
                .collect();
            let mut found = [Err(0); MAX_TERMS];
            search_words(&words, &asked, &mut found);
            for (&target, &at) in asked.iter().zip(&found) {
                proptest::prop_assert_eq!(at, words.binary_search_by_key(&target, |w| w.word));
            }
            let mut fresh: Vec<StoryWord> = asked
                .iter()
                .filter(|w| !held.contains(w))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .rev()
                .map(|&word| StoryWord { word, count: word + 1, ..StoryWord::default() })
                .collect();
            let mut merged = words.clone();
            merge_sorted_words(&mut merged, &mut fresh);
            let mut expected: Vec<(u32, u32)> = held
                .iter()
                .chain(fresh.iter().map(|w| &w.word))
                .map(|&w| (w, w + 1))
                .collect();
            expected.sort_unstable();
            let got: Vec<(u32, u32)> = merged.iter().map(|w| (w.word, w.count)).collect();
            proptest::prop_assert_eq!(got, expected);
        }

        /// After each removal, however the stories merged and whatever the order of their members'
        /// times, a story's span is that of the members it has left.
        #[test]
        fn a_story_s_span_after_removals_is_that_of_its_members_left(
            joins in proptest::collection::vec((0u32..5, -6i64..6), 5..60),
            merges in proptest::collection::vec((0u32..5, 0u32..5, 0usize..60), 0..4),
            removals in proptest::collection::vec(0u32..60, 0..60),
        ) {
            let mut s = index();
            let mut time = Vec::new();
            for (seq, &(story, day)) in joins.iter().enumerate() {
                // The first five found stories 0 to 4; the rest join one of them.
                let story = if seq < 5 { seq as u32 } else { story };
                s.add(seq as u32, story, &[], day * DAY);
                time.push(day * DAY);
                for &(from, into, _) in merges.iter().filter(|m| m.2 == seq) {
                    s.merge(from, into);
                }
            }
            let time_of = |seq: u32| time[seq as usize];
            let mut live = vec![true; joins.len()];
            for seq in removals.into_iter().filter(|&seq| (seq as usize) < joins.len()) {
                if std::mem::replace(&mut live[seq as usize], false) {
                    s.remove(seq, &[], time_of(seq));
                    s.settle_spans(time_of);
                }
                for story in 0..5u32 {
                    let members: Vec<u32> = (0..joins.len() as u32)
                        .filter(|&m| live[m as usize] && s.story_of(m).map(|g| s.root(g)) == Some(story))
                        .collect();
                    let (Some(entry), false) = (s.stories.get(&story), members.is_empty()) else {
                        continue;
                    };
                    let times = members.iter().map(|&m| time_of(m));
                    let expected = (
                        times.clone().min(),
                        times.max(),
                        members.first().copied(),
                        members.last().copied(),
                    );
                    let found = (Some(entry.first), Some(entry.last), Some(entry.first_seq), Some(entry.last_seq));
                    proptest::prop_assert_eq!(found, expected, "story {}", story);
                }
            }
        }
    }

    #[test]
    fn a_story_that_lost_a_member_at_an_end_is_open_as_if_it_never_had_it() {
        // Members on days 0, 2 and 4, each following the first's story: open from day -2 to day 6 (two
        // days' gap).
        let event = "Floods cut off mountain villages in the Alps";
        let build = |days: &[i64]| {
            let mut s = index();
            let mut counted = Vec::new();
            for (seq, &day) in days.iter().enumerate() {
                let via = (seq > 0).then_some(0);
                let assigned = s.assign(seq as u32, &t(event), day * DAY, via);
                assert_eq!(assigned.story, 0);
                counted.push(assigned.counted);
            }
            (s, counted)
        };
        let (mut s, counted) = build(&[0, 2, 4]);
        assert_eq!(s.open(0, -2 * DAY), Some(0));
        assert_eq!(s.open(0, 6 * DAY), Some(0));
        // The first and the last go: the story spans day 2 alone, as one built from it does.
        s.remove(0, &counted[0], 0);
        s.remove(2, &counted[2], 4 * DAY);
        s.settle_spans(|seq| [0, 2, 4][seq as usize] * DAY);
        let (alone, _) = build(&[2]);
        for day in -3..8 {
            assert_eq!(
                s.open(0, day * DAY).is_some(),
                alone.open(0, day * DAY).is_some(),
                "day {day}"
            );
        }
        assert_eq!(s.open(0, -2 * DAY), None, "four days before its one member");
        assert_eq!(s.open(0, 4 * DAY), Some(0));
    }

    #[test]
    fn an_article_older_than_the_newest_still_finds_the_story_open_at_its_time() {
        let mut s = index();
        s.assign(
            0,
            &t("Wildfire forces evacuations near Los Angeles"),
            0,
            None,
        );
        // The stream moves a month on: the wildfire story is closed to articles of that time.
        let later = s.assign(1, &t("Fed holds interest rates steady"), 30 * DAY, None);
        assert_eq!(later.story, 1);
        let late_copy = s.assign(
            2,
            &t("Los Angeles wildfire evacuations lifted"),
            31 * DAY,
            None,
        );
        assert_eq!(late_copy.story, 2, "closed to an article of its month");
        // An article of the wildfire's own day, arriving late, joins it.
        let arrived_late = s.assign(3, &t("Los Angeles wildfire evacuations grow"), DAY, None);
        assert_eq!(arrived_late.story, 0);
        // Its time reopens nothing for the articles of now.
        let now = s.assign(
            4,
            &t("Wildfire evacuations near Los Angeles"),
            31 * DAY,
            None,
        );
        assert_eq!(now.story, 2);
    }

    #[test]
    fn a_story_reopened_by_a_late_article_is_found_again_by_the_articles_of_now() {
        let mut s = index();
        s.assign(
            0,
            &t("Wildfire forces evacuations near Los Angeles"),
            0,
            None,
        );
        s.assign(1, &t("Fed holds interest rates steady"), 3 * DAY, None);
        // Quiet for three days: closed to an article of now (and the words learn that it is).
        let wildfire = t("Los Angeles wildfire evacuations grow");
        assert_eq!(s.best(&wildfire, 3 * DAY + 3_600), None);
        // A late article of its second day joins it, which keeps it open until its fourth.
        let late = s.assign(
            2,
            &t("Wildfire evacuations near Los Angeles"),
            2 * DAY - 60,
            None,
        );
        assert_eq!(late.story, 0);
        assert!(!s.has_closed(0));
        assert_eq!(s.best(&wildfire, 3 * DAY + 7_200), Some(0));
        // And it closes again once the stream passes two days after that late article.
        s.assign(3, &t("Fed holds interest rates steady"), 4 * DAY - 60, None);
        assert!(!s.has_closed(0));
        s.assign(4, &t("Fed holds interest rates steady"), 4 * DAY - 59, None);
        assert!(s.has_closed(0));
    }

    #[test]
    fn one_shared_word_is_not_a_story() {
        let mut s = index();
        s.assign(
            0,
            &t("Trump signs order on tariffs for steel imports"),
            0,
            None,
        );
        let other = s.assign(1, &t("Trump meets Harvard president"), 10, None);
        assert_eq!(other.story, 1);
    }

    #[test]
    fn a_story_ends_when_it_goes_quiet_or_has_run_for_long() {
        let mut s = index();
        s.assign(
            0,
            &t("Wildfire forces evacuations near Los Angeles"),
            0,
            None,
        );
        let quiet = s.assign(
            1,
            &t("Los Angeles wildfire evacuations lifted"),
            3 * DAY,
            None,
        );
        assert_eq!(quiet.story, 1, "three quiet days close the story");
        // Daily follow-ups keep a story open, but not beyond its span.
        let mut last = 1;
        for day in 1..10 {
            let next = s.assign(
                1 + day as u32,
                &t("Los Angeles wildfire evacuations continue"),
                (3 + day) * DAY,
                None,
            );
            if day <= 7 {
                assert_eq!(next.story, 1, "day {day}");
            }
            last = next.story;
        }
        assert_ne!(last, 1, "a story spans at most seven days");
        // An article following a closed story's article is judged by its words (an exact copy of a
        // story that has run its span is kept by `keep_copy` instead, as the cluster level decides).
        let copy = s.assign(
            20,
            &t("Wildfire forces evacuations near Los Angeles"),
            30 * DAY,
            Some(0),
        );
        assert_eq!(copy.story, 20);
        assert!(!copy.counted.is_empty());
    }

    #[test]
    fn a_copy_kept_by_a_story_past_its_span_leaves_it_closed_to_every_other_article() {
        let mut s = index();
        let headline = t("Wildfire forces evacuations near Los Angeles");
        let first = s.assign(0, &headline, 0, None);
        // Quiet past the gap but within the span: closed, not spent.
        assert_eq!(s.open(0, 3 * DAY), None);
        assert_eq!(s.spent(0, 3 * DAY), None);
        assert_eq!(s.spent(0, 7 * DAY), None, "the span's last moment");
        assert_eq!(s.spent(0, 7 * DAY + 1), Some(0));
        let kept = s.keep_copy(1, 0, 30 * DAY);
        assert_eq!((kept.story, kept.counted.len()), (0, 0));
        assert_eq!(s.size(0), 2);
        // Its words would take the copy's next article to it, but the story stays closed.
        assert_eq!(s.open(0, 30 * DAY), None);
        assert_eq!(s.best(&headline, 30 * DAY), None);
        let next = s.assign(2, &headline, 30 * DAY + 60, None);
        assert_eq!(next.story, 2);
        // A story with no live member left is spent for no one.
        s.remove(0, &first.counted, 0);
        s.remove(1, &[], 30 * DAY);
        assert_eq!(s.spent(0, 40 * DAY), None);
    }

    #[test]
    fn a_story_whose_closing_kept_moving_later_closes_when_the_last_one_passes() {
        let mut s = index();
        let wildfire = |s: &mut StoryIndex, seq: u32, time: i64| {
            let title = format!("Los Angeles wildfire evacuations continue, report {seq}");
            s.assign(seq, &t(&title), time, None).story
        };
        let other = |s: &mut StoryIndex, seq: u32, time: i64| {
            s.assign(seq, &t("Fed holds interest rates steady"), time, None);
        };
        assert_eq!(wildfire(&mut s, 0, 0), 0);
        // Each follow-up moves the closing a day on (to day 5): one entry stands for all the moves.
        for (seq, day) in [(1, 1), (2, 2), (3, 3)] {
            assert_eq!(wildfire(&mut s, seq, day * DAY), 0);
        }
        assert_eq!(s.closing.len(), 1);
        other(&mut s, 4, 5 * DAY - 1);
        assert!(!s.has_closed(0), "open to the last second of its gap");
        assert_eq!(wildfire(&mut s, 5, 5 * DAY), 0);
        other(&mut s, 6, 7 * DAY);
        assert!(!s.has_closed(0), "open until day 7 now");
        other(&mut s, 7, 7 * DAY + 1);
        assert!(s.has_closed(0));
        assert_eq!(wildfire(&mut s, 8, 7 * DAY + 2), 8);
    }

    #[test]
    fn a_story_closes_to_untimed_articles_once_enough_articles_came_after_it() {
        // Three articles for the two-day gap: ten (3 x 7 / 2) for the seven-day span.
        let mut s = StoryIndex::new(StorySettings {
            gap_articles: Some(3),
            ..index().settings
        });
        let untimed = |seq: u32| Moment {
            time: 0,
            untimed: Some(seq),
        };
        let wildfire = |s: &mut StoryIndex, seq: u32| {
            let title = format!("Los Angeles wildfire evacuations continue, report {seq}");
            s.assign(seq, &t(&title), untimed(seq), None).story
        };
        assert_eq!(wildfire(&mut s, 0), 0);
        for seq in 1..=3 {
            s.assign(
                seq,
                &t(&format!("Fed holds rates, vote {seq}")),
                untimed(seq),
                None,
            );
        }
        assert_eq!(
            wildfire(&mut s, 4),
            4,
            "four articles after its latest: closed"
        );
        // Follow-ups every other article keep a story open, but not beyond ten articles after its first.
        let mut joined = Vec::new();
        for seq in (5..20).step_by(2) {
            s.assign(
                seq,
                &t(&format!("Fed holds rates, vote {seq}")),
                untimed(seq),
                None,
            );
            joined.push((seq + 1, wildfire(&mut s, seq + 1)));
        }
        assert_eq!(
            joined,
            vec![
                (6, 4),
                (8, 4),
                (10, 4),
                (12, 4),
                (14, 4),
                (16, 16),
                (18, 16),
                (20, 16)
            ]
        );
        // An article with a time of its own is not counted by number: by time, every story is open.
        assert_eq!(s.open(0, untimed(30)), None);
        assert_eq!(s.open(0, 10), Some(0));
        // Nor is any article when the count is off.
        let mut off = index();
        off.assign(0, &t("Los Angeles wildfire evacuations"), untimed(0), None);
        let late = off.assign(
            1_000,
            &t("Los Angeles wildfire evacuations grow"),
            untimed(1_000),
            None,
        );
        assert_eq!(late.story, 0);
    }

    #[test]
    fn common_words_weigh_less_than_rare_ones_from_the_first_article_on() {
        // A fresh index has counted nothing, yet knows "war" as more common than "earthquake", and a word
        // of no headline it was built from as the rarest.
        let s = index();
        let weight = |text: &str| {
            let mut terms = t(text);
            let slots = s.judge(&mut terms);
            s.weigh(&terms, &slots, &mut Vec::new())
        };
        let (war, quake, unknown) = (weight("war"), weight("earthquake"), weight("zyxwvut"));
        assert!(war < quake && quake < unknown, "{war} {quake} {unknown}");
    }

    #[test]
    fn a_headline_naming_only_other_places_does_not_join() {
        let mut s = index();
        s.assign(0, &t("Suicide bomber kills 12 in Nigeria church"), 0, None);
        s.assign(
            1,
            &t("Church bombing in Nigeria: death toll rises"),
            10,
            None,
        );
        let pakistan = s.assign(
            2,
            &t("Suicide bomber kills 21 in Pakistan mosque"),
            20,
            None,
        );
        assert_eq!(pakistan.story, 2);
    }

    /// The stories of `titles` given in turn to a fresh index, ten seconds apart.
    fn stories_of(titles: &[&str]) -> Vec<u32> {
        let mut s = index();
        (0..)
            .zip(titles)
            .map(|(i, title)| s.assign(i, &t(title), i as i64 * 10, None).story)
            .collect()
    }

    #[test]
    fn an_unknown_capitalised_word_opening_a_headline_is_taken_for_a_name() {
        let stories = stories_of(&[
            "Manning sentenced to 35 years in prison",
            "Ariel Castro sentenced to 1,000 years in prison",
            "Manning to serve 35 years in military prison",
        ]);
        assert_eq!(stories, [0, 1, 0], "each names someone the other does not");
        let s = index();
        let judged = |title: &str| {
            let mut terms = t(title);
            s.judge(&mut terms);
            kind(terms[0])
        };
        assert_eq!(
            judged("Manning sentenced to 35 years in prison"),
            Kind::Judged
        );
        assert_eq!(
            judged("Suicide bomber kills 12 in Nigeria church"),
            Kind::Plain,
            "a common word opening a headline stays plain"
        );
    }

    #[test]
    fn a_name_in_many_headlines_is_not_specific() {
        let stories = stories_of(&[
            "Trump signs order on tariff refunds",
            "Trump threatens tariff on Canadian lumber",
            "Ottawa answers Trump tariff on Canadian lumber",
        ]);
        // Trump and tariff: a name in many headlines and a common word; lumber is rare.
        assert_eq!(stories, [0, 1, 1]);
    }

    #[test]
    fn a_holiday_or_a_day_in_common_is_not_an_event() {
        let stories = stories_of(&[
            "Powerball jackpot grows to $1.7 billion for Christmas Eve drawing",
            "Which stores are open on Christmas Eve and Christmas Day",
            "Kennedy Center cancels its Christmas Eve jazz concert",
            "Stores open tonight: Christmas Eve shopping hours",
            "Powerball Christmas Eve jackpot won by a single ticket",
        ]);
        // They say when, not what: the stores, the concert and the jackpot are three events.
        assert_eq!(stories, [0, 1, 2, 1, 0]);
        let stories = stories_of(&[
            "Labor Day travel: record crowds expected at airports",
            "Northern lights could be visible over Labor Day",
            "Airports brace for record Labor Day travel crowds",
        ]);
        // Nor do holidays of several words: the crowds and the northern lights are two events.
        assert_eq!(stories, [0, 1, 0]);
    }

    #[test]
    fn a_name_of_common_words_is_one_word_in_common() {
        let stories = stories_of(&[
            "Oil industry warns White House that prices could soar this summer",
            "Fighters take the cage on the White House lawn for UFC night",
            "Topuria loses UFC main event on the White House lawn",
        ]);
        // "White House" is one thing the first two share, not two: the oil prices and the fights are
        // two events.
        assert_eq!(stories, [0, 1, 1]);
        // A rarer name of two words counts as two, as before.
        let stories = stories_of(&[
            "Miley Cyrus performs in her underwear after a costume mishap",
            "Parents say no way to Miley Cyrus",
        ]);
        assert_eq!(stories, [0, 0]);
    }

    #[test]
    fn a_date_in_common_is_not_an_event() {
        let stories = stories_of(&[
            "Your daily horoscope: March 17, 2026",
            "March Madness 2026: Duke opens the tournament on March 17",
            "March Madness 2026: Duke beats Siena in first round",
            "Wordle hints and answer for March 17, 2026",
        ]);
        // The horoscope, the tournament and the puzzle share only their day.
        assert_eq!(stories, [0, 1, 1, 3]);
    }

    #[test]
    fn a_shared_title_is_not_a_shared_name() {
        let stories = stories_of(&[
            "Ukrainian Prime Minister resigns amid protests",
            "Turkish Prime Minister signals hard line on protests",
            "Ukrainian Prime Minister resigns as protests grow",
        ]);
        assert_eq!(stories, [0, 1, 0]);
    }

    #[test]
    fn headlines_that_share_only_common_words_are_not_one_event() {
        let mut s = index();
        s.assign(0, &t("Man killed in Leeds shooting, police say"), 0, None);
        let fire = s.assign(1, &t("Man killed in house fire, police say"), 10, None);
        assert_eq!(fire.story, 1, "man, killed, police: common words only");
        let leeds = s.assign(2, &t("Police name man killed in Leeds shooting"), 20, None);
        assert_eq!(leeds.story, 0, "a shared name is specific");
    }

    #[test]
    fn a_place_that_opens_a_headline_is_a_name_from_the_first_article_on() {
        // Case says nothing of a headline's first word; the reference headlines write these places
        // capitalised where it does, so the second headline names another place than the first.
        let mut s = index();
        s.assign(
            0,
            &t("Tokyo shares close 0.88pc lower on weak yen"),
            0,
            None,
        );
        let london = s.assign(
            1,
            &t("London shares close 0.44pc lower on weak yen"),
            10,
            None,
        );
        assert_eq!(london.story, 1);
        let tokyo = s.assign(2, &t("Tokyo shares close lower as yen weakens"), 20, None);
        assert_eq!(tokyo.story, 0);
    }

    #[test]
    fn a_bridging_article_merges_two_stories_of_one_event_into_the_older() {
        let mut s = index();
        let nikki = s.assign(
            0,
            &t("Last night Nikki Ferrell won the final rose"),
            0,
            None,
        );
        // Names only the other contestant: kept apart from the story about Nikki Ferrell.
        let clare = s.assign(
            1,
            &t("After the final rose Clare Crawley is heartbroken"),
            5,
            None,
        );
        assert_eq!((nikki.story, clare.story), (0, 1));
        // Names both and is close to both: joins one and brings the other into the older.
        let both = s.assign(
            2,
            &t("Final rose goes to Nikki Ferrell and leaves a heartbroken Clare Crawley"),
            10,
            None,
        );
        assert_eq!(both.story, 0);
        let made: Vec<_> = both.merges.iter().map(|m| (m.from, m.into)).collect();
        assert_eq!(made, vec![(1, 0)]);
        // Made by this article, after it joined one of the two (the closer).
        let made_by = both.merges[0].made_by;
        assert!(matches!(made_by, Some((2, 0 | 1))), "{made_by:?}");
        assert_eq!(s.root(1), 0);
        assert_eq!(s.story_of(1), Some(0));
        assert_eq!(s.members(0), vec![0, 1, 2]);
        // Later articles about either side find the merged story.
        let later = s.assign(3, &t("Clare Crawley speaks after the final rose"), 20, None);
        assert_eq!(later.story, 0);
    }

    /// An index whose stories stay open for months and merge readily: the UCI sample's stories, all
    /// at one time, grow long in it.
    fn long_lived_index() -> StoryIndex {
        StoryIndex::new(StorySettings {
            threshold: 0.15,
            merge: 0.2,
            gap: 30 * DAY,
            span: 300 * DAY,
            gap_articles: None,
        })
    }

    /// Story `id`'s core and names as its words give them now, against what it keeps.
    fn assert_kept_lists_are_current(s: &StoryIndex, id: u32) {
        let story = s.stories.get(&id).expect("a live story");
        let core: Vec<(u32, u32, u32)> = story
            .words
            .iter()
            .filter(|w| Story::in_core(w.count, story.counting))
            .map(|w| (w.word, w.count, w.names))
            .collect();
        let kept: Vec<(u32, u32, u32)> = story.core().map(|w| (w.word, w.count, w.names)).collect();
        assert_eq!(kept, core, "story {id}'s core");
        for &(word, ..) in &core {
            assert!(
                story.find_core(word).is_some(),
                "story {id} finds core word {word}"
            );
        }
        let least = (DOMINANT_SHARE * story.counting as f64).max(1.0);
        let dominant: Vec<u32> = story
            .words
            .iter()
            .filter(|w| (w.names - w.acronyms) as f64 >= least)
            .map(|w| w.word)
            .collect();
        assert_eq!(story.dominant, dominant, "story {id}'s names");
        // The set of its words, once it keeps one, holds them and nothing else.
        if let Some(held) = &story.held {
            assert_eq!(held.len(), story.words.len(), "story {id}'s set of words");
            assert!(story.words.iter().all(|w| held.contains(w.word)));
        } else {
            assert!(story.words.len() <= CORE_LISTED, "story {id} keeps a set");
        }
        // The norm it keeps, as all its words give it (right after a change, with the counts then).
        let from_words = story
            .words
            .iter()
            .map(|w| {
                if Story::in_core(w.count, story.counting) {
                    let idf = idf(story.norm_documents, s.documents_of[w.slot as usize]);
                    StoryIndex::core_weight_with(w, idf).powi(2)
                } else {
                    0.0
                }
            })
            .sum::<f64>()
            .sqrt();
        assert_eq!(story.norm_documents, s.documents);
        assert!(story.core_norm == from_words, "story {id}'s norm");
    }

    #[test]
    fn a_long_story_keeps_the_core_and_names_its_words_give() {
        // Stories long enough to keep their core words apart are brought up to date article by
        // article; what they keep must be what all their words say, through joins, merges and removals.
        let titles = crate::sample::titles();
        let mut s = long_lived_index();
        let mut counted = Vec::new();
        for (seq, title) in titles.iter().enumerate() {
            let seq = seq as u32;
            let assigned = s.assign(seq, &t(title), 0, None);
            assert_kept_lists_are_current(&s, assigned.story);
            counted.push(assigned.counted);
            if seq % 7 == 6 {
                let gone = seq - 5;
                let story = s.story_of(gone).expect("not removed yet");
                s.remove(gone, &counted[gone as usize], 0);
                assert_kept_lists_are_current(&s, story);
            }
        }
        // Articles in stories that keep what `keeps` asks.
        let articles_in = |keeps: fn(&Story) -> bool| {
            (0..titles.len() as u32)
                .filter_map(|seq| s.story_of(seq))
                .filter(|id| s.stories.get(id).is_some_and(keeps))
                .count()
        };
        let listed = articles_in(|story| story.core.is_some());
        assert!(
            listed > 100,
            "{listed} articles in stories that keep their core apart"
        );
        let with_set = articles_in(|story| story.held.is_some());
        assert!(
            with_set > 100,
            "{with_set} articles in stories that keep a set of their words"
        );
    }

    #[test]
    fn a_word_whose_list_never_dropped_a_story_lists_every_story_that_holds_it() {
        // The candidate search skips looking up such a word in a story its list does not name.
        let titles = crate::sample::titles();
        let mut s = long_lived_index();
        let mut merges = 0;
        for (seq, title) in titles.iter().enumerate() {
            merges += s.assign(seq as u32, &t(title), 0, None).merges.len();
        }
        let mut stories: Vec<u32> = (0..titles.len() as u32)
            .filter_map(|seq| s.story_of(seq))
            .collect();
        stories.sort_unstable();
        stories.dedup();
        let (mut complete, mut evicted) = (0, 0);
        for &id in &stories {
            let story = s.stories.get(&id).expect("a live story");
            for w in &story.words {
                let postings = &s.words[w.slot as usize].stories;
                if postings.evicted {
                    evicted += 1;
                    continue;
                }
                complete += 1;
                assert!(
                    postings.iter().any(|&listed| s.root(listed) == id),
                    "story {id} holds word {} but its list names {:?}",
                    w.word,
                    &postings[..]
                );
            }
        }
        assert!(
            merges > 0 && complete > 1_000,
            "{merges} merges, {complete} pairs"
        );
        assert_eq!(evicted, 0, "the sample's words are in few stories");
        // A word in more stories than its list holds drops the oldest and is looked up from then on.
        let mut s = index();
        for k in 0..=POSTINGS as u32 {
            let title = format!("Harbour festival draws crowds in town {k}");
            s.assign(k, &t(&title), i64::from(k) * 30 * DAY, None);
        }
        let slot = s.slot(word(t("harbour")[0])).expect("a known word");
        assert!(s.words[slot as usize].stories.evicted);
        assert_eq!(s.words[slot as usize].stories.len(), POSTINGS);
    }
}
