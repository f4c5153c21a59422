//! The AWS event-stream binary framing (`application/vnd.amazon.eventstream`) that Bedrock's
//! `converse-stream` and `invoke-with-response-stream` answer in: a frame is a prelude (total
//! length, headers length, CRC32 of those 8 bytes), typed headers, a payload and a CRC32 of
//! everything before it.
//!
//! Owns a strict incremental decoder (every CRC checked, every header type bounded, lengths
//! capped) and the encoder for the frames aimsgate writes itself (rewritten deltas, the
//! exception frame that cuts a stream, the mock provider's answers); and the mapping of a
//! Bedrock frame to the [`SseEvent`] the stream decoder reads (`event` = `:event-type`, `data` =
//! the JSON payload; an InvokeModel `chunk`'s base64 `bytes` unwrapped). Pure; what the text
//! means is [`super::sse`]'s.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::sse::{SseEvent, EXCEPTION_PREFIX};

/// Prelude (12 bytes) plus the trailing message CRC (4 bytes).
const OVERHEAD: usize = 16;
/// Largest headers section the format allows.
const MAX_HEADERS: usize = 128 * 1024;

/// Why a stream could not be decoded. Never echoes frame content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    #[error("event-stream frame shorter than its prelude says or than 16 bytes")]
    BadLength,
    #[error("event-stream frame larger than the inspection limit")]
    TooLarge,
    #[error("event-stream prelude CRC mismatch")]
    PreludeCrc,
    #[error("event-stream message CRC mismatch")]
    MessageCrc,
    #[error("event-stream header malformed")]
    BadHeader,
    #[error("event-stream ended inside a frame")]
    Truncated,
}

/// A header value (the types the format defines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    Bool(bool),
    Int(i64),
    Bytes(Vec<u8>),
    Str(String),
    Timestamp(i64),
    Uuid([u8; 16]),
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub headers: Vec<(String, HeaderValue)>,
    pub payload: Vec<u8>,
    /// The frame's exact bytes.
    pub raw: Vec<u8>,
}

impl Frame {
    /// A string header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|(n, v)| match v {
            HeaderValue::Str(s) if n == name => Some(s.as_str()),
            _ => None,
        })
    }
}

/// Decodes one frame from the start of `buf`: `Ok(None)` when more bytes are needed.
pub fn decode_frame(buf: &[u8], max: usize) -> Result<Option<(Frame, usize)>, FrameError> {
    if buf.len() < 12 {
        return Ok(None);
    }
    let total = be32(&buf[0..4]) as usize;
    let hlen = be32(&buf[4..8]) as usize;
    if crc32fast::hash(&buf[0..8]) != be32(&buf[8..12]) {
        return Err(FrameError::PreludeCrc);
    }
    if total < OVERHEAD || hlen > MAX_HEADERS || hlen > total - OVERHEAD {
        return Err(FrameError::BadLength);
    }
    if total > max {
        return Err(FrameError::TooLarge);
    }
    if buf.len() < total {
        return Ok(None);
    }
    if crc32fast::hash(&buf[..total - 4]) != be32(&buf[total - 4..total]) {
        return Err(FrameError::MessageCrc);
    }
    let headers = decode_headers(&buf[12..12 + hlen])?;
    Ok(Some((
        Frame {
            headers,
            payload: buf[12 + hlen..total - 4].to_vec(),
            raw: buf[..total].to_vec(),
        },
        total,
    )))
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn decode_headers(mut b: &[u8]) -> Result<Vec<(String, HeaderValue)>, FrameError> {
    fn take<'a>(b: &mut &'a [u8], n: usize) -> Result<&'a [u8], FrameError> {
        if b.len() < n {
            return Err(FrameError::BadHeader);
        }
        let (head, tail) = b.split_at(n);
        *b = tail;
        Ok(head)
    }
    fn int(bytes: &[u8]) -> i64 {
        bytes.iter().fold(0i64, |acc, &x| (acc << 8) | i64::from(x))
    }
    let mut out = Vec::new();
    while !b.is_empty() {
        let nlen = usize::from(take(&mut b, 1)?[0]);
        let name = std::str::from_utf8(take(&mut b, nlen)?)
            .map_err(|_| FrameError::BadHeader)?
            .to_owned();
        if name.is_empty() {
            return Err(FrameError::BadHeader);
        }
        let value = match take(&mut b, 1)?[0] {
            0 => HeaderValue::Bool(true),
            1 => HeaderValue::Bool(false),
            2 => HeaderValue::Int(i64::from(take(&mut b, 1)?[0] as i8)),
            3 => HeaderValue::Int(i64::from(int(take(&mut b, 2)?) as i16)),
            4 => HeaderValue::Int(i64::from(int(take(&mut b, 4)?) as i32)),
            5 => HeaderValue::Int(int(take(&mut b, 8)?)),
            t @ (6 | 7) => {
                let len = int(take(&mut b, 2)?) as usize;
                let v = take(&mut b, len)?;
                if t == 6 {
                    HeaderValue::Bytes(v.to_vec())
                } else {
                    let s = std::str::from_utf8(v).map_err(|_| FrameError::BadHeader)?;
                    HeaderValue::Str(s.to_owned())
                }
            }
            8 => HeaderValue::Timestamp(int(take(&mut b, 8)?)),
            9 => {
                let mut u = [0u8; 16];
                u.copy_from_slice(take(&mut b, 16)?);
                HeaderValue::Uuid(u)
            }
            _ => return Err(FrameError::BadHeader),
        };
        out.push((name, value));
    }
    Ok(out)
}

/// Encodes a frame with string headers.
pub fn encode_frame(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    for (name, value) in headers {
        let name = &name.as_bytes()[..name.len().min(255)];
        let value = &value.as_bytes()[..value.len().min(usize::from(u16::MAX))];
        h.push(name.len() as u8);
        h.extend_from_slice(name);
        h.push(7);
        h.extend_from_slice(&(value.len() as u16).to_be_bytes());
        h.extend_from_slice(value);
    }
    let total = OVERHEAD + h.len() + payload.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(total as u32).to_be_bytes());
    out.extend_from_slice(&(h.len() as u32).to_be_bytes());
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

/// An `event` frame of `event_type` with a JSON payload, as Bedrock sends them.
pub fn event_frame(event_type: &str, json: &[u8]) -> Vec<u8> {
    encode_frame(
        &[
            (":event-type", event_type),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        json,
    )
}

/// An `exception` frame (`:exception-type` is what botocore raises as the error code).
pub fn exception_frame(exception_type: &str, message: &str) -> Vec<u8> {
    let payload = serde_json::json!({ "message": message }).to_string();
    encode_frame(
        &[
            (":exception-type", exception_type),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        payload.as_bytes(),
    )
}

/// An InvokeModel stream `chunk` frame carrying `json` (base64 in `bytes`).
pub fn chunk_frame(json: &[u8]) -> Vec<u8> {
    let payload = serde_json::json!({ "bytes": STANDARD.encode(json) }).to_string();
    event_frame("chunk", payload.as_bytes())
}

/// A payload that is no JSON object, so the stream decoder marks the event unparsed.
const UNREADABLE: &str = "\u{0}";

/// The frame as the stream decoder reads it: `event` is `:event-type` (or `exception:` plus the
/// `:exception-type` of an exception or error frame), `data` the JSON payload — for an
/// InvokeModel `chunk`, its base64 `bytes` decoded; a payload that is not UTF-8 JSON of the
/// expected form becomes an unreadable one, never an empty (skipped) one. `raw` is the frame.
pub fn to_event(frame: Frame) -> SseEvent {
    let event = match frame.header(":message-type") {
        Some("event") => frame.header(":event-type").map(str::to_owned),
        _ => Some(format!(
            "{EXCEPTION_PREFIX}{}",
            frame
                .header(":exception-type")
                .or_else(|| frame.header(":error-code"))
                .unwrap_or("unknown")
        )),
    };
    let mut data = match String::from_utf8(frame.payload) {
        Ok(s) if !s.is_empty() => s,
        _ => UNREADABLE.to_owned(),
    };
    if event.as_deref() == Some("chunk") {
        data = unwrap_chunk(&data).unwrap_or_else(|| UNREADABLE.to_owned());
    }
    SseEvent {
        event,
        data,
        id: None,
        raw: frame.raw,
    }
}

fn unwrap_chunk(data: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(data).ok()?;
    let bytes = STANDARD.decode(v.get("bytes")?.as_str()?).ok()?;
    String::from_utf8(bytes).ok().filter(|s| !s.is_empty())
}

/// The frame for an event the stream inspector rewrote: the inverse of [`to_event`].
pub fn from_event(ev: &SseEvent) -> Vec<u8> {
    match ev.event.as_deref() {
        Some("chunk") => chunk_frame(ev.data.as_bytes()),
        Some(t) => event_frame(t, ev.data.as_bytes()),
        None => event_frame("unknown", ev.data.as_bytes()),
    }
}

/// An incremental decoder over a byte stream.
#[derive(Debug, Default)]
pub struct FrameParser {
    buf: Vec<u8>,
    max: usize,
    failed: bool,
}

impl FrameParser {
    pub fn new(max_frame: usize) -> Self {
        Self {
            buf: Vec::new(),
            max: max_frame,
            failed: false,
        }
    }

    /// Appends `chunk`, moving every complete frame to `out`. After an error the parser stays
    /// failed (the framing is lost) and takes nothing more.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<Frame>) -> Result<(), FrameError> {
        if self.failed {
            return Err(FrameError::BadLength);
        }
        self.buf.extend_from_slice(chunk);
        let mut at = 0;
        let result = loop {
            match decode_frame(&self.buf[at..], self.max) {
                Ok(Some((frame, used))) => {
                    at += used;
                    out.push(frame);
                }
                Ok(None) => break Ok(()),
                Err(e) => {
                    self.failed = true;
                    break Err(e);
                }
            }
        };
        self.buf.drain(..at);
        result
    }

    /// At the end of the stream: an error when a partial frame is left.
    pub fn finish(&mut self) -> Result<(), FrameError> {
        if self.failed || self.buf.is_empty() {
            return Ok(());
        }
        self.buf.clear();
        Err(FrameError::Truncated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_split_anywhere() {
        let a = event_frame(
            "contentBlockDelta",
            br#"{"contentBlockIndex":0,"delta":{"text":"Hi"}}"#,
        );
        let b = exception_frame("throttlingException", "slow down");
        let all = [a.clone(), b.clone()].concat();
        for cut in 0..all.len() {
            let mut p = FrameParser::new(1 << 20);
            let mut out = Vec::new();
            p.push(&all[..cut], &mut out).unwrap();
            p.push(&all[cut..], &mut out).unwrap();
            p.finish().unwrap();
            assert_eq!(out.len(), 2, "cut at {cut}");
            assert_eq!(out[0].raw, a);
            assert_eq!(
                out[1].header(":exception-type"),
                Some("throttlingException")
            );
        }
        let ev = to_event(decode_frame(&a, 1 << 20).unwrap().unwrap().0);
        assert_eq!(ev.event.as_deref(), Some("contentBlockDelta"));
        assert_eq!(from_event(&ev), a, "re-encoding reproduces Bedrock's frame");
        let ex = to_event(decode_frame(&b, 1 << 20).unwrap().unwrap().0);
        assert_eq!(ex.event.as_deref(), Some("exception:throttlingException"));
    }

    #[test]
    fn invoke_chunks_are_unwrapped() {
        let inner =
            br#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}"#;
        let f = chunk_frame(inner);
        let ev = to_event(decode_frame(&f, 1 << 20).unwrap().unwrap().0);
        assert_eq!(ev.data.as_bytes(), inner);
        assert_eq!(from_event(&ev), f);
        let bad = event_frame("chunk", br#"{"bytes":"%%%"}"#);
        let ev = to_event(decode_frame(&bad, 1 << 20).unwrap().unwrap().0);
        assert_eq!(ev.data, UNREADABLE);
    }

    #[test]
    fn corrupt_frames_are_refused() {
        let f = event_frame("messageStop", br#"{"stopReason":"end_turn"}"#);
        let mut bad = f.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(decode_frame(&bad, 1 << 20), Err(FrameError::MessageCrc));
        let mut bad = f.clone();
        bad[3] ^= 1;
        assert_eq!(decode_frame(&bad, 1 << 20), Err(FrameError::PreludeCrc));
        let mut payload_flip = f.clone();
        payload_flip[40] ^= 0x20;
        assert_eq!(
            decode_frame(&payload_flip, 1 << 20),
            Err(FrameError::MessageCrc)
        );
        assert_eq!(decode_frame(&f, 16), Err(FrameError::TooLarge));
        // A header whose declared length runs past the section.
        let mut h = vec![3u8, b'a', b'b', b'c', 7, 0, 200];
        h.extend_from_slice(b"x");
        let total = (16 + h.len()) as u32;
        let mut raw = total.to_be_bytes().to_vec();
        raw.extend_from_slice(&(h.len() as u32).to_be_bytes());
        let c = crc32fast::hash(&raw);
        raw.extend_from_slice(&c.to_be_bytes());
        raw.extend_from_slice(&h);
        let c = crc32fast::hash(&raw);
        raw.extend_from_slice(&c.to_be_bytes());
        assert_eq!(decode_frame(&raw, 1 << 20), Err(FrameError::BadHeader));
        let mut p = FrameParser::new(1 << 20);
        let mut out = Vec::new();
        p.push(&f[..f.len() - 3], &mut out).unwrap();
        assert!(out.is_empty());
        assert_eq!(p.finish(), Err(FrameError::Truncated));
        let mut p = FrameParser::new(1 << 20);
        assert!(p.push(&bad, &mut out).is_err());
        assert!(p.push(&f, &mut out).is_err(), "stays failed");
    }
}
