//! The engine's own thread pool, on which its parallel work runs while it holds its lock. A thread of a
//! rayon pool that waits for parallel work takes up other tasks of its pool meanwhile: had the engine's
//! work gone to the caller's pool, a caller's task calling the engine from such a pool (a crawler's
//! `par_iter` over batches) could be taken up by the very thread that holds the engine's lock, and wait
//! for it for ever; and the caller's threads, all waiting for that lock, would leave none to do the work.
//! The engine's pool runs nothing but the engine's work, and a caller on a thread of another pool waits
//! for it from a plain thread, which takes up nothing.

use std::sync::OnceLock;

use rayon::ThreadPool;

/// The pool, built on first use with as many threads as rayon's global pool has (`--threads N` sets
/// that before); `None` when its threads could not be started, and the work runs where it is called.
fn pool() -> Option<&'static ThreadPool> {
    static POOL: OnceLock<Option<ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        // Asked on a thread of a pool, rayon counts that pool's threads: the global pool's are
        // counted from a plain thread.
        let threads = if rayon::current_thread_index().is_some() {
            std::thread::scope(|scope| scope.spawn(rayon::current_num_threads).join().ok())
        } else {
            Some(rayon::current_num_threads())
        };
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads.unwrap_or(0))
            .thread_name(|i| format!("storyhash-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

/// Runs `op`, and the parallel work in it, on the engine's pool, and waits for it.
pub(crate) fn run<R: Send>(op: impl FnOnce() -> R + Send) -> R {
    let Some(pool) = pool() else {
        return op();
    };
    if pool.current_thread_index().is_some() {
        // Already on it.
        op()
    } else if rayon::current_thread_index().is_none() {
        // A plain thread waits without taking up any work.
        pool.install(op)
    } else {
        // A thread of another pool would take up that pool's tasks while it waits: it waits for a plain
        // thread instead.
        std::thread::scope(|scope| {
            scope
                .spawn(|| pool.install(op))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

/// How many threads the engine's pool has for a scope this thread would wait in (see
/// [`in_place_scope`]); `None` when this thread is on a pool (the engine's or another), where waiting
/// would take up the pool's work, or the pool has a single thread.
pub(crate) fn scope_threads() -> Option<usize> {
    let threads = pool()?.current_num_threads();
    (rayon::current_thread_index().is_none() && threads >= 2).then_some(threads)
}

/// Runs `op` on this thread with a scope whose spawned tasks run on the engine's pool (for when
/// [`scope_threads`] says it can).
pub(crate) fn in_place_scope<'scope, R>(op: impl FnOnce(&rayon::Scope<'scope>) -> R) -> R {
    match pool() {
        Some(pool) => pool.in_place_scope(op),
        None => rayon::in_place_scope(op),
    }
}

/// Runs `op` later on the engine's pool, not waiting for it.
pub(crate) fn spawn(op: impl FnOnce() + Send + 'static) {
    match pool() {
        Some(pool) => pool.spawn(op),
        None => op(),
    }
}
