//! Reading one node's data dir for the report: verify it with its own keys, then stream its
//! checkpointed records (the stored bodies of the self-verifying JSONL export, decoded) into
//! the [`Collector`], and describe the node's integrity and retention coverage. Owns no
//! verification rules (those are `evidence`'s) and no figures (those are `collect`'s).
use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use crate::evidence::entry::{decode_record, parse_entry};
use crate::evidence::proto::{event_record::Event, record::Kind, Record};
use crate::evidence::{export, verify_dir, ExportFilter, ExportFormat};

use super::figures::NodeStatus;
use super::{rfc3339, Collector};

/// One export line; only the fields the report needs (the rest is skipped).
#[derive(serde::Deserialize)]
struct Line {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    entry: Option<String>,
}

/// A `Write` that hands each complete export line's record to `on_record`.
struct Lines<F: FnMut(Record)> {
    buf: Vec<u8>,
    on_record: F,
}

impl<F: FnMut(Record)> Lines<F> {
    fn line(&mut self, line: &[u8]) -> std::io::Result<()> {
        let bad = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        let l: Line = serde_json::from_slice(line).map_err(|e| bad(e.to_string()))?;
        if l.kind != "entry" {
            return Ok(());
        }
        let entry = B64
            .decode(l.entry.unwrap_or_default())
            .map_err(|e| bad(e.to_string()))?;
        let e = parse_entry(&entry).map_err(|e| bad(e.to_string()))?;
        let rec = decode_record(e.body).map_err(|e| bad(e.to_string()))?;
        (self.on_record)(rec);
        Ok(())
    }
}

impl<F: FnMut(Record)> Write for Lines<F> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        // Only the new bytes can hold a newline: a long line written in many small pieces
        // is scanned once, not once per piece.
        let mut scan = self.buf.len();
        self.buf.extend_from_slice(data);
        let mut start = 0;
        while let Some(n) = self.buf[scan..].iter().position(|b| *b == b'\n') {
            let end = scan + n;
            let line = self.buf[start..end].to_vec();
            self.line(&line)?;
            start = end + 1;
            scan = start;
        }
        self.buf.drain(..start);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Signed checkpoint notes the verifier checked: those at or past the first retained seq.
fn checkpoint_notes(dir: &Path, first: u64, upto: u64) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir.join("checkpoints")) else {
        return 0;
    };
    rd.flatten()
        .filter_map(|e| {
            let p = e.path();
            let ok = p.extension().is_some_and(|x| x == "note");
            let size = p.file_stem()?.to_str()?.parse::<u64>().ok()?;
            ok.then_some(size)
        })
        .filter(|s| (first..=upto).contains(s))
        .count() as u64
}

/// Verifies and reads `dir` into `c`; never fails (problems are in the status).
pub(crate) fn read(dir: &Path, c: &mut Collector) -> NodeStatus {
    let mut st = NodeStatus {
        data_dir: dir.display().to_string(),
        ..NodeStatus::default()
    };
    // Records past what the verifier covered are not reported (the log may still be growing).
    let mut upto = u64::MAX;
    match verify_dir(dir) {
        Ok(s) => {
            st.verified = true;
            st.summary = s.to_string();
            st.gaps = "none".into();
            st.records_verified = s.records;
            st.first_seq = s.first_seq;
            st.last_seq = s.last_seq;
            st.checkpoint_size = s.checkpoint_size;
            st.checkpoint_root = s.root;
            st.checkpoints_verified = checkpoint_notes(dir, s.first_seq, s.checkpoint_size);
            st.keys = s.keys;
            st.uncheckpointed = s.uncheckpointed;
            upto = s.last_seq.unwrap_or(0);
        }
        Err(f) => {
            st.summary = format!("FAILED: {f}");
            st.gaps = format!("unknown: verification failed ({})", f.field);
        }
    }
    let (mut oldest, mut newest) = (None::<i64>, None::<i64>);
    let mut sink = Lines {
        buf: Vec::new(),
        on_record: |r: Record| {
            if r.seq > upto {
                return;
            }
            st.records_read += 1;
            if st.log_id.is_empty() {
                st.log_id.clone_from(&r.log_id);
            }
            let t = r.time_unix_nanos;
            oldest = Some(oldest.map_or(t, |o| o.min(t)));
            newest = Some(newest.map_or(t, |n| n.max(t)));
            if let Some(Kind::Event(e)) = &r.kind {
                if let Some(Event::RetentionPrune(p)) = &e.event {
                    st.retention_days = Some(p.retention_days);
                }
            }
            if c.add(&r) {
                st.records_in_period += 1;
            }
        },
    };
    let read = export(
        dir,
        &ExportFilter::default(),
        ExportFormat::Jsonl,
        &mut sink,
    );
    if let Err(e) = read {
        st.read_error = Some(e.to_string());
    }
    st.oldest_record = oldest.map(rfc3339);
    st.newest_record = newest.map(rfc3339);
    st
}
