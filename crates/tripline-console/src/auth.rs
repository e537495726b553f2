//! Console users, sessions, CSRF and roles.
//!
//! Console users are not ingest tokens: they live in the store (`console_users`), created
//! with `tripline console user add`, their passwords kept only as Argon2id hashes. A login
//! makes a session: 32 random bytes as the cookie value (`Secure; HttpOnly;
//! SameSite=Strict; Path=/ui`), kept in memory under its SHA-256 (a restart logs everyone
//! out), with its own random CSRF token that every `POST` must carry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

/// Name of the session cookie.
pub const COOKIE: &str = "tripline_console";
/// A session ends after this long without a request.
const IDLE: Duration = Duration::from_secs(8 * 3600);
/// At most this many live sessions; the oldest is dropped first.
const MAX_SESSIONS: usize = 10_000;

/// What a console user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Sees redacted data, changes alert status.
    Analyst,
    /// Also sees the raw tier and the configuration.
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    /// The role named `s`, if any.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "analyst" => Some(Role::Analyst),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Errors from hashing a password.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The system random source failed.
    #[error("no randomness for the salt: {0}")]
    Random(String),
    /// Argon2 refused the input.
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// The Argon2id hash (default parameters, random salt) of `password`, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| PasswordError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `hash` (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The logged-in user of a request.
#[derive(Clone, Debug)]
pub struct Viewer {
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The session's CSRF token (put in every form).
    pub csrf: String,
}

struct Session {
    viewer: Viewer,
    seen: Instant,
}

/// Live sessions, by the SHA-256 of their cookie value.
#[derive(Default)]
pub struct Sessions {
    live: Mutex<HashMap<[u8; 32], Session>>,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the system random source");
    hex::encode(bytes)
}

fn key(cookie_value: &str) -> [u8; 32] {
    Sha256::digest(cookie_value.as_bytes()).into()
}

impl Sessions {
    /// Start a session for `name`; returns the cookie value.
    pub fn start(&self, name: &str, role: Role) -> String {
        let id = random_hex();
        let viewer = Viewer {
            name: name.to_owned(),
            role,
            csrf: random_hex(),
        };
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        live.retain(|_, s| now.duration_since(s.seen) < IDLE);
        if live.len() >= MAX_SESSIONS {
            if let Some(oldest) = live.iter().min_by_key(|(_, s)| s.seen).map(|(k, _)| *k) {
                live.remove(&oldest);
            }
        }
        live.insert(key(&id), Session { viewer, seen: now });
        id
    }

    /// The viewer of the session whose cookie `headers` carry, refreshing its idle time.
    pub fn viewer(&self, headers: &HeaderMap) -> Option<Viewer> {
        let id = cookie_value(headers)?;
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        let k = key(&id);
        let session = live.get_mut(&k)?;
        if session.seen.elapsed() >= IDLE {
            live.remove(&k);
            return None;
        }
        session.seen = Instant::now();
        Some(session.viewer.clone())
    }

    /// End the session whose cookie `headers` carry.
    pub fn end(&self, headers: &HeaderMap) {
        if let Some(id) = cookie_value(headers) {
            let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
            live.remove(&key(&id));
        }
    }
}

/// The session cookie's value, if the request carries one.
fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
        .filter(|v| v.len() == 64)
}

/// The `Set-Cookie` value that starts a session.
pub fn set_cookie(id: &str) -> String {
    format!("{COOKIE}={id}; Path=/ui; HttpOnly; Secure; SameSite=Strict")
}

/// The `Set-Cookie` value that ends one.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/ui; HttpOnly; Secure; SameSite=Strict; Max-Age=0")
}

/// Whether the form's token is the session's (constant time).
pub fn csrf_ok(viewer: &Viewer, sent: &str) -> bool {
    let (a, b) = (viewer.csrf.as_bytes(), sent.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn a_session_is_found_by_its_cookie_and_ends() {
        let s = Sessions::default();
        let id = s.start("ana", Role::Analyst);
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::COOKIE,
            format!("other=1; {COOKIE}={id}").parse().unwrap(),
        );
        let v = s.viewer(&h).expect("session");
        assert_eq!((v.name.as_str(), v.role), ("ana", Role::Analyst));
        assert!(csrf_ok(&v, &v.csrf.clone()));
        assert!(!csrf_ok(&v, "x"));
        s.end(&h);
        assert!(s.viewer(&h).is_none());
    }
}
