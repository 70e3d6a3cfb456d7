//! A store that a run makes, and its removal when the run fails before storing anything. The corrected
//! command then meets the place as it was and chooses the store's settings itself, rather than a store
//! fixed by the flags of the failed attempt. A directory the run made goes with the store; one made
//! beforehand (`mkdir`, a container's volume, a service's state directory) stays, emptied of the store's
//! files.

use std::path::Path;

use storyhash::Engine;

/// Where a run's new store goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NewStore {
    /// `--db` named nothing: the run makes the directory.
    InNewDirectory,
    /// `--db` named a directory that holds no store.
    InEmptyDirectory,
}

impl NewStore {
    /// The store a run opening `db` would make; `None` when `db` holds a store already (or is not a
    /// directory, which opening refuses).
    pub(super) fn at(db: &Path) -> Option<NewStore> {
        if !db.exists() {
            Some(NewStore::InNewDirectory)
        } else if db.is_dir() && !Engine::store_exists(db) {
            Some(NewStore::InEmptyDirectory)
        } else {
            None
        }
    }

    /// Removes the store at `db` (nothing may hold it open), with its directory when the run made that.
    pub(super) fn remove_quietly(self, db: &Path) -> std::io::Result<()> {
        match self {
            NewStore::InNewDirectory => Engine::remove_store(db),
            NewStore::InEmptyDirectory => Engine::remove_store_files(db),
        }
    }

    /// [`remove_quietly`](Self::remove_quietly), saying on standard error what went.
    pub(super) fn remove(self, db: &Path) {
        let db_shown = db.display();
        match (self.remove_quietly(db), self) {
            (Ok(()), NewStore::InNewDirectory) => {
                say!("storyhash: the store this run made at {db_shown} was removed again")
            }
            (Ok(()), NewStore::InEmptyDirectory) => say!(
                "storyhash: the store this run made in {db_shown} was removed again (the directory \
                 stays)"
            ),
            (Err(why), _) => {
                say!("storyhash: cannot remove the store this run made at {db_shown}: {why}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_made_in_a_directory_made_beforehand_leaves_the_directory_and_its_other_files() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let made = dir.path().join("made");
        assert_eq!(NewStore::at(&made), Some(NewStore::InNewDirectory));
        drop(Engine::open(&made, Default::default()).expect("a new store"));
        assert_eq!(NewStore::at(&made), None, "a store is there now");
        NewStore::InNewDirectory
            .remove_quietly(&made)
            .expect("removed");
        assert!(!made.exists());

        let volume = dir.path().join("volume");
        std::fs::create_dir_all(volume.join("lost+found")).expect("a directory");
        assert_eq!(NewStore::at(&volume), Some(NewStore::InEmptyDirectory));
        drop(Engine::open(&volume, Default::default()).expect("a new store"));
        NewStore::InEmptyDirectory
            .remove_quietly(&volume)
            .expect("removed");
        let left: Vec<_> = std::fs::read_dir(&volume)
            .expect("the directory stays")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, ["lost+found"]);
        assert_eq!(NewStore::at(&volume), Some(NewStore::InEmptyDirectory));
    }
}
