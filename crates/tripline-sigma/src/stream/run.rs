//! JSON Lines through an engine on N threads, with results identical to one thread.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::{mpsc, Arc, Mutex};

use super::line::{parse_full, LineParser};
use super::scan::Slot;
use crate::alert::Output;
use crate::engine::{Detected, Detector, Engine};
use crate::evidence::Evidence;
use crate::source::FieldSource;

/// How to run a stream.
#[derive(Clone, Copy, Debug)]
pub struct StreamOptions {
    /// worker threads parsing and detecting (1: everything on the calling thread)
    pub threads: usize,
    /// parse only the keys the rules read (see [`crate::Detector::projection`]); a
    /// matching line is then parsed whole before it reaches correlations and alerts
    pub projected: bool,
    /// bytes per chunk handed to a worker (cut at a line end)
    pub chunk_bytes: usize,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            projected: true,
            chunk_bytes: 1 << 20,
        }
    }
}

/// Why a stream stopped.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// a line is not a JSON object (`line` is 0-based)
    #[error("line {}: {msg}", line + 1)]
    Line {
        /// 0-based line number
        line: u64,
        /// what is wrong
        msg: String,
    },
    /// reading the input failed
    #[error("cannot read: {0}")]
    Read(#[from] std::io::Error),
    /// the output callback failed
    #[error("{0}")]
    Output(String),
}

/// What a worker made of one chunk, in input order. `E` holds a matching event: owned
/// (parsed from a line) or borrowed (pre-parsed).
enum Step<E> {
    /// events that matched nothing: how many, and their newest time
    Skip(u64, Option<i64>),
    /// a matching event at a chunk-relative line
    Hit(u64, E, Detected),
    /// a bad line (chunk-relative)
    Bad(u64, String),
}

struct Chunk<E> {
    steps: Vec<Step<E>>,
    /// lines in the chunk (blank ones included)
    lines: u64,
}

/// Run every line of `input` through `engine` and call `on_output` with each output and
/// the 0-based input lines of its `seqs`, in input order. Blank lines are skipped but
/// counted. Stops at the first bad line, after the outputs of the lines before it,
/// exactly like a line-by-line loop. Returns the number of events processed.
pub fn run_jsonl<R, F>(
    engine: &mut Engine,
    input: R,
    opts: StreamOptions,
    mut on_output: F,
) -> Result<u64, StreamError>
where
    R: Read + Send,
    F: FnMut(&Output, &[u64]) -> Result<(), String>,
{
    let detector = engine.detector();
    let parser = LineParser::new(if opts.projected {
        detector.projection()
    } else {
        None
    });
    let mut apply = Applier::new(engine);
    let chunks = Chunker::new(input, opts.chunk_bytes.max(1));
    let spare = Arc::clone(&chunks.spare);
    ordered(
        opts.threads,
        chunks,
        &|buf: Vec<u8>| {
            let c = work_lines(&detector, &parser, &buf);
            spare.put(buf);
            c
        },
        |c| apply.chunk(c, &mut on_output),
    )?;
    Ok(apply.events)
}

/// Run pre-parsed events through `engine` on `threads` threads (detection in parallel,
/// state in input order); `on_output` gets each output and the indices into `events` of
/// its `seqs`. The same as calling [`Engine::process`] on each event in turn. Events come
/// as shared [`Evidence`] (`Evidence::parsed`), which windows keep without a copy.
pub fn run_events<F>(
    engine: &mut Engine,
    events: &[Arc<Evidence>],
    threads: usize,
    mut on_output: F,
) -> Result<u64, StreamError>
where
    F: FnMut(&Output, &[u64]) -> Result<(), String>,
{
    const CHUNK: usize = 4096;
    let detector = engine.detector();
    let mut apply = Applier::new(engine);
    let chunks = events.chunks(CHUNK).map(Ok::<_, std::io::Error>);
    ordered(
        threads,
        chunks,
        &|evs: &[Arc<Evidence>]| work_events(&detector, evs),
        |c| apply.chunk(c, &mut on_output),
    )?;
    Ok(apply.events)
}

/// Feed `inputs` to `work` on `threads` threads and `apply` the results in input order
/// on the calling thread. With one thread, everything runs on the calling thread.
fn ordered<T, R, I>(
    threads: usize,
    inputs: I,
    work: &(dyn Fn(T) -> R + Sync),
    mut apply: impl FnMut(R) -> Result<(), StreamError>,
) -> Result<(), StreamError>
where
    T: Send,
    R: Send,
    I: Iterator<Item = Result<T, std::io::Error>> + Send,
{
    if threads <= 1 {
        for input in inputs {
            apply(work(input?))?;
        }
        return Ok(());
    }
    std::thread::scope(|s| -> Result<(), StreamError> {
        let (work_tx, work_rx) = mpsc::sync_channel::<(u64, T)>(threads * 2);
        let (done_tx, done_rx) = mpsc::sync_channel::<(u64, R)>(threads * 2);
        let work_rx = Arc::new(Mutex::new(work_rx));
        let reader = s.spawn(move || -> Result<(), std::io::Error> {
            for (n, input) in inputs.enumerate() {
                if work_tx.send((n as u64, input?)).is_err() {
                    break; // the ordered stage stopped early
                }
            }
            Ok(())
        });
        for _ in 0..threads {
            let work_rx = Arc::clone(&work_rx);
            let done_tx = done_tx.clone();
            s.spawn(move || loop {
                let next = work_rx.lock().map(|rx| rx.recv());
                let Ok(Ok((n, input))) = next else { break };
                if done_tx.send((n, work(input))).is_err() {
                    break;
                }
            });
        }
        // only the workers hold the receiver: when they stop, the reader's send fails
        drop(work_rx);
        drop(done_tx);
        let mut pending: BTreeMap<u64, R> = BTreeMap::new();
        let mut next = 0u64;
        let mut result = Ok(());
        for (n, r) in done_rx.iter() {
            pending.insert(n, r);
            while let Some(r) = pending.remove(&next) {
                next += 1;
                result = apply(r);
                if result.is_err() {
                    break;
                }
            }
            if result.is_err() {
                break;
            }
        }
        drop(done_rx); // unblocks workers, which unblock the reader
        let read = reader.join().unwrap_or(Ok(()));
        result?;
        read?;
        Ok(())
    })
}

/// Parse and detect one chunk of lines.
fn work_lines(detector: &Detector, parser: &LineParser, buf: &[u8]) -> Chunk<Arc<Evidence>> {
    let mut acc = Acc::new(detector);
    let mut start = 0;
    let mut lines = 0u64;
    let mut scratch = Vec::new();
    while start < buf.len() {
        let end = memchr::memchr(b'\n', &buf[start..]).map_or(buf.len(), |i| start + i);
        let line = &buf[start..end];
        let rel = lines;
        start = end + 1;
        lines += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Err(msg) = work_line(detector, parser, line, rel, &mut scratch, &mut acc) {
            acc.bad(rel, msg);
            break;
        }
    }
    if start < buf.len() {
        // stopped at a bad line: count the rest (the run ends there anyway)
        lines += memchr::memchr_iter(b'\n', &buf[start..]).count() as u64 + 1;
    }
    acc.finish(lines)
}

/// Parse and detect one non-blank line into `acc`; `Err` for a bad line. A match that
/// only feeds correlations keeps its line for evidence, parsed whole only if an alert
/// shows it; a match of a rule that emits alerts of its own is parsed whole here, on the
/// worker.
fn work_line(
    detector: &Detector,
    parser: &LineParser,
    line: &[u8],
    rel: u64,
    scratch: &mut Vec<Slot>,
    acc: &mut Acc<'_, Arc<Evidence>>,
) -> Result<(), String> {
    let (d, kept) = if let Some(flat) = parser.scan_flat(line, scratch) {
        // most lines: no event is built unless something matches
        let d = detector.detect(&flat);
        if d.is_empty() {
            acc.skip(&flat);
            return Ok(());
        }
        let kept = if detector.emits_any(&d) {
            None
        } else {
            parser.keep_flat(line, scratch).map(Evidence::flat)
        };
        (d, kept)
    } else {
        let mut ev = parser.parse_general(line)?;
        let mut whole = !parser.is_projected();
        if !whole && detector.needs_whole(&ev) {
            // a keyword search reads every value
            ev = parse_full(line)?;
            whole = true;
        }
        let d = detector.detect(&ev);
        if d.is_empty() {
            acc.skip(&ev);
            return Ok(());
        }
        let kept = if whole {
            Some(Evidence::parsed(ev))
        } else if detector.emits_any(&d) {
            None
        } else {
            Some(Evidence::line(line, ev))
        };
        (d, kept)
    };
    let evidence = match kept {
        Some(e) => e,
        None => Evidence::parsed(parse_full(line)?),
    };
    acc.hit(rel, Arc::new(evidence), d);
    Ok(())
}

/// Detect one chunk of pre-parsed events.
fn work_events<'a>(detector: &Detector, events: &'a [Arc<Evidence>]) -> Chunk<&'a Arc<Evidence>> {
    let mut acc = Acc::new(detector);
    for (i, ev) in events.iter().enumerate() {
        let d = detector.detect(ev.fields());
        if d.is_empty() {
            acc.skip(ev.fields());
        } else {
            acc.hit(i as u64, ev, d);
        }
    }
    acc.finish(events.len() as u64)
}

/// Builds a chunk's steps, merging runs of non-matching events.
struct Acc<'d, E> {
    detector: &'d Detector,
    steps: Vec<Step<E>>,
    skipped: u64,
    newest: Option<i64>,
}

impl<'d, E> Acc<'d, E> {
    fn new(detector: &'d Detector) -> Self {
        Acc {
            detector,
            steps: Vec::new(),
            skipped: 0,
            newest: None,
        }
    }

    fn skip(&mut self, ev: &dyn FieldSource) {
        self.skipped += 1;
        if self.detector.needs_time() {
            if let Some(t) = self.detector.event_time(ev) {
                self.newest = Some(self.newest.map_or(t, |n| n.max(t)));
            }
        }
    }

    fn flush(&mut self) {
        if self.skipped > 0 {
            self.steps
                .push(Step::Skip(self.skipped, self.newest.take()));
            self.skipped = 0;
        }
    }

    fn hit(&mut self, rel: u64, ev: E, d: Detected) {
        self.flush();
        self.steps.push(Step::Hit(rel, ev, d));
    }

    fn bad(&mut self, rel: u64, msg: String) {
        self.flush();
        self.steps.push(Step::Bad(rel, msg));
    }

    fn finish(mut self, lines: u64) -> Chunk<E> {
        self.flush();
        Chunk {
            steps: self.steps,
            lines,
        }
    }
}

/// The ordered stage: applies chunks to the engine in input order.
struct Applier<'e> {
    engine: &'e mut Engine,
    line_base: u64,
    first_seq: u64,
    /// engine seq -> input line, for matched events (outputs only name those)
    lines_of: HashMap<u64, u64>,
    events: u64,
    /// watermark at the last [`Engine::expire_windows`]
    swept_ns: Option<i64>,
    /// `lines_of` is pruned when it grows past this
    prune_at: usize,
}

/// Event time between two sweeps of expired correlation windows (memory, not results:
/// sweeping changes no output).
const SWEEP_NS: i64 = 60_000_000_000;

impl<'e> Applier<'e> {
    fn new(engine: &'e mut Engine) -> Self {
        Applier {
            first_seq: engine.events_seen(),
            engine,
            line_base: 0,
            lines_of: HashMap::new(),
            events: 0,
            swept_ns: None,
            prune_at: 1 << 16,
        }
    }

    fn chunk<E, F>(&mut self, c: Chunk<E>, on_output: &mut F) -> Result<(), StreamError>
    where
        E: Borrow<Arc<Evidence>>,
        F: FnMut(&Output, &[u64]) -> Result<(), String>,
    {
        for step in c.steps {
            match step {
                Step::Skip(n, t) => {
                    self.engine.skip(n, t);
                    self.events += n;
                }
                Step::Hit(rel, ev, d) => {
                    let line = self.line_base + rel;
                    self.lines_of.insert(self.first_seq + self.events, line);
                    self.events += 1;
                    for o in self.engine.apply_evidence(ev.borrow(), &d) {
                        let lines: Vec<u64> = o
                            .seqs
                            .iter()
                            .map(|s| self.lines_of.get(s).copied().unwrap_or(*s))
                            .collect();
                        on_output(&o, &lines).map_err(StreamError::Output)?;
                    }
                }
                Step::Bad(rel, msg) => {
                    return Err(StreamError::Line {
                        line: self.line_base + rel,
                        msg,
                    })
                }
            }
        }
        self.line_base += c.lines;
        self.sweep();
        Ok(())
    }

    /// Expire correlation windows once the watermark has moved [`SWEEP_NS`] on, and
    /// forget the input lines of events no window can still hold.
    fn sweep(&mut self) {
        let Some(wm) = self.engine.watermark() else {
            return;
        };
        let swept = *self.swept_ns.get_or_insert(wm);
        if wm.saturating_sub(swept) < SWEEP_NS {
            return;
        }
        self.swept_ns = Some(wm);
        self.engine.expire_windows();
        if self.lines_of.len() >= self.prune_at {
            let live = self.engine.live_seqs();
            self.lines_of.retain(|seq, _| live.contains(seq));
            // amortized: the map at least doubles between two prunes
            self.prune_at = (self.lines_of.len() * 2).max(1 << 16);
        }
    }
}

/// Reads an input in chunks of about `size` bytes cut after a line end.
struct Chunker<R> {
    input: R,
    size: usize,
    carry: Vec<u8>,
    eof: bool,
    /// buffers the workers are done with, filled again instead of allocating
    spare: Arc<Spare>,
}

/// A few chunk buffers for reuse: fresh megabyte buffers cost a page fault per page.
#[derive(Default)]
struct Spare(Mutex<Vec<Vec<u8>>>);

impl Spare {
    /// How many buffers to keep (more than chunks in flight is never needed).
    const KEEP: usize = 16;

    fn take(&self) -> Vec<u8> {
        let mut b = self
            .0
            .lock()
            .ok()
            .and_then(|mut v| v.pop())
            .unwrap_or_default();
        b.clear();
        b
    }

    fn put(&self, b: Vec<u8>) {
        if let Ok(mut v) = self.0.lock() {
            if v.len() < Self::KEEP {
                v.push(b);
            }
        }
    }
}

impl<R: Read> Chunker<R> {
    fn new(input: R, size: usize) -> Self {
        Chunker {
            input,
            size,
            carry: Vec::new(),
            eof: false,
            spare: Arc::default(),
        }
    }

    fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, std::io::Error> {
        loop {
            if let Some(cut) = memchr::memrchr(b'\n', &self.carry) {
                if self.carry.len() >= self.size || self.eof {
                    // the part after the last line end starts the next chunk
                    let mut next = self.spare.take();
                    next.extend_from_slice(&self.carry[cut + 1..]);
                    self.carry.truncate(cut + 1);
                    return Ok(Some(std::mem::replace(&mut self.carry, next)));
                }
            }
            if self.eof {
                if self.carry.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(std::mem::take(&mut self.carry)));
            }
            // read_to_end fills spare capacity without zeroing it first
            self.carry.reserve(self.size);
            let n = (&mut self.input)
                .take(self.size as u64)
                .read_to_end(&mut self.carry)?;
            if n == 0 {
                self.eof = true;
            }
        }
    }
}

impl<R: Read> Iterator for Chunker<R> {
    type Item = Result<Vec<u8>, std::io::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_chunk() {
            Ok(Some(c)) => Some(Ok(c)),
            Ok(None) => None,
            Err(e) => {
                self.eof = true;
                self.carry.clear();
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cut_at_line_ends_and_keep_every_byte() {
        let text = b"{\"a\":1}\n\n{\"b\":22}\n{\"c\":333}".to_vec();
        for size in [1, 3, 8, 100] {
            let mut c = Chunker::new(&text[..], size);
            let mut all = Vec::new();
            while let Some(ch) = c.next_chunk().unwrap() {
                assert!(ch.ends_with(b"\n") || all.len() + ch.len() == text.len());
                all.extend(ch);
            }
            assert_eq!(all, text, "size {size}");
        }
    }
}
