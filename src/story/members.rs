//! Each story's members, for a removal that must find the time span of the members a story has left:
//! the articles grouped by the story they were given, once in number order and once in time order
//! ([`Grouped`], built on the first such removal), and which stories merged straight into which, read
//! from the log of merges as they come. A story's members are those given it or any story merged into
//! it, directly or not; the ends of its span are the first and last live members of those groups, which
//! remember the removed members they passed, so that removing a story's members from one end costs no
//! more for each than the first. Without this, settling a story's span read every article within its
//! span of numbers, which on a file out of time order is every article.

use std::collections::HashMap;

use super::NONE;
use crate::grouped::{End, Grouped};

/// The members of every story, as of the articles and merges it has been kept up with.
#[derive(Debug)]
pub(super) struct Members {
    by_number: Grouped<u32>,
    by_time: Grouped<u32>,
    /// Per story id, the ids of the stories that merged straight into it.
    merged_into: HashMap<u32, Vec<u32>>,
    /// How many of the log's merges `merged_into` holds.
    merges_seen: usize,
}

/// What the groupings read of the story level: per article, the story it was given (`NONE`: none, or
/// no longer), and its time.
pub(super) struct Given<'a, T: Fn(u32) -> i64 + Sync> {
    pub story_of: &'a [u32],
    pub time: T,
}

impl<T: Fn(u32) -> i64 + Sync> Given<'_, T> {
    fn count(&self) -> u32 {
        self.story_of.len() as u32
    }

    fn story(&self, seq: u32) -> Option<u32> {
        self.story_of
            .get(seq as usize)
            .copied()
            .filter(|&s| s != NONE)
    }

    fn in_number_order(&self, seq: u32) -> Option<(u32, i64)> {
        self.story(seq).map(|s| (s, 0))
    }

    fn in_time_order(&self, seq: u32) -> Option<(u32, i64)> {
        self.story(seq).map(|s| (s, (self.time)(seq)))
    }

    fn live(&self, seq: u32) -> bool {
        self.story(seq).is_some()
    }
}

impl Members {
    /// The members of the stories `given` says, with the merges of `merge_log` (each a story id that
    /// merged into `merged[id]`).
    pub(super) fn build<T: Fn(u32) -> i64 + Sync>(
        given: &Given<T>,
        merge_log: &[u32],
        merged: &[u32],
    ) -> Members {
        let count = given.count();
        let (by_number, by_time) = crate::pool::run(|| {
            rayon::join(
                || Grouped::build(count, |seq| given.in_number_order(seq)),
                || Grouped::build(count, |seq| given.in_time_order(seq)),
            )
        });
        let mut members = Members {
            by_number,
            by_time,
            merged_into: HashMap::new(),
            merges_seen: 0,
        };
        members.keep_up(given, merge_log, merged);
        members
    }

    /// Takes in the articles and merges since the last call.
    pub(super) fn keep_up<T: Fn(u32) -> i64 + Sync>(
        &mut self,
        given: &Given<T>,
        merge_log: &[u32],
        merged: &[u32],
    ) {
        let count = given.count();
        self.by_number
            .keep_up(count, |seq| given.in_number_order(seq));
        self.by_time.keep_up(count, |seq| given.in_time_order(seq));
        for &from in &merge_log[self.merges_seen..] {
            self.merged_into
                .entry(merged[from as usize])
                .or_default()
                .push(from);
        }
        self.merges_seen = merge_log.len();
    }

    /// The span of story `root`'s live members: (first time, last time, first number, last number);
    /// `None` when it has none.
    pub(super) fn span<T: Fn(u32) -> i64 + Sync>(
        &mut self,
        root: u32,
        given: &Given<T>,
    ) -> Option<(i64, i64, u32, u32)> {
        let live = |seq: u32| given.live(seq);
        let mut span: Option<(i64, i64, u32, u32)> = None;
        let mut stories = vec![root];
        while let Some(story) = stories.pop() {
            let number = |seq: u32| given.in_number_order(seq);
            let time = |seq: u32| given.in_time_order(seq);
            let ends = (
                self.by_time.live_end(End::First, story, None, time, live),
                self.by_time.live_end(End::Last, story, None, time, live),
                self.by_number
                    .live_end(End::First, story, None, number, live),
                self.by_number
                    .live_end(End::Last, story, None, number, live),
            );
            if let (Some(earliest), Some(latest), Some(first), Some(last)) = ends {
                let (t0, t1) = ((given.time)(earliest), (given.time)(latest));
                span = Some(match span {
                    None => (t0, t1, first, last),
                    Some(s) => (s.0.min(t0), s.1.max(t1), s.2.min(first), s.3.max(last)),
                });
            }
            if let Some(young) = self.merged_into.get(&story) {
                stories.extend_from_slice(young);
            }
        }
        span
    }
}
