//! Response inspection: what the proxy learns from, and may change in, the provider's answer
//! while it streams through — token usage, output findings, and the output policy's
//! observe / redact-in-stream / block modes.
//!
//! Owns the wiring of SSE framing ([`crate::providers::sse`]) to the stream scanner
//! ([`crate::classify::StreamScanner`]) and the report that tells evidence exactly what was and
//! was not scanned. It makes no policy decision: the [`OutputMode`] arrives from the decide phase.

use std::sync::Arc;

use bytes::Bytes;

use super::body::{Inspected, Inspector};
use super::record;
use crate::classify::{Class, Classifier, Redactor, StreamMode, StreamScanner};
use crate::evidence::proto::{ClassAction, OutputScan};
use crate::providers::extract::{self, Api, Edit, Usage};
use crate::providers::sse::{self, SseEvent, SseParser, StreamDecoder};
use crate::taxonomy::ClassPattern;

/// Largest non-streamed response body kept for usage and output classification.
const MAX_CAPTURE: usize = 8 * 1024 * 1024;
/// Largest single SSE event.
const MAX_EVENT: usize = 4 * 1024 * 1024;

/// What the inspector learned, for the outcome record.
#[derive(Debug, Clone)]
pub struct InspectReport {
    pub usage: Usage,
    pub scan: OutputScan,
    pub scanned_bytes: u64,
    pub findings: Vec<(String, u32, ClassAction)>,
}

impl Default for InspectReport {
    fn default() -> Self {
        Self {
            usage: Usage::default(),
            scan: OutputScan::None,
            scanned_bytes: 0,
            findings: Vec::new(),
        }
    }
}

/// The output policy for one response, resolved from the policy's output plan.
#[derive(Debug, Clone)]
pub struct OutputMode {
    pub mode: StreamMode,
    /// Classes that trigger redaction or blocking.
    pub select: Vec<ClassPattern>,
    /// The rule that asked for it (named in a block message).
    pub rule: String,
}

impl OutputMode {
    /// Count findings only.
    pub fn observe() -> Self {
        Self {
            mode: StreamMode::Observe,
            select: Vec::new(),
            rule: String::new(),
        }
    }
}

fn findings_of(counts: Vec<(Class, u32)>, mode: &OutputMode) -> Vec<(String, u32, ClassAction)> {
    counts
        .into_iter()
        .map(|(c, n)| {
            let hit = mode.select.iter().any(|p| p.matches(c.as_str()));
            let action = match (mode.mode, hit) {
                (StreamMode::Redact, true) => ClassAction::Redacted,
                (StreamMode::Block, true) => ClassAction::Blocked,
                _ => ClassAction::Allowed,
            };
            (c.as_str().to_owned(), n, action)
        })
        .collect()
}

/// A non-streamed JSON answer, passed through untouched: keeps a bounded copy to read usage and,
/// when a classifier is given, to classify the answer text at the end.
pub struct JsonObserver {
    api: Option<Api>,
    buf: Vec<u8>,
    truncated: bool,
    classifier: Option<Arc<Classifier>>,
    mode: OutputMode,
}

impl JsonObserver {
    pub fn new(api: Option<Api>, classifier: Option<Arc<Classifier>>, mode: OutputMode) -> Self {
        Self {
            api,
            buf: Vec::new(),
            truncated: false,
            classifier,
            mode,
        }
    }
}

impl Inspector for JsonObserver {
    fn on_chunk(&mut self, chunk: Bytes) -> Inspected {
        if self.buf.len() + chunk.len() <= MAX_CAPTURE {
            self.buf.extend_from_slice(&chunk);
        } else {
            self.truncated = true;
        }
        Inspected::Pass(chunk)
    }

    fn on_end(&mut self) -> Option<Bytes> {
        None
    }

    fn report(&mut self) -> InspectReport {
        let Some(api) = self.api else {
            return InspectReport::default();
        };
        let mut r = InspectReport {
            usage: extract::response_usage(api, &self.buf),
            ..Default::default()
        };
        if let (Some(c), false) = (&self.classifier, self.truncated) {
            if let Ok(segments) = extract::response_text(api, &self.buf) {
                let (scanned, unscanned, counts) =
                    classify_segments(c, segments.iter().map(|s| s.text.as_str()));
                r.scanned_bytes = scanned;
                r.scan = record::scan_of(scanned, unscanned, true);
                r.findings = findings_of(counts, &self.mode);
            }
        } else if self.classifier.is_some() {
            r.scan = OutputScan::None;
        }
        r
    }
}

fn classify_segments<'a>(
    c: &Classifier,
    texts: impl Iterator<Item = &'a str>,
) -> (u64, u64, Vec<(Class, u32)>) {
    let mut all = Vec::new();
    let (mut scanned, mut unscanned) = (0u64, 0u64);
    for t in texts {
        let f = c.classify(t);
        scanned += f.scanned_bytes as u64;
        unscanned += f.unscanned_bytes as u64;
        all.extend(f.items);
    }
    let mut counts: Vec<(Class, u32)> = Vec::new();
    for f in all {
        match counts.iter_mut().find(|(c, _)| *c == f.class) {
            Some((_, n)) => *n = n.saturating_add(1),
            None => counts.push((f.class, 1)),
        }
    }
    (scanned, unscanned, counts)
}

/// A streamed (SSE) answer. In `Observe` mode bytes pass through as they arrive and a copy is
/// parsed; in `Redact` and `Block` mode only complete, inspected events are released.
pub struct SseInspector {
    api: Api,
    parser: SseParser,
    decoder: StreamDecoder,
    scanner: Option<StreamScanner>,
    classifier: Option<Arc<Classifier>>,
    mode: OutputMode,
    redactor: Redactor,
    template: Option<SseEvent>,
    unscanned: u64,
    events: Vec<SseEvent>,
    stopped: bool,
}

impl SseInspector {
    pub fn new(api: Api, classifier: Option<Arc<Classifier>>, mode: OutputMode) -> Self {
        let scanner = classifier
            .as_ref()
            .map(|c| StreamScanner::new(c.clone(), mode.mode, mode.select.clone()));
        Self {
            api,
            parser: SseParser::new(MAX_EVENT),
            decoder: StreamDecoder::new(api),
            scanner,
            classifier,
            mode,
            redactor: Redactor::new(),
            template: None,
            unscanned: 0,
            events: Vec::new(),
            stopped: false,
        }
    }

    fn enforcing(&self) -> bool {
        self.scanner.is_some() && self.mode.mode != StreamMode::Observe
    }

    fn block_event(&self) -> Bytes {
        let msg = format!(
            "aimsgate output rule `{}` stopped this answer: it contained data of a class this AI system may not return",
            self.mode.rule
        );
        Bytes::from(sse::error_event(self.api, "output_blocked", &msg))
    }

    /// Inspect one complete event; returns the bytes to release for it, or `None` to stop.
    fn event(&mut self, ev: SseEvent, out: &mut Vec<u8>) -> bool {
        let delta = self.decoder.on_event(&ev);
        if delta.unparsed {
            self.unscanned += ev.data.len() as u64;
        }
        let Some(scanner) = self.scanner.as_mut() else {
            out.extend_from_slice(&ev.raw);
            return true;
        };
        if delta.snapshot {
            return self.snapshot(ev, out);
        }
        match delta.text {
            Some(text) => {
                let step = scanner.push(&text);
                if step.blocked {
                    return false;
                }
                if self.mode.mode == StreamMode::Observe {
                    out.extend_from_slice(&ev.raw);
                } else {
                    if let Some(e) = sse::replace_delta_text(self.api, &ev, &step.text) {
                        out.extend_from_slice(&e.to_bytes());
                    }
                    self.template = Some(ev);
                }
                true
            }
            None => {
                // A non-text event ends the current run of deltas: flush held-back text first.
                if self.mode.mode != StreamMode::Observe {
                    if let Some(t) = self.template.take() {
                        let step = scanner.finish();
                        if step.blocked {
                            return false;
                        }
                        if !step.text.is_empty() {
                            if let Some(e) = sse::replace_delta_text(self.api, &t, &step.text) {
                                out.extend_from_slice(&e.to_bytes());
                            }
                        }
                    }
                }
                out.extend_from_slice(&ev.raw);
                true
            }
        }
    }

    /// Events that repeat the full text (Responses `*.done`, `response.completed`).
    fn snapshot(&mut self, ev: SseEvent, out: &mut Vec<u8>) -> bool {
        let (Some(c), true) = (&self.classifier, self.enforcing()) else {
            out.extend_from_slice(&ev.raw);
            return true;
        };
        let Ok(segments) = sse::snapshot_segments(self.api, &ev) else {
            self.unscanned += ev.data.len() as u64;
            out.extend_from_slice(&ev.raw);
            return true;
        };
        let mut edits = Vec::new();
        for s in &segments {
            let f = c.classify(&s.text);
            let hits: Vec<_> = f
                .items
                .iter()
                .filter(|x| self.mode.select.iter().any(|p| p.matches(x.class.as_str())))
                .cloned()
                .collect();
            if hits.is_empty() {
                continue;
            }
            if self.mode.mode == StreamMode::Block {
                return false;
            }
            let select = |class: &str| self.mode.select.iter().any(|p| p.matches(class));
            edits.push(Edit {
                raw: s.raw.clone(),
                text: self.redactor.redact(&s.text, &hits, &select),
            });
        }
        match sse::rewrite_event(&ev, &edits) {
            Ok(e) if !edits.is_empty() => out.extend_from_slice(&e.to_bytes()),
            _ => out.extend_from_slice(&ev.raw),
        }
        true
    }
}

impl Inspector for SseInspector {
    fn on_chunk(&mut self, chunk: Bytes) -> Inspected {
        if self.stopped {
            return Inspected::Pass(Bytes::new());
        }
        let mut events = std::mem::take(&mut self.events);
        if self.parser.push(&chunk, &mut events).is_err() {
            // An oversized event cannot be inspected: never pass it on as checked.
            self.unscanned += chunk.len() as u64;
            if self.enforcing() {
                self.stopped = true;
                return Inspected::Stop(self.block_event());
            }
        }
        if !self.enforcing() {
            for ev in events.drain(..) {
                let mut sink = Vec::new();
                self.event(ev, &mut sink);
            }
            self.events = events;
            return Inspected::Pass(chunk);
        }
        let mut out = Vec::with_capacity(chunk.len());
        let mut blocked = false;
        for ev in events.drain(..) {
            if !blocked && !self.event(ev, &mut out) {
                blocked = true;
            }
        }
        self.events = events;
        if blocked {
            self.stopped = true;
            out.extend_from_slice(&self.block_event());
            return Inspected::Stop(Bytes::from(out));
        }
        Inspected::Pass(Bytes::from(out))
    }

    fn on_end(&mut self) -> Option<Bytes> {
        if self.stopped {
            return None;
        }
        let mut events = Vec::new();
        self.parser.finish(&mut events);
        let mut out = Vec::new();
        let enforcing = self.enforcing();
        for ev in events {
            let mut sink = Vec::new();
            if !self.event(ev, if enforcing { &mut out } else { &mut sink }) {
                out.extend_from_slice(&self.block_event());
                return Some(Bytes::from(out));
            }
        }
        if let (Some(s), Some(t)) = (self.scanner.as_mut(), self.template.take()) {
            let step = s.finish();
            if enforcing && !step.text.is_empty() {
                if let Some(e) = sse::replace_delta_text(self.api, &t, &step.text) {
                    out.extend_from_slice(&e.to_bytes());
                }
            }
        } else if let Some(s) = self.scanner.as_mut() {
            let _ = s.finish();
        }
        (!out.is_empty()).then(|| Bytes::from(out))
    }

    fn report(&mut self) -> InspectReport {
        let mut r = InspectReport {
            usage: self.decoder.usage(),
            ..Default::default()
        };
        if let Some(s) = &self.scanner {
            let rep = s.report();
            r.scanned_bytes = rep.scanned_bytes as u64;
            r.scan = record::scan_of(
                rep.scanned_bytes as u64,
                rep.unscanned_bytes as u64 + self.unscanned,
                true,
            );
            r.findings = findings_of(rep.counts, &self.mode);
        }
        r
    }
}

/// What to do with a complete non-streamed answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Buffered {
    /// Send it unchanged.
    Unchanged,
    /// Send this rewritten body.
    Rewritten(Vec<u8>),
    /// Withhold it: a selected class was found under a block rule.
    Withhold,
}

/// Classify a complete non-streamed answer and apply a redact or block output mode to it.
pub fn enforce_buffered(
    api: Api,
    body: &[u8],
    classifier: &Classifier,
    mode: &OutputMode,
    report: &mut InspectReport,
) -> Buffered {
    report.usage = extract::response_usage(api, body);
    let Ok(segments) = extract::response_text(api, body) else {
        report.scan = OutputScan::None;
        return Buffered::Unchanged;
    };
    let mut redactor = Redactor::new();
    let mut edits = Vec::new();
    let mut all = Vec::new();
    let mut withhold = false;
    let (mut scanned, mut unscanned) = (0u64, 0u64);
    let select = |class: &str| mode.select.iter().any(|p| p.matches(class));
    for s in &segments {
        let f = classifier.classify(&s.text);
        scanned += f.scanned_bytes as u64;
        unscanned += f.unscanned_bytes as u64;
        let hits: Vec<_> = f
            .items
            .iter()
            .filter(|x| select(x.class.as_str()))
            .cloned()
            .collect();
        all.extend(f.items);
        if hits.is_empty() {
            continue;
        }
        if mode.mode == StreamMode::Block {
            withhold = true;
            break;
        }
        edits.push(Edit {
            raw: s.raw.clone(),
            text: redactor.redact(&s.text, &hits, &select),
        });
    }
    let counts = crate::classify::Findings {
        items: all,
        ..Default::default()
    }
    .counts();
    report.findings = findings_of(counts, mode);
    report.scanned_bytes = scanned;
    report.scan = record::scan_of(scanned, unscanned, true);
    if withhold {
        return Buffered::Withhold;
    }
    if edits.is_empty() {
        return Buffered::Unchanged;
    }
    match extract::rewrite(body, &edits) {
        Ok(b) => Buffered::Rewritten(b),
        // Never send an answer we failed to redact.
        Err(_) => Buffered::Withhold,
    }
}
