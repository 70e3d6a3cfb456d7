//! Inputs people really produce: spreadsheet CSV with blank rows, publication times as JSON numbers or in
//! forms nobody can read, and ids that repeat — each accepted, counted or explained as a user expects.

use serde_json::json;

use crate::cli::{lines, stderr, storyhash, storyhash_stdin, write};

#[test]
fn blank_spreadsheet_rows_are_skipped_and_the_run_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "export.csv",
        b"id,title,source\r\n\
          a,Fed holds rates steady as inflation cools,Reuters\r\n\
          ,,\r\n\
          b,Fed holds rates steady as inflation cools - Reuters,AP\r\n\
          ,,\r\n\
          ,,\r\n",
    );
    let out = storyhash(&["dedupe", &csv]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = lines(&out.stdout);
    assert_eq!(v.len(), 2, "blank rows are not records");
    assert_eq!((&v[0]["id"], &v[1]["id"]), (&json!("a"), &json!("b")));
    assert_eq!(v[1]["status"], "duplicate");
    assert!(stderr(&out).contains("2 records"), "{}", stderr(&out));
}

#[test]
fn published_as_a_json_number_is_a_time() {
    // Two copies published a year apart: with a 7-day window they only match if both times are read.
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "in.jsonl",
        concat!(
            r#"{"id":"old","title":"Volcano erupts near Reykjavik airport","published":1394469125}"#,
            "\n",
            r#"{"id":"new","title":"Volcano erupts near Reykjavik airport","published":1426005125000}"#,
            "\n",
            r#"{"id":"same-week","title":"Volcano erupts near Reykjavik airport","published":"2015-03-12T00:00:00Z"}"#,
            "\n",
        )
        .as_bytes(),
    );
    let out = storyhash(&["dedupe", &input, "--window", "7d"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = lines(&out.stdout);
    assert_eq!(v[1]["status"], "new", "a year later is outside the window");
    assert_eq!(v[2]["status"], "duplicate");
    assert_eq!(v[2]["duplicate_of"], "new");
    assert!(
        !stderr(&out).contains("no form storyhash reads"),
        "{}",
        stderr(&out)
    );
    assert!(
        !stderr(&out).contains("no `published` time"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unreadable_publication_times_are_counted_in_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "in.jsonl",
        concat!(
            r#"{"id":"1","title":"Storm hits the coast","published":"last tuesday"}"#,
            "\n",
            r#"{"id":"2","title":"Parliament passes the budget","published":"2014-03-10"}"#,
            "\n",
            r#"{"id":"3","title":"Elections called for May","published":"10/03/2014"}"#,
            "\n",
            r#"{"id":"4","title":"Markets rally on rate hopes"}"#,
            "\n",
            // A date as pages write it is read.
            r#"{"id":"5","title":"Ferry service resumes","published":"Monday, March 10, 2014 4:55 PM"}"#,
            "\n",
        )
        .as_bytes(),
    );
    let out = storyhash(&["dedupe", &input, "-o", "/dev/null"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("2 with a `published` time in no form storyhash reads"),
        "{said}"
    );
    // Where they are, so that the form can be looked at.
    assert!(
        said.contains(&format!(
            "the first: {input}:1 `last tuesday`, {input}:3 `10/03/2014`"
        )),
        "{said}"
    );
    // The one without a time is noted apart: nothing but content parts the stories of such articles.
    assert!(
        said.contains("1 of them has no `published` time and takes its arrival time"),
        "{said}"
    );
    assert!(
        !said.contains("--published-field"),
        "some records have times: {said}"
    );
    // Quiet says nothing of some times unread, but warns when none of them could be read: a scheduled
    // run into a store would otherwise put every article at its arrival without a word.
    let quiet = stderr(&storyhash(&["dedupe", &input, "-o", "/dev/null", "-q"]));
    assert_eq!(quiet, "", "some times were read");
    let dotted = write(
        dir.path(),
        "de.csv",
        b"id,title,Datum\n1,Sturm an der K\xc3\xbcste,30.04.2025 10:23\n2,Haushalt beschlossen,Mi 30. April\n",
    );
    let quiet = stderr(&storyhash(&[
        "dedupe",
        &dotted,
        "-o",
        "/dev/null",
        "-q",
        "--published-field",
        "Datum",
    ]));
    assert_eq!(quiet, "", "a day first with dots is read: {quiet}");
    let unread = write(
        dir.path(),
        "unread.jsonl",
        br#"{"id":"1","title":"Storm hits the coast","published":"Mi 30. April"}"#,
    );
    let out = storyhash(&["dedupe", &unread, "-o", "/dev/null", "-q"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "storyhash: warning: the one `published` time of this run could not be read, so its \
             article took its arrival time instead (the first: {unread}:1 `Mi 30. April`"
        )),
        "{}",
        stderr(&out)
    );
    // A file none of whose records has the key most often holds the time under another.
    let other_key = write(
        dir.path(),
        "rss.jsonl",
        br#"{"guid":"1","title":"Storm hits the coast","pubDate":"Mon, 10 Mar 2014 16:55:01 GMT"}"#,
    );
    let said = stderr(&storyhash(&["dedupe", &other_key, "-o", "/dev/null"]));
    assert!(
        said.contains(&format!(
            "no record has a `published` time; records of {other_key} hold a time under \
             `pubDate`, which --published-field pubDate reads as the publication time"
        )),
        "{said}"
    );
    // Standard input, which cannot be read again, keeps its first records for the note.
    let piped = storyhash_stdin(
        &["dedupe", "-", "-o", "/dev/null"],
        &std::fs::read(&other_key).unwrap(),
    );
    assert!(
        stderr(&piped).contains("records of standard input hold a time under `pubDate`"),
        "{}",
        stderr(&piped)
    );
    // Where no key holds one, the usual keys are named.
    let no_time = write(
        dir.path(),
        "untimed.jsonl",
        br#"{"guid":"1394469125","title":"Storm hits the coast","seen":3}"#,
    );
    let said = stderr(&storyhash(&["dedupe", &no_time, "-o", "/dev/null"]));
    assert!(
        said.contains("no record has a `published` time; a time under another key"),
        "{said}"
    );
    assert!(said.contains("--published-field KEY"), "{said}");
    // The same counts through the library.
    let engine = storyhash::Engine::in_memory(storyhash::EngineConfig::default()).unwrap();
    for (id, published) in [("a", "last tuesday"), ("b", "1394469125"), ("c", " ")] {
        engine
            .ingest(
                &storyhash::Article::new(id, format!("Headline number {id} here"))
                    .with_published(published),
            )
            .unwrap();
    }
    // A replay stores nothing and is not counted again.
    engine
        .ingest(
            &storyhash::Article::new("a", "Headline number a here").with_published("last tuesday"),
        )
        .unwrap();
    assert_eq!(engine.stats().unreadable_times, 1);
    // A blank time is no time.
    assert_eq!(engine.stats().untimed, 1);
}

/// A crawl's site under a key of its own (`domain`) is not read as the source unless named; a run says
/// which key holds one, bodies compared or not.
#[test]
fn a_source_under_another_key_is_noted() {
    let dir = tempfile::tempdir().unwrap();
    let crawl = write(
        dir.path(),
        "crawl.jsonl",
        concat!(
            r#"{"id":"1","title":"Storm hits the coast","domain":"www.cnbc.com"}"#,
            "\n",
            r#"{"id":"2","title":"Parliament passes the budget","domain":"apnews.com"}"#,
            "\n",
        )
        .as_bytes(),
    );
    let note = format!(
        "note: records of {crawl} have a `domain` but no `source`; --source-field domain reads it as \
         the source"
    );
    for flags in [&[][..], &["--fields", "title"]] {
        let said = stderr(&storyhash(
            &[&["dedupe", &crawl, "-o", "/dev/null"], flags].concat(),
        ));
        assert!(said.contains(&note), "{flags:?}: {said}");
    }
    let said = stderr(&storyhash(&[
        "dedupe",
        &crawl,
        "-o",
        "/dev/null",
        "--source-field",
        "domain",
    ]));
    assert!(!said.contains("no `source`"), "{said}");
    let sourced = write(
        dir.path(),
        "sourced.jsonl",
        br#"{"id":"1","title":"Storm hits the coast","source":"CNBC","domain":"www.cnbc.com"}"#,
    );
    let said = stderr(&storyhash(&["dedupe", &sourced, "-o", "/dev/null"]));
    assert!(!said.contains("no `source`"), "{said}");
}

/// A feed's body under a key of its own (an RSS item's `description`) is not read unless named; a run
/// that would compare bodies says which key holds one.
#[test]
fn a_body_under_another_key_is_noted_where_bodies_would_be_compared() {
    let dir = tempfile::tempdir().unwrap();
    let rss = write(
        dir.path(),
        "rss.jsonl",
        concat!(
            r#"{"id":"1","title":"Storm hits the coast"}"#,
            "\n",
            r#"{"id":"2","title":"Parliament passes the budget","description":"MPs voted 320 to 290."}"#,
            "\n",
        )
        .as_bytes(),
    );
    let note = "records of";
    let said = stderr(&storyhash(&["dedupe", &rss, "-o", "/dev/null"]));
    assert!(
        said.contains(&format!(
            "note: records of {rss} have a `description` but no `body`; only `body` is read as the \
             body (compared with the title under --fields title,body): --body-field description \
             reads it"
        )),
        "{said}"
    );
    // Not where bodies are not compared, the key is read, or records hold a `body` already.
    for flags in [&["--fields", "title"][..], &["--body-field", "description"]] {
        let said = stderr(&storyhash(
            &[&["dedupe", &rss, "-o", "/dev/null"], flags].concat(),
        ));
        assert!(!said.contains(note), "{flags:?}: {said}");
    }
    let with_body = write(
        dir.path(),
        "both.jsonl",
        br#"{"id":"1","title":"Storm hits the coast","body":"Winds of 100 km/h.","summary":"Storm."}"#,
    );
    let said = stderr(&storyhash(&["dedupe", &with_body, "-o", "/dev/null"]));
    assert!(!said.contains(note), "{said}");
    // A key read for another field is no body; a line that is not UTF-8 is passed over.
    let tweets = write(
        dir.path(),
        "tweets.jsonl",
        b"{\"id\":\"0\",\"text\":\"caf\xe9\"}\n\
          {\"id\":\"1\",\"title\":\"Storm\",\"text\":\"Storm hits the coast\"}\n",
    );
    let out = storyhash(&[
        "dedupe",
        &tweets,
        "-o",
        "/dev/null",
        "--title-field",
        "text",
        "--on-error",
        "skip",
    ]);
    assert!(!stderr(&out).contains(note), "{}", stderr(&out));
    let out = storyhash(&["dedupe", &tweets, "-o", "/dev/null", "--on-error", "skip"]);
    assert!(
        stderr(&out).contains("have a `text` but no `body`"),
        "{}",
        stderr(&out)
    );
    // A named pipe is read once: the note does not read it again (it would wait for a writer).
    let fifo = dir.path().join("feed.jsonl");
    let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .args(["dedupe", fifo.to_str().unwrap(), "-o", "/dev/null"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::fs::write(&fifo, std::fs::read(&rss).unwrap()).unwrap();
    let status = crate::http::eventually(std::time::Duration::from_millis(10), || {
        child
            .try_wait()
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "still running once its pipe was read to the end".to_string())
    });
    assert!(status.success());
    // It keeps its first records as they pass instead, and so does standard input.
    let mut said = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut said).unwrap();
    let fifo_shown = fifo.display();
    assert!(
        said.contains(&format!(
            "records of {fifo_shown} have a `description` but no `body`"
        )),
        "{said}"
    );
    let piped = storyhash_stdin(
        &["dedupe", "-", "-o", "/dev/null", "--source-field", "outlet"],
        &std::fs::read(&rss).unwrap(),
    );
    assert!(
        stderr(&piped).contains("records of standard input have a `description` but no `body`"),
        "{}",
        stderr(&piped)
    );
    assert!(
        stderr(&piped).contains(
            "none of the 2 records of standard input has the key `outlet`, which --source-field names"
        ),
        "{}",
        stderr(&piped)
    );
    // A stream into a store is told the same, and that its articles take their arrival time.
    let db = dir.path().join("db");
    let ingested = storyhash_stdin(
        &[
            "ingest",
            "--db",
            db.to_str().unwrap(),
            "--source-field",
            "outlet",
        ],
        &std::fs::read(&rss).unwrap(),
    );
    assert!(ingested.status.success(), "{}", stderr(&ingested));
    // One record is told of as one; a stream whose every line was refused hears only the refusals.
    let one = storyhash_stdin(
        &["ingest", "--db", dir.path().join("one").to_str().unwrap()],
        br#"{"id":"1","title":"Storm hits the coast","pubDate":"Mon, 10 Mar 2014 16:55:01 GMT"}"#,
    );
    assert!(
        stderr(&one).contains(
            "note: the record of standard input has no `published` time (an article without one takes \
             its arrival time); records of standard input hold a time under `pubDate`"
        ),
        "{}",
        stderr(&one)
    );
    let refused = storyhash_stdin(
        &[
            "ingest",
            "--db",
            dir.path().join("refused").to_str().unwrap(),
        ],
        br#"{"id":"1"}"#,
    );
    assert!(!stderr(&refused).contains("note:"), "{}", stderr(&refused));
    for said in [
        "records of standard input have a `description` but no `body`",
        "none of the 2 records of standard input has the key `outlet`, which --source-field names",
        "none of the 2 records of standard input has a `published` time (an article without one takes \
         its arrival time); a time under another key",
    ] {
        assert!(stderr(&ingested).contains(said), "{}", stderr(&ingested));
    }
}

/// A second run into a store that reads other keys than the first (its body under `--body-field` left
/// out) is refused for the first record the store holds with its title and another text: the message
/// says what differs and that the runs must read the same keys, rather than blaming a revising feed.
#[test]
fn a_run_reading_other_keys_than_the_store_s_first_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let feed = write(
        dir.path(),
        "feed.jsonl",
        b"{\"id\":\"g1\",\"title\":\"Storm hits the coast\",\"description\":\"Winds of 100 km/h.\",\"domain\":\"ap.org\"}\n",
    );
    let db = dir.path().join("news.db");
    let db = db.to_str().unwrap();
    let first = ["dedupe", "-q", &feed, "-o", "/dev/null", "--db", db];
    let out = storyhash(&[&first[..], &["--body-field", "description"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = storyhash(&[&first[..], &["--source-field", "domain"]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains(
            "article `g1` is already stored with a different text (the store holds it with the same \
             title and a body this record lacks and no source, which this record has: a run into a \
             store reads the keys the run that stored it read"
        ),
        "{said}"
    );
    assert!(!said.contains("revises an article"), "{said}");
    // The same keys: a repeat.
    let out = storyhash(&[&first[..], &["--body-field", "description"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A revised headline is still told as one.
    let revised = write(
        dir.path(),
        "revised.jsonl",
        b"{\"id\":\"g1\",\"title\":\"Storm hits the coast, two dead\"}\n",
    );
    let out = storyhash(&["dedupe", "-q", &revised, "-o", "/dev/null", "--db", db]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("revises an article"),
        "{}",
        stderr(&out)
    );
    // Not of an article this same run stored: that is no other run's keys.
    let fresh = dir.path().join("fresh.db");
    let out = storyhash_stdin(
        &["ingest", "--db", fresh.to_str().unwrap()],
        b"{\"id\":\"g2\",\"title\":\"Storm hits the coast\",\"body\":\"Winds.\"}\n\
          {\"id\":\"g2\",\"title\":\"Storm hits the coast\"}\n",
    );
    let answers = String::from_utf8_lossy(&out.stdout);
    assert!(
        answers.contains("already stored with a different text"),
        "{answers}"
    );
    assert!(!answers.contains("the run that stored it"), "{answers}");
}

/// Records without ids stored under their line numbers are noted in a run into a store, whose next run
/// of such records would take the same numbers and be refused for them; not in a one-off run.
#[test]
fn records_stored_under_their_line_numbers_are_noted_in_a_run_into_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let day1 = write(
        dir.path(),
        "day1.jsonl",
        b"{\"title\":\"Storm hits the coast\"}\n{\"id\":\"b\",\"title\":\"Budget passes\"}\n",
    );
    let day2 = write(
        dir.path(),
        "day2.jsonl",
        b"{\"title\":\"Markets rally on rate hopes\"}\n",
    );
    let db = dir.path().join("news.db");
    let db = db.to_str().unwrap();
    let note =
        "note: 1 record had no `id` and is in the store under its line number (FILE:LINE with \
                several inputs): a later run into the store whose records lack ids takes the same \
                numbers, and is refused for them: give each record an id";
    let said = stderr(&storyhash(&["dedupe", &day1, "-o", "/dev/null"]));
    assert!(!said.contains("line number"), "{said}");
    let out = storyhash(&["dedupe", &day1, "-o", "/dev/null", "--db", db]);
    assert!(stderr(&out).contains(note), "{}", stderr(&out));
    let out = storyhash(&["dedupe", &day2, "-o", "/dev/null", "--db", db]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("article `1` is already stored with a different text"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_id_conflict_hints_at_line_numbers_only_when_the_record_had_no_id() {
    let dir = tempfile::tempdir().unwrap();
    // Explicit ids: no hint about line numbers, and without --db nothing is "already stored".
    let explicit = write(
        dir.path(),
        "explicit.jsonl",
        b"{\"id\":\"x\",\"title\":\"Storm hits the coast\"}\n{\"id\":\"x\",\"title\":\"Parliament passes the budget\"}\n",
    );
    let out = storyhash(&["dedupe", "-q", &explicit]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("article `x` came earlier in the input, at line 1, with a different text"),
        "{said}"
    );
    assert!(!said.contains("line number"), "{said}");
    assert!(!said.contains("already stored"), "{said}");
    assert!(
        said.contains("revises an article under the same `id` gives that id again"),
        "{said}"
    );
    // A crawl keyed by its pages' URLs, one page's headline revised: the key read is named.
    let crawl = write(
        dir.path(),
        "crawl.jsonl",
        b"{\"url\":\"u1\",\"title\":\"Storm hits the coast\"}\n{\"url\":\"u1\",\"title\":\"Storm hits the coast, two dead\"}\n",
    );
    let out = storyhash(&["dedupe", "-q", &crawl, "--id-field", "url"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("revises an article under the same `url` gives that id again"),
        "{said}"
    );
    assert!(said.contains("--on-error skip"), "{said}");
    // A record without an id whose line number an earlier record names as its id, in one run.
    let numbered = write(
        dir.path(),
        "numbered.jsonl",
        b"{\"id\":\"2\",\"title\":\"Storm hits the coast\"}\n{\"title\":\"Parliament passes the budget\"}\n",
    );
    let out = storyhash(&["dedupe", "-q", &numbered]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("which an earlier record names as its id"),
        "{said}"
    );
    assert!(!said.contains("another run"), "{said}");

    // Two files without ids: each line is named by its file and line, and a line of the second that
    // repeats one of the first is found.
    let a = write(dir.path(), "a.txt", b"Storm hits the coast\n");
    let b = write(
        dir.path(),
        "b.txt",
        b"Parliament passes the budget\nStorm hits the coast\n",
    );
    let out = storyhash(&["dedupe", "-q", &a, &b]);
    assert!(out.status.success(), "{}", stderr(&out));
    let verdicts = lines(&out.stdout);
    let ids: Vec<_> = verdicts.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [format!("{a}:1"), format!("{b}:1"), format!("{b}:2")]);
    assert_eq!(verdicts[2]["duplicate_of"], format!("{a}:1").as_str());
    // One input keeps the line number alone.
    let out = storyhash(&["dedupe", "-q", &a]);
    assert_eq!(lines(&out.stdout)[0]["id"], "1");

    // With --db the text is in the store: say so.
    let db = dir.path().join("db");
    let out = storyhash(&["dedupe", "-q", &a, "--db", db.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = storyhash(&["dedupe", "-q", &b, "--db", db.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("already stored"), "{said}");
    assert!(said.contains("takes its line number"), "{said}");
    // Plain text has no field for an id: the way to give one is said.
    assert!(
        said.contains("a plain-text headline has no id")
            && said.contains("give the headlines ids as JSON Lines, e.g. `jq -R -c"),
        "{said}"
    );

    // ingest: the hint on the error line of an article without an id, not on one with an id.
    let out = storyhash_stdin(
        &["ingest", "--db", db.to_str().unwrap()],
        b"{\"title\":\"Elections called for May\"}\n{\"id\":\"1\",\"title\":\"Elections called for May\"}\n",
    );
    // Both refused: a stream of which nothing could be taken, each line answered.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let answers = lines(&out.stdout);
    let first = answers[0]["error"].as_str().unwrap();
    let second = answers[1]["error"].as_str().unwrap();
    assert!(first.contains("takes its line number"), "{first}");
    assert!(second.contains("already stored"), "{second}");
    assert!(!second.contains("line number"), "{second}");
}

/// An id given again with another text is refused naming the line that gave it first in the run (by
/// its input with several), past repeats and refused records between; one stored by an earlier run into
/// the store is said to be stored.
#[test]
fn an_id_given_again_names_the_line_that_gave_it_first() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "feed.jsonl",
        b"{\"id\":\"x\",\"title\":\"\"}\n{\"id\":\"a\",\"title\":\"Storm hits the coast\"}\n\
          {\"id\":\"a\",\"title\":\"Storm hits the coast\"}\n{\"id\":\"b\",\"title\":\"Markets fall\"}\n\
          {\"id\":\"a\",\"title\":\"Rates held\"}\n",
    );
    let out = storyhash(&["dedupe", "-q", "--on-error", "skip", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains(&format!(
            "{file}:5: article `a` came earlier in the input, at line 2, with a different text"
        )),
        "{said}"
    );
    // With several inputs, by its input.
    let later = write(
        dir.path(),
        "later.jsonl",
        b"{\"id\":\"c\",\"title\":\"Team wins final\"}\n{\"id\":\"b\",\"title\":\"Rates held\"}\n",
    );
    let out = storyhash(&["dedupe", "-q", &file, &later]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // The first refusal stops the run: line 1's empty title.
    assert!(
        stderr(&out).contains(&format!("{file}:1:")),
        "{}",
        stderr(&out)
    );
    let out = storyhash(&["dedupe", "-q", "--on-error", "skip", &file, &later]);
    let said = stderr(&out);
    assert!(
        said.contains(&format!(
            "{later}:2: article `b` came earlier in the input, at {file}:4, with a different text"
        )),
        "{said}"
    );
    // Into a store: a text this run stored is named by its line, one an earlier run stored is stored.
    let db = dir.path().join("db");
    let db = db.to_str().unwrap();
    let out = storyhash(&["dedupe", "-q", "--on-error", "skip", &file, "--db", db]);
    assert!(
        stderr(&out).contains("came earlier in the input, at line 2, with a different text"),
        "{}",
        stderr(&out)
    );
    let out = storyhash(&["dedupe", "-q", "--on-error", "skip", &later, "--db", db]);
    let said = stderr(&out);
    assert!(
        said.contains(&format!(
            "{later}:2: article `b` is already stored with a different text"
        )),
        "{said}"
    );
}

/// A record without an id takes its line number; a later record that gives that number as an id of its
/// own, with another text, is refused naming the line that took it (the user never wrote that id), in
/// `dedupe` and in `ingest`, under the key the id is read from; a repeat of an article stored under that
/// id before took nothing, and an id written twice is told what that means.
#[test]
fn an_id_a_line_took_as_its_number_is_refused_naming_that_line() {
    let dir = tempfile::tempdir().unwrap();
    // Writes `name` and runs `dedupe -q ARGS… FILE`: its standard error, and whether it succeeded.
    let dedupe = |name: &str, text: &str, args: &[&str]| {
        let file = write(dir.path(), name, text.as_bytes());
        let mut all = vec!["dedupe", "-q"];
        all.extend_from_slice(args);
        all.push(&file);
        let out = storyhash(&all);
        (file, stderr(&out), out.status.success(), lines(&out.stdout))
    };
    let (taken, said, ok, verdicts) = dedupe(
        "taken.jsonl",
        "{\"id\":\"a\",\"title\":\"Storm hits the coast\"}\n{\"title\":\"Parliament passes the budget\"}\n\
         {\"id\":\"2\",\"title\":\"Elections called for May\"}\n{\"id\":\"a\",\"title\":\"Rates held\"}\n",
        &["--on-error", "skip"],
    );
    assert!(ok, "{said}");
    assert!(
        said.contains(&format!(
            "{taken}:3: article `2` came earlier in the input with a different text (line 2 has no \
             `id` and took its line number as its id: give each record one)"
        )),
        "{said}"
    );
    // An explicit id given twice is not told of line numbers.
    assert!(
        said.contains(&format!(
            "{taken}:4: article `a` came earlier in the input, at line 1, with a different text (an \
             id names"
        )),
        "{said}"
    );
    let ids: Vec<_> = verdicts.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a", "2"]);

    // The id is read from the key named for it (a `null` there is no id), and the line is said to lack
    // that key.
    let (_, said, ok, _) = dedupe(
        "keyed.jsonl",
        "{\"url\":\"u1\",\"title\":\"Storm hits the coast\"}\n{\"url\":null,\"title\":\"Parliament passes the budget\"}\n\
         {\"url\":\"2\",\"title\":\"Elections called for May\"}\n",
        &["--id-field", "url"],
    );
    assert!(!ok);
    assert!(
        said.contains("(line 2 has no `url` and took its line number as its id"),
        "{said}"
    );

    // A line without an id that repeats an article given that id before (the same text) took nothing:
    // the id was written, on line 1, and the message says what an id given twice means.
    let (_, said, ok, _) = dedupe(
        "written.jsonl",
        "{\"id\":\"2\",\"title\":\"Parliament passes the budget\"}\n{\"title\":\"Parliament passes the budget\"}\n\
         {\"id\":\"2\",\"title\":\"Elections called for May\"}\n",
        &["--on-error", "skip"],
    );
    assert!(ok, "{said}");
    assert!(
        said.contains("revises an article under the same `id`"),
        "{said}"
    );
    assert!(!said.contains("line number"), "{said}");

    // With several inputs the line is named by its input, as the id it took is (a colon in the input's
    // name too).
    let first = write(
        dir.path(),
        "first:part.jsonl",
        b"{\"title\":\"Storm hits the coast\"}\n",
    );
    let (_, said, ok, _) = dedupe(
        "second.jsonl",
        &format!("{{\"id\":\"{first}:1\",\"title\":\"Rates held\"}}\n"),
        &[&first],
    );
    assert!(!ok);
    assert!(
        said.contains(&format!(
            "({first}:1 has no `id` and took its line number as its id: give each record one)"
        )),
        "{said}"
    );

    // ingest: a line that gives as its id the line number an earlier line without one took is told
    // which line that was; a later stream whose line 1, without an id, repeats that article took
    // nothing, and the line after it that gives `1` with another text is told of the article stored.
    let db = dir.path().join("db");
    let ingest = |text: &[u8]| {
        let out = storyhash_stdin(&["ingest", "--db", db.to_str().unwrap()], text);
        let answers = lines(&out.stdout);
        let second = answers[1]["error"].as_str().unwrap_or_default().to_string();
        (answers[0].clone(), second)
    };
    let (first, second) = ingest(
        b"{\"title\":\"Elections called for May\"}\n{\"id\":\"1\",\"title\":\"Rates held\"}\n",
    );
    assert_eq!(first["status"], "new");
    assert!(
        second.contains(
            "(line 1 has no `id` and took its line number as its id: give each record one)"
        ),
        "{second}"
    );
    let (first, second) = ingest(
        b"{\"title\":\"Elections called for May\"}\n{\"id\":\"1\",\"title\":\"Markets fall\"}\n",
    );
    assert_eq!(first["repeat"], true);
    assert!(second.contains("already stored"), "{second}");
    assert!(!second.contains("line 1 has no"), "{second}");
}

#[test]
fn a_crawl_written_with_other_keys_is_read_with_the_field_flags() {
    let dir = tempfile::tempdir().unwrap();
    // As the gnews crawl writes its records: `url`, no `id`, the time as `fetched_at`.
    let crawl = write(
        dir.path(),
        "crawl.jsonl",
        b"{\"url\":\"http://a/1\",\"headline\":\"Storm hits the coast overnight\",\"fetched_at\":\"2025-04-30T10:23+08:00\"}\n\
          {\"url\":\"http://b/2\",\"headline\":\"Storm hits the coast overnight!\",\"fetched_at\":\"Wed, 30 Apr 2025 03:30:00 GMT\"}\n",
    );
    let flags = [
        "--id-field",
        "url",
        "--title-field",
        "headline",
        "--published-field",
        "fetched_at",
    ];
    let mut args = vec!["dedupe", crawl.as_str()];
    args.extend(flags);
    let out = storyhash(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = lines(&out.stdout);
    assert_eq!(
        (&v[0]["id"], &v[1]["id"]),
        (&json!("http://a/1"), &json!("http://b/2"))
    );
    assert_eq!(v[1]["duplicate_of"], "http://a/1");
    // Both times were read: no note of untimed or unreadable ones.
    let said = stderr(&out);
    assert!(
        !said.contains("published") && !said.contains("note"),
        "{said}"
    );

    // Without the flags the same file has no title to read: the message names the key looked for, the
    // keys the record has and the flag that reads another.
    let out = storyhash(&["dedupe", &crawl]);
    let said = stderr(&out);
    assert!(
        said.contains(
            "missing field `title`; the record's keys: fetched_at, headline, url \
             (--title-field KEY reads the title from another key)"
        ),
        "{said}"
    );
    let out = storyhash(&["dedupe", &crawl, "--title-field", "name"]);
    assert!(
        stderr(&out).contains("missing field `name`"),
        "{}",
        stderr(&out)
    );
    // A key named for an optional field that no record has is said, as a mistyped one is most often;
    // one that the records have is not.
    let out = storyhash(&[
        "dedupe",
        &crawl,
        "--title-field",
        "headline",
        "--source-field",
        "outlet",
        "--url-field",
        "url",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("none of the 2 records of")
            && said.contains(
                "has the key `outlet`, which --source-field names, so no source was read from them"
            ),
        "{said}"
    );
    assert!(!said.contains("--url-field"), "{said}");
    // A key written as a path into a nested object is told that only the top is read, and how to
    // bring the value up.
    let nested = write(
        dir.path(),
        "nested.jsonl",
        b"{\"item\":{\"guid\":\"g1\",\"title\":\"Storm hits the coast\"}}\n",
    );
    for (flags, hint) in [
        (
            ["--title-field", "item.title"],
            "`jq -c '.title = .item.title'` copies the value to the top, where it is read without \
             --title-field)",
        ),
        (
            ["--title-field", "/item/title"],
            "`jq -c '.title = .item.title'` copies the value to the top",
        ),
    ] {
        let mut args = vec!["dedupe", nested.as_str()];
        args.extend(flags);
        let out = storyhash(&args);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains(hint), "{flags:?}: {}", stderr(&out));
    }
    // A key holding a dot whose first part the record does not have is no path: no jq is offered.
    let out = storyhash(&["dedupe", &nested, "--title-field", "og.title"]);
    assert!(!stderr(&out).contains("jq"), "{}", stderr(&out));
    // ingest says the same of the first line it refused.
    let db = dir.path().join("nested.db");
    let out = storyhash_stdin(
        &[
            "ingest",
            "--db",
            db.to_str().unwrap(),
            "--title-field",
            "item.title",
        ],
        &std::fs::read(&nested).unwrap(),
    );
    assert!(
        stderr(&out).contains("`jq -c '.title = .item.title'` copies the value to the top"),
        "{}",
        stderr(&out)
    );
    let out = storyhash(&["dedupe", &nested, "--id-field", "item.guid"]);
    assert!(
        stderr(&out).contains(
            "`jq -c '.guid = .item.guid'` copies the value to the top, read with --id-field guid"
        ),
        "{}",
        stderr(&out)
    );
    // The engine's refusal names the key the field was read from.
    let empty = write(
        dir.path(),
        "empty-url.jsonl",
        b"{\"url\":\"\",\"title\":\"Storm hits the coast\"}\n",
    );
    let out = storyhash(&["dedupe", &empty, "--id-field", "url"]);
    assert!(
        stderr(&out).contains("field `id` is empty (read from `url`)"),
        "{}",
        stderr(&out)
    );
    // White space alone is no id either, as it is no title.
    let blank = write(
        dir.path(),
        "blank-url.jsonl",
        b"{\"url\":\" \\t\",\"title\":\"Storm hits the coast\"}\n",
    );
    let out = storyhash(&["dedupe", &blank, "--id-field", "url"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("blank-url.jsonl:1: field `id` is empty (read from `url`)"),
        "{}",
        stderr(&out)
    );
    // A mistyped time key shows in the note of articles without a time.
    let mut args = vec!["dedupe", crawl.as_str()];
    args.extend([
        "--title-field",
        "headline",
        "--published-field",
        "fetchd_at",
    ]);
    let out = storyhash(&args);
    assert!(
        stderr(&out).contains("2 of them have no `fetchd_at` time"),
        "{}",
        stderr(&out)
    );
    // So does the count of times in no form storyhash reads.
    let unreadable = write(
        dir.path(),
        "unreadable.jsonl",
        b"{\"url\":\"http://c/3\",\"headline\":\"Parliament passes the budget\",\"fetched_at\":\"last tuesday\"}\n",
    );
    let mut args = vec!["dedupe", unreadable.as_str(), "-o", "/dev/null"];
    args.extend(flags);
    let out = storyhash(&args);
    let said = stderr(&out);
    assert!(
        out.status.success() && said.contains("1 with a `fetched_at` time in no form"),
        "{said}"
    );

    // ingest takes the same flags.
    let db = dir.path().join("news.db");
    let mut args = vec!["ingest", "--db", db.to_str().unwrap()];
    args.extend(flags);
    let out = storyhash_stdin(&args, &std::fs::read(&crawl).unwrap());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines(&out.stdout)[1]["duplicate_of"], "http://a/1");

    // CSV: a column by its name, in any case.
    let csv = write(
        dir.path(),
        "feed.csv",
        b"GUID,title\nx1,Parliament passes the budget\n",
    );
    let out = storyhash(&["dedupe", &csv, "--id-field", "guid"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines(&out.stdout)[0]["id"], "x1");

    // A key named for the id that a record lacks (misspelt, most often) is an error at that record,
    // not a line number taken as its id; a `null` id is still none.
    let crawl = write(
        dir.path(),
        "typo.jsonl",
        b"{\"url\":\"http://a/1\",\"title\":\"Storm hits the coast\"}\n\
          {\"URL\":null,\"title\":\"Parliament passes the budget\"}\n",
    );
    let out = storyhash(&["dedupe", &crawl, "--id-field", "URL"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("typo.jsonl:1: missing field `URL`"),
        "{}",
        stderr(&out)
    );
    let out = storyhash(&["dedupe", &crawl, "--id-field", "URL", "--on-error", "skip"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines(&out.stdout).len(), 1);
    assert_eq!(lines(&out.stdout)[0]["id"], "2");

    // Plain text has no keys: the flags are refused there rather than ignored.
    let text = write(dir.path(), "h.txt", b"Storm hits the coast\n");
    let out = storyhash(&["dedupe", &text, "--id-field", "url"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("plain text"), "{}", stderr(&out));
}

#[test]
fn an_empty_input_is_no_records_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["day.csv", "day.jsonl", "day.txt"] {
        let empty = write(dir.path(), name, b"");
        let out = storyhash(&["dedupe", &empty]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{name}");
        assert!(
            stderr(&out).contains("0 records"),
            "{name}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn lines_ending_in_a_carriage_return_alone_are_lines_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "mac.txt",
            &b"Fed holds rates steady\rStorm hits the coast\rElection results are in\r"[..],
        ),
        (
            "mac.csv",
            b"id,title\ra,Fed holds rates steady\rb,Storm hits the coast\rc,Election results are in",
        ),
        (
            "mac.jsonl",
            b"{\"id\":\"a\",\"title\":\"Fed holds rates steady\"}\r\
              {\"id\":\"b\",\"title\":\"Storm hits the coast\"}\r\
              {\"id\":\"c\",\"title\":\"Election results are in\"}\r",
        ),
        // A line break inside a quoted cell, as Excel writes one, is no line end.
        (
            "cell.csv",
            b"id,title,body\ra,Fed holds rates steady,\"first\nsecond\"\rb,Storm hits the coast,\r\
              c,Election results are in,\r",
        ),
        // Nor does a stray carriage return in the first line of a file of `\n` lines make one.
        (
            "stray.txt",
            b"Fed holds rates \r steady\nStorm hits the coast\nElection results are in\n",
        ),
    ];
    for (name, bytes) in files {
        let input = write(dir.path(), name, bytes);
        let out = storyhash(&["dedupe", "-q", &input]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert_eq!(lines(&out.stdout).len(), 3, "{name}: three records");
    }
    // A bad record is named by its line as an editor counts it.
    let input = write(
        dir.path(),
        "bad.jsonl",
        b"{\"id\":\"a\",\"title\":\"Fed holds rates steady\"}\r{\"id\":\"b\",\"title\":\r",
    );
    let out = storyhash(&["dedupe", "-q", &input]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.jsonl:2:"), "{}", stderr(&out));
    // A stream through `ingest` too.
    let db = dir.path().join("db");
    let out = storyhash_stdin(
        &["ingest", "--db", db.to_str().unwrap()],
        b"{\"id\":\"a\",\"title\":\"Fed holds rates steady\"}\r{\"id\":\"b\",\"title\":\"Storm hits the coast\"}\r",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines(&out.stdout).len(), 2);
}
