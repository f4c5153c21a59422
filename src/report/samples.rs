//! Latency samples for the report as HDR histograms (three significant digits): a report over
//! hundreds of millions of forwarded calls holds a few hundred KiB per series, not a sample
//! per call. Owns the precision and the percentile rule; knows nothing of records.
use hdrhistogram::Histogram;

use super::figures::Percentiles;

/// Significant decimal digits kept: any reported percentile is within 0.1% of the exact
/// nearest-rank value, and never below it (the top of the value's histogram bucket).
const SIGNIFICANT_DIGITS: u8 = 3;

/// Microsecond samples of one series.
#[derive(Debug, Default)]
pub struct Samples {
    /// Created at the first sample (an auto-resizing histogram covers any `u64`).
    hist: Option<Histogram<u64>>,
}

impl Samples {
    /// Adds one sample.
    pub fn record(&mut self, us: u64) {
        if self.hist.is_none() {
            // Only an invalid precision can fail; SIGNIFICANT_DIGITS is valid.
            self.hist = Histogram::new(SIGNIFICANT_DIGITS).ok();
        }
        if let Some(h) = &mut self.hist {
            // `record` grows the histogram to fit; only a value it cannot grow to is clamped
            // (`saturating_record` alone would clamp to the initial range).
            if h.record(us).is_err() {
                h.saturating_record(us);
            }
        }
    }

    /// Whether no sample was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Samples added.
    pub fn len(&self) -> u64 {
        self.hist.as_ref().map_or(0, |h| h.len())
    }

    /// Adds every sample of `other`.
    pub fn merge(&mut self, other: &Samples) {
        let Some(o) = &other.hist else {
            return;
        };
        match &mut self.hist {
            None => self.hist = Some(o.clone()),
            Some(h) => {
                // Both auto-resize, so adding cannot run out of range.
                let _ = h.add(o);
            }
        }
    }

    /// The `q` quantile in milliseconds (nearest rank), `None` when empty.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        self.hist
            .as_ref()
            .filter(|h| !h.is_empty())
            .map(|h| h.value_at_quantile(q) as f64 / 1000.0)
    }

    /// p50/p95/p99 in milliseconds (nearest rank; 0 when empty).
    pub fn percentiles(&self, label: &str) -> Percentiles {
        let ms = |q: f64| {
            self.hist
                .as_ref()
                .filter(|h| !h.is_empty())
                .map_or(0.0, |h| h.value_at_quantile(q) as f64 / 1000.0)
        };
        Percentiles {
            label: label.to_owned(),
            samples: self.len(),
            p50_ms: ms(0.50),
            p95_ms: ms(0.95),
            p99_ms: ms(0.99),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_samples_give_the_percentiles_of_the_union() {
        let (mut a, mut b, mut all) = (Samples::default(), Samples::default(), Samples::default());
        for i in 1..=100u64 {
            let s = if i % 2 == 0 { &mut a } else { &mut b };
            s.record(i * 1000);
            all.record(i * 1000);
        }
        let mut m = Samples::default();
        m.merge(&a);
        m.merge(&Samples::default());
        m.merge(&b);
        assert_eq!(m.len(), 100);
        assert_eq!(m.quantile_ms(0.95), all.quantile_ms(0.95));
        let p95 = m.quantile_ms(0.95).unwrap();
        assert!((95.0..=95.0 * 1.001).contains(&p95), "{p95}");
        assert_eq!(Samples::default().quantile_ms(0.5), None);
    }

    /// Exact nearest-rank percentile of `v` (sorted here), in milliseconds.
    fn exact(v: &mut [u64], p: f64) -> f64 {
        v.sort_unstable();
        let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
        v[rank.clamp(1, v.len()) - 1] as f64 / 1000.0
    }

    #[test]
    fn percentiles_are_nearest_rank_within_a_thousandth_and_never_low() {
        // A spread from 10 µs to over an hour, with a heavy tail.
        let mut v: Vec<u64> = (0..50_000u64)
            .map(|i| 10 + (i * i * 7919) % 4_000_000_000 / (1 + i % 97))
            .collect();
        let mut s = Samples::default();
        for x in &v {
            s.record(*x);
        }
        let p = s.percentiles("all");
        assert_eq!(p.samples, 50_000);
        for (got, q) in [(p.p50_ms, 50.0), (p.p95_ms, 95.0), (p.p99_ms, 99.0)] {
            let want = exact(&mut v, q);
            assert!(got >= want, "p{q}: {got} < exact {want}");
            assert!(
                got <= want * 1.001,
                "p{q}: {got} more than 0.1% above {want}"
            );
        }
    }

    #[test]
    fn small_values_are_exact_and_empty_is_zero() {
        let mut s = Samples::default();
        assert!(s.is_empty());
        assert_eq!(s.percentiles("x").p99_ms, 0.0);
        // Below 2048 µs every value has its own bucket.
        for us in [1_000, 2_000, 2_047, 0] {
            s.record(us);
        }
        let p = s.percentiles("x");
        assert_eq!((p.samples, p.p50_ms, p.p99_ms), (4, 1.0, 2.047));
    }
}
