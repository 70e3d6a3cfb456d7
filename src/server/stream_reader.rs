//! The log's reads, on a connection of their own: XREAD's answer is parsed as it arrives (RESP2) straight
//! into entries. The `redis` client builds a tree of values from every answer first, with a general
//! parser; a node catching up a log of single-article requests spent more CPU there than in deciding the
//! articles. Every other command (appends, checks, settings) still goes through the `redis` client, and
//! this connection is made from the same URL: the same host, port or socket, user, password and database.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use redis::{ConnectionAddr, ConnectionInfo};

use super::redis_log::{Fields, Position};

/// The longest string or array an answer may announce: Redis's own bound on a string (its default
/// `proto-max-bulk-len`). A longer one is a broken answer, not an allocation to make.
const MAX_LENGTH: usize = 512 << 20;

/// Why a read failed.
#[derive(Debug)]
pub enum ReadError {
    /// The connection failed or timed out; it is not usable any more.
    Io(io::Error),
    /// Redis answered with an error; the connection stays usable.
    Refused(String),
    /// Redis refused the connection's setup (`AUTH`, `SELECT`); the connection was not made.
    SetupRefused {
        /// The command refused.
        command: &'static str,
        /// Redis's answer.
        message: String,
    },
    /// The answer was not what XREAD answers; the connection is not usable any more.
    Unreadable(String),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> ReadError {
        ReadError::Io(e)
    }
}

/// A TCP or Unix socket.
enum Socket {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Socket {
    fn set_timeout(&self, timeout: Duration) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => {
                s.set_read_timeout(Some(timeout))?;
                s.set_write_timeout(Some(timeout))
            }
            Socket::Unix(s) => {
                s.set_read_timeout(Some(timeout))?;
                s.set_write_timeout(Some(timeout))
            }
        }
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.read(buf),
            Socket::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.write(buf),
            Socket::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.flush(),
            Socket::Unix(s) => s.flush(),
        }
    }
}

impl ReadError {
    /// The error as an answer to `command` of the connection's setup.
    fn in_setup(self, command: &'static str) -> ReadError {
        match self {
            ReadError::Refused(message) => ReadError::SetupRefused { command, message },
            other => other,
        }
    }
}

/// One connection that reads a stream.
pub struct StreamReader {
    socket: BufReader<Socket>,
    /// The command being sent, and the header line being read.
    out: Vec<u8>,
    line: Vec<u8>,
}

impl StreamReader {
    /// Connects as `info` says (within `timeout`), authenticates and selects the database.
    pub fn connect(info: &ConnectionInfo, timeout: Duration) -> Result<StreamReader, ReadError> {
        let socket = match info.addr() {
            ConnectionAddr::Tcp(host, port) => {
                let mut last = None;
                let mut connected = None;
                for addr in (host.as_str(), *port).to_socket_addrs()? {
                    match TcpStream::connect_timeout(&addr, timeout) {
                        Ok(s) => {
                            connected = Some(s);
                            break;
                        }
                        Err(e) => last = Some(e),
                    }
                }
                let stream = connected.ok_or_else(|| {
                    last.unwrap_or_else(|| io::Error::other(format!("{host} has no address")))
                })?;
                stream.set_nodelay(true)?;
                Socket::Tcp(stream)
            }
            ConnectionAddr::Unix(path) => Socket::Unix(UnixStream::connect(path)?),
            other => {
                return Err(ReadError::Io(io::Error::other(format!(
                    "cannot read the log over {other:?}"
                ))))
            }
        };
        socket.set_timeout(timeout)?;
        let mut reader = StreamReader::on(socket);
        let settings = info.redis_settings();
        if let Some(password) = settings.password() {
            match settings.username() {
                Some(user) => reader.send(&[b"AUTH", user.as_bytes(), password.as_bytes()])?,
                None => reader.send(&[b"AUTH", password.as_bytes()])?,
            }
            reader.expect_ok().map_err(|e| e.in_setup("AUTH"))?;
        }
        if settings.db() != 0 {
            reader.send(&[b"SELECT", settings.db().to_string().as_bytes()])?;
            reader.expect_ok().map_err(|e| e.in_setup("SELECT"))?;
        }
        Ok(reader)
    }

    /// A reader on a socket already connected (and authenticated, where it must be).
    fn on(socket: Socket) -> StreamReader {
        StreamReader {
            socket: BufReader::with_capacity(1 << 16, socket),
            out: Vec::new(),
            line: Vec::new(),
        }
    }

    /// Up to `count` entries of `stream` after `after`, waiting up to `block` for the first to come; each
    /// read and write on the connection bounded by `timeout`.
    pub fn xread(
        &mut self,
        stream: &str,
        after: Position,
        count: usize,
        block: Duration,
        timeout: Duration,
    ) -> Result<Vec<(Position, Fields)>, ReadError> {
        self.socket.get_ref().set_timeout(timeout)?;
        let (asked, block, after) = (
            count.to_string(),
            block.as_millis().to_string(),
            after.to_string(),
        );
        self.send(&[
            b"XREAD",
            b"COUNT",
            asked.as_bytes(),
            b"BLOCK",
            block.as_bytes(),
            b"STREAMS",
            stream.as_bytes(),
            after.as_bytes(),
        ])?;
        // [[stream, [[id, [field, value, …]], …]]], or a null array when nothing came in time.
        let Some(streams) = self.array()? else {
            return Ok(Vec::new());
        };
        if streams != 1 {
            return Err(unreadable(format!("{streams} streams in the answer")));
        }
        if self.array()? != Some(2) {
            return Err(unreadable("a stream is not [name, entries]"));
        }
        self.bulk()?;
        let entries = self.array()?.unwrap_or(0);
        if entries > count {
            return Err(unreadable(format!(
                "{entries} entries where {count} were asked for"
            )));
        }
        let mut out = Vec::with_capacity(entries);
        for _ in 0..entries {
            if self.array()? != Some(2) {
                return Err(unreadable("an entry is not [id, fields]"));
            }
            let id = self.bulk()?;
            let position = std::str::from_utf8(&id)
                .ok()
                .and_then(Position::parse)
                .ok_or_else(|| unreadable("an entry id is unreadable"))?;
            let flat = self.array()?.unwrap_or(0);
            if flat % 2 != 0 {
                return Err(unreadable("entry fields do not pair up"));
            }
            // An entry holds a handful of fields; the count is the answer's word, not a size to trust.
            let mut fields = Vec::with_capacity((flat / 2).min(16));
            for _ in 0..flat / 2 {
                let name = String::from_utf8(self.bulk()?)
                    .map_err(|_| unreadable("a field name is not text"))?;
                fields.push((name, self.bulk()?));
            }
            out.push((position, fields));
        }
        Ok(out)
    }

    /// Sends one command.
    fn send(&mut self, args: &[&[u8]]) -> io::Result<()> {
        self.out.clear();
        self.out
            .extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for arg in args {
            self.out
                .extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            self.out.extend_from_slice(arg);
            self.out.extend_from_slice(b"\r\n");
        }
        let socket = self.socket.get_mut();
        socket.write_all(&self.out)?;
        socket.flush()
    }

    /// Reads a header line: its type byte and the rest, without the line end. An error answer is
    /// [`ReadError::Refused`].
    fn header(&mut self) -> Result<(u8, &[u8]), ReadError> {
        self.line.clear();
        self.socket.read_until(b'\n', &mut self.line)?;
        let Some(body) = self.line.strip_suffix(b"\r\n") else {
            return Err(if self.line.is_empty() {
                ReadError::Io(io::ErrorKind::UnexpectedEof.into())
            } else {
                unreadable("a line of the answer does not end in CRLF")
            });
        };
        let (&kind, rest) = body
            .split_first()
            .ok_or_else(|| unreadable("an empty line in the answer"))?;
        if kind == b'-' {
            return Err(ReadError::Refused(
                String::from_utf8_lossy(rest).into_owned(),
            ));
        }
        Ok((kind, rest))
    }

    /// Reads a header of type `kind` holding a length (`None`: the null one, -1).
    fn length(&mut self, kind: u8) -> Result<Option<usize>, ReadError> {
        let (found, rest) = self.header()?;
        if found != kind {
            return Err(unreadable(format!(
                "`{}` where `{}` was expected",
                found as char, kind as char
            )));
        }
        let text = std::str::from_utf8(rest).map_err(|_| unreadable("an unreadable length"))?;
        if text == "-1" {
            return Ok(None);
        }
        match text.parse() {
            Ok(n) if n <= MAX_LENGTH => Ok(Some(n)),
            _ => Err(unreadable(format!("`{text}` is not a length"))),
        }
    }

    /// Reads an array header: its length, `None` for the null array.
    fn array(&mut self) -> Result<Option<usize>, ReadError> {
        self.length(b'*')
    }

    /// Reads a bulk string (a null one reads empty).
    fn bulk(&mut self) -> Result<Vec<u8>, ReadError> {
        let Some(len) = self.length(b'$')? else {
            return Ok(Vec::new());
        };
        let mut bytes = vec![0; len + 2];
        self.socket.read_exact(&mut bytes)?;
        if !bytes.ends_with(b"\r\n") {
            return Err(unreadable("a bulk string does not end in CRLF"));
        }
        bytes.truncate(len);
        Ok(bytes)
    }

    /// Reads a `+OK` answer.
    fn expect_ok(&mut self) -> Result<(), ReadError> {
        match self.header()? {
            (b'+', _) => Ok(()),
            (kind, _) => Err(unreadable(format!(
                "`{}` where `+OK` was expected",
                kind as char
            ))),
        }
    }
}

fn unreadable(message: impl Into<String>) -> ReadError {
    ReadError::Unreadable(message.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader whose peer answers `answer` to whatever it is sent, then says no more; and the peer.
    fn answering(answer: &[u8]) -> (StreamReader, UnixStream) {
        let (ours, mut theirs) = UnixStream::pair().unwrap();
        theirs.write_all(answer).unwrap();
        theirs.shutdown(std::net::Shutdown::Write).unwrap();
        (StreamReader::on(Socket::Unix(ours)), theirs)
    }

    fn read(answer: &[u8]) -> Result<Vec<(Position, Fields)>, ReadError> {
        let (mut reader, _peer) = answering(answer);
        let after = Position { ms: 4, seq: 0 };
        reader.xread(
            "log",
            after,
            16,
            Duration::from_millis(5),
            Duration::from_secs(1),
        )
    }

    #[test]
    fn xread_answers_read_into_entries() {
        let (mut reader, mut peer) = answering(
            b"*1\r\n*2\r\n$3\r\nlog\r\n*2\r\n\
              *2\r\n$3\r\n5-1\r\n*4\r\n$1\r\nv\r\n$1\r\n1\r\n$4\r\nkind\r\n$6\r\ndelete\r\n\
              *2\r\n$3\r\n6-0\r\n*2\r\n$4\r\nbody\r\n$4\r\na\r\nb\r\n",
        );
        let after = Position { ms: 4, seq: 0 };
        let entries = reader
            .xread(
                "log",
                after,
                16,
                Duration::from_millis(5),
                Duration::from_secs(1),
            )
            .unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].0, Position { ms: 5, seq: 1 });
        assert_eq!(entries[0].1[1], ("kind".to_string(), b"delete".to_vec()));
        // A value holding CRLF is read by its length.
        assert_eq!(entries[1].1[0], ("body".to_string(), b"a\r\nb".to_vec()));
        let mut sent = vec![0; 128];
        let n = peer.read(&mut sent).unwrap();
        let sent = String::from_utf8_lossy(&sent[..n]).into_owned();
        assert_eq!(
            sent,
            "*8\r\n$5\r\nXREAD\r\n$5\r\nCOUNT\r\n$2\r\n16\r\n$5\r\nBLOCK\r\n$1\r\n5\r\n\
             $7\r\nSTREAMS\r\n$3\r\nlog\r\n$3\r\n4-0\r\n"
        );
    }

    #[test]
    fn a_refused_login_is_named_as_such() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let peer = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            let mut sent = vec![0; 128];
            let n = socket.read(&mut sent).unwrap();
            socket
                .write_all(b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
                .unwrap();
            String::from_utf8_lossy(&sent[..n]).into_owned()
        });
        let client = redis::Client::open(format!("redis://reader:pw@127.0.0.1:{port}")).unwrap();
        match StreamReader::connect(client.get_connection_info(), Duration::from_secs(5)) {
            Err(ReadError::SetupRefused { command, message }) => {
                assert_eq!(command, "AUTH");
                assert!(message.starts_with("WRONGPASS"), "{message}");
            }
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("logged in"),
        }
        assert!(peer.join().unwrap().contains("AUTH"));
    }

    /// Reading `answer` fails as a broken answer whose message says `says`.
    fn assert_unreadable(answer: &[u8], says: &str) {
        match read(answer) {
            Err(ReadError::Unreadable(m)) => assert!(m.contains(says), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nothing_in_time_is_no_entries_and_bad_answers_say_why() {
        assert!(read(b"*-1\r\n").unwrap().is_empty());
        match read(b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n") {
            Err(ReadError::Refused(m)) => assert!(m.starts_with("WRONGTYPE"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert_unreadable(
            b"*1\r\n*2\r\n$3\r\nlog\r\n*1\r\n*2\r\n$3\r\nx-1\r\n*0\r\n",
            "entry id",
        );
        assert_unreadable(
            b"*1\r\n*2\r\n$3\r\nlog\r\n*1\r\n*2\r\n$3\r\n5-1\r\n*1\r\n$1\r\nv\r\n",
            "pair",
        );
        // Lengths beyond what Redis sends, and more entries than asked for, are refused unread.
        assert_unreadable(b"*1\r\n*2\r\n$99999999999\r\n", "not a length");
        assert_unreadable(b"*1\r\n*2\r\n$3\r\nlog\r\n*17\r\n", "asked for");
        // An answer cut short: the peer closed the connection.
        match read(b"*1\r\n*2\r\n$3\r\nlog\r\n*1\r\n*2\r\n$30\r\n5-1") {
            Err(ReadError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof),
            other => panic!("{other:?}"),
        }
    }
}
