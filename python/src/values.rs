//! What the engine hands back to Python: verdicts, stored articles, clusters and stories, trends and
//! counters. Each is an immutable object with read-only attributes and a `repr` that shows them,
//! compared by value and rebuilt by `pickle` and `copy`; times are timezone-aware `datetime`s in UTC.

use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyDict, PyTzInfo};

use storyhash::{
    ClusterDetail, ClusterInfo, Member, Stats, Status, StoredArticle, Timestamp, Trend, Verdict,
};

/// A `datetime` in UTC for `t`.
pub fn datetime<'py>(py: Python<'py>, t: Timestamp) -> PyResult<Bound<'py, PyDateTime>> {
    let utc = PyTzInfo::utc(py)?;
    PyDateTime::from_timestamp(py, t.unix_seconds() as f64, Some(&utc))
}

fn repr_opt<T: std::fmt::Debug>(v: &Option<T>) -> String {
    match v {
        Some(v) => format!("{v:?}"),
        None => "None".into(),
    }
}

/// `s` as Python's `repr` writes a `str`: letters of every script as they are, quotes and unprintable
/// characters escaped the Python way.
pub fn repr_str(s: &str) -> String {
    Python::attach(|py| {
        pyo3::types::PyString::new(py, s)
            .repr()
            .map(|r| r.to_string())
            .unwrap_or_else(|_| format!("{s:?}"))
    })
}

fn repr_opt_str(s: &Option<String>) -> String {
    s.as_deref().map(repr_str).unwrap_or_else(|| "None".into())
}

impl PyVerdict {
    /// Every attribute, the similarity by its bits: what equality and the hash compare.
    #[allow(clippy::type_complexity)]
    fn key(
        &self,
    ) -> (
        Option<&str>,
        u64,
        u64,
        Status,
        Option<&str>,
        Option<u32>,
        u64,
        bool,
    ) {
        (
            self.id.as_deref(),
            self.cluster,
            self.story,
            self.status,
            self.duplicate_of.as_deref(),
            self.similarity.map(f32::to_bits),
            self.cluster_size,
            self.repeat,
        )
    }
}

/// A status from its name.
fn status_named(status: &str) -> PyResult<Status> {
    [Status::New, Status::Duplicate, Status::NearDuplicate]
        .into_iter()
        .find(|s| s.as_str() == status)
        .ok_or_else(|| {
            pyo3::exceptions::PyValueError::new_err(format!(
                "`{status}` is not a status: \"new\", \"duplicate\" or \"near_duplicate\""
            ))
        })
}

/// What `pickle` and `copy` call to rebuild an object: its class's `_from_state` with its attributes.
fn reduce<'py, S: IntoPyObject<'py>>(
    slf: &Bound<'py, PyAny>,
    state: S,
) -> PyResult<(Bound<'py, PyAny>, (S,))> {
    Ok((slf.get_type().getattr("_from_state")?, (state,)))
}

/// The engine's answer for one article.
///
/// Attributes: ``id`` (``None`` for a headline queried without one); ``status`` (``"new"``,
/// ``"duplicate"`` or ``"near_duplicate"``); ``cluster``, the near-duplicate cluster it joined (ids
/// never change; a cluster that merged resolves with ``Engine.resolve``); ``story``, the story it
/// belongs to (articles about one event, worded alike or not); ``duplicate_of``, the best-matching earlier article, and ``similarity``, its estimated Jaccard
/// similarity (``None`` for a new article); ``cluster_size``, the cluster's size with this article;
/// ``repeat``, true when the article was stored before (the same id and text: nothing was stored again,
/// and a ``source``, ``url`` or ``published`` that differs from the stored one was not taken).
#[pyclass(frozen, module = "storyhash", name = "Verdict")]
pub struct PyVerdict {
    #[pyo3(get)]
    id: Option<String>,
    #[pyo3(get)]
    cluster: u64,
    #[pyo3(get)]
    story: u64,
    status: Status,
    #[pyo3(get)]
    duplicate_of: Option<String>,
    #[pyo3(get)]
    similarity: Option<f32>,
    #[pyo3(get)]
    cluster_size: u64,
    #[pyo3(get)]
    repeat: bool,
}

impl From<Verdict> for PyVerdict {
    fn from(v: Verdict) -> Self {
        PyVerdict {
            // Empty for a headline queried without an id.
            id: (!v.id.is_empty()).then_some(v.id),
            cluster: v.cluster,
            story: v.story,
            status: v.status,
            duplicate_of: v.duplicate_of,
            similarity: v.similarity,
            cluster_size: v.cluster_size,
            repeat: v.repeat,
        }
    }
}

impl PyVerdict {
    /// A Python `Verdict` for `verdict`, left out of the cycle collector's lists. A verdict holds no
    /// Python object, so it can be part of no cycle (CPython leaves tuples and dicts of plain values out
    /// the same way); tracked, the verdicts of an `ingest_many` of a million records were walked again
    /// by every full collection while the caller's records were read.
    pub(crate) fn untracked(py: Python<'_>, verdict: Verdict) -> PyResult<Py<PyVerdict>> {
        let object = Py::new(py, PyVerdict::from(verdict))?;
        // SAFETY: `object` is a live instance of a class with the GC flag (every pyo3 class has it) and
        // holds no references to Python objects; untracking an untracked object is allowed, so its
        // deallocation untracking it again is sound.
        unsafe { pyo3::ffi::PyObject_GC_UnTrack(object.as_ptr().cast()) };
        Ok(object)
    }
}

#[pymethods]
impl PyVerdict {
    /// ``"new"``, ``"duplicate"`` or ``"near_duplicate"``.
    #[getter]
    fn status(&self) -> &'static str {
        self.status.as_str()
    }

    /// True for a duplicate or a near-duplicate: an earlier article says the same.
    #[getter]
    fn is_duplicate(&self) -> bool {
        self.status != Status::New
    }

    /// The attributes as a dict: the fields of a line of ``storyhash dedupe`` and ``cluster_size``
    /// (``cluster`` and ``story`` as answered; the CLI writes those that stand at the end of its run).
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("id", &self.id)?;
        d.set_item("cluster", self.cluster)?;
        d.set_item("story", self.story)?;
        d.set_item("status", self.status.as_str())?;
        d.set_item("duplicate_of", &self.duplicate_of)?;
        d.set_item("similarity", self.similarity)?;
        d.set_item("cluster_size", self.cluster_size)?;
        d.set_item("repeat", self.repeat)?;
        Ok(d)
    }

    /// A verdict made from its attributes, as ``as_dict()`` gives them (what ``pickle`` and ``copy``
    /// use to rebuild one).
    #[new]
    #[pyo3(signature = (id, status, cluster, story, duplicate_of, similarity, cluster_size, repeat=false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        id: Option<String>,
        status: &str,
        cluster: u64,
        story: u64,
        duplicate_of: Option<String>,
        similarity: Option<f32>,
        cluster_size: u64,
        repeat: bool,
    ) -> PyResult<PyVerdict> {
        let status = status_named(status)?;
        if let Some(similarity) = similarity.filter(|s| !(0.0..=1.0).contains(s)) {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "similarity {similarity} is not an estimated Jaccard similarity, from 0 to 1 (or None)"
            )));
        }
        Ok(PyVerdict {
            // A verdict of a text asked about without an id (or with a blank one) has none.
            id: id.filter(|id| !id.trim().is_empty()),
            cluster,
            story,
            status,
            duplicate_of,
            similarity,
            cluster_size,
            repeat,
        })
    }

    /// How ``pickle`` rebuilds a verdict (for ``multiprocessing``, a cache, …).
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let v = slf.get();
        let args = (
            v.id.clone(),
            v.status.as_str(),
            v.cluster,
            v.story,
            v.duplicate_of.clone(),
            v.similarity,
            v.cluster_size,
            v.repeat,
        );
        (slf.get_type(), args)
            .into_pyobject(slf.py())
            .map(|t| t.into_any())
    }

    /// Equal verdicts hash alike, so that verdicts go in sets and dict keys.
    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.key().hash(&mut h);
        h.finish()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyVerdict>()
            .is_ok_and(|o| self.key() == o.get().key())
    }

    fn __repr__(&self) -> String {
        format!(
            "Verdict(id={}, status='{}', cluster={}, story={}, duplicate_of={}, similarity={}, cluster_size={}{})",
            repr_opt_str(&self.id),
            self.status.as_str(),
            self.cluster,
            self.story,
            repr_opt_str(&self.duplicate_of),
            repr_opt(&self.similarity),
            self.cluster_size,
            if self.repeat { ", repeat=True" } else { "" }
        )
    }
}

/// An article as the engine keeps it, and where it stands now.
///
/// Attributes: the article's ``id``, ``title``, ``body``, ``source``, ``url`` and ``published`` (as
/// stored: the text the engine read its time from); ``cluster`` and ``story`` it belongs to now (a
/// cluster it joined may since have merged into an older one); ``status``, ``duplicate_of`` and
/// ``similarity`` as decided when it was ingested.
#[pyclass(frozen, eq, module = "storyhash", name = "StoredArticle")]
#[derive(PartialEq)]
pub struct PyStoredArticle {
    #[pyo3(get)]
    id: String,
    #[pyo3(get)]
    title: String,
    #[pyo3(get)]
    body: Option<String>,
    #[pyo3(get)]
    source: Option<String>,
    #[pyo3(get)]
    url: Option<String>,
    #[pyo3(get)]
    published: Option<String>,
    #[pyo3(get)]
    cluster: u64,
    #[pyo3(get)]
    story: u64,
    status_: Status,
    #[pyo3(get)]
    duplicate_of: Option<String>,
    #[pyo3(get)]
    similarity: Option<f32>,
}

/// A stored article's attributes as `pickle` keeps them.
type StoredState = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    u64,
    u64,
    String,
    Option<String>,
    Option<f32>,
);

impl From<StoredArticle> for PyStoredArticle {
    fn from(s: StoredArticle) -> Self {
        let a = s.article;
        PyStoredArticle {
            id: a.id.into_owned(),
            title: a.title.into_owned(),
            body: a.body.map(|c| c.into_owned()),
            source: a.source.map(|c| c.into_owned()),
            url: a.url.map(|c| c.into_owned()),
            published: a.published.map(|c| c.into_owned()),
            cluster: s.cluster,
            story: s.story,
            status_: s.status,
            duplicate_of: s.duplicate_of,
            similarity: s.similarity,
        }
    }
}

#[pymethods]
impl PyStoredArticle {
    /// ``"new"``, ``"duplicate"`` or ``"near_duplicate"``, as decided at ingest.
    #[getter]
    fn status(&self) -> &'static str {
        self.status_.as_str()
    }

    /// An article from the attributes `pickle` took (what it and `copy` use to rebuild one).
    #[classmethod]
    fn _from_state(_cls: &Bound<'_, pyo3::types::PyType>, state: StoredState) -> PyResult<Self> {
        let (
            id,
            title,
            body,
            source,
            url,
            published,
            cluster,
            story,
            status,
            duplicate_of,
            similarity,
        ) = state;
        Ok(PyStoredArticle {
            id,
            title,
            body,
            source,
            url,
            published,
            cluster,
            story,
            status_: status_named(&status)?,
            duplicate_of,
            similarity,
        })
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (StoredState,))> {
        let a = slf.get();
        let state = (
            a.id.clone(),
            a.title.clone(),
            a.body.clone(),
            a.source.clone(),
            a.url.clone(),
            a.published.clone(),
            a.cluster,
            a.story,
            a.status_.as_str().to_owned(),
            a.duplicate_of.clone(),
            a.similarity,
        );
        reduce(slf.as_any(), state)
    }

    /// The attributes as a dict, ready for ``json.dumps``.
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("id", &self.id)?;
        d.set_item("title", &self.title)?;
        d.set_item("body", &self.body)?;
        d.set_item("source", &self.source)?;
        d.set_item("url", &self.url)?;
        d.set_item("published", &self.published)?;
        d.set_item("cluster", self.cluster)?;
        d.set_item("story", self.story)?;
        d.set_item("status", self.status_.as_str())?;
        d.set_item("duplicate_of", &self.duplicate_of)?;
        d.set_item("similarity", self.similarity)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "StoredArticle(id={}, title={}, status='{}', cluster={}, story={}, duplicate_of={})",
            repr_str(&self.id),
            repr_str(&self.title),
            self.status_.as_str(),
            self.cluster,
            self.story,
            repr_opt_str(&self.duplicate_of)
        )
    }
}

/// A cluster as ``Engine.clusters()`` lists it: ``id``, ``size``, ``representative`` (the founder's
/// headline, or the earliest live member's once the founder was removed) and ``members`` (live member
/// ids, in ingest order).
#[pyclass(frozen, eq, module = "storyhash", name = "ClusterInfo", get_all)]
#[derive(PartialEq)]
pub struct PyClusterInfo {
    id: u64,
    size: u64,
    representative: String,
    members: Vec<String>,
}

impl From<ClusterInfo> for PyClusterInfo {
    fn from(c: ClusterInfo) -> Self {
        PyClusterInfo {
            id: c.id,
            size: c.size,
            representative: c.representative,
            members: c.members,
        }
    }
}

#[pymethods]
impl PyClusterInfo {
    /// A cluster from the attributes `pickle` took.
    #[classmethod]
    fn _from_state(
        _cls: &Bound<'_, pyo3::types::PyType>,
        state: (u64, u64, String, Vec<String>),
    ) -> Self {
        let (id, size, representative, members) = state;
        PyClusterInfo {
            id,
            size,
            representative,
            members,
        }
    }

    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, ((u64, u64, String, Vec<String>),))> {
        let c = slf.get();
        reduce(
            slf.as_any(),
            (c.id, c.size, c.representative.clone(), c.members.clone()),
        )
    }

    /// The attributes as a dict, ready for ``json.dumps``.
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("id", self.id)?;
        d.set_item("size", self.size)?;
        d.set_item("representative", &self.representative)?;
        d.set_item("members", &self.members)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "ClusterInfo(id={}, size={}, representative={})",
            self.id,
            self.size,
            repr_str(&self.representative)
        )
    }
}

/// A member's attributes as `pickle` keeps them: id, title, source, url, time in Unix seconds.
type MemberState = (String, String, Option<String>, Option<String>, i64);

fn member_state(m: &Member) -> MemberState {
    (
        m.id.clone(),
        m.title.clone(),
        m.source.clone(),
        m.url.clone(),
        m.time.unix_seconds(),
    )
}

fn member_of((id, title, source, url, time): MemberState) -> Member {
    Member {
        id,
        title,
        source,
        url,
        time: Timestamp::from_unix_seconds(time),
    }
}

/// A member's attributes as a dict ready for ``json.dumps``, its time as RFC 3339 text (UTC), as the
/// daemon writes it.
fn member_dict<'py>(py: Python<'py>, m: &Member) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("id", &m.id)?;
    d.set_item("title", &m.title)?;
    d.set_item("source", &m.source)?;
    d.set_item("url", &m.url)?;
    d.set_item("time", m.time.to_string())?;
    Ok(d)
}

/// One member of a cluster or story: ``id``, ``title``, ``source``, ``url`` and ``time`` (its
/// publication time, else its arrival).
#[pyclass(frozen, eq, module = "storyhash", name = "Member")]
#[derive(PartialEq)]
pub struct PyMember(Member);

#[pymethods]
impl PyMember {
    /// A member from the attributes `pickle` took (its time in Unix seconds).
    #[classmethod]
    fn _from_state(_cls: &Bound<'_, pyo3::types::PyType>, state: MemberState) -> Self {
        PyMember(member_of(state))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (MemberState,))> {
        reduce(slf.as_any(), member_state(&slf.get().0))
    }

    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }

    #[getter]
    fn title(&self) -> &str {
        &self.0.title
    }

    #[getter]
    fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }

    /// Its URL, when it was given.
    #[getter]
    fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    /// Publication time, else arrival (UTC).
    #[getter]
    fn time<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        datetime(py, self.0.time)
    }

    /// The attributes as a dict, ready for ``json.dumps``: ``time`` as RFC 3339 text (UTC).
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        member_dict(py, &self.0)
    }

    /// Its attributes as they read, the time as the `datetime` it is (its Unix seconds where the
    /// platform makes no `datetime` of it: a repr does not raise).
    fn __repr__(&self, py: Python<'_>) -> String {
        let time = datetime(py, self.0.time)
            .and_then(|t| t.repr())
            .map(|r| r.to_string())
            .unwrap_or_else(|_| self.0.time.unix_seconds().to_string());
        format!(
            "Member(id={}, title={}, source={}, url={}, time={time})",
            repr_str(&self.0.id),
            repr_str(&self.0.title),
            repr_opt_str(&self.0.source),
            repr_opt_str(&self.0.url),
        )
    }
}

/// A group's attributes as `pickle` keeps them.
type GroupState = (
    u64,
    u64,
    String,
    i64,
    i64,
    Vec<String>,
    Vec<MemberState>,
    u64,
);

/// A cluster or a story with its time span, sources and one page of members.
///
/// Attributes: ``id``; ``size`` (live members); ``representative`` (the founder's headline, or the
/// oldest live member's once it is gone); ``first_seen`` and ``last_seen`` (UTC ``datetime``s);
/// ``sources`` (distinct, in order of first appearance, at most 100); ``members`` (the page asked for,
/// in ingest order); ``story`` (the story of its founder; for a story, itself).
#[pyclass(frozen, eq, module = "storyhash", name = "Group")]
#[derive(PartialEq)]
pub struct PyGroup {
    #[pyo3(get)]
    id: u64,
    #[pyo3(get)]
    size: u64,
    #[pyo3(get)]
    representative: String,
    first_seen: Timestamp,
    last_seen: Timestamp,
    #[pyo3(get)]
    sources: Vec<String>,
    members: Vec<Member>,
    #[pyo3(get)]
    story: u64,
}

impl From<ClusterDetail> for PyGroup {
    fn from(c: ClusterDetail) -> Self {
        PyGroup {
            id: c.id,
            size: c.size,
            representative: c.representative,
            first_seen: c.first_seen,
            last_seen: c.last_seen,
            sources: c.sources,
            members: c.members,
            story: c.story,
        }
    }
}

#[pymethods]
impl PyGroup {
    /// A cluster or story from the attributes `pickle` took (times in Unix seconds).
    #[classmethod]
    fn _from_state(_cls: &Bound<'_, pyo3::types::PyType>, state: GroupState) -> Self {
        let (id, size, representative, first_seen, last_seen, sources, members, story) = state;
        PyGroup {
            id,
            size,
            representative,
            first_seen: Timestamp::from_unix_seconds(first_seen),
            last_seen: Timestamp::from_unix_seconds(last_seen),
            sources,
            members: members.into_iter().map(member_of).collect(),
            story,
        }
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (GroupState,))> {
        let g = slf.get();
        let members = g.members.iter().map(member_state).collect();
        let state = (
            g.id,
            g.size,
            g.representative.clone(),
            g.first_seen.unix_seconds(),
            g.last_seen.unix_seconds(),
            g.sources.clone(),
            members,
            g.story,
        );
        reduce(slf.as_any(), state)
    }

    /// Earliest member time (UTC).
    #[getter]
    fn first_seen<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        datetime(py, self.first_seen)
    }

    /// Latest member time (UTC).
    #[getter]
    fn last_seen<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        datetime(py, self.last_seen)
    }

    /// The page of members asked for, in ingest order.
    #[getter]
    fn members(&self) -> Vec<PyMember> {
        self.members.iter().cloned().map(PyMember).collect()
    }

    /// The attributes as a dict, ready for ``json.dumps``: times as RFC 3339 text (UTC), members as
    /// dicts.
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("id", self.id)?;
        d.set_item("size", self.size)?;
        d.set_item("story", self.story)?;
        d.set_item("representative", &self.representative)?;
        d.set_item("first_seen", self.first_seen.to_string())?;
        d.set_item("last_seen", self.last_seen.to_string())?;
        d.set_item("sources", &self.sources)?;
        let members = self
            .members
            .iter()
            .map(|m| member_dict(py, m))
            .collect::<PyResult<Vec<_>>>()?;
        d.set_item("members", members)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "Group(id={}, size={}, story={}, representative={})",
            self.id,
            self.size,
            self.story,
            repr_str(&self.representative)
        )
    }
}

/// A trend's attributes as `pickle` keeps them.
type TrendState = (u64, u64, u64, u64, String, i64);

/// A cluster that grew within a recent window: ``id``, ``story``, ``growth`` (members whose time lies in
/// the window), ``size``, ``representative`` and ``last_seen``.
#[pyclass(frozen, eq, module = "storyhash", name = "Trend")]
#[derive(PartialEq)]
pub struct PyTrend {
    #[pyo3(get)]
    id: u64,
    #[pyo3(get)]
    story: u64,
    #[pyo3(get)]
    growth: u64,
    #[pyo3(get)]
    size: u64,
    #[pyo3(get)]
    representative: String,
    last_seen: Timestamp,
}

impl From<Trend> for PyTrend {
    fn from(t: Trend) -> Self {
        PyTrend {
            id: t.id,
            story: t.story,
            growth: t.growth,
            size: t.size,
            representative: t.representative,
            last_seen: t.last_seen,
        }
    }
}

#[pymethods]
impl PyTrend {
    /// A trend from the attributes `pickle` took (its time in Unix seconds).
    #[classmethod]
    fn _from_state(_cls: &Bound<'_, pyo3::types::PyType>, state: TrendState) -> Self {
        let (id, story, growth, size, representative, last_seen) = state;
        PyTrend {
            id,
            story,
            growth,
            size,
            representative,
            last_seen: Timestamp::from_unix_seconds(last_seen),
        }
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (TrendState,))> {
        let t = slf.get();
        let state = (
            t.id,
            t.story,
            t.growth,
            t.size,
            t.representative.clone(),
            t.last_seen.unix_seconds(),
        );
        reduce(slf.as_any(), state)
    }

    /// Latest member time (UTC).
    #[getter]
    fn last_seen<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        datetime(py, self.last_seen)
    }

    /// The attributes as a dict, ready for ``json.dumps``: ``last_seen`` as RFC 3339 text (UTC).
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("id", self.id)?;
        d.set_item("story", self.story)?;
        d.set_item("growth", self.growth)?;
        d.set_item("size", self.size)?;
        d.set_item("representative", &self.representative)?;
        d.set_item("last_seen", self.last_seen.to_string())?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "Trend(id={}, story={}, growth={}, size={}, representative={})",
            self.id,
            self.story,
            self.growth,
            self.size,
            repr_str(&self.representative)
        )
    }
}

/// Counters of what an engine holds: ``articles`` (live), ``clusters`` (with a live member), ``new``,
/// ``duplicates`` and ``near_duplicates`` (as ingested), ``exact_only`` (too short for the band tables,
/// matched on exact text), ``unreadable_times`` (stored since open with a ``published`` value in no form
/// the engine reads, or more than a day after their arrival; their time is their arrival), ``untimed`` (stored since open without ``published``:
/// their time is their arrival, so those ingested together are parted into stories by content alone).
#[pyclass(frozen, eq, module = "storyhash", name = "Stats", get_all)]
#[derive(PartialEq)]
pub struct PyStats {
    articles: u64,
    clusters: u64,
    new: u64,
    duplicates: u64,
    near_duplicates: u64,
    exact_only: u64,
    unreadable_times: u64,
    untimed: u64,
}

impl From<Stats> for PyStats {
    fn from(s: Stats) -> Self {
        PyStats {
            articles: s.articles,
            clusters: s.clusters,
            new: s.new,
            duplicates: s.duplicates,
            near_duplicates: s.near_duplicates,
            exact_only: s.exact_only,
            unreadable_times: s.unreadable_times,
            untimed: s.untimed,
        }
    }
}

#[pymethods]
impl PyStats {
    /// Counters from those `pickle` took.
    #[classmethod]
    fn _from_state(_cls: &Bound<'_, pyo3::types::PyType>, state: [u64; 8]) -> Self {
        let [articles, clusters, new, duplicates, near_duplicates, exact_only, unreadable_times, untimed] =
            state;
        PyStats {
            articles,
            clusters,
            new,
            duplicates,
            near_duplicates,
            exact_only,
            unreadable_times,
            untimed,
        }
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, ([u64; 8],))> {
        let s = slf.get();
        let state = [
            s.articles,
            s.clusters,
            s.new,
            s.duplicates,
            s.near_duplicates,
            s.exact_only,
            s.unreadable_times,
            s.untimed,
        ];
        reduce(slf.as_any(), state)
    }

    /// The counters as a dict.
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("articles", self.articles)?;
        d.set_item("clusters", self.clusters)?;
        d.set_item("new", self.new)?;
        d.set_item("duplicates", self.duplicates)?;
        d.set_item("near_duplicates", self.near_duplicates)?;
        d.set_item("exact_only", self.exact_only)?;
        d.set_item("unreadable_times", self.unreadable_times)?;
        d.set_item("untimed", self.untimed)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "Stats(articles={}, clusters={}, new={}, duplicates={}, near_duplicates={}, exact_only={}, unreadable_times={}, untimed={})",
            self.articles,
            self.clusters,
            self.new,
            self.duplicates,
            self.near_duplicates,
            self.exact_only,
            self.unreadable_times,
            self.untimed
        )
    }
}
