//! Articles grouped by a key they keep for good once given (the hash of their text, the story they were
//! given), so that a removal finds the other articles of its group without reading every article. The
//! groups are built in one sort the first time a removal asks, and after that kept in step with the
//! articles numbered since: those are listed by key as they come, and sorted in with the rest once they
//! are more than an eighth of them. An index that never removes anything never builds them. An article
//! that stops belonging (removed, or left its story) stays listed; callers check, and a group of more
//! than a few members remembers how many of its first and last members were found removed, so that
//! removing a group's members from one end (a prune, oldest first) does not read the removed ones again
//! and again. A group's members are in number order, or in another order the caller gives (a story's by
//! time).

use std::collections::HashMap;
use std::ops::Range;

/// Articles numbered since the last sort beyond which the next one sorts again (when they are also more
/// than an eighth of those sorted), and the most of one key listed since. Small in a debug build, so
/// that the tests go through both.
const MIN_UNSORTED: u32 = if cfg!(debug_assertions) { 4 } else { 4096 };

/// Groups of at most this many members do not remember how many at an end are gone.
const REMEMBERED: usize = if cfg!(debug_assertions) { 2 } else { 16 };

/// An end of a group, in its order.
#[derive(Clone, Copy, Debug)]
pub(crate) enum End {
    First,
    Last,
}

/// The articles numbered below `covered` that had a key then, sorted by key, then by their order within
/// the group (a time, or nothing: 0), then by number. The callers' `entry_of(seq)` gives an article's key
/// and order, `None` when it is in no group; neither changes while the article is live.
#[derive(Debug)]
pub(crate) struct Grouped<K> {
    keys: Vec<K>,
    seqs: Vec<u32>,
    covered: u32,
    /// Per article numbered below `covered`, where it lies in `seqs` (`u32::MAX`: in no group).
    pos: Vec<u32>,
    /// The articles numbered from `covered` to `listed`, by key: (order, number), in number order.
    since: HashMap<K, Vec<(i64, u32)>>,
    listed: u32,
    /// Per key, how many of its sorted members, first in order, were found gone.
    gone_first: HashMap<K, u32>,
    /// Per key, how many of its sorted members, last in order, were found gone.
    gone_last: HashMap<K, u32>,
}

impl<K: Ord + Copy + Send + std::hash::Hash> Grouped<K> {
    /// The groups of articles `0..count`.
    pub(crate) fn build(
        count: u32,
        entry_of: impl Fn(u32) -> Option<(K, i64)> + Sync,
    ) -> Grouped<K> {
        use rayon::prelude::*;
        let entries = crate::pool::run(|| {
            let mut entries: Vec<(K, i64, u32)> = (0..count)
                .into_par_iter()
                .filter_map(|seq| entry_of(seq).map(|(key, order)| (key, order, seq)))
                .collect();
            entries.par_sort_unstable();
            entries
        });
        let (keys, seqs): (Vec<K>, Vec<u32>) =
            entries.into_iter().map(|(key, _, seq)| (key, seq)).unzip();
        let mut pos = vec![u32::MAX; count as usize];
        for (i, &seq) in seqs.iter().enumerate() {
            pos[seq as usize] = i as u32;
        }
        Grouped {
            keys,
            seqs,
            covered: count,
            pos,
            since: HashMap::new(),
            listed: count,
            gone_first: HashMap::new(),
            gone_last: HashMap::new(),
        }
    }

    /// Takes in articles up to `count`: lists those numbered since by key, or sorts all again once they
    /// are many, or many of one key. Every lookup reads the articles as of the last call.
    pub(crate) fn keep_up(
        &mut self,
        count: u32,
        entry_of: impl Fn(u32) -> Option<(K, i64)> + Sync,
    ) {
        let unsorted = count.saturating_sub(self.covered);
        if unsorted > MIN_UNSORTED.max(self.covered / 8) {
            *self = Grouped::build(count, entry_of);
            return;
        }
        // A lookup reads its key's whole list: one that grows long (a headline repeated thousands of
        // times since) is sorted in too.
        let mut longest = 0;
        for seq in self.listed..count {
            if let Some((key, order)) = entry_of(seq) {
                let listed = self.since.entry(key).or_default();
                listed.push((order, seq));
                longest = longest.max(listed.len());
            }
        }
        self.listed = self.listed.max(count);
        if longest > MIN_UNSORTED as usize {
            *self = Grouped::build(count, entry_of);
        }
    }

    /// Where `key`'s sorted members lie. From article `near`, when it is one of them, a search that
    /// gallops both ways from it; else a binary search for the first and a gallop from it for the end,
    /// so that a group of one (most texts) costs a comparison or two more than finding it.
    fn range(&self, key: K, near: Option<u32>) -> Range<usize> {
        let at = near
            .and_then(|seq| self.pos.get(seq as usize))
            .map(|&p| p as usize)
            .filter(|&p| self.keys.get(p) == Some(&key));
        match at {
            Some(p) => self.run_start(key, p)..self.run_end(key, p),
            None => {
                let start = self.keys.partition_point(|k| *k < key);
                if self.keys.get(start) != Some(&key) {
                    return start..start;
                }
                start..self.run_end(key, start)
            }
        }
    }

    /// The end of the run of `key` that holds position `inside`.
    fn run_end(&self, key: K, inside: usize) -> usize {
        let keys = &self.keys;
        // `keys[known]` is in the run; it ends by `beyond`.
        let (mut known, mut beyond, mut step) = (inside, inside + 1, 1);
        while beyond < keys.len() && keys[beyond] == key {
            known = beyond;
            step *= 2;
            beyond = inside + step;
        }
        let beyond = beyond.min(keys.len());
        known + 1 + keys[known + 1..beyond].partition_point(|k| *k == key)
    }

    /// The start of the run of `key` that holds position `inside`.
    fn run_start(&self, key: K, inside: usize) -> usize {
        let keys = &self.keys;
        // `keys[known]` is in the run; everything before it is at most `key`.
        let (mut known, mut step) = (inside, 1);
        loop {
            match inside.checked_sub(step) {
                Some(i) if keys[i] == key => {
                    known = i;
                    step *= 2;
                }
                Some(i) => return i + 1 + keys[i + 1..known].partition_point(|k| *k != key),
                None => return keys[..known].partition_point(|k| *k != key),
            }
        }
    }

    /// The member of `key`'s group first (or last) in order, by order then number, that `live` accepts
    /// (`near`: a member of the group, if one is known, to find it from).
    /// `live` must refuse for good an article it once refused (a removed article does not come back):
    /// the group remembers those it passed at each end.
    pub(crate) fn live_end(
        &mut self,
        end: End,
        key: K,
        near: Option<u32>,
        entry_of: impl Fn(u32) -> Option<(K, i64)>,
        live: impl Fn(u32) -> bool,
    ) -> Option<u32> {
        let members = &self.seqs[self.range(key, near)];
        let gone_at_end = match end {
            End::First => &mut self.gone_first,
            End::Last => &mut self.gone_last,
        };
        let passed = gone_at_end.get(&key).map_or(0, |&n| n as usize);
        let left = members.len().saturating_sub(passed);
        let (rest, found) = match end {
            End::First => {
                let rest = &members[members.len() - left..];
                (rest, rest.iter().position(|&seq| live(seq)))
            }
            End::Last => {
                let rest = &members[..left];
                (rest, rest.iter().rev().position(|&seq| live(seq)))
            }
        };
        let gone = passed + found.unwrap_or(rest.len());
        // A small group is read again sooner than remembered.
        if gone > passed && members.len() > REMEMBERED {
            gone_at_end.insert(key, gone as u32);
        }
        let sorted = found.map(|i| match end {
            End::First => rest[i],
            End::Last => rest[rest.len() - 1 - i],
        });
        let since = self
            .since
            .get(&key)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&(_, seq)| live(seq));
        let (since, wanted) = match end {
            End::First => (since.min(), std::cmp::Ordering::Less),
            End::Last => (since.max(), std::cmp::Ordering::Greater),
        };
        Self::pick(sorted, since, &entry_of, wanted)
    }

    /// Of a sorted member and one numbered since, the one whose order compares as `wanted` (`Less`:
    /// the first), or the one there is.
    fn pick(
        sorted: Option<u32>,
        since: Option<(i64, u32)>,
        entry_of: impl Fn(u32) -> Option<(K, i64)>,
        wanted: std::cmp::Ordering,
    ) -> Option<u32> {
        match (sorted, since) {
            (Some(seq), Some(other)) => {
                let order = entry_of(seq).map_or(0, |e| e.1);
                Some(if (other.0, other.1).cmp(&(order, seq)) == wanted {
                    other.1
                } else {
                    seq
                })
            }
            (sorted, since) => sorted.or(since.map(|e| e.1)),
        }
    }

    /// The members of `key`'s group numbered before `seq`, newest first, for a grouping whose members
    /// are in number order (order 0).
    pub(crate) fn before(&self, key: K, seq: u32) -> impl Iterator<Item = u32> + '_ {
        let since = self.since.get(&key).map_or(&[][..], Vec::as_slice);
        let since = &since[..since.partition_point(|&(_, o)| o < seq)];
        let members = &self.seqs[self.range(key, Some(seq))];
        let older = &members[..members.partition_point(|&o| o < seq)];
        since
            .iter()
            .rev()
            .map(|&(_, o)| o)
            .chain(older.iter().rev().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the keys and orders, however the articles arrive between lookups and whichever are
        /// removed in between, a group's first and last live members and those numbered before a
        /// number are those a scan of every article finds.
        #[test]
        fn a_group_answers_what_a_scan_of_every_article_answers(
            entries in proptest::collection::vec(proptest::option::of((0u8..6, 0i64..4)), 0..200),
            ordered in any::<bool>(),
            steps in proptest::collection::vec((0usize..200, 0u8..6, 0usize..200, 0usize..200), 1..40),
        ) {
            let entry_of = |seq: u32| {
                entries[seq as usize].map(|(key, order)| (key, if ordered { order } else { 0 }))
            };
            let mut grouped: Option<Grouped<u8>> = None;
            let mut alive = vec![true; entries.len()];
            let mut steps = steps;
            // Articles only ever arrive: each step's count is at least the one before.
            steps.sort_by_key(|s| s.0);
            for (count, key, removed, before) in steps {
                let count = count.min(entries.len()) as u32;
                if (removed as u32) < count {
                    alive[removed] = false;
                }
                let grouped = match &mut grouped {
                    Some(g) => {
                        g.keep_up(count, entry_of);
                        g
                    }
                    None => grouped.insert(Grouped::build(count, entry_of)),
                };
                let scan: Vec<u32> =
                    (0..count).filter(|&s| entry_of(s).map(|e| e.0) == Some(key)).collect();
                let live = |s: u32| alive[s as usize];
                // Found from a member, from an article of another group, or by its key alone.
                let near = (before % 3 != 0).then_some(removed as u32);
                let by_order = |s: &u32| (entry_of(*s).map_or(0, |e| e.1), *s);
                let first = scan.iter().copied().filter(|&s| live(s)).min_by_key(by_order);
                prop_assert_eq!(grouped.live_end(End::First, key, near, entry_of, live), first);
                let last = scan.iter().copied().filter(|&s| live(s)).max_by_key(by_order);
                prop_assert_eq!(grouped.live_end(End::Last, key, near, entry_of, live), last);
                if !ordered {
                    let before = before as u32;
                    let older: Vec<u32> =
                        scan.iter().rev().copied().filter(|&s| s < before).collect();
                    prop_assert_eq!(
                        grouped.before(key, before).collect::<Vec<_>>(),
                        older
                    );
                }
            }
        }
    }
}
