//! Signatures and band keys are persisted: these pin them for fixed headlines, so that any change to
//! normalisation, shingling, hashing or the coefficient generator shows up here (and must come with a new
//! normaliser version or seed, since stores written before would no longer match).

use storyhash::lsh::band_keys;
use storyhash::prepare::prepare;
use storyhash::signature::MinHasher;
use storyhash::{Article, EngineConfig};
use xxhash_rust::xxh3::xxh3_64;

/// First four signature values, xxh3 of the whole signature (little-endian), first two band keys.
fn computed(title: &str) -> ([u32; 4], u64, [u64; 2]) {
    let config = EngineConfig::default().validate().unwrap();
    let hasher = MinHasher::new(config.params.permutations, config.params.seed);
    let p = prepare(&Article::new("g", title), &config, &hasher).unwrap();
    let bytes: Vec<u8> = p.signature.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut keys = vec![0; config.params.bands];
    band_keys(
        &p.signature,
        config.params.bands,
        config.params.rows,
        &mut keys,
    );
    (
        [
            p.signature[0],
            p.signature[1],
            p.signature[2],
            p.signature[3],
        ],
        xxh3_64(&bytes),
        [keys[0], keys[1]],
    )
}

#[test]
fn default_parameters_are_pinned() {
    let config = EngineConfig::default().validate().unwrap();
    let p = &config.params;
    assert_eq!(
        (p.permutations, p.bands, p.rows, p.seed),
        (128, 30, 4, 0x5354_4f52_5948_4153)
    );
    assert_eq!(p.shingle.name(), "char5");
    assert_eq!(p.normalizer_version, 2);
}

#[test]
fn signatures_and_band_keys_of_fixed_headlines_are_pinned() {
    let pinned: [(&str, [u32; 4], u64, [u64; 2]); 4] = [
        (
            "ECB unlikely to end sterilisation of SMP purchases - traders",
            [170882765, 938824, 47565879, 62859183],
            0x99b7545b8af91073,
            [0x1923d8e81bed50ac, 0x284519a89523d538],
        ),
        (
            "UPDATE 2-Portugal's Democratic Alliance Stands Firm on Governance",
            [44764153, 97243381, 171306666, 289028423],
            0xf230e091b3c3ab9d,
            [0x0266ac1abc794212, 0x9f2be683e1d7e9b5],
        ),
        (
            "Regeringen föreslår höjd skatt på bensin",
            [408275685, 242582904, 86046481, 160126210],
            0x916fa0b504fba1d5,
            [0xe3af5985350bc3ae, 0xc9937d76acf03b79],
        ),
        (
            "中国经济增长放缓",
            [3239373811, 2252518791, 1436556351, 270600510],
            0xd91803db240f9ab6,
            [0x56b6986bc2729ae6, 0x1bf4491e268df6cb],
        ),
    ];
    for (title, head, digest, keys) in pinned {
        assert_eq!(computed(title), (head, digest, keys), "{title}");
    }
}

/// Content terms are stored with every article (the story level is rebuilt from them): pinned too.
#[test]
fn story_terms_are_pinned() {
    let mut terms = Vec::new();
    storyhash::story::terms(
        "ECB unlikely to end sterilisation of SMP purchases",
        &mut terms,
    );
    // "to" and "of" are function words; six content words remain, in order: the acronyms "ECB" and "SMP"
    // (kind 4 in the top three bits) and the rest lowercase in a sentence-case headline (kind 1).
    assert_eq!(
        terms,
        [2239806615, 551804150, 860653494, 716352443, 2344961063, 1066818507]
    );
    storyhash::story::terms("Manning sentenced to 35 years in prison", &mut terms);
    // The opening word capitalised (kind 5, which the story index judges before it stores a term), the
    // number plain (kind 0), the rest lowercase.
    assert_eq!(
        terms,
        [2960336884, 717461667, 517144287, 662342696, 614775401]
    );
}
