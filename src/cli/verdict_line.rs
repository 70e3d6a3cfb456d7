//! One verdict of `dedupe` as a line of JSON, written straight into the output buffer: the bytes
//! `serde_json` writes for [`VerdictLine`] (the same field order, escapes and number forms), which a
//! test compares against it, without serde's per-field machinery. A string that needs an escape is
//! handed to `serde_json` itself, and so is the similarity, whose shortest form is its to choose.

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
    /// Appends the line and its `\n` to `out`.
    pub(super) fn write(&self, out: &mut Vec<u8>) {
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
        // Writing into memory cannot fail.
        let _ = serde_json::to_writer(&mut *out, &self.similarity);
        out.extend_from_slice(b"}\n");
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
fn number(mut n: u64, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
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
        let similarities = [
            None,
            Some(1.0),
            Some(0.5),
            Some(0.9921875),
            Some(0.1),
            Some(0.333_333_34),
        ];
        let statuses = [Status::New, Status::Duplicate, Status::NearDuplicate];
        let mut n = 0usize;
        for (i, id) in ids.iter().enumerate() {
            for (j, &cluster) in numbers.iter().enumerate() {
                for similarity in similarities {
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
                    line.write(&mut written);
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
