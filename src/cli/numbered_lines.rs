//! The lines whose records `dedupe` and `ingest` took under their line numbers, for each input by its
//! name ([`NumberedIds`] each): with several inputs a record without an id is named `NAME:LINE`, so
//! that a later record giving that name as its own id, with another text, is told which input's line
//! took it.

use storyhash::io::NumberedIds;

/// The lines of each input whose records were taken under their line numbers.
pub(super) struct NumberedLines {
    inputs: Vec<(String, NumberedIds)>,
    /// What each input's lines are noted in: [`NumberedIds::for_a_file`] or `for_a_stream`.
    fresh: fn() -> NumberedIds,
}

impl NumberedLines {
    /// For files, which end: every line noted.
    pub(super) fn for_files() -> NumberedLines {
        NumberedLines {
            inputs: Vec::new(),
            fresh: NumberedIds::for_a_file,
        }
    }

    /// For a stream that may never end: lines noted up to a bound.
    pub(super) fn for_a_stream() -> NumberedLines {
        NumberedLines {
            inputs: Vec::new(),
            fresh: NumberedIds::for_a_stream,
        }
    }

    /// Notes that line `line` of input `name` was taken under its line number, as an article of its
    /// own (see [`NumberedIds::insert`]).
    pub(super) fn insert(&mut self, name: &str, line: u64) {
        // The input being read is the last one noted, but for its first line.
        let i = match self.inputs.iter().rposition(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                self.inputs.push((name.to_string(), (self.fresh)()));
                self.inputs.len() - 1
            }
        };
        self.inputs[i].1.insert(line);
    }

    /// Where the record lies that took `id` as its line number, if one of the run did: `line N` of
    /// input `current` when ids are line numbers alone, `NAME:N` when they are named by their input
    /// (`ids_named`).
    pub(super) fn place_of(&self, id: &str, current: &str, ids_named: bool) -> Option<String> {
        let (name, line) = if ids_named {
            id.rsplit_once(':')?
        } else {
            (current, id)
        };
        let (_, numbered) = self.inputs.iter().find(|(n, _)| n == name)?;
        let line = numbered.line_taking(line)?;
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
    fn a_line_is_found_in_its_own_input_only() {
        let mut numbered = NumberedLines::for_files();
        numbered.insert("in.jsonl", 1);
        numbered.insert("in.jsonl", 64);
        assert_eq!(
            numbered.place_of("64", "in.jsonl", false),
            Some("line 64".to_string())
        );
        assert_eq!(numbered.place_of("2", "in.jsonl", false), None);
        assert_eq!(numbered.place_of("1", "other.jsonl", false), None);
        // A stream's bound is its inputs'.
        let mut stream = NumberedLines::for_a_stream();
        let past = storyhash::io::FIRST_LINE_NOT_NOTED_IN_A_STREAM;
        stream.insert("<stdin>", past);
        assert_eq!(stream.place_of(&past.to_string(), "<stdin>", false), None);
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
