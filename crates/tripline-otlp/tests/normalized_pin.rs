//! Pins the normalized output of every fixture body: a SHA-256 over each event's JSON (in
//! order), the rejected count and the reject message (re-pinned when the common agent layer
//! added its fields, and again when it added `api_key_in_env` from Codex's `auth.env_*`
//! flags on `codex.conversation_starts` and `codex.api_request`). The digests were first computed with the
//! normalizer as it was before the decode-speed work, so any change to a field, a value, an
//! id or the order of events shows up here. Each body is decoded with the default limits,
//! with tight limits (the rejection paths) and, for protobuf, repeated three times (repeated
//! records: the id allocator's disambiguation).
//!
//! When a change to the output is intended, the failure message prints the new table. With
//! `TRIPLINE_PIN_DUMP=<dir>` set, every variant's events are also written there as JSON
//! Lines, for diffing two versions of the code.

mod common;

use std::fmt::Write as _;
use std::path::Path;

use sha2::{Digest, Sha256};
use tripline_otlp::{decode, Decoded, Encoding, Limits, OtlpSignal};

/// (fixture, variant, digest of the decoded output).
const PINNED: &[(&str, &str, &str)] = &[
    (
        "claude/a_plain/0001_v1_logs.body",
        "default",
        "8:20e057597bd5eed866a9b54ec31d02d7c7e30fc3d1043e54afe0a191c403814f",
    ),
    (
        "claude/a_plain/0001_v1_logs.body",
        "tight",
        "0:36835a7f806431bc4a56520cdae0515ba8d712d7e81c7034a6ad69e13c629cb0",
    ),
    (
        "claude/a_plain/0001_v1_logs.body",
        "repeated3",
        "24:398f7def0ca2ec7df1f9eaa178259d8165c911f6c56e85beea50534a59497267",
    ),
    (
        "claude/a_plain/0002_v1_metrics.body",
        "default",
        "7:31e0f65057bb08ab0a47c243e0389aa1f66a8d1f9f2f271c7201d94ba0aa0fd5",
    ),
    (
        "claude/a_plain/0002_v1_metrics.body",
        "tight",
        "7:31e0f65057bb08ab0a47c243e0389aa1f66a8d1f9f2f271c7201d94ba0aa0fd5",
    ),
    (
        "claude/a_plain/0002_v1_metrics.body",
        "repeated3",
        "21:1965a715c508869a921d83c8f376057212ccc61a3290a04b9fe723c9ebb468f5",
    ),
    (
        "codex/a-baseline/0001-traces.pb",
        "default",
        "406:763caecf354031ebf298fe62ef004de655c092011fac4f74eff6003f8666417b",
    ),
    (
        "codex/a-baseline/0001-traces.pb",
        "tight",
        "387:c917849cbfc9515c1e0195144766c55b4ff1608c5fe397ac342b420504acde46",
    ),
    (
        "codex/a-baseline/0001-traces.pb",
        "repeated3",
        "1218:23c696eacd688608a8bccf8182c57c8fae61ac72b7e80f9601ff0e2dc89857da",
    ),
    (
        "codex/a-baseline/0002-metrics.pb",
        "default",
        "187:c4577b665018063cab8d2bdc0969ddd8f66fe3be00b2599d074574afddd92a0b",
    ),
    (
        "codex/a-baseline/0002-metrics.pb",
        "tight",
        "60:f12734a1aa65ddceb2a9df09cf0b0acd150e169708daeaa9d52f5599a69aa2df",
    ),
    (
        "codex/a-baseline/0002-metrics.pb",
        "repeated3",
        "561:5e1e07995af59d061aa74351a698d0a16b9fbebd310a820b64b9d27ebe40b11c",
    ),
    (
        "codex/a-baseline/0003-logs.pb",
        "default",
        "16:029bfa482c9e87490042bcac9e1958782e04338b4ab4b156d35e719efc6ef040",
    ),
    (
        "codex/a-baseline/0003-logs.pb",
        "tight",
        "13:03e3fb2e206524f65d7f2ff160198db4c6593f54829669ed3b250666e85f5b82",
    ),
    (
        "codex/a-baseline/0003-logs.pb",
        "repeated3",
        "48:d00fb3f308815b7b302d07c0564ec20cbea1c1ae97e1d6d4dc16dd98edb358c2",
    ),
    (
        "codex/e-log-user-prompt-secret/0003-logs.pb",
        "default",
        "17:d3c239a652b40d23f49e9aa38d206a558edecb7816bb9b5c7f06edfab0435193",
    ),
    (
        "codex/e-log-user-prompt-secret/0003-logs.pb",
        "tight",
        "14:8245f3552878e93be86b00ed3e09b9ca7592732d69696c1bbcf801c1c57604b8",
    ),
    (
        "codex/e-log-user-prompt-secret/0003-logs.pb",
        "repeated3",
        "51:0246c6c0664595d5341cb48856cbf2584ea73785974fddd4c0801d34e1a31455",
    ),
    (
        "codex/f4-tool-write-files-never/0001-logs.pb",
        "default",
        "18:d66424df78f24e51f1072f2d2c7e1dd5fd766c84e55729317d19d1572e6f0670",
    ),
    (
        "codex/f4-tool-write-files-never/0001-logs.pb",
        "tight",
        "12:f5846cb540a9f218356143ac67a2c2936d6f02b71c0d7741862d3afce9be732a",
    ),
    (
        "codex/f4-tool-write-files-never/0001-logs.pb",
        "repeated3",
        "54:80f6c449e010ad3d9a79d96393491ffa4d370719547b1c098d50e3f572d305c5",
    ),
    (
        "codex/f4-tool-write-files-never/0005-logs.pb",
        "default",
        "9:606d7a5eb38d48c63ae05a34416e38d60f3dc49fc2356065cde4b07fc5fee4d1",
    ),
    (
        "codex/f4-tool-write-files-never/0005-logs.pb",
        "tight",
        "8:4016e5f52a0b9e8e7865fbf46ff213cd87a3db40fe97d94a34a892820d8e0865",
    ),
    (
        "codex/f4-tool-write-files-never/0005-logs.pb",
        "repeated3",
        "27:da10f068a71b88058bfbeb53c161ab28ad3c0b22c5230ecc3790934f11e0ce04",
    ),
    (
        "codex/i-json-protocol/0001-traces.json.gz",
        "default",
        "418:f5b627a39de13d39ada6c9ef98043e8602e7372b08ccd62dd268f5cfa080bbce",
    ),
    (
        "codex/i-json-protocol/0001-traces.json.gz",
        "tight",
        "399:11aaf247603606787ce8e418c50f2aaf08a828bedcad20f61e8e9185102bfae5",
    ),
    (
        "codex/i-json-protocol/0002-metrics.json.gz",
        "default",
        "187:2afaac0618dfaea3d3d09d6e31ccf930f0026d5dd4af73a6e230dd614445a9b4",
    ),
    (
        "codex/i-json-protocol/0002-metrics.json.gz",
        "tight",
        "60:f3a1e1d74613fcb698c78683fb865534393e12f473dd18dbffc97fc01b503e0d",
    ),
    (
        "codex/i-json-protocol/0003-logs.json",
        "default",
        "16:43e4cd7d279accf06e7d51cec040161fd690b5f81e86e5b07b2003f1f5314b81",
    ),
    (
        "codex/i-json-protocol/0003-logs.json",
        "tight",
        "13:27da06c2f5d0075ec07d4f74c16043b6169b20b82e1c4e5f1d44af3f034a8aa7",
    ),
    (
        "codex/i2-grpc/0003-grpc-logs.pb",
        "default",
        "16:387fb70c8dbcfd92c65a9a146bcdec95977010196ae1a0502155eab7c8c2f2f0",
    ),
    (
        "codex/i2-grpc/0003-grpc-logs.pb",
        "tight",
        "13:7b31d7798739763b90dc0c8d5f0f56b05e4fdd67af5f4d64f9f9377a14e7ab18",
    ),
    (
        "codex/i2-grpc/0003-grpc-logs.pb",
        "repeated3",
        "48:5b450f57961c5401d3cd75508b10633869f785756c6ea5eda636f15f054e089e",
    ),
    (
        "codex/k-apply-patch/0002-logs.pb",
        "default",
        "24:5204c87f945161973d483f8990d3243012d959a95211d140d8bc6042c3e402af",
    ),
    (
        "codex/k-apply-patch/0002-logs.pb",
        "tight",
        "17:25da1c99540581c5cad717621f2c2581c12b6c7e3e576e5ab88eba09bfe94032",
    ),
    (
        "codex/k-apply-patch/0002-logs.pb",
        "repeated3",
        "72:d151a6c917660dc357ce55999f7fd278ab093508466b8e6e15f7c7eaac73dcf9",
    ),
    (
        "gemini/a_plain/0001_v1_traces.body",
        "default",
        "2:6eaffd1cb0888d5dc29499ae614059aca79ee68f753a747eb181714f6183ae99",
    ),
    (
        "gemini/a_plain/0001_v1_traces.body",
        "tight",
        "0:c5bac52ae7d4f53bad734312bc2eac982e0149a8185e6bd7f13279d4618bd393",
    ),
    (
        "gemini/a_plain/0002_v1_logs.body",
        "default",
        "14:58aebec9a64e965fe70b91e8f2923f4db718ce7ae27a82549713114f21c06293",
    ),
    (
        "gemini/a_plain/0002_v1_logs.body",
        "tight",
        "0:8e6667992a47e1c48cd10e8c16b8251b9781302e84fdc2bd3b5cf2ec7140c89a",
    ),
    (
        "gemini/a_plain/0003_v1_metrics.body",
        "default",
        "31:1fb49a824b8572f649c165ef7559f4c8278db387020186d6131a60cd488d8959",
    ),
    (
        "gemini/a_plain/0003_v1_metrics.body",
        "tight",
        "0:01bf9a04c2e415fc876db598cd251412a3a09df2db032b8d8122bdf4e6c6ea1d",
    ),
];

/// Every request body under `tests/fixtures`, relative to it, sorted.
fn bodies() -> Vec<String> {
    let root = common::fixture_path("");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.sort();
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            walk(root, &path, out);
            continue;
        }
        let name = path.to_string_lossy();
        if name.ends_with(".meta.json") || name.ends_with(".headers.json") {
            continue;
        }
        let rel = path.strip_prefix(root).expect("under the fixture root");
        out.push(rel.to_string_lossy().into_owned());
    }
}

/// The signal a fixture's file name says.
fn signal_of(rel: &str) -> OtlpSignal {
    let file = rel.rsplit('/').next().unwrap_or(rel);
    OtlpSignal::ALL
        .into_iter()
        .find(|s| file.contains(s.as_str()))
        .unwrap_or_else(|| panic!("{rel}: no signal in the file name"))
}

/// JSON when the body starts with `{`, else protobuf.
fn encoding_of(body: &[u8]) -> Encoding {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Encoding::Json,
        _ => Encoding::Protobuf,
    }
}

fn tight() -> Limits {
    Limits {
        max_depth: 2,
        max_attributes: 12,
        max_string_len: 200,
        max_array_len: 4,
    }
}

/// Write the events of one variant to `$TRIPLINE_PIN_DUMP/<fixture>.<variant>.jsonl`.
fn dump(rel: &str, variant: &str, d: &Decoded) {
    let Some(dir) = std::env::var_os("TRIPLINE_PIN_DUMP") else {
        return;
    };
    let path = Path::new(&dir).join(format!("{}.{variant}.jsonl", rel.replace('/', "+")));
    let mut text = String::new();
    for e in &d.events {
        text.push_str(&e.to_json_string());
        text.push('\n');
    }
    writeln!(text, "rejected={} {:?}", d.rejected, d.reject_message).unwrap();
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn digest(d: &Decoded) -> String {
    let mut h = Sha256::new();
    for e in &d.events {
        h.update(e.to_json_string().as_bytes());
        h.update(b"\n");
    }
    h.update(format!("rejected={}\n{:?}\n", d.rejected, d.reject_message).as_bytes());
    format!("{}:{}", d.events.len(), hex::encode(h.finalize()))
}

/// Every (fixture, variant, digest) as the code decodes them now.
fn actual() -> Vec<(String, &'static str, String)> {
    let mut out = Vec::new();
    for rel in bodies() {
        let body = common::fixture(&rel);
        let signal = signal_of(&rel);
        let encoding = encoding_of(&body);
        let mut run = |variant: &'static str, bytes: &[u8], limits: &Limits| {
            let d =
                decode(signal, encoding, bytes, limits).unwrap_or_else(|e| panic!("{rel}: {e}"));
            dump(&rel, variant, &d);
            out.push((rel.clone(), variant, digest(&d)));
        };
        run("default", &body, &Limits::default());
        run("tight", &body, &tight());
        if encoding == Encoding::Protobuf {
            run("repeated3", &body.repeat(3), &Limits::default());
        }
    }
    out
}

#[test]
fn normalized_output_of_every_fixture_is_unchanged() {
    let actual = actual();
    let pinned: Vec<(String, &str, String)> = PINNED
        .iter()
        .map(|(f, v, d)| ((*f).to_owned(), *v, (*d).to_owned()))
        .collect();
    if actual != pinned {
        let mut table = String::new();
        for (f, v, d) in &actual {
            writeln!(table, "    (\"{f}\", \"{v}\", \"{d}\"),").unwrap();
        }
        panic!("normalized output differs from the pinned digests; now:\n{table}");
    }
}
