//! Folding: turns text (already freed of boilerplate) into lowercase words joined by single ASCII spaces.
//! Letters are lowercased, with `ς`→`σ` and `ß`→`ss`; everything that is neither alphanumeric nor a
//! combining mark separates words, except that apostrophes and periods between two alphanumerics and soft
//! hyphens are deleted, so "don't" and "U.S." become "dont" and "us". Text is taken in Unicode NFKC: one
//! pass over the bytes folds ASCII eight bytes at a time where it can, decodes only the non-ASCII
//! characters and checks on the way that the text already is in NFKC, as nearly all headlines are; text
//! that may not be is folded again from its NFKC form. That common path allocates nothing beyond the
//! output. Also holds the fallback used when a text has no word at all (only symbols or emoji).

use unicode_normalization::char::{canonical_combining_class, is_combining_mark};
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Appends the folded words of `text` to `out`: lowercase, separated by one ASCII space, with a space
/// before the first word when `out` already holds a word. Never panics.
pub(crate) fn fold(text: &str, out: &mut String) {
    let need_space = !out.is_empty() && !out.ends_with(' ');
    let start = out.len();
    let mut buf = std::mem::take(out).into_bytes();
    buf.reserve(text.len() + 1);
    let unstable = match Folder::new(&mut buf, need_space).fold_nfkc_str(text) {
        Some(unstable) => unstable,
        None => {
            buf.truncate(start);
            Folder::new(&mut buf, need_space).fold_chars(nfkc_chars(text))
        }
    };
    // Folding can leave text that NFKC would change again ("ß\u{301}" → "ss\u{301}" → "sś"); fold such
    // output once more so that folding is idempotent.
    if unstable {
        let tail = buf.split_off(start.min(buf.len()));
        let tail = into_string(tail);
        if tail.nfkc().eq(tail.chars()) {
            buf.extend_from_slice(tail.as_bytes());
        } else {
            Folder::new(&mut buf, need_space).fold_chars(tail.nfkc());
        }
    }
    *out = into_string(buf);
}

/// The NFKC form of `text`, except that the acute accent, a joiner here, is taken as an apostrophe
/// rather than decomposed into a space and a combining mark.
fn nfkc_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars()
        .map(|c| if c == '\u{B4}' { '\'' } else { c })
        .nfkc()
}

/// The folder writes only whole UTF-8 encodings of chars into a buffer that held a `String`, so this
/// never has to repair anything; it is written without `unwrap` all the same.
fn into_string(buf: Vec<u8>) -> String {
    match String::from_utf8(buf) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// The fallback canonical form for text that folds to nothing: NFKC, lowercased, runs of white space (and
/// invisible characters) collapsed to one ASCII space, trimmed. Appends to `out`, with a space before it
/// when `out` is not empty.
pub(crate) fn fold_fallback(text: &str, out: &mut String) {
    let mut pending_space = !out.is_empty();
    for c in text.nfkc() {
        if is_blank(c) {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
        pending_space = false;
        out.extend(c.to_lowercase());
    }
}

/// White space, control characters and invisible format characters (zero-width space and joiners, word
/// joiner, byte order mark, bidirectional marks and embeddings, soft hyphen).
pub(crate) fn is_blank(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{AD}'
        )
}

/// Apostrophes (straight, curly, the modifier letter and the acute accent, often typed for one) and the
/// period: deleted between alphanumerics.
pub(crate) fn is_joiner(c: char) -> bool {
    matches!(
        c,
        '\'' | '.' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{B4}'
    )
}

/// Invisible characters deleted wherever they are: the soft hyphen and the variation selectors.
fn is_deleted(c: char) -> bool {
    matches!(c, '\u{AD}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Class of a byte (ASCII only; others are never looked up): separator, alphanumeric or joiner.
const SEP: u8 = 0;
const ALNUM: u8 = 1;
const JOINER: u8 = 2;

const ASCII_CLASS: [u8; 256] = {
    let mut t = [SEP; 256];
    let mut b = 0;
    while b < 128 {
        if (b as u8).is_ascii_alphanumeric() {
            t[b] = ALNUM;
        }
        b += 1;
    }
    t[b'\'' as usize] = JOINER;
    t[b'.' as usize] = JOINER;
    t
};

const ONES: u64 = u64::from_le_bytes([1; 8]);
const HIGH: u64 = ONES * 0x80;

/// The high bit of each byte of `x` (all bytes ASCII) that lies in `lo..=hi`; no carry crosses bytes.
const fn bytes_in_range(x: u64, lo: u8, hi: u8) -> u64 {
    (x + ONES * (0x80 - lo as u64)) & !(x + ONES * (0x7F - hi as u64)) & HIGH
}

/// The lowercase form of `run[k..k + 8]` as a little-endian word, when those bytes fold to exactly that:
/// all are letters, digits or spaces, no two spaces are adjacent, the first byte is a space only after
/// an alphanumeric (`after_alnum`) and the last only before one.
fn clean_chunk(run: &[u8], k: usize, after_alnum: bool) -> Option<u64> {
    let bytes: [u8; 8] = run.get(k..k + 8)?.try_into().ok()?;
    let x = u64::from_le_bytes(bytes);
    let lower = x | (bytes_in_range(x, b'A', b'Z') >> 2);
    let alnum = bytes_in_range(lower, b'a', b'z') | bytes_in_range(x, b'0', b'9');
    let space = !((x ^ (ONES * 0x20)) + ONES * 0x7F) & HIGH;
    let clean = (alnum | space) == HIGH
        && space & (space >> 8) == 0
        && (space & 0x80 == 0 || after_alnum)
        && (space >> 56 == 0 || run.get(k + 8).is_some_and(u8::is_ascii_alphanumeric));
    clean.then_some(lower)
}

/// Non-ASCII characters common in headlines that fold the same with or without NFKC and are starters
/// (canonical combining class 0), so the quick check can skip its table look-ups: Latin-1 letters, × and
/// ÷, the soft hyphen, en and em dashes and curly quotes (all NFKC-stable), the no-break space and the
/// ellipsis, whose NFKC forms (a space, three periods) separate words just as they do, and the acute
/// accent, which folds as an apostrophe on both paths.
fn skips_quick_check(c: char) -> bool {
    matches!(c, '\u{A0}' | '\u{AD}' | '\u{B4}' | '\u{C0}'..='\u{FF}')
        || matches!(
            c,
            '\u{2013}'
                | '\u{2014}'
                | '\u{2018}'
                | '\u{2019}'
                | '\u{201C}'
                | '\u{201D}'
                | '\u{2026}'
        )
}

/// `c` can be the second character of a canonical composition or be reordered before its predecessor
/// (NFKC quick check Maybe or No, or a non-zero combining class).
fn may_compose_with_previous(c: char) -> bool {
    !skips_quick_check(c)
        && (canonical_combining_class(c) != 0
            || is_nfkc_quick(std::iter::once(c)) != IsNormalized::Yes)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between words.
    Sep,
    /// Inside a word.
    Word,
    /// Inside a word, just after a joiner that is deleted if an alphanumeric follows.
    Join,
}

/// The folding state machine, writing UTF-8 into `buf`.
struct Folder<'a> {
    buf: &'a mut Vec<u8>,
    state: State,
    /// A space goes before the next word.
    need_space: bool,
    /// The last character written was changed by folding, or a joiner was deleted after it.
    prev_changed: bool,
    /// A changed character was directly followed by a non-ASCII one, which might compose with it
    /// ("J\u{30C}" → "j\u{30C}", which NFKC composes to "ǰ"): the output may not be in NFKC.
    unstable: bool,
}

impl<'a> Folder<'a> {
    fn new(buf: &'a mut Vec<u8>, need_space: bool) -> Self {
        Folder {
            buf,
            state: State::Sep,
            need_space,
            prev_changed: false,
            unstable: false,
        }
    }

    /// Folds `text` in one pass while running the NFKC quick check. Returns `None` (having written part
    /// of the output) as soon as the text is not known to be in NFKC, else whether the output may not be.
    fn fold_nfkc_str(mut self, text: &str) -> Option<bool> {
        let bytes = text.as_bytes();
        let mut last_cc = 0u8;
        let mut i = 0;
        while let Some(rest) = bytes.get(i..).filter(|r| !r.is_empty()) {
            let ascii = rest.iter().position(|&b| b >= 0x80).unwrap_or(rest.len());
            if ascii > 0 {
                self.ascii_run(&rest[..ascii]);
                last_cc = 0;
                i += ascii;
                continue;
            }
            let c = text.get(i..).and_then(|rest| rest.chars().next())?;
            i += c.len_utf8();
            if skips_quick_check(c) {
                last_cc = 0;
            } else {
                let cc = canonical_combining_class(c);
                if (cc != 0 && last_cc > cc)
                    || is_nfkc_quick(std::iter::once(c)) != IsNormalized::Yes
                {
                    return None;
                }
                last_cc = cc;
            }
            self.char(c);
        }
        Some(self.unstable)
    }

    /// Folds a run of ASCII bytes. Eight bytes at a time when they are letters, digits and single
    /// spaces between them (most of a headline), whose folded form is their lowercase form; the rest
    /// byte by byte without branching on the bytes, from a window of three byte classes: a joiner is
    /// deleted between two alphanumerics, and a word starts at an alphanumeric after anything else.
    /// Output goes into room reserved for the longest possible output: each byte gives at most one byte,
    /// and a space follows a byte that gave none, except the one before the run's first word.
    fn ascii_run(&mut self, run: &[u8]) {
        let base = self.buf.len();
        self.buf.resize(base + run.len() + 1, 0);
        let out = &mut self.buf[..];
        let mut w = base;
        // Classes of the two bytes before the current one, as the state machine left them.
        let (mut c2, mut c1) = match self.state {
            State::Sep => (SEP, SEP),
            State::Word => (SEP, ALNUM),
            State::Join => (ALNUM, JOINER),
        };
        let mut any_word = usize::from(self.need_space);
        let mut k = 0;
        while k < run.len() {
            let continues = (c1 == ALNUM) | ((c1 == JOINER) & (c2 == ALNUM));
            if let Some(lower) = clean_chunk(run, k, c1 == ALNUM) {
                if let Some(dst) = out.get_mut(w..w + 9) {
                    // A space before the chunk's first word if it starts one (it starts with an
                    // alphanumeric unless the previous byte was one).
                    dst[0] = b' ';
                    let space = usize::from(!continues) & any_word;
                    dst[space..space + 8].copy_from_slice(&lower.to_le_bytes());
                    w += space + 8;
                    // A chunk ends in an alphanumeric, or in a space already written and followed by
                    // an alphanumeric, which so continues the output's last word.
                    (c2, c1) = (ALNUM, ALNUM);
                    any_word = 1;
                    k += 8;
                    continue;
                }
            }
            let end = run.len().min(k + 8);
            for &b in &run[k..end] {
                let c0 = ASCII_CLASS[usize::from(b)];
                let alnum = usize::from(c0 == ALNUM);
                let continues = (c1 == ALNUM) | ((c1 == JOINER) & (c2 == ALNUM));
                out[w] = b' ';
                w += alnum & usize::from(!continues) & any_word;
                out[w] = b.to_ascii_lowercase();
                w += alnum;
                any_word |= alnum;
                c2 = c1;
                c1 = c0;
            }
            k = end;
        }
        self.buf.truncate(w);
        self.state = if c1 == ALNUM {
            State::Word
        } else if c1 == JOINER && c2 == ALNUM {
            State::Join
        } else {
            State::Sep
        };
        self.need_space = any_word != 0;
        self.prev_changed = run.last().is_some_and(u8::is_ascii_uppercase);
    }

    /// Folds a stream of characters that is in NFKC. Returns whether the output may not be.
    fn fold_chars<I: Iterator<Item = char>>(mut self, chars: I) -> bool {
        for c in chars {
            if c.is_ascii() {
                let b = c as u8;
                match ASCII_CLASS[usize::from(b)] {
                    ALNUM => self.push_ascii(b.to_ascii_lowercase(), b.is_ascii_uppercase()),
                    JOINER => self.joiner(),
                    _ => self.separator(),
                }
            } else {
                self.char(c);
            }
        }
        self.unstable
    }

    /// One non-ASCII character.
    #[inline]
    fn char(&mut self, c: char) {
        match c {
            // Latin-1 letters: uppercase ones lowercase by adding 0x20.
            '\u{C0}'..='\u{DE}' if c != '×' => {
                self.push_letter(char::from_u32(u32::from(c) + 0x20).unwrap_or(c), true);
            }
            '\u{DF}'..='\u{FF}' if c != '÷' => self.push_letter(c, false),
            // What a deleted character separated may now compose.
            _ if is_deleted(c) => self.prev_changed = true,
            _ if is_joiner(c) => self.joiner(),
            // General Punctuation (dashes, quotes, spaces, zero-width and direction marks) has no
            // alphanumerics or marks: skip the table look-ups.
            '\u{2000}'..='\u{206F}' => self.separator(),
            _ if c.is_alphanumeric() => {
                // Lowercase letters map to themselves and only alphanumerics have a lowercase mapping
                // (both checked by a test over all of Unicode); testing is cheaper than the mapping.
                if c.is_lowercase() {
                    self.push_letter(c, false);
                } else {
                    for l in c.to_lowercase() {
                        self.push_letter(l, l != c);
                    }
                }
            }
            // Marks stay in their word, but a mark that follows no letter (as in the NFKC form of a
            // spacing accent, a space and a mark) starts none.
            _ if is_combining_mark(c) && self.state == State::Word => {
                self.push_char(c, false, false)
            }
            _ => self.separator(),
        }
    }

    /// A lowercase alphanumeric, with the `ς`→`σ` and `ß`→`ss` folds.
    #[inline]
    fn push_letter(&mut self, l: char, changed: bool) {
        match l {
            'ς' => self.push_char('σ', true, true),
            'ß' => {
                self.push_ascii(b's', true);
                self.push_ascii(b's', true);
            }
            _ => self.push_char(l, true, changed),
        }
    }

    #[inline]
    fn joiner(&mut self) {
        self.state = if self.state == State::Word {
            State::Join
        } else {
            State::Sep
        };
    }

    #[inline]
    fn separator(&mut self) {
        self.state = State::Sep;
    }

    /// Moves into a word before a word character is written.
    #[inline]
    fn enter_word(&mut self, alnum: bool) {
        match self.state {
            State::Word => {}
            State::Join if alnum => self.prev_changed = true,
            State::Join | State::Sep => {
                if self.need_space {
                    self.buf.push(b' ');
                }
                self.need_space = true;
                self.prev_changed = false;
            }
        }
        self.state = State::Word;
    }

    /// An ASCII alphanumeric (already lowercase).
    #[inline]
    fn push_ascii(&mut self, b: u8, changed: bool) {
        self.enter_word(true);
        self.buf.push(b);
        self.prev_changed = changed;
    }

    #[inline]
    fn push_char(&mut self, c: char, alnum: bool, changed: bool) {
        if c.is_ascii() {
            // A lowercase mapping into ASCII ('K' Kelvin sign → 'k'): an alphanumeric.
            self.push_ascii(c as u8, changed);
            return;
        }
        self.enter_word(alnum);
        if self.prev_changed && may_compose_with_previous(c) {
            self.unstable = true;
        }
        let mut utf8 = [0u8; 4];
        self.buf
            .extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        self.prev_changed = changed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> String {
        let mut out = String::new();
        fold(s, &mut out);
        out
    }

    /// The general path, forced, for comparing with the ASCII fast path.
    fn f_general(s: &str) -> String {
        let mut buf = Vec::new();
        Folder::new(&mut buf, false).fold_chars(nfkc_chars(s));
        into_string(buf)
    }

    #[test]
    fn ascii_words_are_lowercased_and_single_spaced() {
        assert_eq!(
            f("  Fed   holds\trates,\r\nagain!  "),
            "fed holds rates again"
        );
        assert_eq!(f("a\0b"), "a b");
        assert_eq!(f("!!!"), "");
        assert_eq!(f(""), "");
    }

    #[test]
    fn apostrophes_and_periods_join_only_between_alphanumerics() {
        assert_eq!(f("don't"), "dont");
        assert_eq!(f("U.S."), "us");
        assert_eq!(f("U.S.-Russia talks"), "us russia talks");
        assert_eq!(f("up 3.5% in Q1"), "up 35 in q1");
        assert_eq!(f("'quoted' end."), "quoted end");
        assert_eq!(f("a''b a..b"), "a b a b");
        assert_eq!(f("Portugal’s ʼn ‘x’"), "portugals n x");
    }

    #[test]
    fn general_path_agrees_with_ascii_fast_path() {
        for s in [
            "don't",
            "U.S.-Russia talks",
            "up 3.5% in Q1",
            "  Fed   holds\trates,\r\nagain!  ",
            "a''b a..b 'x' .y. z.",
            "A-B_C|D::E",
            "",
            "...",
        ] {
            assert_eq!(f(s), f_general(s), "input {s:?}");
        }
    }

    #[test]
    fn soft_hyphens_are_deleted_inside_words() {
        assert_eq!(f("läkemedels\u{AD}företag"), "läkemedelsföretag");
        assert_eq!(f("Master\u{AD}programmet"), "masterprogrammet");
    }

    /// The one-pass fast path (with its quick-check shortcuts) gives what folding the NFKC form gives.
    #[test]
    fn fast_path_agrees_with_nfkc_path_on_mixed_text() {
        let pieces = [
            "a", "Ö", "ö", "É", "ß", "ẞ", "Σ", "ς", "J", "\u{30C}", "\u{301}", "\u{345}", "ά", "İ",
            "ﬁ", "Ａ", "中", "ق", "\u{64E}", "🔥", " ", "'", "’", ".", "…", "\u{A0}", "\u{AD}",
            "\u{200B}", "–", "“", "-", "7", "\u{1100}", "\u{1161}", "\u{93C}", "क", "\u{9BE}",
            "\u{9C7}", "×", "Å", "´", "\u{FE0F}", "¨",
        ];
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..20_000 {
            let mut s = String::new();
            for _ in 0..(seed % 9) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let general = f_general(&s);
            let renormalized: String = general.nfkc().collect();
            let reference = if renormalized == general {
                general
            } else {
                f_general(&renormalized)
            };
            let fast = f(&s);
            assert_eq!(fast, reference, "input {s:?}");
            assert_eq!(f(&fast), fast, "input {s:?}");
        }
    }

    #[test]
    fn unicode_is_nfkc_folded_and_lowercased() {
        assert_eq!(f("ＡＢＣ"), "abc");
        assert_eq!(f("e\u{301}"), f("é"));
        assert_eq!(f("ΟΔΟΣ οδός"), "οδοσ οδόσ");
        assert_eq!(f("Straße STRAẞE"), "strasse strasse");
        assert_eq!(f("ﬁnance"), "finance");
        assert_eq!(f("ab\u{200b}cd"), "ab cd");
        assert_eq!(
            f("ab\u{200d}cd\u{200f}ef\u{200e}gh\u{feff}ij"),
            "ab cd ef gh ij"
        );
        assert_eq!(f("“surge” — 🔥 – end"), "surge end");
    }

    #[test]
    fn folding_is_idempotent_when_lowercasing_breaks_nfkc() {
        assert_eq!(f("ß\u{301}"), "sś");
        assert_eq!(f("word ẞ\u{301}"), "word sś");
        assert_eq!(f("J\u{30C}"), "ǰ");
        assert_eq!(f("ά'\u{345}"), "ᾴ");
        for s in ["ß\u{301}", "İstanbul", "ΐ ŉ ǅ", "Ⅻ ㎏ ﷺ", "x\u{345}y"] {
            assert_eq!(f(&f(s)), f(s), "input {s:?}");
        }
    }

    /// The general path skips case mapping for lowercase letters and for everything that is not
    /// alphanumeric; this holds for every char of the Unicode version in use.
    #[test]
    fn case_mapping_shortcuts_hold_for_all_of_unicode() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let changes = c.to_lowercase().ne(std::iter::once(c));
            if changes {
                assert!(c.is_alphanumeric() && !c.is_lowercase(), "{c:?}");
            }
        }
    }

    #[test]
    fn combining_marks_continue_words_but_start_none() {
        assert_eq!(f("\u{301}"), "");
        assert_eq!(f("x \u{301}\u{302} y"), "x y");
        assert_eq!(f("x\u{302}\u{323}y"), "x\u{323}\u{302}y");
        assert_eq!(f("INSÄNDARE: ¨Förhindra"), "insändare förhindra");
    }

    #[test]
    fn acute_accent_is_an_apostrophe_and_variation_selectors_vanish() {
        assert_eq!(f("Europe´s"), "europes");
        assert_eq!(f("Europe´s ﬁ"), "europes fi");
        assert_eq!(f("⚖\u{FE0F} Global"), "global");
        assert_eq!(f("ok\u{FE0F}ay"), "okay");
    }

    #[test]
    fn appending_separates_from_existing_words() {
        let mut out = String::from("first");
        fold("Second word", &mut out);
        fold("!!!", &mut out);
        fold("Τρίτο", &mut out);
        assert_eq!(out, "first second word τρίτο");
    }

    #[test]
    fn fallback_keeps_symbols_and_collapses_space() {
        let mut a = String::new();
        fold_fallback("  🔥 \u{200b} 🔥  ", &mut a);
        assert_eq!(a, "🔥 🔥");
        let mut b = String::new();
        fold_fallback("!!!", &mut b);
        assert_eq!(b, "!!!");
        let mut c = String::new();
        fold_fallback("\u{feff} \r\n", &mut c);
        assert_eq!(c, "");
    }
}
