//! Line endings of a carriage return alone (classic Mac OS, and Excel's "CSV (Macintosh)"), read as line
//! ends. Every reader of lines here cuts at `\n` (a `\r` before it is dropped), so a file whose lines end in
//! `\r` alone would read as one line holding all of them. [`LineEndings`] looks at the input's first line
//! end: a `\r` not followed by `\n` makes every `\r` of the input a `\n`, unless the read that holds it
//! holds as many `\n` as such `\r` (a stray `\r` inside the first line of a file whose lines end in
//! `\n`; a file whose lines end in `\r` has a `\n` at most inside a quoted CSV cell); anything else
//! leaves the input as it is, at no further cost. It reads no further ahead than the byte after that
//! first `\r`, so that a stream is answered line by line; the readers of records read large blocks, so
//! a file is judged by its first block.

use std::io::{self, Read};

/// What the input's first line end says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ends {
    /// No line end read yet.
    Unknown,
    /// `\n` or `\r\n`: the input is passed on as it is.
    Newline,
    /// `\r` alone: each `\r` is passed on as `\n`.
    CarriageReturn,
}

/// A reader passing on its input with lines that end in `\r` alone made to end in `\n`.
#[derive(Debug)]
pub struct LineEndings<R> {
    inner: R,
    ends: Ends,
    /// A `\r` that ended the last read before any other line end, held back until the byte after it
    /// says which kind it is.
    held_return: bool,
    /// A byte read after a held `\r` that a read of one byte had no room for, passed on next.
    pending: Option<u8>,
}

impl<R: Read> LineEndings<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> LineEndings<R> {
        LineEndings {
            inner,
            ends: Ends::Unknown,
            held_return: false,
            pending: None,
        }
    }
}

impl<R: Read> Read for LineEndings<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return self.inner.read(buf);
        }
        if let Some(byte) = self.pending.take() {
            buf[0] = if byte == b'\r' && self.ends == Ends::CarriageReturn {
                b'\n'
            } else {
                byte
            };
            return Ok(1);
        }
        if self.ends == Ends::Newline {
            return self.inner.read(buf);
        }
        loop {
            if self.held_return && buf.len() == 1 {
                // No room for the byte after the held `\r` beside it: that byte is read alone and
                // kept for the next read.
                let mut next = [0u8; 1];
                let got = self.inner.read(&mut next)?;
                self.held_return = false;
                let crlf = got == 1 && next[0] == b'\n';
                self.ends = if crlf {
                    Ends::Newline
                } else {
                    Ends::CarriageReturn
                };
                buf[0] = if crlf { b'\r' } else { b'\n' };
                self.pending = (got == 1).then_some(next[0]);
                return Ok(1);
            }
            let held = usize::from(self.held_return);
            if held == 1 {
                buf[0] = b'\r';
            }
            // On an error the held `\r` stays held: nothing is lost if the read is tried again.
            let got = self.inner.read(&mut buf[held..])?;
            self.held_return = false;
            let n = held + got;
            if got == 0 && held == 1 {
                // The input ends in the `\r` that ended its first line.
                self.ends = Ends::CarriageReturn;
            }
            if self.ends == Ends::Unknown {
                match memchr::memchr2(b'\r', b'\n', &buf[..n]) {
                    None => return Ok(n),
                    Some(i) if buf[i] == b'\n' => {
                        self.ends = Ends::Newline;
                        return Ok(n);
                    }
                    Some(i) if i + 1 < n => {
                        if buf[i + 1] == b'\n' || as_many_newlines_as_lone_returns(&buf[i..n]) {
                            self.ends = Ends::Newline;
                            return Ok(n);
                        }
                        self.ends = Ends::CarriageReturn;
                    }
                    Some(_) => {
                        // The first line end is the last byte read: held back until the next is known.
                        self.held_return = true;
                        if n > 1 {
                            return Ok(n - 1);
                        }
                        continue;
                    }
                }
            }
            for byte in &mut buf[..n] {
                if *byte == b'\r' {
                    *byte = b'\n';
                }
            }
            return Ok(n);
        }
    }
}

/// Whether `bytes` hold at least as many `\n` as `\r` not followed by `\n`: a first line end of `\r`
/// alone is then a stray `\r` in input whose lines end in `\n`.
fn as_many_newlines_as_lone_returns(bytes: &[u8]) -> bool {
    let newlines = memchr::memchr_iter(b'\n', bytes).count();
    let lone_returns = memchr::memchr_iter(b'\r', bytes)
        .filter(|&i| bytes.get(i + 1) != Some(&b'\n'))
        .count();
    newlines >= lone_returns
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads all of `input` through [`LineEndings`], `chunk` bytes at most per read of the input.
    fn read_all(input: &[u8], chunk: usize) -> Vec<u8> {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = Vec::new();
        LineEndings::new(Trickle(input, chunk))
            .read_to_end(&mut out)
            .expect("reads");
        // Read again a byte at a time by the caller: the same bytes.
        let mut reader = LineEndings::new(Trickle(input, chunk));
        let mut bytewise = Vec::new();
        let mut byte = [0u8; 1];
        while reader.read(&mut byte).expect("reads") == 1 {
            bytewise.push(byte[0]);
        }
        assert_eq!(bytewise, out, "read a byte at a time by the caller");
        out
    }

    #[test]
    fn lines_ending_in_a_carriage_return_alone_end_in_a_newline_however_the_input_is_cut() {
        let input = b"First headline\rSecond headline\rThird\r";
        for chunk in [1, 2, 14, 15, 16, 1 << 16] {
            assert_eq!(
                read_all(input, chunk),
                b"First headline\nSecond headline\nThird\n",
                "read {chunk} bytes at a time"
            );
        }
        assert_eq!(read_all(b"Only one\r", 9), b"Only one\n");
    }

    /// A `\r` inside the first line of a file whose lines end in `\n` does not cut every line at each
    /// `\r`, while a file whose lines end in `\r` with a `\n` inside a quoted cell is still read as
    /// such: the line ends of the first read say which ends the lines. The readers of records read
    /// large blocks, as here.
    #[test]
    fn a_stray_return_or_newline_in_the_first_read_is_outweighed_by_the_line_ends() {
        let in_blocks = |input: &[u8]| {
            let mut reader = LineEndings::new(input);
            let mut block = vec![0u8; 1 << 16];
            let mut out = Vec::new();
            loop {
                let n = reader.read(&mut block).expect("reads");
                if n == 0 {
                    return out;
                }
                out.extend_from_slice(&block[..n]);
            }
        };
        let stray = b"Markets rally \r as rates hold\nSecond headline\r\nThird\rstill third\n";
        assert_eq!(in_blocks(stray), stray);
        let cell = b"title,body\rStorm hits,\"first\nsecond\"\rMarkets fall,calm\r";
        assert_eq!(
            in_blocks(cell),
            b"title,body\nStorm hits,\"first\nsecond\"\nMarkets fall,calm\n"
        );
    }

    #[test]
    fn newline_and_crlf_input_is_passed_on_as_it_is() {
        for input in [
            &b"First\nSecond\r\nwith a \r inside\n"[..],
            b"First\r\nSecond\rnot a line end after the first\r\n",
            b"no line end at all",
            b"",
        ] {
            for chunk in [1, 5, 6, 7, 1 << 16] {
                assert_eq!(
                    read_all(input, chunk),
                    input,
                    "read {chunk} bytes at a time"
                );
            }
        }
    }
}
