//! The read queries behind the pages. Every value from a request is a bound parameter;
//! every list has a `LIMIT`; each query is served by an index (schema v4 adds the ones
//! the console needs).

use rusqlite::types::Value as Sql;
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use serde::Deserialize;
use tripline_event::{Alert, Event};
use tripline_store::StoreError;

use crate::limits::{cut, MAX_FILTER_CHARS, PAGE_ROWS, TIMELINE_ROWS};
use crate::rules::RuleDoc;

/// The alert queue's filters, as they come in the query string. Empty means any.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct AlertFilter {
    /// `codex`, `claude_code`, ...
    pub agent: String,
    /// A pattern tag (`posture_weakened`), matched through the rules that carry it.
    pub pattern: String,
    /// `low` .. `critical`.
    pub level: String,
    /// A rule name.
    pub rule: String,
    /// Host name.
    pub host: String,
    /// User email (as stored: possibly pseudonymized).
    pub user: String,
    /// Alert time at or after (RFC 3339 or a prefix such as `2026-12-07`).
    pub from: String,
    /// Alert time at or before.
    pub to: String,
    /// `new`, `acknowledged` or `closed`.
    pub status: String,
    /// A conversation id.
    pub conversation: String,
}

impl AlertFilter {
    /// Every value trimmed and cut to the filter limit.
    pub fn cleaned(&self) -> AlertFilter {
        let c = |s: &str| cut(s, MAX_FILTER_CHARS);
        AlertFilter {
            agent: c(&self.agent),
            pattern: c(&self.pattern),
            level: c(&self.level),
            rule: c(&self.rule),
            host: c(&self.host),
            user: c(&self.user),
            from: c(&self.from),
            to: c(&self.to),
            status: c(&self.status),
            conversation: c(&self.conversation),
        }
    }

    /// The query string that reproduces this filter (for links).
    pub fn query_string(&self) -> String {
        let pairs = [
            ("agent", &self.agent),
            ("pattern", &self.pattern),
            ("level", &self.level),
            ("rule", &self.rule),
            ("host", &self.host),
            ("user", &self.user),
            ("from", &self.from),
            ("to", &self.to),
            ("status", &self.status),
            ("conversation", &self.conversation),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encode a query-string value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A `WHERE` clause under construction: SQL text with `?N` placeholders and their values.
#[derive(Default)]
struct Where {
    sql: String,
    args: Vec<Sql>,
}

impl Where {
    fn eq(&mut self, column: &str, value: &str) {
        if !value.is_empty() {
            self.args.push(Sql::Text(value.to_owned()));
            self.sql
                .push_str(&format!(" AND {column} = ?{}", self.args.len()));
        }
    }

    fn cmp(&mut self, column: &str, op: &str, value: &str) {
        if !value.is_empty() {
            self.args.push(Sql::Text(value.to_owned()));
            self.sql
                .push_str(&format!(" AND {column} {op} ?{}", self.args.len()));
        }
    }

    fn any_of(&mut self, column: &str, values: &[&str]) {
        if values.is_empty() {
            self.sql.push_str(" AND 0");
            return;
        }
        let mut marks = Vec::with_capacity(values.len());
        for v in values {
            self.args.push(Sql::Text((*v).to_owned()));
            marks.push(format!("?{}", self.args.len()));
        }
        self.sql
            .push_str(&format!(" AND {column} IN ({})", marks.join(",")));
    }
}

/// One row of the alert queue.
#[derive(Clone, Debug)]
pub struct AlertRow {
    /// Alert id.
    pub id: String,
    /// Latest event time.
    pub time: String,
    /// Rule name.
    pub rule: String,
    /// Level.
    pub level: String,
    /// Agent.
    pub agent: String,
    /// Host, when known.
    pub host: Option<String>,
    /// User, when known.
    pub user: Option<String>,
    /// Conversation, when known.
    pub conversation: Option<String>,
    /// Matches folded into it (suppressed repeats included).
    pub count: i64,
    /// Stored revision.
    pub revision: i64,
    /// Summary sentence (redacted).
    pub summary: String,
    /// Triage status.
    pub status: String,
}

/// The alert queue: the newest [`PAGE_ROWS`] alerts matching `f`, and how many match.
pub fn alerts(
    conn: &Connection,
    f: &AlertFilter,
    rules: &[RuleDoc],
) -> Result<(Vec<AlertRow>, i64), StoreError> {
    let mut w = Where::default();
    w.eq("a.agent", &f.agent);
    w.eq("a.rule_level", &f.level);
    w.eq("a.rule_name", &f.rule);
    w.eq("a.host_name", &f.host);
    w.eq("a.user_email", &f.user);
    w.eq("a.conversation_id", &f.conversation);
    w.cmp("a.time", ">=", &f.from);
    w.cmp("a.time", "<=", &f.to);
    w.eq("coalesce(t.status, 'new')", &f.status);
    if !f.pattern.is_empty() {
        let names: Vec<&str> = rules
            .iter()
            .filter(|r| r.pattern() == Some(f.pattern.as_str()))
            .map(|r| r.name.as_str())
            .collect();
        w.any_of("a.rule_name", &names);
    }
    let from = "FROM alerts a LEFT JOIN alert_triage t ON t.alert_id = a.id WHERE 1";
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) {from}{}", w.sql))?
        .query_row(params_from_iter(&w.args), |r| r.get(0))?;
    let sql = format!(
        "SELECT a.id, a.time, a.rule_name, a.rule_level, a.agent, a.host_name, a.user_email,
                a.conversation_id, a.count, a.revision, a.summary, coalesce(t.status, 'new')
         {from}{} ORDER BY a.time DESC, a.id LIMIT {PAGE_ROWS}",
        w.sql
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(&w.args), alert_row)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

fn alert_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AlertRow> {
    Ok(AlertRow {
        id: r.get(0)?,
        time: r.get(1)?,
        rule: r.get(2)?,
        level: r.get(3)?,
        agent: r.get(4)?,
        host: r.get(5)?,
        user: r.get(6)?,
        conversation: r.get(7)?,
        count: r.get(8)?,
        revision: r.get(9)?,
        summary: r.get(10)?,
        status: r.get(11)?,
    })
}

/// The values each filter can take (for the filter form's choices).
#[derive(Clone, Debug, Default)]
pub struct FilterChoices {
    /// Agents with alerts.
    pub agents: Vec<String>,
    /// Rule names with alerts.
    pub rules: Vec<String>,
}

/// Distinct agents and rule names among the alerts (both index-only scans).
pub fn filter_choices(conn: &Connection) -> Result<FilterChoices, StoreError> {
    let list = |sql: &str| -> Result<Vec<String>, StoreError> {
        Ok(conn
            .prepare_cached(sql)?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?)
    };
    Ok(FilterChoices {
        agents: list("SELECT DISTINCT agent FROM alerts ORDER BY agent LIMIT 50")?,
        rules: list("SELECT DISTINCT rule_name FROM alerts ORDER BY rule_name LIMIT 500")?,
    })
}

/// One step of an alert's audit trail.
#[derive(Clone, Debug)]
pub struct AuditRow {
    /// The alert revision the step produced.
    pub revision: i64,
    /// Status after the step.
    pub status: String,
    /// Resolution, when closed.
    pub resolution: Option<String>,
    /// Note.
    pub note: String,
    /// Who.
    pub actor: String,
    /// When, unix ms.
    pub time_ms: i64,
}

/// An alert as stored, with its audit trail.
pub struct AlertDetail {
    /// The stored (redacted) alert, latest revision.
    pub alert: Alert,
    /// Triage steps, oldest first.
    pub audit: Vec<AuditRow>,
}

/// The alert `id`, if stored.
pub fn alert(conn: &Connection, id: &str) -> Result<Option<AlertDetail>, StoreError> {
    let json: Option<String> = conn
        .prepare_cached("SELECT alert FROM alerts WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let Some(json) = json else {
        return Ok(None);
    };
    let Ok(alert) = serde_json::from_str::<Alert>(&json) else {
        return Ok(None);
    };
    let audit = conn
        .prepare_cached(
            "SELECT revision, status, resolution, note, actor, time_ms FROM alert_audit
             WHERE alert_id = ?1 ORDER BY seq LIMIT 500",
        )?
        .query_map([id], |r| {
            Ok(AuditRow {
                revision: r.get(0)?,
                status: r.get(1)?,
                resolution: r.get(2)?,
                note: r.get(3)?,
                actor: r.get(4)?,
                time_ms: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Some(AlertDetail { alert, audit }))
}

/// One event of a session timeline.
pub struct TimelineEvent {
    /// Event id.
    pub id: String,
    /// Event (redacted), as stored.
    pub event: Event,
}

/// One conversation: its events in time order and its alerts.
pub struct Timeline {
    /// Events, oldest first (at most [`TIMELINE_ROWS`]).
    pub events: Vec<TimelineEvent>,
    /// How many events the conversation has.
    pub total: i64,
    /// Its alerts, oldest first.
    pub alerts: Vec<AlertRow>,
}

/// The timeline of conversation `id`.
pub fn timeline(conn: &Connection, id: &str) -> Result<Timeline, StoreError> {
    let total: i64 = conn
        .prepare_cached("SELECT count(*) FROM events WHERE conversation_id = ?1")?
        .query_row([id], |r| r.get(0))?;
    let events = conn
        .prepare_cached(&format!(
            "SELECT id, event FROM events WHERE conversation_id = ?1
             ORDER BY time, id LIMIT {TIMELINE_ROWS}"
        ))?
        .query_map([id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .filter_map(|row| match row {
            Ok((id, json)) => serde_json::from_str::<Event>(&json)
                .ok()
                .map(|event| Ok(TimelineEvent { id, event })),
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<_, _>>()?;
    let alerts = conn
        .prepare_cached(
            "SELECT a.id, a.time, a.rule_name, a.rule_level, a.agent, a.host_name, a.user_email,
                    a.conversation_id, a.count, a.revision, a.summary, coalesce(t.status, 'new')
             FROM alerts a LEFT JOIN alert_triage t ON t.alert_id = a.id
             WHERE a.conversation_id = ?1 ORDER BY a.time LIMIT 200",
        )?
        .query_map([id], alert_row)?
        .collect::<Result<_, _>>()?;
    Ok(Timeline {
        events,
        total,
        alerts,
    })
}

/// Session search filters.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SessionFilter {
    /// A conversation id (exact).
    pub conversation: String,
    /// User email.
    pub user: String,
    /// Host name.
    pub host: String,
    /// Event time at or after.
    pub from: String,
    /// Event time at or before.
    pub to: String,
}

impl SessionFilter {
    /// Every value trimmed and cut to the filter limit.
    pub fn cleaned(&self) -> SessionFilter {
        let c = |s: &str| cut(s, MAX_FILTER_CHARS);
        SessionFilter {
            conversation: c(&self.conversation),
            user: c(&self.user),
            host: c(&self.host),
            from: c(&self.from),
            to: c(&self.to),
        }
    }
}

/// One conversation in the session list.
#[derive(Clone, Debug)]
pub struct SessionRow {
    /// Conversation id.
    pub id: String,
    /// Agent.
    pub agent: Option<String>,
    /// Host.
    pub host: Option<String>,
    /// User.
    pub user: Option<String>,
    /// First and last event time.
    pub first: Option<String>,
    /// Last event time.
    pub last: Option<String>,
    /// Events.
    pub events: i64,
    /// Alerts.
    pub alerts: i64,
}

/// A conversation the session scan found: id, agent, host, user.
type Found = (String, Option<String>, Option<String>, Option<String>);

/// The scan behind the session list looks at no more than this many newest events.
const SESSION_SCAN: i64 = 20_000;

/// The most recent conversations matching `f` (at most 100): the newest matching events
/// (bounded scan on the time index) grouped by conversation, then each one's totals from
/// the `(conversation_id, time)` index.
pub fn sessions(conn: &Connection, f: &SessionFilter) -> Result<Vec<SessionRow>, StoreError> {
    let mut w = Where::default();
    w.eq("conversation_id", &f.conversation);
    w.eq("host_name", &f.host);
    w.eq("user_email", &f.user);
    w.cmp("time", ">=", &f.from);
    w.cmp("time", "<=", &f.to);
    let sql = format!(
        "SELECT conversation_id, max(agent), max(host_name), max(user_email) FROM (
             SELECT conversation_id, agent, host_name, user_email, time FROM events
             WHERE conversation_id IS NOT NULL{} ORDER BY time DESC LIMIT {SESSION_SCAN})
         GROUP BY conversation_id ORDER BY max(time) DESC LIMIT 100",
        w.sql
    );
    let found: Vec<Found> = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(&w.args), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut stats = conn.prepare_cached(
        "SELECT min(time), max(time), count(*) FROM events WHERE conversation_id = ?1",
    )?;
    let mut alerts =
        conn.prepare_cached("SELECT count(*) FROM alerts WHERE conversation_id = ?1")?;
    let mut rows = Vec::with_capacity(found.len());
    for (id, agent, host, user) in found {
        let (first, last, events) =
            stats.query_row([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        let alerts: i64 = alerts.query_row([&id], |r| r.get(0))?;
        rows.push(SessionRow {
            id,
            agent,
            host,
            user,
            first,
            last,
            events,
            alerts,
        });
    }
    Ok(rows)
}

/// One observed surface.
#[derive(Clone, Debug)]
pub struct Surface {
    /// Agent.
    pub agent: String,
    /// `service.name`.
    pub service: String,
    /// `service.version`.
    pub version: String,
    /// Originator (`codex_exec`, `codex_cli_rs`, ...).
    pub originator: String,
    /// Host.
    pub host: String,
    /// User.
    pub user: String,
    /// First event time.
    pub first_seen: Option<String>,
    /// Last event time.
    pub last_seen: Option<String>,
    /// Events.
    pub count: i64,
    /// Last ingest, unix ms.
    pub last_ingest_ms: i64,
}

/// The inventory, most recently heard from first (at most 1000 rows).
pub fn inventory(conn: &Connection) -> Result<Vec<Surface>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT agent, service_name, service_version, originator, host_name, user_email,
                    first_seen, last_seen, count, last_ingest_time
             FROM inventory ORDER BY last_ingest_time DESC LIMIT 1000",
        )?
        .query_map([], |r| {
            Ok(Surface {
                agent: r.get(0)?,
                service: r.get(1)?,
                version: r.get(2)?,
                originator: r.get(3)?,
                host: r.get(4)?,
                user: r.get(5)?,
                first_seen: r.get(6)?,
                last_seen: r.get(7)?,
                count: r.get(8)?,
                last_ingest_ms: r.get(9)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// Alert statistics of one rule.
#[derive(Clone, Debug, Default)]
pub struct RuleStats {
    /// Alerts (distinct ids).
    pub alerts: i64,
    /// Matches (suppressed repeats included).
    pub hits: i64,
    /// Newest alert time.
    pub last_fired: Option<String>,
    /// Closed alerts.
    pub closed: i64,
    /// Closed as false positive.
    pub false_positive: i64,
    /// Alerts per day over the last 14 days, oldest first.
    pub daily: Vec<i64>,
}

/// Per rule name: its alert statistics. `today` is `YYYY-MM-DD` (the last daily bucket).
pub fn rule_stats(
    conn: &Connection,
    days: &[String],
) -> Result<std::collections::HashMap<String, RuleStats>, StoreError> {
    let mut out: std::collections::HashMap<String, RuleStats> = Default::default();
    // Alerts, hits and last fired: the covering (rule_name, time, count) index alone.
    let mut stmt = conn.prepare_cached(
        "SELECT rule_name, count(*), sum(count), max(time) FROM alerts INDEXED BY alerts_rule_stats
         GROUP BY rule_name LIMIT 1000",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            RuleStats {
                alerts: r.get(1)?,
                hits: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
                last_fired: r.get(3)?,
                daily: vec![0; days.len()],
                ..RuleStats::default()
            },
        ))
    })?;
    for row in rows {
        let (name, stats) = row?;
        out.insert(name, stats);
    }
    // Closed and false-positive counts: only the triaged alerts, each found by its key.
    let mut stmt = conn.prepare_cached(
        "SELECT a.rule_name, sum(t.status = 'closed'), sum(t.resolution = 'false_positive')
         FROM alert_triage t JOIN alerts a ON a.id = t.alert_id GROUP BY a.rule_name LIMIT 1000",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<i64>>(1)?.unwrap_or(0),
            r.get::<_, Option<i64>>(2)?.unwrap_or(0),
        ))
    })?;
    for row in rows {
        let (name, closed, fp) = row?;
        if let Some(s) = out.get_mut(&name) {
            s.closed = closed;
            s.false_positive = fp;
        }
    }
    if let Some(first) = days.first() {
        let mut stmt = conn.prepare_cached(
            "SELECT rule_name, substr(time, 1, 10), count(*) FROM alerts INDEXED BY alerts_rule_stats
             WHERE time >= ?1 GROUP BY 1, 2 LIMIT 20000",
        )?;
        let rows = stmt.query_map([first], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (name, day, n) = row?;
            if let (Some(s), Some(i)) = (out.get_mut(&name), days.iter().position(|d| *d == day)) {
                s.daily[i] = n;
            }
        }
    }
    Ok(out)
}

/// Events per bucket, by signal and by agent, since `since_ms`.
#[derive(Clone, Debug, Default)]
pub struct Throughput {
    /// `(bucket start ms, signal, agent, events)`.
    pub rows: Vec<(i64, String, String, i64)>,
}

/// Stored events per `bucket_ms` since `since_ms` (index-only scan of
/// `(ingest_time, signal, agent)`).
pub fn throughput(
    conn: &Connection,
    since_ms: i64,
    bucket_ms: i64,
) -> Result<Throughput, StoreError> {
    // Grouped by the index's own columns, SQLite streams the groups in index order (no
    // sort); the buckets are summed here.
    let bucket_ms = bucket_ms.max(1);
    let mut sums: std::collections::BTreeMap<(i64, String, String), i64> = Default::default();
    let mut stmt = conn.prepare_cached(
        "SELECT ingest_time, coalesce(signal, ''), coalesce(agent, ''), count(*)
         FROM events INDEXED BY events_ingest_signal_agent
         WHERE ingest_time >= ?1 GROUP BY ingest_time, signal, agent",
    )?;
    let mut rows = stmt.query([since_ms])?;
    while let Some(r) = rows.next()? {
        let t: i64 = r.get(0)?;
        let key = ((t / bucket_ms) * bucket_ms, r.get(1)?, r.get(2)?);
        *sums.entry(key).or_default() += r.get::<_, i64>(3)?;
    }
    Ok(Throughput {
        rows: sums
            .into_iter()
            .map(|((b, s, a), n)| (b, s, a, n))
            .collect(),
    })
}

/// Totals for the health page.
#[derive(Clone, Debug, Default)]
pub struct Totals {
    /// Stored events.
    pub events: i64,
    /// Stored alerts.
    pub alerts: i64,
    /// Alerts not yet closed.
    pub open_alerts: i64,
    /// Surfaces in the inventory.
    pub surfaces: i64,
    /// `(sink, pending rows)`.
    pub sinks: Vec<(String, i64)>,
}

/// Row counts and the sink queues.
pub fn totals(conn: &Connection) -> Result<Totals, StoreError> {
    let one = |sql: &str| -> Result<i64, StoreError> {
        Ok(conn.prepare_cached(sql)?.query_row([], |r| r.get(0))?)
    };
    let end = one("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)")?;
    let sinks = conn
        .prepare_cached("SELECT sink, seq FROM sink_cursor ORDER BY sink LIMIT 100")?
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
        .map(|r| r.map(|(s, seq)| (s, (end - seq).max(0))))
        .collect::<Result<_, _>>()?;
    Ok(Totals {
        events: one("SELECT count(*) FROM events")?,
        alerts: one("SELECT count(*) FROM alerts")?,
        open_alerts: one(
            "SELECT (SELECT count(*) FROM alerts) - (SELECT count(*) FROM alert_triage WHERE status = 'closed')",
        )?,
        surfaces: one("SELECT count(*) FROM inventory")?,
        sinks,
    })
}
