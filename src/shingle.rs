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
    let mut starts: Vec<usize> = text.grapheme_indices(true).map(|(i, _)| i).collect();
    starts.push(text.len());
    let graphemes = starts.len() - 1;
    if graphemes <= k {
        out.push(hash(bytes));
        return;
    }
    for w in starts.windows(k + 1) {
        out.push(hash(&bytes[w[0]..w[k]]));
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
