//! Response inspection: what the proxy learns from, and may change in, the provider's answer
//! while it streams through — token usage, output findings, and the output policy applied per
//! data class.
//!
//! Owns the per-class output actions of one response ([`OutputMode`]: every enforced output rule
//! that applies, together — block wins over redact for its classes, redact still applies to the
//! others), the wiring of SSE framing ([`crate::providers::sse`]) to the stream scanner
//! ([`crate::classify::StreamScanner`]) in [`stream`], the whole-answer enforcement of
//! non-streamed bodies in [`buffered`], and the report that tells evidence exactly what was and
//! was not scanned. It makes no policy decision: the output plan arrives from the decide phase.
//!
//! Fail closed: under a block or redact rule an answer the proxy cannot inspect (not the API's
//! JSON, an event that does not parse, a content type that is neither JSON nor an event stream)
//! is refused or its stream cut, never passed through.

mod buffered;
mod mode;
mod stream;

#[cfg(test)]
mod tests;

pub use buffered::{enforce_buffered, Answer, Buffered, JsonObserver, Withheld};
pub use mode::{ContentKind, OutputMode};
pub use stream::SseInspector;
