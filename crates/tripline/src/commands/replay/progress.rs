//! A progress bar on stderr for large inputs, only when stderr is a terminal.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

/// Inputs smaller than this finish too fast for a bar to be useful.
const MIN_BYTES: u64 = 8 << 20;

/// A byte-based bar when stderr is a TTY and `total` is large, else a hidden one.
pub fn bar(total: u64) -> ProgressBar {
    if total < MIN_BYTES || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
    {
        bar.set_style(style);
    }
    bar
}

/// Events read so far and events per second, shown as the bar's message.
pub struct Rate<'b> {
    bar: &'b ProgressBar,
    events: u64,
    started: Instant,
}

impl<'b> Rate<'b> {
    /// Events between two updates of the message.
    const EVERY: u64 = 8192;

    /// Count for `bar` from now.
    pub fn new(bar: &'b ProgressBar) -> Self {
        Rate {
            bar,
            events: 0,
            started: Instant::now(),
        }
    }

    /// One more event.
    pub fn tick(&mut self) {
        self.events += 1;
        if self.events.is_multiple_of(Self::EVERY) && !self.bar.is_hidden() {
            let secs = self.started.elapsed().as_secs_f64().max(1e-3);
            let per_s = self.events as f64 / secs;
            self.bar
                .set_message(format!("{} events, {per_s:.0} events/s", self.events));
        }
    }
}
