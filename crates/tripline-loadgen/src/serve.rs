//! Run `tripline serve` as a child process for reliability tests and benchmarks: start on
//! a data dir, wait for the ready file, `kill -9` it, restart it on the same data dir,
//! read its peak RSS, and run `tripline query`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// How to start the server.
#[derive(Clone, Debug)]
pub struct ServeSpec {
    /// The `tripline` binary.
    pub bin: PathBuf,
    /// `--data`.
    pub data: PathBuf,
    /// Scratch directory for the ready file, the log and the redaction key.
    pub scratch: PathBuf,
    /// `--http` (`127.0.0.1:0` for any free port).
    pub http: String,
    /// `--grpc`.
    pub grpc: String,
    /// More arguments (`--rules DIR`, ...).
    pub args: Vec<String>,
    /// Environment (`TRIPLINE_PIPELINE_MAX_INFLIGHT_BATCHES`, ...).
    pub env: Vec<(String, String)>,
}

impl ServeSpec {
    /// Loopback on free ports; the key file and config home under `scratch`.
    pub fn new(
        bin: impl Into<PathBuf>,
        data: impl Into<PathBuf>,
        scratch: impl Into<PathBuf>,
    ) -> ServeSpec {
        ServeSpec {
            bin: bin.into(),
            data: data.into(),
            scratch: scratch.into(),
            http: "127.0.0.1:0".into(),
            grpc: "127.0.0.1:0".into(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }
}

/// A running server.
pub struct Serve {
    spec: ServeSpec,
    child: Child,
    http: String,
    grpc: String,
    starts: u32,
}

/// How long the server may take to write its ready file.
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);

impl Serve {
    /// Start and wait until ready.
    pub fn start(spec: ServeSpec) -> anyhow::Result<Serve> {
        std::fs::create_dir_all(&spec.scratch)?;
        let (child, http, grpc) = spawn(&spec, 1)?;
        Ok(Serve {
            spec,
            child,
            http,
            grpc,
            starts: 1,
        })
    }

    /// `127.0.0.1:PORT` of OTLP/HTTP.
    pub fn http_addr(&self) -> &str {
        &self.http
    }
    /// `127.0.0.1:PORT` of OTLP/gRPC.
    pub fn grpc_addr(&self) -> &str {
        &self.grpc
    }
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
    /// The data dir.
    pub fn data(&self) -> &Path {
        &self.spec.data
    }
    /// How many times the server was started.
    pub fn starts(&self) -> u32 {
        self.starts
    }

    /// SIGKILL and reap.
    pub fn kill9(&mut self) -> anyhow::Result<ExitStatus> {
        self.child.kill().context("SIGKILL")?;
        Ok(self.child.wait()?)
    }

    /// Start again on the same data dir (after [`Serve::kill9`] or an exit).
    pub fn restart(&mut self) -> anyhow::Result<()> {
        if self.child.try_wait()?.is_none() {
            bail!(
                "restart: the server (pid {}) is still running",
                self.child.id()
            );
        }
        self.starts += 1;
        let (child, http, grpc) = spawn(&self.spec, self.starts)?;
        self.child = child;
        self.http = http;
        self.grpc = grpc;
        Ok(())
    }

    /// SIGTERM, then wait (up to `grace`) for the exit status.
    pub fn terminate(&mut self, grace: Duration) -> anyhow::Result<ExitStatus> {
        if let Some(st) = self.child.try_wait()? {
            return Ok(st);
        }
        // SAFETY: sending a signal to our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let until = Instant::now() + grace;
        loop {
            if let Some(st) = self.child.try_wait()? {
                return Ok(st);
            }
            if Instant::now() >= until {
                self.child.kill().ok();
                self.child.wait().ok();
                bail!("tripline serve did not exit within {grace:?} of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Peak resident set size (VmHWM) in KiB, from `/proc/PID/status`.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.child.id(), "VmHWM:")
    }

    /// Current RSS (VmRSS) in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.child.id(), "VmRSS:")
    }

    /// The server's output (all starts).
    pub fn log_text(&self) -> String {
        let mut s = String::new();
        for n in 1..=self.starts {
            let p = log_path(&self.spec, n);
            s.push_str(&format!("--- tripline serve output, start {n} ---\n"));
            s.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
        }
        s
    }

    /// `tripline query --data DATA SQL`, rows as JSON objects.
    pub fn query(
        &self,
        sql: &str,
    ) -> anyhow::Result<Vec<serde_json::Map<String, serde_json::Value>>> {
        query(&self.spec.bin, &self.spec.data, sql)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.terminate(Duration::from_secs(10));
        }
    }
}

fn log_path(spec: &ServeSpec, n: u32) -> PathBuf {
    spec.scratch.join(format!("serve-{n}.log"))
}

fn spawn(spec: &ServeSpec, n: u32) -> anyhow::Result<(Child, String, String)> {
    let ready = spec.scratch.join("ready.json");
    let _ = std::fs::remove_file(&ready);
    let log = File::create(log_path(spec, n))?;
    let mut cmd = Command::new(&spec.bin);
    cmd.args([
        "serve", "--http", &spec.http, "--grpc", &spec.grpc, "--data",
    ])
    .arg(&spec.data)
    .arg("--ready-file")
    .arg(&ready)
    .args(&spec.args)
    .env("XDG_CONFIG_HOME", spec.scratch.join("config"))
    .env("HOME", &spec.scratch)
    .stdin(Stdio::null())
    .stdout(log.try_clone()?)
    .stderr(log);
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", spec.bin.display()))?;
    let until = Instant::now() + READY_TIMEOUT;
    loop {
        if let Some(st) = child.try_wait()? {
            let text = std::fs::read_to_string(log_path(spec, n)).unwrap_or_default();
            bail!("tripline serve exited with {st} before it was ready:\n{text}");
        }
        if let Ok(text) = std::fs::read_to_string(&ready) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                let http = v["http"].as_str().unwrap_or_default().to_string();
                let grpc = v["grpc"].as_str().unwrap_or_default().to_string();
                if !http.is_empty() {
                    return Ok((child, http, grpc));
                }
            }
        }
        if Instant::now() >= until {
            child.kill().ok();
            child.wait().ok();
            bail!("tripline serve wrote no ready file within {READY_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `tripline query --data DATA SQL` as rows.
pub fn query(
    bin: &Path,
    data: &Path,
    sql: &str,
) -> anyhow::Result<Vec<serde_json::Map<String, serde_json::Value>>> {
    let out = Command::new(bin)
        .arg("query")
        .arg("--data")
        .arg(data)
        .arg(sql)
        .stdin(Stdio::null())
        .output()
        .context("running tripline query")?;
    if !out.status.success() {
        bail!(
            "tripline query {sql:?} failed with {}: {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match serde_json::from_str(l)? {
            serde_json::Value::Object(m) => Ok(m),
            other => bail!("query row is not an object: {other}"),
        })
        .collect()
}

fn proc_status_kib(pid: u32, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines().find(|l| l.starts_with(key)).and_then(|l| {
        l[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    })
}

/// CPU time (user + system) used by this process so far.
pub fn self_cpu_time() -> Duration {
    // SAFETY: getrusage writes into the zeroed struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// CPU time (user + system) of another process, from `/proc/PID/stat` (clock ticks).
pub fn process_cpu_time(pid: u32) -> Option<Duration> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Some(Duration::from_nanos(ticks * 1_000_000_000 / hz))
}
