//! Polling with a deadline: the tests wait for files, ports and stored events this way
//! instead of sleeping for a fixed time.

use std::time::{Duration, Instant};

/// How often [`poll`] retries.
const INTERVAL: Duration = Duration::from_millis(50);

/// Calls `check` until it returns `Ok`, or panics after `timeout` with `what` and the last
/// error `check` gave.
pub fn poll<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match check() {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => {
                panic!("timed out after {timeout:?} waiting for {what}; last state: {last}")
            }
            Err(_) => std::thread::sleep(INTERVAL),
        }
    }
}
