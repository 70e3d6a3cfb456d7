//! Cuts normalised text into shingles and hashes each one to a `u64` with xxh3 under a fixed seed, so that
//! the hashes (and everything derived from them) are the same on every platform and in every version.
//! Character shingles count grapheme clusters, so that accented letters, Devanagari or emoji are never
//! split; word shingles follow Unicode word boundaries (UAX #29), under which Chinese and Japanese text
//! falls into single ideographs. Hands a list of hashes to `signature`.

use unicode_segmentation::UnicodeSegmentation;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::config::ShingleKind;

/// Seed of the shingle hash. Changing it changes every stored signature.
pub const SHINGLE_SEED: u64 = 0x7368_696e_676c_6531; // "shingle1"

/// Appends the hashes of `text`'s shingles to `out` (duplicates included; MinHash ignores them).
///
/// Text shorter than one shingle yields a single shingle of the whole text; empty text yields none.
pub fn shingle_hashes(text: &str, kind: ShingleKind, out: &mut Vec<u64>) {
    if text.is_empty() {
        return;
    }
    match kind {
        ShingleKind::Char(k) => char_shingles(text, k.max(1), out),
        ShingleKind::Word(n) => word_shingles(text, n.max(1), out),
    }
}

fn hash(bytes: &[u8]) -> u64 {
    xxh3_64_with_seed(bytes, SHINGLE_SEED)
}

fn char_shingles(text: &str, k: usize, out: &mut Vec<u64>) {
    let bytes = text.as_bytes();
    if text.is_ascii() {
        // One byte, one grapheme (normalised text holds no "\r\n").
        if bytes.len() <= k {
            out.push(hash(bytes));
        } else {
            out.extend(bytes.windows(k).map(hash));
        }
        return;
    }
    // Below U+0300 (Latin, Latin-1 and Latin Extended letters, punctuation) no character joins the one
    // before it into a grapheme cluster, save a line feed after a carriage return: there each character
    // is a grapheme, found without the segmentation tables.
    if !text.contains('\r') && text.chars().all(|c| c < '\u{300}') {
        windows(text.char_indices().map(|(i, _)| i), text, k, out);
    } else {
        windows(text.grapheme_indices(true).map(|(i, _)| i), text, k, out);
    }
}

/// Hashes every run of `k` graphemes of `text`, whose graphemes start at `starts`; a text of fewer graphemes
/// than that is one shingle.
fn windows(starts: impl Iterator<Item = usize>, text: &str, k: usize, out: &mut Vec<u64>) {
    const MOST: usize = 33;
    let bytes = text.as_bytes();
    if k + 1 > MOST {
        let mut starts: Vec<usize> = starts.collect();
        starts.push(text.len());
        if starts.len() - 1 <= k {
            out.push(hash(bytes));
            return;
        }
        for w in starts.windows(k + 1) {
            out.push(hash(&bytes[w[0]..w[k]]));
        }
        return;
    }
    // The last k + 1 boundaries, in a ring.
    let mut ring = [0usize; MOST];
    let mut seen = 0;
    for at in starts.chain(std::iter::once(text.len())) {
        ring[seen % (k + 1)] = at;
        seen += 1;
        if seen > k {
            out.push(hash(&bytes[ring[(seen - k - 1) % (k + 1)]..at]));
        }
    }
    // `seen` counts the graphemes and the end.
    if seen - 1 < k {
        out.push(hash(bytes));
    }
}

fn word_shingles(text: &str, n: usize, out: &mut Vec<u64>) {
    let bytes = text.as_bytes();
    let words: Vec<(usize, usize)> = text
        .unicode_word_indices()
        .map(|(i, w)| (i, i + w.len()))
        .collect();
    if words.is_empty() {
        out.push(hash(bytes));
        return;
    }
    if words.len() <= n {
        out.push(hash(&bytes[words[0].0..words[words.len() - 1].1]));
        return;
    }
    for w in words.windows(n) {
        out.push(hash(&bytes[w[0].0..w[n - 1].1]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str, kind: ShingleKind) -> std::collections::BTreeSet<u64> {
        let mut v = Vec::new();
        shingle_hashes(text, kind, &mut v);
        v.into_iter().collect()
    }

    #[test]
    fn char_shingles_count_windows() {
        let mut v = Vec::new();
        shingle_hashes("abcdefg", ShingleKind::Char(5), &mut v);
        assert_eq!(v.len(), 3);
        v.clear();
        shingle_hashes("abc", ShingleKind::Char(5), &mut v);
        assert_eq!(v.len(), 1, "short text is one shingle");
        v.clear();
        shingle_hashes("", ShingleKind::Char(5), &mut v);
        assert!(v.is_empty());
    }

    #[test]
    fn graphemes_are_never_split() {
        // "é" as e + combining acute is one grapheme: 4 graphemes, so one 4-gram.
        let mut v = Vec::new();
        shingle_hashes("cafe\u{301}", ShingleKind::Char(4), &mut v);
        assert_eq!(v.len(), 1);
        v.clear();
        shingle_hashes("नमस्ते दुनिया", ShingleKind::Char(3), &mut v);
        let graphemes = "नमस्ते दुनिया".graphemes(true).count();
        assert_eq!(v.len(), graphemes - 2);
    }

    #[test]
    fn characters_below_combining_marks_are_graphemes_of_their_own() {
        // The quick path for text below U+0300 gives what grapheme segmentation gives.
        let alphabet: Vec<char> = "aåäöéßçñøłž ,.-'’\u{a0}\u{ad}\u{d7}"
            .chars()
            .chain(['\u{24f}', '\u{2ff}', '\n'])
            .collect();
        let mut state = 7u64;
        for _ in 0..2000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = (state >> 59) as usize;
            let text: String = (0..len)
                .map(|i| alphabet[((state >> (i % 50)) as usize + i * 7) % alphabet.len()])
                .collect();
            for k in [1, 3, 5, 8] {
                let mut quick = Vec::new();
                shingle_hashes(&text, ShingleKind::Char(k), &mut quick);
                let mut starts: Vec<usize> = text.grapheme_indices(true).map(|(i, _)| i).collect();
                starts.push(text.len());
                let mut slow = Vec::new();
                if text.is_empty() {
                } else if starts.len() - 1 <= k {
                    slow.push(hash(text.as_bytes()));
                } else {
                    for w in starts.windows(k + 1) {
                        slow.push(hash(&text.as_bytes()[w[0]..w[k]]));
                    }
                }
                assert_eq!(quick, slow, "{text:?} k={k}");
            }
        }
    }

    #[test]
    fn words_follow_unicode_boundaries() {
        assert_eq!(set("fed holds rates", ShingleKind::Word(1)).len(), 3);
        assert_eq!(set("fed holds rates", ShingleKind::Word(2)).len(), 2);
        // Ideographs are words of their own.
        assert_eq!(set("中国经济增长放缓", ShingleKind::Word(1)).len(), 8);
        assert_eq!(
            set("regeringen föreslår höjd skatt", ShingleKind::Word(1)).len(),
            4
        );
    }

    #[test]
    fn related_texts_in_other_scripts_share_shingles() {
        for (a, b) in [
            ("中国经济增长放缓", "中国经济增长继续放缓"),
            (
                "regeringen föreslår höjd skatt",
                "regeringen föreslår höjd skatt på bensin",
            ),
            (
                "νέα μέτρα για την οικονομία",
                "νέα μέτρα για την ελληνική οικονομία",
            ),
            ("الرئيس يزور القاهرة اليوم", "الرئيس يزور القاهرة"),
        ] {
            let (sa, sb) = (set(a, ShingleKind::Char(3)), set(b, ShingleKind::Char(3)));
            let shared = sa.intersection(&sb).count();
            assert!(shared * 2 >= sa.len().min(sb.len()), "{a} / {b}");
        }
    }
}
