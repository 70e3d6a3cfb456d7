//! The mark a store leaves beside its files: how many of its flushes have returned, written as each one
//! returns. The files count their flushes too (a key written with each one), so files that count fewer than
//! the mark have lost writes that were made durable: files damaged on disk, which sled reads only up to
//! their first failed checksum and then takes as whole, or files put back from an older copy. They are
//! refused rather than opened as the smaller store they now seem. The mark is written without a sync of
//! its own: lost in a crash, it says less than the files hold, never more. It is written whole beside
//! itself and renamed over the last, so that no reader (a copy taken while the store runs) finds it
//! emptied by a rewrite, which would check nothing. (A crash on a file system that does not order the
//! rename after the data can still leave it empty: that too checks nothing, and says no more.)

use std::io;
use std::path::{Path, PathBuf};

/// The mark's file in a store's directory.
pub(crate) const FILE: &str = "flushes";

/// The next mark, written whole before it is renamed to [`FILE`].
pub(crate) const NEXT_FILE: &str = "flushes.next";

/// Where the mark of the store in `dir` lies.
pub(crate) fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// The flushes the mark in `dir` counts; `None` when there is no mark or it cannot be read (a store
/// written before marks, or a mark cut short in a crash), which checks nothing.
pub(crate) fn read(dir: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(path(dir)).ok()?;
    text.trim().parse().ok()
}

/// Marks `flushes` flushes in `dir`.
pub(crate) fn write(dir: &Path, flushes: u64) -> io::Result<()> {
    let next = dir.join(NEXT_FILE);
    std::fs::write(&next, format!("{flushes}\n"))?;
    std::fs::rename(next, path(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_reads_back_and_a_missing_or_cut_one_reads_as_none() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        assert_eq!(read(dir.path()), None);
        write(dir.path(), 41).expect("written");
        write(dir.path(), 42).expect("written");
        assert_eq!(read(dir.path()), Some(42));
        std::fs::write(path(dir.path()), "").expect("written");
        assert_eq!(read(dir.path()), None);
        std::fs::write(path(dir.path()), "4\u{0}").expect("written");
        assert_eq!(read(dir.path()), None);
    }
}
