//! Locality-sensitive hashing over MinHash signatures: chooses bands × rows for a similarity threshold,
//! turns a signature into one key per band, and keeps the in-memory band tables in which articles that
//! share a band key find each other. Hands candidate articles to `cluster`, which verifies them.
//!
//! Band keys are xxh3 hashes of the band's rows (little-endian `u32`s) under a seed that mixes in the band
//! number, so that the same rows in two different bands give different keys. The tables keep only the low
//! 32 bits of each key: an accidental match costs one verification, never a wrong verdict.

use std::hash::{BuildHasherDefault, Hasher};

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Seed of the band-key hash; band `j` uses `BAND_SEED + j`.
pub const BAND_SEED: u64 = 0x6c73_6862_616e_6430; // "lshband0"

/// Weight of the false-positive area in [`optimal_bands`]: a false positive costs one verification.
pub const FALSE_POSITIVE_WEIGHT: f64 = 0.2;
/// Weight of the false-negative area in [`optimal_bands`]: a false negative is a missed duplicate, which no
/// later step can recover, so it weighs four times as much.
pub const FALSE_NEGATIVE_WEIGHT: f64 = 0.8;

/// Chooses `(bands, rows)` with `bands * rows <= permutations` that minimises the weighted sum of the
/// false-positive area (probability of becoming candidates below the threshold) and the false-negative
/// area (probability of missing above it) under the S-curve `1 - (1 - s^rows)^bands`.
pub fn optimal_bands(threshold: f64, permutations: usize) -> (usize, usize) {
    let mut best = (1, permutations.max(1));
    let mut best_error = f64::INFINITY;
    for bands in 1..=permutations {
        for rows in 1..=permutations / bands {
            let fp = integrate(|s| candidate_probability(s, bands, rows), 0.0, threshold);
            let fn_ = integrate(
                |s| 1.0 - candidate_probability(s, bands, rows),
                threshold,
                1.0,
            );
            let error = FALSE_POSITIVE_WEIGHT * fp + FALSE_NEGATIVE_WEIGHT * fn_;
            if error < best_error - 1e-12 {
                best_error = error;
                best = (bands, rows);
            }
        }
    }
    best
}

/// Probability that two articles of Jaccard similarity `s` share at least one band key.
pub fn candidate_probability(s: f64, bands: usize, rows: usize) -> f64 {
    1.0 - (1.0 - s.powi(rows as i32)).powi(bands as i32)
}

/// Composite Simpson's rule with 64 intervals.
fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    const N: usize = 64;
    if b <= a {
        return 0.0;
    }
    let h = (b - a) / N as f64;
    let mut sum = f(a) + f(b);
    for i in 1..N {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += w * f(a + i as f64 * h);
    }
    sum * h / 3.0
}

/// Writes one key per band of `signature` into `out` (length `bands`).
pub fn band_keys(signature: &[u32], bands: usize, rows: usize, out: &mut [u64]) {
    let mut buf = [0u8; 256];
    for (band, key) in out.iter_mut().enumerate().take(bands) {
        let slots = &signature[band * rows..(band + 1) * rows];
        let seed = BAND_SEED.wrapping_add(band as u64);
        *key = if rows * 4 <= buf.len() {
            for (chunk, v) in buf.chunks_exact_mut(4).zip(slots) {
                chunk.copy_from_slice(&v.to_le_bytes());
            }
            xxh3_64_with_seed(&buf[..rows * 4], seed)
        } else {
            let bytes: Vec<u8> = slots.iter().flat_map(|v| v.to_le_bytes()).collect();
            xxh3_64_with_seed(&bytes, seed)
        };
    }
}

/// Multiplicative hasher for keys that are already uniformly distributed.
#[derive(Default, Clone, Copy)]
pub(crate) struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// A `HashMap` hasher for keys that are hashes already.
pub(crate) type MixState = BuildHasherDefault<MixHasher>;

const END: u32 = u32::MAX;
const EMPTY: u64 = u64::MAX;

/// One band's table: an open-addressing map (linear probing, keys already uniform) from a band key's low
/// 32 bits to the newest member of that bucket, and a `next` link per member chaining the bucket's older
/// members. Members are small integers chosen by the caller.
#[derive(Debug, Default, Clone)]
pub struct BandTable {
    slots: Vec<u64>,
    len: usize,
    next: Vec<u32>,
}

#[inline]
fn pack(key: u32, head: u32) -> u64 {
    ((key as u64) << 32) | head as u64
}

impl BandTable {
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    /// Makes room for `additional` more buckets without growing while they arrive.
    pub fn reserve(&mut self, additional: usize) {
        let needed = (self.len + additional) * 4 / 3 + 1;
        if needed <= self.slots.len() {
            return;
        }
        let capacity = needed.next_power_of_two().max(16);
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; capacity]);
        let mask = capacity - 1;
        for s in old.into_iter().filter(|&s| s != EMPTY) {
            let mut i = (s >> 32) as usize & mask;
            while self.slots[i] != EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = s;
        }
    }

    /// Asks the CPU to bring `key`'s home slot into cache ahead of use.
    #[inline]
    pub fn prefetch(&self, key: u32) {
        #[cfg(target_arch = "x86_64")]
        if let Some(slot) = self.slots.get(key as usize & self.mask()) {
            // SAFETY: prefetching is a hint and never faults; the pointer is valid anyway.
            #[allow(unused_unsafe)]
            unsafe {
                use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
                _mm_prefetch::<_MM_HINT_T0>((slot as *const u64).cast::<i8>());
            }
        }
    }

    fn find(&self, key: u32) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut i = key as usize & mask;
        loop {
            let s = self.slots[i];
            if s == EMPTY {
                return None;
            }
            if (s >> 32) as u32 == key {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// Calls `visit` with every member of `key`'s bucket, newest first.
    pub fn query(&self, key: u32, mut visit: impl FnMut(u32)) {
        if let Some(i) = self.find(key) {
            let mut m = self.slots[i] as u32;
            while m != END {
                visit(m);
                m = self.next[m as usize];
            }
        }
    }

    /// Visits `key`'s bucket like [`query`](Self::query), then adds `member` if the bucket holds fewer than
    /// `cap`: store-then-query in one step.
    pub fn query_insert(&mut self, key: u32, member: u32, cap: usize, mut visit: impl FnMut(u32)) {
        if self.next.len() <= member as usize {
            self.next.resize(member as usize + 1, END);
        }
        self.reserve(1);
        let mask = self.mask();
        let mut i = key as usize & mask;
        loop {
            let s = self.slots[i];
            if s == EMPTY {
                self.slots[i] = pack(key, member);
                self.next[member as usize] = END;
                self.len += 1;
                return;
            }
            if (s >> 32) as u32 == key {
                let head = s as u32;
                let mut m = head;
                let mut len = 0;
                while m != END {
                    visit(m);
                    len += 1;
                    m = self.next[m as usize];
                }
                if len < cap {
                    self.next[member as usize] = head;
                    self.slots[i] = pack(key, member);
                }
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Removes `member` from `key`'s bucket.
    pub fn remove(&mut self, key: u32, member: u32) {
        let Some(mut i) = self.find(key) else {
            return;
        };
        let head = self.slots[i] as u32;
        if head != member {
            let mut prev = head;
            while prev != END {
                let m = self.next[prev as usize];
                if m == member {
                    self.next[prev as usize] = self.next[member as usize];
                    return;
                }
                prev = m;
            }
            return;
        }
        let following = self.next[member as usize];
        if following != END {
            self.slots[i] = pack(key, following);
            return;
        }
        // Last member: delete the slot, shifting later entries of the probe run back.
        let mask = self.mask();
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let s = self.slots[j];
            if s == EMPTY {
                break;
            }
            let home = (s >> 32) as usize & mask;
            let movable = if i <= j {
                home <= i || home > j
            } else {
                home <= i && home > j
            };
            if movable {
                self.slots[i] = s;
                i = j;
            }
        }
        self.slots[i] = EMPTY;
        self.len -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chosen_bands_put_the_s_curve_around_the_threshold() {
        for t in [0.3, 0.5, 0.7, 0.9] {
            let (b, r) = optimal_bands(t, 128);
            assert!(b * r <= 128);
            assert!(
                candidate_probability(t + 0.2, b, r) > 0.9,
                "t={t} b={b} r={r}"
            );
            if t >= 0.5 {
                assert!(
                    candidate_probability(t - 0.3, b, r) < 0.3,
                    "t={t} b={b} r={r}"
                );
            }
        }
        // Higher thresholds need more rows per band.
        assert!(optimal_bands(0.9, 128).1 > optimal_bands(0.3, 128).1);
    }

    #[test]
    fn equal_bands_give_equal_keys_and_bands_differ() {
        let sig: Vec<u32> = (0..16).map(|i| i / 4).collect();
        let mut keys = [0u64; 4];
        band_keys(&sig, 4, 4, &mut keys);
        let mut again = [0u64; 4];
        band_keys(&sig, 4, 4, &mut again);
        assert_eq!(keys, again);
        let mut other = sig.clone();
        other[5] = 99;
        band_keys(&other, 4, 4, &mut again);
        assert_eq!(keys[0], again[0]);
        assert_ne!(keys[1], again[1]);
        let flat = vec![7u32; 8];
        band_keys(&flat, 2, 4, &mut keys[..2]);
        assert_ne!(
            keys[0], keys[1],
            "same rows in two bands must not share a key"
        );
    }

    fn members(t: &BandTable, key: u32) -> Vec<u32> {
        let mut v = Vec::new();
        t.query(key, |m| v.push(m));
        v
    }

    #[test]
    fn tables_find_members_honour_the_cap_and_forget_removed_ones() {
        let mut t = BandTable::default();
        let mut seen = Vec::new();
        t.query_insert(10, 0, 2, |m| seen.push(m));
        assert!(seen.is_empty());
        t.query_insert(10, 1, 2, |m| seen.push(m));
        assert_eq!(seen, vec![0]);
        seen.clear();
        // Bucket 10 is full (cap 2): member 2 sees it but does not join.
        t.query_insert(10, 2, 2, |m| seen.push(m));
        assert_eq!(seen, vec![1, 0]);
        assert_eq!(members(&t, 10), vec![1, 0]);
        t.remove(10, 0);
        assert_eq!(members(&t, 10), vec![1]);
        t.remove(10, 1);
        assert!(members(&t, 10).is_empty());
    }

    #[test]
    fn tables_survive_growth_collisions_and_deletes_against_a_model() {
        // Keys that share home slots exercise probing and backward-shift deletion.
        let mut t = BandTable::default();
        let mut model: std::collections::HashMap<u32, Vec<u32>> = Default::default();
        let mut state = 1u64;
        let mut member = 0u32;
        for round in 0..20_000u32 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = ((state >> 33) as u32 % 512) * 1024; // few distinct low bits: long probe runs
            if round % 3 == 2 {
                if let Some(list) = model.get_mut(&key) {
                    if let Some(m) = list.pop() {
                        t.remove(key, m);
                    }
                }
            } else {
                t.query_insert(key, member, usize::MAX, |_| {});
                model.entry(key).or_default().push(member);
                member += 1;
            }
        }
        for (key, list) in &model {
            let mut expected = list.clone();
            expected.reverse();
            assert_eq!(members(&t, *key), expected, "key {key}");
        }
    }
}
