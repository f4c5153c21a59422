//! Values split across the parts of one request (messages, content parts, fields): every part is
//! classified on its own, and the seams between consecutive parts are classified once more as
//! one concatenated text, so `4539 1488` + `0343 6467` or `ghp_8asp` + `m4G7…` are still found.
//!
//! Each seam is scanned twice: with the parts glued (a token cut in the middle) and, where
//! neither side has whitespace at the seam, with a space between (digit groups cut at a group
//! boundary). Only the text within [`SEAM`] bytes of a boundary (256 for the spaced scan) is
//! rescanned (windows merged where parts are short), so the extra cost is bounded by twice the
//! request text and stays linear. A finding that touches two or more parts is mapped back to one piece per part.
//!
//! Owns only the split/merge logic; detection is the engine's, redaction the caller's.

use std::collections::BTreeMap;
use std::ops::Range;

use super::classifier::Classifier;
use super::types::{Class, Finding, Findings};
use super::validate::{ceil_char_boundary, floor_char_boundary};

/// Bytes on each side of a boundary rescanned as one text (parts glued).
pub const SEAM: usize = 4096;
/// The same for the scan with a space at the boundary: it only matters for short multi-group
/// values (digit groups, `AWS secret key: …` phrases).
const SPACED_SEAM: usize = 256;

/// One detected value, possibly split over several parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitValue {
    /// The data class of the value.
    pub class: Class,
    /// Detector that confirmed it.
    pub detector: &'static str,
    /// (part index, byte range in that part), in order; one piece unless the value was split.
    pub pieces: Vec<(usize, Range<usize>)>,
    /// A published test value (see [`Finding::test_value`]).
    pub test_value: bool,
}

/// The result of [`Classifier::classify_parts`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartsFindings {
    /// Per part: its findings, including the pieces of values split across parts (sorted,
    /// disjoint: overlapping findings are merged into the first so redaction covers both).
    pub parts: Vec<Findings>,
    /// Every value once (a split value is one entry with several pieces), for counting and
    /// fingerprinting.
    pub values: Vec<SplitValue>,
}

impl Classifier {
    /// Classify the parts of one request: each part alone, plus the seams between consecutive
    /// parts as one text, so values split across parts are found and reported on every part
    /// they touch.
    pub fn classify_parts(&self, parts: &[&str]) -> PartsFindings {
        let mut per: Vec<Findings> = parts.iter().map(|p| self.classify(p)).collect();
        let mut values: Vec<SplitValue> = per
            .iter()
            .enumerate()
            .flat_map(|(i, f)| {
                f.items.iter().map(move |x| SplitValue {
                    class: x.class.clone(),
                    detector: x.detector,
                    pieces: vec![(i, x.start..x.end)],
                    test_value: x.test_value,
                })
            })
            .collect();
        let mut cross: Vec<SplitValue> = Vec::new();
        if parts.len() >= 2 {
            self.seams(parts, false, &mut cross);
            self.seams(parts, true, &mut cross);
        }
        // Per part, the disjoint spans taken so far (start -> end): the part's own findings,
        // then each accepted split value. A seam finding overlapping a value found inside one
        // part is that value glued to its neighbour (`jane@corp.net` + `hello`), not a split
        // value; one overlapping an accepted split value is the same value seen by the other
        // join. Lookups are O(log n), so many parts and findings stay cheap.
        let mut taken: Vec<BTreeMap<usize, usize>> = per
            .iter()
            .map(|f| f.items.iter().map(|x| (x.start, x.end)).collect())
            .collect();
        for v in cross {
            let clash = v.pieces.iter().any(|(p, r)| {
                taken.get(*p).is_some_and(|m| {
                    m.range(..r.end)
                        .next_back()
                        .is_some_and(|(_, &end)| end > r.start)
                })
            });
            if clash {
                continue;
            }
            for (p, r) in &v.pieces {
                if let Some(m) = taken.get_mut(*p) {
                    m.insert(r.start, r.end);
                }
                if let Some(f) = per.get_mut(*p) {
                    f.items.push(Finding {
                        class: v.class.clone(),
                        start: r.start,
                        end: r.end,
                        detector: v.detector,
                        test_value: v.test_value,
                    });
                }
            }
            values.push(v);
        }
        for f in &mut per {
            f.items = merge_overlaps(std::mem::take(&mut f.items));
        }
        PartsFindings { parts: per, values }
    }

    /// Scan the seams of `parts` joined with nothing (`spaced == false`) or with one space at
    /// the boundaries where neither side is whitespace; push the findings touching 2+ parts.
    fn seams(&self, parts: &[&str], spaced: bool, out: &mut Vec<SplitValue>) {
        let mut cat = String::new();
        let mut ranges: Vec<Range<usize>> = Vec::with_capacity(parts.len());
        let mut windows: Vec<(usize, usize)> = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                let prev = parts.get(i - 1).copied().unwrap_or("");
                let glued = prev.chars().next_back().is_some_and(|c| !c.is_whitespace())
                    && p.chars().next().is_some_and(|c| !c.is_whitespace());
                let boundary = cat.len();
                if spaced {
                    if !glued {
                        continue_without_window(&mut cat, p, &mut ranges);
                        continue;
                    }
                    cat.push(' ');
                }
                let seam = if spaced { SPACED_SEAM } else { SEAM };
                windows.push((
                    boundary.saturating_sub(seam),
                    cat.len().saturating_add(seam),
                ));
            }
            let s = cat.len();
            cat.push_str(p);
            ranges.push(s..cat.len());
        }
        for (ws, we) in merge_windows(&cat, windows) {
            let Some(text) = cat.get(ws..we) else {
                continue;
            };
            for f in self.classify(text).items {
                let (fs, fe) = (f.start.saturating_add(ws), f.end.saturating_add(ws));
                let first = ranges.partition_point(|r| r.end <= fs);
                let pieces: Vec<(usize, Range<usize>)> = ranges
                    .iter()
                    .enumerate()
                    .skip(first)
                    .take_while(|(_, r)| r.start < fe)
                    .map(|(k, r)| (k, fs.max(r.start) - r.start..fe.min(r.end) - r.start))
                    .filter(|(_, r)| r.start < r.end)
                    .collect();
                if pieces.len() >= 2 {
                    out.push(SplitValue {
                        class: f.class,
                        detector: f.detector,
                        pieces,
                        test_value: f.test_value,
                    });
                }
            }
        }
    }
}

/// Append a part with no separator and no window (a spaced scan skips boundaries that already
/// have whitespace on one side: the glued scan covers them).
fn continue_without_window(cat: &mut String, p: &str, ranges: &mut Vec<Range<usize>>) {
    // A separator that is never part of a value keeps the parts apart in this scan.
    cat.push('\n');
    let s = cat.len();
    cat.push_str(p);
    ranges.push(s..cat.len());
}

fn merge_windows(cat: &str, mut w: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    w.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(w.len());
    for (s, e) in w {
        let (s, e) = (
            floor_char_boundary(cat, s),
            ceil_char_boundary(cat, e.min(cat.len())),
        );
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// Sort by start (longer first) and merge overlapping findings into the first one.
fn merge_overlaps(mut items: Vec<Finding>) -> Vec<Finding> {
    items.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out: Vec<Finding> = Vec::with_capacity(items.len());
    for f in items {
        match out.last_mut() {
            Some(prev) if f.start < prev.end => prev.end = prev.end.max(f.end),
            _ => out.push(f),
        }
    }
    out
}
