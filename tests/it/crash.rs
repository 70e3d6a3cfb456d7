//! Durability under kill -9, in the style of sled's crash-recovery test: the test re-executes its own binary
//! as a child that ingests articles into a store and prints each id only after `flush` returned (its
//! acknowledgement); the parent kills the child with SIGKILL after a varying number of acknowledgements,
//! reopens the store and checks that every acknowledged article is there with the cluster it was given.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use storyhash::{Article, Engine, EngineConfig};

const CHILD_ENV: &str = "STORYHASH_CRASH_CHILD_DIR";

fn titles() -> Vec<(String, String)> {
    crate::uci_rows()
        .into_iter()
        .map(|(id, title, _)| (id, title))
        .collect()
}

/// Reopens the store a killed writer left and checks that every acknowledged `(id, cluster)` is there, in
/// the cluster it was given (or the one that cluster merged into).
fn assert_acknowledged_survive(
    db: &std::path::Path,
    acked: &[(String, u64)],
    round: usize,
) -> Engine {
    let engine = Engine::open(db, EngineConfig::default()).expect("store reopens after kill -9");
    for (id, cluster) in acked {
        let got = engine
            .get(id)
            .unwrap()
            .unwrap_or_else(|| panic!("round {round}: acknowledged `{id}` lost"));
        assert_eq!(
            engine.resolve(*cluster),
            got.cluster,
            "round {round}: `{id}` changed cluster"
        );
    }
    engine
}

/// The child's work: ingest in small batches, flush, then acknowledge each article on stdout.
fn child_ingest_loop(dir: &std::ffi::OsStr) -> ! {
    let engine = Engine::open(dir, EngineConfig::default()).expect("child opens the store");
    let rows = titles();
    let stdout = std::io::stdout();
    // End the line the test harness started ("test … ... ") so that the first acknowledgement parses.
    println!();
    for chunk in rows.chunks(7) {
        let articles: Vec<Article<'_>> = chunk
            .iter()
            .map(|(id, t)| Article::new(id.as_str(), t.as_str()))
            .collect();
        let verdicts: Vec<_> = engine
            .ingest_batch(&articles)
            .into_iter()
            .map(|r| r.expect("ingest"))
            .collect();
        engine.flush().expect("flush");
        let mut out = stdout.lock();
        for v in verdicts {
            writeln!(out, "{} {}", v.id, v.cluster).expect("ack");
        }
        out.flush().expect("ack flush");
    }
    unreachable!("the pass counter is unbounded")
}

#[test]
fn every_acknowledged_article_survives_kill_9() {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        child_ingest_loop(&dir);
    }
    let exe = std::env::current_exe().expect("test binary path");
    let rounds = 20;
    for round in 0..rounds {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash::every_acknowledged_article_survives_kill_9",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("child stdout");
        // Kill after a different number of acknowledgements each round, mid-stream.
        let kill_after = 20 + round * 37;
        let mut acked: Vec<(String, u64)> = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let Some((id, cluster)) = line.split_once(' ') else {
                continue;
            };
            let Ok(cluster) = cluster.parse() else {
                continue;
            };
            acked.push((id.to_string(), cluster));
            if acked.len() >= kill_after {
                break;
            }
        }
        child.kill().expect("SIGKILL the child");
        let status = child.wait().expect("reap the child");
        assert_eq!(
            status.signal(),
            Some(9),
            "round {round}: the child was killed mid-stream"
        );
        assert!(
            acked.len() >= kill_after.min(100),
            "round {round}: child acknowledged only {}",
            acked.len()
        );
        let engine = assert_acknowledged_survive(dir.path(), &acked, round);
        // Whatever else made it to disk is whole: every stored article decodes and is counted once.
        assert!(engine.stats().articles as usize >= acked.len());
    }
}

#[test]
fn every_verdict_of_storyhash_ingest_survives_kill_9() {
    for round in 0..20usize {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        let mut child = Command::new(env!("CARGO_BIN_EXE_storyhash"))
            .args(["ingest", "--db"])
            .arg(&db)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn storyhash ingest");
        let mut stdin = child.stdin.take().expect("child stdin");
        let stdout = child.stdout.take().expect("child stdout");
        // A writer that feeds articles until the child dies and the pipe breaks.
        let writer = std::thread::spawn(move || {
            let rows = titles();
            for pass in 0.. {
                for (id, title) in &rows {
                    let line = serde_json::json!({"id": format!("{id}-{pass}"), "title": title});
                    if writeln!(stdin, "{line}").is_err() {
                        return;
                    }
                }
            }
        });
        let kill_after = 10 + round * 53;
        let mut acked: Vec<(String, u64)> = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let v: serde_json::Value = serde_json::from_str(&line).expect("verdict line is JSON");
            acked.push((
                v["id"].as_str().expect("id").to_string(),
                v["cluster"].as_u64().expect("cluster"),
            ));
            if acked.len() >= kill_after {
                break;
            }
        }
        child.kill().expect("SIGKILL storyhash ingest");
        let status = child.wait().expect("reap");
        assert_eq!(status.signal(), Some(9), "round {round}: killed mid-stream");
        writer.join().expect("writer thread");
        assert!(
            acked.len() >= kill_after,
            "round {round}: only {} verdicts",
            acked.len()
        );
        assert_acknowledged_survive(&db, &acked, round);
    }
}
