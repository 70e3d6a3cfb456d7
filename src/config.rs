//! Engine settings: [`EngineConfig`] is what a caller (or the CLI's flags) asks for; [`EngineConfig::validate`]
//! checks it and derives the LSH bands and rows, giving the [`SignatureParams`] that shape every signature
//! and band key. Those parameters are persisted with a store and compared when it is opened again.

use crate::error::ConfigError;
use crate::lsh;
use crate::normalize::NORMALIZER_VERSION;
use crate::signature::DEFAULT_SEED;

/// Which shingles an article's text is cut into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

/// Which verified matches an article links to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

/// What a caller asks of an engine. `Default` gives the measured defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct EngineConfig {
    /// Estimated Jaccard similarity at or above which an article is a near-duplicate.
    pub threshold: f64,
    /// Shingle kind and size.
    pub shingle: ShingleKind,
    /// Number of MinHash permutations (signature length).
    pub permutations: usize,
    /// Bands and rows of the LSH tables; `None` derives them from the threshold.
    pub bands: Option<(usize, usize)>,
    /// Use the body (or description) alongside the title when an article has one.
    pub use_body: bool,
    /// Seed of the MinHash coefficient generator.
    pub seed: u64,
    /// Articles with fewer shingles than this are matched on exact text only (no band tables).
    pub min_shingles: usize,
    /// Most articles a band bucket holds; later arrivals still see the bucket but do not join it.
    pub bucket_cap: usize,
    /// Longest accepted field (id, title, body, source, url, published), in bytes.
    pub max_field_bytes: usize,
    /// Which verified matches an article links to.
    pub linkage: Linkage,
    /// Time window in seconds: an article only matches articles whose time (publication time, or arrival
    /// time when it has none) lies within this distance of its own. `None` matches across all time.
    pub window: Option<u64>,
    /// Cosine similarity (TF-IDF over content words) at or above which an article that duplicates nothing
    /// joins an existing story.
    pub story_threshold: f64,
}

/// How far apart in time articles of one story may be when no window is set: three days.
pub const DEFAULT_STORY_WINDOW: u64 = 3 * 86_400;

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            threshold: 0.5,
            shingle: ShingleKind::Char(5),
            permutations: 128,
            bands: None,
            use_body: true,
            seed: DEFAULT_SEED,
            min_shingles: 3,
            bucket_cap: 64,
            max_field_bytes: 4 << 20,
            linkage: Linkage::Best,
            window: None,
            story_threshold: 0.1,
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

/// A checked configuration: what the engine runs with.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidConfig {
    /// The configuration as asked.
    pub config: EngineConfig,
    /// The parameters derived from it.
    pub params: SignatureParams,
}

impl EngineConfig {
    /// Checks every setting and derives bands and rows.
    pub fn validate(&self) -> Result<ValidConfig, ConfigError> {
        let err = |field, message: String| Err(ConfigError { field, message });
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return err("threshold", format!("{} is not in (0, 1]", self.threshold));
        }
        let size = self.shingle.size();
        if size == 0 || size > 32 {
            return err("shingle", format!("size {size} is not in 1..=32"));
        }
        if !(8..=1024).contains(&self.permutations) {
            return err(
                "permutations",
                format!("{} is not in 8..=1024", self.permutations),
            );
        }
        let (bands, rows) = match self.bands {
            Some((b, r)) => {
                if b == 0 || r == 0 || b * r > self.permutations {
                    return err(
                        "bands",
                        format!(
                            "{b} bands x {r} rows needs 1..={} permutations in all",
                            self.permutations
                        ),
                    );
                }
                (b, r)
            }
            None => lsh::optimal_bands(self.threshold, self.permutations),
        };
        if self.bucket_cap == 0 {
            return err("bucket_cap", "must be at least 1".into());
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
        if self.window == Some(0) || self.window.is_some_and(|w| w > i64::MAX as u64 / 2) {
            return err("window", "must be at least one second and finite".into());
        }
        Ok(ValidConfig {
            config: self.clone(),
            params: SignatureParams {
                normalizer_version: NORMALIZER_VERSION,
                shingle: self.shingle,
                use_body: self.use_body,
                permutations: self.permutations,
                bands,
                rows,
                seed: self.seed,
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
            threshold: 1.5,
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
    fn default_bands_fit_the_signature() {
        let valid = EngineConfig::default().validate().unwrap();
        assert!(valid.params.bands * valid.params.rows <= valid.params.permutations);
    }
}
