//! A map from 64-bit keys that are hashes already (an id's or a text's xxh3) to article numbers: open
//! addressing with linear probing, each key beside its value, four slots to a cache line. A lookup reads
//! one line in the common case, and [`KeyMap::prefetch`] asks for that line ahead, so that a batch's
//! lookups of the exact-text and id maps overlap their misses instead of waiting for each in turn. A
//! multiplication spreads the keys over the slots; removal shifts later entries back, leaving no
//! tombstones.

use crate::lsh::{prefetch, FIBONACCI};

/// The value of an empty slot; never stored.
const EMPTY: u32 = u32::MAX;
/// Fewest slots a map that holds anything has.
const MIN_SLOTS: usize = 16;

/// A key and its value; aligned so that four share a cache line and none straddles two.
#[derive(Clone, Copy)]
#[repr(C, align(16))]
struct Slot {
    key: u64,
    value: u32,
}

const VACANT: Slot = Slot {
    key: 0,
    value: EMPTY,
};

/// `u64` keys to `u32` values (any but `u32::MAX`), filled to at most five eighths.
#[derive(Clone, Default)]
pub(crate) struct KeyMap {
    slots: Vec<Slot>,
    len: usize,
}

impl std::fmt::Debug for KeyMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyMap")
            .field("len", &self.len)
            .field("slots", &self.slots.len())
            .finish()
    }
}

impl KeyMap {
    /// Where the probe for `key` starts.
    fn home(&self, key: u64) -> usize {
        // `slots.len()` is a power of two of at least MIN_SLOTS whenever this is called.
        let bits = self.slots.len().trailing_zeros();
        // The top bits of the product pick the slot.
        (key.wrapping_mul(FIBONACCI) >> (64 - bits)) as usize
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// The slot holding `key`, if any.
    fn find(&self, key: u64) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mask = self.mask();
        let mut i = self.home(key);
        loop {
            let slot = &self.slots[i];
            if slot.value == EMPTY {
                return None;
            }
            if slot.key == key {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// The value kept for `key`.
    pub(crate) fn get(&self, key: u64) -> Option<u32> {
        self.find(key).map(|i| self.slots[i].value)
    }

    /// True when the map holds `key`.
    pub(crate) fn contains_key(&self, key: u64) -> bool {
        self.find(key).is_some()
    }

    /// Asks the CPU to bring in the line a lookup of `key` reads first.
    pub(crate) fn prefetch(&self, key: u64) {
        if !self.slots.is_empty() {
            prefetch(&self.slots[self.home(key)]);
        }
    }

    /// Keeps `value` for `key`, returning the value it replaces.
    pub(crate) fn insert(&mut self, key: u64, value: u32) -> Option<u32> {
        debug_assert_ne!(value, EMPTY, "u32::MAX marks an empty slot");
        if let Some(i) = self.find(key) {
            return Some(std::mem::replace(&mut self.slots[i].value, value));
        }
        self.reserve(1);
        self.place(key, value);
        self.len += 1;
        None
    }

    /// Puts a key the map does not hold into the first free slot of its probe.
    fn place(&mut self, key: u64, value: u32) {
        let mask = self.mask();
        let mut i = self.home(key);
        while self.slots[i].value != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = Slot { key, value };
    }

    /// Forgets `key`, returning its value. The entries after it in its run move back to where their
    /// probes will find them.
    pub(crate) fn remove(&mut self, key: u64) -> Option<u32> {
        let mut hole = self.find(key)?;
        let value = self.slots[hole].value;
        let mask = self.mask();
        let mut next = hole;
        loop {
            next = (next + 1) & mask;
            let slot = self.slots[next];
            if slot.value == EMPTY {
                break;
            }
            // An entry may fill the hole when the hole lies on its probe, from its home to where it is.
            let from_home = next.wrapping_sub(self.home(slot.key)) & mask;
            let from_hole = next.wrapping_sub(hole) & mask;
            if from_home >= from_hole {
                self.slots[hole] = slot;
                hole = next;
            }
        }
        self.slots[hole] = VACANT;
        self.len -= 1;
        Some(value)
    }

    /// Makes room for `additional` more keys without growing.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let wanted = self.len + additional;
        if wanted * 8 <= self.slots.len() * 5 {
            return;
        }
        let slots = (wanted * 8).div_ceil(5).next_power_of_two().max(MIN_SLOTS);
        let old = std::mem::replace(&mut self.slots, crate::populate::filled(slots, VACANT));
        for slot in old {
            if slot.value != EMPTY {
                self.place(slot.key, slot.value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// splitmix64: keys spread as hashes are, repeatable.
    fn keys(seed: u64) -> impl Iterator<Item = u64> {
        let mut state = seed;
        std::iter::from_fn(move || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            Some(z ^ (z >> 31))
        })
    }

    #[test]
    fn an_empty_map_finds_nothing_and_removes_nothing() {
        let mut map = KeyMap::default();
        map.prefetch(7);
        assert_eq!(map.get(7), None);
        assert!(!map.contains_key(0));
        assert_eq!(map.remove(7), None);
        assert_eq!(map.len, 0);
    }

    #[test]
    fn inserting_a_held_key_replaces_its_value() {
        let mut map = KeyMap::default();
        assert_eq!(map.insert(0, 1), None);
        assert_eq!(map.insert(0, 2), Some(1));
        assert_eq!(map.get(0), Some(2));
        assert_eq!(map.len, 1);
    }

    /// Keys that all start their probe in one slot: every lookup walks a run, and removals from its
    /// middle must leave the rest findable.
    #[test]
    fn keys_sharing_a_home_stay_findable_through_removals() {
        let mut map = KeyMap::default();
        map.reserve(40);
        let home = map.home(1);
        let crowded: Vec<u64> = keys(3).filter(|&k| map.home(k) == home).take(12).collect();
        for (v, &k) in crowded.iter().enumerate() {
            map.insert(k, v as u32);
        }
        for (v, &k) in crowded.iter().enumerate().step_by(3) {
            assert_eq!(map.remove(k), Some(v as u32));
        }
        for (v, &k) in crowded.iter().enumerate() {
            let expected = (v % 3 != 0).then_some(v as u32);
            assert_eq!(map.get(k), expected, "key {v}");
        }
    }

    /// Runs of probes that wrap past the last slot to the first.
    #[test]
    fn runs_that_wrap_around_the_end_survive_removals() {
        let mut map = KeyMap::default();
        map.reserve(8);
        let last = map.slots.len() - 1;
        let at_end: Vec<u64> = keys(5).filter(|&k| map.home(k) == last).take(4).collect();
        let at_start: Vec<u64> = keys(6).filter(|&k| map.home(k) == 0).take(2).collect();
        for (v, &k) in at_end.iter().chain(&at_start).enumerate() {
            map.insert(k, v as u32);
        }
        assert_eq!(map.remove(at_end[0]), Some(0));
        assert_eq!(map.remove(at_start[0]), Some(4));
        for (v, &k) in at_end.iter().enumerate().skip(1) {
            assert_eq!(map.get(k), Some(v as u32));
        }
        assert_eq!(map.get(at_start[1]), Some(5));
        assert_eq!(map.len, 4);
    }

    #[test]
    fn agrees_with_a_hash_map_through_inserts_removals_and_growth() {
        let mut map = KeyMap::default();
        let mut model = HashMap::new();
        // Few distinct keys, so that inserts replace and removals hit.
        let pool: Vec<u64> = keys(11).take(5_000).collect();
        for (step, r) in keys(12).take(60_000).enumerate() {
            let key = pool[(r % pool.len() as u64) as usize];
            if r >> 62 == 0 {
                assert_eq!(map.remove(key), model.remove(&key), "step {step}");
            } else {
                let value = (r >> 40) as u32 & 0xff_ffff;
                assert_eq!(
                    map.insert(key, value),
                    model.insert(key, value),
                    "step {step}"
                );
            }
            assert_eq!(map.len, model.len());
        }
        for &key in &pool {
            assert_eq!(map.get(key), model.get(&key).copied());
        }
    }
}
