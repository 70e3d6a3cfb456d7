//! Articles grouped by a key they keep for good once given (the hash of their text, the story they were
//! given), so that a removal finds the other articles of its group without reading every article. The
//! groups are built in one sort the first time a removal asks, and after that kept in step with the
//! articles numbered since: those are read at each lookup while they are few, and sorted in with the
//! rest once they are more than an eighth of them. An index that never removes anything never builds
//! them. An article that stops belonging (removed, or left its story) stays listed; callers check.

/// Articles numbered since the last sort beyond which the next one sorts again: a lookup reads each of
/// them. Small in a debug build, so that the tests go through both.
const MIN_UNSORTED: u32 = if cfg!(debug_assertions) { 4 } else { 4096 };

/// The articles numbered below [`covered`](Grouped::covered) that had a key then, sorted by key and
/// then by number.
#[derive(Debug, Default)]
pub(crate) struct Grouped<K> {
    keys: Vec<K>,
    seqs: Vec<u32>,
    covered: u32,
}

impl<K: Ord + Copy + Send> Grouped<K> {
    /// The groups of articles `0..count`, `key_of` giving each one's key (`None`: in no group).
    pub(crate) fn build(count: u32, key_of: impl Fn(u32) -> Option<K>) -> Grouped<K> {
        use rayon::prelude::*;
        let mut pairs: Vec<(K, u32)> = (0..count)
            .filter_map(|seq| key_of(seq).map(|k| (k, seq)))
            .collect();
        pairs.par_sort_unstable();
        let (keys, seqs) = pairs.into_iter().unzip();
        Grouped {
            keys,
            seqs,
            covered: count,
        }
    }

    /// Sorts again when articles `covered..count` have grown too many to read at each lookup.
    pub(crate) fn keep_up(&mut self, count: u32, key_of: impl Fn(u32) -> Option<K>) {
        let unsorted = count.saturating_sub(self.covered);
        if unsorted > MIN_UNSORTED.max(self.covered / 8) {
            *self = Grouped::build(count, key_of);
        }
    }

    /// The articles of `0..count` whose key was `key` when they were grouped, in number order.
    pub(crate) fn of<'a>(
        &'a self,
        key: K,
        count: u32,
        key_of: impl Fn(u32) -> Option<K> + 'a,
    ) -> impl Iterator<Item = u32> + 'a {
        let from = self.keys.partition_point(|k| *k < key);
        let to = from + self.keys[from..].iter().take_while(|k| **k == key).count();
        let since = (self.covered..count).filter(move |&seq| key_of(seq) == Some(key));
        self.seqs[from..to].iter().copied().chain(since)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the keys and however the articles arrive between lookups, a group holds exactly the
        /// articles of its key, in number order.
        #[test]
        fn a_group_is_the_articles_of_its_key_in_order(
            keys in proptest::collection::vec(proptest::option::of(0u8..6), 0..200),
            looks in proptest::collection::vec((0usize..200, 0u8..6), 1..20),
        ) {
            let key_of = |seq: u32| keys[seq as usize];
            let mut grouped: Option<Grouped<u8>> = None;
            let mut looks = looks;
            looks.sort();
            for (count, key) in looks {
                let count = count.min(keys.len()) as u32;
                let grouped = match &mut grouped {
                    Some(g) => {
                        g.keep_up(count, key_of);
                        g
                    }
                    None => grouped.insert(Grouped::build(count, key_of)),
                };
                let found: Vec<u32> = grouped.of(key, count, key_of).collect();
                let expected: Vec<u32> = (0..count).filter(|&s| key_of(s) == Some(key)).collect();
                prop_assert_eq!(found, expected);
            }
        }
    }
}
