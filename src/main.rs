//! The `storyhash` binary: parses flags, runs the subcommand, maps the outcome to an exit code (0 success,
//! 1 failure, 2 bad input or usage). A closed stdout (`storyhash dedupe … | head`) is not an error.

use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if cli::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("storyhash: {err:#}");
            ExitCode::from(cli::exit_code(&err))
        }
    }
}
