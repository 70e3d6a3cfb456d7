//! An in-process store for one-off runs and tests: records live in byte chunks indexed by article number,
//! without signatures (the index holds those); a large batch's buffer becomes a chunk as it is, and small
//! batches (single ingests) are copied into shared chunks of 1 MiB, so records are never moved once
//! written. A store made [`without_records`](MemoryStore::without_records)
//! keeps none, for runs that want verdicts only. Nothing survives the process; `flush` has nothing to do.

use std::sync::Mutex;

use super::{Links, RecordBatch, RecordChunk, Store};
use crate::error::StoreError;

/// Size of the chunk that records stored one at a time go to.
const LOOSE_CHUNK: usize = 1 << 20;

/// Batches of fewer bytes than this are stored as loose records (see [`Store::put_batch`]).
const SMALL_BATCH: usize = 16 * 1024;

#[derive(Default)]
struct Arena {
    /// Batches as they came, and chunks of records stored one at a time.
    chunks: Vec<Vec<u8>>,
    /// Per article number: chunk, start and length of its record.
    spans: Vec<Option<(u32, u32, u32)>>,
    /// The chunk taking records stored one at a time, if any.
    loose: Option<usize>,
}

impl Arena {
    fn span(&mut self, seq: u32, span: Option<(u32, u32, u32)>) {
        let s = seq as usize;
        if self.spans.len() <= s {
            self.spans.resize(s + 1, None);
        }
        self.spans[s] = span;
    }

    fn get(&self, seq: u32) -> Option<&[u8]> {
        let (chunk, start, len) = (*self.spans.get(seq as usize)?)?;
        let start = start as usize;
        Some(&self.chunks[chunk as usize][start..start + len as usize])
    }
}

/// The in-memory store.
pub struct MemoryStore {
    arena: Mutex<Arena>,
    params: Mutex<Option<Vec<(String, String)>>>,
    /// Whether article records are kept at all.
    records: bool,
    log_position: Mutex<Option<String>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore {
            arena: Mutex::default(),
            params: Mutex::default(),
            records: true,
            log_position: Mutex::default(),
        }
    }

    /// An empty store that keeps no article records: the engine decides and answers verdicts from its
    /// index alone, and whatever reads an article back finds none.
    pub fn without_records() -> MemoryStore {
        MemoryStore {
            records: false,
            ..MemoryStore::new()
        }
    }
}

impl Store for MemoryStore {
    fn params(&self) -> Result<Option<Vec<(String, String)>>, StoreError> {
        Ok(self
            .params
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone())
    }

    fn set_params(&self, fields: &[(&'static str, String)]) -> Result<(), StoreError> {
        let fields = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        *self.params.lock().unwrap_or_else(|e| e.into_inner()) = Some(fields);
        Ok(())
    }

    fn delete(&self, _id: &str, seq: u32) -> Result<(), StoreError> {
        let mut arena = self.arena.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(span) = arena.spans.get_mut(seq as usize) {
            *span = None;
        }
        Ok(())
    }

    fn put(&self, _id: &str, seq: u32, record: &[u8]) -> Result<(), StoreError> {
        if !self.records {
            return Ok(());
        }
        let mut arena = self.arena.lock().unwrap_or_else(|e| e.into_inner());
        let chunk = match arena.loose {
            Some(c) if arena.chunks[c].len() + record.len() <= arena.chunks[c].capacity() => c,
            _ => {
                arena
                    .chunks
                    .push(Vec::with_capacity(LOOSE_CHUNK.max(record.len())));
                let c = arena.chunks.len() - 1;
                arena.loose = Some(c);
                c
            }
        };
        let bytes = &mut arena.chunks[chunk];
        let start = bytes.len();
        bytes.extend_from_slice(record);
        arena.span(seq, Some((chunk as u32, start as u32, record.len() as u32)));
        Ok(())
    }

    fn put_batch(&self, batch: RecordBatch) -> Result<(), StoreError> {
        if batch.is_empty() || !self.records {
            return Ok(());
        }
        // A small batch (a single ingest's) joins the chunk of loose records rather than becoming a chunk
        // of its own, which would keep the room of a buffer made for it for every article; one too large
        // to index by 32-bit offsets is taken one record at a time too.
        if batch.bytes.len() < SMALL_BATCH || u32::try_from(batch.bytes.len()).is_err() {
            for i in 0..batch.len() {
                let (seq, id, record) = batch.get(i);
                self.put(id, seq, record)?;
            }
            return Ok(());
        }
        let mut arena = self.arena.lock().unwrap_or_else(|e| e.into_inner());
        let chunk = arena.chunks.len() as u32;
        let mut start = 0;
        for &(seq, _, end) in &batch.entries {
            arena.span(seq, Some((chunk, start as u32, (end - start) as u32)));
            start = end;
        }
        arena.chunks.push(batch.bytes);
        Ok(())
    }

    fn get(&self, _id: &str, seq: u32) -> Result<Option<Vec<u8>>, StoreError> {
        let arena = self.arena.lock().unwrap_or_else(|e| e.into_inner());
        Ok(arena.get(seq).map(<[u8]>::to_vec))
    }

    fn load(
        &self,
        _records: &mut dyn FnMut(RecordChunk) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        Ok(())
    }

    fn links(&self) -> Result<Links, StoreError> {
        Ok(Links::default())
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn keeps_signatures(&self) -> bool {
        false
    }

    fn keeps_records(&self) -> bool {
        self.records
    }

    fn reloads(&self) -> bool {
        false
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        let arena = self.arena.lock().unwrap_or_else(|e| e.into_inner());
        Ok(arena.spans.iter().all(Option::is_none))
    }

    fn log_position(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .log_position
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone())
    }

    fn set_log_position(&self, position: &str) -> Result<(), StoreError> {
        *self.log_position.lock().unwrap_or_else(|e| e.into_inner()) = Some(position.to_string());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(seqs: std::ops::Range<u32>, len: usize) -> RecordBatch {
        let mut batch = RecordBatch::with_capacity(seqs.len());
        for seq in seqs {
            batch.push(seq, &seq.to_string(), |out| {
                out.extend((0..len).map(|i| (seq as usize + i) as u8))
            });
        }
        batch
    }

    #[test]
    fn records_read_back_from_single_ingests_and_whole_batches() {
        let store = MemoryStore::new();
        // Single ingests enough to fill more than one shared chunk, then a large batch, then singles
        // again: every record reads back as written.
        let record_len = 900;
        let singles = (LOOSE_CHUNK / record_len + 50) as u32;
        for seq in 0..singles {
            store
                .put_batch(batch(seq..seq + 1, record_len))
                .expect("stored");
        }
        let large = singles..singles + 100;
        store
            .put_batch(batch(large.clone(), record_len))
            .expect("stored");
        for seq in large.end..large.end + 10 {
            store.put_batch(batch(seq..seq + 1, 40)).expect("stored");
        }
        for seq in 0..large.end + 10 {
            let len = if seq < large.end { record_len } else { 40 };
            let expected: Vec<u8> = (0..len).map(|i| (seq as usize + i) as u8).collect();
            let stored = store.get(&seq.to_string(), seq).expect("read");
            assert_eq!(stored.as_deref(), Some(&expected[..]), "record {seq}");
        }
        assert_eq!(store.get("x", large.end + 10).expect("read"), None);
        // The singles share chunks rather than taking one each.
        let chunks = store.arena.lock().expect("not poisoned").chunks.len();
        assert!(chunks <= 4, "{chunks} chunks");
    }
}
