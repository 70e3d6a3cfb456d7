//! Engine settings: [`EngineConfig`] is what a caller (or the CLI's flags) asks for; [`EngineConfig::validate`]
//! checks it and derives the LSH bands and rows, giving the [`SignatureParams`] that shape every signature
//! and band key. Those parameters are persisted with a store and compared when it is opened again.

use std::time::Duration;

use crate::error::ConfigError;
use crate::lsh;
use crate::normalize::NORMALIZER_VERSION;
use crate::signature::DEFAULT_SEED;

/// Which shingles an article's text is cut into. More kinds may come, so a `match` needs a `_` arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ShingleKind {
    /// Runs of `n` consecutive characters (grapheme clusters), spaces included.
    Char(usize),
    /// Runs of `n` consecutive words (Unicode word boundaries).
    Word(usize),
}

impl ShingleKind {
    /// The name used in flags and stored parameters, for example `char5` or `word2`.
    pub fn name(self) -> String {
        match self {
            ShingleKind::Char(n) => format!("char{n}"),
            ShingleKind::Word(n) => format!("word{n}"),
        }
    }

    /// Parses `char5` / `word2` (and `char:5`, `word:2`).
    pub fn parse(text: &str) -> Result<ShingleKind, ConfigError> {
        let bad = || ConfigError {
            field: "shingle",
            message: format!(
                "`{text}` is not a shingle kind; use charN (e.g. char5) or wordN (e.g. word1)"
            ),
        };
        let (kind, rest) = if let Some(rest) = text.strip_prefix("char") {
            (ShingleKind::Char as fn(usize) -> ShingleKind, rest)
        } else if let Some(rest) = text.strip_prefix("word") {
            (ShingleKind::Word as fn(usize) -> ShingleKind, rest)
        } else {
            return Err(bad());
        };
        let n: usize = rest.trim_start_matches(':').parse().map_err(|_| bad())?;
        Ok(kind(n))
    }

    /// The shingle size.
    pub fn size(self) -> usize {
        match self {
            ShingleKind::Char(n) | ShingleKind::Word(n) => n,
        }
    }
}

/// Which verified matches an article links to. More rules may come, so a `match` needs a `_` arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Linkage {
    /// Only its best match: the article joins that cluster and never merges two existing ones.
    Best,
    /// Every verified match: clusters it bridges merge (single linkage, connected components).
    Single,
}

impl Linkage {
    /// The name used in flags.
    pub fn name(self) -> &'static str {
        match self {
            Linkage::Best => "best",
            Linkage::Single => "single",
        }
    }
}

/// What a caller asks of an engine. `Default` gives the measured defaults, and for a store that already
/// exists, the settings it recorded when it was created (below); the others are each engine's own.
///
/// The settings a store records when it is created (`threshold`, `shingle`, `permutations`, `bands`,
/// `use_body`, `seed`) are optional: `None` takes the store's recorded value when it has one, else the
/// default given below; `Some` must agree with what the store records, or the open fails with a
/// [`StoreError::ParamMismatch`](crate::StoreError::ParamMismatch) naming the setting. `threshold` is the
/// exception: it shapes no signature, so one of its own is taken when the bands it derives (or the
/// `bands` given) are the store's (else the mismatch names `bands`), and applies to that engine's
/// matches.
///
/// ```
/// use storyhash::{EngineConfig, ShingleKind};
///
/// let config = EngineConfig {
///     threshold: Some(0.6),
///     shingle: Some(ShingleKind::Word(1)),
///     window: Some(std::time::Duration::from_secs(7 * 86_400)),
///     ..EngineConfig::default()
/// };
/// let valid = config.validate()?;
/// assert_eq!(valid.params.shingle, ShingleKind::Word(1));
/// assert_eq!(valid.threshold(), 0.6);
/// # Ok::<(), storyhash::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct EngineConfig {
    /// Estimated Jaccard similarity at or above which an article is a near-duplicate (unless both name
    /// calendar dates and none in common, in their titles or, for a title that names none, with bodies
    /// used, in their bodies, or both titles number the same kind of edition differently, "Week 6" and
    /// "Week 8", or both name versions and none in common, "update 20.3.0" and "20.1.5"; an article
    /// whose source had already given its body to three different titles is compared with that body's
    /// other articles by their titles' estimated similarity). `None`: the store's, else
    /// [`DEFAULT_THRESHOLD`](EngineConfig::DEFAULT_THRESHOLD).
    pub threshold: Option<f64>,
    /// Shingle kind and size. `None`: the store's, else character 5-grams.
    pub shingle: Option<ShingleKind>,
    /// Number of MinHash permutations (signature length). `None`: the store's, else
    /// [`DEFAULT_PERMUTATIONS`](EngineConfig::DEFAULT_PERMUTATIONS).
    pub permutations: Option<usize>,
    /// Bands and rows of the LSH tables. `None`: the store's, unless `threshold` or `permutations` is
    /// given; else derived from the threshold.
    pub bands: Option<(usize, usize)>,
    /// Use the body (or description) alongside the title when an article has one. `None`: the store's,
    /// else `true`. With bodies, a headline seen once with its description and once without (a feed's
    /// item and the page it links to) is most often two texts too far apart to match: a crawler that
    /// sees articles both ways sets `Some(false)` when it makes the store (a store records it).
    pub use_body: Option<bool>,
    /// Seed of the MinHash coefficient generator. `None`: the store's, else a fixed seed.
    pub seed: Option<u64>,
    /// Articles with fewer shingles than this are matched on exact text only (no band tables). Default 3.
    pub min_shingles: usize,
    /// Most articles a band bucket holds (1 to 65,535); later arrivals still see the bucket but do not join
    /// it. Default 64.
    pub bucket_cap: usize,
    /// Longest accepted field (id, title, body, source, url, published), in bytes. Default 4 MiB (the
    /// daemon's `--max-field` sets 1 MiB unless told otherwise).
    pub max_field_bytes: usize,
    /// Which verified matches an article links to. Default [`Linkage::Best`].
    pub linkage: Linkage,
    /// Time window: an article only matches articles whose time (publication time, or arrival time when it
    /// has none) lies within this distance of its own, counted in whole seconds. `None` matches across all
    /// time (the default).
    pub window: Option<Duration>,
    /// Cosine similarity (TF-IDF over content words, against a story's core) at or above which an article
    /// that follows no earlier article's story joins an open story. Default 0.15.
    pub story_threshold: f64,
    /// Cosine between two stories' cores at or above which an article that matched both merges them.
    /// Default 0.3.
    pub story_merge: f64,
    /// How long a story stays open after its latest article: a quiet story ends. Default one day.
    pub story_gap: Duration,
    /// How long a story stays open after its first article: a story is an event, not a topic. Default
    /// seven days.
    pub story_span: Duration,
    /// For articles with no publication time, whose time is their arrival (which, for a file read at
    /// once, says nothing of when they were published): a story also closes to them once this many
    /// articles came after its latest member, or `story_span / story_gap` times as many after its first,
    /// so that the order of a file in time order stands in for time. About a day's articles suits.
    /// `None` (the default): arrival times alone.
    pub story_gap_articles: Option<u32>,
}

impl EngineConfig {
    /// The `storyhash` command's flag that sets the setting named `field` (as a [`ConfigError`] or a
    /// store's refusal names it), for messages in the terms the user gave; `None` for a setting no flag
    /// sets.
    pub fn flag_of(field: &str) -> Option<&'static str> {
        Some(match field {
            "threshold" => "--threshold",
            "shingle" => "--shingle",
            "permutations" => "--permutations",
            "bands" | "rows" => "--bands/--rows",
            "use_body" => "--fields",
            "linkage" => "--linkage",
            "window" => "--window",
            "story_threshold" => "--story-threshold",
            "story_merge" => "--story-merge",
            "story_gap" => "--story-gap",
            "story_span" => "--story-span",
            "story_gap_articles" => "--story-gap-articles",
            "max_field_bytes" => "--max-field",
            _ => return None,
        })
    }

    /// The signature lengths (`permutations`) an engine takes.
    const PERMUTATIONS: std::ops::RangeInclusive<usize> = 8..=1024;

    /// The threshold of a new store when none is asked for.
    pub const DEFAULT_THRESHOLD: f64 = 0.5;
    /// The shingles of a new store when none are asked for: character 5-grams.
    pub const DEFAULT_SHINGLE: ShingleKind = ShingleKind::Char(5);
    /// The signature length of a new store when none is asked for.
    pub const DEFAULT_PERMUTATIONS: usize = 128;
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            threshold: None,
            shingle: None,
            permutations: None,
            bands: None,
            use_body: None,
            seed: None,
            min_shingles: 3,
            bucket_cap: 64,
            max_field_bytes: 4 << 20,
            linkage: Linkage::Best,
            window: None,
            story_threshold: 0.15,
            story_merge: 0.3,
            story_gap: Duration::from_secs(86_400),
            story_span: Duration::from_secs(7 * 86_400),
            story_gap_articles: None,
        }
    }
}

/// The parameters that shape signatures and band keys; a store records them and refuses others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureParams {
    /// Version of the text normaliser.
    pub normalizer_version: u32,
    /// Shingle kind and size.
    pub shingle: ShingleKind,
    /// Whether bodies take part.
    pub use_body: bool,
    /// Signature length.
    pub permutations: usize,
    /// LSH bands.
    pub bands: usize,
    /// Rows per band.
    pub rows: usize,
    /// Coefficient seed.
    pub seed: u64,
}

impl SignatureParams {
    /// `(name, value)` pairs, in a fixed order: the stored form and the source of mismatch messages.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("normalizer_version", self.normalizer_version.to_string()),
            ("shingle", self.shingle.name()),
            ("use_body", self.use_body.to_string()),
            ("permutations", self.permutations.to_string()),
            ("bands", self.bands.to_string()),
            ("rows", self.rows.to_string()),
            ("seed", self.seed.to_string()),
        ]
    }
}

/// What a store recorded when it was created: the parameters that shape its signatures, and the threshold
/// its bands were chosen for (stores written before the threshold was recorded do not know it).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Recorded {
    pub params: SignatureParams,
    pub threshold: Option<f64>,
}

impl Recorded {
    /// Reads the stored `(name, value)` pairs; the error names the first field missing or unreadable.
    pub fn from_fields(fields: &[(String, String)]) -> Result<Recorded, String> {
        fn get<T: std::str::FromStr>(fields: &[(String, String)], name: &str) -> Result<T, String> {
            let (_, value) = fields
                .iter()
                .find(|(k, _)| k == name)
                .ok_or_else(|| format!("field `{name}` is missing"))?;
            value
                .parse()
                .map_err(|_| format!("field `{name}` = `{value}` is unreadable"))
        }
        let shingle: String = get(fields, "shingle")?;
        Ok(Recorded {
            params: SignatureParams {
                normalizer_version: get(fields, "normalizer_version")?,
                shingle: ShingleKind::parse(&shingle)
                    .map_err(|_| format!("field `shingle` = `{shingle}` is unreadable"))?,
                use_body: get(fields, "use_body")?,
                permutations: get(fields, "permutations")?,
                bands: get(fields, "bands")?,
                rows: get(fields, "rows")?,
                seed: get(fields, "seed")?,
            },
            // Missing from a store made before the threshold was recorded; wrong in a damaged one.
            threshold: match fields.iter().find(|(k, _)| k == "threshold") {
                None => None,
                Some((_, value)) => Some(
                    value
                        .parse()
                        .ok()
                        .filter(|t: &f64| *t > 0.0 && *t <= 1.0)
                        .ok_or_else(|| format!("field `threshold` = `{value}` is unreadable"))?,
                ),
            },
        })
    }

    /// The threshold of a store that records none (made before stores recorded it): the default, when
    /// the default gives the store's bands; else the caller must say, since the bands then come from
    /// another threshold (or were set by hand) and the store cannot tell which.
    fn unrecorded_threshold(&self) -> Result<f64, ConfigError> {
        let p = &self.params;
        let default = EngineConfig::DEFAULT_THRESHOLD;
        if lsh::optimal_bands(default, p.permutations) == (p.bands, p.rows) {
            return Ok(default);
        }
        let giving: Vec<f64> = (1..=100)
            .map(|percent| f64::from(percent) / 100.0)
            .filter(|&t| lsh::optimal_bands(t, p.permutations) == (p.bands, p.rows))
            .collect();
        let hint = match (giving.first(), giving.last()) {
            (Some(low), Some(high)) if low == high => {
                format!("its bands follow from threshold {low}")
            }
            (Some(low), Some(high)) => {
                format!("its bands follow from thresholds {low} to {high}")
            }
            _ => format!(
                "no threshold in steps of 0.01 gives its bands, most likely set by hand: give it \
                 together with --bands {} --rows {}",
                p.bands, p.rows
            ),
        };
        Err(ConfigError {
            field: "threshold",
            message: format!(
                "the store records no threshold (it was made before stores recorded one), and its {} \
                 bands × {} rows are not those of the default {default}: give the threshold it was \
                 made with ({hint})",
                p.bands, p.rows
            ),
        })
    }

    /// The pairs a new store records: its signature parameters and its threshold.
    pub fn fields(config: &ValidConfig) -> Vec<(&'static str, String)> {
        let mut fields = config.params.fields();
        fields.push(("threshold", config.config.threshold.to_string()));
        fields
    }
}

/// The settings an engine runs with once every choice is made (the caller's, the store's or the
/// default); what the index reads.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Settings {
    pub threshold: f64,
    /// Whether bands and rows were derived from the threshold (rather than given or taken from a store).
    pub bands_derived: bool,
    pub min_shingles: usize,
    pub bucket_cap: usize,
    pub max_field_bytes: usize,
    pub linkage: Linkage,
    /// In seconds.
    pub window: Option<u64>,
    pub story_threshold: f64,
    pub story_merge: f64,
    /// In seconds.
    pub story_gap: u64,
    pub story_span: u64,
    pub story_gap_articles: Option<u32>,
}

/// A checked configuration: what the engine runs with.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidConfig {
    pub(crate) config: Settings,
    /// The parameters that shape signatures and band keys.
    pub params: SignatureParams,
}

impl ValidConfig {
    /// The similarity threshold of near-duplicates.
    pub fn threshold(&self) -> f64 {
        self.config.threshold
    }

    /// Which verified matches an article links to.
    pub fn linkage(&self) -> Linkage {
        self.config.linkage
    }

    /// The time window, if any.
    pub fn window(&self) -> Option<Duration> {
        self.config.window.map(Duration::from_secs)
    }

    /// The cosine at or above which an article joins an existing story.
    pub fn story_threshold(&self) -> f64 {
        self.config.story_threshold
    }

    /// The story level's settings.
    pub(crate) fn story_settings(&self) -> crate::story::StorySettings {
        crate::story::StorySettings {
            threshold: self.config.story_threshold,
            merge: self.config.story_merge,
            gap: self.config.story_gap as i64,
            span: self.config.story_span as i64,
            gap_articles: self.config.story_gap_articles,
        }
    }

    /// The longest accepted field, in bytes.
    pub fn max_field_bytes(&self) -> usize {
        self.config.max_field_bytes
    }

    /// The cosine between two stories' cores at or above which an article that matches both merges them.
    pub fn story_merge(&self) -> f64 {
        self.config.story_merge
    }

    /// How long a story stays open after its latest article.
    pub fn story_gap(&self) -> Duration {
        Duration::from_secs(self.config.story_gap)
    }

    /// How long a story stays open after its first article.
    pub fn story_span(&self) -> Duration {
        Duration::from_secs(self.config.story_span)
    }

    /// For articles without a time of their own, how many articles after a story's latest end it.
    pub fn story_gap_articles(&self) -> Option<u32> {
        self.config.story_gap_articles
    }

    /// Articles with fewer shingles than this are matched on exact text only.
    pub fn min_shingles(&self) -> usize {
        self.config.min_shingles
    }

    /// Most members a band bucket takes.
    pub fn bucket_cap(&self) -> usize {
        self.config.bucket_cap
    }
}

impl EngineConfig {
    /// Checks every setting and derives bands and rows, as for an engine in memory or a new store (every
    /// `None` takes its default).
    pub fn validate(&self) -> Result<ValidConfig, ConfigError> {
        self.resolve(None)
    }

    /// Checks the settings that do not depend on a store: the ranges of those given, the limits, the story
    /// threshold and the window. A caller can say what is wrong with them before it opens anything;
    /// [`Engine::open`](crate::Engine::open) checks them again, and the rest against the store.
    ///
    /// # Errors
    ///
    /// The first setting out of range, named.
    pub fn check_given(&self) -> Result<(), ConfigError> {
        let err = |field, message: String| Err(ConfigError { field, message });
        if let Some(t) = self.threshold {
            if !(t > 0.0 && t <= 1.0) {
                return err("threshold", format!("{t} is not in (0, 1]"));
            }
        }
        if let Some(shingle) = self.shingle {
            let size = shingle.size();
            if size == 0 || size > 32 {
                return err("shingle", format!("size {size} is not in 1..=32"));
            }
        }
        if let Some(k) = self.permutations {
            if !EngineConfig::PERMUTATIONS.contains(&k) {
                let (low, high) = EngineConfig::PERMUTATIONS.into_inner();
                return err("permutations", format!("{k} is not in {low}..={high}"));
            }
        }
        if let Some((b, r)) = self.bands {
            if b == 0 || r == 0 {
                return err(
                    "bands",
                    format!("{b} bands x {r} rows: both must be at least 1"),
                );
            }
        }
        if !(1..=lsh::MAX_BUCKET_CAP).contains(&self.bucket_cap) {
            return err(
                "bucket_cap",
                format!("{} is not in 1..={}", self.bucket_cap, lsh::MAX_BUCKET_CAP),
            );
        }
        if u32::try_from(self.min_shingles).is_err() {
            return err(
                "min_shingles",
                format!("{} is more than {}", self.min_shingles, u32::MAX),
            );
        }
        if self.max_field_bytes == 0 {
            return err("max_field_bytes", "must be at least 1".into());
        }
        if !(self.story_threshold > 0.0 && self.story_threshold <= 1.0) {
            return err(
                "story_threshold",
                format!("{} is not in (0, 1]", self.story_threshold),
            );
        }
        if !(self.story_merge > 0.0 && self.story_merge <= 1.0) {
            return err(
                "story_merge",
                format!("{} is not in (0, 1]", self.story_merge),
            );
        }
        let window = self.window.map(|w| w.as_secs());
        if window == Some(0) || window.is_some_and(|w| w > i64::MAX as u64 / 2) {
            return err("window", "must be at least one second and finite".into());
        }
        for (field, d) in [
            ("story_gap", self.story_gap),
            ("story_span", self.story_span),
        ] {
            if d.as_secs() == 0 || d.as_secs() > i64::MAX as u64 / 2 {
                return err(field, "must be at least one second and finite".into());
            }
        }
        if self.story_gap_articles == Some(0) {
            return err("story_gap_articles", "must be at least 1".into());
        }
        Ok(())
    }

    /// Makes every choice — the caller's where given, else what the store `recorded`, else the default —
    /// and checks the result. Whether it agrees with the store is for the caller to check.
    pub(crate) fn resolve(&self, recorded: Option<&Recorded>) -> Result<ValidConfig, ConfigError> {
        self.check_given()?;
        let err = |field, message: String| Err(ConfigError { field, message });
        let stored = recorded.map(|r| &r.params);
        let threshold = match (self.threshold, recorded) {
            (Some(t), _) => t,
            (None, Some(recorded)) => match recorded.threshold {
                Some(t) => t,
                None => recorded.unrecorded_threshold()?,
            },
            (None, None) => Self::DEFAULT_THRESHOLD,
        };
        let shingle = self
            .shingle
            .or(stored.map(|p| p.shingle))
            .unwrap_or(Self::DEFAULT_SHINGLE);
        let permutations = self
            .permutations
            .or(stored.map(|p| p.permutations))
            .unwrap_or(Self::DEFAULT_PERMUTATIONS);
        let use_body = self.use_body.or(stored.map(|p| p.use_body)).unwrap_or(true);
        let seed = self.seed.or(stored.map(|p| p.seed)).unwrap_or(DEFAULT_SEED);
        // A store's bands hold unless the caller asks for a threshold or a signature length of its own,
        // from which they are derived again (and checked against the store).
        let kept = recorded
            .filter(|r| self.threshold.is_none() || self.threshold == r.threshold)
            .map(|r| &r.params)
            .filter(|p| p.permutations == permutations);
        let (bands, rows, bands_derived) = match (self.bands, kept) {
            (Some((b, r)), _) => {
                // Checked, not multiplied: a product that wraps would pass and then ask for 2^63 tables.
                if b.checked_mul(r).is_none_or(|n| n > permutations) {
                    return err(
                        "bands",
                        format!(
                            "{b} bands × {r} rows needs {} values, more than the signature's \
                             {permutations} permutations",
                            b.saturating_mul(r)
                        ),
                    );
                }
                (b, r, false)
            }
            (None, Some(p)) => (p.bands, p.rows, false),
            (None, None) => {
                let (b, r) = lsh::optimal_bands(threshold, permutations);
                (b, r, true)
            }
        };
        Ok(ValidConfig {
            config: Settings {
                threshold,
                bands_derived,
                min_shingles: self.min_shingles,
                bucket_cap: self.bucket_cap,
                max_field_bytes: self.max_field_bytes,
                linkage: self.linkage,
                window: self.window.map(|w| w.as_secs()),
                story_threshold: self.story_threshold,
                story_merge: self.story_merge,
                story_gap: self.story_gap.as_secs(),
                story_span: self.story_span.as_secs(),
                story_gap_articles: self.story_gap_articles,
            },
            params: SignatureParams {
                normalizer_version: NORMALIZER_VERSION,
                shingle,
                use_body,
                permutations,
                bands,
                rows,
                seed,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shingle_names_round_trip() {
        for kind in [
            ShingleKind::Char(5),
            ShingleKind::Word(1),
            ShingleKind::Word(3),
        ] {
            assert_eq!(ShingleKind::parse(&kind.name()).unwrap(), kind);
        }
        assert_eq!(ShingleKind::parse("char:4").unwrap(), ShingleKind::Char(4));
        assert!(ShingleKind::parse("chars").is_err());
        assert!(ShingleKind::parse("bigram").is_err());
    }

    #[test]
    fn invalid_settings_name_the_field() {
        let bad = EngineConfig {
            threshold: Some(1.5),
            ..EngineConfig::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "threshold");
        let bad = EngineConfig {
            bands: Some((64, 4)),
            ..EngineConfig::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "bands");
    }

    #[test]
    fn a_min_shingles_past_the_indexes_numbers_is_refused_not_cut() {
        let e = EngineConfig {
            min_shingles: 1 << 32,
            ..EngineConfig::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.field, "min_shingles");
    }

    #[test]
    fn long_story_settings_make_an_engine() {
        // A long span times many articles does not fit in 64 bits.
        let config = EngineConfig {
            story_gap_articles: Some(u32::MAX),
            story_span: Duration::from_secs(1 << 60),
            ..EngineConfig::default()
        };
        let engine = crate::Engine::in_memory(config).expect("an engine");
        let v = engine
            .ingest(&crate::Article::new(
                "1",
                "Storm closes the harbour at Malmö",
            ))
            .expect("ingested");
        assert_eq!(v.status, crate::Status::New);
    }

    #[test]
    fn default_bands_fit_the_signature() {
        let valid = EngineConfig::default().validate().unwrap();
        assert!(valid.params.bands * valid.params.rows <= valid.params.permutations);
    }

    #[test]
    fn bands_and_rows_whose_product_overflows_are_refused_not_wrapped() {
        for bands in [(1usize << 63, 2), (usize::MAX, usize::MAX), (2, 1 << 63)] {
            let e = EngineConfig {
                bands: Some(bands),
                ..EngineConfig::default()
            }
            .validate()
            .unwrap_err();
            assert_eq!(e.field, "bands", "{bands:?}");
        }
    }

    /// What a store created with `config` records.
    fn recorded(config: &EngineConfig) -> Recorded {
        let fields: Vec<(String, String)> = Recorded::fields(&config.validate().unwrap())
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        Recorded::from_fields(&fields).unwrap()
    }

    #[test]
    fn unset_settings_take_what_the_store_recorded() {
        let created = EngineConfig {
            threshold: Some(0.8),
            shingle: Some(ShingleKind::Word(1)),
            permutations: Some(64),
            use_body: Some(false),
            ..EngineConfig::default()
        };
        let store = recorded(&created);
        let reopened = EngineConfig::default().resolve(Some(&store)).unwrap();
        assert_eq!(reopened.params, created.validate().unwrap().params);
        assert_eq!(reopened.threshold(), 0.8);
        // Without a store the same request gets the defaults.
        let fresh = EngineConfig::default().validate().unwrap();
        assert_eq!(fresh.params.shingle, ShingleKind::Char(5));
        assert_eq!(fresh.threshold(), 0.5);
    }

    #[test]
    fn given_settings_win_over_the_store_and_bands_follow_a_given_threshold() {
        let store = recorded(&EngineConfig::default());
        let asked = EngineConfig {
            shingle: Some(ShingleKind::Word(2)),
            threshold: Some(0.8),
            ..EngineConfig::default()
        };
        let valid = asked.resolve(Some(&store)).unwrap();
        assert_eq!(valid.params.shingle, ShingleKind::Word(2));
        assert_eq!(
            (valid.params.bands, valid.params.rows),
            lsh::optimal_bands(0.8, 128)
        );
        assert!(valid.config.bands_derived);
        // Bands a store was created with explicitly survive a reopen that names its threshold again.
        let explicit = EngineConfig {
            bands: Some((16, 8)),
            ..EngineConfig::default()
        };
        let store = recorded(&explicit);
        let again = EngineConfig {
            threshold: Some(0.5),
            ..EngineConfig::default()
        };
        let valid = again.resolve(Some(&store)).unwrap();
        assert_eq!((valid.params.bands, valid.params.rows), (16, 8));
    }

    /// The fields a store made with `config` before stores recorded their threshold holds.
    fn fields_without_threshold(config: EngineConfig) -> Vec<(String, String)> {
        config
            .validate()
            .unwrap()
            .params
            .fields()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }

    #[test]
    fn a_store_without_a_recorded_threshold_reopens_at_the_default_only_when_it_gives_its_bands() {
        // Made with the default threshold: reopened at it.
        let fields = fields_without_threshold(EngineConfig::default());
        let store = Recorded::from_fields(&fields).unwrap();
        assert_eq!(store.threshold, None);
        let valid = EngineConfig::default().resolve(Some(&store)).unwrap();
        assert_eq!(valid.threshold(), EngineConfig::DEFAULT_THRESHOLD);
        assert_eq!(valid.params, store.params);

        // Made with another: the store cannot say which, and the caller is asked, told which give its
        // bands; the threshold given then keeps them.
        let made = EngineConfig {
            threshold: Some(0.8),
            ..EngineConfig::default()
        };
        let store = Recorded::from_fields(&fields_without_threshold(made)).unwrap();
        let e = EngineConfig::default().resolve(Some(&store)).unwrap_err();
        assert_eq!(e.field, "threshold");
        assert!(
            e.message.contains("records no threshold")
                && e.message.contains("thresholds 0.79 to 0.81"),
            "{e}"
        );
        let again = EngineConfig {
            threshold: Some(0.8),
            ..EngineConfig::default()
        };
        let valid = again.resolve(Some(&store)).unwrap();
        assert_eq!(valid.params, store.params);

        // Bands set by hand: the caller is told to give them with the threshold.
        let by_hand = EngineConfig {
            bands: Some((20, 6)),
            ..EngineConfig::default()
        };
        let store = Recorded::from_fields(&fields_without_threshold(by_hand)).unwrap();
        let e = EngineConfig::default().resolve(Some(&store)).unwrap_err();
        assert!(e.message.contains("--bands 20 --rows 6"), "{e}");
        let again = EngineConfig {
            threshold: Some(0.6),
            bands: Some((20, 6)),
            ..EngineConfig::default()
        };
        let valid = again.resolve(Some(&store)).unwrap();
        assert_eq!((valid.params.bands, valid.params.rows), (20, 6));
        assert_eq!(valid.threshold(), 0.6);
    }

    #[test]
    fn a_damaged_recorded_threshold_is_named_not_replaced() {
        for value in ["0", "1.5", "NaN", "half"] {
            let mut fields = fields_without_threshold(EngineConfig::default());
            fields.push(("threshold".into(), value.into()));
            let e = Recorded::from_fields(&fields).unwrap_err();
            assert!(
                e.contains(&format!("field `threshold` = `{value}`")),
                "{value}: {e}"
            );
        }
    }

    #[test]
    fn unreadable_recorded_fields_are_named() {
        let fields = vec![("shingle".to_string(), "char5".to_string())];
        let e = Recorded::from_fields(&fields).unwrap_err();
        assert!(e.contains("normalizer_version"), "{e}");
        let mut fields = fields_without_threshold(EngineConfig::default());
        fields[3].1 = "many".into();
        let e = Recorded::from_fields(&fields).unwrap_err();
        assert!(e.contains("permutations") && e.contains("many"), "{e}");
    }
}
