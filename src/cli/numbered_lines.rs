//! The lines whose records `dedupe` took under their line numbers: a record without an id is named by
//! its line (`LINE`, or `NAME:LINE` with several inputs), and a later record that gives that name as an
//! id of its own, with another text, is refused as an id given twice. Its message then says which line
//! had no id, since the user never wrote the first one. One bit a line, for each input (up to a bound
//! in a stream).

/// Lines from this one on are not noted in a stream ([`NumberedLines::for_a_stream`]): 16 MiB of bits,
/// however long a stream `ingest` reads.
const FIRST_LINE_NOT_NOTED: u64 = 1 << 27;

/// The lines of each input whose records were taken under their line numbers.
pub(super) struct NumberedLines {
    inputs: Vec<(String, Vec<u64>)>,
    /// The first line not noted.
    end: u64,
}

impl NumberedLines {
    /// For files, which end: every line noted (one bit each, beside the engine's many bytes for the
    /// record).
    pub(super) fn for_files() -> NumberedLines {
        NumberedLines {
            inputs: Vec::new(),
            end: u64::MAX,
        }
    }

    /// For a stream that may never end: lines noted up to [`FIRST_LINE_NOT_NOTED`].
    pub(super) fn for_a_stream() -> NumberedLines {
        NumberedLines {
            inputs: Vec::new(),
            end: FIRST_LINE_NOT_NOTED,
        }
    }

    /// Notes that line `line` of input `name` was taken under its line number, as an article of its
    /// own (not as a repeat of one stored under that id before, whose id may have been written).
    pub(super) fn insert(&mut self, name: &str, line: u64) {
        if line >= self.end {
            return;
        }
        // The input being read is the last one noted, but for its first line.
        let bits = match self.inputs.iter().rposition(|(n, _)| n == name) {
            Some(i) => &mut self.inputs[i].1,
            None => {
                self.inputs.push((name.to_string(), Vec::new()));
                &mut self.inputs.last_mut().expect("just pushed").1
            }
        };
        let word = (line / 64) as usize;
        if bits.len() <= word {
            bits.resize(word + 1, 0);
        }
        bits[word] |= 1 << (line % 64);
    }

    /// Where the record lies that took `id` as its line number, if one of the run did: `line N` of
    /// input `current` when ids are line numbers alone, `NAME:N` when they are named by their input
    /// (`ids_named`).
    pub(super) fn place_of(&self, id: &str, current: &str, ids_named: bool) -> Option<String> {
        let (name, line) = if ids_named {
            let (name, line) = id.rsplit_once(':')?;
            (name, line)
        } else {
            (current, id)
        };
        // Only the digits a line number is written with: not "+7" or "07".
        if line.is_empty() || !line.bytes().all(|b| b.is_ascii_digit()) || line.starts_with('0') {
            return None;
        }
        let line: u64 = line.parse().ok()?;
        let (_, bits) = self.inputs.iter().find(|(n, _)| n == name)?;
        let word = bits.get((line / 64) as usize)?;
        if word & (1 << (line % 64)) == 0 {
            return None;
        }
        Some(if ids_named {
            format!("{name}:{line}")
        } else {
            format!("line {line}")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_taken_under_its_number_is_found_by_that_number_and_no_other() {
        let mut numbered = NumberedLines::for_a_stream();
        for line in [1, 63, 64, 65, 1_000_000] {
            numbered.insert("in.jsonl", line);
        }
        for line in [1, 63, 64, 65, 1_000_000] {
            assert_eq!(
                numbered.place_of(&line.to_string(), "in.jsonl", false),
                Some(format!("line {line}"))
            );
        }
        for id in [
            "2", "62", "66", "999999", "1000001", "01", "+1", "", "a", "1.0",
        ] {
            assert_eq!(numbered.place_of(id, "in.jsonl", false), None, "{id}");
        }
        // Another input's lines are its own.
        assert_eq!(numbered.place_of("1", "other.jsonl", false), None);
        // A stream's lines are noted up to a bound, not for ever; a file's all.
        numbered.insert("in.jsonl", FIRST_LINE_NOT_NOTED);
        let last = FIRST_LINE_NOT_NOTED - 1;
        numbered.insert("in.jsonl", last);
        assert_eq!(
            numbered.place_of(&FIRST_LINE_NOT_NOTED.to_string(), "in.jsonl", false),
            None
        );
        assert_eq!(
            numbered.place_of(&last.to_string(), "in.jsonl", false),
            Some(format!("line {last}"))
        );
        let mut file = NumberedLines::for_files();
        file.insert("in.jsonl", FIRST_LINE_NOT_NOTED);
        assert_eq!(
            file.place_of(&FIRST_LINE_NOT_NOTED.to_string(), "in.jsonl", false),
            Some(format!("line {FIRST_LINE_NOT_NOTED}"))
        );
    }

    #[test]
    fn with_several_inputs_a_line_is_found_by_its_input_and_number() {
        let mut numbered = NumberedLines::for_files();
        numbered.insert("a.jsonl", 3);
        numbered.insert("dir:with:colons.jsonl", 7);
        assert_eq!(
            numbered.place_of("a.jsonl:3", "b.jsonl", true),
            Some("a.jsonl:3".to_string())
        );
        assert_eq!(
            numbered.place_of("dir:with:colons.jsonl:7", "a.jsonl", true),
            Some("dir:with:colons.jsonl:7".to_string())
        );
        for id in ["a.jsonl:4", "b.jsonl:3", "3", "a.jsonl", "a.jsonl:"] {
            assert_eq!(numbered.place_of(id, "a.jsonl", true), None, "{id}");
        }
    }
}
