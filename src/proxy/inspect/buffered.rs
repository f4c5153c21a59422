//! Non-streamed answers: the pass-through observer (usage and findings from a bounded copy),
//! and whole-answer enforcement under block and redact output rules.
//!
//! Owns what "inspectable" means for a complete body and what is done with one that is not:
//! - a 2xx answer must say it is JSON (or say nothing) and be the API's answer object (strict
//!   JSON, with the API's answer member: `choices`, `output`, `content`, `data`,
//!   `input_tokens`); anything else is withheld;
//! - a non-2xx answer is inspected too: as JSON when it parses, else as UTF-8 text; a body
//!   that is neither is withheld;
//! - every string in an inspected JSON body (values and object keys, not only the model's text)
//!   is classified, so no field of an unexpected shape carries a value past the rules. Values are
//!   redacted in place; a redacted class in an object key cannot be rewritten and withholds the
//!   answer; any blocked class withholds it.
//!
//! It does not build the refusal (the pipeline does, from [`Withheld`]).

use std::sync::Arc;

use bytes::Bytes;

use super::mode::{count, findings_of, ContentKind, OutputMode, MAX_CAPTURE};
use crate::classify::{Classifier, Finding, Redactor};
use crate::evidence::proto::OutputScan;
use crate::providers::extract::json::{self, decode_str, Node, Value};
use crate::providers::extract::{self, Api, Edit};
use crate::proxy::body::{Inspected, Inspector};
use crate::proxy::outcome::{self, InspectReport};

/// A non-streamed JSON answer, passed through untouched (no rule blocks or redacts): keeps a
/// bounded copy to read usage and, when a classifier is given, to classify the answer text at
/// the end.
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
                let (scanned, unscanned, counts, tests) =
                    super::mode::classify_segments(c, segments.iter().map(|s| s.text.as_str()));
                r.scanned_bytes = scanned;
                r.scan = outcome::scan_of(scanned, unscanned, true);
                r.findings = findings_of(counts, &tests, &self.mode, false);
            }
        }
        r
    }
}

/// A complete non-streamed answer.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    pub api: Api,
    /// The upstream answered 2xx.
    pub success: bool,
    pub content: ContentKind,
    pub body: &'a [u8],
}

/// What to do with a complete non-streamed answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Buffered {
    /// Send it unchanged.
    Unchanged,
    /// Send this rewritten body.
    Rewritten(Vec<u8>),
    /// Withhold it.
    Withhold(Withheld),
}

/// Why an answer was withheld; each names the rule that required it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Withheld {
    /// A class selected by a block rule was found.
    Blocked { rule: String, class: String },
    /// The answer could not be inspected (or a redaction could not be applied), and a block or
    /// redact rule requires inspecting it.
    Uninspectable { rule: String, why: &'static str },
}

/// One string of the body: its text, and where its literal is (`None` for object keys and
/// for a whole text body).
struct Piece {
    text: String,
    raw: Option<std::ops::Range<usize>>,
}

/// Classify a complete answer and apply the per-class output actions to it (see the module doc).
pub fn enforce_buffered(
    answer: &Answer<'_>,
    classifier: &Classifier,
    mode: &OutputMode,
    report: &mut InspectReport,
) -> Buffered {
    let uninspectable = |why| {
        Buffered::Withhold(Withheld::Uninspectable {
            rule: mode.inspecting_rule().to_owned(),
            why,
        })
    };
    if answer.success {
        report.usage = extract::response_usage(answer.api, answer.body);
    }
    if answer.body.is_empty() {
        report.scan = OutputScan::Full;
        return Buffered::Unchanged;
    }
    let (pieces, text_body) = match pieces_of(answer) {
        Ok(p) => p,
        Err(why) => return uninspectable(why),
    };
    let mut redactor = Redactor::new();
    let mut edits = Vec::new();
    let mut found: Vec<Finding> = Vec::new();
    let mut verdict: Option<Withheld> = None;
    let mut whole: Option<String> = None;
    let (mut scanned, mut unscanned) = (0u64, 0u64);
    let redacts = |class: &str| mode.redacts(class);
    for p in &pieces {
        let f = classifier.classify(&p.text);
        scanned += f.scanned_bytes as u64;
        unscanned += f.unscanned_bytes as u64;
        let blocked = f
            .items
            .iter()
            .find_map(|x| mode.blocking_rule(x.class.as_str()).map(|r| (r, &x.class)));
        let redact = f.items.iter().any(|x| redacts(x.class.as_str()));
        found.extend(f.items.iter().cloned());
        if verdict.is_some() {
            continue; // keep counting what the answer held
        }
        if let Some((rule, class)) = blocked {
            verdict = Some(Withheld::Blocked {
                rule: rule.to_owned(),
                class: class.as_str().to_owned(),
            });
            continue;
        }
        if !redact {
            continue;
        }
        let text = redactor.redact(&p.text, &f.items, &redacts);
        match (&p.raw, text_body) {
            (Some(raw), _) => edits.push(Edit {
                raw: raw.clone(),
                text,
            }),
            (None, true) => whole = Some(text),
            (None, false) => {
                verdict = Some(Withheld::Uninspectable {
                    rule: mode.inspecting_rule().to_owned(),
                    why: "a value to redact is an object key, which cannot be rewritten",
                });
            }
        }
    }
    report.findings = findings_of(
        count(found.iter().map(|f| &f.class)),
        &crate::classify::count_test_values(&found),
        mode,
        verdict.is_some(),
    );
    report.scanned_bytes = scanned;
    report.scan = outcome::scan_of(scanned, unscanned, true);
    if let Some(w) = verdict {
        return Buffered::Withhold(w);
    }
    if let Some(text) = whole {
        return Buffered::Rewritten(text.into_bytes());
    }
    if edits.is_empty() {
        return Buffered::Unchanged;
    }
    match extract::rewrite(answer.body, &edits) {
        Ok(b) => Buffered::Rewritten(b),
        // Never send an answer we failed to redact.
        Err(_) => uninspectable("the redaction could not be applied"),
    }
}

/// The strings to classify, and whether the body is one plain text (not JSON).
fn pieces_of(answer: &Answer<'_>) -> Result<(Vec<Piece>, bool), &'static str> {
    let body = answer.body;
    if answer.success {
        if !matches!(answer.content, ContentKind::Json | ContentKind::Missing) {
            return Err("its content type is neither JSON nor an event stream");
        }
        let root = json::parse(body).map_err(|_| "it is not valid JSON")?;
        if !answer_members(answer.api)
            .iter()
            .any(|m| root.get(m).is_some())
        {
            return Err("it is not an answer of this API");
        }
        return Ok((strings(body, &root)?, false));
    }
    if let Ok(root) = json::parse(body) {
        return Ok((strings(body, &root)?, false));
    }
    let text = std::str::from_utf8(body).map_err(|_| "it is neither JSON nor UTF-8 text")?;
    Ok((
        vec![Piece {
            text: text.to_owned(),
            raw: None,
        }],
        true,
    ))
}

/// The members of which every 2xx answer of `api` has at least one.
fn answer_members(api: Api) -> &'static [&'static str] {
    match api {
        Api::OpenAiChat | Api::OpenAiCompletions => &["choices"],
        Api::OpenAiResponses => &["output"],
        Api::OpenAiEmbeddings => &["data"],
        Api::AnthropicMessages => &["content"],
        Api::AnthropicCountTokens => &["input_tokens"],
        // A prompt Google blocks is answered 200 with `promptFeedback` and no candidates.
        Api::GeminiGenerate => &["candidates", "promptFeedback"],
        Api::GeminiCountTokens => &["totalTokens"],
        Api::GeminiEmbed => &["embedding", "embeddings"],
        Api::BedrockConverse => &["output"],
        Api::BedrockInvoke => &["content"],
    }
}

/// Every string value (with its literal's range) and every object key in the document.
fn strings(body: &[u8], root: &Node) -> Result<Vec<Piece>, &'static str> {
    fn walk(body: &[u8], node: &Node, out: &mut Vec<Piece>) -> Result<(), &'static str> {
        match &node.value {
            Value::Str => out.push(Piece {
                text: decode_str(body, &node.span).map_err(|_| "a string could not be decoded")?,
                raw: Some(node.span.clone()),
            }),
            Value::Array(items) => {
                for n in items {
                    walk(body, n, out)?;
                }
            }
            Value::Object(members) => {
                for (key, child) in members {
                    out.push(Piece {
                        text: key.clone(),
                        raw: None,
                    });
                    walk(body, child, out)?;
                }
            }
            Value::Null | Value::Bool(_) | Value::Number => {}
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(body, root, &mut out)?;
    Ok(out)
}
