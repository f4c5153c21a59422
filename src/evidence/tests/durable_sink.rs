//! The durable-record hook: the sink gets every decision and outcome (no events), only once
//! durable, each with a checkpoint that covers it and whose root the log's tree confirms.
use std::sync::{Arc, Mutex};

use super::*;
use crate::evidence::durable::{CoveringCheckpoint, DurableRecord, DurableSink};
use crate::evidence::merkle::Tree;
use crate::evidence::verify::prove::load_view;

#[derive(Default)]
struct Collect(Mutex<Vec<(Vec<DurableRecord>, CoveringCheckpoint)>>);

impl DurableSink for Collect {
    fn wants(&self, kind: &Payload) -> bool {
        !matches!(kind, Kind::Event(_))
    }
    fn durable(&self, records: Vec<DurableRecord>, checkpoint: &CoveringCheckpoint) {
        self.0.lock().unwrap().push((records, checkpoint.clone()));
    }
}

fn run(durability: Durability) {
    let t = tempfile::tempdir().unwrap();
    let sink = Arc::new(Collect::default());
    let mut cfg = LogConfig::new(t.path());
    cfg.durability = durability;
    cfg.durable_sink = Some(sink.clone());
    let (key, _) = load_or_create_key(t.path()).unwrap();
    let (log, _) = EvidenceLog::open(cfg, key).unwrap();
    let mut seqs = Vec::new();
    rt().block_on(async {
        for i in 0..20 {
            seqs.push(log.commit(decision(i)).await.unwrap());
            seqs.push(log.submit(outcome(i)).unwrap());
        }
    });
    log.close().unwrap();
    let got = sink.0.lock().unwrap();
    let pushed: Vec<u64> = got
        .iter()
        .flat_map(|(rs, _)| rs.iter().map(|r| r.record.seq))
        .collect();
    assert_eq!(
        pushed, seqs,
        "every decision and outcome once, in log order"
    );
    let view = load_view(t.path(), |_, _, _| {}).unwrap();
    let tree = Tree::new(&view.frontier, &view.leaves);
    for (records, cp) in got.iter() {
        assert_eq!(tree.root(cp.size), Some(cp.root), "the checkpoint's root");
        assert!(!cp.key_id.is_empty());
        for r in records {
            assert!(r.record.seq < cp.size, "covered by its checkpoint");
            assert_eq!(view.leaves[r.record.seq as usize], r.entry_hash);
            assert!(!matches!(r.record.kind, Some(Kind::Event(_))));
        }
    }
}

#[test]
fn the_sink_gets_durable_decisions_and_outcomes_with_their_checkpoint() {
    run(Durability::Sync);
    run(Durability::Async {
        max_delay: std::time::Duration::from_millis(20),
    });
}
