//! What a new user meets first: every `--help` shows examples and the exit status, and the exit codes it
//! documents are the ones the binary gives (0 success, 1 a missing input, an unwritable output or an
//! unopenable store, 2 bad input or usage), with messages that name what the user gave.

use std::path::Path;

use crate::cli::{sample_store, stderr, storyhash, storyhash_stdin};

const SUBCOMMANDS: [&str; 5] = ["dedupe", "ingest", "serve", "prune", "eval"];

#[test]
fn every_help_shows_examples_and_the_exit_status() {
    let mut helps = vec![(String::from("storyhash"), storyhash(&["--help"]))];
    for sub in SUBCOMMANDS {
        helps.push((format!("storyhash {sub}"), storyhash(&[sub, "--help"])));
        helps.push((format!("storyhash {sub} -h"), storyhash(&[sub, "-h"])));
    }
    for (what, out) in helps {
        assert!(out.status.success(), "{what}: {}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        let examples = text
            .split("Examples:")
            .nth(1)
            .unwrap_or_else(|| panic!("{what}: no Examples section\n{text}"));
        let command = what.split(' ').nth(1).unwrap_or("dedupe");
        assert!(
            examples.contains(&format!("storyhash {command}")),
            "{what}: no example runs the command\n{text}"
        );
        let status = text
            .split("Exit status:")
            .nth(1)
            .unwrap_or_else(|| panic!("{what}: no Exit status section\n{text}"));
        for code in ["  0  ", "  1  ", "  2  "] {
            assert!(status.contains(code), "{what}: exit code{code}undocumented");
        }
    }
}

#[test]
fn a_negative_number_is_refused_by_the_flag_it_was_given_to() {
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let sample = sample.to_str().unwrap();
    for (flags, said) in [
        (
            &["--threshold", "-0.1"][..],
            "invalid --threshold: -0.1 is not in (0, 1]",
        ),
        (&["--story-merge", "-1"], "invalid --story-merge"),
        (&["--threads", "-2"], "'-2' for '--threads <N>'"),
        (
            &["--story-gap", "-1d"],
            "'-1d' for '--story-gap <DURATION>'",
        ),
    ] {
        let mut args = vec!["dedupe", "-q", sample];
        args.extend_from_slice(flags);
        let out = storyhash(&args);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(said), "{flags:?}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("unexpected argument"),
            "{}",
            stderr(&out)
        );
    }
    // The daemon names the flag too, not the library's setting.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let out = storyhash(&[
        "serve",
        "--db",
        db.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--story-gap",
        "0s",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "invalid value '0s' for '--story-gap <DURATION>': `0s` is no time; give at least a second"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_missing_input_is_exit_1_naming_it() {
    let out = storyhash(&["dedupe", "-q", "no-such-input.jsonl"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no-such-input.jsonl"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unwritable_output_is_exit_1_naming_the_path_given_not_a_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("missing-dir").join("verdicts.jsonl");
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let out = storyhash(&[
        "dedupe",
        "-q",
        sample.to_str().unwrap(),
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains(&format!("cannot write {}", out_path.display())),
        "{said}"
    );
    assert!(!said.contains(".tmp-"), "names a temporary file: {said}");
    // The same for --clusters.
    let clusters = dir.path().join("missing-dir").join("clusters.jsonl");
    let out = storyhash(&[
        "dedupe",
        "-q",
        sample.to_str().unwrap(),
        "-o",
        "/dev/null",
        "--clusters",
        clusters.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("cannot write {}", clusters.display())),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_mistyped_input_or_output_fails_before_any_record_is_read_or_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("news.db");
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let sample = sample.to_str().unwrap();
    let missing_dir = dir.path().join("missing-dir").join("verdicts.jsonl");
    let verdicts = dir.path().join("verdicts.jsonl");
    // The same file not yet made, spelt another way.
    let verdicts_again = dir.path().join(".").join("verdicts.jsonl");
    let elsewhere = tempfile::tempdir().unwrap();
    let a_directory = elsewhere.path().join("inputs.jsonl");
    std::fs::create_dir(&a_directory).unwrap();
    let runs: [(&[&str], &str); 10] = [
        (
            &[sample, "no-such-input.jsonl", "-o", "/dev/null"],
            "cannot open no-such-input.jsonl",
        ),
        (
            &[sample, "-o", missing_dir.to_str().unwrap()],
            "cannot write",
        ),
        (
            &[sample, "-o", dir.path().to_str().unwrap()],
            "cannot write",
        ),
        // A file that exists, in a directory that takes no new file: the file that could not be made
        // is named.
        (
            &[sample, "-o", "/proc/version"],
            "cannot write /proc/version: cannot make a new file in /proc, where it is written first",
        ),
        (
            &[
                sample,
                "-o",
                verdicts.to_str().unwrap(),
                "--clusters",
                verdicts.to_str().unwrap(),
            ],
            "give them different files",
        ),
        (
            &[
                sample,
                "-o",
                verdicts.to_str().unwrap(),
                "--clusters",
                verdicts_again.to_str().unwrap(),
            ],
            "give them different files",
        ),
        (
            &[
                sample,
                "-o",
                verdicts.to_str().unwrap(),
                "--report",
                verdicts_again.to_str().unwrap(),
            ],
            "give it its own file",
        ),
        (
            &[sample, a_directory.to_str().unwrap(), "-o", "/dev/null"],
            "cannot open",
        ),
        // Named without a known extension, a missing input or a directory is said as such, not as a
        // name whose format cannot be told.
        (
            &[sample, "no-such-input", "-o", "/dev/null"],
            "cannot open no-such-input: No such file",
        ),
        (
            &[
                sample,
                elsewhere.path().to_str().unwrap(),
                "-o",
                "/dev/null",
            ],
            "directory",
        ),
    ];
    for (args, said) in runs {
        let mut all = vec!["dedupe", "-q", "--db", db.to_str().unwrap()];
        all.extend_from_slice(args);
        let out = storyhash(&all);
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        assert!(stderr(&out).contains(said), "{args:?}: {}", stderr(&out));
        assert!(
            !db.exists(),
            "{args:?}: a store was written before the run failed"
        );
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
    // A device is written in place: every output may go to /dev/null at once.
    let out = storyhash(&[
        "dedupe",
        "-q",
        sample,
        "-o",
        "/dev/null",
        "--clusters",
        "/dev/null",
        "--report",
        "/dev/null",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn an_output_naming_an_input_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("articles.jsonl");
    std::fs::copy(crate::repo_data("uci-stories-dev.jsonl"), &input).unwrap();
    let before = std::fs::read(&input).unwrap();
    let again = dir.path().join(".").join("articles.jsonl");
    let (input, again) = (input.to_str().unwrap(), again.to_str().unwrap());
    for (flag, output) in [("-o", input), ("-o", again), ("--report", again)] {
        let out = storyhash(&[
            "dedupe",
            "-q",
            input,
            flag,
            output,
            "--clusters",
            "/dev/null",
        ]);
        assert_eq!(out.status.code(), Some(2), "{flag} {output}");
        // The path given, and the input's name where the two differ.
        let said = stderr(&out);
        let expected = if output == input {
            format!("{flag} names {input}, which is an input")
        } else {
            format!("{flag} names {output}, which is the input {input}")
        };
        assert!(said.contains(&expected), "{flag} {output}: {said}");
        assert_eq!(std::fs::read(input).unwrap(), before, "{flag} {output}");
    }
    // Standard input redirected from the file is that file.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(["dedupe", "-q", "-", "-o", input])
        .stdin(std::fs::File::open(input).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!(
            "-o names {input}, the file standard input is read from: the articles would be replaced"
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(input).unwrap(), before);
}

#[test]
fn a_named_pipe_is_read_once_as_input() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("feed.jsonl");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo");
    let out = dir.path().join("verdicts.jsonl");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(["dedupe", "-q", "-o"])
        .arg(&out)
        .arg(&fifo)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The writer's open waits for the reader's; everything written is read by that one open.
    let sample = std::fs::read(crate::repo_data("uci-stories-dev.jsonl")).unwrap();
    std::fs::write(&fifo, &sample).unwrap();
    let done = child.wait_with_output().unwrap();
    assert!(done.status.success(), "{}", stderr(&done));
    let lines = std::fs::read_to_string(&out).unwrap().lines().count();
    assert_eq!(lines, 3257);
}

#[test]
fn a_missing_store_for_prune_is_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("never-created");
    let out = storyhash(&["prune", "--db", db.to_str().unwrap(), "--older-than", "1d"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("no store at {}", db.display())),
        "{}",
        stderr(&out)
    );
    assert!(!db.exists(), "prune created a store");
    // A negative age is refused by the duration's own reader, which says so, written either way; an
    // age under a minute (the slip of a unit) likewise.
    for flags in [&["--older-than=-1d"][..], &["--older-than", "-1d"]] {
        let out = storyhash(&[&["prune", "--db", db.to_str().unwrap()][..], flags].concat());
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("`-1d` is negative"),
            "{}",
            stderr(&out)
        );
    }
    let out = storyhash(&["prune", "--db", db.to_str().unwrap(), "--older-than", "30s"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("keep at least a minute"),
        "{}",
        stderr(&out)
    );
    // Nor is an empty directory a store to prune.
    std::fs::create_dir(&db).unwrap();
    let out = storyhash(&["prune", "--db", db.to_str().unwrap(), "--older-than", "1d"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("no store at"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_dir(&db).unwrap().count(),
        0,
        "prune made a store"
    );
}

#[test]
fn dedupe_eval_and_prune_report_a_full_standard_output_by_name_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("news.db");
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    sample_store(&db, &[]);
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    for args in [
        vec!["prune", "--db", db.to_str().unwrap(), "--older-than", "1d"],
        vec!["eval", sample.to_str().unwrap()],
        vec!["dedupe", sample.to_str().unwrap(), "-q"],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_storyhash"))
            .args(&args)
            .stdout(full())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("cannot write to standard output: No space left on device"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            !stderr(&out).contains("panicked"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // `ingest` says how far it got: the lines of its first turn are stored, their answers lost.
    let ingest_db = dir.path().join("ingest.db");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(["ingest", "--db", ingest_db.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(full())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        // A write after the run ended is refused: what it said is what counts.
        let _ = stdin.write_all(b"{\"id\":\"a\",\"title\":\"Storm closes the harbour\"}\n");
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "cannot write to standard output (line 1 was stored or refused, the answers may be \
             lost; the lines after were not stored): No space left on device"
        ),
        "{}",
        stderr(&out)
    );
    let engine = storyhash::Engine::open(&ingest_db, storyhash::EngineConfig::default()).unwrap();
    assert!(engine.get("a").unwrap().is_some());
}

#[test]
fn a_run_whose_standard_error_cannot_be_written_still_writes_its_verdicts_and_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let out_path = dir.path().join("verdicts.jsonl");
    // `storyhash ARGS` with its standard error on a full disk: the exit code.
    let run_said_to_a_full_disk = |args: &[&std::ffi::OsStr]| {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_storyhash"))
            .args(args)
            .stderr(full)
            .output()
            .unwrap()
            .status
            .code()
    };
    // The summary and the notes are lost; the verdicts are what the run is for.
    let code = run_said_to_a_full_disk(&[
        "dedupe".as_ref(),
        sample.as_os_str(),
        "-o".as_ref(),
        out_path.as_os_str(),
    ]);
    assert_eq!(code, Some(0));
    let written = std::fs::read_to_string(&out_path).unwrap();
    assert_eq!(written.lines().count(), 3257);
    // An error that cannot be said still sets the exit status.
    let code = run_said_to_a_full_disk(&["dedupe".as_ref(), "no-such-file.jsonl".as_ref()]);
    assert_eq!(code, Some(1));
}

#[test]
fn a_malformed_record_and_a_bad_flag_are_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "{\"title\":\"fine\"}\n{\"title\":\n").unwrap();
    let out = storyhash(&["dedupe", "-q", input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    for flags in [
        &["dedupe", "--threshold", "1.5", "x.jsonl"][..],
        &["dedupe", "--shingle", "bigram", "x.jsonl"],
        &["dedupe", "--no-such-flag", "x.jsonl"],
        &["dedupe", "--threads", "0", "x.jsonl"],
        &["prune", "--db", "x", "--older-than", "soon"],
        &["serve", "--db", "x", "--max-body", "0"],
    ] {
        let out = storyhash(flags);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", stderr(&out));
    }
    let out = storyhash(&["serve", "--db", "x", "--max-body", "0"]);
    assert!(
        stderr(&out).contains("`0` is no bytes at all; give at least 1"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unreadable_eval_input_is_exit_1_and_a_malformed_one_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("pairs.jsonl");
    let out = storyhash(&["eval", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    std::fs::write(&missing, "not json\n").unwrap();
    let out = storyhash(&["eval", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(Path::new(&missing).exists());
    // A feed without labels: the message says how to read one, and how to name another label.
    std::fs::write(
        &missing,
        "{\"id\":\"1\",\"title\":\"Storm hits the coast\"}\n",
    )
    .unwrap();
    let out = storyhash(&["eval", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("its record has no gold field `story`; a label under another key is read with --gold KEY, and a feed without labels with --feed"),
        "{said}"
    );
}

#[test]
fn a_compressed_input_is_refused_with_the_command_that_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("crawl.jsonl.gz");
    // A gzip header and some deflated bytes: what `gzip` writes first.
    std::fs::write(
        &gz,
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xab\x56\x2a\xc9",
    )
    .unwrap();
    let out = storyhash(&["dedupe", "-q", gz.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "`zcat {} | storyhash dedupe - --format jsonl`",
            gz.display()
        )),
        "{}",
        stderr(&out)
    );
    // Without a format in its name, the command leaves the format to fill in.
    let bare = dir.path().join("crawl.gz");
    std::fs::copy(&gz, &bare).unwrap();
    let out = storyhash(&["dedupe", "-q", bare.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "`zcat {} | storyhash dedupe - --format FORMAT`, FORMAT being jsonl, csv or text",
            bare.display()
        )),
        "{}",
        stderr(&out)
    );
    // Told to read it as JSON Lines anyway, its first line says the same.
    let out = storyhash(&["dedupe", "-q", "--format", "jsonl", gz.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("`zcat FILE |"), "{}", stderr(&out));
}

#[test]
fn flags_as_users_first_write_them_are_taken_or_told_what_to_write() {
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let sample = sample.to_str().unwrap();
    // `ndjson` and `json` name JSON Lines, as the extensions do.
    for name in ["ndjson", "json"] {
        let out = storyhash(&["dedupe", "-q", "--format", name, sample]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert_eq!(out.stdout.iter().filter(|&&b| b == b'\n').count(), 3257);
    }
    // --min-size shapes the cluster list only: without --clusters it is a mistake, not a no-op.
    let out = storyhash(&["dedupe", "-q", "--min-size", "3", sample]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "storyhash: --min-size chooses which clusters --clusters lists; give --clusters FILE too\n"
    );
    // ingest reads standard input; a file named after it is refused with the ways to feed it, and no
    // store is made.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("news.db");
    let out = storyhash(&["ingest", "--db", db.to_str().unwrap(), sample]);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert!(
        said.contains(&format!("< {sample}`")) && said.contains("storyhash dedupe"),
        "{said}"
    );
    assert!(!db.exists());
    // `-` names standard input, which is what ingest reads.
    let out = storyhash_stdin(
        &["ingest", "--db", db.to_str().unwrap(), "-"],
        b"{\"id\":\"a\",\"title\":\"Storm hits the coast\"}\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(crate::cli::lines(&out.stdout)[0]["status"], "new");
}

#[test]
fn json_lines_read_as_plain_text_for_its_extension_is_noted() {
    let dir = tempfile::tempdir().unwrap();
    let lines = b"{\"id\":\"1\",\"title\":\"Storm hits the coast\"}\n";
    let txt = crate::cli::write(dir.path(), "crawl.txt", lines);
    let out = storyhash(&["dedupe", &txt]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("looks like a JSON object: --format jsonl"),
        "{}",
        stderr(&out)
    );
    // Said as the user asked: not with --format text, nor for a headline in braces.
    let out = storyhash(&["dedupe", &txt, "--format", "text"]);
    assert!(!stderr(&out).contains("looks like"), "{}", stderr(&out));
    let braces = crate::cli::write(dir.path(), "h.txt", b"{Breaking} storm hits {the coast}\n");
    let out = storyhash(&["dedupe", &braces]);
    assert!(!stderr(&out).contains("looks like"), "{}", stderr(&out));
}

#[test]
fn plain_text_read_as_json_lines_is_told_how_to_give_its_format() {
    let headlines = b"Fed raises rates\nFed lifts rates by a quarter point\n";
    let out = storyhash_stdin(&["dedupe", "-q", "-"], headlines);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("<stdin>:1: not JSON: expected value at column 1 (standard input is read as JSON Lines unless --format says otherwise; --format text reads one headline per line"),
        "{}",
        stderr(&out)
    );
    let dir = tempfile::tempdir().unwrap();
    let named = crate::cli::write(dir.path(), "headlines.jsonl", headlines);
    let out = storyhash(&["dedupe", "-q", &named]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "headlines.jsonl:1: not JSON: expected value at column 1 (read as JSON Lines for its extension;"
        ),
        "{}",
        stderr(&out)
    );
    // JSON of the wrong shape, or a format given, gets no such hint.
    let out = storyhash_stdin(&["dedupe", "-q", "-"], b"{\"id\": \"1\"}\n");
    assert!(!stderr(&out).contains("--format"), "{}", stderr(&out));
    let out = storyhash_stdin(&["dedupe", "-q", "--format", "jsonl", "-"], headlines);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!stderr(&out).contains("--format"), "{}", stderr(&out));
    // Given as text, the same lines are read.
    let out = storyhash_stdin(&["dedupe", "-q", "--format", "text", "-"], headlines);
    assert!(out.status.success(), "{}", stderr(&out));
    // eval reads JSON Lines alone, and says so.
    let out = storyhash(&["eval", &named]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "headlines.jsonl:1: not JSON: expected value at column 1 (eval reads JSON Lines"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_duration_without_its_unit_is_refused_rather_than_read_as_seconds() {
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    for flag in ["--window", "--story-gap", "--story-span"] {
        let out = storyhash(&["dedupe", "-q", sample.to_str().unwrap(), flag, "7"]);
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", stderr(&out));
        assert!(
            stderr(&out)
                .contains("`7` has no unit; write it with one: 7s, 7min, 7h, 7d (days) or 7w"),
            "{flag}: {}",
            stderr(&out)
        );
    }
}

/// A prune takes the store's matching settings: its help leaves their flags out, and they are still
/// taken (and checked against the store) where a script gives them.
#[test]
fn prune_help_leaves_the_matching_flags_out_and_prune_still_takes_them() {
    let help = storyhash(&["prune", "--help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    // Named where the exit status says why one is refused, but listed as no option.
    let listed = |flag: &str| text.lines().any(|l| l.trim_start().starts_with(flag));
    assert!(listed("--older-than") && !listed("--threshold"), "{text}");
    let help = storyhash(&["dedupe", "--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("--threshold"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("news.db");
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "{\"id\":\"1\",\"title\":\"Storm hits the coast\",\"published\":\"2020-01-01T00:00:00Z\"}\n").unwrap();
    let made = storyhash(&[
        "dedupe",
        "-q",
        "-o",
        "/dev/null",
        "--db",
        db.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert!(made.status.success(), "{}", stderr(&made));
    let db = db.to_str().unwrap();
    let agreeing = storyhash(&[
        "prune",
        "--db",
        db,
        "--older-than",
        "30d",
        "--dry-run",
        "--threshold",
        "0.5",
    ]);
    assert!(agreeing.status.success(), "{}", stderr(&agreeing));
    // Its one article, of 2020, would go: a note says why a prune can take every article, before and
    // after.
    assert!(
        stderr(&agreeing).contains(
            "note: every article would go; a prune goes by the articles' \
                                    publication times"
        ),
        "{}",
        stderr(&agreeing)
    );
    let contradicting = storyhash(&[
        "prune",
        "--db",
        db,
        "--older-than",
        "30d",
        "--threshold",
        "0.9",
    ]);
    assert_eq!(
        contradicting.status.code(),
        Some(2),
        "{}",
        stderr(&contradicting)
    );
    let pruned = storyhash(&["prune", "--db", db, "--older-than", "30d"]);
    assert!(pruned.status.success(), "{}", stderr(&pruned));
    assert!(
        stderr(&pruned).contains("note: every article went;"),
        "{}",
        stderr(&pruned)
    );
    // An empty store loses nothing, and nothing is noted.
    let again = storyhash(&["prune", "--db", db, "--older-than", "30d"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(!stderr(&again).contains("note"), "{}", stderr(&again));
}
