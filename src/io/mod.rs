//! Reading articles from input files: owns the input [`Format`]s, the [`BlockReader`] that cuts a file or
//! stdin into blocks of whole lines, the parallel [`parse_block`] that turns a JSON Lines or plain-text
//! block into [`Record`]s borrowing from it, and `read_csv` and `CsvReader` for CSV (feature `csv`),
//! read in order, whole or a chunk of rows at a time; [`LineEndings`] lets each of them read lines that
//! end in a carriage return alone. It hands on [`Article`]s with their line numbers, and a
//! [`RecordError`] for each record it could not read; it does not judge the contents (a title of nothing
//! but blanks and control characters is for the engine to reject). [`NumberedIds`] keeps which records
//! took their line numbers as their ids, for the message of an id given again.

#[cfg(feature = "csv")]
mod csv;
pub(crate) mod fields;
mod jsonl;
mod line_endings;
mod numbered_ids;
mod plain_json;
mod text;

use std::fmt;
use std::io::{self, BufRead, Read};
use std::path::Path;
use std::str::FromStr;

use rayon::prelude::*;

use crate::model::Article;

#[cfg(feature = "csv")]
pub use self::csv::{read_csv, to_csv_command, CsvReader, CsvRows, RecordEnds};
pub use self::fields::FieldNames;
pub use self::jsonl::{
    jq_key, json_message, keys_said, not_an_object, parse_document, parse_document_named,
    parse_document_with, parse_jsonl_object, parse_jsonl_object_named, DocumentError, DocumentIds,
    NOT_JSON, SAYS_HOW_TO_REWRITE,
};
pub use self::line_endings::LineEndings;
pub use self::numbered_ids::{NumberedIds, FIRST_LINE_NOT_NOTED_IN_A_STREAM};
pub use self::plain_json::needs_no_escape;

/// An input format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// JSON Lines: one JSON object per line.
    Jsonl,
    /// CSV with a header row naming the columns.
    Csv,
    /// Plain text: one headline per line.
    Text,
}

impl Format {
    /// From a path's extension (case-insensitive): `.jsonl`, `.ndjson`, `.json` → [`Format::Jsonl`],
    /// `.csv` → [`Format::Csv`], `.txt`, `.text` → [`Format::Text`]; `None` otherwise.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            "txt" | "text" => Some(Format::Text),
            _ => None,
        }
    }

    /// The format's canonical name, as accepted by [`FromStr`].
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Text => "text",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name that [`Format::from_str`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown input format `{0}`; choices are: jsonl (or ndjson, json), csv, text (or txt)")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    /// `jsonl`, `ndjson`, `json`, `csv`, `text` or `txt`, case-insensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" | "json" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            "text" | "txt" => Ok(Format::Text),
            _ => Err(UnknownFormat(s.to_owned())),
        }
    }
}

/// One record that could not be read, with where it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{line}: {message}")]
pub struct RecordError {
    /// The input's name as the caller gave it (a path, or "-" for stdin).
    pub source_name: String,
    /// 1-based line number of the record (for CSV, of the line where it starts).
    pub line: u64,
    /// The field at fault, when one is.
    pub field: Option<&'static str>,
    /// What is wrong; names the field when there is one.
    pub message: String,
}

impl RecordError {
    pub(crate) fn new(
        source_name: &str,
        line: u64,
        field: Option<&'static str>,
        message: impl Into<String>,
    ) -> Self {
        RecordError {
            source_name: source_name.to_owned(),
            line,
            field,
            message: message.into(),
        }
    }
}

/// Longest line the line readers ([`BlockReader`], [`read_line_capped`]) take, in bytes: room for a
/// record's six fields at the engine's default limit of 4 MiB each, escapes and other keys. A longer line
/// is refused as it is read, its bytes dropped rather than held, so that input that never ends a line
/// (a binary file, a writer gone wrong) cannot take the machine's memory.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// What [`parse_block`] and `ingest` say of a line of `len` bytes refused for its length.
pub fn too_long_message(len: u64) -> String {
    format!(
        "the line is {len} bytes long, more than the {} MiB a record may take (its fields at most \
         4 MiB each); it was dropped as it was read",
        MAX_LINE_BYTES >> 20
    )
}

/// What [`read_line_capped`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineRead {
    /// The end of input: no line.
    End,
    /// A line, in the caller's buffer with its `\n` (the last line of the input may lack one).
    Line,
    /// A line longer than the limit, of this many bytes (its `\n` not counted), read past and dropped.
    TooLong(u64),
}

/// Reads the next line into `line` (appended, with its `\n`), as [`BufRead::read_until`] does, but
/// reads past a line longer than `limit` bytes without keeping it: `line` is then left empty.
///
/// # Errors
///
/// The reader's error.
pub fn read_line_capped(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    limit: usize,
) -> io::Result<LineRead> {
    let mut dropped: Option<u64> = None;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(match dropped {
                Some(len) => LineRead::TooLong(len),
                None if line.is_empty() => LineRead::End,
                None => LineRead::Line,
            });
        }
        let newline = memchr::memchr(b'\n', available);
        let used = newline.map_or(available.len(), |at| at + 1);
        let text = newline.unwrap_or(available.len());
        match &mut dropped {
            Some(len) => *len += text as u64,
            None if line.len() + text > limit => {
                dropped = Some((line.len() + text) as u64);
                line.clear();
            }
            None => line.extend_from_slice(&available[..used]),
        }
        reader.consume(used);
        if newline.is_some() {
            return Ok(dropped.map_or(LineRead::Line, LineRead::TooLong));
        }
    }
}

/// A block of whole lines read by [`BlockReader`] (or made with [`Block::new`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Block {
    /// The lines, each ending in `\n` except perhaps the last line of the input.
    pub bytes: Vec<u8>,
    /// 1-based line number of the first line in `bytes`.
    pub first_line: u64,
    /// Set when the block stands for a single line longer than the reader's limit: that line's length
    /// in bytes. Its bytes were dropped as they were read, and `bytes` holds its newline alone.
    pub dropped: Option<u64>,
}

impl Block {
    /// A block of the lines in `bytes`, the first numbered `first_line`.
    pub fn new(bytes: Vec<u8>, first_line: u64) -> Block {
        Block {
            bytes,
            first_line,
            dropped: None,
        }
    }
}

/// Reads blocks of whole lines from any [`Read`] (a file or stdin).
///
/// Each block holds about `block_size` bytes cut after its last `\n`; the rest is carried into the next
/// block. A line longer than `block_size` makes its block grow until the line's end (or the end of input),
/// up to the reader's line limit ([`MAX_LINE_BYTES`] unless [`with_line_limit`](Self::with_line_limit)
/// says otherwise): a longer line is read to its end without keeping its bytes, and handed on as a block
/// of its own marked [`dropped`](Block::dropped).
#[derive(Debug)]
pub struct BlockReader<R> {
    reader: R,
    block_size: usize,
    line_limit: usize,
    /// Bytes of an over-long line dropped so far, while the rest of it is still to be read past, and
    /// whether its end was read already (before a read failed).
    dropping: Option<(u64, bool)>,
    carry: Vec<u8>,
    /// Buffers of blocks handed back with [`recycle`](Self::recycle), for the next blocks.
    spare: Vec<Vec<u8>>,
    next_line: u64,
    eof: bool,
    bom_checked: bool,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

impl<R: Read> BlockReader<R> {
    /// A reader cutting blocks of about `block_size` bytes (at least 1).
    pub fn new(reader: R, block_size: usize) -> Self {
        BlockReader {
            reader,
            block_size: block_size.max(1),
            line_limit: MAX_LINE_BYTES,
            dropping: None,
            carry: Vec::new(),
            spare: Vec::new(),
            next_line: 1,
            eof: false,
            bom_checked: false,
        }
    }

    /// The same reader refusing lines longer than `limit` bytes instead of [`MAX_LINE_BYTES`]. A limit
    /// below the block size is taken as the block size: a line within one block costs no more than the
    /// block.
    pub fn with_line_limit(mut self, limit: usize) -> Self {
        self.line_limit = limit.max(self.block_size);
        self
    }

    /// The next block, or `None` at the end of input. A UTF-8 byte order mark at the very start of the input
    /// is dropped.
    ///
    /// # Errors
    ///
    /// The reader's error; the bytes read so far are kept, so the call may be repeated.
    pub fn next_block(&mut self) -> io::Result<Option<Block>> {
        if self.dropping.is_some() {
            return self.drop_rest_of_line(Vec::new()).map(Some);
        }
        let mut buf = match self.spare.pop() {
            Some(mut spare) => {
                spare.clear();
                spare.extend_from_slice(&self.carry);
                self.carry.clear();
                spare
            }
            None => std::mem::take(&mut self.carry),
        };
        // Bytes at the start of `buf` known to hold no '\n'.
        let mut scanned = 0;
        loop {
            if !self.eof {
                let want = if buf.len() < self.block_size {
                    self.block_size - buf.len()
                } else {
                    self.block_size
                };
                let before = buf.len();
                buf.reserve(want);
                if let Err(e) = (&mut self.reader).take(want as u64).read_to_end(&mut buf) {
                    self.carry = buf;
                    return Err(e);
                }
                if buf.len() - before < want {
                    self.eof = true;
                }
                if !self.bom_checked {
                    if buf.len() < UTF8_BOM.len() && !self.eof {
                        continue;
                    }
                    self.bom_checked = true;
                    if buf.starts_with(UTF8_BOM) {
                        buf.drain(..UTF8_BOM.len());
                    }
                }
            }
            if buf.len() > self.line_limit {
                // The first line may be too long: it ends at the first newline after `scanned`.
                let first_end = memchr::memchr(b'\n', &buf[scanned..]).map(|at| scanned + at);
                match first_end {
                    Some(end) if end > self.line_limit => {
                        self.carry_after(&buf, end);
                        return Ok(Some(self.dropped_line(buf, end as u64)));
                    }
                    None if self.eof => {
                        let len = buf.len() as u64;
                        return Ok(Some(self.dropped_line(buf, len)));
                    }
                    None => {
                        self.dropping = Some((buf.len() as u64, false));
                        return self.drop_rest_of_line(buf).map(Some);
                    }
                    Some(_) => {}
                }
            }
            if self.eof {
                // The rest of the input is the last block, newline or not.
                break;
            }
            if let Some(pos) = memchr::memrchr(b'\n', &buf[scanned..]) {
                let cut = scanned + pos + 1;
                self.carry.clear();
                self.carry.extend_from_slice(&buf[cut..]);
                buf.truncate(cut);
                break;
            }
            scanned = buf.len();
        }
        if buf.is_empty() {
            return Ok(None);
        }
        let first_line = self.next_line;
        self.next_line += memchr::memchr_iter(b'\n', &buf).count() as u64;
        Ok(Some(Block::new(buf, first_line)))
    }

    /// Reads past the rest of a line too long to keep (its dropped length so far in `dropping`), in
    /// `buf`'s room, and hands it on as a block of its own.
    fn drop_rest_of_line(&mut self, mut buf: Vec<u8>) -> io::Result<Block> {
        let (mut dropped, ended) = self.dropping.unwrap_or((0, false));
        // A line whose end was read before a failed read is handed on without reading.
        if !ended {
            loop {
                buf.clear();
                let want = self.block_size;
                if let Err(e) = (&mut self.reader).take(want as u64).read_to_end(&mut buf) {
                    // What was read before the failure counts: the line may have ended in it.
                    self.dropping = Some(match memchr::memchr(b'\n', &buf) {
                        Some(pos) => {
                            self.carry_after(&buf, pos);
                            (dropped + pos as u64, true)
                        }
                        None => (dropped + buf.len() as u64, false),
                    });
                    return Err(e);
                }
                if let Some(pos) = memchr::memchr(b'\n', &buf) {
                    dropped += pos as u64;
                    self.carry_after(&buf, pos);
                    break;
                }
                dropped += buf.len() as u64;
                if buf.len() < want {
                    self.eof = true;
                    break;
                }
            }
        }
        self.dropping = None;
        Ok(self.dropped_line(buf, dropped))
    }

    /// Carries what follows the newline at `pos` of `buf` into the next block.
    fn carry_after(&mut self, buf: &[u8], pos: usize) {
        self.carry.clear();
        self.carry.extend_from_slice(&buf[pos + 1..]);
    }

    /// The block standing for the next line, of `len` bytes, dropped for its length (in `buf`'s room).
    fn dropped_line(&mut self, mut buf: Vec<u8>, len: u64) -> Block {
        buf.clear();
        buf.push(b'\n');
        let first_line = self.next_line;
        self.next_line += 1;
        Block {
            bytes: buf,
            first_line,
            dropped: Some(len),
        }
    }

    /// Hands back a block that is no longer needed, so that a later block reuses its buffer instead of
    /// allocating (and faulting in) a new one.
    pub fn recycle(&mut self, block: Block) {
        const KEEP: usize = 2;
        if self.spare.len() < KEEP {
            self.spare.push(block.bytes);
        }
    }
}

/// A parsed record: the article, borrowing from its block where it can, and its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    /// 1-based line number in the input.
    pub line: u64,
    /// The article.
    pub article: Article<'a>,
    /// True when the record had no id of its own and took its line number as one.
    pub id_from_line: bool,
}

/// Parses one line (without its `\n`) given the same bytes as text when they are known to be UTF-8, its
/// number, the source name and the keys its fields are read from; `None` for a blank line.
type LineParser = for<'b> fn(
    &'b [u8],
    Option<&'b str>,
    u64,
    &str,
    &FieldNames,
) -> Option<Result<Record<'b>, RecordError>>;

/// Smallest chunk handed to one rayon task.
const MIN_CHUNK: usize = 32 * 1024;

/// Parses a JSON Lines or plain-text block in parallel, one result per non-blank line, in input order.
///
/// Blank lines (empty or white space only, `\r` included) are skipped. CSV cannot be cut into lines (a quoted
/// field may span several), so [`Format::Csv`] yields a single error telling to use `CsvReader`.
pub fn parse_block<'a>(format: Format, block: &'a Block, source_name: &str) -> ParsedBlock<'a> {
    parse_block_in(
        format,
        block,
        source_name,
        &fields::STANDARD,
        RecordRoom::default(),
    )
}

/// [`parse_block`], reading each field from its key in `names` (JSON Lines), and writing the records
/// into the lists of `room` (what [`ParsedBlock::into_room`] left of an earlier block), so that a run of
/// blocks reuses the same memory rather than asking for fresh pages each block.
pub fn parse_block_in<'a>(
    format: Format,
    block: &'a Block,
    source_name: &str,
    names: &FieldNames,
    room: RecordRoom,
) -> ParsedBlock<'a> {
    // The room's lists are empty: they take records of any block's lifetime.
    let mut parts: Vec<Vec<Result<Record<'a>, RecordError>>> = room.parts;
    // A block that is one error, in the first of the room's lists.
    let one_error = |mut parts: Vec<Vec<_>>, message: String| {
        parts.truncate(1);
        parts.resize_with(1, Vec::new);
        parts[0].push(Err(RecordError::new(
            source_name,
            block.first_line,
            None,
            message,
        )));
        ParsedBlock { parts }
    };
    if let Some(len) = block.dropped {
        return one_error(parts, too_long_message(len));
    }
    let parse_line: LineParser = match format {
        Format::Jsonl => jsonl::parse_checked_line,
        Format::Text => text::parse_checked_line,
        Format::Csv => {
            return one_error(
                parts,
                "CSV input is read in order with `CsvReader` or `read_csv` (feature `csv`), not in blocks"
                    .into(),
            );
        }
    };
    let chunks = split_chunks(&block.bytes, rayon::current_num_threads() * 4);
    let newlines: Vec<u64> = chunks
        .par_iter()
        .map(|chunk| memchr::memchr_iter(b'\n', chunk).count() as u64)
        .collect();
    let mut first_lines = Vec::with_capacity(chunks.len());
    let mut line = block.first_line;
    for n in &newlines {
        first_lines.push(line);
        line += n;
    }
    parts.truncate(chunks.len());
    parts.resize_with(chunks.len(), Vec::new);
    parts
        .par_iter_mut()
        .zip(chunks.par_iter())
        .zip(first_lines.par_iter().zip(&newlines))
        .for_each(|((out, chunk), (&first, &lines))| {
            // A record per line at most (the last may lack its newline): room made once.
            out.reserve(lines as usize + 1);
            parse_lines(chunk, first, source_name, names, parse_line, out);
        });
    ParsedBlock { parts }
}

/// One block's records in input order, left in the lists the parallel parse wrote them to (one per piece
/// of the block) rather than copied into one.
#[derive(Debug)]
pub struct ParsedBlock<'a> {
    parts: Vec<Vec<Result<Record<'a>, RecordError>>>,
}

impl<'a> ParsedBlock<'a> {
    /// Records read some other way (CSV rows), as one list.
    pub fn of_records(records: Vec<Result<Record<'a>, RecordError>>) -> ParsedBlock<'a> {
        ParsedBlock {
            parts: vec![records],
        }
    }

    /// How many results (records and errors) it holds.
    pub fn len(&self) -> usize {
        self.parts.iter().map(Vec::len).sum()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(Vec::is_empty)
    }

    /// Takes the results out in order, keeping the lists' room (results not taken are dropped by
    /// [`into_room`](Self::into_room)).
    pub fn drain(&mut self) -> impl Iterator<Item = Result<Record<'a>, RecordError>> + '_ {
        self.parts.iter_mut().flat_map(|part| part.drain(..))
    }

    /// The emptied lists, for the next block's records.
    pub fn into_room(self) -> RecordRoom {
        RecordRoom {
            parts: self.parts.into_iter().map(emptied).collect(),
        }
    }
}

impl<'a> IntoIterator for ParsedBlock<'a> {
    type Item = Result<Record<'a>, RecordError>;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<Result<Record<'a>, RecordError>>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.parts.into_iter().flatten()
    }
}

/// Empty record lists kept from one block for the next (see [`parse_block_in`]).
#[derive(Debug, Default)]
pub struct RecordRoom {
    parts: Vec<Vec<Result<Record<'static>, RecordError>>>,
}

/// `list` emptied, its room kept for values of another lifetime: collecting a vector's own items back
/// into a vector of a type of the same size reuses its allocation, and an empty one has no item to map.
pub fn emptied<T, U>(mut list: Vec<T>) -> Vec<U> {
    list.clear();
    list.into_iter()
        .map(|_| unreachable!("the list was emptied"))
        .collect()
}

/// Cuts `bytes` into about `n` pieces, each ending just after a `\n` (except perhaps the last).
fn split_chunks(bytes: &[u8], n: usize) -> Vec<&[u8]> {
    let target = (bytes.len() / n.max(1)).max(MIN_CHUNK);
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let probe = start + target;
        if probe >= bytes.len() {
            chunks.push(&bytes[start..]);
            break;
        }
        match memchr::memchr(b'\n', &bytes[probe..]) {
            Some(pos) => {
                let end = probe + pos + 1;
                chunks.push(&bytes[start..end]);
                start = end;
            }
            None => {
                chunks.push(&bytes[start..]);
                break;
            }
        }
    }
    chunks
}

/// Parses the lines of one chunk sequentially onto `out`; `first_line` is the number of its first line.
/// The chunk is checked as UTF-8 in one pass rather than a line at a time (the standard check restarts
/// its word-at-a-time scan at every line); a line past the chunk's first bad byte is checked on its own,
/// so that its error names the line.
fn parse_lines<'a>(
    bytes: &'a [u8],
    first_line: u64,
    source_name: &str,
    names: &FieldNames,
    parse_line: LineParser,
    out: &mut Vec<Result<Record<'a>, RecordError>>,
) {
    let checked = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    };
    let mut line = first_line;
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |p| start + p);
        // Lines start after a `\n` and end before one, so within the checked text they are whole
        // characters.
        let text = checked.get(start..end);
        if let Some(result) = parse_line(&bytes[start..end], text, line, source_name, names) {
            out.push(result);
        }
        line += 1;
        start = end + 1;
    }
}

/// The text of one line (without its `\n`), given as `text` when it is known to be UTF-8 (checked with
/// the rest of its block), else checked here; `None` for a blank line.
fn line_text<'a>(
    line: &'a [u8],
    text: Option<&'a str>,
    line_no: u64,
    source_name: &str,
) -> Option<Result<&'a str, RecordError>> {
    if is_blank_bytes(line) {
        return None;
    }
    match text.map_or_else(|| line_str(line, line_no, source_name), Ok) {
        Ok(text) if text.trim().is_empty() => None,
        Ok(_) if memchr::memchr(0, line).is_some() => Some(Err(RecordError::new(
            source_name,
            line_no,
            None,
            nul_in_text(line, line_no),
        ))),
        read => Some(read),
    }
}

/// The message for a line of valid UTF-8 that holds a NUL, which no text does: most often text in the
/// Latin alphabet (or most of Cyrillic) written as UTF-16 without a byte order mark, NULs between its
/// letters. Said of the whole input where its first line shows which UTF-16 it is.
fn nul_in_text(line: &[u8], line_no: u64) -> String {
    let at = memchr::memchr(0, line).map_or(0, |at| at + 1);
    // UTF-16 puts its NULs in the high bytes of its Latin letters, digits and spaces, all on one side
    // of the pairs (even a line of Cyrillic has some, its spaces' and punctuation's), or, in a line as
    // short as one letter, in a good share of it; stray NULs in a line of UTF-8 are few and fall
    // anywhere, or are one.
    let (mut nuls, mut sides) = (0, [false; 2]);
    for at in memchr::memchr_iter(0, line) {
        nuls += 1;
        sides[at % 2] = true;
    }
    let one_side = nuls >= 2 && !(sides[0] && sides[1]);
    if !one_side && nuls * 4 < line.len() {
        return format!(
            "byte {at} is NUL, which no text holds ({nuls} in the line, whose other bytes read as \
             UTF-8): the writer left stray NULs (`tr -d '\\000'` removes them)"
        );
    }
    match unmarked_utf16(line).filter(|_| line_no == 1) {
        Some(message) => message,
        None => format!(
            "byte {at} is NUL, which no text holds: is the input UTF-16 without a byte order mark? \
             storyhash reads UTF-8 (`iconv -f UTF-16LE -t UTF-8` converts it; UTF-16BE for \
             big-endian)"
        ),
    }
}

/// Whether a line is empty or ASCII white space only (`\r` included).
fn is_blank_bytes(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// The line as UTF-8, or the error naming the first bad byte (1-based within the line) and saying what
/// to do about it (the `iconv` that converts the input, or the program that decompresses it).
pub fn line_str<'a>(
    line: &'a [u8],
    line_no: u64,
    source_name: &str,
) -> Result<&'a str, RecordError> {
    std::str::from_utf8(line).map_err(|e| {
        RecordError::new(
            source_name,
            line_no,
            None,
            not_utf8(e.valid_up_to(), if line_no == 1 { line } else { &[] }),
        )
    })
}

/// Whether bytes begin with a UTF-16 byte order mark (little or big endian).
fn starts_utf16(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF")
}

/// The message for input whose first bytes `start` read as UTF-16 without a byte order mark: a NUL in
/// the same place of three pairs of bytes in four (text in the Latin alphabet written as UTF-16, which
/// UTF-8 text never holds), the others not; `None` for anything else.
fn unmarked_utf16(start: &[u8]) -> Option<String> {
    let head = &start[..start.len().min(256)];
    let pairs = head.len() / 2;
    if pairs < 2 {
        return None;
    }
    let nuls_at = |first: usize| {
        head.iter()
            .skip(first)
            .step_by(2)
            .take(pairs)
            .filter(|&&b| b == 0)
            .count()
    };
    let (first_nul, second_nul) = (nuls_at(0), nuls_at(1));
    let encoding = if second_nul * 4 >= pairs * 3 && first_nul * 4 < pairs {
        "UTF-16LE"
    } else if first_nul * 4 >= pairs * 3 && second_nul * 4 < pairs {
        "UTF-16BE"
    } else {
        return None;
    };
    Some(format!(
        "{UTF16_INPUT} without a byte order mark (every other byte of its first line is NUL); \
         storyhash reads UTF-8 (`iconv -f {encoding} -t UTF-8` converts it)"
    ))
}

/// The compressed formats storyhash recognises to say how to read them: their first bytes, their file
/// extension and the program that decompresses them to standard output.
const COMPRESSED: [(&[u8], &str, &str); 4] = [
    (b"\x1f\x8b", "gz", "zcat"),
    (b"\x28\xb5\x2f\xfd", "zst", "zstdcat"),
    (b"BZh", "bz2", "bzcat"),
    (b"\xfd7zXZ\x00", "xz", "xzcat"),
];

/// The program that decompresses input starting with `bytes`, when they begin as a compressed file does
/// (gzip, zstd, bzip2, xz).
pub fn decompressor(bytes: &[u8]) -> Option<&'static str> {
    COMPRESSED
        .into_iter()
        .find(|(magic, _, _)| bytes.starts_with(magic))
        .map(|(_, _, program)| program)
}

/// The program that decompresses a file named with a compressed format's extension (`.gz`, `.zst`,
/// `.bz2`, `.xz`, in any case).
pub fn decompressor_of_path(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?;
    COMPRESSED
        .into_iter()
        .find(|(_, e, _)| ext.eq_ignore_ascii_case(e))
        .map(|(_, _, program)| program)
}

/// The message for compressed input that the `program` decompresses.
fn compressed(program: &str) -> String {
    format!(
        "{COMPRESSED_INPUT}; storyhash reads it uncompressed (`{program} FILE |` in front of the \
         command, reading `-`, feeds it so)"
    )
}

/// How the messages that find a whole input compressed or in UTF-16 say so.
const COMPRESSED_INPUT: &str = "the input is compressed";
const UTF16_INPUT: &str = "the input is UTF-16";

/// Whether the error of the record at `line` finds the whole input in another form: compressed, UTF-16,
/// or, at its first line, a JSON array. No record of it reads, so skipping bad
/// records is no way on.
pub fn faults_the_whole_input(message: &str, line: u64) -> bool {
    message.contains(COMPRESSED_INPUT)
        || message.contains(UTF16_INPUT)
        || (line == 1 && jsonl::names_an_array(message))
}

/// The message for text that is not UTF-8 from byte `valid_up_to` (0-based) on, with what to do about it,
/// told by the input's first bytes `start` (empty past its first line): compressed, UTF-16 (a UTF-16 byte
/// order mark), or most often a single-byte encoding such as Windows-1252.
fn not_utf8(valid_up_to: usize, start: &[u8]) -> String {
    let at = valid_up_to + 1;
    if let Some(program) = decompressor(start) {
        format!("invalid UTF-8 at byte {at}: {}", compressed(program))
    } else if starts_utf16(start) {
        format!(
            "invalid UTF-8 at byte {at}: {UTF16_INPUT} (it starts with a UTF-16 byte order mark); \
             storyhash reads UTF-8 (`iconv -f UTF-16 -t UTF-8` converts it)"
        )
    } else {
        format!(
            "invalid UTF-8 at byte {at}: storyhash reads UTF-8 (a file in another encoding, such as \
             Windows-1252, converts with `iconv -f WINDOWS-1252 -t UTF-8`)"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stray_nul_is_told_apart_from_utf16() {
        let stray = nul_in_text(b"{\"title\":\"Storm hits\0 the coast\"}", 7);
        assert!(
            stray.contains("byte 21 is NUL") && stray.contains("stray NULs"),
            "{stray}"
        );
        // Past the first line, text written as UTF-16 is asked about.
        let wide: Vec<u8> = "Storm hits the coast"
            .bytes()
            .flat_map(|b| [b, 0])
            .collect();
        let utf16 = nul_in_text(&wide, 7);
        assert!(
            utf16.contains("UTF-16 without a byte order mark"),
            "{utf16}"
        );
        // Cyrillic in UTF-16 has NULs only beside its spaces and ASCII: still UTF-16, on one side.
        let russian: Vec<u8> = "{\"id\":\"1\",\"title\":\"Пожар уничтожил склад в центре города\"}"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(
            std::str::from_utf8(&russian).is_ok(),
            "valid UTF-8 as bytes"
        );
        let utf16 = nul_in_text(&russian, 7);
        assert!(
            utf16.contains("UTF-16 without a byte order mark"),
            "{utf16}"
        );
        // Two stray NULs on different sides are stray.
        let stray = nul_in_text(b"Storm\0 hits\0\0 the coast", 7);
        assert!(stray.contains("stray NULs"), "{stray}");
    }

    #[test]
    fn utf16_without_a_byte_order_mark_is_named_with_the_iconv_that_converts_it() {
        let utf16 = |text: &str, le: bool| -> Vec<u8> {
            text.encode_utf16()
                .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
                .collect()
        };
        for (le, encoding) in [(true, "UTF-16LE"), (false, "UTF-16BE")] {
            let converts = format!("iconv -f {encoding} -t UTF-8");
            for (format, text) in [
                (
                    Format::Text,
                    "ECB unlikely to end sterilisation\nsomething else\n",
                ),
                (Format::Jsonl, "{\"id\":\"a\",\"title\":\"ECB rates\"}\n"),
            ] {
                let bytes = utf16(text, le);
                let blocks = read_all(&bytes, 1 << 16);
                let first = blocks
                    .iter()
                    .flat_map(|block| parse_block(format, block, "u.txt"))
                    .next()
                    .expect("a record or an error");
                let e = first.expect_err("UTF-16 is refused");
                assert_eq!(e.line, 1);
                assert!(e.message.contains(&converts), "{}", e.message);
                assert!(faults_the_whole_input(&e.message, e.line), "{}", e.message);
            }
            #[cfg(feature = "csv")]
            {
                let csv = utf16("id,title\na,ECB rates\n", le);
                let e = csv::CsvReader::new(&csv[..], "u.csv")
                    .err()
                    .expect("UTF-16 is refused");
                assert!(e.message.contains(&converts), "{}", e.message);
            }
        }
        // UTF-8 text with a stray NUL is not taken for UTF-16.
        assert!(unmarked_utf16(b"Markets\0 rally as rates hold").is_none());
        // A first line too short to tell (blank, one letter) leaves the lines after it, each refused
        // rather than read as a headline with NULs between its letters.
        for text in [
            "\nECB unlikely to end sterilisation\nStorm hits the coast\n",
            "A\nStorm hits\n",
        ] {
            for le in [true, false] {
                let bytes = utf16(text, le);
                for format in [Format::Text, Format::Jsonl] {
                    let blocks = read_all(&bytes, 1 << 16);
                    let read: Vec<_> = blocks
                        .iter()
                        .flat_map(|block| parse_block(format, block, "u.txt"))
                        .collect();
                    assert!(!read.is_empty());
                    for r in read {
                        let e = r.expect_err("no record of UTF-16 is read");
                        assert!(e.message.contains("UTF-16"), "{}", e.message);
                    }
                }
            }
        }
    }

    fn read_all(input: &[u8], block_size: usize) -> Vec<Block> {
        let mut reader = BlockReader::new(input, block_size);
        let mut blocks = Vec::new();
        while let Some(block) = reader.next_block().expect("reading from a slice") {
            blocks.push(block);
        }
        blocks
    }

    proptest::proptest! {
        /// Lines checked as UTF-8 with their piece read as lines checked one by one: the same records
        /// and the same errors, whichever line holds a bad byte.
        #[test]
        fn a_piece_checked_whole_reads_as_its_lines_checked_alone(
            lines in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::sample::select(vec![
                        &b"{\"title\":\"caf"[..], b"\xC3\xA9", b"\"}", b" ", b"\xE2\x80\x94",
                        b"\xC3", b"\xFF", b"x", b"\r", b"{\"id\":\"7\",\"title\":\"a\"}",
                    ]),
                    0..6,
                ),
                0..12,
            ),
        ) {
            let mut bytes = Vec::new();
            for line in &lines {
                bytes.extend(line.concat());
                bytes.push(b'\n');
            }
            for parser in [jsonl::parse_checked_line as LineParser, text::parse_checked_line] {
                let mut whole = Vec::new();
                parse_lines(&bytes, 1, "p", &fields::STANDARD, parser, &mut whole);
                let alone: Vec<_> = bytes
                    .split(|&b| b == b'\n')
                    .take(lines.len())
                    .enumerate()
                    .filter_map(|(i, line)| {
                        parser(line, None, i as u64 + 1, "p", &fields::STANDARD)
                    })
                    .collect();
                proptest::prop_assert_eq!(whole, alone);
            }
        }
    }

    /// Every line of the blocks with its line number, as the blocks report them.
    fn lines_of(blocks: &[Block]) -> Vec<(u64, String)> {
        let mut lines = Vec::new();
        for block in blocks {
            let text = std::str::from_utf8(&block.bytes).expect("test input is UTF-8");
            let text = text.strip_suffix('\n').unwrap_or(text);
            for (i, l) in text.split('\n').enumerate() {
                lines.push((block.first_line + i as u64, l.to_owned()));
            }
        }
        lines
    }

    #[test]
    fn format_from_path_and_name() {
        assert_eq!(
            Format::from_path(Path::new("a/b.jsonl")),
            Some(Format::Jsonl)
        );
        assert_eq!(
            Format::from_path(Path::new("b.NDJSON")),
            Some(Format::Jsonl)
        );
        assert_eq!(Format::from_path(Path::new("b.json")), Some(Format::Jsonl));
        assert_eq!(Format::from_path(Path::new("b.csv")), Some(Format::Csv));
        assert_eq!(Format::from_path(Path::new("b.txt")), Some(Format::Text));
        assert_eq!(Format::from_path(Path::new("b.text")), Some(Format::Text));
        assert_eq!(Format::from_path(Path::new("b.xml")), None);
        assert_eq!(Format::from_path(Path::new("-")), None);
        assert_eq!("ndjson".parse::<Format>(), Ok(Format::Jsonl));
        assert_eq!("CSV".parse::<Format>(), Ok(Format::Csv));
        assert_eq!("txt".parse::<Format>(), Ok(Format::Text));
        let err = "xml".parse::<Format>().unwrap_err().to_string();
        assert!(err.contains("`xml`") && err.contains("jsonl") && err.contains("csv"));
        assert!(err.contains("text"), "{err}");
    }

    #[test]
    fn record_error_display_names_source_and_line() {
        let e = RecordError::new("in.jsonl", 7, Some("title"), "missing field `title`");
        assert_eq!(e.to_string(), "in.jsonl:7: missing field `title`");
    }

    #[test]
    fn block_reader_small_blocks_keep_lines_and_numbers() {
        let input: String = (1..=50).map(|i| format!("line number {i}\n")).collect();
        let blocks = read_all(input.as_bytes(), 16);
        assert!(blocks.len() > 10);
        for block in &blocks {
            assert_eq!(block.bytes.last(), Some(&b'\n'));
        }
        let lines = lines_of(&blocks);
        let expected: Vec<(u64, String)> =
            (1..=50).map(|i| (i, format!("line number {i}"))).collect();
        assert_eq!(lines, expected);
        let joined: Vec<u8> = blocks.iter().flat_map(|b| b.bytes.clone()).collect();
        assert_eq!(joined, input.as_bytes());
    }

    #[test]
    fn recycled_buffers_give_the_same_blocks() {
        let input: String = (1..=300)
            .map(|i| format!("line {i} {}\n", "y".repeat(i % 37)))
            .collect();
        let fresh = read_all(input.as_bytes(), 64);
        let mut reader = BlockReader::new(input.as_bytes(), 64);
        let mut recycled = Vec::new();
        while let Some(block) = reader.next_block().expect("reading from a slice") {
            recycled.push(block.clone());
            reader.recycle(block);
        }
        assert_eq!(recycled, fresh);
    }

    #[test]
    fn block_reader_line_longer_than_block() {
        let long = "x".repeat(1000);
        let input = format!("a\n{long}\nb\nc");
        let blocks = read_all(input.as_bytes(), 16);
        let lines = lines_of(&blocks);
        assert_eq!(
            lines,
            vec![
                (1, "a".to_owned()),
                (2, long.clone()),
                (3, "b".to_owned()),
                (4, "c".to_owned())
            ]
        );
        let joined: Vec<u8> = blocks.iter().flat_map(|b| b.bytes.clone()).collect();
        assert_eq!(joined, input.as_bytes());
    }

    /// What the blocks of `input` parse to, read with blocks of `block_size` and lines of at most
    /// `limit` bytes: each line's number with its title, or the error's message.
    fn parsed_with_limit(input: &[u8], block_size: usize, limit: usize) -> Vec<(u64, String)> {
        let mut reader = BlockReader::new(input, block_size).with_line_limit(limit);
        let mut out = Vec::new();
        while let Some(block) = reader.next_block().expect("reading from a slice") {
            for result in parse_block(Format::Jsonl, &block, "in.jsonl") {
                out.push(match result {
                    Ok(r) => (r.line, r.article.title.into_owned()),
                    Err(e) => (e.line, e.message),
                });
            }
        }
        out
    }

    #[test]
    fn a_line_past_the_limit_is_dropped_as_it_is_read_and_its_neighbours_kept() {
        let long = format!("{{\"title\":\"{}\"}}", "x".repeat(90));
        let at_limit = format!("{{\"title\":\"{}\"}}", "y".repeat(38));
        assert_eq!(at_limit.len(), 50);
        let too_long = too_long_message(long.len() as u64);
        for ending in ["\n", ""] {
            let input = format!(
                "{{\"title\":\"a\"}}\n{at_limit}\n{long}\n{{\"title\":\"b\"}}\n{long}{ending}"
            );
            for block_size in [1, 7, 16, 49, 50] {
                assert_eq!(
                    parsed_with_limit(input.as_bytes(), block_size, 50),
                    vec![
                        (1, "a".to_owned()),
                        (2, "y".repeat(38)),
                        (3, too_long.clone()),
                        (4, "b".to_owned()),
                        (5, too_long.clone()),
                    ],
                    "block size {block_size}, ending {ending:?}"
                );
            }
        }
    }

    #[test]
    fn read_line_capped_reads_lines_and_reads_past_a_long_one() {
        let input = format!("short\n{}\n{}\nend", "x".repeat(100), "y".repeat(10));
        // A buffer of 4 bytes: lines span many of its fills.
        let mut reader = io::BufReader::with_capacity(4, input.as_bytes());
        let mut read = Vec::new();
        loop {
            let mut line = Vec::new();
            match read_line_capped(&mut reader, &mut line, 10).expect("reading from a slice") {
                LineRead::End => break,
                got => read.push((got, String::from_utf8(line).expect("UTF-8"))),
            }
        }
        assert_eq!(
            read,
            vec![
                (LineRead::Line, "short\n".to_owned()),
                (LineRead::TooLong(100), String::new()),
                (LineRead::Line, format!("{}\n", "y".repeat(10))),
                (LineRead::Line, "end".to_owned()),
            ]
        );
    }

    #[test]
    fn block_reader_without_trailing_newline() {
        let blocks = read_all(b"one\ntwo\nthree", 1 << 20);
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].bytes, b"one\ntwo\nthree");
        assert_eq!(blocks[0].first_line, 1);
        let blocks = read_all(b"one\ntwo\nthree", 5);
        assert_eq!(
            lines_of(&blocks),
            vec![
                (1, "one".to_owned()),
                (2, "two".to_owned()),
                (3, "three".to_owned())
            ]
        );
    }

    #[test]
    fn block_reader_empty_input() {
        assert!(read_all(b"", 16).is_empty());
        assert!(read_all(b"\xEF\xBB\xBF", 16).is_empty());
        let blocks = read_all(b"\n\n", 16);
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].bytes, b"\n\n");
    }

    #[test]
    fn block_reader_drops_bom_only_at_start() {
        let input = b"\xEF\xBB\xBFfirst\n\xEF\xBB\xBFsecond\n";
        for size in [1, 2, 3, 4, 16, 1024] {
            let blocks = read_all(input, size);
            let joined: Vec<u8> = blocks.iter().flat_map(|b| b.bytes.clone()).collect();
            assert_eq!(joined, b"first\n\xEF\xBB\xBFsecond\n", "block size {size}");
        }
    }

    #[test]
    fn block_reader_reports_io_errors() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let mut reader = BlockReader::new(Failing, 16);
        let err = reader.next_block().unwrap_err();
        assert_eq!(err.to_string(), "disk on fire");
    }

    #[test]
    fn block_reader_can_retry_after_an_error() {
        let mut reader = BlockReader::new(
            Flaky {
                data: b"first line\nsecond\n",
                reads: 0,
                fails_at: 3,
            },
            64,
        );
        assert!(reader.next_block().is_err());
        let block = reader.next_block().expect("retry").expect("a block");
        assert_eq!(block.bytes, b"first line\nsecond\n");
        assert_eq!(block.first_line, 1);
        assert!(reader.next_block().expect("end").is_none());
    }

    /// Yields its data a few bytes at a time and fails once, at read `fails_at`.
    struct Flaky {
        data: &'static [u8],
        reads: usize,
        fails_at: usize,
    }

    impl Read for Flaky {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.reads += 1;
            if self.reads == self.fails_at {
                return Err(io::Error::other("hiccup"));
            }
            let n = buf.len().min(3).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_line_dropped_for_its_length_reads_the_same_whichever_read_fails_and_is_retried() {
        let data = b"xxxxxxxxxxxxxxxxxxxxxxxxx\nB\nC\n";
        for fails_at in 1..14 {
            let mut reader = BlockReader::new(
                Flaky {
                    data,
                    reads: 0,
                    fails_at,
                },
                4,
            )
            .with_line_limit(8);
            let mut lines = Vec::new();
            loop {
                match reader.next_block() {
                    Err(_) => continue,
                    Ok(None) => break,
                    Ok(Some(block)) => match block.dropped {
                        Some(len) => lines.push((block.first_line, format!("dropped {len}"))),
                        None => lines.extend(lines_of(&[block])),
                    },
                }
            }
            assert_eq!(
                lines,
                vec![
                    (1, "dropped 25".to_owned()),
                    (2, "B".to_owned()),
                    (3, "C".to_owned())
                ],
                "failing at read {fails_at}"
            );
        }
    }

    #[test]
    fn parallel_parse_keeps_input_order() {
        let mut input = String::new();
        for i in 0..10_000 {
            if i % 1000 == 999 {
                input.push_str("\r\n");
            }
            input.push_str(&format!(
                "{{\"id\":\"a{i}\",\"title\":\"Headline number {i} about things\"}}\n"
            ));
        }
        let block = Block::new(input.into_bytes(), 1);
        assert!(split_chunks(&block.bytes, 8).len() > 4);
        let records: Vec<_> = parse_block(Format::Jsonl, &block, "big.jsonl")
            .into_iter()
            .collect();
        assert_eq!(records.len(), 10_000);
        let mut sequential = Vec::new();
        parse_lines(
            &block.bytes,
            1,
            "big.jsonl",
            &fields::STANDARD,
            jsonl::parse_checked_line,
            &mut sequential,
        );
        assert_eq!(records, sequential);
        let mut previous_line = 0;
        for (i, result) in records.iter().enumerate() {
            let record = result.as_ref().expect("all lines are valid");
            assert_eq!(record.article.id, format!("a{i}"));
            assert!(record.line > previous_line);
            previous_line = record.line;
        }
        // 10 blank lines were inserted before records 999, 1999, ...
        assert_eq!(previous_line, 10_010);
    }

    #[test]
    fn a_block_parsed_in_an_earlier_block_s_room_reads_as_a_fresh_parse() {
        let block_of = |from: usize, first_line: u64| {
            let mut input = String::new();
            for i in from..from + 5_000 {
                input.push_str(&format!("{{\"id\":\"b{i}\",\"title\":\"Headline {i}\"}}\n"));
                if i % 700 == 0 {
                    input.push_str("{\"id\":1}\n\n");
                }
            }
            Block::new(input.into_bytes(), first_line)
        };
        let (first, second) = (block_of(0, 1), block_of(5_000, 5_016));
        let mut parsed = parse_block(Format::Jsonl, &first, "in.jsonl");
        let parts_room: usize = parsed.parts.iter().map(Vec::capacity).sum();
        // Part taken, the rest left for the room to drop.
        assert_eq!(parsed.drain().take(10).count(), 10);
        let room = parsed.into_room();
        assert!(room.parts.iter().all(Vec::is_empty));
        assert_eq!(
            room.parts.iter().map(Vec::capacity).sum::<usize>(),
            parts_room,
            "the room of the lists is kept"
        );
        let reused = parse_block_in(Format::Jsonl, &second, "in.jsonl", &fields::STANDARD, room);
        let fresh = parse_block(Format::Jsonl, &second, "in.jsonl");
        assert_eq!(reused.len(), fresh.len());
        assert_eq!(
            reused.into_iter().collect::<Vec<_>>(),
            fresh.into_iter().collect::<Vec<_>>()
        );
    }

    #[test]
    fn blocks_from_reader_parse_with_exact_line_numbers() {
        let mut input = String::new();
        for i in 1..=300 {
            if i % 7 == 0 {
                input.push('\n');
            } else {
                input.push_str(&format!("{{\"title\":\"t{i}\"}}\n"));
            }
        }
        let mut reader = BlockReader::new(input.as_bytes(), 64);
        let mut seen = Vec::new();
        while let Some(block) = reader.next_block().expect("slice") {
            for record in parse_block(Format::Jsonl, &block, "x") {
                let record = record.expect("valid");
                assert_eq!(record.article.title, format!("t{}", record.line));
                assert_eq!(record.article.id, record.line.to_string());
                seen.push(record.line);
            }
        }
        let expected: Vec<u64> = (1..=300).filter(|i| i % 7 != 0).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn csv_blocks_are_refused_without_panic() {
        let block = Block::new(b"id,title\n1,a\n".to_vec(), 1);
        let results: Vec<_> = parse_block(Format::Csv, &block, "a.csv")
            .into_iter()
            .collect();
        assert_eq!(results.len(), 1);
        let err = results[0].as_ref().unwrap_err();
        assert!(err.message.contains("read_csv"));
    }
}
