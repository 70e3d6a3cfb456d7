//! A `redis-server` child for the tests and benches of the multi-node mode: its own port and data
//! directory, `appendonly yes` with `appendfsync always`, commands sent over a plain socket, killed by
//! SIGKILL or restarted on its files, killed when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `redis-server`, or `None` (with a note) when it is not installed and CI does not require it.
pub fn redis_server() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("redis-server"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none()
                && std::env::var_os("STORYHASH_REQUIRE_REDIS").is_none(),
            "redis-server is not installed (.ci/run installs Debian's redis-server)"
        );
        eprintln!("note: redis-server not found; skipping the multi-node tests");
    }
    found
}

pub use crate::http::free_port;

/// A `redis-server` child with its data directory, killed when dropped.
pub struct Redis {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
    child: Option<Child>,
    extra: Vec<String>,
}

impl Redis {
    pub fn start() -> Option<Redis> {
        Redis::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> Option<Redis> {
        let mut redis = Redis {
            bin: redis_server()?,
            dir: tempfile::tempdir().expect("temp dir"),
            port: 0,
            child: None,
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        for _ in 0..5 {
            redis.port = free_port();
            if redis.spawn() {
                return Some(redis);
            }
        }
        panic!("redis-server did not start; see {}", redis.log().display());
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Its data directory (the load bench measures its append-only files).
    #[allow(dead_code)]
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn log(&self) -> PathBuf {
        self.dir.path().join("redis.log")
    }

    /// Starts the server on its port and directory (a restart reads the same files); false when it
    /// exited before answering PING.
    fn spawn(&mut self) -> bool {
        // A server that asks for a password answers, too.
        self.spawn_until(|r| r == "+PONG" || r.starts_with("-NOAUTH"))
    }

    /// Starts the server as [`spawn`](Self::spawn) does; true once its answer to PING passes `ready`.
    fn spawn_until(&mut self, ready: impl Fn(&str) -> bool) -> bool {
        let child = Command::new(&self.bin)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(self.dir.path())
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .args(["--daemonize", "no", "--logfile"])
            .arg(self.log())
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut() {
                if child.try_wait().ok().flatten().is_some() {
                    self.child = None;
                    return false;
                }
            }
            if self.command(&["PING"]).is_ok_and(|r| ready(&r)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Sends one command and reads a one-line answer (or a bulk string's payload).
    pub fn command(&self, args: &[&str]) -> std::io::Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut message = format!("*{}\r\n", args.len());
        for a in args {
            message.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        stream.write_all(message.as_bytes())?;
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end().to_string();
        if let Some(len) = line.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
            let mut payload = vec![0; len + 2];
            reader.read_exact(&mut payload)?;
            payload.truncate(len);
            return Ok(String::from_utf8_lossy(&payload).into_owned());
        }
        Ok(line)
    }

    /// SIGKILL, by pid.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL redis-server");
            child.wait().expect("reap redis-server");
        }
    }

    /// Restarts on a new, empty data directory: a Redis that lost everything it held.
    pub fn restart_empty(&mut self) {
        self.dir = tempfile::tempdir().expect("temp dir");
        self.restart();
    }

    pub fn restart(&mut self) {
        assert!(self.spawn(), "redis-server restarts on its files");
    }

    /// Restarts on its files and returns while it still loads them (it answers LOADING): started with
    /// `--key-load-delay`, a server loads each key that much slower.
    #[allow(dead_code)]
    pub fn restart_loading(&mut self) {
        assert!(
            self.spawn_until(|r| r.starts_with("-LOADING")),
            "redis-server restarts and answers LOADING while it loads its files; see {}",
            self.log().display()
        );
    }

    pub fn signal(&self, signal: i32) {
        let pid = self.child.as_ref().expect("running").id() as i32;
        // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "signal redis-server");
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_ref() {
            // A stopped server would not die of SIGKILL before it is continued on some systems.
            // SAFETY: as in `signal`.
            unsafe { libc::kill(child.id() as i32, libc::SIGCONT) };
        }
        self.kill();
    }
}
