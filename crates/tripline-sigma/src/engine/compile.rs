//! Compiling rule sources into an [`Engine`]: parse documents, resolve references between
//! rules (correlations, filters), build the pre-dispatch index.

use std::collections::HashMap;

use super::dynamic::{DynLevel, SecretAug};
use super::{CorrRule, DetRule, Engine, EngineOptions, RuleSource, State};
use crate::error::CompileError;
use crate::lists::Lists;
use crate::rule::{parse_document, DocBody, RuleDoc};
use crate::yaml::load_documents;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Det(usize),
    Corr(usize),
}

struct Index {
    by_id: HashMap<String, Vec<(Target, String)>>,
    by_name: HashMap<String, Vec<(Target, String)>>,
}

impl Index {
    /// Resolve a reference: same file first, then by id, then by a unique name.
    fn resolve(&self, reference: &str, path: &str) -> Result<Target, String> {
        let ids = self.by_id.get(reference).map(Vec::as_slice).unwrap_or(&[]);
        let names = self
            .by_name
            .get(reference)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let local: Vec<Target> = ids
            .iter()
            .chain(names)
            .filter(|(_, p)| p == path)
            .map(|(t, _)| *t)
            .collect();
        if let Some(t) = local.first() {
            return Ok(*t);
        }
        if let [(t, _)] = ids {
            return Ok(*t);
        }
        match names {
            [(t, _)] => Ok(*t),
            [] => Err(format!("references unknown rule '{reference}'")),
            _ => Err(format!(
                "reference '{reference}' is ambiguous ({} rules have that name)",
                names.len()
            )),
        }
    }
}

pub(super) fn compile(
    sources: &[RuleSource],
    lists: &Lists,
    opts: &EngineOptions,
) -> Result<Engine, Vec<CompileError>> {
    let mut errors = Vec::new();
    let mut docs: Vec<RuleDoc> = Vec::new();
    // ids and names of documents that failed: references to them are not reported again
    let mut failed: Vec<String> = Vec::new();
    for src in sources {
        match load_documents(&src.text) {
            Err((line, msg)) => errors.push(CompileError::new(&src.path, line, "", msg)),
            Ok(ds) => {
                for d in &ds {
                    match parse_document(&src.path, d, lists, &opts.mapping) {
                        Ok(r) => docs.push(r),
                        Err(e) => {
                            for k in ["id", "name"] {
                                if let Some(v) = d.value.get(k).and_then(|v| v.as_str()) {
                                    failed.push(v.to_owned());
                                }
                            }
                            errors.push(e)
                        }
                    }
                }
            }
        }
    }
    let mut det = Vec::new();
    let mut corr = Vec::new();
    let mut filters = Vec::new();
    let mut seen_ids: HashMap<String, (String, usize)> = HashMap::new();
    let mut corr_ext = Vec::new();
    for d in docs {
        if let Some((p, l)) = seen_ids.get(&d.meta.id) {
            errors.push(CompileError::new(
                &d.meta.path,
                d.meta.line,
                "id",
                format!("duplicate rule id '{}' (also at {p}:{l})", d.meta.id),
            ));
            continue;
        }
        seen_ids.insert(d.meta.id.clone(), (d.meta.path.clone(), d.meta.line));
        let emits = !d.meta.name.contains("__");
        match d.body {
            DocBody::Detection(detection) => {
                let ext_err = |e: crate::error::LocalError| {
                    CompileError::new(&d.meta.path, d.meta.line, "tripline", e.0)
                };
                let map = |f: &str| opts.mapping.map(f).to_owned();
                let resolved = DynLevel::for_detection(&d.ext, &detection)
                    .and_then(|l| Ok((l, SecretAug::resolve(&d.ext, &detection, &map)?)));
                match resolved {
                    Ok((level, secret)) => det.push(DetRule {
                        meta: d.meta,
                        detection,
                        filters: Vec::new(),
                        emits,
                        feeds: Vec::new(),
                        suppress: d.suppress,
                        level,
                        secret,
                    }),
                    Err(e) => errors.push(ext_err(e)),
                }
            }
            DocBody::Correlation(spec) => {
                corr_ext.push(d.ext);
                corr.push(CorrRule {
                    meta: d.meta,
                    spec,
                    emits,
                    feeds: Vec::new(),
                    suppress: d.suppress,
                    level: None,
                })
            }
            DocBody::Filter { rules, detection } => filters.push((d.meta, rules, detection)),
        }
    }
    let mut index = Index {
        by_id: HashMap::new(),
        by_name: HashMap::new(),
    };
    let targets = det
        .iter()
        .enumerate()
        .map(|(i, r)| (Target::Det(i), &r.meta))
        .chain(
            corr.iter()
                .enumerate()
                .map(|(i, r)| (Target::Corr(i), &r.meta)),
        );
    for (t, m) in targets {
        index
            .by_id
            .entry(m.id.clone())
            .or_default()
            .push((t, m.path.clone()));
        if m.name != m.id {
            index
                .by_name
                .entry(m.name.clone())
                .or_default()
                .push((t, m.path.clone()));
        }
    }
    let mut det_links: Vec<(usize, usize, usize)> = Vec::new();
    let mut corr_links: Vec<(usize, usize, usize)> = Vec::new();
    let mut generate_det = vec![(false, false); det.len()];
    let mut generate_corr = vec![(false, false); corr.len()];
    for (ci, c) in corr.iter().enumerate() {
        for (pos, r) in c.spec.rules.iter().enumerate() {
            match index.resolve(r, &c.meta.path) {
                Ok(Target::Det(i)) => {
                    det_links.push((i, ci, pos));
                    let g = &mut generate_det[i];
                    *g = (true, g.1 || c.spec.generate);
                }
                Ok(Target::Corr(j)) if j == ci => errors.push(CompileError::new(
                    &c.meta.path,
                    c.meta.line,
                    "correlation.rules",
                    "a correlation cannot reference itself",
                )),
                Ok(Target::Corr(j)) => {
                    corr_links.push((j, ci, pos));
                    let g = &mut generate_corr[j];
                    *g = (true, g.1 || c.spec.generate);
                }
                Err(_) if failed.contains(r) => {}
                Err(msg) => errors.push(CompileError::new(
                    &c.meta.path,
                    c.meta.line,
                    "correlation.rules",
                    msg,
                )),
            }
        }
    }
    let mut helpers: Vec<Vec<(usize, usize)>> = vec![Vec::new(); corr.len()];
    for (i, ci, pos) in det_links {
        det[i].feeds.push((ci, pos));
        helpers[ci].push((pos, i));
    }
    for (ci, ext) in corr_ext.iter().enumerate() {
        let c = &corr[ci];
        match DynLevel::for_correlation(ext, &c.spec.rules, &helpers[ci], &det) {
            Ok(l) => corr[ci].level = l,
            Err(e) => errors.push(CompileError::new(
                &c.meta.path,
                c.meta.line,
                "tripline",
                e.0,
            )),
        }
    }
    for (j, ci, pos) in corr_links {
        corr[j].feeds.push((ci, pos));
    }
    for (r, (referenced, generate)) in det.iter_mut().zip(generate_det) {
        r.emits &= !referenced || generate;
    }
    for (r, (referenced, generate)) in corr.iter_mut().zip(generate_corr) {
        r.emits &= !referenced || generate;
    }
    if let Some(ci) = find_cycle(&corr) {
        let m = &corr[ci].meta;
        errors.push(CompileError::new(
            &m.path,
            m.line,
            "correlation.rules",
            "correlation chain forms a cycle",
        ));
    }
    for (meta, rules, detection) in filters {
        for r in rules {
            match index.resolve(&r, &meta.path) {
                Ok(Target::Det(i)) => det[i].filters.push(detection.clone()),
                Ok(Target::Corr(_)) => errors.push(CompileError::new(
                    &meta.path,
                    meta.line,
                    "filter.rules",
                    format!("'{r}' is a correlation; filters apply to detection rules"),
                )),
                Err(_) if failed.contains(&r) => {}
                Err(msg) => errors.push(CompileError::new(
                    &meta.path,
                    meta.line,
                    "filter.rules",
                    msg,
                )),
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut dispatch: HashMap<String, Vec<usize>> = HashMap::new();
    let mut undispatched = Vec::new();
    for (i, r) in det.iter().enumerate() {
        match r.detection.pinned(&opts.dispatch_field) {
            Some(mut names) if !names.is_empty() => {
                names.sort();
                names.dedup();
                for n in names {
                    dispatch.entry(n).or_default().push(i);
                }
            }
            _ => undispatched.push(i),
        }
    }
    Ok(Engine {
        det,
        corr,
        dispatch,
        undispatched,
        opts: opts.clone(),
        sources: sources.to_vec(),
        state: State::new(),
    })
}

fn find_cycle(corr: &[CorrRule]) -> Option<usize> {
    // 0 = unvisited, 1 = on stack, 2 = done
    fn visit(i: usize, corr: &[CorrRule], mark: &mut [u8]) -> bool {
        match mark[i] {
            1 => return true,
            2 => return false,
            _ => {}
        }
        mark[i] = 1;
        for &(next, _) in &corr[i].feeds {
            if visit(next, corr, mark) {
                return true;
            }
        }
        mark[i] = 2;
        false
    }
    let mut mark = vec![0u8; corr.len()];
    (0..corr.len()).find(|&i| visit(i, corr, &mut mark))
}
