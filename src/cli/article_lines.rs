//! Where each article a `dedupe` run stored came from, its input and line, by the number the engine
//! gave it, and whether it took that line's number as its id for want of one: a record refused because
//! an earlier record of the run holds its id with another text is told that record's line (and, when
//! the user never wrote that id, that the line had none), rather than left to search the input for the
//! id. Four bytes an article; the inputs' names once each, since a run reads its inputs one after
//! another.

/// The lines of the articles a run stored, by article number.
pub(super) struct ArticleLines {
    /// The number of the run's first article (those below were in the store before the run).
    first: u64,
    /// The line of article `first + i`, with [`FROM_LINE`] set when it took its line number as its id,
    /// or [`UNKNOWN`].
    lines: Vec<u32>,
    /// Each input's name, from the index in `lines` of its first article on.
    inputs: Vec<(usize, String)>,
}

/// A line not noted: past what the bits below [`FROM_LINE`] hold, or a number no article of the run
/// took.
const UNKNOWN: u32 = u32::MAX;

/// The bit of a noted line that says its record took the line number as its id.
const FROM_LINE: u32 = 1 << 31;

/// Where an earlier article of the run came from: `line N`, or `NAME:N` with several inputs.
pub(super) struct Place {
    pub(super) shown: String,
    /// The record had no id and took its line number (`NAME:LINE`) as one.
    pub(super) took_its_line: bool,
}

impl ArticleLines {
    /// For a run whose first new article takes the number `first` (the engine's
    /// [`numbered`](storyhash::Engine::numbered) before it).
    /// The number of the run's first article: those below were in the store before the run.
    pub(super) fn first(&self) -> u64 {
        self.first
    }

    pub(super) fn new(first: u64) -> ArticleLines {
        ArticleLines {
            first,
            lines: Vec::new(),
            inputs: Vec::new(),
        }
    }

    /// Notes that article `number`, new in this run, came from line `line` of input `name`, and
    /// whether it took the line's number as its id (`from_line`).
    pub(super) fn insert(&mut self, number: u64, name: &str, line: u64, from_line: bool) {
        let Some(at) = number
            .checked_sub(self.first)
            .and_then(|at| usize::try_from(at).ok())
        else {
            return;
        };
        if at >= self.lines.len() {
            self.lines.resize(at + 1, UNKNOWN);
        }
        self.lines[at] = match u32::try_from(line) {
            Ok(line) if line < FROM_LINE => line | if from_line { FROM_LINE } else { 0 },
            _ => UNKNOWN,
        };
        if self.inputs.last().is_none_or(|(_, last)| last != name) {
            self.inputs.push((at, name.to_string()));
        }
    }

    /// Where article `number` came from, if this run stored it: `line N`, or `NAME:N` when the run
    /// reads several inputs (`named`).
    pub(super) fn place_of(&self, number: u64, named: bool) -> Option<Place> {
        let at = usize::try_from(number.checked_sub(self.first)?).ok()?;
        let noted = *self.lines.get(at).filter(|&&noted| noted != UNKNOWN)?;
        let line = noted & !FROM_LINE;
        let shown = if named {
            let i = self.inputs.partition_point(|(start, _)| *start <= at);
            let (_, name) = &self.inputs[i.checked_sub(1)?];
            format!("{name}:{line}")
        } else {
            format!("line {line}")
        };
        Some(Place {
            shown,
            took_its_line: noted & FROM_LINE != 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_article_of_the_run_is_found_by_its_number_in_its_own_input() {
        let mut lines = ArticleLines::new(10);
        lines.insert(10, "a.jsonl", 1, false);
        lines.insert(11, "a.jsonl", 3, true);
        // A number no article of the run took (a refused record, say) is not found.
        lines.insert(13, "b.jsonl", 1, false);
        lines.insert(14, "b.jsonl", 7, false);
        let place = |number, named| {
            lines
                .place_of(number, named)
                .map(|p| (p.shown, p.took_its_line))
        };
        assert_eq!(place(11, false), Some(("line 3".into(), true)));
        assert_eq!(place(10, true), Some(("a.jsonl:1".into(), false)));
        assert_eq!(place(11, true), Some(("a.jsonl:3".into(), true)));
        assert_eq!(place(13, true), Some(("b.jsonl:1".into(), false)));
        assert_eq!(place(14, true), Some(("b.jsonl:7".into(), false)));
        for number in [9, 12, 15] {
            assert!(place(number, true).is_none(), "{number}");
        }
        // An article in the store before the run is not noted.
        lines.insert(3, "a.jsonl", 2, false);
        assert!(lines.place_of(3, false).is_none());
        // Nor a line past what the bits hold.
        lines.insert(15, "b.jsonl", u64::from(FROM_LINE), false);
        lines.insert(16, "b.jsonl", u64::from(u32::MAX) + 5, true);
        assert!(lines.place_of(15, false).is_none());
        assert!(lines.place_of(16, false).is_none());
    }
}
