//! The `storyhash` binary: parses flags, runs the subcommand, maps the outcome to an exit code (0 success,
//! 1 failure, 2 bad input or usage); a command a signal stopped ends by that signal once it has said so.
//! A closed stdout (`storyhash dedupe … | head`) is not an error.

use std::io::Write;
use std::process::ExitCode;

mod cli;

/// The binary allocates from many threads at once and keeps large, long-lived indexes beside short-lived
/// per-article buffers; mimalloc serves that mix without the fragmentation and lock traffic of the system
/// allocator. The library leaves the choice to the program that links it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A write past a file size limit (`ulimit -f`) then fails with EFBIG, which the store says and the
    // daemon answers as a full disk, rather than killing the process without a word (SIGXFSZ's
    // default). Python ignores it too.
    #[cfg(target_os = "linux")]
    // SAFETY: setting a signal's disposition to SIG_IGN, before any thread is started.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if cli::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // Not `eprintln!`, which panics (exit 101) when standard error cannot be written.
            let _ = writeln!(std::io::stderr(), "storyhash: {err:#}");
            if let Some(signal) = cli::stopping_signal(&err) {
                // Stopped by a signal where what it kept is whole: now ended by it, as by default.
                let _ = std::io::stdout().flush();
                cli::interrupt::end_by(signal);
            }
            ExitCode::from(cli::exit_code(&err))
        }
    }
}
