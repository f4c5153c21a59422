//! [`Classifier`]: builds the engine and dictionaries, and classifies one text (normalisation
//! fold, engine, name and dictionary scans, span mapping back to the original bytes, overlap
//! resolution).
//!
//! Owns the per-text driver only: detection lives in `engine`, `names` and `dictionary`, folding in
//! `normalize`, streams in `stream`, multi-part requests in `parts`.

use super::types::{ClassifierOptions, ClassifyError, Finding, Findings, TestValues};
use super::{dictionary, engine, names, normalize, testvalues, validate};

/// The built classifier. `Send + Sync`; build once and share through an `Arc`.
#[derive(Debug)]
pub struct Classifier {
    engine: engine::Engine,
    names: names::NameDetector,
    dictionaries: Option<dictionary::DictionaryMatcher>,
    max_scan_bytes: usize,
    test_values: TestValues,
}

impl Classifier {
    /// Compile the detector catalog and the dictionaries.
    pub fn new(opts: &ClassifierOptions) -> Result<Self, ClassifyError> {
        Ok(Self {
            engine: engine::Engine::new()?,
            names: names::NameDetector::new(),
            dictionaries: dictionary::DictionaryMatcher::new(&opts.dictionaries)?,
            max_scan_bytes: opts.max_scan_bytes,
            test_values: opts.test_values,
        })
    }

    /// Classify one text. Only the first `max_scan_bytes` (rounded down to a char boundary) are
    /// scanned; the rest is reported in [`Findings::unscanned_bytes`].
    pub fn classify(&self, text: &str) -> Findings {
        self.classify_from(text, 0, None)
    }

    /// [`classify`](Self::classify) for the stream scanner: no finding starts before `from`
    /// (the text before it is context only), and `spans` receives the candidates the scan
    /// stepped over (see [`engine::Engine::scan`]) so the next scan can restart where this
    /// one would have been.
    pub(crate) fn classify_from(
        &self,
        text: &str,
        from: usize,
        spans: Option<&mut Vec<(usize, usize)>>,
    ) -> Findings {
        let limit = validate::floor_char_boundary(text, self.max_scan_bytes.min(text.len()));
        let head = text.get(..limit).unwrap_or("");
        let items = match normalize::fold(head) {
            // Fast path: nothing to fold (pure ASCII, or no foldable char).
            None => self.scan_text(text, from, limit, spans),
            Some(folded) => {
                let nfrom = folded.norm_of(from);
                let mut nspans = spans.as_ref().map(|_| Vec::new());
                let items = self.scan_text(&folded.text, nfrom, folded.text.len(), nspans.as_mut());
                if let (Some(out), Some(ns)) = (spans, nspans) {
                    out.extend(
                        ns.into_iter()
                            .map(|(s, p)| (folded.orig_start(s), folded.orig_start(p))),
                    );
                }
                items
                    .into_iter()
                    .map(|f| Finding {
                        start: folded.orig_start(f.start),
                        end: folded.orig_end(f.end),
                        ..f
                    })
                    .collect()
            }
        };
        let mut items = items;
        for f in &mut items {
            f.test_value = text
                .get(f.start..f.end)
                .is_some_and(|v| testvalues::is_test_value(&f.class, v));
        }
        if self.test_values == TestValues::Ignore {
            items.retain(|f| !f.test_value);
        }
        Findings {
            items: resolve_overlaps(items),
            scanned_bytes: limit,
            unscanned_bytes: text.len().saturating_sub(limit),
        }
    }
}

impl Classifier {
    /// Engine and dictionaries over `text[from..limit]` (offsets in `text`).
    fn scan_text(
        &self,
        text: &str,
        from: usize,
        limit: usize,
        spans: Option<&mut Vec<(usize, usize)>>,
    ) -> Vec<Finding> {
        let mut items = self.engine.scan(text, from, limit, spans);
        let engine_found = items.len();
        self.names.scan(text, limit, &mut items);
        if let Some(d) = &self.dictionaries {
            d.scan(text, limit, &mut items);
        }
        if items.len() > engine_found {
            items.retain(|f| f.start >= from);
        }
        items
    }
}

/// Sort by start (longer first on ties) and drop findings overlapping an earlier kept one.
fn resolve_overlaps(mut items: Vec<Finding>) -> Vec<Finding> {
    items.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out: Vec<Finding> = Vec::with_capacity(items.len());
    for f in items {
        if f.start >= f.end {
            continue;
        }
        match out.last() {
            Some(prev) if f.start < prev.end => {}
            _ => out.push(f),
        }
    }
    out
}
