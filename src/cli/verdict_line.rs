//! One verdict of `dedupe` as a line of JSON, written straight into the output buffer: the bytes
//! `serde_json` writes for [`VerdictLine`] (the same field order, escapes and number forms), which a
//! test compares against it, without serde's per-field machinery. A string that needs an escape is
//! handed to `serde_json` itself, and so is the similarity, whose shortest form is its to choose; a
//! run's similarities are few distinct values (whole numbers of permutations out of all of them), so
//! [`Similarities`] keeps the text of each it has formatted.

use storyhash::io::needs_no_escape;
use storyhash::Status;

/// The fields of a verdict line, in their order (serialised by `serde_json` only to test [`write`]
/// against it).
///
/// [`write`]: VerdictLine::write
#[cfg_attr(test, derive(serde::Serialize))]
pub(super) struct VerdictLine<'a> {
    pub(super) id: &'a str,
    pub(super) cluster: u64,
    pub(super) story: u64,
    pub(super) status: Status,
    pub(super) duplicate_of: Option<&'a str>,
    pub(super) similarity: Option<f32>,
}

impl VerdictLine<'_> {
    /// Appends the line and its `\n` to `out`, the similarity's text taken from `similarities` when
    /// it holds it.
    pub(super) fn write(&self, similarities: &mut Similarities, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"id\":");
        string(self.id, out);
        out.extend_from_slice(b",\"cluster\":");
        number(self.cluster, out);
        out.extend_from_slice(b",\"story\":");
        number(self.story, out);
        out.extend_from_slice(b",\"status\":\"");
        out.extend_from_slice(self.status.as_str().as_bytes());
        out.extend_from_slice(b"\",\"duplicate_of\":");
        match self.duplicate_of {
            Some(id) => string(id, out),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"similarity\":");
        match self.similarity {
            Some(similarity) => similarities.write(similarity, out),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b"}\n");
    }
}

/// The texts `serde_json` gave the similarities written lately, by their bits: formatting a float costs
/// more than the rest of a line, and a run writes few distinct similarities (1 for every exact copy).
pub(super) struct Similarities {
    /// A similarity's bits, the length of its text (0: no entry) and the text, at a place its bits
    /// choose; a similarity whose place another holds takes it over.
    entries: [(u32, u8, [u8; SIMILARITY_TEXT]); SIMILARITY_PLACES],
}

/// Places in [`Similarities`] (a power of two, more than the 65 similarities of the default
/// threshold and permutations).
const SIMILARITY_PLACES: usize = 128;
/// The longest text [`Similarities`] keeps; a longer one (no `f32` needs it) is formatted each time.
const SIMILARITY_TEXT: usize = 23;

impl Default for Similarities {
    fn default() -> Similarities {
        Similarities {
            entries: [(0, 0, [0; SIMILARITY_TEXT]); SIMILARITY_PLACES],
        }
    }
}

impl Similarities {
    /// Appends `similarity` as `serde_json` writes it.
    fn write(&mut self, similarity: f32, out: &mut Vec<u8>) {
        let bits = similarity.to_bits();
        let place =
            (bits.wrapping_mul(0x9E37_79B1) >> (u32::BITS - SIMILARITY_PLACES.ilog2())) as usize;
        let (held, len, text) = &mut self.entries[place];
        if *len > 0 && *held == bits {
            out.extend_from_slice(&text[..*len as usize]);
            return;
        }
        let start = out.len();
        // Writing into memory cannot fail.
        let _ = serde_json::to_writer(&mut *out, &similarity);
        let written = &out[start..];
        if written.len() <= SIMILARITY_TEXT {
            text[..written.len()].copy_from_slice(written);
            (*held, *len) = (bits, written.len() as u8);
        }
    }
}

/// `text` as a JSON string: copied between quotes when nothing in it needs an escape (a quote, a
/// backslash or a control character), else escaped by `serde_json`.
fn string(text: &str, out: &mut Vec<u8>) {
    if needs_no_escape(text) {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, text);
    }
}

/// `n` in decimal.
fn number(n: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_serde_json_writes() {
        let ids = [
            "0",
            "a1",
            "",
            "quote \" and backslash \\",
            "tab\there, newline\n, nul\u{0}, escape \u{1b}, delete \u{7f}",
            "café 北京 — ’",
            "\u{2028}\u{2029}",
        ];
        let numbers = [0, 1, 9, 10, 99, 100, 4_294_967_295, u64::MAX];
        // Every whole number of 256 permutations (more similarities than the texts kept, so that
        // places are taken over), and a few with long texts.
        let similarities: Vec<Option<f32>> = [None]
            .into_iter()
            .chain((0..=256).map(|equal| Some(equal as f32 / 256.0)))
            .chain([0.1, 0.333_333_34, 1e-7, f32::MIN_POSITIVE, 1e-45, 3.4e38].map(Some))
            .collect();
        let statuses = [Status::New, Status::Duplicate, Status::NearDuplicate];
        // One cache for all lines, as a part of a run's verdicts has.
        let mut texts = Similarities::default();
        let mut n = 0usize;
        for (i, id) in ids.iter().enumerate() {
            for (j, &cluster) in numbers.iter().enumerate() {
                for &similarity in &similarities {
                    n += 1;
                    let line = VerdictLine {
                        id,
                        cluster,
                        story: numbers[(i + j) % numbers.len()],
                        status: statuses[n % 3],
                        duplicate_of: n.is_multiple_of(2).then(|| ids[(i + n) % ids.len()]),
                        similarity,
                    };
                    let mut expected = serde_json::to_vec(&line).expect("serialises");
                    expected.push(b'\n');
                    let mut written = b"kept".to_vec();
                    line.write(&mut texts, &mut written);
                    assert_eq!(
                        String::from_utf8_lossy(&written[4..]),
                        String::from_utf8_lossy(&expected)
                    );
                    assert_eq!(&written[..4], b"kept", "appends");
                }
            }
        }
    }
}
