//! Config snippets the documentation shows, read from the files themselves so tests run
//! exactly what a user would paste.

use super::tools;

/// The body of the single ```toml fence between `<!-- NAME:begin -->` and
/// `<!-- NAME:end -->` in `file` (relative to the workspace root).
pub fn toml_snippet(file: &str, name: &str) -> String {
    snippet(file, name, "toml")
}

/// The body of the single fence of language `lang` (```` ```sh ````, ```` ```json ````,
/// ...) between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in `file`.
pub fn snippet(file: &str, name: &str, lang: &str) -> String {
    let path = tools::workspace_root().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let begin = format!("<!-- {name}:begin -->");
    let end = format!("<!-- {name}:end -->");
    let start = text
        .find(&begin)
        .unwrap_or_else(|| panic!("{file} lacks {begin}"))
        + begin.len();
    let len = text[start..]
        .find(&end)
        .unwrap_or_else(|| panic!("{file} lacks {end} after {begin}"));
    let block = text[start..start + len].trim();
    let body = block
        .strip_prefix(&format!("```{lang}"))
        .and_then(|b| b.strip_suffix("```"))
        .unwrap_or_else(|| {
            panic!("the {name} snippet in {file} should be one ```{lang} fence, is:\n{block}")
        });
    body.trim_start_matches('\n').to_string()
}
