//! What the story level knows of words before its stream has taught it anything: document frequencies of
//! the words of 113,939 real headlines (the project's news archive, 2025–2026), weighted at 0.3 of a
//! headline of the stream each. A stream's first articles would otherwise find every word rare, so that
//! two headlines sharing "death toll rises" or "sentenced to years in prison" look alike; with these
//! counts such words weigh as little from the first article on, and the stream's own counts take over as
//! they grow. Built by `examples/story_prior.rs` into `prior.bin`: the number of reference documents,
//! then (word, documents) pairs sorted by word, each a little-endian u32, words as
//! [`word`](super::word) hashes them (words in fewer than ten headlines are left out).

/// The table as built.
static TABLE: &[u8] = include_bytes!("prior.bin");

/// The reference headlines, weighted: added to the stream's count of articles.
pub fn documents() -> u64 {
    u64::from(read(0))
}

/// The weighted reference headlines that use `word` (zero for a word the table does not hold).
pub fn documents_with(word: u32) -> u32 {
    let pairs = (TABLE.len() - 4) / 8;
    let (mut low, mut high) = (0, pairs);
    while low < high {
        let mid = (low + high) / 2;
        let at = 4 + mid * 8;
        match read(at).cmp(&word) {
            std::cmp::Ordering::Less => low = mid + 1,
            std::cmp::Ordering::Greater => high = mid,
            std::cmp::Ordering::Equal => return read(at + 4),
        }
    }
    0
}

/// The little-endian u32 at byte `at` of the table.
fn read(at: usize) -> u32 {
    let mut bytes = [0; 4];
    bytes.copy_from_slice(&TABLE[at..at + 4]);
    u32::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word_of(text: &str) -> u32 {
        let mut terms = Vec::new();
        super::super::terms(text, &mut terms);
        super::super::word(terms[0])
    }

    #[test]
    fn the_table_is_sorted_and_knows_common_words_as_common() {
        let words: Vec<u32> = (4..TABLE.len()).step_by(8).map(read).collect();
        assert!(words.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
        assert!((TABLE.len() - 4).is_multiple_of(8));
        assert_eq!(documents(), 34_182);
        let (toll, trump, rare) = (word_of("toll"), word_of("Trump"), word_of("Zyxwvut"));
        assert!(documents_with(trump) > documents_with(toll));
        assert!(documents_with(toll) > 0);
        assert_eq!(documents_with(rare), 0);
    }
}
