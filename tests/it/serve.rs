//! The daemon as its users meet it: a real `storyhash serve` on 127.0.0.1:0 driven over HTTP — every route,
//! auth, limits, idempotency, the time window, backpressure, timeouts and graceful shutdown.

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use crate::cli::{sample_store, stderr, storyhash};
use crate::http::{eventually, ok_if, Connection, Server};

const ECB_1: &str = "ECB unlikely to end sterilisation of SMP purchases - traders";
const ECB_2: &str = "ECB unlikely to end sterilization of SMP purchases: traders";
const PORTUGAL: &str = "Portugal's Democratic Alliance Stands Firm on Governance";

#[test]
fn every_route_answers_for_a_user() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::ready(&dir.path().join("db"), &[]);
    assert_eq!(server.get("/healthz").json()["status"], "ok");
    assert_eq!(server.get("/readyz").status, 200);

    // One object in, one verdict out.
    let r = server.post(
        "/v1/articles",
        &json!({"id": "a/1", "title": ECB_1, "source": "Reuters", "url": "https://example.com/a/1"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let first = r.json();
    assert_eq!(first["status"], "new");
    // An array in, an array of verdicts out, in order.
    let r = server.post(
        "/v1/articles",
        &json!([{"id": "b", "title": ECB_2, "source": "Bloomberg"}, {"id": "c", "title": PORTUGAL}]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let verdicts = r.json();
    assert_eq!(verdicts[0]["status"], "near_duplicate");
    assert_eq!(verdicts[0]["cluster"], first["cluster"]);
    assert_eq!(verdicts[0]["duplicate_of"], "a/1");
    assert_eq!(verdicts[1]["status"], "new");
    // NDJSON in, NDJSON out.
    let r = server.request(
        "POST",
        "/v1/articles",
        &[("Content-Type", "application/x-ndjson")],
        format!(
            "{}\n{}\n",
            json!({"id": "d", "title": ECB_1}),
            json!({"id": "e", "title": "Earthquake shakes Tokyo"})
        )
        .as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    let lines: Vec<Value> = r
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["status"], "duplicate");
    // The other names NDJSON goes by.
    for kind in [
        "application/ndjson",
        "application/jsonl",
        "application/jsonlines",
    ] {
        let r = server.request(
            "POST",
            "/v1/articles",
            &[("Content-Type", kind)],
            format!(
                "{}
",
                json!({"id": "e", "title": "Earthquake shakes Tokyo"})
            )
            .as_bytes(),
        );
        assert_eq!(r.status, 200, "{kind}: {}", r.text());
        assert_eq!(
            r.header("content-type"),
            Some("application/x-ndjson"),
            "{kind}"
        );
    }
    // A compressed body is refused as such, not as text that is not UTF-8.
    let r = server.request(
        "POST",
        "/v1/articles",
        &[("Content-Encoding", "gzip")],
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00",
    );
    assert_eq!(r.status, 415, "{}", r.text());
    assert!(
        r.text().contains("send the body uncompressed"),
        "{}",
        r.text()
    );

    // The stored article, its id percent-encoded in the path.
    let r = server.get("/v1/articles/a%2F1");
    assert_eq!(r.status, 200);
    let a = r.json();
    assert_eq!(
        (a["title"].as_str(), a["source"].as_str()),
        (Some(ECB_1), Some("Reuters"))
    );
    assert_eq!(a["cluster"], first["cluster"]);
    assert_eq!(server.get("/v1/articles/nope").status, 404);

    // The cluster: representative, size, span, sources, members paged.
    let cluster = first["cluster"].as_u64().unwrap();
    let c = server.get(&format!("/v1/clusters/{cluster}")).json();
    assert_eq!(c["size"], 3);
    assert_eq!(c["representative"], ECB_1);
    assert_eq!(c["sources"], json!(["Reuters", "Bloomberg"]));
    assert!(c["first_seen"].as_str().unwrap().ends_with('Z'));
    let ids: Vec<&str> = c["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a/1", "b", "d"]);
    // Each member links to its article where the article gave a URL.
    assert_eq!(c["members"][0]["url"], "https://example.com/a/1");
    assert_eq!(c["members"][1]["url"], Value::Null);
    let page = server
        .get(&format!("/v1/clusters/{cluster}?offset=1&limit=1"))
        .json();
    assert_eq!(page["members"][0]["id"], "b");
    assert_eq!(page["members"].as_array().unwrap().len(), 1);
    assert_eq!(server.get("/v1/clusters/999999").status, 404);
    assert_eq!(server.get("/v1/clusters/abc").status, 400);
    // `b`, the next article, joined the cluster: its number is no cluster id, as a member's is no story
    // id.
    assert_eq!(
        server.get(&format!("/v1/clusters/{}", cluster + 1)).status,
        404
    );
    assert_eq!(
        server.get(&format!("/v1/stories/{}", cluster + 1)).status,
        404
    );

    // The story: every article about the ECB, near-duplicates or not.
    let story = first["story"].as_u64().unwrap();
    let st = server.get(&format!("/v1/stories/{story}"));
    assert_eq!(st.status, 200, "{}", st.text());
    let st = st.json();
    assert_eq!(st["id"], story);
    assert!(st["size"].as_u64().unwrap() >= 3, "{st}");
    assert_eq!(server.get("/v1/articles/b").json()["story"], story);
    assert_eq!(server.get("/v1/stories/999999").status, 404);

    // Trending: the ECB story grew most.
    let t = server.get("/v1/clusters?since=1h&limit=2").json();
    let trending = t["clusters"].as_array().unwrap();
    assert_eq!(trending.len(), 2);
    assert_eq!(trending[0]["id"], cluster);
    assert_eq!(trending[0]["growth"], 3);
    assert_eq!(server.get("/v1/clusters?since=soon").status, 400);
    // A refused read: 400, saying `said`.
    let refused = |path: &str, said: &str| {
        let r = server.get(path);
        assert_eq!(r.status, 400, "{path}: {}", r.text());
        assert!(r.text().contains(said), "{path}: {}", r.text());
    };
    // A short bare number would be a time in 1970; it is refused for its missing unit, while Unix
    // seconds are a time.
    refused("/v1/clusters?since=24", "`24` has no unit");
    refused("/v1/clusters?since=24.0", "`24.0` has no unit");
    // Eight digits that make a date are that date (ISO 8601's basic form).
    let t = server.get("/v1/clusters?since=20140310");
    assert_eq!(t.status, 200, "{}", t.text());
    assert_eq!(t.json()["since"], "2014-03-10T00:00:00Z", "{}", t.text());
    // A parameter the route does not take is named, with those it takes, rather than ignored.
    refused(
        "/v1/clusters?sinc=1h",
        "unknown query parameter `sinc`; /v1/clusters takes since, limit",
    );
    assert_eq!(server.get("/v1/stories?offset=20").status, 400);
    refused("/v1/clusters?limit=2&limit=3", "`limit` is given twice");
    // The routes that take no parameters say so too, rather than answering as if none were given
    // (the all-time figures for a `since`), and a write with one stores and removes nothing.
    refused(
        "/v1/stats?since=1h",
        "unknown query parameter `since`; /v1/stats takes no query parameters",
    );
    assert_eq!(server.get("/v1/articles/b?fields=title").status, 400);
    let before = server.get("/v1/stats").json()["articles"].clone();
    let r = server.post(
        "/v1/articles?dry_run=1",
        &json!({"id": "q1", "title": ECB_1}),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(server.get("/v1/articles/q1").status, 404);
    let r = server.post("/v1/query?x=1", &json!({"id": "q2", "title": ECB_1}));
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        server
            .request("DELETE", "/v1/articles/b?x=1", &[], b"")
            .status,
        400
    );
    assert_eq!(server.get("/v1/articles/b").status, 200);
    assert_eq!(server.get("/v1/stats").json()["articles"], before);
    // Probes and scrapers may add their own: those routes leave a query string alone.
    assert_eq!(server.get("/healthz?probe=1").status, 200);
    assert_eq!(server.get("/metrics?ts=1").status, 200);
    // An offset's `+` left unescaped arrives as a space: said so.
    refused("/v1/clusters?since=2026-12-05T08:00:00+01:00", "%2B");
    assert_eq!(
        server
            .get("/v1/clusters?since=2026-12-05T08:00:00%2B01:00")
            .status,
        200
    );
    assert_eq!(server.get("/v1/clusters?since=1764806400").status, 200);

    // Query stores nothing.
    let q = server.post("/v1/query", &json!({"id": "q", "title": ECB_2}));
    assert_eq!(q.status, 200);
    assert_eq!(q.json()["cluster"], first["cluster"]);
    assert_eq!(server.get("/v1/articles/q").status, 404);
    // A headline asked about needs no id: its verdict's is null.
    let q = server.post("/v1/query", &json!({"title": ECB_2}));
    assert_eq!(q.status, 200, "{}", q.text());
    let unnamed = q.json();
    assert_eq!(unnamed["id"], Value::Null);
    assert_eq!(unnamed["cluster"], first["cluster"]);
    assert_eq!(
        (&unnamed["status"], &unnamed["duplicate_of"]),
        (&json!("duplicate"), &json!("b"))
    );
    let r = server.request(
        "POST",
        "/v1/query",
        &[("Content-Type", "application/x-ndjson")],
        format!(
            "{}\n{}\n",
            json!({"id": null, "title": PORTUGAL}),
            json!({"title": " "})
        )
        .as_bytes(),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    let refused = r.json();
    assert_eq!(
        (&refused["error"], &refused["id"], &refused["line"]),
        (&json!("field `title` is empty"), &Value::Null, &json!(2))
    );
    // A blank id is none.
    let q = server.post("/v1/query", &json!({"id": "  ", "title": ECB_2}));
    assert_eq!((q.status, &q.json()), (200, &unnamed));
    // An article stored needs one still, and an empty one is given back as it came.
    let r = server.post("/v1/articles", &json!({"title": ECB_2}));
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["field"], "id");
    let r = server.post("/v1/articles", &json!({"id": "", "title": ECB_2}));
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        (&r.json()["field"], &r.json()["id"]),
        (&json!("id"), &json!(""))
    );
    // Nor does it take its articles in order: an id given twice conflicts with the store alone.
    // Every article whose id the store holds with another text is listed, as a write's refusal does.
    let q = server.post(
        "/v1/query",
        &json!([
            {"id": "a/1", "title": ECB_1},
            {"id": "a/1", "title": "Something else entirely"},
            {"id": "never-stored", "title": "Something else entirely"},
            {"id": "a/1", "title": "Yet another text"},
        ]),
    );
    assert_eq!(q.status, 409, "{}", q.text());
    assert!(
        q.text().contains("is already stored with a different text"),
        "{}",
        q.text()
    );
    assert_eq!(
        q.json()["conflicts"],
        json!([{"id": "a/1", "index": 1}, {"id": "a/1", "index": 3}])
    );

    // Delete takes it out of its cluster.
    assert_eq!(
        server.request("DELETE", "/v1/articles/b", &[], b"").status,
        200
    );
    assert_eq!(server.get("/v1/articles/b").status, 404);
    assert_eq!(
        server.request("DELETE", "/v1/articles/b", &[], b"").status,
        404
    );
    assert_eq!(
        server.get(&format!("/v1/clusters/{cluster}")).json()["size"],
        2
    );

    // Metrics in the Prometheus text format.
    let m = server.get("/metrics");
    assert_eq!(m.status, 200);
    let text = m.text();
    assert!(
        text.contains("storyhash_articles_ingested_total{status=\"new\"} 3"),
        "{text}"
    );
    assert!(
        text.contains("storyhash_articles_ingested_total{status=\"duplicate\"} 1"),
        "{text}"
    );
    assert!(text.contains("storyhash_articles 4\n"), "{text}");
    assert!(text.contains("storyhash_flush_seconds_count"), "{text}");
    assert!(text.contains("storyhash_queue_depth 0"), "{text}");

    // Unknown routes and methods; a route of the API asked for without its version says where it is.
    let r = server.get("/v2/articles");
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], "no route GET /v2/articles");
    let r = server.request("POST", "/articles", &[], b"{}");
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["error"],
        "no route POST /articles: the API's routes are under /v1 (/v1/articles)"
    );
    // A trailing `/` is told where the route is, when there is one for the method.
    for (method, path) in [
        ("GET", "/v1/stats/"),
        ("GET", "/healthz/"),
        ("POST", "/v1/articles/"),
        ("GET", "/v1/stories/0/clusters/"),
    ] {
        let r = server.request(method, path, &[], b"{}");
        assert_eq!(r.status, 404);
        assert_eq!(
            r.json()["error"],
            format!(
                "no route {method} {path}: the routes end without `/`: {method} {}",
                path.trim_end_matches('/')
            )
        );
    }
    for (method, path) in [
        ("GET", "/nothing/here/"),
        ("GET", "/v1/articles/"),
        ("GET", "/v1/articles/foo/"),
        ("POST", "/v1/stats/"),
    ] {
        let r = server.request(method, path, &[], b"{}");
        assert!(
            !r.text().contains("end without"),
            "{method} {path}: {}",
            r.text()
        );
    }
    // An id that is a URL, written in the path as it is, is told how to write it; as told, it is found.
    let url = "https://ex.com/a/b?x=1";
    let r = server.post(
        "/v1/articles",
        &serde_json::json!({"id": url, "title": "Ferry capsizes off the coast of Java"}),
    );
    assert_eq!(r.status, 200);
    let r = server.get(&format!("/v1/articles/{url}"));
    assert_eq!(r.status, 404);
    let error = r.json()["error"].as_str().unwrap().to_owned();
    let encoded = "/v1/articles/https%3A%2F%2Fex.com%2Fa%2Fb%3Fx%3D1";
    assert!(
        error.contains("an id holding `/` (a URL) is written percent-encoded")
            && error.ends_with(encoded),
        "{error}"
    );
    let r = server.get(encoded);
    assert_eq!((r.status, r.json()["id"].as_str()), (200, Some(url)));
    // A slash at the end only is no URL id: no encoding is offered for it.
    let r = server.get("/v1/articles/r1/");
    assert_eq!(r.status, 404);
    assert!(!r.json()["error"]
        .as_str()
        .unwrap()
        .contains("percent-encoded"));
    let r = server.request("PUT", "/v1/articles", &[], b"");
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
    assert_eq!(r.json()["error"], "PUT /v1/articles: this route takes POST");
    let r = server.request("PATCH", "/v1/articles/a", &[], b"");
    assert_eq!(r.status, 405);
    assert_eq!(
        r.json()["error"],
        "PATCH /v1/articles/a: this route takes GET, HEAD, DELETE"
    );
}

/// A daemon whose write routes need the token `s3cret` (read from a file in `dir`), with `flags`.
fn daemon_with_token(dir: &Path, flags: &[&str]) -> Server {
    let token_file = dir.join("token");
    std::fs::write(&token_file, "s3cret\n").unwrap();
    let mut args = vec!["--token-file", token_file.to_str().unwrap()];
    args.extend_from_slice(flags);
    Server::ready(&dir.join("db"), &args)
}

#[test]
fn write_routes_need_the_token_when_one_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let server = daemon_with_token(dir.path(), &[]);
    let body = json!({"id": "1", "title": ECB_1}).to_string();
    let r = server.request("POST", "/v1/articles", &[], body.as_bytes());
    assert_eq!(
        (r.status, r.header("www-authenticate")),
        (401, Some("Bearer"))
    );
    let r = server.request(
        "POST",
        "/v1/articles",
        &[("Authorization", "Bearer wrong")],
        body.as_bytes(),
    );
    assert_eq!(r.status, 401);
    assert_eq!(
        server.get("/v1/articles/1").status,
        404,
        "nothing was stored"
    );
    let r = server.request(
        "POST",
        "/v1/articles",
        &[("Authorization", "Bearer s3cret")],
        body.as_bytes(),
    );
    assert_eq!(r.status, 200);
    // The scheme's name in any case, as HTTP allows.
    let r = server.request(
        "POST",
        "/v1/articles",
        &[("Authorization", "bearer s3cret")],
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        server.request("DELETE", "/v1/articles/1", &[], b"").status,
        401
    );
    assert_eq!(
        server
            .request("POST", "/v1/prune?older_than=1d", &[], b"")
            .status,
        401
    );
    // Reads stay open.
    assert_eq!(server.get("/v1/articles/1").status, 200);
    assert_eq!(
        server
            .post("/v1/query", &json!({"id": "q", "title": ECB_2}))
            .status,
        200
    );
}

/// A write without the token is told that it needs the token (401), not that its body is too large:
/// the token is checked before the body's limits, and the refusal is counted under its route.
#[test]
fn a_write_without_the_token_is_refused_for_that_before_its_body_size() {
    let dir = tempfile::tempdir().unwrap();
    let server = daemon_with_token(dir.path(), &["--max-body", "64K"]);
    let large = vec![b' '; 70_000];
    for route in ["/v1/articles", "/v1/prune?older_than=1d"] {
        let r = server.request("POST", route, &[], &large);
        assert_eq!(
            (r.status, r.header("www-authenticate")),
            (401, Some("Bearer")),
            "{route}: {}",
            r.text()
        );
        assert!(
            r.json()["error"].as_str().unwrap().contains("Bearer"),
            "{route}"
        );
    }
    let r = server.request(
        "POST",
        "/v1/articles",
        &[("Authorization", "Bearer s3cret")],
        &large,
    );
    assert_eq!(r.status, 413, "with the token, the size: {}", r.text());
    // A read route with a body has no token to check: its size is what it is refused for.
    assert_eq!(server.request("POST", "/v1/query", &[], &large).status, 413);
    let metrics = server.get("/metrics").text();
    for counted in [
        "storyhash_request_seconds_count{route=\"post_articles\"} 1\n",
        "storyhash_request_seconds_count{route=\"prune\"} 1\n",
    ] {
        assert!(metrics.contains(counted), "{counted}: {metrics}");
    }
}

#[test]
fn bad_requests_say_what_and_where_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::ready(
        &dir.path().join("db"),
        &["--max-body", "64K", "--max-batch", "3", "--max-field", "1K"],
    );
    let bad = |body: &[u8]| {
        let r = server.request("POST", "/v1/articles", &[], body);
        (r.status, r.json())
    };
    let (status, e) = bad(b"{\"id\": \"1\", \"title\": ");
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().contains("EOF"), "{e}");
    // A form (curl -d key=value) or nothing at all: the answer says what a body holds.
    for body in [&b"title=Fine+headline+here"[..], b"", b"  \n"] {
        let (status, e) = bad(body);
        assert_eq!(status, 400, "{e}");
        assert!(
            e["error"]
                .as_str()
                .unwrap()
                .contains("send an article object, an array of articles, or articles one per line"),
            "{e}"
        );
    }
    let (status, e) = bad(br#"[{"id": "ok", "title": "Fine headline here"}, {"id": "2"}]"#);
    assert_eq!(
        (status, &e["index"], &e["field"]),
        (400, &json!(1), &json!("title"))
    );
    // One object whose title is under another key: the answer names the keys it has.
    let (status, e) = bad(br#"{"id": "h1", "headline": "Fine headline here"}"#);
    assert_eq!((status, &e["field"]), (400, &json!("title")), "{e}");
    let said = e["error"].as_str().unwrap();
    assert!(
        said.starts_with("missing field `title`; the record's keys: "),
        "{e}"
    );
    assert!(said.contains("headline"), "{e}");
    // So does an array's element, with its own keys rather than the first element's.
    let (status, e) = bad(
        br#"[{"id": "ok", "title": "Fine headline here"}, {"id": "h2", "headline": "Another"}]"#,
    );
    assert_eq!(
        (status, &e["index"], &e["field"]),
        (400, &json!(1), &json!("title")),
        "{e}"
    );
    assert_eq!(
        e["error"],
        json!("missing field `title`; the record's keys: headline, id"),
        "{e}"
    );
    let (status, e) =
        bad(br#"[{"id": "ok", "title": "Fine headline here"}, {"id": "3", "title": 5}]"#);
    assert_eq!(
        (status, &e["index"], &e["field"]),
        (400, &json!(1), &json!("title"))
    );
    assert!(
        e["error"].as_str().unwrap().contains("found integer"),
        "{e}"
    );
    let (status, e) =
        bad(br#"[{"id": "ok", "title": "Fine headline here"}, {"id": "4", "title": "   "}]"#);
    assert_eq!(
        (status, &e["index"], &e["field"]),
        (400, &json!(1), &json!("title"))
    );
    let long = "x".repeat(2000);
    let (status, e) = bad(
        json!([{"id": "ok", "title": "Fine headline here"}, {"id": "5", "title": long}])
            .to_string()
            .as_bytes(),
    );
    assert_eq!(
        (status, &e["index"], &e["field"]),
        (400, &json!(1), &json!("title"))
    );
    assert_eq!(e["id"], json!("5"));
    // An id refused as too long comes back cut short, not whole.
    let long_id = "i".repeat(2000);
    let (status, e) = bad(json!({"id": long_id, "title": "Fine headline here"})
        .to_string()
        .as_bytes());
    assert_eq!((status, &e["field"]), (400, &json!("id")), "{e}");
    let shown = e["id"].as_str().unwrap();
    assert!(
        shown.starts_with("iiii") && shown.ends_with("(2000 bytes)"),
        "{shown}"
    );
    assert!(shown.len() < 100, "{shown}");
    // A rejected batch stores nothing, not even its good articles.
    assert_eq!(server.get("/v1/articles/ok").status, 404);
    // An empty batch is a valid request that stores nothing.
    let (status, e) = bad(b"[]");
    assert_eq!((status, e), (200, json!([])));
    // An empty NDJSON body: no lines back, in the request's shape, from both routes that take articles.
    for route in ["/v1/articles", "/v1/query"] {
        let r = server.request(
            "POST",
            route,
            &[("Content-Type", "application/x-ndjson")],
            b"",
        );
        assert_eq!(r.status, 200, "{route}: {}", r.text());
        assert_eq!(
            r.header("content-type"),
            Some("application/x-ndjson"),
            "{route}"
        );
        assert_eq!(r.text(), "", "{route}");
    }
    let four = json!([{"id":"1","title":"a b c d"},{"id":"2","title":"a b c d"},{"id":"3","title":"a b c d"},{"id":"4","title":"a b c d"}]);
    let (status, e) = bad(four.to_string().as_bytes());
    assert_eq!(status, 413);
    assert!(e["error"].as_str().unwrap().contains("--max-batch"), "{e}");
    let (status, e) = bad(&vec![b' '; 70_000]);
    assert_eq!(status, 413);
    assert!(e["error"].as_str().unwrap().contains("--max-body"), "{e}");
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let (status, _) = bad(deep.as_bytes());
    assert_eq!(status, 400);
    let (status, e) = bad(b"{\"id\":\"1\",\"title\":\"caf\xe9\"}");
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().contains("UTF-8"), "{e}");
    // The daemon goes on: a good request after all of that is stored.
    let r = server.post(
        "/v1/articles",
        &json!({"id": "ok", "title": "Fine headline here"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(server.get("/readyz").json()["articles"], 1);
}

#[test]
fn reposting_is_idempotent_and_a_changed_text_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::ready(&dir.path().join("db"), &[]);
    let article = json!({"id": "1", "title": ECB_1});
    let first = server.post("/v1/articles", &article);
    // A re-post, here with a corrected time, answers the stored verdict marked as a repeat: nothing
    // of it is stored.
    let again = server.post(
        "/v1/articles",
        &json!({"id": "1", "title": ECB_1, "published": "2014-03-11T08:00:00Z"}),
    );
    assert_eq!((first.status, again.status), (200, 200));
    let mut repeated = first.json();
    assert_eq!(repeated.get("repeat"), None, "a first post is no repeat");
    repeated["repeat"] = json!(true);
    assert_eq!(again.json(), repeated);
    assert_eq!(server.get("/readyz").json()["articles"], 1);
    assert_eq!(
        server.get("/v1/articles/1").json()["published"],
        Value::Null
    );
    let r = server.post("/v1/articles", &json!({"id": "1", "title": PORTUGAL}));
    assert_eq!(r.status, 409);
    let e = r.json();
    assert_eq!((&e["id"], &e["field"]), (&json!("1"), &json!("id")));
    assert_eq!(
        e["error"],
        "article `1` is already stored with a different text"
    );
    // The same id twice in one batch with two texts is refused whole; with one text it is one article.
    let r = server.post(
        "/v1/articles",
        &json!([{"id": "2", "title": ECB_2}, {"id": "3", "title": PORTUGAL}, {"id": "2", "title": "Something else entirely"}]),
    );
    assert_eq!((r.status, &r.json()["index"]), (409, &json!(2)));
    assert_eq!(
        r.json()["error"],
        "article `2` came earlier in this request with a different text"
    );
    assert_eq!(server.get("/v1/articles/3").status, 404);
    // Every conflict of a refused request is listed, so that a client leaves them all out at once: a
    // revised stored article, and an id given twice with two texts, but not an id repeated with its
    // text.
    let r = server.post(
        "/v1/articles",
        &json!([
            {"id": "1", "title": "ECB sterilisation headline revised"},
            {"id": "3", "title": PORTUGAL},
            {"id": "2", "title": ECB_2},
            {"id": "2", "title": "Something else entirely"},
            {"id": "3", "title": PORTUGAL},
            {"id": "1", "title": ECB_1},
        ]),
    );
    assert_eq!((r.status, &r.json()["index"]), (409, &json!(0)));
    assert_eq!(
        r.json()["conflicts"],
        json!([{"id": "1", "index": 0}, {"id": "2", "index": 3}])
    );
    // Articles refused for their fields are no conflicts, whatever their ids.
    let r = server.post(
        "/v1/articles",
        &json!([
            {"id": "1", "title": "ECB sterilisation headline revised"},
            {"id": "", "title": PORTUGAL},
            {"id": "", "title": ECB_2},
            {"id": "4", "title": " "},
            {"id": "4", "title": PORTUGAL},
        ]),
    );
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["conflicts"], json!([{"id": "1", "index": 0}]));
    let ndjson = format!(
        "{}\n\n{}\n",
        json!({"id": "3", "title": PORTUGAL}),
        json!({"id": "1", "title": "ECB sterilisation headline revised"})
    );
    let r = server.request(
        "POST",
        "/v1/articles",
        &[("Content-Type", "application/x-ndjson")],
        ndjson.as_bytes(),
    );
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["conflicts"], json!([{"id": "1", "line": 3}]));
    assert_eq!(server.get("/v1/articles/3").status, 404);
    let r = server.post(
        "/v1/articles",
        &json!([{"id": "2", "title": ECB_2}, {"id": "2", "title": ECB_2}]),
    );
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v[0].get("repeat"), None);
    assert_eq!(v[1]["repeat"], json!(true));
    assert_eq!(v[0]["cluster"], v[1]["cluster"]);
    assert_eq!(server.get("/readyz").json()["articles"], 2);
}

#[test]
fn a_crawler_s_own_keys_are_read_when_the_daemon_is_told_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let flags = [
        "--id-field",
        "url",
        "--title-field",
        "headline",
        "--body-field",
        "description",
        "--published-field",
        "fetched_at",
    ];
    let server = Server::ready(&db, &flags);
    let posted = json!({
        "url": "https://example.com/ecb",
        "headline": ECB_1,
        "description": "The central bank kept its programme unchanged.",
        "fetched_at": "2014-03-11T08:00:00Z",
        "title": "ignored: the title is read from headline",
    });
    let r = server.post("/v1/articles", &posted);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["id"], "https://example.com/ecb");
    let stored = server
        .get("/v1/articles/https%3A%2F%2Fexample.com%2Fecb")
        .json();
    assert_eq!(stored["title"], ECB_1);
    assert_eq!(stored["body"], posted["description"]);
    assert_eq!(stored["url"], "https://example.com/ecb");
    assert!(stored["published"]
        .as_str()
        .unwrap()
        .starts_with("2014-03-11"));
    // A query reads the same keys, and an article under the standard keys is refused naming the key.
    let q = server.post(
        "/v1/query",
        &json!({"url": "q1", "headline": ECB_1, "description": posted["description"]}),
    );
    assert_eq!(
        (q.status, &q.json()["duplicate_of"]),
        (200, &json!("https://example.com/ecb"))
    );
    let r = server.post("/v1/articles", &json!({"id": "2", "title": PORTUGAL}));
    assert_eq!(r.status, 400);
    let e = r.json();
    assert_eq!(e["field"], "id");
    let message = e["error"].as_str().unwrap();
    assert!(message.contains("`url`"), "{message}");
    // The engine's refusals name the key too.
    let r = server.post("/v1/articles", &json!({"url": " ", "headline": PORTUGAL}));
    assert_eq!((r.status, &r.json()["field"]), (400, &json!("id")));
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .ends_with("(read from `url`)"),
        "{}",
        r.text()
    );
    assert_eq!(server.get("/readyz").json()["articles"], 1);
    drop(server);
    let (status, _, err) = Server::refused(&db, &["--body-field", " "]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("--body-field"), "{err}");
}

#[test]
fn the_window_keeps_last_years_headline_out_of_this_years_story() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::ready(&dir.path().join("db"), &["--window", "7d"]);
    let post = |id: &str, title: &str, published: &str| {
        let r = server.post(
            "/v1/articles",
            &json!({"id": id, "title": title, "published": published}),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    };
    let old = post("old", ECB_1, "2025-03-10T08:00:00Z");
    let near = post("near", ECB_2, "2025-03-12T09:30:00+01:00");
    assert_eq!(near["cluster"], old["cluster"], "two days apart: one story");
    let late = post("late", ECB_2, "2026-03-10T08:00:00Z");
    assert_eq!(late["status"], "new", "a year later: a new story");
    assert_ne!(late["cluster"], old["cluster"]);
    let same_text = post("late-copy", ECB_1, "2026-03-11T08:00:00Z");
    assert_eq!(same_text["cluster"], late["cluster"]);
    // Restarted, the store still decides the same way.
    drop(server);
    let server = Server::ready(&dir.path().join("db"), &["--window", "7d"]);
    let r = server.post(
        "/v1/articles",
        &json!({"id": "later", "title": ECB_1, "published": "2026-03-12T00:00:00Z"}),
    );
    assert_eq!(r.json()["cluster"], late["cluster"]);
    let r = server.post(
        "/v1/articles",
        &json!({"id": "earlier", "title": ECB_1, "published": "2025-03-11T00:00:00Z"}),
    );
    assert_eq!(r.json()["cluster"], old["cluster"]);
}

#[test]
fn prune_drops_old_articles_and_keeps_recent_ones() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let server = Server::ready(&db, &[]);
    let r = server.post(
        "/v1/articles",
        &json!([
            {"id": "old", "title": ECB_1, "published": "2020-01-01T00:00:00Z"},
            {"id": "old-dup", "title": ECB_1, "published": "2020-01-02T00:00:00Z"},
            {"id": "new", "title": PORTUGAL},
        ]),
    );
    assert_eq!(r.status, 200);
    // An age without its unit would mean seconds and drop everything: refused, nothing pruned.
    let r = server.request("POST", "/v1/prune?older_than=30", &[], b"");
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("has no unit"), "{}", r.text());
    // Nor is an age of seconds taken, the slip of a unit that would empty the store.
    let r = server.request("POST", "/v1/prune?older_than=30s", &[], b"");
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("keep at least a minute"), "{}", r.text());
    // Nor six minutes, most often six months meant.
    let r = server.request("POST", "/v1/prune?older_than=6m", &[], b"");
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("180d for 6"), "{}", r.text());
    // A dry run counts what would go and drops nothing.
    let r = server.request("POST", "/v1/prune?older_than=30d&dry_run=true", &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["would_prune"], 2, "{}", r.text());
    let r = server.request("POST", "/v1/prune?older_than=30d&dry_run=maybe", &[], b"");
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("`dry_run`: `maybe`"), "{}", r.text());
    assert_eq!(server.get("/v1/stats").json()["articles"], 3);
    // The command line, while the daemon holds the store, is pointed at the route.
    let out = storyhash(&["prune", "--older-than", "30d", "--db", db.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("POST /v1/prune?older_than=AGE"),
        "{}",
        stderr(&out)
    );
    let r = server.request("POST", "/v1/prune?older_than=30d", &[], b"");
    assert_eq!((r.status, &r.json()["pruned"]), (200, &json!(2)));
    assert_eq!(server.get("/v1/articles/old").status, 404);
    assert_eq!(server.get("/v1/articles/new").status, 200);
    assert_eq!(server.terminate().code(), Some(0));
    // From the command line, with the daemon stopped.
    let server = Server::ready(&db, &[]);
    let r = server.post(
        "/v1/articles",
        &json!({"id": "old2", "title": ECB_2, "published": "2021-01-01T00:00:00Z"}),
    );
    assert_eq!(
        r.json()["status"],
        "new",
        "the pruned articles match nothing"
    );
    assert_eq!(server.terminate().code(), Some(0));
    // A dry run counts what would go and removes nothing.
    let db_arg = db.to_str().unwrap();
    let out = storyhash(&["prune", "--older-than", "30d", "--db", db_arg, "--dry-run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.starts_with("would prune 1 of 2 articles older than "),
        "{said}"
    );
    assert!(said.ends_with("; nothing was changed\n"), "{said}");
    let out = storyhash(&["prune", "--older-than", "30d", "--db", db_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("pruned 1 article older than "), "{said}");
    assert!(
        said.ends_with("; 1 article in 1 cluster remains\n"),
        "{said}"
    );
    let engine = storyhash::Engine::open(&db, storyhash::EngineConfig::default()).unwrap();
    assert!(engine.get("old2").unwrap().is_none());
    assert!(engine.get("new").unwrap().is_some());
    assert_eq!(engine.stats().articles, 1);
}

#[test]
fn a_full_queue_answers_503_with_retry_after_and_loses_no_200() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::ready(&dir.path().join("db"), &["--queue", "1"]);
    let addr = server.addr;
    let rows = crate::uci_rows();
    let results: Vec<Vec<(String, u16, Option<String>)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|client| {
                let rows = &rows;
                s.spawn(move || {
                    let mut conn = Connection::open(addr).unwrap();
                    (0..40)
                        .map(|n| {
                            let (id, title, _) = &rows[client * 40 + n];
                            let body = json!({"id": id, "title": title}).to_string();
                            let r = conn
                                .send("POST", "/v1/articles", &[], body.as_bytes())
                                .unwrap();
                            (
                                id.clone(),
                                r.status,
                                r.header("retry-after").map(str::to_string),
                            )
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let all: Vec<_> = results.into_iter().flatten().collect();
    let shed = all.iter().filter(|r| r.1 == 503).count();
    assert!(
        shed > 0,
        "16 clients against a queue of one article never filled it"
    );
    for (id, status, retry) in &all {
        match status {
            200 => assert_eq!(
                server.get(&format!("/v1/articles/{}", id)).status,
                200,
                "{id}"
            ),
            503 => assert_eq!(retry.as_deref(), Some("1")),
            other => panic!("{id}: unexpected {other}"),
        }
    }
    let stored = all.iter().filter(|r| r.1 == 200).count();
    assert_eq!(server.get("/readyz").json()["articles"], stored);
    let metrics = server.get("/metrics").text();
    assert!(
        metrics.contains(&format!("storyhash_requests_shed_total {shed}\n")),
        "{metrics}"
    );
}

#[test]
fn slow_clients_time_out() {
    let dir = tempfile::tempdir().unwrap();
    // Seconds alone or a duration with its unit: `1s` as `1`.
    let server = Server::ready(&dir.path().join("db"), &["--request-timeout", "1s"]);
    // Headers that never end: the connection is closed.
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .write_all(b"POST /v1/articles HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    // hyper answers 408 or closes; either way the connection ends well before the read timeout.
    assert!(
        rest.is_empty() || rest.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&rest)
    );
    // A body that stops short: 408 naming the limit.
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .write_all(b"POST /v1/articles HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"id\":")
        .unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let reply = crate::http::parse_response(&raw).expect("a response");
    assert_eq!(reply.status, 408, "{}", reply.text());
    // The daemon is still serving.
    assert_eq!(server.get("/healthz").status, 200);
}

#[test]
fn a_client_that_reads_none_of_its_answers_loses_its_connection_not_the_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::ready(
        &dir.path().join("db"),
        &["--request-timeout", "1", "--max-connections", "1"],
    );
    // Requests for the page, pipelined and never read: the answers fill the socket buffers.
    let mut stuck = TcpStream::connect(server.addr).unwrap();
    let request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(4000);
    stuck
        .set_write_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let _ = stuck.write_all(&request);
    // The only connection slot comes free once an answer has waited a second: another client is served.
    let started = std::time::Instant::now();
    let health = crate::http::request(server.addr, "GET", "/healthz", &[], b"");
    assert_eq!(health.status, 200, "{}", health.text());
    assert!(started.elapsed() < Duration::from_secs(30));
    drop(stuck);
}

#[test]
fn sigterm_finishes_requests_in_flight_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let server = Server::ready(&db, &["--log-format", "json", "--log-level", "info"]);
    let addr = server.addr;
    let rows = crate::uci_rows();
    let (acked_tx, acked_rx) = std::sync::mpsc::channel::<(String, u64)>();
    let clients: Vec<_> = (0..4)
        .map(|client| {
            let rows: Vec<_> = rows[client * 300..(client + 1) * 300].to_vec();
            let acked = acked_tx.clone();
            std::thread::spawn(move || {
                let Ok(mut conn) = Connection::open(addr) else {
                    return;
                };
                for chunk in rows.chunks(10) {
                    let body: Vec<Value> = chunk
                        .iter()
                        .map(|(id, title, _)| json!({"id": id, "title": title}))
                        .collect();
                    let body = Value::from(body).to_string();
                    match conn.send("POST", "/v1/articles", &[], body.as_bytes()) {
                        Ok(r) if r.status == 200 => {
                            for v in r.json().as_array().unwrap() {
                                let _ = acked.send((
                                    v["id"].as_str().unwrap().into(),
                                    v["cluster"].as_u64().unwrap(),
                                ));
                            }
                        }
                        // Shutting down: refused or closed.
                        _ => return,
                    }
                }
            })
        })
        .collect();
    drop(acked_tx);
    // Terminate once some answers are in.
    let mut acked: Vec<(String, u64)> = acked_rx.iter().take(50).collect();
    let mut server = server;
    let (status, log) = server.terminate_with_log();
    assert_eq!(status.code(), Some(0), "clean exit on SIGTERM");
    // Its log is JSON, one object per line, and tells the story of the shutdown.
    let events: Vec<Value> = log
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("log line is not JSON ({e}): {l}"))
        })
        .collect();
    let messages: Vec<&str> = events
        .iter()
        .filter_map(|e| e["fields"]["message"].as_str())
        .collect();
    for expected in [
        "listening",
        "store open; ready",
        "SIGTERM received",
        "stopped",
    ] {
        assert!(
            messages.contains(&expected),
            "no `{expected}` in {messages:?}"
        );
    }
    for c in clients {
        c.join().unwrap();
    }
    acked.extend(acked_rx.iter());
    // After the exit the store opens at once (its lock is free) and holds every acknowledged article.
    let engine = storyhash::Engine::open(&db, storyhash::EngineConfig::default()).unwrap();
    for (id, cluster) in &acked {
        let got = engine
            .get(id)
            .unwrap()
            .unwrap_or_else(|| panic!("`{id}` acknowledged, then lost"));
        assert_eq!(got.cluster, *cluster);
    }
    assert!(acked.len() >= 50);
}

/// A daemon (logging at `info`) with a POST in flight on the connection returned: its body is still
/// coming.
fn a_daemon_with_a_request_in_flight(dir: &std::path::Path) -> (Server, TcpStream) {
    let server = Server::ready(&dir.join("db"), &["--log-level", "info"]);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .write_all(b"POST /v1/articles HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"id\":")
        .unwrap();
    // The request is in flight once the daemon reads it: a read route answered after it on another
    // connection comes later.
    assert_eq!(server.get("/healthz").status, 200);
    (server, stream)
}

/// The same signal sent again at once is one request to stop, not a second (GNU `timeout` signals the
/// daemon and then its process group): the daemon still waits for the request in flight and stops
/// cleanly.
#[test]
fn the_same_signal_sent_again_at_once_still_stops_the_daemon_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, stream) = a_daemon_with_a_request_in_flight(dir.path());
    let pid = server.child.id() as i32;
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    // The first is taken once the daemon stops accepting.
    let addr = server.addr;
    eventually(Duration::from_millis(2), || {
        ok_if(TcpStream::connect(addr).is_err(), || {
            "still accepting".to_string()
        })
    });
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    eventually(Duration::from_millis(2), || {
        let log = server.log_so_far();
        let taken = log.contains("SIGTERM again: the same request to stop");
        let ended = matches!(server.child.try_wait(), Ok(Some(_)));
        ok_if(taken || ended, || log)
    });
    // The request in flight ends (its client goes away), and with it the daemon.
    drop(stream);
    let status = server.child.wait().unwrap();
    let log = server.log_text();
    assert!(status.success(), "{status:?}: {log}");
    assert!(!log.contains("a second"), "{log}");
}

/// A second SIGINT or SIGTERM ends the daemon at once, where the first waits for the requests in flight
/// (here a body that is still coming): it says so, and the second signal then ends it as by default.
#[test]
fn a_second_signal_stops_the_daemon_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, stream) = a_daemon_with_a_request_in_flight(dir.path());
    let pid = server.child.id() as i32;
    unsafe {
        libc::kill(pid, libc::SIGINT);
        libc::kill(pid, libc::SIGTERM);
    }
    let (status, log) = server.terminate_with_log();
    use std::os::unix::process::ExitStatusExt;
    // Both may be waiting when the daemon looks: either can be taken first.
    assert!(
        matches!(status.signal(), Some(libc::SIGINT | libc::SIGTERM)),
        "{status:?}: {log}"
    );
    assert!(log.contains("a second SIG"), "{log}");
    drop(stream);
}

/// The daemon started under a low open-files limit raises it for its connections, up to the hard limit,
/// and says so when even that leaves no room for them.
#[test]
fn a_low_open_files_limit_is_raised_for_the_connections_or_warned_of() {
    use std::io::BufRead;
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let start = |soft: u64, hard: u64| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_storyhash"));
        command
            .arg("serve")
            .arg("--db")
            .arg(dir.path().join(format!("db{hard}")))
            .args(["--listen", "127.0.0.1:0", "--max-connections", "300"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        // SAFETY: only setrlimit, async-signal-safe, runs between fork and exec.
        unsafe {
            command.pre_exec(move || {
                let limit = libc::rlimit {
                    rlim_cur: soft,
                    rlim_max: hard,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = command.spawn().expect("start the daemon");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("listening on"), "{line}");
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
        let open_files: Vec<String> = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .unwrap()
            .split_whitespace()
            .skip(3)
            .take(2)
            .map(str::to_string)
            .collect();
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let out = child.wait_with_output().unwrap();
        (open_files, stderr(&out))
    };
    // 300 connections and 256 other files.
    let (open_files, said) = start(64, 4096);
    assert_eq!(open_files, ["556", "4096"], "{said}");
    assert!(!said.contains("open-files limit"), "{said}");
    let (open_files, said) = start(64, 128);
    assert_eq!(open_files, ["128", "128"], "{said}");
    assert!(
        said.contains("the open-files limit leaves no room"),
        "{said}"
    );
}

#[test]
fn sighup_is_logged_and_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::ready(&dir.path().join("db"), &["--log-level", "info"]);
    // A log rotation's `kill -HUP`, twice.
    for _ in 0..2 {
        let pid = server.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap();
        assert!(sent.success());
        assert_eq!(server.get("/readyz").status, 200);
    }
    let r = server.post("/v1/articles", &json!({"id": "a", "title": ECB_1}));
    assert_eq!(r.status, 200, "{}", r.text());
    let (status, log) = server.terminate_with_log();
    assert_eq!(status.code(), Some(0), "{log}");
    assert_eq!(
        log.matches("SIGHUP received and ignored").count(),
        2,
        "{log}"
    );
}

/// While a daemon waits for a store another process holds, its port answers at once: `/healthz` 200
/// (a liveness probe must not restart a daemon for starting), the rest 503; then it gives up with 1.
#[test]
fn a_daemon_waiting_for_its_store_is_alive_but_not_ready() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let holder = Server::ready(&db, &[]);
    let listen = format!("127.0.0.1:{}", crate::http::free_port());
    let mut waiting = std::process::Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(["serve", "--db"])
        .arg(&db)
        .args(["--listen", &listen])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run storyhash serve");
    let addr: std::net::SocketAddr = listen.parse().unwrap();
    // The port is bound before the wait for the lock begins.
    let health = loop {
        if let Ok(answer) = crate::http::try_request(addr, "GET", "/healthz", &[], b"") {
            break answer;
        }
        assert!(
            waiting.try_wait().unwrap().is_none(),
            "the daemon ended before it answered"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let ready = crate::http::try_request(addr, "GET", "/readyz", &[], b"");
    let status = waiting.wait().unwrap();
    assert_eq!(health.status, 200, "{}", health.text());
    assert_eq!(
        health.json(),
        json!({"status": "starting", "doing": "taking its store"})
    );
    // Asked before the daemon gave up: still starting (or, asked as it ended, no answer at all).
    if let Ok(ready) = ready {
        assert_eq!(ready.status, 503, "{}", ready.text());
        assert_eq!(
            ready.json()["error"],
            "the daemon is starting: taking its store"
        );
    }
    assert_eq!(status.code(), Some(1));
    assert_eq!(holder.terminate().code(), Some(0));
}

#[test]
fn a_store_in_use_or_with_other_parameters_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let server = Server::ready(&db, &[]);
    // Refused before it says it listens: a supervisor that waits for the line never sees success.
    let (status, printed, said) = Server::refused(&db, &[]);
    assert_eq!(status.code(), Some(1), "{said}");
    assert!(said.contains("in use by another process"), "{said}");
    assert_eq!(printed, "", "nothing on standard output");
    assert_eq!(server.terminate().code(), Some(0));
    let (status, printed, said) = Server::refused(&db, &["--shingle", "word1"]);
    assert_eq!(status.code(), Some(2), "{said}");
    assert!(said.contains("shingle"), "{said}");
    assert_eq!(printed, "", "nothing on standard output");
}

/// A collector that parses each line of a JSON log sees why a daemon stopped, whatever stopped it; the
/// plain line for a person reading the terminal stays the last.
#[test]
fn a_daemon_that_cannot_start_says_why_in_its_json_log() {
    let dir = tempfile::tempdir().unwrap();
    let (db, other) = (dir.path().join("db"), dir.path().join("other"));
    let missing = dir.path().join("missing-token.txt");
    let missing = missing.to_str().unwrap();
    let server = Server::ready(&db, &[]);
    for (db, args, why) in [
        (&db, vec![], "in use by another process"),
        (
            &other,
            vec!["--token-file", missing],
            "cannot read the token file",
        ),
    ] {
        let args = [&["--log-format", "json"][..], &args].concat();
        let (status, _, said) = Server::refused(db, &args);
        assert_eq!(status.code(), Some(1), "{said}");
        let record = said
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .find(|record| record["level"] == "ERROR")
            .unwrap_or_else(|| panic!("no JSON record of the error in {said:?}"));
        let error = record["fields"]["error"].as_str().unwrap_or_default();
        assert!(error.contains(why), "{record}");
        let last = said.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("storyhash: ") && last.contains(why),
            "{said}"
        );
    }
    assert_eq!(server.terminate().code(), Some(0));
}

/// 16 clients post near-duplicates of the same stories at once; the clusters must be exactly those that
/// one sequential ingest of the same articles gives, with no story split in two.
#[test]
fn concurrent_clients_converge_on_the_sequential_clusters() {
    let stories: Vec<String> = crate::uci_rows()
        .into_iter()
        .map(|(_, title, _)| title)
        .filter(|t| t.len() >= 50)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .step_by(7)
        .take(24)
        .collect();
    let tails = [
        "",
        " - live",
        " (update)",
        " | report",
        " — agency",
        ": analysis",
        " - video",
        " [photos]",
        " - wire",
        " | news",
        " (corrected)",
        " - sources",
        ": latest",
        " - exclusive",
        " (2)",
        " - brief",
    ];
    // Article (story s, variant v) goes to client v: each client posts one variant of every story.
    let articles: Vec<(String, String, usize)> = (0..stories.len())
        .flat_map(|s| {
            let stories = &stories;
            tails
                .iter()
                .enumerate()
                .map(move |(v, tail)| (format!("s{s}-v{v}"), format!("{}{tail}", stories[s]), s))
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::ready(&dir.path().join("db"), &[]);
    let addr = server.addr;
    let barrier = std::sync::Barrier::new(tails.len());
    std::thread::scope(|s| {
        for client in 0..tails.len() {
            let articles = &articles;
            let barrier = &barrier;
            s.spawn(move || {
                let mut conn = Connection::open(addr).unwrap();
                barrier.wait();
                for (id, title, _) in articles
                    .iter()
                    .filter(|a| a.0.ends_with(&format!("-v{client}")))
                {
                    let r = conn
                        .send(
                            "POST",
                            "/v1/articles",
                            &[],
                            json!({"id": id, "title": title}).to_string().as_bytes(),
                        )
                        .unwrap();
                    assert_eq!(r.status, 200, "{}", r.text());
                }
            });
        }
    });
    let served: HashMap<String, u64> = articles
        .iter()
        .map(|(id, _, _)| {
            (
                id.clone(),
                server.get(&format!("/v1/articles/{id}")).json()["cluster"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect();
    let sequential = storyhash::Engine::in_memory(storyhash::EngineConfig::default()).unwrap();
    for (id, title, _) in &articles {
        sequential
            .ingest(&storyhash::Article::new(id.as_str(), title.as_str()))
            .unwrap();
    }
    let partition = |cluster_of: &dyn Fn(&str) -> u64| -> BTreeSet<BTreeSet<String>> {
        let mut groups: HashMap<u64, BTreeSet<String>> = HashMap::new();
        for (id, _, _) in &articles {
            groups.entry(cluster_of(id)).or_default().insert(id.clone());
        }
        groups.into_values().collect()
    };
    let served_partition = partition(&|id| served[id]);
    let sequential_partition = partition(&|id| sequential.get(id).unwrap().unwrap().cluster);
    assert_eq!(served_partition, sequential_partition);
    // And those clusters are the stories.
    let stories_partition = partition(&|id| articles.iter().find(|a| a.0 == id).unwrap().2 as u64);
    assert_eq!(
        served_partition, stories_partition,
        "a story was split or two were merged"
    );
}

/// Load, short form (the long form is `benches/serve_load.rs --load`): 32 clients post as fast as they
/// can into a small queue; every answer is a 200 or a 503 with Retry-After (then retried), and after a
/// SIGKILL every article that got a 200 is in the reopened store with its cluster.
#[test]
fn thirty_two_clients_at_full_speed_get_200_or_503_and_every_200_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut server = Server::ready(&db, &["--queue", "300"]);
    let addr = server.addr;
    let rows = crate::uci_rows();
    let shed = std::sync::atomic::AtomicUsize::new(0);
    let acked: Vec<(String, u64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..32)
            .map(|client| {
                let (rows, shed) = (&rows, &shed);
                s.spawn(move || {
                    let mut conn = Connection::open(addr).unwrap();
                    let mut acked = Vec::new();
                    for (n, chunk) in rows
                        .chunks(25)
                        .enumerate()
                        .filter(|(n, _)| n % 32 == client)
                    {
                        let body: Vec<Value> = chunk
                            .iter()
                            .map(
                                |(id, title, _)| json!({"id": format!("{n}-{id}"), "title": title}),
                            )
                            .collect();
                        let body = Value::from(body).to_string();
                        loop {
                            let r = conn
                                .send("POST", "/v1/articles", &[], body.as_bytes())
                                .unwrap();
                            match r.status {
                                200 => {
                                    for v in r.json().as_array().unwrap() {
                                        acked.push((
                                            v["id"].as_str().unwrap().to_string(),
                                            v["cluster"].as_u64().unwrap(),
                                        ));
                                    }
                                    break;
                                }
                                503 => {
                                    assert_eq!(r.header("retry-after"), Some("1"));
                                    shed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                    std::thread::yield_now();
                                }
                                other => panic!("client {client}: {other} {}", r.text()),
                            }
                        }
                    }
                    acked
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(
        acked.len(),
        rows.len(),
        "every batch got through in the end"
    );
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    drop(server);
    let engine = storyhash::Engine::open(&db, storyhash::EngineConfig::default()).unwrap();
    for (id, cluster) in &acked {
        assert_eq!(
            engine.get(id).unwrap().map(|a| a.cluster),
            Some(*cluster),
            "`{id}`"
        );
    }
    eprintln!("{} requests shed with 503", shed.into_inner());
}

#[test]
fn replays_are_counted_apart_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::ready(&dir.path().join("db"), &[]);
    let article = json!({"id": "1", "title": ECB_1});
    for _ in 0..3 {
        assert_eq!(server.post("/v1/articles", &article).status, 200);
    }
    let text = server.get("/metrics").text();
    for line in [
        "storyhash_articles_ingested_total{status=\"new\"} 1\n",
        "storyhash_articles_replayed_total 2\n",
        "storyhash_commits_total 1\n",
        "storyhash_articles 1\n",
    ] {
        assert!(text.contains(line), "no {line:?} in {text}");
    }
    assert_eq!(server.get("/v1/stats").json()["ingested"], 1);
}

#[test]
fn metrics_count_the_articles_whose_publication_time_is_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::ready(&dir.path().join("db"), &[]);
    let unreadable = json!({"id": "2", "title": ECB_2, "published": "last tuesday"});
    let r = server.post(
        "/v1/articles",
        &json!([
            {"id": "1", "title": ECB_1, "published": "2014-03-10T16:32:05Z"},
            unreadable,
            {"id": "3", "title": PORTUGAL},
        ]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // A replay stores nothing, so it is not counted again.
    assert_eq!(server.post("/v1/articles", &unreadable).status, 200);
    let text = server.get("/metrics").text();
    assert!(
        text.contains("storyhash_articles_unreadable_time_total 1\n"),
        "{text}"
    );
}

/// An operator's dashboard tells each route's latency apart: every route is counted under its own label.
#[test]
fn metrics_count_each_route_under_its_own_label() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::ready(&dir.path().join("db"), &[]);
    let r = server.post("/v1/articles", &json!({"id": "a", "title": ECB_1}));
    assert_eq!(r.status, 200, "{}", r.text());
    let count = |text: &str, label: &str| -> u64 {
        let key = format!("storyhash_request_seconds_count{{route=\"{label}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(key.as_str()))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {key:?} in {text}"))
    };
    let labels = [
        "post_articles",
        "get_article",
        "get_cluster",
        "get_story",
        "list_clusters",
        "list_stories",
        "stats",
        "health",
        "metrics",
        "page",
    ];
    // Counted before: the start's readiness checks and the post.
    let before = server.get("/metrics").text();
    let routes = [
        ("/v1/articles/a", "get_article"),
        ("/v1/clusters/0", "get_cluster"),
        ("/v1/stories/0", "get_story"),
        ("/v1/stories/0/clusters", "get_story"),
        ("/v1/clusters?since=2000-01-01T00:00:00Z", "list_clusters"),
        ("/v1/stories?since=2000-01-01T00:00:00Z", "list_stories"),
        ("/v1/stats", "stats"),
        ("/healthz", "health"),
        ("/readyz", "health"),
        ("/", "page"),
    ];
    for (path, _) in routes {
        assert_eq!(server.get(path).status, 200, "{path}");
    }
    let after = server.get("/metrics").text();
    for label in labels {
        // The scrape before this one counted once it was answered.
        let asked = routes.iter().filter(|(_, l)| *l == label).count() as u64
            + u64::from(label == "metrics");
        assert_eq!(
            count(&after, label) - count(&before, label),
            asked,
            "{label}: {after}"
        );
    }
}

#[test]
fn the_page_and_the_routes_it_reads_answer() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::ready(&dir.path().join("db"), &[]);
    let r = server.post(
        "/v1/articles",
        &json!([
            {"id": "a", "title": ECB_1, "source": "Reuters", "url": "https://example.com/a", "published": "2014-03-10T16:00:00Z"},
            {"id": "b", "title": ECB_2, "source": "Bloomberg", "published": "2014-03-10T17:00:00Z"},
            {"id": "c", "title": ECB_1, "source": "Reuters", "published": "2014-03-10T18:00:00Z"},
            {"id": "d", "title": PORTUGAL, "published": "2014-03-09T10:00:00Z"},
        ]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let story = r.json()[0]["story"].as_u64().unwrap();

    let page = server.get("/");
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    let html = page.text();
    assert!(
        html.contains("<script>") && !html.contains("<script src"),
        "inline script only"
    );
    assert!(!html.contains("//SCRIPT") && !html.contains("/*STYLE*/"));

    let stats = server.get("/v1/stats").json();
    assert_eq!(
        (stats["articles"].as_u64(), stats["stories"].as_u64()),
        (Some(4), Some(2))
    );
    assert_eq!(stats["newest"], "2014-03-10T18:00:00Z");
    assert_eq!(stats["oldest"], "2014-03-09T10:00:00Z");

    // Trending stories over the 24 h before the newest article, in 4 bins of 6 h.
    let list = server
        .get("/v1/stories?since=2014-03-09T18:00:00Z&until=2014-03-10T18:00:00Z&limit=5&bins=4")
        .json();
    let stories = list["stories"].as_array().unwrap();
    assert_eq!(
        stories.len(),
        1,
        "the Portugal story is older than the period: {list}"
    );
    let s = &stories[0];
    assert_eq!(
        (s["id"].as_u64(), s["growth"].as_u64(), s["size"].as_u64()),
        (Some(story), Some(3), Some(3))
    );
    assert_eq!(
        (s["sources"].as_u64(), s["clusters"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(s["arrivals"], json!([0, 0, 0, 3]));
    assert_eq!(s["first_seen"], "2014-03-10T16:00:00Z");
    assert_eq!(server.get("/v1/stories?bins=500").status, 400);
    // A period that ends before the story's articles shows none of them in its parts (they are after
    // it, not in its last part); a period that ends before it starts is refused.
    let early = server
        .get("/v1/stories?since=2014-03-09T18:00:00Z&until=2014-03-10T12:00:00Z&bins=4")
        .json();
    assert_eq!(
        early["stories"][0]["arrivals"],
        json!([0, 0, 0, 0]),
        "{early}"
    );
    // A period that ends before it starts; without `until` it ends now, so a `since` still to come is
    // what is wrong.
    for (query, said) in [
        (
            "since=2014-03-10T18:00:00Z&until=2014-03-09T18:00:00Z",
            "`until` must come after `since`",
        ),
        ("since=2999-01-01T00:00:00Z", "`since` lies in the future"),
        (
            "since=0s",
            "`since` starts the period now, which leaves it empty",
        ),
    ] {
        let r = server.get(&format!("/v1/stories?{query}"));
        assert_eq!(r.status, 400, "{query}: {}", r.text());
        assert!(r.text().contains(said), "{query}: {}", r.text());
    }

    // The story's clusters, with the repeated text folded into one line.
    let detail = server.get(&format!("/v1/stories/{story}/clusters")).json();
    assert_eq!(detail["clusters_total"], 1);
    let cluster = &detail["clusters"][0];
    assert_eq!(
        (
            cluster["size"].as_u64(),
            cluster["sources"].as_u64(),
            cluster["texts"].as_u64()
        ),
        (Some(3), Some(2), Some(2))
    );
    assert_eq!(cluster["members"][0]["repeats"], 2);
    // Both copies came from Reuters: one source behind the repeat.
    assert_eq!(cluster["members"][0]["sources"], 1);
    assert_eq!(cluster["members"][0]["url"], "https://example.com/a");
    assert_eq!(server.get("/v1/stories/999/clusters").status, 404);
    assert_eq!(server.get("/v1/stories/x/clusters").status, 400);
    // Lines are bounded as a whole: a thousand clusters of a thousand members would be a million.
    let big = server.get(&format!(
        "/v1/stories/{story}/clusters?clusters=1000&members=1000"
    ));
    assert_eq!(big.status, 400);
    assert!(
        big.text().contains("at most 10000 (1000 × 1000 asked)"),
        "{}",
        big.text()
    );
    let wide = server.get(&format!(
        "/v1/stories/{story}/clusters?clusters=1000&members=10"
    ));
    assert_eq!(wide.status, 200, "{}", wide.text());

    // Large answers (the page here) come gzip-compressed to a client that accepts it.
    let r = server.request("GET", "/", &[("Accept-Encoding", "gzip")], b"");
    assert_eq!(
        (r.status, r.header("content-encoding")),
        (200, Some("gzip"))
    );
    assert!(r.body.starts_with(&[0x1f, 0x8b]), "a gzip stream");
    assert!(r.body.len() < html.len() / 2);
}

#[test]
fn a_daemon_whose_log_cannot_be_written_goes_on_pruning_answering_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    // A store of old news (March 2014), served with --retain and every request logged, to a standard
    // error whose reader is gone: each log line fails to be written.
    sample_store(&db, &[]);
    let server = Server::start_unlogged(&db, &["--retain", "30d", "--log-level", "debug"]);
    server.wait_ready();
    // The retention task logs before and after its first prune, and prunes nonetheless.
    eventually(Duration::from_millis(50), || {
        let stats = server.get("/v1/stats").json();
        ok_if(stats["articles"] == 0, || format!("not pruned: {stats}"))
    });
    // Each request is logged (debug), and answered.
    let r = server.post(
        "/v1/articles",
        &json!({"id": "today", "title": ECB_1, "published": storyhash::Timestamp::now().to_string()}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(server.get("/v1/articles/today").status, 200);
    assert_eq!(
        server.terminate().code(),
        Some(0),
        "a clean stop on SIGTERM"
    );
    let engine = storyhash::Engine::open(&db, storyhash::EngineConfig::default()).unwrap();
    assert_eq!(engine.stats().articles, 1);
}

#[test]
fn a_daemon_told_to_retain_prunes_what_grows_older_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    // A store of old news: the sample is from March 2014.
    sample_store(&db, &[]);
    let stored = storyhash::Engine::open(&db, storyhash::EngineConfig::default())
        .unwrap()
        .stats()
        .articles;
    assert!(stored > 0);
    let mut server = Server::ready(&db, &["--retain", "30d", "--log-level", "info"]);
    // The first prune runs once the store is open, through the write path (durable when done).
    eventually(Duration::from_millis(50), || {
        let stats = server.get("/v1/stats").json();
        ok_if(stats["articles"] == 0, || {
            format!("not pruned yet: {stats}")
        })
    });
    assert_eq!(server.get("/v1/articles/10").status, 404);
    // The prune is counted where a monitor can see that the retention runs, once it is durable (its
    // articles leave the index before the flush that makes it so).
    let metrics = eventually(Duration::from_millis(20), || {
        let metrics = server.get("/metrics").text();
        ok_if(metrics.contains("storyhash_prunes_total 1\n"), || {
            metrics.clone()
        })?;
        Ok(metrics)
    });
    assert!(
        metrics.contains(&format!("storyhash_articles_pruned_total {stored}\n")),
        "{metrics}"
    );
    let last_prune = metrics
        .lines()
        .find_map(|l| l.strip_prefix("storyhash_last_prune_timestamp_seconds "))
        .and_then(|v| v.parse::<i64>().ok())
        .expect("the last prune's time");
    assert!(
        (storyhash::time::now() - last_prune).abs() < 600,
        "{last_prune}"
    );
    // Today's news stays (the next prune is an hour away, and would keep it too).
    let r = server.post(
        "/v1/articles",
        &json!({"id": "today", "title": ECB_1, "published": storyhash::Timestamp::now().to_string()}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(server.get("/v1/articles/today").status, 200);
    let (status, log) = server.terminate_with_log();
    assert_eq!(status.code(), Some(0));
    assert!(
        log.contains("retention: pruned the articles older than --retain"),
        "{log}"
    );
    assert!(log.contains(&format!("pruned={stored}")), "{log}");
    // Everything went at once, as an archive served with --retain does: said as a warning.
    assert!(
        log.contains("every article was older than --retain"),
        "{log}"
    );
    // A reopened store holds only what was kept.
    let engine = storyhash::Engine::open(&db, storyhash::EngineConfig::default()).unwrap();
    assert_eq!(engine.stats().articles, 1);

    // Keeping less than a minute would prune articles as they come: refused, naming the flag.
    let (status, printed, said) = Server::refused(&dir.path().join("other"), &["--retain", "30s"]);
    assert_eq!(status.code(), Some(2), "{said}");
    assert!(
        said.contains("--retain") && said.contains("at least a minute"),
        "{said}"
    );
    assert_eq!(printed, "");
    // A request timeout is from a second to a day, in seconds or with a unit.
    for (given, told) in [
        (
            "2d",
            "`2d` is not from 1 second to a day (86400); e.g. 10, 30s or 2m",
        ),
        ("0", "`0` is not from 1 second to a day"),
        ("soon", "`soon` is not a duration"),
    ] {
        let (status, _, said) =
            Server::refused(&dir.path().join("other"), &["--request-timeout", given]);
        assert_eq!(status.code(), Some(2), "{said}");
        assert!(
            said.contains("--request-timeout") && said.contains(told),
            "{given}: {said}"
        );
    }
}
