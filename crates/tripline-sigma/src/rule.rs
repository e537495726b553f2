//! Rule documents: metadata plus a detection, a correlation or a filter, parsed from YAML
//! with file/line locations for errors.

use std::collections::BTreeMap;

use serde_norway::Value as Yaml;

use crate::correlation::spec::{self, CorrSpec};
use crate::detection::{self, Detection};
use crate::error::CompileError;
use crate::extension::ExtSpec;
use crate::lists::Lists;
use crate::mapping::FieldMapping;
use crate::suppress::SuppressSpec;
use crate::yaml::{kind, Document};

/// Rule metadata (what an alert's `rule` carries).
#[derive(Clone, Debug, PartialEq)]
pub struct RuleMeta {
    /// `id`
    pub id: String,
    /// `name` (falls back to the id)
    pub name: String,
    /// `title`
    pub title: String,
    /// `level` (default `medium`)
    pub level: String,
    /// `tags`
    pub tags: Vec<String>,
    /// `fields`: the fields worth showing with a match (mapped to event field names); the
    /// alert summary names their values
    pub fields: Vec<String>,
    /// source file
    pub path: String,
    /// 1-based line where the document starts
    pub line: usize,
}

/// What a document defines.
#[derive(Clone, Debug)]
pub enum DocBody {
    /// A detection rule.
    Detection(Detection),
    /// A correlation (including the `first_seen` extension).
    Correlation(CorrSpec),
    /// A filter: `rules` it applies to, and a detection whose matches are dropped.
    Filter {
        /// referenced rule ids or names
        rules: Vec<String>,
        /// the filter's own detection
        detection: Detection,
    },
}

/// One parsed rule document.
#[derive(Clone, Debug)]
pub struct RuleDoc {
    /// metadata
    pub meta: RuleMeta,
    /// body
    pub body: DocBody,
    /// optional suppression (tripline extension)
    pub suppress: Option<SuppressSpec>,
    /// the `tripline:` key (dynamic level, secret matching), empty when absent
    pub ext: ExtSpec,
}

/// Parse one YAML document into a rule.
pub fn parse_document(
    path: &str,
    doc: &Document,
    lists: &Lists,
    mapping: &FieldMapping,
) -> Result<RuleDoc, CompileError> {
    let err = |key: &str, field: &str, msg: String| {
        CompileError::new(path, doc.line_of(key, doc.first_line), field, msg)
    };
    let Yaml::Mapping(map) = &doc.value else {
        return Err(CompileError::new(
            path,
            doc.first_line,
            "",
            format!("expected a rule (a map), found {}", kind(&doc.value)),
        ));
    };
    let get = |k: &str| map.get(k);
    let text = |k: &str| -> Result<Option<String>, CompileError> {
        match get(k) {
            None | Some(Yaml::Null) => Ok(None),
            Some(Yaml::String(s)) => Ok(Some(s.clone())),
            Some(Yaml::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(err(
                k,
                k,
                format!("expected a string, found {}", kind(other)),
            )),
        }
    };
    let id = text("id")?;
    let name = text("name")?;
    let Some(id) = id.clone().or_else(|| name.clone()) else {
        return Err(CompileError::new(
            path,
            doc.first_line,
            "id",
            "missing (a rule needs an id or a name)",
        ));
    };
    let tags = match get("tags") {
        None | Some(Yaml::Null) => Vec::new(),
        Some(Yaml::Sequence(items)) => items
            .iter()
            .map(|t| t.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| err("tags", "tags", "tags must be strings".into()))?,
        Some(other) => {
            return Err(err(
                "tags",
                "tags",
                format!("expected a list, found {}", kind(other)),
            ))
        }
    };
    let fields = match get("fields") {
        None | Some(Yaml::Null) => Vec::new(),
        Some(Yaml::Sequence(items)) => items
            .iter()
            .map(|f| f.as_str().map(|f| mapping.map(f).to_owned()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| err("fields", "fields", "fields must be strings".into()))?,
        Some(other) => {
            return Err(err(
                "fields",
                "fields",
                format!("expected a list, found {}", kind(other)),
            ))
        }
    };
    let meta = RuleMeta {
        name: name.unwrap_or_else(|| id.clone()),
        title: text("title")?.unwrap_or_default(),
        level: text("level")?.unwrap_or_else(|| "medium".into()),
        id,
        tags,
        fields,
        path: path.to_owned(),
        line: doc.first_line,
    };
    let suppress = match get("suppress") {
        None => None,
        Some(v) => Some(SuppressSpec::parse(v).map_err(|e| err("suppress", "suppress", e.0))?),
    };
    let ext = match get("tripline") {
        None | Some(Yaml::Null) => ExtSpec::default(),
        Some(v) => ExtSpec::parse(v).map_err(|e| err("tripline", "tripline", e.0))?,
    };
    let located = |(field, e): detection::Located| {
        CompileError::new(path, field_line(doc, &field), &field, e.0)
    };
    let kinds = ["detection", "correlation", "filter"]
        .iter()
        .filter(|k| map.contains_key(**k))
        .count();
    if kinds != 1 {
        return Err(CompileError::new(
            path,
            doc.first_line,
            "",
            if kinds == 0 {
                "a rule needs one of detection, correlation or filter".to_owned()
            } else {
                "a rule has more than one of detection, correlation, filter".to_owned()
            },
        ));
    }
    let body = if let Some(det) = get("detection") {
        DocBody::Detection(detection::compile(det, lists, mapping).map_err(located)?)
    } else if let Some(corr) = get("correlation") {
        DocBody::Correlation(
            spec::parse(corr, mapping)
                .map_err(|(f, e)| err(f.rsplit('.').next().unwrap_or("correlation"), &f, e.0))?,
        )
    } else {
        let filter = get("filter").cloned().unwrap_or(Yaml::Null);
        let Yaml::Mapping(fm) = &filter else {
            return Err(err(
                "filter",
                "filter",
                format!("expected a map, found {}", kind(&filter)),
            ));
        };
        let rules = match fm.get("rules") {
            Some(Yaml::Sequence(items)) => items
                .iter()
                .map(|t| crate::yaml::key_text(t).filter(|s| !s.is_empty()))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    err(
                        "rules",
                        "filter.rules",
                        "rule references must be strings".into(),
                    )
                })?,
            Some(Yaml::String(s)) => vec![s.clone()],
            _ => {
                return Err(err(
                    "filter",
                    "filter.rules",
                    "missing (a list of rule ids or names)".into(),
                ))
            }
        };
        let mut det = serde_norway::Mapping::new();
        for (k, v) in fm {
            if k.as_str() != Some("rules") {
                det.insert(k.clone(), v.clone());
            }
        }
        let detection = detection::compile(&Yaml::Mapping(det), lists, mapping)
            .map_err(|(f, e)| located((f.replacen("detection", "filter", 1), e)))?;
        DocBody::Filter { rules, detection }
    };
    if !ext.is_empty() && matches!(body, DocBody::Filter { .. }) {
        return Err(err(
            "tripline",
            "tripline",
            "not supported on filters".into(),
        ));
    }
    if !ext.secret_fields.is_empty() && matches!(body, DocBody::Correlation(_)) {
        return Err(err(
            "tripline",
            "tripline.secret_fields",
            "only detection rules can use secret_fields (put it on the helper rule)".into(),
        ));
    }
    Ok(RuleDoc {
        meta,
        body,
        suppress,
        ext,
    })
}

/// Best-effort line of a dotted error path such as `detection.sel.tool.version|contains`:
/// the section line, then the identifier line after it, then the field key after that.
fn field_line(doc: &Document, field: &str) -> usize {
    let mut parts = field.splitn(3, '.');
    let section = parts.next().unwrap_or("detection");
    let mut line = doc.line_of(section, doc.first_line);
    if let Some(ident) = parts.next() {
        let ident = ident.split('[').next().unwrap_or(ident);
        if let Some(l) = doc.find_line(ident, line) {
            line = l;
        }
    }
    if let Some(rest) = parts.next() {
        let key = rest
            .trim_start_matches(|c: char| c == '[' || c == ']' || c.is_ascii_digit())
            .trim_start_matches('.');
        if let Some(l) = doc.find_line(key, line) {
            line = l;
        }
    }
    line
}

/// Metadata-free map used for alert groups.
pub type Group = BTreeMap<String, tripline_event::Value>;
