//! `storyhash prune`: drops the articles older than a given age from a store (stop the daemon first, or
//! use its `POST /v1/prune` route), deleting their records (sled reuses their room for later writes).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use storyhash::{time, StoreError};

use super::{counted, interrupt, open_engine, MatchArgs};

/// Flags of `storyhash prune`.
#[derive(Args, Debug)]
#[command(after_help = concat!("\
A pruned article is forgotten with its id and text: a copy of it that comes later is new again, and
its id may be given another text.

Examples:
  storyhash prune --db news.db --older-than 30d --dry-run   # how many would go
  storyhash prune --db news.db --older-than 30d
  storyhash prune --db news.db --older-than 36h

Exit status:
  0  pruned; prints how many articles went and how many remain (with --dry-run, how many would)
  1  no store at --db, or it cannot be opened (held by the daemon or another
     process for 3 s, read-only) or written
  2  a bad flag, one of `dedupe`'s matching flags (`--threshold`, `--shingle`, …: taken though not
     listed here, the store's own applying) that contradicts what the store was created with, or a
     store that follows a shared log (`serve --log`: a node prunes it with POST /v1/prune)
  129, 130, 143  (as a shell reports a process a signal ended) stopped by SIGHUP, SIGINT or SIGTERM
     between chunks of 4,096 articles, those pruned before flushed and counted, then ended by the
     signal itself; a prune run again takes the rest (a second signal ends it at once)"))]
pub struct PruneArgs {
    /// Store directory.
    #[arg(long, value_name = "DIR")]
    db: PathBuf,

    /// Drop articles whose time (publication, else arrival) is older than this: 30d, 36h, 2w; the unit
    /// is required (s, min, h, d, w; a month is 30d; `6m` is refused as six months meant), and at
    /// least a minute.
    #[arg(long, value_name = "DURATION", value_parser = time::parse_prune_age)]
    older_than: u64,

    /// Count the articles that would go, and change nothing.
    #[arg(long)]
    dry_run: bool,

    #[command(flatten)]
    matching: MatchArgs,
}

/// Why a prune may take every article: most often a store of an archive, of a feed that paused, or of
/// articles without a time that came in one run.
pub(super) const ARCHIVE_TIMES: &str = "a prune goes by the articles' publication times (their \
                                        arrival where they have none), so an archive's articles are \
                                        all as old as their dates, and articles without a time as \
                                        old as the run that stored them";

/// Runs `storyhash prune`.
pub fn run(args: PruneArgs) -> Result<()> {
    // A signal stops the prune between chunks, what went before flushed and said; before any thread
    // starts, which would keep the signals.
    interrupt::watch(|_| {});
    // An empty directory is no store either: opening it would make one, to prune nothing.
    if !storyhash::Engine::store_exists(&args.db) {
        return Err(anyhow::anyhow!("no store at {}", args.db.display()));
    }
    let engine = open_engine(Some(&args.db), &args.matching).map_err(|e| {
        let held = matches!(
            e.downcast_ref::<storyhash::Error>(),
            Some(storyhash::Error::Store(StoreError::InUse {
                this_process: false,
                ..
            }))
        );
        if held {
            let route = if args.dry_run {
                "counts what would go with `POST /v1/prune?older_than=AGE&dry_run=true`"
            } else {
                "prunes it with `POST /v1/prune?older_than=AGE`, or `serve --retain AGE`; an \
                 `ingest` keeps a window with `--retain AGE`"
            };
            anyhow::anyhow!("{e:#} (if it is a daemon serving the store, it {route})")
        } else {
            e
        }
    })?;
    super::refuse_a_log_store(
        &engine,
        &args.db,
        "a node prunes it for every node with `POST /v1/prune?older_than=AGE` (or `serve --retain AGE`)",
    )?;
    let before = time::before(time::now(), args.older_than);
    if args.dry_run {
        let older = engine.count_older_than(before);
        let held = engine.stats().articles;
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "would prune {} of {} older than {}; nothing was changed",
            older,
            counted(held, "article"),
            time::format_rfc3339(before),
        )
        .context(super::CANNOT_WRITE_STDOUT)?;
        if older > 0 && older >= held {
            say!("storyhash: note: every article would go; {ARCHIVE_TIMES}");
        }
        return Ok(());
    }
    let pruned = engine
        .prune_while(before, || interrupt::received().is_none())
        .context("cannot prune the store")?;
    engine.flush().context("cannot flush the store")?;
    let left = engine.stats();
    let stopped = interrupt::received();
    // Written, not printed: a closed or full standard output is an error to report, not a panic.
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "pruned {} older than {}{}; {} in {} {}",
        counted(pruned as u64, "article"),
        time::format_rfc3339(before),
        match stopped {
            Some(_) => " before a signal stopped it (a prune run again takes any left)",
            None => "",
        },
        counted(left.articles, "article"),
        counted(left.clusters, "cluster"),
        if left.articles == 1 {
            "remains"
        } else {
            "remain"
        }
    )
    .context(super::CANNOT_WRITE_STDOUT)?;
    if pruned > 0 && left.articles == 0 {
        say!(
            "storyhash: note: every article went; {ARCHIVE_TIMES} (`--dry-run` counts what would go \
             first)"
        );
    }
    match stopped {
        Some(signal) => Err(interrupt::Interrupted(signal).into()),
        None => Ok(()),
    }
}
