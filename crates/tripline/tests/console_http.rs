//! The web console over HTTP, against a `serve` seeded with real Codex, Claude Code and
//! Gemini CLI traffic (`tests/corpus/`): sessions and CSRF are enforced, hostile filter
//! values come back escaped without error or injection, an over-long URL is refused
//! quickly, roles gate the raw tier, and the triage lifecycle is stored with its audit
//! trail and exported to a file sink as a new alert revision.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::console::{self, encode, Client, ADMIN, ANALYST};
use support::query::{at_least, str_col};
use support::serve::Serve;
use support::wait;

const RULE: &str = "codex_sandbox_policy_weakened";

const CONFIG: &str = r#"
[[sinks]]
name = "triage"
type = "file"
receive = ["alerts"]
"#;

fn start() -> (tempfile::TempDir, Serve) {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    console::add_test_users(&data);
    let config = root.path().join("tripline.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let serve = Serve::start_in(Some(&data), &["--config", config.to_str().unwrap()]);
    console::seed(serve.http_addr());
    serve.wait_rows(
        "the posture alert",
        &format!("SELECT id FROM alerts WHERE rule_name = '{RULE}'"),
        at_least(1),
    );
    (root, serve)
}

/// The id of the posture alert of the rm -rf session, and its conversation.
fn posture_alert(serve: &Serve) -> (String, String) {
    let rows = serve.query(&format!(
        "SELECT a.id, a.conversation_id FROM alerts a WHERE a.rule_name = '{RULE}'
         AND EXISTS (SELECT 1 FROM events e WHERE e.conversation_id = a.conversation_id
                     AND e.event LIKE '%rm -rf%')"
    ));
    let row = rows
        .first()
        .expect("a posture alert whose session ran rm -rf");
    (
        str_col(row, "id").to_owned(),
        str_col(row, "conversation_id").to_owned(),
    )
}

#[test]
fn no_session_is_redirected_or_refused_and_a_wrong_csrf_token_is_refused() {
    let (_root, serve) = start();
    let anon = Client::new(serve.http_addr());
    let page = anon.get("/ui/alerts");
    assert_eq!(page.status, 303);
    assert!(page.header("location").unwrap().starts_with("/ui/login"));
    for path in [
        "/ui/sessions",
        "/ui/inventory",
        "/ui/rules",
        "/ui/health",
        "/ui/raw",
    ] {
        assert_eq!(anon.get(path).status, 303, "{path}");
    }
    let (id, _) = posture_alert(&serve);
    let triage = format!("/ui/alerts/{}/triage", encode(&id));
    let p = anon.post(&triage, &[("action", "acknowledge"), ("csrf", "x")]);
    assert_eq!(p.status, 401);

    let mut ana = Client::new(serve.http_addr());
    ana.login(ANALYST);
    let cookie = ana.cookie.clone().unwrap();
    let login = anon.post(
        "/ui/login",
        &[("name", ANALYST.0), ("password", "wrong-password-x")],
    );
    assert_eq!(login.status, 401);
    let page = ana.get(&format!("/ui/alerts/{}", encode(&id)));
    assert_eq!(page.status, 200);
    let good = page.csrf();
    for bad in ["", "0", &good[..good.len() - 1], &"f".repeat(good.len())] {
        let p = ana.post(&triage, &[("action", "acknowledge"), ("csrf", bad)]);
        assert_eq!(p.status, 403, "csrf {bad:?}");
    }
    // Another session's token is wrong too.
    let mut root = Client::new(serve.http_addr());
    root.login(ADMIN);
    let other = root.get("/ui/alerts").csrf();
    assert_ne!(other, good);
    assert_eq!(
        ana.post(&triage, &[("action", "acknowledge"), ("csrf", &other)])
            .status,
        403
    );
    assert!(
        serve.query("SELECT * FROM alert_triage").is_empty(),
        "nothing changed"
    );
    // The cookie is Secure, HttpOnly and SameSite=Strict.
    let set = Client::new(serve.http_addr());
    let p = set.post("/ui/login", &[("name", ANALYST.0), ("password", ANALYST.1)]);
    let c = p.header("set-cookie").unwrap();
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/ui"] {
        assert!(c.contains(attr), "{attr} in {c}");
    }
    // Logging out ends the session.
    let csrf = ana.get("/ui/alerts").csrf();
    assert_eq!(ana.post("/ui/logout", &[("csrf", &csrf)]).status, 303);
    assert_eq!(
        ana.get("/ui/alerts").status,
        303,
        "{cookie} no longer works"
    );
}

#[test]
fn hostile_filter_values_are_escaped_and_never_hang() {
    let (_root, serve) = start();
    let mut ana = Client::new(serve.http_addr());
    ana.login(ANALYST);
    let before = serve.query("SELECT count(*) AS n FROM alerts");
    // Long values: as long as a URL may be (64 KiB, encoded); 100 KB values go in a body below.
    let long_a = "A".repeat(60 * 1024);
    let long_tag = "<script>".repeat(40 * 1024 / 8);
    let hostile = [
        "' OR 1=1 --",
        "\"; DROP TABLE alerts; --",
        "x' UNION SELECT password_hash, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 FROM console_users --",
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "%00%ff%zz\\\u{1}",
        "?1 ?2 ?999",
        long_a.as_str(),
        long_tag.as_str(),
    ];
    for v in hostile {
        let e = encode(v);
        let alert_keys = [
            "agent", "pattern", "level", "rule", "host", "user", "from", "to", "status",
        ];
        let session_keys = ["conversation", "user", "host", "from", "to"];
        let mut paths = vec![
            format!("/ui/sessions/{e}"),
            format!("/ui/alerts/{e}"),
            format!("/ui/rules/{e}"),
            format!("/ui/health?minutes={e}"),
        ];
        if v.len() < 1024 {
            // Short values: every filter at once, and a repeated key.
            let all = |keys: &[&str]| {
                keys.iter()
                    .map(|k| format!("{k}={e}"))
                    .collect::<Vec<_>>()
                    .join("&")
            };
            paths.push(format!("/ui/alerts?{}", all(&alert_keys)));
            paths.push(format!("/ui/alerts?rule={e}&rule={e}"));
            paths.push(format!("/ui/sessions?{}", all(&session_keys)));
        } else {
            // Long values: one filter at a time (all nine would pass the URL limit).
            paths.extend(alert_keys.iter().map(|k| format!("/ui/alerts?{k}={e}")));
            paths.extend(session_keys.iter().map(|k| format!("/ui/sessions?{k}={e}")));
        }
        for path in &paths {
            let t = Instant::now();
            let page = ana.get(path);
            let label = &v[..v.len().min(40)];
            assert!(
                page.status == 200 || page.status == 404,
                "{label:?} on {}: {}",
                &path[..path.len().min(60)],
                page.status
            );
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "{label:?} took {:?}",
                t.elapsed()
            );
            for raw in ["<script>", "<img src=x", "onerror=alert(1)>"] {
                assert!(!page.body.contains(raw), "{label:?}: {raw} unescaped");
            }
            assert!(!page.body.contains("$argon2"), "{label:?}: a hash leaked");
        }
        let queue = ana.get(&format!("/ui/alerts?rule={e}"));
        assert!(
            queue.body.contains("Showing 0 of 0 alerts"),
            "{}",
            &v[..v.len().min(40)]
        );
    }
    let echoed = ana.get(&format!(
        "/ui/alerts?host={}",
        encode("<script>alert(1)</script>")
    ));
    assert!(echoed
        .body
        .contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_eq!(
        serve.query("SELECT count(*) AS n FROM alerts"),
        before,
        "alerts intact"
    );
    // Over the URL limit: refused at once, not read into a query.
    let t = Instant::now();
    let huge = ana.get(&format!("/ui/alerts?rule={}", "B".repeat(70 * 1024)));
    assert!(huge.status == 414 || huge.status == 431, "{}", huge.status);
    let huge = ana.get(&format!("/ui/alerts?rule={}", "B".repeat(1024 * 1024)));
    assert!(huge.status == 414 || huge.status == 431, "{}", huge.status);
    assert!(t.elapsed() < Duration::from_secs(10));
    // An over-long form body is refused with 413.
    let (id, _) = posture_alert(&serve);
    let csrf = ana.get("/ui/alerts").csrf();
    let big_note = "n".repeat(300 * 1024);
    let p = ana.post(
        &format!("/ui/alerts/{}/triage", encode(&id)),
        &[
            ("csrf", &csrf),
            ("action", "acknowledge"),
            ("note", &big_note),
        ],
    );
    assert_eq!(p.status, 413);
    // A 100 KB hostile note is accepted, cut, stored as text and shown escaped.
    let note = "<script>alert(1)</script>'; DROP TABLE alert_audit; --".repeat(100 * 1024 / 52);
    let p = ana.post(
        &format!("/ui/alerts/{}/triage", encode(&id)),
        &[("csrf", &csrf), ("action", "acknowledge"), ("note", &note)],
    );
    assert_eq!(p.status, 303);
    let shown = ana.get(&format!("/ui/alerts/{}", encode(&id)));
    assert!(shown.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!shown.body.contains("<script>alert"));
    let stored = serve.query(&format!(
        "SELECT note FROM alert_audit WHERE alert_id = '{id}'"
    ));
    assert_eq!(
        str_col(&stored[0], "note").chars().count(),
        4000,
        "cut to 4000 characters"
    );
    // A 100 KB login name is refused like any wrong name.
    let anon = Client::new(serve.http_addr());
    let p = anon.post(
        "/ui/login",
        &[("name", &"<x>".repeat(34 * 1024)), ("password", "p")],
    );
    assert_eq!(p.status, 401);
    assert!(!p.body.contains("<x>"));
}

#[test]
fn an_analyst_cannot_open_the_raw_tier_or_the_config_and_an_admin_can() {
    let (_root, serve) = start();
    let mut ana = Client::new(serve.http_addr());
    ana.login(ANALYST);
    assert_eq!(ana.get("/ui/raw").status, 403);
    assert_eq!(ana.get("/ui/raw?id=1").status, 403);
    assert_eq!(ana.get("/ui/config").status, 403);
    assert!(!ana.get("/ui/alerts").body.contains("href=\"/ui/raw\""));
    let mut root = Client::new(serve.http_addr());
    root.login(ADMIN);
    let raw = root.get("/ui/raw");
    assert_eq!(raw.status, 200);
    assert!(raw.body.contains("raw tier is off"), "{}", raw.body);
    let config = root.get("/ui/config");
    assert_eq!(config.status, 200);
    assert!(config.body.contains("[[sinks]]") || config.body.contains("sinks"));
}

#[test]
fn every_page_renders_the_seeded_traffic() {
    let (_root, serve) = start();
    let mut ana = Client::new(serve.http_addr());
    ana.login(ANALYST);
    let (id, conversation) = posture_alert(&serve);
    let queue = ana.get("/ui/alerts?pattern=posture_weakened");
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains(RULE));
    let table = &queue.body[queue.body.find("<table id=\"alerts\"").unwrap()..];
    assert!(table.contains(RULE));
    assert!(!table.contains("codex_api_error_burst"), "pattern filter");
    let detail = ana.get(&format!("/ui/alerts/{}", encode(&id)));
    assert!(detail.body.contains("Sigma source"));
    assert!(detail.body.contains("tripline.pattern.posture_weakened"));
    assert!(detail
        .body
        .contains(&format!("/ui/sessions/{}", encode(&conversation))));
    let timeline = ana.get(&format!("/ui/sessions/{}", encode(&conversation)));
    assert_eq!(timeline.status, 200);
    assert!(
        timeline.body.contains("rm -rf"),
        "the rm -rf tool result is in the timeline"
    );
    let sessions = ana.get("/ui/sessions");
    assert!(sessions.body.contains(&conversation));
    let inventory = ana.get("/ui/inventory");
    for agent in ["codex", "claude_code", "gemini_cli"] {
        assert!(
            inventory.body.contains(&format!("<td>{agent}</td>")),
            "{agent} in the inventory"
        );
    }
    let rules = ana.get("/ui/rules");
    assert!(rules.body.contains(RULE));
    let health = ana.get("/ui/health");
    assert_eq!(health.status, 200);
    assert!(health.body.contains("<svg"));
    assert!(health.body.contains("Events/s by agent"));
    assert_eq!(ana.get("/ui/assets/console.css").status, 200);
    assert_eq!(ana.get("/ui/assets/console.js").status, 200);
}

#[test]
fn triage_is_stored_audited_and_exported_as_a_new_revision() {
    let (_root, serve) = start();
    let mut ana = Client::new(serve.http_addr());
    ana.login(ANALYST);
    let (id, _) = posture_alert(&serve);
    let rev0: i64 = serve.query(&format!("SELECT revision FROM alerts WHERE id = '{id}'"))[0]
        ["revision"]
        .as_i64()
        .unwrap();
    let path = format!("/ui/alerts/{}", encode(&id));
    let csrf = ana.get(&path).csrf();
    let triage = format!("{path}/triage");
    assert_eq!(
        ana.post(
            &triage,
            &[
                ("csrf", &csrf),
                ("action", "acknowledge"),
                ("note", "looking")
            ]
        )
        .status,
        303
    );
    // Closing without a resolution is refused.
    assert_eq!(
        ana.post(&triage, &[("csrf", &csrf), ("action", "close")])
            .status,
        409
    );
    assert_eq!(
        ana.post(
            &triage,
            &[
                ("csrf", &csrf),
                ("action", "close"),
                ("resolution", "true_positive"),
                ("note", "ran rm -rf <b>")
            ]
        )
        .status,
        303
    );
    let shown = ana.get(&path);
    assert!(shown.body.contains("data-status=\"closed\""));
    assert!(shown.body.contains("true_positive"));
    assert!(shown.body.contains("ran rm -rf &lt;b&gt;"));
    let t = serve.query(&format!(
        "SELECT status, resolution, actor FROM alert_triage WHERE alert_id = '{id}'"
    ));
    assert_eq!(str_col(&t[0], "status"), "closed");
    assert_eq!(str_col(&t[0], "resolution"), "true_positive");
    assert_eq!(str_col(&t[0], "actor"), ANALYST.0);
    let audit = serve.query(&format!(
        "SELECT status, revision FROM alert_audit WHERE alert_id = '{id}' ORDER BY seq"
    ));
    let steps: Vec<(&str, i64)> = audit
        .iter()
        .map(|r| (str_col(r, "status"), r["revision"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        steps,
        vec![("acknowledged", rev0 + 1), ("closed", rev0 + 2)]
    );
    let stored = serve.query(&format!(
        "SELECT revision, alert FROM alerts WHERE id = '{id}'"
    ));
    assert_eq!(stored[0]["revision"].as_i64(), Some(rev0 + 2));
    let alert: serde_json::Value = serde_json::from_str(str_col(&stored[0], "alert")).unwrap();
    assert_eq!(alert["triage"]["status"], "closed");
    // The file sink got both revisions.
    let data = serve.data_dir().to_path_buf();
    serve.stop();
    let out = sink_out(&data);
    let revisions: Vec<serde_json::Value> = support::segments::records(&out)
        .into_iter()
        .filter(|r| r["id"] == id.as_str())
        .collect();
    let closed = revisions
        .iter()
        .find(|r| r["revision"].as_i64() == Some(rev0 + 2))
        .unwrap_or_else(|| panic!("revision {} exported: {revisions:?}", rev0 + 2));
    assert_eq!(closed["triage"]["status"], "closed");
    assert_eq!(closed["triage"]["resolution"], "true_positive");
    assert_eq!(closed["triage"]["by"], ANALYST.0);
    assert!(revisions
        .iter()
        .any(|r| r["triage"]["status"] == "acknowledged"));
}

/// Where the `triage` file sink writes.
fn sink_out(data: &Path) -> std::path::PathBuf {
    let dir = data.join("sinks").join("triage");
    wait::poll("the file sink directory", Duration::from_secs(10), || {
        dir.is_dir()
            .then_some(())
            .ok_or_else(|| format!("{} missing", dir.display()))
    });
    dir
}
