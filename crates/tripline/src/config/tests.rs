//! Layering, error reporting and the default template.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use super::env::{leaf_paths, var_name};
use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

/// A config file in the temp dir, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn write_file(text: &str) -> TempFile {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let path = std::env::temp_dir().join(format!(
        "tripline-config-test-{}-{n}.toml",
        std::process::id()
    ));
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    TempFile(path)
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn no_file_no_env_gives_defaults() {
    let c = Config::load(None, &no_env, &Overrides::default()).unwrap();
    assert_eq!(c, Config::default());
    assert_eq!(c.server.http_addr, addr("127.0.0.1:4318"));
    assert_eq!(c.limits.max_body_bytes, 20 * 1024 * 1024);
    assert_eq!(
        c.retention.events_ttl.get(),
        Duration::from_secs(30 * 86_400)
    );
}

#[test]
fn flag_beats_env_beats_file_beats_default() {
    let file = write_file(
        "[server]\nhttp_addr = \"127.0.0.1:1001\"\ngrpc_addr = \"127.0.0.1:1002\"\n\
         [retention]\nevents_ttl = \"7d\"\n[limits]\nmax_body_bytes = 1000\n",
    );
    let env = |k: &str| match k {
        "TRIPLINE_SERVER_HTTP_ADDR" => Some("127.0.0.1:2001".to_string()),
        "TRIPLINE_RETENTION_EVENTS_TTL" => Some("12h".to_string()),
        _ => None,
    };
    let flags = Overrides {
        http: Some(addr("127.0.0.1:3001")),
        ..Overrides::default()
    };

    let c = Config::load(Some(file.path()), &env, &flags).unwrap();
    assert_eq!(c.server.http_addr, addr("127.0.0.1:3001"), "flag wins");
    assert_eq!(
        c.retention.events_ttl.get(),
        Duration::from_secs(12 * 3600),
        "env beats file"
    );
    assert_eq!(
        c.server.grpc_addr,
        addr("127.0.0.1:1002"),
        "file beats default"
    );
    assert_eq!(c.limits.max_body_bytes, 1000, "file beats default");
    assert_eq!(
        c.retention.alerts_ttl,
        RetentionSection::default().alerts_ttl,
        "default when nothing set"
    );

    let c = Config::load(Some(file.path()), &env, &Overrides::default()).unwrap();
    assert_eq!(c.server.http_addr, addr("127.0.0.1:2001"), "env beats file");

    let c = Config::load(Some(file.path()), &no_env, &Overrides::default()).unwrap();
    assert_eq!(
        c.server.http_addr,
        addr("127.0.0.1:1001"),
        "file beats default"
    );
    assert_eq!(
        c.retention.events_ttl.get(),
        Duration::from_secs(7 * 86_400)
    );
}

#[test]
fn data_and_grpc_flags_apply() {
    let flags = Overrides {
        grpc: Some(addr("0.0.0.0:9")),
        data: Some("/var/lib/tl".into()),
        http: None,
    };
    let env = |k: &str| (k == "TRIPLINE_SERVER_DATA_DIR").then(|| "/from/env".to_string());
    let c = Config::load(None, &env, &flags).unwrap();
    assert_eq!(c.server.grpc_addr, addr("0.0.0.0:9"));
    assert_eq!(c.server.data_dir, Path::new("/var/lib/tl"));
}

#[test]
fn env_overrides_every_type() {
    let env = |k: &str| {
        Some(
            match k {
                "TRIPLINE_LIMITS_MAX_DEPTH" => "8",
                "TRIPLINE_RULES_BUILTIN" => "false",
                "TRIPLINE_RULES_DIRS" => "rules/a,rules/b",
                "TRIPLINE_RAW_ENABLED" => "true",
                "TRIPLINE_PIPELINE_RETRY_AFTER" => "500ms",
                _ => return None,
            }
            .to_string(),
        )
    };
    let c = Config::load(None, &env, &Overrides::default()).unwrap();
    assert_eq!(c.limits.max_depth, 8);
    assert!(!c.rules.builtin);
    assert_eq!(
        c.rules.dirs,
        vec![PathBuf::from("rules/a"), PathBuf::from("rules/b")]
    );
    assert!(c.raw.enabled);
    assert_eq!(c.pipeline.retry_after.get(), Duration::from_millis(500));
}

#[test]
fn bad_env_value_names_the_variable() {
    for (var, value) in [
        ("TRIPLINE_LIMITS_MAX_BODY_BYTES", "big"),
        ("TRIPLINE_LIMITS_MAX_BODY_BYTES", "-1"),
        ("TRIPLINE_RETENTION_RAW_TTL", "3 days"),
        ("TRIPLINE_SERVER_HTTP_ADDR", "localhost"),
        ("TRIPLINE_RAW_ENABLED", "maybe"),
        ("TRIPLINE_STORE_SYNCHRONOUS", "sometimes"),
    ] {
        let env = |k: &str| (k == var).then(|| value.to_string());
        let err = format!(
            "{:#}",
            Config::load(None, &env, &Overrides::default()).unwrap_err()
        );
        assert!(err.contains(var), "{var}={value}: {err}");
    }
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let file =
        write_file("[server]\nhttp_addr = \"127.0.0.1:4318\"\n\n[limits]\nmax_bodybytes = 5\n");
    let err = format!(
        "{:#}",
        Config::load(Some(file.path()), &no_env, &Overrides::default()).unwrap_err()
    );
    assert!(err.contains(&file.path().display().to_string()), "{err}");
    assert!(err.contains("line 5"), "{err}");
    assert!(err.contains("max_bodybytes"), "{err}");

    let file = write_file("[nonsense]\n");
    let err = format!(
        "{:#}",
        Config::load(Some(file.path()), &no_env, &Overrides::default()).unwrap_err()
    );
    assert!(err.contains("line 1") && err.contains("nonsense"), "{err}");
}

#[test]
fn bad_file_value_names_line_and_key() {
    let err = Config::parse("[retention]\n\nraw_ttl = \"forever\"\n", "t.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("t.toml") && err.contains("line 3") && err.contains("forever"),
        "{err}"
    );
}

#[test]
fn missing_file_is_an_error_naming_it() {
    let err = format!(
        "{:#}",
        Config::load(
            Some(Path::new("/nonexistent/tl.toml")),
            &no_env,
            &Overrides::default()
        )
        .unwrap_err()
    );
    assert!(err.contains("/nonexistent/tl.toml"), "{err}");
}

#[test]
fn semantic_checks() {
    let env = |k: &str| (k == "TRIPLINE_LIMITS_MAX_BODY_BYTES").then(|| "0".to_string());
    let err = Config::load(None, &env, &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("limits.max_body_bytes"), "{err}");
}

#[test]
fn redaction_stays_opaque() {
    let c = Config::parse(
        "[redaction]\nmode = \"mask\"\n[redaction.detectors]\naws = true\n",
        "r.toml",
    )
    .unwrap();
    assert_eq!(c.redaction["mode"].as_str(), Some("mask"));
    assert_eq!(c.redaction["detectors"]["aws"].as_bool(), Some(true));
}

#[test]
fn default_template_parses_to_the_defaults() {
    assert_eq!(
        Config::parse(DEFAULT_TOML, "default.toml").unwrap(),
        Config::default()
    );
}

#[test]
fn default_template_lists_every_field_and_its_env_var() {
    let template: toml::Table = toml::from_str(DEFAULT_TOML).unwrap();
    let defaults = toml::Table::try_from(Config::default()).unwrap();
    assert_eq!(
        leaf_paths(&template),
        leaf_paths(&defaults),
        "template and Default agree on the fields"
    );
    for path in leaf_paths(&defaults) {
        let var = var_name(&path);
        assert!(
            DEFAULT_TOML.contains(&var),
            "default.toml does not mention {var}"
        );
    }
    for section in defaults.keys() {
        assert!(
            DEFAULT_TOML.contains(&format!("[{section}]")),
            "default.toml lacks [{section}]"
        );
    }
}

#[test]
fn effective_config_round_trips() {
    let mut c = Config::default();
    c.rules.dirs.push("extra".into());
    c.retention.interval = "90m".parse().unwrap();
    assert_eq!(Config::parse(&c.to_toml().unwrap(), "rt").unwrap(), c);
}

#[test]
fn auth_tokens_from_env_are_parsed_and_masked_when_printed() {
    let env =
        |k: &str| (k == "TRIPLINE_AUTH_TOKENS").then(|| "laptop=s3cret-a, ci=s3cret=b".to_string());
    let c = Config::load(None, &env, &Overrides::default()).unwrap();
    assert_eq!(
        c.auth.pairs().unwrap(),
        vec![
            ("laptop".to_string(), "s3cret-a".to_string()),
            ("ci".to_string(), "s3cret=b".to_string())
        ]
    );
    let printed = c.to_toml().unwrap();
    assert!(!printed.contains("s3cret"), "{printed}");
    assert!(printed.contains("laptop=<redacted>"), "{printed}");
}

#[test]
fn malformed_token_is_refused_without_echoing_it() {
    let file = write_file("[auth]\ntokens = [\"laptop=ok\", \"no-separator-secret\"]\n");
    let err = format!(
        "{:#}",
        Config::load(Some(file.path()), &no_env, &Overrides::default()).unwrap_err()
    );
    assert!(err.contains("auth.tokens[1]"), "{err}");
    assert!(!err.contains("no-separator-secret"), "{err}");
}

#[test]
fn listeners_follow_the_config_and_share_auth() {
    let mut c = Config::default();
    let (http, grpc) = c.listeners(false).unwrap();
    assert_eq!(http.addr, c.server.http_addr);
    assert_eq!(grpc.addr, c.server.grpc_addr);
    assert_eq!(http.max_body_bytes, 20 * 1024 * 1024);
    assert_eq!(grpc.max_message_bytes, 20 * 1024 * 1024);
    assert!(!http.auth.enabled());

    c.auth.tokens = vec!["laptop=abc".into()];
    c.auth.header = "X-Tripline-Token".into();
    let (http, grpc) = c.listeners(false).unwrap();
    assert_eq!(http.auth.verify(Some(b"abc")), Ok(Some("laptop".into())));
    assert_eq!(grpc.auth.header_name(), "x-tripline-token");
    assert!(http.auth.verify(Some(b"wrong")).is_err());
    assert_eq!(grpc.auth.failures(), 1, "one counter for both listeners");
}

#[test]
fn listeners_refuse_open_non_loopback_without_tokens() {
    let mut c = Config::default();
    c.server.http_addr = addr("0.0.0.0:4318");
    let err = c.listeners(false).unwrap_err().to_string();
    assert!(
        err.contains("0.0.0.0:4318") && err.contains("--insecure"),
        "{err}"
    );
    assert!(c.listeners(true).is_ok(), "--insecure");
    c.auth.insecure = true;
    assert!(c.listeners(false).is_ok(), "auth.insecure");
    c.auth.insecure = false;
    c.auth.tokens = vec!["ci=t0ken".into()];
    assert!(c.listeners(false).is_ok(), "tokens");
}

#[test]
fn tls_from_env_reaches_both_listeners() {
    let env = |k: &str| match k {
        "TRIPLINE_TLS_CERT" => Some("/etc/tripline/cert.pem".to_string()),
        "TRIPLINE_TLS_KEY" => Some("/etc/tripline/key.pem".to_string()),
        "TRIPLINE_TLS_CLIENT_CA" => Some("/etc/tripline/clients.pem".to_string()),
        "TRIPLINE_TLS_REQUIRE_CLIENT_CERT" => Some("false".to_string()),
        _ => None,
    };
    let c = Config::load(None, &env, &Overrides::default()).unwrap();
    let (http, grpc) = c.listeners(false).unwrap();
    let tls = http.tls.expect("TLS on");
    assert_eq!(tls.cert, PathBuf::from("/etc/tripline/cert.pem"));
    assert_eq!(tls.key, PathBuf::from("/etc/tripline/key.pem"));
    assert_eq!(
        tls.client_ca.as_deref(),
        Some(Path::new("/etc/tripline/clients.pem"))
    );
    assert!(!tls.require_client_cert);
    assert_eq!(grpc.tls, Some(tls), "one TLS setup for both listeners");
    assert_eq!(
        Config::default().listeners(false).unwrap().0.tls,
        None,
        "off by default"
    );
}

#[test]
fn half_configured_tls_is_refused() {
    for (text, expect) in [
        ("[tls]\ncert = \"c.pem\"\n", "tls.key is empty"),
        ("[tls]\nkey = \"k.pem\"\n", "tls.cert is empty"),
        (
            "[tls]\nclient_ca = \"ca.pem\"\n",
            "tls.client_ca needs tls.cert",
        ),
    ] {
        let file = write_file(text);
        let err = format!(
            "{:#}",
            Config::load(Some(file.path()), &no_env, &Overrides::default()).unwrap_err()
        );
        assert!(err.contains(expect), "{text:?}: {err}");
    }
}

#[test]
fn required_client_certificates_count_as_authentication() {
    let mut c = Config::default();
    c.server.grpc_addr = addr("0.0.0.0:4317");
    c.tls.cert = "c.pem".into();
    c.tls.key = "k.pem".into();
    let err = c.listeners(false).unwrap_err().to_string();
    assert!(
        err.contains("0.0.0.0:4317") && err.contains("mTLS"),
        "TLS alone: {err}"
    );
    c.tls.client_ca = "ca.pem".into();
    c.tls.require_client_cert = false;
    assert!(c.listeners(false).is_err(), "optional client certificates");
    c.tls.require_client_cert = true;
    assert!(c.listeners(false).is_ok(), "mTLS");
}

#[test]
fn store_synchronous_from_file_and_env() {
    use tripline_store::Synchronous;
    assert_eq!(Config::default().store.synchronous, Synchronous::Full);
    let c = Config::parse("[store]\nsynchronous = \"normal\"\n", "t.toml").unwrap();
    assert_eq!(c.store.synchronous, Synchronous::Normal);
    let env = |k: &str| (k == "TRIPLINE_STORE_SYNCHRONOUS").then(|| "off".to_string());
    let c = Config::load(None, &env, &Overrides::default()).unwrap();
    assert_eq!(c.store.synchronous, Synchronous::Off);
    let err = Config::parse("[store]\nsynchronous = \"fast\"\n", "t.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("t.toml") && err.contains("line 2") && err.contains("full"),
        "{err}"
    );
}

#[test]
fn inputs_come_from_the_file_or_the_environment() {
    let f = write_file("[[inputs]]\npath = \"/var/log/zeek/*.log\"\nformat = \"zeek\"\n");
    let c = Config::load(Some(f.path()), &no_env, &Overrides::default()).unwrap();
    assert_eq!(c.inputs.len(), 1);
    assert_eq!(c.inputs[0].format, tripline_otlp::files::LineFormat::Zeek);
    assert_eq!(c.inputs[0].poll_interval.get(), Duration::from_secs(1));

    let env = |k: &str| {
        (k == "TRIPLINE_INPUTS").then(|| {
            r#"[{path = "/x.jsonl", format = "osquery", poll_interval = "250ms"}]"#.to_string()
        })
    };
    let c = Config::load(None, &env, &Overrides::default()).unwrap();
    assert_eq!(c.inputs[0].path, "/x.jsonl");
    assert_eq!(c.inputs[0].poll_interval.get(), Duration::from_millis(250));

    let bad = write_file("[[inputs]]\npath = \"\"\nformat = \"generic\"\n");
    let err = format!(
        "{:#}",
        Config::load(Some(bad.path()), &no_env, &Overrides::default()).unwrap_err()
    );
    assert!(
        err.contains("inputs[0]") && err.contains("path is empty"),
        "{err}"
    );
}

#[test]
fn sinks_parse_from_file_and_env_and_errors_name_sink_and_field() {
    let f = write_file("[[sinks]]\nname = \"lake\"\ntype = \"file\"\nreceive = [\"alerts\", \"events\"]\ncompression = \"zstd\"\n");
    let c = Config::load(Some(f.path()), &no_env, &Overrides::default()).unwrap();
    let specs = c.sink_specs().unwrap();
    assert_eq!(specs.len(), 1);
    assert_eq!(
        specs[0].options.get("compression").and_then(|v| v.as_str()),
        Some("zstd")
    );
    assert_eq!(
        Config::parse(&c.to_toml().unwrap(), "rt").unwrap(),
        c,
        "round trip"
    );

    let env = |k: &str| {
        (k == "TRIPLINE_SINKS").then(|| "[{name = \"console\", type = \"stdout\"}]".to_string())
    };
    let c = Config::load(Some(f.path()), &env, &Overrides::default()).unwrap();
    assert_eq!(
        c.sink_specs().unwrap()[0].name,
        "console",
        "the environment replaces the list"
    );

    let bad = write_file("[[sinks]]\nname = \"siem\"\ntype = \"file\"\nmin_level = \"severe\"\n");
    let err = format!(
        "{:#}",
        Config::load(Some(bad.path()), &no_env, &Overrides::default()).unwrap_err()
    );
    assert!(
        err.contains("\"siem\"") && err.contains("min_level"),
        "{err}"
    );

    let raw = write_file(
        "[[sinks]]\nname = \"a\"\ntype = \"archive\"\nreceive = [\"raw\"]\nadmin = true\n",
    );
    let err = format!(
        "{:#}",
        Config::load(Some(raw.path()), &no_env, &Overrides::default()).unwrap_err()
    );
    assert!(err.contains("[raw] enabled"), "{err}");

    let weaker = write_file("[redaction]\nprompt = \"drop\"\n[[sinks]]\nname = \"w\"\ntype = \"stdout\"\n[sinks.redaction]\nprompt = \"hash\"\n");
    let err = format!(
        "{:#}",
        Config::load(Some(weaker.path()), &no_env, &Overrides::default()).unwrap_err()
    );
    assert!(err.contains("\"w\"") && err.contains("redaction"), "{err}");
}
