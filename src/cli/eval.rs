//! `storyhash eval`: runs the engine over labelled data and prints how well its clusters match the
//! labels, for one setting or a sweep of them. Two kinds of input: items with a gold cluster label
//! (`--gold FIELD`), scored by pairwise precision, recall, F1 and adjusted Rand index; or pairs of texts
//! with a gold score (`--positive 'score>=4'`), scored by precision, recall and F1 of "the two land in
//! one cluster".

use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use clap::Args;
use serde::Serialize;
use serde_json::Value;

use storyhash::eval::{decisions, pairwise};
use storyhash::{Article, Engine, EngineConfig, ShingleKind, Status};

use super::{BadInput, MatchArgs};

/// Flags of `storyhash eval`.
#[derive(Args, Debug)]
#[command(after_help = "\
Measures, labelled items (--gold), for near-duplicate clusters and again (story_*) for stories:
  precision  of all pairs of items put in one cluster, the share that share a gold label
  recall     of all pairs of items that share a gold label, the share put in one cluster
  f1         the harmonic mean of precision and recall
  ari        adjusted Rand index: agreement on every pair, together or apart; 0 is chance, 1 is identical
Measures, labelled pairs (--positive):
  precision  of the pairs whose two texts land in one cluster, the share that are gold positives
  recall     of the gold positive pairs, the share whose two texts land in one cluster

Examples:
  storyhash eval data/uci-stories-dev.jsonl --gold story --sweep threshold=0.3:0.7:0.1
  storyhash eval pairs.jsonl --positive 'score>=4' --sweep shingle=char4,word1
(pairs.jsonl: one pair per line, {\"sentence_a\": ..., \"sentence_b\": ..., \"score\": ...}; the README says where
the STS headline pairs come from)

Exit status:
  0  measured
  1  the input cannot be read
  2  a malformed line, a missing field, a bad --sweep or --positive, or a bad flag")]
pub struct EvalArgs {
    /// JSON Lines: one item per line (with `id`, `title`, optional `body` and the gold field), or one
    /// pair per line (with --positive).
    #[arg(value_name = "FILE")]
    input: PathBuf,

    /// Field holding each item's gold cluster label.
    #[arg(long, value_name = "FIELD", default_value = "story")]
    gold: String,

    /// Score pairs instead of items: a pair is positive when this holds, e.g. `score>=4` or `duplicate`
    /// (a true boolean field). Operators: >=, >, <=, <, ==.
    #[arg(long, value_name = "EXPR")]
    positive: Option<String>,

    /// Field of a pair's first text.
    #[arg(long, value_name = "FIELD", default_value = "sentence_a")]
    text_a: String,

    /// Field of a pair's second text.
    #[arg(long, value_name = "FIELD", default_value = "sentence_b")]
    text_b: String,

    /// Try several settings: `threshold=0.3:0.9:0.05` or `story_threshold=0.05:0.3:0.05`
    /// (start:end:step), or `shingle=char4,char5,word1` (a list; also `permutations=`). Repeat for a grid.
    #[arg(long, value_name = "PARAM=VALUES")]
    sweep: Vec<String>,

    /// One JSON object per setting instead of a table.
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    matching: MatchArgs,
}

/// One setting of a sweep.
#[derive(Clone, Debug, Serialize)]
struct Setting {
    threshold: f64,
    shingle: String,
    permutations: usize,
    story_threshold: f64,
}

fn bad(message: String) -> anyhow::Error {
    anyhow!(BadInput(message))
}

fn settings(base: &EngineConfig, sweeps: &[String]) -> Result<Vec<EngineConfig>> {
    let mut grid = vec![base.clone()];
    for sweep in sweeps {
        let (param, values) = sweep
            .split_once('=')
            .ok_or_else(|| bad(format!("--sweep `{sweep}`: expected PARAM=VALUES")))?;
        let mut next = Vec::new();
        match param {
            "threshold" | "story_threshold" => {
                let parts: Vec<f64> = values
                    .split(':')
                    .map(|v| v.trim().parse::<f64>())
                    .collect::<Result<_, _>>()
                    .map_err(|e| bad(format!("--sweep `{sweep}`: {e}")))?;
                let [start, end, step] = parts[..] else {
                    return Err(bad(format!(
                        "--sweep `{sweep}`: use {param}=START:END:STEP"
                    )));
                };
                if step <= 0.0 || end < start {
                    return Err(bad(format!(
                        "--sweep `{sweep}`: need START <= END and STEP > 0"
                    )));
                }
                let count = ((end - start) / step + 1e-9).floor() as usize + 1;
                for c in &grid {
                    for i in 0..count {
                        let t = ((start + step * i as f64) * 1e6).round() / 1e6;
                        let mut config = c.clone();
                        if param == "threshold" {
                            config.threshold = Some(t);
                        } else {
                            config.story_threshold = t;
                        }
                        next.push(config);
                    }
                }
            }
            "shingle" => {
                for c in &grid {
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
            "permutations" => {
                for c in &grid {
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
                    "--sweep: unknown parameter `{other}`; use threshold, story_threshold, shingle or permutations"
                )))
            }
        }
        grid = next;
    }
    Ok(grid)
}

/// A JSON value as a label or text: strings as they are, numbers and booleans as written.
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn read_lines(args: &EvalArgs) -> Result<Vec<(u64, Value)>> {
    let text = std::fs::read_to_string(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let name = args.input.display();
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let line = i as u64 + 1;
            serde_json::from_str::<Value>(l.trim_start_matches('\u{feff}'))
                .map(|v| (line, v))
                .map_err(|e| bad(format!("{name}:{line}: {e}")))
        })
        .collect()
}

/// A `FIELD OP NUMBER` or `FIELD` test on a pair.
struct Positive {
    field: String,
    op: Option<(&'static str, f64)>,
}

impl Positive {
    fn parse(expr: &str) -> Result<Positive> {
        for op in [">=", "<=", "==", ">", "<"] {
            if let Some((field, value)) = expr.split_once(op) {
                let value: f64 = value.trim().parse().map_err(|_| {
                    bad(format!(
                        "--positive `{expr}`: `{}` is not a number",
                        value.trim()
                    ))
                })?;
                return Ok(Positive {
                    field: field.trim().to_string(),
                    op: Some((op, value)),
                });
            }
        }
        Ok(Positive {
            field: expr.trim().to_string(),
            op: None,
        })
    }

    fn holds(&self, item: &Value) -> Option<bool> {
        let v = item.get(&self.field)?;
        match self.op {
            None => v.as_bool(),
            Some((op, limit)) => {
                let x = v.as_f64()?;
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

/// Runs `storyhash eval`.
pub fn run(args: EvalArgs) -> Result<()> {
    let items = read_lines(&args)?;
    let name = args.input.display().to_string();
    let grid = settings(&args.matching.engine_config(), &args.sweep)?;
    let mut rows: Vec<(Setting, Value)> = Vec::new();
    for config in grid {
        // Bands and rows derived once per setting, not once per pair.
        let valid = config.validate().map_err(|e| bad(e.to_string()))?;
        let setting = Setting {
            threshold: valid.threshold(),
            shingle: valid.params.shingle.name(),
            permutations: valid.params.permutations,
            story_threshold: valid.story_threshold(),
        };
        let config = EngineConfig {
            bands: Some((valid.params.bands, valid.params.rows)),
            ..config
        };
        let scores = match &args.positive {
            Some(expr) => score_pairs(&items, &name, &args, &Positive::parse(expr)?, config)?,
            None => score_items(&items, &name, &args.gold, config)?,
        };
        rows.push((setting, scores));
    }
    print_rows(&rows, args.json, args.positive.is_some())
}

fn score_items(
    items: &[(u64, Value)],
    name: &str,
    gold: &str,
    config: EngineConfig,
) -> Result<Value> {
    let mut articles = Vec::with_capacity(items.len());
    let mut labels = Vec::with_capacity(items.len());
    for (line, item) in items {
        let field = |f: &str| item.get(f).and_then(as_text);
        let title = field("title").ok_or_else(|| {
            bad(format!(
                "{name}:{line}: field `title` is missing or not text"
            ))
        })?;
        let label = field(gold).ok_or_else(|| {
            bad(format!(
                "{name}:{line}: gold field `{gold}` is missing or not a label"
            ))
        })?;
        let mut article = Article::new(field("id").unwrap_or_else(|| line.to_string()), title);
        article.body = field("body").map(Into::into);
        article.source = field("source").map(Into::into);
        article.published = field("published").map(Into::into);
        articles.push(article);
        labels.push(label);
    }
    let engine = Engine::in_memory(config).map_err(|e| bad(e.to_string()))?;
    let mut predicted = Vec::with_capacity(items.len());
    let mut stories = Vec::with_capacity(items.len());
    for ((line, _), result) in items.iter().zip(engine.ingest_batch(&articles)) {
        let verdict = result.map_err(|e| bad(format!("{name}:{line}: {e}")))?;
        predicted.push(verdict.cluster);
        stories.push(verdict.story);
    }
    let story_scores = pairwise(stories.into_iter().zip(labels.iter().cloned()));
    let scores = pairwise(predicted.into_iter().map(|c| engine.resolve(c)).zip(labels));
    let mut value = serde_json::to_value(scores)?;
    value["story"] = serde_json::to_value(story_scores)?;
    Ok(value)
}

fn score_pairs(
    items: &[(u64, Value)],
    name: &str,
    args: &EvalArgs,
    positive: &Positive,
    config: EngineConfig,
) -> Result<Value> {
    let mut outcomes = Vec::with_capacity(items.len());
    for (line, item) in items {
        let text = |f: &str| {
            item.get(f).and_then(Value::as_str).ok_or_else(|| {
                bad(format!(
                    "{name}:{line}: field `{f}` is missing or not a string"
                ))
            })
        };
        let (a, b) = (text(&args.text_a)?, text(&args.text_b)?);
        let gold = positive.holds(item).ok_or_else(|| {
            bad(format!(
                "{name}:{line}: field `{}` is missing or not comparable",
                positive.field
            ))
        })?;
        let engine = Engine::in_memory(config.clone()).map_err(|e| bad(e.to_string()))?;
        engine
            .ingest(&Article::new("a", a))
            .map_err(|e| bad(format!("{name}:{line}: {e}")))?;
        let verdict = engine
            .query(&Article::new("b", b))
            .map_err(|e| bad(format!("{name}:{line}: {e}")))?;
        outcomes.push((verdict.status != Status::New, gold));
    }
    Ok(serde_json::to_value(decisions(outcomes))?)
}

fn print_rows(rows: &[(Setting, Value)], json: bool, pairs: bool) -> Result<()> {
    if json {
        for (setting, scores) in rows {
            let mut line = serde_json::to_value(setting)?;
            if let (Value::Object(l), Value::Object(s)) = (&mut line, scores) {
                l.extend(s.clone());
            }
            println!("{line}");
        }
        return Ok(());
    }
    let num = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
    if pairs {
        println!("threshold  shingle  perms   pairs  positives  precision  recall      f1");
        for (s, v) in rows {
            println!(
                "{:>9.3}  {:>7}  {:>5}  {:>6}  {:>9}  {:>9.4}  {:>6.4}  {:>6.4}",
                s.threshold,
                s.shingle,
                s.permutations,
                num(v, "items"),
                num(v, "positives"),
                num(v, "precision"),
                num(v, "recall"),
                num(v, "f1")
            );
        }
    } else {
        println!(
            "threshold  shingle  perms   items  gold  clusters  precision  recall      f1     ari  \
             story_t  stories  story_p  story_r  story_f1  story_ari"
        );
        for (s, v) in rows {
            let story = v.get("story").unwrap_or(&Value::Null);
            println!(
                "{:>9.3}  {:>7}  {:>5}  {:>6}  {:>4}  {:>8}  {:>9.4}  {:>6.4}  {:>6.4}  {:>6.4}  \
                 {:>7.3}  {:>7}  {:>7.4}  {:>7.4}  {:>8.4}  {:>9.4}",
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
                s.story_threshold,
                num(story, "predicted_clusters"),
                num(story, "precision"),
                num(story, "recall"),
                num(story, "f1"),
                num(story, "ari"),
            );
        }
    }
    Ok(())
}
