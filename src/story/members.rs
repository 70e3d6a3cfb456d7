//! Each story's members, for a removal that must find the time span of the members a story has left:
//! the articles grouped by the story they were given ([`Grouped`], built on the first such removal), and
//! which stories merged straight into which, read from the log of merges as they come. A story's members
//! are those given it or any story merged into it, directly or not. Without this, settling a story's
//! span read every article within its span of numbers, which on a file out of time order is every
//! article.

use std::collections::HashMap;

use super::NONE;
use crate::grouped::Grouped;

/// The members of every story, as of the articles and merges it has been kept up with.
#[derive(Debug)]
pub(super) struct Members {
    given: Grouped<u32>,
    /// Per story id, the ids of the stories that merged straight into it.
    merged_into: HashMap<u32, Vec<u32>>,
    /// How many of the log's merges `merged_into` holds.
    merges_seen: usize,
}

/// An article's given story as a group key.
fn given(story_of: &[u32], seq: u32) -> Option<u32> {
    story_of.get(seq as usize).copied().filter(|&s| s != NONE)
}

impl Members {
    /// The members of the stories given in `story_of` (per article, `NONE` for none), with the merges
    /// of `merge_log` (each a story id that merged into `merged[id]`).
    pub(super) fn build(story_of: &[u32], merge_log: &[u32], merged: &[u32]) -> Members {
        let count = story_of.len() as u32;
        let mut members = Members {
            given: Grouped::build(count, |seq| given(story_of, seq)),
            merged_into: HashMap::new(),
            merges_seen: 0,
        };
        members.keep_up(story_of, merge_log, merged);
        members
    }

    /// Takes in the articles and merges since the last call.
    pub(super) fn keep_up(&mut self, story_of: &[u32], merge_log: &[u32], merged: &[u32]) {
        self.given
            .keep_up(story_of.len() as u32, |seq| given(story_of, seq));
        for &from in &merge_log[self.merges_seen..] {
            self.merged_into
                .entry(merged[from as usize])
                .or_default()
                .push(from);
        }
        self.merges_seen = merge_log.len();
    }

    /// The articles given story `root` or a story merged into it, by the story they were given, some
    /// perhaps removed since (their `story_of` is `NONE`); in no particular order.
    pub(super) fn of(&self, root: u32, story_of: &[u32]) -> Vec<u32> {
        let count = story_of.len() as u32;
        let mut members = Vec::new();
        let mut stories = vec![root];
        while let Some(story) = stories.pop() {
            members.extend(self.given.of(story, count, |seq| given(story_of, seq)));
            if let Some(young) = self.merged_into.get(&story) {
                stories.extend_from_slice(young);
            }
        }
        members
    }
}
