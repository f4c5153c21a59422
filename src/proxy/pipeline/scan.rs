//! Phase 6, classify: every extracted segment through the classifier, the conversation's text
//! also across part boundaries; counts per class and value fingerprints for the evidence.
//!
//! Holds no patterns (those are [`crate::classify`]) and makes no decision.

use super::*;
use crate::taxonomy::ClassCounts;

impl Pipeline {
    /// Phase 6 — classify every piece of text that will reach the model. The segments are
    /// classified as the parts of one request: a value split across two messages or content
    /// parts is found, counted once, and its piece in every part is redacted.
    pub(super) fn classify(&self, ctx: &mut Call, extracted: Option<&Extracted>) -> Scan {
        let Some(ex) = extracted else {
            return Scan::default();
        };
        let classifier = ctx.active.classifier.clone();
        ctx.unscanned_bytes += ex.skipped_binary_bytes as u64;
        let parts: Vec<&str> = ex.segments.iter().map(|s| s.text.as_str()).collect();
        // The conversation's text (messages, content parts, inputs, tool calls and results) is
        // scanned as one text across each boundary, so a value split between two parts is
        // found. Keys, numbers and bookkeeping values are scanned each on its own: glued between
        // prose parts they would only lengthen the tokens a split value sits in.
        let prose: Vec<usize> = ex
            .segments
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                matches!(s.literal, Literal::Str | Literal::Base64) && s.kind != SegmentKind::Other
            })
            .map(|(i, _)| i)
            .collect();
        let prose_text: Vec<&str> = prose.iter().map(|&i| parts[i]).collect();
        let found = classifier.classify_parts(&prose_text);
        let mut per_segment: Vec<Vec<Finding>> = (0..parts.len()).map(|_| Vec::new()).collect();
        // (class, value text when fingerprinting, a published test value)
        let mut values: Vec<(Class, String, bool)> = Vec::new();
        let fingerprinting = self.shared.evidence.fingerprint(b"").is_some();
        for v in found.values {
            // The value as the model reads it: its pieces joined (normalised below).
            let text: String = if fingerprinting {
                v.pieces
                    .iter()
                    .filter_map(|(p, r)| prose_text.get(*p).and_then(|t| t.get(r.clone())))
                    .collect()
            } else {
                String::new()
            };
            values.push((v.class, text, v.test_value));
        }
        for (k, f) in found.parts.into_iter().enumerate() {
            ctx.unscanned_bytes += f.unscanned_bytes as u64;
            if let Some(slot) = prose.get(k).and_then(|&i| per_segment.get_mut(i)) {
                *slot = f.items;
            }
        }
        for (i, text) in parts.iter().enumerate() {
            if prose.binary_search(&i).is_ok() {
                continue;
            }
            let f = classifier.classify(text);
            ctx.unscanned_bytes += f.unscanned_bytes as u64;
            for item in &f.items {
                let v = if fingerprinting {
                    text.get(item.start..item.end)
                        .unwrap_or_default()
                        .to_owned()
                } else {
                    String::new()
                };
                values.push((item.class.clone(), v, item.test_value));
            }
            per_segment[i] = f.items;
        }
        let mut scan = Scan {
            per_segment,
            counts: ClassCounts::new(),
            test_values: ClassCounts::new(),
        };
        for (class, text, test_value) in values {
            if test_value {
                scan.test_values.add(class.clone(), 1);
            }
            if fingerprinting {
                // Normalised, so the same value obfuscated differently fingerprints the same.
                if let Some(hmac) = self
                    .shared
                    .evidence
                    .fingerprint(classify::normalize(&text).as_bytes())
                {
                    ctx.fingerprints.push(ValueFingerprint {
                        class: class.as_str().to_owned(),
                        hmac_sha256: hmac,
                    });
                }
            }
            scan.counts.add(class, 1);
        }
        scan.counts.sort_by_name();
        scan
    }
}
