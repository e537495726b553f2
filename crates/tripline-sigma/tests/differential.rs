//! Differential test against pySigma 1.5.1 + pySigma-backend-sqlite 2.0.0 (the oracle):
//! a seeded generator writes thousands of (rule, events) cases, ONE python process
//! evaluates them all (tests/oracle/oracle_sqlite.py), and every answer must agree.
//!
//! Python: `$TRIPLINE_TOOLS/venv/bin/python` (default `<workspace>/.tools/venv/bin/python`).
//! Without it the test prints "skipped: ..." unless `TRIPLINE_REQUIRE_TOOLS=1`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Value as Json};
use tripline_event::Event;
use tripline_sigma::{Engine, EngineOptions, Lists, RuleSource};

const RULES: usize = 2500;
const EVENTS: usize = 160;

/// splitmix64: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }
}

const TOOLS: &[&str] = &[
    "shell",
    "Shell",
    "SHELL",
    "apply_patch",
    "web_search",
    "read_file",
    "shell_exec",
];
const DECISIONS: &[&str] = &[
    "approved",
    "denied",
    "Denied",
    "approved_for_session",
    "abort",
    "",
];
const WORDS: &[&str] = &[
    "please",
    "run",
    "curl",
    "evil.example",
    "rm -rf /",
    "ssh",
    "key",
    "IGNORE",
    "previous",
    "instructions",
    "100%",
    "under_score",
    "C:\\Windows\\System32",
    "a*b",
    "q?",
    "-ExecutionPolicy",
    "/ExecutionPolicy",
    "\u{2013}ExecutionPolicy",
    "Bypass",
    "it's",
];
const IPS: &[&str] = &[
    "10.1.2.3",
    "10.200.0.1",
    "192.168.1.5",
    "172.16.4.4",
    "fd00::1",
    "not-an-ip",
];
const EMAILS: &[&str] = &[
    "alice@corp.example",
    "Admin.Ops@corp.example",
    "root@corp.example",
    "bob@other.example",
];
const FIELDS: &[&str] = &[
    "tool_name",
    "decision",
    "prompt",
    "duration_ms",
    "success",
    "client_ip",
    "user_email",
    "blob",
];

fn base64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

fn sentence(r: &mut Rng) -> String {
    let n = 1 + r.below(4);
    (0..n).map(|_| *r.pick(WORDS)).collect::<Vec<_>>().join(" ")
}

fn event(r: &mut Rng, all: bool) -> serde_json::Map<String, Json> {
    let tool = json!(r.pick(TOOLS));
    let decision = if r.chance(10) {
        Json::Null
    } else {
        json!(r.pick(DECISIONS))
    };
    let prompt = json!(sentence(r));
    let duration = match r.below(4) {
        0 => json!(r.below(3000)),
        1 => json!(r.below(3000).to_string()),
        2 => json!(250),
        _ => json!("n/a"),
    };
    let success = match r.below(3) {
        0 => json!(r.chance(50)),
        1 => json!(if r.chance(50) { "TRUE" } else { "false" }),
        _ => json!("yes"),
    };
    let ip = json!(r.pick(IPS));
    let email = json!(r.pick(EMAILS));
    let prefix = &"ab"[..r.below(3)];
    let blob = json!(format!("xx{}", base64(&format!("{prefix}{}", sentence(r)))));
    let fields = [
        ("tool_name", tool),
        ("decision", decision),
        ("prompt", prompt),
        ("duration_ms", duration),
        ("success", success),
        ("client_ip", ip),
        ("user_email", email),
        ("blob", blob),
    ];
    let mut m = serde_json::Map::new();
    for (k, v) in fields {
        if all || r.chance(80) {
            m.insert(k.into(), v);
        }
    }
    m
}

/// A rule value with optional wildcards, drawn from the event vocabulary.
fn str_value(r: &mut Rng, field: &str) -> String {
    let base = match field {
        "tool_name" => r.pick(TOOLS).to_string(),
        "decision" => r.pick(DECISIONS).to_string(),
        "user_email" => r.pick(EMAILS).to_string(),
        "client_ip" => r.pick(IPS).to_string(),
        _ => r.pick(WORDS).to_string(),
    };
    let escaped = base
        .replace('\\', "\\\\")
        .replace('*', "\\*")
        .replace('?', "\\?");
    match r.below(8) {
        0 if escaped.len() > 2 && escaped.is_char_boundary(2) => format!("{}*", &escaped[..2]),
        1 if escaped.len() > 2 && escaped.is_char_boundary(1) => format!("*{}", &escaped[1..]),
        2 if escaped.len() > 2 && escaped.is_char_boundary(1) => format!("?{}", &escaped[1..]),
        _ => escaped,
    }
}

fn yaml_str(s: impl AsRef<str>) -> String {
    format!("'{}'", s.as_ref().replace('\'', "''"))
}

fn field_item(r: &mut Rng) -> String {
    let field = *r.pick(FIELDS);
    match r.below(16) {
        0 => format!("{field}|contains: {}", yaml_str(str_value(r, field))),
        1 => format!("{field}|startswith: {}", yaml_str(str_value(r, field))),
        2 => format!("{field}|endswith: {}", yaml_str(str_value(r, field))),
        3 => format!(
            "prompt|contains|all:\n            - {}\n            - {}",
            yaml_str(r.pick(WORDS)),
            yaml_str(r.pick(WORDS))
        ),
        4 => format!(
            "{field}:\n            - {}\n            - {}",
            yaml_str(str_value(r, field)),
            yaml_str(str_value(r, field))
        ),
        5 => format!(
            "duration_ms|{}: {}",
            r.pick(&["gt", "gte", "lt", "lte"]),
            r.below(3000)
        ),
        6 => format!("{field}|exists: {}", r.chance(50)),
        7 => format!(
            "client_ip|cidr: {}",
            yaml_str(r.pick(&["10.0.0.0/8", "192.168.0.0/16", "172.16.4.0/24"]))
        ),
        8 => format!(
            "prompt|re: {}",
            yaml_str(r.pick(&[
                "^please",
                "curl.*example",
                "ssh|key",
                "[0-9]+%",
                "I[a-z]+E",
                "^[a-z ]+$"
            ]))
        ),
        9 => format!(
            "blob|base64offset|contains: {}",
            yaml_str(r.pick(&["curl", "ssh key", "rm -rf", "please run"]))
        ),
        10 => format!("prompt|windash|contains: {}", yaml_str("-ExecutionPolicy")),
        11 => format!("success: {}", r.chance(50)),
        12 => format!("duration_ms: {}", r.pick(&[250, 1500, 0])),
        13 => format!("{field}: null"),
        14 => format!("{field}|cased: {}", yaml_str(r.pick(TOOLS))),
        _ => format!("{field}: {}", yaml_str(str_value(r, field))),
    }
}

fn condition(r: &mut Rng, names: &[String], depth: usize) -> String {
    if depth == 0 || r.chance(35) {
        let n = r.pick(names).clone();
        return if r.chance(20) { format!("not {n}") } else { n };
    }
    match r.below(5) {
        0 => format!(
            "{} and {}",
            condition(r, names, depth - 1),
            condition(r, names, depth - 1)
        ),
        1 => format!(
            "{} or {}",
            condition(r, names, depth - 1),
            condition(r, names, depth - 1)
        ),
        2 => format!(
            "({}) and not {}",
            condition(r, names, depth - 1),
            r.pick(names)
        ),
        3 => "1 of sel*".into(),
        _ => "all of them".into(),
    }
}

fn rule(r: &mut Rng, i: usize) -> (String, String) {
    let id = format!("00000000-0000-4000-8000-{i:012}");
    let n = 1 + r.below(3);
    let names: Vec<String> = (0..n).map(|k| format!("sel{k}")).collect();
    let mut y = format!("title: diff {i}\nid: {id}\nname: diff_{i}\nlogsource:\n    product: ai_agent\ndetection:\n");
    for name in &names {
        y.push_str(&format!("    {name}:\n"));
        let items = 1 + r.below(2);
        let mut used = Vec::new();
        for _ in 0..items {
            let item = field_item(r);
            let key = item.split(':').next().unwrap_or_default().to_owned();
            if used.contains(&key) {
                continue;
            }
            used.push(key);
            y.push_str(&format!("        {item}\n"));
        }
    }
    y.push_str(&format!(
        "    condition: {}\nlevel: low\n",
        condition(r, &names, 2)
    ));
    (id, y)
}

fn python() -> PathBuf {
    let tools = std::env::var("TRIPLINE_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools"));
    tools.join("venv/bin/python")
}

#[test]
fn engine_agrees_with_pysigma_sqlite() {
    let py = python();
    let have_oracle = py.exists()
        && Command::new(&py)
            .args(["-c", "import sigma.backends.sqlite, yaml"])
            .output()
            .is_ok_and(|o| o.status.success());
    if !have_oracle {
        let msg = format!("{} with pySigma==1.5.1 and pySigma-backend-sqlite==2.0.0 (scripts/install-test-tools.sh)", py.display());
        if std::env::var("TRIPLINE_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
            panic!("TRIPLINE_REQUIRE_TOOLS=1 but the oracle is missing: need {msg}");
        }
        println!("skipped: oracle not installed: need {msg}");
        return;
    }
    let mut r = Rng(0x7219_11ee);
    let events: Vec<serde_json::Map<String, Json>> =
        (0..EVENTS).map(|i| event(&mut r, i == 0)).collect();
    let rules: Vec<(String, String)> = (0..RULES).map(|i| rule(&mut r, i)).collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let rules_json: Vec<Json> = rules
        .iter()
        .map(|(id, y)| json!({"id": id, "yaml": y}))
        .collect();
    std::fs::write(
        dir.path().join("rules.json"),
        serde_json::to_vec(&rules_json).expect("json"),
    )
    .expect("write rules");
    let lines: Vec<String> = events
        .iter()
        .map(|e| Json::Object(e.clone()).to_string())
        .collect();
    std::fs::write(dir.path().join("events.jsonl"), lines.join("\n")).expect("write events");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/oracle_sqlite.py");
    let out = Command::new(&py)
        .arg(&script)
        .arg(dir.path())
        .output()
        .expect("run oracle");
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Json = serde_json::from_slice(&out.stdout).expect("oracle output");
    let oracle: BTreeMap<String, Vec<u64>> =
        serde_json::from_value(answer["results"].clone()).expect("results");
    let unsupported = answer["unsupported"]
        .as_object()
        .cloned()
        .unwrap_or_default();

    let evs: Vec<Event> = events.into_iter().map(Event::from_json_object).collect();
    let mut mismatches = Vec::new();
    let mut compared = 0usize;
    for (id, y) in &rules {
        let Some(want) = oracle.get(id) else { continue };
        let src = [RuleSource {
            path: format!("{id}.yml"),
            text: y.clone(),
        }];
        let mut engine = match Engine::compile(&src, &Lists::default(), &EngineOptions::default()) {
            Ok(e) => e,
            Err(errs) => {
                mismatches.push(format!(
                    "{y}\n  engine rejects a rule the oracle accepts: {}",
                    errs[0]
                ));
                continue;
            }
        };
        let got: Vec<u64> = evs
            .iter()
            .flat_map(|e| engine.process(e))
            .flat_map(|o| o.seqs)
            .collect();
        compared += 1;
        if &got != want {
            let only_engine: Vec<u64> = got.iter().filter(|x| !want.contains(x)).copied().collect();
            let only_oracle: Vec<u64> = want.iter().filter(|x| !got.contains(x)).copied().collect();
            let ex = only_engine
                .first()
                .or(only_oracle.first())
                .map(|i| lines[*i as usize].clone())
                .unwrap_or_default();
            mismatches.push(format!(
                "{y}  only engine: {only_engine:?}\n  only oracle: {only_oracle:?}\n  e.g. {ex}"
            ));
        }
    }
    println!(
        "differential: {compared} rules x {EVENTS} events compared, {} unsupported by the oracle",
        unsupported.len()
    );
    assert!(
        compared * 10 >= RULES * 8,
        "too few rules compared ({compared}); unsupported e.g. {:?}",
        unsupported.iter().next()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {compared} rules disagree with the oracle; first ones:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(6)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n---\n")
    );
}
