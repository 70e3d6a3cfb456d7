//! The index's side of [`SiteBody`]: each article's site body, and how many different texts each
//! source's body (or title's tail, or head) has come with among the live articles, which decides
//! whether a new article of that source and body is compared by title, or by its tail under its head
//! (a headline without a tail is kept under its key as a bare one, but never counted). An article is taken in as phase 1 numbers it and let go when
//! it is removed, and a reopened store takes in its live articles again, so a store reopened after
//! removals counts as the index that made them. The counts sit in [`KeyMap`]s, whose lines phase 1 asks
//! for a few articles ahead, as it does the exact-text map's.

use super::keymap::KeyMap;
use crate::lsh::FIBONACCI;
use crate::site_body::SiteBody;

/// Each article's [`SiteBody`], and the live articles and different texts of each body.
#[derive(Debug, Default)]
pub(super) struct SiteBodies {
    /// By article number; shorter than the numbers handed out (absent: none) until an article with a
    /// source and a body comes.
    bodies: Vec<SiteBody>,
    /// Live articles per body and text (see [`copies_key`]).
    copies: KeyMap,
    /// Different texts per body key.
    titles: KeyMap,
}

/// The key of a body's copies of one text: the text's hash (title and body together) mixed with the
/// body's key and the head's, so that one text under two sources' keys is counted under each, and a
/// text whose copies split off two heads (one text to the normaliser, "EXAMPLE NEWS – …" and "Example
/// News – …") counts a title under each head, and takes it back from each.
fn copies_key(body: SiteBody, text_hash: u64) -> u64 {
    text_hash ^ (body.key() ^ body.head_key().rotate_left(29)).wrapping_mul(FIBONACCI)
}

impl SiteBodies {
    /// Article `seq`'s site body.
    #[inline]
    pub(super) fn get(&self, seq: u32) -> SiteBody {
        self.bodies
            .get(seq as usize)
            .copied()
            .unwrap_or(SiteBody::NONE)
    }

    /// Makes room for the site bodies of articles numbered up to `next_seq + additional`, the pages
    /// mapped in one call (see `populate`), as the index's other columns are grown for a batch: nearly
    /// every article of a feed with sources has one.
    pub(super) fn reserve(&mut self, next_seq: usize, additional: usize) {
        let more = (next_seq + additional).saturating_sub(self.bodies.len());
        crate::populate::reserve(&mut self.bodies, more);
    }

    /// `body` as an article given it now carries it (see [`SiteBody::after`]).
    pub(super) fn judged(&self, body: SiteBody) -> SiteBody {
        // A bare headline is never compared by title: the headlines under its tail turn it down.
        if body.is_none() || body.is_bare() {
            return body;
        }
        let body = body.after(self.titles.get(body.key()).unwrap_or(0));
        match body.head_key() {
            0 => body,
            head => body.after_head(self.titles.get(head).unwrap_or(0)),
        }
    }

    /// Whether any live headline carries `body`'s key as its tail: for a bare headline, whether any
    /// candidate could be one under its text (see `Matching::matches`).
    pub(super) fn has_titles(&self, body: SiteBody) -> bool {
        !body.is_none() && self.titles.get(body.key()).is_some()
    }

    /// Asks the CPU for the lines [`add`](Self::add) reads for an article of `body` and `text_hash`.
    #[inline]
    pub(super) fn prefetch(&self, body: SiteBody, text_hash: u64) {
        if !body.is_none() && !body.is_bare() {
            for key in titled_keys(body) {
                self.titles.prefetch(key);
            }
            self.copies.prefetch(copies_key(body, text_hash));
        }
    }

    /// Takes in live article `seq`, of site body `body` and text `text_hash`, and returns its site body
    /// as it is kept (see [`judged`](Self::judged)).
    pub(super) fn add(&mut self, seq: u32, body: SiteBody, text_hash: u64) -> SiteBody {
        if body.is_none() {
            return body;
        }
        let body = self.judged(body);
        let s = seq as usize;
        if self.bodies.len() <= s {
            self.bodies.resize(s + 1, SiteBody::NONE);
        }
        self.bodies[s] = body;
        // The text's first copy under its body and head: each has one title more (a bare headline is no
        // title of a tail).
        if !body.is_bare() && count_up(&mut self.copies, copies_key(body, text_hash)) {
            for key in titled_keys(body) {
                count_up(&mut self.titles, key);
            }
        }
        body
    }

    /// Lets go of article `seq`, of text `text_hash`, removed.
    pub(super) fn remove(&mut self, seq: u32, text_hash: u64) {
        let body = self.get(seq);
        if body.is_none() {
            return;
        }
        self.bodies[seq as usize] = SiteBody::NONE;
        // The text's last copy gone, the body (and the head) has one title fewer.
        if !body.is_bare() && count_down(&mut self.copies, copies_key(body, text_hash)) {
            for key in titled_keys(body) {
                count_down(&mut self.titles, key);
            }
        }
    }
}

/// The keys a text's copies count a title under: its body's (or tail's), and its head's when it has one.
fn titled_keys(body: SiteBody) -> impl Iterator<Item = u64> {
    [body.key(), body.head_key()]
        .into_iter()
        .filter(|&key| key != 0)
}

/// Adds one to `key`'s count in `map`; whether it was zero.
fn count_up(map: &mut KeyMap, key: u64) -> bool {
    let count = map.get(key).unwrap_or(0);
    map.insert(key, count + 1);
    count == 0
}

/// Takes one from `key`'s count in `map`, forgetting the key at zero; whether it reached zero.
fn count_down(map: &mut KeyMap, key: u64) -> bool {
    match map.get(key) {
        Some(1) => {
            map.remove(key);
            true
        }
        Some(n) => {
            map.insert(key, n - 1);
            false
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ShingleKind;

    const CHAR5: ShingleKind = ShingleKind::Char(5);

    #[test]
    fn a_body_is_a_sites_own_once_given_to_enough_titles_and_no_longer_once_they_go() {
        let mut bodies = SiteBodies::default();
        let body = |title: &str| SiteBody::of(Some("site"), title, "the site's own words", CHAR5);
        let titles = ["one title", "another", "a third", "a fourth"];
        // The same text twice counts once; the titles before each decide.
        let mut seq = 0;
        let mut kept = Vec::new();
        for (n, title) in titles.iter().enumerate() {
            for _ in 0..2 {
                kept.push(bodies.add(seq, body(title), n as u64));
                seq += 1;
            }
        }
        let by_title: Vec<bool> = kept.iter().map(|b| b.by_title()).collect();
        // The third title's second copy comes after three titles, its own among them.
        assert_eq!(
            by_title,
            [false, false, false, false, false, true, true, true]
        );
        assert!(bodies.get(6).by_title());
        assert!(bodies.get(99).is_none());
        // Another source's body is its own.
        let elsewhere = SiteBody::of(Some("other"), "x", "the site's own words", CHAR5);
        assert!(!bodies.judged(elsewhere).by_title());
        // Removing one copy of a title keeps the count; removing both takes the title away.
        assert!(bodies.judged(body("a fifth")).by_title());
        bodies.remove(0, 0);
        assert!(bodies.judged(body("a fifth")).by_title());
        bodies.remove(1, 0);
        bodies.remove(7, 3);
        assert!(
            bodies.judged(body("a fifth")).by_title(),
            "one copy of the fourth is left"
        );
        bodies.remove(6, 3);
        assert!(!bodies.judged(body("a fifth")).by_title());
        assert!(bodies.get(6).is_none());
    }

    #[test]
    fn a_bare_headline_is_kept_under_its_tail_but_never_counted_as_a_title_of_it() {
        let mut bodies = SiteBodies::default();
        let tail = "Live Updates";
        let of =
            |headline: &str| SiteBody::of_tail(Some("site"), headline, || headline.into(), CHAR5);
        // The blog's bare name, however often it comes, does not make its tail the site's own.
        for seq in 0..4 {
            assert!(bodies.add(seq, of(tail), 99).is_bare());
        }
        assert!(!bodies.judged(of("Fire spreads | Live Updates")).by_title());
        for (seq, head) in (4..).zip(["Storm hits", "Markets fall", "Vote counted"]) {
            bodies.add(seq, of(&format!("{head} | {tail}")), u64::from(seq));
        }
        assert!(bodies.judged(of("Fire spreads | Live Updates")).by_title());
        assert!(
            !bodies.judged(of(tail)).by_title(),
            "its bare name is not compared by title: the headlines under the tail turn it down"
        );
        // Removing the bare headlines takes no title away.
        for seq in 0..4 {
            bodies.remove(seq, 99);
        }
        assert!(bodies.judged(of("Fire spreads | Live Updates")).by_title());
    }

    #[test]
    fn a_texts_copies_under_two_heads_count_a_title_under_each_and_take_it_back() {
        let mut bodies = SiteBodies::default();
        let of = |headline: &str| {
            SiteBody::of_tail(Some("example.com"), headline, || headline.into(), CHAR5)
        };
        // One text to the normaliser (the same text hash), two heads as written.
        let upper = of("EXAMPLE NEWS LIVE – Storm hits the coast");
        let lower = of("Example News Live – Storm hits the coast");
        assert_ne!(upper.head_key(), lower.head_key());
        assert_eq!(upper.key(), lower.key());
        bodies.add(0, upper, 7);
        bodies.add(1, lower, 7);
        bodies.add(2, lower, 7);
        assert_eq!(bodies.titles.get(upper.head_key()), Some(1));
        assert_eq!(bodies.titles.get(lower.head_key()), Some(1));
        assert_eq!(bodies.titles.get(lower.key()), Some(2));
        // Whichever copy goes first, each head's title goes with its last copy.
        bodies.remove(0, 7);
        assert_eq!(bodies.titles.get(upper.head_key()), None);
        assert_eq!(bodies.titles.get(lower.head_key()), Some(1));
        bodies.remove(1, 7);
        assert_eq!(bodies.titles.get(lower.head_key()), Some(1));
        bodies.remove(2, 7);
        assert_eq!(bodies.titles.get(lower.head_key()), None);
        assert_eq!(bodies.titles.get(lower.key()), None);
    }
}
