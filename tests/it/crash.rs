//! Durability under kill -9, in the style of sled's crash-recovery test: the test re-executes its own binary
//! as a child that ingests articles into a store and prints each id only after `flush` returned (its
//! acknowledgement); the parent kills the child with SIGKILL after a varying number of acknowledgements,
//! reopens the store and checks that every acknowledged article is there with the cluster it was given.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use storyhash::{Article, Engine, EngineConfig};

const CHILD_ENV: &str = "STORYHASH_CRASH_CHILD_DIR";

/// Kill rounds per mode: 20 unless `STORYHASH_KILL_ROUNDS` says otherwise (the documented long runs).
fn rounds() -> usize {
    std::env::var("STORYHASH_KILL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

fn titles() -> Vec<(String, String)> {
    crate::uci_rows()
        .into_iter()
        .map(|(id, title, _)| (id, title))
        .collect()
}

/// Reopens the store a killed writer left (which must open without error) and checks that every
/// acknowledged `(id, cluster)` is there, in the cluster it was given (or the one that cluster merged
/// into), and that every article in the rebuilt index is stored, exactly once.
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
    // Every article the rebuilt index holds is stored, once.
    let mut ids = std::collections::HashSet::new();
    for cluster in engine.clusters().expect("list clusters") {
        for id in cluster.members {
            assert!(
                engine.get(&id).unwrap().is_some(),
                "round {round}: the index holds `{id}` but the store does not"
            );
            assert!(
                ids.insert(id.clone()),
                "round {round}: `{id}` indexed twice"
            );
        }
    }
    assert_eq!(ids.len() as u64, engine.stats().articles, "round {round}");
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
    for round in 0..rounds() {
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
        let kill_after = 20 + (round * 37) % 3000;
        let mut acked: Vec<(String, u64)> = Vec::new();
        // The pipe stays open until the child is dead: closed earlier, the child's next write would
        // fail and it would end on its own before the kill.
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
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
        drop(lines);
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
    for round in 0..rounds() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        let mut child = Command::new(env!("CARGO_BIN_EXE_storyhash"))
            .args(["ingest", "--db"])
            .arg(&db)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn storyhash ingest");
        let mut stdin = child.stdin.take().expect("child stdin");
        let stdout = child.stdout.take().expect("child stdout");
        let mut stderr = child.stderr.take().expect("child stderr");
        let said = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            text
        });
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
        let kill_after = 10 + (round * 53) % 3000;
        let mut acked: Vec<(String, u64)> = Vec::new();
        // The pipe stays open until the child is dead: closed earlier, the child's next write would
        // fail and it would end on its own before the kill.
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
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
        drop(lines);
        assert_eq!(
            status.signal(),
            Some(9),
            "round {round}: killed mid-stream, but it ended on its own ({status}) after {} verdicts: {}",
            acked.len(),
            said.join().unwrap_or_default()
        );
        writer.join().expect("writer thread");
        assert!(
            acked.len() >= kill_after,
            "round {round}: only {} verdicts",
            acked.len()
        );
        assert_acknowledged_survive(&db, &acked, round);
    }
}

/// `storyhash serve` killed with SIGKILL while four clients post: after each kill the store reopens, every
/// article that got a 200 in any round so far is there with the cluster it was given, and the store
/// holds no more articles than were ever sent. The rounds share one store, so each restart also reads
/// back everything the earlier rounds left.
#[test]
fn every_200_of_storyhash_serve_survives_kill_9() {
    use crate::http::{Connection, Server};
    let rounds = rounds();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let rows = titles();
    let mut acked: Vec<(String, u64)> = Vec::new();
    let mut sent = 0usize;
    for round in 0..rounds {
        let server = Server::ready(&db, &[]);
        let addr = server.addr;
        let (tx, rx) = std::sync::mpsc::channel::<(String, u64)>();
        let sent_now = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let clients: Vec<_> = (0..4)
            .map(|client| {
                let tx = tx.clone();
                let rows = rows.clone();
                let sent_now = std::sync::Arc::clone(&sent_now);
                std::thread::spawn(move || {
                    let Ok(mut conn) = Connection::open(addr) else {
                        return;
                    };
                    for (n, chunk) in rows.chunks(5).enumerate() {
                        let body: Vec<serde_json::Value> = chunk
                            .iter()
                            .map(|(id, title)| {
                                serde_json::json!({"id": format!("r{round}-c{client}-{id}"), "title": title})
                            })
                            .collect();
                        let body = serde_json::Value::from(body).to_string();
                        sent_now.fetch_add(chunk.len(), std::sync::atomic::Ordering::SeqCst);
                        let Ok(reply) = conn.send("POST", "/v1/articles", &[], body.as_bytes()) else {
                            return;
                        };
                        assert_eq!(reply.status, 200, "round {round} client {client} batch {n}");
                        for v in reply.json().as_array().expect("verdicts") {
                            let ack = (
                                v["id"].as_str().expect("id").to_string(),
                                v["cluster"].as_u64().expect("cluster"),
                            );
                            if tx.send(ack).is_err() {
                                return;
                            }
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        // Kill after a different number of acknowledgements each round.
        let kill_after = 15 + (round * 97) % 400;
        let mut got = 0;
        for ack in rx.iter() {
            acked.push(ack);
            got += 1;
            if got >= kill_after {
                break;
            }
        }
        let mut server = server;
        server.child.kill().expect("SIGKILL the daemon");
        let status = server.child.wait().expect("reap the daemon");
        assert_eq!(status.signal(), Some(9), "round {round}: killed mid-stream");
        for c in clients {
            c.join().expect("client thread");
        }
        // Answers that raced the kill were acknowledged too.
        acked.extend(rx.try_iter());
        sent += sent_now.load(std::sync::atomic::Ordering::SeqCst);
        drop(server);
        let engine = assert_acknowledged_survive(&db, &acked, round);
        let stored = engine.stats().articles as usize;
        assert!(
            stored >= acked.len() && stored <= sent,
            "round {round}: {stored} stored, {} acknowledged, {sent} sent",
            acked.len()
        );
    }
}
