//! Line formats of the network and process telemetry that `tripline serve` tails
//! (`[[inputs]]`). Every format is read by the same JSON Lines reader as replay
//! ([`super::lines`]): OTLP JSON Lines are decoded, other objects become flattened events.
//! A format then only adds the canonical fields the rules and correlations need that the
//! source spells its own way (event time, host, destination). Source fields are never
//! removed or changed.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tripline_event::{Event, Value};

use super::{lines, ReadError, Tally};
use crate::Limits;

/// What one input file holds, one JSON document per line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineFormat {
    /// Flattened events as they are (the generic DNS/proxy shape `time, host_name, process,
    /// dest_domain, dest_ip, dest_port`, the generic process shape, laurel), or OTLP JSON
    /// Lines as the Collector's file exporter writes them.
    #[default]
    Generic,
    /// Zeek `dns.log` / `conn.log` written as JSON: `time` from `ts` (epoch seconds);
    /// conn.log records (no `query`) also get `dest_ip`/`dest_port` from
    /// `id.resp_h`/`id.resp_p`. The host comes from `id.orig_h` through `host_ips.yml`.
    Zeek,
    /// osquery results (`process_events`): `time` from `unixTime`, `host_name` from
    /// `hostIdentifier`.
    Osquery,
    /// auditd records as JSON (`type: EXECVE`, `a0`..`aN`): `time` from the
    /// `audit(SECONDS.MILLIS:SERIAL)` stamp in `msg`, `host_name` from `node` or `hostname`.
    Auditd,
}

impl LineFormat {
    /// Every format, for help texts and errors.
    pub const ALL: [LineFormat; 4] = [
        LineFormat::Generic,
        LineFormat::Zeek,
        LineFormat::Osquery,
        LineFormat::Auditd,
    ];

    /// The name used in the config.
    pub fn name(self) -> &'static str {
        match self {
            LineFormat::Generic => "generic",
            LineFormat::Zeek => "zeek",
            LineFormat::Osquery => "osquery",
            LineFormat::Auditd => "auditd",
        }
    }

    /// The format called `name` in the config or on the command line.
    pub fn parse(name: &str) -> Option<LineFormat> {
        LineFormat::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Add this format's canonical fields to a flattened event (fields already present win).
    /// OTLP events (they have a `signal`) are left alone.
    pub fn adjust(self, ev: &mut Event) {
        if self != LineFormat::Generic && ev.get("signal").is_some() {
            return;
        }
        match self {
            LineFormat::Generic => {}
            LineFormat::Zeek => {
                copy_time(ev, "ts");
                if ev.lookup("query").is_none() {
                    copy(ev, "id.resp_h", "dest_ip");
                    copy(ev, "id.resp_p", "dest_port");
                }
            }
            LineFormat::Osquery => {
                copy_time(ev, "unixTime");
                copy(ev, "hostIdentifier", "host_name");
            }
            LineFormat::Auditd => {
                if ev.get("time").is_none() {
                    if let Some(t) = ev.get_str("msg").and_then(audit_stamp) {
                        ev.insert("time", t);
                    }
                }
                copy(ev, "node", "host_name");
                copy(ev, "hostname", "host_name");
            }
        }
    }
}

/// `to` := the value at `from` (resolved like a rule field), unless `to` is set.
fn copy(ev: &mut Event, from: &str, to: &str) {
    if ev.get(to).is_some() {
        return;
    }
    if let Some(v) = ev
        .lookup(from)
        .filter(|v| !matches!(v, Value::Null))
        .cloned()
    {
        ev.insert(to, v);
    }
}

/// `time` := RFC 3339 text of the epoch-seconds number (or numeric string) at `from`.
fn copy_time(ev: &mut Event, from: &str) {
    if ev.get("time").is_some() {
        return;
    }
    let secs = match ev.lookup(from) {
        Some(Value::Int(i)) => *i as f64,
        Some(Value::Float(f)) => *f,
        Some(Value::Str(s)) => match s.trim().parse::<f64>() {
            Ok(f) => f,
            Err(_) => return,
        },
        _ => return,
    };
    if let Some(t) = epoch_text(secs) {
        ev.insert("time", t);
    }
}

fn epoch_text(secs: f64) -> Option<String> {
    if !secs.is_finite() || !(0.0..=1e11).contains(&secs) {
        return None;
    }
    // Microseconds: what Zeek and auditd write, and what a double holds exactly enough.
    let nanos = (secs * 1e6).round() as i64 * 1000;
    let t = chrono::DateTime::from_timestamp_nanos(nanos);
    Some(t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
}

/// `audit(1700000000.123:456)` → the stamp as RFC 3339.
fn audit_stamp(msg: &str) -> Option<String> {
    let rest = &msg[msg.find("audit(")? + 6..];
    let secs: f64 = rest[..rest.find(':')?].parse().ok()?;
    epoch_text(secs)
}

/// Read one line of an input in `format`: the replay reader, then the format's fields.
/// Errors name the file and the line.
pub fn read_line(
    bytes: &[u8],
    path: &Path,
    line: usize,
    format: LineFormat,
    limits: &Limits,
    sink: &mut dyn FnMut(Event) -> Result<(), super::BoxError>,
) -> Result<Tally, ReadError> {
    let mut tally = Tally::default();
    let mut adjusted = |mut ev: Event| {
        format.adjust(&mut ev);
        sink(ev)
    };
    lines::handle_json(
        bytes,
        path,
        Some(line),
        None,
        limits,
        &mut tally,
        &mut adjusted,
    )?;
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(json: &str, f: LineFormat) -> Event {
        let mut out = Vec::new();
        read_line(
            json.as_bytes(),
            Path::new("x.log"),
            1,
            f,
            &Limits::default(),
            &mut |e| {
                out.push(e);
                Ok(())
            },
        )
        .unwrap();
        out.pop().unwrap()
    }

    #[test]
    fn zeek_time_and_conn_destination() {
        let dns = flat(
            r#"{"ts":1795428060.25,"id.orig_h":"10.0.0.5","id.resp_h":"10.0.0.2","query":"x.example"}"#,
            LineFormat::Zeek,
        );
        assert_eq!(dns.get_str("time"), Some("2026-11-23T10:01:00.250000000Z"));
        assert_eq!(
            dns.get("dest_ip"),
            None,
            "dns.log's responder is the resolver"
        );
        let conn = flat(
            r#"{"ts":1795428060,"id.orig_h":"10.0.0.5","id.resp_h":"203.0.113.7","id.resp_p":443}"#,
            LineFormat::Zeek,
        );
        assert_eq!(conn.get_str("dest_ip"), Some("203.0.113.7"));
        assert_eq!(conn.get("dest_port"), Some(&Value::Int(443)));
        assert!(conn.id().is_some(), "flattened lines get a content id");
    }

    #[test]
    fn osquery_and_auditd_fields() {
        let o = flat(
            r#"{"name":"process_events","hostIdentifier":"dev1","unixTime":1795428060,"columns":{"cmdline":"codex --yolo"}}"#,
            LineFormat::Osquery,
        );
        assert_eq!(o.get_str("host_name"), Some("dev1"));
        assert_eq!(o.get_str("time"), Some("2026-11-23T10:01:00.000000000Z"));
        let a = flat(
            r#"{"type":"EXECVE","msg":"audit(1795428060.500:77):","node":"dev2","a0":"codex"}"#,
            LineFormat::Auditd,
        );
        assert_eq!(a.get_str("host_name"), Some("dev2"));
        assert_eq!(a.get_str("time"), Some("2026-11-23T10:01:00.500000000Z"));
        let g = flat(
            r#"{"time":"2026-11-23T10:00:00Z","ts":5}"#,
            LineFormat::Zeek,
        );
        assert_eq!(
            g.get_str("time"),
            Some("2026-11-23T10:00:00Z"),
            "a time the record has wins"
        );
    }
}
