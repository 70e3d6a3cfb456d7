//! The repository's sample of real headlines (`data/uci-stories-dev.jsonl`) for unit tests that check a
//! property over every headline of it.

/// The sample's JSON Lines.
pub(crate) fn text() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/uci-stories-dev.jsonl");
    std::fs::read_to_string(path).expect("the sample in data/")
}

/// Every title of the sample, in file order.
pub(crate) fn titles() -> Vec<String> {
    text()
        .lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            record["title"].as_str().expect("a title").to_string()
        })
        .collect()
}
