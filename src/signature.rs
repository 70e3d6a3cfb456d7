//! MinHash signatures: `k` hash functions, each a permutation of 32-bit shingle keys, and the minimum of each
//! over an article's shingles. The functions' coefficients come from SplitMix64 (Steele et al., 2014) seeded
//! with a constant in this file, never from `rand` or `std::hash`, so that stored signatures stay valid
//! across versions and platforms.
//!
//! The algorithm, in full (a golden test pins its output):
//! - a shingle's 64-bit xxh3 hash `x` is folded to `key = (x ^ (x >> 32)) as u32`;
//! - coefficient pair `i` is `(a_i, b_i)`, two consecutive SplitMix64 outputs truncated to 32 bits, `a_i`
//!   made odd, drawn in order `a_0, b_0, a_1, b_1, …` from the seed;
//! - `h_i(key) = mix(a_i · (key ^ b_i) mod 2³²)` with `mix(v) = v ^ (v >> 16)`: a bijection on 32 bits;
//! - `signature[i] = min over shingles of h_i(key)`; a text without shingles has every slot `u32::MAX`.
//!
//! The kernel keeps 32 lanes of minima in registers and lets the compiler vectorise them; on x86-64 a
//! copy compiled for AVX2 or AVX-512 is chosen at run time. Hands signatures to `lsh` and `cluster`.

/// Default seed of the coefficient generator. Changing it changes every stored signature.
pub const DEFAULT_SEED: u64 = 0x5354_4f52_5948_4153; // "STORYHAS"

const LANES: usize = 32;

/// The `k` hash functions of one signature family.
#[derive(Clone, Debug)]
pub struct MinHasher {
    a: Vec<u32>,
    b: Vec<u32>,
}

/// SplitMix64: the fixed generator of the coefficients.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Folds a 64-bit shingle hash to the 32-bit key the permutations act on.
#[inline]
pub fn shingle_key(hash: u64) -> u32 {
    (hash ^ (hash >> 32)) as u32
}

#[inline(always)]
fn permute(a: u32, b: u32, key: u32) -> u32 {
    let v = a.wrapping_mul(key ^ b);
    v ^ (v >> 16)
}

#[inline(always)]
fn kernel(a: &[u32], b: &[u32], keys: &[u32], out: &mut [u32]) {
    let mut a_chunks = a.chunks_exact(LANES);
    let mut b_chunks = b.chunks_exact(LANES);
    let mut out_chunks = out.chunks_exact_mut(LANES);
    for ((ac, bc), oc) in (&mut a_chunks).zip(&mut b_chunks).zip(&mut out_chunks) {
        let mut ar = [0u32; LANES];
        let mut br = [0u32; LANES];
        ar.copy_from_slice(ac);
        br.copy_from_slice(bc);
        let mut acc = [u32::MAX; LANES];
        for &key in keys {
            for l in 0..LANES {
                acc[l] = acc[l].min(permute(ar[l], br[l], key));
            }
        }
        oc.copy_from_slice(&acc);
    }
    let (ar, br, or) = (
        a_chunks.remainder(),
        b_chunks.remainder(),
        out_chunks.into_remainder(),
    );
    for ((&ai, &bi), o) in ar.iter().zip(br).zip(or.iter_mut()) {
        *o = keys
            .iter()
            .map(|&key| permute(ai, bi, key))
            .min()
            .unwrap_or(u32::MAX);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
fn kernel_avx512(a: &[u32], b: &[u32], keys: &[u32], out: &mut [u32]) {
    kernel(a, b, keys, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn kernel_avx2(a: &[u32], b: &[u32], keys: &[u32], out: &mut [u32]) {
    kernel(a, b, keys, out)
}

impl MinHasher {
    /// The `k` functions drawn from `seed`.
    pub fn new(k: usize, seed: u64) -> MinHasher {
        let mut state = seed;
        let mut a = Vec::with_capacity(k);
        let mut b = Vec::with_capacity(k);
        for _ in 0..k {
            a.push((splitmix64(&mut state) as u32) | 1);
            b.push(splitmix64(&mut state) as u32);
        }
        MinHasher { a, b }
    }

    /// Signature length.
    pub fn len(&self) -> usize {
        self.a.len()
    }

    /// True when the family has no functions.
    pub fn is_empty(&self) -> bool {
        self.a.is_empty()
    }

    /// Writes the signature of a set of shingle keys (see [`shingle_key`]) into `out` (length `k`).
    pub fn sign_keys(&self, keys: &[u32], out: &mut [u32]) {
        assert_eq!(out.len(), self.a.len(), "signature buffer length");
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vl")
            {
                // SAFETY: the features the function is compiled for were detected on this CPU.
                return unsafe { kernel_avx512(&self.a, &self.b, keys, out) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: as above.
                return unsafe { kernel_avx2(&self.a, &self.b, keys, out) };
            }
        }
        kernel(&self.a, &self.b, keys, out)
    }

    /// The signature of a list of 64-bit shingle hashes.
    pub fn sign(&self, hashes: &[u64]) -> Vec<u32> {
        let keys: Vec<u32> = hashes.iter().map(|&h| shingle_key(h)).collect();
        let mut out = vec![0; self.len()];
        self.sign_keys(&keys, &mut out);
        out
    }
}

/// Estimated Jaccard similarity: the fraction of slots where two signatures agree.
pub fn similarity(a: &[u32], b: &[u32]) -> f32 {
    if a.is_empty() || a.len() != b.len() {
        return 0.0;
    }
    let equal = a.iter().zip(b).filter(|(x, y)| x == y).count();
    equal as f32 / a.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_kernels_agree_with_the_portable_one() {
        let hasher = MinHasher::new(100, DEFAULT_SEED); // not a multiple of the lane count
        let keys: Vec<u32> = (0..57u64)
            .map(|i| shingle_key(splitmix64(&mut (i + 1))))
            .collect();
        let mut portable = vec![0; 100];
        kernel(&hasher.a, &hasher.b, &keys, &mut portable);
        let mut dispatched = vec![0; 100];
        hasher.sign_keys(&keys, &mut dispatched);
        assert_eq!(portable, dispatched);
    }

    #[test]
    fn identical_sets_agree_everywhere_and_order_does_not_matter() {
        let hasher = MinHasher::new(64, DEFAULT_SEED);
        let a = hasher.sign(&[1, 2, 3, 4, 5]);
        let b = hasher.sign(&[5, 4, 3, 2, 1, 1]);
        assert_eq!(similarity(&a, &b), 1.0);
    }

    #[test]
    fn estimates_track_exact_jaccard() {
        // Sets of 60 shingles overlapping by j/60: the estimate's error over many pairs must stay near
        // the binomial standard deviation sqrt(J(1-J)/k).
        let k = 256;
        let hasher = MinHasher::new(k, DEFAULT_SEED);
        let mut state = 7u64;
        let mut worst_bias: f64 = 0.0;
        for shared in [10usize, 30, 45, 55] {
            let mut total = 0.0;
            let trials = 40;
            for _ in 0..trials {
                let common: Vec<u64> = (0..shared).map(|_| splitmix64(&mut state)).collect();
                let mut x = common.clone();
                let mut y = common;
                for _ in shared..60 {
                    x.push(splitmix64(&mut state));
                    y.push(splitmix64(&mut state));
                }
                let exact = shared as f64 / (120 - shared) as f64;
                total += similarity(&hasher.sign(&x), &hasher.sign(&y)) as f64 - exact;
            }
            worst_bias = worst_bias.max((total / trials as f64).abs());
        }
        // Mean error over 40 trials: sd of the mean is below 0.005 at k = 256.
        assert!(worst_bias < 0.02, "bias {worst_bias}");
    }
}
