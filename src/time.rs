//! Times and durations as users write them: publication times in the forms feeds and pages use (RFC 3339 and RFC 2822 with or
//! without an offset, a bare date, a date with a month's name, Unix seconds, milliseconds, microseconds or nanoseconds) turned into
//! Unix seconds, and durations such as `7d` or `36h`. Inside, the time window and pruning work in Unix seconds (`i64`); the public API speaks
//! [`Timestamp`], which converts to and from [`SystemTime`]. Nothing here reads a clock except [`now`] and
//! [`Timestamp::now`].

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A point in time to the second, as storyhash keeps an article's time: whole seconds since the Unix epoch
/// (1970-01-01T00:00:00Z), negative before it. Converts from and to [`SystemTime`] (a fraction of a second
/// is dropped, rounding towards the past), from an `i64` of Unix seconds, and displays (and serialises) as
/// RFC 3339 in UTC, for example `2014-03-10T16:32:05Z`.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use storyhash::Timestamp;
///
/// let t = Timestamp::from(UNIX_EPOCH + Duration::from_secs(1_394_469_125));
/// assert_eq!(t.to_string(), "2014-03-10T16:32:05Z");
/// assert_eq!(Timestamp::parse("2014-03-10T18:32:05+02:00"), Some(t));
/// assert_eq!(Timestamp::parse("1394469125000"), Some(t)); // Unix milliseconds
/// assert_eq!(SystemTime::from(t), UNIX_EPOCH + Duration::from_secs(1_394_469_125));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The time `seconds` after the Unix epoch (before it when negative).
    pub const fn from_unix_seconds(seconds: i64) -> Timestamp {
        Timestamp(seconds)
    }

    /// Seconds since the Unix epoch.
    pub const fn unix_seconds(self) -> i64 {
        self.0
    }

    /// Now, by the system clock.
    pub fn now() -> Timestamp {
        Timestamp(now())
    }

    /// A publication time in one of the forms feeds use; `None` when it is in none of them.
    ///
    /// Understood:
    /// - RFC 3339 and its near kin: `2014-03-10T16:32:05Z`, `2014-03-10T16:32:05.123+02:00`,
    ///   `2014-03-10 16:32:05` (UTC), `2014-03-10 16:32:05 +01:00`, `2014-03-10 16:32:05 UTC`,
    ///   `2014-03-10 16:32:05 CET` (a zone's name as RFC 2822's below), `2014-03-10T16:32`,
    ///   `2014-03-10` (midnight UTC);
    /// - RFC 2822, as RSS's `pubDate` and e-mail write it: `Mon, 10 Mar 2014 16:55:01 GMT`,
    ///   `10 Mar 2014 16:55 +0100` (the day's name optional, a month's full name too; the zones `UT`,
    ///   `GMT`, `Z`, the North American ones, `ET`, `CT`, `MT` and `PT` with the United States' summer
    ///   time, and a few more that mean one offset each (`CET`, `JST`, `AEST`) by name, any other name
    ///   read as UTC, as the RFC says; none: UTC);
    /// - a date written with an English month's name, as pages show it: `March 10, 2014`, `Monday,
    ///   Mar. 10th, 2014 4:55 PM EST`, `10 March 2014 16:55` (a day's name and an ordinal ending
    ///   optional; a time of day on the 24-hour clock or with `AM`/`PM`; then a zone as RFC 2822's, an
    ///   offset or a name in capitals; none: UTC), and `2014/03/10[ 16:55:01]` (here and in RFC 3339's kin
    ///   above a month, day or hour may lack its leading zero: `2014-3-9 8:05`), and the day first with
    ///   dots, as European sites write it: `10.03.2014[ 16:55[:01]]`; never `03/10/2014`,
    ///   which reads as March or October; and the day, month and year as one word, `26-FEB-1987
    ///   15:01:01.79` (a fraction of the second dropped, here as in the forms above);
    /// - ISO 8601's basic form for a date of 1900 to 2199: `20140310`, `20140310165501`,
    ///   `20140310T165501Z` (eight or fourteen digits that are no such date are a number as below);
    /// - numbers: Unix seconds, or milliseconds, microseconds or nanoseconds when the number is too large
    ///   to be the coarser unit (milliseconds as in the UCI news data's `TIMESTAMP`), a fraction of it
    ///   dropped (`1394470501.5`).
    ///
    /// Every time read lies within the years 1 to 9999.
    pub fn parse(text: &str) -> Option<Timestamp> {
        parse_timestamp(text).map(Timestamp)
    }

    /// This time moved `by` into the past (saturating at the earliest representable time).
    pub fn before(self, by: Duration) -> Timestamp {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_sub(secs))
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Timestamp {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            Err(e) => {
                let d = e.duration();
                let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                // Towards the past: 0.5 s before the epoch is second -1.
                let extra = i64::from(d.subsec_nanos() > 0);
                Timestamp(whole.saturating_neg().saturating_sub(extra))
            }
        }
    }
}

impl From<Timestamp> for SystemTime {
    fn from(t: Timestamp) -> SystemTime {
        // Checked: on a system whose times stop short of year 1 or 9999 (Windows' begin in 1601), a
        // time beyond them reads as the Unix epoch rather than a panic.
        let d = Duration::from_secs(t.0.unsigned_abs());
        let shifted = if t.0 >= 0 {
            UNIX_EPOCH.checked_add(d)
        } else {
            UNIX_EPOCH.checked_sub(d)
        };
        shifted.unwrap_or(UNIX_EPOCH)
    }
}

/// Unix seconds.
impl From<i64> for Timestamp {
    fn from(seconds: i64) -> Timestamp {
        Timestamp(seconds)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_rfc3339(*self))
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (inverse of `days_from_civil`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A run of exactly `n` ASCII digits at the start of `s`, and the rest.
fn digits(s: &[u8], n: usize) -> Option<(u32, &[u8])> {
    if s.len() < n || !s[..n].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = s[..n]
        .iter()
        .fold(0u32, |v, &b| v * 10 + u32::from(b - b'0'));
    Some((value, &s[n..]))
}

/// [`Timestamp::parse`] as Unix seconds; its docs list the forms understood.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Some(t) = parse_compact(text.as_bytes()) {
        return Some(t);
    }
    // A fraction of a number is dropped, as a JSON number's is.
    let whole = match text.split_once('.') {
        Some((whole, fraction))
            if !fraction.is_empty() && fraction.bytes().all(|b| b.is_ascii_digit()) =>
        {
            whole
        }
        _ => text,
    };
    if !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = whole.parse().ok()?;
        // A number past 5138 CE in one unit is read in the next finer one.
        const PAST_SECONDS: i64 = 100_000_000_000;
        return Some(match n {
            n if n < PAST_SECONDS => n,
            n if n < PAST_SECONDS * 1_000 => n / 1_000,
            n if n < PAST_SECONDS * 1_000_000 => n / 1_000_000,
            n => n / 1_000_000_000,
        });
    }
    parse_written(text)
        .or_else(|| parse_day_first_with_dots(text))
        .or_else(|| parse_rfc2822(text))
        .or_else(|| parse_month_named(text))
        .or_else(|| parse_ctime(text))
        .filter(|t| (FIRST_SECOND..=LAST_SECOND).contains(t))
}

/// The month-first forms of C's `ctime` and of the programs that write a time as it does: Twitter's
/// `created_at` (`Wed Aug 27 13:08:45 +0000 2008`, the zone before the year), `ctime` itself (`Wed Aug 27
/// 13:08:45 2008`, UTC) and JavaScript's `Date.toString()` (`Mon Mar 10 2014 16:55:01 GMT+0000
/// (Coordinated Universal Time)`, the year before the time, the zone after `GMT` or `UTC`, its name in
/// brackets dropped). The day's name is not checked against the date.
fn parse_ctime(text: &str) -> Option<i64> {
    let text = text.split_once(" (").map_or(text, |(before, _)| before);
    let mut words = text.split_ascii_whitespace().peekable();
    let first = *words.peek()?;
    if first.bytes().all(|b| b.is_ascii_alphabetic()) && month_number(first).is_none() {
        words.next();
    }
    let month = month_number(words.next()?)?;
    let day = day_of_month(words.next()?)?;
    let year_of = |w: &str| -> Option<i64> {
        (w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit())).then(|| w.parse().ok())?
    };
    let rest: Vec<&str> = words.collect();
    let (year, time, zone) = match rest.as_slice() {
        // ctime and Twitter: the time, perhaps a zone, then the year.
        [time, year] if year_of(year).is_some() => (year_of(year)?, *time, None),
        [time, zone, year] if zone.starts_with(['+', '-']) => (year_of(year)?, *time, Some(*zone)),
        // JavaScript: the year, the time, perhaps a zone.
        [year, time] => (year_of(year)?, *time, None),
        [year, time, zone] => (year_of(year)?, *time, Some(*zone)),
        _ => return None,
    };
    let (hour, minute, second) = clock(time)?;
    let local = date_time(year, month, day, hour, minute, second)?;
    let offset = match zone {
        None => 0,
        Some(zone) => {
            let numeric = zone
                .strip_prefix("GMT")
                .or_else(|| zone.strip_prefix("UTC"))
                .filter(|rest| rest.starts_with(['+', '-']))
                .unwrap_or(zone);
            zone_offset(numeric, local)?
        }
    };
    Some(local - offset)
}

/// Seconds of a date and time of day, `None` when the date or the time is not one (a leap second 60
/// lands on the next second, as in RFC 3339).
fn date_time(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + minute * 60 + second))
}

/// ISO 8601's basic form: `YYYYMMDD`, `YYYYMMDDhhmmss` or `YYYYMMDDThhmm[ss][Z]`, UTC, for a year of
/// 1900 to 2199 (eight digits read as Unix seconds would name a day of 1970 to 1973, fourteen as
/// milliseconds a year past 2286).
pub(crate) fn parse_compact(s: &[u8]) -> Option<i64> {
    let (year, rest) = digits(s, 4)?;
    if !(1900..2200).contains(&year) {
        return None;
    }
    let (month, rest) = digits(rest, 2)?;
    let (day, rest) = digits(rest, 2)?;
    let (hour, minute, second) = match rest {
        [] => (0, 0, 0),
        [b'0'..=b'9', ..] => {
            let (hms, rest) = digits(rest, 6)?;
            if !rest.is_empty() {
                return None;
            }
            (hms / 10_000, hms / 100 % 100, hms % 100)
        }
        [b'T' | b't', rest @ ..] => {
            let rest = rest
                .strip_suffix(b"Z")
                .or_else(|| rest.strip_suffix(b"z"))
                .unwrap_or(rest);
            match rest.len() {
                4 => digits(rest, 4).map(|(hm, _)| (hm / 100, hm % 100, 0))?,
                6 => digits(rest, 6).map(|(hms, _)| (hms / 10_000, hms / 100 % 100, hms % 100))?,
                _ => return None,
            }
        }
        _ => return None,
    };
    date_time(year.into(), month, day, hour, minute, second)
}

/// RFC 2822's date and time, as RSS's `pubDate` writes it: `[Mon,] 10 Mar 2014 16:55[:01] [zone]`.
fn parse_rfc2822(text: &str) -> Option<i64> {
    // Words apart at white space or a comma (`Mon,10 Mar`); a comment in brackets at the end, as
    // e-mail writes the zone's name (`+0000 (UTC)`), is dropped.
    let text = text.split_once(" (").map_or(text, |(before, _)| before);
    let mut words = text
        .split(|c: char| c.is_ascii_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .peekable();
    // The day's name; its value is not checked against the date.
    if words.peek()?.bytes().all(|b| b.is_ascii_alphabetic()) {
        words.next();
    }
    let day = day_of_month(words.next()?)?;
    let month = month_number(words.next()?)?;
    let year = match words.next()? {
        y if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) => y.parse::<i64>().ok()?,
        // Two digits, as RFC 2822's obsolete form reads them: 00–49 in this century, 50–99 in the last.
        y if y.len() == 2 && y.bytes().all(|b| b.is_ascii_digit()) => {
            match y.parse::<i64>().ok()? {
                y @ 0..=49 => 2000 + y,
                y => 1900 + y,
            }
        }
        _ => return None,
    };
    let (hour, minute, second) = clock(words.next()?)?;
    let local = date_time(year, month, day, hour, minute, second)?;
    let offset = match words.next() {
        None => 0,
        // A time with `AM` or `PM` is no zone of RFC 2822 but a page's date (`parse_month_named`).
        Some(half) if is_half_of_day(half) => return None,
        Some(zone) => zone_offset(zone, local)?,
    };
    if words.next().is_some() {
        return None;
    }
    Some(local - offset)
}

/// A day of the month as dates write it in words, one or two digits (checked against its month later).
fn day_of_month(word: &str) -> Option<u32> {
    let digits = (1..=2).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| word.parse().ok())?
}

/// A time of day as RFC 2822 and pages write it, `H:MM` or `HH:MM:SS` (a fraction of the second
/// dropped: `HH:MM:SS.ff`): its hour, minute and second.
fn clock(written: &str) -> Option<(u32, u32, u32)> {
    let mut parts = written.split(':');
    let mut part = |width: std::ops::RangeInclusive<usize>| -> Option<u32> {
        let p = parts.next()?;
        if !width.contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let (hour, minute) = (part(1..=2)?, part(2..=2)?);
    let second = match parts.next() {
        None => 0,
        // A fraction of the second, as some wires write it (`15:01:01.79`), is dropped.
        Some(p) => {
            let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
            let whole = match p.split_once('.') {
                Some((whole, fraction)) if digits(fraction) => whole,
                Some(_) => return None,
                None => p,
            };
            if whole.len() != 2 || !digits(whole) {
                return None;
            }
            whole.parse().ok()?
        }
    };
    parts.next().is_none().then_some((hour, minute, second))
}

/// [`parse_timestamp`] of a date written with an English month's name, as pages show it: the month
/// before the day or after it, a day's name before both, an ordinal ending on the day, commas anywhere
/// between words (`January 2, 2025`, `Thursday, Jan. 2nd, 2025`, `2 January 2025`), then perhaps a
/// time of day, on the 24-hour clock or with `AM` or `PM` (`10:00 AM`, `9:30 p.m.`), and a zone as
/// RFC 2822 reads them.
fn parse_month_named(text: &str) -> Option<i64> {
    let mut words = text
        .split(|c: char| c.is_ascii_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .peekable();
    if month_number(words.peek()?).is_none()
        && words.peek()?.bytes().all(|b| b.is_ascii_alphabetic())
    {
        words.next();
    }
    let day_of = |word: &str| -> Option<u32> {
        let n = word.bytes().take_while(u8::is_ascii_digit).count();
        let ending = &word[n..];
        let ordinal = ["", "st", "nd", "rd", "th"]
            .iter()
            .any(|e| ending.eq_ignore_ascii_case(e));
        ((1..=2).contains(&n) && ordinal).then(|| word[..n].parse().ok())?
    };
    let first = words.next()?;
    let four_digits = |y: &str| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit());
    let mut dashed = first.splitn(3, '-');
    let dashed = (dashed.next(), dashed.next(), dashed.next());
    let (month, day, dashed_year) = match (month_number(first), dashed) {
        // The day, the month and the year in one word, as databases and some wires write it:
        // `26-FEB-1987`.
        (None, (Some(day), Some(month), Some(year))) if four_digits(year) => {
            (month_number(month)?, day_of(day)?, Some(year))
        }
        (Some(month), _) => (month, day_of(words.next()?)?, None),
        (None, _) => {
            let day = day_of(first)?;
            (month_number(words.next()?)?, day, None)
        }
    };
    let year: i64 = match dashed_year {
        Some(year) => year,
        None => words.next().filter(|y| four_digits(y))?,
    }
    .parse()
    .ok()?;
    let (mut hour, mut minute, mut second) = (0, 0, 0);
    let time_of_day = words.next_if(|w| w.contains(':'));
    let timed = time_of_day.is_some();
    if let Some(written) = time_of_day {
        (hour, minute, second) = clock(written)?;
        let half = words.next_if(|w| is_half_of_day(w));
        if let Some(half) = half {
            hour = in_half_of_day(hour, half)?;
        }
    }
    let local = date_time(year, month, day, hour, minute, second)?;
    // A zone only after a time, and written as one (an offset, or a name in capitals), not any word.
    let offset = match words.next() {
        None => 0,
        Some(zone) if timed && written_as_zone(zone) => zone_offset(zone, local)?,
        Some(_) => return None,
    };
    if words.next().is_some() {
        return None;
    }
    Some(local - offset)
}

/// Whether a word after a time of day says which half of the day it is: `AM` or `PM`, any case, with
/// dots or without.
fn is_half_of_day(word: &str) -> bool {
    ["am", "pm", "a.m.", "p.m."]
        .iter()
        .any(|h| word.eq_ignore_ascii_case(h))
}

/// The hour on the 24-hour clock of `hour` on the 12-hour clock in the `half` of the day (`AM`, `p.m.`);
/// `None` for an hour no 12-hour clock shows.
fn in_half_of_day(hour: u32, half: &str) -> Option<u32> {
    if !(1..=12).contains(&hour) {
        return None;
    }
    let afternoon = half.as_bytes()[0].eq_ignore_ascii_case(&b'p');
    Some(hour % 12 + if afternoon { 12 } else { 0 })
}

/// Whether a word after a time of day is written as a zone: an offset, or a name in capitals.
fn written_as_zone(word: &str) -> bool {
    word.starts_with(['+', '-'])
        || (word.len() <= 5 && word.bytes().all(|b| b.is_ascii_uppercase()))
}

/// A month by its English name or its first three letters, any case.
pub(crate) fn month_number(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let word = word.to_ascii_lowercase();
    let word = word.strip_suffix('.').unwrap_or(&word);
    if word.len() < 3 {
        return None;
    }
    let n = MONTHS
        .iter()
        .position(|m| *m == word || (word.len() == 3 && m.starts_with(word)))?;
    Some(n as u32 + 1)
}

/// Whether a written zone is UTC's: `Z`, `UTC` or `GMT`, any case.
fn is_utc(zone: &[u8]) -> bool {
    [&b"Z"[..], b"UTC", b"GMT"]
        .iter()
        .any(|z| zone.eq_ignore_ascii_case(z))
}

/// Seconds east of UTC of an offset `hh:mm` or `hhmm` after its sign (`b'+'` east, `b'-'` west).
fn numeric_offset(sign: u8, rest: &[u8]) -> Option<i64> {
    let (oh, rest) = digits(rest, 2)?;
    let rest = rest.strip_prefix(b":").unwrap_or(rest);
    let (om, rest) = digits(rest, 2)?;
    if !rest.is_empty() || oh > 23 || om > 59 {
        return None;
    }
    let o = i64::from(oh * 3600 + om * 60);
    Some(if sign == b'+' { o } else { -o })
}

/// Seconds east of UTC of an RFC 2822 zone at the local time `local` (seconds as if it were UTC):
/// `+hhmm` (or `+hh:mm`), or a name: `UT`, `GMT`, `Z`, the North American zones RFC 2822 names, the
/// ones American pages write without saying whether summer time is on (`ET`, `CT`, `MT`, `PT`: it is
/// on as the United States' rule of that year has it), and a few more that mean one offset each
/// (`CET`, `CEST`, `EET`, `JST`, `AEST`, …); any other name is UTC (RFC 2822, 4.3: "considered
/// equivalent to -0000"), such as `IST`, which names three.
fn zone_offset(zone: &str, local: i64) -> Option<i64> {
    let z = zone.as_bytes();
    if let [sign @ (b'+' | b'-'), rest @ ..] = z {
        return numeric_offset(*sign, rest);
    }
    if z.is_empty() || !z.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let summer = || i64::from(us_summer_time(local));
    let hours = match zone.to_ascii_uppercase().as_str() {
        "ET" => -5 + summer(),
        "CT" => -6 + summer(),
        "MT" => -7 + summer(),
        "PT" => -8 + summer(),
        "EDT" => -4,
        "EST" | "CDT" => -5,
        "CST" | "MDT" => -6,
        "MST" | "PDT" | "AKDT" => -7,
        "PST" | "AKST" => -8,
        "HST" => -10,
        // Names feeds use that mean one offset each (not `IST` or `BST`, which name several).
        "WEST" | "CET" => 1,
        "CEST" | "EET" => 2,
        "EEST" | "MSK" => 3,
        "JST" | "KST" => 9,
        "AEST" => 10,
        "AEDT" => 11,
        _ => 0,
    };
    Some(hours * 3600)
}

/// Whether summer time is on in the United States at the local time `local` (seconds as if it were
/// UTC), by the rule of its year: from 2007, from the second Sunday of March to the first of November;
/// from 1987, from the first Sunday of April to the last of October; from 1967, from the last Sunday
/// of April (in 1974 from January 6, in 1975 from February 23). Each turns at 2:00 local time; the hour
/// from 1:00 that the turn in autumn shows twice is read as summer time's. Before 1967 (no one rule),
/// never.
fn us_summer_time(local: i64) -> bool {
    let days = local.div_euclid(86_400);
    let (year, _, _) = civil_from_days(days);
    // The day of the `nth` Sunday (1-based; 0: the last) of `month` in `year`, as days since 1970.
    let sunday = |month: u32, nth: u32| -> i64 {
        let weekday = |d: i64| (d + 4).rem_euclid(7); // 1970-01-01 was a Thursday (4); Sunday is 0.
        if nth == 0 {
            let last = days_from_civil(year, month, days_in_month(year, month));
            last - weekday(last)
        } else {
            let first = days_from_civil(year, month, 1);
            first + (7 - weekday(first)) % 7 + 7 * i64::from(nth - 1)
        }
    };
    let (starts, ends) = match year {
        2007.. => (sunday(3, 2), sunday(11, 1)),
        1987..=2006 => (sunday(4, 1), sunday(10, 0)),
        // The energy crisis's years, when it began early.
        1974 => (days_from_civil(1974, 1, 6), sunday(10, 0)),
        1975 => (days_from_civil(1975, 2, 23), sunday(10, 0)),
        1967..=1986 => (sunday(4, 0), sunday(10, 0)),
        _ => return false,
    };
    let at_two = |day: i64| day * 86_400 + 2 * 3600;
    (at_two(starts)..at_two(ends)).contains(&local)
}

/// The time `secs` before `now` (Unix seconds), no earlier than 0001-01-01, the first second a time
/// is written for: an age of 99999999999 days names the beginning of the calendar, not a year before it.
pub fn before(now: i64, secs: u64) -> i64 {
    now.saturating_sub(i64::try_from(secs).unwrap_or(i64::MAX))
        .max(FIRST_SECOND)
}

/// 0001-01-01T00:00:00Z, the first second a written time may name.
const FIRST_SECOND: i64 = -62_135_596_800;
/// 9999-12-31T23:59:59Z, the last (a time zone offset could otherwise carry a time past it).
const LAST_SECOND: i64 = 253_402_300_799;

/// A date written day first with dots, as German, Russian and other European sites write it
/// (`30.04.2025`, `30.04.2025 10:23[:05]`, `30.04.2025, 10:23 Uhr`): what follows the date is read as
/// [`parse_written`] reads it. Dots are never the month-first American order.
fn parse_day_first_with_dots(text: &str) -> Option<i64> {
    let s = text.as_bytes();
    let (day, s) = one_or_two_digits(s)?;
    let s = s.strip_prefix(b".")?;
    let (month, s) = one_or_two_digits(s)?;
    let s = s.strip_prefix(b".")?;
    let (year, rest) = digits(s, 4)?;
    if rest.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let rest = std::str::from_utf8(rest).ok()?;
    // `30.04.2025, 10:23 Uhr`, as German sites write it.
    let rest = rest.strip_suffix(" Uhr").unwrap_or(rest);
    let (comma, rest) = match rest.strip_prefix(", ") {
        Some(time) if !time.is_empty() => (" ", time),
        _ => ("", rest),
    };
    parse_written(&format!("{year:04}-{month:02}-{day:02}{comma}{rest}"))
}

/// One or two ASCII digits at the start of `s` (a month, a day or an hour written without its leading
/// zero, as `2014-3-9 8:05` does), and the rest.
fn one_or_two_digits(s: &[u8]) -> Option<(u32, &[u8])> {
    digits(s, 2).or_else(|| digits(s, 1))
}

/// [`parse_timestamp`] of a time written as a date, with or without a time of day and offset.
fn parse_written(text: &str) -> Option<i64> {
    let s = text.as_bytes();
    let (year, s) = digits(s, 4)?;
    // `2014-03-10`, or `2014/03/10` as some sites write it; a month or day without its leading zero too.
    let (&separator, s) = s.split_first().filter(|(b, _)| matches!(b, b'-' | b'/'))?;
    let (month, s) = one_or_two_digits(s)?;
    let s = s.strip_prefix(&[separator])?;
    let (day, s) = one_or_two_digits(s)?;
    let year = i64::from(year);
    let Some((&sep, s)) = s.split_first() else {
        return date_time(year, month, day, 0, 0, 0);
    };
    if !matches!(sep, b'T' | b't' | b' ') {
        return None;
    }
    let (mut hour, s) = one_or_two_digits(s)?;
    let s = s.strip_prefix(b":")?;
    let (minute, mut s) = digits(s, 2)?;
    let mut second = 0;
    if let Some(rest) = s.strip_prefix(b":") {
        let (sec, rest) = digits(rest, 2)?;
        second = sec;
        s = rest;
        if let Some(rest) = s.strip_prefix(b".").or_else(|| s.strip_prefix(b",")) {
            let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            s = &rest[n..];
        }
    }
    // `AM` or `PM` after the time of day, as some sites write it after a date in numbers.
    if let Some(rest) = s.strip_prefix(b" ") {
        let end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
        if let Some(half) = std::str::from_utf8(&rest[..end])
            .ok()
            .filter(|w| is_half_of_day(w))
        {
            hour = in_half_of_day(hour, half)?;
            s = &rest[end..];
        }
    }
    let local = date_time(year, month, day, hour, minute, second)?;
    // An offset, UTC or a zone's name written after a space, as some feeds do.
    let offset = match s {
        b"" => 0,
        utc if is_utc(utc) => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => numeric_offset(*sign, rest)?,
        [b' ', rest @ ..] if is_utc(rest) => 0,
        [b' ', rest @ ..] => {
            let zone = std::str::from_utf8(rest).ok()?;
            if !written_as_zone(zone) {
                return None;
            }
            zone_offset(zone, local)?
        }
        _ => return None,
    };
    Some(local - offset)
}

/// Formats a time (a [`Timestamp`] or Unix seconds) as RFC 3339 in UTC, for example
/// `2014-03-10T16:32:05Z`.
pub fn format_rfc3339(time: impl Into<Timestamp>) -> String {
    let secs = time.into().0;
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Seconds as the largest whole unit that fits, as [`parse_duration`] and every duration flag read it
/// back: `7d`, `36h`, `90min`, `45s` (minutes as `min`, which the flags that refuse `m` take).
pub fn format_duration(secs: u64) -> String {
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("min", 60)] {
        if secs > 0 && secs.is_multiple_of(size) {
            return format!("{}{unit}", secs / size);
        }
    }
    format!("{secs}s")
}

/// Parses a duration such as `90s`, `15m` (or `15min`), `36h`, `7d` or `2w` into seconds. The unit is
/// required: `30` alone could mean seconds or days (a window of 30 seconds, a prune of nearly
/// everything), so it is refused.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix('-') {
        return Err(if rest.starts_with('-') {
            // A flag where a duration was wanted: the duration before it was left out.
            format!("`{t}` is a flag, not a duration; give the duration first: {EXAMPLES}")
        } else {
            format!("`{t}` is negative; write a number from 0 and a unit: {EXAMPLES}")
        });
    }
    let (number, unit) = split_number(t);
    if !number.is_empty() && unit.is_empty() {
        return Err(format!(
            "`{t}` has no unit; write it with one: {t}s, {t}min, {t}h, {t}d (days) or {t}w"
        ));
    }
    if !number.is_empty() && is_month_or_year(unit.trim()) {
        return Err(format!(
            "`{text}`: months and years are no units here (min is minutes); write them in days or \
             weeks: 30d, 365d, 52w"
        ));
    }
    let Ok(n) = number.parse::<u64>() else {
        return Err(match number.is_empty() {
            true => format!("`{text}` is not a duration; {}", duration_hint(t)),
            // Digits past what a number holds.
            false => format!("`{text}` is too long a duration"),
        });
    };
    // Units as written here (and `m` for minutes); other spellings are told how to write them.
    let unit = unit.trim();
    let Some((_, scale)) =
        unit_written(unit).filter(|&(written, _)| written == unit || unit == "m")
    else {
        return Err(format!("`{text}` is not a duration; {}", duration_hint(t)));
    };
    n.checked_mul(scale)
        .filter(|&s| s <= i64::MAX as u64 / 2)
        .ok_or_else(|| format!("`{text}` is too long a duration"))
}

/// The durations the messages give as examples.
const EXAMPLES: &str = "90s, 15min, 36h, 7d, 2w";

/// `text` split at its first character that is not an ASCII digit: its number and the rest.
fn split_number(text: &str) -> (&str, &str) {
    text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    )
}

/// Whether a unit as written names months or years, which durations do not take: `mo…`, `y…`, `M`.
fn is_month_or_year(unit: &str) -> bool {
    unit.starts_with("mo") || unit.starts_with(['y', 'Y']) || unit == "M" || unit.starts_with("Mo")
}

/// The unit a duration is written with here, and its seconds, for a unit as a person may write it
/// (`days`, `Hours`, `mins`); `None` for one that is none, or names months (`M`).
fn unit_written(unit: &str) -> Option<(&'static str, u64)> {
    let unit = unit.trim();
    if is_month_or_year(unit) {
        return None;
    }
    Some(match unit.to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => ("s", 1),
        "m" | "min" | "mins" | "minute" | "minutes" => ("min", 60),
        "h" | "hr" | "hrs" | "hour" | "hours" => ("h", 3600),
        "d" | "day" | "days" => ("d", 86_400),
        "w" | "wk" | "wks" | "week" | "weeks" => ("w", 7 * 86_400),
        _ => return None,
    })
}

/// `seconds` in the largest unit that holds them whole.
fn in_largest_unit(seconds: u64) -> String {
    let (unit, scale) = [("w", 7 * 86_400), ("d", 86_400), ("h", 3600), ("min", 60)]
        .into_iter()
        .find(|&(_, scale)| seconds.is_multiple_of(scale) && seconds >= scale)
        .unwrap_or(("s", 1));
    format!("{}{unit}", seconds / scale)
}

/// A number, maybe with a fraction (`1.5`, `0,5`), and the unit after it, if `text` is one.
fn number_and_unit(text: &str) -> Option<(f64, &str)> {
    let (whole, rest) = split_number(text.trim());
    let (fraction, unit) = match rest.strip_prefix(['.', ',']) {
        Some(after) => split_number(after),
        None => ("", rest),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let value = format!(
        "{}.{}",
        if whole.is_empty() { "0" } else { whole },
        fraction
    );
    Some((value.trim_end_matches('.').parse().ok()?, unit))
}

/// What to write instead of `text`, which is no duration: the same with its unit as written here (`30
/// days` as `30d`), a fraction in a smaller unit (`1.5d` as `36h`), several units as one (`1h30m` or
/// `2 d 12 h` as `90min`, `60h`).
fn duration_hint(text: &str) -> String {
    let plain = format!("write a number and a unit: {EXAMPLES}");
    if let Some((value, unit)) = number_and_unit(text) {
        if let Some((written, scale)) = unit_written(unit) {
            if value.fract() == 0.0 {
                return format!("write {}{written}", value as u64);
            }
            let seconds = (value * scale as f64).round() as u64;
            return format!("write whole numbers: {}", in_largest_unit(seconds));
        }
    }
    // Several units, each a whole number.
    let mut seconds = 0u64;
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (number, after) = split_number(rest);
        let after = after.trim_start();
        let letters = after
            .find(|c: char| c.is_ascii_digit() || c.is_whitespace())
            .unwrap_or(after.len());
        match (number.parse::<u64>(), unit_written(&after[..letters])) {
            (Ok(n), Some((_, scale))) => seconds = seconds.saturating_add(n.saturating_mul(scale)),
            _ => return plain,
        }
        rest = after[letters..].trim_start();
    }
    format!("give one number and one unit: {}", in_largest_unit(seconds))
}

/// The refusal of a span of news time written with `m` (`6m`): it reads as minutes, where months are
/// as often meant of a window or a story's time, as `prune` refuses it; `None` for any other text.
pub fn minutes_written_m(text: &str) -> Option<String> {
    let t = text.trim();
    let (number, unit) = split_number(t);
    (!number.is_empty() && unit.trim() == "m").then(|| {
        let n: u64 = number.parse().unwrap_or(0);
        format!(
            "`{t}` is refused: it reads as {n} minute{}, where months are as often meant; write \
             {n}min for minutes, or days for months ({}d)",
            if n == 1 { "" } else { "s" },
            n.saturating_mul(30)
        )
    })
}

/// Reads a [`parse_duration`] of at least a second (`--window`, `--story-gap`, `--story-span`), a bare
/// `0` included: a window or a story's time of none would take nothing; minutes written `m` are refused
/// ([`minutes_written_m`]).
pub fn parse_positive_duration(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if let Some(refused) = minutes_written_m(t) {
        return Err(refused);
    }
    let (number, unit) = split_number(t);
    let zero = !number.is_empty() && number.bytes().all(|b| b == b'0');
    match (zero && unit.is_empty(), parse_duration(t)) {
        (false, Ok(seconds)) if seconds > 0 => Ok(seconds),
        (false, Err(e)) => Err(e),
        _ => Err(format!(
            "`{t}` is no time; give at least a second: 90s, 30min, 36h, 7d or 2w"
        )),
    }
}

/// How long a store kept to `age` (`serve --retain`, `ingest --retain`) waits between two prunes: a
/// twenty-fourth of the age, a minute to an hour apart.
pub fn retention_every(age: Duration) -> Duration {
    (age / 24).clamp(Duration::from_secs(60), Duration::from_secs(3600))
}

/// Reads the age a prune keeps (`storyhash prune --older-than`, `POST /v1/prune?older_than=`, `serve
/// --retain`, Python's `prune`): a [`parse_duration`] of at least a minute, its minutes written `min`.
/// Less would drop every article stored until a moment ago, the slip of a unit (`30s` for `30d`)
/// emptying a store; and `6m`, which reads as six minutes, is most often six months meant, which would
/// keep only the last minutes' articles.
pub fn parse_prune_age(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (number, unit) = split_number(t);
    if !number.is_empty() && unit.is_empty() {
        return Err(match number.trim_start_matches('0').is_empty() {
            true => prunes_everything(t),
            false => format!("`{t}` has no unit; write it with one: {t}d (days), {t}h or {t}w"),
        });
    }
    // Minutes written `m`, a fraction of them too ("6m", "6 m", "1.5m").
    if let Some((value, "m")) = number_and_unit(t).map(|(v, unit)| (v, unit.trim())) {
        if value < 1.0 {
            return Err(prunes_everything(t));
        }
        let shown = t.trim_end_matches('m').trim();
        let minutes = if value == 1.0 { "minute" } else { "minutes" };
        return Err(format!(
            "`{t}` is refused as a prune age: as a duration it reads as {shown} {minutes}, which \
             would keep only the articles of the last {shown} {minutes}, where months are most often \
             meant; a month is written 30d ({}d for {shown}), and minutes {shown}min",
            (value * 30.0).round() as u64
        ));
    }
    let age = parse_duration(t)?;
    if age < 60 {
        return Err(prunes_everything(t));
    }
    Ok(age)
}

/// The refusal of a prune age under a minute.
fn prunes_everything(text: &str) -> String {
    format!(
        "`{text}` would prune every article stored until a moment ago; keep at least a minute (30d \
         keeps a month); to empty a store, remove its directory once nothing holds it"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_prunes_a_twenty_fourth_of_the_age_apart_within_a_minute_and_an_hour() {
        let every = |secs| retention_every(Duration::from_secs(secs)).as_secs();
        assert_eq!(every(30 * 86_400), 3600);
        assert_eq!(every(86_400), 3600);
        assert_eq!(every(6 * 3600), 900);
        assert_eq!(every(600), 60);
    }

    #[test]
    fn a_duration_written_otherwise_is_told_how_to_write_it() {
        for (written, hint) in [
            ("30 days", "write 30d"),
            ("30D", "write 30d"),
            ("2 weeks", "write 2w"),
            ("90 mins", "write 90min"),
            ("1.5d", "write whole numbers: 36h"),
            ("0,5h", "write whole numbers: 30min"),
            ("1h30m", "give one number and one unit: 90min"),
            ("2d 12h", "give one number and one unit: 60h"),
            ("soon", "write a number and a unit"),
            ("1M", "months and years are no units here"),
            ("2Y", "months and years are no units here"),
            ("5Min", "write 5min"),
            ("5 Minutes", "write 5min"),
            ("2 d 12 h", "give one number and one unit: 60h"),
            ("1.5M", "write a number and a unit"),
            ("99999999999999999999999d", "too long a duration"),
            ("3 fortnights", "write a number and a unit"),
        ] {
            let e = parse_duration(written).unwrap_err();
            assert!(e.contains(hint), "{written}: {e}");
        }
        // What the hints say to write is taken.
        for written in ["30d", "36h", "90min", "60h"] {
            assert!(parse_duration(written).is_ok(), "{written}");
        }
    }

    #[test]
    fn a_prune_keeps_at_least_a_minute() {
        assert_eq!(parse_prune_age("1min"), Ok(60));
        assert_eq!(parse_prune_age("90min"), Ok(5400));
        assert_eq!(parse_prune_age("30d"), Ok(30 * 86_400));
        for short in ["0s", "59s", "0d", "0", "00", "0min", "0m", "0.5m"] {
            let e = parse_prune_age(short).unwrap_err();
            assert!(e.contains("keep at least a minute"), "{short}: {e}");
        }
        // Six minutes, most often six months meant: the store would keep minutes of articles.
        for (months, said) in [
            ("1m", "30d"),
            ("6m", "180d for 6"),
            (" 12m ", "360d"),
            ("6 m", "180d for 6"),
            ("1.5m", "45d for 1.5"),
        ] {
            let e = parse_prune_age(months).unwrap_err();
            assert!(
                e.contains("reads as") && e.contains(said) && e.contains("min"),
                "{e}"
            );
        }
        // A unit to write, none of them refused in turn.
        let e = parse_prune_age("30").unwrap_err();
        assert!(e.contains("30d (days), 30h or 30w"), "{e}");
        for suggested in ["30d", "30h", "30w"] {
            assert!(parse_prune_age(suggested).is_ok());
        }
        assert!(parse_prune_age("-5d").unwrap_err().contains("negative"));
    }

    #[test]
    fn feed_timestamps_parse_to_unix_seconds() {
        let t = 1_394_469_125; // 2014-03-10T16:32:05Z
        for text in [
            "2014-03-10T16:32:05Z",
            "2014-03-10t16:32:05z",
            "2014-03-10T16:32:05.999Z",
            "2014-03-10T18:32:05+02:00",
            "2014-03-10T11:32:05-0500",
            "2014-03-10 16:32:05",
            "1394469125",
            "1394469125000",
            "1394469125000000",
            "1394469125123456789",
            "1394469125.5",
            "2014-03-10 16:32:05 UTC",
            "2014-03-10T17:32:05 +01:00",
            "Mon, 10 Mar 2014 16:32:05 GMT",
            "Mon, 10 Mar 2014 16:32:05 +0000",
            "Monday, 10 March 2014 17:32:05 +01:00",
            "10 Mar 2014 11:32:05 EST",
            "Mon 10 mar 14 09:32:05 PDT",
            "Mon,10 Mar 2014 16:32:05 gmt",
            "Mon, 10 Mar 2014 16:32:05 +0000 (UTC)",
            "10 Mar 2014 17:32:05 CET",
            "10 Mar 2014 16:32:05 XYZ",
            "2014-03-10 16:32:05 utc",
            "2014-3-10 16:32:05",
            "2014/3/10 4:32:05 PM",
            "10.03.2014 16:32:05",
            "10.3.2014 17:32:05 +01:00",
            "10.03.2014, 16:32:05 Uhr",
            "20140310163205",
            "20140310T163205Z",
            // ctime's order: Twitter's `created_at`, ctime, JavaScript's `Date.toString()`.
            "Mon Mar 10 16:32:05 +0000 2014",
            "Mon Mar 10 17:32:05 +0100 2014",
            "Mon Mar 10 16:32:05 2014",
            "Mar 10 16:32:05 2014",
            "Mon Mar 10 2014 16:32:05 GMT+0000 (Coordinated Universal Time)",
            "Mon Mar 10 2014 12:32:05 GMT-0400 (Eastern Daylight Time)",
            "Mon Mar 10 2014 16:32:05",
        ] {
            assert_eq!(parse_timestamp(text), Some(t), "{text}");
        }
        // Nor does that order take a word it does not know, a day past the month's or a clock
        // without its year.
        for text in [
            "Mon Mar 10 16:32:05 +0000",
            "Mon Mar 32 16:32:05 2014",
            "Mon Mar 10 16:32:05 later 2014",
            "Mon Mar 10 2014 16:32:05 GMT+0000 extra",
        ] {
            assert_eq!(parse_timestamp(text), None, "{text}");
        }
        let midnight = t - 16 * 3600 - 32 * 60 - 5;
        for text in ["20140310", "20140310T0000", "Mon, 10 Mar 2014 00:00"] {
            assert_eq!(parse_timestamp(text), Some(midnight), "{text}");
        }
        // Eight or fourteen digits that are no date of 1900 to 2199 stay a number.
        assert_eq!(parse_timestamp("20141310"), Some(20_141_310));
        assert_eq!(parse_timestamp("12345678"), Some(12_345_678));
        assert_eq!(parse_timestamp("13944691250000"), Some(13_944_691_250));
        // The largest number of each unit, and the first of the next: all within the years a
        // `datetime` holds.
        for (text, year) in [
            ("99999999999", 5138),
            ("100000000000", 1973),
            ("99999999999999", 5138),
            ("100000000000000", 1973),
            ("99999999999999999", 5138),
            ("100000000000000000", 1973),
            ("9223372036854775807", 2262),
        ] {
            let t = parse_timestamp(text).expect(text);
            assert!(format_rfc3339(t).starts_with(&year.to_string()), "{text}");
        }
        // A time zone offset cannot carry a written time out of the years 1 to 9999.
        assert_eq!(parse_timestamp("9999-12-31T23:59:59Z"), Some(LAST_SECOND));
        assert_eq!(parse_timestamp("9999-12-31T23:59:59-01:00"), None);
        assert_eq!(parse_timestamp("0001-01-01T00:00:00Z"), Some(FIRST_SECOND));
        assert_eq!(parse_timestamp("0001-01-01T00:00:00+01:00"), None);
        assert_eq!(parse_timestamp("0000-06-01"), None);
        for text in [
            "2014-03-10",
            "2014-3-10",
            "2014/3/10",
            "10.03.2014",
            "10.3.2014",
        ] {
            assert_eq!(parse_timestamp(text), Some(midnight), "{text}");
        }
        assert_eq!(
            parse_timestamp("2014-3-9 8:05"),
            Some(midnight - 16 * 3600 + 5 * 60)
        );
        assert_eq!(parse_timestamp("1969-12-31T23:59:59Z"), Some(-1));
        assert_eq!(parse_timestamp("2000-02-29T00:00:00Z"), Some(951_782_400));
    }

    #[test]
    fn an_age_before_now_stops_at_the_first_year() {
        assert_eq!(before(1_000, 400), 600);
        assert_eq!(before(1_000, u64::MAX), FIRST_SECOND);
        let huge = parse_duration("99999999999d").unwrap();
        assert_eq!(format_rfc3339(before(now(), huge)), "0001-01-01T00:00:00Z");
    }

    #[test]
    fn a_formatted_duration_reads_back() {
        for (secs, text) in [
            (604_800, "7d"),
            (129_600, "36h"),
            (5_400, "90min"),
            (45, "45s"),
            (0, "0s"),
        ] {
            assert_eq!(format_duration(secs), text);
        }
        for secs in [1, 59, 61, 3_599, 5_400, 86_401, 604_800] {
            assert_eq!(parse_duration(&format_duration(secs)), Ok(secs));
            assert_eq!(parse_positive_duration(&format_duration(secs)), Ok(secs));
        }
    }

    #[test]
    fn a_duration_that_must_be_some_time_refuses_none_as_such() {
        assert_eq!(parse_positive_duration("36h"), Ok(36 * 3_600));
        assert_eq!(parse_positive_duration("1s"), Ok(1));
        for none in ["0", "00", "0s", "0d", "0min"] {
            let e = parse_positive_duration(none).unwrap_err();
            assert!(
                e.contains("is no time; give at least a second"),
                "{none}: {e}"
            );
        }
        let e = parse_positive_duration("30").unwrap_err();
        assert!(e.contains("`30` has no unit"), "{e}");
        // Minutes written `m` are refused, as a prune's age refuses them: months are as often meant.
        assert_eq!(
            parse_positive_duration("6m"),
            Err("`6m` is refused: it reads as 6 minutes, where months are as often meant; write 6min \
                 for minutes, or days for months (180d)"
                .into())
        );
        assert_eq!(parse_positive_duration("6min"), Ok(360));
        // A word that begins as a month or a year does is no such unit.
        for word in ["yesterday", "month", "Monday"] {
            let e = parse_duration(word).unwrap_err();
            assert!(e.starts_with(&format!("`{word}` is not a duration")), "{e}");
        }
        assert_eq!(parse_duration("6m"), Ok(360));
    }

    #[test]
    fn a_duration_needs_its_unit() {
        assert_eq!(parse_duration("30d"), Ok(30 * 86_400));
        let e = parse_duration("30").unwrap_err();
        assert!(e.contains("`30` has no unit") && e.contains("30d"), "{e}");
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn malformed_timestamps_are_none() {
        for text in [
            "",
            "yesterday",
            "2014-13-01",
            "2014-02-30",
            "2014-03-10T25:00:00Z",
            "2014-03-10T16:32:05+",
            "2014-03-10T16:32:05.Z",
            "２０１４-03-10",
            "2014-3-1-0",
            "10.03.20145",
            "10.13.2014",
            "10.03.14",
            "10.03.2014x",
            "10.03.2014, ",
            "2014-03-100",
            "2014-3/10",
            "2014-03-10 6:5",
            "Mon, 10 Mar 2014 at noon",
            "Mon, 32 Mar 2014 16:32:05 GMT",
            "Mon, 10 Foo 2014 16:32:05 GMT",
            "Mon, 10 Mar 2014 16:32:05 GMT extra",
            "Mon, 10 Mar 2014 16:32:05 +25:00",
            "Mon, 10 Mar 2014 16:3:05 GMT",
            "10 Mar 214 16:32:05",
            "20140310T1632055",
            "1394469125.",
            "1394469125.5.5",
        ] {
            assert_eq!(parse_timestamp(text), None, "{text}");
        }
    }

    #[test]
    fn formatting_inverts_parsing() {
        for t in [
            0,
            -1,
            951_782_400,
            1_394_469_125,
            4_102_444_800,
            -2_208_988_800,
        ] {
            assert_eq!(parse_timestamp(&format_rfc3339(t)), Some(t), "{t}");
        }
    }

    #[test]
    fn timestamps_convert_to_and_from_system_time() {
        for secs in [0, 1, -1, 1_394_469_125, -2_208_988_800] {
            let t = Timestamp::from_unix_seconds(secs);
            assert_eq!(Timestamp::from(SystemTime::from(t)), t, "{secs}");
        }
        // A fraction of a second is dropped towards the past, on either side of the epoch.
        let after = UNIX_EPOCH + Duration::from_millis(1_500);
        assert_eq!(Timestamp::from(after).unix_seconds(), 1);
        let before = UNIX_EPOCH - Duration::from_millis(500);
        assert_eq!(Timestamp::from(before).unix_seconds(), -1);
        let t = Timestamp::from_unix_seconds(1_394_469_125);
        assert_eq!(t.to_string(), "2014-03-10T16:32:05Z");
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2014-03-10T16:32:05Z\""
        );
        assert_eq!(
            t.before(Duration::from_secs(86_400)).to_string(),
            "2014-03-09T16:32:05Z"
        );
        assert_eq!(
            Timestamp::from_unix_seconds(i64::MIN + 5).before(Duration::MAX),
            Timestamp::from_unix_seconds(i64::MIN)
        );
    }

    #[test]
    fn durations_take_a_unit() {
        let e = parse_duration("-1d").unwrap_err();
        assert!(e.contains("`-1d` is negative"), "{e}");
        assert!(parse_duration("-30")
            .unwrap_err()
            .contains("`-30` is negative"));
        assert!(parse_duration("--db")
            .unwrap_err()
            .contains("`--db` is a flag, not a duration"));
        assert_eq!(parse_duration("7d"), Ok(604_800));
        assert_eq!(parse_duration("36h"), Ok(129_600));
        assert_eq!(parse_duration("15m"), Ok(900));
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("2w"), Ok(1_209_600));
        assert!(parse_duration("7 days").is_err());
        assert!(parse_duration("d").is_err());
        assert!(parse_duration("-1d").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
        for months_or_years in ["1mo", "3months", "1y", "2yr"] {
            let e = parse_duration(months_or_years).unwrap_err();
            assert!(
                e.contains("months and years are no units here (min is minutes)"),
                "{e}"
            );
            assert!(e.contains("30d, 365d"), "{e}");
        }
    }

    #[test]
    fn american_zones_follow_summer_time_and_zones_read_after_any_written_time() {
        let at = |text: &str| parse_timestamp(text).map(format_rfc3339);
        // Pages write `ET` whether summer time is on or not: it is, from the second Sunday of March
        // (2014-03-09) to the first of November (2014-11-02), at 2:00.
        for (text, utc) in [
            ("Mar 10, 2014, 4:55 p.m. ET", "2014-03-10T20:55:00Z"),
            ("Mar 8, 2014, 4:55 p.m. ET", "2014-03-08T21:55:00Z"),
            ("Mar 9, 2014 1:59 AM ET", "2014-03-09T06:59:00Z"),
            ("Mar 9, 2014 3:00 AM ET", "2014-03-09T07:00:00Z"),
            ("Nov 1, 2014 12:00 PM CT", "2014-11-01T17:00:00Z"),
            ("Nov 2, 2014 12:00 PM CT", "2014-11-02T18:00:00Z"),
            ("10 Jul 2014 09:00 MT", "2014-07-10T15:00:00Z"),
            ("Jul 10, 2014 9:00 AM PT", "2014-07-10T16:00:00Z"),
            ("Jan 10, 2014 9:00 AM PT", "2014-01-10T17:00:00Z"),
            // The rule of 1987–2006: the first Sunday of April (1999-04-04) to the last of October.
            ("Apr 3, 1999 12:00 PM ET", "1999-04-03T17:00:00Z"),
            ("Apr 5, 1999 12:00 PM ET", "1999-04-05T16:00:00Z"),
            ("Oct 31, 1999 12:00 PM ET", "1999-10-31T17:00:00Z"),
            ("Jan 10, 1974 12:00 PM ET", "1974-01-10T16:00:00Z"),
            ("Jan 10, 1975 12:00 PM ET", "1975-01-10T17:00:00Z"),
            // The hour shown twice when summer time ends is read as the first, summer time's.
            ("Nov 2, 2014 1:30 AM ET", "2014-11-02T05:30:00Z"),
            ("Nov 2, 2014 2:00 AM ET", "2014-11-02T07:00:00Z"),
            // A date in numbers with `AM` or `PM` after its time of day.
            ("2014-03-10 04:55 PM", "2014-03-10T16:55:00Z"),
            ("2014/03/10 12:30 AM", "2014-03-10T00:30:00Z"),
            ("2014-03-10 04:55:01 p.m. ET", "2014-03-10T20:55:01Z"),
            // A zone's name after a date written by numbers, as after one written with a name.
            ("2014-03-10T16:55:01 CET", "2014-03-10T15:55:01Z"),
            ("2014-03-10 16:55 EST", "2014-03-10T21:55:00Z"),
            ("2014-07-10 16:55 ET", "2014-07-10T20:55:00Z"),
            // A name it does not know is UTC, as RFC 2822 has it.
            ("2014-03-10 16:55 IST", "2014-03-10T16:55:00Z"),
            // The day, month and year as one word, a fraction of the second dropped.
            ("26-FEB-1987 15:01:01.79", "1987-02-26T15:01:01Z"),
            ("3-Mar-1987", "1987-03-03T00:00:00Z"),
            ("10 March 2014 4:55:01.5 PM", "2014-03-10T16:55:01Z"),
            // A day before its month and a time with `PM` is no RFC 2822 time whose zone is `PM`.
            ("10 March 2014 4:55 PM", "2014-03-10T16:55:00Z"),
            ("Mon, 10 Mar 2014 4:55 pm", "2014-03-10T16:55:00Z"),
        ] {
            assert_eq!(at(text).as_deref(), Some(utc), "{text}");
        }
        for text in [
            "2014-03-10 16:55 tomorrow",
            "2014-03-10 16:55 CET extra",
            "26-FEB-87 15:01",
            "26-FEB-1987-1 15:01",
            "10 March 2014 4:55:01. PM",
            "10 March 2014 4:55:1 PM",
            "2014-03-10 13:00 PM",
            "2014-03-10 04:55 PM tomorrow",
        ] {
            assert_eq!(at(text), None, "{text}");
        }
    }

    #[test]
    fn dates_written_with_a_months_name_or_slashes_are_read() {
        let midnight = parse_timestamp("2025-01-02").unwrap();
        for text in [
            "January 2, 2025",
            "Jan 2, 2025",
            "Jan. 2nd, 2025",
            "Thursday, January 2, 2025",
            "2 January 2025",
            "2nd Jan 2025",
            "Thu, 2 Jan 2025",
            "2025/01/02",
            "2025/1/2",
        ] {
            assert_eq!(parse_timestamp(text), Some(midnight), "{text}");
        }
        let ten = midnight + 10 * 3600;
        for text in [
            "January 2, 2025 10:00",
            "January 2, 2025 10:00 AM",
            "Thursday, January 2, 2025 10:00:00 a.m.",
            "Jan 2, 2025 5:00 AM EST",
            "2 January 2025 11:00 +0100",
            "2025/01/02 10:00:00",
        ] {
            assert_eq!(parse_timestamp(text), Some(ten), "{text}");
        }
        assert_eq!(
            parse_timestamp("January 2, 2025 12:30 AM"),
            Some(midnight + 30 * 60)
        );
        assert_eq!(
            parse_timestamp("January 2, 2025 12:30 PM"),
            Some(midnight + 12 * 3600 + 1800)
        );
        assert_eq!(
            parse_timestamp("January 2, 2025 9:30 p.m."),
            Some(midnight + 21 * 3600 + 1800)
        );
        for text in [
            "January 2025",
            "January 32, 2025",
            "February 30, 2025",
            "January 2, 25",
            "January 2, 2025 13:00 PM",
            "January 2, 2025 10:00 tomorrow",
            "January 2, 2025 10:00:00:00",
            "03/10/2014",
            "2025/01-02",
            "Storm hits coast",
        ] {
            assert_eq!(parse_timestamp(text), None, "{text}");
        }
    }
}
