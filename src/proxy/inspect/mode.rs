//! The output policy one response is inspected under ([`OutputMode`]), what its content type
//! says it is ([`ContentKind`]), the capture limits, and the per-class tally of what was found
//! and done. A leaf shared by the buffered and streamed inspectors.

use std::sync::Arc;

use crate::classify::{Class, Classifier};
use crate::evidence::proto::ClassAction;
use crate::policy::{OutputAction, OutputPlan};
use crate::proxy::outcome::ClassTally;
use crate::taxonomy::{ClassCount, ClassCounts, ClassPattern};

/// Largest non-streamed response body kept for usage and output classification.
pub(super) const MAX_CAPTURE: usize = 8 * 1024 * 1024;
/// Largest single SSE event.
pub(super) const MAX_EVENT: usize = 4 * 1024 * 1024;

/// The output policy for one response: the class patterns of every enforced block and redact
/// output rule that applies, with the rule each came from. A class is blocked if any block
/// pattern selects it, else redacted if any redact pattern does, else observed — the same
/// resolution as [`OutputPlan::action_for`], which `policy explain` prints.
#[derive(Debug, Clone, Default)]
pub struct OutputMode {
    block: Vec<(ClassPattern, Arc<str>)>,
    redact: Vec<(ClassPattern, Arc<str>)>,
}

impl OutputMode {
    /// Count findings only.
    pub fn observe() -> Self {
        Self::default()
    }

    /// The enforced part of a plan; monitor-mode entries only observe.
    pub fn from_plan(plan: &OutputPlan) -> Self {
        let mut mode = Self::default();
        for e in plan.entries.iter().filter(|e| !e.monitor) {
            let list = match e.action {
                OutputAction::Observe => continue,
                OutputAction::Redact => &mut mode.redact,
                OutputAction::Block => &mut mode.block,
            };
            list.extend(e.classes.iter().map(|p| (p.clone(), e.rule.id.clone())));
        }
        mode
    }

    /// Does any rule block or redact? If not, answers pass untouched (observed only).
    pub fn enforcing(&self) -> bool {
        !self.block.is_empty() || !self.redact.is_empty()
    }

    /// The enforced action for `class`.
    pub fn action(&self, class: &str) -> OutputAction {
        if self.blocking_rule(class).is_some() {
            OutputAction::Block
        } else if self.redact.iter().any(|(p, _)| p.matches(class)) {
            OutputAction::Redact
        } else {
            OutputAction::Observe
        }
    }

    /// Is `class` redacted (selected by a redact rule and by no block rule)?
    pub fn redacts(&self, class: &str) -> bool {
        self.action(class) == OutputAction::Redact
    }

    /// The first block rule that selects `class`.
    pub fn blocking_rule(&self, class: &str) -> Option<&str> {
        self.block
            .iter()
            .find(|(p, _)| p.matches(class))
            .map(|(_, r)| &**r)
    }

    /// The rule named when an answer cannot be inspected: the first block rule, else the first
    /// redact rule.
    pub fn inspecting_rule(&self) -> &str {
        self.block
            .first()
            .or(self.redact.first())
            .map_or("default", |(_, r)| &**r)
    }

    /// The block patterns and the redact patterns, for the stream scanner.
    pub fn patterns(&self) -> (Vec<ClassPattern>, Vec<ClassPattern>) {
        let pats = |l: &[(ClassPattern, Arc<str>)]| l.iter().map(|(p, _)| p.clone()).collect();
        (pats(&self.block), pats(&self.redact))
    }
}

/// What a response's `Content-Type` says it is. Media types are compared case-insensitively and
/// parameters (`; charset=utf-8`) are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    /// `text/event-stream`.
    EventStream,
    /// `application/vnd.amazon.eventstream` (Bedrock's binary event stream).
    AwsEventStream,
    /// `application/json` or any `+json` type.
    Json,
    /// Something else (`text/plain`, `text/html`, ...).
    Other,
    /// No (readable) `Content-Type` header.
    Missing,
}

impl ContentKind {
    /// Classify a `Content-Type` header value.
    pub fn of(value: Option<&http::HeaderValue>) -> Self {
        let Some(v) = value else {
            return Self::Missing;
        };
        let Ok(v) = v.to_str() else {
            return Self::Other;
        };
        let media = v.split(';').next().unwrap_or_default().trim();
        if media.eq_ignore_ascii_case("text/event-stream") {
            Self::EventStream
        } else if media.eq_ignore_ascii_case("application/vnd.amazon.eventstream") {
            Self::AwsEventStream
        } else if media.eq_ignore_ascii_case("application/json")
            || media
                .len()
                .checked_sub(5)
                .and_then(|i| media.get(i..))
                .is_some_and(|tail| tail.eq_ignore_ascii_case("+json"))
        {
            Self::Json
        } else if media.is_empty() {
            Self::Missing
        } else {
            Self::Other
        }
    }
}

/// Per-class counts with the action actually taken. `withheld`: the whole answer was refused,
/// so no value of any class reached the client.
pub(super) fn findings_of(
    counts: ClassCounts<Class>,
    tests: &ClassCounts<Class>,
    mode: &OutputMode,
    withheld: bool,
) -> Vec<ClassTally> {
    counts
        .into_iter()
        .map(|ClassCount { class: c, count: n }| {
            let action = match mode.action(c.as_str()) {
                _ if withheld => ClassAction::Blocked,
                OutputAction::Block => ClassAction::Blocked,
                OutputAction::Redact => ClassAction::Redacted,
                OutputAction::Observe => ClassAction::Allowed,
            };
            ClassTally {
                test_values: tests.get(c.as_str()),
                class: c.as_str().to_owned(),
                count: n,
                action,
            }
        })
        .collect()
}

pub(super) fn classify_segments<'a>(
    c: &Classifier,
    texts: impl Iterator<Item = &'a str>,
) -> (u64, u64, ClassCounts<Class>, ClassCounts<Class>) {
    let mut all = Vec::new();
    let (mut scanned, mut unscanned) = (0u64, 0u64);
    for t in texts {
        let f = c.classify(t);
        scanned += f.scanned_bytes as u64;
        unscanned += f.unscanned_bytes as u64;
        all.extend(f.items);
    }
    (
        scanned,
        unscanned,
        count(all.iter().map(|f| &f.class)),
        crate::classify::count_test_values(&all),
    )
}

pub(super) fn count<'a>(classes: impl Iterator<Item = &'a Class>) -> ClassCounts<Class> {
    let mut counts = ClassCounts::new();
    for c in classes {
        counts.add(c.clone(), 1);
    }
    counts
}
