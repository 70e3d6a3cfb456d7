//! # storyhash
//!
//! Deduplicates news headlines and groups them into story clusters. Each article is normalised (Unicode
//! NFKC, case folding, agency credit lines, datelines and "UPDATE 2-"-style prefixes removed), cut into
//! shingles, summarised by a MinHash signature, and matched against earlier articles through LSH band
//! tables; verified matches put it in a cluster whose id never changes. Signatures and clusters can be
//! kept in an embedded store (sled) that survives restarts.
//!
//! ```
//! use storyhash::{Article, Engine, EngineConfig, Status};
//!
//! let engine = Engine::in_memory(EngineConfig::default())?;
//! let a = engine.ingest(&Article::new("a", "UPDATE 1-ECB to reveal bad loan hurdles for euro zone bank test -sources"))?;
//! let b = engine.ingest(&Article::new("b", "ECB to reveal bad loan hurdles for euro zone bank test - sources"))?;
//! let c = engine.ingest(&Article::new("c", "Portugal's Democratic Alliance Stands Firm on Governance"))?;
//! assert_eq!(b.status, Status::Duplicate); // same text once the prefix and the source tag are gone
//! assert_eq!(b.cluster, a.cluster);
//! assert_eq!(c.status, Status::New);
//! assert_ne!(c.cluster, a.cluster);
//! # Ok::<(), storyhash::Error>(())
//! ```
//!
//! Data flows one way: `normalize` → `shingle` → `signature` → `lsh` → `cluster` → `store`, driven by
//! [`Engine`]; see `ARCHITECTURE.md`.

#![warn(missing_docs)]

pub mod cluster;
pub mod config;
pub mod engine;
pub mod error;
pub mod eval;
pub mod io;
pub mod listing;
pub mod lsh;
pub mod model;
pub mod normalize;
pub mod prepare;
pub mod report;
pub mod server;
pub mod shingle;
pub mod signature;
pub mod store;
pub mod story;
pub mod time;

pub use config::{EngineConfig, Linkage, ShingleKind, SignatureParams, ValidConfig};
pub use engine::{Engine, GroupVerdicts, LockedStore, PreparedBatch};
pub use error::{ArticleError, ConfigError, Error, Result, StoreError};
pub use model::{
    Article, ClusterDetail, ClusterFold, ClusterId, ClusterInfo, FoldedMember, Member, Overview,
    Stats, Status, StoredArticle, StoryClusters, StoryTrend, Trend, Verdict,
};
