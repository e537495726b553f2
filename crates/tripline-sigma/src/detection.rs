//! Compiled detections: search identifiers (field maps, lists of maps, keywords) and the
//! condition tree over them.

use serde_norway::Value as Yaml;

use crate::condition::{self, Cond};
use crate::error::LocalError;
use crate::lists::Lists;
use crate::mapping::FieldMapping;
use crate::matcher::{compile_field_item, FieldItem, ValueMatcher};
use crate::modifiers::Modifier;
use crate::pattern::{SigmaStr, StrMatcher};
use crate::source::FieldSource;
use crate::yaml::{key_text, kind};

/// One compiled search identifier.
#[derive(Clone, Debug)]
pub enum Search {
    /// all items hold (a map)
    And(Vec<FieldItem>),
    /// any of the maps holds (a list of maps)
    AnyOf(Vec<Vec<FieldItem>>),
    /// keyword search over every value of the event
    Keywords {
        /// one matcher per keyword
        words: Vec<ValueMatcher>,
        /// `|all`: every keyword must occur
        all: bool,
    },
}

impl Search {
    /// Evaluate on an event.
    pub fn eval(&self, ev: &dyn FieldSource) -> bool {
        match self {
            Search::And(items) => items.iter().all(|i| i.eval(ev)),
            Search::AnyOf(maps) => maps.iter().any(|m| m.iter().all(|i| i.eval(ev))),
            Search::Keywords { words, all } => {
                let hit = |w: &ValueMatcher| ev.any_value(&mut |v| w.matches_item(v, ev));
                if *all {
                    words.iter().all(hit)
                } else {
                    words.iter().any(hit)
                }
            }
        }
    }

    fn pinned(&self, field: &str) -> Option<Vec<String>> {
        match self {
            Search::And(items) => items.iter().find_map(|i| i.pinned_literals(field)),
            Search::AnyOf(maps) => {
                let mut out = Vec::new();
                for m in maps {
                    out.extend(m.iter().find_map(|i| i.pinned_literals(field))?);
                }
                Some(out)
            }
            Search::Keywords { .. } => None,
        }
    }
}

/// A compiled detection: identifiers plus condition.
#[derive(Clone, Debug)]
pub struct Detection {
    /// identifier names, parallel to `searches`
    pub names: Vec<String>,
    /// compiled identifiers
    pub searches: Vec<Search>,
    /// the condition (a condition list is OR-linked)
    pub cond: Cond,
}

impl Detection {
    /// Evaluate the condition on an event.
    pub fn eval(&self, ev: &dyn FieldSource) -> bool {
        self.eval_cond(&self.cond, ev, &|_| false)
    }

    /// Evaluate the condition where identifier `i` also holds when `extra(i)` does
    /// (secret matching, see `engine::dynamic`).
    pub fn eval_with(&self, ev: &dyn FieldSource, extra: &dyn Fn(usize) -> bool) -> bool {
        self.eval_cond(&self.cond, ev, extra)
    }

    /// Evaluate another condition over this detection's identifiers (dynamic levels).
    pub fn eval_cond(&self, c: &Cond, ev: &dyn FieldSource, extra: &dyn Fn(usize) -> bool) -> bool {
        c.eval_with(&|i| self.searches.get(i).is_some_and(|s| s.eval(ev)) || extra(i))
    }

    /// The event fields identifier `i` reads (empty for keyword searches).
    pub fn fields_of(&self, i: usize) -> Vec<&str> {
        match self.searches.get(i) {
            Some(Search::And(items)) => items.iter().map(|f| f.field.as_str()).collect(),
            Some(Search::AnyOf(maps)) => maps.iter().flatten().map(|f| f.field.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// Lowercased values of `field` one of which every match must carry (plain
    /// case-insensitive equality), or `None` when the rule does not pin `field`.
    pub fn pinned(&self, field: &str) -> Option<Vec<String>> {
        self.pinned_cond(&self.cond, field)
    }

    fn pinned_cond(&self, c: &Cond, field: &str) -> Option<Vec<String>> {
        match c {
            Cond::And(v) => v.iter().find_map(|c| self.pinned_cond(c, field)),
            Cond::Or(v) => {
                let mut out = Vec::new();
                for c in v {
                    out.extend(self.pinned_cond(c, field)?);
                }
                Some(out)
            }
            Cond::Not(_) => None,
            Cond::Ident(i) => self.searches.get(*i)?.pinned(field),
        }
    }
}

/// Where in the YAML a problem is: the identifier and an optional field key.
pub type Located = (String, LocalError);

/// Compile a `detection:` map. Errors carry the key path (`detection.sel.field|mod`).
pub fn compile(det: &Yaml, lists: &Lists, mapping: &FieldMapping) -> Result<Detection, Located> {
    let Yaml::Mapping(map) = det else {
        return Err((
            "detection".into(),
            LocalError::new(format!("expected a map, found {}", kind(det))),
        ));
    };
    let mut names = Vec::new();
    let mut searches = Vec::new();
    let mut cond_yaml = None;
    for (k, v) in map {
        let Some(name) = key_text(k) else {
            return Err((
                "detection".into(),
                LocalError::new("search identifiers must be strings"),
            ));
        };
        match name.as_str() {
            "condition" => cond_yaml = Some(v),
            "timeframe" => {
                return Err((
                    "detection.timeframe".into(),
                    LocalError::new(
                        "unsupported: timeframe in a detection (use a correlation rule)",
                    ),
                ))
            }
            _ => {
                let s = compile_search(v, lists, mapping).map_err(|(f, e)| {
                    (
                        if f.is_empty() {
                            format!("detection.{name}")
                        } else {
                            format!("detection.{name}.{f}")
                        },
                        e,
                    )
                })?;
                names.push(name);
                searches.push(s);
            }
        }
    }
    let Some(cond_yaml) = cond_yaml else {
        return Err(("detection.condition".into(), LocalError::new("missing")));
    };
    let texts: Vec<String> = match cond_yaml {
        Yaml::String(s) => vec![s.clone()],
        Yaml::Sequence(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                (
                    "detection.condition".to_owned(),
                    LocalError::new("condition list entries must be strings"),
                )
            })?,
        other => {
            return Err((
                "detection.condition".into(),
                LocalError::new(format!("expected a string or list, found {}", kind(other))),
            ))
        }
    };
    let mut conds = Vec::new();
    for t in &texts {
        conds.push(condition::parse(t, &names).map_err(|e| ("detection.condition".to_owned(), e))?);
    }
    let cond = if conds.len() == 1 {
        conds.remove(0)
    } else {
        Cond::Or(conds)
    };
    Ok(Detection {
        names,
        searches,
        cond,
    })
}

fn compile_search(v: &Yaml, lists: &Lists, mapping: &FieldMapping) -> Result<Search, Located> {
    match v {
        Yaml::Mapping(m) => {
            if m.len() == 1 {
                if let Some((k, val)) = m.iter().next() {
                    if key_text(k).is_some_and(|k| k.starts_with('|') || k.is_empty()) {
                        return compile_keywords(&key_text(k).unwrap_or_default(), val);
                    }
                }
            }
            Ok(Search::And(compile_map(m, lists, mapping)?))
        }
        Yaml::Sequence(items) if items.is_empty() => {
            Err((String::new(), LocalError::new("empty list")))
        }
        Yaml::Sequence(items) if items.iter().all(|i| matches!(i, Yaml::Mapping(_))) => {
            let mut maps = Vec::new();
            for (n, i) in items.iter().enumerate() {
                if let Yaml::Mapping(m) = i {
                    maps.push(
                        compile_map(m, lists, mapping)
                            .map_err(|(f, e)| (format!("[{n}].{f}"), e))?,
                    );
                }
            }
            Ok(Search::AnyOf(maps))
        }
        Yaml::Sequence(items) if items.iter().any(|i| matches!(i, Yaml::Mapping(_))) => Err((
            String::new(),
            LocalError::new("unsupported: a list mixing maps and keywords"),
        )),
        Yaml::Sequence(_) | Yaml::String(_) | Yaml::Number(_) => compile_keywords("", v),
        other => Err((
            String::new(),
            LocalError::new(format!(
                "expected a map, list or keyword, found {}",
                kind(other)
            )),
        )),
    }
}

fn compile_map(
    m: &serde_norway::Mapping,
    lists: &Lists,
    mapping: &FieldMapping,
) -> Result<Vec<FieldItem>, Located> {
    let mut items = Vec::with_capacity(m.len());
    for (k, v) in m {
        let key = key_text(k).ok_or_else(|| {
            (
                String::new(),
                LocalError::new("field names must be strings"),
            )
        })?;
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or_default();
        if field.is_empty() {
            return Err((
                key.clone(),
                LocalError::new("unsupported: keyword modifiers inside a field map"),
            ));
        }
        let mods = parts
            .map(Modifier::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| (key.clone(), e))?;
        let item = compile_field_item(mapping.map(field), &mods, v, lists)
            .map_err(|e| (key.clone(), e))?;
        items.push(item);
    }
    Ok(items)
}

fn compile_keywords(key: &str, v: &Yaml) -> Result<Search, Located> {
    let mut all = false;
    let mut cased = false;
    for m in key.split('|').filter(|m| !m.is_empty()) {
        match m {
            "all" => all = true,
            "cased" => cased = true,
            other => {
                return Err((
                    key.into(),
                    LocalError::new(format!("unsupported: keyword modifier '{other}'")),
                ))
            }
        }
    }
    let values: Vec<&Yaml> = match v {
        Yaml::Sequence(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut words = Vec::with_capacity(values.len());
    for w in values {
        let text = match w {
            Yaml::String(s) => SigmaStr::parse(s),
            Yaml::Number(n) => SigmaStr::literal(&n.to_string()),
            other => {
                return Err((
                    key.into(),
                    LocalError::new(format!("keywords must be strings, found {}", kind(other))),
                ))
            }
        };
        let m = StrMatcher::new(&text.contains(), cased).map_err(|e| (key.to_owned(), e))?;
        words.push(ValueMatcher::Str(m));
    }
    Ok(Search::Keywords { words, all })
}
