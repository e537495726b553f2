//! Pins the normalized output of every fixture body: a SHA-256 over each event's JSON (in
//! order), the rejected count and the reject message. The digests were computed with the
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
        "8:7d3c0b442a5827aca50a0f39f78735d1db7ca4675e99b18869e2bfc9af2cfd34",
    ),
    (
        "claude/a_plain/0001_v1_logs.body",
        "tight",
        "0:36835a7f806431bc4a56520cdae0515ba8d712d7e81c7034a6ad69e13c629cb0",
    ),
    (
        "claude/a_plain/0001_v1_logs.body",
        "repeated3",
        "24:c15311a06eb390185dbcd55b362274e47e5a4e87d646783101c2a09a015ac0a7",
    ),
    (
        "claude/a_plain/0002_v1_metrics.body",
        "default",
        "7:4dab8d11d70ef85d5d8bbd8a8aeb0f498eeb7032839d523f8a07da0bf1ac7ea0",
    ),
    (
        "claude/a_plain/0002_v1_metrics.body",
        "tight",
        "7:4dab8d11d70ef85d5d8bbd8a8aeb0f498eeb7032839d523f8a07da0bf1ac7ea0",
    ),
    (
        "claude/a_plain/0002_v1_metrics.body",
        "repeated3",
        "21:a65ab28f033a6718973b0aa9772d0806335179eab559f23e5d3e19ea1a2f6cc7",
    ),
    (
        "codex/a-baseline/0001-traces.pb",
        "default",
        "406:47fbfcd17b645fb0961c60ee86b709fe3b93e4fe2ff1663be2daabe07e6ba619",
    ),
    (
        "codex/a-baseline/0001-traces.pb",
        "tight",
        "387:73bd2af44dd6c673b6b8075f90b96739042f7913be4820810fc0dc3efc2dc1a9",
    ),
    (
        "codex/a-baseline/0001-traces.pb",
        "repeated3",
        "1218:d237fe7f81c904e6d02cbe54d53de5247f4e04ea8ce6cd1a3f32e348459b2af6",
    ),
    (
        "codex/a-baseline/0002-metrics.pb",
        "default",
        "187:b045ff7595d209d3d81ea8797ebd0e46951138180c248bd1440c6b891015d694",
    ),
    (
        "codex/a-baseline/0002-metrics.pb",
        "tight",
        "60:baede9d1ef68894d656399921af4a676d36dd551a99891b66c4c32d97043d256",
    ),
    (
        "codex/a-baseline/0002-metrics.pb",
        "repeated3",
        "561:ac0b58d43362b4a4b260212a2ef12f8ce123bd67edcdc865b7cb76587a8a5433",
    ),
    (
        "codex/a-baseline/0003-logs.pb",
        "default",
        "16:b8609d061e933f51bbe6770398e29e7cddd53f27158b406df3d387398ea66e10",
    ),
    (
        "codex/a-baseline/0003-logs.pb",
        "tight",
        "13:9298cda976f6ab5c0eabb06dabd11c7ffe3bc8dc44755410a44c8712ce29bc88",
    ),
    (
        "codex/a-baseline/0003-logs.pb",
        "repeated3",
        "48:e186635af9190ec0f07633da66e882ae5dcdf49841205d8829b243f997b15a98",
    ),
    (
        "codex/e-log-user-prompt-secret/0003-logs.pb",
        "default",
        "17:1b257d14b39b48258b223648609d9a99ea4ed3f183165eb5148ee37d87c7f15d",
    ),
    (
        "codex/e-log-user-prompt-secret/0003-logs.pb",
        "tight",
        "14:7f735dce7b92d4e209f52f6f6cc65009e9bc2e3c7f41334a20157d999f316e02",
    ),
    (
        "codex/e-log-user-prompt-secret/0003-logs.pb",
        "repeated3",
        "51:c539a592bd2d4b5755ee1d42868e1bb7ced03840694d5bfc2f43e8626b78ef2c",
    ),
    (
        "codex/f4-tool-write-files-never/0001-logs.pb",
        "default",
        "18:114933e1c0c94dfdc58fbfb2c667c51f61344c55d2b811d586def4d63d41545f",
    ),
    (
        "codex/f4-tool-write-files-never/0001-logs.pb",
        "tight",
        "12:91327455ad903366fee5f186310a89876dafadbc26709d561f38325fc1f28dff",
    ),
    (
        "codex/f4-tool-write-files-never/0001-logs.pb",
        "repeated3",
        "54:61a70bc547f6ebd395fd35c0ab8c2563abe3e8b6707e38b66967c5ae58e23379",
    ),
    (
        "codex/f4-tool-write-files-never/0005-logs.pb",
        "default",
        "9:2afb305a2e40ee64f94af55a796553f38953ab32d50eed82b1bbffcc80c019bb",
    ),
    (
        "codex/f4-tool-write-files-never/0005-logs.pb",
        "tight",
        "8:f4a7941bce636dff8bab9074dd765fc91bf3f7a0beda232012b7ba8a38bbe573",
    ),
    (
        "codex/f4-tool-write-files-never/0005-logs.pb",
        "repeated3",
        "27:804dfcb44eb8faa9ae1e3337c39b065206af2b51fb1a46b10e923ebc993376f2",
    ),
    (
        "codex/i-json-protocol/0001-traces.json.gz",
        "default",
        "418:d137d7bd0e839f42292ea48766c1640b30dd3e858dcb14dcda10a19276d83d6b",
    ),
    (
        "codex/i-json-protocol/0001-traces.json.gz",
        "tight",
        "399:5492199ad9841cf6534c806dc80f7f79aa74f43364e06c2bd1708bb23b754e77",
    ),
    (
        "codex/i-json-protocol/0002-metrics.json.gz",
        "default",
        "187:21e59ca74659045fdfe82a6c4a87e7e0f4b46428ca2fc24149cb4ab67eaf1d36",
    ),
    (
        "codex/i-json-protocol/0002-metrics.json.gz",
        "tight",
        "60:a836911890d0da0e7b72d29441ba7eb876ea2743c9650276d5dbf8ce6b179cae",
    ),
    (
        "codex/i-json-protocol/0003-logs.json",
        "default",
        "16:db6504edd2f7e25c79d9df53af1a510e4a220b8be7a97af0d235c1d80c1ffb2a",
    ),
    (
        "codex/i-json-protocol/0003-logs.json",
        "tight",
        "13:dea6fd2767d95860b886fc062fa455218811e20dae8e0dfb59673d7ba86614e3",
    ),
    (
        "codex/i2-grpc/0003-grpc-logs.pb",
        "default",
        "16:d91bbd9d3bc2eb1a1ae696f98bd05c0aa5561d486d39a8ce2c8ddca6c630bbd8",
    ),
    (
        "codex/i2-grpc/0003-grpc-logs.pb",
        "tight",
        "13:4103cf60e50a39c96e5a36de7c3982e995c3c76d9097d9229d4f667bcbf72d94",
    ),
    (
        "codex/i2-grpc/0003-grpc-logs.pb",
        "repeated3",
        "48:ada08cc72ba2fb20a0a0b92eadd6f91f18f5a2c9eac1de632255b68a19814d59",
    ),
    (
        "codex/k-apply-patch/0002-logs.pb",
        "default",
        "24:af2979800c7b2e39b83712c8800ac072f83b2b810ed2a5ee92a44c0af7a2437a",
    ),
    (
        "codex/k-apply-patch/0002-logs.pb",
        "tight",
        "17:c119d784923262c856a967467a2c10c63c465c796439e2212b335438e570e8f5",
    ),
    (
        "codex/k-apply-patch/0002-logs.pb",
        "repeated3",
        "72:dab70a4847935ec3e412e0bb07f2aea2988448b7406a618f5e5df7c61c3286e2",
    ),
    (
        "gemini/a_plain/0001_v1_traces.body",
        "default",
        "2:7aaa4ee05f57aad519374367385c0cc5beb073b8c6bcfc03619b4541d426ea84",
    ),
    (
        "gemini/a_plain/0001_v1_traces.body",
        "tight",
        "0:c5bac52ae7d4f53bad734312bc2eac982e0149a8185e6bd7f13279d4618bd393",
    ),
    (
        "gemini/a_plain/0002_v1_logs.body",
        "default",
        "14:f0f19e149e674c90d1e41ede482a440725ef9097ba96338689570d8e04f9f6a7",
    ),
    (
        "gemini/a_plain/0002_v1_logs.body",
        "tight",
        "0:8e6667992a47e1c48cd10e8c16b8251b9781302e84fdc2bd3b5cf2ec7140c89a",
    ),
    (
        "gemini/a_plain/0003_v1_metrics.body",
        "default",
        "31:d03a2459ee4556ac2b9556f3c38d9c2c2f6a521b38aa64795dd86b409d95ab1c",
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
