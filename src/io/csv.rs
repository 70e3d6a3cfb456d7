//! CSV records: owns the reading of a CSV input whose header row names the columns (matched
//! case-insensitively, with aliases such as `headline` for `title`), sequentially, whole or a chunk of rows
//! at a time, since a quoted field may span lines. It hands on owned [`Article`]s with the line each
//! record starts on, a [`RecordError`] for each row that cannot be read, and a fatal [`RecordError`] when
//! the header or the input itself fails. The `csv` reader ends a quoted field left open at the end of the
//! input as if it were closed, which would take every line after the stray quote into one field;
//! [`QuoteWatch`] follows the quoting as the bytes go in, so that such a row is an error naming the line
//! of its quote, and keeps the bytes of a quoted field still open, so that the lines after the quote's
//! are read again as rows of their own. A stray quote that a later quote closes is refused too: a field
//! run over lines to a quote with text after it (seen by the watch), or one holding a whole row of the
//! file on a line between its first and its last. [`RecordEnds`] follows the same quoting for a reader
//! that hands on whole records only.

use std::borrow::Cow;
use std::io::{self, Read};

use ::csv::{ByteRecord, ReaderBuilder, Terminator};

use super::fields::{Field, FieldNames, STANDARD};
use super::{Record, RecordError};
use crate::model::Article;

/// The rows [`read_csv`] returns: each data row's record (its 1-based line and article), or why it could
/// not be read.
pub type CsvRows = Vec<Result<Record<'static>, RecordError>>;

/// The article fields with the column names that feed them, preferred name first.
const COLUMNS: [(&str, &[&str]); 6] = [
    ("id", &["id", "guid"]),
    ("title", &["title", "headline"]),
    ("body", &["body", "description", "text"]),
    ("source", &["source"]),
    ("url", &["url", "link"]),
    ("published", &["published", "date", "time", "pubdate"]),
];

/// Reads a CSV input whole: one result per data row, in order, each with the 1-based line the row starts
/// on (the header is line 1). [`CsvReader`] reads the same rows a chunk at a time.
///
/// Empty or white-space-only `id` cells give the line number as id; empty or white-space-only cells of the
/// optional columns give `None`. Blank rows — every cell empty or white space, such as the `,,` rows a
/// spreadsheet leaves at the end — are skipped, whatever their width; an empty input has no rows. The
/// outer error is fatal: no `title` column, or a failure of the reader.
///
/// # Errors
///
/// A [`RecordError`] at the header's line when there is no `title` column (its message lists the
/// columns), or at the line reached when reading fails.
pub fn read_csv<R: Read>(reader: R, source_name: &str) -> Result<CsvRows, RecordError> {
    let mut csv = CsvReader::new(reader, source_name)?;
    let mut out = Vec::new();
    while let Some(rows) = csv.next_rows(u64::MAX)? {
        out.extend(rows);
    }
    Ok(out)
}

/// A CSV input read a chunk of rows at a time, so that a caller can decide the rows read so far while it
/// reads the next (a quoted field may span lines, so a CSV input cannot be cut into blocks of lines and
/// parsed apart). The rows, their lines and their errors are those of [`read_csv`].
pub struct CsvReader<R: Read> {
    /// The reader of what is left to read (`None` once that is nothing).
    rdr: Option<::csv::Reader<Watched<R>>>,
    /// Lines and bytes of the input before what `rdr` reads: after a quote never closed, the lines
    /// after the quote's are read by a reader of their own.
    line_offset: u64,
    byte_offset: u64,
    source_name: String,
    columns: Vec<Option<usize>>,
    width: usize,
    record: ByteRecord,
    done: bool,
    /// The header's columns no field reads, when the id or the time has none (for a note).
    unread: Vec<String>,
}

/// The input as the `csv` reader takes it: its first bytes (read to look for a byte order mark) before
/// the rest, watched.
type Watched<R> = QuoteWatch<io::Chain<io::Cursor<Vec<u8>>, R>>;

/// A `csv` reader as storyhash reads CSV: rows of any width, ended by `\n` only (so that csv's line
/// numbers stay exact in CRLF files: with its default terminator a record ends at the `\r` and the next
/// one is counted from the line before; the `\r` left at the end of a row's last field is dropped in
/// `field`).
fn csv_reader<T: Read>(input: T, headers: bool) -> ::csv::Reader<T> {
    ReaderBuilder::new()
        .has_headers(headers)
        .flexible(true)
        .terminator(Terminator::Any(b'\n'))
        .from_reader(input)
}

impl<R: Read> CsvReader<R> {
    /// Reads the header row.
    ///
    /// # Errors
    ///
    /// As [`read_csv`]'s for the header: no `title` column, or a failure of the reader. An empty input
    /// has no rows.
    pub fn new(reader: R, source_name: &str) -> Result<CsvReader<R>, RecordError> {
        CsvReader::with_names(reader, source_name, &STANDARD)
    }

    /// [`new`](Self::new), each field read from the column `names` gives it (any case) where it names
    /// one, else from its usual columns.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new)'s.
    pub fn with_names(
        reader: R,
        source_name: &str,
        field_names: &FieldNames,
    ) -> Result<CsvReader<R>, RecordError> {
        let fatal = |line: u64, message: String| RecordError::new(source_name, line, None, message);
        let reader = skip_bom(reader).map_err(|e| fatal(1, e.to_string()))?;
        let start = reader.get_ref().0.get_ref();
        if super::starts_utf16(start) || super::decompressor(start).is_some() {
            return Err(fatal(1, super::not_utf8(0, start)));
        }
        if let Some(message) = super::unmarked_utf16(start) {
            return Err(fatal(1, message));
        }
        let mut rdr = csv_reader(QuoteWatch::new(reader), true);
        let headers = rdr
            .byte_headers()
            .map_err(|e| fatal(1, e.to_string()))?
            .clone();
        if let Some((line, after)) = open_quote(&rdr) {
            return Err(fatal(line, unclosed(after)));
        }
        // The header's line, past the empty lines the reader skipped before it.
        let header_line = match rdr.get_ref().blank_runs.front() {
            Some(&(0, skipped)) => skipped + 1,
            _ => 1,
        };
        if headers.is_empty() {
            // An empty input holds no records, as an empty JSON Lines file does (a day's export with
            // nothing in it).
            return Ok(CsvReader {
                rdr: None,
                line_offset: 0,
                byte_offset: 0,
                source_name: source_name.to_owned(),
                columns: vec![None; COLUMNS.len()],
                width: 0,
                record: ByteRecord::new(),
                done: true,
                unread: Vec::new(),
            });
        }
        let names: Vec<String> = headers
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().to_lowercase())
            .collect();
        // The columns named for fields; a field left to its usual names takes none of them (with the
        // title read from `text`, the body is not read from it too).
        let named: Vec<Option<String>> = Field::ALL
            .iter()
            .map(|&f| field_names.named(f).map(str::to_lowercase))
            .collect();
        let columns: Vec<Option<usize>> = COLUMNS
            .iter()
            .zip(&named)
            .map(|((_, aliases), given)| match given {
                Some(column) => names.iter().position(|n| n == column),
                None => aliases.iter().find_map(|alias| {
                    let claimed = named.iter().flatten().any(|c| c == alias);
                    (!claimed)
                        .then(|| names.iter().position(|n| n == alias))
                        .flatten()
                }),
            })
            .collect();
        // A `date` column read as the time with a `time` column beside it (and no `published`): the
        // time of day is read from it too, where the two read as a date and a time of day.
        let mut columns = columns;
        if field_names.named(Field::Published).is_none()
            && columns[Field::Published as usize] == names.iter().position(|n| n == "date")
            && columns[Field::Published as usize].is_some()
        {
            columns.push(names.iter().position(|n| n == "time"));
        }
        // The header's names as written, for the messages below.
        let written: Vec<String> = headers
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().to_owned())
            .collect();
        // A field's column named twice in the header: which of the two holds the field cannot be told.
        let repeated = Field::ALL
            .iter()
            .zip(&columns)
            .find_map(|(&field, column)| {
                let c = (*column)?;
                let again = names.iter().skip(c + 1).position(|n| *n == names[c])?;
                Some((field, c, c + 1 + again))
            });
        if let Some((field, first, second)) = repeated {
            return Err(RecordError::new(
                source_name,
                header_line,
                Some(field.name()),
                format!(
                    "columns {} and {} are both named `{}`, and `{}` is read from that name: rename \
                     one of them",
                    first + 1,
                    second + 1,
                    written[first],
                    field.name()
                ),
            ));
        }
        // A column named for a field must be there: a mistyped name would otherwise read nothing.
        let missing = Field::ALL
            .iter()
            .zip(&columns)
            .find(|(f, c)| c.is_none() && **f != Field::Title && field_names.named(**f).is_some());
        if let Some((&field, _)) = missing {
            return Err(RecordError::new(
                source_name,
                header_line,
                Some(field.name()),
                format!(
                    "no `{}` column to read `{}` from; columns are: {}",
                    field_names.key(field),
                    field.name(),
                    written.join(", ")
                ),
            ));
        }
        if columns[1].is_none() {
            // One column whose name holds another separator: the file is not comma-separated.
            let separator = match written.as_slice() {
                [only] => [';', '\t', '|'].into_iter().find(|&c| only.contains(c)),
                _ => None,
            };
            let hint =
                match separator {
                    Some(c) => {
                        format!(
                        "; the header holds no comma but {}: storyhash reads comma-separated CSV, \
                         which {}",
                        if c == '\t' { "tabs".to_string() } else { format!("`{c}`") },
                        to_csv_command(c, "FILE", "FILE.csv")
                    )
                    }
                    // A header that opens a JSON object: JSON Lines under a `.csv` name.
                    None if written
                        .first()
                        .is_some_and(|c| c.trim_start().starts_with('{')) =>
                    {
                        "; the header is a JSON object: the file looks like JSON Lines, which \
                         `--format jsonl` reads"
                            .to_owned()
                    }
                    None => String::new(),
                };
            let wanted = match field_names.named(Field::Title) {
                Some(column) => format!("`{column}`"),
                None => "`title` (or `headline`)".to_owned(),
            };
            return Err(RecordError::new(
                source_name,
                header_line,
                Some("title"),
                format!(
                    "no {wanted} column; columns are: {}{hint}",
                    written.join(", ")
                ),
            ));
        }
        // Without an id or a time column, the columns no field reads: one of them most often holds it.
        let unread = match columns[Field::Id as usize].is_none()
            || columns[Field::Published as usize].is_none()
        {
            true => written
                .iter()
                .enumerate()
                .filter(|(i, name)| !columns.contains(&Some(*i)) && !name.is_empty())
                .map(|(_, name)| name.clone())
                .collect(),
            false => Vec::new(),
        };
        Ok(CsvReader {
            rdr: Some(rdr),
            line_offset: 0,
            byte_offset: 0,
            source_name: source_name.to_owned(),
            columns,
            width: headers.len(),
            record: ByteRecord::new(),
            done: false,
            unread,
        })
    }

    /// The fields without a column (of `id` and `published`, which other names most often hold) and
    /// the header's columns no field reads, when there are both; for a note.
    pub fn unread_columns(&self) -> Option<(Vec<&'static str>, &[String])> {
        let without: Vec<&'static str> = [Field::Id, Field::Published]
            .into_iter()
            .filter(|&f| self.columns[f as usize].is_none())
            .map(Field::name)
            .collect();
        (!without.is_empty() && !self.unread.is_empty()).then_some((without, &self.unread[..]))
    }

    /// The next rows: whole rows are read until at least `bytes` bytes of input have gone into them (at
    /// least one row, unless the input has ended), blank rows skipped, so the rows can be none; `None`
    /// once the input has ended.
    ///
    /// # Errors
    ///
    /// A failure of the reader, at the line reached; the rows read before it in this call are lost with
    /// it, those of earlier calls are not affected.
    pub fn next_rows(&mut self, bytes: u64) -> Result<Option<CsvRows>, RecordError> {
        if self.done {
            return Ok(None);
        }
        let start = self.bytes_read();
        let mut out = Vec::new();
        loop {
            let Some(rdr) = self.rdr.as_mut() else {
                self.done = true;
                break;
            };
            let offset = self.line_offset;
            let more = rdr.read_byte_record(&mut self.record).map_err(|e| {
                let line = e.position().map_or(0, ::csv::Position::line) + offset;
                RecordError::new(&self.source_name, line, None, e.to_string())
            })?;
            if !more {
                self.done = true;
                break;
            }
            let position = self.record.position();
            // A row after empty lines is placed at the first of them: count them in.
            let skipped = position.map_or(0, |p| rdr.get_mut().skipped_blank_lines(p.byte()));
            let line = position.map_or(0, ::csv::Position::line) + offset + skipped;
            if let Some((quote_line, after)) = open_quote(rdr) {
                out.push(Err(RecordError::new(
                    &self.source_name,
                    quote_line,
                    None,
                    unclosed(after),
                )));
                // The row of the quote is that error; the lines after it are rows of their own.
                self.read_after(quote_line);
                continue;
            }
            if self
                .record
                .iter()
                .all(|cell| cell.iter().all(u8::is_ascii_whitespace))
            {
                // A blank row.
            } else if let Some(stray) = self.stray_in(line) {
                out.push(Err(stray));
            } else {
                out.push(row(
                    &self.record,
                    line,
                    &self.columns,
                    self.width,
                    &self.source_name,
                ));
            }
            if self.bytes_read() - start >= bytes {
                break;
            }
        }
        Ok((!out.is_empty() || !self.done).then_some(out))
    }

    /// Why the row just read, on line `line`, is refused for a stray quote that a later one closed, if
    /// it is: the watch saw the field closed by a quote with text after it, or the field holds a whole
    /// row (see [`row_inside_a_field`]). Only a row that runs over lines can be one.
    fn stray_in(&mut self, line: u64) -> Option<RecordError> {
        let lines = self
            .record
            .iter()
            .map(|cell| memchr::memchr_iter(b'\n', cell).count() as u64)
            .sum::<u64>();
        let rdr = self.rdr.as_mut()?;
        let message = match rdr.get_mut().stray_in(line, line + lines) {
            Some((opened, closed)) => format!(
                "a quoted field opens on line {opened} and a quote on line {closed} closes it with \
                 text after it: the lines between were read into that one field (a stray `\"`? CSV \
                 writes a quote inside a field as `\"\"`, in a field quoted whole)"
            ),
            None if lines > 0 => row_inside_a_field(&self.record, &self.columns, self.width, line)?,
            None => return None,
        };
        Some(RecordError::new(&self.source_name, line, None, message))
    }

    /// Bytes of input read so far (the header included, a byte order mark not).
    pub fn bytes_read(&self) -> u64 {
        self.byte_offset + self.rdr.as_ref().map_or(0, |r| r.position().byte())
    }

    /// Once the input has ended inside a quoted field opened on line `quote_line`: reads the lines after
    /// that line afresh, as data rows under the same header (another quote never closed among them is
    /// reported in turn).
    fn read_after(&mut self, quote_line: u64) {
        let Some(rdr) = self.rdr.take() else { return };
        let watch = rdr.into_inner();
        let Some(end) = memchr::memchr(b'\n', &watch.held) else {
            // The quote's line was the last.
            return;
        };
        self.byte_offset += watch.quote_at + end as u64 + 1;
        self.line_offset = quote_line;
        let rest = watch.held[end + 1..].to_vec();
        let (_, input) = watch.inner.into_inner();
        let mut again = QuoteWatch::new(io::Cursor::new(rest).chain(input));
        again.line = quote_line + 1;
        self.rdr = Some(csv_reader(again, false));
    }
}

/// Where the `csv` reader is in a CSV input's quoting, as [`QuoteWatch`] follows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quoting {
    /// At the start of a field: a quote here opens a quoted field.
    FieldStart,
    /// In a field that did not start with a quote: quotes are text.
    Unquoted,
    /// In a quoted field: commas and line ends are text.
    Quoted,
    /// Just after a quote in a quoted field: it closed the field, unless another quote follows.
    QuoteInQuoted,
}

impl Quoting {
    /// The quoting after byte `b`, by `csv`'s rules: a quote opens a field only at its start; in a quoted
    /// field a quote closes it unless another follows (a quote written twice); text after a closing
    /// quote is taken into the field; a comma or a line end outside quotes starts the next field.
    fn after(self, b: u8) -> Quoting {
        match (self, b) {
            (Quoting::Quoted, b'"') => Quoting::QuoteInQuoted,
            (Quoting::Quoted, _) => Quoting::Quoted,
            (Quoting::QuoteInQuoted, b'"') => Quoting::Quoted,
            (Quoting::FieldStart, b'"') => Quoting::Quoted,
            (_, b',' | b'\n') => Quoting::FieldStart,
            _ => Quoting::Unquoted,
        }
    }
}

/// Where CSV records end in an input read a piece at a time: at a line end (`\n`, or `\r` alone) outside
/// a quoted field, with the quoting followed as `csv` follows it. For a reader that hands on whole
/// records only.
#[derive(Debug)]
pub struct RecordEnds(Quoting);

impl Default for RecordEnds {
    fn default() -> Self {
        RecordEnds(Quoting::FieldStart)
    }
}

impl RecordEnds {
    /// Follows `bytes`, the input's next piece; returns where in it the last record ended (one past its
    /// line end), if one did.
    pub fn last_end(&mut self, bytes: &[u8]) -> Option<usize> {
        let mut end = None;
        for (i, &b) in bytes.iter().enumerate() {
            let quoted = matches!(self.0, Quoting::Quoted);
            if !quoted && matches!(b, b'\n' | b'\r') {
                end = Some(i + 1);
            }
            // A carriage return alone ends a line as `\n` does (the readers take it for one).
            self.0 = self.0.after(if b == b'\r' { b'\n' } else { b });
        }
        end
    }
}

/// The input on its way into the `csv` reader, with the quoting followed byte by byte by `csv`'s own rules
/// (RFC 4180 with doubled quotes; a quote opens a field only at its start, and text after a closing quote
/// is taken into the field), the line and position of the last quote that opened a field, the bytes from
/// that quote on while its field is open, and whether the input ended.
struct QuoteWatch<R> {
    inner: R,
    quoting: Quoting,
    line: u64,
    quote_line: u64,
    /// The position of that quote in the bytes followed.
    quote_at: u64,
    /// While a quoted field is open at the end of the bytes followed: the bytes from its quote on.
    held: Vec<u8>,
    lines_after_quote: u64,
    last: u8,
    bytes: u64,
    ended: bool,
    /// Whether the last byte stepped ended a line (or none was stepped yet).
    at_line_start: bool,
    /// The runs of empty lines not yet passed by a row, as the position of the first one's line end and
    /// how many: the `csv` reader skips them before a row but gives the row the position of the first
    /// (see [`skipped_blank_lines`]).
    blank_runs: std::collections::VecDeque<(u64, u64)>,
    /// Quoted fields that ran over lines to a quote that text follows (`"Quoted" title`), not yet passed
    /// by a row: the lines of the quote that opened each and of the one that closed it (see
    /// [`stray_in`](Self::stray_in)).
    strays: std::collections::VecDeque<(u64, u64)>,
    /// Such a field's lines while white space follows its closing quote (`"…" ,`), until text shows
    /// it a stray or the field ends.
    spaced_after_quote: Option<(u64, u64)>,
}

impl<R> QuoteWatch<R> {
    fn new(inner: R) -> QuoteWatch<R> {
        QuoteWatch {
            inner,
            quoting: Quoting::FieldStart,
            line: 1,
            quote_line: 0,
            quote_at: 0,
            held: Vec::new(),
            lines_after_quote: 0,
            last: 0,
            bytes: 0,
            ended: false,
            at_line_start: true,
            blank_runs: std::collections::VecDeque::new(),
            strays: std::collections::VecDeque::new(),
            spaced_after_quote: None,
        }
    }

    /// The stray quote, if any, that opened a field of the row on lines `first..=last` and that a quote
    /// with text after it closed (its line and that quote's); forgets those of earlier rows. A quote
    /// that closes a field is followed by a comma, a line end or another quote: one followed by text,
    /// after a field that ran over lines, most often closed a quote opened by mistake, which took the
    /// rows between into one field.
    fn stray_in(&mut self, first: u64, last: u64) -> Option<(u64, u64)> {
        take_front(&mut self.strays, first, |opened| opened <= last)
    }

    /// How many empty lines begin at position `at`, where the `csv` reader put a row that it read after
    /// skipping them; forgets the empty lines before the row.
    fn skipped_blank_lines(&mut self, at: u64) -> u64 {
        take_front(&mut self.blank_runs, at, |start| start == at).map_or(0, |(_, count)| count)
    }

    /// Follows `bytes`, a run at a time: the text of a quoted field up to its next quote and that of an
    /// unquoted field up to its next comma or line end change nothing but the line count.
    fn follow(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some((&b, after)) = rest.split_first() {
            let run = match self.quoting {
                Quoting::Quoted => memchr::memchr(b'"', rest),
                Quoting::Unquoted => memchr::memchr2(b',', b'\n', rest),
                Quoting::FieldStart | Quoting::QuoteInQuoted => Some(0),
            };
            // Text in the field after a closing quote and white space.
            if self.quoting == Quoting::Unquoted && self.spaced_after_quote.is_some() {
                let text = &rest[..run.unwrap_or(rest.len())];
                if text.iter().any(|b| !matches!(b, b' ' | b'\t' | b'\r')) {
                    self.strays.extend(self.spaced_after_quote.take());
                }
            }
            // An unquoted field's run holds no line end.
            let quoted = self.quoting == Quoting::Quoted;
            let Some(run) = run else {
                if quoted {
                    self.count_lines(rest);
                }
                break;
            };
            if run > 0 {
                if quoted {
                    self.count_lines(&rest[..run]);
                }
                rest = &rest[run..];
                continue;
            }
            self.step(b, self.bytes + (bytes.len() - rest.len()) as u64);
            rest = after;
        }
        if let Some(&last) = bytes.last() {
            self.last = last;
        }
        // A quoted field still open keeps its bytes: from its quote when it opened in these, else all.
        if matches!(self.quoting, Quoting::Quoted | Quoting::QuoteInQuoted) {
            match self.quote_at.checked_sub(self.bytes) {
                Some(from) => {
                    self.held.clear();
                    self.held.extend_from_slice(&bytes[from as usize..]);
                }
                None => self.held.extend_from_slice(bytes),
            }
        } else {
            self.held.clear();
        }
        self.bytes += bytes.len() as u64;
    }

    /// Counts the line ends of a quoted field's run.
    fn count_lines(&mut self, run: &[u8]) {
        let ends = memchr::memchr_iter(b'\n', run).count() as u64;
        self.line += ends;
        self.lines_after_quote += ends;
    }

    /// Follows one byte, at position `at`.
    fn step(&mut self, b: u8, at: u64) {
        if b == b'\n' && self.quoting == Quoting::FieldStart && self.at_line_start {
            match self.blank_runs.back_mut() {
                Some((start, count)) if *start + *count == at => *count += 1,
                _ => self.blank_runs.push_back((at, 1)),
            }
        }
        self.at_line_start = b == b'\n';
        match (self.quoting, b) {
            // White space after a closing quote, the field having run over lines: a stray if text
            // follows it before the field ends (see `follow`).
            (Quoting::QuoteInQuoted, b' ' | b'\t') if self.lines_after_quote > 0 => {
                self.spaced_after_quote = Some((self.quote_line, self.line));
            }
            // Text after a closing quote, the field having run over lines.
            (Quoting::QuoteInQuoted, b)
                if !matches!(b, b'"' | b',' | b'\n' | b'\r') && self.lines_after_quote > 0 =>
            {
                self.strays.push_back((self.quote_line, self.line));
            }
            (Quoting::FieldStart, b'"') => {
                self.quote_line = self.line;
                self.quote_at = at;
                self.lines_after_quote = 0;
            }
            _ => {}
        }
        if matches!(b, b',' | b'\n') {
            self.spaced_after_quote = None;
        }
        self.quoting = self.quoting.after(b);
        if b == b'\n' {
            self.line += 1;
            if self.quoting == Quoting::Quoted {
                self.lines_after_quote += 1;
            }
        }
    }
}

/// Forgets the entries of `queue` (in order of their first number) that begin before `from`, then takes
/// the first left when `wanted` holds of its first number.
fn take_front(
    queue: &mut std::collections::VecDeque<(u64, u64)>,
    from: u64,
    wanted: impl Fn(u64) -> bool,
) -> Option<(u64, u64)> {
    while queue.front().is_some_and(|&(start, _)| start < from) {
        queue.pop_front();
    }
    match queue.front() {
        Some(&(start, _)) if wanted(start) => queue.pop_front(),
        _ => None,
    }
}

impl<R: Read> Read for QuoteWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.ended = true;
        }
        self.follow(&buf[..n]);
        Ok(n)
    }
}

/// The line of the quote that opened a field the input ended in, and how many lines came after it, once
/// the `csv` reader has read up to that end: the row (or header) it last returned then holds every line
/// after the quote.
fn open_quote<R: Read>(rdr: &::csv::Reader<QuoteWatch<R>>) -> Option<(u64, u64)> {
    let watch = rdr.get_ref();
    (watch.ended && watch.quoting == Quoting::Quoted && rdr.position().byte() == watch.bytes).then(
        || {
            // The input's last line end ends a line; it does not start one.
            let after = watch
                .lines_after_quote
                .saturating_sub(u64::from(watch.last == b'\n'));
            (watch.quote_line, after)
        },
    )
}

/// Why the row `record` on line `line` is refused when one of its fields (any but the body's) holds, on
/// a line between its first and its last, a row of the file: a stray quote opened the field and a later
/// quote closed it where a quote may close a field (before a comma or a line end), taking the rows
/// between. A line reads as a row when it holds a row's worth of commas and, where the row's own first
/// field has no white space (an id), a first part without any either (`3,Markets rally,AP`); where the
/// first field has white space, only in rows of three fields or more. A field's first and last lines
/// are the row's and the closing row's own: a headline or tag list over two lines is left alone.
fn row_inside_a_field(
    record: &ByteRecord,
    columns: &[Option<usize>],
    width: usize,
    line: u64,
) -> Option<String> {
    let no_space = |part: &[u8]| !part.is_empty() && !part.iter().any(u8::is_ascii_whitespace);
    let id_like = record
        .get(0)
        .is_some_and(|first| no_space(first.trim_ascii()));
    if width < 2 || (!id_like && width < 3) {
        return None;
    }
    let body = columns.get(Field::Body as usize).copied().flatten();
    for i in (0..record.len()).filter(|&i| Some(i) != body) {
        let Some(cell) = record.get(i) else { continue };
        let lines: Vec<&[u8]> = cell.split(|&b| b == b'\n').collect();
        let Some(middle) = lines.get(1..lines.len().saturating_sub(1)) else {
            continue;
        };
        let Some(k) = middle.iter().position(|l| {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            let first_part = l.split(|&b| b == b',').next().unwrap_or_default();
            l.iter().filter(|&&b| b == b',').count() + 1 >= width
                && (!id_like || no_space(first_part.trim_ascii()))
        }) else {
            continue;
        };
        // The field's first line: the row's, after the line ends of the fields before it.
        let first = line
            + (0..i)
                .filter_map(|j| record.get(j))
                .map(|f| memchr::memchr_iter(b'\n', f).count() as u64)
                .sum::<u64>();
        let shown: String = String::from_utf8_lossy(middle[k])
            .trim_end_matches('\r')
            .chars()
            .take(60)
            .collect();
        return Some(format!(
            "the field in column {} runs from line {first} to line {} and holds a row of its own (line \
             {}: `{shown}`): a quote at the start of a field opens a quoted field, and this one took the \
             rows up to a later quote (a stray `\"`? CSV writes a quote inside a field as `\"\"`, in a \
             field quoted whole)",
            i + 1,
            first + lines.len() as u64 - 1,
            first + k as u64 + 1,
        ));
    }
    None
}

/// The message for a quoted field that opened on a line (named with it) and was never closed.
fn unclosed(lines_after: u64) -> String {
    let opened = "a quoted field opens here and is never closed (a stray `\"`?)";
    match lines_after {
        0 => opened.to_owned(),
        1 => format!("{opened}: the line after it would be read as its text"),
        n => format!("{opened}: the {n} lines after it would all be read as its text"),
    }
}

/// Drops a UTF-8 byte order mark at the start of the input.
fn skip_bom<R: Read>(mut reader: R) -> io::Result<io::Chain<io::Cursor<Vec<u8>>, R>> {
    // Six bytes: enough to tell a compressed file (xz's mark is the longest) from text.
    let mut head = Vec::with_capacity(6);
    (&mut reader).take(6).read_to_end(&mut head)?;
    if head.starts_with(b"\xEF\xBB\xBF") {
        head.drain(..3);
    }
    Ok(io::Cursor::new(head).chain(reader))
}

/// Field `i` of a row, without the `\r` of a CRLF line end.
fn field(record: &ByteRecord, i: usize) -> Option<&[u8]> {
    let bytes = record.get(i)?;
    if i + 1 == record.len() {
        Some(bytes.strip_suffix(b"\r").unwrap_or(bytes))
    } else {
        Some(bytes)
    }
}

/// The place in a reader's columns (after one per field, in [`COLUMNS`] order) of the time-of-day column
/// read with a `date` column, when there is one.
const CLOCK: usize = COLUMNS.len();

/// `date` and `time` as one time, when they read as a date (`2014-03-10`) and a time of day (`16:55` or
/// `16:55:01`).
fn date_and_clock(date: &str, clock: &str) -> Option<String> {
    // `d` a digit, anything else itself.
    let shaped = |text: &str, shape: &str| {
        text.len() == shape.len()
            && text.bytes().zip(shape.bytes()).all(|(t, p)| match p {
                b'd' => t.is_ascii_digit(),
                _ => t == p,
            })
    };
    let (date, clock) = (date.trim(), clock.trim());
    (shaped(date, "dddd-dd-dd") && (shaped(clock, "dd:dd") || shaped(clock, "dd:dd:dd")))
        .then(|| format!("{date} {clock}"))
}

/// One data row as an article. `columns` holds the column of each field (in [`COLUMNS`] order), then
/// perhaps the time-of-day column read with a `date` column ([`CLOCK`]).
fn row(
    record: &ByteRecord,
    line: u64,
    columns: &[Option<usize>],
    width: usize,
    source_name: &str,
) -> Result<Record<'static>, RecordError> {
    if record.len() != width {
        // A quote escaped with a backslash, as JSON and many programs write it, ends the quoted field
        // in CSV, which writes a quote inside quotes twice.
        let escaped_quote = record.iter().any(|f| f.contains(&b'\\'));
        return Err(RecordError::new(
            source_name,
            line,
            None,
            format!(
                "expected {width} fields as in the header, found {}{}",
                record.len(),
                if escaped_quote {
                    " (a quote escaped as `\\\"`? CSV writes a quote inside a quoted field as `\"\"`)"
                } else {
                    ""
                }
            ),
        ));
    }
    let mut values: [Option<String>; 6] = Default::default();
    for ((value, column), (name, _)) in values.iter_mut().zip(columns).zip(COLUMNS) {
        let Some(bytes) = column.and_then(|i| field(record, i)) else {
            continue;
        };
        let text = std::str::from_utf8(bytes).map_err(|e| {
            RecordError::new(
                source_name,
                line,
                Some(name),
                format!("field `{name}`: {}", super::not_utf8(e.valid_up_to(), &[])),
            )
        })?;
        *value = Some(text.to_owned());
    }
    let [id, title, body, source, url, mut published] = values;
    let clock = columns
        .get(CLOCK)
        .copied()
        .flatten()
        .and_then(|i| field(record, i))
        .and_then(|bytes| std::str::from_utf8(bytes).ok());
    if let (Some(date), Some(clock)) = (&published, clock) {
        if let Some(both) = date_and_clock(date, clock) {
            published = Some(both);
        }
    }
    let present = |v: Option<String>| v.filter(|s| !s.trim().is_empty()).map(Cow::Owned);
    let id = present(id);
    let id_from_line = id.is_none();
    Ok(Record {
        line,
        article: Article {
            id: id.unwrap_or_else(|| Cow::Owned(line.to_string())),
            title: Cow::Owned(title.unwrap_or_default()),
            body: present(body),
            source: present(source),
            url: present(url),
            published: present(published),
        },
        id_from_line,
    })
}

/// The command that writes a file separated by `separator` (`;`, a tab, `|`) as the comma-separated CSV
/// storyhash reads, from `file` to `csv`, said as "`COMMAND` writes, quoting …".
pub fn to_csv_command(separator: char, file: &str, csv: &str) -> String {
    format!(
        "`python3 -c 'import csv,sys; csv.writer(sys.stdout).writerows(csv.reader(open(sys.argv[1], \
         encoding=\"utf-8-sig\"), delimiter=\"{}\"))' {file} > {csv}` writes, quoting the fields that \
         hold a comma",
        if separator == '\t' {
            "\\t".to_string()
        } else {
            separator.to_string()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    type Rows = Vec<Result<(u64, Article<'static>), RecordError>>;

    fn read(input: &[u8]) -> Result<Rows, RecordError> {
        Ok(read_csv(input, "in.csv")?
            .into_iter()
            .map(|r| r.map(|r| (r.line, r.article)))
            .collect())
    }

    #[test]
    fn a_date_column_takes_the_time_of_day_of_a_time_column_beside_it() {
        let input = b"id,title,date,time\n\
            a,First,2014-03-10,16:55:01\n\
            b,Second,2014-03-10T16:55:01Z,noon\n\
            c,Third,2014-03-11,\n\
            d,Fourth,2014-03-12, 08:30 \n";
        let published: Vec<Option<String>> = read(input)
            .expect("header is fine")
            .into_iter()
            .map(|r| r.expect("a row").1.published.map(|p| p.into_owned()))
            .collect();
        assert_eq!(
            published,
            [
                Some("2014-03-10 16:55:01".to_string()),
                Some("2014-03-10T16:55:01Z".to_string()),
                Some("2014-03-11".to_string()),
                Some("2014-03-12 08:30".to_string()),
            ]
        );
        // A `published` column is the time, and a named column alone.
        let input =
            b"id,title,published,date,time\na,First,2014-03-10T00:00:00Z,2014-03-09,16:55\n";
        let rows = read(input).expect("header is fine");
        let first = rows[0].as_ref().expect("a row");
        assert_eq!(first.1.published.as_deref(), Some("2014-03-10T00:00:00Z"));
        let named = FieldNames::given(&["published=date"]);
        let input = &b"id,title,date,time\na,First,2014-03-10,16:55\n"[..];
        let mut csv = CsvReader::with_names(input, "in.csv", &named).expect("header");
        let rows = csv.next_rows(u64::MAX).expect("rows").expect("some");
        let article = &rows[0].as_ref().expect("a row").article;
        assert_eq!(article.published.as_deref(), Some("2014-03-10"));
    }

    #[test]
    fn an_rss_export_s_columns_are_read_and_unread_ones_named_when_the_id_or_time_has_none() {
        let input =
            &b"guid,Headline,Link,pubDate,Outlet\ng1,Fed raises rates,http://a,\"Mon, 10 Mar 2014\",AP\n"
                [..];
        let csv = CsvReader::new(input, "in.csv").expect("header");
        assert_eq!(csv.unread_columns(), None);
        let input = &b"guid,title,link,pubDate\ng1,Fed raises rates,http://a,2014-03-10\n"[..];
        let mut csv = CsvReader::new(input, "in.csv").expect("header");
        let rows = csv.next_rows(u64::MAX).expect("rows").expect("some");
        let article = &rows[0].as_ref().expect("a row").article;
        assert_eq!(
            (
                &*article.id,
                article.url.as_deref(),
                article.published.as_deref()
            ),
            ("g1", Some("http://a"), Some("2014-03-10"))
        );
        let input = &b"ArticleID,Headline,Outlet,PubTime\n7,Fed raises rates,AP,10:00\n"[..];
        let csv = CsvReader::new(input, "in.csv").expect("header");
        let (without, unread) = csv.unread_columns().expect("no id, no time");
        assert_eq!(without, ["id", "published"]);
        assert_eq!(unread, ["ArticleID", "Outlet", "PubTime"]);
    }

    #[test]
    fn columns_by_name_with_optional_fields() {
        let input = b"ID,Title,Body,Source,URL,Published,extra\n\
            a1,First,Some text,Reuters,http://x,2024-01-01,zzz\n\
            ,Second,,,,,\n";
        let rows = read(input).expect("header is fine");
        assert_eq!(
            rows,
            vec![
                Ok((
                    2,
                    Article::new("a1", "First")
                        .with_body("Some text")
                        .with_source("Reuters")
                        .with_url("http://x")
                        .with_published("2024-01-01")
                )),
                Ok((3, Article::new("3", "Second"))),
            ]
        );
    }

    #[test]
    fn header_aliases_bom_crlf_and_quoted_newlines() {
        let input = "\u{feff} Headline ,description,DATE\r\n\
            \"Multi\nline\",\"d, with comma\",2024\r\n\
            Next,,\r\n"
            .as_bytes();
        let rows = read(input).expect("header is fine");
        assert_eq!(
            rows,
            vec![
                Ok((
                    2,
                    Article::new("2", "Multi\nline")
                        .with_body("d, with comma")
                        .with_published("2024")
                )),
                Ok((4, Article::new("4", "Next"))),
            ]
        );
    }

    #[test]
    fn crlf_after_quoted_last_field() {
        let rows = read(b"title,source\r\n\"a\",\"R\"\r\n\r\n\"b\",\"\"\r\n").expect("fine");
        assert_eq!(
            rows,
            vec![
                Ok((2, Article::new("2", "a").with_source("R"))),
                Ok((4, Article::new("4", "b")))
            ]
        );
    }

    #[test]
    fn preferred_name_wins_over_alias() {
        let rows = read(b"headline,title,text,body\nh,t,x,b\n").expect("fine");
        assert_eq!(rows, vec![Ok((2, Article::new("2", "t").with_body("b")))]);
    }

    #[test]
    fn a_field_column_named_twice_is_refused_and_other_repeats_are_not() {
        let e = read(b"id,Title,title\n1,a,b\n").expect_err("two title columns");
        assert_eq!((e.line, e.field), (1, Some("title")));
        assert_eq!(
            e.to_string(),
            "in.csv:1: columns 2 and 3 are both named `Title`, and `title` is read from that name: \
             rename one of them"
        );
        // Columns no field reads may repeat.
        let rows = read(b"note,title,note\nx,a,y\n").expect("fine");
        assert_eq!(rows, vec![Ok((2, Article::new("2", "a")))]);
    }

    #[test]
    fn missing_title_column() {
        let e = read(b"a,B,c\n1,2,3\n").expect_err("no title");
        assert_eq!(e.line, 1);
        assert_eq!(e.field, Some("title"));
        assert_eq!(
            e.to_string(),
            "in.csv:1: no `title` (or `headline`) column; columns are: a, B, c"
        );
        // A header after empty lines is named at its own line.
        let e = read(b"\n\na,B\n1,2\n").expect_err("no title");
        assert_eq!(e.line, 3);
    }

    #[test]
    fn columns_named_for_fields_are_read_in_any_case_and_one_may_feed_two() {
        let names = FieldNames::given(&["id=guid", "url=guid", "published=pubDate"]);
        let input = b"GUID,title,PUBDATE,date\nhttp://x/1,Storm hits,\"Mon, 10 Mar 2014 16:55:01 GMT\",2001-01-01\n";
        let mut csv = CsvReader::with_names(&input[..], "in.csv", &names).expect("header");
        let rows = csv.next_rows(u64::MAX).expect("rows").expect("some");
        let article = &rows[0].as_ref().expect("a row").article;
        assert_eq!(article.id, "http://x/1");
        assert_eq!(article.url.as_deref(), Some("http://x/1"));
        assert_eq!(
            article.published.as_deref(),
            Some("Mon, 10 Mar 2014 16:55:01 GMT")
        );
        // A title column named for the title must be there; its own name does not stand in.
        let names = FieldNames::given(&["title=name"]);
        let e = CsvReader::with_names(&b"title\nx\n"[..], "in.csv", &names)
            .err()
            .expect("no name column");
        assert_eq!(
            e.to_string(),
            "in.csv:1: no `name` column; columns are: title"
        );
        // So must any column named for a field: a mistyped name is said, not read as nothing.
        let names = FieldNames::given(&["published=pubdat"]);
        let e = CsvReader::with_names(&b"title,pubDate\nx,y\n"[..], "in.csv", &names)
            .err()
            .expect("no pubdat column");
        assert_eq!(
            e.to_string(),
            "in.csv:1: no `pubdat` column to read `published` from; columns are: title, pubDate"
        );
        // A column named for one field is not read for another by its usual names.
        let names = FieldNames::given(&["title=text"]);
        let mut csv =
            CsvReader::with_names(&b"text\nStorm\n"[..], "in.csv", &names).expect("header");
        let rows = csv.next_rows(u64::MAX).expect("rows").expect("some");
        let article = &rows[0].as_ref().expect("a row").article;
        assert_eq!(
            (article.title.as_ref(), article.body.as_deref()),
            ("Storm", None)
        );
    }

    #[test]
    fn json_lines_under_a_csv_name_is_told_so() {
        let e = read(b"{\"id\": \"1\", \"title\": \"Fed raises rates\"}\n").expect_err("no title");
        assert!(
            e.message
                .ends_with("the file looks like JSON Lines, which `--format jsonl` reads"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_file_separated_by_another_character_is_told_so() {
        let e = read(b"id;title\n1;Fed raises rates\n").expect_err("no title");
        assert_eq!(
            e.to_string(),
            "in.csv:1: no `title` (or `headline`) column; columns are: id;title; the header holds no \
             comma but `;`: storyhash reads comma-separated CSV, which `python3 -c 'import csv,sys; \
             csv.writer(sys.stdout).writerows(csv.reader(open(sys.argv[1], encoding=\"utf-8-sig\"), \
             delimiter=\";\"))' FILE > FILE.csv` writes, quoting the fields that hold a comma"
        );
        let e = read(b"id\ttitle\n1\tFed raises rates\n").expect_err("no title");
        assert!(
            e.message.contains("holds no comma but tabs"),
            "{}",
            e.message
        );
    }

    #[test]
    fn an_empty_input_has_no_records() {
        assert_eq!(read(b""), Ok(vec![]));
        assert_eq!(read(b"\n\n"), Ok(vec![]));
    }

    #[test]
    fn wrong_field_count_is_an_error_for_that_row() {
        let rows = read(b"id,title,source\n1,a,s\n2,b\n3,c,s,extra\n4,d,s\n").expect("fine");
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0], Ok((2, Article::new("1", "a").with_source("s"))));
        let e = rows[1].as_ref().expect_err("short");
        assert_eq!(e.line, 3);
        assert_eq!(
            e.to_string(),
            "in.csv:3: expected 3 fields as in the header, found 2"
        );
        assert_eq!(rows[2].as_ref().expect_err("long").line, 4);
        assert_eq!(rows[3], Ok((5, Article::new("4", "d").with_source("s"))));
        // A quote escaped with a backslash splits its field: the message says how CSV writes one.
        let rows = read(b"id,title\n1,\"He said \\\"no\\\", twice\"\n").expect("fine");
        let e = rows[0].as_ref().expect_err("split by the escaped quote");
        assert!(
            e.to_string()
                .contains("CSV writes a quote inside a quoted field as `\"\"`"),
            "{e}"
        );
    }

    #[test]
    fn a_stray_quote_closed_by_a_later_one_is_an_error_naming_the_lines_it_took() {
        let input = b"id,title,source\n1,Fed holds rates,Reuters\n2,\"Storm hits coast,AP\n\
            3,Markets rally,AP\n4,Oil prices fall,BBC\n5,\"Quoted\" title,CNN\n6,Last one,AP\n";
        let rows = read(input).expect("a header");
        assert_eq!(rows.len(), 3, "{rows:?}");
        let first = Article::new("1", "Fed holds rates").with_source("Reuters");
        assert_eq!(rows[0], Ok((2, first)));
        let e = rows[1].as_ref().expect_err("the rows read into the title");
        assert_eq!(e.line, 3);
        assert_eq!(
            e.to_string(),
            "in.csv:3: a quoted field opens on line 3 and a quote on line 6 closes it with text \
             after it: the lines between were read into that one field (a stray `\"`? CSV writes a \
             quote inside a field as `\"\"`, in a field quoted whole)"
        );
        let last = Article::new("6", "Last one").with_source("AP");
        assert_eq!(rows[2], Ok((7, last)));
        // In any column, the body's too, and closed on the next line; with CRLF line ends.
        for input in [
            &b"id,title,source\n2,\"Storm hits,AP\n3,\"Markets rally\",AP\n4,Oil falls,BBC\n"[..],
            b"id,title,body\r\n1,Fed,\"AP said\r\n2,Storm,BBC text\r\n3,Rally,\"CNN\"\r\n4,Oil,x\r\n",
            b"id,title,category\n1,Fed holds,\"econ\n2,Storm,weather\n3,Rally,\"markets\"\n4,Oil,x\n",
        ] {
            let rows = read(input).expect("a header");
            let e = rows[0].as_ref().expect_err("rows read into one field");
            assert!(e.to_string().contains("a quoted field opens on line 2"), "{e}");
            assert_eq!(rows.last().unwrap().as_ref().unwrap().1.id, "4", "{rows:?}");
        }
        // Closed where a quote may close a field (before a comma), the rows taken show as rows inside
        // the field; white space after a closing quote is no text.
        let input = b"id,title,source\n1,\"Storm hits,AP\n2,Markets rally,AP\n3,Apple 13\",BBC\n4,Last,AP\n\
            5,\"Fed holds\nrates\" ,AP\n6,\"Ferry\nruns\"\t,AP\r\n7,\"Bad\nquote\" x,AP\n";
        let rows = read(input).expect("a header");
        let e = rows[0].as_ref().expect_err("a row inside the title");
        assert!(
            e.to_string().starts_with(
                "in.csv:2: the field in column 2 runs from line 2 to line 4 and holds a row of its \
                 own (line 3: `2,Markets rally,AP`)"
            ),
            "{e}"
        );
        let ids: Vec<_> = rows
            .iter()
            .map(|r| r.as_ref().map(|r| r.1.id.to_string()))
            .collect();
        assert_eq!(
            ids[1..4],
            [Ok("4".into()), Ok("5".into()), Ok("6".into())],
            "{rows:?}"
        );
        let e = rows[4]
            .as_ref()
            .expect_err("text after the closing quote and a space");
        assert!(
            e.to_string()
                .contains("opens on line 10 and a quote on line 11"),
            "{e}"
        );
        // Fields quoted whole over lines, whatever their lines hold, and a quote inside a field that
        // did not start with one, are fine.
        let input = b"id,title,summary\n1,\"Breaking:\nFed holds, rates steady\",\"The Fed held.\n\
            Meanwhile, prices rose.\"\n2,Say \"hi\" to all,x\n3,\"Quoted\" on one line,y\n";
        let rows = read(input).expect("a header");
        assert_eq!(
            rows,
            vec![
                Ok((2, Article::new("1", "Breaking:\nFed holds, rates steady"))),
                Ok((5, Article::new("2", "Say \"hi\" to all"))),
                Ok((6, Article::new("3", "Quoted on one line"))),
            ]
        );
    }

    #[test]
    fn record_ends_follow_the_quoting_as_csv_does() {
        let ends = |pieces: &[&[u8]]| {
            let mut ends = RecordEnds::default();
            pieces.iter().map(|p| ends.last_end(p)).collect::<Vec<_>>()
        };
        assert_eq!(ends(&[b"a,\"b\nc", b"\",d\ne,f"]), [None, Some(4)]);
        // A quote inside a field that did not start with one opens nothing.
        assert_eq!(ends(&[b"1,13\" Mac\n2,x"]), [Some(10)]);
        // A carriage return alone ends a line, outside quotes only; CRLF ends one after its `\n`.
        assert_eq!(ends(&[b"t,i\r\"Fed\rholds\",1\r\"Storm\r"]), [Some(18)]);
        assert_eq!(ends(&[b"a,\"b\r\nc\"\r\n"]), [Some(10)]);
    }

    #[test]
    fn a_quote_never_closed_is_an_error_at_its_line_and_the_rows_around_it_stand() {
        let input = b"id,title\n1,first\n2,\"second\n3,third\n4,fourth\n";
        let rows = read(input).expect("a header");
        assert_eq!(rows.len(), 4, "{rows:?}");
        assert_eq!(rows[0], Ok((2, Article::new("1", "first"))));
        let e = rows[1].as_ref().expect_err("the unclosed quote");
        assert_eq!(e.line, 3);
        assert_eq!(
            e.to_string(),
            "in.csv:3: a quoted field opens here and is never closed (a stray `\"`?): the 2 lines \
             after it would all be read as its text"
        );
        // The lines after the quote's are read as rows of their own, with their own line numbers.
        assert_eq!(rows[2], Ok((4, Article::new("3", "third"))));
        assert_eq!(rows[3], Ok((5, Article::new("4", "fourth"))));
        // Quotes after a stray one come in doubled pairs (any other would have closed its field): read
        // afresh, they are text. A quote on the last line leaves nothing after it.
        let rows = read(b"id,title\n1,\"a\n2,say \"\"hi\"\"\n").expect("a header");
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].as_ref().expect_err("the stray quote").line, 2);
        assert_eq!(rows[1], Ok((3, Article::new("2", "say \"\"hi\"\""))));
        let rows = read(b"id,title\n1,ok\n2,\"tail").expect("a header");
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[1].as_ref().expect_err("the stray quote").line, 3);
        // Closed, at the end, across lines, doubled, or after text: all fine.
        let fine = read(b"id,title\n1,\"a, \"\"b\"\"\nc\"\n2,x \"y\n3,\"z\"").expect("fine");
        assert_eq!(
            fine,
            vec![
                Ok((2, Article::new("1", "a, \"b\"\nc"))),
                Ok((4, Article::new("2", "x \"y"))),
                Ok((5, Article::new("3", "z"))),
            ]
        );
        let e = read(b"id,\"title\n1,a\n").expect_err("a header never closed");
        assert_eq!(e.line, 1);
        assert!(e.to_string().contains("never closed"), "{e}");
    }

    #[test]
    fn a_utf16_input_is_refused_at_its_header_saying_so() {
        let utf16: Vec<u8> = "\u{feff}title\nA\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let e = read(&utf16).expect_err("UTF-16");
        assert_eq!(e.line, 1);
        assert!(e.message.contains("the input is UTF-16"), "{}", e.message);
        for (start, program) in [
            (&b"\x1f\x8b\x08\x00\xff\xff"[..], "zcat"),
            (b"BZh91AY&SY", "bzcat"),
            (b"\xfd7zXZ\x00\x00\xff", "xzcat"),
        ] {
            let e = read(start).expect_err("compressed");
            assert_eq!(e.line, 1);
            assert!(
                e.message.contains(&format!("`{program} FILE |")),
                "{}",
                e.message
            );
        }
    }

    #[test]
    fn invalid_utf8_is_an_error_for_that_row() {
        let rows = read(b"title,body,other\nok,,\nbad \xFF,,\nfine,,\xFF\n").expect("fine");
        assert_eq!(rows[0], Ok((2, Article::new("2", "ok"))));
        let e = rows[1].as_ref().expect_err("bad");
        assert_eq!(e.line, 3);
        assert_eq!(e.field, Some("title"));
        assert!(
            e.message
                .starts_with("field `title`: invalid UTF-8 at byte 5: storyhash reads UTF-8"),
            "{}",
            e.message
        );
        // Bytes in a column no field reads are not looked at.
        assert_eq!(rows[2], Ok((4, Article::new("4", "fine"))));
    }

    #[test]
    fn blank_rows_are_skipped_and_empty_titles_pass() {
        let rows = read(b"title,id\n\n   \nx,\n\"\",7\n").expect("fine");
        assert_eq!(
            rows,
            vec![
                Ok((4, Article::new("4", "x"))),
                Ok((5, Article::new("7", "")))
            ]
        );
        // A row right after empty lines keeps its own line (the reader skips them unnumbered), as do
        // the rows after it; so does one after a quoted field over two lines and an empty line.
        let rows =
            read(b"\nid,title\n\n,Storm hits\n\n\n,Rain\n,\"Two\nlines\"\n\n,Sun\n").expect("fine");
        assert_eq!(
            rows,
            vec![
                Ok((4, Article::new("4", "Storm hits"))),
                Ok((7, Article::new("7", "Rain"))),
                Ok((8, Article::new("8", "Two\nlines"))),
                Ok((11, Article::new("11", "Sun"))),
            ]
        );
    }

    #[test]
    fn spreadsheet_blank_rows_are_skipped_whatever_their_width() {
        let rows = read(
            b"id,title,source\r\na,First,R\r\n,,\r\n , ,\t\r\n,,,,\r\nb,Second,\r\n,,\r\n,,\r\n",
        )
        .expect("fine");
        assert_eq!(
            rows,
            vec![
                Ok((2, Article::new("a", "First").with_source("R"))),
                Ok((6, Article::new("b", "Second"))),
            ]
        );
        // A row with something in it is still a record: here one without a title, for the engine to refuse.
        let rows = read(b"id,title\nx,\n").expect("fine");
        assert_eq!(rows, vec![Ok((2, Article::new("x", "")))]);
    }

    #[test]
    fn a_row_knows_whether_its_id_is_its_line_number() {
        let rows = read_csv(&b"id,title\n,a\n7,b\n"[..], "in.csv").unwrap();
        let flags: Vec<bool> = rows
            .iter()
            .map(|r| r.as_ref().unwrap().id_from_line)
            .collect();
        assert_eq!(flags, [true, false]);
    }

    #[test]
    fn reader_failure_is_fatal() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("gone"))
            }
        }
        let e = read_csv(Failing, "x.csv").expect_err("fails");
        assert!(e.message.contains("gone"));
    }

    #[test]
    fn rows_read_a_chunk_at_a_time_are_the_rows_read_whole() {
        // Quoted fields across lines, CRLF and LF, blank and spreadsheet-blank rows, a row of the wrong
        // width and one of invalid UTF-8: every chunk size cuts them somewhere else.
        let input: &[u8] = b"\xEF\xBB\xBFid,title,source\r\n\
            1,\"first, with \"\"quotes\"\"\",R\r\n\
            2,\"two\nlines\",\r\n\
            \n\
            ,,\n\
            3,third\n\
            4,\xFF,S\n\
            ,unnumbered,T\n\
            5,\"last\nrow\"";
        let whole = read_csv(input, "in.csv").expect("header is fine");
        assert_eq!(whole.len(), 6);
        for bytes in [0, 1, 5, 17, 40, 1000] {
            let mut csv = CsvReader::new(input, "in.csv").expect("header is fine");
            let mut chunked = Vec::new();
            let mut chunks = 0;
            while let Some(rows) = csv.next_rows(bytes).expect("reads") {
                chunks += 1;
                chunked.extend(rows);
            }
            assert_eq!(chunked, whole, "chunks of {bytes} bytes");
            assert_eq!(csv.bytes_read(), input.len() as u64 - 3, "all but the BOM");
            if bytes <= 1 {
                assert!(chunks >= 6, "a row a chunk at most: {chunks} chunks");
            }
        }
    }

    #[test]
    fn a_failure_after_some_chunks_leaves_them_read() {
        struct FailingAfter<'a>(&'a [u8]);
        impl Read for FailingAfter<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() {
                    return Err(io::Error::other("gone"));
                }
                let n = buf.len().min(self.0.len()).min(4);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut csv = CsvReader::new(FailingAfter(b"title\na\nb\n"), "x.csv").expect("header");
        let first = csv.next_rows(1).expect("a row").expect("not the end");
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].as_ref().unwrap().article.title, "a");
        let mut rest = Vec::new();
        let e = loop {
            match csv.next_rows(1) {
                Ok(Some(rows)) => rest.extend(rows),
                Ok(None) => panic!("the input fails before it ends"),
                Err(e) => break e,
            }
        };
        assert!(e.message.contains("gone"), "{e:?}");
        assert!(rest.len() <= 1);
    }

    proptest::proptest! {
        /// Any bytes made of what CSV is cut by (quotes, commas, line ends, blank cells, a bad byte, a
        /// BOM), read a few bytes at a time, give the rows and the error read whole gives.
        #[test]
        fn any_input_reads_the_same_in_chunks(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    &b"\""[..], b",", b"\n", b"\r\n", b"\r", b" ", b"id", b"title", b"x", b"\xFF",
                    b"\xEF\xBB\xBF", b"\"\"",
                ]),
                0..60,
            ),
            header in proptest::sample::select(vec![&b"id,title\n"[..], b"title\r\n", b"", b"x\n"]),
            bytes in 0u64..12,
        ) {
            let input: Vec<u8> = header.iter().chain(pieces.concat().iter()).copied().collect();
            let whole = read_csv(&input[..], "in.csv");
            let chunked = (|| -> Result<CsvRows, RecordError> {
                let mut csv = CsvReader::new(&input[..], "in.csv")?;
                let mut rows = Vec::new();
                while let Some(chunk) = csv.next_rows(bytes)? {
                    rows.extend(chunk);
                }
                Ok(rows)
            })();
            proptest::prop_assert_eq!(chunked, whole);
        }

        /// The watch follows the quoting the same whether it takes a run at a time, in any pieces, or one
        /// byte at a time.
        #[test]
        fn the_watch_follows_runs_as_it_follows_bytes(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    &b"\""[..], b",", b"\n", b"\r", b" ", b"id", b"x,y", b"a\nb", b"\"\"",
                ]),
                0..60,
            ),
            cut in 0usize..200,
        ) {
            let input = pieces.concat();
            let cut = cut.min(input.len());
            let mut by_runs = QuoteWatch::new(());
            by_runs.follow(&input[..cut]);
            by_runs.follow(&input[cut..]);
            let mut by_bytes = QuoteWatch::new(());
            for (at, &b) in input.iter().enumerate() {
                by_bytes.step(b, at as u64);
            }
            let state = |w: &QuoteWatch<()>| {
                (w.quoting, w.line, w.quote_line, w.quote_at, w.lines_after_quote)
            };
            // What the runs kept of a field still open is the input from its quote.
            if matches!(by_runs.quoting, Quoting::Quoted | Quoting::QuoteInQuoted) {
                proptest::prop_assert_eq!(&by_runs.held[..], &input[by_runs.quote_at as usize..]);
            }
            proptest::prop_assert_eq!(state(&by_runs), state(&by_bytes));
            proptest::prop_assert_eq!(by_runs.bytes, input.len() as u64);
        }

        /// The watch agrees with `csv` itself: where it finds no quote left open, the rows are those of a
        /// plain `csv` reader's records (numbered past the empty lines it skips before one); where it
        /// does, `csv` ends the input inside a quoted field (the same input with one more quote reads
        /// without that error).
        #[test]
        fn the_watch_agrees_with_csv(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    &b"\""[..], b",", b"\n", b"\r\n", b" ", b"x", b"a b", b"\"\"",
                ]),
                0..40,
            ),
        ) {
            let input: Vec<u8> = b"id,title\n".iter().chain(pieces.concat().iter()).copied().collect();
            let ours = read_csv(&input[..], "in.csv").expect("a header");
            let open = ours
                .iter()
                .any(|r| r.as_ref().is_err_and(|e| e.message.contains("never closed")));
            if open {
                let mut closed = input.clone();
                closed.push(b'"');
                let again = read_csv(&closed[..], "in.csv").expect("a header");
                proptest::prop_assert!(
                    !again.iter().any(|r| r.as_ref().is_err_and(|e| e.message.contains("never closed"))),
                    "{:?}", String::from_utf8_lossy(&input)
                );
            } else {
                let mut plain = ReaderBuilder::new()
                    .has_headers(true)
                    .flexible(true)
                    .terminator(Terminator::Any(b'\n'))
                    .from_reader(&input[..]);
                // The header `id,title`: id in column 0, title in column 1.
                let columns = [Some(0), Some(1), None, None, None, None];
                let mut expected = Vec::new();
                let mut record = ByteRecord::new();
                while plain.read_byte_record(&mut record).expect("in memory") {
                    // `csv` places a row after empty lines at the first of them, which it skipped:
                    // its line is past them.
                    let position = record.position().expect("a position");
                    let blank = input[position.byte() as usize..]
                        .iter()
                        .take_while(|&&b| b == b'\n')
                        .count();
                    let line = position.line() + blank as u64;
                    if !record.iter().all(|cell| cell.iter().all(u8::is_ascii_whitespace)) {
                        expected.push(row(&record, line, &columns, 2, "in.csv"));
                    }
                }
                // A row refused for a stray quote is, in `csv`'s reading, the row that took the lines.
                let stray = |e: &RecordError| {
                    e.message.contains("closes it with text after it")
                        || e.message.contains("holds a row of its own")
                };
                let strays: Vec<u64> = ours
                    .iter()
                    .filter_map(|r| r.as_ref().err())
                    .filter(|e| stray(e))
                    .map(|e| e.line)
                    .collect();
                let expected: Vec<_> = expected
                    .into_iter()
                    .filter(|r| !strays.contains(&r.as_ref().map_or_else(|e| e.line, |r| r.line)))
                    .collect();
                let ours: Vec<_> = ours
                    .into_iter()
                    .filter(|r| !r.as_ref().is_err_and(&stray))
                    .collect();
                proptest::prop_assert_eq!(ours, expected);
            }
        }
    }
}
