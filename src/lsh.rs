//! Locality-sensitive hashing over MinHash signatures: chooses bands × rows for a similarity threshold,
//! turns a signature into one key per band, and keeps the in-memory band tables in which articles that
//! share a band key find each other. Hands candidate articles to `cluster`, which verifies them.
//!
//! Band keys are xxh3 hashes of the band's rows (little-endian `u32`s) under a seed that mixes in the band
//! number, so that the same rows in two different bands give different keys. The tables keep only the low
//! 32 bits of each key: an accidental match costs one verification, never a wrong verdict.

use std::hash::{BuildHasherDefault, Hasher};

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::rows::Rows;

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
    // A band's bytes copied with a length known when compiled, for the usual row counts, so that the
    // copy is a few moves rather than a call to `memcpy` per band.
    match rows {
        4 => band_keys_rows::<4>(signature, bands, out),
        5 => band_keys_rows::<5>(signature, bands, out),
        6 => band_keys_rows::<6>(signature, bands, out),
        8 => band_keys_rows::<8>(signature, bands, out),
        // Any other: the banded values as the bytes a store keeps, once for all bands.
        _ => {
            let bytes: Vec<u8> = signature
                .iter()
                .take(bands * rows)
                .flat_map(|v| v.to_le_bytes())
                .collect();
            band_keys_of_bytes(&bytes, bands, rows, out);
        }
    }
}

/// [`band_keys`] for bands of `ROWS` rows.
fn band_keys_rows<const ROWS: usize>(signature: &[u32], bands: usize, out: &mut [u64]) {
    for (band, key) in out.iter_mut().enumerate().take(bands) {
        let mut bytes = [[0u8; 4]; ROWS];
        for (b, v) in bytes
            .iter_mut()
            .zip(&signature[band * ROWS..(band + 1) * ROWS])
        {
            *b = v.to_le_bytes();
        }
        *key = xxh3_64_with_seed(bytes.as_flattened(), BAND_SEED.wrapping_add(band as u64));
    }
}

/// [`band_keys`] of a signature given as its values' little-endian bytes, four to a value (as a store
/// keeps it): the same keys, read in place.
pub fn band_keys_of_bytes(signature: &[u8], bands: usize, rows: usize, out: &mut [u64]) {
    let width = rows * 4;
    for (band, key) in out.iter_mut().enumerate().take(bands) {
        let seed = BAND_SEED.wrapping_add(band as u64);
        *key = xxh3_64_with_seed(&signature[band * width..(band + 1) * width], seed);
    }
}

/// 2^64 divided by the golden ratio: the top bits of a product with it spread keys evenly (Fibonacci
/// hashing).
pub(crate) const FIBONACCI: u64 = 0x9e37_79b9_7f4a_7c15;

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
        self.0 = (n as u64).wrapping_mul(FIBONACCI);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(FIBONACCI);
    }
}

/// A `HashMap` hasher for keys that are hashes already.
pub(crate) type MixState = BuildHasherDefault<MixHasher>;

/// The end of a bucket's chain (and the head of an empty bucket).
pub const END: u32 = u32::MAX;
const EMPTY: u64 = u64::MAX;

/// Most members a bucket counts; a larger cap is taken as this one.
pub const MAX_BUCKET_CAP: usize = u16::MAX as usize;

#[inline]
fn pack(key: u32, head: u32) -> u64 {
    ((key as u64) << 32) | head as u64
}

/// Asks the CPU to bring the cache line at `value` in ahead of use.
#[inline]
pub(crate) fn prefetch<T>(value: &T) {
    prefetch_address((value as *const T).cast::<u8>());
}

/// [`prefetch`] for every cache line `value` spans (a value larger than one line, or one that straddles
/// two; a slice too).
#[inline]
pub(crate) fn prefetch_lines<T: ?Sized>(value: &T) {
    let start = (value as *const T).cast::<u8>();
    let size = std::mem::size_of_val(value).max(1);
    for offset in (0..size).step_by(64) {
        prefetch_address(start.wrapping_add(offset));
    }
    // The last line, which the steps miss when the value starts late in its first.
    prefetch_address(start.wrapping_add(size - 1));
}

/// Asks the CPU to bring in the cache line holding `address`.
#[inline]
pub(crate) fn prefetch_address(address: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint and never faults, whatever the address.
    #[allow(unused_unsafe)]
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(address.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

/// Entries in one [`Group`]: six entries and their six bucket sizes fill one cache line.
const GROUP: usize = 6;

/// One cache line of a [`BandTable`]: six entries (a band key's low 32 bits above its bucket's newest
/// member) and their buckets' sizes, so that looking up or joining a bucket touches one line.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
struct Group {
    slots: [u64; GROUP],
    lens: [u16; GROUP],
}

const EMPTY_GROUP: Group = Group {
    slots: [EMPTY; GROUP],
    lens: [0; GROUP],
};

/// One band's table: open addressing (linear probing, keys already uniform) from a band key's low 32 bits
/// to the newest member of its bucket, with the bucket's size beside it. Entries are numbered across
/// groups of six (one cache line each); a key's home is the first entry of the group its low bits choose.
#[derive(Debug, Default, Clone)]
struct BandTable {
    groups: Vec<Group>,
    len: usize,
}

impl BandTable {
    /// Number of entries.
    fn capacity(&self) -> usize {
        self.groups.len() * GROUP
    }

    /// The entry where `key`'s probe starts (the table must not be empty).
    #[inline]
    fn home(&self, key: u32) -> usize {
        (key as usize & (self.groups.len() - 1)) * GROUP
    }

    /// The entry after `i`, wrapping at the end.
    #[inline]
    fn next(&self, i: usize) -> usize {
        if i + 1 == self.capacity() {
            0
        } else {
            i + 1
        }
    }

    /// Entry `i`: a key above its bucket's newest member, or `EMPTY`.
    #[inline]
    fn slot(&self, i: usize) -> u64 {
        self.groups[i / GROUP].slots[i % GROUP]
    }

    /// The size of entry `i`'s bucket.
    #[inline]
    fn bucket_len(&self, i: usize) -> u16 {
        self.groups[i / GROUP].lens[i % GROUP]
    }

    /// Writes entry `i` and its bucket's size.
    #[inline]
    fn set(&mut self, i: usize, slot: u64, len: u16) {
        let group = &mut self.groups[i / GROUP];
        group.slots[i % GROUP] = slot;
        group.lens[i % GROUP] = len;
    }

    /// Makes room for `additional` more buckets without growing while they arrive.
    #[inline]
    fn reserve(&mut self, additional: usize) {
        let needed = (self.len + additional) * 4 / 3 + 1;
        if needed > self.capacity() {
            self.grow(needed);
        }
    }

    /// Moves the buckets to a table of at least `needed` entries.
    #[cold]
    fn grow(&mut self, needed: usize) {
        let groups = needed.div_ceil(GROUP).next_power_of_two().max(4);
        let old = std::mem::replace(
            &mut self.groups,
            crate::populate::filled(groups, EMPTY_GROUP),
        );
        for group in old {
            for (&s, &n) in group.slots.iter().zip(&group.lens) {
                if s == EMPTY {
                    continue;
                }
                let mut i = self.home((s >> 32) as u32);
                while self.slot(i) != EMPTY {
                    i = self.next(i);
                }
                self.set(i, s, n);
            }
        }
    }

    /// Asks the CPU to bring `key`'s home group into cache ahead of use.
    #[inline]
    fn prefetch(&self, key: u32) {
        if !self.groups.is_empty() {
            prefetch(&self.groups[self.home(key) / GROUP]);
        }
    }

    fn find(&self, key: u32) -> Option<usize> {
        if self.groups.is_empty() {
            return None;
        }
        let mut i = self.home(key);
        loop {
            let s = self.slot(i);
            if s == EMPTY {
                return None;
            }
            if (s >> 32) as u32 == key {
                return Some(i);
            }
            i = self.next(i);
        }
    }

    /// `key`'s bucket as it is: its newest member (`END` when empty) and its size.
    fn get(&self, key: u32) -> (u32, u16) {
        match self.find(key) {
            Some(i) => (self.slot(i) as u32, self.bucket_len(i)),
            None => (END, 0),
        }
    }

    /// Returns `key`'s bucket as [`get`](Self::get) does, then makes `member` its newest member if it
    /// holds fewer than `cap`. The table must have room for one more bucket.
    #[inline]
    fn see_and_join(&mut self, key: u32, member: u32, cap: u16) -> (u32, u16) {
        let mut i = self.home(key);
        loop {
            let s = self.slot(i);
            if s == EMPTY {
                self.set(i, pack(key, member), 1);
                self.len += 1;
                return (END, 0);
            }
            if (s >> 32) as u32 == key {
                let (head, len) = (s as u32, self.bucket_len(i));
                if len < cap {
                    self.set(i, pack(key, member), len + 1);
                }
                return (head, len);
            }
            i = self.next(i);
        }
    }

    /// Deletes entry `i`, shifting later entries of its probe run back.
    fn delete(&mut self, mut i: usize) {
        let mut j = i;
        loop {
            j = self.next(j);
            let s = self.slot(j);
            if s == EMPTY {
                break;
            }
            let home = self.home((s >> 32) as u32);
            let movable = if i <= j {
                home <= i || home > j
            } else {
                home <= i && home > j
            };
            if movable {
                let len = self.bucket_len(j);
                self.set(i, s, len);
                i = j;
            }
        }
        self.set(i, EMPTY, 0);
        self.len -= 1;
    }
}

/// The band tables of an index, in which articles that share a band key find each other. Members are
/// small integers chosen by the caller. Each band's table maps a key to its bucket's newest member and
/// size; each member keeps one link per band to the next older member of its bucket there, all of a
/// member's links side by side, so that walking an article's buckets in every band touches few cache
/// lines. A bucket stops taking members at a cap; later arrivals still see it.
///
/// A member's links are also what it saw: a member that did not join a full bucket still links to the
/// newest member it found there, so [`visit_seen`](Self::visit_seen) walks exactly the buckets as the
/// member met them, until members are removed.
#[derive(Debug, Clone)]
pub struct BandTables {
    bands: Vec<Band>,
    /// Row `member`, column `band`: the next older member of `member`'s bucket in `band` (or the newest
    /// member of the bucket it saw there without joining), `END` at the end. Rows are padded with `END`
    /// so that none straddles a cache line it need not ([`links_width`]): a member's links, read for
    /// every band it shares with an article being verified, take two lines for thirty bands rather than
    /// two or three, as a row of 120 bytes would by where it starts.
    links: Rows<u32>,
}

/// Links in a cache line of 64 bytes (the rows' chunks start on a page).
const LINKS_PER_LINE: usize = 16;

/// The width of a row of links for `bands` bands: a power of two up to a cache line (so that rows share
/// lines without straddling them), whole lines beyond.
fn links_width(bands: usize) -> usize {
    if bands <= LINKS_PER_LINE {
        bands.next_power_of_two()
    } else {
        bands.next_multiple_of(LINKS_PER_LINE)
    }
}

/// One band: its table, and the links and bucket sizes the members of the last
/// [`insert`](BandTables::insert) saw there (kept to save allocating them again).
#[derive(Debug, Default, Clone)]
struct Band {
    table: BandTable,
    seen_heads: Vec<u32>,
    seen_lens: Vec<u16>,
}

impl Band {
    /// How many members ahead [`insert`](Self::insert) fetches home slots.
    const AHEAD: usize = 8;

    /// Offers `members` (keys as `keys` says) to this band's table in order.
    fn insert(&mut self, band: usize, members: &[u32], keys: MemberKeys<'_>, cap: u16) {
        let n = members.len();
        let table = &mut self.table;
        table.reserve(n);
        self.seen_heads.clear();
        self.seen_lens.clear();
        self.seen_heads.reserve(n);
        self.seen_lens.reserve(n);
        for (i, &member) in members.iter().enumerate() {
            // Each member's keys lie in a row of their own, on a line apart from the next member's: the
            // key is asked for twice as far ahead as the slot it leads to.
            if let Some(k) = keys.get(i + 2 * Self::AHEAD, band) {
                prefetch(k);
            }
            if let Some(k) = keys.get(i + Self::AHEAD, band) {
                table.prefetch(*k as u32);
            }
            let (head, len) = table.see_and_join(keys.key(i, band) as u32, member, cap);
            self.seen_heads.push(head);
            self.seen_lens.push(len);
        }
    }
}

/// Where the band keys of the members offered to [`BandTables::insert_keyed`] lie: member `i`'s keys
/// are row `i` of `keys` (one key per band, a row per member), or row `rows[i]` when the rows are given
/// (so that a batch offers a few of the articles whose keys it holds without copying their keys).
#[derive(Clone, Copy)]
pub struct MemberKeys<'a> {
    keys: &'a [u64],
    rows: Option<&'a [u32]>,
    stride: usize,
}

impl<'a> MemberKeys<'a> {
    /// Member `i`'s keys at row `i` of `keys`, `bands` to a row.
    pub fn in_order(keys: &'a [u64], bands: usize) -> MemberKeys<'a> {
        MemberKeys {
            keys,
            rows: None,
            stride: bands,
        }
    }

    /// Member `i`'s keys at row `rows[i]` of `keys`, `bands` to a row.
    pub fn by_row(keys: &'a [u64], rows: &'a [u32], bands: usize) -> MemberKeys<'a> {
        MemberKeys {
            keys,
            rows: Some(rows),
            stride: bands,
        }
    }

    /// The row of member `i`'s keys, if there is a member `i` with rows given.
    #[inline]
    fn row(&self, i: usize) -> Option<usize> {
        match self.rows {
            Some(rows) => rows.get(i).map(|&r| r as usize),
            None => Some(i),
        }
    }

    /// Member `i`'s key for `band`, if there is a member `i`.
    #[inline]
    fn get(&self, i: usize, band: usize) -> Option<&'a u64> {
        self.keys.get(self.row(i)? * self.stride + band)
    }

    /// Member `i`'s key for `band`. Panics when there is no member `i`: callers offer only their own
    /// members.
    #[inline]
    fn key(&self, i: usize, band: usize) -> u64 {
        *self.get(i, band).expect("a key for every member offered")
    }
}

impl BandTables {
    /// Empty tables for `bands` bands.
    pub fn new(bands: usize) -> BandTables {
        BandTables {
            bands: vec![Band::default(); bands],
            links: Rows::new(links_width(bands)),
        }
    }

    /// Offers `members` in order, with one key per band each in `keys` (member `i`'s key for band `b` at
    /// `i * bands + b`): each sees its bucket in every band as it is, then joins it if it holds fewer than
    /// `cap` members. With `totals`, writes there how many members each saw in all (the sum of the sizes of
    /// its buckets). One task per band when `parallel`.
    pub fn insert(
        &mut self,
        members: &[u32],
        keys: &[u64],
        cap: usize,
        parallel: bool,
        totals: Option<&mut Vec<u32>>,
    ) {
        debug_assert_eq!(keys.len(), members.len() * self.bands.len());
        let keys = MemberKeys::in_order(keys, self.bands.len());
        self.insert_keyed(members, keys, cap, parallel, totals);
    }

    /// [`insert`](Self::insert), with each member's keys where `keys` says (laid out for as many bands
    /// as the tables have).
    pub fn insert_keyed(
        &mut self,
        members: &[u32],
        keys: MemberKeys<'_>,
        cap: usize,
        parallel: bool,
        totals: Option<&mut Vec<u32>>,
    ) {
        debug_assert_eq!(keys.stride, self.bands.len());
        if members.is_empty() {
            // Nothing joins (a single ingest of an exact copy): thirty bands' worth of bookkeeping spared.
            if let Some(totals) = totals {
                totals.clear();
            }
            return;
        }
        let cap = cap.clamp(1, MAX_BUCKET_CAP) as u16;
        let run = |(b, band): (usize, &mut Band)| band.insert(b, members, keys, cap);
        if !parallel {
            // The first members' home slots in every band are asked for together, so that their misses
            // overlap: otherwise a lone article (a single ingest) waits for each band's in turn.
            for (b, band) in self.bands.iter_mut().enumerate() {
                band.table.reserve(members.len());
                for i in 0..members.len().min(Band::AHEAD) {
                    band.table.prefetch(keys.key(i, b) as u32);
                }
            }
        }
        if parallel {
            use rayon::prelude::*;
            let bands = &mut self.bands;
            crate::pool::run(|| bands.par_iter_mut().enumerate().for_each(run));
        } else {
            self.bands.iter_mut().enumerate().for_each(run);
        }
        if let Some(&top) = members.iter().max() {
            self.links.grow_to(top as usize + 1, END);
        }
        for (i, &member) in members.iter().enumerate() {
            let row = self.links.row_mut(member as usize);
            for (link, band) in row.iter_mut().zip(&self.bands) {
                *link = band.seen_heads[i];
            }
        }
        if let Some(totals) = totals {
            totals.clear();
            totals.resize(members.len(), 0);
            for band in &self.bands {
                for (total, &len) in totals.iter_mut().zip(&band.seen_lens) {
                    *total += len as u32;
                }
            }
        }
    }

    /// The buckets of `keys` as they are now, without joining them: writes each band's newest member to
    /// `heads` and returns how many members they hold in all.
    pub fn query(&self, keys: &[u64], heads: &mut Vec<u32>) -> u32 {
        heads.clear();
        let mut total = 0;
        for (band, key) in self.bands.iter().zip(keys) {
            let (head, len) = band.table.get(*key as u32);
            heads.push(head);
            total += len as u32;
        }
        total
    }

    /// Calls `visit` with the members of the buckets that start at `heads` (one per band), at most `limit`
    /// per bucket. A member may come up once per band it shares. The buckets are walked side by side, a
    /// step in each per round, newest first, so that the links of one round are fetched from memory
    /// together rather than one after another.
    pub fn visit(&self, heads: &[u32], limit: usize, mut visit: impl FnMut(u32)) {
        const GROUP: usize = 32;
        for (g, group) in heads.chunks(GROUP).enumerate() {
            let first_band = g * GROUP;
            let mut cursors = [END; GROUP];
            cursors[..group.len()].copy_from_slice(group);
            let cursors = &mut cursors[..group.len()];
            let mut taken = 0;
            while taken < limit {
                // The last round's links are not followed: with a limit of one (a hot article's newest
                // members) that saves a scattered read per band.
                let more = taken + 1 < limit;
                let mut any = false;
                for (band, m) in (first_band..).zip(cursors.iter_mut()) {
                    if *m != END {
                        visit(*m);
                        if more {
                            *m = self.links.row(*m as usize)[band];
                        }
                        any = true;
                    }
                }
                if !any || !more {
                    break;
                }
                taken += 1;
            }
        }
    }

    /// Like [`visit`](Self::visit), over the buckets as `member` saw them when it was inserted.
    pub fn visit_seen(&self, member: u32, limit: usize, visit: impl FnMut(u32)) {
        self.visit(self.links.row(member as usize), limit, visit);
    }

    /// Asks the CPU to bring in the links that a [`visit_seen`](Self::visit_seen) of `member` reads
    /// first: those of the newest member of each of its buckets.
    pub fn prefetch_seen(&self, member: u32) {
        let Some(heads) = self.links.get_row(member as usize) else {
            return;
        };
        for (band, &head) in heads.iter().enumerate() {
            if let Some(link) = self.links.get_row(head as usize).and_then(|r| r.get(band)) {
                prefetch(link);
            }
        }
    }

    /// Asks the CPU to bring in `member`'s own links, the heads a [`visit_seen`](Self::visit_seen) of it
    /// starts from: all that a visit of one member per bucket reads of the links.
    pub fn prefetch_heads(&self, member: u32) {
        if let Some(row) = self.links.get_row(member as usize) {
            prefetch_lines(row);
        }
    }

    /// Asks the CPU to bring in the home group of each of a member's keys (one per band) in its band's
    /// table: where looking its buckets up or joining them starts.
    pub fn prefetch_homes(&self, keys: &[u64]) {
        for (band, &key) in self.bands.iter().zip(keys) {
            band.table.prefetch(key as u32);
        }
    }

    /// The number of bands.
    pub fn bands(&self) -> usize {
        self.bands.len()
    }

    /// The most entries any one band's table has room for (grown or reserved).
    #[cfg(test)]
    pub(crate) fn room(&self) -> usize {
        self.bands
            .iter()
            .map(|b| b.table.capacity())
            .max()
            .unwrap_or(0)
    }

    /// The most buckets any one band's table holds.
    pub fn buckets(&self) -> usize {
        self.bands.iter().map(|b| b.table.len).max().unwrap_or(0)
    }

    /// Makes room in every band's table for `buckets` buckets in all, so that filling them does not
    /// grow the tables on the way (a table grows by copying itself into one twice its size).
    pub fn reserve(&mut self, buckets: usize) {
        // Fresh tables are written whole: one band per task.
        use rayon::prelude::*;
        let bands = &mut self.bands;
        crate::pool::run(|| {
            bands.par_iter_mut().for_each(|band| {
                let more = buckets.saturating_sub(band.table.len);
                band.table.reserve(more);
            })
        });
    }

    /// Takes `member` (inserted with `keys`) out of its buckets.
    pub fn remove(&mut self, member: u32, keys: &[u64]) {
        let low: Vec<u32> = keys.iter().map(|&k| k as u32).collect();
        self.remove_many(&[member], &low);
    }

    /// Removes many members at once, member `members[i]` with its keys at row `i` of `keys` (one key per
    /// band, its low 32 bits): the buckets that taking them out one at a time leaves, but each bucket
    /// walked once however many of its members go, where one at a time walks it from its newest member
    /// down to each.
    pub fn remove_many(&mut self, members: &[u32], keys: &[u32]) {
        let bands = self.bands.len();
        debug_assert_eq!(keys.len(), members.len() * bands);
        let rows = self.links.rows();
        let gone = Leaving::of(members, rows);
        if gone.is_empty() {
            return;
        }
        let mut band_keys = Vec::with_capacity(members.len());
        for band in 0..bands {
            band_keys.clear();
            band_keys.extend(
                members
                    .iter()
                    .zip(keys.chunks_exact(bands))
                    .filter(|(&m, _)| (m as usize) < rows)
                    .map(|(_, k)| k[band]),
            );
            band_keys.sort_unstable();
            band_keys.dedup();
            for &key in &band_keys {
                let table = &mut self.bands[band].table;
                let Some(i) = table.find(key) else {
                    continue;
                };
                let (head, len) = (table.slot(i) as u32, table.bucket_len(i));
                let mut dropped: u16 = 0;
                let mut first = head;
                while first != END && gone.holds(first) {
                    first = self.links.row(first as usize)[band];
                    dropped += 1;
                }
                let mut kept = first;
                while kept != END {
                    let mut next = self.links.row(kept as usize)[band];
                    if next != END && gone.holds(next) {
                        while next != END && gone.holds(next) {
                            next = self.links.row(next as usize)[band];
                            dropped += 1;
                        }
                        self.links.row_mut(kept as usize)[band] = next;
                    }
                    kept = next;
                }
                if dropped == 0 {
                    continue;
                }
                if first == END {
                    table.delete(i);
                } else {
                    table.set(i, pack(key, first), len.saturating_sub(dropped));
                }
            }
        }
    }
}

/// The members [`BandTables::remove_many`] takes out: a few in a sorted list (a single removal need
/// not clear a mark per member of the index), many as one mark per member.
enum Leaving {
    Few(Vec<u32>),
    Many(Vec<bool>),
}

impl Leaving {
    /// The members among `members` below `rows` (those the tables can hold).
    fn of(members: &[u32], rows: usize) -> Leaving {
        let held = members.iter().copied().filter(|&m| (m as usize) < rows);
        if members.len() <= 64 {
            let mut few: Vec<u32> = held.collect();
            few.sort_unstable();
            Leaving::Few(few)
        } else {
            let mut marks = vec![false; rows];
            for m in held {
                marks[m as usize] = true;
            }
            Leaving::Many(marks)
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Leaving::Few(few) => few.is_empty(),
            Leaving::Many(marks) => !marks.contains(&true),
        }
    }

    fn holds(&self, member: u32) -> bool {
        match self {
            Leaving::Few(few) => few.binary_search(&member).is_ok(),
            Leaving::Many(marks) => marks[member as usize],
        }
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

    #[test]
    fn a_stored_signature_gives_the_keys_of_its_values_for_any_row_count() {
        let mut state = 7u32;
        let sig: Vec<u32> = (0..384)
            .map(|_| {
                state = state.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
                state
            })
            .collect();
        let bytes: Vec<u8> = sig.iter().flat_map(|v| v.to_le_bytes()).collect();
        // Every row count `band_keys` reads with a fixed length (4, 5, 6, 8), and some it reads as bytes.
        let shapes = [
            (30, 4),
            (25, 5),
            (21, 6),
            (16, 8),
            (42, 3),
            (18, 7),
            (128, 1),
            (4, 80),
        ];
        for (bands, rows) in shapes {
            let mut keys = vec![0u64; bands];
            band_keys(&sig, bands, rows, &mut keys);
            let mut read = vec![0u64; bands];
            band_keys_of_bytes(&bytes, bands, rows, &mut read);
            assert_eq!(read, keys, "{bands} bands of {rows}");
        }
    }

    /// The members of band 0's bucket for `key`, newest first.
    fn members(t: &BandTables, key: u64) -> Vec<u32> {
        let mut heads = Vec::new();
        t.query(&[key], &mut heads);
        let mut v = Vec::new();
        t.visit(&heads, usize::MAX, |m| v.push(m));
        v
    }

    #[test]
    fn tables_find_members_honour_the_cap_and_forget_removed_ones() {
        let mut t = BandTables::new(1);
        let mut totals = Vec::new();
        t.insert(&[0, 1], &[10, 10], 2, false, Some(&mut totals));
        assert_eq!(totals, vec![0, 1]);
        // Bucket 10 is full (cap 2): member 2 sees it but does not join.
        t.insert(&[2], &[10], 2, false, Some(&mut totals));
        assert_eq!(totals, vec![2]);
        let mut seen = Vec::new();
        t.visit_seen(2, usize::MAX, |m| seen.push(m));
        assert_eq!(seen, vec![1, 0]);
        assert_eq!(members(&t, 10), vec![1, 0]);
        seen.clear();
        t.visit_seen(1, usize::MAX, |m| seen.push(m));
        assert_eq!(seen, vec![0], "member 1 saw only the member before it");
        t.remove(0, &[10]);
        assert_eq!(members(&t, 10), vec![1]);
        t.remove(1, &[10]);
        assert!(members(&t, 10).is_empty());
        // An emptied bucket takes members again.
        t.insert(&[3], &[10], 2, false, None);
        assert_eq!(members(&t, 10), vec![3]);
    }

    #[test]
    fn a_visit_takes_at_most_the_limit_per_bucket_newest_first() {
        let mut t = BandTables::new(2);
        // Members 0..5 share band 0's key 7; in band 1 only the even ones share key 8.
        let keys: Vec<u64> = (0..5u64)
            .flat_map(|m| [7, if m % 2 == 0 { 8 } else { 100 + m }])
            .collect();
        t.insert(&[0, 1, 2, 3, 4], &keys, 64, false, None);
        let mut heads = Vec::new();
        assert_eq!(t.query(&[7, 8], &mut heads), 5 + 3);
        let mut seen = Vec::new();
        t.visit(&heads, 2, |m| seen.push(m));
        // The newest of each bucket, then the next of each: band 0 holds 4, 3, …; band 1 holds 4, 2, 0.
        assert_eq!(seen, vec![4, 4, 3, 2]);
        seen.clear();
        t.visit(&heads, 1, |m| seen.push(m));
        assert_eq!(seen, vec![4, 4]);
        seen.clear();
        t.visit(&heads, usize::MAX, |m| seen.push(m));
        assert_eq!(seen, vec![4, 4, 3, 2, 2, 0, 1, 0]);
    }

    #[test]
    fn keys_read_by_row_fill_the_tables_as_the_same_keys_copied_in_order() {
        const BANDS: usize = 3;
        // Six offers' keys, of which members 10, 11, 12 take rows 4, 1, 4 (two share every key).
        let all: Vec<u64> = (0..6u64)
            .flat_map(|row| (0..BANDS as u64).map(move |b| 100 * row + b % 2))
            .collect();
        let (members, rows) = ([10, 11, 12], [4u32, 1, 4]);
        let copied: Vec<u64> = rows
            .iter()
            .flat_map(|&r| all[r as usize * BANDS..(r as usize + 1) * BANDS].to_vec())
            .collect();
        let (mut by_row, mut in_order) = (BandTables::new(BANDS), BandTables::new(BANDS));
        let (mut row_totals, mut order_totals) = (Vec::new(), Vec::new());
        let keyed = MemberKeys::by_row(&all, &rows, BANDS);
        by_row.insert_keyed(&members, keyed, 8, false, Some(&mut row_totals));
        in_order.insert(&members, &copied, 8, false, Some(&mut order_totals));
        assert_eq!(
            row_totals,
            vec![0, 0, 3],
            "member 12 meets member 10 in every band"
        );
        assert_eq!(row_totals, order_totals);
        for m in members {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            by_row.visit_seen(m, usize::MAX, |x| a.push(x));
            in_order.visit_seen(m, usize::MAX, |x| b.push(x));
            assert_eq!(a, b, "member {m}");
        }
        let mut seen = Vec::new();
        by_row.visit_seen(12, usize::MAX, |x| seen.push(x));
        assert_eq!(seen, vec![10, 10, 10]);
    }

    #[test]
    fn removing_many_at_once_leaves_what_removing_them_one_by_one_leaves() {
        // Few keys, so buckets run long and some fill to the cap (members that saw a full bucket link
        // into it without joining); the removed members are any subset, heads, tails and middles.
        const BANDS: usize = 3;
        let mut state = 7u64;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        for round in 0..40 {
            let members = 200 + next(400) as u32;
            let key_space = 2 + next(30);
            let keys: Vec<u64> = (0..members as usize * BANDS)
                .map(|_| next(key_space) * 0x1_0000_0001)
                .collect();
            let mut built = BandTables::new(BANDS);
            for start in (0..members).step_by(50) {
                let batch: Vec<u32> = (start..(start + 50).min(members)).collect();
                let k = &keys[start as usize * BANDS..(start as usize + batch.len()) * BANDS];
                built.insert(&batch, k, 8 + round % 40, false, None);
            }
            let share = 1 + next(4);
            let gone: Vec<u32> = (0..members).filter(|_| next(share + 1) == 0).collect();
            let (mut one_by_one, mut at_once) = (built.clone(), built);
            for &m in &gone {
                one_by_one.remove(m, &keys[m as usize * BANDS..(m as usize + 1) * BANDS]);
            }
            let low: Vec<u32> = gone
                .iter()
                .flat_map(|&m| keys[m as usize * BANDS..(m as usize + 1) * BANDS].iter())
                .map(|&k| k as u32)
                .collect();
            at_once.remove_many(&gone, &low);
            for key in 0..key_space {
                let key = key * 0x1_0000_0001;
                for band in 0..BANDS {
                    let mut q = vec![key + 1; BANDS];
                    q[band] = key;
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    assert_eq!(
                        one_by_one.query(&q, &mut a),
                        at_once.query(&q, &mut b),
                        "round {round}, band {band}, key {key}: sizes"
                    );
                    let (mut wa, mut wb) = (Vec::new(), Vec::new());
                    one_by_one.visit(&a, usize::MAX, |m| wa.push(m));
                    at_once.visit(&b, usize::MAX, |m| wb.push(m));
                    assert_eq!(wa, wb, "round {round}, band {band}, key {key}: members");
                    assert!(wb.iter().all(|m| !gone.contains(m)));
                }
            }
            // A member that saw a full bucket links into it without joining, and its walk through a
            // removed member is not kept up (nor walked again once its batch is decided); the others'
            // walks run through live members only.
            let walks_live = |m: &u32| {
                !gone.contains(m)
                    && one_by_one
                        .links
                        .row(*m as usize)
                        .iter()
                        .all(|l| *l == END || !gone.contains(l))
            };
            for m in (0..members).filter(walks_live) {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                one_by_one.visit_seen(m, usize::MAX, |x| a.push(x));
                at_once.visit_seen(m, usize::MAX, |x| b.push(x));
                assert_eq!(a, b, "round {round}: what member {m} saw");
            }
        }
    }

    #[test]
    fn tables_survive_growth_collisions_and_deletes_against_a_model() {
        // Keys that share home slots exercise probing and backward-shift deletion; several bands and
        // batches of several members exercise the links.
        const BANDS: usize = 3;
        let mut t = BandTables::new(BANDS);
        let mut model: Vec<std::collections::HashMap<u64, Vec<u32>>> =
            vec![Default::default(); BANDS];
        let mut keys_of: std::collections::HashMap<u32, Vec<u64>> = Default::default();
        let mut state = 1u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        let mut member = 0u32;
        for round in 0..6_000u32 {
            if round % 2 == 1 {
                // Remove a random live member.
                let live: Vec<u32> = {
                    let mut v: Vec<u32> = keys_of.keys().copied().collect();
                    v.sort_unstable();
                    v
                };
                if live.is_empty() {
                    continue;
                }
                let m = live[next() as usize % live.len()];
                let keys = keys_of.remove(&m).unwrap();
                t.remove(m, &keys);
                for (band, key) in keys.iter().enumerate() {
                    if let Some(list) = model[band].get_mut(key) {
                        list.retain(|&x| x != m);
                    }
                }
            } else {
                let batch = 1 + next() as usize % 4;
                let members: Vec<u32> = (member..member + batch as u32).collect();
                member += batch as u32;
                let keys: Vec<u64> = (0..batch * BANDS)
                    // Few distinct low bits: long probe runs that start at a few homes, overlap, and
                    // (from the last homes, whatever the table's size) wrap around its end.
                    .map(|_| {
                        let low = [0, 1, 2, 0x3f_fffe, 0x3f_ffff][next() as usize % 5];
                        ((next() % 1024) << 22) | low
                    })
                    .collect();
                let mut totals = Vec::new();
                t.insert(&members, &keys, 5, true, Some(&mut totals));
                for (i, &m) in members.iter().enumerate() {
                    let row = &keys[i * BANDS..(i + 1) * BANDS];
                    let mut total = 0;
                    for (band, key) in row.iter().enumerate() {
                        let list = model[band].entry(*key).or_default();
                        total += list.len() as u32;
                        if list.len() < 5 {
                            list.push(m);
                        }
                    }
                    assert_eq!(totals[i], total, "member {m}");
                    keys_of.insert(m, row.to_vec());
                }
            }
        }
        for (band, buckets) in model.iter().enumerate() {
            for (key, list) in buckets {
                let mut keys = vec![u64::MAX - 1; BANDS];
                keys[band] = *key;
                let mut heads = Vec::new();
                t.query(&keys, &mut heads);
                let mut got = Vec::new();
                let bands_only = {
                    let mut h = vec![END; BANDS];
                    h[band] = heads[band];
                    h
                };
                t.visit(&bands_only, usize::MAX, |m| got.push(m));
                let mut expected = list.clone();
                expected.reverse();
                assert_eq!(got, expected, "band {band} key {key}");
            }
        }
    }
}
