//! Boilerplate removal on raw text, before folding: leading wire tags ("UPDATE 2-", "EXCLUSIVE-",
//! "Breaking:"), trailing syndication suffixes (" - Reuters", " | AP", the feed's own source name, "(Update
//! 2)", "..."), credit parentheses ("(With inputs from agencies.)", "(Reporting by ...; Editing by ...)"),
//! agency datelines ("LONDON, May 20 (Reuters) -"), and in bodies desk lines, bare time-stamp lines and
//! AI-image disclaimers. Matching is hand-written, ASCII-case-insensitive and works on byte indices that
//! always fall on char boundaries; every function returns a sub-slice of its input, or a cleaned `String`
//! only when something inside the text was removed. Nothing is stripped when nothing would remain.

use std::borrow::Cow;

use memchr::{memchr, memchr2, memchr2_iter, memchr_iter, memrchr, memrchr2, memrchr3};

use super::fold::is_blank;

/// `text` without white space or invisible characters at either end.
pub(crate) fn trim_blank(text: &str) -> &str {
    trim_blank_end(trim_blank_start(text))
}

fn trim_blank_start(text: &str) -> &str {
    match text.as_bytes().first() {
        Some(b) if b.is_ascii_graphic() => text,
        _ => text.trim_start_matches(is_blank),
    }
}

fn trim_blank_end(text: &str) -> &str {
    match text.as_bytes().last() {
        Some(b) if b.is_ascii_graphic() => text,
        _ => text.trim_end_matches(is_blank),
    }
}

fn has_content(text: &str) -> bool {
    !trim_blank_start(text).is_empty()
}

/// `needle` (lowercase ASCII) is a prefix of `hay`, ignoring ASCII case.
fn starts_with_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.get(..needle.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(needle))
}

/// First position of `needle` (lowercase ASCII, non-empty) in `hay`, ignoring ASCII case.
fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let &first = needle.first()?;
    memchr2_iter(first, first.to_ascii_uppercase(), hay)
        .find(|&i| starts_with_ci(&hay[i..], needle))
}

fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| c == b' ' || c == b'\t') {
        i += 1;
    }
    i
}

/// The byte length of an en or em dash (U+2013, U+2014) starting at `i`, if there is one.
fn unicode_dash_at(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i..i + 3) {
        Some([0xE2, 0x80, 0x93 | 0x94]) => Some(3),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------------
// Datelines

/// How far into the text a dateline's agency parenthesis may open.
const DATELINE_MAX: usize = 100;

/// Agencies whose parenthesis ends a dateline, lowercase.
const DATELINE_AGENCIES: &[&[u8]] = &[
    b"reuters",
    b"ap",
    b"afp",
    b"ians",
    b"pti",
    b"ani",
    b"upi",
    b"dpa",
    b"efe",
    b"xinhua",
    b"bloomberg",
    b"cnn",
    b"aa",
];

/// Removes a dateline such as "WASHINGTON (Reuters) -" or "LONDON, May 20 (Reuters) —" at the start of
/// the text (after white space), through the dash. Text without one is returned unchanged.
pub(crate) fn strip_dateline(text: &str) -> &str {
    let t = trim_blank_start(text);
    let b = t.as_bytes();
    let window = &b[..b.len().min(DATELINE_MAX)];
    let Some(open) = memchr(b'(', window) else {
        return text;
    };
    if window[..open].iter().any(|c| {
        matches!(
            c,
            b'\n' | b'\r' | b':' | b';' | b'!' | b'?' | b'"' | b')' | b'[' | b']'
        )
    }) {
        return text;
    }
    let inner = &b[open + 1..];
    let Some(agency_len) = DATELINE_AGENCIES
        .iter()
        .find(|a| starts_with_ci(inner, a) && inner.get(a.len()) == Some(&b')'))
        .map(|a| a.len())
    else {
        return text;
    };
    let mut i = skip_spaces(b, open + 1 + agency_len + 1);
    if b.get(i) == Some(&b'-') {
        while b.get(i) == Some(&b'-') {
            i += 1;
        }
    } else if let Some(n) = unicode_dash_at(b, i) {
        i += n;
    } else {
        return text;
    }
    match t.get(i..) {
        Some(rest) if has_content(rest) => trim_blank_start(rest),
        _ => text,
    }
}

// ---------------------------------------------------------------------------------------------------
// Leading tags

/// Removes leading wire tags, repeatedly: "UPDATE 2-EXCLUSIVE-Foo" → "Foo", "Breaking: Foo" → "Foo".
/// A tag followed by ':' may be in any case; one followed by '-', '–', '—' or '|' must be in capitals.
pub(crate) fn strip_leading_tags(text: &str) -> &str {
    let mut s = text;
    while let Some(n) = leading_tag_len(s) {
        match s.get(n..) {
            Some(rest) if has_content(rest) => s = trim_blank_start(rest),
            _ => break,
        }
    }
    s
}

/// Byte length of a leading tag with its number and separator, if `s` starts with one.
fn leading_tag_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let w = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    if !(2..=10).contains(&w) {
        return None;
    }
    let mut lower = [0u8; 10];
    lower[..w].copy_from_slice(&b[..w]);
    lower[..w].make_ascii_lowercase();
    let caps = b[..w].iter().all(u8::is_ascii_uppercase);
    let second: Option<&[u8]> = match &lower[..w] {
        b"breaking" => Some(b"news"),
        b"just" => Some(b"in"),
        _ => None,
    };
    // Two-word tags ("breaking news", "just in") take precedence over their first word alone.
    if let Some(second) = second {
        let j = skip_spaces(b, w);
        let k = j + second.len();
        if j > w
            && starts_with_ci(&b[j..], second)
            && !b.get(k).is_some_and(u8::is_ascii_alphabetic)
        {
            let caps2 = caps && b[j..k].iter().all(u8::is_ascii_uppercase);
            if let Some(end) = tag_separator_end(b, k, caps2) {
                return Some(end);
            }
        }
    }
    let is_tag = matches!(
        &lower[..w],
        b"update"
            | b"exclusive"
            | b"breaking"
            | b"refile"
            | b"corrected"
            | b"correction"
            | b"rpt"
            | b"wrapup"
            | b"analysis"
            | b"insight"
            | b"factbox"
            | b"focus"
            | b"live"
            | b"watch"
            | b"video"
            | b"report"
            | b"opinion"
            | b"explainer"
            | b"timeline"
            | b"preview"
            | b"urgent"
            | b"flash"
            | b"alert"
            | b"developing"
    );
    if is_tag {
        tag_separator_end(b, w, caps)
    } else {
        None
    }
}

/// After a tag ending at `i`: optional spaces and a number, optional spaces, then the separator.
/// Returns the index just past the separator.
fn tag_separator_end(b: &[u8], i: usize, caps: bool) -> Option<usize> {
    let j = skip_spaces(b, i);
    let digits = b[j.min(b.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let i = skip_spaces(b, if digits > 0 { j + digits } else { i });
    match b.get(i) {
        Some(b':') => Some(i + 1),
        Some(b'-' | b'|') if caps => Some(i + 1),
        _ if caps => unicode_dash_at(b, i).map(|n| i + n),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------------
// Trailing suffixes

/// Removes trailing syndication suffixes, repeatedly: a last segment after " - ", " – ", " — ", " | ",
/// " -- " or " :: " that names `source`, a known agency or outlet, or an update marker; a parenthesised
/// update marker such as "(Update 2)" or "(1)"; and a trailing ellipsis.
pub(crate) fn strip_trailing<'a>(text: &'a str, source: Option<&str>) -> &'a str {
    let source = source.map(trim_blank).filter(|s| !s.is_empty());
    // Bounded, so that a huge `source` cannot make the suffix search quadratic.
    let max_segment = 40usize.max(source.map_or(0, |s| s.len().min(120) + 8));
    let mut s = trim_blank_end(text);
    while let Some(rest) = strip_one_suffix(s, source, max_segment) {
        s = rest;
    }
    s
}

/// `s` (without trailing blanks) less one trailing suffix and the blanks before it, if that leaves
/// something.
fn strip_one_suffix<'a>(s: &'a str, source: Option<&str>, max_segment: usize) -> Option<&'a str> {
    let marker = match s.as_bytes().last()? {
        b'.' | 0xA6 => strip_ellipsis(s),
        b')' => strip_paren_marker(s),
        _ => None,
    };
    marker
        .map(trim_blank_end)
        .filter(|rest| !rest.is_empty())
        .or_else(|| {
            strip_suffix_segment(s, source, max_segment)
                .map(trim_blank_end)
                .filter(|rest| !rest.is_empty())
        })
}

fn strip_ellipsis(s: &str) -> Option<&str> {
    s.strip_suffix("...").or_else(|| s.strip_suffix('…'))
}

fn strip_paren_marker(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    if b.last() != Some(&b')') {
        return None;
    }
    let open = memrchr(b'(', b)?;
    let inner = trim_blank(s.get(open + 1..b.len() - 1)?);
    let ib = inner.as_bytes();
    let is_marker = ((1..=3).contains(&ib.len()) && ib.iter().all(u8::is_ascii_digit))
        || ib.eq_ignore_ascii_case(b"updated")
        || ib.eq_ignore_ascii_case(b"video")
        || ib.eq_ignore_ascii_case(b"photos")
        || is_update_n(ib);
    if is_marker {
        s.get(..open)
    } else {
        None
    }
}

/// "update" or "update N", any case.
fn is_update_n(b: &[u8]) -> bool {
    if !starts_with_ci(b, b"update") {
        return false;
    }
    let rest = &b[6..];
    let j = skip_spaces(rest, 0);
    rest.is_empty() || (j > 0 && j < rest.len() && rest[j..].iter().all(u8::is_ascii_digit))
}

fn is_space_before(b: &[u8], i: usize) -> bool {
    match i.checked_sub(1).and_then(|k| b.get(k)) {
        Some(b' ' | b'\t' | b'\n' | b'\r') => true,
        Some(0xA0) => i >= 2 && b[i - 2] == 0xC2, // no-break space
        _ => false,
    }
}

/// Finds the last separator (with white space before it) within `max_segment` bytes of the end and
/// returns (start of the separator, end of the separator).
fn last_separator(b: &[u8], max_segment: usize) -> Option<(usize, usize)> {
    let lo = b.len().saturating_sub(max_segment + 4);
    let mut hi = b.len();
    while let Some(window) = b.get(lo..hi) {
        // The last byte that may end a separator: '-', '|', ':' or the last byte of '–' or '—'.
        let i = match (
            memrchr3(b'-', b'|', b':', window),
            memrchr2(0x93, 0x94, window),
        ) {
            (None, None) => return None,
            (a, d) => lo + a.max(d).unwrap_or_default(),
        };
        let token = match b[i] {
            b'-' => {
                let mut st = i;
                while st > 0 && b[st - 1] == b'-' {
                    st -= 1;
                }
                Some((st, i + 1))
            }
            b'|' => Some((i, i + 1)),
            b':' if i > 0 && b[i - 1] == b':' => Some((i - 1, i + 1)),
            0x93 | 0x94 if i >= 2 && b[i - 1] == 0x80 && b[i - 2] == 0xE2 => Some((i - 2, i + 1)),
            _ => None,
        };
        match token {
            Some((start, end)) if is_space_before(b, start) => return Some((start, end)),
            Some((start, _)) => hi = start,
            None => hi = i,
        }
    }
    None
}

fn strip_suffix_segment<'a>(
    s: &'a str,
    source: Option<&str>,
    max_segment: usize,
) -> Option<&'a str> {
    let (start, end) = last_separator(s.as_bytes(), max_segment)?;
    let segment = trim_blank(s.get(end..)?);
    if is_droppable_segment(segment, source) {
        s.get(..start)
    } else {
        None
    }
}

/// `name` without a leading "the " (any case).
fn strip_the(name: &str) -> &str {
    match name.get(4..) {
        Some(rest) if starts_with_ci(name.as_bytes(), b"the ") => trim_blank(rest),
        _ => name,
    }
}

fn is_droppable_segment(segment: &str, source: Option<&str>) -> bool {
    let seg = segment.as_bytes();
    if seg.is_empty() {
        return false;
    }
    if let Some(src) = source {
        if strip_the(segment).eq_ignore_ascii_case(strip_the(src)) {
            return true;
        }
    }
    if seg.len() > 32 || !seg.is_ascii() {
        return false;
    }
    let mut buf = [0u8; 32];
    let lower = &mut buf[..seg.len()];
    lower.copy_from_slice(seg);
    lower.make_ascii_lowercase();
    let lower = &*lower;
    is_outlet(lower)
        || lower.strip_prefix(b"the ").is_some_and(is_outlet)
        || is_update_n(lower)
        || matches!(
            lower,
            b"updated"
                | b"live"
                | b"live updates"
                | b"live blog"
                | b"opinion"
                | b"analysis"
                | b"video"
                | b"photos"
                | b"report"
                | b"sources"
                | b"source"
        )
}

/// Known agencies and outlets, lowercase.
fn is_outlet(name: &[u8]) -> bool {
    matches!(
        name,
        b"reuters"
            | b"ap"
            | b"associated press"
            | b"afp"
            | b"agence france-presse"
            | b"bloomberg"
            | b"ians"
            | b"pti"
            | b"ani"
            | b"upi"
            | b"dpa"
            | b"efe"
            | b"ansa"
            | b"xinhua"
            | b"tass"
            | b"kyodo"
            | b"yonhap"
            | b"anadolu"
            | b"bbc"
            | b"bbc news"
            | b"cnn"
            | b"cnbc"
            | b"npr"
            | b"the guardian"
            | b"guardian"
            | b"the new york times"
            | b"new york times"
            | b"nyt"
            | b"the washington post"
            | b"washington post"
            | b"wsj"
            | b"the wall street journal"
            | b"financial times"
            | b"ft"
            | b"al jazeera"
            | b"fox news"
            | b"abc news"
            | b"cbs news"
            | b"nbc news"
            | b"politico"
            | b"axios"
            | b"the hill"
            | b"sky news"
            | b"dw"
            | b"france 24"
            | b"euronews"
            | b"devdiscourse"
    )
}

// ---------------------------------------------------------------------------------------------------
// Credit lines

/// Credit parentheses start with one of these (lowercase), after optional spaces.
const CREDIT_STARTS: &[&[u8]] = &[
    b"with inputs from",
    b"with input from",
    b"inputs from",
    b"reporting by",
    b"additional reporting by",
    b"writing by",
    b"editing by",
    b"compiled by",
    b"edited by",
    b"via ",
];

/// Removes parenthesised or bracketed credit lines anywhere in the text: "(With inputs from agencies.)",
/// "(Reporting by Jane Doe; Editing by John Roe)", "[Writing by X]". An unclosed one is left alone.
pub(crate) fn strip_credits(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    if memchr2(b'(', b'[', b).is_none() {
        return Cow::Borrowed(text);
    }
    let mut out: Option<String> = None;
    let mut last = 0;
    let mut i = 0;
    while let Some(off) = memchr2(b'(', b'[', &b[i..]) {
        let open = i + off;
        i = open + 1;
        let inner = &b[open + 1..];
        let inner = &inner[skip_spaces(inner, 0)..];
        if !CREDIT_STARTS.iter().any(|p| starts_with_ci(inner, p)) {
            continue;
        }
        let Some(close) = matching_close(b, open) else {
            continue;
        };
        let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
        o.push_str(text.get(last..open).unwrap_or_default());
        o.push(' ');
        last = close + 1;
        i = close + 1;
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut o) => {
            o.push_str(text.get(last..).unwrap_or_default());
            Cow::Owned(o)
        }
    }
}

/// Longest credit line looked for, in bytes: real ones ("(Reporting by …; Additional reporting by …;
/// Editing by …)") stay far below it, and the bound keeps hostile text of many unclosed "(via " linear.
const MAX_CREDIT_BYTES: usize = 600;

/// Index of the bracket closing the one at `open` within [`MAX_CREDIT_BYTES`], counting nesting of the same
/// kind.
fn matching_close(b: &[u8], open: usize) -> Option<usize> {
    let (o, c) = match b.get(open)? {
        b'(' => (b'(', b')'),
        _ => (b'[', b']'),
    };
    let mut depth = 0usize;
    let end = b.len().min(open.saturating_add(MAX_CREDIT_BYTES));
    for (k, &x) in b.iter().enumerate().take(end).skip(open) {
        if x == o {
            depth += 1;
        } else if x == c {
            depth -= 1;
            if depth == 0 {
                return Some(k);
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------------
// Body lines

const AI_IMAGE: &[u8] = b"this image is ai-generated";

/// Position of "This image is AI-generated" (any case) in `b`, found from its hyphen, which is rare.
fn find_ai_image(b: &[u8]) -> Option<usize> {
    const HYPHEN_AT: usize = 16;
    memchr_iter(b'-', b)
        .filter_map(|p| p.checked_sub(HYPHEN_AT))
        .find(|&p| starts_with_ci(&b[p..], AI_IMAGE))
}

enum LineAction {
    Keep,
    Drop,
    Replace(String),
}

/// Removes desk lines ("Devdiscourse News Desk | Updated: ... | Created: ..."), lines that are only a
/// time stamp ("Updated: 20-05-2025 16:11 IST", "Published: ...", "Last updated ..."), and lines or
/// sentences starting with "This image is AI-generated". Removed lines leave an empty line behind.
pub(crate) fn strip_body_lines(text: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let action = classify_line(line);
        let newline = if line.ends_with('\n') { "\n" } else { "" };
        match action {
            LineAction::Keep => {
                if let Some(o) = out.as_mut() {
                    o.push_str(line);
                }
            }
            LineAction::Drop | LineAction::Replace(_) => {
                let o = out.get_or_insert_with(|| {
                    let mut o = String::with_capacity(text.len());
                    o.push_str(text.get(..pos).unwrap_or_default());
                    o
                });
                if let LineAction::Replace(r) = action {
                    o.push_str(&r);
                }
                o.push_str(newline);
            }
        }
        pos += line.len();
    }
    match out {
        Some(o) => Cow::Owned(o),
        None => Cow::Borrowed(text),
    }
}

fn classify_line(line: &str) -> LineAction {
    let t = trim_blank(line);
    let b = t.as_bytes();
    if b.is_empty() {
        return LineAction::Keep;
    }
    // Desk lines carry "Updated:" or "Created:"; look for the colon first, it is rare.
    if memchr(b':', b).is_some()
        && find_ci(b, b"news desk").is_some()
        && (find_ci(b, b"updated:").is_some() || find_ci(b, b"created:").is_some())
    {
        return LineAction::Drop;
    }
    for prefix in [&b"updated:"[..], b"published:", b"last updated"] {
        if starts_with_ci(b, prefix) && is_time_stamp(&b[prefix.len()..]) {
            return LineAction::Drop;
        }
    }
    if starts_with_ci(b, AI_IMAGE) {
        return LineAction::Drop;
    }
    match remove_ai_sentence(t) {
        Some(r) => LineAction::Replace(r),
        None => LineAction::Keep,
    }
}

/// Date and time stuff: short, ASCII, at least one digit, only letters, digits, spaces and `-:/,.|+()`.
fn is_time_stamp(rest: &[u8]) -> bool {
    rest.len() <= 100
        && rest.iter().any(u8::is_ascii_digit)
        && rest.iter().all(|&c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    b' ' | b'\t' | b'-' | b':' | b'/' | b',' | b'.' | b'|' | b'+' | b'(' | b')'
                )
        })
}

/// Removes a sentence starting with "This image is AI-generated" inside a line (after a sentence end).
fn remove_ai_sentence(t: &str) -> Option<String> {
    let b = t.as_bytes();
    let p = find_ai_image(b)?;
    let before = trim_blank_end(t.get(..p)?);
    if !before.ends_with(['.', '!', '?']) {
        return None;
    }
    let after = &b[p..];
    let end = after
        .iter()
        .enumerate()
        .find(|&(k, &c)| c == b'.' && after.get(k + 1).is_none_or(u8::is_ascii_whitespace))
        .map_or(b.len(), |(k, _)| p + k + 1);
    let rest = trim_blank_start(t.get(end..)?);
    let mut r = String::with_capacity(t.len());
    r.push_str(before);
    if !rest.is_empty() {
        r.push(' ');
        r.push_str(rest);
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datelines_are_removed_through_the_dash() {
        assert_eq!(
            strip_dateline("WASHINGTON (Reuters) - The Fed held."),
            "The Fed held."
        );
        assert_eq!(strip_dateline("  LONDON, May 20 (Reuters) -X"), "X");
        assert_eq!(strip_dateline("NEW DELHI (AP) — Rain."), "Rain.");
        assert_eq!(strip_dateline("Paris (AFP) - Grève."), "Grève.");
        assert_eq!(strip_dateline("MUMBAI (IANS) - Sensex up"), "Sensex up");
        assert_eq!(strip_dateline("BERLIN (dpa) – Regen"), "Regen");
        assert_eq!(strip_dateline("SÃO PAULO (Reuters) - Alta"), "Alta");
    }

    #[test]
    fn non_datelines_are_untouched() {
        for s in [
            "Fed holds rates (again) - analysts",
            "WASHINGTON (Reuters) The Fed held.",
            "WASHINGTON (Reuters) -",
            "Why: NEW YORK (Reuters) - x",
            "Line one\nLONDON (Reuters) - x",
            "(Reutersx) - y",
            "",
        ] {
            assert_eq!(strip_dateline(s), s);
        }
    }

    #[test]
    fn leading_tags() {
        assert_eq!(strip_leading_tags("UPDATE 2-EXCLUSIVE-Foo bar"), "Foo bar");
        assert_eq!(strip_leading_tags("Breaking: Foo"), "Foo");
        assert_eq!(strip_leading_tags("BREAKING NEWS - Foo"), "Foo");
        assert_eq!(strip_leading_tags("Breaking News: Foo"), "Foo");
        assert_eq!(strip_leading_tags("Just in: Foo"), "Foo");
        assert_eq!(strip_leading_tags("LIVE: Foo"), "Foo");
        assert_eq!(strip_leading_tags("WATCH | Foo"), "Foo");
        assert_eq!(strip_leading_tags("RPT—Foo"), "Foo");
        assert_eq!(strip_leading_tags("Update 3: Foo"), "Foo");
        // Not tags: mixed case before a dash, unknown words, tag-prefixed words, or nothing left.
        assert_eq!(strip_leading_tags("Update-Foo"), "Update-Foo");
        assert_eq!(
            strip_leading_tags("ECB FOCUS-Stronger"),
            "ECB FOCUS-Stronger"
        );
        assert_eq!(strip_leading_tags("Liverpool: win"), "Liverpool: win");
        assert_eq!(strip_leading_tags("Updates: x"), "Updates: x");
        assert_eq!(strip_leading_tags("BREAKING:"), "BREAKING:");
        assert_eq!(strip_leading_tags("BREAKING:   "), "BREAKING:   ");
        assert_eq!(strip_leading_tags("Just: x"), "Just: x");
    }

    #[test]
    fn trailing_suffixes() {
        let t = |s| strip_trailing(s, None);
        assert_eq!(t("Fed holds rates - Reuters"), "Fed holds rates");
        assert_eq!(t("Fed holds rates | AP"), "Fed holds rates");
        assert_eq!(t("Fed holds rates — The Guardian"), "Fed holds rates");
        assert_eq!(
            t("Fed holds rates – the Associated Press"),
            "Fed holds rates"
        );
        assert_eq!(t("Fed holds rates :: Axios"), "Fed holds rates");
        assert_eq!(t("Fed holds rates -- Update"), "Fed holds rates");
        assert_eq!(t("Fed holds rates - Update 2 | Reuters"), "Fed holds rates");
        assert_eq!(t("Fed holds rates (Update 2)"), "Fed holds rates");
        assert_eq!(t("Fed holds rates (1) ..."), "Fed holds rates");
        assert_eq!(t("Fed holds rates for  …"), "Fed holds rates for");
        assert_eq!(t("bank test -sources"), "bank test");
        // Kept: unknown segments, glued dashes, and nothing-would-remain.
        assert_eq!(t("Rates - traders"), "Rates - traders");
        assert_eq!(t("U.S.-Reuters"), "U.S.-Reuters");
        assert_eq!(t("Reuters"), "Reuters");
        assert_eq!(t(" - Reuters"), " - Reuters");
        assert_eq!(t("(Update 2)"), "(Update 2)");
        assert_eq!(t("Rates (2024 review)"), "Rates (2024 review)");
    }

    #[test]
    fn trailing_source_name() {
        assert_eq!(
            strip_trailing("Skatt höjs - Dagens Nyheter", Some("Dagens Nyheter")),
            "Skatt höjs"
        );
        assert_eq!(
            strip_trailing("Skatt höjs - Dagens Nyheter", None),
            "Skatt höjs - Dagens Nyheter"
        );
        assert_eq!(strip_trailing("X - The Local", Some("Local")), "X");
        assert_eq!(strip_trailing("X - Local", Some(" The Local ")), "X");
        assert_eq!(strip_trailing("X - Local", Some("")), "X - Local");
    }

    #[test]
    fn credits() {
        assert_eq!(
            strip_credits("Talks go on. (With inputs from agencies.)"),
            "Talks go on.  "
        );
        assert_eq!(
            strip_credits(
                "A (Reporting by Jane Doe (Reuters); Editing by John Roe) B [Writing by X] C"
            ),
            "A   B   C"
        );
        assert_eq!(strip_credits("A ( via AP) B"), "A   B");
        assert!(matches!(
            strip_credits("A (not a credit) B"),
            Cow::Borrowed(_)
        ));
        assert_eq!(strip_credits("A (Reporting by X"), "A (Reporting by X");
        assert_eq!(strip_credits("A (viable) B"), "A (viable) B");
    }

    #[test]
    fn body_lines() {
        let body = "First.\r\nDevdiscourse News Desk | Updated: 20-05-2025 16:11 IST | Created: 20-05-2025 16:11 IST\r\nUpdated: May 20, 2025 4:11 PM IST\nLast updated 20/05/2025\nPublished: 2025-05-20T16:11+05:30\nThis image is AI-generated and does not depict any real-life event or location. It is a fictional representation created for illustrative purposes only.\nLast.";
        assert_eq!(strip_body_lines(body), "First.\r\n\n\n\n\n\nLast.");
        assert_eq!(
            strip_body_lines("A. This image is AI-generated and fake. B."),
            "A. B."
        );
        assert!(matches!(
            strip_body_lines("Updated: guidance on tariffs.\nPublished: a book"),
            Cow::Borrowed(_)
        ));
    }
}
