//! Durability tests: torn-tail recovery, group commit under concurrency, sync/async
//! semantics, write failure and recovery, and verifying a live log with a write in flight.
use super::*;

#[test]
fn torn_tail_is_truncated_and_the_chain_continues() {
    for garbage in [false, true] {
        let t = tempfile::tempdir().unwrap();
        let cfg = make_log(t.path(), 10, 64 << 20);
        let (path, fr) = frames(t.path()).pop().unwrap();
        let (off, len) = *fr.last().unwrap();
        let mut data = std::fs::read(&path).unwrap();
        if garbage {
            data.extend_from_slice(&[0xAB; 37]);
        } else {
            data.truncate(off + len / 2); // torn last entry
        }
        std::fs::write(&path, &data).unwrap();
        let _ = std::fs::remove_file(log_dir(t.path()).join(recover::CLEAN_MARKER));
        let (key, _) = load_or_create_key(t.path()).unwrap();
        let (log, rep) = EvidenceLog::open(cfg.clone(), key).unwrap();
        assert!(rep.recovered);
        assert_eq!(
            rep.truncated_bytes,
            if garbage { 37 } else { (len / 2) as u64 }
        );
        assert_eq!(
            rep.next_seq,
            if garbage { 22 } else { 21 },
            "recovery event takes the next seq"
        );
        rt().block_on(log.append(decision(99))).unwrap();
        log.close().unwrap();
        let s = verify_dir(t.path()).unwrap();
        assert_eq!(s.records, rep.next_seq + 1);
    }
}

#[test]
fn group_commit_with_many_concurrent_appenders_is_gap_free() {
    let t = tempfile::tempdir().unwrap();
    let (key, _) = load_or_create_key(t.path()).unwrap();
    let mut cfg = LogConfig::new(t.path());
    cfg.segment_bytes = 16 << 10; // several rollovers
    cfg.checkpoint_every_records = 500;
    let (log, _) = EvidenceLog::open(cfg, key).unwrap();
    let mut seqs: Vec<u64> = rt().block_on(async {
        let mut hs = Vec::new();
        for w in 0..8u64 {
            let log = log.clone();
            hs.push(tokio::spawn(async move {
                let mut v = Vec::new();
                for i in 0..100 {
                    v.push(log.append(decision(w * 1000 + i)).await.unwrap().seq);
                }
                v
            }));
        }
        let mut all = Vec::new();
        for h in hs {
            all.extend(h.await.unwrap());
        }
        all
    });
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=800).collect::<Vec<_>>(),
        "seq 0 is the log-start event"
    );
    assert!(log.health().healthy);
    assert_eq!(log.health().records, 801);
    log.close().unwrap();
    assert!(frames(t.path()).len() > 3);
    assert_eq!(verify_dir(t.path()).unwrap().records, 801);
}

#[test]
fn sync_append_is_on_disk_when_it_resolves_and_async_flushes() {
    for durability in [
        Durability::Sync,
        Durability::Async {
            max_delay: std::time::Duration::from_millis(5),
        },
    ] {
        let t = tempfile::tempdir().unwrap();
        let (key, _) = load_or_create_key(t.path()).unwrap();
        let mut cfg = LogConfig::new(t.path());
        cfg.durability = durability;
        let (log, _) = EvidenceLog::open(cfg, key).unwrap();
        let a = rt().block_on(log.append(decision(1))).unwrap();
        // Read the segment through a fresh file handle: the entry is there with its hash.
        let (path, fr) = frames(t.path()).pop().unwrap();
        let data = std::fs::read(path).unwrap();
        let (off, len) = fr[a.seq as usize];
        let Frame::Ok(entry, _) = read_frame(&data[off..off + len]) else {
            panic!("frame")
        };
        assert_eq!(entry::entry_hash(entry), a.entry_hash);
        assert!(log.health().last_append_latency_us < 5_000_000);
        assert_eq!(log.fingerprint(b"x"), None);
        log.close().unwrap();
        assert!(
            rt().block_on(log.append(decision(2))).is_err(),
            "closed log refuses appends"
        );
        assert!(!log.health().healthy);
    }
}

#[test]
fn submitted_records_are_written_without_a_waiter_and_keep_the_chain() {
    let t = tempfile::tempdir().unwrap();
    let (key, _) = load_or_create_key(t.path()).unwrap();
    let (log, rep) = EvidenceLog::open(LogConfig::new(t.path()), key).unwrap();
    for i in 0..5 {
        assert!(log.submit(decision(100 + i)).is_ok());
    }
    // No append waits: the writer still writes them, and fsyncs within LAZY_SYNC.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while log.health().records < rep.next_seq + 5 {
        assert!(
            std::time::Instant::now() < deadline,
            "submitted records were written"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    std::thread::sleep(writer::LAZY_SYNC * 3); // past the deferred fsync
    let (_, fr) = frames(t.path()).pop().unwrap();
    assert_eq!(fr.len() as u64, rep.next_seq + 5);
    // A durable append after them keeps the order and the chain.
    let a = rt().block_on(log.append(decision(200))).unwrap();
    assert_eq!(a.seq, rep.next_seq + 5);
    log.close().unwrap();
    match log.submit(decision(300)) {
        Err(Kind::Decision(d)) => assert_eq!(d.decision_id, "d-300"),
        other => panic!("a closed log hands the payload back, got {other:?}"),
    }
    assert_eq!(verify_dir(t.path()).unwrap().records, rep.next_seq + 6);
}

#[test]
fn write_failure_errors_marks_unhealthy_and_recovers() {
    let t = tempfile::tempdir().unwrap();
    let (key, _) = load_or_create_key(t.path()).unwrap();
    let mut cfg = LogConfig::new(t.path());
    cfg.segment_bytes = 1; // every group starts a new segment
    let (log, rep) = EvidenceLog::open(cfg, key).unwrap();
    // The next segment file is a link to /dev/full: creating it fails with ENOSPC.
    let next = segment::segment_path(&log_dir(t.path()), rep.next_seq);
    std::os::unix::fs::symlink("/dev/full", &next).unwrap();
    let r = rt().block_on(log.append(decision(1)));
    assert!(matches!(r, Err(EvidenceError::Write(_))), "{r:?}");
    let h = log.health();
    assert!(!h.healthy && h.last_error.is_some(), "{h:?}");
    std::fs::remove_file(&next).unwrap();
    let a = rt().block_on(log.append(decision(2))).unwrap();
    assert_eq!(
        a.seq,
        rep.next_seq + 1,
        "the failed record kept its log index and is written first, once the disk allows"
    );
    assert!(log.health().healthy);
    log.close().unwrap();
    assert_eq!(verify_dir(t.path()).unwrap().records, rep.next_seq + 2);
}

#[test]
fn commit_queues_in_async_mode_and_fails_closed_once_the_log_is_unhealthy() {
    let t = tempfile::tempdir().unwrap();
    let (key, _) = load_or_create_key(t.path()).unwrap();
    let mut cfg = LogConfig::new(t.path());
    cfg.segment_bytes = 1; // every group starts a new segment
    cfg.durability = Durability::Async {
        max_delay: std::time::Duration::from_millis(5),
    };
    let (log, rep) = EvidenceLog::open(cfg, key).unwrap();
    let next = segment::segment_path(&log_dir(t.path()), rep.next_seq);
    std::os::unix::fs::symlink("/dev/full", &next).unwrap();
    // Queued while healthy: the caller goes on; the write then fails and the log says so.
    rt().block_on(log.commit(decision(1))).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while log.health().healthy {
        assert!(
            std::time::Instant::now() < deadline,
            "the failed write shows"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    // Unhealthy: commit waits for the write, so the caller is refused (fail-closed).
    let r = rt().block_on(log.commit(decision(2)));
    assert!(matches!(r, Err(EvidenceError::Write(_))), "{r:?}");
    // Space again: the next commit is written, and the log is healthy again.
    std::fs::remove_file(&next).unwrap();
    rt().block_on(log.commit(decision(3))).unwrap();
    assert!(log.health().healthy);
    log.close().unwrap();
    // Nothing queued is lost: the two records whose write failed are written after all.
    assert_eq!(verify_dir(t.path()).unwrap().records, rep.next_seq + 3);
}

#[test]
fn live_log_with_an_in_flight_tail_verifies_but_a_cut_below_a_checkpoint_does_not() {
    let t = tempfile::tempdir().unwrap();
    let cfg = make_log(t.path(), 5, 64 << 20);
    let (key, _) = load_or_create_key(t.path()).unwrap();
    let (log, _) = EvidenceLog::open(cfg, key).unwrap();
    rt().block_on(log.append(decision(7))).unwrap();
    // Simulate a frame half-written by the running writer (past the checkpoint frame), into
    // the zeros preallocated after the data.
    let (p, fr) = super::all_frames(t.path()).pop().unwrap();
    let (off, len) = *fr.last().unwrap();
    let mut data = std::fs::read(&p).unwrap();
    let clean = data.clone();
    assert!(
        data.len() > off + len + 6,
        "the live segment is zero-filled ahead of its data"
    );
    data[off + len..off + len + 6].copy_from_slice(&[0, 0, 1, 0, 1, 2]);
    std::fs::write(&p, &data).unwrap();
    let s = verify_dir(t.path()).unwrap();
    assert_eq!((s.torn_tail_bytes, s.uncheckpointed), (6, 0), "{s}");
    std::fs::write(&p, &clean).unwrap();
    log.close().unwrap();
    // After close the checkpoint covers everything: the same half frame inside it is a fault.
    let (p, fr) = frames(t.path()).pop().unwrap();
    let data = std::fs::read(&p).unwrap();
    let (off, len) = *fr.last().unwrap();
    std::fs::write(&p, &data[..off + len - 2]).unwrap();
    let f = verify_dir(t.path()).unwrap_err();
    assert_eq!(f.field, "frame", "{f}");
}

#[test]
fn damaged_index_is_rebuilt_and_a_second_writer_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let cfg = make_log(t.path(), 4, 64 << 20);
    let (key, _) = load_or_create_key(t.path()).unwrap();
    let (log, _) = EvidenceLog::open(cfg.clone(), key.clone()).unwrap();
    let second = EvidenceLog::open(cfg.clone(), key.clone());
    assert!(
        matches!(second, Err(EvidenceError::Config(ref m)) if m.contains("another aimsgate process")),
        "{second:?}"
    );
    log.close().unwrap();
    drop(log);
    // Garbage over sled's files: open must still succeed and the index must be complete.
    for e in std::fs::read_dir(t.path().join("index")).unwrap().flatten() {
        if e.path().is_file() {
            std::fs::write(e.path(), b"garbage").unwrap();
        }
    }
    let (log, _) = EvidenceLog::open(cfg, key).unwrap();
    log.close().unwrap();
    drop(log);
    assert_eq!(
        index::Index::open(t.path())
            .unwrap()
            .decision_seq("d-3")
            .unwrap(),
        Some(7)
    );
}

#[test]
fn unawaited_records_gather_and_awaited_ones_are_taken_at_once() {
    use std::time::{Duration, Instant};
    use writer::{Job, Queue, GATHER, GATHER_BATCH};
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(GATHER_BATCH + 1));
    let job = |reply| Job::Append {
        kind: decision(1),
        reply,
        at: Instant::now(),
        durable: false,
        seq: 0,
        _permit: Some(slots.clone().try_acquire_owned().unwrap()),
    };
    let mut q = Queue::default();
    assert_eq!(q.take_in(GATHER), None, "nothing queued");
    // What `push` records for one unawaited job: it may wait, but no longer than GATHER.
    q.items.push(job(None));
    q.since = Some(Instant::now());
    let wait = q.take_in(GATHER).unwrap();
    assert!(wait > Duration::ZERO && wait <= GATHER, "{wait:?}");
    q.since = Some(Instant::now() - GATHER);
    assert_eq!(
        q.take_in(GATHER),
        Some(Duration::ZERO),
        "gathered long enough"
    );
    q.since = Some(Instant::now());
    // Enough of them, an awaited one, or closing: take now.
    while q.items.len() < GATHER_BATCH {
        q.items.push(job(None));
    }
    assert_eq!(q.take_in(GATHER), Some(Duration::ZERO), "a full batch");
    assert_eq!(q.take().len(), GATHER_BATCH);
    assert_eq!((q.take_in(GATHER), q.urgent), (None, false), "take empties");
    let (tx, _rx) = tokio::sync::oneshot::channel();
    let awaited = job(Some(tx));
    assert!(awaited.awaited() && !job(None).awaited());
    q.items.push(awaited);
    q.since = Some(Instant::now());
    q.urgent = true;
    assert_eq!(q.take_in(GATHER), Some(Duration::ZERO), "an awaited job");
    q.urgent = false;
    q.closing = true;
    assert_eq!(q.take_in(GATHER), Some(Duration::ZERO), "closing");
}

#[test]
fn checkpoints_are_signed_per_durable_group_not_per_record() {
    let t = tempfile::tempdir().unwrap();
    let (key, _) = load_or_create_key(t.path()).unwrap();
    let mut cfg = LogConfig::new(t.path());
    cfg.durability = Durability::Async {
        max_delay: std::time::Duration::from_secs(30),
    };
    let (log, _) = EvidenceLog::open(cfg, key).unwrap();
    let at_start = log.health().signatures;
    assert_eq!(at_start, 1, "one checkpoint for the start-up group");
    for i in 0..500 {
        assert!(log.submit(decision(i)).is_ok());
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while log.health().records < 501 {
        assert!(std::time::Instant::now() < deadline, "records written");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert_eq!(
        log.health().signatures,
        at_start,
        "written but not yet fsync'd: nothing signed"
    );
    let cp = log.latest_checkpoint().unwrap();
    assert!(cp.starts_with(&format!("{}\n1\n", log.origin())), "{cp}");
    log.close().unwrap();
    // Closing made them durable with one fsync and one checkpoint covering all 501.
    let note = crate::evidence::read::latest_checkpoint(t.path())
        .unwrap()
        .unwrap();
    assert!(note.contains("\n501\n"), "{note}");
    let frames = super::all_frames(t.path());
    let entries = super::frames(t.path());
    let checkpoints: usize = frames.iter().map(|(_, f)| f.len()).sum::<usize>()
        - entries.iter().map(|(_, f)| f.len()).sum::<usize>();
    assert_eq!(checkpoints, 2, "start-up and close: two checkpoint frames");
}

#[test]
fn min_commit_interval_gathers_appenders_into_fewer_signed_commits() {
    let t = tempfile::tempdir().unwrap();
    let (key, _) = load_or_create_key(t.path()).unwrap();
    let mut cfg = LogConfig::new(t.path());
    cfg.min_commit_interval = std::time::Duration::from_millis(20);
    let (log, _) = EvidenceLog::open(cfg, key).unwrap();
    let before = log.health().signatures;
    let start = std::time::Instant::now();
    rt().block_on(async {
        let mut hs = Vec::new();
        for task in 0..100u64 {
            let log = log.clone();
            hs.push(tokio::spawn(async move {
                for i in 0..5 {
                    log.append(decision(task * 10 + i)).await.unwrap();
                }
            }));
        }
        for h in hs {
            h.await.unwrap();
        }
    });
    let commits = log.health().signatures - before;
    let bound = start.elapsed().as_millis() as u64 / 20 + 2;
    assert!(
        commits <= bound,
        "{commits} signed commits for 500 durable appends in {:?} (at most {bound} with a 20 ms interval)",
        start.elapsed()
    );
    log.close().unwrap();
}
