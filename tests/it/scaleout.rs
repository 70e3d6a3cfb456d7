//! Multi-node mode: several `storyhash serve --log` nodes sharing one log in a `redis-server` of the test's
//! own (a child on a free loopback port, in a temporary directory, with `appendfsync always`, stopped by
//! its pid). Every node must answer alike and equal to one sequential ingest of the log in its order,
//! whatever the clients do at once (convergence), when a node or Redis is killed with SIGKILL while
//! clients post (kill), and while Redis is stopped for 5 s (outage). Nodes join by replaying the log or
//! from a copy of another node's store, and refuse settings, stores and logs they cannot follow.
//!
//! Without `redis-server` on the `PATH` these tests note it and pass, except under CI (`CI` or
//! `STORYHASH_REQUIRE_REDIS` set), where that is a failure. `STORYHASH_LONG_ROUNDS=N` runs N kill rounds
//! instead of 10 (the figures in docs/RELIABILITY.md); `STORYHASH_SEED` repeats a run's random choices.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use storyhash::server::redis_log::{Entry, LogConfig, Position, RedisLog};
use storyhash::{Engine, EngineConfig, Timestamp};

use crate::http::{eventually, ok_if, try_request, Reply, Server};
use crate::redis_server::Redis;

/// Kill rounds of each kind: 10, or `STORYHASH_LONG_ROUNDS`.
fn rounds() -> usize {
    std::env::var("STORYHASH_LONG_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
}

/// A small random generator (xorshift), seeded from `STORYHASH_SEED` or the clock; the seed is printed
/// so that a failing run can be repeated.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn seeded(what: &str) -> Rng {
        let seed = std::env::var("STORYHASH_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1)
            });
        eprintln!("{what}: STORYHASH_SEED={seed}");
        Rng(seed | 1)
    }

    fn fork(&mut self, n: u64) -> Rng {
        Rng(self.next() ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Posts `body` to node `n` until it answers 200 (it may not have joined the log yet), and that answer.
fn posted(n: &Server, body: &Value) -> Reply {
    eventually(Duration::from_millis(100), || {
        let r = n.post("/v1/articles", body);
        if r.status == 200 {
            Ok(r)
        } else {
            Err(r.text())
        }
    })
}

/// Starts a node on `db` following the log at `url`.
fn node(db: &Path, url: &str, extra: &[&str]) -> Server {
    let mut args = vec!["--log", url];
    args.extend_from_slice(extra);
    Server::ready(db, &args)
}

/// The article objects of this test's workload, made from the labelled UCI sample: headlines of many
/// stories, exact copies ("UPDATE 1-… - Reuters") and near-duplicates (a word dropped), half of them
/// with a publication time and half taking their arrival.
fn articles(tag: &str) -> Vec<Value> {
    let rows = crate::uci_rows();
    let mut out = Vec::new();
    for (n, (id, title, _)) in rows.iter().enumerate().step_by(3) {
        let with_time = |mut v: Value, k: usize| {
            if k.is_multiple_of(2) {
                v["published"] = json!(format!("2014-03-{:02}T{:02}:00:00Z", 10 + k % 15, k % 24));
            }
            v
        };
        out.push(with_time(
            json!({"id": format!("{tag}-{id}"), "title": title}),
            n,
        ));
        if n % 4 == 0 {
            out.push(with_time(
                json!({"id": format!("{tag}-{id}-copy"), "title": format!("UPDATE 1-{title} - Reuters")}),
                n + 1,
            ));
        }
        if n % 4 == 1 {
            let words: Vec<&str> = title.split(' ').collect();
            if words.len() > 5 {
                let shorter = [&words[..2], &words[3..]].concat().join(" ");
                out.push(with_time(
                    json!({"id": format!("{tag}-{id}-near"), "title": shorter}),
                    n,
                ));
            }
        }
    }
    out
}

/// What the log holds, applied in order to a fresh store: the sequential ingest every node must equal.
struct Replayed {
    engine: Engine,
    _dir: tempfile::TempDir,
    /// The verdict each stored article got when its entry was applied.
    verdicts: HashMap<String, Value>,
    /// Request keys whose articles were refused, with the refused id.
    refused: Vec<(String, String)>,
    /// Ids stored and not removed since.
    live: HashSet<String>,
    head: Position,
}

fn replay(url: &str) -> Replayed {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), EngineConfig::default()).expect("replay store");
    let mut log = RedisLog::new(&LogConfig::new(url)).expect("log");
    let mut at = Position::START;
    let mut out = Replayed {
        engine,
        _dir: dir,
        verdicts: HashMap::new(),
        refused: Vec::new(),
        live: HashSet::new(),
        head: Position::START,
    };
    loop {
        let entries = log
            .read(at, 1000, Duration::from_millis(1))
            .expect("read the log");
        if entries.is_empty() {
            break;
        }
        for (position, fields) in entries {
            at = position;
            match Entry::decode(&fields).expect("entry decodes") {
                Entry::Articles { key, at, articles } => {
                    let result = out
                        .engine
                        .ingest_groups_at(
                            &articles,
                            std::slice::from_ref(&(0..articles.len())),
                            &[Timestamp::from_unix_seconds(at)],
                        )
                        .pop()
                        .expect("one group");
                    match result {
                        Ok(group) => {
                            for v in group {
                                if !v.repeat {
                                    out.live.insert(v.id.clone());
                                    out.verdicts
                                        .insert(v.id.clone(), serde_json::to_value(&v).unwrap());
                                }
                            }
                        }
                        Err((pos, _)) => out.refused.push((key, articles[pos].id.to_string())),
                    }
                }
                // A removal is followed by a reload, as on every node (see `Engine::reload`).
                Entry::Delete { at, id, .. } => {
                    if out
                        .engine
                        .remove_at(&id, Timestamp::from_unix_seconds(at))
                        .unwrap()
                    {
                        out.engine.reload().unwrap();
                    }
                    out.live.remove(&id);
                }
                Entry::Prune { at, before, .. } => {
                    let pruned = out
                        .engine
                        .prune_at(
                            Timestamp::from_unix_seconds(before),
                            Timestamp::from_unix_seconds(at),
                        )
                        .unwrap();
                    if pruned > 0 {
                        out.engine.reload().unwrap();
                    }
                    out.live.retain(|id| out.engine.get(id).unwrap().is_some());
                }
            }
        }
    }
    out.head = at;
    out
}

/// The last entry a node applied, from `/readyz`.
fn applied(addr: SocketAddr) -> Option<String> {
    let r = try_request(addr, "GET", "/readyz", &[], b"").ok()?;
    (r.status == 200).then(|| r.json()["log"]["applied"].as_str().map(str::to_string))?
}

/// Waits until every node has applied the whole log.
fn wait_converged(url: &str, addrs: &[SocketAddr]) -> Position {
    let mut log = RedisLog::new(&LogConfig::new(url)).expect("log");
    let head = log.info().expect("stream info").last_generated;
    let deadline = Instant::now() + Duration::from_secs(120);
    for &addr in addrs {
        while applied(addr).as_deref() != Some(head.to_string().as_str()) {
            assert!(
                Instant::now() < deadline,
                "node {addr} did not apply the log up to {head} (at {:?})",
                applied(addr)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    head
}

/// Checks that every node holds exactly what the sequential replay holds: for every stored id the same
/// status, cluster, story and best match, and the same counts of articles, clusters and stories.
fn assert_nodes_equal_replay(replayed: &Replayed, addrs: &[SocketAddr]) {
    let overview = replayed.engine.overview();
    for &addr in addrs {
        let stats = try_request(addr, "GET", "/v1/stats", &[], b"")
            .expect("stats")
            .json();
        assert_eq!(
            (
                stats["articles"].as_u64(),
                stats["clusters"].as_u64(),
                stats["stories"].as_u64()
            ),
            (
                Some(overview.articles),
                Some(overview.clusters),
                Some(overview.stories)
            ),
            "node {addr} holds other counts than the sequential replay"
        );
    }
    let mut ids: Vec<&String> = replayed.live.iter().collect();
    ids.sort();
    for id in ids {
        let want = replayed.engine.get(id).unwrap().expect("replayed article");
        for &addr in addrs {
            let got = try_request(addr, "GET", &format!("/v1/articles/{id}"), &[], b"")
                .unwrap_or_else(|e| panic!("GET {id} from {addr}: {e}"));
            assert_eq!(got.status, 200, "node {addr} lacks `{id}`");
            let got = got.json();
            assert_eq!(
                (
                    got["cluster"].as_u64(),
                    got["story"].as_u64(),
                    got["status"].as_str(),
                    got["duplicate_of"].as_str(),
                    got["title"].as_str(),
                ),
                (
                    Some(want.cluster),
                    Some(want.story),
                    Some(want.status.as_str()),
                    want.duplicate_of.as_deref(),
                    Some(want.article.title.as_ref()),
                ),
                "node {addr} differs from the sequential replay on `{id}`"
            );
        }
    }
}

/// Posts `body` to a random node until one answers other than 503 or a broken connection.
fn post_anywhere(addrs: &RwLock<Vec<SocketAddr>>, rng: &mut Rng, body: &[u8]) -> Reply {
    request_anywhere(addrs, rng, "POST", "/v1/articles", body)
}

/// Sends a request to a random node until one answers other than 503 or a broken connection.
fn request_anywhere(
    addrs: &RwLock<Vec<SocketAddr>>,
    rng: &mut Rng,
    method: &str,
    path: &str,
    body: &[u8],
) -> Reply {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let addr = {
            let addrs = addrs.read().unwrap();
            addrs[rng.below(addrs.len())]
        };
        match try_request(addr, method, path, &[], body) {
            Ok(r) if r.status == 503 => {
                assert!(
                    r.header("retry-after").is_some(),
                    "a 503 says when to retry"
                );
            }
            Ok(r) => return r,
            Err(_) => {}
        }
        assert!(
            Instant::now() < deadline,
            "no node took the write for 120 s"
        );
        std::thread::sleep(Duration::from_millis(10 + rng.below(40) as u64));
    }
}

/// 16 clients post near-duplicates and same-story articles of many stories to 3 nodes at random, plus
/// ids posted twice with different texts at once. Every 200 carries the verdict the sequential ingest
/// of the log gives; of two texts for one id the one first in the log is stored and the other gets 409;
/// and every node holds the same, equal to that ingest.
#[test]
fn three_nodes_answer_alike_and_equal_one_sequential_ingest() {
    let Some(redis) = Redis::start() else { return };
    let url = redis.url();
    let root = tempfile::tempdir().unwrap();
    let nodes: Vec<Server> = (0..3)
        .map(|i| node(&root.path().join(format!("node{i}")), &url, &[]))
        .collect();
    let addrs = Arc::new(RwLock::new(
        nodes.iter().map(|n| n.addr).collect::<Vec<_>>(),
    ));
    let all = articles("c");
    let clients = 16;
    let mut rng = Rng::seeded("convergence");
    // Each client posts its share in batches of 1 to 6; the copies of a headline go to the next client,
    // so that near-duplicates race each other through different nodes.
    let mut shares: Vec<Vec<Value>> = vec![Vec::new(); clients];
    for (n, a) in all.iter().enumerate() {
        let copy = a["id"]
            .as_str()
            .is_some_and(|id| id.ends_with("-copy") || id.ends_with("-near"));
        shares[(n + usize::from(copy)) % clients].push(a.clone());
    }
    // Eight ids posted by two clients with different texts.
    for k in 0..8 {
        let text = |n: usize, word: &str| format!("{} {word}", all[n]["title"].as_str().unwrap());
        shares[k].push(json!({"id": format!("conflict-{k}"), "title": text(k * 7, "first")}));
        shares[k + 8]
            .push(json!({"id": format!("conflict-{k}"), "title": text(k * 7 + 200, "second")}));
    }
    let (tx, rx) = mpsc::channel::<(u16, Value, Value)>();
    let threads: Vec<_> = shares
        .into_iter()
        .enumerate()
        .map(|(c, share)| {
            let (tx, addrs) = (tx.clone(), Arc::clone(&addrs));
            let mut rng = rng.fork(c as u64);
            std::thread::spawn(move || {
                let mut rest = &share[..];
                while !rest.is_empty() {
                    let n = (1 + rng.below(6)).min(rest.len());
                    let body = Value::from(rest[..n].to_vec());
                    let reply = post_anywhere(&addrs, &mut rng, body.to_string().as_bytes());
                    tx.send((reply.status, body, reply.json())).unwrap();
                    rest = &rest[n..];
                }
            })
        })
        .collect();
    drop(tx);
    for t in threads {
        t.join().expect("client");
    }
    let answers: Vec<(u16, Value, Value)> = rx.iter().collect();
    let node_addrs: Vec<SocketAddr> = addrs.read().unwrap().clone();
    wait_converged(&url, &node_addrs);
    let replayed = replay(&url);
    let mut stored_once = HashSet::new();
    let mut conflicts = HashMap::<String, Vec<u16>>::new();
    for (status, body, answer) in &answers {
        let ids: Vec<&str> = body
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        match status {
            200 => {
                for (id, verdict) in ids.iter().zip(answer.as_array().expect("verdicts")) {
                    assert_eq!(
                        Some(verdict),
                        replayed.verdicts.get(*id),
                        "the answer for `{id}` is not what the sequential ingest gives"
                    );
                    assert!(
                        stored_once.insert(id.to_string()),
                        "`{id}` answered 200 twice"
                    );
                }
            }
            409 => {
                let id = answer["id"].as_str().expect("the 409 names the id");
                assert!(
                    replayed.refused.iter().any(|(_, r)| r == id),
                    "`{id}` got 409 but the log stored its request"
                );
                // Among the request's conflicts listed, as a single node lists them.
                let listed = answer["conflicts"]
                    .as_array()
                    .expect("the conflicts listed");
                assert!(listed.iter().any(|c| c["id"] == id), "{answer}");
            }
            other => panic!("unexpected {other}: {answer}"),
        }
        for id in ids.iter().filter(|id| id.starts_with("conflict-")) {
            conflicts.entry(id.to_string()).or_default().push(*status);
        }
    }
    for (id, mut statuses) in conflicts {
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [200, 409],
            "`{id}`: one text stored, the other refused"
        );
    }
    assert_eq!(stored_once.len(), replayed.live.len());
    assert_nodes_equal_replay(&replayed, &node_addrs);
}

/// What clients were told: each article that got a 200, with its cluster and story.
type Acks = Arc<Mutex<Vec<(String, u64, u64)>>>;

/// Clients that post fresh articles in batches to random nodes until told to stop, retrying a batch on
/// another node after a broken connection or a 503.
struct Load {
    stop: Arc<AtomicBool>,
    acks: Acks,
    threads: Vec<std::thread::JoinHandle<()>>,
    sent: Arc<AtomicUsize>,
}

impl Load {
    fn start(
        clients: usize,
        addrs: &Arc<RwLock<Vec<SocketAddr>>>,
        rng: &mut Rng,
        tag: &str,
    ) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let acks: Acks = Arc::default();
        let sent = Arc::new(AtomicUsize::new(0));
        let pool = articles(tag);
        let threads = (0..clients)
            .map(|c| {
                let (stop, acks, sent, addrs) = (
                    Arc::clone(&stop),
                    Arc::clone(&acks),
                    Arc::clone(&sent),
                    Arc::clone(addrs),
                );
                let mut rng = rng.fork(c as u64);
                let pool = pool.clone();
                std::thread::spawn(move || {
                    let mut pass = 0;
                    while !stop.load(Ordering::Acquire) {
                        let n = 1 + rng.below(8);
                        let start = rng.below(pool.len() - n);
                        let batch: Vec<Value> = pool[start..start + n]
                            .iter()
                            .map(|a| {
                                let mut a = a.clone();
                                a["id"] =
                                    json!(format!("{}-{c}-{pass}", a["id"].as_str().unwrap()));
                                a
                            })
                            .collect();
                        pass += 1;
                        sent.fetch_add(n, Ordering::Relaxed);
                        let reply = post_anywhere(
                            &addrs,
                            &mut rng,
                            Value::from(batch).to_string().as_bytes(),
                        );
                        // Steady load rather than as fast as it goes, so that long runs stay small.
                        std::thread::sleep(Duration::from_millis(20 + rng.below(80) as u64));
                        assert_eq!(reply.status, 200, "{}", reply.text());
                        let mut acks = acks.lock().unwrap();
                        for v in reply.json().as_array().expect("verdicts") {
                            acks.push((
                                v["id"].as_str().unwrap().to_string(),
                                v["cluster"].as_u64().unwrap(),
                                v["story"].as_u64().unwrap(),
                            ));
                        }
                    }
                })
            })
            .collect();
        Load {
            stop,
            acks,
            threads,
            sent,
        }
    }

    fn acked(&self) -> usize {
        self.acks.lock().unwrap().len()
    }

    /// Waits until `more` articles more than now were acknowledged.
    fn wait_for(&self, more: usize) {
        let target = self.acked() + more;
        let deadline = Instant::now() + Duration::from_secs(120);
        while self.acked() < target {
            assert!(Instant::now() < deadline, "the clients stalled");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn finish(self) -> Vec<(String, u64, u64)> {
        self.stop.store(true, Ordering::Release);
        for t in self.threads {
            t.join().expect("client");
        }
        let acks = self.acks.lock().unwrap().clone();
        assert!(acks.len() <= self.sent.load(Ordering::Relaxed));
        acks
    }
}

/// Every acknowledged article is in the log and, unless removed since, on every node with the cluster
/// and story it was given; every node equals the sequential replay of the log (so nothing is stored
/// twice or lost). Returns how many acknowledged articles were removed since.
fn assert_acknowledged_everywhere(
    url: &str,
    addrs: &[SocketAddr],
    acks: &[(String, u64, u64)],
) -> usize {
    wait_converged(url, addrs);
    let replayed = replay(url);
    let mut removed = 0;
    for (id, cluster, story) in acks {
        assert!(
            replayed.verdicts.contains_key(id),
            "acknowledged `{id}` is not in the log"
        );
        let Some(want) = replayed.engine.get(id).unwrap() else {
            removed += 1;
            continue;
        };
        // Ids answered earlier resolve to what their clusters and stories merged into since.
        let answered = (
            replayed.engine.resolve(*cluster),
            replayed.engine.resolve_story(*story),
        );
        assert_eq!(
            (want.cluster, want.story),
            answered,
            "`{id}` was answered another cluster or story than the log gives it"
        );
    }
    assert_nodes_equal_replay(&replayed, addrs);
    removed
}

/// Three nodes on stores under `root` following the log at `url`: their stores, the nodes, and their
/// addresses as the clients read them (a restarted node's taking its place).
fn three_nodes(
    root: &Path,
    url: &str,
) -> (Vec<PathBuf>, Vec<Server>, Arc<RwLock<Vec<SocketAddr>>>) {
    let dbs: Vec<PathBuf> = (0..3).map(|i| root.join(format!("node{i}"))).collect();
    let nodes: Vec<Server> = dbs.iter().map(|db| node(db, url, &[])).collect();
    let addrs = Arc::new(RwLock::new(
        nodes.iter().map(|n| n.addr).collect::<Vec<_>>(),
    ));
    (dbs, nodes, addrs)
}

/// `rounds` times: once `load` has had some more articles acknowledged, SIGKILLs a random node at a
/// random moment (inside a commit or between two) and restarts it on its store.
fn kill_nodes(
    rounds: usize,
    nodes: &mut [Server],
    dbs: &[PathBuf],
    addrs: &RwLock<Vec<SocketAddr>>,
    load: &Load,
    rng: &mut Rng,
    url: &str,
) {
    for round in 0..rounds {
        load.wait_for(5 + rng.below(60));
        let victim = rng.below(nodes.len());
        std::thread::sleep(Duration::from_micros(rng.below(20_000) as u64));
        nodes[victim].child.kill().expect("SIGKILL the node");
        nodes[victim].child.wait().expect("reap the node");
        let restarted = node(&dbs[victim], url, &[]);
        addrs.write().unwrap()[victim] = restarted.addr;
        nodes[victim] = restarted;
        eprintln!(
            "round {round}: node {victim} killed and caught up; {} acknowledged",
            load.acked()
        );
    }
}

/// SIGKILL a random node at a random moment while 6 clients post (retrying on another node), restart it
/// on its store, and go on; at the end every article that got a 200 is on every node with the cluster
/// and story it was given, and every node equals the sequential replay of the log.
#[test]
fn killed_nodes_catch_up_and_lose_nothing_acknowledged() {
    let Some(redis) = Redis::start() else { return };
    let url = redis.url();
    let root = tempfile::tempdir().unwrap();
    let (dbs, mut nodes, addrs) = three_nodes(root.path(), &url);
    let mut rng = Rng::seeded("node kill");
    let load = Load::start(6, &addrs, &mut rng, "k");
    let rounds = rounds();
    let started = Instant::now();
    kill_nodes(rounds, &mut nodes, &dbs, &addrs, &load, &mut rng, &url);
    let acks = load.finish();
    eprintln!(
        "node kill: {rounds} rounds, {} articles acknowledged, {:.1} s",
        acks.len(),
        started.elapsed().as_secs_f64()
    );
    let addrs: Vec<SocketAddr> = nodes.iter().map(|n| n.addr).collect();
    assert_eq!(assert_acknowledged_everywhere(&url, &addrs, &acks), 0);
}

/// As [`killed_nodes_catch_up_and_lose_nothing_acknowledged`], with removals and prunes in the log
/// beside the articles: a client deletes acknowledged articles and prunes the oldest, a day of their
/// times more each time up to about their last day, through any node. A node killed and restarted
/// on its store still ends equal to the sequential replay, and every acknowledged article not removed
/// since keeps its cluster and story.
#[test]
fn killed_nodes_catch_up_with_removals_and_prunes_in_the_log() {
    let Some(redis) = Redis::start() else { return };
    let url = redis.url();
    let root = tempfile::tempdir().unwrap();
    let (dbs, mut nodes, addrs) = three_nodes(root.path(), &url);
    let mut rng = Rng::seeded("node kill with removals");
    let load = Load::start(6, &addrs, &mut rng, "r");
    // The timed articles are of 2014-03-10 to 2014-03-24: each prune takes one day more of them.
    let first_day = Timestamp::parse("2014-03-10T00:00:00Z")
        .unwrap()
        .unix_seconds();
    let days_back = (Timestamp::now().unix_seconds() - first_day) / 86_400;
    let removing = Arc::new(AtomicBool::new(true));
    let remover = {
        let (addrs, acks, removing) = (
            Arc::clone(&addrs),
            Arc::clone(&load.acks),
            Arc::clone(&removing),
        );
        let mut rng = rng.fork(99);
        std::thread::spawn(move || {
            let mut prunes = 0;
            let mut pruned = 0;
            while removing.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(30 + rng.below(120) as u64));
                let request = if rng.below(8) == 0 {
                    prunes = (prunes + 1).min(14);
                    (
                        "POST",
                        format!("/v1/prune?older_than={}d", days_back - prunes),
                    )
                } else {
                    let acks = acks.lock().unwrap();
                    if acks.is_empty() {
                        continue;
                    }
                    let id = acks[rng.below(acks.len())].0.clone();
                    ("DELETE", format!("/v1/articles/{id}"))
                };
                let (method, path) = request;
                let r = request_anywhere(&addrs, &mut rng, method, &path, b"");
                assert!(
                    r.status == 200 || r.status == 404,
                    "{method} {path}: {} {}",
                    r.status,
                    r.text()
                );
                if method == "POST" {
                    pruned += r.json()["pruned"].as_u64().expect("a count pruned");
                }
            }
            pruned
        })
    };
    let rounds = rounds();
    let started = Instant::now();
    kill_nodes(rounds, &mut nodes, &dbs, &addrs, &load, &mut rng, &url);
    removing.store(false, Ordering::Release);
    let pruned = remover.join().expect("remover");
    let acks = load.finish();
    let addrs: Vec<SocketAddr> = nodes.iter().map(|n| n.addr).collect();
    let removed = assert_acknowledged_everywhere(&url, &addrs, &acks);
    eprintln!(
        "node kill with removals: {rounds} rounds, {} articles acknowledged, {removed} removed since \
         ({pruned} pruned), {:.1} s",
        acks.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(pruned > 0, "the prunes took articles");
    assert!(removed > 0, "the log holds removals");
}

/// SIGKILL `redis-server` at a random moment while 6 clients post to 3 nodes, restart it on the same
/// files; the nodes reconnect by themselves, and at the end every article that got a 200 is on every
/// node with the cluster and story it was given, and every node equals the sequential replay.
#[test]
fn a_killed_redis_restarted_on_its_files_loses_nothing_acknowledged() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let url = redis.url();
    let root = tempfile::tempdir().unwrap();
    let (_, nodes, addrs) = three_nodes(root.path(), &url);
    let mut rng = Rng::seeded("redis kill");
    let load = Load::start(6, &addrs, &mut rng, "r");
    let rounds = rounds();
    let started = Instant::now();
    for round in 0..rounds {
        load.wait_for(5 + rng.below(60));
        std::thread::sleep(Duration::from_micros(rng.below(20_000) as u64));
        redis.kill();
        std::thread::sleep(Duration::from_millis(rng.below(300) as u64));
        redis.restart();
        eprintln!(
            "round {round}: redis killed and restarted; {} acknowledged",
            load.acked()
        );
    }
    // Writes go through again after the last restart.
    load.wait_for(20);
    let acks = load.finish();
    eprintln!(
        "redis kill: {rounds} rounds, {} articles acknowledged, {:.1} s",
        acks.len(),
        started.elapsed().as_secs_f64()
    );
    let addrs: Vec<SocketAddr> = nodes.iter().map(|n| n.addr).collect();
    for &addr in &addrs {
        let metrics = try_request(addr, "GET", "/metrics", &[], b"")
            .unwrap()
            .text();
        let reconnects = metrics
            .lines()
            .find_map(|l| l.strip_prefix("storyhash_log_reconnects_total "))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
        assert!(
            reconnects >= 1,
            "node {addr} counted no reconnect:\n{metrics}"
        );
    }
    assert_eq!(assert_acknowledged_everywhere(&url, &addrs, &acks), 0);
}

/// A node told to stop while Redis hangs (stopped, not gone: its commands neither fail nor answer)
/// stops in a moment rather than after its Redis commands' own timeouts (up to twice
/// `--request-timeout`, longer than a supervisor's grace period), with what it acknowledged kept and a
/// write under way answered.
#[test]
fn a_node_stops_promptly_while_redis_hangs() {
    let Some(redis) = Redis::start() else { return };
    let url = redis.url();
    let root = tempfile::tempdir().unwrap();
    let db = root.path().join("node");
    let mut server = node(&db, &url, &["--request-timeout", "60"]);
    let acked = server.post(
        "/v1/articles",
        &json!({"id": "before", "title": "Harbour reopens after the storm"}),
    );
    assert_eq!(acked.status, 200, "{}", acked.text());
    redis.signal(libc::SIGSTOP);
    // A write under way when the signal comes: it is answered, not left hanging.
    let addr = server.addr;
    let writer = std::thread::spawn(move || {
        try_request(
            addr,
            "POST",
            "/v1/articles",
            &[],
            br#"{"id":"during","title":"Posted while Redis hangs"}"#,
        )
    });
    std::thread::sleep(Duration::from_millis(300));
    let told = Instant::now();
    let (status, log) = server.terminate_with_log();
    let took = told.elapsed();
    redis.signal(libc::SIGCONT);
    assert!(status.success(), "{status:?}\n{log}");
    assert!(
        took < Duration::from_secs(10),
        "stopping took {took:?} with --request-timeout 60\n{log}"
    );
    let during = writer
        .join()
        .expect("the writer")
        .expect("the write is answered");
    assert_eq!(during.status, 503, "{}", during.text());
    assert!(
        during
            .text()
            .contains("the daemon is stopping and Redis has not answered the write"),
        "{}",
        during.text()
    );
    let engine = storyhash::Engine::open(&db, storyhash::EngineConfig::default()).unwrap();
    assert!(
        engine.get("before").unwrap().is_some(),
        "acknowledged `before` lost"
    );
}

/// A node started while its Redis takes connections but does not answer (stopped) gives up once
/// `--log-wait` has passed, not after two request timeouts, saying that Redis did not answer rather than
/// the system's "Resource temporarily unavailable".
#[test]
fn a_node_started_while_redis_hangs_waits_no_longer_than_log_wait() {
    let Some(redis) = Redis::start() else { return };
    let url = redis.url();
    let root = tempfile::tempdir().unwrap();
    redis.signal(libc::SIGSTOP);
    let started = Instant::now();
    let out = crate::cli::storyhash(&[
        "serve",
        "--db",
        root.path().join("node").to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--log",
        &url,
        "--log-wait",
        "3s",
    ]);
    let took = started.elapsed();
    redis.signal(libc::SIGCONT);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("no answer within") && said.contains("waited 3s for it (--log-wait)"),
        "{said}"
    );
    assert!(!said.contains("os error 11"), "{said}");
    // Two request timeouts (10 s each) before.
    assert!(
        took < Duration::from_secs(12),
        "gave up after {took:?}\n{said}"
    );
}

/// Redis stopped (SIGSTOP) for 5 s under load: writes answer 503 with Retry-After within the request
/// timeout rather than hang, reads answer from the nodes' own stores throughout, writes succeed again
/// once Redis continues, and nothing acknowledged is lost.
#[test]
fn while_redis_is_stopped_writes_get_503_and_reads_go_on() {
    let Some(redis) = Redis::start() else { return };
    let url = redis.url();
    let root = tempfile::tempdir().unwrap();
    let nodes: Vec<Server> = (0..2)
        .map(|i| {
            node(
                &root.path().join(format!("node{i}")),
                &url,
                &["--request-timeout", "1", "--log-level", "info"],
            )
        })
        .collect();
    let addrs: Vec<SocketAddr> = nodes.iter().map(|n| n.addr).collect();
    let first = try_request(
        addrs[0],
        "POST",
        "/v1/articles",
        &[],
        br#"{"id":"before","title":"ECB unlikely to end sterilisation of SMP purchases - traders"}"#,
    )
    .unwrap();
    assert_eq!(first.status, 200, "{}", first.text());
    wait_converged(&url, &addrs);
    let stopped = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    // Reads: every node answers a stored article and a trending list all along, promptly.
    let reader = {
        let (done, addrs) = (Arc::clone(&done), addrs.clone());
        std::thread::spawn(move || {
            let mut reads = 0u64;
            let mut slowest = Duration::ZERO;
            while !done.load(Ordering::Acquire) {
                for &addr in &addrs {
                    for path in ["/v1/articles/before", "/v1/clusters?since=7d"] {
                        let t = Instant::now();
                        let r = try_request(addr, "GET", path, &[], b"").expect("read");
                        assert_eq!(r.status, 200, "GET {path} from {addr}: {}", r.text());
                        slowest = slowest.max(t.elapsed());
                        reads += 1;
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            (reads, slowest)
        })
    };
    // Writes: one after another; record what each got and how long it took.
    let writer = {
        let (done, stopped, addrs) = (Arc::clone(&done), Arc::clone(&stopped), addrs.clone());
        std::thread::spawn(move || {
            let mut log = Vec::new();
            let mut n = 0;
            while !done.load(Ordering::Acquire) {
                let body = json!({"id": format!("w{n}"), "title": format!("Outage test headline number {n} about rates")});
                let t = Instant::now();
                let during = stopped.load(Ordering::Acquire);
                let r = try_request(
                    addrs[n % 2],
                    "POST",
                    "/v1/articles",
                    &[],
                    body.to_string().as_bytes(),
                )
                .expect("the node answers");
                log.push((
                    format!("w{n}"),
                    r.status,
                    r.header("retry-after").map(str::to_string),
                    t.elapsed(),
                    during,
                ));
                if r.status == 200 {
                    n += 1;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            log
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    stopped.store(true, Ordering::Release);
    redis.signal(libc::SIGSTOP);
    std::thread::sleep(Duration::from_secs(5));
    redis.signal(libc::SIGCONT);
    stopped.store(false, Ordering::Release);
    // Writes succeed again within a few seconds.
    eventually(Duration::from_millis(100), || {
        let r = try_request(
            addrs[1],
            "POST",
            "/v1/articles",
            &[],
            br#"{"id":"after","title":"Rates stay on hold after the outage"}"#,
        )
        .unwrap();
        ok_if(r.status == 200, || {
            format!("writes did not come back: {}", r.text())
        })
    });
    std::thread::sleep(Duration::from_millis(500));
    done.store(true, Ordering::Release);
    let writes = writer.join().expect("writer");
    let (reads, slowest) = reader.join().expect("reader");
    let refused: Vec<_> = writes.iter().filter(|w| w.1 == 503).collect();
    assert!(
        !refused.is_empty(),
        "no write was refused while Redis was stopped: {writes:?}"
    );
    for (id, status, retry, took, _) in &writes {
        assert!(matches!(status, 200 | 503), "{id}: {status}");
        if *status == 503 {
            assert!(retry.is_some(), "{id}: a 503 says when to retry");
        }
        assert!(
            *took < Duration::from_secs(3),
            "{id} took {took:?}: a write must not hang"
        );
    }
    assert!(
        writes.iter().any(|w| w.1 == 200 && !w.4),
        "writes succeeded around the outage"
    );
    assert!(
        reads > 50 && slowest < Duration::from_secs(2),
        "{reads} reads, slowest {slowest:?}"
    );
    let acks: Vec<(String, u64, u64)> = writes
        .iter()
        .filter(|w| w.1 == 200)
        .map(|w| w.0.clone())
        .chain(["before".to_string(), "after".to_string()])
        .map(|id| {
            let v = try_request(addrs[0], "GET", &format!("/v1/articles/{id}"), &[], b"").unwrap();
            assert_eq!(v.status, 200, "acknowledged `{id}` lost");
            let v = v.json();
            (
                id,
                v["cluster"].as_u64().unwrap(),
                v["story"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(assert_acknowledged_everywhere(&url, &addrs, &acks), 0);
    // Each node warns of the outage once for its reads and at most once for its writes, however many
    // it retried and refused, and says when it reads again.
    for mut node in nodes {
        let (_, log) = node.terminate_with_log();
        let warned = |said: &str| {
            log.lines()
                .filter(|l| l.contains("WARN") && l.contains(said))
                .count()
        };
        assert_eq!(warned("cannot read the shared log"), 1, "{log}");
        assert!(warned("cannot append to the shared log") <= 1, "{log}");
        assert!(log.contains("reading the shared log again"), "{log}");
    }
}

/// A new node joins by replaying the log from its start, or from a copy of a stopped node's store and
/// the log after it; both then hold what the others hold, removals and prunes included. A node whose
/// matching settings differ from the log's refuses to start and names the setting; so does one whose
/// store holds articles not from the log, and a new node once the log was trimmed.
#[test]
fn nodes_join_by_replay_or_from_a_copied_store_and_refuse_what_they_cannot_follow() {
    let Some(redis) = Redis::start() else { return };
    let url = redis.url();
    let root = tempfile::tempdir().unwrap();
    let db = |name: &str| root.path().join(name);
    let mut a = node(&db("a"), &url, &[]);
    let b = node(&db("b"), &url, &[]);
    let pool = articles("j");
    for (n, chunk) in pool[..300].chunks(25).enumerate() {
        let to = if n % 2 == 0 { &a } else { &b };
        let r = to.post("/v1/articles", &Value::from(chunk.to_vec()));
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let removed = pool[3]["id"].as_str().unwrap();
    let r = b.request("DELETE", &format!("/v1/articles/{removed}"), &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let r = a.request("DELETE", "/v1/articles/no-such-id", &[], b"");
    assert_eq!(r.status, 404, "{}", r.text());
    // Everything dated 2014 goes; undated articles arrived now and stay.
    let r = a.request("POST", "/v1/prune?older_than=365d", &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["pruned"].as_u64().unwrap() > 0, "{}", r.text());
    // A copy of a's store, taken while a is stopped; a comes back.
    let a_db = db("a");
    assert!(a.terminate_with_log().0.success());
    copy_dir(&a_db, &db("copy"));
    a = node(&a_db, &url, &[]);
    for chunk in pool[300..400].chunks(25) {
        assert_eq!(
            b.post("/v1/articles", &Value::from(chunk.to_vec())).status,
            200
        );
    }
    // Removals in a row, then articles: a node that reads them together (the fresh one replays the
    // whole log in large reads) rebuilds once before those articles, as one that rebuilt after each.
    for article in &pool[300..310] {
        let id = article["id"].as_str().unwrap();
        let r = b.request("DELETE", &format!("/v1/articles/{id}"), &[], b"");
        assert!(matches!(r.status, 200 | 404), "{}", r.text());
    }
    for chunk in pool[400..450].chunks(25) {
        assert_eq!(
            a.post("/v1/articles", &Value::from(chunk.to_vec())).status,
            200
        );
    }
    let copied = node(&db("copy"), &url, &[]);
    let fresh = node(&db("fresh"), &url, &[]);
    let addrs = [a.addr, b.addr, copied.addr, fresh.addr];
    wait_converged(&url, &addrs);
    let replayed = replay(&url);
    assert!(!replayed.live.contains(removed));
    assert_nodes_equal_replay(&replayed, &addrs);

    // Other matching settings: refused before listening, naming the setting (exit 2).
    let (status, out, err) = Server::refused(&db("other"), &["--log", &url, "--window", "7d"]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("leave --window out"), "{err}");
    // Stories are decided on every node too: their settings must agree.
    let (status, _, err) = Server::refused(&db("other3"), &["--log", &url, "--story-gap", "2d"]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("give --story-gap 1d"), "{err}");
    // So must the count that ends untimed articles' stories (off on this log).
    let (status, _, err) = Server::refused(
        &db("other4"),
        &["--log", &url, "--story-gap-articles", "200"],
    );
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(
        err.contains("story_gap_articles") && err.contains("leave --story-gap-articles out"),
        "{err}"
    );
    // Another threshold is named as such, not by the bands it would derive.
    let (status, _, err) = Server::refused(&db("other2"), &["--log", &url, "--threshold", "0.6"]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(
        err.contains("threshold = 0.5") && err.contains("give --threshold 0.5"),
        "{err}"
    );
    // The refused start leaves no store made with the refused settings for the next start to meet.
    assert!(!db("other2").exists());
    // A store that was written alone holds articles the log does not have.
    drop(
        Engine::open(db("alone"), EngineConfig::default()).and_then(|e| {
            e.ingest(&storyhash::Article::new(
                "x",
                "A headline written without the log",
            ))?;
            e.flush()
        }),
    );
    let (status, _, err) = Server::refused(&db("alone"), &["--log", &url]);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("not applied from this log"), "{err}");
    // Saying which store and which log.
    let named = format!(
        "{}: the store cannot follow the log `storyhash` at {url}: ",
        db("alone").display()
    );
    assert!(err.contains(&named), "{err}");
    // Refused on a new stream too, without its settings becoming that stream's.
    let (status, _, err) = Server::refused(&db("alone"), &["--log", &url, "--log-stream", "fresh"]);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("not applied from this log"), "{err}");
    assert_eq!(redis.command(&["EXISTS", "fresh:settings"]).unwrap(), ":0");
    // So is one written alone with other settings than the log's: refused as not of this log, not
    // for settings its user never gave.
    drop(
        Engine::open(
            db("alone-0.7"),
            EngineConfig {
                threshold: Some(0.7),
                ..EngineConfig::default()
            },
        )
        .and_then(|e| {
            e.ingest(&storyhash::Article::new("x", "A headline written at 0.7"))?;
            e.flush()
        }),
    );
    let (status, _, err) = Server::refused(&db("alone-0.7"), &["--log", &url]);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("not applied from this log"), "{err}");
    assert!(err.contains("POST /v1/articles"), "{err}");
    // A store of another log with other settings is refused as of another log, whether the flags leave
    // the settings to the log or give the store's.
    let elsewhere = node(
        &db("elsewhere"),
        &url,
        &["--log-stream", "elsewhere", "--shingle", "word1"],
    );
    assert_eq!(
        elsewhere
            .post(
                "/v1/articles",
                &json!({"id": "e-1", "title": "Markets rally as rates hold"})
            )
            .status,
        200
    );
    assert!(elsewhere.terminate().success());
    for flags in [&[][..], &["--shingle", "word1"][..]] {
        let mut args = vec!["--log", url.as_str()];
        args.extend_from_slice(flags);
        let (status, _, err) = Server::refused(&db("elsewhere"), &args);
        assert_eq!(status.code(), Some(1), "{flags:?}: {err}");
        assert!(
            err.contains("the store followed another log"),
            "{flags:?}: {err}"
        );
    }
    // Trimmed: a new node cannot rebuild the state by replaying, and is told to start from a copy.
    let head = RedisLog::new(&LogConfig::new(url.as_str()))
        .unwrap()
        .info()
        .unwrap()
        .last_generated;
    redis
        .command(&["XTRIM", "storyhash", "MINID", &head.to_string()])
        .unwrap();
    let (status, _, err) = Server::refused(&db("late"), &["--log", &url]);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("trimmed") && err.contains("copy"), "{err}");
    // A node whose store is at the head still follows the trimmed log.
    drop(copied);
    // A store that followed this log, pointed at a stream without settings (a typo, or a Redis that
    // lost its data), is told so rather than to start empty.
    let (status, _, err) = Server::refused(&db("copy"), &["--log", &url, "--log-stream", "typo"]);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("holds no settings under `typo:settings`"),
        "{err}"
    );
    assert_eq!(redis.command(&["EXISTS", "typo:settings"]).unwrap(), ":0");
    // So is a store that joined a log and stopped before anything was written to it: the stream it
    // joined, not the one mistyped at its restart, is its log.
    let quiet = node(&db("quiet"), &url, &["--log-stream", "quiet"]);
    assert!(quiet.terminate().success());
    let (status, _, err) =
        Server::refused(&db("quiet"), &["--log", &url, "--log-stream", "quiet-typo"]);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("holds no settings under `quiet-typo:settings`"),
        "{err}"
    );
    assert_eq!(
        redis.command(&["EXISTS", "quiet-typo:settings"]).unwrap(),
        ":0"
    );
    let quiet = node(&db("quiet"), &url, &["--log-stream", "quiet"]);
    assert!(quiet.terminate().success());
    // Bound to the log it joined, it still joins another that exists, as a new store does: a store
    // first started on a mistyped stream is not stuck with it.
    let right = node(&db("right"), &url, &["--log-stream", "right"]);
    assert_eq!(
        right
            .post(
                "/v1/articles",
                &json!({"id": "r-1", "title": "Ferry capsizes off Java"})
            )
            .status,
        200
    );
    assert!(right.terminate().success());
    let again = node(&db("quiet"), &url, &["--log-stream", "right"]);
    assert_eq!(again.get("/v1/articles/r-1").status, 200, "replayed");
    assert!(again.terminate().success());
    // A store that joined and applied nothing is refused, as a new store is, by a log trimmed since.
    let early = node(&db("early"), &url, &["--log-stream", "trimmed-later"]);
    assert!(early.terminate().success());
    let writer = node(&db("writer"), &url, &["--log-stream", "trimmed-later"]);
    assert_eq!(
        writer
            .post(
                "/v1/articles",
                &json!({"id": "t-1", "title": "Markets rally as rates hold"})
            )
            .status,
        200
    );
    assert!(writer.terminate().success());
    redis
        .command(&["XTRIM", "trimmed-later", "MAXLEN", "0"])
        .unwrap();
    let (status, _, err) = Server::refused(
        &db("early"),
        &["--log", &url, "--log-stream", "trimmed-later"],
    );
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("trimmed") && err.contains("copy"), "{err}");
    // A Redis without its append-only file would empty the log at its next restart.
    redis
        .command(&["CONFIG", "SET", "appendonly", "no"])
        .unwrap();
    let (status, _, err) = Server::refused(&db("volatile"), &["--log", &url]);
    redis
        .command(&["CONFIG", "SET", "appendonly", "yes"])
        .unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("runs with appendonly no"), "{err}");
    assert!(!db("volatile").exists());
    let again = node(&db("copy"), &url, &[]);
    assert_eq!(
        again
            .post(
                "/v1/articles",
                &json!({"id": "late-1", "title": "Markets rally as rates hold"})
            )
            .status,
        200
    );
}

/// A node (under `root`) on the log at `url` that took `first`, and the store of a second node that
/// applied them and stopped.
fn a_writer_and_a_stopped_node(root: &Path, url: &str, first: &[Value]) -> (Server, PathBuf) {
    let writer = node(&root.join("writer"), url, &[]);
    let stopped = root.join("late");
    assert_eq!(posted(&writer, &json!(first)).status, 200);
    let joined = node(&stopped, url, &[]);
    wait_converged(url, &[writer.addr, joined.addr]);
    assert!(joined.terminate().success());
    (writer, stopped)
}

/// A node that crashed once it applied a read holding a removal, with the store's writes on disk but not
/// yet the read's position (debug builds inject that crash with `STORYHASH_CRASH_BEFORE_POSITION`),
/// restarts without applying again what the removal changed: neither the articles before it (the one it
/// took out would be stored again under a new number) nor the removal before an article posted again
/// after it (the removal would take out the new copy, stored again once more). Either way every article
/// after it would be numbered, its cluster and story ids with it, otherwise than on the other nodes.
#[test]
fn a_node_that_crashed_after_a_removal_numbers_what_follows_as_the_others_do() {
    if !cfg!(debug_assertions) {
        eprintln!("note: the crash is injected in debug builds only");
        return;
    }
    let Some(redis) = Redis::start() else { return };
    let url = redis.url();
    let root = tempfile::tempdir().unwrap();
    let pool = articles("a");
    let (writer, late) = a_writer_and_a_stopped_node(root.path(), &url, &pool[..30]);
    // Each round the late node is stopped while the writer takes articles and a removal, then reads
    // them at once and crashes: first with the removal last, then with the removed article posted again
    // after it.
    for (round, chunk) in [&pool[30..60], &pool[60..90]].into_iter().enumerate() {
        assert_eq!(posted(&writer, &json!(chunk)).status, 200);
        let removed = &chunk[5];
        let id = removed["id"].as_str().unwrap();
        let r = writer.request("DELETE", &format!("/v1/articles/{id}"), &[], b"");
        assert_eq!(r.status, 200, "{}", r.text());
        if round == 1 {
            assert_eq!(posted(&writer, &json!([removed])).status, 200);
        }
        let crashed = std::process::Command::new(env!("CARGO_BIN_EXE_storyhash"))
            .arg("serve")
            .arg("--db")
            .arg(&late)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--log",
                &url,
                "--log-level",
                "warn",
            ])
            .env("STORYHASH_CRASH_BEFORE_POSITION", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run the node");
        {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(
                crashed.signal(),
                Some(libc::SIGABRT),
                "round {round}: {crashed:?}"
            );
        }
        let restarted = node(&late, &url, &[]);
        assert_eq!(
            posted(&writer, &json!(pool[90 + 10 * round..100 + 10 * round])).status,
            200
        );
        wait_converged(&url, &[writer.addr, restarted.addr]);
        assert_nodes_equal_replay(&replay(&url), &[writer.addr, restarted.addr]);
        assert!(restarted.terminate().success());
    }
}

/// A node behind the log, whose next entries another node's append trims between its check of the log
/// and its read (debug builds inject that trim with `STORYHASH_TRIM_BEFORE_READ`), stops before it
/// applies what it read after the gap, saying why, rather than numbering every later article otherwise
/// than the other nodes do.
#[test]
fn a_node_whose_next_entries_are_trimmed_as_it_reads_stops_before_the_gap() {
    if !cfg!(debug_assertions) {
        eprintln!("note: the trim is injected in debug builds only");
        return;
    }
    let Some(redis) = Redis::start() else { return };
    let url = redis.url();
    let root = tempfile::tempdir().unwrap();
    let pool = articles("t");
    let (writer, late) = a_writer_and_a_stopped_node(root.path(), &url, &pool[..10]);
    // Three entries the late node has not read; the first is trimmed as it reads.
    for chunk in pool[10..40].chunks(10) {
        assert_eq!(posted(&writer, &json!(chunk)).status, 200);
    }
    let mut late = Server::start_with_env(
        &late,
        &["--log", &url],
        &[("STORYHASH_TRIM_BEFORE_READ", "1")],
    );
    let said = eventually(Duration::from_millis(50), || {
        let ready = late.get("/readyz");
        ok_if(
            ready.status == 503 && ready.text().contains("trimmed"),
            || format!("{}: {}", ready.status, ready.text()),
        )
        .map(|()| ready.text())
    });
    assert!(
        said.contains("fell further behind than --log-retain keeps"),
        "{said}"
    );
    // Nothing after the gap was applied.
    for article in &pool[10..40] {
        let id = article["id"].as_str().unwrap();
        assert_eq!(late.get(&format!("/v1/articles/{id}")).status, 404, "{id}");
    }
    // A halted node takes no write until an operator acts: its 503s say no time to retry at, which
    // would have a client retry here for ever.
    let write = late.post("/v1/articles", &json!(pool[40]));
    assert_eq!(write.status, 503, "{}", write.text());
    assert!(
        write.text().contains("stopped applying the shared log"),
        "{}",
        write.text()
    );
    assert_eq!(write.header("retry-after"), None);
    assert_eq!(late.get("/readyz").header("retry-after"), None);
    let (_, log) = late.terminate_with_log();
    assert!(log.contains("trimmed"), "{log}");
}

/// A log begun again while a node was stopped (its stream deleted, another node starting a new one on
/// the settings left, as after a lost log) is not the one the node's store followed, though it bears the
/// same id and runs on past the node's position: the node is refused at start, naming the entry the log
/// does not hold, rather than replaying the new log's writes on top of its own. An empty store joins it.
#[test]
fn a_node_is_refused_on_a_log_begun_again_while_it_was_stopped() {
    let Some(redis) = Redis::start() else {
        return;
    };
    let url = redis.url();
    let root = tempfile::tempdir().unwrap();
    let old_db = root.path().join("old");
    let old = node(&old_db, &url, &[]);
    for i in 0..3 {
        let title = format!("Markets rally as rates hold, day {i}");
        posted(&old, &json!({"id": format!("old-{i}"), "title": title}));
    }
    drop(old);
    redis.command(&["DEL", "storyhash"]).expect("DEL");
    let new = node(&root.path().join("new"), &url, &[]);
    for i in 0..6 {
        let title = format!("Volcano erupts near Reykjavik, hour {i}");
        posted(&new, &json!({"id": format!("new-{i}"), "title": title}));
    }
    let (status, _, said) = Server::refused(&old_db, &["--log", &url]);
    assert_eq!(status.code(), Some(1), "{said}");
    assert!(
        said.contains("the stream was deleted and begun again"),
        "{said}"
    );
    let joined = node(&root.path().join("joined"), &url, &[]);
    eventually(Duration::from_millis(50), || {
        let r = joined.get("/v1/articles/new-5");
        ok_if(r.status == 200, || r.text())
    });
    assert_eq!(joined.get("/v1/articles/old-0").status, 404);
}

/// Redis restarted without its files hands out an empty log under the old name: a node that applied the
/// lost entries stops taking writes and says why, and refuses to start on its store afterwards.
#[test]
fn a_node_stops_when_the_log_loses_what_it_applied() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let url = redis.url();
    let root = tempfile::tempdir().unwrap();
    let db = root.path().join("n");
    let n = node(&db, &url, &["--request-timeout", "2"]);
    let r = n.post(
        "/v1/articles",
        &json!({"id": "a", "title": "Markets rally as rates hold"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    redis.kill();
    redis.restart_empty();
    eventually(Duration::from_millis(50), || {
        let ready = n.get("/readyz");
        if ready.status == 503 {
            let said = ready.text();
            assert!(said.contains("recorded settings are gone"), "{said}");
            assert!(
                said.contains("Once Redis holds this log again, restart the node"),
                "{said}"
            );
        }
        ok_if(ready.status == 503, || {
            format!("the node did not notice: {}", ready.text())
        })
    });
    let r = n.post(
        "/v1/articles",
        &json!({"id": "b", "title": "Volcano erupts near Reykjavik"}),
    );
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(n.get("/v1/articles/a").status, 200, "reads go on");
    drop(n);
    let (status, _, err) = Server::refused(&db, &["--log", &url]);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("another log"), "{err}");
}

/// A log lost while the nodes stay connected to Redis (its key deleted, Redis flushed) stops them at once:
/// the first write after the loss is not acknowledged on a new log that lacks everything before it, and
/// no node goes on as if nothing had happened.
/// Entries without recorded settings are what is left of a lost log (writes that were in flight when
/// Redis restarted without its data): a node does not begin a new log on them, which would replay them
/// into every new store, and says how to clear them.
#[test]
fn a_new_log_is_not_begun_on_entries_left_from_a_lost_one() {
    let Some(redis) = Redis::start() else {
        return;
    };
    let url = redis.url();
    let root = tempfile::tempdir().unwrap();
    let left = redis
        .command(&["XADD", "storyhash", "*", "kind", "articles"])
        .expect("XADD");
    assert!(!left.starts_with('-'), "{left}");
    let db = root.path().join("n");
    let (status, _, said) = Server::refused(&db, &["--log", &url]);
    assert_eq!(status.code(), Some(1), "{said}");
    assert!(
        said.contains("the stream holds 1 entry but Redis holds no settings"),
        "{said}"
    );
    assert!(said.contains("DEL storyhash"), "{said}");
    redis.command(&["DEL", "storyhash"]).expect("DEL");
    let n = node(&db, &url, &[]);
    posted(
        &n,
        &json!({"id": "a", "title": "Markets rally as rates hold"}),
    );
}

#[test]
fn a_log_lost_while_nodes_stay_connected_stops_them() {
    for (loss, command) in [
        ("deleted", &["DEL", "storyhash"][..]),
        ("flushed", &["FLUSHALL"][..]),
    ] {
        let Some(redis) = Redis::start() else {
            return;
        };
        let url = redis.url();
        let root = tempfile::tempdir().unwrap();
        let nodes = [
            node(&root.path().join("n1"), &url, &["--request-timeout", "2"]),
            node(&root.path().join("n2"), &url, &["--request-timeout", "2"]),
        ];
        for (i, n) in nodes.iter().enumerate() {
            let title = format!("Markets rally as rates hold, day {i}");
            posted(n, &json!({"id": format!("before-{i}"), "title": title}));
        }
        redis.command(command).expect("the command");
        let r = nodes[0].post(
            "/v1/articles",
            &json!({"id": "after", "title": "Volcano erupts near Reykjavik"}),
        );
        assert_eq!(r.status, 503, "the log {loss}: {}", r.text());
        for n in &nodes {
            eventually(Duration::from_millis(50), || {
                let ready = n.get("/readyz");
                ok_if(
                    ready.status == 503 && ready.text().contains("the log lost entries"),
                    || format!("the log {loss}: {}", ready.text()),
                )
            });
            assert_eq!(n.get("/v1/articles/before-0").status, 200, "reads go on");
        }
    }
}

/// A connection Redis closed while the node had nothing to write (its `timeout` setting, a restart, a
/// proxy's idle limit) is made again before the next write goes on it: that write is taken, not answered
/// 503. The waits are the quiet spell itself: past a second without an answer, the node checks its
/// connection before writing on it.
#[test]
fn a_write_after_redis_dropped_a_quiet_connection_is_taken() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let url = redis.url();
    let root = tempfile::tempdir().unwrap();
    let n = node(&root.path().join("n"), &url, &[]);
    posted(
        &n,
        &json!({"id": "before", "title": "Markets rally as rates hold"}),
    );
    let quiet = Duration::from_millis(1300);
    // Redis closes every client's connection, as its `timeout` closes idle ones.
    redis
        .command(&["CLIENT", "KILL", "TYPE", "normal"])
        .expect("CLIENT KILL");
    std::thread::sleep(quiet);
    let r = n.post(
        "/v1/articles",
        &json!({"id": "after-kill", "title": "Volcano erupts near Reykjavik"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // Redis restarted on its files while the node was quiet.
    redis.kill();
    redis.restart();
    std::thread::sleep(quiet);
    let r = n.post(
        "/v1/articles",
        &json!({"id": "after-restart", "title": "Parliament passes the budget after a long night"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    for id in ["before", "after-kill", "after-restart"] {
        assert_eq!(n.get(&format!("/v1/articles/{id}")).status, 200, "{id}");
    }
}

/// A Redis that answers but will not take the node's appends (a user without the right to XADD, a
/// read-only replica) is refused at start, naming what it said, rather than served with every write
/// answered 503.
#[test]
fn a_node_refuses_a_redis_that_will_not_take_its_writes() {
    let Some(redis) = Redis::start() else {
        return;
    };
    redis
        .command(&[
            "ACL",
            "SETUSER",
            "reader",
            "on",
            ">pw",
            "~*",
            "+@read",
            "+@connection",
        ])
        .expect("ACL SETUSER");
    let root = tempfile::tempdir().unwrap();
    let db = root.path().join("n");
    let url = format!("redis://reader:pw@127.0.0.1:{}", redis.port);
    let (status, _, err) = Server::refused(&db, &["--log", &url, "--log-wait", "30s"]);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("refused XADD"), "{err}");
    assert!(err.contains("NOPERM") || err.contains("NoPerm"), "{err}");
    assert!(!err.contains("--log-wait"), "not waited for: {err}");
    assert!(!db.exists(), "a refused start leaves no store");
    // The same Redis with a user that may append serves, and its log says the store is open before it
    // says the node is ready.
    let mut n = node(&db, &redis.url(), &["--log-level", "info"]);
    assert_eq!(n.get("/readyz").status, 200);
    let (_, log) = n.terminate_with_log();
    let open = log.find("store open").expect("the store's opening logged");
    let ready = log
        .find("caught up with the shared log; ready")
        .expect("ready logged");
    assert!(open < ready, "{log}");
}

/// A node started while Redis is at its memory limit joins the log and serves reads, its writes answered
/// 503 with Redis's answer until Redis has room, rather than refusing to start.
#[test]
fn a_node_starts_while_redis_is_full_and_writes_once_it_has_room() {
    let Some(redis) = Redis::start() else { return };
    let root = tempfile::tempdir().unwrap();
    let url = redis.url();
    let first = node(&root.path().join("a"), &url, &[]);
    let body = json!({"id": "m1", "title": "Volcano erupts near Reykjavik airport"});
    assert_eq!(posted(&first, &body).status, 200);
    assert!(first.terminate().success());
    redis
        .command(&["CONFIG", "SET", "maxmemory", "1"])
        .expect("CONFIG SET");
    let mut n = node(&root.path().join("b"), &url, &[]);
    assert_eq!(n.get("/v1/articles/m1").status, 200);
    let body = json!({"id": "m2", "title": "Markets rally as rates hold"});
    let r = n.post("/v1/articles", &body);
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.text().contains("OOM"), "{}", r.text());
    let ready = n.get("/readyz");
    assert_eq!(ready.status, 200, "reads go on: {}", ready.text());
    redis
        .command(&["CONFIG", "SET", "maxmemory", "0"])
        .expect("CONFIG SET");
    assert_eq!(posted(&n, &body).status, 200);
    let (_, log) = n.terminate_with_log();
    assert!(log.contains("at its memory limit"), "{log}");
}

/// A Redis that may evict any key at its memory limit is warned of at start: evicting the stream loses
/// the log. One that evicts nothing is not.
#[test]
fn a_redis_that_may_evict_the_log_is_warned_of() {
    for (policy, warned) in [("allkeys-lru", true), ("noeviction", false)] {
        let Some(redis) =
            Redis::start_with(&["--maxmemory", "100mb", "--maxmemory-policy", policy])
        else {
            return;
        };
        let root = tempfile::tempdir().unwrap();
        let mut n = node(&root.path().join("n"), &redis.url(), &[]);
        let (_, log) = n.terminate_with_log();
        assert_eq!(
            log.contains("maxmemory-policy noeviction"),
            warned,
            "{policy}: {log}"
        );
    }
}

/// `--log` at an address where something other than Redis answers (a web server) is refused at once,
/// in one line saying so, not waited for as if Redis were starting.
#[test]
fn a_log_address_that_is_not_redis_is_refused_at_once() {
    if crate::redis_server::redis_server().is_none() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let web = Server::ready(&root.path().join("web"), &[]);
    let db = root.path().join("n");
    let url = format!("redis://{}", web.addr);
    let started = std::time::Instant::now();
    let (status, _, err) = Server::refused(&db, &["--log", &url, "--log-wait", "30s"]);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "waited {:?}",
        started.elapsed()
    );
    assert!(err.contains("does not speak Redis's protocol"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
}

/// A node started with its Redis waits for it: before Redis listens, and while it loads its
/// append-only file (answering LOADING), the node retries, then replays the log and serves.
#[test]
fn a_node_waits_for_a_redis_that_is_starting_or_loading() {
    // Each key the restarted Redis loads takes 50 ms (the log, its settings and 60 more keys of 2 KB),
    // and it answers what came in after every 1 KB it loads: LOADING.
    let Some(mut redis) = Redis::start_with(&[
        "--key-load-delay",
        "50000",
        "--loading-process-events-interval-bytes",
        "1024",
    ]) else {
        return;
    };
    let url = redis.url();
    let root = tempfile::tempdir().unwrap();
    let first = node(&root.path().join("first"), &url, &[]);
    let r = first.post(
        "/v1/articles",
        &json!({"id": "w1", "title": "Volcano erupts near Reykjavik, flights grounded"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    drop(first);
    let value = "x".repeat(2000);
    for i in 0..60 {
        let key = format!("filler:{i}");
        assert_eq!(redis.command(&["SET", &key, &value]).unwrap(), "+OK");
    }
    // The keys go into the append-only file's base, which a restart loads key by key.
    redis.command(&["BGREWRITEAOF"]).unwrap();
    eventually(Duration::from_millis(20), || {
        let info = redis.command(&["INFO", "persistence"]).unwrap();
        ok_if(
            info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0"),
            || info.clone(),
        )
    });
    redis.kill();

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log-level",
            "debug",
            "--db",
        ])
        .arg(root.path().join("second"))
        .args(["--log", &url])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn storyhash serve");
    let (lines_out, lines) = mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines_out.send(line);
        }
    });
    let mut log = String::new();
    let mut wait_for = |what: &str| loop {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the node never logged {what:?}; its log:\n{log}"));
        log.push_str(&line);
        log.push('\n');
        if line.contains(what) {
            return line;
        }
    };
    let waiting = wait_for("waiting for Redis to answer");
    assert!(waiting.contains("--log-wait"), "{waiting}");
    redis.restart_loading();
    let loading = wait_for("Redis is loading the dataset");
    assert!(loading.contains("Redis does not answer yet"), "{loading}");
    wait_for("Redis answers");
    let mut address = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut address)
        .unwrap();
    let addr: SocketAddr = address
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {address:?}"))
        .parse()
        .unwrap();
    let reply = eventually(Duration::from_millis(20), || {
        let r = try_request(addr, "GET", "/v1/articles/w1", &[], b"").map_err(|e| e.to_string())?;
        ok_if(r.status == 200, || r.text())?;
        Ok(r)
    });
    assert_eq!(reply.json()["status"], "new", "{}", reply.text());
    let _ = child.kill();
    let _ = child.wait();
}

/// A node gives up on a Redis that does not answer within `--log-wait`, saying so, and leaves no store.
#[test]
fn a_node_gives_up_on_redis_after_log_wait() {
    let root = tempfile::tempdir().unwrap();
    let db = root.path().join("n");
    let url = format!("redis://127.0.0.1:{}", crate::redis_server::free_port());
    for (wait, said) in [("1s", "; waited 1s for it (--log-wait)"), ("0", "")] {
        let (status, out, err) = Server::refused(&db, &["--log", &url, "--log-wait", wait]);
        assert_eq!(status.code(), Some(1), "{err}");
        assert!(out.is_empty(), "{out}");
        let expected = format!("cannot reach Redis at {url}: ");
        assert!(err.contains(&expected), "{err}");
        assert_eq!(err.contains("--log-wait"), !said.is_empty(), "{err}");
        if !said.is_empty() {
            assert!(err.trim_end().ends_with(said), "{err}");
        }
        assert!(!db.exists(), "a refused start leaves no store");
    }
}

/// While a node waits for Redis (`--log-wait`) it answers every request but `/healthz` 503 with
/// `Retry-After`: a probe is told at once that it is starting rather than left waiting on a port that
/// takes no request, and a liveness probe does not restart it for waiting.
#[test]
fn a_node_waiting_for_redis_answers_503_until_it_listens() {
    let root = tempfile::tempdir().unwrap();
    let port = crate::redis_server::free_port();
    let url = format!("redis://127.0.0.1:{}", crate::redis_server::free_port());
    let listen = format!("127.0.0.1:{port}");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(["serve", "--db"])
        .arg(root.path().join("n"))
        .args(["--listen", &listen, "--log", &url, "--log-wait", "60s"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run storyhash serve");
    // The address is taken before the wait, which the log says has begun.
    let mut said = std::io::BufReader::new(child.stderr.take().expect("piped stderr"));
    let mut line = String::new();
    while !line.contains("waiting for Redis to answer") {
        line.clear();
        let read = said.read_line(&mut line).expect("read the log");
        assert!(read > 0, "the node stopped before waiting for Redis");
    }
    let addr: SocketAddr = listen.parse().unwrap();
    let answers: Vec<_> = ["/healthz", "/readyz", "/v1/stats"]
        .iter()
        .map(|path| try_request(addr, "GET", path, &[], b""))
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    let mut printed = String::new();
    let _ = std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut printed);
    for (path, answer) in ["/healthz", "/readyz", "/v1/stats"].iter().zip(answers) {
        let answer = answer.expect("an answer while waiting for Redis");
        let starting = *path == "/healthz";
        assert_eq!(
            (answer.status, answer.header("retry-after")),
            if starting {
                (200, None)
            } else {
                (503, Some("1"))
            },
            "{path}: {}",
            answer.text()
        );
        assert!(
            answer.text().contains("starting") && answer.text().contains("shared log"),
            "{}",
            answer.text()
        );
        assert_eq!(
            answer.json()["status"] == "starting",
            starting,
            "{}",
            answer.text()
        );
    }
    assert!(!printed.contains("listening on"), "{printed}");
}

/// A node's store served alone rejoins the log if it was only read, and is refused, saying why, once it
/// was written outside the log: it holds writes the other nodes never saw.
#[test]
fn a_store_written_outside_the_log_is_refused_by_it() {
    let Some(redis) = Redis::start() else { return };
    let url = redis.url();
    let root = tempfile::tempdir().unwrap();
    let db = root.path().join("n");
    let n = node(&db, &url, &[]);
    let r = posted(
        &n,
        &json!({"id": "a", "title": "Markets rally as rates hold"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(n.terminate().success());
    // The commands that would write it alone refuse, saying how to write through the log; the node
    // then starts again as before.
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let db_arg = db.to_str().unwrap();
    for (args, through) in [
        (
            vec!["prune", "--db", db_arg, "--older-than", "1d"],
            "POST /v1/prune",
        ),
        (vec!["ingest", "--db", db_arg], "POST /v1/articles"),
        (
            vec!["dedupe", "-q", sample.to_str().unwrap(), "--db", db_arg],
            "POST /v1/articles",
        ),
    ] {
        let out = crate::cli::storyhash_stdin(&args, b"{\"id\":\"x\",\"title\":\"A headline\"}\n");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let said = crate::cli::stderr(&out);
        assert!(
            said.contains("follows a shared log") && said.contains(through),
            "{said}"
        );
    }
    let n = node(&db, &url, &[]);
    assert_eq!(n.get("/v1/articles/x").status, 404);
    assert!(n.terminate().success());
    // Read alone, it is still the log's; the start warns that a write would leave the log.
    let mut alone = Server::ready(&db, &[]);
    assert_eq!(alone.get("/v1/articles/a").status, 200);
    let (status, log) = alone.terminate_with_log();
    assert!(status.success());
    assert!(
        log.contains("followed a shared log and is served without --log"),
        "{log}"
    );
    let n = node(&db, &url, &[]);
    let r = posted(
        &n,
        &json!({"id": "b", "title": "Volcano erupts near Reykjavik"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(n.terminate().success());
    // Written alone, it is not.
    let alone = Server::ready(&db, &[]);
    let r = alone.post(
        "/v1/articles",
        &json!({"id": "solo", "title": "Storm hits the coast"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(alone.terminate().success());
    let (status, _, err) = Server::refused(&db, &["--log", &url]);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("written outside the log"), "{err}");
}

/// A node that falls further behind than the log keeps (stopped while the log is trimmed past it) stops
/// at the gap, saying so, instead of reading on after it; the node that kept up goes on.
#[test]
fn a_node_that_fell_behind_the_log_s_trimming_stops_at_the_gap() {
    let Some(redis) = Redis::start() else { return };
    let url = redis.url();
    let root = tempfile::tempdir().unwrap();
    let a = node(&root.path().join("a"), &url, &[]);
    let b = node(&root.path().join("b"), &url, &[]);
    let pool = articles("t");
    for chunk in pool[..40].chunks(10) {
        assert_eq!(posted(&a, &Value::from(chunk.to_vec())).status, 200);
    }
    eventually(Duration::from_millis(20), || {
        let stats = b.get("/v1/stats").json();
        ok_if(stats["articles"] == 40, || format!("b holds {stats}"))
    });
    // SAFETY: signals to a child process of this test.
    unsafe { libc::kill(b.child.id() as i32, libc::SIGSTOP) };
    for chunk in pool[40..140].chunks(10) {
        assert_eq!(posted(&a, &Value::from(chunk.to_vec())).status, 200);
    }
    // Retention trims the oldest entries: all but the newest two of the log's fourteen.
    let trimmed = redis
        .command(&["XTRIM", "storyhash", "MAXLEN", "2"])
        .unwrap();
    assert_eq!(trimmed, ":12", "XTRIM answered {trimmed}");
    unsafe { libc::kill(b.child.id() as i32, libc::SIGCONT) };
    eventually(Duration::from_millis(20), || {
        let ready = b.get("/readyz");
        ok_if(
            ready.status == 503 && ready.text().contains("were trimmed"),
            || format!("b did not stop at the gap: {}", ready.text()),
        )
    });
    // A read b had asked for before it stopped may have brought it the entries right after its own;
    // nothing of the two entries past the gap.
    let held = b.get("/v1/stats").json()["articles"].as_u64().unwrap();
    assert!((40..120).contains(&held), "b holds {held} articles");
    let newest = pool[139]["id"].as_str().unwrap();
    assert_eq!(b.get(&format!("/v1/articles/{newest}")).status, 404);
    assert_eq!(a.get("/readyz").status, 200, "{}", a.get("/readyz").text());
    // Its lag stands still, so the metric an alert watches says it stopped; the other node's does not.
    assert!(b
        .get("/metrics")
        .text()
        .contains("storyhash_log_halted 1\n"));
    assert!(a
        .get("/metrics")
        .text()
        .contains("storyhash_log_halted 0\n"));
    let r = a.post(
        "/v1/articles",
        &json!({"id": "late", "title": "Volcano erupts near Reykjavik"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

/// An entry no node can read is skipped, alike on every node, and the writes after it are applied; one
/// written by a newer version stops the node there, saying so, rather than be skipped: reads go on.
#[test]
fn an_unreadable_entry_is_skipped_and_a_newer_one_stops_the_node() {
    let Some(redis) = Redis::start() else {
        return;
    };
    let url = redis.url();
    let root = tempfile::tempdir().unwrap();
    let n = node(&root.path().join("n"), &url, &["--request-timeout", "2"]);
    let post = |id: &str, title: &str| n.post("/v1/articles", &json!({"id": id, "title": title}));
    let r = post("a", "Markets rally as rates hold");
    assert_eq!(r.status, 200, "{}", r.text());
    let unreadable = [
        "XADD",
        "storyhash",
        "*",
        "v",
        "1",
        "kind",
        "articles",
        "key",
        "bad",
        "at",
        "1",
        "articles",
        "not json",
    ];
    redis.command(&unreadable).unwrap();
    let r = post("b", "Volcano erupts near Reykjavik as flights are halted");
    assert_eq!(
        r.status,
        200,
        "the entry after the unreadable one: {}",
        r.text()
    );
    let newer = [
        "XADD",
        "storyhash",
        "*",
        "v",
        "2",
        "kind",
        "articles",
        "key",
        "new",
        "at",
        "1",
        "articles",
        "[]",
    ];
    redis.command(&newer).unwrap();
    eventually(Duration::from_millis(50), || {
        let ready = n.get("/readyz");
        ok_if(
            ready.status == 503 && ready.text().contains("entry format 2"),
            || format!("the node did not stop at the newer entry: {}", ready.text()),
        )
    });
    let r = post("c", "Election results delayed in three counties");
    assert_eq!(r.status, 503, "{}", r.text());
    for id in ["a", "b"] {
        assert_eq!(
            n.get(&format!("/v1/articles/{id}")).status,
            200,
            "reads go on"
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A node reads the log over a connection of its own with the URL's password and database, as it writes
/// it.
#[test]
fn a_node_reads_the_log_with_the_url_s_password_and_database() {
    let Some(redis) = Redis::start_with(&["--requirepass", "s3cret"]) else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let url = format!("redis://:s3cret@127.0.0.1:{}/2", redis.port);
    let n = node(&root.path().join("n"), &url, &[]);
    // A write is answered once the node's own read of the log has applied it.
    let body = json!([
        {"id": "p1", "title": "ECB unlikely to end sterilisation of SMP purchases - traders"},
        {"id": "p2", "title": "ECB unlikely to end sterilization of SMP purchases: traders"}
    ]);
    let r = posted(&n, &body);
    assert_eq!(r.json()[1]["status"], "near_duplicate", "{}", r.text());
    // The log is in database 2, and nothing reached it without the password.
    assert!(redis.command(&["PING"]).unwrap().starts_with("-NOAUTH"));
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", redis.port)).unwrap();
    stream
        .write_all(b"AUTH s3cret\r\nSELECT 2\r\nXLEN storyhash\r\n")
        .unwrap();
    let mut answers = String::new();
    let mut reader = std::io::BufReader::new(stream);
    for _ in 0..3 {
        reader.read_line(&mut answers).unwrap();
    }
    assert_eq!(answers, "+OK\r\n+OK\r\n:1\r\n");
}

/// A Redis that answers but refuses the node (a wrong password, a database it does not have) is not
/// waited for as one that does not answer yet: the node stops at once, saying what Redis said and
/// keeping the password out of it.
#[test]
fn a_node_refused_by_redis_does_not_wait_for_it() {
    let Some(redis) = Redis::start_with(&["--requirepass", "s3cret"]) else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let db = root.path().join("n");
    for (url, said) in [
        (
            format!("redis://:wrong@127.0.0.1:{}", redis.port),
            "Password authentication failed",
        ),
        (
            format!("redis://:s3cret@127.0.0.1:{}/99", redis.port),
            "refused to switch database",
        ),
    ] {
        let (status, out, err) = Server::refused(&db, &["--log", &url, "--log-wait", "30s"]);
        assert_eq!(status.code(), Some(1), "{err}");
        assert!(out.is_empty(), "{out}");
        assert!(err.contains("refused the connection"), "{err}");
        assert!(err.contains(said), "{err}");
        assert!(!err.contains("--log-wait"), "not waited for: {err}");
        assert!(!err.contains("s3cret") && !err.contains("wrong"), "{err}");
        assert!(!db.exists(), "a refused start leaves no store");
    }
}

/// With `--log-replicas 1` a write is answered once a Redis replica holds it; with the replica stopped
/// it is answered 503 within the request timeout, saying that the write is in the log, and a retry once
/// the replica is back gets its verdict.
#[test]
fn log_replicas_wait_for_a_redis_replica() {
    let Some(primary) = Redis::start_with(&["--repl-diskless-sync-delay", "0"]) else {
        return;
    };
    let replica = Redis::start_with(&["--replicaof", "127.0.0.1", &primary.port.to_string()])
        .expect("replica");
    eventually(Duration::from_millis(50), || {
        let info = primary.command(&["INFO", "replication"]);
        ok_if(
            info.unwrap_or_default().contains("connected_slaves:1"),
            || "the replica did not connect".to_string(),
        )
    });
    let root = tempfile::tempdir().unwrap();
    let url = primary.url();
    let n = node(
        &root.path().join("n"),
        &url,
        &["--log-replicas", "1", "--request-timeout", "2"],
    );
    let body = json!({"id": "r1", "title": "ECB unlikely to end sterilisation of SMP purchases - traders"});
    eventually(Duration::from_millis(100), || {
        let r = n.post("/v1/articles", &body);
        ok_if(r.status == 200, || r.text())
    });
    replica.signal(libc::SIGSTOP);
    let t = Instant::now();
    let body = json!({"id": "r2", "title": "Volcano erupts near Reykjavik airport"});
    let r = n.post("/v1/articles", &body);
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.text().contains("replicas"), "{}", r.text());
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    replica.signal(libc::SIGCONT);
    let r = posted(&n, &body);
    assert_eq!(r.json()["status"], "new");
}

/// A Redis that takes the appends but refuses the WAIT for its replicas (a user without the right to
/// it) answers each write 503 saying that the write is in the log, which it is: the node applies it.
#[test]
fn a_write_whose_wait_redis_refuses_is_answered_as_in_the_log() {
    let Some(redis) = Redis::start() else { return };
    redis
        .command(&[
            "ACL", "SETUSER", "nowait", "on", ">pw", "~*", "&*", "+@all", "-wait",
        ])
        .expect("ACL SETUSER");
    let root = tempfile::tempdir().unwrap();
    let url = format!("redis://nowait:pw@127.0.0.1:{}", redis.port);
    let n = node(&root.path().join("n"), &url, &["--log-replicas", "1"]);
    let body = json!({"id": "w1", "title": "Volcano erupts near Reykjavik airport"});
    let r = n.post("/v1/articles", &body);
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.text().contains("is in the shared log"), "{}", r.text());
    assert!(r.text().contains("WAIT answered"), "{}", r.text());
    assert!(
        r.text().contains("NOPERM") || r.text().contains("NoPerm"),
        "{}",
        r.text()
    );
    eventually(Duration::from_millis(50), || {
        let status = n.get("/v1/articles/w1").status;
        ok_if(status == 200, || format!("`w1` answers {status}"))
    });
}

/// `serve --retain` on one node prunes through the shared log: every node drops the old news, and keeps
/// today's.
#[test]
fn a_node_told_to_retain_prunes_every_node_through_the_log() {
    let Some(redis) = Redis::start() else { return };
    let root = tempfile::tempdir().unwrap();
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let keeping_all = node(&root.path().join("a"), &url, &[]);
    let today = Timestamp::now().to_string();
    let body = json!([
        {"id": "old", "title": "ECB unlikely to end sterilisation of SMP purchases - traders",
         "published": "2014-03-10T10:00:00Z"},
        {"id": "new", "title": "Portugal's Democratic Alliance Stands Firm on Governance",
         "published": today}
    ]);
    assert_eq!(posted(&keeping_all, &body).status, 200);
    let retaining = node(&root.path().join("b"), &url, &["--retain", "30d"]);
    for n in [&keeping_all, &retaining] {
        eventually(Duration::from_millis(50), || {
            let status = n.get("/v1/articles/old").status;
            ok_if(status == 404, || format!("`old` still answers {status}"))
        });
        assert_eq!(n.get("/v1/articles/new").status, 200);
        // Every node counts the prunes it applied, so that an alert on retention stopping works on
        // any of them.
        let value = |metrics: &str, name: &str| {
            metrics
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        // Counted as the prune is applied, just after its articles leave the index.
        let metrics = eventually(Duration::from_millis(20), || {
            let metrics = n.get("/metrics").text();
            ok_if(value(&metrics, "storyhash_prunes_total") >= 1.0, || {
                metrics.clone()
            })?;
            Ok(metrics)
        });
        assert!(
            value(&metrics, "storyhash_articles_pruned_total") >= 1.0,
            "{metrics}"
        );
        assert!(
            value(&metrics, "storyhash_last_prune_timestamp_seconds") > 0.0,
            "{metrics}"
        );
    }
}
