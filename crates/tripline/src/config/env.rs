//! Environment overrides, generic over the config's shape: every leaf `section.field` of the
//! TOML table can be set with `TRIPLINE_<SECTION>_<FIELD>` (upper case), parsed as the type
//! the leaf already has. New fields get an override for free.

use anyhow::{anyhow, bail};
use toml::{Table, Value};

/// The prefix of every override.
pub const PREFIX: &str = "TRIPLINE";

/// The variable for a leaf path: `["server", "http_addr"]` → `TRIPLINE_SERVER_HTTP_ADDR`.
pub fn var_name(path: &[String]) -> String {
    let mut name = String::from(PREFIX);
    for part in path {
        name.push('_');
        name.push_str(&part.to_ascii_uppercase().replace(['-', '.'], "_"));
    }
    name
}

/// Every leaf path of `table` (arrays are leaves; tables are walked).
pub fn leaf_paths(table: &Table) -> Vec<Vec<String>> {
    fn walk(table: &Table, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        for (key, value) in table {
            prefix.push(key.clone());
            match value {
                Value::Table(inner) => walk(inner, prefix, out),
                _ => out.push(prefix.clone()),
            }
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    walk(table, &mut Vec::new(), &mut out);
    out
}

/// Apply every set variable to `table`. After each one, `validate` must accept the table;
/// otherwise the error names the variable and its value.
pub fn apply(
    table: &mut Table,
    env: &dyn Fn(&str) -> Option<String>,
    validate: &dyn Fn(&Table) -> Result<(), String>,
) -> anyhow::Result<()> {
    for path in leaf_paths(table) {
        let name = var_name(&path);
        let Some(raw) = env(&name) else { continue };
        let slot = leaf_mut(table, &path)
            .ok_or_else(|| anyhow!("internal: leaf {} vanished", path.join(".")))?;
        let parsed = parse_like(slot, &raw).map_err(|e| {
            anyhow!(
                "environment variable {name}={raw:?}: {e} (sets {})",
                path.join(".")
            )
        })?;
        *slot = parsed;
        if let Err(e) = validate(table) {
            bail!(
                "environment variable {name}={raw:?}: {e} (sets {})",
                path.join(".")
            );
        }
    }
    Ok(())
}

/// The value at `path`.
fn leaf_mut<'a>(table: &'a mut Table, path: &[String]) -> Option<&'a mut Value> {
    let (last, parents) = path.split_last()?;
    let mut current = table;
    for key in parents {
        current = current.get_mut(key)?.as_table_mut()?;
    }
    current.get_mut(last)
}

/// Parse `raw` as the same TOML type as `current`.
fn parse_like(current: &Value, raw: &str) -> Result<Value, String> {
    let trimmed = raw.trim();
    match current {
        Value::String(_) => Ok(Value::String(raw.to_string())),
        Value::Integer(_) => trimmed
            .parse::<i64>()
            .map(Value::Integer)
            .map_err(|_| "expected an integer".to_string()),
        Value::Float(_) => trimmed
            .parse::<f64>()
            .map(Value::Float)
            .map_err(|_| "expected a number".to_string()),
        Value::Boolean(_) => match trimmed.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(Value::Boolean(true)),
            "false" | "0" | "no" | "off" => Ok(Value::Boolean(false)),
            _ => Err("expected true or false".to_string()),
        },
        Value::Array(_) => parse_array(trimmed),
        Value::Datetime(_) | Value::Table(_) => parse_toml_value(trimmed),
    }
}

/// A TOML array literal (`["a", "b"]`) or a comma-separated list of strings (`a,b`).
fn parse_array(raw: &str) -> Result<Value, String> {
    if raw.starts_with('[') {
        return match parse_toml_value(raw)? {
            v @ Value::Array(_) => Ok(v),
            _ => Err("expected a list".to_string()),
        };
    }
    Ok(Value::Array(
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Value::String(s.to_string()))
            .collect(),
    ))
}

/// Any TOML value written inline.
fn parse_toml_value(raw: &str) -> Result<Value, String> {
    let doc: Table = toml::from_str(&format!("v = {raw}")).map_err(|e| e.message().to_string())?;
    doc.get("v")
        .cloned()
        .ok_or_else(|| "expected a value".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn names_follow_section_and_field() {
        assert_eq!(
            var_name(&["server".into(), "http_addr".into()]),
            "TRIPLINE_SERVER_HTTP_ADDR"
        );
        let t = table("[a]\nx = 1\n[a.b]\ny = [1]\n[c]\n");
        let mut paths = leaf_paths(&t);
        paths.sort();
        assert_eq!(paths, vec![vec!["a", "b", "y"], vec!["a", "x"]]);
    }

    #[test]
    fn values_take_the_leaf_type() {
        let mut t = table("[s]\nn = 1\nb = false\nl = []\nstr = \"x\"\n");
        let env = |k: &str| match k {
            "TRIPLINE_S_N" => Some(" 42 ".to_string()),
            "TRIPLINE_S_B" => Some("yes".to_string()),
            "TRIPLINE_S_L" => Some("a, b,".to_string()),
            "TRIPLINE_S_STR" => Some("123".to_string()),
            _ => None,
        };
        apply(&mut t, &env, &|_| Ok(())).unwrap();
        assert_eq!(
            t,
            table("[s]\nn = 42\nb = true\nl = [\"a\", \"b\"]\nstr = \"123\"\n")
        );
    }

    #[test]
    fn array_literal_is_accepted() {
        let mut t = table("[s]\nl = []\n");
        apply(&mut t, &|_| Some("[\"x y\", \"z\"]".to_string()), &|_| {
            Ok(())
        })
        .unwrap();
        assert_eq!(t["s"]["l"], Value::Array(vec!["x y".into(), "z".into()]));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let mut t = table("[s]\nn = 1\n");
        let err = apply(&mut t, &|_| Some("lots".to_string()), &|_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("TRIPLINE_S_N") && err.contains("integer"),
            "{err}"
        );

        let mut t = table("[s]\nn = 1\n");
        let err = apply(&mut t, &|_| Some("5".to_string()), &|_| {
            Err("too small".into())
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("TRIPLINE_S_N=\"5\"") && err.contains("too small"),
            "{err}"
        );
    }
}
