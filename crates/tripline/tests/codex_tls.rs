//! The real Codex CLI exporting to `tripline serve` over mTLS, with the `[otel]` exporter
//! `tls` table that `docs/config.md` documents (`ca-certificate`, `client-certificate`,
//! `client-private-key`): over OTLP/HTTPS with the docs' snippet as pasted (host, port and
//! paths replaced), and over OTLP/gRPC with TLS. The stored events carry the client
//! certificate's name as their emitter.
//!
//! Needs the tools from `bash scripts/install-test-tools.sh` (see `support::tools` for the
//! policy when they are missing).

mod support;

use std::path::Path;

use serde_json::json;
use support::certs::{Pair, Pki};
use support::codex::CodexEnv;
use support::mock_model::MockModel;
use support::query::{show, Row};
use support::serve::Serve;
use support::tools::{self, Tool};

const ANSWER: &str = "Nothing to do here.";
const EMITTER: &str = "codex-workstation-3";

/// The exporter `tls` table, as `docs/config.md` shows it.
fn tls_table(ca: &Path, client: &Pair) -> String {
    format!(
        "tls = {{ ca-certificate = {:?}, client-certificate = {:?}, client-private-key = {:?} }}",
        ca.display().to_string(),
        client.cert.display().to_string(),
        client.key.display().to_string()
    )
}

/// Runs `codex exec` once with `otel(serve, pki)` as its `[otel]` table against a `tripline
/// serve` that requires client certificates from `pki`, and checks that logs, spans and
/// metrics arrive under the name of the client certificate (CN [`EMITTER`]).
fn codex_over_mtls(test: &str, otel: impl FnOnce(&Serve, &Pki) -> String) {
    let Some(found) = tools::require(test, &[Tool::Codex, Tool::Python3, Tool::Git]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "tripline");
    let server = pki.server();
    let config = dir.path().join("tripline.toml");
    std::fs::write(
        &config,
        format!(
            "[tls]\ncert = {:?}\nkey = {:?}\nclient_ca = {:?}\n",
            server.cert.display().to_string(),
            server.key.display().to_string(),
            pki.ca_pem().display().to_string()
        ),
    )
    .unwrap();
    let serve = Serve::start_with(&["--config", config.to_str().unwrap()]);
    let script = json!({"steps": [{"type": "text", "text": ANSWER}]});
    let mock = MockModel::start(found.path(Tool::Python3), &script);
    let otel_toml = otel(&serve, &pki);
    let env = CodexEnv::new(found.path(Tool::Git), &mock.base_url(), &otel_toml);
    let out = env.exec(found.path(Tool::Codex), &[], "say something");
    let context = || {
        format!(
            "--- codex stdout ---\n{}\n--- codex stderr ---\n{}\n--- config.toml ---\n{}\n{}",
            out.stdout,
            out.stderr,
            env.config_text(),
            serve.log_text()
        )
    };
    assert!(out.status.success(), "codex exec failed\n{}", context());
    assert!(out.stdout.contains(ANSWER), "{}", context());

    let rows = serve.wait_rows(
        "Codex's logs, spans and metrics over mTLS",
        "SELECT signal, emitter, count(*) AS n FROM events GROUP BY signal, emitter",
        |rows: &[Row]| {
            let has = |s: &str| rows.iter().any(|r| r["signal"] == s);
            if has("log") && has("span") && has("metric") {
                Ok(())
            } else {
                Err("not every signal arrived".into())
            }
        },
    );
    assert!(
        rows.iter().all(|r| r["emitter"] == EMITTER),
        "every event is named by the client certificate: {}\n{}",
        show(&rows),
        context()
    );
    assert!(serve.stop().success());
}

#[test]
fn codex_over_https_with_client_certificate_as_documented() {
    let snippet = support::docs::toml_snippet("docs/config.md", "codex-tls-config");
    let documented = "tripline.example.internal:4318";
    assert_eq!(snippet.matches(documented).count(), 3, "{snippet}");
    codex_over_mtls(
        "codex_over_https_with_client_certificate_as_documented",
        |serve, pki| {
            let client = pki.client(EMITTER);
            snippet
                .replace(documented, serve.http_addr())
                .replace(
                    "/etc/codex/tripline-ca.pem",
                    &pki.ca_pem().display().to_string(),
                )
                .replace(
                    "/etc/codex/laptop-key.pem",
                    &client.key.display().to_string(),
                )
                .replace("/etc/codex/laptop.pem", &client.cert.display().to_string())
        },
    );
}

#[test]
fn codex_over_grpc_with_tls_and_client_certificate() {
    codex_over_mtls(
        "codex_over_grpc_with_tls_and_client_certificate",
        |serve, pki| {
            let tls = tls_table(&pki.ca_pem(), &pki.client(EMITTER));
            let port = serve.grpc_addr().rsplit(':').next().unwrap().to_string();
            let exporter =
                format!("{{ otlp-grpc = {{ endpoint = \"https://127.0.0.1:{port}\", {tls} }} }}");
            format!(
            "[otel]\nenvironment = \"tripline-test\"\nexporter = {exporter}\ntrace_exporter = {exporter}\nmetrics_exporter = {exporter}\n"
        )
        },
    );
}
