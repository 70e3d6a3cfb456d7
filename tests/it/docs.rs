//! The documentation's commands work from a fresh clone: they name no file outside the repository, every
//! repository file they name exists, and the benchmark corpus generator they point to runs on archives of
//! the documented shape.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::{lines, stderr, storyhash};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shell commands of a Markdown file: the lines of its ```sh blocks, with their line numbers.
fn shell_lines(markdown: &str) -> Vec<(usize, &str)> {
    let mut inside = false;
    let mut out = Vec::new();
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            inside = !inside && trimmed.trim_start_matches('`').starts_with("sh");
            continue;
        }
        if inside {
            out.push((i + 1, line));
        }
    }
    out
}

#[test]
fn documented_commands_name_only_files_a_clone_has() {
    let mut docs = vec![repo().join("README.md")];
    for entry in std::fs::read_dir(repo().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            docs.push(path);
        }
    }
    let mut checked = 0;
    for doc in docs {
        let text = std::fs::read_to_string(&doc).unwrap();
        let name = doc.strip_prefix(repo()).unwrap().display().to_string();
        for (line, command) in shell_lines(&text) {
            // Comments say where an input comes from; the command itself is what must run.
            let command = command.split(" # ").next().unwrap_or(command);
            for word in command.split_whitespace() {
                let word = word.trim_matches(|c| "'\"@();|&<>".contains(c));
                assert!(
                    !word.starts_with("../"),
                    "{name}:{line}: `{word}` lies outside the repository"
                );
                let in_repo = [
                    "data/", "bench/", "docs/", "tests/", "benches/", "fuzz/", "src/",
                ]
                .iter()
                .any(|dir| word.starts_with(dir));
                if in_repo {
                    assert!(
                        repo().join(word).exists(),
                        "{name}:{line}: `{word}` is not in the repository"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 5, "only {checked} repository paths found");
}

/// Writes archives of the shape `bench/make_corpora.py` documents: `heads` headlines, each polled twice,
/// and two GNews items.
fn tiny_archives(dir: &Path, heads: usize) {
    let script = format!(
        r#"
import gzip, json, os
d = {dir:?}
with gzip.open(os.path.join(d, "news-archive-headlines.jsonl.gz"), "wt", encoding="utf-8") as f:
    for i in range({heads}):
        f.write(json.dumps({{"id": i, "title": f"Headline number {{i}} about the storm season", "source": "Feed", "lang": "en", "first_seen": "2025-07-24T16:27"}}) + "\n")
with gzip.open(os.path.join(d, "news-archive-observations.tsv.gz"), "wt") as f:
    for poll in ("2025-07-24T16:27", "2025-07-24T19:27"):
        for i in range({heads}):
            f.write(f"{{poll}}\t{{i}}\n")
with gzip.open(os.path.join(d, "gnews-headlines.jsonl.gz"), "wt", encoding="utf-8") as f:
    for i in range(2):
        f.write(json.dumps({{"fetched_at": "2025-04-30T10:23+08:00", "title": f"GNews item {{i}}", "description": "d", "url": f"https://example.com/{{i}}", "domain": "example.com"}}) + "\n")
"#,
        dir = dir.to_str().unwrap()
    );
    let status = Command::new("python3")
        .args(["-c", &script])
        .status()
        .expect("python3 is needed for the benchmark scripts");
    assert!(status.success());
}

#[test]
fn the_corpus_generator_runs_on_archives_it_is_given() {
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let script = repo().join("bench").join("make_corpora.py");
    // Without the archives it says which are missing, and writes nothing.
    let missing = Command::new("python3")
        .arg(&script)
        .args(["--data", data.path().to_str().unwrap()])
        .arg(out.path().join("nothing"))
        .output()
        .expect("run make_corpora.py");
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("news-archive-headlines.jsonl.gz"),
        "{}",
        stderr(&missing)
    );
    assert!(!out.path().join("nothing").exists());
    // With them it writes the three corpora.
    tiny_archives(data.path(), 20);
    let made = Command::new("python3")
        .arg(&script)
        .args(["--data", data.path().to_str().unwrap()])
        .arg(out.path())
        .output()
        .expect("run make_corpora.py");
    assert!(made.status.success(), "{}", stderr(&made));
    let read = |name: &str| -> Vec<serde_json::Value> {
        lines(&std::fs::read(out.path().join(name)).unwrap())
    };
    let stream = read("stream-1m.jsonl");
    assert_eq!(stream.len(), 40, "one line per poll of each headline");
    assert_eq!(stream[0]["published"], "2025-07-24T16:27:00Z");
    let edits = read("edits-1m.jsonl");
    assert_eq!(edits.len(), 200, "each headline and 9 edited copies");
    assert!(edits.iter().all(|e| e["base"].is_string()));
    assert_eq!(read("gnews-86k.jsonl").len(), 2);
    // And storyhash reads what it wrote.
    let edits_path = out.path().join("edits-1m.jsonl");
    let run = storyhash(&["dedupe", "-q", edits_path.to_str().unwrap()]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(lines(&run.stdout).len(), 200);
}
