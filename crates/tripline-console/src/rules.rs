//! What the console knows of the loaded rules: read from their YAML sources.

use serde::Deserialize;
use tripline_event::PATTERN_TAG_PREFIX;

/// One rule as the console shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleDoc {
    /// `name` (what alerts carry as `rule.name`), or the id when the rule has no name.
    pub name: String,
    /// `title`.
    pub title: String,
    /// `description`.
    pub description: String,
    /// `level`.
    pub level: String,
    /// `tags`.
    pub tags: Vec<String>,
    /// `falsepositives`: the tuning notes.
    pub falsepositives: Vec<String>,
    /// Where it came from (`<builtin>/rules/...` or a file path).
    pub path: String,
    /// The YAML document itself.
    pub source: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Yaml {
    name: Option<String>,
    id: Option<String>,
    title: String,
    description: String,
    level: String,
    tags: Vec<String>,
    falsepositives: Vec<String>,
}

impl RuleDoc {
    /// Every rule document of one YAML file (`---`-separated); documents that do not
    /// parse are skipped (the engine already refused to start on them).
    pub fn from_source(path: &str, text: &str) -> Vec<RuleDoc> {
        documents(text)
            .filter_map(|doc| {
                let y: Yaml = serde_norway::from_str(doc).ok()?;
                let name = y.name.or(y.id)?;
                Some(RuleDoc {
                    name,
                    title: y.title,
                    description: y.description.trim().to_owned(),
                    level: y.level,
                    tags: y.tags,
                    falsepositives: y.falsepositives,
                    path: path.to_owned(),
                    source: doc.trim().to_owned(),
                })
            })
            .collect()
    }

    /// The rule's pattern (`posture_weakened`, ...), from its `tripline.pattern.<p>` tag.
    pub fn pattern(&self) -> Option<&str> {
        self.tags
            .iter()
            .find_map(|t| t.strip_prefix(PATTERN_TAG_PREFIX))
    }
}

/// The documents of a multi-document YAML text.
fn documents(text: &str) -> impl Iterator<Item = &str> {
    let mut starts = vec![0];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" {
            starts.push(offset);
        }
        offset += line.len();
    }
    starts.push(text.len());
    let spans: Vec<(usize, usize)> = starts.windows(2).map(|w| (w[0], w[1])).collect();
    spans.into_iter().map(move |(a, b)| {
        let doc = &text[a..b];
        doc.strip_prefix("---").unwrap_or(doc)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_document_with_its_pattern() {
        let text = "title: A\nname: a\nlevel: high\ntags: [tripline.pattern.posture_weakened]\ndescription: |\n  why\n---\ntitle: B\nid: b-id\nlevel: low\n";
        let docs = RuleDoc::from_source("x.yml", text);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].name, "a");
        assert_eq!(docs[0].pattern(), Some("posture_weakened"));
        assert_eq!(docs[0].description, "why");
        assert_eq!(docs[1].name, "b-id");
        assert!(docs[1].source.starts_with("title: B"));
    }
}
