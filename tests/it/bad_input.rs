//! Hostile and broken input, one test each, with what a user expects: a clear error naming what and where,
//! nothing already accepted lost, and the process going on. Most go through the daemon (the entry point
//! that meets the most untrusted input); the byte-level ones also through the file and stream readers.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::http::Server;

const FED: &str = "Fed holds rates steady as inflation cools";

fn daemon() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::ready(&dir.path().join("db"), &[]);
    (dir, server)
}

/// Posts one article and expects 200; returns the verdict.
fn accepted(server: &Server, article: Value) -> Value {
    let r = server.post("/v1/articles", &article);
    assert_eq!(r.status, 200, "{article} -> {}", r.text());
    r.json()
}

/// Runs `storyhash ingest` on `input` and returns its output lines as JSON.
fn ingest(db: &Path, input: &[u8]) -> Vec<Value> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(["ingest", "--db"])
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn invalid_utf8_is_refused_with_its_line_and_the_stream_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut input = json!({"id": "a", "title": FED}).to_string().into_bytes();
    input.extend_from_slice(b"\n{\"id\":\"b\",\"title\":\"caf\xe9 \xff\"}\n");
    input.extend_from_slice(
        json!({"id": "c", "title": "Portugal votes"})
            .to_string()
            .as_bytes(),
    );
    input.push(b'\n');
    let out = ingest(&dir.path().join("db"), &input);
    assert_eq!(out.len(), 3);
    assert_eq!(out[0]["id"], "a");
    assert_eq!(out[1]["line"], 2);
    assert!(
        out[1]["error"].as_str().unwrap().contains("UTF-8"),
        "{}",
        out[1]
    );
    assert_eq!(out[2]["id"], "c");
    // And through the daemon: a 400 naming the line, nothing of the request stored.
    let (_dir, server) = daemon();
    let r = server.request(
        "POST",
        "/v1/articles",
        &[("Content-Type", "application/x-ndjson")],
        &input,
    );
    assert_eq!((r.status, &r.json()["line"]), (400, &json!(2)));
    assert_eq!(server.get("/v1/articles/a").status, 404);
}

#[test]
fn nul_bytes_are_kept_in_the_text_but_do_not_count_for_matching() {
    let (_dir, server) = daemon();
    let a = accepted(&server, json!({"id": "a", "title": FED}));
    let b = accepted(
        &server,
        json!({"id": "b", "title": FED.replace(' ', "\u{0} ")}),
    );
    assert_eq!(b["cluster"], a["cluster"]);
    assert_eq!(b["status"], "duplicate");
    assert_eq!(
        server.get("/v1/articles/b").json()["title"],
        FED.replace(' ', "\u{0} ")
    );
    let r = server.post("/v1/articles", &json!({"id": "c", "title": "\u{0}\u{0}"}));
    assert_eq!((r.status, &r.json()["field"]), (400, &json!("title")));
}

#[test]
fn a_byte_order_mark_before_the_body_is_ignored() {
    let (_dir, server) = daemon();
    let mut body = b"\xef\xbb\xbf".to_vec();
    body.extend_from_slice(json!({"id": "a", "title": FED}).to_string().as_bytes());
    let r = server.request("POST", "/v1/articles", &[], &body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(server.get("/v1/articles/a").json()["id"], "a");
}

#[test]
fn crlf_line_ends_are_not_part_of_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let input = format!(
        "{}\r\n{}\r\n",
        json!({"id": "a", "title": FED}),
        json!({"id": "b", "title": FED})
    );
    let out = ingest(&dir.path().join("db"), input.as_bytes());
    assert_eq!(
        (out[0]["id"].as_str(), out[1]["status"].as_str()),
        (Some("a"), Some("duplicate"))
    );
    // A plain-text file with CRLF: the headline carries no '\r'.
    let file = dir.path().join("crlf.txt");
    std::fs::write(&file, format!("{FED}\r\n{FED}\r\n")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(["dedupe", "-q", "--clusters", "-"])
        .arg(&file)
        .arg("-o")
        .arg(dir.path().join("v.jsonl"))
        .output()
        .unwrap();
    let clusters: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(clusters["representative"], FED);
    assert_eq!(clusters["size"], 2);
}

#[test]
fn right_to_left_and_zero_width_characters_do_not_split_a_cluster() {
    let (_dir, server) = daemon();
    let a = accepted(&server, json!({"id": "a", "title": FED}));
    let rtl = accepted(
        &server,
        json!({"id": "rtl", "title": format!("\u{202e}{FED}\u{202c}")}),
    );
    let zw = accepted(
        &server,
        json!({"id": "zw", "title": FED.replace("holds", "ho\u{200b}lds\u{200d}")}),
    );
    assert_eq!(rtl["cluster"], a["cluster"]);
    assert_eq!(zw["cluster"], a["cluster"]);
    let arabic = accepted(
        &server,
        json!({"id": "ar", "title": "الاحتياطي الفيدرالي يثبت أسعار الفائدة"}),
    );
    assert_eq!(arabic["status"], "new");
    let r = server.post(
        "/v1/articles",
        &json!({"id": "empty", "title": "\u{200b}\u{200f}\u{feff}"}),
    );
    assert_eq!((r.status, &r.json()["field"]), (400, &json!("title")));
}

#[test]
fn combining_marks_and_precomposed_letters_are_one_text() {
    let (_dir, server) = daemon();
    let composed = accepted(
        &server,
        json!({"id": "a", "title": "Café owners protest new tax"}),
    );
    let decomposed = accepted(
        &server,
        json!({"id": "b", "title": "Cafe\u{301} owners protest new tax"}),
    );
    assert_eq!(decomposed["status"], "duplicate");
    assert_eq!(decomposed["cluster"], composed["cluster"]);
    // Stored as given.
    assert_eq!(
        server.get("/v1/articles/b").json()["title"],
        "Cafe\u{301} owners protest new tax"
    );
}

#[test]
fn emoji_are_accepted_and_kept() {
    let (_dir, server) = daemon();
    let plain = accepted(&server, json!({"id": "a", "title": FED}));
    let title = format!("🔥 {FED} 🇺🇸👨‍👩‍👧");
    let decorated = accepted(&server, json!({"id": "b", "title": title}));
    assert_eq!(decorated["cluster"], plain["cluster"]);
    assert_eq!(server.get("/v1/articles/b").json()["title"], title);
    let only = accepted(&server, json!({"id": "c", "title": "🔥🔥🔥"}));
    assert_eq!(only["status"], "new");
}

#[test]
fn a_title_over_the_field_limit_is_refused_by_name() {
    let (_dir, server) = daemon();
    let big = "x".repeat((1 << 20) + 1);
    let r = server.post(
        "/v1/articles",
        &json!([{"id": "ok", "title": FED}, {"id": "big", "title": big}]),
    );
    assert_eq!(r.status, 400);
    let e = r.json();
    assert_eq!((&e["field"], &e["index"]), (&json!("title"), &json!(1)));
    assert!(e["error"].as_str().unwrap().contains("1048577"), "{e}");
    // Just under the limit is fine, and the daemon goes on.
    let title = format!("{FED} {}", "y".repeat(1_000_000));
    accepted(&server, json!({"id": "long", "title": title}));
    assert_eq!(
        server.get("/v1/articles/ok").status,
        404,
        "the refused request stored nothing"
    );
}

#[test]
fn deeply_nested_json_never_overflows_the_stack() {
    let (_dir, server) = daemon();
    for depth in [200, 100_000] {
        let nest = |inner: &str| format!("{}{inner}{}", "[".repeat(depth), "]".repeat(depth));
        // Nested where an article is expected: refused, naming the element.
        let r = server.request(
            "POST",
            "/v1/articles",
            &[],
            format!("[{}]", nest("")).as_bytes(),
        );
        assert_eq!(
            (r.status, &r.json()["index"]),
            (400, &json!(0)),
            "depth {depth}"
        );
        // Nested in the title: refused, naming the field.
        let body = format!("{{\"id\":\"a\",\"title\":{}}}", nest("\"x\""));
        let r = server.request("POST", "/v1/articles", &[], body.as_bytes());
        assert_eq!(
            (r.status, &r.json()["field"]),
            (400, &json!("title")),
            "depth {depth}"
        );
        // Nested in a field storyhash does not read: skipped without recursion, the article is taken.
        let body = format!(
            "{{\"id\":\"n{depth}\",\"title\":\"{FED}\",\"extra\":{}}}",
            nest("")
        );
        let r = server.request("POST", "/v1/articles", &[], body.as_bytes());
        assert_eq!(r.status, 200, "depth {depth}: {}", r.text());
    }
    assert_eq!(server.get("/readyz").json()["articles"], 2);
}

#[test]
fn wrong_json_types_name_the_field_and_the_index() {
    let (_dir, server) = daemon();
    for (article, field) in [
        (json!({"id": "a", "title": ["x"]}), "title"),
        (json!({"id": {"x": 1}, "title": FED}), "id"),
        (json!({"id": "a", "title": FED, "body": 5}), "body"),
        (
            json!({"id": "a", "title": FED, "published": true}),
            "published",
        ),
    ] {
        let r = server.post(
            "/v1/articles",
            &json!([{"id": "ok", "title": FED}, article]),
        );
        assert_eq!(r.status, 400);
        let e = r.json();
        assert_eq!(
            (&e["field"], &e["index"]),
            (&json!(field), &json!(1)),
            "{e}"
        );
    }
    let r = server.post("/v1/articles", &json!("just a string"));
    assert_eq!(r.status, 400);
    assert_eq!(server.get("/readyz").json()["articles"], 0);
}

#[test]
fn a_duplicate_id_inside_one_batch_with_two_texts_is_a_conflict_at_its_index() {
    let (_dir, server) = daemon();
    let r = server.post(
        "/v1/articles",
        &json!([{"id": "x", "title": FED}, {"id": "y", "title": "Portugal votes"}, {"id": "x", "title": "Other"}]),
    );
    assert_eq!(r.status, 409);
    assert_eq!(
        (&r.json()["index"], &r.json()["id"]),
        (&json!(2), &json!("x"))
    );
    assert_eq!(server.get("/readyz").json()["articles"], 0);
}

#[test]
fn a_100_mb_request_is_refused_before_it_is_read() {
    let (_dir, server) = daemon();
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
        .write_all(b"POST /v1/articles HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n[")
        .unwrap();
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 413");
    // Without a declared length the limit still holds as the body streams in.
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
        .write_all(b"POST /v1/articles HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    let chunk = vec![b' '; 1 << 20];
    let mut answered = Vec::new();
    for _ in 0..100 {
        let sent = stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .and_then(|()| stream.write_all(&chunk))
            .and_then(|()| stream.write_all(b"\r\n"));
        if sent.is_err() {
            break;
        }
    }
    let _ = stream.read_to_end(&mut answered);
    assert!(
        answered.starts_with(b"HTTP/1.1 413"),
        "{}",
        String::from_utf8_lossy(&answered)
    );
    assert_eq!(server.get("/healthz").status, 200);
}

/// A tmpfs mounted for the test (kept in a temporary directory that outlives the mount), or `None` (with a
/// note) where mounting is not allowed.
struct Tmpfs {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(options: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            if std::env::var_os("CI").is_some() {
                panic!("cannot mount a tmpfs (needs root)");
            }
            eprintln!("note: cannot mount a tmpfs here; skipping");
            return None;
        }
        Some(Tmpfs {
            path: dir.path().to_path_buf(),
            _dir: dir,
        })
    }

    fn remount(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.path)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

#[test]
fn a_full_disk_fails_writes_clearly_and_keeps_every_200() {
    let Some(disk) = Tmpfs::mount("size=6m") else {
        return;
    };
    let db = disk.path.join("db");
    let mut server = Server::ready(&db, &[]);
    let rows = crate::uci_rows();
    let mut acked: Vec<(String, u64)> = Vec::new();
    let mut failure = None;
    'posting: for pass in 0..1000 {
        for chunk in rows.chunks(100) {
            let body: Vec<Value> = chunk
                .iter()
                .map(|(id, title, _)| json!({"id": format!("{pass}-{id}"), "title": title, "body": title.repeat(20)}))
                .collect();
            let r = server.post("/v1/articles", &Value::from(body));
            if r.status != 200 {
                failure = Some(r);
                break 'posting;
            }
            for v in r.json().as_array().unwrap() {
                acked.push((
                    v["id"].as_str().unwrap().into(),
                    v["cluster"].as_u64().unwrap(),
                ));
            }
        }
    }
    let failure = failure.expect("a 6 MB disk fills up");
    assert_eq!(failure.status, 500, "{}", failure.text());
    assert!(
        failure.json()["error"].as_str().unwrap().contains("store"),
        "{}",
        failure.text()
    );
    assert!(!acked.is_empty());
    // Not ready any more, and writes are refused rather than half-done. Reads go on, but for one that
    // meets a page split the full disk interrupted: sled finishes such a split on the way, which writes,
    // so that read fails too, with the store's error.
    assert_eq!(server.get("/readyz").status, 503);
    // Only a restart undoes it: the liveness probe says so, for a supervisor to restart the daemon.
    let health = server.get("/healthz");
    assert_eq!(health.status, 503, "{}", health.text());
    assert!(
        health.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("restart")),
        "{}",
        health.text()
    );
    let read = server.get(&format!("/v1/articles/{}", acked[0].0));
    match read.status {
        200 => assert_eq!(read.json()["id"], acked[0].0.as_str()),
        500 => assert!(
            read.json()["error"]
                .as_str()
                .is_some_and(|e| e.contains("store") && e.contains("No space left")),
            "{}",
            read.text()
        ),
        other => panic!("a read on a full disk answered {other}: {}", read.text()),
    }
    // Room again does not make it take writes: the store is in doubt until a restart reopens it.
    disk.remount("size=256m");
    let late = server.post(
        "/v1/articles",
        &json!({"id": "after-the-failure", "title": "Markets rally as rates hold"}),
    );
    assert_eq!(late.status, 503, "{}", late.text());
    assert!(late.text().contains("not writable"), "{}", late.text());
    // The log says which request failed and why.
    let (_, log) = server.terminate_with_log();
    assert!(
        log.contains("request failed") && log.contains("No space left on device"),
        "{log}"
    );
    // Every acknowledged article is there with its cluster, and nothing refused.
    let engine = storyhash::Engine::open(&db, storyhash::EngineConfig::default()).expect("reopens");
    assert!(engine.get("after-the-failure").unwrap().is_none());
    for (id, cluster) in &acked {
        let got = engine
            .get(id)
            .unwrap()
            .unwrap_or_else(|| panic!("`{id}` got a 200, then was lost"));
        assert_eq!(got.cluster, *cluster);
    }
}

#[test]
fn a_read_only_store_directory_is_a_clear_error_at_start() {
    let Some(disk) = Tmpfs::mount("size=16m") else {
        return;
    };
    let db = disk.path.join("db");
    // Written by a process that has exited, so that nothing holds the files open.
    let out = ingest(&db, json!({"id": "a", "title": FED}).to_string().as_bytes());
    assert_eq!(out[0]["status"], "new");
    disk.remount("ro");
    // Refused before the daemon says it listens.
    let (status, printed, said) = Server::refused(&db, &[]);
    assert_eq!(status.code(), Some(1), "{said}");
    assert_eq!(printed, "", "nothing on standard output");
    assert!(
        said.contains("cannot open store") && said.contains(&db.display().to_string()),
        "{said}"
    );
    assert!(said.to_lowercase().contains("read-only"), "{said}");
}

#[test]
fn dedupe_into_a_full_disk_fails_clearly_writes_no_verdicts_and_keeps_the_store_s_articles() {
    let Some(disk) = Tmpfs::mount("size=12m") else {
        return;
    };
    let db = disk.path.join("db");
    let work = tempfile::tempdir().unwrap();
    let dedupe = |input: &Path, output: &Path| {
        Command::new(env!("CARGO_BIN_EXE_storyhash"))
            .arg("dedupe")
            .arg(input)
            .arg("--db")
            .arg(&db)
            .arg("-o")
            .arg(output)
            .arg("--quiet")
            .output()
            .unwrap()
    };
    // A first run fits, and its verdicts are what the store holds.
    let first = work.path().join("first.jsonl");
    let out = dedupe(&crate::repo_data("uci-stories-dev.jsonl"), &first);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kept: Vec<Value> = std::fs::read_to_string(&first)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(kept.len(), 3257);
    // A second run with long bodies does not.
    let big = work.path().join("big.jsonl");
    let rows = crate::uci_rows();
    let mut lines = String::new();
    let mut ids = Vec::new();
    for pass in 0..5 {
        for (id, title, _) in &rows {
            let id = format!("{pass}-{id}");
            let body = format!("{title} {pass}. ").repeat(20);
            lines.push_str(&json!({"id": id, "title": title, "body": body}).to_string());
            lines.push('\n');
            ids.push(id);
        }
    }
    std::fs::write(&big, lines).unwrap();
    let second = work.path().join("second.jsonl");
    let out = dedupe(&big, &second);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    // Where, which article, and what the system said, once: the line named holds the article named.
    let refused = said
        .split("article `")
        .nth(1)
        .and_then(|rest| rest.split("` not stored").next())
        .unwrap_or_else(|| panic!("names the article not stored: {said}"));
    let line = ids
        .iter()
        .position(|id| id == refused)
        .unwrap_or_else(|| panic!("`{refused}` is not an id of the input: {said}"))
        + 1;
    assert!(said.contains(&format!("big.jsonl:{line}:")), "{said}");
    assert!(
        said.contains("No space left on device (os error 28)"),
        "{said}"
    );
    assert_eq!(said.matches("failed").count(), 1, "{said}");
    assert!(!second.exists(), "no verdict file from a run that failed");
    // With room again, the first run's articles are all there, in their clusters.
    disk.remount("size=256m");
    let engine = storyhash::Engine::open(&db, storyhash::EngineConfig::default()).expect("reopens");
    for v in &kept {
        let id = v["id"].as_str().unwrap();
        let got = engine
            .get(id)
            .unwrap()
            .unwrap_or_else(|| panic!("`{id}` of the first run was lost"));
        assert_eq!(got.cluster, v["cluster"].as_u64().unwrap(), "`{id}`");
    }
}

#[test]
fn a_library_caller_refused_by_a_full_disk_gets_the_system_s_number_and_keeps_what_was_acknowledged(
) {
    let Some(disk) = Tmpfs::mount("size=12m") else {
        return;
    };
    let db = disk.path.join("db");
    let engine = storyhash::Engine::open(&db, storyhash::EngineConfig::default()).expect("opens");
    let rows = crate::uci_rows();
    let mut acknowledged = Vec::new();
    let mut refused = None;
    'fill: for pass in 0..40 {
        let ids: Vec<String> = rows.iter().map(|(id, ..)| format!("{pass}-{id}")).collect();
        let bodies: Vec<String> = rows
            .iter()
            .map(|(_, title, _)| format!("{title} {pass}. ").repeat(20))
            .collect();
        let articles: Vec<storyhash::Article> = rows
            .iter()
            .zip(&ids)
            .zip(&bodies)
            .map(|(((_, title, _), id), body)| {
                storyhash::Article::new(id.as_str(), title.as_str()).with_body(body.as_str())
            })
            .collect();
        // A library caller's acknowledgement is a flush that returned: each batch is flushed, and its
        // articles count as acknowledged once that flush succeeds.
        for batch in articles.chunks(200) {
            let mut accepted = Vec::new();
            for (article, result) in batch.iter().zip(engine.ingest_batch(batch)) {
                match result {
                    Ok(verdict) => accepted.push((article.id.to_string(), verdict.cluster)),
                    Err(storyhash::Error::Store(e)) => {
                        refused = Some(e);
                        break 'fill;
                    }
                    Err(other) => panic!("`{}`: {other}", article.id),
                }
            }
            match engine.flush() {
                Ok(()) => acknowledged.extend(accepted),
                Err(storyhash::Error::Store(e)) => {
                    refused = Some(e);
                    break 'fill;
                }
                Err(other) => panic!("flush: {other}"),
            }
        }
    }
    let refused = refused.expect("12 MB filled up");
    let full = std::io::Error::from_raw_os_error(28);
    assert_eq!(refused.os_code(), Some(28), "{refused}");
    assert!(
        refused.to_string().ends_with(&full.to_string()),
        "{refused}"
    );
    assert!(!acknowledged.is_empty());
    drop(engine);
    disk.remount("size=256m");
    let engine = storyhash::Engine::open(&db, storyhash::EngineConfig::default()).expect("reopens");
    for (id, cluster) in &acknowledged {
        let got = engine
            .get(id)
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged `{id}` was lost"));
        assert_eq!(
            engine.resolve(got.cluster),
            engine.resolve(*cluster),
            "`{id}`"
        );
    }
}
