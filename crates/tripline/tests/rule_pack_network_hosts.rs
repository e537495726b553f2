//! E10: Zeek records name their client by address (`id.orig_h`), not by host name. With
//! `lists/host_ips.yml` mapping the address to a host, `tripline replay` gives the Zeek
//! records that host's `host_name`, and `codex_network_session_unusual_egress` joins them
//! with the Codex session of the host. Without the mapping, or when the destination is
//! allowed, it stays quiet.

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use support::process;
use support::tools::tripline_command;

const HOST: &str = "dev-laptop-7.corp.example";
const HOST_IP: &str = "10.20.30.40";

/// A full-access Codex session on HOST at 10:00, then Zeek dns.log records from HOST_IP.
fn write_inputs(dir: &Path, queries: &[&str]) {
    let start = json!({
        "signal": "log", "event_name": "codex.conversation_starts", "conversation_id": "conv-net-1",
        "host_name": HOST, "originator": "codex-tui", "approval_policy": "never",
        "sandbox_policy": "danger-full-access", "time": "2026-11-23T10:00:00Z"
    });
    std::fs::write(dir.join("1-codex.jsonl"), format!("{start}\n")).unwrap();
    // 2026-11-23T10:01:00Z and later, as Zeek writes `ts` (epoch seconds, fractional).
    let mut zeek = String::new();
    for (i, q) in queries.iter().enumerate() {
        let line = json!({
            "ts": 1_795_428_060.25 + i as f64 * 5.0, "uid": format!("C{i}x9"), "id.orig_h": HOST_IP,
            "id.orig_p": 53_000 + i, "id.resp_h": "10.20.0.2", "id.resp_p": 53, "proto": "udp",
            "trans_id": 4000 + i, "query": q, "qclass": 1, "qclass_name": "C_INTERNET", "qtype": 1,
            "qtype_name": "A", "rcode": 0, "rcode_name": "NOERROR", "AA": false, "TC": false,
            "RD": true, "RA": true, "Z": 0, "answers": ["203.0.113.80"], "TTLs": [60.0], "rejected": false
        });
        zeek.push_str(&format!("{line}\n"));
    }
    std::fs::write(dir.join("2-zeek-dns.jsonl"), zeek).unwrap();
}

fn host_ips(dir: &Path) {
    std::fs::write(
        dir.join("host_ips.yml"),
        format!(
            "version: 1\nhosts:\n  {HOST}: [{HOST_IP}]\n  other.corp.example: [10.20.0.0/16]\n"
        ),
    )
    .unwrap();
}

/// `tripline replay --emit alerts` over `inputs`, with `lists` as an extra lists dir.
fn egress_alerts(inputs: &Path, lists: Option<&Path>) -> Vec<Value> {
    let mut cmd = tripline_command();
    cmd.args(["replay", "--emit", "alerts", "--line-format", "zeek"]);
    if let Some(l) = lists {
        cmd.arg("--lists").arg(l);
    }
    cmd.arg(inputs).current_dir(inputs);
    let out = process::run("tripline replay", &mut cmd, Duration::from_secs(120));
    out.assert_success("tripline replay");
    out.stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("alert JSON"))
        .filter(|a| {
            a.pointer("/rule/name").and_then(Value::as_str)
                == Some("codex_network_session_unusual_egress")
        })
        .collect()
}

#[test]
fn zeek_dns_joins_the_session_through_the_address_map() {
    let inputs = tempfile::tempdir().unwrap();
    let lists = tempfile::tempdir().unwrap();
    write_inputs(inputs.path(), &["github.com", "paste.evil-exfil.example"]);
    host_ips(lists.path());
    let alerts = egress_alerts(inputs.path(), Some(lists.path()));
    assert_eq!(alerts.len(), 1, "one egress alert expected: {alerts:#?}");
    let a = &alerts[0];
    assert_eq!(
        a.pointer("/group/host_name").and_then(Value::as_str),
        Some(HOST),
        "{a:#}"
    );
    let text = a.to_string();
    assert!(
        text.contains("paste.evil-exfil.example"),
        "the evidence is the unlisted query: {a:#}"
    );
}

#[test]
fn without_the_map_or_with_allowed_destinations_it_stays_quiet() {
    let inputs = tempfile::tempdir().unwrap();
    let lists = tempfile::tempdir().unwrap();
    write_inputs(inputs.path(), &["paste.evil-exfil.example"]);
    host_ips(lists.path());
    // the built-in map does not know the address: no host_name, no join
    assert!(egress_alerts(inputs.path(), None).is_empty());

    let allowed = tempfile::tempdir().unwrap();
    write_inputs(allowed.path(), &["github.com", "api.openai.com"]);
    assert!(egress_alerts(allowed.path(), Some(lists.path())).is_empty());
}
