//! The profile rules in the stream: `volume_profile` (measure units, learn their
//! distribution per scope, alert on a unit far above it) and `emitter_silence` (learn each
//! emitter's hour-of-week activity, alert on a silence it does not explain).
//!
//! Everything runs on the **profile clock**: the newest event time any event handed to the
//! engine carried (an event more than [`MAX_JUMP_NS`] ahead of it is skipped and counted),
//! or a heartbeat time the caller passes in. Units close and hours are accounted exactly
//! when the clock passes their deadline, before the event that moved it is applied, so
//! outputs never depend on batching or on when heartbeats come.

use std::collections::{BTreeMap, BTreeSet};

use tripline_event::{Event, Value};

use super::state::{EntryKey, Tracker};
use super::{CorrRule, Engine};
use crate::alert::{self, alert_id, AlertParts, Output, OutputKind};
use crate::correlation::spec::CorrType;
use crate::evidence::Evidence;
use crate::profile::histogram::Figures;
use crate::profile::silence::{Emitter, SilenceState};
use crate::profile::spec::{Measure, ProfileSpec, SilenceSpec, Unit};
use crate::profile::volume::{value_hash, OpenUnit, Profile, Threshold, VolumeState};
use crate::profile::ProfileEntry;
use crate::rule::Group;
use crate::source::{scalar_text, FieldSource};
use crate::time::format_ns;

/// An event more than this far ahead of the profile clock is not believed: the profile
/// rules skip it (counted in [`Engine::profile_skips`]) and the clock stays.
pub const MAX_JUMP_NS: i64 = 7 * DAY_NS;
const HOUR_NS: i64 = 3_600_000_000_000;
const DAY_NS: i64 = 24 * HOUR_NS;
/// At most this many hours are accounted in one clock advance (older ones are skipped:
/// every emitter would be forgotten across such a gap anyway).
const MAX_HOURS_PER_ADVANCE: i64 = 24 * 60;

/// What the profile rules skipped, per rule id (see docs/sigma.md).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileSkips {
    /// events ahead of the profile clock by more than [`MAX_JUMP_NS`] (all rules)
    pub future: u64,
    /// per rule id: reason -> count
    pub per_rule: BTreeMap<String, BTreeMap<&'static str, u64>>,
}

fn value_key(v: &Value) -> String {
    scalar_text(v)
        .map(|c| c.into_owned())
        .unwrap_or_else(|| v.to_json_string())
}

/// The scope (key, values) of `src`, when it carries every group-by field.
fn scope_of(group_by: &[String], src: &dyn FieldSource) -> Option<(String, Group)> {
    let mut key = String::new();
    let mut group = Group::new();
    for g in group_by {
        match src.field(g) {
            None | Some(Value::Null) => return None,
            Some(v) => {
                key.push_str(&value_key(v));
                key.push('\u{1f}');
                group.insert(g.clone(), v.clone());
            }
        }
    }
    Some((key, group))
}

fn scope_text(g: &Group) -> String {
    if g.is_empty() {
        return "the fleet".into();
    }
    g.iter()
        .map(|(k, v)| format!("{k}={}", v.to_text().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A figure as shown in alerts: integers as integers, others with one decimal.
fn fig(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

fn fig_value(v: f64) -> Value {
    if (v - v.round()).abs() < 1e-9 && v.abs() < 9e15 {
        Value::Int(v.round() as i64)
    } else {
        Value::Float((v * 10.0).round() / 10.0)
    }
}

/// Close an open unit: learn its measure into its scope's profile (unless it alerted or
/// never carried its scope).
fn close_unit(
    rule: &str,
    spec: &ProfileSpec,
    st: &mut VolumeState,
    track: &mut Tracker,
    key: &str,
    max_profiles: usize,
) {
    let Some(u) = st.take(key) else { return };
    track.mark(|| EntryKey::Unit {
        rule: rule.to_owned(),
        unit: key.to_owned(),
    });
    let Some((sk, sv)) = u.scope.clone() else {
        st.skipped.no_scope += 1;
        return;
    };
    if u.alerted {
        return;
    }
    if !st.profiles.contains_key(&sk) && st.profiles.len() >= max_profiles.max(1) {
        if let Some(v) = least_recent(&st.profiles, |p| p.updated_ns) {
            st.profiles.remove(&v);
            *track.evictions.entry(rule.to_owned()).or_default() += 1;
            track.mark(|| EntryKey::Profile {
                rule: rule.to_owned(),
                scope: v,
            });
        }
    }
    let p = st.profiles.entry(sk.clone()).or_insert_with(|| Profile {
        scope: sv,
        ..Profile::default()
    });
    p.learn(u.measure(&spec.measure), u.last_ns, spec);
    track.mark(|| EntryKey::Profile {
        rule: rule.to_owned(),
        scope: sk,
    });
}

impl Engine {
    /// Whether any rule is a profile rule.
    pub(super) fn has_profiles(&self) -> bool {
        self.corr.iter().any(|c| c.spec.ctype.is_profile())
    }

    /// Move the profile clock to event time `t` (unless `t` is too far ahead) and run
    /// what that makes due. Called for every event with a time, before its matches apply.
    pub(super) fn profile_tick(&mut self, t: i64, out: &mut Vec<Output>) {
        match self.state.profile_clock_ns {
            Some(c) if t > c.saturating_add(MAX_JUMP_NS) => {
                self.state.profile_future += 1;
                return;
            }
            Some(c) if t <= c => return,
            _ => {}
        }
        self.state.profile_clock_ns = Some(t);
        self.profile_sweep(out);
    }

    /// A heartbeat from the caller: event time `t_ns` has been reached even if no event
    /// says so (for example the fleet-wide newest event time, or a clock the runner
    /// trusts). Moves the watermark and the profile clock (no jump limit) and returns what
    /// that makes due: silences and closed units. Deterministic: the same heartbeat times
    /// give the same outputs.
    pub fn heartbeat(&mut self, t_ns: i64) -> Vec<Output> {
        let mut out = Vec::new();
        if self.state.profile_clock_ns.is_none_or(|c| t_ns > c) && self.has_profiles() {
            self.state.profile_clock_ns = Some(t_ns);
            self.profile_sweep(&mut out);
        }
        self.advance_watermark(t_ns);
        out
    }

    /// The profile clock (Unix ns).
    pub fn profile_clock(&self) -> Option<i64> {
        self.state.profile_clock_ns
    }

    /// Close due units and account complete hours, rule by rule.
    fn profile_sweep(&mut self, out: &mut Vec<Output>) {
        let Some(clock) = self.state.profile_clock_ns else {
            return;
        };
        for ci in 0..self.corr.len() {
            match self.corr[ci].spec.ctype {
                CorrType::VolumeProfile => self.close_due(ci, clock),
                CorrType::EmitterSilence => self.account_hours(ci, clock, out),
                _ => {}
            }
        }
    }

    fn close_due(&mut self, ci: usize, clock: i64) {
        let c = &self.corr[ci];
        let Some(spec) = c.spec.profile.as_ref() else {
            return;
        };
        let Some(st) = self.state.volume.get_mut(&c.meta.id) else {
            return;
        };
        while let Some(key) = st.due(clock) {
            close_unit(
                &c.meta.id,
                spec,
                st,
                &mut self.state.track,
                &key,
                self.opts.max_groups_per_rule,
            );
        }
    }

    /// One match of a profile rule.
    pub(super) fn profile_hit(
        &mut self,
        ci: usize,
        src: &dyn FieldSource,
        t: Option<i64>,
        event_id: &str,
        evidence: Option<&Evidence>,
        out: &mut Vec<Output>,
    ) {
        let Some(t) = t else { return };
        let clock = self.state.profile_clock_ns.unwrap_or(t);
        if t > clock.saturating_add(MAX_JUMP_NS) {
            return; // counted by profile_tick
        }
        match self.corr[ci].spec.ctype {
            CorrType::VolumeProfile => self.volume_hit(ci, src, t, clock, event_id, evidence, out),
            CorrType::EmitterSilence => self.silence_hit(ci, src, t),
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)] // one match's parts, as corr_hit has them
    fn volume_hit(
        &mut self,
        ci: usize,
        src: &dyn FieldSource,
        t: i64,
        clock: i64,
        event_id: &str,
        evidence: Option<&Evidence>,
        out: &mut Vec<Output>,
    ) {
        let c = &self.corr[ci];
        let Some(spec) = c.spec.profile.as_ref() else {
            return;
        };
        let rule = c.meta.id.as_str();
        let scope = scope_of(&c.spec.group_by, src);
        let st = self.state.volume.entry(rule.to_owned()).or_default();
        let started = *st.started_ns.get_or_insert(t);
        let (ukey, names, deadline) = match &spec.unit {
            Unit::Session { field } => match src.field(field) {
                None | Some(Value::Null) => {
                    st.skipped.no_unit += 1;
                    return;
                }
                Some(v) => {
                    let names = Group::from([(field.clone(), v.clone())]);
                    (value_key(v), names, t.saturating_add(spec.idle_ns))
                }
            },
            Unit::Hour => {
                let Some((sk, _)) = &scope else {
                    st.skipped.no_scope += 1;
                    return;
                };
                let h = t.div_euclid(HOUR_NS);
                let names = Group::from([("hour".to_owned(), Value::Str(format_ns(h * HOUR_NS)))]);
                let end = (h + 1).saturating_mul(HOUR_NS);
                (
                    format!("{sk}\u{1e}{h}"),
                    names,
                    end.saturating_add(spec.idle_ns),
                )
            }
        };
        let track = &mut self.state.track;
        if !st.units.contains_key(&ukey) {
            if deadline < clock {
                st.skipped.late += 1;
                return;
            }
            if st.units.len() >= self.opts.max_groups_per_rule.max(1) {
                if let Some(victim) = st.earliest() {
                    *track.evictions.entry(rule.to_owned()).or_default() += 1;
                    close_unit(
                        rule,
                        spec,
                        st,
                        track,
                        &victim,
                        self.opts.max_groups_per_rule,
                    );
                }
            }
            let u = OpenUnit {
                names,
                first_ns: t,
                last_ns: t,
                deadline_ns: deadline,
                first_event: event_id.to_owned(),
                ..OpenUnit::default()
            };
            st.open(ukey.clone(), u);
        }
        let max_values = self.opts.max_values_per_scope.max(1);
        let Some(u) = st.units.get_mut(&ukey) else {
            return;
        };
        u.count += 1;
        u.first_ns = u.first_ns.min(t);
        u.last_ns = u.last_ns.max(t);
        u.last_event = event_id.to_owned();
        if u.scope.is_none() {
            u.scope = scope;
        }
        match &spec.measure {
            Measure::Distinct(f) => {
                let mut add = |v: &Value| {
                    if let Some(text) = scalar_text(v) {
                        let h = value_hash(&text.to_lowercase());
                        if u.distinct.len() < max_values || u.distinct.contains(&h) {
                            u.distinct.insert(h);
                        } else {
                            st.skipped.capped_values += 1;
                        }
                    }
                };
                match src.field(f) {
                    Some(Value::Array(items)) => items.iter().for_each(&mut add),
                    Some(v) => add(v),
                    None => {}
                }
            }
            Measure::Sum(f) => {
                if let Some(x) = src
                    .field(f)
                    .and_then(Value::as_f64)
                    .filter(|x| x.is_finite())
                {
                    u.sum += x;
                }
            }
            Measure::Count | Measure::Duration => {}
        }
        let measure = u.measure(&spec.measure);
        let last_ns = u.last_ns;
        let new_deadline = match spec.unit {
            Unit::Session { .. } => u.last_ns.saturating_add(spec.idle_ns),
            Unit::Hour => u.deadline_ns,
        };
        track.mark(|| EntryKey::Unit {
            rule: rule.to_owned(),
            unit: ukey.clone(),
        });
        if new_deadline != u.deadline_ns {
            st.set_deadline(&ukey, new_deadline);
        }
        // the live check: only a scope past its learning period
        let Some(u) = st.units.get(&ukey) else { return };
        if u.alerted || !c.emits || clock < started.saturating_add(c.spec.learning_ns) {
            return;
        }
        let Some((sk, sv)) = u.scope.clone() else {
            return;
        };
        let Some(p) = st.profiles.get_mut(&sk) else {
            return;
        };
        if p.samples < spec.min_samples {
            return;
        }
        let th = p.threshold(spec);
        if measure <= th.value {
            return;
        }
        let (samples, since) = (p.samples, p.since_ns);
        let u = st.units.get_mut(&ukey).expect("checked above");
        u.alerted = true;
        let (first_ns, count, names) = (u.first_ns, u.count, u.names.clone());
        let first_event = u.first_event.clone();
        let o = volume_output(VolumeAlert {
            c,
            spec,
            scope: sv,
            names,
            measure,
            th,
            samples,
            since,
            first_ns,
            last_ns,
            count,
            event_ids: vec![first_event, event_id.to_owned()],
            evidence,
        });
        let suppress = c.suppress.clone();
        let group_event = Event::from_fields(o.group.clone());
        self.emit(
            o,
            suppress
                .as_ref()
                .map(|s| (s, &group_event as &dyn FieldSource)),
            out,
        );
    }

    fn silence_hit(&mut self, ci: usize, src: &dyn FieldSource, t: i64) {
        let c = &self.corr[ci];
        let rule = c.meta.id.as_str();
        let st = self.state.silence.entry(rule.to_owned()).or_default();
        st.started_ns.get_or_insert(t);
        let Some((key, group)) = scope_of(&c.spec.group_by, src) else {
            st.no_emitter += 1;
            return;
        };
        let track = &mut self.state.track;
        if !st.emitters.contains_key(&key)
            && st.emitters.len() >= self.opts.max_groups_per_rule.max(1)
        {
            if let Some(v) = least_recent(&st.emitters, |e| e.last_ns) {
                st.emitters.remove(&v);
                *track.evictions.entry(rule.to_owned()).or_default() += 1;
                track.mark(|| EntryKey::Emitter {
                    rule: rule.to_owned(),
                    emitter: v,
                });
            }
        }
        let hour_done = st.hour_done;
        let e = st
            .emitters
            .entry(key.clone())
            .or_insert_with(|| Emitter::new(group, t));
        e.last_ns = e.last_ns.max(t);
        e.first_ns = e.first_ns.min(t);
        let h = t.div_euclid(HOUR_NS);
        if hour_done.is_none_or(|d| h > d) {
            e.pending.insert(h);
        }
        track.mark(|| EntryKey::Emitter {
            rule: rule.to_owned(),
            emitter: key,
        });
    }

    fn account_hours(&mut self, ci: usize, clock: i64, out: &mut Vec<Output>) {
        let c = &self.corr[ci];
        let Some(spec) = c.spec.silence.as_ref() else {
            return;
        };
        let rule = c.meta.id.as_str();
        let Some(st) = self.state.silence.get_mut(rule) else {
            return;
        };
        let Some(started) = st.started_ns else { return };
        // the newest hour that is complete: its end plus the grace is behind the clock
        let target = clock.saturating_sub(spec.grace_ns).div_euclid(HOUR_NS) - 1;
        let from = st
            .hour_done
            .map_or(started.div_euclid(HOUR_NS), |d| d + 1)
            .max(target - MAX_HOURS_PER_ADVANCE);
        let mut alerts = Vec::new();
        for h in from..=target {
            account_hour(c, spec, st, &mut self.state.track, h, started, &mut alerts);
            st.hour_done = Some(h);
        }
        let suppress = c.suppress.clone();
        for o in alerts {
            let group_event = Event::from_fields(o.group.clone());
            self.emit(
                o,
                suppress
                    .as_ref()
                    .map(|s| (s, &group_event as &dyn FieldSource)),
                out,
            );
        }
    }

    /// Every learned volume profile.
    pub fn profiles(&self) -> Vec<ProfileEntry> {
        let mut out = Vec::new();
        for c in self
            .corr
            .iter()
            .filter(|c| c.spec.ctype == CorrType::VolumeProfile)
        {
            let (Some(spec), Some(st)) =
                (c.spec.profile.as_ref(), self.state.volume.get(&c.meta.id))
            else {
                continue;
            };
            let rule_learning = match (st.started_ns, self.state.profile_clock_ns) {
                (Some(s), Some(now)) => now < s.saturating_add(c.spec.learning_ns),
                _ => true,
            };
            for p in st.profiles.values() {
                let f = p.hist.figures(spec.quantile);
                out.push(ProfileEntry {
                    rule_id: c.meta.id.clone(),
                    scope: p.scope.clone(),
                    p50: f.p50,
                    quantile: spec.quantile,
                    pq: f.pq,
                    mad: f.mad,
                    threshold: crate::profile::volume::threshold_of(&f, spec),
                    samples: p.samples,
                    since: format_ns(p.since_ns),
                    learning: rule_learning || p.samples < spec.min_samples,
                    histogram: p.hist.clone(),
                });
            }
        }
        out
    }

    /// Pre-seed volume profiles (an export of [`Engine::profiles`], reviewed): each entry
    /// replaces its scope's profile, and its rule's learning period counts from the
    /// entry's `since`. Entries of rules the engine does not have are skipped; returns how
    /// many were applied.
    pub fn seed_profiles(&mut self, entries: &[ProfileEntry]) -> Result<usize, String> {
        let mut applied = 0;
        for e in entries {
            let Some(c) = self
                .corr
                .iter()
                .find(|c| c.meta.id == e.rule_id && c.spec.ctype == CorrType::VolumeProfile)
            else {
                continue;
            };
            let Some((key, scope)) =
                scope_of(&c.spec.group_by, &Event::from_fields(e.scope.clone()))
            else {
                return Err(format!(
                    "profile of rule {} lacks scope fields {:?}",
                    e.rule_id, c.spec.group_by
                ));
            };
            let since = crate::time::value_ns(&Value::Str(e.since.clone()))
                .ok_or_else(|| format!("invalid since '{}'", e.since))?;
            let st = self.state.volume.entry(e.rule_id.clone()).or_default();
            st.started_ns = Some(st.started_ns.map_or(since, |s| s.min(since)));
            st.profiles.insert(
                key.clone(),
                Profile {
                    scope,
                    hist: e.histogram.clone(),
                    samples: e.samples,
                    since_ns: since,
                    updated_ns: e.histogram.ref_ns,
                    ..Profile::default()
                },
            );
            self.state.track.mark(|| EntryKey::Profile {
                rule: e.rule_id.clone(),
                scope: key,
            });
            applied += 1;
        }
        Ok(applied)
    }

    /// What the profile rules skipped so far, and why.
    pub fn profile_skips(&self) -> ProfileSkips {
        let mut per_rule = BTreeMap::new();
        for (rule, v) in &self.state.volume {
            let s = &v.skipped;
            per_rule.insert(
                rule.clone(),
                BTreeMap::from([
                    ("no_unit", s.no_unit),
                    ("no_scope", s.no_scope),
                    ("late", s.late),
                    ("capped_values", s.capped_values),
                ]),
            );
        }
        for (rule, s) in &self.state.silence {
            per_rule.insert(rule.clone(), BTreeMap::from([("no_emitter", s.no_emitter)]));
        }
        ProfileSkips {
            future: self.state.profile_future,
            per_rule,
        }
    }

    /// Open units and emitters held by the profile rules (for bounds checks and metrics).
    pub fn profile_sizes(&self) -> BTreeMap<String, (usize, usize)> {
        let mut out = BTreeMap::new();
        for (rule, v) in &self.state.volume {
            out.insert(rule.clone(), (v.units.len(), v.profiles.len()));
        }
        for (rule, s) in &self.state.silence {
            out.insert(rule.clone(), (s.emitters.len(), 0));
        }
        out
    }
}

/// Account hour `h` for every emitter of a silence rule.
fn account_hour(
    c: &CorrRule,
    spec: &SilenceSpec,
    st: &mut SilenceState,
    track: &mut Tracker,
    h: i64,
    started: i64,
    alerts: &mut Vec<Output>,
) {
    let rule = c.meta.id.as_str();
    let end = (h + 1).saturating_mul(HOUR_NS);
    // emitters of the same base (group without the sibling field) active in this hour
    let base = |g: &Group| -> Group {
        let mut g = g.clone();
        if let Some(s) = &spec.sibling {
            g.remove(s);
        }
        g
    };
    let mut active_bases: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    if let Some(s) = &spec.sibling {
        for e in st.emitters.values().filter(|e| e.pending.contains(&h)) {
            let b = serde_json::to_string(&base(&e.group)).unwrap_or_default();
            let v = e.group.get(s).and_then(Value::to_text).unwrap_or_default();
            active_bases.entry(b).or_default().insert(v);
        }
    }
    let learned = end >= started.saturating_add(c.spec.learning_ns);
    let mut forget = Vec::new();
    for (k, e) in st.emitters.iter_mut() {
        if e.first_ns >= end {
            continue;
        }
        let active = e.account(h);
        track.mark(|| EntryKey::Emitter {
            rule: rule.to_owned(),
            emitter: k.clone(),
        });
        if end.saturating_sub(e.last_ns) > spec.forget_ns {
            forget.push(k.clone());
            continue;
        }
        let silent_ns = end.saturating_sub(e.last_ns);
        if active
            || e.alerted
            || !c.emits
            || !learned
            || end < e.first_ns.saturating_add(c.spec.learning_ns)
            || e.surprise < spec.surprise
            || silent_ns < spec.floor_ns
        {
            continue;
        }
        let siblings = match &spec.sibling {
            None => None,
            Some(_) => {
                let b = serde_json::to_string(&base(&e.group)).unwrap_or_default();
                match active_bases.get(&b) {
                    Some(vals) => Some(vals.iter().cloned().collect::<Vec<_>>().join(", ")),
                    None => continue,
                }
            }
        };
        e.alerted = true;
        alerts.push(silence_output(c, spec, e, end, siblings));
    }
    for k in forget {
        st.emitters.remove(&k);
    }
}

fn silence_output(
    c: &CorrRule,
    spec: &SilenceSpec,
    e: &Emitter,
    end: i64,
    siblings: Option<String>,
) -> Output {
    let hours = (end - e.last_ns) as f64 / HOUR_NS as f64;
    let mut what = format!(
        "no events since {} ({} h); its hour-of-week activity pattern makes a silence this long {:.1e} likely",
        format_ns(e.last_ns),
        fig(hours),
        (-e.surprise).exp()
    );
    if let (Some(s), Some(others)) = (&spec.sibling, &siblings) {
        let mine = e.group.get(s).and_then(Value::to_text).unwrap_or_default();
        what.push_str(&format!("; {s} {mine} stopped while {others} go on"));
    }
    let mut a = alert::build(AlertParts {
        meta: &c.meta,
        group: e.group.clone(),
        first_ns: Some(e.last_ns),
        last_ns: Some(end),
        event_ids: Vec::new(),
        evidence: Vec::new(),
        count: 0,
        what,
    });
    a.id = alert_id(&c.meta.id, &e.group, &format!("silence:{}", e.last_ns));
    if let Some(agent) = e.group.get("agent").and_then(Value::as_str) {
        a.agent = agent.to_owned();
    }
    a.group.insert(
        "silent_hours".into(),
        fig_value((hours * 10.0).round() / 10.0),
    );
    a.group.insert(
        "silence_surprise".into(),
        fig_value((e.surprise * 10.0).round() / 10.0),
    );
    Output {
        kind: OutputKind::Profile,
        rule_id: c.meta.id.clone(),
        rule_name: c.meta.name.clone(),
        group: e.group.clone(),
        seqs: Vec::new(),
        time_ns: Some(end),
        anchor_seq: 0,
        alert: a,
    }
}

struct VolumeAlert<'a> {
    c: &'a CorrRule,
    spec: &'a ProfileSpec,
    scope: Group,
    names: Group,
    measure: f64,
    th: Threshold,
    samples: u64,
    since: i64,
    first_ns: i64,
    last_ns: i64,
    count: u64,
    event_ids: Vec<String>,
    evidence: Option<&'a Evidence>,
}

fn volume_output(v: VolumeAlert<'_>) -> Output {
    let Figures { p50, pq, mad } = v.th.figures;
    let unit = match v.spec.unit {
        Unit::Session { .. } => "session",
        Unit::Hour => "hour",
    };
    let q = fig(v.spec.quantile * 100.0);
    let what = format!(
        "{} {} in this {unit}; p{q} for {unit}s of {} is {} (median {}, MAD {}, {} {unit}s since {}); threshold {}",
        fig(v.measure),
        v.spec.label,
        scope_text(&v.scope),
        fig(pq),
        fig(p50),
        fig(mad),
        v.samples,
        format_ns(v.since),
        fig(v.th.value)
    );
    let mut group = v.scope.clone();
    group.extend(v.names);
    let mut ids = v.event_ids;
    ids.dedup();
    let mut a = alert::build(AlertParts {
        meta: &v.c.meta,
        group: group.clone(),
        first_ns: Some(v.first_ns),
        last_ns: Some(v.last_ns),
        event_ids: ids,
        evidence: v.evidence.map(Evidence::event).into_iter().collect(),
        count: v.count,
        what,
    });
    for (k, x) in [
        ("profile_value", v.measure),
        (&*format!("profile_p{q}"), pq),
        ("profile_p50", p50),
        ("profile_mad", mad),
        ("profile_threshold", v.th.value),
        ("profile_samples", v.samples as f64),
    ] {
        a.group.insert(k.to_owned(), fig_value(x));
    }
    Output {
        kind: OutputKind::Profile,
        rule_id: v.c.meta.id.clone(),
        rule_name: v.c.meta.name.clone(),
        group,
        seqs: Vec::new(),
        time_ns: Some(v.last_ns),
        anchor_seq: 0,
        alert: a,
    }
}

/// The key of the entry touched longest ago (ties: the smallest key), the one a full map
/// evicts.
fn least_recent<V>(map: &BTreeMap<String, V>, at: impl Fn(&V) -> i64) -> Option<String> {
    map.iter()
        .map(|(k, v)| (at(v), k))
        .min()
        .map(|(_, k)| k.clone())
}
