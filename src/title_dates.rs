//! The calendar dates and edition numbers a headline names ("October 13, 2025", "18 december", "Feb.
//! 26", "2025-11-15", "May 2025", "Week 6"), so that the editions of a series are not taken for
//! near-duplicates of each other: a daily horoscope, a night's police summary, a game's recap, a month's
//! free games or a week's fantasy rankings differ from the edition before by little more than the date
//! or the number. Two headlines that each name a day, and no day in common, are different articles
//! however alike their words, and so are two that name months of a year and none in common, or number
//! the same kind of edition with no number in common ([`TitleDates::conflicts_with`]); a headline that
//! names none matches as before. A series whose every edition carries one title names the date in its
//! body instead, whose days are read the same way when the title names no date
//! ([`TitleDates::of_body`], [`crate::prepare::dates`]).
//!
//! Read from the raw title rather than the normalised text, whose folding joins "07.30" into one number:
//! a number of one or two digits (1–31, with an ordinal ending such as "13th", "1er" or "1º") beside a
//! month's name, with only space (in a body, at most one line break) or a period between ("Feb. 26",
//! "3. März"), or the word "de" or "of" when the day comes first ("5 de diciembre", "1st of May"). Times
//! and decimals ("07.30", "7:30", "3,5") are no days. Either way a number could be something else, so
//! each form asks for more:
//!
//! - Day first ("18 December"): the date must close after the month, at the headline's end, at
//!   punctuation, or at a year or a time ("2 May 2025", "18 december 07.30,", "3. März:"). A word there
//!   reads on: "Police say 2 may face charges", "Android 17 August update".
//! - Month first ("December 18"): something must follow the day ("October 13, 2025", "September 8 WWE
//!   RAW"), since at a headline's very end a number after a month is as likely a counter or page number
//!   a crawler appended ("job openings rise in January" + " 7"). After a name that is also a common word
//!   or name ("may", "march", "mar", "Mars", "Mayo", "mai", "mei", "sept", "August"), a year or
//!   punctuation must follow the day: "Thousands march 5 miles" names no date. A period between is that
//!   of a short form ("Feb. 26"); after a full name it ends a sentence ("prices rose in January. 7
//!   people …").
//!
//! In a title, a month's name followed by a year and no day ("Free Games For May 2025", "mayo de 2025")
//! names the whole month (the year is not kept), beside any day the title names; a year right after a
//! day's month ("2 May 2025") only closes that date. Whole months are compared with whole months only: a
//! title's month is as often that of the figures it reports ("jobs in September 2025") as its
//! edition's, and another outlet's title of the same report names the day it came out. And a number
//! after a word that numbers editions (week, round, game, day, stage, episode, chapter, part, season,
//! beta, gameweek, matchday, volume, match) is an edition ("NFL Week 6 rankings", "Round 2 at
//! Oakmont"), when a letter or digit follows it somewhere: at a headline's end it is as likely a
//! crawler's counter as the dates' trailing day is. Two titles that name the same kind of edition and no
//! number of it in common are apart. A period between the word and the number ends a sentence ("this
//! week. 3 things we learned"), as it does after a full month's name. A date written with a slash and
//! no year ("SP Roundup 9/15", "Training Camp Notes: 8/7 Edition", "Tips 22/12") is an edition of its
//! own kind, its two numbers compared as written: "8/7" is the 7th of August in the US and the 8th of
//! July in Europe, so it is compared with no day written otherwise. And two titles that each name
//! versions, three or more groups of digits joined by dots ("Switch update 20.3.0 out now", "iOS
//! 26.5.2 fixes"), and none in common are apart: a version is read wherever it stands, since no
//! crawler's counter is written so, and compared by its numbers ("1.02.3" is "1.2.3"). A figure grouped
//! in thousands ("1.234.567") and a date written with dots ("15.09.2025", "8.7.26", "2025.09.15") are
//! no versions, and a title naming more than [`MAX_VERSIONS`] is not compared by them. Bodies are read
//! for days alone: a body names months, years and numbered rounds of what happened before, which set no
//! edition.
//!
//! Month names are those of English (with the usual abbreviations), Swedish, Danish, Norwegian, German,
//! Dutch, French, Spanish, Italian and Portuguese; the year is not kept, and a headline in another
//! script names no date here. At most [`MAX_DATES`] dates and [`MAX_EDITIONS`] editions are kept, the
//! first in reading order.

/// The most dates a headline keeps.
pub const MAX_DATES: usize = 3;

/// The most edition numbers a headline keeps.
pub const MAX_EDITIONS: usize = 2;

/// Bits of one date's code (`month × 32 + day`, at most 415; day 0 for a whole month).
const CODE_BITS: u32 = 9;

/// Bits of one edition's code: the word that numbers it (1–15) above its number (1–4095).
const EDITION_BITS: u32 = 16;

/// Bits of an edition's number.
const EDITION_NUMBER_BITS: u32 = 12;

/// Where the editions' codes start in a [`TitleDates`].
const EDITIONS_SHIFT: u32 = 32;

/// The words that number a series' editions, in lowercase; an edition's code holds the word's place
/// here plus one.
const EDITION_WORDS: [&str; 14] = [
    "week", "round", "game", "day", "stage", "episode", "chapter", "part", "season", "beta",
    "gameweek", "matchday", "volume", "match",
];

/// The kind of edition a date written with a slash and no year is ("Roundup 9/15", "Notes: 8/7
/// Edition"), after the words' kinds: its two numbers as written, compared only with other such dates,
/// since "8/7" is the 7th of August in the US and the 8th of July in Europe.
const SLASHED_DATE: usize = EDITION_WORDS.len();

/// The most versions a headline is compared by; one that names more is not compared by them.
pub const MAX_VERSIONS: usize = 3;

/// Bits of a version's code (a hash of its numbers, never zero).
const VERSION_BITS: u32 = 20;

/// The bit of [`TitleDates`]' versions word that says the headline names more than [`MAX_VERSIONS`].
const MORE_VERSIONS: u64 = 1 << 63;

/// The dates, edition numbers and versions a headline names, as small codes packed in two words (none:
/// zero): the dates' in the low half of the first, the editions' in its high half, the versions' in the
/// second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TitleDates(u64, u64);

impl TitleDates {
    /// A headline that names no date.
    pub const NONE: TitleDates = TitleDates(0, 0);

    /// The dates, whole months and editions `title` names.
    pub fn of(title: &str) -> TitleDates {
        read(title, true)
    }

    /// The days a body names: only those, as a body's months, years and numbered rounds are as often
    /// of what happened before as of the edition it belongs to.
    pub fn of_body(body: &str) -> TitleDates {
        read(body, false)
    }

    /// A title's dates and editions, with the days its `body` names (freed of boilerplate) in place of
    /// its dates when it names none: a series whose every edition carries one title names the date in
    /// the description.
    pub fn with_body_days(self, body: &str) -> TitleDates {
        if !self.names_no_date() {
            return self;
        }
        TitleDates(
            (self.0 & !DATES_MASK) | (Self::of_body(body).0 & DATES_MASK),
            self.1,
        )
    }

    /// Whether the headline names neither a date, nor an edition, nor a version.
    pub fn is_none(self) -> bool {
        self.0 == 0 && self.1 == 0
    }

    /// Whether the headline names no date (it may name an edition).
    pub fn names_no_date(self) -> bool {
        self.0 & DATES_MASK == 0
    }

    /// The dates, each as `(month, day)` (day 0: the whole month), in the order they were read.
    pub fn dates(self) -> impl Iterator<Item = (u32, u32)> {
        self.codes().map(|code| (code / 32, code % 32))
    }

    /// The editions, each as the word that numbers it and the number, in the order they were read; a
    /// date written with a slash as `("a/b", a × 100 + b)`.
    pub fn editions(self) -> impl Iterator<Item = (&'static str, u32)> {
        self.edition_codes().map(|code| {
            let number = code & ((1 << EDITION_NUMBER_BITS) - 1);
            match (code >> EDITION_NUMBER_BITS) as usize - 1 {
                SLASHED_DATE => ("a/b", number / 32 * 100 + number % 32),
                kind => (EDITION_WORDS[kind], number),
            }
        })
    }

    /// Whether two headlines are editions of a series apart: both name days and none in common, or both
    /// name whole months and none in common, or both number the same kind of edition and share no number
    /// of it, or both name versions and none in common. Then they are not near-duplicates. A day and a
    /// whole month are not compared: a title's month is as often that of the figures it reports ("jobs
    /// in September 2025") as its edition's.
    pub fn conflicts_with(self, other: TitleDates) -> bool {
        let apart = |whole_months: bool| {
            let of = move |dates: TitleDates| {
                dates
                    .codes()
                    .filter(move |c| c.is_multiple_of(32) == whole_months)
            };
            of(self).next().is_some()
                && of(other).next().is_some()
                && !of(self).any(|c| of(other).any(|d| d == c))
        };
        let dates_apart = apart(false) || apart(true);
        let word = |code: u32| code >> EDITION_NUMBER_BITS;
        let editions_apart = self.edition_codes().any(|e| {
            let of_kind =
                |dates: TitleDates| dates.edition_codes().filter(move |&c| word(c) == word(e));
            of_kind(other).next().is_some()
                && !of_kind(self).any(|c| of_kind(other).any(|d| d == c))
        });
        let versions_apart = self.versions().next().is_some()
            && other.versions().next().is_some()
            && !self.versions().any(|v| other.versions().any(|w| w == v));
        dates_apart || editions_apart || versions_apart
    }

    /// The versions named, each as a hash of its numbers (`1..2^20`), in the order they were read; none
    /// when the headline names more than [`MAX_VERSIONS`].
    pub fn versions(self) -> impl Iterator<Item = u32> {
        let mask = (1 << VERSION_BITS) - 1;
        let more = self.1 & MORE_VERSIONS != 0;
        (0..MAX_VERSIONS as u32)
            .map(move |k| ((self.1 >> (k * VERSION_BITS)) & mask) as u32)
            .take_while(move |&code| code != 0 && !more)
    }

    /// Adds a version's code unless it is held already; past [`MAX_VERSIONS`], marks the headline as
    /// naming more.
    fn add_version(&mut self, code: u32) {
        let held = self.versions().count();
        if self.1 & MORE_VERSIONS != 0 || self.versions().any(|v| v == code) {
            return;
        }
        if held == MAX_VERSIONS {
            self.1 |= MORE_VERSIONS;
        } else {
            self.1 |= u64::from(code) << (held as u32 * VERSION_BITS);
        }
    }

    fn codes(self) -> impl Iterator<Item = u32> {
        let mask = (1 << CODE_BITS) - 1;
        (0..MAX_DATES as u32)
            .map(move |k| ((self.0 >> (k * CODE_BITS)) & mask) as u32)
            .take_while(|&code| code != 0)
    }

    fn edition_codes(self) -> impl Iterator<Item = u32> {
        let mask = (1 << EDITION_BITS) - 1;
        (0..MAX_EDITIONS as u32)
            .map(move |k| ((self.0 >> (EDITIONS_SHIFT + k * EDITION_BITS)) & mask) as u32)
            .take_while(|&code| code != 0)
    }

    /// Whether no more dates nor (when `editions` are read) editions or versions can be kept.
    fn full(self, editions: bool) -> bool {
        self.codes().count() == MAX_DATES
            && (!editions
                || (self.edition_codes().count() == MAX_EDITIONS && self.1 & MORE_VERSIONS != 0))
    }

    /// Adds a date (day 0: a whole month) unless it is held already or [`MAX_DATES`] are.
    fn add(&mut self, month: u32, day: u32) {
        let code = month * 32 + day;
        let held = self.codes().count();
        if held < MAX_DATES && !self.codes().any(|c| c == code) {
            self.0 |= u64::from(code) << (held as u32 * CODE_BITS);
        }
    }

    /// Adds edition `number` of the `word`-th kind unless it is held already or [`MAX_EDITIONS`] are.
    fn add_edition(&mut self, word: usize, number: u32) {
        let code = ((word as u32 + 1) << EDITION_NUMBER_BITS) | number;
        let held = self.edition_codes().count();
        if held < MAX_EDITIONS && !self.edition_codes().any(|c| c == code) {
            self.0 |= u64::from(code) << (EDITIONS_SHIFT + held as u32 * EDITION_BITS);
        }
    }
}

/// The bits of a [`TitleDates`] that hold its dates.
const DATES_MASK: u64 = (1 << EDITIONS_SHIFT) - 1;

/// The dates `text` names; in a title (`title`), also whole months and editions.
fn read(text: &str, title: bool) -> TitleDates {
    let bytes = text.as_bytes();
    let mut dates = TitleDates::NONE;
    let mut at = 0;
    // Where the month of the last day read first ("2 May") ends: a year after it closes that date
    // rather than naming the whole month.
    let mut dated_month_end = None;
    // Each number in turn (most headlines have none and are done after one pass over their bytes), with
    // the words right before and after it.
    while let Some(offset) = first_digit(&bytes[at..]) {
        if dates.full(title) {
            // The first dates are all that is kept: a long body's later numbers go unread.
            break;
        }
        let number = number_at(text, at + offset);
        at = number.end;
        if let Some((month, day, end)) = iso_date_at(bytes, number.start) {
            dates.add(month, day);
            at = end;
            continue;
        }
        if title {
            if let Some((code, end)) = slashed_date_at(bytes, &number) {
                dates.add_edition(SLASHED_DATE, code);
                at = end;
                continue;
            }
            if let Some(code) = version_at(bytes, &number) {
                dates.add_version(code);
                at = number.end;
                continue;
            }
        }
        if !title && number.day.is_none() {
            continue;
        }
        let before = word_before(text, number.start);
        if let (true, Some(word)) = (title, before) {
            read_month_or_edition(text, &number, word, dated_month_end, &mut dates);
        }
        let Some(day) = number.day else {
            continue;
        };
        // "December 18": only with something after the day; after a name that is also a common word
        // ("may", "march", "Mayo"), only with a year or punctuation after it; after a period, only a
        // short form's ("Feb. 26").
        let month_first = before.and_then(|word| {
            let after_day = &text[number.end..];
            let read = if also_a_word(word) {
                !after_day.trim_start().is_empty() && closes_date(text, number.end)
            } else {
                after_day.chars().any(char::is_alphanumeric)
            };
            let dotted = period_before(text, number.start);
            month(word).filter(|_| read && (!dotted || short_form(word)))
        });
        if let Some(month) = month_first {
            dates.add(month, day);
        }
        // "18 December", "5 de diciembre", "1st of May": only with the date closed after the month
        // (see `closes_date`), so that "2 may face charges" or "Android 17 August update" is none.
        if let Some((month, end)) = month_after(text, number.end) {
            if closes_date(text, end) {
                dates.add(month, day);
                dated_month_end = Some(end);
            }
        }
    }
    dates
}

/// Reads a title's `number`, with the `word` right before it, as a year after a month's name ("May
/// 2025", "mayo de 2025": the whole month, unless the month is that of a day read before it, ending at
/// `dated_month_end`: "2 May 2025") or as an edition after a word that numbers them ("Week 6
/// rankings"), adding either to `dates`.
fn read_month_or_edition<'a>(
    title: &'a str,
    number: &Number,
    mut word: &'a str,
    dated_month_end: Option<usize>,
    dates: &mut TitleDates,
) {
    let written = &title[number.start..number.end];
    if !written.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    // A period before the number ends a sentence ("this week. 3 things", "in January. 2025 looks"),
    // unless it is a month's short form's ("Jan. 2025").
    let dotted = |end: usize| period_before(title, end);
    let value: u32 = written.parse().unwrap_or(0);
    if written.len() == 4 && (1900..2100).contains(&value) {
        let mut end = number.start;
        if word.eq_ignore_ascii_case("de") || word.eq_ignore_ascii_case("of") {
            if dotted(end) {
                return;
            }
            end = start_in(title, word);
            match word_before(title, end) {
                Some(before) => word = before,
                None => return,
            }
        }
        if dated_month_end == Some(start_in(title, word) + word.len()) {
            return;
        }
        if let Some(month) = month(word).filter(|_| !dotted(end) || short_form(word)) {
            dates.add(month, 0);
        }
        return;
    }
    let followed = title[number.end..].chars().any(char::is_alphanumeric);
    if written.len() > 4
        || value == 0
        || value >= 1 << EDITION_NUMBER_BITS
        || !followed
        || dotted(number.start)
    {
        return;
    }
    if let Some(kind) = EDITION_WORDS
        .iter()
        .position(|w| word.eq_ignore_ascii_case(w))
    {
        dates.add_edition(kind, value);
    }
}

/// The date written with a slash and no year that `number` starts ("9/15", "22/12", not "1/2/2025",
/// "19/20" nor the fraction of "9-1/4"): two numbers of one or two digits from 1 to 31, one of them at
/// most 12, coded as `a × 32 + b`, and where it ends.
fn slashed_date_at(bytes: &[u8], number: &Number) -> Option<(u32, usize)> {
    let digits = |from: usize| digits_at(bytes, from);
    let (start, end) = (number.start, number.end);
    let a_len = digits(start);
    if start + a_len != end
        || bytes.get(end) != Some(&b'/')
        || start.checked_sub(1).is_some_and(|i| bytes[i] == b'/')
    {
        return None;
    }
    let b_len = digits(end + 1);
    let b_end = end + 1 + b_len;
    let after = bytes.get(b_end).copied();
    // Not a mixed number's fraction ("9-7/8 pct").
    if start >= 2 && bytes[start - 1] == b'-' && bytes[start - 2].is_ascii_digit() {
        return None;
    }
    // Not within a longer run ("1/2/2025", "9/8a"), nor a fraction's decimal ("3/4.5").
    let decimal = matches!(after, Some(b'.' | b':' | b','))
        && bytes.get(b_end + 1).is_some_and(u8::is_ascii_digit);
    if !(1..=2).contains(&a_len)
        || !(1..=2).contains(&b_len)
        || decimal
        || after.is_some_and(|c| c == b'/' || c.is_ascii_alphanumeric())
    {
        return None;
    }
    // One or two digits each: small enough for a u32.
    let value = |from: usize, len: usize| value_of(&bytes[from..from + len]) as u32;
    let (a, b) = (value(start, a_len), value(end + 1, b_len));
    ((1..=31).contains(&a) && (1..=31).contains(&b) && a.min(b) <= 12)
        .then_some((a * 32 + b, b_end))
}

/// The version that `number` starts ("20.3.0", "26.5.2", "1.1.2.0"), as a code of its numbers (so that
/// "1.02.3" is "1.2.3"): three or more groups of digits joined by single dots, read wherever it stands
/// (a crawler's counter is no such thing). Not a figure grouped in thousands ("1.234.567"), nor a date
/// or a time written with dots: three groups that read as a day and a month before a year of two or four
/// digits, either way round ("15.09.2025", "8.7.26", "07.30.15"), or as a year of four digits, a month
/// and a day ("2025.09.15").
fn version_at(bytes: &[u8], number: &Number) -> Option<u32> {
    let start = number.start;
    let digits = |from: usize| digits_at(bytes, from);
    let value = |from: usize, len: usize| value_of(&bytes[from..from + len]);
    // FNV-1a over the groups' values.
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    let (mut end, mut groups, mut all_thousands) = (start, 0, true);
    let mut first = [(0u64, 0usize); 3];
    loop {
        let len = digits(end);
        let group = value(end, len);
        for byte in group.to_le_bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        if let Some(slot) = first.get_mut(groups) {
            *slot = (group, len);
        }
        all_thousands &= groups == 0 || len == 3;
        groups += 1;
        end += len;
        if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
            end += 1;
        } else {
            break;
        }
    }
    let [(a, a_len), (b, b_len), (c, c_len)] = first;
    let thousands = a_len <= 3 && all_thousands;
    let day_month = (1..=31).contains(&a)
        && (1..=31).contains(&b)
        && a.min(b) <= 12
        && a_len <= 2
        && b_len <= 2
        && matches!(c_len, 2 | 4);
    let year_first = a_len == 4 && (1..=12).contains(&b) && (1..=31).contains(&c);
    if groups < 3 || thousands || (groups == 3 && (day_month || year_first)) {
        return None;
    }
    Some((hash % ((1 << VERSION_BITS) - 1)) as u32 + 1)
}

/// How many ASCII digits run from byte `from` of `bytes`.
fn digits_at(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count()
}

/// The value of a run of ASCII digits (at most `u64::MAX`, however long the run).
fn value_of(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |n, b| {
        n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    })
}

/// Where `part`, a slice of `text`, starts in it.
fn start_in(text: &str, part: &str) -> usize {
    part.as_ptr() as usize - text.as_ptr() as usize
}

/// Whether the last of `text[..end]` but space is a period.
fn period_before(text: &str, end: usize) -> bool {
    text[..end].trim_end().ends_with('.')
}

/// Whether a month's name is a short form written with a period ("Feb.", "Sept."), rather than a full
/// name that a period after ends a sentence with ("January.", "May.").
fn short_form(word: &str) -> bool {
    (word.len() == 3
        && !["may", "maj", "mai", "mei"]
            .iter()
            .any(|w| word.eq_ignore_ascii_case(w)))
        || word.eq_ignore_ascii_case("sept")
}

/// A number in a headline: digits, then any `.`, `:` or `,` followed by more digits (a time or a
/// decimal), then any letters (an ordinal ending, or a unit).
struct Number {
    start: usize,
    end: usize,
    /// The day it gives: one or two digits from 1 to 31, with an ordinal ending ("13th") or none.
    day: Option<u32>,
}

/// The number that starts at byte `start` of `text` (an ASCII digit).
fn number_at(text: &str, start: usize) -> Number {
    let bytes = text.as_bytes();
    let digits = digits_at(bytes, start);
    let mut end = start + digits;
    let mut whole = true;
    while end + 1 < bytes.len()
        && matches!(bytes[end], b'.' | b':' | b',')
        && bytes[end + 1].is_ascii_digit()
    {
        whole = false;
        end += 1;
        end += digits_at(bytes, end);
    }
    let letters: usize = text[end..]
        .chars()
        .take_while(|c| c.is_alphabetic())
        .map(char::len_utf8)
        .sum();
    let ending = &text[end..end + letters];
    end += letters;
    let ordinal = ending.is_empty()
        || ["st", "nd", "rd", "th", "er", "º"]
            .iter()
            .any(|e| ending.eq_ignore_ascii_case(e));
    let day = (whole && ordinal && (1..=2).contains(&digits))
        .then(|| value_of(&bytes[start..start + digits]) as u32)
        .filter(|day| (1..=31).contains(day));
    Number { start, end, day }
}

/// Whether what lies between a month's name and a day lets them be read together: nothing but space
/// and at most one line break (a wire's lines are wrapped, "the week ended February\n18"; a body's
/// "since January.\n\n7 people" names no date), or the period of "Feb. 26" or "3. März".
fn joins(between: &str) -> bool {
    // Counted only where there is a line break: a title's gaps have none.
    if between.bytes().any(|b| b == b'\n' || b == b'\r') {
        let line_breaks = between.matches('\n').count() + between.matches('\r').count()
            - between.matches("\r\n").count();
        if line_breaks > 1 {
            return false;
        }
    }
    let between = between.trim();
    between.is_empty() || between == "."
}

/// The word (a run of letters) right before byte `end` of `text`, with only what [`joins`] lets
/// between.
fn word_before(text: &str, end: usize) -> Option<&str> {
    let head = &text[..end];
    let gap = head.len() - head.trim_end_matches(|c: char| !c.is_alphanumeric()).len();
    if !joins(&head[head.len() - gap..]) {
        return None;
    }
    let head = &head[..head.len() - gap];
    let word = head.len() - head.trim_end_matches(char::is_alphabetic).len();
    (word > 0).then(|| &head[head.len() - word..])
}

/// The word (a run of letters) right after byte `start` of `text`, with only what [`joins`] lets
/// between.
fn word_after(text: &str, start: usize) -> Option<&str> {
    let tail = &text[start..];
    let rest = tail.trim_start_matches(|c: char| !c.is_alphanumeric());
    if !joins(&tail[..tail.len() - rest.len()]) {
        return None;
    }
    let word = rest.len() - rest.trim_start_matches(char::is_alphabetic).len();
    (word > 0).then(|| &rest[..word])
}

/// The month named right after byte `start` of `text` (a day's end), with only space, a period or the
/// word "de" or "of" between ("13 October", "3. März", "5 de diciembre", "1st of May"), and where its
/// name ends.
fn month_after(text: &str, start: usize) -> Option<(u32, usize)> {
    let end_of = |word: &str| start_in(text, word) + word.len();
    let mut word = word_after(text, start)?;
    if word.eq_ignore_ascii_case("de") || word.eq_ignore_ascii_case("of") {
        word = word_after(text, end_of(word))?;
    }
    Some((month(word)?, end_of(word)))
}

/// Whether a date whose last word or number ends at byte `end` of `text` is closed there: by the
/// headline's end, by punctuation, or by a year or a time ("5 May 2025", "18 december 07.30,", "5 de
/// diciembre de 2025"), rather than by a word or a bare number that would read on ("2 may face
/// charges", "Android 17 August update", "Mayo 3 percent").
fn closes_date(text: &str, end: usize) -> bool {
    let rest = text[end..].trim_start();
    // "de" or "of" and a space: looked at in place, as a search for the next space would read a body
    // without one to its end at every date.
    let rest = ["de", "of"]
        .iter()
        .find_map(|word| {
            let after = rest.get(word.len()..)?;
            (rest[..word.len()].eq_ignore_ascii_case(word)
                && after.starts_with(char::is_whitespace))
            .then(|| after.trim_start())
        })
        .unwrap_or(rest);
    let Some(first) = rest.chars().next() else {
        return true;
    };
    if first.is_ascii_digit() {
        let start = text.len() - rest.len();
        let number = number_at(text, start);
        let written = &text[start..number.end];
        let digits = written.bytes().take_while(u8::is_ascii_digit).count();
        let year = digits == 4 && written.len() == 4;
        let time = written.contains([':', '.'])
            && written
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b':' || b == b'.');
        return year || time;
    }
    !first.is_alphanumeric()
}

/// Whether a month's name is also a common word or name ("may", "march", "mar", "Mars", "Mayo", "mai",
/// "mei", "sept", "August"): read after a number only when a year or punctuation closes the date.
fn also_a_word(word: &str) -> bool {
    [
        "may", "march", "mar", "mars", "mayo", "mai", "mei", "sept", "august",
    ]
    .iter()
    .any(|w| word.eq_ignore_ascii_case(w))
}

/// The month (1–12) a word names, in any case: the English names and short forms the time reader
/// knows (`time::month_number`), "Sept", and the other languages' names.
fn month(word: &str) -> Option<u32> {
    // The longest name ("septiembre") is ten bytes, the shortest three.
    if !(3..=10).contains(&word.len()) {
        return None;
    }
    if let Some(month) = crate::time::month_number(word) {
        return Some(month);
    }
    let month = match word.to_lowercase().as_str() {
        "januari" | "januar" | "janvier" | "enero" | "gennaio" | "janeiro" => 1,
        "februari" | "februar" | "février" | "febrero" | "febbraio" | "fevereiro" => 2,
        "mars" | "märz" | "marts" | "maart" | "marzo" | "março" => 3,
        "avril" | "abril" | "aprile" => 4,
        "maj" | "mai" | "mei" | "mayo" | "maggio" | "maio" => 5,
        "juni" | "juin" | "junio" | "giugno" | "junho" => 6,
        "juli" | "juillet" | "julio" | "luglio" | "julho" => 7,
        "augusti" | "augustus" | "août" | "agosto" => 8,
        "sept" | "septembre" | "septiembre" | "settembre" | "setembro" => 9,
        "oktober" | "octobre" | "octubre" | "ottobre" | "outubro" => 10,
        "novembre" | "noviembre" | "novembro" => 11,
        "dezember" | "desember" | "décembre" | "diciembre" | "dicembre" | "dezembro" => 12,
        _ => return None,
    };
    Some(month)
}

/// The ISO date (`2025-11-15`, not within a longer run of digits) that starts at byte `start` of
/// `bytes` (a digit not preceded by one), if there is one: its month, day and end.
fn iso_date_at(bytes: &[u8], start: usize) -> Option<(u32, u32, usize)> {
    let shape = bytes.get(start..start + 10)?;
    let digit = |i: usize| shape[i].is_ascii_digit();
    let framed = (0..4).all(digit)
        && shape[4] == b'-'
        && digit(5)
        && digit(6)
        && shape[7] == b'-'
        && digit(8)
        && digit(9)
        && !bytes.get(start + 10).is_some_and(u8::is_ascii_digit);
    if !framed {
        return None;
    }
    let two = |i: usize| u32::from(shape[i] - b'0') * 10 + u32::from(shape[i + 1] - b'0');
    let (month, day) = (two(5), two(8));
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some((month, day, start + 10))
}

/// Where the first ASCII digit of `bytes` lies: eight bytes at a time, as most headlines have none.
fn first_digit(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const ZEROS: u64 = u64::from_ne_bytes([b'0'; 8]);
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        // A digit is a byte below 10 once '0' is taken off by exclusive or; the test below flags the
        // first such byte exactly (a later one may be flagged falsely, which the scan never reads).
        let shifted = u64::from_le_bytes(word) ^ ZEROS;
        let below_ten = shifted.wrapping_sub(ONES * 10) & !shifted & HIGHS;
        if below_ten != 0 {
            return Some(at + below_ten.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(u8::is_ascii_digit)
        .map(|i| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(title: &str) -> Vec<(u32, u32)> {
        TitleDates::of(title).dates().collect()
    }

    fn editions(title: &str) -> Vec<(&'static str, u32)> {
        TitleDates::of(title).editions().collect()
    }

    /// A reproducible stream of pseudo-random numbers below 2^31 (a linear congruential generator).
    fn numbers(seed: u64) -> impl FnMut() -> usize {
        let mut state = seed;
        move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize
        }
    }

    #[test]
    fn reads_a_day_beside_a_month_in_either_order_and_in_several_languages() {
        assert_eq!(dates("Your daily horoscope: October 13, 2025"), [(10, 13)]);
        assert_eq!(dates("NYT Crossword Answers for Feb. 26, 2026"), [(2, 26)]);
        assert_eq!(
            dates("18 december 07.30, Sammanfattning natt, Örebro län"),
            [(12, 18)]
        );
        assert_eq!(
            dates("Multiple Matches Revealed for September 8 WWE RAW"),
            [(9, 8)]
        );
        assert_eq!(dates("Warnstreik am 3. März: Züge stehen still"), [(3, 3)]);
        assert_eq!(dates("Grève du 5 décembre : les transports"), [(12, 5)]);
        assert_eq!(dates("Grève générale le 1er mai"), [(5, 1)]);
        assert_eq!(dates("Huelga general el 1 DE MAYO"), [(5, 1)]);
        assert_eq!(
            dates("Sorteo del 5 de diciembre de 2025: resultados"),
            [(12, 5)]
        );
        assert_eq!(dates("Strike set for the 1st of May, 2026"), [(5, 1)]);
        assert_eq!(dates("Strike set for May 1st, 2026"), [(5, 1)]);
        assert_eq!(dates("Elections on 2 May 2025 in Britain"), [(5, 2)]);
        assert_eq!(dates("Rally set for March 5, 2026 in Selma"), [(3, 5)]);
        assert_eq!(dates("Gaza: 29 augusti 2025"), [(8, 29)]);
        assert_eq!(dates("Release notes 2025-11-15 published"), [(11, 15)]);
        assert_eq!(
            dates("Sale runs Nov 28 to Dec 2 this year"),
            [(11, 28), (12, 2)]
        );
    }

    #[test]
    fn times_decimals_years_and_a_trailing_counter_are_no_days() {
        assert!(TitleDates::of("Job openings rise in January 7").is_none());
        assert!(TitleDates::of("Capcom Spotlight set for June 25").is_none());
        assert!(TitleDates::of("december 07.30, Sammanfattning natt").is_none());
        assert!(TitleDates::of("Talks resume March 7:30 local time").is_none());
        assert!(TitleDates::of("World Cup 2026 draw in December").is_none());
        assert!(TitleDates::of("Bitcoin tops 100,000 in May").is_none());
        assert!(TitleDates::of("Talks resumed in March, 3 officials say").is_none());
        assert!(TitleDates::of("Warnstreik am 3. März in Berlin").is_none());
    }

    /// A body has lines: a date may be wrapped onto the next, but a month and a number a blank line
    /// apart are no date; "de" and "of" are read in place, whatever follows them.
    #[test]
    fn a_body_s_lines_and_long_runs_read_as_a_title_s_words_do() {
        assert!(TitleDates::of("Prices rose since January.\n\n7 people lost work").is_none());
        assert!(TitleDates::of("Sales in May\r\n\r\n12, the report says").is_none());
        assert!(TitleDates::of("Prices rose since 7\r\rJanuary, the report says").is_none());
        let dates = |text: &str| TitleDates::of(text).dates().collect::<Vec<_>>();
        assert_eq!(
            dates("in the week ended February\n18, the Fed said"),
            [(2, 18)]
        );
        assert_eq!(dates("payable April\r\n20 to holders of record"), [(4, 20)]);
        assert_eq!(
            dates("Sales on Jan. 6, 2025.\nMore on Feb. 7, 2025"),
            [(1, 6), (2, 7)]
        );
        assert_eq!(dates("Vote on 5 de diciembre de 2025"), [(12, 5)]);
        assert_eq!(dates("Vote on 5 de diciembre depois"), []);
        assert_eq!(dates("Vote on 5 de diciembre de"), []);
        assert_eq!(dates("Held on the 1st of May of 2025"), [(5, 1)]);
        // A date again and again without a space: each read once, and the first three kept.
        let run = "1.May,".repeat(20_000) + "2.June,3.July,4.August,";
        assert_eq!(dates(&run), [(5, 1), (6, 2), (7, 3)]);
    }

    #[test]
    fn a_month_name_that_is_also_a_word_needs_a_closed_date() {
        for title in [
            "Police say 2 may face charges after the stadium crush",
            "Up to 20 may have died in flash floods, officials say",
            "iOS 19 may let you move your eSIM to Android",
            "Top 10 may surprise you this season",
            "Thousands march 5 miles to the capital",
            "NASA says 2 Mars rovers are still working",
            "Shares of Mayo 3 percent higher in early trade",
            "Android 17 August update arrives on Pixel phones",
        ] {
            assert!(TitleDates::of(title).is_none(), "{title}");
        }
        assert!(TitleDates::of("Parliament votes 32 March budget").is_none());
        assert!(TitleDates::of("Trial 2025-13-01 and 12025-01-01 are no dates").is_none());
        assert!(TitleDates::of("").is_none());
        assert!(TitleDates::of("Новости 5 декабря").is_none());
    }

    #[test]
    fn a_number_on_each_side_is_read_in_the_form_it_fits() {
        let one = TitleDates::of("GTA 6 November 19 Date Holds as Take-Two Beats Earnings");
        let other = TitleDates::of("GTA 6 19 November Date Holds as Take-Two Beats Earnings");
        let both = TitleDates::of("Match on 6 November 19:30 kick-off");
        assert_eq!(one.dates().collect::<Vec<_>>(), [(11, 19)]);
        assert!(other.is_none());
        assert!(!one.conflicts_with(other));
        assert_eq!(both.dates().collect::<Vec<_>>(), [(11, 6)]);
    }

    #[test]
    fn only_headlines_that_both_name_dates_and_share_none_conflict() {
        let oct3 = TitleDates::of("Your daily horoscope: October 3, 2025");
        let oct13 = TitleDates::of("Your daily horoscope: October 13, 2025");
        let again = TitleDates::of("Horoscope for 3 October, 2025 edition");
        let undated = TitleDates::of("Your daily horoscope");
        assert!(oct3.conflicts_with(oct13) && oct13.conflicts_with(oct3));
        assert!(!oct3.conflicts_with(again));
        assert!(!oct3.conflicts_with(undated) && !undated.conflicts_with(oct3));
        assert!(!undated.conflicts_with(undated));
    }

    #[test]
    fn first_digit_finds_what_a_byte_by_byte_search_finds() {
        let mut next = numbers(3);
        // Bytes from the whole range, digits rare or dense, at every length around the word size.
        for round in 0..20_000 {
            let len = next() % 40;
            let bytes: Vec<u8> = (0..len)
                .map(|_| match next() % (2 + round % 30) {
                    0 => b'0' + (next() % 10) as u8,
                    _ => next() as u8,
                })
                .collect();
            let plain = bytes.iter().position(u8::is_ascii_digit);
            assert_eq!(first_digit(&bytes), plain, "{bytes:?}");
        }
    }

    #[test]
    fn any_text_reads_without_panicking_into_real_dates() {
        // Pieces that sit at the edges of the reading: digits and their separators, month names in
        // several cases and scripts, letters whose lowercase is longer ("İ"), combining marks, emoji.
        const PIECES: [&str; 28] = [
            "1",
            "13",
            "31",
            "32",
            "2025",
            "-",
            ".",
            ":",
            ",",
            " ",
            "  ",
            "May",
            "DÉCEMBRE",
            "märz",
            "Feb",
            "th",
            "st",
            "İ",
            "e\u{301}",
            "🔥",
            "x",
            "07.30",
            "2025-11-15",
            "\u{a0}",
            "Week",
            "de",
            "4096",
            "/",
        ];
        let mut next = numbers(17);
        let mut earlier = TitleDates::NONE;
        for _ in 0..20_000 {
            let len = next() % 12;
            let title: String = (0..len).map(|_| PIECES[next() % PIECES.len()]).collect();
            let dates = TitleDates::of(&title);
            assert!(dates.dates().count() <= MAX_DATES, "{title:?}");
            for (month, day) in dates.dates() {
                assert!(
                    (1..=12).contains(&month) && (0..=31).contains(&day),
                    "{title:?}"
                );
            }
            assert!(dates.editions().count() <= MAX_EDITIONS, "{title:?}");
            assert!(dates.versions().count() <= MAX_VERSIONS, "{title:?}");
            assert!(!dates.conflicts_with(dates), "{title:?}");
            assert_eq!(
                dates.conflicts_with(earlier),
                earlier.conflicts_with(dates),
                "{title:?}"
            );
            earlier = dates;
            let body = TitleDates::of_body(&title);
            assert!(body.editions().next().is_none(), "{title:?}");
            assert!(body.versions().next().is_none(), "{title:?}");
            assert!(body.dates().all(|(_, day)| day != 0), "{title:?}");
        }
    }

    #[test]
    fn keeps_at_most_the_first_dates_once_each() {
        let many = TitleDates::of("Jan 1, Jan 1, Feb 2, Mar 3, Apr 4 and May 5 schedule");
        assert_eq!(many.dates().collect::<Vec<_>>(), [(1, 1), (2, 2), (3, 3)]);
    }

    #[test]
    fn a_full_month_name_and_a_period_end_a_sentence() {
        assert!(TitleDates::of("Prices rose in January. 7 people lost work").is_none());
        assert!(TitleDates::of("Sales fell in June. 12 stores closed").is_none());
        assert!(TitleDates::of_body("Hiring slowed in June. 3 firms said so").is_none());
        assert_eq!(dates("Crossword answers for Feb. 26, 2026"), [(2, 26)]);
        assert_eq!(
            dates("Payments due Sept. 15, 2026 for most filers"),
            [(9, 15)]
        );
    }

    #[test]
    fn a_month_and_a_year_name_the_whole_month_in_a_title() {
        let may = TitleDates::of("PlayStation Plus Free Games For May 2025 Revealed");
        let august = TitleDates::of("PlayStation Plus Free Games For August 2025 Revealed");
        assert_eq!(may.dates().collect::<Vec<_>>(), [(5, 0)]);
        assert!(may.conflicts_with(august) && august.conflicts_with(may));
        assert_eq!(dates("Resultados de mayo de 2025"), [(5, 0)]);
        // A whole month and a day are not compared (the month of the figures, the day of the report),
        // and a title keeps both; a year after a day's month closes that date.
        let september = TitleDates::of("US added 150,000 jobs in September 2025, report says");
        let october_3 = TitleDates::of("Report says on October 3 that US added 150,000 jobs");
        assert!(!september.conflicts_with(october_3) && !october_3.conflicts_with(september));
        assert!(!may.conflicts_with(TitleDates::of("Free games announced May 5 for all")));
        assert_eq!(dates("Elections on 2 May 2025 in Britain"), [(5, 2)]);
        assert_eq!(
            dates("May 2025 elections: results of 2 May"),
            [(5, 0), (5, 2)]
        );
        assert_eq!(dates("Sorteo del 5 de diciembre de 2025"), [(12, 5)]);
        let june = TitleDates::of("Free Games For June 2025 Revealed, out on 6 May, 2025");
        let may = TitleDates::of("Free Games For May 2025 Revealed, out on 6 May, 2025");
        assert_eq!(june.dates().collect::<Vec<_>>(), [(6, 0), (5, 6)]);
        assert!(june.conflicts_with(may) && may.conflicts_with(june));
        // A short form's period joins; a full name's ends a sentence.
        assert_eq!(dates("Free games for Jan. 2026 revealed"), [(1, 0)]);
        assert!(TitleDates::of("Prices rose in January. 2025 looks bleak").is_none());
        // Not a year, or in a body: no month.
        assert!(TitleDates::of("Sales of May 3000 units").is_none());
        assert!(TitleDates::of_body("The law passed in March 2024 and took effect").is_none());
    }

    #[test]
    fn editions_numbered_differently_conflict_unless_the_number_ends_the_headline() {
        let week_6 = TitleDates::of("Week 6 Fantasy Football Rankings - The Blueprint");
        let week_8 = TitleDates::of("Week 8 Fantasy Football Rankings - The Blueprint");
        assert_eq!(editions("Week 6 Fantasy Football Rankings"), [("week", 6)]);
        assert!(week_6.conflicts_with(week_8) && week_8.conflicts_with(week_6));
        assert!(!week_6.conflicts_with(TitleDates::of("Fantasy Football Rankings")));
        // Another kind of edition, or the same one named again, is no conflict.
        let round_2 = TitleDates::of("Golf scores, tee times for Round 2 at Oakmont");
        assert!(!week_6.conflicts_with(round_2));
        assert!(!week_6.conflicts_with(TitleDates::of("NFL week 6 picks and odds")));
        assert_eq!(
            editions("Week 2 Results | Contender Series Season 9 recap"),
            [("week", 2), ("season", 9)]
        );
        let season_9 = TitleDates::of("Week 3 Results | Contender Series Season 9 recap");
        assert!(season_9.conflicts_with(TitleDates::of("Week 2 Results | Season 9 recap")));
        // At the headline's end a number may be a crawler's counter; within a longer number or a
        // version, or after another word, it is no edition.
        assert!(TitleDates::of("EU aims for deal on failing banks next week 17").is_none());
        assert!(TitleDates::of("Russia-Ukraine war: key events, day 1,406 of the war").is_none());
        assert!(TitleDates::of("Apple releases iOS 26.5 beta 4.1 today").is_none());
        assert!(TitleDates::of("Jets lose again this week. 3 things we learned").is_none());
        assert_eq!(
            editions("Jets lose again in Week 6: 3 things we learned"),
            [("week", 6)]
        );
        assert!(TitleDates::of("Season 0 and week 4096 are out of range").is_none());
        // Dates and editions are read together; a body's title editions stay beside its days.
        let both = TitleDates::of("Week 6 picks for October 13, 2025 games");
        assert_eq!(both.dates().collect::<Vec<_>>(), [(10, 13)]);
        assert_eq!(both.editions().collect::<Vec<_>>(), [("week", 6)]);
        let with_body = week_6.with_body_days("Games of October 13, 2025");
        assert_eq!(with_body.dates().collect::<Vec<_>>(), [(10, 13)]);
        assert!(with_body.conflicts_with(week_8));
        assert!(TitleDates::of_body("The team lost Game 3 on Sunday").is_none());
    }

    #[test]
    fn dates_written_with_a_slash_are_compared_as_written() {
        let sep_15 = TitleDates::of("Fantasy Baseball SP Roundup 9/15: In The Box Score");
        let mar_29 = TitleDates::of("Fantasy Baseball SP Roundup 3/29: In The Box Score");
        assert_eq!(editions("Training Camp Notes: 8/7 Edition"), [("a/b", 807)]);
        assert_eq!(editions("Dagens Dubbel Tips 22/12"), [("a/b", 2212)]);
        assert!(sep_15.conflicts_with(mar_29) && mar_29.conflicts_with(sep_15));
        assert!(!sep_15.conflicts_with(TitleDates::of("SP Roundup 9/15: notes")));
        // Not compared with a day written otherwise.
        assert!(!sep_15.conflicts_with(TitleDates::of("SP Roundup for September 16: notes")));
        for title in [
            "Payments due 1/2/2025 for most",
            "Covid 19/20 season report",
            "Shares rose 3/4.5 points",
            "Score 0/3 in the first half",
            "Section 8/9a passed",
            "Rohr sells debentures at 9-1/4 pct",
        ] {
            assert!(TitleDates::of(title).editions().next().is_none(), "{title}");
        }
        assert!(TitleDates::of_body("Notes of 8/7 and 8/8").is_none());
    }

    #[test]
    fn titles_naming_different_versions_conflict() {
        let of = TitleDates::of;
        let versions = |title: &str| of(title).versions().count();
        let v20_3 = of("Nintendo Switch 2 and Switch update 20.3.0 out now, patch notes");
        let v20_1 = of("Nintendo Switch 2 and Switch update 20.1.5 out now, patch notes");
        assert!(v20_3.conflicts_with(v20_1) && v20_1.conflicts_with(v20_3));
        // The same version reworded, named at the end, or written with leading zeros, is no conflict.
        assert!(!v20_3.conflicts_with(of("Switch system update 20.3.0 is live: the notes")));
        assert!(!v20_3.conflicts_with(of("Patch notes for Switch update 20.3.0")));
        assert!(!v20_3.conflicts_with(of("Switch update 20.03.00 out now")));
        assert!(of("iOS 26.6.1 fixes 20 issues").conflicts_with(of("iOS 26.5.2 fixes 25 issues")));
        assert!(of("Battlefield 6 update 1.1.2.0 live")
            .conflicts_with(of("Battlefield 6 update 1.1.3.0 live")));
        // Versions are a set of their own: one in common is enough, and they neither take an
        // edition's place nor are compared with a slashed date.
        let three = of("Apple patches zero-day in macOS 15.6.1, iPadOS 17.7.9 and iOS 18.6.2 now");
        assert_eq!(three.versions().count(), 3);
        assert!(!three.conflicts_with(of("Apple patches zero-day in iOS 18.6.2 now")));
        assert!(of("Fortnite update 1.2.3 and 1.2.4 for Season 5 out")
            .conflicts_with(of("Fortnite update 1.2.3 and 1.2.4 for Season 6 out")));
        assert!(
            !of("Patch notes 9/15: update 20.3.0 out").conflicts_with(of("Patch notes 9/15 out"))
        );
        assert!(
            !of("Roundup 9/15: who to start").conflicts_with(of("Roundup 20.3.0: who to start"))
        );
        // More than can be kept: not compared by versions.
        let many = of("Versions 1.0.1, 1.0.2, 1.0.3 and 1.0.4 compared");
        assert_eq!(many.versions().count(), 0);
        assert!(!many.conflicts_with(of("Version 1.0.9 out")));
        // Not a version: thousands, dates and times written with dots, decimals, two groups.
        for title in [
            "Lotto jackpot hits 1.234.567 euros",
            "Unfall am 15.09.2025 mit zwei Verletzten",
            "Patriots Practice Report 8.7.26 notes",
            "Seoul 2025.09.15 briefing",
            "Race won in 2.01.09 at the track",
            "Rates at 6.67% and 6.47% this week",
            "iOS 26.1 fixes bugs",
            "Meet at 10.30 today",
        ] {
            assert_eq!(versions(title), 0, "{title}");
        }
        assert!(!of("Unfall am 15.09.2025 mit zwei Verletzten")
            .conflicts_with(of("Unfall am 15.9.2025 mit zwei Verletzten")));
        assert_eq!(versions("Minecraft Java Edition 1.21.0 out"), 1);
        assert_eq!(versions("Update 1.2.3 and 1.2.3 again"), 1);
        // The rest of a number after a version is not read on its own ("1.2.3,5").
        assert_eq!(dates("Update 1.2.3,5 May 2025 notes"), [(5, 0)]);
        assert!(TitleDates::of_body("Update 20.3.0 follows 20.1.5").is_none());
    }
}
