//! A site's own body: some sites give every item the same description, a tagline of the site ("This is
//! not a NASA website. You might learn something."), so that items of unrelated titles read as
//! near-duplicates through the body alone. The same body under other titles is also what agency copy
//! republished by other outlets looks like, or one article whose headline was rewritten, and those are
//! near-duplicates; what tells a tagline apart is that one source gives it to many titles. So once a
//! source has given one body to [`SITE_TITLES`] different titles, a later article
//! of that source and body is compared with the others that carry it by their titles alone, at the
//! same threshold ([`SiteBody::titles_similarity_to`]), which is then the similarity the match reports;
//! until then, and between sources, the body counts
//! as before.
//!
//! The titles' similarity is not signed apart: it is estimated from the whole texts' estimate and the
//! numbers of shingles of each title and of the body they share, the body's shingles being common to
//! both. The index keeps each article's [`SiteBody`] and counts the titles each body has come with
//! (`cluster::site_bodies`).

use unicode_segmentation::UnicodeSegmentation;
use xxhash_rust::xxh3::Xxh3;

use crate::config::ShingleKind;

/// How many different titles one source must have given a body, before an article, for the article to
/// be compared with that body's other articles by title alone.
pub const SITE_TITLES: u32 = 3;

/// Seed of a site body's key.
const SITE_BODY_SEED: u64 = 0x7369_7465_626f_6479; // "sitebody"

/// What comparing by title needs of an article that has both a source and a body: a key of the two
/// (zero: none), how many shingles its title and its body give, and whether its source had given the
/// body to [`SITE_TITLES`] different titles before it (counted by the index as it numbers the article).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SiteBody {
    key: u64,
    title_shingles: u16,
    body_shingles: u16,
    by_title: bool,
}

impl SiteBody {
    /// An article without a source or a body.
    pub const NONE: SiteBody = SiteBody {
        key: 0,
        title_shingles: 0,
        body_shingles: 0,
        by_title: false,
    };

    /// The site body of an article from `source`, whose normalised title is `title` and whose body, as
    /// given, is `body`, cut into `kind` shingles. None without a source or a body. The body is read as
    /// given (but for white space at its ends) rather than normalised, so that a store's site bodies
    /// are rebuilt at open without normalising every body again: a site's description comes the same,
    /// byte for byte, and gives about as many shingles as its normalised text.
    pub fn of(source: Option<&str>, title: &str, body: &str, kind: ShingleKind) -> SiteBody {
        let source = source.map(str::trim).unwrap_or("");
        let body = body.trim();
        if source.is_empty() || body.is_empty() {
            return SiteBody::NONE;
        }
        let mut h = Xxh3::with_seed(SITE_BODY_SEED);
        h.update(source.to_ascii_lowercase().as_bytes());
        h.update(&[0x1f]);
        h.update(body.as_bytes());
        let key = h.digest().max(1);
        let count = |text: &str| shingle_count(text, kind).min(u16::MAX as usize) as u16;
        SiteBody {
            key,
            title_shingles: count(title),
            body_shingles: count(body),
            by_title: false,
        }
    }

    /// Whether the article has no source or no body.
    pub fn is_none(self) -> bool {
        self.key == 0
    }

    /// Whether the article is compared by title with the others of its source and body: its source had
    /// given the body to [`SITE_TITLES`] different titles before it.
    pub fn by_title(self) -> bool {
        self.by_title
    }

    /// This site body, given to `titles` different titles before the article: compared by title from
    /// [`SITE_TITLES`] on.
    pub fn after(mut self, titles: u32) -> SiteBody {
        self.by_title = !self.is_none() && titles >= SITE_TITLES;
        self
    }

    /// The key of the article's source and body (zero: none).
    pub fn key(self) -> u64 {
        self.key
    }

    /// When `other` carries this article's source and body, their titles' similarity, estimated from
    /// that of the whole texts (`equal` of `permutations` signature values): what an article compared
    /// [`by_title`](Self::by_title) is matched on. `None` for an article of another source or body.
    pub fn titles_similarity_to(
        self,
        other: SiteBody,
        equal: usize,
        permutations: usize,
    ) -> Option<f64> {
        if self.key != other.key || permutations == 0 {
            return None;
        }
        Some(titles_similarity(
            equal as f64 / permutations as f64,
            self.title_shingles as f64,
            other.title_shingles as f64,
            self.body_shingles.max(other.body_shingles) as f64,
        ))
    }
}

/// The Jaccard similarity of two titles of `a` and `b` shingles, given that of the two whole texts
/// (`whole`), each a title and one body of `m` shingles that neither title's shingles share: the
/// shingles the titles share, `x`, satisfy `whole = (x + m) / (a + b - x + m)`.
fn titles_similarity(whole: f64, a: f64, b: f64, m: f64) -> f64 {
    let shared = ((whole * (a + b + m) - m) / (1.0 + whole)).max(0.0);
    let union = a + b - shared;
    if union <= 0.0 {
        return 1.0;
    }
    (shared / union).min(1.0)
}

/// How many shingles of `kind` a text gives, counting characters rather than grapheme clusters (and a
/// body's words as given, not normalised): an estimate, the same wherever it is made, for
/// [`titles_similarity`].
fn shingle_count(text: &str, kind: ShingleKind) -> usize {
    let (units, n) = match kind {
        ShingleKind::Char(k) => {
            let chars = if text.is_ascii() {
                text.len()
            } else {
                text.chars().count()
            };
            (chars, k)
        }
        ShingleKind::Word(n) => (text.unicode_words().count(), n),
    };
    match units {
        0 if text.is_empty() => 0,
        0 => 1,
        u => u.saturating_sub(n.max(1)) + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAR5: ShingleKind = ShingleKind::Char(5);

    #[test]
    fn only_an_article_with_a_source_and_a_body_has_one_and_the_source_is_read_without_case() {
        let tagline = "this is not a nasa website you might learn something";
        assert!(SiteBody::of(None, "nasa news", tagline, CHAR5).is_none());
        assert!(SiteBody::of(Some("  "), "nasa news", tagline, CHAR5).is_none());
        assert!(SiteBody::of(Some("nasawatch.com"), "nasa news", "", CHAR5).is_none());
        let one = SiteBody::of(Some("nasawatch.com"), "nasa news", tagline, CHAR5);
        let other_title = SiteBody::of(Some(" NASAWatch.com "), "budget cuts", tagline, CHAR5);
        assert!(!one.is_none());
        assert_eq!(
            one.key, other_title.key,
            "the key is the source's and the body's"
        );
        assert_ne!(
            one.key,
            SiteBody::of(Some("spacenews.com"), "nasa news", tagline, CHAR5).key
        );
        assert_eq!((one.title_shingles, one.body_shingles), (5, 48));
    }

    #[test]
    fn shingle_counts_follow_the_shingles_cut() {
        for (text, kind) in [
            ("abcdefg", CHAR5),
            ("abc", CHAR5),
            ("", CHAR5),
            ("one two three four", ShingleKind::Word(2)),
            ("one", ShingleKind::Word(2)),
            ("nyheter från göteborg", CHAR5),
            ("北京时间今天上午", ShingleKind::Word(2)),
            ("Tokyo: 東京 stocks—rise", ShingleKind::Word(1)),
        ] {
            let mut hashes = Vec::new();
            crate::shingle::shingle_hashes(text, kind, &mut hashes);
            assert_eq!(shingle_count(text, kind), hashes.len(), "{text:?}");
        }
    }

    #[test]
    fn the_titles_similarity_is_read_back_from_the_whole_texts() {
        // Titles of 30 and 40 shingles sharing 20, and a body of 100: the whole texts share 120 of 150.
        let whole = 120.0 / 150.0;
        let titles = titles_similarity(whole, 30.0, 40.0, 100.0);
        assert!((titles - 20.0 / 50.0).abs() < 1e-9, "{titles}");
        // Titles that share nothing, and the same titles.
        assert!(titles_similarity(100.0 / 170.0, 30.0, 40.0, 100.0) < 1e-9);
        assert!((titles_similarity(1.0, 30.0, 30.0, 100.0) - 1.0).abs() < 1e-9);
        // An estimate below what the body alone gives reads as titles that share nothing.
        assert_eq!(titles_similarity(0.2, 30.0, 40.0, 100.0), 0.0);
    }

    #[test]
    fn titles_are_compared_by_key_and_estimate() {
        let tagline =
            "this is not a nasa website you might learn something it is your space agency";
        let a = SiteBody {
            by_title: true,
            ..SiteBody::of(
                Some("nasawatch.com"),
                "white house hits nasa",
                tagline,
                CHAR5,
            )
        };
        let b = SiteBody::of(
            Some("nasawatch.com"),
            "laid off with honor at nasa",
            tagline,
            CHAR5,
        );
        let k = 128;
        // The body's share alone: the titles share nothing.
        let body_only = (a.body_shingles as f64)
            / (a.body_shingles + a.title_shingles + b.title_shingles) as f64;
        let equal = (body_only * k as f64).round() as usize;
        assert!(a.titles_similarity_to(b, equal, k).unwrap() < 0.05);
        // Nearly equal whole texts: the titles are alike.
        assert!(a.titles_similarity_to(b, 126, k).unwrap() > 0.9);
        // Another key is never judged here.
        let c = SiteBody::of(Some("spacenews.com"), "laid off", tagline, CHAR5);
        assert_eq!(a.titles_similarity_to(c, equal, k), None);
    }
}
