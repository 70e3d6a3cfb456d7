//! The library's errors as the package's exceptions, which `storyhash/_errors.py` defines:
//! `ArticleError` and `ConfigError` are `ValueError`s, `StoreError` an `OSError`, all of them
//! `StoryhashError`s. The message is the library's own; a `StoreError` the system caused (a full disk, a
//! read-only file system) also carries the system's `errno` and `strerror`, as any `OSError` does.

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

/// A `ConfigError` about setting `field`, or about the argument of that name of a call (`before`,
/// `since`, `batch_size`), which is no setting of the engine.
pub fn config(py: Python<'_>, field: &str, message: impl std::fmt::Display) -> PyErr {
    let what = match field {
        "before" | "since" | "batch_size" | "fields" => "argument",
        _ => "setting",
    };
    new(
        py,
        Kind::Config,
        format!("invalid {what} `{field}`: {message}"),
    )
}

/// The exception for a library error, with its message.
pub fn to_py(py: Python<'_>, e: storyhash::Error) -> PyErr {
    with_message(py, &e, e.to_string())
}

/// The exception for a library error with the caller's message: the error's kind, and for a store error
/// the system caused, `errno` and `strerror` set as for any `OSError` (the text stays `message`).
pub fn with_message(py: Python<'_>, e: &storyhash::Error, message: String) -> PyErr {
    let err = new(py, Kind::of(e), message);
    let os_code = match e {
        storyhash::Error::Store(store) => store.os_code(),
        _ => None,
    };
    if let Some(code) = os_code {
        let value = err.value(py);
        let strerror = py
            .import("os")
            .and_then(|os| os.call_method1("strerror", (code,)));
        if let Err(failed) = value
            .setattr("errno", code)
            .and_then(|()| strerror.and_then(|text| value.setattr("strerror", text)))
        {
            return failed;
        }
    }
    err
}

/// The exception of a call on a closed engine (a `ValueError`, as for a closed file).
pub fn closed() -> PyErr {
    PyValueError::new_err("the engine is closed")
}
