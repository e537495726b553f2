//! A recording HTTP/1.1 server for the HTTP sink tests: it keeps every request (method,
//! target, headers, body) and answers from a script — queued one-shot replies first, then
//! a fallback function — so a test can inject 500s, 429s with `Retry-After`, per-item
//! errors, an outage (503 or dropped connections), and check exactly what was sent.
//!
//! Shared by `crates/tripline-sinks/tests/` and `crates/tripline/tests/sinks_http.rs`
//! (included there by path).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One recorded request.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The status the recorder answered with; `None` when it dropped the connection.
    pub answer: Option<u16>,
}

impl Request {
    /// The first header of this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// An answer to give.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Status, extra headers, body.
    Answer(u16, Vec<(String, String)>, Vec<u8>),
    /// Close the connection without answering (a crash mid-request).
    Drop,
}

impl Reply {
    pub fn status(status: u16, body: &str) -> Reply {
        Reply::Answer(
            status,
            vec![("Content-Type".into(), "application/json".into())],
            body.as_bytes().to_vec(),
        )
    }

    pub fn ok() -> Reply {
        Reply::status(200, "{}")
    }

    /// `status` with a `Retry-After: secs` header.
    pub fn retry_after(status: u16, secs: u64) -> Reply {
        Reply::Answer(
            status,
            vec![("Retry-After".into(), secs.to_string())],
            b"try later".to_vec(),
        )
    }

    pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
        Reply::Answer(
            status,
            vec![("Content-Type".into(), content_type.into())],
            body,
        )
    }
}

type Fallback = Box<dyn FnMut(&Request) -> Reply + Send>;

struct State {
    requests: Vec<Request>,
    queued: VecDeque<Reply>,
    fallback: Fallback,
    /// While set, every request is answered with this instead (an outage).
    outage: Option<Reply>,
}

/// A running recorder on 127.0.0.1; stops accepting when dropped.
pub struct Recorder {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl Recorder {
    /// A recorder that answers `200 {}` unless scripted otherwise.
    pub fn start() -> Recorder {
        Recorder::with_fallback(|_| Reply::ok())
    }

    /// A recorder that answers with `fallback` when no queued reply is left.
    pub fn with_fallback(fallback: impl FnMut(&Request) -> Reply + Send + 'static) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the recorder");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            requests: Vec::new(),
            queued: VecDeque::new(),
            fallback: Box::new(fallback),
            outage: None,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let st = st.clone();
                std::thread::spawn(move || serve_connection(conn, &st));
            }
        });
        Recorder { addr, state, stop }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answer the next request with `reply` (queued replies are used in order).
    pub fn push(&self, reply: Reply) {
        self.state.lock().unwrap().queued.push_back(reply);
    }

    /// Answer every request with `reply` until [`Recorder::restore`].
    pub fn outage(&self, reply: Reply) {
        self.state.lock().unwrap().outage = Some(reply);
    }

    pub fn restore(&self) {
        self.state.lock().unwrap().outage = None;
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Forget the requests recorded so far.
    pub fn clear(&self) {
        self.state.lock().unwrap().requests.clear();
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve_connection(conn: TcpStream, state: &Mutex<State>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(120)));
    let mut writer = match conn.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::new(conn);
    loop {
        let Some(req) = read_request(&mut reader) else {
            return;
        };
        let reply = {
            let mut s = state.lock().unwrap();
            let reply = match (s.outage.clone(), s.queued.pop_front()) {
                (Some(r), queued) => {
                    if let Some(q) = queued {
                        s.queued.push_front(q);
                    }
                    r
                }
                (None, Some(r)) => r,
                (None, None) => (s.fallback)(&req),
            };
            let answer = match &reply {
                Reply::Answer(status, ..) => Some(*status),
                Reply::Drop => None,
            };
            s.requests.push(Request { answer, ..req });
            reply
        };
        match reply {
            Reply::Drop => return,
            Reply::Answer(status, headers, body) => {
                let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                if writer
                    .write_all(head.as_bytes())
                    .and_then(|_| writer.write_all(&body))
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}

/// One request with a `Content-Length` body; `None` at end of stream or on garbage.
fn read_request(r: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    assert!(
        !headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")),
        "the sinks send a Content-Length body"
    );
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
        answer: None,
    })
}
