//! Maps each HTTP request to the engine and back: routing by method and path, bearer-token checks on the
//! write routes, the request body read within its size and time limits and decoded ([`decode_articles`]),
//! and JSON answers whose errors name the field and the array index or line at fault. Reads run on
//! tokio's blocking pool; writes go to the commit thread.

// A refused request is answered with the response itself, built once per request: boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::Instant;

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde::Serialize;
use serde_json::{json, Value};

use super::commit::{Outcome, Refused};
use super::metrics::Route;
use super::State;
use crate::error::{ArticleError, Error};
use crate::io::parse_document;
use crate::model::{Article, Verdict};
use crate::time;

type Answer = Response<Full<Bytes>>;

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

/// Decodes a request body: one article object, a JSON array of them, or (`ndjson`) one object per line.
/// Every article must carry an `id` and a `title`; the first problem refuses the whole body.
pub fn decode_articles(body: &[u8], ndjson: bool) -> Result<Decoded, BodyError> {
    let text = std::str::from_utf8(body).map_err(|e| BodyError {
        index: None,
        line: Some(
            1 + body[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64,
        ),
        field: None,
        message: format!("the body is not UTF-8 (byte {})", e.valid_up_to()),
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
                return Err(at(None, "expected an article object".into()));
            }
            let mut parsed = parse_document(line).map_err(|e| at(e.field, e.message))?;
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
    let articles = parse_document(text).map_err(|e| BodyError {
        index: e.index,
        line: None,
        field: e.field,
        message: e.message,
    })?;
    Ok(Decoded {
        articles: articles.into_iter().map(Article::into_owned).collect(),
        lines: Vec::new(),
        shape,
    })
}

fn json_answer(status: StatusCode, value: &impl Serialize) -> Answer {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn error_answer(status: StatusCode, message: impl Into<String>) -> Answer {
    json_answer(status, &json!({ "error": message.into() }))
}

fn unavailable(message: &str, retry_after_s: u32) -> Answer {
    let mut r = error_answer(StatusCode::SERVICE_UNAVAILABLE, message);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
    r
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

fn authorized(state: &State, req: &Request<Incoming>) -> Result<(), Answer> {
    let Some(token) = &state.config.token else {
        return Ok(());
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "));
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

/// Reads the body within the size and time limits.
async fn read_body(state: &State, req: Request<Incoming>) -> Result<Bytes, Answer> {
    let limit = state.config.limits.max_body_bytes;
    let too_large = || {
        error_answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body exceeds the limit of {limit} bytes (--max-body)"),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let collect = Limited::new(req.into_body(), limit).collect();
    match tokio::time::timeout(state.config.limits.body_timeout, collect).await {
        Err(_) => Err(error_answer(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request body did not arrive within {} s",
                state.config.limits.body_timeout.as_secs()
            ),
        )),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(e)) => Err(error_answer(
            StatusCode::BAD_REQUEST,
            format!("cannot read the request body: {e}"),
        )),
        Ok(Ok(body)) => Ok(body.to_bytes()),
    }
}

fn is_ndjson(req: &Request<Incoming>) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let v = v.split(';').next().unwrap_or("").trim();
            v.eq_ignore_ascii_case("application/x-ndjson")
                || v.eq_ignore_ascii_case("application/jsonl")
                || v.eq_ignore_ascii_case("application/jsonlines")
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

/// Reads and decodes a body of articles, within the batch limit.
async fn articles_from(state: &State, req: Request<Incoming>) -> Result<Decoded, Answer> {
    let ndjson = is_ndjson(&req);
    let body = read_body(state, req).await?;
    let decoded = decode_articles(&body, ndjson).map_err(body_error_answer)?;
    let max = state.config.limits.max_batch;
    if decoded.articles.is_empty() {
        return Err(error_answer(
            StatusCode::BAD_REQUEST,
            "the request holds no article",
        ));
    }
    if decoded.articles.len() > max {
        return Err(error_answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{} articles in one request; the limit is {max} (--max-batch)",
                decoded.articles.len()
            ),
        ));
    }
    Ok(decoded)
}

/// The answer for article `pos` of a request being refused.
fn article_error_answer(
    decoded_lines: &[u64],
    shape: Shape,
    pos: usize,
    id: &str,
    e: &Error,
) -> Answer {
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
    let mut v = json!({ "error": e.to_string(), "id": id });
    match shape {
        Shape::Lines => v["line"] = json!(decoded_lines.get(pos)),
        Shape::Array => v["index"] = json!(pos),
        Shape::Object => {}
    }
    if let Some(field) = field {
        v["field"] = json!(field);
    }
    json_answer(status, &v)
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
            let mut r = Response::new(Full::new(Bytes::from(body)));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-ndjson"),
            );
            r
        }
    }
}

async fn post_articles(state: &State, req: Request<Incoming>) -> Answer {
    if let Err(r) = authorized(state, &req) {
        return r;
    }
    let Some(committer) = state.committer.get() else {
        return unavailable("the store is still opening", 1);
    };
    let decoded = match articles_from(state, req).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let ids: Vec<String> = decoded.articles.iter().map(|a| a.id.to_string()).collect();
    let receiver = match committer.submit(decoded.articles) {
        Ok(r) => r,
        Err(Refused::Full) => return unavailable("the write queue is full; retry shortly", 1),
        Err(Refused::Stopped) => return unavailable("the daemon is shutting down", 5),
    };
    match receiver.await {
        Ok(Outcome::Stored(verdicts)) => verdicts_answer(decoded.shape, &verdicts),
        Ok(Outcome::Rejected(pos, e)) => {
            article_error_answer(&decoded.lines, decoded.shape, pos, &ids[pos], &e)
        }
        Ok(Outcome::Failed(message)) => error_answer(StatusCode::INTERNAL_SERVER_ERROR, message),
        Err(_) => error_answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the commit thread stopped before answering",
        ),
    }
}

async fn query(state: &State, req: Request<Incoming>) -> Answer {
    let Some(engine) = state.engine().cloned() else {
        return unavailable("the store is still opening", 1);
    };
    let decoded = match articles_from(state, req).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let shape = decoded.shape;
    let lines = decoded.lines.clone();
    let answered = tokio::task::spawn_blocking(move || {
        decoded
            .articles
            .iter()
            .enumerate()
            .map(|(pos, a)| engine.query(a).map_err(|e| (pos, a.id.to_string(), e)))
            .collect::<Result<Vec<Verdict>, _>>()
    })
    .await;
    match answered {
        Ok(Ok(verdicts)) => verdicts_answer(shape, &verdicts),
        Ok(Err((pos, id, e))) => article_error_answer(&lines, shape, pos, &id, &e),
        Err(e) => error_answer(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Runs a read or write on the blocking pool and answers with its JSON, 404 for `None`.
async fn blocking<T: Serialize + Send + 'static>(
    state: &State,
    not_found: String,
    work: impl FnOnce(&crate::engine::Engine) -> Result<Option<T>, Error> + Send + 'static,
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

fn get_article(state: &State, id: String) -> impl std::future::Future<Output = Answer> + '_ {
    blocking(state, format!("no article `{id}`"), move |engine| {
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
}

async fn delete_article(state: &State, req: &Request<Incoming>, id: String) -> Answer {
    if let Err(r) = authorized(state, req) {
        return r;
    }
    if !state.ready() {
        return unavailable("the store is not writable", 1);
    }
    blocking(state, format!("no article `{id}`"), move |engine| {
        let removed = engine.remove(&id)?;
        if !removed {
            return Ok(None);
        }
        engine.flush()?;
        Ok(Some(json!({ "id": id, "removed": true })))
    })
    .await
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

/// Which grouping a detail route shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    Cluster,
    Story,
}

async fn get_group(state: &State, req: &Request<Incoming>, id: &str, level: Level) -> Answer {
    let what = match level {
        Level::Cluster => "cluster",
        Level::Story => "story",
    };
    let Ok(cluster) = id.parse::<u64>() else {
        return error_answer(
            StatusCode::BAD_REQUEST,
            format!("`{id}` is not a {what} id (a whole number)"),
        );
    };
    let pairs = match query_pairs(req.uri().query()) {
        Ok(p) => p,
        Err(e) => return error_answer(StatusCode::BAD_REQUEST, e),
    };
    let (offset, limit) = match (
        number(&pairs, "offset", 0, usize::MAX),
        number(&pairs, "limit", 100, 1000),
    ) {
        (Ok(o), Ok(l)) => (o, l),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    blocking(state, format!("no {what} {cluster}"), move |engine| {
        let detail = match level {
            Level::Cluster => engine.cluster_detail(cluster, offset, limit)?,
            Level::Story => engine.story_detail(cluster, offset, limit)?,
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
                    "time": time::format_rfc3339(m.time),
                })).collect::<Vec<Value>>(),
            })
        }))
    })
    .await
}

async fn list_clusters(state: &State, req: &Request<Incoming>) -> Answer {
    let pairs = match query_pairs(req.uri().query()) {
        Ok(p) => p,
        Err(e) => return error_answer(StatusCode::BAD_REQUEST, e),
    };
    let limit = match number(&pairs, "limit", 20, 1000) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let since = match pairs.iter().find(|(k, _)| k == "since") {
        None => time::now() - 86_400,
        Some((_, v)) => match time::parse_timestamp(v) {
            Some(t) => t,
            None => match time::parse_duration(v) {
                Ok(d) => time::now() - d as i64,
                Err(_) => {
                    return error_answer(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "query parameter `since`: `{v}` is neither a time (2026-11-28T10:00:00Z) nor a duration ago (24h)"
                        ),
                    )
                }
            },
        },
    };
    blocking(state, String::new(), move |engine| {
        let trends = engine.trending(since, limit)?;
        Ok(Some(json!({
            "since": time::format_rfc3339(since),
            "clusters": trends.iter().map(|t| json!({
                "id": t.id,
                "story": t.story,
                "growth": t.growth,
                "size": t.size,
                "representative": t.representative,
                "last_seen": time::format_rfc3339(t.last_seen),
            })).collect::<Vec<Value>>(),
        })))
    })
    .await
}

async fn prune(state: &State, req: &Request<Incoming>) -> Answer {
    if let Err(r) = authorized(state, req) {
        return r;
    }
    if !state.ready() {
        return unavailable("the store is not writable", 1);
    }
    let pairs = match query_pairs(req.uri().query()) {
        Ok(p) => p,
        Err(e) => return error_answer(StatusCode::BAD_REQUEST, e),
    };
    let Some((_, older)) = pairs.iter().find(|(k, _)| k == "older_than") else {
        return error_answer(
            StatusCode::BAD_REQUEST,
            "query parameter `older_than` (a duration such as 30d) is required",
        );
    };
    let age = match time::parse_duration(older) {
        Ok(d) => d as i64,
        Err(e) => return error_answer(StatusCode::BAD_REQUEST, format!("`older_than`: {e}")),
    };
    let before = time::now() - age;
    blocking(state, String::new(), move |engine| {
        let pruned = engine.prune(before)?;
        engine.flush()?;
        Ok(Some(
            json!({ "pruned": pruned, "before": time::format_rfc3339(before) }),
        ))
    })
    .await
}

fn readiness(state: &State) -> Answer {
    match state.engine() {
        None => unavailable("the store is still opening", 1),
        Some(_) if !state.ready() => unavailable("the store failed and is not writable", 5),
        Some(engine) => {
            let stats = engine.stats();
            json_answer(
                StatusCode::OK,
                &json!({ "status": "ready", "articles": stats.articles, "clusters": stats.clusters }),
            )
        }
    }
}

fn metrics(state: &State) -> Answer {
    let (articles, clusters) = state
        .engine()
        .map(|e| {
            let s = e.stats();
            (s.articles, s.clusters)
        })
        .unwrap_or((0, 0));
    let text = state.metrics.render(articles, clusters, state.ready());
    let mut r = Response::new(Full::new(Bytes::from(text)));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

fn method_not_allowed(allow: &'static str) -> Answer {
    let mut r = error_answer(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("this route takes {allow}"),
    );
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

/// Answers one request.
pub async fn handle(state: &Arc<State>, req: Request<Incoming>) -> Answer {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (route, answer) = match (&method, segments.as_slice()) {
        (&Method::GET, ["healthz"]) => (
            Route::Health,
            json_answer(StatusCode::OK, &json!({ "status": "ok" })),
        ),
        (&Method::GET, ["readyz"]) => (Route::Health, readiness(state)),
        (&Method::GET, ["metrics"]) => (Route::Health, metrics(state)),
        (&Method::POST, ["v1", "articles"]) => {
            (Route::PostArticles, post_articles(state, req).await)
        }
        (_, ["v1", "articles"]) => (Route::Other, method_not_allowed("POST")),
        (m, ["v1", "articles", id]) => match percent_decode(id) {
            Err(e) => (Route::Other, error_answer(StatusCode::BAD_REQUEST, e)),
            Ok(id) if m == Method::GET => (Route::GetArticle, get_article(state, id).await),
            Ok(id) if m == Method::DELETE => {
                (Route::DeleteArticle, delete_article(state, &req, id).await)
            }
            Ok(_) => (Route::Other, method_not_allowed("GET, DELETE")),
        },
        (&Method::GET, ["v1", "clusters", id]) => (
            Route::GetGroup,
            get_group(state, &req, id, Level::Cluster).await,
        ),
        (&Method::GET, ["v1", "stories", id]) => (
            Route::GetGroup,
            get_group(state, &req, id, Level::Story).await,
        ),
        (_, ["v1", "stories", ..]) => (Route::Other, method_not_allowed("GET")),
        (&Method::GET, ["v1", "clusters"]) => {
            (Route::ListClusters, list_clusters(state, &req).await)
        }
        (_, ["v1", "clusters", ..]) => (Route::Other, method_not_allowed("GET")),
        (&Method::POST, ["v1", "query"]) => (Route::Query, query(state, req).await),
        (&Method::POST, ["v1", "prune"]) => (Route::Prune, prune(state, &req).await),
        (_, ["v1", "query" | "prune"]) => (Route::Other, method_not_allowed("POST")),
        _ => (
            Route::Other,
            error_answer(StatusCode::NOT_FOUND, format!("no route {method} {path}")),
        ),
    };
    let code = answer.status().as_u16();
    state.metrics.request(route, code, started.elapsed());
    if code >= 500 && code != 503 {
        tracing::warn!(%method, %path, code, "request failed");
    } else {
        tracing::debug!(%method, %path, code, micros = started.elapsed().as_micros() as u64, "request");
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_decode_in_each_shape() {
        let one = decode_articles(br#"{"id":"a","title":"Fed holds rates"}"#, false).unwrap();
        assert_eq!((one.shape, one.articles.len()), (Shape::Object, 1));
        let many =
            decode_articles(br#"[{"id":"a","title":"x"},{"id":"b","title":"y"}]"#, false).unwrap();
        assert_eq!((many.shape, many.articles.len()), (Shape::Array, 2));
        let lines = decode_articles(
            b"{\"id\":\"a\",\"title\":\"x\"}\r\n\n{\"id\":\"b\",\"title\":\"y\"}\n",
            true,
        )
        .unwrap();
        assert_eq!((lines.shape, lines.lines), (Shape::Lines, vec![1, 3]));
    }

    #[test]
    fn body_errors_say_where() {
        let e = decode_articles(br#"[{"id":"a","title":"x"},{"id":"b","title":7}]"#, false)
            .unwrap_err();
        assert_eq!((e.index, e.field), (Some(1), Some("title")));
        let e = decode_articles(br#"[{"id":"a","title":"x"},{"title":"y"}]"#, false).unwrap_err();
        assert_eq!((e.index, e.field), (Some(1), Some("id")));
        let e =
            decode_articles(b"{\"id\":\"a\",\"title\":\"x\"}\n{\"id\":\"b\"}\n", true).unwrap_err();
        assert_eq!((e.line, e.field), (Some(2), Some("title")));
        let e = decode_articles(b"[1]", false).unwrap_err();
        assert_eq!(e.index, Some(0));
        let e = decode_articles(b"{\"id\":\"a\",\"title\":\"\xff\"}", false).unwrap_err();
        assert!(e.message.contains("UTF-8"), "{e:?}");
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(decode_articles(deep.as_bytes(), false).is_err());
    }

    #[test]
    fn percent_escapes_decode() {
        assert_eq!(percent_decode("a%2Fb%20c").unwrap(), "a/b c");
        assert!(percent_decode("%zz").is_err());
        assert!(percent_decode("%ff").is_err());
    }
}
