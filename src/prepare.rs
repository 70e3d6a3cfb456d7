//! Turns an [`Article`] into what the index needs to decide on it: the hash of its normalised text (the
//! exact-duplicate key), its shingle count, its MinHash signature, its content terms (for the story level)
//! and its publication time. Pure and thread-safe, so a batch is prepared on all cores before the
//! sequential decision step. Hands [`Prepared`] to `cluster`.

use std::borrow::Cow;

use xxhash_rust::xxh3::Xxh3;

use crate::config::ValidConfig;
use crate::error::ArticleError;
use crate::model::Article;
use crate::normalize::{headline_text, normalize_body, normalize_title_and_headline};
use crate::shingle::shingle_hashes;
use crate::signature::{shingle_key, MinHasher};

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
    /// Content terms of the headline, for the story level (see `story::terms`). `None`: not read yet;
    /// most articles follow an earlier one's story and never need them, so a batch leaves them to the
    /// commit, which reads them (through its `words`) for those that do.
    pub terms: Option<Vec<u32>>,
    /// Publication time in Unix seconds, when the article gives one in a form `time` reads.
    pub published: Option<i64>,
    /// Where the headline freed of boilerplate lies in the raw title (see [`Normalized::headline`]).
    pub headline: Option<(u32, u32)>,
    /// Signed without knowing whether the index holds the text: where it turns out to, the index takes
    /// the shingle count as unknown, as it would for an article not signed for that reason, so that the
    /// decision does not depend on when the article was prepared.
    pub speculative: bool,
}

/// An article's publication time, when it gives one in a form [`crate::time::parse_timestamp`] reads.
pub fn published(article: &Article<'_>) -> Option<i64> {
    article
        .published
        .as_deref()
        .and_then(crate::time::parse_timestamp)
}

/// The content terms of an article's headline, for the story level: read from the headline as written,
/// freed of boilerplate (see `story::terms`). `headline` is where that lies in the title when
/// normalising found it ([`Prepared::headline`]); without it the boilerplate is stripped again.
pub fn story_terms(article: &Article<'_>, headline: Option<(u32, u32)>) -> Vec<u32> {
    let found = headline.and_then(|(start, end)| article.title.get(start as usize..end as usize));
    let text = match found {
        Some(text) => Cow::Borrowed(text),
        None => headline_text(&article.title, article.source.as_deref()),
    };
    let mut terms = Vec::new();
    crate::story::terms(&text, &mut terms);
    terms
}

/// Checks an article's fields against the limits.
pub fn check(article: &Article<'_>, config: &ValidConfig) -> Result<(), ArticleError> {
    let id = &article.id;
    if id.is_empty() {
        return Err(ArticleError::EmptyId);
    }
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
    if article.title.chars().all(invisible) {
        return Err(ArticleError::EmptyTitle { id: id.to_string() });
    }
    Ok(())
}

/// White space, control characters and invisible format characters (zero-width space and joiners,
/// direction marks, byte-order mark, soft hyphen): a title of nothing else says nothing.
fn invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

/// Normalises title and (when used) body and hashes the result.
pub fn normalize(article: &Article<'_>, config: &ValidConfig) -> Normalized {
    let (title, headline) = normalize_title_and_headline(&article.title, article.source.as_deref());
    let body = match (&article.body, config.params.use_body) {
        (Some(body), true) if !body.trim().is_empty() => normalize_body(body),
        _ => String::new(),
    };
    let mut h = Xxh3::with_seed(TEXT_SEED);
    h.update(title.as_bytes());
    if !body.is_empty() {
        h.update(&[0x1f]);
        h.update(body.as_bytes());
    }
    Normalized {
        text_hash: h.digest(),
        title,
        body,
        headline,
    }
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

/// [`prepare`], but an article whose text `held` says the index holds already is not signed (its
/// signature is left empty, its shingle count still counted): an exact copy of a text the index holds
/// needs no signature, and the commit signs one that turns out to need it after all.
pub fn prepare_unless_held(
    article: &Article<'_>,
    config: &ValidConfig,
    hasher: &MinHasher,
    held: impl FnOnce(u64) -> bool,
) -> Result<Prepared, ArticleError> {
    check(article, config)?;
    let text = normalize(article, config);
    if text.title.is_empty() {
        return Err(ArticleError::EmptyTitle {
            id: article.id.to_string(),
        });
    }
    let (shingles, signature) = if held(text.text_hash) {
        let mut hashes = Vec::new();
        shingle(&text, config, &mut hashes);
        (hashes.len() as u32, Vec::new())
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
        speculative: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EngineConfig;

    #[test]
    fn a_text_the_index_holds_is_counted_but_not_signed() {
        // The commit decides an exact copy's eligibility from its shingle count and signs it only if
        // the text has gone: the count must be the one signing gives, for texts long and short.
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
            assert_eq!(held.shingles, signed.shingles, "{title}");
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
}
