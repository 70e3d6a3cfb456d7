//! Error types of the library, one enum per family of operation, each message naming what went wrong and
//! where (record id, field, store path). The binary wraps them with `anyhow`; callers that must react match
//! on the variants. New kinds of failure may come, so the enums are `#[non_exhaustive]`: a `match` on one
//! needs a `_` arm.

use std::path::PathBuf;

/// A record that cannot be ingested: the engine rejects it and keeps everything accepted before it.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArticleError {
    /// The id is empty, or holds only white space.
    #[error("field `id` is empty")]
    EmptyId,
    /// The title is empty, or holds only white space, control or invisible format characters.
    #[error("{}field `title` is empty", article_prefix(.id))]
    EmptyTitle {
        /// The article id.
        id: String,
    },
    /// The id is already stored with a different text (a revised article under the same id: its new
    /// text goes in after [`Engine::remove`](crate::Engine::remove), as a new article).
    #[error("article `{}` is already stored with a different text", shown_id(.id))]
    IdConflict {
        /// The article id.
        id: String,
    },
    /// A field is longer than the configured limit.
    #[error("{}field `{field}` is {len} bytes, more than the limit of {limit}", article_prefix(.id))]
    TooLong {
        /// The article id.
        id: String,
        /// The field name.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The engine has handed out every article number it can (2³² − 2).
    #[error(
        "article `{}`: the store has given every article number it can (numbers are not given again \
         after a removal or prune); start a new store",
        shown_id(.id)
    )]
    Capacity {
        /// The article id.
        id: String,
    },
}

/// "article `ID`: " before what is wrong with an article's field, or nothing for an article without an
/// id (a text asked about with [`Engine::query_text`](crate::Engine::query_text)).
fn article_prefix(id: &str) -> String {
    match id {
        "" => String::new(),
        id => format!("article `{}`: ", shown_id(id)),
    }
}

/// Ids longer than this many bytes are cut short in messages.
const SHOWN_ID_BYTES: usize = 80;

/// An article id as a message shows it: whole when short, else its start and its length, so that one
/// record with an id of megabytes does not write megabytes to a crawler's log (the error's `id` field
/// keeps it whole).
pub fn shown_id(id: &str) -> std::borrow::Cow<'_, str> {
    if id.len() <= SHOWN_ID_BYTES {
        return id.into();
    }
    let mut end = SHOWN_ID_BYTES;
    while !id.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &id[..end], id.len()).into()
}

impl ArticleError {
    /// `id` as an answer that refuses its article gives it back: whole, so that a client can match the
    /// answer to what it sent, unless the id itself was refused as too long, which is then cut short as
    /// [`shown_id`] cuts it (an id of a megabyte is not sent back whole).
    pub fn answered_id<'a>(&self, id: &'a str) -> std::borrow::Cow<'a, str> {
        match self {
            ArticleError::TooLong { field: "id", .. } => shown_id(id),
            _ => id.into(),
        }
    }
}

/// A failure of the persistent store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store is open elsewhere: in another process, or in this one (an [`Engine`](crate::Engine) for
    /// it is still alive; share that one, it is `Send + Sync`).
    #[error("cannot open store at {path}: {}", if *.this_process {
        "it is already open in this process; share that engine between threads, or close it first"
    } else {
        "the store is in use by another process (its lock is held); close that one first"
    })]
    InUse {
        /// Store directory.
        path: PathBuf,
        /// Whether this process holds it.
        this_process: bool,
    },
    /// The store could not be opened.
    #[error("cannot open store at {path}: {message}")]
    Open {
        /// Store directory.
        path: PathBuf,
        /// What the backend said.
        message: String,
        /// The system's error number when the system refused (`EACCES`, `EROFS`, …).
        os_code: Option<i32>,
    },
    /// The store was written with parameters that shape signatures differently.
    #[error("store at {path} was written with {field} = {stored}, but this run uses {field} = {requested}; \
             open it with the same settings or use a new store")]
    ParamMismatch {
        /// Store directory.
        path: PathBuf,
        /// Which parameter differs.
        field: &'static str,
        /// The stored value.
        stored: String,
        /// The requested value.
        requested: String,
    },
    /// A stored record cannot be decoded.
    #[error("store record {key} is corrupt: {message}")]
    Corrupt {
        /// Which record: its key, or its place in the store (`records/#N`) when that is what names it.
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// An I/O or backend failure during an operation.
    #[error("store {operation} failed: {message}")]
    Backend {
        /// The operation.
        operation: &'static str,
        /// What the backend said.
        message: String,
        /// The system's error number when the system refused (`ENOSPC`, `EIO`, …).
        os_code: Option<i32>,
    },
}

impl StoreError {
    /// The system's error number behind this failure (`28` for a full disk on Linux), when the system
    /// refused an operation; `None` when the store itself refused (in use, other settings, a corrupt
    /// record). What `errno` is to a C caller and `OSError.errno` to a Python one.
    pub fn os_code(&self) -> Option<i32> {
        match self {
            StoreError::Open { os_code, .. } | StoreError::Backend { os_code, .. } => *os_code,
            _ => None,
        }
    }
}

/// A configuration that cannot work.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("invalid setting `{field}`: {message}")]
pub struct ConfigError {
    /// The setting.
    pub field: &'static str,
    /// Why it is invalid.
    pub message: String,
}

/// Any failure of an engine operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The article was rejected.
    #[error(transparent)]
    Article(#[from] ArticleError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Result alias of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_id_is_cut_short_in_messages_and_kept_whole_in_the_error() {
        // Three bytes a character: the 80th byte is inside one, so the cut backs off to the 78th.
        let id = "€".repeat(2_000_000);
        let error = ArticleError::TooLong {
            id: id.clone(),
            field: "id",
            len: id.len(),
            limit: 4 << 20,
        };
        let message = error.to_string();
        assert!(message.len() < 300, "{} bytes", message.len());
        assert!(
            message.starts_with(&format!("article `{}… (6000000 bytes)`", "€".repeat(26))),
            "{message}"
        );
        assert!(message.ends_with("field `id` is 6000000 bytes, more than the limit of 4194304"));
        let ArticleError::TooLong { id: kept, .. } = error else {
            unreachable!()
        };
        assert_eq!(kept, id);
        // A short id is shown as it is.
        let short = ArticleError::IdConflict { id: "a-1".into() }.to_string();
        assert_eq!(
            short,
            "article `a-1` is already stored with a different text"
        );
    }
}
