//! Text normalisation, the first step after reading a record: turns a raw headline (with its feed's
//! source name) or an article body into the canonical string that `shingle` cuts up. Owns agency
//! boilerplate removal (`boilerplate`: wire tags, syndication suffixes, credit lines, datelines, desk
//! lines) and folding (`fold`: NFKC, lowercase, punctuation and white space to single ASCII spaces, with an
//! ASCII fast path). Its output changes only together with [`NORMALIZER_VERSION`], which the store records.

mod boilerplate;
mod fold;

pub(crate) use fold::{is_blank, is_joiner};

use std::borrow::Cow;

/// Version of the canonical form; bump whenever the output of any function here changes.
pub const NORMALIZER_VERSION: u32 = 2;

/// Canonical form of a headline: boilerplate removed, folded, words separated by single ASCII spaces.
///
/// Removes an agency dateline, leading wire tags ("UPDATE 2-", "Breaking:"), credit parentheses and
/// trailing syndication suffixes (" - Reuters", " | AP", " - {source}", "(Update 2)", "..."), then folds.
/// If the removal leaves no word, the whole raw headline is folded instead ("BREAKING: !!!" →
/// "breaking"). A headline without any word (only symbols or emoji) gets its raw text NFKC-lowercased with
/// white space collapsed, so "!!!" and "🔥🔥" stay distinct; blank input gives an empty string.
pub fn normalize_title(raw: &str, source: Option<&str>) -> String {
    normalize_title_and_headline(raw, source).0
}

/// [`normalize_title`], with where [`headline_text`] lies in `raw` (a byte range) when it is a slice of
/// it, so that a caller who reads the headline's words later need not strip the boilerplate twice.
/// `None` when the headline text is not a slice of `raw` (a credit was cut from its middle).
pub fn normalize_title_and_headline(
    raw: &str,
    source: Option<&str>,
) -> (String, Option<(u32, u32)>) {
    if boilerplate::trim_blank(raw).is_empty() {
        return (String::new(), None);
    }
    let stripped = strip_headline(raw, source);
    let headline = match &stripped {
        Cow::Borrowed(text) if has_word(text) => span_in(raw, text),
        Cow::Borrowed(_) => span_in(raw, raw),
        Cow::Owned(text) if has_word(text) => None,
        Cow::Owned(_) => span_in(raw, raw),
    };
    (finish(&stripped, raw), headline)
}

/// A headline freed of the same boilerplate as [`normalize_title`] but not folded: case, accents and
/// punctuation stay, for the story level, which reads capitalised names and numbers from them. Falls back
/// to the whole headline when the removal leaves no word.
pub fn headline_text<'a>(raw: &'a str, source: Option<&str>) -> Cow<'a, str> {
    let stripped = strip_headline(raw, source);
    if has_word(&stripped) {
        stripped
    } else {
        Cow::Borrowed(raw)
    }
}

/// `raw` less its boilerplate (dateline, leading wire tags, credits, trailing suffixes), neither folded
/// nor checked for words.
fn strip_headline<'a>(raw: &'a str, source: Option<&str>) -> Cow<'a, str> {
    let text = boilerplate::trim_blank(raw);
    let text = boilerplate::strip_dateline(text);
    let text = boilerplate::strip_leading_tags(text);
    match boilerplate::strip_credits(text) {
        Cow::Borrowed(t) => Cow::Borrowed(boilerplate::strip_trailing(t, source)),
        Cow::Owned(mut t) => {
            let kept = boilerplate::strip_trailing(&t, source);
            match span_in(&t, kept) {
                // A prefix (what `strip_trailing` cuts is a suffix): kept in place.
                Some((0, end)) => t.truncate(end as usize),
                _ => t = kept.to_string(),
            }
            Cow::Owned(t)
        }
    }
}

/// Whether `text` has a letter or a digit.
fn has_word(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

/// The byte range of `part`, a slice of `whole`, within it.
fn span_in(whole: &str, part: &str) -> Option<(u32, u32)> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    if end > whole.len() {
        return None;
    }
    Some((u32::try_from(start).ok()?, u32::try_from(end).ok()?))
}

/// Canonical form of an article body or description: credit lines, desk lines and datelines removed, folded.
///
/// Also drops bare time-stamp lines ("Updated: ...") and "This image is AI-generated ..." disclaimers.
/// Falls back as [`normalize_title`] does.
pub fn normalize_body(raw: &str) -> String {
    normalize_body_reading(raw, |_| ())
}

/// [`normalize_body`], calling `read` with the body freed of its boilerplate before it is folded (see
/// [`body_without_boilerplate`]).
pub(crate) fn normalize_body_reading(raw: &str, read: impl FnOnce(&str)) -> String {
    body_without_boilerplate(raw, |text| {
        read(text);
        finish(text, raw)
    })
}

/// Calls `read` with a body freed of what [`normalize_body`] removes before folding: time-stamp, desk and
/// disclaimer lines, credits and an opening dateline.
pub(crate) fn body_without_boilerplate<T>(raw: &str, read: impl FnOnce(&str) -> T) -> T {
    let text = boilerplate::strip_body_lines(raw);
    let text = boilerplate::strip_credits(&text);
    read(boilerplate::strip_dateline(boilerplate::trim_blank(&text)))
}

/// Folds `text` (`raw` freed of boilerplate) into a new string. When that leaves no word, the boilerplate
/// was all there was and `raw` is folded whole; when even that has no word, `raw` gets the symbol form.
/// Both fallbacks depend on `raw` alone, which keeps normalisation idempotent.
fn finish(text: &str, raw: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    fold::fold(text, &mut out);
    if out.is_empty() {
        fold::fold(raw, &mut out);
    }
    if out.is_empty() {
        fold::fold_fallback(raw, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(raw: &str) -> String {
        normalize_title(raw, None)
    }

    #[test]
    fn the_headline_found_while_normalising_is_the_headline_text() {
        let mut cases: Vec<(String, Option<&str>)> = [
            "UPDATE 2-Stocks fall as Fed signals more hikes - Reuters",
            "LONDON (Reuters) - Stocks fall",
            "Markets rally on jobs data (With inputs from agencies.)",
            "Markets rally (Reuters) on jobs data",
            "BREAKING: !!!",
            "   ",
            "🔥🔥",
            "Skatten höjs - Dagens Nyheter",
        ]
        .iter()
        .map(|t| (t.to_string(), None))
        .collect();
        cases.push((
            "Skatten höjs - Dagens Nyheter".into(),
            Some("Dagens Nyheter"),
        ));
        cases.extend(crate::sample::titles().into_iter().map(|t| (t, None)));
        let mut found = 0;
        for (raw, source) in &cases {
            let (_, span) = normalize_title_and_headline(raw, *source);
            let text = headline_text(raw, *source);
            match span {
                Some((start, end)) => {
                    assert_eq!(&raw[start as usize..end as usize], text, "{raw:?}");
                    found += 1;
                }
                // Not found only where the headline text is not a slice of the title, or the title
                // is blank (normalising stops there; the reader then strips it itself).
                None => assert!(
                    matches!(text, Cow::Owned(_)) || raw.trim().is_empty(),
                    "{raw:?}"
                ),
            }
        }
        assert!(found > 3000, "{found}");
    }

    #[test]
    fn spelling_variants_differ_only_in_the_variant_letter() {
        let a = t("ECB unlikely to end sterilisation of SMP purchases - traders");
        let b = t("ECB unlikely to end sterilization of SMP purchases: traders");
        assert_eq!(
            a,
            "ecb unlikely to end sterilisation of smp purchases traders"
        );
        assert_eq!(b, a.replace("sterilisation", "sterilization"));
    }

    #[test]
    fn wire_tags_are_stripped() {
        let a = t("UPDATE 1-ECB to reveal bad loan hurdles for euro zone bank test -sources");
        let b = t("ECB to reveal bad loan hurdles for euro zone bank test - sources");
        assert!(a.starts_with("ecb to reveal"), "{a}");
        assert!(b.starts_with("ecb to reveal"), "{b}");
        assert_eq!(a, b);
        assert_eq!(a, "ecb to reveal bad loan hurdles for euro zone bank test");
        assert!(t("REFILE-Bad loan triggers for ECB test").starts_with("bad loan triggers"));
        assert_eq!(t("BREAKING: X"), "x");
        assert_eq!(t("UPDATE 2-EXCLUSIVE-Deal agreed"), "deal agreed");
        assert_eq!(t("Exclusive: Deal agreed"), "deal agreed");
        assert_eq!(t("ECB FOCUS-Stronger euro"), "ecb focus stronger euro");
        assert_eq!(
            t("ECB FOCUS-Stronger euro drowns out ECB's message to keep rates low for  ..."),
            "ecb focus stronger euro drowns out ecbs message to keep rates low for"
        );
    }

    #[test]
    fn syndication_suffixes_are_stripped() {
        let plain = t("Fed holds rates");
        assert_eq!(plain, "fed holds rates");
        assert_eq!(t("Fed holds rates - Reuters"), plain);
        assert_eq!(t("Fed holds rates | AP"), plain);
        assert_eq!(t("Fed holds rates — Associated Press"), plain);
        assert_eq!(t("Fed holds rates (UPDATE 1)"), plain);
        assert_eq!(t("Fed holds rates - live updates"), plain);
        assert_eq!(
            normalize_title(
                "Trump says X - The New York Times",
                Some("The New York Times")
            ),
            "trump says x"
        );
        assert_eq!(
            normalize_title("Skatten höjs - Dagens Nyheter", Some("Dagens Nyheter")),
            "skatten höjs"
        );
        assert_eq!(
            normalize_title("Skatten höjs - Dagens Nyheter", Some("Expressen")),
            "skatten höjs dagens nyheter"
        );
    }

    #[test]
    fn curly_quotes_and_dashes_match_straight_ones() {
        assert_eq!(
            t("Portugal’s election — a “surge”"),
            t("Portugal's election - a \"surge\"")
        );
        assert_eq!(
            t("Portugal’s election — a “surge”"),
            "portugals election a surge"
        );
    }

    #[test]
    fn title_datelines_and_credits_are_removed() {
        assert_eq!(
            t("WASHINGTON (Reuters) - Fed holds rates"),
            "fed holds rates"
        );
        assert_eq!(
            t("Fed holds rates (Reporting by Jane Doe; Editing by John Roe)"),
            "fed holds rates"
        );
    }

    const SEED_ARTICLE: &str = "In a significant diplomatic development, U.S. President Donald Trump and Russian President Vladimir Putin are reportedly negotiating a potential prisoner swap, involving nine detainees from each nation. Kremlin foreign policy aide Yuri Ushakov confirmed the talks took place during a phone call on Monday.

According to sources close to the matter, the U.S. has provided Russia with a list of nine Americans currently imprisoned that Washington seeks to return. These charges range from assault to espionage, illustrating the complex nature of this high-stakes exchange.

This potential exchange comes at a time of heightened tension between the two nations, making the negotiations even more critical. As discussions continue, the focus remains on bringing back the Americans, highlighting the delicate balance of international diplomacy.";

    #[test]
    fn seed_body_desk_line_and_credit_are_removed() {
        let with = format!(
            "Devdiscourse News Desk | Updated: 20-05-2025 16:11 IST | Created: 20-05-2025 16:11 IST\n\
             This image is AI-generated and does not depict any real-life event or location. It is a \
             fictional representation created for illustrative purposes only.\n\n\
             {SEED_ARTICLE}\n\n(With inputs from agencies.)\n"
        );
        let without = normalize_body(SEED_ARTICLE);
        assert_eq!(normalize_body(&with), without);
        assert!(without.starts_with("in a significant diplomatic development us president donald"));
        assert!(without.ends_with("balance of international diplomacy"));
        assert!(!without.contains("  "));
    }

    #[test]
    fn body_datelines_are_removed() {
        assert_eq!(
            normalize_body("WASHINGTON (Reuters) - The Fed held rates."),
            normalize_body("The Fed held rates.")
        );
        assert_eq!(normalize_body("LONDON, May 20 (Reuters) - X"), "x");
        assert_eq!(
            normalize_body("Paris (AFP) - Le gouvernement a chuté."),
            "le gouvernement a chuté"
        );
    }

    #[test]
    fn scripts_are_kept() {
        assert_eq!(
            t("Regeringen föreslår höjd skatt på ÅÄÖ"),
            "regeringen föreslår höjd skatt på åäö"
        );
        assert_eq!(t("ΑΘΗΝΑ: Νέα μέτρα"), "αθηνα νέα μέτρα");
        assert_eq!(
            t("ΝΕΟΣ ΝΟΜΟΣ για τους φόρους"),
            "νεοσ νομοσ για τουσ φόρουσ"
        );
        assert_eq!(t("الرئيس يزور القاهرة"), "الرئيس يزور القاهرة");
        assert_eq!(t("中国经济增长放缓"), "中国经济增长放缓");
        assert_eq!(t("Cafe\u{301} crème"), t("Café crème"));
        assert_eq!(t("Cafe\u{301} crème"), "café crème");
        assert_eq!(t("ＡＢＣ ニュース"), "abc ニュース");
    }

    #[test]
    fn odd_input_never_panics_and_stays_sensible() {
        assert_eq!(t(""), "");
        assert_eq!(t("   "), "");
        assert_eq!(normalize_body(""), "");
        assert_eq!(t("\u{feff}Title\r\n"), "title");
        assert_eq!(t("a\0b"), "a b");
        assert_eq!(t("ab\u{200b}cd"), "ab cd");
        assert_eq!(t("ab\u{200f}cd\u{200e}"), "ab cd");
        let fire = t("🔥🔥");
        let bang = t("!!!");
        assert_eq!(fire, "🔥🔥");
        assert_eq!(bang, "!!!");
        assert_ne!(fire, bang);
        assert_eq!(t(" 🔥  \u{200b} 🔥 "), "🔥 🔥");
        assert_eq!(t("\u{301}"), "\u{301}");
        assert_eq!(t("BREAKING:"), "breaking");
        assert_eq!(t("- Reuters"), "reuters");
        // Boilerplate that is all there is stays.
        assert_eq!(t("(Reporting by Jane Doe)"), "reporting by jane doe");
        assert_eq!(t("BREAKING: !!!"), "breaking");
        assert_eq!(
            normalize_body("(With inputs from agencies.)"),
            "with inputs from agencies"
        );
        let long = "word ".repeat(200_000);
        let out = t(&long);
        assert_eq!(out.len(), long.len() - 1);
        assert!(out.starts_with("word word") && out.ends_with("word"));
        let long_body = normalize_body(&"Zürich (Reuters) - ".repeat(50_000));
        assert!(long_body.starts_with("zürich reuters"));
    }

    #[test]
    fn titles_are_idempotent() {
        for raw in [
            "UPDATE 1-ECB to reveal bad loan hurdles for euro zone bank test -sources",
            "Portugal’s election — a “surge”",
            "WASHINGTON (Reuters) - Fed holds rates | AP",
            "ΝΕΟΣ ΝΟΜΟΣ: Straße İstanbul ﬁnance",
            "🔥🔥",
            "!!! ...",
            "…",
            "….",
            "Regeringen föreslår ẞ\u{301}",
            "Breaking: Update 2",
            "Trump says X - The New York Times",
        ] {
            let once = t(raw);
            assert_eq!(t(&once), once, "input {raw:?}");
        }
    }

    #[test]
    fn bodies_are_idempotent() {
        let once = normalize_body(SEED_ARTICLE);
        assert_eq!(normalize_body(&once), once);
    }
}
