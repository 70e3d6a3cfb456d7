//! Fresh memory mapped in one call rather than one page fault at a time. The index of a million articles
//! writes some 800 MB it has never touched (band tables, rows, per-article columns), and on Linux each
//! 4 KiB page's first write is a fault into the kernel; `madvise(MADV_POPULATE_WRITE)` maps a whole range
//! at once, which on the project's machines took a fifth to a third less kernel time than the faults did
//! (docs/BENCHMARKS.md, "Fresh memory mapped in one call"). Only memory about to be written is asked
//! for, so the resident size is what it would have been; elsewhere, and on a kernel without the call
//! (before 5.14), nothing happens and the pages fault in as before.

/// The least span worth a system call: below it, the few faults cost about what the call does.
const MIN_BYTES: usize = 64 * 1024;

/// Maps the pages under the first `additional` values of `values`' spare capacity (at most all of it),
/// so that writing them takes no page faults. Contents and length are unchanged.
pub(crate) fn spare<T>(values: &mut Vec<T>, additional: usize) {
    let spare = values.spare_capacity_mut();
    let n = additional.min(spare.len());
    range(
        spare.as_mut_ptr().cast::<u8>(),
        n * std::mem::size_of::<T>(),
    );
}

/// Makes room in `values` for `additional` more values, as `Vec::reserve` does, with the pages they and
/// the values already held will occupy mapped in one call: when the vector moves, the copy of what it
/// holds writes fresh pages too.
pub(crate) fn reserve<T: Copy>(values: &mut Vec<T>, additional: usize) {
    let wanted = values.len() + additional;
    if wanted <= values.capacity() {
        spare(values, additional);
        return;
    }
    let mut grown = Vec::with_capacity(wanted.max(values.capacity() * 2));
    spare(&mut grown, wanted);
    grown.extend_from_slice(values);
    *values = grown;
}

/// An empty vector with room for `capacity` values, the pages of that room mapped in one call.
pub(crate) fn with_capacity<T>(capacity: usize) -> Vec<T> {
    let mut values = Vec::with_capacity(capacity);
    spare(&mut values, capacity);
    values
}

/// A vector of `len` copies of `value`, its pages mapped in one call before they are written.
pub(crate) fn filled<T: Clone>(len: usize, value: T) -> Vec<T> {
    let mut values = with_capacity(len);
    values.resize(len, value);
    values
}

/// Maps the whole pages within `len` bytes from `start`, which must lie in one allocation of ours.
fn range(start: *mut u8, len: usize) {
    #[cfg(target_os = "linux")]
    {
        if len < MIN_BYTES {
            return;
        }
        let page = page_size();
        let begin = (start as usize).next_multiple_of(page);
        let end = (start as usize + len) & !(page - 1);
        if end > begin {
            // SAFETY: the range lies within an allocation this process owns and may write; populating
            // maps its pages as a write would, without changing a byte. A failure (an old kernel, no
            // memory to spare) leaves the pages to fault in when written, as without the call.
            unsafe {
                libc::madvise(
                    begin as *mut libc::c_void,
                    end - begin,
                    libc::MADV_POPULATE_WRITE,
                );
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (start, len);
}

/// The size of a page, asked once.
#[cfg(target_os = "linux")]
fn page_size() -> usize {
    use std::sync::OnceLock;
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: `sysconf` reads a constant of the system.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(size)
            .ok()
            .filter(|s| s.is_power_of_two())
            .unwrap_or(4096)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filled_spare_and_reserve_leave_values_as_plain_vectors_would() {
        let v = filled(300_000, 7u32);
        assert_eq!(v.len(), 300_000);
        assert!(v.iter().all(|&x| x == 7));
        let mut w: Vec<u64> = (0..1000).collect();
        w.reserve(100_000);
        spare(&mut w, 1_000_000);
        assert_eq!(w.len(), 1000);
        assert!(w.iter().copied().eq(0..1000));
        w.extend(1000..101_000);
        assert!(w.iter().copied().eq(0..101_000));
        assert!(filled(0, 1u8).is_empty());
        let mut x: Vec<u32> = (0..70_000).collect();
        x.shrink_to_fit();
        reserve(&mut x, 50_000);
        assert!(x.capacity() >= 120_000);
        assert!(
            x.iter().copied().eq(0..70_000),
            "a moved vector keeps its values"
        );
        reserve(&mut x, 10);
        assert!(x.iter().copied().eq(0..70_000));
    }
}
