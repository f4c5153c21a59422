use aimsgate::classify::{Classifier, ClassifierOptions};
use std::time::Instant;
const PROSE: &str = "The quarterly review covered the migration of the billing service to the new \
cluster. Most of the discussion was about latency budgets, the rollout plan and how the support \
team should communicate the change to customers. Nobody expected the old queue to hold up as long \
as it did, but the retry logic turned out to be more robust than its reputation. We agreed to keep \
the feature flag for two more weeks, to write a short runbook and to revisit the alert thresholds \
after the holiday period, when traffic is lower and the on-call rotation has more slack. ";
fn main() {
    let clf = Classifier::new(&ClassifierOptions::default()).unwrap();
    let uni = PROSE.replace("the ", "the naïve “café” 東京 ");
    let ja = "本日の会議では、新しい請求システムへの移行について話し合いました。担当者は来週までに手順書を作成し、顧客への連絡方法を検討します。".repeat(1);
    let de = "Die Besprechung am Montag behandelte die Migration des Abrechnungsdienstes auf den neuen Cluster. Wir haben vereinbart, das Feature-Flag zwei weitere Wochen zu behalten. ";
    for (name, unit) in [("prose", PROSE.to_string()), ("unicode", uni), ("ja", ja), ("de", de.to_string())] {
        let mut t = String::new();
        while t.len() < 64 * 1024 { t.push_str(&unit); }
        let start = Instant::now();
        let mut n = 0usize; let mut bytes = 0usize;
        while start.elapsed().as_secs_f64() < 2.0 { n += clf.classify(&t).items.len(); bytes += t.len(); }
        println!("{name}: {:.0} MiB/s ({n})", bytes as f64 / start.elapsed().as_secs_f64() / 1048576.0);
    }
}
