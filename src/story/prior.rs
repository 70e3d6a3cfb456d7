//! What the story level knows of words before its stream has taught it anything, from 113,939 real
//! headlines (the project's news archive, 2025–2026), each weighted at 0.3 of a headline of the stream:
//! how many use each word (its document frequency), and how often it was written where case says
//! something and of those capitalised (none for a word capitalised in fewer than nine of ten such
//! uses: "Here's why …", "Prime Minister" are not names). A stream's first articles would otherwise
//! find every word rare, so that two headlines sharing "death toll rises" or "sentenced to years in
//! prison" look alike, and would know no name that opens a headline ("Tokyo shares close lower"),
//! where case says nothing; with these counts such words weigh as little, and such names are names,
//! from the first article on, and the stream's own counts take over as they grow. Built by
//! `examples/story_prior.rs` into `prior.bin`: the number of reference documents, then (word,
//! documents, informative uses, capitalised uses) entries sorted by word, each field a little-endian
//! u32, words as [`word`](super::word) hashes them (words in fewer than ten headlines are left out).

/// The table as built.
static TABLE: &[u8] = include_bytes!("prior.bin");

/// The reference headlines, weighted: added to the stream's count of articles.
pub fn documents() -> u64 {
    u64::from(read(0))
}

/// What the reference headlines say of one word.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reference {
    /// The weighted headlines that use it.
    pub documents: u32,
    /// Its weighted uses where case says something, and of those the capitalised ones.
    pub informative: u32,
    pub names: u32,
}

/// Bytes per entry: word, documents, informative and capitalised uses.
const ENTRY: usize = 16;

/// The weighted reference headlines that use `word` (zero for a word the table does not hold).
pub fn documents_with(word: u32) -> u32 {
    reference(word).documents
}

/// What the reference headlines say of `word` (all zero for a word the table does not hold).
pub fn reference(word: u32) -> Reference {
    let entries = (TABLE.len() - 4) / ENTRY;
    let (mut low, mut high) = (0, entries);
    while low < high {
        let mid = (low + high) / 2;
        let at = 4 + mid * ENTRY;
        match read(at).cmp(&word) {
            std::cmp::Ordering::Less => low = mid + 1,
            std::cmp::Ordering::Greater => high = mid,
            std::cmp::Ordering::Equal => {
                return Reference {
                    documents: read(at + 4),
                    informative: read(at + 8),
                    names: read(at + 12),
                }
            }
        }
    }
    Reference::default()
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
        let words: Vec<u32> = (4..TABLE.len()).step_by(ENTRY).map(read).collect();
        assert!(words.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
        assert!((TABLE.len() - 4).is_multiple_of(ENTRY));
        assert_eq!(documents(), 34_182);
        let (toll, trump, rare) = (word_of("toll"), word_of("Trump"), word_of("Zyxwvut"));
        assert!(documents_with(trump) > documents_with(toll));
        assert!(documents_with(toll) > 0);
        assert_eq!(documents_with(rare), 0);
    }

    #[test]
    fn the_table_knows_places_as_names_and_common_words_as_not() {
        let is_name = |text: &str| {
            let r = reference(word_of(text));
            super::super::mostly_capitalised(r.informative, r.names)
        };
        assert!(is_name("Tokyo") && is_name("London") && is_name("Kiev"));
        assert!(!is_name("shares") && !is_name("woman") && !is_name("dies"));
        // Capitalised often but not nearly always ("Here's why …" after a dash; "Prime Minister"): not
        // a name.
        assert!(!is_name("Here") && !is_name("Prime"));
        assert_eq!(reference(word_of("Zyxwvut")), Reference::default());
    }
}
