//! YAML loading: split multi-document files, parse each document, find the line of a key.

use serde_norway::Value as Yaml;

/// One YAML document of a rule file.
#[derive(Clone, Debug)]
pub struct Document {
    /// 1-based line where the document's text starts in the file.
    pub first_line: usize,
    /// The document's text.
    pub text: String,
    /// The parsed document.
    pub value: Yaml,
}

impl Document {
    /// Best-effort 1-based file line of `key` (searched after `after_line`, a file line),
    /// falling back to the document's first line.
    pub fn line_of(&self, key: &str, after_line: usize) -> usize {
        self.find_line(key, after_line)
            .unwrap_or(self.first_line.max(after_line))
    }

    /// The 1-based file line of the first `key:` at or after file line `after_line`.
    pub fn find_line(&self, key: &str, after_line: usize) -> Option<usize> {
        let start = after_line.saturating_sub(self.first_line);
        for (i, line) in self.text.lines().enumerate().skip(start) {
            let t = line
                .trim_start()
                .trim_start_matches("- ")
                .trim_start_matches(['{', ' ']);
            let t = t.trim_start_matches(['\'', '"']);
            if let Some(rest) = t.strip_prefix(key) {
                let rest = rest.trim_start_matches(['\'', '"']);
                if rest.trim_start().starts_with(':') {
                    return Some(self.first_line + i);
                }
            }
        }
        None
    }
}

/// Split `text` into YAML documents on `---` lines and parse each. Empty documents are
/// dropped. Errors carry the file line.
pub fn load_documents(text: &str) -> Result<Vec<Document>, (usize, String)> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut first_line = 1;
    for (i, line) in text.lines().enumerate() {
        let is_sep = line.starts_with("---")
            && line[3..]
                .trim_start()
                .chars()
                .next()
                .is_none_or(|c| c == '#');
        if is_sep {
            push_doc(&mut docs, &current, first_line)?;
            current.clear();
            first_line = i + 2;
            continue;
        }
        if line.starts_with("...") && line[3..].trim().is_empty() {
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    push_doc(&mut docs, &current, first_line)?;
    Ok(docs)
}

fn push_doc(
    docs: &mut Vec<Document>,
    text: &str,
    first_line: usize,
) -> Result<(), (usize, String)> {
    if text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#')
    }) {
        return Ok(());
    }
    match serde_norway::from_str::<Yaml>(text) {
        Ok(Yaml::Null) => Ok(()),
        Ok(value) => {
            docs.push(Document {
                first_line,
                text: text.to_owned(),
                value,
            });
            Ok(())
        }
        Err(e) => {
            let line = e
                .location()
                .map(|l| first_line + l.line().saturating_sub(1))
                .unwrap_or(first_line);
            Err((line, format!("invalid YAML: {e}")))
        }
    }
}

/// A YAML scalar key as text (strings, numbers and booleans; `None` for others).
pub fn key_text(k: &Yaml) -> Option<String> {
    match k {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        Yaml::Null => Some(String::new()),
        _ => None,
    }
}

/// Short name of a YAML node's kind, for error messages.
pub fn kind(v: &Yaml) -> &'static str {
    match v {
        Yaml::Null => "null",
        Yaml::Bool(_) => "boolean",
        Yaml::Number(_) => "number",
        Yaml::String(_) => "string",
        Yaml::Sequence(_) => "list",
        Yaml::Mapping(_) => "map",
        Yaml::Tagged(_) => "tagged value",
    }
}
