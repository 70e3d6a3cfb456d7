//! Python bindings of storyhash: the module `storyhash._storyhash`, which the pure-Python package
//! `storyhash` re-exports. [`engine::PyEngine`] wraps [`storyhash::Engine`] (the same engine and sled
//! store as the CLI and the daemon); [`values`] holds the answers it hands back, [`convert`] reads
//! Python values into articles, times and settings, [`many`] streams `ingest_many`, and [`errors`] maps
//! the library's errors onto the package's exceptions.

use pyo3::prelude::*;

mod convert;
mod engine;
mod errors;
mod many;
mod values;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The compiled half of the `storyhash` package; import `storyhash` instead.
#[pymodule]
fn _storyhash(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<engine::PyEngine>()?;
    m.add_class::<values::PyVerdict>()?;
    m.add_class::<values::PyStoredArticle>()?;
    m.add_class::<values::PyClusterInfo>()?;
    m.add_class::<values::PyGroup>()?;
    m.add_class::<values::PyMember>()?;
    m.add_class::<values::PyTrend>()?;
    m.add_class::<values::PyStats>()?;
    Ok(())
}
