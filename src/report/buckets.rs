//! Decision counts over time in UTC-aligned buckets whose width is chosen from the range:
//! counts are kept at the finest width that stays small (coarsened as the log grows), then
//! merged into at most [`MAX_BUCKETS`] display buckets. Owns the width ladder and the
//! top-series cut; knows nothing of records (callers pass times and labels).
use std::collections::{BTreeMap, HashMap};

use super::figures::Series;

/// Bucket widths in seconds; each divides the next, so counts merge exactly.
const LADDER: [u64; 10] = [
    1, 10, 60, 300, 900, 3_600, 21_600, 86_400, 604_800, 2_419_200,
];
/// Most buckets a chart shows.
pub const MAX_BUCKETS: u64 = 60;
/// Most distinct cells kept before the width is coarsened.
const MAX_CELLS: usize = 50_000;
/// Most distinct labels per dimension; later ones are counted as `(other)`.
const MAX_LABELS: usize = 500;
/// Series shown per chart; the rest are summed as `(other)`.
pub const TOP_SERIES: usize = 8;
/// Label of the merged remainder.
pub const OTHER: &str = "(other)";

/// Dimensions counted per bucket.
pub const DIMENSIONS: usize = 4;

/// Counts per (bucket, dimension, label).
#[derive(Debug, Default)]
pub struct Timeline {
    rung: usize,
    cells: HashMap<(i64, u8, u32), u64>,
    labels: [Labels; DIMENSIONS],
}

#[derive(Debug, Default)]
struct Labels {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Labels {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(i) = self.index.get(name) {
            return *i;
        }
        let name = if self.names.len() >= MAX_LABELS {
            OTHER
        } else {
            name
        };
        if let Some(i) = self.index.get(name) {
            return *i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), i);
        i
    }
}

/// The display buckets and series of one dimension each.
pub struct Buckets {
    /// Width in seconds.
    pub width: u64,
    /// Start of each bucket, unix seconds.
    pub starts: Vec<i64>,
    /// One list of series per dimension, largest first.
    pub series: [Vec<Series>; DIMENSIONS],
}

fn width(rung: usize) -> u64 {
    LADDER.get(rung).copied().unwrap_or(2_419_200)
}

fn bucket_of(secs: i64, width: u64) -> i64 {
    let w = i64::try_from(width).unwrap_or(i64::MAX);
    secs.div_euclid(w) * w
}

impl Timeline {
    /// Counts one call at `secs` (unix seconds) with one label per dimension.
    pub fn add(&mut self, secs: i64, labels: [&str; DIMENSIONS]) {
        let b = bucket_of(secs, width(self.rung));
        for (d, name) in labels.iter().enumerate() {
            let id = self.labels[d].id(name);
            *self.cells.entry((b, d as u8, id)).or_default() += 1;
        }
        if self.cells.len() > MAX_CELLS && self.rung + 1 < LADDER.len() {
            self.rung += 1;
            self.regroup(width(self.rung));
        }
    }

    fn regroup(&mut self, w: u64) {
        let old = std::mem::take(&mut self.cells);
        for ((b, d, l), n) in old {
            *self.cells.entry((bucket_of(b, w), d, l)).or_default() += n;
        }
    }

    /// Display buckets covering `[start, end)` (unix seconds).
    pub fn finish(mut self, start: i64, end: i64) -> Buckets {
        let span = u64::try_from(end.saturating_sub(start)).unwrap_or(0).max(1);
        let mut w = width(self.rung);
        let mut rung = self.rung;
        while span.div_ceil(w) > MAX_BUCKETS && rung + 1 < LADDER.len() {
            rung += 1;
            w = width(rung);
        }
        if span.div_ceil(w) > MAX_BUCKETS {
            // Beyond the ladder: a multiple of the widest rung, so counts still merge exactly.
            let top = width(LADDER.len() - 1);
            w = span.div_ceil(MAX_BUCKETS).div_ceil(top) * top;
        }
        if w != width(self.rung) {
            self.regroup(w);
        }
        let first = bucket_of(start, w);
        let last = bucket_of(end.saturating_sub(1).max(start), w);
        let step = i64::try_from(w).unwrap_or(i64::MAX);
        let n = usize::try_from((last - first) / step + 1).unwrap_or(1);
        let starts: Vec<i64> = (0..n).map(|i| first + step * i as i64).collect();
        let mut per: [BTreeMap<u32, Vec<u64>>; DIMENSIONS] = Default::default();
        for ((b, d, l), c) in &self.cells {
            let Some(slot) = usize::try_from((b - first) / step).ok().filter(|i| *i < n) else {
                continue;
            };
            if let Some(m) = per.get_mut(usize::from(*d)) {
                m.entry(*l).or_insert_with(|| vec![0; n])[slot] += c;
            }
        }
        let mut series: [Vec<Series>; DIMENSIONS] = Default::default();
        for (d, m) in per.into_iter().enumerate() {
            let all = m
                .into_iter()
                .map(|(l, counts)| Series {
                    label: self.labels[d]
                        .names
                        .get(l as usize)
                        .cloned()
                        .unwrap_or_default(),
                    total: counts.iter().sum(),
                    counts,
                })
                .collect();
            series[d] = top(all, n);
        }
        Buckets {
            width: w,
            starts,
            series,
        }
    }
}

/// The largest [`TOP_SERIES`] series, the rest merged into `(other)`.
fn top(mut all: Vec<Series>, n: usize) -> Vec<Series> {
    all.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.label.cmp(&b.label)));
    if all.len() <= TOP_SERIES {
        return all;
    }
    let rest = all.split_off(TOP_SERIES - 1);
    let mut other = Series {
        label: OTHER.to_owned(),
        total: 0,
        counts: vec![0; n],
    };
    for s in rest {
        other.total += s.total;
        for (o, c) in other.counts.iter_mut().zip(s.counts) {
            *o += c;
        }
    }
    all.push(other);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_range_gets_fine_buckets_and_counts_add_up() {
        let mut t = Timeline::default();
        for s in [100, 101, 109, 130] {
            t.add(s, ["sys", "m", "openai", "allow"]);
        }
        t.add(131, ["other-sys", "m", "openai", "block"]);
        let b = t.finish(100, 132);
        assert_eq!(b.width, 1);
        assert_eq!(b.starts.len(), 32);
        let sys = &b.series[0];
        assert_eq!((sys[0].label.as_str(), sys[0].total), ("sys", 4));
        assert_eq!(sys[0].counts[0], 1);
        assert_eq!(sys[0].counts[9], 1);
        assert_eq!(sys[1].counts[31], 1);
        assert_eq!(b.series[3].len(), 2);
    }

    #[test]
    fn a_long_range_is_merged_into_at_most_sixty_buckets() {
        let mut t = Timeline::default();
        let day = 86_400;
        for i in 0..365 {
            t.add(i * day + 5, ["s", "m", "u", "allow"]);
        }
        let b = t.finish(0, 365 * day);
        assert!(b.starts.len() as u64 <= MAX_BUCKETS, "{}", b.starts.len());
        assert_eq!(b.width, 604_800);
        assert_eq!(b.series[0][0].total, 365);
        assert_eq!(b.series[0][0].counts.iter().sum::<u64>(), 365);
        // A range beyond the ladder still fits.
        let mut t = Timeline::default();
        t.add(0, ["s", "m", "u", "allow"]);
        let b = t.finish(0, 100 * 365 * day);
        assert!(b.starts.len() as u64 <= MAX_BUCKETS);
        assert_eq!(b.series[0][0].counts[0], 1);
    }

    #[test]
    fn many_series_keep_the_top_and_sum_the_rest() {
        let mut t = Timeline::default();
        for i in 0..20u64 {
            for _ in 0..=i {
                t.add(0, [&format!("sys-{i:02}"), "m", "u", "allow"]);
            }
        }
        let b = t.finish(0, 1);
        let s = &b.series[0];
        assert_eq!(s.len(), TOP_SERIES);
        assert_eq!(s[0].label, "sys-19");
        assert_eq!(s[TOP_SERIES - 1].label, OTHER);
        assert_eq!(
            s.iter().map(|x| x.total).sum::<u64>(),
            (1..=20).sum::<u64>()
        );
    }

    #[test]
    fn cells_coarsen_when_the_log_is_long_and_fine() {
        let mut t = Timeline::default();
        for s in 0..(MAX_CELLS as i64 / 4 + 10) {
            t.add(s * 7, ["s", "m", "u", "allow"]);
        }
        assert!(t.rung > 0);
        let total: u64 = t.finish(0, 1_000_000).series[0][0].total;
        assert_eq!(total, MAX_CELLS as u64 / 4 + 10);
    }
}
