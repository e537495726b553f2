//! `tripline lists import-mcp`: turn an MCP server's `tools/list` answer into `mcp:` entries
//! of `lists/tools.yml`, classified from the tools' annotations (`readOnlyHint`,
//! `destructiveHint`) by the same rule the enrichment stage applies.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use serde_norway::Value as Yaml;

use crate::pipeline::enrich::tools::annotations_class;

/// Arguments of `lists import-mcp`.
#[derive(clap::Args)]
pub struct ImportMcpArgs {
    /// The MCP server's name as Codex reports it (`mcp_server`; `tool_namespace` is mcp__NAME).
    pub server: String,
    /// A `tools/list` JSON-RPC response, or its `result` object ({"tools": [...]}).
    pub file: PathBuf,
}

/// Print the `mcp:` entries for every tool of the server, for review and merging into
/// `lists/tools.yml`.
pub fn run(args: ImportMcpArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    print!(
        "{}",
        entries(&args.server, &text).with_context(|| format!("{}", args.file.display()))?
    );
    Ok(crate::exit::ok())
}

/// The YAML text of the `mcp:` entries for `text` (a `tools/list` answer).
fn entries(server: &str, text: &str) -> anyhow::Result<String> {
    let doc: Yaml = serde_norway::from_str(text).context("not JSON")?;
    let result = doc.get("result").unwrap_or(&doc);
    let Some(tools) = result.get("tools").and_then(Yaml::as_sequence) else {
        bail!("no `tools` array (expected a tools/list response or its result)");
    };
    let mut out = format!("# MCP server {server}: {} tool(s) from tools/list. Review, then merge under `mcp:` in lists/tools.yml.\nmcp:\n", tools.len());
    for (i, tool) in tools.iter().enumerate() {
        let Some(name) = tool.get("name").and_then(Yaml::as_str) else {
            bail!("tools[{i}]: missing `name`");
        };
        let annotations = tool.get("annotations");
        let flag = |k: &str| annotations.and_then(|a| a.get(k)).and_then(Yaml::as_bool);
        let hints: Vec<String> = [
            "readOnlyHint",
            "destructiveHint",
            "idempotentHint",
            "openWorldHint",
        ]
        .iter()
        .filter_map(|k| flag(k).map(|v| format!("{k}: {v}")))
        .collect();
        out.push_str(&format!(
            "  - server: {}\n    tool: {}\n",
            quote(server),
            quote(name)
        ));
        if !hints.is_empty() {
            out.push_str(&format!("    annotations: {{{}}}\n", hints.join(", ")));
        }
        out.push_str(&format!("    class: {}\n", annotations_class(annotations)));
    }
    Ok(out)
}

/// A YAML double-quoted scalar.
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_annotations_and_the_spec_defaults() {
        let answer = r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[
            {"name":"delete_all_records","annotations":{"destructiveHint":true}},
            {"name":"lookup_record","annotations":{"readOnlyHint":true}},
            {"name":"upsert_record","annotations":{"destructiveHint":false,"idempotentHint":true}},
            {"name":"no_annotations"}]}}"#;
        let yaml = entries("dangerdb", answer).unwrap();
        let doc: Yaml = serde_norway::from_str(&yaml).unwrap();
        let classes: Vec<(&str, &str)> = doc["mcp"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|e| (e["tool"].as_str().unwrap(), e["class"].as_str().unwrap()))
            .collect();
        assert_eq!(
            classes,
            [
                ("delete_all_records", "destructive"),
                ("lookup_record", "read_only"),
                ("upsert_record", "state_changing"),
                ("no_annotations", "destructive"),
            ]
        );
        assert_eq!(doc["mcp"][0]["server"].as_str(), Some("dangerdb"));
    }

    #[test]
    fn a_file_without_tools_is_an_error() {
        assert!(entries("s", r#"{"result":{}}"#).is_err());
    }
}
