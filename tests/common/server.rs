#![allow(dead_code)] // each test binary uses a different part of this shared harness
//! The real `stockroom` binary on a free port with a temporary database, and a minimal HTTP
//! client for it. Shared by the CLI tests and the browser tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

pub const BIN: &str = env!("CARGO_BIN_EXE_stockroom");

/// The binary with a cheap argon2 cost and info logs, on `db`.
pub fn cmd(db: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--db")
        .arg(db)
        .env("STOCKROOM_ARGON2_MEMORY_KIB", "256")
        .env("STOCKROOM_ARGON2_ITERATIONS", "1")
        .env("RUST_LOG", "info");
    c
}

pub struct Server {
    child: Child,
    pub addr: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    pub fn start(db: &Path) -> Server {
        Server::start_with(db, &[])
    }

    /// With extra environment, e.g. `("STOCKROOM_AUTH_RATE_LIMIT", "0")`.
    pub fn start_with(db: &Path, env: &[(&str, &str)]) -> Server {
        let mut child = cmd(db)
            .args(["--port", "0"])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("listening on http://") {
                    let addr = line[at + 20..].split_whitespace().next().unwrap().to_owned();
                    let _ = tx.send(addr);
                }
                sink.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let addr = rx.recv_timeout(Duration::from_secs(20)).expect("server announced its address");
        Server { child, addr, log }
    }

    /// A minimal HTTP/1.1 exchange over a fresh connection; panics if the server is not there.
    pub fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        self.try_call(method, path, token, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// A refused, reset or truncated exchange (the server died) is an error, not a panic. A response counts only if its status line and whole body arrived.
    pub fn try_call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> std::io::Result<(u16, Value)> {
        self.try_call_with(method, path, token, body, &[])
    }

    /// As `call`, with extra request headers.
    pub fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        self.try_call_with(method, path, token, body, headers)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub fn try_call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> std::io::Result<(u16, Value)> {
        let broken = |what: &str| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, what.to_owned());
        let mut s = TcpStream::connect(&self.addr)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut extra = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        for (k, v) in headers {
            extra.push_str(&format!("{k}: {v}\r\n"));
        }
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)?;
        let raw = String::from_utf8(raw).map_err(|_| broken("response is not UTF-8"))?;
        let (head, payload) = raw.split_once("\r\n\r\n").ok_or_else(|| broken("no end of headers"))?;
        let status = head.get(9..12).and_then(|s| s.parse().ok()).ok_or_else(|| broken("no status line"))?;
        let status: u16 = status;
        if status == 204 {
            return Ok((status, Value::Null));
        }
        let length = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .ok_or_else(|| broken("no Content-Length"))?;
        if payload.len() != length {
            return Err(broken("truncated body"));
        }
        Ok((status, serde_json::from_str(payload).unwrap_or(Value::Null)))
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Sends SIGKILL now (from any thread that can see the server): no shutdown, no cleanup,
    /// whatever is in flight is cut off. The process stays unreaped until `kill`.
    pub fn sigkill(&self) {
        let sent = Command::new("kill").args(["-KILL", &self.child.id().to_string()]).status().unwrap();
        assert!(sent.success(), "kill -KILL {}", self.child.id());
    }

    /// SIGKILL (unless `sigkill` already sent it), reap the process, and return the log.
    pub fn kill(mut self) -> String {
        // An error here only means the process is already dead; `wait` reaps it either way.
        let _ = self.child.kill();
        self.child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let log = self.log.lock().unwrap().clone();
        log
    }

    pub fn login(&self, login: &str, password: &str) -> (u16, Value) {
        self.call("POST", "/api/auth/login", None, Some(json!({"login": login, "password": password})))
    }

    /// SIGTERM, then the exit status and everything logged.
    /// (A server a test never stopped — it failed first — is killed when dropped; see `Drop`.)
    pub fn stop(mut self) -> (bool, String) {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        let status = self.child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let log = self.log.lock().unwrap().clone();
        (status.success(), log)
    }
}

/// A test that fails before it stops its server must not leave the process running.
impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
