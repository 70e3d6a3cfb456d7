//! A store remembers the matching settings it was created with: later commands on it (`ingest`, `prune`,
//! `serve`, `dedupe --db`) and `Engine::open` take them without being told again, and a flag that
//! contradicts them is refused by name.

use serde_json::json;
use storyhash::{Article, Engine, EngineConfig, Error, ShingleKind, Status, StoreError};

use crate::cli::{lines, stderr, storyhash, storyhash_stdin, write};
use crate::http::Server;

/// Two headlines that share every word but not in the same order: near-duplicates as word unigrams at
/// threshold 0.8, nothing alike as the default character 5-grams.
const WORDS_A: &str = "budget vote parliament passes after marathon session";
const WORDS_B: &str = "after marathon session parliament passes budget vote";

/// A store created by `dedupe --db` with non-default matching flags.
fn words_store(dir: &std::path::Path) -> std::path::PathBuf {
    let db = dir.join("db");
    let input = write(
        dir,
        "first.jsonl",
        format!("{}\n", json!({"id": "a", "title": WORDS_A})).as_bytes(),
    );
    let out = storyhash(&[
        "dedupe",
        "-q",
        &input,
        "--db",
        db.to_str().unwrap(),
        "--shingle",
        "word1",
        "--threshold",
        "0.8",
        "--fields",
        "title",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    db
}

#[test]
fn ingest_and_dedupe_take_the_store_s_settings_without_flags() {
    let dir = tempfile::tempdir().unwrap();
    let db = words_store(dir.path());
    let out = storyhash_stdin(
        &["ingest", "--db", db.to_str().unwrap()],
        format!("{}\n", json!({"id": "b", "title": WORDS_B})).as_bytes(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let answers = lines(&out.stdout);
    // Word unigrams see the same words: a near-duplicate (character 5-grams would see a new story).
    assert_eq!(answers[0]["status"], "near_duplicate", "{answers:?}");
    assert_eq!(answers[0]["duplicate_of"], "a");

    let more = write(
        dir.path(),
        "more.jsonl",
        format!(
            "{}\n",
            json!({"id": "c", "title": "vote budget parliament passes after marathon session"})
        )
        .as_bytes(),
    );
    let out = storyhash(&["dedupe", "-q", &more, "--db", db.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines(&out.stdout)[0]["status"], "near_duplicate");

    // Repeating the store's own settings is fine too.
    let out = storyhash(&[
        "dedupe",
        "-q",
        &more,
        "--db",
        db.to_str().unwrap(),
        "--shingle",
        "word1",
        "--threshold",
        "0.8",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn prune_and_serve_open_the_store_without_its_flags() {
    let dir = tempfile::tempdir().unwrap();
    let db = words_store(dir.path());
    let out = storyhash(&["prune", "--db", db.to_str().unwrap(), "--older-than", "30d"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("pruned 0 articles"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let server = Server::ready(&db, &[]);
    let reply = server.post("/v1/articles", &json!({"id": "b", "title": WORDS_B}));
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["status"], "near_duplicate");
}

#[test]
fn a_flag_that_contradicts_the_store_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = words_store(dir.path());
    let db = db.to_str().unwrap();
    for (flags, names) in [
        (&["--shingle", "char5"][..], "--shingle word1"),
        (&["--fields", "title,body"], "--fields title"),
        (&["--permutations", "64"], "--permutations 128"),
        (&["--threshold", "0.5"], "--threshold 0.5"),
        (&["--bands", "16", "--rows", "8"], "--bands and --rows"),
    ] {
        let mut args = vec!["ingest", "--db", db];
        args.extend_from_slice(flags);
        let out = storyhash_stdin(&args, b"");
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", stderr(&out));
        let said = stderr(&out);
        assert!(said.contains(names), "{flags:?}: {said}");
        assert!(said.contains(db), "{flags:?}: {said}");
        let out = storyhash(&[
            "prune",
            "--db",
            db,
            "--older-than",
            "1d",
            flags[0],
            flags[1],
        ]);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", stderr(&out));
    }
    // Several contradicting flags are named in one message, so that one correction is enough.
    let out = storyhash_stdin(
        &[
            "ingest",
            "--db",
            db,
            "--shingle",
            "char5",
            "--fields",
            "title,body",
            "--threshold",
            "0.5",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    for named in [
        "--shingle word1",
        "--fields title (this run: title,body)",
        "--threshold 0.5",
    ] {
        assert!(said.contains(named), "{named}: {said}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args([
            "serve",
            "--db",
            db,
            "--listen",
            "127.0.0.1:0",
            "--shingle",
            "char4",
        ])
        .output()
        .expect("run storyhash serve");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--shingle word1"), "{}", stderr(&out));
}

#[test]
fn the_library_reopens_a_store_as_it_was_created() {
    let dir = tempfile::tempdir().unwrap();
    let created = EngineConfig {
        shingle: Some(ShingleKind::Word(1)),
        threshold: Some(0.8),
        use_body: Some(false),
        ..EngineConfig::default()
    };
    {
        let engine = Engine::open(dir.path(), created.clone()).unwrap();
        engine.ingest(&Article::new("a", WORDS_A)).unwrap();
        engine.flush().unwrap();
    }
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    assert_eq!(engine.config().params, created.validate().unwrap().params);
    assert_eq!(engine.config().threshold(), 0.8);
    let v = engine.ingest(&Article::new("b", WORDS_B)).unwrap();
    assert_eq!(v.status, Status::NearDuplicate);
    drop(engine);
    let err = Engine::open(
        dir.path(),
        EngineConfig {
            use_body: Some(true),
            ..EngineConfig::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Store(StoreError::ParamMismatch {
                field: "use_body",
                ..
            })
        ),
        "{err}"
    );
}

#[test]
fn a_second_open_in_the_same_process_says_so_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let first = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let started = std::time::Instant::now();
    let err = Engine::open(dir.path(), EngineConfig::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Store(StoreError::InUse {
                this_process: true,
                ..
            })
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("already open in this process"),
        "{err}"
    );
    assert!(!err.to_string().contains("another process"), "{err}");
    // Told at once, not after waiting for a lock this process holds.
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    // The same directory by another name is the same store.
    let other_name = dir.path().join(".");
    let err = Engine::open(&other_name, EngineConfig::default()).unwrap_err();
    assert!(
        err.to_string().contains("already open in this process"),
        "{err}"
    );
    drop(first);
    Engine::open(dir.path(), EngineConfig::default()).expect("open again once dropped");
}
