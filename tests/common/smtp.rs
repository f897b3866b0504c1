#![allow(dead_code)] // each test binary uses a different part of this shared harness
//! A real SMTP server on 127.0.0.1 for the mail tests: Python's `aiosmtpd`, run by
//! `smtp_sink.py` beside this file (never a mock transport). Every accepted message lands in a
//! temp folder, read back here and parsed with `mailparse`.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/common/smtp_sink.py");

/// How the sink speaks: plain, STARTTLS required, or TLS from the first byte.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Security {
    Plain,
    StartTls,
    Implicit,
}

pub struct Options<'a> {
    pub tls: Security,
    /// PEM certificate and key for `tls`.
    pub cert: Option<(&'a Path, &'a Path)>,
    /// `user:pass` the sink requires.
    pub auth: Option<&'a str>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options { tls: Security::Plain, cert: None, auth: None }
    }
}

pub struct Sink {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
    /// While this file exists, the sink answers every message 451.
    tempfail: PathBuf,
}

/// A delivered message.
#[derive(Debug, Clone)]
pub struct Mail {
    pub envelope_to: Vec<String>,
    pub raw: String,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub html: String,
    pub content_type: String,
}

impl Mail {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn subject(&self) -> &str {
        self.header("Subject").unwrap_or_default()
    }

    /// The first link to `path` (e.g. `/reset-password`) in the text part.
    pub fn link(&self, path: &str) -> Option<String> {
        self.text
            .split_whitespace()
            .find(|w| w.contains(path) && w.starts_with("http"))
            .map(|w| w.trim_end_matches(['.', ',', ')', '>']).to_owned())
    }

    /// The token after `#token=` in the link to `path`.
    pub fn token(&self, path: &str) -> Option<String> {
        let link = self.link(path)?;
        link.split_once("#token=").map(|(_, t)| t.to_owned())
    }
}

/// A free port on 127.0.0.1 (for a sink started later, "down at first").
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn ensure_aiosmtpd() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let has = |py: &str| {
            Command::new(py).args(["-c", "import aiosmtpd"]).status().map(|s| s.success()).unwrap_or(false)
        };
        if has("python3") {
            return;
        }
        // The package registries are reachable from CI and from a developer's machine.
        for extra in [&[][..], &["--break-system-packages"][..]] {
            let _ = Command::new("python3")
                .args(["-m", "pip", "install", "--quiet", "aiosmtpd"])
                .args(extra)
                .status();
            if has("python3") {
                return;
            }
        }
        panic!("the mail tests need Python's aiosmtpd: `python3 -m pip install aiosmtpd`");
    });
}

impl Sink {
    pub fn start() -> Sink {
        Sink::start_on(0, &Options::default())
    }

    /// On `port` (0: any free one).
    pub fn start_on(port: u16, o: &Options<'_>) -> Sink {
        ensure_aiosmtpd();
        let dir = tempfile::tempdir().unwrap();
        let tempfail = dir.path().join("tempfail");
        let mut c = Command::new("python3");
        c.arg(SCRIPT)
            .arg("--port")
            .arg(port.to_string())
            .arg("--dir")
            .arg(dir.path().join("mail"))
            .arg("--tempfail")
            .arg(&tempfail)
            .arg("--tls")
            .arg(match o.tls {
                Security::Plain => "none",
                Security::StartTls => "starttls",
                Security::Implicit => "implicit",
            });
        if let Some((cert, key)) = o.cert {
            c.arg("--cert").arg(cert).arg("--key").arg(key);
        }
        if let Some(auth) = o.auth {
            c.arg("--auth").arg(auth);
        }
        let mut child = c.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.strip_prefix("READY ").and_then(|p| p.trim().parse().ok()).unwrap_or_else(|| {
            let _ = child.kill();
            panic!("the SMTP sink did not start: {line:?}")
        });
        Sink { child, port, dir, tempfail }
    }

    /// `smtp+plain://127.0.0.1:PORT`, the URL of a plain sink.
    pub fn url(&self) -> String {
        format!("smtp+plain://127.0.0.1:{}", self.port)
    }

    /// Answers every message 451 until `accept_again`.
    pub fn refuse_temporarily(&self) {
        std::fs::write(&self.tempfail, "").unwrap();
    }

    pub fn accept_again(&self) {
        let _ = std::fs::remove_file(&self.tempfail);
    }

    /// Every message received so far, in order.
    pub fn received(&self) -> Vec<Mail> {
        let Ok(entries) = std::fs::read_dir(self.dir.path().join("mail")) else { return Vec::new() };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files.iter().map(|f| parse(&std::fs::read_to_string(f).unwrap())).collect()
    }

    /// Messages to `to`, once at least `n` of them arrived (panics after `within`).
    pub fn wait_for(&self, to: &str, n: usize, within: Duration) -> Vec<Mail> {
        let deadline = Instant::now() + within;
        loop {
            let mails: Vec<Mail> =
                self.received().into_iter().filter(|m| m.envelope_to.iter().any(|t| t == to)).collect();
            if mails.len() >= n {
                return mails;
            }
            if Instant::now() > deadline {
                panic!("{n} mail(s) to {to} did not arrive within {within:?}; got {mails:#?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// As `wait_for`, from async code.
    pub async fn arrival(&self, to: &str, n: usize, within: Duration) -> Vec<Mail> {
        let deadline = Instant::now() + within;
        loop {
            let mails: Vec<Mail> =
                self.received().into_iter().filter(|m| m.envelope_to.iter().any(|t| t == to)).collect();
            if mails.len() >= n || Instant::now() > deadline {
                assert!(
                    mails.len() >= n,
                    "{n} mail(s) to {to} did not arrive within {within:?}; got {mails:#?}"
                );
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse(json: &str) -> Mail {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let raw = v["data"].as_str().unwrap().to_owned();
    let envelope_to = v["to"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()).collect();
    let parsed = mailparse::parse_mail(raw.as_bytes()).unwrap();
    let headers = parsed.headers.iter().map(|h| (h.get_key(), h.get_value())).collect();
    let (mut text, mut html) = (String::new(), String::new());
    for part in parsed.parts() {
        match part.ctype.mimetype.as_str() {
            "text/plain" => text = part.get_body().unwrap(),
            "text/html" => html = part.get_body().unwrap(),
            _ => {}
        }
    }
    let content_type = parsed.ctype.mimetype.clone();
    drop(parsed);
    Mail { envelope_to, raw, headers, text, html, content_type }
}
