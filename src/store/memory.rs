//! An in-process store for one-off runs and tests: records live in one growing byte arena indexed by article
//! number, without signatures (the index holds those). Nothing survives the process; `flush` has nothing
//! to do.

use std::sync::Mutex;

use super::{Group, Links, RecordChunk, Store};
use crate::error::StoreError;

#[derive(Default)]
struct Arena {
    bytes: Vec<u8>,
    spans: Vec<Option<(usize, usize)>>,
}

/// The in-memory store.
#[derive(Default)]
pub struct MemoryStore {
    arena: Mutex<Arena>,
    params: Mutex<Option<Vec<(String, String)>>>,
    log_position: Mutex<Option<String>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
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
        let mut arena = self.arena.lock().unwrap_or_else(|e| e.into_inner());
        let start = arena.bytes.len();
        arena.bytes.extend_from_slice(record);
        let s = seq as usize;
        if arena.spans.len() <= s {
            arena.spans.resize(s + 1, None);
        }
        arena.spans[s] = Some((start, record.len()));
        Ok(())
    }

    fn get(&self, _id: &str, seq: u32) -> Result<Option<Vec<u8>>, StoreError> {
        let arena = self.arena.lock().unwrap_or_else(|e| e.into_inner());
        Ok(match arena.spans.get(seq as usize) {
            Some(Some((start, len))) => Some(arena.bytes[*start..start + len].to_vec()),
            _ => None,
        })
    }

    fn link(&self, _group: Group, _from: u32, _into: u32) -> Result<(), StoreError> {
        Ok(())
    }

    fn load(
        &self,
        _records: &mut dyn FnMut(RecordChunk) -> Result<(), StoreError>,
    ) -> Result<Links, StoreError> {
        Ok(Links::default())
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn keeps_signatures(&self) -> bool {
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
