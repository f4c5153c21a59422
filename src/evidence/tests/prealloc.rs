//! Segment preallocation: the active segment is zero-filled ahead of its data, readers take
//! an all-zero tail as the end of the data (and zeros followed by data as a fault), recovery
//! continues after the data rather than after the zeros, and finished segments are trimmed.
use super::*;
use crate::evidence::segment::{Active, PREALLOC_CHUNK};

fn data_end(dir: &Path) -> (PathBuf, usize) {
    let (p, fr) = super::all_frames(dir).pop().unwrap();
    let (off, len) = *fr.last().unwrap();
    (p, off + len)
}

fn file_len(p: &Path) -> usize {
    std::fs::metadata(p).unwrap().len() as usize
}

#[test]
fn the_active_segment_is_zero_filled_ahead_and_trimmed_at_close() {
    let t = tempfile::tempdir().unwrap();
    let (key, _) = load_or_create_key(t.path()).unwrap();
    let (log, _) = EvidenceLog::open(LogConfig::new(t.path()), key).unwrap();
    rt().block_on(async {
        for i in 0..20 {
            log.append(decision(i)).await.unwrap();
        }
    });
    let (p, end) = data_end(t.path());
    assert_eq!(file_len(&p), MAGIC.len() + PREALLOC_CHUNK as usize);
    assert!(std::fs::read(&p).unwrap()[end..].iter().all(|&b| b == 0));
    // A live log with a zero tail verifies, and the zeros are not a torn tail.
    let s = verify_dir(t.path()).unwrap();
    assert_eq!((s.records, s.torn_tail_bytes), (21, 0), "{s}");
    log.close().unwrap();
    let (p, end) = data_end(t.path());
    assert_eq!(file_len(&p), end, "close cuts the zeros off");
    assert_eq!(verify_dir(t.path()).unwrap().records, 21);
}

#[test]
fn recovery_after_a_crash_continues_after_the_data_not_after_the_zeros() {
    let t = tempfile::tempdir().unwrap();
    let cfg = make_log(t.path(), 10, 64 << 20);
    // What a crash leaves: the data, then preallocated zeros, and no clean-shutdown marker.
    let (p, end) = data_end(t.path());
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(end as u64 + 300_000)
        .unwrap();
    std::fs::remove_file(log_dir(t.path()).join(recover::CLEAN_MARKER)).unwrap();
    let (key, _) = load_or_create_key(t.path()).unwrap();
    let (log, rep) = EvidenceLog::open(cfg, key).unwrap();
    assert!(rep.recovered, "an unclean stop is recorded");
    assert_eq!(rep.truncated_bytes, 0, "zeros are not a torn tail");
    assert_eq!(rep.next_seq, 22, "the recovery event took seq 21");
    let a = rt().block_on(log.append(decision(99))).unwrap();
    assert_eq!(a.seq, 22);
    // The new entries follow the old data directly, inside the zeros that were there.
    let (p, fr) = frames(t.path()).pop().unwrap();
    assert_eq!(fr.len(), 23, "no gap of zeros between old and new entries");
    assert_eq!(file_len(&p), end + 300_000, "the preallocation is kept");
    log.close().unwrap();
    assert_eq!(verify_dir(t.path()).unwrap().records, 23);
}

#[test]
fn zeros_followed_by_data_are_a_fault_but_a_zero_tail_in_an_older_segment_is_not() {
    let t = tempfile::tempdir().unwrap();
    let cfg = make_log(t.path(), 30, 4096);
    let segs = frames(t.path());
    assert!(segs.len() > 2, "several segments");
    let total: usize = segs.iter().map(|(_, f)| f.len()).sum();
    // An older segment that ends in zeros (a previous run with bigger segments, then a
    // crash): every reader goes on to the next segment.
    let (p0, _) = &segs[0];
    let len0 = file_len(p0);
    let f = std::fs::OpenOptions::new().write(true).open(p0).unwrap();
    f.set_len(len0 as u64 + 5000).unwrap();
    assert_eq!(verify_dir(t.path()).unwrap().records, total as u64);
    let all = export_string(t.path(), &ExportFilter::default());
    assert_eq!(
        all.lines().count(),
        total + 2,
        "header and checkpoint lines"
    );
    rebuild_index(t.path()).unwrap();
    assert_eq!(
        export_string(t.path(), &ExportFilter::default()),
        all,
        "the rebuilt index finds every record"
    );
    f.set_len(len0 as u64).unwrap();
    // A record zeroed out in the middle of a segment: zeros followed by data.
    let (p1, fr1) = &segs[1];
    let (off, len) = fr1[1];
    let mut data = std::fs::read(p1).unwrap();
    data[off..off + len].fill(0);
    std::fs::write(p1, &data).unwrap();
    let fault = verify_dir(t.path()).unwrap_err();
    assert!(
        fault.location.contains(&format!("offset {off}")) && fault.problem.contains("zero"),
        "{fault}"
    );
    let (key, _) = load_or_create_key(t.path()).unwrap();
    assert!(
        matches!(EvidenceLog::open(cfg, key), Err(EvidenceError::Corrupt(_))),
        "not the newest segment, so not a torn tail"
    );
}

#[test]
fn zero_fill_stops_at_the_segment_size_and_a_failed_write_cuts_it_back() {
    let t = tempfile::tempdir().unwrap();
    let limit = PREALLOC_CHUNK + PREALLOC_CHUNK / 2;
    let mut a = Active::create(t.path(), 0, limit).unwrap();
    let path = segment::segment_path(t.path(), 0);
    a.write(&[1; 100]).unwrap();
    assert_eq!(file_len(&path) as u64, MAGIC.len() as u64 + PREALLOC_CHUNK);
    let big = vec![2u8; PREALLOC_CHUNK as usize];
    a.write(&big).unwrap();
    assert_eq!(
        file_len(&path) as u64,
        limit,
        "never zero-filled past the limit"
    );
    a.write(&big).unwrap(); // past the limit: the file just grows
    let end = MAGIC.len() as u64 + 100 + 2 * PREALLOC_CHUNK;
    assert_eq!((a.len, file_len(&path) as u64), (end, end));
    a.truncate(MAGIC.len() as u64 + 100).unwrap();
    a.write(&[3; 10]).unwrap();
    assert_eq!(
        file_len(&path) as u64,
        MAGIC.len() as u64 + 100 + PREALLOC_CHUNK,
        "zero-filled again after a cut"
    );
    a.trim().unwrap();
    assert_eq!(file_len(&path) as u64, MAGIC.len() as u64 + 110);
    let data = std::fs::read(&path).unwrap();
    assert_eq!(&data[..MAGIC.len()], MAGIC);
    assert!(data[8..108].iter().all(|&b| b == 1) && data[108..].iter().all(|&b| b == 3));
}
