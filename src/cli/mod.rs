//! Command-line flags and subcommands. Flags are parsed by clap into [`Cli`]; the matching flags shared by
//! every subcommand ([`MatchArgs`]) become a validated [`EngineConfig`], and the work is handed to the
//! library, which never sees clap. `dedupe` runs a one-off corpus; `ingest` streams NDJSON through a
//! durable store; `serve` runs the HTTP daemon; `prune` drops old articles; `eval` measures the clusters
//! against labelled data.

/// Writes a line to standard error, as `eprintln!` does, but drops it when standard error cannot be
/// written (closed, a full disk, a reader gone) rather than panicking: a run's summary or note is not
/// worth its verdicts and its exit status.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod article_lines;
mod dedupe;
mod eval;
mod ingest;
pub(crate) mod interrupt;
mod new_store;
mod prune;
mod samples;
#[cfg(feature = "server")]
mod serve;
mod verdict_line;
mod writeback;

use std::io;
use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, Result};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use storyhash::{Engine, EngineConfig, Linkage, ShingleKind, StoreError};

/// The exit codes, as every `--help` ends.
macro_rules! exit_status {
    () => {
        "Exit status:
  0  success
  1  an input that cannot be read, an output that cannot be written, or a store that cannot be opened or
     written (missing, in use, read-only, full)
  2  bad input or usage: a malformed record, a bad flag or value, or a flag that contradicts what the
     store was created with"
    };
}

/// Deduplicate news headlines and group them into story clusters.
#[derive(Parser, Debug)]
#[command(name = "storyhash", version, about, long_about = None,
    after_help = concat!("\
Examples:
  storyhash dedupe data/uci-stories-dev.jsonl -o verdicts.jsonl --clusters - --min-size 3
  tail -n +1 -F crawl.ndjson | storyhash ingest --db news.db
  storyhash prune --db news.db --older-than 30d
  storyhash eval data/uci-stories-dev.jsonl --gold story --sweep threshold=0.3:0.7:0.1
  storyhash help dedupe

", exit_status!()))]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Find the duplicates and near-duplicates in a corpus and write a verdict per record.
    ///
    /// Reads JSON Lines (one article object per line with `id`, `title` and optional `body`, `source`,
    /// `url`, `published`), CSV with a header, or plain text (one headline per line). Writes one JSON line
    /// per record: {"id", "cluster", "story", "status", "duplicate_of", "similarity"}, where `cluster` is
    /// the record's final near-duplicate cluster, `story` its story (articles about one event), and
    /// `status` is new, duplicate (same text after normalisation) or near_duplicate.
    Dedupe(dedupe::DedupeArgs),
    /// Stream NDJSON articles from standard input into a store, one verdict line per article.
    ///
    /// Each verdict is written only once its article is durable on disk; articles that arrive together
    /// share one flush. A bad line gets an error line ({"line", "error"}) and the stream goes on. Works
    /// behind `tail -n +1 -F` and in pipelines.
    Ingest(ingest::IngestArgs),
    /// Run the HTTP/JSON daemon over a store (routes under /v1; see README "Run the daemon").
    ///
    /// POST /v1/articles answers only once the articles are durable; requests that arrive together share
    /// one flush. Stops cleanly on SIGINT or SIGTERM; SIGHUP is logged and ignored.
    #[cfg(feature = "server")]
    Serve(serve::ServeArgs),
    /// Drop articles older than a given age from a store (later writes reuse their room; the store's
    /// files do not shrink).
    Prune(prune::PruneArgs),
    /// Measure the clusters against labelled data: pairwise precision, recall, F1 and adjusted Rand index
    /// for items with a gold label, or precision, recall and F1 for labelled pairs; one setting or a sweep.
    #[command(
        mut_arg("threshold", |a| a.help("Estimated Jaccard similarity at or above which two articles are near-duplicates (unless both name dates and none in common, in their titles or, for a title that names none, in their bodies, or both titles number the same kind of edition differently, \"Week 6\" and \"Week 8\", or both name versions and none in common, \"update 20.3.0\" and \"20.1.5\"; an article whose source had already given its body to three different titles is compared with that body's other articles by title) [default: 0.5]")),
        mut_arg("shingle", |a| a.help("Shingles: charN (N characters) or wordN (N words) [default: char5]")),
        mut_arg("permutations", |a| a.help("MinHash permutations (signature length) [default: 128]")),
        mut_arg("bands", |a| a.help("LSH bands; with --rows [default: chosen from the threshold]")),
        mut_arg("fields", |a| a.help("Fields that take part in matching: `title`, or `title,body` (the body is used when present) [default: title,body]")),
    )]
    Eval(eval::EvalArgs),
}

/// The flags that shape matching, shared by every subcommand. A store records the first six when it is
/// created; a later run on it takes the store's value for each one not given.
#[derive(Args, Debug)]
#[command(next_help_heading = "Matching")]
struct MatchArgs {
    /// Estimated Jaccard similarity at or above which two articles are near-duplicates (unless both
    /// name dates and none in common, in their titles or, for a title that names none, in their bodies,
    /// or both titles number the same kind of edition differently, "Week 6" and "Week 8", or both
    /// name versions and none in common, "update 20.3.0" and "20.1.5";
    /// an article whose source had already given its body to three different titles is compared with
    /// that body's other articles by title) [default: 0.5, or the store's]
    #[arg(long, value_name = "SIMILARITY")]
    threshold: Option<f64>,

    /// Shingles: charN (N characters) or wordN (N words) [default: char5, or the store's]
    #[arg(long, value_name = "KIND", value_parser = parse_shingle)]
    shingle: Option<ShingleKind>,

    /// MinHash permutations (signature length) [default: 128, or the store's]
    #[arg(long, value_name = "N")]
    permutations: Option<usize>,

    /// LSH bands; with --rows [default: chosen from the threshold, or the store's]
    #[arg(long, value_name = "N", requires = "rows")]
    bands: Option<usize>,

    /// Rows per LSH band; with --bands
    #[arg(long, value_name = "N", requires = "bands")]
    rows: Option<usize>,

    /// Fields that take part in matching: `title`, or `title,body` (the body is used when present)
    /// [default: title,body, or the store's]
    #[arg(long, value_name = "FIELDS", value_parser = parse_fields)]
    fields: Option<UseBody>,

    /// Which matches an article links to: `best` joins its best match's cluster; `single` links every
    /// verified match, merging the clusters it bridges.
    #[arg(long, value_enum, default_value_t = LinkageArg::Best)]
    linkage: LinkageArg,

    /// Time window (e.g. 7d): an article only matches articles whose time (publication, else arrival)
    /// is within this distance of its own, so a headline from last year starts a new story.
    #[arg(long, value_name = "DURATION", value_parser = storyhash::time::parse_positive_duration)]
    window: Option<u64>,

    /// TF-IDF cosine (against a story's core words) at or above which an article that follows no
    /// earlier article's story joins an open story.
    #[arg(long, value_name = "COSINE", default_value_t = EngineConfig::default().story_threshold)]
    story_threshold: f64,

    /// Cosine between two stories' cores at or above which an article that matched both merges them.
    #[arg(long, value_name = "COSINE", default_value_t = EngineConfig::default().story_merge)]
    story_merge: f64,

    /// How long a story stays open after its latest article (e.g. 1d, 36h): a quiet story ends.
    #[arg(long, value_name = "DURATION", value_parser = storyhash::time::parse_positive_duration,
          default_value = "1d")]
    story_gap: u64,

    /// How long a story stays open after its first article (e.g. 7d): stories are events, not topics.
    #[arg(long, value_name = "DURATION", value_parser = storyhash::time::parse_positive_duration,
          default_value = "7d")]
    story_span: u64,

    /// For a file in time order whose articles have no `published` time (all arriving at once, their
    /// arrival times say nothing): a story also closes to them once N articles came after its latest
    /// member, or N × span/gap after its first, so that the file's order stands in for time. About a
    /// day's articles suits (200 on the real feeds measured). Not for a file in no order of time, where it
    /// only parts stories at random [default: off: arrival times alone]
    #[arg(long, value_name = "N", value_parser = parse_gap_articles)]
    story_gap_articles: Option<u32>,
}

/// The flags that name the key (JSON Lines) or column (CSV, for `dedupe`) an article field is read from,
/// for input written with other names: a crawl's `url` as its id, its `fetched_at` as its time.
#[derive(Args, Debug, Default)]
#[command(next_help_heading = "Input fields")]
struct FieldArgs {
    /// Read the id from this key or column instead of `id` (e.g. url, guid, link); a record without
    /// the key is an error (without it, a CSV header read by `dedupe` may also name it `guid`)
    #[arg(long, value_name = "KEY")]
    id_field: Option<String>,

    /// Read the headline from this key or column instead of `title` (without it, a CSV header read
    /// by `dedupe` may also name it `headline`)
    #[arg(long, value_name = "KEY")]
    title_field: Option<String>,

    /// Read the body from this key or column instead of `body` (without it, a CSV header read by
    /// `dedupe` may also name it `description` or `text`)
    #[arg(long, value_name = "KEY")]
    body_field: Option<String>,

    /// Read the source from this key or column instead of `source`
    #[arg(long, value_name = "KEY")]
    source_field: Option<String>,

    /// Read the URL from this key or column instead of `url` (without it, a CSV header read by
    /// `dedupe` may also name it `link`)
    #[arg(long, value_name = "KEY")]
    url_field: Option<String>,

    /// Read the time from this key or column instead of `published` (without it, a CSV header read
    /// by `dedupe` may also name it `date`, `time` or `pubDate`); e.g. fetched_at, timestamp
    #[arg(long, value_name = "KEY")]
    published_field: Option<String>,
}

impl FieldArgs {
    /// The keys the fields are read from.
    fn names(&self) -> Result<storyhash::io::FieldNames> {
        let mut names = storyhash::io::FieldNames::default();
        let given = [
            ("id", &self.id_field),
            ("title", &self.title_field),
            ("body", &self.body_field),
            ("source", &self.source_field),
            ("url", &self.url_field),
            ("published", &self.published_field),
        ];
        for (field, key) in given {
            if let Some(key) = key {
                names
                    .name(field, key)
                    .map_err(|e| anyhow!(BadInput(format!("--{field}-field: {e}"))))?;
            }
        }
        Ok(names)
    }
}

/// A `--story-gap-articles` count (`off` in an eval sweep: `None`).
fn parse_gap_articles(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "`{s}` is not a number of articles from 1 to {}",
            u32::MAX
        )),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LinkageArg {
    Best,
    Single,
}

impl MatchArgs {
    /// The configuration the flags ask for: what a flag leaves out is the store's, or the default.
    fn engine_config(&self) -> EngineConfig {
        EngineConfig {
            threshold: self.threshold,
            shingle: self.shingle,
            permutations: self.permutations,
            bands: self.bands.zip(self.rows),
            use_body: self.fields.map(|f| f.0),
            linkage: match self.linkage {
                LinkageArg::Best => Linkage::Best,
                LinkageArg::Single => Linkage::Single,
            },
            window: self.window.map(Duration::from_secs),
            story_threshold: self.story_threshold,
            story_merge: self.story_merge,
            story_gap: Duration::from_secs(self.story_gap),
            story_span: Duration::from_secs(self.story_span),
            story_gap_articles: self.story_gap_articles,
            ..EngineConfig::default()
        }
    }

    /// A store's refusal of a setting, in terms of the flag that asked for it, followed by every other
    /// flag given that the store's settings contradict, so that one correction is enough.
    fn mismatch(&self, path: &Path, field: &str, stored: &str, requested: &str) -> String {
        let first = self.first_mismatch(path, field, stored, requested);
        let others = self.other_mismatches(path, field);
        if others.is_empty() {
            first
        } else {
            format!("{first}; it was also created with {}", others.join(", "))
        }
    }

    /// The flags given, other than the one behind `field`, that the store at `dir` refuses too, each
    /// with the store's value and this run's. Each is asked of the store on its own, as an open would.
    fn other_mismatches(&self, dir: &Path, field: &str) -> Vec<String> {
        let by_threshold = self.bands.is_none();
        let first = match field {
            "bands" | "rows" if by_threshold => "threshold",
            "rows" => "bands",
            other => other,
        };
        // The default settings but for the one given.
        let only = |set: &dyn Fn(&mut EngineConfig)| {
            let mut config = EngineConfig::default();
            set(&mut config);
            config
        };
        let given = [
            (
                "shingle",
                self.shingle.is_some(),
                only(&|c| c.shingle = self.shingle),
            ),
            (
                "use_body",
                self.fields.is_some(),
                only(&|c| c.use_body = self.fields.map(|f| f.0)),
            ),
            (
                "permutations",
                self.permutations.is_some(),
                only(&|c| c.permutations = self.permutations),
            ),
            (
                "bands",
                self.bands.is_some(),
                only(&|c| c.bands = self.bands.zip(self.rows)),
            ),
            (
                "threshold",
                self.threshold.is_some() && by_threshold,
                only(&|c| c.threshold = self.threshold),
            ),
        ];
        let fields = |v: &str| if v == "true" { "title,body" } else { "title" };
        let mut others = Vec::new();
        for (flag, is_given, config) in given {
            if !is_given || flag == first {
                continue;
            }
            let Err(storyhash::Error::Store(StoreError::ParamMismatch {
                field,
                stored,
                requested,
                ..
            })) = Engine::lock_store(dir, config)
            else {
                continue;
            };
            others.push(match (flag, field) {
                ("shingle", _) => format!("--shingle {stored} (this run: {requested})"),
                ("use_body", _) => format!(
                    "--fields {} (this run: {})",
                    fields(&stored),
                    fields(&requested)
                ),
                ("permutations", _) => format!("--permutations {stored} (this run: {requested})"),
                ("bands", field) => {
                    format!("{field} = {stored} (this run's --bands and --rows: {requested})")
                }
                (_, field) => format!(
                    "{field} = {stored} (this run's --threshold {} gives {})",
                    self.threshold.unwrap_or_default(),
                    requested.split(' ').next().unwrap_or(&requested)
                ),
            });
        }
        others
    }

    /// The message for the first setting a store refused, in terms of the flag that asked for it.
    fn first_mismatch(&self, path: &Path, field: &str, stored: &str, requested: &str) -> String {
        let dir = path;
        let path = path.display();
        let fields = |v: &str| if v == "true" { "title,body" } else { "title" };
        let (flag, stored, requested) = match field {
            "shingle" => ("--shingle", stored.to_string(), requested.to_string()),
            "use_body" => ("--fields", fields(stored).into(), fields(requested).into()),
            "permutations" => ("--permutations", stored.to_string(), requested.to_string()),
            "bands" | "rows" if self.bands.is_some() => {
                return format!(
                    "the store at {path} was created with {field} = {stored}, but --bands and --rows give \
                     {field} = {requested}; leave them out to take the store's, or use a new store"
                );
            }
            "bands" | "rows" if self.threshold.is_some() => {
                let requested = requested.split(' ').next().unwrap_or(requested);
                // The store's own bands and rows and threshold, read from its settings alone.
                let own = Engine::store_bands(dir)
                    .map(|(b, r, t)| format!(" (--bands {b} --rows {r}; its threshold is {t})"))
                    .unwrap_or_default();
                return format!(
                    "the store at {path} was created with {field} = {stored}, but --threshold {} gives \
                     {field} = {requested}; leave --threshold out to take the store's, give --bands and \
                     --rows to match the store{own}, or use a new store",
                    self.threshold.unwrap_or_default()
                );
            }
            _ => {
                return format!(
                    "the store at {path} was written with {field} = {stored}, but this storyhash uses \
                     {field} = {requested}; open it with the storyhash that wrote it, or use a new store"
                )
            }
        };
        format!(
            "the store at {path} was created with {flag} {stored}, but this run gives {flag} {requested}; \
             leave {flag} out to take the store's, or use a new store"
        )
    }

    /// The error to report for a failure to open an engine: bad settings and settings a store was not
    /// created with are bad input (exit code 2), the rest a failure (exit code 1).
    fn open_error(&self, e: storyhash::Error) -> anyhow::Error {
        match e {
            storyhash::Error::Config(_) => anyhow!(BadInput(in_flags(&e))),
            storyhash::Error::Store(StoreError::ParamMismatch {
                path,
                field,
                stored,
                requested,
            }) => anyhow!(BadInput(self.mismatch(&path, field, &stored, &requested))),
            other => anyhow!(other),
        }
    }
}

/// An engine's error, an invalid setting named by its flag.
fn in_flags(e: &storyhash::Error) -> String {
    match e {
        storyhash::Error::Config(c) => match EngineConfig::flag_of(c.field) {
            Some(flag) => format!("invalid {flag}: {}", c.message),
            None => e.to_string(),
        },
        _ => e.to_string(),
    }
}

#[derive(Clone, Copy, Debug)]
struct UseBody(bool);

fn parse_shingle(s: &str) -> Result<ShingleKind, String> {
    ShingleKind::parse(s).map_err(|e| e.message)
}

fn parse_fields(s: &str) -> Result<UseBody, String> {
    let mut body = false;
    let mut title = false;
    for f in s.split(',').map(str::trim) {
        match f {
            "title" => title = true,
            "body" => body = true,
            other => return Err(format!("unknown field `{other}`; use title or title,body")),
        }
    }
    if !title {
        return Err("the title always takes part; use title or title,body".into());
    }
    Ok(UseBody(body))
}

/// Why the engine refused a record, in terms of the run: an id conflict says where the other text is (in
/// the store with `--db`, earlier in the input without) and, for a record that took its line number as its
/// id, why that id repeats and how to give ids (a plain-text headline has no field to hold one); for one
/// that gave an id of its own which an earlier record without an id took as its line number, that
/// record's place (`earlier_numbered`); for one whose id an earlier record of the run gave with another
/// text, that record's place (`earlier`), `line N` or `NAME:N`; for one the store holds with its title
/// but not its body or source, that (`other_keys`, of [`other_keys_than_the_stored`]).
fn refusal(
    e: &storyhash::ArticleError,
    with_store: bool,
    id_from_line: bool,
    plain_text: bool,
    names: &storyhash::io::FieldNames,
    (earlier_numbered, earlier): (Option<&str>, Option<&str>),
    other_keys: Option<String>,
) -> String {
    let storyhash::ArticleError::IdConflict { id } = e else {
        return names.message(e);
    };
    let mut message = match earlier {
        Some(place) => format!(
            "article `{}` came earlier in the input, at {place}, with a different text",
            storyhash::shown_id(id)
        ),
        None if with_store => e.to_string(),
        None => format!(
            "article `{}` came earlier in the input with a different text",
            storyhash::shown_id(id)
        ),
    };
    if id_from_line && plain_text && with_store {
        message.push_str(
            " (a plain-text headline has no id and takes its line number (FILE:LINE with several \
             inputs), which an earlier run into this store took too: give the headlines ids as JSON \
             Lines, e.g. `jq -R -c '{id: \"FILE:\\(input_line_number)\", title: .}' FILE > FILE.jsonl`)",
        );
    } else if id_from_line {
        let repeated = if with_store {
            "another run repeats"
        } else {
            "an earlier record names as its id"
        };
        message.push_str(&format!(
            " (this record has no `id` of its own and takes its line number (FILE:LINE with several \
             inputs), which {repeated}: give each record an id)"
        ));
    } else if let Some(place) = earlier_numbered {
        // The id is the line number a record without one took: the user never wrote it.
        let key = names.key_named_for("id").unwrap_or("id");
        message.push_str(&format!(
            " ({place} has no `{key}` and took its line number as its id: give each record one)"
        ));
    } else if let Some(why) = other_keys.filter(|_| with_store && earlier.is_none()) {
        message.push_str(&why);
    } else {
        // Most often a crawl keyed by its pages' URLs, whose sites revise a page's headline.
        let key = names.key_named_for("id").unwrap_or("id");
        message.push_str(&format!(
            " (an id names one text, its headline and body: a feed that revises an article under \
             the same `{key}` gives that id again with another)"
        ));
    }
    message
}

/// For an id conflict with an article an earlier run stored (numbered below `run_first`, the first
/// number of this run), the words that say why the two differ when their titles are the same and only
/// a body or a source is there in one and not the other: most often a run into the store that reads
/// other keys (`--body-field`, `--source-field`, `--fields`) than the run that stored it. `None` for
/// any other refusal.
pub(crate) fn other_keys_than_the_stored(
    engine: &Engine,
    e: &storyhash::ArticleError,
    article: &storyhash::Article<'_>,
    run_first: u64,
) -> Option<String> {
    if !matches!(e, storyhash::ArticleError::IdConflict { .. }) {
        return None;
    }
    let number = engine.number_of(&article.id)?;
    if u64::from(number) >= run_first {
        return None;
    }
    let stored = engine.get(&article.id).ok()??.article;
    if stored.title.trim() != article.title.trim() {
        return None;
    }
    let given = |field: &Option<std::borrow::Cow<'_, str>>| {
        field.as_deref().is_some_and(|s| !s.trim().is_empty())
    };
    let differs: Vec<String> = [
        ("body", given(&stored.body), given(&article.body)),
        ("source", given(&stored.source), given(&article.source)),
    ]
    .into_iter()
    .filter(|(_, was, is)| was != is)
    .map(|(field, was, _)| match was {
        true => format!("a {field} this record lacks"),
        false => format!("no {field}, which this record has"),
    })
    .collect();
    (!differs.is_empty()).then(|| {
        format!(
            " (the store holds it with the same title and {}: a run into a store reads the keys \
             the run that stored it read, with the same --body-field, --source-field and --fields)",
            differs.join(" and ")
        )
    })
}

/// A bad record or usage error: exit code 2.
#[derive(Debug)]
struct BadInput(String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// `n` and `noun`, the noun in the plural unless `n` is one ("1 cluster", "2 clusters").
pub(crate) fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// What a failed write to standard output says (a full disk behind a redirection, say).
pub(crate) const CANNOT_WRITE_STDOUT: &str = "cannot write to standard output";

/// The signal that stopped the command, when that is what the error is: the process ends by it
/// ([`interrupt::end_by`]) once the error is said.
pub fn stopping_signal(err: &anyhow::Error) -> Option<i32> {
    err.chain()
        .find_map(|e| e.downcast_ref::<interrupt::Interrupted>())
        .map(|interrupt::Interrupted(signal)| *signal)
}

/// The exit code for an error.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if let Some(signal) = stopping_signal(err) {
        // What a shell reports of a process the signal ended.
        (128 + signal).clamp(0, 255) as u8
    } else if err.chain().any(|e| e.is::<BadInput>()) {
        2
    } else {
        1
    }
}

/// True when the error is standard output's pipe closed (met writing bytes, or a JSON line): a reader
/// that stopped early (`| head`). A closed pipe given as an output file (`-o >(head -1)`), which leaves
/// the outputs after it unwritten, is an error like any other output that cannot be written.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    let on_stdout = err.chain().any(|e| e.to_string() == CANNOT_WRITE_STDOUT);
    on_stdout
        && err.chain().any(|e| {
            let kind = match e.downcast_ref::<io::Error>() {
                Some(e) => Some(e.kind()),
                None => e
                    .downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind),
            };
            kind == Some(io::ErrorKind::BrokenPipe)
        })
}

/// Opens a store (or an in-memory engine) with the matching flags: what they leave out is the store's. A
/// bad setting or one the store was not created with is bad input (exit code 2).
fn open_engine(db: Option<&Path>, matching: &MatchArgs) -> Result<Engine> {
    let config = matching.engine_config();
    match db {
        Some(dir) => Engine::open(dir, config),
        None => Engine::in_memory(config),
    }
    .map_err(|e| matching.open_error(e))
}

/// Refuses to write with `engine` into the store at `db` when it follows a shared log: the write would
/// take it out of the log, and its node would be refused by the log when it starts again. `through_log`
/// says how the command's writes reach the log instead.
fn refuse_a_log_store(engine: &Engine, db: &Path, through_log: &str) -> Result<()> {
    if engine.follows_a_log()? {
        return Err(BadInput(format!(
            "the store at {} follows a shared log (`storyhash serve --log`): written here it would \
             leave the log, and the log would refuse its node from then on; {through_log}",
            db.display()
        ))
        .into());
    }
    Ok(())
}

/// The hint for a "missing field `KEY`" message whose key is written as a path into nested objects
/// (`item.title`, `/item/title`) and whose first step is a key the record has: only the keys at the top
/// of an object are read, and `jq` brings the value up. `None` for any other message (a flat key
/// holding a dot, `og.title`, is no path).
pub(crate) fn nested_key_hint(message: &str) -> Option<String> {
    let key = message.strip_prefix("missing field `")?.split('`').next()?;
    let path = key.trim_start_matches('/');
    if !path.contains(['.', '/']) || path.ends_with(['.', '/']) {
        return None;
    }
    let first = path.split(['.', '/']).next()?;
    let keys = message.split_once("the record's keys: ")?.1;
    if !keys.split(", ").any(|k| k == first) {
        return None;
    }
    // The two fields a record must have; the id's message says it is the id's key.
    let field = match message.contains(", which the id is read from") {
        true => "id",
        false => "title",
    };
    let child = path.rsplit(['.', '/']).next().unwrap_or(path);
    let read = match child == field {
        true => format!("where it is read without --{field}-field"),
        false => format!("read with --{field}-field {child}"),
    };
    Some(format!(
        " (storyhash reads the keys at the top of each object, not within one: `jq -c '{} = {}'` \
         copies the value to the top, {read})",
        jq_path(child),
        jq_path(path)
    ))
}

/// A path of keys as jq writes it: `.item.title`, each key that is not a plain name quoted
/// (`.item."pub-date"`).
fn jq_path(path: &str) -> String {
    path.split(['.', '/']).map(storyhash::io::jq_key).collect()
}

/// The forms of a publication time storyhash reads, as the messages about unread times list them.
pub(crate) const TIME_FORMS: &str =
    "RFC 3339, YYYY-MM-DD[ HH:MM:SS][ ZONE], DD.MM.YYYY[ HH:MM:SS], RFC 2822 as in RSS, March 10, \
     2014[ 4:55 PM ET], 10-Mar-2014[ 16:55:01], Mon Mar 10 16:55:01 +0000 2014 (ctime, Twitter), \
     Unix seconds, milliseconds, microseconds or nanoseconds";

/// An article's publication time as a message shows it (its first 60 characters), when the engine took
/// its arrival instead: a time in no form read, or later than `latest` (more than a day ahead).
pub(crate) fn unread_time(article: &storyhash::Article<'_>, latest: i64) -> Option<String> {
    let published = article.published.as_deref().map(str::trim)?;
    let read = storyhash::time::parse_timestamp(published);
    (!published.is_empty() && read.is_none_or(|t| t > latest))
        .then(|| published.chars().take(60).collect())
}

/// Parses the command line and runs it.
pub fn run() -> Result<()> {
    // A negative number given to any flag is that flag's value, for the flag's own check to refuse by
    // name (`--threshold -0.1`, `--retain -7d`), rather than an unknown flag `-0` or `-7`.
    // A prune takes the store's own matching settings: its help leaves their flags out (still taken,
    // and refused when they contradict the store, as elsewhere).
    let command = Cli::command().mut_subcommands(|sub| {
        let prune = sub.get_name() == "prune";
        sub.mut_args(|arg| {
            let takes_values = arg.get_action().takes_values();
            let duration = arg
                .get_value_names()
                .is_some_and(|names| names.iter().any(|name| name == "DURATION"));
            let hidden = arg.is_hide_set() || prune && arg.get_help_heading() == Some("Matching");
            arg.allow_negative_numbers(takes_values)
                .allow_hyphen_values(duration)
                .hide(hidden)
        })
    });
    let cli = match Cli::from_arg_matches(&command.get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match cli.command {
        Command::Dedupe(args) => dedupe::run(args),
        Command::Ingest(args) => ingest::run(args),
        #[cfg(feature = "server")]
        Command::Serve(args) => serve::run(args),
        Command::Prune(args) => prune::run(args),
        Command::Eval(args) => eval::run(args),
    }
}
