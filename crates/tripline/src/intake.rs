//! Serve-time intake of network and process telemetry: `tripline serve` tails the JSON
//! Lines files of `[[inputs]]` (Zeek, osquery, auditd, the generic shapes) and feeds each
//! batch of new lines to the same [`Pipeline::process_events`] the OTLP receivers use.
//!
//! Lines are read with replay's reader ([`tripline_otlp::files::read_line`]), so a line
//! means the same in `serve` and in `replay`. Files are tracked by device and inode, so a
//! renamed (rotated) file is finished where it was left and the new file at the path starts
//! at its first line; a file that shrank (truncation) or whose first bytes changed starts
//! over. The position of every file is saved in `DATA/intake/offsets.json` after its batch
//! is committed by the store: a crash in between re-reads at most that batch, whose events
//! keep their content-derived ids and are dropped as duplicates.

mod offsets;
mod tail;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tripline_event::Event;
use tripline_otlp::files::{self, LineFormat};
use tripline_otlp::Limits;

use crate::config::InputSection;
use crate::pipeline::Pipeline;

use offsets::{FileKey, Offsets};

/// Lines handed to the pipeline at once.
const BATCH_LINES: usize = 1024;
/// The longest line read; a longer one is skipped with a warning naming it.
const MAX_LINE_BYTES: u64 = 16 << 20;

/// Config checks for one input (called by `Config::validate`).
pub fn validate(input: &InputSection) -> Result<(), String> {
    if input.path.trim().is_empty() {
        return Err("path is empty".into());
    }
    glob::Pattern::new(&input.path)
        .map_err(|e| format!("path {:?} is not a valid glob: {e}", input.path))?;
    if input.poll_interval.get().is_zero() {
        return Err("poll_interval must be greater than 0".into());
    }
    Ok(())
}

/// Where the read positions are kept.
pub fn offsets_path(data_dir: &Path) -> PathBuf {
    data_dir.join("intake").join("offsets.json")
}

/// Tail `inputs` until `stop` resolves. Runs on its own thread: reading files and the
/// pipeline's durable write are blocking.
pub async fn run(
    pipeline: Arc<Pipeline>,
    inputs: Vec<InputSection>,
    data_dir: PathBuf,
    limits: Limits,
    stop: impl Future<Output = ()>,
) {
    if inputs.is_empty() {
        return;
    }
    let stopping = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stopping);
    let worker = std::thread::Builder::new()
        .name("tripline-intake".into())
        .spawn(move || Intake::new(pipeline, inputs, &data_dir, limits).run(&flag));
    let worker = match worker {
        Ok(w) => w,
        Err(e) => {
            tracing::error!("intake: cannot start its thread: {e}");
            return;
        }
    };
    stop.await;
    stopping.store(true, Ordering::SeqCst);
    let _ = tokio::task::spawn_blocking(move || worker.join()).await;
}

struct Intake {
    pipeline: Arc<Pipeline>,
    inputs: Vec<(InputSection, Option<Instant>)>,
    offsets_file: PathBuf,
    offsets: Offsets,
    limits: Limits,
    /// Files whose resume position was already reported.
    announced: std::collections::BTreeSet<FileKey>,
}

impl Intake {
    fn new(
        pipeline: Arc<Pipeline>,
        inputs: Vec<InputSection>,
        data_dir: &Path,
        limits: Limits,
    ) -> Intake {
        let offsets_file = offsets_path(data_dir);
        let offsets = Offsets::load(&offsets_file).unwrap_or_else(|e| {
            tracing::warn!("intake: {e}; starting every input file from its first line");
            Offsets::default()
        });
        Intake {
            pipeline,
            inputs: inputs.into_iter().map(|i| (i, None)).collect(),
            offsets_file,
            offsets,
            limits,
            announced: Default::default(),
        }
    }

    fn run(mut self, stopping: &AtomicBool) {
        for (input, _) in &self.inputs {
            tracing::info!(path = %input.path, format = input.format.name(), "intake: tailing {} ({})", input.path, input.format.name());
        }
        while !stopping.load(Ordering::SeqCst) {
            let now = Instant::now();
            for i in 0..self.inputs.len() {
                let due = self.inputs[i].1.is_none_or(|next| next <= now);
                if due {
                    let input = self.inputs[i].0.clone();
                    self.poll(&input, stopping);
                    self.inputs[i].1 = Some(Instant::now() + input.poll_interval.get());
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Read what is new in every file the input's path matches.
    fn poll(&mut self, input: &InputSection, stopping: &AtomicBool) {
        let paths = match glob::glob(&input.path) {
            Ok(p) => p
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect::<Vec<_>>(),
            Err(e) => {
                tracing::warn!("intake: {}: {e}", input.path);
                return;
            }
        };
        for path in paths {
            if stopping.load(Ordering::SeqCst) {
                return;
            }
            if let Err(e) = self.poll_file(&path, input.format, stopping) {
                tracing::warn!("intake: {e}");
            }
        }
    }

    fn poll_file(
        &mut self,
        path: &Path,
        format: LineFormat,
        stopping: &AtomicBool,
    ) -> anyhow::Result<()> {
        let mut file = tail::TailFile::open(path)?;
        let key = file.key();
        let mut pos = self.offsets.get(&key).cloned().unwrap_or_default();
        if let Some(why) = file.must_restart(&pos)? {
            if pos.offset > 0 {
                tracing::info!(
                    "intake: {}: {why}; reading it from the first line",
                    path.display()
                );
            }
            pos = Default::default();
        }
        if pos.offset > 0 && self.announced.insert(key.clone()) {
            tracing::info!(
                "intake: {}: resuming at line {} (byte {})",
                path.display(),
                pos.line + 1,
                pos.offset
            );
        }
        self.announced.insert(key.clone());
        loop {
            if stopping.load(Ordering::SeqCst) {
                return Ok(());
            }
            let chunk = file.read_lines(&pos, BATCH_LINES, MAX_LINE_BYTES)?;
            if chunk.lines.is_empty() && chunk.end == pos.offset {
                return Ok(());
            }
            let events = self.decode(path, format, &chunk.lines);
            if !events.is_empty() {
                let now_ms = chrono::Utc::now().timestamp_millis();
                if let Err(e) = self.pipeline.process_events(events, now_ms) {
                    // Not advanced: the same lines are read again at the next poll.
                    anyhow::bail!(
                        "{}: lines {}..: not stored ({e}); will retry",
                        path.display(),
                        pos.line + 1
                    );
                }
            }
            pos.line += chunk.line_count;
            pos.offset = chunk.end;
            pos.path = path.display().to_string();
            pos.head = file.head_fingerprint(pos.offset)?;
            self.offsets.set(key.clone(), pos.clone());
            self.offsets.save(&self.offsets_file)?;
        }
    }

    /// Decode each line; a bad line is reported with its file and line number and skipped.
    fn decode(&self, path: &Path, format: LineFormat, lines: &[tail::Line]) -> Vec<Event> {
        let mut events = Vec::new();
        for line in lines {
            let Some(bytes) = &line.bytes else {
                tracing::warn!(
                    "intake: {} line {}: longer than {MAX_LINE_BYTES} bytes; skipped",
                    path.display(),
                    line.number
                );
                continue;
            };
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let mut sink = |ev: Event| {
                events.push(ev);
                Ok(())
            };
            if let Err(e) = files::read_line(
                bytes,
                path,
                line.number as usize,
                format,
                &self.limits,
                &mut sink,
            ) {
                tracing::warn!("intake: {e}; line skipped");
            }
        }
        events
    }
}

#[cfg(test)]
mod tests;
