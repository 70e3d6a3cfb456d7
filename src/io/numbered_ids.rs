//! The records that took their line numbers as their ids: a record without an id is named by its line
//! (its position counted from 1), and a later record that gives that number as an id of its own, with
//! another text, is refused as an id given twice. Its message can then say which line had no id, since
//! the user never wrote the first one. One bit a line, up to a bound for a stream that may never end.

/// Lines from this one on are not noted by [`NumberedIds::for_a_stream`]: 16 MiB of bits.
pub const FIRST_LINE_NOT_NOTED_IN_A_STREAM: u64 = 1 << 27;

/// The lines of one input whose records were taken under their line numbers.
#[derive(Clone, Debug)]
pub struct NumberedIds {
    bits: Vec<u64>,
    /// The first line not noted.
    end: u64,
}

impl NumberedIds {
    /// For a file, which ends: every line noted (one bit each, beside the engine's many bytes for the
    /// record).
    pub fn for_a_file() -> NumberedIds {
        NumberedIds {
            bits: Vec::new(),
            end: u64::MAX,
        }
    }

    /// For a stream that may never end: lines noted up to [`FIRST_LINE_NOT_NOTED_IN_A_STREAM`].
    pub fn for_a_stream() -> NumberedIds {
        NumberedIds {
            bits: Vec::new(),
            end: FIRST_LINE_NOT_NOTED_IN_A_STREAM,
        }
    }

    /// Notes that the record of line `line` was taken under its line number, as an article of its own
    /// (not as a repeat of one stored under that id before, whose id may have been written).
    pub fn insert(&mut self, line: u64) {
        if line >= self.end {
            return;
        }
        let word = (line / 64) as usize;
        if self.bits.len() <= word {
            self.bits.resize(word + 1, 0);
        }
        self.bits[word] |= 1 << (line % 64);
    }

    /// The line whose record took `id` as its line number, if one was noted: `id` written as a line
    /// number is (digits only, no leading zero, as `"7"`, not `"07"` or `"+7"`).
    pub fn line_taking(&self, id: &str) -> Option<u64> {
        if id.is_empty() || id.starts_with('0') || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let line: u64 = id.parse().ok()?;
        let word = self.bits.get(usize::try_from(line / 64).ok()?)?;
        (word & (1 << (line % 64)) != 0).then_some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_taken_under_its_number_is_found_by_that_number_and_no_other() {
        let mut numbered = NumberedIds::for_a_file();
        for line in [1, 63, 64, 65, 1_000_000] {
            numbered.insert(line);
        }
        for line in [1, 63, 64, 65, 1_000_000] {
            assert_eq!(numbered.line_taking(&line.to_string()), Some(line));
        }
        for id in [
            "2",
            "62",
            "66",
            "999999",
            "1000001",
            "01",
            "+1",
            "",
            "a",
            "1.0",
            "99999999999999999999999",
        ] {
            assert_eq!(numbered.line_taking(id), None, "{id}");
        }
    }

    #[test]
    fn a_streams_lines_are_noted_up_to_a_bound_and_a_files_all() {
        let last = FIRST_LINE_NOT_NOTED_IN_A_STREAM - 1;
        let mut stream = NumberedIds::for_a_stream();
        stream.insert(FIRST_LINE_NOT_NOTED_IN_A_STREAM);
        stream.insert(last);
        assert_eq!(
            stream.line_taking(&FIRST_LINE_NOT_NOTED_IN_A_STREAM.to_string()),
            None
        );
        assert_eq!(stream.line_taking(&last.to_string()), Some(last));
        let mut file = NumberedIds::for_a_file();
        file.insert(FIRST_LINE_NOT_NOTED_IN_A_STREAM);
        assert_eq!(
            file.line_taking(&FIRST_LINE_NOT_NOTED_IN_A_STREAM.to_string()),
            Some(FIRST_LINE_NOT_NOTED_IN_A_STREAM)
        );
    }
}
