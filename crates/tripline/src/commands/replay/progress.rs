//! A progress bar on stderr for large inputs, only when stderr is a terminal.

use std::io::IsTerminal;

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
