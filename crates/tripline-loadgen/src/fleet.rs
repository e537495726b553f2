//! A seeded month of Codex-shaped fleet traffic, as canonical events (JSON Lines), with
//! planted anomalies: the input of the volume-baseline and telemetry-health tests
//! (docs/detections.md, "Learned volume baselines").
//!
//! The fleet: human users on their own workstations (weekdays, a working day each, three
//! to six sessions a day on the TUI, the VS Code extension and now and then `codex exec`;
//! the Codex process sends metrics every five minutes while the workstation is on) and CI
//! runners (`codex exec`, a job every 30 minutes ± 5, day and night, metrics every two
//! minutes during a job). Per user, session figures are log-normal around the user's own
//! medians (spread σ = 0.3). Events carry the fields the pipeline's enrichment would add
//! (`session_class`, `agent_event`, `command`, `command_paths`, `prompt_logged`), so an
//! engine can be fed without the pipeline.
//!
//! Everything follows from the seed: the same [`FleetSpec`] gives the same events, ids and
//! order. Events come out in time order, one day at a time (memory: about a day's events).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

const SEC: i64 = 1_000_000_000;
const MIN: i64 = 60 * SEC;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

/// What to generate.
#[derive(Clone, Debug)]
pub struct FleetSpec {
    /// seed for every value
    pub seed: u64,
    /// days of traffic
    pub days: i64,
    /// start (Unix ns; a Monday 00:00 UTC keeps weekdays where the doc says)
    pub start_ns: i64,
    /// human users (one workstation each)
    pub humans: usize,
    /// CI runners
    pub runners: usize,
    /// plant the anomalies of [`planted`]
    pub plant: bool,
}

impl Default for FleetSpec {
    fn default() -> Self {
        FleetSpec {
            seed: 16,
            days: 30,
            // 2026-11-02T00:00:00Z, a Monday
            start_ns: 1_793_577_600 * SEC,
            humans: 24,
            runners: 6,
            plant: true,
        }
    }
}

/// One planted anomaly: what it is, who, and from when (event time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planted {
    /// short name (`runaway_session`, `long_sessions`, `silent_host`, `metrics_stop`,
    /// `version_drift`)
    pub kind: &'static str,
    /// the entity: a host name, a user email or a conversation id
    pub entity: String,
    /// event time the anomaly starts (ns)
    pub start_ns: i64,
}

/// The anomalies a spec plants (empty without `plant`, or when the fleet is too small or
/// the month too short to hold them).
pub fn planted(spec: &FleetSpec) -> Vec<Planted> {
    if !spec.plant || spec.days < 27 || spec.humans < 8 || spec.runners < 4 {
        return Vec::new();
    }
    let d = |day: i64, h: i64| spec.start_ns + day * DAY + h * HOUR;
    vec![
        // day 14 is a Monday
        Planted {
            kind: "runaway_session",
            entity: conversation_id(spec.seed, "ci-runner-02", d(14, 14)),
            start_ns: d(14, 14),
        },
        // from day 17 (Thursday) on, every session of user 07 runs five times longer
        Planted {
            kind: "long_sessions",
            entity: user(7),
            start_ns: d(17, 0),
        },
        // day 16 (Wednesday): workstation 03 sends nothing all day
        Planted {
            kind: "silent_host",
            entity: workstation(3),
            start_ns: d(16, 0),
        },
        // from day 22 (Tuesday) 06:00 on, runner 04's metrics stop; its logs go on
        Planted {
            kind: "metrics_stop",
            entity: runner(4),
            start_ns: d(22, 6),
        },
        // day 24 (Thursday): workstation 05 runs a new Codex version
        Planted {
            kind: "version_drift",
            entity: workstation(5),
            start_ns: d(24, 0),
        },
    ]
}

fn user(i: usize) -> String {
    format!("dev{i:02}@example.com")
}

fn workstation(i: usize) -> String {
    format!("ws-{i:02}")
}

fn runner(i: usize) -> String {
    format!("ci-runner-{i:02}")
}

/// The conversation id of a session (a function of host and start, so tests can name a
/// planted session before generating).
pub fn conversation_id(seed: u64, host: &str, start_ns: i64) -> String {
    let mut r = Rng::new(seed ^ fnv(host) ^ start_ns as u64);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        r.next_u64() as u32,
        r.next_u64() as u16,
        r.next_u64() & 0xfff,
        r.next_u64() & 0xfff,
        r.next_u64() & 0xffff_ffff_ffff
    )
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// SplitMix64: small, seeded, the same on every platform.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform integer in [lo, hi].
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % ((hi - lo + 1).max(1) as u64)) as i64
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Log-normal around `median` with spread `sigma`.
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }
}

/// One member of the fleet.
#[derive(Clone, Debug)]
struct Member {
    host: String,
    user: String,
    human: bool,
    /// median tool calls per session
    calls: f64,
    /// median session length (ns)
    length: f64,
    /// commands this member uses
    commands: Vec<String>,
    /// workday start and end (minutes after midnight, UTC)
    day_start: i64,
    day_end: i64,
}

fn members(spec: &FleetSpec) -> Vec<Member> {
    let mut r = Rng::new(spec.seed ^ 0x5eed);
    let verbs = [
        "cargo test",
        "cargo build",
        "git status",
        "git diff",
        "rg TODO",
        "ls src",
        "cat README.md",
        "npm test",
        "pytest -q",
        "make lint",
        "go test ./...",
        "sed -n 1,80p src/lib.rs",
        "git log --oneline",
        "cargo clippy",
        "just check",
        "tsc --noEmit",
    ];
    let mut out = Vec::new();
    for i in 1..=spec.humans {
        let n = r.range(6, 12) as usize;
        let commands = (0..n)
            .map(|k| verbs[(i * 3 + k * 5) % verbs.len()].to_owned())
            .collect();
        out.push(Member {
            host: workstation(i),
            user: user(i),
            human: true,
            calls: r.range(8, 18) as f64,
            length: r.range(15, 35) as f64 * MIN as f64,
            commands,
            day_start: 8 * 60 + r.range(-30, 30),
            day_end: 17 * 60 + 30 + r.range(-30, 30),
        });
    }
    for i in 1..=spec.runners {
        out.push(Member {
            host: runner(i),
            user: "ci-bot@example.com".into(),
            human: false,
            calls: 24.0,
            length: 6.0 * MIN as f64,
            commands: [
                "cargo build --release",
                "cargo test --release",
                "git fetch",
                "make ci",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            day_start: 0,
            day_end: 24 * 60,
        });
    }
    out
}

/// A session to generate.
struct Session {
    member: usize,
    start: i64,
    surface: &'static str,
    calls: usize,
    length: i64,
}

/// The generator's per-event context.
struct Ctx<'a> {
    spec: &'a FleetSpec,
    m: &'a Member,
    version: &'static str,
    surface: &'static str,
}

impl Ctx<'_> {
    fn base(&self, signal: &str, name: &str, t: i64) -> Map<String, Value> {
        let mut o = Map::new();
        o.insert("signal".into(), json!(signal));
        o.insert("agent".into(), json!("codex"));
        o.insert("event_name".into(), json!(name));
        o.insert("time".into(), json!(rfc3339(t)));
        o.insert("service_name".into(), json!(self.surface));
        o.insert("service_version".into(), json!(self.version));
        o.insert("host_name".into(), json!(self.m.host));
        o.insert("env".into(), json!(if self.m.human { "dev" } else { "ci" }));
        o.insert("user_email".into(), json!(self.m.user));
        let _ = self.spec;
        o
    }
}

/// RFC 3339 with nine fractional digits, as canonical events carry it.
pub fn rfc3339(t: i64) -> String {
    let secs = t.div_euclid(SEC);
    let nanos = t.rem_euclid(SEC);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, mo, d) = civil(days);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's civil_from_days).
fn civil(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The month, in time order, one event at a time.
pub fn for_each_event(spec: &FleetSpec, mut f: impl FnMut(Map<String, Value>)) {
    let members = members(spec);
    let plants = planted(spec);
    let plant = |kind: &str| plants.iter().find(|p| p.kind == kind);
    let mut pending: Vec<(i64, u64, Map<String, Value>)> = Vec::new();
    let mut counter: u64 = 0;
    for day in 0..spec.days {
        let day_ns = spec.start_ns + day * DAY;
        let weekday = day.rem_euclid(7) < 5; // the start is a Monday
        let mut r = Rng::new(spec.seed ^ (day as u64).wrapping_mul(0x9e37_79b9));
        for (mi, m) in members.iter().enumerate() {
            let silent = plant("silent_host").is_some_and(|p| {
                p.entity == m.host && p.start_ns <= day_ns && day_ns < p.start_ns + DAY
            });
            let version = match plant("version_drift") {
                Some(p) if p.entity == m.host && day_ns >= p.start_ns => "0.170.0",
                _ => "0.169.0",
            };
            let metrics_off = plant("metrics_stop").map(|p| (p.entity == m.host, p.start_ns));
            let mut sessions = Vec::new();
            if m.human {
                if !weekday || silent {
                    continue;
                }
                let start = day_ns + m.day_start * MIN + r.range(-10, 10) * MIN;
                let end = day_ns + m.day_end * MIN + r.range(-10, 10) * MIN;
                // the workstation's Codex process reports metrics every five minutes
                let ctx = Ctx {
                    spec,
                    m,
                    version,
                    surface: "codex_vscode",
                };
                let mut t = start;
                while t < end {
                    let mut o = ctx.base("metric", "codex.turn.e2e_duration_ms", t);
                    o.insert("metric_name".into(), json!("codex.turn.e2e_duration_ms"));
                    o.insert("metric_kind".into(), json!("histogram"));
                    o.insert("session_source".into(), json!("vscode"));
                    o.insert("count".into(), json!(r.range(0, 6)));
                    pending.push((t, counter, o));
                    counter += 1;
                    t += 5 * MIN;
                }
                let n = r.range(3, 6);
                for _ in 0..n {
                    let s = r.range(start, end - 40 * MIN);
                    let surface = match r.range(0, 9) {
                        0..=4 => "codex_cli_rs",
                        5..=8 => "codex_vscode",
                        _ => "codex_exec",
                    };
                    let mut length = r.lognormal(m.length, 0.3) as i64;
                    if plant("long_sessions").is_some_and(|p| p.entity == m.user && s >= p.start_ns)
                    {
                        length *= 5;
                    }
                    sessions.push(Session {
                        member: mi,
                        start: s,
                        surface,
                        calls: r.lognormal(m.calls, 0.3).round().max(1.0) as usize,
                        length,
                    });
                }
            } else {
                let mut t = day_ns + r.range(0, 5) * MIN;
                while t < day_ns + DAY {
                    let mut calls = r.lognormal(m.calls, 0.3).round().max(1.0) as usize;
                    let mut length = r.lognormal(m.length, 0.3) as i64;
                    if let Some(p) = plant("runaway_session") {
                        // the job that would start next after the planted time starts then
                        if m.host == runner(2) && t <= p.start_ns && p.start_ns < t + 30 * MIN {
                            calls *= 10;
                            length *= 3;
                            t = p.start_ns;
                        }
                    }
                    sessions.push(Session {
                        member: mi,
                        start: t,
                        surface: "codex_exec",
                        calls,
                        length,
                    });
                    t += 30 * MIN + r.range(-5, 5) * MIN;
                }
            }
            for s in sessions {
                let metrics = match metrics_off {
                    Some((true, from)) => s.start < from,
                    _ => true,
                };
                session_events(
                    &Ctx {
                        spec,
                        m: &members[s.member],
                        version,
                        surface: s.surface,
                    },
                    &s,
                    metrics,
                    &mut r,
                    &mut |t, o| {
                        pending.push((t, counter, o));
                        counter += 1;
                    },
                );
            }
        }
        // everything before the next day is final: no session starts before its day
        pending.sort_by_key(|(t, c, _)| (*t, *c));
        let cut = pending.partition_point(|(t, _, _)| *t < day_ns + DAY);
        for (_, _, o) in pending.drain(..cut) {
            f(o);
        }
    }
    for (_, _, o) in pending {
        f(o);
    }
}

/// The events of one session.
fn session_events(
    ctx: &Ctx<'_>,
    s: &Session,
    metrics: bool,
    r: &mut Rng,
    push: &mut dyn FnMut(i64, Map<String, Value>),
) {
    let m = ctx.m;
    let conv = conversation_id(ctx.spec.seed, &m.host, s.start);
    let class = if m.human { "human" } else { "automation" };
    let originator = match s.surface {
        "codex_exec" => "codex_exec",
        "codex_vscode" => "codex_vscode",
        _ => "codex_cli_rs",
    };
    let mut n = 0u32;
    let mut emit =
        |t: i64, mut o: Map<String, Value>, push: &mut dyn FnMut(i64, Map<String, Value>)| {
            if o.get("signal") == Some(&json!("log")) {
                o.insert("conversation_id".into(), json!(conv));
                o.insert("session_class".into(), json!(class));
                o.insert("originator".into(), json!(originator));
                o.insert(
                    "terminal_type".into(),
                    json!(if m.human { "xterm-256color" } else { "unknown" }),
                );
            }
            n += 1;
            o.insert(
                "id".into(),
                json!(format!(
                    "{:016x}{:016x}",
                    fnv(&conv),
                    (n as u64) ^ (t as u64).rotate_left(17)
                )),
            );
            push(t, o);
        };
    let start = ctx.base("log", "codex.conversation_starts", s.start);
    let mut start = start;
    start.insert("agent_event".into(), json!("session_start"));
    start.insert(
        "approval_policy".into(),
        json!(if m.human { "on-request" } else { "never" }),
    );
    start.insert("sandbox_policy".into(), json!("workspace-write"));
    emit(s.start, start, push);
    let mut prompt = ctx.base("log", "codex.user_prompt", s.start + SEC);
    prompt.insert("agent_event".into(), json!("prompt"));
    prompt.insert("prompt".into(), json!("[REDACTED]"));
    prompt.insert("prompt_logged".into(), json!(false));
    prompt.insert("prompt_length".into(), json!(r.range(20, 400)));
    emit(s.start + SEC, prompt, push);
    let step = (s.length / (s.calls as i64 + 1)).max(SEC);
    for k in 0..s.calls {
        let t = s.start + 2 * SEC + step * (k as i64 + 1) - r.range(0, step / 2 / SEC) * SEC;
        let cmd = &m.commands[r.range(0, m.commands.len() as i64 - 1) as usize];
        let mut o = ctx.base("log", "codex.tool_result", t);
        o.insert("agent_event".into(), json!("tool_result"));
        o.insert("tool_name".into(), json!("shell"));
        o.insert("call_id".into(), json!(format!("call_{k}")));
        o.insert("command".into(), json!(cmd));
        o.insert(
            "command_paths".into(),
            json!(cmd
                .split(' ')
                .filter(|w| w.contains('/') || w.contains('.'))
                .collect::<Vec<_>>()),
        );
        o.insert("success".into(), json!(r.unit() > 0.03));
        o.insert("duration_ms".into(), json!(r.range(20, 4000)));
        emit(t, o, push);
        if k % 4 == 0 {
            let mut a = ctx.base("log", "codex.api_request", t + 200 * 1_000_000);
            a.insert("agent_event".into(), json!("api_request"));
            let status = if r.unit() < 0.01 { 429 } else { 200 };
            a.insert("http_response_status_code".into(), json!(status));
            a.insert("success".into(), json!(status < 400));
            a.insert("duration_ms".into(), json!(r.range(300, 3000)));
            emit(t + 200 * 1_000_000, a, push);
            let mut e = ctx.base("log", "codex.sse_event", t + 400 * 1_000_000);
            e.insert("event_kind".into(), json!("response.completed"));
            e.insert("input_token_count".into(), json!(r.range(2000, 9000)));
            e.insert("output_token_count".into(), json!(r.range(100, 900)));
            emit(t + 400 * 1_000_000, e, push);
        }
    }
    let end = s.start + s.length;
    let mut done = ctx.base("log", "codex.sse_event", end);
    done.insert("event_kind".into(), json!("response.completed"));
    done.insert("input_token_count".into(), json!(r.range(2000, 9000)));
    done.insert("output_token_count".into(), json!(r.range(100, 900)));
    emit(end, done, push);
    if metrics && !m.human {
        // a CI job's Codex reports metrics every two minutes while it runs
        let mut t = s.start + MIN;
        while t <= end + MIN {
            let mut o = ctx.base("metric", "codex.tool.call", t);
            o.insert("metric_name".into(), json!("codex.tool.call"));
            o.insert("metric_kind".into(), json!("sum"));
            o.insert("session_source".into(), json!("exec"));
            o.insert("value".into(), json!(r.range(1, 10)));
            emit(t, o, push);
            t += 2 * MIN;
        }
    }
}

/// Counts of what a spec generates (for reports).
pub fn summary(spec: &FleetSpec) -> BTreeMap<&'static str, u64> {
    let mut out = BTreeMap::new();
    for_each_event(spec, |o| {
        *out.entry("events").or_default() += 1;
        if o.get("event_name") == Some(&json!("codex.conversation_starts")) {
            let class = o
                .get("session_class")
                .and_then(Value::as_str)
                .unwrap_or_default();
            *out.entry(if class == "human" {
                "human_sessions"
            } else {
                "automation_sessions"
            })
            .or_default() += 1;
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_is_canonical() {
        assert_eq!(
            rfc3339(1_793_577_600 * SEC),
            "2026-11-02T00:00:00.000000000Z"
        );
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000000Z");
    }

    #[test]
    fn same_seed_same_events_in_time_order() {
        let spec = FleetSpec {
            days: 2,
            humans: 3,
            runners: 1,
            ..FleetSpec::default()
        };
        let mut a = Vec::new();
        for_each_event(&spec, |o| a.push(o));
        let mut b = Vec::new();
        for_each_event(&spec, |o| b.push(o));
        assert_eq!(a, b);
        assert!(a.len() > 500);
        let times: Vec<&str> = a.iter().map(|o| o["time"].as_str().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
    }
}
