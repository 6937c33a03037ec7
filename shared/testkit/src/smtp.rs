//! A real SMTP server for tests: `tests/smtp/server.py` (aiosmtpd) on a loopback port,
//! installed into its cached virtual environment by `tests/smtp/install.sh` when missing.
//! Each accepted message is read back as JSON (envelope, decoded headers, both parts).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/smtp");
/// The install script takes a lock of its own; this keeps one test binary's threads from
/// queueing on it.
static INSTALL: Mutex<()> = Mutex::new(());

/// The cached virtual environment with aiosmtpd.
pub fn venv() -> PathBuf {
    if let Some(v) = std::env::var_os("GCC_SMTP_VENV") {
        return PathBuf::from(v);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("gcc").join("smtp-venv")
}

fn install() -> PathBuf {
    let venv = venv();
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if !venv.join("bin/python").exists() {
        let status = Command::new("bash")
            .arg(format!("{SCRIPTS}/install.sh"))
            .arg(&venv)
            .status()
            .expect("run tests/smtp/install.sh");
        assert!(status.success(), "tests/smtp/install.sh failed: {status}");
    }
    venv
}

/// A message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub subject: String,
    pub message_id: String,
    pub from: String,
    pub to: String,
    pub cc: String,
    pub header_names: Vec<String>,
    pub text: String,
    pub html: String,
    pub raw: String,
}

/// A running test SMTP server; stopped when dropped.
pub struct SmtpServer {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl SmtpServer {
    /// Starts a server with the behaviours of `args` (`--temp-fail N`, `--reject TEXT`,
    /// `--hang-after-data`).
    pub fn start(args: &[&str]) -> Self {
        let venv = install();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(venv.join("bin/python"))
            .arg(format!("{SCRIPTS}/server.py"))
            .arg("--dir")
            .arg(dir.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the test SMTP server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read the SMTP server's port");
        let port = line.trim().strip_prefix("PORT ").and_then(|p| p.parse().ok());
        let Some(port) = port else {
            let _ = child.kill();
            panic!("the test SMTP server did not start: {line:?}");
        };
        Self { port, dir, child }
    }

    /// `smtp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages accepted so far, in order.
    pub fn messages(&self) -> Vec<Received> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("read the SMTP server's folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        paths.iter().map(|p| parse(&std::fs::read_to_string(p).expect("read a received message"))).collect()
    }

    /// Waits (up to 30 s) until at least `n` messages arrived, and returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            assert!(tokio::time::Instant::now() < deadline, "{n} messages expected, {} arrived", got.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse(json: &str) -> Received {
    let v: serde_json::Value = serde_json::from_str(json).expect("a received message's JSON");
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_owned();
    let list = |k: &str| -> Vec<String> {
        v.get(k)
            .and_then(|x| x.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    Received {
        mail_from: s("mail_from"),
        rcpt_tos: list("rcpt_tos"),
        subject: s("subject"),
        message_id: s("message_id"),
        from: s("from"),
        to: s("to"),
        cc: s("cc"),
        header_names: list("header_names"),
        // Line ends as written in the templates.
        text: s("text").replace("\r\n", "\n"),
        html: s("html").replace("\r\n", "\n"),
        raw: s("raw"),
    }
}
