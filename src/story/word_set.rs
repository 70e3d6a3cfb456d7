//! The words of a long story as a set, for the question the names veto asks of every candidate story
//! about each name of an article: does the story hold this word at all? A story's word list is sorted
//! and, once a story has gathered hundreds of words, a binary search of it reads five or more cache lines
//! that nothing else of scoring needs, one after another; this set answers from one, and the lookups of
//! an article's names do not wait on each other. Open addressing with linear probing over the words
//! themselves, at most half full; words are hashes already (see `terms`), so their low bits place them.
//! Removal shifts the entries after a hole back, so no tombstones build up.

/// An empty entry: no word has its top bits set (words have [`super::terms::WORD_BITS`] only).
const EMPTY: u32 = u32::MAX;

/// Entries of the smallest table (a power of two).
const FIRST_CAPACITY: usize = 64;

/// A set of words.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct WordSet {
    /// Each entry a word or [`EMPTY`]; the length is zero or a power of two.
    entries: Vec<u32>,
    /// Words held.
    len: usize,
}

impl WordSet {
    /// A set of `words` (which may repeat).
    pub(super) fn of(words: impl ExactSizeIterator<Item = u32>) -> WordSet {
        let mut set = WordSet::default();
        set.resize((2 * words.len()).next_power_of_two().max(FIRST_CAPACITY));
        for w in words {
            set.insert(w);
        }
        set
    }

    /// Whether it holds `word`.
    pub(super) fn contains(&self, word: u32) -> bool {
        self.position(word).is_some()
    }

    /// Adds `word` (nothing if it holds it).
    pub(super) fn insert(&mut self, word: u32) {
        debug_assert_ne!(word, EMPTY);
        if 2 * (self.len + 1) > self.entries.len() {
            self.resize((2 * self.entries.len()).max(FIRST_CAPACITY));
        }
        let mask = self.entries.len() - 1;
        let mut at = self.home(word);
        loop {
            match self.entries[at] {
                EMPTY => {
                    self.entries[at] = word;
                    self.len += 1;
                    return;
                }
                w if w == word => return,
                _ => at = (at + 1) & mask,
            }
        }
    }

    /// Takes `word` out (nothing if it does not hold it).
    pub(super) fn remove(&mut self, word: u32) {
        let Some(mut hole) = self.position(word) else {
            return;
        };
        let mask = self.entries.len() - 1;
        let mut at = hole;
        loop {
            at = (at + 1) & mask;
            let w = self.entries[at];
            if w == EMPTY {
                break;
            }
            // An entry may fill the hole when the hole lies between its home and where it is: its
            // probe from home passes the hole before reaching it.
            let home = self.home(w);
            if at.wrapping_sub(home) & mask >= at.wrapping_sub(hole) & mask {
                self.entries[hole] = w;
                hole = at;
            }
        }
        self.entries[hole] = EMPTY;
        self.len -= 1;
    }

    /// Words held.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Asks the CPU to bring in where a search for `word` starts.
    pub(super) fn prefetch(&self, word: u32) {
        if !self.entries.is_empty() {
            crate::lsh::prefetch(&self.entries[self.home(word)]);
        }
    }

    /// The entry where a search for `word` starts (the table must not be empty).
    fn home(&self, word: u32) -> usize {
        word as usize & (self.entries.len() - 1)
    }

    /// Where `word` is, if it holds it.
    fn position(&self, word: u32) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        let mask = self.entries.len() - 1;
        let mut at = self.home(word);
        loop {
            match self.entries[at] {
                EMPTY => return None,
                w if w == word => return Some(at),
                _ => at = (at + 1) & mask,
            }
        }
    }

    /// Moves the words to a table of `capacity` entries (a power of two, more than twice the words).
    fn resize(&mut self, capacity: usize) {
        let old = std::mem::replace(&mut self.entries, vec![EMPTY; capacity]);
        self.len = 0;
        for w in old.into_iter().filter(|&w| w != EMPTY) {
            self.insert(w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        /// Any run of insertions and removals leaves the set holding what a `BTreeSet` given the same
        /// run holds; words are drawn from a small range with clustered low bits, so probes collide,
        /// wrap around the table's end and removals shift entries back.
        #[test]
        fn holds_what_it_was_given(ops in prop::collection::vec((any::<bool>(), 0u32..300), 0..600)) {
            let mut set = WordSet::default();
            let mut model = BTreeSet::new();
            for (insert, w) in ops {
                let word = (w % 7) << 10 | w;
                if insert {
                    set.insert(word);
                    model.insert(word);
                } else {
                    set.remove(word);
                    model.remove(&word);
                }
                prop_assert_eq!(set.len(), model.len());
            }
            for w in 0..300u32 {
                let word = (w % 7) << 10 | w;
                prop_assert_eq!(set.contains(word), model.contains(&word), "word {}", word);
            }
            let rebuilt = WordSet::of(model.iter().copied());
            prop_assert!(model.iter().all(|&w| rebuilt.contains(w)));
            prop_assert_eq!(rebuilt.len(), model.len());
        }
    }

    #[test]
    fn empty_set_holds_nothing() {
        let mut set = WordSet::default();
        assert!(!set.contains(5));
        set.remove(5);
        assert_eq!(set.len(), 0);
    }
}
