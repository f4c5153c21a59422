//! Streamed answers under inspection: server-sent events, and Bedrock's AWS event-stream
//! frames (decoded to the same events, re-encoded with fresh CRCs when rewritten).
//!
//! With no rule to block or redact, bytes pass through as they arrive and a copy is parsed (usage,
//! findings). Otherwise only complete, inspected events are released: text deltas go through
//! the stream scanner, which redacts the redact classes and stops before the first finding of a
//! block class; snapshot events (Responses `*.done`) are classified and rewritten whole. The
//! stream is cut — with the provider's own stream error event, naming the rule — at a block, at an
//! event whose payload does not parse, and at an event larger than the inspection limit: nothing
//! that was not inspected is forwarded.

use std::sync::Arc;

use bytes::Bytes;

use super::mode::{findings_of, OutputMode, MAX_EVENT};
use crate::classify::{Classifier, Redactor, StreamScanner, StreamStep};
use crate::providers::eventstream::{self, FrameParser};
use crate::providers::extract::{Api, Edit};
use crate::providers::sse::{self, SseEvent, SseParser, StreamDecoder};
use crate::proxy::body::{Inspected, Inspector};
use crate::proxy::outcome::{self, InspectReport};

/// Why the stream was cut.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cut {
    /// A block rule's class was found.
    Blocked { rule: String, class: String },
    /// An event could not be inspected.
    Uninspectable(&'static str),
}

/// How the stream is framed.
enum Framing {
    Sse(SseParser),
    /// `application/vnd.amazon.eventstream` (Bedrock).
    EventStream(FrameParser),
}

/// A streamed answer; see the module doc.
pub struct SseInspector {
    api: Api,
    framing: Framing,
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
        let scanner = classifier.as_ref().map(|c| {
            let (block, redact) = mode.patterns();
            StreamScanner::with_actions(c.clone(), block, redact)
        });
        Self {
            api,
            framing: Framing::Sse(SseParser::new(MAX_EVENT)),
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

    /// The same inspection over AWS event-stream frames (Bedrock's streams).
    pub fn event_stream(api: Api, classifier: Option<Arc<Classifier>>, mode: OutputMode) -> Self {
        Self {
            framing: Framing::EventStream(FrameParser::new(MAX_EVENT)),
            ..Self::new(api, classifier, mode)
        }
    }

    /// The bytes of an event this inspector built or rewrote, in the stream's framing.
    fn encode(&self, ev: &SseEvent) -> Vec<u8> {
        match self.framing {
            Framing::Sse(_) => ev.to_bytes(),
            Framing::EventStream(_) => eventstream::from_event(ev),
        }
    }

    /// Parse `chunk` into complete events; `Err` when the framing broke or an event is over
    /// the inspection limit.
    fn parse(&mut self, chunk: &[u8], events: &mut Vec<SseEvent>) -> Result<(), ()> {
        match &mut self.framing {
            Framing::Sse(p) => p.push(chunk, events).map_err(|_| ()),
            Framing::EventStream(p) => {
                let mut frames = Vec::new();
                let r = p.push(chunk, &mut frames).map_err(|_| ());
                events.extend(frames.into_iter().map(eventstream::to_event));
                r
            }
        }
    }

    /// The events left at the end of the stream; `Err` when a partial frame was left.
    fn parse_end(&mut self, events: &mut Vec<SseEvent>) -> Result<(), ()> {
        match &mut self.framing {
            Framing::Sse(p) => {
                p.finish(events);
                Ok(())
            }
            Framing::EventStream(p) => p.finish().map_err(|_| ()),
        }
    }

    fn enforcing(&self) -> bool {
        self.scanner.is_some() && self.mode.enforcing()
    }

    /// The terminating error event, in the provider's stream error shape.
    fn cut_event(&self, cut: &Cut) -> Bytes {
        let (kind, msg) = match cut {
            Cut::Blocked { rule, class } => (
                "output_blocked",
                format!(
                    "aimsgate output rule `{rule}` stopped this answer: it contained data of a class ({class}) this AI system may not return"
                ),
            ),
            Cut::Uninspectable(why) => (
                "output_uninspectable",
                format!(
                    "aimsgate output rule `{}` stopped this answer: {why}, and the rule requires every event to be inspected",
                    self.mode.inspecting_rule()
                ),
            ),
        };
        match self.framing {
            Framing::Sse(_) => Bytes::from(sse::error_event(self.api, kind, &msg)),
            Framing::EventStream(_) => {
                let exception = match cut {
                    Cut::Blocked { .. } => "AccessDeniedException",
                    Cut::Uninspectable(_) => "InternalServerException",
                };
                Bytes::from(eventstream::exception_frame(exception, &msg))
            }
        }
    }

    /// The cut a scanner step asks for, after releasing the text it still allows.
    fn release(
        &mut self,
        step: StreamStep,
        template: &SseEvent,
        out: &mut Vec<u8>,
    ) -> Result<(), Cut> {
        if !step.text.is_empty() {
            if let Some(e) = sse::replace_delta_text(self.api, template, &step.text) {
                out.extend_from_slice(&self.encode(&e));
            }
        }
        if !step.blocked {
            return Ok(());
        }
        let (rule, class) = step
            .findings
            .iter()
            .find_map(|f| {
                self.mode
                    .blocking_rule(f.class.as_str())
                    .map(|r| (r.to_owned(), f.class.as_str().to_owned()))
            })
            .unwrap_or_else(|| (self.mode.inspecting_rule().to_owned(), String::new()));
        Err(Cut::Blocked { rule, class })
    }

    /// Inspect one complete event, appending the bytes to release for it to `out`.
    fn event(&mut self, ev: SseEvent, out: &mut Vec<u8>) -> Result<(), Cut> {
        let delta = self.decoder.on_event(&ev);
        let enforcing = self.enforcing();
        if delta.unparsed {
            self.unscanned += ev.data.len() as u64;
            if enforcing {
                self.flush(out)?;
                return Err(Cut::Uninspectable(
                    "an event of the stream could not be parsed",
                ));
            }
        }
        let Some(scanner) = self.scanner.as_mut() else {
            out.extend_from_slice(&ev.raw);
            return Ok(());
        };
        if delta.snapshot {
            return self.snapshot(ev, out);
        }
        match delta.text {
            Some(text) => {
                let step = scanner.push(&text);
                if !enforcing {
                    out.extend_from_slice(&ev.raw);
                    return Ok(());
                }
                let r = self.release(step, &ev, out);
                self.template = Some(ev);
                r
            }
            None => {
                // A non-text event ends the current run of deltas: flush held-back text first.
                if enforcing {
                    self.flush(out)?;
                }
                out.extend_from_slice(&ev.raw);
                Ok(())
            }
        }
    }

    /// Scan to its end and release the text held back from the current run of deltas.
    fn flush(&mut self, out: &mut Vec<u8>) -> Result<(), Cut> {
        let (Some(scanner), Some(t)) = (self.scanner.as_mut(), self.template.take()) else {
            return Ok(());
        };
        let step = scanner.finish();
        self.release(step, &t, out)
    }

    /// Events that repeat the full text (Responses `*.done`, `response.completed`).
    fn snapshot(&mut self, ev: SseEvent, out: &mut Vec<u8>) -> Result<(), Cut> {
        let (Some(c), true) = (&self.classifier, self.enforcing()) else {
            out.extend_from_slice(&ev.raw);
            return Ok(());
        };
        let Ok(segments) = sse::snapshot_segments(self.api, &ev) else {
            self.unscanned += ev.data.len() as u64;
            return Err(Cut::Uninspectable(
                "an event of the stream could not be parsed",
            ));
        };
        let mode = &self.mode;
        let redacts = |class: &str| mode.redacts(class);
        let mut edits = Vec::new();
        for s in &segments {
            let f = c.classify(&s.text);
            if let Some((rule, class)) = f
                .items
                .iter()
                .find_map(|x| mode.blocking_rule(x.class.as_str()).map(|r| (r, &x.class)))
            {
                return Err(Cut::Blocked {
                    rule: rule.to_owned(),
                    class: class.as_str().to_owned(),
                });
            }
            if f.items.iter().any(|x| redacts(x.class.as_str())) {
                edits.push(Edit {
                    raw: s.raw.clone(),
                    text: self.redactor.redact(&s.text, &f.items, &redacts),
                });
            }
        }
        if edits.is_empty() {
            out.extend_from_slice(&ev.raw);
            return Ok(());
        }
        match sse::rewrite_event(&ev, &edits) {
            Ok(e) => {
                out.extend_from_slice(&self.encode(&e));
                Ok(())
            }
            // Never forward a snapshot we failed to redact.
            Err(_) => Err(Cut::Uninspectable("a redaction could not be applied")),
        }
    }

    /// End the stream after `out` with the cut's error event.
    fn stop(&mut self, cut: &Cut, mut out: Vec<u8>) -> Bytes {
        self.stopped = true;
        out.extend_from_slice(&self.cut_event(cut));
        Bytes::from(out)
    }
}

impl Inspector for SseInspector {
    fn on_chunk(&mut self, chunk: Bytes) -> Inspected {
        if self.stopped {
            return Inspected::Pass(Bytes::new());
        }
        let mut events = std::mem::take(&mut self.events);
        let oversized = self.parse(&chunk, &mut events).is_err();
        if oversized {
            // An oversized event cannot be inspected: never pass it on as checked.
            self.unscanned += chunk.len() as u64;
        }
        if !self.enforcing() {
            for ev in events.drain(..) {
                let mut sink = Vec::new();
                let _ = self.event(ev, &mut sink);
            }
            self.events = events;
            return Inspected::Pass(chunk);
        }
        let mut out = Vec::with_capacity(chunk.len());
        let mut cut = None;
        for ev in events.drain(..) {
            if cut.is_none() {
                cut = self.event(ev, &mut out).err();
            }
        }
        self.events = events;
        if cut.is_none() && oversized {
            cut = Some(self.flush(&mut out).err().unwrap_or(Cut::Uninspectable(
                "an event of the stream exceeded the inspection limit",
            )));
        }
        match cut {
            Some(cut) => Inspected::Stop(self.stop(&cut, out)),
            None => Inspected::Pass(Bytes::from(out)),
        }
    }

    fn on_end(&mut self) -> Option<Bytes> {
        if self.stopped {
            return None;
        }
        let mut events = Vec::new();
        let truncated = self.parse_end(&mut events).is_err();
        let mut out = Vec::new();
        if truncated && self.enforcing() {
            let cut = Cut::Uninspectable("the stream ended inside an event-stream frame");
            return Some(self.stop(&cut, out));
        }
        if !self.enforcing() {
            for ev in events {
                let _ = self.event(ev, &mut Vec::new());
            }
            if let Some(s) = self.scanner.as_mut() {
                let _ = s.finish();
            }
            return None;
        }
        for ev in events {
            if let Err(cut) = self.event(ev, &mut out) {
                return Some(self.stop(&cut, out));
            }
        }
        if let Err(cut) = self.flush(&mut out) {
            return Some(self.stop(&cut, out));
        }
        if let Some(s) = self.scanner.as_mut() {
            let _ = s.finish(); // nothing held: closes the scanner's report
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
            r.scan = outcome::scan_of(
                rep.scanned_bytes as u64,
                rep.unscanned_bytes as u64 + self.unscanned,
                true,
            );
            r.findings = findings_of(rep.counts, &rep.test_values, &self.mode, false);
        }
        r
    }
}
