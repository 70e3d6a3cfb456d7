//! Articles grouped by a key they keep for good once given (the hash of their text, the story they were
//! given), so that a removal finds the other articles of its group without reading every article. The
//! groups are built in one sort the first time a removal asks, and after that kept in step with the
//! articles numbered since: those are read at each lookup while they are few, and sorted in with the
//! rest once they are more than an eighth of them. An index that never removes anything never builds
//! them. An article that stops belonging (removed, or left its story) stays listed; callers check, and
//! a group remembers how many of its oldest members were found removed, so that removing a group's
//! members oldest first (a prune) does not read the removed ones again and again.

use std::collections::HashMap;
use std::ops::Range;

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
    /// Per key, how many of its sorted members, oldest first, were found gone.
    gone: HashMap<K, u32>,
}

impl<K: Ord + Copy + Send + std::hash::Hash> Grouped<K> {
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
            gone: HashMap::new(),
        }
    }

    /// Sorts again when articles `covered..count` have grown too many to read at each lookup.
    pub(crate) fn keep_up(&mut self, count: u32, key_of: impl Fn(u32) -> Option<K>) {
        let unsorted = count.saturating_sub(self.covered);
        if unsorted > MIN_UNSORTED.max(self.covered / 8) {
            *self = Grouped::build(count, key_of);
        }
    }

    /// Where `key`'s sorted members lie: a binary search for the first, then one that gallops from it
    /// for the end, so that a group of one (most texts) costs a comparison more.
    fn range(&self, key: K) -> Range<usize> {
        let keys = &self.keys;
        let start = keys.partition_point(|k| *k < key);
        if keys.get(start) != Some(&key) {
            return start..start;
        }
        // `keys[inside]` is in the group; the group ends by `beyond`.
        let (mut inside, mut beyond, mut step) = (start, start + 1, 1);
        while beyond < keys.len() && keys[beyond] == key {
            inside = beyond;
            step *= 2;
            beyond = start + step;
        }
        let beyond = beyond.min(keys.len());
        start..inside + 1 + keys[inside + 1..beyond].partition_point(|k| *k == key)
    }

    /// The articles of `0..count` whose key was `key` when they were grouped, in number order.
    pub(crate) fn of<'a>(
        &'a self,
        key: K,
        count: u32,
        key_of: impl Fn(u32) -> Option<K> + 'a,
    ) -> impl Iterator<Item = u32> + 'a {
        let since = (self.covered..count).filter(move |&seq| key_of(seq) == Some(key));
        self.seqs[self.range(key)].iter().copied().chain(since)
    }

    /// The oldest article of `key`'s group that `live` accepts. `live` must refuse for good an article
    /// it once refused (a removed article does not come back): the group remembers those it passed.
    pub(crate) fn first_live(
        &mut self,
        key: K,
        count: u32,
        key_of: impl Fn(u32) -> Option<K>,
        live: impl Fn(u32) -> bool,
    ) -> Option<u32> {
        let range = self.range(key);
        let passed = self.gone.get(&key).map_or(0, |&n| n as usize);
        let start = (range.start + passed).min(range.end);
        let found = self.seqs[start..range.end]
            .iter()
            .position(|&seq| live(seq));
        let gone = passed + found.unwrap_or(range.end - start);
        if gone > passed {
            self.gone.insert(key, gone as u32);
        }
        match found {
            Some(i) => Some(self.seqs[start + i]),
            None => (self.covered..count).find(|&seq| key_of(seq) == Some(key) && live(seq)),
        }
    }

    /// The newest article of `key`'s group that `live` accepts.
    pub(crate) fn last_live(
        &self,
        key: K,
        count: u32,
        key_of: impl Fn(u32) -> Option<K>,
        live: impl Fn(u32) -> bool,
    ) -> Option<u32> {
        (self.covered..count)
            .rev()
            .find(|&seq| key_of(seq) == Some(key) && live(seq))
            .or_else(|| {
                self.seqs[self.range(key)]
                    .iter()
                    .rev()
                    .copied()
                    .find(|&seq| live(seq))
            })
    }

    /// The articles of `key`'s group numbered before `seq`, newest first.
    pub(crate) fn before<'a>(
        &'a self,
        key: K,
        seq: u32,
        count: u32,
        key_of: impl Fn(u32) -> Option<K> + 'a,
    ) -> impl Iterator<Item = u32> + 'a {
        let since = (self.covered..seq.min(count))
            .rev()
            .filter(move |&o| key_of(o) == Some(key));
        let members = &self.seqs[self.range(key)];
        let older = &members[..members.partition_point(|&o| o < seq)];
        since.chain(older.iter().rev().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the keys, however the articles arrive between lookups and whichever are removed in
        /// between, a group holds exactly the articles of its key, in number order, and its oldest and
        /// newest live ones and those before a number are those a scan of every article finds.
        #[test]
        fn a_group_answers_what_a_scan_of_every_article_answers(
            keys in proptest::collection::vec(proptest::option::of(0u8..6), 0..200),
            steps in proptest::collection::vec((0usize..200, 0u8..6, 0usize..200, 0usize..200), 1..40),
        ) {
            let key_of = |seq: u32| keys[seq as usize];
            let mut grouped: Option<Grouped<u8>> = None;
            let mut alive = vec![true; keys.len()];
            let mut steps = steps;
            // Articles only ever arrive: each step's count is at least the one before.
            steps.sort_by_key(|s| s.0);
            for (count, key, removed, before) in steps {
                let count = count.min(keys.len()) as u32;
                if (removed as u32) < count {
                    alive[removed] = false;
                }
                let grouped = match &mut grouped {
                    Some(g) => {
                        g.keep_up(count, key_of);
                        g
                    }
                    None => grouped.insert(Grouped::build(count, key_of)),
                };
                let scan: Vec<u32> = (0..count).filter(|&s| key_of(s) == Some(key)).collect();
                let live = |s: u32| alive[s as usize];
                prop_assert_eq!(grouped.of(key, count, key_of).collect::<Vec<_>>(), scan.clone());
                let first = scan.iter().copied().find(|&s| live(s));
                prop_assert_eq!(grouped.first_live(key, count, key_of, live), first);
                let last = scan.iter().rev().copied().find(|&s| live(s));
                prop_assert_eq!(grouped.last_live(key, count, key_of, live), last);
                let before = before as u32;
                let older: Vec<u32> = scan.iter().rev().copied().filter(|&s| s < before).collect();
                prop_assert_eq!(grouped.before(key, before, count, key_of).collect::<Vec<_>>(), older);
            }
        }
    }
}
