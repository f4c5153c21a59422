//! Corpus test: per-class precision and recall over the labeled corpus in
//! `tests/fixtures/classify/corpus.jsonl` (format and sources in that folder's README.md).
//! A finding counts as a true positive when class and byte span match a label exactly.
//! Prints the table (`cargo test corpus -- --nocapture`) and fails below the floors.

use std::collections::BTreeMap;

use super::*;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/classify/corpus.jsonl"
);

/// Floors: (precision, recall). Checksum- or prefix-validated classes must reach 0.95 on both.
fn floor(class: &str) -> (f64, f64) {
    match class {
        "pii.person_name" => (0.75, 0.50),
        "pii.address" => (0.90, 0.60),
        "pii.date_of_birth" | "pii.passport" | "health.medical_record_number" => (0.90, 0.85),
        "pii.phone" | "pii.email" | "pii.ip_address" | "secret.generic" => (0.95, 0.90),
        "confidential.marking" => (0.90, 0.90),
        _ => (0.95, 0.95),
    }
}

#[derive(Default, Debug)]
struct Score {
    tp: u32,
    fp: u32,
    fn_: u32,
}

#[test]
fn corpus_precision_recall() {
    let raw = std::fs::read_to_string(CORPUS).unwrap();
    let clf = Classifier::new(&ClassifierOptions::default()).unwrap();
    let mut scores: BTreeMap<String, Score> = BTreeMap::new();
    let mut bytes = 0usize;
    let mut misses: Vec<String> = Vec::new();
    for line in raw.lines().filter(|l| !l.trim().is_empty()) {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = row["id"].as_str().unwrap();
        let text = row["text"].as_str().unwrap();
        bytes += text.len();
        let labels: Vec<(String, usize, usize)> = row["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                let n = |k: &str| usize::try_from(l[k].as_u64().unwrap()).unwrap();
                (
                    l["class"].as_str().unwrap().to_owned(),
                    n("start"),
                    n("end"),
                )
            })
            .collect();
        let found = clf.classify(text);
        assert_eq!(found.unscanned_bytes, 0);
        for f in &found.items {
            let hit = labels
                .iter()
                .any(|(c, s, e)| c == f.class.as_str() && *s == f.start && *e == f.end);
            let sc = scores.entry(f.class.as_str().to_owned()).or_default();
            if hit {
                sc.tp += 1;
            } else {
                sc.fp += 1;
                misses.push(format!("FP {id} {} {:?}", f.class, &text[f.start..f.end]));
            }
        }
        for (c, s, e) in &labels {
            if !found
                .items
                .iter()
                .any(|f| f.class.as_str() == c && f.start == *s && f.end == *e)
            {
                scores.entry(c.clone()).or_default().fn_ += 1;
                misses.push(format!("FN {id} {c} {:?}", &text[*s..*e]));
            }
        }
    }
    let ratio = |a: u32, b: u32| {
        if b == 0 {
            1.0
        } else {
            f64::from(a) / f64::from(b)
        }
    };
    println!("corpus: {} bytes", bytes);
    println!(
        "{:<30} {:>5} {:>5} {:>5} {:>9} {:>9} {:>7}",
        "class", "tp", "fp", "fn", "precision", "recall", "f1"
    );
    let (mut ttp, mut tfp, mut tfn) = (0, 0, 0);
    let mut failures = Vec::new();
    for (class, s) in &scores {
        let p = ratio(s.tp, s.tp + s.fp);
        let r = ratio(s.tp, s.tp + s.fn_);
        let f1 = if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        };
        println!(
            "{class:<30} {:>5} {:>5} {:>5} {p:>9.3} {r:>9.3} {f1:>7.3}",
            s.tp, s.fp, s.fn_
        );
        (ttp, tfp, tfn) = (ttp + s.tp, tfp + s.fp, tfn + s.fn_);
        let (fp_floor, fr_floor) = floor(class);
        if p < fp_floor || r < fr_floor {
            failures.push(format!(
                "{class}: precision {p:.3} (floor {fp_floor}), recall {r:.3} (floor {fr_floor})"
            ));
        }
    }
    let (p, r) = (ratio(ttp, ttp + tfp), ratio(ttp, ttp + tfn));
    println!(
        "{:<30} {ttp:>5} {tfp:>5} {tfn:>5} {p:>9.3} {r:>9.3} {:>7.3}",
        "MICRO",
        2.0 * p * r / (p + r)
    );
    for m in &misses {
        println!("  {m}");
    }
    // Every built-in class except the deliberately unlabeled ones must be exercised.
    for c in crate::taxonomy::BUILTIN_CLASSES {
        assert!(scores.contains_key(*c), "corpus has no example of {c}");
    }
    assert!(failures.is_empty(), "below floor:\n{}", failures.join("\n"));
}
