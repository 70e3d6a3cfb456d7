//! A site's own body: some sites give every item the same description, a tagline of the site ("This is
//! not a NASA website. You might learn something."), so that items of unrelated titles read as
//! near-duplicates through the body alone. The same body under other titles is also what agency copy
//! republished by other outlets looks like, or one article whose headline was rewritten, and those are
//! near-duplicates; what tells a tagline apart is that one source gives it to many titles (the site of
//! its link stands for the source of an article without one). So once a
//! source has given one body to [`SITE_TITLES`] different titles, a later article
//! of that source and body is compared with the others that carry it by their titles alone, at the
//! same threshold ([`SiteBody::titles_similarity_to`]), which is then the similarity the match reports;
//! until then, and between sources, the body counts
//! as before.
//!
//! A site's own tail is the same thing inside the title: a live blog's or a section's words that a
//! source puts after a dash or a bar on every headline ("Fyra skadade i Tel Aviv – Senaste nytt om
//! kriget mellan Iran, USA och Israel", "… | Live Updates", "… - DN.se"), long enough beside a short
//! headline to make two headlines of different events near-duplicates. An article whose body takes no
//! part has its headline's last such tail ([`split_tail`]) taken as its site body, its title's other
//! words as its title, and counts as a body does, but for two headlines whose tail is shorter than both
//! heads, which are compared whole: such a tail may be a headline's own news, which its revisions keep,
//! until the source has given it to [`SITE_LABEL_TITLES`] different titles, more than revisions make: a
//! label as short as " | Example News" after every headline of a crawl's page titles. A label before the
//! headline ("DN Direkt – Man död i trafikolycka") is its head, counted the same way: once the source has
//! given the head to [`SITE_LABEL_TITLES`] different titles, two headlines carrying it are compared by
//! their tails, unless the head is longer than a tail (then it is the headline, and the tail a few words
//! after it: " – CFO", a counter).
//! A headline without a tail keeps a key of its own text as a tail's ([`SiteBody::is_bare`]), so that
//! a live blog's bare name is no near-duplicate of the headlines under it.
//!
//! The titles' similarity is not signed apart: it is estimated from the whole texts' estimate and the
//! numbers of shingles of each title and of the body they share, the body's shingles being common to
//! both. The index keeps each article's [`SiteBody`] and counts the titles each body has come with
//! (`cluster::site_bodies`).

use std::borrow::Cow;

use unicode_normalization::char::is_combining_mark;
use unicode_segmentation::UnicodeSegmentation;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::config::ShingleKind;
use crate::normalize::is_joiner;

/// How many different titles one source must have given a body, before an article, for the article to
/// be compared with that body's other articles by title alone.
pub const SITE_TITLES: u32 = 3;

/// How many different titles one source must have given a tail shorter than two headlines' own words,
/// before it, for the two to be compared without it: a headline's revisions keep its own tail ("… –
/// polisen misstänker mord"), but none is revised so often, while a site's label comes after every
/// headline it publishes. A tail of news that one source writes under many headlines reaches it too
/// in a store kept long enough ("… – en gripen", 12 headlines of one source in 13 months of
/// news-archive), and is then read as a label.
pub const SITE_LABEL_TITLES: u32 = 32;

/// Seed of a site body's key.
const SITE_BODY_SEED: u64 = 0x7369_7465_626f_6479; // "sitebody"

/// What joins the source to a body in a site body's key, and to a title's tail: a tail and a body of
/// the same words are different things.
const BODY_MARK: u8 = 0x1f;
const TAIL_MARK: u8 = 0x1e;
const HEAD_MARK: u8 = 0x1d;

/// What a head's count is kept under beside the tails' and bodies' keys (see [`SiteBody::head_key`]).
const HEAD_KEY_BIT: u64 = 1 << 32;

/// What comparing by title needs of an article that has both a source and a body: a key of the two
/// (zero: none), how many shingles its title and its body give, and whether its source had given the
/// body to [`SITE_TITLES`] different titles before it, and a tail to [`SITE_LABEL_TITLES`] (counted by
/// the index as it numbers the article).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SiteBody {
    key: u64,
    title_shingles: u16,
    body_shingles: u16,
    by_title: bool,
    /// Given to [`SITE_LABEL_TITLES`] different titles before the article: compared by title even when
    /// shorter than the titles.
    label: bool,
    /// The common part is the title's tail, not a body.
    tail: bool,
    /// A headline without a tail, keyed as one that is all tail: compared with the articles of that tail,
    /// not counted as one of its titles.
    bare: bool,
    /// A key of the source and the headline's head, before its tail (zero: no tail), counted as a tail
    /// is: a label before the headline.
    head: u32,
    /// The head was given to [`SITE_LABEL_TITLES`] different titles before the article: two headlines
    /// of that head are compared by their tails.
    head_label: bool,
}

impl SiteBody {
    /// An article without a source or a body.
    pub const NONE: SiteBody = SiteBody {
        key: 0,
        title_shingles: 0,
        body_shingles: 0,
        by_title: false,
        label: false,
        tail: false,
        bare: false,
        head: 0,
        head_label: false,
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
        let count = |text: &str| shingle_count(text, kind).min(u16::MAX as usize) as u16;
        SiteBody {
            key: key_of(source, BODY_MARK, body),
            title_shingles: count(title),
            body_shingles: count(body),
            by_title: false,
            label: false,
            tail: false,
            bare: false,
            head: 0,
            head_label: false,
        }
    }

    /// The site body of an article from `source` whose body takes no part, whose title is `title` (as
    /// given) and whose headline (freed of boilerplate, as written) `headline` gives: its headline's tail
    /// ([`split_tail`]) as the body, and the rest of its shingles as its title's, both counted as folding
    /// would cut them (an estimate, not folded: a store rebuilds this for every article it opens, and
    /// asks for the headline only of a title with a dash or a bar). A headline without a tail is keyed
    /// as a tail with no title before it ([`is_bare`](Self::is_bare)): by its title as given, or by its
    /// headline when a dash was in its boilerplate, so that a live blog's bare name matches none of the
    /// headlines under the blog's name once that is the site's own tail. It counts no shingles.
    /// None without a source.
    pub fn of_tail<'a>(
        source: Option<&str>,
        title: &str,
        headline: impl FnOnce() -> Cow<'a, str>,
        kind: ShingleKind,
    ) -> SiteBody {
        let source = source.map(str::trim).unwrap_or("");
        if source.is_empty() {
            return SiteBody::NONE;
        }
        let bare = |text: &str| SiteBody {
            key: key_of(source, TAIL_MARK, text.trim()),
            title_shingles: 0,
            body_shingles: 0,
            by_title: false,
            label: false,
            tail: true,
            bare: true,
            head: 0,
            head_label: false,
        };
        // Freeing a headline of boilerplate adds no separator: a title without one has no tail.
        if split_tail(title).is_none() {
            return bare(title);
        }
        let headline = headline();
        let Some((head, tail)) = split_tail(&headline) else {
            // Its dash was boilerplate's ("… - SVT Nyheter"): the headline is what a tail would be.
            return bare(&headline);
        };
        let clamp = |n: usize| n.min(u16::MAX as usize) as u16;
        let tail_shingles = folded_shingle_count(tail, kind);
        let head_shingles = folded_shingle_count(&headline, kind)
            .saturating_sub(tail_shingles)
            .max(1);
        SiteBody {
            key: key_of(source, TAIL_MARK, tail),
            title_shingles: clamp(head_shingles),
            body_shingles: clamp(tail_shingles),
            by_title: false,
            label: false,
            tail: true,
            bare: false,
            head: (key_of(source, HEAD_MARK, head) as u32).max(1),
            head_label: false,
        }
    }

    /// Whether the article's headline has no tail: its key is that of the headline as a tail, which it is
    /// compared under but does not count towards (see [`of_tail`](Self::of_tail)).
    pub fn is_bare(self) -> bool {
        self.bare
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
    /// [`SITE_TITLES`] on, and a tail shorter than the titles from [`SITE_LABEL_TITLES`] on.
    pub fn after(mut self, titles: u32) -> SiteBody {
        self.by_title = !self.is_none() && titles >= SITE_TITLES;
        self.label = self.by_title && titles >= SITE_LABEL_TITLES;
        self
    }

    /// This site body, whose head was given to `titles` different titles before the article: its
    /// headlines compared by their tails from [`SITE_LABEL_TITLES`] on.
    pub fn after_head(mut self, titles: u32) -> SiteBody {
        self.head_label = self.head != 0 && titles >= SITE_LABEL_TITLES;
        self
    }

    /// Whether the article is compared with others by part of its title: by title with its source's
    /// body or tail ([`by_title`](Self::by_title)), or by its tail under a head that is a label.
    pub fn by_parts(self) -> bool {
        self.by_title || self.head_label
    }

    /// The key of the article's source and body (zero: none).
    pub fn key(self) -> u64 {
        self.key
    }

    /// The key the head's count is kept under (zero: no head), apart from every body's and tail's key
    /// but for a chance of one in 2^32.
    pub fn head_key(self) -> u64 {
        match self.head {
            0 => 0,
            head => u64::from(head) | HEAD_KEY_BIT,
        }
    }

    /// When `other` carries this article's source and body, their titles' similarity, estimated from
    /// that of the whole texts (`equal` of `permutations` signature values): what an article compared
    /// [`by_title`](Self::by_title) is matched on. `None` for an article of another source or body,
    /// and for two headlines whose shared tail is shorter than either's own words, unless it is a label
    /// ([`SITE_LABEL_TITLES`]): a tail that cannot make two headlines of different events alike by
    /// itself may be the headline's own ("Ica återkallar skinka – har fel datum"), and revisions of one
    /// headline keep it.
    ///
    /// Two headlines under one head that is a label ([`after_head`](Self::after_head)), no longer than
    /// either's tail, and not compared by title are compared by their tails, the head being what they
    /// share.
    pub fn titles_similarity_to(
        self,
        other: SiteBody,
        equal: usize,
        permutations: usize,
    ) -> Option<f64> {
        if permutations == 0 {
            return None;
        }
        let whole = equal as f64 / permutations as f64;
        let by_title = self.by_title
            && self.key == other.key
            && !(self.tail
                && !self.label
                && self.body_shingles < self.title_shingles.min(other.title_shingles));
        if by_title {
            return Some(titles_similarity(
                whole,
                self.title_shingles as f64,
                other.title_shingles as f64,
                self.body_shingles.max(other.body_shingles) as f64,
            ));
        }
        // A head longer than a tail is no label before a headline but the headline, its tail a few
        // words after it (" - CFO", " – video", a counter): compared whole.
        if self.head_label
            && self.head == other.head
            && self.title_shingles <= self.body_shingles.min(other.body_shingles)
        {
            return Some(titles_similarity(
                whole,
                self.body_shingles as f64,
                other.body_shingles as f64,
                self.title_shingles.max(other.title_shingles) as f64,
            ));
        }
        None
    }
}

/// The key of `source` (read without case, and without a leading `www.`: a crawl writes one site both
/// ways, `www.bgr.com` and `bgr.com`) and `common`, the body or tail its articles share, joined by
/// `mark`; never zero.
fn key_of(source: &str, mark: u8, common: &str) -> u64 {
    let site = |lower: &[u8]| match lower.strip_prefix(b"www.") {
        Some(rest) if !rest.is_empty() => xxh3_64_with_seed(rest, SITE_BODY_SEED),
        _ => xxh3_64_with_seed(lower, SITE_BODY_SEED),
    };
    // The source in lower case, on the stack when it is short, as nearly every source's name is.
    let mut lower = [0u8; 64];
    let source = match lower.get_mut(..source.len()) {
        Some(lower) => {
            lower.copy_from_slice(source.as_bytes());
            lower.make_ascii_lowercase();
            site(lower)
        }
        None => site(source.to_ascii_lowercase().as_bytes()),
    };
    xxh3_64_with_seed(common.as_bytes(), source ^ u64::from(mark)).max(1)
}

/// Hosts whose links lead to many outlets' articles (aggregators, feed proxies, link shorteners): a
/// link there names no site, and agency copy that several outlets publish behind them is no tagline of
/// one.
const NOT_A_SITE: [&str; 14] = [
    "news.google.com",
    "feedproxy.google.com",
    "feeds.feedburner.com",
    "news.yahoo.com",
    "msn.com",
    "apple.news",
    "flipboard.com",
    "smartnews.com",
    "newsbreak.com",
    "t.co",
    "bit.ly",
    "ow.ly",
    "dlvr.it",
    "trib.al",
];

/// The site a link names, standing for the source of an article without one: its host
/// (`https://www.nasawatch.com/a/b` → `www.nasawatch.com`), without a port or a user. `None` for a
/// text with no `scheme://` before a host, and for an aggregator's or a link shortener's host
/// (`news.google.com`, `t.co`).
pub fn url_site(url: &str) -> Option<&str> {
    let (scheme, rest) = url.trim().split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = match host.strip_prefix('[') {
        // An IPv6 address, with its brackets.
        Some(v6) => &host[..v6.find(']').map_or(host.len(), |end| end + 2)],
        None => host.split(':').next().unwrap_or(""),
    };
    let named = host.strip_prefix("www.").unwrap_or(host);
    let aggregator = NOT_A_SITE.iter().any(|not| named.eq_ignore_ascii_case(not));
    (!host.is_empty() && !aggregator).then_some(host)
}

/// A headline's head and its tail: what follows its last dash or bar with a space on either side
/// ("Iran: 30 spioner gripna – Senaste nytt om kriget" → "Iran: 30 spioner gripna", "Senaste nytt om
/// kriget"), both trimmed, when each has a letter or a digit. `None` without such a tail.
pub fn split_tail(headline: &str) -> Option<(&str, &str)> {
    let bytes = headline.as_bytes();
    let mut end = bytes.len();
    // Each separator is found by a byte of its own: `-`, `|`, or the first of a dash's three (0xE2),
    // which other punctuation (curly quotes) shares.
    while let Some(at) = memchr::memrchr3(b'-', b'|', 0xE2, &bytes[..end]) {
        end = at;
        let width = match bytes[at] {
            b'-' | b'|' => 1,
            _ if matches!(bytes.get(at + 1..at + 3), Some([0x80, 0x93 | 0x94])) => 3,
            _ => continue,
        };
        let spaced = at > 0 && bytes[at - 1] == b' ' && bytes.get(at + width) == Some(&b' ');
        if !spaced {
            continue;
        }
        // Both ends lie at spaces: the head and the tail are whole characters.
        let head = headline[..at].trim();
        let tail = headline[at + width..].trim();
        let has_word = |t: &str| t.chars().any(char::is_alphanumeric);
        return (has_word(head) && has_word(tail)).then_some((head, tail));
    }
    None
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

/// How many shingles of `kind` `text` gives once folded, counted without folding it: its letters, digits
/// and combining marks, one space between words, and no apostrophe or period within a word (see
/// `normalize::fold`).
fn folded_shingle_count(text: &str, kind: ShingleKind) -> usize {
    let (mut chars, mut words) = (0usize, 0usize);
    let (mut in_word, mut joiner) = (false, false);
    for c in text.chars() {
        if c.is_alphanumeric() || (in_word && is_combining_mark(c)) {
            if !in_word {
                chars += usize::from(words > 0);
                words += 1;
            }
            chars += 1;
            in_word = true;
            joiner = false;
        } else if c == '\u{AD}' || (in_word && !joiner && is_joiner(c)) {
            // Deleted: a soft hyphen anywhere, an apostrophe or a period that may join two parts of a word.
            joiner = in_word;
        } else {
            in_word = false;
            joiner = false;
        }
    }
    let (units, n) = match kind {
        ShingleKind::Char(k) => (chars, k),
        ShingleKind::Word(n) => (words, n),
    };
    match units {
        0 => 0,
        u => u.saturating_sub(n.max(1)) + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAR5: ShingleKind = ShingleKind::Char(5);

    #[test]
    fn a_links_site_is_its_host() {
        for (url, site) in [
            ("https://www.nasawatch.com/a/b", Some("www.nasawatch.com")),
            (" http://user:pw@example.org:8080?q=1 ", Some("example.org")),
            ("https://example.org#top", Some("example.org")),
            ("example.org/a", None),
            ("http://[2001:db8::1]:8080/a", Some("[2001:db8::1]")),
            ("https://news.google.com/rss/articles/CBMi", None),
            ("https://www.msn.com/en-us/news/a", None),
            ("https://T.CO/x", None),
            ("https:///a", None),
            ("://example.org", None),
            ("", None),
        ] {
            assert_eq!(url_site(url), site, "{url}");
        }
    }

    #[test]
    fn only_an_article_with_a_source_and_a_body_has_one_and_the_source_is_read_without_case_or_www()
    {
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
        // One site written with and without `www.` is one source; the long name read off the stack too.
        let www = SiteBody::of(Some("WWW.NASAWatch.com"), "budget cuts", tagline, CHAR5);
        assert_eq!(one.key, www.key);
        let long = format!("{}.example.com", "section".repeat(12));
        assert_eq!(
            SiteBody::of(Some(&long), "nasa news", tagline, CHAR5).key,
            SiteBody::of(Some(&format!("www.{long}")), "nasa news", tagline, CHAR5).key
        );
        // `www.` is not a site, nor is a name that merely starts with "www".
        assert_ne!(
            SiteBody::of(Some("www."), "nasa news", tagline, CHAR5).key,
            SiteBody::of(Some("www"), "nasa news", tagline, CHAR5).key
        );
        assert_ne!(
            SiteBody::of(Some("wwwnasawatch.com"), "nasa news", tagline, CHAR5).key,
            one.key
        );
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

    #[test]
    fn a_tail_is_what_follows_the_last_dash_or_bar_set_off_by_spaces() {
        let tail = "Senaste nytt om kriget mellan Iran, USA och Israel";
        assert_eq!(
            split_tail(&format!("Iran: 30 spioner gripna – {tail}")),
            Some(("Iran: 30 spioner gripna", tail))
        );
        assert_eq!(
            split_tail(&format!("Attack i Beirut – flera döda – {tail}")),
            Some(("Attack i Beirut – flera döda", tail))
        );
        for (headline, split) in [
            (
                "Flood warning issued | Live Updates",
                Some(("Flood warning issued", "Live Updates")),
            ),
            ("Polls close - DN.se", Some(("Polls close", "DN.se"))),
            (
                "Markets rally — as it happened",
                Some(("Markets rally", "as it happened")),
            ),
            // No space on one side, a hyphenated word, no head or no tail: no tail.
            ("Gaza-Israel talks resume", None),
            ("Score 3 -1 at half time", None),
            ("Talks-- resume", None),
            (" - Live Updates", None),
            ("Markets rally - !!!", None),
            ("", None),
        ] {
            assert_eq!(split_tail(headline), split, "{headline:?}");
        }
    }

    #[test]
    fn a_tails_shingles_are_counted_as_folding_cuts_them() {
        let mut hashes = Vec::new();
        for text in [
            "Senaste nytt om kriget mellan Iran, USA och Israel",
            "Live Updates",
            "DN.se",
            "U.S. stocks don't move",
            "don\u{2019}t  --  stop",
            "café au lait",
            "in-depth: 2,500 Marines",
            "!!!",
            "",
        ] {
            for kind in [
                CHAR5,
                ShingleKind::Char(3),
                ShingleKind::Word(1),
                ShingleKind::Word(2),
            ] {
                let folded = crate::normalize::normalize_title(text, None);
                hashes.clear();
                if !folded.is_empty() && text.chars().any(char::is_alphanumeric) {
                    crate::shingle::shingle_hashes(&folded, kind, &mut hashes);
                }
                assert_eq!(
                    folded_shingle_count(text, kind),
                    hashes.len(),
                    "{text:?} {kind:?}"
                );
            }
        }
    }

    #[test]
    fn a_headline_is_keyed_by_its_source_and_tail_and_a_bare_one_as_its_own_tail() {
        let tail = "Senaste nytt om kriget mellan Iran, USA och Israel";
        let of = |source: &str, headline: &str| {
            SiteBody::of_tail(Some(source), headline, || headline.into(), CHAR5)
        };
        let one = of("SVT Nyheter", &format!("Iran: 30 spioner gripna – {tail}"));
        let other = of(
            "svt nyheter",
            &format!("Kuwait stänger luftrummet – {tail}"),
        );
        assert!(!one.is_none() && !one.is_bare());
        assert_eq!(one.key, other.key, "the source is read without case");
        // "senaste nytt om kriget mellan iran usa och israel": 49 characters, 45 shingles; the title's
        // 72 give 68.
        assert_eq!((one.body_shingles, one.title_shingles), (45, 68 - 45));
        let bare = of("SVT Nyheter", tail);
        assert!(bare.is_bare());
        assert_eq!((bare.key, bare.title_shingles), (one.key, 0));
        assert_ne!(
            of("svt.se", &format!("Iran: 30 spioner gripna – {tail}")).key,
            one.key
        );
        assert!(SiteBody::of_tail(None, "Iran – x", || "Iran – x".into(), CHAR5).is_none());
        // A tail and a body of the same words are different things.
        let body = SiteBody::of(Some("SVT Nyheter"), "iran 30 spioner gripna", tail, CHAR5);
        assert_ne!(body.key, one.key);
        // Compared by title, a live blog's headlines share nothing but the tail, and its bare name
        // shares nothing with them.
        let one = one.after(SITE_TITLES);
        let (a, b, m) = (one.title_shingles, other.title_shingles, one.body_shingles);
        let whole = f64::from(m) / f64::from(a + b + m);
        let equal = (whole * 128.0_f64).round() as usize;
        assert!(one.titles_similarity_to(other, equal, 128).unwrap() < 0.05);
        let whole = f64::from(m) / f64::from(a + m);
        let equal = (whole * 128.0_f64).round() as usize;
        assert!(one.titles_similarity_to(bare, equal, 128).unwrap() < 0.05);
    }

    #[test]
    fn a_tail_shorter_than_both_heads_leaves_them_compared_whole() {
        let of = |headline: &str| {
            SiteBody::of_tail(Some("NT"), headline, || headline.into(), CHAR5).after(SITE_TITLES)
        };
        // A revised headline whose tail is its own news: "har fel datum" is shorter than either head.
        let one = of("Ica återkallar strimlad skinka – har fel datum");
        let other = of("Ica återkallar skinka – har fel datum");
        assert_eq!(one.key, other.key);
        assert!(one.body_shingles < one.title_shingles.min(other.title_shingles));
        assert_eq!(one.titles_similarity_to(other, 90, 128), None);
        // Beside a head no longer than it, the same tail is compared as a site's own.
        let short = of("Ica – har fel datum");
        assert!(one.titles_similarity_to(short, 90, 128).is_some());
        assert!(short.titles_similarity_to(one, 90, 128).is_some());
        assert!(one
            .titles_similarity_to(of("har fel datum"), 90, 128)
            .is_some());
        // Given to more titles than revisions make, a tail as short is the site's label.
        let of_site = |headline: &str| {
            SiteBody::of_tail(Some("example.com"), headline, || headline.into(), CHAR5)
        };
        let label = of_site("Ica återkallar strimlad skinka | Example News");
        let next = of_site("Ica återkallar skinka | Example News");
        assert!(label.body_shingles < label.title_shingles.min(next.title_shingles));
        for (titles, compared) in [
            (SITE_TITLES, false),
            (SITE_LABEL_TITLES - 1, false),
            (SITE_LABEL_TITLES, true),
        ] {
            let got = label.after(titles).titles_similarity_to(next, 90, 128);
            assert_eq!(got.is_some(), compared, "after {titles} titles");
        }
    }

    #[test]
    fn a_head_given_to_many_titles_leaves_headlines_compared_by_their_tails() {
        let of =
            |headline: &str| SiteBody::of_tail(Some("dn.se"), headline, || headline.into(), CHAR5);
        let one = of("DN Direkt – Man död i mc-olycka utanför Härryda");
        let other = of("DN Direkt – Man död i mc-olycka utanför Ludvika");
        assert_eq!(one.head, other.head);
        assert_ne!(one.key, other.key);
        assert_ne!(one.head_key(), 0);
        assert!(!one.after_head(SITE_LABEL_TITLES - 1).by_parts());
        let label = one.after(0).after_head(SITE_LABEL_TITLES);
        assert!(label.by_parts() && !label.by_title());
        // Compared by their tails, the head being what they share: lower than the whole texts'.
        let (a, b, m) = (one.body_shingles, other.body_shingles, one.title_shingles);
        let shared = 20.0;
        let whole = (shared + f64::from(m)) / (f64::from(a + b + m) - shared);
        let equal = (whole * 128.0).round() as usize;
        let tails = label.titles_similarity_to(other, equal, 128).unwrap();
        assert!(tails < whole - 0.05, "{tails} against {whole}");
        // Another head, or a head longer than a tail after it, is compared whole.
        assert_eq!(
            label.titles_similarity_to(of("SVT – Man död i mc-olycka"), equal, 128),
            None
        );
        let long = of("Bank may sell its Ukraine unit within a year – CFO 7");
        assert!(long.title_shingles > long.body_shingles);
        let long_label = long.after_head(SITE_LABEL_TITLES);
        let next = of("Bank may sell its Ukraine unit within a year – CFO 8");
        assert_eq!(long_label.titles_similarity_to(next, 100, 128), None);
    }
}
