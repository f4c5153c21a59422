//! Server-sent events: an incremental, bounded parser, and per-API stream decoders.
//!
//! Owns: cutting an arbitrarily chunked byte stream into events exactly as the WHATWG SSE rules
//! do (`\n`, `\r\n` and `\r` line endings, multi-line `data`, comments, a leading BOM, a line
//! ending split across chunks), with a hard limit on the size of one event; and, in `sse/decode.rs`,
//! reading text deltas, usage and end of stream from OpenAI and Anthropic streams, rewriting a
//! delta's text, and building a terminating error event in each provider's stream error shape.
//!
//! Pure: bytes in, data out. It does not know HTTP, classification or policy; the proxy decides
//! what to do with the text. Two deliberate differences from a browser, both so that the proxy
//! can inspect and forward every byte: blocks with fields but no `data` are handed out (with
//! empty `data`), and [`SseParser::finish`] hands out a final event that was not terminated by a
//! blank line. Comment-only blocks are folded into the next event's `raw`, so the `raw` bytes of
//! all events always add up to the whole stream.

mod decode;

#[cfg(test)]
mod tests;

pub use decode::{
    error_event, replace_delta_text, rewrite_event, snapshot_segments, Delta, StreamDecoder,
    EXCEPTION_PREFIX,
};

/// One parsed event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, if any.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n` (empty when the event had none).
    pub data: String,
    /// The `id:` field, if any.
    pub id: Option<String>,
    /// The exact bytes this event occupied in the stream, comments and the blank line included
    /// (for events built by this module: the bytes of [`SseEvent::to_bytes`]).
    pub raw: Vec<u8>,
}

impl SseEvent {
    /// An event with `event` and `data`; `raw` is filled with its serialisation.
    pub fn new(event: Option<&str>, data: &str) -> Self {
        let mut ev = SseEvent {
            event: event.map(str::to_owned),
            data: data.to_owned(),
            id: None,
            raw: Vec::new(),
        };
        ev.raw = ev.to_bytes();
        ev
    }

    /// Serialises the event's fields (`event`, `id`, one `data:` line per data line, blank
    /// line). Line breaks inside `event`/`id` become spaces so they cannot inject fields.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 32);
        if let Some(event) = &self.event {
            field(&mut out, "event", &one_line(event));
        }
        if let Some(id) = &self.id {
            field(&mut out, "id", &one_line(id));
        }
        let data = self.data.replace("\r\n", "\n").replace('\r', "\n");
        for line in data.split('\n') {
            field(&mut out, "data", line);
        }
        out.push(b'\n');
        out
    }

    /// True for blocks that carried no field at all (only comments or stray blank lines).
    pub fn is_empty(&self) -> bool {
        self.event.is_none() && self.id.is_none() && self.data.is_empty()
    }
}

fn field(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
}

fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// Why a stream could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SseError {
    #[error("stream event larger than {max} bytes")]
    EventTooLarge { max: usize },
}

impl SseError {
    /// A stable machine-readable name.
    pub fn kind(&self) -> &'static str {
        match self {
            SseError::EventTooLarge { .. } => "sse_event_too_large",
        }
    }
}

/// Incremental SSE parser: push chunks split anywhere, get complete events.
#[derive(Debug)]
pub struct SseParser {
    max_event_bytes: usize,
    /// The current line, not yet terminated.
    line: Vec<u8>,
    /// Raw bytes of the current event's completed lines.
    raw: Vec<u8>,
    data: String,
    has_data: bool,
    has_field: bool,
    event: Option<String>,
    id: Option<String>,
    /// The previous chunk ended in `\r`: a leading `\n` in the next one belongs to it.
    pending_cr: bool,
    /// No line has been completed yet (a leading BOM is stripped from the first line).
    first_line: bool,
    failed: bool,
}

impl SseParser {
    /// A parser that refuses any single event (raw bytes) larger than `max_event_bytes`.
    pub fn new(max_event_bytes: usize) -> Self {
        SseParser {
            max_event_bytes,
            line: Vec::new(),
            raw: Vec::new(),
            data: String::new(),
            has_data: false,
            has_field: false,
            event: None,
            id: None,
            pending_cr: false,
            first_line: true,
            failed: false,
        }
    }

    /// Feeds one chunk; complete events are appended to `out`. After an error the parser stays
    /// failed: the stream must be ended.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        if self.failed {
            return Err(SseError::EventTooLarge {
                max: self.max_event_bytes,
            });
        }
        let mut rest = chunk;
        if self.pending_cr && !rest.is_empty() {
            self.pending_cr = false;
            let term: &[u8] = match rest {
                [b'\n', tail @ ..] => {
                    rest = tail;
                    b"\r\n"
                }
                _ => b"\r",
            };
            self.complete_line(term, out)?;
        }
        while let Some(pos) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            let (content, after) = rest.split_at(pos);
            self.line.extend_from_slice(content);
            let term: &[u8] = match after {
                [b'\r', b'\n', ..] => b"\r\n",
                [b'\r'] => {
                    // Is it `\r` or the first half of `\r\n`? The next chunk tells.
                    self.pending_cr = true;
                    return self.check_size();
                }
                [b'\r', ..] => b"\r",
                _ => b"\n",
            };
            rest = after.get(term.len()..).unwrap_or_default();
            self.complete_line(term, out)?;
        }
        self.line.extend_from_slice(rest);
        self.check_size()
    }

    fn complete_line(&mut self, term: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        self.check_size()?;
        self.raw.extend_from_slice(&self.line);
        self.raw.extend_from_slice(term);
        let line = std::mem::take(&mut self.line);
        self.process_line(&line, out);
        Ok(())
    }

    /// Ends the stream: an unterminated last line is processed, and a final event without its
    /// blank line is still handed out (see the module doc).
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) {
        if self.failed {
            return;
        }
        let term: &[u8] = if std::mem::take(&mut self.pending_cr) {
            b"\r"
        } else {
            b""
        };
        if !self.line.is_empty() || !term.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.raw.extend_from_slice(&line);
            self.raw.extend_from_slice(term);
            self.process_line(&line, out);
        }
        // Whatever is left (an event without its blank line, or trailing comments) is handed
        // out too, so the events' `raw` bytes always add up to the whole stream.
        if self.has_field || !self.raw.is_empty() {
            self.dispatch(out);
        }
    }

    fn check_size(&mut self) -> Result<(), SseError> {
        // Two bytes are reserved for the line terminator still to come, so a dispatched event's
        // `raw` never exceeds the limit.
        let pending = self
            .raw
            .len()
            .saturating_add(self.line.len())
            .saturating_add(2);
        if pending > self.max_event_bytes {
            self.failed = true;
            self.line = Vec::new();
            self.raw = Vec::new();
            self.data = String::new();
            return Err(SseError::EventTooLarge {
                max: self.max_event_bytes,
            });
        }
        Ok(())
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        let mut line = line;
        if std::mem::take(&mut self.first_line) {
            if let Some(tail) = line.strip_prefix(b"\xEF\xBB\xBF") {
                line = tail;
            }
        }
        if line.is_empty() {
            // Blocks with fields but no `data` are handed out too (browsers drop them), so the
            // proxy can forward their raw bytes; comment-only blocks stay in the next event's raw.
            if self.has_field {
                self.dispatch(out);
            }
            return;
        }
        if line.first() == Some(&b':') {
            return; // comment
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let (name, value) = line.split_at(colon);
                let value = value.get(1..).unwrap_or_default();
                (name, value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        let value = String::from_utf8_lossy(value);
        match name {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&value);
                self.has_data = true;
                self.has_field = true;
            }
            b"event" => {
                self.event = Some(value.into_owned());
                self.has_field = true;
            }
            b"id" if !value.contains('\0') => {
                self.id = Some(value.into_owned());
                self.has_field = true;
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        out.push(SseEvent {
            event: self.event.take(),
            data: std::mem::take(&mut self.data),
            id: self.id.take(),
            raw: std::mem::take(&mut self.raw),
        });
        self.has_data = false;
        self.has_field = false;
    }
}
