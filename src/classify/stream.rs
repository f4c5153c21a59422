//! Scanning a stream of text chunks (e.g. SSE deltas) across chunk boundaries.
//!
//! The scanner keeps a bounded carry-over: the last [`CARRY`] bytes are re-scanned with the next
//! chunk, so a value split over two chunks is still found; a finding that touches the end of the
//! buffered text is held back until it can no longer grow (at most [`MAX_HOLD`] bytes). In
//! `Observe` mode text is released at once; in `Redact` and `Block` mode only text that can no
//! longer be part of a match is released. The report never counts unscanned bytes as scanned.
//!
//! Owns no SSE framing (see `providers`) and no decision (the selected classes come from policy).

use std::sync::Arc;

use super::validate::floor_char_boundary;
use super::{count_classes, Class, Classifier, Finding, Redactor};
use crate::taxonomy::ClassPattern;

/// Bytes re-scanned with the next chunk: the longest value found across a boundary.
pub const CARRY: usize = 4096;
/// Most bytes held back while a finding may still grow.
pub const MAX_HOLD: usize = 64 * 1024;

/// What the scanner does with selected findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamMode {
    /// Release text unchanged, record findings.
    Observe,
    /// Replace selected findings with placeholders before release.
    Redact,
    /// Stop releasing text at the first selected finding.
    Block,
}

/// The outcome of one `push` or `finish`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamStep {
    /// Text safe to send to the client now.
    pub text: String,
    /// Findings finalized in this step; offsets are relative to the whole input stream.
    pub findings: Vec<Finding>,
    /// True once a selected class was seen in `Block` mode; nothing more is released.
    pub blocked: bool,
}

/// What was and was not scanned, for the evidence record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamReport {
    /// Bytes that were classified.
    pub scanned_bytes: usize,
    /// Bytes that passed through without being classified (over the scan limit, or still held
    /// when the stream was abandoned without `finish`).
    pub unscanned_bytes: usize,
    /// Findings per class over the whole stream.
    pub counts: Vec<(Class, u32)>,
    /// Whether the stream was blocked.
    pub blocked: bool,
}

/// Classifies a chunked text stream with a bounded carry-over window.
#[derive(Debug)]
pub struct StreamScanner {
    classifier: Arc<Classifier>,
    mode: StreamMode,
    select: Vec<ClassPattern>,
    redactor: Redactor,
    buf: String,
    buf_off: usize,
    scanned: usize,
    unscanned: usize,
    all: Vec<Finding>,
    blocked: bool,
}

impl StreamScanner {
    /// `select`: the classes that trigger redaction or blocking.
    pub fn new(classifier: Arc<Classifier>, mode: StreamMode, select: Vec<ClassPattern>) -> Self {
        Self {
            classifier,
            mode,
            select,
            redactor: Redactor::new(),
            buf: String::new(),
            buf_off: 0,
            scanned: 0,
            unscanned: 0,
            all: Vec::new(),
            blocked: false,
        }
    }

    fn selected(&self, class: &str) -> bool {
        self.select.iter().any(|p| p.matches(class))
    }

    /// Feed the next chunk.
    pub fn push(&mut self, chunk: &str) -> StreamStep {
        self.buf.push_str(chunk);
        let mut step = self.step(false);
        if self.mode == StreamMode::Observe {
            step.text = chunk.to_owned();
        }
        step
    }

    /// End of stream: flush everything still held.
    pub fn finish(&mut self) -> StreamStep {
        self.step(true)
    }

    /// Totals so far.
    pub fn report(&self) -> StreamReport {
        let held = if self.blocked { 0 } else { self.buf.len() };
        StreamReport {
            scanned_bytes: self.scanned,
            unscanned_bytes: self.unscanned.saturating_add(held),
            counts: count_classes(&self.all),
            blocked: self.blocked,
        }
    }

    fn step(&mut self, last: bool) -> StreamStep {
        if self.blocked {
            let n = self.buf.len();
            self.unscanned = self.unscanned.saturating_add(n);
            self.buf.clear();
            self.buf_off = self.buf_off.saturating_add(n);
            return StreamStep {
                blocked: true,
                ..StreamStep::default()
            };
        }
        let found = self.classifier.classify(&self.buf);
        let len = self.buf.len();
        let scanned_to = found.scanned_bytes;
        // Where we may finalize: everything if last, else all but the carry-over.
        let mut cut = if last {
            len
        } else {
            floor_char_boundary(&self.buf, len.saturating_sub(CARRY))
        };
        cut = cut.min(scanned_to.max(if last { len } else { 0 }));
        for f in &found.items {
            if last || f.start >= cut {
                continue;
            }
            if f.end >= len.min(scanned_to) && len < MAX_HOLD {
                cut = cut.min(f.start); // may still grow
            } else if f.end > cut {
                cut = f.end;
            }
        }
        if !last && len > MAX_HOLD.saturating_add(CARRY) {
            cut = cut.max(floor_char_boundary(&self.buf, len.saturating_sub(CARRY)));
        }
        let final_items: Vec<Finding> = found.items.into_iter().filter(|f| f.end <= cut).collect();
        let scanned_part = cut.min(scanned_to);
        self.scanned = self.scanned.saturating_add(scanned_part);
        self.unscanned = self.unscanned.saturating_add(cut - scanned_part);
        let released = self.buf.get(..cut).unwrap_or("").to_owned();
        let blocking = self.mode == StreamMode::Block
            && final_items.iter().any(|f| self.selected(f.class.as_str()));
        let text = match self.mode {
            StreamMode::Observe => String::new(),
            StreamMode::Block if blocking => {
                let first = final_items
                    .iter()
                    .filter(|f| self.selected(f.class.as_str()))
                    .map(|f| f.start)
                    .min()
                    .unwrap_or(0);
                released.get(..first).unwrap_or("").to_owned()
            }
            StreamMode::Block => released,
            StreamMode::Redact => {
                let sel = self.select.clone();
                let pick = move |c: &str| sel.iter().any(|p| p.matches(c));
                self.redactor.redact(&released, &final_items, &pick)
            }
        };
        let shifted: Vec<Finding> = final_items
            .into_iter()
            .map(|mut f| {
                f.start = f.start.saturating_add(self.buf_off);
                f.end = f.end.saturating_add(self.buf_off);
                f
            })
            .collect();
        self.all.extend(shifted.iter().cloned());
        self.buf.drain(..cut);
        self.buf_off = self.buf_off.saturating_add(cut);
        if blocking {
            self.blocked = true;
        }
        StreamStep {
            text,
            findings: shifted,
            blocked: self.blocked,
        }
    }
}
