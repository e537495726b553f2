//! Streaming: run one event through detections, filters, correlations, first-seen
//! baselines and suppression.

use std::borrow::Cow;
use std::sync::Arc;

use tripline_event::{names, Event, Value};

use super::{dynamic, DetRule, Detected, Engine, EngineOptions};
use crate::alert::{self, AlertParts, Output, OutputKind};
use crate::correlation::spec::CorrType;
use crate::correlation::window::Entry;
use crate::evidence::Evidence;
use crate::first_seen::{BaselineEntry, Seen};
use crate::rule::{Group, RuleMeta};
use crate::source::{scalar_text, FieldSource};
use crate::suppress;
use crate::time::{event_ns, format_ns};
use std::collections::HashMap;

/// How a match reaches [`Engine::apply_indices`]: the caller's event, or shared
/// evidence.
#[derive(Clone, Copy)]
enum Source<'a> {
    Owned(&'a Event),
    Shared(&'a Arc<Evidence>),
}

impl<'a> Source<'a> {
    /// What rules read.
    fn fields(self) -> &'a dyn FieldSource {
        match self {
            Source::Owned(ev) => ev,
            Source::Shared(e) => e.fields(),
        }
    }

    /// The whole event (for alerts).
    fn whole(self) -> &'a Event {
        match self {
            Source::Owned(ev) => ev,
            Source::Shared(e) => e.event(),
        }
    }

    /// Evidence for correlation windows: the shared one, or a copy of the event.
    fn shared(self) -> Arc<Evidence> {
        match self {
            Source::Owned(ev) => Arc::new(Evidence::parsed(ev.clone())),
            Source::Shared(e) => Arc::clone(e),
        }
    }
}

/// One input to a correlation: a matched event or a fired inner correlation.
struct Hit<'a> {
    pos: usize,
    src: &'a dyn FieldSource,
    t: Option<i64>,
    seqs: Vec<u64>,
    event_ids: Vec<String>,
    evidence: Option<Arc<Evidence>>,
}

fn value_key(v: &Value) -> String {
    scalar_text(v)
        .map(Cow::into_owned)
        .unwrap_or_else(|| v.to_json_string())
}

impl Engine {
    /// Run one event through every rule. Outputs come in rule order: detection matches,
    /// then the correlations they complete.
    pub fn process(&mut self, ev: &Event) -> Vec<Output> {
        let matched = self.matching(ev);
        self.apply_indices(Source::Owned(ev), matched)
    }

    /// The stateless half of [`Engine::process`]: which detection rules match `ev`. Takes
    /// `&self`, so many threads can detect at once (see [`Engine::detector`]); feed the
    /// result to [`Engine::apply`] in input order.
    pub fn detect(&self, ev: &Event) -> Detected {
        Detected(self.matching(ev))
    }

    /// The stateful half of [`Engine::process`]: count the event and apply its detection
    /// matches to correlations, first-seen baselines and suppression.
    /// `engine.apply(ev, &engine.detect(ev))` is exactly `engine.process(ev)`.
    pub fn apply(&mut self, ev: &Event, detected: &Detected) -> Vec<Output> {
        self.apply_indices(Source::Owned(ev), detected.0.clone())
    }

    /// [`Engine::apply`] for a match the caller hands over as shared [`Evidence`]:
    /// rules read [`Evidence::fields`], and correlation windows keep `evidence` itself,
    /// never a copy (a line is parsed whole only if an alert shows it).
    pub fn apply_evidence(&mut self, evidence: &Arc<Evidence>, detected: &Detected) -> Vec<Output> {
        self.apply_indices(Source::Shared(evidence), detected.0.clone())
    }

    /// Count `n` events that matched no detection rule without handing them over: the
    /// sequence counter moves by `n` and the watermark to `max_time_ns` (the newest
    /// [`Engine::event_time`] among them), exactly as `n` calls of [`Engine::process`]
    /// would have done.
    pub fn skip(&mut self, n: u64, max_time_ns: Option<i64>) {
        self.state.seq += n;
        if self.corr.is_empty() {
            return;
        }
        if let Some(t) = max_time_ns {
            if self.state.watermark_ns.is_none_or(|w| t > w) {
                self.state.watermark_ns = Some(t);
            }
        }
    }

    /// How many events the engine has processed (its sequence counter, which output
    /// `seqs` refer to; restored with a snapshot).
    pub fn events_seen(&self) -> u64 {
        self.state.seq
    }

    /// The event time the engine reads from `ev` (the configured time fields), Unix ns.
    pub fn event_time(&self, ev: &Event) -> Option<i64> {
        event_ns(ev, &self.opts.time_fields)
    }

    fn apply_indices(&mut self, src: Source<'_>, matched: Vec<usize>) -> Vec<Output> {
        let ev = src.fields();
        let seq = self.state.seq;
        self.state.seq += 1;
        // Event time is only parsed when something needs it: correlations (watermark) or a match.
        let has_corr = !self.corr.is_empty();
        let mut t = if has_corr {
            event_ns(ev, &self.opts.time_fields)
        } else {
            None
        };
        if let Some(t) = t {
            if self.state.watermark_ns.is_none_or(|w| t > w) {
                self.state.watermark_ns = Some(t);
            }
        }
        let mut out = Vec::new();
        if let Some(t) = t.filter(|_| self.has_profiles()) {
            self.profile_tick(t, &mut out);
        }
        if matched.is_empty() {
            return out;
        }
        if !has_corr {
            t = event_ns(ev, &self.opts.time_fields);
        }
        // the evidence correlation windows keep: one shared copy however many they are
        let mut evidence: Option<Arc<Evidence>> = None;
        let event_id = ev
            .field_str(names::ID)
            .map(Cow::into_owned)
            .unwrap_or_else(|| format!("seq:{seq}"));
        for i in matched {
            let r = &self.det[i];
            if r.emits {
                // an alert reads the whole event, whatever the match was applied with
                let whole = src.whole();
                let mut a = alert::build(AlertParts {
                    meta: &r.meta,
                    group: Group::new(),
                    first_ns: t,
                    last_ns: t,
                    event_ids: vec![event_id.clone()],
                    evidence: vec![whole],
                    count: 1,
                    what: String::new(),
                });
                if let Some(l) = r
                    .level
                    .as_ref()
                    .and_then(|l| l.detection_level(r, whole, self.opts.secret_check.as_ref()))
                {
                    a.rule.level = l;
                }
                let o = Output {
                    kind: OutputKind::Match,
                    rule_id: r.meta.id.clone(),
                    rule_name: r.meta.name.clone(),
                    group: Group::new(),
                    seqs: vec![seq],
                    time_ns: t,
                    anchor_seq: seq,
                    alert: a,
                };
                let suppress = r.suppress.clone();
                self.emit(
                    o,
                    suppress.as_ref().map(|s| (s, whole as &dyn FieldSource)),
                    &mut out,
                );
            }
            let feeds = self.det[i].feeds.clone();
            if feeds.is_empty() {
                continue;
            }
            let shared = evidence.get_or_insert_with(|| src.shared()).clone();
            for (ci, pos) in feeds {
                let hit = Hit {
                    pos,
                    src: ev,
                    t,
                    seqs: vec![seq],
                    event_ids: vec![event_id.clone()],
                    evidence: Some(Arc::clone(&shared)),
                };
                self.corr_hit(ci, hit, &mut out);
            }
        }
        out
    }

    /// Move the watermark forward (for example from a clock when no events arrive) and
    /// drop window entries that can no longer contribute, and suppression windows that
    /// have closed.
    pub fn advance_watermark(&mut self, t_ns: i64) {
        if self.state.watermark_ns.is_none_or(|w| t_ns > w) {
            self.state.watermark_ns = Some(t_ns);
        }
        let wm = self.state.watermark_ns.unwrap_or(t_ns);
        self.expire_windows();
        self.state
            .expire_suppress(wm.saturating_sub(self.opts.allowed_lateness_ns));
    }

    /// Drop the correlation window entries the watermark has put out of reach of every
    /// future match (older than watermark - lateness - timespan), and the groups this
    /// leaves empty. It changes no output, whenever it runs: a later match sees the same
    /// window either way (see `State::expire_windows` for the condition flag), so a long
    /// stream can call it as often as it likes to bound memory.
    pub fn expire_windows(&mut self) {
        let Some(wm) = self.state.watermark_ns else {
            return;
        };
        let lateness = self.opts.allowed_lateness_ns;
        for c in &self.corr {
            let before = wm
                .saturating_sub(lateness)
                .saturating_sub(c.spec.timespan_ns);
            self.state.expire_windows(&c.meta.id, before);
        }
    }

    /// What the first_seen rules have learned, and since when.
    pub fn baselines(&self) -> Vec<BaselineEntry> {
        let mut out = Vec::new();
        for c in self
            .corr
            .iter()
            .filter(|c| c.spec.ctype == CorrType::FirstSeen)
        {
            let Some(st) = self.state.first_seen.get(&c.meta.id) else {
                continue;
            };
            let learning = match (st.started_ns, self.state.watermark_ns) {
                (Some(s), Some(w)) => w < s.saturating_add(c.spec.learning_ns),
                _ => true,
            };
            for (scope, values) in &st.scopes {
                for (value, first) in values {
                    out.push(BaselineEntry {
                        rule_id: c.meta.id.clone(),
                        scope: scope.clone(),
                        value: value.clone(),
                        first_seen: format_ns(*first),
                        learning,
                    });
                }
            }
        }
        out
    }

    /// Indices (ascending) of the detection rules that match `ev` and are not filtered.
    fn matching(&self, ev: &Event) -> Vec<usize> {
        matching(
            &self.det,
            &self.dispatch,
            &self.undispatched,
            &self.opts,
            ev,
        )
    }

    pub(super) fn emit(
        &mut self,
        mut o: Output,
        suppress: Option<(&crate::suppress::SuppressSpec, &dyn FieldSource)>,
        out: &mut Vec<Output>,
    ) {
        if let Some((spec, src)) = suppress {
            let mut key = o.rule_id.clone();
            for f in &spec.by {
                key.push('\u{1f}');
                key.push_str(&src.field(f).map(value_key).unwrap_or_default());
            }
            let t = o.time_ns.unwrap_or(0);
            let entry = self.state.suppress.get_mut(&key);
            if let Some(new) = suppress::apply(entry, &mut o.alert, t, spec.window_ns) {
                self.state.suppress.insert(key.clone(), new);
            }
            self.state.touch_suppress(&key);
        }
        out.push(o);
    }

    fn corr_hit(&mut self, ci: usize, hit: Hit<'_>, out: &mut Vec<Output>) {
        if self.corr[ci].spec.ctype.is_profile() {
            let id = hit
                .event_ids
                .first()
                .map(String::as_str)
                .unwrap_or_default();
            let ev = hit.evidence.as_deref();
            self.profile_hit(ci, hit.src, hit.t, id, ev, out);
            return;
        }
        let Some(t) = hit.t else { return };
        let wm = self.state.watermark_ns.unwrap_or(t);
        let lateness = self.opts.allowed_lateness_ns;
        if t < wm.saturating_sub(lateness) {
            self.state.late_dropped += 1;
            return;
        }
        let c = &self.corr[ci];
        let rule_ref = &c.spec.rules[hit.pos];
        let mut group = Group::new();
        let mut key = String::new();
        for g in &c.spec.group_by {
            let field = c
                .spec
                .aliases
                .get(g)
                .and_then(|a| a.get(rule_ref))
                .map(String::as_str)
                .unwrap_or(g);
            match hit.src.field(field) {
                None | Some(Value::Null) => return,
                Some(v) => {
                    key.push_str(&value_key(v));
                    key.push('\u{1f}');
                    group.insert(g.clone(), v.clone());
                }
            }
        }
        if c.spec.ctype == CorrType::FirstSeen {
            self.first_seen_hit(ci, hit, t, group, key, out);
            return;
        }
        let value = c
            .spec
            .fields
            .first()
            .and_then(|f| hit.src.field(f))
            .cloned();
        let span = c.spec.timespan_ns;
        let gw = self
            .state
            .window_mut(&c.meta.id, key, &group, self.opts.max_groups_per_rule);
        gw.evict(wm.saturating_sub(lateness).saturating_sub(span));
        let entry = Entry {
            t,
            rule: hit.pos,
            seqs: hit.seqs,
            event_ids: hit.event_ids,
            value,
            evidence: hit.evidence,
        };
        let at = gw.insert(entry);
        let now = gw.holds_at(&c.spec, at);
        let fire = now && !gw.holding;
        gw.holding = now;
        if !fire {
            return;
        }
        let window: Vec<&Entry> = gw.window(at, span).collect();
        let mut seqs: Vec<u64> = window.iter().flat_map(|e| e.seqs.iter().copied()).collect();
        seqs.sort_unstable();
        seqs.dedup();
        let event_ids: Vec<String> = window
            .iter()
            .flat_map(|e| e.event_ids.iter().cloned())
            .collect();
        let evidence: Vec<&Event> = window
            .iter()
            .filter_map(|e| e.evidence.as_deref().map(Evidence::event))
            .collect();
        let first_ns = window.first().map(|e| e.t);
        let anchor_seq = window
            .iter()
            .filter(|e| e.t == t)
            .flat_map(|e| e.seqs.iter().copied())
            .min()
            .unwrap_or(0);
        let what = format!(
            "{:?} correlation over {} matches",
            c.spec.ctype,
            window.len()
        )
        .to_lowercase();
        let level = c
            .level
            .as_ref()
            .and_then(|l| l.correlation_level(&self.det, &window, self.opts.secret_check.as_ref()));
        let mut a = alert::build(AlertParts {
            meta: &c.meta,
            group: group.clone(),
            first_ns,
            last_ns: Some(t),
            event_ids: event_ids.clone(),
            evidence,
            count: window.len() as u64,
            what,
        });
        if let Some(l) = level {
            a.rule.level = l;
        }
        let emits = c.emits;
        let meta = c.meta.clone();
        let feeds = c.feeds.clone();
        let suppress = c.suppress.clone();
        let group_event = Event::from_fields(group.clone());
        if emits {
            let o = Output {
                kind: OutputKind::Correlation,
                rule_id: meta.id.clone(),
                rule_name: meta.name.clone(),
                group,
                seqs: seqs.clone(),
                time_ns: Some(t),
                anchor_seq,
                alert: a,
            };
            self.emit(
                o,
                suppress
                    .as_ref()
                    .map(|s| (s, &group_event as &dyn FieldSource)),
                out,
            );
        }
        for (next, pos) in feeds {
            let h = Hit {
                pos,
                src: &group_event,
                t: Some(t),
                seqs: seqs.clone(),
                event_ids: event_ids.clone(),
                evidence: None,
            };
            self.corr_hit(next, h, out);
        }
    }

    fn first_seen_hit(
        &mut self,
        ci: usize,
        hit: Hit<'_>,
        t: i64,
        mut group: Group,
        scope: String,
        out: &mut Vec<Output>,
    ) {
        let c = &self.corr[ci];
        let mut tuple = String::new();
        for f in &c.spec.fields {
            match hit.src.field(f) {
                None | Some(Value::Null) => return,
                Some(v) => {
                    if !tuple.is_empty() {
                        tuple.push('|');
                    }
                    tuple.push_str(&value_key(v).to_lowercase());
                    group.insert(f.clone(), v.clone());
                }
            }
        }
        let seen = self.state.observe_first_seen(
            &c.meta.id,
            &scope,
            &tuple,
            t,
            c.spec.learning_ns,
            self.opts.max_values_per_scope,
        );
        if seen != Seen::New || !c.emits {
            return;
        }
        let meta: &RuleMeta = &c.meta;
        let a = alert::build(AlertParts {
            meta,
            group: group.clone(),
            first_ns: Some(t),
            last_ns: Some(t),
            event_ids: hit.event_ids.clone(),
            evidence: hit
                .evidence
                .as_deref()
                .map(Evidence::event)
                .into_iter()
                .collect(),
            count: 1,
            what: format!("first time seen: {tuple}"),
        });
        let o = Output {
            kind: OutputKind::FirstSeen,
            rule_id: meta.id.clone(),
            rule_name: meta.name.clone(),
            group,
            anchor_seq: hit.seqs.iter().copied().min().unwrap_or(0),
            seqs: hit.seqs,
            time_ns: Some(t),
            alert: a,
        };
        let suppress = c.suppress.clone();
        self.emit(o, suppress.as_ref().map(|s| (s, hit.src)), out);
    }
}

/// Indices (ascending) of the detection rules in `det` that match `ev` and are not
/// filtered: rules pinned to the event's dispatch value first, then the others.
/// Allocates nothing when no rule matches.
pub(super) fn matching(
    det: &[DetRule],
    dispatch: &HashMap<String, Vec<usize>>,
    undispatched: &[usize],
    opts: &EngineOptions,
    ev: &dyn FieldSource,
) -> Vec<usize> {
    let name = ev.field_str(&opts.dispatch_field);
    let lowered;
    let key = match name.as_deref() {
        Some(n) if n.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) => Some(n),
        Some(n) => {
            lowered = n.to_lowercase();
            Some(lowered.as_str())
        }
        None => None,
    };
    let pinned: &[usize] = key
        .and_then(|k| dispatch.get(k))
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let secret = opts.secret_check.as_ref();
    let hit = |i: &usize| {
        let r = &det[*i];
        let matched = match (&r.secret, secret) {
            (Some(_), Some(_)) => r
                .detection
                .eval_with(ev, &|k| dynamic::secret_holds(r, k, ev, secret)),
            _ => r.detection.eval(ev),
        };
        matched && !r.filters.iter().any(|f| f.eval(ev))
    };
    let mut out: Vec<usize> = pinned.iter().filter(|i| hit(i)).copied().collect();
    let before = out.len();
    out.extend(undispatched.iter().filter(|i| hit(i)));
    if before > 0 && out.len() > before {
        out.sort_unstable();
    }
    out
}
