//! Verifying an article's candidates: walking the band buckets it met, keeping each member once,
//! fetching their signatures ahead and counting equal 16-bit slots; a candidate of another edition than
//! the article ([`TitleDates`]: other dates in the title or the body, another number, month or version
//! in the title) is no match, nor one that shares only its
//! source's body or title's tail with an article compared by title ([`SiteBody`]). [`Matching`] borrows only what
//! verification reads of the index (band tables, signatures, slot numbers, times, dates, site bodies),
//! so that a batch's later articles are verified while its earlier ones are decided.

use super::site_bodies::SiteBodies;
use super::{Match, NONE};
use crate::lsh::{prefetch, BandTables};
use crate::rows::Rows;
use crate::site_body::SiteBody;
use crate::title_dates::TitleDates;

/// An article whose band buckets hold more members than this together for every [`HOT_BANDS`] bands (a
/// member counted once per band it shares) is a hot one: a headline seen again and again with a counter,
/// a time or a page number appended, whose buckets are full of its own earlier copies. That is more than
/// eight members a bucket on average, whatever the threshold makes of the bands; every other article
/// walks at most this many members for every 30 bands, however large its clusters grow. (At 1,024 for 30
/// bands the first forty or so copies of each repeated headline walked some 550 members each, about a
/// quarter of the CPU on a corpus of such copies; docs/BENCHMARKS.md.)
const HOT_MEMBERS: u32 = 256;

/// The number of bands [`HOT_MEMBERS`] is counted for: the default threshold's.
const HOT_BANDS: u32 = 30;

/// How many candidates a hot article verifies first: the newest members of its buckets, those that head
/// the most of them first. Only when none of them matches does it verify all the others, so a hot article
/// is new exactly when it would be after verifying every candidate.
const HOT_CANDIDATES: usize = 8;

/// The verified matches of a chunk of inserts: insert `i`'s end at `ends[i]` in `found`.
#[derive(Default)]
pub(super) struct Verified {
    found: Vec<(u32, f32)>,
    ends: Vec<u32>,
}

impl Verified {
    /// The number of inserts verified.
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The matches of the chunk's insert `n`.
    pub(super) fn of(&self, n: usize) -> &[Match] {
        let start = if n == 0 { 0 } else { self.ends[n - 1] as usize };
        &self.found[start..self.ends[n] as usize]
    }
}

/// Buffers reused from one verification to the next.
#[derive(Default)]
pub(super) struct Scratch {
    candidates: Vec<u32>,
    ranked: Vec<(u32, u32)>,
    walked: Vec<u32>,
    distinct: Distinct,
    /// Whether `candidates` are a hot article's few (see [`HOT_CANDIDATES`]).
    hot: bool,
}

/// A small set of members for keeping the first of each that a walk of an article's buckets meets (a
/// member comes up once per band it shares): open addressing, emptied by starting a new generation
/// rather than by writing the table again.
#[derive(Default)]
struct Distinct {
    /// A member and the generation that put it there (an entry of an older generation is free).
    entries: Vec<(u32, u32)>,
    generation: u32,
}

impl Distinct {
    /// Appends to `out` each member of `walked` the first time it comes up, in the order walked.
    fn keep_first(&mut self, walked: &[u32], out: &mut Vec<u32>) {
        let size = (walked.len() * 2).next_power_of_two().max(64);
        if self.entries.len() < size {
            self.entries = vec![(0, 0); size];
            self.generation = 0;
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.entries.fill((0, 0));
            self.generation = 1;
        }
        let generation = self.generation;
        let shift = u32::BITS - self.entries.len().trailing_zeros();
        let mask = self.entries.len() - 1;
        for &member in walked {
            // Fibonacci hashing: the top bits of the product spread nearby numbers apart.
            let mut i = (member.wrapping_mul(0x9E37_79B9) >> shift) as usize;
            loop {
                let (held, made) = self.entries[i];
                if made != generation {
                    self.entries[i] = (member, generation);
                    out.push(member);
                    break;
                }
                if held == member {
                    break;
                }
                i = (i + 1) & mask;
            }
        }
    }
}

/// How many of an article's candidates have their signatures fetched while the article before it is
/// verified.
const PREFETCH_CANDIDATES: usize = 8;

/// How many positions of two signatures hold equal values (over the shorter one's length).
#[cfg(target_arch = "x86_64")]
fn equal_count(a: &[u16], b: &[u16]) -> usize {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi32, _mm_cmpeq_epi16, _mm_cvtsi128_si32, _mm_loadu_si128,
        _mm_madd_epi16, _mm_set1_epi16, _mm_setzero_si128, _mm_shuffle_epi32, _mm_sub_epi16,
    };
    const LANES: usize = 8;
    // Each 16-bit lane counts at most this many steps before it is added up, so that it stays below
    // 2^15 (the sum reads lanes as signed).
    const STEPS_PER_PASS: usize = 1 << 14;
    let n = a.len().min(b.len());
    let vectors = n / LANES;
    let mut total = 0usize;
    let mut done = 0;
    while done < vectors {
        let steps = (vectors - done).min(STEPS_PER_PASS);
        // SAFETY: SSE2 is part of every x86-64 CPU; each unaligned 16-byte load reads values
        // `i * 8 .. i * 8 + 8` with `i < vectors`, inside both slices.
        let pass = unsafe {
            let mut lanes = _mm_setzero_si128();
            for i in done..done + steps {
                let x = _mm_loadu_si128(a.as_ptr().add(i * LANES).cast::<__m128i>());
                let y = _mm_loadu_si128(b.as_ptr().add(i * LANES).cast::<__m128i>());
                // An equal lane compares as -1: subtracting it counts one.
                lanes = _mm_sub_epi16(lanes, _mm_cmpeq_epi16(x, y));
            }
            // Pairs of 16-bit lanes summed into 32-bit lanes, then those summed.
            let pairs = _mm_madd_epi16(lanes, _mm_set1_epi16(1));
            let halves = _mm_add_epi32(pairs, _mm_shuffle_epi32::<0b01_00_11_10>(pairs));
            let sum = _mm_add_epi32(halves, _mm_shuffle_epi32::<0b10_11_00_01>(halves));
            _mm_cvtsi128_si32(sum) as u32 as usize
        };
        total += pass;
        done += steps;
    }
    let rest = vectors * LANES;
    total
        + a[rest..n]
            .iter()
            .zip(&b[rest..n])
            .filter(|(x, y)| x == y)
            .count()
}

/// How many positions of two signatures hold equal values (over the shorter one's length).
#[cfg(not(target_arch = "x86_64"))]
fn equal_count(a: &[u16], b: &[u16]) -> usize {
    a.iter().zip(b).filter(|(x, y)| x == y).count()
}

/// The article whose candidates are verified: its signature (the low 16 bits of each value), its time,
/// the dates and editions it names (its title's, or its body's days) and its site body.
#[derive(Clone, Copy)]
pub(super) struct Probe<'a> {
    pub(super) signature: &'a [u16],
    pub(super) time: i64,
    pub(super) dates: TitleDates,
    pub(super) site_body: SiteBody,
}

/// What verifying candidates reads of an index: its band tables, the signatures of indexed articles and
/// their numbers, times and dates. It borrows nothing the in-order decisions change, so that a batch's
/// later articles are verified while its earlier ones are decided.
pub(super) struct Matching<'a> {
    pub(super) tables: &'a BandTables,
    pub(super) signatures: &'a Rows<u16>,
    pub(super) slot_seq: &'a [u32],
    pub(super) time: &'a [i64],
    pub(super) dates: &'a [TitleDates],
    pub(super) site_bodies: &'a SiteBodies,
    pub(super) permutations: usize,
    pub(super) min_equal: usize,
    pub(super) window: Option<i64>,
}

impl Matching<'_> {
    fn slot_signature(&self, slot: u32) -> &[u16] {
        self.signatures.row(slot as usize)
    }

    /// Asks the CPU to bring slot `slot`'s signature into cache ahead of use, and its article's number,
    /// which is read when the signature verifies (as most candidates' do).
    #[inline]
    fn prefetch_signature(&self, slot: u32) {
        // One hint per cache line (32 values of 16 bits).
        if let Some(row) = self.signatures.get_row(slot as usize) {
            for value in row.iter().step_by(32) {
                prefetch(value);
            }
        }
        if let Some(seq) = self.slot_seq.get(slot as usize) {
            prefetch(seq);
        }
    }

    /// Appends to `found` the verified matches of `probe` among candidate slots: `(seq, similarity)`.
    /// A slot left in the band tables after its article went (`slot_seq` is `NONE`) never matches, nor
    /// does one outside the time window, of another edition (other dates, numbers, months or versions), or whose
    /// title falls short when the probe is compared by title with its source's body ([`SiteBody`]; such
    /// a match's similarity is then its titles'), nor one whose tail falls short under a head that is
    /// the source's label, nor a headline under a tail when the probe is that
    /// tail's bare name. A candidate's number (time, dates) is read only when
    /// its signature verifies; its dates only when the probe names any date, edition or version, as few do, and
    /// its site body only when the probe is compared by title, or is a bare headline whose text some
    /// headline carries as its tail.
    fn matches(&self, probe: &Probe<'_>, candidates: &[u32], found: &mut Vec<Match>) {
        const AHEAD: usize = 4;
        let Probe {
            signature,
            time,
            dates,
            site_body,
        } = *probe;
        let k = self.permutations;
        // A bare headline reads its matches' site bodies only when some headline has its text as a tail
        // (whether a match is such a headline, its own site body says).
        let bare = site_body.is_bare() && self.site_bodies.has_titles(site_body);
        for (n, &slot) in candidates.iter().enumerate() {
            if let Some(&next) = candidates.get(n + AHEAD) {
                self.prefetch_signature(next);
            }
            let equal = equal_count(signature, self.slot_signature(slot));
            if equal < self.min_equal {
                continue;
            }
            let seq = self.slot_seq[slot as usize];
            if seq == NONE || !self.within_window(seq, time) {
                continue;
            }
            if !dates.is_none() && dates.conflicts_with(self.dates[seq as usize]) {
                continue;
            }
            let mut similarity = equal as f32 / k as f32;
            if site_body.by_parts() {
                if let Some(titles) =
                    site_body.titles_similarity_to(self.site_bodies.get(seq), equal, k)
                {
                    if titles * (k as f64) < self.min_equal as f64 - 1e-9 {
                        continue;
                    }
                    similarity = titles as f32;
                }
            } else if bare {
                // A live blog's bare name and a headline under its name, once that is the site's
                // own tail: they share the tail alone.
                let other = self.site_bodies.get(seq);
                if other.by_title() && other.key() == site_body.key() {
                    continue;
                }
            }
            found.push((seq, similarity));
        }
    }

    /// Appends to `found` the verified matches of `probe` among the members of its band buckets, which
    /// `walk(limit, out)` pushes to `out` (at most `limit` per bucket); `total` is how many they hold. A
    /// hot article (see [`HOT_MEMBERS`]), under either linkage, verifies the few newest members that
    /// head the most of its buckets first, and the rest only when none of those matches.
    pub(super) fn verify(
        &self,
        probe: &Probe<'_>,
        total: u32,
        walk: impl Fn(usize, &mut Vec<u32>),
        scratch: &mut Scratch,
        found: &mut Vec<(u32, f32)>,
    ) {
        self.gather(total, &walk, scratch);
        self.verify_gathered(probe, &walk, scratch, found);
    }

    /// The first step of [`verify`](Self::verify): puts in `scratch` the candidates to verify first (all of
    /// them, sorted, or a hot article's few) and asks the CPU to bring their signatures in.
    fn gather(&self, total: u32, walk: &impl Fn(usize, &mut Vec<u32>), scratch: &mut Scratch) {
        let candidates = &mut scratch.candidates;
        candidates.clear();
        scratch.hot = self.is_hot(total);
        if scratch.hot {
            walk(1, candidates);
            candidates.sort_unstable();
            let ranked = &mut scratch.ranked;
            ranked.clear();
            for &m in candidates.iter() {
                match ranked.last_mut() {
                    Some((last, heads)) if *last == m => *heads += 1,
                    _ => ranked.push((m, 1)),
                }
            }
            // Only which members are the first few matters, not their order: the best match is the
            // most similar one, the lowest-numbered of equals (`Index::best_of`).
            if ranked.len() > HOT_CANDIDATES {
                ranked.select_nth_unstable_by(HOT_CANDIDATES - 1, |a, b| {
                    b.1.cmp(&a.1).then(b.0.cmp(&a.0))
                });
            }
            candidates.clear();
            candidates.extend(ranked.iter().take(HOT_CANDIDATES).map(|&(m, _)| m));
        } else {
            scratch.walked.clear();
            walk(usize::MAX, &mut scratch.walked);
            scratch.distinct.keep_first(&scratch.walked, candidates);
        }
        for &slot in candidates.iter().take(PREFETCH_CANDIDATES) {
            self.prefetch_signature(slot);
        }
    }

    /// The second step of [`verify`](Self::verify), on what [`gather`](Self::gather) left in `scratch`.
    fn verify_gathered(
        &self,
        probe: &Probe<'_>,
        walk: &impl Fn(usize, &mut Vec<u32>),
        scratch: &mut Scratch,
        found: &mut Vec<(u32, f32)>,
    ) {
        let start = found.len();
        self.matches(probe, &scratch.candidates, found);
        if !scratch.hot || found.len() > start {
            return;
        }
        scratch.walked.clear();
        walk(usize::MAX, &mut scratch.walked);
        scratch.candidates.clear();
        scratch
            .distinct
            .keep_first(&scratch.walked, &mut scratch.candidates);
        self.matches(probe, &scratch.candidates, found);
    }

    /// Whether an article whose buckets hold `total` members is a hot one (see [`HOT_MEMBERS`]), which
    /// verifies the newest members of its buckets first.
    fn is_hot(&self, total: u32) -> bool {
        u64::from(total) * u64::from(HOT_BANDS)
            > u64::from(HOT_MEMBERS) * self.tables.bands() as u64
    }

    /// Whether article `seq` lies within the time window of an article at `time` (always, without one).
    pub(super) fn within_window(&self, seq: u32, time: i64) -> bool {
        self.window
            .is_none_or(|w| self.time[seq as usize].abs_diff(time) <= w as u64)
    }

    /// Verifies the candidates of the batch's inserts `range` (`inserts`, slots whose signatures are in
    /// place, with their bucket totals and times): each insert's candidates are gathered (and
    /// their signatures fetched) while the insert before it is verified.
    pub(super) fn verify_inserts(
        &self,
        range: std::ops::Range<usize>,
        inserts: &[u32],
        totals: &[u32],
        insert_times: &[i64],
    ) -> Verified {
        let mut verified = Verified::default();
        if range.is_empty() {
            return verified;
        }
        let mut all = Vec::new();
        let seq_of = |n: usize| self.slot_seq[inserts[n] as usize] as usize;
        let walk_of = |n: usize| {
            move |limit: usize, out: &mut Vec<u32>| {
                self.tables.visit_seen(inserts[n], limit, |m| out.push(m))
            }
        };
        let (mut current, mut next) = (Scratch::default(), Scratch::default());
        self.gather(totals[range.start], &walk_of(range.start), &mut current);
        for n in range.clone() {
            if n + 2 < range.end {
                // A hot article visits only the heads of its buckets, not their links.
                if self.is_hot(totals[n + 2]) {
                    self.tables.prefetch_heads(inserts[n + 2]);
                } else {
                    self.tables.prefetch_seen(inserts[n + 2]);
                }
            }
            if n + 1 < range.end {
                self.gather(totals[n + 1], &walk_of(n + 1), &mut next);
            }
            all.clear();
            let probe = Probe {
                signature: self.slot_signature(inserts[n]),
                time: insert_times[n],
                // A fresh insert's slot holds its own article, whose dates and site body the batch's
                // first phase set.
                dates: self.dates[seq_of(n)],
                site_body: self.site_bodies.get(seq_of(n) as u32),
            };
            self.verify_gathered(&probe, &walk_of(n), &mut current, &mut all);
            verified.found.extend_from_slice(&all);
            verified.ends.push(verified.found.len() as u32);
            std::mem::swap(&mut current, &mut next);
        }
        verified
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_count_counts_every_equal_position() {
        let mut state = 11u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 61) as u16
        };
        // Lengths around the vector width, and one long enough to need more than one pass.
        for len in [0, 1, 7, 8, 9, 16, 100, 128, 1024, 8 * (1 << 15) + 13] {
            let a: Vec<u16> = (0..len).map(|_| next()).collect();
            let b: Vec<u16> = (0..len).map(|_| next()).collect();
            let plain = a.iter().zip(&b).filter(|(x, y)| x == y).count();
            assert_eq!(equal_count(&a, &b), plain, "length {len}");
            assert_eq!(equal_count(&a, &a), len, "length {len}");
        }
    }

    #[test]
    fn distinct_keeps_each_member_once_in_the_order_met_walk_after_walk() {
        let mut distinct = Distinct::default();
        let mut state = 5u64;
        // Walks of growing and shrinking lengths, members repeated as a walk of 30 bands repeats them;
        // a few thousand walks wrap nothing but reuse the table many times.
        for (walk, len) in [3usize, 0, 40, 1_000, 2_500, 17, 64, 65]
            .into_iter()
            .cycle()
            .take(4_000)
            .enumerate()
        {
            let walked: Vec<u32> = (0..len)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    // Few distinct members per walk, and the largest numbers too.
                    let m = (state >> 58) as u32 + (walk as u32 % 7) * 1_000;
                    if walk % 5 == 0 {
                        u32::MAX - m
                    } else {
                        m
                    }
                })
                .collect();
            let mut expected = Vec::new();
            for &m in &walked {
                if !expected.contains(&m) {
                    expected.push(m);
                }
            }
            if walk == 2_000 {
                // The generation count wraps: every entry of before must read as free again.
                distinct.generation = u32::MAX - 1;
            }
            let mut kept = vec![7];
            distinct.keep_first(&walked, &mut kept);
            assert_eq!(kept[0], 7, "appends, keeping what was there");
            assert_eq!(kept[1..], expected[..], "walk {walk} of {len}");
        }
    }
}
