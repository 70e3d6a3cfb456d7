//! Python values read into what the engine takes: article fields by the rules of the JSON Lines reader
//! (`id` a string or an integer, `title` a string, `body`/`source`/`url` strings or `None`, `published` a
//! string, Unix seconds, milliseconds, microseconds or nanoseconds, a `datetime` or a `date`), points in
//! time, durations and settings. An integer is an `int` or any type with `__index__` (NumPy's). A value
//! of the wrong type is a [`Bad`] naming the field.

use std::borrow::Cow;
use std::time::Duration;

use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDate, PyDateTime, PyDelta, PyFloat, PyInt, PyString};

use storyhash::Timestamp;

use crate::errors::{self, Kind};

/// A value that cannot be a field: of the wrong type (`TypeError`) or unusable (`ArticleError`).
#[derive(Debug)]
pub struct Bad {
    pub type_error: bool,
    pub message: String,
}

impl Bad {
    fn wrong_type(field: &str, expected: &str, found: &Bound<'_, PyAny>) -> Bad {
        let found = type_name(found);
        // pandas' missing value of its nullable types (`pd.NA`).
        let hint = match found.as_str() {
            "NAType" => {
                " (pandas' missing value? give None: `df.astype(object).where(df.notna(), None)`)"
            }
            _ => frame_rows_hint(&found),
        };
        Bad {
            type_error: true,
            message: format!("field `{field}`: expected {expected}, found {found}{hint}"),
        }
    }

    /// The exception, its message prefixed with `context` when given.
    pub fn into_err(self, py: Python<'_>, context: Option<&str>) -> PyErr {
        let message = match context {
            Some(c) => format!("{c}: {}", self.message),
            None => self.message,
        };
        if self.type_error {
            PyTypeError::new_err(message)
        } else {
            errors::new(py, Kind::Article, message)
        }
    }
}

/// What a pandas frame's row is told, as `iterrows()` (a `Series`) or `.values` (an `ndarray`) give it,
/// by the name of its type; nothing for another type.
pub fn frame_rows_hint(type_name: &str) -> &'static str {
    match type_name {
        "Series" | "ndarray" => " (a pandas frame's rows? give `df.to_dict(\"records\")`)",
        _ => "",
    }
}

/// Whether `value` is a pandas `DataFrame` (polars' of the same name is not).
pub fn is_pandas_frame(value: &Bound<'_, PyAny>) -> bool {
    let ty = value.get_type();
    ty.name().is_ok_and(|n| n == "DataFrame")
        && ty
            .module()
            .is_ok_and(|m| m.to_string().starts_with("pandas"))
}

/// The Python type name of `value`, for messages.
pub fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "an object".into())
}

/// A store's directory: a `str`, `bytes` (decoded as `os.fsdecode` does) or any `os.PathLike`; `None`
/// for an engine in memory. Anything else is a `TypeError` naming `path`.
pub fn store_path(value: &Bound<'_, PyAny>) -> PyResult<Option<std::path::PathBuf>> {
    if value.is_none() {
        return Ok(None);
    }
    let py = value.py();
    let os = py.import("os")?;
    let given = match os.call_method1("fspath", (value,)) {
        Ok(given) => given,
        Err(_) => {
            return Err(PyTypeError::new_err(format!(
                "`path`: expected a directory as str or os.PathLike (or None for an engine in \
                 memory), found {}",
                type_name(value)
            )))
        }
    };
    let text = if given.is_instance_of::<PyBytes>() {
        os.call_method1("fsdecode", (given,))?
    } else {
        given
    };
    let path = text.extract::<std::path::PathBuf>()?;
    if path.as_os_str().is_empty() {
        // An empty setting read from the environment, most often: the system's "no such file" for ""
        // would say nothing of where.
        return Err(errors::config(
            py,
            "path",
            "is empty: give the store's directory, or None for an engine in memory",
        ));
    }
    Ok(Some(path))
}

/// `value` as a Python `int` when it is an integer: an `int` (not a `bool`) or any other integer type
/// that says so with `__index__` (NumPy's `int64`, …).
fn integer<'py>(value: &Bound<'py, PyAny>) -> Option<Bound<'py, PyAny>> {
    if value.is_instance_of::<PyBool>() {
        return None;
    }
    if value.is_instance_of::<PyInt>() {
        return Some(value.clone());
    }
    if value.is_instance_of::<PyFloat>()
        || value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyBytes>()
        || !value.hasattr("__index__").unwrap_or(false)
    {
        return None;
    }
    value.call_method0("__index__").ok()
}

/// An id, a count or a limit: a whole number from 0. A negative one is a `ValueError` (Python's own
/// conversion would raise `OverflowError`), any other type a `TypeError`.
pub fn natural(value: &Bound<'_, PyAny>) -> PyResult<u64> {
    // Beyond 64 bits: as large as a `u64` goes, which as an id to look up or a count changes nothing.
    natural_within(value).map(|(n, _)| n.unwrap_or(u64::MAX))
}

/// [`natural`], with `None` for a number beyond 64 bits rather than the largest `u64`, and the number
/// as a Python `int`.
pub fn natural_within<'py>(
    value: &Bound<'py, PyAny>,
) -> PyResult<(Option<u64>, Bound<'py, PyAny>)> {
    let Some(n) = integer(value) else {
        return Err(PyTypeError::new_err(format!(
            "expected a whole number from 0, found {}",
            type_name(value)
        )));
    };
    if n.lt(0)? {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "{n} is negative: ids, counts and limits are whole numbers from 0"
        )));
    }
    match n.extract::<u64>() {
        Ok(small) => Ok((Some(small), n)),
        Err(e) if e.is_instance_of::<PyOverflowError>(value.py()) => Ok((None, n)),
        Err(e) => Err(e),
    }
}

/// [`natural`] as a `usize`.
pub fn natural_usize(value: &Bound<'_, PyAny>) -> PyResult<usize> {
    natural(value).map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// `result` with its error's message led by the argument `name` it came from, its type kept.
pub fn of_argument<T>(py: Python<'_>, name: &str, result: PyResult<T>) -> PyResult<T> {
    result.map_err(|e| {
        let message = format!("`{name}`: {}", e.value(py));
        match e.is_instance_of::<PyTypeError>(py) {
            true => PyTypeError::new_err(message),
            false => pyo3::exceptions::PyValueError::new_err(message),
        }
    })
}

/// A cluster's or story's id argument: [`natural`], an error naming `id`.
pub fn group_id(value: &Bound<'_, PyAny>) -> PyResult<u64> {
    of_argument(value.py(), "id", natural(value))
}

/// The `offset` of a page of members: [`natural_usize`], an error naming it.
pub fn offset(value: &Bound<'_, PyAny>) -> PyResult<usize> {
    of_argument(value.py(), "offset", natural_usize(value))
}

/// The `limit` of a page or a list: [`natural_usize`], an error naming it.
pub fn limit(value: &Bound<'_, PyAny>) -> PyResult<usize> {
    of_argument(value.py(), "limit", natural_usize(value))
}

/// The `min_size` of the clusters listed: [`natural`], an error naming it.
pub fn min_size(value: &Bound<'_, PyAny>) -> PyResult<u64> {
    of_argument(value.py(), "min_size", natural(value))
}

/// An integer setting within `min..=max`: a `ConfigError` naming it when out of range, a `TypeError`
/// when it is not an integer.
pub fn whole(
    py: Python<'_>,
    name: &str,
    value: &Bound<'_, PyAny>,
    min: i128,
    max: i128,
) -> PyResult<i128> {
    let out_of_range = || errors::config(py, name, format!("must be from {min} to {max}"));
    let Some(n) = integer(value) else {
        return Err(PyTypeError::new_err(format!(
            "`{name}`: expected an integer, found {}",
            type_name(value)
        )));
    };
    match n.extract::<i128>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        // Said by the side it misses: a bound at the type's limit (0 to 2^64 − 1) tells a reader little.
        Ok(n) if n < min => Err(errors::config(
            py,
            name,
            format!("{n} is out of range: must be a whole number from {min}"),
        )),
        Ok(n) => Err(errors::config(
            py,
            name,
            format!("{n} is out of range: must be at most {max}"),
        )),
        Err(e) if e.is_instance_of::<PyOverflowError>(py) => Err(out_of_range()),
        Err(e) => Err(e),
    }
}

fn text<'a>(field: &str, s: &'a Bound<'_, PyString>) -> Result<&'a str, Bad> {
    s.to_str().map_err(|e| Bad {
        type_error: false,
        message: format!("field `{field}` is not valid Unicode text: {e}"),
    })
}

/// Integer `n` of field `field` in decimal: its value, not what a subclass's `__str__` says (an
/// `IntEnum`'s name), and an error where Python will not write it (past `sys.set_int_max_str_digits`).
fn decimal(field: &str, n: &Bound<'_, PyAny>) -> Result<String, Bad> {
    if let Ok(v) = n.extract::<i128>() {
        return Ok(v.to_string());
    }
    n.py()
        .get_type::<PyInt>()
        .call_method1("__repr__", (n,))
        .and_then(|text| text.extract::<String>())
        .map_err(|e| Bad {
            type_error: false,
            message: format!("field `{field}`: an integer Python will not write in decimal: {e}"),
        })
}

/// The `id` field: a string, or an integer written in decimal.
pub fn id<'a>(value: &'a Bound<'_, PyAny>) -> Result<Cow<'a, str>, Bad> {
    if let Ok(s) = value.cast::<PyString>() {
        return text("id", s).map(Cow::Borrowed);
    }
    if let Some(n) = integer(value) {
        return decimal("id", &n).map(Cow::Owned);
    }
    Err(Bad::wrong_type("id", "a string or an integer", value))
}

/// The `title` field: a string.
pub fn title<'a>(value: &'a Bound<'_, PyAny>) -> Result<&'a str, Bad> {
    match value.cast::<PyString>() {
        Ok(s) => text("title", s),
        Err(_) => Err(Bad::wrong_type("title", "a string", value)),
    }
}

/// An optional text field (`body`, `source`, `url`): a string or `None`.
pub fn optional<'a>(
    field: &str,
    value: Option<&'a Bound<'_, PyAny>>,
) -> Result<Option<&'a str>, Bad> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => match v.cast::<PyString>() {
            Ok(s) => text(field, s).map(Some),
            Err(_) => {
                let mut bad = Bad::wrong_type(field, "a string or None", v);
                if v.cast::<PyFloat>().is_ok_and(|f| f.value().is_nan()) {
                    // pandas writes a missing text as NaN.
                    bad.message.push_str(
                        " (NaN, pandas' missing value? give None: \
                         `df.astype(object).where(df.notna(), None)`)",
                    );
                }
                Err(bad)
            }
        },
    }
}

/// Whole seconds of a `datetime` (naive ones are local time, as `datetime.timestamp()` takes them).
/// Python's refusal of a naive one it cannot place in local time (`datetime(1, 1, 1)` east of UTC: "year
/// 0 is out of range") says what to give instead.
fn datetime_seconds(value: &Bound<'_, PyAny>) -> PyResult<i64> {
    let seconds: f64 = match value.call_method0("timestamp") {
        Ok(seconds) => seconds.extract()?,
        Err(e) if value.getattr("tzinfo").is_ok_and(|tz| tz.is_none()) => {
            let py = value.py();
            return Err(PyErr::from_type(
                e.get_type(py),
                format!(
                    "{} (a datetime without tzinfo is read as local time, which this one has none \
                     of: give it one, such as tzinfo=timezone.utc)",
                    e.value(py)
                ),
            ));
        }
        Err(e) => return Err(e),
    };
    Ok(seconds.floor() as i64)
}

/// The `published` field, kept as text the engine reads: a string as given, Unix seconds or
/// milliseconds (an `int`, or a `float` whose fraction is dropped), a `datetime` (RFC 3339 in UTC) or a
/// `date` (`YYYY-MM-DD`), or `None`.
pub fn published<'a>(value: Option<&'a Bound<'_, PyAny>>) -> Result<Option<Cow<'a, str>>, Bad> {
    let Some(v) = value else { return Ok(None) };
    if v.is_none() {
        return Ok(None);
    }
    if let Ok(s) = v.cast::<PyString>() {
        return text("published", s).map(|s| Some(Cow::Borrowed(s)));
    }
    if v.is_instance_of::<PyBool>() {
        return Err(Bad::wrong_type(
            "published",
            "a string, a number, a datetime or None",
            v,
        ));
    }
    if let Some(n) = integer(v) {
        return decimal("published", &n).map(|text| Some(Cow::Owned(text)));
    }
    if let Ok(f) = v.cast::<PyFloat>() {
        let f = f.value();
        if !f.is_finite() {
            // Not a time; pandas writes a missing one as NaN.
            let hint = match f.is_nan() {
                true => " (NaN, pandas' missing value? give None: `df.astype(object).where(df.notna(), None)`)",
                false => "",
            };
            return Err(Bad {
                type_error: false,
                message: format!("field `published` is {f}, not a time{hint}"),
            });
        }
        // As the JSON Lines reader does: exact whole seconds below 2^53, anything else kept as written
        // (and counted as unreadable).
        let text = if (0.0..9_007_199_254_740_992.0).contains(&f) {
            (f.floor() as u64).to_string()
        } else {
            f.to_string()
        };
        return Ok(Some(Cow::Owned(text)));
    }
    if v.is_instance_of::<PyDateTime>() {
        let seconds = datetime_seconds(v).map_err(|e| {
            // pandas writes a missing time as NaT, a datetime unequal to itself that has no timestamp.
            let message = match v.ne(v).unwrap_or(false) {
                true => format!(
                    "field `published` is {}, not a time (pandas' missing time? give None: \
                     `df.astype(object).where(df.notna(), None)`)",
                    v.str()
                        .map_or_else(|_| "NaT".to_string(), |s| s.to_string())
                ),
                false => format!("field `published`: {e}"),
            };
            Bad {
                type_error: false,
                message,
            }
        })?;
        return Ok(Some(Cow::Owned(
            Timestamp::from_unix_seconds(seconds).to_string(),
        )));
    }
    if let Some(written) = numpy_datetime(v)? {
        return Ok(Some(Cow::Owned(written)));
    }
    if v.is_instance_of::<PyDate>() {
        let iso: String = v
            .call_method0("isoformat")
            .and_then(|s| s.extract())
            .map_err(|e| Bad {
                type_error: false,
                message: format!("field `published`: {e}"),
            })?;
        return Ok(Some(Cow::Owned(iso)));
    }
    Err(Bad::wrong_type(
        "published",
        "a string, a number, a datetime or None",
        v,
    ))
}

/// A NumPy `datetime64` (what a pandas column of times gives as `.to_numpy()` or `.values`), read from the
/// text NumPy writes, `2014-03-10T16:32:05.000000000`, as UTC, as NumPy means it. `None` for any other
/// value; NaT is refused with the way to pass a missing time.
fn numpy_datetime(v: &Bound<'_, PyAny>) -> Result<Option<String>, Bad> {
    let ty = v.get_type();
    let is_datetime64 =
        ty.name().is_ok_and(|n| n == "datetime64") && ty.module().is_ok_and(|m| m == "numpy");
    if !is_datetime64 {
        return Ok(None);
    }
    let written = v.str().map(|s| s.to_string()).map_err(|e| Bad {
        type_error: false,
        message: format!("field `published`: {e}"),
    })?;
    if written == "NaT" {
        return Err(Bad {
            type_error: false,
            message: "field `published` is NaT, not a time (pandas' missing time? give None: \
                      `df.astype(object).where(df.notna(), None)`)"
                .into(),
        });
    }
    // Kept as a `datetime` is, in RFC 3339; a unit coarser than a day (`2014-03`) as written.
    Ok(Some(
        Timestamp::parse(&written).map_or(written, |t| t.to_string()),
    ))
}

/// A point in time given as a `datetime`, a `date` (its midnight in UTC), Unix seconds, a `timedelta`
/// or a duration string with its unit (`"24h"`, `"7d"`) meaning that long ago, or an RFC 3339 string.
/// A string of digits alone is refused: as a duration it would mean seconds ago, where the same number
/// given as an `int` is Unix seconds; so is a number of seconds after the epoch but before 2001 (most
/// likely an age).
pub fn point_in_time(py: Python<'_>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<Timestamp> {
    if value.is_instance_of::<PyDateTime>() {
        // Python's own error for a datetime it cannot place (a naive `datetime.min` east of UTC: "year
        // 0 is out of range") names no argument: say which.
        return datetime_seconds(value)
            .map(Timestamp::from_unix_seconds)
            .map_err(|e| errors::config(py, name, e.value(py).to_string()));
    }
    if value.is_instance_of::<PyDate>() {
        let iso: String = value.call_method0("isoformat")?.extract()?;
        return Timestamp::parse(&iso).ok_or_else(|| {
            errors::config(py, name, format!("`{iso}` is not a date storyhash reads"))
        });
    }
    if value.is_instance_of::<PyDelta>() {
        let ago: Duration = value
            .extract()
            .map_err(|_| errors::config(py, name, "a timedelta must not be negative"))?;
        return Ok(Timestamp::now().before(ago));
    }
    let number =
        integer(value).or_else(|| (value.is_instance_of::<PyFloat>()).then(|| value.clone()));
    if let Some(number) = number {
        // An int past a float's range: Python's OverflowError names no argument.
        let seconds: f64 = number
            .extract()
            .map_err(|e: PyErr| errors::config(py, name, e.value(py).to_string()))?;
        if !seconds.is_finite() {
            return Err(errors::config(
                py,
                name,
                "must be a finite number of seconds",
            ));
        }
        // Unix seconds have had ten digits since 2001: a smaller number (but 0, the epoch: "since
        // always") is most likely an age meant in seconds (`prune(30 * 86400)`), which as a time would
        // name a day of 1970 and match nothing.
        if seconds > 0.0 && seconds < 1e9 {
            let meant = Timestamp::from_unix_seconds(seconds.floor() as i64);
            return Err(errors::config(
                py,
                name,
                format!(
                    "{seconds} is read as Unix seconds, {meant}; for an age pass a timedelta or a string \
                     with its unit (\"30d\"), for an early time a datetime"
                ),
            ));
        }
        return Ok(Timestamp::from_unix_seconds(seconds.floor() as i64));
    }
    if let Ok(s) = value.cast::<PyString>() {
        let s = s
            .to_str()
            .map_err(|e| errors::config(py, name, format!("not Unicode text: {}", e.value(py))))?;
        if let Some(message) = digits_without_unit(s, &["d", "h", "s"]) {
            return Err(errors::config(py, name, message));
        }
        if let Ok(ago) = storyhash::time::parse_duration(s) {
            return Ok(Timestamp::now().before(Duration::from_secs(ago)));
        }
        return Timestamp::parse(s).ok_or_else(|| {
            errors::config(
                py,
                name,
                format!("`{s}` is neither a duration (24h, 7d) nor a time (2026-11-28T00:00:00Z)"),
            )
        });
    }
    Err(PyTypeError::new_err(format!(
        "`{name}`: expected a datetime, a date, a timedelta, Unix seconds or a string, found {}",
        type_name(value)
    )))
}

/// The refusal of a time or an age written as digits alone, `None` for other text. Ten digits or more
/// read as a time of this century; fewer, as an age (as numbers are), whose `units` are suggested.
fn digits_without_unit(text: &str, units: &[&str]) -> Option<String> {
    let digits = text.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(if digits.trim_start_matches('0').len() >= 10 {
        format!(
            "`{text}` has no unit: pass Unix seconds as a number ({digits}), or an age with its unit \
             (\"30d\", \"24h\")"
        )
    } else {
        let ages: Vec<String> = units
            .iter()
            .map(|unit| format!("\"{digits}{unit}\""))
            .collect();
        format!(
            "`{text}` has no unit: pass an age with its unit ({}), or a time as a datetime",
            ages.join(", ")
        )
    })
}

/// What `prune(before)` drops before: a [`point_in_time`], of which an age is read as `storyhash prune
/// --older-than` reads it ([`storyhash::time::parse_prune_age`]): at least a minute, less dropping every
/// article stored until a moment ago (the slip of a unit, `"30s"` for `"30d"`), and `"6m"` refused as
/// six months meant. A time (a datetime, Unix seconds) is taken as given.
pub fn prune_point(py: Python<'_>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<Timestamp> {
    if value.is_instance_of::<PyDelta>() {
        if let Ok(age) = value.extract::<Duration>() {
            if age.as_secs() < 60 {
                return Err(errors::config(
                    py,
                    name,
                    format!(
                        "an age of {} s would prune every article stored until a moment ago; keep at \
                         least a minute (a timedelta of 30 days keeps a month), or give a time (a \
                         datetime) to prune before it",
                        age.as_secs_f64()
                    ),
                ));
            }
        }
    } else if let Ok(s) = value.cast::<PyString>() {
        // Digits alone: an age is suggested in the units a prune takes (not seconds, which it refuses).
        if let Some(message) = s
            .to_str()
            .ok()
            .and_then(|t| digits_without_unit(t, &["d", "h", "w"]))
        {
            return Err(errors::config(py, name, message));
        }
        // Neither a time nor digits alone: an age.
        if let Some(text) = s.to_str().ok().filter(|t| {
            let t = t.trim();
            Timestamp::parse(t).is_none() && !t.bytes().all(|b| b.is_ascii_digit())
        }) {
            let age = storyhash::time::parse_prune_age(text)
                .map_err(|why| errors::config(py, name, why))?;
            return Ok(Timestamp::now().before(Duration::from_secs(age)));
        }
    }
    point_in_time(py, name, value)
}

/// A duration given as a `timedelta`, seconds, or a string such as `"7d"` or `"36h"`.
pub fn duration(py: Python<'_>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    if value.is_instance_of::<PyDelta>() {
        return value
            .extract()
            .map_err(|_| errors::config(py, name, "a timedelta must not be negative"));
    }
    let number =
        integer(value).or_else(|| (value.is_instance_of::<PyFloat>()).then(|| value.clone()));
    if let Some(number) = number {
        // An int past a float's range: Python's OverflowError names no argument.
        let seconds: f64 = number
            .extract()
            .map_err(|e: PyErr| errors::config(py, name, e.value(py).to_string()))?;
        if !(seconds.is_finite() && seconds >= 0.0) {
            return Err(errors::config(
                py,
                name,
                format!("{seconds} is not a number of seconds"),
            ));
        }
        return Ok(Duration::from_secs_f64(seconds.min(u64::MAX as f64 / 4.0)));
    }
    if let Ok(s) = value.cast::<PyString>() {
        let s = s
            .to_str()
            .map_err(|e| errors::config(py, name, format!("not Unicode text: {}", e.value(py))))?;
        if let Some(refused) = storyhash::time::minutes_written_m(s) {
            return Err(errors::config(py, name, refused));
        }
        return storyhash::time::parse_duration(s)
            .map(Duration::from_secs)
            .map_err(|e| errors::config(py, name, e));
    }
    Err(PyTypeError::new_err(format!(
        "`{name}`: expected a timedelta, seconds or a string such as \"7d\", found {}",
        type_name(value)
    )))
}
