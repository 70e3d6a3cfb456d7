//! Turns an [`Article`] into what the index needs to decide on it: the hash of its normalised text (the
//! exact-duplicate key), its shingle count, its MinHash signature, its content terms (for the story level)
//! and its publication time. Pure and thread-safe, so a batch is prepared on all cores before the
//! sequential decision step. Hands [`Prepared`] to `cluster`.

use std::borrow::Cow;
use std::collections::hash_map::{Entry, HashMap};

use rayon::prelude::*;
use xxhash_rust::xxh3::{xxh3_64_with_seed, Xxh3};

use crate::config::ValidConfig;
use crate::error::ArticleError;
use crate::lsh::MixState;
use crate::model::Article;
use crate::normalize::{headline_text, normalize_body_reading, normalize_title_and_headline};
use crate::shingle::shingle_hashes;
use crate::signature::{shingle_key, MinHasher};
use crate::site_body::SiteBody;
use crate::title_dates::TitleDates;

/// Seed of the exact-text hash.
pub const TEXT_SEED: u64 = 0x7465_7874_6861_7368; // "texthash"

/// An article's normalised text, before shingling.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Normalized {
    /// Canonical title.
    pub title: String,
    /// Canonical body, empty when absent or unused.
    pub body: String,
    /// xxh3 of title, a 0x1f separator and body: equal for exact duplicates.
    pub text_hash: u64,
    /// Where the headline freed of boilerplate lies in the raw title, for [`story_terms`] (`None`: not
    /// a slice of it).
    pub headline: Option<(u32, u32)>,
    /// Its source's and body's key and shingle counts, for comparing it by title with the articles of a
    /// body its source gives to many titles (see [`SiteBody`]).
    pub site_body: SiteBody,
    /// The calendar dates and editions the article names (see [`dates`]).
    pub dates: TitleDates,
}

/// What the index needs of one article.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prepared {
    /// Exact-duplicate key.
    pub text_hash: u64,
    /// Number of shingles (with repeats) the text gave.
    pub shingles: u32,
    /// MinHash signature; empty when it was not computed.
    pub signature: Vec<u32>,
    /// Content terms of the headline with their links, for the story level (see
    /// `story::linked_terms`). `None`: not read yet; most articles follow an earlier one's story and never
    /// need them, so a batch leaves them to the commit, which reads them (through its `words`) for those
    /// that do.
    pub terms: Option<Vec<u32>>,
    /// Publication time in Unix seconds, when the article gives one in a form `time` reads.
    pub published: Option<i64>,
    /// Where the headline freed of boilerplate lies in the raw title (see [`Normalized::headline`]).
    pub headline: Option<(u32, u32)>,
    /// The calendar dates and editions the article names ([`dates`]): an article of another edition than
    /// another is not its near-duplicate (see [`TitleDates`]).
    pub dates: TitleDates,
    /// See [`Normalized::site_body`].
    pub site_body: SiteBody,
}

/// An article's publication time, when it gives one in a form [`crate::time::parse_timestamp`] reads.
pub fn published(article: &Article<'_>) -> Option<i64> {
    article
        .published
        .as_deref()
        .and_then(crate::time::parse_timestamp)
}

/// How far after its arrival an article's publication time may lie and be taken. A feed's clock or time
/// zone may be hours off; a time further ahead is taken for a wrong one, as an unreadable time is (the
/// article takes its arrival time), so that a date in the far future neither heads every trending list
/// nor outlives every prune.
pub const MOST_AHEAD: i64 = 86_400;

/// The publication time `published` as an article arriving at `arrival` takes it: `None` when there is
/// none, or when it lies more than [`MOST_AHEAD`] after the arrival.
pub fn taken_published(published: Option<i64>, arrival: i64) -> Option<i64> {
    published.filter(|&t| t <= arrival.saturating_add(MOST_AHEAD))
}

/// The content terms of an article's headline with their links, for the story level: read from the
/// headline as written, freed of boilerplate (see `story::linked_terms`). `headline` is where that lies
/// in the title when normalising found it ([`Prepared::headline`]); without it the boilerplate is
/// stripped again.
pub fn story_terms(article: &Article<'_>, headline: Option<(u32, u32)>) -> Vec<u32> {
    let mut terms = Vec::new();
    crate::story::linked_terms(&story_headline(article, headline), &mut terms);
    terms
}

/// The headline [`story_terms`] reads the terms from.
pub fn story_headline<'a>(article: &'a Article<'_>, headline: Option<(u32, u32)>) -> Cow<'a, str> {
    let found = headline.and_then(|(start, end)| article.title.get(start as usize..end as usize));
    match found {
        Some(text) => Cow::Borrowed(text),
        None => headline_text(&article.title, article.source.as_deref()),
    }
}

/// Checks an article's fields against the limits.
pub fn check(article: &Article<'_>, config: &ValidConfig) -> Result<(), ArticleError> {
    // White space alone is no id a reader could tell apart, as it is no title.
    if article.id.trim().is_empty() {
        return Err(ArticleError::EmptyId);
    }
    check_lengths(article, config)
}

/// Checks that no field of an article is longer than the limit.
fn check_lengths(article: &Article<'_>, config: &ValidConfig) -> Result<(), ArticleError> {
    let id = &article.id;
    let limit = config.config.max_field_bytes;
    let fields = [
        ("id", Some(&article.id)),
        ("title", Some(&article.title)),
        ("body", article.body.as_ref()),
        ("source", article.source.as_ref()),
        ("url", article.url.as_ref()),
        ("published", article.published.as_ref()),
    ];
    for (field, value) in fields {
        if let Some(v) = value {
            if v.len() > limit {
                return Err(ArticleError::TooLong {
                    id: id.to_string(),
                    field,
                    len: v.len(),
                    limit,
                });
            }
        }
    }
    // The normaliser's own test of a character that says nothing, so that what `check` passes the
    // normaliser does not refuse.
    if article.title.chars().all(crate::normalize::is_blank) {
        return Err(ArticleError::EmptyTitle { id: id.to_string() });
    }
    Ok(())
}

/// Normalises title and (when used) body and hashes the result.
pub fn normalize(article: &Article<'_>, config: &ValidConfig) -> Normalized {
    let (title, headline) = normalize_title_and_headline(&article.title, article.source.as_deref());
    // The dates as [`dates`] reads them, the body's read from what its normalising leaves.
    let mut dates = TitleDates::of(&article.title);
    let body = match (&article.body, config.params.use_body) {
        (Some(body), true) if !body.trim().is_empty() => {
            normalize_body_reading(body, |text| dates = dates.with_body_days(text))
        }
        _ => String::new(),
    };
    let mut h = Xxh3::with_seed(TEXT_SEED);
    h.update(title.as_bytes());
    if !body.is_empty() {
        h.update(&[0x1f]);
        h.update(body.as_bytes());
    }
    let site_body = site_body_with(
        article,
        config,
        || Cow::Borrowed(&title),
        || story_headline(article, headline),
    );
    Normalized {
        text_hash: h.digest(),
        title,
        body,
        headline,
        site_body,
        dates,
    }
}

/// The calendar dates and edition numbers an article names, which keep the editions of a series apart
/// (see [`TitleDates`]): its title's, or, when its title names no date and its body takes part, the days
/// its body names beside the title's editions (a game's recap whose every edition carries one title, with
/// the date in the description). The body is
/// read without what normalising it removes (an agency dateline such as "LONDON, May 20 (Reuters) -", an
/// "Updated: …" line, credits), so that copies of one text sent or crawled on different days still match.
pub fn dates(article: &Article<'_>, config: &ValidConfig) -> TitleDates {
    let dates = TitleDates::of(&article.title);
    match &article.body {
        Some(body) if dates.names_no_date() && config.params.use_body => {
            crate::normalize::body_without_boilerplate(body, |text| dates.with_body_days(text))
        }
        _ => dates,
    }
}

/// An article's [`SiteBody`] as [`normalize`] finds it: only the title of an article with a source and a
/// body (when bodies are used) is normalised for it; another's headline is only freed of boilerplate,
/// when its title has a dash or a bar.
pub fn site_body(article: &Article<'_>, config: &ValidConfig) -> SiteBody {
    site_body_with(
        article,
        config,
        || {
            Cow::Owned(crate::normalize::normalize_title(
                &article.title,
                article.source.as_deref(),
            ))
        },
        || headline_text(&article.title, article.source.as_deref()),
    )
}

/// An article's [`SiteBody`]: its source's body when it has one and bodies are used (its link's site
/// standing for a source it lacks), else its headline's tail ([`SiteBody::of_tail`]). `title` gives its normalised title and `headline` its
/// headline freed of boilerplate, each asked for only when needed.
fn site_body_with<'t, 'a>(
    article: &'a Article<'_>,
    config: &ValidConfig,
    title: impl FnOnce() -> Cow<'t, str>,
    headline: impl FnOnce() -> Cow<'a, str>,
) -> SiteBody {
    let given = |field: Option<&str>| field.is_some_and(|s| !s.trim().is_empty());
    let (source, body) = (article.source.as_deref(), article.body.as_deref());
    let kind = config.params.shingle;
    if config.params.use_body && given(body) {
        // Without a source, the site its link names gives the body: a crawl's export often has a link
        // and no source, and a site's tagline as every item's body would join them all.
        let site = match given(source) {
            true => source,
            false => article.url.as_deref().and_then(crate::site_body::url_site),
        };
        return match site {
            Some(site) => SiteBody::of(Some(site), &title(), body.unwrap_or(""), kind),
            None => SiteBody::NONE,
        };
    }
    if !given(source) {
        return SiteBody::NONE;
    }
    SiteBody::of_tail(source, &article.title, headline, kind)
}

/// [`normalize`], refusing an article whose title normalises to nothing.
pub fn normalize_nonempty(
    article: &Article<'_>,
    config: &ValidConfig,
) -> Result<Normalized, ArticleError> {
    let text = normalize(article, config);
    if text.title.is_empty() {
        return Err(ArticleError::EmptyTitle {
            id: article.id.to_string(),
        });
    }
    Ok(text)
}

/// Below this many articles a batch is prepared on the calling thread: handing work to the pool and
/// waiting for it costs tens of microseconds, more than a few articles take (`ingest_many` of a page's
/// few items at a time from Python was slower than one `ingest` per item).
pub(crate) const PARALLEL_FROM: usize = 32;

/// Checks and normalises a batch (on all cores from 32 articles on), each article's result
/// in its place: an article that fails [`check`], or whose title normalises to nothing, gets its error.
/// A raw text repeated within the batch (the same title, source and, when used, body: a feed polled
/// again and again) is normalised once; its later copies get its text hash and headline with their
/// canonical title and body left empty, so they must not be signed (they never need to be: the batch's
/// first copy stands for them).
pub fn normalize_batch(
    articles: &[Article<'_>],
    config: &ValidConfig,
) -> Vec<Result<Normalized, ArticleError>> {
    /// What normalising reads of an article.
    fn raw<'t>(a: &'t Article<'_>, use_body: bool) -> (&'t str, Option<&'t str>, Option<&'t str>) {
        let body = if use_body { a.body.as_deref() } else { None };
        (a.title.as_ref(), a.source.as_deref(), body)
    }
    let use_body = config.params.use_body;
    // Any hash serves: a text it pairs is compared in full before it counts as a repeat.
    let raw_hash = |a: &Article<'_>| {
        let (title, source, body) = raw(a, use_body);
        let mut seed = 0;
        for (n, part) in [source, body].into_iter().enumerate() {
            if let Some(part) = part {
                seed = xxh3_64_with_seed(part.as_bytes(), seed ^ n as u64);
            }
        }
        xxh3_64_with_seed(title.as_bytes(), seed)
    };
    let parallel = articles.len() >= PARALLEL_FROM;
    let raw_hashes: Vec<u64> = if parallel {
        articles.par_iter().map(raw_hash).collect()
    } else {
        articles.iter().map(raw_hash).collect()
    };
    // Each article's earlier copy within the batch, if any: the same raw text, compared in full.
    let mut first_of: HashMap<u64, usize, MixState> =
        HashMap::with_capacity_and_hasher(articles.len(), MixState::default());
    let copy_of: Vec<Option<usize>> = raw_hashes
        .iter()
        .enumerate()
        .map(|(i, &h)| match first_of.entry(h) {
            Entry::Occupied(first) => {
                let j = *first.get();
                (raw(&articles[j], use_body) == raw(&articles[i], use_body)).then_some(j)
            }
            Entry::Vacant(first) => {
                first.insert(i);
                None
            }
        })
        .collect();
    let normalize = |(a, copy): (&Article<'_>, &Option<usize>)| {
        check(a, config)?;
        match copy {
            // Filled in below from the first copy.
            Some(_) => Ok(Normalized::default()),
            None => normalize_nonempty(a, config),
        }
    };
    let mut normalized: Vec<Result<Normalized, ArticleError>> = if parallel {
        articles.par_iter().zip(&copy_of).map(normalize).collect()
    } else {
        articles.iter().zip(&copy_of).map(normalize).collect()
    };
    for (i, copy) in copy_of.iter().enumerate() {
        let (Some(j), Ok(_)) = (copy, &normalized[i]) else {
            continue;
        };
        normalized[i] = match &normalized[*j] {
            Ok(first) => Ok(Normalized {
                title: String::new(),
                body: String::new(),
                text_hash: first.text_hash,
                headline: first.headline,
                site_body: first.site_body,
                dates: first.dates,
            }),
            // The first copy failed its own checks (its id, say): this one is normalised itself.
            Err(_) => normalize_nonempty(&articles[i], config),
        };
    }
    normalized
}

/// Signs an article read back from a store, with its shingle count; `None` when its title normalises
/// to nothing. Its fields are not [`check`]ed again: they passed under the limits of when it came in,
/// and a store opened with a smaller `max_field_bytes` must still sign (and take out of the band
/// tables) the texts it holds.
pub fn sign_stored(
    article: &Article<'_>,
    config: &ValidConfig,
    hasher: &MinHasher,
) -> Option<(u32, Vec<u32>)> {
    let text = normalize_nonempty(article, config).ok()?;
    Some(sign(&text, config, hasher, &mut Vec::new()))
}

/// Shingles normalised text and signs it; `scratch` is reused between calls.
pub fn sign(
    text: &Normalized,
    config: &ValidConfig,
    hasher: &MinHasher,
    scratch: &mut Vec<u64>,
) -> (u32, Vec<u32>) {
    shingle(text, config, scratch);
    let keys: Vec<u32> = scratch.iter().map(|&h| shingle_key(h)).collect();
    let mut signature = vec![0; hasher.len()];
    hasher.sign_keys(&keys, &mut signature);
    (scratch.len() as u32, signature)
}

/// The shingle hashes of normalised text, title then body, into `hashes` (cleared): what [`sign`]
/// signs, and whose number is the article's shingle count.
fn shingle(text: &Normalized, config: &ValidConfig, hashes: &mut Vec<u64>) {
    hashes.clear();
    shingle_hashes(&text.title, config.params.shingle, hashes);
    shingle_hashes(&text.body, config.params.shingle, hashes);
}

/// Checks, normalises and signs one article, leaving its story terms unread (`None`): an ingest reads
/// them only if the article turns out to need them; a caller that always does sets them with
/// [`story_terms`].
pub fn prepare(
    article: &Article<'_>,
    config: &ValidConfig,
    hasher: &MinHasher,
) -> Result<Prepared, ArticleError> {
    prepare_unless_held(article, config, hasher, |_| false)
}

/// [`prepare`], but an article whose text `held` says the index holds already is neither shingled nor
/// signed (its signature is left empty, its shingle count `u32::MAX`, unknown): an exact copy of a text
/// the index holds needs no signature, and it is as eligible for the band tables as the copy the index
/// holds. The commit signs one that turns out to need it after all.
pub fn prepare_unless_held(
    article: &Article<'_>,
    config: &ValidConfig,
    hasher: &MinHasher,
    held: impl FnOnce(u64) -> bool,
) -> Result<Prepared, ArticleError> {
    check(article, config)?;
    prepare_checked(article, config, hasher, held)
}

/// [`prepare`] for a text asked about and never stored ([`Engine::query_text`]): its id may be empty,
/// since nothing is stored under it.
///
/// [`Engine::query_text`]: crate::Engine::query_text
pub fn prepare_text(
    article: &Article<'_>,
    config: &ValidConfig,
    hasher: &MinHasher,
) -> Result<Prepared, ArticleError> {
    check_lengths(article, config)?;
    prepare_checked(article, config, hasher, |_| false)
}

/// [`prepare_unless_held`] of an article already checked.
fn prepare_checked(
    article: &Article<'_>,
    config: &ValidConfig,
    hasher: &MinHasher,
    held: impl FnOnce(u64) -> bool,
) -> Result<Prepared, ArticleError> {
    let text = normalize_nonempty(article, config)?;
    let (shingles, signature) = if held(text.text_hash) {
        (u32::MAX, Vec::new())
    } else {
        sign(&text, config, hasher, &mut Vec::new())
    };
    Ok(Prepared {
        text_hash: text.text_hash,
        shingles,
        signature,
        terms: None,
        published: published(article),
        headline: text.headline,
        dates: text.dates,
        site_body: text.site_body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EngineConfig;

    /// What `check` passes, normalising does not refuse: a title of nothing but white space and
    /// invisible format characters (isolates and marks of direction among them) fails the check itself,
    /// so that a caller that checks first (dedupe's split of a block, the daemon before it appends to a
    /// shared log) stores nothing a commit would then refuse.
    #[test]
    fn check_refuses_every_title_the_normaliser_finds_blank() {
        let config = EngineConfig::default().validate().unwrap();
        for title in [
            "  ",
            "\u{2066}\u{2069}",
            "\u{200b}\u{feff}",
            "\u{ad} \u{2060}",
            "\t\u{202e}",
        ] {
            let article = Article::new("a", title);
            assert!(
                matches!(
                    check(&article, &config),
                    Err(ArticleError::EmptyTitle { .. })
                ),
                "{title:?}"
            );
        }
    }

    /// A store's articles take back the dates they were prepared with, so that a reopened store parts
    /// the same editions: the dates read while normalising are those [`dates`] reads from the fields.
    #[test]
    fn an_articles_dates_are_the_same_prepared_and_read_back() {
        let with_bodies = EngineConfig::default().validate().unwrap();
        let titles_only = EngineConfig {
            use_body: Some(false),
            ..EngineConfig::default()
        }
        .validate()
        .unwrap();
        let recap = "Reds vs. Braves Results, Stats, and Recap";
        let articles = [
            (Article::new("a", "Your horoscope: October 3, 2025"), &[(10, 3)][..]),
            (
                Article::new("b", "Your horoscope: October 3, 2025").with_body("on May 6, 2025"),
                &[(10, 3)],
            ),
            (Article::new("c", recap).with_body("The game on May 6, 2025"), &[(5, 6)]),
            (
                Article::new("d", recap).with_body(
                    "LONDON, May 20 (Reuters) - A game.\nUpdated: May 21, 2025 4:11 PM\nOn May 6, 2025.",
                ),
                &[(5, 6)],
            ),
            (Article::new("e", recap).with_body("LONDON, May 20 (Reuters) - A game."), &[]),
            (Article::new("f", recap).with_body("  "), &[]),
            // A title's edition number stays beside the body's days; the body's own month of a year
            // and numbered game are no date nor edition.
            (
                Article::new("g", "Week 6 Recap: takeaways").with_body("Game 3 on May 6, 2025, in May 2025"),
                &[(5, 6)],
            ),
            (Article::new("h", "Recap").with_body("Game 3 in May 2025 was won"), &[]),
        ];
        for (article, expected) in &articles {
            let prepared = normalize(article, &with_bodies).dates;
            assert_eq!(prepared, dates(article, &with_bodies), "{article:?}");
            assert_eq!(
                prepared.dates().collect::<Vec<_>>(),
                *expected,
                "{article:?}"
            );
            // Without bodies only the title counts; with them, the title's editions stay.
            let title = TitleDates::of(&article.title);
            assert!(prepared.editions().eq(title.editions()), "{article:?}");
            assert_eq!(normalize(article, &titles_only).dates, title);
            assert_eq!(dates(article, &titles_only), title);
        }
    }

    #[test]
    fn a_text_the_index_holds_is_neither_counted_nor_signed() {
        // The commit takes an exact copy's eligibility from the copy the index holds, and signs it
        // (counting its shingles) only if the text has gone.
        let config = EngineConfig::default().validate().unwrap();
        let hasher = MinHasher::new(config.params.permutations, config.params.seed);
        for title in [
            "Volcano erupts near the airport in southern Iceland",
            "Hi",
            "Brexit",
        ] {
            let article = Article::new("a", title);
            let signed = prepare(&article, &config, &hasher).unwrap();
            let held = prepare_unless_held(&article, &config, &hasher, |h| {
                assert_eq!(h, signed.text_hash);
                true
            })
            .unwrap();
            assert_eq!(held.shingles, u32::MAX, "{title}");
            assert!(held.signature.is_empty());
            assert_eq!(signed.signature.len(), config.params.permutations);
            assert_eq!(
                (held.text_hash, held.published, held.headline),
                (signed.text_hash, signed.published, signed.headline)
            );
            let unheld = prepare_unless_held(&article, &config, &hasher, |_| false).unwrap();
            assert_eq!(unheld.signature, signed.signature);
        }
    }

    #[test]
    fn a_batch_normalises_as_its_articles_one_by_one_repeats_and_failures_included() {
        let titles = crate::sample::titles();
        let with_source = |id: String, title: &str, source: Option<&str>| {
            let mut a = Article::new(id, title.to_string());
            a.source = source.map(|s| s.to_string().into());
            a
        };
        let mut articles: Vec<Article<'_>> = Vec::new();
        for (i, title) in titles.iter().take(300).enumerate() {
            articles.push(with_source(format!("a{i}"), title, None));
        }
        // Repeats of raw texts under new ids, some from another source (whose tag the title may name),
        // and a repeat whose first copy fails its own check (an empty id) or has no words at all.
        for (i, title) in titles.iter().take(100).enumerate() {
            articles.push(with_source(format!("b{i}"), title, None));
            articles.push(with_source(format!("c{i}"), title, Some("Reuters")));
        }
        articles.push(with_source(String::new(), "Storm closes the port", None));
        articles.push(with_source("d0".into(), "Storm closes the port", None));
        articles.push(with_source("e0".into(), "???", None));
        articles.push(with_source("e1".into(), "???", None));
        // One title over two bodies: repeats only when the body is not used.
        for (i, body) in ["The port stays shut until Monday.", "Ships wait offshore."]
            .iter()
            .enumerate()
        {
            let mut a = with_source(format!("f{i}"), "Storm closes the port", None);
            a.body = Some(body.to_string().into());
            articles.push(a);
        }
        for config in [
            EngineConfig::default(),
            EngineConfig {
                use_body: Some(true),
                ..EngineConfig::default()
            },
        ] {
            let config = config.validate().unwrap();
            let batch = normalize_batch(&articles, &config);
            assert_eq!(batch.len(), articles.len());
            let mut repeats = 0;
            for (a, got) in articles.iter().zip(&batch) {
                let alone = check(a, &config).and_then(|()| normalize_nonempty(a, &config));
                match (got, alone) {
                    (Ok(got), Ok(alone)) => {
                        assert_eq!(
                            (got.text_hash, got.headline),
                            (alone.text_hash, alone.headline),
                            "{}",
                            a.id
                        );
                        if got.title.is_empty() {
                            repeats += 1;
                        } else {
                            assert_eq!(got, &alone);
                        }
                    }
                    (got, alone) => assert_eq!(got, &alone, "{}", a.id),
                }
            }
            assert!(
                repeats >= 100,
                "{repeats} repeats taken from their first copy"
            );
        }
    }
}
