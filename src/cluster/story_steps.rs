//! The story step of a batch's articles taken apart from their cluster decisions. An article's story
//! depends on its cluster decision (its best match and verified matches) and on the stories of the
//! articles before it, but no cluster decision depends on a story: so a one-off run, which reads its
//! verdicts only at the end, decides a batch's clusters at once and leaves their story steps in a
//! [`StorySteps`] to be taken, in order, on a thread of their own while the next batch is numbered,
//! inserted, verified and decided, or before anything reads a story. Each step holds what the story step
//! reads of the decision, captured when the cluster was decided; taking the steps later changes nothing
//! the steps decide.

use std::borrow::Cow;

use crate::story::{Assigned, Moment, StoryIndex};

use super::{copied_story, followed_story, Match};

/// Appends the headline offer `i`'s story terms are read from to `text` (see [`StorySteps`]).
pub type WriteHeadline<'a> = dyn Fn(usize, &mut String) + 'a;

/// The story steps of a batch's articles, in the order their clusters were decided.
#[derive(Debug, Default)]
pub(super) struct StorySteps {
    steps: Vec<Step>,
    /// The verified matches of the steps, end to end.
    matched: Vec<Match>,
    /// The story terms of the steps that have them, end to end.
    terms: Vec<u32>,
    /// The headlines of the steps whose terms are left unread, end to end.
    text: String,
}

/// One article's story step: what [`take_step`] reads of its cluster decision.
#[derive(Debug, Clone, Copy)]
struct Step {
    seq: u32,
    best: Option<u32>,
    /// The first copy of its text, for an exact copy: it becomes that text's latest copy.
    copy_of: Option<u32>,
    at: Moment,
    /// Where its matches end in [`StorySteps::matched`].
    matched_end: usize,
    /// Its terms, or the headline to read them from if it needs them.
    terms: TermsAt,
}

/// Where a step's terms are.
#[derive(Debug, Clone, Copy)]
enum TermsAt {
    /// In [`StorySteps::terms`]; `read_for_it` when they were read for it as its batch was verified (an
    /// article expected to want them), whose word entries are asked for ahead as the decisions do.
    Read {
        start: usize,
        end: usize,
        read_for_it: bool,
    },
    /// Unread: its headline is in [`StorySteps::text`].
    Text { start: usize, end: usize },
}

impl StorySteps {
    /// Whether there is no step to take.
    pub(super) fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Adds article `seq`'s step: its best match and verified matches as decided and the first copy of
    /// its text for an exact copy (`cluster`), and its terms, `read_for_it` when they were read for it
    /// as its batch was verified.
    pub(super) fn push_read(
        &mut self,
        seq: u32,
        cluster: (Option<u32>, &[Match], Option<u32>),
        at: Moment,
        terms: &[u32],
        read_for_it: bool,
    ) {
        let start = self.terms.len();
        self.terms.extend_from_slice(terms);
        let terms = TermsAt::Read {
            start,
            end: self.terms.len(),
            read_for_it,
        };
        self.push(seq, cluster, at, terms);
    }

    /// [`push_read`](Self::push_read) for an article whose terms are unread: `write_headline` appends the
    /// headline they would be read from.
    pub(super) fn push_unread(
        &mut self,
        seq: u32,
        cluster: (Option<u32>, &[Match], Option<u32>),
        at: Moment,
        write_headline: impl FnOnce(&mut String),
    ) {
        let start = self.text.len();
        write_headline(&mut self.text);
        let terms = TermsAt::Text {
            start,
            end: self.text.len(),
        };
        self.push(seq, cluster, at, terms);
    }

    fn push(
        &mut self,
        seq: u32,
        (best, matched, copy_of): (Option<u32>, &[Match], Option<u32>),
        at: Moment,
        terms: TermsAt,
    ) {
        self.matched.extend_from_slice(matched);
        self.steps.push(Step {
            seq,
            best,
            copy_of,
            at,
            matched_end: self.matched.len(),
            terms,
        });
    }

    fn matched_of(&self, n: usize) -> &[Match] {
        let start = n.checked_sub(1).map_or(0, |p| self.steps[p].matched_end);
        &self.matched[start..self.steps[n].matched_end]
    }

    /// Step `n`'s terms when they were read for it as its batch was verified.
    fn read_for(&self, n: usize) -> Option<&[u32]> {
        match self.steps.get(n)?.terms {
            TermsAt::Read {
                start,
                end,
                read_for_it: true,
            } => Some(&self.terms[start..end]),
            _ => None,
        }
    }

    /// Takes the steps in order, then empties this for the next batch (keeping its room).
    pub(super) fn take_all(&mut self, stories: &mut StoryIndex, latest_copy: &mut Vec<u32>) {
        for n in 0..self.steps.len() {
            // As the decisions do: the word table's entries of the step after next, the words' own of
            // the next, and the stories of the next three steps' best matches, each a level further.
            if let Some(ahead) = self.read_for(n + 2) {
                stories.prefetch_slots(ahead);
            }
            if let Some(next) = self.read_for(n + 1) {
                stories.prefetch_words(next);
            }
            for level in 0..3u8 {
                if let Some(best) = self.steps.get(n + 3 - level as usize).and_then(|s| s.best) {
                    stories.prefetch_story(best, level);
                }
            }
            let step = self.steps[n];
            let terms = || match step.terms {
                TermsAt::Read { start, end, .. } => Cow::Borrowed(&self.terms[start..end]),
                TermsAt::Text { start, end } => {
                    let mut terms = Vec::new();
                    crate::story::linked_terms(&self.text[start..end], &mut terms);
                    Cow::Owned(terms)
                }
            };
            take_step(
                stories,
                latest_copy,
                step.seq,
                (step.best, self.matched_of(n), step.copy_of),
                step.at,
                terms,
            );
        }
        self.steps.clear();
        self.matched.clear();
        self.terms.clear();
        self.text.clear();
    }
}

/// Article `seq`'s story step, decided at `at` after its cluster: the story of its best match `best`
/// (or of the latest copy of its text, or of its next best verified match of `matched`) while open,
/// else one by its `terms`; an exact copy of `copy_of`'s text then becomes that text's latest copy.
pub(super) fn take_step<'t>(
    stories: &mut StoryIndex,
    latest_copy: &mut Vec<u32>,
    seq: u32,
    (best, matched, copy_of): (Option<u32>, &[Match], Option<u32>),
    at: Moment,
    terms: impl FnOnce() -> Cow<'t, [u32]>,
) -> Assigned {
    let via = followed_story(stories, latest_copy, best, matched, at);
    let kept = match (via, copy_of) {
        (None, Some(rep)) => copied_story(stories, latest_copy, rep, at),
        _ => None,
    };
    let assigned = match kept {
        Some(story) => stories.keep_copy(seq, story, at.time),
        None => stories.assign_with(seq, terms, at, via),
    };
    if let Some(rep) = copy_of {
        super::set_latest_copy(latest_copy, rep, seq);
    }
    assigned
}
