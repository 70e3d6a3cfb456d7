//! The texts of a pipeline's earlier batches. A pipeline prepares one batch while the batch before it
//! commits, so the index, locked by that commit, cannot tell the preparation which texts it will hold.
//! The batches read earlier commit first, though: a text one of them holds is in the index by the time
//! this batch commits (unless its article was refused, or the text lies outside the window), and its
//! copies here need no signature. [`Engine::prepare_batch_after`](crate::Engine::prepare_batch_after)
//! asks and keeps this record, and the commit signs any copy whose text turns out not to be held after
//! all, so the record only saves work and never changes an answer. On `edits-1m` a third of the
//! signatures made without it were of texts the index held by then (docs/BENCHMARKS.md).
//!
//! A text is known by the top 32 bits of its hash, beside the number of its first batch: 8 bytes a text,
//! where the whole hash would take 16. Two texts that share those bits (about one text in 4,000 among a
//! million) cost the later one's commit a signature; they change nothing else.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Mutex;

use crate::lsh::MixState;

/// For each text a pipeline has prepared, the number of the first batch that held it. Grows with the
/// distinct texts of one run (some 9 bytes each); a pipeline makes one for its input and drops it at the
/// end.
#[derive(Debug, Default)]
pub struct EarlierTexts {
    first_batch: Mutex<HashMap<u32, u32, MixState>>,
}

/// The bits of a text's hash that [`EarlierTexts`] keeps.
fn known_as(text_hash: u64) -> u32 {
    (text_hash >> 32) as u32
}

/// A batch number as [`EarlierTexts`] keeps it: past `u32::MAX`, all count as one.
fn batch_number(batch: u64) -> u32 {
    batch.min(u32::MAX as u64) as u32
}

impl EarlierTexts {
    /// An empty record, for a pipeline that has prepared nothing yet.
    pub fn new() -> EarlierTexts {
        EarlierTexts::default()
    }

    /// Records that batch number `batch` holds the texts of `text_hashes` (`None` for an article
    /// without one), and says for each whether it is the first copy of a text that no batch numbered
    /// below this one holds: the copies that need a signature. Batches are numbered in the order they
    /// commit; a batch prepared early (beside one numbered below it) counts as the first to hold the
    /// texts it shares with the later ones.
    pub(crate) fn first_copies(
        &self,
        batch: u64,
        text_hashes: impl Iterator<Item = Option<u64>>,
    ) -> Vec<bool> {
        let batch = batch_number(batch);
        let mut first_batch = self.first_batch.lock().unwrap_or_else(|e| e.into_inner());
        text_hashes
            .map(|text_hash| {
                let Some(text_hash) = text_hash else {
                    return false;
                };
                match first_batch.entry(known_as(text_hash)) {
                    Entry::Occupied(mut first) if *first.get() > batch => {
                        first.insert(batch);
                        true
                    }
                    Entry::Occupied(_) => false,
                    Entry::Vacant(first) => {
                        first.insert(batch);
                        true
                    }
                }
            })
            .collect()
    }

    /// How many distinct texts are recorded.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.first_batch.lock().map_or(0, |m| m.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_needs_a_signature_only_in_the_first_batch_that_holds_it() {
        let earlier = EarlierTexts::new();
        let (a, b, c) = (Some(10 << 32), Some(11 << 32), Some(12 << 32));
        // Batch 3 prepared first; then batch 1 beside it (two workers, out of order), which commits
        // first: its copy of `a` needs a signature too, and from then on batch 2's does not.
        assert_eq!(
            earlier.first_copies(3, [a, b, a, None].into_iter()),
            [true, true, false, false]
        );
        assert_eq!(earlier.first_copies(1, [a].into_iter()), [true]);
        assert_eq!(
            earlier.first_copies(2, [a, b, c].into_iter()),
            [false, true, true]
        );
        assert_eq!(earlier.first_copies(4, [a, b, c].into_iter()), [false; 3]);
        assert_eq!(earlier.len(), 3);
    }
}
