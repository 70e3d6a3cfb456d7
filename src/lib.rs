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
//!
//! ## The API
//!
//! [`Engine`] ingests [`Article`]s and answers [`Verdict`]s; [`EngineConfig`] is what a caller asks for;
//! errors are [`Error`] and its families. An [`Article`] deserializes with serde, so JSON Lines need no
//! struct of one's own; times are [`Timestamp`]s (convertible to and from `SystemTime`) and durations
//! `std::time::Duration`s. [`io`] reads JSON Lines, plain text and (feature `csv`) CSV files into articles;
//! [`eval`] scores clusters against gold labels; `server` (feature `server`) is the HTTP daemon.
//!
//! ## Cargo features
//!
//! - `cli` (default): the `storyhash` binary's dependencies (clap, anyhow, indicatif, logging), `csv`
//!   and `report`.
//! - `server` (default): `storyhash::server`, the HTTP/JSON daemon and its stories page (axum, hyper,
//!   tower-http, tokio, prometheus-client).
//! - `redis-log` (default, with `server`): multi-node mode, several daemons applying one shared log kept
//!   in a Redis Stream (`storyhash serve --log redis://…`; the `redis` client).
//! - `csv`: `io::read_csv` and `io::CsvReader`, CSV with a header row, read whole or a chunk of rows
//!   at a time.
//! - `report`: the HTML report of a run that `storyhash dedupe --report` writes (no dependencies).
//!
//! A crawler that links the engine alone depends on `storyhash = { path = "…", default-features = false
//! }` (a checkout of this repository; the crate is not on crates.io): the engine, its sled store and the
//! JSON Lines reader.

#![warn(missing_docs)]

mod cluster;
mod config;
mod earlier_texts;
mod engine;
mod error;
pub mod eval;
mod grouped;
#[cfg(any(feature = "report", feature = "server"))]
mod html_assets;
pub mod io;
mod listing;
#[doc(hidden)]
pub mod lsh;
mod model;
#[doc(hidden)]
pub mod normalize;
mod pool;
mod populate;
#[doc(hidden)]
pub mod prepare;
#[cfg(feature = "report")]
#[doc(hidden)]
pub mod report;
mod rows;
#[cfg(test)]
mod sample;
#[cfg(feature = "server")]
pub mod server;
#[doc(hidden)]
pub mod shingle;
#[doc(hidden)]
pub mod signature;
#[doc(hidden)]
pub mod site_body;
mod store;
#[doc(hidden)]
pub mod story;
#[doc(hidden)]
pub mod time;
#[doc(hidden)]
pub mod title_dates;

pub use config::{EngineConfig, Linkage, ShingleKind, SignatureParams, ValidConfig};
pub use earlier_texts::EarlierTexts;
pub use engine::{ArticleNumber, Engine, GroupResult, LockedStore, PreparedBatch, VerdictRef};
pub use error::{ArticleError, ConfigError, Error, Result, StoreError};
// For the binary's messages that name an article.
#[doc(hidden)]
pub use error::shown_id;
pub use model::{
    Article, ClusterDetail, ClusterFold, ClusterId, ClusterInfo, FoldedMember, Member, Overview,
    Stats, Status, StoredArticle, StoryClusters, StoryTrend, Trend, Verdict,
};
pub use time::Timestamp;
