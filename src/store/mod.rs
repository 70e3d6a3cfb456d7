//! Everything persistent. The engine sees a small [`Store`] trait in domain terms — put, get and delete
//! one article record (a removal puts a tombstone), delete a batch (pruning), put a batch of records with
//! the cluster and story merge links they made, load everything back in chunks in number order, flush —
//! plus the position of the last shared-log entry applied (multi-node mode) and two implementations:
//! [`sled`](sled_store) on disk (the only module that names sled types) and [`memory`] for one-off runs
//! and tests. [`codec`] defines the stored record's byte layout.

pub mod codec;
mod flush_mark;
pub mod memory;
pub mod sled_store;

use crate::error::StoreError;
use crate::story::StoryMerge;

/// How many records [`Store::load`] hands over at a time.
pub const LOAD_CHUNK: usize = 1 << 14;

/// Records handed over by [`Store::load`], packed into one buffer (one allocation per chunk, not per
/// record).
#[derive(Debug, Default)]
pub struct RecordChunk {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl RecordChunk {
    /// An empty chunk with room for `records` records.
    pub fn with_capacity(records: usize) -> RecordChunk {
        RecordChunk {
            bytes: Vec::with_capacity(records * 1024),
            ends: Vec::with_capacity(records),
        }
    }

    /// Appends one record.
    pub fn push(&mut self, record: &[u8]) {
        self.bytes.extend_from_slice(record);
        self.ends.push(self.bytes.len());
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when the chunk holds no record.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Record `i`.
    pub fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }
}

/// The merge links a store holds: clusters `(from, into)`, and stories.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Links {
    /// Cluster merges.
    pub clusters: Vec<(u32, u32)>,
    /// Story merges.
    pub stories: Vec<StoryMerge>,
}

/// Article records and merge links to store together (see [`Store::put_batch`]): records packed into one
/// buffer, so that a batch is one allocation and a store that keeps records in memory can adopt it whole.
#[derive(Debug, Default)]
pub struct RecordBatch {
    /// The records, one after another.
    pub(crate) bytes: Vec<u8>,
    /// Per record: its article number, the end of its id in `ids` and of its bytes in `bytes`.
    pub(crate) entries: Vec<(u32, usize, usize)>,
    ids: String,
    /// Merged clusters, `(from, into)`.
    pub(crate) cluster_links: Vec<(u32, u32)>,
    /// Merged stories.
    pub(crate) story_links: Vec<StoryMerge>,
}

impl RecordBatch {
    /// An empty batch with room for about `records` records.
    pub fn with_capacity(records: usize) -> RecordBatch {
        RecordBatch {
            bytes: Vec::with_capacity(records * 192),
            entries: Vec::with_capacity(records),
            ids: String::with_capacity(records * 8),
            cluster_links: Vec::new(),
            story_links: Vec::new(),
        }
    }

    /// Appends article `seq`'s record, which `encode` writes, under `id`.
    pub fn push(&mut self, seq: u32, id: &str, encode: impl FnOnce(&mut Vec<u8>)) {
        encode(&mut self.bytes);
        self.ids.push_str(id);
        self.entries.push((seq, self.ids.len(), self.bytes.len()));
    }

    /// Records that cluster `from` merged into cluster `into`.
    pub fn link_clusters(&mut self, from: u32, into: u32) {
        self.cluster_links.push((from, into));
    }

    /// Records a story merge.
    pub fn link_stories(&mut self, merge: StoryMerge) {
        self.story_links.push(merge);
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Record `i`: its number, id and bytes.
    pub fn get(&self, i: usize) -> (u32, &str, &[u8]) {
        let (seq, id_end, end) = self.entries[i];
        let (id_start, start) = match i {
            0 => (0, 0),
            _ => (self.entries[i - 1].1, self.entries[i - 1].2),
        };
        (seq, &self.ids[id_start..id_end], &self.bytes[start..end])
    }
}

/// Where the engine keeps article records and merge links. Each call is idempotent, so that a retry is
/// safe, and touches one article's record, save [`put_batch`](Store::put_batch) and
/// [`delete_batch`](Store::delete_batch), whose writes could as well be applied one by one.
pub trait Store: Send + Sync {
    /// The signature parameters recorded at creation, as `(name, value)` pairs.
    fn params(&self) -> Result<Option<Vec<(String, String)>>, StoreError>;
    /// Records the signature parameters.
    fn set_params(&self, fields: &[(&'static str, String)]) -> Result<(), StoreError>;
    /// Stores article `seq`'s record (`id` is its id).
    fn put(&self, id: &str, seq: u32, record: &[u8]) -> Result<(), StoreError>;
    /// The record of article `seq` / `id`.
    fn get(&self, id: &str, seq: u32) -> Result<Option<Vec<u8>>, StoreError>;
    /// Deletes article `seq` / `id`'s record outright (no tombstone), reclaiming its space.
    fn delete(&self, id: &str, seq: u32) -> Result<(), StoreError>;
    /// Deletes the records of `records` (`(id, seq)` each) outright. The default deletes them one at a
    /// time (an error stops it part way); a store that can writes them at once, all or none.
    fn delete_batch(&self, records: &[(&str, u32)]) -> Result<(), StoreError> {
        for &(id, seq) in records {
            self.delete(id, seq)?;
        }
        Ok(())
    }
    /// Stores a batch's links, then its records: all of them, or (on an error) none of its records.
    fn put_batch(&self, batch: RecordBatch) -> Result<(), StoreError>;
    /// Hands every stored record to `records` in number order, a chunk of up to [`LOAD_CHUNK`] at a time
    /// (so that a caller can rebuild from one chunk while the next is read, and never holds them all).
    fn load(
        &self,
        records: &mut dyn FnMut(RecordChunk) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// The merge links.
    fn links(&self) -> Result<Links, StoreError>;
    /// Makes everything written so far durable.
    fn flush(&self) -> Result<(), StoreError>;
    /// Whether records should carry signatures (a store that outlives the process needs them; an exact
    /// duplicate's record carries none all the same).
    fn keeps_signatures(&self) -> bool;
    /// Whether the store keeps article records at all; when it does not, the engine writes none.
    fn keeps_records(&self) -> bool {
        true
    }
    /// Whether [`load`](Store::load) hands back what the store holds, so that an index can be rebuilt
    /// from it (not so in memory, where the index is all there is).
    fn reloads(&self) -> bool {
        true
    }
    /// Whether the store holds no article record (tombstones count as records).
    fn is_empty(&self) -> Result<bool, StoreError>;
    /// The position in a shared log of the last entry whose records this store holds, as last given to
    /// [`set_log_position`](Store::set_log_position); `None` for a store that never followed a log.
    fn log_position(&self) -> Result<Option<String>, StoreError>;
    /// Records the log position; it becomes durable with the records written before it, at the next
    /// [`flush`](Store::flush).
    fn set_log_position(&self, position: &str) -> Result<(), StoreError>;
    /// How many buckets the fullest band table held when the store was last flushed, as given to
    /// [`set_index_buckets`](Store::set_index_buckets), and never more than one per article number the
    /// store holds: room to make before the index is rebuilt. `None` when none was recorded.
    fn index_buckets(&self) -> Result<Option<u64>, StoreError> {
        Ok(None)
    }
    /// Records how many buckets the fullest band table holds; it becomes durable at the next
    /// [`flush`](Store::flush). A store that is not reopened need not keep it.
    fn set_index_buckets(&self, _buckets: u64) -> Result<(), StoreError> {
        Ok(())
    }
}
