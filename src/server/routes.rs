//! The daemon's routes on axum: [`router`] maps method and path to a handler; tower-http bounds the request
//! body (size and time) and compresses the page and large answers. The write routes check the bearer
//! token before anything else (`token_first`); handlers decode the body ([`decode_articles`]) and
//! answer JSON whose errors name the field and the array index or line at fault; reads run on tokio's
//! blocking pool, writes go to the commit thread (in multi-node mode, to the shared log through the
//! replica, answered once applied here). A layer around
//! everything counts each request under its [`Route`] and turns the stack's own refusals (an oversized or
//! slow body, an unknown route or method) into the same JSON errors.

// A refused request is answered with the response itself, built once per request: boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State as With};
use axum::http::header::{self, HeaderValue};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, post, MethodRouter};
use axum::Router;
use http_body_util::{BodyExt, LengthLimitError};
use serde::Serialize;
use serde_json::{json, Value};
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::{RequestBodyDeadlineLayer, TimeoutError};

use super::commit::{Outcome, Refused};
use super::metrics::{Gauges, Route};
use super::State;
use crate::engine::Engine;
use crate::error::{ArticleError, Error};
use crate::io::{parse_document_with, DocumentIds, FieldNames, NOT_JSON};
use crate::model::{Article, Verdict};
use crate::time;

type Answer = Response;
type Shared = With<Arc<State>>;

/// How a request's articles were written, so that the answer takes the same shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One JSON object: one verdict object back.
    Object,
    /// A JSON array: an array of verdicts back.
    Array,
    /// NDJSON: one verdict line per article.
    Lines,
}

/// Articles decoded from a request body, with the line each came from (NDJSON) for error messages.
#[derive(Debug)]
pub struct Decoded {
    /// The articles, in order.
    pub articles: Vec<Article<'static>>,
    /// Line of each article (NDJSON only).
    pub lines: Vec<u64>,
    /// The form they came in.
    pub shape: Shape,
}

/// A refused request body: what is wrong and where.
#[derive(Debug, PartialEq, Eq)]
pub struct BodyError {
    /// Array index of the article at fault.
    pub index: Option<usize>,
    /// NDJSON line of the article at fault.
    pub line: Option<u64>,
    /// Field at fault.
    pub field: Option<&'static str>,
    /// What is wrong.
    pub message: String,
}

/// Decodes a request body: one article object, a JSON array of them, or (`ndjson`) one object per line,
/// each field read from the key `names` gives it (`serve --body-field description`). Every article must
/// carry a title, and an id unless `ids` lets it leave the id out (a query's, whose id is then empty);
/// the first problem refuses the whole body.
pub fn decode_articles(
    body: &[u8],
    ndjson: bool,
    names: &FieldNames,
    ids: DocumentIds,
) -> Result<Decoded, BodyError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        let before = &body[..e.valid_up_to()];
        // The bad byte counted from 1 within its line, as `storyhash ingest` and `dedupe` count it.
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        BodyError {
            index: None,
            line: Some(1 + before.iter().filter(|&&b| b == b'\n').count() as u64),
            field: None,
            message: format!(
                "the body is not UTF-8 (byte {} of its line)",
                e.valid_up_to() - line_start + 1
            ),
        }
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if ndjson {
        let mut articles = Vec::new();
        let mut lines = Vec::new();
        for (n, line) in text.split('\n').enumerate() {
            let line_no = n as u64 + 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() {
                continue;
            }
            let at = |field, message| BodyError {
                index: None,
                line: Some(line_no),
                field,
                message,
            };
            if !line.trim_start().starts_with('{') {
                let message = if line.trim_start().starts_with('[') {
                    "expected an article object, found an array: NDJSON holds one article object per \
                     line; send an array as application/json"
                } else {
                    "expected an article object"
                };
                return Err(at(None, message.into()));
            }
            let mut parsed = parse_document_with(line, names, ids).map_err(|mut e| {
                // The parser reads the line alone, so its "line 1" is the body's `line`, given beside.
                if let Some((what, column)) = e.message.rsplit_once(" at line 1 column ") {
                    e.message = format!("{what} at column {column}");
                }
                let message = if e.message.starts_with("trailing characters") {
                    format!(
                        "{}: the line holds more than one JSON value; NDJSON holds one article per \
                         line (curl -d joins a file's lines into one: send it with --data-binary @FILE)",
                        e.message
                    )
                } else {
                    e.message
                };
                at(e.field, message)
            })?;
            articles.extend(parsed.drain(..).map(Article::into_owned));
            lines.push(line_no);
        }
        return Ok(Decoded {
            articles,
            lines,
            shape: Shape::Lines,
        });
    }
    let shape = if text.trim_start().starts_with('[') {
        Shape::Array
    } else {
        Shape::Object
    };
    let articles = parse_document_with(text, names, ids).map_err(|e| BodyError {
        index: e.index,
        line: None,
        field: e.field,
        // One object after another (NDJSON sent as JSON, or curl's -d joining its lines): say how
        // such a body is sent.
        message: if e.message.starts_with("trailing characters") && shape == Shape::Object {
            format!(
                "{}: the body holds more than one JSON value; send one article per line with \
                 Content-Type: application/x-ndjson (curl --data-binary @FILE, not -d, which joins \
                 the lines), or an array of articles",
                e.message
            )
        } else if text.trim().is_empty() {
            "the body is empty: send an article object, an array of articles, or articles one per \
             line with Content-Type: application/x-ndjson"
                .to_string()
        } else if let Some(why) = e.message.strip_prefix(NOT_JSON) {
            format!(
                "the body is not JSON ({why}): send an article object, an array of articles, or \
                 articles one per line with Content-Type: application/x-ndjson"
            )
        } else {
            e.message
        },
    })?;
    Ok(Decoded {
        articles: articles.into_iter().map(Article::into_owned).collect(),
        lines: Vec::new(),
        shape,
    })
}

fn json_answer(status: StatusCode, value: &impl Serialize) -> Answer {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn error_answer(status: StatusCode, message: impl Into<String>) -> Answer {
    let message = message.into();
    let mut answer = json_answer(status, &json!({ "error": message }));
    answer.extensions_mut().insert(Said(message));
    answer
}

/// What an error answer said, kept beside its body for the log's line about it.
#[derive(Clone)]
struct Said(String);

/// The 503 of a daemon that takes no writes until an operator acts (its store failed, its node of a
/// shared log halted): no `Retry-After`, which would have a client retry here for ever.
fn unavailable_until_restarted(message: &str) -> Answer {
    error_answer(StatusCode::SERVICE_UNAVAILABLE, message)
}

fn unavailable(message: &str, retry_after_s: u32) -> Answer {
    let mut r = error_answer(StatusCode::SERVICE_UNAVAILABLE, message);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
    r
}

/// Marks an answer with the route it is counted under.
fn counted(route: Route, mut answer: Answer) -> Answer {
    answer.extensions_mut().insert(route);
    answer
}

/// Splits a query string into decoded `(key, value)` pairs.
fn query_pairs(query: Option<&str>) -> Result<Vec<(String, String)>, String> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((percent_decode(k)?, percent_decode(&v.replace('+', " "))?))
        })
        .collect()
}

/// The decoded query pairs of a route that takes the parameters `known`, each at most once: a mistyped
/// name (`sinc=1h`) or one the route does not take (`offset` on a ranked list) is a 400 naming what it
/// takes, not a default answered as if it were asked for.
fn route_query(uri: &Uri, known: &[&str]) -> Result<Vec<(String, String)>, Answer> {
    let pairs = query_pairs(uri.query()).map_err(|e| error_answer(StatusCode::BAD_REQUEST, e))?;
    for (i, (key, _)) in pairs.iter().enumerate() {
        let message = if known.is_empty() {
            format!(
                "unknown query parameter `{key}`; {} takes no query parameters",
                uri.path()
            )
        } else if !known.contains(&key.as_str()) {
            format!(
                "unknown query parameter `{key}`; {} takes {}",
                uri.path(),
                known.join(", ")
            )
        } else if pairs[..i].iter().any(|(k, _)| k == key) {
            format!("query parameter `{key}` is given twice")
        } else {
            continue;
        };
        return Err(error_answer(StatusCode::BAD_REQUEST, message));
    }
    Ok(pairs)
}

/// `text` with every byte but letters, digits and `-._~` percent-encoded, as a path segment carries it.
fn percent_encoded(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Decodes `%XX` escapes; the result must be UTF-8.
pub fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent escape in `{text}`"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("`{text}` does not decode to UTF-8"))
}

/// Compares two tokens in time that does not depend on where they differ.
fn same_token(given: &[u8], wanted: &[u8]) -> bool {
    given.len() == wanted.len() && given.iter().zip(wanted).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0
}

fn authorized(state: &State, headers: &HeaderMap) -> Result<(), Answer> {
    let Some(token) = &state.config.token else {
        return Ok(());
    };
    // The scheme's name is case-insensitive (RFC 9110, section 11.1).
    let given = headers.get(header::AUTHORIZATION).and_then(|v| {
        let v = v.as_bytes();
        let scheme = v.get(..7)?;
        scheme
            .eq_ignore_ascii_case(b"Bearer ")
            .then(|| v[7..].trim_ascii_start())
    });
    match given {
        Some(given) if same_token(given, token.as_bytes()) => Ok(()),
        _ => {
            let mut r = error_answer(
                StatusCode::UNAUTHORIZED,
                "this route needs `Authorization: Bearer <token>` with the daemon's token",
            );
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            Err(r)
        }
    }
}

fn too_large(limit: usize) -> Answer {
    error_answer(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the request body exceeds the limit of {limit} bytes (--max-body)"),
    )
}

fn too_slow(timeout: Duration) -> Answer {
    error_answer(
        StatusCode::REQUEST_TIMEOUT,
        format!(
            "the request body did not arrive within {} s (--request-timeout)",
            timeout.as_secs()
        ),
    )
}

/// Reads the body; the layers in [`router`] bound its size and the time it may take.
async fn read_body(state: &State, body: Body) -> Result<Bytes, Answer> {
    match body.collect().await {
        Ok(body) => Ok(body.to_bytes()),
        Err(e) => {
            let source = std::error::Error::source(&e);
            let is = |f: &dyn Fn(&(dyn std::error::Error + 'static)) -> bool| {
                let mut cause: Option<&(dyn std::error::Error + 'static)> = source;
                while let Some(c) = cause {
                    if f(c) {
                        return true;
                    }
                    cause = c.source();
                }
                false
            };
            if is(&|c| c.is::<LengthLimitError>()) {
                Err(too_large(state.config.limits.max_body_bytes))
            } else if is(&|c| c.is::<TimeoutError>()) {
                Err(too_slow(state.config.limits.body_timeout))
            } else {
                Err(error_answer(
                    StatusCode::BAD_REQUEST,
                    format!("cannot read the request body: {e}"),
                ))
            }
        }
    }
}

fn is_ndjson(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let v = v.split(';').next().unwrap_or("").trim();
            v.eq_ignore_ascii_case("application/x-ndjson")
                || v.eq_ignore_ascii_case("application/ndjson")
                || v.eq_ignore_ascii_case("application/jsonl")
                || v.eq_ignore_ascii_case("application/jsonlines")
        })
}

/// Why a body's declared type cannot be articles (a form upload, XML, a page, text in another charset, a
/// file that is not text), or `None`. What `curl -d` declares (`application/x-www-form-urlencoded`), plain text and no type at all
/// are read as JSON, as the body says.
fn refused_media_type(headers: &HeaderMap) -> Option<String> {
    let declared = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let mut parts = declared.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let charset = parts
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, v)| v.trim().trim_matches('"').to_ascii_lowercase());
    // A charset of which ASCII JSON is not ASCII. Others (ISO-8859-1, which some HTTP clients declare
    // by default) are read as UTF-8, as their ASCII is, and refused by the UTF-8 check if not.
    let wide =
        |c: &String| c.starts_with("utf-16") || c.starts_with("utf-32") || c.starts_with("ucs-");
    if let Some(charset) = charset.filter(wide) {
        return Some(format!(
            "charset `{charset}` is not read; send the body as UTF-8"
        ));
    }
    let csv = matches!(media.as_str(), "text/csv" | "application/csv");
    let not_articles = csv
        || media == "text/tab-separated-values"
        || media.starts_with("multipart/")
        || media.ends_with("/xml")
        || media.ends_with("+xml")
        || media == "text/html"
        // Files that are not text: a picture, a sound, a video, a PDF or an archive posted by mistake.
        || ["image/", "audio/", "video/", "font/"]
            .iter()
            .any(|kind| media.starts_with(kind))
        || matches!(
            media.as_str(),
            "application/pdf"
                | "application/zip"
                | "application/gzip"
                | "application/x-gzip"
                | "application/x-tar"
                | "application/x-bzip2"
                | "application/x-xz"
                | "application/zstd"
                | "application/x-7z-compressed"
                | "application/vnd.rar"
        );
    not_articles.then(|| {
        format!(
            "Content-Type `{media}` is not read; send JSON (application/json: an article object or an \
             array of them) or NDJSON (application/x-ndjson: one article per line){}",
            if csv {
                " (`storyhash dedupe FILE` reads CSV)"
            } else {
                ""
            }
        )
    })
}

fn body_error_answer(e: BodyError) -> Answer {
    let mut v = json!({ "error": e.message });
    if let Some(index) = e.index {
        v["index"] = json!(index);
    }
    if let Some(line) = e.line {
        v["line"] = json!(line);
    }
    if let Some(field) = e.field {
        v["field"] = json!(field);
    }
    json_answer(StatusCode::BAD_REQUEST, &v)
}

/// Reads and decodes a body of articles, within the batch limit. An empty array or NDJSON body is a
/// request of no article.
async fn articles_from(
    state: &State,
    headers: &HeaderMap,
    body: Body,
    ids: DocumentIds,
) -> Result<Decoded, Answer> {
    // A compressed body would read as bytes that are not UTF-8; say what it is instead.
    if let Some(coding) = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("identity"))
    {
        return Err(error_answer(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Content-Encoding `{coding}` is not read; send the body uncompressed"),
        ));
    }
    if let Some(refused) = refused_media_type(headers) {
        return Err(error_answer(StatusCode::UNSUPPORTED_MEDIA_TYPE, refused));
    }
    let ndjson = is_ndjson(headers);
    let body = read_body(state, body).await?;
    let max = state.config.limits.max_batch;
    let too_many = |count: usize| {
        error_answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("{count} articles in one request; the limit is {max} (--max-batch)"),
        )
    };
    // Counted before they are decoded: a body of many small articles decodes into several times its
    // size, which the batch limit is there to bound.
    let counted = articles_in(&body, ndjson);
    if counted > max {
        return Err(too_many(counted));
    }
    let decoded =
        decode_articles(&body, ndjson, &state.config.fields, ids).map_err(body_error_answer)?;
    if decoded.articles.len() > max {
        return Err(too_many(decoded.articles.len()));
    }
    Ok(decoded)
}

/// How many articles `body` holds, read without decoding them: its lines with something on them
/// (NDJSON), or the objects of a top-level array (JSON; one for anything else). Exact for a body that
/// decodes; for one that does not, what its bytes suggest.
fn articles_in(body: &[u8], ndjson: bool) -> usize {
    if ndjson {
        return body
            .split(|&b| b == b'\n')
            .filter(|line| line.iter().any(|b| !b.is_ascii_whitespace()))
            .count();
    }
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    if start.is_none_or(|at| body[at] != b'[') {
        return 1;
    }
    let (mut depth, mut in_string, mut escaped, mut count) = (0u32, false, false, 0);
    for &b in body {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                if b == b'{' && depth == 1 {
                    count += 1;
                }
                depth += 1;
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    count
}

/// Article `pos`'s id among the ids of a request that stores its articles in order, and the ids before
/// it, where an id conflict may lie.
fn stored_in_order(ids: &[String], pos: usize) -> (&str, &[String]) {
    (
        ids.get(pos).map_or("", String::as_str),
        &ids[..pos.min(ids.len())],
    )
}

/// The answer for article `pos` of a request being refused, `id` its id; `earlier` holds the ids of the
/// request's articles before it that it would have been stored after (none for a query, which stores
/// nothing), where an id conflict may lie.
fn article_error_answer(
    decoded_lines: &[u64],
    shape: Shape,
    pos: usize,
    (id, earlier): (&str, &[String]),
    e: &Error,
    names: &FieldNames,
) -> Answer {
    let (status, v) = article_error(decoded_lines, shape, pos, (id, earlier), e, names);
    json_answer(status, &v)
}

/// [`article_error_answer`] for a write refused; for an id conflict, listing under `conflicts` every
/// article of the request whose id conflicts (`positions` of the request's `ids`, ascending, and `pos`),
/// so that a client can leave them all out at once.
fn conflicts_answer(
    decoded_lines: &[u64],
    shape: Shape,
    pos: usize,
    (ids, earlier): (&[String], Earlier),
    e: &Error,
    positions: &[usize],
    names: &FieldNames,
) -> Answer {
    let (id, before) = stored_in_order(ids, pos);
    let before = match earlier {
        Earlier::Stored => before,
        Earlier::NotStored => &[],
    };
    let (status, mut v) = article_error(decoded_lines, shape, pos, (id, before), e, names);
    if let Error::Article(ArticleError::IdConflict { .. }) = e {
        // The one refused among them, whatever changed in the store since (a removal).
        let mut positions = positions.to_vec();
        if let Err(at) = positions.binary_search(&pos) {
            positions.insert(at, pos);
        }
        let listed: Vec<Value> = positions
            .iter()
            .map(|&p| {
                let mut entry = json!({ "id": ids.get(p).map_or("", String::as_str) });
                place(&mut entry, decoded_lines, shape, p);
                entry
            })
            .collect();
        v["conflicts"] = Value::Array(listed);
    }
    json_answer(status, &v)
}

/// Where article `pos` lies in its request: its NDJSON `line` or array `index` (nothing for one object).
fn place(v: &mut Value, decoded_lines: &[u64], shape: Shape, pos: usize) {
    match shape {
        Shape::Lines => v["line"] = json!(decoded_lines.get(pos)),
        Shape::Array => v["index"] = json!(pos),
        Shape::Object => {}
    }
}

/// The status and JSON of [`article_error_answer`].
fn article_error(
    decoded_lines: &[u64],
    shape: Shape,
    pos: usize,
    (id, earlier): (&str, &[String]),
    e: &Error,
    names: &FieldNames,
) -> (StatusCode, Value) {
    let (status, field) = match e {
        Error::Article(ArticleError::IdConflict { .. }) => (StatusCode::CONFLICT, Some("id")),
        Error::Article(ArticleError::EmptyId) => (StatusCode::BAD_REQUEST, Some("id")),
        Error::Article(ArticleError::EmptyTitle { .. }) => (StatusCode::BAD_REQUEST, Some("title")),
        Error::Article(ArticleError::TooLong { field, .. }) => {
            (StatusCode::BAD_REQUEST, Some(*field))
        }
        Error::Article(_) => (StatusCode::BAD_REQUEST, None),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, None),
    };
    let shown = match e {
        Error::Article(article) => article.answered_id(id),
        _ => id.into(),
    };
    // Named by the key the field was read from, where the daemon was told one (`--id-field url`).
    let message = match e {
        Error::Article(article) => names.message(article),
        _ => e.to_string(),
    };
    // A query's article without an id (a write's empty id is refused as such, and given back).
    let unnamed = id.is_empty() && !matches!(e, Error::Article(ArticleError::EmptyId));
    let shown = (!unnamed).then_some(shown);
    let mut v = json!({ "error": message, "id": shown });
    let repeated = earlier.iter().any(|earlier| earlier == id);
    if let (Error::Article(ArticleError::IdConflict { .. }), true) = (e, repeated) {
        // The conflicting text came earlier in this request, which stored nothing.
        v["error"] = json!(format!(
            "article `{}` came earlier in this request with a different text",
            crate::error::shown_id(id)
        ));
    }
    place(&mut v, decoded_lines, shape, pos);
    if let Some(field) = field {
        v["field"] = json!(field);
    }
    (status, v)
}

/// The answer to a write of no articles: nothing to store, in the request's shape, holding no verdict.
fn no_verdicts(shape: Shape) -> Answer {
    match shape {
        Shape::Object | Shape::Array => json_answer(StatusCode::OK, &json!([])),
        Shape::Lines => verdicts_answer(Shape::Lines, &[]),
    }
}

fn verdicts_answer(shape: Shape, verdicts: &[Verdict]) -> Answer {
    match shape {
        Shape::Object => json_answer(StatusCode::OK, &verdicts[0]),
        Shape::Array => json_answer(StatusCode::OK, &verdicts),
        Shape::Lines => {
            let mut body = Vec::with_capacity(verdicts.len() * 128);
            for v in verdicts {
                let _ = serde_json::to_writer(&mut body, v);
                body.push(b'\n');
            }
            let mut r = Response::new(Body::from(body));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-ndjson"),
            );
            r
        }
    }
}

/// A route that takes no query parameters: a 400 for any given, as [`route_query`] says.
fn no_query(uri: &Uri) -> Result<(), Answer> {
    route_query(uri, &[]).map(|_| ())
}

async fn post_articles(With(state): Shared, headers: HeaderMap, uri: Uri, body: Body) -> Answer {
    counted(
        Route::PostArticles,
        post_articles_answer(&state, &headers, &uri, body).await,
    )
}

async fn post_articles_answer(state: &State, headers: &HeaderMap, uri: &Uri, body: Body) -> Answer {
    if let Err(r) = no_query(uri) {
        return r;
    }
    #[cfg(feature = "redis-log")]
    if state.config.log.is_some() {
        return shared_log::post_articles(state, headers, body).await;
    }
    let Some(committer) = state.committer.get() else {
        return unavailable("the store is still opening", 1);
    };
    // A store that failed a write (a commit, a removal, a prune) takes no more, whichever route failed.
    if state.store_failed() {
        return not_writable(state);
    }
    let decoded = match articles_from(state, headers, body, DocumentIds::Required).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    if decoded.articles.is_empty() {
        return no_verdicts(decoded.shape);
    }
    let ids: Vec<String> = decoded.articles.iter().map(|a| a.id.to_string()).collect();
    let receiver = match committer.submit(decoded.articles) {
        Ok(r) => r,
        Err(Refused::Full) => return unavailable("the write queue is full; retry shortly", 1),
        Err(Refused::Stopped) => return unavailable("the daemon is shutting down", 5),
    };
    match receiver.await {
        Ok(Outcome::Stored(verdicts)) => verdicts_answer(decoded.shape, &verdicts),
        Ok(Outcome::Rejected(pos, e, handed_back)) => {
            let (lines, shape) = (&decoded.lines, decoded.shape);
            refused_answer(state, lines, shape, pos, &ids, &e, handed_back).await
        }
        Ok(Outcome::Failed(message)) => error_answer(StatusCode::INTERNAL_SERVER_ERROR, message),
        Err(_) => error_answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the commit thread stopped before answering",
        ),
    }
}

/// The answer to a write refused at article `pos` for `e`, listing every conflict among the articles
/// the commit handed back, in the words of the keys the daemon reads.
async fn refused_answer(
    state: &State,
    decoded_lines: &[u64],
    shape: Shape,
    pos: usize,
    ids: &[String],
    e: &Error,
    handed_back: Vec<Article<'static>>,
) -> Answer {
    let positions = all_conflicts(state, handed_back).await;
    let names = &state.config.fields;
    let request = (ids, Earlier::Stored);
    conflicts_answer(decoded_lines, shape, pos, request, e, &positions, names)
}

/// The positions of `articles` (a request refused for an id conflict) whose ids conflict, as the store
/// stands now; none when there are no articles or the engine is not open.
async fn all_conflicts(state: &State, articles: Vec<Article<'static>>) -> Vec<usize> {
    let Some(engine) = state.engine().cloned().filter(|_| !articles.is_empty()) else {
        return Vec::new();
    };
    tokio::task::spawn_blocking(move || engine.id_conflicts(&articles))
        .await
        .unwrap_or_default()
}

async fn query(With(state): Shared, headers: HeaderMap, uri: Uri, body: Body) -> Answer {
    if let Err(r) = no_query(&uri) {
        return counted(Route::Query, r);
    }
    let Some(engine) = state.engine().cloned() else {
        return counted(Route::Query, unavailable("the store is still opening", 1));
    };
    let mut decoded = match articles_from(&state, &headers, body, DocumentIds::Optional).await {
        Ok(d) => d,
        Err(r) => return counted(Route::Query, r),
    };
    // A blank id is none: the text alone is asked about, and the verdict's id is `null`.
    for article in &mut decoded.articles {
        if article.id.trim().is_empty() {
            article.id = std::borrow::Cow::Borrowed("");
        }
    }
    if decoded.articles.is_empty() {
        // In the request's own shape, as POST /v1/articles answers: `[]`, or no NDJSON lines.
        let shape = match decoded.shape {
            Shape::Lines => Shape::Lines,
            Shape::Object | Shape::Array => Shape::Array,
        };
        return counted(Route::Query, verdicts_answer(shape, &[]));
    }
    let shape = decoded.shape;
    let lines = decoded.lines.clone();
    let answered = tokio::task::spawn_blocking(move || {
        let asked = |a: &Article<'_>| match a.id.is_empty() {
            true => engine.query_text(a),
            false => engine.query(a),
        };
        let mut verdicts = Vec::with_capacity(decoded.articles.len());
        for (pos, a) in decoded.articles.iter().enumerate() {
            match asked(a) {
                Ok(v) => verdicts.push(v),
                Err(e) => {
                    // Every article after it whose id the store holds with another text, so that a
                    // client can leave them all out at once, as a write's refusal lists them.
                    let is_conflict =
                        |e: &Error| matches!(e, Error::Article(ArticleError::IdConflict { .. }));
                    let conflicts: Vec<usize> = match is_conflict(&e) {
                        true => (pos..decoded.articles.len())
                            .filter(|&p| {
                                let a = &decoded.articles[p];
                                !a.id.is_empty() && asked(a).err().is_some_and(|e| is_conflict(&e))
                            })
                            .collect(),
                        false => Vec::new(),
                    };
                    let ids: Vec<String> =
                        decoded.articles.iter().map(|a| a.id.to_string()).collect();
                    return Err((pos, ids, conflicts, e));
                }
            }
        }
        Ok(verdicts)
    })
    .await;
    counted(
        Route::Query,
        match answered {
            Ok(Ok(verdicts)) => verdicts_answer(shape, &verdicts),
            // A query stores nothing: a conflict is with the store, whatever came earlier.
            Ok(Err((pos, ids, conflicts, e))) => conflicts_answer(
                &lines,
                shape,
                pos,
                (&ids, Earlier::NotStored),
                &e,
                &conflicts,
                &state.config.fields,
            ),
            Err(e) => error_answer(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        },
    )
}

/// Whether the articles before a refused one in its request were to be stored before it (a write, where
/// an id conflict may lie with one of them) or not (a query, which stores nothing).
#[derive(Clone, Copy)]
enum Earlier {
    Stored,
    NotStored,
}

/// Runs a read or write on the blocking pool and answers with its JSON, 404 for `None`.
async fn blocking<T: Serialize + Send + 'static>(
    state: &State,
    not_found: String,
    work: impl FnOnce(&Engine) -> Result<Option<T>, Error> + Send + 'static,
) -> Answer {
    let Some(engine) = state.engine().cloned() else {
        return unavailable("the store is still opening", 1);
    };
    match tokio::task::spawn_blocking(move || work(&engine)).await {
        Ok(Ok(Some(value))) => json_answer(StatusCode::OK, &value),
        Ok(Ok(None)) => error_answer(StatusCode::NOT_FOUND, not_found),
        Ok(Err(e)) => error_answer(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Err(e) => error_answer(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// [`blocking`] for a write (a removal, a prune): a store that refuses it, or its flush, leaves the store
/// in doubt, as a failed commit does, so the daemon takes no more writes and `/readyz` says why.
async fn blocking_write<T: Serialize + Send + 'static>(
    state: &State,
    not_found: String,
    work: impl FnOnce(&Engine) -> Result<Option<T>, Error> + Send + 'static,
) -> Answer {
    let metrics = Arc::clone(&state.metrics);
    blocking(state, not_found, move |engine| {
        let done = work(engine);
        if let Err(Error::Store(e)) = &done {
            tracing::error!(error = %e, "a store write failed; refusing writes from now on");
            metrics
                .store_failed
                .store(true, std::sync::atomic::Ordering::Release);
        }
        done
    })
    .await
}

async fn get_article(With(state): Shared, Path(id): Path<String>, uri: Uri) -> Answer {
    if let Err(r) = no_query(&uri) {
        return counted(Route::GetArticle, r);
    }
    let answer = blocking(&state, format!("no article `{id}`"), move |engine| {
        Ok(engine.get(&id)?.map(|stored| {
            let a = &stored.article;
            json!({
                "id": a.id,
                "title": a.title,
                "body": a.body,
                "source": a.source,
                "url": a.url,
                "published": a.published,
                "cluster": stored.cluster,
                "story": stored.story,
                "status": stored.status,
                "duplicate_of": stored.duplicate_of,
                "similarity": stored.similarity,
            })
        }))
    })
    .await;
    counted(Route::GetArticle, answer)
}

async fn delete_article(With(state): Shared, Path(id): Path<String>, uri: Uri) -> Answer {
    if let Err(r) = no_query(&uri) {
        return counted(Route::DeleteArticle, r);
    }
    #[cfg(feature = "redis-log")]
    if state.config.log.is_some() {
        return counted(
            Route::DeleteArticle,
            shared_log::delete_article(&state, id).await,
        );
    }
    if !state.ready() {
        return counted(Route::DeleteArticle, not_writable(&state));
    }
    let answer = blocking_write(&state, format!("no article `{id}`"), move |engine| {
        let removed = engine.remove(&id)?;
        if !removed {
            return Ok(None);
        }
        engine.flush()?;
        Ok(Some(json!({ "id": id, "removed": true })))
    })
    .await;
    counted(Route::DeleteArticle, answer)
}

/// A number from the query string, or a 400 naming the parameter.
fn number(
    pairs: &[(String, String)],
    name: &str,
    default: usize,
    max: usize,
) -> Result<usize, Answer> {
    match pairs.iter().find(|(k, _)| k == name) {
        None => Ok(default),
        Some((_, v)) => v
            .parse::<usize>()
            .ok()
            .filter(|&n| n <= max)
            .ok_or_else(|| {
                error_answer(
                    StatusCode::BAD_REQUEST,
                    format!("query parameter `{name}`: `{v}` is not a whole number up to {max}"),
                )
            }),
    }
}

/// A time from the query string: a time (`2026-11-28T10:00:00Z`) or a duration ago (`24h`).
fn time_param(
    pairs: &[(String, String)],
    name: &str,
    now: i64,
    default: i64,
) -> Result<i64, Answer> {
    let Some((_, v)) = pairs.iter().find(|(k, _)| k == name) else {
        return Ok(default);
    };
    // A short bare number (`since=24`) reads as a time in 1970, where an age was most likely meant;
    // Unix seconds have had ten digits since 2001.
    // So does one with a fraction (`since=24.0`); eight digits that make a date (`20261128`) are that
    // date.
    let digits = v.trim();
    let whole = digits.split_once('.').map_or(digits, |(whole, _)| whole);
    let bare = !whole.is_empty()
        && whole.len() < 10
        && digits.bytes().filter(|&b| b == b'.').count() <= 1
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let a_date = time::parse_compact(digits.as_bytes()).is_some();
    if bare && !a_date {
        return Err(error_answer(
            StatusCode::BAD_REQUEST,
            format!(
                "query parameter `{name}`: `{digits}` has no unit; write an age with one ({digits}h, \
                 {digits}d) or a time (2026-11-28T10:00:00Z)"
            ),
        ));
    }
    if let Some(t) = time::parse_timestamp(v) {
        return Ok(t);
    }
    time::parse_duration(v)
        .map(|d| time::before(now, d))
        .map_err(|_| {
            // `+01:00` unescaped arrives as ` 01:00`: a query string reads `+` as a space.
            let plus = if v.trim().contains(' ') {
                "; a `+` in a query string reads as a space: write an offset's `+` as %2B"
            } else {
                ""
            };
            error_answer(
                StatusCode::BAD_REQUEST,
                format!(
                    "query parameter `{name}`: `{v}` is neither a time (2026-11-28T10:00:00Z) nor a \
                     duration ago (24h){plus}"
                ),
            )
        })
}

fn group_id(id: &str, what: &str) -> Result<u64, Answer> {
    id.parse::<u64>().map_err(|_| {
        error_answer(
            StatusCode::BAD_REQUEST,
            format!("`{id}` is not a {what} id (a whole number)"),
        )
    })
}

/// Which grouping a detail route shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    Cluster,
    Story,
}

async fn get_cluster(state: Shared, Path(id): Path<String>, uri: Uri) -> Answer {
    counted(
        Route::GetCluster,
        get_group(state, &id, &uri, Level::Cluster).await,
    )
}

async fn get_story(state: Shared, Path(id): Path<String>, uri: Uri) -> Answer {
    counted(
        Route::GetStory,
        get_group(state, &id, &uri, Level::Story).await,
    )
}

async fn get_group(With(state): Shared, id: &str, uri: &Uri, level: Level) -> Answer {
    let what = match level {
        Level::Cluster => "cluster",
        Level::Story => "story",
    };
    let id = match group_id(id, what) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let pairs = match route_query(uri, &["offset", "limit"]) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (offset, limit) = match (
        number(&pairs, "offset", 0, usize::MAX),
        number(&pairs, "limit", 100, 1000),
    ) {
        (Ok(o), Ok(l)) => (o, l),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    blocking(&state, format!("no {what} {id}"), move |engine| {
        let detail = match level {
            Level::Cluster => engine.cluster_detail(id, offset, limit)?,
            Level::Story => engine.story_detail(id, offset, limit)?,
        };
        Ok(detail.map(|c| {
            json!({
                "id": c.id,
                "story": c.story,
                "size": c.size,
                "representative": c.representative,
                "first_seen": time::format_rfc3339(c.first_seen),
                "last_seen": time::format_rfc3339(c.last_seen),
                "sources": c.sources,
                "offset": offset,
                "members": c.members.iter().map(|m| json!({
                    "id": m.id,
                    "title": m.title,
                    "source": m.source,
                    "url": m.url,
                    "time": time::format_rfc3339(m.time),
                })).collect::<Vec<Value>>(),
            })
        }))
    })
    .await
}

/// The most member lines `/v1/stories/{id}/clusters` answers: `clusters` × `members`.
const MAX_STORY_LINES: usize = 10_000;

async fn get_story_clusters(With(state): Shared, Path(id): Path<String>, uri: Uri) -> Answer {
    let answer = async {
        let id = group_id(&id, "story")?;
        let pairs = route_query(&uri, &["clusters", "members"])?;
        let clusters = number(&pairs, "clusters", 20, 1000)?;
        let members = number(&pairs, "members", 20, 1000)?;
        // Each line costs a few hundred bytes to answer; a thousand of each would be a million lines.
        if clusters * members > MAX_STORY_LINES {
            return Err(error_answer(
                StatusCode::BAD_REQUEST,
                format!(
                    "`clusters` × `members` is at most {MAX_STORY_LINES} ({clusters} × {members} \
                     asked); page through one cluster's members with /v1/clusters/{{id}}?offset="
                ),
            ));
        }
        Ok::<_, Answer>(
            blocking(&state, format!("no story {id}"), move |engine| {
                Ok(engine
                    .story_clusters(id, clusters, members)?
                    .map(|s| story_clusters_json(&s)))
            })
            .await,
        )
    }
    .await;
    counted(Route::GetStory, answer.unwrap_or_else(|r| r))
}

fn story_clusters_json(s: &crate::model::StoryClusters) -> Value {
    json!({
        "id": s.id,
        "size": s.size,
        "representative": s.representative,
        "first_seen": time::format_rfc3339(s.first_seen),
        "last_seen": time::format_rfc3339(s.last_seen),
        "sources": s.sources,
        "clusters_total": s.clusters_total,
        "clusters": s.clusters.iter().map(|c| json!({
            "id": c.id,
            "size": c.size,
            "sources": c.sources,
            "texts": c.texts,
            "representative": c.representative,
            "first_seen": time::format_rfc3339(c.first_seen),
            "last_seen": time::format_rfc3339(c.last_seen),
            "members": c.members.iter().map(|m| json!({
                "id": m.id,
                "title": m.title,
                "source": m.source,
                "url": m.url,
                "time": time::format_rfc3339(m.time),
                "repeats": m.repeats,
                "sources": m.sources,
            })).collect::<Vec<Value>>(),
        })).collect::<Vec<Value>>(),
    })
}

/// Answers a trending list from the cache while nothing has changed, else computes and keeps it.
async fn cached(
    state: &State,
    key: String,
    work: impl FnOnce(&Engine) -> Value + Send + 'static,
) -> Answer {
    let Some(engine) = state.engine().cloned() else {
        return unavailable("the store is still opening", 1);
    };
    let generation = engine.generation();
    if let Some(body) = state.lists.get(generation, &key) {
        return bytes_answer(body);
    }
    let lists = Arc::clone(&state.lists);
    match tokio::task::spawn_blocking(move || {
        let body = Bytes::from(serde_json::to_vec(&work(&engine)).unwrap_or_default());
        lists.put(generation, key, body.clone());
        body
    })
    .await
    {
        Ok(body) => bytes_answer(body),
        Err(e) => error_answer(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn bytes_answer(body: Bytes) -> Answer {
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

async fn list_clusters(With(state): Shared, uri: Uri) -> Answer {
    let answer = async {
        let pairs = route_query(&uri, &["since", "limit"])?;
        let limit = number(&pairs, "limit", 20, 1000)?;
        let now = time::now();
        let since = time_param(&pairs, "since", now, now - 86_400)?;
        Ok::<_, Answer>(
            cached(&state, format!("clusters {since} {limit}"), move |engine| {
                let trends = engine.trending(since, limit).unwrap_or_default();
                json!({
                    "since": time::format_rfc3339(since),
                    "clusters": trends.iter().map(|t| json!({
                        "id": t.id,
                        "story": t.story,
                        "growth": t.growth,
                        "size": t.size,
                        "representative": t.representative,
                        "last_seen": time::format_rfc3339(t.last_seen),
                    })).collect::<Vec<Value>>(),
                })
            })
            .await,
        )
    }
    .await;
    counted(Route::ListClusters, answer.unwrap_or_else(|r| r))
}

async fn list_stories(With(state): Shared, uri: Uri) -> Answer {
    let answer = async {
        let pairs = route_query(&uri, &["since", "until", "limit", "bins"])?;
        let limit = number(&pairs, "limit", 20, 1000)?;
        let bins = number(&pairs, "bins", 0, 200)?;
        let now = time::now();
        let since = time_param(&pairs, "since", now, now - 86_400)?;
        let until = time_param(&pairs, "until", now, now)?;
        if until <= since {
            // Without `until` the period ends now: the mistake is a `since` that has not come yet.
            let message = if pairs.iter().any(|(k, _)| k == "until") {
                "query parameter `until` must come after `since`"
            } else if since == now {
                "query parameter `since` starts the period now, which leaves it empty; give a \
                 duration before now (since=24h) or an earlier time"
            } else {
                "query parameter `since` lies in the future; the period it starts ends now \
                 (or at `until`)"
            };
            return Err(error_answer(StatusCode::BAD_REQUEST, message));
        }
        Ok::<_, Answer>(
            cached(
                &state,
                format!("stories {since} {until} {limit} {bins}"),
                move |engine| {
                    let trends = engine
                        .trending_stories(since, until, limit, bins)
                        .unwrap_or_default();
                    json!({
                        "since": time::format_rfc3339(since),
                        "until": time::format_rfc3339(until),
                        "stories": trends.iter().map(|t| json!({
                            "id": t.id,
                            "growth": t.growth,
                            "size": t.size,
                            "sources": t.sources,
                            "clusters": t.clusters,
                            "representative": t.representative,
                            "latest": t.latest,
                            "first_seen": time::format_rfc3339(t.first_seen),
                            "last_seen": time::format_rfc3339(t.last_seen),
                            "arrivals": t.arrivals,
                        })).collect::<Vec<Value>>(),
                    })
                },
            )
            .await,
        )
    }
    .await;
    counted(Route::ListStories, answer.unwrap_or_else(|r| r))
}

async fn stats(With(state): Shared, uri: Uri) -> Answer {
    if let Err(r) = no_query(&uri) {
        return counted(Route::Stats, r);
    }
    let answer = match state.engine().cloned() {
        None => unavailable("the store is still opening", 1),
        Some(engine) => {
            let ingested = state.metrics.stored();
            match tokio::task::spawn_blocking(move || engine.overview()).await {
                Ok(o) => json_answer(
                    StatusCode::OK,
                    &json!({
                        "articles": o.articles,
                        "clusters": o.clusters,
                        "stories": o.stories,
                        "oldest": o.oldest.map(time::format_rfc3339),
                        "newest": o.newest.map(time::format_rfc3339),
                        "now": time::format_rfc3339(time::now()),
                        "ingested": ingested,
                    }),
                ),
                Err(e) => error_answer(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            }
        }
    };
    counted(Route::Stats, answer)
}

async fn prune(With(state): Shared, uri: Uri) -> Answer {
    let answer = async {
        let pairs = route_query(&uri, &["older_than", "dry_run"])?;
        let Some((_, older)) = pairs.iter().find(|(k, _)| k == "older_than") else {
            return Err(error_answer(
                StatusCode::BAD_REQUEST,
                "query parameter `older_than` (a duration such as 30d) is required",
            ));
        };
        let age = time::parse_prune_age(older)
            .map_err(|e| error_answer(StatusCode::BAD_REQUEST, format!("`older_than`: {e}")))?;
        let dry_run = match pairs.iter().find(|(k, _)| k == "dry_run") {
            None => false,
            Some((_, v)) => match v.as_str() {
                "" | "true" | "1" => true,
                "false" | "0" => false,
                other => {
                    return Err(error_answer(
                        StatusCode::BAD_REQUEST,
                        format!("`dry_run`: `{other}` is neither true nor false"),
                    ))
                }
            },
        };
        let before = time::before(time::now(), age);
        if dry_run {
            // A count, changing nothing: a read, answered by this node alone.
            let Some(engine) = state.engine().cloned() else {
                return Err(unavailable("the store is still opening", 1));
            };
            let would = tokio::task::spawn_blocking(move || engine.count_older_than(before))
                .await
                .map_err(|e| error_answer(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            return Ok(json_answer(
                StatusCode::OK,
                &json!({ "would_prune": would, "before": time::format_rfc3339(before) }),
            ));
        }
        if !state.ready() {
            return Err(not_writable(&state));
        }
        Ok(prune_before(&state, before).await)
    };
    counted(Route::Prune, answer.await.unwrap_or_else(|r| r))
}

/// Drops the articles whose time is before `before` (Unix seconds) and answers as `POST /v1/prune` does
/// (`{"pruned", "before"}`): through the shared log in multi-node mode, else here, durable when answered.
pub(super) async fn prune_before(state: &State, before: i64) -> Answer {
    #[cfg(feature = "redis-log")]
    if state.config.log.is_some() {
        return shared_log::prune(state, before).await;
    }
    let metrics = Arc::clone(&state.metrics);
    blocking_write(state, String::new(), move |engine| {
        let pruned = engine.prune(before)?;
        engine.flush()?;
        metrics.pruned(pruned, time::now());
        Ok(Some(
            json!({ "pruned": pruned, "before": time::format_rfc3339(before) }),
        ))
    })
    .await
}

/// Liveness: 200 while the daemon can serve as it is, 503 once its store has failed (a write or flush
/// refused by the disk), which only a restart undoes: a supervisor that probes it restarts the daemon,
/// which reopens the store from what was made durable.
async fn healthz(With(state): Shared) -> Answer {
    let answer = if state.store_failed() {
        json_answer(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({
                "status": "failed",
                "error": "the store failed and is not writable: restart the daemon once the cause (see its log) is fixed"
            }),
        )
    } else {
        json_answer(StatusCode::OK, &json!({ "status": "ok" }))
    };
    counted(Route::Health, answer)
}

/// The 503 for a write to a daemon that does not take writes now, saying why.
fn not_writable(state: &State) -> Answer {
    #[cfg(feature = "redis-log")]
    if let Some(replica) = state.replica.get() {
        if let Some(reason) = replica.not_ready_reason() {
            return match replica.is_halted() {
                true => unavailable_until_restarted(&reason),
                false => unavailable(&reason, 1),
            };
        }
    }
    if state.engine().is_none() {
        return unavailable("the store is still opening", 1);
    }
    unavailable_until_restarted("the store failed and is not writable")
}

async fn readyz(With(state): Shared) -> Answer {
    let answer = match state.engine() {
        None => unavailable("the store is still opening", 1),
        Some(_) if !state.ready() => not_writable(&state),
        Some(engine) => {
            // Without waiting for the index's lock, which a commit holds for a batch and a prune for
            // as long as it takes: a write in progress leaves the counts last taken (at open, if none
            // since).
            let (articles, clusters) = state.ready_counts(engine);
            #[allow(unused_mut)]
            let mut body = json!({ "status": "ready", "articles": articles, "clusters": clusters });
            #[cfg(feature = "redis-log")]
            if let Some(replica) = state.replica.get() {
                body["log"] = json!({
                    "applied": replica.applied().to_string(),
                    "connected": replica.connected(),
                });
            }
            json_answer(StatusCode::OK, &body)
        }
    };
    counted(Route::Health, answer)
}

/// How long `/metrics` waits for the engine's counts before it answers with the last ones.
const METRICS_WAIT: Duration = Duration::from_millis(250);

async fn metrics(With(state): Shared) -> Answer {
    let engine = state.engine().cloned();
    let ready = state.ready();
    let gauges = match engine {
        Some(engine) => {
            let unreadable_times = engine.unreadable_times();
            let overview = state.metric_counts(engine, METRICS_WAIT).await;
            overview.map_or_else(Gauges::default, |o| Gauges {
                articles: o.articles,
                clusters: o.clusters,
                stories: o.stories,
                ready,
                unreadable_times,
            })
        }
        None => Gauges::default(),
    };
    let text = state.metrics.render(gauges);
    let mut r = Response::new(Body::from(text));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(super::metrics::CONTENT_TYPE),
    );
    counted(Route::Metrics, r)
}

async fn index_page(With(state): Shared) -> Answer {
    let mut r = Response::new(Body::from(state.page.clone()));
    let headers = r.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    counted(Route::Page, r)
}

/// `path` under `/v1` (`/articles` → `/v1/articles`) when its first part names one of the API's routes:
/// what a request without the prefix was likely meant for.
fn versioned(path: &str) -> Option<String> {
    const UNDER_V1: [&str; 6] = ["articles", "query", "prune", "stats", "clusters", "stories"];
    let first = path.trim_start_matches('/').split('/').next()?;
    UNDER_V1.contains(&first).then(|| format!("/v1{path}"))
}

/// `path` without the trailing `/`s it was asked for with, when that names a route that `method` takes
/// (an article's id may itself end in `/`, written `%2F`: its paths are left alone).
fn without_trailing_slash<'a>(method: &Method, path: &'a str) -> Option<&'a str> {
    let trimmed = path.trim_end_matches('/');
    if trimmed.len() == path.len() || trimmed.is_empty() {
        return None;
    }
    let id = |prefix: &str| {
        trimmed.strip_prefix(prefix).is_some_and(|rest| {
            let id = rest.strip_suffix("/clusters").unwrap_or(rest);
            !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
        })
    };
    let takes = match trimmed {
        "/v1/articles" | "/v1/query" | "/v1/prune" => method == Method::POST,
        "/healthz" | "/readyz" | "/metrics" | "/v1/stats" | "/v1/clusters" | "/v1/stories" => {
            method == Method::GET || method == Method::HEAD
        }
        _ => {
            (method == Method::GET || method == Method::HEAD)
                && (id("/v1/clusters/") || id("/v1/stories/"))
        }
    };
    takes.then_some(trimmed)
}

/// Counts every request under its route, and gives the stack's own refusals (an oversized body, an
/// unknown route or method) the JSON shape of every other error.
async fn count_and_explain(With(state): Shared, req: Request, next: Next) -> Answer {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_owned);
    let mut answer = next.run(req).await;
    let route = answer
        .extensions()
        .get::<Route>()
        .copied()
        .unwrap_or(Route::Other);
    let is_json = answer
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !is_json && answer.status().is_client_error() {
        let explained = match answer.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Some(too_large(state.config.limits.max_body_bytes)),
            StatusCode::NOT_FOUND => Some(error_answer(
                StatusCode::NOT_FOUND,
                match versioned(&path) {
                    Some(v1) => {
                        format!("no route {method} {path}: the API's routes are under /v1 ({v1})")
                    }
                    None => match path.strip_prefix("/v1/articles/") {
                        // An id holding a `/` (a URL) split into several segments.
                        Some(id) if id.trim_end_matches('/').contains('/') => {
                            // A URL's query, if it had one, was taken for the request's.
                            let id = match &query {
                                Some(q) => format!("{id}?{q}"),
                                None => id.to_owned(),
                            };
                            format!(
                                "no route {method} {path}: an id holding `/` (a URL) is written \
                                 percent-encoded in the path, `/` as %2F, `?` as %3F and `%` as \
                                 %25: /v1/articles/{}",
                                percent_encoded(&id)
                            )
                        }
                        _ => match without_trailing_slash(&method, &path) {
                            Some(trimmed) => format!(
                                "no route {method} {path}: the routes end without `/`: \
                                 {method} {trimmed}"
                            ),
                            None => format!("no route {method} {path}"),
                        },
                    },
                },
            )),
            StatusCode::METHOD_NOT_ALLOWED => {
                let allow = answer.headers().get(header::ALLOW).cloned();
                let mut r = error_answer(
                    StatusCode::METHOD_NOT_ALLOWED,
                    match allow.as_ref().and_then(|a| a.to_str().ok()) {
                        Some(methods) => format!(
                            "{method} {path}: this route takes {}",
                            methods.replace(',', ", ")
                        ),
                        None => format!("{method} {path}: this route takes other methods"),
                    },
                );
                if let Some(allow) = allow {
                    r.headers_mut().insert(header::ALLOW, allow);
                }
                Some(r)
            }
            status => {
                // Any other refusal of the stack (a path that does not decode): its text as JSON.
                let body = std::mem::take(answer.body_mut());
                let text = match body.collect().await {
                    Ok(b) => String::from_utf8_lossy(&b.to_bytes()).into_owned(),
                    Err(_) => status.to_string(),
                };
                Some(error_answer(status, text))
            }
        };
        if let Some(explained) = explained {
            answer = explained;
        }
    }
    let code = answer.status().as_u16();
    state.metrics.request(route, code, started.elapsed());
    if code >= 500 && code != 503 {
        let error = answer
            .extensions()
            .get::<Said>()
            .map_or("", |s| s.0.as_str());
        tracing::warn!(%method, %path, code, error, "request failed");
    } else {
        tracing::debug!(%method, %path, code, micros = started.elapsed().as_micros() as u64, "request");
    }
    answer
}

/// The write routes in multi-node mode: a write is checked here, appended to the shared log, and answered
/// with what applying its entry on this node gave.
#[cfg(feature = "redis-log")]
mod shared_log {
    use super::*;
    use crate::server::replica::{Applied, Write, WriteError};

    /// The answer to a write that got no outcome.
    fn refused(e: WriteError) -> Answer {
        match e {
            WriteError::Unavailable(m) => {
                unavailable(&format!("the shared log is unavailable: {m}"), 1)
            }
            WriteError::Pending(m) => unavailable(&m, 1),
            WriteError::Full => unavailable("the write queue is full; retry shortly", 1),
            WriteError::Stopped(m) => unavailable(&m, 5),
            WriteError::Halted(m) => unavailable_until_restarted(&m),
        }
    }

    /// Appends `write` and waits for its outcome here, or says why the node takes no writes now.
    async fn submit(state: &State, write: Write) -> Result<Applied, Answer> {
        let Some(replica) = state.replica.get() else {
            return Err(unavailable("the store is still opening", 1));
        };
        if !state.ready() {
            return Err(not_writable(state));
        }
        replica.write(write).await.map_err(refused)
    }

    pub(super) async fn post_articles(state: &State, headers: &HeaderMap, body: Body) -> Answer {
        let Some(engine) = state.engine().cloned() else {
            return unavailable("the store is still opening", 1);
        };
        let decoded = match articles_from(state, headers, body, DocumentIds::Required).await {
            Ok(d) => d,
            Err(r) => return r,
        };
        if decoded.articles.is_empty() {
            return no_verdicts(decoded.shape);
        }
        // A request the engine would refuse for its fields appends nothing.
        for (pos, article) in decoded.articles.iter().enumerate() {
            if let Err(e) = engine.check(article) {
                let id = (&*article.id, &[][..]);
                let names = &state.config.fields;
                return article_error_answer(
                    &decoded.lines,
                    decoded.shape,
                    pos,
                    id,
                    &e.into(),
                    names,
                );
            }
        }
        let ids: Vec<String> = decoded.articles.iter().map(|a| a.id.to_string()).collect();
        match submit(state, Write::Articles(decoded.articles)).await {
            Ok(Applied::Articles(Ok(group), _)) => verdicts_answer(decoded.shape, &group),
            Ok(Applied::Articles(Err((pos, e)), handed_back)) => {
                let (lines, shape) = (&decoded.lines, decoded.shape);
                refused_answer(state, lines, shape, pos, &ids, &e, handed_back).await
            }
            Ok(other) => error_answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("unexpected outcome {other:?}"),
            ),
            Err(r) => r,
        }
    }

    pub(super) async fn delete_article(state: &State, id: String) -> Answer {
        match submit(state, Write::Delete(id.clone())).await {
            Ok(Applied::Removed(true)) => {
                json_answer(StatusCode::OK, &json!({ "id": id, "removed": true }))
            }
            Ok(Applied::Removed(false)) => {
                error_answer(StatusCode::NOT_FOUND, format!("no article `{id}`"))
            }
            Ok(other) => error_answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("unexpected outcome {other:?}"),
            ),
            Err(r) => r,
        }
    }

    pub(super) async fn prune(state: &State, before: i64) -> Answer {
        match submit(state, Write::Prune { before }).await {
            Ok(Applied::Pruned { count, before }) => {
                // Counted where the log's prune was applied, on every node.
                json_answer(
                    StatusCode::OK,
                    &json!({ "pruned": count, "before": time::format_rfc3339(before) }),
                )
            }
            Ok(other) => error_answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("unexpected outcome {other:?}"),
            ),
            Err(r) => r,
        }
    }
}

/// Refuses a write route's request without the daemon's token (counted under `route`) before the
/// body's limits see it: a client without the token learns that, rather than that its body is too
/// large or too slow.
async fn token_first(
    With((state, route)): With<(Arc<State>, Route)>,
    req: Request,
    next: Next,
) -> Answer {
    match authorized(&state, req.headers()) {
        Ok(()) => next.run(req).await,
        Err(refused) => counted(route, refused),
    }
}

/// Every route of the daemon, with the body limits, compression and request counting around them.
pub fn router(state: Arc<State>) -> Router {
    let limits = &state.config.limits;
    let bounded = |route: MethodRouter<Arc<State>>| -> MethodRouter<Arc<State>> {
        route
            .layer::<_, Infallible>(RequestBodyDeadlineLayer::new(limits.body_timeout))
            .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
    };
    let write = |route, counted_as: Route| {
        bounded(route).route_layer(middleware::from_fn_with_state(
            (Arc::clone(&state), counted_as),
            token_first,
        ))
    };
    let with_bodies = Router::new()
        .route(
            "/v1/articles",
            write(post(post_articles), Route::PostArticles),
        )
        .route("/v1/query", bounded(post(query)))
        .route("/v1/prune", write(post(prune), Route::Prune))
        .route(
            "/v1/articles/{id}",
            bounded(get(get_article)).merge(write(delete(delete_article), Route::DeleteArticle)),
        );
    let routes = Router::new()
        .route("/", get(index_page))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/v1/stats", get(stats))
        .route("/v1/clusters", get(list_clusters))
        .route("/v1/clusters/{id}", get(get_cluster))
        .route("/v1/stories", get(list_stories))
        .route("/v1/stories/{id}", get(get_story))
        .route("/v1/stories/{id}/clusters", get(get_story_clusters))
        .merge(with_bodies)
        .layer(
            CompressionLayer::new()
                .compress_when(DefaultPredicate::new().and(SizeAbove::new(1024))),
        )
        .with_state(Arc::clone(&state));
    // The routes' router adds `Allow` to its 405s as they leave it: answers are explained and counted
    // outside it, so that a 405 names the methods its route takes.
    Router::new()
        .fallback_service(routes)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            count_and_explain,
        ))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body decoded with every field read from its own name.
    fn decode(body: &[u8], ndjson: bool) -> Result<Decoded, BodyError> {
        decode_articles(body, ndjson, &FieldNames::default(), DocumentIds::Required)
    }

    #[test]
    fn bodies_decode_in_each_shape() {
        let one = decode(br#"{"id":"a","title":"Fed holds rates"}"#, false).unwrap();
        assert_eq!((one.shape, one.articles.len()), (Shape::Object, 1));
        let many = decode(br#"[{"id":"a","title":"x"},{"id":"b","title":"y"}]"#, false).unwrap();
        assert_eq!((many.shape, many.articles.len()), (Shape::Array, 2));
        let lines = decode(
            b"{\"id\":\"a\",\"title\":\"x\"}\r\n\n{\"id\":\"b\",\"title\":\"y\"}\n",
            true,
        )
        .unwrap();
        assert_eq!((lines.shape, lines.lines), (Shape::Lines, vec![1, 3]));
    }

    #[test]
    fn articles_are_counted_before_they_are_decoded_as_decoding_counts_them() {
        for (body, ndjson) in [
            (&br#"{"id":"1","title":"a"}"#[..], false),
            (br#"  [ ]"#, false),
            (
                br#"[{"id":"1","title":"a { [ \" }"},{"id":"2","title":"b","x":{"y":[{}]}}]"#,
                false,
            ),
            (
                br#"[{"id":"1","title":"\\"},  {"id":"2","title":"c"}]"#,
                false,
            ),
            (
                b"{\"id\":\"1\",\"title\":\"a\"}\n\n  \n{\"id\":\"2\",\"title\":\"{b\"}\n",
                true,
            ),
        ] {
            let decoded = decode(body, ndjson).expect("decodes");
            assert_eq!(
                articles_in(body, ndjson),
                decoded.articles.len(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn a_body_declared_as_a_form_upload_xml_a_picture_or_another_charset_is_refused_saying_what_is_read(
    ) {
        let declared = |v: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(v));
            refused_media_type(&headers)
        };
        for taken in [
            "application/json",
            "application/json; charset=utf-8",
            "application/x-ndjson",
            "application/x-www-form-urlencoded",
            "text/plain; charset=US-ASCII",
            "text/plain; charset=ISO-8859-1",
        ] {
            assert_eq!(declared(taken), None, "{taken}");
        }
        for (refused, said) in [
            (
                "multipart/form-data; boundary=x",
                "`multipart/form-data` is not read",
            ),
            ("application/xml", "`application/xml` is not read"),
            (
                "text/csv; header=present",
                "`storyhash dedupe FILE` reads CSV",
            ),
            ("application/atom+xml", "`application/atom+xml` is not read"),
            (
                "text/tab-separated-values",
                "`text/tab-separated-values` is not read; send JSON",
            ),
            (
                "application/json; charset=UTF-16LE",
                "charset `utf-16le` is not read",
            ),
            ("image/png", "`image/png` is not read; send JSON"),
            ("application/pdf", "`application/pdf` is not read"),
            ("application/gzip", "`application/gzip` is not read"),
        ] {
            let e = declared(refused).unwrap_or_default();
            assert!(e.contains(said), "{refused}: {e}");
        }
        // Nothing reads tab-separated files: the hint is for CSV alone.
        let tsv = declared("text/tab-separated-values").unwrap_or_default();
        assert!(!tsv.contains("reads CSV"), "{tsv}");
        assert_eq!(refused_media_type(&HeaderMap::new()), None);
    }

    #[test]
    fn body_errors_say_where() {
        let e = decode(br#"[{"id":"a","title":"x"},{"id":"b","title":7}]"#, false).unwrap_err();
        assert_eq!((e.index, e.field), (Some(1), Some("title")));
        let e = decode(br#"[{"id":"a","title":"x"},{"title":"y"}]"#, false).unwrap_err();
        assert_eq!((e.index, e.field), (Some(1), Some("id")));
        let e = decode(b"{\"id\":\"a\",\"title\":\"x\"}\n{\"id\":\"b\"}\n", true).unwrap_err();
        assert_eq!((e.line, e.field), (Some(2), Some("title")));
        // NDJSON sent as JSON says how to send it.
        let e = decode(
            b"{\"id\":\"a\",\"title\":\"x\"}\n{\"id\":\"b\",\"title\":\"y\"}\n",
            false,
        )
        .unwrap_err();
        assert!(
            e.message.contains("Content-Type: application/x-ndjson"),
            "{e:?}"
        );
        // NDJSON whose lines curl -d joined into one says so.
        let e = decode(
            b"{\"id\":\"a\",\"title\":\"x\"}{\"id\":\"b\",\"title\":\"y\"}",
            true,
        )
        .unwrap_err();
        assert!(e.message.contains("--data-binary @FILE"), "{e:?}");
        // An array sent as NDJSON says how to send it.
        let e = decode(br#"[{"id":"a","title":"x"}]"#, true).unwrap_err();
        assert!(
            e.message.contains("send an array as application/json"),
            "{e:?}"
        );
        let e = decode(b"[1]", false).unwrap_err();
        assert_eq!(e.index, Some(0));
        let e = decode(b"{\"id\":\"a\",\"title\":\"\xff\"}", false).unwrap_err();
        assert!(e.message.contains("UTF-8"), "{e:?}");
        // NDJSON whose second line is bad: the error names line 2.
        let second_line_error = |second: &[u8]| {
            let body = [&b"{\"id\":\"a\",\"title\":\"x\"}\n"[..], second].concat();
            let e = decode(&body, true).unwrap_err();
            assert_eq!(e.line, Some(2), "{e:?}");
            e.message
        };
        // The bad byte counted from 1 within its line, as the command-line readers count it.
        let message = second_line_error(b"{\"id\":\"b\",\"title\":\"\xff\"}");
        assert!(message.contains("(byte 20 of its line)"), "{message}");
        // A line's parse error names its column, the line being given beside: not the parser's "line 1".
        let message = second_line_error(b"{\"id\":\"b\",\"title\":\"x\",\n");
        assert!(message.ends_with("at column 22"), "{message}");
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(decode(deep.as_bytes(), false).is_err());
    }

    #[test]
    fn percent_escapes_decode() {
        assert_eq!(percent_decode("a%2Fb%20c").unwrap(), "a/b c");
        // What the hint for a URL id gives reads back as the id.
        let id = "https://ex.com/a b?x=1&y=é";
        assert_eq!(percent_decode(&percent_encoded(id)).unwrap(), id);
        assert!(percent_decode("%zz").is_err());
        assert!(percent_decode("%ff").is_err());
    }
}
