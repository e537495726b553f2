//! The web console in tests: console users, the real-traffic seed, and a small HTTP client
//! that keeps the session cookie and reads the CSRF token from the pages.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use super::tools;

/// The analyst and admin users every console test creates, and their passwords.
pub const ANALYST: (&str, &str) = ("ana", "analyst-password-1");
pub const ADMIN: (&str, &str) = ("root", "admin-password-12");

/// `tripline console user add --name NAME --role ROLE --data DATA`, the password on stdin.
pub fn add_user(data: &Path, name: &str, role: &str, password: &str) {
    let mut child = tools::tripline_command()
        .args([
            "console", "user", "add", "--name", name, "--role", role, "--data",
        ])
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tripline console user add");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "console user add failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Both test users in a fresh data dir.
pub fn add_test_users(data: &Path) {
    add_user(data, ANALYST.0, "analyst", ANALYST.1);
    add_user(data, ADMIN.0, "admin", ADMIN.1);
}

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

/// The scenarios the console tests seed a serve with: real Codex, Claude Code and Gemini
/// CLI traffic. Codex `f-tool-rm-rf-workspace-write` raises `posture_weakened` and has the
/// `rm -rf` tool result in its session.
pub const SEED: &[&str] = &[
    "codex-0.169.0/f-tool-rm-rf-workspace-write",
    "codex-0.169.0/b-bypass-approvals-and-sandbox",
    "codex-0.169.0/h-api-errors-500-then-ok",
    "claude-code-2.1.328/g_allowedtools_shell_accept",
    "gemini-cli-0.61.0/f_default_mode_shell_call",
];

/// One stored request: path, content type, body.
fn requests(dir: &Path) -> Vec<(String, String, Vec<u8>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".body") {
            let meta: serde_json::Value = serde_json::from_slice(
                &std::fs::read(dir.join(format!("{stem}.meta.json"))).unwrap(),
            )
            .unwrap();
            let path = meta["path"].as_str().unwrap().to_owned();
            let ct = meta["headers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("content-type"))
                .map(|h| h[1].as_str().unwrap().to_owned())
                .unwrap_or_else(|| "application/x-protobuf".into());
            out.push((path, ct, std::fs::read(&f).unwrap()));
        } else if let Some(stem) = name.strip_suffix(".pb") {
            if stem.contains("grpc") {
                continue;
            }
            let signal = stem.rsplit('-').next().unwrap();
            out.push((
                format!("/v1/{signal}"),
                "application/x-protobuf".into(),
                std::fs::read(&f).unwrap(),
            ));
        }
    }
    out
}

/// Send every stored request of the [`SEED`] scenarios to `addr` over HTTP.
pub fn seed(addr: &str) {
    for scenario in SEED {
        for (path, ct, body) in requests(&corpus_root().join(scenario)) {
            let reply = super::http::post(addr, &path, &[("Content-Type", &ct)], &body);
            assert_eq!(reply.status, 200, "{scenario} {path}: {}", reply.text());
        }
    }
}

/// One answer.
pub struct Page {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Page {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no CSRF field in the page:\n{}", self.body));
        let rest = &self.body[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

/// A console client: one connection per request, the session cookie kept.
pub struct Client {
    addr: String,
    pub cookie: Option<String>,
}

impl Client {
    pub fn new(addr: &str) -> Client {
        Client {
            addr: addr.to_owned(),
            cookie: None,
        }
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Page {
        self.send("GET", path, None)
    }

    /// `POST path` with a form body.
    pub fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send("POST", path, Some(body))
    }

    /// Log in; panics unless the console answers with a session cookie.
    pub fn login(&mut self, (name, password): (&str, &str)) {
        let page = self.post(
            "/ui/login",
            &[
                ("name", name),
                ("password", password),
                ("next", "/ui/alerts"),
            ],
        );
        assert_eq!(page.status, 303, "login as {name}: {}", page.body);
        let cookie = page
            .header("set-cookie")
            .expect("a session cookie")
            .to_owned();
        self.cookie = Some(cookie.split(';').next().unwrap().to_owned());
    }

    fn send(&self, method: &str, path: &str, body: Option<String>) -> Page {
        let mut s = TcpStream::connect(&self.addr).expect("connect to serve");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
        let body = body.unwrap_or_default();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        if method == "POST" {
            head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        if let Some(c) = &self.cookie {
            head.push_str(&format!("Cookie: {c}\r\n"));
        }
        head.push_str("\r\n");
        let _ = s.write_all(head.as_bytes());
        let _ = s.write_all(body.as_bytes());
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("{method} {}: no HTTP answer", &path[..path.len().min(80)]));
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|c| c.parse().ok())
            .expect("a status code");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
        {
            body = dechunk(&body);
        }
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&data[..eol])
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = eol + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
}

/// Percent-encode for a query string or form body: the console's own encoder.
pub use tripline_console::query::encode;
