//! The repository's sample of real headlines (`data/uci-stories-dev.jsonl`) for unit tests that check a
//! property over every headline of it.

/// Every title of the sample, in file order.
pub(crate) fn titles() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/uci-stories-dev.jsonl");
    let text = std::fs::read_to_string(path).expect("the sample in data/");
    text.lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            record["title"].as_str().expect("a title").to_string()
        })
        .collect()
}
