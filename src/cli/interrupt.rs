//! SIGINT and SIGTERM for the commands that write a store as they read (`ingest`, `dedupe --db`). The
//! signals are taken by a thread of their own instead of ending the process wherever it is, so that the
//! command can stop where what it stored is whole and say what that is. A second signal ends the process
//! at once. Elsewhere than Linux the signals keep their default.

use std::fmt;
use std::sync::atomic::{AtomicI32, Ordering};

/// The signal received since [`watch`] (0: none yet).
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// A command stopped by a signal, as the error it returns: its exit code is 128 + the signal's number,
/// as if the signal had ended it.
#[derive(Debug)]
pub struct Interrupted(pub i32);

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stopped by {}", signal_name(self.0))
    }
}

impl std::error::Error for Interrupted {}

/// `SIGINT`, `SIGTERM`, or the signal's number.
pub fn signal_name(signal: i32) -> String {
    #[cfg(target_os = "linux")]
    match signal {
        libc::SIGINT => return "SIGINT".into(),
        libc::SIGTERM => return "SIGTERM".into(),
        _ => {}
    }
    format!("signal {signal}")
}

/// The signal received since [`watch`] began, if one was.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::Acquire) {
        0 => None,
        signal => Some(signal),
    }
}

/// Takes SIGINT and SIGTERM from the whole process from now on, so call it before any other thread
/// starts (a thread keeps the signal mask it started with). The first runs `on_signal(number)` on the
/// watching thread, after [`received`] says so; a second ends the process with 128 + its number.
#[cfg(target_os = "linux")]
pub fn watch(on_signal: impl FnOnce(i32) + Send + 'static) {
    // SAFETY: the set is initialised by `sigemptyset` before use, and the calls only read it.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        set
    };
    // SAFETY: `set` is a valid signal set; the old mask is not asked for.
    if unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) } != 0 {
        return;
    }
    let watching = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut on_signal = Some(on_signal);
            loop {
                let mut signal = 0;
                // SAFETY: `set` is valid and `signal` is written by the call.
                if unsafe { libc::sigwait(&set, &mut signal) } != 0 {
                    return;
                }
                let first = RECEIVED
                    .compare_exchange(0, signal, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok();
                match on_signal.take() {
                    Some(on_signal) if first => on_signal(signal),
                    _ => std::process::exit(128 + signal),
                }
            }
        });
    if watching.is_err() {
        // Nothing would take them: the signals end the process as before.
        // SAFETY: as above.
        unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) };
    }
}

/// Elsewhere than Linux the signals keep their default: they end the process.
#[cfg(not(target_os = "linux"))]
pub fn watch(_on_signal: impl FnOnce(i32) + Send + 'static) {}
