//! `storyhash eval`: runs the engine over labelled data and prints how well its clusters match the
//! labels, for one setting or a sweep of them. Three kinds of input: items with a gold cluster label
//! (`--gold FIELD`), scored by pairwise precision, recall, F1 and adjusted Rand index, alone or mixed into
//! a busy stream of unlabelled distractors (`--distractors FILE`); pairs of texts with a gold score
//! (`--positive 'score>=4'`), scored by how often the two land in one cluster or, with `--level story`,
//! one story, with `--negative` naming the pairs that must not; or an unlabelled feed (`--feed`), scored
//! by how long its stories run and how large the largest grow.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use clap::{Args, ValueEnum};
use serde::Serialize;
use serde_json::{json, Value};

use storyhash::eval::{decisions, pairwise};
use storyhash::io::FieldNames;
use storyhash::prepare::published;
use storyhash::time::{format_duration, format_rfc3339};
use storyhash::{Article, ClusterId, Engine, EngineConfig, ShingleKind, Status, ValidConfig};

use super::{BadInput, FieldArgs, MatchArgs};

/// The most values one `--sweep` range may give (each is a whole run of the engine over the input).
const MAX_SWEEP_POINTS: usize = 1000;

/// Flags of `storyhash eval`.
#[derive(Args, Debug)]
#[command(after_help = "\
Measures, labelled items (--gold), for near-duplicate clusters and again (story_*) for stories:
  precision  of all pairs of items put in one cluster, the share that share a gold label
  recall     of all pairs of items that share a gold label, the share put in one cluster
  f1         the harmonic mean of precision and recall
  ari        adjusted Rand index: agreement on every pair, together or apart; 0 is chance, 1 is identical
  An item whose gold label is missing, null or blank takes part in the run but is not scored (a note
  says how many); an item repeating an earlier one's id and text is scored once.
  With --distractors the labelled items are mixed, in time order, into a stream of unlabelled articles
  re-timed into the labelled items' time span; every decision is made in that stream and only the
  labelled items are scored.
Measures, labelled pairs (--positive; --level cluster puts each pair through its own engine, --level
story puts every text of the file through one engine in file order):
  precision  of the pairs whose two texts land together, the share that are gold positives
  recall     of the gold positive pairs, the share whose two texts land together
  negatives_together  of the pairs --negative names, the share whose two texts land together
  A precision with no pair put together, or a recall with no positive pair, is 1 by definition, as is
  a precision of labelled items none of which were put together; a note says where. (--json adds
  `together`: how many pairs were put together.)
Measures, an unlabelled feed (--feed), for stories and again (cluster_*) for near-duplicate clusters:
  long_share  the share of articles in stories whose texts span more than --span-days (an exact copy
              of an earlier text counts in its story but does not lengthen it)
  largest     the size of the largest story (--show lists the largest with their first and last
              article times and a sample of their headlines, to read)
  An article without a readable `published` time takes its arrival time: in a file read at once those
  share one time, and no story can span long (a note says how many).

Examples:
  storyhash eval data/uci-stories-dev.jsonl --gold story --sweep threshold=0.3:0.7:0.1
  storyhash eval pairs.jsonl --positive 'score>=4' --sweep shingle=char4,word1
  storyhash eval pairs.jsonl --positive 'score>=4' --negative 'score<1' --level story
  storyhash eval feed.jsonl --feed --span-days 7 --show 10
  storyhash eval data/uci-stories-dev.jsonl --distractors feed.jsonl --distractor-limit 100000
(pairs.jsonl: one pair per line, {\"sentence_a\": ..., \"sentence_b\": ..., \"score\": ...}; the README says where
the STS headline pairs come from)

Exit status:
  0  measured
  1  the input cannot be read
  2  a malformed line, a missing field, a bad --sweep or --positive, or a bad flag")]
pub struct EvalArgs {
    /// JSON Lines: one item per line (with `title`, the gold field, optional `body`, `source`,
    /// `published` and `id`: an item without one takes its line number; without `body` or
    /// --body-field, a `description` is read as the body, which dedupe reads only with --body-field
    /// description, and a note says so), one pair per line (with
    /// --positive), or one article per line (with --feed); `-` reads standard input.
    #[arg(value_name = "FILE")]
    input: PathBuf,

    /// Field holding each item's gold cluster label (a string or a number; `1`, `1.0`, `"1"` and `" 1"` are one
    /// label). An item without one (missing, null or blank) takes part unscored.
    #[arg(long, value_name = "FIELD", default_value = "story", conflicts_with_all = ["positive", "feed"])]
    gold: String,

    /// Score pairs instead of items: a pair is positive when this holds, e.g. `score>=4` (a number, or
    /// a text that reads as one, "4.2"), `duplicate` (a field that is true: a JSON boolean, or the text
    /// true in any case) or `!duplicate` (false). Operators: >=, >, <=, <, ==.
    #[arg(long, value_name = "EXPR")]
    positive: Option<String>,

    /// With --positive: the pairs whose two texts must not land together, e.g. `score<1` or
    /// `!duplicate`; reports the share of them that do.
    #[arg(long, value_name = "EXPR", requires = "positive")]
    negative: Option<String>,

    /// With --positive: whether a pair counts as together when its two texts share a near-duplicate
    /// `cluster` or a `story`.
    #[arg(long, value_enum, default_value_t = Level::Cluster, requires = "positive")]
    level: Level,

    /// With --positive: field of a pair's first text.
    #[arg(
        long,
        value_name = "FIELD",
        default_value = "sentence_a",
        requires = "positive"
    )]
    text_a: String,

    /// With --positive: field of a pair's second text.
    #[arg(
        long,
        value_name = "FIELD",
        default_value = "sentence_b",
        requires = "positive"
    )]
    text_b: String,

    /// Labelled items only: mix them into the articles of this JSON Lines file (repeatable), re-timed
    /// evenly, in their own time order, into the labelled items' time span.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["positive", "feed"])]
    distractors: Vec<PathBuf>,

    /// Take at most this many distractors (the first in file order).
    #[arg(long, value_name = "N", requires = "distractors")]
    distractor_limit: Option<usize>,

    /// Score an unlabelled feed: how long its stories run and how large the largest grow.
    #[arg(long, conflicts_with = "positive")]
    feed: bool,

    /// With --feed: a story whose articles span more than this many days counts as long.
    // `requires` alone lets it pass beside --positive, which --feed conflicts with.
    #[arg(long, value_name = "DAYS", default_value_t = 7.0, value_parser = span_days, requires = "feed", conflicts_with = "positive")]
    span_days: f64,

    /// With --feed: list this many of the largest stories with a sample of their headlines.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 5,
        requires = "feed",
        conflicts_with = "positive"
    )]
    show: usize,

    /// Try several settings: `threshold=0.3:0.9:0.05`, `story_threshold=0.05:0.3:0.05` or
    /// `story_merge=...` (start:end:step, or a list: `threshold=0.4,0.5`), or
    /// `shingle=char4,char5,word1` (a list; also `permutations=`, `story_gap=12h,1d,2d`,
    /// `story_span=3d,7d`, `story_gap_articles=100,200,off`). Repeat for a grid of different parameters;
    /// each parameter takes all its values in one --sweep.
    #[arg(long, value_name = "PARAM=VALUES")]
    sweep: Vec<String>,

    /// One JSON object per setting instead of a table.
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    matching: MatchArgs,

    #[command(flatten)]
    fields: FieldArgs,
}

/// Which grouping a pair test checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Level {
    /// The near-duplicate cluster.
    Cluster,
    /// The story.
    Story,
}

/// The flag that set `param` away from its default in `base` (`--threshold 0.7`), which a sweep of it
/// would silently replace. A flag given its default value cannot be told apart, and changes nothing.
fn set_by_flag(base: &EngineConfig, param: &str) -> Option<String> {
    let default = EngineConfig::default();
    let seconds = |d: std::time::Duration| storyhash::time::format_duration(d.as_secs());
    match param {
        "threshold" => base.threshold.map(|t| format!("--threshold {t}")),
        "shingle" => base.shingle.map(|s| format!("--shingle {}", s.name())),
        "permutations" => base.permutations.map(|n| format!("--permutations {n}")),
        "story_threshold" => (base.story_threshold != default.story_threshold)
            .then(|| format!("--story-threshold {}", base.story_threshold)),
        "story_merge" => (base.story_merge != default.story_merge)
            .then(|| format!("--story-merge {}", base.story_merge)),
        "story_gap" => (base.story_gap != default.story_gap)
            .then(|| format!("--story-gap {}", seconds(base.story_gap))),
        "story_span" => (base.story_span != default.story_span)
            .then(|| format!("--story-span {}", seconds(base.story_span))),
        "story_gap_articles" => (base.story_gap_articles != default.story_gap_articles)
            .then(|| "--story-gap-articles".to_owned()),
        _ => None,
    }
}

/// One setting of a sweep.
#[derive(Clone, Debug, Serialize)]
struct Setting {
    threshold: f64,
    shingle: String,
    permutations: usize,
    bands: usize,
    rows: usize,
    /// `best` or `single`.
    linkage: &'static str,
    /// In seconds; `None`: no window.
    window: Option<u64>,
    /// The fields matched: `title,body` or `title`.
    fields: &'static str,
    story_threshold: f64,
    story_merge: f64,
    /// In seconds.
    story_gap: u64,
    story_span: u64,
    /// `None`: off.
    story_gap_articles: Option<u32>,
}

impl Setting {
    /// The story settings as the tables show them: threshold, merge, gap, span and gap in articles.
    fn story(&self) -> String {
        format!(
            "{:.3}/{:.2}/{}/{}/{}",
            self.story_threshold,
            self.story_merge,
            format_duration(self.story_gap),
            format_duration(self.story_span),
            self.story_gap_articles
                .map_or_else(|| "off".to_string(), |n| n.to_string())
        )
    }
}

/// Reads `--span-days`: a number of days above zero.
fn span_days(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(days) if days.is_finite() && days > 0.0 => Ok(days),
        Ok(_) => Err(format!(
            "{text} is not a number of days above 0 (e.g. 7 or 1.5)"
        )),
        Err(_) if text.trim().ends_with(|c: char| c.is_ascii_alphabetic()) => Err(format!(
            "`{text}`: --span-days is a number of days, without a unit (e.g. 7 or 1.5)"
        )),
        Err(e) => Err(format!("{text}: {e} (e.g. 7 or 1.5)")),
    }
}

/// An error of bad input (exit code 2).
fn bad(message: String) -> anyhow::Error {
    anyhow!(BadInput(message))
}

/// The settings a run scores: `base`, or the grid its `--sweep`s make of it, each checked, so that a
/// value a sweep makes that no setting takes is named with the sweep that made it.
fn settings(base: &EngineConfig, sweeps: &[String]) -> Result<Vec<(EngineConfig, ValidConfig)>> {
    let check = |config: EngineConfig| match config.validate() {
        Ok(valid) => Ok((config, valid)),
        Err(e) => Err(super::in_flags(&storyhash::Error::Config(e))),
    };
    let mut grid = vec![check(base.clone()).map_err(bad)?];
    // The parameters swept so far, each with the --sweep that swept it.
    let mut swept: Vec<(&str, &str)> = Vec::new();
    for sweep in sweeps {
        let (param, values) = sweep
            .split_once('=')
            .ok_or_else(|| bad(format!("--sweep `{sweep}`: expected PARAM=VALUES")))?;
        if let Some((_, first)) = swept.iter().find(|(p, _)| *p == param) {
            return Err(bad(format!(
                "--sweep `{sweep}`: {param} is swept already by --sweep `{first}`; give all its \
                 values in one --sweep (a grid crosses different parameters)"
            )));
        }
        swept.push((param, sweep));
        if let Some(flag) = set_by_flag(base, param) {
            return Err(bad(format!(
                "--sweep `{sweep}` sweeps what {flag} sets; give one of them"
            )));
        }
        let mut next = Vec::new();
        match param {
            "threshold" | "story_threshold" | "story_merge" => {
                // START:END:STEP, or the values listed with commas.
                let range = values.contains(':');
                let parts: Vec<f64> = values
                    .split(if range { ':' } else { ',' })
                    .map(|v| v.trim().parse::<f64>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| {
                        bad(format!(
                            "--sweep `{sweep}`: {param} takes START:END:STEP ({param}=0.3:0.7:0.1) \
                             or numbers listed with commas ({param}=0.4,0.5)"
                        ))
                    })?;
                let points: Vec<f64> = if range {
                    let [start, end, step] = parts[..] else {
                        return Err(bad(format!(
                            "--sweep `{sweep}`: use {param}=START:END:STEP"
                        )));
                    };
                    if !(step > 0.0 && start.is_finite() && end.is_finite() && end >= start) {
                        return Err(bad(format!(
                            "--sweep `{sweep}`: need finite START <= END and STEP > 0"
                        )));
                    }
                    let steps = ((end - start) / step + 1e-9).floor();
                    if steps >= MAX_SWEEP_POINTS as f64 {
                        return Err(bad(format!(
                            "--sweep `{sweep}`: {} settings, more than {MAX_SWEEP_POINTS}; take a \
                             larger STEP",
                            steps + 1.0
                        )));
                    }
                    let count = steps as usize + 1;
                    (0..count).map(|i| start + step * i as f64).collect()
                } else {
                    parts
                };
                for (c, _) in &grid {
                    for &value in &points {
                        let t = (value * 1e6).round() / 1e6;
                        let mut config = c.clone();
                        match param {
                            "threshold" => config.threshold = Some(t),
                            "story_threshold" => config.story_threshold = t,
                            _ => config.story_merge = t,
                        }
                        next.push(config);
                    }
                }
            }
            "shingle" => {
                for (c, _) in &grid {
                    for v in values.split(',') {
                        let shingle = ShingleKind::parse(v.trim())
                            .map_err(|e| bad(format!("--sweep `{sweep}`: {}", e.message)))?;
                        next.push(EngineConfig {
                            shingle: Some(shingle),
                            ..c.clone()
                        });
                    }
                }
            }
            "story_gap" | "story_span" => {
                for (c, _) in &grid {
                    for v in values.split(',') {
                        let d = storyhash::time::parse_positive_duration(v.trim())
                            .map_err(|e| bad(format!("--sweep `{sweep}`: {e}")))?;
                        let mut config = c.clone();
                        if param == "story_gap" {
                            config.story_gap = std::time::Duration::from_secs(d);
                        } else {
                            config.story_span = std::time::Duration::from_secs(d);
                        }
                        next.push(config);
                    }
                }
            }
            "story_gap_articles" => {
                for (c, _) in &grid {
                    for v in values.split(',') {
                        let n = match v.trim() {
                            "off" => None,
                            v => Some(
                                super::parse_gap_articles(v)
                                    .map_err(|e| bad(format!("--sweep `{sweep}`: {e}")))?,
                            ),
                        };
                        next.push(EngineConfig {
                            story_gap_articles: n,
                            ..c.clone()
                        });
                    }
                }
            }
            "permutations" => {
                for (c, _) in &grid {
                    for v in values.split(',') {
                        let permutations = v
                            .trim()
                            .parse()
                            .map_err(|e| bad(format!("--sweep `{sweep}`: {e}")))?;
                        next.push(EngineConfig {
                            permutations: Some(permutations),
                            ..c.clone()
                        });
                    }
                }
            }
            other => {
                return Err(bad(format!(
                    "--sweep: unknown parameter `{other}`; use threshold, story_threshold, story_merge, story_gap, story_span, story_gap_articles, shingle or permutations"
                )))
            }
        }
        // The values one row of the grid took, in order: two alike (`shingle=word1,word1`, `story_gap=1d,24h`,
        // `threshold=0.5,0.50`) would score one setting twice under two names.
        let per_row = next.len() / grid.len().max(1);
        for (j, later) in next[..per_row].iter().enumerate() {
            if let Some(i) = next[..j].iter().position(|earlier| earlier == later) {
                let given: Vec<&str> = values.split(',').map(str::trim).collect();
                let (a, b) = (given.get(i), given.get(j));
                let step_too_small = values.contains(':');
                return Err(bad(match (a, b) {
                    // A range's values are rounded to a millionth.
                    _ if step_too_small => format!(
                        "--sweep `{sweep}`: a STEP under 0.000001 makes settings alike; take a larger \
                         STEP"
                    ),
                    (Some(a), Some(b)) if a == b => {
                        format!("--sweep `{sweep}`: {a} is given twice")
                    }
                    (Some(a), Some(b)) => {
                        format!("--sweep `{sweep}`: {a} and {b} are one setting")
                    }
                    _ => format!("--sweep `{sweep}`: a value is given twice"),
                }));
            }
        }
        grid = next
            .into_iter()
            .map(check)
            .collect::<Result<_, _>>()
            .map_err(|message| bad(format!("--sweep `{sweep}`: {message}")))?;
    }
    Ok(grid)
}

/// A JSON value as a label or text: strings as they are, booleans as written, numbers as written but
/// a whole number written with a fraction (`1.0`, `1e3`) as the integer, so that it is one label with
/// `1` (and `"1"`).
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                format!("{}", f as i64)
            }
            _ => n.to_string(),
        }),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads `path` (`-`: standard input) as JSON Lines, each non-blank line a JSON value.
fn read_lines(path: &Path, limit: Option<usize>) -> Result<Vec<(u64, Value)>> {
    let bytes = if path == Path::new("-") {
        let mut bytes = Vec::new();
        io::Read::read_to_end(&mut io::stdin().lock(), &mut bytes)
            .context("cannot read standard input")?;
        bytes
    } else {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?
    };
    let name = path.display().to_string();
    let mut items = Vec::new();
    for (i, l) in bytes.split(|&b| b == b'\n').enumerate() {
        if limit.is_some_and(|n| items.len() >= n) {
            break;
        }
        let line = i as u64 + 1;
        // As `dedupe` reads lines: UTF-8, said where it is not.
        let l = storyhash::io::line_str(l, line, &name).map_err(|e| bad(e.to_string()))?;
        if l.trim().is_empty() {
            continue;
        }
        let text = l.trim_start_matches('\u{feff}');
        let item = serde_json::from_str::<Value>(text).map_err(|e| {
            // A CSV file, which eval does not read, is told how to become JSON Lines.
            let csv = path
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("csv"));
            let hint = if csv {
                "; a CSV file with a header becomes JSON Lines, its empty cells left out, with \
                 `python3 -c 'import csv,json,sys; [print(json.dumps({k: v for k, v in r.items() if \
                 v})) for r in csv.DictReader(open(sys.argv[1], encoding=\"utf-8-sig\"))]' FILE.csv \
                 > FILE.jsonl`"
            } else {
                ""
            };
            bad(format!(
                "{name}:{line}: {}{} (eval reads JSON Lines: one labelled object per line{hint})",
                storyhash::io::NOT_JSON,
                storyhash::io::json_message(&e)
            ))
        })?;
        if !item.is_object() {
            return Err(bad(format!(
                "{name}:{line}: {}",
                storyhash::io::not_an_object(text.trim_start().bytes().next())
            )));
        }
        items.push((line, item));
    }
    Ok(items)
}

/// The article a JSON item describes: `title` (required), `id` (else `default_id`; not read without
/// one, for an article whose id is made for it), `body` or `description`, `source`, `url` and
/// `published` (text or a number of Unix seconds, milliseconds, microseconds or nanoseconds), each
/// read from the key `names` gives it where it names one (the id's key then required, as `dedupe`
/// reads it).
fn article_of(
    item: &Value,
    names: &FieldNames,
    name: &str,
    line: u64,
    default_id: Option<String>,
) -> Result<Article<'static>> {
    let key = |f: &'static str| names.key_named_for(f).unwrap_or(f);
    let field = |f: &'static str| item.get(key(f)).and_then(as_text);
    let read_from = |f: &'static str| match names.key_named_for(f) {
        Some(k) => format!(" (read from `{k}`)"),
        None => String::new(),
    };
    // A string, as dedupe reads it (a number is no headline).
    let title = item
        .get(key("title"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            bad(format!(
                "{name}:{line}: field `title`{} is missing or not a string",
                read_from("title")
            ))
        })?;
    let id = match (default_id, field("id"), names.key_named_for("id")) {
        (None, _, _) => String::new(),
        (Some(_), Some(id), _) => id,
        (Some(_), None, Some(k)) => {
            return Err(bad(format!(
                "{name}:{line}: field `id` (read from `{k}`, as --id-field says) is missing or not \
                 a string or number"
            )))
        }
        (Some(default_id), None, None) => default_id,
    };
    let mut article = Article::new(id, title);
    article.body = field("body")
        .or_else(|| {
            names
                .key_named_for("body")
                .is_none()
                .then(|| field("description"))
                .flatten()
        })
        .map(Into::into);
    article.source = field("source").map(Into::into);
    article.url = field("url").map(Into::into);
    article.published = field("published").map(Into::into);
    Ok(article)
}

/// The article of a labelled item or a feed's line, its id its line number where it gives none.
fn item_article(
    item: &Value,
    names: &FieldNames,
    name: &str,
    line: u64,
) -> Result<Article<'static>> {
    article_of(item, names, name, line, Some(line.to_string()))
}

/// A `FIELD OP NUMBER` or `FIELD` test on a pair.
struct Positive {
    field: String,
    op: Option<(&'static str, f64)>,
    /// `!FIELD`: the field holds false.
    negated: bool,
}

impl Positive {
    /// Reads the expression given to `flag` (`--positive` or `--negative`).
    fn parse(flag: &str, expr: &str) -> Result<Positive> {
        let malformed = || {
            bad(format!(
                "{flag} `{expr}`: write FIELD OP NUMBER, OP one of >=, >, <=, <, == (`score>=4`), \
                 or a FIELD that holds true or false alone (true) or after `!` (false)"
            ))
        };
        let plain = |field: &str| {
            !field.is_empty()
                && field
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        };
        for op in [">=", "<=", "==", ">", "<"] {
            if let Some((field, value)) = expr.split_once(op) {
                let field = field.trim();
                if !plain(field) {
                    return Err(malformed());
                }
                let value: f64 = value.trim().parse().map_err(|_| {
                    // A boolean field compared with a word: the form for booleans is the field alone.
                    let hint = match (op, value.trim().to_ascii_lowercase().as_str()) {
                        ("==", "true") => {
                            format!("; a field that holds true is named alone: `{field}`")
                        }
                        ("==", "false") => {
                            format!("; a field that holds false is named after `!`: `!{field}`")
                        }
                        _ => String::new(),
                    };
                    bad(format!(
                        "{flag} `{expr}`: `{}` is not a number{hint}",
                        value.trim()
                    ))
                })?;
                if !value.is_finite() {
                    return Err(bad(format!(
                        "{flag} `{expr}`: the limit is not a finite number"
                    )));
                }
                return Ok(Positive {
                    field: field.to_string(),
                    op: Some((op, value)),
                    negated: false,
                });
            }
        }
        let field = expr.trim();
        let (field, negated) = match field.strip_prefix('!') {
            Some(rest) => (rest.trim_start(), true),
            None => (field, false),
        };
        if !plain(field) {
            return Err(malformed());
        }
        Ok(Positive {
            field: field.to_string(),
            op: None,
            negated,
        })
    }

    /// Why [`holds`](Self::holds) has no answer for `item`, for a message.
    fn why_not(&self, item: &Value) -> String {
        let field = &self.field;
        match (item.get(field), self.op) {
            (None, _) => format!(
                "field `{field}` is missing; {}",
                storyhash::io::keys_said(&item_keys(item))
            ),
            (Some(Value::Null), _) => {
                format!("field `{field}` is null; every pair needs a value to test")
            }
            (Some(v), None) => format!(
                "field `{field}` is {v}, not true or false; to test a number, give a comparison \
                 such as `{field}>=4`"
            ),
            (Some(v), Some(_)) => format!("field `{field}` is {v}, not a number to compare"),
        }
    }

    fn holds(&self, item: &Value) -> Option<bool> {
        let v = item.get(&self.field)?;
        match self.op {
            None => boolean(v).map(|b| b != self.negated),
            Some((op, limit)) => {
                let x = number(v)?;
                Some(match op {
                    ">=" => x >= limit,
                    "<=" => x <= limit,
                    "==" => x == limit,
                    ">" => x > limit,
                    _ => x < limit,
                })
            }
        }
    }
}

/// A label that is a number: a JSON number, or a text that reads as a finite one (as a CSV file
/// converted to JSON writes a score, `"4"`).
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        _ => v.as_f64(),
    }
}

/// A label that is true or false: a JSON boolean, or the text `true` or `false` in any case (as a CSV
/// file converted to JSON writes a spreadsheet's TRUE).
fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// What kind of input a run scores, which decides the table printed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Items,
    Pairs,
    Feed,
}

/// Runs `storyhash eval`.
pub fn run(args: EvalArgs) -> Result<()> {
    let stdin_reads = std::iter::once(&args.input)
        .chain(&args.distractors)
        .filter(|path| path.as_path() == Path::new("-"))
        .count();
    if stdin_reads > 1 {
        return Err(bad(
            "standard input (`-`) can be read once: give the other inputs as files".to_owned(),
        ));
    }
    let names = args.fields.names()?;
    if args.positive.is_some() && !names.is_standard() {
        return Err(bad(
            "the --*-field flags name the keys of labelled items and feeds; a pair's texts are \
             read from --text-a and --text-b"
                .to_owned(),
        ));
    }
    let items = read_lines(&args.input, None)?;
    let name = args.input.display().to_string();
    if items.is_empty() {
        return Err(bad(format!("{name} holds no records to score")));
    }
    let grid = settings(&args.matching.engine_config(), &args.sweep)?;
    let distractors = read_distractors(&args.distractors, args.distractor_limit, &names)?;
    let mode = if args.feed {
        Mode::Feed
    } else if args.positive.is_some() {
        Mode::Pairs
    } else {
        Mode::Items
    };
    // A pair file's tests, read once for every setting.
    let positive = args
        .positive
        .as_deref()
        .map(|e| Positive::parse("--positive", e))
        .transpose()?;
    let negative = args
        .negative
        .as_deref()
        .map(|e| Positive::parse("--negative", e))
        .transpose()?;
    if let (Some(p), Some(n), Some(p_written), Some(n_written)) = (
        &positive,
        &negative,
        args.positive.as_deref(),
        args.negative.as_deref(),
    ) {
        note_both_ways(&items, &name, (p, n), (p_written, n_written));
    }
    let mut rows: Vec<(Setting, Value)> = Vec::new();
    // Notes are said once, not once per setting.
    let mut noted = Noted::default();
    for (config, valid) in grid {
        let setting = Setting {
            threshold: valid.threshold(),
            shingle: valid.params.shingle.name(),
            permutations: valid.params.permutations,
            bands: valid.params.bands,
            rows: valid.params.rows,
            linkage: valid.linkage().name(),
            window: valid.window().map(|w| w.as_secs()),
            fields: if valid.params.use_body {
                "title,body"
            } else {
                "title"
            },
            story_threshold: valid.story_threshold(),
            story_merge: config.story_merge,
            story_gap: config.story_gap.as_secs(),
            story_span: config.story_span.as_secs(),
            story_gap_articles: config.story_gap_articles,
        };
        // Bands and rows derived once per setting, not once per pair.
        let config = EngineConfig {
            bands: Some((valid.params.bands, valid.params.rows)),
            ..config
        };
        let scores = match (mode, &positive) {
            (Mode::Feed, _) => score_feed(&items, &name, &args, &names, config, &mut noted)?,
            (_, Some(positive)) => {
                score_pairs(&items, &name, &args, positive, negative.as_ref(), config)?
            }
            _ => score_items(
                &items,
                &name,
                &args,
                &names,
                &distractors,
                config,
                &mut noted,
            )?,
        };
        rows.push((setting, scores));
    }
    if !args.json {
        note_unshown(&rows, &args);
    }
    note_vacuous(&rows, mode, &name, &args);
    print_rows(&rows, args.json, mode, args.show).context(super::CANNOT_WRITE_STDOUT)
}

/// Says which settings in force the table's columns do not show (`--json` prints them all), and that a
/// sweep of story settings does not move the scores of pairs judged by cluster.
fn note_unshown(rows: &[(Setting, Value)], args: &EvalArgs) {
    let Some((setting, _)) = rows.first() else {
        return;
    };
    let mut unshown = Vec::new();
    if args.matching.engine_config().bands.is_some() {
        unshown.push(format!("--bands {} --rows {}", setting.bands, setting.rows));
    }
    if setting.linkage != "best" {
        unshown.push(format!("--linkage {}", setting.linkage));
    }
    if let Some(window) = setting.window {
        unshown.push(format!("--window {}", format_duration(window)));
    }
    if setting.fields != "title,body" {
        unshown.push(format!("--fields {}", setting.fields));
    }
    if !unshown.is_empty() {
        say!(
            "storyhash: note: in force but not in the table's columns: {} (--json prints every setting)",
            unshown.join(", ")
        );
    }
    let story_swept = args
        .sweep
        .iter()
        .any(|s| s.trim_start().starts_with("story_"));
    if args.positive.is_some() && args.level == Level::Cluster && story_swept {
        say!(
            "storyhash: note: the story settings swept do not change whether a pair's texts share a \
             near-duplicate cluster (--level story scores pairs by story)"
        );
    }
}

/// Says how many pairs --positive and --negative both name: each counts as a positive that should land
/// together and as a negative that should not, which the flags most likely did not mean.
fn note_both_ways(
    items: &[(u64, Value)],
    name: &str,
    (positive_test, negative_test): (&Positive, &Positive),
    (positive, negative): (&str, &str),
) {
    let both: Vec<u64> = items
        .iter()
        .filter(|(_, item)| {
            positive_test.holds(item) == Some(true) && negative_test.holds(item) == Some(true)
        })
        .map(|(line, _)| *line)
        .collect();
    match both.as_slice() {
        [] => {}
        [line] => say!(
            "storyhash: note: the pair at {name}:{line} is both positive by --positive `{positive}` \
             and negative by --negative `{negative}`: it counts as both"
        ),
        [first, ..] => say!(
            "storyhash: note: {} pairs of {name} (the first at line {first}) are both positive by \
             --positive `{positive}` and negative by --negative `{negative}`: they count as both",
            both.len()
        ),
    }
}

/// Says where a ratio of the scores is 1 by definition, for want of anything to divide by: precision
/// where storyhash grouped no two items (or joined no pair's texts), recall where no labelled pair is
/// positive. (Items with no two sharing a label are noted where the labels are read.)
fn note_vacuous(rows: &[(Setting, Value)], mode: Mode, name: &str, args: &EvalArgs) {
    let count = |v: &Value, key: &str| v.get(key).and_then(Value::as_u64);
    // A setting named by what the sweep changes: its threshold, shingle, permutations or story settings.
    let parts: [fn(&Setting) -> String; 4] = [
        |s| format!("threshold {:.3}", s.threshold),
        |s| s.shingle.clone(),
        |s| format!("{} permutations", s.permutations),
        |s| format!("story {}", s.story()),
    ];
    let swept: Vec<&fn(&Setting) -> String> = parts
        .iter()
        .filter(|part| rows.iter().any(|(s, _)| part(s) != part(&rows[0].0)))
        .collect();
    let settings = |picked: &[&Setting]| {
        if rows.len() == 1 {
            return String::new();
        }
        let shown: Vec<String> = picked
            .iter()
            .map(|s| {
                swept
                    .iter()
                    .map(|part| part(s))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        format!(
            " at {} of the {} settings ({})",
            picked.len(),
            rows.len(),
            shown.join(", ")
        )
    };
    match mode {
        Mode::Pairs => {
            if rows.iter().any(|(_, v)| count(v, "positives") == Some(0)) {
                say!(
                    "storyhash: note: no pair of {name} is positive by --positive `{}`, so recall is 1 \
                     by definition",
                    args.positive.as_deref().unwrap_or_default()
                );
            }
            let apart: Vec<&Setting> = rows
                .iter()
                .filter(|(_, v)| count(v, "together") == Some(0))
                .map(|(s, _)| s)
                .collect();
            if !apart.is_empty() {
                say!(
                    "storyhash: note: no pair's texts were put together{}, so precision is 1 by \
                     definition",
                    settings(&apart)
                );
            }
        }
        Mode::Items => {
            for (level, scores_of) in [("cluster", None), ("story", Some("story"))] {
                let apart: Vec<&Setting> = rows
                    .iter()
                    .filter(|(_, v)| {
                        let scores = match scores_of {
                            Some(key) => v.get(key).unwrap_or(&Value::Null),
                            None => v,
                        };
                        let groups = count(scores, "predicted_clusters");
                        groups.is_some() && groups == count(v, "items")
                    })
                    .map(|(s, _)| s)
                    .collect();
                if !apart.is_empty() {
                    say!(
                        "storyhash: note: no two items share a {level}{}, so its precision is 1 by \
                         definition",
                        settings(&apart)
                    );
                }
            }
        }
        Mode::Feed => {}
    }
}

/// The distractor articles, at most `limit` of them (the first in file order), ordered by their own time
/// (file order where it ties or is missing). Their ids are made unique as `distractor:FILE:LINE`.
fn read_distractors(
    paths: &[PathBuf],
    limit: Option<usize>,
    names: &FieldNames,
) -> Result<Vec<Article<'static>>> {
    let mut out: Vec<(i64, usize, Article<'static>)> = Vec::new();
    for (f, path) in paths.iter().enumerate() {
        if limit.is_some_and(|n| out.len() >= n) {
            break;
        }
        let name = path.display().to_string();
        // Lines past the limit are not read: a bad one there does not stop the run.
        for (line, item) in read_lines(path, limit.map(|n| n.saturating_sub(out.len())))? {
            let mut article = article_of(&item, names, &name, line, None)?;
            article.id = format!("distractor:{f}:{line}").into();
            let at = published(&article).unwrap_or(i64::MIN);
            let n = out.len();
            out.push((at, n, article));
        }
    }
    out.sort_by_key(|&(at, n, _)| (at, n));
    Ok(out.into_iter().map(|(_, _, a)| a).collect())
}

/// Why the engine refused a labelled item of `items`: an id given to two texts says so and, when an
/// item without an `id` of its own took that id as its line number, why it repeats. (With distractors
/// the items are taken in time order, so the one refused need not be the later in the file.)
fn item_refusal(
    e: &storyhash::Error,
    item: &Value,
    items: &[(u64, Value)],
    names: &FieldNames,
) -> String {
    let storyhash::Error::Article(storyhash::ArticleError::IdConflict { id }) = e else {
        return e.to_string();
    };
    let id_key = names.key_named_for("id").unwrap_or("id");
    let has_id = |item: &Value| item.get(id_key).and_then(as_text).is_some();
    let numbered = !has_id(item)
        || items
            .iter()
            .any(|(line, other)| !has_id(other) && line.to_string() == *id);
    let mut message = format!(
        "article `{}` is given twice in the file with different texts",
        storyhash::shown_id(id)
    );
    if numbered {
        message.push_str(
            " (an item without an `id` of its own takes its line number, which another item names as \
             its id: give each item an id)",
        );
    }
    message
}

/// The message for distractor `id` (`distractor:FILE:LINE`, FILE its place among `paths`) that the
/// engine refused: at that file's line.
fn distractor_error(id: &str, paths: &[PathBuf], e: &storyhash::Error) -> String {
    let place = id
        .strip_prefix("distractor:")
        .and_then(|rest| rest.split_once(':'))
        .and_then(|(f, line)| Some((paths.get(f.parse::<usize>().ok()?)?, line)));
    match place {
        Some((path, line)) => format!("{}:{line} (a distractor): {e}", path.display()),
        None => format!("distractor `{id}`: {e}"),
    }
}

/// The keys of a JSON object, in the order read (by name).
fn item_keys(item: &Value) -> Vec<String> {
    item.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// The notes a run says once whatever its settings.
#[derive(Default)]
struct Noted {
    /// On records whose time is not read.
    times: bool,
    /// On bodies read from `description`.
    bodies: bool,
    /// On the labels: records that repeat an earlier one, records without a label, labels all apart.
    labels: bool,
}

/// An item's gold label, white space around it dropped: `None` for an item without one (the key missing,
/// null or blank), which takes part in the run unscored; why not for a value that is no label (an object,
/// an array).
fn gold_label(item: &Value, gold: &str) -> Result<Option<String>, String> {
    match item.get(gold) {
        None | Some(Value::Null) => Ok(None),
        // An empty cell of a spreadsheet, converted: no label, not the label "" shared by every such item.
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        // A spreadsheet's cell padded with a space (`" 12"`) is the label of the cell that is not.
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(v) => as_text(v).map(Some).ok_or_else(|| {
            let found = if v.is_array() {
                "an array"
            } else {
                "an object"
            };
            format!("gold field `{gold}` is {found}, not a label (a string or a number)")
        }),
    }
}

/// Says what a labelled file's records come to once repeats gave their labels to the records they
/// repeat: how many repeat an earlier one (scored once), how many have no label (unscored), and when no
/// two scored records share a label (so that the scores say nothing).
fn note_labels(labels: &[Option<String>], repeats: &[bool], name: &str, gold: &str) {
    let counted = |n: usize| match n {
        1 => ("1 record".to_owned(), "repeats", "is"),
        n => (format!("{n} records"), "repeat", "are"),
    };
    let repeated = repeats.iter().filter(|&&r| r).count();
    if repeated > 0 {
        let (records, repeat, is) = counted(repeated);
        say!(
            "storyhash: note: {records} of {name} {repeat} an earlier record (same id and text) and \
             {is} scored once"
        );
    }
    let kept: Vec<&Option<String>> = labels
        .iter()
        .zip(repeats)
        .filter(|(_, &r)| !r)
        .map(|(l, _)| l)
        .collect();
    let unlabelled = kept.iter().filter(|l| l.is_none()).count();
    if unlabelled > 0 {
        let (records, take, is) = match unlabelled {
            1 => ("1 record".to_owned(), "takes", "is"),
            n => (format!("{n} records"), "take", "are"),
        };
        say!(
            "storyhash: note: of the {} records of {name}, {records} without a `{gold}` label (the key \
             missing, null or blank) {take} part in the run and {is} not scored",
            kept.len()
        );
    }
    // What pandas writes for a missing value once a column is made text (`astype(str)`): a story of
    // every unlabelled record, scored as one.
    let missing_as_text = kept
        .iter()
        .filter_map(|l| l.as_deref())
        .filter(|label| matches!(*label, "nan" | "NaN" | "None" | "<NA>" | "NaT"))
        .count();
    if missing_as_text > 0 {
        let (records, have, they_are) = match missing_as_text {
            1 => ("1 record".to_owned(), "has", "it is"),
            n => (format!("{n} records"), "have", "they are"),
        };
        say!(
            "storyhash: note: {records} of {name} {have} the `{gold}` label `nan`, `None`, `<NA>` or \
             `NaT`, which pandas writes for a missing value made text: {they_are} scored as one story \
             of that name; a null label leaves a record unscored (`df[col].where(df[col].notna(), \
             None)` before `to_json`)"
        );
    }
    let mut seen = std::collections::HashSet::new();
    if kept
        .iter()
        .filter_map(|l| l.as_ref())
        .all(|label| seen.insert(label))
    {
        // Scores of pairs with no pair to find: a perfect recall and F1 would say nothing.
        say!(
            "storyhash: note: no two records of {name} share a `{gold}` label, so there is no pair to \
             find: recall is 1 by definition, and precision is 1 unless storyhash grouped some"
        );
    }
}

/// Says, once, which labelled records take their arrival time instead of their own: those whose time
/// is in no form read (or more than a day ahead), and those without one when some have one or the key
/// was named (a mistyped --published-field). In a file read at once they all share that arrival, so
/// the story level decides them as if published together.
fn note_item_times(
    items: &[(u64, Value)],
    articles: &[Article<'static>],
    name: &str,
    names: &FieldNames,
) {
    let latest = storyhash::time::now().saturating_add(storyhash::prepare::MOST_AHEAD);
    let (mut missing, mut unread) = (0usize, Vec::new());
    for ((line, _), article) in items.iter().zip(articles) {
        match article.published {
            None => missing += 1,
            Some(_) => {
                if let Some(shown) = super::unread_time(article, latest) {
                    unread.push((*line, shown));
                }
            }
        }
    }
    let named = names.key_named_for("published");
    let key = named.unwrap_or("published");
    let timed = articles.len() - missing;
    let mut parts = Vec::new();
    let have = |n: usize| {
        if n == 1 {
            "1 has".to_owned()
        } else {
            format!("{n} have")
        }
    };
    if missing > 0 && (timed > 0 || named.is_some()) {
        parts.push(format!("{} no `{key}` time", have(missing)));
    }
    if !unread.is_empty() {
        let first: Vec<String> = unread
            .iter()
            .take(3)
            .map(|(line, shown)| format!("{name}:{line} `{shown}`"))
            .collect();
        parts.push(format!(
            "{} a `{key}` time in no form storyhash reads or more than a day ahead (the first: {}; \
             forms read: {})",
            have(unread.len()),
            first.join(", "),
            super::TIME_FORMS
        ));
    }
    if missing == articles.len() && named.is_none() {
        // A time under a key of its own, as `dedupe` notes it: the story scores would be those of an
        // untimed file without a word.
        let mut keys = super::samples::TimeKeys::default();
        let mut counted = 0;
        for (_, item) in items.iter().take(super::samples::SAMPLED_RECORDS) {
            if let Value::Object(object) = item {
                keys.count(object, names);
                counted += 1;
            }
        }
        if let Some(key) = keys.most(counted) {
            say!(
                "storyhash: note: none of the {} records of {name} has a `published` time, and they \
                 hold one under `{key}`, which --published-field {key} reads: without it they take \
                 their arrival time, which they share in a file read at once, so the story level \
                 decides them as if published together",
                articles.len()
            );
        }
    }
    if parts.is_empty() {
        return;
    }
    say!(
        "storyhash: note: of the {} records of {name}, {}: they take their arrival time instead, \
         which they share in a file read at once, so the story level decides them as if published \
         together{}",
        articles.len(),
        parts.join(", and "),
        if named.is_none() && missing > 0 && timed > 0 {
            " (--published-field names the key holding their time)"
        } else {
            ""
        }
    );
}

/// Says, once and where bodies are compared, how many records of `name` had their body read from
/// `description` (no `body`, and none named), which `dedupe` and `ingest` read only when `--body-field
/// description` names it: settings chosen here then carry over with it.
fn note_description_bodies(
    items: &[(u64, Value)],
    name: &str,
    names: &FieldNames,
    config: &EngineConfig,
    noted: &mut Noted,
) {
    if config.use_body == Some(false) || names.key_named_for("body").is_some() || noted.bodies {
        return;
    }
    noted.bodies = true;
    let from_description = items
        .iter()
        .filter(|(_, item)| {
            item.get("body").and_then(as_text).is_none()
                && item.get("description").and_then(as_text).is_some()
        })
        .count();
    if from_description > 0 {
        say!(
            "storyhash: note: eval reads `description` as the body of {} of {name} without a \
             `body`, which dedupe and ingest read only as --body-field description says: give it \
             to them for the verdicts measured here",
            match from_description {
                1 => "the record".to_string(),
                n if n == items.len() => format!("the {n} records"),
                n => format!("{n} records"),
            }
        );
    }
}

fn score_items(
    items: &[(u64, Value)],
    name: &str,
    args: &EvalArgs,
    names: &FieldNames,
    distractors: &[Article<'static>],
    config: EngineConfig,
    noted: &mut Noted,
) -> Result<Value> {
    let gold = args.gold.as_str();
    let mut articles = Vec::with_capacity(items.len());
    let mut labels = Vec::with_capacity(items.len());
    for (line, item) in items {
        labels.push(gold_label(item, gold).map_err(|why| bad(format!("{name}:{line}: {why}")))?);
    }
    if labels.iter().all(Option::is_none) {
        // A file of pairs read as items: say how to score it.
        let (line, item) = &items[0];
        let pair = item.get(&args.text_a).is_some() && item.get(&args.text_b).is_some();
        let hint = if pair {
            format!(
                "; it holds pairs (`{}`, `{}`): score pairs with --positive, e.g. --positive \
                 'score>=4'",
                args.text_a, args.text_b
            )
        } else {
            "; a label under another key is read with --gold KEY, and a feed without labels with \
             --feed (its longest stories, to read)"
                .to_string()
        };
        let none = match items.len() {
            1 => format!("its record has no gold field `{gold}`"),
            n => format!("none of its {n} records has a gold field `{gold}` (first: line {line})"),
        };
        return Err(bad(format!("{name}: {none}{hint}")));
    }
    for (line, item) in items {
        articles.push(item_article(item, names, name, *line)?);
    }
    if distractors.is_empty() && !noted.times {
        noted.times = true;
        note_item_times(items, &articles, name, names);
    }
    note_description_bodies(items, name, names, &config, noted);
    // The stream: the labelled items alone, or mixed in time order with the distractors re-timed evenly
    // over the labelled items' span. `scored[i]` is the stream position of labelled item i.
    let (stream, scored) = if distractors.is_empty() {
        let positions = (0..articles.len()).collect();
        (articles, positions)
    } else {
        busy_stream(articles, items, name, distractors)?
    };
    let engine = Engine::in_memory(config).map_err(|e| bad(super::in_flags(&e)))?;
    let mut verdicts = Vec::with_capacity(stream.len());
    for (n, result) in engine.ingest_batch(&stream).into_iter().enumerate() {
        verdicts.push(result.map_err(|e| {
            // A labelled item is named by its line; a distractor's id is its file and line.
            match scored.iter().position(|&s| s == n) {
                Some(i) => bad(format!(
                    "{name}:{}: {}",
                    items[i].0,
                    item_refusal(&e, &items[i].1, items, names)
                )),
                None => bad(distractor_error(&stream[n].id, &args.distractors, &e)),
            }
        })?);
    }
    // A record repeating an earlier one (same id and text) is scored once, with the label either gives;
    // two labels for one record are refused. Taken in stream order, which decides which came first.
    // `label_line[i]`: the line item i's label was read from.
    let mut label_line: Vec<u64> = items.iter().map(|(line, _)| *line).collect();
    let mut order: Vec<usize> = (0..scored.len()).collect();
    order.sort_by_key(|&i| scored[i]);
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    let mut repeats = vec![false; scored.len()];
    for i in order {
        let id = &*stream[scored[i]].id;
        if !verdicts[scored[i]].repeat {
            first_of.entry(id).or_insert(i);
            continue;
        }
        repeats[i] = true;
        let Some(&j) = first_of.get(id) else {
            continue;
        };
        match (labels[j].clone(), labels[i].take()) {
            (Some(there), Some(here)) if there != here => {
                return Err(bad(format!(
                    "{name}:{}: repeats the record of line {} (same id and text) with another `{gold}` \
                     label: `{here}` here, `{there}` on line {}",
                    items[i].0, items[j].0, label_line[j]
                )))
            }
            (None, Some(here)) => {
                labels[j] = Some(here);
                label_line[j] = items[i].0;
            }
            _ => {}
        }
    }
    if !noted.labels {
        noted.labels = true;
        note_labels(&labels, &repeats, name, gold);
    }
    let mut predicted = Vec::with_capacity(scored.len());
    let mut stories = Vec::with_capacity(scored.len());
    let mut gold_labels = Vec::with_capacity(scored.len());
    for (i, &n) in scored.iter().enumerate() {
        let Some(label) = labels[i].take() else {
            continue;
        };
        predicted.push(engine.resolve(verdicts[n].cluster));
        stories.push(engine.resolve_story(verdicts[n].story));
        gold_labels.push(label);
    }
    let story_scores = pairwise(stories.into_iter().zip(gold_labels.iter().cloned()));
    let scores = pairwise(predicted.into_iter().zip(gold_labels));
    let mut value = serde_json::to_value(scores)?;
    value["story"] = serde_json::to_value(story_scores)?;
    value["distractors"] = distractors.len().into();
    Ok(value)
}

/// Mixes labelled `articles` into `distractors` (already in their own time order), re-timing the
/// distractors evenly over the labelled items' time span; returns the stream in time order and the
/// stream position of each labelled article.
fn busy_stream(
    articles: Vec<Article<'static>>,
    items: &[(u64, Value)],
    name: &str,
    distractors: &[Article<'static>],
) -> Result<(Vec<Article<'static>>, Vec<usize>)> {
    let mut times = Vec::with_capacity(articles.len());
    for (article, (line, _)) in articles.iter().zip(items) {
        let at = published(article).ok_or_else(|| {
                bad(format!(
                    "{name}:{line}: --distractors needs every labelled item to have a readable `published` time"
                ))
            })?;
        times.push(at);
    }
    let (first, last) = match (times.iter().min(), times.iter().max()) {
        (Some(&a), Some(&b)) => (a, b),
        _ => return Ok((articles, Vec::new())),
    };
    let steps = distractors.len().saturating_sub(1).max(1) as i128;
    // (time, 0 for labelled and 1 for a distractor, index): labelled items first at equal times.
    let mut order: Vec<(i64, u8, usize)> =
        times.iter().enumerate().map(|(i, &t)| (t, 0, i)).collect();
    let mut retimed = Vec::with_capacity(distractors.len());
    for (k, d) in distractors.iter().enumerate() {
        let at = first + ((last - first) as i128 * k as i128 / steps) as i64;
        let mut d = d.clone();
        d.published = Some(format_rfc3339(at).into());
        order.push((at, 1, k));
        retimed.push(d);
    }
    order.sort_unstable();
    let mut labelled: Vec<Option<Article<'static>>> = articles.into_iter().map(Some).collect();
    let mut retimed: Vec<Option<Article<'static>>> = retimed.into_iter().map(Some).collect();
    let mut stream = Vec::with_capacity(order.len());
    let mut positions = vec![0; labelled.len()];
    for (_, kind, i) in order {
        let slot = if kind == 0 {
            positions[i] = stream.len();
            &mut labelled[i]
        } else {
            &mut retimed[i]
        };
        if let Some(article) = slot.take() {
            stream.push(article);
        }
    }
    Ok((stream, positions))
}

fn score_pairs(
    items: &[(u64, Value)],
    name: &str,
    args: &EvalArgs,
    positive: &Positive,
    negative: Option<&Positive>,
    config: EngineConfig,
) -> Result<Value> {
    let mut pairs = Vec::with_capacity(items.len());
    for (line, item) in items {
        let text = |f: &str| match item.get(f).and_then(Value::as_str) {
            Some(text) if text.trim().is_empty() => {
                Err(bad(format!("{name}:{line}: field `{f}` is empty")))
            }
            Some(text) => Ok(text),
            None => Err(bad(format!(
                "{name}:{line}: field `{f}` is missing or not a string (--text-a and --text-b name \
                 the keys of a pair's two texts; {})",
                storyhash::io::keys_said(&item_keys(item))
            ))),
        };
        let (a, b) = (text(&args.text_a)?, text(&args.text_b)?);
        let holds = |test: &Positive| {
            test.holds(item)
                .ok_or_else(|| bad(format!("{name}:{line}: {}", test.why_not(item))))
        };
        let gold = holds(positive)?;
        let must_part = negative.map(holds).transpose()?.unwrap_or(false);
        pairs.push((*line, a, b, gold, must_part));
    }
    let together: Vec<bool> = match args.level {
        Level::Cluster => {
            let mut out = Vec::with_capacity(pairs.len());
            for &(line, a, b, _, _) in &pairs {
                let engine =
                    Engine::in_memory(config.clone()).map_err(|e| bad(super::in_flags(&e)))?;
                engine
                    .ingest(&Article::new("a", a))
                    .map_err(|e| bad(format!("{name}:{line}: {e}")))?;
                let verdict = engine
                    .query(&Article::new("b", b))
                    .map_err(|e| bad(format!("{name}:{line}: {e}")))?;
                out.push(verdict.status != Status::New);
            }
            out
        }
        Level::Story => {
            // Every text through one engine, in file order, so that document frequencies and stories
            // form as they would in one run over the file.
            let engine = Engine::in_memory(config).map_err(|e| bad(super::in_flags(&e)))?;
            let mut articles = Vec::with_capacity(pairs.len() * 2);
            for &(line, a, b, _, _) in &pairs {
                articles.push(Article::new(format!("a{line}"), a));
                articles.push(Article::new(format!("b{line}"), b));
            }
            let mut stories = Vec::with_capacity(articles.len());
            for (n, result) in engine.ingest_batch(&articles).into_iter().enumerate() {
                let verdict = result.map_err(|e| bad(format!("{name}:{}: {e}", pairs[n / 2].0)))?;
                stories.push(verdict.story);
            }
            stories
                .chunks(2)
                .map(|ab| engine.resolve_story(ab[0]) == engine.resolve_story(ab[1]))
                .collect()
        }
    };
    let mut value = serde_json::to_value(decisions(
        together.iter().zip(&pairs).map(|(&t, p)| (t, p.3)),
    ))?;
    value["together"] = together.iter().filter(|&&t| t).count().into();
    if negative.is_some() {
        let parted: Vec<bool> = pairs.iter().map(|p| p.4).collect();
        let negatives = parted.iter().filter(|&&n| n).count();
        let joined = together
            .iter()
            .zip(&parted)
            .filter(|&(&t, &n)| t && n)
            .count();
        value["negatives"] = negatives.into();
        value["negatives_together"] = if negatives == 0 {
            Value::Null
        } else {
            (joined as f64 / negatives as f64).into()
        };
    }
    value["level"] = match args.level {
        Level::Cluster => "cluster",
        Level::Story => "story",
    }
    .into();
    Ok(value)
}

/// One group's size and time span while a feed is scored.
#[derive(Clone, Copy)]
struct Span {
    size: u64,
    /// The earliest and latest member times.
    first: i64,
    last: i64,
    /// The earliest and latest times of its members that are not exact copies of an earlier text
    /// (`i64::MAX`, `i64::MIN` while it has none).
    texts_first: i64,
    texts_last: i64,
}

impl Span {
    /// How long its texts run.
    fn length(&self) -> i64 {
        self.texts_last.saturating_sub(self.texts_first).max(0)
    }
}

/// The share of articles in groups whose texts span more than `limit` seconds, the number of such
/// groups, and the groups ordered by size (largest first, then oldest id). Each item is a member's
/// group, its time and whether it is an exact copy of an earlier text: a copy counts in its group's size
/// but not in its span (a headline a feed shows for months is one text, not a story that runs long).
fn spans(
    groups: impl IntoIterator<Item = (ClusterId, i64, bool)>,
    limit: i64,
) -> (f64, u64, Vec<(ClusterId, Span)>) {
    let mut by: HashMap<ClusterId, Span> = HashMap::new();
    let mut total = 0u64;
    for (group, at, copy) in groups {
        total += 1;
        let span = by.entry(group).or_insert(Span {
            size: 0,
            first: at,
            last: at,
            texts_first: i64::MAX,
            texts_last: i64::MIN,
        });
        span.size += 1;
        span.first = span.first.min(at);
        span.last = span.last.max(at);
        if !copy {
            span.texts_first = span.texts_first.min(at);
            span.texts_last = span.texts_last.max(at);
        }
    }
    let long: Vec<&Span> = by.values().filter(|s| s.length() > limit).collect();
    let in_long: u64 = long.iter().map(|s| s.size).sum();
    let share = if total == 0 {
        0.0
    } else {
        in_long as f64 / total as f64
    };
    let count = long.len() as u64;
    let mut ordered: Vec<(ClusterId, Span)> = by.into_iter().collect();
    ordered.sort_unstable_by(|a, b| b.1.size.cmp(&a.1.size).then(a.0.cmp(&b.0)));
    (share, count, ordered)
}

fn score_feed(
    items: &[(u64, Value)],
    name: &str,
    args: &EvalArgs,
    names: &FieldNames,
    config: EngineConfig,
    noted: &mut Noted,
) -> Result<Value> {
    let mut articles = Vec::with_capacity(items.len());
    for (line, item) in items {
        articles.push(item_article(item, names, name, *line)?);
    }
    note_description_bodies(items, name, names, &config, noted);
    let arrival = storyhash::time::now();
    let engine = Engine::in_memory(config).map_err(|e| bad(super::in_flags(&e)))?;
    let mut verdicts = Vec::with_capacity(articles.len());
    for ((line, item), result) in items.iter().zip(engine.ingest_batch(&articles)) {
        verdicts.push(result.map_err(|e| {
            bad(format!(
                "{name}:{line}: {}",
                item_refusal(&e, item, items, names)
            ))
        })?);
    }
    // As the engine takes them: a time more than a day after the arrival is none.
    let published: Vec<Option<i64>> = articles
        .iter()
        .map(|a| storyhash::prepare::taken_published(published(a), arrival))
        .collect();
    // The time the engine gives each: its publication time, else its arrival.
    let times: Vec<i64> = published.iter().map(|p| p.unwrap_or(arrival)).collect();
    let untimed = published.iter().filter(|p| p.is_none()).count();
    if untimed > 0 && !noted.times {
        noted.times = true;
        let which = if untimed == articles.len() {
            format!("all {untimed} articles")
        } else {
            format!("{untimed} of the {} articles", articles.len())
        };
        let (key, hint) = match names.key_named_for("published") {
            Some(key) => (key, ""),
            None => (
                "published",
                " (--published-field names the key holding their time)",
            ),
        };
        say!(
            "storyhash: note: {which} of {name} have no `{key}` time storyhash reads and take \
             their arrival time, which they share in a file read at once: their stories cannot span \
             long, so long_share says nothing of them{hint}"
        );
    }
    let limit = (args.span_days * 86_400.0) as i64;
    let (story_share, long_stories, stories) = spans(
        verdicts.iter().zip(&times).map(|(v, &t)| {
            (
                engine.resolve_story(v.story),
                t,
                v.status == Status::Duplicate,
            )
        }),
        limit,
    );
    let (cluster_share, long_clusters, clusters) = spans(
        verdicts
            .iter()
            .zip(&times)
            .map(|(v, &t)| (engine.resolve(v.cluster), t, v.status == Status::Duplicate)),
        limit,
    );
    // A sample of each of the largest stories' headlines, spread over its members in stream order.
    let mut members: HashMap<ClusterId, Vec<usize>> = HashMap::new();
    let shown: Vec<ClusterId> = stories.iter().take(args.show).map(|(id, _)| *id).collect();
    for (n, v) in verdicts.iter().enumerate() {
        let story = engine.resolve_story(v.story);
        if shown.contains(&story) {
            members.entry(story).or_default().push(n);
        }
    }
    let largest: Vec<Value> = stories
        .iter()
        .take(args.show)
        .map(|(id, span)| {
            let list = members.get(id).map(Vec::as_slice).unwrap_or(&[]);
            // Each headline once: a story's copies of one text would fill the sample.
            let mut seen = std::collections::HashSet::new();
            let distinct: Vec<&str> = list
                .iter()
                .map(|&n| articles[n].title.as_ref())
                .filter(|title| seen.insert(*title))
                .collect();
            let sample = spread(&distinct, 8);
            json!({
                "story": id,
                "size": span.size,
                "first": format_rfc3339(span.first),
                "last": format_rfc3339(span.last),
                "sample": sample,
            })
        })
        .collect();
    let head = |list: &[(ClusterId, Span)]| list.first().map_or(0, |(_, s)| s.size);
    Ok(json!({
        "items": articles.len(),
        "span_days": args.span_days,
        "stories": stories.len(),
        "long_share": story_share,
        "long_stories": long_stories,
        "largest": head(&stories),
        "clusters": clusters.len(),
        "cluster_long_share": cluster_share,
        "cluster_long": long_clusters,
        "cluster_largest": head(&clusters),
        "largest_stories": largest,
    }))
}

fn print_rows(rows: &[(Setting, Value)], json: bool, mode: Mode, show: usize) -> Result<()> {
    // Written, not printed: a closed or full standard output is an error to report, not a panic.
    let mut out = io::stdout().lock();
    if json {
        for (setting, scores) in rows {
            let mut line = serde_json::to_value(setting)?;
            if let (Value::Object(l), Value::Object(s)) = (&mut line, scores) {
                l.extend(s.clone());
            }
            writeln!(out, "{line}")?;
        }
        return Ok(());
    }
    let num = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
    match mode {
        Mode::Pairs => {
            writeln!(
                out,
                "threshold  shingle  perms   story(t/merge/gap/span/n)  level     pairs  positives  precision  recall      f1  \
                 negatives  negatives_together"
            )?;
            for (s, v) in rows {
                writeln!(
                    out,
                    "{:>9.3}  {:>7}  {:>5}  {:>26}  {:<7}  {:>6}  {:>9}  {:>9.4}  {:>6.4}  {:>6.4}  {:>9}  {:>18}",
                    s.threshold,
                    s.shingle,
                    s.permutations,
                    s.story(),
                    v.get("level").and_then(Value::as_str).unwrap_or(""),
                    num(v, "items"),
                    num(v, "positives"),
                    num(v, "precision"),
                    num(v, "recall"),
                    num(v, "f1"),
                    // Without --negative (or with none among the pairs): no figure, not NaN.
                    v.get("negatives").map_or("-".to_owned(), Value::to_string),
                    v.get("negatives_together")
                        .and_then(Value::as_f64)
                        .map_or("-".to_owned(), |x| format!("{x:.4}")),
                )?;
            }
        }
        Mode::Items => {
            writeln!(
                out,
                "threshold  shingle  perms   items  gold  clusters  precision  recall      f1     ari   \
                  story(t/merge/gap/span/n)  stories  story_p  story_r  story_f1  story_ari"
            )?;
            for (s, v) in rows {
                let story = v.get("story").unwrap_or(&Value::Null);
                writeln!(
                    out,
                    "{:>9.3}  {:>7}  {:>5}  {:>6}  {:>4}  {:>8}  {:>9.4}  {:>6.4}  {:>6.4}  {:>6.4}  \
                     {:>26}  {:>7}  {:>7.4}  {:>7.4}  {:>8.4}  {:>9.4}",
                    s.threshold,
                    s.shingle,
                    s.permutations,
                    num(v, "items"),
                    num(v, "gold_clusters"),
                    num(v, "predicted_clusters"),
                    num(v, "precision"),
                    num(v, "recall"),
                    num(v, "f1"),
                    num(v, "ari"),
                    s.story(),
                    num(story, "predicted_clusters"),
                    num(story, "precision"),
                    num(story, "recall"),
                    num(story, "f1"),
                    num(story, "ari"),
                )?;
            }
            if let Some(d) = rows.first().and_then(|(_, v)| v.get("distractors")) {
                if d.as_u64().unwrap_or(0) > 0 {
                    writeln!(
                        out,
                        "(labelled items scored in a stream with {d} distractors)"
                    )?;
                }
            }
        }
        Mode::Feed => {
            writeln!(
                out,
                "threshold  shingle  perms   story(t/merge/gap/span/n)    items  span_days  stories  long_share  \
                 long_stories  largest  clusters  cluster_long_share  cluster_largest"
            )?;
            for (s, v) in rows {
                writeln!(
                    out,
                    "{:>9.3}  {:>7}  {:>5}  {:>26}  {:>7}  {:>9}  {:>7}  {:>10.4}  {:>12}  {:>7}  {:>8}  {:>18.4}  {:>15}",
                    s.threshold,
                    s.shingle,
                    s.permutations,
                    s.story(),
                    num(v, "items"),
                    num(v, "span_days"),
                    num(v, "stories"),
                    num(v, "long_share"),
                    num(v, "long_stories"),
                    num(v, "largest"),
                    num(v, "clusters"),
                    num(v, "cluster_long_share"),
                    num(v, "cluster_largest"),
                )?;
            }
            for (s, v) in rows.iter().filter(|_| show > 0) {
                // The whole setting, as its row shows it: a sweep of any parameter tells its blocks
                // apart.
                writeln!(
                    out,
                    "\nlargest stories at threshold {}, shingle {}, {} permutations, story {}:",
                    s.threshold,
                    s.shingle,
                    s.permutations,
                    s.story()
                )?;
                for story in v["largest_stories"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
                {
                    writeln!(
                        out,
                        "  story {}: {} articles, {} .. {}",
                        story["story"],
                        story["size"],
                        story["first"].as_str().unwrap_or(""),
                        story["last"].as_str().unwrap_or("")
                    )?;
                    for title in story["sample"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
                        writeln!(out, "    {}", title.as_str().unwrap_or(""))?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// At most `n` of `items`, spread evenly over them, the first and the last among them.
fn spread<T: Copy>(items: &[T], n: usize) -> Vec<T> {
    let shown = items.len().min(n);
    (0..shown)
        .map(|i| items[i * (items.len() - 1) / (shown - 1).max(1)])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_spreads_over_the_whole_story() {
        let items: Vec<u32> = (0..12).collect();
        assert_eq!(spread(&items, 8), [0, 1, 3, 4, 6, 7, 9, 11]);
        assert_eq!(spread(&items[..3], 8), [0, 1, 2]);
        assert_eq!(spread(&items[..1], 8), [0]);
        assert!(spread(&items[..0], 8).is_empty());
    }
}
