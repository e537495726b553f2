//! Embeds the built-in rule pack (`rules/`) and default lists (`lists/`) into the binary, so
//! `tripline serve` runs them with no files on disk.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    let mut out = String::new();
    for (name, dir) in [("RULES", "rules"), ("LISTS", "lists")] {
        let base = root.join(dir);
        println!("cargo:rerun-if-changed={}", base.display());
        let mut files = Vec::new();
        collect(&base, &mut files);
        files.sort();
        writeln!(
            out,
            "/// Embedded `{dir}/` files: (path relative to `{dir}/`, contents)."
        )
        .unwrap();
        writeln!(out, "pub static {name}: &[(&str, &str)] = &[").unwrap();
        for f in &files {
            let rel = f.strip_prefix(&base).expect("collected under base");
            let abs = fs::canonicalize(f).expect("collected file exists");
            println!("cargo:rerun-if-changed={}", abs.display());
            writeln!(
                out,
                "    ({:?}, include_str!({:?})),",
                rel.to_string_lossy(),
                abs.display().to_string()
            )
            .unwrap();
        }
        writeln!(out, "];").unwrap();
    }
    let dest = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin.rs");
    fs::write(dest, out).expect("write builtin.rs");
}

/// Every `.yml`/`.yaml` file below `dir`, recursively.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, files);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            files.push(path);
        }
    }
}
