//! The library's errors as the package's exceptions, which `storyhash/_errors.py` defines:
//! `ArticleError` and `ConfigError` are `ValueError`s, `StoreError` an `OSError`, all of them
//! `StoryhashError`s. The message is the library's own.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// Which of the package's exceptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Article,
    Store,
    Config,
    Other,
}

impl Kind {
    fn of(e: &storyhash::Error) -> Kind {
        match e {
            storyhash::Error::Article(_) => Kind::Article,
            storyhash::Error::Store(_) => Kind::Store,
            storyhash::Error::Config(_) => Kind::Config,
            _ => Kind::Other,
        }
    }
}

static ARTICLE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static STORE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static CONFIG: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static OTHER: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// An exception of `kind` with `message`.
pub fn new(py: Python<'_>, kind: Kind, message: String) -> PyErr {
    let (cell, name) = match kind {
        Kind::Article => (&ARTICLE, "ArticleError"),
        Kind::Store => (&STORE, "StoreError"),
        Kind::Config => (&CONFIG, "ConfigError"),
        Kind::Other => (&OTHER, "StoryhashError"),
    };
    match cell.import(py, "storyhash._errors", name) {
        Ok(ty) => PyErr::from_type(ty.clone(), message),
        Err(e) => e,
    }
}

/// A `ConfigError` about setting `field`.
pub fn config(py: Python<'_>, field: &str, message: impl std::fmt::Display) -> PyErr {
    new(
        py,
        Kind::Config,
        format!("invalid setting `{field}`: {message}"),
    )
}

/// The exception for a library error, with its message.
pub fn to_py(py: Python<'_>, e: storyhash::Error) -> PyErr {
    new(py, Kind::of(&e), e.to_string())
}

/// The exception of a call on a closed engine (a `ValueError`, as for a closed file).
pub fn closed() -> PyErr {
    PyValueError::new_err("the engine is closed")
}

/// The kind of a library error, for callers that build their own message.
pub fn kind_of(e: &storyhash::Error) -> Kind {
    Kind::of(e)
}
