//! Output files handed to the disk as they are written. `dedupe` syncs an output file before it renames
//! it into place, and a million verdicts make 111 MB: asking the kernel to start writing each stretch
//! back as soon as it is written leaves the final sync little to wait for.

use std::fs::File;
use std::io::{self, Write};

/// How much is written before its write-back is started.
const STRETCH: u64 = 8 << 20;

/// A file whose written stretches start on their way to the disk (on Linux; elsewhere a plain file).
pub struct Writeback {
    file: File,
    written: u64,
    started: u64,
}

impl Writeback {
    /// Writes `file` from its start.
    pub fn new(file: File) -> Writeback {
        Writeback {
            file,
            written: 0,
            started: 0,
        }
    }

    /// The file, to sync.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Starts the write-back of what was written since the last start, without waiting for it.
    fn start(&mut self) {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let (offset, len) = (self.started, self.written - self.started);
            if let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) {
                // SAFETY: the descriptor is this file's own, open for as long as `self`. The call only
                // starts writing pages back; a failure leaves them to the final sync, as without it.
                unsafe {
                    libc::sync_file_range(
                        self.file.as_raw_fd(),
                        offset,
                        len,
                        libc::SYNC_FILE_RANGE_WRITE,
                    );
                }
            }
        }
        self.started = self.written;
    }
}

impl Write for Writeback {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= STRETCH {
            self.start();
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}
