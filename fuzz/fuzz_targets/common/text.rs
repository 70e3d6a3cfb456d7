//! What normalising, shingling, content terms and ingest must do with any text: never panic, and keep the
//! content terms within their bound. The first line is taken as a source name, the rest as the headline
//! and body.

use storyhash::normalize::{normalize_body, normalize_title};
use storyhash::shingle::shingle_hashes;
use storyhash::{Article, Engine, EngineConfig, ShingleKind};

pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (source, rest) = text.split_once('\n').unwrap_or(("", text));
    let title = normalize_title(rest, Some(source).filter(|s| !s.is_empty()));
    let body = normalize_body(rest);
    let mut hashes = Vec::new();
    for kind in [
        ShingleKind::Char(5),
        ShingleKind::Word(1),
        ShingleKind::Char(1),
    ] {
        shingle_hashes(&title, kind, &mut hashes);
        shingle_hashes(&body, kind, &mut hashes);
    }
    let mut terms = Vec::new();
    storyhash::story::terms(&title, &mut terms);
    assert!(terms.len() <= storyhash::story::MAX_TERMS);
    let engine = Engine::in_memory(EngineConfig::default()).expect("engine");
    let _ = engine.ingest(&Article::new("f", rest).with_body(rest));
}
