//! Shared test harness: an `Ingest` that records every request and answers what it is told.

// Each test binary uses part of the harness.
#![allow(dead_code)]

pub mod certs;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tripline_receive::{Ack, Ingest, IngestError, Request};

/// Records requests; answers with the configured result after an optional delay.
#[derive(Default)]
pub struct Recorder {
    requests: Mutex<Vec<Request>>,
    answer: Mutex<Option<Result<Ack, IngestError>>>,
    delay: Mutex<Duration>,
}

impl Recorder {
    pub fn new() -> Arc<Recorder> {
        Arc::new(Recorder::default())
    }

    /// Answer every following request with `answer`.
    pub fn answer(&self, answer: Result<Ack, IngestError>) {
        *self.answer.lock().unwrap() = Some(answer);
    }

    /// Sleep this long before answering.
    pub fn delay(&self, d: Duration) {
        *self.delay.lock().unwrap() = d;
    }

    /// Every request seen so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub fn last(&self) -> Request {
        self.requests
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("ingest saw a request")
    }
}

impl Ingest for Recorder {
    fn ingest(&self, req: Request) -> BoxFuture<'static, Result<Ack, IngestError>> {
        self.requests.lock().unwrap().push(req);
        let answer = self
            .answer
            .lock()
            .unwrap()
            .clone()
            .unwrap_or_else(|| Ok(Ack::ok()));
        let delay = *self.delay.lock().unwrap();
        Box::pin(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            answer
        })
    }
}

/// A running server and the means to stop it.
pub struct Running {
    pub addr: std::net::SocketAddr,
    pub stop: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Start a bound server on a task: `serve` gets the shutdown future (e.g.
    /// `|stop| server.serve(stop)`); `addr` is where it listens.
    pub fn spawn<F>(
        addr: std::net::SocketAddr,
        serve: impl FnOnce(BoxFuture<'static, ()>) -> F,
    ) -> Running
    where
        F: std::future::Future<Output = std::io::Result<()>> + Send + 'static,
    {
        let (stop, shutdown) = shutdown_pair();
        Running {
            addr,
            stop: Some(stop),
            task: tokio::spawn(serve(Box::pin(shutdown))),
        }
    }

    /// Trigger graceful shutdown and wait for the server to return.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("server stops")
            .expect("join")
    }
}

/// A shutdown future and its trigger.
pub fn shutdown_pair() -> (
    oneshot::Sender<()>,
    impl std::future::Future<Output = ()> + Send + 'static,
) {
    let (tx, rx) = oneshot::channel::<()>();
    (tx, async move {
        let _ = rx.await;
    })
}

/// Loopback, any free port.
pub fn loopback() -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], 0))
}
