//! A table of fixed-width rows that grows a chunk of rows at a time, so that adding rows never moves the
//! rows it holds. The index keeps one row per article for its signature and one for its band-bucket
//! links, hundreds of megabytes on a million articles; a plain vector copies them all each time it
//! doubles and touches twice the memory it ends with, which the kernel must zero first. (`story::chunked`
//! does the same for single entries of any type; rows need `Copy` values, to fill new rows.)

/// Rows per chunk (a power of two).
const CHUNK_ROWS: usize = 1 << 12;
const SHIFT: u32 = CHUNK_ROWS.trailing_zeros();

/// Rows of `width` values of `T`, in chunks of [`CHUNK_ROWS`] rows.
#[derive(Debug, Clone)]
pub(crate) struct Rows<T> {
    width: usize,
    chunks: Vec<Vec<T>>,
    rows: usize,
}

impl<T: Copy> Rows<T> {
    /// An empty table of rows of `width` values.
    pub(crate) fn new(width: usize) -> Rows<T> {
        Rows {
            width,
            chunks: Vec::new(),
            rows: 0,
        }
    }

    /// How many rows it holds.
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Makes room for the next row, starting a chunk when the last is full.
    fn last_chunk(&mut self) -> &mut Vec<T> {
        if self.rows.is_multiple_of(CHUNK_ROWS) {
            self.chunks
                .push(crate::populate::with_capacity(CHUNK_ROWS * self.width));
        }
        let last = self.chunks.len() - 1;
        &mut self.chunks[last]
    }

    /// Appends a row of the first `width` of `values`, padded with `fill` when there are fewer.
    pub(crate) fn push_row(&mut self, values: impl IntoIterator<Item = T>, fill: T) {
        let width = self.width;
        let chunk = self.last_chunk();
        let start = chunk.len();
        chunk.extend(values.into_iter().take(width));
        chunk.resize(start + width, fill);
        self.rows += 1;
    }

    /// Appends rows of `fill` until it holds `rows` rows.
    pub(crate) fn grow_to(&mut self, rows: usize, fill: T) {
        while self.rows < rows {
            let (width, wanted) = (self.width, rows - self.rows);
            let chunk = self.last_chunk();
            let add = (CHUNK_ROWS - chunk.len() / width.max(1)).min(wanted);
            chunk.resize(chunk.len() + add * width, fill);
            self.rows += add;
        }
    }

    /// Where row `i` lies: its chunk, and the range of its values there.
    #[inline]
    fn place(&self, i: usize) -> (usize, std::ops::Range<usize>) {
        let start = (i & (CHUNK_ROWS - 1)) * self.width;
        (i >> SHIFT, start..start + self.width)
    }

    /// Row `i`. Panics when there is no such row.
    #[inline]
    pub(crate) fn row(&self, i: usize) -> &[T] {
        let (chunk, range) = self.place(i);
        &self.chunks[chunk][range]
    }

    /// Row `i`, or `None` when there is no such row.
    #[inline]
    pub(crate) fn get_row(&self, i: usize) -> Option<&[T]> {
        let (chunk, range) = self.place(i);
        self.chunks.get(chunk)?.get(range)
    }

    /// Row `i`, to change. Panics when there is no such row.
    #[inline]
    pub(crate) fn row_mut(&mut self, i: usize) -> &mut [T] {
        let (chunk, range) = self.place(i);
        &mut self.chunks[chunk][range]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_their_values_and_place_across_chunks() {
        let mut rows = Rows::new(3);
        for i in 0..(CHUNK_ROWS as u32 + 5) {
            rows.push_row([i, i + 1, i + 2, 99], 0);
        }
        rows.push_row([7], 0);
        assert_eq!(rows.rows(), CHUNK_ROWS + 6);
        assert_eq!(rows.row(0), &[0, 1, 2]);
        let c = CHUNK_ROWS as u32;
        assert_eq!(rows.row(CHUNK_ROWS), &[c, c + 1, c + 2]);
        assert_eq!(
            rows.row(CHUNK_ROWS + 5),
            &[7, 0, 0],
            "short rows are padded"
        );
        assert_eq!(rows.get_row(CHUNK_ROWS + 6), None);
        let first = rows.row(1).as_ptr();
        rows.grow_to(3 * CHUNK_ROWS + 1, 42);
        assert_eq!(first, rows.row(1).as_ptr(), "growing moved a row");
        assert_eq!(rows.rows(), 3 * CHUNK_ROWS + 1);
        assert_eq!(rows.row(CHUNK_ROWS + 6), &[42, 42, 42]);
        assert_eq!(rows.row(3 * CHUNK_ROWS), &[42, 42, 42]);
        rows.row_mut(2)[1] = 5;
        assert_eq!(rows.row(2), &[2, 5, 4]);
        rows.grow_to(10, 0);
        assert_eq!(rows.rows(), 3 * CHUNK_ROWS + 1, "growing never shrinks");
    }
}
