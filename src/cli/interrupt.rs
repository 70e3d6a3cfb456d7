//! SIGINT, SIGTERM and SIGHUP (a closed terminal or ssh session). The commands that write a store
//! (`ingest`, `dedupe --db`, `prune`) take them on a thread of their own instead of ending the process
//! wherever it is, so that the command can stop where what it stored is whole and say what that is; a
//! second signal ends the process at once. Either way the process then ends by the signal itself
//! ([`end_by`]), as its default would have, so that its parent sees the signal (a shell running it in a
//! loop stops there at a SIGINT). The first signal sent again within
//! [`SAME_STOP`] is the same request to stop, not a second: GNU `timeout` sends its one signal to the
//! process and then to its process group. A signal the process was started ignoring (a
//! background job of a script) stays ignored. Elsewhere than Linux the signals keep their default.
//!
//! An output is written to a temporary file made by [`create_temporary`] and then renamed into place: a
//! signal that ends the process (`dedupe` without a store, [`end_at_once`], or any second signal) first
//! removes those not yet renamed.

use std::fmt;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard};

/// How soon after the first signal the same signal again is taken as the same request to stop (a
/// supervisor that signals the process and then its group) rather than as a second, which ends the
/// process at once. A different signal is a second however soon it comes.
pub const SAME_STOP: std::time::Duration = std::time::Duration::from_millis(500);

/// Whether `signal`, taken `after` the first signal `first`, is that same request to stop again.
pub fn is_the_same_stop(first: i32, signal: i32, after: std::time::Duration) -> bool {
    signal == first && after < SAME_STOP
}

/// The signal received since [`watch`] (0: none yet).
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// The first signal taken, told to [`received`] or not (0: none yet).
#[cfg(target_os = "linux")]
static TAKEN: AtomicI32 = AtomicI32::new(0);

/// A command stopped by a signal, as the error it returns: the binary ends by that signal once it has
/// said so ([`end_by`]).
#[derive(Debug)]
pub struct Interrupted(pub i32);

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stopped by {}", signal_name(self.0))
    }
}

impl std::error::Error for Interrupted {}

/// `SIGINT`, `SIGTERM`, `SIGHUP`, or the signal's number.
fn signal_name(signal: i32) -> String {
    #[cfg(target_os = "linux")]
    match signal {
        libc::SIGINT => return "SIGINT".into(),
        libc::SIGTERM => return "SIGTERM".into(),
        libc::SIGHUP => return "SIGHUP".into(),
        _ => {}
    }
    format!("signal {signal}")
}

/// The temporary files made by [`create_temporary`] and not yet settled.
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The list of temporary files, whatever a thread that panicked holding it left.
fn temporaries() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Creates (or truncates) the temporary file `path`, which a signal ending the process removes until
/// [`settle_temporary`] is called for it. Made while the list is held, so that no signal finds the file
/// made and not listed.
pub fn create_temporary(path: &Path) -> io::Result<File> {
    let mut listed = temporaries();
    let file = File::create(path)?;
    listed.push(path.to_path_buf());
    Ok(file)
}

/// Runs `settle` (the rename or removal of the temporary file `path`) while no signal can remove the
/// file, then forgets it.
pub fn settle_temporary<T>(path: &Path, settle: impl FnOnce() -> T) -> T {
    let mut listed = temporaries();
    let settled = settle();
    listed.retain(|listed| listed != path);
    settled
}

/// Removes the temporary files not yet settled and ends the process by `signal`. The list stays held
/// until the end, so that none is made or renamed meanwhile.
#[cfg(target_os = "linux")]
fn remove_temporaries_and_end(signal: i32) -> ! {
    let _listed = remove_temporaries();
    end_by(signal)
}

/// Ends the process by `signal` itself, with the signal's default action, so that its parent sees it
/// ended by that signal (a shell stops a loop running it) rather than exited; where the signal cannot
/// end it, exits with 128 + its number, as a shell reports a process a signal ended. Nothing buffered is
/// flushed: standard output's answers are flushed as they are given.
pub fn end_by(signal: i32) -> ! {
    #[cfg(target_os = "linux")]
    // SAFETY: `set` is initialised by `sigemptyset` before use; the signal's default action is
    // restored and the signal unblocked for this thread alone, which then raises it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, signal);
        libc::signal(signal, libc::SIG_DFL);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(signal);
    }
    std::process::exit(128 + signal)
}

/// Removes the temporary files not yet settled, and returns the list held, empty.
fn remove_temporaries() -> MutexGuard<'static, Vec<PathBuf>> {
    let mut listed = temporaries();
    for path in listed.drain(..) {
        let _ = std::fs::remove_file(path);
    }
    listed
}

/// For a command that keeps nothing when stopped (`dedupe` without a store): takes the signals as
/// [`watch`] does, but the first removes the temporary files not yet settled and then ends the
/// process by that signal itself, as its default would have, so that its parent sees the signal.
/// [`received`] stays `None`: nothing in the command stops on its own.
pub fn end_at_once() {
    watch_signals(false, |signal| {
        let _listed = remove_temporaries();
        end_by(signal)
    });
}

/// The signal received since [`watch`] began, if one was.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::Acquire) {
        0 => None,
        signal => Some(signal),
    }
}

/// Whether standard input was ended by a signal rather than by its writer ([`StandardInput`]).
static INPUT_CUT: AtomicBool = AtomicBool::new(false);

/// Whether a signal ended standard input before its writer did: the run then stopped short of the
/// input's end, though its reader saw an end.
pub fn input_cut() -> bool {
    INPUT_CUT.load(Ordering::Acquire)
}

/// Standard input that stops waiting once a signal came ([`received`]): a read that would wait for a
/// writer that sends nothing (`tail -F crawl.jsonl | storyhash dedupe - --db DIR`, between two lines, or
/// a program whose buffer ended mid-line) ends the input instead, so that the command takes the whole
/// lines it has and stops at the first signal rather than at the next block of input. It hands on whole
/// lines only (for CSV, lines that end outside a quoted field), holding the start of a line until its end
/// comes, which a signal then drops; a line longer than [`HELD_LINE_BYTES`](Self::HELD_LINE_BYTES) is
/// handed on as it comes, and a signal in it fails the read with [`Interrupted`]. Once a signal came, what
/// is there to read is read up to a block's worth, as a named file's reader finishes its block, so that a
/// file on standard input, or a writer that keeps sending, stops too. Standard input is read from its
/// descriptor, with no buffer in front that a wait for input could not see.
pub struct StandardInput {
    /// Standard input's descriptor, not closed when this is dropped.
    input: std::mem::ManuallyDrop<File>,
    /// Bytes read and not yet handed on, from `start`: up to `whole` they end a line.
    held: Vec<u8>,
    start: usize,
    whole: usize,
    /// Whether what was handed on so far ends a line (or nothing was).
    at_line_start: bool,
    /// Whether `whole` ends a line (rather than a long line's part).
    whole_ends_a_line: bool,
    /// The input ended.
    ended: bool,
    /// Once a signal came: how much more may be read.
    after_signal: Option<usize>,
    /// CSV: where records end (a line end inside a quoted field ends none); `None` for line formats.
    csv: Option<storyhash::io::RecordEnds>,
}

impl StandardInput {
    /// How long a read waits for input before it looks for a signal again.
    const LOOK_EVERY_MS: i32 = 100;
    /// The most of a line held for its end before it is handed on in part: the longest the readers take
    /// (a longer one they read past and refuse).
    pub const HELD_LINE_BYTES: usize = storyhash::io::MAX_LINE_BYTES;
    /// The most read from the descriptor at once.
    const READ_BYTES: usize = 256 << 10;
    /// The most read after a signal: a block's worth, as a named file's reader finishes the block it
    /// has begun.
    const AFTER_SIGNAL_BYTES: usize = 4 << 20;

    /// Ends the input at a signal: its end (`Ok(0)`) where what was handed on ends a line, else a failure
    /// saying the signal stopped it in the middle of one. Either way the input is said cut.
    fn cut(&self, signal: i32) -> io::Result<usize> {
        INPUT_CUT.store(true, Ordering::Release);
        match self.at_line_start {
            true => Ok(0),
            false => Err(io::Error::other(Interrupted(signal))),
        }
    }

    /// Standard input, its records read as CSV when `csv`.
    pub fn new(csv: bool) -> StandardInput {
        use std::os::fd::FromRawFd;
        StandardInput {
            // SAFETY: descriptor 0 is open for the life of the process, and is not closed by this
            // `File`, which is never dropped.
            input: std::mem::ManuallyDrop::new(unsafe { File::from_raw_fd(0) }),
            held: Vec::new(),
            start: 0,
            whole: 0,
            at_line_start: true,
            whole_ends_a_line: true,
            ended: false,
            after_signal: None,
            csv: csv.then(storyhash::io::RecordEnds::default),
        }
    }

    /// Hands on `self.held[self.start..end]` as far as `buf` takes it.
    fn hand_on(&mut self, buf: &mut [u8], end: usize, ends_a_line: bool) -> usize {
        let n = buf.len().min(end - self.start);
        buf[..n].copy_from_slice(&self.held[self.start..self.start + n]);
        self.start += n;
        if n > 0 {
            self.at_line_start = self.start == end && ends_a_line;
        }
        n
    }

    /// Whether input is there to read (or ended), after waiting for it at most `wait_ms`.
    #[cfg(target_os = "linux")]
    fn ready(wait_ms: i32) -> bool {
        let mut ready = libc::pollfd {
            fd: libc::STDIN_FILENO,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid `pollfd`, which the call fills. An error (a descriptor poll does not
        // follow) says to read: the read says what it is.
        unsafe { libc::poll(&mut ready, 1, wait_ms) != 0 }
    }

    #[cfg(not(target_os = "linux"))]
    fn ready(_wait_ms: i32) -> bool {
        true
    }

    /// Where the whole lines (for CSV, records) among the bytes from `from` end.
    fn find_whole(&mut self, from: usize) {
        let end = match &mut self.csv {
            Some(records) => records.last_end(&self.held[from..]),
            None => memchr::memrchr2(b'\n', b'\r', &self.held[from..]).map(|i| i + 1),
        };
        if let Some(end) = end {
            self.whole = from + end;
            self.whole_ends_a_line = true;
        }
    }
}

impl io::Read for StandardInput {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.start < self.whole {
                let (whole, ends) = (self.whole, self.whole_ends_a_line);
                return Ok(self.hand_on(buf, whole, ends));
            }
            if self.ended && self.start == self.held.len() {
                return Ok(0);
            }
            let signal = received();
            if self.ended {
                match signal {
                    // A last line a writer stopped by the same signal left without its end.
                    Some(signal) => return self.cut(signal),
                    // A last line without its end.
                    None => {
                        let end = self.held.len();
                        return Ok(self.hand_on(buf, end, true));
                    }
                }
            }
            self.held.drain(..self.start);
            (self.start, self.whole) = (0, 0);
            if self.held.len() >= Self::HELD_LINE_BYTES {
                // A long line: handed on as it comes, the reader bounding it.
                (self.whole, self.whole_ends_a_line) = (self.held.len(), false);
                continue;
            }
            match signal {
                // Once a signal came, what is ready is read, up to a block's worth (a file, or a writer
                // that keeps sending, would go on for ever); then the input ends at the last whole
                // record, and a record's start held is dropped.
                Some(signal) => {
                    let left = self.after_signal.get_or_insert(Self::AFTER_SIGNAL_BYTES);
                    if *left == 0 || !Self::ready(0) {
                        return self.cut(signal);
                    }
                }
                // Waits for input, looking for a signal every so often.
                None if !Self::ready(Self::LOOK_EVERY_MS) => continue,
                None => {}
            }
            let from = self.held.len();
            let room = self
                .after_signal
                .map_or(Self::READ_BYTES, |left| left.min(Self::READ_BYTES));
            self.held.resize(from + room, 0);
            let read = match io::Read::read(&mut *self.input, &mut self.held[from..]) {
                Ok(read) => read,
                Err(e) => {
                    self.held.truncate(from);
                    if e.kind() == io::ErrorKind::Interrupted {
                        continue;
                    }
                    return Err(e);
                }
            };
            self.held.truncate(from + read);
            if let Some(left) = &mut self.after_signal {
                *left -= read;
            }
            if read == 0 {
                self.ended = true;
                continue;
            }
            self.find_whole(from);
        }
    }
}

/// Takes SIGINT, SIGTERM and SIGHUP from the whole process from now on, so call it before any other
/// thread starts (a thread keeps the signal mask it started with). The first runs `on_signal(number)` on a thread
/// of its own, after [`received`] says so; a second ends the process by that signal.
pub fn watch(on_signal: impl FnOnce(i32) + Send + 'static) {
    watch_signals(true, on_signal);
}

/// [`watch`], telling [`received`] of the first signal only when `tell`.
#[cfg(target_os = "linux")]
fn watch_signals(tell: bool, on_signal: impl FnOnce(i32) + Send + 'static) {
    // SAFETY: the set is initialised by `sigemptyset` before use; `sigaction` with no new action only
    // reads the current one into `current`, which it fills.
    let (set, watched) = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        let mut watched = false;
        libc::sigemptyset(&mut set);
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            let mut current: libc::sigaction = std::mem::zeroed();
            let ignored = libc::sigaction(signal, std::ptr::null(), &mut current) == 0
                && current.sa_sigaction == libc::SIG_IGN;
            // A blocked signal is kept for `sigwait` even where it is ignored: one the process was
            // started ignoring is left out.
            if !ignored {
                libc::sigaddset(&mut set, signal);
                watched = true;
            }
        }
        (set, watched)
    };
    if !watched {
        return;
    }
    // SAFETY: `set` is a valid signal set; the old mask is not asked for.
    if unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) } != 0 {
        return;
    }
    let watching = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut on_signal = Some(on_signal);
            let mut first_taken: Option<(i32, std::time::Instant)> = None;
            loop {
                let mut signal = 0;
                // SAFETY: `set` is valid and `signal` is written by the call.
                if unsafe { libc::sigwait(&set, &mut signal) } != 0 {
                    return;
                }
                match first_taken {
                    Some((first, at)) if is_the_same_stop(first, signal, at.elapsed()) => continue,
                    Some(_) => {}
                    None => first_taken = Some((signal, std::time::Instant::now())),
                }
                let first = TAKEN
                    .compare_exchange(0, signal, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok();
                if first && tell {
                    RECEIVED.store(signal, Ordering::Release);
                }
                match on_signal.take() {
                    // On a thread of its own, so that a second signal is still taken while it waits.
                    Some(on_signal) if first => {
                        if std::thread::Builder::new()
                            .name("stopping".into())
                            .spawn(move || on_signal(signal))
                            .is_err()
                        {
                            remove_temporaries_and_end(signal);
                        }
                    }
                    _ => {
                        // Where the first ends the process at once, a second has nothing to cut short.
                        if tell {
                            say!(
                                "storyhash: a second {}: stopping at once, without finishing what \
                                 the first let end",
                                signal_name(signal)
                            );
                        }
                        remove_temporaries_and_end(signal)
                    }
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
fn watch_signals(_tell: bool, _on_signal: impl FnOnce(i32) + Send + 'static) {}
