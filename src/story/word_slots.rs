//! The story index's table from a word (the hash part of a term) to its slot, the word's number in the
//! index's per-word tables. Every article the story level scores looks up each of its words here, so the
//! table is laid out for that: one array of packed (word, slot) pairs, open addressing with linear
//! probing, at most half full. A lookup reads one cache line where a general hash map reads two (its
//! control bytes, then its entries). Words are hashes already (see `terms`), so their low bits place
//! them. Slots are given in the order words are first seen and never change.

/// An empty entry: no word has its top bits set (words have [`super::terms::WORD_BITS`] only).
const EMPTY: u64 = u64::MAX;

/// Entries of the first table (a power of two).
const FIRST_CAPACITY: usize = 1024;

/// Word → slot, open addressing over packed pairs.
#[derive(Debug, Default)]
pub(super) struct WordSlots {
    /// Each entry is a word in the high 32 bits and its slot in the low 32, or [`EMPTY`]; the length is
    /// zero or a power of two.
    entries: Vec<u64>,
    /// Words held.
    len: usize,
}

impl WordSlots {
    /// The slot of `word`, if it has one.
    pub(super) fn get(&self, word: u32) -> Option<u32> {
        if self.entries.is_empty() {
            return None;
        }
        let mask = self.entries.len() - 1;
        let mut at = word as usize & mask;
        loop {
            let entry = self.entries[at];
            if entry == EMPTY {
                return None;
            }
            if (entry >> 32) as u32 == word {
                return Some(entry as u32);
            }
            at = (at + 1) & mask;
        }
    }

    /// Asks the CPU to bring in the entry where a lookup of `word` starts.
    pub(super) fn prefetch(&self, word: u32) {
        if !self.entries.is_empty() {
            crate::lsh::prefetch(&self.entries[word as usize & (self.entries.len() - 1)]);
        }
    }

    /// The slot of `word`, giving it `slot` if it has none; answers the slot it has.
    pub(super) fn get_or_insert(&mut self, word: u32, slot: u32) -> u32 {
        if (self.len + 1) * 2 > self.entries.len() {
            self.grow();
        }
        let mask = self.entries.len() - 1;
        let mut at = word as usize & mask;
        loop {
            let entry = self.entries[at];
            if entry == EMPTY {
                self.entries[at] = pack(word, slot);
                self.len += 1;
                return slot;
            }
            if (entry >> 32) as u32 == word {
                return entry as u32;
            }
            at = (at + 1) & mask;
        }
    }

    /// Doubles the table (or makes the first one) and places every word again.
    fn grow(&mut self) {
        let capacity = (self.entries.len() * 2).max(FIRST_CAPACITY);
        let old = std::mem::replace(&mut self.entries, vec![EMPTY; capacity]);
        let mask = capacity - 1;
        for entry in old.into_iter().filter(|&e| e != EMPTY) {
            let mut at = (entry >> 32) as usize & mask;
            while self.entries[at] != EMPTY {
                at = (at + 1) & mask;
            }
            self.entries[at] = entry;
        }
    }
}

fn pack(word: u32, slot: u32) -> u64 {
    u64::from(word) << 32 | u64::from(slot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_keeps_the_slot_it_was_first_given_through_growth() {
        let mut table = WordSlots::default();
        assert_eq!(table.get(7), None);
        // Words that share their low bits probe past each other.
        let words: Vec<u32> = (0..5000u32).map(|i| (i * 1024 + 3) & 0x1FFF_FFFF).collect();
        for (slot, &w) in words.iter().enumerate() {
            assert_eq!(table.get_or_insert(w, slot as u32), slot as u32);
        }
        for (slot, &w) in words.iter().enumerate() {
            assert_eq!(table.get(w), Some(slot as u32));
            assert_eq!(table.get_or_insert(w, 99_999), slot as u32);
        }
        assert_eq!(table.get(5), None);
        assert_eq!(table.len, words.len());
    }
}
