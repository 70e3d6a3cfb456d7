//! Test support for the daemon: starts `storyhash serve` on 127.0.0.1:0 as a child process, and a minimal
//! HTTP/1.1 client over a plain TCP stream (so that tests can also send malformed or slow requests).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `Ok` when `done`, else what went wrong: the answer of one [`eventually`] attempt.
pub fn ok_if(done: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if done {
        Ok(())
    } else {
        Err(why())
    }
}

/// Calls `attempt` every `pause` until it succeeds, for at most 30 s; then fails with what the last
/// attempt said.
pub fn eventually<T>(pause: Duration, mut attempt: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match attempt() {
            Ok(done) => return done,
            Err(why) => {
                assert!(Instant::now() < deadline, "{why}");
                std::thread::sleep(pause);
            }
        }
    }
}

/// A running `storyhash serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    /// Drains the daemon's stderr as it comes (a full pipe would stall it), into `logged`.
    log: Option<std::thread::JoinHandle<()>>,
    /// What the daemon wrote to stderr so far.
    logged: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Server {
    /// Starts `storyhash serve --db DB --listen 127.0.0.1:0 ARGS…` and waits for its address.
    pub fn start(db: &Path, args: &[&str]) -> Server {
        Server::start_logging(db, args, &[], true)
    }

    /// [`start`](Self::start) with variables `env` set in the daemon's environment.
    pub fn start_with_env(db: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        Server::start_logging(db, args, env, true)
    }

    /// [`start`](Self::start) with the daemon's standard error a pipe nobody reads, closed at once (a log
    /// collector that went away): every write to it fails.
    pub fn start_unlogged(db: &Path, args: &[&str]) -> Server {
        Server::start_logging(db, args, &[], false)
    }

    fn start_logging(db: &Path, args: &[&str], env: &[(&str, &str)], logged: bool) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_storyhash"))
            .arg("serve")
            .arg("--db")
            .arg(db)
            .args(["--listen", "127.0.0.1:0"])
            .args(if args.contains(&"--log-level") {
                &[][..]
            } else {
                &["--log-level", "warn"][..]
            })
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn storyhash serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let written = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = logged.then(|| {
            let written = std::sync::Arc::clone(&written);
            std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n @ 1..) = stderr.read(&mut chunk) {
                    written.lock().unwrap().extend_from_slice(&chunk[..n]);
                }
            })
        });
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the address line");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .expect("address parses");
        Server {
            child,
            addr,
            log,
            logged: written,
        }
    }

    /// Runs `storyhash serve` on a store it must refuse; returns its exit status, what it printed on
    /// standard output and its log. A daemon still running after 60 s started instead: it is killed and
    /// the test fails.
    pub fn refused(db: &Path, args: &[&str]) -> (std::process::ExitStatus, String, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_storyhash"))
            .arg("serve")
            .arg("--db")
            .arg(db)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run storyhash serve");
        let (mut out, mut err) = (
            child.stdout.take().expect("piped stdout"),
            child.stderr.take().expect("piped stderr"),
        );
        let reader = std::thread::spawn(move || {
            let (mut o, mut e) = (String::new(), String::new());
            let _ = out.read_to_string(&mut o);
            let _ = err.read_to_string(&mut e);
            (o, e)
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("storyhash serve {args:?} started instead of refusing");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let (out, err) = reader.join().expect("reader");
        (status, out, err)
    }

    /// Starts the daemon and waits until `/readyz` answers 200.
    pub fn ready(db: &Path, args: &[&str]) -> Server {
        let server = Server::start(db, args);
        server.wait_ready();
        server
    }

    /// Polls `/readyz` until it answers 200 (at most 60 s).
    pub fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = try_request(self.addr, "GET", "/readyz", &[], b"") {
                if r.status == 200 {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "the daemon never became ready");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends a request and returns the response.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        request(self.addr, method, path, headers, body)
    }

    /// POSTs JSON.
    pub fn post(&self, path: &str, body: &serde_json::Value) -> Reply {
        self.request("POST", path, &[], body.to_string().as_bytes())
    }

    /// GETs a path.
    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[], b"")
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        self.terminate_with_log().0
    }

    /// Sends SIGTERM, waits for the exit, and returns the status and everything written to stderr.
    pub fn terminate_with_log(&mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        let status = self.child.wait().expect("reap the daemon");
        (status, self.log_text())
    }

    /// Everything the daemon wrote to stderr (call after it has exited).
    pub fn log_text(&mut self) -> String {
        if let Some(draining) = self.log.take() {
            let _ = draining.join();
        }
        self.log_so_far()
    }

    /// What the daemon wrote to stderr so far, while it runs.
    pub fn log_so_far(&self) -> String {
        String::from_utf8_lossy(&self.logged.lock().unwrap()).into_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request on a fresh connection (`Connection: close`) and reads the whole response.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    try_request(addr, method, path, headers, body)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// Like [`request`], but a connection error is returned.
/// A port free on the loopback address now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

pub fn try_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

/// Parses a whole HTTP/1.1 response (the body runs to the end of the bytes).
pub fn parse_response(raw: &[u8]) -> std::io::Result<Reply> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| bad("headers are not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or_else(|| bad("no status line"))?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("bad status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let mut body = raw[split + 4..].to_vec();
    if chunked {
        body = dechunk(&body).ok_or_else(|| bad("bad chunked body"))?;
    }
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// The payload of a chunked body.
fn dechunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = raw.windows(2).position(|w| w == b"\r\n")?;
        let size = usize::from_str_radix(std::str::from_utf8(&raw[..end]).ok()?.trim(), 16).ok()?;
        raw = &raw[end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(raw.get(..size)?);
        raw = raw.get(size + 2..)?;
    }
}

/// A keep-alive connection for many requests in a row.
pub struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    addr: SocketAddr,
}

impl Connection {
    /// Connects to the daemon.
    pub fn open(addr: SocketAddr) -> std::io::Result<Connection> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        Ok(Connection {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
            addr,
        })
    }

    /// Sends one request and reads its response (Content-Length framed).
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Reply> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut message = head.into_bytes();
        message.extend_from_slice(body);
        self.writer.write_all(&message)?;
        let mut raw = Vec::new();
        loop {
            let before = raw.len();
            let n = self.reader.read_until(b'\n', &mut raw)?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "connection closed",
                ));
            }
            if &raw[before..] == b"\r\n" {
                break;
            }
        }
        let mut reply = parse_response(&raw)?;
        let length: usize = reply
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        reply.body = vec![0; length];
        self.reader.read_exact(&mut reply.body)?;
        Ok(reply)
    }
}
