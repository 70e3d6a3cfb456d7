//! A vector that grows a chunk at a time: pushing never moves what it holds. The story index keeps one
//! entry per word and per story, tens of thousands of each on a real feed; a plain vector copies them
//! all each time it doubles, and touches twice the memory it ends with.

use std::ops::{Index, IndexMut};

/// Entries per chunk (a power of two).
const CHUNK: usize = 4096;

/// A growable list of `T` in chunks of [`CHUNK`].
#[derive(Debug)]
pub(super) struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn push(&mut self, value: T) {
        if self.len.is_multiple_of(CHUNK) {
            self.chunks.push(crate::populate::with_capacity(CHUNK));
        }
        let last = self.chunks.len() - 1;
        self.chunks[last].push(value);
        self.len += 1;
    }

    pub(super) fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    pub(super) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)
    }

    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.chunks.iter_mut().flatten()
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

impl<T> IndexMut<usize> for Chunked<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.chunks[i / CHUNK][i % CHUNK]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_keep_their_place_and_value_across_chunks() {
        let mut list = Chunked::default();
        for i in 0..(2 * CHUNK + 3) {
            list.push(i);
        }
        assert_eq!(list.len(), 2 * CHUNK + 3);
        assert_eq!(
            (list[0], list[CHUNK], list[2 * CHUNK + 2]),
            (0, CHUNK, 2 * CHUNK + 2)
        );
        assert_eq!(list.get(2 * CHUNK + 3), None);
        let first = &list[0] as *const usize;
        list.push(0);
        assert_eq!(first, &list[0] as *const usize, "pushing moved an entry");
        list[5] = 50;
        *list.get_mut(CHUNK + 1).expect("an entry") = 7;
        for x in list.iter_mut() {
            *x += 1;
        }
        assert_eq!((list[5], list[CHUNK + 1], list[2 * CHUNK + 3]), (51, 8, 1));
    }
}
