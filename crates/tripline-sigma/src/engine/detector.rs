//! The stateless matching half of an engine, detached from its state so worker threads
//! can share it while one thread applies the matches in input order.

use std::collections::{BTreeSet, HashMap, HashSet};

use tripline_event::{names, Event};

use super::{process, DetRule, Engine, EngineOptions};
use crate::detection::Search;
use crate::matcher::ValueMatcher;
use crate::source::FieldSource;
use crate::time::event_ns;

/// Which detection rules matched one event: the output of [`Engine::detect`] and
/// [`Detector::detect`], the input of [`Engine::apply`]. Only meaningful for the engine
/// (or its detector) that produced it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Detected(pub(crate) Vec<usize>);

impl Detected {
    /// Whether no detection rule matched (the event can then go to [`Engine::skip`]).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many detection rules matched.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// The compiled detection rules of an [`Engine`] without its streaming state. It is
/// `Send + Sync`: share one across threads, call [`Detector::detect`] in parallel, and
/// hand the results to [`Engine::apply`] / [`Engine::skip`] in input order, which gives
/// exactly what [`Engine::process`] would have given.
#[derive(Clone, Debug)]
pub struct Detector {
    det: Vec<DetRule>,
    dispatch: HashMap<String, Vec<usize>>,
    undispatched: Vec<usize>,
    opts: EngineOptions,
    projection: Option<Vec<String>>,
    /// lowercased dispatch values whose rules read every value (keyword searches)
    whole_for: HashSet<String>,
    needs_time: bool,
}

impl Detector {
    /// Which detection rules match `ev` (the same answer as [`Engine::detect`]).
    pub fn detect(&self, ev: &dyn FieldSource) -> Detected {
        Detected(process::matching(
            &self.det,
            &self.dispatch,
            &self.undispatched,
            &self.opts,
            ev,
        ))
    }

    /// Whether a matched rule emits outputs of its own (its match builds an alert, which
    /// reads the whole event); otherwise the matches only feed correlations, for which
    /// the projection is enough (see [`crate::Evidence::line`]).
    pub fn emits_any(&self, d: &Detected) -> bool {
        d.0.iter().any(|&i| self.det[i].emits)
    }

    /// The event time the engine reads from `ev`, Unix ns.
    pub fn event_time(&self, ev: &dyn FieldSource) -> Option<i64> {
        event_ns(ev, &self.opts.time_fields)
    }

    /// Whether the engine tracks event time for events that match nothing (it has
    /// correlations, whose watermark moves with every event).
    pub fn needs_time(&self) -> bool {
        self.needs_time
    }

    /// The top-level event keys that [`Detector::detect`] and [`Detector::event_time`]
    /// can read, and that [`Engine::apply`] reads for a match of rules that only feed
    /// correlations (event id, group-by fields through aliases, counted fields), sorted.
    /// An event holding only these keys (with their full values) gets the same answers
    /// as the whole event, unless [`Detector::needs_whole`] says otherwise. `None` when
    /// a rule that is not pinned to dispatch values reads every value (a keyword search).
    pub fn projection(&self) -> Option<&[String]> {
        self.projection.as_deref()
    }

    /// Whether a projected event must be parsed whole before [`Detector::detect`]: its
    /// dispatch value (`event_name`) selects a rule with a keyword search.
    pub fn needs_whole(&self, projected: &Event) -> bool {
        if self.whole_for.is_empty() {
            return false;
        }
        match projected
            .field(&self.opts.dispatch_field)
            .and_then(|v| v.as_str())
        {
            Some(n) => self.whole_for.contains(&n.to_lowercase()),
            None => false,
        }
    }
}

impl Engine {
    /// A detached copy of the compiled detection rules (see [`Detector`]).
    pub fn detector(&self) -> Detector {
        let (projection, whole_for) = projection(self);
        Detector {
            det: self.det.clone(),
            dispatch: self.dispatch.clone(),
            undispatched: self.undispatched.clone(),
            opts: self.opts.clone(),
            projection,
            whole_for,
            needs_time: !self.corr.is_empty(),
        }
    }
}

/// The top-level keys detection reads (`None`: every value), and the dispatch values
/// whose rules read every value.
fn projection(engine: &Engine) -> (Option<Vec<String>>, HashSet<String>) {
    let opts = &engine.opts;
    let mut whole_for = HashSet::new();
    let mut fields: Vec<&str> = vec![opts.dispatch_field.as_str(), names::ID];
    fields.extend(opts.time_fields.iter().map(String::as_str));
    // what applying a match to the correlations it feeds reads
    for r in &engine.det {
        for &(ci, pos) in &r.feeds {
            let spec = &engine.corr[ci].spec;
            let written = &spec.rules[pos];
            for g in &spec.group_by {
                let alias = spec.aliases.get(g).and_then(|a| a.get(written));
                fields.push(alias.unwrap_or(g));
            }
            fields.extend(spec.fields.iter().map(String::as_str));
        }
    }
    for (i, r) in engine.det.iter().enumerate() {
        for d in std::iter::once(&r.detection).chain(&r.filters) {
            for s in &d.searches {
                let items: Vec<_> = match s {
                    Search::Keywords { .. } if engine.undispatched.contains(&i) => {
                        return (None, HashSet::new())
                    }
                    Search::Keywords { .. } => {
                        for (name, rules) in &engine.dispatch {
                            if rules.contains(&i) {
                                whole_for.insert(name.clone());
                            }
                        }
                        continue;
                    }
                    Search::And(items) => items.iter().collect(),
                    Search::AnyOf(maps) => maps.iter().flatten().collect(),
                };
                for item in items {
                    fields.push(&item.field);
                    for m in item.values.iter().flatten() {
                        if let ValueMatcher::FieldRef(other, _) = m {
                            fields.push(other);
                        }
                    }
                }
            }
        }
        if let Some(aug) = &r.secret {
            fields.extend(aug.fields.iter().flatten().map(String::as_str));
        }
    }
    let mut keys = BTreeSet::new();
    for f in fields {
        // `Event::lookup`: the exact key, then a nested path through any dotted prefix,
        // then the canonical form.
        keys.insert(f.to_owned());
        if f.contains('.') {
            for (i, _) in f.match_indices('.') {
                keys.insert(f[..i].to_owned());
            }
            keys.insert(names::canonical(f));
        }
    }
    (Some(keys.into_iter().collect()), whole_for)
}
