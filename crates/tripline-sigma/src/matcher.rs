//! Compiled value matchers and field items (`field|mods: values`).

use aho_corasick::AhoCorasick;
use ipnet::IpNet;
use regex::Regex;
use serde_norway::Value as Yaml;
use tripline_event::Value;

use crate::error::LocalError;
use crate::lists::Lists;
use crate::modifiers::numeric::{self, CmpOp};
use crate::modifiers::regex::ReFlags;
use crate::modifiers::time::{self, TimePart};
use crate::modifiers::{cidr, encoding, expand, string, Modifier};
use crate::pattern::{SigmaStr, StrMatcher};
use crate::source::{any_item, scalar_text, FieldSource};

/// How a field reference compares the two fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefShape {
    /// equal
    Equal,
    /// field starts with the other
    Prefix,
    /// field ends with the other
    Suffix,
    /// field contains the other
    Contains,
}

/// One compiled rule value.
#[derive(Clone, Debug)]
pub enum ValueMatcher {
    /// A (wildcard) string.
    Str(StrMatcher),
    /// Several case-insensitive substrings, any of which matches (Aho-Corasick).
    AnyContains(AhoCorasick),
    /// The whole text equals a number's text (`250` matches `250` and `"250"`).
    Number(String),
    /// `true`/`false`, any case.
    Bool(bool),
    /// absent or JSON null
    Null,
    /// `|exists`
    Exists(bool),
    /// `|re`
    Regex(Regex),
    /// `|cidr`
    Cidr(IpNet),
    /// `|lt` ... `|gte`
    Compare(CmpOp, f64),
    /// `|minute` ... `|year`
    TimePart(TimePart, i64),
    /// `|fieldref`
    FieldRef(String, RefShape),
}

impl ValueMatcher {
    /// Whether the field value (`None` = absent) matches, given the whole event for
    /// field references.
    pub fn matches(&self, v: Option<&Value>, ev: &dyn FieldSource) -> bool {
        match self {
            ValueMatcher::Null => matches!(v, None | Some(Value::Null)),
            ValueMatcher::Exists(e) => v.is_some() == *e,
            _ => match v {
                None | Some(Value::Null) => false,
                Some(v) => any_item(v, &mut |item| self.matches_item(item, ev)),
            },
        }
    }

    /// Match one scalar item (used for keywords too, with a contains-shaped matcher).
    pub fn matches_item(&self, item: &Value, ev: &dyn FieldSource) -> bool {
        match self {
            ValueMatcher::Compare(op, r) => numeric::compare(item, *op, *r),
            ValueMatcher::Null | ValueMatcher::Exists(_) => false,
            _ => {
                let Some(text) = scalar_text(item) else {
                    return false;
                };
                match self {
                    ValueMatcher::Str(m) => m.is_match(&text),
                    ValueMatcher::AnyContains(ac) => {
                        if text.is_ascii() {
                            ac.is_match(text.as_ref())
                        } else {
                            ac.is_match(&text.to_lowercase())
                        }
                    }
                    ValueMatcher::Number(n) => text == n.as_str(),
                    ValueMatcher::Bool(b) => {
                        text.eq_ignore_ascii_case(if *b { "true" } else { "false" })
                    }
                    ValueMatcher::Regex(re) => re.is_match(&text),
                    ValueMatcher::Cidr(net) => cidr::contains(net, &text),
                    ValueMatcher::TimePart(p, n) => time::extract(&text, *p) == Some(*n),
                    ValueMatcher::FieldRef(other, shape) => {
                        field_ref(&text, ev.field(other), *shape)
                    }
                    ValueMatcher::Compare(..) | ValueMatcher::Null | ValueMatcher::Exists(_) => {
                        false
                    }
                }
            }
        }
    }
}

fn field_ref(text: &str, other: Option<&Value>, shape: RefShape) -> bool {
    let Some(other) = other else { return false };
    let a = text.to_lowercase();
    any_item(other, &mut |o| {
        let Some(b) = scalar_text(o) else {
            return false;
        };
        let b = b.to_lowercase();
        match shape {
            RefShape::Equal => a == b,
            RefShape::Prefix => a.starts_with(&b),
            RefShape::Suffix => a.ends_with(&b),
            RefShape::Contains => a.contains(&b),
        }
    })
}

/// A compiled `field|mods: values` item.
#[derive(Clone, Debug)]
pub struct FieldItem {
    /// The event field read (after field mapping).
    pub field: String,
    /// Alternatives per rule value; the outer list is OR (or AND with `all`).
    pub values: Vec<Vec<ValueMatcher>>,
    /// `|all`
    pub all: bool,
    /// `|neq`: the item matches when no value matches.
    pub negate: bool,
}

impl FieldItem {
    /// Evaluate on an event.
    pub fn eval(&self, ev: &dyn FieldSource) -> bool {
        let v = ev.field(&self.field);
        let one = |alts: &Vec<ValueMatcher>| alts.iter().any(|m| m.matches(v, ev));
        let hit = if self.all {
            self.values.iter().all(one)
        } else {
            self.values.iter().any(one)
        };
        hit != self.negate
    }

    /// The lowercased event names this item pins, when it is a plain case-insensitive
    /// equality on `field` (used for pre-dispatch).
    pub fn pinned_literals(&self, field: &str) -> Option<Vec<String>> {
        if self.field != field || self.negate || (self.all && self.values.len() > 1) {
            return None;
        }
        let mut out = Vec::new();
        for alts in &self.values {
            for m in alts {
                match m {
                    ValueMatcher::Str(s) => out.push(s.exact_literal()?.to_owned()),
                    _ => return None,
                }
            }
        }
        Some(out)
    }
}

/// Intermediate form of a rule value while transformation modifiers apply.
#[derive(Clone, Debug)]
enum Work {
    Str(SigmaStr),
    Bytes(Vec<u8>),
    Number(String),
    Bool(bool),
    Null,
}

impl Work {
    fn into_str(self, what: &str) -> Result<SigmaStr, LocalError> {
        match self {
            Work::Str(s) => Ok(s),
            Work::Bytes(b) => Ok(SigmaStr::literal(
                &b.iter().map(|&c| c as char).collect::<String>(),
            )),
            Work::Number(t) => Ok(SigmaStr::literal(&t)),
            Work::Bool(b) => Ok(SigmaStr::literal(if b { "true" } else { "false" })),
            Work::Null => Err(LocalError::new(format!("|{what} cannot apply to null"))),
        }
    }

    fn bytes(self, what: &str) -> Result<Vec<u8>, LocalError> {
        match self {
            Work::Bytes(b) => Ok(b),
            other => Ok(other.into_str(what)?.plain_text(what)?.into_bytes()),
        }
    }
}

fn number_text(n: &serde_norway::Number) -> (String, f64) {
    let f = n.as_f64().unwrap_or(f64::NAN);
    if let Some(i) = n.as_i64() {
        (i.to_string(), f)
    } else if let Some(u) = n.as_u64() {
        (u.to_string(), f)
    } else {
        (serde_json::Value::from(f).to_string(), f)
    }
}

/// Compile one field item. `key` is the raw `field|mod|...` key; `field` the mapped name.
pub fn compile_field_item(
    field: &str,
    mods: &[Modifier],
    value: &Yaml,
    lists: &Lists,
) -> Result<FieldItem, LocalError> {
    let raw_values: Vec<&Yaml> = match value {
        Yaml::Sequence(items) => {
            if items.is_empty() {
                return Err(LocalError::new("empty value list"));
            }
            items.iter().collect()
        }
        Yaml::Mapping(_) => return Err(LocalError::new("unsupported: a map as a field value")),
        other => vec![other],
    };
    let has = |m: Modifier| mods.contains(&m);
    let all = has(Modifier::All);
    let negate = has(Modifier::Neq);
    let cased = has(Modifier::Cased);
    if has(Modifier::Exists) {
        if mods.len() != 1 || raw_values.len() != 1 {
            return Err(LocalError::new(
                "|exists takes exactly one boolean and no other modifier",
            ));
        }
        let Yaml::Bool(b) = raw_values[0] else {
            return Err(LocalError::new("|exists needs true or false"));
        };
        return Ok(FieldItem {
            field: field.to_owned(),
            values: vec![vec![ValueMatcher::Exists(*b)]],
            all,
            negate,
        });
    }
    let mut values = Vec::with_capacity(raw_values.len());
    for raw in raw_values {
        values.push(compile_value(mods, raw, lists, cased)?);
    }
    if !all && values.len() > 1 {
        values = merge_contains(values, cased)?;
    }
    Ok(FieldItem {
        field: field.to_owned(),
        values,
        all,
        negate,
    })
}

/// Merge plain case-insensitive substrings of an OR list into one Aho-Corasick matcher.
fn merge_contains(
    values: Vec<Vec<ValueMatcher>>,
    cased: bool,
) -> Result<Vec<Vec<ValueMatcher>>, LocalError> {
    if cased {
        return Ok(values);
    }
    let needle = |alts: &Vec<ValueMatcher>| match alts.as_slice() {
        [ValueMatcher::Str(s)] => s.contains_literal().map(str::to_owned),
        _ => None,
    };
    let needles: Vec<String> = values.iter().filter_map(needle).collect();
    if needles.len() < 2 {
        return Ok(values);
    }
    let ac = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(&needles)
        .map_err(|e| LocalError::new(format!("cannot compile values: {e}")))?;
    let mut out: Vec<Vec<ValueMatcher>> =
        values.into_iter().filter(|a| needle(a).is_none()).collect();
    out.push(vec![ValueMatcher::AnyContains(ac)]);
    Ok(out)
}

fn compile_value(
    mods: &[Modifier],
    raw: &Yaml,
    lists: &Lists,
    cased: bool,
) -> Result<Vec<ValueMatcher>, LocalError> {
    use Modifier::*;
    let type_mods = mods
        .iter()
        .filter(|m| matches!(m, Re | Cidr | Compare(_) | TimePart(_) | FieldRef))
        .count();
    if type_mods > 1 {
        return Err(LocalError::new(
            "unsupported: more than one type modifier (re, cidr, lt/gt, time part, fieldref)",
        ));
    }
    // Modifiers that take the raw text.
    if mods.contains(&Re) {
        let mut flags = ReFlags::default();
        for m in mods {
            match m {
                Re | All | Neq => {}
                ReI => flags.i = true,
                ReM => flags.m = true,
                ReS => flags.s = true,
                other => {
                    return Err(LocalError::new(
                        format!("unsupported: |{other:?} combined with |re").to_lowercase(),
                    ))
                }
            }
        }
        let text = scalar_yaml_text(raw).ok_or_else(|| LocalError::new("|re needs a string"))?;
        return Ok(vec![ValueMatcher::Regex(crate::modifiers::regex::compile(
            &text, flags,
        )?)]);
    }
    if let Some(m) = mods.iter().find(|m| matches!(m, ReI | ReM | ReS)) {
        return Err(LocalError::new(format!(
            "|{} is only valid after |re",
            match m {
                ReI => "i",
                ReM => "m",
                _ => "s",
            }
        )));
    }
    if mods.contains(&Cidr) {
        let text = scalar_yaml_text(raw).ok_or_else(|| LocalError::new("|cidr needs a network"))?;
        return Ok(vec![ValueMatcher::Cidr(cidr::parse_net(&text)?)]);
    }
    if let Some(Compare(op)) = mods.iter().find(|m| matches!(m, Compare(_))) {
        let n = yaml_number(raw).ok_or_else(|| LocalError::new("|lt/lte/gt/gte need a number"))?;
        return Ok(vec![ValueMatcher::Compare(*op, n)]);
    }
    if let Some(TimePart(p)) = mods.iter().find(|m| matches!(m, TimePart(_))) {
        let n = yaml_number(raw)
            .filter(|n| n.fract() == 0.0)
            .ok_or_else(|| LocalError::new("time part modifiers need an integer"))?;
        return Ok(vec![ValueMatcher::TimePart(*p, n as i64)]);
    }
    if mods.contains(&FieldRef) {
        let text =
            scalar_yaml_text(raw).ok_or_else(|| LocalError::new("|fieldref needs a field name"))?;
        let (s, e) = (mods.contains(&StartsWith), mods.contains(&EndsWith));
        let shape = match (mods.contains(&Contains) || (s && e), s, e) {
            (true, _, _) => RefShape::Contains,
            (_, true, _) => RefShape::Prefix,
            (_, _, true) => RefShape::Suffix,
            _ => RefShape::Equal,
        };
        return Ok(vec![ValueMatcher::FieldRef(text, shape)]);
    }
    // Transformations on the value, in order.
    let mut work: Vec<Work> = match raw {
        Yaml::String(s) if mods.contains(&Expand) => expand::expand(s, lists)?
            .iter()
            .map(|v| Work::Str(SigmaStr::parse(v)))
            .collect(),
        Yaml::String(s) => vec![Work::Str(SigmaStr::parse(s))],
        Yaml::Number(n) => {
            vec![Work::Number(number_text(n).0)]
        }
        Yaml::Bool(b) => vec![Work::Bool(*b)],
        Yaml::Null => vec![Work::Null],
        other => {
            return Err(LocalError::new(format!(
                "unsupported: a {} as a value",
                crate::yaml::kind(other)
            )))
        }
    };
    for m in mods {
        let name = format!("{m:?}").to_lowercase();
        let mut next = Vec::with_capacity(work.len());
        for w in work {
            match m {
                Contains => next.push(Work::Str(w.into_str(&name)?.contains())),
                StartsWith => next.push(Work::Str(w.into_str(&name)?.startswith())),
                EndsWith => next.push(Work::Str(w.into_str(&name)?.endswith())),
                Windash => next.extend(
                    string::windash(&w.into_str(&name)?)?
                        .into_iter()
                        .map(Work::Str),
                ),
                Base64 => next.push(Work::Str(SigmaStr::literal(&encoding::base64(
                    &w.bytes(&name)?,
                )))),
                Base64Offset => next.extend(
                    encoding::base64_offsets(&w.bytes(&name)?)
                        .iter()
                        .map(|s| Work::Str(SigmaStr::literal(s))),
                ),
                Utf16Le => next.push(Work::Bytes(encoding::utf16le(
                    &w.into_str(&name)?.plain_text(&name)?,
                ))),
                Utf16Be => next.push(Work::Bytes(encoding::utf16be(
                    &w.into_str(&name)?.plain_text(&name)?,
                ))),
                Utf16 => next.push(Work::Bytes(encoding::utf16_bom(
                    &w.into_str(&name)?.plain_text(&name)?,
                ))),
                All | Neq | Cased | Expand => next.push(w),
                Exists | Re | ReI | ReM | ReS | Cidr | Compare(_) | TimePart(_) | FieldRef => {
                    next.push(w)
                }
            }
        }
        work = next;
    }
    work.into_iter()
        .map(|w| match w {
            Work::Null => Ok(ValueMatcher::Null),
            Work::Bool(b) if !cased => Ok(ValueMatcher::Bool(b)),
            Work::Number(t) if !cased => Ok(ValueMatcher::Number(t)),
            other => Ok(ValueMatcher::Str(StrMatcher::new(
                &other.into_str("cased")?,
                cased,
            )?)),
        })
        .collect()
}

fn scalar_yaml_text(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(number_text(n).0),
        _ => None,
    }
}

fn yaml_number(v: &Yaml) -> Option<f64> {
    match v {
        Yaml::Number(n) => n.as_f64(),
        Yaml::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
