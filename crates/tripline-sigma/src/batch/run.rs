//! JSON Lines through an engine on N threads, with results identical to one thread.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::{mpsc, Arc, Mutex};

use tripline_event::Event;

use super::line::{parse_full, LineParser};
use crate::alert::Output;
use crate::engine::{Detected, Detector, Engine};

/// How to run a stream.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// worker threads parsing and detecting (1: everything on the calling thread)
    pub threads: usize,
    /// parse only the keys the rules read (see [`crate::Detector::projection`]); a
    /// matching line is then parsed whole before it reaches correlations and alerts
    pub projected: bool,
    /// bytes per chunk handed to a worker (cut at a line end)
    pub chunk_bytes: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            projected: true,
            chunk_bytes: 1 << 20,
        }
    }
}

/// Why a stream stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
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

/// What a worker made of one chunk, in input order.
enum Step {
    /// events that matched nothing: how many, and their newest time
    Skip(u64, Option<i64>),
    /// a matching event (whole) at a chunk-relative line
    Hit(u64, Box<Event>, Detected),
    /// a bad line (chunk-relative)
    Bad(u64, String),
}

struct Chunk {
    steps: Vec<Step>,
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
    opts: RunOptions,
    mut on_output: F,
) -> Result<u64, RunError>
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
    let mut apply = Applier {
        engine,
        line_base: 0,
        first_seq: None,
        lines_of: HashMap::new(),
        events: 0,
    };
    let chunk_bytes = opts.chunk_bytes.max(1);
    if opts.threads <= 1 {
        let mut reader = Chunker::new(input, chunk_bytes);
        while let Some(buf) = reader.next_chunk()? {
            let c = work(&detector, &parser, &buf);
            apply.chunk(c, &mut on_output)?;
        }
        return Ok(apply.events);
    }
    let threads = opts.threads;
    std::thread::scope(|s| -> Result<u64, RunError> {
        let (work_tx, work_rx) = mpsc::sync_channel::<(u64, Vec<u8>)>(threads * 2);
        let (done_tx, done_rx) = mpsc::sync_channel::<(u64, Chunk)>(threads * 2);
        let work_rx = Arc::new(Mutex::new(work_rx));
        let reader = s.spawn(move || -> Result<(), std::io::Error> {
            let mut chunks = Chunker::new(input, chunk_bytes);
            let mut n = 0u64;
            while let Some(buf) = chunks.next_chunk()? {
                if work_tx.send((n, buf)).is_err() {
                    break; // the ordered stage stopped early
                }
                n += 1;
            }
            Ok(())
        });
        for _ in 0..threads {
            let work_rx = Arc::clone(&work_rx);
            let done_tx = done_tx.clone();
            let (detector, parser) = (&detector, &parser);
            s.spawn(move || loop {
                let next = work_rx.lock().map(|rx| rx.recv());
                let Ok(Ok((n, buf))) = next else { break };
                if done_tx.send((n, work(detector, parser, &buf))).is_err() {
                    break;
                }
            });
        }
        drop(done_tx);
        let mut pending: BTreeMap<u64, Chunk> = BTreeMap::new();
        let mut next = 0u64;
        let mut result = Ok(());
        for (n, c) in done_rx.iter() {
            pending.insert(n, c);
            while let Some(c) = pending.remove(&next) {
                next += 1;
                if result.is_ok() {
                    result = apply.chunk(c, &mut on_output);
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
        Ok(apply.events)
    })
}

/// Parse and detect one chunk.
fn work(detector: &Detector, parser: &LineParser, buf: &[u8]) -> Chunk {
    let mut steps = Vec::new();
    let mut skipped = 0u64;
    let mut newest: Option<i64> = None;
    let needs_time = detector.needs_time();
    for (i, line) in buf.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let rel = i as u64;
        let ev = match parser.parse(line) {
            Ok(ev) => ev,
            Err(msg) => {
                flush(&mut steps, &mut skipped, &mut newest);
                steps.push(Step::Bad(rel, msg));
                break;
            }
        };
        let d = detector.detect(&ev);
        if d.is_empty() {
            skipped += 1;
            if needs_time {
                if let Some(t) = detector.event_time(&ev) {
                    newest = Some(newest.map_or(t, |n| n.max(t)));
                }
            }
            continue;
        }
        flush(&mut steps, &mut skipped, &mut newest);
        let whole = if parser.is_projected() {
            match parse_full(line) {
                Ok(w) => w,
                Err(msg) => {
                    steps.push(Step::Bad(rel, msg));
                    break;
                }
            }
        } else {
            ev
        };
        steps.push(Step::Hit(rel, Box::new(whole), d));
    }
    flush(&mut steps, &mut skipped, &mut newest);
    // the empty tail after a final '\n' is not a line
    let newlines = buf.iter().filter(|b| **b == b'\n').count() as u64;
    let lines = newlines + u64::from(!buf.is_empty() && !buf.ends_with(b"\n"));
    Chunk { steps, lines }
}

fn flush(steps: &mut Vec<Step>, skipped: &mut u64, newest: &mut Option<i64>) {
    if *skipped > 0 {
        steps.push(Step::Skip(*skipped, newest.take()));
        *skipped = 0;
    }
}

/// The ordered stage: applies chunks to the engine in input order.
struct Applier<'e> {
    engine: &'e mut Engine,
    line_base: u64,
    first_seq: Option<u64>,
    /// engine seq -> input line, for matched events (outputs only name those)
    lines_of: HashMap<u64, u64>,
    events: u64,
}

impl Applier<'_> {
    fn chunk<F>(&mut self, c: Chunk, on_output: &mut F) -> Result<(), RunError>
    where
        F: FnMut(&Output, &[u64]) -> Result<(), String>,
    {
        let first = *self.first_seq.get_or_insert(self.engine.events_seen());
        for step in c.steps {
            match step {
                Step::Skip(n, t) => {
                    self.engine.skip(n, t);
                    self.events += n;
                }
                Step::Hit(rel, ev, d) => {
                    let line = self.line_base + rel;
                    self.lines_of.insert(first + self.events, line);
                    self.events += 1;
                    for o in self.engine.apply(&ev, &d) {
                        let lines: Vec<u64> = o
                            .seqs
                            .iter()
                            .map(|s| self.lines_of.get(s).copied().unwrap_or(*s))
                            .collect();
                        on_output(&o, &lines).map_err(RunError::Output)?;
                    }
                }
                Step::Bad(rel, msg) => {
                    return Err(RunError::Line {
                        line: self.line_base + rel,
                        msg,
                    })
                }
            }
        }
        self.line_base += c.lines;
        Ok(())
    }
}

/// Reads an input in chunks of about `size` bytes cut after a line end.
struct Chunker<R> {
    input: R,
    size: usize,
    carry: Vec<u8>,
    eof: bool,
}

impl<R: Read> Chunker<R> {
    fn new(input: R, size: usize) -> Self {
        Chunker {
            input,
            size,
            carry: Vec::new(),
            eof: false,
        }
    }

    fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, std::io::Error> {
        loop {
            if let Some(cut) = self.carry.iter().rposition(|b| *b == b'\n') {
                if self.carry.len() >= self.size || self.eof {
                    let rest = self.carry.split_off(cut + 1);
                    return Ok(Some(std::mem::replace(&mut self.carry, rest)));
                }
            }
            if self.eof {
                if self.carry.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(std::mem::take(&mut self.carry)));
            }
            let start = self.carry.len();
            self.carry.resize(start + self.size, 0);
            let n = loop {
                match self.input.read(&mut self.carry[start..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.carry.truncate(start);
                        return Err(e);
                    }
                }
            };
            self.carry.truncate(start + n);
            if n == 0 {
                self.eof = true;
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
