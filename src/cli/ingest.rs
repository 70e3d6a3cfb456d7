//! `storyhash ingest`: streams NDJSON articles from standard input into a durable store and answers each
//! with a verdict line on standard output. A reader thread hands lines over as they arrive; the main loop
//! takes whatever is waiting (up to `--max-batch`), decides on it, flushes the store once for all of it
//! (group commit), and only then writes the verdicts, so that every verdict printed is durable.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;

use storyhash::io::{
    parse_block_in, read_line_capped, too_long_message, Block, Format, LineEndings, LineRead,
    NumberedIds, RecordRoom, MAX_LINE_BYTES,
};
use storyhash::Article;

use super::new_store::NewStore;
use super::samples::{self, Sample, Tap};
use super::{counted, interrupt, open_engine, BadInput, FieldArgs, MatchArgs};

/// The name standard input goes by in messages.
const STDIN: &str = "<stdin>";

/// Flags of `storyhash ingest`.
#[derive(Args, Debug)]
#[command(after_help = concat!("\
Examples:
  tail -n +1 -F crawl.ndjson | storyhash ingest --db news.db   # from the first line, across rotations
  tail -n +1 -F crawl.ndjson | storyhash ingest --db news.db --retain 30d   # keeps a month
  echo '{\"id\":\"r1\",\"title\":\"ECB unlikely to end sterilisation of SMP purchases\"}' | storyhash ingest --db news.db

Each line of standard input is one JSON object: `id` (a line without one takes its line number), `title`,
and optionally `body`, `source`, `url`, `published` (RFC 3339, RFC 2822 as RSS writes it, a date such as `2014-03-10` or `March 10, 2014`, or Unix
seconds, milliseconds, microseconds or nanoseconds as a string or a number).

Exit status:
  0  standard input ended and every line was answered (a line that cannot be taken gets an error line;
     standard error counts them at the end; a blank line is skipped, unanswered, and counts for the
     line numbers)
  1  standard input cannot be read, standard output closed before it ended or cannot be written (a
     full disk), or the store cannot be opened (held by another process for 3 s, read-only) or
     written; standard error says which lines were taken
  2  a bad flag, a matching flag that contradicts what the store was created with (leave them out:
     the store's own are taken), a store that follows a shared log (`serve --log`: post to a node), or
     no line of standard input could be taken (each still answered)
  129, 130, 143  (as a shell reports a process a signal ended) stopped by SIGHUP (a closed terminal),
     SIGINT or SIGTERM between turns: standard error says through which line it answered, each
     answered line is stored, and the signal itself then ends it"))]
pub struct IngestArgs {
    /// Store directory: created if missing (its parent must exist); an existing one is empty or a
    /// store's (one holding other files is refused).
    #[arg(long, value_name = "DIR")]
    db: PathBuf,

    /// Most articles decided and flushed together when many are waiting.
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max_batch: u32,

    /// Drop the articles older than this as the stream runs, as `storyhash prune --older-than` would
    /// (which cannot open the store while ingest holds it): once the store is open, then every
    /// twenty-fourth of the age (a minute to an hour apart), between turns, each prune said on standard
    /// error with its count. 30d, 36h, 2w; at least a minute.
    #[arg(long, value_name = "DURATION", value_parser = storyhash::time::parse_prune_age)]
    retain: Option<u64>,

    #[command(flatten)]
    matching: MatchArgs,

    #[command(flatten)]
    fields: FieldArgs,

    /// Files named on the command line, which `ingest` does not read: refused with the way to feed them
    /// (`-`, standard input, is taken).
    #[arg(hide = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// The answer for a line that could not be ingested.
#[derive(Serialize)]
struct ErrorLine<'a> {
    line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    error: String,
}

/// The bytes of the lines read but not yet answered, which the reading thread keeps under
/// [`READ_AHEAD_BYTES`] (a turn takes up to `--max-batch` lines, and twice as many may wait: lines near
/// the length limit would otherwise pile up by the gigabyte).
#[derive(Default)]
struct ReadAhead {
    bytes: Mutex<u64>,
    answered: Condvar,
}

/// Most bytes of lines read ahead of the answers, unless one line alone is more.
const READ_AHEAD_BYTES: u64 = 256 << 20;

impl ReadAhead {
    /// Waits until a line of `len` bytes may be read ahead, and counts it.
    fn reserve(&self, len: u64) {
        let mut bytes = self.bytes.lock().unwrap_or_else(|e| e.into_inner());
        while *bytes > 0 && *bytes + len > READ_AHEAD_BYTES {
            bytes = self.answered.wait(bytes).unwrap_or_else(|e| e.into_inner());
        }
        *bytes += len;
    }

    /// Hands back the bytes of lines answered.
    fn release(&self, len: u64) {
        let mut bytes = self.bytes.lock().unwrap_or_else(|e| e.into_inner());
        *bytes = bytes.saturating_sub(len);
        self.answered.notify_all();
    }
}

/// A line of standard input as the reading thread hands it on.
enum Line {
    Text(Vec<u8>),
    /// A line longer than [`MAX_LINE_BYTES`], of this many bytes, read past.
    TooLong(u64),
}

/// What to answer for one line, in input order: the verdict of article `i`, or why the line was refused.
enum Answer {
    Verdict(usize),
    Error { line: u64, error: String },
}

/// Runs `storyhash ingest`.
pub fn run(args: IngestArgs) -> Result<()> {
    // `-` names standard input, which ingest reads anyway.
    if let Some(file) = args.files.iter().find(|f| f.as_os_str() != "-") {
        let (db, file) = (args.db.display(), file.display());
        return Err(BadInput(format!(
            "ingest reads JSON Lines from standard input, not from files named after it: \
             `storyhash ingest --db {db} < {file}` feeds it one, `storyhash dedupe {file} --db {db}` \
             reads files"
        ))
        .into());
    }
    let names = args.fields.names()?;
    // The last line answered (each answered line is durable), held while a turn is answered: a signal
    // ends the run between turns, saying how far it got. [`FINISHED`] once standard input ended and the
    // run goes on to its end.
    let answered = Arc::new(Mutex::new(0u64));
    let at_signal = Arc::clone(&answered);
    interrupt::watch(move |signal| {
        let through = *at_signal.lock().unwrap_or_else(|e| e.into_inner());
        if through == FINISHED {
            return;
        }
        let stopped = interrupt::Interrupted(signal);
        if through == 0 {
            say!("storyhash: {stopped} before any line was answered");
        } else {
            say!(
                "storyhash: {stopped}; {} answered, and what was stored is durable",
                first_lines(through)
            );
        }
        interrupt::end_by(signal);
    });
    // A store the run makes goes again if no line is taken.
    let made_store = NewStore::at(&args.db);
    let engine = open_engine(Some(&args.db), &args.matching)?;
    // The first article number this run gives: those below were stored before it.
    let run_first = engine.numbered();
    super::refuse_a_log_store(
        &engine,
        &args.db,
        "post the articles to a node (`POST /v1/articles`, NDJSON as ingest reads it)",
    )?;
    let max_batch = args.max_batch as usize;
    let (tx, rx) = mpsc::sync_channel::<io::Result<Line>>(max_batch * 2);
    let ahead = Arc::new(ReadAhead::default());
    let reading = Arc::clone(&ahead);
    // The stream's first lines, kept for the notes about its keys.
    let (sample, keeper) = Sample::kept();
    let mut sample = Some(sample);
    std::thread::spawn(move || {
        let mut stdin =
            io::BufReader::new(Tap::keeping(LineEndings::new(io::stdin().lock()), keeper));
        let mut first = true;
        loop {
            let mut line = Vec::new();
            let read = match read_line_capped(&mut stdin, &mut line, MAX_LINE_BYTES) {
                Ok(LineRead::End) => return,
                Ok(LineRead::Line) => {
                    // A byte-order mark at the very start is not part of the first article.
                    if first && line.starts_with(b"\xef\xbb\xbf") {
                        line.drain(..3);
                    }
                    Ok(Line::Text(line))
                }
                Ok(LineRead::TooLong(len)) => Ok(Line::TooLong(len)),
                Err(e) => Err(e),
            };
            first = false;
            if let Ok(Line::Text(line)) = &read {
                reading.reserve(line.len() as u64);
            }
            let failed = read.is_err();
            if tx.send(read).is_err() || failed {
                return;
            }
        }
    });
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut next_line = 1u64;
    let mut refused = Refused::default();
    let mut unread = UnreadTimes {
        key: names
            .key_named_for("published")
            .unwrap_or("published")
            .to_owned(),
        count: 0,
    };
    let mut taken = 0u64;
    // Lines taken under their line numbers, named when a later line gives one as its own id.
    let mut numbered = NumberedIds::for_a_stream();
    let mut answers = Vec::new();
    let mut text = Vec::new();
    // A line read while a batch was gathered that cannot join it (one too long), for the next turn.
    let mut held = None;
    let mut retention = args.retain.map(Retention::new);
    // The run's turns, and its end once standard input ended; on a failure, what the store holds is seen to
    // below.
    let outcome = (|| -> Result<()> {
        // Each turn: wait for one line, take what else is already waiting, answer all of it.
        loop {
            let first = match held.take() {
                Some(first) => first,
                None => match wait_for_line(&rx, retention.as_mut(), &engine, &answered)? {
                    Some(first) => first,
                    None => break,
                },
            };
            let mut answered_through = answered.lock().unwrap_or_else(|e| e.into_inner());
            if interrupt::received().is_some() {
                // No turn is begun meanwhile.
                left_to_signal(answered_through);
            }
            let first = match first {
                Ok(first) => first,
                Err(e) => {
                    return Err(anyhow::Error::new(e).context("cannot read standard input"));
                }
            };
            let first = match first {
                Line::Text(text) => text,
                Line::TooLong(len) => {
                    // Answered alone, in its place among the lines.
                    text.clear();
                    refused.answer(&mut text, next_line, None, too_long_message(len))?;
                    text.push(b'\n');
                    write_answers(&mut out, &text, next_line)?;
                    *answered_through = next_line;
                    next_line += 1;
                    continue;
                }
            };
            // The bytes of the turn's lines, handed back to the reading thread once they are answered.
            let mut turn_bytes = first.len() as u64;
            let mut block = Block::new(first, next_line);
            let mut count = 1;
            while count < max_batch {
                match rx.try_recv() {
                    Ok(Ok(Line::Text(line))) => {
                        turn_bytes += line.len() as u64;
                        if !block.bytes.ends_with(b"\n") {
                            block.bytes.push(b'\n');
                        }
                        block.bytes.extend(line);
                        count += 1;
                    }
                    Ok(other) => {
                        held = Some(other);
                        break;
                    }
                    Err(_) => break,
                }
            }
            next_line += count as u64;
            answers.clear();
            let mut articles: Vec<Article<'_>> = Vec::with_capacity(count);
            let mut lines = Vec::with_capacity(count);
            let mut from_line = Vec::with_capacity(count);
            let parsed =
                parse_block_in(Format::Jsonl, &block, STDIN, &names, RecordRoom::default());
            for parsed in parsed {
                match parsed {
                    Ok(record) => {
                        answers.push(Answer::Verdict(articles.len()));
                        lines.push(record.line);
                        from_line.push(record.id_from_line);
                        articles.push(record.article);
                    }
                    Err(e) => answers.push(Answer::Error {
                        line: e.line,
                        error: e.message,
                    }),
                }
            }
            let unread_before = engine.unreadable_times();
            let mut results: Vec<_> = engine
                .ingest_batch(&articles)
                .into_iter()
                .map(Some)
                .collect();
            if engine.unreadable_times() > unread_before {
                // Of the articles stored now: a repeat or a refused line took no time of its own.
                let stored = results
                    .iter()
                    .map(|r| matches!(r, Some(Ok(v)) if !v.repeat));
                unread.note(&articles, &lines, stored);
            }
            // Nothing is answered before it is durable.
            engine.flush().with_context(|| {
                format!(
                    "cannot flush the store ({}; the lines after them were not answered)",
                    answered_so_far(*answered_through)
                )
            })?;
            text.clear();
            for answer in &answers {
                match answer {
                    Answer::Verdict(i) => match results[*i].take() {
                        Some(Ok(verdict)) => {
                            taken += 1;
                            if from_line[*i] && !verdict.repeat {
                                numbered.insert(lines[*i]);
                            }
                            serde_json::to_writer(&mut text, &verdict)?
                        }
                        Some(Err(storyhash::Error::Article(e))) => {
                            let earlier = match &e {
                                storyhash::ArticleError::IdConflict { id } if !from_line[*i] => {
                                    numbered.line_taking(id).map(|line| format!("line {line}"))
                                }
                                _ => None,
                            };
                            let error = super::refusal(
                                &e,
                                true,
                                from_line[*i],
                                false,
                                &names,
                                (earlier.as_deref(), None),
                                super::other_keys_than_the_stored(
                                    &engine,
                                    &e,
                                    &articles[*i],
                                    run_first,
                                ),
                            );
                            let id = e.answered_id(&articles[*i].id);
                            refused.answer(&mut text, lines[*i], Some(&id), error)?
                        }
                        Some(Err(e)) => {
                            // A store failure: what was answered so far is durable; stop here.
                            write_answers(&mut out, &text, lines[*i] - 1)?;
                            return Err(
                                anyhow::Error::new(e).context(format!("<stdin>:{}", lines[*i]))
                            );
                        }
                        None => continue,
                    },
                    Answer::Error { line, error } => {
                        refused.answer(&mut text, *line, None, error.clone())?
                    }
                }
                text.push(b'\n');
            }
            write_answers(&mut out, &text, next_line - 1)?;
            *answered_through = next_line - 1;
            ahead.release(turn_bytes);
            if sample.as_ref().is_some_and(Sample::is_complete) {
                say_key_notes(sample.take(), taken, &names, &engine);
            }
        }
        say_key_notes(sample.take(), taken, &names, &engine);
        {
            // Standard input ended: a signal that came before is the stopping thread's to say; one after
            // it leaves the run to end as it would have.
            let mut answered_through = answered.lock().unwrap_or_else(|e| e.into_inner());
            if interrupt::received().is_some() {
                left_to_signal(answered_through);
            }
            *answered_through = FINISHED;
        }
        engine.flush().context("cannot flush the store")?;
        unread.report();
        refused.report(taken)
    })();
    // A run that took no line (standard input unreadable, every line refused, standard output closed
    // before the first answer of a stored line) leaves no store it made, so that the corrected command
    // chooses the store's settings; nor one that another run made and filled between this one's look
    // and its open.
    if let (true, 0, Some(made), 0) = (outcome.is_err(), taken, made_store, engine.stats().articles)
    {
        drop(engine);
        made.remove(&args.db);
    }
    outcome
}

/// Says on standard error what the stream's first records, `sample`, show of its keys (once, when it is
/// `Some`): a key named for a field that none has, a body or a time under a key not read. Not when no
/// line was `taken`: each refused line's answer says what is wrong with it.
fn say_key_notes(
    sample: Option<Sample>,
    taken: u64,
    names: &storyhash::io::FieldNames,
    engine: &storyhash::Engine,
) {
    let Some(sample) = sample.filter(|_| taken > 0) else {
        return;
    };
    let sampled = [("standard input".to_string(), &sample)];
    for note in samples::key_notes(&sampled, names, engine.config().params.use_body) {
        say!("storyhash: note: {note}");
    }
    if names.key_named_for("published").is_some() {
        return;
    }
    let Some(sampled_records) = sample.lacking_key("published") else {
        return;
    };
    say!(
        "storyhash: note: {} (an article without one takes its arrival time); {}",
        samples::none_of(
            sampled_records,
            "standard input",
            "no `published` time",
            "a `published` time"
        ),
        samples::time_note(&sampled, names)
    );
}

/// The articles whose publication time the engine did not take (in no form read, or more than a day
/// ahead), which take their arrival time instead: the first few said on standard error as they come (a
/// stream may run for days before its summary), then counted.
struct UnreadTimes {
    /// The key the time is read from.
    key: String,
    count: u64,
}

impl UnreadTimes {
    /// How many are said one by one.
    const SAID: u64 = 5;

    /// Notes those among `articles` (read from `lines`) that were `stored`.
    fn note(
        &mut self,
        articles: &[Article<'_>],
        lines: &[u64],
        stored: impl Iterator<Item = bool>,
    ) {
        let latest = storyhash::time::now().saturating_add(storyhash::prepare::MOST_AHEAD);
        for ((article, line), stored) in articles.iter().zip(lines).zip(stored) {
            let Some(shown) = super::unread_time(article, latest).filter(|_| stored) else {
                continue;
            };
            self.count += 1;
            if self.count <= Self::SAID {
                say!(
                    "storyhash: note: <stdin>:{line}: the `{}` time `{shown}` is in no form \
                     storyhash reads or more than a day after its arrival: the article takes its \
                     arrival time (forms read: {}){}",
                    self.key,
                    super::TIME_FORMS,
                    if self.count == Self::SAID {
                        "; the next such are counted at the end"
                    } else {
                        ""
                    }
                );
            }
        }
    }

    /// Says how many there were, once standard input ended, when as many as were said one by one.
    fn report(&self) {
        if self.count >= Self::SAID {
            say!(
                "storyhash: {} took their arrival time for a `{}` time in no form storyhash reads \
                 or more than a day after their arrival",
                counted(self.count, "article"),
                self.key
            );
        }
    }
}

/// What the last line answered reads once standard input has ended.
const FINISHED: u64 = u64::MAX;

/// Lets the signal's thread, which waits for `answered_through`, say how far the run got and end it.
fn left_to_signal(answered_through: std::sync::MutexGuard<'_, u64>) -> ! {
    drop(answered_through);
    loop {
        std::thread::park();
    }
}

/// `--retain`: the age of the articles dropped as the stream runs, and when the next prune is due.
struct Retention {
    age: u64,
    next: Instant,
}

impl Retention {
    /// The first prune is due at once: a store opened after a pause holds what aged meanwhile.
    fn new(age: u64) -> Retention {
        Retention {
            age,
            next: Instant::now(),
        }
    }

    /// Drops the articles older than the age (a signal stops it between chunks, what went before
    /// flushed), says how many went, and schedules the next prune, as `serve --retain` does.
    fn prune(&mut self, engine: &storyhash::Engine) -> Result<()> {
        let before = storyhash::time::before(storyhash::time::now(), self.age);
        let held = engine.stats().articles;
        let pruned = engine
            .prune_while(before, || interrupt::received().is_none())
            .context("retention: cannot prune the store")?;
        engine
            .flush()
            .context("retention: cannot flush the store")?;
        if pruned > 0 {
            say!(
                "storyhash: retention: pruned {} older than {}",
                counted(pruned, "article"),
                storyhash::time::format_rfc3339(before)
            );
            if pruned >= held {
                say!(
                    "storyhash: note: every article went; {}",
                    super::prune::ARCHIVE_TIMES
                );
            }
        }
        self.next =
            Instant::now() + storyhash::time::retention_every(Duration::from_secs(self.age));
        Ok(())
    }
}

/// The next line of standard input (`None` once it ended), running `retention`'s prunes as they fall
/// due while waiting for it. A prune holds `answered`, as a turn does, so that a signal waits for it.
fn wait_for_line(
    rx: &mpsc::Receiver<io::Result<Line>>,
    mut retention: Option<&mut Retention>,
    engine: &storyhash::Engine,
    answered: &Mutex<u64>,
) -> Result<Option<io::Result<Line>>> {
    loop {
        let Some(retention) = retention.as_deref_mut() else {
            return Ok(rx.recv().ok());
        };
        let wait = retention.next.saturating_duration_since(Instant::now());
        if wait.is_zero() {
            let answered_through = answered.lock().unwrap_or_else(|e| e.into_inner());
            if interrupt::received().is_some() {
                left_to_signal(answered_through);
            }
            retention.prune(engine)?;
            continue;
        }
        match rx.recv_timeout(wait) {
            Ok(line) => return Ok(Some(line)),
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(None),
        }
    }
}

/// The lines refused so far: how many, and the first with why.
#[derive(Default)]
struct Refused {
    count: u64,
    first: Option<(u64, String)>,
}

impl Refused {
    /// Counts line `line` as refused and writes its error line (without its newline) to `text`.
    fn answer(
        &mut self,
        text: &mut Vec<u8>,
        line: u64,
        id: Option<&str>,
        error: String,
    ) -> Result<()> {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some((line, error.clone()));
        }
        serde_json::to_writer(text, &ErrorLine { line, id, error })?;
        Ok(())
    }

    /// Says on standard error, once standard input ended, how many lines were refused and why the first
    /// was (each has its error line on standard output, which a supervisor may not read); a stream of
    /// which no line could be taken (another format, keys under other names) is bad input.
    fn report(&self, taken: u64) -> Result<()> {
        let Some((line, error)) = &self.first else {
            return Ok(());
        };
        // What most often makes every line fail: keys under other names, or input in another format.
        let hint = if let Some(hint) = super::nested_key_hint(error) {
            hint
        } else if storyhash::io::SAYS_HOW_TO_REWRITE
            .iter()
            .any(|said| error.contains(said))
        {
            // It says the command that writes the records in the form read.
            String::new()
        } else if error.starts_with("missing field `title`") {
            " (--title-field KEY reads the title from another key)".to_owned()
        } else if error.starts_with(storyhash::io::NOT_JSON) && taken == 0 {
            " (ingest reads JSON Lines; `storyhash dedupe FILE --db DIR` reads CSV with --format csv and \
             one headline per line with --format text)"
                .to_owned()
        } else {
            String::new()
        };
        let first = format!("the first, line {line}: {error}{hint}");
        if taken == 0 {
            return Err(BadInput(format!(
                "no line of standard input could be taken ({} refused, each answered with an error \
                 line); {first}",
                self.count
            ))
            .into());
        }
        say!(
            "storyhash: {} refused (each answered with an error line), {taken} taken; {first}",
            counted(self.count, "line")
        );
        Ok(())
    }
}

/// Writes a turn's answers. A reader of them that went away is a failure here (exit 1), not the quiet
/// end it is for `dedupe | head`: the lines after `through` were never read, and a supervisor must not
/// take that for standard input's end.
fn write_answers(out: &mut impl Write, text: &[u8], through: u64) -> Result<()> {
    match out.write_all(text).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(anyhow::anyhow!(
            "standard output closed before standard input ended: {} stored or refused (the answers \
             may be lost), the lines after were not stored",
            first_lines(through)
        )),
        written => written.with_context(|| {
            format!(
                "{} ({} stored or refused, the answers may be lost; the lines after were not \
                 stored)",
                super::CANNOT_WRITE_STDOUT,
                first_lines(through)
            )
        }),
    }
}

/// How far a run got, for a message: the lines answered through `through` (0: none), each durable.
fn answered_so_far(through: u64) -> String {
    match through {
        0 => "no line was answered".to_owned(),
        n => format!("{} answered (stored or refused)", first_lines(n)),
    }
}

/// The lines from the first through line `through`, with the verb's number: "no line was", "line 1 was",
/// "lines 1 to 5 were".
fn first_lines(through: u64) -> String {
    match through {
        0 => "no line was".to_owned(),
        1 => "line 1 was".to_owned(),
        n => format!("lines 1 to {n} were"),
    }
}
