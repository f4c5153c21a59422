//! Scanning a stream of text chunks (e.g. SSE deltas) across chunk boundaries.
//!
//! The scanner keeps a bounded carry-over: the last [`TAIL`] bytes, extended back to the start of
//! a trailing whitespace-free run of at most [`CARRY`] bytes (a token that may still grow), are
//! re-scanned with the next chunk, so a value split over two chunks is still found; a finding that
//! touches the end of the buffered text is held back until it can no longer grow (at most
//! [`MAX_HOLD`] bytes, which covers PEM blocks). With no class to block or redact, text is
//! released at once; otherwise only text that can no longer be part of a match is released, with
//! a block list and a redact list applied together (block wins for its classes: the stream stops
//! before its first finding; redacted classes in the text released before it get placeholders).
//! The report never counts unscanned bytes as scanned.
//!
//! Owns no SSE framing (see `providers`) and no decision (the selected classes come from policy).

use std::sync::Arc;

use super::classifier::Classifier;
use super::redact::Redactor;
use super::types::{count_classes, Class, Finding};
use super::validate::floor_char_boundary;
use crate::taxonomy::ClassCounts;
use crate::taxonomy::{ClassPattern, OutputAction};

/// Longest single token (no whitespace) that is held back while it may still grow.
pub const CARRY: usize = 4096;
/// Bytes always held back at the end: multi-word values (phones, IBANs with spaces, addresses)
/// up to this length are found across chunk boundaries.
pub const TAIL: usize = 256;
/// Already released bytes kept before the held-back tail as context for the next scan.
pub const CONTEXT: usize = 64;
/// Most bytes held back while a finding may still grow.
pub const MAX_HOLD: usize = 64 * 1024;

/// The outcome of one `push` or `finish`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamStep {
    /// Text safe to send to the client now.
    pub text: String,
    /// Findings finalized in this step; offsets are relative to the whole input stream.
    pub findings: Vec<Finding>,
    /// True once a finding of a block class was seen; nothing more is released.
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
    pub counts: ClassCounts<Class>,
    /// Of those, the published test values per class.
    pub test_values: ClassCounts<Class>,
    /// Whether the stream was blocked.
    pub blocked: bool,
}

/// Classifies a chunked text stream with a bounded carry-over window.
#[derive(Debug)]
pub struct StreamScanner {
    classifier: Arc<Classifier>,
    /// Classes that stop the stream at their first finding.
    block: Vec<ClassPattern>,
    /// Classes replaced by placeholders (unless `block` also selects them: block wins).
    redact: Vec<ClassPattern>,
    redactor: Redactor,
    buf: String,
    buf_off: usize,
    /// Bytes at the start of `buf` already released (kept only as context).
    done: usize,
    scanned: usize,
    unscanned: usize,
    all: Vec<Finding>,
    /// Absolute offset where the next scan starts (see `step`).
    resume: usize,
    /// The candidates the last scan stepped over (kept only to reuse the allocation).
    spans: Vec<(usize, usize)>,
    blocked: bool,
}

impl StreamScanner {
    /// One action for the `select`ed classes (the one-action form of
    /// [`with_actions`](Self::with_actions)): `Observe` releases text unchanged and records
    /// findings, `Redact` replaces selected findings with placeholders, `Block` stops releasing
    /// text at the first selected finding.
    pub fn new(
        classifier: Arc<Classifier>,
        action: OutputAction,
        select: Vec<ClassPattern>,
    ) -> Self {
        match action {
            OutputAction::Observe => Self::with_actions(classifier, Vec::new(), Vec::new()),
            OutputAction::Redact => Self::with_actions(classifier, Vec::new(), select),
            OutputAction::Block => Self::with_actions(classifier, select, Vec::new()),
        }
    }

    /// A scanner that applies two class lists together: text is released up to the first
    /// finding of a `block` class (then nothing more), and findings of `redact` classes in the
    /// released text are replaced by placeholders. Both empty: observe only (text released at
    /// once, findings counted).
    pub fn with_actions(
        classifier: Arc<Classifier>,
        block: Vec<ClassPattern>,
        redact: Vec<ClassPattern>,
    ) -> Self {
        Self {
            classifier,
            block,
            redact,
            redactor: Redactor::new(),
            buf: String::new(),
            buf_off: 0,
            done: 0,
            scanned: 0,
            unscanned: 0,
            all: Vec::new(),
            resume: 0,
            spans: Vec::new(),
            blocked: false,
        }
    }

    fn blocks(&self, class: &str) -> bool {
        self.block.iter().any(|p| p.matches(class))
    }

    fn observing(&self) -> bool {
        self.block.is_empty() && self.redact.is_empty()
    }

    /// Feed the next chunk.
    pub fn push(&mut self, chunk: &str) -> StreamStep {
        self.buf.push_str(chunk);
        let mut step = self.step(false);
        if self.observing() {
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
        let held = if self.blocked {
            0
        } else {
            self.buf.len().saturating_sub(self.done)
        };
        StreamReport {
            scanned_bytes: self.scanned,
            unscanned_bytes: self.unscanned.saturating_add(held),
            counts: count_classes(&self.all),
            test_values: super::types::count_test_values(&self.all),
            blocked: self.blocked,
        }
    }

    fn step(&mut self, last: bool) -> StreamStep {
        if self.blocked {
            let n = self.buf.len().saturating_sub(self.done);
            self.unscanned = self.unscanned.saturating_add(n);
            self.buf_off = self.buf_off.saturating_add(self.buf.len());
            self.buf.clear();
            self.done = 0;
            return StreamStep {
                blocked: true,
                ..StreamStep::default()
            };
        }
        // Restart where the one-pass scan of the whole text would be: a candidate it stepped
        // over may have consumed the context (a title, a `DOB:`) of the text right after it.
        let from = floor_char_boundary(
            &self.buf,
            self.resume.saturating_sub(self.buf_off).min(self.buf.len()),
        );
        let mut spans = std::mem::take(&mut self.spans);
        spans.clear();
        let found = self
            .classifier
            .classify_from(&self.buf, from, Some(&mut spans));
        let len = self.buf.len();
        let done = self.done;
        let scanned_to = found.scanned_bytes;
        // Where we may finalize: everything if last, else all but the held-back tail.
        let mut cut = if last {
            len
        } else {
            floor_char_boundary(&self.buf, hold_from(&self.buf))
                .min(scanned_to)
                .max(done)
        };
        for f in &found.items {
            if last || f.start >= cut || f.start < done {
                continue;
            }
            if f.end >= len.min(scanned_to) && len < MAX_HOLD {
                cut = cut.min(f.start).max(done); // may still grow
            } else if f.end > cut {
                cut = f.end;
            }
        }
        if !last && len > MAX_HOLD.saturating_add(CARRY) {
            cut = cut.max(floor_char_boundary(&self.buf, len.saturating_sub(CARRY)));
        }
        // Findings starting in already released text were reported (or their start released).
        let final_items: Vec<Finding> = found
            .items
            .into_iter()
            .filter(|f| f.start >= done && f.end <= cut)
            .collect();
        let scanned_part = cut.min(scanned_to).saturating_sub(done);
        self.scanned = self.scanned.saturating_add(scanned_part);
        self.unscanned = self
            .unscanned
            .saturating_add(cut.saturating_sub(done).saturating_sub(scanned_part));
        let released = self.buf.get(done..cut).unwrap_or("").to_owned();
        let local: Vec<Finding> = final_items
            .iter()
            .map(|f| Finding {
                start: f.start - done,
                end: f.end - done,
                ..f.clone()
            })
            .collect();
        let blocking = local.iter().any(|f| self.blocks(f.class.as_str()));
        let text = if self.observing() {
            String::new()
        } else {
            // Release up to the first blocked finding; a redacted finding that straddles that
            // point is held back whole, never released in part.
            let mut end = released.len();
            if blocking {
                end = local
                    .iter()
                    .filter(|f| self.blocks(f.class.as_str()))
                    .map(|f| f.start)
                    .min()
                    .unwrap_or(0);
                while let Some(s) = local
                    .iter()
                    .filter(|f| f.start < end && f.end > end)
                    .map(|f| f.start)
                    .min()
                {
                    end = s;
                }
            }
            let head = released.get(..end).unwrap_or("");
            if self.redact.is_empty() {
                head.to_owned()
            } else {
                let redact = &self.redact;
                let pick = |c: &str| redact.iter().any(|p| p.matches(c));
                self.redactor.redact(head, &local, &pick)
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
        // The next scan restarts at `cut`, or at the start of a candidate this scan stepped
        // over across it (unless that is more than CARRY back: the held text stays bounded).
        let restart = spans
            .iter()
            .find(|(s, after)| *s < cut && cut < *after)
            .map_or(cut, |(s, _)| *s);
        let restart = if cut - restart > CARRY { cut } else { restart };
        self.spans = spans; // reused by the next step: no allocation per chunk
        self.resume = self.buf_off.saturating_add(restart);
        // Keep some text before it as context for the next scan (`Dr.` before a name).
        let drain = floor_char_boundary(&self.buf, restart.saturating_sub(CONTEXT));
        self.buf.drain(..drain);
        self.buf_off = self.buf_off.saturating_add(drain);
        self.done = cut - drain;
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

/// Where the held-back tail starts: `TAIL` bytes before the end, or earlier if a whitespace-free
/// run (a token still being received) starts earlier, but never more than `CARRY` back.
fn hold_from(buf: &str) -> usize {
    let len = buf.len();
    let floor = len.saturating_sub(CARRY);
    let mut start = len;
    let bytes = buf.as_bytes();
    while start > floor
        && bytes
            .get(start - 1)
            .is_some_and(|b| !b.is_ascii_whitespace())
    {
        start -= 1;
    }
    start.min(len.saturating_sub(TAIL))
}
