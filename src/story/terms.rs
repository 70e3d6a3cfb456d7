//! The content terms of a headline, for the story level: the words that say what it is about, each hashed
//! together with what its capitalisation says about it. The headline is read as written (boilerplate
//! removed, not folded): "Pakistan" capitalised in the middle of a sentence-case headline is a name,
//! "kills" in lowercase is not, a word that sits in a headline set in title case or capitals says nothing
//! either way, and one that opens the headline or a clause says only that it is capitalised (the story
//! index takes it for a name when it knows no lowercase use of the word). Dotted acronyms ("U.S.") and
//! all-capital words ("ECB") are names; numbers keep their decimal point ("3.5"); an apostrophe ends a
//! word ("China's" gives "china"). Function words, words that say when (holidays, also of several
//! words such as "Labor Day", "tonight", a date such as "March 17"), words of one character and a
//! press-release wire's name in parentheses at the end ("(PR Newswire)") carry no story.
//!
//! A term is a `u32`: the low 29 bits hash the lowercased word (xxh3 under [`TERM_SEED`]), the top three
//! bits hold its [`Kind`]. Terms are stored with each article, so both are part of the stored format.

use std::borrow::Cow;
use std::sync::OnceLock;

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Seed of the word hash. Terms are stored with each article: changing it changes the stored format.
pub const TERM_SEED: u64 = 0x7465_726d_7365_6564; // "termseed"

/// Most content terms taken from one headline.
pub const MAX_TERMS: usize = 32;

/// Between two terms of [`linked_terms`]' output, where the second word directly follows the first in the
/// headline (a space apart, nothing dropped between) and both are capitalised, neither an acronym: the
/// two may be one name ("White House", "Super Bowl"), which the story index then counts as one word
/// shared, not two. Not a term (its kind, 7, is never written) and never stored: the index takes the
/// links out before it counts an article's words.
pub const LINK: u32 = u32::MAX;

/// The bits of a term that hash its word.
pub const WORD_BITS: u32 = 0x1FFF_FFFF;

/// Where a term's kind starts.
const KIND_SHIFT: u32 = 29;

/// What a word's capitalisation says, in the top three bits of its term.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Nothing: the headline is in title case or capitals, the word is a number, or it opens the
    /// headline or a clause in lowercase (or was judged not a name there: see [`Kind::Capital`]).
    Plain = 0,
    /// Lowercase where a name would be capitalised: not a name here.
    Lower = 1,
    /// Capitalised in the middle of a sentence-case headline: a name.
    Name = 2,
    /// Plain where it stood, but taken for a name because it is capitalised where its case says
    /// something (decided by the story index, which learns that from the stream).
    Judged = 3,
    /// An acronym ("ECB", "U.S."): a name, often one of several for the same thing ("N.C." for "North
    /// Carolina"), so it never counts against a story that names it otherwise.
    Acronym = 4,
    /// Capitalised where it opens a sentence-case headline or a clause: plain, unless nothing the story
    /// index knows of the word says it is a common one, when it is taken for a name. The index judges
    /// an article's terms before it decides and counts them (`StoryIndex::assign`), so the terms it
    /// stores never keep this kind; terms given to `StoryIndex::add` or `replay` are counted as given.
    Capital = 5,
}

/// The word of a term (its hash, without the kind).
pub fn word(term: u32) -> u32 {
    term & WORD_BITS
}

/// The kind of a term.
pub fn kind(term: u32) -> Kind {
    match term >> KIND_SHIFT {
        0 => Kind::Plain,
        1 => Kind::Lower,
        2 => Kind::Name,
        3 => Kind::Judged,
        5 => Kind::Capital,
        // 6 and 7 are not written; read them as acronyms, names that never conflict.
        _ => Kind::Acronym,
    }
}

/// The term for `word` with kind `kind`.
pub fn with_kind(word: u32, kind: Kind) -> u32 {
    (word & WORD_BITS) | ((kind as u32) << KIND_SHIFT)
}

/// True when a term stands for a name (capitalised where that says something, an acronym, or judged so).
pub fn is_name(term: u32) -> bool {
    matches!(kind(term), Kind::Name | Kind::Judged | Kind::Acronym)
}

/// Function words of English (and the commonest of the other languages seen in news feeds), words that
/// say when rather than what (a holiday, a day counted from today), and words that say "this is news"
/// rather than what about: they carry no story. Many events fall on one Christmas Eve; sharing it with
/// a story and one other word is not being about the same thing.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "after",
    "against",
    "all",
    "also",
    "amid",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "before",
    "being",
    "between",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "during",
    "for",
    "from",
    "had",
    "has",
    "have",
    "he",
    "her",
    "his",
    "how",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "may",
    "might",
    "more",
    "most",
    "new",
    "news",
    "no",
    "not",
    "now",
    "of",
    "off",
    "on",
    "one",
    "or",
    "our",
    "out",
    "over",
    "says",
    "said",
    "say",
    "she",
    "should",
    "so",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "to",
    "under",
    "up",
    "us",
    "via",
    "vs",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "today",
    "tonight",
    "tomorrow",
    "yesterday",
    "weekend",
    "christmas",
    "xmas",
    "easter",
    "thanksgiving",
    "halloween",
    "hanukkah",
    "eve",
    "update",
    "updated",
    "exclusive",
    "breaking",
    "report",
    "reports",
    "live",
    "video",
    "watch",
    "photos",
    "och",
    "att",
    "det",
    "som",
    "en",
    "på",
    "är",
    "av",
    "för",
    "med",
    "till",
    "den",
    "har",
    "de",
    "inte",
    "om",
    "ett",
    "der",
    "die",
    "das",
    "und",
    "le",
    "la",
    "les",
    "des",
    "et",
    "el",
    "los",
    "y",
];

/// The stop words by word hash, in an open-addressed table of 1,024 slots (about a seventh full): most words
/// land on an empty slot at once, a stop word on its own within a probe or two.
struct StopWords {
    /// Each slot holds a stop word's hash with [`OCCUPIED`] set, or zero.
    slots: [u32; STOP_SLOTS],
}

/// Slots of [`StopWords`]' table, a power of two.
const STOP_SLOTS: usize = 1024;

/// Marks a slot of [`StopWords`] as holding a hash (hashes have [`WORD_BITS`] only).
const OCCUPIED: u32 = 1 << 31;

impl StopWords {
    fn get() -> &'static StopWords {
        static STOP: OnceLock<StopWords> = OnceLock::new();
        STOP.get_or_init(|| {
            let mut table = StopWords {
                slots: [0; STOP_SLOTS],
            };
            for word in STOP_WORDS {
                let hash = hash_word(word);
                let mut at = Self::home(hash);
                while table.slots[at] != 0 && table.slots[at] != hash | OCCUPIED {
                    at = (at + 1) % STOP_SLOTS;
                }
                table.slots[at] = hash | OCCUPIED;
            }
            table
        })
    }

    /// The slot where a hash's search starts.
    fn home(hash: u32) -> usize {
        (hash.wrapping_mul(0x9E37_79B1) >> 22) as usize % STOP_SLOTS
    }

    fn contains(&self, hash: u32) -> bool {
        let mut at = Self::home(hash);
        loop {
            match self.slots[at] {
                0 => return false,
                slot if slot == hash | OCCUPIED => return true,
                _ => at = (at + 1) % STOP_SLOTS,
            }
        }
    }
}

/// Marks in `dated` (one flag per word, or empty when none is marked; `words(i)` gives word `i` as
/// written) the words of a date: a month named beside a day of the month ("March 17", "17th March",
/// "Jan. 11"). A date says when, not what: "Your daily horoscope: March 17, 2026" and the March Madness
/// draw of that day share no event, nor do two games played on "Jan 6". Month names count in any case
/// but "May" and the short forms ("Jan", "Sept"), which count only with a capital; a month without a
/// day beside it stays a word ("March Madness"), and so does a year (dropping years cost the labelled
/// stories more than it gave).
fn mark_dates<'a>(n: usize, words: impl Fn(usize) -> &'a str, dated: &mut Vec<bool>) {
    dated.clear();
    let is_month = |w: &str| {
        let capital = w.as_bytes().first().is_some_and(u8::is_ascii_uppercase);
        match crate::time::month_number(w) {
            // "May" and the short forms only with a capital: lowercase, "may" is a verb and "mar" a word.
            Some(_) if w.len() == 3 => capital,
            Some(_) => true,
            None => capital && w.eq_ignore_ascii_case("sept"),
        }
    };
    let is_day = |w: &str| {
        let digits = w.bytes().take_while(u8::is_ascii_digit).count();
        (1..=2).contains(&digits)
            && matches!(&w[digits..], "" | "st" | "nd" | "rd" | "th")
            && w[..digits]
                .parse::<u32>()
                .is_ok_and(|d| (1..=31).contains(&d))
    };
    // Days are few (a word of one or two digits) and cheap to tell (`is_day` stops at a first byte
    // that is no digit): each word is looked at, then the words beside a day. A month takes the day
    // after it ("March 17") before the one before it.
    for day in 0..n {
        if !is_day(words(day)) {
            continue;
        }
        // Left empty, as for most headlines, until a date is found.
        dated.resize(n, false);
        let month = if day > 0 && !dated[day - 1] && is_month(words(day - 1)) {
            Some(day - 1)
        } else if day + 1 < n
            && is_month(words(day + 1))
            && !(day + 2 < n && is_day(words(day + 2)))
        {
            Some(day + 1)
        } else {
            None
        };
        if let Some(month) = month {
            dated[month] = true;
            dated[day] = true;
        }
    }
    // Holidays of several words end in one of few words ("day", "friday", "july"): those are looked
    // for first.
    for end in 0..n {
        let last = words(end);
        if !HOLIDAY_ENDS.iter().any(|e| last.eq_ignore_ascii_case(e)) {
            continue;
        }
        for holiday in HOLIDAYS {
            let Some(start) = (end + 1).checked_sub(holiday.len()) else {
                continue;
            };
            if holiday
                .iter()
                .enumerate()
                .all(|(k, w)| words(start + k).eq_ignore_ascii_case(w))
            {
                dated.resize(n, false);
                dated[start..=end].fill(true);
                break;
            }
        }
    }
}

/// The last words of [`HOLIDAYS`].
const HOLIDAY_ENDS: &[&str] = &["day", "friday", "monday", "july", "year"];

/// Holidays and the shopping days named after them, in more than one word, as their words in lowercase
/// (an apostrophe ends a word: "Mother's Day" is "mother", "s", "day"). They say when, as the holidays
/// among the function words do: "Labor Day sales" and "Labor Day weekend shootings in Chicago" share no
/// event.
const HOLIDAYS: &[&[&str]] = &[
    &["labor", "day"],
    &["labour", "day"],
    &["memorial", "day"],
    &["independence", "day"],
    &["presidents", "day"],
    &["president", "s", "day"],
    &["veterans", "day"],
    &["veteran", "s", "day"],
    &["mother", "s", "day"],
    &["mothers", "day"],
    &["father", "s", "day"],
    &["fathers", "day"],
    &["valentine", "s", "day"],
    &["valentines", "day"],
    &["patrick", "s", "day"],
    &["boxing", "day"],
    &["new", "year", "s", "day"],
    &["new", "year"],
    &["black", "friday"],
    &["cyber", "monday"],
    &["fourth", "of", "july"],
    &["4th", "of", "july"],
];

fn hash_word(lowercase: &str) -> u32 {
    xxh3_64_with_seed(lowercase.as_bytes(), TERM_SEED) as u32 & WORD_BITS
}

/// One word of the headline: its byte range and whether it is a dotted acronym.
#[derive(Clone, Copy, Debug)]
struct Token {
    start: usize,
    end: usize,
    acronym: bool,
}

/// Characters after which a word opens a clause: its capital says nothing.
fn opens_clause(c: char) -> bool {
    matches!(
        c,
        ':' | '|' | '—' | '–' | '-' | '"' | '“' | '‘' | '\'' | '(' | '«' | '„'
    )
}

/// The words of `text`: runs of letters and digits; a run of digits takes a following `.` or `,` and
/// digits with it; single letters each followed by a period ("U.S.") make one acronym.
fn tokenize(text: &str, chars: &mut Vec<(usize, char)>, out: &mut Vec<Token>) {
    out.clear();
    chars.clear();
    chars.extend(text.char_indices());
    let chars = &chars[..];
    let end_of = |i: usize| chars.get(i).map_or(text.len(), |&(b, _)| b);
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if !c.is_alphanumeric() {
            i += 1;
            continue;
        }
        // A dotted acronym: letter, period, letter, period, ... not glued to a word before or after.
        let glued_before = i > 0 && (chars[i - 1].1.is_alphanumeric() || chars[i - 1].1 == '.');
        if c.is_alphabetic() && !glued_before {
            let mut j = i;
            while j + 1 < chars.len() && chars[j].1.is_alphabetic() && chars[j + 1].1 == '.' {
                j += 2;
            }
            let letters = (j - i) / 2;
            if letters >= 2 && chars.get(j).is_none_or(|&(_, n)| !n.is_alphanumeric()) {
                out.push(Token {
                    start,
                    end: end_of(j),
                    acronym: true,
                });
                i = j;
                continue;
            }
        }
        let mut j = i;
        while j < chars.len() && chars[j].1.is_alphanumeric() {
            j += 1;
        }
        let digits = chars[i..j].iter().all(|&(_, c)| c.is_ascii_digit());
        if digits {
            while j + 1 < chars.len()
                && matches!(chars[j].1, '.' | ',')
                && chars[j + 1].1.is_ascii_digit()
            {
                j += 1;
                while j < chars.len() && chars[j].1.is_ascii_digit() {
                    j += 1;
                }
            }
        }
        out.push(Token {
            start,
            end: end_of(j),
            acronym: false,
        });
        i = j;
    }
}

/// True when every cased character of `word` is uppercase and it has one.
fn all_upper(word: &str) -> bool {
    let mut cased = false;
    for c in word.chars() {
        if c.is_lowercase() {
            return false;
        }
        cased |= c.is_uppercase();
    }
    cased
}

/// Press-release wires, lowercase, whose name a release's headline ends with in parentheses ("… (PR
/// Newswire)"): the name says who carried the release, not what it is about, and shared by every release
/// of a wire it would make them one story. It is no term.
const WIRES: &[&str] = &[
    "pr newswire",
    "prnewswire",
    "business wire",
    "businesswire",
    "globenewswire",
    "globe newswire",
    "accesswire",
    "prweb",
    "ein presswire",
    "newsfile",
];

/// `headline` without a press-release wire's name in parentheses at its end ([`WIRES`]).
fn without_wire(headline: &str) -> &str {
    let trimmed = headline.trim_end();
    let Some(open) = trimmed.strip_suffix(')').and_then(|rest| rest.rfind('(')) else {
        return headline;
    };
    let name = trimmed[open + 1..trimmed.len() - 1].trim();
    if WIRES.iter().any(|wire| name.eq_ignore_ascii_case(wire)) {
        trimmed[..open].trim_end()
    } else {
        headline
    }
}

/// The content terms of a headline as written (see the module docs), in order, repeats kept, at most
/// [`MAX_TERMS`]. `headline` should be freed of boilerplate first (`normalize::headline_text`).
pub fn terms(headline: &str, out: &mut Vec<u32>) {
    read(headline, false, out);
}

/// [`terms`] with a [`LINK`] between two capitalised words that follow one another (what the story
/// index reads an article's terms from, and takes the links out of).
pub fn linked_terms(headline: &str, out: &mut Vec<u32>) {
    read(headline, true, out);
}

/// [`terms`], with [`LINK`]s when `links`.
fn read(headline: &str, links: bool, out: &mut Vec<u32>) {
    out.clear();
    let headline = without_wire(headline);
    let ascii = headline.is_ascii();
    // Nearly every headline is in NFKC already, which the quick check tells without rebuilding it.
    let text: Cow<'_, str> = if ascii || is_nfkc_quick(headline.chars()) == IsNormalized::Yes {
        Cow::Borrowed(headline)
    } else {
        Cow::Owned(headline.nfkc().collect())
    };
    SCRATCH.with_borrow_mut(|scratch| {
        let mut found = std::mem::take(&mut scratch.terms);
        if ascii || words_are_ascii(&text) {
            read_ascii_terms(&text, scratch, links, &mut found);
        } else {
            read_terms(&text, scratch, links, &mut found);
        }
        // One allocation of the right size when `out` starts empty.
        out.extend_from_slice(&found);
        scratch.terms = found;
    });
}

/// Takes the [`LINK`]s out of `terms` (as [`linked_terms`] gives them) and cuts them to [`MAX_TERMS`]: answers
/// which of the terms left directly followed the one before as part of a name (bit `j` for term `j`).
pub(crate) fn take_links(terms: &mut Vec<u32>) -> u32 {
    let mut links = 0u32;
    let mut kept = 0;
    for i in 0..terms.len() {
        let t = terms[i];
        if t == LINK {
            if kept > 0 && kept < MAX_TERMS {
                links |= 1 << kept;
            }
            continue;
        }
        terms[kept] = t;
        kept += 1;
    }
    terms.truncate(kept.min(MAX_TERMS));
    links
}

/// Buffers [`terms`] reuses from one headline to the next on a thread.
#[derive(Default)]
struct Scratch {
    chars: Vec<(usize, char)>,
    tokens: Vec<Token>,
    ascii_tokens: Vec<AsciiToken>,
    lower: String,
    terms: Vec<u32>,
    dated: Vec<bool>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// [`terms`] of a headline already in NFKC, into `out` (cleared), with `scratch` for buffers.
fn read_terms(text: &str, scratch: &mut Scratch, links: bool, out: &mut Vec<u32>) {
    out.clear();
    let Scratch {
        chars,
        tokens,
        lower,
        dated,
        ..
    } = scratch;
    tokenize(text, chars, tokens);
    let word_of = |t: &Token| &text[t.start..t.end];
    mark_dates(tokens.len(), |i| word_of(&tokens[i]), dated);
    // What the headline's case says (`headline_case`).
    let upper = tokens
        .iter()
        .filter(|t| {
            let w = word_of(t);
            w.chars().nth(1).is_some() && all_upper(w)
        })
        .count();
    let (mut long, mut capitalised) = (0, 0);
    for t in tokens.iter().skip(1) {
        let w = word_of(t);
        let mut chars = w.chars();
        let first = chars.next().unwrap_or(' ');
        if first.is_alphabetic() && w.chars().nth(3).is_some() {
            long += 1;
            if first.is_uppercase() {
                capitalised += 1;
            }
        }
    }
    let (shouting, informative) = headline_case(tokens.len(), upper, long, capitalised);
    let stop = StopWords::get();
    // The token of the last word taken, if it was capitalised (not an acronym), and the words taken.
    let (mut capital_at, mut taken) = (None, 0);
    for (i, t) in tokens.iter().enumerate() {
        if taken == MAX_TERMS {
            break;
        }
        if dated.get(i) == Some(&true) {
            continue;
        }
        let w = word_of(t);
        lower.clear();
        if t.acronym {
            lower.extend(w.chars().filter(|c| *c != '.').flat_map(char::to_lowercase));
            lower.push('.');
        } else if w.is_ascii() {
            // ASCII lowercases byte for byte, as `char::to_lowercase` would.
            lower.push_str(w);
            lower.make_ascii_lowercase();
        } else {
            lower.extend(w.chars().flat_map(char::to_lowercase));
        }
        if lower.chars().nth(1).is_none() {
            continue;
        }
        let hash = hash_word(lower);
        if !t.acronym && stop.contains(hash) {
            continue;
        }
        let first = w.chars().next().unwrap_or(' ');
        let kind = kind_of(
            first.is_ascii_digit() || first.is_numeric(),
            t.acronym || (!shouting && w.chars().nth(1).is_some() && all_upper(w)),
            informative,
            || {
                i == 0
                    || text[..t.start]
                        .trim_end()
                        .chars()
                        .next_back()
                        .is_some_and(opens_clause)
            },
            first.is_uppercase(),
        );
        let capital = first.is_uppercase() && !t.acronym && kind != Kind::Acronym;
        if links
            && capital
            && capital_at.is_some_and(|at: usize| {
                at + 1 == i
                    && text[tokens[at].end..t.start]
                        .chars()
                        .all(char::is_whitespace)
            })
        {
            out.push(LINK);
        }
        capital_at = capital.then_some(i);
        out.push(with_kind(hash, kind));
        taken += 1;
    }
}

/// Whether capitals say anything in a headline of `words` words, `upper` of them in capitals (two
/// characters or more), `capitalised` of the `long` ones after the first (four characters or more, from a
/// letter) capitalised: `(shouting, informative)`. Not when most words are in capitals (shouting) or most
/// longer words are capitalised (title case).
fn headline_case(words: usize, upper: usize, long: usize, capitalised: usize) -> (bool, bool) {
    let shouting = upper * 2 > words.max(1);
    (shouting, long >= 2 && capitalised * 2 <= long && !shouting)
}

/// The kind of a content word: plain when it is a `number`; an acronym when `acronym` (dotted, or in
/// capitals where the headline is not); plain where case says nothing (the headline is not
/// `informative`); where the word is `initial` (it opens the headline or a clause), capital when
/// `capital` and plain when not; else a name when `capital`, lowercase when not.
fn kind_of(
    number: bool,
    acronym: bool,
    informative: bool,
    initial: impl FnOnce() -> bool,
    capital: bool,
) -> Kind {
    if number {
        Kind::Plain
    } else if acronym {
        Kind::Acronym
    } else if !informative {
        Kind::Plain
    } else if initial() {
        if capital {
            Kind::Capital
        } else {
            Kind::Plain
        }
    } else if capital {
        Kind::Name
    } else {
        Kind::Lower
    }
}

/// Whitespace as `char::is_whitespace` has it in ASCII (which counts the vertical tab).
fn is_ascii_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ')
}

/// Whether every letter, digit and space of `text` is ASCII: any other character is punctuation or a
/// symbol (curly quotes, dashes), which only separates words, so [`read_ascii_terms`] can read it.
fn words_are_ascii(text: &str) -> bool {
    text.is_ascii()
        || text
            .chars()
            .all(|c| c.is_ascii() || !(c.is_alphanumeric() || c.is_whitespace()))
}

/// [`read_terms`] for a headline whose words are ASCII ([`words_are_ascii`]), byte by byte: the same
/// terms (the tests hold the two to it), without decoding characters but the one before a word. Nearly
/// every English headline takes this path. Each word's case is noted as it is cut out, so no word is
/// scanned again but to lowercase and hash it.
fn read_ascii_terms(text: &str, scratch: &mut Scratch, links: bool, out: &mut Vec<u32>) {
    out.clear();
    let bytes = text.as_bytes();
    let Scratch {
        ascii_tokens: tokens,
        lower,
        dated,
        ..
    } = scratch;
    tokenize_ascii(bytes, tokens);
    mark_dates(
        tokens.len(),
        |i| &text[tokens[i].start as usize..tokens[i].end as usize],
        dated,
    );
    // What the headline's case says (`headline_case`), counted as `read_terms` counts it.
    let (mut upper, mut long, mut capitalised) = (0, 0, 0);
    for (i, t) in tokens.iter().enumerate() {
        if t.len() >= 2 && t.all_upper() {
            upper += 1;
        }
        let first = bytes[t.start as usize];
        if i > 0 && first.is_ascii_alphabetic() && t.len() >= 4 {
            long += 1;
            capitalised += first.is_ascii_uppercase() as usize;
        }
    }
    let (shouting, informative) = headline_case(tokens.len(), upper, long, capitalised);
    let stop = StopWords::get();
    // As in `read_terms`: the token of the last word taken if capitalised, and the words taken.
    let (mut capital_at, mut taken) = (None, 0);
    for (i, t) in tokens.iter().enumerate() {
        if taken == MAX_TERMS {
            break;
        }
        if dated.get(i) == Some(&true) {
            continue;
        }
        let (start, end) = (t.start as usize, t.end as usize);
        let w = &text[start..end];
        let hash = if t.acronym {
            lower.clear();
            lower.extend(
                w.bytes()
                    .filter(|&c| c != b'.')
                    .map(|c| c.to_ascii_lowercase() as char),
            );
            lower.push('.');
            hash_word(lower)
        } else if w.len() < 2 {
            continue;
        } else if t.case & UPPER == 0 {
            // Already lowercase (most words): hashed where it stands.
            hash_word(w)
        } else {
            lower.clear();
            lower.push_str(w);
            lower.make_ascii_lowercase();
            hash_word(lower)
        };
        if !t.acronym && stop.contains(hash) {
            continue;
        }
        let first = bytes[start];
        // The last character before the word, spaces aside (a byte past ASCII ends a character that
        // is not a space).
        let opens = || {
            let before = bytes[..start].iter().rposition(|&c| !is_ascii_space(c));
            before.is_some_and(|at| text[..=at].chars().next_back().is_some_and(opens_clause))
        };
        let kind = kind_of(
            first.is_ascii_digit(),
            t.acronym || (!shouting && w.len() >= 2 && t.all_upper()),
            informative,
            || i == 0 || opens(),
            first.is_ascii_uppercase(),
        );
        let capital = first.is_ascii_uppercase() && !t.acronym && kind != Kind::Acronym;
        if links
            && capital
            && capital_at.is_some_and(|at: usize| {
                at + 1 == i
                    && bytes[tokens[at].end as usize..start]
                        .iter()
                        .all(|&c| is_ascii_space(c))
            })
        {
            out.push(LINK);
        }
        capital_at = capital.then_some(i);
        out.push(with_kind(hash, kind));
        taken += 1;
    }
}

/// A word of an ASCII headline: its byte range, whether it is a dotted acronym, and which cases its
/// letters are in ([`UPPER`], [`LOWER`]).
#[derive(Clone, Copy, Debug)]
struct AsciiToken {
    start: u32,
    end: u32,
    acronym: bool,
    case: u8,
}

impl AsciiToken {
    fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether it has a capital and no lowercase letter.
    fn all_upper(&self) -> bool {
        self.case & (UPPER | LOWER) == UPPER
    }
}

/// Byte classes of [`ASCII_CLASS`]; a byte of none of them is not part of a word.
const UPPER: u8 = 1;
const LOWER: u8 = 2;
const DIGIT: u8 = 4;

/// The class of each byte: letters and digits of ASCII.
const ASCII_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = if b.is_ascii_uppercase() {
            UPPER
        } else if b.is_ascii_lowercase() {
            LOWER
        } else if b.is_ascii_digit() {
            DIGIT
        } else {
            0
        };
        c += 1;
    }
    table
};

/// [`tokenize`] for text whose words are ASCII, where a byte of a word is a character and a byte past
/// ASCII is part of a separator.
fn tokenize_ascii(text: &[u8], out: &mut Vec<AsciiToken>) {
    out.clear();
    let class = |i: usize| ASCII_CLASS[text[i] as usize];
    let len = text.len();
    let mut i = 0;
    while i < len {
        let c = class(i);
        if c == 0 {
            i += 1;
            continue;
        }
        let glued_before = i > 0 && (class(i - 1) != 0 || text[i - 1] == b'.');
        if c != DIGIT && !glued_before {
            // A dotted acronym: letter, period, letter, period, ... not glued to a word after.
            let mut j = i;
            let mut case = 0;
            while j + 1 < len && class(j) & (UPPER | LOWER) != 0 && text[j + 1] == b'.' {
                case |= class(j);
                j += 2;
            }
            let letters = (j - i) / 2;
            if letters >= 2 && (j >= len || class(j) == 0) {
                out.push(AsciiToken {
                    start: i as u32,
                    end: j as u32,
                    acronym: true,
                    case,
                });
                i = j;
                continue;
            }
        }
        let mut j = i;
        let mut case = 0;
        while j < len && class(j) != 0 {
            case |= class(j);
            j += 1;
        }
        if case == DIGIT {
            while j + 1 < len && matches!(text[j], b'.' | b',') && class(j + 1) == DIGIT {
                j += 1;
                while j < len && class(j) == DIGIT {
                    j += 1;
                }
            }
        }
        out.push(AsciiToken {
            start: i as u32,
            end: j as u32,
            acronym: false,
            case,
        });
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Vec<(u32, Kind)> {
        let mut out = Vec::new();
        terms(text, &mut out);
        out.into_iter().map(|x| (word(x), kind(x))).collect()
    }

    fn w(word: &str) -> u32 {
        hash_word(word)
    }

    #[test]
    fn names_are_read_from_sentence_case_headlines() {
        assert_eq!(
            t("Suicide bomber kills 12 in Nigeria church"),
            vec![
                (w("suicide"), Kind::Capital),
                (w("bomber"), Kind::Lower),
                (w("kills"), Kind::Lower),
                (w("12"), Kind::Plain),
                (w("nigeria"), Kind::Name),
                (w("church"), Kind::Lower),
            ]
        );
    }

    #[test]
    fn a_press_release_wire_s_name_at_the_end_is_no_term() {
        let release = "Acme Robotics launches a warehouse arm for small shops";
        for credit in [" (PR Newswire)", " (GlobeNewswire) ", "(business wire)"] {
            assert_eq!(t(&format!("{release}{credit}")), t(release), "{credit}");
        }
        // Another name in parentheses stays, and so does a wire named elsewhere.
        assert_ne!(t(&format!("{release} (Reuters)")), t(release));
        assert_ne!(
            t("PR Newswire names a new chief executive"),
            t("Names a new chief executive")
        );
    }

    #[test]
    fn a_date_is_no_word_but_a_month_alone_is() {
        let words = |text: &str| {
            t(text)
                .into_iter()
                .map(|(word, _)| word)
                .collect::<Vec<_>>()
        };
        let horoscope = [w("daily"), w("horoscope"), w("2026")];
        assert_eq!(words("Your daily horoscope: March 17, 2026"), horoscope);
        assert_eq!(words("Your daily horoscope: 17th march 2026"), horoscope);
        assert_eq!(
            words("103 Spurs (Jan 11, 2026) Game Recap"),
            words("103 Spurs (2026) Game Recap")
        );
        assert_eq!(
            words("Projected lineup: Sept. 13 vs. Carolina"),
            words("Projected lineup: vs. Carolina")
        );
        assert_eq!(
            words("Florida heat wave lasts through June 30"),
            words("Florida heat wave lasts through")
        );
        // Holidays of several words, in any case, say when too; their words alone stay words.
        assert_eq!(
            words("Best Buy's Labor Day sale: 50% off TVs"),
            words("Best Buy's sale: 50% off TVs")
        );
        assert_eq!(
            words("Sharks shut Rockaway Beach during 4th of July weekend"),
            words("Sharks shut Rockaway Beach during weekend")
        );
        assert_eq!(
            words("Mother's Day brunch ideas; BLACK FRIDAY deals"),
            words("brunch ideas; deals")
        );
        assert!(words("Stocks fall on Friday").contains(&w("friday")));
        assert!(words("Labor unions strike at the port").contains(&w("labor")));
        // A month without a day beside it, and "may" or a short form without a capital, are words.
        assert_eq!(words("March Madness bracket picks")[0], w("march"));
        assert!(words("Rates may fall 25 points").contains(&w("25")));
        assert!(words("Sales jump 20 pct in mar 3 stores").contains(&w("mar")));
    }

    #[test]
    fn title_case_and_capitals_say_nothing_but_acronyms_do() {
        let title_case = t("Shares Move Higher on Wall Street");
        assert!(title_case.iter().all(|&(_, k)| k == Kind::Plain));
        assert_eq!(
            t("ECB unlikely to end sterilisation of SMP purchases")[0],
            (w("ecb"), Kind::Acronym)
        );
        assert!(t("STOCKS SOAR AS FED CUTS")
            .iter()
            .all(|&(_, k)| k == Kind::Plain));
    }

    #[test]
    fn possessives_acronyms_and_numbers_keep_their_word() {
        let words: Vec<u32> = t("China's exports fall; U.S. stocks drop 3.5% to 1,000")
            .into_iter()
            .map(|(w, _)| w)
            .collect();
        assert_eq!(
            words,
            vec![
                w("china"),
                w("exports"),
                w("fall"),
                w("us."),
                w("stocks"),
                w("drop"),
                w("3.5"),
                w("1,000")
            ]
        );
        // "us" the pronoun is a function word; "U.S." the country is not.
        assert_eq!(t("Tell us"), vec![(w("tell"), Kind::Plain)]);
    }

    #[test]
    fn capitalised_words_side_by_side_are_linked() {
        let linked = |text: &str| {
            let mut out = Vec::new();
            linked_terms(text, &mut out);
            out
        };
        let with_links = linked("Oil industry warns White House of Gulf Coast price rises");
        let [oil, industry, warns, white, house, gulf, coast, price, rises] =
            t("Oil industry warns White House of Gulf Coast price rises")
                .try_into()
                .map(|t: [(u32, Kind); 9]| t.map(|(w, k)| with_kind(w, k)))
                .expect("nine terms");
        // "of" between two names parts them: "White House" and "Gulf Coast" are linked, not "House"
        // and "Gulf".
        assert_eq!(
            with_links,
            [oil, industry, warns, white, LINK, house, gulf, LINK, coast, price, rises]
        );
        // Punctuation, a dropped word, an acronym or a lowercase word between parts them too.
        for apart in [
            "Trump, Putin meet in Alaska",
            "Trump's Doral hosts summit",
            "FIFA World Cup opens",
            "Trump said Putin lied",
        ] {
            let ts = linked(apart);
            let links = ts.iter().filter(|&&t| t == LINK).count();
            let expected = usize::from(apart.contains("World Cup"));
            assert_eq!(links, expected, "{apart}");
        }
        // Taken out again, the terms are those of `terms`, and the links say which follow as one name.
        let mut taken = with_links.clone();
        assert_eq!(take_links(&mut taken), 1 << 4 | 1 << 6);
        let mut plain = Vec::new();
        terms(
            "Oil industry warns White House of Gulf Coast price rises",
            &mut plain,
        );
        assert_eq!(taken, plain);
    }

    #[test]
    fn a_word_after_a_colon_opens_a_clause() {
        let k = t("Portugal votes: Socialists concede defeat in Lisbon");
        assert_eq!(k[1], (w("votes"), Kind::Lower));
        assert_eq!(k[2], (w("socialists"), Kind::Capital));
        assert_eq!(k[5], (w("lisbon"), Kind::Name));
    }

    /// What the general path reads from an ASCII headline, with links.
    fn general(text: &str) -> Vec<u32> {
        let (mut scratch, mut out) = (Scratch::default(), Vec::new());
        read_terms(text, &mut scratch, true, &mut out);
        out
    }

    #[test]
    fn headlines_with_ascii_words_read_the_same_terms_byte_by_byte() {
        let mut headlines: Vec<String> = [
            "U.S. stocks drop 3.5% to 1,000; A.B.C.D. - N.C.'s 2.5.6 a.b",
            "STOCKS SOAR AS FED CUTS",
            "Shares Move Higher on Wall Street",
            "UFC fights at the White House, Trump's  Doral, Jan Smith",
            "Portugal votes: Socialists concede defeat in Lisbon\x0b Porto |Braga (Faro) \"Evora\"",
            "Police say the suspect fled:\x0bPorto residents were told to stay inside",
            "Trump’s ‘big’ bill — “a win” for U.S.–Canada: Senate votes «no»",
            "Lawmakers say—Senate leader ‘Schumer’ … wins • 3.5€",
            "x",
            "",
            "   ...   ",
            "1.5.2024, 3,4 and 7. then U.S.A.B.C and ab.cd.ef.",
            "the the the a an of",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every headline of the repository's sample too.
        headlines.extend(
            crate::sample::titles()
                .into_iter()
                .filter(|t| words_are_ascii(t)),
        );
        assert!(headlines.len() > 1000);
        assert!(!words_are_ascii("Café owner says") && !words_are_ascii("a b"));
        let mut scratch = Scratch::default();
        for headline in &headlines {
            let mut fast = Vec::new();
            read_ascii_terms(headline, &mut scratch, true, &mut fast);
            assert_eq!(fast, general(headline), "{headline:?}");
        }
    }

    #[test]
    fn the_stop_word_table_holds_every_stop_word_and_no_other() {
        let stop = StopWords::get();
        assert!(STOP_WORDS.iter().all(|w| stop.contains(hash_word(w))));
        for word in ["nigeria", "bomber", "ecb", "trump", "2025", "us.", "syria"] {
            assert!(!stop.contains(hash_word(word)), "{word}");
        }
    }

    #[test]
    fn every_script_is_cut_into_words() {
        let k = t("Сбербанк повысил ставки по вкладам");
        assert_eq!(k.len(), 5);
        assert_eq!(k[0].0, w("сбербанк"));
    }
}
