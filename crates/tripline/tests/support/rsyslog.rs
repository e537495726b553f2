//! An `rsyslogd -n` of the test's own: UDP, TCP and (with a PKI) TLS inputs on free
//! loopback ports, `mmpstrucdata` to parse structured data, and one `omfile` action writing
//! what rsyslog parsed out of each message as a JSON line:
//! `input`, `pri`, `facility`, `severity`, `timestamp`, `hostname`, `app_name`, `procid`,
//! `msgid`, `structured_data` (raw), `sd` (parsed, a JSON text), `msg`.

use std::fmt::Write as _;
use std::fs;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use super::certs::Pair;
use super::{process, wait};

/// How long rsyslogd may take to open its inputs, and a message to reach the output file.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The ports of one rsyslogd.
pub struct Ports {
    pub udp: u16,
    pub tcp: u16,
    /// TLS, anonymous clients.
    pub tls: Option<u16>,
    /// TLS, clients must present a certificate signed by the CA.
    pub tls_client_auth: Option<u16>,
}

/// A running rsyslogd.
pub struct Rsyslog {
    child: Child,
    dir: TempDir,
    out: PathBuf,
    pub ports: Ports,
}

fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free TCP port")
        .port()
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("free UDP port")
        .port()
}

impl Rsyslog {
    /// Starts `rsyslogd` (path from `tools::require`); with `tls` (the CA file and the
    /// server's certificate), also two TLS inputs (GnuTLS driver), one of them requiring a
    /// client certificate.
    pub fn start(rsyslogd: &Path, tls: Option<(&Path, &Pair)>) -> Rsyslog {
        let dir = tempfile::Builder::new()
            .prefix("tripline-rsyslog-")
            .tempdir()
            .expect("temp dir");
        let out = dir.path().join("out.jsonl");
        let ports = Ports {
            udp: free_udp_port(),
            tcp: free_tcp_port(),
            tls: tls.map(|_| free_tcp_port()),
            tls_client_auth: tls.map(|_| free_tcp_port()),
        };
        let conf = dir.path().join("rsyslog.conf");
        fs::write(&conf, config(dir.path(), &out, &ports, tls)).expect("write rsyslog.conf");
        let log = fs::File::create(dir.path().join("rsyslogd.log")).expect("rsyslogd log");
        let child = Command::new(rsyslogd)
            .arg("-n")
            .arg("-f")
            .arg(&conf)
            .arg("-i")
            .arg(dir.path().join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", rsyslogd.display()));
        let mut rsyslog = Rsyslog {
            child,
            dir,
            out,
            ports,
        };
        rsyslog.wait_ready();
        rsyslog
    }

    /// Waits until every stream port accepts connections and a UDP probe has been written
    /// to the output file (UDP has no other readiness signal).
    fn wait_ready(&mut self) {
        let mut stream_ports = vec![self.ports.tcp];
        stream_ports.extend(self.ports.tls);
        stream_ports.extend(self.ports.tls_client_auth);
        for port in stream_ports {
            wait::poll(
                &format!("rsyslogd to listen on TCP port {port}"),
                TIMEOUT,
                || {
                    if let Ok(Some(status)) = self.child.try_wait() {
                        panic!("rsyslogd exited with {status}\n{}", self.log_text());
                    }
                    TcpStream::connect(("127.0.0.1", port))
                        .map(drop)
                        .map_err(|e| e.to_string())
                },
            );
        }
        let probe = UdpSocket::bind("127.0.0.1:0").expect("probe socket");
        wait::poll("a UDP probe to reach rsyslogd's output", TIMEOUT, || {
            let _ = probe.send_to(
                b"<14>1 - - probe - probe - ready",
                ("127.0.0.1", self.ports.udp),
            );
            std::thread::sleep(Duration::from_millis(100));
            let found = self.lines().iter().any(|l| l["msgid"] == "probe");
            if found {
                Ok(())
            } else {
                Err(self.log_text())
            }
        });
    }

    /// Every line written so far, parsed; probe messages left out by [`Rsyslog::messages`].
    fn lines(&self) -> Vec<Value> {
        let text = fs::read_to_string(&self.out).unwrap_or_default();
        // rsyslog may be writing the last line right now: only lines it has finished count.
        let complete = text.rfind('\n').map_or("", |end| &text[..end]);
        complete
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("rsyslog output line is not JSON ({e}): {l}"))
            })
            .collect()
    }

    /// The parsed messages that arrived on `input` (`udp`, `tcp`, `tls`, `tls_client_auth`).
    pub fn messages(&self, input: &str) -> Vec<Value> {
        self.lines()
            .into_iter()
            .filter(|l| l["input"] == input && l["msgid"] != "probe")
            .collect()
    }

    /// Polls until at least `n` messages arrived on `input`.
    pub fn wait_messages(&self, input: &str, n: usize) -> Vec<Value> {
        wait::poll(
            &format!("{n} messages on rsyslog input {input}"),
            TIMEOUT,
            || {
                let got = self.messages(input);
                if got.len() >= n {
                    Ok(got)
                } else {
                    Err(format!("{} so far\n{}", got.len(), self.log_text()))
                }
            },
        )
    }

    /// The raw output file's bytes (for the planted-secret search).
    pub fn output_bytes(&self) -> Vec<u8> {
        fs::read(&self.out).unwrap_or_default()
    }

    pub fn log_text(&self) -> String {
        let text = fs::read_to_string(self.dir.path().join("rsyslogd.log")).unwrap_or_default();
        format!("--- rsyslogd output ---\n{text}")
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        process::terminate(&mut self.child, Duration::from_secs(10));
    }
}

fn config(dir: &Path, out: &Path, ports: &Ports, tls: Option<(&Path, &Pair)>) -> String {
    let mut conf = String::new();
    let _ = write!(
        conf,
        "global(workDirectory=\"{}\" maxMessageSize=\"64k\"",
        dir.display()
    );
    if let Some((ca, server)) = tls {
        let _ = write!(
            conf,
            " defaultNetstreamDriverCAFile=\"{}\" defaultNetstreamDriverCertFile=\"{}\" defaultNetstreamDriverKeyFile=\"{}\"",
            ca.display(),
            server.cert.display(),
            server.key.display()
        );
    }
    conf.push_str(")\n");
    conf.push_str(
        r#"module(load="imudp")
module(load="imtcp")
module(load="mmpstrucdata")
template(name="fields" type="list" option.jsonf="on") {
  property(outname="input" name="inputname" format="jsonf")
  property(outname="pri" name="pri" format="jsonf")
  property(outname="facility" name="syslogfacility" format="jsonf")
  property(outname="severity" name="syslogseverity" format="jsonf")
  property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="app_name" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="structured_data" name="structured-data" format="jsonf")
  property(outname="sd" name="$!rfc5424-sd" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}
"#,
    );
    let _ = writeln!(
        conf,
        "ruleset(name=\"out\") {{\n  action(type=\"mmpstrucdata\")\n  action(type=\"omfile\" file=\"{}\" template=\"fields\")\n}}",
        out.display()
    );
    let _ = writeln!(
        conf,
        "input(type=\"imudp\" address=\"127.0.0.1\" port=\"{}\" ruleset=\"out\" name=\"udp\")",
        ports.udp
    );
    let _ = writeln!(
        conf,
        "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{}\" ruleset=\"out\" name=\"tcp\")",
        ports.tcp
    );
    if let Some(port) = ports.tls {
        let _ = writeln!(
            conf,
            "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{port}\" ruleset=\"out\" name=\"tls\" streamDriver.name=\"gtls\" streamDriver.mode=\"1\" streamDriver.authMode=\"anon\")"
        );
    }
    if let Some(port) = ports.tls_client_auth {
        let _ = writeln!(
            conf,
            "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{port}\" ruleset=\"out\" name=\"tls_client_auth\" streamDriver.name=\"gtls\" streamDriver.mode=\"1\" streamDriver.authMode=\"x509/certvalid\")"
        );
    }
    conf
}
