//! Where each article a `dedupe` run stored came from, its input and line, by the number the engine
//! gave it: a record refused because an earlier record of the run holds its id with another text is told
//! that record's line, rather than left to search the input for the id. Four bytes an article; the
//! inputs' names once each, since a run reads its inputs one after another.

/// The lines of the articles a run stored, by article number.
pub(super) struct ArticleLines {
    /// The number of the run's first article (those below were in the store before the run).
    first: u64,
    /// The line of article `first + i`, or [`UNKNOWN`].
    lines: Vec<u32>,
    /// Each input's name, from the index in `lines` of its first article on.
    inputs: Vec<(usize, String)>,
}

/// A line not noted: past what four bytes hold, or a number no article of the run took.
const UNKNOWN: u32 = u32::MAX;

impl ArticleLines {
    /// For a run whose first new article takes the number `first` (the engine's
    /// [`numbered`](storyhash::Engine::numbered) before it).
    pub(super) fn new(first: u64) -> ArticleLines {
        ArticleLines {
            first,
            lines: Vec::new(),
            inputs: Vec::new(),
        }
    }

    /// Notes that article `number`, new in this run, came from line `line` of input `name`.
    pub(super) fn insert(&mut self, number: u64, name: &str, line: u64) {
        let Some(at) = number
            .checked_sub(self.first)
            .and_then(|at| usize::try_from(at).ok())
        else {
            return;
        };
        if at >= self.lines.len() {
            self.lines.resize(at + 1, UNKNOWN);
        }
        self.lines[at] = u32::try_from(line).unwrap_or(UNKNOWN);
        if self.inputs.last().is_none_or(|(_, last)| last != name) {
            self.inputs.push((at, name.to_string()));
        }
    }

    /// Where article `number` came from, if this run stored it: `line N`, or `NAME:N` when the run
    /// reads several inputs (`named`).
    pub(super) fn place_of(&self, number: u64, named: bool) -> Option<String> {
        let at = usize::try_from(number.checked_sub(self.first)?).ok()?;
        let line = *self.lines.get(at).filter(|&&line| line != UNKNOWN)?;
        if !named {
            return Some(format!("line {line}"));
        }
        let i = self.inputs.partition_point(|(start, _)| *start <= at);
        let (_, name) = &self.inputs[i.checked_sub(1)?];
        Some(format!("{name}:{line}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_article_of_the_run_is_found_by_its_number_in_its_own_input() {
        let mut lines = ArticleLines::new(10);
        lines.insert(10, "a.jsonl", 1);
        lines.insert(11, "a.jsonl", 3);
        // A number no article of the run took (a refused record, say) is not found.
        lines.insert(13, "b.jsonl", 1);
        lines.insert(14, "b.jsonl", 7);
        assert_eq!(lines.place_of(11, false).as_deref(), Some("line 3"));
        assert_eq!(lines.place_of(10, true).as_deref(), Some("a.jsonl:1"));
        assert_eq!(lines.place_of(11, true).as_deref(), Some("a.jsonl:3"));
        assert_eq!(lines.place_of(13, true).as_deref(), Some("b.jsonl:1"));
        assert_eq!(lines.place_of(14, true).as_deref(), Some("b.jsonl:7"));
        for number in [9, 12, 15] {
            assert_eq!(lines.place_of(number, true), None, "{number}");
        }
        // An article in the store before the run is not noted.
        lines.insert(3, "a.jsonl", 2);
        assert_eq!(lines.place_of(3, false), None);
        // Nor a line past four bytes.
        lines.insert(15, "b.jsonl", u64::from(u32::MAX) + 5);
        assert_eq!(lines.place_of(15, false), None);
    }
}
