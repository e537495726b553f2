//! The console's routes, mounted under `/ui` by `serve`, and the checks every request
//! passes: URL length, body length, session, role and (on `POST`) CSRF.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Form, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::Markup;
use serde::Deserialize;
use tripline_event::{Resolution, Triage, TriageStatus};
use tripline_store::{AdminScope, RawStore, Store, StoreOptions, TriageOutcome};

use crate::auth::{self, Role, Viewer};
use crate::limits::{cut, MAX_BODY_BYTES, MAX_NOTE_CHARS, MAX_URL_BYTES};
use crate::pages;
use crate::query::{self, AlertFilter, SessionFilter};
use crate::Console;

type Shared = State<Arc<Console>>;
/// Query strings are read as pairs (lenient: repeated keys and bad escapes are fine).
type Pairs = Query<Vec<(String, String)>>;

/// The console's router; `serve` nests it under `/ui`.
pub fn router(console: Arc<Console>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui/alerts") }))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/alerts", get(alerts))
        .route("/alerts/{id}", get(alert))
        .route("/alerts/{id}/triage", post(triage))
        .route("/sessions", get(sessions))
        .route("/sessions/{id}", get(session))
        .route("/inventory", get(inventory))
        .route("/rules", get(rules))
        .route("/rules/{name}", get(rule))
        .route("/health", get(health))
        .route("/raw", get(raw))
        .route("/config", get(config))
        .route("/assets/console.css", get(css))
        .route("/assets/console.js", get(js))
        .route("/assets/favicon.svg", get(favicon))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(guard))
        .with_state(console)
}

/// Refuse over-long URLs before any work; add the security headers to every answer.
async fn guard(req: Request, next: Next) -> Response {
    let len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    let mut res = if len > MAX_URL_BYTES {
        (StatusCode::URI_TOO_LONG, "URL too long").into_response()
    } else {
        next.run(req).await
    };
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

/// The request's viewer, or the answer for a request without a session: a redirect to
/// the login page for `GET`, 401 otherwise.
fn viewer(
    c: &Console,
    method: &Method,
    headers: &HeaderMap,
    here: &str,
) -> Result<Viewer, Box<Response>> {
    c.sessions.viewer(headers).ok_or_else(|| {
        Box::new(if method == Method::GET {
            Redirect::to(&format!("/ui/login?next={}", query::encode(here))).into_response()
        } else {
            (StatusCode::UNAUTHORIZED, "log in first").into_response()
        })
    })
}

fn first<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

fn page(markup: Markup) -> Response {
    (StatusCode::OK, markup).into_response()
}

fn forbidden(v: &Viewer, what: &str) -> Response {
    (
        StatusCode::FORBIDDEN,
        pages::layout::error(v, "Forbidden", what),
    )
        .into_response()
}

fn failed(e: impl std::fmt::Display) -> Response {
    tracing::warn!("console: {e}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "the store could not be read",
    )
        .into_response()
}

/// Run a blocking store read on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, tripline_store::StoreError> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(failed(e)),
        Err(e) => Err(failed(e)),
    }
}

async fn css() -> Response {
    static CSS: &str = include_str!("assets/console.css");
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

async fn favicon() -> Response {
    static SVG: &str = include_str!("assets/favicon.svg");
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "max-age=86400"),
        ],
        SVG,
    )
        .into_response()
}

async fn js() -> Response {
    static JS: &str = include_str!("assets/console.js");
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        JS,
    )
        .into_response()
}

/// Only local paths under /ui are followed after login.
fn safe_next(next: &str) -> String {
    if next.starts_with("/ui/") && !next.starts_with("/ui//") && !next.contains('\\') {
        cut(next, 2048)
    } else {
        "/ui/alerts".to_owned()
    }
}

async fn login_form(Query(q): Pairs) -> Response {
    page(pages::login::form(&safe_next(first(&q, "next")), None))
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(State(c): Shared, Form(f): Form<LoginForm>) -> Response {
    let next = safe_next(&f.next);
    let name = cut(&f.name, 128);
    let console = Arc::clone(&c);
    let who = name.clone();
    let found = tokio::task::spawn_blocking(move || -> Option<Role> {
        let user = console.reader.with(|conn| {
            let store_user = conn
                .prepare_cached("SELECT role, password_hash FROM console_users WHERE name = ?1")?
                .query_row([&who], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                });
            Ok(store_user.ok())
        });
        let (role, hash) = user.ok().flatten()?;
        auth::verify_password(&f.password, &hash).then_some(())?;
        Role::parse(&role)
    })
    .await
    .ok()
    .flatten();
    match found {
        Some(role) => {
            let id = c.sessions.start(&name, role);
            tracing::info!(user = %name, role = role.as_str(), "console login");
            (
                [(header::SET_COOKIE, auth::set_cookie(&id))],
                Redirect::to(&next),
            )
                .into_response()
        }
        None => (
            StatusCode::UNAUTHORIZED,
            pages::login::form(&next, Some("Wrong name or password.")),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(State(c): Shared, headers: HeaderMap, Form(f): Form<CsrfForm>) -> Response {
    let v = match viewer(&c, &Method::POST, &headers, "") {
        Ok(v) => v,
        Err(r) => return *r,
    };
    if !auth::csrf_ok(&v, &f.csrf) {
        return forbidden(&v, "The form's CSRF token is not this session's.");
    }
    c.sessions.end(&headers);
    (
        [(header::SET_COOKIE, auth::clear_cookie())],
        Redirect::to("/ui/login"),
    )
        .into_response()
}

fn alert_filter(q: &[(String, String)]) -> AlertFilter {
    AlertFilter {
        agent: first(q, "agent").into(),
        pattern: first(q, "pattern").into(),
        level: first(q, "level").into(),
        rule: first(q, "rule").into(),
        host: first(q, "host").into(),
        user: first(q, "user").into(),
        from: first(q, "from").into(),
        to: first(q, "to").into(),
        status: first(q, "status").into(),
        conversation: first(q, "conversation").into(),
    }
    .cleaned()
}

async fn alerts(State(c): Shared, headers: HeaderMap, Query(q): Pairs) -> Response {
    let v = match viewer(&c, &Method::GET, &headers, "/ui/alerts") {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let f = alert_filter(&q);
    let (console, filter) = (Arc::clone(&c), f.clone());
    let got = blocking(move || {
        console.reader.with(|conn| {
            let (rows, total) = query::alerts(conn, &filter, &console.opts.rules)?;
            let choices = query::filter_choices(conn)?;
            Ok((rows, total, choices))
        })
    })
    .await;
    match got {
        Ok((rows, total, choices)) => page(pages::alerts::queue(
            &v,
            &f,
            &rows,
            total,
            &choices,
            &c.opts.rules,
        )),
        Err(r) => r,
    }
}

async fn alert(State(c): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let id = cut(&id, 256);
    let v = match viewer(
        &c,
        &Method::GET,
        &headers,
        &format!("/ui/alerts/{}", query::encode(&id)),
    ) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let console = Arc::clone(&c);
    let got = blocking(move || console.reader.with(|conn| query::alert(conn, &id))).await;
    match got {
        Ok(Some(detail)) => {
            let rule = c
                .opts
                .rules
                .iter()
                .find(|r| r.name == detail.alert.rule.name);
            page(pages::alerts::detail(&v, &detail, rule))
        }
        Ok(None) => (
            StatusCode::NOT_FOUND,
            pages::layout::error(&v, "Not found", "No alert has this id."),
        )
            .into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct TriageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    note: String,
}

/// The status an action moves an alert to, from `from`; `None` when not allowed.
fn next_status(from: Option<TriageStatus>, action: &str) -> Option<TriageStatus> {
    let from = from.unwrap_or(TriageStatus::New);
    match (from, action) {
        (TriageStatus::New, "acknowledge") => Some(TriageStatus::Acknowledged),
        (TriageStatus::New | TriageStatus::Acknowledged, "close") => Some(TriageStatus::Closed),
        (TriageStatus::Closed, "reopen") => Some(TriageStatus::Acknowledged),
        _ => None,
    }
}

async fn triage(
    State(c): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<TriageForm>,
) -> Response {
    let v = match viewer(&c, &Method::POST, &headers, "") {
        Ok(v) => v,
        Err(r) => return *r,
    };
    if !auth::csrf_ok(&v, &f.csrf) {
        return forbidden(&v, "The form's CSRF token is not this session's.");
    }
    let id = cut(&id, 256);
    let resolution = Resolution::parse(&f.resolution);
    let note = cut(&f.note, MAX_NOTE_CHARS);
    let console = Arc::clone(&c);
    let (who, alert_id) = (v.name.clone(), id.clone());
    let action = f.action.clone();
    let done = tokio::task::spawn_blocking(move || -> Result<Result<(), String>, String> {
        let detail = console
            .reader
            .with(|conn| query::alert(conn, &alert_id))
            .map_err(|e| e.to_string())?;
        let Some(detail) = detail else {
            return Ok(Err("No alert has this id.".into()));
        };
        let mut alert = detail.alert;
        let Some(status) = next_status(alert.triage.as_ref().map(|t| t.status), &action) else {
            return Ok(Err(format!(
                "An alert cannot be moved with {action:?} from its status."
            )));
        };
        if status == TriageStatus::Closed && resolution.is_none() {
            return Ok(Err("Closing needs a resolution.".into()));
        }
        let now = chrono::Utc::now();
        alert.revision += 1;
        alert.triage = Some(Triage {
            status,
            resolution: if status == TriageStatus::Closed {
                resolution
            } else {
                None
            },
            note,
            by: who,
            time: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        });
        let mut writer = console.writer.lock().unwrap_or_else(|e| e.into_inner());
        if writer.is_none() {
            let mut store = Store::open_existing(&console.opts.data_dir, &StoreOptions::default())
                .map_err(|e| e.to_string())?;
            store.set_outbox(console.opts.sinks);
            *writer = Some(store);
        }
        let store = writer.as_mut().expect("opened above");
        match store.record_triage(&alert, now.timestamp_millis()) {
            Ok(TriageOutcome::Stored) => Ok(Ok(())),
            Ok(TriageOutcome::Stale) => Ok(Err(
                "The alert changed meanwhile; reload and try again.".into(),
            )),
            Err(e) => {
                *writer = None;
                Err(e.to_string())
            }
        }
    })
    .await;
    match done {
        Ok(Ok(Ok(()))) => {
            tracing::info!(alert = %id, user = %v.name, action = %f.action, "console triage");
            Redirect::to(&format!("/ui/alerts/{}", query::encode(&id))).into_response()
        }
        Ok(Ok(Err(why))) => (
            StatusCode::CONFLICT,
            pages::layout::error(&v, "Not changed", &why),
        )
            .into_response(),
        Ok(Err(e)) => failed(e),
        Err(e) => failed(e),
    }
}

fn session_filter(q: &[(String, String)]) -> SessionFilter {
    SessionFilter {
        conversation: first(q, "conversation").into(),
        user: first(q, "user").into(),
        host: first(q, "host").into(),
        from: first(q, "from").into(),
        to: first(q, "to").into(),
    }
    .cleaned()
}

async fn sessions(State(c): Shared, headers: HeaderMap, Query(q): Pairs) -> Response {
    let v = match viewer(&c, &Method::GET, &headers, "/ui/sessions") {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let f = session_filter(&q);
    let (console, filter) = (Arc::clone(&c), f.clone());
    match blocking(move || console.reader.with(|conn| query::sessions(conn, &filter))).await {
        Ok(rows) => page(pages::sessions::list(&v, &f, &rows)),
        Err(r) => r,
    }
}

async fn session(State(c): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let id = cut(&id, 256);
    let v = match viewer(
        &c,
        &Method::GET,
        &headers,
        &format!("/ui/sessions/{}", query::encode(&id)),
    ) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let (console, conv) = (Arc::clone(&c), id.clone());
    match blocking(move || console.reader.with(|conn| query::timeline(conn, &conv))).await {
        Ok(t) => page(pages::sessions::timeline(&v, &id, &t)),
        Err(r) => r,
    }
}

async fn inventory(State(c): Shared, headers: HeaderMap) -> Response {
    let v = match viewer(&c, &Method::GET, &headers, "/ui/inventory") {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let console = Arc::clone(&c);
    match blocking(move || console.reader.with(query::inventory)).await {
        Ok(rows) => page(pages::inventory::page(&v, &rows, &c.opts.rules)),
        Err(r) => r,
    }
}

/// The last 14 days, `YYYY-MM-DD`, oldest first.
fn last_days() -> Vec<String> {
    let today = chrono::Utc::now().date_naive();
    (0..14)
        .rev()
        .map(|d| {
            (today - chrono::Duration::days(d))
                .format("%Y-%m-%d")
                .to_string()
        })
        .collect()
}

async fn rules(State(c): Shared, headers: HeaderMap) -> Response {
    let v = match viewer(&c, &Method::GET, &headers, "/ui/rules") {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let console = Arc::clone(&c);
    let days = last_days();
    match blocking(move || console.reader.with(|conn| query::rule_stats(conn, &days))).await {
        Ok(stats) => page(pages::rules::list(&v, &c.opts.rules, &stats)),
        Err(r) => r,
    }
}

async fn rule(State(c): Shared, headers: HeaderMap, Path(name): Path<String>) -> Response {
    let name = cut(&name, 256);
    let v = match viewer(&c, &Method::GET, &headers, "/ui/rules") {
        Ok(v) => v,
        Err(r) => return *r,
    };
    match c.opts.rules.iter().find(|r| r.name == name) {
        Some(rule) => page(pages::rules::detail(&v, rule)),
        None => (
            StatusCode::NOT_FOUND,
            pages::layout::error(&v, "Not found", "No rule has this name."),
        )
            .into_response(),
    }
}

async fn health(State(c): Shared, headers: HeaderMap, Query(q): Pairs) -> Response {
    let v = match viewer(&c, &Method::GET, &headers, "/ui/health") {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let minutes: i64 = first(&q, "minutes").parse().unwrap_or(60).clamp(5, 24 * 60);
    let bucket_ms = (minutes * 60_000 / 60).max(10_000);
    let now = chrono::Utc::now().timestamp_millis();
    let since = now - minutes * 60_000;
    let console = Arc::clone(&c);
    let got = blocking(move || {
        console.reader.with(|conn| {
            Ok((
                query::throughput(conn, since, bucket_ms)?,
                query::totals(conn)?,
            ))
        })
    })
    .await;
    match got {
        Ok((tp, totals)) => {
            let sizes = pages::health::Sizes::of(&c.opts.data_dir);
            page(pages::health::page(
                &v,
                pages::health::View {
                    minutes,
                    bucket_ms,
                    since_ms: since,
                    throughput: &tp,
                    totals: &totals,
                    sizes: &sizes,
                    samples: &c.samples.all(),
                    retention: &c.opts.retention,
                    metrics: c.opts.metrics.is_some(),
                },
            ))
        }
        Err(r) => r,
    }
}

async fn raw(State(c): Shared, headers: HeaderMap, Query(q): Pairs) -> Response {
    let v = match viewer(&c, &Method::GET, &headers, "/ui/raw") {
        Ok(v) => v,
        Err(r) => return *r,
    };
    if v.role != Role::Admin {
        return forbidden(&v, "The raw tier is for admins only.");
    }
    let id: Option<i64> = first(&q, "id").parse().ok();
    let dir = c.opts.data_dir.clone();
    let got = blocking(move || {
        if !RawStore::exists(&dir) {
            return Ok(None);
        }
        // The console user's role was checked above: this is the admin assertion.
        let reader = RawStore::open_admin(&dir, &AdminScope::asserted())?;
        let count = reader.count()?;
        let last = reader.last_id()?;
        let list = reader.after((last - 50).max(0), 50)?;
        let one = match id {
            Some(id) => reader.get(id)?,
            None => None,
        };
        Ok(Some((count, list, one)))
    })
    .await;
    match got {
        Ok(found) => page(pages::admin::raw(&v, found.as_ref())),
        Err(r) => r,
    }
}

async fn config(State(c): Shared, headers: HeaderMap) -> Response {
    let v = match viewer(&c, &Method::GET, &headers, "/ui/config") {
        Ok(v) => v,
        Err(r) => return *r,
    };
    if v.role != Role::Admin {
        return forbidden(&v, "The configuration is for admins only.");
    }
    page(pages::admin::config(&v, &c.opts.config_text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_moves_only_forward_or_reopens() {
        use TriageStatus::*;
        assert_eq!(next_status(None, "acknowledge"), Some(Acknowledged));
        assert_eq!(next_status(Some(Acknowledged), "close"), Some(Closed));
        assert_eq!(next_status(Some(Closed), "close"), None);
        assert_eq!(next_status(Some(Closed), "reopen"), Some(Acknowledged));
        assert_eq!(next_status(Some(Acknowledged), "acknowledge"), None);
        assert_eq!(next_status(None, "drop table"), None);
    }

    #[test]
    fn next_stays_local() {
        assert_eq!(safe_next("/ui/alerts?x=1"), "/ui/alerts?x=1");
        assert_eq!(safe_next("https://evil.example/"), "/ui/alerts");
        assert_eq!(safe_next("//evil.example/"), "/ui/alerts");
        assert_eq!(safe_next("/ui//evil.example/"), "/ui/alerts");
    }
}
