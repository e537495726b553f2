use std::time::Instant;
use aho_corasick::{AhoCorasick, AhoCorasickKind};
fn main() {
    let s = tripline_redact::SecretScanner::builtin();
    let mut text = String::new();
    let words = ["src/main.rs", "let value = self.cache.get(&key).map(|v| v.len());", "-rw-r--r--  1 dev staff   12345 Nov 23 20:01 index.ts", "{\"name\":\"demo\",\"version\":\"1.4.2\"}", "2026-11-23T20:01:02Z INFO handler request_id=0123456789abcdef status=200"];
    let mut i = 0; while text.len() < 1<<20 { text.push_str(words[i%5]); text.push('\n'); i+=1; }
    let chunks: Vec<&str> = text.as_bytes().chunks(4096).map(|c| std::str::from_utf8(c).unwrap_or("")).collect();
    let kws: Vec<String> = s.specs().iter().flat_map(|d| d.keywords.iter().map(|k| k.to_lowercase())).collect();
    let ac = AhoCorasick::builder().ascii_case_insensitive(true).kind(Some(AhoCorasickKind::DFA)).build(&kws).unwrap();
    let tw = regex::Regex::new("SK[0-9a-fA-F]{32}").unwrap();
    let set = regex::RegexSetBuilder::new(s.patterns()).size_limit(1<<30).dfa_size_limit(1<<30).build().unwrap();
    for round in 0..3 {
        let t = Instant::now(); let mut n=0; for c in &chunks { n += ac.find_overlapping_iter(*c).count(); } let a = t.elapsed();
        let t = Instant::now(); for c in &chunks { n += tw.find_iter(c).count(); } let b = t.elapsed();
        let t = Instant::now(); for c in &chunks { n += s.scan(c).len(); } let d = t.elapsed();
        let t = Instant::now(); for c in &chunks { n += set.matches(c).iter().count(); } let e = t.elapsed();
        println!("round {round}: ac {a:?} twilio {b:?} scan {d:?} regexset {e:?} ({n})");
    }
}
