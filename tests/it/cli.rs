//! The `storyhash dedupe` command: formats, output, determinism, bad input and agreement with the library.

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use storyhash::{Article, Engine, EngineConfig};

pub fn storyhash(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(args)
        .output()
        .expect("run storyhash")
}

pub fn storyhash_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn storyhash");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input).expect("write stdin");
    drop(stdin);
    child.wait_with_output().expect("wait")
}

pub fn lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("output line is JSON"))
        .collect()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Stores the UCI sample (`data/uci-stories-dev.jsonl`) in a new store at `db` with `storyhash dedupe
/// --db`, `more` flags added; panics with its standard error when that fails.
pub fn sample_store(db: &Path, more: &[&str]) {
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let out = dedupe_into(sample.to_str().unwrap(), db, more);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// How many times the thread of process `pid` that waits for signals (`cli/interrupt.rs`, named
/// `signals`) went to sleep: once more after it has taken a signal and waits for the next. `None` once
/// the process has no such thread (it is ending).
fn signal_thread_sleeps(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    for task in tasks.flatten() {
        let named = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if named.trim() == "signals" {
            let status = std::fs::read_to_string(task.path().join("status")).ok()?;
            return status
                .lines()
                .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
                .and_then(|n| n.trim().parse().ok());
        }
    }
    None
}

/// A named pipe `name` made in `dir`.
pub fn fifo_in(dir: &Path, name: &str) -> std::path::PathBuf {
    let fifo = dir.join(name);
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(made.success(), "mkfifo {}", fifo.display());
    fifo
}

/// `storyhash dedupe INPUT --db DB -o /dev/null --quiet`, `more` flags added.
pub fn dedupe_into(input: &str, db: &Path, more: &[&str]) -> Output {
    let mut args = vec![
        "dedupe",
        input,
        "-o",
        "/dev/null",
        "--quiet",
        "--db",
        db.to_str().unwrap(),
    ];
    args.extend_from_slice(more);
    storyhash(&args)
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write input");
    path.to_string_lossy().into_owned()
}

#[test]
fn dedupe_agrees_with_ingesting_one_at_a_time() {
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let out = storyhash(&["dedupe", "-q", sample.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let verdicts = lines(&out.stdout);
    let rows = crate::uci_rows();
    assert_eq!(verdicts.len(), rows.len());
    let engine = Engine::in_memory(EngineConfig::default()).unwrap();
    let single: Vec<_> = rows
        .iter()
        .map(|(id, title, _)| {
            engine
                .ingest(&Article::new(id.as_str(), title.as_str()))
                .unwrap()
        })
        .collect();
    for (line, v) in verdicts.iter().zip(&single) {
        assert_eq!(line["id"], v.id.as_str());
        // The file gives each record's final cluster.
        assert_eq!(line["cluster"], engine.resolve(v.cluster));
        assert_eq!(line["status"], v.status.as_str());
        assert_eq!(line["duplicate_of"].as_str(), v.duplicate_of.as_deref());
        assert_eq!(line["similarity"].as_f64().map(|s| s as f32), v.similarity);
    }
}

/// More records than one chunk of output lines (65,536): the lines come out one per record, in input
/// order, whichever chunk made them.
#[test]
fn a_large_input_gets_one_line_per_record_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let rows = crate::uci_rows();
    let mut input = String::new();
    let count = 66_000;
    for n in 0..count {
        let (_, title, _) = &rows[n % rows.len()];
        let round = n / rows.len();
        let record =
            serde_json::json!({"id": format!("r{n}"), "title": format!("{title} {round}")});
        input.push_str(&format!("{record}\n"));
    }
    let path = write(dir.path(), "large.jsonl", input.as_bytes());
    let out = storyhash(&["dedupe", "-q", &path]);
    assert!(out.status.success(), "{}", stderr(&out));
    let verdicts = lines(&out.stdout);
    assert_eq!(verdicts.len(), count);
    for (n, line) in verdicts.iter().enumerate() {
        assert_eq!(line["id"], format!("r{n}"));
    }
}

#[test]
fn two_runs_write_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let mut outputs = Vec::new();
    for run in 0..2 {
        let out = dir.path().join(format!("out{run}.jsonl"));
        let clusters = dir.path().join(format!("clusters{run}.jsonl"));
        let threads = if run == 0 { "1" } else { "2" };
        let res = storyhash(&[
            "dedupe",
            sample.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--clusters",
            clusters.to_str().unwrap(),
            "--threads",
            threads,
        ]);
        assert!(res.status.success(), "{}", stderr(&res));
        outputs.push((
            std::fs::read(out).unwrap(),
            std::fs::read(clusters).unwrap(),
        ));
    }
    assert!(!outputs[0].0.is_empty() && !outputs[0].1.is_empty());
    assert!(outputs[0] == outputs[1], "outputs differ between runs");
}

#[test]
fn clusters_file_lists_members_and_a_representative() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "in.jsonl",
        br#"{"id":"a","title":"ECB unlikely to end sterilisation of SMP purchases - traders"}
{"id":"b","title":"ECB unlikely to end sterilization of SMP purchases: traders"}
{"id":"c","title":"Portugal's Democratic Alliance Stands Firm on Governance"}
"#,
    );
    let clusters = dir.path().join("clusters.jsonl");
    let out = storyhash(&[
        "dedupe",
        &input,
        "--clusters",
        clusters.to_str().unwrap(),
        "-q",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let verdicts = lines(&out.stdout);
    assert_eq!(verdicts[1]["status"], "near_duplicate");
    assert_eq!(verdicts[1]["duplicate_of"], "a");
    let clusters = lines(&std::fs::read(clusters).unwrap());
    assert_eq!(clusters.len(), 2);
    assert_eq!(clusters[0]["members"], serde_json::json!(["a", "b"]));
    assert_eq!(clusters[0]["size"], 2);
    assert_eq!(
        clusters[0]["representative"],
        "ECB unlikely to end sterilisation of SMP purchases - traders"
    );
    assert_eq!(clusters[1]["members"], serde_json::json!(["c"]));
}

#[test]
fn csv_text_and_stdin_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "in.csv",
        b"headline,source\n\"Fed holds rates, signals patience\",Reuters\n\"Fed holds rates, signals patience - Reuters\",AP\n",
    );
    let out = storyhash(&["dedupe", "-q", &csv]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = lines(&out.stdout);
    assert_eq!(v.len(), 2);
    assert_eq!(
        (v[0]["id"].as_str(), v[1]["id"].as_str()),
        (Some("2"), Some("3")),
        "ids are line numbers"
    );
    assert_eq!(v[1]["status"], "duplicate");

    let text = write(
        dir.path(),
        "in.txt",
        "Storm hits coast\r\n\r\nStorm hits coast!\r\nAnother story entirely\r\n".as_bytes(),
    );
    let out = storyhash(&["dedupe", "-q", &text]);
    let v = lines(&out.stdout);
    assert_eq!(
        v.iter()
            .map(|l| l["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["1", "3", "4"]
    );
    assert_eq!(v[1]["status"], "duplicate");

    let out = storyhash_stdin(
        &["dedupe", "-q", "-"],
        b"{\"id\":\"s1\",\"title\":\"From stdin\"}\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines(&out.stdout)[0]["id"], "s1");
    let out = storyhash_stdin(
        &["dedupe", "-q", "--format", "text", "-"],
        b"one headline\n",
    );
    assert_eq!(lines(&out.stdout)[0]["id"], "1");
    // Standard input named twice would be read once and then found empty: refused before reading (so
    // nothing is written to it, which the refusal would close under the writer).
    let out = storyhash(&["dedupe", "-q", "-", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("named more than once"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_csv_larger_than_a_block_gets_the_verdicts_of_the_same_records_as_json_lines() {
    // The UCI sample three times over with its times, in CSV whose rows carry a wide column of their
    // own (quoted, across two lines): over 4 MiB, so the rows are read and decided a block at a time.
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read_to_string(crate::repo_data("uci-stories-dev.jsonl")).unwrap();
    let quoted = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let pad = format!("{}\n{}", "x".repeat(300), "y".repeat(300));
    let (mut csv, mut jsonl) = (
        String::from("id,title,source,published,notes\n"),
        String::new(),
    );
    for round in 0..3 {
        for line in sample.lines() {
            let r: serde_json::Value = serde_json::from_str(line).unwrap();
            let id = format!("{round}-{}", r["id"].as_str().unwrap());
            let (title, source, published) = (
                r["title"].as_str().unwrap(),
                r["source"].as_str().unwrap_or(""),
                r["published"].as_str().unwrap(),
            );
            csv.push_str(&format!(
                "{id},{},{},{published},{}\n",
                quoted(title),
                quoted(source),
                quoted(&pad)
            ));
            let mut record = serde_json::json!({"id": id, "title": title, "published": published});
            if !source.is_empty() {
                record["source"] = source.into();
            }
            jsonl.push_str(&format!("{record}\n"));
        }
    }
    assert!(csv.len() > 4 << 20, "{} bytes", csv.len());
    let csv = write(dir.path(), "big.csv", csv.as_bytes());
    let jsonl = write(dir.path(), "big.jsonl", jsonl.as_bytes());
    let from_csv = storyhash(&["dedupe", "-q", &csv]);
    assert!(from_csv.status.success(), "{}", stderr(&from_csv));
    let from_jsonl = storyhash(&["dedupe", "-q", &jsonl]);
    assert!(from_jsonl.status.success(), "{}", stderr(&from_jsonl));
    assert_eq!(lines(&from_csv.stdout).len(), 3 * sample.lines().count());
    assert!(
        from_csv.stdout == from_jsonl.stdout,
        "the CSV's verdicts differ from those of the same records as JSON Lines"
    );
}

#[test]
fn a_malformed_line_names_file_line_and_field_exits_2_and_leaves_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "bad.jsonl",
        b"{\"id\":\"1\",\"title\":\"Fine headline here\"}\n{\"id\":\"2\",\"title\":17}\n{\"id\":\"3\",\"title\":\"Also fine\"}\n",
    );
    let output = dir.path().join("out.jsonl");
    let out = storyhash(&["dedupe", &input, "-o", output.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad.jsonl:2") && err.contains("title"),
        "{err}"
    );
    assert!(!output.exists(), "no output file after a failed run");
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains(".tmp")));

    let good = write(
        dir.path(),
        "good.jsonl",
        b"{\"id\":\"g\",\"title\":\"Good one\"}\n",
    );
    for (name, bytes, needle) in [
        ("missing.jsonl", &b"{\"id\":\"1\"}\n"[..], "title"),
        (
            "notjson.jsonl",
            &b"{\"id\":\"1\",\"title\":\"x\"\n"[..],
            "notjson.jsonl:1",
        ),
        (
            "empty-title.jsonl",
            &b"{\"id\":\"e\",\"title\":\"  \"}\n"[..],
            "empty",
        ),
        (
            "headlines.jsonl",
            &b"Fire in the harbour\n"[..],
            "--format text",
        ),
        (
            "midfile.jsonl",
            &b"{\"id\":\"1\",\"title\":\"x\"}\nFire in the harbour\n"[..],
            "midfile.jsonl:2",
        ),
        (
            "packed.jsonl",
            &b"\x1f\x8b\x08\x00\x00\x00\x00\x00\n"[..],
            "compressed",
        ),
        (
            "wide.jsonl",
            &b"\xff\xfe{\x00\"\x00\n\x00"[..],
            "the input is UTF-16",
        ),
        (
            "array.jsonl",
            &b"[{\"id\":\"1\",\"title\":\"x\"}]\n"[..],
            "jq -c '.[]'",
        ),
        (
            "pretty.json",
            &b"[\n  {\"id\": \"1\", \"title\": \"x\"},\n  {\"id\": \"2\", \"title\": \"y\"}\n]\n"[..],
            "jq -c '.[]'",
        ),
        (
            "midarray.jsonl",
            &b"{\"id\":\"1\",\"title\":\"x\"}\n[{\"id\":\"2\",\"title\":\"y\"}]\n"[..],
            "midarray.jsonl:2",
        ),
        (
            "export.tsv",
            &b"id\ttitle\n1\tx\n"[..],
            "export.tsv is tab-separated; storyhash reads comma-separated CSV, which `python3 -c",
        ),
        (
            "feedparser.jsonl",
            &b"{\"id\":\"1\",\"title\":\"x\",\"source\":{\"href\":\"https://ap.org\",\"title\":\"AP\"}}\n"[..],
            "field `source`: expected a string or null, found object (a source given as an object, as \
             feedparser and news APIs give it: `jq -c '.source |= (.name // .title)'` writes its name \
             in its place)",
        ),
        (
            "newsapi.jsonl",
            &b"{\"status\":\"ok\",\"articles\":[{\"source\":{\"name\":\"BBC\"},\"title\":\"x\"}]}\n"[..],
            "missing field `title` (the record holds its articles in an array under `articles`: `jq -c \
             '.articles[]'` writes them one per line); the record's keys: articles, status",
        ),
    ] {
        let input = write(dir.path(), name, bytes);
        let out = storyhash(&["dedupe", &input]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(stderr(&out).contains(needle), "{name}: {}", stderr(&out));
        // The message says how to read on past a bad record, but not past a file of another format
        // or form (compressed, an array), nor past records whose title is under another key (it names
        // --title-field instead).
        let whole = [
            "headlines.jsonl",
            "packed.jsonl",
            "wide.jsonl",
            "array.jsonl",
            "pretty.json",
            "missing.jsonl",
            "export.tsv",
            "feedparser.jsonl",
            "newsapi.jsonl",
        ];
        assert_eq!(
            stderr(&out).contains("--on-error skip"),
            !whole.contains(&name),
            "{name}: {}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty(), "{name}: nothing on stdout");
        // A file in another form stops a run that skips bad records too: skipping would drop every
        // record of it as unreadable and still succeed on the good file before it.
        if ["packed.jsonl", "wide.jsonl", "array.jsonl", "pretty.json"].contains(&name) {
            let out = storyhash(&["dedupe", &good, &input, "--on-error", "skip"]);
            assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
            assert!(stderr(&out).contains(needle), "{name}: {}", stderr(&out));
            assert!(out.stdout.is_empty(), "{name}: no verdicts");
        }
    }
}

#[test]
fn on_error_skip_reports_and_keeps_the_good_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"{\"id\":\"1\",\"title\":\"Good one\"}\n");
    bytes.extend_from_slice(b"{\"id\":\"2\",\"title\":[1,2]}\n");
    bytes.extend_from_slice(b"{\"id\":\"3\",\"title\":\"bad \xff utf8\"}\n");
    bytes.extend_from_slice(b"{\"id\":\"4\",\"title\":\"Good two\"}\n");
    let input = write(dir.path(), "mixed.jsonl", &bytes);
    let out = storyhash(&["dedupe", &input, "--on-error", "skip"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ids: Vec<String> = lines(&out.stdout)
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["1", "4"]);
    let err = stderr(&out);
    assert!(
        err.contains("skipped 2 records that could not be taken:"),
        "{err}"
    );
    assert!(
        err.contains("mixed.jsonl:2") && err.contains("mixed.jsonl:3"),
        "{err}"
    );
    // An id given to three texts: why, and what to do, said once.
    let conflicts = write(
        dir.path(),
        "conflicts.jsonl",
        b"{\"id\":\"a\",\"title\":\"Storm hits the coast\"}\n{\"id\":\"a\",\"title\":\"Markets fall\"}\n{\"id\":\"a\",\"title\":\"Team wins final\"}\n",
    );
    let err = stderr(&storyhash(&["dedupe", &conflicts, "--on-error", "skip"]));
    assert_eq!(err.matches("an id names one text").count(), 1, "{err}");
    assert!(
        err.contains(
            "conflicts.jsonl:3: article `a` came earlier in the input, at line 1, with a different text \
             (as above)"
        ),
        "{err}"
    );
    // More than are shown: how many are.
    let mut many = b"{\"id\":\"kept\",\"title\":\"Good one\"}\n".to_vec();
    many.extend((0..7).flat_map(|i| format!("{{\"id\":\"{i}\"}}\n").into_bytes()));
    let untitled = write(dir.path(), "untitled.jsonl", &many);
    let err = stderr(&storyhash(&["dedupe", &untitled, "--on-error", "skip"]));
    assert!(
        err.contains("skipped 7 records that could not be taken; the first 5:\n"),
        "{err}"
    );
    // A CSV quote never closed costs its own row, not the rows after it.
    let csv = write(
        dir.path(),
        "stray.csv",
        b"id,title\n1,Good first\n2,\"Bad quote start\n3,World one\n4,World two\n",
    );
    let out = storyhash(&["dedupe", &csv, "--on-error", "skip"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ids: Vec<String> = lines(&out.stdout)
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["1", "3", "4"]);
    assert!(
        stderr(&out).contains("skipped 1 record that could not be taken:"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("stray.csv:3: a quoted field opens here"),
        "{}",
        stderr(&out)
    );
    // A run in which no record could be read is no success, though it skips as asked.
    let none = write(
        dir.path(),
        "titleless.jsonl",
        b"{\"id\":\"1\",\"headline\":\"One\"}\n{\"id\":\"2\",\"headline\":\"Two\"}\n",
    );
    let earlier = write(dir.path(), "earlier.jsonl", b"a run before\n");
    let out = storyhash(&["dedupe", &none, "--on-error", "skip", "-o", &earlier]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // The output a run before left stays as it was.
    assert_eq!(std::fs::read(&earlier).unwrap(), b"a run before\n");
    let err = stderr(&out);
    assert!(
        err.contains("titleless.jsonl:1: missing field `title`"),
        "{err}"
    );
    assert!(
        err.contains("no record could be read: all 2 were skipped"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn hostile_bytes_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"\xef\xbb\xbf{\"id\":\"bom\",\"title\":\"BOM first line\"}\r\n".to_vec();
    bytes.extend_from_slice(b"{\"id\":\"nul\",\"title\":\"NUL\\u0000inside\"}\r\n");
    bytes.extend_from_slice(b"{\"id\":\"emoji\",\"title\":\"\xf0\x9f\x94\xa5\xf0\x9f\x94\xa5\"}\n");
    bytes.extend_from_slice(b"{\"id\":\"rtl\",\"title\":\"\xe2\x80\x8fabc\xe2\x80\x8b def\"}\n");
    let big = "word ".repeat(200_000);
    bytes.extend_from_slice(format!("{{\"id\":\"big\",\"title\":\"{big}\"}}\n").as_bytes());
    let input = write(dir.path(), "hostile.jsonl", &bytes);
    let out = storyhash(&["dedupe", "-q", &input]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ids: Vec<String> = lines(&out.stdout)
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["bom", "nul", "emoji", "rtl", "big"]);
}

#[test]
fn the_summary_counts_the_stories_the_verdicts_name() {
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let out = storyhash(&["dedupe", sample.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let verdicts = lines(&out.stdout);
    let stories: std::collections::HashSet<u64> = verdicts
        .iter()
        .map(|v| v["story"].as_u64().unwrap())
        .collect();
    let clusters: std::collections::HashSet<u64> = verdicts
        .iter()
        .map(|v| v["cluster"].as_u64().unwrap())
        .collect();
    assert!(stories.len() > 1 && stories.len() < clusters.len());
    let said = format!(
        "{} records, {} clusters in {} stories: ",
        verdicts.len(),
        clusters.len(),
        stories.len()
    );
    assert!(stderr(&out).contains(&said), "{said} in {}", stderr(&out));
}

/// `prune` on a store another process holds says that first, then how a daemon holding it prunes.
#[test]
fn prune_on_a_store_another_process_holds_says_so_then_how_a_daemon_prunes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let _held = Engine::open(&db, EngineConfig::default()).unwrap();
    let out = storyhash(&["prune", "--db", db.to_str().unwrap(), "--older-than", "1d"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.starts_with(&format!("storyhash: cannot open store at {}", db.display()))
            && said.contains("in use by another process")
            && said.trim_end().ends_with(
                "(if it is a daemon serving the store, it prunes it with `POST \
                 /v1/prune?older_than=AGE`, or `serve --retain AGE`; an `ingest` keeps a window \
                 with `--retain AGE`)"
            ),
        "{said}"
    );
}

#[test]
fn the_summary_counts_the_stories_of_a_store_emptied_by_a_prune() {
    // Article numbers go on after a removal, and so do story ids: the count must reach them.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let db = db.to_str().unwrap();
    let old = write(
        dir.path(),
        "old.jsonl",
        b"{\"id\":\"o1\",\"title\":\"Fire in the harbour\",\"published\":\"2001-01-01\"}\n\
          {\"id\":\"o2\",\"title\":\"Flood in the valley\",\"published\":\"2001-01-02\"}\n",
    );
    assert!(storyhash(&["dedupe", &old, "--db", db, "-o", "/dev/null"])
        .status
        .success());
    let pruned = storyhash(&["prune", "--db", db, "--older-than", "1d"]);
    assert!(pruned.status.success(), "{}", stderr(&pruned));
    let new = write(
        dir.path(),
        "new.jsonl",
        b"{\"id\":\"n1\",\"title\":\"Volcano erupts near the airport\"}\n\
          {\"id\":\"n2\",\"title\":\"Volcano erupts near the airport today\"}\n\
          {\"id\":\"n3\",\"title\":\"Election results announced in Portugal\"}\n",
    );
    let out = storyhash(&["dedupe", &new, "--db", db]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stories: std::collections::HashSet<u64> = lines(&out.stdout)
        .iter()
        .map(|v| v["story"].as_u64().unwrap())
        .collect();
    assert!(stories.iter().all(|&s| s >= 2), "{stories:?}");
    let said = format!("3 records, 2 clusters in {} stories: ", stories.len());
    assert!(stderr(&out).contains(&said), "{said} in {}", stderr(&out));
}

#[test]
fn a_repeated_record_is_a_duplicate_of_the_one_before_and_counted_apart() {
    let out = storyhash_stdin(
        &["dedupe", "-"],
        b"{\"id\":\"a\",\"title\":\"Volcano erupts near Reykjavik airport\"}\n\
          {\"id\":\"a\",\"title\":\"Volcano erupts near Reykjavik airport\"}\n\
          {\"id\":\"b\",\"title\":\"Volcano erupts near Reykjavik airport\"}\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v = lines(&out.stdout);
    assert_eq!(v.len(), 3);
    // Dropping the duplicates keeps one copy of the page crawled twice.
    assert_eq!(v[0]["status"], "new");
    assert_eq!(
        (&v[1]["status"], &v[1]["duplicate_of"], &v[1]["similarity"]),
        (
            &serde_json::json!("duplicate"),
            &serde_json::json!("a"),
            &serde_json::json!(1.0)
        )
    );
    assert_eq!(v[1]["cluster"], v[0]["cluster"]);
    assert_eq!(v[1]["story"], v[0]["story"]);
    assert_eq!(v[2]["duplicate_of"], "a");
    assert!(
        stderr(&out).contains(
            "3 records, 1 cluster in 1 story: 1 new, 1 duplicate, 0 near-duplicates, 1 repeating an \
             earlier record (same id and text)"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_run_into_a_store_started_again_over_its_input_writes_the_verdicts_of_one_run() {
    // The first run stored the first two records (a stop after its first blocks); the second reads the
    // whole input again. Its records the store held keep their verdicts, and a repeat within the input
    // is a duplicate of the record before it, as in a single run.
    let dir = tempfile::tempdir().unwrap();
    let whole = b"{\"id\":\"a\",\"title\":\"Volcano erupts near Reykjavik airport\"}\n\
                  {\"id\":\"b\",\"title\":\"Flights resume in Iceland after eruption pauses\"}\n\
                  {\"id\":\"a\",\"title\":\"Volcano erupts near Reykjavik airport\"}\n\
                  {\"id\":\"c\",\"title\":\"Volcano erupts near Reykjavik airport - Reuters\"}\n";
    let first_two: Vec<u8> = whole
        .split_inclusive(|&b| b == b'\n')
        .take(2)
        .flatten()
        .copied()
        .collect();
    let part = write(dir.path(), "part.jsonl", &first_two);
    let input = write(dir.path(), "whole.jsonl", whole);
    let db = dir.path().join("db");
    let db = db.to_str().unwrap();
    let out = storyhash(&["dedupe", "-q", &part, "--db", db]);
    assert!(out.status.success(), "{}", stderr(&out));
    let again = storyhash(&["dedupe", "-q", &input, "--db", db]);
    assert!(again.status.success(), "{}", stderr(&again));
    let once = storyhash(&["dedupe", "-q", &input]);
    assert!(once.status.success(), "{}", stderr(&once));
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        String::from_utf8_lossy(&once.stdout)
    );
    let v = lines(&once.stdout);
    assert_eq!(v[0]["status"], "new");
    assert_eq!(v[2]["status"], "duplicate");
    assert_eq!(v[2]["duplicate_of"], "a");
}

#[test]
fn a_run_that_stores_nothing_in_the_store_it_made_leaves_no_store() {
    // The corrected command may then choose the store's settings.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let db = db.to_str().unwrap();
    let semicolons = write(dir.path(), "semi.csv", b"id;title\n1;Volcano erupts\n");
    let out = storyhash(&["dedupe", "-q", &semicolons, "--db", db]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("was removed again"),
        "{}",
        stderr(&out)
    );
    assert!(!Path::new(db).exists());
    let out = storyhash_stdin(&["ingest", "--db", db], b"id,title\n1,Volcano erupts\n");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!Path::new(db).exists());
    let fixed = write(dir.path(), "fixed.csv", b"id,title\n1,Volcano erupts\n");
    // So does one whose --rejects file cannot be made.
    let nowhere = dir.path().join("no-such-dir").join("rejects.txt");
    let out = storyhash(&[
        "dedupe",
        "-q",
        &fixed,
        "--db",
        db,
        "--on-error",
        "skip",
        "--rejects",
        nowhere.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot create --rejects"),
        "{}",
        stderr(&out)
    );
    assert!(!Path::new(db).exists());
    // And one whose every record is skipped: the input was most likely in another form.
    let untitled = write(dir.path(), "untitled.jsonl", b"{\"id\":\"1\"}\n");
    let out = storyhash(&["dedupe", "-q", &untitled, "--db", db, "--on-error", "skip"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no record could be read: the only one was skipped"),
        "{}",
        stderr(&out)
    );
    assert!(!Path::new(db).exists());
    let out = storyhash(&["dedupe", "-q", &fixed, "--db", db, "--shingle", "word1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // A directory made beforehand (a volume, a service's state directory) stays, without the store the
    // failed run made in it, so that the corrected command still chooses the settings.
    let made = dir.path().join("made");
    std::fs::create_dir(&made).unwrap();
    let made_str = made.to_str().unwrap();
    let out = storyhash(&["dedupe", "-q", &semicolons, "--db", made_str]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("was removed again (the directory stays)"),
        "{}",
        stderr(&out)
    );
    assert!(made.exists() && !Engine::store_exists(&made));
    let out = storyhash_stdin(
        &["ingest", "--db", made_str, "--threshold", "0.8"],
        b"id,title\n1,Volcano erupts\n",
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(made.exists() && !Engine::store_exists(&made));
    let out = storyhash(&[
        "dedupe",
        "-q",
        &fixed,
        "--db",
        made_str,
        "--shingle",
        "word1",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // A store that holds a record of the failed run stays.
    let half = write(
        dir.path(),
        "half.jsonl",
        b"{\"id\":\"1\",\"title\":\"Volcano erupts\"}\n{bad\n",
    );
    let kept = dir.path().join("kept");
    let out = storyhash(&["dedupe", "-q", &half, "--db", kept.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(Engine::store_exists(&kept));
}

#[test]
fn db_keeps_results_for_the_next_run_and_refuses_other_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let first = write(
        dir.path(),
        "a.jsonl",
        b"{\"id\":\"a\",\"title\":\"Volcano erupts near Reykjavik airport\"}\n",
    );
    let second = write(
        dir.path(),
        "b.jsonl",
        b"{\"id\":\"b\",\"title\":\"Volcano erupts near Reykjavik airport - Reuters\"}\n",
    );
    let out = storyhash(&["dedupe", "-q", &first, "--db", db.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = storyhash(&["dedupe", &second, &first, "--db", db.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = lines(&out.stdout);
    assert_eq!(v[0]["status"], "duplicate");
    assert_eq!(v[0]["duplicate_of"], "a");
    // The summary counts this run's verdicts, then what the store holds.
    assert!(
        stderr(&out).contains(
            "2 records: 0 new, 1 duplicate, 0 near-duplicates, 1 repeating an earlier record (same id \
             and text); the store now holds 2 articles in 1 cluster and 1 story"
        ),
        "{}",
        stderr(&out)
    );
    let out = storyhash(&[
        "dedupe",
        "-q",
        &second,
        "--db",
        db.to_str().unwrap(),
        "--shingle",
        "word1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("shingle"), "{}", stderr(&out));
    // A threshold that derives other bands: the refusal gives the store's own to match it.
    let out = storyhash(&[
        "dedupe",
        "-q",
        &second,
        "--db",
        db.to_str().unwrap(),
        "--threshold",
        "0.6",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("(--bands 30 --rows 4; its threshold is 0.5)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn help_explains_the_flags() {
    let out = storyhash(&["dedupe", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--output",
        "--clusters",
        "--format",
        "--threshold",
        "--shingle",
        "--permutations",
        "--fields",
        "--db",
        "--on-error",
        "--quiet",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
}

#[test]
fn a_failed_clusters_file_leaves_the_verdicts_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let input = one_article(dir.path());
    let output = dir.path().join("out.jsonl");
    std::fs::write(&output, b"previous run\n").unwrap();
    let missing = dir.path().join("no-such-dir").join("clusters.jsonl");
    let out = storyhash(&[
        "dedupe",
        "-q",
        &input,
        "-o",
        output.to_str().unwrap(),
        "--clusters",
        missing.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert_eq!(std::fs::read(&output).unwrap(), b"previous run\n");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A time ingest does not read is said at its line as it comes (a stream may run for days before it
/// ends), the first few one by one and the rest counted at the end; the article takes its arrival.
#[test]
fn ingest_says_which_published_times_it_took_the_arrival_for() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("news.db");
    let mut input = String::from(
        "{\"id\":\"ok\",\"title\":\"Fed holds rates\",\"published\":\"2025-01-01T00:00:00Z\"}\n",
    );
    for n in 0..7 {
        input.push_str(&format!(
            "{{\"id\":\"u{n}\",\"title\":\"Headline number {n} of a feed\",\"when\":\"last tuesday\"}}\n"
        ));
    }
    let ingest = |input: &str| {
        storyhash_stdin(
            &[
                "ingest",
                "--db",
                db.to_str().unwrap(),
                "--published-field",
                "when",
            ],
            input.as_bytes(),
        )
    };
    let out = ingest(&input);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("<stdin>:2: the `when` time `last tuesday` is in no form storyhash reads"),
        "{said}"
    );
    assert_eq!(
        said.matches("is in no form storyhash reads").count(),
        5,
        "{said}"
    );
    assert!(
        said.contains("7 articles took their arrival time for a `when` time"),
        "{said}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 8);
    // A repeat, and a line refused for its id, store nothing and take no time: no note of them.
    let again =
        "{\"id\":\"u0\",\"title\":\"Headline number 0 of a feed\",\"when\":\"last tuesday\"}\n\
                 {\"id\":\"u1\",\"title\":\"Another text for u1\",\"when\":\"last tuesday\"}\n\
                 {\"id\":\"v\",\"title\":\"A headline of its own\",\"when\":\"last tuesday\"}\n";
    let out = ingest(again);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    assert_eq!(
        said.matches("is in no form storyhash reads").count(),
        1,
        "{said}"
    );
    assert!(said.contains("<stdin>:3:"), "{said}");
}

#[test]
fn ingest_answers_every_line_in_order_and_goes_on_after_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let input = b"{\"id\":\"a\",\"title\":\"Fed holds rates steady as inflation cools\"}\n\
not json\n\
\n\
{\"id\":\"b\",\"title\":17}\n\
{\"id\":\"c\",\"title\":\"Fed holds rates steady as inflation cools - Reuters\"}\n\
{\"id\":\"a\",\"title\":\"A different text under a stored id\"}\n";
    let out = storyhash_stdin(&["ingest", "--db", db.to_str().unwrap()], input);
    assert!(out.status.success(), "{}", stderr(&out));
    let answers = lines(&out.stdout);
    assert_eq!(answers.len(), 5, "one answer per non-blank line");
    assert_eq!(answers[0]["status"], "new");
    assert_eq!(
        (answers[1]["line"].as_u64(), answers[1]["error"].is_string()),
        (Some(2), true)
    );
    assert_eq!(answers[2]["line"], 4);
    assert!(answers[2]["error"].as_str().unwrap().contains("title"));
    assert_eq!(answers[3]["status"], "duplicate");
    assert_eq!(answers[3]["duplicate_of"], "a");
    assert_eq!(
        (answers[4]["line"].as_u64(), answers[4]["id"].as_str()),
        (Some(6), Some("a"))
    );
    assert_eq!(answers[0].get("repeat"), None);
    // A second run continues from the store; a line it already holds is answered as a repeat.
    let out = storyhash_stdin(
        &["ingest", "--db", db.to_str().unwrap()],
        b"{\"id\":\"d\",\"title\":\"Fed holds rates steady as inflation cools\"}\n\
          {\"id\":\"a\",\"title\":\"Fed holds rates steady as inflation cools\"}\n",
    );
    let answers = lines(&out.stdout);
    assert_eq!(answers[0]["duplicate_of"], "a");
    assert_eq!(answers[0]["cluster_size"], 3);
    assert_eq!(answers[0].get("repeat"), None);
    assert_eq!(
        (&answers[1]["status"], &answers[1]["repeat"]),
        (&serde_json::json!("new"), &serde_json::json!(true))
    );
    // An id refused as too long (the limit is 4 MiB) is answered cut short, not written back whole.
    let long_id = "i".repeat((4 << 20) + 1);
    let line =
        serde_json::json!({"id": long_id, "title": "Storm hits the coast"}).to_string() + "\n";
    let out = storyhash_stdin(&["ingest", "--db", db.to_str().unwrap()], line.as_bytes());
    let answers = lines(&out.stdout);
    let shown = answers[0]["id"].as_str().unwrap();
    assert!(
        shown.ends_with("(4194305 bytes)") && shown.len() < 100,
        "{shown}"
    );
}

/// Standard error counts the refused lines at the end, for a supervisor that does not read the answers;
/// a stream of which no line could be taken (a CSV file) is bad input, each line still answered.
#[test]
fn ingest_counts_its_refused_lines_and_fails_a_stream_it_could_take_nothing_of() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let db = db.to_str().unwrap();
    let input = b"{\"id\":\"a\",\"title\":\"Fed holds rates steady\"}\nnot json\n{\"id\":\"b\"}\n";
    let out = storyhash_stdin(&["ingest", "--db", db], input);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("2 lines refused"), "{said}");
    assert!(
        said.contains("1 taken; the first, line 2: not JSON"),
        "{said}"
    );
    let csv = b"id,title\nc1,Storm hits the coast\nc2,Markets fall\n";
    let out = storyhash_stdin(&["ingest", "--db", db], csv);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(lines(&out.stdout).len(), 3, "each line answered");
    let said = stderr(&out);
    assert!(
        said.contains("no line of standard input could be taken (3 refused"),
        "{said}"
    );
    assert!(said.contains("the first, line 1: not JSON"), "{said}");
    assert!(said.contains("--format csv"), "{said}");
    // Keys under other names: the flag that reads them is named.
    let renamed = b"{\"id\":\"h1\",\"headline\":\"Storm hits the coast\"}\n";
    let out = storyhash_stdin(&["ingest", "--db", db], renamed);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--title-field KEY"),
        "{}",
        stderr(&out)
    );
}

/// A store `ingest` made for a standard input it then cannot read (a directory given as `< DIR`) goes
/// again, as one for a stream it could take nothing of does, so that the corrected command chooses the
/// store's settings; a store that was there before stays.
#[test]
fn ingest_that_cannot_read_its_input_removes_the_store_it_made() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let unreadable = || Stdio::from(std::fs::File::open(dir.path()).expect("a directory opens"));
    let run = |db: &Path| {
        Command::new(env!("CARGO_BIN_EXE_storyhash"))
            .args(["ingest", "--db"])
            .arg(db)
            .stdin(unreadable())
            .output()
            .unwrap()
    };
    let out = run(&db);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot read standard input"),
        "{}",
        stderr(&out)
    );
    assert!(!db.exists(), "the store made for nothing was left");
    // Then chosen with other settings, as the message's reader would.
    let out = storyhash_stdin(
        &["ingest", "--db", db.to_str().unwrap(), "--shingle", "word2"],
        b"{\"id\":\"a\",\"title\":\"Fed holds rates steady\"}\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&db);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let engine = Engine::open(&db, EngineConfig::default()).unwrap();
    assert!(
        engine.get("a").unwrap().is_some(),
        "a store made before stays"
    );
}

/// A line longer than any record may be (a binary file, a writer that never ends its line) is read past
/// without being held, answered in its place, and the lines around it are taken, by `ingest` and by
/// `dedupe` alike.
#[test]
fn a_line_longer_than_a_record_may_be_is_refused_in_its_place_and_its_neighbours_taken() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut input = b"{\"id\":\"a\",\"title\":\"Storm closes the harbour at Malmo\"}\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', (64 << 20) + 1));
    input.extend(b"\n{\"id\":\"b\",\"title\":\"Storm closes the harbour at Malmo again\"}\n");
    let out = storyhash_stdin(&["ingest", "--db", db.to_str().unwrap()], &input);
    assert!(out.status.success(), "{}", stderr(&out));
    let answers = lines(&out.stdout);
    assert_eq!(answers.len(), 3, "each line answered: {answers:?}");
    assert_eq!(answers[0]["id"], "a");
    assert_eq!(answers[1]["line"], 2);
    let error = answers[1]["error"].as_str().unwrap();
    assert!(error.contains("67108865 bytes long"), "{error}");
    assert_eq!(answers[2]["id"], "b");
    assert_eq!(answers[2]["duplicate_of"], "a");
    let file = dir.path().join("in.jsonl");
    std::fs::write(&file, &input).unwrap();
    let out = storyhash(&["dedupe", file.to_str().unwrap(), "--on-error", "skip", "-q"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let verdicts = lines(&out.stdout);
    assert_eq!(verdicts.len(), 2, "{verdicts:?}");
    assert_eq!(verdicts[1]["duplicate_of"], "a");
    let out = storyhash(&["dedupe", file.to_str().unwrap(), "-q"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("in.jsonl:2: the line is 67108865 bytes long"),
        "{}",
        stderr(&out)
    );
}

/// `--rejects` lists every record `--on-error skip` skipped, where the summary shows the first five; it
/// is refused without skipping, and in place of an input.
#[test]
fn rejects_lists_every_skipped_record_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let mut input =
        String::from("{\"id\":\"a\",\"title\":\"Storm closes the harbour at Malmo\"}\n");
    for i in 0..7 {
        input.push_str(&format!("{{\"id\":\"bad{i}\"}}\n"));
    }
    input.push_str("not json\n");
    let file = write(dir.path(), "in.jsonl", input.as_bytes());
    let rejects = dir.path().join("rejects.txt");
    let rejects_arg = rejects.to_str().unwrap();
    let out = storyhash(&[
        "dedupe",
        "-q",
        &file,
        "--on-error",
        "skip",
        "--rejects",
        rejects_arg,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = std::fs::read_to_string(&rejects).unwrap();
    let listed: Vec<&str> = listed.lines().collect();
    assert_eq!(listed.len(), 8, "{listed:?}");
    assert!(
        listed[0].ends_with("in.jsonl:2: missing field `title`; the record's keys: id"),
        "{listed:?}"
    );
    assert!(
        listed[7].ends_with("in.jsonl:9: not JSON: expected ident at column 2"),
        "{listed:?}"
    );
    let out = storyhash(&["dedupe", "-q", &file, "--rejects", rejects_arg]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--rejects lists the records --on-error skip skips"),
        "{}",
        stderr(&out)
    );
    let out = storyhash(&[
        "dedupe",
        "-q",
        &file,
        "--on-error",
        "skip",
        "--rejects",
        &file,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        input,
        "the input was written over"
    );
    // Written as the run goes, it cannot share standard error, which the summary is written to.
    let out = storyhash(&[
        "dedupe",
        "-q",
        &file,
        "--on-error",
        "skip",
        "--rejects",
        "/dev/stderr",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("which is standard error"),
        "{}",
        stderr(&out)
    );
}

/// `storyhash ingest --db DB ARGS` started with its standard input, output and error piped, and SIGHUP
/// at its default whatever the tests run under (`nohup` ignores it, which the child would keep).
fn spawn_ingest(db: &Path, args: &[&str]) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(env!("CARGO_BIN_EXE_storyhash"));
    command
        .args(["ingest", "--db", db.to_str().unwrap()])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: `signal` is async-signal-safe, as the child between fork and exec requires.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGHUP, libc::SIG_DFL);
            Ok(())
        });
    }
    command.spawn().unwrap()
}

/// A reader of ingest's answers that went away is a failure, not standard input's end: a supervisor
/// must not take a dead consumer for a finished stream.
#[test]
fn ingest_whose_answers_are_not_read_fails_saying_what_was_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut child = spawn_ingest(&db, &[]);
    // The reader of its answers is gone before the first one.
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin
        .write_all(b"{\"id\":\"a\",\"title\":\"Fed holds rates steady as inflation cools\"}\n");
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "standard output closed before standard input ended: line 1 was stored or refused"
        ),
        "{}",
        stderr(&out)
    );
    // The line taken is kept.
    assert!(Engine::store_exists(&db));
    // A run whose lines were all refused before its reader went keeps no store it made, as a run that
    // ends with every line refused does: the corrected command then chooses the store's settings.
    let refused_only = dir.path().join("refused-only");
    let mut child = spawn_ingest(&refused_only, &[]);
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(b"id,title\n1,Fed holds rates steady\n2,Storm closes the harbour\n");
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("was removed again"),
        "{}",
        stderr(&out)
    );
    assert!(!refused_only.exists());
}

/// A supervisor's SIGTERM stops `ingest` between turns, as does the SIGHUP of a closed terminal: it
/// says how far it got, every line it answered is in the store, and the signal then ends it as by
/// default (a shell's loop stops there).
#[test]
fn ingest_stopped_by_a_signal_says_what_it_answered_and_kept_it() {
    use std::io::BufRead;
    for (signal, name) in [(libc::SIGTERM, "SIGTERM"), (libc::SIGHUP, "SIGHUP")] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        let mut child = spawn_ingest(&db, &[]);
        let mut stdin = child.stdin.take().unwrap();
        let mut answers = std::io::BufReader::new(child.stdout.take().unwrap());
        let titles = [
            "Fed holds rates steady as inflation cools",
            "Storm closes the harbour at Malmo",
            "Markets fall on rate fears",
        ];
        for (i, title) in titles.iter().enumerate() {
            writeln!(stdin, "{{\"id\":\"a{i}\",\"title\":\"{title}\"}}").unwrap();
            stdin.flush().unwrap();
            let mut answer = String::new();
            answers.read_line(&mut answer).unwrap();
            assert!(answer.contains(&format!("\"a{i}\"")), "{answer}");
        }
        // Answered, and waiting for more: the signal stops it there, standard input still open.
        assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
        let out = child.wait_with_output().unwrap();
        drop(stdin);
        assert_eq!(out.status.signal(), Some(signal), "{}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("stopped by {name}; lines 1 to 3 were answered")),
            "{}",
            stderr(&out)
        );
        let engine = Engine::open(&db, EngineConfig::default()).unwrap();
        for i in 0..titles.len() {
            assert!(engine.get(&format!("a{i}")).unwrap().is_some(), "a{i}");
        }
    }
}

/// `ingest --retain` prunes as the stream runs, which `storyhash prune` cannot while ingest holds the
/// store: articles older than the age go once the store is open, and a line is said for them; the
/// stream's own articles stay.
#[test]
fn ingest_with_retain_drops_what_grew_older_as_it_runs() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    // The UCI sample's 3,257 articles, all of 2014.
    sample_store(&db, &[]);
    let mut child = spawn_ingest(&db, &["--retain", "30d"]);
    let mut stdin = child.stdin.take().unwrap();
    writeln!(
        stdin,
        "{{\"id\":\"new\",\"title\":\"Markets fall on rate fears\"}}"
    )
    .unwrap();
    stdin.flush().unwrap();
    let mut answer = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut answer)
        .unwrap();
    assert!(answer.contains("\"new\""), "{answer}");
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("storyhash: retention: pruned 3257 articles older than"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("note: every article went;"),
        "{}",
        stderr(&out)
    );
    let engine = Engine::open(&db, EngineConfig::default()).unwrap();
    assert!(engine.get("10").unwrap().is_none());
    assert_eq!(engine.stats().articles, 1);
    assert!(engine.get("new").unwrap().is_some());
}

/// `dedupe --db` stopped by a signal stores the blocks it read before it stopped, says how many records
/// that is, writes no outputs as if it had finished, and the signal then ends it as by default.
#[test]
fn dedupe_into_a_store_stopped_by_a_signal_says_what_the_store_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let verdicts = dir.path().join("verdicts.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(["dedupe", "-", "-q", "--db", db.to_str().unwrap()])
        .arg("-o")
        .arg(&verdicts)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // More than a block of input, then the signal while standard input is still open.
    let records = 60_000;
    stdin.write_all(&numbered_headlines(records)).unwrap();
    stdin.flush().unwrap();
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.signal(), Some(libc::SIGINT), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("storyhash: stopped by SIGINT"), "{said}");
    assert!(
        !verdicts.exists(),
        "verdicts written for a run that did not finish"
    );
    let engine = Engine::open(&db, EngineConfig::default()).unwrap();
    let stored = engine.stats().articles;
    // Whatever the moment the signal came, the note counts what the store holds: the input's first
    // records, in order.
    let note = if stored == 0 {
        "nothing of this run was stored".to_string()
    } else {
        format!("{stored} records of this run were stored in")
    };
    assert!(said.contains(&note), "{stored}: {said}");
    // Of what stops a run at a bad record, nothing is said for a signal.
    assert!(
        !said.contains("id conflict") && !said.contains("mended"),
        "{said}"
    );
    for i in 0..stored {
        assert!(engine.get(&format!("r{i}")).unwrap().is_some(), "r{i}");
    }
    assert!(engine.get(&format!("r{stored}")).unwrap().is_none());
}

/// `dedupe - --db` fed by a writer that sends nothing more for now (`tail -F crawl.jsonl | …`, or a
/// program whose buffer ended mid-line) stops at the first signal, storing the whole records it has,
/// rather than waiting for a block's worth of input or for the writer to close; the start of a record
/// not yet ended (a line cut short, a CSV field still quoted) is left out.
#[test]
fn dedupe_into_a_store_from_a_quiet_writer_stops_at_the_signal_with_the_lines_it_has() {
    let jsonl = "{\"id\":\"a\",\"title\":\"Storm hits the coast\"}\n\
                 {\"id\":\"b\",\"title\":\"Parliament passes the budget\"}\n\
                 {\"id\":\"c\",\"title\":\"Markets rally on rate hopes\"}\n";
    let csv = "id,title\n1,Storm hits the coast\n2,\"Parliament, at last,\npasses the budget\"\n";
    let cases: [(&str, String, &[&str], u64); 8] = [
        ("whole lines", jsonl.to_string(), &[], 3),
        (
            "a line cut short",
            format!("{jsonl}{{\"id\":\"d\",\"ti"),
            &[],
            3,
        ),
        ("lines ended by CR alone", jsonl.replace('\n', "\r"), &[], 3),
        ("nothing yet", String::new(), &[], 0),
        (
            "no line ended yet",
            "{\"id\":\"d\",\"ti".to_string(),
            &[],
            0,
        ),
        ("CSV", csv.to_string(), &["--format", "csv"], 2),
        (
            "a CSV field still quoted",
            format!("{csv}3,\"Ferries\nrun"),
            &["--format", "csv"],
            2,
        ),
        // A quote inside a field that did not start with one is text, and opens nothing.
        (
            "a CSV quote in a field",
            format!("{csv}3,Apple's 13\" MacBook\n"),
            &["--format", "csv"],
            3,
        ),
    ];
    for (case, input, flags, stored) in cases {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        let said = signalled_while_quiet(&db, input.as_bytes(), flags);
        let note = match stored {
            0 => "nothing of this run was stored".to_string(),
            n => format!("{n} records of this run were stored in"),
        };
        assert!(said.contains(&note), "{case}: {said}");
        if stored == 0 {
            continue;
        }
        let engine = Engine::open(&db, EngineConfig::default()).unwrap();
        assert_eq!(engine.stats().articles, stored, "{case}");
    }
}

/// `n` JSON Lines records, ids `r0`, `r1`, … and headlines of their own.
fn numbered_headlines(n: u64) -> Vec<u8> {
    let mut lines = Vec::new();
    for i in 0..n {
        writeln!(
            lines,
            "{{\"id\":\"r{i}\",\"title\":\"Headline number {i} about the harbour at Malmo\"}}"
        )
        .unwrap();
    }
    lines
}

/// `dedupe - --db` reading a file put on its standard input (`< crawl.jsonl`) stops at a signal as it
/// does with the file named, rather than reading on to the file's end.
#[test]
fn dedupe_into_a_store_from_a_file_on_standard_input_stops_at_the_signal() {
    let dir = tempfile::tempdir().unwrap();
    let (db, input) = (dir.path().join("db"), dir.path().join("in.jsonl"));
    let records = 200_000;
    std::fs::write(&input, numbered_headlines(records)).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(["dedupe", "-", "-q", "--db", db.to_str().unwrap()])
        .stdin(std::fs::File::open(&input).unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    interrupt_once_sigint_is_taken(child.id());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.signal(), Some(libc::SIGINT), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("stopping before the input's end"),
        "{}",
        stderr(&out)
    );
    let engine = Engine::open(&db, EngineConfig::default());
    let stored = engine.map_or(0, |e| e.stats().articles);
    assert!(stored < records, "{stored} of {records} stored");
}

/// Sends SIGINT to `pid` once it takes the signal (see [`wait_until_sigint_is_taken`]).
fn interrupt_once_sigint_is_taken(pid: u32) {
    wait_until_sigint_is_taken(pid);
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGINT) }, 0);
}

/// Waits until process `pid` takes SIGINT on a thread of its own (its main thread blocks the signal
/// for the thread that waits for it), rather than ending by it.
fn wait_until_sigint_is_taken(pid: u32) {
    let status = format!("/proc/{pid}/status");
    crate::http::eventually(std::time::Duration::from_millis(5), || {
        let status = std::fs::read_to_string(&status).map_err(|e| e.to_string())?;
        let blocked = status
            .lines()
            .find_map(|l| l.strip_prefix("SigBlk:"))
            .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
            .unwrap_or(0);
        match blocked & (1 << (libc::SIGINT - 1)) != 0 {
            true => Ok(()),
            false => Err("SIGINT is not taken yet".to_string()),
        }
    });
}

/// Runs `dedupe - --db DB` with `flags`, writes `input` to it and, once it has read all of it, signals
/// it while its writer stays open and quiet; checks that it ends by the signal, and returns what it said.
fn signalled_while_quiet(db: &Path, input: &[u8], flags: &[&str]) -> String {
    use std::os::fd::AsRawFd;
    let mut child = Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(["dedupe", "-", "-q", "--db", db.to_str().unwrap()])
        .args(flags)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    stdin.flush().unwrap();
    // Once the run has read it (the pipe is empty), the writer stays open and quiet.
    crate::http::eventually(std::time::Duration::from_millis(10), || {
        let mut waiting: libc::c_int = 0;
        // SAFETY: FIONREAD writes the pipe's unread byte count into `waiting`.
        let asked = unsafe { libc::ioctl(stdin.as_raw_fd(), libc::FIONREAD, &mut waiting) };
        crate::http::ok_if(asked == 0 && waiting == 0, || {
            format!("{waiting} bytes unread")
        })
    });
    interrupt_once_sigint_is_taken(child.id());
    // It ends with the writer still open.
    let status = crate::http::eventually(std::time::Duration::from_millis(10), || {
        child
            .try_wait()
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "still running after the signal, its writer open".to_string())
    });
    drop(stdin);
    let mut said = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut said).unwrap();
    assert_eq!(status.signal(), Some(libc::SIGINT), "{said}");
    said
}

/// A signal that comes while a run into a store writes its verdicts to standard output stops the
/// writing there and the run as stopped (130), every article stored.
#[test]
fn dedupe_into_a_store_stopped_while_it_prints_its_verdicts_stops_printing() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(["dedupe", "-q", "--db", db.to_str().unwrap()])
        .arg(&sample)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // The verdicts have begun, more than a pipe holds behind them: the writer waits on the pipe.
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    let taken = signal_thread_sleeps(child.id()).expect("a thread waits for signals");
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    // Read on only once the thread that takes the signal has taken it (it went back to wait for the
    // next, or the process is ending): a writer let go at once could finish before that thread runs,
    // on a busy machine.
    crate::http::eventually(
        std::time::Duration::from_millis(5),
        || match signal_thread_sleeps(child.id()).is_none_or(|sleeps| sleeps > taken) {
            true => Ok(()),
            false => Err("the signal is not taken yet".to_string()),
        },
    );
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.signal(), Some(libc::SIGINT), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("storyhash: stopped by SIGINT"),
        "{}",
        stderr(&out)
    );
    let printed = rest.iter().filter(|&&b| b == b'\n').count();
    let records = crate::uci_rows().len();
    assert!(printed < records, "{printed} of {records} verdicts printed");
    let engine = Engine::open(&db, EngineConfig::default()).unwrap();
    assert_eq!(engine.stats().articles as usize, records);
}

/// `dedupe --db` stopped by a bad record keeps the records read before it and says so; one stopped by an
/// id conflict keeps the rest of that block too, and says that. Either way a run again over the mended
/// input stores the rest.
#[test]
fn dedupe_into_a_store_stopped_by_a_bad_record_says_what_the_store_kept() {
    let dir = tempfile::tempdir().unwrap();
    // Each case: its name, its input, the ids the store keeps and those it does not.
    type Case<'a> = (&'a str, &'a [u8], &'a [&'a str], &'a [&'a str]);
    let cases: [Case; 2] = [
        (
            "malformed",
            b"{\"id\":\"1\",\"title\":\"Apple unveils new iPhone\"}\n{\"id\":\"2\"}\n{\"id\":\"3\",\"title\":\"Google buys robots\"}\n",
            &["1"],
            &["3"],
        ),
        (
            "conflict",
            b"{\"id\":\"1\",\"title\":\"Apple unveils new iPhone\"}\n{\"id\":\"1\",\"title\":\"Storm hits coast\"}\n{\"id\":\"3\",\"title\":\"Google buys robots\"}\n",
            &["1", "3"],
            &[],
        ),
    ];
    for (name, input, kept, left) in cases {
        let db = dir.path().join(format!("{name}.db"));
        let input = write(dir.path(), &format!("{name}.jsonl"), input);
        let out = dedupe_into(&input, &db, &[]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        let said = stderr(&out);
        let stored = format!(
            "{} of this run {} stored in",
            match kept.len() {
                1 => "1 record".to_string(),
                n => format!("{n} records"),
            },
            if kept.len() == 1 { "was" } else { "were" }
        );
        assert!(said.contains(&stored), "{name}: {said}");
        assert!(
            said.contains("the records read before it stopped; where an id conflict stopped it, the rest of that 4 MiB block too"),
            "{name}: {said}"
        );
        let engine = Engine::open(&db, EngineConfig::default()).unwrap();
        for id in kept {
            assert!(engine.get(id).unwrap().is_some(), "{name}: {id} kept");
        }
        for id in left {
            assert!(engine.get(id).unwrap().is_none(), "{name}: {id} not stored");
        }
    }
}

/// `prune` stopped by a signal stops between chunks of articles: it exits with the signal's code, says
/// how many went (flushed: the store reopens holding the rest), and a prune run again takes the rest.
#[test]
fn prune_stopped_by_a_signal_says_what_went_and_a_prune_again_takes_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let (old, fresh) = (9_000, 10);
    let mut input = Vec::new();
    for i in 0..old + fresh {
        let published = if i < old {
            "2020-01-01T00:00:00Z"
        } else {
            "2099-01-01T00:00:00Z"
        };
        writeln!(
            input,
            "{{\"id\":\"r{i}\",\"title\":\"Harbour {} reopens after storm number {i}\",\"published\":\"{published}\"}}",
            i % 40
        )
        .unwrap();
    }
    let input = write(dir.path(), "in.jsonl", &input);
    let made = dedupe_into(&input, &db, &[]);
    assert!(made.status.success(), "{}", stderr(&made));
    let child = Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(["prune", "--older-than", "1d", "--db", db.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the command takes the signal, whenever it comes: before the first chunk, between two, after
    // the last or once it is told.
    interrupt_once_sigint_is_taken(child.id());
    let out = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    // A signal that comes once the prune has ended and been told finds nothing to stop: the run ends
    // as it would have. One before stops it, which it says.
    if !out.status.success() {
        assert_eq!(out.status.signal(), Some(libc::SIGINT), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("storyhash: stopped by SIGINT"),
            "{}",
            stderr(&out)
        );
        assert!(said.contains("before a signal stopped it"), "{said}");
    }
    let pruned: u64 = said
        .strip_prefix("pruned ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("a count: {said}"));
    assert!(
        (pruned < old as u64
            && pruned.is_multiple_of(4_096)
            && out.status.signal() == Some(libc::SIGINT))
            || pruned == old as u64,
        "{said}"
    );
    {
        let engine = Engine::open(&db, EngineConfig::default()).unwrap();
        assert_eq!(engine.stats().articles, (old + fresh) as u64 - pruned);
    }
    let again = storyhash(&["prune", "--older-than", "1d", "--db", db.to_str().unwrap()]);
    assert!(again.status.success(), "{}", stderr(&again));
    let engine = Engine::open(&db, EngineConfig::default()).unwrap();
    assert_eq!(engine.stats().articles, fresh as u64);
    assert!(engine.get(&format!("r{}", old)).unwrap().is_some());
}

/// `dedupe` without a store, ended by a signal while it writes its outputs, is ended by the signal itself,
/// as by default (a shell's loop over files stops there too), and leaves no temporary file beside its
/// outputs, nor an output that looks complete.
#[test]
fn dedupe_ended_by_a_signal_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let verdicts = dir.path().join("verdicts.jsonl");
    // The clusters go to a pipe no one reads: the run waits there, its verdicts written to their
    // temporary file and not yet renamed into place.
    let fifo = fifo_in(dir.path(), "clusters.fifo");
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let child = Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(["dedupe", "-q"])
        .arg(&sample)
        .arg("-o")
        .arg(&verdicts)
        .arg("--clusters")
        .arg(&fifo)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let temporary = dir
        .path()
        .join(format!(".verdicts.jsonl.tmp-{}", child.id()));
    crate::http::eventually(std::time::Duration::from_millis(10), || {
        let written = std::fs::metadata(&temporary).map_or(0, |m| m.len());
        match written > 0 {
            true => Ok(()),
            false => Err(format!("{} was not written", temporary.display())),
        }
    });
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.signal(), Some(libc::SIGINT), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "ended as by default, without a word");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["clusters.fifo"], "files left beside the outputs");
}

/// `storyhash dedupe - --db DB` sent `records` records on a standard input left open: more than a pipe
/// holds, so that the run has started reading (and taking signals) before the test goes on, and fewer
/// than a block, so that it waits for more.
fn dedupe_into_a_store_waiting_for_more(
    db: &Path,
    records: usize,
) -> (std::process::Child, std::process::ChildStdin) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(["dedupe", "-", "-q", "--db", db.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for i in 0..records {
        writeln!(
            stdin,
            "{{\"id\":\"r{i}\",\"title\":\"Headline number {i} about the harbour at Malmo\"}}"
        )
        .unwrap();
    }
    stdin.flush().unwrap();
    (child, stdin)
}

/// The same signal sent again at once is one request to stop, not a second (GNU `timeout` signals the
/// process and then its process group): the run still stores the block it was reading.
#[test]
fn the_same_signal_sent_again_at_once_is_one_request_to_stop() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let records = 5_000;
    let (child, stdin) = dedupe_into_a_store_waiting_for_more(&db, records);
    let pid = child.id();
    let mut sleeps = crate::http::eventually(std::time::Duration::from_millis(5), || {
        signal_thread_sleeps(pid).ok_or_else(|| "no thread takes signals yet".to_string())
    });
    for _ in 0..2 {
        assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGTERM) }, 0);
        // Taken: the thread that takes signals went back to wait for the next, or the process ended.
        sleeps = crate::http::eventually(std::time::Duration::from_millis(1), || {
            match signal_thread_sleeps(pid) {
                Some(now) if now > sleeps => Ok(now),
                None => Ok(u64::MAX),
                Some(_) => Err("the signal is not taken yet".to_string()),
            }
        });
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let said = stderr(&out);
    assert_eq!(out.status.signal(), Some(libc::SIGTERM), "{said}");
    assert!(!said.contains("a second"), "{said}");
    assert!(
        said.contains(&format!("{records} records of this run were stored in")),
        "{said}"
    );
    let engine = Engine::open(&db, EngineConfig::default()).unwrap();
    assert_eq!(engine.stats().articles, records as u64);
}

/// A second signal ends the run at once, where the first waits for the block being read (here a pipe
/// that stays open), and says so. SIGINT then SIGTERM: two different signals are both taken, in that
/// order, however close together they come.
#[test]
fn a_second_signal_stops_the_run_at_once_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (child, stdin) = dedupe_into_a_store_waiting_for_more(&dir.path().join("db"), 5_000);
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(out.status.signal(), Some(libc::SIGTERM), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("storyhash: a second SIGTERM: stopping at once"),
        "{}",
        stderr(&out)
    );
}

/// Writes `in.jsonl` in `dir`, one article (id `a`), and returns its path.
fn one_article(dir: &Path) -> String {
    write(
        dir,
        "in.jsonl",
        b"{\"id\":\"a\",\"title\":\"Storm hits coast\"}\n",
    )
}

#[test]
fn output_to_a_pipe_or_device_is_written_in_place_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = fifo_in(dir.path(), "verdicts.fifo");
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).expect("read the fifo"))
    };
    let input = one_article(dir.path());
    let out = storyhash(&["dedupe", "-q", &input, "-o", fifo.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let received = reader.join().unwrap();
    assert_eq!(lines(&received)[0]["id"], "a");
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the pipe was replaced by a regular file");
    // A reader of that pipe that stops early fails the run, naming it, rather than ending it quietly
    // as one of standard output does: the outputs after it would be left unwritten.
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut first = [0u8; 16];
            let mut pipe = std::fs::File::open(fifo).expect("open the fifo");
            pipe.read_exact(&mut first).expect("the output begins");
        })
    };
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let clusters = dir.path().join("clusters.jsonl");
    let out = storyhash(&[
        "dedupe",
        "-q",
        sample.to_str().unwrap(),
        "-o",
        fifo.to_str().unwrap(),
        "--clusters",
        clusters.to_str().unwrap(),
    ]);
    reader.join().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("cannot write {}", fifo.display())),
        "{}",
        stderr(&out)
    );
}

#[test]
fn outputs_through_a_link_keep_the_link_and_one_file_cannot_take_both() {
    let dir = tempfile::tempdir().unwrap();
    let input = one_article(dir.path());
    let real = dir.path().join("real.jsonl");
    std::fs::write(
        &real,
        "an older and much longer output than this run writes\n".repeat(50),
    )
    .unwrap();
    let link = dir.path().join("out.jsonl");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let out = storyhash(&["dedupe", "-q", &input, "-o", link.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let written = lines(&std::fs::read(&real).unwrap());
    assert_eq!(written.len(), 1, "the old content is gone");
    assert_eq!(written[0]["id"], "a");

    let out = storyhash(&[
        "dedupe",
        "-q",
        &input,
        "-o",
        real.to_str().unwrap(),
        "--clusters",
        link.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("different files"), "{}", stderr(&out));
}

/// `-o /dev/stdout` is standard output, written as it is: a file appended to behind it keeps what it
/// held.
#[test]
fn dev_stdout_as_an_output_adds_to_what_standard_output_appends_to() {
    let dir = tempfile::tempdir().unwrap();
    let input = one_article(dir.path());
    let all = dir.path().join("all.jsonl");
    std::fs::write(&all, "{\"id\":\"earlier\"}\n").unwrap();
    for output in ["/dev/stdout", "-"] {
        let appended = std::fs::OpenOptions::new().append(true).open(&all).unwrap();
        let status = Command::new(env!("CARGO_BIN_EXE_storyhash"))
            .args(["dedupe", "-q", &input, "-o", output])
            .stdout(appended)
            .status()
            .unwrap();
        assert!(status.success(), "{output}");
    }
    let ids: Vec<String> = lines(&std::fs::read(&all).unwrap())
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["earlier", "a", "a"]);
}

#[test]
fn a_replaced_output_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let input = one_article(dir.path());
    let private = dir.path().join("private.jsonl");
    std::fs::write(&private, "an earlier run's verdicts\n").unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = storyhash(&["dedupe", "-q", &input, "-o", private.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines(&std::fs::read(&private).unwrap())[0]["id"], "a");
    let mode = std::fs::metadata(&private).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "the private file became {:o}",
        mode & 0o777
    );
}

#[test]
fn a_reader_of_standard_output_that_stops_early_ends_the_run_quietly_whichever_output_it_reads() {
    use std::io::Read;
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    for output in [
        &["-o", "-"][..],
        &["--clusters", "-", "-o", "/dev/null"],
        &["--report", "-", "-o", "/dev/null"],
    ] {
        let mut args = vec!["dedupe", "-q", sample.to_str().unwrap()];
        args.extend_from_slice(output);
        let mut child = Command::new(env!("CARGO_BIN_EXE_storyhash"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn storyhash");
        let mut stdout = child.stdout.take().expect("stdout");
        // Far more than a pipe holds follows the first bytes, so the writer meets the closed pipe.
        let mut first = [0u8; 16];
        stdout.read_exact(&mut first).expect("the output begins");
        drop(stdout);
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "{output:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{output:?}");
    }
}

#[test]
fn ingest_drops_a_byte_order_mark_before_the_first_article() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let out = storyhash_stdin(
        &["ingest", "--db", db.to_str().unwrap()],
        b"\xef\xbb\xbf{\"id\":\"a\",\"title\":\"Storm hits coast\"}\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines(&out.stdout)[0]["status"], "new");
}

/// Damage that makes sled panic while it recovers (bytes flipped in the middle of the log of a store
/// written one article at a time, most often) is said as damaged files, with exit 1, not a crash of
/// the run.
#[test]
fn a_store_whose_damage_makes_sled_panic_is_refused_as_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let lines: String = (0..20_000)
        .map(|i| {
            format!(
                "{}\n",
                serde_json::json!({"id": i.to_string(),
                    "title": format!("Storm {i} closes the harbour at Malmo for the {}th time", i % 97)})
            )
        })
        .collect();
    // From a file: its answers are more than a pipe holds while the input is still being written.
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, lines).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(["ingest", "--db", store.to_str().unwrap()])
        .stdin(std::fs::File::open(&input).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let db = store.join("db");
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 4_000_000, "a log of {} bytes", bytes.len());
    // 200 bytes in every half megabyte past the first megabyte: where sled's thread put what differs
    // from run to run, so some of it falls where the log is read.
    for start in (1_000_000..bytes.len() - 200).step_by(500_000) {
        for b in &mut bytes[start..start + 200] {
            *b ^= 0xff;
        }
    }
    std::fs::write(&db, bytes).unwrap();
    let out = storyhash_stdin(
        &["ingest", "--db", store.to_str().unwrap()],
        b"{\"id\":\"x\",\"title\":\"Markets fall on rate fears\"}\n",
    );
    // Where the flipped bytes fall in sled's log depends on when its thread wrote: sled panics on
    // some of it, finds some of it failing its checksums, and stops reading its log at some of it,
    // which the flush mark then tells. Each is refused, none ends the run as a crash (exit 101).
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("its files are damaged")
            || stderr(&out).contains("hold less than was made durable"),
        "{}",
        stderr(&out)
    );
}
