//! `storyhash eval`: the figures it prints for labelled items and labelled pairs, sweeps, and bad input.

use std::process::Command;

fn eval(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_storyhash"))
        .arg("eval")
        .args(args)
        .output()
        .expect("run storyhash eval")
}

/// `storyhash eval ARGS` with `--json` among them, which must succeed: its rows.
fn eval_rows(args: &[&str]) -> Vec<serde_json::Value> {
    let out = eval(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_lines(&out.stdout)
}

/// `storyhash eval ARGS`, which must be refused as bad input (exit 2): what it said.
fn refused(args: &[&str]) -> String {
    let out = eval(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn labelled_items_report_pairwise_scores_that_match_the_library() {
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let rows = eval_rows(&[sample.to_str().unwrap(), "--json"]);
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(
        (r["items"].as_u64(), r["gold_clusters"].as_u64()),
        (Some(3257), Some(40))
    );
    // The same figure the library gives for its own clusters of the sample.
    let engine = storyhash::Engine::in_memory(storyhash::EngineConfig::default()).unwrap();
    let rows_in = crate::uci_rows();
    let labels: Vec<(u64, String)> = rows_in
        .iter()
        .map(|(id, title, story)| {
            (
                engine
                    .ingest(&storyhash::Article::new(id.as_str(), title.as_str()))
                    .unwrap()
                    .cluster,
                story.clone(),
            )
        })
        .collect();
    let expected =
        storyhash::eval::pairwise(labels.into_iter().map(|(c, s)| (engine.resolve(c), s)));
    assert!((r["precision"].as_f64().unwrap() - expected.precision).abs() < 1e-12);
    assert!((r["ari"].as_f64().unwrap() - expected.ari).abs() < 1e-12);
    assert!(expected.precision >= 0.9);
}

/// A label is the same whether written `1`, `1.0`, `"1"` or `" 1 "`, as a file converted from a
/// spreadsheet or by pandas writes it; `1.5` stays a label of its own.
#[test]
fn a_number_is_one_label_however_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("items.jsonl");
    std::fs::write(
        &file,
        "{\"id\":\"a\",\"title\":\"Magnitude 6.8 earthquake strikes off coast of Japan\",\"story\":1}\n\
         {\"id\":\"b\",\"title\":\"Japan hit by magnitude 6.8 earthquake off its coast\",\"story\":1.0}\n\
         {\"id\":\"c\",\"title\":\"Earthquake of magnitude 6.8 strikes Japan\",\"story\":\"1\"}\n\
         {\"id\":\"d\",\"title\":\"Fed holds interest rates steady as inflation cools\",\"story\":1.5}\n\
         {\"id\":\"e\",\"title\":\"Strong earthquake hits Japan's coast\",\"story\":\" 1 \"}\n\
         {\"id\":\"f\",\"title\":\"Fed keeps rates on hold as inflation eases\",\"story\":\"1.5\\t\"}\n",
    )
    .unwrap();
    let rows = eval_rows(&[file.to_str().unwrap(), "--json"]);
    assert_eq!(
        (rows[0]["items"].as_u64(), rows[0]["gold_clusters"].as_u64()),
        (Some(6), Some(2))
    );
}

/// `-` reads standard input (`zcat labelled.jsonl.gz | storyhash eval -`), scored as the file is; it
/// can be read once.
#[test]
fn standard_input_is_read_as_the_file_is() {
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let sample = sample.to_str().unwrap();
    let from_file = eval_rows(&[sample, "--json"]);
    let bytes = std::fs::read(sample).unwrap();
    let out = crate::cli::storyhash_stdin(&["eval", "-", "--json"], &bytes);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_lines(&out.stdout), from_file);
    let out = crate::cli::storyhash_stdin(&["eval", "-", "--distractors", "-"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("can be read once"));
}

#[test]
fn a_sweep_prints_one_row_per_setting() {
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let rows = eval_rows(&[
        sample.to_str().unwrap(),
        "--json",
        "--sweep",
        "threshold=0.3:0.7:0.2",
        "--sweep",
        "shingle=char4,word1",
    ]);
    let settings: Vec<(f64, String)> = rows
        .iter()
        .map(|r| {
            (
                r["threshold"].as_f64().unwrap(),
                r["shingle"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(settings.len(), 6);
    assert_eq!(settings[0], (0.3, "char4".to_string()));
    assert_eq!(settings[5], (0.7, "word1".to_string()));
    // The same values listed score as the range made them, in the order listed.
    let listed = eval_rows(&[
        sample.to_str().unwrap(),
        "--json",
        "--sweep",
        "threshold=0.7,0.3",
        "--sweep",
        "shingle=char4",
    ]);
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0], rows[4]);
    assert_eq!(listed[1], rows[0]);
    // A higher threshold never clusters more pairs together: recall falls as the threshold rises.
    let recall = |t: f64| {
        rows.iter()
            .find(|r| r["threshold"].as_f64() == Some(t) && r["shingle"] == "char4")
            .unwrap()["recall"]
            .as_f64()
            .unwrap()
    };
    assert!(recall(0.3) >= recall(0.7));
}

#[test]
fn labelled_pairs_report_decision_scores() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = dir.path().join("pairs.jsonl");
    std::fs::write(
        &pairs,
        "{\"sentence_a\":\"Fed holds interest rates steady as inflation cools\",\"sentence_b\":\"Fed holds interest rates steady as inflation cools - Reuters\",\"score\":5}\n\
         {\"sentence_a\":\"Wildfire forces thousands to flee in California\",\"sentence_b\":\"Markets rally after strong jobs report\",\"score\":0.4}\n\
         {\"sentence_a\":\"Volcano erupts in Iceland\",\"sentence_b\":\"Icelandic volcano spews lava near town\",\"score\":4.2}\n",
    )
    .unwrap();
    let rows = eval_rows(&[pairs.to_str().unwrap(), "--positive", "score>=4", "--json"]);
    let r = &rows[0];
    assert_eq!(
        (r["items"].as_u64(), r["positives"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(
        r["precision"].as_f64(),
        Some(1.0),
        "only the true duplicate lands together"
    );
    assert_eq!(
        r["recall"].as_f64(),
        Some(0.5),
        "the reworded one is missed"
    );
}

/// A spreadsheet's pairs converted to JSON hold their scores as text; they compare as the numbers they
/// write. A limit that is no finite number, and a score that is null, are told for what they are.
#[test]
fn scores_written_as_text_compare_as_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = dir.path().join("pairs.jsonl");
    std::fs::write(
        &pairs,
        "{\"sentence_a\":\"Fed holds interest rates steady as inflation cools\",\"sentence_b\":\"Fed holds interest rates steady as inflation cools - Reuters\",\"score\":\"5\"}\n\
         {\"sentence_a\":\"Wildfire forces thousands to flee in California\",\"sentence_b\":\"Markets rally after strong jobs report\",\"score\":\" 0.4\"}\n",
    )
    .unwrap();
    let p = pairs.to_str().unwrap();
    let rows = eval_rows(&[p, "--positive", "score>=4", "--json"]);
    assert_eq!(
        (rows[0]["positives"].as_u64(), rows[0]["recall"].as_f64()),
        (Some(1), Some(1.0))
    );
    for limit in ["NaN", "inf"] {
        let err = refused(&[p, "--positive", &format!("score>={limit}")]);
        assert!(err.contains("the limit is not a finite number"), "{err}");
    }
    std::fs::write(
        &pairs,
        "{\"sentence_a\":\"Volcano erupts\",\"sentence_b\":\"Volcano erupts again\",\"score\":null}\n",
    )
    .unwrap();
    let err = refused(&[p, "--positive", "score>=4"]);
    assert!(
        err.contains("pairs.jsonl:1: field `score` is null; every pair needs a value to test"),
        "{err}"
    );
    std::fs::write(
        &pairs,
        "{\"sentence_a\":\"Volcano erupts\",\"sentence_b\":\"Volcano erupts again\",\"score\":\"high\"}\n",
    )
    .unwrap();
    let err = refused(&[p, "--positive", "score>=4"]);
    assert!(
        err.contains("field `score` is \"high\", not a number to compare"),
        "{err}"
    );
}

/// A precision or recall with nothing to divide by is 1 by definition, and a note says where, so that a
/// sweep's perfect precision at a high threshold is not read as a result.
#[test]
fn a_ratio_with_nothing_to_divide_by_is_noted() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = dir.path().join("pairs.jsonl");
    std::fs::write(
        &pairs,
        "{\"sentence_a\":\"Wildfire forces thousands to flee in California\",\"sentence_b\":\"Markets rally after strong jobs report\",\"same\":false}\n\
         {\"sentence_a\":\"Volcano erupts in Iceland\",\"sentence_b\":\"Icelandic volcano spews lava near town\",\"same\":false}\n",
    )
    .unwrap();
    let out = eval(&[pairs.to_str().unwrap(), "--positive", "same"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no pair of")
            && err.contains("is positive by --positive `same`, so recall is 1"),
        "{err}"
    );
    assert!(
        err.contains("no pair's texts were put together, so precision is 1 by definition"),
        "{err}"
    );
    // Labelled items: only the settings at which nothing was grouped are named.
    let items = dir.path().join("items.jsonl");
    std::fs::write(
        &items,
        "{\"id\":\"1\",\"title\":\"Fed holds interest rates steady as inflation cools\",\"story\":\"fed\"}\n\
         {\"id\":\"2\",\"title\":\"Fed holds interest rates steady as inflation cools down\",\"story\":\"fed\"}\n\
         {\"id\":\"3\",\"title\":\"Markets rally after strong jobs report\",\"story\":\"jobs\"}\n",
    )
    .unwrap();
    let out = eval(&[items.to_str().unwrap(), "--sweep", "threshold=0.5,1.0"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "no two items share a cluster at 1 of the 2 settings (threshold 1.000), so its \
             precision is 1 by definition"
        ),
        "{err}"
    );
    // The table splits on white space into as many fields in its heading as in each row.
    let table = String::from_utf8_lossy(&out.stdout);
    let widths: Vec<usize> = table
        .lines()
        .map(|l| l.split_whitespace().count())
        .collect();
    assert_eq!(widths.len(), 3, "{table}");
    assert!(widths.iter().all(|&w| w == widths[0]), "{table}");
}

/// What a labelled file of the real world holds besides labelled items: items without a label, records
/// repeated, times in no form read. Each is scored as the README says, and a note says so.
#[test]
fn unlabelled_repeated_and_untimed_items_are_scored_as_said() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("items.jsonl");
    let line = |id: &str, title: &str, story: &str, published: &str| {
        let mut v = serde_json::json!({"id": id, "title": title, "published": published});
        if !story.is_empty() {
            v["story"] = story.into();
        }
        format!("{v}\n")
    };
    let labelled = [
        line(
            "1",
            "Magnitude 6.8 earthquake strikes off coast of Japan",
            "quake",
            "2025-03-01T02:00:00Z",
        ),
        line(
            "2",
            "Japan hit by magnitude 6.8 earthquake off its coast",
            "quake",
            "2025-03-01T02:30:00Z",
        ),
        line(
            "3",
            "Fed holds interest rates steady as inflation cools",
            "fed",
            "2025-03-02T18:00:00Z",
        ),
        line(
            "4",
            "Federal Reserve keeps rates on hold, citing cooling inflation",
            "fed",
            "2025-03-02T18:20:00Z",
        ),
    ]
    .concat();
    std::fs::write(&file, &labelled).unwrap();
    let rows = |path: &std::path::Path| {
        let out = eval(&[path.to_str().unwrap(), "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            json_lines(&out.stdout).remove(0),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (plain, said) = rows(&file);
    assert_eq!(plain["items"].as_u64(), Some(4));
    // Only that no two share a near-duplicate cluster (its precision 1 by definition) is noted.
    assert!(
        said.lines()
            .all(|l| !l.contains("note") || l.contains("no two items share a cluster")),
        "{said}"
    );
    // The same items with an unlabelled one (no key), one labelled null and one blank (an empty cell
    // of a converted spreadsheet): all take part, none is scored (the two blank ones are not one gold
    // story), and a note counts them.
    let with_unlabelled = format!(
        "{labelled}{}{}{}",
        line(
            "5",
            "Markets rally after strong jobs report",
            "",
            "2025-03-03T14:00:00Z"
        ),
        r#"{"id":"6","title":"Stocks climb as jobs data beats forecasts","story":null}"#.to_owned()
            + "\n",
        r#"{"id":"7","title":"Wildfire forces evacuations in California","story":" "}"#.to_owned()
            + "\n"
    );
    std::fs::write(&file, &with_unlabelled).unwrap();
    let (scored, said) = rows(&file);
    assert_eq!(scored["items"].as_u64(), Some(4));
    assert!(
        said.contains("of the 7 records of") && said.contains("3 records without a `story` label"),
        "{said}"
    );
    // None labelled: refused, saying how to read a feed.
    let none = dir.path().join("none.jsonl");
    std::fs::write(
        &none,
        line("1", "Markets rally", "", "2025-03-03T14:00:00Z"),
    )
    .unwrap();
    let out = eval(&[none.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("its record has no gold field `story`") && err.contains("--feed"),
        "{err}"
    );
    // A record repeated (same id and text) is scored once: the figures are those without it.
    std::fs::write(
        &file,
        format!(
            "{labelled}{}",
            line(
                "1",
                "Magnitude 6.8 earthquake strikes off coast of Japan",
                "quake",
                "2025-03-01T02:00:00Z"
            )
        ),
    )
    .unwrap();
    let (repeated, said) = rows(&file);
    assert_eq!(repeated, plain, "{said}");
    assert!(
        said.contains("1 record of") && said.contains("is scored once"),
        "{said}"
    );
    // Repeated with another label: refused, naming both lines.
    std::fs::write(
        &file,
        format!(
            "{labelled}{}",
            line(
                "3",
                "Fed holds interest rates steady as inflation cools",
                "quake",
                "2025-03-02T18:00:00Z"
            )
        ),
    )
    .unwrap();
    let out = eval(&[file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("items.jsonl:5: repeats the record of line 3")
            && err.contains("`quake` here, `fed` on line 3"),
        "{err}"
    );
    // A repeat labels the record it repeats when that one has none: the record is scored, and counted
    // neither as unlabelled nor twice.
    let first = line(
        "1",
        "Magnitude 6.8 earthquake strikes off coast of Japan",
        "",
        "2025-03-01T02:00:00Z",
    );
    std::fs::write(
        &file,
        format!(
            "{first}{}",
            labelled.split_inclusive('\n').skip(1).collect::<String>()
                + &line(
                    "1",
                    "Magnitude 6.8 earthquake strikes off coast of Japan",
                    "quake",
                    "2025-03-01T02:00:00Z"
                )
        ),
    )
    .unwrap();
    let (relabelled, said) = rows(&file);
    assert_eq!(relabelled, plain, "{said}");
    assert!(!said.contains("not scored"), "{said}");
    // No two records left to share a label once the repeat is scored once: the note says the scores
    // say nothing.
    let first_labelled = first.replace("\"published\"", "\"story\":\"quake\",\"published\"");
    std::fs::write(
        &file,
        format!(
            "{first_labelled}{first_labelled}{}",
            line(
                "3",
                "Fed holds interest rates steady as inflation cools",
                "fed",
                "2025-03-02T18:00:00Z"
            )
        ),
    )
    .unwrap();
    let (_, said) = rows(&file);
    assert!(
        said.contains("no two records of") && said.contains("is scored once"),
        "{said}"
    );
    // A time in no form read is named at its line: the item takes its arrival time.
    std::fs::write(
        &file,
        labelled.replace("2025-03-02T18:20:00Z", "last tuesday"),
    )
    .unwrap();
    let (_, said) = rows(&file);
    assert!(
        said.contains("1 has a `published` time in no form storyhash reads")
            && said.contains("items.jsonl:4 `last tuesday`"),
        "{said}"
    );
}

/// Settings in force that the table has no column for are named under it, and `--json` gives them.
#[test]
fn settings_the_table_does_not_show_are_named() {
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let sample = sample.to_str().unwrap();
    let flags = ["--linkage", "single", "--window", "1h", "--fields", "title"];
    let out = eval(&[&[sample][..], &flags].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("in force but not in the table's columns: --linkage single, --window 1h, --fields title"),
        "{said}"
    );
    let rows = eval_rows(&[&[sample, "--json"][..], &flags].concat());
    assert_eq!(
        (
            rows[0]["linkage"].as_str(),
            rows[0]["window"].as_u64(),
            rows[0]["fields"].as_str()
        ),
        (Some("single"), Some(3600), Some("title"))
    );
    // The defaults need no note.
    let out = eval(&[sample]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("note"));
}

/// Pairs labelled by a boolean: `!FIELD` names the negatives; a missing or empty text names its key.
#[test]
fn boolean_pair_labels_name_negatives_and_bad_texts_name_their_key() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = dir.path().join("pairs.jsonl");
    std::fs::write(
        &pairs,
        "{\"a\":\"Fed holds interest rates steady as inflation cools\",\"b\":\"Fed holds interest rates steady as inflation cools - Reuters\",\"same\":true}\n\
         {\"a\":\"Wildfire forces thousands to flee in California\",\"b\":\"Markets rally after strong jobs report\",\"same\":false}\n",
    )
    .unwrap();
    let p = pairs.to_str().unwrap();
    // The file's pairs read from `a` and `b`, with `args`.
    let with_texts = |args: &[&'static str]| -> Vec<&str> {
        [&[p][..], args, &["--text-a", "a", "--text-b", "b"]].concat()
    };
    // The pairs scored with `same` as the positives and `!same` as the negatives: how many of each, and
    // the share of negatives together.
    let scored = || {
        let rows = eval_rows(&with_texts(&[
            "--positive",
            "same",
            "--negative",
            "!same",
            "--json",
        ]));
        (
            rows[0]["positives"].as_u64(),
            rows[0]["negatives"].as_u64(),
            rows[0]["negatives_together"].as_f64(),
        )
    };
    assert_eq!(scored(), (Some(1), Some(1), Some(0.0)));
    // Flags that name one pair both ways are told so.
    let out = eval(&with_texts(&["--positive", "same", "--negative", "same"]));
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(
            "pairs.jsonl:1 is both positive by --positive `same` and negative by --negative `same`: \
             it counts as both"
        ),
        "{said}"
    );
    // A boolean compared with a word is told the form booleans take; a label missing names the keys.
    let err = refused(&with_texts(&["--positive", "same==true"]));
    assert!(
        err.contains("`true` is not a number; a field that holds true is named alone: `same`"),
        "{err}"
    );
    let err = refused(&with_texts(&["--positive", "same == FALSE"]));
    assert!(err.contains("named after `!`: `!same`"), "{err}");
    // Labels written as text, as a converted spreadsheet writes them, are the same labels.
    std::fs::write(
        &pairs,
        "{\"a\":\"Fed holds interest rates steady as inflation cools\",\"b\":\"Fed holds interest rates steady as inflation cools - Reuters\",\"same\":\"TRUE\"}\n\
         {\"a\":\"Wildfire forces thousands to flee in California\",\"b\":\"Markets rally after strong jobs report\",\"same\":\"false\"}\n",
    )
    .unwrap();
    assert_eq!(scored(), (Some(1), Some(1), Some(0.0)));
    let err = refused(&with_texts(&["--positive", "score>=4"]));
    assert!(
        err.contains("field `score` is missing; the record's keys: a, b, same"),
        "{err}"
    );
    // Without --text-a and --text-b: the keys the record has.
    let out = eval(&[p, "--positive", "same"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("field `sentence_a` is missing")
            && err.contains("the record's keys: a, b, same"),
        "{err}"
    );
    std::fs::write(
        &pairs,
        "{\"a\":\"Fed holds rates\",\"b\":\" \",\"same\":true}\n",
    )
    .unwrap();
    let out = eval(&[p, "--positive", "same", "--text-a", "a", "--text-b", "b"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pairs.jsonl:1: field `b` is empty"), "{err}");
}

#[test]
fn a_flag_of_another_kind_of_input_is_refused_not_ignored() {
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let sample = sample.to_str().unwrap();
    // A gold field means labelled items; pairs and feeds have none, and the flag would change nothing.
    for (args, named) in [
        (
            &["--gold", "event", "--positive", "score>=4"][..],
            "'--gold <FIELD>' cannot be used with '--positive <EXPR>'",
        ),
        (
            &["--gold", "event", "--feed"][..],
            "'--gold <FIELD>' cannot be used with '--feed'",
        ),
        (&["--text-a", "headline"][..], "--positive <EXPR>"),
        (&["--text-b", "headline"][..], "--positive <EXPR>"),
    ] {
        let err = refused(&[&[sample], args].concat());
        assert!(err.contains(named), "{args:?}: {err}");
    }
}

#[test]
fn bad_input_names_the_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let items = dir.path().join("items.jsonl");
    std::fs::write(
        &items,
        "{\"id\":\"1\",\"title\":\"A\",\"story\":\"s\"}\n{\"id\":\"2\",\"title\":\"B\"}\n",
    )
    .unwrap();
    // A label that is no label is refused at its line.
    let objects = dir.path().join("objects.jsonl");
    std::fs::write(
        &objects,
        "{\"id\":\"1\",\"title\":\"A\",\"story\":\"s\"}\n{\"id\":\"2\",\"title\":\"B\",\"story\":{\"id\":7}}\n",
    )
    .unwrap();
    let err = refused(&[objects.to_str().unwrap()]);
    assert!(
        err.contains("objects.jsonl:2: gold field `story` is an object, not a label"),
        "{err}"
    );
    // And no note says the labels are apart before the error.
    assert!(!err.contains("by definition"), "{err}");
    // A line that is no object: an array says how to make it lines.
    let array = dir.path().join("array.jsonl");
    std::fs::write(&array, "[{\"id\":\"1\",\"title\":\"A\",\"story\":\"s\"}]\n").unwrap();
    let err = refused(&[array.to_str().unwrap()]);
    assert!(
        err.contains("array.jsonl:1: expected a JSON object, found an array")
            && err.contains("jq -c"),
        "{err}"
    );
    // CSV is not read, and the message gives the command that converts it.
    let csv = dir.path().join("items.csv");
    std::fs::write(&csv, "id,title,story\n1,A,s\n").unwrap();
    let err = refused(&[csv.to_str().unwrap()]);
    assert!(
        err.contains("items.csv:1: not JSON") && err.contains("csv.DictReader"),
        "{err}"
    );
    let out = eval(&[items.to_str().unwrap(), "--sweep", "threshold=0.9:0.1:0.1"]);
    assert_eq!(out.status.code(), Some(2));
    // A distractor the engine refuses is named by its own file and line; lines past
    // --distractor-limit are not read, bad or not.
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let feed = dir.path().join("feed.jsonl");
    std::fs::write(
        &feed,
        "{\"title\":\"Volcano erupts near Reykjavik\"}\n{\"title\":\"  \"}\nnot json\n",
    )
    .unwrap();
    let limited = |n| {
        eval(&[
            sample.to_str().unwrap(),
            "--distractors",
            feed.to_str().unwrap(),
            "--distractor-limit",
            n,
        ])
    };
    let out = limited("2");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("feed.jsonl:2 (a distractor): ") && err.contains("`title` is empty"),
        "{err}"
    );
    let out = limited("1");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The id key a flag names is required of the labelled items, not of the distractors, whose ids are
    // made for them.
    let out = eval(&[
        sample.to_str().unwrap(),
        "--distractors",
        feed.to_str().unwrap(),
        "--distractor-limit",
        "1",
        "--id-field",
        "id",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A file of pairs read as items says how to score it.
    let pairs = dir.path().join("pairs.jsonl");
    std::fs::write(
        &pairs,
        "{\"sentence_a\":\"A b c\",\"sentence_b\":\"A b d\",\"score\":4.2}\n",
    )
    .unwrap();
    let out = eval(&[pairs.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("pairs.jsonl: its record has no gold field `story`")
            && err.contains("--positive"),
        "{err}"
    );
    // Pairs are read from their own flags, not from the article fields' flags.
    let out = eval(&[
        pairs.to_str().unwrap(),
        "--positive",
        "score>=4",
        "--title-field",
        "headline",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--text-a and --text-b"), "{err}");
    // A bare field tests true or false: a number there is told how to compare it.
    let out = eval(&[pairs.to_str().unwrap(), "--positive", "score"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("pairs.jsonl:1: field `score` is 4.2, not true or false")
            && err.contains("`score>=4`"),
        "{err}"
    );
    let out = eval(&[pairs.to_str().unwrap(), "--positive", "grade>=4"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("pairs.jsonl:1: field `grade` is missing"),
        "{err}"
    );
    // A title that is a number is no headline, as for dedupe.
    let numeric = dir.path().join("numeric.jsonl");
    std::fs::write(&numeric, "{\"id\":\"1\",\"title\":17,\"story\":\"s\"}\n").unwrap();
    let out = eval(&[numeric.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("numeric.jsonl:1: field `title`"), "{err}");
    // Pairs scored without --negative show no negatives, not NaN.
    let out = eval(&[pairs.to_str().unwrap(), "--positive", "score>=4"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(!table.contains("NaN"), "{table}");
    // Text that is not UTF-8, and an id given twice with two texts, are named by their line.
    let latin = dir.path().join("latin.jsonl");
    std::fs::write(
        &latin,
        b"{\"id\":\"1\",\"title\":\"A\",\"story\":\"s\"}\n{\"id\":\"2\",\"title\":\"caf\xe9\",\"story\":\"s\"}\n",
    )
    .unwrap();
    let out = eval(&[latin.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("latin.jsonl:2: invalid UTF-8") && err.contains("iconv"),
        "{err}"
    );
    let twice = dir.path().join("twice.jsonl");
    std::fs::write(
        &twice,
        "{\"id\":\"a\",\"title\":\"Storm hits the coast\",\"story\":\"s\"}\n\
         {\"id\":\"a\",\"title\":\"Markets fall again\",\"story\":\"t\"}\n",
    )
    .unwrap();
    let out = eval(&[twice.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("twice.jsonl:2: article `a` is given twice in the file")
            && !err.contains("line number"),
        "{err}"
    );
    // An item without an id takes its line number: when another item names that number as its id,
    // whichever of the two is refused says why.
    for (name, text) in [
        (
            "numbered.jsonl",
            "{\"id\":\"2\",\"title\":\"Storm hits the coast\",\"story\":\"s\"}\n\
             {\"title\":\"Markets fall again\",\"story\":\"t\"}\n",
        ),
        (
            "named.jsonl",
            "{\"title\":\"Storm hits the coast\",\"story\":\"s\"}\n\
             {\"id\":\"1\",\"title\":\"Markets fall again\",\"story\":\"t\"}\n",
        ),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        let path = file.to_str().unwrap();
        for args in [&[path][..], &[path, "--feed"]] {
            let out = eval(args);
            assert_eq!(out.status.code(), Some(2));
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains(&format!("{name}:2: article `"))
                    && err.contains("give each item an id"),
                "{err}"
            );
        }
    }
    // Nothing to score is refused rather than scored perfect.
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "\n").unwrap();
    let out = eval(&[empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("empty.jsonl holds no records to score"),
        "{err}"
    );
    // Gold labels that pair nothing: the figures are scored, with a note that they say nothing; none
    // when two share a label.
    for (name, second, noted) in [
        (
            "apart.jsonl",
            r#"{"title":"Markets fall again","story":"t"}"#,
            true,
        ),
        (
            "together.jsonl",
            r#"{"title":"Storm batters the coast","story":"s"}"#,
            false,
        ),
    ] {
        let path = dir.path().join(name);
        let first = r#"{"title":"Storm hits the coast","story":"s"}"#;
        std::fs::write(&path, format!("{first}\n{second}\n")).unwrap();
        let out = eval(&[path.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: {err}");
        assert_eq!(err.contains("no two records of"), noted, "{name}: {err}");
    }
    let out = eval(&["--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("adjusted Rand index") && help.contains("harmonic mean"),
        "{help}"
    );
}

/// A parameter is swept by one `--sweep` (a second for it is refused rather than taking the first's
/// place), and a value a sweep makes that no setting takes is named with the sweep that made it.
#[test]
fn a_sweep_names_its_own_errors() {
    let sample = crate::repo_data("uci-stories-dev.jsonl");
    let sample = sample.to_str().unwrap();
    let refused = |args: &[&str]| {
        let out = eval(&[&[sample], args].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing scored");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = refused(&[
        "--sweep",
        "threshold=0.4:0.5:0.1",
        "--sweep",
        "threshold=0.6:0.7:0.1",
    ]);
    assert!(
        err.contains(
            "--sweep `threshold=0.6:0.7:0.1`: threshold is swept already by --sweep \
             `threshold=0.4:0.5:0.1`"
        ),
        "{err}"
    );
    let err = refused(&["--sweep", "threshold=0.3:1.5:0.5"]);
    assert!(
        err.contains("--sweep `threshold=0.3:1.5:0.5`: invalid --threshold: 1.3"),
        "{err}"
    );
    // A range without end, or of more settings than anyone runs, is refused before any run.
    let err = refused(&["--sweep", "threshold=0.3:inf:0.1"]);
    assert!(err.contains("need finite START <= END"), "{err}");
    let err = refused(&["--sweep", "threshold=0.3:0.7:1e-12"]);
    assert!(err.contains("more than 1000; take a larger STEP"), "{err}");
    // A value given twice would score one setting twice.
    let err = refused(&["--sweep", "shingle=word1,char5,word1"]);
    assert!(
        err.contains("--sweep `shingle=word1,char5,word1`: word1 is given twice"),
        "{err}"
    );
    let err = refused(&["--sweep", "story_gap=1d,24h"]);
    assert!(err.contains("1d and 24h are one setting"), "{err}");
    let err = refused(&["--sweep", "threshold=0.5,0.50"]);
    assert!(err.contains("0.5 and 0.50 are one setting"), "{err}");
    let err = refused(&["--sweep", "threshold=0.3:0.3000005:0.0000001"]);
    assert!(
        err.contains("a STEP under 0.000001 makes settings alike"),
        "{err}"
    );
    let err = refused(&["--sweep", "permutations=128,7"]);
    assert!(err.contains("--sweep `permutations=128,7`: "), "{err}");
    let err = refused(&["--sweep", "threshold=0.4,high"]);
    assert!(
        err.contains("--sweep `threshold=0.4,high`: threshold takes START:END:STEP"),
        "{err}"
    );
    // A flag the sweep would replace unseen.
    let err = refused(&["--threshold", "0.7", "--sweep", "threshold=0.4,0.5"]);
    assert!(
        err.contains("--sweep `threshold=0.4,0.5` sweeps what --threshold 0.7 sets"),
        "{err}"
    );
    let err = refused(&["--story-gap", "2d", "--sweep", "story_gap=12h,1d"]);
    assert!(err.contains("what --story-gap 2d sets"), "{err}");
    // A flag of its own is named as a flag.
    let err = refused(&["--threshold", "2", "--sweep", "shingle=char4"]);
    assert!(
        err.contains("--threshold") && !err.contains("--sweep"),
        "{err}"
    );
    // A flag of another kind of scoring is refused rather than left unused.
    assert!(refused(&["--show", "3"]).contains("--feed"));
    assert!(refused(&["--span-days", "2"]).contains("--feed"));
    // A unit where the flag's name says it: the way to write it.
    let err = refused(&["--feed", "--span-days", "7d"]);
    assert!(
        err.contains("`7d`: --span-days is a number of days, without a unit (e.g. 7 or 1.5)"),
        "{err}"
    );
    assert!(refused(&["--level", "story"]).contains("--positive"));
}

/// An unlabelled feed: the share of articles in stories that run longer than `--span-days`, and a note
/// when articles have no time of their own to run long by.
#[test]
fn a_feed_scores_how_long_its_stories_run() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, timed: bool| {
        let path = dir.path().join(name);
        let mut lines = String::new();
        // One headline revised over 60 hours (each revision within a day of the one before, so that its
        // story stays open), an exact copy of it a month on (which keeps the story but does not make
        // it run longer), and one other.
        let revisions = [
            (0, "Volcano erupts near Reykjavik as flights are grounded"),
            (
                20,
                "Volcano erupts near Reykjavik as more flights are grounded",
            ),
            (
                40,
                "Volcano erupts near Reykjavik as all flights are grounded",
            ),
            (60, "Volcano erupts near Reykjavik as flights stay grounded"),
            (
                60 + 30 * 24,
                "Volcano erupts near Reykjavik as flights are grounded",
            ),
        ];
        for (i, (hours, title)) in revisions.into_iter().enumerate() {
            let mut record = serde_json::json!({"id": format!("v{i}"), "title": title});
            if timed {
                record["published"] = (1_700_000_000 + hours * 3600).into();
            }
            lines.push_str(&format!("{record}\n"));
        }
        let mut other = serde_json::json!({"id": "b", "title": "Central bank holds rates steady"});
        if timed {
            other["published"] = 1_700_000_000.into();
        }
        lines.push_str(&format!("{other}\n"));
        std::fs::write(&path, lines).unwrap();
        path
    };
    let timed = write("timed.jsonl", true);
    let long_share = |path: &std::path::Path, days: &str| {
        let out = eval(&[
            path.to_str().unwrap(),
            "--feed",
            "--json",
            "--span-days",
            days,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let row = json_lines(&out.stdout).remove(0);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        (row["long_share"].as_f64().unwrap(), err, row)
    };
    let (share, err, row) = long_share(&timed, "2");
    assert_eq!(
        share,
        5.0 / 6.0,
        "five of six articles in a story of 2.5 days"
    );
    assert!(err.is_empty(), "{err}");
    // The largest story's sample shows each of its headlines once; its times are its members'.
    let largest = &row["largest_stories"][0];
    assert_eq!(largest["size"], 5, "{row}");
    assert_eq!(largest["sample"].as_array().unwrap().len(), 4, "{row}");
    assert_eq!(largest["first"], "2023-11-14T22:13:20Z", "{row}");
    assert_eq!(largest["last"], "2023-12-17T10:13:20Z", "{row}");
    assert_eq!(long_share(&timed, "7").0, 0.0, "the copy a month on");
    // The largest stories of each setting of a sweep are headed by the whole setting.
    let out = eval(&[
        timed.to_str().unwrap(),
        "--feed",
        "--sweep",
        "story_gap=12h,1d",
    ]);
    let table = String::from_utf8_lossy(&out.stdout);
    for gap in ["12h", "1d"] {
        let heading = format!("largest stories at threshold 0.5, shingle char5, 128 permutations, story 0.150/0.30/{gap}/7d/off:");
        assert!(table.contains(&heading), "{table}");
    }
    // Without times every article takes its arrival, and nothing can run long: a note says so.
    let untimed = write("untimed.jsonl", false);
    let (share, err, _) = long_share(&untimed, "2");
    assert_eq!(share, 0.0);
    assert!(
        err.contains("note: all 6 articles of") && err.contains("have no `published` time"),
        "{err}"
    );
    assert!(err.contains("--published-field"), "{err}");
    // A crawl that writes its fields under other names is read by naming them, as `dedupe` reads it.
    let renamed = dir.path().join("renamed.jsonl");
    let lines: String = std::fs::read_to_string(&timed)
        .unwrap()
        .lines()
        .map(|line| {
            let r: serde_json::Value = serde_json::from_str(line).unwrap();
            let crawled = serde_json::json!({
                "link": r["id"], "headline": r["title"], "fetched_at": r["published"]
            });
            format!("{crawled}\n")
        })
        .collect();
    std::fs::write(&renamed, lines).unwrap();
    let rows = eval_rows(&[
        renamed.to_str().unwrap(),
        "--feed",
        "--json",
        "--span-days",
        "2",
        "--id-field",
        "link",
        "--title-field",
        "headline",
        "--published-field",
        "fetched_at",
    ]);
    assert_eq!(rows[0]["long_share"], 5.0 / 6.0);
    // A span is a number of days above zero.
    for days in ["0", "-1", "nan", "inf", "week"] {
        let out = eval(&[
            timed.to_str().unwrap(),
            "--feed",
            &format!("--span-days={days}"),
        ]);
        assert_eq!(out.status.code(), Some(2), "--span-days {days}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--span-days"), "{err}");
    }
}

/// What makes eval's scores differ from what dedupe gives on the same file is said: a time under a key
/// of its own, a body read from `description`, and labels that are pandas' missing values made text.
#[test]
fn what_eval_reads_otherwise_than_dedupe_or_a_label_that_is_no_label_is_noted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("items.jsonl");
    let items = [
        (
            "Magnitude 6.8 earthquake strikes off coast of Japan",
            "quake",
            "2025-03-01T02:00:00Z",
        ),
        (
            "Japan hit by magnitude 6.8 earthquake off its coast",
            "quake",
            "2025-03-01T02:30:00Z",
        ),
        (
            "Fed holds interest rates steady as inflation cools",
            "nan",
            "2025-03-02T18:00:00Z",
        ),
        (
            "Wildfire forces evacuations in California",
            "nan",
            "2025-03-02T18:20:00Z",
        ),
    ];
    let lines: String = items
        .iter()
        .enumerate()
        .map(|(i, (title, story, date))| {
            format!(
                "{}\n",
                serde_json::json!({"id": i.to_string(), "title": title, "story": story,
                    "date": date, "description": "Read the full story."})
            )
        })
        .collect();
    std::fs::write(&file, lines).unwrap();
    let out = eval(&[file.to_str().unwrap()]);
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    for note in [
        "none of the 4 records of",
        "hold one under `date`, which --published-field date reads",
        "eval reads `description` as the body of the 4 records",
        "dedupe and ingest read only as --body-field description says",
        "2 records of",
        "have the `story` label `nan`, `None`, `<NA>` or `NaT`",
    ] {
        assert!(said.contains(note), "{note:?} in {said}");
    }
    // Read as named, none of it is said.
    let out = eval(&[
        file.to_str().unwrap(),
        "--published-field",
        "date",
        "--body-field",
        "description",
    ]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        !said.contains("--published-field date reads")
            && !said.contains("eval reads `description`"),
        "{said}"
    );
}

/// The flags of --feed are refused beside --positive, as beside labelled items, not ignored.
#[test]
fn feed_flags_beside_positive_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pairs.jsonl");
    std::fs::write(
        &file,
        "{\"sentence_a\":\"Storm hits the coast\",\"sentence_b\":\"Storm batters coast\",\"score\":4.2}\n",
    )
    .unwrap();
    for flag in [["--show", "3"], ["--span-days", "3"]] {
        let said = refused(&[
            file.to_str().unwrap(),
            "--positive",
            "score>=4",
            flag[0],
            flag[1],
        ]);
        assert!(said.contains(flag[0]), "{said}");
    }
}
