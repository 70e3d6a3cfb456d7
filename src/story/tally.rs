//! Which of an article's words lead to each candidate story: the candidate search walks each word's
//! recent stories and needs, per story, the set of distinct words that listed it (a bit each: an
//! article has at most [`MAX_TERMS`] words). A small open-addressed table kept per thread gathers them as
//! they come, so an article with many words in busy stories (up to [`MAX_TERMS`] words of
//! [`POSTINGS`](super::POSTINGS) stories each) costs a few probes per pair rather than a sort of all
//! pairs; only the slots an article used are cleared after it.

use std::cell::RefCell;

use super::MAX_TERMS;

/// Slots of the table: a power of two, at least twice the most pairs one article can bring.
const SLOTS: usize = 2048;
const _: () = assert!(SLOTS >= 2 * MAX_TERMS * super::POSTINGS);
const _: () = assert!(MAX_TERMS <= 32, "a word is a bit of a u32");

/// Gathers the words that list each story, for one article at a time.
struct Tally {
    /// Each used slot: the story in the high 32 bits, the words that listed it in the low 32 (never
    /// none, so zero is empty).
    slots: Vec<u64>,
    /// The slots used by the article being counted, in the order their stories first came.
    used: Vec<u32>,
}

thread_local! {
    static TALLY: RefCell<Tally> = RefCell::new(Tally {
        slots: vec![0; SLOTS],
        used: Vec::new(),
    });
}

/// Calls `list` with a function to record that word number `word` (counting from zero, below
/// [`MAX_TERMS`]) lists `story`, then puts in `listed` (cleared) the stories that at least `least`
/// distinct words listed, each with those words (bit `i` for word `i`), in the order they first came.
pub(super) fn stories_listed_by(
    least: u32,
    listed: &mut Vec<(u32, u32)>,
    list: impl FnOnce(&mut dyn FnMut(u32, u32)),
) {
    listed.clear();
    TALLY.with_borrow_mut(|tally| {
        let Tally { slots, used } = tally;
        let mut record = |story: u32, word: u32| {
            // A word counts once per story, however many of its stories merged into this one.
            let bit = 1u64 << word;
            let mut at = (story.wrapping_mul(0x9E37_79B1) >> 21) as usize % SLOTS;
            loop {
                let slot = slots[at];
                if slot == 0 {
                    slots[at] = u64::from(story) << 32 | bit;
                    used.push(at as u32);
                    return;
                }
                if (slot >> 32) as u32 == story {
                    slots[at] = slot | bit;
                    return;
                }
                at = (at + 1) % SLOTS;
            }
        };
        list(&mut record);
        for &at in used.iter() {
            let slot = std::mem::take(&mut slots[at as usize]);
            let words = slot as u32;
            if words.count_ones() >= least {
                listed.push(((slot >> 32) as u32, words));
            }
        }
        used.clear();
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stories listed, into a buffer that held another article's.
    fn listed_by(least: u32, list: impl FnOnce(&mut dyn FnMut(u32, u32))) -> Vec<(u32, u32)> {
        let mut listed = vec![(123, 1), (456, 2)];
        stories_listed_by(least, &mut listed, list);
        listed
    }

    #[test]
    fn a_story_counts_each_word_that_lists_it_once() {
        let listed = listed_by(2, |record| {
            // Word 0 lists stories 7 and 9; word 1 lists 5 twice (two stories merged into it), 9 and
            // 4; word 2 lists 7 and 4.
            record(7, 0);
            record(9, 0);
            record(5, 1);
            record(5, 1);
            record(9, 1);
            record(4, 1);
            record(7, 2);
            record(4, 2);
        });
        assert_eq!(listed, vec![(7, 0b101), (9, 0b011), (4, 0b110)]);
        // The table is empty again for the next article.
        assert_eq!(listed_by(1, |record| record(9, 0)), vec![(9, 1)]);
        assert_eq!(listed_by(2, |record| record(9, 3)), Vec::new());
    }

    #[test]
    fn a_full_article_fits() {
        let listed = listed_by(MAX_TERMS as u32, |record| {
            for word in 0..MAX_TERMS as u32 {
                for story in 0..super::super::POSTINGS as u32 {
                    record(story * 1_000_003, word);
                }
            }
        });
        assert_eq!(listed.len(), super::super::POSTINGS);
        assert!(listed.iter().all(|&(_, words)| words == u32::MAX));
    }
}
