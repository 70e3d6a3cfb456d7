//! The copies of each text, for a removal that hands a removed copy's places to the copies left: its
//! slot in the band tables to the oldest live copy, its standing for the text (the exact-text map) to the
//! newest live copy that is not an exact duplicate, its place as its text's latest copy to the copy
//! before it. Two groupings of the articles by their text's hash ([`Grouped`]): every live article, and
//! the live articles that are not exact duplicates (few a text: its first copy, and each that came
//! outside the window of the one before). A prune that removes a headline repeated a million times
//! oldest first so reads each copy a few times in all, not once per copy removed before it.

use crate::grouped::{End, Grouped};
use crate::model::Status;

/// What the groupings read of the index, per article number.
pub(super) struct Columns<'a> {
    pub alive: &'a [bool],
    pub text_hash: &'a [u64],
    pub status: &'a [Status],
}

impl Columns<'_> {
    fn count(&self) -> u32 {
        self.text_hash.len() as u32
    }

    fn live(&self, seq: u32) -> bool {
        self.alive[seq as usize]
    }

    /// A live article's text hash, as a group's key (its members in number order).
    fn text(&self, seq: u32) -> Option<(u64, i64)> {
        self.live(seq).then(|| (self.text_hash[seq as usize], 0))
    }

    /// A live article's text hash, if it is not an exact duplicate.
    fn standing_text(&self, seq: u32) -> Option<(u64, i64)> {
        self.text(seq)
            .filter(|_| self.status[seq as usize] != Status::Duplicate)
    }
}

/// The copies of every text, as of the articles numbered when last kept up.
#[derive(Debug)]
pub(super) struct Copies {
    all: Grouped<u64>,
    standing: Grouped<u64>,
}

impl Copies {
    /// The copies of the articles in `columns`, every one decided.
    pub(super) fn build(columns: &Columns) -> Copies {
        let count = columns.count();
        let (all, standing) = crate::pool::run(|| {
            rayon::join(
                || Grouped::build(count, |seq| columns.text(seq)),
                || Grouped::build(count, |seq| columns.standing_text(seq)),
            )
        });
        Copies { all, standing }
    }

    /// Takes in the articles numbered since, every one decided.
    pub(super) fn keep_up(&mut self, columns: &Columns) {
        let count = columns.count();
        self.all.keep_up(count, |seq| columns.text(seq));
        self.standing
            .keep_up(count, |seq| columns.standing_text(seq));
    }

    /// The oldest live copy of `text` (`near`: a copy of it, to find its copies from).
    pub(super) fn oldest(&mut self, text: u64, near: u32, columns: &Columns) -> Option<u32> {
        self.all.live_end(
            End::First,
            text,
            Some(near),
            |seq| columns.text(seq),
            |seq| columns.live(seq),
        )
    }

    /// The newest live copy of `text` that is not an exact duplicate (`near`: as for `oldest`).
    pub(super) fn standing(&mut self, text: u64, near: u32, columns: &Columns) -> Option<u32> {
        self.standing.live_end(
            End::Last,
            text,
            Some(near),
            |seq| columns.standing_text(seq),
            |seq| columns.live(seq),
        )
    }

    /// The copies of `text` numbered before `seq`, newest first (some removed ones too).
    pub(super) fn before(&self, text: u64, seq: u32) -> impl Iterator<Item = u32> + '_ {
        self.all.before(text, seq)
    }
}
