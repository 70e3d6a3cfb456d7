//! `storyhash dedupe`: reads blocks, parses them on all cores and ingests them in a two-stage pipeline,
//! then writes one verdict line per record and, on request, one line per cluster.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

use anyhow::{anyhow, Context, Result};
use clap::builder::TypedValueParser;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;

use storyhash::io::{
    emptied, faults_the_whole_input, parse_block_in, Block, BlockReader, CsvReader, CsvRows,
    FieldNames, Format, LineEndings, ParsedBlock, Record, RecordError, RecordRoom,
};
use storyhash::{Article, ArticleNumber, EarlierTexts, Engine, PreparedBatch};

use super::article_lines::{ArticleLines, Place};
use super::new_store::NewStore;
use super::samples::{self, Sample};
use super::verdict_line::{Similarities, VerdictLine};
use super::writeback::Writeback;
use super::{counted, interrupt, open_engine, refusal, BadInput, FieldArgs, MatchArgs};

/// Flags of `storyhash dedupe`.
#[derive(Args, Debug)]
#[command(after_help = concat!("\
Examples:
  storyhash dedupe data/uci-stories-dev.jsonl -o verdicts.jsonl --clusters - --min-size 3
  storyhash dedupe headlines.txt --threshold 0.6 --shingle word1 > verdicts.jsonl
  storyhash dedupe export.csv --on-error skip -o verdicts.jsonl
  zcat crawl.jsonl.gz | storyhash dedupe - --db news.db -q -o /dev/null

Input: JSON Lines (`id`, `title`, optional `body`, `source`, `url`, `published`), CSV with a header row,
or one headline per line, in UTF-8 (a file in Windows-1252 or UTF-16 is refused at its first bad line
with the `iconv` command that converts it, a compressed one with the command that reads it); fields
under other names are read with --id-field, --published-field and the like. A record without an `id`
(or with `\"id\": null`) takes its line number (FILE:LINE with several inputs); blank lines and blank
CSV rows are skipped; a CSV quote never closed is an error at its line. `published` is RFC 3339, RFC 2822
(RSS's pubDate: `Mon, 10 Mar 2014 16:55:01 GMT`), a date (`2014-03-10`, `2014/3/10`, `30.04.2025`, `March 10,
2014 4:55 PM`), or Unix seconds, milliseconds, microseconds
or nanoseconds (a string or a number); the summary counts the times it could not read (those articles
take their arrival time) and notes the articles without one: arriving together in one run, only content
parts their stories, unless --story-gap-articles ends them by the input's order. Continuing a --db
store, the summary counts this run's verdicts, then what the store holds.

Exit status:
  0  every record was read (with --on-error skip, those that could not be were skipped and counted, unless
     none could be read); also when a reader of standard output stops early (`| head`), after the
     records were stored and the files written
  1  an input cannot be read, an output cannot be written, or the --db store cannot be opened (held by
     another process for 3 s, read-only, a directory of other files) or written; inputs and outputs are
     checked before any record is read
  2  a malformed record (with --on-error skip, every record skipped; a compressed or UTF-16 input or
     a JSON array is refused at its first line either way), an id given twice with different texts, a
     bad flag, a matching flag that contradicts what the --db store was created with (leave them out:
     the store's own are taken), or a --db store that follows a shared log (`serve --log`)
  129, 130, 143  (as a shell reports a process a signal ended) stopped by SIGHUP, SIGINT or SIGTERM:
     with --db once the blocks begun were stored, no output moved into place, standard error saying
     what the store kept, then ended by the signal itself (a second signal ends it at once); without,
     ended by the signal itself, the outputs not yet moved into place removed"))]
pub struct DedupeArgs {
    /// Input files; `-` reads standard input.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,

    /// Write verdicts here instead of standard output. A regular file is replaced only when the run
    /// succeeds; a device or pipe (`/dev/null`) is written in place.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Also write one JSON line per cluster (`cluster`, `size`, `representative` headline, `members`
    /// ids) to FILE, or to standard output with `-` (then give verdicts a file with -o). With --db,
    /// every cluster the store holds, earlier runs' too.
    #[arg(long, value_name = "FILE")]
    clusters: Option<PathBuf>,

    /// Also write an HTML report of the run to FILE: a summary, a histogram of cluster sizes and the
    /// largest stories and clusters with their members, searchable; one file that opens from disk.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,

    /// Only list clusters with at least this many members in --clusters [default: 1].
    #[arg(long, value_name = "N")]
    min_size: Option<u64>,

    /// Input format; by default taken from the extension (.jsonl .ndjson .json, .csv, .txt), JSON Lines
    /// for standard input.
    #[arg(long, value_enum)]
    format: Option<FormatArg>,

    /// Keep the result in a sled store in this directory, which later runs continue from (a new or
    /// empty directory, or a store's; one holding other files, or whose parent is missing, is refused).
    #[arg(long, value_name = "DIR")]
    db: Option<PathBuf>,

    /// What to do with a record that cannot be read: stop with exit code 2, or skip it and report.
    #[arg(long, value_enum, default_value_t = OnError::Fail)]
    on_error: OnError,

    /// With --on-error skip: write every record skipped to FILE, one line each with its place and
    /// why (`in.jsonl:7: …`); the summary shows the first five.
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,

    /// No progress bar, no summary and no notes (a warning that none of the run's times could be read is
    /// still said).
    #[arg(short, long)]
    quiet: bool,

    /// Worker threads, at least 1 (default: all cores).
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    threads: Option<usize>,

    #[command(flatten)]
    matching: MatchArgs,

    #[command(flatten)]
    fields: FieldArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    /// JSON Lines (also taken as `ndjson` or `json`).
    #[value(alias = "ndjson", alias = "json")]
    Jsonl,
    /// CSV with a header row naming the columns.
    Csv,
    /// One headline per line.
    Text,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum OnError {
    Fail,
    Skip,
}

/// Collects rejected records: the first error in fail mode, a count and the first few in skip mode.
struct Rejects {
    mode: OnError,
    count: u64,
    first: Vec<String>,
    /// `--rejects`: every record skipped, as it is.
    all: Option<(PathBuf, BufWriter<File>)>,
    /// The first few publication times taken as the arrival (unreadable, or more than a day ahead),
    /// with their place: `in.jsonl:2 \`2014-03-10 16:55:01+00\``.
    unread_times: Vec<String>,
    /// The number the engine gives its next new article: a smaller one is a repeat. Kept here rather
    /// than asked of the engine at each block, whose reads wait for the story steps left running.
    next_number: u64,
    /// Where each article the run stored came from, and whether it took its line number as its id,
    /// for the refusal of a record that gives its id with another text.
    stored: ArticleLines,
    /// How many articles the run stored under their line numbers, having no id.
    numbered: u64,
}

/// How many of the unreadable publication times the summary shows.
const UNREAD_TIMES_SHOWN: usize = 3;

/// Where the parenthesis that closes `message` opens, when what it holds is a hint long enough to be
/// worth saying once (a figure or a key read from is not).
fn trailing_hint(message: &str) -> Option<usize> {
    const LONG: usize = 60;
    if !message.ends_with(')') {
        return None;
    }
    let mut depth = 0usize;
    for (at, c) in message.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth -= 1;
                if depth == 0 {
                    // The space before it is one byte: the hint starts there.
                    if !message[..at].ends_with(' ') {
                        return None;
                    }
                    let start = at - 1;
                    return (message.len() - start >= LONG).then_some(start);
                }
            }
            _ => {}
        }
    }
    None
}

impl Rejects {
    /// Says how many records were skipped, and the first few.
    fn report(&self) {
        // Unreadable, refused by a limit, or an id given to another text: not taken.
        let shown = match self.first.len() {
            n if n as u64 >= self.count => String::new(),
            n => format!("; the first {n}"),
        };
        say!(
            "storyhash: skipped {} that could not be taken{shown}:",
            counted(self.count, "record")
        );
        // A long hint that ends a message (why an id conflicts, and what to do) is said once.
        let mut hints: Vec<&str> = Vec::new();
        for r in &self.first {
            match trailing_hint(r) {
                Some(at) if hints.contains(&&r[at..]) => say!("  {} (as above)", &r[..at]),
                Some(at) => {
                    hints.push(&r[at..]);
                    say!("  {r}");
                }
                None => say!("  {r}"),
            }
        }
    }

    fn add(&mut self, message: String) -> Result<()> {
        if self.mode == OnError::Fail {
            return Err(BadInput(with_skip_hint(&message)).into());
        }
        self.count += 1;
        if let Some((path, out)) = &mut self.all {
            // One line each, whatever the message quotes.
            writeln!(out, "{}", message.replace('\n', "\\n"))
                .with_context(|| format!("cannot write --rejects {}", path.display()))?;
        }
        if self.first.len() < 5 {
            self.first.push(message);
        }
        Ok(())
    }

    /// Writes out what `--rejects` still holds.
    fn finish(&mut self) -> Result<()> {
        match &mut self.all {
            Some((path, out)) => out
                .flush()
                .with_context(|| format!("cannot write --rejects {}", path.display())),
            None => Ok(()),
        }
    }
}

/// Says, for a run into a store that stopped (at a bad record, or at a signal: `by_signal`; `read_whole`
/// when its input was read to the end), what of it the store keeps.
fn stored_note(stored: u64, db: &Path, read_whole: bool, by_signal: bool) {
    let db = db.display();
    if read_whole {
        // Read to its end, which for a pipe may be where its writer stopped at the same signal.
        return say!(
            "storyhash: stopping with the input read to its end: {} of this run {} stored in {db}; \
             the outputs are not written",
            counted(stored, "record"),
            if stored == 1 { "was" } else { "were" },
        );
    }
    // What only a bad record's stop has to say.
    let (conflict, mended) = match by_signal {
        true => ("", ""),
        false => (
            "; where an id conflict stopped it, the rest of that 4 MiB block too",
            " (mended where a bad record stopped it)",
        ),
    };
    match stored {
        0 => say!(
            "storyhash: stopping before the input's end; nothing of this run was stored in {db}"
        ),
        n => {
            let (was, stays, repeats) = match n {
                1 => ("was", "stays", "it as a repeat"),
                _ => ("were", "stay", "them as repeats"),
            };
            say!(
                "storyhash: stopping before the input's end; {} of this run {was} stored in {db} and \
                 {stays} there (the records read before it stopped{conflict}); a run again over the \
                 same input{mended} takes {repeats} and stores the rest",
                counted(n, "record"),
            )
        }
    }
}

/// The message that stops a run at a record that cannot be read (`--on-error fail`), saying how to read
/// on past such records.
fn with_skip_hint(message: &str) -> String {
    format!("{message} (--on-error skip skips the records that cannot be read and counts them)")
}

/// The message of a record that stops the run: with the skip hint, unless what it found is the input's
/// format (its message ends with `format_hint`, the flag that reads the input) or the whole input in
/// another form (compressed, UTF-16), which no skipping gets past.
fn stop_message(e: &RecordError, format_hint: Option<&str>) -> String {
    let format_said =
        format_hint.is_some_and(|h| e.message.strip_suffix(')').is_some_and(|m| m.ends_with(h)));
    // A message that gives the `jq` command writing the records in the form read (an API's wrapper, a
    // source object) has said what helps: every record is alike.
    let jq_said = storyhash::io::SAYS_HOW_TO_REWRITE
        .iter()
        .any(|said| e.message.contains(said));
    if format_said || jq_said || faults_the_whole_input(&e.message, e.line) {
        e.to_string()
    } else if let Some(hint) = super::nested_key_hint(&e.message) {
        // Every record misses it alike: skipping them all would not help.
        format!("{e}{hint}")
    } else if e.field == Some("title") && e.message.starts_with("missing field `title`") {
        // Most often every record names its title otherwise: skipping them all would not help.
        format!("{e} (--title-field KEY reads the title from another key)")
    } else {
        with_skip_hint(&e.to_string())
    }
}

fn progress_bar(total: Option<u64>, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    let template = if total.is_some() {
        "{bar:40} {percent:>3}% {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}"
    } else {
        "{spinner} {binary_bytes} {binary_bytes_per_sec} {msg}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

/// Runs `storyhash dedupe`.
pub fn run(args: DedupeArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let clusters_to_stdout = args.clusters.as_deref().is_some_and(names_stdout);
    let verdicts_to_stdout = args.output.as_deref().is_none_or(names_stdout);
    if args.min_size.is_some() && args.clusters.is_none() {
        return Err(BadInput(
            "--min-size chooses which clusters --clusters lists; give --clusters FILE too".into(),
        )
        .into());
    }
    if clusters_to_stdout && verdicts_to_stdout {
        return Err(BadInput(
            "verdicts and --clusters cannot both go to standard output; give verdicts a file with -o".into(),
        )
        .into());
    }
    // Before any thread starts, which would keep the signals.
    if args.db.is_some() {
        // A signal stops the run after the blocks it has begun, which are then stored whole; the
        // summary says so (see `stored_note`).
        interrupt::watch(|_| {});
    } else {
        // Nothing is kept: a signal ends the run at once, as by default, but first removes the
        // temporary files of outputs not yet in place.
        interrupt::end_at_once();
    }
    if let Some(threads) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .context("cannot start worker threads")?;
    }
    // A setting that cannot work is a usage error, said before the files are looked at.
    args.matching
        .engine_config()
        .check_given()
        .map_err(|e| args.matching.open_error(e.into()))?;
    let field_names = args.fields.names()?;
    if !field_names.is_standard() {
        if let Some(text) = args
            .inputs
            .iter()
            .find(|p| matches!(format_of(&args, p), Ok(Format::Text)))
        {
            return Err(BadInput(format!(
                "the --…-field flags name a JSON key or a CSV column, and {} is read as plain text (one \
                 headline per line)",
                input_name(text)
            ))
            .into());
        }
    }
    let readers = open_ends(&args)?;
    // Each JSON Lines input's first records, for the notes after the run.
    let (samples, readers): (Vec<Option<Sample>>, Vec<_>) = args
        .inputs
        .iter()
        .zip(readers)
        .map(|(input, reader)| {
            let json_lines = matches!(format_of(&args, input), Ok(Format::Jsonl));
            Sample::of(input, json_lines, reader)
        })
        .unzip();
    // Verdicts alone need no article kept; clusters (their representatives), the report and a store do.
    let verdicts_only = args.db.is_none() && args.clusters.is_none() && args.report.is_none();
    // A store the run makes goes again if the run fails before it stores anything.
    let made_store = args.db.as_deref().and_then(NewStore::at);
    let engine = if verdicts_only {
        Engine::in_memory_without_articles(args.matching.engine_config())
            .map_err(|e| args.matching.open_error(e))?
    } else {
        open_engine(args.db.as_deref(), &args.matching)?
    };
    if let Some(db) = &args.db {
        super::refuse_a_log_store(
            &engine,
            db,
            "post the articles to a node (`POST /v1/articles`)",
        )?;
    }
    // What a store held before this run, so that the summary tells this run's verdicts apart.
    let before = engine.stats();
    // Not one that another run made, and filled, between this one's look and its open.
    let made_store = made_store.filter(|_| before.articles == 0);

    let total: Option<u64> = args
        .inputs
        .iter()
        .map(|p| {
            (p != Path::new("-"))
                .then(|| std::fs::metadata(p).ok().map(|m| m.len()))
                .flatten()
        })
        .sum();
    let bar = progress_bar(total, args.quiet);
    let all = match &args.rejects {
        Some(path) => {
            let file = match File::create(path) {
                Ok(file) => file,
                Err(e) => {
                    // Nothing was stored: a store this run made goes again, as after a bad record.
                    if let (Some(made), Some(db)) = (made_store, &args.db) {
                        drop(engine);
                        made.remove(db);
                    }
                    return Err(e)
                        .with_context(|| format!("cannot create --rejects {}", path.display()));
                }
            };
            Some((path.clone(), BufWriter::new(file)))
        }
        None => None,
    };
    let first_number = engine.numbered();
    let mut rejects = Rejects {
        mode: args.on_error,
        count: 0,
        first: Vec::new(),
        all,
        unread_times: Vec::new(),
        next_number: first_number,
        stored: ArticleLines::new(first_number),
        numbered: 0,
    };
    let mut outcomes: Vec<ArticleNumber> = Vec::new();
    let result = (|| -> Result<()> {
        for (input, reader) in args.inputs.iter().zip(readers) {
            ingest_input(
                &engine,
                &args,
                &field_names,
                input,
                reader,
                &bar,
                &mut rejects,
                &mut outcomes,
            )?;
        }
        Ok(())
    })();
    bar.finish_and_clear();
    // What --rejects holds is written out whether the run went on or stopped.
    let listed = rejects.finish();
    // Standard input ended at a signal was not read to its end.
    let read_whole = result.is_ok() && !interrupt::input_cut();
    // A signal that came after the last block was taken (or ended the program writing standard input)
    // still stops the run short of its outputs.
    let result = result.and_then(|()| match interrupt::received() {
        Some(signal) => Err(interrupt::Interrupted(signal).into()),
        None => Ok(()),
    });
    // Whatever was accepted stays accepted, even when the run stops at a bad record.
    let flushed = engine.flush().context("cannot flush the store");
    let stored = || engine.stats().articles.saturating_sub(before.articles);
    if let (Err(_), Ok(()), Some(db)) = (&result, &flushed, &args.db) {
        let stored = stored();
        let by_signal = result
            .as_ref()
            .is_err_and(|e| super::stopping_signal(e).is_some());
        stored_note(stored, db, read_whole, by_signal);
        if let (0, Some(made)) = (stored, made_store) {
            drop(engine);
            made.remove(db);
            return result;
        }
    }
    result?;
    flushed?;
    listed?;
    // The store holds the whole input: a signal from here on stops the run before its outputs are
    // moved into place (their temporary files removed), or at once if it is the second.
    let stopped_after_storing = || match (interrupt::received(), &args.db) {
        (Some(signal), Some(db)) => {
            stored_note(stored(), db, true, true);
            Err(anyhow::Error::from(interrupt::Interrupted(signal)))
        }
        _ => Ok(()),
    };
    stopped_after_storing()?;
    if rejects.count > 0 && outcomes.is_empty() {
        // Most likely an input in another form than the one it was read as: not a success, and the
        // outputs a run before left stay as they are, as does no store this run made.
        rejects.report();
        if let (Some(made), Some(db), 0) = (made_store, &args.db, stored()) {
            drop(engine);
            made.remove(db);
        }
        return Err(BadInput(match rejects.count {
            1 => "no record could be read: the only one was skipped".to_string(),
            n => format!("no record could be read: all {n} were skipped"),
        })
        .into());
    }

    // Files are written in full and moved into place before anything goes to standard output, so that a
    // reader that closes the pipe early (`| head`) cannot cost the files.
    let (verdicts_path, clusters_path, report_path) = outputs(&args);
    // The stories of this run's verdicts, counted as they are written, for the summary: into a new
    // store or none, they are every story the engine holds.
    let stories_seen =
        (!args.quiet && before.articles == 0).then(|| StoriesSeen::new(engine.numbered()));
    // Records that repeat an earlier one (the same id and text): this run's own repeats are written as
    // duplicates of the record before them.
    let repeated = {
        let stats = engine.stats();
        (outcomes.len() as u64).saturating_sub(
            stats.new.saturating_sub(before.new)
                + stats.duplicates.saturating_sub(before.duplicates)
                + stats.near_duplicates.saturating_sub(before.near_duplicates),
        )
    };
    let repeats = (repeated > 0).then(|| repeats_in_run(&outcomes));
    let write_verdicts_to = |path| {
        write_output(path, |out| {
            write_verdicts(
                &engine,
                &outcomes,
                repeats.as_deref(),
                stories_seen.as_ref(),
                out,
            )
        })
    };
    let write_clusters_to = |path| {
        write_output(path, |out| {
            write_clusters(&engine, args.min_size.unwrap_or(1), out)
        })
    };
    let mut pending = Vec::new();
    if verdicts_path.is_some() {
        pending.extend(write_verdicts_to(verdicts_path)?);
    }
    if let Some(Some(path)) = clusters_path {
        pending.extend(write_clusters_to(Some(path))?);
    }
    if let Some(path) = report_path {
        let run = storyhash::report::RunSummary {
            inputs: args.inputs.iter().map(|p| input_name(p)).collect(),
            records: outcomes.len() as u64,
            skipped: rejects.count,
            seconds: started.elapsed().as_secs_f64(),
            held_before: before.articles,
            repeats: repeated,
        };
        pending.extend(write_output(path, |out| {
            storyhash::report::write_report(&engine, &run, storyhash::report::Caps::default(), out)
                .context("cannot write the report")
        })?);
    }
    stopped_after_storing()?;
    for p in pending {
        p.commit()?;
    }
    // A signal while they go to standard output stops them there, and the run as stopped.
    if verdicts_path.is_none() {
        let written = write_verdicts_to(None);
        stopped_after_storing()?;
        written?;
    }
    if clusters_path == Some(None) {
        let written = write_clusters_to(None);
        stopped_after_storing()?;
        written?;
    }
    // The key the time was read from, so that a mistyped --published-field shows here.
    let time_key = field_names
        .key_named_for("published")
        .unwrap_or("published");
    if args.quiet {
        // Quiet, yet not about every time given being unread: a feed's time in a form storyhash does
        // not read would put every article of a scheduled run at its arrival without a word.
        let stats = engine.stats();
        let stored = stats.articles.saturating_sub(before.articles);
        if stats.unreadable_times > 0 && stats.unreadable_times + stats.untimed >= stored {
            let none_read = match stats.unreadable_times {
                1 => format!(
                    "the one `{time_key}` time of this run could not be read, so its article"
                ),
                n => format!(
                    "none of the {n} `{time_key}` times of this run could be read, so every article"
                ),
            };
            say!(
                "storyhash: warning: {none_read} took its arrival time instead (the first: {}; forms \
                 read: {})",
                rejects.unread_times.join(", "),
                super::TIME_FORMS,
            );
        }
    }
    if !args.quiet {
        let stats = engine.stats();
        let unreadable = match stats.unreadable_times {
            0 => String::new(),
            n => format!(
                "; {n} with a `{time_key}` time in no form storyhash reads or more than a day after \
                 their arrival, which take their arrival time instead (forms read: {}){}",
                super::TIME_FORMS,
                match rejects.unread_times.is_empty() {
                    true => String::new(),
                    false => format!("; the first: {}", rejects.unread_times.join(", ")),
                }
            ),
        };
        // This run's verdicts (the store's counts grew by them); a record repeating an earlier one's id
        // and text changed nothing.
        let (new, duplicates, near) = (
            stats.new.saturating_sub(before.new),
            stats.duplicates.saturating_sub(before.duplicates),
            stats.near_duplicates.saturating_sub(before.near_duplicates),
        );
        let repeated = match repeated {
            0 => String::new(),
            1 => ", 1 repeating an earlier record (same id and text)".to_string(),
            n => format!(", {n} repeating earlier records (same id and text)"),
        };
        let counts = format!(
            "{new} new, {}, {}{repeated}{unreadable}",
            counted(duplicates, "duplicate"),
            counted(near, "near-duplicate")
        );
        if before.articles == 0 {
            let stories = stories_seen.as_ref().map_or(0, StoriesSeen::count);
            say!(
                "storyhash: {}, {} in {stories} {}: {counts}",
                counted(outcomes.len() as u64, "record"),
                counted(stats.clusters, "cluster"),
                if stories == 1 { "story" } else { "stories" }
            );
        } else {
            let stories = engine.story_count();
            say!(
                "storyhash: {}: {counts}; the store now holds {} in {} and {stories} {}",
                counted(outcomes.len() as u64, "record"),
                counted(stats.articles, "article"),
                counted(stats.clusters, "cluster"),
                if stories == 1 { "story" } else { "stories" }
            );
        }
        // The JSON Lines inputs' first records, which the notes below look at again.
        let sampled: Vec<(String, &Sample)> = args
            .inputs
            .iter()
            .zip(&samples)
            .filter_map(|(input, sample)| {
                let shown = match input == Path::new("-") {
                    true => "standard input".to_string(),
                    false => input_name(input),
                };
                Some((shown, sample.as_ref()?))
            })
            .collect();
        for note in samples::key_notes(&sampled, &field_names, engine.config().params.use_body) {
            say!("storyhash: note: {note}");
        }
        if rejects.numbered > 0 && args.db.is_some() {
            // The next run's records without ids take the same numbers, and are refused for them.
            let key = field_names.key_named_for("id").unwrap_or("id");
            say!(
                "storyhash: note: {} no `{key}` and {} in the store under {} line number{} \
                 (FILE:LINE with several inputs): a later run into the store whose records lack ids \
                 takes the same numbers, and is refused for them: give each record an id",
                match rejects.numbered {
                    1 => "1 record had".to_string(),
                    n => format!("{n} records had"),
                },
                if rejects.numbered == 1 { "is" } else { "are" },
                if rejects.numbered == 1 { "its" } else { "their" },
                if rejects.numbered == 1 { "" } else { "s" },
            );
        }
        if stats.untimed > 0 {
            // No JSON record with a time at all: most often it is there under another key.
            let every_record = stats.untimed >= outcomes.len() as u64;
            if every_record
                && !sampled.is_empty()
                && field_names.key_named_for("published").is_none()
            {
                say!(
                    "storyhash: note: no record has a `published` time; {}",
                    samples::time_note(&sampled, &field_names)
                );
            }
            let untimed = stats.untimed;
            let (have, take) = if untimed == 1 {
                ("has", "takes its")
            } else {
                ("have", "take their")
            };
            match args.matching.story_gap_articles {
                Some(n) => say!(
                    "storyhash: note: {untimed} of them {have} no `{time_key}` time: their stories end \
                     by the input's order, once {n} articles came after a story's latest"
                ),
                None => say!(
                    "storyhash: note: {untimed} of them {have} no `{time_key}` time and {take} arrival \
                     time; arriving together in one run, they have no quiet day to end a story, so their \
                     stories are told apart by content alone and can grow into topics. If the input is \
                     in time order, --story-gap-articles N (about a day's articles) ends them by its order"
                ),
            }
        }
    }
    if rejects.count > 0 {
        rejects.report();
    }
    if args.db.is_none() {
        // An engine without a store has nothing to hand back but memory, which the system takes back
        // whole at exit: freeing its millions of small pieces one by one only delays the exit.
        std::mem::forget(engine);
    }
    Ok(())
}

/// Where the verdicts, the clusters and the report go (`None`: standard output; the outer `None` for
/// clusters and report: not asked for).
#[allow(clippy::type_complexity)]
fn outputs(args: &DedupeArgs) -> (Option<&Path>, Option<Option<&Path>>, Option<Option<&Path>>) {
    (
        file_or_stdout(args.output.as_deref()),
        args.clusters.as_deref().map(|p| file_or_stdout(Some(p))),
        args.report.as_deref().map(|p| file_or_stdout(Some(p))),
    )
}

/// Refuses output `path` of `flag` when another of the run's outputs names the same file (a device, such
/// as `/dev/null`, may take several).
fn own_file(flag: &str, path: &Path, others: &[Option<&Path>]) -> Result<()> {
    let clashes = others.iter().flatten().any(|other| same_file(path, other));
    if clashes && !is_device(path) {
        return Err(BadInput(format!(
            "{flag} names {}, which another output also names; give it its own file",
            path.display()
        ))
        .into());
    }
    Ok(())
}

/// Opens every input, in order, and fails before any record is read when the outputs clash, an input
/// cannot be opened, or an output cannot be written where it is to go: a run of a million records (with
/// `--db`, stored by then) does not end on a mistyped path. Each input is opened once, here, so that a
/// named pipe is not opened twice.
fn open_ends(args: &DedupeArgs) -> Result<Vec<Box<dyn Read + Send>>> {
    // Standard input read a second time would read nothing, saying nothing.
    if args.inputs.iter().filter(|i| *i == Path::new("-")).count() > 1 {
        return Err(BadInput(
            "standard input (`-`) is named more than once; it can be read only once".into(),
        )
        .into());
    }
    let (verdicts_path, clusters_path, report_path) = outputs(args);
    if let (Some(v), Some(Some(c))) = (verdicts_path, clusters_path) {
        if same_file(v, c) && !is_device(v) {
            return Err(BadInput(format!(
                "-o and --clusters both name {}; give them different files",
                v.display()
            ))
            .into());
        }
    }
    if report_path == Some(None) && (verdicts_path.is_none() || clusters_path == Some(None)) {
        return Err(BadInput(
            "only one output can go to standard output; give --report a file".into(),
        )
        .into());
    }
    if let Some(Some(r)) = report_path {
        own_file("--report", r, &[verdicts_path, clusters_path.flatten()])?;
    }
    // An output written over an input would replace the articles with what was made of them.
    let named_outputs = [
        ("-o", verdicts_path),
        ("--clusters", clusters_path.flatten()),
        ("--report", report_path.flatten()),
        ("--rejects", args.rejects.as_deref()),
    ];
    if let Some(rejects) = &args.rejects {
        if args.on_error != OnError::Skip {
            return Err(BadInput(
                "--rejects lists the records --on-error skip skips; without it the first such record \
                 stops the run"
                    .into(),
            )
            .into());
        }
        if rejects == Path::new("-") {
            return Err(BadInput(
                "--rejects writes a file (standard output may hold the verdicts); give it a path"
                    .into(),
            )
            .into());
        }
        own_file(
            "--rejects",
            rejects,
            &[
                verdicts_path,
                clusters_path.flatten(),
                report_path.flatten(),
            ],
        )?;
        // It is written in place as the run goes, not moved into place at the end as the other outputs
        // are: a file that an input, standard output or standard error already is (by a link, or a
        // redirection) would be cut short under it.
        let taken = [
            (Path::new("/dev/stdout"), "standard output".to_string()),
            (Path::new("/dev/stderr"), "standard error".to_string()),
        ]
        .into_iter()
        .chain(
            args.inputs
                .iter()
                .map(|input| match input == Path::new("-") {
                    true => (Path::new("/dev/stdin"), "standard input".to_string()),
                    false => (input.as_path(), format!("the input {}", input.display())),
                }),
        )
        .find(|(other, _)| same_inode(rejects, other));
        if let Some((_, what)) = taken.filter(|_| resolved(rejects) != Path::new("/dev/null")) {
            return Err(BadInput(format!(
                "--rejects names {}, which is {what}; give it a file of its own",
                rejects.display()
            ))
            .into());
        }
    }
    for (flag, output) in named_outputs {
        let Some(output) = output else { continue };
        if !std::fs::metadata(output).is_ok_and(|m| m.is_file()) {
            continue;
        }
        let input = args.inputs.iter().find_map(|input| {
            // Standard input redirected from a file (`< articles.jsonl`) is that file.
            let (path, name) = if input == Path::new("-") {
                let stdin = Path::new("/dev/stdin");
                let redirected = std::fs::metadata(stdin).is_ok_and(|m| m.is_file());
                (redirected.then_some(stdin)?, None)
            } else {
                (input.as_path(), Some(input.display().to_string()))
            };
            same_file(output, path).then_some(name)
        });
        if let Some(input) = input {
            // The input may be named otherwise (a link, `./`, standard input's file): both names.
            let output = output.display().to_string();
            let which = match input {
                Some(input) if output == input => {
                    format!("{flag} names {input}, which is an input")
                }
                Some(input) => format!("{flag} names {output}, which is the input {input}"),
                None => format!("{flag} names {output}, the file standard input is read from"),
            };
            return Err(BadInput(format!(
                "{which}: the articles would be replaced; give the output another file"
            ))
            .into());
        }
    }
    for input in &args.inputs {
        if let Err(e) = format_of(args, input) {
            // A missing input or a directory is said as such rather than as a name without a known
            // extension. (A named pipe is not opened here: that would wait for its writer.)
            let missing_or_directory = match std::fs::metadata(input) {
                Ok(m) => m.is_dir(),
                Err(_) => true,
            };
            if missing_or_directory {
                open_input(input, None)?;
            }
            return Err(e);
        }
    }
    let readers = args
        .inputs
        .iter()
        .map(|input| open_input(input, format_of(args, input).ok()))
        .collect::<Result<Vec<_>>>()?;
    let files = [
        verdicts_path,
        clusters_path.flatten(),
        report_path.flatten(),
    ];
    for given in files.into_iter().flatten() {
        let cannot_write = || format!("cannot write {}", given.display());
        let path = resolved(given);
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => {
                return Err(io::Error::from(io::ErrorKind::IsADirectory)).with_context(cannot_write)
            }
            // A device or a pipe is opened when written, not before (a pipe would wait for a reader).
            Ok(m) if !m.is_file() => continue,
            _ => {}
        }
        // The file the output is written to first, made and removed: its directory takes files.
        if let Some(tmp) = temporary_beside(&path) {
            interrupt::create_temporary(&tmp).with_context(|| through(given, &tmp))?;
            let _ = interrupt::settle_temporary(&tmp, || std::fs::remove_file(&tmp));
        }
    }
    Ok(readers)
}

/// The temporary file an output at `path` is written to before it is renamed into place.
fn temporary_beside(path: &Path) -> Option<PathBuf> {
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(path.file_name()?);
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    Some(path.with_file_name(tmp_name))
}

/// The failure to make the temporary file `tmp` of the output `given`: the output is named, and when its
/// directory is there, that the directory took no new file (a file that exists can be in one such as
/// `/proc`), since the output is written to a new file beside it first.
fn through(given: &Path, tmp: &Path) -> String {
    match tmp.parent().filter(|dir| dir.is_dir()) {
        Some(dir) => format!(
            "cannot write {}: cannot make a new file in {}, where it is written first and then \
             renamed into place",
            given.display(),
            dir.display()
        ),
        None => format!("cannot write {}", given.display()),
    }
}

/// True when two output paths name one file (or would, once created: `out.jsonl` and `./out.jsonl`).
fn same_file(a: &Path, b: &Path) -> bool {
    resolved(a) == resolved(b)
}

/// Whether `a` and `b` are one file (its device and inode), whatever names they go by; false when either
/// is not there.
fn same_inode(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        same_file(a, b)
    }
}

/// Whether `path` names a character device (`/dev/null`): written in place, and two outputs may share
/// one, where two sharing a file or a pipe would mix their lines.
fn is_device(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        std::fs::metadata(path).is_ok_and(|m| m.file_type().is_char_device())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// The path of the file `path` names, links and `.`/`..` resolved; for a file not yet made, its
/// directory's path resolved and its name.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(whole) = std::fs::canonicalize(path) {
        return whole;
    }
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return path.to_path_buf();
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    std::fs::canonicalize(dir)
        .map(|d| d.join(name))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// `None` (standard output) for no path or `-`.
fn file_or_stdout(path: Option<&Path>) -> Option<&Path> {
    path.filter(|p| !names_stdout(p))
}

/// Whether an output path is standard output: `-`, or a name of it (`-o /dev/stdout >> all.jsonl` adds
/// to the file behind it, which a file written aside and moved into place would replace).
fn names_stdout(path: &Path) -> bool {
    ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"]
        .iter()
        .any(|name| path == Path::new(name))
}

fn input_name(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

fn open_input(path: &Path, format: Option<Format>) -> Result<Box<dyn Read + Send>> {
    if path == Path::new("-") {
        let csv = format == Some(Format::Csv);
        return Ok(Box::new(interrupt::StandardInput::new(csv)));
    }
    let cannot_open = || format!("cannot open {}", path.display());
    let file = File::open(path).with_context(cannot_open)?;
    // A directory opens, and fails only when read: after the inputs before it were read and stored.
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(io::Error::from(io::ErrorKind::IsADirectory)).with_context(cannot_open);
    }
    Ok(Box::new(file))
}

fn format_of(args: &DedupeArgs, path: &Path) -> Result<Format> {
    if let Some(f) = args.format {
        return Ok(match f {
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Csv => Format::Csv,
            FormatArg::Text => Format::Text,
        });
    }
    if path == Path::new("-") {
        return Ok(Format::Jsonl);
    }
    Format::from_path(path).ok_or_else(|| {
        let name = path.display();
        match storyhash::io::decompressor_of_path(path) {
            Some(program) => {
                let command = format!("{program} {name} | storyhash dedupe - --format");
                anyhow!(BadInput(
                    match Format::from_path(&path.with_extension("")) {
                        Some(inner) => format!(
                            "{name} is compressed; storyhash reads its input uncompressed: \
                             `{command} {}`",
                            inner.as_str()
                        ),
                        None => format!(
                            "{name} is compressed; storyhash reads its input uncompressed: \
                             `{command} FORMAT`, FORMAT being jsonl, csv or text"
                        ),
                    }
                ))
            }
            None => {
                let tab_separated = path.extension().is_some_and(|e| {
                    e.eq_ignore_ascii_case("tsv") || e.eq_ignore_ascii_case("tab")
                });
                anyhow!(BadInput(match tab_separated {
                    true => format!(
                        "{name} is tab-separated; storyhash reads comma-separated CSV, which {}",
                        storyhash::io::to_csv_command(
                            '\t',
                            &name.to_string(),
                            &path.with_extension("csv").display().to_string()
                        )
                    ),
                    false => format!(
                        "{name}: cannot tell the format from the extension; use --format jsonl, csv \
                         or text"
                    ),
                }))
            }
        }
    })
}

/// Bytes read per block. Two blocks are in hand at once (see [`WORKERS`]); on edits-1m 4 MiB took the
/// same wall time as 8 MiB and peaked 40–85 MiB lower.
const BLOCK_BYTES: usize = 4 << 20;

// The run's settings and where its results go, as the other steps of a run take them.
#[allow(clippy::too_many_arguments)]
fn ingest_input(
    engine: &Engine,
    args: &DedupeArgs,
    field_names: &FieldNames,
    path: &Path,
    reader: Box<dyn Read + Send>,
    bar: &ProgressBar,
    rejects: &mut Rejects,
    outcomes: &mut Vec<ArticleNumber>,
) -> Result<()> {
    let name = input_name(path);
    let format = format_of(args, path)?;
    let reader = LineEndings::new(reader);
    let source = if matches!(format, Format::Csv) {
        let csv = CsvReader::with_names(reader, &name, field_names)
            .map_err(|e| anyhow!(BadInput(e.to_string())))?;
        if let (Some((without, unread)), false) = (csv.unread_columns(), args.quiet) {
            // Ids and times under other names would otherwise become line numbers and arrival times
            // without a word.
            let said = |each: fn(&str) -> String, between: &str| {
                without
                    .iter()
                    .map(|&f| each(f))
                    .collect::<Vec<_>>()
                    .join(between)
            };
            bar.suspend(|| {
                say!(
                    "storyhash: note: {name} has no {} column, so {}; columns not read: {} \
                     ({} COLUMN reads one)",
                    said(|f| format!("`{f}`"), " or "),
                    said(
                        |f| match f {
                            "id" => "each record's id is its line number".to_owned(),
                            _ => "each record takes its arrival time".to_owned(),
                        },
                        " and "
                    ),
                    unread.join(", "),
                    said(|f| format!("--{f}-field"), " or "),
                )
            });
        }
        Source::Csv(Box::new(csv))
    } else {
        Source::Lines(BlockReader::new(reader, BLOCK_BYTES))
    };
    let format_hint = match (args.format, format) {
        (None, Format::Jsonl) if path == Path::new("-") => Some(
            "standard input is read as JSON Lines unless --format says otherwise; \
             --format text reads one headline per line, --format csv a CSV file with a header",
        ),
        (None, Format::Jsonl) => Some(
            "read as JSON Lines for its extension; --format text reads one headline per line, \
             --format csv a CSV file with a header",
        ),
        _ => None,
    };
    let input = Input {
        name: &name,
        format,
        format_hint,
        mode: args.on_error,
        with_store: args.db.is_some(),
        ids_named: args.inputs.len() > 1,
        field_names,
        json_in_text_noted: format == Format::Text && args.format.is_none() && !args.quiet,
        ends_at_a_signal: path == Path::new("-"),
        blocks: Mutex::new((source, 0)),
        earlier: EarlierTexts::new(),
    };
    let turn = Turn {
        state: Mutex::new(TurnState {
            next: 0,
            stopped: false,
            failure: None,
        }),
        changed: Condvar::new(),
        results: Mutex::new((rejects, outcomes)),
    };
    // Blocks are prepared on a pool of their own, so that the commit's parallel phases do not queue
    // behind the next block's preparation (the commit is the pipeline's critical path).
    let preparing = rayon::ThreadPoolBuilder::new()
        .num_threads(rayon::current_num_threads())
        .thread_name(|i| format!("prepare-{i}"))
        .build()
        .context("cannot start worker threads")?;
    // Each worker reads the next block, parses and prepares it, and commits it when its turn comes, so one
    // prepares while the other commits; blocks are committed in the order they were read.
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                if let Err(e) = pipeline_worker(engine, &input, &turn, bar, &preparing) {
                    turn.finish(Some(e));
                }
            });
        }
    });
    let state = turn.state.into_inner().unwrap_or_else(|e| e.into_inner());
    match state.failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// How many blocks are in hand at once: one committing while the next is parsed and prepared.
const WORKERS: usize = 2;

/// Where the blocks come from: blocks of whole lines, parsed by the worker that takes them (JSON Lines,
/// text), or CSV rows, parsed as they are read (a quoted field may span lines, so CSV is read in order).
enum Source<R: Read> {
    Lines(BlockReader<R>),
    Csv(Box<CsvReader<R>>),
}

/// One block of the input: lines to parse, or CSV rows read already; with its size in bytes.
enum Chunk {
    Lines(Block),
    Rows(CsvRows, u64),
}

impl<R: Read> Source<R> {
    /// The next block, `None` at the end of the input.
    fn next_chunk(&mut self, name: &str) -> Result<Option<Chunk>> {
        match self {
            Source::Lines(reader) => Ok(reader
                .next_block()
                .with_context(|| format!("cannot read {name}"))?
                .map(Chunk::Lines)),
            Source::Csv(reader) => {
                let before = reader.bytes_read();
                let rows = reader
                    .next_rows(BLOCK_BYTES as u64)
                    .map_err(|e| anyhow!(BadInput(e.to_string())))?;
                Ok(rows.map(|rows| Chunk::Rows(rows, reader.bytes_read() - before)))
            }
        }
    }

    /// Takes back a committed block's buffer for a later block.
    fn recycle(&mut self, block: Option<Block>) {
        if let (Source::Lines(reader), Some(block)) = (self, block) {
            reader.recycle(block);
        }
    }
}

/// One input of the pipeline: the reader, with the number of blocks read from it, and how to read it.
struct Input<'a, R: Read> {
    name: &'a str,
    format: Format,
    /// Said after an error in the input's first record that is not JSON at all, when the format was
    /// not given: how the input was taken to be JSON Lines, and the flags for the other formats.
    format_hint: Option<&'static str>,
    mode: OnError,
    with_store: bool,
    /// Whether a record without an id takes `NAME:LINE` rather than its line number alone: with several
    /// inputs, line 1 of each would otherwise be the same id.
    ids_named: bool,
    /// The keys (JSON Lines) its fields are read from.
    field_names: &'a FieldNames,
    /// Whether to note that the first headline looks like a JSON object (plain text by its extension,
    /// a summary to be shown).
    json_in_text_noted: bool,
    /// Standard input, which ends itself at a signal once it has handed on the whole records it read
    /// ([`interrupt::StandardInput`]): read on to that end rather than stopped before the next block,
    /// so that the records it took in are stored.
    ends_at_a_signal: bool,
    blocks: Mutex<(Source<R>, u64)>,
    /// The texts of the blocks read so far, which need no signature in the blocks after them.
    earlier: EarlierTexts,
}

/// Whose turn it is to commit, and what the commits so far gathered (only the worker whose turn it is
/// takes `results`).
struct Turn<'r> {
    state: Mutex<TurnState>,
    changed: Condvar,
    results: Mutex<(&'r mut Rejects, &'r mut Vec<ArticleNumber>)>,
}

struct TurnState {
    /// The number of the block to commit next.
    next: u64,
    /// Set when a commit failed or a bad record ended the input: nothing more is committed.
    stopped: bool,
    failure: Option<anyhow::Error>,
}

impl Turn<'_> {
    fn state(&self) -> std::sync::MutexGuard<'_, TurnState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stops the pipeline, keeping the first failure.
    fn finish(&self, failure: Option<anyhow::Error>) {
        let mut state = self.state();
        state.stopped = true;
        if state.failure.is_none() {
            state.failure = failure;
        }
        self.changed.notify_all();
    }

    /// Waits until block `number` may be committed; false when the pipeline stopped instead.
    fn wait_for(&self, number: u64) -> bool {
        let mut state = self.state();
        while state.next != number && !state.stopped {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        !state.stopped
    }

    /// Hands the turn to the next block.
    fn pass(&self) {
        self.state().next += 1;
        self.changed.notify_all();
    }
}

/// One worker of the pipeline: until the input ends or the pipeline stops, reads a block, parses and
/// prepares it, waits for its turn and commits it.
fn pipeline_worker<R: Read>(
    engine: &Engine,
    input: &Input<'_, R>,
    turn: &Turn<'_>,
    bar: &ProgressBar,
    preparing: &rayon::ThreadPool,
) -> Result<()> {
    let name = input.name;
    // The lists a block's records and articles pass through, kept from block to block.
    let mut record_room = RecordRoom::default();
    let mut split_room = SplitRoom::default();
    loop {
        let (number, chunk) = {
            let mut blocks = input.blocks.lock().unwrap_or_else(|e| e.into_inner());
            let (source, read) = &mut *blocks;
            if turn.state().stopped {
                return Ok(());
            }
            let number = *read;
            if let Some(signal) = interrupt::received().filter(|_| !input.ends_at_a_signal) {
                drop(blocks);
                // The blocks read before are committed first.
                turn.wait_for(number);
                return Err(interrupt::Interrupted(signal).into());
            }
            *read += 1;
            match source.next_chunk(name) {
                Ok(Some(chunk)) => (number, chunk),
                Ok(None) => {
                    // No block of that number: a worker that stops for a signal waits for the blocks
                    // before it, not for this one.
                    *read -= 1;
                    return Ok(());
                }
                Err(e) => {
                    drop(blocks);
                    // The blocks read before are committed first.
                    turn.wait_for(number);
                    // Standard input given up on for a signal: the run stops as at a block's end.
                    return match interrupt::received() {
                        Some(signal) => Err(interrupt::Interrupted(signal).into()),
                        None => Err(e),
                    };
                }
            }
        };
        let (block, rows, bytes) = match chunk {
            Chunk::Lines(block) => {
                // A line dropped for its length counts the bytes read past, and its newline.
                let bytes = block
                    .dropped
                    .map_or(block.bytes.len() as u64, |len| len + 1);
                (Some(block), Vec::new(), bytes)
            }
            Chunk::Rows(rows, bytes) => (None, rows, bytes),
        };
        let mut parsed = match &block {
            Some(block) => {
                let (format, field_names) = (input.format, input.field_names);
                let room = std::mem::take(&mut record_room);
                preparing.install(|| parse_block_in(format, block, name, field_names, room))
            }
            None => ParsedBlock::of_records(rows),
        };
        let expected = parsed.len();
        let mut first = number == 0;
        let records = parsed.drain().map(|r| {
            let first = std::mem::take(&mut first);
            r.map_err(|mut e| {
                if let (true, Some(hint)) = (first, input.format_hint) {
                    if e.field.is_none() && not_json(&e.message) {
                        e.message = format!("{} ({hint})", e.message);
                    }
                }
                e
            })
        });
        let mut split = split_records(
            engine,
            input,
            records,
            expected,
            std::mem::take(&mut split_room),
        );
        if number == 0 && input.json_in_text_noted {
            let title = split.articles.first().map(|a| a.title.as_ref());
            if title.is_some_and(|t| t.starts_with('{') && t.ends_with('}') && t.contains("\":")) {
                bar.suspend(|| {
                    say!(
                        "storyhash: note: {name} is read as plain text for its extension, one headline \
                         per line, and its first line looks like a JSON object: --format jsonl reads it \
                         as JSON Lines"
                    )
                });
            }
        }
        record_room = parsed.into_room();
        let earlier = &input.earlier;
        let prepared =
            preparing.install(|| engine.prepare_batch_after(&split.articles, earlier, number));
        if !turn.wait_for(number) {
            return Ok(());
        }
        let stop = split.stop.is_some();
        {
            let mut results = turn.results.lock().unwrap_or_else(|e| e.into_inner());
            let (rejects, outcomes) = &mut *results;
            commit_split(
                engine,
                name,
                input.field_names,
                &mut split,
                prepared,
                rejects,
                outcomes,
            )?;
            bar.inc(bytes);
            bar.set_message(counted(outcomes.len() as u64, "record"));
        }
        if stop {
            // The block ended at a bad record, which ends the input.
            turn.finish(None);
            return Ok(());
        }
        turn.pass();
        split_room = split.into_room();
        let mut blocks = input.blocks.lock().unwrap_or_else(|e| e.into_inner());
        blocks.0.recycle(block);
    }
}

/// Records that read well and pass the engine's field checks, with the bad ones' messages.
struct Split<'a> {
    lines: Vec<u64>,
    /// Whether each record took its line number as its id.
    from_line: Vec<bool>,
    articles: Vec<Article<'a>>,
    /// Whether the records go to a store that outlives the run (`--db`).
    with_store: bool,
    /// Whether they are plain-text headlines, which have no ids of their own.
    plain_text: bool,
    /// Whether a record without an id took `NAME:LINE` rather than its line number alone.
    ids_named: bool,
    /// Bad records skipped (skip mode).
    skipped: Vec<String>,
    /// The bad record that stops the run (fail mode); nothing after it is kept.
    stop: Option<String>,
}

impl Split<'_> {
    /// Its emptied lists, for the next block.
    fn into_room(self) -> SplitRoom {
        SplitRoom {
            lines: self.lines,
            from_line: self.from_line,
            articles: emptied(self.articles),
        }
    }
}

/// The emptied lists of a committed [`Split`], kept for the next block's.
#[derive(Default)]
struct SplitRoom {
    lines: Vec<u64>,
    from_line: Vec<bool>,
    articles: Vec<Article<'static>>,
}

/// Whether a record's error says its text is not JSON at all (rather than JSON of the wrong shape).
fn not_json(message: &str) -> bool {
    message.starts_with(storyhash::io::NOT_JSON)
}

/// Sorts `records` (`expected` of them, read from `input`) into the articles to commit and the bad
/// records, into the lists of `room`.
fn split_records<'a, R: Read>(
    engine: &Engine,
    input: &Input<'_, R>,
    records: impl Iterator<Item = Result<Record<'a>, RecordError>>,
    expected: usize,
    room: SplitRoom,
) -> Split<'a> {
    let (name, mode, with_store) = (input.name, input.mode, input.with_store);
    let SplitRoom {
        mut lines,
        mut from_line,
        articles,
    } = room;
    let mut articles: Vec<Article<'a>> = articles;
    lines.clear();
    from_line.clear();
    // Sized once from the block's record count rather than doubled (and copied) as records arrive.
    lines.reserve(expected);
    from_line.reserve(expected);
    articles.reserve(expected);
    let mut split = Split {
        lines,
        from_line,
        articles,
        with_store,
        plain_text: input.format == Format::Text,
        ids_named: input.ids_named,
        skipped: Vec::new(),
        stop: None,
    };
    for r in records {
        let checked = r.map(|mut record| {
            if input.ids_named && record.id_from_line {
                record.article.id = std::borrow::Cow::Owned(format!("{name}:{}", record.line));
            }
            record
        });
        let checked = checked.and_then(|record| match engine.check(&record.article) {
            Ok(()) => Ok(record),
            Err(e) => Err(RecordError {
                source_name: name.to_string(),
                line: record.line,
                field: None,
                message: input.field_names.message(&e),
            }),
        });
        match checked {
            Ok(record) => {
                split.lines.push(record.line);
                split.from_line.push(record.id_from_line);
                split.articles.push(record.article);
            }
            // A whole input in another form (compressed, UTF-16, a JSON array) stops the run in either
            // mode: skipping would drop every record of it as unreadable.
            Err(e) if mode == OnError::Fail || faults_the_whole_input(&e.message, e.line) => {
                split.stop = Some(stop_message(&e, input.format_hint));
                break;
            }
            Err(e) => split.skipped.push(e.to_string()),
        }
    }
    split
}

/// Notes where the split's publication times that the engine took as the arrival are, up to
/// [`UNREAD_TIMES_SHOWN`] in all: a time in no form read, or more than a day ahead. Run only for a split
/// that had such a time, so a file whose times all read pays nothing.
fn note_unread_times(name: &str, split: &Split<'_>, noted: &mut Vec<String>) {
    let latest = storyhash::time::now().saturating_add(storyhash::prepare::MOST_AHEAD);
    for (article, line) in split.articles.iter().zip(&split.lines) {
        if noted.len() >= UNREAD_TIMES_SHOWN {
            return;
        }
        if let Some(shown) = super::unread_time(article, latest) {
            noted.push(format!("{name}:{line} `{shown}`"));
        }
    }
}

/// Commits one split (the records before a stopping error are still ingested, and kept in --db).
fn commit_split(
    engine: &Engine,
    name: &str,
    names: &FieldNames,
    split: &mut Split<'_>,
    prepared: PreparedBatch,
    rejects: &mut Rejects,
    outcomes: &mut Vec<ArticleNumber>,
) -> Result<()> {
    for message in split.skipped.drain(..) {
        rejects.add(message)?;
    }
    let unread_before = engine.unreadable_times();
    let results = engine.commit_batch_numbers(&split.articles, prepared);
    if rejects.unread_times.len() < UNREAD_TIMES_SHOWN && engine.unreadable_times() > unread_before
    {
        note_unread_times(name, split, &mut rejects.unread_times);
    }
    let records = split
        .lines
        .iter()
        .zip(&split.from_line)
        .zip(&split.articles);
    for (((line, from_line), article), result) in records.zip(results) {
        match result {
            Ok(number) => {
                // A repeat of an article stored under this id before is not the line's doing: that
                // id may have been written.
                if u64::from(number) >= rejects.next_number {
                    rejects.next_number = u64::from(number) + 1;
                    rejects
                        .stored
                        .insert(u64::from(number), name, *line, *from_line);
                    rejects.numbered += u64::from(*from_line);
                }
                outcomes.push(number)
            }
            Err(storyhash::Error::Article(e)) => {
                // The record this run stored under the id (none when the store held it before): the
                // line that took it as its number when this record gave it, else the line that gave it.
                let earlier = match &e {
                    storyhash::ArticleError::IdConflict { id } => engine
                        .number_of(id)
                        .and_then(|number| rejects.stored.place_of(number.into(), split.ids_named)),
                    _ => None,
                };
                let (numbered, earlier) = match earlier {
                    Some(Place {
                        shown,
                        took_its_line: true,
                    }) if !*from_line => (Some(shown), None),
                    place => (None, place.map(|p| p.shown)),
                };
                let err = RecordError {
                    source_name: name.to_string(),
                    line: *line,
                    field: None,
                    message: refusal(
                        &e,
                        split.with_store,
                        *from_line,
                        split.plain_text,
                        names,
                        (numbered.as_deref(), earlier.as_deref()),
                        super::other_keys_than_the_stored(
                            engine,
                            &e,
                            article,
                            rejects.stored.first(),
                        ),
                    ),
                };
                rejects.add(err.to_string())?;
            }
            Err(e) => return Err(anyhow!(e).context(format!("{name}:{line}"))),
        }
    }
    match split.stop.take() {
        Some(message) => Err(BadInput(message).into()),
        None => Ok(()),
    }
}

/// An output written to a temporary file beside its destination; renamed into place by `commit`, removed
/// if dropped uncommitted or if a signal ends the run first ([`interrupt::create_temporary`]), so that a
/// failed or stopped run leaves no file that looks complete and no temporary file.
struct Pending {
    tmp: PathBuf,
    path: PathBuf,
    /// The path as the user gave it, for messages.
    given: PathBuf,
    committed: bool,
}

impl Pending {
    fn commit(mut self) -> Result<()> {
        interrupt::settle_temporary(&self.tmp, || std::fs::rename(&self.tmp, &self.path))
            .with_context(|| format!("cannot write {}", self.given.display()))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.committed {
            let _ = interrupt::settle_temporary(&self.tmp, || std::fs::remove_file(&self.tmp));
        }
    }
}

/// The buffer in front of an output. A verdict file comes in parts of [`VERDICT_PART`] lines (about
/// half a megabyte), which a buffer smaller than they are passes straight to the file rather than
/// copying.
const OUTPUT_BUFFER: usize = 256 << 10;

/// A writer that refuses to write once a signal came (see [`interrupt::received`]), looking again at
/// least every 64 KiB: a pipe's write waits until its reader has taken all it was given.
struct UntilSignal<W>(W);

impl<W: Write> Write for UntilSignal<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match interrupt::received() {
            Some(signal) => Err(io::Error::other(format!("stopped by signal {signal}"))),
            None => self.0.write(&bytes[..bytes.len().min(1 << 16)]),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Writes to standard output or a special file (`None`), or to a temporary file beside `path` to be
/// committed later.
fn write_output(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<Option<Pending>> {
    let Some(given) = path else {
        let stdout = io::stdout();
        // A signal stops the writing (`dedupe --db` watches for one): the run then ends as stopped.
        let mut out = BufWriter::with_capacity(OUTPUT_BUFFER, UntilSignal(stdout.lock()));
        let cannot_write = || super::CANNOT_WRITE_STDOUT;
        write(&mut out).with_context(cannot_write)?;
        out.flush().with_context(cannot_write)?;
        return Ok(None);
    };
    // A device, a pipe or a link (`-o /dev/null`, `-o >(gzip)`) is written in place: renaming a
    // temporary file over it would replace it.
    // A link is followed, so that the file it names is replaced and the link kept.
    let cannot_write = || format!("cannot write {}", given.display());
    let path = &std::fs::canonicalize(given).unwrap_or_else(|_| given.to_path_buf());
    let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file());
    if special {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(path)
            .with_context(cannot_write)?;
        let mut out = BufWriter::with_capacity(OUTPUT_BUFFER, file);
        write(&mut out).with_context(cannot_write)?;
        out.flush().with_context(cannot_write)?;
        return Ok(None);
    }
    let tmp = temporary_beside(path)
        .ok_or_else(|| anyhow!(BadInput(format!("{}: not a file name", given.display()))))?;
    let pending = Pending {
        tmp,
        path: path.to_path_buf(),
        given: given.to_path_buf(),
        committed: false,
    };
    // The temporary file is an inner detail: a failure names the file the user asked for.
    let file =
        interrupt::create_temporary(&pending.tmp).with_context(|| through(given, &pending.tmp))?;
    // A file replaced keeps its mode: a verdict file kept private stays private.
    if let Ok(replaced) = std::fs::metadata(path) {
        file.set_permissions(replaced.permissions())
            .with_context(cannot_write)?;
    }
    let mut out = BufWriter::with_capacity(OUTPUT_BUFFER, Writeback::new(file));
    write(&mut out).with_context(cannot_write)?;
    out.flush().with_context(cannot_write)?;
    out.get_ref().file().sync_all().with_context(cannot_write)?;
    Ok(Some(pending))
}

/// The distinct stories of a run's verdicts, a bit per article number (a story's id is the number of the
/// article that founded it), set from all cores as the lines are made.
struct StoriesSeen {
    bits: Vec<AtomicU64>,
}

impl StoriesSeen {
    /// Room for the stories of an engine that gave `numbered` article numbers.
    fn new(numbered: u64) -> StoriesSeen {
        StoriesSeen {
            bits: (0..numbered.div_ceil(64))
                .map(|_| AtomicU64::new(0))
                .collect(),
        }
    }

    /// Counts `story` (once, however many lines name it).
    fn see(&self, story: u64) {
        if let Some(word) = usize::try_from(story / 64)
            .ok()
            .and_then(|w| self.bits.get(w))
        {
            word.fetch_or(1 << (story % 64), Ordering::Relaxed);
        }
    }

    /// The distinct stories seen.
    fn count(&self) -> u64 {
        self.bits
            .iter()
            .map(|w| u64::from(w.load(Ordering::Relaxed).count_ones()))
            .sum()
    }
}

/// For each of `outcomes`, whether an earlier record of this run gave the same article (the same id and
/// text). Its verdict line says it is an exact duplicate of that record, so that a corpus holding a page
/// crawled twice keeps one copy of each article when the duplicates are dropped. A record repeating an
/// article the store held before the run is not marked: it keeps that article's verdict, so that a run
/// stopped and started again over the same input writes the verdicts of a run that never stopped.
fn repeats_in_run(outcomes: &[ArticleNumber]) -> Vec<bool> {
    let mut seen = std::collections::HashSet::with_capacity(outcomes.len());
    outcomes
        .iter()
        .map(|&number| !seen.insert(number))
        .collect()
}

fn write_verdicts(
    engine: &Engine,
    outcomes: &[ArticleNumber],
    repeats: Option<&[bool]>,
    stories_seen: Option<&StoriesSeen>,
    out: &mut dyn Write,
) -> Result<()> {
    // Chunks of lines made on all cores; the next chunk is made while this thread writes the one
    // before, so that the writes (a copy into the kernel's page cache) overlap the work. Two sets of
    // part buffers take turns, so that the lines are made into memory already mapped rather than into
    // fresh allocations.
    const CHUNK: usize = 64 * 1024;
    let fill = |(at, chunk): (usize, &[ArticleNumber]), parts: &mut Vec<Vec<u8>>| {
        parts.resize_with(chunk.len().div_ceil(VERDICT_PART), Vec::new);
        chunk
            .par_chunks(VERDICT_PART)
            .zip(parts.par_iter_mut())
            .enumerate()
            .for_each(|(part, (numbers, buf))| {
                buf.clear();
                let mut similarities = Similarities::default();
                let from = at * CHUNK + part * VERDICT_PART;
                let mut repeat = repeats.map(|r| r[from..from + numbers.len()].iter());
                engine.verdicts(numbers, |v| {
                    if let Some(seen) = stories_seen {
                        seen.see(v.story);
                    }
                    let mut line = VerdictLine {
                        id: v.id,
                        cluster: v.cluster,
                        story: v.story,
                        status: v.status,
                        duplicate_of: v.duplicate_of,
                        similarity: v.similarity,
                    };
                    if repeat.as_mut().and_then(Iterator::next) == Some(&true) {
                        line.status = storyhash::Status::Duplicate;
                        line.duplicate_of = Some(v.id);
                        line.similarity = Some(1.0);
                    }
                    line.write(&mut similarities, buf);
                });
            });
    };
    let mut chunks = outcomes.chunks(CHUNK).enumerate();
    let (mut ready, mut spare) = (Vec::new(), Vec::new());
    let Some(first) = chunks.next() else {
        return Ok(());
    };
    fill(first, &mut ready);
    loop {
        let next = chunks.next();
        let written = rayon::in_place_scope(|scope| {
            if let Some(next) = next {
                let spare = &mut spare;
                scope.spawn(move |_| fill(next, spare));
            }
            ready.iter().try_for_each(|p| out.write_all(p))
        });
        written?;
        if next.is_none() {
            return Ok(());
        }
        std::mem::swap(&mut ready, &mut spare);
    }
}

/// Verdict lines made by one task (about half a megabyte of them).
const VERDICT_PART: usize = 4096;

#[derive(Serialize)]
struct ClusterLine<'a> {
    cluster: u64,
    size: u64,
    representative: &'a str,
    members: &'a [String],
}

fn write_clusters(engine: &Engine, min_size: u64, out: &mut dyn Write) -> Result<()> {
    for c in engine
        .clusters()?
        .into_iter()
        .filter(|c| c.size >= min_size)
    {
        let line = ClusterLine {
            cluster: c.id,
            size: c.size,
            representative: &c.representative,
            members: &c.members,
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
