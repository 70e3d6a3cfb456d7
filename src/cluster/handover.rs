//! Hands the verified units of a batch from the threads that verify them to the thread that decides
//! them. Units are verified in any order, each by whichever thread claims it next, and taken in order:
//! the decisions of a batch are made one article after another while the candidates of the articles
//! after them are still being verified, and the deciding thread verifies units too rather than wait
//! for one. A verifying thread that panics makes the taker panic too, rather than wait for a unit that
//! will never come.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

/// Units `0..count`, claimed by [`work`](Handover::work) and taken by [`take`](Handover::take).
pub(super) struct Handover<T> {
    count: usize,
    next: AtomicUsize,
    done: Mutex<Vec<Option<T>>>,
    ready: Condvar,
    failed: AtomicBool,
}

impl<T> Handover<T> {
    /// A hand-over of `count` units, none claimed yet.
    pub(super) fn new(count: usize) -> Handover<T> {
        Handover {
            count,
            next: AtomicUsize::new(0),
            done: Mutex::new((0..count).map(|_| None).collect()),
            ready: Condvar::new(),
            failed: AtomicBool::new(false),
        }
    }

    fn done(&self) -> MutexGuard<'_, Vec<Option<T>>> {
        self.done.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Claims the next unclaimed unit, lowest number first, makes it with `make` and hands it over;
    /// false when every unit was claimed.
    fn make_next(&self, make: &impl Fn(usize) -> T) -> bool {
        let unit = self.next.fetch_add(1, Ordering::Relaxed);
        if unit >= self.count {
            return false;
        }
        let made = make(unit);
        self.done()[unit] = Some(made);
        self.ready.notify_all();
        true
    }

    /// Makes units with `make` (see [`make_next`](Self::make_next)) until every unit is claimed.
    pub(super) fn work(&self, make: impl Fn(usize) -> T) {
        /// Marks the hand-over failed if its thread unwinds while making a unit.
        struct Unwinding<'h, T>(&'h Handover<T>);
        impl<T> Drop for Unwinding<'_, T> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.failed.store(true, Ordering::Release);
                    // Taken under the lock, so that a taker between its check and its wait is woken.
                    drop(self.0.done());
                    self.0.ready.notify_all();
                }
            }
        }
        let _unwinding = Unwinding(self);
        while self.make_next(&make) {}
    }

    /// Takes unit `unit`, making the next unclaimed units with `make` while it is not ready (rather than
    /// wait), and waiting for it once every unit is claimed. Panics if a thread making units panicked,
    /// or if `unit` was taken before.
    pub(super) fn take(&self, unit: usize, make: &impl Fn(usize) -> T) -> T {
        loop {
            let mut done = self.done();
            if let Some(made) = done[unit].take() {
                return made;
            }
            assert!(
                !self.failed.load(Ordering::Acquire),
                "a thread verifying the batch failed"
            );
            if self.next.load(Ordering::Relaxed) < self.count {
                drop(done);
                self.make_next(make);
                continue;
            }
            drop(self.ready.wait(done).unwrap_or_else(|e| e.into_inner()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_made_on_several_threads_are_taken_in_order() {
        let handover = Handover::new(200);
        let taken: Vec<usize> = std::thread::scope(|scope| {
            for _ in 0..3 {
                scope.spawn(|| handover.work(|unit| unit * 10));
            }
            (0..200)
                .map(|unit| handover.take(unit, &|unit| unit * 10))
                .collect()
        });
        assert_eq!(taken, (0..200).map(|unit| unit * 10).collect::<Vec<_>>());
    }

    #[test]
    fn a_unit_that_cannot_be_made_fails_the_taker_instead_of_leaving_it_waiting() {
        let make = |unit: usize| {
            assert!(unit != 2, "unit {unit} cannot be made");
            unit
        };
        let handover = Handover::new(4);
        let taker_failed = std::thread::scope(|scope| {
            let maker = scope.spawn(|| handover.work(make));
            let taker =
                scope.spawn(|| (0..4).map(|unit| handover.take(unit, &make)).sum::<usize>());
            let taker_failed = taker.join().is_err();
            // The maker fails too when it was the one to claim unit 2.
            let _ = maker.join();
            taker_failed
        });
        assert!(taker_failed);
    }
}
